// The offline plan (`npm run plan -- --stack dev`). Most cases run in this process through plan.ts's own main()
// with stream stand-ins, and plans with the same stack config share one program run. Real processes and real
// pipes only where the pipe is the point: a 1,200-resource plan through `tee` and through `head -c`, and the
// plan of another commit (`--base HEAD`).
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";

import { buildPlan, diffPlans, formatPlan, layer, opaqueSecrets, parseArgs, PlanDocument, stdoutToStderr, USAGE, writeFully } from "../scripts/plan";
import { allowedActions, componentOf, deployTimeValues, displayType, formatGrouped, formatTable, shortArn, summarize } from "../scripts/lib/planTable";
import { PRICE_TABLE } from "../scripts/lib/prices";
import { estimateCost, IDLE } from "../scripts/lib/cost";
import { OFFLINE_SECRET } from "../config";
import { runPlanMain } from "./capture";

const ROOT = path.resolve(__dirname, "..");
const FIX = "test/fixtures/policy";

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

/** plan.ts's main() in this process, its stdout and stderr captured. */
const plan = (...argv: string[]): Promise<Result> => runPlanMain(...argv);

/** A shell pipeline, its exit status (pipefail) and stderr. */
function sh(script: string): Promise<Result> {
    return new Promise((resolve) => {
        execFile("bash", ["-c", `set -o pipefail; ${script}`], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
    });
}

const PLAN = `"${process.execPath}" -r ./test/tsnode.js scripts/plan.ts`;

function lastLine(s: string): string {
    return s.trimEnd().split("\n").pop() ?? "";
}

describe("offline plan (scripts/plan.ts)", function () {
    // About 30 s on a quiet 2-core machine; generous because a shared machine can be many times slower, and a
    // before-all hook that times out leaves its program runs going into the next file's.
    this.timeout(900_000);
    const runs: Record<string, Result> = {};
    let tmp: string;

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
        // Sequential: runs share the mocks; the ones with the dev config share one program run.
        runs.dev = await plan("--stack", "dev", "--save", path.join(tmp, "dev.json"), "--comment", path.join(tmp, "comment.md"));
        runs.json = await plan("--stack", "dev", "--json");
        runs.tags = await plan("--stack", "dev", "--policy-config", `${FIX}/require-cost-center.json`);
        runs.tagged = await plan("--stack", "dev", "--policy-config", `${FIX}/require-cost-center.json`, "--config-file", `${FIX}/Pulumi.cost-center.yaml`);
        runs.noRate = await plan("--stack", "dev", "--config-file", `${FIX}/Pulumi.no-rate-limit.yaml`);
        runs.badRuntime = await plan("--stack", "dev", "--config-file", `${FIX}/Pulumi.bad-runtime.yaml`);
        runs.badStack = await plan("--stack", "nope");
        runs.badPolicyConfig = await plan("--stack", "dev", "--policy-config", `${FIX}/Pulumi.cost-center.yaml`);
        const secret = path.join(tmp, "Pulumi.secret.yaml");
        fs.writeFileSync(secret, "config:\n  edge-anomaly-detection:alerts:\n    emails:\n      - secure: v1:AAAAsecretCiphertext==\n      - oncall@acme-corp.net\n");
        runs.secret = await plan("--stack", "dev", "--config-file", secret, "--load", "events=5/s,requests=10/s");
    });

    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("dev: resources grouped by component and type with counts, within 120 columns, verdict last, exit 0", () => {
        const { code, stdout, stderr } = runs.dev;
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^edge \(edge-anomaly:api:WafProtectedApi\): \d+ resources$/m);
        assert.match(stdout, /^ {2}aws:cloudwatch:MetricAlarm × \d+$/m);
        assert.match(stdout, /^ {4}edge-webacl {2}REGIONAL, default allow; rules RateLimitPerClientIp\(rate 2000\/300s per IP, block\),/m);
        assert.match(stdout, /^ {4}edge-waf-logging {2}→ <edge-waf-logs\.arn>; redacted authorization, cookie/m);
        assert.match(stdout, /^ {4}edge-stage {2}stage prod/m);
        for (const line of stdout.split("\n")) assert.ok(line.length <= 120, `${line.length} columns: ${line}`);
        const lines = stdout.trimEnd().split("\n");
        assert.match(lines[lines.length - 2], /^\d+ resources to create \(in \d+ components\)$/);
        assert.equal(lastLine(stdout), "0 mandatory violations");
        assert.match(stdout, /^Policy pack edge-anomaly-detection \(\d+ policies\):$/m);
        assert.doesNotMatch(stdout, /\[mandatory\]/);
        // the program's own warnings reach stderr as a preview shows them (dev has no alert subscriber)
        assert.match(stderr, /^warning: \[runtime\] preflight: .*no person is notified of an alert/m);
    });

    it("shows no mock placeholder ids: values AWS assigns at deploy read <resource.output>", () => {
        const { stdout } = runs.dev;
        assert.doesNotMatch(stdout, /abc123|-uuid\b|-key-id\b|-root\b|\b\w+-id\b/);
        assert.match(stdout, /<alerts-topic\.arn>/);
        assert.match(stdout, /known after deploy/);
        const saved = JSON.parse(fs.readFileSync(path.join(tmp, "dev.json"), "utf8")) as PlanDocument;
        assert.doesNotMatch(JSON.stringify(saved.resources), /abc123|-uuid"|-key-id/);
    });

    it("monthly cost estimate at idle and at the default load (20 events/s, 50 requests/s), dated and sourced", () => {
        const { stdout } = runs.dev;
        assert.ok(stdout.includes(`Monthly cost ESTIMATE, us-east-1 list prices of ${PRICE_TABLE.date} (scripts/lib/prices.ts`));
        assert.match(stdout, /^idle = idle \(no events, no requests\); load = 20 events\/s, 50 requests\/s$/m);
        const doc = JSON.parse(runs.json.stdout) as PlanDocument;
        const idle = doc.cost.idle;
        const load = doc.cost.load;
        const line = (e: typeof idle, item: string) => e.lines.find((l) => l.item === item);
        // Idle: dev's one provisioned shard is billed by the hour; traffic items are zero.
        assert.equal(line(idle, "provisioned shard-hours")?.usd.toFixed(2), (730 * 0.015).toFixed(2));
        assert.equal(line(idle, "custom metrics (EMF, while events flow)"), undefined);
        assert.equal(line(idle, "REST API requests")?.usd ?? 0, 0);
        // Load: 50 requests/s for a month through WAF and API Gateway.
        assert.equal(line(load, "REST API requests")?.usd.toFixed(2), ((50 * 730 * 3600) / 1e6 * 3.5).toFixed(2));
        assert.equal(line(load, "requests inspected")?.usd.toFixed(2), ((50 * 730 * 3600) / 1e6 * 0.6).toFixed(2));
        assert.ok(load.totalUsd > idle.totalUsd);
        assert.equal(idle.totalUsd.toFixed(6), idle.lines.reduce((s, l) => s + l.usd, 0).toFixed(6));
        assert.match(stdout, new RegExp(`^TOTAL\\s+\\$${idle.totalUsd.toFixed(2)}\\s+\\$${Math.round(load.totalUsd)}$`, "m"));
    });

    it("the README's dev cost table states the totals this plan computes (idle and 20 events/s + 50 requests/s)", () => {
        const doc = JSON.parse(runs.json.stdout) as PlanDocument;
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const row = /^\| total \| \*\*\$([0-9.,]+)\*\* \| \*\*\$([0-9.,]+)\*\* \|$/m.exec(readme);
        assert.ok(row, "README Cost section: no '| total | **$…** | **$…** |' row");
        assert.deepEqual([row[1], row[2]], [doc.cost.idle.totalUsd.toFixed(2), String(Math.round(doc.cost.load.totalUsd))],
            "README's dev cost totals differ from the plan's: re-run npm run plan -- --stack dev and update the Cost table");
        assert.ok(readme.includes(`(prices of ${PRICE_TABLE.date})`), "README Cost section names the price table's date");
    });

    it("--comment writes the pull-request comment: verdict, counts and the cost table", () => {
        const md = fs.readFileSync(path.join(tmp, "comment.md"), "utf8");
        assert.match(md, /^### Offline plan: stack `dev` — 0 mandatory violations$/m);
        assert.match(md, /\*\*Monthly cost estimate\*\* \(us-east-1 list prices of \d{4}-\d{2}-\d{2}/);
        assert.match(md, /^\| aws:kinesis:Stream \| provisioned shard-hours \| \$10\.95 \| \$10\.95 \|$/m);
        assert.match(md, /^\| \*\*total\*\* \| \| \*\*\$\d+\.\d\d\*\* \| \*\*\$\d+\.\d\d\*\* \|$/m);
    });

    it("--json: one JSON document on stdout (plan, cost, report), the verdict on stderr", () => {
        const { code, stdout, stderr } = runs.json;
        assert.equal(code, 0, stderr);
        const parsed = JSON.parse(stdout) as PlanDocument;
        assert.equal(parsed.stack, "dev");
        assert.ok(parsed.resources.some((r) => r.type === "aws:wafv2:WebAcl" && r.component === "edge"));
        assert.equal(parsed.policies.mandatory, 0);
        assert.equal(lastLine(stderr), "0 mandatory violations");
    });

    it("--base FILE: what changes against a saved plan (added, removed, changed with the keys)", async () => {
        const saved = path.join(tmp, "dev.json");
        const same = await plan("--stack", "dev", "--base", saved);
        assert.equal(same.code, 0, same.stderr);
        assert.match(same.stdout, /^Changes against .*dev\.json: 0 to add, 0 to remove, 0 to change$/m);
        const doc = JSON.parse(fs.readFileSync(saved, "utf8")) as PlanDocument;
        const acl = doc.resources.find((r) => r.name === "edge-webacl")!;
        acl.props = { ...acl.props, defaultAction: { block: {} } };
        acl.settings = "old settings";
        doc.resources = doc.resources.filter((r) => r.name !== "edge-stage");
        doc.resources.push({ ...acl, name: "edge-old-acl" });
        const edited = path.join(tmp, "edited.json");
        fs.writeFileSync(edited, JSON.stringify(doc));
        const diff = await plan("--stack", "dev", "--base", edited);
        assert.match(diff.stdout, /^Changes against .*edited\.json: 1 to add, 1 to remove, 1 to change$/m);
        assert.match(diff.stdout, /^ {2}\+ aws:apigateway:Stage edge-stage: stage prod/m);
        assert.match(diff.stdout, /^ {2}- aws:wafv2:WebAcl edge-old-acl:/m);
        assert.match(diff.stdout, /^ {2}~ aws:wafv2:WebAcl edge-webacl: defaultAction$/m);
        assert.match(diff.stdout, /^ {6}was: old settings$/m);
        assert.equal(lastLine(diff.stdout), "0 mandatory violations");
    });

    it("--base REF: plans that commit in a scratch tree and prints the changes", async () => {
        const r = await plan("--stack", "dev", "--base", "HEAD");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Changes against HEAD: \d+ to add, \d+ to remove, \d+ to change$/m);
        const bad = await plan("--stack", "dev", "--base", "no-such-ref-or-file");
        assert.equal(bad.code, 2);
        assert.equal(bad.stderr, "plan: --base no-such-ref-or-file: neither a saved plan file nor a git commit\n");
    });

    it("a policy config requiring a tag the stack does not set: names required-tags, exits 1", () => {
        const { code, stdout } = runs.tags;
        assert.equal(code, 1);
        assert.match(stdout, /^ {2}\[mandatory\] required-tags: aws:wafv2:WebAcl edge-webacl: Missing required tag cost-center/m);
        const n = Number(/^(\d+) mandatory violations?$/.exec(lastLine(stdout))?.[1]);
        assert.ok(n >= 4, `expected every taggable resource to be reported, got ${lastLine(stdout)}`);
        assert.equal((stdout.match(/\[mandatory\]/g) ?? []).length, n);
    });

    it("the same policy config with a stack config layer that adds the tag: exits 0", () => {
        assert.equal(runs.tagged.code, 0, runs.tagged.stderr);
        assert.equal(lastLine(runs.tagged.stdout), "0 mandatory violations");
    });

    it("rate limiting switched off in config: the advisory waf-rate-based-rule is reported, exit stays 0", () => {
        const { code, stdout, stderr } = runs.noRate;
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^ {2}\[advisory\] waf-rate-based-rule: aws:wafv2:WebAcl edge-webacl: The web ACL has no rate-based rule/m);
        assert.doesNotMatch(stdout, /RateLimitPerClientIp/);
    });

    it("secure: stack values read as opaque secrets, shown as [secret]; subscription endpoints are shown", () => {
        const { code, stdout, stderr } = runs.secret;
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^ {4}\S+ +email → \[secret\]; redrive to DLQ$/m);
        assert.match(stdout, /^ {4}\S+ +email → oncall@acme-corp\.net; redrive to DLQ$/m);
        assert.doesNotMatch(stdout, /dev-\d+/, "the stack's own names, not the harness's per-run ones");
        assert.match(stdout, /load = 5 events\/s, 10 requests\/s/);
        assert.deepEqual(opaqueSecrets({ a: { secure: "v1:x" }, b: [{ secure: "v1:y" }, "z"], c: { secure: "v1:z", other: 1 } }),
            { a: OFFLINE_SECRET, b: [OFFLINE_SECRET, "z"], c: { secure: "v1:z", other: 1 } });
    });

    it("invalid stack config, unknown stack, invalid policy config: exit 2 with the reason on one line", () => {
        assert.equal(runs.badRuntime.code, 2);
        assert.match(runs.badRuntime.stderr, /^plan: Invalid stack configuration 'edge-anomaly-detection:lambdaRuntime': "nodejs16\.x" is not allowed/);
        assert.equal(runs.badStack.code, 2);
        assert.match(runs.badStack.stderr, /^plan: no stack file Pulumi\.nope\.yaml \(stacks: .*dev/);
        assert.equal(runs.badPolicyConfig.code, 2);
        assert.match(runs.badPolicyConfig.stderr, /Pulumi\.cost-center\.yaml: Unexpected token/);
        for (const r of [runs.badRuntime, runs.badStack, runs.badPolicyConfig]) {
            assert.equal(r.stdout, "");
            assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
        }
    });

    it("--help prints the usage to stdout and exits 0; a usage error is one line on stderr, exit 2", async () => {
        const help = await plan("--help");
        assert.equal(help.code, 0);
        assert.equal(help.stdout, `${USAGE}\n`);
        assert.equal(help.stderr, "");
        const bad = await plan("--stack", "dev", "--force");
        assert.equal(bad.code, 2);
        assert.equal(bad.stdout, "");
        assert.equal(bad.stderr, "plan: unknown argument --force (see --help)\n");
        const load = await plan("--stack", "dev", "--load", "events=lots");
        assert.equal(load.stderr, "plan: --load: \"events=lots\" is not key=number (e.g. events=20/s) (see --help)\n");
    });

    describe("a 1,200-resource plan through real pipes", () => {
        let big: string;
        let expected: string;

        before(async () => {
            // The dev plan, its alarms copied until the plan has 1,200 resources: what is under test here is the
            // writing, which is the same code for a saved plan as for a live one.
            const doc = JSON.parse(fs.readFileSync(path.join(tmp, "dev.json"), "utf8")) as PlanDocument;
            const alarms = doc.resources.filter((r) => r.type === "aws:cloudwatch:MetricAlarm");
            for (let i = 0; doc.resources.length < 1200; i++) {
                const a = alarms[i % alarms.length];
                doc.resources.push({ ...a, name: `${a.name}-copy-${i}` });
            }
            big = path.join(tmp, "big.json");
            fs.writeFileSync(big, JSON.stringify(doc));
            expected = `${formatPlan(doc)}\n`;
            assert.ok(Buffer.byteLength(expected) > 256 * 1024, "larger than any pipe buffer");
        });

        it("through tee to a slow reader: complete, verdict last, exit 0", async () => {
            const out = path.join(tmp, "tee.txt");
            const r = await sh(`${PLAN} --plan "${big}" | tee "${out}" | (sleep 1; cat > /dev/null)`);
            assert.equal(r.code, 0, r.stderr);
            const text = fs.readFileSync(out, "utf8");
            assert.equal(text, expected);
            assert.equal(lastLine(text), "0 mandatory violations");
            assert.match(text, /^1200 resources to create/m);
        });

        it("through head -c: the plan fails loudly (exit 3, reason on stderr), never a truncated success", async () => {
            const r = await sh(`${PLAN} --plan "${big}" | head -c 4096 > /dev/null`);
            assert.equal(r.code, 3, r.stderr);
            assert.match(r.stderr, /^plan: output incomplete: stdout closed before the plan was fully written \(EPIPE; \d+ bytes to write\); the verdict was not delivered$/m);
            const j = await sh(`${PLAN} --plan "${big}" --json | head -c 100000 > /dev/null`);
            assert.equal(j.code, 3, j.stderr);
            assert.match(j.stderr, /output incomplete/);
        });

        it("--json through tee: parses, all 1,200 resources", async () => {
            const out = path.join(tmp, "tee.json");
            const r = await sh(`${PLAN} --plan "${big}" --json | tee "${out}" > /dev/null`);
            assert.equal(r.code, 0, r.stderr);
            assert.equal((JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument).resources.length, 1200);
            assert.equal(lastLine(r.stderr), "0 mandatory violations");
        });
    });
});

describe("offline plan: arguments, writer and table helpers", () => {
    it("parses arguments and rejects unknown ones", () => {
        const a = parseArgs(["--stack", "dev", "--config-file", "a.yaml", "--config-file", "b.yaml", "--policy-config", "p.json", "--load", "events=1/s"]);
        assert.deepEqual([a.stack, a.configFiles, a.policyConfig, a.load.eventsPerSecond, a.width], ["dev", ["a.yaml", "b.yaml"], "p.json", 1, 120]);
        assert.throws(() => parseArgs([]), /--stack is required/);
        assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
        assert.throws(() => parseArgs(["--stack", "dev", "--force"]), /unknown argument --force/);
        assert.throws(() => parseArgs(["--plan", "x.json", "--stack", "dev"]), /--plan prints a saved plan/);
        assert.throws(() => parseArgs(["--stack", "dev", "--width", "20"]), /--width must be/);
    });

    it("writeFully resolves once the stream took everything and rejects when the reader is gone", async () => {
        const s = new PassThrough({ highWaterMark: 16 });
        let got = "";
        setTimeout(() => s.on("data", (c) => (got += String(c))), 20);
        await writeFully(s, "x".repeat(10_000));
        assert.equal(got.length, 10_000);
        const closed = new PassThrough();
        closed.destroy();
        await assert.rejects(writeFully(closed, "y"));
    });

    it("a --save or --comment file it cannot write: exit 3, one line, no verdict printed", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-files-"));
        const saved = path.join(dir, "min.json");
        const empty = { violations: [], outcomes: [], mandatory: 0, advisory: 0 };
        fs.writeFileSync(saved, JSON.stringify({ stack: "dev", resources: [], components: [], outputs: {}, policies: empty,
            cost: { priceDate: PRICE_TABLE.date, region: PRICE_TABLE.region, idle: estimateCost([], IDLE), load: estimateCost([], IDLE) } }));
        for (const [flag, target] of [["--save", path.join(dir, "missing", "plan.json")], ["--comment", path.join(dir, "missing", "c.md")], ...(fs.existsSync("/dev/full") ? [["--save", "/dev/full"]] : [])]) {
            const r = await plan("--plan", saved, flag, target);
            assert.equal(r.code, 3, r.stderr);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, new RegExp(`^plan: output incomplete: could not write ${flag} ${target.replace(/[/.]/g, "\\$&")} \\((ENOENT|ENOSPC)\\); the verdict was not delivered\n$`));
        }
        const ok = await plan("--plan", saved, "--save", path.join(dir, "again.json"));
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout.trimEnd().split("\n").pop(), "0 mandatory violations");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("while the program runs, whatever it prints on stdout goes to stderr (stdout carries the plan only)", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const saved = { out: process.stdout.write, err: process.stderr.write };
        process.stdout.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stdout.write;
        process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
        try {
            const v = await stdoutToStderr(async () => {
                console.info("a library's chatter");
                process.stdout.write("stray\n");
                return 7;
            });
            process.stdout.write("after\n");
            assert.equal(v, 7);
        } finally {
            process.stdout.write = saved.out;
            process.stderr.write = saved.err;
        }
        assert.deepEqual([out, err], [["after\n"], ["a library's chatter\n", "stray\n"]]);
        await assert.rejects(stdoutToStderr(async () => { throw new Error("boom"); }), /boom/);
    });

    it("layers config: objects merge key by key, lists and scalars replace", () => {
        const base = { "p:tags": { owner: "a", env: "dev" }, "p:waf": { rateLimit: { enabled: true, limit: 10 } }, "p:list": [1, 2] };
        assert.deepEqual(layer(base, { "p:tags": { cc: "1" }, "p:waf": { rateLimit: { enabled: false } }, "p:list": [3] }),
            { "p:tags": { owner: "a", env: "dev", cc: "1" }, "p:waf": { rateLimit: { enabled: false, limit: 10 } }, "p:list": [3] });
    });

    it("diffs plans by type and name, naming the input keys that changed", () => {
        const r = (name: string, props: Record<string, unknown>) => ({ component: "c", type: "t", name, settings: JSON.stringify(props), props, digest: "" });
        const c = diffPlans({ resources: [r("a", { x: 1 }), r("b", { y: 1 })] }, { resources: [r("a", { x: 2, z: 1 }), r("c", {})] }, "base");
        assert.deepEqual(c.added.map((x) => x.name), ["c"]);
        assert.deepEqual(c.removed.map((x) => x.name), ["b"]);
        assert.deepEqual(c.changed.map((x) => [x.name, x.keys]), [["a", ["x", "z"]]]);
    });

    it("replaces mock outputs with <resource.output>, longest first, inside strings and documents", () => {
        const walk = deployTimeValues([
            { name: "topic", id: "topic-id", inputs: { name: "alerts" }, state: { name: "alerts", arn: "arn:aws:sns:us-east-1:1:alerts" } },
            { name: "fn", id: "fn-id", inputs: {}, state: { name: "fn-abc123", arn: "arn:aws:lambda:us-east-1:1:function:fn-abc123" } },
        ]);
        assert.deepEqual(walk({ a: "arn:aws:sns:us-east-1:1:alerts", b: ["arn:aws:lambda:us-east-1:1:function:fn-abc123:$LATEST"], c: '{"Resource":"fn-abc123"}', d: "alerts" }),
            { a: "<topic.arn>", b: ["<fn.arn>:$LATEST"], c: '{"Resource":"<fn.name>"}', d: "alerts" });
    });

    it("shows the mocks' account id as <account>, inside ARNs and documents too", () => {
        const walk = deployTimeValues([{ name: "t", inputs: {}, state: {} } as never], { "123456789012": "<account>" });
        assert.deepEqual(walk({ FINDING_ACCOUNT_ID: "123456789012", arn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default", n: 5 }),
            { FINDING_ACCOUNT_ID: "<account>", arn: "arn:aws:securityhub:us-east-1:<account>:product/<account>/default", n: 5 });
    });

    it("assigns resources to the longest matching component and lays groups out within the width", () => {
        const comps = [{ name: "alerts", type: "x:A" }, { name: "alerts-finding", type: "x:F" }];
        assert.equal(componentOf("alerts-finding-role", comps)?.name, "alerts-finding");
        assert.equal(componentOf("alerts-topic", comps)?.name, "alerts");
        assert.equal(componentOf("alertsx", comps), undefined);
        const text = formatGrouped([
            { component: "alerts", type: "aws:sns:Topic", name: "alerts-topic", settings: "word ".repeat(60).trim() },
            { component: "alerts", type: "aws:sns:Topic", name: "n".repeat(60), settings: "short" },
        ], comps, 100);
        assert.match(text, /^alerts \(x:A\): 2 resources\n {2}aws:sns:Topic × 2$/m);
        for (const l of text.split("\n")) assert.ok(l.length <= 100, l);
    });

    it("shows types as the CLI does and ARNs by their resource part", () => {
        assert.equal(displayType("aws:lambda/function:Function"), "aws:lambda:Function");
        assert.equal(displayType("pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert"), "pulumi-nodejs:dynamic:Alert");
        assert.equal(shortArn("arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-x:*"), "aws-waf-logs-x");
        assert.equal(shortArn("arn:aws:lambda:us-east-1:1:function:fn-1"), "fn-1");
        assert.equal(shortArn("arn:aws:wafv2:us-east-1:1:regional/webacl/acl-name/uuid"), "acl-name");
        assert.equal(shortArn("plain"), "plain");
    });

    it("summarizes the settings reviewers look at", () => {
        assert.equal(summarize("aws:sqs/queue:Queue", { name: "q", sqsManagedSseEnabled: true }), "q; SSE-SQS; retention 345600 s");
        assert.equal(summarize("aws:sns/topicSubscription:TopicSubscription", { protocol: "https", endpoint: "https://hooks.example.com/x" }), "https → https://hooks.example.com/x");
        assert.equal(summarize("aws:iam/role:Role", { assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }),
            "trusts lambda.amazonaws.com (no condition)");
        assert.deepEqual(allowedActions(JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["a", "b"] }, { Effect: "Deny", Action: "c" }, { Effect: "Allow", Action: "a" }] })), ["a", "b"]);
        const table = formatTable([{ type: "t", name: "n", settings: "word ".repeat(30).trim() }], 60);
        assert.ok(table.split("\n").every((l) => l.length <= 60), table);
    });

    it("buildPlan refuses an unknown stack before running anything", async () => {
        assert.deepEqual(await buildPlan(parseArgs(["--stack", "nope"])), { usage: `no stack file Pulumi.nope.yaml (stacks: ${fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter(Boolean).join(", ")})` });
    });
});
