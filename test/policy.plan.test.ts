// The offline plan (`npm run plan -- --stack dev`), run as a child process exactly as the npm script runs it:
// the resource table, the policy results, the closing "N mandatory violations" line and the exit code — 0 for
// the dev stack, 1 when policy config makes a violation mandatory (the stack config cannot switch encryption or
// WAF logging off, so a required tag the stack lacks is the violation), 2 for bad arguments or config.
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as path from "path";

import { layer, parseArgs } from "../scripts/plan";
import { allowedActions, displayType, formatTable, shortArn, summarize } from "../scripts/lib/planTable";

const ROOT = path.resolve(__dirname, "..");
const FIX = "test/fixtures/policy";

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

/** `npm run plan -- <args>` without npm: the script line is `node -r ts-node/register/transpile-only scripts/plan.ts`. */
function plan(...args: string[]): Promise<Result> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
    });
}

function lastLine(s: string): string {
    return s.trimEnd().split("\n").pop() ?? "";
}

describe("offline plan (scripts/plan.ts)", function () {
    this.timeout(120_000);
    const runs: Record<string, Result> = {};

    before(async () => {
        const [dev, tags, tagged, noRate, badRuntime, badStack, badPolicyConfig, json] = await Promise.all([
            plan("--stack", "dev"),
            plan("--stack", "dev", "--policy-config", `${FIX}/require-cost-center.json`),
            plan("--stack", "dev", "--policy-config", `${FIX}/require-cost-center.json`, "--config-file", `${FIX}/Pulumi.cost-center.yaml`),
            plan("--stack", "dev", "--config-file", `${FIX}/Pulumi.no-rate-limit.yaml`),
            plan("--stack", "dev", "--config-file", `${FIX}/Pulumi.bad-runtime.yaml`),
            plan("--stack", "nope"),
            plan("--stack", "dev", "--policy-config", `${FIX}/Pulumi.cost-center.yaml`),
            plan("--stack", "dev", "--json"),
        ]);
        Object.assign(runs, { dev, tags, tagged, noRate, badRuntime, badStack, badPolicyConfig, json });
    });

    it("dev: prints the resource table and the policy results, ends with '0 mandatory violations', exits 0", () => {
        const { code, stdout, stderr } = runs.dev;
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^TYPE\s+NAME\s+SETTINGS$/m);
        assert.match(stdout, /^aws:wafv2:WebAcl\s+edge-webacl\s+REGIONAL, default allow; rules RateLimitPerClientIp\(rate 2000\/300s per IP, block\), AWSManagedRulesCommonRuleSet/m);
        assert.match(stdout, /^aws:wafv2:WebAclLoggingConfiguration\s+edge-waf-logging\s+.*redacted authorization, cookie$/m);
        assert.match(stdout, /^aws:apigateway:Stage\s+edge-stage\s+stage prod/m);
        assert.match(stdout, /^\d+ resources to create \(in \d+ components\)$/m);
        assert.match(stdout, /^Policy pack edge-anomaly-detection \(\d+ policies\):\n {2}no violations$/m);
        assert.equal(lastLine(stdout), "0 mandatory violations");
    });

    it("a policy config requiring a tag the stack does not set: names required-tags, exits 1", () => {
        const { code, stdout } = runs.tags;
        assert.equal(code, 1);
        assert.match(stdout, /^ {2}\[mandatory\] required-tags: aws:wafv2:WebAcl edge-webacl: Missing required tag cost-center/m);
        const n = Number(/^(\d+) mandatory violations?$/.exec(lastLine(stdout))?.[1]);
        assert.ok(n >= 4, `expected every taggable resource to be reported, got ${lastLine(stdout)}`);
        for (const t of ["aws:apigateway:RestApi edge-api", "aws:apigateway:Stage edge-stage", "aws:cloudwatch:LogGroup edge-waf-logs"]) {
            assert.ok(stdout.includes(`required-tags: ${t}: Missing required tag cost-center`), t);
        }
        assert.equal((stdout.match(/\[mandatory\]/g) ?? []).length, n);
    });

    it("the same policy config with a stack config layer that adds the tag: exits 0", () => {
        const { code, stdout, stderr } = runs.tagged;
        assert.equal(code, 0, stderr);
        assert.equal(lastLine(stdout), "0 mandatory violations");
    });

    it("rate limiting switched off in config: the advisory waf-rate-based-rule is reported, exit stays 0", () => {
        const { code, stdout, stderr } = runs.noRate;
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^ {2}\[advisory\] waf-rate-based-rule: aws:wafv2:WebAcl edge-webacl: The web ACL has no rate-based rule/m);
        assert.doesNotMatch(stdout, /RateLimitPerClientIp/);
        assert.equal(lastLine(stdout), "0 mandatory violations");
    });

    it("invalid stack config, unknown stack, invalid policy config: exit 2 with the reason", () => {
        assert.equal(runs.badRuntime.code, 2);
        assert.match(runs.badRuntime.stderr, /Invalid stack configuration 'edge-anomaly-detection:lambdaRuntime': "nodejs16\.x" is not allowed/);
        assert.equal(runs.badStack.code, 2);
        assert.match(runs.badStack.stderr, /no stack file Pulumi\.nope\.yaml \(stacks: .*dev/);
        assert.equal(runs.badPolicyConfig.code, 2);
        assert.match(runs.badPolicyConfig.stderr, /Pulumi\.cost-center\.yaml: Unexpected token/);
    });

    it("--json: the plan and the report as JSON on stdout, the closing line on stderr", () => {
        const { code, stdout, stderr } = runs.json;
        assert.equal(code, 0, stderr);
        const parsed = JSON.parse(stdout) as { stack: string; resources: { type: string }[]; policies: { mandatory: number } };
        assert.equal(parsed.stack, "dev");
        assert.ok(parsed.resources.some((r) => r.type === "aws:wafv2:WebAcl"));
        assert.equal(parsed.policies.mandatory, 0);
        assert.equal(lastLine(stderr), "0 mandatory violations");
    });
});

describe("offline plan: arguments and table helpers", () => {
    it("parses arguments and rejects unknown ones", () => {
        assert.deepEqual(parseArgs(["--stack", "dev", "--config-file", "a.yaml", "--config-file", "b.yaml", "--policy-config", "p.json"]),
            { stack: "dev", configFiles: ["a.yaml", "b.yaml"], policyConfig: "p.json", json: false });
        assert.throws(() => parseArgs([]), /--stack is required/);
        assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
        assert.throws(() => parseArgs(["--stack", "dev", "--force"]), /unknown argument --force/);
    });

    it("layers config: objects merge key by key, lists and scalars replace", () => {
        const base = { "p:tags": { owner: "a", env: "dev" }, "p:waf": { rateLimit: { enabled: true, limit: 10 } }, "p:list": [1, 2] };
        assert.deepEqual(layer(base, { "p:tags": { cc: "1" }, "p:waf": { rateLimit: { enabled: false } }, "p:list": [3] }),
            { "p:tags": { owner: "a", env: "dev", cc: "1" }, "p:waf": { rateLimit: { enabled: false, limit: 10 } }, "p:list": [3] });
    });

    it("shows types as the CLI does and ARNs by their resource part", () => {
        assert.equal(displayType("aws:lambda/function:Function"), "aws:lambda:Function");
        assert.equal(displayType("pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert"), "pulumi-nodejs:dynamic:Alert");
        assert.equal(shortArn("arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-x:*"), "aws-waf-logs-x");
        assert.equal(shortArn("arn:aws:lambda:us-east-1:1:function:fn-1"), "fn-1");
        assert.equal(shortArn("arn:aws:wafv2:us-east-1:1:regional/webacl/acl-name/uuid"), "acl-name");
        assert.equal(shortArn("arn:aws:sns:us-east-1:1:alerts"), "alerts");
        assert.equal(shortArn("plain"), "plain");
    });

    it("summarizes the settings reviewers look at", () => {
        assert.equal(summarize("aws:sqs/queue:Queue", { name: "q", sqsManagedSseEnabled: true }), "q; SSE-SQS; retention 345600 s");
        assert.equal(summarize("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", { maximumRetryAttempts: 0, destinationConfig: { onFailure: { destination: "arn:aws:sqs:us-east-1:1:dlq" } } }),
            "retries 0, max age 21600 s; on failure → dlq");
        assert.equal(summarize("pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert", { name: "a", sensitivityThreshold: 70, action: { type: "sns", topicArn: "arn:aws:sns:us-east-1:1:t" } }), "a; sensitivity 70; sns → t");
        assert.equal(summarize("aws:iam/role:Role", { assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }),
            "trusts lambda.amazonaws.com (no condition)");
        assert.deepEqual(allowedActions(JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["a", "b"] }, { Effect: "Deny", Action: "c" }, { Effect: "Allow", Action: "a" }] })), ["a", "b"]);
    });

    it("wraps long settings under their column (on a terminal; logs get one line per resource)", () => {
        const table = formatTable([{ type: "t", name: "n", settings: "word ".repeat(30).trim() }], 60);
        const lines = table.split("\n");
        assert.ok(lines.length > 3);
        assert.ok(lines.every((l) => l.length <= 60), table);
        assert.match(lines[3], /^ {12}word/); // under SETTINGS: TYPE (4) + 2 + NAME (4) + 2
    });
});
