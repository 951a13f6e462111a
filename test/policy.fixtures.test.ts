// Each policy of the pack against the compliant reference stack (no violation) and against violating variants of
// it (exactly that policy fires, at its level, naming the problem) — through the evaluation library, which runs
// policies the way the engine's analyzer does. Also: the same stack as `pulumi preview` shows it (unknown ARNs,
// property dependencies) passes without any policy tripping over an unknown value.
import { strict as assert } from "assert";

import { EvaluationReport, evaluatePolicies, PlannedResource, PolicyPackConfig } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { UNKNOWN_SENTINELS } from "../policy/lib/values";
import { FREQUENCY_SECONDS, LAMBDA_RUNTIMES } from "../config";
import { L4M_FREQUENCIES } from "../policy/detection";
import { DEFAULT_ALLOWED_RUNTIMES } from "../policy/lambda";
import { compliantDefs, drop, find, FixtureDef, json, materialize, ref, stackWith, TRUST } from "./fixtures/policy/stack";

async function evaluate(resources: PlannedResource[], config?: PolicyPackConfig): Promise<EvaluationReport> {
    return evaluatePolicies(policies, resources, { config, packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
}

/** Asserts that the only violations come from `policy`, at `level`, and that one message matches `message`. */
function expectOnly(report: EvaluationReport, policy: string, message: RegExp, level: "mandatory" | "advisory" = "mandatory"): void {
    const others = report.violations.filter((v) => v.policy !== policy);
    assert.deepEqual(others.map((v) => `${v.policy}: ${v.message}`), [], `unexpected violations from other policies`);
    const mine = report.violations.filter((v) => v.policy === policy);
    assert.ok(mine.length > 0, `expected ${policy} to report a violation`);
    assert.ok(mine.every((v) => v.level === level), `expected level ${level}: ${JSON.stringify(mine)}`);
    assert.ok(mine.some((v) => message.test(v.message)), `no ${policy} message matches ${message}: ${mine.map((v) => v.message).join(" | ")}`);
}

async function violationOf(edit: (defs: FixtureDef[]) => void, policy: string, message: RegExp, level: "mandatory" | "advisory" = "mandatory", config?: PolicyPackConfig): Promise<EvaluationReport> {
    const report = await evaluate(stackWith(edit), config);
    expectOnly(report, policy, message, level);
    return report;
}

describe("policy pack: compliant reference stack", () => {
    it("has no violation, and every policy applies to it", async () => {
        const report = await evaluate(materialize(compliantDefs()));
        assert.deepEqual(report.violations, []);
        const idle = report.outcomes.filter((o) => o.applicable === 0).map((o) => o.policy);
        assert.deepEqual(idle, [], "policies that found nothing to check in the reference stack");
    });

    it("as a preview shows it (unknown ARNs, property dependencies): no violation, no policy made advisory by an unknown", async () => {
        const resources = materialize(compliantDefs(), "preview");
        // The fixture really is preview-shaped: the association's target ARN is unknown and recorded as a dependency.
        const assoc = resources.find((r) => r.name === "webacl-stage")!;
        assert.equal(assoc.props.resourceArn, UNKNOWN_SENTINELS.string);
        assert.deepEqual(assoc.propertyDependencies?.resourceArn, [resources.find((r) => r.name === "stage")!.urn]);
        const report = await evaluate(resources);
        assert.deepEqual(report.violations, []);
    });

    it("pack constants match their sources: runtimes and frequencies of config.ts, the engine's unknown sentinels", () => {
        assert.deepEqual(DEFAULT_ALLOWED_RUNTIMES, [...LAMBDA_RUNTIMES]);
        assert.deepEqual([...L4M_FREQUENCIES].sort(), Object.keys(FREQUENCY_SECONDS).sort());
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const proxy = require("@pulumi/policy/proxy") as Record<string, unknown>;
        for (const [kind, value] of Object.entries(UNKNOWN_SENTINELS)) {
            assert.equal(proxy[`unknown${kind[0].toUpperCase()}${kind.slice(1)}Value`], value, kind);
        }
    });

    it("every policy has a description, a level and a unique name", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of policies) {
            assert.ok(p.description.length > 20, p.name);
            assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
            assert.match(p.name, /^[a-z0-9-]+$/);
        }
    });
});

describe("policy pack: WAF", () => {
    it("waf-stage-protected: a stage with no web ACL association", () =>
        violationOf((d) => drop(d, "webacl-stage"), "waf-stage-protected", /stage.*"stage" is not associated with a WAF web ACL/));

    it("waf-stage-protected: an association for another resource does not count", () =>
        violationOf((d) => { find(d, "webacl-stage").props.resourceArn = "arn:aws:apigateway:us-east-1::/restapis/other/stages/prod"; }, "waf-stage-protected", /not associated/));

    it("waf-stage-protected: still found during preview (the association's ARN unknown, no dependency on the stage)", async () => {
        const defs = compliantDefs();
        find(defs, "webacl-stage").props.resourceArn = ref("api", "id"); // depends on something else
        const report = await evaluate(materialize(defs, "preview"));
        expectOnly(report, "waf-stage-protected", /not associated/);
    });

    it("waf-common-rule-set: a web ACL without the common rule set", () =>
        violationOf((d) => {
            const rules = find(d, "webacl").props.rules as Record<string, unknown>[];
            rules.splice(1, 1);
        }, "waf-common-rule-set", /does not include the AWS managed rule group AWSManagedRulesCommonRuleSet/));

    it("waf-common-rule-set: the common rule set overridden to count", () =>
        violationOf((d) => {
            const rules = find(d, "webacl").props.rules as Record<string, unknown>[];
            rules[1].overrideAction = { count: {} };
        }, "waf-common-rule-set", /overrideAction is count: it blocks nothing/));

    it("waf-common-rule-set: reads ruleJson too", async () => {
        const rulesJson = (names: string[]) => JSON.stringify(names.map((n, i) => ({
            Name: n, Priority: i, OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: n } },
            VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: n, SampledRequestsEnabled: true },
        })));
        const ok = await evaluate(stackWith((d) => { const acl = find(d, "webacl"); delete acl.props.rules; acl.props.ruleJson = rulesJson(["AWSManagedRulesCommonRuleSet"]); }));
        assert.deepEqual(ok.violations.filter((v) => v.policy === "waf-common-rule-set"), []);
        const bad = await evaluate(stackWith((d) => { const acl = find(d, "webacl"); delete acl.props.rules; acl.props.ruleJson = rulesJson(["AWSManagedRulesKnownBadInputsRuleSet"]); }));
        assert.ok(bad.violations.some((v) => v.policy === "waf-common-rule-set" && /managed groups present: AWSManagedRulesKnownBadInputsRuleSet/.test(v.message)));
    });

    it("waf-logging-enabled: a web ACL without a logging configuration", () =>
        violationOf((d) => drop(d, "waf-logging"), "waf-logging-enabled", /has no logging configuration/));

    it("waf-logging-redacts-credentials: the cookie header not redacted", () =>
        violationOf((d) => { find(d, "waf-logging").props.redactedFields = [{ singleHeader: { name: "Authorization" } }]; },
            "waf-logging-redacts-credentials", /record the cookie header in clear/));

    it("waf-logging-redacts-credentials: nothing redacted names both headers", () =>
        violationOf((d) => { delete find(d, "waf-logging").props.redactedFields; }, "waf-logging-redacts-credentials", /authorization and cookie headers/));

    it("waf-rate-based-rule (advisory): no rate-based rule", () =>
        violationOf((d) => { (find(d, "webacl").props.rules as unknown[]).splice(0, 1); }, "waf-rate-based-rule", /no rate-based rule/, "advisory"));

    it("waf-rate-based-rule (advisory): a rate-based rule that only counts", () =>
        violationOf((d) => { (find(d, "webacl").props.rules as Record<string, unknown>[])[0].action = { count: {} }; }, "waf-rate-based-rule", /only counts/, "advisory"));
});

describe("policy pack: encryption", () => {
    it("s3-bucket-encrypted: a bucket without default encryption", () =>
        violationOf((d) => drop(d, "data-sse"), "s3-bucket-encrypted", /"data" has no default encryption configuration/));

    it("s3-bucket-encrypted: an invalid algorithm", () =>
        violationOf((d) => { find(d, "data-sse").props.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "NONE" } }]; },
            "s3-bucket-encrypted", /uses sseAlgorithm NONE/));

    it("s3-bucket-encrypted: the inline (bucket) form counts", async () => {
        const report = await evaluate(stackWith((d) => {
            drop(d, "data-sse");
            find(d, "data").props.serverSideEncryptionConfiguration = { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } } };
        }));
        assert.deepEqual(report.violations, []);
    });

    it("kinesis-stream-encrypted: no encryption type", () =>
        violationOf((d) => { delete find(d, "events").props.encryptionType; }, "kinesis-stream-encrypted", /not encrypted at rest \(encryptionType unset\)/));

    it("kinesis-stream-encrypted: KMS without a key", () =>
        violationOf((d) => { delete find(d, "events").props.kmsKeyId; }, "kinesis-stream-encrypted", /kmsKeyId is empty/));

    it("firehose-encrypted: a Direct PUT stream without server-side encryption", () =>
        violationOf((d) => { delete find(d, "delivery").props.kinesisSourceConfiguration; }, "firehose-encrypted", /Direct PUT Firehose stream buffers data unencrypted/));

    it("firehose-encrypted: a Direct PUT stream with SSE passes; customer key type without a key does not", async () => {
        const ok = await evaluate(stackWith((d) => { const f = find(d, "delivery"); delete f.props.kinesisSourceConfiguration; f.props.serverSideEncryption = { enabled: true, keyType: "AWS_OWNED_CMK" }; }));
        assert.deepEqual(ok.violations, []);
        await violationOf((d) => { const f = find(d, "delivery"); delete f.props.kinesisSourceConfiguration; f.props.serverSideEncryption = { enabled: true, keyType: "CUSTOMER_MANAGED_CMK" }; },
            "firehose-encrypted", /keyArn is not set/);
    });

    it("sns-topic-encrypted: a topic without a KMS key", () =>
        violationOf((d) => { delete find(d, "alerts").props.kmsMasterKeyId; }, "sns-topic-encrypted", /not encrypted at rest/));

    it("sqs-queue-encrypted: SSE-SQS switched off without a KMS key", () =>
        violationOf((d) => { const q = find(d, "alerts-dlq"); delete q.props.kmsMasterKeyId; q.props.sqsManagedSseEnabled = false; }, "sqs-queue-encrypted", /sqsManagedSseEnabled is false/));

    it("sqs-queue-encrypted: encryption left implicit; SSE-SQS set explicitly passes", async () => {
        await violationOf((d) => { delete find(d, "alerts-dlq").props.kmsMasterKeyId; }, "sqs-queue-encrypted", /does not set encryption explicitly/);
        const ok = await evaluate(stackWith((d) => { const q = find(d, "alerts-dlq"); delete q.props.kmsMasterKeyId; q.props.sqsManagedSseEnabled = true; }));
        assert.deepEqual(ok.violations, []);
    });
});

describe("policy pack: S3", () => {
    it("s3-public-access-blocked: no public access block", () =>
        violationOf((d) => drop(d, "data-pab"), "s3-public-access-blocked", /"data" has no public access block/));

    it("s3-public-access-blocked: one flag false", () =>
        violationOf((d) => { find(d, "data-pab").props.restrictPublicBuckets = false; }, "s3-public-access-blocked", /does not set restrictPublicBuckets to true/));

    it("s3-public-access-blocked: an account-wide block covers the bucket", async () => {
        const report = await evaluate(stackWith((d) => {
            drop(d, "data-pab");
            d.push({ type: "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", name: "account-pab", props: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true } });
        }));
        assert.deepEqual(report.violations, []);
    });

    it("s3-deny-insecure-transport: no bucket policy", () =>
        violationOf((d) => drop(d, "data-policy"), "s3-deny-insecure-transport", /has no bucket policy/));

    it("s3-deny-insecure-transport: a policy that denies something else", () =>
        violationOf((d) => {
            find(d, "data-policy").props.policy = json({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: ref("data") }] });
        }, "s3-deny-insecure-transport", /does not deny requests without TLS/));

    it("s3-deny-insecure-transport: the TLS statement must cover the objects too", () =>
        violationOf((d) => {
            find(d, "data-policy").props.policy = json({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ref("data"), Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
        }, "s3-deny-insecure-transport", /does not cover both the bucket and its objects/));

    it("s3-deny-insecure-transport: during preview an unknown document is left to the post-update check", async () => {
        const report = await evaluate(materialize(compliantDefs(), "preview"));
        const policy = report.outcomes.find((o) => o.policy === "s3-deny-insecure-transport")!;
        assert.equal(policy.violations, 0);
        assert.equal(policy.applicable, 1);
    });
});

describe("policy pack: IAM", () => {
    it("iam-no-wildcard-actions: `*` in a role policy", () =>
        violationOf((d) => {
            find(d, "finding-policy").props.policy = json({ Version: "2012-10-17", Statement: [{ Sid: "All", Effect: "Allow", Action: "*", Resource: "arn:aws:securityhub:us-east-1:123456789012:hub/default" }] });
        }, "iam-no-wildcard-actions", /policy: statement "All" allows "\*"/));

    it("iam-no-wildcard-actions: a whole-service wildcard in a list", () =>
        violationOf((d) => {
            find(d, "finding-policy").props.policy = json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:PutLogEvents", "securityhub:*"], Resource: "arn:aws:securityhub:us-east-1:123456789012:hub/default" }] });
        }, "iam-no-wildcard-actions", /statement 1 allows "securityhub:\*"/));

    it("iam-no-wildcard-actions: NotAction in an Allow, and a wildcard in a topic policy", async () => {
        await violationOf((d) => {
            find(d, "finding-policy").props.policy = json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:securityhub:us-east-1:123456789012:hub/default" }] });
        }, "iam-no-wildcard-actions", /allows everything except NotAction/);
        await violationOf((d) => {
            const policy = find(d, "alerts-policy").props.policy as { value: { Statement: Record<string, unknown>[] } };
            policy.value.Statement[0].Action = "sns:*";
        }, "iam-no-wildcard-actions", /allows "sns:\*"/);
    });

    it("iam-no-wildcard-actions: a KMS key's account-root kms:* is the default key policy, but kms:* for anyone else is not", async () => {
        await violationOf((d) => {
            const key = find(d, "alerts-key");
            key.props.policy = json({ Statement: [{ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "kms:*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }] });
        }, "iam-no-wildcard-actions", /allows "kms:\*"/);
    });

    it("iam-no-wildcard-actions: a Lambda permission for lambda:*", () =>
        violationOf((d) => { find(d, "finding-from-topic").props.action = "lambda:*"; }, "iam-no-wildcard-actions", /grants "lambda:\*"/));

    it("iam-no-wildcard-actions: an invalid policy JSON is reported", () =>
        violationOf((d) => { find(d, "finding-policy").props.policy = "{not json"; }, "iam-no-wildcard-actions", /not valid JSON/));

    it("iam-no-full-access-managed-policies: AWSLambda_FullAccess / AdministratorAccess attached", async () => {
        for (const policyArn of ["arn:aws:iam::aws:policy/AWSLambda_FullAccess", "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/AmazonS3FullAccess"]) {
            await violationOf((d) => {
                d.push({ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "broad", props: { role: ref("finding-role", "id"), policyArn } });
            }, "iam-no-full-access-managed-policies", new RegExp(`Attaches the AWS managed policy ${policyArn.replace(/[/]/g, "\\/")}`));
        }
    });

    it("iam-no-full-access-managed-policies: a narrow AWS managed policy or a customer policy named *FullAccess is fine", async () => {
        const report = await evaluate(stackWith((d) => {
            d.push({ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "push-logs", props: { role: "r", policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" } });
            d.push({ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "own", props: { role: "r", policyArn: "arn:aws:iam::123456789012:policy/TeamFullAccess" } });
        }));
        assert.deepEqual(report.violations, []);
    });

    it("iam-service-trust-conditions: a service trust without aws:SourceAccount/aws:SourceArn", () =>
        violationOf((d) => {
            find(d, "finding-role").props.assumeRolePolicy = json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
        }, "iam-service-trust-conditions", /trusts lambda\.amazonaws\.com without an aws:SourceAccount or aws:SourceArn condition/));

    it("iam-service-trust-conditions: a wildcard condition value does not count", () =>
        violationOf((d) => {
            find(d, "finding-role").props.assumeRolePolicy = json({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringLike: { "aws:SourceAccount": "*" } } }] });
        }, "iam-service-trust-conditions", /without an aws:SourceAccount/));

    it("iam-service-trust-conditions: a role anyone can assume", () =>
        violationOf((d) => {
            find(d, "finding-role").props.assumeRolePolicy = json({ Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] });
        }, "iam-service-trust-conditions", /lets any AWS principal assume the role/));

    it("iam-service-trust-conditions: exempts only API Gateway's account logs role by default; config sets the list", async () => {
        const apigw = (d: FixtureDef[]) => {
            d.push({ type: "aws:iam/role:Role", name: "apigw-logs", props: { assumeRolePolicy: json({ Statement: [{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags: find(d, "finding-role").props.tags } });
        };
        assert.deepEqual((await evaluate(stackWith(apigw))).violations, [], "default exemption: apigateway.amazonaws.com");
        const strict = await evaluate(stackWith(apigw), { "iam-service-trust-conditions": { exemptServices: [] } });
        assert.deepEqual(strict.violations.map((v) => v.policy), ["iam-service-trust-conditions"]);
        assert.match(strict.violations[0].message, /trusts apigateway\.amazonaws\.com/);
        const events = (d: FixtureDef[]) => {
            d.push({ type: "aws:iam/role:Role", name: "events-role", props: { assumeRolePolicy: json({ Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole" }] }), tags: find(d, "finding-role").props.tags } });
        };
        await violationOf(events, "iam-service-trust-conditions", /trusts events\.amazonaws\.com/);
        const exempt = await evaluate(stackWith(events), { "iam-service-trust-conditions": { exemptServices: ["events.amazonaws.com"] } });
        assert.deepEqual(exempt.violations, []);
    });

    it("the trust fixture helper carries the account condition", () => {
        assert.deepEqual((TRUST("x.amazonaws.com").value as { Statement: { Condition: unknown }[] }).Statement[0].Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
    });
});

describe("policy pack: Lambda", () => {
    it("lambda-supported-runtime: no runtime, a deprecated runtime, a configured allow-list", async () => {
        await violationOf((d) => { delete find(d, "finding").props.runtime; }, "lambda-supported-runtime", /does not set its runtime/);
        await violationOf((d) => { find(d, "finding").props.runtime = "nodejs16.x"; }, "lambda-supported-runtime", /Runtime nodejs16\.x is not allowed \(allowed: nodejs22\.x, nodejs24\.x\)/);
        await violationOf(() => undefined, "lambda-supported-runtime", /Runtime nodejs22\.x is not allowed \(allowed: nodejs24\.x\)/, "mandatory",
            { "lambda-supported-runtime": { allowedRuntimes: ["nodejs24.x"] } });
    });

    it("lambda-timeout-bounded: missing, and above the (configurable) maximum", async () => {
        await violationOf((d) => { delete find(d, "finding").props.timeout; }, "lambda-timeout-bounded", /does not set a timeout/);
        await violationOf((d) => { find(d, "finding").props.timeout = 900; }, "lambda-timeout-bounded", /Timeout 900 s exceeds the allowed maximum of 300 s/);
        await violationOf(() => undefined, "lambda-timeout-bounded", /Timeout 60 s exceeds the allowed maximum of 30 s/, "mandatory", { "lambda-timeout-bounded": { maxTimeoutSeconds: 30 } });
    });

    it("log-group-retention: a log group that never expires", () =>
        violationOf((d) => { delete find(d, "waf-logs").props.retentionInDays; }, "log-group-retention", /no retention period: logs never expire/));

    it("lambda-log-retention: the function's log group is not managed by the stack", () =>
        violationOf((d) => { delete find(d, "finding").props.loggingConfig; }, "lambda-log-retention", /logs to \/aws\/lambda\/fixture-finding-7d1e, which this stack does not create/));

    it("lambda-log-retention: the function's log group has no retention (both policies report it)", async () => {
        const report = await evaluate(stackWith((d) => { delete find(d, "finding-logs").props.retentionInDays; }));
        assert.deepEqual(report.violations.map((v) => v.policy).sort(), ["lambda-log-retention", "log-group-retention"]);
        assert.match(report.violations.find((v) => v.policy === "lambda-log-retention")!.message, /logs to .*"finding-logs", which has no retention period/);
    });

    it("lambda-log-retention: during preview the generated group name is matched through the property dependency", async () => {
        const resources = materialize(compliantDefs(), "preview");
        const fn = resources.find((r) => r.name === "finding")!;
        assert.equal((fn.props.loggingConfig as Record<string, unknown>).logGroup, UNKNOWN_SENTINELS.string);
        const report = await evaluate(resources);
        assert.equal(report.outcomes.find((o) => o.policy === "lambda-log-retention")!.violations, 0);
    });

    it("lambda-async-failure-destination: an SNS-triggered handler without destination or DLQ", () =>
        violationOf((d) => drop(d, "finding-async"), "lambda-async-failure-destination", /"finding" is subscribed to SNS .* an event that fails all retries is dropped/));

    it("lambda-async-failure-destination: an invoke config without an on-failure destination does not count; a DLQ does", async () => {
        await violationOf((d) => { delete find(d, "finding-async").props.destinationConfig; }, "lambda-async-failure-destination", /dropped/);
        const ok = await evaluate(stackWith((d) => { drop(d, "finding-async"); find(d, "finding").props.deadLetterConfig = { targetArn: ref("alerts-dlq") }; }));
        assert.deepEqual(ok.violations, []);
    });

    it("lambda-async-failure-destination: a handler of a Lookout alert's Lambda action or of an alarm action counts as an alert handler", async () => {
        await violationOf((d) => {
            drop(d, "finding-async", "finding-subscription", "finding-from-topic");
            find(d, "waf-detector-alert").props.action = { type: "lambda", roleArn: ref("l4m-role"), functionArn: ref("finding") };
        }, "lambda-async-failure-destination", /the action of Lookout for Metrics/);
        await violationOf((d) => {
            drop(d, "finding-async", "finding-subscription", "finding-from-topic");
            (find(d, "waf-blocked").props.alarmActions as unknown[]).push(ref("finding"));
        }, "lambda-async-failure-destination", /an action of .*"waf-blocked"/);
    });

    it("lambda-async-failure-destination: scheduled functions are only checked with scope all-async", async () => {
        const edit = (d: FixtureDef[]) => {
            drop(d, "finding-async", "finding-subscription", "finding-from-topic");
            d.push({ type: "aws:cloudwatch/eventTarget:EventTarget", name: "every-5-min", props: { rule: "r", arn: ref("finding") } });
        };
        const alertOnly = await evaluate(stackWith(edit));
        assert.deepEqual(alertOnly.violations, []);
        assert.equal(alertOnly.outcomes.find((o) => o.policy === "lambda-async-failure-destination")!.applicable, 0);
        const report = await evaluate(stackWith(edit), { "lambda-async-failure-destination": { scope: "all-async" } });
        expectOnly(report, "lambda-async-failure-destination", /is the target of .*"every-5-min"/);
    });
});

describe("policy pack: detection", () => {
    it("detection-alarm-actions: an alarm with no action, and one with actions disabled", async () => {
        await violationOf((d) => { delete find(d, "waf-blocked").props.alarmActions; }, "detection-alarm-actions", /"waf-blocked" has no alarm action/);
        await violationOf((d) => { find(d, "waf-blocked").props.actionsEnabled = false; }, "detection-alarm-actions", /actionsEnabled false/);
    });

    it("detection-alarm-actions: an alarm without actions that feeds an alerting composite alarm is fine", async () => {
        const report = await evaluate(stackWith((d) => {
            delete find(d, "waf-blocked").props.alarmActions;
            d.push({ type: "aws:cloudwatch/compositeAlarm:CompositeAlarm", name: "any", props: { alarmName: "any", alarmRule: `ALARM("fixture-waf-blocked") OR ALARM(other)`, alarmActions: [ref("alerts")], tags: find(d, "alerts").props.tags } });
        }));
        assert.deepEqual(report.violations, []);
    });

    it("detection-lookout-detector-alerted: no alert, an alert without a target, no live activation", async () => {
        await violationOf((d) => drop(d, "waf-detector-alert"), "detection-lookout-detector-alerted", /"waf-detector" has no alert/);
        await violationOf((d) => { (find(d, "waf-detector-alert").props.action as Record<string, unknown>).topicArn = ""; },
            "detection-lookout-detector-alerted", /have no complete action/);
        await violationOf((d) => drop(d, "waf-detector-activation"), "detection-lookout-detector-alerted", /never activated for live data/);
        await violationOf((d) => { find(d, "waf-detector-activation").props.mode = "backtest"; }, "detection-lookout-detector-alerted", /never activated for live data/);
    });

    it("detection-lookout-settings: a frequency outside the API enum and one outside the configured list", async () => {
        await violationOf((d) => { find(d, "waf-detector").props.frequency = "PT1M"; }, "detection-lookout-settings", /Detector frequency PT1M is not allowed/);
        await violationOf(() => undefined, "detection-lookout-settings", /frequency PT5M is not allowed \(allowed: PT1H, P1D\)/, "mandatory",
            { "detection-lookout-settings": { allowedFrequencies: ["PT1H", "P1D"] } });
    });

    it("detection-lookout-settings: alert sensitivity outside 0–100, and outside a configured range", async () => {
        await violationOf((d) => { find(d, "waf-detector-alert").props.sensitivityThreshold = 150; }, "detection-lookout-settings", /threshold 150 is outside the allowed range 0–100/);
        await violationOf(() => undefined, "detection-lookout-settings", /threshold 70 is outside the allowed range 80–95/, "mandatory",
            { "detection-lookout-settings": { minAlertSensitivity: 80, maxAlertSensitivity: 95 } });
    });
});

describe("policy pack: tags", () => {
    it("required-tags: a taggable resource without tags, and one missing a configured tag", async () => {
        await violationOf((d) => { delete find(d, "events").props.tags; }, "required-tags", /Missing required tags app, stack \(tags present: none\)/);
        const report = await evaluate(materialize(compliantDefs()), { "required-tags": { requiredTags: ["app", "cost-center"] } });
        const tagged = report.violations.filter((v) => v.policy === "required-tags");
        assert.ok(tagged.length >= 10, `every taggable fixture misses cost-center (got ${tagged.length})`);
        assert.ok(tagged.every((v) => /Missing required tag cost-center/.test(v.message)));
        assert.ok(tagged.some((v) => v.type === "pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector"), "Lookout detectors are taggable");
    });

    it("required-tags: an empty value does not count; untaggable resources are not checked", async () => {
        await violationOf((d) => { find(d, "alerts").props.tags = { app: "x", stack: " " }; }, "required-tags", /Missing required tag stack/);
        const report = await evaluate(materialize(compliantDefs()), { "required-tags": { requiredTags: ["cost-center"] } });
        assert.ok(!report.violations.some((v) => v.policy === "required-tags" && v.type === "aws:wafv2/webAclAssociation:WebAclAssociation"));
    });

    it("required-tags: an explicit provider's default tags count", async () => {
        const resources = stackWith((d) => { delete find(d, "events").props.tags; });
        const events = resources.find((r) => r.name === "events")!;
        events.provider = { type: "pulumi:providers:aws", name: "tagged", urn: "urn:p", props: { defaultTags: JSON.stringify({ tags: { app: "a", stack: "s" } }) } };
        const report = await evaluate(resources);
        assert.deepEqual(report.violations, []);
    });
});

describe("policy pack: configuration and enforcement", () => {
    it("a policy disabled in config does not run; `all` and per-policy levels override the policy's own", async () => {
        const resources = stackWith((d) => drop(d, "data-pab"));
        const disabled = await evaluate(resources, { "s3-public-access-blocked": "disabled" });
        assert.deepEqual(disabled.violations, []);
        const advisory = await evaluate(resources, { all: "advisory" });
        assert.equal(advisory.mandatory, 0);
        assert.equal(advisory.advisory, 1);
        const mixed = await evaluate(resources, { all: "advisory", "s3-public-access-blocked": { enforcementLevel: "mandatory" } });
        assert.equal(mixed.mandatory, 1);
    });

    it("config for an unknown policy, an unknown property or a wrong type is rejected with its name", async () => {
        const resources = materialize(compliantDefs());
        await assert.rejects(evaluate(resources, { "no-such-policy": "mandatory" }), /policy config names 'no-such-policy'/);
        await assert.rejects(evaluate(resources, { "required-tags": { tags: ["x"] } }), /'required-tags'\.tags: not a configuration property/);
        await assert.rejects(evaluate(resources, { "lambda-timeout-bounded": { maxTimeoutSeconds: 1000 } }), /maxTimeoutSeconds: 1000 is above the maximum 900/);
        await assert.rejects(evaluate(resources, { "detection-lookout-settings": { allowedFrequencies: ["PT2M"] } }), /allowedFrequencies\[0\]: "PT2M" is not one of/);
    });

    it("a policy that reads an unknown value through the proxy becomes an advisory 'can't run during preview' note", async () => {
        const reader = {
            name: "reads-arn",
            description: "reads an ARN directly (for the evaluator's own test)",
            enforcementLevel: "mandatory" as const,
            validateResource: (args: { props: Record<string, unknown> }) => {
                void String(args.props.resourceArn);
            },
        };
        const report = await evaluatePolicies([reader], materialize(compliantDefs(), "preview"));
        const notes = report.violations.filter((v) => v.couldNotRun);
        assert.ok(notes.length >= 1);
        assert.ok(notes.every((v) => v.level === "advisory" && /can't run policy 'reads-arn' during preview: string value at \.resourceArn/.test(v.message)));
        assert.equal(report.mandatory, 0);
    });
});
