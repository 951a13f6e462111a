// DevOpsGuruInsights under the shared mocks, through the whole program with sources.devopsGuru enabled: the
// resource collection, the EventBridge rule to the finding Lambda (the notification path), its permission, its
// alarm, the dashboard, and zero mandatory policy violations (with Redshift on too, both engines).
import { strict as assert } from "assert";

import { parseConfig } from "../config";
import { evaluatePolicies, fromRecorded } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { ProgramRun, runProgram } from "./harness";
import { ACCOUNT, REGION } from "./mocks";
import { REDSHIFT_SOURCE, withSources } from "./fixtures/sources";

const P = "edge-anomaly-detection";

async function mandatoryViolations(run: ProgramRun): Promise<string[]> {
    const report = await evaluatePolicies(policies, fromRecorded(run.resources, "dev", P), { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
    return [
        ...report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.type} ${v.name}: ${v.message}`),
        ...report.violations.filter((v) => v.couldNotRun).map((v) => `could not run ${v.policy}: ${v.message}`),
    ];
}

describe("DevOpsGuruInsights (under mocks)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(withSources({ devopsGuru: { enabled: true, tagKey: "DevOps-Guru-orders", tagValues: ["prod"] } }), "dev");
    });

    it("covers the RDS resources tagged DevOps-Guru-orders=prod (the account's one resource collection)", () => {
        const rc = run.one("aws:devopsguru/resourceCollection:ResourceCollection");
        assert.deepEqual([rc.inputs.type, rc.inputs.tags, rc.inputs.cloudformation], ["AWS_TAGS", { appBoundaryKey: "DevOps-Guru-orders", tagValues: ["prod"] }, undefined]);
    });

    it("routes every DevOps Guru insight event to the shared finding Lambda, which only this rule of this account may invoke that way; no Lambda of its own", () => {
        const rule = run.one("aws:cloudwatch/eventRule:EventRule", "devops-guru-insights");
        assert.deepEqual(JSON.parse(rule.inputs.eventPattern), {
            source: ["aws.devops-guru"],
            "detail-type": ["DevOps Guru New Insight Open", "DevOps Guru Insight Severity Upgraded", "DevOps Guru Insight Closed", "DevOps Guru New Anomaly Association", "DevOps Guru New Recommendation Created"],
        });
        const fn = run.one("aws:lambda/function:Function", "alerts-finding");
        const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "devops-guru-to-findings");
        assert.deepEqual([target.inputs.rule, target.inputs.arn], [rule.state.name, fn.state.arn]);
        assert.deepEqual(target.inputs.retryPolicy, { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 });
        assert.deepEqual(target.inputs.deadLetterConfig, { arn: run.one("aws:sqs/queue:Queue", "alerts-dlq").state.arn });
        const perm = run.one("aws:lambda/permission:Permission", "devops-guru-invoke");
        assert.deepEqual([perm.inputs.principal, perm.inputs.sourceArn, perm.inputs.sourceAccount, perm.inputs.function, perm.inputs.action],
            ["events.amazonaws.com", rule.state.arn, ACCOUNT, fn.state.name, "lambda:InvokeFunction"]);
        assert.equal(run.ofType("aws:lambda/function:Function").filter((f) => f.name.startsWith("devops-guru")).length, 0, "the separate insight Lambda is gone");
        // The finding Lambda already may do what an insight needs: read its finding, import it, tell people.
        const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === fn.inputs.role)!;
        const doc = JSON.parse(run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!.inputs.policy);
        const byAction = (a: string) => doc.Statement.filter((st: any) => st.Action.includes(a)).map((st: any) => st.Resource);
        assert.deepEqual(byAction("securityhub:GetFindings"), [`arn:aws:securityhub:${REGION}:${ACCOUNT}:hub/default`]);
        assert.deepEqual(byAction("securityhub:BatchImportFindings"), [run.outputs.securityHubProductArn]);
        assert.deepEqual(byAction("sns:Publish"), [run.one("aws:sns/topic:Topic", "alerts-people-topic").state.arn]);
    });

    it("the alert DLQ admits EventBridge for this rule only (queue and key policy), keeps its TLS-only deny", () => {
        const rule = run.one("aws:cloudwatch/eventRule:EventRule", "devops-guru-insights");
        const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule.inputs.name}`;
        assert.equal(rule.state.arn, ruleArn, "the rule ARN the policies name is the rule's");
        const queue = run.one("aws:sqs/queue:Queue", "alerts-dlq").state.arn;
        const qp = JSON.parse(run.one("aws:sqs/queuePolicy:QueuePolicy", "alerts-dlq-policy").inputs.policy);
        assert.deepEqual(qp.Statement.map((st: any) => st.Sid), ["TopicRedrivesUndeliveredMessages", "EventRulesDeadLetterUndeliveredEvents", "DenyInsecureTransport"]);
        assert.deepEqual(qp.Statement[1], {
            Sid: "EventRulesDeadLetterUndeliveredEvents", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: queue,
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": [ruleArn] } },
        });
        assert.deepEqual(qp.Statement[2], { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queue, Condition: { Bool: { "aws:SecureTransport": "false" } } });
        const kp = JSON.parse(run.one("aws:kms/key:Key", "alerts-key").inputs.policy);
        assert.deepEqual(kp.Statement.find((st: any) => st.Sid === "EventBridgeDeadLettersUndeliveredEvents"), {
            Sid: "EventBridgeDeadLettersUndeliveredEvents", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": [ruleArn] } },
        });
    });

    it("a failed delivery alarms to the alert topic; the dashboard shows the insight events and the alarm", () => {
        const topic = run.one("aws:sns/topic:Topic", "alerts-topic").state.arn;
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "devops-guru-failed-invocations");
        const rule = run.one("aws:cloudwatch/eventRule:EventRule", "devops-guru-insights");
        assert.deepEqual([alarm.inputs.namespace, alarm.inputs.metricName, alarm.inputs.dimensions, alarm.inputs.alarmActions], ["AWS/Events", "FailedInvocations", { RuleName: rule.state.name }, [topic]]);
        const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
        const graph = body.widgets.find((w: any) => w.type === "metric" && w.properties.title === "DevOps Guru insight events");
        assert.deepEqual(graph.properties.metrics.map((m: any[]) => [m[1], m[3]]), [["MatchedEvents", rule.state.name], ["Invocations", rule.state.name], ["FailedInvocations", rule.state.name]]);
        assert.equal(graph.properties.region, REGION);
        assert.ok(body.widgets.some((w: any) => w.type === "alarm" && w.properties.alarms.includes(alarm.state.arn)));
    });

    it("zero mandatory policy violations", async () => {
        assert.deepEqual(await mandatoryViolations(run), []);
    });
});

describe("DevOpsGuruInsights: CloudFormation stacks, both sources on, lookout engine", () => {
    it("covers the listed stacks; 0 mandatory violations with Redshift and DevOps Guru on", async () => {
        const run = await runProgram(withSources({ redshift: REDSHIFT_SOURCE, devopsGuru: { enabled: true, cloudFormationStacks: ["orders-db-stack"] } }, "lookout"), "dev");
        const rc = run.one("aws:devopsguru/resourceCollection:ResourceCollection");
        assert.deepEqual([rc.inputs.type, rc.inputs.cloudformation], ["AWS_CLOUD_FORMATION", { stackNames: ["orders-db-stack"] }]);
        assert.deepEqual(await mandatoryViolations(run), []);
    });

    it("manageResourceCollection: false leaves the account's collection alone", async () => {
        const run = await runProgram(withSources({ devopsGuru: { enabled: true, cloudFormationStacks: ["x"], manageResourceCollection: false } }), "dev");
        assert.equal(run.ofType("aws:devopsguru/resourceCollection:ResourceCollection").length, 0);
        assert.equal(run.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.includes("devops-guru")).length, 1);
    });
});

describe("sources config", () => {
    const parse = (sources: unknown) => parseConfig({ sources }, { stack: "dev", region: REGION });
    it("both sources are off by default and nothing of theirs is created", async () => {
        assert.deepEqual(parse(undefined).sources, { redshift: undefined, devopsGuru: undefined });
        assert.deepEqual(parse({ redshift: { enabled: false }, devopsGuru: { enabled: false } }).sources, { redshift: undefined, devopsGuru: undefined });
    });

    it("bad values fail naming the key", () => {
        const ok = { enabled: true, tagKey: "DevOps-Guru-orders", tagValues: ["prod"] };
        assert.throws(() => parse({ devopsGuru: { ...ok, tagKey: "orders" } }), /'edge-anomaly-detection:sources.devopsGuru.tagKey': "orders" must start with DevOps-Guru-/);
        assert.throws(() => parse({ devopsGuru: { ...ok, cloudFormationStacks: ["s"] } }), /sources.devopsGuru.tagKey': set exactly one of tagKey \(with tagValues\) and cloudFormationStacks/);
        assert.throws(() => parse({ devopsGuru: { enabled: true, tagKey: "DevOps-Guru-x" } }), /sources.devopsGuru.tagValues': must list the tag values/);
        assert.throws(() => parse({ devopsGuru: { ...ok, tagvalues: ["x"] } }), /sources.devopsGuru.tagvalues': unknown key/);
        const rs = REDSHIFT_SOURCE;
        assert.throws(() => parse({ redshift: { ...rs, clusterIdentifier: "c" } }), /sources.redshift.workgroupName': set exactly one of workgroupName/);
        assert.throws(() => parse({ redshift: { ...rs, database: undefined } }), /sources.redshift.database': is required/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [] } }), /sources.redshift.queries': must be a non-empty list/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [{ ...rs.queries[0], sql: "SELECT 1 AS timestamp, 2 AS revenue" }] } }), /sources.redshift.queries\[0\].sql': must use the named parameters :start and :end/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [rs.queries[0], rs.queries[0]] } }), /sources.redshift.queries\[1\].name': "orders" is used by two queries/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [{ ...rs.queries[0], measures: ["Revenue"] }] } }), /sources.redshift.queries\[0\].measures\[0\]': "Revenue" is not a result column name/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [{ ...rs.queries[0], dimensions: ["revenue"] }] } }), /column "revenue" is used twice/);
        assert.throws(() => parse({ redshift: { ...rs, queries: [{ ...rs.queries[0], watch: { country: ["x"] } }] } }), /sources.redshift.queries\[0\].watch.country': unknown key/);
        assert.throws(() => parse({ redshift: { ...rs, delayMinutes: 5 } }), /sources.redshift.delayMinutes': 5 must be a whole number from 0 to 4/);
        assert.throws(() => parse({ redshift: { ...rs, waitSeconds: 600 } }), /sources.redshift.waitSeconds': 600 must be a whole number from 10 to 240/);
        assert.throws(() => parse({ redshift: { ...rs, secretArn: "my-secret" } }), /sources.redshift.secretArn': "my-secret" is not a Secrets Manager secret ARN/);
        assert.throws(() => parse({ redshift: { ...rs, secretArn: undefined, workgroupName: undefined, clusterIdentifier: "c1" } }), /sources.redshift.secretArn': a provisioned cluster needs secretArn or dbUser/);
        assert.throws(() => parse({ redshift: { ...rs, secretKeyArn: "alias/redshift" } }), /sources.redshift.secretKeyArn': "alias\/redshift" is not a KMS key ARN/);
        assert.throws(() => parse({ redshift: { ...rs, secretArn: undefined, secretKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef` } }), /sources.redshift.secretKeyArn': is the key of secretArn: set secretArn too/);
        assert.throws(() => parse({ redshift: { ...rs, secretKeyArn: `arn:aws:kms:eu-west-9:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef` } }), /sources.redshift.secretKeyArn': is in eu-west-9, the secret in/);
    });
});
