// What the components share of the alert path (components/anomalyAlerts.ts builds it): the references they take to
// it, and the "any failure" health alarm that notifies its topic. Not a component of its own: the alarms belong to
// (are parented by) the component whose function, rule or query they watch.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The alert path's outputs a component can be wired to (AnomalyAlerts' topicArn, topicKeyArn, deadLetterQueueArn,
 * findingFunctionArn / Name; index.ts passes the topic key as the DLQ's key). Each component's `alerts` arg picks
 * what it uses, so one field means one thing everywhere.
 */
export interface AlertPathRefs {
    /** The alarm topic: alarms notify it on ALARM and on OK; the finding Lambda files what arrives. */
    topicArn: pulumi.Input<string>;
    /** KMS key of the topic: publishing to an encrypted topic needs GenerateDataKey and Decrypt on it. */
    topicKeyArn: pulumi.Input<string>;
    /** The shared finding Lambda (Security Hub findings and people notices). */
    findingFunctionArn: pulumi.Input<string>;
    findingFunctionName: pulumi.Input<string>;
    /** The alert dead-letter queue: undelivered events and failed runs end there (its depth alarm notifies). */
    deadLetterQueueArn: pulumi.Input<string>;
    /** The key the alert dead-letter queue is encrypted with (sending to it needs GenerateDataKey and Decrypt). */
    deadLetterKeyArn: pulumi.Input<string>;
}

/** An "any failure" alarm: a count of failures (a function's Errors, a rule's FailedInvocations, rejected rows). */
export interface FailureAlarmArgs {
    /**
     * The alarm's name. Unset: Pulumi names it from the logical name (BlockedRequestsHeartbeat's alarm always was;
     * naming it now would replace the alarm).
     */
    name?: pulumi.Input<string>;
    description: pulumi.Input<string>;
    namespace: string;
    metricName: string;
    dimensions: Record<string, pulumi.Input<string>>;
    /** Default `Sum` (failures add up within a period); `Maximum` for a metric a run reports once as its count. */
    statistic?: "Sum" | "Maximum";
    /** Default 300 s. */
    periodSeconds?: number;
    /** Notified on ALARM and on OK (the alert topic). */
    topicArns: pulumi.Input<string>[];
    tags: Record<string, string>;
    /**
     * Sent as `actionsEnabled` only when set (AWS's default is true either way). Unset for BlockedRequestsHeartbeat,
     * whose alarm never sent it: adding the input would show a change on every existing stack.
     */
    actionsEnabled?: boolean;
}

export const FAILURE_ALARM_DEFAULTS = { statistic: "Sum", periodSeconds: 300 } as const;

/**
 * One period with any failure (> 0) alarms, 1 of 1; a period without data is not a failure (notBreaching); the
 * topics hear ALARM and OK.
 */
export function failureAlarm(name: string, args: FailureAlarmArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(name, {
        ...(args.name !== undefined ? { name: args.name } : {}),
        alarmDescription: args.description,
        namespace: args.namespace,
        metricName: args.metricName,
        dimensions: args.dimensions,
        statistic: args.statistic ?? FAILURE_ALARM_DEFAULTS.statistic,
        period: args.periodSeconds ?? FAILURE_ALARM_DEFAULTS.periodSeconds,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        ...(args.actionsEnabled !== undefined ? { actionsEnabled: args.actionsEnabled } : {}),
        alarmActions: args.topicArns,
        okActions: args.topicArns,
        tags: args.tags,
    }, opts);
}
