// What a first `pulumi up` in a fresh account refuses that the mocks do not: values over the limits AWS (and the
// provider's own validation, which counts UTF-8 bytes) checks, and resources created before the resource they need.
// The order comes from the registrations themselves: test/mocks.ts records each one's `dependsOn` (the request's
// dependency list — explicit `dependsOn` and every resource an input was read from), which is the order in which the
// engine creates them. Run for every stack file, the every-option-on dev config, and names at their longest.
import { strict as assert } from "assert";

import { ALARM_DESCRIPTION_MAX, ALARM_NAME_MAX, alarmName, boundedAlarmDescription } from "../components/cloudwatchDetection";
import { ProgramRun, runProgram, stackFileConfig, stackNames } from "./harness";
import { Registered } from "./mocks";

const PROJECT = "edge-anomaly-detection";

/** A legal stack name at Pulumi's 100 characters (letters, digits, `-`, `_`, `.`). */
const LONG_STACK = `Feature.Branch_${"x".repeat(78)}-preview`.slice(0, 100);
/** A web ACL name at WAFv2's 128 characters and a rule (visibility-config metric name) at its 128. */
const LONG_ACL = `shop-${"a".repeat(123)}`;
const LONG_RULE = `AWS-AWSManagedRulesCommonRuleSet-${"r".repeat(95)}`;

function everyOptionOn(): Record<string, unknown> {
    const c = stackFileConfig("dev");
    c[`${PROJECT}:api`] = { ...(c[`${PROJECT}:api`] as object), manageAccountLogsRole: true };
    c[`${PROJECT}:heartbeat`] = { enabled: true };
    c[`${PROJECT}:alerts`] = { ...(c[`${PROJECT}:alerts`] as object), enableSecurityHub: true, emails: ["secops@corp.internal"], smsNumbers: ["+15555550100"], httpsEndpoints: ["https://hooks.corp.internal/alerts"] };
    return c;
}

function longNames(): Record<string, unknown> {
    const c = stackFileConfig("watch-example");
    c[`${PROJECT}:waf`] = { watch: [{ name: LONG_ACL, scope: "REGIONAL", rules: [LONG_RULE] }, { name: LONG_ACL, scope: "CLOUDFRONT", rules: [LONG_RULE] }] };
    return c;
}

const variants: { label: string; stack: string; config: () => Record<string, unknown> }[] = [
    ...stackNames().map((stack) => ({ label: `Pulumi.${stack}.yaml`, stack, config: () => stackFileConfig(stack) })),
    { label: "Pulumi.dev.yaml with every option on", stack: "dev", config: everyOptionOn },
    { label: "every option on, a 100-character stack name", stack: LONG_STACK, config: everyOptionOn },
    { label: "watched web ACL and rule names of 128 characters, a 100-character stack name", stack: LONG_STACK, config: longNames },
];

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("first deploy: limits and creation order", () => {
    it("alarmName leaves room for its children's suffixes and keeps a name that fits unchanged", () => {
        assert.equal(alarmName("a".repeat(200), "-spike", ["-aov-band"]), `${"a".repeat(200)}-spike`);
        const base = "b".repeat(250);
        const name = alarmName(base, "-drop", ["-baseline", "-band"]);
        assert.equal(name.length, ALARM_NAME_MAX - "-baseline".length);
        assert.ok(name.endsWith("-drop"));
        assert.notEqual(alarmName(base, "-drop", ["-baseline"]), alarmName(`${base}c`, "-drop", ["-baseline"]), "distinct names stay distinct");
        // Without children it is the name bound it always was (Redshift's alarms call it so).
        assert.equal(alarmName(base, "-drop").length, ALARM_NAME_MAX);
    });

    it("boundedAlarmDescription cuts at 1,024 UTF-8 bytes on a character boundary and keeps a short one", () => {
        assert.equal(boundedAlarmDescription("short"), "short");
        const long = "é".repeat(600); // 1,200 bytes in 600 characters
        const cut = boundedAlarmDescription(long);
        assert.ok(bytes(cut) <= ALARM_DESCRIPTION_MAX && bytes(cut) > ALARM_DESCRIPTION_MAX - 5, `${bytes(cut)} bytes`);
        assert.ok(cut.endsWith("...") && !cut.includes("\uFFFD"));
    });

    for (const variant of variants) {
        describe(variant.label, () => {
            let run: ProgramRun;
            const byName = new Map<string, Registered>();
            before(async () => {
                run = await runProgram(variant.config(), variant.stack, { exactStackName: variant.stack === LONG_STACK });
                for (const r of run.resources) byName.set(r.name, r);
            });

            it("every alarm name is within 255 bytes and every alarm description within 1,024 (PutMetricAlarm, PutCompositeAlarm)", () => {
                const over: string[] = [];
                for (const r of [...run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm"), ...run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm")]) {
                    const name = (r.inputs.name ?? r.inputs.alarmName ?? r.state.name) as string; // unnamed: auto-named from the logical name
                    const description = (r.inputs.alarmDescription ?? "") as string;
                    if (bytes(name) > ALARM_NAME_MAX) over.push(`${r.name}: name ${bytes(name)} bytes`);
                    if (bytes(description) > ALARM_DESCRIPTION_MAX) over.push(`${r.name}: description ${bytes(description)} bytes`);
                }
                assert.deepEqual(over, []);
            });

            it("every composite alarm names only alarms of this program in its rule, and is created after each of them", () => {
                const alarms = new Map(run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => [a.inputs.name as string, a]));
                for (const c of run.ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm")) {
                    const children = [...(c.inputs.alarmRule as string).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]);
                    assert.ok(children.length >= 2, c.name);
                    for (const child of children) {
                        const alarm = alarms.get(child);
                        assert.ok(alarm, `${c.name}: its rule names ${child}, which the program does not create`);
                        assert.ok(c.dependsOn.includes(alarm.name), `${c.name} is not created after ${alarm.name} (PutCompositeAlarm refuses a rule naming a missing alarm)`);
                    }
                }
            });

            it("every Lambda function is created after its role's policies and its log group", () => {
                for (const fn of run.ofType("aws:lambda/function:Function")) {
                    const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === fn.inputs.role);
                    assert.ok(role, `${fn.name}: its role is not one of this program's`);
                    for (const p of run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id || p.inputs.role === role.state.name)) {
                        assert.ok(fn.dependsOn.includes(p.name), `${fn.name} is not created after ${p.name}`);
                    }
                    const group = fn.inputs.loggingConfig?.logGroup as string | undefined;
                    assert.ok(group, `${fn.name} has no log group of its own: Lambda would create /aws/lambda/<name> itself, outside the stack`);
                    const lg = run.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.state.name === group);
                    assert.ok(lg && fn.dependsOn.includes(lg.name), `${fn.name} is not created after its log group ${group}`);
                }
            });

            it("every asynchronous-invocation destination is created after the function role's permission to send to it", () => {
                for (const cfg of run.ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")) {
                    const destination = cfg.inputs.destinationConfig?.onFailure?.destination as string | undefined;
                    if (!destination) continue;
                    const fn = run.ofType("aws:lambda/function:Function").find((f) => f.state.name === cfg.inputs.functionName);
                    assert.ok(fn && cfg.dependsOn.includes(fn.name), `${cfg.name} is not created after its function`);
                    const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === fn.inputs.role)!;
                    const grants = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => (p.inputs.role === role.id || p.inputs.role === role.state.name)
                        && (JSON.parse(p.inputs.policy as string).Statement as { Action: string | string[]; Resource: string | string[] }[])
                            .some((s) => [s.Action].flat().includes("sqs:SendMessage") && [s.Resource].flat().includes(destination)));
                    // Lambda checks the execution role when the destination is set ("The function's execution role does not
                    // have permissions to call SendMessage"); the provider retries that only while IAM propagates.
                    assert.equal(grants.length, 1, `${fn.name}'s role may not send to ${destination}`);
                    assert.ok(fn.dependsOn.includes(grants[0].name), `${fn.name} (and so ${cfg.name}) is not created after ${grants[0].name}`);
                }
            });

            it("whatever invokes a function (SNS subscription, EventBridge target) is created after the permission that lets it", () => {
                const permissions = run.ofType("aws:lambda/permission:Permission");
                const functions = run.ofType("aws:lambda/function:Function");
                const invokers = [
                    ...run.ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.protocol === "lambda")
                        .map((s) => ({ r: s, fn: s.inputs.endpoint as string, source: s.inputs.topic as string })),
                    ...run.ofType("aws:cloudwatch/eventTarget:EventTarget").filter((t) => /:lambda:/.test(t.inputs.arn as string))
                        .map((t) => ({ r: t, fn: t.inputs.arn as string, source: run.ofType("aws:cloudwatch/eventRule:EventRule").find((e) => e.state.name === t.inputs.rule)?.state.arn as string })),
                ];
                for (const { r, fn, source } of invokers) {
                    const f = functions.find((x) => x.state.arn === fn);
                    assert.ok(f, `${r.name} invokes a function this program does not create`);
                    const p = permissions.find((x) => (x.inputs.function === f.state.name || x.inputs.function === f.state.arn) && x.inputs.sourceArn === source);
                    assert.ok(p, `${r.name}: no lambda permission for ${source} on ${f.name}`);
                    assert.ok(r.dependsOn.includes(p.name), `${r.name} is not created after ${p.name}`);
                }
            });

            it("the Firehose stream is created after its role's policy; WAF logging after its log group; a logged stage after the account's logs role", () => {
                for (const fh of run.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) {
                    const roleArn = fh.inputs.extendedS3Configuration?.roleArn as string;
                    const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === roleArn)!;
                    const policies = run.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id || p.inputs.role === role.state.name);
                    assert.ok(policies.length > 0);
                    for (const p of policies) assert.ok(fh.dependsOn.includes(p.name), `${fh.name} is not created after ${p.name}`);
                }
                for (const l of run.ofType("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")) {
                    for (const arn of l.inputs.logDestinationConfigs as string[]) {
                        const lg = run.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.state.arn === arn);
                        assert.ok(lg, `${l.name} logs to a log group this program does not create`);
                        assert.match(lg.state.name as string, /^aws-waf-logs-/, "WAF logs only to log groups named aws-waf-logs-*");
                        assert.ok(l.dependsOn.includes(lg.name));
                    }
                }
                const account = run.ofType("aws:apigateway/account:Account");
                for (const stage of run.ofType("aws:apigateway/stage:Stage").filter((s) => s.inputs.accessLogSettings)) {
                    for (const a of account) assert.ok(stage.dependsOn.includes(a.name), `${stage.name} is not created after ${a.name}`);
                }
            });
        });
    }
});
