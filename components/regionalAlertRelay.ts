// RegionalAlertRelay: the alert path's entry in another region. A CloudWatch alarm's SNS action must be a topic
// in the alarm's own region, and alarms on CLOUDFRONT web ACLs must live in us-east-1 (where WAF publishes their
// metrics) whatever the stack's region. So for each such region this component creates, in that region, what
// those alarms notify:
//
//   alarms in <region> ──▶ SNS topic (own KMS key in <region>) ──▶ the stack's finding Lambda (cross-region
//                                                                     subscription, SNS → Lambda), which files the
//                                                                     finding and tells people (one notice)
//   undeliverable messages ──▶ encrypted SQS dead-letter queue in <region> ◀── depth alarm ──▶ the topic, and
//                              (ALARM only) the relay's people topic ──▶ the stack's email / SMS / HTTPS subscribers
//
// People are not subscribed to the relay topic: they hear of an anomaly once, from the finding Lambda's notice
// (subscribed there too, they got the raw alarm text as well, and every OK). Only the relay's DLQ alarm reaches
// them directly, through a people topic in <region> (an alarm's action must be a topic in its own region), so a
// relay whose deliveries to the finding Lambda fail still reaches people.
//
// The key and topic policies admit CloudWatch alarms of this account in that region only; the DLQ admits this
// topic only and refuses plain HTTP. Every resource takes the `region` argument (@pulumi/aws v7), so no extra
// provider is needed.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { stackScope, StackScopeArgs } from "../model/stackScope";
import { alarmTopic, alertKeyPolicy, alertQueuePolicy, deadLetterDepthAlarm, subscribePeople } from "./anomalyAlerts";

export interface RegionalAlertRelayArgs extends StackScopeArgs {
    /** The region the relay lives in (the alarms' region), e.g. `us-east-1`. */
    region: string;
    /** The stack's finding Lambda: subscribed to the relay topic. */
    findingFunctionArn: pulumi.Input<string>;
    findingFunctionName: pulumi.Input<string>;
    /** The stack's people: subscribed to the relay's people topic (its DLQ alarm only). Default none. */
    emails?: readonly string[];
    smsNumbers?: readonly string[];
    httpsEndpoints?: readonly string[];
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
    /** Read by people; only the relay's DLQ alarm (ALARM) publishes to it. */
    public readonly peopleTopic: aws.sns.Topic;
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
        const peopleTopicName = relayName(scope, region, "alerts-people", 256);
        const peopleTopicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${accountId}:${peopleTopicName}`;
        const alarmsInRegion = pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`;

        const key = new aws.kms.Key(`${name}-key`, {
            ...at,
            description: `Encrypts the ${region} alert relay topic and its dead-letter queue (${scope.project}/${scope.stack})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([accountId, partition, topicArn, peopleTopicArn, alarmsInRegion]).apply(([account, part, topic, peopleTopic, alarms]) =>
                JSON.stringify(alertKeyPolicy({ account, partition: part, alarms, topics: [topic, peopleTopic] }))),
            tags: scope.tags,
        }, parent);
        new aws.kms.Alias(`${name}-key-alias`, { ...at, name: `alias/${relayName(scope, region, "alerts", 250)}`, targetKeyId: key.keyId }, parent);

        const topicOf = (suffix: string, topicName: string, displayName: string) => alarmTopic(`${name}-${suffix}`, {
            topicName, displayName, kmsKeyArn: key.arn, accountId, alarms: alarmsInRegion, tags: scope.tags, region,
        }, parent);
        this.topic = topicOf("topic", topicName, `Anomaly alerts (${scope.stack}, ${region})`);
        this.topicArn = this.topic.arn;
        this.peopleTopic = topicOf("people-topic", peopleTopicName, `Anomaly alert pipeline health for people (${scope.stack}, ${region})`);

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
            policy: pulumi.all([this.deadLetterQueue.arn, this.topic.arn, this.peopleTopic.arn, accountId]).apply(([queue, topic, peopleTopic, account]) =>
                JSON.stringify(alertQueuePolicy({ queue, account, topics: [topic, peopleTopic] }))),
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

        // Named `-people-` so a stack updated from the old layout (people on the relay topic) replaces them.
        subscribePeople(`${name}-people`, this.peopleTopic.arn, args, this.deadLetterQueue.arn, parent, region);

        // ALARM: to people directly (the relay's path to the finding Lambda may be what fails) and to the finding
        // Lambda (a pipeline-health finding). OK: the Lambda only.
        this.deadLetterAlarm = deadLetterDepthAlarm(`${name}-dlq-depth`, {
            region,
            name: relayName(scope, region, "alerts-dlq-depth", 255),
            description: `Alerts from ${region} are waiting in the relay's dead-letter queue: an SNS delivery (to the finding Lambda or to people) failed. Read the messages, fix the cause, then redrive them.`,
            queueName: this.deadLetterQueue.name, alarmTopicArn: this.topic.arn, peopleTopicArn: this.peopleTopic.arn, tags: scope.tags,
        }, parent);

        this.registerOutputs({ topicArn: this.topicArn, peopleTopicArn: this.peopleTopic.arn, deadLetterQueueArn: this.deadLetterQueue.arn });
    }
}
