// The whole pack against the program's own resources, under the shared mocks, for every stack file in the
// repository (and the other engine): zero mandatory violations. Also checks that the policies really examined
// the program (a policy whose resource types the program creates must have applied to them), and that the list
// of taggable types covers every AWS type the program creates that takes tags.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import { EvaluationReport, evaluatePolicies, fromRecorded, PlannedResource } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { TAGGABLE_TYPES } from "../policy/tags";
import { ProgramRun, runProgram, stackFileConfig, stackNames } from "./harness";

const PROJECT = "edge-anomaly-detection";

/** Policy → resource types whose presence means the policy must have applied (not been vacuous). */
const SUBJECTS: Record<string, string[]> = {
    "waf-stage-protected": ["aws:apigateway/stage:Stage"],
    "waf-common-rule-set": ["aws:wafv2/webAcl:WebAcl"],
    "waf-logging-enabled": ["aws:wafv2/webAcl:WebAcl"],
    "waf-logging-redacts-credentials": ["aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"],
    "waf-rate-based-rule": ["aws:wafv2/webAcl:WebAcl"],
    "s3-bucket-encrypted": ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    "s3-public-access-blocked": ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    "s3-deny-insecure-transport": ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    "kinesis-stream-encrypted": ["aws:kinesis/stream:Stream"],
    "firehose-encrypted": ["aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"],
    "sns-topic-encrypted": ["aws:sns/topic:Topic"],
    "sqs-queue-encrypted": ["aws:sqs/queue:Queue"],
    "iam-no-wildcard-actions": ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"],
    "iam-service-trust-conditions": ["aws:iam/role:Role"],
    "lambda-supported-runtime": ["aws:lambda/function:Function"],
    "lambda-timeout-bounded": ["aws:lambda/function:Function"],
    "log-group-retention": ["aws:cloudwatch/logGroup:LogGroup"],
    "lambda-log-retention": ["aws:lambda/function:Function"],
    "lambda-async-failure-destination": ["aws:sns/topicSubscription:TopicSubscription"],
    "detection-alarm-actions": ["aws:cloudwatch/metricAlarm:MetricAlarm"],
    "detection-lookout-detector-alerted": ["pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector"],
    "detection-lookout-settings": ["pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector"],
    "required-tags": ["aws:wafv2/webAcl:WebAcl"],
};

export function withEngine(config: Record<string, unknown>, engine: string): Record<string, unknown> {
    const c = { ...config };
    c[`${PROJECT}:detection`] = { ...(c[`${PROJECT}:detection`] as object | undefined), engine };
    return c;
}

const variants: { label: string; stack: string; config: () => Record<string, unknown> }[] = [
    ...stackNames().map((stack) => ({ label: `Pulumi.${stack}.yaml`, stack, config: () => stackFileConfig(stack) })),
    ...stackNames().map((stack) => {
        const engine = (stackFileConfig(stack)[`${PROJECT}:detection`] as { engine?: string } | undefined)?.engine === "lookout" ? "cloudwatch" : "lookout";
        return { label: `Pulumi.${stack}.yaml with detection.engine=${engine}`, stack, config: () => withEngine(stackFileConfig(stack), engine) };
    }),
    {
        // Every optional resource on: the account-wide API Gateway logs role, the heartbeat, Security Hub, SMS/HTTPS.
        label: "Pulumi.dev.yaml with every option on (account logs role, heartbeat, Security Hub, SMS and HTTPS)",
        stack: "dev",
        config: () => {
            const c = stackFileConfig("dev");
            c[`${PROJECT}:api`] = { ...(c[`${PROJECT}:api`] as object), manageAccountLogsRole: true };
            c[`${PROJECT}:heartbeat`] = { enabled: true };
            c[`${PROJECT}:alerts`] = { ...(c[`${PROJECT}:alerts`] as object), enableSecurityHub: true, smsNumbers: ["+15555550100"], httpsEndpoints: ["https://hooks.example.com/alerts"] };
            return c;
        },
    },
];

function describeViolations(report: EvaluationReport, level: "mandatory" | "advisory"): string[] {
    return report.violations.filter((v) => v.level === level).map((v) => `${v.policy}: ${v.type ?? "stack"} ${v.name ?? ""}: ${v.message}`);
}

describe("policy pack against the program", () => {
    it("finds at least one stack file", () => {
        assert.ok(stackNames().length >= 1);
    });

    for (const variant of variants) {
        describe(variant.label, () => {
            let run: ProgramRun;
            let resources: PlannedResource[];
            let report: EvaluationReport;

            before(async () => {
                run = await runProgram(variant.config(), variant.stack);
                resources = fromRecorded(run.resources, variant.stack, PROJECT);
                report = await evaluatePolicies(policies, resources, { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
            });

            it("has zero mandatory violations", () => {
                assert.deepEqual(describeViolations(report, "mandatory"), []);
            });

            it("no policy trips over a value (every policy ran to the end)", () => {
                assert.deepEqual(report.violations.filter((v) => v.couldNotRun), []);
            });

            it("every policy whose resource types the program creates examined them", () => {
                const types = new Set(run.resources.map((r) => r.type));
                const vacuous: string[] = [];
                for (const [policy, subjects] of Object.entries(SUBJECTS)) {
                    if (!subjects.some((t) => types.has(t))) continue;
                    const outcome = report.outcomes.find((o) => o.policy === policy);
                    assert.ok(outcome, `policy ${policy} is not in the pack`);
                    if (outcome.applicable === 0) vacuous.push(policy);
                }
                assert.deepEqual(vacuous, []);
                // The core of the program is there whenever the stack config asks for it: the demo API's stage with
                // api.enabled (default), the stack's own web ACL and its logging with api.enabled or waf.associate.
                const cfg = variant.config();
                const api = (cfg[`${PROJECT}:api`] as { enabled?: boolean } | undefined)?.enabled !== false;
                const associate = ((cfg[`${PROJECT}:waf`] as { associate?: string[] } | undefined)?.associate ?? []).length > 0;
                const core = [
                    ...(api ? ["aws:apigateway/stage:Stage"] : []),
                    ...(api || associate ? ["aws:wafv2/webAcl:WebAcl", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"] : []),
                    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:sns/topic:Topic",
                ];
                for (const t of core) assert.ok(types.has(t), `program creates no ${t}`);
                if (!api) assert.ok(!types.has("aws:apigateway/stage:Stage"), "api.enabled false deploys no API stage");
            });

            it("the taggable-type list covers every AWS type the program creates that takes tags (per @pulumi/aws)", () => {
                const missing: string[] = [];
                for (const type of new Set(run.resources.map((r) => r.type).filter((t) => t.startsWith("aws:")))) {
                    if (argsTakeTags(type) && !TAGGABLE_TYPES.has(type)) missing.push(type);
                }
                assert.deepEqual(missing, []);
            });
        });
    }
});

/** Whether the @pulumi/aws Args interface of a type token (`aws:mod/res:Res`) declares `tags`. */
export function argsTakeTags(type: string): boolean {
    const m = /^aws:([^/]+)\/([^:]+):(\w+)$/.exec(type);
    if (!m) return false;
    const file = path.join(path.dirname(require.resolve("@pulumi/aws/package.json")), m[1], `${m[2]}.d.ts`);
    const src = fs.readFileSync(file, "utf8");
    const start = src.indexOf(`export interface ${m[3]}Args {`);
    if (start < 0) return false;
    const body = src.slice(start, src.indexOf("\n}", start));
    return /\n\s+(readonly\s+)?tags\?:/.test(body);
}
