// Command-line front ends of the traffic generator and the backfill (scripts/generate-traffic.ts and
// scripts/backfill.ts only call these with real clients and streams). Parsing with node's util.parseArgs,
// strict: an unknown option or a bad value is an error that names it.
import { parseArgs } from "util";
import * as zlib from "zlib";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";

import { AppConfig } from "../../config";
import {
    BackfillObject, backfillRange, DEFAULT_PUT_RETRY, isBackfillError, MAX_BACKFILL_DAYS, planBackfill, uploadBackfill, writeBackfillToDir,
} from "./backfill";
import { parseInstant } from "./instant";
import { Clock, DEFAULT_RETRY, runGenerator, sendEvents, SendStats } from "./generator";
import { loadStackConfig } from "./stackConfig";
import { KNOWN_MARKETPLACES, KNOWN_PLATFORMS, parseAnomaly, seededRng, TrafficModel } from "./trafficModel";

export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export interface Io {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

function positive(name: string, v: string | undefined, integer = false): number {
    const n = Number(v);
    if (v === undefined || v.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
        throw new UsageError(`--${name} must be a positive ${integer ? "whole " : ""}number (got ${JSON.stringify(v ?? null)})`);
    }
    return n;
}

/** A strict ISO-8601 instant (calendar-checked, zone required): `2025-02-30T00:00:00Z` is an error, not March 2nd. */
function instant(name: string, v: string): number {
    const r = parseInstant(v);
    if ("error" in r) throw new UsageError(`--${name} ${JSON.stringify(v)} ${r.error}`);
    return r.ms;
}

function seedOf(v: string | undefined, dflt: number): number {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--seed must be a whole number from 0 to 4294967295`);
    return n;
}

function parse<T extends Record<string, { type: "string" | "boolean"; default?: string | boolean }>>(argv: string[], options: T) {
    try {
        return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
}

function regionOf(flag: string | undefined, cfg: AppConfig | undefined): string {
    const region = flag ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? cfg?.region;
    if (!region) throw new UsageError("no AWS region: pass --region (or set AWS_REGION, or --stack to use the stack's aws:region)");
    return region;
}

// ---- generate-traffic ---------------------------------------------------------------------------------------

export const GENERATOR_USAGE = `Sends realistic ecommerce events to the pipeline's Kinesis stream.

  generate-traffic --stream NAME [--region R] [--rate N] [--duration S] [--anomaly SPEC] [--seed N] [--stack NAME]
  generate-traffic --dry-run [--start ISO] [--rate N] [--duration S] [--anomaly SPEC] [--seed N] [--stack NAME]

  --stream     Kinesis stream name (the stack output streamName)
  --region     AWS region (default: AWS_REGION, else the stack's aws:region with --stack)
  --rate       mean events per second over a week, all types (default 20); the daily/weekly curves move around it
  --duration   seconds of traffic to send (default 300)
  --anomaly    e.g. measure=views,kind=drop,platform=ios,at=+120,duration=600,factor=0.2
               measure views|revenue, kind drop|spike, platform and/or marketplace (else all traffic),
               at +SECONDS after the start or an ISO instant, duration seconds (600), factor (drop 0.2, spike 3)
  --seed       random seed (default: from the clock); the same seed and start give the same events
  --stack      take the platform and marketplace values from Pulumi.<stack>.yaml (default: web, ios, android x US, UK, DE, JP)
  --dry-run    write the events to stdout as JSON Lines instead of sending them, without waiting in real time
  --start      dry run: the first instant of the simulated traffic, ISO-8601 with a zone (default: now)`;

export interface GeneratorDeps extends Io {
    createClient: (region: string) => KinesisClient;
    clock: Clock;
    random: () => number;
}

export async function generateTrafficCli(argv: string[], deps: GeneratorDeps): Promise<{ events: number; sent?: SendStats }> {
    const v = parse(argv, {
        stream: { type: "string" },
        region: { type: "string" },
        rate: { type: "string", default: "20" },
        duration: { type: "string", default: "300" },
        anomaly: { type: "string" },
        seed: { type: "string" },
        stack: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        start: { type: "string" },
        help: { type: "boolean", default: false },
    });
    if (v.help) {
        deps.stdout(GENERATOR_USAGE + "\n");
        return { events: 0 };
    }
    const dryRun = v["dry-run"] === true;
    if (!dryRun && !v.stream) throw new UsageError("--stream is required (or --dry-run to print the events instead)");
    if (!dryRun && v.start !== undefined) throw new UsageError("--start is only for --dry-run: live traffic starts now");
    const rate = positive("rate", v.rate as string);
    const duration = positive("duration", v.duration as string);
    const cfg = v.stack ? loadStackConfig(v.stack as string) : undefined;
    const platforms = cfg ? [...cfg.detection.platforms] : KNOWN_PLATFORMS.map((p) => p.name);
    const marketplaces = cfg ? [...cfg.detection.marketplaces] : KNOWN_MARKETPLACES.map((m) => m.name);
    const startMs = v.start !== undefined ? instant("start", v.start as string) : deps.clock.now();
    const anomaly = v.anomaly !== undefined ? parseAnomaly(v.anomaly as string, startMs, { platforms, marketplaces }) : undefined;
    const seed = seedOf(v.seed as string | undefined, Math.floor(deps.random() * 0xffffffff));
    const model = new TrafficModel({ rate, platforms, marketplaces, anomaly });
    const rng = seededRng(seed);
    const describe = `rate ${rate}/s, ${duration} s from ${new Date(startMs).toISOString()}, seed ${seed}` +
        (anomaly ? `, anomaly ${anomaly.kind} of ${anomaly.measure} x${anomaly.factor} on ${anomaly.platform ?? "all platforms"}/${anomaly.marketplace ?? "all marketplaces"} ` +
            `from ${new Date(anomaly.startMs).toISOString()} for ${anomaly.durationMs / 1000} s` : "");

    if (dryRun) {
        deps.stderr(`dry run: ${describe}\n`);
        const r = await runGenerator({
            model, rng, startMs, durationSeconds: duration, realtime: false, clock: deps.clock,
            sink: async (events) => {
                if (events.length) deps.stdout(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
            },
        });
        deps.stderr(`dry run: ${r.events} events\n`);
        return { events: r.events };
    }

    const region = regionOf(v.region as string | undefined, cfg);
    const client = deps.createClient(region);
    const stream = v.stream as string;
    const sent: SendStats = { records: 0, calls: 0, retried: 0 };
    deps.stderr(`sending to ${stream} (${region}): ${describe}\n`);
    let lastReport = startMs;
    const r = await runGenerator({
        model, rng, startMs, durationSeconds: duration, realtime: true, clock: deps.clock,
        sink: async (events, tickStart) => {
            const s = await sendEvents(client, stream, events, { ...DEFAULT_RETRY, sleep: deps.clock.sleep, random: deps.random });
            sent.records += s.records;
            sent.calls += s.calls;
            sent.retried += s.retried;
            if (tickStart - lastReport >= 10_000) {
                lastReport = tickStart;
                deps.stderr(`${new Date(tickStart).toISOString()}: ${sent.records} events in ${sent.calls} PutRecords calls, ${sent.retried} records re-sent\n`);
            }
        },
    });
    deps.stderr(`done: ${sent.records} events in ${sent.calls} PutRecords calls, ${sent.retried} records re-sent\n`);
    return { events: r.events, sent };
}

// ---- backfill -----------------------------------------------------------------------------------------------

export const BACKFILL_USAGE = `Writes N days of generated ecommerce history, in the live row format and folder layout, under
ecommerce/historical/ (Lookout for Metrics' HistoricalDataPathList), so a new detector skips its cold start.

  backfill --bucket B --days N [--stack NAME] [--rate N] [--seed N] [--region R] [--concurrency N] [--end ISO]
  backfill --days N --dry-run | --out DIR [...]

  --bucket       the pipeline's bucket (stack output dataBucketName)
  --days         days of history, 1-${MAX_BACKFILL_DAYS}, ending where live data begins (the current interval)
  --stack        stack whose interval, compression and dimension values to use (default dev)
  --rate         mean events per second of the generated history (default 20)
  --seed         random seed (default 1): re-running with the same arguments rewrites the same objects
  --region       AWS region (default: AWS_REGION, else the stack's aws:region)
  --concurrency  PutObject calls in flight (default 8); a throttled or failed call is retried per object
                 (up to ${DEFAULT_PUT_RETRY.maxAttempts} attempts, backoff up to ${DEFAULT_PUT_RETRY.maxDelayMs / 1000} s); objects still not written are listed
  --end          history ends at the start of the interval containing this instant (default: now; not in the future),
                 an ISO-8601 instant with a zone such as 2024-05-15T10:00:00Z
  --dry-run      print what would be written (objects, rows, keys, a sample) and write nothing
  --out DIR      write the objects under DIR instead of S3 (same keys)`;

export interface BackfillDeps extends Io {
    /** The S3 client to upload with; scripts/backfill.ts passes `backfillS3Client` (one attempt per call). */
    createClient: (region: string) => S3Client;
    now: () => number;
    /** Waits between the per-object retries (default: real time). */
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
}

export async function backfillCli(argv: string[], deps: BackfillDeps): Promise<{ objects: number; rows: number }> {
    const v = parse(argv, {
        bucket: { type: "string" },
        days: { type: "string" },
        stack: { type: "string", default: "dev" },
        rate: { type: "string", default: "20" },
        seed: { type: "string" },
        region: { type: "string" },
        concurrency: { type: "string", default: "8" },
        end: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", default: false },
    });
    if (v.help) {
        deps.stdout(BACKFILL_USAGE + "\n");
        return { objects: 0, rows: 0 };
    }
    const dryRun = v["dry-run"] === true;
    if (dryRun && v.out !== undefined) throw new UsageError("--dry-run and --out exclude each other");
    if (!dryRun && v.out === undefined && !v.bucket) throw new UsageError("--bucket is required (or --dry-run, or --out DIR)");
    const days = positive("days", v.days as string | undefined, true);
    const rate = positive("rate", v.rate as string);
    const concurrency = positive("concurrency", v.concurrency as string, true);
    const cfg = loadStackConfig(v.stack as string);
    const now = deps.now();
    const endMs = v.end !== undefined ? instant("end", v.end as string) : now;
    if (endMs > now) {
        throw new UsageError(`--end ${v.end} is in the future (now is ${new Date(now).toISOString()}): history can only end at or before now; ` +
            `leave --end out to end where live data begins`);
    }
    const plan = {
        model: new TrafficModel({ rate, platforms: cfg.detection.platforms, marketplaces: cfg.detection.marketplaces }),
        rng: seededRng(seedOf(v.seed as string | undefined, 1)),
        days,
        intervalSeconds: cfg.detection.intervalSeconds,
        endMs,
        compression: cfg.pipeline.compression,
    };
    let range: { fromMs: number; toMs: number };
    try {
        range = backfillRange(plan);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const count = (range.toMs - range.fromMs) / (plan.intervalSeconds * 1000);
    deps.stderr(`backfill: stack ${cfg.stack} (${cfg.detection.frequency}, ${cfg.pipeline.compression}), ${count} intervals ` +
        `${new Date(range.fromMs).toISOString()} .. ${new Date(range.toMs).toISOString()}, rate ${rate}/s\n`);

    if (dryRun) {
        let objects = 0;
        let rows = 0;
        let first: BackfillObject | undefined;
        let last: BackfillObject | undefined;
        for (const o of planBackfill(plan)) {
            first ??= o;
            last = o;
            objects += 1;
            rows += o.rows;
        }
        deps.stdout(`would write ${objects} objects, ${rows} rows\nfirst: ${first?.key}\nlast:  ${last?.key}\n`);
        if (first) {
            const text = plan.compression === "GZIP" ? zlib.gunzipSync(first.body).toString("utf8") : first.body.toString("utf8");
            deps.stdout(`sample (${first.key}):\n${text}`);
        }
        return { objects, rows };
    }
    if (v.out !== undefined) {
        const s = writeBackfillToDir(v.out as string, planBackfill(plan));
        deps.stderr(`wrote ${s.objects} objects, ${s.rows} rows, ${s.bytes} bytes under ${v.out}\n`);
        return { objects: s.objects, rows: s.rows };
    }
    const client = deps.createClient(regionOf(v.region as string | undefined, cfg));
    let done = 0;
    let s;
    try {
        s = await uploadBackfill(client, v.bucket as string, planBackfill(plan), {
            concurrency,
            retry: { ...(deps.sleep ? { sleep: deps.sleep } : {}), ...(deps.random ? { random: deps.random } : {}) },
            onObject: () => {
                done += 1;
                if (done % 500 === 0) deps.stderr(`${done}/${count} objects\n`);
            },
        });
    } catch (e) {
        if (isBackfillError(e)) {
            // Every object not written, one per line, so a re-run (same arguments, same keys) can be checked.
            deps.stderr(e.failures.map((f) => `not written: s3://${v.bucket}/${f.key} after ${f.attempts} attempt(s): ${f.error}\n`).join(""));
            deps.stderr(`${e.failures.length} of ${count} objects NOT written (${e.written.objects} written, ${e.written.retried} calls retried); ` +
                `re-run the same command to write them (keys are deterministic)\n`);
        }
        throw e;
    }
    deps.stderr(`wrote ${s.objects} objects, ${s.rows} rows, ${s.bytes} bytes to s3://${v.bucket}/ecommerce/historical/` +
        (s.retried > 0 ? ` (${s.retried} throttled or failed calls retried)` : "") + "\n");
    return { objects: s.objects, rows: s.rows };
}
