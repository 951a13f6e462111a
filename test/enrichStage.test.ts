// The enrich stage (handlers/alert/enrich.ts) on its own: which alerts get which root-cause request (window, web
// ACL, rule, direction), and that it never throws — an error or a deadline becomes a stated reason. Source and
// serialized (the functions as the finding Lambda carries them).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { ParsedAlarm, parseAlertEvent } from "../handlers/alert/parse";
import { ecommerceRequestFor, enrichAlert, wafRequestFor } from "../handlers/alert/enrich";
import { FindingSettings, productArnFor } from "../handlers/alert/asff";
import type { EcommerceRootCauseSettings } from "../handlers/enrich/ecommerceRootCause";
import { artifactsOf, forBothArtifacts } from "./serialized";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "alerts", `${name}.json`), "utf8"));
const ACCOUNT = "123456789012";
const S: FindingSettings = { accountId: ACCOUNT, region: "us-east-1", partition: "aws", productArn: productArnFor("aws", "us-east-1", ACCOUNT) };
const ECOMMERCE: EcommerceRootCauseSettings = { namespace: "EdgeAnomaly/Ecommerce", stack: "dev", periodSeconds: 300, bandWidth: 2, dimensions: { Platform: ["web", "ios"] } };

/** The ecommerce fixture as the total-series alarm (Stack dimension only). */
function totalAlarm(): unknown {
    const e = fixture("cw-ecommerce-alarm");
    const m = JSON.parse(e.Records[0].Sns.Message);
    m.AlarmName = "edge-anomaly-detection-dev-ecommerce-Revenue-total";
    m.AlarmArn = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${m.AlarmName}`;
    m.Trigger.Metrics[0].MetricStat.Metric.Dimensions = [{ name: "Stack", value: "dev" }];
    e.Records[0].Sns.Message = JSON.stringify(m);
    return e;
}

function withState(event: any, state: string): unknown {
    const e = JSON.parse(JSON.stringify(event));
    const m = JSON.parse(e.Records[0].Sns.Message);
    m.NewStateValue = state;
    e.Records[0].Sns.Message = JSON.stringify(m);
    return e;
}

const stage = () => ({ enrichAlert, wafRequestFor, ecommerceRequestFor });
type Stage = ReturnType<typeof stage>;

const unused = (what: string) => () => ({ send: async () => { throw new Error(`${what} must not be called`); } });

forBothArtifacts("enrich stage", artifactsOf<Stage>(stage, { factory: true, name: "enrich-stage" }), (get) => {
    it("a WAF band alarm: the rule's blocked requests of the breaching datapoint, on the ACL the dimensions name", () => {
        const p = parseAlertEvent(fixture("cw-waf-alarm"))[0];
        const req = get().wafRequestFor(p, { ...S, webAclArns: [`arn:aws:wafv2:us-east-1:${ACCOUNT}:regional/webacl/edge-webacl-abc123/1111`, `arn:aws:wafv2:eu-west-1:${ACCOUNT}:regional/webacl/edge-webacl-abc123/2222`] })!;
        assert.deepEqual(req.acl, { name: "edge-webacl-abc123", scope: "REGIONAL", region: "us-east-1", arn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:regional/webacl/edge-webacl-abc123/1111` }, "the ARN of the alarm's region");
        assert.equal(req.rule, "AWSManagedRulesCommonRuleSet");
        assert.deepEqual([req.window.start.toISOString(), req.window.end.toISOString()], ["2025-03-04T10:06:00.000Z", "2025-03-04T10:07:00.000Z"]);
    });

    it("a Lookout WAF anomaly: the detector's 5-minute interval from the anomaly time", () => {
        const p = parseAlertEvent(fixture("l4m-lambda-waf"))[0];
        const req = get().wafRequestFor(p, S)!;
        assert.equal(req.acl.name, "edge-webacl-abc123");
        assert.deepEqual([req.window.start.toISOString(), req.window.end.toISOString()], ["2025-03-04T10:05:00.000Z", "2025-03-04T10:10:00.000Z"]);
    });

    it("OK, INSUFFICIENT_DATA, ecommerce and pipeline-health alarms ask no WAF logs; an ecommerce ALARM on the total or on a watched value asks the series", () => {
        const waf = fixture("cw-waf-alarm");
        for (const state of ["OK", "INSUFFICIENT_DATA"]) assert.equal(get().wafRequestFor(parseAlertEvent(withState(waf, state))[0], S), undefined, state);
        assert.equal(get().wafRequestFor(parseAlertEvent(fixture("cw-dlq-alarm"))[0], S), undefined);
        // A by-dimension alarm (Revenue Platform=ios, 300 s, ANOMALY_DETECTION_BAND(m1, 2)): its dimension, at its own period and band.
        const ios = get().ecommerceRequestFor(parseAlertEvent(fixture("cw-ecommerce-alarm"))[0], ECOMMERCE)!;
        assert.deepEqual([ios.req!.focus, ios.req!.alarm, ios.req!.direction], [{ dimension: "Platform", value: "ios" }, { periodSeconds: 300, bandWidth: 2 }, "below"]);
        assert.equal(get().ecommerceRequestFor(parseAlertEvent(fixture("cw-ecommerce-alarm"))[0], { ...ECOMMERCE, dimensions: { Marketplace: ["US"] } }), undefined, "a value of a dimension not watched");
        assert.equal(get().ecommerceRequestFor(parseAlertEvent(totalAlarm())[0], undefined), undefined, "no ECOMMERCE_ROOT_CAUSE: none");
        assert.equal(get().ecommerceRequestFor(parseAlertEvent(withState(totalAlarm(), "OK"))[0], ECOMMERCE), undefined);
        const eco = get().ecommerceRequestFor(parseAlertEvent(totalAlarm())[0], ECOMMERCE)!;
        assert.deepEqual(eco.req, { metricName: "Revenue", direction: "below", window: { start: new Date("2025-03-04T10:00:00Z"), end: new Date("2025-03-04T10:10:00Z") }, alarm: { periodSeconds: 300, bandWidth: 2 } },
            "the two breaching 5-minute datapoints, below the band (the reason's values are under the lower edges)");
    });

    it("never throws: a rule name WAF would not accept, or an unexpected client error, is a stated reason", async () => {
        const e = fixture("cw-waf-alarm");
        const m = JSON.parse(e.Records[0].Sns.Message);
        m.Trigger.Metrics[0].MetricStat.Metric.Dimensions[1].value = "not a rule!";
        e.Records[0].Sns.Message = JSON.stringify(m);
        const bad = await get().enrichAlert(parseAlertEvent(e)[0], S, {
            logs: unused("logs"), cloudWatch: unused("cloudWatch"), logGroups: { "edge-webacl-abc123": "aws-waf-logs-x" }, deadlineMs: Date.now() + 1000,
        });
        assert.equal(bad!.status, "unavailable");
        assert.match(bad!.reason!, /^WAF root cause failed: WAF root cause: rule "not a rule!" is not a WAF rule name/);
        const failing = await get().enrichAlert(parseAlertEvent(fixture("cw-waf-alarm"))[0], S, {
            logs: () => ({ send: async () => { throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" }); } }),
            cloudWatch: unused("cloudWatch"), logGroups: { "edge-webacl-abc123": "aws-waf-logs-x" }, deadlineMs: Date.now() + 1000,
        });
        assert.equal(failing!.status, "partial");
        assert.match(failing!.reason!, /total: StartQuery failed: TimeoutError: socket hang up/);
    });

    it("an ecommerce breakdown that does not answer by the deadline: its calls are aborted (abortSignal), unavailable with the reason, bounded", async () => {
        const signals: AbortSignal[] = [];
        const hanging = { send: (_c: unknown, o?: { abortSignal?: AbortSignal }) => { if (o?.abortSignal) signals.push(o.abortSignal); return new Promise<never>(() => undefined); } };
        // The real timer (deadlineMs through the stage): the client never answers, so returning at all is the
        // deadline's doing; no wall-clock upper bound (a loaded machine may overrun any), only "not before it".
        const deadlineMs = Date.now() + 300;
        const rc = await get().enrichAlert(parseAlertEvent(totalAlarm())[0], S, {
            logs: unused("logs"), cloudWatch: () => hanging as never, logGroups: {}, ecommerce: ECOMMERCE, deadlineMs,
        });
        assert.ok(Date.now() >= deadlineMs - 5, "returned at the deadline, not before (timer granularity aside)");
        assert.equal(rc!.status, "unavailable");
        assert.match(rc!.reason!, /^no dimension series could be read: GetMetricData did not answer within the \d+ ms left of the enrichment budget \(aborted: total, Platform=web, Platform=ios, Platform=_other; not started: none\)$/);
        assert.equal(signals.length, 4, "4 calls at once, each with an abortSignal");
        assert.ok(signals.every((x) => x.aborted), "all aborted at the deadline");
    });

    it("an alert the stage has nothing for gives no root cause (and asks nothing)", async () => {
        const p = parseAlertEvent(fixture("cw-dlq-alarm"))[0] as ParsedAlarm;
        assert.equal(await get().enrichAlert(p, S, { logs: unused("logs"), cloudWatch: unused("cloudWatch"), logGroups: {}, ecommerce: ECOMMERCE, deadlineMs: Date.now() + 1000 }), undefined);
    });
});
