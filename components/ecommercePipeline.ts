// EcommercePipeline: the ecommerce traffic pipeline. Site events go into a KMS-encrypted Kinesis data stream;
// a Firehose stream reads it, runs the inline transform Lambda (handlers/ecommerceTransform.ts) and writes JSON
// Lines rows to an encrypted, private, TLS-only S3 bucket under `ecommerce/live/yyyyMMdd/HHmm/`, HHmm being the
// START of the detector interval (dynamic partitioning with keys computed by the transform), so a detector that
// reads one folder per interval sees all of that interval's events. Records the transform refuses, and records
// Firehose cannot deliver, go under `ecommerce/errors/<error type>/`. With the CloudWatch engine the transform
// also writes per-interval sums as CloudWatch Embedded Metric Format lines to its log group.
//
// One KMS key encrypts the stream and the bucket's objects. (A Firehose stream whose source is a Kinesis stream
// cannot have Firehose server-side encryption: it keeps no data at rest of its own; the source stream's KMS
// encryption and the S3 destination's KMS key cover the data end to end.)
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Compression } from "../config";
import {
    ENV,
    FirehoseTransformEvent,
    FirehoseTransformResponse,
    handleTransformEvent,
    optionsFromEnv,
} from "../handlers/ecommerceTransform";
import {
    dataFileExtension,
    EcommerceSeriesOptions,
    ERROR_PREFIX,
    ERROR_PREFIX_EXPRESSION,
    historicalPath,
    LIVE_PREFIX,
    LIVE_PREFIX_EXPRESSION,
    resolveEcommerceSeries,
    templatedPath,
    TRANSFORM_BUFFER_SECONDS,
} from "../model/ecommerceSchema";
import { InlineFunction } from "../lambda/inlineFunction";
import { FunctionSettings, regionOf, stackScope, StackScopeArgs } from "../model/stackScope";

export interface EcommercePipelineArgs extends StackScopeArgs {
    /** Region of the stream, bucket and Firehose (ARNs and kms:ViaService conditions). Default: `aws:region`. */
    region?: string;
    /** The transform Lambda's runtime and log retention. */
    functions?: FunctionSettings;
    /** Retention of the Firehose delivery log group, days. Default 30. */
    logRetentionDays?: number;
    /** 0 (default) for an ON_DEMAND stream; a positive number for a PROVISIONED stream with that many shards. */
    shardCount?: number;
    /** Stream retention, hours. Default 24. */
    retentionHours?: number;
    /** Firehose S3 buffer interval, 60–900 s. Default 60. */
    bufferingIntervalSeconds?: number;
    /** Firehose S3 buffer size, 64–128 MiB (dynamic partitioning needs at least 64). Default 64. */
    bufferingSizeMiB?: number;
    /** Default `UNCOMPRESSED`. */
    compression?: Compression;
    /** Days until live rows and error objects expire. Default 90. */
    dataExpirationDays?: number;
    /**
     * More prefixes of the data bucket that expire after `dataExpirationDays`, like the live rows (a bucket has one
     * lifecycle configuration: other writers of the bucket — the Redshift source — put their rules here). `id` is
     * the rule id (unique, at most 255 characters). Default none.
     */
    expiringPrefixes?: readonly { id: string; prefix: string }[];
    /** Let `pulumi destroy` delete the data bucket with its objects. Default false. */
    forceDestroyBucket?: boolean;
    /** The detector interval the transform partitions rows by, seconds. Default 300. */
    intervalSeconds?: number;
    /** Emit the CloudWatch EMF metrics the cloudwatch engine watches. Default true. */
    emitMetrics?: boolean;
    /** Which series the EMF metrics break down by. */
    metrics?: EcommerceSeriesOptions;
    /**
     * Read this existing Kinesis data stream (same region) instead of creating one: the Firehose reads it and its
     * role may read only it. `shardCount` and `retentionHours` are then unused. Default: a new stream.
     */
    sourceStreamArn?: string;
    /**
     * The customer managed KMS key that stream is encrypted with: the role may decrypt with it, through Kinesis,
     * for that stream only. Omit for an unencrypted stream or one encrypted with the AWS managed key `aws/kinesis`.
     */
    sourceStreamKeyArn?: string;
}

export const ECOMMERCE_PIPELINE_DEFAULTS = {
    logRetentionDays: 30, shardCount: 0, retentionHours: 24, bufferingIntervalSeconds: 60, bufferingSizeMiB: 64,
    compression: "UNCOMPRESSED", dataExpirationDays: 90, forceDestroyBucket: false, intervalSeconds: 300, emitMetrics: true,
} as const;

/** Everything the detectors read lives under this prefix (live rows, history, errors). */
export const ECOMMERCE_ROOT = "ecommerce/";

/** Firehose: seconds it keeps retrying delivery to S3 before writing the records to the error prefix. */
export const DYNAMIC_PARTITIONING_RETRY_SECONDS = 300;
/** Firehose buffers up to this much for one transform invocation (MB; the Lambda request limit is 6 MB). */
export const TRANSFORM_BUFFER_MB = 3;

/**
 * The Lambda handler: a factory run once per cold start, which reads the options from the environment. EMF
 * lines go to process.stdout as bare JSON lines: with the Lambda JSON log format, console.log wraps a line in
 * a record's `message` field, where CloudWatch does not look for EMF (and the function logs as Text anyway
 * when it emits metrics).
 */
export function transformHandlerFactory(): aws.lambda.Callback<FirehoseTransformEvent, FirehoseTransformResponse> {
    const opts = optionsFromEnv(process.env);
    const io = {
        emit: (line: string) => {
            process.stdout.write(line + "\n");
        },
        log: (level: "info" | "warn", entry: Record<string, unknown>) => {
            if (level === "warn") console.warn(JSON.stringify(entry));
            else console.info(JSON.stringify(entry));
        },
        now: () => Date.now(),
    };
    return async (event: FirehoseTransformEvent) => handleTransformEvent(event, opts, io);
}

/**
 * Firehose's defaults for a Lambda processor's parameters on an S3 destination ("Transform source data", Firehose
 * developer guide: buffer size 1 MB except Splunk and Snowflake, interval 60 s except Snowflake; 3 retries). The AWS
 * provider does not store a parameter whose value equals its default (nor the RoleArn equal to the destination's
 * role), so setting one makes every later preview show a diff that no update can settle.
 */
export const LAMBDA_PROCESSOR_DEFAULTS: Readonly<Record<"BufferSizeInMBs" | "BufferIntervalInSeconds" | "NumberOfRetries", number>> = {
    BufferSizeInMBs: 1,
    BufferIntervalInSeconds: 60,
    NumberOfRetries: 3,
};

/**
 * The Lambda processor's parameters: the function, then each wanted setting that differs from Firehose's default
 * (a setting equal to the default is what Firehose does anyway, and is left out so the provider has nothing to diff).
 */
export function lambdaProcessorParameters<A>(lambdaArn: A, wanted: Partial<Record<keyof typeof LAMBDA_PROCESSOR_DEFAULTS, number>>): { parameterName: string; parameterValue: A | string }[] {
    const out: { parameterName: string; parameterValue: A | string }[] = [{ parameterName: "LambdaArn", parameterValue: lambdaArn }];
    for (const name of Object.keys(LAMBDA_PROCESSOR_DEFAULTS) as (keyof typeof LAMBDA_PROCESSOR_DEFAULTS)[]) {
        const value = wanted[name];
        if (value !== undefined && value !== LAMBDA_PROCESSOR_DEFAULTS[name]) out.push({ parameterName: name, parameterValue: String(value) });
    }
    return out;
}

/** Shortens `name` to `max` characters with a stable hash of the original, so distinct inputs stay distinct. */
function bounded(name: string, max: number): string {
    if (name.length <= max) return name;
    const hash = crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
    return `${name.slice(0, max - 9).replace(/[-_.]+$/, "")}-${hash}`;
}

/** The Firehose stream's name (known before creation, so its role can be scoped to its ARN): 1–64 of [a-zA-Z0-9_.-]. */
export function deliveryStreamName(project: string, stack: string): string {
    return bounded(`${project}-${stack}-ecommerce`.replace(/[^a-zA-Z0-9_.-]/g, "-"), 64);
}

/** The data bucket's name prefix: lower case, at most 37 characters (S3 appends a unique suffix). */
export function bucketPrefix(project: string, stack: string): string {
    const base = `${project}-${stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    return `${bounded(base, 26).replace(/-+$/, "")}-ecommerce-`;
}

export class EcommercePipeline extends pulumi.ComponentResource {
    /** Undefined when the pipeline reads an existing stream (`sourceStreamArn`). */
    public readonly stream?: aws.kinesis.Stream;
    public readonly streamName: pulumi.Output<string>;
    public readonly streamArn: pulumi.Output<string>;
    public readonly deliveryStream: aws.kinesis.FirehoseDeliveryStream;
    public readonly deliveryStreamName: pulumi.Output<string>;
    public readonly bucket: aws.s3.Bucket;
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly dataKey: aws.kms.Key;
    public readonly dataKeyArn: pulumi.Output<string>;
    public readonly transform: InlineFunction<FirehoseTransformEvent, FirehoseTransformResponse>;
    public readonly transformFunctionName: pulumi.Output<string>;
    public readonly firehoseRole: aws.iam.Role;
    public readonly firehoseLogGroup: aws.cloudwatch.LogGroup;
    /** Lookout for Metrics `TemplatedPathList` entry: `s3://BUCKET/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`. */
    public readonly templatedPath: pulumi.Output<string>;
    /** Lookout for Metrics `HistoricalDataPathList` entry: `s3://BUCKET/ecommerce/historical/`. */
    public readonly historicalPath: pulumi.Output<string>;

    private readonly region: string;

    constructor(name: string, args: EcommercePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:pipeline:EcommercePipeline", name, {}, opts);
        const { project, stack, tags } = stackScope(args);
        const d = ECOMMERCE_PIPELINE_DEFAULTS;
        const parent = { parent: this };
        const region = regionOf(args.region, "EcommercePipeline");
        const shardCount = args.shardCount ?? d.shardCount;
        const dataExpirationDays = args.dataExpirationDays ?? d.dataExpirationDays;
        const series = resolveEcommerceSeries(args.metrics, stack);
        this.region = region;
        const caller = aws.getCallerIdentityOutput({}, parent);
        const firehoseName = deliveryStreamName(project, stack);

        // ---- key -------------------------------------------------------------------------------------------
        // The default key policy (the account administers the key; IAM policies grant its use) keeps every grant
        // in the IAM statements below, each scoped to the service that uses the key (kms:ViaService).
        this.dataKey = new aws.kms.Key(`${name}-key`, {
            description: `Encrypts the ecommerce stream and data bucket of ${project}/${stack}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags,
        }, parent);
        new aws.kms.Alias(`${name}-key-alias`, {
            name: `alias/${bounded(`${project}-${stack}-ecommerce`.replace(/[^a-zA-Z0-9/_-]/g, "-"), 200)}`,
            targetKeyId: this.dataKey.keyId,
        }, parent);
        this.dataKeyArn = this.dataKey.arn;

        // ---- Kinesis data stream -----------------------------------------------------------------------------
        const provisioned = shardCount > 0;
        const source = args.sourceStreamArn;
        if (source !== undefined && !/^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/.test(source)) {
            throw new Error(`EcommercePipeline: sourceStreamArn ${JSON.stringify(source)} is not a Kinesis data stream ARN`);
        }
        if (source !== undefined && source.split(":")[3] !== region) {
            throw new Error(`EcommercePipeline: sourceStreamArn ${source} is not in ${region}, the pipeline's region`);
        }
        if (args.sourceStreamKeyArn !== undefined && source === undefined) {
            throw new Error("EcommercePipeline: sourceStreamKeyArn is given without sourceStreamArn");
        }
        this.stream = source === undefined ? new aws.kinesis.Stream(`${name}-stream`, {
            streamModeDetails: { streamMode: provisioned ? "PROVISIONED" : "ON_DEMAND" },
            shardCount: provisioned ? shardCount : undefined,
            retentionPeriod: args.retentionHours ?? d.retentionHours,
            encryptionType: "KMS",
            kmsKeyId: this.dataKey.arn,
            tags,
        }, parent) : undefined;
        this.streamName = this.stream ? this.stream.name : pulumi.output(source!.split("/").slice(1).join("/"));
        this.streamArn = this.stream ? this.stream.arn : pulumi.output(source!);
        // The key the Firehose decrypts the stream with: this pipeline's own, the given one, or none.
        const streamKeyArn: pulumi.Input<string | undefined> = this.stream ? this.dataKey.arn : args.sourceStreamKeyArn;

        // ---- S3 bucket ---------------------------------------------------------------------------------------
        this.bucket = new aws.s3.Bucket(`${name}-data`, {
            bucketPrefix: bucketPrefix(project, stack),
            // Off by default: data (and backfilled history) must not vanish with a stack by accident.
            forceDestroy: args.forceDestroyBucket ?? d.forceDestroyBucket,
            tags,
        }, parent);
        this.bucketName = this.bucket.bucket;
        this.bucketArn = this.bucket.arn;

        const ownership = new aws.s3.BucketOwnershipControls(`${name}-data-ownership`, {
            bucket: this.bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, parent);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-data-public-access`, {
            bucket: this.bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-data-encryption`, {
            bucket: this.bucket.id,
            rules: [{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.dataKey.arn },
                // one data key per bucket instead of per object: far fewer KMS calls for many small Firehose files
                bucketKeyEnabled: true,
            }],
        }, parent);
        new aws.s3.BucketLifecycleConfiguration(`${name}-data-lifecycle`, {
            bucket: this.bucket.id,
            rules: [
                {
                    id: "expire-live-rows",
                    status: "Enabled",
                    filter: { prefix: LIVE_PREFIX },
                    expiration: { days: dataExpirationDays },
                },
                {
                    id: "expire-error-records",
                    status: "Enabled",
                    filter: { prefix: ERROR_PREFIX },
                    expiration: { days: dataExpirationDays },
                },
                ...(args.expiringPrefixes ?? []).map((e) => ({
                    id: e.id,
                    status: "Enabled",
                    filter: { prefix: e.prefix },
                    expiration: { days: dataExpirationDays },
                })),
                {
                    id: "abort-incomplete-uploads",
                    status: "Enabled",
                    filter: { prefix: "" },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
            ],
        }, parent);
        new aws.s3.BucketPolicy(`${name}-data-policy`, {
            bucket: this.bucket.id,
            policy: this.bucket.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [arn, `${arn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                }],
            })),
        }, { parent: this, dependsOn: [publicAccess, ownership] });

        // ---- transform Lambda ------------------------------------------------------------------------------
        const cloudwatch = args.emitMetrics ?? d.emitMetrics;
        this.transform = new InlineFunction<FirehoseTransformEvent, FirehoseTransformResponse>(`${name}-transform`, {
            project, stack, tags, ...args.functions,
            description: `Firehose transform: ecommerce events -> detector rows under ${LIVE_PREFIX}<interval start>/` +
                (cloudwatch ? " + EMF metrics" : ""),
            callbackFactory: transformHandlerFactory,
            // a 3 MB batch takes well under a second; Firehose allows up to 5 minutes
            timeoutSeconds: 60,
            memorySizeMb: 512,
            // EMF must reach the log stream as bare JSON lines; the JSON log format suits the Lookout engine's plain logs
            logFormat: cloudwatch ? "Text" : "JSON",
            environment: {
                [ENV.intervalSeconds]: String(args.intervalSeconds ?? d.intervalSeconds),
                [ENV.emitMetrics]: cloudwatch ? "true" : "false",
                [ENV.metricStack]: series.stackDimension,
                [ENV.metricDimensions]: series.dimensions.join(","),
                [ENV.watchedPlatforms]: series.platforms.join(","),
                [ENV.watchedMarketplaces]: series.marketplaces.join(","),
            },
            // no statements: the transform only reads its event and writes its own logs
        }, parent);
        this.transformFunctionName = this.transform.name;

        // ---- Firehose ----------------------------------------------------------------------------------------
        this.firehoseLogGroup = new aws.cloudwatch.LogGroup(`${name}-firehose-logs`, {
            name: `/aws/kinesisfirehose/${firehoseName}`,
            retentionInDays: args.logRetentionDays ?? d.logRetentionDays,
            tags,
        }, parent);
        const deliveryLogStream = new aws.cloudwatch.LogStream(`${name}-firehose-delivery-log`, {
            name: "DestinationDelivery",
            logGroupName: this.firehoseLogGroup.name,
        }, parent);

        this.firehoseRole = new aws.iam.Role(`${name}-firehose-role`, {
            description: `Firehose ${firehoseName}: read the ecommerce stream, run the transform, write the data bucket`,
            assumeRolePolicy: caller.accountId.apply(firehoseTrustPolicy),
            tags,
        }, parent);

        const firehosePolicy = new aws.iam.RolePolicy(`${name}-firehose-policy`, {
            role: this.firehoseRole.id,
            policy: pulumi.all([
                this.streamArn, this.bucket.arn, this.dataKey.arn, this.transform.arn, this.firehoseLogGroup.arn, streamKeyArn,
            ]).apply(([streamArn, bucketArn, keyArn, fnArn, logGroupArn, sourceKeyArn]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: firehoseStatements({ region, streamArn, bucketArn, keyArn, fnArn, logGroupArn, streamKeyArn: sourceKeyArn ?? null }),
            })),
        }, parent);

        const compression = args.compression ?? d.compression;
        this.deliveryStream = new aws.kinesis.FirehoseDeliveryStream(`${name}-firehose`, {
            name: firehoseName,
            destination: "extended_s3",
            kinesisSourceConfiguration: { kinesisStreamArn: this.streamArn, roleArn: this.firehoseRole.arn },
            extendedS3Configuration: {
                roleArn: this.firehoseRole.arn,
                bucketArn: this.bucket.arn,
                prefix: LIVE_PREFIX_EXPRESSION,
                errorOutputPrefix: ERROR_PREFIX_EXPRESSION,
                customTimeZone: "UTC",
                bufferingInterval: args.bufferingIntervalSeconds ?? d.bufferingIntervalSeconds,
                bufferingSize: args.bufferingSizeMiB ?? d.bufferingSizeMiB,
                compressionFormat: compression,
                fileExtension: dataFileExtension(compression),
                kmsKeyArn: this.dataKey.arn,
                s3BackupMode: "Disabled",
                dynamicPartitioningConfiguration: { enabled: true, retryDuration: DYNAMIC_PARTITIONING_RETRY_SECONDS },
                processingConfiguration: {
                    enabled: true,
                    processors: [{
                        type: "Lambda",
                        parameters: lambdaProcessorParameters(pulumi.interpolate`${this.transform.arn}:$LATEST`, {
                            BufferSizeInMBs: TRANSFORM_BUFFER_MB,
                            BufferIntervalInSeconds: TRANSFORM_BUFFER_SECONDS,
                        }),
                    }],
                },
                cloudwatchLoggingOptions: {
                    enabled: true,
                    logGroupName: this.firehoseLogGroup.name,
                    logStreamName: deliveryLogStream.name,
                },
            },
            tags,
        }, { parent: this, dependsOn: [firehosePolicy] });
        this.deliveryStreamName = this.deliveryStream.name;

        this.templatedPath = this.bucket.bucket.apply(templatedPath);
        this.historicalPath = this.bucket.bucket.apply(historicalPath);

        this.registerOutputs({
            streamName: this.streamName,
            streamArn: this.streamArn,
            deliveryStreamName: this.deliveryStreamName,
            bucketName: this.bucketName,
            dataKeyArn: this.dataKeyArn,
            transformFunctionName: this.transformFunctionName,
            templatedPath: this.templatedPath,
            historicalPath: this.historicalPath,
        });
    }

    /**
     * IAM statements a detector role needs to read `ecommerce/` (live rows and history): s3:GetObject on the
     * prefix, s3:ListBucket limited to it, and kms:Decrypt on the data key through S3 only.
     */
    detectorReadStatements(): pulumi.Output<aws.iam.PolicyStatement[]> {
        return pulumi.all([this.bucket.arn, this.dataKey.arn]).apply(([bucketArn, keyArn]) =>
            detectorStatements({ region: this.region, bucketArn, keyArn }));
    }
}

/**
 * The Firehose role's trust policy in the form the Firehose developer guide documents ("Allow Firehose to assume an
 * IAM role"): the service principal with `sts:ExternalId` = this account's id. (aws:SourceAccount/aws:SourceArn,
 * the general confused-deputy form, is not what Firehose documents for its role.)
 */
export function firehoseTrustPolicy(accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: "firehose.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": accountId } },
        }],
    });
}

/**
 * The Firehose role's statements: this stream, this bucket's ecommerce prefixes, this key (via Kinesis / S3 only),
 * this function. `streamKeyArn` is the key the source stream is encrypted with (default `keyArn`, the pipeline's
 * own stream); `null` for an existing stream without a customer managed key (no decrypt statement).
 */
export function firehoseStatements(r: { region: string; streamArn: string; bucketArn: string; keyArn: string; fnArn: string; logGroupArn: string; streamKeyArn?: string | null }): aws.iam.PolicyStatement[] {
    const streamKey = r.streamKeyArn === undefined ? r.keyArn : r.streamKeyArn;
    return [
        {
            Sid: "ReadSourceStream",
            Effect: "Allow",
            Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"],
            Resource: r.streamArn,
        },
        ...(streamKey ? [{
            Sid: "DecryptSourceStream",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: streamKey,
            Condition: {
                StringEquals: { "kms:ViaService": `kinesis.${r.region}.amazonaws.com` },
                StringLike: { "kms:EncryptionContext:aws:kinesis:arn": r.streamArn },
            },
        } as aws.iam.PolicyStatement] : []),
        {
            Sid: "InvokeTransform",
            Effect: "Allow",
            Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            Resource: [r.fnArn, `${r.fnArn}:*`],
        },
        {
            Sid: "LocateBucket",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            Resource: r.bucketArn,
        },
        {
            Sid: "WriteRowsAndErrors",
            Effect: "Allow",
            Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            Resource: [`${r.bucketArn}/${LIVE_PREFIX}*`, `${r.bucketArn}/${ERROR_PREFIX}*`],
        },
        {
            Sid: "EncryptObjects",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: r.keyArn,
            Condition: {
                StringEquals: { "kms:ViaService": `s3.${r.region}.amazonaws.com` },
                // with an S3 Bucket Key the encryption context is the bucket ARN, without one the object ARN
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [r.bucketArn, `${r.bucketArn}/${ECOMMERCE_ROOT}*`] },
            },
        },
        {
            Sid: "WriteDeliveryLogs",
            Effect: "Allow",
            Action: ["logs:PutLogEvents"],
            Resource: `${r.logGroupArn}:*`,
        },
    ];
}

/** What a detector's role needs to read the ecommerce data (see EcommercePipeline.detectorReadStatements). */
export function detectorStatements(r: { region: string; bucketArn: string; keyArn: string }): aws.iam.PolicyStatement[] {
    return [
        {
            Sid: "ReadEcommerceObjects",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: `${r.bucketArn}/${ECOMMERCE_ROOT}*`,
        },
        {
            Sid: "ListEcommercePrefix",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: r.bucketArn,
            Condition: { StringLike: { "s3:prefix": [ECOMMERCE_ROOT.slice(0, -1), `${ECOMMERCE_ROOT}*`] } },
        },
        {
            Sid: "DecryptEcommerceObjects",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: r.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${r.region}.amazonaws.com` } },
        },
    ];
}
