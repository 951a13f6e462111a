// npm run measure-lag (scripts/lib/measureLag.ts): the per-minute bookkeeping against a fake CloudWatch whose
// datapoints appear (and change) at scripted times, with hand-computed delays; failed polls reported and retried at
// the next tick; every GetMetricData request valid for the SDK's model and reading the series the alarms read; the
// suggested simulate command; the command line (--help, usage errors, exit codes).
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as path from "path";
import type { GetMetricDataCommand, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";

import { planCloudWatchAlarms, WAF_METRIC_NAME, WAF_NAMESPACE } from "../components/cloudwatchDetection";
import { simulationArgs } from "../scripts/lib/simulateCli";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import {
    LOOKBACK_MINUTES, LagSeries, MEASURE_LAG_USAGE, MetricDataSender, UsageError, WAF_METRIC, measureLag, measureLagCli, metricDataRequest, parseMeasureLagArgs,
    pollOnce, replayOf,
} from "../scripts/lib/measureLag";
import { commandProblems } from "./standins/sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cwModel = require("@aws-sdk/client-cloudwatch") as Record<string, unknown>;
const ROOT = path.resolve(__dirname, "..");

const at = (hms: string) => Date.parse(`2026-12-01T${hms}Z`);

/** A datapoint of one minute: absent before `appears`, then `value`, then each later value from its time on. */
interface Scripted {
    minute: string;
    appears: string;
    value: number;
    later?: Array<{ at: string; value: number }>;
}

/** Fake clock: sleep advances time; nothing else does (a poll answers in no time). */
function fakeClock(startMs: number) {
    const clock = { t: startMs, now: () => clock.t, sleep: async (ms: number) => { clock.t += ms; } };
    return clock;
}

/**
 * Fake CloudWatch: answers GetMetricData from the scripted datapoints visible at the clock's time inside
 * [StartTime, EndTime); `fail` scripts a poll (by its start time) to throw or to answer with a failed result. Every
 * request is checked against the SDK's model and recorded.
 */
function fakeCloudWatch(clock: { now: () => number }, points: Scripted[], fail: Record<string, "throw" | "InternalError"> = {}, pageSize = Infinity) {
    const requests: Array<{ at: number; input: GetMetricDataCommand["input"] }> = [];
    const sender: MetricDataSender = {
        send: async (cmd: GetMetricDataCommand): Promise<GetMetricDataCommandOutput> => {
            assert.equal(cmd.constructor.name, "GetMetricDataCommand", "measure-lag calls nothing but GetMetricData");
            assert.deepEqual(commandProblems(cwModel, cmd), [], "GetMetricData request valid for the SDK model");
            const now = clock.now();
            requests.push({ at: now, input: cmd.input });
            const f = fail[new Date(now).toISOString().slice(11, 19)];
            if (f === "throw") throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
            if (f === "InternalError") {
                return { $metadata: {}, MetricDataResults: [{ Id: "m1", StatusCode: "InternalError", Timestamps: [], Values: [], Messages: [{ Code: "InternalError", Value: "try again" }] }] };
            }
            const from = cmd.input.StartTime!.getTime();
            const to = cmd.input.EndTime!.getTime();
            const visible = points
                .filter((p) => at(p.appears) <= now && at(p.minute) >= from && at(p.minute) < to)
                .map((p) => ({ ts: at(p.minute), value: [...(p.later ?? [])].reverse().find((l) => at(l.at) <= now)?.value ?? p.value }))
                .sort((a, b) => a.ts - b.ts);
            const offset = cmd.input.NextToken ? Number(cmd.input.NextToken) : 0;
            const page = visible.slice(offset, offset + pageSize);
            const next = offset + pageSize < visible.length ? String(offset + pageSize) : undefined;
            return {
                $metadata: {},
                MetricDataResults: [{ Id: "m1", Label: "BlockedRequests", StatusCode: next ? "PartialData" : "Complete", Timestamps: page.map((p) => new Date(p.ts)), Values: page.map((p) => p.value) }],
                ...(next ? { NextToken: next } : {}),
            };
        },
    };
    return { sender, requests };
}

const WAF: LagSeries = { kind: "waf", webAcl: "dev-web-acl", rule: "ALL", scope: "REGIONAL", region: "eu-west-1" };

// 10:00:05 to 10:05:05, every 10 s (31 polls). Measured minutes: 10:01–10:04 (began after the first poll, ended by the last).
const SCRIPT: Scripted[] = [
    { minute: "09:59:00", appears: "10:00:00", value: 4 }, // before the measurement: not counted
    { minute: "10:01:00", appears: "10:02:23", value: 57 },
    { minute: "10:02:00", appears: "10:03:08", value: 10, later: [{ at: "10:03:40", value: 30 }] },
    // 10:03: no datapoint at all (no blocked requests)
    { minute: "10:04:00", appears: "10:05:01", value: 8 },
];
// The polls at 10:02:15 (throws) and 10:02:25 (a failed result) fail.
const FAILS = { "10:02:15": "throw", "10:02:25": "InternalError" } as const;

describe("measure-lag (scripts/lib/measureLag.ts)", () => {
    it("records per minute when its datapoint was first seen and last changed, after the minute's END (hand-computed)", async () => {
        const clock = fakeClock(at("10:00:05"));
        const cw = fakeCloudWatch(clock, SCRIPT, FAILS);
        const log: string[] = [];
        const t = await measureLag(cw.sender, WAF, { everySeconds: 10, minutes: 5 }, clock, (l) => log.push(l));
        assert.equal(cw.requests.length, 31);
        const lags = t.minuteLags();
        assert.deepEqual(lags.map((l) => l.minute), ["10:01", "10:02", "10:03", "10:04"].map((m) => `2026-12-01T${m}:00.000Z`));
        const [m1, m2, m3, m4] = lags;
        // 10:01 ends 10:02:00; appears 10:02:23; the 10:02:15 and :25 polls fail, so the 10:02:35 one sees it first: ≤ 35 s,
        // and the last successful poll before (10:02:05) had not: > 5 s. Never changes, confirmed by later polls.
        assert.deepEqual([m1.firstSeenSeconds, m1.notSeenSeconds, m1.settledSeconds, m1.settledConfirmed, m1.value, m1.changes], [35, 5, 35, true, 57, 0]);
        // 10:02 ends 10:03:00; appears 10:03:08 (seen at 10:03:15: ≤ 15 s, > 5 s) as 10, becomes 30 at 10:03:40 (seen 10:03:45: 45 s).
        assert.deepEqual([m2.firstSeenSeconds, m2.notSeenSeconds, m2.settledSeconds, m2.settledConfirmed, m2.firstValue, m2.value, m2.changes], [15, 5, 45, true, 10, 30, 1]);
        // 10:03: never seen; read until the last poll (10:05:05), 65 s after it ended.
        assert.deepEqual([m3.seen, m3.firstSeenSeconds, m3.watchedSeconds], [false, undefined, 65]);
        // 10:04 ends 10:05:00; appears 10:05:01; the last poll (10:05:05) sees it: ≤ 5 s, > −5 s; no later poll confirms it.
        assert.deepEqual([m4.firstSeenSeconds, m4.notSeenSeconds, m4.settledSeconds, m4.settledConfirmed], [5, -5, 5, false]);

        const s = t.summary(WAF, "dev");
        assert.deepEqual([s.polls, s.minutesMeasured, s.minutesSeen, s.changedAfterFirstSeen], [31, 4, 3, 1]);
        assert.deepEqual(s.firstSeen, { max: 35, median: 15, count: 3 }); // 35, 15, 5
        assert.deepEqual(s.settled, { max: 45, median: 35, count: 2 }); // 35, 45 (10:04 unconfirmed)
        assert.equal(s.assumed.seconds, 60);
        assert.deepEqual(s.replay && [s.replay.flag, s.replay.seconds, s.replay.command], ["--waf-publish-delay", 45, "npm run simulate -- --stack dev --waf-publish-delay 45"]);
        // The failed polls: kept with their reasons, reported as they happen, and the next tick polled again.
        assert.deepEqual(s.failedPolls, [
            { at: "2026-12-01T10:02:15.000Z", error: "Rate exceeded" },
            { at: "2026-12-01T10:02:25.000Z", error: "GetMetricData result m1: InternalError (InternalError try again)" },
        ]);
        assert.ok(log.some((l) => /poll at 2026-12-01T10:02:15.000Z failed: Rate exceeded; polling again at the next tick/.test(l)), log.join("\n"));
        assert.deepEqual(cw.requests.map((r) => new Date(r.at).toISOString().slice(11, 19)).slice(12, 16), ["10:02:05", "10:02:15", "10:02:25", "10:02:35"]);
        assert.ok(log.includes("10:02 changed 45 s after its end: 10 → 30"), log.join("\n"));
    });

    it("every request reads the alarms' own series: AWS/WAFV2 BlockedRequests with their dimensions (REGIONAL, CLOUDFRONT), the EMF metric by Stack; Sum per 60 s over whole minutes", () => {
        const cfg = loadStackConfig("dev");
        const args = { ...simulationArgs(cfg), webAcls: [
            { key: "", name: "dev-web-acl", scope: "REGIONAL" as const, rules: ["AWSManagedRulesCommonRuleSet"] },
            { key: "cf", name: "cf-acl", scope: "CLOUDFRONT" as const, rules: [] },
        ] };
        const specs = planCloudWatchAlarms(args);
        const m1 = (key: string) => {
            const q = specs.find((x) => x.key === key)!.metricQueries.find((x) => x.id === "m1") as { metric: { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string } };
            return q.metric;
        };
        assert.deepEqual([WAF_METRIC.namespace, WAF_METRIC.metricName], [WAF_NAMESPACE, WAF_METRIC_NAME]);
        const cases: Array<[LagSeries, string]> = [
            [{ kind: "waf", webAcl: "dev-web-acl", rule: "ALL", scope: "REGIONAL", region: cfg.region }, "waf-ALL"],
            [{ kind: "waf", webAcl: "dev-web-acl", rule: "AWSManagedRulesCommonRuleSet", scope: "REGIONAL", region: cfg.region }, "waf-AWSManagedRulesCommonRuleSet"],
            [{ kind: "waf", webAcl: "cf-acl", rule: "ALL", scope: "CLOUDFRONT", region: "us-east-1" }, "waf-cf-ALL"],
            [{ kind: "ecommerce", stackDimension: "dev", measure: "views", region: cfg.region }, "views-total-spike"],
            [{ kind: "ecommerce", stackDimension: "dev", measure: "checkouts", region: cfg.region }, ""],
        ];
        const now = at("10:07:42.500");
        for (const [series, key] of cases) {
            const input = metricDataRequest(series, now);
            const q = input.MetricDataQueries![0];
            const stat = q.MetricStat!;
            const dims = Object.fromEntries(stat.Metric!.Dimensions!.map((d) => [d.Name, d.Value]));
            if (key) {
                const planned = m1(key);
                assert.deepEqual([stat.Metric!.Namespace, stat.Metric!.MetricName, dims, stat.Period, stat.Stat], [planned.namespace, planned.metricName, planned.dimensions, planned.period, planned.stat], key);
            } else {
                assert.deepEqual([stat.Metric!.Namespace, stat.Metric!.MetricName, dims], ["EdgeAnomaly/Ecommerce", "Checkouts", { Stack: "dev" }]);
            }
            // Whole minutes: 09:57 (10 minutes back) inclusive to 10:08 exclusive (the current minute included).
            assert.deepEqual([input.StartTime!.toISOString(), input.EndTime!.toISOString()], ["2026-12-01T09:57:00.000Z", "2026-12-01T10:08:00.000Z"]);
            assert.equal(LOOKBACK_MINUTES, 10);
        }
        assert.equal("Region" in Object.fromEntries(metricDataRequest(cases[2][0], now).MetricDataQueries![0].MetricStat!.Metric!.Dimensions!.map((d) => [d.Name, d.Value])), false);
    });

    it("one poll follows NextToken (PartialData pages) and refuses a result whose timestamps and values differ", async () => {
        const clock = fakeClock(at("10:06:00"));
        const cw = fakeCloudWatch(clock, SCRIPT, {}, 2);
        const points = await pollOnce(cw.sender, WAF, clock.now());
        assert.equal(cw.requests.length, 2);
        assert.equal(cw.requests[1].input.NextToken, "2");
        assert.deepEqual([...points.entries()].map(([t, v]) => [new Date(t).toISOString().slice(11, 16), v]), [["09:59", 4], ["10:01", 57], ["10:02", 30], ["10:04", 8]]);
        const bad: MetricDataSender = { send: async () => ({ $metadata: {}, MetricDataResults: [{ Id: "m1", Timestamps: [new Date(0)], Values: [], StatusCode: "Complete" }] }) };
        await assert.rejects(pollOnce(bad, WAF, clock.now()), /1 timestamps but 0 values/);
    });

    it("ecommerce: the EMF path's settled delay becomes --log-to-metric (minus the Kinesis read, the 10 s buffer and the run at their bounds)", () => {
        const eco: LagSeries = { kind: "ecommerce", stackDimension: "dev", measure: "views", region: "eu-west-1" };
        // 43 s after the minute's end − (5 + 10 + 5) = 23 s; 50 s (the simulator's whole bound) gives its 30 s back.
        assert.deepEqual([replayOf(eco, 43).seconds, replayOf(eco, 50).seconds, replayOf(eco, 12.2).seconds], [23, 30, 2]);
        assert.equal(replayOf(eco, 43).command, "npm run simulate -- --stack dev --log-to-metric 23");
        // WAF: rounded up, at least 1 s; no stack given: a placeholder to fill in.
        assert.deepEqual([replayOf(WAF, 30.2).seconds, replayOf(WAF, 0.4).seconds], [31, 1]);
        assert.equal(replayOf(WAF, 30).command, "npm run simulate -- --stack STACK --waf-publish-delay 30");
    });

    describe("command line", () => {
        const env = { AWS_REGION: "eu-west-1" };
        const usage = (argv: string[], re: RegExp, e: Record<string, string | undefined> = env) =>
            assert.throws(() => parseMeasureLagArgs(argv, e), (x: unknown) => x instanceof UsageError && re.test((x as Error).message), argv.join(" "));

        it("parses the series, the defaults and the region; usage errors name the flag", () => {
            const a = parseMeasureLagArgs(["--waf-acl", "acl"], env);
            assert.ok(a !== "help");
            assert.deepEqual([a.series, a.everySeconds, a.minutes, a.json], [{ kind: "waf", webAcl: "acl", rule: "ALL", scope: "REGIONAL", region: "eu-west-1" }, 10, 15, false]);
            const cf = parseMeasureLagArgs(["--waf-acl", "acl", "--scope", "CLOUDFRONT", "--rule", "R1"], {});
            assert.ok(cf !== "help");
            assert.deepEqual(cf.series, { kind: "waf", webAcl: "acl", rule: "R1", scope: "CLOUDFRONT", region: "us-east-1" });
            const e = parseMeasureLagArgs(["--ecommerce-stack", "dev", "--measure", "checkouts", "--every", "5", "--minutes", "30", "--json", "--region", "us-west-2"], env);
            assert.ok(e !== "help");
            assert.deepEqual([e.series, e.everySeconds, e.minutes, e.json], [{ kind: "ecommerce", stackDimension: "dev", measure: "checkouts", region: "us-west-2" }, 5, 30, true]);
            usage([], /exactly one of --waf-acl NAME and --ecommerce-stack NAME/);
            usage(["--waf-acl", "a", "--ecommerce-stack", "b"], /exactly one of/);
            usage(["--waf-acl", "a", "--measure", "views"], /--measure is for --ecommerce-stack/);
            usage(["--ecommerce-stack", "dev", "--rule", "x"], /--rule and --scope are for --waf-acl/);
            usage(["--waf-acl", "a", "--scope", "GLOBAL"], /--scope must be REGIONAL or CLOUDFRONT/);
            usage(["--waf-acl", "a", "--scope", "CLOUDFRONT", "--region", "eu-west-1"], /CLOUDFRONT web ACLs publish their metrics in us-east-1/);
            usage(["--waf-acl", "a"], /no AWS region/, {});
            usage(["--ecommerce-stack", "dev", "--measure", "orders"], /--measure must be one of views, carts, checkouts, revenue/);
            for (const bad of ["0", "301", "1.5", "", "x"]) usage(["--waf-acl", "a", "--every", bad], /^--every must be a whole number from 1 to 300/);
            usage(["--waf-acl", "a", "--minutes", "181"], /^--minutes must be a whole number from 1 to 180/);
            usage(["--waf-acl", ""], /--waf-acl must be a dimension value/);
            usage(["--waf-acl", "a", "--bogus"], /Unknown option '--bogus'/);
        });

        it("a run: the per-minute table, the summary beside the assumption, the command; JSON; every poll failing exits 1 with the reason", async () => {
            const clock = fakeClock(at("10:00:05"));
            const cw = fakeCloudWatch(clock, SCRIPT, FAILS);
            let out = "";
            let err = "";
            const deps = { createClient: (region: string) => (assert.equal(region, "eu-west-1"), cw.sender), clock, env, stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
            assert.equal(await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "5", "--stack", "dev"], deps), 0);
            assert.match(out, /^AWS\/WAFV2 BlockedRequests Region=eu-west-1 Rule=ALL WebACL=dev-web-acl \(eu-west-1\): Sum per 60 s, polled every 10 s for 5 min \(31 polls, 2 failed\)/);
            assert.match(out, /2026-12-01 10:01\s+≤ 35 s \(> 5 s\)\s+35 s\s+57\s+0/);
            assert.match(out, /2026-12-01 10:03\s+never seen\s+65 s/);
            assert.match(out, /2026-12-01 10:04\s+≤ 5 s \(> -5 s\)\s+5 s\?/);
            assert.match(out, /Summary: 3 of 4 minutes seen/);
            assert.match(out, /first seen: max 35 s, median 15 s/);
            assert.match(out, /settled: {4}max 45 s, median 35 s/);
            assert.match(out, /1 minute\(s\) changed after first appearing: WAF published them in parts/);
            assert.match(out, /the simulator assumes ≤ 60 s: WAF_PUBLISH_DELAY_SECONDS.max/);
            assert.match(out, /failed poll at 2026-12-01T10:02:15.000Z: Rate exceeded/);
            assert.match(out, /\n {2}npm run simulate -- --stack dev --waf-publish-delay 45\n$/);
            assert.match(err, /poll at 2026-12-01T10:02:25.000Z failed: GetMetricData result m1: InternalError/);

            const jclock = fakeClock(at("10:00:05"));
            let json = "";
            assert.equal(await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "5", "--json"], { ...deps, clock: jclock, createClient: () => fakeCloudWatch(jclock, SCRIPT).sender, stdout: (t) => (json += t) }), 0);
            const parsed = JSON.parse(json);
            assert.deepEqual([parsed.summary.settled.max, parsed.summary.replay.command, parsed.minutes.length], [45, "npm run simulate -- --stack STACK --waf-publish-delay 45", 4]);
            // without the failures 10:01 is first seen at 10:02:25: 25 s
            assert.equal(parsed.minutes[0].firstSeenSeconds, 25);

            const fclock = fakeClock(at("10:00:05"));
            const down: MetricDataSender = { send: async () => { throw new Error("connect ETIMEDOUT"); } };
            let ferr = "";
            let fout = "";
            assert.equal(await measureLagCli(["--waf-acl", "a", "--minutes", "1", "--every", "30"], { ...deps, clock: fclock, createClient: () => down, stdout: (t) => (fout += t), stderr: (t) => (ferr += t) }), 1);
            assert.match(ferr, /every poll failed \(last: connect ETIMEDOUT\)/);
            assert.match(fout, /\(3 polls, 3 failed\)/);
            assert.equal((ferr.match(/failed: connect ETIMEDOUT; polling again/g) ?? []).length, 3);

            // no datapoint at all: exit 1, nothing to replay
            const eclock = fakeClock(at("10:00:05"));
            let eout = "";
            assert.equal(await measureLagCli(["--ecommerce-stack", "dev", "--minutes", "3"], { ...deps, clock: eclock, createClient: () => fakeCloudWatch(eclock, []).sender, stdout: (t) => (eout += t), stderr: () => undefined }), 1);
            assert.match(eout, /Nothing to replay: no minute was seen settled. Send traffic \(npm run generate-traffic\)/);
        });

        it("the script: --help on stdout, exit 0; a usage error one line on stderr, exit 2", async function () {
            this.timeout(60_000);
            const run = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
                execFile(process.execPath, ["-r", "./test/tsnode.js", "scripts/measure-lag.ts", ...args], { cwd: ROOT, timeout: 30_000, env: { ...process.env, AWS_REGION: "" } },
                    (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout, stderr }));
            });
            const [help, bad] = await Promise.all([run("--help"), run("--waf-acl", "a", "--region", "eu-west-1", "--every", "0")]);
            assert.deepEqual([help.code, help.stdout, help.stderr], [0, `${MEASURE_LAG_USAGE}\n`, ""]);
            assert.deepEqual([bad.code, bad.stdout, bad.stderr], [2, "", `measure-lag: --every must be a whole number from 1 to 300 (got "0") (see --help)\n`]);
        });
    });
});
