// What no alarm can beat: the limits the traffic and the metrics' timing put on detection latency, beside the
// simulated alarms (`npm run simulate` prints both). Two limits:
//  - order-value anomalies (the generator's revenue spike ×3 / drop ×0.2, a pricing error): the probability that an
//    ideal detector sees the anomaly within the target. The detector knows each order's true log-mean and spread
//    (the traffic model's log-normal values), is told when the anomaly starts, tests the anomalous orders it can
//    have read by then with the most powerful test (the likelihood ratio, exact for log-normal values), and is
//    charged one test per window at the false-alarm budget a steady day allows. Real alarms know less (a trained
//    band), do not know the start, read per-minute sums and test overlapping windows every minute: they can only
//    do worse.
//  - WAF: the earliest any alarm on WAF's one-minute BlockedRequests metric can act after the worst start second.
import {
    EmfArrivalParams, KINESIS_TO_FIREHOSE_SECONDS, LOG_TO_METRIC_SECONDS, TRANSFORM_RUN_SECONDS, WAF_PUBLISH_DELAY_SECONDS, WAF_REPORT_INTERVAL_SECONDS,
    emfArrivalParams, emfMaxLagSeconds, emfVisibleAt,
} from "./metricArrival";
import { EVALUATION_DELAY_SECONDS } from "./alarmReplay";
import { FUNNEL, ORDER_SIGMA, TrafficModel, seededRng } from "../scripts/lib/trafficModel";
import { REFERENCE_DAY_MS, SimAlarm, SimGroup, SimOptions, SimStack, SimulationReport, anomalyFor, groupOf, trafficModel } from "./detectionSim";

/** The issue-13 latency targets: ecommerce anomalies within 4 minutes, WAF attacks within 2. */
export const LATENCY_TARGET_SECONDS = { ecommerce: 240, waf: 120 } as const;
/**
 * False alarms a steady day may raise over a group's revenue alarms in the ideal test: 0.1, so that a steady day raises
 * none with probability e^−0.1 ≈ 90 % ("0 false alarms over a simulated steady day", checked per group).
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
 * The distribution of a window's checkouts, P(K = k) for k = 0, 1, …, when the window's expected checkouts are `mu`:
 * the traffic model's funnel (TrafficModel.sampleCounts: views ~ Poisson(λ), carts ~ Poisson(p1·views), checkouts ~
 * Poisson(p2·carts), λ = mu / (p1·p2); a sum of such spans is the same three stages over the summed λ) is a compound
 * Poisson count — each view brings Y checkouts, Y itself Poisson(p1) carts of Poisson(p2) checkouts — so Panjer's
 * recursion gives it exactly (rescaled as it goes, so a busy window's e^−λ cannot underflow). Variance
 * 1 + p2 + p1·p2 ≈ 1.38 times the mean, not Poisson(mu)'s 1.
 */
export function checkoutCountDistribution(mu: number): Float64Array {
    if (!(mu >= 0) || !Number.isFinite(mu)) throw new Error(`a mean count must be a finite number ≥ 0, got ${mu}`);
    if (mu === 0) return Float64Array.of(1);
    const p1 = FUNNEL.cartPerView, p2 = FUNNEL.checkoutPerCart;
    const lambda = mu / (p1 * p2);
    const q = checkoutsPerView();
    const kMax = Math.ceil(mu + 14 * Math.sqrt(1.5 * mu) + 40);
    const p = new Float64Array(kMax + 1);
    // p_0 ∝ e^{−λ(1 − q_0)}; start at 1 and normalise at the end (the recursion is linear).
    p[0] = 1;
    for (let k = 1; k <= kMax; k++) {
        let s = 0;
        for (let j = 1; j <= Math.min(k, q.length - 1); j++) s += j * q[j] * p[k - j];
        p[k] = (lambda / k) * s;
        if (p[k] > 1e200) for (let i = 0; i <= k; i++) p[i] *= 1e-200;
    }
    let total = 0;
    for (let k = 0; k <= kMax; k++) total += p[k];
    for (let k = 0; k <= kMax; k++) p[k] /= total;
    return p;
}

let perView: Float64Array | undefined;
/** P(Y = j) for one view's checkouts Y (Poisson(p1) carts, each Poisson(p2) checkouts), j = 0…30 (the rest is < 1e-40). */
function checkoutsPerView(): Float64Array {
    if (perView) return perView;
    const p1 = FUNNEL.cartPerView, p2 = FUNNEL.checkoutPerCart, J = 30;
    const r = new Float64Array(J + 1);
    r[0] = Math.exp(-p2);
    for (let i = 1; i <= J; i++) r[i] = (r[i - 1] * p2) / i;
    const q = new Float64Array(J + 1);
    q[0] = Math.exp(-p1 * (1 - r[0]));
    for (let j = 1; j <= J; j++) {
        let s = 0;
        for (let i = 1; i <= j; i++) s += i * r[i] * q[j - i];
        q[j] = (p1 / j) * s;
    }
    perView = q;
    return q;
}

/**
 * One order's evidence: the anomaly multiplies order values by `factor`, so ln V moves by ln factor and keeps its
 * spread ORDER_SIGMA (the values are log-normal, TrafficModel.orderValue) — in every marketplace alike. `delta` is
 * that move in units of the spread, |ln factor| / σ.
 */
export function orderEvidence(factor: number, sigma: number = ORDER_SIGMA): number {
    if (!(factor > 0) || factor === 1) throw new Error(`an anomaly factor must be positive and not 1, got ${factor}`);
    return Math.abs(Math.log(factor)) / sigma;
}

/**
 * The most powerful test of one window (Neyman–Pearson): knowing each order's true log-mean (its marketplace's) and σ,
 * the log-likelihood ratio of k orders is δ·S − k·δ²/2, S = Σ (ln V − its mean)/σ ~ N(0, k) normally and N(k·δ, k) in
 * the anomaly (exactly: ln V is normal), and the counts do not change (the anomaly scales values only), so flagging when
 * it exceeds `c` has, given k ≥ 1, power Φ(√k·δ/2 − c/(δ√k)) and size Φ(−√k·δ/2 − c/(δ√k)); no orders, no flag.
 * Averaged over the window's count distribution `counts` (checkoutCountDistribution).
 */
export function windowTest(counts: ArrayLike<number>, delta: number, c: number, withPower = true): { power: number; size: number } {
    let power = 0, size = 0;
    for (let k = 1; k < counts.length; k++) {
        const pk = counts[k];
        if (!(pk > 1e-16)) continue;
        const a = (Math.sqrt(k) * delta) / 2, b = c / (delta * Math.sqrt(k));
        if (withPower) power += pk * normalCdf(a - b);
        size += pk * normalCdf(-a - b);
    }
    return { power: Math.min(1, power), size };
}

/** The series an alarm watches, as the traffic model's slices: only revenue series have a limit here. */
function revenueSlices(model: TrafficModel, series: NonNullable<SimAlarm["series"]>) {
    return model.slices.filter((s) =>
        series.dimension === "platform" ? s.platform.name === series.value : series.dimension === "marketplace" ? s.marketplace.name === series.value : true);
}

export interface AlarmLimit {
    key: string;
    group: SimGroup;
    factor: number;
    /** The ideal test's log-likelihood-ratio threshold c, shared by the group's alarms (orderValueLimits). */
    threshold: number;
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
     * The seconds of anomalous orders the ideal test reads, each sample equally likely (repeat a value to weight it):
     * `target − read lag` for a detector that reads each order as soon as it arrives (idealWindows), or what the last
     * whole-minute CloudWatch evaluation within the target has read, over start seconds and arrival draws
     * (cloudWatchWindows).
     */
    windows: readonly number[];
    /** Sampled replays per alarm (the report's --replays). */
    replays: number;
    /** False alarms a steady day may raise over a group's revenue alarms (default LIMIT_FALSE_ALARMS_PER_DAY). */
    falseAlarmsPerDay?: number;
}

/** A detector that reads each order `readLag` s after it happened and may act at any instant: one window, target − lag. */
export function idealWindows(targetSeconds: number, readLag: number = FASTEST_EMF_LAG_SECONDS): number[] {
    return [targetSeconds - readLag];
}

/** The count-distribution grid of orderValueLimits: keys per unit of ln(mean checkouts), i.e. 0.2 % steps. */
const KEYS_PER_E = 500;

/** Anomaly starts over the reference day, every this many minutes. */
export const LIMIT_START_STEP_MINUTES = 5;

/** Samples cloudWatchWindows draws: start seconds 0–59 in turn, each with its own arrival draw. */
export const LIMIT_ARRIVAL_SAMPLES = 2400;

/**
 * What a CloudWatch alarm can have read by its last evaluation within the target, as model/alarmReplay.ts evaluates:
 * an evaluation's window ends at a whole minute w and it reads, E s later (t = w + E), the seconds before w whose data
 * has arrived by t. For an anomaly starting at second φ of a minute (every φ = 0…59 in turn, as whole-second starts
 * are) the last such evaluation within T is w = ⌊(φ + T − E)/60⌋ minutes, and the seconds read are those of [φ, w)
 * with emfVisibleAt ≤ t — the arrival model itself (model/metricArrival.ts: Kinesis read, the Firehose buffer's flush
 * grid at a random phase, the transform and log-to-metric draws per flush), drawn at random as the sampled replays
 * draw it. One window (seconds read) per sample; seeded, so the same every run.
 */
export function cloudWatchWindows(targetSeconds: number, arrival: EmfArrivalParams, evaluationDelay: number = EVALUATION_DELAY_SECONDS, samples = LIMIT_ARRIVAL_SAMPLES): number[] {
    const rng = seededRng(240);
    const lead = 120;
    const length = lead + 60 + targetSeconds;
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
        const start = lead + (i % 60);
        const flushPhase = Math.floor(rng() * Math.max(1, arrival.bufferSeconds));
        const visible = emfVisibleAt(length, arrival, { mode: "random", rng }, flushPhase);
        const w = Math.floor((start + targetSeconds - evaluationDelay) / 60) * 60;
        const t = w + evaluationDelay;
        let read = 0;
        for (let s = start; s < w; s++) if (visible[s] <= t) read += 1;
        out.push(read);
    }
    return out;
}

/**
 * The ideal detector's probability of flagging each revenue alarm's order-value anomaly within the target, for starts
 * every LIMIT_START_STEP_MINUTES of the reference day (averaged over the windows). Expected checkouts of the series over
 * each window come from the traffic model's rates (funnel and seasonality), their distribution from its funnel
 * (checkoutCountDistribution), and each window is tested by the most powerful test (windowTest) with one threshold c
 * for every alarm of the group, start and window: c is set so that the group's alarms raise `falseAlarmsPerDay` a
 * steady day at one test per window (86,400 / mean window tests a day per alarm, each of the size its traffic then
 * gives). One threshold on the likelihood ratio is what maximises the expected number in time at that budget
 * (Neyman–Pearson over all windows at once): the test spends its false alarms where orders are few and an order's
 * evidence is needed, not evenly.
 */
export function orderValueLimits(model: TrafficModel, alarms: readonly SimAlarm[], o: OrderValueLimitOptions): AlarmLimit[] {
    // A window with nothing read (a buffer longer than the target) never flags: it counts as late, not as an error.
    const bad = o.windows.find((w) => !(w >= 0));
    if (o.windows.length === 0 || bad !== undefined) throw new Error(`windows are needed and no window can be negative, got ${o.windows.length ? bad : "none"}`);
    if (!(Number.isInteger(o.replays) && o.replays >= 1)) throw new Error(`replays must be a whole number ≥ 1, got ${o.replays}`);
    const budget = o.falseAlarmsPerDay ?? LIMIT_FALSE_ALARMS_PER_DAY;
    if (!(budget > 0)) throw new Error(`the false-alarm budget must be positive, got ${budget} a day`);
    // The windows as (length, weight).
    const weightOf = new Map<number, number>();
    for (const w of o.windows) weightOf.set(w, (weightOf.get(w) ?? 0) + 1 / o.windows.length);
    const windows = [...weightOf.entries()];
    const meanWindow = o.windows.reduce((x, y) => x + y, 0) / o.windows.length;
    const revenue = alarms.filter((a) => a.series?.measure === "revenue" && a.kind !== "waf");
    const minutes = 1440;
    const windowMinutes = Math.ceil(Math.max(...o.windows) / 60);
    const starts = Array.from({ length: minutes / LIMIT_START_STEP_MINUTES }, (_, i) => i * LIMIT_START_STEP_MINUTES);
    // Count distributions on a grid of 0.2 % in the mean (shared by the windows of nearly the same traffic).
    const keyOf = (mu: number) => Math.round(Math.log(mu) * KEYS_PER_E);
    const distributions = new Map<number, Float64Array>();
    const distributionOf = (key: number) => {
        let d = distributions.get(key);
        if (!d) distributions.set(key, (d = checkoutCountDistribution(Math.exp(key / KEYS_PER_E))));
        return d;
    };
    const perAlarm = revenue.map((a) => {
        const factor = anomalyFor(a, REFERENCE_DAY_MS)!.factor;
        const slices = revenueSlices(model, a.series!);
        // Expected checkouts of the series per minute over the day and the window after it (rates at each minute's middle).
        const perMinute = Float64Array.from({ length: minutes + windowMinutes }, (_, m) => slices.reduce((x, s) =>
            x + s.meanViewRate * model.seasonality(s, REFERENCE_DAY_MS + m * 60_000 + 30_000) * 60 * FUNNEL.cartPerView * FUNNEL.checkoutPerCart, 0));
        // Orders of [start, start + window): whole minutes, then the part of the last one; as count-grid keys.
        const keys = starts.map((m) => windows.map(([w]) => {
            let c = 0;
            for (let i = 0; 60 * i < w; i++) c += perMinute[m + i] * Math.min(1, (w - 60 * i) / 60);
            return c > 0 ? keyOf(c) : undefined;
        }));
        return { a, factor, delta: orderEvidence(factor), perMinute, keys };
    });
    // One threshold per group: the group's false alarms a day, Σ over its alarms of (tests a day) × mean size.
    const thresholds = new Map<SimGroup, number>();
    for (const group of new Set(perAlarm.map((x) => groupOf(x.a)))) {
        const weights = new Map<string, { key: number; delta: number; weight: number }>();
        for (const x of perAlarm.filter((y) => groupOf(y.a) === group)) {
            x.keys.forEach((row) => row.forEach((key, j) => {
                if (key === undefined) return;
                const id = `${x.delta}:${key}`;
                const e = weights.get(id) ?? { key, delta: x.delta, weight: 0 };
                e.weight += ((86_400 / meanWindow) * windows[j][1]) / starts.length;
                weights.set(id, e);
            }));
        }
        const entries = [...weights.values()];
        const falseAlarms = (c: number) => entries.reduce((s, e) => s + e.weight * windowTest(distributionOf(e.key), e.delta, c, false).size, 0);
        // Size falls with c; at c = −1000 every window with an order flags.
        let lo = -1000, hi = 1000;
        for (let i = 0; i < 64; i++) {
            const mid = (lo + hi) / 2;
            if (falseAlarms(mid) > budget) lo = mid; else hi = mid;
        }
        thresholds.set(group, hi);
    }
    return perAlarm.map(({ a, factor, delta, perMinute, keys }) => {
        const threshold = thresholds.get(groupOf(a))!;
        const power = new Map<number, number>();
        const powerOf = (key: number) => {
            let p = power.get(key);
            if (p === undefined) power.set(key, (p = windowTest(distributionOf(key), delta, threshold).power));
            return p;
        };
        const probs = keys.map((row) => row.reduce<number>((s, key, j) => s + windows[j][1] * (key === undefined ? 0 : powerOf(key)), 0));
        let quietest = { probability: 2, atMs: 0, checkoutsPerMinute: 0 };
        starts.forEach((m, i) => {
            if (probs[i] < quietest.probability) quietest = { probability: probs[i], atMs: REFERENCE_DAY_MS + m * 60_000, checkoutsPerMinute: perMinute[m] };
        });
        // Replay i starts in [i, i + 1) × day / replays; a part with no start on the grid takes the nearest one before it.
        const strata = Array.from({ length: o.replays }, (_, i) => {
            const from = (i * minutes) / o.replays, to = ((i + 1) * minutes) / o.replays;
            const inPart = probs.filter((_, j) => starts[j] >= from && starts[j] < to);
            return inPart.length ? inPart.reduce((x, y) => x + y, 0) / inPart.length : probs[Math.floor(from / LIMIT_START_STEP_MINUTES)];
        });
        return { key: a.key, group: groupOf(a), factor, threshold, quietest, dayMean: probs.reduce((x, y) => x + y, 0) / probs.length, strata };
    });
}

export interface GroupLimit {
    group: SimGroup;
    alarms: number;
    factor: number;
    /** The ideal test's log-likelihood-ratio threshold for this group (orderValueLimits). */
    threshold: number;
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
                group: l.group, alarms: 1, factor: l.factor, threshold: l.threshold, quietest: { ...l.quietest, key: l.key },
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
    const arrival = emfArrivalParams(o.bufferSeconds, o.logToMetricMax);
    const emfLagSeconds = { min: FASTEST_EMF_LAG_SECONDS, max: emfMaxLagSeconds(arrival) };
    const run = (windows: number[]) => groupLimits(orderValueLimits(model, alarms, { windows, replays }));
    return {
        targetSeconds: LATENCY_TARGET_SECONDS,
        ideal: run(idealWindows(target, emfLagSeconds.min)),
        cloudWatch: run(cloudWatchWindows(target, arrival, o.evaluationDelaySeconds)),
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
