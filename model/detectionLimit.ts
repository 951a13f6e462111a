// What no alarm can beat: the limits the traffic and the metrics' timing put on detection latency, beside the
// simulated alarms (`npm run simulate` prints both). Two limits:
//  - order-value anomalies (the generator's revenue spike ×3 / drop ×0.2, a pricing error): the probability that an
//    ideal detector sees the anomaly within the target. The detector knows each series' true mean and spread of
//    ln(1 + order value) per marketplace, reads every order as soon as the fastest arrival allows, and tests the
//    orders of the anomaly's first (target − lag) seconds once, at the false-alarm rate a steady day allows. Real
//    alarms know less (a trained band), read per-minute sums and test overlapping windows, so they can only do worse.
//  - WAF: the earliest any alarm on WAF's one-minute BlockedRequests metric can act after the worst start second.
import {
    KINESIS_TO_FIREHOSE_SECONDS, LOG_TO_METRIC_SECONDS, TRANSFORM_RUN_SECONDS, WAF_PUBLISH_DELAY_SECONDS, WAF_REPORT_INTERVAL_SECONDS, emfArrivalParams, emfMaxLagSeconds,
} from "./metricArrival";
import { EVALUATION_DELAY_SECONDS } from "./alarmReplay";
import { DEFAULT_FACTOR, FUNNEL, TrafficModel } from "../scripts/lib/trafficModel";
import { REFERENCE_DAY_MS, SimAlarm, SimGroup, SimOptions, SimStack, SimulationReport, groupOf, orderLogMoments, trafficModel } from "./detectionSim";

/** The issue-13 latency targets: ecommerce anomalies within 4 minutes, WAF attacks within 2. */
export const LATENCY_TARGET_SECONDS = { ecommerce: 240, waf: 120 } as const;
/**
 * False alarms a steady day may raise over a group's alarms in the ideal test: 0.1, so that a steady day raises none
 * with probability e^−0.1 ≈ 90 % ("0 false alarms over a simulated steady day").
 */
export const LIMIT_FALSE_ALARMS_PER_DAY = 0.1;
/** The fastest an order reaches an alarm: every EMF stage at its lower bound (model/metricArrival.ts). */
export const FASTEST_EMF_LAG_SECONDS = KINESIS_TO_FIREHOSE_SECONDS.min + TRANSFORM_RUN_SECONDS.min + LOG_TO_METRIC_SECONDS.min;

// ---- the standard normal -----------------------------------------------------------------------------------------

/**
 * erfc(x), Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7 everywhere): enough for tails of 1e-6 and
 * below, where 1 − erf(x) loses every digit.
 */
export function erfc(x: number): number {
    const z = Math.abs(x);
    const t = 1 / (1 + 0.5 * z);
    const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
}

/** Φ(x), the standard normal distribution function. */
export function normalCdf(x: number): number {
    return 0.5 * erfc(-x / Math.SQRT2);
}

/** The z with 1 − Φ(z) = p (0 < p < 1), by bisection on the upper tail (monotone; 1e-9 in z). */
export function upperQuantile(p: number): number {
    if (!(p > 0 && p < 1)) throw new Error(`a tail probability must be between 0 and 1, got ${p}`);
    let lo = -40, hi = 40;
    while (hi - lo > 1e-9) {
        const mid = (lo + hi) / 2;
        if (1 - normalCdf(mid) > p) lo = mid; else hi = mid;
    }
    return (lo + hi) / 2;
}

// ---- order-value anomalies ---------------------------------------------------------------------------------------

/**
 * One order's ln(1 + value) before and during the anomaly, averaged over the series' orders: `shift` is the mean's
 * change (negative for a drop), `sd0` / `sdAnomaly` the spread of one order around its marketplace's mean.
 */
export interface OrderShift {
    shift: number;
    sd0: number;
    sdAnomaly: number;
}

/**
 * P(the ideal test flags the anomaly) when its window holds Poisson(meanCount) orders: given k orders, the mean of
 * their ln(1 + value) is compared with the normal mean ± z·sd0/√k (the side of the anomaly), so
 * P(k) = Φ((√k·|shift| − z·sd0) / sdAnomaly) (normal approximation of the mean; k = 0 never flags).
 */
export function detectionProbability(meanCount: number, o: OrderShift, z: number): number {
    if (!(meanCount >= 0)) throw new Error(`a mean count must be ≥ 0, got ${meanCount}`);
    if (meanCount === 0) return 0;
    const kMax = Math.ceil(meanCount + 12 * Math.sqrt(meanCount) + 30);
    let logP = -meanCount; // ln Poisson(0)
    let p = 0;
    for (let k = 1; k <= kMax; k++) {
        logP += Math.log(meanCount / k);
        p += Math.exp(logP) * normalCdf((Math.sqrt(k) * Math.abs(o.shift) - z * o.sd0) / o.sdAnomaly);
    }
    return Math.min(1, p);
}

/**
 * The ideal test's threshold: one test per window of `windowSeconds` a day per alarm, `alarms` alarms, at most
 * `falseAlarmsPerDay` false alarms a day over all of them (disjoint windows: the fewest tests a day a detector can
 * run, so the most lenient threshold; an alarm evaluated every minute on sliding windows needs a higher one).
 */
export function idealThreshold(windowSeconds: number, alarms: number, falseAlarmsPerDay = LIMIT_FALSE_ALARMS_PER_DAY): { z: number; alpha: number } {
    if (!(windowSeconds > 0) || !(alarms >= 1)) throw new Error(`a window (${windowSeconds} s) and at least one alarm (${alarms}) are needed`);
    const alpha = falseAlarmsPerDay / (alarms * (86_400 / windowSeconds));
    return { z: upperQuantile(alpha), alpha };
}

/** The series an alarm watches, as the traffic model's slices with their weights: only revenue series have a limit here. */
function revenueSlices(model: TrafficModel, series: NonNullable<SimAlarm["series"]>) {
    return model.slices.filter((s) =>
        series.dimension === "platform" ? s.platform.name === series.value : series.dimension === "marketplace" ? s.marketplace.name === series.value : true);
}

export interface AlarmLimit {
    key: string;
    group: SimGroup;
    factor: number;
    /** The ideal test's threshold (idealThreshold). */
    z: number;
    /** The lowest probability over the reference day's start minutes, when it is, and the series' checkouts a minute then. */
    quietest: { probability: number; atMs: number; checkoutsPerMinute: number };
    /** Mean over the day's starts. */
    dayMean: number;
    /**
     * Mean over each of `replays` equal parts of the day: the sampled replays start one in each part
     * (model/detectionSim.ts sampledReplays), so the product of these is P(all of this alarm's replays in time).
     */
    strata: number[];
}

export interface OrderValueLimitOptions {
    /**
     * The seconds of orders the ideal test reads, each equally likely: `target − read lag` for a detector that reads
     * each order as soon as it arrives (idealWindows), or, on a CloudWatch alarm, what the last whole-minute evaluation
     * within the target has read, over start phases and arrival lags (cloudWatchWindows).
     */
    windows: readonly number[];
    /** Sampled replays per alarm (the report's --replays). */
    replays: number;
    falseAlarmsPerDay?: number;
}

/** A detector that reads each order `readLag` s after it happened and may act at any instant: one window, target − lag. */
export function idealWindows(targetSeconds: number, readLag: number = FASTEST_EMF_LAG_SECONDS): number[] {
    return [targetSeconds - readLag];
}

/** Anomaly starts over the reference day, every this many minutes. */
export const LIMIT_START_STEP_MINUTES = 5;

/** Start phases (seconds into the minute) the CloudWatch windows are averaged over. */
export const LIMIT_START_PHASES = [0, 15, 30, 45] as const;

/**
 * What a CloudWatch alarm can have read by its last evaluation within the target: evaluations run on the whole
 * minute (plus the evaluation delay E), so for an anomaly starting φ s into a minute the last one within T is at
 * ⌊(φ + T − E) / 60⌋ minutes + E, and it has the orders up to `lag` s before it: window = that − φ − lag. Over the
 * start phases LIMIT_START_PHASES and the EMF lag at its lower and upper bound.
 */
export function cloudWatchWindows(targetSeconds: number, lag: { min: number; max: number }, evaluationDelay: number = EVALUATION_DELAY_SECONDS): number[] {
    return LIMIT_START_PHASES.flatMap((phi) => {
        const lastEval = Math.floor((phi + targetSeconds - evaluationDelay) / 60) * 60 + evaluationDelay;
        return [lag.min, lag.max].map((l) => lastEval - phi - l);
    });
}

/**
 * The ideal detector's probability of flagging each revenue alarm's order-value anomaly within the target, for
 * every whole-minute start of the reference day (averaged over the windows): expected checkouts of the series over
 * each window from the traffic model's rates (its funnel and seasonality), and the per-order shift from the
 * log-normal order values (orderLogMoments) of each marketplace, weighted by its share of the checkouts. The
 * threshold is idealThreshold's for disjoint windows of the mean window length.
 */
export function orderValueLimits(model: TrafficModel, alarms: readonly SimAlarm[], o: OrderValueLimitOptions): AlarmLimit[] {
    if (o.windows.length === 0 || o.windows.some((w) => !(w > 0))) throw new Error(`every window must be positive, got ${o.windows.join(", ")} s`);
    if (!(Number.isInteger(o.replays) && o.replays >= 1)) throw new Error(`replays must be a whole number ≥ 1, got ${o.replays}`);
    const meanWindow = o.windows.reduce((x, y) => x + y, 0) / o.windows.length;
    const revenue = alarms.filter((a) => a.series?.measure === "revenue" && a.kind !== "waf");
    const groupSize = new Map<SimGroup, number>();
    for (const a of revenue) groupSize.set(groupOf(a), (groupSize.get(groupOf(a)) ?? 0) + 1);
    const checkoutsPerView = FUNNEL.cartPerView * FUNNEL.checkoutPerCart;
    const minutes = 1440;
    const windowMinutes = Math.ceil(Math.max(...o.windows) / 60);
    return revenue.map((a) => {
        const kind = a.kind === "drop" ? "drop" : "spike";
        const factor = DEFAULT_FACTOR[kind];
        const { z } = idealThreshold(meanWindow, groupSize.get(groupOf(a))!, o.falseAlarmsPerDay);
        const slices = revenueSlices(model, a.series!);
        // Expected checkouts per slice per minute over the day and the window after it (rates at each minute's middle).
        const perMinute = slices.map((s) => Float64Array.from({ length: minutes + windowMinutes }, (_, m) =>
            s.meanViewRate * model.seasonality(s, REFERENCE_DAY_MS + m * 60_000 + 30_000) * 60 * checkoutsPerView));
        const moments = slices.map((s) => {
            const [l0, v0] = orderLogMoments(s.marketplace.averageOrderValue);
            const [lf, vf] = orderLogMoments(s.marketplace.averageOrderValue, factor);
            return { shift: lf - l0, v0, vf };
        });
        const probability = (m: number, window: number): number => {
            // Orders of [start, start + window): whole minutes, then the part of the last one.
            const counts = perMinute.map((pm) => {
                let c = 0;
                for (let i = 0; 60 * i < window; i++) c += pm[m + i] * Math.min(1, (window - 60 * i) / 60);
                return c;
            });
            const mu = counts.reduce((x, y) => x + y, 0);
            const w = counts.map((c) => (mu > 0 ? c / mu : 0));
            return detectionProbability(mu, {
                shift: moments.reduce((x, s, i) => x + w[i] * s.shift, 0),
                sd0: Math.sqrt(moments.reduce((x, s, i) => x + w[i] * s.v0, 0)),
                sdAnomaly: Math.sqrt(moments.reduce((x, s, i) => x + w[i] * s.vf, 0)),
            }, z);
        };
        // Starts every LIMIT_START_STEP_MINUTES (the rates follow hourly curves).
        const starts = Array.from({ length: minutes / LIMIT_START_STEP_MINUTES }, (_, i) => i * LIMIT_START_STEP_MINUTES);
        const probs = starts.map((m) => o.windows.reduce((x, w) => x + probability(m, w), 0) / o.windows.length);
        let quietest = { probability: 2, atMs: 0, checkoutsPerMinute: 0 };
        starts.forEach((m, i) => {
            if (probs[i] < quietest.probability) {
                quietest = { probability: probs[i], atMs: REFERENCE_DAY_MS + m * 60_000, checkoutsPerMinute: perMinute.reduce((x, pm) => x + pm[m], 0) };
            }
        });
        // Replay i starts in [i, i + 1) × day / replays; a part with no start on the grid takes the nearest one before it.
        const strata = Array.from({ length: o.replays }, (_, i) => {
            const from = (i * minutes) / o.replays, to = ((i + 1) * minutes) / o.replays;
            const inPart = probs.filter((_, j) => starts[j] >= from && starts[j] < to);
            return inPart.length ? inPart.reduce((x, y) => x + y, 0) / inPart.length : probs[Math.floor(from / LIMIT_START_STEP_MINUTES)];
        });
        return { key: a.key, group: groupOf(a), factor, z, quietest, dayMean: probs.reduce((x, y) => x + y, 0) / probs.length, strata };
    });
}

export interface GroupLimit {
    group: SimGroup;
    alarms: number;
    factor: number;
    /** The ideal test's threshold for this group (idealThreshold). */
    z: number;
    /** The alarm and minute of the day where the ideal detector is least likely to be in time. */
    quietest: AlarmLimit["quietest"] & { key: string };
    dayMean: number;
    /** Of the group's sampled replays (alarms × replays), how many no detector is expected to alert on in time. */
    expectedLate: number;
    replays: number;
    /** P(every one of the group's sampled replays alerted in time), for the ideal detector. */
    allInTime: number;
}

/** The limits per report group. */
export function groupLimits(limits: readonly AlarmLimit[]): GroupLimit[] {
    const out = new Map<SimGroup, GroupLimit>();
    for (const l of limits) {
        const g = out.get(l.group);
        const late = l.strata.reduce((x, p) => x + (1 - p), 0);
        const all = l.strata.reduce((x, p) => x * p, 1);
        if (!g) {
            out.set(l.group, {
                group: l.group, alarms: 1, factor: l.factor, z: l.z, quietest: { ...l.quietest, key: l.key },
                dayMean: l.dayMean, expectedLate: late, replays: l.strata.length, allInTime: all,
            });
            continue;
        }
        g.alarms += 1;
        g.dayMean += l.dayMean;
        g.expectedLate += late;
        g.replays += l.strata.length;
        g.allInTime *= all;
        if (l.quietest.probability < g.quietest.probability) g.quietest = { ...l.quietest, key: l.key };
    }
    return [...out.values()].map((g) => ({ ...g, dayMean: g.dayMean / g.alarms }));
}

// ---- WAF ---------------------------------------------------------------------------------------------------------

/**
 * The earliest any alarm on WAF's one-minute BlockedRequests metric can act after the worst start second: an attack
 * that starts in the last instant of a minute leaves that minute empty, so the first minute holding it ends 60 s
 * later; that minute is readable `publishDelayMax` s after it ends, and read by the first evaluation (on the whole
 * minute, `evaluationDelay` s later) that sees it: 60 + 60·⌈max(0, D − E) / 60⌉ + E. Any alarm needs, on top, the
 * seconds of attack it takes to leave the background (the deployed floor's: 19 s at 60 blocked a minute on dev).
 */
export function wafLatencyFloorSeconds(publishDelayMax: number = WAF_PUBLISH_DELAY_SECONDS.max, evaluationDelay: number = EVALUATION_DELAY_SECONDS): number {
    const minute = WAF_REPORT_INTERVAL_SECONDS;
    return minute + minute * Math.ceil(Math.max(0, publishDelayMax - evaluationDelay) / minute) + evaluationDelay;
}

// ---- the report's limits and target checks -----------------------------------------------------------------------

export interface SimulationLimits {
    targetSeconds: typeof LATENCY_TARGET_SECONDS;
    /** Order-value anomalies: a detector reading each order FASTEST_EMF_LAG_SECONDS after it (idealWindows). */
    ideal: GroupLimit[];
    /** The same test on what a CloudWatch alarm has read by its last evaluation within the target (cloudWatchWindows). */
    cloudWatch: GroupLimit[];
    /** The EMF lag bounds the CloudWatch windows use. */
    emfLagSeconds: { min: number; max: number };
    /** wafLatencyFloorSeconds for the run's publish delay and evaluation delay. */
    wafFloorSeconds: number;
}

/** The limits for the alarms a simulation replays, under its options (rate, buffer, log-to-metric, delays). */
export function simulationLimits(config: SimStack, alarms: readonly SimAlarm[], o: SimOptions, replays: number): SimulationLimits {
    const model = trafficModel(config, o.rate);
    const target = LATENCY_TARGET_SECONDS.ecommerce;
    const emfLagSeconds = { min: FASTEST_EMF_LAG_SECONDS, max: emfMaxLagSeconds(emfArrivalParams(o.bufferSeconds, o.logToMetricMax)) };
    const run = (windows: number[]) => groupLimits(orderValueLimits(model, alarms, { windows, replays }));
    return {
        targetSeconds: LATENCY_TARGET_SECONDS,
        ideal: run(idealWindows(target, emfLagSeconds.min)),
        cloudWatch: run(cloudWatchWindows(target, emfLagSeconds, o.evaluationDelaySeconds)),
        emfLagSeconds,
        wafFloorSeconds: wafLatencyFloorSeconds(o.wafPublishDelayMax, o.evaluationDelaySeconds),
    };
}

export interface TargetCheck {
    group: SimGroup;
    targetSeconds: number;
    worstSeconds?: number;
    /** Worst case within the target, no false alarm, every injected anomaly detected (none below, none missed). */
    met: boolean;
    /** What is not met, one phrase each. */
    misses: string[];
    /** What no alarm could have done better (the limit that applies to the group), when there is one. */
    limit?: string;
}

/** A probability as a percentage: one decimal, two just below 100 % (so 99.96 % does not print as 100.0 %). */
export function percent(p: number): string {
    return `${(100 * p).toFixed(p > 0.999 && p < 1 ? 2 : 1)} %`;
}
const pct = percent;

/** The targets per report group: worst case ≤ 240 s (WAF ≤ 120 s), 0 false alarms, every injected anomaly detected. */
export function targetChecks(report: SimulationReport, limits: SimulationLimits): TargetCheck[] {
    return report.kinds.map((k) => {
        const target = k.kind === "waf" ? limits.targetSeconds.waf : limits.targetSeconds.ecommerce;
        const misses: string[] = [];
        if (k.worstSeconds === undefined) misses.push("nothing detected");
        else if (k.worstSeconds > target) misses.push(`worst ${k.worstSeconds} s > ${target} s`);
        if (k.falseAlarms > 0) misses.push(`${k.falseAlarms} false alarm(s)`);
        if (k.injected > k.armed) misses.push(`${k.injected - k.armed} below what the alarm can see`);
        if (k.detected < k.armed) misses.push(`${k.armed - k.detected} missed by noise`);
        let limit: string | undefined;
        if (k.kind === "waf") {
            limit = `any alarm on WAF's one-minute metric acts ≥ ${limits.wafFloorSeconds} s after the worst start second, plus the attack seconds it needs to leave the background`;
        } else {
            const cw = limits.cloudWatch.find((g) => g.group === k.group);
            const ideal = limits.ideal.find((g) => g.group === k.group);
            if (cw && ideal) {
                limit = `an ideal order-value test in time for all ${cw.replays} anomalies: P ${pct(cw.allInTime)} on what CloudWatch alarms read (quietest ${pct(cw.quietest.probability)}), ` +
                    `${pct(ideal.allInTime)} reading each order at once`;
            }
        }
        return { group: k.group, targetSeconds: target, worstSeconds: k.worstSeconds, met: misses.length === 0, misses, ...(limit ? { limit } : {}) };
    });
}
