import { strict as assert } from "assert";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { heartbeatHandlerFactory, HEARTBEAT_SCHEDULE } from "../components/blockedRequestsHeartbeat";
import { heartbeatRequests, publishHeartbeat, settingsFromEnv } from "../handlers/heartbeat";
import { ProgramRun, runProgram, stackFileConfig } from "./harness";
import { artifactsOf, forBothArtifacts, serializedText } from "./serialized";

const settings = {
    namespace: "AWS/WAFV2",
    region: "us-east-1",
    webAclName: "edge-webacl-abc123",
    rules: ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"],
};

/** The handler's plain functions, serialized together as the deployed factory captures them. */
const heartbeatFunctions = () => ({ publishHeartbeat, heartbeatRequests, settingsFromEnv });
type HeartbeatFunctions = ReturnType<typeof heartbeatFunctions>;

const DEPLOYED_ENV = { METRIC_NAMESPACE: "AWS/WAFV2", WAF_REGION: "us-east-1", WEB_ACL_NAME: "acl", WAF_RULES: "A", AWS_REGION: "us-east-1" };

forBothArtifacts("heartbeat handler", artifactsOf<HeartbeatFunctions>(heartbeatFunctions, { factory: true, name: "heartbeat-functions" }), (fns) => {
    // Stub in before() (not at file load) and restore after: other files stub and restore the same client class.
    let cw: AwsClientStub<CloudWatchClient>;
    before(() => {
        cw = mockClient(CloudWatchClient);
    });
    afterEach(() => cw.reset());
    after(() => cw.restore());

    it("sends one PutMetricData with a zero BlockedRequests datapoint per rule, minute-aligned", async () => {
        cw.on(PutMetricDataCommand).resolves({});
        const result = await fns().publishHeartbeat(new CloudWatchClient({ region: "us-east-1" }), settings, new Date("2026-11-23T10:07:42.123Z"));
        const calls = cw.commandCalls(PutMetricDataCommand);
        assert.equal(calls.length, 1);
        const ts = new Date("2026-11-23T10:07:00.000Z");
        assert.deepEqual(calls[0].args[0].input, {
            Namespace: "AWS/WAFV2",
            MetricData: settings.rules.map((rule) => ({
                MetricName: "BlockedRequests",
                Dimensions: [
                    { Name: "Region", Value: "us-east-1" },
                    { Name: "Rule", Value: rule },
                    { Name: "WebACL", Value: "edge-webacl-abc123" },
                ],
                Timestamp: ts,
                Value: 0,
                Unit: "Count",
            })),
        });
        assert.deepEqual(result, { namespace: "AWS/WAFV2", datapoints: 3, timestamp: ts.toISOString() });
    });

    it("splits more than 1,000 rules across requests", () => {
        const many = { ...settings, rules: Array.from({ length: 2001 }, (_, i) => `r${i}`) };
        const reqs = fns().heartbeatRequests(many, new Date(0));
        assert.deepEqual(reqs.map((r) => r.MetricData!.length), [1000, 1000, 1]);
        assert.deepEqual(reqs.flatMap((r) => r.MetricData!.map((d) => d.Dimensions![1].Value)), many.rules);
    });

    it("surfaces a failed call as an error (so Lambda retries and counts it), naming what failed", async () => {
        const denied = Object.assign(new Error("User is not authorized to perform: cloudwatch:PutMetricData"), { name: "AccessDenied" });
        cw.on(PutMetricDataCommand).rejects(denied);
        await assert.rejects(
            fns().publishHeartbeat(new CloudWatchClient({ region: "us-east-1", maxAttempts: 1 }), settings, new Date()),
            /heartbeat: PutMetricData to AWS\/WAFV2 failed after 0 of 3 datapoints: AccessDenied: User is not authorized/,
        );
    });

    it("reads its settings from the environment and names a missing variable", () => {
        const env = { METRIC_NAMESPACE: "AWS/WAFV2", WAF_REGION: "eu-west-1", WEB_ACL_NAME: "acl", WAF_RULES: "A, B,," };
        assert.deepEqual(fns().settingsFromEnv(env), { namespace: "AWS/WAFV2", region: "eu-west-1", webAclName: "acl", rules: ["A", "B"] });
        assert.throws(() => fns().settingsFromEnv({ ...env, WEB_ACL_NAME: "" }), /environment variable WEB_ACL_NAME is not set/);
        assert.throws(() => fns().settingsFromEnv({ ...env, WAF_RULES: " , " }), /WAF_RULES lists no rule/);
    });
});

describe("heartbeat handler as deployed", () => {
    let cw: AwsClientStub<CloudWatchClient>;
    let saved: NodeJS.ProcessEnv;
    before(() => {
        cw = mockClient(CloudWatchClient);
        saved = { ...process.env };
        Object.assign(process.env, DEPLOYED_ENV);
    });
    afterEach(() => cw.reset());
    after(() => {
        cw.restore();
        process.env = saved;
    });

    // The factory runs at load (the cold start), reading the environment set in before().
    forBothArtifacts("the factory's handler", artifactsOf<(e: unknown) => Promise<{ datapoints: number }[]>>(heartbeatHandlerFactory, { factory: true }), (handler) => {
        it("publishes through the Lambda's own client", async () => {
            cw.on(PutMetricDataCommand).resolves({});
            const log = console.log;
            console.log = () => undefined;
            try {
                const result = await handler()({ "detail-type": "Scheduled Event" });
                assert.deepEqual(result.map((r) => r.datapoints), [1]);
            } finally {
                console.log = log;
            }
            assert.equal(cw.commandCalls(PutMetricDataCommand).length, 1);
            assert.equal(await (cw.commandCalls(PutMetricDataCommand)[0].thisValue as CloudWatchClient).config.region(), "us-east-1");
        });

        it("a refused call fails the invocation with the reason (not an empty message)", async () => {
            cw.on(PutMetricDataCommand).rejects(Object.assign(new Error("denied by policy"), { name: "AccessDenied" }));
            await assert.rejects(handler()({}), (err: Error) => {
                assert.ok(err instanceof Error);
                assert.match(err.message, /^heartbeat: PutMetricData to AWS\/WAFV2 failed after 0 of 1 datapoints: AccessDenied: denied by policy$/);
                return true;
            });
        });
    });

    it("serializes as a Lambda closure (a serialization failure would hang `pulumi up`)", async () => {
        const text = await serializedText(heartbeatHandlerFactory, { factory: true });
        assert.match(text, /require\("@aws-sdk\/client-cloudwatch(\/[^"]*)?"\)/, "the SDK is required from the Lambda runtime, not bundled");
        assert.ok(!text.includes("@pulumi/aws"), "the handler does not drag the Pulumi SDK into the Lambda");
    });
});

describe("heartbeat handler as deployed, several watched web ACLs (WAF_TARGETS)", () => {
    let cw: AwsClientStub<CloudWatchClient>;
    let saved: NodeJS.ProcessEnv;
    before(() => {
        cw = mockClient(CloudWatchClient);
        saved = { ...process.env };
        delete process.env.WEB_ACL_NAME;
        delete process.env.WAF_RULES;
        Object.assign(process.env, {
            METRIC_NAMESPACE: "AWS/WAFV2", AWS_REGION: "eu-west-1",
            WAF_TARGETS: JSON.stringify([
                { region: "eu-west-1", scope: "REGIONAL", webAclName: "shop-alb-acl", rules: ["ALL", "R1"] },
                { region: "us-east-1", scope: "CLOUDFRONT", webAclName: "cdn-acl", rules: ["ALL"] },
            ]),
        });
    });
    afterEach(() => cw.reset());
    after(() => {
        cw.restore();
        process.env = saved;
    });

    forBothArtifacts("the factory's handler", artifactsOf<(e: unknown) => Promise<{ datapoints: number }[]>>(heartbeatHandlerFactory, { factory: true }), (handler) => {
        it("publishes each web ACL's zeros in the region its metrics are in, without a Region dimension for CLOUDFRONT", async () => {
            cw.on(PutMetricDataCommand).resolves({});
            const log = console.log;
            console.log = () => undefined;
            try {
                assert.deepEqual((await handler()({})).map((r) => r.datapoints), [2, 1]);
            } finally {
                console.log = log;
            }
            const calls = cw.commandCalls(PutMetricDataCommand);
            const seen = await Promise.all(calls.map(async (c) => ({
                region: await (c.thisValue as CloudWatchClient).config.region(),
                dims: c.args[0].input.MetricData!.map((d) => d.Dimensions!.map((x) => `${x.Name}=${x.Value}`).join(",")),
            })));
            assert.deepEqual(seen, [
                { region: "eu-west-1", dims: ["Region=eu-west-1,Rule=ALL,WebACL=shop-alb-acl", "Region=eu-west-1,Rule=R1,WebACL=shop-alb-acl"] },
                { region: "us-east-1", dims: ["Rule=ALL,WebACL=cdn-acl"] },
            ]);
        });
    });
});

describe("BlockedRequestsHeartbeat (under mocks)", () => {
    let run: ProgramRun;
    before(async () => {
        const cfg = stackFileConfig("dev");
        cfg["edge-anomaly-detection:heartbeat"] = { enabled: true, namespace: "AWS/WAFV2" };
        run = await runProgram(cfg, "heartbeat");
    });

    it("runs the function every 5 minutes from an EventBridge rule allowed to invoke only it", () => {
        const rule = run.one("aws:cloudwatch/eventRule:EventRule", "heartbeat");
        assert.equal(rule.inputs.scheduleExpression, HEARTBEAT_SCHEDULE);
        assert.equal(HEARTBEAT_SCHEDULE, "rate(5 minutes)");
        const fn = run.one("aws:lambda/function:Function", "heartbeat");
        const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "heartbeat");
        assert.equal(target.inputs.rule, rule.state.name);
        assert.equal(target.inputs.arn, fn.state.arn);
        const perm = run.one("aws:lambda/permission:Permission", "heartbeat");
        assert.equal(perm.inputs.principal, "events.amazonaws.com");
        assert.equal(perm.inputs.sourceArn, rule.state.arn);
        assert.equal(perm.inputs.function, fn.state.name);
    });

    it("tells the function which web ACL and rules to beat for", () => {
        const fn = run.one("aws:lambda/function:Function", "heartbeat");
        const env = fn.inputs.environment.variables;
        assert.deepEqual(Object.keys(env).sort(), ["METRIC_NAMESPACE", "WAF_TARGETS"]);
        assert.equal(env.METRIC_NAMESPACE, "AWS/WAFV2");
        // Every watched web ACL: here the stack's own, its total (Rule=ALL) and its rules, in the stack's region.
        assert.deepEqual(JSON.parse(env.WAF_TARGETS), [{
            region: "us-east-1", scope: "REGIONAL", webAclName: run.outputs.webAclName, rules: ["ALL", ...(run.outputs.wafRuleMetricNames as string[])],
        }]);
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        // No reserved concurrency: new accounts (concurrency quota 10) cannot reserve any, and a duplicate zero is harmless.
        assert.equal(fn.inputs.reservedConcurrentExecutions, undefined);
    });

    it("may only put metrics into its namespace and write its own logs", () => {
        const fn = run.one("aws:lambda/function:Function", "heartbeat");
        const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === fn.inputs.role)!;
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        assert.deepEqual(trust.Statement, [{
            Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }]);
        const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
        assert.equal(policies.length, 1);
        assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name).length, 0);
        const logGroup = run.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.state.name === fn.inputs.loggingConfig.logGroup)!;
        assert.equal(logGroup.inputs.retentionInDays, 30);
        assert.deepEqual(JSON.parse(policies[0].inputs.policy).Statement, [
            { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroup.state.arn}:*` },
            { Sid: "PutHeartbeatMetric", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "AWS/WAFV2" } } },
        ]);
    });

    it("alarms to the alert topic when beats fail (a refused PutMetricData must not go unnoticed)", () => {
        const fn = run.one("aws:lambda/function:Function", "heartbeat");
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "heartbeat-errors");
        assert.equal(alarm.inputs.namespace, "AWS/Lambda");
        assert.equal(alarm.inputs.metricName, "Errors");
        assert.deepEqual(alarm.inputs.dimensions, { FunctionName: fn.state.name });
        assert.equal(alarm.inputs.comparisonOperator, "GreaterThanThreshold");
        assert.equal(alarm.inputs.threshold, 0);
        const topic = run.one("aws:sns/topic:Topic", "alerts-topic").state.arn;
        assert.deepEqual(alarm.inputs.alarmActions, [topic]);
        assert.deepEqual(alarm.inputs.okActions, [topic]);
        const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        assert.ok(body.widgets.some((w: any) => w.type === "alarm" && w.properties.alarms.includes(alarm.state.arn)), "on the dashboard");
    });

    it("retries a failed beat briefly, then leaves it to the next run", () => {
        const cfg = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "heartbeat");
        assert.equal(cfg.inputs.maximumRetryAttempts, 2);
        assert.ok(cfg.inputs.maximumEventAgeInSeconds < 300, "a beat older than the schedule period is worthless");
    });

    it("is not deployed with the cloudwatch engine's defaults (FILL makes gaps zero)", async () => {
        const other = await runProgram(stackFileConfig("dev"), "noheartbeat"); // dev: engine cloudwatch, heartbeat unset
        assert.equal(other.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.includes("heartbeat")).length, 0);
    });
});
