// Ecommerce root cause at alert time: when an ecommerce band alarm fires, which platform and marketplace values made
// the deviation. Called by the finding Lambda's "enrich" stage.
//
// Interface:
//
//   const settings = ecommerceSettingsFromEnv(process.env);          // ECOMMERCE_ROOT_CAUSE, see ecommerceRootCauseEnv
//   const r = await ecommerceRootCause(
//       { metricName: "Views", direction: "below", window, alarm },   // window: alarmWindow(...) of ./wafRootCause
//       settings, { cloudWatch: new CloudWatchClient(...), deadlineMs });
//
//   r.dimensionContribution — the Lookout `dimensionContribution` shape the finding already maps: per dimension
//   (Platform, Marketplace), each value's share (%) of that dimension's deviation in the alarm's direction, largest
//   first; the shares of a dimension add up to exactly 100 (largest-remainder rounding to 0.01). Values that moved
//   the other way (or had no band) get no share and are listed in `r.series` with their own deviation.
//   r.reads — per group (the total, each dimension read): the period, band width and window it was read with.
//   r.status "complete" | "partial" (some series unreadable or aborted at the deadline: `reason`) | "unavailable".
//   ecommerceRequestFromAlarm({ namespace, metricName, dimensions, comparisonOperator, window, alarm }, settings)
//   builds the request from a total-series alarm (all dimensions), or from a by-dimension alarm (`focus`: that
//   dimension's values, to show whether the anomaly is that value's alone); undefined for anything else.
//
// How: every series read — the total, each watched value of each dimension and the `_other` bucket (the transform
// sums unwatched values there, so a dimension's series add up to the total) — is read with ITS OWN alarms' metric
// math: m1 = Sum per period, e1 = FILL(m1, 0), ad1 = ANOMALY_DETECTION_BAND(e1, bandWidth), at the period and
// band width components/cloudwatchDetection.ts gives that series' alarms (settings: `periodSeconds`/`bandWidth`
// for the total and dense series, `byDimension[metric]` for a measure whose by-dimension alarms differ — revenue
// by platform or marketplace: detection.sparsePeriodSeconds, bandWidth + 0.5; the alarm that fired: the period and
// band of its own notification). An anomaly detector on metric math is defined by its queries (period included),
// so these are the queries of the model each series' alarm trained, never a new one; the window is widened to
// whole periods of each group. A dimension's values share one period and band, so its shares compare like with
// like; across groups the sums need not match the total's when periods differ (the reads say which were used).
// One GetMetricData call per series with those ids, each within the 10-query limit of metric-math anomaly
// detection (3 queries, far under GetMetricData's 500); pages (NextToken) are followed. The expected value is the
// band's midpoint; a series' deviation is Σ(value − expected) over the window's datapoints that have a band
// (above), or Σ(expected − value) (below). By `deadlineMs` every call still running is aborted (the SDK's
// abortSignal: the HTTP request is cancelled, a retry wait ends) and no series is started; what was read is kept.
import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchClient, GetMetricDataCommandOutput, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";

import { METRIC_NAMESPACE, OTHER_DIMENSION_VALUE, STACK_DIMENSION } from "../../model/ecommerceSchema";
import type { L4mDimensionContribution } from "../alertEvents";
import { errorText } from "./wafRootCause";

/** The period and ANOMALY_DETECTION_BAND width a series' alarms use. */
export interface SeriesBand {
    periodSeconds: number;
    bandWidth: number;
}

export interface EcommerceRootCauseSettings {
    namespace: string;
    /** The `Stack` dimension value. */
    stack: string;
    /** Period of the total's (and the dense by-dimension series') alarms. */
    periodSeconds: number;
    /** ANOMALY_DETECTION_BAND width of those alarms. */
    bandWidth: number;
    /** Watched values per EMF dimension name (`Platform`, `Marketplace`). The `_other` bucket is read too. */
    dimensions: Record<string, string[]>;
    /**
     * Per EMF metric name (`Revenue`): the period and band width of its by-dimension alarms where they differ from
     * the total's (sparse series, model/alarmTiming.ts). A measure not listed: its by-dimension alarms use the total's.
     */
    byDimension?: Record<string, SeriesBand>;
}

export interface EcommerceRootCauseRequest {
    /** EMF metric name of the alarm (`Views`, `Revenue`). */
    metricName: string;
    /** Above the band (spike) or below it (drop). */
    direction: "above" | "below";
    window: { start: Date; end: Date };
    /** The fired alarm's own period and band width (its notification): its series' group is read with them. */
    alarm?: SeriesBand;
    /** A by-dimension alarm's dimension and value: the total and that dimension's values are read. */
    focus?: { dimension: string; value: string };
}

export interface SeriesDeviation {
    /** Undefined for the total. */
    dimension?: string;
    value?: string;
    observed: number;
    expected: number;
    /** Signed, in the alarm's direction (positive = contributes to the anomaly). */
    deviation: number;
    /** % of the dimension's deviation (0 for values that did not contribute). */
    share: number;
    datapoints: number;
    note?: string;
}

/** How one group (`total`, or a dimension name) was read. */
export interface GroupRead extends SeriesBand {
    group: string;
    start: string;
    end: string;
}

export interface EcommerceRootCause {
    kind: "ecommerce";
    status: "complete" | "partial" | "unavailable";
    reason?: string;
    metricName: string;
    direction: "above" | "below";
    window: { start: string; end: string };
    focus?: { dimension: string; value: string };
    total?: SeriesDeviation;
    /** Every dimension value read, ranked by deviation within its dimension. */
    series: SeriesDeviation[];
    dimensionContribution: L4mDimensionContribution[];
    /** The period, band width and window each group was read with (total first). */
    reads?: GroupRead[];
    /**
     * An order-value (AOV) alarm's root cause (./orderValueRootCause.ts): not a breakdown into shares, but the
     * other watched series' own order-value alarms of the same direction — how many were looked at, those in ALARM.
     */
    orderValue?: import("./orderValueRootCause").OrderValueFindings;
}

export type CloudWatchSender = Pick<CloudWatchClient, "send">;

export interface EcommerceRootCauseDeps {
    cloudWatch: CloudWatchSender;
    /** Series read at once (default 4). */
    maxConcurrentCalls?: number;
    /** Epoch ms: calls still running then are aborted, none is started after. Default: no deadline. */
    deadlineMs?: number;
    /**
     * Arms the deadline: calls `fire` when the `msLeft` until `deadlineMs` have passed and returns a cancel.
     * Default: setTimeout. Tests fire it on an event (a request seen) instead of the wall clock.
     */
    deadlineTimer?: (fire: () => void, msLeft: number) => () => void;
}

/** GetMetricData's documented limit per call. */
export const MAX_QUERIES_PER_CALL = 500;
/** Pages followed per series before giving up on it. */
export const MAX_PAGES = 10;
export const ENV_NAME = "ECOMMERCE_ROOT_CAUSE";
const IDS = { metric: "m1", filled: "e1", band: "ad1" } as const;

// ---- settings --------------------------------------------------------------------------------------------------------

/** The environment value the program sets for the finding Lambda (JSON of the settings). */
export function ecommerceRootCauseEnv(s: EcommerceRootCauseSettings): string {
    return JSON.stringify(s);
}

/** Reads ECOMMERCE_ROOT_CAUSE; undefined when not set (no ecommerce root cause); a malformed value is an error naming it. */
export function ecommerceSettingsFromEnv(env: NodeJS.ProcessEnv): EcommerceRootCauseSettings | undefined {
    const raw = env[ENV_NAME]?.trim();
    if (!raw) return undefined;
    let v: Partial<EcommerceRootCauseSettings>;
    try {
        v = JSON.parse(raw);
    } catch (e) {
        throw new Error(`finding Lambda: ${ENV_NAME} is not JSON (${(e as Error).message})`);
    }
    const bad = (what: string) => new Error(`finding Lambda: ${ENV_NAME} ${what}`);
    const band = (b: Partial<SeriesBand> | undefined, at: string) => {
        if (!(Number.isInteger(b?.periodSeconds) && b!.periodSeconds! >= 60 && b!.periodSeconds! % 60 === 0)) throw bad(`${at}periodSeconds ${b?.periodSeconds} must be a multiple of 60`);
        if (!(typeof b!.bandWidth === "number" && b!.bandWidth > 0)) throw bad(`${at}bandWidth ${b!.bandWidth} must be a positive number`);
    };
    if (typeof v !== "object" || v === null) throw bad("must be a JSON object");
    if (typeof v.stack !== "string" || !v.stack) throw bad("needs stack (the Stack dimension value)");
    band(v, "");
    const dims = v.dimensions ?? {};
    if (typeof dims !== "object" || Array.isArray(dims) || !Object.values(dims).every((l) => Array.isArray(l) && l.every((x) => typeof x === "string" && x))) {
        throw bad("dimensions must map a dimension name to a list of values");
    }
    const by = v.byDimension ?? {};
    if (typeof by !== "object" || Array.isArray(by)) throw bad("byDimension must map a metric name to { periodSeconds, bandWidth }");
    for (const [metric, b] of Object.entries(by)) band(b, `byDimension.${metric}.`);
    return { namespace: v.namespace || METRIC_NAMESPACE, stack: v.stack, periodSeconds: v.periodSeconds!, bandWidth: v.bandWidth!, dimensions: dims,
        ...(Object.keys(by).length ? { byDimension: by } : {}) };
}

// ---- queries -----------------------------------------------------------------------------------------------------------

export interface SeriesRef {
    dimension?: string;
    value?: string;
}

/**
 * The series read: the total first, then each dimension's watched values and `_other` — only the focus's
 * dimension for a by-dimension alarm.
 */
export function seriesToRead(s: EcommerceRootCauseSettings, focus?: { dimension: string }): SeriesRef[] {
    const out: SeriesRef[] = [{}];
    for (const [dimension, values] of Object.entries(s.dimensions)) {
        if (!values.length || (focus && focus.dimension !== dimension)) continue;
        for (const value of [...new Set([...values, OTHER_DIMENSION_VALUE])]) out.push({ dimension, value });
    }
    return out;
}

/**
 * The period and band width a series is read with: its own alarms'. The fired alarm's group (the total, or the
 * focus's dimension) takes the alarm's own; by-dimension series of a measure in `byDimension` take those.
 */
export function seriesBand(s: EcommerceRootCauseSettings, req: Pick<EcommerceRootCauseRequest, "metricName" | "alarm" | "focus">, ref: SeriesRef): SeriesBand {
    if (req.alarm && ref.dimension === req.focus?.dimension) return req.alarm;
    return (ref.dimension && s.byDimension?.[req.metricName]) || { periodSeconds: s.periodSeconds, bandWidth: s.bandWidth };
}

/** The alarm's metric math for one series (same ids, FILL and band width as components/cloudwatchDetection.ts). */
export function seriesQueries(s: EcommerceRootCauseSettings, metricName: string, ref: SeriesRef, band: SeriesBand = s): MetricDataQuery[] {
    const dimensions = [{ Name: STACK_DIMENSION, Value: s.stack }, ...(ref.dimension ? [{ Name: ref.dimension, Value: ref.value! }] : [])];
    return [
        { Id: IDS.metric, MetricStat: { Metric: { Namespace: s.namespace, MetricName: metricName, Dimensions: dimensions }, Period: band.periodSeconds, Stat: "Sum" }, ReturnData: false },
        { Id: IDS.filled, Expression: `FILL(${IDS.metric}, 0)`, ReturnData: true },
        { Id: IDS.band, Expression: `ANOMALY_DETECTION_BAND(${IDS.filled}, ${band.bandWidth})`, ReturnData: true },
    ];
}

// ---- reading -----------------------------------------------------------------------------------------------------------

interface SeriesData {
    values: Map<number, number>;
    /** The band's results (two series, lower and upper, told apart per timestamp by min/max). */
    band: Map<number, number[]>;
    messages: string[];
}

async function readSeries(cw: CloudWatchSender, queries: MetricDataQuery[], window: { start: Date; end: Date }, signal: AbortSignal): Promise<SeriesData> {
    if (queries.length > MAX_QUERIES_PER_CALL) throw new Error(`GetMetricData takes at most ${MAX_QUERIES_PER_CALL} queries (got ${queries.length})`);
    const data: SeriesData = { values: new Map(), band: new Map(), messages: [] };
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
        // Settled by the abort too: a client that ignores the signal cannot hold the result, a late answer is dropped.
        const out = await new Promise<GetMetricDataCommandOutput>((resolve, reject) => {
            const onAbort = () => reject(Object.assign(new Error("aborted at the deadline"), { name: "AbortError" }));
            if (signal.aborted) return onAbort();
            signal.addEventListener("abort", onAbort, { once: true });
            cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: window.start, EndTime: window.end, ScanBy: "TimestampAscending", NextToken: token }), { abortSignal: signal })
                .then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
        });
        for (const r of out.MetricDataResults ?? []) add(data, r);
        for (const m of out.Messages ?? []) data.messages.push(`${m.Code}: ${m.Value}`);
        token = out.NextToken;
        if (!token) return data;
    }
    data.messages.push(`more than ${MAX_PAGES} pages; later datapoints not read`);
    return data;
}
function add(data: SeriesData, r: MetricDataResult): void {
    const ts = r.Timestamps ?? [];
    const vs = r.Values ?? [];
    if (r.StatusCode && r.StatusCode !== "Complete") data.messages.push(`${r.Id} ${r.StatusCode}`);
    for (const m of r.Messages ?? []) data.messages.push(`${r.Id}: ${m.Code}: ${m.Value}`);
    ts.forEach((t, i) => {
        const at = new Date(t).getTime();
        const v = vs[i];
        if (!Number.isFinite(v)) return;
        if (r.Id === IDS.filled) data.values.set(at, (data.values.get(at) ?? 0) + v);
        else if (r.Id === IDS.band) data.band.set(at, [...(data.band.get(at) ?? []), v]);
    });
}

function deviationOf(ref: SeriesRef, d: SeriesData, direction: "above" | "below"): SeriesDeviation {
    let observed = 0;
    let expected = 0;
    let n = 0;
    for (const [at, value] of d.values) {
        const band = d.band.get(at);
        if (!band || band.length < 2) continue;
        expected += (Math.min(...band) + Math.max(...band)) / 2;
        observed += value;
        n += 1;
    }
    const raw = observed - expected;
    const out: SeriesDeviation = { ...ref, observed, expected, deviation: direction === "above" ? raw : -raw, share: 0, datapoints: n };
    if (n === 0) out.note = d.values.size ? "no band for the window's datapoints (model not trained yet?)" : "no datapoints in the window";
    if (d.messages.length) out.note = [out.note, ...d.messages].filter(Boolean).join("; ");
    return out;
}

/**
 * Shares (%) of the positive deviations, rounded to 0.01 so that they add up to exactly 100 (largest remainder).
 * Returns zeros when nothing deviated in the alarm's direction.
 */
export function sharesOf(deviations: number[]): number[] {
    const pos = deviations.map((d) => (d > 0 && Number.isFinite(d) ? d : 0));
    const sum = pos.reduce((a, b) => a + b, 0);
    if (sum <= 0) return pos.map(() => 0);
    const exact = pos.map((d) => (d / sum) * 10000);
    const floors = exact.map(Math.floor);
    let left = 10000 - floors.reduce((a, b) => a + b, 0);
    const order = exact.map((x, i) => [x - floors[i], i] as const).filter(([, i]) => pos[i] > 0).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, i] of order) {
        if (left <= 0) break;
        floors[i] += 1;
        left -= 1;
    }
    return floors.map((f) => f / 100);
}

/** Ranks read series into per-dimension contributions (pure; exported for tests and for the Lookout-shaped mapping). */
export function rankContributions(series: SeriesDeviation[]): { series: SeriesDeviation[]; dimensionContribution: L4mDimensionContribution[] } {
    const byDim = new Map<string, SeriesDeviation[]>();
    for (const s of series) if (s.dimension) byDim.set(s.dimension, [...(byDim.get(s.dimension) ?? []), s]);
    const ranked: SeriesDeviation[] = [];
    const contributions: L4mDimensionContribution[] = [];
    for (const [dimension, list] of byDim) {
        const usable = list.map((s) => (s.datapoints > 0 ? s.deviation : 0));
        const shares = sharesOf(usable);
        const withShares = list.map((s, i) => ({ ...s, share: shares[i] }))
            .sort((a, b) => b.share - a.share || b.deviation - a.deviation || String(a.value).localeCompare(String(b.value)));
        ranked.push(...withShares);
        const contributing = withShares.filter((s) => s.share > 0);
        if (contributing.length) {
            contributions.push({ dimensionName: dimension, dimensionValueContributions: contributing.map((s) => ({ dimensionValue: s.value!, valueContribution: s.share })) });
        }
    }
    return { series: ranked, dimensionContribution: contributions };
}

/**
 * The root cause of an ecommerce anomaly. Never throws for AWS-side trouble: a series that cannot be read (or is
 * aborted at the deadline) is noted and left out of the ranking (status partial); nothing readable gives status
 * unavailable with the reason.
 */
export async function ecommerceRootCause(req: EcommerceRootCauseRequest, s: EcommerceRootCauseSettings, deps: EcommerceRootCauseDeps): Promise<EcommerceRootCause> {
    if (!(req.window.end.getTime() > req.window.start.getTime())) throw new Error(`ecommerce root cause: window ${req.window.start.toISOString()} – ${req.window.end.toISOString()} is empty`);
    const base: EcommerceRootCause = {
        kind: "ecommerce", status: "complete", metricName: req.metricName, direction: req.direction,
        window: { start: req.window.start.toISOString(), end: req.window.end.toISOString() }, ...(req.focus ? { focus: req.focus } : {}), series: [], dimensionContribution: [],
    };
    const refs = seriesToRead(s, req.focus);
    if (refs.length === 1) return { ...base, status: "unavailable", reason: "no platform or marketplace values are watched: there is nothing to break the total down by" };
    // Each series at its alarms' period and band, over the window widened to whole periods of it.
    const reads: GroupRead[] = [];
    const plans = refs.map((ref) => {
        const band = seriesBand(s, req, ref);
        const p = band.periodSeconds * 1000;
        const window = { start: new Date(Math.floor(req.window.start.getTime() / p) * p), end: new Date(Math.ceil(req.window.end.getTime() / p) * p) };
        const group = ref.dimension ?? "total";
        if (!reads.some((r) => r.group === group)) reads.push({ group, ...band, start: window.start.toISOString(), end: window.end.toISOString() });
        return { ref, band, window };
    });
    const controller = new AbortController();
    const budget = deps.deadlineMs === undefined ? undefined : Math.max(0, deps.deadlineMs - Date.now());
    const arm = deps.deadlineTimer ?? ((fire: () => void, ms: number) => { const t = setTimeout(fire, ms); return () => clearTimeout(t); });
    const cancel = budget === undefined ? undefined : arm(() => controller.abort(), budget);
    const failures: string[] = [];
    const aborted: string[] = [];
    const notStarted: string[] = [];
    const results: (SeriesDeviation | undefined)[] = new Array(refs.length);
    const limit = Math.max(1, deps.maxConcurrentCalls ?? 4);
    let next = 0;
    const worker = async () => {
        while (next < plans.length) {
            const i = next++;
            const { ref, band, window } = plans[i];
            const name = ref.dimension ? `${ref.dimension}=${ref.value}` : "total";
            if (controller.signal.aborted) {
                notStarted.push(name);
                continue;
            }
            try {
                results[i] = deviationOf(ref, await readSeries(deps.cloudWatch, seriesQueries(s, req.metricName, ref, band), window, controller.signal), req.direction);
            } catch (e) {
                // Aborted only if the abort is what ended the call: a real error keeps its reason, deadline or not.
                if (controller.signal.aborted && (e as Error)?.name === "AbortError") aborted.push(name);
                else failures.push(`${name}: ${errorText(e)}`);
            }
        }
    };
    try {
        await Promise.all(Array.from({ length: Math.min(limit, refs.length) }, worker));
    } finally {
        cancel?.();
    }
    if (aborted.length + notStarted.length) {
        failures.push(`GetMetricData did not answer within the ${budget} ms left of the enrichment budget (aborted: ${aborted.join(", ") || "none"}; not started: ${notStarted.join(", ") || "none"})`);
    }
    const [total, ...rest] = results;
    const read = rest.filter((x): x is SeriesDeviation => x !== undefined);
    const ranked = rankContributions(read);
    const out: EcommerceRootCause = { ...base, total, series: ranked.series, dimensionContribution: ranked.dimensionContribution, reads };
    if (!read.length) return { ...out, status: "unavailable", reason: `no dimension series could be read: ${failures.join("; ")}` };
    if (failures.length) {
        out.status = "partial";
        out.reason = `not read (left out of the ranking): ${failures.join("; ")}`;
    } else if (!ranked.dimensionContribution.length) {
        out.reason = `no watched value moved ${req.direction} its expected value in the window`;
    }
    return out;
}

/**
 * The request for an ecommerce alarm of the settings' stack: a total-series alarm (Stack dimension only), or a
 * by-dimension alarm (Stack and one watched dimension: `focus`); undefined for anything else. Direction from the
 * comparison operator: above for GreaterThanUpperThreshold, below for LessThanLowerThreshold, else `breachDirection`.
 */
export function ecommerceRequestFromAlarm(a: {
    namespace?: string;
    metricName: string;
    dimensions: { name: string; value: string }[];
    comparisonOperator: string;
    breachDirection?: "above" | "below";
    window: { start: Date; end: Date };
    alarm?: SeriesBand;
}, s: EcommerceRootCauseSettings): EcommerceRootCauseRequest | undefined {
    if (a.namespace !== undefined && a.namespace !== s.namespace) return undefined;
    const [dim, ...more] = a.dimensions.filter((d) => d.name !== STACK_DIMENSION);
    if (!a.dimensions.some((d) => d.name === STACK_DIMENSION && d.value === s.stack) || more.length || (dim && !s.dimensions[dim.name]?.length)) return undefined;
    const direction = a.comparisonOperator === "GreaterThanUpperThreshold" ? "above" : a.comparisonOperator === "LessThanLowerThreshold" ? "below" : a.breachDirection;
    return direction ? { metricName: a.metricName, direction, window: a.window, ...(a.alarm ? { alarm: a.alarm } : {}), ...(dim ? { focus: { dimension: dim.name, value: dim.value } } : {}) } : undefined;
}
