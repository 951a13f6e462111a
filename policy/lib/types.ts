// Type tokens the policies match on. Matching on tokens (not on @pulumi/aws classes) keeps the pack light — the
// analyzer process never loads the AWS SDK for Pulumi — and makes fixtures plain data.

export const T = {
    apiStage: "aws:apigateway/stage:Stage",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
    webAclLogging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    /** A rule added to a web ACL from outside its `rules` (@pulumi/aws v7). */
    webAclRule: "aws:wafv2/webAclRule:WebAclRule",
    /** A rule group (managed or own) added to a web ACL from outside its `rules` (@pulumi/aws v7). */
    webAclRuleGroupAssociation: "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation",

    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketSse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketSseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",

    kinesisStream: "aws:kinesis/stream:Stream",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    snsTopic: "aws:sns/topic:Topic",
    snsTopicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    snsSubscription: "aws:sns/topicSubscription:TopicSubscription",
    sqsQueue: "aws:sqs/queue:Queue",
    sqsQueuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
    kmsKey: "aws:kms/key:Key",
    kmsKeyPolicy: "aws:kms/keyPolicy:KeyPolicy",

    iamRole: "aws:iam/role:Role",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    iamPolicyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
    iamUserPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    iamGroupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    iamRolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",

    lambdaFunction: "aws:lambda/function:Function",
    lambdaEventInvokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    lambdaPermission: "aws:lambda/permission:Permission",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    compositeAlarm: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
} as const;

/**
 * Lookout for Metrics resources are Pulumi dynamic resources. `pulumi.dynamic.Resource` gives them the token
 * `pulumi-nodejs:dynamic/<module>:<Type>` (providers/lookout uses module `edge-anomaly-lookout`); the policies
 * match any module so a renamed module does not silently switch the checks off.
 */
export type LookoutKind = "AnomalyDetector" | "Alert" | "DetectorActivation";

export function lookoutKind(type: string): LookoutKind | undefined {
    const m = /^pulumi-nodejs:dynamic(?:\/[^:]*)?:(AnomalyDetector|Alert|DetectorActivation)$/.exec(type);
    return m ? (m[1] as LookoutKind) : undefined;
}

export const BUCKET_TYPES: readonly string[] = [T.bucket, T.bucketV2];
