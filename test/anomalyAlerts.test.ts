import { strict as assert } from "assert";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import * as snsSdk from "@aws-sdk/client-sns";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import * as pulumi from "@pulumi/pulumi";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { AppConfig } from "../config";
import { AlertHandlingResult } from "../handlers/securityHubFinding";
import { AnomalyAlerts, findingHandlerFactory, KEY_ACCOUNT_ACTIONS, physicalName, SNS_TOPIC_ACTIONS } from "../components/anomalyAlerts";
import { archiveLimitFor, lambdaArchiveSize } from "./archiveSize";
import { anomalyAlertsArgs, cloudWatchDetectionArgs } from "../componentArgs";
import { planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { seriesBand } from "../handlers/enrich/ecommerceRootCause";
import { ProgramRun, runProgram, runWith, stackFileConfig } from "./harness";
import { commandProblems } from "./standins/sdkModel";
import { artifactsOf, forBothArtifacts, loadSerialized, serializedText } from "./serialized";
import { ACCOUNT, REGION, Registered } from "./mocks";

const NS = "edge-anomaly-detection";
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;

function devConfig(alerts: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    cfg[`${NS}:alerts`] = { ...(cfg[`${NS}:alerts`] as object), ...alerts };
    return cfg;
}

const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

describe("AnomalyAlerts (under mocks, dev stack config)", () => {
    let run: ProgramRun;
    let fn: Registered;
    let topic: Registered;
    let people: Registered;
    let key: Registered;
    let queue: Registered;

    let config: AppConfig;

    before(async () => {
        run = await runWith(devConfig({ emails: ["security-alerts@example.com"] }), (c) => { config = c; return new AnomalyAlerts("alerts", anomalyAlertsArgs(c)); });
        fn = run.one("aws:lambda/function:Function", "alerts-finding");
        topic = run.one("aws:sns/topic:Topic", "alerts-topic");
        people = run.one("aws:sns/topic:Topic", "people-topic");
        key = run.one("aws:kms/key:Key");
        queue = run.one("aws:sqs/queue:Queue");
    });

    it("encrypts the topic with its own rotating customer-managed key, under a deterministic name", () => {
        assert.equal(topic.inputs.kmsMasterKeyId, key.state.arn);
        assert.match(topic.inputs.name, /^edge-anomaly-detection-unit-\d+-alerts$/);
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.inputs.deletionWindowInDays, 30);
        assert.deepEqual(topic.inputs.tags, { owner: "platform-security", environment: "dev", app: NS, stack: topic.inputs.tags.stack });
    });

    it("key policy: the account administers it through IAM (no wildcard action); CloudWatch and SNS only with source conditions", () => {
        const doc = parse(key.inputs.policy);
        assert.deepEqual(doc.Statement.map((s: any) => s.Sid), ["AccountAdministersAndGrantsThroughIam", "CloudWatchAlarmsPublishToTheTopic", "SnsDeliversFailedMessagesToTheQueue"]);
        const [account, cloudwatch, sns] = doc.Statement;
        assert.deepEqual(account.Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
        assert.deepEqual(account.Action, KEY_ACCOUNT_ACTIONS);
        for (const a of account.Action) assert.ok(!a.includes("*"), a);
        for (const needed of ["kms:PutKeyPolicy", "kms:GenerateDataKey", "kms:Decrypt", "kms:ScheduleKeyDeletion"]) assert.ok(account.Action.includes(needed), needed);
        assert.deepEqual(cloudwatch, {
            Sid: "CloudWatchAlarmsPublishToTheTopic", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` } },
        });
        assert.deepEqual(sns, {
            Sid: "SnsDeliversFailedMessagesToTheQueue", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": [topic.state.arn, people.state.arn] } },
        });
        const alias = run.one("aws:kms/alias:Alias");
        assert.equal(alias.inputs.targetKeyId, key.state.keyId);
        assert.match(alias.inputs.name, /^alias\/edge-anomaly-detection-unit-\d+-alerts$/);
    });

    it("topic policy admits only CloudWatch alarms of this account and region", () => {
        const policy = run.one("aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy");
        assert.equal(policy.inputs.arn, topic.state.arn);
        assert.deepEqual(parse(policy.inputs.policy).Statement, [{
            Sid: "CloudWatchAlarmsOfThisAccountPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish", Resource: topic.state.arn,
            Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` } },
        }, {
            Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: SNS_TOPIC_ACTIONS, Resource: topic.state.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }]);
    });

    it("topic policy TLS deny names only SNS topic actions (a topic policy accepts nothing else), Publish first", () => {
        // The eight actions of AWS's default topic policy; no wildcard, no other service's action.
        assert.deepEqual([...SNS_TOPIC_ACTIONS].sort(), ["sns:AddPermission", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
            "sns:Publish", "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe"]);
        assert.equal(SNS_TOPIC_ACTIONS[0], "sns:Publish");
        for (const a of SNS_TOPIC_ACTIONS) assert.match(a, /^sns:[A-Z][A-Za-z]+$/);
    });

    it("subscribes the email address from config and the finding Lambda, both redriving undeliverable messages to the DLQ", () => {
        const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription");
        const redrive = JSON.stringify({ deadLetterTargetArn: queue.state.arn });
        const email = subs.filter((s) => s.inputs.protocol === "email");
        assert.deepEqual(email.map((s) => [s.inputs.endpoint, s.inputs.topic, s.inputs.redrivePolicy]), [["security-alerts@example.com", people.state.arn, redrive]], "people subscribe to the people topic");
        const lambda = subs.filter((s) => s.inputs.protocol === "lambda");
        assert.deepEqual(lambda.map((s) => [s.inputs.endpoint, s.inputs.topic, s.inputs.redrivePolicy]), [[fn.state.arn, topic.state.arn, redrive]]);
        assert.equal(subs.length, 2, "no SMS or HTTPS subscription unless configured");
    });

    it("topic layout: only the finding Lambda reads the alarm topic; people read the people topic, which is encrypted and TLS-only", () => {
        const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription");
        assert.deepEqual(subs.filter((s) => s.inputs.topic === topic.state.arn).map((s) => s.inputs.protocol), ["lambda"]);
        assert.ok(subs.filter((s) => s.inputs.topic === people.state.arn).every((s) => s.inputs.protocol !== "lambda"));
        assert.equal(people.inputs.kmsMasterKeyId, key.state.arn);
        assert.match(people.inputs.name, /^edge-anomaly-detection-unit-\d+-alerts-people$/);
        const policy = parse(run.one("aws:sns/topicPolicy:TopicPolicy", "people-topic-policy").inputs.policy);
        assert.deepEqual(policy.Statement.map((st: any) => [st.Sid, st.Effect, st.Resource]), [
            ["CloudWatchAlarmsOfThisAccountPublish", "Allow", people.state.arn], ["DenyInsecureTransport", "Deny", people.state.arn],
        ]);
        assert.equal(run.outputs.peopleTopicArn, people.state.arn);
    });

    it("lets SNS invoke the function only from this topic", () => {
        const perms = run.ofType("aws:lambda/permission:Permission");
        assert.equal(perms.length, 1);
        assert.deepEqual(
            { action: perms[0].inputs.action, function: perms[0].inputs.function, principal: perms[0].inputs.principal, sourceArn: perms[0].inputs.sourceArn },
            { action: "lambda:InvokeFunction", function: fn.state.name, principal: "sns.amazonaws.com", sourceArn: topic.state.arn },
        );
    });

    it("dead-letter queue: KMS-encrypted with the alert key, 14-day retention, TLS only, SNS may write from this topic only", () => {
        assert.equal(queue.inputs.kmsMasterKeyId, key.state.arn);
        assert.equal(queue.inputs.messageRetentionSeconds, 1209600);
        assert.ok(queue.inputs.name.length <= 80);
        const qp = run.one("aws:sqs/queuePolicy:QueuePolicy");
        assert.equal(qp.inputs.queueUrl, queue.state.url);
        const [allow, deny] = parse(qp.inputs.policy).Statement;
        assert.deepEqual(allow, {
            Sid: "TopicRedrivesUndeliveredMessages", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage",
            Resource: queue.state.arn, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": [topic.state.arn, people.state.arn] } },
        });
        // Every SQS action over plain HTTP, by anyone: sqs:* (not a list that misses some).
        assert.deepEqual(deny, {
            Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queue.state.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });

    it("asynchronous invocations retry per config, then land in the DLQ (on-failure destination)", () => {
        const cfg = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
        assert.equal(cfg.inputs.functionName, fn.state.name);
        assert.equal(cfg.inputs.maximumRetryAttempts, 2);
        assert.equal(cfg.inputs.maximumEventAgeInSeconds, 3600);
        assert.deepEqual(cfg.inputs.destinationConfig, { onFailure: { destination: queue.state.arn } });
    });

    it("alarms on the DLQ depth and notifies the topic on ALARM and OK", () => {
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.deepEqual(
            {
                namespace: alarm.inputs.namespace, metricName: alarm.inputs.metricName, dimensions: alarm.inputs.dimensions, statistic: alarm.inputs.statistic,
                threshold: alarm.inputs.threshold, comparisonOperator: alarm.inputs.comparisonOperator, treatMissingData: alarm.inputs.treatMissingData,
                alarmActions: alarm.inputs.alarmActions, okActions: alarm.inputs.okActions, period: alarm.inputs.period,
            },
            {
                namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: queue.state.name }, statistic: "Maximum",
                threshold: 0, comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching",
                alarmActions: [topic.state.arn, people.state.arn], okActions: [topic.state.arn], period: 60,
            },
        );
    });

    it("the function's role: import into this account's default product only, read findings on this hub, read this region's metric alarms, write the DLQ — nothing else", () => {
        const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === fn.inputs.role)!;
        const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
        assert.equal(policies.length, 1);
        const statements = parse(policies[0].inputs.policy).Statement;
        assert.deepEqual(statements.slice(1), [
            { Sid: "ImportFindingsIntoThisAccountsDefaultProduct", Effect: "Allow", Action: ["securityhub:BatchImportFindings"], Resource: PRODUCT_ARN },
            { Sid: "FindActiveFindingsToArchiveOnOk", Effect: "Allow", Action: ["securityhub:GetFindings"], Resource: `arn:aws:securityhub:${REGION}:${ACCOUNT}:hub/default` },
            // DescribeAlarms supports the alarm resource type for metric alarms; composite alarms are returned only to "*".
            { Sid: "ReadAlarmStateBeforeFilingAlarmFindings", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"], Resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
            { Sid: "ReadCompositeAlarmStateBeforeFilingFindings", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"], Resource: "*" },
            // The ecommerce root cause (cloudwatch engine): GetMetricData has no resource-level permissions.
            { Sid: "ReadEcommerceSeriesForRootCause", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" },
            { Sid: "NotifyPeople", Effect: "Allow", Action: ["sns:Publish"], Resource: people.state.arn },
            { Sid: "SendFailedInvocationsToTheDlq", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queue.state.arn },
            { Sid: "EncryptForTheDlqAndPeopleTopic", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key.state.arn },
        ]);
        assert.equal(statements[0].Sid, "WriteOwnLogs");
        assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0, "no managed policy attached");
    });

    it("passes account, region, partition and product through the environment (nothing captured in the code)", () => {
        const { ECOMMERCE_ROOT_CAUSE, ...rest } = fn.inputs.environment.variables;
        assert.deepEqual(rest, {
            FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: PRODUCT_ARN, PEOPLE_TOPIC_ARN: people.state.arn,
        });
        // The cloudwatch engine's watched series, as its alarms read them (stack dimension, period, band width;
        // revenue by platform or marketplace: detection.sparsePeriodSeconds and a 0.5 wider band).
        const eco = JSON.parse(ECOMMERCE_ROOT_CAUSE);
        assert.deepEqual(eco, {
            namespace: "EdgeAnomaly/Ecommerce", stack: fn.inputs.tags.stack, periodSeconds: 60, bandWidth: 3,
            dimensions: { Platform: ["web", "ios", "android"], Marketplace: ["US", "UK", "DE", "JP"] },
            byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } },
        });
        // ... and exactly what the alarms use: every ecommerce alarm's period and band expression is the one the
        // breakdown reads its series with.
        const specs = planCloudWatchAlarms(cloudWatchDetectionArgs(config, { webAcls: [], alerts: { topicArn: "t" } })).filter((a) => a.target.series);
        assert.ok(specs.length > 0);
        for (const a of specs) {
            const metric = a.metricQueries.find((q) => q.metric)!.metric as { metricName: string; dimensions: Record<string, string>; period: number };
            const ref = a.target.series!.dimension ? { dimension: Object.keys(metric.dimensions).find((d) => d !== "Stack")!, value: a.target.series!.value } : {};
            const band = seriesBand(eco, { metricName: metric.metricName }, ref);
            assert.deepEqual([metric.period, a.metricQueries.find((q) => q.id === "ad1")!.expression], [band.periodSeconds, `ANOMALY_DETECTION_BAND(e1, ${band.bandWidth})`], a.alarmName);
        }
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        assert.equal(fn.inputs.timeout, 60);
        assert.equal(run.outputs.productArn, PRODUCT_ARN);
    });

    it("does not enable Security Hub unless asked", () => {
        assert.equal(run.ofType("aws:securityhub/account:Account").length, 0);
    });

    it(`deploys a code archive of at most ${archiveLimitFor("alerts-finding")} bytes (no bundled SDK)`, async () => {
        const size = await lambdaArchiveSize(fn);
        assert.ok(size.raw <= archiveLimitFor(fn.name), `archive ${size.raw} bytes`);
        assert.deepEqual(size.entries.map(([name]) => name), ["__index.js"], "only the serialized handler; @aws-sdk comes from the runtime");
        if (process.env.REPORT_ARCHIVES) console.log(`      finding function archive: ${size.files} file(s), ${size.raw} B raw, ${size.deflated} B deflated`);
    });

    it("exposes the contract the program wires (topic, key, function, DLQ)", () => {
        assert.equal(run.outputs.topicArn, topic.state.arn);
        assert.equal(run.outputs.topicKeyArn, key.state.arn);
        assert.equal(run.outputs.findingFunctionArn, fn.state.arn);
        assert.equal(run.outputs.findingFunctionName, fn.state.name);
        assert.equal(run.outputs.deadLetterQueueName, queue.state.name);
    });
});

describe("AnomalyAlerts options", () => {
    it("subscribes SMS numbers and HTTPS endpoints from config, each named by its endpoint", async () => {
        const run = await runWith(devConfig({
            emails: ["a@example.com", "b@example.com"], smsNumbers: ["+15555550100"], httpsEndpoints: ["https://hooks.example.com/alerts"],
        }), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config)));
        const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.protocol !== "lambda");
        assert.deepEqual(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint]).sort(), [
            ["email", "a@example.com"], ["email", "b@example.com"], ["https", "https://hooks.example.com/alerts"], ["sms", "+15555550100"],
        ]);
        assert.equal(new Set(subs.map((s) => s.name)).size, 4);
        const again = await runWith(devConfig({ emails: ["b@example.com"] }), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config)));
        const b = (r: ProgramRun) => r.ofType("aws:sns/topicSubscription:TopicSubscription").find((s) => s.inputs.endpoint === "b@example.com")!.name;
        assert.equal(b(again), b(run), "removing another address does not rename (re-create) this subscription");
    });

    it("enables Security Hub when asked, without turning on default standards; retry settings follow config", async () => {
        const run = await runWith(devConfig({ enableSecurityHub: true, maxRetryAttempts: 0, maxEventAgeSeconds: 600 }), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config)));
        const hub = run.one("aws:securityhub/account:Account");
        assert.equal(hub.inputs.enableDefaultStandards, false);
        const cfg = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
        assert.equal(cfg.inputs.maximumRetryAttempts, 0);
        assert.equal(cfg.inputs.maximumEventAgeInSeconds, 600);
    });

    it("names the web ACL by ARN when the program passes it", async () => {
        const arn = `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/edge-webacl-abc123/0f1e2d3c`;
        const run = await runWith(devConfig(), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config, { webAclArn: arn })));
        assert.equal(run.one("aws:lambda/function:Function").inputs.environment.variables.WEB_ACL_ARN, arn);
    });

    it("passes the ecommerce stream ARN to the function when the program gives it, and only then", async () => {
        const stream = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/edge-anomaly-detection-dev-ecommerce-events`;
        const run = await runWith(devConfig(), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config, { ecommerceStreamArn: pulumi.output(stream) })));
        const { ECOMMERCE_ROOT_CAUSE: _, ...env } = run.one("aws:lambda/function:Function").inputs.environment.variables;
        assert.deepEqual(env, {
            FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: PRODUCT_ARN, ECOMMERCE_STREAM_ARN: stream,
            PEOPLE_TOPIC_ARN: run.one("aws:sns/topic:Topic", "people-topic").state.arn,
        });
    });

    it("WAF root cause: WAF_LOG_GROUPS maps each web ACL ARN to its log group ARN; the role may start queries on those groups only", async () => {
        const own = `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/edge-webacl-abc123/0f1e2d3c`;
        const watched = `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/storefront-cdn-acl/9a8b7c6d`;
        const watchedGroup = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:aws-waf-logs-storefront`;
        const run = await runWith(devConfig(), (config) => new AnomalyAlerts("alerts", anomalyAlertsArgs(config, {
            webAclArn: own, wafLogGroups: [{ webAclArn: own, logGroup: pulumi.output("aws-waf-logs-edge-anomaly-detection-dev") }, { webAclArn: watched, logGroup: `${watchedGroup}:*` }],
        })));
        const f = run.one("aws:lambda/function:Function");
        const ownGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:aws-waf-logs-edge-anomaly-detection-dev`;
        assert.deepEqual(JSON.parse(f.inputs.environment.variables.WAF_LOG_GROUPS), { [own]: ownGroup, [watched]: watchedGroup }, "a name in the stack's region becomes its ARN; an ARN loses its :*");
        const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === f.inputs.role)!;
        const statements = parse(run.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.id)!.inputs.policy).Statement;
        const logs = statements.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith("logs:") && st.Sid !== "WriteOwnLogs"));
        assert.deepEqual(logs, [
            { Sid: "QueryWafLogGroups", Effect: "Allow", Action: ["logs:StartQuery"], Resource: [ownGroup, `${ownGroup}:*`, watchedGroup, `${watchedGroup}:*`] },
            // GetQueryResults and StopQuery take a query id: no resource type to scope them to (service authorization reference).
            { Sid: "ReadAndStopOwnQueries", Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: "*" },
        ]);
        for (const st of statements) for (const a of [st.Action].flat()) assert.ok(!a.includes("*"), `no wildcard action: ${a}`);
    });

    it("keeps physical names within the services' limits and character sets", () => {
        const long = { project: NS, stack: "a".repeat(120) } as AppConfig;
        assert.equal(physicalName(long, "alerts-dlq", 80).length, 80);
        assert.ok(physicalName(long, "alerts-dlq", 80).endsWith("-alerts-dlq"));
        assert.equal(physicalName({ project: NS, stack: "x.y/z" } as AppConfig, "alerts", 256), `${NS}-x-y-z-alerts`);
    });
});

describe("quiet deploys: no alarm notification reaches people (whole program, both engines)", () => {
    for (const engine of ["cloudwatch", "lookout"] as const) {
        it(`${engine}: people's topic is an action of the DLQ alarm's ALARM only; every other alarm action is the alarm topic, read only by the finding Lambda`, async () => {
            const cfg = stackFileConfig("dev");
            cfg[`${NS}:detection`] = { ...(cfg[`${NS}:detection`] as object), engine };
            cfg[`${NS}:alerts`] = { ...(cfg[`${NS}:alerts`] as object), emails: ["oncall@security.acme-corp.net"], smsNumbers: ["+14155550100"] };
            const run = await runProgram(cfg, `quiet-${engine}`);
            const alarmTopic = run.one("aws:sns/topic:Topic", "alerts-topic").state.arn;
            const peopleTopic = run.one("aws:sns/topic:Topic", "people-topic").state.arn;
            const alarms = [...run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm"), ...run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm")];
            assert.ok(alarms.length >= 2, `${alarms.length} alarms`);
            for (const a of alarms) {
                const people = a.name.endsWith("alerts-dlq-depth") ? [alarmTopic, peopleTopic] : [alarmTopic];
                const actions = a.inputs.alarmActions ?? [];
                // Noise-floor children act only through their composite: no actions at all.
                if (actions.length) assert.deepEqual(actions, people, `${a.name} alarm actions`);
                for (const k of ["okActions", "insufficientDataActions"]) {
                    assert.ok(!(a.inputs[k] ?? []).includes(peopleTopic), `${a.name} ${k} never reach people`);
                }
            }
            // Everything that may publish to people is the DLQ alarm (above), the finding Lambda (NotifyPeople), and the subscriptions read it.
            const subs = run.ofType("aws:sns/topicSubscription:TopicSubscription");
            assert.deepEqual(subs.filter((x) => x.inputs.topic === alarmTopic).map((x) => x.inputs.protocol), ["lambda"]);
            assert.deepEqual(subs.filter((x) => x.inputs.topic === peopleTopic).map((x) => x.inputs.protocol).sort(), ["email", "sms"]);
            if (engine === "lookout") {
                const snsAlerts = run.resources.filter((r) => JSON.stringify(r.inputs).includes(peopleTopic) && r.type.startsWith("pulumi-nodejs:dynamic"));
                assert.deepEqual(snsAlerts.map((r) => r.name), [], "no Lookout alert publishes to people");
            }
            // Root cause as the program wires it: the own web ACL's WAF log group (both engines); the ecommerce
            // breakdown only with the cloudwatch engine (Lookout brings its own dimension contributions).
            const env = run.one("aws:lambda/function:Function", "alerts-finding").inputs.environment.variables;
            const acl = run.one("aws:wafv2/webAcl:WebAcl").state.arn;
            const group = run.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && String(r.inputs.name).startsWith("aws-waf-logs-"))!;
            assert.deepEqual(JSON.parse(env.WAF_LOG_GROUPS), { [acl]: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group.inputs.name}` });
            assert.equal(env.ECOMMERCE_ROOT_CAUSE !== undefined, engine === "cloudwatch");
        });
    }
});

const PEOPLE_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-anomaly-detection-dev-alerts-people`;
const DASHBOARD_URL = `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/edge-anomaly-detection-dev-detection`;
const DEPLOYED_ENV = {
    FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: PRODUCT_ARN,
    PEOPLE_TOPIC_ARN: PEOPLE_TOPIC, DASHBOARD_URL,
    AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
};
type FindingHandler = (event: unknown) => Promise<AlertHandlingResult>;

/** Console lines the handler writes while `run` runs, by level. */
async function capturingConsole<T>(run: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: { level: string; entry: any }[] }> {
    const lines: { level: string; entry: any }[] = [];
    const saved = { info: console.info, warn: console.warn, error: console.error };
    for (const level of ["info", "warn", "error"] as const) console[level] = (line: string) => lines.push({ level, entry: JSON.parse(line) });
    try {
        return { result: await run(), lines };
    } catch (error) {
        return { error, lines };
    } finally {
        Object.assign(console, saved);
    }
}

describe("finding Lambda as deployed", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    let cw: AwsClientStub<CloudWatchClient>;
    let sns: AwsClientStub<SNSClient>;
    let savedEnv: NodeJS.ProcessEnv;
    before(() => {
        hub = mockClient(SecurityHubClient);
        cw = mockClient(CloudWatchClient);
        sns = mockClient(SNSClient);
        savedEnv = { ...process.env };
        Object.assign(process.env, DEPLOYED_ENV);
    });
    beforeEach(() => {
        sns.on(PublishCommand).resolves({ MessageId: "notice-0" });
        // Each fixture alarm is in ALARM since its notification: the current episode.
        cw.on(DescribeAlarmsCommand).callsFake((input) => ({
            MetricAlarms: input.AlarmNames.map((name: string) => {
                const file = name.includes("ecommerce") ? "cw-ecommerce-alarm" : "cw-waf-alarm";
                const msg = JSON.parse(require(`./fixtures/alerts/${file}.json`).Records[0].Sns.Message);
                const since = new Date(msg.StateChangeTime.replace(/\+0000$/, "Z"));
                return { AlarmName: name, AlarmArn: msg.AlarmArn, StateValue: "ALARM", StateTransitionedTimestamp: since, StateUpdatedTimestamp: since };
            }),
        }));
    });
    afterEach(() => {
        hub.reset();
        cw.reset();
        sns.reset();
    });
    after(() => {
        hub.restore();
        cw.restore();
        sns.restore();
        process.env = savedEnv;
    });

    it("serializes as a Lambda closure that requires the SDK from the runtime and carries no Pulumi code", async () => {
        const text = await serializedText(findingHandlerFactory, { factory: true });
        assert.match(text, /require\("@aws-sdk\/client-securityhub(\/[^"]*)?"\)/);
        assert.match(text, /require\("@aws-sdk\/client-cloudwatch(\/[^"]*)?"\)/);
        assert.ok(!text.includes("@pulumi/"), "no Pulumi SDK in the Lambda");
        assert.ok(text.length <= archiveLimitFor("alerts-finding"), `${text.length} bytes`);
    });

    // The handler as Lambda runs it: the factory ran at load (cold start) with DEPLOYED_ENV, and made its own clients.
    forBothArtifacts("the factory's handler", artifactsOf<FindingHandler>(findingHandlerFactory, { factory: true }), (handler, kind) => {
        /** A fresh cold start with the environment as it is now. */
        const coldStart = (): Promise<FindingHandler> | FindingHandler => (kind === "source" ? findingHandlerFactory() : loadSerialized<FindingHandler>(findingHandlerFactory, { factory: true }));

        it("reads its settings from the environment and files a finding through its own client", async () => {
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            const { result, lines, error } = await capturingConsole(() => handler()(require("./fixtures/alerts/cw-waf-alarm.json")));
            assert.equal(error, undefined);
            assert.deepEqual(lines.map((l) => l.entry.message), ["root cause", "imported finding", "notified people"], "JSON log lines per filed alert");
            assert.deepEqual([lines[0].entry.status, lines[0].entry.reason], ["unavailable", "no log group is configured for web ACL edge-webacl-abc123 and its ARN is not known, so its logging configuration cannot be read"],
                "without WAF_LOG_GROUPS the enrich stage says why there is no root cause, and the finding is filed all the same");
            assert.deepEqual(result!.outcomes.map((o) => o.action), ["imported"]);
            const calls = hub.commandCalls(BatchImportFindingsCommand);
            assert.equal(calls.length, 1);
            assert.equal(calls[0].args[0].input.Findings![0].ProductArn, PRODUCT_ARN);
            assert.equal(calls[0].args[0].input.Findings![0].RecordState, "ACTIVE");
            assert.deepEqual(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input), Array(2).fill(
                { AlarmNames: ["edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked"], AlarmTypes: ["MetricAlarm"] },
            ), "its own CloudWatch client asked for the alarm's state, before and after the import");
            assert.equal(await (cw.commandCalls(DescribeAlarmsCommand)[0].thisValue as CloudWatchClient).config.region(), REGION);
        });

        it("an ALARM: the finding is filed, then ONE notice goes to the people topic (a valid SNS Publish request)", async () => {
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            sns.on(PublishCommand).resolves({ MessageId: "notice-1" });
            const { result, lines, error } = await capturingConsole(() => handler()(require("./fixtures/alerts/cw-waf-alarm.json")));
            assert.equal(error, undefined);
            const calls = sns.commandCalls(PublishCommand);
            assert.equal(calls.length, 1);
            const cmd = calls[0].args[0] as PublishCommand;
            assert.deepEqual(commandProblems(snsSdk as unknown as Record<string, unknown>, cmd), [], "valid against the SDK's Publish schema");
            assert.equal(cmd.input.TopicArn, PEOPLE_TOPIC);
            assert.ok(cmd.input.Subject!.length < 100 && /^[\x20-\x7E]+$/.test(cmd.input.Subject!), "SNS Subject: ASCII, < 100 characters");
            assert.match(cmd.input.Message!, /^CRITICAL: WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123\n/);
            assert.match(cmd.input.Message!, /\nHow far: 10\.69x outside the band \(value 412; band upper 38\.527913\)\n/);
            assert.ok(cmd.input.Message!.includes(`\nDashboard: ${DASHBOARD_URL}`));
            assert.match(cmd.input.Message!, /\nFinding: https:\/\/us-east-1\.console\.aws\.amazon\.com\/securityhub\/home\?region=us-east-1#\/findings\?search=Id%3D/);
            assert.deepEqual(result!.outcomes[0].notified, ["notice-1"]);
            assert.deepEqual(lines.map((l) => l.entry.message), ["root cause", "imported finding", "notified people"]);
            assert.ok(hub.commandCalls(BatchImportFindingsCommand)[0].args[0].input.Findings![0].RecordState === "ACTIVE");
        });

        it("OK and INSUFFICIENT_DATA (first deploy: INSUFFICIENT_DATA → OK): nothing reaches people; OK still archives", async () => {
            const active: any = { Id: "arn:aws:cloudwatch:x/1", UpdatedAt: "2025-03-04T10:07:24.105Z", RecordState: "ACTIVE", CreatedAt: "2025-03-04T10:07:24.105Z" };
            hub.on(GetFindingsCommand).resolves({ Findings: [active] });
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            const ok = require("./fixtures/alerts/cw-waf-ok.json");
            const firstDeploy = JSON.parse(JSON.stringify(ok));
            const msg = JSON.parse(firstDeploy.Records[0].Sns.Message);
            msg.OldStateValue = "INSUFFICIENT_DATA";
            firstDeploy.Records[0].Sns.Message = JSON.stringify(msg);
            const insufficient = JSON.parse(JSON.stringify(ok));
            const m2 = JSON.parse(insufficient.Records[0].Sns.Message);
            m2.NewStateValue = "INSUFFICIENT_DATA";
            m2.OldStateValue = "OK";
            insufficient.Records[0].Sns.Message = JSON.stringify(m2);
            for (const event of [ok, firstDeploy, insufficient]) {
                const { error } = await capturingConsole(() => handler()(event));
                assert.equal(error, undefined);
            }
            assert.equal(sns.commandCalls(PublishCommand).length, 0, "no notice for OK or INSUFFICIENT_DATA");
            const archived = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings!);
            assert.deepEqual(archived.map((f) => [f.Id, f.RecordState]), [["arn:aws:cloudwatch:x/1", "ARCHIVED"], ["arn:aws:cloudwatch:x/1", "ARCHIVED"]], "both OKs archived");
        });

        it("an ALARM whose episode was already over (filed ARCHIVED) is not announced; a failed Publish fails the invocation", async () => {
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] }); // deleted since
            await capturingConsole(() => handler()(require("./fixtures/alerts/cw-waf-alarm.json")));
            assert.equal(sns.commandCalls(PublishCommand).length, 0);
            cw.reset();
            cw.on(DescribeAlarmsCommand).callsFake((input) => ({ MetricAlarms: [{ AlarmName: input.AlarmNames[0], AlarmArn: JSON.parse(require("./fixtures/alerts/cw-waf-alarm.json").Records[0].Sns.Message).AlarmArn, StateValue: "ALARM", StateTransitionedTimestamp: new Date("2025-03-04T10:07:24.105Z") }] }));
            sns.on(PublishCommand).rejects(Object.assign(new Error("KMS key disabled"), { name: "KMSDisabledException" }));
            const { error } = await capturingConsole(() => handler()(require("./fixtures/alerts/cw-waf-alarm.json")));
            assert.match((error as Error).message, /KMSDisabledException: KMS key disabled/);
        });

        // Notices are at-least-once (README "The notice"): SNS standard topics do not deduplicate, and a retried
        // invocation re-handles every alert it carries. What happens, exactly:
        it("at-least-once: a retried invocation re-files the same finding (an update) and sends its notice again; a failed Publish sends nothing", async () => {
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            const alarm = require("./fixtures/alerts/cw-waf-alarm.json");
            // One SNS event, two records: the alarm, and a record the function cannot read (it fails the invocation).
            const event = { Records: [alarm.Records[0], { EventSource: "aws:sns", Sns: { MessageId: "m-bad", TopicArn: "arn:aws:sns:us-east-1:123456789012:alarms", Message: "not json" } }] };
            for (const attempt of [1, 2]) {
                const { error } = await capturingConsole(() => handler()(event));
                assert.match((error as Error).message, /1 of 2 alert\(s\) failed: SNS message m-bad/, `attempt ${attempt} fails (Lambda retries it)`);
            }
            const ids = hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings![0].Id);
            assert.equal(ids.length, 2);
            assert.equal(ids[0], ids[1], "the retry updates the same finding (same Id), it does not add one");
            const notices = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
            assert.equal(notices.length, 2, "each attempt announces the alarm it filed: people may get the same notice twice");
            assert.deepEqual(notices[0], notices[1], "the same notice (same subject, text and finding link)");
            // A Publish that fails is not retried by the function itself beyond the SDK's attempts: the invocation fails,
            // nothing reached people, and Lambda's retry (then the DLQ, whose alarm reaches people) takes over.
            sns.reset();
            hub.reset();
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            sns.on(PublishCommand).rejects(Object.assign(new Error("Topic is disabled"), { name: "InvalidParameterException" }));
            const { error } = await capturingConsole(() => handler()(alarm));
            assert.match((error as Error).message, /InvalidParameterException: Topic is disabled/);
            assert.equal(hub.commandCalls(BatchImportFindingsCommand).length, 1, "the finding was filed before the notice failed");
        });

        // The must-show of issue 11 #1: in the deployed code, a rejected event fails with an Error that says why,
        // and the log line carries that reason (a `class … extends Error` lost both when serialized).
        const rejected: [string, () => unknown, string, RegExp][] = [
            ["{}", () => ({}), "rejected invocation event",
                /^unrecognised invocation event: is neither an SNS event \(Records\), an SNS notification .* nor a Lookout for Metrics alert \(anomalyDetectorArn, impactedMetric\) \(got an object with keys \[\]\)$/],
            ["{Records: []}", () => ({ Records: [] }), "rejected invocation event", /^SNS event: Records must be a non-empty list \(got a list of 0\)$/],
            ["an SNS message that is not JSON", () => snsWith("ALARM: something happened"), "alert not filed",
                /SNS message m-1 from arn:aws:sns:us-east-1:123456789012:alarms is not JSON: Lookout for Metrics alerts on this topic must use SnsFormat JSON/],
            ["an alarm without required fields (no AlarmName)", () => {
                const msg = JSON.parse(require("./fixtures/alerts/cw-waf-alarm.json").Records[0].Sns.Message);
                delete msg.AlarmName;
                return snsWith(JSON.stringify(msg));
            }, "alert not filed", /CloudWatch alarm notification \(SNS message m-1\): AlarmName must be a non-empty string \(got undefined\)/],
        ];
        for (const [what, event, logMessage, reason] of rejected) {
            it(`rejects ${what} with an Error whose message says why, and logs that reason`, async () => {
                const { error, lines } = await capturingConsole(() => handler()(event()));
                assert.ok(error instanceof Error, "an Error is thrown");
                assert.ok(error.message.length > 0 && error.message !== "undefined", `message: ${JSON.stringify(error.message)}`);
                const thrown = logMessage === "rejected invocation event" ? error.message : error.message.replace(/^finding Lambda: 1 of 1 alert\(s\) failed: .*?\(1 of 1\): AlertParseError: /, "");
                assert.match(thrown, reason);
                const logged = lines.filter((l) => l.level === "error");
                assert.equal(logged.length, 1);
                assert.equal(logged[0].entry.message, logMessage);
                assert.match(logged[0].entry.error, reason, "the log line carries the reason");
                assert.equal(hub.calls().length, 0, "nothing filed");
            });
        }

        it("with ECOMMERCE_STREAM_ARN set, an ecommerce alarm's finding names the stream", async () => {
            hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
            const stream = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/edge-anomaly-detection-dev-ecommerce-events`;
            process.env.ECOMMERCE_STREAM_ARN = stream;
            try {
                const fresh = await coldStart();
                await capturingConsole(() => fresh(require("./fixtures/alerts/cw-ecommerce-alarm.json")));
            } finally {
                delete process.env.ECOMMERCE_STREAM_ARN;
            }
            const [finding] = hub.commandCalls(BatchImportFindingsCommand)[0].args[0].input.Findings!;
            assert.deepEqual(finding.Resources!.map((r) => [r.Type, r.Id]), [
                ["Other", "EdgeAnomaly/Ecommerce/Revenue{Stack=dev,Platform=ios}"],
                ["AwsKinesisStream", stream],
                ["Other", `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:edge-anomaly-detection-dev-ecommerce-Revenue-Platform-ios`],
            ]);
        });

        it("a missing setting fails the cold start, naming the variable", async () => {
            delete process.env.FINDING_PRODUCT_ARN;
            try {
                await assert.rejects(async () => coldStart(), /environment variable FINDING_PRODUCT_ARN is not set/);
            } finally {
                process.env.FINDING_PRODUCT_ARN = PRODUCT_ARN;
            }
        });
    });
});

function snsWith(message: string): unknown {
    return { Records: [{ EventSource: "aws:sns", Sns: { MessageId: "m-1", TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:alarms`, Message: message } }] };
}
