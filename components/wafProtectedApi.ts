// WafProtectedApi: an API Gateway REST API (mock GET /) behind an AWS WAFv2 web ACL with AWS managed rules and
// per-rule CloudWatch metrics, WAF logging with sensitive headers redacted, and stage access logs.
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { resolveWafRuleSet, WafRuleSet, WafRuleSetOptions, wafRules, WafRuleSpec } from "../model/wafRules";
import { stackScope, StackScopeArgs } from "../model/stackScope";

export interface WafProtectedApiArgs extends StackScopeArgs {
    /** API Gateway stage name. Default `prod`. */
    stageName?: string;
    /** Steady-state requests per second allowed on the stage. Default 100. */
    throttleRateLimit?: number;
    /** Burst allowed on the stage. Default 200. */
    throttleBurstLimit?: number;
    /**
     * Create the account-wide API Gateway CloudWatch Logs role (`aws.apigateway.Account`). One per account and
     * region: leave false (the default) when another stack already owns it.
     */
    manageAccountLogsRole?: boolean;
    /** Retention of the stage's access log group, days. Default 30. */
    accessLogRetentionDays?: number;
    /** The web ACL's rules (see model/wafRules.ts). Default: common + known bad inputs + rate limit 2000/300 s, block. */
    rules?: WafRuleSetOptions;
    /** Retention of the `aws-waf-logs-*` log group, days. Default 30. */
    wafLogRetentionDays?: number;
    /**
     * Log allowed requests too. Default false: a logging filter keeps only BLOCK and COUNT requests, which is what
     * anomaly detection and root cause read (at 50 requests/s, all requests are ~190 GB of logs a month).
     */
    logAllowedRequests?: boolean;
    /**
     * Deploy the demo REST API and attach the web ACL to its stage. Default true. With false only the web ACL (with
     * its logging) is created, for `associateWith`.
     */
    demoApi?: boolean;
    /**
     * ARNs of existing regional resources (ALB, API Gateway stage, AppSync API, Cognito user pool, App Runner
     * service, Verified Access instance) to attach the web ACL to: one association each. Default none.
     */
    associateWith?: readonly string[];
}

export const WAF_PROTECTED_API_DEFAULTS = {
    stageName: "prod", throttleRateLimit: 100, throttleBurstLimit: 200, manageAccountLogsRole: false, accessLogRetentionDays: 30, wafLogRetentionDays: 30,
} as const;

/** Headers WAF logs never show. */
export const REDACTED_HEADERS = ["authorization", "cookie"] as const;

/** Fields of each access log line (API Gateway `$context` variables), one JSON object per request. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
    requestId: "$context.requestId",
    ip: "$context.identity.sourceIp",
    requestTime: "$context.requestTime",
    httpMethod: "$context.httpMethod",
    resourcePath: "$context.resourcePath",
    status: "$context.status",
    protocol: "$context.protocol",
    responseLength: "$context.responseLength",
    wafStatus: "$context.waf.status",
    wafLatency: "$context.waf.latency",
    webAclArn: "$context.webaclArn",
});

/** The REST API's definition on its root resource `/`: what each API Gateway resource is built from. */
export interface RestApiDefinition {
    readonly method: { readonly httpMethod: string; readonly authorization: string };
    readonly integration: { readonly httpMethod: string; readonly type: string; readonly requestTemplates: Readonly<Record<string, string>> };
    readonly methodResponse: { readonly httpMethod: string; readonly statusCode: string; readonly responseModels: Readonly<Record<string, string>> };
    readonly integrationResponse: { readonly httpMethod: string; readonly statusCode: string; readonly responseTemplates: Readonly<Record<string, string>> };
}

/** GET / answered 200 `{"message":"ok"}` by a mock integration. */
export const REST_API_DEFINITION: RestApiDefinition = {
    method: { httpMethod: "GET", authorization: "NONE" },
    integration: { httpMethod: "GET", type: "MOCK", requestTemplates: { "application/json": JSON.stringify({ statusCode: 200 }) } },
    methodResponse: { httpMethod: "GET", statusCode: "200", responseModels: { "application/json": "Empty" } },
    integrationResponse: { httpMethod: "GET", statusCode: "200", responseTemplates: { "application/json": JSON.stringify({ message: "ok" }) } },
};

/** JSON with object keys sorted at every level, so equal definitions hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** The deployment trigger: a SHA-256 of the whole definition (methods, integrations, method and integration responses). */
export function apiDefinitionHash(def: RestApiDefinition): string {
    return crypto.createHash("sha256").update(canonicalJson(def)).digest("hex");
}

export class WafProtectedApi extends pulumi.ComponentResource {
    /** Undefined with `demoApi: false`. */
    public readonly restApi?: aws.apigateway.RestApi;
    public readonly stage?: aws.apigateway.Stage;
    public readonly webAcl: aws.wafv2.WebAcl;
    public readonly associations: aws.wafv2.WebAclAssociation[];
    public readonly invokeUrl?: pulumi.Output<string>;
    public readonly stageArn?: pulumi.Output<string>;
    public readonly webAclArn: pulumi.Output<string>;
    public readonly webAclName: pulumi.Output<string>;
    /** The `Rule` dimension values of the web ACL's AWS/WAFV2 metrics. */
    public readonly ruleMetricNames: string[];
    public readonly wafLogGroupName: pulumi.Output<string>;

    constructor(name: string, args: WafProtectedApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:api:WafProtectedApi", name, {}, opts);
        const { project, stack, tags } = stackScope(args);
        const d = WAF_PROTECTED_API_DEFAULTS;
        const stageName = args.stageName ?? d.stageName;
        const parent = { parent: this };
        const ruleSet = resolveWafRuleSet(args.rules);
        const rules = wafRules(ruleSet);
        const demoApi = args.demoApi ?? true;
        const stage = demoApi ? this.createDemoApi(name, args, { project, stack, tags, stageName }) : undefined;
        this.stage = stage?.stage;
        this.restApi = stage?.restApi;

        // --- WAFv2 web ACL ----------------------------------------------------------------------------------
        const aclMetricName = `${project}-${stack}-webacl`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 128);
        this.webAcl = new aws.wafv2.WebAcl(`${name}-webacl`, {
            description: wafDescription(demoApi
                ? `Protects the ${stageName} stage of the ${project} API, stack ${stack}`
                : `Web ACL of ${project}, stack ${stack}, for the resources it is associated with`),
            scope: "REGIONAL",
            defaultAction: { allow: {} },
            rules: rules.map((r) => wafRule(r, ruleSet)),
            visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: aclMetricName, sampledRequestsEnabled: true },
            tags,
        }, parent);

        this.associations = [];
        // Associate with the stage (the stage ARN: WAF protects stages, not APIs).
        if (this.stage) {
            this.associations.push(new aws.wafv2.WebAclAssociation(`${name}-webacl-stage`, {
                resourceArn: this.stage.arn,
                webAclArn: this.webAcl.arn,
            }, parent));
        }
        // One association per existing resource, named by a hash of its ARN (editing the list keeps the others).
        for (const arn of args.associateWith ?? []) {
            this.associations.push(new aws.wafv2.WebAclAssociation(`${name}-webacl-${associationSuffix(arn)}`, {
                resourceArn: arn,
                webAclArn: this.webAcl.arn,
            }, parent));
        }

        // WAF logs go to CloudWatch Logs; the group name must start with aws-waf-logs-.
        const wafLogs = new aws.cloudwatch.LogGroup(`${name}-waf-logs`, {
            name: `aws-waf-logs-${project}-${stack}`,
            retentionInDays: args.wafLogRetentionDays ?? d.wafLogRetentionDays,
            tags,
        }, parent);
        new aws.wafv2.WebAclLoggingConfiguration(`${name}-waf-logging`, {
            resourceArn: this.webAcl.arn,
            logDestinationConfigs: [wafLogs.arn],
            redactedFields: REDACTED_HEADERS.map((h) => ({ singleHeader: { name: h } })),
            loggingFilter: args.logAllowedRequests ? undefined : {
                defaultBehavior: "DROP",
                filters: [{
                    behavior: "KEEP",
                    requirement: "MEETS_ANY",
                    conditions: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }],
                }],
            },
        }, parent);

        this.invokeUrl = this.stage?.invokeUrl;
        this.stageArn = this.stage?.arn;
        this.webAclArn = this.webAcl.arn;
        this.webAclName = this.webAcl.name;
        this.ruleMetricNames = rules.map((r) => r.name);
        this.wafLogGroupName = wafLogs.name;
        this.registerOutputs({
            invokeUrl: this.invokeUrl,
            stageArn: this.stageArn,
            webAclArn: this.webAclArn,
            webAclName: this.webAclName,
            ruleMetricNames: this.ruleMetricNames,
            wafLogGroupName: this.wafLogGroupName,
        });
    }

    /** The demo REST API (mock GET / answering 200), its stage with access logs and throttling. */
    private createDemoApi(name: string, args: WafProtectedApiArgs, s: { project: string; stack: string; tags: Record<string, string>; stageName: string }):
        { restApi: aws.apigateway.RestApi; stage: aws.apigateway.Stage } {
        const { project, stack, tags, stageName } = s;
        const d = WAF_PROTECTED_API_DEFAULTS;
        const parent = { parent: this };
        // --- API Gateway: REST API with a mock GET / answering 200 -------------------------------------------
        const restApi = new aws.apigateway.RestApi(`${name}-api`, {
            description: `Demo API protected by AWS WAF (${project}/${stack})`,
            endpointConfiguration: { types: "REGIONAL" },
            tags,
        }, parent);

        // Every part of the API definition comes from REST_API_DEFINITION, and the deployment's trigger hashes all
        // of it, so a change to any method, integration or response redeploys the stage.
        const def = REST_API_DEFINITION;
        const method = new aws.apigateway.Method(`${name}-get`, {
            restApi: restApi.id,
            resourceId: restApi.rootResourceId,
            ...def.method,
        }, parent);

        const integration = new aws.apigateway.Integration(`${name}-get-mock`, {
            restApi: restApi.id,
            resourceId: restApi.rootResourceId,
            ...def.integration,
            httpMethod: method.httpMethod,
        }, parent);

        const methodResponse = new aws.apigateway.MethodResponse(`${name}-get-200`, {
            restApi: restApi.id,
            resourceId: restApi.rootResourceId,
            ...def.methodResponse,
            httpMethod: method.httpMethod,
        }, parent);

        const integrationResponse = new aws.apigateway.IntegrationResponse(`${name}-get-200`, {
            restApi: restApi.id,
            resourceId: restApi.rootResourceId,
            ...def.integrationResponse,
            httpMethod: method.httpMethod,
        }, { parent: this, dependsOn: [integration, methodResponse] });

        // A deployment is a snapshot: redeploy whenever the API definition above changes.
        const deployment = new aws.apigateway.Deployment(`${name}-deployment`, {
            restApi: restApi.id,
            description: "Managed by Pulumi",
            triggers: {
                redeployment: apiDefinitionHash(def),
            },
        }, { parent: this, dependsOn: [method, integration, methodResponse, integrationResponse] });

        const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, {
            namePrefix: `/aws/apigateway/${project}-${stack}-access-`,
            retentionInDays: args.accessLogRetentionDays ?? d.accessLogRetentionDays,
            tags,
        }, parent);

        // Access logging needs the account-level CloudWatch role; create it only where this stack owns it.
        const stageDeps: pulumi.Resource[] = [];
        if (args.manageAccountLogsRole ?? d.manageAccountLogsRole) {
            const logsRole = new aws.iam.Role(`${name}-apigw-logs-role`, {
                description: "API Gateway account role: push API logs to CloudWatch Logs",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                tags,
            }, parent);
            const attachment = new aws.iam.RolePolicyAttachment(`${name}-apigw-logs-policy`, {
                role: logsRole.name,
                policyArn: pulumi.interpolate`arn:${aws.getPartitionOutput({}, parent).partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
            }, parent);
            stageDeps.push(new aws.apigateway.Account(`${name}-apigw-account`, {
                cloudwatchRoleArn: logsRole.arn,
            }, { parent: this, dependsOn: [attachment] }));
        }

        const stage = new aws.apigateway.Stage(`${name}-stage`, {
            restApi: restApi.id,
            deployment: deployment.id,
            stageName,
            accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
            xrayTracingEnabled: false,
            tags,
        }, { parent: this, dependsOn: stageDeps });

        new aws.apigateway.MethodSettings(`${name}-stage-settings`, {
            restApi: restApi.id,
            stageName: stage.stageName,
            methodPath: "*/*",
            settings: {
                metricsEnabled: true,
                throttlingRateLimit: args.throttleRateLimit ?? d.throttleRateLimit,
                throttlingBurstLimit: args.throttleBurstLimit ?? d.throttleBurstLimit,
            },
        }, parent);

        return { restApi, stage };
    }
}

/** A stable logical-name suffix for an association: a hash of the resource ARN (known at preview: config values). */
export function associationSuffix(arn: string): string {
    return crypto.createHash("sha256").update(arn).digest("hex").slice(0, 12);
}

/**
 * WAFv2 accepts descriptions of 1–256 characters matching ^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$ (no
 * parentheses, quotes or semicolons): anything else becomes "-", so a stack name cannot break CreateWebACL.
 */
export const WAF_DESCRIPTION_PATTERN = /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/;
export function wafDescription(text: string): string {
    return text.replace(/[^\w+=:#@/\-,.\s]/g, "-").replace(/^\s+|\s+$/g, "").slice(0, 256);
}

/** One web ACL rule from its spec: per-rule CloudWatch metrics named after the rule. */
export function wafRule(r: WafRuleSpec, ruleSet: WafRuleSet): aws.types.input.wafv2.WebAclRule {
    const visibilityConfig = { cloudwatchMetricsEnabled: true, metricName: r.name, sampledRequestsEnabled: true };
    if (r.kind === "managed") {
        return {
            name: r.name,
            priority: r.priority,
            // Override none: the managed group's own actions (block) apply.
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { name: r.managedGroup!, vendorName: "AWS" } },
            visibilityConfig,
        };
    }
    const rl = ruleSet.rateLimit;
    return {
        name: r.name,
        priority: r.priority,
        action: rl.action === "block" ? { block: {} } : { count: {} },
        statement: { rateBasedStatement: { limit: rl.limit, aggregateKeyType: "IP", evaluationWindowSec: rl.windowSeconds } },
        visibilityConfig,
    };
}
