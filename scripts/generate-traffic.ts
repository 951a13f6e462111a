// Sends realistic ecommerce events to the pipeline's Kinesis stream (see --help and README "Ecommerce pipeline").
//   node -r ts-node/register/transpile-only scripts/generate-traffic.ts --stream NAME --rate 20 --duration 600
import { KinesisClient } from "@aws-sdk/client-kinesis";

import { generateTrafficCli, UsageError } from "./lib/cli";
import { usageErrorLine } from "./lib/usage";
import { realSleep } from "./lib/generator";

generateTrafficCli(process.argv.slice(2), {
    // the SDK retries whole-call failures (throttling, network); the generator re-sends the records a call reports failed
    createClient: (region) => new KinesisClient({ region, maxAttempts: 5 }),
    clock: { now: () => Date.now(), sleep: realSleep },
    random: Math.random,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
}).catch((e: Error) => {
    process.stderr.write(e instanceof UsageError ? usageErrorLine("generate-traffic", e.message) : `generate-traffic: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
});
