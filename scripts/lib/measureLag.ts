// `npm run measure-lag`: measures, on a real stack, the lags the detection simulator can only assume
// (model/metricArrival.ts: WAF_PUBLISH_DELAY_SECONDS for AWS/WAFV2 BlockedRequests; the EMF path's Kinesis read,
// Lambda buffer, transform run and LOG_TO_METRIC_SECONDS for the ecommerce metrics). It polls GetMetricData for one
// series (period 60, Sum, the last LOOKBACK_MINUTES minutes) every few seconds and records, per minute, when its
// datapoint was first seen and when its value last changed, measured from the END of the minute; then prints the
// max / median beside the simulator's bound and the `npm run simulate` command that replays with the measured one.
//
// Pure apart from the injected client and clock (scripts/measure-lag.ts wires the SDK client and real time), so
// the bookkeeping is tested against a scripted fake CloudWatch (test/measureLag.test.ts). A failed poll is reported
// (stderr, the summary) and the next tick polls again; it never stops the run and is never dropped. Every call has a
// deadline (CALL_TIMEOUT_SECONDS, aborted through the SDK's abortSignal): a poll that never answers is a failed poll.
// The delays are local time minus CloudWatch's minute stamps: the local clock's offset from AWS's is bounded from the
// Date header of every response (watchClockSkew, a middleware on the SDK client; ClockSkewMeter) and reported; beyond
// CLOCK_SKEW_WARN_SECONDS the summary warns and the replay is corrected for it.
// Interrupted (the script's first SIGINT: MeasureLagDeps.interrupt), it stops polling and prints the summary of what it
// measured so far, exit 130 (INTERRUPTED_EXIT).
//
// Resolution: a datapoint first seen by the poll that answered at T appeared at or before T and after the start of
// the previous successful poll, so each delay is an upper bound within one --every interval (wider after failed
// polls: the per-minute line shows both ends).
import { parseArgs } from "util";
import type { CloudWatchClient, Dimension, GetMetricDataCommandInput, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";

import { MEASURES, METRIC_NAMES, METRIC_NAMESPACE, Measure, STACK_DIMENSION, TRANSFORM_BUFFER_SECONDS } from "../../model/ecommerceSchema";
import {
    KINESIS_TO_FIREHOSE_SECONDS, LOG_TO_METRIC_SECONDS, TRANSFORM_RUN_SECONDS, WAF_PUBLISH_DELAY_RANGE_SECONDS, WAF_PUBLISH_DELAY_SECONDS,
    emfArrivalParams, emfMaxLagSeconds,
} from "../../model/metricArrival";
import { CLOUDFRONT_METRICS_REGION, WAF_TOTAL_RULE, WafScope, wafDimensions } from "../../model/wafTargets";
import { AlarmSender, errorText, formatAlarmHistory, measureAlarmHistory } from "./alarmHistory";

/** The series the WAF alarms read (components/cloudwatchDetection.ts WAF_NAMESPACE / WAF_METRIC_NAME; equality tested). */
export const WAF_METRIC = { namespace: "AWS/WAFV2", metricName: "BlockedRequests" } as const;
/** Period and statistic of every alarm this project creates on these series. */
export const PERIOD_SECONDS = 60;
export const STAT = "Sum";
/** Each poll reads this many whole minutes before the current one (and the current one). */
export const LOOKBACK_MINUTES = 10;
/**
 * Fewest --minutes: a minute is measured only when it began after the first poll and ended before the last one, so a
 * 1-minute run measures none and a 2-minute run at most one, read a few seconds after its end (both always "nothing
 * measured", blaming the traffic); 3 minutes measure at least one minute watched for a minute or more.
 */
export const MIN_MINUTES = 3;
/** Hours of alarm history --alarm --hours reads at most (CloudWatch may keep less; older history is simply absent). */
export const MAX_HISTORY_HOURS = 720;
/** NextToken pages one poll follows at most (one series over 11 minutes is one page). */
export const MAX_PAGES = 10;
/**
 * Seconds one CloudWatch call may take before it is aborted and counted as failed. Without it a connection that
 * never answers holds the run for the SDK's socket timeout (900 s for CloudWatch) on every attempt: the polls after
 * it never happen and `--minutes` is not kept. GetMetricData and DescribeAlarm* answer in well under a second.
 */
export const CALL_TIMEOUT_SECONDS = 30;

export type LagSeries =
    | { kind: "waf"; webAcl: string; rule: string; scope: WafScope; region: string }
    | { kind: "ecommerce"; stackDimension: string; measure: Measure; region: string };

/** The GetMetricData client: a CloudWatchClient in the script, a scripted fake in the tests. */
export interface MetricDataSender {
    send(command: GetMetricDataCommand, options?: CallOptions): Promise<GetMetricDataCommandOutput>;
}

/** What the SDK's send takes besides the command (HttpHandlerOptions): the signal that aborts the request. */
export interface CallOptions {
    abortSignal?: AbortSignal;
}

/**
 * Runs one call with a deadline: `call` gets an AbortSignal (the SDK destroys the request when it fires) and the
 * result rejects with "<what>: no answer in N s" at the deadline even if the call ignores the signal. The timer is
 * AbortSignal.timeout's, which does not keep the process alive.
 */
export function withDeadline<T>(what: string, timeoutMs: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(new Error(`${what}: no answer in ${round1(timeoutMs / 1000)} s (aborted)`));
        signal.addEventListener("abort", onAbort, { once: true });
        call(signal).then(
            (v) => { signal.removeEventListener("abort", onAbort); resolve(v); },
            (e) => { signal.removeEventListener("abort", onAbort); reject(signal.aborted ? new Error(`${what}: no answer in ${round1(timeoutMs / 1000)} s (aborted)`) : e); },
        );
    });
}

/** A client whose every call has the deadline (both modes wrap the script's CloudWatchClient with it). */
function deadlineClient<S extends { send: (command: never, options?: CallOptions) => Promise<unknown> }>(inner: S, timeoutMs: number): S {
    const send = (command: { constructor: { name: string } }) => withDeadline(command.constructor.name.replace(/Command$/, ""), timeoutMs,
        (abortSignal) => (inner.send as unknown as (c: unknown, o: CallOptions) => Promise<unknown>).call(inner, command, { abortSignal }));
    return { send } as unknown as S;
}

export interface Clock {
    now(): number;
    /** Resolves after `ms`, or as soon as `signal` aborts (an interrupted run stops waiting for its next tick). */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Namespace, metric name and dimensions of the series, exactly as the alarms read it. */
export function metricOf(s: LagSeries): { Namespace: string; MetricName: string; Dimensions: Dimension[] } {
    if (s.kind === "waf") {
        const dims = wafDimensions(s.scope, s.region, s.rule, s.webAcl) as Record<string, string>;
        return { Namespace: WAF_METRIC.namespace, MetricName: WAF_METRIC.metricName, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) };
    }
    return { Namespace: METRIC_NAMESPACE, MetricName: METRIC_NAMES[s.measure], Dimensions: [{ Name: STACK_DIMENSION, Value: s.stackDimension }] };
}

export function describeSeries(s: LagSeries): string {
    const m = metricOf(s);
    return `${m.Namespace} ${m.MetricName} ${m.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(" ")} (${s.region})`;
}

/** The GetMetricData request of a poll at `nowMs`: the series' Sum per 60 s over the last LOOKBACK_MINUTES minutes and the current one. */
export function metricDataRequest(s: LagSeries, nowMs: number): GetMetricDataCommandInput {
    const minute = Math.floor(nowMs / 60_000) * 60_000;
    return {
        // StartTime inclusive, EndTime exclusive; both on whole minutes (GetMetricData API reference).
        StartTime: new Date(minute - LOOKBACK_MINUTES * 60_000),
        EndTime: new Date(minute + 60_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [{ Id: "m1", MetricStat: { Metric: metricOf(s), Period: PERIOD_SECONDS, Stat: STAT }, ReturnData: true }],
    };
}

/** One poll: every datapoint of the window (minute start ms → value), following NextToken; throws on a failed result. */
export async function pollOnce(client: MetricDataSender, s: LagSeries, nowMs: number): Promise<Map<number, number>> {
    const input = metricDataRequest(s, nowMs);
    const points = new Map<number, number>();
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
        const out = await client.send(new GetMetricDataCommand(token ? { ...input, NextToken: token } : input));
        for (const r of out.MetricDataResults ?? []) {
            if (r.StatusCode === "InternalError" || r.StatusCode === "Forbidden") {
                const why = (r.Messages ?? []).map((m) => `${m.Code ?? ""} ${m.Value ?? ""}`.trim()).join("; ");
                throw new Error(`GetMetricData result ${r.Id ?? "?"}: ${r.StatusCode}${why ? ` (${why})` : ""}`);
            }
            const ts = r.Timestamps ?? [];
            const vs = r.Values ?? [];
            if (ts.length !== vs.length) throw new Error(`GetMetricData result ${r.Id ?? "?"}: ${ts.length} timestamps but ${vs.length} values`);
            ts.forEach((t, i) => points.set(new Date(t).getTime(), vs[i]));
        }
        token = out.NextToken;
        if (!token) return points;
    }
    throw new Error(`GetMetricData still paginating after ${MAX_PAGES} pages`);
}

interface MinuteState {
    minuteMs: number;
    /** Start of the last successful poll before the one that first saw it (it was not there then). */
    notSeenMs?: number;
    firstSeenMs: number;
    firstValue: number;
    value: number;
    lastChangeMs?: number;
    changes: number;
    /** End of the last successful poll that returned it. */
    lastObservedMs: number;
    /** A successful poll after the last change saw the same value. */
    confirmed: boolean;
}

export interface PollRecord {
    startMs: number;
    endMs: number;
    error?: string;
}

/** One minute of the measurement, delays in seconds after the minute's end. */
export interface MinuteLag {
    minute: string;
    minuteMs: number;
    seen: boolean;
    /** Upper bound: the poll that first returned the datapoint answered this long after the minute ended. */
    firstSeenSeconds?: number;
    /** Lower bound: the previous successful poll, which did not return it, started this long after the minute ended. */
    notSeenSeconds?: number;
    /** When the value last changed (= first seen when it never changed). */
    settledSeconds?: number;
    /** False when no later poll confirmed the last value: the settled delay may still grow. */
    settledConfirmed?: boolean;
    /**
     * The last change was seen within one poll interval of the last poll that read the minute (or never confirmed):
     * too close to the end of the run to call it settled — a change after it could not have been seen. Left out of the
     * settled summary.
     */
    unsettled?: boolean;
    firstValue?: number;
    value?: number;
    /** Times the value changed after it first appeared. */
    changes: number;
    /** How long after its end the minute was still being read (the last successful poll whose window held it). */
    watchedSeconds: number;
}

export interface Stat {
    max: number;
    median: number;
    count: number;
}

export interface LagSummary {
    series: string;
    polls: number;
    failedPolls: Array<{ at: string; error: string }>;
    /** Minutes that began after the first successful poll and ended before the last one. */
    minutesMeasured: number;
    minutesSeen: number;
    firstSeen?: Stat;
    /** Over the settled minutes: confirmed by a later poll and last changed more than one poll interval before the last poll that read them. */
    settled?: Stat;
    /** Minutes seen but left out of `settled`: their last change was within one poll interval of the end (or unconfirmed). */
    unsettled: Array<{ minute: string; settledSeconds: number }>;
    /** The poll interval the unsettled rule uses, in seconds. */
    everySeconds: number;
    changedAfterFirstSeen: number;
    assumed: { seconds: number; what: string };
    /**
     * The local clock minus AWS's, bounded by the Date headers of CloudWatch's responses (undefined: none had one).
     * `correctedSettledMax`: the settled max with the skew taken out, when it is beyond CLOCK_SKEW_WARN_SECONDS (the
     * replay then uses its high end).
     */
    clockSkew?: ClockSkew & { correctedSettledMax?: { lowSeconds: number; highSeconds: number } };
    /** Set when the run was interrupted (SIGINT): how long it polled of the --minutes planned; the figures are of the minutes measured by then. */
    interrupted?: { afterMinutes: number; plannedMinutes: number };
    /** The simulate flag and value that replay with the measured bound (undefined: nothing measured). */
    replay?: { flag: "--waf-publish-delay" | "--log-to-metric"; seconds: number; command: string; derivation: string };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const iso = (ms: number) => new Date(ms).toISOString();

/** Median as the simulator reports it (the lower middle of an even count). */
function stat(xs: number[]): Stat | undefined {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return { max: s[s.length - 1], median: s[Math.floor((s.length - 1) / 2)], count: s.length };
}

/** The measurement's bookkeeping: per minute timestamp, when its datapoint was first seen and when it last changed. */
export class LagTimeline {
    readonly polls: PollRecord[] = [];
    /** When the run began (measureLag sets it). */
    startedMs?: number;
    /** When an interrupted run stopped polling (measureLag sets it); undefined for a run that kept --minutes. */
    interruptedAtMs?: number;
    /** The --minutes the run was to poll (measureLag sets it). */
    plannedMinutes?: number;
    private readonly minutes = new Map<number, MinuteState>();
    private lastOk?: PollRecord;
    private firstOk?: PollRecord;

    /** `everyMs`: the poll interval, for the unsettled rule (a change seen within one interval of the end may not be the last). */
    constructor(private readonly log: (line: string) => void = () => undefined, private readonly everyMs = 10_000) {}

    /** A successful poll that started at `startMs`, answered at `endMs`, with these datapoints (minute start → value). */
    recordPoll(startMs: number, endMs: number, points: ReadonlyMap<number, number>): void {
        const poll = { startMs, endMs };
        for (const [minuteMs, value] of points) {
            const m = this.minutes.get(minuteMs);
            const after = (t: number) => `${round1((t - minuteMs - 60_000) / 1000)} s`;
            if (!m) {
                this.minutes.set(minuteMs, { minuteMs, notSeenMs: this.lastOk?.startMs, firstSeenMs: endMs, firstValue: value, value, changes: 0, lastObservedMs: endMs, confirmed: false });
                if (this.firstOk) this.log(`${iso(minuteMs).slice(11, 16)} first seen ${after(endMs)} after its end: ${value}`);
                continue;
            }
            m.lastObservedMs = endMs;
            if (value !== m.value) {
                this.log(`${iso(minuteMs).slice(11, 16)} changed ${after(endMs)} after its end: ${m.value} → ${value}`);
                m.value = value;
                m.lastChangeMs = endMs;
                m.changes += 1;
                m.confirmed = false;
            } else {
                m.confirmed = true;
            }
        }
        this.polls.push(poll);
        this.firstOk ??= poll;
        this.lastOk = poll;
    }

    /** A failed poll: kept with its reason (the next tick polls again). */
    recordFailure(startMs: number, endMs: number, error: string): void {
        this.polls.push({ startMs, endMs, error });
        this.log(`poll at ${iso(startMs)} failed: ${error}; polling again at the next tick`);
    }

    /** The minutes that began after the first successful poll and ended before the last one, oldest first. */
    minuteLags(): MinuteLag[] {
        const first = this.firstOk;
        const last = this.lastOk;
        if (!first || !last) return [];
        const out: MinuteLag[] = [];
        const from = Math.ceil(first.startMs / 60_000) * 60_000;
        for (let minuteMs = from; minuteMs + 60_000 <= last.startMs; minuteMs += 60_000) {
            const end = minuteMs + 60_000;
            const m = this.minutes.get(minuteMs);
            // Read until the last successful poll whose window (LOOKBACK_MINUTES back from its minute) still held it.
            const lastReader = [...this.polls].reverse().find((p) => !p.error && Math.floor(p.startMs / 60_000) * 60_000 - LOOKBACK_MINUTES * 60_000 <= minuteMs);
            const watched = round1(((lastReader?.endMs ?? end) - end) / 1000);
            if (!m) {
                out.push({ minute: iso(minuteMs), minuteMs, seen: false, changes: 0, watchedSeconds: watched });
                continue;
            }
            const settledMs = m.lastChangeMs ?? m.firstSeenMs;
            // The poll that saw the last change answered at settledMs. When the last poll that read the minute started
            // at most one interval after that, it is the only evidence that nothing changed since: too little at the end
            // of the run (a change just after the last poll would not be seen). Unconfirmed is unsettled too.
            const unsettled = !m.confirmed || !lastReader || lastReader.startMs - settledMs <= this.everyMs;
            out.push({
                minute: iso(minuteMs),
                minuteMs,
                seen: true,
                firstSeenSeconds: round1((m.firstSeenMs - end) / 1000),
                ...(m.notSeenMs !== undefined ? { notSeenSeconds: round1((m.notSeenMs - end) / 1000) } : {}),
                settledSeconds: round1((settledMs - end) / 1000),
                settledConfirmed: m.confirmed,
                unsettled,
                firstValue: m.firstValue,
                value: m.value,
                changes: m.changes,
                watchedSeconds: watched,
            });
        }
        return out;
    }

    /** `skew`: the local clock against AWS's (ClockSkewMeter.result()); beyond CLOCK_SKEW_WARN_SECONDS the replay is corrected for it. */
    summary(s: LagSeries, simulateStack?: string, skew?: ClockSkew): LagSummary {
        const lags = this.minuteLags();
        const seen = lags.filter((l) => l.seen);
        const firstSeen = stat(seen.map((l) => l.firstSeenSeconds!));
        const settled = stat(seen.filter((l) => !l.unsettled).map((l) => l.settledSeconds!));
        const out: LagSummary = {
            series: describeSeries(s),
            polls: this.polls.length,
            failedPolls: this.polls.filter((p) => p.error).map((p) => ({ at: iso(p.startMs), error: p.error! })),
            minutesMeasured: lags.length,
            minutesSeen: seen.length,
            ...(firstSeen ? { firstSeen } : {}),
            ...(settled ? { settled } : {}),
            unsettled: seen.filter((l) => l.unsettled).map((l) => ({ minute: l.minute, settledSeconds: l.settledSeconds! })),
            everySeconds: round1(this.everyMs / 1000),
            changedAfterFirstSeen: seen.filter((l) => l.changes > 0).length,
            assumed: assumedBound(s),
        };
        if (this.interruptedAtMs !== undefined) {
            out.interrupted = { afterMinutes: round1((this.interruptedAtMs - (this.startedMs ?? this.interruptedAtMs)) / 60_000), plannedMinutes: this.plannedMinutes ?? 0 };
        }
        if (skew) out.clockSkew = skew;
        if (settled && skew?.consistent && skew.beyondWarn) {
            // delay = (local − minute end) − skew, skew ∈ (low, high]: the true max lies in [max − high, max − low).
            const corrected = { lowSeconds: round1(settled.max - skew.highSeconds), highSeconds: round1(settled.max - skew.lowSeconds) };
            out.clockSkew = { ...skew, correctedSettledMax: corrected };
            out.replay = replayOf(s, corrected.highSeconds, simulateStack,
                `the settled delay's max ${settled.max} s corrected for the clock skew: ${settled.max} − (${skew.lowSeconds} to ${skew.highSeconds}) = ` +
                `${corrected.lowSeconds} to ${corrected.highSeconds} s, the high end`);
        } else if (settled) {
            out.replay = replayOf(s, settled.max, simulateStack);
        }
        return out;
    }
}

/** The simulator's bound for the measured delay: the WAF publish delay, or the EMF path end to end. */
export function assumedBound(s: LagSeries): { seconds: number; what: string } {
    if (s.kind === "waf") return { seconds: WAF_PUBLISH_DELAY_SECONDS.max, what: `WAF_PUBLISH_DELAY_SECONDS.max (a minute's datapoint, whole, ≤ ${WAF_PUBLISH_DELAY_SECONDS.max} s after it ends)` };
    const p = emfArrivalParams(TRANSFORM_BUFFER_SECONDS);
    return {
        seconds: emfMaxLagSeconds(p),
        what: `the EMF path: Kinesis read ≤ ${p.kinesisMax} s + Lambda buffer ${p.bufferSeconds} s + transform ≤ ${p.runMax} s + log→metric ≤ ${p.logToMetricMax} s (LOG_TO_METRIC_SECONDS.max)`,
    };
}

/**
 * The simulate flag that replays with a measured settled delay D (seconds after the minute's end):
 * WAF `--waf-publish-delay ceil(D)`; ecommerce: the minute's last events become readable D after its end, which the
 * simulator splits into the Kinesis read, the buffer and the transform run at their bounds plus log→metric, so
 * `--log-to-metric ceil(D − Kinesis − buffer − run)` (at least LOG_TO_METRIC_SECONDS.min) keeps the end-to-end bound at D.
 */
export function replayOf(s: LagSeries, settledMax: number, simulateStack?: string, what = `the settled delay's max ${settledMax} s`): NonNullable<LagSummary["replay"]> {
    const stack = simulateStack ?? (s.kind === "ecommerce" ? s.stackDimension : "STACK");
    if (s.kind === "waf") {
        const r = WAF_PUBLISH_DELAY_RANGE_SECONDS;
        const seconds = Math.min(r.max, Math.max(r.min, Math.ceil(settledMax)));
        return {
            flag: "--waf-publish-delay", seconds,
            command: `npm run simulate -- --stack ${stack} --waf-publish-delay ${seconds}`,
            derivation: `${what}, rounded up${seconds !== Math.ceil(settledMax) ? ` and held to ${r.min}–${r.max} s` : ""}`,
        };
    }
    const fixed = KINESIS_TO_FIREHOSE_SECONDS.max + TRANSFORM_BUFFER_SECONDS + TRANSFORM_RUN_SECONDS.max;
    const seconds = Math.min(600, Math.max(LOG_TO_METRIC_SECONDS.min, Math.ceil(settledMax - fixed)));
    return {
        flag: "--log-to-metric", seconds,
        command: `npm run simulate -- --stack ${stack} --log-to-metric ${seconds}`,
        derivation: `${what} − (Kinesis read ${KINESIS_TO_FIREHOSE_SECONDS.max} s + buffer ${TRANSFORM_BUFFER_SECONDS} s + transform ${TRANSFORM_RUN_SECONDS.max} s), ` +
            `rounded up, held to ${LOG_TO_METRIC_SECONDS.min}–600 s`,
    };
}

/**
 * Polls every `everySeconds` from now for `minutes` minutes (a poll at the start and one at the end). When `interrupt`
 * aborts (the script's first SIGINT) no further poll starts: a poll in flight is let finish (its answer is data; it
 * has the call deadline), the wait for the next tick ends at once, and the timeline so far is returned with
 * `interruptedAtMs` set.
 */
export async function measureLag(
    client: MetricDataSender, s: LagSeries, opts: { everySeconds: number; minutes: number; interrupt?: AbortSignal }, clock: Clock,
    log: (line: string) => void = () => undefined,
): Promise<LagTimeline> {
    const timeline = new LagTimeline(log, opts.everySeconds * 1000);
    const every = opts.everySeconds * 1000;
    const start = clock.now();
    const end = start + opts.minutes * 60_000;
    timeline.startedMs = start;
    timeline.plannedMinutes = opts.minutes;
    let inFlight = false;
    const onInterrupt = () => log(inFlight
        ? "interrupted: finishing the poll in flight, then the summary of what was measured (interrupt again to quit without it)"
        : "interrupted: no further poll; the summary of what was measured follows");
    opts.interrupt?.addEventListener("abort", onInterrupt, { once: true });
    try {
        for (let i = 0; start + i * every <= end;) {
            const due = start + i * every;
            const now = clock.now();
            if (due > now && !opts.interrupt?.aborted) await clock.sleep(due - now, opts.interrupt);
            if (opts.interrupt?.aborted) break;
            const t0 = clock.now();
            inFlight = true;
            try {
                const points = await pollOnce(client, s, t0);
                timeline.recordPoll(t0, clock.now(), points);
            } catch (e) {
                timeline.recordFailure(t0, clock.now(), errorText(e));
            } finally {
                inFlight = false;
            }
            if (opts.interrupt?.aborted) break;
            // The next tick on the grid after now (a slow poll skips the ticks it overran).
            i = Math.max(i + 1, Math.ceil((clock.now() - start) / every));
        }
    } finally {
        opts.interrupt?.removeEventListener("abort", onInterrupt);
    }
    if (opts.interrupt?.aborted) timeline.interruptedAtMs = clock.now();
    return timeline;
}

// ---- the local clock against AWS's ------------------------------------------------------------------------------

/**
 * Every delay is the local time of a poll minus CloudWatch's minute stamp, so a local clock `skew` ahead of AWS's adds
 * `skew` to each (a clock behind takes it off). Beyond this many seconds the summary warns and the replay is corrected.
 */
export const CLOCK_SKEW_WARN_SECONDS = 2;

/** One CloudWatch response: the local time just before its request went to the HTTP handler and just after the response came back, and its Date header. */
export interface SkewSample {
    sentMs: number;
    receivedMs: number;
    /** The response's Date header (HTTP-date, whole seconds), ms since the epoch. */
    dateMs: number;
}

/** The local clock minus AWS's, in seconds: the skew lies in (lowSeconds, highSeconds]. */
export interface ClockSkew {
    lowSeconds: number;
    highSeconds: number;
    /** Responses that carried a Date header. */
    samples: number;
    /** False when no single offset fits every sample (the bounds are then the hull of the samples'): not used to correct. */
    consistent: boolean;
    /** The middle of the range is beyond ±CLOCK_SKEW_WARN_SECONDS. */
    beyondWarn: boolean;
}

/**
 * What one response says about skew = local clock − AWS's clock. CloudWatch wrote its Date at an instant T (AWS time)
 * after the request left and before the response arrived, so on the local clock sentMs ≤ T + skew ≤ receivedMs; the
 * header holds T truncated to the whole second (HTTP-date, RFC 9110 §5.6.7, has no fraction), dateMs ≤ T < dateMs + 1 s.
 * Together: sentMs − dateMs − 1 s < skew ≤ receivedMs − dateMs — one round trip plus one second wide. (If AWS rounded
 * to the nearest second instead of truncating, the true range would be 0.5 s higher at both ends: not documented
 * either way.)
 */
export function skewBounds(x: SkewSample): { lowMs: number; highMs: number } {
    return { lowMs: x.sentMs - x.dateMs - 1000, highMs: x.receivedMs - x.dateMs };
}

/**
 * Collects the samples; the skew is in the intersection of their ranges (each response's sub-second timing narrows it
 * further). Rounded outward to 0.1 s.
 */
export class ClockSkewMeter {
    private lowMs = -Infinity;
    private highMs = Infinity;
    private hullLowMs = Infinity;
    private hullHighMs = -Infinity;
    private n = 0;

    add(x: SkewSample): void {
        if (![x.sentMs, x.receivedMs, x.dateMs].every(Number.isFinite) || x.receivedMs < x.sentMs) return;
        const b = skewBounds(x);
        this.lowMs = Math.max(this.lowMs, b.lowMs);
        this.highMs = Math.min(this.highMs, b.highMs);
        this.hullLowMs = Math.min(this.hullLowMs, b.lowMs);
        this.hullHighMs = Math.max(this.hullHighMs, b.highMs);
        this.n += 1;
    }

    result(): ClockSkew | undefined {
        if (this.n === 0) return undefined;
        const consistent = this.lowMs <= this.highMs;
        const [lo, hi] = consistent ? [this.lowMs, this.highMs] : [this.hullLowMs, this.hullHighMs];
        const lowSeconds = Math.floor(lo / 100) / 10;
        const highSeconds = Math.ceil(hi / 100) / 10;
        return { lowSeconds, highSeconds, samples: this.n, consistent, beyondWarn: Math.abs((lo + hi) / 2) > CLOCK_SKEW_WARN_SECONDS * 1000 };
    }
}

/** An HTTP-date ("Tue, 01 Dec 2026 10:00:05 GMT") in ms, or undefined. */
export function httpDate(v: unknown): number | undefined {
    if (typeof v !== "string" || !/GMT$/.test(v.trim())) return undefined;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
}

/**
 * Adds to an SDK v3 client's middleware stack, in the deserialize step at low priority — inside the SDK's deserializer,
 * next to the HTTP handler, once per attempt (retries are in the finalizeRequest step, outside it) — a middleware that
 * reads each raw HTTP response's Date header and reports it with the local times around the handler call.
 */
export function watchClockSkew(client: Pick<CloudWatchClient, "middlewareStack">, now: () => number, onSample: (x: SkewSample) => void): void {
    client.middlewareStack.add(
        (next) => async (args) => {
            const sentMs = now();
            const out = await next(args);
            const receivedMs = now();
            const headers = (out.response as { headers?: Record<string, string | undefined> } | undefined)?.headers ?? {};
            const date = Object.entries(headers).find(([k]) => k.toLowerCase() === "date")?.[1];
            const dateMs = httpDate(date);
            if (dateMs !== undefined) onSample({ sentMs, receivedMs, dateMs });
            return out;
        },
        { step: "deserialize", priority: "low", name: "measureLagClockSkew" },
    );
}

// ---- the printed report ------------------------------------------------------------------------------------------

const sec = (x: number | undefined) => (x === undefined ? "—" : `${x} s`);

/** The summary's lines on the local clock against AWS's. */
function clockLines(sum: LagSummary): string[] {
    const k = sum.clockSkew;
    if (!k) return ["  clock:      not measured (no CloudWatch response carried a Date header): the delays assume the local clock keeps AWS's time"];
    const range = `${k.lowSeconds} to ${k.highSeconds} s`;
    const from = `the Date headers of ${k.samples} CloudWatch response(s)`;
    if (!k.consistent) {
        return [`  clock:      local − AWS: no single offset fits ${from} (between ${range} in all: did the local clock step during the run?); the delays are not corrected`];
    }
    const lines = [`  clock:      local − AWS = ${range} (${from}: each bounds it to one round trip + 1 s)${k.beyondWarn ? "" : `: within ±${CLOCK_SKEW_WARN_SECONDS} s, not corrected`}`];
    if (k.beyondWarn) {
        const ahead = k.lowSeconds + k.highSeconds > 0;
        const c = k.correctedSettledMax;
        lines.push(`  WARNING: the local clock is ${ahead ? `${range} AHEAD of` : `${round1(-k.highSeconds)} to ${round1(-k.lowSeconds)} s BEHIND`} AWS's: every delay above ` +
            `(local time − CloudWatch's minute) is that much too ${ahead ? "long" : "short"} (fix the clock: NTP).` +
            (c ? ` The replay below is corrected: settled max ${sum.settled!.max} s − skew = ${c.lowSeconds} to ${c.highSeconds} s; it uses ${c.highSeconds} s.` : ""));
    }
    return lines;
}

export function formatMeasurement(s: LagSeries, lags: MinuteLag[], sum: LagSummary, opts: { everySeconds: number; minutes: number }): string {
    const lines = [
        `${sum.series}: ${STAT} per ${PERIOD_SECONDS} s, polled every ${opts.everySeconds} s for ` +
        `${sum.interrupted ? `${sum.interrupted.afterMinutes} of ${sum.interrupted.plannedMinutes} min, INTERRUPTED` : `${opts.minutes} min`} ` +
        `(${sum.polls} polls, ${sum.failedPolls.length} failed). Delays in seconds after each minute ENDS.`,
        "",
        `${"minute (UTC)".padEnd(17)}  ${"first seen (after)".padStart(20)}  ${"settled".padStart(9)}  ${"value".padStart(10)}  changes  watched`,
    ];
    for (const l of lags) {
        const when = l.minute.slice(0, 16).replace("T", " ");
        if (!l.seen) {
            lines.push(`${when.padEnd(17)}  ${"never seen".padStart(20)}  ${"".padStart(9)}  ${"".padStart(10)}  ${"".padStart(7)}  ${sec(l.watchedSeconds)}`);
            continue;
        }
        const first = `≤ ${l.firstSeenSeconds} s${l.notSeenSeconds !== undefined ? ` (> ${l.notSeenSeconds} s)` : ""}`;
        const settled = `${l.settledSeconds} s${l.unsettled ? "?" : ""}`;
        lines.push(`${when.padEnd(17)}  ${first.padStart(20)}  ${settled.padStart(9)}  ${String(l.value).padStart(10)}  ${String(l.changes).padStart(7)}  ${sec(l.watchedSeconds)}`);
    }
    lines.push("");
    if (sum.interrupted) {
        lines.push(`Interrupted after ${sum.interrupted.afterMinutes} of ${sum.interrupted.plannedMinutes} min: ${sum.minutesMeasured} minute(s) measured; the summary is of those.`);
    }
    lines.push(`Summary: ${sum.minutesSeen} of ${sum.minutesMeasured} minutes seen (minutes that began after the first successful poll and ended before the last one).`);
    if (sum.minutesMeasured > sum.minutesSeen) {
        lines.push(`  never seen: ${sum.minutesMeasured - sum.minutesSeen} — no datapoint (${s.kind === "waf" ? "no blocked requests in that minute" : "no events stamped in that minute"}), or later than it was watched`);
    }
    lines.push(`  first seen: ${sum.firstSeen ? `max ${sum.firstSeen.max} s, median ${sum.firstSeen.median} s (${sum.firstSeen.count} minutes)` : "—"}`);
    lines.push(`  settled:    ${sum.settled ? `max ${sum.settled.max} s, median ${sum.settled.median} s (${sum.settled.count} minutes whose last value later polls confirmed for over one --every)` : "—"}`);
    if (sum.unsettled.length) {
        lines.push(`  unsettled:  ${sum.unsettled.length} minute(s) (${sum.unsettled.map((u) => `${u.minute.slice(11, 16)} at ${u.settledSeconds} s`).join(", ")}; "?" above) last changed within one poll interval ` +
            `(${sum.everySeconds} s) of the last poll that read them, or no later poll confirmed them: they may still change, left out of the settled max`);
    }
    if (sum.changedAfterFirstSeen > 0) {
        lines.push(`  ${sum.changedAfterFirstSeen} minute(s) changed after first appearing: ${s.kind === "waf" ? "WAF published them in parts (the simulator assumes whole minutes: the settled delay is the one to replay)" : "their events arrived in several batches (expected for EMF)"}`);
    }
    lines.push(...clockLines(sum));
    lines.push(`  the simulator assumes ≤ ${sum.assumed.seconds} s: ${sum.assumed.what}`);
    for (const f of sum.failedPolls) lines.push(`  failed poll at ${f.at}: ${f.error}`);
    if (sum.replay) {
        lines.push("", `Replay with the measured bound (${sum.replay.derivation}):`, `  ${sum.replay.command}`);
    } else {
        lines.push("", `Nothing to replay: no minute was seen settled. Send ${s.kind === "waf" ? "blocked requests (npm run xss-probe)" : "traffic (npm run generate-traffic)"} during the measurement.`);
    }
    return lines.join("\n") + "\n";
}

// ---- the command line ----------------------------------------------------------------------------------------------

export const MEASURE_LAG_USAGE = `Measures how long after a minute ends its CloudWatch datapoint appears and settles, for one series the alarms
read, and prints the simulate command that replays with the measured bound (model/metricArrival.ts ASSUMPTIONs).

  measure-lag --waf-acl NAME [--rule R] [--scope REGIONAL|CLOUDFRONT] [--region R] [--every S] [--minutes N] [--stack NAME] [--json]
  measure-lag --ecommerce-stack NAME [--measure M] [--region R] [--every S] [--minutes N] [--stack NAME] [--json]
  measure-lag --alarm NAME [--alarm NAME ...] [--hours H] [--region R] [--stack NAME] [--json]

  --waf-acl          web ACL name (dimension WebACL of AWS/WAFV2 BlockedRequests)
  --rule             Rule dimension: a rule's metric name, or ${WAF_TOTAL_RULE} (default, the web ACL's total)
  --scope            REGIONAL (default; dimension Region) or CLOUDFRONT (no Region dimension, read in ${CLOUDFRONT_METRICS_REGION})
  --ecommerce-stack  the Stack dimension of ${METRIC_NAMESPACE} (the Pulumi stack name)
  --measure          ${MEASURES.join("|")} (default views)
  --region           AWS region (default AWS_REGION, then AWS_DEFAULT_REGION)
  --every            seconds between GetMetricData polls, 1-300 (default 10): the delays' resolution; a minute whose last
                     change was seen within one --every of the end is unsettled ("?"), left out of the settled max
  --minutes          minutes to poll, ${MIN_MINUTES}-180 (default 15); each poll reads the last ${LOOKBACK_MINUTES} minutes (Sum per ${PERIOD_SECONDS} s)
  --alarm            an alarm's name (repeat for more): reads its state history instead of polling a series — the
                     evaluation phase (seconds past the minute of each metric alarm's transition, an upper bound of
                     when evaluations read: EVALUATION_DELAY_SECONDS; on the smallest arc holding them all, negative =
                     before the whole minute when they straddle it) and, for a composite, the lag after its
                     children's transitions (COMPOSITE_EVALUATION_SECONDS; children from its AlarmRule)
  --hours            with --alarm: hours of history up to now, 1-${MAX_HISTORY_HOURS} (default 24)
  --stack            Pulumi stack for the printed simulate command (default: --ecommerce-stack, else STACK)
  --json             print the per-minute lags and the summary (--alarm: the transitions and the report) as JSON

Send traffic while it runs (npm run xss-probe for blocked requests, npm run generate-traffic for ecommerce events);
for --alarm, after an injected anomaly (npm run generate-traffic -- --anomaly ..., npm run xss-probe) has alerted.
IAM: cloudwatch:GetMetricData; --alarm: cloudwatch:DescribeAlarms and cloudwatch:DescribeAlarmHistory.
The delays are local time minus CloudWatch's minute stamps: the summary bounds the local clock's offset from AWS's by
the Date header of each response (clock: local − AWS = LOW to HIGH s); beyond ±2 s it warns and corrects the replay.
Ctrl-C while polling stops it and prints the summary of the minutes measured so far (a poll in flight finishes first;
Ctrl-C again quits at once, without it), exit 130.
Exit 0 measured, 1 nothing measured (every poll failed, no datapoint; --alarm: a failed call, no transition), 2 usage, 130 interrupted.`;

export class UsageError extends Error {}

export interface MeasureLagDeps {
    /** `onResponse`: to be called with each CloudWatch response's Date header and the local times around it (watchClockSkew). */
    createClient: (region: string, onResponse: (x: SkewSample) => void) => MetricDataSender;
    /** The DescribeAlarms / DescribeAlarmHistory client for --alarm (the same CloudWatchClient in the script). */
    createAlarmClient?: (region: string) => AlarmSender;
    clock: Clock;
    env: Record<string, string | undefined>;
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    /** Deadline of each CloudWatch call in ms (default CALL_TIMEOUT_SECONDS). */
    callTimeoutMs?: number;
    /** Aborted on the first SIGINT (the script): polling stops and the summary so far is printed; exit INTERRUPTED_EXIT. */
    interrupt?: AbortSignal;
}

/** The exit code of a run stopped by SIGINT (128 + 2, what a shell reports for a process the signal ended). */
export const INTERRUPTED_EXIT = 130;

export interface MeasureLagArgs {
    series: LagSeries;
    everySeconds: number;
    minutes: number;
    stack?: string;
    json: boolean;
}

function whole(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return n;
}

function dimensionValue(name: string, v: string): string {
    if (v.trim() === "" || v.length > 1024) throw new UsageError(`--${name} must be a dimension value of 1-1024 characters (got ${JSON.stringify(v)})`);
    return v;
}

export function parseMeasureLagArgs(argv: string[], env: Record<string, string | undefined>): MeasureLagArgs | "help" {
    let v: Record<string, string | boolean | undefined>;
    try {
        v = parseArgs({
            args: argv, strict: true, allowPositionals: false,
            options: {
                "waf-acl": { type: "string" }, rule: { type: "string" }, scope: { type: "string" },
                "ecommerce-stack": { type: "string" }, measure: { type: "string" },
                region: { type: "string" }, every: { type: "string" }, minutes: { type: "string" }, stack: { type: "string" },
                json: { type: "boolean" }, help: { type: "boolean" },
            },
        }).values;
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (v.help) return "help";
    const acl = v["waf-acl"] as string | undefined;
    const eco = v["ecommerce-stack"] as string | undefined;
    if ((acl === undefined) === (eco === undefined)) throw new UsageError("give exactly one of --waf-acl NAME, --ecommerce-stack NAME and --alarm NAME");
    const region = (v.region as string | undefined) ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
    let series: LagSeries;
    if (acl !== undefined) {
        if (v.measure !== undefined) throw new UsageError("--measure is for --ecommerce-stack; a WAF series is BlockedRequests");
        const scope = (v.scope as string | undefined) ?? "REGIONAL";
        if (scope !== "REGIONAL" && scope !== "CLOUDFRONT") throw new UsageError(`--scope must be REGIONAL or CLOUDFRONT (got ${JSON.stringify(scope)})`);
        let r: string;
        if (scope === "CLOUDFRONT") {
            if (v.region !== undefined && v.region !== CLOUDFRONT_METRICS_REGION) throw new UsageError(`--region: CLOUDFRONT web ACLs publish their metrics in ${CLOUDFRONT_METRICS_REGION}, not ${v.region}`);
            r = CLOUDFRONT_METRICS_REGION;
        } else {
            if (!region) throw new UsageError("no AWS region: pass --region (or set AWS_REGION)");
            r = region;
        }
        series = { kind: "waf", webAcl: dimensionValue("waf-acl", acl), rule: dimensionValue("rule", (v.rule as string | undefined) ?? WAF_TOTAL_RULE), scope, region: r };
    } else {
        if (v.rule !== undefined || v.scope !== undefined) throw new UsageError("--rule and --scope are for --waf-acl");
        const measure = (v.measure as string | undefined) ?? "views";
        if (!(MEASURES as readonly string[]).includes(measure)) throw new UsageError(`--measure must be one of ${MEASURES.join(", ")} (got ${JSON.stringify(measure)})`);
        if (!region) throw new UsageError("no AWS region: pass --region (or set AWS_REGION)");
        series = { kind: "ecommerce", stackDimension: dimensionValue("ecommerce-stack", eco!), measure: measure as Measure, region };
    }
    return {
        series,
        everySeconds: whole("every", v.every as string | undefined, 10, 1, 300),
        minutes: whole("minutes", v.minutes as string | undefined, 15, MIN_MINUTES, 180),
        ...(v.stack !== undefined ? { stack: dimensionValue("stack", v.stack as string) } : {}),
        json: v.json === true,
    };
}

export interface AlarmHistoryArgs {
    alarms: string[];
    hours: number;
    region: string;
    stack?: string;
    json: boolean;
}

/** True when the command line asks for the alarm-history mode (--alarm). */
export function isAlarmMode(argv: string[]): boolean {
    return argv.some((a) => a === "--alarm" || a.startsWith("--alarm="));
}

export function parseAlarmHistoryArgs(argv: string[], env: Record<string, string | undefined>): AlarmHistoryArgs | "help" {
    let v: Record<string, string | string[] | boolean | undefined>;
    try {
        v = parseArgs({
            args: argv, strict: true, allowPositionals: false,
            options: {
                alarm: { type: "string", multiple: true }, hours: { type: "string" }, region: { type: "string" }, stack: { type: "string" },
                json: { type: "boolean" }, help: { type: "boolean" },
                // the series flags, only to say they do not go with --alarm
                "waf-acl": { type: "string" }, "ecommerce-stack": { type: "string" }, rule: { type: "string" }, scope: { type: "string" },
                measure: { type: "string" }, every: { type: "string" }, minutes: { type: "string" },
            },
        }).values;
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (v.help) return "help";
    const series = ["waf-acl", "ecommerce-stack", "rule", "scope", "measure", "every", "minutes"].filter((k) => v[k] !== undefined);
    if (series.length) throw new UsageError(`--alarm reads alarm history: ${series.map((k) => `--${k}`).join(", ")} ${series.length > 1 ? "are" : "is"} for polling a series`);
    const alarms = v.alarm as string[];
    for (const n of alarms) {
        if (n.trim() === "" || n.length > 255) throw new UsageError(`--alarm must be an alarm name of 1-255 characters (got ${JSON.stringify(n)})`);
    }
    if (alarms.length > 100) throw new UsageError(`--alarm: at most 100 alarms (got ${alarms.length})`);
    const region = (v.region as string | undefined) ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
    if (!region) throw new UsageError("no AWS region: pass --region (or set AWS_REGION)");
    return {
        alarms: [...new Set(alarms)],
        hours: whole("hours", v.hours as string | undefined, 24, 1, MAX_HISTORY_HOURS),
        region,
        ...(v.stack !== undefined ? { stack: dimensionValue("stack", v.stack as string) } : {}),
        json: v.json === true,
    };
}

async function alarmHistoryCli(argv: string[], deps: MeasureLagDeps): Promise<number> {
    const a = parseAlarmHistoryArgs(argv, deps.env);
    if (a === "help") {
        deps.stdout(MEASURE_LAG_USAGE + "\n");
        return 0;
    }
    if (!deps.createAlarmClient) throw new Error("no DescribeAlarmHistory client wired");
    const client = deadlineClient(deps.createAlarmClient(a.region), deps.callTimeoutMs ?? CALL_TIMEOUT_SECONDS * 1000);
    deps.stderr(`measure-lag: reading the state history of ${a.alarms.join(", ")} over the last ${a.hours} h (${a.region})\n`);
    const report = await measureAlarmHistory(client, a.alarms, { region: a.region, hours: a.hours, nowMs: deps.clock.now(), ...(a.stack ? { stack: a.stack } : {}) },
        (line) => deps.stderr(`measure-lag: ${line}\n`));
    deps.stdout(a.json ? JSON.stringify(report, null, 2) + "\n" : formatAlarmHistory(report));
    if (report.failures.length) {
        deps.stderr(`measure-lag: ${report.failures.length} call(s) failed (first: ${report.failures[0].call} ${report.failures[0].alarm}: ${report.failures[0].error})\n`);
        return 1;
    }
    if (!report.phase && !report.compositeLag) {
        const left = report.notEvaluations.length;
        deps.stderr(left
            ? `measure-lag: ${left} metric alarm transition(s) in the last ${a.hours} h, none written by an evaluation (no stateReasonData: left out, listed): nothing measured\n`
            : `measure-lag: no state transition of ${a.alarms.join(", ")} or their children in the last ${a.hours} h: nothing measured\n`);
        return 1;
    }
    return 0;
}

/** Runs the command line; returns the exit code (0 measured, 1 nothing measured or a failed call). Throws UsageError for exit 2. */
export async function measureLagCli(argv: string[], deps: MeasureLagDeps): Promise<number> {
    if (isAlarmMode(argv)) return alarmHistoryCli(argv, deps);
    const a = parseMeasureLagArgs(argv, deps.env);
    if (a === "help") {
        deps.stdout(MEASURE_LAG_USAGE + "\n");
        return 0;
    }
    const skew = new ClockSkewMeter();
    const client = deadlineClient(deps.createClient(a.series.region, (x) => skew.add(x)), deps.callTimeoutMs ?? CALL_TIMEOUT_SECONDS * 1000);
    deps.stderr(`measure-lag: polling ${describeSeries(a.series)} every ${a.everySeconds} s for ${a.minutes} min\n`);
    const timeline = await measureLag(client, a.series, { ...a, ...(deps.interrupt ? { interrupt: deps.interrupt } : {}) }, deps.clock,
        (line) => deps.stderr(`measure-lag: ${line}\n`));
    const lags = timeline.minuteLags();
    const sum = timeline.summary(a.series, a.stack, skew.result());
    deps.stdout(a.json ? JSON.stringify({ minutes: lags, summary: sum }, null, 2) + "\n" : formatMeasurement(a.series, lags, sum, a));
    if (sum.interrupted) {
        deps.stderr(`measure-lag: interrupted after ${sum.interrupted.afterMinutes} of ${a.minutes} min (${sum.minutesMeasured} minute(s) measured): exit ${INTERRUPTED_EXIT}\n`);
        return INTERRUPTED_EXIT;
    }
    if (sum.failedPolls.length === sum.polls) {
        deps.stderr(`measure-lag: every poll failed (last: ${sum.failedPolls[sum.failedPolls.length - 1]?.error ?? "none"})\n`);
        return 1;
    }
    if (!sum.replay) {
        deps.stderr(`measure-lag: no minute seen settled in ${a.minutes} min: nothing measured\n`);
        return 1;
    }
    return 0;
}
