// Preview-time quota checks (preflight/quotas.ts): at the limit passes, one over fails naming the stack key. The
// counts come from what the program builds (the cloudwatch engine's alarm plan, a function's environment, the
// dashboard body), and the whole program fails before AWS would.
import { strict as assert } from "assert";

import { cloudWatchDetectionArgs, watchTargets } from "../componentArgs";
import { planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { parseConfig } from "../config";
import {
    alarmRateWarnings, anomalyModelsByRegion, checkAnomalyModels, checkDashboard, checkLambdaEnvironment, dashboardQuotaProblem,
    lambdaEnvironmentBytes, metricAlarmsByRegion, planQuotaProblem, QUOTAS,
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

describe("quotas: anomaly detection models per region (500)", () => {
    it("CLOUDFRONT series count in us-east-1: 500 passes, 501 fails naming waf.watch", () => {
        const at = specsOf(watchExample(cloudFrontAcls(5, 99)));
        assert.equal(anomalyModelsByRegion(at.specs, "eu-west-1").get("us-east-1")?.total, 500);
        checkAnomalyModels(at.specs, "eu-west-1");
        const over = specsOf(watchExample(cloudFrontAcls(5, 99, 1)));
        assert.equal(anomalyModelsByRegion(over.specs, "eu-west-1").get("us-east-1")?.total, 501);
        assert.throws(() => checkAnomalyModels(over.specs, "eu-west-1"),
            isConfigError(WATCH, /needs 501 anomaly detection models in us-east-1 \(501 WAF series, 0 ecommerce band alarms\); CloudWatch allows 500 per region/));
    });

    it("the stack region counts its ecommerce band alarms (spike and drop each) beside its WAF series", () => {
        const { specs } = specsOf(watchExample([{ name: "shop-alb-acl", scope: "REGIONAL", rules: ["A", "B"] }]));
        const eu = anomalyModelsByRegion(specs, "eu-west-1").get("eu-west-1")!;
        assert.equal(eu.waf, 3);
        // each ecommerce band alarm, and each revenue alarm's AOV child
        assert.equal(eu.ecommerce, specs.filter((s) => s.kind !== "waf").length + specs.filter((s) => s.companion).length);
        assert.ok(eu.ecommerce > 0 && eu.total === eu.waf + eu.ecommerce);
    });

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

    it("counted by kind; the larger share names the key (sources.redshift.queries)", () => {
        const of = (kind: string, n: number) => Array.from({ length: n }, () => ({ kind })) as unknown as Parameters<typeof checkAnomalyModels>[0];
        assert.deepEqual(anomalyModelsByRegion([...of("spike", 50), ...of("redshift", 450)], "us-east-1").get("us-east-1"), { total: 500, waf: 0, ecommerce: 50, redshift: 450 });
        checkAnomalyModels([...of("spike", 50), ...of("redshift", 450)], "us-east-1");
        assert.throws(() => checkAnomalyModels([...of("spike", 50), ...of("redshift", 451)], "us-east-1"),
            isConfigError(`${NS}:sources.redshift.queries`, /needs 501 anomaly detection models in us-east-1 \(0 WAF series, 50 ecommerce band alarms, 451 Redshift band alarms\)/));
    });

    it("the whole program: a Redshift query watching many dimension values fails preview naming the Redshift key", async () => {
        const cfg: Record<string, unknown> = { ...stackFileConfig("dev") };
        cfg[`${NS}:sources`] = { redshift: redshift(250) };
        await assert.rejects(runProgram(cfg, "quota-redshift"), isConfigError(`${NS}:sources.redshift.queries`, /Redshift band alarms\)/));
    });
});

describe("quotas: PutMetricAlarm rate (3 requests/s per region): a warning for very large stacks", () => {
    it("180 metric alarms in a region (60 s at 3/s) pass quietly; 181 warn with the quota", () => {
        const specs = (n: number) => Array.from({ length: n }, () => ({ kind: "spike" })) as unknown as Parameters<typeof metricAlarmsByRegion>[0];
        assert.deepEqual(alarmRateWarnings(specs(180), "us-east-1"), []);
        const [w] = alarmRateWarnings(specs(181), "us-east-1");
        assert.match(w, /^quota: 181 metric alarms in us-east-1 take at least 61 s to create at CloudWatch's PutMetricAlarm quota of 3 requests\/s/);
    });

    it("a revenue alarm's AOV child is one more band alarm and model (dev: 36 band alarms + 16 AOV children, 72 metric alarms)", () => {
        const specs = planCloudWatchAlarms(cloudWatchDetectionArgs(loadStackConfig("dev"), { webAcls: [{ key: "", name: "acl", scope: "REGIONAL", rules: ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] }], alerts: { topicArn: "t" } }));
        assert.deepEqual(anomalyModelsByRegion(specs, "us-east-1").get("us-east-1"), { total: 52, waf: 4, ecommerce: 48, redshift: 0 });
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
