// The people notice (handlers/alert/notify.ts), source and serialized: what it says for a WAF alarm (with the
// root cause read from WAF logs on the Logs Insights stand-in), an ecommerce total or by-dimension alarm (with its
// breakdown from GetMetricData, stubbed: test/ecommerceSeriesStub.ts), a Lookout anomaly, the fallback when the root cause is unavailable, SNS's Subject rules,
// and that the README's example messages are exactly what the code produces (generated here, compared there).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as snsSdk from "@aws-sdk/client-sns";
import { PublishCommand } from "@aws-sdk/client-sns";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

import * as notify from "../handlers/alert/notify";
import { parseAlertEvent } from "../handlers/alertEvents";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import * as cwSdk from "@aws-sdk/client-cloudwatch";
import { GetMetricDataCommand, GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { enrichAlert, EnrichDeps } from "../handlers/alert/enrich";
import type { RootCause } from "../handlers/enrich/findingFields";
import { consoleUrl, FindingSettings, planAlert, productArnFor } from "../handlers/securityHubFinding";
import { answer } from "./ecommerceSeriesStub";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { LogsInsightsStandin } from "./standins/cloudWatchLogs";
import { commandProblems } from "./standins/sdkModel";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const settings: FindingSettings = { accountId: ACCOUNT, region: REGION, partition: "aws", productArn: productArnFor("aws", REGION, ACCOUNT) };
const NOW = new Date("2025-03-04T12:00:00.000Z");
const DASHBOARD = consoleUrl("aws", REGION, `cloudwatch/home?region=${REGION}#dashboards/dashboard/edge-anomaly-detection-dev-detection`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const seriesOf = (r: GetMetricDataCommandInput) => {
    const d = r.MetricDataQueries![0].MetricStat!.Metric!.Dimensions!.find((x) => x.Name !== "Stack");
    return d ? `${d.Name}=${d.Value}` : "total";
};
const fixture = (name: string): unknown => JSON.parse(JSON.stringify(require(`./fixtures/alerts/${name}.json`)));

const GROUP = "aws-waf-logs-edge-anomaly-detection-dev";
const standin = new LogsInsightsStandin();
before(async () => {
    await standin.start();
    // The breaching minute of cw-waf-alarm (10:06): 412 blocked requests from three clients.
    const at = Date.parse("2025-03-04T10:06:05Z");
    const blocked = (n: number, ip: string, country: string, uri: string) => Array.from({ length: n }, (_, i) => ({
        timestamp: at + i * 100, action: "BLOCK", terminatingRuleId: "AWSManagedRulesCommonRuleSet", labels: [], nonTerminatingMatchingRules: [],
        httpRequest: { clientIp: ip, country, uri, httpMethod: "GET", headers: [{ name: "User-Agent", value: "python-requests/2.31" }] },
    }));
    standin.putEvents(GROUP, [...blocked(318, "203.0.113.9", "CN", "/"), ...blocked(62, "198.51.100.23", "BR", "/search"), ...blocked(32, "192.0.2.44", "CN", "/login")]);
});
after(() => standin.stop());

/** GetMetricData (stubbed): a Revenue spike from 10:06, answered at whatever period each series is read at. */
const reads: GetMetricDataCommandInput[] = [];
const getMetricData = { send: async (c: GetMetricDataCommand) => { reads.push(c.input); return answer(c.input); } };
/** The enrich stage as the finding Lambda runs it, against the stand-in and the stubbed GetMetricData. */
function enrichDeps(logGroups: Record<string, string> = { "edge-webacl-abc123": GROUP }): EnrichDeps {
    return {
        logs: (region) => new CloudWatchLogsClient({ region, endpoint: standin.endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1 }),
        cloudWatch: () => getMetricData as never, logGroups, deadlineMs: Date.now() + 10_000,
        // What is read matters here, not how long the polling waits between reads (test/enrichWaf.test.ts tests that).
        clock: { now: () => Date.now(), sleep: () => new Promise((r) => setImmediate(r)) },
        // As deployed with the defaults: total and views at 60 s, band width 3; revenue by dimension at 300 s, 3.5.
        ecommerce: {
            namespace: "EdgeAnomaly/Ecommerce", stack: "dev", periodSeconds: 60, bandWidth: 3, dimensions: { Platform: ["web", "ios"], Marketplace: ["US", "DE"] },
            byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } },
        },
    };
}

async function findingOf(name: string, deps: EnrichDeps = enrichDeps()): Promise<AwsSecurityFinding> {
    const p = parseAlertEvent(fixture(name))[0];
    const rc: RootCause | undefined = await enrichAlert(p, settings, deps);
    const plan = planAlert(p, settings, NOW, undefined, rc);
    if (plan.action !== "import") throw new Error(name);
    return plan.findings[0];
}

type NotifyFunctions = Pick<typeof notify, "peopleNotice" | "findingConsoleUrl" | "publishNotice" | "publishNotices" | "chatNotification">;
const notifyFunctions = (): NotifyFunctions => ({
    peopleNotice: notify.peopleNotice, findingConsoleUrl: notify.findingConsoleUrl, publishNotice: notify.publishNotice,
    publishNotices: notify.publishNotices, chatNotification: notify.chatNotification,
});

/** The example messages in the README, by fixture. */
export async function exampleNotice(fns: NotifyFunctions, name: string, deps?: EnrichDeps): Promise<notify.PeopleNotice> {
    const f = await findingOf(name, deps);
    return fns.peopleNotice(f, { finding: fns.findingConsoleUrl({ partition: "aws", region: REGION }, f.Id!), dashboard: DASHBOARD });
}

forBothArtifacts("people notice", artifactsOf<NotifyFunctions>(notifyFunctions, { factory: true, name: "notify-functions" }), (fns) => {
    it("WAF alarm: what, how far outside the band (value and edge), when, who (from the WAF logs, with counts), links", async () => {
        const n = await exampleNotice(fns(), "cw-waf-alarm");
        assert.equal(n.subject, "[CRITICAL] WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleS...");
        const lines = n.message.split("\n");
        assert.deepEqual(lines.slice(0, 4), [
            "CRITICAL: WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123",
            "How far: 10.69x outside the band (value 412; band upper 38.527913)",
            "When: 2025-03-04T10:06:00.000Z",
            "Top contributors (WAF logs, 412 blocked requests): client IPs 203.0.113.9 [CN]=318 (77.18%), 198.51.100.23 [BR]=62 (15.05%), 192.0.2.44 [CN]=32 (7.77%); "
                + "countries CN=350 (84.95%), BR=62 (15.05%); URIs /=318 (77.18%), /search=62 (15.05%), /login=32 (7.77%)",
        ]);
        assert.match(lines[4], /^Finding: https:\/\/us-east-1\.console\.aws\.amazon\.com\/securityhub\/home\?region=us-east-1#\/findings\?search=/);
        assert.ok(decodeURIComponent(lines[4]).endsWith(`Id=\\operator\\:EQUALS\\:${(await findingOf("cw-waf-alarm")).Id}`));
        assert.equal(lines[5], `Dashboard: ${DASHBOARD}`);
    });

    it("ecommerce total alarm: the breakdown grouped by dimension, each value with its share and its own deviation, and the periods and bands read", async () => {
        reads.length = 0;
        const n = await exampleNotice(fns(), "cw-ecommerce-total-spike-alarm");
        const lines = n.message.split("\n");
        assert.equal(lines[0], "MEDIUM: Ecommerce Revenue anomaly above the expected band (total)");
        assert.equal(lines[1], "How far: 2.17x outside the band (value 5000; band upper 2300)");
        // Hand-computed from the stub: the total at 60 s over 10:06-10:08 (+3000 a minute); the by-dimension series
        // at 300 s over 10:05-10:10 (4 of its 5 minutes in the spike): web +10800 of +12000 = 90 %, US +10000 = 83.33 %.
        assert.equal(lines[3], "Top contributors (share within each dimension; total 6000 above expected): "
            + "Platform: web 90% (+10800), ios 6.67% (+800), _other 3.33% (+400); Marketplace: US 83.33% (+10000), _other 10% (+1200), DE 6.67% (+800)");
        assert.equal(lines[4], "Breakdown read at each series' own alarm period and band: total 60 s, band width 3, 10:06-10:08 UTC; Platform, Marketplace 300 s, band width 3.5, 10:05-10:10 UTC");
        // What was asked: each series with its alarms' period and band; every request valid for the SDK's model.
        const asked = reads.map((r) => [seriesOf(r), r.MetricDataQueries![0].MetricStat!.Period, r.MetricDataQueries![2].Expression, r.StartTime!.toISOString().slice(11, 16), r.EndTime!.toISOString().slice(11, 16)]);
        assert.deepEqual(asked.find((a) => a[0] === "total"), ["total", 60, "ANOMALY_DETECTION_BAND(e1, 3)", "10:06", "10:08"]);
        for (const a of asked.filter((x) => x[0] !== "total")) assert.deepEqual(a.slice(1), [300, "ANOMALY_DETECTION_BAND(e1, 3.5)", "10:05", "10:10"], String(a[0]));
        for (const r of reads) assert.deepEqual(commandProblems(cwSdk as never, new GetMetricDataCommand(r) as never), []);
    });

    it("by-dimension alarm (Revenue Platform=web, 300 s): its dimension's values at the alarm's own period and band, and the total at its own", async () => {
        reads.length = 0;
        const n = await exampleNotice(fns(), "cw-ecommerce-platform-spike-alarm");
        const lines = n.message.split("\n");
        assert.equal(lines[0], "MEDIUM: Ecommerce Revenue anomaly above the expected band: Platform=web");
        // 10:05-10:15 at 300 s: web +2700 × 9 minutes, ios +200 × 9, _other +100 × 9; the total at 60 s: +3000 × 9.
        assert.equal(lines[3], "Top contributors (share within each dimension; total 27000 above expected): Platform: web 90% (+24300), ios 6.67% (+1800), _other 3.33% (+900)");
        assert.equal(lines[4], "Breakdown read at each series' own alarm period and band: total 60 s, band width 3, 10:05-10:15 UTC; Platform 300 s, band width 3.5, 10:05-10:15 UTC");
        assert.deepEqual(reads.map(seriesOf).sort(), ["Platform=_other", "Platform=ios", "Platform=web", "total"], "no marketplace series: they do not break a platform down");
    });

    it("fallback: a root cause that could not be read is said so, with the reason; the anomaly is announced all the same", async () => {
        const n = await exampleNotice(fns(), "cw-waf-alarm", enrichDeps({ "edge-webacl-abc123": "aws-waf-logs-not-there" }));
        const lines = n.message.split("\n");
        assert.equal(lines[0], "CRITICAL: WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123");
        assert.equal(lines[3], "Top contributors: none in the alert");
        assert.match(lines[4], /^Root cause unavailable: log group aws-waf-logs-not-there does not exist in us-east-1 /);
        assert.match(lines[5], /^Finding: /);
    });

    it("ecommerce Lookout anomaly: the contributors grouped by dimension, largest share first within each", async () => {
        const n = await exampleNotice(fns(), "l4m-lambda-ecommerce");
        const f = await findingOf("l4m-lambda-ecommerce");
        const byDim = new Map<string, [string, number][]>();
        for (const [k, v] of Object.entries(f.ProductFields!).filter(([k]) => k.startsWith("edgeAnomaly/contribution/"))) {
            const [dim, value] = k.slice("edgeAnomaly/contribution/".length).split("/");
            byDim.set(dim, [...(byDim.get(dim) ?? []), [value, Number(v)]]);
        }
        assert.ok(byDim.size > 1, "more than one dimension in the fixture");
        const top = n.message.split("\n").find((l) => l.startsWith("Top contributors"))!;
        assert.equal(top, `Top contributors (share within each dimension): ${[...byDim].map(([d, vs]) => `${d}: ${vs.sort((a, b) => b[1] - a[1]).slice(0, notify.MAX_VALUES_PER_DIMENSION).map(([v, x]) => `${v} ${x}%`).join(", ")}`).join("; ")}`);
        assert.equal(top, "Top contributors (share within each dimension): marketplace: US 100%; platform: ios 81.5%, android 18.5%", "hand-read from the fixture");
        assert.match(n.message.split("\n")[1], /^How far: anomaly score 83\.33 of 100$/);
    });

    it("Subject: ASCII only, fewer than 100 characters, even for a long non-ASCII title", async () => {
        const f = { ...(await findingOf("cw-waf-alarm")), Title: `Anomalie é ${"x".repeat(300)}` };
        const n = fns().peopleNotice(f, {});
        assert.ok(n.subject.length <= notify.MAX_SUBJECT_LENGTH);
        assert.match(n.subject, /^\[CRITICAL\] Anomalie \? x+\.\.\.$/);
        assert.ok(!n.message.includes("Finding:") && !n.message.includes("Dashboard:"), "no link lines without links");
    });

    it("publishes one valid SNS Publish request and returns its MessageId; a failure propagates", async () => {
        const sent: PublishCommand[] = [];
        const sns = { send: async (c: PublishCommand) => { sent.push(c); return { MessageId: "m-9" }; } } as unknown as notify.SnsSender;
        const n = await exampleNotice(fns(), "cw-waf-alarm");
        assert.equal(await fns().publishNotice(sns, "arn:aws:sns:us-east-1:123456789012:people", n), "m-9");
        assert.ok(sent[0] instanceof PublishCommand);
        assert.deepEqual(commandProblems(snsSdk as unknown as Record<string, unknown>, sent[0]), []);
        assert.deepEqual(sent[0].input, { TopicArn: "arn:aws:sns:us-east-1:123456789012:people", Subject: n.subject, Message: n.message });
        const failing = { send: async () => { throw Object.assign(new Error("denied"), { name: "AuthorizationErrorException" }); } } as unknown as notify.SnsSender;
        await assert.rejects(fns().publishNotice(failing, "arn:aws:sns:us-east-1:123456789012:people", n), /denied/);
    });

    it("chat: the same notice as a custom notification (version 1.0, source custom, client-markdown) on the chat topic, after the people topic", async () => {
        const sent: PublishCommand[] = [];
        const sns = { send: async (c: PublishCommand) => { sent.push(c); return { MessageId: `m-${sent.length}` }; } } as unknown as notify.SnsSender;
        const f = await findingOf("cw-waf-alarm");
        const n = await exampleNotice(fns(), "cw-waf-alarm");
        const people = "arn:aws:sns:us-east-1:123456789012:people";
        const chat = "arn:aws:sns:us-east-1:123456789012:chat";
        assert.deepEqual(await fns().publishNotices(sns, { people, chat }, n, f), ["m-1", "m-2"]);
        assert.deepEqual(sent.map((c) => c.input.TopicArn), [people, chat]);
        for (const c of sent) assert.deepEqual(commandProblems(snsSdk as unknown as Record<string, unknown>, c), []);
        assert.equal(sent[1].input.Subject, undefined);
        const body = JSON.parse(sent[1].input.Message!);
        assert.deepEqual(Object.keys(body).sort(), ["content", "id", "source", "version"]);
        assert.equal(body.version, "1.0");
        assert.equal(body.source, "custom");
        assert.equal(body.id, f.Id);
        assert.equal(body.content.textType, "client-markdown");
        assert.equal(body.content.title, n.subject);
        assert.equal(body.content.description, n.message.split("\n").slice(1).join("\n"));
        assert.match(body.content.description, /203\.0\.113\.9 \[CN\]=318/);
        assert.deepEqual(body.content.keywords, ["CRITICAL", "waf"]);
        // Without chat channels only the people topic; a chat failure after the people notice propagates (retried).
        sent.length = 0;
        assert.deepEqual(await fns().publishNotices(sns, { people }, n, f), ["m-1"]);
        const failing = { send: async (c: PublishCommand) => { if (c.input.TopicArn === chat) throw new Error("chat topic denied"); return { MessageId: "p" }; } } as unknown as notify.SnsSender;
        await assert.rejects(fns().publishNotices(failing, { people, chat }, n, f), /chat topic denied/);
    });

    it("the README shows exactly these messages", async () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const missing: string[] = [];
        for (const name of ["cw-waf-alarm", "cw-ecommerce-total-spike-alarm"]) {
            const n = await exampleNotice(fns(), name);
            const block = ["```text", `Subject: ${n.subject}`, "", n.message, "```"].join("\n");
            if (!readme.includes(block)) missing.push(`the ${name} example:\n${block}`);
        }
        assert.deepEqual(missing, [], `README lacks ${missing.join("\n")}`);
    });
});
