// Every script's command line: --help prints the usage to stdout and exits 0; a usage error exits 2 with a
// one-line reason on stderr; xss-probe says why a URL cannot be reached (DNS, refused, TLS, timeout). The plan's
// own command line is tested in policy.plan.test.ts; generate-traffic and backfill share scripts/lib/cli.ts.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as net from "net";
import * as path from "path";

import { BENCH_USAGE, parseBenchArgs } from "../bench/transform.bench";
import { networkReason, parseProbeArgs, PROBE_USAGE } from "../scripts/xss-probe";
import { backfillCli, generateTrafficCli, UsageError } from "../scripts/lib/cli";
import { parseSimulateArgs, UsageError as SimulateUsageError } from "../scripts/lib/simulateCli";
import { usageErrorLine } from "../scripts/lib/usage";

const ROOT = path.resolve(__dirname, "..");

function run(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "./test/tsnode.js", script, ...args], { cwd: ROOT, timeout: 60_000 },
            (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
    });
}

describe("script command lines (--help, usage errors)", function () {
    this.timeout(120_000);
    const r: Record<string, Awaited<ReturnType<typeof run>>> = {};

    let closed: string;

    before(async () => {
        // A loopback port nothing listens on: bound, then released.
        const srv = net.createServer();
        await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
        closed = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/prod`;
        await new Promise<void>((res) => srv.close(() => res()));
        const [probeHelp, probeBad, probeRefused, benchHelp, benchBad, trafficHelp, backfillHelp] = await Promise.all([
            run("scripts/xss-probe.ts", "--help"),
            run("scripts/xss-probe.ts", "--url", "https://x.example.com/prod", "--cuont", "3"),
            run("scripts/xss-probe.ts", "--url", closed, "--count", "2", "--timeout-ms", "2000"),
            run("bench/transform.bench.ts", "--help"),
            run("bench/transform.bench.ts", "--rounds", "zero"),
            run("scripts/generate-traffic.ts", "--help"),
            run("scripts/backfill.ts", "--help"),
        ]);
        Object.assign(r, { probeHelp, probeBad, probeRefused, benchHelp, benchBad, trafficHelp, backfillHelp });
    });

    it("--help: usage on stdout, nothing on stderr, exit 0 (xss-probe, bench, generate-traffic, backfill)", () => {
        assert.deepEqual([r.probeHelp.code, r.probeHelp.stdout, r.probeHelp.stderr], [0, `${PROBE_USAGE}\n`, ""]);
        assert.deepEqual([r.benchHelp.code, r.benchHelp.stdout, r.benchHelp.stderr], [0, `${BENCH_USAGE}\n`, ""]);
        for (const h of [r.trafficHelp, r.backfillHelp]) {
            assert.equal(h.code, 0, h.stderr);
            assert.ok(h.stdout.length > 100);
            assert.equal(h.stderr, "");
        }
    });

    it("a usage error: exit 2, one line naming the problem, nothing on stdout", () => {
        assert.equal(r.probeBad.code, 2);
        assert.equal(r.probeBad.stdout, "");
        assert.match(r.probeBad.stderr, /^xss-probe: Unknown option '--cuont'.* \(see --help\)\n$/);
        assert.equal(r.benchBad.code, 2);
        assert.equal(r.benchBad.stderr, "bench: --rounds must be a positive whole number (see --help)\n");
    });

    it("xss-probe: a URL nothing answers on exits 2 and says why (connection refused)", () => {
        assert.equal(r.probeRefused.code, 2);
        assert.equal(r.probeRefused.stderr, `xss-probe: cannot reach ${closed}: connection refused (ECONNREFUSED)\n`);
    });

    it("names DNS, TLS and timeout failures the way fetch reports them", () => {
        const fetchFailed = (cause: object) => Object.assign(new TypeError("fetch failed"), { cause });
        assert.equal(networkReason(fetchFailed({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND api.invalid" })), "DNS: host not found (ENOTFOUND)");
        assert.equal(networkReason(fetchFailed({ code: "EAI_AGAIN" })), "DNS: host not found (EAI_AGAIN)");
        assert.equal(networkReason(fetchFailed({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" })), "TLS: DEPTH_ZERO_SELF_SIGNED_CERT");
        assert.equal(networkReason(fetchFailed({ code: "ERR_TLS_CERT_ALTNAME_INVALID" })), "TLS: ERR_TLS_CERT_ALTNAME_INVALID");
        assert.equal(networkReason(Object.assign(new Error("aborted"), { name: "TimeoutError" }), 500), "timed out after 500 ms");
    });

    it("the parsers: every value checked, --help wins", () => {
        assert.equal(parseProbeArgs(["--help"]).help, true);
        assert.throws(() => parseProbeArgs(["--url", "ftp://x"]), /--url is required/);
        assert.equal(parseBenchArgs(["--help"]).help, true);
        assert.throws(() => parseBenchArgs(["--size-mb", "7"]), /--size-mb must be in \(0, 6\]/);
        assert.throws(() => parseBenchArgs(["--scenario", "nope"]), /--scenario nope: use one of/);
        assert.throws(() => parseBenchArgs(["extra"]), /Unexpected argument 'extra'/);
    });
});

describe("script usage errors in process (generate-traffic, backfill, simulate share usageErrorLine)", () => {
    const io = { now: () => Date.UTC(2026, 0, 1), stdout: () => undefined, stderr: () => undefined };
    it("one line: name, the whole reason joined, the --help hint", () => {
        assert.equal(usageErrorLine("simulate", "--stack is required"), "simulate: --stack is required (see --help)\n");
        assert.equal(usageErrorLine("backfill", "Unknown option '--x'.\n  To specify a positional argument…\n"), "backfill: Unknown option '--x'. To specify a positional argument… (see --help)\n");
    });

    it("each parser refuses a bad command line with a UsageError (exit 2 in the scripts), --help is not an error", async () => {
        await assert.rejects(generateTrafficCli(["--rate", "x", "--dry-run"], { ...io, createClient: () => { throw new Error("no client"); }, clock: { now: io.now, sleep: async () => undefined }, random: Math.random } as never), UsageError);
        await assert.rejects(generateTrafficCli(["--rate", "5"], { ...io, createClient: () => { throw new Error("no client"); }, clock: { now: io.now, sleep: async () => undefined }, random: Math.random } as never), /--stream is required/);
        await assert.rejects(backfillCli(["--bogus"], { ...io, createClient: () => { throw new Error("no client"); } } as never), UsageError);
        assert.throws(() => parseSimulateArgs(["--bogus"]), SimulateUsageError);
        assert.throws(() => parseSimulateArgs(["--stack", "dev", "--days", "x"]), /--days must be a whole number/);
        assert.equal(parseSimulateArgs(["--help"]), "help");
    });
});
