// ChatChannels: the people notices in Slack and Microsoft Teams channels, through Amazon Q Developer in chat
// applications (formerly AWS Chatbot; the API and resource types keep the Chatbot name).
//
//   finding Lambda ──custom notification JSON──▶ chat topic (KMS) ──▶ Chatbot ──▶ Slack / Teams channel
//   DLQ depth alarm ──CloudWatch alarm event──▶ chat topic
//
// Chatbot shows only AWS service events (a CloudWatch alarm notification is one) and custom notifications
// (`version` "1.0", `source` "custom"); a plain-text SNS message is not shown. So chat has its own topic, which the
// finding Lambda publishes the same notice to in that form, and people's email/SMS/HTTPS keep the plain text.
//
// Each channel configuration assumes a role with no permissions of its own, and its channel guardrail (the most
// any channel member can do through it) is one customer-managed policy that allows reading this stack's alarms:
// with no guardrail Chatbot applies AdministratorAccess. The workspace (Slack) or team and tenant (Teams) must be
// authorized once in the Amazon Q Developer in chat applications console before `pulumi up`: that OAuth step has
// no API.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { physicalName } from "./anomalyAlerts";
import { stackScope, StackScopeArgs } from "../model/stackScope";

export interface SlackChannel {
    /** The Slack workspace (team) id authorized in the console, e.g. `T07EA123LEP`. */
    workspaceId: string;
    /** The channel id, e.g. `C07EZ1ABC23` (the end of the channel's link). */
    channelId: string;
}

export interface TeamsChannel {
    tenantId: string;
    teamId: string;
    /** The URL-encoded channel id from the channel's link (`19%3a…%40thread.tacv2`). */
    channelId: string;
}

export interface ChatChannelsArgs extends StackScopeArgs {
    /** The chat topic the channels read (the finding Lambda's custom notifications, the DLQ alarm). */
    topicArn: pulumi.Input<string>;
    /** The region whose alarms channel members may read through the guardrail. */
    region: string;
    slack?: readonly SlackChannel[];
    teams?: readonly TeamsChannel[];
}

/** Chatbot's trust: the service, for this account only. */
export function chatbotTrustPolicy(account: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: "chatbot.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": account } },
        }],
    };
}

/** The channel guardrail: read this stack's alarms in its region, nothing else. */
export function chatGuardrailPolicy(a: { partition: string; region: string; account: string; alarmPrefix: string }): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "ReadThisStacksAlarms",
            Effect: "Allow",
            Action: ["cloudwatch:DescribeAlarms"],
            Resource: `arn:${a.partition}:cloudwatch:${a.region}:${a.account}:alarm:${a.alarmPrefix}*`,
        }],
    };
}

export class ChatChannels extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly guardrail: aws.iam.Policy;
    public readonly slack: aws.chatbot.SlackChannelConfiguration[];
    public readonly teams: aws.chatbot.TeamsChannelConfiguration[];

    constructor(name: string, args: ChatChannelsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:alerts:ChatChannels", name, {}, opts);
        const scope = stackScope(args);
        const parent = { parent: this };
        const slack = args.slack ?? [];
        const teams = args.teams ?? [];
        if (slack.length + teams.length === 0) throw new Error("ChatChannels: no Slack or Teams channel given");
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        this.role = new aws.iam.Role(`${name}-role`, {
            description: `Amazon Q Developer in chat applications: the anomaly alert channels (${scope.project}/${scope.stack}); no permissions`,
            assumeRolePolicy: accountId.apply((account) => JSON.stringify(chatbotTrustPolicy(account))),
            tags: scope.tags,
        }, parent);

        this.guardrail = new aws.iam.Policy(`${name}-guardrail`, {
            description: `Channel guardrail of the anomaly alert chat channels (${scope.project}/${scope.stack}): read this stack's alarms only`,
            policy: pulumi.all([partition, accountId]).apply(([part, account]) => JSON.stringify(chatGuardrailPolicy({
                partition: part, region: args.region, account, alarmPrefix: physicalName(scope, "", 255).slice(0, -1),
            }))),
            tags: scope.tags,
        }, parent);

        const common = {
            iamRoleArn: this.role.arn,
            guardrailPolicyArns: [this.guardrail.arn],
            snsTopicArns: [args.topicArn],
            loggingLevel: "ERROR",
            userAuthorizationRequired: false,
            tags: scope.tags,
        };
        this.slack = slack.map((c, i) => new aws.chatbot.SlackChannelConfiguration(`${name}-slack-${i}`, {
            ...common,
            configurationName: physicalName(scope, `slack-${i}`, 128),
            slackTeamId: c.workspaceId,
            slackChannelId: c.channelId,
        }, parent));
        this.teams = teams.map((c, i) => new aws.chatbot.TeamsChannelConfiguration(`${name}-teams-${i}`, {
            ...common,
            configurationName: physicalName(scope, `teams-${i}`, 128),
            tenantId: c.tenantId,
            teamId: c.teamId,
            channelId: c.channelId,
        }, parent));

        this.registerOutputs({ roleArn: this.role.arn, guardrailArn: this.guardrail.arn });
    }
}
