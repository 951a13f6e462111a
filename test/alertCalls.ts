// What the alert-path tests build and read around the finding Lambda: an alarm as DescribeAlarms returns it (from
// the program's own alarm plan), and the one finding and the one notice a handled event sent.
import * as assert from "assert";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { AwsSecurityFinding, BatchImportFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { AwsClientStub } from "aws-sdk-client-mock";

import { commandProblems } from "./standins/sdkModel";

/** A planned metric alarm (its name, thresholds and queries as the program creates it). */
export interface PlannedMetricAlarm {
    alarmName: string;
    description?: string;
    comparisonOperator: string;
    evaluationPeriods: number;
    datapointsToAlarm?: number;
    treatMissingData?: string;
    metricQueries: unknown;
}

/** `a` as DescribeAlarms returns it: the planned queries in the API's shape, with a state and its reason. */
export function describedMetricAlarm(a: PlannedMetricAlarm, arn: string, state: "OK" | "ALARM", reason: string, since: string): MetricAlarm {
    return {
        AlarmName: a.alarmName, AlarmArn: arn, ...(a.description !== undefined ? { AlarmDescription: a.description } : {}), StateValue: state, StateReason: reason,
        StateTransitionedTimestamp: new Date(since), StateUpdatedTimestamp: new Date(since),
        ComparisonOperator: a.comparisonOperator as MetricAlarm["ComparisonOperator"], EvaluationPeriods: a.evaluationPeriods, DatapointsToAlarm: a.datapointsToAlarm,
        TreatMissingData: a.treatMissingData, ThresholdMetricId: "ad1", ActionsEnabled: true, AlarmActions: [], OKActions: [],
        Metrics: (a.metricQueries as any[]).map((q) => ({
            Id: q.id, ReturnData: q.returnData, Label: q.label, Expression: q.expression,
            MetricStat: q.metric ? {
                Metric: { Namespace: q.metric.namespace, MetricName: q.metric.metricName, Dimensions: Object.entries(q.metric.dimensions).map(([Name, Value]) => ({ Name, Value: String(Value) })) },
                Period: q.metric.period, Stat: q.metric.stat,
            } : undefined,
        })),
    };
}

/** The one finding imported and the one notice published, read from the stubbed clients (fails if not exactly one). */
export function sentByHandler(hub: () => AwsClientStub<SecurityHubClient>, sns: () => AwsClientStub<SNSClient>): { filed(): AwsSecurityFinding; notice(): string } {
    return {
        filed() {
            const calls = hub().commandCalls(BatchImportFindingsCommand);
            assert.equal(calls.length, 1, "one import");
            return calls[0].args[0].input.Findings![0];
        },
        notice() {
            const calls = sns().commandCalls(PublishCommand);
            assert.equal(calls.length, 1, "one notice");
            return calls[0].args[0].input.Message!;
        },
    };
}

/** Every request the stubbed clients received that does not match its SDK's model (each stub with its SDK module). */
export function stubbedRequestProblems(stubs: [sdk: unknown, stub: { calls(): { args: unknown[] }[] }][]): string[] {
    return stubs.flatMap(([sdk, stub]) => stub.calls().flatMap((c) => commandProblems(sdk as never, c.args[0] as never)));
}
