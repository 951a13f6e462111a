// Benchmark of the ecommerce Firehose transform on a full-size batch: a 6 MB Firehose transformation request
// (the Lambda synchronous payload limit) of generated traffic, Kinesis-sourced (with kinesisRecordMetadata).
// It measures, in the same run and alternating, the transform (validation, row formatting, partition keys and
// the EMF sums of the CloudWatch engine) and a floor loop doing only what any transform must do — base64 decode,
// JSON.parse, JSON.stringify + base64 encode — and prints records/s, MB/s and the ratio transform/floor.
//
//   node -r ts-node/register/transpile-only bench/transform.bench.ts [--check] [--rounds N] [--size-mb N] [--scenario kinesis|dense]
//
// --check exits 1 when the ratio is below 0.75 (the project's target).
import { parseArgs } from "util";

import { FirehoseRecord, FirehoseResponseRecord, TransformOptions, transformBatch } from "../handlers/ecommerceTransform";
import { seededRng, TrafficModel } from "../scripts/lib/trafficModel";
import { MAX_EVENT_AGE_SECONDS, MAX_FUTURE_SKEW_SECONDS } from "../model/ecommerceSchema";

export const TARGET_RATIO = 0.75;

export interface Batch {
    records: FirehoseRecord[];
    /** Size of the JSON request Firehose would send. */
    requestBytes: number;
    nowMs: number;
}

export interface Scenario {
    name: string;
    description: string;
    /** Records carry kinesisRecordMetadata (Kinesis stream source, as deployed). */
    kinesisMetadata: boolean;
    /** Events carry a 32-hex eventId. */
    eventIds: boolean;
}

export const SCENARIOS: readonly Scenario[] = [
    { name: "kinesis", description: "as deployed: Kinesis-sourced records (kinesisRecordMetadata), events with eventId", kinesisMetadata: true, eventIds: true },
    { name: "dense", description: "~20k small records: no kinesisRecordMetadata, events without eventId (more records per MB)", kinesisMetadata: false, eventIds: false },
];

/** A Firehose request of about `targetBytes` of generated traffic (1% malformed records). */
export function buildBatch(targetBytes: number, scenario: Scenario = SCENARIOS[0], seed = 7): Batch {
    const rng = seededRng(seed);
    const model = new TrafficModel({ rate: 400 });
    const nowMs = Date.UTC(2024, 4, 15, 18, 7, 0);
    const records: FirehoseRecord[] = [];
    const envelope = 200; // '{"invocationId":...,"records":[' etc.
    let bytes = envelope;
    let seq = 49546986683135544286507457936321625675700192471156785154n;
    let from = nowMs - 300_000;
    outer: for (;;) {
        const events = model.events(rng, from, from + 1000);
        from += 1000;
        for (const ev of events) {
            const arrival = Date.parse(String(ev.timestamp)) + Math.floor(rng() * 2000);
            // a realistic trickle of bad input exercises the failure path too
            const bad = rng() < 0.01;
            const partitionKey = ev.eventId ?? "";
            if (!scenario.eventIds) delete ev.eventId;
            const body = bad ? JSON.stringify({ ...ev, eventType: "purchase" }) : JSON.stringify(ev);
            seq += 1n;
            const rec: FirehoseRecord = {
                recordId: seq.toString(),
                approximateArrivalTimestamp: arrival,
                data: Buffer.from(body, "utf8").toString("base64"),
            };
            if (scenario.kinesisMetadata) {
                rec.kinesisRecordMetadata = {
                    shardId: `shardId-00000000000${Math.floor(rng() * 4)}`,
                    partitionKey,
                    approximateArrivalTimestamp: arrival,
                    sequenceNumber: seq.toString(),
                    subsequenceNumber: 0,
                };
            }
            const size = JSON.stringify(rec).length + 1;
            if (bytes + size > targetBytes) break outer;
            bytes += size;
            records.push(rec);
        }
    }
    return { records, requestBytes: bytes, nowMs };
}

/**
 * The floor: decode, parse, re-encode every record — no validation, no partitioning, no metrics — with the
 * same fast primitives the transform uses (one reusable decode buffer), so the ratio measures the transform's
 * own work, not a slower baseline. Any transform has to do at least this much.
 */
export function floorLoop(records: readonly FirehoseRecord[]): FirehoseResponseRecord[] {
    const scratch = Buffer.allocUnsafe(1 << 16);
    const out: FirehoseResponseRecord[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const n = scratch.write(r.data, 0, "base64");
        const obj = JSON.parse(scratch.toString("utf8", 0, n));
        const m = scratch.write(JSON.stringify(obj) + "\n", 0, "utf8");
        out[i] = { recordId: r.recordId, result: "Ok", data: scratch.toString("base64", 0, m) };
    }
    return out;
}

/** The textbook floor (a new Buffer per decode and encode), printed for reference. */
export function naiveFloorLoop(records: readonly FirehoseRecord[]): FirehoseResponseRecord[] {
    const out: FirehoseResponseRecord[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const obj = JSON.parse(Buffer.from(r.data, "base64").toString("utf8"));
        out[i] = { recordId: r.recordId, result: "Ok", data: Buffer.from(JSON.stringify(obj) + "\n", "utf8").toString("base64") };
    }
    return out;
}

export const BENCH_OPTIONS: TransformOptions = {
    intervalSeconds: 300,
    maxEventAgeSeconds: MAX_EVENT_AGE_SECONDS,
    maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS,
    metrics: { stack: "bench", dimensions: ["platform", "marketplace"], platforms: ["web", "ios", "android"], marketplaces: ["US", "UK", "DE", "JP"] },
};

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// No forced GC between runs: a full GC frees the hidden classes optimized code embeds ("weak objects") and
// deoptimizes it, which would make every round measure re-JIT instead of steady state. Young-generation GC
// of each loop's own garbage is part of its cost; the rotation below spreads the rest evenly.
function time(fn: () => unknown): number {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
}

export interface BenchResult {
    scenario: Scenario;
    records: number;
    requestMB: number;
    transformMs: number;
    floorMs: number;
    naiveFloorMs: number;
    /** floor time / transform time = transform throughput / floor throughput. */
    ratio: number;
    okRecords: number;
    failedRecords: number;
}

export function runBench(scenario: Scenario, rounds: number, sizeMB: number): BenchResult {
    const batch = buildBatch(Math.round(sizeMB * 1_000_000), scenario);
    const check = transformBatch(batch.records, BENCH_OPTIONS, batch.nowMs);
    if (check.response.records.length !== batch.records.length) throw new Error("bench: the transform did not answer every record");
    const loops: (() => unknown)[] = [
        () => transformBatch(batch.records, BENCH_OPTIONS, batch.nowMs),
        () => floorLoop(batch.records),
        () => naiveFloorLoop(batch.records),
    ];
    for (let w = 0; w < 5; w++) loops.forEach((fn) => fn());
    const times: number[][] = loops.map(() => []);
    for (let r = 0; r < rounds; r++) {
        // rotate the order so drift (JIT, GC, a busy neighbour) hits all loops alike
        for (let k = 0; k < loops.length; k++) {
            const j = (r + k) % loops.length;
            times[j].push(time(loops[j]));
        }
    }
    const [transformMs, floorMs, naiveFloorMs] = times.map(median);
    return {
        scenario,
        records: batch.records.length,
        requestMB: batch.requestBytes / 1_000_000,
        transformMs,
        floorMs,
        naiveFloorMs,
        ratio: floorMs / transformMs,
        okRecords: check.ok,
        failedRecords: check.failed,
    };
}

export const BENCH_USAGE = `usage: npm run bench [-- options]

Benchmarks the ecommerce Firehose transform on a full-size (6 MB) batch against a floor loop and prints
records/s, MB/s and the ratio transform/floor.

  --check          exit 1 when the ratio is below ${TARGET_RATIO} (the project's target)
  --rounds N       rounds per scenario, median reported (default 31)
  --size-mb N      request size in MB, in (0, 6] (default 6)
  --scenario NAME  ${SCENARIOS.map((s) => s.name).join(" or ")}; repeatable (default: all)
  --help, -h       this help

Exit codes: 0 done; 1 below the target with --check; 2 bad arguments.`;

export interface BenchArgs {
    check: boolean;
    rounds: number;
    sizeMB: number;
    scenarios: Scenario[];
    help: boolean;
}

/** The benchmark's arguments; throws a one-line reason for anything it cannot use. */
export function parseBenchArgs(argv: string[]): BenchArgs {
    let values: { check?: boolean; rounds?: string; "size-mb"?: string; scenario?: string[]; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                check: { type: "boolean", default: false },
                rounds: { type: "string", default: "31" },
                "size-mb": { type: "string", default: "6" },
                scenario: { type: "string", multiple: true },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        throw new Error((e as Error).message.split("\n")[0]);
    }
    const rounds = Number(values.rounds);
    const sizeMB = Number(values["size-mb"]);
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number`);
    if (!(sizeMB > 0 && sizeMB <= 6)) throw new Error(`--size-mb must be in (0, 6] (the Lambda payload limit)`);
    const names = values.scenario ?? SCENARIOS.map((s) => s.name);
    const scenarios = names.map((n) => {
        const s = SCENARIOS.find((x) => x.name === n);
        if (!s) throw new Error(`--scenario ${n}: use one of ${SCENARIOS.map((x) => x.name).join(", ")}`);
        return s;
    });
    return { check: !!values.check, rounds, sizeMB, scenarios, help: !!values.help };
}

function main(argv: string[]): void {
    let args: BenchArgs;
    try {
        args = parseBenchArgs(argv);
    } catch (e) {
        process.stderr.write(`bench: ${(e as Error).message} (see --help)\n`);
        process.exitCode = 2;
        return;
    }
    if (args.help) {
        process.stdout.write(`${BENCH_USAGE}\n`);
        return;
    }
    const { rounds, sizeMB, scenarios } = args;
    const values = { check: args.check };
    console.log(`ecommerce transform benchmark — node ${process.version}, ${process.arch}, median of ${rounds} rounds, EMF on`);
    let worst = Infinity;
    for (const scenario of scenarios) {
        const r = runBench(scenario, rounds, sizeMB);
        const line = (name: string, ms: number) =>
            `  ${name.padEnd(11)} ${ms.toFixed(1).padStart(7)} ms ${Math.round(r.records / (ms / 1000)).toLocaleString("en-US").padStart(10)} records/s ${(r.requestMB / (ms / 1000)).toFixed(1).padStart(7)} MB/s`;
        console.log(`\n[${scenario.name}] ${scenario.description}`);
        console.log(`  batch: ${r.records.toLocaleString("en-US")} records, ${r.requestMB.toFixed(2)} MB request (${r.okRecords} ok, ${r.failedRecords} malformed)`);
        console.log(line("transform", r.transformMs));
        console.log(line("floor", r.floorMs));
        console.log(line("naive floor", r.naiveFloorMs));
        console.log(`  ratio transform/floor: ${r.ratio.toFixed(2)} (target >= ${TARGET_RATIO}); vs the naive floor: ${(r.naiveFloorMs / r.transformMs).toFixed(2)}`);
        worst = Math.min(worst, r.ratio);
    }
    if (values.check && worst < TARGET_RATIO) {
        console.error(`bench: ratio ${worst.toFixed(2)} is below the target ${TARGET_RATIO}`);
        process.exitCode = 1;
    }
}

if (require.main === module) main(process.argv.slice(2));
