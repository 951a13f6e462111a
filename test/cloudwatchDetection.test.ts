// CloudWatchDetection under Pulumi mocks: one anomaly-band alarm per WAF rule on FILL(BlockedRequests, 0), spike
// and drop alarms per ecommerce series on the EMF metrics, the noise floors as composite alarms (band child AND
// floor child, actions only on the composite), every acting alarm wired to the alert topic for ALARM and OK,
// the alarm windows widened by the filling datapoints, and config errors that name the key before anything is
// registered.
import * as assert from "assert";

import { AppConfig, ConfigError, PROJECT } from "../config";
import { CloudWatchDetection, allEcommerceSeries, planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { METRIC_NAMESPACE } from "../model/ecommerceSchema";
import { wafRuleMetricNames } from "../model/wafRules";
import { cloudWatchDetectionArgs, ecommerceSeriesSettingsOf } from "../componentArgs";
import { ProgramRun, runWith, stackFileConfig } from "./harness";
import { ACCOUNT, REGION, Registered, registered } from "./mocks";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-alerts`;
const ACL = "edge-web-acl";

function devWith(detection: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    const key = `${PROJECT}:detection`;
    cfg[key] = { ...(cfg[key] as object), ...detection };
    return cfg;
}

async function build(config: Record<string, unknown>): Promise<{ run: ProgramRun; cfg: AppConfig }> {
    let cfg: AppConfig | undefined;
    const run = await runWith(config, (c) => {
        cfg = c;
        return new CloudWatchDetection("detection", cloudWatchDetectionArgs(c, {
            webAcls: [{ key: "", name: ACL, scope: "REGIONAL", rules: wafRuleMetricNames(c.waf) }],
            alerts: { topicArn: TOPIC },
        }));
    });
    return { run, cfg: cfg! };
}

function query(alarm: Registered, id: string): Record<string, any> {
    const q = (alarm.inputs.metricQueries as Record<string, any>[]).find((x) => x.id === id);
    assert.ok(q, `${alarm.name} has no query ${id}`);
    return q;
}

function byName(run: ProgramRun, suffix: string): Registered {
    const hits = run.ofType(ALARM).filter((a) => a.name === `detection-${suffix}`);
    assert.strictEqual(hits.length, 1, `one metric alarm named detection-${suffix}`);
    return hits[0];
}

/**
 * One datapoint of an order-value child's e1 under the rules of the CloudWatch User Guide, "Using metric math", for
 * the forms the plan writes (`m1 / m2`, `m1 / IF(m2 >= n[ AND FILL(m1, -1) >= 0], m2, 0)`); undefined: no datapoint.
 * Rules used: arithmetic and logical operators between two series treat a value missing in one as 0 ("Missing values
 * in a time series are treated as 0"; the comparison table's `metric1 > 15 AND metric2 > 15`); a comparison of a
 * series with a scalar has no point where the series has none; FILL(m, v) gives v where m has none; IF(TS, TS, S) is
 * metric2's value when true (0 if it has none), the scalar when false, and dropped where the condition has no point;
 * a division by zero drops the datapoint.
 */
function documentedE1(expression: string, m1: number | undefined, m2: number | undefined): number | undefined {
    const form = /^m1 \/ (?:m2|IF\(m2 >= (\d+)( AND FILL\(m1, -1\) >= 0)?, m2, 0\))$/.exec(expression);
    assert.ok(form, `an e1 form this check knows: ${expression}`);
    const pair = (a: number | undefined, b: number | undefined, op: (x: number, y: number) => number | undefined) => (a === undefined && b === undefined ? undefined : op(a ?? 0, b ?? 0));
    const atLeast = (v: number | undefined, n: number) => (v === undefined ? undefined : v >= n ? 1 : 0);
    let den = m2;
    if (form[1]) {
        let cond = atLeast(m2, Number(form[1]));
        if (form[2]) cond = pair(cond, atLeast(m1 ?? -1, 0), (x, y) => (x && y ? 1 : 0));
        den = cond === undefined ? undefined : cond ? (m2 ?? 0) : 0;
    }
    return pair(m1, den, (x, y) => (y === 0 ? undefined : x / y));
}

describe("CloudWatchDetection (cloudwatch engine)", () => {
    let run: ProgramRun;
    let cfg: AppConfig;

    before(async () => {
        ({ run, cfg } = await build(stackFileConfig("dev")));
    });

    it("registers the component with its type token", () => {
        assert.strictEqual(run.ofType("edge-anomaly:detection:CloudWatchDetection").length, 1);
    });

    it("dev stack: (Rule=ALL + 3 WAF rules) + 16 series × (spike, drop) = 36 acting alarms; WAF and drop alarms are composites of a band and a floor child", () => {
        const rules = wafRuleMetricNames(cfg.waf);
        assert.deepStrictEqual(rules, ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
        assert.strictEqual(allEcommerceSeries(ecommerceSeriesSettingsOf(cfg)).length, 16);
        // metric alarms: 4 × (band, floor) + 16 × (spike, drop band, drop baseline) + 8 revenue series × 2 AOV children
        // = 72; composites: 4 WAF + 16 drops + 8 revenue spikes = 28
        assert.strictEqual(run.ofType(ALARM).length, 72);
        assert.strictEqual(run.ofType(COMPOSITE).length, 28);
        const names = [...run.ofType(ALARM).map((a) => a.inputs.name as string), ...run.ofType(COMPOSITE).map((a) => a.inputs.alarmName as string)];
        assert.strictEqual(new Set(names).size, 100, "alarm names are unique");
        for (const n of names) assert.ok(n.length <= 255 && /^[\x20-\x7e]+$/.test(n), `alarm name ${n} must be ≤ 255 ASCII characters`);
        assert.strictEqual((run.outputs.alarmArns as string[]).length, 36);
    });

    it("per WAF rule: BlockedRequests Sum per minute with Region/Rule/WebACL, FILL to 0, band child above ANOMALY_DETECTION_BAND(e1, 3)", () => {
        for (const rule of wafRuleMetricNames(cfg.waf)) {
            const a = byName(run, `waf-${rule}`);
            assert.deepStrictEqual(query(a, "m1"), {
                id: "m1",
                metric: {
                    namespace: "AWS/WAFV2",
                    metricName: "BlockedRequests",
                    dimensions: { Region: "us-east-1", Rule: rule, WebACL: ACL },
                    period: 60,
                    stat: "Sum",
                },
                returnData: false,
            });
            assert.deepStrictEqual(
                [query(a, "e1").expression, query(a, "e1").returnData, query(a, "ad1").expression, query(a, "ad1").returnData],
                ["FILL(m1, 0)", true, "ANOMALY_DETECTION_BAND(e1, 3)", true],
            );
            assert.strictEqual((a.inputs.metricQueries as unknown[]).length, 3);
            assert.strictEqual(a.inputs.thresholdMetricId, "ad1");
            assert.strictEqual(a.inputs.comparisonOperator, "GreaterThanUpperThreshold");
            assert.strictEqual(a.inputs.threshold, undefined, "a band alarm has no static threshold");
            // Default 1 of 1, plus the minute WAF has not reported yet (always 0 after FILL).
            assert.deepStrictEqual([a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm], [2, 1]);
            assert.strictEqual(a.inputs.treatMissingData, "notBreaching");
            const name = `edge-anomaly-detection-${cfg.stack}-waf-${rule}-blocked-requests-spike`;
            assert.strictEqual(a.inputs.name, `${name}-band`);
            assert.match(a.inputs.alarmDescription, new RegExp(`rule ${rule} of REGIONAL web ACL ${ACL} \\(metrics in us-east-1\\) rose above its expected band .*3 standard deviations.* 1 of the last 1 complete 60-second datapoints.*at least 20 blocked requests`));
        }
    });

    it("WAF noise floor: a floor child 'Sum over the 120 s window ≥ detection.minBlockedRequests' and a composite that alone acts", () => {
        const rule = "AWSManagedRulesCommonRuleSet";
        const name = `edge-anomaly-detection-${cfg.stack}-waf-${rule}-blocked-requests-spike`;
        const band = byName(run, `waf-${rule}`);
        const floor = byName(run, `waf-${rule}-floor`);
        const composite = run.one(COMPOSITE, `detection-waf-${rule}-composite`);
        assert.deepStrictEqual(query(floor, "m1").metric, { namespace: "AWS/WAFV2", metricName: "BlockedRequests", dimensions: { Region: "us-east-1", Rule: rule, WebACL: ACL }, period: 120, stat: "Sum" });
        assert.strictEqual(query(floor, "e1").expression, "FILL(m1, 0)");
        assert.deepStrictEqual(
            [floor.inputs.name, floor.inputs.comparisonOperator, floor.inputs.threshold, floor.inputs.evaluationPeriods, floor.inputs.datapointsToAlarm, floor.inputs.thresholdMetricId],
            [`${name}-floor`, "GreaterThanOrEqualToThreshold", 20, 1, 1, undefined],
        );
        assert.strictEqual(composite.inputs.alarmName, name);
        assert.strictEqual(composite.inputs.alarmRule, `ALARM("${name}-band") AND ALARM("${name}-floor")`);
        assert.deepStrictEqual([composite.inputs.alarmActions, composite.inputs.okActions, composite.inputs.actionsEnabled], [[TOPIC], [TOPIC], true]);
        for (const child of [band, floor]) {
            assert.strictEqual(child.inputs.actionsEnabled, true, child.name);
            assert.deepStrictEqual([child.inputs.alarmActions ?? [], child.inputs.okActions ?? []], [[], []], `${child.name} has no actions`);
        }
    });

    it("acting alarms (composites and spike alarms) notify the alert topic on ALARM and OK; children notify nobody; all carry the stack tags", () => {
        const tags = { owner: "platform-security", environment: "dev", app: "edge-anomaly-detection", stack: cfg.stack };
        const acting = [...run.ofType(COMPOSITE), ...run.ofType(ALARM).filter((a) => (a.inputs.alarmActions ?? []).length > 0)];
        assert.strictEqual(acting.length, 36);
        for (const a of acting) {
            assert.deepStrictEqual(a.inputs.alarmActions, [TOPIC], a.name);
            assert.deepStrictEqual(a.inputs.okActions, [TOPIC], a.name);
            assert.strictEqual(a.inputs.insufficientDataActions, undefined, a.name);
        }
        for (const a of [...run.ofType(ALARM), ...run.ofType(COMPOSITE)]) {
            assert.deepStrictEqual(a.inputs.tags, tags);
            assert.ok((a.inputs.alarmDescription as string).length <= 1024, `${a.name} description too long`);
        }
        assert.strictEqual(run.ofType(ALARM).filter((a) => (a.inputs.alarmActions ?? []).length === 0 && (a.inputs.okActions ?? []).length === 0).length, 72 - 8); // only the 8 views spikes are plain acting alarms
    });

    it("ecommerce spike alarm: Views for Platform=web from the EMF namespace, 1-minute Sum, above the band, 2 of 3", () => {
        const a = byName(run, "views-platform-web-spike");
        assert.deepStrictEqual(query(a, "m1").metric, {
            namespace: METRIC_NAMESPACE,
            metricName: "Views",
            dimensions: { Stack: cfg.stack, Platform: "web" },
            period: 60,
            stat: "Sum",
        });
        assert.strictEqual(query(a, "e1").expression, "FILL(m1, 0)");
        assert.strictEqual(query(a, "ad1").expression, "ANOMALY_DETECTION_BAND(e1, 3)");
        assert.deepStrictEqual(
            [a.inputs.comparisonOperator, a.inputs.thresholdMetricId, a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm, a.inputs.treatMissingData],
            ["GreaterThanUpperThreshold", "ad1", 3, 2, "notBreaching"],
        );
        // sparse series (revenue by dimension): 300 s periods (detection.sparsePeriodSeconds), 3 of 3 complete + 1
        // filling, band 3 + 0.5
        const sparse = byName(run, "revenue-marketplace-JP-spike");
        assert.deepStrictEqual([sparse.inputs.evaluationPeriods, sparse.inputs.datapointsToAlarm, query(sparse, "m1").metric.period], [4, 3, 300]);
        assert.strictEqual(query(sparse, "ad1").expression, "ANOMALY_DETECTION_BAND(e1, 3.5)");
    });

    it("ecommerce drop: band child below the band, sparse 1 complete + 1 filling at 300 s (dense: 2 of 3 + 1), keeps state when silent; baseline child over the last hour", () => {
        const a = byName(run, "revenue-marketplace-JP-drop");
        assert.deepStrictEqual(query(a, "m1").metric.dimensions, { Stack: cfg.stack, Marketplace: "JP" });
        assert.strictEqual(query(a, "m1").metric.metricName, "Revenue");
        assert.deepStrictEqual(
            [a.inputs.comparisonOperator, a.inputs.thresholdMetricId, a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm, a.inputs.treatMissingData],
            ["LessThanLowerThreshold", "ad1", 2, 2, "ignore"],
        );
        const name = `edge-anomaly-detection-${cfg.stack}-ecommerce-revenue-marketplace-JP-drop`;
        assert.strictEqual(a.inputs.name, `${name}-band`);
        const baseline = byName(run, "revenue-marketplace-JP-drop-baseline");
        assert.deepStrictEqual(query(baseline, "m1").metric, { namespace: METRIC_NAMESPACE, metricName: "Revenue", dimensions: { Stack: cfg.stack, Marketplace: "JP" }, period: 3600, stat: "Sum" });
        // detection.dropBaselineFloor.revenue 1500 a minute at 60 s → the same count per 300 s datapoint: 300 a
        // minute, 18,000 over the hour; the total (60 s) keeps 90,000
        assert.deepStrictEqual([baseline.inputs.comparisonOperator, baseline.inputs.threshold, baseline.inputs.alarmActions], ["GreaterThanOrEqualToThreshold", 18000, []]);
        assert.strictEqual(byName(run, "revenue-total-drop-baseline").inputs.threshold, 90000);
        assert.deepStrictEqual([byName(run, "revenue-total-drop").inputs.evaluationPeriods, byName(run, "revenue-total-drop").inputs.datapointsToAlarm], [4, 3]);
        assert.strictEqual(byName(run, "views-total-drop-baseline").inputs.threshold, 1200); // views floor 20 a minute
        const composite = run.one(COMPOSITE, "detection-revenue-marketplace-JP-drop-composite");
        assert.strictEqual(composite.inputs.alarmName, name);
        assert.strictEqual(composite.inputs.alarmRule, `(ALARM("${name}-band") AND ALARM("${name}-baseline")) OR ALARM("${name}-aov-band")`);
        assert.strictEqual(run.one(COMPOSITE, "detection-views-total-drop-composite").inputs.alarmRule.includes("aov"), false, "views have no AOV child");
        assert.match(composite.inputs.alarmDescription, /Revenue \(Marketplace=JP\) fell below its expected band \(CloudWatch anomaly detection, 3.5 standard deviations\).*300-second.*baseline of at least 18000 over the last hour/);
    });

    it("revenue series: an order-value child (mean ln(1 + order value) = OrderValueLog / Checkouts; periods with too few checkouts dropped by a division by zero) OR'ed with the revenue band; revenue spikes act through a composite", () => {
        const name = `edge-anomaly-detection-${cfg.stack}-ecommerce-revenue-total-spike`;
        const aov = byName(run, "revenue-total-spike-aov");
        assert.deepStrictEqual(query(aov, "m1").metric, { namespace: METRIC_NAMESPACE, metricName: "OrderValueLog", dimensions: { Stack: cfg.stack }, period: 60, stat: "Sum" });
        assert.deepStrictEqual(query(aov, "m2").metric, { namespace: METRIC_NAMESPACE, metricName: "Checkouts", dimensions: { Stack: cfg.stack }, period: 60, stat: "Sum" });
        // dense spike: 2 of 2 complete + 1 filling, band 3 + 0.5; a minute with fewer than 5 checkouts has no datapoint
        // (divided by 0) and does not breach
        assert.deepStrictEqual(
            [query(aov, "e1").expression, query(aov, "ad1").expression, aov.inputs.evaluationPeriods, aov.inputs.datapointsToAlarm, aov.inputs.treatMissingData, aov.inputs.name, aov.inputs.alarmActions],
            ["m1 / IF(m2 >= 5 AND FILL(m1, -1) >= 0, m2, 0)", "ANOMALY_DETECTION_BAND(e1, 3.5)", 3, 2, "notBreaching", `${name}-aov-band`, []],
        );
        const composite = run.one(COMPOSITE, "detection-revenue-total-spike-composite");
        assert.deepStrictEqual([composite.inputs.alarmName, composite.inputs.alarmRule], [name, `ALARM("${name}-band") OR ALARM("${name}-aov-band")`]);
        // the revenue band child: 3 of 3 + 1 filling at 3 σ (revenueSpike), no actions of its own
        const band = byName(run, "revenue-total-spike");
        assert.deepStrictEqual([band.inputs.name, band.inputs.alarmActions, band.inputs.evaluationPeriods, band.inputs.datapointsToAlarm, query(band, "ad1").expression],
            [`${name}-band`, [], 4, 3, "ANOMALY_DETECTION_BAND(e1, 3)"]);
        // sparse drop: 120 s, 1 of 1 + 1 filling, and the filling datapoint must breach too (M + filling), band 3 + 0.5,
        // at least 3 checkouts a period
        const drop = byName(run, "revenue-marketplace-JP-drop-aov");
        assert.deepStrictEqual([drop.inputs.comparisonOperator, drop.inputs.evaluationPeriods, drop.inputs.datapointsToAlarm, query(drop, "m1").metric.period, query(drop, "m2").metric.period, query(drop, "e1").expression, query(drop, "ad1").expression],
            ["LessThanLowerThreshold", 2, 2, 120, 120, "m1 / IF(m2 >= 3 AND FILL(m1, -1) >= 0, m2, 0)", "ANOMALY_DETECTION_BAND(e1, 3.5)"]);
        // sparse spike: the same shape
        const spike = byName(run, "revenue-marketplace-JP-spike-aov");
        assert.deepStrictEqual([spike.inputs.evaluationPeriods, spike.inputs.datapointsToAlarm, query(spike, "ad1").expression], [2, 2, "ANOMALY_DETECTION_BAND(e1, 3.5)"]);
        // the dense drop keeps M (a ratio is not biased low by the filling datapoint)
        const totalDrop = byName(run, "revenue-total-drop-aov");
        assert.deepStrictEqual([totalDrop.inputs.evaluationPeriods, totalDrop.inputs.datapointsToAlarm, query(totalDrop, "ad1").expression], [3, 2, "ANOMALY_DETECTION_BAND(e1, 3.5)"]);
    });

    it("an order-value child judges only periods that carry OrderValueLog: none before the transform emits it (an updated stack's two weeks of Checkouts alone), so its model is not trained on zeros", () => {
        // On a stack deployed before OrderValueLog, Checkouts has weeks of history and OrderValueLog none, and CloudWatch
        // trains a new model "on the metric's past data" (User Guide, "How CloudWatch anomaly detection works"): if those
        // periods read 0 / Checkouts = 0, the band sits at 0 and every child's first real value (≈ 3.9) breaches it.
        const children = run.ofType(ALARM).filter((a) => a.name.endsWith("-aov"));
        assert.strictEqual(children.length, 16);
        for (const c of children) {
            const e1 = query(c, "e1").expression as string;
            const n = Number(/>= (\d+)/.exec(e1)?.[1] ?? 1);
            assert.strictEqual(documentedE1(e1, undefined, 30), undefined, `${c.name}: ${e1} with Checkouts 30 and no OrderValueLog`);
            assert.strictEqual(documentedE1(e1, undefined, undefined), undefined, c.name);
            assert.strictEqual(documentedE1(e1, 117, 30), 3.9, `${c.name}: 30 checkouts with Σ ln(1 + v) = 117`);
            assert.strictEqual(documentedE1(e1, 0, 30), 0, `${c.name}: 30 free orders are still judged (a drop to 0)`);
            assert.strictEqual(documentedE1(e1, 2.5, n - 1), n > 1 ? undefined : 2.5, `${c.name}: fewer than ${n} checkouts`);
            assert.strictEqual(documentedE1(e1, 2.5 * n, n), 2.5, c.name);
        }
    });

    it("the stack totals carry only the Stack dimension", () => {
        for (const key of ["views-total-spike", "views-total-drop", "revenue-total-spike", "revenue-total-drop"]) {
            assert.deepStrictEqual(query(byName(run, key), "m1").metric.dimensions, { Stack: cfg.stack });
        }
    });

    it("exposes the acting alarms' ARNs in plan order: WAF rules first, then each ecommerce series' spike and drop", () => {
        const arns = run.outputs.alarmArns as string[];
        const plan = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: ACL, scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }], alerts: { topicArn: TOPIC } }));
        assert.deepStrictEqual(arns, plan.map((s) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${s.alarmName}`));
        assert.deepStrictEqual(plan.slice(0, 5).map((s) => s.kind), ["waf", "waf", "waf", "waf", "spike"]);
    });
});

describe("CloudWatchDetection config variations", () => {
    it("M of N, band width, floors and dimensions come from config; drop alarms need M + filling", async () => {
        const { run } = await build(devWith({ evaluationPeriods: 3, datapointsToAlarm: 2, bandWidth: 1.5, ecommerceDimensions: ["platform"], minBlockedRequests: 50, dropBaselineFloor: { views: 5 } }));
        // (ALL + 3 WAF rules) × 2 + 2 measures × (total + 3 platforms) × 3 + 4 revenue series × 2 AOV children = 40 metric alarms
        assert.strictEqual(run.ofType(ALARM).length, 40);
        assert.strictEqual(run.ofType(ALARM).filter((a) => /marketplace/i.test(a.name)).length, 0);
        const waf = byName(run, "waf-AWSManagedRulesCommonRuleSet");
        assert.deepStrictEqual([waf.inputs.evaluationPeriods, waf.inputs.datapointsToAlarm], [4, 2]);
        assert.strictEqual(query(waf, "ad1").expression, "ANOMALY_DETECTION_BAND(e1, 1.5)");
        const floor = byName(run, "waf-AWSManagedRulesCommonRuleSet-floor");
        assert.deepStrictEqual([floor.inputs.threshold, query(floor, "m1").metric.period], [50, 240]);
        const drop = byName(run, "views-platform-ios-drop");
        assert.deepStrictEqual([drop.inputs.evaluationPeriods, drop.inputs.datapointsToAlarm], [4, 3]);
        assert.strictEqual(byName(run, "views-platform-ios-drop-baseline").inputs.threshold, 300);
        assert.strictEqual(byName(run, "revenue-platform-ios-drop-baseline").inputs.threshold, 18000); // revenue keeps its default (sparse: 300 s)
        const spike = byName(run, "views-platform-ios-spike");
        assert.deepStrictEqual([spike.inputs.evaluationPeriods, spike.inputs.datapointsToAlarm], [4, 2]);
    });

    it("a 10-minute WAF period and a 5-minute ecommerce period reach the metric queries; detection.frequency does not", async () => {
        const { run } = await build(devWith({ wafPeriodSeconds: 600, ecommercePeriodSeconds: 300, frequency: "PT1H" }));
        assert.strictEqual(query(byName(run, "waf-RateLimitPerClientIp"), "m1").metric.period, 600);
        assert.strictEqual(query(byName(run, "views-total-spike"), "m1").metric.period, 300);
    });

    it("without the rate limit and known-bad-inputs rules only the common rule set is watched", async () => {
        const cfg = devWith();
        cfg[`${PROJECT}:waf`] = { knownBadInputs: false, rateLimit: { enabled: false } };
        const { run } = await build(cfg);
        assert.deepStrictEqual(run.ofType(ALARM).filter((a) => a.name.includes("-waf-")).map((a) => a.name).sort(),
            ["detection-waf-ALL", "detection-waf-ALL-floor", "detection-waf-AWSManagedRulesCommonRuleSet", "detection-waf-AWSManagedRulesCommonRuleSet-floor"]);
    });

    async function rejects(detection: Record<string, unknown>, key: string, message: RegExp): Promise<void> {
        await assert.rejects(build(devWith(detection)), (e: unknown) => {
            assert.ok(e instanceof ConfigError, String(e));
            assert.strictEqual(e.key, key);
            assert.match(e.message, message);
            return true;
        });
        assert.strictEqual(registered.length, 0, "nothing is registered before the config is rejected");
    }

    it("an alarm window over one day with a period under an hour fails preview naming detection.evaluationPeriods", async () => {
        await rejects({ wafPeriodSeconds: 3000, evaluationPeriods: 28, datapointsToAlarm: 1 }, `${PROJECT}:detection.evaluationPeriods`,
            /28 is too many with detection\.wafPeriodSeconds = 3000: .*29 × 3000 s = 87000 s .*at most 86400 s/);
    });

    it("an hourly ecommerce period allows a window up to 7 days (evaluationPeriods + 1 filling ≤ 168)", async () => {
        await rejects({ ecommercePeriodSeconds: 1800, evaluationPeriods: 48 }, `${PROJECT}:detection.evaluationPeriods`, /with detection\.ecommercePeriodSeconds = 1800: .*49 × 1800 s/);
        const { run } = await build(devWith({ ecommercePeriodSeconds: 3600, evaluationPeriods: 100 }));
        assert.strictEqual(byName(run, "views-total-drop").inputs.evaluationPeriods, 101);
    });

    it("windows are checked only for the alarms the config creates: without a dimension no sparse window can refuse it", async () => {
        // 48 + 1 filling at 60 s is under an hour for the dense alarms; the sparse band at 1800 s would be 49 × 1800 s,
        // over a day: refused with a dimension, built without one.
        const detection = { evaluationPeriods: 48, datapointsToAlarm: 1, sparsePeriodSeconds: 1800 };
        await rejects({ ...detection, ecommerceDimensions: ["platform"] }, `${PROJECT}:detection.evaluationPeriods`,
            /48 is too many with detection\.sparsePeriodSeconds = 1800: .*49 × 1800 s/);
        const { run } = await build(devWith({ ...detection, ecommerceDimensions: [] }));
        assert.strictEqual(byName(run, "revenue-total-drop-aov").inputs.evaluationPeriods, 49);
        assert.strictEqual(run.ofType(ALARM).filter((a) => /platform|marketplace/i.test(a.name)).length, 0);
    });

    it("bad noise-floor and period keys fail preview naming the key", async () => {
        await rejects({ ecommercePeriodSeconds: 90 }, `${PROJECT}:detection.ecommercePeriodSeconds`, /multiple of 60/);
        await rejects({ sparsePeriodSeconds: 90 }, `${PROJECT}:detection.sparsePeriodSeconds`, /multiple of 60/);
        // the sparse series' window (300 s default) is checked with its own period: 48 + 1 filling × 1800 s > 1 day
        await rejects({ sparsePeriodSeconds: 1800, evaluationPeriods: 48 }, `${PROJECT}:detection.evaluationPeriods`, /with detection\.sparsePeriodSeconds = 1800: .*49 × 1800 s/);
        await rejects({ minBlockedRequests: 0 }, `${PROJECT}:detection.minBlockedRequests`, /whole number from 1/);
        await rejects({ dropBaselineFloor: { views: -1 } }, `${PROJECT}:detection.dropBaselineFloor.views`, /≥ 0/);
        await rejects({ dropBaselineFloor: { orders: 3 } }, `${PROJECT}:detection.dropBaselineFloor.orders`, /unknown key/);
    });

    it("a watched value listed twice fails naming the list", async () => {
        await rejects({ marketplaces: ["US", "DE", "US"] }, `${PROJECT}:detection.marketplaces`, /"US" twice/);
    });
});

describe("planCloudWatchAlarms", () => {
    it("refuses duplicate WAF rule names", () => {
        const file = stackFileConfig("dev");
        const raw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(file)) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { parseConfig } = require("../config") as typeof import("../config");
        const cfg = parseConfig(raw, { stack: "dev", region: "us-east-1" });
        assert.throws(() => planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: ACL, scope: "REGIONAL", rules: ["A", "A"] }], alerts: { topicArn: TOPIC } })), /duplicate WAF rule names/);
        assert.deepStrictEqual(planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: ACL, scope: "REGIONAL", rules: [] }], alerts: { topicArn: TOPIC } })).filter((s) => s.kind === "waf").map((s) => s.key), ["waf-ALL"], "rules: [] watches the total only");
    });
});
