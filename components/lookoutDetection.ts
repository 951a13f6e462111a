// LookoutDetection: the `lookout` detection engine. Two Amazon Lookout for Metrics detectors — WAF BlockedRequests
// per rule (CloudWatch source) and the ecommerce rows the pipeline writes to S3 (S3 source, JSON Lines) — each
// activated and each with two alerts: the alert topic (SNS, JSON format) and the finding Lambda (Security Hub).
// The detectors, activations and alerts are dynamic resources (providers/lookout); the service roles L4M assumes
// are ordinary IAM roles, one per purpose, trusted by lookoutmetrics.amazonaws.com for this account and this
// stack's detectors only.
//
// Lookout for Metrics reached end of support in 2025 (closed to new customers in October 2024): no account can
// create detectors any more. This engine is kept complete and verified offline; `cloudwatch` is the default.
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Compression, EcommerceDimension, FREQUENCY_SECONDS, Frequency } from "../config";
import { firehoseS3DeliverySeconds } from "../model/detectionLatency";
import { DIMENSIONS, MEASURES, TIMESTAMP_COLUMN, TIMESTAMP_FORMAT } from "../model/ecommerceSchema";
import { regionOf, stackScope, StackScopeArgs } from "../model/stackScope";
import { WAF_TOTAL_RULE, WatchedWebAcl, metricsRegion } from "../model/wafTargets";
import {
    Alert, AnomalyDetector, DetectorActivation, LOOKOUT_PROVIDER_VERSION,
} from "../providers/lookout";
import { AlertPathRefs } from "./alertWiring";

export interface LookoutDetectionArgs extends StackScopeArgs {
    /** Region of the detectors (and of the watched WAF metrics). Default: `aws:region`. */
    region?: string;
    /** The ecommerce detector's interval. Default `PT5M`. */
    frequency?: Frequency;
    /** Alert sensitivity threshold, 0–100. Default 70. */
    alertSensitivity?: number;
    /** Seconds the ecommerce detector waits for late rows, 0–432000; at least Firehose's worst-case delivery. Default 180. */
    offsetSeconds?: number;
    /** Read `ecommerce/historical/` so a new detector skips the cold start. Default true. */
    useHistoricalData?: boolean;
    /** How long `pulumi up` waits for activation, seconds. Default 900. */
    activationTimeoutSeconds?: number;
    /** Dimensions the ecommerce detector breaks metrics down by. Default `platform, marketplace`. */
    ecommerceDimensions?: readonly EcommerceDimension[];
    /**
     * The watched web ACLs: one detector (one CloudWatch-sourced metric set) per web ACL, in the region its
     * metrics are published in, over its total (`Rule=ALL`) and its rules.
     */
    webAcls: readonly WatchedWebAcl[];
    pipeline: {
        bucketName: pulumi.Input<string>;
        /** `s3://BUCKET/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`. */
        templatedPath: pulumi.Input<string>;
        /** `s3://BUCKET/ecommerce/historical/`. */
        historicalPath: pulumi.Input<string>;
        /** What reading the ecommerce prefix takes (bucket, prefix, key). */
        readStatements: pulumi.Input<aws.iam.PolicyStatement[]>;
        /** Compression of the rows. Default `UNCOMPRESSED`. */
        compression?: Compression;
        /** The pipeline's Firehose S3 buffer interval (the offset must cover the delivery it causes). Default 60. */
        bufferingIntervalSeconds?: number;
    };
    /** The alert path: the detectors' alerts publish to `topicArn` (encrypted with topicKeyArn) and invoke the finding Lambda. */
    alerts: Pick<AlertPathRefs, "topicArn" | "topicKeyArn" | "findingFunctionArn">;
}

/** CloudWatch source of the WAF detector (the seed's metric set). */
export const WAF_NAMESPACE = "AWS/WAFV2";
export const WAF_METRIC = "BlockedRequests";
export const WAF_DIMENSIONS = ["Region", "Rule", "WebACL"];
/** CLOUDFRONT web ACLs' metrics have no `Region` dimension. */
export const CLOUDFRONT_WAF_DIMENSIONS = ["Rule", "WebACL"];
/** The WAF detector's interval: WAF publishes per minute; L4M's shortest interval is 5 minutes. */
export const WAF_FREQUENCY = "PT5M";

const NAME_MAX = 63;
/** Longest suffix appended to the base name (`-ecommerce-lambda`). */
const LONGEST_SUFFIX = "-ecommerce-lambda".length;

/**
 * The base of every L4M name of this stack: `project-stack`, with characters L4M names do not allow replaced by
 * `-`, shortened with a hash when the longest name built from it would exceed 63 characters.
 */
export function lookoutBaseName(project: string, stack: string): string {
    let base = `${project}-${stack}`.replace(/[^a-zA-Z0-9\-_]/g, "-").replace(/^[^a-zA-Z0-9]+/, "");
    const max = NAME_MAX - LONGEST_SUFFIX;
    if (base.length > max) {
        const hash = crypto.createHash("sha256").update(`${project}/${stack}`).digest("hex").slice(0, 8);
        base = `${base.slice(0, max - 9).replace(/[-_]+$/, "")}-${hash}`;
    }
    return base || "edge-anomaly";
}

/**
 * The L4M name of a web ACL's detector: `<base>-waf` for the stack's own (key ""), `<base>-w<6 hex of the key>`
 * for an existing one, so every derived name (`-blocked`, `-sns`, `-lambda`) stays within 63 characters.
 */
export function wafDetectorName(base: string, aclKey: string): string {
    return aclKey ? `${base}-w${crypto.createHash("sha256").update(aclKey).digest("hex").slice(0, 6)}` : `${base}-waf`;
}

function oneOrList(values: string[]): string | string[] {
    return values.length === 1 ? values[0] : values;
}

export const LOOKOUT_DETECTION_DEFAULTS = {
    frequency: "PT5M", alertSensitivity: 70, offsetSeconds: 180, useHistoricalData: true, activationTimeoutSeconds: 900,
    ecommerceDimensions: ["platform", "marketplace"], compression: "UNCOMPRESSED", bufferingIntervalSeconds: 60,
} as const;

/**
 * Why these args lose data, or undefined: the ecommerce detector reads an interval's folder `offsetSeconds`
 * after the interval ends, so a row Firehose delivers later than that is never analysed.
 */
export function lookoutDetectionProblem(args: Pick<LookoutDetectionArgs, "offsetSeconds" | "frequency" | "pipeline">): { arg: "offsetSeconds"; detail: string } | undefined {
    const d = LOOKOUT_DETECTION_DEFAULTS;
    const offsetSeconds = args.offsetSeconds ?? d.offsetSeconds;
    const bufferingIntervalSeconds = args.pipeline.bufferingIntervalSeconds ?? d.bufferingIntervalSeconds;
    const delivery = firehoseS3DeliverySeconds({ pipeline: { bufferingIntervalSeconds } });
    if (offsetSeconds < delivery) {
        return {
            arg: "offsetSeconds",
            detail: `${offsetSeconds} s is shorter than Firehose's worst-case delivery to S3 (${delivery} s with ` +
                `pipeline.bufferingIntervalSeconds = ${bufferingIntervalSeconds}); rows delivered later are never analysed. ` +
                `Use at least ${delivery}.`,
        };
    }
    return undefined;
}

export class LookoutDetection extends pulumi.ComponentResource {
    /** The first watched web ACL's detector (the project's own when it exists). */
    public readonly wafDetectorArn: pulumi.Output<string>;
    /** One per watched web ACL, in `webAcls` order. */
    public readonly wafDetectorArns: pulumi.Output<string[]>;
    public readonly wafDetectors: AnomalyDetector[];
    public readonly ecommerceDetectorArn: pulumi.Output<string>;
    public readonly alertArns: pulumi.Output<string[]>;

    public readonly wafDetector: AnomalyDetector;
    public readonly ecommerceDetector: AnomalyDetector;
    public readonly activations: DetectorActivation[];
    public readonly alerts: Alert[];
    public readonly roles: { cloudwatchSource: aws.iam.Role; s3Source: aws.iam.Role; snsAlerts: aws.iam.Role; lambdaAlerts: aws.iam.Role };

    constructor(name: string, args: LookoutDetectionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:detection:LookoutDetection", name, {}, opts);
        const problem = lookoutDetectionProblem(args);
        if (problem) throw new Error(`LookoutDetection: args.${problem.arg} ${problem.detail}`);
        const scope = stackScope(args);
        const dflt = LOOKOUT_DETECTION_DEFAULTS;
        const frequency = args.frequency ?? dflt.frequency;
        const det = {
            frequency,
            intervalSeconds: FREQUENCY_SECONDS[frequency],
            alertSensitivity: args.alertSensitivity ?? dflt.alertSensitivity,
            offsetSeconds: args.offsetSeconds ?? dflt.offsetSeconds,
            useHistoricalData: args.useHistoricalData ?? dflt.useHistoricalData,
            activationTimeoutSeconds: args.activationTimeoutSeconds ?? dflt.activationTimeoutSeconds,
            ecommerceDimensions: args.ecommerceDimensions ?? dflt.ecommerceDimensions,
        };
        const region = regionOf(args.region, "LookoutDetection");
        const parent = { parent: this };
        const base = lookoutBaseName(scope.project, scope.stack);
        // `owner` becomes the providers' owner tag: how a create that finds its name taken recognises this stack's resource.
        const common = { providerVersion: LOOKOUT_PROVIDER_VERSION, region, tags: scope.tags, owner: `${scope.project}/${scope.stack}` };

        const caller = aws.getCallerIdentityOutput({}, parent);
        const partition = aws.getPartitionOutput({}, parent);

        // ---- service roles ----------------------------------------------------------------------------------
        // Trusted by L4M for this account, and only on behalf of this stack's detectors (confused deputy).
        if (args.webAcls.length === 0) throw new Error("LookoutDetection: webAcls is empty (the WAF detector needs a web ACL to read)");
        const aclRegions = args.webAcls.map((a) => metricsRegion(a.scope, region));
        const detectorRegions = [...new Set([region, ...aclRegions])];
        const assumeRolePolicy = pulumi.all([caller.accountId, partition.partition]).apply(([account, part]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Service: "lookoutmetrics.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": account },
                    ArnLike: { "aws:SourceArn": oneOrList(detectorRegions.map((r) => `arn:${part}:lookoutmetrics:${r}:${account}:AnomalyDetector:${base}-*`)) },
                },
            }],
        }));

        const role = (suffix: string, description: string, statements: pulumi.Input<pulumi.Input<aws.iam.PolicyStatement>[]>) => {
            const r = new aws.iam.Role(`${name}-${suffix}`, {
                description: `${description} (${scope.project}/${scope.stack})`,
                assumeRolePolicy,
                tags: scope.tags,
            }, parent);
            const p = new aws.iam.RolePolicy(`${name}-${suffix}`, {
                role: r.id,
                policy: pulumi.output(statements).apply((s) => JSON.stringify({ Version: "2012-10-17", Statement: s })),
            }, parent);
            return { role: r, policy: p };
        };

        // GetMetricData and ListMetrics have no resource-level permissions (Resource must be "*"); the region
        // condition is the narrowing IAM offers.
        const cw = role("l4m-cloudwatch", "Lookout for Metrics reads the WAF metrics", [{
            Sid: "ReadWafMetrics",
            Effect: "Allow",
            Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": detectorRegions.length === 1 ? region : detectorRegions } },
        }]);
        const s3 = role("l4m-s3", "Lookout for Metrics reads the ecommerce rows", args.pipeline.readStatements);
        const sns = role("l4m-sns", "Lookout for Metrics publishes alerts to the alert topic",
            pulumi.all([args.alerts.topicArn, args.alerts.topicKeyArn, partition.dnsSuffix]).apply(([topicArn, keyArn, dnsSuffix]): aws.iam.PolicyStatement[] => [
                { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: topicArn },
                {
                    Sid: "UseTopicKey",
                    Effect: "Allow",
                    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                    Resource: keyArn,
                    Condition: { StringEquals: { "kms:ViaService": `sns.${region}.${dnsSuffix}` } },
                },
            ]));
        const fn = role("l4m-lambda", "Lookout for Metrics invokes the finding function",
            pulumi.output(args.alerts.findingFunctionArn).apply((arn): aws.iam.PolicyStatement[] => [
                { Sid: "InvokeFindingFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: arn },
            ]));
        this.roles = { cloudwatchSource: cw.role, s3Source: s3.role, snsAlerts: sns.role, lambdaAlerts: fn.role };

        // ---- detectors --------------------------------------------------------------------------------------
        this.wafDetectors = args.webAcls.map((acl, n) => {
            const rules = [WAF_TOTAL_RULE, ...acl.rules.filter((r) => r !== WAF_TOTAL_RULE)];
            const cloudfront = acl.scope === "CLOUDFRONT";
            // The stack's own web ACL keeps the original names; other ACLs get a short stable suffix.
            const l4mName = wafDetectorName(base, acl.key);
            return new AnomalyDetector(`${name}-waf${acl.key ? `-${acl.key}` : ""}`, {
                ...common,
                region: aclRegions[n],
                activationTimeoutSeconds: det.activationTimeoutSeconds,
                name: l4mName,
                description: pulumi.interpolate`AWS WAF ${WAF_METRIC} of ${acl.scope} web ACL ${acl.name}, total and per rule (${scope.project}/${scope.stack})`,
                frequency: WAF_FREQUENCY,
                metricSet: {
                    name: `${l4mName}-blocked`,
                    description: `${WAF_NAMESPACE} ${WAF_METRIC} (SUM) by ${(cloudfront ? CLOUDFRONT_WAF_DIMENSIONS : WAF_DIMENSIONS).join(", ")}`,
                    metrics: [{ name: WAF_METRIC, aggregation: "SUM", namespace: WAF_NAMESPACE }],
                    dimensions: cloudfront ? CLOUDFRONT_WAF_DIMENSIONS : WAF_DIMENSIONS,
                    // Only this web ACL: its total (Rule=ALL) and its rules, each its own series.
                    dimensionFilters: [{ name: "WebACL", values: [acl.name] }, { name: "Rule", values: rules }],
                    source: { type: "cloudwatch", roleArn: cw.role.arn },
                },
            }, { parent: this, dependsOn: [cw.policy] });
        });
        this.wafDetector = this.wafDetectors[0];

        const dims = DIMENSIONS.filter((d) => det.ecommerceDimensions.includes(d));
        this.ecommerceDetector = new AnomalyDetector(`${name}-ecommerce`, {
            ...common,
            activationTimeoutSeconds: det.activationTimeoutSeconds,
            name: `${base}-ecommerce`,
            description: `Ecommerce ${MEASURES.join(", ")} by ${dims.join(" and ") || "total"} (${scope.project}/${scope.stack})`,
            frequency: det.frequency,
            metricSet: {
                name: `${base}-ecommerce-rows`,
                description: pulumi.interpolate`JSON Lines rows in s3://${args.pipeline.bucketName}/ecommerce/ written by the pipeline`,
                metrics: MEASURES.map((m) => ({ name: m, aggregation: "SUM" as const })),
                dimensions: dims,
                source: {
                    type: "s3",
                    roleArn: s3.role.arn,
                    templatedPath: args.pipeline.templatedPath,
                    historicalPath: det.useHistoricalData ? args.pipeline.historicalPath : undefined,
                    fileFormat: { type: "json", compression: (args.pipeline.compression ?? dflt.compression) === "GZIP" ? "GZIP" : "NONE", charset: "UTF-8" },
                },
                timestampColumn: { name: TIMESTAMP_COLUMN, format: TIMESTAMP_FORMAT },
                offsetSeconds: det.offsetSeconds,
            },
        }, { parent: this, dependsOn: [s3.policy] });

        // ---- activation and alerts --------------------------------------------------------------------------
        this.activations = [];
        this.alerts = [];
        const detectors: [string, string, AnomalyDetector, string, string][] = [
            ...this.wafDetectors.map((d, n): [string, string, AnomalyDetector, string, string] => [
                args.webAcls[n].key ? `waf-${args.webAcls[n].key}` : "waf", "WAF BlockedRequests", d, aclRegions[n],
                wafDetectorName(base, args.webAcls[n].key).slice(base.length + 1)]),
            ["ecommerce", "ecommerce traffic", this.ecommerceDetector, region, "ecommerce"],
        ];
        for (const [key, what, detector, detectorRegion, l4mKey] of detectors) {
            const activation = new DetectorActivation(`${name}-${key}-activation`, {
                providerVersion: LOOKOUT_PROVIDER_VERSION,
                region: detectorRegion,
                detectorArn: detector.arn,
                timeoutSeconds: det.activationTimeoutSeconds,
                mode: "live",
            }, parent);
            this.activations.push(activation);

            // Created after the detector is ACTIVE/LEARNING (the order AWS's samples use).
            this.alerts.push(new Alert(`${name}-${key}-sns`, {
                ...common,
                region: detectorRegion,
                name: `${base}-${l4mKey}-sns`,
                detectorArn: detector.arn,
                description: `Anomalies in ${what} to the alert topic`,
                sensitivityThreshold: det.alertSensitivity,
                action: { type: "sns", roleArn: sns.role.arn, topicArn: args.alerts.topicArn, format: "JSON" },
            }, { parent: this, dependsOn: [activation, sns.policy] }));
            this.alerts.push(new Alert(`${name}-${key}-lambda`, {
                ...common,
                region: detectorRegion,
                name: `${base}-${l4mKey}-lambda`,
                detectorArn: detector.arn,
                description: `Anomalies in ${what} to Security Hub through the finding function`,
                sensitivityThreshold: det.alertSensitivity,
                action: { type: "lambda", roleArn: fn.role.arn, functionArn: args.alerts.findingFunctionArn },
            }, { parent: this, dependsOn: [activation, fn.policy] }));
        }

        this.wafDetectorArn = this.wafDetector.arn;
        this.wafDetectorArns = pulumi.all(this.wafDetectors.map((d) => d.arn));
        this.ecommerceDetectorArn = this.ecommerceDetector.arn;
        this.alertArns = pulumi.all(this.alerts.map((a) => a.arn));
        this.registerOutputs({
            wafDetectorArn: this.wafDetectorArn,
            ecommerceDetectorArn: this.ecommerceDetectorArn,
            alertArns: this.alertArns,
        });
    }
}
