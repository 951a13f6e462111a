// DevOpsGuruInsights: Amazon DevOps Guru (for RDS) insights next to the stack's other anomalies, on the same alert
// path.
//
//   DevOps Guru resource collection (the RDS resources by tag, or by CloudFormation stack)
//     └─ insight events (open, severity upgraded, new anomaly/recommendation, closed) ─▶ default event bus
//          └─ EventBridge rule (source aws.devops-guru) ─▶ the shared finding Lambda (AnomalyAlerts; its DevOps Guru
//             stage handlers/alert/devopsGuru.ts) ─▶ Security Hub (one finding per insight; closed → ARCHIVED) and a
//             short notice on the people topic for a new or upgraded insight
//          undelivered (10 retries within an hour) ─▶ alert DLQ; failed invocations: the finding Lambda's retries,
//          then the same DLQ (its depth alarm notifies)
//   rule FailedInvocations alarm ─▶ alert topic
//
// DevOps Guru sends these events to EventBridge by itself (no notification channel needed).
//
// Availability: AWS ends support for DevOps Guru on 30 September 2027 (end-of-support notice in the DevOps Guru
// API reference); after that date its console and resources are gone and this component has nothing to read.
// The resource collection is one per account and region: a stack that manages it owns DevOps Guru's coverage for
// the whole account/region (set manageResourceCollection false where another stack or the console owns it).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { DETAIL_TYPES, DEVOPS_GURU_SOURCE } from "../handlers/devopsGuruInsight";
import { AlertPathRefs, failureAlarm } from "./alertWiring";
import { regionOf } from "../model/stackScope";
import { MetricsEntry, metricRow, Unplaced } from "./detectionDashboard";
import { stackScope, StackScopeArgs } from "../model/stackScope";

export interface DevOpsGuruInsightsArgs extends StackScopeArgs {
    /** Application boundary tag key (must start with `DevOps-Guru-`, any casing), with tagValues. */
    tagKey?: string;
    /** Values of tagKey to cover, or `["*"]` for every value. */
    tagValues?: readonly string[];
    /** Or: the CloudFormation stacks whose resources DevOps Guru analyses. */
    cloudFormationStacks?: readonly string[];
    /** Create the account/region's resource collection from this stack. Default true. */
    manageResourceCollection?: boolean;
    /** Default: `aws:region`. */
    region?: string;
    /**
     * The alert path: the failed-invocations alarm notifies `topicArn`; the shared finding Lambda is the rule's only
     * target; undelivered events end in the alert DLQ, whose queue and key policies must admit events.amazonaws.com
     * for this rule (AnomalyAlerts `deadLetterEventRuleNames: [devopsGuruRuleName(scope)]`).
     */
    alerts: Pick<AlertPathRefs, "topicArn" | "findingFunctionArn" | "findingFunctionName" | "deadLetterQueueArn">;
}

/** The insight events the rule forwards (all five DevOps Guru sends to EventBridge). */
export const INSIGHT_DETAIL_TYPES = Object.keys(DETAIL_TYPES);

export function insightEventPattern(): object {
    return { source: [DEVOPS_GURU_SOURCE], "detail-type": INSIGHT_DETAIL_TYPES };
}

/** The insight rule's name (known before the rule exists, so the alert DLQ's policies can name the rule). */
export function devopsGuruRuleName(scope: { project: string; stack: string }): string {
    return `${`${scope.project}-${scope.stack}`.replace(/[^A-Za-z0-9._-]/g, "-")}-devops-guru-insights`.slice(0, 64);
}

/** Why these args cannot be deployed, or undefined. */
export function devopsGuruProblem(args: Pick<DevOpsGuruInsightsArgs, "tagKey" | "tagValues" | "cloudFormationStacks">): { arg: string; detail: string } | undefined {
    const stacks = args.cloudFormationStacks ?? [];
    if (!!args.tagKey === stacks.length > 0) return { arg: "tagKey", detail: "set exactly one of tagKey (with tagValues) and cloudFormationStacks" };
    if (args.tagKey && !/^devops-guru-/i.test(args.tagKey)) return { arg: "tagKey", detail: `${JSON.stringify(args.tagKey)} must start with DevOps-Guru- (any casing)` };
    if (args.tagKey && !(args.tagValues ?? []).length) return { arg: "tagValues", detail: "list the values to cover, or [\"*\"]" };
    return undefined;
}

export class DevOpsGuruInsights extends pulumi.ComponentResource {
    public readonly resourceCollection?: aws.devopsguru.ResourceCollection;
    public readonly rule: aws.cloudwatch.EventRule;
    public readonly failedInvocationsAlarm: aws.cloudwatch.MetricAlarm;
    public readonly ruleName: pulumi.Output<string>;

    constructor(name: string, args: DevOpsGuruInsightsArgs, opts?: pulumi.ComponentResourceOptions) {
        const problem = devopsGuruProblem(args);
        if (problem) throw new Error(`DevOpsGuruInsights: ${problem.arg}: ${problem.detail}`);
        super("edge-anomaly:sources:DevOpsGuruInsights", name, {}, opts);
        const scope = stackScope(args);
        const parent = { parent: this };
        const prefix = `${scope.project}-${scope.stack}`.replace(/[^A-Za-z0-9._-]/g, "-");
        // Validated (the rule and the permission live in the provider's region).
        regionOf(args.region, "DevOpsGuruInsights");
        const caller = aws.getCallerIdentityOutput({}, parent);

        if (args.manageResourceCollection ?? true) {
            this.resourceCollection = args.tagKey
                ? new aws.devopsguru.ResourceCollection(`${name}-resources`, {
                    type: "AWS_TAGS",
                    tags: { appBoundaryKey: args.tagKey, tagValues: [...(args.tagValues ?? [])] },
                }, parent)
                : new aws.devopsguru.ResourceCollection(`${name}-resources`, {
                    type: "AWS_CLOUD_FORMATION",
                    cloudformation: { stackNames: [...(args.cloudFormationStacks ?? [])] },
                }, parent);
        }

        this.rule = new aws.cloudwatch.EventRule(`${name}-insights`, {
            name: devopsGuruRuleName(scope),
            description: `DevOps Guru insight events to the finding Lambda (${scope.project}/${scope.stack})`,
            eventPattern: JSON.stringify(insightEventPattern()),
            tags: scope.tags,
        }, parent);
        this.ruleName = this.rule.name;

        const permission = new aws.lambda.Permission(`${name}-invoke`, {
            action: "lambda:InvokeFunction",
            function: args.alerts.findingFunctionName,
            principal: "events.amazonaws.com",
            // Only this rule (this account's default bus) may invoke the finding function this way.
            sourceArn: this.rule.arn,
            sourceAccount: caller.accountId,
        }, parent);

        new aws.cloudwatch.EventTarget(`${name}-to-findings`, {
            rule: this.rule.name,
            arn: args.alerts.findingFunctionArn,
            // EventBridge retries delivery to Lambda (throttling, a missing permission) for up to an hour, then puts the
            // event in the alert DLQ (its queue and key policies admit this rule only; the DLQ depth alarm notifies).
            // Once invoked, the function's own retries and on-failure destination (the same DLQ) take over.
            retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 },
            deadLetterConfig: { arn: args.alerts.deadLetterQueueArn },
        }, { parent: this, dependsOn: [permission] });

        this.failedInvocationsAlarm = failureAlarm(`${name}-failed-invocations`, {
            name: `${prefix}-devops-guru-rule-failed-invocations`.slice(0, 255),
            description: pulumi.interpolate`EventBridge could not deliver DevOps Guru insight events from rule ${this.rule.name} to the finding Lambda (permission, throttling): after the retries such an event waits in the alert DLQ and is not in Security Hub. Check the rule's target and the function.`,
            namespace: "AWS/Events",
            metricName: "FailedInvocations",
            dimensions: { RuleName: this.rule.name },
            actionsEnabled: true,
            topicArns: [args.alerts.topicArn],
            tags: scope.tags,
        }, parent);

        this.registerOutputs({ ruleName: this.ruleName, failedInvocationsAlarmArn: this.failedInvocationsAlarm.arn });
    }
}

/** Dashboard rows: the insight events the rule matched and delivered (a DevOps Guru graph of its own is in its console). */
export function devopsGuruDashboardSections(region: string, ruleName: string): Unplaced[][] {
    const metrics: MetricsEntry[] = [
        metricRow("AWS/Events", "MatchedEvents", { RuleName: ruleName }, { stat: "Sum", label: "Insight events" }),
        metricRow("AWS/Events", "Invocations", { RuleName: ruleName }, { stat: "Sum", label: "Delivered to the finding Lambda" }),
        metricRow("AWS/Events", "FailedInvocations", { RuleName: ruleName }, { stat: "Sum", label: "Failed deliveries" }),
    ];
    return [[
        {
            type: "text", width: 24, height: 2, properties: {
                markdown: "## DevOps Guru insights\n\nInsights on the covered RDS resources become Security Hub findings (one per insight, archived when DevOps Guru closes it). "
                    + "DevOps Guru reaches end of support on 30 September 2027.",
            },
        },
        {
            type: "metric", width: 6, height: 6,
            properties: { title: "DevOps Guru insight events", region, view: "timeSeries", stacked: false, period: 300, stat: "Sum", metrics, yAxis: { left: { min: 0 } } },
        },
    ]];
}
