// What a first `pulumi up` in a fresh account refuses that the mocks do not: values over the limits AWS (and the
// provider's own validation, which counts UTF-8 bytes) checks, and resources created before the resource they need.
// The order comes from the registrations themselves: test/mocks.ts records each one's `dependsOn` (the request's
// dependency list — explicit `dependsOn` and every resource an input was read from), which is the order in which the
// engine creates them. Run for every stack file, the every-option-on dev config, and names at their longest.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

import { ALARM_DESCRIPTION_MAX, ALARM_NAME_MAX, alarmName, boundedAlarmDescription } from "../components/cloudwatchDetection";
import { ProgramRun, ROOT, runProgram, stackFileConfig, stackNames } from "./harness";
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

/** Every option on, plus both optional sources (the fixture the offline plan's sources test layers over dev). */
function withSources(): Record<string, unknown> {
    const fixture = yaml.load(fs.readFileSync(path.join(ROOT, "test/fixtures/sources-config/Pulumi.sources.yaml"), "utf8")) as { config: Record<string, unknown> };
    return { ...everyOptionOn(), ...fixture.config };
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
    { label: "every option on with the Redshift and DevOps Guru sources", stack: "dev", config: withSources },
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

            it("every metric alarm is one PutMetricAlarm accepts: periods, evaluation range, M of N, query counts, the band and ReturnData", () => {
                // PutMetricAlarm: Period 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods at most 86,400 s below a
                // one-hour period, else 604,800; DatapointsToAlarm 1..EvaluationPeriods; at most 20 queries, 10 metrics and
                // 10 expressions; an anomaly detection alarm's ThresholdMetricId is its ANOMALY_DETECTION_BAND query, with a
                // band operator and no Threshold; any other metric math alarm returns exactly one query (MetricDataQuery).
                const BAND_OPERATORS = ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];
                const bad: string[] = [];
                for (const a of run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
                    const i = a.inputs;
                    const q = (i.metricQueries ?? []) as { id: string; expression?: string; returnData?: boolean; metric?: { period: number } }[];
                    const periods = [...q.filter((x) => x.metric).map((x) => x.metric!.period), ...(i.period ? [i.period as number] : [])];
                    for (const p of new Set(periods)) {
                        if (![10, 20, 30].includes(p) && p % 60 !== 0) bad.push(`${a.name}: period ${p}`);
                        if (p * i.evaluationPeriods > (p < 3600 ? 86_400 : 604_800)) bad.push(`${a.name}: ${p} s x ${i.evaluationPeriods}`);
                    }
                    const m = i.datapointsToAlarm ?? i.evaluationPeriods;
                    if (m < 1 || m > i.evaluationPeriods) bad.push(`${a.name}: ${m} of ${i.evaluationPeriods}`);
                    if (q.length > 20 || q.filter((x) => x.metric).length > 10 || q.filter((x) => x.expression).length > 10) bad.push(`${a.name}: ${q.length} queries`);
                    const returned = q.filter((x) => x.returnData).length;
                    if (i.thresholdMetricId) {
                        const band = q.find((x) => x.id === i.thresholdMetricId);
                        if (!band?.returnData || !/^ANOMALY_DETECTION_BAND\(/.test(band.expression ?? "")) bad.push(`${a.name}: thresholdMetricId is not a returned band`);
                        if (!BAND_OPERATORS.includes(i.comparisonOperator)) bad.push(`${a.name}: ${i.comparisonOperator} with a band`);
                        if (i.threshold !== undefined) bad.push(`${a.name}: a threshold with a band`);
                        if (returned !== 2) bad.push(`${a.name}: ${returned} queries return data (the series and its band)`);
                    } else {
                        if (BAND_OPERATORS.includes(i.comparisonOperator)) bad.push(`${a.name}: ${i.comparisonOperator} without a band`);
                        if (q.length > 0 && returned !== 1) bad.push(`${a.name}: ${returned} queries return data`);
                        if (i.threshold === undefined) bad.push(`${a.name}: no threshold`);
                    }
                }
                assert.deepEqual(bad, []);
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

            it("whatever a service runs with a role of this program (function, Firehose, schedule, API Gateway account) is created after every policy of that role", () => {
                // A service that checks the role when the resource is created (CreateDeliveryStream, CreateSchedule,
                // PutFunctionEventInvokeConfig, UpdateAccount) must see its permissions; the provider retries only
                // while IAM propagates, not while a policy has yet to be created.
                const roles = run.ofType("aws:iam/role:Role");
                const grants = [...run.ofType("aws:iam/rolePolicy:RolePolicy"), ...run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")];
                const strings = (v: unknown): string[] => typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === "object" ? Object.values(v).flatMap(strings) : [];
                let users = 0;
                for (const r of run.resources) {
                    if (r.type.startsWith("aws:iam/")) continue;
                    const used = new Set(strings(r.inputs));
                    for (const role of roles.filter((x) => used.has(x.state.arn as string))) {
                        users += 1;
                        const of = grants.filter((g) => g.inputs.role === role.id || g.inputs.role === role.state.name);
                        assert.ok(of.length > 0, `${role.name} has no policy`);
                        for (const g of of) assert.ok(r.dependsOn.includes(g.name), `${r.name} is not created after ${g.name} (its role ${role.name}'s permissions)`);
                    }
                }
                assert.ok(users >= roles.length, "every role is used by something the check saw");
            });

            it("policies within their quotas: a role's inline policies <= 10,240 characters without white space; a queue policy <= 8,192 bytes, 20 statements, 7 actions a statement", () => {
                // IAM and STS quotas ("Role policy size cannot exceed 10,240 characters"; white space is not counted);
                // Amazon SQS policy quotas (bytes 8,192, statements 20, actions per statement 7).
                const byRole = new Map<string, number>();
                for (const p of run.ofType("aws:iam/rolePolicy:RolePolicy")) {
                    byRole.set(p.inputs.role as string, (byRole.get(p.inputs.role as string) ?? 0) + (p.inputs.policy as string).replace(/\s/g, "").length);
                }
                for (const [role, size] of byRole) assert.ok(size <= 10_240, `${role}: ${size} characters of inline policy`);
                for (const q of run.ofType("aws:sqs/queuePolicy:QueuePolicy")) {
                    const doc = JSON.parse(q.inputs.policy as string) as { Statement: { Action: string | string[] }[] };
                    assert.ok(bytes(q.inputs.policy as string) <= 8_192 && doc.Statement.length <= 20, q.name);
                    for (const st of doc.Statement) assert.ok([st.Action].flat().length <= 7, `${q.name}: ${[st.Action].flat().length} actions`);
                }
            });

            it("WAF logging is created after its log group; a logged stage after the account's logs role", () => {
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
