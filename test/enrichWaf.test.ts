// WAF root cause (handlers/enrich/wafRootCause.ts) against the local Logs Insights stand-in: the real SDK clients
// talk HTTP to test/standins/cloudWatchLogs.ts, which runs the queries over WAF log records and validates every
// request against the SDK's own operation schema.
import * as assert from "assert";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { WAFV2Client } from "@aws-sdk/client-wafv2";

import {
    alarmWindow, Clock, findWafLogGroup, POLL, WafAclRef, wafContributions, wafLogGroupsFromEnv, wafQueries, wafRootCause,
    WafRootCauseDeps, WafRootCauseRequest, wafRootCauseStatements, wafRequestFromAlarm,
} from "../handlers/enrich/wafRootCause";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { LogsInsightsStandin } from "./standins/cloudWatchLogs";

const GROUP = "aws-waf-logs-edge-anomaly-dev";
const ACL_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge-acl/0f1e2d3c-aaaa-bbbb-cccc-000000000001";
const ACL: WafAclRef = { name: "edge-acl", scope: "REGIONAL", region: "eu-west-1", arn: ACL_ARN };
const T0 = Date.parse("2026-12-01T10:00:00Z");
const WINDOW = { start: new Date(T0), end: new Date(T0 + 5 * 60_000) };
const creds = { accessKeyId: "AKIDTEST", secretAccessKey: "secret" };

interface Rec {
    at?: number; ip?: string; country?: string; uri?: string; method?: string; rule?: string; action?: string;
    labels?: string[]; ua?: string | null; uaHeader?: string; counted?: string;
}

/** A WAF log record in the documented shape (logging-fields / logging-examples pages). */
function wafRecord(r: Rec) {
    const headers = [{ name: "Host", value: "api.example.com" }];
    if (r.ua !== null) headers.push({ name: r.uaHeader ?? "User-Agent", value: r.ua ?? "curl/8.5.0" });
    return {
        timestamp: r.at ?? T0 + 60_000,
        formatVersion: 1,
        webaclId: ACL_ARN,
        terminatingRuleId: r.rule ?? "AWSManagedRulesCommonRuleSet",
        terminatingRuleType: r.rule === "Default_Action" ? "REGULAR" : "MANAGED_RULE_GROUP",
        action: r.action ?? "BLOCK",
        terminatingRuleMatchDetails: [],
        httpSourceName: "APIGW",
        httpSourceId: "123456789012:abc123:prod",
        ruleGroupList: [],
        rateBasedRuleList: [],
        nonTerminatingMatchingRules: r.counted ? [{ ruleId: r.counted, action: "COUNT", ruleMatchDetails: [] }] : [],
        requestHeadersInserted: null,
        responseCodeSent: null,
        httpRequest: {
            clientIp: r.ip ?? "198.51.100.7", country: r.country ?? "US", headers, uri: r.uri ?? "/", args: "q=x",
            httpVersion: "HTTP/1.1", httpMethod: r.method ?? "GET", requestId: "req",
        },
        labels: (r.labels ?? []).map((name) => ({ name })),
    };
}

function many(n: number, r: Rec) {
    return Array.from({ length: n }, (_, i) => wafRecord({ ...r, at: (r.at ?? T0 + 60_000) + i }));
}

function virtualClock(start = T0 + 6 * 60_000): Clock & { t: number } {
    const c = { t: start, now: () => c.t, sleep: async (ms: number) => { c.t += ms; } };
    return c;
}

/** The module's entry points as one closure: the test runs them from source and as Pulumi serializes them. */
const moduleFactory = () => ({ wafRootCause });

forBothArtifacts("WAF root cause (Logs Insights stand-in)", artifactsOf<{ wafRootCause: typeof wafRootCause }>(moduleFactory, { factory: true, name: "enrich-waf" }), (get) => {
    const standin = new LogsInsightsStandin();
    const wafRootCause: typeof import("../handlers/enrich/wafRootCause").wafRootCause = (req, d) => get().wafRootCause(req, d);
    let deps: (over?: Partial<WafRootCauseDeps>) => WafRootCauseDeps;
    const regionsAsked: string[] = [];

    before(async () => {
        await standin.start();
        deps = (over = {}) => ({
            logs: (region) => {
                regionsAsked.push(region);
                return new CloudWatchLogsClient({ region, endpoint: standin.endpoint, credentials: creds, maxAttempts: 1 });
            },
            wafv2: (region) => new WAFV2Client({ region, endpoint: standin.endpoint, credentials: creds, maxAttempts: 1 }),
            logGroups: { [ACL_ARN]: GROUP },
            clock: virtualClock(),
            ...over,
        });
    });
    after(() => standin.stop());
    beforeEach(() => {
        standin.reset();
        regionsAsked.length = 0;
    });
    afterEach(() => assert.deepStrictEqual(standin.problems(), [], "every request matches the SDK's model"));

    /** 100 blocked requests in the window: 60 from 203.0.113.9 (CN), 30 from 198.51.100.7 (US), 10 from 192.0.2.1 (DE). */
    function attack() {
        standin.putEvents(GROUP, [
            ...many(60, { ip: "203.0.113.9", country: "CN", uri: "/login", method: "POST", labels: ["awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body", "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"], ua: "sqlmap/1.7" }),
            ...many(30, { ip: "198.51.100.7", country: "US", uri: "/search", method: "GET", labels: ["awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments"], ua: "Mozilla/5.0", uaHeader: "user-agent" }),
            ...many(10, { ip: "192.0.2.1", country: "DE", uri: "/login", method: "GET", rule: "rate-limit", ua: null }),
            // not counted: allowed requests, blocks before and after the window, another web ACL's group
            ...many(500, { ip: "192.0.2.200", country: "FR", action: "ALLOW", rule: "Default_Action" }),
            ...many(40, { ip: "192.0.2.50", at: T0 - 120_000 }),
            ...many(40, { ip: "192.0.2.51", at: T0 + 5 * 60_000 + 2_000 }),
        ]);
        standin.putEvents("aws-waf-logs-other-acl", many(70, { ip: "192.0.2.99" }));
    }

    const req = (over: Partial<WafRootCauseRequest> = {}): WafRootCauseRequest => ({ acl: ACL, rule: "ALL", window: WINDOW, ...over });

    it("Rule=ALL: top IPs, countries, URIs, rules, labels, methods and user agents with counts and shares of the window's blocked requests", async () => {
        attack();
        const r = await wafRootCause(req(), deps());
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.total, 100);
        assert.strictEqual(r.logGroup, GROUP);
        assert.strictEqual(r.logGroupSource, "configured");
        // each IP with the country WAF resolved for it (grouped by both)
        assert.deepStrictEqual(r.top.clientIp, [
            { value: "203.0.113.9", country: "CN", count: 60, share: 60 }, { value: "198.51.100.7", country: "US", count: 30, share: 30 }, { value: "192.0.2.1", country: "DE", count: 10, share: 10 },
        ]);
        assert.deepStrictEqual(r.top.country?.map((t) => [t.value, t.count, t.share]), [["CN", 60, 60], ["US", 30, 30], ["DE", 10, 10]]);
        assert.deepStrictEqual(r.top.uri?.map((t) => [t.value, t.count]), [["/login", 70], ["/search", 30]]);
        assert.deepStrictEqual(r.top.terminatingRule?.map((t) => [t.value, t.count]), [["AWSManagedRulesCommonRuleSet", 90], ["rate-limit", 10]]);
        assert.deepStrictEqual(r.top.httpMethod?.map((t) => [t.value, t.count, t.share]), [["GET", 40, 40], ["POST", 60, 60]].sort((a, b) => Number(b[1]) - Number(a[1])));
        // labels: a request carries several, so shares need not add up to 100
        assert.deepStrictEqual(r.top.label?.map((t) => [t.value, t.count]), [
            ["awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body", 60],
            ["awswaf:managed:aws:core-rule-set:SizeRestrictions_Body", 60],
            ["awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments", 30],
        ]);
        // both header spellings; requests without the header are not attributed
        assert.deepStrictEqual(r.top.userAgent?.map((t) => [t.value, t.count]), [["sqlmap/1.7", 60], ["Mozilla/5.0", 30]]);
        assert.deepStrictEqual(r.incomplete, []);
    });

    it("scopes every query to the web ACL's log group and the window (epoch seconds), one query per dimension plus the total", async () => {
        attack();
        await wafRootCause(req(), deps());
        const starts = standin.of("StartQuery");
        assert.strictEqual(starts.length, 8);
        for (const s of starts) {
            assert.strictEqual(s.body.logGroupName, GROUP);
            assert.strictEqual(s.body.startTime, T0 / 1000);
            assert.strictEqual(s.body.endTime, T0 / 1000 + 300);
            assert.match(String(s.body.queryString), /^filter action = "BLOCK" \|/);
            assert.ok(String(s.body.queryString).length <= 10_000, "queryString within StartQuery's documented 10,000 characters");
        }
        assert.deepStrictEqual(regionsAsked, ["eu-west-1"]);
        assert.ok(standin.of("GetQueryResults").length >= 8);
        assert.strictEqual(standin.of("StopQuery").length, 0, "nothing stopped when everything completed");
    });

    it("a blocking rule: only requests that rule terminated; no terminating-rule breakdown (it is the rule itself)", async () => {
        attack();
        const r = await wafRootCause(req({ rule: "rate-limit" }), deps());
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.total, 10);
        assert.deepStrictEqual(r.top.clientIp, [{ value: "192.0.2.1", country: "DE", count: 10, share: 100 }]);
        assert.strictEqual(r.top.terminatingRule, undefined);
        assert.strictEqual(standin.of("StartQuery").length, 7);
        assert.ok(standin.of("StartQuery").every((s) => String(s.body.queryString).startsWith(`filter action = "BLOCK" and terminatingRuleId = "rate-limit" |`)));
    });

    it("a counting rule: the requests it counted (nonTerminatingMatchingRules), whatever terminated them", async () => {
        standin.putEvents(GROUP, [
            ...many(8, { ip: "203.0.113.20", action: "ALLOW", rule: "Default_Action", counted: "rate-limit" }),
            ...many(2, { ip: "203.0.113.21", counted: "rate-limit" }),
            ...many(50, { ip: "203.0.113.22", counted: "other-rule", action: "ALLOW", rule: "Default_Action" }),
        ]);
        const r = await wafRootCause(req({ rule: "rate-limit", ruleAction: "count" }), deps());
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.measure, "counted");
        assert.strictEqual(r.total, 10);
        assert.deepStrictEqual(r.top.clientIp?.map((t) => [t.value, t.count, t.share]), [["203.0.113.20", 8, 80], ["203.0.113.21", 2, 20]]);
        assert.deepStrictEqual(r.top.terminatingRule?.map((t) => [t.value, t.count]), [["Default_Action", 8], ["AWSManagedRulesCommonRuleSet", 2]]);
    });

    it("a query that does not finish before the deadline: stopped, rows so far kept, status partial with the reason", async () => {
        standin.putEvents(GROUP, many(100, { ip: "203.0.113.9" }));
        standin.behaviour.neverComplete = true;
        const clock = virtualClock();
        const r = await wafRootCause(req(), deps({ clock, deadlineMs: clock.t + 5_000 }));
        assert.strictEqual(r.status, "partial");
        assert.match(r.reason!, /did not finish within the 5 s budget/);
        assert.ok(r.incomplete.length >= 1 && r.incomplete.every((i) => /still Running at the deadline; stopped|not started before the deadline/.test(i.reason)), JSON.stringify(r.incomplete));
        // the running ones were stopped; rows seen so far (the stand-in's first half) are kept
        const stopped = standin.of("StopQuery").map((s) => s.body.queryId);
        assert.ok(stopped.length >= 1 && stopped.length <= 4, `at most the 4 running queries are stopped (${stopped.length})`);
        assert.strictEqual(r.total, 50, "partial total: at least this many");
        assert.ok(clock.t <= T0 + 6 * 60_000 + 5_000, "no wait past the deadline");
    });

    it("slow queries within the deadline: polled with backoff until complete", async () => {
        attack();
        standin.behaviour.runningPolls = 3;
        const clock = virtualClock();
        const r = await wafRootCause(req(), deps({ clock, deadlineMs: clock.t + 20_000 }));
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.total, 100);
        // two waves of 4 queries, 4 polls each: 250, 400, 640, 1024 ms, then again growing to the 2 s cap
        assert.ok(clock.t - (T0 + 6 * 60_000) >= POLL.firstMs * 4, "waited between polls");
    });

    it("too many concurrent queries in the account (LimitExceededException): waits and retries within the deadline", async () => {
        attack();
        standin.behaviour.limitExceeded = 2;
        const r = await wafRootCause(req(), deps());
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.total, 100);
        assert.strictEqual(standin.of("StartQuery").length, 10, "two refused, then all eight");
    });

    it("a failed query leaves its dimension out with the reason; the rest is kept (partial)", async () => {
        attack();
        standin.behaviour.failWhenQueryContains = "unnest record.labels";
        const r = await wafRootCause(req(), deps());
        assert.strictEqual(r.status, "partial");
        assert.match(r.reason!, /label: query q-\d+ ended Failed/);
        assert.strictEqual(r.top.clientIp?.[0].count, 60);
    });

    it("a log group that does not exist: unavailable with the reason, never a throw", async () => {
        const r = await wafRootCause(req(), deps({ logGroups: { [ACL_ARN]: "aws-waf-logs-deleted" } }));
        assert.strictEqual(r.status, "unavailable");
        assert.match(r.reason!, /log group aws-waf-logs-deleted does not exist in eu-west-1/);
        assert.deepStrictEqual(r.top, {});
        assert.strictEqual(standin.of("StartQuery").length, 1, "stops at the first refusal");
    });

    it("an ACL without a configured group: its logging configuration names the CloudWatch Logs group (region from the ARN)", async () => {
        attack();
        standin.loggingConfigurations.set(ACL_ARN, [`arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}`]);
        const r = await wafRootCause(req(), deps({ logGroups: {} }));
        assert.strictEqual(r.status, "complete", r.reason);
        assert.strictEqual(r.logGroupSource, "logging-configuration");
        assert.strictEqual(r.total, 100);
        assert.deepStrictEqual(standin.of("GetLoggingConfiguration").map((x) => x.body), [{ ResourceArn: ACL_ARN }]);
    });

    it("an ACL that logs to S3 or Firehose, or not at all: unavailable, saying where it logs", async () => {
        standin.loggingConfigurations.set(ACL_ARN, ["arn:aws:s3:::aws-waf-logs-archive"]);
        let r = await wafRootCause(req(), deps({ logGroups: {} }));
        assert.strictEqual(r.status, "unavailable");
        assert.match(r.reason!, /logs to S3 bucket arn:aws:s3:::aws-waf-logs-archive, not to CloudWatch Logs/);
        standin.loggingConfigurations.set(ACL_ARN, ["arn:aws:firehose:eu-west-1:123456789012:deliverystream/aws-waf-logs-stream"]);
        r = await wafRootCause(req(), deps({ logGroups: {} }));
        assert.match(r.reason!, /logs to Firehose delivery stream/);
        standin.loggingConfigurations.clear();
        r = await wafRootCause(req(), deps({ logGroups: {} }));
        assert.match(r.reason!, /has no logging configuration/);
        r = await wafRootCause(req({ acl: { ...ACL, arn: undefined } }), deps({ logGroups: {} }));
        assert.match(r.reason!, /ARN is not known/);
        assert.strictEqual(standin.of("StartQuery").length, 0);
    });

    it("a CLOUDFRONT ACL's logging configuration is read in us-east-1 and its log group queried there", async () => {
        const arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cf-acl/0f1e2d3c-aaaa-bbbb-cccc-000000000002";
        standin.loggingConfigurations.set(arn, ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-cf"]);
        standin.putEvents("aws-waf-logs-cf", many(3, {}));
        const r = await wafRootCause(req({ acl: { name: "cf-acl", scope: "CLOUDFRONT", region: "us-east-1", arn } }), deps({ logGroups: {} }));
        assert.strictEqual(r.total, 3);
        assert.deepStrictEqual(regionsAsked, ["us-east-1"]);
    });

    it("no blocked request in the window: complete, total 0, with a note on why", async () => {
        standin.putEvents(GROUP, many(5, { action: "ALLOW" }));
        const r = await wafRootCause(req(), deps());
        assert.strictEqual(r.status, "complete");
        assert.strictEqual(r.total, 0);
        assert.match(r.reason!, /no blocked requests/);
    });
});

describe("WAF root cause: queries, window, log groups, IAM (pure)", () => {
    it("alarm window: the evaluation periods ending at the state change, period-aligned; or the breaching datapoints", () => {
        const at = new Date("2026-12-01T10:07:24Z");
        assert.deepStrictEqual(alarmWindow({ stateChangeTime: at, periodSeconds: 60, evaluationPeriods: 3 }),
            { start: new Date("2026-12-01T10:04:00Z"), end: at });
        assert.deepStrictEqual(alarmWindow({ stateChangeTime: at, periodSeconds: 300, evaluationPeriods: 2, datapointTimes: [new Date("2026-12-01T09:55:00Z"), new Date("2026-12-01T10:00:00Z")] }),
            { start: new Date("2026-12-01T09:55:00Z"), end: new Date("2026-12-01T10:05:00Z") }, "earliest datapoint to the end of the latest");
        assert.deepStrictEqual(alarmWindow({ stateChangeTime: at, periodSeconds: 300, evaluationPeriods: 2, datapointTimes: [new Date("2026-12-01T10:05:00Z")] }),
            { start: new Date("2026-12-01T10:05:00Z"), end: at }, "end capped at the state change");
        assert.throws(() => alarmWindow({ stateChangeTime: at, periodSeconds: 0, evaluationPeriods: 1 }), /must be positive/);
    });

    it("rejects a rule name WAF would not accept (no query injection) and an empty window", async () => {
        assert.throws(() => wafQueries({ acl: ACL, rule: 'x" or action = "ALLOW', window: WINDOW }), /is not a WAF rule name/);
        await assert.rejects(wafRootCause({ acl: ACL, rule: "ALL", window: { start: WINDOW.end, end: WINDOW.start } }, { logs: () => { throw new Error("unused"); } }), /is empty/);
    });

    it("WAF_LOG_GROUPS: JSON map; a malformed value names the variable", async () => {
        assert.deepStrictEqual(wafLogGroupsFromEnv({}), {});
        assert.deepStrictEqual(wafLogGroupsFromEnv({ WAF_LOG_GROUPS: JSON.stringify({ [ACL_ARN]: GROUP }) }), { [ACL_ARN]: GROUP });
        assert.throws(() => wafLogGroupsFromEnv({ WAF_LOG_GROUPS: "{" }), /WAF_LOG_GROUPS is not JSON/);
        assert.throws(() => wafLogGroupsFromEnv({ WAF_LOG_GROUPS: "[1]" }), /WAF_LOG_GROUPS must be a JSON object/);
        // by name when the ARN is unknown; a configured ARN gives the group's region
        const byName = await findWafLogGroup({ ...ACL, arn: undefined }, { logGroups: { "edge-acl": `arn:aws:logs:eu-central-1:123456789012:log-group:${GROUP}:*` } });
        assert.deepStrictEqual(byName, { found: { name: GROUP, region: "eu-central-1", arn: `arn:aws:logs:eu-central-1:123456789012:log-group:${GROUP}`, source: "configured" } });
    });

    it("a configured group that is not a WAF log group is refused with the reason", async () => {
        const r = await wafRootCause({ acl: ACL, rule: "ALL", window: WINDOW }, { logs: () => { throw new Error("unused"); }, logGroups: { [ACL_ARN]: "/aws/lambda/x" } });
        assert.strictEqual(r.status, "unavailable");
        assert.match(r.reason!, /not a WAF log group/);
    });

    it("IAM: StartQuery only on the named WAF log groups, results/stop by query id, logging configuration only of the named ACLs; no * action", () => {
        const st = wafRootCauseStatements({ logGroupArns: [`arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}:*`], webAclArns: [ACL_ARN] });
        assert.deepStrictEqual(st, [
            { Sid: "QueryWafLogGroups", Effect: "Allow", Action: ["logs:StartQuery"], Resource: [`arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}`, `arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}:*`] },
            { Sid: "ReadAndStopOwnQueries", Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: "*" },
            { Sid: "ReadWebAclLoggingConfiguration", Effect: "Allow", Action: ["wafv2:GetLoggingConfiguration"], Resource: [ACL_ARN] },
        ]);
        assert.ok(st.every((s) => s.Action.every((a) => !a.includes("*"))));
        assert.throws(() => wafRootCauseStatements({ logGroupArns: ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x"] }), /not a WAF log group/);
        assert.throws(() => wafRootCauseStatements({ logGroupArns: ["aws-waf-logs-x"] }), /not a log group ARN/);
        assert.deepStrictEqual(wafRootCauseStatements({ logGroupArns: [] }), []);
    });

    it("request from a WAF alarm: REGIONAL with Region, CLOUDFRONT without (us-east-1); ARN and Count action when known; not a WAF alarm → undefined", () => {
        const at = new Date("2026-12-01T10:03:10Z");
        const timing = { stateChangeTime: at, periodSeconds: 60, evaluationPeriods: 3 };
        assert.deepStrictEqual(wafRequestFromAlarm({ ...timing, dimensions: [{ name: "Region", value: "eu-west-1" }, { name: "Rule", value: "rate-limit" }, { name: "WebACL", value: "edge-acl" }], aclArns: { "edge-acl": ACL_ARN }, countRules: ["rate-limit"] }), {
            acl: { name: "edge-acl", scope: "REGIONAL", region: "eu-west-1", arn: ACL_ARN }, rule: "rate-limit", ruleAction: "count",
            window: { start: new Date("2026-12-01T10:00:00Z"), end: at },
        });
        const cf = wafRequestFromAlarm({ ...timing, dimensions: [{ name: "Rule", value: "ALL" }, { name: "WebACL", value: "cf-acl" }], countRules: ["ALL"] })!;
        assert.deepStrictEqual([cf.acl.scope, cf.acl.region, cf.acl.arn, cf.ruleAction], ["CLOUDFRONT", "us-east-1", undefined, "block"]);
        assert.strictEqual(wafRequestFromAlarm({ ...timing, dimensions: [{ name: "Stack", value: "dev" }] }), undefined);
    });

    it("wafContributions: the top values in the Lookout dimensionContribution shape", () => {
        const c = wafContributions({
            kind: "waf", status: "complete", acl: ACL, rule: "ALL", measure: "blocked", window: { start: "", end: "" }, total: 10, incomplete: [], queries: [],
            top: { clientIp: [{ value: "203.0.113.9", count: 6, share: 60 }], country: [{ value: "CN", count: 6, share: 60 }] },
        });
        assert.deepStrictEqual(c, [
            { dimensionName: "clientIp", dimensionValueContributions: [{ dimensionValue: "203.0.113.9", valueContribution: 60 }] },
            { dimensionName: "country", dimensionValueContributions: [{ dimensionValue: "CN", valueContribution: 60 }] },
        ]);
    });
});
