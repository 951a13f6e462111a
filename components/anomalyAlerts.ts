// AnomalyAlerts: the one alert path every detector uses, whatever the engine.
//
//   CloudWatch alarms (ALARM, OK) ─▶ alarm topic (KMS) ──▶ finding Lambda ──▶ Security Hub (BatchImportFindings)
//   L4M SNS alert (JSON) ──────────▶      │                  │  (ACTIVE anomaly findings only: one notice each)
//   L4M Lambda alert ──── invoke ──────────────────────────▶ │
//                                                            ▼
//   DLQ depth alarm (ALARM only) ──────────────────────▶ people topic (KMS) ──▶ email / SMS / HTTPS
//
// - Only the finding Lambda reads the alarm topic, so alarm state changes (first-deploy INSUFFICIENT_DATA → OK,
//   every OK) never reach people; the Lambda announces ACTIVE findings on the people topic. The DLQ alarm also
//   publishes its ALARM to the people topic directly: an alert path that fails still reaches people.
// - Both topics use one customer-managed key. The key policy lets CloudWatch alarms (this account, alarms in this
//   region) and SNS (delivering to the encrypted dead-letter queue, from these two topics only) use it; IAM
//   policies in this account may grant it to their principals (the Lookout engine's SNS role, the finding Lambda).
// - Each topic policy admits one service principal — CloudWatch — with aws:SourceAccount/aws:SourceArn
//   conditions, and denies the topic actions without TLS.
// - The finding Lambda (InlineFunction: explicit runtime, own role, log group with retention, no bundled SDK)
//   may only import into this account's default product, read findings to archive, read the state of this
//   region's metric alarms, publish to the people topic, and write to its DLQ.
// - Asynchronous invocations retry (config), then go to the encrypted SQS dead-letter queue (on-failure
//   destination); SNS deliveries it could not make go there too (subscription redrive policy).
// - Optionally enables Security Hub in the account (config `alerts.enableSecurityHub`).
import { createHash } from "crypto";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { SecurityHubClient } from "@aws-sdk/client-securityhub";
import { SNSClient } from "@aws-sdk/client-sns";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import {
    AlertClients, AlertHandlingResult, cloudWatchClientConfig, consoleUrl, findingSettingsFromEnv, handleAlertEvent, logsClientConfig, securityHubClientConfig, snsClientConfig,
} from "../handlers/securityHubFinding";
import { ecommerceRootCauseEnv, EcommerceRootCauseSettings } from "../handlers/enrich/ecommerceRootCause";
import { wafRootCauseStatements } from "../handlers/enrich/wafRootCause";
import { InlineFunction } from "../lambda/inlineFunction";
import { FunctionSettings, regionOf, stackScope, StackScopeArgs } from "../model/stackScope";

export interface AnomalyAlertsArgs extends StackScopeArgs {
    /** Region of the topic, the finding Lambda and the Security Hub product. Default: `aws:region`. */
    region?: string;
    /** The finding Lambda's runtime and log retention. */
    functions?: FunctionSettings;
    /** Email subscribers of the topic. Default none. */
    emails?: readonly string[];
    /** SMS subscribers (E.164). Default none. */
    smsNumbers?: readonly string[];
    /** HTTPS endpoint subscribers. Default none. */
    httpsEndpoints?: readonly string[];
    /** Enable Security Hub in the account from this stack. Default false (it is often managed centrally). */
    enableSecurityHub?: boolean;
    /** Asynchronous invocation retries of the finding Lambda, 0–2. Default 2. */
    maxRetryAttempts?: number;
    /** Asynchronous invocation maximum event age, 60–21600 s. Default 3600. */
    maxEventAgeSeconds?: number;
    /** The project's web ACL ARN: findings about that web ACL name it by ARN (optional; else by name). */
    webAclArn?: pulumi.Input<string>;
    /** ARNs of the other watched web ACLs, where known: findings about one of them name it by ARN. Default none. */
    webAclArns?: readonly pulumi.Input<string>[];
    /** Regions besides this one whose alarms notify the finding Lambda (through a RegionalAlertRelay). Default none. */
    alarmRegions?: readonly string[];
    /** The Kinesis data stream carrying the ecommerce events: ecommerce findings name it as a resource (optional). */
    ecommerceStreamArn?: pulumi.Input<string>;
    /** The detection dashboard's name: each people notice links to it (optional). */
    dashboardName?: pulumi.Input<string>;
    /**
     * WAF root cause: each web ACL (by ARN) whose WAF logs go to a CloudWatch Logs group, and that group (name in
     * `region`, default this one; or its ARN). The finding Lambda queries only these groups (Logs Insights) over
     * an anomaly's window; an ACL not listed gets findings that say why they have no root cause. Default none.
     */
    wafLogGroups?: readonly { webAclArn: pulumi.Input<string>; logGroup: pulumi.Input<string>; region?: string }[];
    /**
     * Ecommerce root cause: the watched platform/marketplace series the cloudwatch engine's total alarms break down
     * into (GetMetricData over the alarm window, the alarms' own band). Default none (no ecommerce root cause).
     */
    ecommerceRootCause?: EcommerceRootCauseSettings;
    /**
     * Names of EventBridge rules (this account's default bus, this region) whose targets dead-letter undelivered
     * events into the DLQ (the DevOps Guru insight rule): the queue and key policies admit events.amazonaws.com for
     * exactly these rules. Default none.
     */
    deadLetterEventRuleNames?: readonly string[];
    /**
     * Create the chat topic: the finding Lambda publishes each people notice there too, as a custom notification
     * Slack / Microsoft Teams channels show (components/chatChannels.ts subscribes them), and the DLQ alarm notifies
     * it. Default false.
     */
    chatTopic?: boolean;
}

/**
 * The Lambda handler. A factory, so the Security Hub and CloudWatch clients are made once per cold start inside
 * the Lambda (a client captured at deploy time cannot be serialized) and a missing setting fails the cold start loudly.
 */
export function findingHandlerFactory(): (event: unknown) => Promise<AlertHandlingResult> {
    const settings = findingSettingsFromEnv(process.env);
    const clients: AlertClients = {
        securityHub: new SecurityHubClient(securityHubClientConfig(settings.region)),
        cloudWatch: new CloudWatchClient(cloudWatchClientConfig(settings.region)),
        sns: new SNSClient(snsClientConfig(settings.region)),
        // Alarms of CLOUDFRONT web ACLs live in us-east-1: their state is read there.
        cloudWatchFor: (region: string) => new CloudWatchClient(cloudWatchClientConfig(region)),
        // The enrich stage's WAF log queries, in the log group's region (CLOUDFRONT ACLs log in us-east-1).
        logsFor: (region: string) => new CloudWatchLogsClient(logsClientConfig(region)),
    };
    const deps = settings.rootCauseBudgetMs ? { enrichBudgetMs: settings.rootCauseBudgetMs } : {};
    return (event: unknown) => handleAlertEvent(event, clients, settings, deps);
}

/** KMS actions the account (its IAM policies) may use on the key: administration plus data-key use. No wildcards. */
export const KEY_ACCOUNT_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
];

/** What a service needs to write into something encrypted with the key (SNS topic, SQS queue). */
export const KEY_SERVICE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"];

/**
 * The topic actions denied over plain HTTP. A topic policy may name only SNS actions (no `sns:*`, no other
 * service's): these are the eight AWS's own default topic policy lists, `sns:Publish` first — the statement the
 * SNS security best practices ("Enforce encryption of data in transit") show.
 */
export const SNS_TOPIC_ACTIONS = [
    "sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
    "sns:DeleteTopic", "sns:ListSubscriptionsByTopic",
];

export const ANOMALY_ALERTS_DEFAULTS = { enableSecurityHub: false, maxRetryAttempts: 2, maxEventAgeSeconds: 3600 } as const;

/** Denies every request over plain HTTP, whoever makes it (resource policies: SQS takes `sqs:*`, SNS only its list). */
export function denyInsecureTransport(action: string | string[], resource: string): Record<string, unknown> {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: action,
        Resource: resource,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * The people's email / SMS / HTTPS subscriptions of a people topic, each named by a hash of its endpoint (editing
 * the list never re-creates the others), undeliverable messages redriven to `dlqArn`.
 */
export function subscribePeople(name: string, topicArn: pulumi.Input<string>, people: { emails?: readonly string[]; smsNumbers?: readonly string[]; httpsEndpoints?: readonly string[] },
    dlqArn: pulumi.Output<string>, opts: pulumi.CustomResourceOptions, region?: string): aws.sns.TopicSubscription[] {
    const lists: { protocol: "email" | "sms" | "https"; endpoints: readonly string[] }[] = [
        { protocol: "email", endpoints: people.emails ?? [] },
        { protocol: "sms", endpoints: people.smsNumbers ?? [] },
        { protocol: "https", endpoints: people.httpsEndpoints ?? [] },
    ];
    const redrivePolicy = dlqArn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn }));
    return lists.flatMap(({ protocol, endpoints }) => endpoints.map((endpoint) => new aws.sns.TopicSubscription(`${name}-${protocol}-${shortHash(endpoint)}`, {
        ...(region ? { region } : {}), topic: topicArn, protocol, endpoint, redrivePolicy,
    }, opts)));
}

/** An alert path's DLQ depth alarm (> 0 messages): ALARM to the alarm topic and to people directly, OK to the alarm topic only. */
export function deadLetterDepthAlarm(name: string, a: {
    name: string; description: string; queueName: pulumi.Input<string>; alarmTopicArn: pulumi.Input<string>; peopleTopicArn: pulumi.Input<string>;
    chatTopicArn?: pulumi.Input<string>; tags: Record<string, string>; region?: string;
}, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(name, {
        ...(a.region ? { region: a.region } : {}),
        name: a.name,
        alarmDescription: a.description,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: a.queueName },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [a.alarmTopicArn, a.peopleTopicArn, ...(a.chatTopicArn ? [a.chatTopicArn] : [])],
        okActions: [a.alarmTopicArn],
        tags: a.tags,
    }, opts);
}

/**
 * The key policy of an alert path's key (this component's, and each RegionalAlertRelay's in its region): the
 * account administers it through IAM; CloudWatch alarms of this account in `alarms` (one region's alarm ARN
 * pattern) and SNS delivering to the DLQ from `topics` may use it; EventBridge too for `eventRules` (their DLQ).
 */
export function alertKeyPolicy(a: { account: string; partition: string; alarms: string; topics: string[]; eventRules?: string[] }): Record<string, unknown> {
    const service = (sid: string, principal: string, condition: Record<string, unknown>) => ({
        Sid: sid, Effect: "Allow", Principal: { Service: principal }, Action: KEY_SERVICE_ACTIONS, Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": a.account }, ...condition },
    });
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersAndGrantsThroughIam", Effect: "Allow", Principal: { AWS: `arn:${a.partition}:iam::${a.account}:root` }, Action: KEY_ACCOUNT_ACTIONS, Resource: "*" },
            service("CloudWatchAlarmsPublishToTheTopic", "cloudwatch.amazonaws.com", { ArnLike: { "aws:SourceArn": a.alarms } }),
            service("SnsDeliversFailedMessagesToTheQueue", "sns.amazonaws.com", { ArnEquals: { "aws:SourceArn": a.topics } }),
            ...(a.eventRules?.length ? [service("EventBridgeDeadLettersUndeliveredEvents", "events.amazonaws.com", { ArnEquals: { "aws:SourceArn": a.eventRules } })] : []),
        ],
    };
}

/**
 * The policy of an alert path's dead-letter queue: SNS may send from `topics` (subscription redrive), EventBridge
 * from `eventRules` (rule targets' dead-letter config, EventBridge user guide "Granting permissions to the
 * dead-letter queue"), this account only; everything is denied without TLS.
 */
export function alertQueuePolicy(a: { queue: string; account: string; topics: string[]; eventRules?: string[] }): Record<string, unknown> {
    const send = (sid: string, principal: string, sources: string[]) => ({
        Sid: sid, Effect: "Allow", Principal: { Service: principal }, Action: "sqs:SendMessage", Resource: a.queue,
        Condition: { StringEquals: { "aws:SourceAccount": a.account }, ArnEquals: { "aws:SourceArn": sources } },
    });
    return {
        Version: "2012-10-17",
        Statement: [
            send("TopicRedrivesUndeliveredMessages", "sns.amazonaws.com", a.topics),
            ...(a.eventRules?.length ? [send("EventRulesDeadLetterUndeliveredEvents", "events.amazonaws.com", a.eventRules)] : []),
            denyInsecureTransport("sqs:*", a.queue),
        ],
    };
}

/**
 * The policy of a topic CloudWatch alarms publish to (the alarm and people topics here, a RegionalAlertRelay's
 * topics): CloudWatch alarms of this account in `alarms` (an alarm ARN pattern for one region) may publish; the
 * topic's actions are denied without TLS.
 */
export function alarmTopicPolicy(topic: string, account: string, alarms: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "CloudWatchAlarmsOfThisAccountPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic,
                Condition: { StringEquals: { "aws:SourceAccount": account }, ArnLike: { "aws:SourceArn": alarms } },
            },
            denyInsecureTransport(SNS_TOPIC_ACTIONS, topic),
        ],
    };
}

/**
 * A KMS-encrypted topic of the alert path with `alarmTopicPolicy` (this account's alarms in `alarms` publish; TLS
 * only): logical names `<name>` and `<name>-policy`.
 */
export function alarmTopic(name: string, a: {
    topicName: string; displayName: string; kmsKeyArn: pulumi.Input<string>; accountId: pulumi.Input<string>; alarms: pulumi.Input<string>;
    tags: Record<string, string>; region?: string;
}, opts: pulumi.CustomResourceOptions): aws.sns.Topic {
    const at = a.region ? { region: a.region } : {};
    const topic = new aws.sns.Topic(name, { ...at, name: a.topicName, displayName: a.displayName, kmsMasterKeyId: a.kmsKeyArn, tags: a.tags }, opts);
    new aws.sns.TopicPolicy(`${name}-policy`, {
        ...at,
        arn: topic.arn,
        policy: pulumi.all([topic.arn, a.accountId, a.alarms]).apply(([t, account, alarms]) => JSON.stringify(alarmTopicPolicy(t, account, alarms))),
    }, opts);
    return topic;
}

/** `project-stack-suffix`, limited to the characters SNS, SQS, KMS aliases and alarm names all accept. */
export function physicalName(scope: { project: string; stack: string }, suffix: string, maxLength: number): string {
    const base = `${scope.project}-${scope.stack}`.replace(/[^A-Za-z0-9_-]/g, "-");
    return `${base.slice(0, maxLength - suffix.length - 1)}-${suffix}`;
}

/** A log group's ARN (without `:*`) from its ARN or its name in `region`. */
export function logGroupArnOf(group: string, partition: string, region: string, accountId: string): string {
    return group.startsWith("arn:") ? group.replace(/:\*$/, "") : `arn:${partition}:logs:${region}:${accountId}:log-group:${group}`;
}

function shortHash(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 10);
}

export class AnomalyAlerts extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly topicArn: pulumi.Output<string>;
    /** The people topic: notices from the finding Lambda and the DLQ alarm; email/SMS/HTTPS subscribe here. */
    public readonly peopleTopic: aws.sns.Topic;
    public readonly peopleTopicArn: pulumi.Output<string>;
    /** The chat topic (with `chatTopic`): custom notifications for Slack / Teams, and the DLQ alarm. */
    public readonly chatTopic?: aws.sns.Topic;
    public readonly chatTopicArn?: pulumi.Output<string>;
    public readonly topicKey: aws.kms.Key;
    public readonly topicKeyArn: pulumi.Output<string>;
    public readonly findingFunction: InlineFunction<unknown, AlertHandlingResult>;
    public readonly findingFunctionArn: pulumi.Output<string>;
    public readonly findingFunctionName: pulumi.Output<string>;
    public readonly deadLetterQueue: aws.sqs.Queue;
    public readonly deadLetterQueueName: pulumi.Output<string>;
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly deadLetterAlarm: aws.cloudwatch.MetricAlarm;
    /** The default product findings are imported into: `arn:…:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`. */
    public readonly productArn: pulumi.Output<string>;
    public readonly securityHub?: aws.securityhub.Account;

    constructor(name: string, args: AnomalyAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:alerts:AnomalyAlerts", name, {}, opts);
        const scope = stackScope(args);
        const d = ANOMALY_ALERTS_DEFAULTS;
        const parent = { parent: this };
        const region = regionOf(args.region, "AnomalyAlerts");
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        // Names are set (not auto-suffixed) so the key policy can name the topic before the topic exists.
        const topicName = physicalName(scope, "alerts", 256);
        const topicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${accountId}:${topicName}`;
        const peopleTopicName = physicalName(scope, "alerts-people", 256);
        const peopleTopicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${accountId}:${peopleTopicName}`;
        const chatTopicName = physicalName(scope, "alerts-chat", 256);
        const chatTopicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${accountId}:${chatTopicName}`;
        const alarmsInRegion = pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`;
        this.productArn = pulumi.interpolate`arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
        const hubArn = pulumi.interpolate`arn:${partition}:securityhub:${region}:${accountId}:hub/default`;
        const eventRuleArns = pulumi.all([partition, accountId]).apply(([part, account]) =>
            (args.deadLetterEventRuleNames ?? []).map((r) => `arn:${part}:events:${region}:${account}:rule/${r}`));

        if (args.enableSecurityHub ?? d.enableSecurityHub) {
            // Disabling Security Hub deletes every finding in the account: never do it on `pulumi destroy`.
            this.securityHub = new aws.securityhub.Account(`${name}-securityhub`, {
                enableDefaultStandards: false,
            }, { ...parent, retainOnDelete: true });
        }

        this.topicKey = new aws.kms.Key(`${name}-key`, {
            description: `Encrypts the anomaly alert topic and its dead-letter queue (${scope.project}/${scope.stack})`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.all([accountId, partition, topicArn, peopleTopicArn, chatTopicArn, alarmsInRegion, eventRuleArns]).apply(([account, part, topic, peopleTopic, chat, alarms, rules]) =>
                JSON.stringify(alertKeyPolicy({ account, partition: part, alarms, topics: [topic, peopleTopic, ...(args.chatTopic ? [chat] : [])], eventRules: rules }))),
            tags: scope.tags,
        }, parent);
        this.topicKeyArn = this.topicKey.arn;

        new aws.kms.Alias(`${name}-key-alias`, {
            name: `alias/${physicalName(scope, "alerts", 250)}`,
            targetKeyId: this.topicKey.keyId,
        }, parent);

        const topicOf = (suffix: string, topicName: string, displayName: string) => alarmTopic(`${name}-${suffix}`, {
            topicName, displayName, kmsKeyArn: this.topicKey.arn, accountId, alarms: alarmsInRegion, tags: scope.tags,
        }, parent);
        this.topic = topicOf("topic", topicName, `Anomaly alerts (${scope.stack})`);
        this.topicArn = this.topic.arn;

        // People hear only from the finding Lambda (one notice per ACTIVE anomaly finding; never OK or
        // INSUFFICIENT_DATA) and from the DLQ alarm (directly, so a broken alert path still reaches them).
        this.peopleTopic = topicOf("people-topic", peopleTopicName, `Anomaly alerts for people (${scope.stack})`);
        this.peopleTopicArn = this.peopleTopic.arn;

        if (args.chatTopic) {
            // Chat channels read only this topic: the finding Lambda's custom notifications and the DLQ alarm (a
            // CloudWatch alarm event, which chat shows natively). Same policy as the people topic.
            this.chatTopic = topicOf("chat-topic", chatTopicName, `Anomaly alerts for chat channels (${scope.stack})`);
            this.chatTopicArn = this.chatTopic.arn;
        }

        this.deadLetterQueue = new aws.sqs.Queue(`${name}-dlq`, {
            name: physicalName(scope, "alerts-dlq", 80),
            kmsMasterKeyId: this.topicKey.arn,
            kmsDataKeyReusePeriodSeconds: 300,
            messageRetentionSeconds: 14 * 24 * 3600,
            tags: scope.tags,
        }, parent);
        this.deadLetterQueueName = this.deadLetterQueue.name;
        this.deadLetterQueueArn = this.deadLetterQueue.arn;

        new aws.sqs.QueuePolicy(`${name}-dlq-policy`, {
            queueUrl: this.deadLetterQueue.url,
            policy: pulumi.all([this.deadLetterQueue.arn, this.topic.arn, this.peopleTopic.arn, chatTopicArn, accountId, eventRuleArns]).apply(([queue, topic, peopleTopic, chat, account, rules]) =>
                JSON.stringify(alertQueuePolicy({ queue, account, topics: [topic, peopleTopic, ...(args.chatTopic ? [chat] : [])], eventRules: rules }))),
        }, parent);

        // WAF root cause: web ACL ARN → log group ARN, and the statements that let the function query those groups only.
        const wafLogGroups = pulumi.all([partition, accountId, pulumi.all((args.wafLogGroups ?? []).map((g) =>
            pulumi.all([g.webAclArn, g.logGroup]).apply(([acl, group]) => ({ acl, group, region: g.region ?? region }))))])
            .apply(([part, account, groups]) => groups.map((g) => ({ acl: g.acl, arn: logGroupArnOf(g.group, part, g.region, account) })));
        const rootCauseStatements = wafLogGroups.apply((groups) => wafRootCauseStatements({ logGroupArns: groups.map((g) => g.arn) }));

        this.findingFunction = new InlineFunction<unknown, AlertHandlingResult>(`${name}-finding`, {
            project: scope.project, stack: scope.stack, tags: scope.tags, ...args.functions,
            description: "Files anomaly alerts (Lookout for Metrics, CloudWatch alarms) as Security Hub findings",
            callbackFactory: findingHandlerFactory,
            timeoutSeconds: 60,
            memorySizeMb: 256,
            environment: {
                FINDING_ACCOUNT_ID: accountId,
                FINDING_REGION: region,
                FINDING_PARTITION: partition,
                FINDING_PRODUCT_ARN: this.productArn,
                ...(args.webAclArn ? { WEB_ACL_ARN: args.webAclArn } : {}),
                ...(args.webAclArns?.length ? { WEB_ACL_ARNS: pulumi.all([...args.webAclArns]).apply((a) => a.join(",")) } : {}),
                ...(args.alarmRegions?.length ? { ALARM_REGIONS: args.alarmRegions.join(",") } : {}),
                ...(args.ecommerceStreamArn ? { ECOMMERCE_STREAM_ARN: args.ecommerceStreamArn } : {}),
                PEOPLE_TOPIC_ARN: this.peopleTopic.arn,
                ...(this.chatTopic ? { CHAT_TOPIC_ARN: this.chatTopic.arn } : {}),
                ...(args.wafLogGroups?.length ? { WAF_LOG_GROUPS: wafLogGroups.apply((groups) => JSON.stringify(Object.fromEntries(groups.map((g) => [g.acl, g.arn])))) } : {}),
                ...(args.ecommerceRootCause ? { ECOMMERCE_ROOT_CAUSE: ecommerceRootCauseEnv(args.ecommerceRootCause) } : {}),
                ...(args.dashboardName ? {
                    DASHBOARD_URL: pulumi.all([partition, args.dashboardName]).apply(([part, dashboard]) =>
                        consoleUrl(part, region, `cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboard)}`)),
                } : {}),
            },
            statements: pulumi.all([pulumi.output<aws.iam.PolicyStatement[]>([
                {
                    Sid: "ImportFindingsIntoThisAccountsDefaultProduct",
                    Effect: "Allow",
                    Action: ["securityhub:BatchImportFindings"],
                    Resource: this.productArn,
                },
                {
                    Sid: "FindActiveFindingsToArchiveOnOk",
                    Effect: "Allow",
                    Action: ["securityhub:GetFindings"],
                    Resource: hubArn,
                },
                {
                    // Metric alarms (a composite's band child, and metric alarms' own episode check) by ARN.
                    Sid: "ReadAlarmStateBeforeFilingAlarmFindings",
                    Effect: "Allow",
                    Action: ["cloudwatch:DescribeAlarms"],
                    Resource: args.alarmRegions?.length
                        ? pulumi.all([alarmsInRegion, accountId, partition]).apply(([own, account, part]) =>
                            [own, ...args.alarmRegions!.map((r) => `arn:${part}:cloudwatch:${r}:${account}:alarm:*`)])
                        : alarmsInRegion,
                },
                {
                    // The episode check of a composite alarm (the WAF and drop alarms): DescribeAlarms returns
                    // composite alarms only to a cloudwatch:DescribeAlarms permission scoped to "*" (CloudWatch API
                    // reference, DescribeAlarms). Read-only, one action; the resource cannot be narrowed.
                    Sid: "ReadCompositeAlarmStateBeforeFilingFindings",
                    Effect: "Allow",
                    Action: ["cloudwatch:DescribeAlarms"],
                    Resource: "*",
                },
                ...(args.ecommerceRootCause ? [{
                    // The ecommerce root cause reads the watched series and their bands. GetMetricData has no
                    // resource-level permissions (service authorization reference): Resource "*", one read action.
                    Sid: "ReadEcommerceSeriesForRootCause",
                    Effect: "Allow" as const,
                    Action: ["cloudwatch:GetMetricData"],
                    Resource: "*",
                }] : []),
                {
                    Sid: "NotifyPeople",
                    Effect: "Allow",
                    Action: ["sns:Publish"],
                    Resource: this.chatTopic ? [this.peopleTopic.arn, this.chatTopic.arn] : this.peopleTopic.arn,
                },
                {
                    Sid: "SendFailedInvocationsToTheDlq",
                    Effect: "Allow",
                    Action: ["sqs:SendMessage"],
                    Resource: this.deadLetterQueue.arn,
                },
                {
                    Sid: "EncryptForTheDlqAndPeopleTopic",
                    Effect: "Allow",
                    Action: KEY_SERVICE_ACTIONS,
                    Resource: this.topicKey.arn,
                },
            ]), rootCauseStatements]).apply(([own, rootCause]) => [...own, ...(rootCause as aws.iam.PolicyStatement[])]),
        }, parent);
        this.findingFunctionArn = this.findingFunction.arn;
        this.findingFunctionName = this.findingFunction.name;

        // Asynchronous invocations (SNS, and L4M's own): bounded retries, then the event (with the error) to the DLQ.
        new aws.lambda.FunctionEventInvokeConfig(`${name}-finding-async`, {
            functionName: this.findingFunction.name,
            maximumRetryAttempts: args.maxRetryAttempts ?? d.maxRetryAttempts,
            maximumEventAgeInSeconds: args.maxEventAgeSeconds ?? d.maxEventAgeSeconds,
            destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
        }, parent);

        const snsInvoke = new aws.lambda.Permission(`${name}-finding-from-topic`, {
            action: "lambda:InvokeFunction",
            function: this.findingFunction.name,
            principal: "sns.amazonaws.com",
            // The topic ARN names this account and this topic: no other topic (or account) can invoke it.
            sourceArn: this.topic.arn,
        }, parent);

        new aws.sns.TopicSubscription(`${name}-finding-subscription`, {
            topic: this.topic.arn,
            protocol: "lambda",
            endpoint: this.findingFunction.arn,
            redrivePolicy: this.deadLetterQueue.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn })),
        }, { parent: this, dependsOn: this.securityHub ? [snsInvoke, this.securityHub] : [snsInvoke] });

        subscribePeople(name, this.peopleTopic.arn, args, this.deadLetterQueue.arn, parent);

        // ALARM: to people directly and to the finding Lambda (a pipeline-health finding). OK: the Lambda only.
        this.deadLetterAlarm = deadLetterDepthAlarm(`${name}-dlq-depth`, {
            name: physicalName(scope, "alerts-dlq-depth", 255),
            description: "Alerts are waiting in the alert dead-letter queue: they did not become Security Hub findings "
                + "(or an SNS delivery failed). Read the messages for the error, fix it, then redrive them.",
            queueName: this.deadLetterQueue.name, alarmTopicArn: this.topic.arn, peopleTopicArn: this.peopleTopic.arn, chatTopicArn: this.chatTopicArn, tags: scope.tags,
        }, parent);

        this.registerOutputs({
            topicArn: this.topicArn,
            peopleTopicArn: this.peopleTopicArn,
            ...(this.chatTopicArn ? { chatTopicArn: this.chatTopicArn } : {}),
            topicKeyArn: this.topicKeyArn,
            findingFunctionArn: this.findingFunctionArn,
            findingFunctionName: this.findingFunctionName,
            deadLetterQueueName: this.deadLetterQueueName,
            deadLetterQueueArn: this.deadLetterQueueArn,
            productArn: this.productArn,
        });
    }
}
