// When a second of traffic becomes visible to a CloudWatch alarm, per metric source: the documented and the
// assumed lags, as named constants with their sources, and the arrival timelines the alarm replay
// (model/alarmReplay.ts) consumes. AWS publishes no ingestion SLA for CloudWatch metrics, WAF metrics or EMF
// extraction; every figure without a documentation source is marked ASSUMPTION and printed by `npm run simulate`.

// ---- AWS WAF BlockedRequests -----------------------------------------------------------------------------------

/** "AWS WAF reports metrics once a minute" (AWS WAF Developer Guide, "AWS WAF metrics and dimensions"). */
export const WAF_REPORT_INTERVAL_SECONDS = 60;
/**
 * ASSUMPTION. A minute's BlockedRequests datapoint is in CloudWatch, whole, within one reporting interval after
 * the minute ends (at most 60 s, at least 1 s). No ingestion figure is published.
 */
export const WAF_PUBLISH_DELAY_SECONDS = { min: 1, max: 60 } as const;
/**
 * Upper bounds of the WAF publish delay the simulator accepts (`npm run simulate -- --waf-publish-delay S`, e.g. the
 * figure `npm run measure-lag` measured on a real stack): whole seconds, at least the assumption's lower bound.
 */
export const WAF_PUBLISH_DELAY_RANGE_SECONDS = { min: WAF_PUBLISH_DELAY_SECONDS.min, max: 600 } as const;

/** Checks an upper bound of the WAF publish delay (throws naming the range). */
export function checkWafPublishDelayMax(seconds: number): number {
    const r = WAF_PUBLISH_DELAY_RANGE_SECONDS;
    if (!(Number.isInteger(seconds) && seconds >= r.min && seconds <= r.max)) {
        throw new Error(`WAF publish delay bound must be a whole number of seconds from ${r.min} to ${r.max}, got ${seconds}`);
    }
    return seconds;
}

// ---- ecommerce EMF metrics ---------------------------------------------------------------------------------------
// event → Kinesis → Firehose reads it → Firehose's Lambda buffer → the transform writes EMF lines to its log →
// CloudWatch Logs extracts the metrics.

/**
 * ASSUMPTION. Firehose reads a record from its Kinesis source within 5 s of the PutRecords call. The Firehose
 * documentation gives no polling figure for Kinesis sources.
 */
export const KINESIS_TO_FIREHOSE_SECONDS = { min: 0, max: 5 } as const;
/**
 * Firehose's Lambda processor buffer: "The Lambda buffering interval hint ranges between 0 and 900 seconds. The
 * default Lambda buffering interval hint is sixty seconds" (Amazon Data Firehose Developer Guide, "Transform
 * source data"). The pipeline sets it explicitly (components/ecommercePipeline.ts, TRANSFORM_BUFFER_SECONDS);
 * a record waits at most this long for the transform. It is a hint: Firehose may invoke earlier (size) — never
 * assumed later here.
 */
export const FIREHOSE_LAMBDA_BUFFER_RANGE_SECONDS = { min: 0, max: 900 } as const;
/** ASSUMPTION. One transform invocation (a small batch, cold start included) returns within 5 s. */
export const TRANSFORM_RUN_SECONDS = { min: 0, max: 5 } as const;
/**
 * ASSUMPTION. From the transform writing an EMF line to the metric datapoint being readable by an alarm: Lambda
 * ships the function's log lines to CloudWatch Logs as they are written, and CloudWatch extracts EMF metrics
 * "asynchronously" (CloudWatch User Guide, "Embedding metrics within logs"); no figure is published. The EMF
 * alarm guidance ("Setting alarms on metrics created with the embedded metric format") asks for log flushes
 * every 5 s or less so alarms do not see partial data, i.e. it treats extraction itself as seconds. We assume at
 * most 30 s; `npm run simulate -- --log-to-metric 60` shows what 60 s would cost.
 */
export const LOG_TO_METRIC_SECONDS = { min: 2, max: 30 } as const;

export interface EmfArrivalParams {
    kinesisMax: number;
    /** Firehose Lambda buffer interval hint B (0 = no buffering: every read is passed on at once). */
    bufferSeconds: number;
    runMax: number;
    logToMetricMin: number;
    logToMetricMax: number;
}

export function emfArrivalParams(bufferSeconds: number, logToMetricMax: number = LOG_TO_METRIC_SECONDS.max): EmfArrivalParams {
    if (!(Number.isInteger(bufferSeconds) && bufferSeconds >= FIREHOSE_LAMBDA_BUFFER_RANGE_SECONDS.min && bufferSeconds <= FIREHOSE_LAMBDA_BUFFER_RANGE_SECONDS.max)) {
        throw new Error(`Firehose Lambda buffer must be a whole number of seconds from 0 to 900, got ${bufferSeconds}`);
    }
    if (!(logToMetricMax >= LOG_TO_METRIC_SECONDS.min)) throw new Error(`log-to-metric bound must be ≥ ${LOG_TO_METRIC_SECONDS.min} s, got ${logToMetricMax}`);
    return {
        kinesisMax: KINESIS_TO_FIREHOSE_SECONDS.max,
        bufferSeconds,
        runMax: TRANSFORM_RUN_SECONDS.max,
        logToMetricMin: LOG_TO_METRIC_SECONDS.min,
        logToMetricMax,
    };
}

/** Worst-case seconds from an event to its EMF datapoint being readable (every stage at its bound). */
export function emfMaxLagSeconds(p: EmfArrivalParams): number {
    return p.kinesisMax + p.bufferSeconds + p.runMax + p.logToMetricMax;
}

/**
 * Worst-case seconds from the end of a WAF minute to its datapoint being readable: the publish delay's upper bound
 * (default the assumption's, WAF_PUBLISH_DELAY_SECONDS.max).
 */
export function wafMaxLagSeconds(publishDelayMax: number = WAF_PUBLISH_DELAY_SECONDS.max): number {
    return checkWafPublishDelayMax(publishDelayMax);
}

/** How each stage's delay is drawn: at its upper bound (worst), lower bound (best), or uniformly at random. */
export type Draw = { mode: "worst" } | { mode: "best" } | { mode: "random"; rng: () => number };

function pick(draw: Draw, min: number, max: number): number {
    if (draw.mode === "worst") return max;
    if (draw.mode === "best") return min;
    return min + (max - min) * draw.rng();
}

/**
 * EMF arrival timeline of `length` seconds: each second's events are read by Firehose, wait for the next
 * buffer flush (flushes every B s from `flushPhase`), are transformed, and their metric becomes readable
 * log-to-metric later (one draw per flush: a batch's lines are extracted together).
 */
export function emfVisibleAt(length: number, p: EmfArrivalParams, draw: Draw, flushPhase = 0): Float64Array {
    const out = new Float64Array(length);
    const B = p.bufferSeconds;
    // One delay draw per flush, indexed by the flush's number on the grid.
    const delays = new Float64Array(Math.ceil((length + p.kinesisMax + 2) / Math.max(1, B)) + 2).fill(NaN);
    for (let s = 0; s < length; s++) {
        const read = s + pick(draw, 0, p.kinesisMax);
        const j = B === 0 ? Math.ceil(read) : Math.max(0, Math.ceil((read - flushPhase) / B));
        const flush = B === 0 ? j : flushPhase + j * B;
        let d = delays[j];
        if (Number.isNaN(d)) {
            d = pick(draw, 0, p.runMax) + pick(draw, p.logToMetricMin, p.logToMetricMax);
            delays[j] = d;
        }
        // A second's events span [s, s+1): count them as of the second's end.
        out[s] = Math.max(flush, s + 1) + d;
    }
    return out;
}

/**
 * WAF arrival timeline: each minute's count is readable, whole, its publish delay after the minute ends (drawn from
 * WAF_PUBLISH_DELAY_SECONDS.min to `publishDelayMax`, default the assumption's upper bound).
 */
export function wafVisibleAt(length: number, draw: Draw, publishDelayMax: number = WAF_PUBLISH_DELAY_SECONDS.max): Float64Array {
    const max = checkWafPublishDelayMax(publishDelayMax);
    const out = new Float64Array(length);
    for (let minute = 0; minute * 60 < length; minute++) {
        const at = (minute + 1) * 60 + pick(draw, WAF_PUBLISH_DELAY_SECONDS.min, max);
        for (let s = minute * 60; s < Math.min(length, (minute + 1) * 60); s++) out[s] = at;
    }
    return out;
}
