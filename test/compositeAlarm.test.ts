// Composite alarms (the WAF and ecommerce drop alarms: ALARM(<name>-band) AND ALARM(<name>-floor|-baseline)) reach
// the finding Lambda as notifications with AlarmRule and TriggeringChildren and no Trigger. These tests run the
// real fixtures (alarm names and queries of the dev stack's plan) through the source and the serialized Lambda
// functions, with CloudWatch and Security Hub stand-ins that validate every request against the SDK's model.
import { strict as assert } from "assert";
import type { MetricAlarm, CompositeAlarm } from "@aws-sdk/client-cloudwatch";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

import * as events from "../handlers/alertEvents";
import * as finding from "../handlers/securityHubFinding";
import { AlertClients, FindingSettings, productArnFor } from "../handlers/securityHubFinding";
import { AlarmSpec, planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { cloudWatchDetectionArgs } from "../componentArgs";
import { wafRuleMetricNames } from "../model/wafRules";
import { describedMetricAlarm } from "./alertCalls";
import { stackFileConfig } from "./harness";
import { commandProblems } from "./standins/sdkModel";
import { artifactsOf, forBothArtifacts } from "./serialized";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cwModel = require("@aws-sdk/client-cloudwatch") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hubModel = require("@aws-sdk/client-securityhub") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snsModel = require("@aws-sdk/client-sns") as Record<string, unknown>;

const compositeFunctions = () => ({ parseAlertEvent: events.parseAlertEvent, planAlert: finding.planAlert, handleAlertEvent: finding.handleAlertEvent });
type Fns = ReturnType<typeof compositeFunctions>;
const artifacts = artifactsOf<Fns>(compositeFunctions, { factory: true, name: "composite-finding-functions" });

const PROJECT = "edge-anomaly-detection";
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const WEB_ACL = "edge-webacl-abc123";
const settings: FindingSettings = { accountId: ACCOUNT, region: REGION, partition: "aws", productArn: productArnFor("aws", REGION, ACCOUNT) };
const arn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixture = (name: string): any => JSON.parse(JSON.stringify(require(`./fixtures/alerts/${name}.json`)));
const message = (name: string): any => JSON.parse(fixture(name).Records[0].Sns.Message);

/** The dev stack's alarm plan (what the program deploys), with the fixtures' web ACL name. */
function devPlan(): AlarmSpec[] {
    const file = stackFileConfig("dev");
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file)) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parseConfig } = require("../config") as typeof import("../config");
    const cfg = parseConfig(raw, { stack: "dev", region: REGION });
    return planCloudWatchAlarms(cloudWatchDetectionArgs(cfg, { webAcls: [{ key: "", name: WEB_ACL, scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }], alerts: { topicArn: "unused" } }));
}
const plan = devPlan();
const spec = (name: string) => plan.find((s) => s.alarmName === name) ?? assert.fail(`no planned alarm ${name}`);

/** The band child as DescribeAlarms returns it: the planned queries in the API's shape, and a state reason. */
const bandChild = (s: AlarmSpec, reason: string, since: string): MetricAlarm =>
    describedMetricAlarm({ ...s, alarmName: s.gate!.bandAlarmName, description: undefined }, arn(s.gate!.bandAlarmName), "ALARM", reason, since);

const WAF = "edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked-requests-spike";
const DROP = "edge-anomaly-detection-dev-ecommerce-views-platform-web-drop";
const WAF_REASON = "Thresholds Crossed: 1 out of the last 2 datapoints [412.0 (04/03/25 10:06:00)] was greater than the upper thresholds [38.52791304612537] (minimum 1 datapoint for OK -> ALARM transition).";
const DROP_REASON = "Thresholds Crossed: 3 out of the last 3 datapoints [4.0 (04/03/25 11:13:00), 2.0 (04/03/25 11:12:00), 3.0 (04/03/25 11:11:00)] were less than the lower thresholds [61.2, 60.8, 60.1] (minimum 3 datapoints for OK -> ALARM transition).";

/** CloudWatch stand-in: metric alarms and composite alarms by name; AlarmTypes decides which kinds answer, as the API does (default MetricAlarm). */
function cloudWatch(metric: MetricAlarm[], composite: CompositeAlarm[]) {
    const requests: any[] = [];
    const sender = {
        send: async (cmd: any) => {
            assert.equal(cmd.constructor.name, "DescribeAlarmsCommand", "the function calls nothing but DescribeAlarms on CloudWatch");
            assert.deepEqual(commandProblems(cwModel, cmd), [], "DescribeAlarms request valid for the SDK model");
            requests.push(cmd.input);
            const types: string[] = cmd.input.AlarmTypes ?? ["MetricAlarm"];
            const names: string[] = cmd.input.AlarmNames ?? [];
            return {
                MetricAlarms: types.includes("MetricAlarm") ? metric.filter((a) => names.includes(a.AlarmName!)) : [],
                CompositeAlarms: types.includes("CompositeAlarm") ? composite.filter((a) => names.includes(a.AlarmName!)) : [],
            };
        },
    };
    return { sender, requests };
}

/** Security Hub stand-in keeping findings by Id; every request validated against the SDK model. */
function securityHub() {
    const store = new Map<string, AwsSecurityFinding>();
    const requests: any[] = [];
    const sender = {
        send: async (cmd: any) => {
            assert.deepEqual(commandProblems(hubModel, cmd), [], `${cmd.constructor.name} request valid for the SDK model`);
            requests.push(cmd);
            if (cmd.constructor.name === "BatchImportFindingsCommand") {
                for (const f of cmd.input.Findings) store.set(f.Id, f);
                return { FailedCount: 0, SuccessCount: cmd.input.Findings.length, FailedFindings: [] };
            }
            if (cmd.constructor.name === "GetFindingsCommand") {
                const f = cmd.input.Filters;
                return { Findings: [...store.values()].filter((x) => x.GeneratorId === f.GeneratorId[0].Value && x.RecordState === f.RecordState[0].Value) };
            }
            throw new Error(`unexpected ${cmd.constructor.name}`);
        },
    };
    return { sender, store, requests };
}

const compositeNow = (name: string, state: "ALARM" | "OK", since: string): CompositeAlarm => ({
    AlarmName: name, AlarmArn: arn(name), StateValue: state, StateTransitionedTimestamp: new Date(since), StateUpdatedTimestamp: new Date(since),
    AlarmRule: `ALARM("${name}-band") AND ALARM("${name}-floor")`,
});
const quiet = { log: () => undefined, now: () => new Date("2025-03-04T12:00:00.000Z") };

describe("composite alarm fixtures are the program's", () => {
    it("names, rules and children of the fixtures are the dev plan's composites", () => {
        for (const [name, file] of [[WAF, "cw-waf-composite-alarm"], [WAF, "cw-waf-composite-ok"], [DROP, "cw-drop-composite-alarm"]]) {
            const s = spec(name);
            const m = message(file);
            assert.equal(m.AlarmName, s.alarmName);
            assert.equal(m.AlarmRule, `ALARM("${s.gate!.bandAlarmName}") AND ALARM("${s.gate!.alarmName}")`);
            assert.equal(m.Trigger, undefined, "a composite notification has no Trigger");
            for (const c of m.TriggeringChildren) assert.ok([s.gate!.bandAlarmName, s.gate!.alarmName].map(arn).includes(c.Arn), c.Arn);
        }
    });
});

forBothArtifacts("finding Lambda: composite alarms", artifacts, (get) => {
    it("parses a composite notification: rule, children, no Trigger", () => {
        const [p] = get().parseAlertEvent(fixture("cw-drop-composite-alarm"));
        assert.equal(p.kind, "composite");
        if (p.kind !== "composite") return;
        assert.deepEqual(p.ruleAlarmNames, [`${DROP}-band`, `${DROP}-baseline`]);
        assert.deepEqual(p.notification.TriggeringChildren.map((c) => [c.name, c.State.Value]), [[`${DROP}-baseline`, "ALARM"], [`${DROP}-band`, "ALARM"]]);
        assert.equal(p.stateChangeTime.toISOString(), "2025-03-04T11:14:06.512Z");
    });

    it("rejects a malformed composite notification with the field and the reason", () => {
        const bad = (edit: (m: any) => void) => {
            const ev = fixture("cw-waf-composite-alarm");
            const m = JSON.parse(ev.Records[0].Sns.Message);
            edit(m);
            ev.Records[0].Sns.Message = JSON.stringify(m);
            return ev;
        };
        assert.throws(() => get().parseAlertEvent(bad((m) => { m.AlarmRule = "TRUE"; })), (e: Error) => e.name === events.ALERT_PARSE_ERROR && /AlarmRule names no alarm/.test(e.message));
        assert.throws(() => get().parseAlertEvent(bad((m) => { m.TriggeringChildren[0].Arn = "band"; })), /TriggeringChildren\[0\]\.Arn must be a CloudWatch alarm ARN/);
        assert.throws(() => get().parseAlertEvent(bad((m) => { m.TriggeringChildren[0].State = { Value: "RED" }; })), /TriggeringChildren\[0\]\.State\.Value must be one of OK, ALARM, INSUFFICIENT_DATA/);
    });

    it("WAF composite ALARM → a finding from the band child: metric, band severity, web ACL; Id = composite ARN + StateChangeTime", async () => {
        const cw = cloudWatch([bandChild(spec(WAF), WAF_REASON, "2025-03-04T10:07:23.880Z")], [compositeNow(WAF, "ALARM", "2025-03-04T10:07:24.105Z")]);
        const hub = securityHub();
        const out = await get().handleAlertEvent(fixture("cw-waf-composite-alarm"), { securityHub: hub.sender, cloudWatch: cw.sender } as unknown as AlertClients,
            { ...settings, webAclArn: `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/${WEB_ACL}/0d1e2f3a` }, quiet);
        assert.deepEqual(out.outcomes.map((o) => [o.action, o.recordState]), [["imported", "ACTIVE"]]);
        const [f] = [...hub.store.values()];
        assert.equal(f.Id, `${arn(WAF)}/2025-03-04T10:07:24.105Z`);
        assert.equal(f.GeneratorId, arn(WAF));
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/WAF Blocked Requests Anomaly"]);
        assert.deepEqual(f.Severity, { Label: "CRITICAL", Normalized: 90, Original: "10.69x outside the band" });
        assert.equal(f.Title, "WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123");
        assert.equal(f.FirstObservedAt, "2025-03-04T10:06:00.000Z");
        assert.deepEqual(f.Resources!.map((r) => [r.Type, r.Id]), [
            ["Other", "AWS/WAFV2/BlockedRequests{Region=us-east-1,Rule=AWSManagedRulesCommonRuleSet,WebACL=edge-webacl-abc123}"],
            ["AwsWafv2WebAcl", `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/${WEB_ACL}/0d1e2f3a`],
            ["Other", arn(WAF)],
        ]);
        assert.equal(f.ProductFields![`${finding.PF}bandAlarmName`], `${WAF}-band`);
        assert.equal(f.ProductFields![`${finding.PF}compositeRule`], message("cw-waf-composite-alarm").AlarmRule);
        assert.match(f.Description!, /^CloudWatch composite alarm edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked-requests-spike went from OK to ALARM/);
        // The band child is read as a metric alarm; the episode check asks for the composite as a composite.
        assert.deepEqual(cw.requests, [
            { AlarmNames: [`${WAF}-band`], AlarmTypes: ["MetricAlarm"] },
            { AlarmNames: [WAF], AlarmTypes: ["CompositeAlarm"] },
            { AlarmNames: [WAF], AlarmTypes: ["CompositeAlarm"] },
        ]);
    });

    it("drop composite ALARM → an ecommerce finding below the band, with the stream", async () => {
        const s = spec(DROP);
        const cw = cloudWatch([bandChild(s, DROP_REASON, "2025-03-04T11:14:06.301Z")], [{ ...compositeNow(DROP, "ALARM", "2025-03-04T11:14:06.512Z"), AlarmRule: message("cw-drop-composite-alarm").AlarmRule }]);
        const hub = securityHub();
        const stream = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/edge-anomaly-detection-dev-ecommerce-events`;
        await get().handleAlertEvent(fixture("cw-drop-composite-alarm"), { securityHub: hub.sender, cloudWatch: cw.sender } as unknown as AlertClients, { ...settings, ecommerceStreamArn: stream }, quiet);
        const [f] = [...hub.store.values()];
        assert.equal(f.Id, `${arn(DROP)}/2025-03-04T11:14:06.512Z`);
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/Ecommerce Traffic Anomaly"]);
        // 2 against a lower edge of 60.8: 30.4x.
        assert.deepEqual(f.Severity, { Label: "CRITICAL", Normalized: 90, Original: "30.4x outside the band" });
        assert.equal(f.Title, "Ecommerce Views anomaly below the expected band: Platform=web");
        assert.deepEqual(f.Resources!.map((r) => r.Id), ["EdgeAnomaly/Ecommerce/Views{Stack=dev,Platform=web}", stream, arn(DROP)]);
        assert.equal(f.RecordState, "ACTIVE");
    });

    it("composite OK → archives the composite's ACTIVE findings", async () => {
        const hub = securityHub();
        const cw = cloudWatch([bandChild(spec(WAF), WAF_REASON, "2025-03-04T10:07:23.880Z")], [compositeNow(WAF, "ALARM", "2025-03-04T10:07:24.105Z")]);
        const c = { securityHub: hub.sender, cloudWatch: cw.sender } as unknown as AlertClients;
        await get().handleAlertEvent(fixture("cw-waf-composite-alarm"), c, settings, quiet);
        const before = cw.requests.length;
        const out = await get().handleAlertEvent(fixture("cw-waf-composite-ok"), c, settings, quiet);
        assert.equal(cw.requests.length, before, "an OK reads no alarm state");
        assert.deepEqual(out.outcomes.map((o) => [o.action, o.findingIds]), [["archived", [`${arn(WAF)}/2025-03-04T10:07:24.105Z`]]]);
        assert.equal([...hub.store.values()][0].RecordState, "ARCHIVED");
    });

    it("episode check with a composite: an ALARM delivered after the composite went OK is filed ARCHIVED", async () => {
        const hub = securityHub();
        const cw = cloudWatch([bandChild(spec(WAF), WAF_REASON, "2025-03-04T10:07:23.880Z")], [compositeNow(WAF, "OK", "2025-03-04T10:31:02.377Z")]);
        const out = await get().handleAlertEvent(fixture("cw-waf-composite-alarm"), { securityHub: hub.sender, cloudWatch: cw.sender } as unknown as AlertClients, settings, quiet);
        assert.equal(out.outcomes[0].recordState, "ARCHIVED");
        assert.match(out.outcomes[0].reason!, /is OK since 2025-03-04T10:31:02.377Z/);
        assert.equal([...hub.store.values()][0].ProductFields![`${finding.PF}resolvedAt`], "2025-03-04T10:31:02.377Z");
    });

    it("people get one notice for the composite's finding: what, how far outside the band, when", async () => {
        const published: any[] = [];
        const sns = { send: async (cmd: any) => {
            assert.deepEqual(commandProblems(snsModel, cmd), [], "Publish request valid for the SDK model");
            published.push(cmd.input);
            return { MessageId: "m-1" };
        } };
        const cw = cloudWatch([bandChild(spec(WAF), WAF_REASON, "2025-03-04T10:07:23.880Z")], [compositeNow(WAF, "ALARM", "2025-03-04T10:07:24.105Z")]);
        const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-anomaly-detection-dev-alerts-people`;
        await get().handleAlertEvent(fixture("cw-waf-composite-alarm"), { securityHub: securityHub().sender, cloudWatch: cw.sender, sns } as unknown as AlertClients,
            { ...settings, peopleTopicArn: topic } as FindingSettings, quiet);
        assert.equal(published.length, 1);
        assert.equal(published[0].TopicArn, topic);
        assert.equal(published[0].Subject, "[CRITICAL] WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleS...");
        const lines = published[0].Message.split("\n");
        assert.deepEqual(lines.slice(0, 3), [
            "CRITICAL: WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123",
            "How far: 10.69x outside the band (value 412; band upper 38.527913)",
            "When: 2025-03-04T10:06:00.000Z",
        ]);
    });

    it("a band child DescribeAlarms does not find fails the alert with its name (to the DLQ), nothing filed", async () => {
        const hub = securityHub();
        const cw = cloudWatch([], [compositeNow(WAF, "ALARM", "2025-03-04T10:07:24.105Z")]);
        await assert.rejects(get().handleAlertEvent(fixture("cw-waf-composite-alarm"), { securityHub: hub.sender, cloudWatch: cw.sender } as unknown as AlertClients, settings, quiet),
            /its band child edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked-requests-spike-band was not found by DescribeAlarms/);
        assert.equal(hub.store.size, 0);
    });
});
