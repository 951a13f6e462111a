// Backfills history so detectors do not start cold (see --help and README):
//   ecommerce (default): N days of generated rows under ecommerce/historical/
//     node -r ts-node/register/transpile-only scripts/backfill.ts --bucket BUCKET --days 14 --stack dev
//   redshift: the stack's Redshift queries over past intervals (scripts/lib/redshiftBackfill.ts)
//     node -r ts-node/register/transpile-only scripts/backfill.ts --source redshift --days 14 --stack prod
import { backfillS3Client } from "./lib/backfill";
import { backfillCli, UsageError } from "./lib/cli";
import { loadStackConfig } from "./lib/stackConfig";
import { usageErrorLine } from "./lib/usage";

/** The Redshift backfill reads the program's components (@pulumi/aws): loaded only for `--source redshift`. */
function redshiftBackfill(): typeof import("./lib/redshiftBackfill") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("./lib/redshiftBackfill") as typeof import("./lib/redshiftBackfill");
}

/** `--source redshift` or `--source ecommerce` (the default); the ecommerce command gets the other arguments. */
function sourceOf(argv: string[]): { source: string; rest: string[] } {
    const i = argv.findIndex((a) => a === "--source" || a.startsWith("--source="));
    if (i < 0) return { source: "ecommerce", rest: argv };
    const inline = argv[i].includes("=") ? argv[i].slice("--source=".length) : undefined;
    const source = inline ?? argv[i + 1] ?? "";
    return { source, rest: argv.filter((_, j) => j !== i && (inline !== undefined || j !== i + 1)) };
}

const io = { now: () => Date.now(), stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t) };
const { source, rest } = sourceOf(process.argv.slice(2));
const run: Promise<unknown> = source === "redshift"
    ? redshiftBackfill().redshiftBackfillCli(process.argv.slice(2), { ...io, loadConfig: (stack) => loadStackConfig(stack), createClients: redshiftBackfill().defaultClients })
    : source === "ecommerce"
        // one attempt per call: the backfill retries each object itself (a warm client's SDK retry quota drains)
        ? backfillCli(rest, { ...io, createClient: (region) => backfillS3Client(region) })
        : Promise.reject(Object.assign(new Error(`--source must be ecommerce or redshift (got ${JSON.stringify(source)})`), { name: "UsageError" }));
run.catch((e: Error) => {
    const isUsage = e instanceof UsageError || e.name === "UsageError";
    process.stderr.write(isUsage ? usageErrorLine("backfill", e.message) : `backfill: ${e.message}\n`);
    process.exitCode = isUsage ? 2 : 1;
});
