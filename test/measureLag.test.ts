// npm run measure-lag (scripts/lib/measureLag.ts): the per-minute bookkeeping against a fake CloudWatch whose
// datapoints appear (and change) at scripted times, with hand-computed delays; failed polls reported and retried at
// the next tick; every GetMetricData request valid for the SDK's model and reading the series the alarms read; the
// suggested simulate command; the command line (--help, usage errors, exit codes).
import { strict as assert } from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type {
    DescribeAlarmHistoryCommand, DescribeAlarmHistoryCommandOutput, DescribeAlarmsCommand, DescribeAlarmsCommandOutput, GetMetricDataCommandOutput,
} from "@aws-sdk/client-cloudwatch";

import { alarmSetRule, planCloudWatchAlarms, WAF_METRIC_NAME, WAF_NAMESPACE } from "../components/cloudwatchDetection";
import { COMPOSITE_EVALUATION_SECONDS, EVALUATION_DELAY_SECONDS } from "../model/alarmReplay";
import { AlarmSender, formatAlarmHistory, measureAlarmHistory, phaseSeconds, phaseStat, ruleChildren, statesOf, unwrapPhases } from "../scripts/lib/alarmHistory";
import { simulationArgs } from "../scripts/lib/simulateCli";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import {
    ClockSkewMeter, LOOKBACK_MINUTES, LagSeries, MEASURE_LAG_USAGE, MetricDataSender, SkewSample, UsageError, WAF_METRIC, formatMeasurement, httpDate, measureLag, measureLagCli, metricDataRequest, parseAlarmHistoryArgs,
    parseMeasureLagArgs, pollOnce, replayOf, skewBounds, watchClockSkew,
} from "../scripts/lib/measureLag";
import { commandProblems } from "./standins/sdkModel";
import { OperationSchema, validateAgainstSdk } from "./standins/sdkSchema";

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
            { at: "2026-12-01T10:02:15.000Z", error: "ThrottlingException: Rate exceeded" },
            { at: "2026-12-01T10:02:25.000Z", error: "GetMetricData result m1: InternalError (InternalError try again)" },
        ]);
        assert.ok(log.some((l) => /poll at 2026-12-01T10:02:15.000Z failed: ThrottlingException: Rate exceeded; polling again at the next tick/.test(l)), log.join("\n"));
        assert.deepEqual(cw.requests.map((r) => new Date(r.at).toISOString().slice(11, 19)).slice(12, 16), ["10:02:05", "10:02:15", "10:02:25", "10:02:35"]);
        assert.ok(log.includes("10:02 changed 45 s after its end: 10 → 30"), log.join("\n"));
    });

    it("a minute whose last change was seen within one poll interval of the last poll is unsettled: listed, marked, left out of the settled max", async () => {
        // SCRIPT plus 10:03, which appears at 10:04:10 and changes at 10:04:52: the 10:04:55 poll (the second-to-last)
        // sees the change and only the last one (10:05:05, one --every later) confirms it — a change after 10:05:05
        // could not be seen. Before: counted as settled at 55 s, the max.
        const script: Scripted[] = [...SCRIPT, { minute: "10:03:00", appears: "10:04:10", value: 5, later: [{ at: "10:04:52", value: 9 }] }];
        const clock = fakeClock(at("10:00:05"));
        const t = await measureLag(fakeCloudWatch(clock, script).sender, WAF, { everySeconds: 10, minutes: 5 }, clock);
        const m3 = t.minuteLags()[2];
        assert.deepEqual([m3.minute, m3.settledSeconds, m3.settledConfirmed, m3.unsettled], ["2026-12-01T10:03:00.000Z", 55, true, true]);
        // 10:01 (settled at 10:02:25) and 10:02 (10:03:45) are settled; 10:04 (seen by the last poll only) is unsettled.
        assert.deepEqual(t.minuteLags().map((l) => l.unsettled), [false, false, true, true]);
        const s = t.summary(WAF, "dev");
        assert.deepEqual(s.settled, { max: 45, median: 25, count: 2 });
        assert.deepEqual(s.unsettled, [{ minute: "2026-12-01T10:03:00.000Z", settledSeconds: 55 }, { minute: "2026-12-01T10:04:00.000Z", settledSeconds: 5 }]);
        assert.equal(s.replay!.seconds, 45);
        const text = formatMeasurement(WAF, t.minuteLags(), s, { everySeconds: 10, minutes: 5 });
        assert.match(text, /2026-12-01 10:03\s+≤ 15 s \(> 5 s\)\s+55 s\?/);
        assert.match(text, /settled: {4}max 45 s, median 25 s \(2 minutes/);
        assert.match(text, /unsettled: {2}2 minute\(s\) \(10:03 at 55 s, 10:04 at 5 s; "\?" above\) last changed within one poll interval \(10 s\) of the last poll that read them, or no later poll confirmed them: they may still change, left out of the settled max/);
        // Two polls after the change (a --every of 5 s: 10:04:55, 10:05:00, 10:05:05): settled.
        const c5 = fakeClock(at("10:00:05"));
        const t5 = await measureLag(fakeCloudWatch(c5, script).sender, WAF, { everySeconds: 5, minutes: 5 }, c5);
        assert.deepEqual(t5.minuteLags().map((l) => [l.settledSeconds, l.unsettled]), [[25, false], [40, false], [55, false], [5, true]]);
    });

    describe("the local clock against AWS's (the Date header of each CloudWatch response)", () => {
        it("each response bounds the skew to (sent − Date − 1 s, received − Date]; the bounds intersect; samples that fit no offset are not used", () => {
            // Sent 10:00:05.000, received .200; CloudWatch's Date says 10:00:00 (its clock read 10:00:00.000-.999 in between).
            const x = { sentMs: at("10:00:05"), receivedMs: at("10:00:05.200"), dateMs: at("10:00:00") };
            assert.deepEqual(skewBounds(x), { lowMs: 4000, highMs: 5200 });
            const m = new ClockSkewMeter();
            assert.equal(m.result(), undefined);
            m.add(x);
            assert.deepEqual(m.result(), { lowSeconds: 4, highSeconds: 5.2, samples: 1, consistent: true, beyondWarn: true });
            // Sent at .600, a Date of 10:00:10 says skew > 4.6 (and ≤ 5.65): the intersection narrows to (4.6, 5.2].
            m.add({ sentMs: at("10:00:15.600"), receivedMs: at("10:00:15.650"), dateMs: at("10:00:10") });
            assert.deepEqual(m.result(), { lowSeconds: 4.6, highSeconds: 5.2, samples: 2, consistent: true, beyondWarn: true });
            // The local clock stepped by 30 s: no offset fits both; the hull is reported, marked inconsistent.
            m.add({ sentMs: at("10:00:25"), receivedMs: at("10:00:25.100"), dateMs: at("09:59:50") });
            assert.deepEqual(m.result(), { lowSeconds: 4, highSeconds: 35.1, samples: 3, consistent: false, beyondWarn: true });
            const near = new ClockSkewMeter();
            near.add({ sentMs: at("10:00:05.100"), receivedMs: at("10:00:05.180"), dateMs: at("10:00:05") });
            assert.deepEqual(near.result(), { lowSeconds: -0.9, highSeconds: 0.2, samples: 1, consistent: true, beyondWarn: false });
            assert.deepEqual([httpDate("Tue, 01 Dec 2026 10:00:05 GMT"), httpDate("garbage"), httpDate(undefined)], [at("10:00:05"), undefined, undefined]);
        });

        it("the SDK client's middleware reads the raw response's Date header once per HTTP attempt (real CloudWatchClient, CloudWatch over HTTP)", async () => {
            const cw = await new HttpCloudWatch().start();
            try {
                cw.dateSkewMs = -3_000;
                const client = new CloudWatchClient({ region: "eu-west-1", endpoint: cw.endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
                const samples: SkewSample[] = [];
                watchClockSkew(client, Date.now, (x) => samples.push(x));
                const points = await pollOnce(client, WAF, Date.now());
                assert.equal(points.size, 1);
                assert.deepEqual(cw.requests.flatMap((r) => r.problems), []);
                assert.equal(samples.length, 1);
                const [x] = samples;
                assert.ok(x.sentMs <= x.receivedMs && x.dateMs % 1000 === 0, JSON.stringify(x));
                const b = skewBounds(x);
                assert.ok(b.lowMs < 3000 && 3000 <= b.highMs + 1, JSON.stringify(b)); // local − AWS = +3 s
                // Throttled: the SDK retries (3 attempts by default); each attempt's error response has a Date: one sample each.
                cw.errorType = "ThrottlingException";
                await assert.rejects(pollOnce(client, WAF, Date.now()), (e: Error) => e.name === "ThrottlingException");
                assert.deepEqual([cw.requests.length, samples.length], [4, 4]);
                client.destroy();
            } finally {
                await cw.stop();
            }
        });

        it("the summary reports the skew; beyond ±2 s it warns and corrects the replay by it (hand-computed); within, it says it did not", async () => {
            // The local clock 4.3 s ahead, each poll answered 200 ms after it left; CloudWatch stamps its Date halfway.
            const run = async (skewMs: number) => {
                const clock = fakeClock(at("10:00:05"));
                const cw = fakeCloudWatch(clock, SCRIPT, FAILS);
                let out = "";
                let json = "";
                const createClient = (_region: string, onResponse: (x: SkewSample) => void): MetricDataSender => ({
                    send: async (cmd) => {
                        const t = clock.now();
                        const r = await cw.sender.send(cmd).finally(() => onResponse({ sentMs: t, receivedMs: t + 200, dateMs: Math.floor((t + 100 - skewMs) / 1000) * 1000 }));
                        return r;
                    },
                });
                const deps = { createClient, clock, env: { AWS_REGION: "eu-west-1" }, stdout: (x: string) => (out += x), stderr: () => undefined };
                assert.equal(await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "5", "--stack", "dev"], deps), 0);
                const jclock = fakeClock(at("10:00:05"));
                Object.assign(clock, { t: jclock.t });
                assert.equal(await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "5", "--stack", "dev", "--json"], { ...deps, stdout: (x: string) => (json += x) }), 0);
                return { out, summary: JSON.parse(json).summary };
            };
            // Every poll leaves at a whole second (.000): the AWS clock reads .800 (4.3 s behind, 0.1 s in), Date = t − 5 s:
            // each bounds the skew to (t − (t − 5) − 1, t + 0.2 − (t − 5)] = (4, 5.2]. Failed polls answered too.
            const ahead = await run(4300);
            assert.deepEqual(ahead.summary.clockSkew, { lowSeconds: 4, highSeconds: 5.2, samples: 31, consistent: true, beyondWarn: true, correctedSettledMax: { lowSeconds: 39.8, highSeconds: 41 } });
            assert.match(ahead.out, /\n {2}clock: {6}local − AWS = 4 to 5.2 s \(the Date headers of 31 CloudWatch response\(s\): each bounds it to one round trip \+ 1 s\)\n/);
            assert.match(ahead.out, /WARNING: the local clock is 4 to 5.2 s AHEAD of AWS's: every delay above \(local time − CloudWatch's minute\) is that much too long/);
            assert.match(ahead.out, /The replay below is corrected: settled max 45 s − skew = 39.8 to 41 s; it uses 41 s\./);
            // The table stays on the local clock; the replay takes the high end of the corrected max.
            assert.match(ahead.out, /settled: {4}max 45 s/);
            assert.equal(ahead.summary.replay.command, "npm run simulate -- --stack dev --waf-publish-delay 41");
            assert.match(ahead.summary.replay.derivation, /corrected for the clock skew: 45 − \(4 to 5.2\) = 39.8 to 41 s, the high end, rounded up/);
            // The local clock 5 s behind: (−6, −4.8]; corrected 49.8 to 51 s → 51.
            const behind = await run(-5000);
            assert.match(behind.out, /WARNING: the local clock is 4.8 to 6 s BEHIND AWS's: every delay above .* is that much too short/);
            assert.equal(behind.summary.replay.command, "npm run simulate -- --stack dev --waf-publish-delay 51");
            // 0.3 s ahead: the AWS clock reads t − 0.2 s, Date = t − 1 s: (0, 1.2]: reported, not corrected.
            const near = await run(300);
            assert.match(near.out, /clock: {6}local − AWS = 0 to 1.2 s .*: within ±2 s, not corrected\n/);
            assert.doesNotMatch(near.out, /WARNING/);
            assert.equal(near.summary.replay.command, "npm run simulate -- --stack dev --waf-publish-delay 45");
        });
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
            usage([], /exactly one of --waf-acl NAME, --ecommerce-stack NAME and --alarm NAME/);
            usage(["--waf-acl", "a", "--ecommerce-stack", "b"], /exactly one of/);
            usage(["--waf-acl", "a", "--measure", "views"], /--measure is for --ecommerce-stack/);
            usage(["--ecommerce-stack", "dev", "--rule", "x"], /--rule and --scope are for --waf-acl/);
            usage(["--waf-acl", "a", "--scope", "GLOBAL"], /--scope must be REGIONAL or CLOUDFRONT/);
            usage(["--waf-acl", "a", "--scope", "CLOUDFRONT", "--region", "eu-west-1"], /CLOUDFRONT web ACLs publish their metrics in us-east-1/);
            usage(["--waf-acl", "a"], /no AWS region/, {});
            usage(["--ecommerce-stack", "dev", "--measure", "orders"], /--measure must be one of views, carts, checkouts, revenue/);
            for (const bad of ["0", "301", "1.5", "", "x"]) usage(["--waf-acl", "a", "--every", bad], /^--every must be a whole number from 1 to 300/);
            usage(["--waf-acl", "a", "--minutes", "181"], /^--minutes must be a whole number from 3 to 180/);
            // 1 or 2 minutes can never measure a minute that a poll watched after its end: refused, not "nothing measured".
            for (const short of ["1", "2"]) usage(["--waf-acl", "a", "--minutes", short], /^--minutes must be a whole number from 3 to 180/);
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
            assert.match(out, /failed poll at 2026-12-01T10:02:15.000Z: ThrottlingException: Rate exceeded/);
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
            assert.equal(await measureLagCli(["--waf-acl", "a", "--minutes", "3", "--every", "60"], { ...deps, clock: fclock, createClient: () => down, stdout: (t) => (fout += t), stderr: (t) => (ferr += t) }), 1);
            assert.match(ferr, /every poll failed \(last: connect ETIMEDOUT\)/);
            assert.match(fout, /\(4 polls, 4 failed\)/);
            assert.equal((ferr.match(/failed: connect ETIMEDOUT; polling again/g) ?? []).length, 4);

            // no datapoint at all: exit 1, nothing to replay
            const eclock = fakeClock(at("10:00:05"));
            let eout = "";
            assert.equal(await measureLagCli(["--ecommerce-stack", "dev", "--minutes", "3"], { ...deps, clock: eclock, createClient: () => fakeCloudWatch(eclock, []).sender, stdout: (t) => (eout += t), stderr: () => undefined }), 1);
            assert.match(eout, /Nothing to replay: no minute was seen settled. Send traffic \(npm run generate-traffic\)/);
        });

        it("interrupted (the script's first SIGINT): no further poll, the summary of the minutes measured so far in the same format, saying so; exit 130", async () => {
            // --minutes 60, interrupted at 10:03:50 while waiting for the next tick (after the 10:03:45 poll, the 23rd).
            const ctl = new AbortController();
            const clock = {
                t: at("10:00:05"), now: () => clock.t,
                sleep: async (ms: number, signal?: AbortSignal) => {
                    assert.equal(signal, ctl.signal, "the wait for the next tick ends on the interrupt");
                    const ctrlC = at("10:03:50");
                    if (clock.t < ctrlC && clock.t + ms >= ctrlC) {
                        clock.t = ctrlC;
                        ctl.abort();
                        return;
                    }
                    clock.t += ms;
                },
            };
            const cw = fakeCloudWatch(clock, SCRIPT);
            let out = "";
            let err = "";
            const code = await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "60", "--stack", "dev"],
                { createClient: () => cw.sender, clock, env, stdout: (t) => (out += t), stderr: (t) => (err += t), interrupt: ctl.signal });
            assert.equal(code, 130);
            assert.equal(cw.requests.length, 23, "no poll after the interrupt");
            assert.match(out, /polled every 10 s for 3.8 of 60 min, INTERRUPTED \(23 polls, 0 failed\)/);
            assert.match(out, /\nInterrupted after 3.8 of 60 min: 2 minute\(s\) measured; the summary is of those.\nSummary: 2 of 2 minutes seen/);
            // 10:01 seen at 10:02:25 (25 s), settled; 10:02 changed at 10:03:40, seen by the last poll (10:03:45): unsettled.
            assert.match(out, /2026-12-01 10:01\s+≤ 25 s \(> 15 s\)\s+25 s\s+57/);
            assert.match(out, /2026-12-01 10:02\s+≤ 15 s \(> 5 s\)\s+45 s\?\s+30/);
            assert.match(out, /settled: {4}max 25 s, median 25 s \(1 minutes/);
            assert.match(out, /\n {2}npm run simulate -- --stack dev --waf-publish-delay 25\n$/);
            assert.match(err, /interrupted: no further poll; the summary of what was measured follows/);
            assert.match(err, /interrupted after 3.8 of 60 min \(2 minute\(s\) measured\): exit 130/);

            // Interrupted during a poll: that poll finishes and counts (its answer is data), then the summary; --json says so.
            const ctl2 = new AbortController();
            const c2 = fakeClock(at("10:00:05"));
            const cw2 = fakeCloudWatch(c2, SCRIPT);
            const sender: MetricDataSender = {
                send: (cmd) => {
                    if (c2.now() === at("10:03:45")) ctl2.abort();
                    return cw2.sender.send(cmd);
                },
            };
            let json = "";
            let err2 = "";
            assert.equal(await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "60", "--json"],
                { createClient: () => sender, clock: c2, env, stdout: (t) => (json += t), stderr: (t) => (err2 += t), interrupt: ctl2.signal }), 130);
            const parsed = JSON.parse(json);
            assert.deepEqual([parsed.summary.polls, parsed.summary.interrupted, parsed.summary.minutesMeasured, parsed.summary.settled.max],
                [23, { afterMinutes: 3.7, plannedMinutes: 60 }, 2, 25]);
            assert.match(err2, /interrupted: finishing the poll in flight, then the summary of what was measured \(interrupt again to quit without it\)/);
        });

        it("a poll that never answers is aborted at the call deadline, reported as failed with its reason, and the next tick polls again (the run keeps --minutes)", async () => {
            // Without the deadline the SDK waits its 900 s socket timeout per attempt: this run would never reach its
            // second poll (here: never end). The 10:02:15 poll hangs: one that honours the abort signal (the SDK's
            // way), and one that ignores it.
            for (const honours of [true, false]) {
                const clock = fakeClock(at("10:00:05"));
                const cw = fakeCloudWatch(clock, SCRIPT);
                const signals: Array<AbortSignal | undefined> = [];
                const sender: MetricDataSender = {
                    send: (cmd, options) => {
                        signals.push(options?.abortSignal);
                        if (new Date(clock.now()).toISOString().slice(11, 19) !== "10:02:15") return cw.sender.send(cmd);
                        return new Promise((_, reject) => {
                            if (honours) options?.abortSignal?.addEventListener("abort", () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" })));
                        });
                    },
                };
                let out = "";
                let err = "";
                const code = await measureLagCli(["--waf-acl", "dev-web-acl", "--minutes", "5", "--stack", "dev"],
                    { createClient: () => sender, clock, env, stdout: (t) => (out += t), stderr: (t) => (err += t), callTimeoutMs: 50 });
                assert.equal(code, 0, err);
                assert.equal(signals.length, 31, "every poll of the 5 minutes still ran");
                assert.ok(signals.every((x) => x instanceof AbortSignal), "every call gets the deadline's abort signal (the SDK destroys the request)");
                assert.match(out, /\(31 polls, 1 failed\)/);
                assert.match(out, /failed poll at 2026-12-01T10:02:15.000Z: GetMetricData: no answer in 0.1 s \(aborted\)/);
                assert.match(err, /poll at 2026-12-01T10:02:15.000Z failed: GetMetricData: no answer in 0.1 s \(aborted\); polling again at the next tick/);
                // 10:01 appears at 10:02:23; the hung 10:02:15 poll is no "not seen" evidence: > 5 s (10:02:05), ≤ 25 s (10:02:25).
                assert.match(out, /2026-12-01 10:01\s+≤ 25 s \(> 5 s\)/);
            }
        });

        it("the script: --help on stdout, exit 0; a usage error one line on stderr, exit 2", async function () {
            this.timeout(60_000);
            const run = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
                execFile(process.execPath, ["-r", "./test/tsnode.js", "scripts/measure-lag.ts", ...args], { cwd: ROOT, timeout: 30_000, env: { ...process.env, AWS_REGION: "" } },
                    (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout, stderr }));
            });
            const [help, bad, badAlarm] = await Promise.all([
                run("--help"), run("--waf-acl", "a", "--region", "eu-west-1", "--every", "0"), run("--alarm", "a", "--region", "eu-west-1", "--hours", "0"),
            ]);
            assert.deepEqual([help.code, help.stdout, help.stderr], [0, `${MEASURE_LAG_USAGE}\n`, ""]);
            assert.deepEqual([bad.code, bad.stdout, bad.stderr], [2, "", `measure-lag: --every must be a whole number from 1 to 300 (got "0") (see --help)\n`]);
            assert.deepEqual([badAlarm.code, badAlarm.stdout, badAlarm.stderr], [2, "", `measure-lag: --hours must be a whole number from 1 to 720 (got "0") (see --help)\n`]);
        });
    });

    describe("--alarm: evaluation phase and composite lag from the alarm state history (scripts/lib/alarmHistory.ts)", () => {
        const C = "dev-waf-ALL-blocked-requests-spike";
        const B = `${C}-band`;
        const F = `${C}-floor`;
        const M = "dev-ecommerce-views-total-spike";
        const NOW = Date.parse("2026-12-01T12:00:00Z");
        const when = (t: string) => Date.parse(t.includes("T") ? `${t}Z` : `2026-12-01T${t}Z`);
        type Kind = "MetricAlarm" | "CompositeAlarm";
        /** `query`: newState.stateReasonData with this queryDate ("+0000" form); `reason`: stateReasonData without one; neither: a hand-set state. */
        interface Item { alarm: string; at: string; from: string; to: string; summaryOnly?: boolean; itemType?: "StateUpdate" | "Action"; query?: string; reason?: boolean }
        // The composite's rule exactly as the stack writes it (components/cloudwatchDetection.ts alarmSetRule).
        const ALARMS: Record<string, { type: Kind; rule?: string }> = {
            [C]: { type: "CompositeAlarm", rule: alarmSetRule({ gate: { key: "g", alarmName: F, bandAlarmName: B, description: "", windowSeconds: 120, threshold: 20, metricQueries: [] } }) },
            [B]: { type: "MetricAlarm" }, [F]: { type: "MetricAlarm" }, [M]: { type: "MetricAlarm" },
        };
        const HISTORY: Item[] = [
            { alarm: B, at: "2026-11-30T11:59:00.000", from: "OK", to: "ALARM" }, // older than 24 h: outside the window
            { alarm: C, at: "09:00:00.000", from: "INSUFFICIENT_DATA", to: "OK" }, // the composite's creation: no child transition before it
            { alarm: F, at: "10:02:31.000", from: "OK", to: "ALARM", query: "2026-12-01T10:02:30.700+0000" },
            { alarm: B, at: "10:03:07.400", from: "OK", to: "ALARM", query: "2026-12-01T10:03:06.800+0000" },
            { alarm: C, at: "10:03:07.900", from: "OK", to: "ALARM" },
            { alarm: C, at: "10:03:08.100", from: "OK", to: "ALARM", itemType: "Action" },
            { alarm: B, at: "10:09:12.000", from: "ALARM", to: "OK", summaryOnly: true },
            { alarm: C, at: "10:09:12.300", from: "ALARM", to: "OK" },
            { alarm: F, at: "10:10:09.800", from: "ALARM", to: "OK", reason: true },
            { alarm: M, at: "11:15:20.600", from: "OK", to: "ALARM", query: "2026-12-01T11:15:20.200+0000" },
            { alarm: M, at: "11:19:08.100", from: "ALARM", to: "OK", query: "2026-12-01T11:19:07.900+0000" },
            { alarm: M, at: "11:30:03.000", from: "OK", to: "ALARM" }, // set by hand (SetAlarmState): no stateReasonData, not an evaluation
        ];

        /**
         * Fake CloudWatch alarms: DescribeAlarms and DescribeAlarmHistory as the API reference describes them — without
         * AlarmTypes only metric alarms come back; history filtered by AlarmName, HistoryItemType and [StartDate, EndDate],
         * ordered by ScanBy, `pageSize` items a page with NextToken. Every request is checked against the SDK model.
         */
        function fakeAlarms(items: Item[], opts: { pageSize?: number; failHistory?: Record<string, Error>; failDescribe?: Error } = {}) {
            const requests: Array<{ op: string; input: Record<string, unknown> }> = [];
            const send = async (cmd: DescribeAlarmsCommand | DescribeAlarmHistoryCommand): Promise<DescribeAlarmsCommandOutput | DescribeAlarmHistoryCommandOutput> => {
                const op = cmd.constructor.name;
                assert.ok(op === "DescribeAlarmsCommand" || op === "DescribeAlarmHistoryCommand", `--alarm calls only DescribeAlarms and DescribeAlarmHistory, not ${op}`);
                assert.deepEqual(commandProblems(cwModel, cmd), [], `${op} request valid for the SDK model`);
                requests.push({ op, input: cmd.input as Record<string, unknown> });
                const types = (cmd.input.AlarmTypes ?? ["MetricAlarm"]) as string[];
                if (op === "DescribeAlarmsCommand") {
                    if (opts.failDescribe) throw opts.failDescribe;
                    const names = (cmd as DescribeAlarmsCommand).input.AlarmNames ?? [];
                    const known = names.filter((n) => ALARMS[n] && types.includes(ALARMS[n].type));
                    return {
                        $metadata: {},
                        MetricAlarms: known.filter((n) => ALARMS[n].type === "MetricAlarm").map((n) => ({ AlarmName: n })),
                        CompositeAlarms: known.filter((n) => ALARMS[n].type === "CompositeAlarm").map((n) => ({ AlarmName: n, AlarmRule: ALARMS[n].rule })),
                    };
                }
                const input = (cmd as DescribeAlarmHistoryCommand).input;
                const fail = opts.failHistory?.[input.AlarmName ?? ""];
                if (fail) throw fail;
                const from = input.StartDate!.getTime();
                const to = input.EndDate!.getTime();
                const hit = items
                    .filter((i) => i.alarm === input.AlarmName && types.includes(ALARMS[i.alarm].type) && (i.itemType ?? "StateUpdate") === (input.HistoryItemType ?? i.itemType ?? "StateUpdate"))
                    .filter((i) => when(i.at) >= from && when(i.at) <= to)
                    .sort((a, b) => (when(a.at) - when(b.at)) * (input.ScanBy === "TimestampAscending" ? 1 : -1));
                const size = opts.pageSize ?? 100;
                const offset = input.NextToken ? Number(input.NextToken) : 0;
                const page = hit.slice(offset, offset + size);
                return {
                    $metadata: {},
                    AlarmHistoryItems: page.map((i) => ({
                        AlarmName: i.alarm, AlarmType: ALARMS[i.alarm].type, Timestamp: new Date(when(i.at)), HistoryItemType: i.itemType ?? "StateUpdate",
                        HistorySummary: `Alarm updated from ${i.from} to ${i.to}`,
                        ...(i.summaryOnly ? {} : {
                            HistoryData: JSON.stringify({
                                version: "1.0", oldState: { stateValue: i.from, stateReason: "r" },
                                newState: { stateValue: i.to, stateReason: i.query || i.reason ? "Threshold Crossed: ..." : "testing purposes",
                                    ...(i.query ? { stateReasonData: { version: "1.0", queryDate: i.query, period: 60, recentDatapoints: [1] } } : i.reason ? { stateReasonData: { version: "1.0" } } : {}) },
                            }),
                        }),
                    })),
                    ...(offset + size < hit.length ? { NextToken: String(offset + size) } : {}),
                };
            };
            return { sender: { send } as unknown as AlarmSender, requests };
        }

        it("hand-computed: the phase of every metric alarm transition (composites excluded), the composite paired with its latest child transition, paginated", async () => {
            const cw = fakeAlarms(HISTORY, { pageSize: 2 });
            const r = await measureAlarmHistory(cw.sender, [C, M], { region: "eu-west-1", hours: 24, nowMs: NOW, stack: "dev" });
            assert.deepEqual(r.failures, []);
            assert.deepEqual(r.window, { start: "2026-11-30T12:00:00.000Z", end: "2026-12-01T12:00:00.000Z", hours: 24 });
            // The composite's children come from its AlarmRule; each alarm read once.
            assert.deepEqual(r.alarms.map((a) => [a.name, a.type, a.children, a.transitions]), [[C, "CompositeAlarm", [B, F], 3], [M, "MetricAlarm", undefined, 3], [B, "MetricAlarm", undefined, 2], [F, "MetricAlarm", undefined, 2]]);
            // Metric alarm transitions at :31.0 (F), :07.4, :12.0 (B), :09.8 (F), :20.6, :08.1 (M) → 7.4 / 8.1 / 9.8 / 12 / 20.6 / 31;
            // M's hand-set 11:30:03 (no stateReasonData) is left out (else the minimum would be 3).
            assert.deepEqual(r.phase, { min: 7.4, median: 9.8, max: 31, count: 6, wraps: false, transitions: 6, alarms: 3 });
            assert.deepEqual(r.notEvaluations, [{ alarm: M, at: "2026-12-01T11:30:03.000Z", summary: "Alarm updated from OK to ALARM" }]);
            // queryDate of F :30.7, B :06.8, M :20.2, :07.9 → 6.8 / 7.9 / 20.2 / 30.7; before the transitions by 0.3, 0.6, 0.4, 0.2 s.
            assert.deepEqual(r.queryPhase, { min: 6.8, median: 7.9, max: 30.7, count: 4, wraps: false });
            assert.deepEqual(r.queryToTransition, { min: 0.2, median: 0.3, max: 0.6, count: 4 });
            assert.equal(EVALUATION_DELAY_SECONDS, 0);
            assert.deepEqual(r.replay, { seconds: 6, basis: "queryDate", command: "npm run simulate -- --stack dev --evaluation-delay 6", baseline: "npm run simulate -- --stack dev --evaluation-delay 0" });
            // Composite: 10:03:07.9 ← B at :07.4 (0.5 s; F's 10:02:31 is older), 10:09:12.3 ← B at :12.0 (0.3 s, its state from the summary);
            // 09:00 has no child transition before it in the window (B's of the day before is outside it).
            assert.equal(r.composites.length, 1);
            const c = r.composites[0];
            assert.deepEqual(c.pairs, [
                { at: "2026-12-01T10:03:07.900Z", to: "ALARM", child: B, childAt: "2026-12-01T10:03:07.400Z", childTo: "ALARM", lagSeconds: 0.5 },
                { at: "2026-12-01T10:09:12.300Z", to: "OK", child: B, childAt: "2026-12-01T10:09:12.000Z", childTo: "OK", lagSeconds: 0.3 },
            ]);
            assert.deepEqual(c.unpaired, ["2026-12-01T09:00:00.000Z"]);
            assert.deepEqual(r.compositeLag, { min: 0.3, median: 0.3, max: 0.5, count: 2 });
            assert.equal(r.assumedCompositeSeconds, COMPOSITE_EVALUATION_SECONDS);
            // The Action item is not a transition.
            assert.equal(r.transitions.filter((t) => t.alarm === C).length, 3);

            // Requests: both alarm types always (else composites are invisible), StateUpdate over exactly the window, oldest first, the largest page.
            const describes = cw.requests.filter((q) => q.op === "DescribeAlarmsCommand");
            assert.deepEqual(describes.map((q) => q.input), [{ AlarmNames: [C, M], AlarmTypes: ["CompositeAlarm", "MetricAlarm"] }, { AlarmNames: [B, F], AlarmTypes: ["CompositeAlarm", "MetricAlarm"] }]);
            const history = cw.requests.filter((q) => q.op === "DescribeAlarmHistoryCommand");
            assert.deepEqual(history.map((q) => [q.input.AlarmName, q.input.NextToken]), [[C, undefined], [C, "2"], [M, undefined], [M, "2"], [B, undefined], [F, undefined]]);
            for (const q of history) {
                assert.deepEqual([q.input.AlarmTypes, q.input.HistoryItemType, (q.input.StartDate as Date).toISOString(), (q.input.EndDate as Date).toISOString(), q.input.ScanBy, q.input.MaxRecords],
                    [["CompositeAlarm", "MetricAlarm"], "StateUpdate", "2026-11-30T12:00:00.000Z", "2026-12-01T12:00:00.000Z", "TimestampAscending", 100]);
            }
        });

        it("phases are on the circle of the minute: 59.5, 0.2 and 0.8 s are 1.3 s apart (the smallest arc), not 59.3; the late end is 59 s past the previous minute", async () => {
            // The arc cut at the widest gap: 0.8 → 59.5 (58.7 s) beats the one across :00 (0.7 s), so 59.5 is −0.5.
            assert.deepEqual(unwrapPhases([59.5, 0.2, 0.8]), [-0.5, 0.2, 0.8]);
            assert.deepEqual(phaseStat([59.5, 0.2, 0.8]), { min: -0.5, median: 0.2, max: 0.8, count: 3, wraps: true });
            // Not crossing :00: the plain phases; a tie between the gap across :00 and another keeps them plain.
            assert.deepEqual(phaseStat([7.4, 31, 12]), { min: 7.4, median: 12, max: 31, count: 3, wraps: false });
            assert.deepEqual(unwrapPhases([10, 50]), [10, -10]); // the arc 50 → 10 is 20 s, 10 → 50 is 40 s
            assert.deepEqual(unwrapPhases([5, 25, 45]), [5, 25, 45]);
            // 59.96 s past the minute rounds to the next whole minute: phase 0, not 60.
            assert.equal(phaseSeconds(when("10:04:59.960")), 0);

            // Through the history: an evaluation at :59.x stamped :59.5, then two stamped just after the next minutes.
            const items: Item[] = [
                { alarm: M, at: "11:14:59.500", from: "OK", to: "ALARM", query: "2026-12-01T11:14:59.300+0000" },
                { alarm: M, at: "11:15:00.200", from: "ALARM", to: "OK", query: "2026-12-01T11:15:00.000+0000" },
                { alarm: M, at: "11:16:00.800", from: "OK", to: "ALARM", query: "2026-12-01T11:16:00.600+0000" },
            ];
            const r = await measureAlarmHistory(fakeAlarms(items).sender, [M], { region: "eu-west-1", hours: 24, nowMs: NOW, stack: "dev" });
            assert.deepEqual(r.phase, { min: -0.5, median: 0.2, max: 0.8, count: 3, wraps: true, transitions: 3, alarms: 1 });
            assert.deepEqual(r.queryPhase, { min: -0.7, median: 0, max: 0.6, count: 3, wraps: true });
            // The per-transition phases stay seconds past their own minute.
            assert.deepEqual(r.transitions.map((t) => t.phaseSeconds), [59.5, 0.2, 0.8]);
            // The late end: the earliest query on the arc, 59.3 s past the previous minute → ⌊59.3⌋.
            assert.equal(r.replay!.command, "npm run simulate -- --stack dev --evaluation-delay 59");
            const text = formatAlarmHistory(r);
            assert.match(text, /\(3 transitions of 1 alarm\(s\)\):\n {2}min -0.5 s, median 0.2 s, max 0.8 s\n {2}\(they straddle the whole minute: on the smallest arc holding them all, 1.3 s long; a negative phase is before the minute, -0.5 s = 59.5 s past the previous one\)/);
            assert.match(text, /a constant\n {2}read delay lies between 0 and the minimum, 59.5 s past the previous minute/);
            assert.doesNotMatch(text, /The phases spread/);
        });

        it("the children of every composite the stack plans are read from its AlarmRule; ARNs and bare names too; states from HistoryData, else the summary", () => {
            const cfg = loadStackConfig("dev");
            const specs = planCloudWatchAlarms({ ...simulationArgs(cfg), webAcls: [{ key: "", name: "dev-web-acl", scope: "REGIONAL" as const, rules: ["AWSManagedRulesCommonRuleSet"] }] });
            const composites = specs.filter((s) => s.gate || s.companion);
            assert.ok(composites.length >= 10, `${composites.length} composites`);
            for (const s of composites) {
                const expected = [...new Set([s.gate?.bandAlarmName, s.gate?.alarmName, s.companion?.bandAlarmName, s.companion?.alarmName].filter((n): n is string => !!n))];
                assert.deepEqual([...ruleChildren(alarmSetRule(s))].sort(), expected.sort(), s.alarmName);
            }
            assert.deepEqual(ruleChildren('ALARM(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a-b) OR (OK("c d") AND NOT INSUFFICIENT_DATA( e )) OR ALARM("c d")'), ["a-b", "c d", "e"]);
            assert.deepEqual(statesOf({ HistoryData: '{"oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM"}}', HistorySummary: "Alarm updated from X to Y" }), { from: "OK", to: "ALARM", evaluation: false });
            // The AWS CLI's describe-alarm-history example item (HistoryData as CloudWatch writes it).
            const cli = '{"version":"1.0","oldState":{"stateValue":"ALARM","stateReason":"testing purposes"},"newState":{"stateValue":"OK","stateReason":"Threshold Crossed: 2 datapoints were not greater than the threshold (70.0). The most recent datapoints: [38.958, 40.292].","stateReasonData":{"version":"1.0","queryDate":"2014-04-09T18:59:06.419+0000","startDate":"2014-04-09T18:44:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[38.958,40.292],"threshold":70.0}}}';
            assert.deepEqual(statesOf({ HistoryData: cli }), { from: "ALARM", to: "OK", evaluation: true, queryMs: Date.parse("2014-04-09T18:59:06.419Z") });
            assert.deepEqual(statesOf({ HistoryData: "not json", HistorySummary: "Alarm updated from ALARM to OK" }), { from: "ALARM", to: "OK" });
            assert.deepEqual(statesOf({}), {});
            assert.deepEqual([phaseSeconds(when("10:03:07.449")), phaseSeconds(when("10:04:00.000")), phaseSeconds(when("10:04:59.900"))], [7.4, 0, 59.9]);
        });

        describe("command line", () => {
            const env = { AWS_REGION: "eu-west-1" };
            const clock = { now: () => NOW, sleep: async () => undefined };
            const noMetrics: MetricDataSender = { send: async () => { throw new Error("--alarm polls no metric"); } };
            const run = async (argv: string[], sender: AlarmSender) => {
                let out = "";
                let err = "";
                const code = await measureLagCli(argv, {
                    createClient: () => noMetrics, createAlarmClient: (region) => (assert.equal(region, "eu-west-1"), sender), clock, env,
                    stdout: (t) => (out += t), stderr: (t) => (err += t),
                });
                return { code, out, err };
            };

            it("prints both figures, the simulate commands and which way each errs; --json; exit 0", async () => {
                const r = await run(["--alarm", C, "--alarm", M, "--stack", "dev"], fakeAlarms(HISTORY).sender);
                assert.equal(r.code, 0, r.err);
                assert.match(r.out, /^Alarm state history \(DescribeAlarmHistory StateUpdate\) 2026-11-30T12:00:00.000Z – 2026-12-01T12:00:00.000Z \(24 h\), eu-west-1:/);
                assert.match(r.out, new RegExp(`${C}: composite of ${B}, ${F}; 3 transition\\(s\\)`));
                assert.match(r.out, /\(6 transitions of 3 alarm\(s\)\):\n {2}min 7.4 s, median 9.8 s, max 31 s\n/);
                assert.match(r.out, /UPPER bound of when that evaluation read/);
                assert.match(r.out, /npm run simulate -- --stack dev --evaluation-delay 0\n/);
                assert.match(r.out, /queryDate \(newState.stateReasonData: when CloudWatch says the evaluation queried\), 4 of them: min 6.8 s, median 7.9 s, max 30.7 s past the minute;\n.*followed it by min 0.2 s, median 0.3 s, max 0.6 s/);
                assert.match(r.out, /npm run simulate -- --stack dev --evaluation-delay 6 .*the earliest read CloudWatch recorded/);
                assert.match(r.out, /Left out, not written by an evaluation .*: 1\n {4}2026-12-01T11:30:03.000Z dev-ecommerce-views-total-spike/);
                assert.match(r.out, /10:03:07.900Z ALARM {2}← .*-band ALARM at 2026-12-01T10:03:07.400Z: 0.5 s/);
                assert.match(r.out, /09:00:00.000Z: no child transition at or before it in the window \(not counted\)/);
                assert.match(r.out, /Composite lag, all pairs: min 0.3 s, median 0.3 s, max 0.5 s \(2\); the simulator assumes COMPOSITE_EVALUATION_SECONDS = 0 s/);
                assert.match(r.out, /LOWER bound of the lag/);
                const j = await run(["--alarm", C, "--json", "--hours", "2"], fakeAlarms(HISTORY).sender);
                assert.equal(j.code, 0, j.err);
                const parsed = JSON.parse(j.out);
                // Two hours (10:00-12:00): the composite's 09:00 creation is outside; B and F are still read.
                assert.deepEqual([parsed.window.hours, parsed.phase.min, parsed.phase.max, parsed.replay.command, parsed.compositeLag.max, parsed.composites[0].unpaired],
                    [2, 7.4, 31, "npm run simulate -- --stack STACK --evaluation-delay 6", 0.5, []]);
                // Without any queryDate (HistoryData unreadable), ⌊min transition phase⌋: 7 s.
                const noQuery = await run(["--alarm", C, "--alarm", M, "--stack", "dev"], fakeAlarms(HISTORY.filter((i) => i.alarm !== M).map((i) => ({ ...i, summaryOnly: true }))).sender);
                assert.equal(noQuery.code, 0, noQuery.err);
                assert.match(noQuery.out, /min 7.4 s, median 9.8 s, max 31 s\n/);
                assert.match(noQuery.out, /npm run simulate -- --stack dev --evaluation-delay 7 .*errs toward a later read/);
                assert.doesNotMatch(noQuery.out, /queryDate \(/);
            });

            it("a call that never answers is aborted at the deadline, reported with its reason, exits 1; the other alarms are still read", async () => {
                const fake = fakeAlarms(HISTORY).sender;
                const sender = {
                    send: (cmd: DescribeAlarmsCommand | DescribeAlarmHistoryCommand, options?: { abortSignal?: AbortSignal }) => {
                        assert.ok(options?.abortSignal instanceof AbortSignal, "every call gets the deadline's abort signal");
                        if (cmd.constructor.name === "DescribeAlarmHistoryCommand" && (cmd as DescribeAlarmHistoryCommand).input.AlarmName === M) return new Promise<never>(() => undefined);
                        return (fake.send as (c: typeof cmd) => Promise<unknown>)(cmd);
                    },
                } as unknown as AlarmSender;
                let out = "";
                let err = "";
                const code = await measureLagCli(["--alarm", C, "--alarm", M], {
                    createClient: () => noMetrics, createAlarmClient: () => sender, clock, env, stdout: (t) => (out += t), stderr: (t) => (err += t), callTimeoutMs: 50,
                });
                assert.equal(code, 1);
                assert.match(err, /DescribeAlarmHistory dev-ecommerce-views-total-spike failed: DescribeAlarmHistory: no answer in 0.1 s \(aborted\)/);
                assert.match(out, /Composite lag, all pairs: min 0.3 s, median 0.3 s, max 0.5 s \(2\)/);
            });

            it("a failed call is reported with its reason and exits 1, the other alarms still read; an unknown alarm; an empty window exits 1", async () => {
                const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
                const f = await run(["--alarm", C, "--alarm", M, "--alarm", "nope"], fakeAlarms(HISTORY, { failHistory: { [M]: throttled } }).sender);
                assert.equal(f.code, 1);
                assert.match(f.err, /DescribeAlarmHistory dev-ecommerce-views-total-spike failed: ThrottlingException: Rate exceeded/);
                assert.match(f.err, /no metric or composite alarm named "nope" in eu-west-1/);
                assert.match(f.err, /2 call\(s\) failed/);
                assert.match(f.out, /failed: DescribeAlarmHistory dev-ecommerce-views-total-spike: ThrottlingException: Rate exceeded/);
                // B and F still measured: 31, 7.4, 12, 9.8.
                assert.match(f.out, /\(4 transitions of 2 alarm\(s\)\):\n {2}min 7.4 s, median 9.8 s, max 31 s/);

                const d = await run(["--alarm", C], fakeAlarms(HISTORY, { failDescribe: Object.assign(new Error("User is not authorized to perform: cloudwatch:DescribeAlarms"), { name: "AccessDenied" }) }).sender);
                assert.equal(d.code, 1);
                assert.match(d.err, /DescribeAlarms dev-waf-ALL-blocked-requests-spike failed: AccessDenied: User is not authorized/);

                const e = await run(["--alarm", C, "--alarm", M], fakeAlarms([]).sender);
                assert.equal(e.code, 1);
                assert.match(e.out, /Evaluation phase: no metric alarm transition written by an evaluation in the window/);
                assert.match(e.out, /no transition of the composite in the window/);
                assert.match(e.err, /no state transition of .* in the last 24 h: nothing measured/);

                // Only a hand-set transition (no stateReasonData): there WAS a transition; the reason says it was left out.
                const h = await run(["--alarm", M], fakeAlarms(HISTORY.filter((i) => i.alarm === M && !i.query)).sender);
                assert.equal(h.code, 1);
                assert.match(h.out, /Left out, not written by an evaluation .*: 1\n/);
                assert.doesNotMatch(h.err, /no state transition/);
                assert.match(h.err, /1 metric alarm transition\(s\) in the last 24 h, none written by an evaluation \(no stateReasonData: left out, listed\): nothing measured/);
            });

            it("usage errors name the flag", () => {
                const usage = (argv: string[], re: RegExp, e: Record<string, string | undefined> = env) =>
                    assert.throws(() => parseAlarmHistoryArgs(argv, e), (x: unknown) => x instanceof UsageError && re.test((x as Error).message), argv.join(" "));
                const a = parseAlarmHistoryArgs(["--alarm", "a", "--alarm", "b", "--alarm", "a"], env);
                assert.deepEqual(a, { alarms: ["a", "b"], hours: 24, region: "eu-west-1", json: false });
                usage(["--alarm", ""], /--alarm must be an alarm name of 1-255 characters/);
                usage(["--alarm", "x".repeat(256)], /--alarm must be an alarm name/);
                for (const bad of ["0", "721", "1.5", "x"]) usage(["--alarm", "a", "--hours", bad], /^--hours must be a whole number from 1 to 720/);
                usage(["--alarm", "a", "--waf-acl", "w", "--minutes", "3"], /--alarm reads alarm history: --waf-acl, --minutes are for polling a series/);
                usage(["--alarm", "a"], /no AWS region/, {});
                usage(["--alarm", "a", "--bogus"], /Unknown option '--bogus'/);
                usage(["--alarm"], /--alarm/);
                assert.throws(() => parseMeasureLagArgs(["--waf-acl", "a", "--hours", "3"], env), /Unknown option '--hours'/);
            });
        });
    });

    /**
     * CloudWatch over HTTP for the script as a user runs it (the real SDK client, reached through
     * AWS_ENDPOINT_URL_CLOUDWATCH): the AWS JSON 1.0 protocol the client speaks (X-Amz-Target
     * GraniteServiceVersion20100801.GetMetricData), every request body validated against the SDK's own GetMetricData
     * schema (ValidationException otherwise) and recorded. It answers the minute before the current one with a value
     * of 7; from request `hangFrom` on (1-based) it never answers.
     */
    class HttpCloudWatch {
        readonly requests: Array<{ target: string; body: Record<string, unknown>; problems: string[] }> = [];
        hangFrom = Infinity;
        /** Set: every request is answered with this error (HTTP 400). */
        errorType?: string;
        /** The Date header of each response is this far ahead of the local clock (AWS's clock − the local one). */
        dateSkewMs = 0;
        endpoint = "";
        private server?: http.Server;

        async start(): Promise<this> {
            this.server = http.createServer((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (c) => chunks.push(c));
                req.on("end", () => {
                    const target = String(req.headers["x-amz-target"] ?? "");
                    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
                    const problems = target === "GraniteServiceVersion20100801.GetMetricData"
                        ? validateAgainstSdk(cwModel.GetMetricData$ as OperationSchema, body, "wire")
                        : [`not GetMetricData: ${target}`];
                    this.requests.push({ target, body, problems });
                    if (this.requests.length >= this.hangFrom) return; // never answers
                    const send = (status: number, payload: unknown) => {
                        res.writeHead(status, { "content-type": "application/x-amz-json-1.0", date: new Date(Date.now() + this.dateSkewMs).toUTCString() });
                        res.end(JSON.stringify(payload));
                    };
                    if (problems.length) return send(400, { __type: "ValidationException", message: problems.join("; ") });
                    if (this.errorType) return send(400, { __type: this.errorType, message: "Rate exceeded" });
                    const minute = Math.floor(Date.now() / 60_000) * 60 - 60;
                    send(200, { MetricDataResults: [{ Id: "m1", Label: "BlockedRequests", StatusCode: "Complete", Timestamps: [minute], Values: [7] }] });
                });
            });
            await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
            this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
            return this;
        }

        async stop(): Promise<void> {
            this.server?.closeAllConnections();
            await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
        }
    }

    describe("the script against CloudWatch over HTTP (the real SDK client; AWS_ENDPOINT_URL_CLOUDWATCH)", function () {
        this.timeout(60_000);
        let cw: HttpCloudWatch;
        let child: ChildProcess | undefined;
        beforeEach(async () => {
            cw = await new HttpCloudWatch().start();
        });
        afterEach(async () => {
            if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            child = undefined;
            await cw.stop();
        });

        /** Starts `npm run measure-lag` as node runs it; resolves on exit with its output. */
        const start = (...args: string[]) => {
            const env: Record<string, string | undefined> = {
                ...process.env, AWS_ENDPOINT_URL_CLOUDWATCH: cw.endpoint, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_PROFILE: "",
            };
            delete env.AWS_SESSION_TOKEN;
            delete env.AWS_ENDPOINT_URL;
            const c = spawn(process.execPath, ["-r", "./test/tsnode.js", "scripts/measure-lag.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
            child = c;
            const run = { stdout: "", stderr: "", exited: undefined as undefined | Promise<{ code: number | null; signal: string | null; atMs: number }> };
            c.stdout!.on("data", (d) => (run.stdout += d));
            c.stderr!.on("data", (d) => (run.stderr += d));
            run.exited = new Promise((resolve) => c.on("exit", (code, signal) => resolve({ code, signal, atMs: Date.now() })));
            return { child: c, run };
        };
        const until = async (what: string, ok: () => boolean, ms = 30_000) => {
            const t0 = Date.now();
            while (!ok()) {
                if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
                await new Promise((r) => setTimeout(r, 20));
            }
        };

        it("Ctrl-C (SIGINT) stops polling and prints the summary of what was measured so far, saying it was interrupted; exit 130", async () => {
            const { child: c, run } = start("--waf-acl", "dev-web-acl", "--region", "eu-west-1", "--every", "1", "--minutes", "60", "--stack", "dev");
            await until("3 polls", () => cw.requests.length >= 3);
            c.kill("SIGINT");
            const exit = await run.exited!;
            assert.deepEqual([exit.code, exit.signal], [130, null], run.stderr);
            assert.deepEqual(cw.requests.flatMap((r) => r.problems), [], "every GetMetricData request valid for the SDK's model");
            const polls = cw.requests.length;
            assert.match(run.stdout, new RegExp(`^AWS/WAFV2 BlockedRequests Region=eu-west-1 Rule=ALL WebACL=dev-web-acl \\(eu-west-1\\): Sum per 60 s, polled every 1 s for 0(\\.\\d)? of 60 min, INTERRUPTED \\(${polls} polls, 0 failed\\)`));
            assert.match(run.stdout, /\nInterrupted after 0(\.\d)? of 60 min: 0 minute\(s\) measured; the summary is of those.\nSummary: 0 of 0 minutes seen/);
            assert.match(run.stdout, /Nothing to replay/);
            assert.match(run.stderr, /interrupted: (no further poll|finishing the poll in flight)/);
            assert.match(run.stderr, /: exit 130\n$/);
        });

        it("the local clock against AWS's, from the Date header of each response (the SDK middleware): a clock 5 s behind is reported and warned about", async () => {
            cw.dateSkewMs = 5_000; // AWS's clock 5 s ahead of the local one: local − AWS = −5 s
            const { child: c, run } = start("--waf-acl", "dev-web-acl", "--region", "eu-west-1", "--every", "1", "--minutes", "60", "--json");
            await until("4 polls", () => cw.requests.length >= 4);
            c.kill("SIGINT");
            const exit = await run.exited!;
            assert.equal(exit.code, 130, run.stderr);
            const k = JSON.parse(run.stdout).summary.clockSkew;
            // Each response bounds it to (sent − Date − 1 s, received − Date]: one round trip (a few ms here) + 1 s.
            assert.ok(k.lowSeconds <= -5 && -5 <= k.highSeconds, JSON.stringify(k));
            assert.ok(k.highSeconds - k.lowSeconds <= 1.5, JSON.stringify(k)); // 1 s + the shortest round trip, rounded outward
            assert.deepEqual([k.samples >= 4, k.consistent, k.beyondWarn], [true, true, true]);
        });

        it("a second SIGINT exits 130 at once, without the summary (here the first waits for a poll that never answers)", async () => {
            cw.hangFrom = 3;
            const { child: c, run } = start("--waf-acl", "dev-web-acl", "--region", "eu-west-1", "--every", "1", "--minutes", "60");
            await until("the hanging poll", () => cw.requests.length >= 3);
            c.kill("SIGINT");
            await until("the first SIGINT's message", () => /finishing the poll in flight/.test(run.stderr));
            const second = Date.now();
            c.kill("SIGINT");
            const exit = await run.exited!;
            assert.deepEqual([exit.code, exit.signal], [130, null], run.stderr);
            // The poll's deadline is 30 s: the exit did not wait for it.
            assert.ok(exit.atMs - second < 5_000, `exited ${exit.atMs - second} ms after the second SIGINT`);
            assert.equal(run.stdout, "");
            assert.match(run.stderr, /interrupted again: exiting without the summary\n$/);
        });
    });
});
