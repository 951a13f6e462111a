// `npm run measure-lag -- --alarm NAME ...`: reads the alarms' CloudWatch state history (DescribeAlarmHistory,
// StateUpdate items) and measures the two timings the detection simulator assumes (model/alarmReplay.ts) that no
// metric poll can see:
// - the evaluation phase: how many seconds past the whole minute a metric alarm's state transition is stamped.
//   A transition is written by the evaluation that read the data, after the read, so each phase is an UPPER bound of
//   when that evaluation read (EVALUATION_DELAY_SECONDS, the simulator's --evaluation-delay): a constant read delay
//   lies between 0 and the smallest phase seen. Where HistoryData's newState.stateReasonData has a queryDate (the AWS
//   CLI's describe-alarm-history example shows one, 23 ms before the transition), its phase is reported too and the
//   printed command uses it. A metric alarm transition without stateReasonData was not written by an evaluation (the
//   same example's state set by hand) and is left out, listed. Phases are on the circle of the minute (:59.5 and
//   :00.2 are 0.7 s apart): min / median / max are taken along the smallest arc holding them all (unwrapPhases),
//   negative before the whole minute when that arc crosses it.
// - the composite lag: how long after a child alarm's transition its composite transitions
//   (COMPOSITE_EVALUATION_SECONDS). Each composite transition is paired with the latest transition of any of its
//   children at or before it; when an earlier child transition was the cause, the true lag is longer, so each pair
//   is a LOWER bound of the lag from its cause (a composite transition not caused by a child — its creation, a rule
//   update — pairs with an old child transition and shows as an outlier: the pairs are listed).
//
// Which alarm is a composite comes from DescribeAlarms (AlarmTypes CompositeAlarm and MetricAlarm: without it only
// metric alarms are returned); a composite's children are the alarms its AlarmRule names (ALARM/OK/INSUFFICIENT_DATA
// of a name or an alarm ARN, as components/cloudwatchDetection.ts alarmSetRule writes them). Pure apart from the
// injected client: tested against a scripted fake CloudWatch (test/measureLag.test.ts). A failed call is kept with
// its reason and makes the run exit 1; the other alarms are still read.
import type {
    AlarmHistoryItem, AlarmType, DescribeAlarmHistoryCommandInput, DescribeAlarmHistoryCommandOutput, DescribeAlarmsCommandOutput,
} from "@aws-sdk/client-cloudwatch";
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";

import { COMPOSITE_EVALUATION_SECONDS, EVALUATION_DELAY_SECONDS } from "../../model/alarmReplay";

/** Both kinds, always: DescribeAlarms and DescribeAlarmHistory return metric alarms only when AlarmTypes is omitted. */
export const ALARM_TYPES: AlarmType[] = ["CompositeAlarm", "MetricAlarm"];
/** DescribeAlarmHistory MaxRecords: 1-100 (API reference); the largest page. */
export const HISTORY_PAGE_SIZE = 100;
/** DescribeAlarmHistory pages read per alarm at most (10,000 transitions): a run past it is reported, not cut silently. */
export const MAX_HISTORY_PAGES = 100;
/** Names per DescribeAlarms call (AlarmNames holds at most 100). */
export const DESCRIBE_BATCH = 100;
export const MAX_DESCRIBE_PAGES = 20;

/** The DescribeAlarms / DescribeAlarmHistory client: a CloudWatchClient in the script, a scripted fake in the tests. */
export interface AlarmSender {
    send(command: DescribeAlarmsCommand): Promise<DescribeAlarmsCommandOutput>;
    send(command: DescribeAlarmHistoryCommand): Promise<DescribeAlarmHistoryCommandOutput>;
}

export interface AlarmInfo {
    name: string;
    type: "CompositeAlarm" | "MetricAlarm";
    /** A composite's children, from its AlarmRule. */
    children?: string[];
}

export interface Transition {
    alarm: string;
    type: "CompositeAlarm" | "MetricAlarm";
    atMs: number;
    /** From HistoryData oldState/newState.stateValue (else HistorySummary); undefined when neither says. */
    from?: string;
    to?: string;
    summary?: string;
    /**
     * Written by an evaluation: HistoryData's newState has a stateReasonData (true), has none — a state set by hand
     * (SetAlarmState) or similar, not an evaluation (false) — or HistoryData could not be read (undefined: kept).
     */
    evaluation?: boolean;
    /** newState.stateReasonData.queryDate: when the evaluation queried the data, as CloudWatch records it. */
    queryMs?: number;
}

export interface CallFailure {
    alarm: string;
    call: "DescribeAlarms" | "DescribeAlarmHistory";
    error: string;
}

export interface RangeStat {
    min: number;
    median: number;
    max: number;
    count: number;
}

export interface CompositePair {
    at: string;
    to?: string;
    child: string;
    childAt: string;
    childTo?: string;
    lagSeconds: number;
}

export interface CompositeLag {
    composite: string;
    children: string[];
    pairs: CompositePair[];
    /** Composite transitions with no child transition at or before them in the window. */
    unpaired: string[];
    lag?: RangeStat;
}

export interface AlarmHistoryReport {
    region: string;
    window: { start: string; end: string; hours: number };
    alarms: Array<AlarmInfo & { transitions: number }>;
    failures: CallFailure[];
    transitions: Array<Omit<Transition, "atMs" | "queryMs"> & { at: string; phaseSeconds: number; query?: string; queryPhaseSeconds?: number }>;
    /** On the circle of the minute (phaseStat): negative = before the whole minute when the phases straddle it (`wraps`). */
    phase?: RangeStat & { wraps: boolean; transitions: number; alarms: number };
    /** Metric alarm transitions left out of the phase: no stateReasonData, so not written by an evaluation. */
    notEvaluations: Array<{ alarm: string; at: string; summary?: string }>;
    /** Seconds past the whole minute of the evaluations' queryDate, where HistoryData has one. */
    queryPhase?: RangeStat & { wraps: boolean };
    /** Transition timestamp minus queryDate: how much the transition's phase overstates the query's. */
    queryToTransition?: RangeStat;
    assumedEvaluationDelaySeconds: number;
    /** The simulate command at ⌊min⌋ of the query phase where known, else of the transition phase; undefined when none was measured. */
    replay?: { seconds: number; basis: "queryDate" | "transition"; command: string; baseline: string };
    composites: CompositeLag[];
    compositeLag?: RangeStat;
    assumedCompositeSeconds: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
/** A signed phase (−60 to 60) as seconds past the whole minute it follows (0 to 60). */
const pastMinute = (p: number) => round1(((p % 60) + 60) % 60);
const iso = (ms: number) => new Date(ms).toISOString();

/** min / median (the lower middle of an even count, as the simulator reports it) / max. */
export function rangeStat(xs: number[]): RangeStat | undefined {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1], count: s.length };
}

/** Seconds past the whole minute (UTC) of a timestamp, to 0.1 s. */
export function phaseSeconds(ms: number): number {
    return round1((((ms % 60_000) + 60_000) % 60_000) / 1000) % 60;
}

/**
 * Phases (seconds past the minute, 0 to 60) lie on a circle: :59.5 and :00.2 are 0.7 s apart, not 59.3. The range of a
 * set of phases is the smallest arc that holds them all — the circle cut at the widest empty gap between neighbouring
 * phases — and each phase is given as its offset along that arc: when the arc crosses the whole minute, the phases
 * before it are negative (−0.5 = 59.5 s past the previous minute), so min ≤ median ≤ max and max − min is the arc's
 * length. An arc that does not cross :00 keeps the plain 0-60 phases (on a tie between the gap across :00 and
 * another, the gap across :00 is the cut: plain phases). Returned in the input's order, to 0.1 s.
 */
export function unwrapPhases(phases: number[]): number[] {
    if (phases.length < 2) return [...phases];
    const s = [...new Set(phases)].sort((a, b) => a - b);
    // The gap across :00 (from the last phase to the first one of the next minute), then each gap between neighbours.
    let cutAfter: number | undefined;
    let widest = s[0] + 60 - s[s.length - 1];
    for (let i = 0; i + 1 < s.length; i++) {
        const gap = s[i + 1] - s[i];
        if (gap > widest + 1e-9) {
            widest = gap;
            cutAfter = s[i];
        }
    }
    return phases.map((p) => (cutAfter !== undefined && p > cutAfter ? round1(p - 60) : p));
}

/** min / median / max of phases on the circle: {@link rangeStat} of {@link unwrapPhases}; `wraps` when the arc crosses the whole minute. */
export function phaseStat(phases: number[]): (RangeStat & { wraps: boolean }) | undefined {
    const r = rangeStat(unwrapPhases(phases));
    return r && { ...r, wraps: r.min < 0 };
}

/**
 * The alarms a composite AlarmRule names: the argument of each ALARM(...), OK(...) and INSUFFICIENT_DATA(...), quoted
 * or bare, a name or an alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME → NAME); each once, in rule order.
 */
export function ruleChildren(rule: string): string[] {
    const out: string[] = [];
    const re = /\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"([^"]+)"|([^\s()",]+))\s*\)/g;
    for (let m = re.exec(rule); m; m = re.exec(rule)) {
        const ref = (m[1] ?? m[2]).trim();
        const arn = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(ref);
        const name = arn ? arn[1] : ref;
        if (!out.includes(name)) out.push(name);
    }
    return out;
}

/** A failure's reason with its error name when the message does not already start with it ("ThrottlingException: Rate exceeded"). */
export const errorText = (e: unknown) => {
    const x = e as Error;
    const msg = x?.message || String(e);
    return x?.name && x.name !== "Error" && !msg.startsWith(x.name) ? `${x.name}: ${msg}` : msg;
};

/** DescribeAlarms for these names (both types), following NextToken; name → info. Throws on a failed call. */
export async function describeAlarms(client: AlarmSender, names: string[]): Promise<Map<string, AlarmInfo>> {
    const found = new Map<string, AlarmInfo>();
    for (let i = 0; i < names.length; i += DESCRIBE_BATCH) {
        const batch = names.slice(i, i + DESCRIBE_BATCH);
        let token: string | undefined;
        let page = 0;
        do {
            if (++page > MAX_DESCRIBE_PAGES) throw new Error(`DescribeAlarms still paginating after ${MAX_DESCRIBE_PAGES} pages`);
            const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ALARM_TYPES, ...(token ? { NextToken: token } : {}) }));
            for (const a of out.MetricAlarms ?? []) if (a.AlarmName) found.set(a.AlarmName, { name: a.AlarmName, type: "MetricAlarm" });
            for (const a of out.CompositeAlarms ?? []) {
                if (!a.AlarmName) continue;
                const children = ruleChildren(a.AlarmRule ?? "");
                if (children.length === 0) throw new Error(`composite alarm ${a.AlarmName}: no child alarm found in its AlarmRule ${JSON.stringify(a.AlarmRule ?? "")}`);
                found.set(a.AlarmName, { name: a.AlarmName, type: "CompositeAlarm", children });
            }
            token = out.NextToken;
        } while (token);
    }
    return found;
}

/** The DescribeAlarmHistory request for one alarm's state changes in [start, end], oldest first. */
export function historyRequest(alarm: string, startMs: number, endMs: number): DescribeAlarmHistoryCommandInput {
    return {
        AlarmName: alarm,
        AlarmTypes: ALARM_TYPES,
        HistoryItemType: "StateUpdate",
        StartDate: new Date(startMs),
        EndDate: new Date(endMs),
        ScanBy: "TimestampAscending",
        MaxRecords: HISTORY_PAGE_SIZE,
    };
}

/** A HistoryData date ("2014-04-09T18:59:06.419+0000", the AWS CLI's describe-alarm-history example) in ms, or undefined. */
export function historyDate(v: unknown): number | undefined {
    if (typeof v !== "string") return undefined;
    const t = Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
    return Number.isFinite(t) ? t : undefined;
}

/**
 * What one StateUpdate item says beyond its Timestamp. HistoryData is a JSON string (AWS CLI example:
 * {"version":"1.0","oldState":{"stateValue":"ALARM","stateReason":"testing purposes"},"newState":{"stateValue":"OK",
 * "stateReason":"Threshold Crossed: ...","stateReasonData":{"version":"1.0","queryDate":"2014-04-09T18:59:06.419+0000",...}}}):
 * the states, whether newState has stateReasonData (an evaluation wrote it; the example's hand-set "testing
 * purposes" state has none) and its queryDate. Unreadable HistoryData: the states from the summary's "from X to Y".
 */
export function statesOf(item: AlarmHistoryItem): { from?: string; to?: string; evaluation?: boolean; queryMs?: number } {
    if (item.HistoryData) {
        try {
            const d = JSON.parse(item.HistoryData) as { oldState?: { stateValue?: unknown }; newState?: { stateValue?: unknown; stateReasonData?: unknown } };
            const from = typeof d?.oldState?.stateValue === "string" ? d.oldState.stateValue : undefined;
            const to = typeof d?.newState?.stateValue === "string" ? d.newState.stateValue : undefined;
            if (to) {
                const rd = d.newState!.stateReasonData;
                const reason = rd !== null && typeof rd === "object" ? (rd as { queryDate?: unknown }) : undefined;
                const queryMs = historyDate(reason?.queryDate);
                return { ...(from ? { from } : {}), to, evaluation: reason !== undefined, ...(queryMs !== undefined ? { queryMs } : {}) };
            }
        } catch {
            // not JSON: the summary below, else the transition keeps its time without states
        }
    }
    const m = /from (\w+) to (\w+)/.exec(item.HistorySummary ?? "");
    return m ? { from: m[1], to: m[2] } : {};
}

/** Every state transition of one alarm in the window, following NextToken. Throws on a failed call or a page without a Timestamp. */
export async function alarmTransitions(client: AlarmSender, alarm: AlarmInfo, startMs: number, endMs: number): Promise<Transition[]> {
    const input = historyRequest(alarm.name, startMs, endMs);
    const out: Transition[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
        const res = await client.send(new DescribeAlarmHistoryCommand(token ? { ...input, NextToken: token } : input));
        for (const item of res.AlarmHistoryItems ?? []) {
            if (item.HistoryItemType !== undefined && item.HistoryItemType !== "StateUpdate") continue;
            if (item.AlarmName !== undefined && item.AlarmName !== alarm.name) continue;
            if (!item.Timestamp) throw new Error(`DescribeAlarmHistory ${alarm.name}: a StateUpdate item without a Timestamp (${item.HistorySummary ?? "no summary"})`);
            const t = new Date(item.Timestamp).getTime();
            out.push({ alarm: alarm.name, type: alarm.type, atMs: t, ...statesOf(item), ...(item.HistorySummary ? { summary: item.HistorySummary } : {}) });
        }
        token = res.NextToken;
        if (!token) return out.sort((a, b) => a.atMs - b.atMs);
    }
    throw new Error(`DescribeAlarmHistory ${alarm.name}: still paginating after ${MAX_HISTORY_PAGES} pages of ${HISTORY_PAGE_SIZE} (narrow --hours)`);
}

/** Pairs each composite transition with the latest child transition at or before it. */
export function compositeLag(composite: string, children: string[], own: Transition[], childTransitions: Transition[]): CompositeLag {
    const kids = [...childTransitions].sort((a, b) => a.atMs - b.atMs);
    const pairs: CompositePair[] = [];
    const unpaired: string[] = [];
    for (const c of own) {
        let cause: Transition | undefined;
        for (const k of kids) {
            if (k.atMs > c.atMs) break;
            cause = k;
        }
        if (!cause) {
            unpaired.push(iso(c.atMs));
            continue;
        }
        pairs.push({
            at: iso(c.atMs), ...(c.to ? { to: c.to } : {}), child: cause.alarm, childAt: iso(cause.atMs), ...(cause.to ? { childTo: cause.to } : {}),
            lagSeconds: round1((c.atMs - cause.atMs) / 1000),
        });
    }
    const lag = rangeStat(pairs.map((p) => p.lagSeconds));
    return { composite, children, pairs, unpaired, ...(lag ? { lag } : {}) };
}

/** Reads the alarms (and each composite's children) and builds the report. Failed calls are kept in `failures`. */
export async function measureAlarmHistory(
    client: AlarmSender, names: string[], opts: { region: string; hours: number; nowMs: number; stack?: string },
    log: (line: string) => void = () => undefined,
): Promise<AlarmHistoryReport> {
    const endMs = opts.nowMs;
    const startMs = endMs - opts.hours * 3_600_000;
    const failures: CallFailure[] = [];
    const infos = new Map<string, AlarmInfo>();
    const describe = async (batch: string[]) => {
        try {
            for (const [k, v] of await describeAlarms(client, batch)) infos.set(k, v);
        } catch (e) {
            const error = errorText(e);
            failures.push({ alarm: batch.join(", "), call: "DescribeAlarms", error });
            log(`DescribeAlarms ${batch.join(", ")} failed: ${error}`);
            return;
        }
        for (const n of batch) {
            if (infos.has(n)) continue;
            const error = `no metric or composite alarm named ${JSON.stringify(n)} in ${opts.region}`;
            failures.push({ alarm: n, call: "DescribeAlarms", error });
            log(error);
        }
    };
    await describe(names);
    const childNames = [...new Set([...infos.values()].flatMap((a) => a.children ?? []))].filter((n) => !infos.has(n));
    if (childNames.length) await describe(childNames);

    // Every alarm once: the named ones, then the children not named.
    const order = [...new Set([...names, ...[...infos.values()].flatMap((a) => a.children ?? [])])].filter((n) => infos.has(n));
    const byAlarm = new Map<string, Transition[]>();
    for (const n of order) {
        try {
            byAlarm.set(n, await alarmTransitions(client, infos.get(n)!, startMs, endMs));
        } catch (e) {
            const error = errorText(e);
            failures.push({ alarm: n, call: "DescribeAlarmHistory", error });
            log(`DescribeAlarmHistory ${n} failed: ${error}`);
        }
    }

    const all = [...byAlarm.values()].flat().sort((a, b) => a.atMs - b.atMs || a.alarm.localeCompare(b.alarm));
    const metric = all.filter((t) => t.type === "MetricAlarm" && t.evaluation !== false);
    const ph = phaseStat(metric.map((t) => phaseSeconds(t.atMs)));
    const queried = metric.filter((t) => t.queryMs !== undefined);
    const qph = phaseStat(queried.map((t) => phaseSeconds(t.queryMs!)));
    const q2t = rangeStat(queried.map((t) => round1((t.atMs - t.queryMs!) / 1000)));
    const composites: CompositeLag[] = [];
    for (const n of names) {
        const a = infos.get(n);
        if (!a || a.type !== "CompositeAlarm" || !byAlarm.has(n)) continue;
        if (composites.some((c) => c.composite === n)) continue;
        const kids = a.children!.filter((k) => byAlarm.has(k));
        composites.push(compositeLag(n, a.children!, byAlarm.get(n)!, kids.flatMap((k) => byAlarm.get(k)!)));
    }
    const cl = rangeStat(composites.flatMap((c) => c.pairs.map((p) => p.lagSeconds)));
    const stack = opts.stack ?? "STACK";
    const report: AlarmHistoryReport = {
        region: opts.region,
        window: { start: iso(startMs), end: iso(endMs), hours: opts.hours },
        alarms: order.map((n) => ({ ...infos.get(n)!, transitions: byAlarm.get(n)?.length ?? 0 })),
        failures,
        transitions: all.map(({ atMs, queryMs, ...t }) => ({
            ...t, at: iso(atMs), phaseSeconds: phaseSeconds(atMs), ...(queryMs !== undefined ? { query: iso(queryMs), queryPhaseSeconds: phaseSeconds(queryMs) } : {}),
        })),
        notEvaluations: all.filter((t) => t.type === "MetricAlarm" && t.evaluation === false).map((t) => ({ alarm: t.alarm, at: iso(t.atMs), ...(t.summary ? { summary: t.summary } : {}) })),
        assumedEvaluationDelaySeconds: EVALUATION_DELAY_SECONDS,
        composites,
        assumedCompositeSeconds: COMPOSITE_EVALUATION_SECONDS,
    };
    if (ph) {
        report.phase = { ...ph, transitions: metric.length, alarms: new Set(metric.map((t) => t.alarm)).size };
        if (qph) report.queryPhase = qph;
        if (q2t) report.queryToTransition = q2t;
        // A negative minimum (the arc crosses :00) is that many seconds before the whole minute: past the previous one.
        const seconds = Math.min(59, Math.floor(pastMinute((qph ?? ph).min)));
        report.replay = {
            seconds,
            basis: qph ? "queryDate" : "transition",
            command: `npm run simulate -- --stack ${stack} --evaluation-delay ${seconds}`,
            baseline: `npm run simulate -- --stack ${stack} --evaluation-delay ${EVALUATION_DELAY_SECONDS}`,
        };
    }
    if (cl) report.compositeLag = cl;
    return report;
}

// ---- the printed report ------------------------------------------------------------------------------------------

const rs = (s: RangeStat) => `min ${s.min} s, median ${s.median} s, max ${s.max} s`;
const wrapNote = (s: RangeStat) =>
    `  (they straddle the whole minute: on the smallest arc holding them all, ${round1(s.max - s.min)} s long; a negative phase is before the minute, ${s.min} s = ${pastMinute(s.min)} s past the previous one)`;

export function formatAlarmHistory(r: AlarmHistoryReport): string {
    const lines = [
        `Alarm state history (DescribeAlarmHistory StateUpdate) ${r.window.start} – ${r.window.end} (${r.window.hours} h), ${r.region}:`,
    ];
    for (const a of r.alarms) {
        const kind = a.type === "CompositeAlarm" ? `composite of ${a.children!.join(", ")}` : "metric alarm";
        lines.push(`  ${a.name}: ${kind}; ${a.transitions} transition(s)`);
    }
    lines.push("");
    if (r.phase) {
        lines.push(
            `Evaluation phase — seconds past the whole minute of each metric alarm's transition (${r.phase.transitions} transitions of ${r.phase.alarms} alarm(s)):`,
            `  ${rs(r.phase)}`,
        );
        if (r.phase.wraps) lines.push(wrapNote(r.phase));
        lines.push(
            `  Each is an UPPER bound of when that evaluation read the data (the transition is written after the read): a constant`,
            `  read delay lies between 0 and the minimum, ${pastMinute(r.phase.min)} s${r.phase.wraps ? " past the previous minute" : ""}. The simulator assumes EVALUATION_DELAY_SECONDS = ${r.assumedEvaluationDelaySeconds} s (the low end).`,
        );
        if (r.queryPhase) {
            lines.push(
                `  queryDate (newState.stateReasonData: when CloudWatch says the evaluation queried), ${r.queryPhase.count} of them: ${rs(r.queryPhase)} past the minute;`,
                `  the transition followed it by ${rs(r.queryToTransition!)}. The closer figure — what queryDate means exactly is not documented.`,
            );
            if (r.queryPhase.wraps) lines.push(wrapNote(r.queryPhase));
        }
        lines.push(
            `  The two ends (a later read sees more data but alerts later in the minute: which end is the slower depends on the publish delay):`,
            `    ${r.replay!.baseline}`,
            `    ${r.replay!.command}        # ${r.replay!.basis === "queryDate" ? "⌊min queryDate phase⌋: the earliest read CloudWatch recorded" : "⌊min phase⌋: errs toward a later read than the real one"}`,
        );
        if (r.phase.max - r.phase.min > 10) lines.push(`  The phases spread ${round1(r.phase.max - r.phase.min)} s: evaluations do not run at one fixed offset (per alarm, or varying).`);
    } else {
        lines.push("Evaluation phase: no metric alarm transition written by an evaluation in the window.");
    }
    if (r.notEvaluations.length) {
        lines.push(`  Left out, not written by an evaluation (no stateReasonData: set by hand, e.g. SetAlarmState): ${r.notEvaluations.length}`);
        for (const n of r.notEvaluations) lines.push(`    ${n.at} ${n.alarm}${n.summary ? `: ${n.summary}` : ""}`);
    }
    for (const c of r.composites) {
        lines.push("", `Composite lag of ${c.composite} — each transition minus the latest child transition at or before it:`);
        for (const p of c.pairs) lines.push(`  ${p.at} ${p.to ?? "?"}  ← ${p.child} ${p.childTo ?? "?"} at ${p.childAt}: ${p.lagSeconds} s`);
        for (const u of c.unpaired) lines.push(`  ${u}: no child transition at or before it in the window (not counted)`);
        if (c.pairs.length === 0 && c.unpaired.length === 0) lines.push("  no transition of the composite in the window");
        if (c.lag) lines.push(`  ${rs(c.lag)} (${c.lag.count} pairs)`);
    }
    if (r.compositeLag) {
        lines.push(
            "",
            `Composite lag, all pairs: ${rs(r.compositeLag)} (${r.compositeLag.count}); the simulator assumes COMPOSITE_EVALUATION_SECONDS = ${r.assumedCompositeSeconds} s.`,
            "  Each pair is a LOWER bound of the lag from the child transition that caused it (an earlier one may have); a",
            "  composite transition no child caused (its creation, a rule change) pairs with an old child transition: an outlier above.",
        );
    } else if (r.composites.length === 0) {
        lines.push("", "Composite lag: no composite among the named alarms (name a composite to measure it).");
    }
    for (const f of r.failures) lines.push(`  failed: ${f.call} ${f.alarm}: ${f.error}`);
    return lines.join("\n") + "\n";
}
