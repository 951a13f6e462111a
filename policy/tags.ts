// Tags: the tags the organization requires (policy config) on every taggable resource.
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { configWithDefaults } from "./lib/policy";
import { lookoutKind } from "./lib/types";
import { get, getRecord, isUnknown, UNKNOWN, Unknown } from "./lib/values";

/** The tags the program puts on everything (config.ts adds `app` and `stack` to the configured tags). */
export const DEFAULT_REQUIRED_TAGS = ["app", "stack"];

/**
 * AWS resource types that take `tags`. A resource whose inputs carry a `tags` key is treated as taggable too; the
 * list catches the ones a program forgot to tag. A test checks it against @pulumi/aws for every AWS type the
 * program creates.
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
    "aws:apigateway/restApi:RestApi",
    "aws:apigateway/stage:Stage",
    "aws:apigateway/apiKey:ApiKey",
    "aws:apigateway/usagePlan:UsagePlan",
    "aws:apigateway/domainName:DomainName",
    "aws:wafv2/webAcl:WebAcl",
    "aws:wafv2/ruleGroup:RuleGroup",
    "aws:wafv2/ipSet:IpSet",
    "aws:wafv2/regexPatternSet:RegexPatternSet",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudwatch/metricStream:MetricStream",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/user:User",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:lambda/function:Function",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue",
    "aws:kinesis/stream:Stream",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key",
    "aws:scheduler/scheduleGroup:ScheduleGroup",
    "aws:securityhub/automationRule:AutomationRule",
    "aws:glue/catalogDatabase:CatalogDatabase",
    "aws:glue/catalogTable:CatalogTable",
]);

/**
 * AWS types whose `tags` input is not resource tags: a DevOps Guru resource collection's `tags` is its application
 * boundary (`appBoundaryKey`, `tagValues`); the resource itself takes no tags.
 */
export const TAGS_INPUT_IS_NOT_TAGGING: ReadonlySet<string> = new Set(["aws:devopsguru/resourceCollection:ResourceCollection"]);

export function isTaggable(type: string, props: unknown): boolean {
    if (TAGGABLE_TYPES.has(type)) return true;
    if (TAGS_INPUT_IS_NOT_TAGGING.has(type)) return false;
    const k = lookoutKind(type);
    if (k === "AnomalyDetector" || k === "Alert") return true;
    return type.startsWith("aws:") && get(props, "tags") !== undefined;
}

/**
 * An explicit aws.Provider's default tags (they land on every resource it manages). Provider inputs reach the
 * analyzer with nested values JSON-encoded, so `defaultTags` may be a string.
 */
function providerDefaultTags(props: unknown): Record<string, unknown> | Unknown | undefined {
    let dt = get(props, "defaultTags");
    if (dt === UNKNOWN) return UNKNOWN;
    if (typeof dt === "string") {
        try {
            dt = JSON.parse(dt);
        } catch {
            return undefined;
        }
    }
    return getRecord(dt, "tags");
}

interface TagsConfig {
    requiredTags: string[];
}

export const requiredTags: ResourceValidationPolicy = {
    name: "required-tags",
    description: `Every taggable resource carries the required tags (policy config requiredTags; default ${DEFAULT_REQUIRED_TAGS.join(", ")}) with non-empty values.`,
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps: "Add the tags under edge-anomaly-detection:tags in the stack config (every component passes config.tags on).",
    configSchema: {
        properties: {
            requiredTags: {
                type: "array",
                items: { type: "string", minLength: 1 },
                uniqueItems: true,
                default: DEFAULT_REQUIRED_TAGS,
                description: "Tag keys every taggable resource must carry.",
            },
        },
    },
    validateResource: (args, report) => {
        if (!isTaggable(args.type, args.props)) args.notApplicable("not a taggable resource");
        const { requiredTags: required } = configWithDefaults<TagsConfig>(args, requiredTags.configSchema);
        const tags = getRecord(args.props, "tags");
        if (tags === UNKNOWN) return;
        const defaults = providerDefaultTags(args.provider?.props);
        const missing = required.filter((key) => {
            for (const source of [tags, defaults]) {
                if (!source || source === UNKNOWN) continue;
                const v = (source as Record<string, unknown>)[key];
                if (isUnknown(v) || (typeof v === "string" && v.trim() !== "")) return false;
            }
            return true;
        });
        if (missing.length) {
            const have = tags ? Object.keys(tags).join(", ") || "none" : "none";
            report(`Missing required tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (tags present: ${have}).`);
        }
    },
};

export const tagPolicies = [requiredTags];
