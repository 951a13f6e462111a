// Writes N days of generated history under ecommerce/historical/ (see --help and README "Ecommerce pipeline").
//   node -r ts-node/register/transpile-only scripts/backfill.ts --bucket BUCKET --days 14 --stack dev
import { backfillS3Client } from "./lib/backfill";
import { backfillCli, UsageError } from "./lib/cli";

backfillCli(process.argv.slice(2), {
    // one attempt per call: the backfill retries each object itself (a warm client's SDK retry quota drains)
    createClient: (region) => backfillS3Client(region),
    now: () => Date.now(),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
}).catch((e: Error) => {
    process.stderr.write(`backfill: ${e.message}\n${e instanceof UsageError ? "(--help for usage)\n" : ""}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
});
