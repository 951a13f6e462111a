// BlockedRequestsHeartbeat: an inline Lambda, run every 5 minutes by an EventBridge schedule, that publishes
// BlockedRequests = 0 for each WAF rule (dimensions Region, Rule, WebACL), so a detector reading AWS/WAFV2 sees
// "no blocks" as 0 rather than as missing data. The Lookout engine needs it; the CloudWatch engine fills gaps
// with metric math (FILL) instead, so there it is off by default.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { HeartbeatResult, publishHeartbeat, targetsFromEnv } from "../handlers/heartbeat";
import { failureAlarm } from "./alertWiring";
import { WatchedWebAcl, WAF_TOTAL_RULE, metricsRegion } from "../model/wafTargets";
import { InlineFunction } from "../lambda/inlineFunction";
import { FunctionSettings, regionOf, stackScope, StackScopeArgs } from "../model/stackScope";

export interface BlockedRequestsHeartbeatArgs extends StackScopeArgs {
    /** The `Region` dimension of the zero datapoints (the web ACL's region). Default: `aws:region`. */
    region?: string;
    /** The heartbeat Lambda's runtime and log retention. */
    functions?: FunctionSettings;
    /** Namespace of the zero datapoints. Default `AWS/WAFV2` (what a detector reading WAF metrics sees). */
    namespace?: string;
    /** The watched web ACLs: zeros for each one's total (`Rule=ALL`) and rules, in the region its metrics are in. */
    webAcls: readonly WatchedWebAcl[];
    /** Where the heartbeat's own failure alarm notifies (the alert topic). */
    alarmTopicArn: pulumi.Input<string>;
}

export const HEARTBEAT_SCHEDULE = "rate(5 minutes)";

/**
 * The Lambda handler. A factory, so the CloudWatch client is made once per cold start inside the Lambda (a
 * client captured at deploy time cannot be serialized). The SDK comes from the Lambda runtime.
 */
export function heartbeatHandlerFactory(): (event: unknown) => Promise<HeartbeatResult[]> {
    const targets = targetsFromEnv(process.env);
    // One client per region the watched web ACLs publish in (CLOUDFRONT ones: us-east-1).
    const clients = new Map<string, CloudWatchClient>();
    const clientFor = (region: string) => {
        let c = clients.get(region);
        if (!c) {
            c = new CloudWatchClient({ region, maxAttempts: 5 });
            clients.set(region, c);
        }
        return c;
    };
    return async () => {
        const now = new Date();
        const results: HeartbeatResult[] = [];
        for (const t of targets) {
            const result = await publishHeartbeat(clientFor(t.region), t, now);
            console.log(JSON.stringify({ message: "heartbeat published", webAcl: t.webAclName, region: t.region, ...result }));
            results.push(result);
        }
        return results;
    };
}

export class BlockedRequestsHeartbeat extends pulumi.ComponentResource {
    public readonly fn: InlineFunction<unknown, HeartbeatResult[]>;
    public readonly scheduleRule: aws.cloudwatch.EventRule;
    /** Fires when a beat fails (e.g. PutMetricData refused): without beats the detector sees gaps again. */
    public readonly errorAlarm: aws.cloudwatch.MetricAlarm;

    constructor(name: string, args: BlockedRequestsHeartbeatArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:api:BlockedRequestsHeartbeat", name, {}, opts);
        const scope = stackScope(args);
        const namespace = args.namespace ?? "AWS/WAFV2";
        const region = regionOf(args.region, "BlockedRequestsHeartbeat");

        this.fn = new InlineFunction<unknown, HeartbeatResult[]>(`${name}-fn`, {
            project: scope.project, stack: scope.stack, tags: scope.tags, ...args.functions,
            description: `Publishes BlockedRequests=0 per WAF rule to ${namespace} every 5 minutes`,
            callbackFactory: heartbeatHandlerFactory,
            timeoutSeconds: 30,
            memorySizeMb: 128,
            environment: {
                METRIC_NAMESPACE: namespace,
                WAF_TARGETS: pulumi.all(args.webAcls.map((a) => a.name)).apply((names) => JSON.stringify(args.webAcls.map((a, i) => ({
                    region: metricsRegion(a.scope, region),
                    scope: a.scope,
                    webAclName: names[i],
                    rules: [WAF_TOTAL_RULE, ...a.rules.filter((r) => r !== WAF_TOTAL_RULE)],
                })))),
            },
            // PutMetricData has no resource-level permissions; the namespace condition is the restriction.
            statements: [{
                Sid: "PutHeartbeatMetric",
                Effect: "Allow",
                Action: ["cloudwatch:PutMetricData"],
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
            }],
        }, { parent: this });

        // A missed beat is worth nothing once the next one is due: retry briefly, then let the next run cover it.
        new aws.lambda.FunctionEventInvokeConfig(`${name}-async`, {
            functionName: this.fn.name,
            maximumRetryAttempts: 2,
            maximumEventAgeInSeconds: 240,
        }, { parent: this });

        this.scheduleRule = new aws.cloudwatch.EventRule(`${name}-schedule`, {
            description: "Every 5 minutes: publish zero BlockedRequests datapoints",
            scheduleExpression: HEARTBEAT_SCHEDULE,
            tags: scope.tags,
        }, { parent: this });

        const permission = new aws.lambda.Permission(`${name}-invoke`, {
            action: "lambda:InvokeFunction",
            function: this.fn.name,
            principal: "events.amazonaws.com",
            sourceArn: this.scheduleRule.arn,
        }, { parent: this });

        new aws.cloudwatch.EventTarget(`${name}-target`, {
            rule: this.scheduleRule.name,
            arn: this.fn.arn,
            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 240 },
        }, { parent: this, dependsOn: [permission] });

        this.errorAlarm = failureAlarm(`${name}-errors`, {
            description: pulumi.interpolate`The BlockedRequests heartbeat (${this.fn.name}) failed: ${namespace} gets no zero datapoints, so the WAF detector sees gaps. See the function's log group.`,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: this.fn.name },
            topicArns: [args.alarmTopicArn],
            tags: scope.tags,
        }, { parent: this });

        this.registerOutputs({ functionName: this.fn.name, scheduleRuleArn: this.scheduleRule.arn, errorAlarmArn: this.errorAlarm.arn });
    }
}
