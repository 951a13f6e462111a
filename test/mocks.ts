// The one mocks module of the test suite (pulumi/examples testing-unit-ts style). It answers the engine's
// resource registrations with plausible provider outputs (ids, ARNs, names, URLs) and the few data-source
// calls the program makes, and records every registration so tests can assert on the whole graph.
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/** The region a resource is in: its `region` argument (@pulumi/aws v7), else the stack's `aws:region`, else REGION. */
function regionOf(inputs: Record<string, any>): string {
    return inputs.region ?? new pulumi.Config("aws").get("region") ?? REGION;
}


export interface Registered {
    type: string;
    name: string;
    urn: string;
    id: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
    /**
     * The logical names of the resources this one waits for (RegisterResourceRequest.dependencies: its `dependsOn`
     * and every resource its inputs were read from, components expanded to their resources) — the order in which a
     * real `pulumi up` creates them. Empty for reads.
     */
    dependsOn: string[];
}

/** Every resource registered since the last reset, in registration order. */
export const registered: Registered[] = [];

/** Every read of an existing resource (`Resource.get`, a `read` step: nothing is created) since the last reset. */
export const reads: Registered[] = [];

/**
 * The account state that reads are answered with. Tests change it to model another account (and put it back);
 * by default the region's API Gateway account settings have a CloudWatch role, as in most used accounts.
 */
export const accountState: {
    apiGatewayCloudWatchRoleArn: string | undefined;
    /** The web ACLs that exist, by `SCOPE/name` (rule discovery reads them through `webAclReader`); none by default. */
    webAcls: Map<string, import("../preflight/webAclRules").WebAclRead>;
    /**
     * The offline plan: a watched web ACL not in `webAcls` is "not read" (its rules unknown, only Rule=ALL planned)
     * instead of missing.
     */
    offlineWebAcls: boolean;
} = {
    apiGatewayCloudWatchRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-gateway-cloudwatch-logs`,
    webAcls: new Map(),
    offlineWebAcls: false,
};
export const DEFAULT_API_GATEWAY_ROLE_ARN = accountState.apiGatewayCloudWatchRoleArn;

/** Rule discovery's reader under the mocks: answers from `accountState.webAcls`, records what it was asked. */
export const webAclReads: { name: string; scope: string; stackRegion: string }[] = [];
export const webAclReader: import("../preflight/webAclRules").WebAclReader = async (acl, stackRegion) => {
    webAclReads.push({ ...acl, stackRegion });
    const known = accountState.webAcls.get(`${acl.scope}/${acl.name}`);
    if (known || !accountState.offlineWebAcls) return known;
    return { arn: "", totalMetricsEnabled: true, rules: [], offline: true };
};

const SERVICE_OF: Record<string, string> = {
    apigateway: "apigateway", wafv2: "wafv2", lambda: "lambda", iam: "iam", cloudwatch: "logs", sns: "sns", sqs: "sqs",
    kinesis: "kinesis", kms: "kms", s3: "s3", scheduler: "scheduler", securityhub: "securityhub",
};

function arnFor(type: string, name: string, inputs: Record<string, any>): string {
    const [, mod, res] = type.split(/[:/]/);
    const rname = inputs.name ?? name;
    const REGION = regionOf(inputs);
    switch (type) {
        case "aws:apigateway/stage:Stage":
            return `arn:aws:apigateway:${REGION}::/restapis/${inputs.restApi}/stages/${inputs.stageName}`;
        case "aws:wafv2/webAcl:WebAcl":
            return `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/${rname}/${name}-uuid`;
        case "aws:lambda/function:Function":
            return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${rname}`;
        case "aws:iam/role:Role":
            return `arn:aws:iam::${ACCOUNT}:role/${rname}`;
        case "aws:iam/policy:Policy":
            return `arn:aws:iam::${ACCOUNT}:policy/${rname}`;
        case "aws:cloudwatch/logGroup:LogGroup":
            return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${rname}`;
        case "aws:sns/topic:Topic":
            return `arn:aws:sns:${REGION}:${ACCOUNT}:${rname}`;
        case "aws:sqs/queue:Queue":
            return `arn:aws:sqs:${REGION}:${ACCOUNT}:${rname}`;
        case "aws:kinesis/stream:Stream":
            return `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${rname}`;
        case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
            return `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${rname}`;
        case "aws:kms/key:Key":
            return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}-key-id`;
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            return `arn:aws:s3:::${inputs.bucket ?? rname}`;
        case "aws:cloudwatch/eventRule:EventRule":
            return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rname}`;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${rname}`;
        case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
            return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${inputs.alarmName ?? name}`;
        case "pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector":
            return `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:${rname}`;
        case "pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert":
            return `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:Alert:${rname}`;
        default:
            return `arn:aws:${SERVICE_OF[mod] ?? mod}:${REGION}:${ACCOUNT}:${res ?? "resource"}/${rname}`;
    }
}

function readState(type: string, id: string): Record<string, any> {
    switch (type) {
        case "aws:apigateway/account:Account":
            // GetAccount: cloudwatchRoleArn is absent from the response when no role is set.
            return { id, region: REGION, apiKeyVersion: "4", features: ["UsagePlans"], throttleSettings: [{ burstLimit: 5000, rateLimit: 10000 }],
                ...(accountState.apiGatewayCloudWatchRoleArn ? { cloudwatchRoleArn: accountState.apiGatewayCloudWatchRoleArn } : {}) };
        default:
            throw new Error(`test/mocks.ts: no account state for a read of ${type} ${id}`);
    }
}

/**
 * The dependency URNs of the registration being answered. The mock monitor hands `newResource` no dependencies, so
 * its registerResource is wrapped to keep the request's list; it calls `newResource` synchronously, before its first
 * await, so the list read there is that request's.
 */
let pendingDependencies: string[] = [];
{
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proto = (require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: Record<string, any> } }).MockMonitor.prototype;
    const original = proto.registerResource as (req: { getDependenciesList(): string[] }, cb: unknown) => Promise<void>;
    if (!(original as { wrapped?: boolean }).wrapped) {
        const wrapped = function (this: unknown, req: { getDependenciesList(): string[] }, cb: unknown) {
            pendingDependencies = req.getDependenciesList();
            try {
                return original.call(this, req, cb);
            } finally {
                pendingDependencies = [];
            }
        };
        (wrapped as { wrapped?: boolean }).wrapped = true;
        proto.registerResource = wrapped;
    }
}

/** The logical name of a URN (`urn:pulumi:stack::project::type::name`). */
const nameOfUrn = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

export const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const inputs = args.inputs as Record<string, any>;
        if (args.id && args.custom) {
            // A read (`Resource.get`): answer from the account state; the program imports nothing.
            const state = readState(args.type, args.id);
            reads.push({ type: args.type, name: args.name, urn: `urn:pulumi:${args.name}`, id: args.id, inputs, state, dependsOn: [] });
            return { id: args.id, state };
        }
        const REGION = regionOf(inputs);
        const physicalName = inputs.name ?? (inputs.namePrefix ? `${inputs.namePrefix}abc123` : `${args.name}-abc123`);
        const id = args.id || `${args.name}-id`;
        const state: Record<string, any> = { ...inputs, name: physicalName, arn: arnFor(args.type, args.name, { ...inputs, name: physicalName }) };
        switch (args.type) {
            case "aws:apigateway/restApi:RestApi":
                state.rootResourceId = `${args.name}-root`;
                state.executionArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}`;
                break;
            case "aws:apigateway/stage:Stage":
                state.invokeUrl = `https://${inputs.restApi}.execute-api.${REGION}.amazonaws.com/${inputs.stageName}`;
                state.executionArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${inputs.restApi}/${inputs.stageName}`;
                break;
            case "aws:kms/key:Key":
                state.keyId = `${args.name}-key-id`;
                break;
            case "aws:s3/bucket:Bucket":
            case "aws:s3/bucketV2:BucketV2":
                state.bucket = inputs.bucket ?? (inputs.bucketPrefix ? `${inputs.bucketPrefix}abc123` : `${args.name}-abc123`);
                state.arn = `arn:aws:s3:::${state.bucket}`;
                break;
            case "aws:sqs/queue:Queue":
                state.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physicalName}`;
                break;
            case "aws:wafv2/webAcl:WebAcl":
                state.capacity = 800;
                break;
            case "pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector":
                state.metricSetArn = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:MetricSet/${inputs.name}/${inputs.metricSet?.name}`;
                break;
            case "pulumi-nodejs:dynamic/edge-anomaly-lookout:DetectorActivation":
                state.status = "ACTIVE";
                break;
        }
        registered.push({ type: args.type, name: args.name, urn: `urn:pulumi:${args.name}`, id, inputs, state, dependsOn: pendingDependencies.map(nameOfUrn) });
        return { id, state };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "AIDTEST", id: ACCOUNT };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
            case "aws:index/getRegion:getRegion": {
                const region = regionOf({});
                return { name: region, region, id: region };
            }
            case "aws:redshiftserverless/getWorkgroup:getWorkgroup":
                return {
                    ...args.inputs, id: args.inputs.workgroupName, workgroupId: `${args.inputs.workgroupName}-0000-4000-8000-000000000001`,
                    arn: `arn:aws:redshift-serverless:${regionOf({})}:${ACCOUNT}:workgroup/${args.inputs.workgroupName}-0000-4000-8000-000000000001`,
                };
            default:
                return args.inputs;
        }
    },
};
