// The "any failure" health alarms (components/alertWiring.ts failureAlarm) through the whole program: the
// heartbeat's, DevOps Guru's and Redshift's alarms keep, input for input, what each component declared on its own
// before they shared the helper — so `pulumi up` on an existing stack shows no change (the logical names, and
// with them the URNs, are the components' as before). The expected inputs are the pre-merge program's, verbatim.
import { strict as assert } from "assert";

import { ProgramRun, runProgram } from "./harness";
import { REDSHIFT_SOURCE, withSources } from "./fixtures/sources";

const P = "edge-anomaly-detection";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:edge-anomaly-detection-dev-alerts";
const TAGS = { app: "edge-anomaly-detection", environment: "dev", owner: "platform-security", stack: "dev" };
/** What every failure alarm shares: one period with any failure alarms, no data is OK, the alert topic hears both. */
const SHAPE = { evaluationPeriods: 1, threshold: 0, comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching", alarmActions: [TOPIC], okActions: [TOPIC], tags: TAGS };

function allOn(engine: "cloudwatch" | "lookout"): Record<string, unknown> {
    const c = withSources({ redshift: REDSHIFT_SOURCE, devopsGuru: { enabled: true, tagKey: "DevOps-Guru-orders", tagValues: ["prod"] } }, engine);
    c[`${P}:heartbeat`] = { ...(c[`${P}:heartbeat`] as object), enabled: true };
    return c;
}

describe("failure alarms (components/alertWiring.ts): the inputs each component declared before the shared helper", function () {
    // Two whole-program runs with every source on: about 7 s alone, and past the default 60 s on a loaded machine.
    this.timeout(180_000);
    const runs: Partial<Record<"cloudwatch" | "lookout", ProgramRun>> = {};
    before(async () => {
        runs.cloudwatch = await runProgram(allOn("cloudwatch"), "dev", { exactStackName: true });
        runs.lookout = await runProgram(allOn("lookout"), "dev", { exactStackName: true });
    });

    it("BlockedRequestsHeartbeat: auto-named, actionsEnabled never sent (as before: adding either would be a change)", () => {
        assert.deepEqual(runs.cloudwatch!.one(ALARM, "blocked-heartbeat-errors").inputs, {
            ...SHAPE,
            alarmDescription: "The BlockedRequests heartbeat (blocked-heartbeat-fn-abc123) failed: AWS/WAFV2 gets no zero datapoints, so the WAF detector sees gaps. See the function's log group.",
            namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "blocked-heartbeat-fn-abc123" }, statistic: "Sum", period: 300,
        });
    });

    it("DevOpsGuruInsights: the rule's FailedInvocations, named, actionsEnabled sent", () => {
        assert.deepEqual(runs.cloudwatch!.one(ALARM, "devops-guru-failed-invocations").inputs, {
            ...SHAPE,
            actionsEnabled: true,
            name: "edge-anomaly-detection-dev-devops-guru-rule-failed-invocations",
            alarmDescription: "EventBridge could not deliver DevOps Guru insight events from rule edge-anomaly-detection-dev-devops-guru-insights to the finding Lambda (permission, throttling): after the retries such an event waits in the alert DLQ and is not in Security Hub. Check the rule's target and the function.",
            namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "edge-anomaly-detection-dev-devops-guru-insights" }, statistic: "Sum", period: 300,
        });
    });

    it("RedshiftMetrics: the runner's Errors, and per query its rejected rows (Maximum over the query interval; the S3 prefix only with lookout)", () => {
        for (const engine of ["cloudwatch", "lookout"] as const) {
            const run = runs[engine]!;
            assert.deepEqual(run.one(ALARM, "redshift-runner-errors").inputs, {
                ...SHAPE,
                actionsEnabled: true,
                name: "edge-anomaly-detection-dev-redshift-runner-errors",
                alarmDescription: "The Redshift query runner (redshift-runner-abc123) failed: an interval's data is missing until a retry or a redrive from the alert DLQ succeeds. See the function's log group.",
                namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "redshift-runner-abc123" }, statistic: "Sum", period: 300,
            }, engine);
            assert.deepEqual(run.one(ALARM, "redshift-orders-rejected-rows").inputs, {
                ...SHAPE,
                actionsEnabled: true,
                name: "edge-anomaly-detection-dev-redshift-orders-rejected-rows",
                alarmDescription: "Redshift query orders returned rows the runner rejected (NULL or non-numeric measures, bad timestamps, rows outside the interval). " +
                    `They are not in the detector's data: read the runner's log (message "rejected rows")${engine === "lookout" ? " and s3://…/redshift/orders/rejected/" : ""}, then fix the query or the data.`,
                namespace: "EdgeAnomaly/Redshift", metricName: "RejectedRows", dimensions: { Query: "orders", Stack: "dev" }, statistic: "Maximum", period: 300,
            }, engine);
        }
    });
});
