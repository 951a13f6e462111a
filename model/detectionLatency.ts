// Worst-case detection latency: the time from an anomaly's first second until the alert is raised (the CloudWatch
// alarm, or its composite, enters ALARM and runs its SNS action; the Lookout for Metrics detector sends its
// alert). Pure: no Pulumi, no AWS calls.
//
// cloudwatch engine: not a formula. It is the detection simulation's noise-free worst case (model/detectionSim.ts
// worstCase, the figure `npm run simulate` reports as "bound") over the alarms CloudWatchDetection plans from the
// same args, so the alarms, the simulator and this output cannot disagree. lookout engine: interval + offset +
// processing, below.
//
// Every figure is either documented by AWS (source named) or a stated assumption (marked ASSUMPTION): AWS
// publishes no ingestion or processing SLA for CloudWatch metrics, EMF extraction or Lookout for Metrics. Not
// counted (seconds each, no published bound): SNS delivery and the finding Lambda.
import type { DetectionConfig, Engine, PipelineConfig } from "../config";
import type { CloudWatchDetectionArgs } from "../components/cloudwatchDetection";
import { TRANSFORM_BUFFER_SECONDS } from "./ecommerceSchema";
import { LatencyTerm } from "./alarmTiming";
import { SimAlarm, SimStack, defaultSimOptions, simAlarms, simStackOf, simWarmupSeconds, worstCase } from "./detectionSim";

export {
    ALARM_EVALUATION_INTERVAL_SECONDS, AlarmTiming, LatencyTerm, MAX_ALARM_WINDOW_SECONDS, MAX_SHORT_PERIOD_ALARM_WINDOW_SECONDS,
    MULTI_DAY_ALARM_EVALUATION_INTERVAL_SECONDS, ONE_DAY_SECONDS, alarmTiming, alarmWindowProblem, ecommerceAlarmTiming, wafAlarmTiming,
} from "./alarmTiming";

/**
 * The settings the Lookout timing model reads: a subset of the stack config (an AppConfig is one).
 */
export interface TimingSettings {
    readonly detection: Pick<DetectionConfig, "engine" | "frequency" | "intervalSeconds" | "offsetSeconds">;
    readonly pipeline: Pick<PipelineConfig, "bufferingIntervalSeconds">;
}

// ---- documented figures --------------------------------------------------------------------------------------

/**
 * Amazon Data Firehose developer guide, "Transform source data": "The Lambda buffering interval hint ranges
 * between 0 and 900 seconds". The pipeline sets it explicitly to this value (model/ecommerceSchema.ts), so a
 * record waits at most this long before the transform sees it.
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
 * ASSUMPTION. Lookout for Metrics publishes no figure for how long a detector run takes from the end of an
 * interval (plus offset) to its alert. We assume it finishes within 5 minutes: the shortest detector interval,
 * so a PT5M detector keeps up with itself.
 */
export const LOOKOUT_PROCESSING_SECONDS = 300;

/** Worst case from a record entering Firehose to its row being in S3 (Lambda buffer, then the S3 buffer). */
export function firehoseS3DeliverySeconds(config: Pick<TimingSettings, "pipeline">): number {
    return FIREHOSE_LAMBDA_BUFFER_SECONDS + Math.ceil(DYNAMIC_PARTITIONING_DELAY_FACTOR * config.pipeline.bufferingIntervalSeconds);
}

// ---- CloudWatch engine: the simulation's worst case ------------------------------------------------------------

type CloudWatchTerms = { waf: LatencyTerm[]; ecommerce: LatencyTerm[]; warnings: string[] };
const worstCaseCache = new Map<string, CloudWatchTerms>();
/**
 * One alarm's noise-free worst case, by everything it depends on (its kind, shape and companion; a WAF alarm's
 * background rate; an ecommerce alarm's series and the stack's series lists; not its name): a pure function of those,
 * and the dearest part of a preview. WAF alarms of the same shape and background (every rule of a large watch list)
 * and alarms shared by two configs are replayed once per process.
 */
const alarmWorstCaseCache = new Map<string, ReturnType<typeof worstCase>>();
function alarmWorstCase(stack: SimStack, a: SimAlarm, o: ReturnType<typeof defaultSimOptions>): ReturnType<typeof worstCase> {
    // What the replay reads (model/detectionSim.ts buildRun): a WAF alarm's background rate, not which rule or
    // ACL it watches; an ecommerce alarm's series (measure, dimension, value) and the stack's series lists.
    const waf = a.rule !== undefined;
    const key = JSON.stringify([a.kind, a.shape, a.companion, o,
        waf ? ["waf", a.wafBackgroundPerMinute ?? a.rule] : [stack, a.series && { measure: a.series.measure, dimension: a.series.dimension, value: a.series.value }]]);
    let r = alarmWorstCaseCache.get(key);
    if (!r) {
        r = worstCase(stack, a, o, simWarmupSeconds([a]));
        alarmWorstCaseCache.set(key, r);
    }
    return r;
}

/**
 * The cloudwatch engine's worst case per path: the noise-free replay (model/detectionSim.ts worstCase: the
 * injected default anomaly at 4 hours of the reference day × 9 phases of the minute × every arrival stage at its
 * lower and upper bound × 2 Firehose flush phases, at the generator's default rate) of every WAF alarm and of the
 * ecommerce stack-total spike and drop alarms. Per-dimension series are in `npm run simulate` (README).
 * Replays that never alarm (anomaly inside the band, baseline under the floor) are warnings, not figures.
 */
export function cloudwatchWorstCase(args: CloudWatchDetectionArgs): CloudWatchTerms {
    const alarms = simAlarms(args);
    const stack = simStackOf(args);
    const key = JSON.stringify([stack, alarms.map((a) => [a.key, a.shape])]);
    const hit = worstCaseCache.get(key);
    if (hit) return hit;
    const o = defaultSimOptions();
    const warnings: string[] = [];
    const worstOf = (list: SimAlarm[]): number => {
        let w = 0;
        for (const a of list) {
            const r = alarmWorstCase(stack, a, o);
            if (r.missed > 0) {
                warnings.push(`${a.key}: ${r.missed} of ${r.runs} noise-free replays of the default anomaly raise no alarm ` +
                    `(the anomaly stays inside the band at the simulated load, or the baseline is under the drop floor)`);
            }
            if (r.worstSeconds !== undefined) w = Math.max(w, r.worstSeconds);
        }
        return w;
    };
    const basis = "npm run simulate: noise-free worst case of the alarms' exact shapes (model/detectionSim.ts)";
    const wafAlarms = alarms.filter((a) => a.kind === "waf");
    const spike = worstOf(alarms.filter((a) => a.kind === "spike" && a.series?.dimension === undefined));
    const drop = worstOf(alarms.filter((a) => a.kind === "drop" && a.series?.dimension === undefined));
    const out: CloudWatchTerms = {
        waf: wafAlarms.length ? [{ name: `worst time to alert, ${wafAlarms.length} WAF alarm(s)`, seconds: worstOf(wafAlarms), basis }] : [],
        ecommerce: [
            { name: "worst time to alert, stack-total spike alarms", seconds: spike, basis },
            { name: "stack-total drop alarms, beyond the spike case", seconds: Math.max(0, drop - spike), basis },
        ],
        warnings,
    };
    worstCaseCache.set(key, out);
    return out;
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

/**
 * Worst-case seconds from an anomaly's first second to an alert, per path, for this stack's config and engine.
 * The cloudwatch engine needs the CloudWatchDetection args: its figure is the simulation of those alarms.
 */
export function detectionLatency(config: TimingSettings, cloudwatch?: CloudWatchDetectionArgs): LatencyBreakdown {
    const engine = config.detection.engine;
    const warnings: string[] = [];
    let waf: LatencyTerm[];
    let ecommerce: LatencyTerm[];
    if (engine === "cloudwatch") {
        if (!cloudwatch) throw new Error("detectionLatency: the cloudwatch engine's figure is the simulation of its alarms; pass the CloudWatchDetection args");
        const w = cloudwatchWorstCase(cloudwatch);
        waf = w.waf;
        ecommerce = w.ecommerce;
        warnings.push(...w.warnings);
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
