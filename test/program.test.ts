// The whole program (index.ts) for both engines on the same stack config except `detection.engine`: the right
// resources for each engine, every detector wired to the one alert path, the dashboard, and the stack outputs.
import { strict as assert } from "assert";

import { ProgramRun, runProgram, stackFileConfig } from "./harness";

const PROJECT = "edge-anomaly-detection";
const T = {
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    composite: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    topic: "aws:sns/topic:Topic",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    detector: "pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector",
    activation: "pulumi-nodejs:dynamic/edge-anomaly-lookout:DetectorActivation",
    alert: "pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert",
    schedule: "aws:cloudwatch/eventRule:EventRule",
    fn: "aws:lambda/function:Function",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
};

function devWithEngine(engine: "cloudwatch" | "lookout"): Record<string, unknown> {
    const c = stackFileConfig("dev");
    c[`${PROJECT}:detection`] = { ...(c[`${PROJECT}:detection`] as object), engine };
    return c;
}

/** The ARNs every widget of the dashboard names, from its body. */
function dashboardAlarmArns(run: ProgramRun): string[] {
    const body = JSON.parse(run.one(T.dashboard).inputs.dashboardBody);
    return body.widgets.filter((w: any) => w.type === "alarm").flatMap((w: any) => w.properties.alarms);
}

describe("program: engine cloudwatch (dev)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(devWithEngine("cloudwatch"), "engine-cw");
    });

    it("creates anomaly-band alarms, no Lookout resources and no heartbeat", () => {
        const anomaly = run.ofType(T.alarm).filter((a) => (a.inputs.metricQueries ?? []).some((q: any) => /ANOMALY_DETECTION_BAND/.test(q.expression ?? "")));
        assert.equal(anomaly.length, 52, "the web ACL total (Rule=ALL) + 3 WAF rules + 2 measures x (total + 3 platforms + 4 marketplaces) x spike/drop (band alarms and band children) + 8 revenue series x spike/drop AOV children");
        assert.equal(run.ofType(T.detector).length + run.ofType(T.activation).length + run.ofType(T.alert).length, 0);
        assert.equal(run.ofType(T.schedule).length, 0, "FILL(m, 0) replaces the heartbeat");
    });

    it("wires every acting alarm, ALARM and OK, to the stack's one alert topic; noise-floor children act only through their composite", () => {
        const topic = run.one(T.topic, "alerts-topic");
        const people = run.one(T.topic, "people-topic");
        assert.equal(run.outputs.alertTopicArn, topic.state.arn);
        const composites = run.ofType(T.composite);
        assert.equal(composites.length, 28, "(Rule=ALL + 3 WAF rules) + 16 drop composites + 8 revenue spike composites");
        const referenced = new Set(composites.flatMap((c) => [...(c.inputs.alarmRule as string).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1])));
        for (const alarm of [...run.ofType(T.alarm), ...composites]) {
            if ((alarm.inputs.alarmActions ?? []).length === 0) {
                assert.ok(referenced.has(alarm.inputs.name), `${alarm.name} has no actions and feeds no composite`);
                assert.deepEqual(alarm.inputs.okActions ?? [], [], alarm.name);
                continue;
            }
            // The DLQ alarm's ALARM also goes to people directly (a broken finding path still reaches them).
            const actions = alarm.name.endsWith("alerts-dlq-depth") ? [topic.state.arn, people.state.arn] : [topic.state.arn];
            assert.deepEqual(alarm.inputs.alarmActions, actions, alarm.name);
            assert.deepEqual(alarm.inputs.okActions, [topic.state.arn], alarm.name);
        }
    });

    it("fills missing WAF datapoints with 0 before the band, per rule of the web ACL", () => {
        for (const rule of run.outputs.wafRuleMetricNames as string[]) {
            const alarm = run.ofType(T.alarm).find((a) => a.name.endsWith(`waf-${rule}`));
            assert.ok(alarm, rule);
            const q = Object.fromEntries(alarm.inputs.metricQueries.map((x: any) => [x.id, x]));
            assert.deepEqual(q.m1.metric.dimensions, { Region: "us-east-1", Rule: rule, WebACL: run.outputs.webAclName });
            assert.equal(q.e1.expression, "FILL(m1, 0)");
            assert.equal(q.ad1.expression, "ANOMALY_DETECTION_BAND(e1, 3)");
            assert.equal(alarm.inputs.thresholdMetricId, "ad1");
        }
    });

    it("shows every acting alarm, the alert DLQ alarm included, on the dashboard", () => {
        const onDashboard = new Set(dashboardAlarmArns(run));
        const acting = [...run.ofType(T.alarm), ...run.ofType(T.composite)].filter((a) => (a.inputs.alarmActions ?? []).length > 0).map((a) => a.state.arn);
        assert.equal(acting.length, 37, "36 acting anomaly alarms (28 composites, 8 views spike alarms) + the DLQ depth alarm");
        for (const arn of acting) assert.ok(onDashboard.has(arn), arn);
        assert.equal(onDashboard.size, 37);
        assert.equal(run.outputs.dashboardName, run.one(T.dashboard).inputs.dashboardName);
        assert.equal(run.outputs.alarmCount, 36);
    });

    it("exports the simulation's worst-case detection latency: WAF 139 s, ecommerce 185 s", () => {
        assert.equal(run.outputs.detectionLatencySeconds, 185);
        const b = run.outputs.detectionLatencyBreakdown as { wafSeconds: number; ecommerceSeconds: number; warnings: string[] };
        assert.deepEqual([b.wafSeconds, b.ecommerceSeconds], [139, 185]);
        assert.deepEqual(b.warnings, [], "every noise-free replay of the stack totals alarms (the total revenue drop at night through its AOV child)");
        assert.equal(run.outputs.lookoutDetectorArns, undefined);
    });
});

describe("program: engine lookout (dev, engine switched)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(devWithEngine("lookout"), "engine-l4m");
    });

    it("creates two detectors, their activations and four alerts, and no anomaly alarms", () => {
        assert.equal(run.ofType(T.detector).length, 2);
        assert.equal(run.ofType(T.activation).length, 2);
        assert.equal(run.ofType(T.alert).length, 4);
        const alarms = run.ofType(T.alarm);
        assert.deepEqual(alarms.map((a) => a.name).sort(), ["alerts-dlq-depth", "blocked-heartbeat-errors"], "only the alert path's own alarms");
        assert.equal(run.outputs.alarmCount, 0);
    });

    it("turns the heartbeat on, for the detector that reads AWS/WAFV2", () => {
        assert.equal(run.one(T.schedule, "heartbeat").inputs.scheduleExpression, "rate(5 minutes)");
    });

    it("sends every Lookout alert to the stack's topic or finding function", () => {
        const topicArn = run.one(T.topic, "alerts-topic").state.arn;
        const findingArn = run.one(T.fn, "alerts-finding").state.arn;
        const targets = run.ofType(T.alert).map((a) => a.inputs.action.topicArn ?? a.inputs.action.functionArn);
        assert.deepEqual(targets.sort(), [findingArn, findingArn, topicArn, topicArn].sort());
    });

    it("points the ecommerce detector at the pipeline's bucket and the detectors' ARNs out as stack outputs", () => {
        const bucket = run.outputs.dataBucketName as string;
        const ecommerce = run.ofType(T.detector).find((d) => d.inputs.metricSet.source.type === "s3");
        assert.ok(ecommerce);
        assert.equal(ecommerce.inputs.metricSet.source.templatedPath, `s3://${bucket}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`);
        assert.equal(run.outputs.liveDataPath, `s3://${bucket}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`);
        const arns = run.outputs.lookoutDetectorArns as { waf: string; ecommerce: string };
        assert.deepEqual(Object.keys(arns).sort(), ["ecommerce", "waf"]);
        assert.ok(arns.ecommerce.includes(":AnomalyDetector:"));
    });

    it("exports the worst-case detection latency: WAF 600 s, ecommerce 780 s", () => {
        assert.equal(run.outputs.detectionLatencySeconds, 780);
        assert.deepEqual(run.outputs.detectionLatencyBreakdown, { wafSeconds: 600, ecommerceSeconds: 780, warnings: [] });
    });

    it("still shows the alert path's alarms (DLQ depth, heartbeat failures) on the dashboard", () => {
        assert.deepEqual(dashboardAlarmArns(run), [run.one(T.alarm, "dlq").state.arn, run.one(T.alarm, "heartbeat-errors").state.arn]);
    });
});

describe("program: what both engines share", () => {
    it("the same edge, pipeline and alert path; only the detection resources differ", async () => {
        const cw = await runProgram(devWithEngine("cloudwatch"), "share-cw");
        const l4m = await runProgram(devWithEngine("lookout"), "share-l4m");
        const shared = (run: ProgramRun) => run.resources
            .filter((r) => !/MetricAlarm|CompositeAlarm|edge-anomaly-lookout|Dashboard|LookoutDetection|CloudWatchDetection|heartbeat/i.test(`${r.type} ${r.name}`))
            .filter((r) => !(r.type === "aws:iam/role:Role" && r.name.startsWith("lookout")) && !(r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.startsWith("lookout")))
            .map((r) => `${r.type} ${r.name}`)
            .sort();
        // The transform differs only in what it emits (EMF with cloudwatch), not in the resources.
        assert.deepEqual(shared(l4m), shared(cw));
        const emf = (run: ProgramRun) => run.one(T.fn, "ecommerce-transform").inputs.environment.variables;
        assert.notDeepEqual(emf(cw), emf(l4m));
        assert.equal(cw.one(T.firehose).inputs.extendedS3Configuration.prefix, l4m.one(T.firehose).inputs.extendedS3Configuration.prefix);
    });
});

describe("program: the finding Lambda knows what to name in findings", () => {
    it("gets the web ACL and the ecommerce stream ARNs of this stack", async () => {
        const run = await runProgram(devWithEngine("cloudwatch"), "finding-env");
        const env = run.one(T.fn, "alerts-finding").inputs.environment.variables;
        assert.equal(env.WEB_ACL_ARN, run.outputs.webAclArn);
        assert.equal(env.ECOMMERCE_STREAM_ARN, run.one("aws:kinesis/stream:Stream").state.arn);
    });
});

describe("program and library entry points", () => {
    it("pulumi up runs main.ts (Pulumi.yaml main: preflight, then index.ts); package.json main/exports name the library, which declares nothing when imported", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require("fs") as typeof import("fs");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const yaml = require("js-yaml") as typeof import("js-yaml");
        const { ROOT } = await import("./harness");
        const project = yaml.load(fs.readFileSync(`${ROOT}/Pulumi.yaml`, "utf8")) as { main?: string };
        // Without `main`, the Node.js language host would run package.json's `exports["."]` (the library).
        assert.equal(project.main, "main.ts");
        const pkg = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, "utf8"));
        assert.equal(pkg.main, "lib.ts");
        assert.equal(pkg.exports["."], "./lib.ts");
        const { registered } = await import("./mocks");
        registered.length = 0;
        // Self-reference by package name resolves through `exports`, as it would for a program that installs it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const lib = require("edge-anomaly-detection") as typeof import("../lib");
        for (const name of ["WafProtectedApi", "EcommercePipeline", "AnomalyAlerts", "CloudWatchDetection", "LookoutDetection", "DetectionDashboard", "BlockedRequestsHeartbeat"]) {
            assert.equal(typeof (lib as Record<string, unknown>)[name], "function", name);
        }
        assert.equal(registered.length, 0, "importing the library registers no resource");
    });
});
