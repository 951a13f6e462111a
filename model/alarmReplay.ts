// The alarm replay engine: runs a metric series through one CloudWatch alarm's exact shape the way CloudWatch
// evaluates it, second by second of data arrival and minute by minute of evaluation, and says when the alarm's
// actions would run. Pure: no Pulumi, no AWS, no randomness (the caller supplies the data and when each second
// of it becomes visible). `npm run simulate` (scripts/lib/simulation.ts) feeds it traffic-model series; the
// `detectionLatencySeconds` stack output is its worst case (model/detectionLatency.ts).
//
// What is CloudWatch's and what stands in for it:
// - Evaluation (reproduced): every 60 s (hourly for windows over a day); the window is the N periods that end at the whole minute of the
//   evaluation ("for the alarm evaluation at 12:15:00, CloudWatch expects datapoints with timestamps 12:00:00,
//   12:05:00 and 12:10:00" for a 5-minute period and 3 evaluation periods, CloudWatch User Guide, "Limits" of
//   alarms on connected data sources; "for any period of one minute or longer, an alarm is evaluated every
//   minute", "Evaluating an alarm"). A datapoint is the Sum of the data that has ARRIVED by then; FILL(m, 0)
//   makes a period with no arrived data 0. ALARM when at least M of the N datapoints breach, else OK.
// - The band (NOT reproducible): CloudWatch's anomaly model is trained by CloudWatch on the metric's history and
//   is not published. The stand-in is the band a perfectly trained model would draw: the expected value of the
//   normal traffic for that period ± bandWidth × the standard deviation of the period's value (both computed
//   from the traffic model, anomaly excluded). A real band is at least as wide once its model error is added,
//   so the stand-in's false alarms are an upper estimate and its drop/spike latencies a lower one for the
//   band part (the timing part is unaffected).
// - Composite gates (reproduced): a noise-floor child alarm "Sum over the trailing window ≥ threshold" (the
//   window's blocked requests, or a drop alarm's baseline); the composite rule is ALARM(band) AND ALARM(gate)
//   and only the composite has actions.

/** CloudWatch User Guide, "Evaluating an alarm": alarms with periods of a minute or longer are evaluated every minute. */
export const ALARM_EVALUATION_INTERVAL_SECONDS = 60;
/**
 * Same page: "If the number of evaluation periods multiplied by the length of each evaluation period exceeds one
 * day, the alarm is evaluated once per hour", on data up to the hour.
 */
export const MULTI_DAY_EVALUATION_INTERVAL_SECONDS = 3600;
export const ONE_DAY_SECONDS = 86_400;

/**
 * ASSUMPTION. When, after the whole minute its window ends at, an evaluation reads the data. The window's
 * alignment is documented (see the header); the moment the evaluation runs is not. 0 means: the evaluation sees
 * exactly the data that has arrived by the minute. A later read would see more data and shift every alert by
 * the same amount; `npm run simulate -- --evaluation-delay S` shows the effect.
 */
export const EVALUATION_DELAY_SECONDS = 0;
/**
 * ASSUMPTION. A composite alarm is re-evaluated when a child alarm changes state (CloudWatch User Guide,
 * "Create a composite alarm"); no delay is published. Counted as 0.
 */
export const COMPOSITE_EVALUATION_SECONDS = 0;

/** Per-minute expected value and variance of the normal traffic: the band stand-in. */
export interface Expected {
    /** Mean of each minute's value (index = minute since t0). */
    mean: Float64Array;
    /** Variance of each minute's value. */
    variance: Float64Array;
}

/** One metric series as the alarm sees it. Time is in whole seconds since the series' t0 (a whole minute). */
export interface ReplaySeries {
    /** The value the metric gets for each second of traffic (e.g. views stamped in that second). */
    values: Float64Array;
    /** The second at which each second's value is in CloudWatch (≥ its own second). */
    visibleAt: Float64Array;
    expected: Expected;
}

/** A static child alarm: Sum over the trailing window ≥ threshold (a noise floor). */
export interface ReplayGate {
    windowSeconds: number;
    threshold: number;
}

/** The parts of an alarm that decide when it fires. */
export interface ReplayShape {
    periodSeconds: number;
    /** N as the alarm is created. */
    evaluationPeriods: number;
    /** M as the alarm is created. */
    datapointsToAlarm: number;
    comparison: "GreaterThanUpperThreshold" | "LessThanLowerThreshold";
    bandWidth: number;
    /** When set, the alarm is the composite ALARM(band) AND ALARM(gate), actions on the composite only. */
    gate?: ReplayGate;
}

export interface Transition {
    /** Seconds since t0 at which the (composite) alarm entered the state. */
    at: number;
    state: "ALARM" | "OK";
}

export interface ReplayResult {
    transitions: Transition[];
    /** Evaluations run. */
    evaluations: number;
}

/** Largest `visibleAt[s] - s`: data older than this is complete at any evaluation. */
function maxLag(visibleAt: Float64Array): number {
    let m = 0;
    for (let s = 0; s < visibleAt.length; s++) {
        const d = visibleAt[s] - s;
        if (d > m) m = d;
    }
    return Math.ceil(m);
}

/** Prefix sums: p[i] = Σ values[0..i). */
function prefix(values: Float64Array): Float64Array {
    const p = new Float64Array(values.length + 1);
    for (let i = 0; i < values.length; i++) p[i + 1] = p[i] + values[i];
    return p;
}

/** Validates a shape against what PutMetricAlarm accepts for these alarms (throws naming the field). */
export function checkShape(shape: ReplayShape): void {
    const { periodSeconds: p, evaluationPeriods: n, datapointsToAlarm: m } = shape;
    if (!(Number.isInteger(p) && p >= 60 && p % 60 === 0)) throw new Error(`period must be a positive multiple of 60 s, got ${p}`);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`evaluationPeriods must be a whole number ≥ 1, got ${n}`);
    if (!(Number.isInteger(m) && m >= 1 && m <= n)) throw new Error(`datapointsToAlarm must be from 1 to evaluationPeriods (${n}), got ${m}`);
    if (!(shape.bandWidth > 0)) throw new Error(`bandWidth must be > 0, got ${shape.bandWidth}`);
    if (shape.gate && !(shape.gate.windowSeconds >= 60 && shape.gate.windowSeconds % 60 === 0)) {
        throw new Error(`gate window must be a positive multiple of 60 s, got ${shape.gate.windowSeconds}`);
    }
}

/**
 * Replays `series` through `shape` from the first evaluation whose window (and gate window) lies inside the
 * series to the last one. The alarm starts OK (a stack that has been running: the first-deploy
 * INSUFFICIENT_DATA → OK transition is not an alert).
 */
export function replay(series: ReplaySeries, shape: ReplayShape, opts: { evaluationDelaySeconds?: number } = {}): ReplayResult {
    checkShape(shape);
    const { values, visibleAt, expected } = series;
    if (visibleAt.length !== values.length) throw new Error("values and visibleAt differ in length");
    if (expected.mean.length * 60 < values.length) throw new Error("expected covers fewer minutes than the values");
    const delay = opts.evaluationDelaySeconds ?? EVALUATION_DELAY_SECONDS;
    const lag = maxLag(visibleAt);
    const pre = prefix(values);
    const P = shape.periodSeconds;
    const N = shape.evaluationPeriods;
    const M = shape.datapointsToAlarm;
    const k = shape.bandWidth;
    const above = shape.comparison === "GreaterThanUpperThreshold";
    const span = Math.max(N * P, shape.gate?.windowSeconds ?? 0);

    /** Σ of the values of seconds [a, b) that are visible at time t. */
    const visibleSum = (a: number, b: number, t: number): number => {
        const complete = Math.min(b, Math.floor(t - lag));
        let sum = complete > a ? pre[complete] - pre[a] : 0;
        for (let s = Math.max(a, complete); s < b; s++) if (visibleAt[s] <= t) sum += values[s];
        return sum;
    };

    const transitions: Transition[] = [];
    let state: "ALARM" | "OK" = "OK";
    let evaluations = 0;
    const step = N * P > ONE_DAY_SECONDS ? MULTI_DAY_EVALUATION_INTERVAL_SECONDS : ALARM_EVALUATION_INTERVAL_SECONDS;
    const firstW = Math.ceil(span / step) * step;
    for (let w = firstW; w <= values.length; w += step) {
        const t = w + delay;
        evaluations += 1;
        let breaching = 0;
        for (let j = 0; j < N; j++) {
            const b = w - j * P;
            const a = b - P;
            const v = visibleSum(a, b, t);
            let mean = 0;
            let variance = 0;
            for (let minute = a / 60; minute < b / 60; minute++) {
                mean += expected.mean[minute];
                variance += expected.variance[minute];
            }
            const sd = Math.sqrt(variance);
            if (above ? v > mean + k * sd : v < mean - k * sd) breaching += 1;
        }
        let next: "ALARM" | "OK" = breaching >= M ? "ALARM" : "OK";
        if (next === "ALARM" && shape.gate) {
            const g = shape.gate;
            // Counts are whole in CloudWatch; the noise-free series sums fractions per second, so a sum that is the
            // threshold up to rounding (19.999999999 for 20) counts as reaching it.
            if (visibleSum(w - g.windowSeconds, w, t) < g.threshold - 1e-9 * Math.max(1, g.threshold)) next = "OK";
        }
        if (next !== state) {
            transitions.push({ at: t + (shape.gate ? COMPOSITE_EVALUATION_SECONDS : 0), state: next });
            state = next;
        }
    }
    return { transitions, evaluations };
}

/** The first ALARM transition at or after `from` and before `until`, or undefined. */
export function firstAlarm(result: ReplayResult, from: number, until = Infinity): number | undefined {
    return result.transitions.find((t) => t.state === "ALARM" && t.at >= from && t.at < until)?.at;
}
