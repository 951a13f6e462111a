// Watching what a team already runs (issue 9): existing web ACLs (REGIONAL in the stack's region, CLOUDFRONT in
// us-east-1) with no demo API of the stack's own; the project's web ACL attached to existing resources
// (waf.associate); the pipeline on an existing Kinesis stream (pipeline.sourceStreamArn); rule discovery with
// WAFv2 stubbed. The whole program runs under the shared mocks from the stack files Pulumi.watch-example.yaml and
// Pulumi.watch-existing.yaml.
import { strict as assert } from "assert";

import { GetLoggingConfigurationCommand, GetLoggingConfiguration$, GetWebACLCommand, GetWebACL$, ListWebACLsCommand, ListWebACLs$, WAFV2Client } from "@aws-sdk/client-wafv2";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { ConfigError, parseConfig } from "../config";
import * as findingHandler from "../handlers/securityHubFinding";
import { discoverWatchedRules, wafv2Reader } from "../preflight/webAclRules";
import { ProgramRun, runProgram, stackFileConfig } from "./harness";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { accountState, webAclReads } from "./mocks";
import { assertValidForSdk } from "./standins/sdkSchema";

const P = "edge-anomaly-detection";
const T = {
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    composite: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    restApi: "aws:apigateway/restApi:RestApi",
    stage: "aws:apigateway/stage:Stage",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    association: "aws:wafv2/webAclAssociation:WebAclAssociation",
    topic: "aws:sns/topic:Topic",
    fn: "aws:lambda/function:Function",
    stream: "aws:kinesis/stream:Stream",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    permission: "aws:lambda/permission:Permission",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
};

// Each WAF series is a composite (actions) of a band child and a noise-floor child (both without actions).
const wafAlarms = (run: ProgramRun) => run.ofType(T.alarm).filter((a) => a.name.startsWith("detection-waf-") && !a.name.endsWith("-floor"));
const wafFloors = (run: ProgramRun) => run.ofType(T.alarm).filter((a) => a.name.startsWith("detection-waf-") && a.name.endsWith("-floor"));
const wafComposites = (run: ProgramRun) => run.ofType(T.composite).filter((a) => a.name.startsWith("detection-waf-"));
const m1 = (alarm: { inputs: Record<string, any> }) => alarm.inputs.metricQueries.find((q: any) => q.id === "m1").metric;

describe("watch: existing REGIONAL and CLOUDFRONT web ACLs, no demo API (Pulumi.watch-example.yaml, eu-west-1)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(stackFileConfig("watch-example"), "watch-example");
    });

    it("creates no API Gateway and no web ACL of its own", () => {
        assert.equal(run.ofType(T.restApi).length, 0);
        assert.equal(run.ofType(T.stage).length, 0);
        assert.equal(run.ofType(T.webAcl).length, 0);
        assert.equal(run.ofType(T.association).length, 0);
        assert.equal(run.outputs.webAclArn, undefined);
        assert.equal(run.outputs.invokeUrl, undefined);
    });

    it("one band alarm per series: each ACL's Rule=ALL and its listed rules, with the dimensions WAF publishes for its scope", () => {
        const got = wafAlarms(run).map((a) => ({ region: a.inputs.region, dims: m1(a).dimensions, ns: m1(a).namespace, metric: m1(a).metricName }));
        const regional = (rule: string) => ({ region: undefined, dims: { Region: "eu-west-1", Rule: rule, WebACL: "shop-alb-acl" }, ns: "AWS/WAFV2", metric: "BlockedRequests" });
        const cloudfront = (rule: string) => ({ region: "us-east-1", dims: { Rule: rule, WebACL: "storefront-cdn-acl" }, ns: "AWS/WAFV2", metric: "BlockedRequests" });
        assert.deepEqual(got, [
            regional("ALL"), regional("AWS-AWSManagedRulesCommonRuleSet"), regional("RateLimitPerIp"),
            cloudfront("ALL"), cloudfront("AWS-AWSManagedRulesKnownBadInputsRuleSet"),
        ]);
        for (const a of wafAlarms(run)) {
            const q = Object.fromEntries(a.inputs.metricQueries.map((x: any) => [x.id, x]));
            assert.equal(q.e1.expression, "FILL(m1, 0)", a.name);
            assert.equal(q.ad1.expression, "ANOMALY_DETECTION_BAND(e1, 3)", a.name);
            assert.equal(a.inputs.thresholdMetricId, "ad1", a.name);
            assert.equal(a.inputs.comparisonOperator, "GreaterThanUpperThreshold", a.name);
        }
        // Each band has its noise floor on the same series and a composite over both.
        const floors = wafFloors(run);
        assert.deepEqual(floors.map((f) => ({ region: f.inputs.region, dims: m1(f).dimensions })), got.map((g) => ({ region: g.region, dims: g.dims })));
        const composites = wafComposites(run);
        assert.equal(composites.length, got.length);
        for (const [i, band] of wafAlarms(run).entries()) {
            assert.equal(composites[i].inputs.alarmRule, `ALARM("${band.inputs.name}") AND ALARM("${floors[i].inputs.name}")`);
        }
    });

    it("CLOUDFRONT alarms are created in us-east-1 and notify a topic there; REGIONAL ones the stack's topic", () => {
        const topics = run.ofType(T.topic);
        const alarmTopics = topics.filter((t) => !t.name.endsWith("people-topic"));
        const home = alarmTopics.find((t) => t.inputs.region === undefined)!;
        const relay = alarmTopics.find((t) => t.inputs.region === "us-east-1")!;
        assert.ok(home && relay, "the stack's topic and a us-east-1 relay topic");
        assert.match(home.state.arn, /^arn:aws:sns:eu-west-1:/);
        assert.match(relay.state.arn, /^arn:aws:sns:us-east-1:/);
        // Band, floor and composite alike live where the series is published; only the composite acts.
        const bands = wafAlarms(run);
        const floors = wafFloors(run);
        const composites = wafComposites(run);
        assert.equal(composites.length, 5);
        for (const [i, a] of bands.entries()) {
            const cloudfront = m1(a).dimensions.WebACL === "storefront-cdn-acl";
            const region = cloudfront ? "us-east-1" : "eu-west-1";
            for (const child of [a, floors[i]]) {
                assert.equal(child.state.arn.split(":")[3], region, child.name);
                assert.equal(child.inputs.region, cloudfront ? "us-east-1" : undefined, child.name);
                assert.deepEqual([child.inputs.alarmActions, child.inputs.okActions], [[], []], `${child.name} acts only through its composite`);
            }
            const c = composites[i];
            assert.equal(c.state.arn.split(":")[3], region, c.name);
            assert.equal(c.inputs.region, cloudfront ? "us-east-1" : undefined, c.name);
            assert.deepEqual(c.inputs.alarmActions, [cloudfront ? relay.state.arn : home.state.arn], c.name);
            assert.deepEqual(c.inputs.okActions, [cloudfront ? relay.state.arn : home.state.arn], c.name);
        }
        // The relay delivers to the stack's finding Lambda, which only that topic may invoke from us-east-1.
        const finding = run.one(T.fn, "alerts-finding");
        const sub = run.ofType(T.subscription).find((s) => s.inputs.topic === relay.state.arn && s.inputs.protocol === "lambda");
        assert.equal(sub?.inputs.endpoint, finding.state.arn);
        assert.ok(run.ofType(T.permission).some((p) => p.inputs.sourceArn === relay.state.arn && p.inputs.principal === "sns.amazonaws.com"));
        // People hear of each anomaly ONCE: count what one ALARM of each composite delivers to secops@corp.internal —
        // directly (email subscriptions on the topics it notifies) and through the finding Lambda (a lambda
        // subscription on such a topic: the Lambda publishes one notice to PEOPLE_TOPIC_ARN, read by the subscriptions there).
        const subs = run.ofType(T.subscription);
        const emailsOn = (topic: string) => subs.filter((x) => x.inputs.topic === topic && x.inputs.protocol === "email" && x.inputs.endpoint === "secops@corp.internal").length;
        const peopleTopic = finding.inputs.environment.variables.PEOPLE_TOPIC_ARN;
        const deliveries = (actions: string[]) => actions.reduce((n, topic) => n + emailsOn(topic)
            + subs.filter((x) => x.inputs.topic === topic && x.inputs.protocol === "lambda" && x.inputs.endpoint === finding.state.arn).length * emailsOn(peopleTopic), 0);
        for (const c of composites) assert.equal(deliveries(c.inputs.alarmActions), 1, `${c.name}: one email per ALARM (the finding Lambda's notice)`);
        // An OK reaches no person directly; the finding Lambda sends nothing for OK (test/anomalyAlerts.test.ts).
        for (const c of composites) assert.equal(c.inputs.okActions.reduce((n: number, t: string) => n + emailsOn(t), 0), 0, `${c.name}: OK`);
        // The relay's DLQ alarm reaches people directly in us-east-1 (its own people topic), besides the finding Lambda.
        const relayDlq = run.ofType(T.alarm).find((a) => a.inputs.region === "us-east-1" && String(a.inputs.name).endsWith("us-east-1-alerts-dlq-depth"))!;
        const relayPeople = topics.find((t) => t.inputs.region === "us-east-1" && t.name.endsWith("people-topic"))!;
        assert.deepEqual(relayDlq.inputs.alarmActions, [relay.state.arn, relayPeople.state.arn]);
        assert.deepEqual(relayDlq.inputs.okActions, [relay.state.arn]);
        assert.equal(emailsOn(relayPeople.state.arn), 1);
        assert.equal(emailsOn(relay.state.arn), 0, "nobody reads the relay topic but the finding Lambda");
    });

    it("the finding Lambda reads us-east-1 alarm state and knows which region's alarms reach it", () => {
        const finding = run.one(T.fn, "alerts-finding");
        assert.equal(finding.inputs.environment.variables.ALARM_REGIONS, "us-east-1");
        assert.equal(finding.inputs.environment.variables.FINDING_REGION, "eu-west-1");
        const role = run.ofType(T.rolePolicy).find((p) => p.name.startsWith("alerts-finding"))!;
        const describe = JSON.parse(role.inputs.policy).Statement.find((s: any) => s.Action.includes("cloudwatch:DescribeAlarms"));
        assert.deepEqual(describe.Resource, ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"]);
    });

    it("the dashboard graphs every watched series in the region its metrics are in", () => {
        const body = JSON.parse(run.one(T.dashboard).inputs.dashboardBody);
        const waf = body.widgets.filter((w: any) => w.type === "metric" && w.properties.title.startsWith("Blocked requests"));
        assert.deepEqual(waf.map((w: any) => [w.properties.title, w.properties.region]), [
            ["Blocked requests — shop-alb-acl ALL", "eu-west-1"],
            ["Blocked requests — shop-alb-acl AWS-AWSManagedRulesCommonRuleSet", "eu-west-1"],
            ["Blocked requests — shop-alb-acl RateLimitPerIp", "eu-west-1"],
            ["Blocked requests — storefront-cdn-acl ALL", "us-east-1"],
            ["Blocked requests — storefront-cdn-acl AWS-AWSManagedRulesKnownBadInputsRuleSet", "us-east-1"],
        ]);
        const dims = waf.map((w: any) => w.properties.metrics[0].slice(2, -1));
        assert.deepEqual(dims[0], ["Region", "eu-west-1", "Rule", "ALL", "WebACL", "shop-alb-acl"]);
        assert.deepEqual(dims[3], ["Rule", "ALL", "WebACL", "storefront-cdn-acl"]);
    });

    it("exports every watched web ACL with where its rules came from and its detection latency", () => {
        assert.deepEqual(run.outputs.watchedWebAcls, [
            // 138 s: these rule names have no simulated background (1 blocked a minute each): a 60-a-minute attack
            // starting 42 s into a minute leaves 18 + 1 < 20 (the floor) in it, so the next minute decides: 180 − 42.
            { name: "shop-alb-acl", scope: "REGIONAL", region: "eu-west-1", rules: ["ALL", "AWS-AWSManagedRulesCommonRuleSet", "RateLimitPerIp"], rulesFrom: "listed in waf.watch", wafDetectionLatencySeconds: 138 },
            { name: "storefront-cdn-acl", scope: "CLOUDFRONT", region: "us-east-1", rules: ["ALL", "AWS-AWSManagedRulesKnownBadInputsRuleSet"], rulesFrom: "listed in waf.watch", wafDetectionLatencySeconds: 138 },
        ]);
    });
});

type FindingFunctions = Pick<typeof findingHandler, "findingSettingsFromEnv" | "handleAlertEvent">;
const findingFunctions = (): FindingFunctions => ({ findingSettingsFromEnv: findingHandler.findingSettingsFromEnv, handleAlertEvent: findingHandler.handleAlertEvent });

// Run on the handler source and on the code Pulumi serializes for the finding Lambda.
forBothArtifacts("watch: findings name the web ACL an alarm is about", artifactsOf<FindingFunctions>(findingFunctions, { factory: true, name: "finding-functions" }), (fns) => {
    it("a us-east-1 alarm on the CLOUDFRONT ACL and an eu-west-1 alarm on the REGIONAL ACL each file a finding naming that ACL", async () => {
        const h = fns();
        const s = h.findingSettingsFromEnv({
            FINDING_ACCOUNT_ID: "123456789012", FINDING_REGION: "eu-west-1", FINDING_PARTITION: "aws",
            FINDING_PRODUCT_ARN: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
            WEB_ACL_ARNS: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/0f1e2d3c",
            ALARM_REGIONS: "us-east-1",
        });
        const sent: { region: string; input: any }[] = [];
        const sender = (region: string) => ({ send: async (c: any) => { sent.push({ region, input: c.input }); return c.input.AlarmNames ? { MetricAlarms: [] } : { FailedCount: 0, FailedFindings: [] }; } }) as any;
        const clients = { securityHub: sender("eu-west-1"), cloudWatch: sender("eu-west-1"), cloudWatchFor: (r: string) => sender(r) };
        const alarm = (region: string, dims: { name: string; value: string }[]) => ({
            Records: [{ EventSource: "aws:sns", Sns: { Message: JSON.stringify({
                AlarmName: `a-${region}`, AlarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:a-${region}`, NewStateValue: "ALARM", OldStateValue: "OK",
                NewStateReason: "Thresholds Crossed", StateChangeTime: new Date().toISOString().replace("Z", "+0000"), Region: region, AWSAccountId: "123456789012",
                Trigger: {
                    ComparisonOperator: "GreaterThanUpperThreshold", ThresholdMetricId: "ad1", EvaluationPeriods: 1,
                    Metrics: [
                        { Id: "m1", ReturnData: false, MetricStat: { Metric: { Namespace: "AWS/WAFV2", MetricName: "BlockedRequests", Dimensions: dims }, Period: 60, Stat: "Sum" } },
                        { Id: "e1", Expression: "FILL(m1, 0)", ReturnData: true },
                        { Id: "ad1", Expression: "ANOMALY_DETECTION_BAND(e1, 2)", ReturnData: true },
                    ],
                },
            }) } }],
        });
        const cf = await h.handleAlertEvent(alarm("us-east-1", [{ name: "Rule", value: "ALL" }, { name: "WebACL", value: "storefront-cdn-acl" }]), clients, s);
        const reg = await h.handleAlertEvent(alarm("eu-west-1", [{ name: "Region", value: "eu-west-1" }, { name: "Rule", value: "ALL" }, { name: "WebACL", value: "shop-alb-acl" }]), clients, s);
        assert.ok(cf && reg);
        const imported = sent.filter((x) => x.input.Findings).map((x) => x.input.Findings[0]);
        const acl = (f: any) => f.Resources.find((r: any) => r.Type === "AwsWafv2WebAcl");
        assert.deepEqual([acl(imported[0]).Id, acl(imported[0]).Region], ["arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/0f1e2d3c", "us-east-1"]);
        assert.deepEqual([acl(imported[1]).Id, acl(imported[1]).Region], ["shop-alb-acl", "eu-west-1"]);
        // Each alarm's state was read in its own region.
        assert.deepEqual(sent.filter((x) => x.input.AlarmNames).map((x) => x.region), ["us-east-1", "eu-west-1"]);
    });
});

describe("watch: the project's web ACL on existing resources, the pipeline on an existing stream (Pulumi.watch-existing.yaml)", () => {
    let run: ProgramRun;
    const ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188";
    const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/site-events";
    const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    before(async () => {
        run = await runProgram(stackFileConfig("watch-existing"), "watch-existing");
    });

    it("waf.associate: the web ACL without a demo API, one association per ARN, and the ACL is watched", () => {
        assert.equal(run.ofType(T.restApi).length, 0);
        const acl = run.one(T.webAcl);
        assert.deepEqual(run.ofType(T.association).map((a) => [a.inputs.resourceArn, a.inputs.webAclArn]), [[ALB, acl.state.arn]]);
        const watched = wafAlarms(run).map((a) => m1(a).dimensions);
        assert.ok(watched.some((d) => d.WebACL === acl.state.name && d.Rule === "ALL"), "the own ACL's total");
        assert.ok(watched.some((d) => d.WebACL === "partner-api-acl" && d.Rule === "ALL"), "the watched ACL's total");
        assert.equal(watched.filter((d) => d.WebACL === "partner-api-acl").length, 1, "rules: [] watches the total only");
    });

    it("two ARNs make two associations, named by their ARN, so editing the list keeps the others", async () => {
        const c = stackFileConfig("watch-existing");
        const second = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123";
        c[`${P}:waf`] = { ...(c[`${P}:waf`] as object), associate: [ALB, second] };
        const two = await runProgram(c, "watch-two");
        const names = two.ofType(T.association).map((a) => [a.name, a.inputs.resourceArn]);
        assert.equal(names.length, 2);
        assert.deepEqual(names.find((n) => n[1] === ALB)![0], run.ofType(T.association)[0].name);
    });

    it("pipeline.sourceStreamArn: no stream created; the Firehose reads the given stream; its role is scoped to it and its key", () => {
        assert.equal(run.ofType(T.stream).length, 0);
        const firehose = run.one(T.firehose);
        assert.equal(firehose.inputs.kinesisSourceConfiguration.kinesisStreamArn, STREAM);
        const policy = JSON.parse(run.ofType(T.rolePolicy).find((p) => p.name === "ecommerce-firehose-policy")!.inputs.policy);
        const read = policy.Statement.find((s: any) => s.Sid === "ReadSourceStream");
        assert.equal(read.Resource, STREAM);
        const decrypt = policy.Statement.find((s: any) => s.Sid === "DecryptSourceStream");
        assert.equal(decrypt.Resource, KEY);
        assert.deepEqual(decrypt.Condition, { StringEquals: { "kms:ViaService": "kinesis.us-east-1.amazonaws.com" }, StringLike: { "kms:EncryptionContext:aws:kinesis:arn": STREAM } });
        assert.equal(run.outputs.streamName, "site-events");
        // Ecommerce findings name the given stream.
        assert.equal(run.one(T.fn, "alerts-finding").inputs.environment.variables.ECOMMERCE_STREAM_ARN, STREAM);
    });

    it("an existing stream without a customer managed key: no decrypt statement at all", async () => {
        const c = stackFileConfig("watch-existing");
        c[`${P}:pipeline`] = { sourceStreamArn: STREAM };
        const r = await runProgram(c, "watch-nokey");
        const policy = JSON.parse(r.ofType(T.rolePolicy).find((p) => p.name === "ecommerce-firehose-policy")!.inputs.policy);
        assert.equal(policy.Statement.find((s: any) => s.Sid === "DecryptSourceStream"), undefined);
        assert.equal(policy.Statement.find((s: any) => s.Sid === "ReadSourceStream").Resource, STREAM);
    });
});

describe("watch: config validation names the key", () => {
    const parse = (raw: Record<string, unknown>, region = "eu-west-1") => parseConfig(raw, { stack: "t", region });
    const fails = (raw: Record<string, unknown>, key: string, message: RegExp, region?: string) =>
        assert.throws(() => parse(raw, region), (e: unknown) => e instanceof ConfigError && e.key === key && message.test(e.message));

    it("waf.associate: a malformed ARN, a CloudFront distribution and another region's ALB are refused", () => {
        fails({ waf: { associate: ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188"] } },
            `${P}:waf.associate[0]`, /not the ARN of a resource a regional web ACL can protect/);
        fails({ waf: { associate: ["arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"] } }, `${P}:waf.associate[0]`, /CloudFront distributions name their web ACL themselves/);
        fails({ waf: { associate: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/50dc6c495c0c9188"] } },
            `${P}:waf.associate[0]`, /Application Load Balancer in us-east-1; the project's web ACL is REGIONAL in eu-west-1/);
        fails({ waf: { associate: ["not-an-arn"] } }, `${P}:waf.associate[0]`, /is not an ARN/);
    });

    it("waf.associate accepts each documented resource ARN form", () => {
        const arns = [
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod",
            "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz",
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123",
            "arn:aws:apprunner:eu-west-1:123456789012:service/my-service/8fe1e10304f84fd2b0df550fe98a71fa",
            "arn:aws:ec2:eu-west-1:123456789012:verified-access-instance/vai-0ce000c0b7643abea",
        ];
        assert.deepEqual(parse({ waf: { associate: arns } }).waf.associate, arns);
    });

    it("waf.watch: scope, name and reserved rule names are checked; a web ACL listed twice is refused", () => {
        fails({ waf: { watch: [{ name: "a", scope: "GLOBAL" }] } }, `${P}:waf.watch[0].scope`, /REGIONAL, CLOUDFRONT/);
        fails({ waf: { watch: [{ scope: "REGIONAL" }] } }, `${P}:waf.watch[0].name`, /is required/);
        fails({ waf: { watch: [{ name: "has space", scope: "REGIONAL" }] } }, `${P}:waf.watch[0].name`, /not a web ACL name/);
        fails({ waf: { watch: [{ name: "a", scope: "REGIONAL", rules: ["ALL"] }] } }, `${P}:waf.watch[0].rules[0]`, /always watched/);
        fails({ waf: { watch: [{ name: "a", scope: "REGIONAL" }, { name: "a", scope: "REGIONAL" }] } }, `${P}:waf.watch`, /twice/);
        fails({ waf: { watch: [{ name: "a", scope: "REGIONAL", extra: 1 }] } }, `${P}:waf.watch[0].extra`, /unknown key/);
        assert.deepEqual(parse({ waf: { watch: [{ name: "a", scope: "REGIONAL" }, { name: "a", scope: "CLOUDFRONT", rules: [] }] } }).waf.watch,
            [{ name: "a", scope: "REGIONAL" }, { name: "a", scope: "CLOUDFRONT", rules: [] }]);
    });

    it("pipeline.sourceStreamArn / sourceStreamKeyArn: form, region, and the key only with a stream", () => {
        fails({ pipeline: { sourceStreamArn: "arn:aws:kinesis:eu-west-1:123456789012:deliverystream/x" } }, `${P}:pipeline.sourceStreamArn`, /not a Kinesis data stream ARN/);
        fails({ pipeline: { sourceStreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/x" } }, `${P}:pipeline.sourceStreamArn`, /must be there/);
        fails({ pipeline: { sourceStreamKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" } }, `${P}:pipeline.sourceStreamKeyArn`, /without pipeline.sourceStreamArn/);
        fails({ pipeline: { sourceStreamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/x", sourceStreamKeyArn: "alias/aws/kinesis" } }, `${P}:pipeline.sourceStreamKeyArn`, /not a KMS key ARN/);
    });

    it("api.enabled is a boolean, default true", () => {
        assert.equal(parse({}).api.enabled, true);
        assert.equal(parse({ api: { enabled: "false" } }).api.enabled, false);
        fails({ api: { enabled: "no" } }, `${P}:api.enabled`, /not a boolean/);
    });
});

describe("watch: rule discovery (WAFv2 stubbed)", () => {
    // Stubbed in before() (not at file load) and restored after: other files stub the same client class.
    let wafv2: AwsClientStub<WAFV2Client>;
    before(() => {
        wafv2 = mockClient(WAFV2Client);
    });
    afterEach(() => wafv2.reset());
    after(() => wafv2.restore());
    const config = (watch: unknown[]) => parseConfig({ waf: { watch } }, { stack: "t", region: "eu-west-1" });
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };

    it("reads the rules of an ACL without `rules` (ListWebACLs pages, then GetWebACL), reports rules without metrics; of a listed one only its ARN and logging", async () => {
        logs.length = 0;
        const regions: string[] = [];
        const LISTED_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/listed/77aa";
        wafv2.on(ListWebACLsCommand).callsFake(async (input) => {
            assertValidForSdk(ListWebACLs$ as never, input);
            assert.ok(input.Limit >= 1 && input.Limit <= 100, "ListWebACLs Limit is 1–100");
            if (input.Scope === "REGIONAL") return { WebACLs: input.NextMarker ? [] : [{ Name: "listed", Id: "77aa", ARN: LISTED_ARN }], NextMarker: "end" };
            return input.NextMarker === undefined
                ? { WebACLs: [{ Name: "other", Id: "1", ARN: "arn:x" }], NextMarker: "page2" }
                : { WebACLs: [{ Name: "storefront-cdn-acl", Id: "3f2a", ARN: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/3f2a" }], NextMarker: "page3" };
        });
        wafv2.on(GetWebACLCommand).callsFake(async (input) => {
            assertValidForSdk(GetWebACL$ as never, input);
            if (input.Scope === "REGIONAL") {
                assert.deepEqual(input, { Name: "listed", Scope: "REGIONAL", Id: "77aa" });
                // Its rules are not used: the listed ones are watched.
                return { WebACL: { Name: "listed", Id: "77aa", ARN: LISTED_ARN, DefaultAction: { Allow: {} }, VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: "listed", SampledRequestsEnabled: true },
                    Rules: [{ Name: "other", Priority: 0, Statement: {}, VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: "other", SampledRequestsEnabled: true } }] } } as never;
            }
            assert.deepEqual(input, { Name: "storefront-cdn-acl", Scope: "CLOUDFRONT", Id: "3f2a" });
            return {
                WebACL: {
                    Name: "storefront-cdn-acl", Id: "3f2a", ARN: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/3f2a",
                    DefaultAction: { Allow: {} }, VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: "cdn", SampledRequestsEnabled: true },
                    Rules: [
                        { Name: "common", Priority: 0, Statement: {}, VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: "AWS-Common", SampledRequestsEnabled: true } },
                        { Name: "geo-block", Priority: 1, Statement: {}, VisibilityConfig: { CloudWatchMetricsEnabled: false, MetricName: "geo", SampledRequestsEnabled: false } },
                    ],
                },
            } as never;
        });
        const reader = wafv2Reader(undefined, (region) => {
            regions.push(region);
            return new WAFV2Client({ region });
        });
        wafv2.on(GetLoggingConfigurationCommand).callsFake(async (input) => {
            assertValidForSdk(GetLoggingConfiguration$ as never, input);
            if (input.ResourceArn === LISTED_ARN) return { LoggingConfiguration: { ResourceArn: LISTED_ARN, LogDestinationConfigs: ["arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-listed:*"] } };
            assert.deepEqual(input, { ResourceArn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/3f2a" });
            return { LoggingConfiguration: { ResourceArn: input.ResourceArn, LogDestinationConfigs: ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-storefront"] } };
        });
        const found = await discoverWatchedRules(config([
            { name: "storefront-cdn-acl", scope: "CLOUDFRONT" },
            { name: "listed", scope: "REGIONAL", rules: ["r1"] },
        ]), reader, log);
        assert.deepEqual([...found.entries()], [["cloudfront-storefront-cdn-acl", {
            rules: ["AWS-Common"], arn: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/storefront-cdn-acl/3f2a", withoutMetrics: ["geo-block"],
            logGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-storefront",
        }], ["regional-listed", {
            rules: ["r1"], arn: LISTED_ARN, withoutMetrics: [], logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-listed",
        }]], "the CloudWatch Logs destination of its logging configuration (for the finding Lambda's WAF root cause); a listed ACL keeps its listed rules");
        assert.deepEqual(regions, ["us-east-1", "eu-west-1"], "CLOUDFRONT scope is read in us-east-1, REGIONAL in the stack's region");
        assert.equal(wafv2.commandCalls(ListWebACLsCommand, { Scope: "CLOUDFRONT" }).length, 2, "followed NextMarker to the second page");
        assert.ok(logs.some((l) => /^warn .*waf\.watch\[0\].*publish no CloudWatch metrics and are not watched: geo-block/.test(l)), logs.join("\n"));
        assert.ok(logs.some((l) => /^info .*waf\.watch\[1\].*rules listed in config \(r1\), not read; ARN and logging configuration read/.test(l)), logs.join("\n"));
    });

    it("a listed ACL whose ARN cannot be read (refused, or no such ACL) is watched all the same, with a warning; the preview does not fail", async () => {
        logs.length = 0;
        wafv2.on(ListWebACLsCommand).rejects(Object.assign(new Error("User is not authorized to perform: wafv2:ListWebACLs"), { name: "AccessDeniedException" }));
        const reader = wafv2Reader(undefined, (region) => new WAFV2Client({ region, maxAttempts: 1 }));
        assert.deepEqual([...(await discoverWatchedRules(config([{ name: "listed", scope: "REGIONAL", rules: ["r1"] }]), reader, log)).entries()], []);
        assert.ok(logs.some((l) => /^warn .*waf\.watch\[0\].*rules listed in config \(r1\), not read; its ARN and logging configuration could not be read \(AccessDeniedException: User is not authorized/.test(l)), logs.join("\n"));
        logs.length = 0;
        wafv2.reset();
        wafv2.on(ListWebACLsCommand).resolves({ WebACLs: [] });
        assert.deepEqual([...(await discoverWatchedRules(config([{ name: "listed", scope: "REGIONAL", rules: ["r1"] }]), reader, log)).entries()], []);
        assert.ok(logs.some((l) => /^warn .*waf\.watch\[0\].*no REGIONAL web ACL of that name in eu-west-1: its ARN is unknown and its findings carry no root cause/.test(l)), logs.join("\n"));
    });

    it("a web ACL that does not exist fails naming the key and the ACL", async () => {
        wafv2.on(ListWebACLsCommand).resolves({ WebACLs: [] });
        const reader = wafv2Reader(undefined, (region) => new WAFV2Client({ region }));
        await assert.rejects(discoverWatchedRules(config([{ name: "ok", scope: "REGIONAL", rules: [] }, { name: "gone-acl", scope: "REGIONAL" }]), reader, log),
            (e: unknown) => e instanceof ConfigError && e.key === `${P}:waf.watch[1].name` && /no REGIONAL web ACL named "gone-acl" in eu-west-1/.test(e.message));
    });

    it("a failed WAFv2 call keeps its reason (not reported as a missing ACL)", async () => {
        wafv2.on(ListWebACLsCommand).rejects(Object.assign(new Error("User is not authorized to perform: wafv2:ListWebACLs"), { name: "AccessDeniedException" }));
        const reader = wafv2Reader(undefined, (region) => new WAFV2Client({ region, maxAttempts: 1 }));
        await assert.rejects(discoverWatchedRules(config([{ name: "a", scope: "REGIONAL" }]), reader, log), /not authorized to perform: wafv2:ListWebACLs/);
    });

    it("the whole program: discovered rules become alarms; the finding Lambda gets the ACL's ARN; a missing ACL fails preview", async () => {
        const c = stackFileConfig("watch-example");
        c[`${P}:waf`] = { watch: [{ name: "shop-alb-acl", scope: "REGIONAL" }, { name: "listed-acl", scope: "REGIONAL", rules: ["r9"] }] };
        const arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop-alb-acl/9e8d";
        const group = "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-shop";
        const listedArn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/listed-acl/5c4b";
        const listedGroup = "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-listed";
        accountState.webAcls.set("REGIONAL/shop-alb-acl", {
            arn, totalMetricsEnabled: true, logDestinations: [`${group}:*`],
            rules: [{ name: "r1", metricName: "R1-metric", cloudWatchMetricsEnabled: true }, { name: "quiet", metricName: "quiet", cloudWatchMetricsEnabled: false }],
        });
        accountState.webAcls.set("REGIONAL/listed-acl", {
            arn: listedArn, totalMetricsEnabled: true, logDestinations: [listedGroup], rules: [{ name: "unlisted", metricName: "unlisted", cloudWatchMetricsEnabled: true }],
        });
        webAclReads.length = 0;
        accountState.offlineWebAcls = false;
        try {
            const run = await runProgram(c, "watch-discovery");
            assert.deepEqual(webAclReads, [{ name: "shop-alb-acl", scope: "REGIONAL", stackRegion: "eu-west-1" }, { name: "listed-acl", scope: "REGIONAL", stackRegion: "eu-west-1" }]);
            assert.deepEqual(wafAlarms(run).map((a) => m1(a).dimensions.Rule), ["ALL", "R1-metric", "ALL", "r9"], "the listed ACL's listed rules, not the ones it has");
            const env = run.one(T.fn, "alerts-finding").inputs.environment.variables;
            assert.equal(env.WEB_ACL_ARNS, `${arn},${listedArn}`);
            assert.deepEqual(JSON.parse(env.WAF_LOG_GROUPS), { [arn]: group, [listedArn]: listedGroup }, "their log groups, read at preview, for the WAF root cause (the listed ACL's too)");
            assert.deepEqual((run.outputs.watchedWebAcls as any[]).map((w) => w.rulesFrom), ["read with GetWebACL", "listed in waf.watch"]);
        } finally {
            accountState.webAcls.delete("REGIONAL/shop-alb-acl");
            accountState.webAcls.delete("REGIONAL/listed-acl");
        }
        await assert.rejects(runProgram(c, "watch-missing"), (e: unknown) => e instanceof ConfigError && e.key === `${P}:waf.watch[0].name` && /shop-alb-acl/.test(e.message));
    });
});
