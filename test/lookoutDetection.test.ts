// LookoutDetection (the `lookout` engine) under Pulumi mocks with the dev stack's config (engine switched to
// lookout): the service roles and their trust conditions, the two detectors and their metric sets, activation,
// alerts wired to the topic and the finding function, and config flowing through (frequency, offset, threshold,
// historical data, compression). The inputs each dynamic resource registers must pass its provider's own check
// and turn into requests valid for the L4M API model.
import { strict as assert } from "assert";

import { AppConfig } from "../config";
import type * as aws from "@pulumi/aws";

import { ProgramRun, runProgram, runWith, stackFileConfig } from "./harness";
import { ACCOUNT, Registered, REGION } from "./mocks";
import {
    AlertInputs, AnomalyDetectorInputs, checkActivationInputs, checkAlertInputs, checkDetectorInputs, createAlertRequest,
    createDetectorRequest, createMetricSetRequest, LOOKOUT_PROVIDER_VERSION, LOOKOUT_TYPES,
} from "../providers/lookout";
import { assertValidRequests, SentCommand } from "./fixtures/lookout/apiModel";

const PROJECT = "edge-anomaly-detection";
const T = {
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    detector: LOOKOUT_TYPES.AnomalyDetector,
    activation: LOOKOUT_TYPES.DetectorActivation,
    alert: LOOKOUT_TYPES.Alert,
};
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-alerts`;
const TOPIC_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:edge-finding`;
const BUCKET = "edge-ecommerce-data-abc123";
const READ_STATEMENTS: aws.iam.PolicyStatement[] = [
    { Sid: "ListEcommerce", Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringLike: { "s3:prefix": ["ecommerce/*"] } } },
    { Sid: "ReadEcommerce", Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${BUCKET}/ecommerce/*` },
];

function lookoutConfig(detection: Record<string, unknown> = {}, pipeline: Record<string, unknown> = {}): Record<string, unknown> {
    const cfg = stackFileConfig("dev");
    cfg[`${PROJECT}:detection`] = { ...(cfg[`${PROJECT}:detection`] as object), engine: "lookout", ...detection };
    cfg[`${PROJECT}:pipeline`] = { ...(cfg[`${PROJECT}:pipeline`] as object), ...pipeline };
    return cfg;
}

let appConfig: AppConfig;

function build(cfg: AppConfig) {
    appConfig = cfg;
    // Loaded after the mocks are in place (the harness sets them before calling build).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LookoutDetection } = require("../components/lookoutDetection") as typeof import("../components/lookoutDetection");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { wafRuleMetricNames } = require("../model/wafRules") as typeof import("../model/wafRules");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { lookoutDetectionArgs } = require("../componentArgs") as typeof import("../componentArgs");
    const detection = new LookoutDetection("detection", lookoutDetectionArgs(cfg, {
        webAcls: [{ key: "", name: "edge-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }],
        pipeline: {
            bucketName: BUCKET,
            templatedPath: `s3://${BUCKET}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`,
            historicalPath: `s3://${BUCKET}/ecommerce/historical/`,
            readStatements: READ_STATEMENTS,
        },
        alerts: { topicArn: TOPIC, topicKeyArn: TOPIC_KEY, findingFunctionArn: FUNCTION },
    }));
    return { wafDetectorArn: detection.wafDetectorArn, ecommerceDetectorArn: detection.ecommerceDetectorArn, alertArns: detection.alertArns };
}

function policyOf(run: ProgramRun, role: Registered): { Statement: Record<string, any>[] } {
    const policies = run.ofType(T.rolePolicy).filter((p) => p.inputs.role === role.id);
    assert.equal(policies.length, 1, `one inline policy on ${role.name}`);
    return JSON.parse(policies[0].inputs.policy);
}

function globMatch(pattern: string, value: string): boolean {
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(value);
}

describe("LookoutDetection (lookout engine, dev stack config, under mocks)", () => {
    let run: ProgramRun;
    let base: string;
    before(async () => {
        run = await runWith(lookoutConfig(), build, "unit");
        base = `${PROJECT}-${appConfig.stack}`;
    });

    const detector = (key: string) => run.one(T.detector, `detection-${key}`);
    const roleNamed = (suffix: string) => run.one(T.role, suffix);

    it("registers two detectors, two activations and four alerts as dynamic resources with their type tokens", () => {
        assert.deepEqual(run.ofType(T.detector).map((r) => r.name).sort(), ["detection-ecommerce", "detection-waf"]);
        assert.deepEqual(run.ofType(T.activation).map((r) => r.name).sort(), ["detection-ecommerce-activation", "detection-waf-activation"]);
        assert.deepEqual(run.ofType(T.alert).map((r) => r.name).sort(), [
            "detection-ecommerce-lambda", "detection-ecommerce-sns", "detection-waf-lambda", "detection-waf-sns",
        ]);
        assert.equal(T.detector, "pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector");
        for (const r of [...run.ofType(T.detector), ...run.ofType(T.activation), ...run.ofType(T.alert)]) {
            // The serialized provider travels with the resource: serialization under mocks succeeded.
            assert.equal(typeof r.inputs.__provider, "string");
            assert.ok(r.inputs.__provider.includes("exports.handler"), `${r.name} carries its serialized provider`);
            assert.equal(r.inputs.providerVersion, LOOKOUT_PROVIDER_VERSION);
            assert.equal(r.inputs.region, REGION);
        }
    });

    it("WAF detector: PT5M, CloudWatch AWS/WAFV2 BlockedRequests SUM by Region, Rule, WebACL, filtered to this web ACL, its total and its rules", () => {
        const waf = detector("waf").inputs;
        assert.equal(waf.name, `${base}-waf`);
        assert.equal(waf.frequency, "PT5M");
        assert.deepEqual(waf.tags, appConfig.tags);
        assert.deepEqual(waf.metricSet.metrics, [{ name: "BlockedRequests", aggregation: "SUM", namespace: "AWS/WAFV2" }]);
        assert.deepEqual(waf.metricSet.dimensions, ["Region", "Rule", "WebACL"]);
        assert.deepEqual(waf.metricSet.dimensionFilters, [
            { name: "WebACL", values: ["edge-web-acl"] },
            // The web ACL's total (Rule=ALL) is its own series, like each rule.
            { name: "Rule", values: ["ALL", "RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"] },
        ]);
        assert.deepEqual(waf.metricSet.source, { type: "cloudwatch", roleArn: roleNamed("l4m-cloudwatch").state.arn });
        assert.equal(waf.metricSet.offsetSeconds, undefined);
        assert.equal(waf.metricSet.timestampColumn, undefined);
    });

    it("ecommerce detector: S3 live + historical paths, JSON Lines, timestamp column, measures, dimensions, offset and frequency from config", () => {
        const ecom = detector("ecommerce").inputs;
        assert.equal(ecom.name, `${base}-ecommerce`);
        assert.equal(ecom.frequency, "PT5M");
        assert.deepEqual(ecom.metricSet.metrics, ["views", "carts", "checkouts", "revenue"].map((name) => ({ name, aggregation: "SUM" })));
        assert.deepEqual(ecom.metricSet.dimensions, ["platform", "marketplace"]);
        assert.deepEqual(ecom.metricSet.source, {
            type: "s3",
            roleArn: roleNamed("l4m-s3").state.arn,
            templatedPath: `s3://${BUCKET}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`,
            historicalPath: `s3://${BUCKET}/ecommerce/historical/`,
            fileFormat: { type: "json", compression: "NONE", charset: "UTF-8" },
        });
        assert.deepEqual(ecom.metricSet.timestampColumn, { name: "timestamp", format: "yyyy-MM-dd HH:mm:ss" });
        assert.equal(ecom.metricSet.offsetSeconds, 180);
        assert.match(ecom.metricSet.description, new RegExp(`s3://${BUCKET}/ecommerce/`));
    });

    it("activates each detector with the configured timeout, live", () => {
        for (const key of ["waf", "ecommerce"]) {
            const act = run.one(T.activation, `detection-${key}-activation`).inputs;
            assert.equal(act.detectorArn, detector(key).state.arn);
            assert.equal(act.detectorArn, `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:${base}-${key}`);
            assert.equal(act.timeoutSeconds, 900);
            assert.equal(act.mode, "live");
        }
    });

    it("alerts: per detector one SNS alert (JSON) to the topic and one Lambda alert to the finding function, threshold from config", () => {
        for (const key of ["waf", "ecommerce"]) {
            const sns = run.one(T.alert, `detection-${key}-sns`).inputs;
            assert.equal(sns.name, `${base}-${key}-sns`);
            assert.equal(sns.detectorArn, detector(key).state.arn);
            assert.equal(sns.sensitivityThreshold, 70);
            assert.deepEqual(sns.action, { type: "sns", roleArn: roleNamed("l4m-sns").state.arn, topicArn: TOPIC, format: "JSON" });
            const fn = run.one(T.alert, `detection-${key}-lambda`).inputs;
            assert.equal(fn.detectorArn, detector(key).state.arn);
            assert.equal(fn.sensitivityThreshold, 70);
            assert.deepEqual(fn.action, { type: "lambda", roleArn: roleNamed("l4m-lambda").state.arn, functionArn: FUNCTION });
        }
        assert.deepEqual([...(run.outputs.alertArns as string[])].sort(), [
            `${base}-ecommerce-lambda`, `${base}-ecommerce-sns`, `${base}-waf-lambda`, `${base}-waf-sns`,
        ].map((n) => `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:Alert:${n}`));
        assert.equal(run.outputs.wafDetectorArn, detector("waf").state.arn);
        assert.equal(run.outputs.ecommerceDetectorArn, detector("ecommerce").state.arn);
    });

    it("each role is trusted by lookoutmetrics.amazonaws.com only for this account and this stack's detectors", () => {
        const roles = run.ofType(T.role);
        assert.equal(roles.length, 4);
        for (const role of roles) {
            const trust = JSON.parse(role.inputs.assumeRolePolicy);
            assert.equal(trust.Statement.length, 1);
            const st = trust.Statement[0];
            assert.deepEqual(st.Principal, { Service: "lookoutmetrics.amazonaws.com" });
            assert.equal(st.Action, "sts:AssumeRole");
            assert.deepEqual(st.Condition.StringEquals, { "aws:SourceAccount": ACCOUNT });
            const sourceArn = st.Condition.ArnLike["aws:SourceArn"];
            assert.equal(sourceArn, `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:${base}-*`);
            for (const d of run.ofType(T.detector)) assert.ok(globMatch(sourceArn, d.state.arn), `${sourceArn} covers ${d.state.arn}`);
            assert.ok(!globMatch(sourceArn, `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:someone-else`));
            assert.deepEqual(role.inputs.tags, appConfig.tags);
        }
    });

    it("role policies: least privilege for CloudWatch, the bucket prefix, the topic (with its key) and the function", () => {
        const cw = policyOf(run, roleNamed("l4m-cloudwatch")).Statement;
        assert.deepEqual(cw, [{
            Sid: "ReadWafMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": REGION } },
        }]);
        assert.deepEqual(policyOf(run, roleNamed("l4m-s3")).Statement, READ_STATEMENTS);
        assert.deepEqual(policyOf(run, roleNamed("l4m-sns")).Statement, [
            { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: TOPIC },
            {
                Sid: "UseTopicKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: TOPIC_KEY,
                Condition: { StringEquals: { "kms:ViaService": `sns.${REGION}.amazonaws.com` } },
            },
        ]);
        assert.deepEqual(policyOf(run, roleNamed("l4m-lambda")).Statement, [
            { Sid: "InvokeFindingFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: FUNCTION },
        ]);
        for (const p of run.ofType(T.rolePolicy)) {
            for (const st of JSON.parse(p.inputs.policy).Statement) {
                for (const action of [st.Action].flat()) assert.doesNotMatch(action, /\*/, `${p.name}: no wildcard action`);
            }
        }
    });

    it("every dynamic resource's inputs pass its provider's check and make requests valid for the L4M API model", () => {
        const commands: SentCommand[] = [];
        const cmd = (name: string, input: unknown): SentCommand => ({ constructor: { name: `${name}Command` }, input });
        for (const d of run.ofType(T.detector)) {
            assert.deepEqual(checkDetectorInputs(d.inputs), [], d.name);
            commands.push(cmd("CreateAnomalyDetector", createDetectorRequest(d.inputs as AnomalyDetectorInputs)));
            commands.push(cmd("CreateMetricSet", createMetricSetRequest(d.inputs as AnomalyDetectorInputs, d.state.arn)));
        }
        for (const a of run.ofType(T.activation)) {
            assert.deepEqual(checkActivationInputs(a.inputs), [], a.name);
            commands.push(cmd("ActivateAnomalyDetector", { AnomalyDetectorArn: a.inputs.detectorArn }));
        }
        for (const a of run.ofType(T.alert)) {
            assert.deepEqual(checkAlertInputs(a.inputs), [], a.name);
            commands.push(cmd("CreateAlert", createAlertRequest(a.inputs as AlertInputs)));
        }
        assert.equal(commands.length, 10);
        assertValidRequests(commands);
    });
});

describe("LookoutDetection: config flows through", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runWith(lookoutConfig(
            { frequency: "PT1H", useHistoricalData: false, alertSensitivity: 40, offsetSeconds: 600, activationTimeoutSeconds: 300, ecommerceDimensions: ["marketplace"] },
            { compression: "GZIP" },
        ), build, "unit");
    });

    it("ecommerce frequency PT1H, no historical path, GZIP JSON, one dimension, offset 600; WAF stays PT5M", () => {
        const ecom = run.one(T.detector, "detection-ecommerce").inputs;
        assert.equal(ecom.frequency, "PT1H");
        assert.equal(ecom.metricSet.source.historicalPath, undefined);
        assert.equal(ecom.metricSet.source.fileFormat.compression, "GZIP");
        assert.deepEqual(ecom.metricSet.dimensions, ["marketplace"]);
        assert.equal(ecom.metricSet.offsetSeconds, 600);
        assert.equal(run.one(T.detector, "detection-waf").inputs.frequency, "PT5M");
        assert.deepEqual(checkDetectorInputs(ecom), []);
    });

    it("threshold 40 on every alert, timeout 300 on every activation", () => {
        assert.deepEqual(run.ofType(T.alert).map((a) => a.inputs.sensitivityThreshold), [40, 40, 40, 40]);
        assert.deepEqual(run.ofType(T.activation).map((a) => a.inputs.timeoutSeconds), [300, 300]);
    });
});

describe("lookoutBaseName", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { lookoutBaseName } = require("../components/lookoutDetection") as typeof import("../components/lookoutDetection");

    it("keeps short names, replaces characters L4M names do not allow", () => {
        assert.equal(lookoutBaseName(PROJECT, "dev"), "edge-anomaly-detection-dev");
        assert.equal(lookoutBaseName(PROJECT, "team.prod"), "edge-anomaly-detection-team-prod");
    });

    it("shortens long names with a hash so every derived name stays within 63 characters and distinct", () => {
        const a = lookoutBaseName(PROJECT, "a-very-long-stack-name-for-the-eu-central-region-1");
        const b = lookoutBaseName(PROJECT, "a-very-long-stack-name-for-the-eu-central-region-2");
        assert.notEqual(a, b);
        for (const n of [a, b]) {
            assert.ok(`${n}-ecommerce-lambda`.length <= 63, n);
            assert.match(`${n}-ecommerce-lambda`, /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/);
        }
    });
});

describe("LookoutDetection: settings that would lose data fail preview, naming the key", () => {
    const lookoutCfg = (detection: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
        const c = stackFileConfig("dev");
        c[`${PROJECT}:detection`] = { ...(c[`${PROJECT}:detection`] as object), engine: "lookout", ...detection };
        return { ...c, ...extra };
    };

    it("an S3 offset shorter than Firehose's worst-case delivery", async () => {
        // dev: 10 s Lambda buffer + 1.5 x 60 s S3 buffer = 100 s
        await assert.rejects(runProgram(lookoutCfg({ offsetSeconds: 99 }), "offset"),
            /Invalid stack configuration 'edge-anomaly-detection:detection\.offsetSeconds': 99 s is shorter than Firehose's worst-case delivery to S3 \(100 s/);
        const ok = await runProgram(lookoutCfg({ offsetSeconds: 100 }), "offset-ok");
        assert.ok(ok.resources.length > 0);
    });

    it("heartbeat zeros in a namespace the WAF detector does not read", async () => {
        await assert.rejects(runProgram(lookoutCfg({}, { [`${PROJECT}:heartbeat`]: { namespace: "Custom/WAF" } }), "hbns"),
            /Invalid stack configuration 'edge-anomaly-detection:heartbeat\.namespace': "Custom\/WAF" is not read by the lookout engine's WAF detector/);
    });
});
