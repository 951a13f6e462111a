// The offline plan (`npm run plan`) of a stack with both optional sources on
// (test/fixtures/sources-config/Pulumi.sources.yaml over dev): what each source adds, wired to the shared alert
// path, and 0 mandatory policy violations.
import { strict as assert } from "assert";

import { PlanDocument } from "../scripts/plan";
import { runPlanMain } from "./capture";

const FIXTURE = "test/fixtures/sources-config/Pulumi.sources.yaml";

async function planJson(...argv: string[]): Promise<{ code: number; plan: PlanDocument; stderr: string }> {
    const { code, stdout, stderr } = await runPlanMain(...argv);
    return { code, plan: JSON.parse(stdout) as PlanDocument, stderr };
}

describe("offline plan with Redshift and DevOps Guru on (npm run plan -- --stack dev --config-file the sources fixture)", function () {
    this.timeout(600_000);
    let plan: PlanDocument;
    let code: number;
    let stderr: string;
    before(async () => {
        ({ code, plan, stderr } = await planJson("--stack", "dev", "--config-file", FIXTURE, "--json"));
    });
    const ofType = (t: string) => plan.resources.filter((r) => r.type === t);
    const named = (t: string, name: string) => {
        const r = plan.resources.find((x) => x.type === t && x.name === name);
        assert.ok(r, `${t} ${name} in the plan`);
        return r!;
    };

    it("0 mandatory violations (the verdict line and the report agree)", () => {
        assert.equal(code, 0, stderr);
        assert.equal(plan.policies.mandatory, 0, JSON.stringify(plan.policies.violations.filter((v) => v.level === "mandatory")));
        assert.match(stderr, /0 mandatory violations/);
    });

    it("Redshift: the schedule of the query, its runner, and per watched series a spike alarm and a drop composite (minBaseline) notifying the alert topic", () => {
        assert.deepEqual(ofType("aws:scheduler:Schedule").map((s) => s.name), ["redshift-orders"]);
        const series = ["orders-revenue-total", "orders-revenue-region-eu", "orders-revenue-region-us"];
        const alarms = ofType("aws:cloudwatch:MetricAlarm").map((a) => a.name).filter((n) => n.startsWith("redshift-"));
        assert.deepEqual(alarms.sort(), [...series.flatMap((s) => [`redshift-${s}-spike`, `redshift-${s}-drop`, `redshift-${s}-drop-baseline`]), "redshift-orders-rejected-rows", "redshift-runner-errors"].sort());
        const composites = ofType("aws:cloudwatch:CompositeAlarm").filter((c) => c.name.startsWith("redshift-"));
        assert.deepEqual(composites.map((c) => c.name).sort(), series.map((s) => `redshift-${s}-drop-composite`).sort());
        for (const c of composites) {
            assert.match(String(c.props.alarmRule), /^ALARM\("edge-anomaly-detection-dev-redshift-orders-.*-drop-band"\) AND ALARM\("edge-anomaly-detection-dev-redshift-orders-.*-drop-baseline"\)$/);
            assert.deepEqual([c.props.alarmActions, c.props.okActions], [["<alerts-topic.arn>"], ["<alerts-topic.arn>"]]);
        }
        named("aws:lambda:Function", "redshift-runner");
    });

    it("DevOps Guru: resource collection, the rule's only target the shared finding Lambda with retries and the alert DLQ, invoke permission pinned to the rule; no Lambda of its own", () => {
        named("aws:devopsguru:ResourceCollection", "devops-guru-resources");
        const target = named("aws:cloudwatch:EventTarget", "devops-guru-to-findings");
        assert.equal(target.props.arn, "<alerts-finding.arn>");
        assert.deepEqual(target.props.deadLetterConfig, { arn: "<alerts-dlq.arn>" });
        assert.deepEqual(target.props.retryPolicy, { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 });
        const perm = named("aws:lambda:Permission", "devops-guru-invoke");
        assert.deepEqual([perm.props.principal, perm.props.sourceArn, perm.props.function], ["events.amazonaws.com", "<devops-guru-insights.arn>", "<alerts-finding.name>"]);
        assert.ok(perm.props.sourceAccount, "sourceAccount set");
        assert.equal(ofType("aws:lambda:Function").filter((f) => f.name.startsWith("devops-guru")).length, 0);
        const dlqPolicy = JSON.stringify(named("aws:sqs:QueuePolicy", "alerts-dlq-policy").props.policy);
        assert.match(dlqPolicy, /EventRulesDeadLetterUndeliveredEvents/);
    });
});
