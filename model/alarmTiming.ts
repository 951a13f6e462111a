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

/** Series kinds that get their own M of N: the WAF rules, ecommerce spikes and drops, and sparse spikes. */
export type SeriesKind = AlarmKind | "sparseSpike";

/**
 * Default M of N (complete datapoints) per series kind, chosen with `npm run simulate -- --stack dev` (README,
 * "Detection latency"; the numbers behind each choice are in docs/detection-simulation.md):
 * - waf 1 of 1: the noise floor (detection.minBlockedRequests), not M of N, quiets near-empty rules; a burst is
 *   often over within a minute.
 * - spike / drop 2 of 2: one 1-minute datapoint outside a 3-σ band happens about once in 740 minutes per series
 *   on steady traffic (a few a day over 32 alarms); two in a row about once in 550,000.
 * - sparseSpike 3 of 3 (revenue by platform or marketplace: a few checkouts a minute): order values are skewed,
 *   so two high minutes in a row are common on steady traffic; 3 of 3 is the fewest that raised no alarm on two
 *   simulated steady days, at the price of slower and less certain detection (see the README).
 * `detection.datapointsToAlarm` / `detection.evaluationPeriods`, when set, replace these for every kind.
 */
export const DEFAULT_DATAPOINTS: Readonly<Record<SeriesKind, { datapointsToAlarm: number; evaluationPeriods: number }>> = {
    waf: { datapointsToAlarm: 1, evaluationPeriods: 1 },
    spike: { datapointsToAlarm: 2, evaluationPeriods: 2 },
    drop: { datapointsToAlarm: 2, evaluationPeriods: 2 },
    sparseSpike: { datapointsToAlarm: 3, evaluationPeriods: 3 },
};

/** What the CloudWatch alarm timing reads (CloudWatchDetection's settings). */
export interface AlarmTimingSettings {
    readonly wafPeriodSeconds: number;
    readonly ecommercePeriodSeconds: number;
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

/** The WAF alarms' timing for this config. */
export function wafAlarmTiming(t: AlarmTimingSettings): AlarmTiming {
    const c = configuredDatapoints(t, "waf");
    return alarmTiming(t.wafPeriodSeconds, wafMaxLagSeconds(), c.evaluationPeriods, c.datapointsToAlarm);
}

/** The ecommerce alarms' timing for this config and kind (spike, drop, or spike of a sparse series). */
export function ecommerceAlarmTiming(t: AlarmTimingSettings, kind: "spike" | "drop" | "sparseSpike" = "spike"): AlarmTiming {
    const c = configuredDatapoints(t, kind);
    return alarmTiming(t.ecommercePeriodSeconds, ecommerceMetricLagSeconds(), c.evaluationPeriods, c.datapointsToAlarm);
}

/** Sparse series: revenue broken down by platform or marketplace (a few checkouts a minute per value). */
export function isSparseSeries(series: { measure: string; dimension?: string }): boolean {
    return series.measure === "revenue" && series.dimension !== undefined;
}

/**
 * The drop alarms' baseline gate reads the series' Sum over the trailing hour (a period of 3600 s: the window
 * of a CloudWatch alarm ends at its evaluation time, so this is the last 60 minutes, not the clock hour).
 */
export const DROP_BASELINE_WINDOW_SECONDS = 3600;
