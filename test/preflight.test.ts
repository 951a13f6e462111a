// Preflight checks (preflight/): run by the entry point before any resource is declared.
import { strict as assert } from "assert";

import { parseConfig } from "../config";
import { checkAlertDestinations, isReservedEmailDomain } from "../preflight/alertDestinations";
import { ACCOUNT_LOOKUP_NAME, checkApiGatewayAccountLogsRole, MANAGE_ACCOUNT_LOGS_ROLE_KEY } from "../preflight/apiGatewayAccount";
import { isConfigError, runProgram, stackFileConfig, stackNames } from "./harness";
import { ACCOUNT, accountState, DEFAULT_API_GATEWAY_ROLE_ARN, reads, registered } from "./mocks";

const NS = "edge-anomaly-detection";

function devWith(area: string, patch: Record<string, unknown>): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    cfg[`${NS}:${area}`] = { ...(cfg[`${NS}:${area}`] as object), ...patch };
    return cfg;
}

const ctx = { stack: "dev", region: "us-east-1" };

describe("preflight: API Gateway account CloudWatch role (whole program from its entry point)", () => {
    afterEach(() => { accountState.apiGatewayCloudWatchRoleArn = DEFAULT_API_GATEWAY_ROLE_ARN; });

    it("role present, manageAccountLogsRole false: one read of the account settings, then the program deploys the stage", async () => {
        const run = await runProgram(stackFileConfig("dev"), "preflight-ok");
        assert.deepEqual(run.reads.map((r) => [r.type, r.name, r.id]), [["aws:apigateway/account:Account", ACCOUNT_LOOKUP_NAME, ACCOUNT]]);
        assert.equal(run.ofType("aws:apigateway/account:Account").length, 0, "the read is not a managed resource");
        assert.equal(run.ofType("aws:apigateway/stage:Stage").length, 1);
        assert.ok(run.resources.length > 50);
        // dev has no subscriber: the program warns (the harness collects pulumi.log lines instead of printing them)
        assert.deepEqual(run.log.filter((l) => /no person is notified/.test(l)).length, 1, run.log.join("\n"));
        assert.match(run.log.find((l) => /no person is notified/.test(l))!, /^warning: \[runtime\] preflight: edge-anomaly-detection:alerts\.emails/);
    });

    it("role absent, manageAccountLogsRole false: fails naming the key before any resource is registered", async () => {
        accountState.apiGatewayCloudWatchRoleArn = undefined;
        await assert.rejects(runProgram(stackFileConfig("dev"), "preflight-fresh"),
            isConfigError(MANAGE_ACCOUNT_LOGS_ROLE_KEY, /is false, but API Gateway in us-east-1 has no account-level CloudWatch Logs role.*Set it to true/s));
        assert.deepEqual(registered.map((r) => r.type), [], "nothing registered: no stack, no component, no resource");
        assert.deepEqual(reads.map((r) => r.type), ["aws:apigateway/account:Account"]);
    });

    it("role absent, manageAccountLogsRole true: reads nothing and the stack sets the role before the stage", async () => {
        accountState.apiGatewayCloudWatchRoleArn = undefined;
        const run = await runProgram(devWith("api", { manageAccountLogsRole: true }), "preflight-manage");
        assert.deepEqual(run.reads, []);
        const account = run.one("aws:apigateway/account:Account");
        assert.equal(account.inputs.cloudwatchRoleArn, run.one("aws:iam/role:Role", "apigw-logs-role").state.arn);
    });

    it("the check itself: an empty ARN fails, a set one passes, an unknown read warns and concludes nothing", async () => {
        const config = parseConfig({ api: { manageAccountLogsRole: false } }, ctx);
        await assert.rejects(checkApiGatewayAccountLogsRole(config, async () => ({ known: true, roleArn: "" })), isConfigError(MANAGE_ACCOUNT_LOGS_ROLE_KEY, /no account-level/));
        await assert.rejects(checkApiGatewayAccountLogsRole(config, async () => ({ known: true })), isConfigError(MANAGE_ACCOUNT_LOGS_ROLE_KEY, /no account-level/));
        await checkApiGatewayAccountLogsRole(config, async () => ({ known: true, roleArn: "arn:aws:iam::123456789012:role/x" }));
        await checkApiGatewayAccountLogsRole(config, async () => ({ known: false }));
        let readCalled = false;
        await checkApiGatewayAccountLogsRole(parseConfig({ api: { manageAccountLogsRole: true } }, ctx), async () => { readCalled = true; return { known: true }; });
        assert.equal(readCalled, false, "a stack that sets the role reads nothing");
    });
});

describe("preflight: alert destinations", () => {
    it("recognises the domains reserved for examples and tests (RFC 2606, RFC 6761), and only those", () => {
        for (const a of ["security-alerts@example.com", "a@EXAMPLE.org", "a@example.net", "a@mail.example.com", "a@corp.example", "a@host.test", "a@x.invalid", "a@localhost"]) {
            assert.equal(isReservedEmailDomain(a), true, a);
        }
        for (const a of ["ops@company.com", "a@notexample.com", "a@example.co", "a@examples.com", "a@testing.io", "a@example.com.au"]) {
            assert.equal(isReservedEmailDomain(a), false, a);
        }
    });

    it("refuses a placeholder email address, naming its index", () => {
        const config = parseConfig({ alerts: { emails: ["ops@company.com", "security-alerts@example.com"] } }, ctx);
        assert.throws(() => checkAlertDestinations(config, () => undefined), isConfigError(`${NS}:alerts.emails[1]`, /reserved for examples/));
    });

    it("warns when nobody is subscribed, and not otherwise", () => {
        const warnings: string[] = [];
        checkAlertDestinations(parseConfig({}, ctx), (m) => warnings.push(m));
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /alerts\.emails, alerts\.smsNumbers and alerts\.httpsEndpoints are all empty/);
        checkAlertDestinations(parseConfig({ alerts: { smsNumbers: ["+15555550100"] } }, ctx), (m) => warnings.push(m));
        assert.equal(warnings.length, 1);
    });

    it("no stack file subscribes a placeholder address (the program refuses it)", async () => {
        for (const stack of stackNames()) {
            const alerts = (stackFileConfig(stack)[`${NS}:alerts`] ?? {}) as { emails?: string[] };
            assert.deepEqual((alerts.emails ?? []).filter(isReservedEmailDomain), [], `Pulumi.${stack}.yaml`);
        }
        await assert.rejects(runProgram(devWith("alerts", { emails: ["security-alerts@example.com"] }), "preflight-placeholder"),
            isConfigError(`${NS}:alerts.emails[0]`, /reserved for examples/));
        assert.deepEqual(registered, []);
    });
});
