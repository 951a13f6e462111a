// npm run simulate -- --stack dev [--per-alarm] [--days N] [--replays N] ...  (scripts/lib/simulateCli.ts)
// Exit codes: 0 report printed, 2 bad arguments or stack configuration.
import { usageErrorLine } from "./lib/usage";
import { UsageError, runSimulate } from "./lib/simulateCli";

try {
    runSimulate(process.argv.slice(2), { stdout: (s) => process.stdout.write(s) });
} catch (e) {
    if (e instanceof UsageError) {
        process.stderr.write(usageErrorLine("simulate", e.message)); // one line; the usage is --help's (stdout, exit 0)
        process.exit(2);
    }
    throw e;
}
