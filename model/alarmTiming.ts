// The shape of each family of CloudWatch alarms: period, M of N per alarm kind, and the datapoints still
// filling when an evaluation runs. Pure. components/cloudwatchDetection.ts builds the alarms from it; the
// simulation (model/detectionSim.ts) replays those alarms; model/detectionLatency.ts reports the replay's worst case.
import { TRANSFORM_BUFFER_SECONDS } from "./ecommerceSchema";
import { emfArrivalParams, emfMaxLagSeconds, wafMaxLagSeconds } from "./metricArrival";

/** CloudWatch User Guide, "Evaluating an alarm": every minute for periods of a minute or longer. */
export const ALARM_EVALUATION_INTERVAL_SECONDS = 60;
/** Same page: a window longer than a day is evaluated once an hour, on data up to the hour. */
export const MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS = 3600;
export const ONE_DAY_SECONDS = 86_400;
/**
 * PutMetricAlarm API reference (Period): "Period multiplied by EvaluationPeriods can't be more than 604,800
 * seconds. For alarms with a period of less than one hour (3,600 seconds), the total evaluation period can't be
 * longer than one day (86,400 seconds)."
 */
export const MAX_ALARM_WINDOW_SECONDS = 604_800;
export const MAX_SHORT_PERIOD_ALARM_WINDOW_SECONDS = ONE_DAY_SECONDS;

export type AlarmKind = "waf" | "spike" | "drop";

/**
 * Series kinds that get their own shape: the WAF rules; ecommerce spikes and drops of the dense series (views, and
 * the stack's total revenue); and spikes and drops of the sparse series (revenue by platform or marketplace).
 */
export type SeriesKind = AlarmKind | "revenueSpike" | "sparseSpike" | "sparseDrop" | AovKind;
/** The AOV companions' kinds: dense (the stack's total revenue) and sparse (revenue by platform or marketplace). */
export type AovKind = "aovSpike" | "aovDrop" | "sparseAovSpike" | "sparseAovDrop";

/**
 * Default M of N (complete datapoints) per series kind, chosen with the simulation (README, "Detection latency";
 * the candidates and their figures are in docs/detection-simulation.md):
 * - waf 1 of 1: the noise floor (detection.minBlockedRequests), not M of N, quiets near-empty rules; a burst is
 *   often over within a minute.
 * - spike 2 of 2: one 1-minute datapoint outside a 3-σ band happens about once in 740 minutes per series on steady
 *   traffic (a few a day over 32 alarms); two in a row about once in 550,000.
 * - drop 2 of 3: the total revenue's drop to 20 % sits just under its 3-σ band at ≈ 30 checkouts a minute, so one
 *   noisy minute inside the band made 2 of 2 miss or wait (1 of 5 missed, up to 310 s); 2 of 3 tolerates it at
 *   the same bound and raised no alarm on 4 simulated steady days over 9 dense drop alarms.
 * - revenueSpike 3 of 3: the stack total's revenue band above; at 2 of 2 it raised 3 steady alarms in 21 simulated
 *   days (the order values' and the funnel's heavy upper tail), at 3 of 3 none; the order-value spikes it was slow on
 *   are its order-value companion's (2 of 2), and traffic spikes are the views alarms'.
 * - sparseSpike 3 of 3 and sparseDrop 1 of 1 at the sparse period (detection.sparsePeriodSeconds, 300 s) with
 *   SPARSE_EXTRA_BAND_WIDTH: a few checkouts a minute cannot be judged per minute (1-minute 3 of 3 took up to
 *   ~10 minutes or missed); see SPARSE_PERIOD_SECONDS. Spikes 3 of 3: at 2 of 3 the android series raised 3 steady
 *   alarms in 10 simulated days; order-value spikes are the companion's, which is faster.
 * - the revenue series' order-value companions (the mean log order value, aovAlarmTiming): aovSpike and aovDrop
 *   2 of 2 at 60 s (the total); sparseAovSpike and sparseAovDrop 1 of 1 at 120 s with the filling datapoint breaching
 *   too; widths in AOV_EXTRA_BAND_WIDTH, minimum checkouts in AOV_MIN_CHECKOUTS.
 * `detection.datapointsToAlarm` / `detection.evaluationPeriods`, when set, replace these for every kind.
 */
export const DEFAULT_DATAPOINTS: Readonly<Record<SeriesKind, { datapointsToAlarm: number; evaluationPeriods: number }>> = {
    waf: { datapointsToAlarm: 1, evaluationPeriods: 1 },
    spike: { datapointsToAlarm: 2, evaluationPeriods: 2 },
    revenueSpike: { datapointsToAlarm: 3, evaluationPeriods: 3 },
    drop: { datapointsToAlarm: 2, evaluationPeriods: 3 },
    sparseSpike: { datapointsToAlarm: 3, evaluationPeriods: 3 },
    sparseDrop: { datapointsToAlarm: 1, evaluationPeriods: 1 },
    // AOV companions (revenue per checkout, aovAlarmTiming): dense = the stack's total revenue, sparse = by dimension.
    aovSpike: { datapointsToAlarm: 2, evaluationPeriods: 2 },
    aovDrop: { datapointsToAlarm: 2, evaluationPeriods: 2 },
    sparseAovSpike: { datapointsToAlarm: 1, evaluationPeriods: 1 },
    sparseAovDrop: { datapointsToAlarm: 1, evaluationPeriods: 1 },
};

/**
 * Default period of the sparse series' alarms (revenue by platform or marketplace: 4–14 checkouts a minute at the
 * dev load of 20 events/s). At 60 s their value is a handful of skewed order values, too noisy for a band; at
 * 300 s it is 20–70 checkouts. Chosen with the simulation (docs/detection-simulation.md): 120 / 180 / 240 s raised
 * steady-day alarms or took longer at the same M of N; 300 s with 2 of 3 detected every injected spike.
 */
export const SPARSE_PERIOD_SECONDS = 300;
/**
 * The sparse series' band is this much wider than detection.bandWidth: a sum of a few dozen log-normal order
 * values has a heavier upper tail than the normal a band assumes (simulated: 0.35 % of 5-minute sums above 3 σ,
 * against 0.13 % for a normal), and at 3 σ one sparse spike alarm raised 2 alarms in 4 steady days; at 3.5 σ none.
 */
export const SPARSE_EXTRA_BAND_WIDTH = 0.5;

/** What the CloudWatch alarm timing reads (CloudWatchDetection's settings). */
export interface AlarmTimingSettings {
    readonly wafPeriodSeconds: number;
    readonly ecommercePeriodSeconds: number;
    /** Period of the sparse series' alarms (revenue by platform or marketplace). */
    readonly sparsePeriodSeconds: number;
    /** When set, replace every kind's default N / M. */
    readonly evaluationPeriods?: number;
    readonly datapointsToAlarm?: number;
}

/** The configured (or default) M of N of a series kind. */
export function configuredDatapoints(d: AlarmTimingSettings, kind: SeriesKind): { datapointsToAlarm: number; evaluationPeriods: number } {
    const dflt = DEFAULT_DATAPOINTS[kind];
    const n = d.evaluationPeriods ?? Math.max(dflt.evaluationPeriods, d.datapointsToAlarm ?? 0);
    const m = d.datapointsToAlarm ?? Math.min(dflt.datapointsToAlarm, n);
    return { datapointsToAlarm: m, evaluationPeriods: n };
}

/** How one family of alarms is shaped, for a period, an arrival lag and a configured M of N. */
export interface AlarmTiming {
    periodSeconds: number;
    /** Worst-case seconds after a second of traffic until its data is readable by the alarm. */
    dataLagSeconds: number;
    /**
     * Newest datapoints of the window whose data can still be arriving when the evaluation runs:
     * ceil(lag / period). The window is widened by this many so the configured M of N applies to complete ones.
     */
    fillingDatapoints: number;
    configuredEvaluationPeriods: number;
    configuredDatapointsToAlarm: number;
    /** N + filling: what the alarm is created with. */
    evaluationPeriods: number;
    /** Upper-band alarms (WAF, spikes): M — a partial datapoint undercounts, so it can only delay a spike. */
    datapointsToAlarmAbove: number;
    /** Lower-band alarms (drops): M + filling — a partial datapoint looks like a drop. */
    datapointsToAlarmBelow: number;
    windowSeconds: number;
    multiDay: boolean;
    evaluationIntervalSeconds: number;
    /**
     * Structural estimate (M + filling) × period (+ 1 h for multi-day windows), for series the simulation does
     * not replay (the Redshift source). The CloudWatch engine's own figure is the simulation's worst case.
     */
    latencySeconds: number;
    terms: LatencyTerm[];
}

export interface LatencyTerm {
    /** What the seconds are spent on. */
    name: string;
    seconds: number;
    /** Where the figure comes from (config key, documentation, simulation, or assumption). */
    basis: string;
}

export function alarmTiming(periodSeconds: number, dataLagSeconds: number, evaluationPeriods: number, datapointsToAlarm: number): AlarmTiming {
    if (!(periodSeconds > 0) || periodSeconds % 60 !== 0) throw new Error(`alarm period must be a positive multiple of 60 s, got ${periodSeconds}`);
    if (!(dataLagSeconds > 0)) throw new Error(`data lag must be positive, got ${dataLagSeconds}`);
    if (!(datapointsToAlarm >= 1 && datapointsToAlarm <= evaluationPeriods)) {
        throw new Error(`datapointsToAlarm (${datapointsToAlarm}) must be from 1 to evaluationPeriods (${evaluationPeriods})`);
    }
    const filling = Math.ceil(dataLagSeconds / periodSeconds);
    const n = evaluationPeriods + filling;
    const windowSeconds = n * periodSeconds;
    const multiDay = windowSeconds > ONE_DAY_SECONDS;
    const terms: LatencyTerm[] = [
        { name: `anomaly fills ${datapointsToAlarm} datapoint(s) of ${periodSeconds} s`, seconds: datapointsToAlarm * periodSeconds, basis: "datapointsToAlarm × alarm period" },
        { name: `${filling} newest datapoint(s) still filling (data lag ${dataLagSeconds} s)`, seconds: filling * periodSeconds, basis: "ceil(lag / period) × period" },
    ];
    if (multiDay) terms.push({ name: "hourly evaluation of a window longer than one day", seconds: MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS, basis: "CloudWatch User Guide, evaluating an alarm" });
    return {
        periodSeconds,
        dataLagSeconds,
        fillingDatapoints: filling,
        configuredEvaluationPeriods: evaluationPeriods,
        configuredDatapointsToAlarm: datapointsToAlarm,
        evaluationPeriods: n,
        datapointsToAlarmAbove: datapointsToAlarm,
        datapointsToAlarmBelow: datapointsToAlarm + filling,
        windowSeconds,
        multiDay,
        evaluationIntervalSeconds: multiDay ? MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS : ALARM_EVALUATION_INTERVAL_SECONDS,
        latencySeconds: terms.reduce((a, t) => a + t.seconds, 0),
        terms,
    };
}

/** Why an alarm window cannot be created, or undefined when PutMetricAlarm accepts it. */
export function alarmWindowProblem(t: AlarmTiming): string | undefined {
    const limit = t.periodSeconds < 3600 ? MAX_SHORT_PERIOD_ALARM_WINDOW_SECONDS : MAX_ALARM_WINDOW_SECONDS;
    if (t.windowSeconds > limit) {
        return `the alarm window would be ${t.evaluationPeriods} × ${t.periodSeconds} s = ${t.windowSeconds} s ` +
            `(${t.configuredEvaluationPeriods} configured + ${t.fillingDatapoints} still filling); CloudWatch allows at most ${limit} s ` +
            `for a ${t.periodSeconds < 3600 ? "period under one hour" : "period of an hour or more"}`;
    }
    return undefined;
}

/** Worst-case lag of the ecommerce EMF metrics (model/metricArrival.ts: Kinesis read, Lambda buffer, run, extraction). */
export function ecommerceMetricLagSeconds(): number {
    return emfMaxLagSeconds(emfArrivalParams(TRANSFORM_BUFFER_SECONDS));
}

/** The WAF alarms' timing for this config (planned for WAF_PUBLISH_DELAY_SECONDS.max). */
export function wafAlarmTiming(t: AlarmTimingSettings): AlarmTiming {
    const c = configuredDatapoints(t, "waf");
    return alarmTiming(t.wafPeriodSeconds, wafMaxLagSeconds(), c.evaluationPeriods, c.datapointsToAlarm);
}

/** Sparse series: revenue broken down by platform or marketplace (a few checkouts a minute per value). */
export function isSparseSeries(series: { measure: string; dimension?: string }): boolean {
    return series.measure === "revenue" && series.dimension !== undefined;
}

/** The series kind of a series' spike or drop alarm. */
export function seriesKindOf(series: { measure: string; dimension?: string }, direction: "spike" | "drop"): Exclude<SeriesKind, "waf" | AovKind> {
    if (!isSparseSeries(series)) return direction === "spike" && series.measure === "revenue" ? "revenueSpike" : direction;
    return direction === "spike" ? "sparseSpike" : "sparseDrop";
}

/** The alarm period of an ecommerce series (its spike and drop alarms, and its dashboard graph, share it). */
export function seriesPeriodSeconds(t: Pick<AlarmTimingSettings, "ecommercePeriodSeconds" | "sparsePeriodSeconds">, series: { measure: string; dimension?: string }): number {
    return isSparseSeries(series) ? t.sparsePeriodSeconds : t.ecommercePeriodSeconds;
}

/** The band width of an ecommerce series' alarms (and its dashboard graph). */
export function seriesBandWidth(bandWidth: number, series: { measure: string; dimension?: string }): number {
    return isSparseSeries(series) ? bandWidth + SPARSE_EXTRA_BAND_WIDTH : bandWidth;
}

/**
 * The order-value companion of a revenue series' alarms: what a pricing error or a broken order total changes.
 * Revenue per minute is mostly checkout-count noise (Var = λc·a²·(e^{σ²} − 1) for the order values plus
 * Var(K)·a² = 1.38·λc·a² for the funnel's counts: 76 % of it on dev), so a 20 % revenue drop of ≈ 30 checkouts a
 * minute sits just under a 3-σ band. The companion watches the mean of ln(1 + order value) over the period's
 * checkouts (OrderValueLog / Checkouts, the log of the geometric-mean order value): order values are roughly
 * log-normal, so a factor f on them moves it by ≈ ln f (−1.49 for ×0.2 at a = 41) while one order spreads it by
 * ≈ 0.58, without the large orders' tail. On Revenue / Checkouts (the arithmetic mean, used before) a drop to 20 %
 * was ≈ 1.2 one-order spreads and a sparse series' lower band edge sat below zero, so 25 of 56 simulated sparse
 * drops could not be seen at all, and spikes needed 4.5–5 σ. CloudWatch metric math drops a datapoint whose division
 * is by zero: "missing", counted as not breaching (AOV_MIN_CHECKOUTS uses that too).
 *
 * Widths (simulated steady days, docs/detection-simulation.md): 3.5 σ in both directions (3 σ: 1 drop alarm in
 * 8 days on the total, 2 in 10 days on UK).
 */
export const AOV_EXTRA_BAND_WIDTH: Readonly<Record<"spike" | "drop", Readonly<Record<"dense" | "sparse", number>>>> = {
    spike: { dense: 0.5, sparse: 0.5 },
    drop: { dense: 0.5, sparse: 0.5 },
};

/**
 * The order-value companions judge a period only when it holds at least this many checkouts (metric math
 * `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)`; fewer: no datapoint, not breaching). The mean log of one or two orders spreads far wider
 * than the band, which is trained on every period: at 2–3 checkouts a minute those periods raised most steady-day
 * alarms of the sparse series. Chosen with the simulation (docs/detection-simulation.md).
 */
export const AOV_MIN_CHECKOUTS: Readonly<Record<"dense" | "sparse", number>> = { dense: 5, sparse: 3 };

/**
 * The sparse series' order-value companions judge at least two minutes of orders (detection.ecommercePeriodSeconds
 * when that is longer): at 2.6–20 checkouts a minute a single minute too often holds too few (AOV_MIN_CHECKOUTS).
 */
export const AOV_SPARSE_MIN_PERIOD_SECONDS = 120;

/** The order-value companion's minimum checkouts per period (AOV_MIN_CHECKOUTS) for a series. */
export function aovMinCheckouts(series: { measure: string; dimension?: string }): number {
    return AOV_MIN_CHECKOUTS[isSparseSeries(series) ? "sparse" : "dense"];
}

/** The AOV companion's band width: detection.bandWidth plus AOV_EXTRA_BAND_WIDTH for its direction and series kind. */
export function aovBandWidth(bandWidth: number, series: { measure: string; dimension?: string }, direction: "spike" | "drop"): number {
    return bandWidth + AOV_EXTRA_BAND_WIDTH[direction][isSparseSeries(series) ? "sparse" : "dense"];
}

/**
 * The order-value companion's timing: period ecommercePeriodSeconds (dense) or at least AOV_SPARSE_MIN_PERIOD_SECONDS
 * (sparse), its own M of N; dense: M (not M + filling) for drops as well as spikes, since a ratio is not biased low by
 * a filling datapoint; sparse: M + filling both ways (below).
 */
export function aovAlarmTiming(t: AlarmTimingSettings, direction: "spike" | "drop", series: { measure: string; dimension?: string } = { measure: "revenue" }): AlarmTiming {
    const sparse = isSparseSeries(series);
    const c = configuredDatapoints(t, direction === "spike" ? (sparse ? "sparseAovSpike" : "aovSpike") : (sparse ? "sparseAovDrop" : "aovDrop"));
    const period = sparse ? Math.max(t.ecommercePeriodSeconds, AOV_SPARSE_MIN_PERIOD_SECONDS) : t.ecommercePeriodSeconds;
    const timing = alarmTiming(period, ecommerceMetricLagSeconds(), c.evaluationPeriods, c.datapointsToAlarm);
    // Sparse: the filling datapoint must breach too (M + filling both ways). A partial period holds a fraction of the
    // orders, so its mean log spreads wider than the band trained on whole periods: counted alone it raised 14–21
    // steady alarms in 4 days over 7 series; dense: M, as a ratio is not biased by a filling datapoint.
    return sparse ? { ...timing, datapointsToAlarmAbove: timing.datapointsToAlarmBelow } : { ...timing, datapointsToAlarmBelow: timing.datapointsToAlarmAbove };
}

/** The ecommerce alarms' timing for this config and kind (dense spike / drop at ecommercePeriodSeconds, sparse at sparsePeriodSeconds). */
export function ecommerceAlarmTiming(t: AlarmTimingSettings, kind: Exclude<SeriesKind, "waf" | AovKind> = "spike"): AlarmTiming {
    const c = configuredDatapoints(t, kind);
    const period = kind === "sparseSpike" || kind === "sparseDrop" ? t.sparsePeriodSeconds : t.ecommercePeriodSeconds;
    return alarmTiming(period, ecommerceMetricLagSeconds(), c.evaluationPeriods, c.datapointsToAlarm);
}

/**
 * The drop alarms' baseline gate reads the series' Sum over the trailing hour (a period of 3600 s: the window
 * of a CloudWatch alarm ends at its evaluation time, so this is the last 60 minutes, not the clock hour).
 */
export const DROP_BASELINE_WINDOW_SECONDS = 3600;

/**
 * The baseline gate's threshold: `detection.dropBaselineFloor` is the per-minute average below which a drop to 20 %
 * cannot leave a band at a 60 s period (README, "Noise floor"); what matters is the count per datapoint, so a
 * series alarmed at a longer period P needs 60/P of that per minute (the same count per datapoint). Over the
 * trailing hour: floor × 60 × 60 / P.
 */
export function dropBaselineThreshold(floorPerMinute: number, periodSeconds: number): number {
    return Math.round(floorPerMinute * (DROP_BASELINE_WINDOW_SECONDS / 60) * (60 / periodSeconds));
}
