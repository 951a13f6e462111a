// Preview-time quota checks (preflight/quotas.ts): at the limit passes, one over fails naming the stack key. The
// counts come from what the program builds (the cloudwatch engine's alarm plan, a function's environment, the
// dashboard body), and the whole program fails before AWS would.
import { strict as assert } from "assert";

import * as pulumi from "@pulumi/pulumi";

import { cloudWatchDetectionArgs, redshiftMetricsArgs, watchTargets } from "../componentArgs";
import { AlarmSpec, bandExpression, fillExpression, planCloudWatchAlarms, QUERY_IDS } from "../components/cloudwatchDetection";
import { planRedshiftAlarms, redshiftSettings } from "../components/redshiftMetrics";
import { parseConfig } from "../config";
import {
    alarmRateWarnings, anomalyModelIdentities, anomalyModelsByRegion, checkAnomalyModels, checkDashboard, checkLambdaEnvironment, dashboardQuotaProblem,
    lambdaEnvironmentBytes, metricAlarmsByRegion, planQuotaProblem, QUOTAS, redshiftQuotaAlarms,
} from "../preflight/quotas";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import { isConfigError, runProgram, stackFileConfig } from "./harness";
import { accountState } from "./mocks";

const NS = "edge-anomaly-detection";
const WATCH = `${NS}:waf.watch`;

/** `n` CLOUDFRONT web ACLs of `rules` rules each (+ Rule=ALL): n × (rules + 1) WAF series, all in us-east-1. */
function cloudFrontAcls(n: number, rules: number, extraRules = 0) {
    return Array.from({ length: n }, (_, i) => ({
        name: `cdn-acl-${i}`,
        scope: "CLOUDFRONT",
        rules: Array.from({ length: rules + (i === 0 ? extraRules : 0) }, (_, j) => `Rule${j}`),
    }));
}

/** The watch-example stack (eu-west-1, no own web ACL) watching `watch`; its us-east-1 models are the CLOUDFRONT series'. */
function watchExample(watch: unknown[]) {
    return { api: { enabled: false }, waf: { watch }, detection: { engine: "cloudwatch" }, alerts: { emails: ["secops@corp.internal"] } };
}

function specsOf(raw: Record<string, unknown>) {
    const config = parseConfig(raw, { stack: "quota", region: "eu-west-1" });
    const webAcls = watchTargets(config, undefined);
    return { config, specs: planCloudWatchAlarms(cloudWatchDetectionArgs(config, { webAcls, alerts: { topicArn: "arn:aws:sns:eu-west-1:123456789012:t" } })) };
}

/** A band alarm's queries as the engine plans them: m1 (metric), e1 = FILL(m1, 0), ad1 = its band. */
function bandQueries(metric: { namespace: string; metricName: string; dimensions: Record<string, unknown> }, o: { period?: number; stat?: string; width?: number; label?: string } = {}) {
    return [
        { id: QUERY_IDS.metric, metric: { ...metric, period: o.period ?? 60, stat: o.stat ?? "Sum" }, returnData: false },
        { id: QUERY_IDS.filled, expression: fillExpression(QUERY_IDS.metric), label: o.label ?? "x (missing = 0)", returnData: true },
        { id: QUERY_IDS.band, expression: bandExpression(QUERY_IDS.filled, o.width ?? 3), label: "Expected x", returnData: true },
    ] as AlarmSpec["metricQueries"];
}

describe("quotas: anomaly model identity (what makes two band alarms one model)", () => {
    const views = { namespace: "EdgeAnomaly/Ecommerce", metricName: "Views", dimensions: { Stack: "dev" } };
    const one = (q: AlarmSpec["metricQueries"]) => {
        const ids = anomalyModelIdentities(q);
        assert.equal(ids.length, 1);
        return ids[0];
    };

    it("the band width is not part of a model; the metric, its dimensions, period and stat are", () => {
        assert.equal(one(bandQueries(views, { width: 2 })), one(bandQueries(views, { width: 6 })));
        assert.notEqual(one(bandQueries(views)), one(bandQueries(views, { period: 300 })));
        assert.notEqual(one(bandQueries(views)), one(bandQueries(views, { stat: "Average" })));
        assert.notEqual(one(bandQueries(views)), one(bandQueries({ ...views, dimensions: { Stack: "dev", Platform: "web" } })));
        assert.notEqual(one(bandQueries(views)), one(bandQueries({ ...views, metricName: "Revenue" })));
        // the dimensions' order is not: a model is the same metric however the object was written
        const two = { namespace: "AWS/WAFV2", metricName: "BlockedRequests" };
        assert.equal(one(bandQueries({ ...two, dimensions: { Rule: "ALL", WebACL: "a" } })), one(bandQueries({ ...two, dimensions: { WebACL: "a", Rule: "ALL" } })));
        // conservative: a label of the band's input is kept (AWS stores it in the detector's MetricDataQueries)
        assert.notEqual(one(bandQueries(views, { label: "a" })), one(bandQueries(views, { label: "b" })));
    });

    it("the band's input and every query it references, not the rest; no band, no model; a band on a missing id is an error", () => {
        const q = bandQueries(views);
        const extra = [...q, { id: "m9", metric: { namespace: "N", metricName: "Other", period: 60, stat: "Sum" }, returnData: false }] as typeof q;
        assert.equal(one(extra), one(q), "a query the band does not read is not part of its model");
        // a band straight on the metric: a single-metric model, m1 alone
        const direct = [q[0], { id: "ad1", expression: "ANOMALY_DETECTION_BAND(m1, 2)", returnData: true }] as typeof q;
        assert.deepEqual(JSON.parse(one(direct)).map((x: { id: string }) => x.id), ["m1"]);
        assert.deepEqual(anomalyModelIdentities(q.slice(0, 2)), [], "FILL alone (a gate child) needs no model");
        assert.throws(() => anomalyModelIdentities([q[0], { id: "ad1", expression: "ANOMALY_DETECTION_BAND(e7, 2)", returnData: true }] as typeof q), /ANOMALY_DETECTION_BAND\(e7\) names no query/);
    });

    it("a value unknown at preview (the own web ACL's name) matches only the very same Output", () => {
        const acl = pulumi.output("own-acl");
        const waf = (name: unknown) => ({ kind: "waf" as const, metricQueries: bandQueries({ namespace: "AWS/WAFV2", metricName: "BlockedRequests", dimensions: { Rule: "ALL", WebACL: name } }) });
        assert.equal(anomalyModelsByRegion([waf(acl), waf(acl)], "us-east-1").get("us-east-1")!.total, 1);
        assert.equal(anomalyModelsByRegion([waf(acl), waf(pulumi.output("own-acl"))], "us-east-1").get("us-east-1")!.total, 2);
    });
});

describe("quotas: anomaly detection models per region (500), one per distinct band input", () => {
    it("hand-computed: a series' spike and drop are one model, a revenue series' two order-value companions one more", () => {
        const { specs } = specsOf({ ...watchExample([{ name: "shop-alb-acl", scope: "REGIONAL", rules: ["A", "B"] }]), detection: { engine: "cloudwatch", ecommerceDimensions: ["platform"], platforms: ["web", "ios"] } });
        const pair = specs.filter((s) => s.target.series?.key === "views-total");
        assert.deepEqual(pair.map((s) => s.kind), ["spike", "drop"]);
        assert.equal(anomalyModelsByRegion(pair, "eu-west-1").get("eu-west-1")!.total, 1, "views-total: spike + drop = 1 model");
        const revenue = specs.filter((s) => s.target.series?.key === "revenue-total");
        assert.ok(revenue.every((s) => s.companion) && revenue.length === 2);
        assert.deepEqual(anomalyModelsByRegion(revenue, "eu-west-1").get("eu-west-1"),
            { total: 2, waf: 0, ecommerce: 2, redshift: 0, ecommerceBy: { total: 2, platform: 0, marketplace: 0 }, bandAlarms: 4 }, "revenue-total: its band + its AOV ratio");
        // WAF: Rule=ALL, A, B = 3; ecommerce: 3 series (total, web, ios) per measure: views 3 + revenue 3 + AOV 3 = 9.
        // Band alarms: 3 WAF + 12 spike/drop + 6 AOV companions = 21.
        assert.deepEqual(anomalyModelsByRegion(specs, "eu-west-1").get("eu-west-1"),
            { total: 12, waf: 3, ecommerce: 9, redshift: 0, ecommerceBy: { total: 3, platform: 6, marketplace: 0 }, bandAlarms: 21 });
    });

    it("CLOUDFRONT series count in us-east-1: 500 passes, 501 fails naming waf.watch", () => {
        const at = specsOf(watchExample(cloudFrontAcls(5, 99)));
        assert.equal(anomalyModelsByRegion(at.specs, "eu-west-1").get("us-east-1")?.total, 500);
        checkAnomalyModels(at.specs, "eu-west-1");
        const over = specsOf(watchExample(cloudFrontAcls(5, 99, 1)));
        assert.equal(anomalyModelsByRegion(over.specs, "eu-west-1").get("us-east-1")?.total, 501);
        assert.throws(() => checkAnomalyModels(over.specs, "eu-west-1"),
            isConfigError(WATCH, /needs 501 anomaly detection models in us-east-1 \(501 for WAF series, 0 for ecommerce series; one per distinct band input, for 501 band alarms\); CloudWatch allows 500 per region/));
    });

    for (const [dimension, key] of [["platform", "platforms"], ["marketplace", "marketplaces"]] as const) {
        it(`ecommerce series by ${dimension} in the stack region: 500 passes (953 band alarms), 501 fails naming detection.${key}`, () => {
            // 150 values: 151 series per measure, 3 models each (views, revenue, AOV) = 453, + a web ACL of 46 or 47 rules (+ Rule=ALL).
            const cfg = (rules: number) => ({
                ...watchExample([{ name: "shop-alb-acl", scope: "REGIONAL", rules: Array.from({ length: rules }, (_, i) => `R${i}`) }]),
                detection: { engine: "cloudwatch", ecommerceDimensions: [dimension], [`${key}`]: Array.from({ length: 150 }, (_, i) => `v${i}`) },
            });
            const at = specsOf(cfg(46)).specs;
            assert.deepEqual(anomalyModelsByRegion(at, "eu-west-1").get("eu-west-1"),
                { total: 500, waf: 47, ecommerce: 453, redshift: 0, ecommerceBy: { total: 3, platform: dimension === "platform" ? 450 : 0, marketplace: dimension === "marketplace" ? 450 : 0 }, bandAlarms: 47 + 151 * 4 + 151 * 2 });
            checkAnomalyModels(at, "eu-west-1");
            assert.throws(() => checkAnomalyModels(specsOf(cfg(47)).specs, "eu-west-1"),
                isConfigError(`${NS}:detection.${key}`, /needs 501 anomaly detection models in eu-west-1 \(48 for WAF series, 453 for ecommerce series; one per distinct band input, for 954 band alarms\)/));
        });
    }

    it("the whole program fails preview before any alarm is declared", async () => {
        const cfg: Record<string, unknown> = { ...stackFileConfig("watch-example") };
        cfg[WATCH.replace(".watch", "")] = { watch: cloudFrontAcls(5, 99, 1) };
        await assert.rejects(runProgram(cfg, "quota-models"), isConfigError(WATCH, /501 anomaly detection models in us-east-1/));
    });
});

describe("quotas: sources.redshift's band alarms count toward the stack region's anomaly models", () => {
    const redshift = (values: number) => ({
        enabled: true, workgroupName: "sales-wg", database: "analytics",
        queries: [{
            name: "orders", measures: ["revenue"], dimensions: ["region"], watch: { region: Array.from({ length: values }, (_, i) => `r${i}`) },
            sql: "SELECT :start::timestamp AS timestamp, region, SUM(amount) AS revenue FROM sales.orders WHERE ordered_at >= :start::timestamp AND ordered_at < :end::timestamp GROUP BY 1, 2",
        }],
    });
    /** The dev stack with sources.redshift watching `values` regions, planned as index.ts plans it for the check. */
    const devWithRedshift = (values: number) => {
        const raw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(stackFileConfig("dev"))) if (k.startsWith(`${NS}:`)) raw[k.slice(NS.length + 1)] = v;
        raw.sources = { redshift: redshift(values) };
        const config = parseConfig(raw, { stack: "dev", region: "us-east-1" });
        const webAcls = [{ key: "", name: "acl", scope: "REGIONAL" as const, rules: ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] }];
        const planned = redshiftMetricsArgs(config, { alerts: { topicArn: "t", deadLetterQueueArn: "q", deadLetterKeyArn: "k", findingFunctionArn: "f" } })!;
        return [...planCloudWatchAlarms(cloudWatchDetectionArgs(config, { webAcls, alerts: { topicArn: "t" } })), ...redshiftQuotaAlarms(planRedshiftAlarms(redshiftSettings(planned)))];
    };

    it("hand-computed: each Redshift series' spike and drop are one model (3 series: 3 models, 6 band alarms)", () => {
        const rs = devWithRedshift(2).filter((s) => s.kind === "redshift");
        assert.equal(rs.length, 6);
        assert.deepEqual(anomalyModelsByRegion(rs, "us-east-1").get("us-east-1"),
            { total: 3, waf: 0, ecommerce: 0, redshift: 3, ecommerceBy: { total: 0, platform: 0, marketplace: 0 }, bandAlarms: 6 });
    });

    it("dev (28 models) + 472 Redshift series = 500 passes; one more value fails naming sources.redshift.queries", () => {
        const at = devWithRedshift(471);
        assert.deepEqual(anomalyModelsByRegion(at, "us-east-1").get("us-east-1"),
            { total: 500, waf: 4, ecommerce: 24, redshift: 472, ecommerceBy: { total: 3, platform: 9, marketplace: 12 }, bandAlarms: 52 + 944 });
        checkAnomalyModels(at, "us-east-1");
        assert.throws(() => checkAnomalyModels(devWithRedshift(472), "us-east-1"),
            isConfigError(`${NS}:sources.redshift.queries`, /needs 501 anomaly detection models in us-east-1 \(4 for WAF series, 24 for ecommerce series, 473 for Redshift series; one per distinct band input, for 998 band alarms\)/));
    });

    it("the whole program: a Redshift query watching many dimension values fails preview naming the Redshift key", async () => {
        const cfg: Record<string, unknown> = { ...stackFileConfig("dev") };
        cfg[`${NS}:sources`] = { redshift: redshift(472) };
        await assert.rejects(runProgram(cfg, "quota-redshift"), isConfigError(`${NS}:sources.redshift.queries`, /501 anomaly detection models in us-east-1 \(4 for WAF series, 24 for ecommerce series, 473 for Redshift series/));
    });
});

describe("quotas: PutMetricAlarm rate (3 requests/s per region): a warning for very large stacks", () => {
    it("180 metric alarms in a region (60 s at 3/s) pass quietly; 181 warn with the quota", () => {
        const specs = (n: number) => Array.from({ length: n }, () => ({ kind: "spike" })) as unknown as Parameters<typeof metricAlarmsByRegion>[0];
        assert.deepEqual(alarmRateWarnings(specs(180), "us-east-1"), []);
        const [w] = alarmRateWarnings(specs(181), "us-east-1");
        assert.match(w, /^quota: 181 metric alarms in us-east-1 take at least 61 s to create at CloudWatch's PutMetricAlarm quota of 3 requests\/s/);
    });

    it("a revenue alarm's AOV child is one more band alarm (dev: 36 band alarms + 16 AOV children, 72 metric alarms; 28 distinct models)", () => {
        const specs = planCloudWatchAlarms(cloudWatchDetectionArgs(loadStackConfig("dev"), { webAcls: [{ key: "", name: "acl", scope: "REGIONAL", rules: ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] }], alerts: { topicArn: "t" } }));
        // 4 WAF series; 16 ecommerce series (views and revenue: total, 3 platforms, 4 marketplaces) with spike + drop
        // on one model each, and the 8 revenue series' AOV companions (spike + drop) on one more each: 4 + 16 + 8.
        assert.deepEqual(anomalyModelsByRegion(specs, "us-east-1").get("us-east-1"),
            { total: 28, waf: 4, ecommerce: 24, redshift: 0, ecommerceBy: { total: 3, platform: 9, marketplace: 12 }, bandAlarms: 52 });
        assert.equal(metricAlarmsByRegion(specs, "us-east-1").get("us-east-1"), 72);
    });

    it("a gated alarm counts its band and its gate child (two PutMetricAlarm calls)", () => {
        const { specs } = specsOf(watchExample(cloudFrontAcls(1, 0)));
        // one CLOUDFRONT series: band + floor in us-east-1
        assert.equal(metricAlarmsByRegion(specs, "eu-west-1").get("us-east-1"), 2);
    });

    it("a large stack's run logs the warning (watch-example with 100 CLOUDFRONT series: 200 alarms in us-east-1)", async () => {
        const cfg: Record<string, unknown> = { ...stackFileConfig("watch-example") };
        cfg[`${NS}:waf`] = { watch: cloudFrontAcls(1, 99) };
        const run = await runProgram(cfg, "quota-rate");
        assert.equal(run.log.filter((l) => /PutMetricAlarm quota/.test(l)).length, 1, run.log.join("\n"));
        assert.match(run.log.find((l) => /PutMetricAlarm/.test(l))!, /^warning: \[runtime\] quota: 200 metric alarms in us-east-1 take at least 67 s/);
    });
});

describe("quotas: Lambda environment (4 KB per function)", () => {
    it("names and values together, in bytes: 4,096 passes, 4,097 fails naming the key of the largest variable", () => {
        const fixed = { FINDING_REGION: "us-east-1" };
        const base = lambdaEnvironmentBytes(fixed) + "WEB_ACL_ARNS".length;
        const at = { ...fixed, WEB_ACL_ARNS: "a".repeat(QUOTAS.lambdaEnvironmentBytes - base) };
        assert.equal(lambdaEnvironmentBytes(at), 4096);
        checkLambdaEnvironment("finding", at);
        const over = { ...at, WEB_ACL_ARNS: `${at.WEB_ACL_ARNS}b` };
        assert.throws(() => checkLambdaEnvironment("finding", over), isConfigError(WATCH, /Lambda function finding: its environment is 4097 bytes \(largest: WEB_ACL_ARNS/));
        assert.equal(lambdaEnvironmentBytes({ K: "é" }), 3, "UTF-8 bytes, not characters");
    });

    it("the whole program: the finding Lambda's WEB_ACL_ARNS of many watched web ACLs fails naming waf.watch", async () => {
        const names = Array.from({ length: 30 }, (_, i) => `partner-api-acl-${String(i).padStart(2, "0")}-${"x".repeat(100)}`);
        const saved = new Map(accountState.webAcls);
        for (const name of names) {
            accountState.webAcls.set(`REGIONAL/${name}`, { arn: `arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/${name}/${"0".repeat(36)}`, totalMetricsEnabled: true, rules: [] });
        }
        try {
            const cfg: Record<string, unknown> = { ...stackFileConfig("watch-example") };
            cfg[`${NS}:waf`] = { watch: names.map((name) => ({ name, scope: "REGIONAL" })) };
            await assert.rejects(runProgram(cfg, "quota-env"), isConfigError(WATCH, /alerts-finding: its environment is \d{4} bytes \(largest: WEB_ACL_ARNS, \d{4} bytes\); Lambda allows 4096/));
        } finally {
            accountState.webAcls.clear();
            for (const [k, v] of saved) accountState.webAcls.set(k, v);
        }
    });

    it("the offline plan checks every function's whole environment and the dashboard body as built", () => {
        const fn = (variables: Record<string, string>) => ({ type: "aws:lambda/function:Function", name: "f", inputs: { name: "stack-f", environment: { variables } } });
        const dash = (widgets: number) => ({ type: "aws:cloudwatch/dashboard:Dashboard", name: "d", inputs: { dashboardName: "stack-d", dashboardBody: JSON.stringify({ widgets: Array(widgets).fill({ type: "text", properties: { markdown: "x" } }) }) } });
        assert.equal(planQuotaProblem([fn({ A: "x".repeat(4095) }), dash(500)]), undefined);
        assert.match(planQuotaProblem([fn({ A: "x".repeat(4096) })])!, /^Invalid stack configuration 'edge-anomaly-detection': Lambda function stack-f: its environment is 4097 bytes/);
        assert.match(planQuotaProblem([fn({ WEB_ACL_ARNS: "x".repeat(4096) })])!, /'edge-anomaly-detection:waf\.watch'/);
        assert.match(planQuotaProblem([dash(501)])!, /^Invalid stack configuration 'edge-anomaly-detection:waf\.watch': dashboard stack-d: 501 widgets/);
    });
});

describe("quotas: dashboard (500 widgets, 500 metrics a widget, 2,500 metrics a dashboard)", () => {
    const text = { type: "text", properties: { markdown: "x" } };
    const graph = (metrics: number, expressions = 0) => ({
        type: "metric",
        properties: { metrics: [...Array.from({ length: metrics }, (_, i) => ["AWS/WAFV2", "BlockedRequests", "Rule", `R${i}`]), ...Array.from({ length: expressions }, (_, i) => [{ expression: `FILL(m${i}, 0)`, id: `e${i}` }])] },
    });

    it("widgets: 500 pass, 501 fail naming waf.watch", () => {
        assert.equal(dashboardQuotaProblem({ widgets: Array(500).fill(text) }), undefined);
        assert.throws(() => checkDashboard("d", { widgets: Array(501).fill(text) }), isConfigError(WATCH, /dashboard d: 501 widgets; a dashboard holds at most 500/));
    });

    it("metrics: 500 in a widget and 2,500 in all pass; one more fails; expressions are not metrics", () => {
        assert.equal(dashboardQuotaProblem({ widgets: [graph(500, 10)] }), undefined);
        assert.match(dashboardQuotaProblem({ widgets: [graph(501)] })!, /widget 0 graphs 501 metrics; a widget holds at most 500/);
        assert.equal(dashboardQuotaProblem({ widgets: Array(5).fill(graph(500)) }), undefined);
        assert.match(dashboardQuotaProblem({ widgets: [...Array(5).fill(graph(500)), graph(1)] })!, /2501 metrics across its widgets; a dashboard holds at most 2500/);
    });
});
