// EcommercePipeline under Pulumi mocks: the stream → Firehose → transform → S3 wiring, the dynamic-partitioning
// layout, encryption at every hop, the bucket's guards, least-privilege roles, and the transform Lambda as it
// is really shipped (serialized by Pulumi, loaded and invoked).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { AppConfig, PROJECT } from "../config";
import {
    bucketPrefix,
    deliveryStreamName,
    EcommercePipeline,
    LAMBDA_PROCESSOR_DEFAULTS,
    lambdaProcessorParameters,
    transformHandlerFactory,
} from "../components/ecommercePipeline";
import { intervalStartMs, partitionOf, TRANSFORM_BUFFER_SECONDS } from "../model/ecommerceSchema";
import { ENV, FirehoseTransformResponse } from "../handlers/ecommerceTransform";
import { evaluatePolicies, fromRecorded } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { ecommercePipelineArgs } from "../componentArgs";
import { ProgramRun, promiseOf, runWith, stackFileConfig } from "./harness";
import { ACCOUNT, REGION, Registered } from "./mocks";

const T = {
    component: "edge-anomaly:pipeline:EcommercePipeline",
    key: "aws:kms/key:Key",
    alias: "aws:kms/alias:Alias",
    stream: "aws:kinesis/stream:Stream",
    firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    bucket: "aws:s3/bucket:Bucket",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    fn: "aws:lambda/function:Function",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    logStream: "aws:cloudwatch/logStream:LogStream",
};

function devWith(over: { detection?: Record<string, unknown>; pipeline?: Record<string, unknown> } = {}): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    for (const area of ["detection", "pipeline"] as const) {
        const key = `${PROJECT}:${area}`;
        if (over[area]) cfg[key] = { ...(cfg[key] as object), ...over[area] };
    }
    return cfg;
}

interface Built {
    run: ProgramRun;
    cfg: AppConfig;
    pipeline: EcommercePipeline;
    /** detectorReadStatements(), resolved. */
    statements: unknown[];
    templated: string;
    historical: string;
}

async function build(config: Record<string, unknown>): Promise<Built> {
    let cfg: AppConfig | undefined;
    let pipeline: EcommercePipeline | undefined;
    const run = await runWith(config, (c) => {
        cfg = c;
        pipeline = new EcommercePipeline("ecommerce", ecommercePipelineArgs(c));
        return pipeline;
    });
    const statements = await promiseOf(pipeline!.detectorReadStatements());
    const templated = await promiseOf(pipeline!.templatedPath);
    const historical = await promiseOf(pipeline!.historicalPath);
    return { run, cfg: cfg!, pipeline: pipeline!, statements, templated, historical };
}

const doc = (r: Registered, field = "policy") => JSON.parse(r.inputs[field] as string);
const keyArn = (run: ProgramRun) => run.one(T.key).state.arn as string;

describe("EcommercePipeline (dev stack, cloudwatch engine)", () => {
    let b: Built;
    let run: ProgramRun;

    before(async () => {
        b = await build(stackFileConfig("dev"));
        run = b.run;
    });

    it("registers one component with its type token", () => {
        assert.strictEqual(run.ofType(T.component).length, 1);
    });

    it("encrypts the Kinesis stream with the pipeline's KMS key, dev's one provisioned shard (cheaper than on demand at dev load), retention from config", () => {
        const stream = run.one(T.stream);
        assert.strictEqual(stream.inputs.encryptionType, "KMS");
        assert.strictEqual(stream.inputs.kmsKeyId, keyArn(run));
        assert.deepStrictEqual(stream.inputs.streamModeDetails, { streamMode: "PROVISIONED" });
        assert.strictEqual(stream.inputs.shardCount, 1);
        assert.strictEqual(stream.inputs.retentionPeriod, 24);
        assert.strictEqual(stream.inputs.tags.owner, "platform-security");
        const key = run.one(T.key);
        assert.strictEqual(key.inputs.enableKeyRotation, true);
        assert.strictEqual(run.one(T.alias).inputs.name, `alias/${PROJECT}-${b.cfg.stack}-ecommerce`);
    });

    it("links the stream to Firehose as its source, through Firehose's own role", () => {
        const fh = run.one(T.firehose);
        assert.strictEqual(fh.inputs.destination, "extended_s3");
        assert.strictEqual(fh.inputs.kinesisSourceConfiguration.kinesisStreamArn, run.one(T.stream).state.arn);
        assert.strictEqual(fh.inputs.kinesisSourceConfiguration.roleArn, run.one(T.role, "firehose-role").state.arn);
        assert.strictEqual(fh.inputs.extendedS3Configuration.roleArn, run.one(T.role, "firehose-role").state.arn);
        assert.strictEqual(fh.inputs.name, deliveryStreamName(PROJECT, b.cfg.stack));
    });

    it("attaches the transform Lambda as Firehose's processor", () => {
        const s3 = run.one(T.firehose).inputs.extendedS3Configuration;
        const fn = run.one(T.fn, "ecommerce-transform");
        assert.strictEqual(s3.processingConfiguration.enabled, true);
        assert.strictEqual(s3.processingConfiguration.processors.length, 1);
        const proc = s3.processingConfiguration.processors[0];
        assert.strictEqual(proc.type, "Lambda");
        // 3 MB per invocation and a 10 s interval are set, neither Firehose's default (the provider does not store a
        // default-valued parameter, so setting one would show a diff on every preview).
        assert.deepStrictEqual(proc.parameters, [
            { parameterName: "LambdaArn", parameterValue: `${fn.state.arn}:$LATEST` },
            { parameterName: "BufferSizeInMBs", parameterValue: "3" },
            // 10 s, not the 60 s default: the EMF metrics' latency (README, "Detection latency")
            { parameterName: "BufferIntervalInSeconds", parameterValue: String(TRANSFORM_BUFFER_SECONDS) },
        ]);
        assert.strictEqual(TRANSFORM_BUFFER_SECONDS, 10);
        assert.notStrictEqual(TRANSFORM_BUFFER_SECONDS, LAMBDA_PROCESSOR_DEFAULTS.BufferIntervalInSeconds, "set deliberately, and kept in state (not the default)");
    });

    it("sets no Lambda processor parameter to Firehose's documented default (nothing the provider would drop from state)", () => {
        for (const proc of run.one(T.firehose).inputs.extendedS3Configuration.processingConfiguration.processors) {
            for (const { parameterName, parameterValue } of proc.parameters) {
                const dflt = (LAMBDA_PROCESSOR_DEFAULTS as Record<string, number>)[parameterName];
                assert.ok(dflt === undefined || Number(parameterValue) !== dflt, `${parameterName} = ${parameterValue} is the default`);
            }
        }
        assert.deepStrictEqual(lambdaProcessorParameters("fn", { BufferSizeInMBs: 1, BufferIntervalInSeconds: 60, NumberOfRetries: 3 }), [{ parameterName: "LambdaArn", parameterValue: "fn" }]);
        assert.deepStrictEqual(lambdaProcessorParameters("fn", { BufferIntervalInSeconds: 120, NumberOfRetries: 2 }), [
            { parameterName: "LambdaArn", parameterValue: "fn" },
            { parameterName: "BufferIntervalInSeconds", parameterValue: "120" },
            { parameterName: "NumberOfRetries", parameterValue: "2" },
        ]);
    });

    it("writes to the interval folders with partition keys from the transform, and errors under the error prefix", () => {
        const s3 = run.one(T.firehose).inputs.extendedS3Configuration;
        assert.strictEqual(s3.prefix, "ecommerce/live/!{partitionKeyFromLambda:day}/!{partitionKeyFromLambda:time}/");
        assert.strictEqual(s3.errorOutputPrefix, "ecommerce/errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/");
        assert.deepStrictEqual(s3.dynamicPartitioningConfiguration, { enabled: true, retryDuration: 300 });
        assert.strictEqual(s3.bucketArn, run.one(T.bucket).state.arn);
        assert.strictEqual(s3.bufferingSize, 64);
        assert.strictEqual(s3.bufferingInterval, 60);
        assert.strictEqual(s3.compressionFormat, "UNCOMPRESSED");
        assert.strictEqual(s3.fileExtension, ".jsonl");
        assert.strictEqual(s3.customTimeZone, "UTC");
        assert.deepStrictEqual(s3.cloudwatchLoggingOptions, {
            enabled: true,
            logGroupName: run.one(T.logGroup, "firehose-logs").inputs.name,
            logStreamName: "DestinationDelivery",
        });
        assert.strictEqual(run.one(T.logGroup, "firehose-logs").inputs.retentionInDays, 30);
    });

    it("encrypts what Firehose delivers with the KMS key; no Firehose SSE, which AWS refuses for a Kinesis source", () => {
        const fh = run.one(T.firehose).inputs;
        assert.strictEqual(fh.extendedS3Configuration.kmsKeyArn, keyArn(run));
        assert.strictEqual(fh.serverSideEncryption, undefined);
    });

    it("encrypts the bucket with SSE-KMS (bucket key), blocks public access and enforces owner-only ACLs", () => {
        const bucket = run.one(T.bucket);
        assert.strictEqual(bucket.inputs.bucketPrefix, bucketPrefix(PROJECT, b.cfg.stack));
        const sse = run.one(T.sse);
        assert.strictEqual(sse.inputs.bucket, bucket.id);
        assert.deepStrictEqual(sse.inputs.rules, [{
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn(run) },
            bucketKeyEnabled: true,
        }]);
        const pab = run.one(T.pab);
        assert.strictEqual(pab.inputs.bucket, bucket.id);
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            assert.strictEqual(pab.inputs[flag], true, flag);
        }
        assert.deepStrictEqual(run.one(T.ownership).inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
    });

    it("denies every request without TLS on the bucket and its objects", () => {
        const arn = run.one(T.bucket).state.arn;
        const policy = run.one(T.bucketPolicy);
        assert.strictEqual(policy.inputs.bucket, run.one(T.bucket).id);
        assert.deepStrictEqual(doc(policy).Statement, [{
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }]);
    });

    it("expires live rows and error records after pipeline.dataExpirationDays, keeps backfilled history", () => {
        const rules = run.one(T.lifecycle).inputs.rules as any[];
        assert.deepStrictEqual(rules.map((r) => [r.id, r.filter.prefix, r.expiration?.days]), [
            ["expire-live-rows", "ecommerce/live/", 90],
            ["expire-error-records", "ecommerce/errors/", 90],
            ["abort-incomplete-uploads", "", undefined],
        ]);
        assert.ok(rules.every((r) => r.status === "Enabled"));
        assert.strictEqual(run.one(T.bucket).inputs.forceDestroy, false, "destroy keeps a bucket that still holds data");
    });

    it("trusts Firehose in the form the Firehose guide documents: sts:ExternalId = this account", () => {
        const trust = doc(run.one(T.role, "firehose-role"), "assumeRolePolicy");
        assert.deepStrictEqual(trust.Statement, [{
            Effect: "Allow",
            Principal: { Service: "firehose.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": ACCOUNT } },
        }]);
    });

    it("the policy pack accepts that trust, and refuses it with another value, a wildcard, or for another service", async () => {
        const trustPolicy = (condition: unknown, service = "firehose.amazonaws.com") => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: condition }],
        });
        const verdict = async (assumeRolePolicy: string) => {
            const role = { ...run.one(T.role, "firehose-role") };
            role.inputs = { ...role.inputs, assumeRolePolicy };
            const report = await evaluatePolicies(policies.filter((p) => p.name === "iam-service-trust-conditions"), fromRecorded([role], b.cfg.stack, PROJECT),
                { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
            return report.violations.map((v) => v.message);
        };
        assert.deepStrictEqual(await verdict(run.one(T.role, "firehose-role").inputs.assumeRolePolicy), []);
        assert.deepStrictEqual(await verdict(trustPolicy({ StringEquals: { "sts:ExternalId": ACCOUNT } })), []);
        for (const bad of [{ StringEquals: { "sts:ExternalId": "*" } }, { StringLike: { "sts:ExternalId": "*" } }, { StringEquals: { "sts:ExternalId": "my-stack" } }, {}]) {
            const messages = await verdict(trustPolicy(bad));
            assert.strictEqual(messages.length, 1, JSON.stringify(bad));
            assert.match(messages[0], /trusts firehose\.amazonaws\.com without an aws:SourceAccount or aws:SourceArn condition/);
        }
        const lambda = await verdict(trustPolicy({ StringEquals: { "sts:ExternalId": ACCOUNT } }, "lambda.amazonaws.com"));
        assert.strictEqual(lambda.length, 1, "only Firehose documents sts:ExternalId for its role");
    });

    it("scopes the Firehose role to this stream, this bucket's prefixes, this key (via Kinesis/S3) and this function", () => {
        const st = doc(run.one(T.rolePolicy, "firehose-policy")).Statement as any[];
        const streamArn = run.one(T.stream).state.arn;
        const bucketArn = run.one(T.bucket).state.arn;
        const fnArn = run.one(T.fn, "ecommerce-transform").state.arn;
        const bySid = Object.fromEntries(st.map((s) => [s.Sid, s]));
        assert.deepStrictEqual(Object.keys(bySid), ["ReadSourceStream", "DecryptSourceStream", "InvokeTransform", "LocateBucket", "WriteRowsAndErrors", "EncryptObjects", "WriteDeliveryLogs"]);
        assert.strictEqual(bySid.ReadSourceStream.Resource, streamArn);
        assert.strictEqual(bySid.DecryptSourceStream.Resource, keyArn(run));
        assert.deepStrictEqual(bySid.DecryptSourceStream.Condition, {
            StringEquals: { "kms:ViaService": `kinesis.${REGION}.amazonaws.com` },
            StringLike: { "kms:EncryptionContext:aws:kinesis:arn": streamArn },
        });
        assert.deepStrictEqual(bySid.InvokeTransform.Resource, [fnArn, `${fnArn}:*`]);
        assert.strictEqual(bySid.LocateBucket.Resource, bucketArn);
        assert.deepStrictEqual(bySid.WriteRowsAndErrors.Resource, [`${bucketArn}/ecommerce/live/*`, `${bucketArn}/ecommerce/errors/*`]);
        assert.strictEqual(bySid.EncryptObjects.Condition.StringEquals["kms:ViaService"], `s3.${REGION}.amazonaws.com`);
        assert.strictEqual(bySid.WriteDeliveryLogs.Resource, `${run.one(T.logGroup, "firehose-logs").state.arn}:*`);
        for (const s of st) {
            assert.strictEqual(s.Effect, "Allow");
            for (const a of [s.Action].flat()) assert.ok(!a.includes("*"), `wildcard action ${a}`);
            for (const r of [s.Resource].flat()) assert.ok(r !== "*", `${s.Sid} on every resource`);
        }
    });

    it("gives the transform its interval and the EMF settings through the environment, with Text logs for EMF", () => {
        const fn = run.one(T.fn, "ecommerce-transform");
        assert.deepStrictEqual(fn.inputs.environment.variables, {
            [ENV.intervalSeconds]: "300",
            [ENV.emitMetrics]: "true",
            [ENV.metricStack]: b.cfg.stack,
            [ENV.metricDimensions]: "platform,marketplace",
            [ENV.watchedPlatforms]: "web,ios,android",
            [ENV.watchedMarketplaces]: "US,UK,DE,JP",
        });
        assert.strictEqual(fn.inputs.loggingConfig.logFormat, "Text");
        assert.strictEqual(fn.inputs.timeout, 60);
        assert.strictEqual(fn.inputs.runtime, "nodejs22.x");
    });

    it("lets the transform write its own logs and nothing else", () => {
        const st = doc(run.one(T.rolePolicy, "ecommerce-transform-policy")).Statement as any[];
        assert.deepStrictEqual(st.map((s) => s.Sid), ["WriteOwnLogs"]);
    });

    it("hands detectors read access to ecommerce/ only: objects, a prefix-limited listing, decrypt via S3", () => {
        const bucketArn = run.one(T.bucket).state.arn;
        assert.deepStrictEqual(b.statements, [
            { Sid: "ReadEcommerceObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/ecommerce/*` },
            { Sid: "ListEcommercePrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn, Condition: { StringLike: { "s3:prefix": ["ecommerce", "ecommerce/*"] } } },
            { Sid: "DecryptEcommerceObjects", Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn(run), Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } } },
        ]);
    });

    it("exposes the Lookout paths of its bucket", () => {
        const bucket = run.one(T.bucket).state.bucket;
        assert.strictEqual(b.templated, `s3://${bucket}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`);
        assert.strictEqual(b.historical, `s3://${bucket}/ecommerce/historical/`);
    });
});

describe("EcommercePipeline against the project's policy pack", () => {
    it("violates no policy, and every policy about its resource types examined them", async () => {
        const { run, cfg } = await build(stackFileConfig("dev"));
        const report = await evaluatePolicies(policies, fromRecorded(run.resources, cfg.stack, PROJECT), { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
        assert.deepStrictEqual(report.violations.map((v) => `${v.policy}: ${v.name ?? ""} ${v.message}`), []);
        const applied = Object.fromEntries(report.outcomes.map((o) => [o.policy, o.applicable]));
        for (const p of ["s3-bucket-encrypted", "s3-public-access-blocked", "s3-deny-insecure-transport", "kinesis-stream-encrypted", "firehose-encrypted",
            "iam-no-wildcard-actions", "iam-service-trust-conditions", "lambda-supported-runtime", "lambda-timeout-bounded", "log-group-retention",
            "lambda-log-retention", "required-tags"]) {
            assert.ok(applied[p] > 0, `${p} did not examine the pipeline`);
        }
    });
});

describe("EcommercePipeline config variations", () => {
    it("lookout engine: no EMF, JSON logs; frequency PT10M reaches the transform", async () => {
        const { run } = await build(devWith({ detection: { engine: "lookout", frequency: "PT10M" } }));
        const fn = run.one(T.fn, "ecommerce-transform");
        assert.strictEqual(fn.inputs.environment.variables[ENV.emitMetrics], "false");
        assert.strictEqual(fn.inputs.environment.variables[ENV.intervalSeconds], "600");
        assert.strictEqual(fn.inputs.loggingConfig.logFormat, "JSON");
    });

    it("provisioned stream, GZIP files, bigger buffers, other expiry and metric dimensions", async () => {
        const { run } = await build(devWith({
            pipeline: { shardCount: 4, retentionHours: 48, compression: "GZIP", bufferingSizeMiB: 128, bufferingIntervalSeconds: 300, dataExpirationDays: 7, forceDestroyBucket: true },
            detection: { ecommerceDimensions: ["marketplace"] },
        }));
        const stream = run.one(T.stream);
        assert.deepStrictEqual(stream.inputs.streamModeDetails, { streamMode: "PROVISIONED" });
        assert.strictEqual(stream.inputs.shardCount, 4);
        assert.strictEqual(stream.inputs.retentionPeriod, 48);
        const s3 = run.one(T.firehose).inputs.extendedS3Configuration;
        assert.strictEqual(s3.compressionFormat, "GZIP");
        assert.strictEqual(s3.fileExtension, ".jsonl.gz");
        assert.strictEqual(s3.bufferingSize, 128);
        assert.strictEqual(s3.bufferingInterval, 300);
        assert.deepStrictEqual((run.one(T.lifecycle).inputs.rules as any[]).map((r) => r.expiration?.days), [7, 7, undefined]);
        assert.strictEqual(run.one(T.bucket).inputs.forceDestroy, true);
        assert.strictEqual(run.one(T.fn, "ecommerce-transform").inputs.environment.variables[ENV.metricDimensions], "marketplace");
    });
});

describe("EcommercePipeline names", () => {
    it("names the delivery stream after project and stack, within Firehose's 64 characters", () => {
        assert.strictEqual(deliveryStreamName("edge-anomaly-detection", "dev"), "edge-anomaly-detection-dev-ecommerce");
        const long = deliveryStreamName("edge-anomaly-detection", "a-very-long-stack-name-for-a-feature-branch-preview");
        assert.ok(long.length <= 64 && /^[a-zA-Z0-9_.-]+-[0-9a-f]{8}$/.test(long), long);
        assert.notStrictEqual(long, deliveryStreamName("edge-anomaly-detection", "a-very-long-stack-name-for-a-feature-branch-preview2"));
        assert.strictEqual(deliveryStreamName("p", "feature/x y"), "p-feature-x-y-ecommerce");
    });

    it("gives the bucket a lower-case prefix S3 accepts (<= 37 characters)", () => {
        for (const stack of ["dev", "Prod_EU", "a-very-long-stack-name-for-a-feature-branch-preview"]) {
            const p = bucketPrefix("edge-anomaly-detection", stack);
            assert.ok(p.length <= 37 && /^[a-z0-9][a-z0-9-]*-ecommerce-$/.test(p), p);
        }
        assert.strictEqual(bucketPrefix("edge-anomaly-detection", "dev"), "edge-anomaly-detection-dev-ecommerce-".slice(0, 37));
    });
});

describe("EcommercePipeline transform as shipped", () => {
    const saved: Record<string, string | undefined> = {};
    const env = {
        [ENV.intervalSeconds]: "300",
        [ENV.emitMetrics]: "true",
        [ENV.metricStack]: "dev",
        [ENV.metricDimensions]: "platform",
        [ENV.watchedPlatforms]: "web",
        [ENV.watchedMarketplaces]: "US",
    };
    before(() => {
        for (const [k, v] of Object.entries(env)) {
            saved[k] = process.env[k];
            process.env[k] = v;
        }
    });
    after(() => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    });

    it("serializes (the gate for every inline Lambda), needs only Node built-ins, and the shipped code answers a Firehose batch", async () => {
        const closure = await pulumi.runtime.serializeFunction(transformHandlerFactory, { exportName: "handler", isFactoryFunction: true, serialize: () => true });
        const requires = [...closure.text.matchAll(/require\(([^)]*)\)/g)].map((m) => m[1]);
        assert.deepStrictEqual(requires, ['"buffer"'], "the shipped transform needs nothing but Node's buffer module");
        assert.ok(closure.text.length < 64 * 1024, `serialized transform is ${closure.text.length} bytes`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "transform-"));
        const file = path.join(dir, "__index.js");
        fs.writeFileSync(file, closure.text);
        const lines: string[] = [];
        const write = process.stdout.write.bind(process.stdout);
        const info = console.info;
        (process.stdout as any).write = (chunk: string) => {
            lines.push(String(chunk));
            return true;
        };
        console.info = () => undefined;
        let res: FirehoseTransformResponse;
        const now = Date.now();
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(file) as { handler: (e: unknown) => Promise<FirehoseTransformResponse> };
            const data = Buffer.from(JSON.stringify({ timestamp: new Date(now).toISOString(), eventType: "view", platform: "web", marketplace: "US" })).toString("base64");
            const checkout = Buffer.from(JSON.stringify({ timestamp: new Date(now).toISOString(), eventType: "checkout", platform: "web", marketplace: "US", revenue: 10 })).toString("base64");
            res = await mod.handler({ invocationId: "i", deliveryStreamArn: "a", region: REGION, records: [{ recordId: "r1", approximateArrivalTimestamp: now, data }, { recordId: "r2", approximateArrivalTimestamp: now, data: checkout }] });
        } finally {
            (process.stdout as any).write = write;
            console.info = info;
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.strictEqual(res.records.length, 2);
        assert.deepStrictEqual(res.records.map((r) => r.result), ["Ok", "Ok"]);
        assert.deepStrictEqual(res.records[0].metadata!.partitionKeys, partitionOf(intervalStartMs(now, 300)));
        const emf = lines.map((l) => JSON.parse(l));
        assert.ok(emf.length >= 2 && emf.every((l) => l._aws && l.Stack === "dev"), "EMF lines went to stdout as bare JSON");
        // The order-value alarms' numerator, as shipped: OrderValueLog = ln(1 + 10) on the total and on web, Unit None.
        const measured = emf.filter((l) => "Checkouts" in l);
        assert.deepStrictEqual(measured.map((l) => [l.Platform ?? "total", l.Checkouts, l.OrderValueLog]), [["total", 1, 2.397895], ["web", 1, 2.397895]]);
        for (const l of measured) assert.deepStrictEqual(l._aws.CloudWatchMetrics[0].Metrics.at(-1), { Name: "OrderValueLog", Unit: "None" });
    });
});
