// The cost of each detection choice beside its latency, from the plan's dated price table (scripts/lib/prices.ts):
// the alarm shapes (band alarms, noise-floor children, composites), the EMF custom metrics, and the Firehose
// Lambda buffer (transform invocations, their duration, the EMF log lines they write). "Before" is the shape this
// project shipped before the simulation: one plain band alarm per series, 300 s periods, a 60 s Lambda buffer.
import { CloudWatchDetectionArgs, cloudWatchDetectionSettings, allEcommerceSeries, planCloudWatchAlarms } from "../../components/cloudwatchDetection";
import { EMF_METRICS, malformedEmfLine } from "../../handlers/ecommerceTransform";
import { EMF_SAMPLE_TIMESTAMP_MS, emfMinuteBytes } from "./cost";
import { MEASURES } from "../../model/ecommerceSchema";
import { SimStack, defaultSimOptions, simAlarms, simStackOf, simWarmupSeconds, worstCase } from "../../model/detectionSim";
import { emfArrivalParams, emfMaxLagSeconds } from "../../model/metricArrival";
import { SECONDS_PER_MONTH, alarmMonthlyUsd, compositeAlarmMonthlyUsd, priceOf } from "./prices";
import { wafSeries } from "../../model/wafTargets";

/**
 * ASSUMPTION. Billed duration of one transform invocation on a small batch (10–60 s of dev traffic, a few hundred
 * records): the benchmark (`npm run bench`) transforms MBs per second, so the batch itself takes milliseconds;
 * Lambda's invoke overhead dominates. 50 ms at the function's 512 MB.
 */
export const TRANSFORM_BILLED_SECONDS = 0.05;
export const TRANSFORM_MEMORY_GB = 0.5;

export interface AlarmCost {
    bandAlarms: number;
    gateAlarms: number;
    composites: number;
    usd: number;
}

/** Monthly price of the alarms these args plan (each band alarm reads one metric: 3 alarm metrics with its band). */
export function alarmCost(args: CloudWatchDetectionArgs): AlarmCost {
    const specs = planCloudWatchAlarms(args);
    const gates = specs.filter((s) => s.gate).length;
    // An order-value companion reads two metrics (OrderValueLog, Checkouts): 2 alarm metrics + its band.
    const companions = specs.filter((s) => s.companion).length;
    const composites = specs.filter((s) => s.gate || s.companion).length;
    const usd = specs.length * alarmMonthlyUsd({ metrics: 1, anomalyBand: true }) + companions * alarmMonthlyUsd({ metrics: 2, anomalyBand: true }) +
        gates * alarmMonthlyUsd({ metrics: 1 }) + composites * compositeAlarmMonthlyUsd();
    return { bandAlarms: specs.length + companions, gateAlarms: gates, composites, usd };
}

/**
 * The EMF custom metrics the transform publishes for these series: each metric of a line (handlers/ecommerceTransform.ts
 * EMF_METRICS: the four measures and OrderValueLog) × each dimension-set value (the total, each watched value and
 * `_other` of each dimension), plus MalformedRecords.
 */
export function emfMetricCount(args: CloudWatchDetectionArgs, metricsPerLine: number = EMF_METRICS.length): number {
    const s = cloudWatchDetectionSettings(args).series;
    const sets = 1 + s.dimensions.reduce((n, d) => n + (d === "platform" ? s.platforms.length : s.marketplaces.length) + 1, 0);
    return sets * metricsPerLine + 1;
}

/** Metrics per EMF line before the order-value children (the four measures, without OrderValueLog). */
export const EMF_METRICS_PER_LINE_BEFORE = MEASURES.length;

export interface BufferCost {
    bufferSeconds: number;
    invocationsPerMonth: number;
    emfLogGbPerMonth: number;
    usd: number;
}

/**
 * Monthly cost of a Firehose Lambda buffer hint: one invocation per buffer (one a second at 0, when Firehose
 * passes each read on), its billed duration, and the EMF lines each writes (one per minute it covers × dimension
 * set value, plus the malformed-count line), measured with the transform's own emfLine (scripts/lib/cost.ts emfMinuteBytes).
 */
export function bufferCost(args: CloudWatchDetectionArgs, bufferSeconds: number): BufferCost {
    const s = cloudWatchDetectionSettings(args).series;
    const minuteBytes = emfMinuteBytes([
        { stack: s.stackDimension },
        ...s.dimensions.flatMap((d) => [...(d === "platform" ? s.platforms : s.marketplaces), "_other"].map((value) => ({ stack: s.stackDimension, dimension: d, value }))),
    ]);
    const invocations = SECONDS_PER_MONTH / Math.max(1, bufferSeconds);
    // An invocation covers ceil(B / 60) minutes, one more when it straddles a minute boundary (on average B/60).
    const minutesPerInvocation = 1 + Math.max(1, bufferSeconds) / 60;
    const bytes = invocations * (minutesPerInvocation * minuteBytes + Buffer.byteLength(malformedEmfLine(EMF_SAMPLE_TIMESTAMP_MS, s.stackDimension, 0)) + 1);
    const gb = bytes / 1e9;
    const usd = priceOf("lambdaRequests", invocations) + priceOf("lambdaGbSecond", invocations * TRANSFORM_BILLED_SECONDS * TRANSFORM_MEMORY_GB) + priceOf("logsIngestion", gb);
    return { bufferSeconds, invocationsPerMonth: Math.round(invocations), emfLogGbPerMonth: gb, usd };
}

export interface BufferChoice extends BufferCost {
    lagSeconds: number;
    /** Noise-free worst case of the stack-total spike and drop alarms, were the pipeline built with this buffer. */
    spikeSeconds?: number;
    dropSeconds?: number;
}

/** Latency and cost side by side for a few Firehose Lambda buffer hints (the alarm windows follow the lag). */
export function bufferChoices(args: CloudWatchDetectionArgs, buffers: readonly number[] = [0, 10, 30, 60]): BufferChoice[] {
    const stack: SimStack = simStackOf(args);
    const totals = simAlarms(args).filter((a) => a.kind !== "waf" && a.series?.dimension === undefined && a.series?.measure === "views");
    const base = emfMaxLagSeconds(emfArrivalParams(defaultSimOptions().bufferSeconds));
    return buffers.map((b) => {
        const lag = emfMaxLagSeconds(emfArrivalParams(b));
        const o = { ...defaultSimOptions(), bufferSeconds: b };
        const out: BufferChoice = { ...bufferCost(args, b), lagSeconds: lag };
        for (const a of totals) {
            // The shape this buffer would give: as many filling datapoints as its lag needs.
            const p = a.shape.periodSeconds;
            const extra = Math.ceil(lag / p) - Math.ceil(base / p);
            const shape = { ...a.shape, evaluationPeriods: a.shape.evaluationPeriods + extra, datapointsToAlarm: a.shape.datapointsToAlarm + (a.kind === "drop" ? extra : 0) };
            const w = worstCase(stack, { ...a, shape }, o, simWarmupSeconds([{ ...a, shape }])).worstSeconds;
            if (a.kind === "spike") out.spikeSeconds = w;
            else out.dropSeconds = w;
        }
        return out;
    });
}

/**
 * Before (plain band alarms at 300 s, 60 s buffer, the four measures per EMF line) and after (these args: the lines
 * also carry OrderValueLog) for the alarms and metrics. The buffer's log lines are measured as emitted now.
 */
export function costBeforeAfter(args: CloudWatchDetectionArgs): { before: { alarmsUsd: number; metricsUsd: number; bufferUsd: number }; after: { alarmsUsd: number; metricsUsd: number; bufferUsd: number } } {
    const series = allEcommerceSeries(cloudWatchDetectionSettings(args).series).length;
    const rules = wafSeries(args.webAcls, cloudWatchDetectionSettings(args).region).length;
    return {
        before: { alarmsUsd: (rules + 2 * series) * alarmMonthlyUsd({ metrics: 1, anomalyBand: true }), metricsUsd: priceOf("customMetric", emfMetricCount(args, EMF_METRICS_PER_LINE_BEFORE)), bufferUsd: bufferCost(args, 60).usd },
        after: { alarmsUsd: alarmCost(args).usd, metricsUsd: priceOf("customMetric", emfMetricCount(args)), bufferUsd: bufferCost(args, defaultSimOptions().bufferSeconds).usd },
    };
}
