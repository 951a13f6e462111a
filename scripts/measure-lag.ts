// npm run measure-lag -- --waf-acl NAME | --ecommerce-stack NAME | --alarm NAME [...]  (scripts/lib/measureLag.ts; see --help)
// Wires the real CloudWatch client (region from --region or AWS_REGION) and real time.
// Exit codes: 0 measured, 1 nothing measured (every poll failed, or no datapoint seen; --alarm: a failed call, or no
// transition in the window), 2 bad arguments.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

import { measureLagCli, UsageError } from "./lib/measureLag";
import { usageErrorLine } from "./lib/usage";

measureLagCli(process.argv.slice(2), {
    createClient: (region) => new CloudWatchClient({ region }),
    createAlarmClient: (region) => new CloudWatchClient({ region }),
    clock: { now: () => Date.now(), sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)) },
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
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
