// Encryption at rest: S3 buckets, Kinesis streams, Firehose streams, SNS topics and SQS queues.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { forTypes, requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { BUCKET_TYPES, T } from "./lib/types";
import { get, getArray, getBoolean, getString, UNKNOWN } from "./lib/values";

export const S3_SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"] as const;

function sseAlgorithmOf(rule: unknown): string | typeof UNKNOWN | undefined {
    return getString(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm");
}

export const s3BucketEncrypted: StackValidationPolicy = {
    name: "s3-bucket-encrypted",
    description: `Every S3 bucket has an explicit default encryption configuration (${S3_SSE_ALGORITHMS.join(", ")}).`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sseAlgorithm aws:kms (or AES256).",
    validateStack: (args, report) => {
        const buckets = ofType(args.resources, ...BUCKET_TYPES);
        requireAny(args, "S3 buckets", buckets.length);
        const configs = ofType(args.resources, T.bucketSse, T.bucketSseV2);
        for (const b of buckets) {
            const ids = identifiers(b, "bucket", "id");
            const mine = configs.filter((c) => refersTo(c, ["bucket"], b, ids));
            const algorithms: (string | typeof UNKNOWN | undefined)[] = [];
            for (const c of mine) {
                const rules = getArray(c.props, "rules");
                if (rules === UNKNOWN) algorithms.push(UNKNOWN);
                else for (const r of rules) algorithms.push(sseAlgorithmOf(r));
            }
            // The bucket's own block (deprecated inline form). Unknown here means "not set in the program": during
            // preview the provider leaves the computed block unknown; after `pulumi up` it reads back S3's default.
            const inline = get(b.props, "serverSideEncryptionConfiguration", "rule");
            if (inline !== undefined && inline !== UNKNOWN) algorithms.push(sseAlgorithmOf(inline));
            const valid = algorithms.filter((a): a is string => typeof a === "string" && (S3_SSE_ALGORITHMS as readonly string[]).includes(a));
            if (valid.length > 0 || (algorithms.includes(UNKNOWN) && mine.length > 0)) continue;
            const bad = algorithms.filter((a): a is string => typeof a === "string");
            report(bad.length
                ? `${label(b)} uses sseAlgorithm ${bad.join(", ")}, which is not one of ${S3_SSE_ALGORITHMS.join(", ")}.`
                : `${label(b)} has no default encryption configuration: add an aws.s3.BucketServerSideEncryptionConfiguration ` +
                    `(sseAlgorithm aws:kms or AES256) for it.`, b.urn);
        }
    },
};

export const kinesisStreamEncrypted: ResourceValidationPolicy = {
    name: "kinesis-stream-encrypted",
    description: "Every Kinesis data stream is encrypted with KMS.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Set encryptionType "KMS" and kmsKeyId (a key ARN, or "alias/aws/kinesis").`,
    validateResource: forTypes([T.kinesisStream], (props, _args, report) => {
        const type = getString(props, "encryptionType");
        const key = getString(props, "kmsKeyId");
        if (type === UNKNOWN) return;
        if (type !== "KMS") {
            report(`The stream is not encrypted at rest (encryptionType ${type ?? "unset"}): set encryptionType "KMS" and kmsKeyId.`);
        } else if (key === undefined || key === "") {
            report(`encryptionType is KMS but kmsKeyId is empty: set a key ARN or "alias/aws/kinesis".`);
        }
    }),
};

export const firehoseEncrypted: ResourceValidationPolicy = {
    name: "firehose-encrypted",
    description: "Every Firehose stream encrypts data at rest: server-side encryption for Direct PUT streams; a " +
        "stream reading from Kinesis relies on its (KMS-encrypted) source stream.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set serverSideEncryption { enabled: true } (keyType CUSTOMER_MANAGED_CMK needs keyArn), or read from an encrypted Kinesis stream.",
    validateResource: forTypes([T.firehose], (props, _args, report) => {
        const source = get(props, "kinesisSourceConfiguration");
        const sseEnabled = getBoolean(props, "serverSideEncryption", "enabled");
        if (source !== undefined) {
            // Firehose does not store a Kinesis-sourced stream's data at rest; AWS refuses SSE here. The source
            // stream is checked by kinesis-stream-encrypted.
            return;
        }
        if (sseEnabled === UNKNOWN) return;
        if (sseEnabled !== true) {
            report("The Direct PUT Firehose stream buffers data unencrypted: set serverSideEncryption { enabled: true }.");
            return;
        }
        const keyType = getString(props, "serverSideEncryption", "keyType");
        const keyArn = getString(props, "serverSideEncryption", "keyArn");
        if (keyType === "CUSTOMER_MANAGED_CMK" && (keyArn === undefined || keyArn === "")) {
            report("serverSideEncryption.keyType is CUSTOMER_MANAGED_CMK but keyArn is not set.");
        }
    }),
};

export const snsTopicEncrypted: ResourceValidationPolicy = {
    name: "sns-topic-encrypted",
    description: "Every SNS topic is encrypted with KMS (kmsMasterKeyId).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set kmsMasterKeyId to a customer managed key (CloudWatch alarms cannot publish to topics encrypted with alias/aws/sns).",
    validateResource: forTypes([T.snsTopic], (props, _args, report) => {
        const key = getString(props, "kmsMasterKeyId");
        if (key === UNKNOWN) return;
        if (key === undefined || key.trim() === "") {
            report("The topic is not encrypted at rest: set kmsMasterKeyId to a KMS key.");
        }
    }),
};

export const sqsQueueEncrypted: ResourceValidationPolicy = {
    name: "sqs-queue-encrypted",
    description: "Every SQS queue is encrypted: SSE-SQS (sqsManagedSseEnabled) or SSE-KMS (kmsMasterKeyId), set explicitly.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set sqsManagedSseEnabled: true, or kmsMasterKeyId to a KMS key.",
    validateResource: forTypes([T.sqsQueue], (props, _args, report) => {
        const key = getString(props, "kmsMasterKeyId");
        const managed = getBoolean(props, "sqsManagedSseEnabled");
        if (key === UNKNOWN || managed === UNKNOWN) return;
        if ((key === undefined || key.trim() === "") && managed !== true) {
            report(managed === false
                ? "sqsManagedSseEnabled is false and no kmsMasterKeyId is set: messages are stored unencrypted."
                : "The queue does not set encryption explicitly: set sqsManagedSseEnabled: true or kmsMasterKeyId.");
        }
    }),
};

export const encryptionPolicies = [s3BucketEncrypted, kinesisStreamEncrypted, firehoseEncrypted, snsTopicEncrypted, sqsQueueEncrypted];
