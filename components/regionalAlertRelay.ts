// RegionalAlertRelay: the alert path's entry in another region. A CloudWatch alarm's SNS action must be a topic
// in the alarm's own region, and alarms on CLOUDFRONT web ACLs must live in us-east-1 (where WAF publishes their
// metrics) whatever the stack's region. So for each such region this component creates, in that region, what
// those alarms notify:
//
//   alarms in <region> ──▶ SNS topic (own KMS key in <region>) ──▶ the stack's finding Lambda (cross-region
//                                                   │                 subscription, SNS → Lambda)
//                                                   └──▶ the same email / SMS / HTTPS subscribers
//   undeliverable messages ──▶ encrypted SQS dead-letter queue in <region> ◀── depth alarm ──▶ the topic
//
// The key and topic policies admit CloudWatch alarms of this account in that region only; the DLQ admits this
// topic only and refuses plain HTTP. Every resource takes the `region` argument (@pulumi/aws v7), so no extra
// provider is needed.
import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { stackScope, StackScopeArgs } from "../model/stackScope";
import { SNS_TOPIC_ACTIONS, denyInsecureTransport } from "./anomalyAlerts";

export interface RegionalAlertRelayArgs extends StackScopeArgs {
    /** The region the relay lives in (the alarms' region), e.g. `us-east-1`. */
    region: string;
    /** The stack's finding Lambda: subscribed to the relay topic. */
    findingFunctionArn: pulumi.Input<string>;
    findingFunctionName: pulumi.Input<string>;
    /** The people subscribed to the stack's alert topic, subscribed here too. Default none. */
    emails?: readonly string[];
    smsNumbers?: readonly string[];
    httpsEndpoints?: readonly string[];
}

const KEY_ACCOUNT_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
];
const KEY_SERVICE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"];
const SQS_ACTIONS_TLS_ONLY = [
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:PurgeQueue",
];

function shortHash(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 10);
}

/** `project-stack-<region>-suffix` within `max` characters of [A-Za-z0-9_-]. */
function relayName(scope: { project: string; stack: string }, region: string, suffix: string, max: number): string {
    const base = `${scope.project}-${scope.stack}`.replace(/[^A-Za-z0-9_-]/g, "-");
    const tail = `-${region}-${suffix}`;
    return `${base.slice(0, max - tail.length)}${tail}`;
}

export class RegionalAlertRelay extends pulumi.ComponentResource {
    public readonly region: string;
    public readonly topic: aws.sns.Topic;
    public readonly topicArn: pulumi.Output<string>;
    public readonly deadLetterQueue: aws.sqs.Queue;
    public readonly deadLetterAlarm: aws.cloudwatch.MetricAlarm;

    constructor(name: string, args: RegionalAlertRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:alerts:RegionalAlertRelay", name, {}, opts);
        const scope = stackScope(args);
        const region = args.region;
        this.region = region;
        const at = { region };
        const parent = { parent: this };
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        const topicName = relayName(scope, region, "alerts", 256);
        const topicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${accountId}:${topicName}`;
        const alarmsInRegion = pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`;

        const key = new aws.kms.Key(`${name}-key`, {
            ...at,
            description: `Encrypts the ${region} alert relay topic and its dead-letter queue (${scope.project}/${scope.stack})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([accountId, partition, topicArn, alarmsInRegion]).apply(([account, part, topic, alarms]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "AccountAdministersAndGrantsThroughIam", Effect: "Allow", Principal: { AWS: `arn:${part}:iam::${account}:root` }, Action: KEY_ACCOUNT_ACTIONS, Resource: "*" },
                    {
                        Sid: "CloudWatchAlarmsPublishToTheTopic",
                        Effect: "Allow",
                        Principal: { Service: "cloudwatch.amazonaws.com" },
                        Action: KEY_SERVICE_ACTIONS,
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": alarms } },
                    },
                    {
                        Sid: "SnsDeliversFailedMessagesToTheQueue",
                        Effect: "Allow",
                        Principal: { Service: "sns.amazonaws.com" },
                        Action: KEY_SERVICE_ACTIONS,
                        Resource: "*",
                        Condition: { StringEquals: { "aws:SourceAccount": account }, ArnEquals: { "aws:SourceArn": topic } },
                    },
                ],
            })),
            tags: scope.tags,
        }, parent);
        new aws.kms.Alias(`${name}-key-alias`, { ...at, name: `alias/${relayName(scope, region, "alerts", 250)}`, targetKeyId: key.keyId }, parent);

        this.topic = new aws.sns.Topic(`${name}-topic`, {
            ...at,
            name: topicName,
            displayName: `Anomaly alerts (${scope.stack}, ${region})`,
            kmsMasterKeyId: key.arn,
            tags: scope.tags,
        }, parent);
        this.topicArn = this.topic.arn;
        new aws.sns.TopicPolicy(`${name}-topic-policy`, {
            ...at,
            arn: this.topic.arn,
            policy: pulumi.all([this.topic.arn, accountId, alarmsInRegion]).apply(([topic, account, alarms]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "CloudWatchAlarmsOfThisAccountPublish",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: "sns:Publish",
                    Resource: topic,
                    Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": alarms } },
                }, denyInsecureTransport(SNS_TOPIC_ACTIONS, topic)],
            })),
        }, parent);

        this.deadLetterQueue = new aws.sqs.Queue(`${name}-dlq`, {
            ...at,
            name: relayName(scope, region, "alerts-dlq", 80),
            kmsMasterKeyId: key.arn,
            kmsDataKeyReusePeriodSeconds: 300,
            messageRetentionSeconds: 14 * 24 * 3600,
            tags: scope.tags,
        }, parent);
        new aws.sqs.QueuePolicy(`${name}-dlq-policy`, {
            ...at,
            queueUrl: this.deadLetterQueue.url,
            policy: pulumi.all([this.deadLetterQueue.arn, this.topic.arn, accountId]).apply(([queue, topic, account]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "TopicRedrivesUndeliveredMessages",
                        Effect: "Allow",
                        Principal: { Service: "sns.amazonaws.com" },
                        Action: "sqs:SendMessage",
                        Resource: queue,
                        Condition: { StringEquals: { "aws:SourceAccount": account }, ArnEquals: { "aws:SourceArn": topic } },
                    },
                    {
                        Sid: "DenyInsecureTransport",
                        Effect: "Deny",
                        Principal: "*",
                        Action: SQS_ACTIONS_TLS_ONLY,
                        Resource: queue,
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                ],
            })),
        }, parent);
        const redrivePolicy = this.deadLetterQueue.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn }));

        // The finding Lambda (in the stack's region) may be invoked by this topic only.
        const invoke = new aws.lambda.Permission(`${name}-finding-from-topic`, {
            action: "lambda:InvokeFunction",
            function: args.findingFunctionName,
            principal: "sns.amazonaws.com",
            sourceArn: this.topic.arn,
        }, parent);
        new aws.sns.TopicSubscription(`${name}-finding-subscription`, {
            ...at,
            topic: this.topic.arn,
            protocol: "lambda",
            endpoint: args.findingFunctionArn,
            redrivePolicy,
        }, { parent: this, dependsOn: [invoke] });

        const people: { protocol: "email" | "sms" | "https"; endpoints: readonly string[] }[] = [
            { protocol: "email", endpoints: args.emails ?? [] },
            { protocol: "sms", endpoints: args.smsNumbers ?? [] },
            { protocol: "https", endpoints: args.httpsEndpoints ?? [] },
        ];
        for (const { protocol, endpoints } of people) {
            for (const endpoint of endpoints) {
                new aws.sns.TopicSubscription(`${name}-${protocol}-${shortHash(endpoint)}`, {
                    ...at, topic: this.topic.arn, protocol, endpoint, redrivePolicy,
                }, parent);
            }
        }

        this.deadLetterAlarm = new aws.cloudwatch.MetricAlarm(`${name}-dlq-depth`, {
            ...at,
            name: relayName(scope, region, "alerts-dlq-depth", 255),
            alarmDescription: `Alerts from ${region} are waiting in the relay's dead-letter queue: an SNS delivery (to the finding Lambda or a person) failed. Read the messages, fix the cause, then redrive them.`,
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: this.deadLetterQueue.name },
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [this.topic.arn],
            okActions: [this.topic.arn],
            tags: scope.tags,
        }, parent);

        this.registerOutputs({ topicArn: this.topicArn, deadLetterQueueArn: this.deadLetterQueue.arn });
    }
}
