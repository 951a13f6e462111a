// RedshiftMetrics under the shared mocks, through the whole program (index.ts) with sources.redshift enabled:
// the schedules, the roles (exact documents), the alarms per query series, the lookout detectors, the dashboard,
// the latency output, and zero mandatory policy violations.
import { strict as assert } from "assert";

import { redshiftMetricsArgs } from "../componentArgs";
import { parseConfig } from "../config";
import { planRedshiftAlarms, redshiftSeries, redshiftSettings } from "../components/redshiftMetrics";
import { evaluatePolicies, fromRecorded } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { REDSHIFT_SOURCE, SECRET, withSources } from "./fixtures/sources";
import { ProgramRun, runProgram } from "./harness";
import { ACCOUNT, REGION } from "./mocks";

const P = "edge-anomaly-detection";
/** A customer managed key the database secret is encrypted with. */
const SECRET_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9`;
/** The cloudwatch-engine source under test: orders' drops gated by a baseline of 100 per interval, signups watched for spikes only. */
const SOURCE = {
    ...REDSHIFT_SOURCE,
    secretKeyArn: SECRET_KEY,
    queries: [{ ...REDSHIFT_SOURCE.queries[0], minBaseline: 100 }, { ...REDSHIFT_SOURCE.queries[1], direction: "spike" }],
};
/** The stack name the harness ran with (it numbers repeated runs: dev, dev-2, ...). */
function stackOf(run: ProgramRun): string {
    return run.one("aws:scheduler/scheduleGroup:ScheduleGroup").inputs.name.replace(`${P}-`, "").replace(/-redshift$/, "");
}

function policyOf(run: ProgramRun, roleArn: string): any {
    const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === roleArn)!;
    const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
    assert.equal(policies.length, 1, `one inline policy on ${role.name}`);
    assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name).length, 0, "no managed policies");
    return { trust: JSON.parse(role.inputs.assumeRolePolicy), policy: JSON.parse(policies[0].inputs.policy) };
}

async function mandatoryViolations(run: ProgramRun, stack = "dev"): Promise<string[]> {
    const report = await evaluatePolicies(policies, fromRecorded(run.resources, stack, P), { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
    return [
        ...report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.type} ${v.name}: ${v.message}`),
        ...report.violations.filter((v) => v.couldNotRun).map((v) => `could not run ${v.policy}: ${v.message}`),
    ];
}

describe("RedshiftMetrics (cloudwatch engine, serverless workgroup with a secret)", () => {
    let run: ProgramRun;
    const wgArn = `arn:aws:redshift-serverless:${REGION}:${ACCOUNT}:workgroup/sales-wg-0000-4000-8000-000000000001`;
    before(async () => {
        run = await runProgram(withSources({ redshift: SOURCE }), "dev");
    });

    it("one schedule per query, 2 minutes after each 5-minute interval, invoking the runner through its own role, failures to the alert DLQ", () => {
        const fn = run.one("aws:lambda/function:Function", "redshift-runner");
        const role = run.one("aws:iam/role:Role", "redshift-scheduler");
        const dlq = run.one("aws:sqs/queue:Queue", "alerts-dlq");
        const group = run.one("aws:scheduler/scheduleGroup:ScheduleGroup");
        const stack = stackOf(run);
        assert.match(stack, /^dev(-\d+)?$/);
        assert.deepEqual(group.inputs.tags, { owner: "platform-security", environment: "dev", app: P, stack });
        const schedules = run.ofType("aws:scheduler/schedule:Schedule").sort((a, b) => a.inputs.name.localeCompare(b.inputs.name));
        assert.deepEqual(schedules.map((s) => s.inputs.name), [`${P}-${stack}-rs-orders`, `${P}-${stack}-rs-signups`]);
        for (const [i, s] of schedules.entries()) {
            const query = ["orders", "signups"][i];
            assert.equal(s.inputs.groupName, group.state.name);
            assert.equal(s.inputs.scheduleExpression, "cron(2/5 * * * ? *)");
            assert.equal(s.inputs.scheduleExpressionTimezone, "UTC");
            assert.deepEqual(s.inputs.flexibleTimeWindow, { mode: "OFF" });
            assert.deepEqual(s.inputs.target, {
                arn: fn.state.arn,
                roleArn: role.state.arn,
                input: JSON.stringify({ query, scheduledTime: "<aws.scheduler.scheduled-time>" }),
                retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 300 },
                deadLetterConfig: { arn: dlq.state.arn },
            });
        }
        const async = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "redshift-runner-async");
        assert.equal(async.inputs.maximumRetryAttempts, 2);
        assert.deepEqual(async.inputs.destinationConfig, { onFailure: { destination: dlq.state.arn } });
    });

    it("the scheduler's role: trusted by Scheduler for this account and schedule group only, may only invoke the runner and reach the DLQ", () => {
        const fn = run.one("aws:lambda/function:Function", "redshift-runner");
        const { trust, policy } = policyOf(run, run.one("aws:iam/role:Role", "redshift-scheduler").state.arn);
        assert.deepEqual(trust, {
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${P}-${stackOf(run)}-redshift` } },
            }],
        });
        assert.deepEqual(policy, {
            Version: "2012-10-17",
            Statement: [
                { Sid: "InvokeRunner", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [fn.state.arn, `${fn.state.arn}:*`] },
                { Sid: "UndeliveredToTheDlq", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: run.one("aws:sqs/queue:Queue", "alerts-dlq").state.arn },
                { Sid: "EncryptForTheDlq", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: run.one("aws:kms/key:Key", "alerts-key").state.arn },
            ],
        });
    });

    it("the runner's role: ExecuteStatement on this workgroup only, its own statements, the secret, its namespace, the DLQ (exact document)", () => {
        const fn = run.one("aws:lambda/function:Function", "redshift-runner");
        const logs = run.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.state.name === fn.inputs.loggingConfig.logGroup)!;
        const { trust, policy } = policyOf(run, fn.inputs.role);
        assert.deepEqual(trust.Statement, [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }]);
        assert.deepEqual(policy, {
            Version: "2012-10-17",
            Statement: [
                { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logs.state.arn}:*` },
                { Sid: "RunQueriesOnThisTarget", Effect: "Allow", Action: ["redshift-data:ExecuteStatement"], Resource: wgArn },
                {
                    Sid: "ReadOwnStatements", Effect: "Allow",
                    Action: ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement"],
                    Resource: "*", Condition: { StringEquals: { "redshift-data:statement-owner-iam-userid": "${aws:userid}" } },
                },
                { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: SECRET },
                {
                    Sid: "DecryptDatabaseSecret", Effect: "Allow", Action: ["kms:Decrypt"], Resource: SECRET_KEY,
                    Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`, "kms:EncryptionContext:SecretARN": SECRET } },
                },
                { Sid: "PutRedshiftMetrics", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": "EdgeAnomaly/Redshift" } } },
                { Sid: "SendFailedRunsToTheDlq", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: run.one("aws:sqs/queue:Queue", "alerts-dlq").state.arn },
                { Sid: "EncryptForTheDlq", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: run.one("aws:kms/key:Key", "alerts-key").state.arn },
            ],
        });
        assert.deepEqual(fn.inputs.environment.variables, { REDSHIFT_DATABASE: "analytics", REDSHIFT_WORKGROUP: "sales-wg", REDSHIFT_SECRET_ARN: SECRET });
        assert.equal(fn.inputs.timeout, 180, "statement wait (120 s) + margin");
        assert.equal(fn.inputs.runtime, "nodejs22.x");
    });

    it("per query series the ecommerce shape: spike band alarm (2 of 2 + 2 filling); drop as a composite of band (4 of 5) and baseline; direction spike: no drop", () => {
        const stack = stackOf(run);
        const n = (suffix: string) => `${P}-${stack}-redshift-${suffix}`;
        const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("redshift-"));
        const bands = alarms.filter((a) => a.inputs.thresholdMetricId === "ad1");
        const orders = ["orders-revenue-total", "orders-revenue-region-eu", "orders-revenue-region-us", "orders-orders-total", "orders-orders-region-eu", "orders-orders-region-us"];
        assert.deepEqual(bands.map((a) => a.inputs.name).sort(), [...orders.flatMap((s) => [n(`${s}-spike`), n(`${s}-drop-band`)]), n("signups-signups-total-spike")].sort());
        const topic = run.one("aws:sns/topic:Topic", "alerts-topic").state.arn;
        const m1 = { namespace: "EdgeAnomaly/Redshift", metricName: "revenue", dimensions: { Stack: stack, Query: "orders", region: "eu" }, period: 300, stat: "Average" };
        const bandQueries = [
            { id: "m1", metric: m1, returnData: false },
            { id: "e1", expression: "FILL(m1, 0)", label: "Redshift orders revenue (region=eu) (missing = 0)", returnData: true },
            { id: "ad1", expression: "ANOMALY_DETECTION_BAND(e1, 3)", label: "Expected Redshift orders revenue (region=eu) (missing = 0)", returnData: true },
        ];
        // Lag = the interval (stamped at its start) + 2 min delay + 120 s wait + 60 s margin = 600 s: two datapoints still filling.
        const spike = alarms.find((a) => a.inputs.name === n("orders-revenue-region-eu-spike"))!;
        assert.deepEqual(spike.inputs.metricQueries, bandQueries);
        assert.deepEqual([spike.inputs.comparisonOperator, spike.inputs.evaluationPeriods, spike.inputs.datapointsToAlarm, spike.inputs.treatMissingData], ["GreaterThanUpperThreshold", 4, 2, "notBreaching"]);
        assert.deepEqual([spike.inputs.actionsEnabled, spike.inputs.alarmActions, spike.inputs.okActions], [true, [topic], [topic]]);
        const band = alarms.find((a) => a.inputs.name === n("orders-revenue-region-eu-drop-band"))!;
        assert.deepEqual(band.inputs.metricQueries, bandQueries);
        assert.deepEqual([band.inputs.comparisonOperator, band.inputs.evaluationPeriods, band.inputs.datapointsToAlarm, band.inputs.treatMissingData], ["LessThanLowerThreshold", 5, 4, "ignore"]);
        assert.deepEqual([band.inputs.actionsEnabled, band.inputs.alarmActions, band.inputs.okActions], [true, [], []], "a child: no actions of its own");
        const baseline = alarms.find((a) => a.inputs.name === n("orders-revenue-region-eu-drop-baseline"))!;
        assert.deepEqual(baseline.inputs.metricQueries, [
            { id: "m1", metric: { ...m1, period: 3600 }, returnData: false },
            { id: "e1", expression: "FILL(m1, 0)", label: "Average per interval over 3600 s (missing = 0)", returnData: true },
        ]);
        assert.deepEqual([baseline.inputs.comparisonOperator, baseline.inputs.threshold, baseline.inputs.evaluationPeriods, baseline.inputs.datapointsToAlarm, baseline.inputs.treatMissingData, baseline.inputs.alarmActions],
            ["GreaterThanOrEqualToThreshold", 100, 1, 1, "notBreaching", []]);
        const composites = run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm").filter((a) => a.name.startsWith("redshift-"));
        assert.deepEqual(composites.map((c) => c.inputs.alarmName).sort(), orders.map((s) => n(`${s}-drop`)).sort());
        const composite = composites.find((c) => c.inputs.alarmName === n("orders-revenue-region-eu-drop"))!;
        assert.equal(composite.inputs.alarmRule, `ALARM("${n("orders-revenue-region-eu-drop-band")}") AND ALARM("${n("orders-revenue-region-eu-drop-baseline")}")`);
        assert.deepEqual([composite.inputs.actionsEnabled, composite.inputs.alarmActions, composite.inputs.okActions], [true, [topic], [topic]]);
        assert.match(composite.inputs.alarmDescription, /fell below its expected band .* in 2 of the last 3 complete 300-second datapoints and in the 2 still filling, with a baseline of at least 100 per interval over the last 3600 s/);
        // What acts is what the stack's alarm list (dashboard status) carries: spikes, composites, health alarms; not the children.
        const cfg = parseConfig({ detection: { engine: "cloudwatch" }, sources: { redshift: SOURCE } }, { stack: "dev", region: REGION });
        const args = redshiftMetricsArgs(cfg, { alerts: { topicArn: "t", deadLetterQueueArn: "q", deadLetterKeyArn: "k", findingFunctionArn: "f" } })!;
        const specs = planRedshiftAlarms(redshiftSettings(args));
        assert.deepEqual(specs.map((x) => [x.kind, x.series.key, !!x.gate]), [
            ...orders.flatMap((s) => [["spike", s, false], ["drop", s, true]]), ["spike", "signups-signups-total", false],
        ]);
        assert.equal(redshiftSeries(redshiftSettings(args)).length, 7);
    });

    it("alarm definitions follow the config: direction drop (no spike), no baseline (the drop alarm acts alone), detection M of N, CloudWatch's window limit", () => {
        const cfg = (redshift: unknown, detection: Record<string, unknown> = {}) => parseConfig({ detection: { engine: "cloudwatch", ...detection }, sources: { redshift } }, { stack: "dev", region: REGION });
        const plan = (redshift: unknown, detection?: Record<string, unknown>) =>
            planRedshiftAlarms(redshiftSettings(redshiftMetricsArgs(cfg(redshift, detection), { alerts: { topicArn: "t", deadLetterQueueArn: "q", deadLetterKeyArn: "k", findingFunctionArn: "f" } })!));
        const q = REDSHIFT_SOURCE.queries[1];
        const drop = plan({ ...REDSHIFT_SOURCE, queries: [{ ...q, direction: "drop" }] });
        assert.deepEqual(drop.map((x) => [x.kind, x.alarmName, x.gate, x.evaluationPeriods, x.datapointsToAlarm]), [["drop", `${P}-dev-redshift-signups-signups-total-drop`, undefined, 5, 4]]);
        const custom = plan({ ...REDSHIFT_SOURCE, frequency: "PT1H", queries: [{ ...q, minBaseline: 5 }] }, { evaluationPeriods: 3, datapointsToAlarm: 1 });
        // PT1H: lag 3600 + 120 + 120 + 60 s → 2 filling; baseline window max(1 h, 2 × 5 h) = 10 h.
        assert.deepEqual(custom.map((x) => [x.kind, x.evaluationPeriods, x.datapointsToAlarm, x.gate?.windowSeconds]), [["spike", 5, 1, undefined], ["drop", 5, 3, 36000]]);
        assert.throws(() => cfg({ ...REDSHIFT_SOURCE, queries: [{ ...q, direction: "down" }] }), /sources.redshift.queries\[0\].direction': "down" is not allowed; use one of: spike, drop, both/);
        assert.throws(() => cfg({ ...REDSHIFT_SOURCE, queries: [{ ...q, minBaseline: 0 }] }), /sources.redshift.queries\[0\].minBaseline': 0 must be a number greater than 0/);
        assert.throws(() => cfg({ ...REDSHIFT_SOURCE, queries: [{ ...q, direction: "spike", minBaseline: 3 }] }), /queries\[0\].minBaseline': gates drop alarms; this query's direction is spike/);
        assert.throws(() => redshiftMetricsArgs(cfg({ ...REDSHIFT_SOURCE, frequency: "P1D" }, { evaluationPeriods: 6 }), { alerts: { topicArn: "t", deadLetterQueueArn: "q", deadLetterKeyArn: "k", findingFunctionArn: "f" } }),
            /detection.evaluationPeriods': 6 is too many for the spike alarms with frequency P1D/);
    });

    it("a rejected-rows alarm per query and a runner-errors alarm notify the alert topic", () => {
        const topic = run.one("aws:sns/topic:Topic", "alerts-topic").state.arn;
        const rejected = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "redshift-orders-rejected-rows");
        assert.deepEqual([rejected.inputs.namespace, rejected.inputs.metricName, rejected.inputs.dimensions, rejected.inputs.threshold, rejected.inputs.comparisonOperator],
            ["EdgeAnomaly/Redshift", "RejectedRows", { Stack: stackOf(run), Query: "orders" }, 0, "GreaterThanThreshold"]);
        const errors = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "redshift-runner-errors");
        assert.deepEqual(errors.inputs.dimensions, { FunctionName: run.one("aws:lambda/function:Function", "redshift-runner").state.name });
        for (const a of [rejected, errors]) assert.deepEqual(a.inputs.alarmActions, [topic]);
    });

    it("the dashboard shows every Redshift series with its band and the runner's health; its alarms are in the status widget", () => {
        const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        const titles = body.widgets.filter((w: any) => w.type === "metric").map((w: any) => w.properties.title);
        for (const t of ["Redshift orders revenue (total)", "Redshift orders orders (region=us)", "Redshift signups signups (total)", "Redshift runner errors and duration", "Redshift rejected rows per query"]) {
            assert.ok(titles.includes(t), `dashboard has ${t}`);
        }
        const alarmWidgets = body.widgets.filter((w: any) => w.type === "alarm").flatMap((w: any) => w.properties.alarms);
        const metricAlarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("redshift-"));
        const acting = [...metricAlarms.filter((a) => a.inputs.alarmActions.length > 0), ...run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm").filter((a) => a.name.startsWith("redshift-"))];
        assert.equal(metricAlarms.length, 6 * 3 + 1 + 2 + 1, "per orders series spike, drop band, baseline; signups spike; rejected rows × 2; runner errors");
        assert.equal(acting.length, 6 + 6 + 1 + 2 + 1);
        for (const a of acting) assert.ok(alarmWidgets.includes(a.state.arn), `${a.name} on the dashboard`);
        // Each series graph carries exactly its band alarm's queries (the dashboard's band is the alarm's).
        for (const a of metricAlarms.filter((x) => x.inputs.thresholdMetricId === "ad1")) {
            const label = a.inputs.metricQueries[1].label.replace(/ \(missing = 0\)$/, "");
            const w = body.widgets.find((x: any) => x.type === "metric" && x.properties.title === label)!;
            assert.ok(w, `graph ${label}`);
            const [m, e, b] = a.inputs.metricQueries;
            const row = w.properties.metrics[0] as any[];
            const pairs = row.slice(2, -1);
            assert.deepEqual({ ns: row[0], name: row[1], dims: Object.fromEntries(pairs.flatMap((_: unknown, i: number) => i % 2 ? [] : [[pairs[i], pairs[i + 1]]])), props: row[row.length - 1] },
                { ns: m.metric.namespace, name: m.metric.metricName, dims: m.metric.dimensions, props: { id: m.id, visible: false, stat: m.metric.stat, period: m.metric.period } });
            assert.deepEqual(w.properties.metrics.slice(1), [
                [{ expression: e.expression, id: e.id, label: e.label, period: m.metric.period }],
                [{ expression: b.expression, id: b.id, label: b.label, period: m.metric.period }],
            ]);
        }
    });

    it("the latency output covers the Redshift path", () => {
        const b = run.outputs.detectionLatencyBreakdown as { redshiftSeconds: number; wafSeconds?: number; ecommerceSeconds?: number };
        // (2 datapoints + 2 filling) × 300 s, spike and drop alike
        assert.equal(b.redshiftSeconds, 1200);
        assert.equal(run.outputs.detectionLatencySeconds, Math.max(1200, b.wafSeconds ?? 0, b.ecommerceSeconds ?? 0));
        const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        assert.match(body.widgets[0].properties.markdown, /Worst-case detection latency: WAF \d+ s, ecommerce \d+ s \(npm run simulate, noise-free worst case\), Redshift 1200 s \(/);
    });

    it("zero mandatory policy violations", async () => {
        assert.deepEqual(await mandatoryViolations(run), []);
    });
});

describe("RedshiftMetrics (provisioned cluster with dbUser)", () => {
    it("ExecuteStatement on the cluster ARN and temporary credentials for that user and database only", async () => {
        const run = await runProgram(withSources({ redshift: { ...REDSHIFT_SOURCE, workgroupName: undefined, secretArn: undefined, clusterIdentifier: "sales-cluster", dbUser: "anomaly_reader" } }), "dev");
        const fn = run.one("aws:lambda/function:Function", "redshift-runner");
        const { policy } = policyOf(run, fn.inputs.role);
        const sids = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
        assert.equal(sids.RunQueriesOnThisTarget.Resource, `arn:aws:redshift:${REGION}:${ACCOUNT}:cluster:sales-cluster`);
        assert.deepEqual(sids.ClusterTemporaryCredentials, {
            Sid: "ClusterTemporaryCredentials", Effect: "Allow", Action: ["redshift:GetClusterCredentials"],
            Resource: [`arn:aws:redshift:${REGION}:${ACCOUNT}:dbuser:sales-cluster/anomaly_reader`, `arn:aws:redshift:${REGION}:${ACCOUNT}:dbname:sales-cluster/analytics`],
        });
        assert.equal(sids.ReadDatabaseSecret, undefined);
        assert.deepEqual(fn.inputs.environment.variables, { REDSHIFT_DATABASE: "analytics", REDSHIFT_CLUSTER: "sales-cluster", REDSHIFT_DB_USER: "anomaly_reader" });
        assert.deepEqual(await mandatoryViolations(run), []);
    });
});

describe("RedshiftMetrics (lookout engine)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(withSources({ redshift: { ...REDSHIFT_SOURCE, secretArn: undefined } }, "lookout"), "dev");
    });

    it("one S3 detector per query reading redshift/<query>/live/ in the interval layout (and historical/), activated, alerting topic and finding Lambda", () => {
        const bucket = run.one("aws:s3/bucket:Bucket").state.bucket;
        const detectors = run.ofType("pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector").filter((d) => d.name.startsWith("redshift-"))
            .sort((a, b) => a.inputs.name.localeCompare(b.inputs.name));
        const stack = stackOf(run);
        assert.deepEqual(detectors.map((d) => d.inputs.name), [`${P}-${stack}-rs-orders`, `${P}-${stack}-rs-signups`]);
        const orders = detectors[0].inputs;
        assert.equal(orders.frequency, "PT5M");
        assert.deepEqual(orders.metricSet.metrics, [{ name: "revenue", aggregation: "SUM" }, { name: "orders", aggregation: "SUM" }]);
        assert.deepEqual(orders.metricSet.dimensions, ["region"]);
        assert.equal(orders.metricSet.source.templatedPath, `s3://${bucket}/redshift/orders/live/{{yyyyMMdd}}/{{HHmm}}`);
        assert.equal(orders.metricSet.source.historicalPath, `s3://${bucket}/redshift/orders/historical/`);
        assert.deepEqual(orders.metricSet.timestampColumn, { name: "timestamp", format: "yyyy-MM-dd HH:mm:ss" });
        assert.equal(orders.metricSet.offsetSeconds, 300, "delay + wait + margin");
        const alerts = run.ofType("pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert").filter((a) => a.name.startsWith("redshift-"));
        assert.deepEqual(alerts.map((a) => a.inputs.action.type).sort(), ["lambda", "lambda", "sns", "sns"]);
        assert.equal(run.ofType("pulumi-nodejs:dynamic/edge-anomaly-lookout:DetectorActivation").filter((a) => a.name.startsWith("redshift-")).length, 2);
        assert.equal(run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("redshift-") && a.inputs.thresholdMetricId).length, 0, "no band alarms with lookout");
    });

    it("the runner may write only under redshift/ (and encrypt with the data key through S3); serverless IAM credentials on the workgroup", () => {
        const fn = run.one("aws:lambda/function:Function", "redshift-runner");
        const bucketArn = run.one("aws:s3/bucket:Bucket").state.arn;
        const key = run.one("aws:kms/key:Key", "ecommerce-key").state.arn;
        const sids = Object.fromEntries(policyOf(run, fn.inputs.role).policy.Statement.map((s: any) => [s.Sid, s]));
        assert.deepEqual(sids.WriteRedshiftRows, { Sid: "WriteRedshiftRows", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${bucketArn}/redshift/*` });
        assert.deepEqual(sids.EncryptRedshiftRows.Condition, {
            StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/redshift/*`] },
        });
        assert.equal(sids.EncryptRedshiftRows.Resource, key);
        assert.deepEqual(sids.ServerlessTemporaryCredentials.Action, ["redshift-serverless:GetCredentials"]);
        assert.equal(fn.inputs.environment.variables.REDSHIFT_BUCKET, run.one("aws:s3/bucket:Bucket").state.bucket);
    });

    it("the runner's live and rejected rows expire like the ecommerce rows (pipeline.dataExpirationDays); backfilled history is kept", () => {
        const rules = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as any[];
        assert.deepEqual(rules.map((r) => [r.id, r.status, r.filter.prefix, r.expiration?.days]), [
            ["expire-live-rows", "Enabled", "ecommerce/live/", 90],
            ["expire-error-records", "Enabled", "ecommerce/errors/", 90],
            ["expire-redshift-orders-live", "Enabled", "redshift/orders/live/", 90],
            ["expire-redshift-orders-rejected", "Enabled", "redshift/orders/rejected/", 90],
            ["expire-redshift-signups-live", "Enabled", "redshift/signups/live/", 90],
            ["expire-redshift-signups-rejected", "Enabled", "redshift/signups/rejected/", 90],
            ["abort-incomplete-uploads", "Enabled", "", undefined],
        ]);
    });

    it("the detectors' source role reads only redshift/, trusted by Lookout for this stack's Redshift detectors", () => {
        const role = run.one("aws:iam/role:Role", "redshift-l4m-s3");
        const { trust, policy } = policyOf(run, role.state.arn);
        assert.deepEqual(trust.Statement[0].Condition, {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:${P}-${stackOf(run)}-rs-*` },
        });
        const bucketArn = run.one("aws:s3/bucket:Bucket").state.arn;
        assert.deepEqual(policy.Statement.map((s: any) => [s.Action, s.Resource]), [
            [["s3:GetObject"], `${bucketArn}/redshift/*`],
            [["s3:ListBucket"], bucketArn],
            [["kms:Decrypt"], run.one("aws:kms/key:Key", "ecommerce-key").state.arn],
        ]);
    });

    it("zero mandatory policy violations", async () => {
        assert.deepEqual(await mandatoryViolations(run), []);
    });
});
