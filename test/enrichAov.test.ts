// A revenue composite alarm that fires because of its AOV child (revenue per checkout, `m1 / m2` = Revenue /
// Checkouts, OR'ed into the composite: components/cloudwatchDetection.ts) through the finding Lambda as deployed —
// the source handler and the serialized closure, each loaded once — with CloudWatch, Security Hub and SNS stubs
// that validate every request against the SDK's model. The fixture (test/fixtures/alerts/cw-revenue-aov-composite-
// alarm.json) carries the dev plan's composite name, rule and description; DescribeAlarms answers with the dev plan's
// AOV children (queries as the API returns them).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as cwSdk from "@aws-sdk/client-cloudwatch";
import { CloudWatchClient, DescribeAlarmsCommand, DescribeAlarmsCommandInput, GetMetricDataCommand, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import * as hubSdk from "@aws-sdk/client-securityhub";
import { BatchImportFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import * as snsSdk from "@aws-sdk/client-sns";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { findingHandlerFactory } from "../components/anomalyAlerts";
import { AlarmSpec, alarmSetRule, CompanionSpec, planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { cloudWatchDetectionArgs } from "../componentArgs";
import { parseConfig, PROJECT } from "../config";
import { ecommerceRootCauseEnv } from "../handlers/enrich/ecommerceRootCause";
import type { AlertHandlingResult } from "../handlers/securityHubFinding";
import { wafRuleMetricNames } from "../model/wafRules";
import { describedMetricAlarm, sentByHandler, stubbedRequestProblems } from "./alertCalls";
import { capturingLogs } from "./capture";
import { stackFileConfig } from "./harness";
import { loadSerialized } from "./serialized";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const ENV = {
    FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
    PEOPLE_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:edge-anomaly-detection-dev-alerts-people`,
    ECOMMERCE_ROOT_CAUSE: ecommerceRootCauseEnv({
        namespace: "EdgeAnomaly/Ecommerce", stack: "dev", periodSeconds: 60, bandWidth: 3, dimensions: { Platform: ["web", "ios"], Marketplace: ["US", "DE"] },
        byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } },
    }),
    AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
};
type Handler = (event: unknown) => Promise<AlertHandlingResult>;

const FIXTURE = "cw-revenue-aov-composite-alarm";
const fixture = (): any => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "alerts", `${FIXTURE}.json`), "utf8"));
const message = (e: any): any => JSON.parse(e.Records[0].Sns.Message);
const arn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

function devPlan(): AlarmSpec[] {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(stackFileConfig("dev"))) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
    const cfg = parseConfig(raw, { stack: "dev", region: REGION });
    return planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: "edge-webacl-abc123", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }], alerts: { topicArn: "unused" } }));
}
const plan = devPlan();
const TOTAL_SPIKE = plan.find((s) => s.key === "revenue-total-spike")!;

/** An AOV child as DescribeAlarms returns it: the planned queries in the API's shape, a state and reason. */
const aovChild = (c: CompanionSpec, state: "OK" | "ALARM", reason: string, since: string): MetricAlarm => describedMetricAlarm(c, arn(c.alarmName), state, reason, since);

// The order value doubled (a pricing error): 97.3 and 96.8 a checkout against an upper edge near 61.
const TOTAL_REASON = "Thresholds Crossed: 2 out of the last 2 datapoints [97.3 (04/03/25 10:08:00), 96.8 (04/03/25 10:07:00)] were greater than the upper thresholds [61.2, 60.9] (minimum 2 datapoints for OK -> ALARM transition).";
const WEB_REASON = "Thresholds Crossed: 3 out of the last 3 datapoints [104.1 (04/03/25 10:08:00), 99.5 (04/03/25 10:07:00), 101.0 (04/03/25 10:06:00)] were greater than the upper thresholds [66.4, 66.0, 65.8] (minimum 3 datapoints for OK -> ALARM transition).";
const OK_REASON = "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].";

describe("AOV composite fixture is the program's", () => {
    it("name, rule, description and triggering child are the dev plan's revenue total spike alarm with its AOV child", () => {
        const m = message(fixture());
        assert.ok(TOTAL_SPIKE.companion, "the revenue total spike alarm has an AOV child");
        assert.equal(m.AlarmName, TOTAL_SPIKE.alarmName);
        assert.equal(m.AlarmRule, alarmSetRule(TOTAL_SPIKE));
        assert.equal(m.AlarmDescription, TOTAL_SPIKE.description);
        assert.deepEqual(m.TriggeringChildren.map((c: any) => c.Arn), [arn(TOTAL_SPIKE.companion!.alarmName)]);
        assert.deepEqual(TOTAL_SPIKE.companion!.metricQueries.map((q) => q.expression ?? (q.metric as any).metricName), ["Revenue", "Checkouts", "m1 / m2", "ANOMALY_DETECTION_BAND(e1, 5)"]);
    });
});

for (const kind of ["source", "serialized"] as const) describe(`finding Lambda as deployed: a revenue alarm fired by its AOV child [${kind}]`, () => {
    let hub: AwsClientStub<SecurityHubClient>;
    let cw: AwsClientStub<CloudWatchClient>;
    let sns: AwsClientStub<SNSClient>;
    let saved: NodeJS.ProcessEnv;
    let handler: Handler;
    /** Each AOV child of the plan as DescribeAlarms answers: web's spike child in ALARM too, the rest OK. */
    let children: MetricAlarm[];

    before(async () => {
        saved = { ...process.env };
        Object.assign(process.env, ENV);
        hub = mockClient(SecurityHubClient);
        cw = mockClient(CloudWatchClient);
        sns = mockClient(SNSClient);
        handler = kind === "source" ? findingHandlerFactory() as unknown as Handler : await loadSerialized<Handler>(findingHandlerFactory, { factory: true });
    });
    after(() => {
        hub.restore();
        cw.restore();
        sns.restore();
        process.env = saved;
    });
    beforeEach(() => {
        hub.reset();
        cw.reset();
        sns.reset();
        children = plan.filter((s) => s.companion).map((s) => {
            const c = s.companion!;
            if (c.alarmName === TOTAL_SPIKE.companion!.alarmName) return aovChild(c, "ALARM", TOTAL_REASON, "2025-03-04T10:09:12.201Z");
            if (s.key === "revenue-platform-web-spike") return aovChild(c, "ALARM", WEB_REASON, "2025-03-04T10:09:05.000Z");
            return aovChild(c, "OK", OK_REASON, "2025-03-01T00:00:00.000Z");
        });
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
        sns.on(PublishCommand).resolves({ MessageId: "notice-1" });
        cw.on(DescribeAlarmsCommand).callsFake(async (input: DescribeAlarmsCommandInput) => {
            const types = input.AlarmTypes ?? ["MetricAlarm"];
            if (types.includes("CompositeAlarm")) {
                const m = message(fixture());
                return { CompositeAlarms: (input.AlarmNames ?? []).includes(m.AlarmName) ? [{ AlarmName: m.AlarmName, AlarmArn: m.AlarmArn, AlarmRule: m.AlarmRule, StateValue: "ALARM", StateTransitionedTimestamp: new Date("2025-03-04T10:09:12.377Z") }] : [] };
            }
            const pick = input.AlarmNamePrefix !== undefined ? children.filter((a) => a.AlarmName!.startsWith(input.AlarmNamePrefix!)) : children.filter((a) => (input.AlarmNames ?? []).includes(a.AlarmName!));
            return { MetricAlarms: pick };
        });
    });
    afterEach(() => {
        assert.deepStrictEqual(stubbedRequestProblems([[hubSdk, hub], [cwSdk, cw], [snsSdk, sns]]), [], "every Security Hub, CloudWatch and SNS request matches the SDK's model");
    });
    const { filed, notice } = sentByHandler(() => hub, () => sns);

    it("the finding says revenue per checkout (average order value) breached, with its value and band edge per checkout; the root cause lists the other AOV alarms in ALARM", async () => {
        const { error } = await capturingLogs(async () => handler(fixture()));
        assert.equal(error, undefined);
        const f = filed();
        assert.equal(f.Title, "Ecommerce revenue per checkout (average order value) anomaly above the expected band (total)");
        assert.equal(f.Id, `${arn(TOTAL_SPIKE.alarmName)}/2025-03-04T10:09:12.377Z`, "the composite's ARN and StateChangeTime");
        // 97.3 / 61.2 = 1.59: MEDIUM (BAND_SEVERITY_STEPS).
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["MEDIUM", "1.59x outside the band"]);
        const d = f.Description!;
        assert.match(d, /The value was 97\.3 revenue per checkout, above the band's upper edge 61\.2 revenue per checkout \(1\.59x the band edge, datapoint at 2025-03-04T10:08:00\.000Z\)\. Band: ANOMALY_DETECTION_BAND\(e1, 5\) on Revenue \/ Checkouts\./);
        assert.ok(d.includes("AOV band child of the composite alarm"), "the AOV child's description, not the revenue band's");
        assert.ok(!d.includes("Ecommerce Revenue (total) rose above its expected band (CloudWatch anomaly detection, 3.5"), "not the revenue band's description");
        assert.match(d, /^Root cause \(revenue per checkout, \d\d:\d\d–\d\d:\d\d UTC\): 1 of the 7 other revenue-per-checkout spike alarms \(total, watched platforms and marketplaces\) in ALARM: Platform=web 104\.1 \(upper 66\.4\)\. Not split into shares \(a ratio's deviation does not add up across platforms or marketplaces\); revenue and checkouts not broken down\./);
        const pf = f.ProductFields!;
        assert.equal(pf["edgeAnomaly/metric"], "Revenue/Checkouts");
        assert.equal(pf["edgeAnomaly/valueUnit"], "revenue per checkout");
        assert.equal(pf["edgeAnomaly/bandAlarmName"], TOTAL_SPIKE.companion!.alarmName);
        assert.deepEqual([pf["edgeAnomaly/observedValue"], pf["edgeAnomaly/bandUpper"]], ["97.3", "61.2"]);
        assert.equal(pf["edgeAnomaly/rootCause/status"], "complete");
        assert.equal(pf["edgeAnomaly/rootCause/orderValueAlarmsChecked"], "7");
        assert.equal(pf["edgeAnomaly/rootCause/orderValueAlarms"], "Platform=web 104.1 (upper 66.4)");
        assert.equal(Object.keys(pf).filter((k) => k.startsWith("edgeAnomaly/contribution/")).length, 0, "no revenue shares for a ratio");
        assert.ok(f.Resources!.some((r) => r.Id === "EdgeAnomaly/Ecommerce/Revenue/Checkouts{Stack=dev}"));
        assert.equal(cw.commandCalls(GetMetricDataCommand).length, 0, "the revenue breakdown (Sums) is not read for a ratio");
        const listed = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input).filter((i) => i.AlarmNamePrefix);
        assert.deepEqual(listed.map((i) => [i.AlarmNamePrefix, i.AlarmTypes]), [["edge-anomaly-detection-dev-ecommerce-revenue-", ["MetricAlarm"]]]);
        const n = notice();
        assert.match(n, /^MEDIUM: Ecommerce revenue per checkout \(average order value\) anomaly above the expected band \(total\)\nHow far: 1\.59x outside the band \(value 97\.3 revenue per checkout; band upper 61\.2 revenue per checkout\)\n/);
        assert.match(n, /\nRevenue per checkout elsewhere: 1 of the 7 other series' alarms in ALARM: Platform=web 104\.1 \(upper 66\.4\)\n/);
        assert.ok(!/Top contributors/.test(n), "no share line for a ratio");
    });

    it("no other AOV alarm in ALARM: the finding and the notice say the order-value change is this series' only", async () => {
        children = children.map((a) => (a.AlarmName!.includes("platform-web-spike") ? { ...a, StateValue: "OK", StateReason: OK_REASON } : a));
        const { error } = await capturingLogs(async () => handler(fixture()));
        assert.equal(error, undefined);
        assert.match(filed().Description!, /none of the 7 other revenue-per-checkout spike alarms \(total, watched platforms and marketplaces\) is in ALARM: the order-value change shows in this series only\. Not split into shares/);
        assert.match(notice(), /\nRevenue per checkout elsewhere: none of the 7 other series' alarms in ALARM\n/);
    });

    it("the revenue band child listed first in TriggeringChildren but OK: the child in ALARM (AOV) is read", async () => {
        const e = fixture();
        const m = message(e);
        m.TriggeringChildren.unshift({ Arn: arn(`${TOTAL_SPIKE.alarmName}-band`), State: { Value: "OK", Timestamp: "2025-03-04T09:00:00.000+0000" } });
        e.Records[0].Sns.Message = JSON.stringify(m);
        const { error } = await capturingLogs(async () => handler(e));
        assert.equal(error, undefined);
        assert.equal(filed().ProductFields!["edgeAnomaly/bandAlarmName"], TOTAL_SPIKE.companion!.alarmName);
        assert.match(filed().Title!, /revenue per checkout/);
    });

    it("DescribeAlarms fails for the listing: the finding is filed and notified all the same, the root cause unavailable with the reason", async () => {
        cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: "edge-anomaly-detection-dev-ecommerce-revenue-" }).rejects(Object.assign(new Error("User is not authorized to perform cloudwatch:DescribeAlarms"), { name: "AccessDenied" }));
        const { error } = await capturingLogs(async () => handler(fixture()));
        assert.equal(error, undefined);
        assert.match(filed().Description!, /^Root cause not available: the other revenue-per-checkout alarms could not be listed: AccessDenied: User is not authorized/);
        assert.match(notice(), /\nRoot cause unavailable: the other revenue-per-checkout alarms could not be listed: AccessDenied/);
    });
});
