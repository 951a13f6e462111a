// `npm run backfill -- --source redshift --days N`: runs the stack's Redshift queries over past intervals with the
// same function the scheduled Lambda runs (handlers/redshiftQuery.ts `runQuery`), so an interval gets exactly the
// rows the schedule would have written — under redshift/<query>/historical/ for the lookout engine (Lookout's
// HistoricalDataPathList), as timestamped datapoints for the cloudwatch engine (the band alarms' models train
// on them). Long runs print progress and can resume: each finished interval is recorded in a state file, and a
// re-run skips them (failed intervals are retried). Exit 1 lists every interval that failed, with its reason.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { S3Client } from "@aws-sdk/client-s3";

import { AppConfig } from "../../config";
import { defaultDeps, RunnerClients, RunnerDeps, RunnerEnvironment, runQuery } from "../../handlers/redshiftQuery";

/** CloudWatch takes datapoints up to two weeks old (PutMetricData `Timestamp`). */
export const MAX_CLOUDWATCH_DAYS = 14;
export const MAX_LOOKOUT_DAYS = 90;

export const REDSHIFT_BACKFILL_USAGE = `Runs the stack's Redshift queries (sources.redshift) over past intervals and writes what the schedule would:
redshift/<query>/historical/ (lookout engine) or timestamped EdgeAnomaly/Redshift datapoints (cloudwatch engine).

  backfill --source redshift --days N [--stack NAME] [--query NAME] [--bucket B] [--end ISO] [--concurrency N]
           [--state FILE] [--restart]

  --days         days of history (cloudwatch: 1-${MAX_CLOUDWATCH_DAYS}, CloudWatch keeps no older datapoints; lookout: 1-${MAX_LOOKOUT_DAYS})
  --stack        stack whose sources.redshift, engine and region to use (default dev)
  --query        only this query (default: every configured query)
  --bucket       lookout engine: the data bucket (stack output dataBucketName)
  --end          history ends at the start of the interval containing this instant (default: now)
  --concurrency  statements in flight (default 4)
  --state        progress file (default .backfill/redshift-<stack>.json); a re-run skips finished intervals
  --restart      ignore the progress file and run every interval again`;

export interface RedshiftBackfillDeps {
    stdout: (t: string) => void;
    stderr: (t: string) => void;
    now: () => number;
    loadConfig: (stack: string) => AppConfig;
    createClients: (region: string, engine: "cloudwatch" | "lookout") => RunnerClients;
    runner?: RunnerDeps;
}

export function defaultClients(region: string, engine: "cloudwatch" | "lookout"): RunnerClients {
    return {
        data: new RedshiftDataClient({ region, maxAttempts: 5 }),
        cloudWatch: new CloudWatchClient({ region, maxAttempts: 5 }),
        s3: engine === "lookout" ? new S3Client({ region, maxAttempts: 5 }) : undefined,
    };
}

interface State {
    stack: string;
    /** query → interval starts (ISO) written. */
    done: Record<string, string[]>;
}

function usage(message: string): Error {
    const e = new Error(message);
    e.name = "UsageError";
    return e;
}

export interface RedshiftBackfillResult {
    intervals: number;
    written: number;
    skipped: number;
    rows: number;
    rejectedRows: number;
    failures: { query: string; intervalStart: string; error: string }[];
}

export async function redshiftBackfillCli(argv: string[], deps: RedshiftBackfillDeps): Promise<RedshiftBackfillResult> {
    let v;
    try {
        v = parseArgs({
            args: argv, strict: true, allowPositionals: false, options: {
                source: { type: "string" }, days: { type: "string" }, stack: { type: "string", default: "dev" }, query: { type: "string" },
                bucket: { type: "string" }, end: { type: "string" }, concurrency: { type: "string", default: "4" }, state: { type: "string" },
                restart: { type: "boolean", default: false }, help: { type: "boolean", default: false },
            },
        }).values;
    } catch (e) {
        throw usage((e as Error).message);
    }
    if (v.help) {
        deps.stdout(REDSHIFT_BACKFILL_USAGE + "\n");
        return { intervals: 0, written: 0, skipped: 0, rows: 0, rejectedRows: 0, failures: [] };
    }
    const stack = v.stack as string;
    const config = deps.loadConfig(stack);
    if (!config.sources.redshift) throw usage(`stack ${stack} does not enable sources.redshift (Pulumi.${stack}.yaml)`);
    // The settings the deployed schedule uses come from the program's own component code (@pulumi/aws), loaded only
    // once the stack is known to have the source.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { redshiftMetricsArgs } = require("../../componentArgs") as typeof import("../../componentArgs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { redshiftSettings, runnerSettings } = require("../../components/redshiftMetrics") as typeof import("../../components/redshiftMetrics");
    const args = redshiftMetricsArgs(config, { alerts: { topicArn: "", deadLetterQueueArn: "", deadLetterKeyArn: "", findingFunctionArn: "" } });
    if (!args) throw usage(`stack ${stack} does not enable sources.redshift (Pulumi.${stack}.yaml)`);
    const settings = redshiftSettings(args);
    const runner = runnerSettings(settings);
    const engine = settings.engine;
    const maxDays = engine === "cloudwatch" ? MAX_CLOUDWATCH_DAYS : MAX_LOOKOUT_DAYS;
    const days = Number(v.days);
    if (!Number.isInteger(days) || days < 1 || days > maxDays) {
        throw usage(`--days must be a whole number from 1 to ${maxDays} with the ${engine} engine (got ${JSON.stringify(v.days ?? null)})`);
    }
    if (engine === "lookout" && !v.bucket) throw usage("--bucket is required with the lookout engine (stack output dataBucketName)");
    if (engine === "cloudwatch" && v.bucket) throw usage("--bucket is for the lookout engine; the cloudwatch engine writes datapoints");
    const concurrency = Number(v.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw usage("--concurrency must be a whole number from 1 to 32");
    const queries = v.query ? runner.queries.filter((q) => q.name === v.query) : runner.queries;
    if (queries.length === 0) throw usage(`--query ${v.query}: no such query; configured: ${runner.queries.map((q) => q.name).join(", ")}`);
    let endMs = deps.now();
    if (v.end !== undefined) {
        endMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v.end as string) ? Date.parse(v.end as string) : NaN;
        if (Number.isNaN(endMs)) throw usage(`--end must be an ISO-8601 instant with a zone, such as 2026-11-30T10:00:00Z (got ${JSON.stringify(v.end)})`);
        if (endMs > deps.now()) throw usage("--end is in the future: the backfill covers intervals that have ended");
    }
    const step = settings.intervalSeconds * 1000;
    // The interval containing `end` is the schedule's (or not over yet): history stops before it.
    const toMs = Math.floor(endMs / step) * step;
    const fromMs = toMs - days * 86_400_000;
    if (engine === "cloudwatch" && fromMs < deps.now() - MAX_CLOUDWATCH_DAYS * 86_400_000) {
        throw usage(`the history would start ${new Date(fromMs).toISOString()}, more than ${MAX_CLOUDWATCH_DAYS} days ago: CloudWatch refuses older datapoints`);
    }

    const stateFile = (v.state as string | undefined) ?? path.join(".backfill", `redshift-${stack}.json`);
    let state: State = { stack, done: {} };
    if (!v.restart && fs.existsSync(stateFile)) {
        state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
        if (state.stack !== stack) throw usage(`${stateFile} is the progress of stack ${state.stack}, not ${stack}: pass --state or --restart`);
    }
    const saveState = () => {
        fs.mkdirSync(path.dirname(path.resolve(stateFile)), { recursive: true });
        const tmp = `${stateFile}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(state));
        fs.renameSync(tmp, stateFile);
    };

    const env: RunnerEnvironment = { region: settings.region, target: settings.target, bucket: v.bucket as string | undefined };
    const clients = deps.createClients(settings.region, engine);
    const jobs: { query: (typeof queries)[number]; startMs: number }[] = [];
    let skipped = 0;
    for (const q of queries) {
        const done = new Set(state.done[q.name] ?? []);
        for (let t = fromMs; t < toMs; t += step) {
            if (done.has(new Date(t).toISOString())) skipped += 1;
            else jobs.push({ query: q, startMs: t });
        }
    }
    const total = jobs.length + skipped;
    deps.stderr(`backfill redshift: stack ${stack} (${engine}, ${settings.frequency}), ${queries.map((q) => q.name).join(", ")}: `
        + `${new Date(fromMs).toISOString()} .. ${new Date(toMs).toISOString()}, ${total} intervals, ${skipped} already done (${stateFile})\n`);

    const result: RedshiftBackfillResult = { intervals: total, written: 0, skipped, rows: 0, rejectedRows: 0, failures: [] };
    const runnerDeps = deps.runner ?? { ...defaultDeps, log: () => undefined };
    let next = 0;
    let lastReport = deps.now();
    const worker = async () => {
        for (let i = next++; i < jobs.length; i = next++) {
            const { query, startMs } = jobs[i];
            try {
                const r = await runQuery(clients, runner, env, query, startMs, "historical", runnerDeps);
                result.written += 1;
                result.rows += r.rows;
                result.rejectedRows += r.rejectedRows;
                (state.done[query.name] ??= []).push(new Date(startMs).toISOString());
                saveState();
            } catch (e) {
                result.failures.push({ query: query.name, intervalStart: new Date(startMs).toISOString(), error: (e as Error).message });
            }
            const finished = result.written + result.failures.length;
            if (finished === jobs.length || finished % 100 === 0 || deps.now() - lastReport >= 10_000) {
                lastReport = deps.now();
                deps.stderr(`${skipped + finished}/${total} intervals (${Math.round((100 * (skipped + finished)) / Math.max(1, total))}%): `
                    + `${result.written} written, ${result.rows} rows, ${result.rejectedRows} rejected rows, ${result.failures.length} failed\n`);
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, jobs.length)) }, worker));
    const where = engine === "lookout" ? `s3://${env.bucket}/redshift/<query>/historical/` : "EdgeAnomaly/Redshift";
    deps.stdout(`wrote ${result.written} intervals (${result.rows} rows, ${result.rejectedRows} rejected rows) to ${where}; ${skipped} were already done\n`);
    if (result.failures.length) {
        const e = new Error(`${result.failures.length} interval(s) failed (re-run the same command to retry only those):\n`
            + result.failures.slice(0, 20).map((f) => `  ${f.query} ${f.intervalStart}: ${f.error}`).join("\n")
            + (result.failures.length > 20 ? `\n  ... and ${result.failures.length - 20} more` : ""));
        Object.assign(e, { result });
        throw e;
    }
    return result;
}
