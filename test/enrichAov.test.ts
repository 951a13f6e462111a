// A revenue composite alarm that fires because of its order-value ("AOV") child — a band on the mean log order
// value, e1 = `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)` (or `m1 / m2`) with m1 = OrderValueLog (Σ ln(1 + order value)) and m2 =
// Checkouts, OR'ed into the composite: components/cloudwatchDetection.ts — through the finding Lambda as deployed
// (the source handler and the serialized closure, each loaded once) with CloudWatch, Security Hub and SNS stubs that
// validate every request against the SDK's model. The alarm's numbers are x = mean ln(1 + order value); the finding
// and the notice must show the typical order value e^x - 1, and keep x in `edgeAnomaly/raw/*`. Each reason below
// states x to 6 decimals as ln(1 + v) of a round v, so the expected values are v to 2 decimals.
// The fixture (test/fixtures/alerts/cw-revenue-aov-composite-alarm.json) carries the dev plan's composite name, rule
// and description (checked against the plan); the drop case's event is built from the plan's JP drop composite the
// same way; DescribeAlarms answers with the dev plan's order-value children (queries as the API returns them) and
// reasons with the shape (M of N, period) each child's plan gives it.
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
const planned = (key: string): AlarmSpec => plan.find((s) => s.key === key) ?? assert.fail(`the dev plan has no ${key} alarm`);
const TOTAL_SPIKE = planned("revenue-total-spike");
const JP_DROP = planned("revenue-marketplace-JP-drop");
const LOG_UNIT = "x = mean ln(1 + order value); typical order value = e^x - 1";
/** A planned child's query expression by id (`e1`: the order-value ratio, `ad1`: its band). */
const expr = (c: CompanionSpec, id: string): string => c.metricQueries.find((q) => q.id === id)!.expression as string;

/** An AOV child as DescribeAlarms returns it: the planned queries in the API's shape, a state and reason. */
const aovChild = (c: CompanionSpec, state: "OK" | "ALARM", reason: string, since: string): MetricAlarm => describedMetricAlarm(c, arn(c.alarmName), state, reason, since);

/**
 * The StateReason CloudWatch gives a band alarm `c` entering ALARM: its M of N (the plan's), the breaching datapoints
 * newest first at the end of the `c.periodSeconds` periods before `newest` (UTC, dd/MM/yy HH:mm:ss), and the edge each crossed.
 */
function breachReason(c: CompanionSpec, newest: string, points: [value: number, edge: number][]): string {
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d).*$/, "$3/$2/$1 $4");
    const at = (i: number) => stamp(Date.parse(newest) - i * c.periodSeconds * 1000);
    const above = c.comparisonOperator === "GreaterThanUpperThreshold";
    return `Thresholds Crossed: ${c.datapointsToAlarm} out of the last ${c.evaluationPeriods} datapoints [${points.map(([v], i) => `${v} (${at(i)})`).join(", ")}] were `
        + `${above ? "greater than the upper" : "less than the lower"} thresholds [${points.map(([, e]) => e).join(", ")}] (minimum ${c.datapointsToAlarm} datapoints for OK -> ALARM transition).`;
}

// Order values cut by a factor of 2 the other way (a pricing error): x = ln(1 + 99) and ln(1 + 95) against upper
// edges ln(1 + 49) and ln(1 + 48) — typical order values 99.00 and 95.00 against 49.00 and 48.00.
const TOTAL_REASON = breachReason(TOTAL_SPIKE.companion!, "2025-03-04T10:08:00Z", [[4.60517, 3.912023], [4.564348, 3.89182]]);
// web (120 s): ln(1 + 120) and ln(1 + 109) against ln(1 + 60) and ln(1 + 59).
const WEB_REASON = breachReason(planned("revenue-platform-web-spike").companion!, "2025-03-04T10:08:00Z", [[4.795791, 4.110874], [4.70048, 4.094345]]);
// JP drop (120 s): ln(1 + 12.4) and ln(1 + 13.1) against lower edges ln(1 + 41.9) and ln(1 + 42.5).
const JP_REASON = breachReason(JP_DROP.companion!, "2025-03-04T10:08:00Z", [[2.595255, 3.758872], [2.646175, 3.772761]]);
// US drop: ln(1 + 20) and ln(1 + 21) against ln(1 + 38) and ln(1 + 36).
const US_DROP_REASON = breachReason(planned("revenue-marketplace-US-drop").companion!, "2025-03-04T10:08:00Z", [[3.044522, 3.663562], [3.091042, 3.610918]]);
const OK_REASON = "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].";

/**
 * The notification of the planned composite `s` at `changed`, fired by its AOV child's ALARM at `childChanged`: the
 * fixture's envelope with the plan's name, ARN, description, rule and the child as the triggering child (what the
 * fixture is for the total spike).
 */
function compositeEvent(s: AlarmSpec, changed: string, childChanged: string): any {
    const e = fixture();
    const m = message(e);
    const child = s.companion!.alarmName;
    Object.assign(m, {
        AlarmName: s.alarmName, AlarmArn: arn(s.alarmName), AlarmDescription: s.description, AlarmRule: alarmSetRule(s), StateChangeTime: changed,
        NewStateReason: m.NewStateReason.replace(/^\S+/, arn(child)), TriggeringChildren: [{ Arn: arn(child), State: { Value: "ALARM", Timestamp: childChanged } }],
    });
    e.Records[0].Sns.Message = JSON.stringify(m);
    return e;
}

describe("AOV composite fixture is the program's", () => {
    it("name, rule, description and triggering child are the dev plan's revenue total spike alarm with its order-value child (OrderValueLog / Checkouts, guarded)", () => {
        const m = message(fixture());
        assert.ok(TOTAL_SPIKE.companion, "the revenue total spike alarm has an AOV child");
        assert.equal(m.AlarmName, TOTAL_SPIKE.alarmName);
        assert.equal(m.AlarmRule, alarmSetRule(TOTAL_SPIKE));
        assert.equal(m.AlarmDescription, TOTAL_SPIKE.description);
        assert.deepEqual(m.TriggeringChildren.map((c: any) => c.Arn), [arn(TOTAL_SPIKE.companion!.alarmName)]);
        assert.deepEqual(message(compositeEvent(TOTAL_SPIKE, m.StateChangeTime, m.TriggeringChildren[0].State.Timestamp)), m, "the drop case's event is built the way the fixture is");
        // The cases below rely on these shapes: OrderValueLog (m1) over Checkouts (m2), e1 guarded by a minimum of checkouts
        // (the unguarded form is a case of its own), the band on e1; the sparse JP drop at 120 s, the total at 60 s.
        for (const c of [TOTAL_SPIKE.companion!, JP_DROP.companion!]) {
            const shape = c.metricQueries.map((q) => q.expression ?? (q.metric as any).metricName);
            assert.deepEqual(shape.slice(0, 2), ["OrderValueLog", "Checkouts"], c.alarmName);
            assert.match(shape[2], /^m1 \/ IF\(m2 >= \d+ AND FILL\(m1, -1\) >= 0, m2, 0\)$/, c.alarmName);
            assert.match(shape[3], /^ANOMALY_DETECTION_BAND\(e1, \d+(\.\d+)?\)$/, c.alarmName);
        }
        assert.deepEqual([TOTAL_SPIKE.companion!.periodSeconds, JP_DROP.companion!.periodSeconds], [60, 120]);
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
    /** Other metric alarms DescribeAlarms knows (a plain, non-composite alarm's own state). */
    let others: MetricAlarm[];
    /** The event handled: DescribeAlarms answers for its composite. */
    let event: any;
    /** The JSON log lines of the last handled event. */
    let logged: any[] = [];
    const handle = async (e: any) => {
        event = e;
        const { error, lines } = await capturingLogs(async () => handler(e));
        logged = lines;
        assert.equal(error, undefined);
    };
    const child = (c: CompanionSpec, edit: (a: MetricAlarm) => MetricAlarm) => {
        children = children.map((a) => (a.AlarmName === c.alarmName ? edit(a) : a));
    };

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
        others = [];
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
                const m = message(event);
                return { CompositeAlarms: (input.AlarmNames ?? []).includes(m.AlarmName) ? [{ AlarmName: m.AlarmName, AlarmArn: m.AlarmArn, AlarmRule: m.AlarmRule, StateValue: "ALARM", StateTransitionedTimestamp: new Date(m.StateChangeTime) }] : [] };
            }
            const all = [...children, ...others];
            const pick = input.AlarmNamePrefix !== undefined ? all.filter((a) => a.AlarmName!.startsWith(input.AlarmNamePrefix!)) : all.filter((a) => (input.AlarmNames ?? []).includes(a.AlarmName!));
            return { MetricAlarms: pick };
        });
    });
    afterEach(() => {
        assert.deepStrictEqual(stubbedRequestProblems([[hubSdk, hub], [cwSdk, cw], [snsSdk, sns]]), [], "every Security Hub, CloudWatch and SNS request matches the SDK's model");
    });
    const { filed, notice } = sentByHandler(() => hub, () => sns);

    it("spike: the finding and the notice give the typical order value e^x - 1 (99.00 against the upper edge 49.00), the alarm's x kept as raw fields; the root cause lists the other AOV alarms in ALARM, converted", async () => {
        await handle(fixture());
        const f = filed();
        assert.equal(f.Title, "Ecommerce typical order value (geometric mean) anomaly above the expected band (total)");
        assert.equal(f.Id, `${arn(TOTAL_SPIKE.alarmName)}/2025-03-04T10:09:12.377Z`, "the composite's ARN and StateChangeTime");
        // 99.00 / 49.00 = 2.02: MEDIUM (BAND_SEVERITY_STEPS). On the alarm's x, 4.60517 / 3.912023 = 1.18 would be LOW.
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["MEDIUM", "2.02x outside the band"]);
        const d = f.Description!;
        assert.ok(d.includes("The typical order value (geometric mean) was 99.00, above the band's upper edge 49.00 (2.02x the band edge, datapoint at 2025-03-04T10:08:00.000Z). "
            + `Band: ${expr(TOTAL_SPIKE.companion!, "ad1")} on OrderValueLog / Checkouts.`), d);
        assert.ok(d.includes("Order-value band child of the composite alarm"), "the AOV child's description, not the revenue band's");
        assert.ok(!d.includes("Ecommerce Revenue (total) rose above its expected band (CloudWatch anomaly detection, 3 standard"), "not the revenue band's description");
        assert.match(d, /^Root cause \(typical order value, \d\d:\d\d–\d\d:\d\d UTC\): 1 of the 7 other order-value spike alarms \(total, watched platforms and marketplaces\) in ALARM: Platform=web 120\.00 \(upper 60\.00\)\. Not split into shares \(a mean's deviation does not add up across platforms or marketplaces\); order values and checkouts not broken down\./);
        const pf = f.ProductFields!;
        assert.deepEqual(
            ["metric", "valueUnit", "metricMath", "observedValue", "bandLower", "bandUpper", "breachFactor"].map((k) => pf[`edgeAnomaly/${k}`]),
            ["OrderValueLog/Checkouts", "typical order value (geometric mean)", expr(TOTAL_SPIKE.companion!, "e1"), "99.00", undefined, "49.00", "2.0204"]);
        assert.deepEqual(["valueUnit", "observedValue", "bandLower", "bandUpper"].map((k) => pf[`edgeAnomaly/raw/${k}`]), [LOG_UNIT, "4.60517", undefined, "3.912023"], "the alarm's own numbers, as its reason states them");
        assert.equal(pf["edgeAnomaly/bandAlarmName"], TOTAL_SPIKE.companion!.alarmName);
        assert.equal(pf["edgeAnomaly/rootCause/status"], "complete");
        assert.equal(pf["edgeAnomaly/rootCause/orderValueAlarmsChecked"], "7");
        assert.equal(pf["edgeAnomaly/rootCause/orderValueAlarms"], "Platform=web 120.00 (upper 60.00)");
        assert.equal(Object.keys(pf).filter((k) => k.startsWith("edgeAnomaly/contribution/")).length, 0, "no revenue shares for a ratio");
        assert.ok(f.Resources!.some((r) => r.Id === "EdgeAnomaly/Ecommerce/OrderValueLog/Checkouts{Stack=dev}"));
        assert.equal(cw.commandCalls(GetMetricDataCommand).length, 0, "the revenue breakdown (Sums) is not read for a ratio");
        const listed = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input).filter((i) => i.AlarmNamePrefix);
        assert.deepEqual(listed.map((i) => [i.AlarmNamePrefix, i.AlarmTypes]), [["edge-anomaly-detection-dev-ecommerce-revenue-", ["MetricAlarm"]]]);
        const n = notice();
        assert.match(n, /^MEDIUM: Ecommerce typical order value \(geometric mean\) anomaly above the expected band \(total\)\nHow far: 2\.02x outside the band \(typical order value \(geometric mean\) 99\.00; band upper 49\.00\)\n/);
        assert.match(n, /\nTypical order value elsewhere: 1 of the 7 other series' alarms in ALARM: Platform=web 120\.00 \(upper 60\.00\)\n/);
        assert.ok(!/Top contributors/.test(n), "no share line for a ratio");
    });

    it("drop by marketplace (sparse, 120 s, guarded): typical order value 12.40 against the lower edge 41.90, HIGH; the other drop alarms' values converted", async () => {
        const jp = JP_DROP.companion!;
        child(jp, () => aovChild(jp, "ALARM", JP_REASON, "2025-03-04T10:09:40.000Z"));
        const us = planned("revenue-marketplace-US-drop").companion!;
        child(us, () => aovChild(us, "ALARM", US_DROP_REASON, "2025-03-04T10:09:30.000Z"));
        await handle(compositeEvent(JP_DROP, "2025-03-04T10:09:40.512+0000", "2025-03-04T10:09:40.000+0000"));
        const f = filed();
        assert.equal(f.Title, "Ecommerce typical order value (geometric mean) anomaly below the expected band: Marketplace=JP");
        // 41.90 / 12.40 = 3.38: HIGH. On x, 3.758872 / 2.595255 = 1.45 would be LOW.
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["HIGH", "3.38x outside the band"]);
        assert.ok(f.Description!.includes("The typical order value (geometric mean) was 12.40, below the band's lower edge 41.90 (3.38x the band edge, datapoint at 2025-03-04T10:08:00.000Z). "
            + `Band: ${expr(jp, "ad1")} on OrderValueLog / Checkouts.`), f.Description);
        assert.match(f.Description!, /^Root cause \(typical order value Marketplace=JP alarm, \d\d:\d\d–\d\d:\d\d UTC\): 1 of the 7 other order-value drop alarms \(total, watched platforms and marketplaces\) in ALARM: Marketplace=US 20\.00 \(lower 38\.00\)\./);
        const pf = f.ProductFields!;
        assert.deepEqual(["metric", "metricMath", "observedValue", "bandLower", "bandUpper", "raw/observedValue", "raw/bandLower"].map((k) => pf[`edgeAnomaly/${k}`]),
            ["OrderValueLog/Checkouts", expr(jp, "e1"), "12.40", "41.90", undefined, "2.595255", "3.758872"]);
        assert.equal(pf["edgeAnomaly/dimension/Marketplace"], "JP");
        assert.equal(pf["edgeAnomaly/rootCause/orderValueAlarms"], "Marketplace=US 20.00 (lower 38.00)");
        const n = notice();
        assert.match(n, /^HIGH: Ecommerce typical order value \(geometric mean\) anomaly below the expected band: Marketplace=JP\nHow far: 3\.38x outside the band \(typical order value \(geometric mean\) 12\.40; band lower 41\.90\)\n/);
        assert.match(n, /\nTypical order value elsewhere: 1 of the 7 other series' alarms in ALARM: Marketplace=US 20\.00 \(lower 38\.00\)\n/);
    });

    it("the unguarded form e1 = m1 / m2 reads the same: typical order value 99.00 against 49.00", async () => {
        const c = TOTAL_SPIKE.companion!;
        child(c, (a) => ({ ...a, Metrics: a.Metrics!.map((q) => (q.Id === "e1" ? { ...q, Expression: "m1 / m2" } : q)) }));
        await handle(fixture());
        const pf = filed().ProductFields!;
        assert.deepEqual(["metric", "metricMath", "valueUnit", "observedValue", "bandUpper", "raw/observedValue"].map((k) => pf[`edgeAnomaly/${k}`]),
            ["OrderValueLog/Checkouts", "m1 / m2", "typical order value (geometric mean)", "99.00", "49.00", "4.60517"]);
        assert.match(notice(), /\nHow far: 2\.02x outside the band \(typical order value \(geometric mean\) 99\.00; band upper 49\.00\)\n/);
    });

    it("another ratio is not taken for an order value: Revenue / Checkouts is 'Revenue per Checkouts', its values as stated, no raw fields", async () => {
        const c = TOTAL_SPIKE.companion!;
        const stated = "Thresholds Crossed: 2 out of the last 3 datapoints [97.3 (04/03/25 10:08:00), 96.8 (04/03/25 10:07:00)] were greater than the upper thresholds [61.2, 60.9] (minimum 2 datapoints for OK -> ALARM transition).";
        child(c, (a) => ({
            ...a, StateReason: stated,
            Metrics: a.Metrics!.map((q) => (q.Id === "m1" ? { ...q, MetricStat: { ...q.MetricStat!, Metric: { ...q.MetricStat!.Metric!, MetricName: "Revenue" } } } : q)),
        }));
        await handle(fixture());
        const f = filed();
        assert.equal(f.Title, "Ecommerce Revenue per Checkouts anomaly above the expected band (total)");
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["MEDIUM", "1.59x outside the band"]);
        assert.ok(f.Description!.includes("The value was 97.3 Revenue per Checkouts, above the band's upper edge 61.2 Revenue per Checkouts (1.59x the band edge"), f.Description);
        const pf = f.ProductFields!;
        assert.deepEqual(["metric", "valueUnit", "observedValue", "bandUpper"].map((k) => pf[`edgeAnomaly/${k}`]), ["Revenue/Checkouts", "Revenue per Checkouts", "97.3", "61.2"]);
        assert.deepEqual(Object.keys(pf).filter((k) => k.startsWith("edgeAnomaly/raw/")), [], "nothing converted, so no raw copy");
        assert.match(notice(), /\nHow far: 1\.59x outside the band \(Revenue per Checkouts 97\.3; band upper 61\.2\)\n/);
    });

    it("a ratio outside the ecommerce namespace (Errors / IF(Requests >= 10, ...)) is 'Errors per Requests', values as stated", async () => {
        const name = "app-error-rate";
        const reason = "Thresholds Crossed: 1 out of the last 1 datapoints [0.5 (04/03/25 10:08:00)] was greater than the upper thresholds [0.2] (minimum 1 datapoint for OK -> ALARM transition).";
        const metric = (id: string, metricName: string) => ({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: "App/Api", MetricName: metricName, Dimensions: [{ Name: "Api", Value: "orders" }] }, Period: 60, Stat: "Sum" } });
        const metrics = [metric("m1", "Errors"), metric("m2", "Requests"), { Id: "e1", Expression: "m1 / IF(m2 >= 10, m2, 0)", ReturnData: true }, { Id: "ad1", Expression: "ANOMALY_DETECTION_BAND(e1, 3)", ReturnData: true }];
        others = [{ AlarmName: name, AlarmArn: arn(name), StateValue: "ALARM", StateReason: reason, StateTransitionedTimestamp: new Date("2025-03-04T10:09:00.000Z"), ComparisonOperator: "GreaterThanUpperThreshold", EvaluationPeriods: 1, ThresholdMetricId: "ad1", Metrics: metrics }];
        const e = fixture();
        e.Records[0].Sns.Message = JSON.stringify({
            AlarmName: name, AlarmDescription: null, AWSAccountId: ACCOUNT, NewStateValue: "ALARM", NewStateReason: reason, StateChangeTime: "2025-03-04T10:09:00.000+0000",
            Region: "US East (N. Virginia)", AlarmArn: arn(name), OldStateValue: "OK",
            Trigger: { EvaluationPeriods: 1, ComparisonOperator: "GreaterThanUpperThreshold", ThresholdMetricId: "ad1", Metrics: metrics.map((m: any) => (m.MetricStat ? { ...m, MetricStat: { ...m.MetricStat, Metric: { ...m.MetricStat.Metric, Dimensions: [{ name: "Api", value: "orders" }] } } } : m)) },
        });
        await handle(e);
        const f = filed();
        assert.equal(f.Title, "Errors per Requests anomaly above the expected band: Api=orders");
        const pf = f.ProductFields!;
        assert.deepEqual(["category", "metric", "valueUnit", "observedValue", "bandUpper"].map((k) => pf[`edgeAnomaly/${k}`]), ["metric", "Errors/Requests", "Errors per Requests", "0.5", "0.2"]);
        assert.deepEqual(Object.keys(pf).filter((k) => k.startsWith("edgeAnomaly/raw/") || k.startsWith("edgeAnomaly/rootCause/")), []);
        assert.match(notice(), /\nHow far: 1x outside the band \(Errors per Requests 0\.5; band upper 0\.2\)\n/);
    });

    it("no other AOV alarm in ALARM: the finding and the notice say the order-value change is this series' only", async () => {
        children = children.map((a) => (a.AlarmName!.includes("platform-web-spike") ? { ...a, StateValue: "OK", StateReason: OK_REASON } : a));
        await handle(fixture());
        assert.match(filed().Description!, /none of the 7 other order-value spike alarms \(total, watched platforms and marketplaces\) is in ALARM: the order-value change shows in this series only\. Not split into shares/);
        assert.match(notice(), /\nTypical order value elsewhere: none of the 7 other series' alarms in ALARM\n/);
    });

    it("the revenue band child listed first in TriggeringChildren but OK: the child in ALARM (AOV) is read", async () => {
        const e = fixture();
        const m = message(e);
        m.TriggeringChildren.unshift({ Arn: arn(`${TOTAL_SPIKE.alarmName}-band`), State: { Value: "OK", Timestamp: "2025-03-04T09:00:00.000+0000" } });
        e.Records[0].Sns.Message = JSON.stringify(m);
        await handle(e);
        assert.equal(filed().ProductFields!["edgeAnomaly/bandAlarmName"], TOTAL_SPIKE.companion!.alarmName);
        assert.match(filed().Title!, /typical order value \(geometric mean\)/);
    });

    // A stack updated from the Revenue / Checkouts children: PutMetricAlarm leaves an updated alarm's state as it was
    // ("When updating an existing alarm, its StateValue is left unchanged"), so a child in ALARM keeps the StateReason
    // its previous definition wrote — arithmetic order values (97.3 against 61.2) — until it next changes state.
    // DescribeAlarms then gives the new queries (OrderValueLog / Checkouts) beside that old reason; e^97.3 - 1 is no order value.
    const STALE_REASON = "Thresholds Crossed: 2 out of the last 3 datapoints [97.3 (04/03/25 09:58:00), 96.8 (04/03/25 09:57:00)] were greater than the upper thresholds [61.2, 60.9] (minimum 2 datapoints for OK -> ALARM transition).";
    const updatedAfter = (a: MetricAlarm): MetricAlarm => ({ ...a, StateReason: STALE_REASON, StateTransitionedTimestamp: new Date("2025-03-04T09:59:00.000Z"),
        StateUpdatedTimestamp: new Date("2025-03-04T09:59:00.000Z"), AlarmConfigurationUpdatedTimestamp: new Date("2025-03-04T10:02:00.000Z") });

    it("another order-value alarm whose StateReason predates its configuration (an update from Revenue / Checkouts): listed in ALARM without values, not e^x - 1 of an old arithmetic mean", async () => {
        child(planned("revenue-platform-web-spike").companion!, updatedAfter);
        await handle(fixture());
        const f = filed();
        assert.equal(f.ProductFields!["edgeAnomaly/rootCause/orderValueAlarms"], "Platform=web");
        assert.match(f.Description!, /1 of the 7 other order-value spike alarms \(total, watched platforms and marketplaces\) in ALARM: Platform=web\. Not split/);
        assert.match(notice(), /\nTypical order value elsewhere: 1 of the 7 other series' alarms in ALARM: Platform=web\n/);
        assert.equal(f.ProductFields!["edgeAnomaly/observedValue"], "99.00", "the fired child's own reason is current and read");
    });

    it("the fired child's StateReason predates its configuration: no value, band or severity from it (MEDIUM, breach not stated), and the log says why", async () => {
        child(TOTAL_SPIKE.companion!, updatedAfter);
        await handle(fixture());
        const f = filed();
        const pf = f.ProductFields!;
        assert.deepEqual(["observedValue", "bandUpper", "breachFactor", "raw/observedValue"].map((k) => pf[`edgeAnomaly/${k}`]), [undefined, undefined, undefined, undefined]);
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["MEDIUM", "band breach not stated in the alarm reason"]);
        assert.ok(!/e\+\d/.test(f.Description! + notice()), "no exponent-sized order value anywhere");
        const warned = logged.find((l) => l.level === "warn" && /no band breach/.test(l.message));
        assert.match(warned?.reason ?? "", new RegExp(`band child ${TOTAL_SPIKE.companion!.alarmName} is ALARM: its reason predates its configuration, not read$`));
    });

    // A delivery handled after the fired child changed state again (Lambda's retries, a redrive from the DLQ): the
    // composite (ALARM(band) OR ALARM(aov-band)) is still in the same ALARM episode — the revenue band holds it — but
    // DescribeAlarms gives the child's CURRENT StateReason, written by a transition after the composite's StateChangeTime
    // (10:09:12.377): here x = ln(1 + 300) at 10:29. That is not the datapoint that fired this composite.
    it("the fired child transitioned again after the composite's StateChangeTime (a retried or redriven delivery): its newer reason is not read, no value from it", async () => {
        const later = breachReason(TOTAL_SPIKE.companion!, "2025-03-04T10:29:00Z", [[5.70711, 3.912023], [5.7, 3.89182]]);
        child(TOTAL_SPIKE.companion!, (a) => ({ ...a, StateReason: later, StateTransitionedTimestamp: new Date("2025-03-04T10:30:05.000Z"), StateUpdatedTimestamp: new Date("2025-03-04T10:30:05.000Z") }));
        await handle(fixture());
        const f = filed();
        const pf = f.ProductFields!;
        assert.deepEqual(["observedValue", "bandUpper", "breachFactor", "raw/observedValue"].map((k) => pf[`edgeAnomaly/${k}`]), [undefined, undefined, undefined, undefined]);
        assert.deepEqual([f.Severity!.Label, f.Severity!.Original], ["MEDIUM", "band breach not stated in the alarm reason"]);
        assert.ok(Date.parse(f.FirstObservedAt!) <= Date.parse(f.CreatedAt!), `no datapoint after the composite's change (${f.FirstObservedAt} > ${f.CreatedAt})`);
        assert.ok(!f.Description!.includes("300.00") && !notice().includes("300.00"), "the later transition's value is nowhere");
        const warned = logged.find((l) => l.level === "warn" && /no band breach/.test(l.message));
        assert.match(warned?.reason ?? "", new RegExp(`band child ${TOTAL_SPIKE.companion!.alarmName} is ALARM: its reason is from a later transition \\(2025-03-04T10:30:05\\.000Z\\), not read$`));
    });

    it("DescribeAlarms fails for the listing: the finding is filed and notified all the same, the root cause unavailable with the reason", async () => {
        cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: "edge-anomaly-detection-dev-ecommerce-revenue-" }).rejects(Object.assign(new Error("User is not authorized to perform cloudwatch:DescribeAlarms"), { name: "AccessDenied" }));
        await handle(fixture());
        assert.match(filed().Description!, /^Root cause not available: the other order-value alarms could not be listed: AccessDenied: User is not authorized/);
        assert.match(notice(), /\nRoot cause unavailable: the other order-value alarms could not be listed: AccessDenied/);
        assert.equal(filed().ProductFields!["edgeAnomaly/observedValue"], "99.00", "the value is converted all the same");
    });
});
