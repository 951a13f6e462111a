// CloudWatchDetection under Pulumi mocks: one anomaly-band alarm per WAF rule on FILL(BlockedRequests, 0), spike
// and drop alarms per ecommerce series on the EMF metrics, every alarm wired to the alert topic for ALARM and OK,
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
            waf: { webAclName: ACL, ruleNames: wafRuleMetricNames(c.waf) },
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
    return run.one(ALARM, `detection-${suffix}`);
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

    it("dev stack: 3 WAF alarms + 2 measures × (total + 3 platforms + 4 marketplaces) × spike/drop = 35 alarms", () => {
        const rules = wafRuleMetricNames(cfg.waf);
        assert.deepStrictEqual(rules, ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
        assert.strictEqual(allEcommerceSeries(ecommerceSeriesSettingsOf(cfg)).length, 16);
        assert.strictEqual(run.ofType(ALARM).length, 35);
        const names = run.ofType(ALARM).map((a) => a.inputs.name as string);
        assert.strictEqual(new Set(names).size, 35, "alarm names are unique");
        for (const n of names) assert.ok(n.length <= 255 && /^[\x20-\x7e]+$/.test(n), `alarm name ${n} must be ≤ 255 ASCII characters`);
    });

    it("per WAF rule: BlockedRequests Sum per minute with Region/Rule/WebACL, FILL to 0, alarm above ANOMALY_DETECTION_BAND(e1, 2)", () => {
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
                ["FILL(m1, 0)", true, "ANOMALY_DETECTION_BAND(e1, 2)", true],
            );
            assert.strictEqual((a.inputs.metricQueries as unknown[]).length, 3);
            assert.strictEqual(a.inputs.thresholdMetricId, "ad1");
            assert.strictEqual(a.inputs.comparisonOperator, "GreaterThanUpperThreshold");
            assert.strictEqual(a.inputs.threshold, undefined, "a band alarm has no static threshold");
            // Configured 1 of 1, plus the minute WAF has not reported yet (always 0 after FILL).
            assert.deepStrictEqual([a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm], [2, 1]);
            assert.strictEqual(a.inputs.treatMissingData, "notBreaching");
            assert.strictEqual(a.inputs.name, `edge-anomaly-detection-${cfg.stack}-waf-${rule}-blocked-requests-spike`);
            assert.match(a.inputs.alarmDescription, new RegExp(`rule ${rule} of web ACL ${ACL} \\(us-east-1\\) rose above its expected band .*2 standard deviations.* 1 of the last 1 complete 60-second datapoints`));
        }
    });

    it("every alarm notifies the alert topic on ALARM and on OK, with actions enabled, and carries the stack tags", () => {
        for (const a of run.ofType(ALARM)) {
            assert.deepStrictEqual(a.inputs.alarmActions, [TOPIC], a.name);
            assert.deepStrictEqual(a.inputs.okActions, [TOPIC], a.name);
            assert.strictEqual(a.inputs.insufficientDataActions, undefined, a.name);
            assert.strictEqual(a.inputs.actionsEnabled, true);
            assert.deepStrictEqual(a.inputs.tags, { owner: "platform-security", environment: "dev", app: "edge-anomaly-detection", stack: cfg.stack });
            assert.ok((a.inputs.alarmDescription as string).length <= 1024, `${a.name} description too long`);
        }
    });

    it("ecommerce spike alarm: Views for Platform=web from the EMF namespace, 5-minute Sum, above the band, 1 of 3", () => {
        const a = byName(run, "views-platform-web-spike");
        assert.deepStrictEqual(query(a, "m1").metric, {
            namespace: METRIC_NAMESPACE,
            metricName: "Views",
            dimensions: { Stack: cfg.stack, Platform: "web" },
            period: 300,
            stat: "Sum",
        });
        assert.strictEqual(query(a, "e1").expression, "FILL(m1, 0)");
        assert.strictEqual(query(a, "ad1").expression, "ANOMALY_DETECTION_BAND(e1, 2)");
        assert.deepStrictEqual(
            [a.inputs.comparisonOperator, a.inputs.thresholdMetricId, a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm, a.inputs.treatMissingData],
            ["GreaterThanUpperThreshold", "ad1", 3, 1, "notBreaching"],
        );
    });

    it("ecommerce drop alarm: below the band, needs a complete breaching datapoint besides the 2 filling ones (3 of 3), keeps state when the series goes silent", () => {
        const a = byName(run, "revenue-marketplace-JP-drop");
        assert.deepStrictEqual(query(a, "m1").metric.dimensions, { Stack: cfg.stack, Marketplace: "JP" });
        assert.strictEqual(query(a, "m1").metric.metricName, "Revenue");
        assert.deepStrictEqual(
            [a.inputs.comparisonOperator, a.inputs.thresholdMetricId, a.inputs.evaluationPeriods, a.inputs.datapointsToAlarm, a.inputs.treatMissingData],
            ["LessThanLowerThreshold", "ad1", 3, 3, "ignore"],
        );
        assert.strictEqual(a.inputs.name, `edge-anomaly-detection-${cfg.stack}-ecommerce-revenue-marketplace-JP-drop`);
        assert.match(a.inputs.alarmDescription, /Revenue \(Marketplace=JP\) fell below its expected band/);
    });

    it("the stack totals carry only the Stack dimension", () => {
        for (const key of ["views-total-spike", "views-total-drop", "revenue-total-spike", "revenue-total-drop"]) {
            assert.deepStrictEqual(query(byName(run, key), "m1").metric.dimensions, { Stack: cfg.stack });
        }
    });

    it("exposes the alarm ARNs in plan order: WAF rules first, then each ecommerce series' spike and drop", () => {
        const arns = run.outputs.alarmArns as string[];
        const plan = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { waf: { webAclName: ACL, ruleNames: wafRuleMetricNames(cfg.waf) }, alerts: { topicArn: TOPIC } }));
        assert.deepStrictEqual(arns, plan.map((s) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${s.alarmName}`));
        assert.deepStrictEqual(plan.slice(0, 5).map((s) => s.kind), ["waf", "waf", "waf", "spike", "drop"]);
    });
});

describe("CloudWatchDetection config variations", () => {
    it("M of N, band width and dimensions come from config; drop alarms need M + filling", async () => {
        const { run } = await build(devWith({ evaluationPeriods: 3, datapointsToAlarm: 2, bandWidth: 1.5, ecommerceDimensions: ["platform"] }));
        // 3 WAF + 2 measures × (total + 3 platforms) × 2 = 19
        assert.strictEqual(run.ofType(ALARM).length, 19);
        assert.strictEqual(run.ofType(ALARM).filter((a) => /marketplace/i.test(a.name)).length, 0);
        const waf = byName(run, "waf-AWSManagedRulesCommonRuleSet");
        assert.deepStrictEqual([waf.inputs.evaluationPeriods, waf.inputs.datapointsToAlarm], [4, 2]);
        assert.strictEqual(query(waf, "ad1").expression, "ANOMALY_DETECTION_BAND(e1, 1.5)");
        const drop = byName(run, "views-platform-ios-drop");
        assert.deepStrictEqual([drop.inputs.evaluationPeriods, drop.inputs.datapointsToAlarm], [5, 4]);
        const spike = byName(run, "views-platform-ios-spike");
        assert.deepStrictEqual([spike.inputs.evaluationPeriods, spike.inputs.datapointsToAlarm], [5, 2]);
    });

    it("a 10-minute WAF period and hourly ecommerce interval reach the metric queries", async () => {
        const { run } = await build(devWith({ wafPeriodSeconds: 600, frequency: "PT1H" }));
        assert.strictEqual(query(byName(run, "waf-RateLimitPerClientIp"), "m1").metric.period, 600);
        assert.strictEqual(query(byName(run, "views-total-spike"), "m1").metric.period, 3600);
    });

    it("without the rate limit and known-bad-inputs rules only the common rule set is watched", async () => {
        const cfg = devWith();
        cfg[`${PROJECT}:waf`] = { knownBadInputs: false, rateLimit: { enabled: false } };
        const { run } = await build(cfg);
        assert.deepStrictEqual(run.ofType(ALARM).filter((a) => a.name.includes("-waf-")).map((a) => a.name), ["detection-waf-AWSManagedRulesCommonRuleSet"]);
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

    it("a daily interval allows at most 5 evaluation periods (7-day window with the 2 filling datapoints)", async () => {
        await rejects({ frequency: "P1D", evaluationPeriods: 6 }, `${PROJECT}:detection.evaluationPeriods`, /with detection\.frequency = P1D: .*604800 s/);
        const { run } = await build(devWith({ frequency: "P1D", evaluationPeriods: 5 }));
        assert.strictEqual(byName(run, "views-total-drop").inputs.evaluationPeriods, 7);
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
        assert.throws(() => planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { waf: { webAclName: ACL, ruleNames: ["A", "A"] }, alerts: { topicArn: TOPIC } })), /duplicate WAF rule names/);
        assert.strictEqual(planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { waf: { webAclName: ACL, ruleNames: [] }, alerts: { topicArn: TOPIC } })).filter((s) => s.kind === "waf").length, 0);
    });
});
