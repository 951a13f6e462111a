// DetectionDashboard under Pulumi mocks and its pure body builder: the body is valid dashboard JSON with the WAF
// per-rule graphs and ecommerce graphs carrying exactly the alarms' metric math (so the band shown is the alarm's
// model), bands only with the cloudwatch engine, pipeline and alert-path health, alarm status widgets of at most
// 100 ARNs, and a non-overlapping layout on the 24-column grid.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { AppConfig, PROJECT, parseConfig } from "../config";
import { planCloudWatchAlarms } from "../components/cloudwatchDetection";
import {
    AlarmWidget,
    DashboardBody,
    DashboardTargets,
    DetectionDashboard,
    ExpressionRow,
    MetricWidget,
    Widget,
    dashboardBody,
    dashboardName,
    layout,
    orderValueTitle,
} from "../components/detectionDashboard";
import { AOV_MIN_CHECKOUTS } from "../model/alarmTiming";
import { wafRuleMetricNames } from "../model/wafRules";
import { dashboardQuotaProblem } from "../preflight/quotas";
import { cloudWatchDetectionArgs, dashboardSettingsOf, detectionDashboardArgs } from "../componentArgs";
import { ProgramRun, runWith, stackFileConfig } from "./harness";

const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";

function devFile(detection: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    const key = `${PROJECT}:detection`;
    cfg[key] = { ...(cfg[key] as object), ...detection };
    return cfg;
}

function devConfig(detection: Record<string, unknown> = {}, stack = "dev"): AppConfig {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(devFile(detection))) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
    return parseConfig(raw, { stack, region: "us-east-1" });
}

function targets(cfg: AppConfig, alarmArns: string[]): DashboardTargets {
    return {
        webAcls: [{ key: "", name: "edge-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }],
        deliveryStreamName: "ecommerce-firehose",
        transformFunctionName: "ecommerce-transform",
        streamName: "ecommerce-stream",
        findingFunctionName: "finding-fn",
        deadLetterQueueName: "finding-dlq",
        alarmArns,
    };
}

const metricWidgets = (b: DashboardBody) => b.widgets.filter((w): w is MetricWidget => w.type === "metric");
const alarmWidgets = (b: DashboardBody) => b.widgets.filter((w): w is AlarmWidget => w.type === "alarm");
const titled = (b: DashboardBody, title: string) => {
    const hits = metricWidgets(b).filter((w) => w.properties.title === title);
    assert.strictEqual(hits.length, 1, `one widget titled ${title}, found ${hits.length}`);
    return hits[0];
};
const expressions = (w: MetricWidget) => w.properties.metrics.filter((r) => typeof r[0] === "object").map((r) => r[0] as ExpressionRow);
const rawRows = (w: MetricWidget) => w.properties.metrics.filter((r) => typeof r[0] === "string");

function assertGrid(widgets: Widget[]): void {
    for (const w of widgets) {
        assert.ok(w.x >= 0 && w.x + w.width <= 24 && w.y >= 0 && w.height >= 1, `widget out of grid: ${JSON.stringify(w).slice(0, 80)}`);
    }
    for (let i = 0; i < widgets.length; i++) {
        for (let j = i + 1; j < widgets.length; j++) {
            const a = widgets[i];
            const b = widgets[j];
            const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
            assert.ok(!overlap, `widgets ${i} and ${j} overlap`);
        }
    }
}

describe("DetectionDashboard under mocks (cloudwatch engine, dev stack)", () => {
    let run: ProgramRun;
    let cfg: AppConfig;
    let body: DashboardBody;
    const arns = ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:a1", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a2"];

    before(async () => {
        run = await runWith(stackFileConfig("dev"), (c) => {
            cfg = c;
            return new DetectionDashboard("detection", detectionDashboardArgs(c, {
                webAcls: [{ key: "", name: "edge-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(c.waf) }],
                pipeline: { deliveryStreamName: "ecommerce-firehose", transformFunctionName: "ecommerce-transform", streamName: "ecommerce-stream" },
                alerts: { findingFunctionName: "finding-fn", deadLetterQueueName: "finding-dlq" },
                alarmArns: arns,
                latency: { wafSeconds: 130, ecommerceSeconds: 230 },
            }));
        });
        body = JSON.parse(run.one(DASHBOARD).inputs.dashboardBody as string) as DashboardBody;
    });

    it("registers one dashboard under the component, named for the project and stack", () => {
        assert.strictEqual(run.ofType("edge-anomaly:detection:DetectionDashboard").length, 1);
        assert.strictEqual(run.one(DASHBOARD).inputs.dashboardName, `edge-anomaly-detection-${cfg.stack}-detection`);
        assert.strictEqual(run.outputs.dashboardName, `edge-anomaly-detection-${cfg.stack}-detection`);
    });

    it("the body is dashboard JSON: time range, widgets on the 24-column grid without overlaps, every graph in the stack's region", () => {
        assert.strictEqual(body.start, "-PT12H");
        assert.strictEqual(body.periodOverride, "inherit");
        assertGrid(body.widgets);
        for (const w of metricWidgets(body)) assert.strictEqual(w.properties.region, "us-east-1");
        assert.ok(body.widgets.length <= 500);
    });

    it("shows the alarm states of the ARNs it was given", () => {
        const aw = alarmWidgets(body);
        assert.strictEqual(aw.length, 1);
        assert.deepStrictEqual(aw[0].properties.alarms, arns);
        assert.strictEqual(aw[0].properties.sortBy, "stateUpdatedTimestamp");
        assert.strictEqual(aw[0].width, 24);
    });

    it("one WAF graph per rule, with the alarm's exact metric math: hidden Sum metric, FILL(m1, 0), ANOMALY_DETECTION_BAND(e1, 3) at 60 s", () => {
        const plan = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: "edge-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }], alerts: { topicArn: "arn:aws:sns:us-east-1:123456789012:t" } }));
        for (const rule of wafRuleMetricNames(cfg.waf)) {
            const w = titled(body, `Blocked requests — ${rule}`);
            assert.strictEqual(w.properties.period, 60);
            assert.deepStrictEqual(rawRows(w), [
                ["AWS/WAFV2", "BlockedRequests", "Region", "us-east-1", "Rule", rule, "WebACL", "edge-web-acl", { id: "m1", visible: false, stat: "Sum", period: 60 }],
            ]);
            const alarm = plan.find((s) => s.key === `waf-${rule}`)!;
            const alarmExpr = alarm.metricQueries.filter((q) => q.expression).map((q) => [q.id, q.expression, q.label]);
            assert.deepStrictEqual(expressions(w).map((e) => [e.id, e.expression, e.label]), alarmExpr);
            assert.deepStrictEqual(expressions(w).map((e) => e.expression), ["FILL(m1, 0)", "ANOMALY_DETECTION_BAND(e1, 3)"]);
        }
    });

    it("every ecommerce band alarm (spike, drop band child) has a graph with its exact queries: metric, period, FILL and band", () => {
        const plan = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: "edge-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }], alerts: { topicArn: "arn:aws:sns:us-east-1:123456789012:t" } })).filter((s) => s.kind !== "waf");
        assert.strictEqual(plan.length, 32);
        for (const spec of plan) {
            const w = titled(body, spec.target.label);
            const m1 = spec.metricQueries.find((q) => q.id === "m1")!.metric as { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string };
            assert.strictEqual(w.properties.period, m1.period, spec.key);
            assert.deepStrictEqual(rawRows(w), [[m1.namespace, m1.metricName, ...Object.entries(m1.dimensions).flat(), { id: "m1", visible: false, stat: m1.stat, period: m1.period }]], spec.key);
            assert.deepStrictEqual(expressions(w).map((e) => [e.id, e.expression, e.label, e.period]), spec.metricQueries.filter((q) => q.expression).map((q) => [q.id, q.expression, q.label, m1.period]), spec.key);
        }
    });

    it("every order-value child (spike and drop) has its series' graph with its exact queries: OrderValueLog m1, Checkouts m2, the guarded m1 / m2, its band at its period", () => {
        const plan = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [], alerts: { topicArn: "arn:aws:sns:us-east-1:123456789012:t" } })).filter((s) => s.companion);
        assert.strictEqual(plan.length, 16, "8 revenue series x spike and drop");
        type Q = { id: string; expression?: string; label?: string; returnData?: boolean; metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string } };
        for (const spec of plan) {
            const c = spec.companion!;
            const qs = c.metricQueries as Q[];
            const w = titled(body, orderValueTitle(spec.target.series!));
            assert.strictEqual(w.properties.period, c.periodSeconds, c.key);
            assert.deepStrictEqual(qs.filter((q) => q.metric).map((q) => q.metric!.metricName), ["OrderValueLog", "Checkouts"], c.key);
            assert.deepStrictEqual(rawRows(w), qs.filter((q) => q.metric).map((q) => [q.metric!.namespace, q.metric!.metricName, ...Object.entries(q.metric!.dimensions).flat(), { id: q.id, visible: false, stat: q.metric!.stat, period: q.metric!.period }]), c.key);
            const ratio = qs.find((q) => q.id === "e1")!;
            assert.deepStrictEqual(expressions(w).find((e) => e.id === "e1"), { expression: ratio.expression, id: "e1", label: ratio.label, period: c.periodSeconds }, c.key);
            const alarmBand = qs.find((q) => q.id === "ad1")!.expression;
            const shown = expressions(w).filter((e) => e.expression.startsWith("ANOMALY_DETECTION_BAND"));
            assert.ok(shown.some((e) => e.expression === alarmBand && e.period === c.periodSeconds), `${c.key}: ${alarmBand} on the graph (${shown.map((e) => e.expression).join(", ")})`);
            if (c.key.endsWith("-spike-aov")) assert.strictEqual(shown.find((e) => e.expression === alarmBand)!.id, "ad1", "the spike child's band keeps the alarm's id");
        }
        // Dense total: 60 s, at least 5 checkouts, spike and drop both 3.5 sd (one band row); sparse marketplace: 120 s,
        // at least 3 checkouts, spike and drop both 3.5 (model/alarmTiming.ts aovAlarmTiming, aovMinCheckouts, aovBandWidth).
        const total = titled(body, "Typical order value (total): mean ln(1 + order value)");
        assert.deepStrictEqual(rawRows(total).map((r) => r.slice(0, 4)), [["EdgeAnomaly/Ecommerce", "OrderValueLog", "Stack", cfg.stack], ["EdgeAnomaly/Ecommerce", "Checkouts", "Stack", cfg.stack]]);
        assert.deepStrictEqual(expressions(total).map((e) => [e.id, e.expression, e.period]), [["e1", "m1 / IF(m2 >= 5 AND FILL(m1, -1) >= 0, m2, 0)", 60], ["ad1", "ANOMALY_DETECTION_BAND(e1, 3.5)", 60]]);
        assert.strictEqual(expressions(total)[0].label, "Revenue (total): mean ln(1 + order value)");
        assert.deepStrictEqual(expressions(titled(body, "Typical order value (Marketplace=JP): mean ln(1 + order value)")).map((e) => [e.expression, e.period]),
            [["m1 / IF(m2 >= 3 AND FILL(m1, -1) >= 0, m2, 0)", 120], ["ANOMALY_DETECTION_BAND(e1, 3.5)", 120]]);
        assert.strictEqual(metricWidgets(body).filter((w) => w.properties.title.startsWith("Typical order value (")).length, 8, "one graph per revenue series, none for views");
        assert.ok(metricWidgets(body).every((w) => !w.properties.title.endsWith(" per checkout")), "no graph still says revenue per checkout");
        assert.ok(body.widgets.some((w) => w.type === "text" && w.properties.markdown.startsWith("## Ecommerce typical order value: mean ln(1 + order value)") &&
            w.properties.markdown.includes("OrderValueLog / Checkouts, the log of the geometric-mean order value")), "the section says what the graphs are");
        assert.strictEqual(dashboardQuotaProblem(body), undefined, "within the dashboard quotas (widgets, metrics per widget and dashboard)");
    });

    it("ecommerce graphs: Views and Revenue for the total and each platform and marketplace, each with its alarms' band, period and width", () => {
        const titles = metricWidgets(body).map((w) => w.properties.title);
        for (const m of ["Views", "Revenue"]) {
            for (const label of ["total", "Platform=web", "Platform=ios", "Platform=android", "Marketplace=US", "Marketplace=UK", "Marketplace=DE", "Marketplace=JP"]) {
                assert.ok(titles.includes(`${m} (${label})`), `missing ${m} (${label})`);
            }
        }
        // Sparse revenue by marketplace: the alarms' 300 s period and 3.5-σ band; the total at 60 s and 3 σ. Both as
        // planCloudWatchAlarms builds them (same ids, expressions, period).
        const w = titled(body, "Revenue (Marketplace=DE)");
        assert.strictEqual(w.properties.period, 300);
        assert.deepStrictEqual(rawRows(w), [["EdgeAnomaly/Ecommerce", "Revenue", "Stack", cfg.stack, "Marketplace", "DE", { id: "m1", visible: false, stat: "Sum", period: 300 }]]);
        assert.deepStrictEqual(expressions(w).map((e) => e.expression), ["FILL(m1, 0)", "ANOMALY_DETECTION_BAND(e1, 3.5)"]);
        const total = titled(body, "Revenue (total)");
        assert.strictEqual(total.properties.period, 60);
        assert.deepStrictEqual(expressions(total).map((e) => e.expression), ["FILL(m1, 0)", "ANOMALY_DETECTION_BAND(e1, 3)"]);
        const specs = planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [], alerts: { topicArn: "arn:aws:sns:us-east-1:000000000000:t" } }));
        for (const key of ["revenue-marketplace-DE-spike", "revenue-total-drop", "views-platform-ios-spike"]) {
            const spec = specs.find((x) => x.key === key)!;
            const g = titled(body, spec.target.label);
            const m1 = spec.metricQueries.find((q) => q.id === "m1") as { metric: { period: number } };
            assert.strictEqual(g.properties.period, m1.metric.period, key);
            assert.deepStrictEqual(expressions(g).map((e) => e.expression), spec.metricQueries.filter((q) => q.expression).map((q) => q.expression), key);
        }
    });

    it("pipeline and alert-path health: Firehose freshness, Kinesis iterator age, transform and finding Lambda errors/throttles, DLQ depth", () => {
        const fresh = titled(body, "Firehose → S3 data freshness (s)");
        assert.deepStrictEqual(rawRows(fresh)[0].slice(0, 4), ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", "ecommerce-firehose"]);
        assert.deepStrictEqual(fresh.properties.annotations?.horizontal.map((a) => a.value), [100]);
        assert.deepStrictEqual(rawRows(titled(body, "Kinesis iterator age (ms)"))[0].slice(0, 4), ["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", "ecommerce-stream"]);
        assert.deepStrictEqual(rawRows(titled(body, "Transform Lambda errors and throttles")).map((r) => r.slice(0, 4)), [
            ["AWS/Lambda", "Errors", "FunctionName", "ecommerce-transform"],
            ["AWS/Lambda", "Throttles", "FunctionName", "ecommerce-transform"],
        ]);
        assert.deepStrictEqual(rawRows(titled(body, "Finding Lambda errors and throttles")).map((r) => r.slice(0, 4)), [
            ["AWS/Lambda", "Errors", "FunctionName", "finding-fn"],
            ["AWS/Lambda", "Throttles", "FunctionName", "finding-fn"],
        ]);
        const dlq = rawRows(titled(body, "Alert dead-letter queue"));
        assert.deepStrictEqual(dlq.map((r) => r.slice(0, 4)), [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "finding-dlq"],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "finding-dlq"],
        ]);
        assert.deepStrictEqual(dlq.map((r) => (r[r.length - 1] as { stat: string }).stat), ["Maximum", "Maximum"]);
    });

    it("the header names the engine and the worst-case latency it is given (the simulation's, from index.ts)", () => {
        const header = body.widgets[0];
        assert.strictEqual(header.type, "text");
        assert.match((header as { properties: { markdown: string } }).properties.markdown, /Engine \*\*cloudwatch\*\*: CloudWatch anomaly detection alarms \(band 3 standard deviations; revenue by platform \/ marketplace 3\.5 at 300 s\).*\n\nWorst-case detection latency: WAF 130 s, ecommerce 230 s \(npm run simulate, noise-free worst case\)\./s);
        const without = dashboardBody(dashboardSettingsOf(cfg), targets(cfg, []));
        assert.match((without.widgets[0] as { properties: { markdown: string } }).properties.markdown, /see the stack output detectionLatencySeconds/);
    });
});

describe("dashboardBody", () => {
    it("lookout engine: WAF graphs without bands, the alert path's alarm only, no empty EMF graphs, the detector offset on the freshness graph", () => {
        const cfg = devConfig({ engine: "lookout" });
        assert.strictEqual(alarmWidgets(dashboardBody(dashboardSettingsOf(cfg), targets(cfg, []))).length, 0, "no alarms, no alarm widget");
        const dlqAlarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:edge-anomaly-detection-dev-alerts-dlq-depth";
        const body = dashboardBody(dashboardSettingsOf(cfg), targets(cfg, [dlqAlarm]));
        assert.deepStrictEqual(alarmWidgets(body).map((w) => [w.properties.title, w.properties.alarms]), [["Alarms (1)", [dlqAlarm]]]);
        const all = metricWidgets(body).flatMap((w) => expressions(w).map((e) => e.expression));
        assert.ok(all.length > 0 && all.every((e) => !e.includes("ANOMALY_DETECTION_BAND")), "no bands with the lookout engine");
        assert.strictEqual(metricWidgets(body).filter((w) => w.properties.title.startsWith("Blocked requests — ")).length, 4, "ALL + 3 rules");
        // The transform emits no EMF metrics for Lookout: a note instead of empty Views/Revenue graphs.
        assert.strictEqual(metricWidgets(body).filter((w) => /^(Views|Revenue) \(/.test(w.properties.title)).length, 0);
        assert.ok(body.widgets.some((w) => w.type === "text" && /reads the rows the pipeline writes to S3 \(`ecommerce\/live\/`/.test(w.properties.markdown)));
        assert.strictEqual(titled(body, "Blocked requests — RateLimitPerClientIp").properties.period, 300);
        assert.deepStrictEqual(titled(body, "Firehose → S3 data freshness (s)").properties.annotations?.horizontal.map((a) => [a.value, a.label]), [
            [100, "worst-case delivery (Lambda buffer + 1.5 × S3 buffer)"],
            [180, "detector offset"],
        ]);
        assert.match((body.widgets[0] as { properties: { markdown: string } }).properties.markdown, /Engine \*\*lookout\*\*/);
        assertGrid(body.widgets);
    });

    it("lookout engine with EMF metrics emitted: ecommerce graphs without bands", () => {
        const cfg = devConfig({ engine: "lookout" });
        const body = dashboardBody(dashboardSettingsOf(cfg), { ...targets(cfg, []), ecommerceMetrics: true });
        const w = titled(body, "Views (Platform=ios)");
        assert.deepStrictEqual(expressions(w).map((e) => e.expression), ["FILL(m1, 0)"]);
        assert.strictEqual(metricWidgets(body).filter((x) => /^(Views|Revenue) \([^)]*\)$/.test(x.properties.title)).length, 16);
        // The typical order value graphed too (the EMF metrics are there), without the order-value alarms' bands.
        assert.deepStrictEqual(expressions(titled(body, "Typical order value (total): mean ln(1 + order value)")).map((e) => e.expression), ["m1 / IF(m2 >= 5 AND FILL(m1, -1) >= 0, m2, 0)"]);
    });

    it("cloudwatch engine with no ARNs yet shows no empty alarm widget", () => {
        const cfg = devConfig();
        assert.strictEqual(alarmWidgets(dashboardBody(dashboardSettingsOf(cfg), targets(cfg, []))).length, 0);
    });

    it("splits alarm status into widgets of at most 100 ARNs", () => {
        const cfg = devConfig();
        const arns = Array.from({ length: 250 }, (_, i) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:a${i}`);
        const aw = alarmWidgets(dashboardBody(dashboardSettingsOf(cfg), targets(cfg, arns)));
        assert.deepStrictEqual(aw.map((w) => w.properties.alarms.length), [100, 100, 50]);
        assert.deepStrictEqual(aw.flatMap((w) => w.properties.alarms), arns);
        assert.deepStrictEqual(aw.map((w) => w.properties.title), ["Alarms 1–100 of 250", "Alarms 101–200 of 250", "Alarms 201–250 of 250"]);
    });

    it("band width, WAF period and ecommerce period follow the config (not detection.frequency)", () => {
        const cfg = devConfig({ bandWidth: 2.5, wafPeriodSeconds: 300, ecommercePeriodSeconds: 3600, frequency: "PT10M", ecommerceDimensions: ["marketplace"] });
        const body = dashboardBody(dashboardSettingsOf(cfg), targets(cfg, ["arn:a"]));
        const waf = titled(body, "Blocked requests — AWSManagedRulesCommonRuleSet");
        assert.strictEqual(waf.properties.period, 300);
        assert.strictEqual(expressions(waf)[1].expression, "ANOMALY_DETECTION_BAND(e1, 2.5)");
        assert.strictEqual(titled(body, "Views (total)").properties.period, 3600);
        assert.strictEqual(metricWidgets(body).filter((w) => w.properties.title.includes("Platform=")).length, 0);
        assert.strictEqual(metricWidgets(body).filter((w) => w.properties.title.includes("Marketplace=") && !w.properties.title.startsWith("Typical order value")).length, 8);
        // The typical order value of each marketplace, at the order-value alarms' period (ecommercePeriodSeconds, being over
        // the sparse minimum of 120 s), minimum checkouts (3) and width (2.5 + 0.5, spike and drop alike: one band row).
        const aov = metricWidgets(body).filter((w) => w.properties.title.startsWith("Typical order value (Marketplace="));
        assert.strictEqual(aov.length, 4);
        for (const w of aov) assert.deepStrictEqual([w.properties.period, ...expressions(w).map((e) => e.expression)], [3600, "m1 / IF(m2 >= 3 AND FILL(m1, -1) >= 0, m2, 0)", "ANOMALY_DETECTION_BAND(e1, 3)"]);
    });

    it("layout wraps rows at 24 columns and starts each section on a new row", () => {
        const g = (t: string) => ({ type: "text" as const, width: 10, height: 2, properties: { markdown: t } });
        const placed = layout([[g("a"), g("b"), g("c")], [g("d")]]);
        assert.deepStrictEqual(placed.map((w) => [w.x, w.y]), [[0, 0], [10, 0], [0, 2], [0, 4]]);
        assert.throws(() => layout([[{ ...g("wide"), width: 25 }]]), /wider than the grid/);
    });

    it("dashboard names keep only letters, digits, - and _", () => {
        assert.strictEqual(dashboardName(devConfig({}, "prod.eu")), "edge-anomaly-detection-prod-eu-detection");
    });
});

describe("README on the order-value graphs and alarms", () => {
    it("states the minimum checkouts the code judges a period on (AOV_MIN_CHECKOUTS: the alarms' and the graphs' n)", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8").replace(/\s+/g, " ");
        const stated = [...readme.matchAll(/n = (\d+) on the total and (\d+) by platform/g), ...readme.matchAll(/\((\d+) for the total, (\d+) by platform\/marketplace\)/g)]
            .map((m) => [Number(m[1]), Number(m[2])]);
        assert.ok(stated.length >= 2, "the CloudWatch engine and Dashboard sections both state n");
        for (const s of stated) assert.deepStrictEqual(s, [AOV_MIN_CHECKOUTS.dense, AOV_MIN_CHECKOUTS.sparse]);
    });
});
