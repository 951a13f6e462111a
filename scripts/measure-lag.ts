// npm run measure-lag -- --waf-acl NAME | --ecommerce-stack NAME | --alarm NAME [...]  (scripts/lib/measureLag.ts; see --help)
// Wires the real CloudWatch client (region from --region or AWS_REGION) and real time.
// Exit codes: 0 measured, 1 nothing measured (every poll failed, or no datapoint seen; --alarm: a failed call, or no
// transition in the window), 2 bad arguments, 130 interrupted (SIGINT).
// SIGINT while polling a series: the first stops polling (a poll in flight finishes) and prints the summary of what was
// measured so far, exit 130; a second exits 130 at once, without it. --alarm and --help keep Node's default (exit at once).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

import { INTERRUPTED_EXIT, isAlarmMode, measureLagCli, UsageError, watchClockSkew } from "./lib/measureLag";
import { usageErrorLine } from "./lib/usage";

const argv = process.argv.slice(2);
const interrupt = new AbortController();
if (!isAlarmMode(argv) && !argv.includes("--help")) {
    process.on("SIGINT", () => {
        if (!interrupt.signal.aborted) {
            interrupt.abort();
            return;
        }
        process.stderr.write("measure-lag: interrupted again: exiting without the summary\n");
        process.exit(INTERRUPTED_EXIT);
    });
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
});

measureLagCli(argv, {
    createClient: (region, onResponse) => {
        const client = new CloudWatchClient({ region });
        watchClockSkew(client, Date.now, onResponse);
        return client;
    },
    createAlarmClient: (region) => new CloudWatchClient({ region }),
    clock: { now: () => Date.now(), sleep },
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interrupt: interrupt.signal,
}).then(
    (code) => {
        process.exitCode = code;
    },
    (e: Error) => {
        const usage = e instanceof UsageError;
        process.stderr.write(usage ? usageErrorLine("measure-lag", e.message) : `measure-lag: ${e.message}\n`);
        process.exitCode = usage ? 2 : 1;
    },
);
