// The enrich chain on a real CloudWatch WAF alarm notification (test/fixtures/alerts/cw-waf-alarm.json), from
// source and as one serialized closure (the form the finding Lambda deploys): parse the SNS event
// (handlers/alertEvents.ts), take the alarm's metric and breaching datapoints (handlers/securityHubFinding.ts),
// build the root-cause request (wafRequestFromAlarm), query the Logs Insights stand-in — reached through
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, so the client is made exactly as deployed code makes it (region only) — and put
// the root cause into the alarm's ASFF finding, which must be a valid BatchImportFindings request.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { BatchImportFindings$ } from "@aws-sdk/client-securityhub";

import { parseAlertEvent, ParsedAlarm } from "../handlers/alertEvents";
import { rootCauseAsff, rootCauseProductFields, rootCauseText } from "../handlers/enrich/findingFields";
import { wafRequestFromAlarm, wafRootCause, WafRootCause } from "../handlers/enrich/wafRootCause";
import { alarmFinding, alarmMetric, anomalyBand, FindingSettings, parseBandReason, productArnFor } from "../handlers/securityHubFinding";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { LogsInsightsStandin } from "./standins/cloudWatchLogs";
import { validateAgainstSdk } from "./standins/sdkSchema";

const EVENT = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "alerts", "cw-waf-alarm.json"), "utf8"));
const GROUP = "aws-waf-logs-edge-anomaly-detection-dev";
const SETTINGS: FindingSettings = {
    accountId: "123456789012", region: "us-east-1", partition: "aws", productArn: productArnFor("aws", "us-east-1", "123456789012"),
} as FindingSettings;

/** What an enrich stage does with one WAF alarm: every step a plain function, the Logs client made from the region. */
function enrichChainFactory() {
    return async (event: unknown, env: { logGroups: Record<string, string>; deadlineMs: number }) => {
        const p = parseAlertEvent(event)[0] as ParsedAlarm;
        const n = p.notification;
        const band = anomalyBand(n.Trigger);
        const metric = alarmMetric(n.Trigger, band)!;
        const period = n.Trigger.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? n.Trigger.Period ?? 60;
        const req = wafRequestFromAlarm({
            dimensions: metric.dimensions, stateChangeTime: p.stateChangeTime, periodSeconds: period,
            evaluationPeriods: n.Trigger.EvaluationPeriods ?? 1,
            datapointTimes: (parseBandReason(n.NewStateReason) ?? []).flatMap((d) => (d.at ? [d.at] : [])),
        })!;
        const rc = await wafRootCause(req, { logs: (region) => new CloudWatchLogsClient({ region, maxAttempts: 1 }), logGroups: env.logGroups, deadlineMs: env.deadlineMs });
        const f = alarmFinding(p, band, SETTINGS, new Date("2025-03-04T10:08:00Z"));
        const own = Object.fromEntries(rootCauseProductFields(rc));
        return { rc, finding: { ...f, ...rootCauseAsff(rc), Description: `${rootCauseText(rc)} ${f.Description}`.slice(0, 1024), ProductFields: { ...f.ProductFields, ...own } } };
    };
}
type Chain = ReturnType<typeof enrichChainFactory>;

forBothArtifacts("enrich chain on a CloudWatch WAF alarm notification", artifactsOf<Chain>(enrichChainFactory, { factory: true, name: "enrich-chain" }), (get) => {
    const standin = new LogsInsightsStandin();
    const saved: Record<string, string | undefined> = {};
    const ENV = { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: "", AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "secret" };

    before(async () => {
        await standin.start();
        ENV.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = standin.endpoint;
        for (const [k, v] of Object.entries(ENV)) {
            saved[k] = process.env[k];
            process.env[k] = v;
        }
    });
    after(async () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        await standin.stop();
    });
    beforeEach(() => standin.reset());
    afterEach(() => assert.deepStrictEqual(standin.problems(), []));

    const at = Date.parse("2025-03-04T10:06:10Z");
    const blocked = (n: number, ip: string, country: string, uri: string, ts = at) => Array.from({ length: n }, (_, i) => ({
        timestamp: ts + i, action: "BLOCK", terminatingRuleId: "AWSManagedRulesCommonRuleSet", labels: [{ name: "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments" }],
        nonTerminatingMatchingRules: [], httpRequest: { clientIp: ip, country, uri, httpMethod: "GET", headers: [{ name: "User-Agent", value: "python-requests/2.31" }] },
    }));

    it("the finding carries the top IPs, countries and URIs with counts; the query is scoped to the ACL's log group and the breaching minute", async () => {
        standin.putEvents(GROUP, [...blocked(350, "203.0.113.9", "CN", "/"), ...blocked(62, "198.51.100.23", "BR", "/search"), ...blocked(90, "192.0.2.1", "US", "/", Date.parse("2025-03-04T10:04:00Z"))]);
        const { rc, finding } = await get()(EVENT, { logGroups: { "edge-webacl-abc123": GROUP }, deadlineMs: Date.now() + 10_000 });
        assert.strictEqual((rc as WafRootCause).total, 412, "the 412 blocked requests of the breaching datapoint 10:06, not the earlier minute");
        for (const s of standin.of("StartQuery")) {
            assert.strictEqual(s.body.logGroupName, GROUP);
            assert.deepStrictEqual([s.body.startTime, s.body.endTime], [Date.parse("2025-03-04T10:06:00Z") / 1000, Date.parse("2025-03-04T10:07:00Z") / 1000]);
            assert.match(String(s.body.queryString), /terminatingRuleId = "AWSManagedRulesCommonRuleSet"/);
        }
        assert.match(finding.Description, /^Root cause \(WAF logs 10:06–10:07 UTC, 412 blocked requests\): client IPs 203\.0\.113\.9 \[CN\] 350 \(84\.95%\), 198\.51\.100\.23 \[BR\] 62 \(15\.05%\); countries CN 350 \(84\.95%\), BR 62 \(15\.05%\); URIs \/ 350 \(84\.95%\), \/search 62 \(15\.05%\)/);
        assert.strictEqual(finding.ProductFields!["edgeAnomaly/rootCause/clientIp"], "203.0.113.9 [CN]=350 (84.95%), 198.51.100.23 [BR]=62 (15.05%)");
        assert.strictEqual(finding.Action?.NetworkConnectionAction?.RemoteIpDetails?.IpAddressV4, "203.0.113.9");
        assert.strictEqual(finding.Network?.SourceIpV4, "203.0.113.9");
        assert.deepStrictEqual(validateAgainstSdk(BatchImportFindings$ as never, { Findings: [finding] }), []);
    });

    it("a missing log group still files the finding, saying why", async () => {
        const { rc, finding } = await get()(EVENT, { logGroups: { "edge-webacl-abc123": "aws-waf-logs-gone" }, deadlineMs: Date.now() + 10_000 });
        assert.strictEqual(rc.status, "unavailable");
        assert.match(finding.Description, /^Root cause not available: log group aws-waf-logs-gone does not exist in us-east-1/);
        assert.strictEqual(finding.ProductFields!["edgeAnomaly/rootCause/status"], "unavailable");
        assert.deepStrictEqual(validateAgainstSdk(BatchImportFindings$ as never, { Findings: [finding] }), []);
    });

    it("a query timeout still files the finding, partial with the reason", async () => {
        standin.putEvents(GROUP, blocked(40, "203.0.113.9", "CN", "/"));
        standin.behaviour.neverComplete = true;
        const { rc, finding } = await get()(EVENT, { logGroups: { "edge-webacl-abc123": GROUP }, deadlineMs: Date.now() + 1_500 });
        assert.strictEqual(rc.status, "partial");
        assert.match(finding.Description, /Partial: Logs Insights did not finish within the 1\.5 s budget/);
        assert.ok(standin.of("StopQuery").length >= 1);
        assert.deepStrictEqual(validateAgainstSdk(BatchImportFindings$ as never, { Findings: [finding] }), []);
    });
});
