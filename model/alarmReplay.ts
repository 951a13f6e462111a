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
    /** For ratio shapes (values / denominator): the per-minute moments of numerator S and denominator K. */
    ratio?: RatioMoments;
}

/** Per-minute means, variances and covariance of a ratio's numerator S (revenue) and denominator K (checkouts). */
export interface RatioMoments {
    s: Float64Array;
    k: Float64Array;
    vs: Float64Array;
    vk: Float64Array;
    cov: Float64Array;
}

/**
 * E[1/K | K > 0] × μ for K ~ Poisson(μ): how much wider a ratio's spread is than the delta method's 1/μ says, once
 * the datapoints that exist (K > 0) are the ones a band is trained on. Exact sum up to μ = 30, the series
 * 1 + 1/μ + 2/μ² beyond.
 */
export function smallCountFactor(mu: number, minCount = 1): number {
    if (!(mu > 0)) return 1;
    // Far above the minimum, conditioning on K ≥ n changes nothing measurable (P(K < μ/2) < 1e-3 beyond μ = 30).
    if (mu > 30 && minCount <= mu / 2) return 1 + 1 / mu + 2 / (mu * mu);
    // Exact sum, in log space so that e^{−μ} cannot underflow for large μ.
    const logMu = Math.log(mu);
    const from = Math.max(1, Math.ceil(minCount));
    const top = Math.ceil(Math.max(mu, from) + 12 * Math.sqrt(mu) + 20);
    let logFact = 0;
    for (let k = 2; k < from; k++) logFact += Math.log(k);
    let sum = 0;
    let mass = 0;
    for (let k = from; k <= top; k++) {
        if (k > 1) logFact += Math.log(k);
        const p = Math.exp(-mu + k * logMu - logFact);
        sum += p / k;
        mass += p;
    }
    return mass > 0 ? (mu * sum) / mass : 1;
}

/** One metric series as the alarm sees it. Time is in whole seconds since the series' t0 (a whole minute). */
export interface ReplaySeries {
    /** The value the metric gets for each second of traffic (e.g. views stamped in that second). */
    values: Float64Array;
    /** The second at which each second's value is in CloudWatch (≥ its own second). */
    visibleAt: Float64Array;
    expected: Expected;
    /** Ratio shapes: the denominator per second (checkouts), arriving with the values (the same EMF lines). */
    denominator?: Float64Array;
    /**
     * Ratio shapes: the numerator per second when it is not `values` (the order-value children's Σ ln(1 + order
     * value), arriving in the same EMF lines). Default: `values`.
     */
    numerator?: Float64Array;
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
    /**
     * Ratio shape: the datapoint is Σ values / Σ denominator over the period (metric math `m1 / m2`); a period whose
     * denominator is 0 has no datapoint (CloudWatch drops a division by zero) and counts as not breaching
     * (treatMissingData notBreaching). The band stand-in is the ratio's delta-method spread (Expected.ratio).
     */
    ratio?: boolean;
    /**
     * Ratio shapes: a period with fewer than this many in the denominator has no datapoint either (metric math
     * `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)`: the division by zero drops it), so a band is never judged on one or two orders.
     * Default 1.
     */
    minDenominator?: number;
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

/** Per evaluation (at firstW + i × step) whether a band child's condition holds: at least M of its N datapoints breach. */
interface BandStates {
    firstW: number;
    step: number;
    breaching: Uint8Array;
}

function spanOf(shape: ReplayShape): number {
    return Math.max(shape.periodSeconds * shape.evaluationPeriods, shape.gate?.windowSeconds ?? 0);
}

function stepOf(shape: ReplayShape): number {
    return shape.periodSeconds * shape.evaluationPeriods > ONE_DAY_SECONDS ? MULTI_DAY_EVALUATION_INTERVAL_SECONDS : ALARM_EVALUATION_INTERVAL_SECONDS;
}

/** Σ of the values of seconds [a, b) visible at time t (complete up to t − lag, per second after). */
function visibleSummer(values: Float64Array, visibleAt: Float64Array, lag: number): (a: number, b: number, t: number) => number {
    const pre = prefix(values);
    return (a, b, t) => {
        const complete = Math.min(b, Math.floor(t - lag));
        let sum = complete > a ? pre[complete] - pre[a] : 0;
        for (let s = Math.max(a, complete); s < b; s++) if (visibleAt[s] <= t) sum += values[s];
        return sum;
    };
}

function bandStates(series: ReplaySeries, shape: ReplayShape, firstW: number, delay: number, lag: number): BandStates {
    const { values, visibleAt, expected } = series;
    const P = shape.periodSeconds;
    const N = shape.evaluationPeriods;
    const M = shape.datapointsToAlarm;
    const k = shape.bandWidth;
    const above = shape.comparison === "GreaterThanUpperThreshold";
    const step = stepOf(shape);
    const sumOf = visibleSummer(shape.ratio && series.numerator ? series.numerator : values, visibleAt, lag);
    let denOf: ((a: number, b: number, t: number) => number) | undefined;
    const rm = expected.ratio;
    if (shape.ratio) {
        if (!series.denominator || !rm) throw new Error("a ratio shape needs the series' denominator and its ratio moments");
        denOf = visibleSummer(series.denominator, visibleAt, lag);
    }
    const count = firstW <= values.length ? Math.floor((values.length - firstW) / step) + 1 : 0;
    const breaching = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
        const w = firstW + i * step;
        const t = w + delay;
        let n = 0;
        for (let j = 0; j < N; j++) {
            const b = w - j * P;
            const a = b - P;
            let v = sumOf(a, b, t);
            let mean = 0;
            let variance = 0;
            if (denOf && rm) {
                const den = denOf(a, b, t);
                if (!(den > 0) || den < (shape.minDenominator ?? 1) - 1e-9) continue; // division by zero: no datapoint, not breaching
                v /= den;
                let ms = 0, mk = 0, vs = 0, vk = 0, c = 0;
                for (let minute = a / 60; minute < b / 60; minute++) {
                    ms += rm.s[minute]; mk += rm.k[minute]; vs += rm.vs[minute]; vk += rm.vk[minute]; c += rm.cov[minute];
                }
                mean = ms / mk;
                variance = Math.max(0, (vs - 2 * mean * c + mean * mean * vk) / (mk * mk)) * smallCountFactor(mk, shape.minDenominator ?? 1);
            } else {
                for (let minute = a / 60; minute < b / 60; minute++) {
                    mean += expected.mean[minute];
                    variance += expected.variance[minute];
                }
            }
            const sd = Math.sqrt(variance);
            if (above ? v > mean + k * sd : v < mean - k * sd) n += 1;
        }
        breaching[i] = n >= M ? 1 : 0;
    }
    return { firstW, step, breaching };
}

/**
 * Replays `series` through `shape` from the first evaluation whose window (and gate window) lies inside the
 * series to the last one. The alarm starts OK (a stack that has been running: the first-deploy
 * INSUFFICIENT_DATA → OK transition is not an alert).
 */
export function replay(series: ReplaySeries, shape: ReplayShape, opts: { evaluationDelaySeconds?: number } = {}): ReplayResult {
    return replayAlarmSet(series, [shape], opts);
}

/**
 * Replays a composite alarm set `(ALARM(band 1) AND ALARM(gate 1)) OR ALARM(band 2) OR ...`: each band child with
 * its own shape and, when its shape has one, its own gate child; all evaluated every minute on the same data. One
 * band without a gate is a plain metric alarm.
 */
export function replayAlarmSet(series: ReplaySeries, bands: readonly ReplayShape[], opts: { evaluationDelaySeconds?: number } = {}): ReplayResult {
    if (bands.length === 0) throw new Error("an alarm set needs at least one band child");
    for (const b of bands) checkShape(b);
    const { values, visibleAt, expected } = series;
    if (visibleAt.length !== values.length) throw new Error("values and visibleAt differ in length");
    if (expected.mean.length * 60 < values.length) throw new Error("expected covers fewer minutes than the values");
    if (series.denominator && series.denominator.length !== values.length) throw new Error("values and denominator differ in length");
    if (series.numerator && series.numerator.length !== values.length) throw new Error("values and numerator differ in length");
    const delay = opts.evaluationDelaySeconds ?? EVALUATION_DELAY_SECONDS;
    const lag = maxLag(visibleAt);
    const step = Math.max(...bands.map(stepOf));
    const span = Math.max(...bands.map(spanOf));
    const firstW = Math.ceil(span / step) * step;
    const states = bands.map((b) => bandStates(series, b, firstW, delay, lag));
    const sum = visibleSummer(values, visibleAt, lag);
    const composite = bands.length > 1 || bands[0].gate !== undefined;

    const transitions: Transition[] = [];
    let state: "ALARM" | "OK" = "OK";
    let evaluations = 0;
    for (let w = firstW; w <= values.length; w += step) {
        const t = w + delay;
        evaluations += 1;
        const on = bands.some((b, i) => {
            const st = states[i];
            if (st.breaching[(w - st.firstW) / st.step] !== 1) return false;
            const g = b.gate;
            // Counts are whole in CloudWatch; the noise-free series sums fractions per second, so a sum that is the
            // threshold up to rounding (19.999999999 for 20) counts as reaching it.
            return !g || sum(w - g.windowSeconds, w, t) >= g.threshold - 1e-9 * Math.max(1, g.threshold);
        });
        const next: "ALARM" | "OK" = on ? "ALARM" : "OK";
        if (next !== state) {
            transitions.push({ at: t + (composite ? COMPOSITE_EVALUATION_SECONDS : 0), state: next });
            state = next;
        }
    }
    return { transitions, evaluations };
}

/** The first ALARM transition at or after `from` and before `until`, or undefined. */
export function firstAlarm(result: ReplayResult, from: number, until = Infinity): number | undefined {
    return result.transitions.find((t) => t.state === "ALARM" && t.at >= from && t.at < until)?.at;
}
