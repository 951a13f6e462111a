// The detection simulation: traffic-model series (scripts/lib/trafficModel.ts, with the generator's anomaly
// injection) and a WAF blocked-request model, replayed through every alarm of the stack config in its exact
// shape (components/cloudwatchDetection.ts, planCloudWatchAlarms) by model/alarmReplay.ts with the arrival
// timelines of model/metricArrival.ts. It answers, per alarm kind: how long from an anomaly's first second to the
// alarm's action (worst, median, best), whether every injected anomaly is detected, and how many alarms a steady
// day raises. `npm run simulate` prints it; model/detectionLatency.ts takes its noise-free worst case as the
// `detectionLatencySeconds` stack output.
import { AlarmSpec, CloudWatchDetectionArgs, cloudWatchDetectionSettings, planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { Expected, ReplayResult, ReplaySeries, ReplayShape, firstAlarm, replayAlarmSet } from "./alarmReplay";
import { Draw, emfArrivalParams, emfVisibleAt, EmfArrivalParams, WAF_PUBLISH_DELAY_SECONDS, wafVisibleAt } from "./metricArrival";
import { ORDER_VALUE_LOG_METRIC_NAME, TRANSFORM_BUFFER_SECONDS } from "./ecommerceSchema";
import { WAF_TOTAL_RULE } from "./wafTargets";
import { Anomaly, DEFAULT_FACTOR, FUNNEL, ORDER_SIGMA, Rng, Slice, TrafficModel, poisson, seededRng } from "../scripts/lib/trafficModel";

/** The traffic generator's default rate (events per second, weekly mean): the simulated dev load. */
export const DEFAULT_RATE = 20;
/** The generator's default anomaly duration (scripts/lib/trafficModel.ts parseAnomaly). */
export const DEFAULT_ANOMALY_SECONDS = 600;

/**
 * How long the injected anomaly lasts for an alarm: the generator's default, or twice the alarm's window when
 * that is longer (an alarm cannot see an anomaly shorter than its own datapoints; the latency is defined for an
 * anomaly that lasts as long as the alarm needs to see it).
 */
export function anomalySeconds(shape: ReplayShape): number {
    const window = shape.periodSeconds * shape.evaluationPeriods;
    return Math.max(DEFAULT_ANOMALY_SECONDS, 2 * window + (window > 86_400 ? 3600 : 0));
}
/** An injected anomaly counts as detected when the alarm acts within its duration plus this. */
export const DETECTION_GRACE_SECONDS = 300;

/**
 * SIMULATION ASSUMPTION (the project has no WAF traffic model): steady blocked requests per minute per rule — a
 * rate-based rule rarely blocks, the common rule set sees a steady trickle of scanners, known-bad-inputs a few.
 * Unknown rules get DEFAULT_WAF_BACKGROUND_PER_MINUTE.
 */
export const WAF_BACKGROUND_PER_MINUTE: Readonly<Record<string, number>> = {
    RateLimitPerClientIp: 0.2,
    AWSManagedRulesCommonRuleSet: 3,
    AWSManagedRulesKnownBadInputsRuleSet: 0.5,
};
export const DEFAULT_WAF_BACKGROUND_PER_MINUTE = 1;

/**
 * Steady blocked requests per minute of a WAF series: the rule's own (WAF_BACKGROUND_PER_MINUTE), or, for a web
 * ACL's total (Rule=ALL), the sum over its rules (every block is some rule's).
 */
export function wafBackgroundPerMinute(rule: string, aclRules: readonly string[]): number {
    const own = (r: string) => WAF_BACKGROUND_PER_MINUTE[r] ?? DEFAULT_WAF_BACKGROUND_PER_MINUTE;
    if (rule !== WAF_TOTAL_RULE) return own(rule);
    const rules = aclRules.filter((r) => r !== WAF_TOTAL_RULE);
    return rules.length ? rules.reduce((n, r) => n + own(r), 0) : DEFAULT_WAF_BACKGROUND_PER_MINUTE;
}
/**
 * SIMULATION ASSUMPTION. The injected WAF anomaly: an attack blocked at this many requests per minute (one a
 * second) for 10 minutes — a small one (the XSS probe sends 50 at once; the rate-based rule blocks an IP only
 * above 2000 in 5 minutes). `npm run simulate -- --waf-attack N` replays others; the report prints the WAF worst
 * case for WAF_ATTACK_SWEEP_PER_MINUTE.
 */
export const WAF_ATTACK_PER_MINUTE = 60;
/** Attack sizes (blocked requests a minute) the report gives the WAF worst case for. */
export const WAF_ATTACK_SWEEP_PER_MINUTE = [60, 300, 600, 1200, 2400] as const;

export type SimKind = "waf" | "spike" | "drop";

/** One alarm as the simulation replays it. */
export interface SimAlarm {
    key: string;
    kind: SimKind;
    label: string;
    shape: ReplayShape;
    /**
     * Revenue series: the AOV band child (revenue per checkout, a ratio shape) OR'ed with the band in the composite
     * (components/cloudwatchDetection.ts CompanionSpec).
     */
    companion?: ReplayShape;
    /** WAF rule, or the ecommerce series. */
    rule?: string;
    /** WAF alarms: the series' steady blocked requests a minute (wafBackgroundPerMinute). */
    wafBackgroundPerMinute?: number;
    series?: { measure: "views" | "revenue"; dimension?: "platform" | "marketplace"; value?: string; key: string };
}

/** Period (from m1) and band width (from the ANOMALY_DETECTION_BAND expression) of an alarm's queries. */
function periodAndWidth(name: string, metricQueries: AlarmSpec["metricQueries"]): { period: number; width: number } {
    const m1 = metricQueries.find((q) => q.id === "m1") as { metric?: { period?: unknown } } | undefined;
    const ad = metricQueries.find((q) => typeof q.expression === "string" && q.expression.startsWith("ANOMALY_DETECTION_BAND("));
    const width = /^ANOMALY_DETECTION_BAND\(\w+,\s*([0-9.]+)\)$/.exec(String(ad?.expression ?? ""));
    const period = Number(m1?.metric?.period);
    if (!width || !Number.isFinite(period)) throw new Error(`alarm ${name}: no m1 period or band expression to replay`);
    return { period, width: Number(width[1]) };
}

/**
 * The replay shape of a planned alarm's AOV companion: a ratio shape (its e1 must be `m1 / m2`, the expression the
 * replay's ratio datapoint reproduces), or undefined without one.
 */
export function companionShapeOf(spec: AlarmSpec): ReplayShape | undefined {
    const c = spec.companion;
    if (!c) return undefined;
    const e1 = c.metricQueries.find((q) => q.id === "e1");
    // The `AND FILL(m1, -1) >= 0` guard changes nothing here: the replay's numerator has a value wherever its checkouts do.
    const form = /^m1 \/ (?:m2|IF\(m2 >= (\d+)(?: AND FILL\(m1, -1\) >= 0)?, m2, 0\))$/.exec(String(e1?.expression ?? ""));
    if (!form) throw new Error(`alarm ${c.alarmName}: the replay reproduces e1 = m1 / m2 or m1 / IF(m2 >= n[ AND FILL(m1, -1) >= 0], m2, 0), got ${String(e1?.expression)}`);
    const m1 = c.metricQueries.find((q) => q.id === "m1") as { metric?: { metricName?: unknown } } | undefined;
    if (m1?.metric?.metricName !== ORDER_VALUE_LOG_METRIC_NAME) {
        throw new Error(`alarm ${c.alarmName}: the replay's ratio numerator is ${ORDER_VALUE_LOG_METRIC_NAME}, got ${String(m1?.metric?.metricName)}`);
    }
    const { period, width } = periodAndWidth(c.alarmName, c.metricQueries);
    return { periodSeconds: period, evaluationPeriods: c.evaluationPeriods, datapointsToAlarm: c.datapointsToAlarm, comparison: c.comparisonOperator, bandWidth: width, ratio: true, ...(form[1] ? { minDenominator: Number(form[1]) } : {}) };
}

/** The replay shape of a planned alarm: period, N, M, direction, band width and noise-floor gate as created. */
export function shapeOf(spec: AlarmSpec): ReplayShape {
    const { period, width } = periodAndWidth(spec.alarmName, spec.metricQueries);
    return {
        periodSeconds: period,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        comparison: spec.comparisonOperator,
        bandWidth: width,
        gate: spec.gate ? { windowSeconds: spec.gate.windowSeconds, threshold: spec.gate.threshold } : undefined,
    };
}

/** The watched values the traffic model generates (the CloudWatchDetection args' ecommerce series). */
export interface SimStack {
    platforms: readonly string[];
    marketplaces: readonly string[];
}

export function simStackOf(args: CloudWatchDetectionArgs): SimStack {
    const s = cloudWatchDetectionSettings(args).series;
    return { platforms: s.platforms, marketplaces: s.marketplaces };
}

/**
 * Every alarm CloudWatchDetection builds from these args, as replayed: the deployed shapes, whatever the options
 * (`--waf-publish-delay` and `--log-to-metric` change when data arrives, not the alarms).
 */
export function simAlarms(args: CloudWatchDetectionArgs): SimAlarm[] {
    const specs = planCloudWatchAlarms(args);
    const aclRules = (key: string, rule: string): string[] => {
        const acl = args.webAcls.find((w) => (w.key ? `${w.key}-${rule}` : rule) === key.replace(/^waf-/, ""));
        return acl ? [...acl.rules] : [];
    };
    return specs.map((s) => ({
        key: s.key,
        kind: s.kind,
        label: s.target.label,
        shape: shapeOf(s),
        ...(s.companion ? { companion: companionShapeOf(s) } : {}),
        rule: s.target.rule,
        ...(s.target.rule !== undefined ? { wafBackgroundPerMinute: wafBackgroundPerMinute(s.target.rule, aclRules(s.key, s.target.rule)) } : {}),
        series: s.target.series,
    }));
}

// ---- traffic ---------------------------------------------------------------------------------------------------

function sliceMatches(slice: Slice, series: NonNullable<SimAlarm["series"]>): boolean {
    if (series.dimension === "platform") return slice.platform.name === series.value;
    if (series.dimension === "marketplace") return slice.marketplace.name === series.value;
    return true;
}

/** Variance factor of a minute's checkouts per expected view: Var(K) / λv for the funnel view → cart → checkout. */
const P1 = FUNNEL.cartPerView;
const P2 = FUNNEL.checkoutPerCart;
const CHECKOUT_VARIANCE_PER_VIEW = P1 * P2 + P2 * P2 * (P1 + P1 * P1);
/** E[X²] / E[X]² of the log-normal order value. */
const ORDER_SECOND_MOMENT = Math.exp(ORDER_SIGMA * ORDER_SIGMA);

const logMoments = new Map<string, [number, number]>();
/**
 * Mean and variance of one order's ln(1 + f·V) (model/ecommerceSchema.ts orderValueLog) for the traffic model's
 * log-normal order value V of mean `a` (ln V ~ N(ln a − σ²/2, σ²)) scaled by an anomaly factor f: numerically, on
 * a grid over ±8 σ (exact to well under 1e-6 for these order values).
 */
export function orderLogMoments(a: number, f = 1): [number, number] {
    const key = `${a}:${f}`;
    const hit = logMoments.get(key);
    if (hit) return hit;
    const mu = Math.log(a) - (ORDER_SIGMA * ORDER_SIGMA) / 2;
    const steps = 4000;
    let w = 0, m1 = 0, m2 = 0;
    for (let i = 0; i <= steps; i++) {
        const z = -8 + (16 * i) / steps;
        const p = Math.exp(-(z * z) / 2) * (i === 0 || i === steps ? 0.5 : 1);
        const l = Math.log1p(f * Math.exp(mu + ORDER_SIGMA * z));
        w += p; m1 += p * l; m2 += p * l * l;
    }
    const mean = m1 / w;
    const out: [number, number] = [mean, Math.max(0, m2 / w - mean * mean)];
    logMoments.set(key, out);
    return out;
}

/** Expected value and variance of one minute of a slice's views / revenue under normal traffic. */
function sliceMinute(model: TrafficModel, slice: Slice, midMs: number, measure: "views" | "revenue"): [number, number] {
    const lv = slice.meanViewRate * model.seasonality(slice, midMs) * 60;
    if (measure === "views") return [lv, lv];
    const a = slice.marketplace.averageOrderValue;
    const lc = lv * P1 * P2;
    return [lc * a, lc * a * a * (ORDER_SECOND_MOMENT - 1) + lv * CHECKOUT_VARIANCE_PER_VIEW * a * a];
}

/**
 * The band stand-in of a series over `minutes` minutes from `t0Ms`: the normal traffic's mean and variance; for
 * revenue also the moments of the order-value children's numerator S = Σ ln(1 + order value) and of checkouts K per
 * minute that their band needs (per slice, with l and v_l one order's log mean and variance, orderLogMoments:
 * E[K] = λv·p1·p2, Var K = λv·(p1p2 + p2²(p1 + p1²)), E[S] = E[K]·l, Var S = E[K]·v_l + Var K·l², Cov(S, K) = l·Var K;
 * slices independent).
 */
export function expectedOf(model: TrafficModel, series: NonNullable<SimAlarm["series"]>, t0Ms: number, minutes: number): Expected {
    const mean = new Float64Array(minutes);
    const variance = new Float64Array(minutes);
    const revenue = series.measure === "revenue";
    const ratio = revenue
        ? { s: new Float64Array(minutes), k: new Float64Array(minutes), vs: new Float64Array(minutes), vk: new Float64Array(minutes), cov: new Float64Array(minutes) }
        : undefined;
    const slices = model.slices.filter((s) => sliceMatches(s, series));
    for (let i = 0; i < minutes; i++) {
        const mid = t0Ms + i * 60_000 + 30_000;
        for (const s of slices) {
            const [m, v] = sliceMinute(model, s, mid, series.measure);
            mean[i] += m;
            variance[i] += v;
            if (ratio) {
                // The order-value children's numerator: Σ ln(1 + order value) (per order mean l, variance vl).
                const lv = s.meanViewRate * model.seasonality(s, mid) * 60;
                const [l, vl] = orderLogMoments(s.marketplace.averageOrderValue);
                const k = lv * P1 * P2;
                const vk = lv * CHECKOUT_VARIANCE_PER_VIEW;
                ratio.s[i] += k * l;
                ratio.k[i] += k;
                ratio.vs[i] += k * vl + vk * l * l;
                ratio.vk[i] += vk;
                ratio.cov[i] += l * vk;
            }
        }
    }
    return ratio ? { mean, variance, ratio } : { mean, variance };
}

function anomalyFactor(a: Anomaly | undefined, slice: Slice, ms: number, measure: "views" | "revenue"): number {
    if (!a || a.measure !== measure || ms < a.startMs || ms >= a.startMs + a.durationMs) return 1;
    if (a.platform !== undefined && a.platform !== slice.platform.name) return 1;
    if (a.marketplace !== undefined && a.marketplace !== slice.marketplace.name) return 1;
    return a.factor;
}

/**
 * Per-second values of a series from the traffic model: sampled (`rng`) the way the generator draws them
 * (TrafficModel.sampleCounts per slice and second, anomaly included), or — without `rng` — the expected values
 * (noise-free, anomaly included).
 */
export function seriesValues(model: TrafficModel, series: NonNullable<SimAlarm["series"]>, t0Ms: number, seconds: number, rng?: Rng, ratio?: RatioParts): Float64Array {
    const out = new Float64Array(seconds);
    const slices = model.slices.filter((s) => sliceMatches(s, series));
    if (ratio && (ratio.checkouts.length !== seconds || ratio.orderLogs.length !== seconds)) throw new Error("checkouts and order logs must hold one value per second");
    if (rng) {
        for (let i = 0; i < seconds; i++) {
            const from = t0Ms + i * 1000;
            for (const s of slices) {
                const c = model.sampleCounts(rng, s, from, from + 1000);
                out[i] += series.measure === "views" ? c.views : c.revenue;
                if (ratio) {
                    ratio.checkouts[i] += c.checkouts;
                    ratio.orderLogs[i] += c.orderValueLog;
                }
            }
        }
        return out;
    }
    // Noise-free: the seasonal curve at each minute's middle (it moves by well under 1 % within a minute), the
    // anomaly factor per second.
    const a = model.anomaly;
    for (const s of slices) {
        const perView = series.measure === "views" ? 1 : P1 * P2 * s.marketplace.averageOrderValue;
        // The anomaly scales this slice by one factor inside [start, end) (views, or revenue on a revenue series).
        const applies = a !== undefined && (a.measure === "views" || series.measure === "revenue") &&
            anomalyFactor(a, s, a.startMs, a.measure) !== 1;
        const from = applies ? (a.startMs - t0Ms - 500) / 1000 : Infinity;
        const to = applies ? (a.startMs + a.durationMs - t0Ms - 500) / 1000 : -Infinity;
        const factor = applies ? a.factor : 1;
        // Checkouts follow views (a views anomaly scales them; a revenue anomaly, order values only).
        const checkoutFactor = applies && a.measure === "views" ? factor : 1;
        // One order's expected ln(1 + value), outside and inside a revenue anomaly.
        const logOut = orderLogMoments(s.marketplace.averageOrderValue)[0];
        const logIn = applies && a.measure === "revenue" ? orderLogMoments(s.marketplace.averageOrderValue, factor)[0] : logOut;
        for (let minute = 0; minute * 60 < seconds; minute++) {
            const rate = s.meanViewRate * model.seasonality(s, t0Ms + minute * 60_000 + 30_000);
            const base = rate * perView;
            const end = Math.min(seconds, minute * 60 + 60);
            for (let i = minute * 60; i < end; i++) {
                const inside = i >= from && i < to;
                out[i] += inside ? base * factor : base;
                if (ratio) {
                    const k = rate * P1 * P2 * (inside ? checkoutFactor : 1);
                    ratio.checkouts[i] += k;
                    ratio.orderLogs[i] += k * (inside ? logIn : logOut);
                }
            }
        }
    }
    return out;
}

/** The order-value children's per-second parts: checkouts (the denominator) and Σ ln(1 + order value) (the numerator). */
export interface RatioParts {
    checkouts: Float64Array;
    orderLogs: Float64Array;
}

function ratioParts(alarm: Pick<SimAlarm, "companion" | "shape">, seconds: number): RatioParts | undefined {
    return alarm.companion || alarm.shape.ratio ? { checkouts: new Float64Array(seconds), orderLogs: new Float64Array(seconds) } : undefined;
}

/** ReplaySeries fields of the ratio parts: `denominator` and `numerator`. */
function ratioFields(r: RatioParts | undefined): Pick<ReplaySeries, "denominator" | "numerator"> {
    return r ? { denominator: r.checkouts, numerator: r.orderLogs } : {};
}

/** WAF blocked requests per second: background `bg` a minute plus an optional attack in [attackFrom, attackTo) seconds. */
export function wafValues(bg: number, seconds: number, rng: Rng | undefined, attack?: { from: number; to: number; perMinute: number }): { values: Float64Array; expected: Expected } {
    const values = new Float64Array(seconds);
    for (let s = 0; s < seconds; s++) {
        const rate = (bg + (attack && s >= attack.from && s < attack.to ? attack.perMinute : 0)) / 60;
        values[s] = rng ? poisson(rng, rate) : rate;
    }
    const minutes = Math.ceil(seconds / 60);
    return { values, expected: { mean: new Float64Array(minutes).fill(bg), variance: new Float64Array(minutes).fill(bg) } };
}

const baseModels = new Map<string, TrafficModel>();

/**
 * The traffic model for a rate and the stack's values, with an anomaly. The model's weekly normalisation is
 * computed once per (rate, values) and shared: the anomalous model is the base model with its anomaly set.
 */
export function trafficModel(config: SimStack, rate: number, anomaly?: Anomaly): TrafficModel {
    const key = JSON.stringify([rate, config.platforms, config.marketplaces]);
    let base = baseModels.get(key);
    if (!base) {
        base = new TrafficModel({ rate, platforms: config.platforms, marketplaces: config.marketplaces });
        baseModels.set(key, base);
    }
    return anomaly ? Object.assign(Object.create(base) as TrafficModel, { anomaly }) : base;
}

// ---- one replay ------------------------------------------------------------------------------------------------

export interface SimOptions {
    rate: number;
    /** Firehose Lambda buffer interval hint (s). */
    bufferSeconds: number;
    /** Upper bound of the log-to-metric assumption (s). */
    logToMetricMax?: number;
    evaluationDelaySeconds?: number;
    /** Blocked requests a minute of the injected WAF attack. Default WAF_ATTACK_PER_MINUTE. */
    wafAttackPerMinute?: number;
    /**
     * Upper bound of the WAF publish delay (s): the WAF arrival timeline draws from WAF_PUBLISH_DELAY_SECONDS.min to
     * it. The alarms replayed keep their deployed shape, planned for WAF_PUBLISH_DELAY_SECONDS.max (one filling
     * datapoint): above that bound the newest minutes fall out of their window. Default WAF_PUBLISH_DELAY_SECONDS.max.
     */
    wafPublishDelayMax?: number;
}

function wafBackgroundOf(alarm: SimAlarm): number {
    return alarm.wafBackgroundPerMinute ?? wafBackgroundPerMinute(alarm.rule ?? "", []);
}

export function defaultSimOptions(): SimOptions {
    return { rate: DEFAULT_RATE, bufferSeconds: TRANSFORM_BUFFER_SECONDS };
}

/** Seconds of history before an anomaly: the longest window or gate any alarm reads, plus a minute. */
export function simWarmupSeconds(alarms: readonly SimAlarm[]): number {
    let w = 0;
    for (const a of alarms) w = Math.max(w, a.shape.periodSeconds * a.shape.evaluationPeriods, a.shape.gate?.windowSeconds ?? 0);
    return w + 60;
}

interface Run {
    series: ReplaySeries;
    /** Second (since the run's t0) the anomaly starts at. */
    anomalyAt: number;
    /** Seconds the anomaly lasts. */
    duration: number;
}

function arrival(alarm: SimAlarm, seconds: number, p: EmfArrivalParams, o: SimOptions, draw: Draw, flushPhase: number): Float64Array {
    return alarm.kind === "waf" ? wafVisibleAt(seconds, draw, o.wafPublishDelayMax ?? WAF_PUBLISH_DELAY_SECONDS.max) : emfVisibleAt(seconds, p, draw, flushPhase);
}

/** The injected anomaly that an alarm exists to catch (the generator's defaults: factor 0.2 / 3, 600 s). */
export function anomalyFor(alarm: SimAlarm, startMs: number): Anomaly | undefined {
    const durationMs = anomalySeconds(alarm.shape) * 1000;
    if (!alarm.series) return undefined;
    const kind = alarm.kind === "drop" ? "drop" : "spike";
    return {
        measure: alarm.series.measure,
        kind,
        platform: alarm.series.dimension === "platform" ? alarm.series.value : undefined,
        marketplace: alarm.series.dimension === "marketplace" ? alarm.series.value : undefined,
        startMs,
        durationMs,
        factor: DEFAULT_FACTOR[kind],
    };
}

/**
 * Builds one run around an anomaly starting at `startMs` (whole second; not necessarily a whole minute):
 * history for the longest window, the anomaly, and the grace period after it.
 */
function buildRun(config: SimStack, alarm: SimAlarm, warmup: number, startMs: number, o: SimOptions, draw: Draw, flushPhase: number, rng?: Rng, anomaly = true): Run {
    const t0Ms = Math.floor((startMs - warmup * 1000) / 60_000) * 60_000;
    const anomalyAt = Math.round((startMs - t0Ms) / 1000);
    const duration = anomalySeconds(alarm.shape);
    const seconds = Math.ceil((anomalyAt + duration + DETECTION_GRACE_SECONDS + 120) / 60) * 60;
    const p = emfArrivalParams(o.bufferSeconds, o.logToMetricMax);
    let values: Float64Array;
    let expected: Expected;
    let parts: RatioParts | undefined;
    if (alarm.rule !== undefined) {
        const attack = anomaly ? { from: anomalyAt, to: anomalyAt + duration, perMinute: o.wafAttackPerMinute ?? WAF_ATTACK_PER_MINUTE } : undefined;
        ({ values, expected } = wafValues(wafBackgroundOf(alarm), seconds, rng, attack));
    } else {
        const series = alarm.series!;
        const model = trafficModel(config, o.rate, anomaly ? anomalyFor(alarm, startMs) : undefined);
        parts = ratioParts(alarm, seconds);
        values = seriesValues(model, series, t0Ms, seconds, rng, parts);
        expected = expectedOf(model, series, t0Ms, seconds / 60);
    }
    return { series: { values, visibleAt: arrival(alarm, seconds, p, o, draw, flushPhase), expected, ...ratioFields(parts) }, anomalyAt, duration };
}

/** Replays an alarm as created: its band (and AOV companion), with its gate, on one series. */
export function replaySimAlarm(alarm: Pick<SimAlarm, "shape" | "companion">, series: ReplaySeries, o: Pick<SimOptions, "evaluationDelaySeconds">): ReplayResult {
    const bands = alarm.companion ? [alarm.shape, alarm.companion] : [alarm.shape];
    return replayAlarmSet(series, bands, { evaluationDelaySeconds: o.evaluationDelaySeconds });
}

/** Seconds from the anomaly's first second to the alarm's action, or undefined when it does not act in time. */
function timeToAlert(run: Run, alarm: SimAlarm, o: SimOptions): number | undefined {
    const r = replaySimAlarm(alarm, run.series, o);
    const at = firstAlarm(r, run.anomalyAt, run.anomalyAt + run.duration + DETECTION_GRACE_SECONDS);
    return at === undefined ? undefined : at - run.anomalyAt;
}

// ---- worst case (noise-free) -------------------------------------------------------------------------------------

/** A Tuesday, 00:00 UTC: reference day of the simulation (weekday traffic). */
export const REFERENCE_DAY_MS = Date.UTC(2026, 11, 1);
/** Hours of the reference day the worst case is taken at (the traffic's daily curve moves the band). */
export const WORST_CASE_HOURS = [3, 9, 15, 21] as const;
/** Anomaly start phases within the minute the worst case sweeps for ecommerce alarms (s). */
export const WORST_CASE_PHASES = [0, 1, 10, 20, 30, 40, 50, 55, 59] as const;
/**
 * WAF alarms: every second of the minute. WAF data comes whole per minute, so the worst start is the latest phase
 * whose first minute still misses the floor (an attack of r a minute starting φ s into a minute puts r(60 − φ)/60
 * blocks in it), which a coarse grid skips: with a floor of 20 at 60 a minute that is φ = 41, not 50.
 */
export const WAF_WORST_CASE_PHASES: readonly number[] = Array.from({ length: 60 }, (_, i) => i);

export interface WorstCase {
    /**
     * Largest time to alert over hours × phases × arrival bounds × buffer phases, among the runs that alert
     * (undefined when none does). Runs that never alert are counted in `missed`: at that hour the anomaly stays
     * inside the band or the baseline is below the drop floor.
     */
    worstSeconds: number | undefined;
    bestSeconds: number | undefined;
    runs: number;
    missed: number;
}

/**
 * Noise-free worst case of one alarm: the expected traffic with the default injected anomaly, every arrival
 * stage at its lower and at its upper bound, the Firehose flush grid at two phases, the anomaly starting at each
 * phase of the minute and at each reference hour. Deterministic.
 */
export function worstCase(config: SimStack, alarm: SimAlarm, o: SimOptions, warmup: number): WorstCase {
    let worst: number | undefined;
    let best: number | undefined;
    let runs = 0;
    let missed = 0;
    const flushPhases = alarm.kind === "waf" || o.bufferSeconds <= 1 ? [0] : [0, Math.floor(o.bufferSeconds / 2)];
    const p = emfArrivalParams(o.bufferSeconds, o.logToMetricMax);
    for (const hour of WORST_CASE_HOURS) {
        for (const phase of alarm.kind === "waf" ? WAF_WORST_CASE_PHASES : WORST_CASE_PHASES) {
            const start = REFERENCE_DAY_MS + hour * 3_600_000 + phase * 1000;
            const base = buildRun(config, alarm, warmup, start, o, { mode: "worst" }, 0);
            // WAF: a later publish delay can only delay a breach above the band and the floor, so the worst time is
            // the worst draw's; the best draw (for `bestSeconds`) is taken at the coarse phases only.
            const coarse = (WORST_CASE_PHASES as readonly number[]).includes(phase);
            for (const draw of (alarm.kind === "waf" && !coarse ? [{ mode: "worst" }] : [{ mode: "worst" }, { mode: "best" }]) as Draw[]) {
                for (const fp of flushPhases) {
                    const n = base.series.values.length;
                    const run: Run = { anomalyAt: base.anomalyAt, duration: base.duration, series: { ...base.series, visibleAt: arrival(alarm, n, p, o, draw, fp) } };
                    const t = timeToAlert(run, alarm, o);
                    runs += 1;
                    if (t === undefined) {
                        missed += 1;
                        continue;
                    }
                    worst = worst === undefined ? t : Math.max(worst, t);
                    best = best === undefined ? t : Math.min(best, t);
                }
            }
        }
    }
    return { worstSeconds: worst, bestSeconds: best, runs, missed };
}

// ---- sampled replays and the steady day ----------------------------------------------------------------------------

/** Report groups: an alarm kind and the series it watches (the stack totals, views by dimension, sparse revenue by dimension). */
export type SimGroup = "waf" | "spike total" | "drop total" | "spike views by dim" | "drop views by dim" | "spike revenue by dim" | "drop revenue by dim";
export const SIM_GROUPS: readonly SimGroup[] = ["waf", "spike total", "drop total", "spike views by dim", "drop views by dim", "spike revenue by dim", "drop revenue by dim"];

export function groupOf(a: SimAlarm): SimGroup {
    if (a.kind === "waf") return "waf";
    if (a.series?.dimension === undefined) return `${a.kind} total` as SimGroup;
    return `${a.kind} ${a.series.measure} by dim` as SimGroup;
}

export interface KindReport {
    group: SimGroup;
    kind: SimKind;
    /** Alarm keys of this kind. */
    alarms: number;
    /** Injected anomalies replayed (with traffic noise). */
    injected: number;
    /** Of those, the ones the alarm can see (SampledReplay.armed), and how many of these were detected. */
    armed: number;
    detected: number;
    /** Detected although not armed (noise helped). */
    detectedUnarmed: number;
    /** Over the detected sampled replays. */
    worstSeconds?: number;
    medianSeconds?: number;
    bestSeconds?: number;
    /** Noise-free worst case over this kind's alarms (model/detectionSim.ts worstCase). */
    boundSeconds?: number;
    /** ALARM transitions on the steady day(s). */
    falseAlarms: number;
    /** Alarms that missed an armed anomaly at least once. */
    missedBy: string[];
}

export interface AlarmReport {
    key: string;
    kind: SimKind;
    label: string;
    injected: number;
    armed: number;
    detected: number;
    worstSeconds?: number;
    medianSeconds?: number;
    falseAlarms: number;
    boundSeconds?: number;
    /** Noise-free worst-case runs that never alarm (anomaly inside the band or baseline under the floor). */
    boundMissed: number;
    boundRuns: number;
}

export interface SimulationReport {
    stack: string;
    options: SimOptions;
    days: number;
    replaysPerAlarm: number;
    kinds: KindReport[];
    perAlarm: AlarmReport[];
}

function median(xs: number[]): number | undefined {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
}

/** ALARM transitions of one alarm over `days` steady days (sampled traffic, random arrival). */
export function steadyFalseAlarms(config: SimStack, alarm: SimAlarm, o: SimOptions, days: number, seed: number): number {
    const rng = seededRng(seed);
    const warmup = simWarmupSeconds([alarm]);
    let count = 0;
    for (let d = 0; d < days; d++) {
        const startMs = REFERENCE_DAY_MS + d * 86_400_000;
        const t0Ms = startMs - Math.ceil(warmup / 60) * 60_000;
        const seconds = 86_400 + Math.ceil(warmup / 60) * 60;
        const p = emfArrivalParams(o.bufferSeconds, o.logToMetricMax);
        let values: Float64Array;
        let expected: Expected;
        const parts = alarm.rule === undefined ? ratioParts(alarm, seconds) : undefined;
        if (alarm.rule !== undefined) {
            ({ values, expected } = wafValues(wafBackgroundOf(alarm), seconds, rng));
        } else {
            const model = trafficModel(config, o.rate);
            values = seriesValues(model, alarm.series!, t0Ms, seconds, rng, parts);
            expected = expectedOf(model, alarm.series!, t0Ms, seconds / 60);
        }
        const visibleAt = arrival(alarm, seconds, p, o, { mode: "random", rng }, Math.floor(rng() * Math.max(1, o.bufferSeconds)));
        const r = replaySimAlarm(alarm, { values, visibleAt, expected, ...ratioFields(parts) }, o);
        count += r.transitions.filter((t) => t.state === "ALARM").length;
    }
    return count;
}

export interface SampledReplay {
    /** Seconds from the anomaly's first second to the alarm's action; undefined when it did not act in time. */
    seconds: number | undefined;
    /**
     * Whether the same anomaly, at the same instant, alarms on the noise-free traffic with every arrival stage
     * at its bound. When it does not, the anomaly is below what the alarm can see (inside the band at this load,
     * or the drop baseline under its floor) and a miss is by design, not a failure.
     */
    armed: boolean;
}

/** Sampled replays of an alarm's injected anomaly, spread over the reference day. */
export function sampledReplays(config: SimStack, alarm: SimAlarm, o: SimOptions, replays: number, seed: number): SampledReplay[] {
    const rng = seededRng(seed);
    const warmup = simWarmupSeconds([alarm]);
    const out: SampledReplay[] = [];
    for (let i = 0; i < replays; i++) {
        const start = REFERENCE_DAY_MS + Math.floor(((i + rng()) * 86_400) / replays) * 1000;
        const run = buildRun(config, alarm, warmup, start, o, { mode: "random", rng }, Math.floor(rng() * Math.max(1, o.bufferSeconds)), rng);
        const ideal = buildRun(config, alarm, warmup, start, o, { mode: "worst" }, 0);
        out.push({ seconds: timeToAlert(run, alarm, o), armed: timeToAlert(ideal, alarm, o) !== undefined });
    }
    return out;
}

/** Runs everything for the alarms of these args: noise-free bounds, sampled replays and the steady day(s), per alarm and per kind. */
export function simulate(args: CloudWatchDetectionArgs, o: SimOptions, opts: { days: number; replays: number; seed: number; only?: (a: SimAlarm) => boolean }): SimulationReport {
    const config = simStackOf(args);
    const alarms = simAlarms(args).filter(opts.only ?? (() => true));
    const perAlarm: SimulationReport["perAlarm"] = [];
    const samples = new Map<SimGroup, number[]>();
    const kinds = new Map<SimGroup, KindReport>();
    alarms.forEach((a, i) => {
        const replays = sampledReplays(config, a, o, opts.replays, opts.seed + 7919 * i);
        const detected = replays.filter((r) => r.seconds !== undefined).map((r) => r.seconds as number);
        const armed = replays.filter((r) => r.armed);
        const falseAlarms = steadyFalseAlarms(config, a, o, opts.days, opts.seed + 104729 * (i + 1));
        const bound = worstCase(config, a, o, simWarmupSeconds([a]));
        perAlarm.push({
            key: a.key, kind: a.kind, label: a.label, injected: replays.length, armed: armed.length,
            detected: armed.filter((r) => r.seconds !== undefined).length,
            worstSeconds: detected.length ? Math.max(...detected) : undefined, medianSeconds: median(detected), falseAlarms,
            boundSeconds: bound.worstSeconds, boundMissed: bound.missed, boundRuns: bound.runs,
        });
        const group = groupOf(a);
        const k = kinds.get(group) ?? { group, kind: a.kind, alarms: 0, injected: 0, armed: 0, detected: 0, detectedUnarmed: 0, falseAlarms: 0, missedBy: [] };
        k.alarms += 1;
        k.injected += replays.length;
        k.armed += armed.length;
        k.detected += armed.filter((r) => r.seconds !== undefined).length;
        k.detectedUnarmed += replays.filter((r) => !r.armed && r.seconds !== undefined).length;
        k.falseAlarms += falseAlarms;
        if (armed.some((r) => r.seconds === undefined)) k.missedBy.push(a.key);
        if (bound.worstSeconds !== undefined) k.boundSeconds = Math.max(k.boundSeconds ?? 0, bound.worstSeconds);
        kinds.set(group, k);
        samples.set(group, [...(samples.get(group) ?? []), ...detected]);
    });
    for (const [kind, k] of kinds) {
        const xs = samples.get(kind) ?? [];
        k.worstSeconds = xs.length ? Math.max(...xs) : undefined;
        k.bestSeconds = xs.length ? Math.min(...xs) : undefined;
        k.medianSeconds = median(xs);
    }
    const ordered = [...kinds.values()].sort((a, b) => SIM_GROUPS.indexOf(a.group) - SIM_GROUPS.indexOf(b.group));
    return { stack: cloudWatchDetectionSettings(args).scope.stack, options: o, days: opts.days, replaysPerAlarm: opts.replays, kinds: ordered, perAlarm };
}

/**
 * The WAF alarms' noise-free worst case for each attack size (blocked requests a minute): the WAF target of
 * ≤ 120 s needs the attack's first, partial minute to clear the floor at every start phase, so the worst case
 * falls to 120 s only once one second of attack (r / 60 blocks) reaches the floor.
 */
export function wafAttackSweep(args: CloudWatchDetectionArgs, o: SimOptions, sizes: readonly number[] = WAF_ATTACK_SWEEP_PER_MINUTE): Array<{ perMinute: number; worstSeconds?: number; missed: number }> {
    const config = simStackOf(args);
    const alarms = simAlarms(args).filter((a) => a.kind === "waf");
    return sizes.map((perMinute) => {
        let worst: number | undefined;
        let missed = 0;
        for (const a of alarms) {
            const w = worstCase(config, a, { ...o, wafAttackPerMinute: perMinute }, simWarmupSeconds([a]));
            missed += w.missed;
            if (w.worstSeconds !== undefined) worst = Math.max(worst ?? 0, w.worstSeconds);
        }
        return { perMinute, worstSeconds: worst, missed };
    });
}
