// Worst-case detection latency: the time from the start of an anomalous datapoint (its timestamp, i.e. the
// start of the period or interval in which the anomalous traffic begins, assuming the anomaly lasts as long as
// the detector needs to see it) until the alert is raised (the CloudWatch alarm enters ALARM and runs its SNS
// action; the Lookout for Metrics detector sends its alert). It is derived from the stack configuration only,
// so it is pure: no Pulumi, no AWS calls.
//
// Every figure below is either documented by AWS (source named) or a stated assumption (marked ASSUMPTION):
// AWS publishes no ingestion or processing SLA for CloudWatch metrics, EMF extraction or Lookout for Metrics.
// Not counted (seconds each, no published bound): SNS delivery, the finding Lambda, Kinesis-to-Firehose polling.
//
// The same timing model decides the CloudWatch alarms' shape (components/cloudwatchDetection.ts), so the
// alarms and the latency figure cannot disagree.
import type { DetectionConfig, Engine, PipelineConfig } from "../config";
import { TRANSFORM_BUFFER_SECONDS } from "./ecommerceSchema";

/**
 * The settings the timing model reads: a subset of the stack config (an AppConfig is one), which the detection
 * components build from their own args.
 */
export interface TimingSettings {
    readonly detection: Pick<DetectionConfig, "engine" | "frequency" | "intervalSeconds" | "wafPeriodSeconds" | "evaluationPeriods" | "datapointsToAlarm" | "offsetSeconds">;
    readonly pipeline: Pick<PipelineConfig, "bufferingIntervalSeconds">;
}

// ---- documented figures --------------------------------------------------------------------------------------

/**
 * CloudWatch User Guide, "Evaluating an alarm": "For any period of one minute or longer, an alarm is evaluated
 * every minute and the evaluation is based on the window of time defined by the Period and Evaluation Periods"
 * (the window ends at the evaluation time and slides by one minute).
 */
export const ALARM_EVALUATION_INTERVAL_SECONDS = 60;
/**
 * Same page: "If the number of evaluation periods multiplied by the length of each evaluation period exceeds
 * one day, the alarm is evaluated once per hour", taking into account only data up to the current hour's :00.
 */
export const MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS = 3600;
export const ONE_DAY_SECONDS = 86_400;
/**
 * PutMetricAlarm API reference (Period): "Period multiplied by EvaluationPeriods can't be more than 604,800
 * seconds. For alarms with a period of less than one hour (3,600 seconds), the total evaluation period can't be
 * longer than one day (86,400 seconds)."
 */
export const MAX_ALARM_WINDOW_SECONDS = 604_800;
export const MAX_SHORT_PERIOD_ALARM_WINDOW_SECONDS = ONE_DAY_SECONDS;
/**
 * Amazon Data Firehose developer guide, "Transform source data": "The default Lambda buffering interval hint is
 * sixty seconds" (range 0–900). The pipeline sets it explicitly to this value, so a record waits at most this long
 * before the transform (which writes the EMF metrics) sees it.
 */
export const FIREHOSE_LAMBDA_BUFFER_SECONDS = TRANSFORM_BUFFER_SECONDS;
/**
 * Firehose developer guide, "Buffer data for dynamic partitioning": "end-to-end delay of a batch of records
 * might be 1.5 times of the configured buffering hint time".
 */
export const DYNAMIC_PARTITIONING_DELAY_FACTOR = 1.5;
/**
 * Lookout for Metrics: the WAF metric set (CloudWatch source, AWS/WAFV2) runs at PT5M, as the design card
 * specifies. Lookout supports no Offset for CloudWatch sources (API reference, MetricSet Offset: "only supported
 * for S3, Redshift, Athena and datasources").
 */
export const LOOKOUT_WAF_INTERVAL_SECONDS = 300;

// ---- assumptions ---------------------------------------------------------------------------------------------

/**
 * ASSUMPTION. "AWS WAF reports metrics once a minute" (WAF developer guide, "AWS WAF metrics and
 * dimensions"); we assume a minute's BlockedRequests datapoint is in CloudWatch within one reporting interval
 * after that minute ends. No ingestion SLA is published.
 */
export const WAF_METRIC_LAG_SECONDS = 60;
/**
 * ASSUMPTION. Embedded Metric Format log lines become metric datapoints "asynchronously" (CloudWatch User Guide,
 * "Embedding metrics within logs"); no figure is published. We assume at most one minute.
 */
export const EMF_EXTRACTION_SECONDS = 60;
/**
 * ASSUMPTION. Lookout for Metrics publishes no figure for how long a detector run takes from the end of an
 * interval (plus offset) to its alert. We assume it finishes within 5 minutes: the shortest detector interval,
 * so a PT5M detector keeps up with itself.
 */
export const LOOKOUT_PROCESSING_SECONDS = 300;

// ---- CloudWatch alarm timing -----------------------------------------------------------------------------------

/** How one family of CloudWatch alarms is shaped and how long it takes, for a period and an ingestion lag. */
export interface AlarmTiming {
    /** Alarm period (the metric query's period). */
    periodSeconds: number;
    /** Worst-case time after a period ends until all of its data is in CloudWatch. */
    dataLagSeconds: number;
    /**
     * Newest datapoints of the alarm window whose data is still arriving at evaluation time: ceil(lag / period).
     * Because the window ends at the evaluation time, these are always partial (or, when the lag covers a whole
     * period, zero after FILL). The alarm window is widened by this many datapoints so that the configured
     * M-of-N applies to complete datapoints.
     */
    fillingDatapoints: number;
    /** Configured N and M (`detection.evaluationPeriods`, `detection.datapointsToAlarm`). */
    configuredEvaluationPeriods: number;
    configuredDatapointsToAlarm: number;
    /** N + filling: what the alarm is created with. */
    evaluationPeriods: number;
    /**
     * Upper-band alarms (WAF, ecommerce spikes): M. A partial datapoint undercounts, so it can only delay a
     * breach above the band, never fake one.
     */
    datapointsToAlarmAbove: number;
    /**
     * Lower-band alarms (ecommerce drops): M + filling. A partial datapoint looks like a drop, so the alarm needs
     * M breaching complete datapoints besides the filling ones (which also breach while a real drop lasts).
     */
    datapointsToAlarmBelow: number;
    /** Period × evaluation periods. */
    windowSeconds: number;
    /** Window longer than a day: CloudWatch evaluates the alarm hourly. */
    multiDay: boolean;
    evaluationIntervalSeconds: number;
    /** Worst case from the anomalous datapoint's start to ALARM, either direction. */
    latencySeconds: number;
    terms: LatencyTerm[];
}

export interface LatencyTerm {
    /** What the seconds are spent on. */
    name: string;
    seconds: number;
    /** Where the figure comes from (config key, documentation, or assumption). */
    basis: string;
}

/**
 * The timing of alarms with period P, ingestion lag L and configured M of N.
 *
 * The alarm window slides with the evaluation time t: its datapoints are [t-(i+1)P, t-iP). A datapoint is
 * complete once t ≥ its end + L, so the newest c = ceil(L/P) datapoints are always incomplete. A sustained anomaly
 * starting at T makes datapoints c..c+M-1 complete and anomalous at t = T + (M + c)·P, which lies on the
 * one-minute evaluation grid (P is a multiple of 60, T a minute boundary). Windows over a day are evaluated
 * hourly on data up to :00, which adds up to an hour.
 */
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
        {
            name: `anomaly fills ${datapointsToAlarm} datapoint(s) of ${periodSeconds} s`,
            seconds: datapointsToAlarm * periodSeconds,
            basis: "detection.datapointsToAlarm × alarm period",
        },
        {
            name: `${filling} newest datapoint(s) still filling (data lag ${dataLagSeconds} s)`,
            seconds: filling * periodSeconds,
            basis: "ceil(lag / period) × period; CloudWatch evaluates every minute on a window ending now",
        },
    ];
    if (multiDay) {
        terms.push({
            name: "hourly evaluation of a window longer than one day",
            seconds: MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS,
            basis: "CloudWatch User Guide, evaluating an alarm (multi-day alarms)",
        });
    }
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
        latencySeconds: sum(terms),
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

/** Lag of the WAF BlockedRequests metric. */
export function wafMetricLagSeconds(): number {
    return WAF_METRIC_LAG_SECONDS;
}

/**
 * The pipeline transform stamps each EMF datapoint with the start of its detector interval
 * (handlers/ecommerceTransform.ts, `emfLine(start, ...)`), so an event in the interval's last minute is stored
 * up to `interval − 60 s` before it happened. An alarm window slides minute by minute, so for it that is lag:
 * the interval-start bucket of the newest windows keeps filling until the interval has ended and its data is in.
 * (Stamping at the event's minute would make this 0 and save one period of latency.)
 */
export function emfTimestampSkewSeconds(config: TimingSettings): number {
    return config.detection.intervalSeconds - 60;
}

/** Lag of the ecommerce EMF metrics: interval-start stamping, Firehose's Lambda buffer, log-to-metric extraction. */
export function ecommerceMetricLagSeconds(config: TimingSettings): number {
    return emfTimestampSkewSeconds(config) + FIREHOSE_LAMBDA_BUFFER_SECONDS + EMF_EXTRACTION_SECONDS;
}

/** Worst case from a record entering Firehose to its row being in S3 (Lambda buffer, then the S3 buffer). */
export function firehoseS3DeliverySeconds(config: Pick<TimingSettings, "pipeline">): number {
    return FIREHOSE_LAMBDA_BUFFER_SECONDS + Math.ceil(DYNAMIC_PARTITIONING_DELAY_FACTOR * config.pipeline.bufferingIntervalSeconds);
}

/** The WAF alarms' timing for this config (cloudwatch engine). */
export function wafAlarmTiming(config: TimingSettings): AlarmTiming {
    const d = config.detection;
    return alarmTiming(d.wafPeriodSeconds, wafMetricLagSeconds(), d.evaluationPeriods, d.datapointsToAlarm);
}

/** The ecommerce alarms' timing for this config (cloudwatch engine). */
export function ecommerceAlarmTiming(config: TimingSettings): AlarmTiming {
    const d = config.detection;
    return alarmTiming(d.intervalSeconds, ecommerceMetricLagSeconds(config), d.evaluationPeriods, d.datapointsToAlarm);
}

// ---- the breakdown -------------------------------------------------------------------------------------------

export interface LatencyBreakdown {
    engine: Engine;
    /** WAF BlockedRequests path. */
    wafSeconds: number;
    /** Ecommerce views/revenue path. */
    ecommerceSeconds: number;
    /** max(waf, ecommerce): the stack output `detectionLatencySeconds`. */
    worstSeconds: number;
    /** Each path's terms; they add up to the path's seconds. */
    terms: { waf: LatencyTerm[]; ecommerce: LatencyTerm[] };
    /** Configurations that make detection incomplete rather than slow (empty when none). */
    warnings: string[];
}

/** Worst-case seconds from an anomalous datapoint to an alert, per path, for this stack's config and engine. */
export function detectionLatency(config: TimingSettings): LatencyBreakdown {
    const engine = config.detection.engine;
    const warnings: string[] = [];
    let waf: LatencyTerm[];
    let ecommerce: LatencyTerm[];
    if (engine === "cloudwatch") {
        waf = wafAlarmTiming(config).terms;
        ecommerce = ecommerceAlarmTiming(config).terms;
    } else {
        waf = [
            { name: "detector interval (WAF metric set, PT5M)", seconds: LOOKOUT_WAF_INTERVAL_SECONDS, basis: "design card: AWS/WAFV2 metric set at PT5M" },
            { name: "detector run to alert", seconds: LOOKOUT_PROCESSING_SECONDS, basis: "ASSUMPTION: no published figure" },
        ];
        const interval = config.detection.intervalSeconds;
        const offset = config.detection.offsetSeconds;
        ecommerce = [
            { name: `detector interval (${config.detection.frequency})`, seconds: interval, basis: "detection.frequency" },
            { name: "offset: wait for late rows", seconds: offset, basis: "detection.offsetSeconds" },
            { name: "detector run to alert", seconds: LOOKOUT_PROCESSING_SECONDS, basis: "ASSUMPTION: no published figure" },
        ];
        const delivery = firehoseS3DeliverySeconds(config);
        if (offset < delivery) {
            warnings.push(
                `detection.offsetSeconds (${offset} s) is shorter than the worst-case Firehose delivery to S3 ` +
                `(${FIREHOSE_LAMBDA_BUFFER_SECONDS} s Lambda buffer + ${DYNAMIC_PARTITIONING_DELAY_FACTOR} × pipeline.bufferingIntervalSeconds ` +
                `${config.pipeline.bufferingIntervalSeconds} s = ${delivery} s): rows that land after the detector has read their interval are never analysed`,
            );
        }
    }
    const wafSeconds = sum(waf);
    const ecommerceSeconds = sum(ecommerce);
    return {
        engine,
        wafSeconds,
        ecommerceSeconds,
        worstSeconds: Math.max(wafSeconds, ecommerceSeconds),
        terms: { waf, ecommerce },
        warnings,
    };
}

function sum(terms: LatencyTerm[]): number {
    return terms.reduce((acc, t) => acc + t.seconds, 0);
}
