import { strict as assert } from "assert";

import { apiDefinitionHash, canonicalJson, REST_API_DEFINITION, RestApiDefinition, WAF_DESCRIPTION_PATTERN, wafDescription } from "../components/wafProtectedApi";
import { ProgramRun, runProgram, stackFileConfig } from "./harness";

const T = {
    restApi: "aws:apigateway/restApi:RestApi",
    integration: "aws:apigateway/integration:Integration",
    integrationResponse: "aws:apigateway/integrationResponse:IntegrationResponse",
    method: "aws:apigateway/method:Method",
    methodResponse: "aws:apigateway/methodResponse:MethodResponse",
    stage: "aws:apigateway/stage:Stage",
    deployment: "aws:apigateway/deployment:Deployment",
    methodSettings: "aws:apigateway/methodSettings:MethodSettings",
    account: "aws:apigateway/account:Account",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    association: "aws:wafv2/webAclAssociation:WebAclAssociation",
    logging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
};

describe("WafProtectedApi (dev stack under mocks)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(stackFileConfig("dev"), "dev");
    });

    it("serves GET / from a mock integration answering 200", () => {
        const method = run.one(T.method, "edge-get");
        assert.equal(method.inputs.httpMethod, "GET");
        assert.equal(method.inputs.resourceId, run.one(T.restApi).state.rootResourceId);
        const integration = run.one(T.integration);
        assert.equal(integration.inputs.type, "MOCK");
        assert.deepEqual(JSON.parse(integration.inputs.requestTemplates["application/json"]), { statusCode: 200 });
        assert.equal(run.one(T.integrationResponse).inputs.statusCode, "200");
    });

    it("redeploys on any change to the API definition: the trigger hashes every method, integration and response as registered", () => {
        // The definition as API Gateway receives it: each definition resource's inputs without the references to the API.
        const registered = (type: string) => {
            const hits = run.ofType(type);
            assert.equal(hits.length, 1, type);
            const { restApi, resourceId, ...definition } = hits[0].inputs;
            assert.equal(restApi, run.one(T.restApi).id);
            assert.equal(resourceId, run.one(T.restApi).state.rootResourceId);
            return definition;
        };
        const asRegistered = {
            method: registered(T.method),
            integration: registered(T.integration),
            methodResponse: registered(T.methodResponse),
            integrationResponse: registered(T.integrationResponse),
        } as unknown as RestApiDefinition;
        assert.equal(canonicalJson(asRegistered), canonicalJson(REST_API_DEFINITION), "every definition input comes from REST_API_DEFINITION");
        const deployment = run.one(T.deployment);
        assert.equal(deployment.inputs.triggers.redeployment, apiDefinitionHash(asRegistered));

        // A change in any part (not only the integration) changes the trigger, so the stage gets a new deployment.
        const changes: [string, (d: any) => void][] = [
            ["method authorization", (d) => { d.method.authorization = "AWS_IAM"; }],
            ["method response model", (d) => { d.methodResponse.responseModels = { "application/json": "Error" }; }],
            ["method response status", (d) => { d.methodResponse.statusCode = "204"; }],
            ["integration template", (d) => { d.integration.requestTemplates = { "application/json": "{\"statusCode\": 204}" }; }],
            ["integration response template", (d) => { d.integrationResponse.responseTemplates = { "application/json": "{}" }; }],
        ];
        const seen = new Set([apiDefinitionHash(REST_API_DEFINITION)]);
        for (const [what, change] of changes) {
            const d = JSON.parse(JSON.stringify(REST_API_DEFINITION));
            change(d);
            const h = apiDefinitionHash(d);
            assert.ok(!seen.has(h), `${what} does not change the trigger`);
            seen.add(h);
        }
        // ...and key order alone does not.
        const reverseKeys = (v: unknown): unknown => v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse().map(([k, x]) => [k, reverseKeys(x)]))
            : v;
        const reordered = reverseKeys(REST_API_DEFINITION) as RestApiDefinition;
        assert.notEqual(JSON.stringify(reordered), JSON.stringify(REST_API_DEFINITION));
        assert.equal(apiDefinitionHash(reordered), apiDefinitionHash(REST_API_DEFINITION));
    });

    it("deploys a stage named from config, with JSON access logs to a log group with retention", () => {
        const stage = run.one(T.stage);
        assert.equal(stage.inputs.stageName, "prod");
        assert.equal(stage.inputs.deployment, run.one(T.deployment).id);
        const accessLogs = run.resources.find((r) => r.type === T.logGroup && r.state.arn === stage.inputs.accessLogSettings.destinationArn);
        assert.ok(accessLogs, "access logs go to a log group of this stack");
        assert.equal(accessLogs.inputs.retentionInDays, 30);
        const fields = JSON.parse(stage.inputs.accessLogSettings.format);
        assert.equal(fields.requestId, "$context.requestId");
        assert.equal(fields.wafStatus, "$context.waf.status");
        const settings = run.one(T.methodSettings);
        assert.equal(settings.inputs.settings.throttlingRateLimit, 100);
        assert.equal(settings.inputs.settings.throttlingBurstLimit, 200);
        assert.equal(run.ofType(T.account).length, 0, "the account-wide logs role is opt-in (manageAccountLogsRole)");
    });

    it("associates the web ACL with the stage ARN (not the API ARN)", () => {
        const assoc = run.one(T.association);
        const stage = run.one(T.stage);
        assert.equal(assoc.inputs.resourceArn, stage.state.arn);
        assert.match(assoc.inputs.resourceArn, /\/restapis\/[^/]+\/stages\/prod$/);
        assert.equal(assoc.inputs.webAclArn, run.one(T.webAcl).state.arn);
    });

    it("runs AWSManagedRulesCommonRuleSet (override none) with CloudWatch metrics per rule", () => {
        const acl = run.one(T.webAcl);
        assert.equal(acl.inputs.scope, "REGIONAL");
        assert.deepEqual(acl.inputs.defaultAction, { allow: {} });
        const common = acl.inputs.rules.find((r: any) => r.name === "AWSManagedRulesCommonRuleSet");
        assert.ok(common, "CommonRuleSet present");
        assert.deepEqual(common.statement.managedRuleGroupStatement, { name: "AWSManagedRulesCommonRuleSet", vendorName: "AWS" });
        assert.deepEqual(common.overrideAction, { none: {} });
        for (const rule of acl.inputs.rules) {
            assert.deepEqual(rule.visibilityConfig, { cloudwatchMetricsEnabled: true, metricName: rule.name, sampledRequestsEnabled: true }, rule.name);
        }
        const priorities = acl.inputs.rules.map((r: any) => r.priority);
        assert.equal(new Set(priorities).size, priorities.length, "rule priorities are unique");
        assert.equal(acl.inputs.visibilityConfig.cloudwatchMetricsEnabled, true);
    });

    it("describes the web ACL only with characters WAF accepts", () => {
        const description = run.one(T.webAcl).inputs.description;
        assert.match(description, /^Protects the prod stage of the edge-anomaly-detection API, stack dev(-\d+)?$/);
        assert.match(description, WAF_DESCRIPTION_PATTERN);
        assert.equal(wafDescription("API (dev); 'x' – ok"), "API -dev-- -x- - ok");
        assert.match(wafDescription("API (dev); 'x' – ok"), WAF_DESCRIPTION_PATTERN);
    });

    it("adds KnownBadInputs and a per-IP rate rule as configured", () => {
        const rules = run.one(T.webAcl).inputs.rules;
        const bad = rules.find((r: any) => r.name === "AWSManagedRulesKnownBadInputsRuleSet");
        assert.deepEqual(bad.statement.managedRuleGroupStatement, { name: "AWSManagedRulesKnownBadInputsRuleSet", vendorName: "AWS" });
        const rate = rules.find((r: any) => r.name === "RateLimitPerClientIp");
        assert.deepEqual(rate.statement.rateBasedStatement, { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 });
        assert.deepEqual(rate.action, { block: {} });
        assert.deepEqual(run.outputs.wafRuleMetricNames, ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
    });

    it("logs WAF traffic to an aws-waf-logs-* group with authorization and cookie redacted", () => {
        const logging = run.one(T.logging);
        assert.equal(logging.inputs.resourceArn, run.one(T.webAcl).state.arn);
        const group = run.one(T.logGroup, "waf-logs");
        assert.match(group.inputs.name, /^aws-waf-logs-/);
        assert.equal(group.inputs.retentionInDays, 30);
        assert.deepEqual(logging.inputs.logDestinationConfigs, [group.state.arn]);
        assert.deepEqual(logging.inputs.redactedFields, [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }]);
    });

    it("exports the invoke URL, stage ARN and web ACL identity", () => {
        assert.match(String(run.outputs.invokeUrl), /^https:\/\/.+\.execute-api\.us-east-1\.amazonaws\.com\/prod$/);
        assert.equal(run.outputs.stageArn, run.one(T.stage).state.arn);
        assert.equal(run.outputs.webAclArn, run.one(T.webAcl).state.arn);
        assert.equal(run.outputs.webAclName, run.one(T.webAcl).state.name);
    });
});

describe("WafProtectedApi toggles", () => {
    it("drops the optional rules when switched off, keeps CommonRuleSet, and creates the account logs role on request", async () => {
        const cfg = stackFileConfig("dev");
        cfg["edge-anomaly-detection:waf"] = { knownBadInputs: false, rateLimit: { enabled: false } };
        cfg["edge-anomaly-detection:api"] = { stageName: "v1", manageAccountLogsRole: true };
        const run = await runProgram(cfg, "toggles");
        const rules = run.one(T.webAcl).inputs.rules.map((r: any) => r.name);
        assert.deepEqual(rules, ["AWSManagedRulesCommonRuleSet"]);
        assert.equal(run.one(T.stage).inputs.stageName, "v1");
        const account = run.one(T.account);
        const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === account.inputs.cloudwatchRoleArn);
        assert.ok(role, "account uses a role of this stack");
        assert.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, "apigateway.amazonaws.com");
        const attachment = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.role === role.state.name);
        assert.equal(attachment?.inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs");
    });

    it("counts instead of blocking when the rate rule action is count", async () => {
        const cfg = stackFileConfig("dev");
        cfg["edge-anomaly-detection:waf"] = { rateLimit: { action: "count", limit: 100, windowSeconds: 60 } };
        const run = await runProgram(cfg, "count");
        const rate = run.one(T.webAcl).inputs.rules.find((r: any) => r.name === "RateLimitPerClientIp");
        assert.deepEqual(rate.action, { count: {} });
        assert.deepEqual(rate.statement.rateBasedStatement, { limit: 100, aggregateKeyType: "IP", evaluationWindowSec: 60 });
    });
});
