// The ecommerce traffic model shared by the traffic generator and the historical backfill: expected event
// rates per (platform, marketplace) with a daily curve in each marketplace's local time (web peaks at midday,
// apps in the evening), a weekly curve (weekends lift apps and dip web), a fixed view → cart → checkout funnel,
// order values per marketplace, and an optional injected anomaly. Deterministic for a seed.
import { EcommerceEvent, orderValueLog } from "../../model/ecommerceSchema";
import { parseInstant } from "./instant";

// ---- randomness ---------------------------------------------------------------------------------------------

/** A seeded uniform [0, 1) generator (mulberry32): same seed, same traffic. */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Standard normal (Box–Muller). */
export function normal(rng: Rng): number {
    let u = 0;
    while (u === 0) u = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Poisson(lambda): exact (Knuth) below 30, normal approximation above. */
export function poisson(rng: Rng, lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 30) {
        const l = Math.exp(-lambda);
        let k = 0;
        let p = 1;
        do {
            k += 1;
            p *= rng();
        } while (p > l);
        return k - 1;
    }
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rng)));
}

// ---- profiles -----------------------------------------------------------------------------------------------

export interface PlatformProfile {
    name: string;
    /** Share of traffic (weights are normalised over the platforms in use). */
    weight: number;
    /** Local hour of peak traffic. */
    peakHour: number;
    /** Multiplier on Saturdays and Sundays. */
    weekendFactor: number;
}

export interface MarketplaceProfile {
    name: string;
    weight: number;
    /** Fixed UTC offset used for the local daily curve. */
    utcOffsetHours: number;
    /** Mean order value (revenue per checkout, in the reporting currency). */
    averageOrderValue: number;
}

export const KNOWN_PLATFORMS: readonly PlatformProfile[] = [
    { name: "web", weight: 0.5, peakHour: 13, weekendFactor: 0.85 },
    { name: "ios", weight: 0.3, peakHour: 21, weekendFactor: 1.2 },
    { name: "android", weight: 0.2, peakHour: 20, weekendFactor: 1.15 },
];

export const KNOWN_MARKETPLACES: readonly MarketplaceProfile[] = [
    { name: "US", weight: 0.45, utcOffsetHours: -5, averageOrderValue: 62 },
    { name: "UK", weight: 0.2, utcOffsetHours: 0, averageOrderValue: 48 },
    { name: "DE", weight: 0.2, utcOffsetHours: 1, averageOrderValue: 52 },
    { name: "JP", weight: 0.15, utcOffsetHours: 9, averageOrderValue: 41 },
];

/** Profiles for the named values: known names keep theirs, others get a neutral profile. */
export function platformProfiles(names: readonly string[]): PlatformProfile[] {
    return names.map((name) => KNOWN_PLATFORMS.find((p) => p.name === name) ?? { name, weight: 0.2, peakHour: 18, weekendFactor: 1 });
}

export function marketplaceProfiles(names: readonly string[]): MarketplaceProfile[] {
    return names.map((name) => KNOWN_MARKETPLACES.find((m) => m.name === name) ?? { name, weight: 0.1, utcOffsetHours: 0, averageOrderValue: 50 });
}

/** Carts per view and checkouts per cart. */
export const FUNNEL = { cartPerView: 0.08, checkoutPerCart: 0.35 } as const;
/** Events of all types per view. */
export const EVENTS_PER_VIEW = 1 + FUNNEL.cartPerView + FUNNEL.cartPerView * FUNNEL.checkoutPerCart;
/** Spread (log-space sigma) of order values. */
export const ORDER_SIGMA = 0.6;

// ---- anomaly ------------------------------------------------------------------------------------------------

export type AnomalyMeasure = "views" | "revenue";
export type AnomalyKind = "drop" | "spike";

/**
 * A change injected into one slice of the traffic. `views` scales the slice's traffic (views and, through
 * the funnel, carts and checkouts — what an outage or a bot surge does); `revenue` scales only its order
 * values (a pricing error). The slice is one platform and/or one marketplace (neither: all traffic).
 */
export interface Anomaly {
    measure: AnomalyMeasure;
    kind: AnomalyKind;
    platform?: string;
    marketplace?: string;
    startMs: number;
    durationMs: number;
    /** Multiplier while active: < 1 for a drop, > 1 for a spike. */
    factor: number;
}

export const DEFAULT_FACTOR: Readonly<Record<AnomalyKind, number>> = { drop: 0.2, spike: 3 };

/**
 * Parses `measure=views,kind=drop,platform=ios,at=+600,duration=900,factor=0.2`. `at` is seconds after
 * `startMs` (`+600`) or an ISO-8601 instant; `duration` is seconds (default 600); `factor` defaults to 0.2 for
 * a drop and 3 for a spike. Throws naming the part at fault.
 */
export function parseAnomaly(spec: string, startMs: number, dims: { platforms: readonly string[]; marketplaces: readonly string[] }): Anomaly {
    const fields: Record<string, string> = {};
    for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
        const eq = part.indexOf("=");
        if (eq <= 0) throw new Error(`--anomaly: "${part}" is not key=value`);
        const key = part.slice(0, eq).trim();
        if (!["measure", "kind", "platform", "marketplace", "at", "duration", "factor"].includes(key)) {
            throw new Error(`--anomaly: unknown key "${key}" (use measure, kind, platform, marketplace, at, duration, factor)`);
        }
        fields[key] = part.slice(eq + 1).trim();
    }
    const measure = fields.measure ?? "views";
    if (measure !== "views" && measure !== "revenue") throw new Error(`--anomaly: measure "${measure}" must be views or revenue`);
    const kind = fields.kind;
    if (kind !== "drop" && kind !== "spike") throw new Error(`--anomaly: kind must be drop or spike (got ${JSON.stringify(kind ?? null)})`);
    if (fields.platform !== undefined && !dims.platforms.includes(fields.platform)) {
        throw new Error(`--anomaly: platform "${fields.platform}" is not one of ${dims.platforms.join(", ")}`);
    }
    if (fields.marketplace !== undefined && !dims.marketplaces.includes(fields.marketplace)) {
        throw new Error(`--anomaly: marketplace "${fields.marketplace}" is not one of ${dims.marketplaces.join(", ")}`);
    }
    let at = startMs;
    if (fields.at !== undefined) {
        if (/^\+\d+(\.\d+)?$/.test(fields.at)) at = startMs + Number(fields.at.slice(1)) * 1000;
        else if (/^\d{4}-/.test(fields.at)) {
            const r = parseInstant(fields.at);
            if ("error" in r) throw new Error(`--anomaly: at "${fields.at}" ${r.error}`);
            at = r.ms;
        } else throw new Error(`--anomaly: at "${fields.at}" must be +SECONDS or an ISO-8601 instant`);
    }
    const duration = fields.duration === undefined ? 600 : Number(fields.duration);
    if (!Number.isFinite(duration) || duration <= 0) throw new Error(`--anomaly: duration "${fields.duration}" must be a positive number of seconds`);
    const factor = fields.factor === undefined ? DEFAULT_FACTOR[kind] : Number(fields.factor);
    if (!Number.isFinite(factor) || factor < 0) throw new Error(`--anomaly: factor "${fields.factor}" must be a number >= 0`);
    if (kind === "drop" && factor >= 1) throw new Error(`--anomaly: a drop needs a factor below 1 (got ${factor})`);
    if (kind === "spike" && factor <= 1) throw new Error(`--anomaly: a spike needs a factor above 1 (got ${factor})`);
    return { measure, kind, platform: fields.platform, marketplace: fields.marketplace, startMs: at, durationMs: duration * 1000, factor };
}

// ---- the model ----------------------------------------------------------------------------------------------

export interface TrafficModelOptions {
    /** Mean events per second (all types, all slices) averaged over a week. */
    rate: number;
    platforms?: readonly string[];
    marketplaces?: readonly string[];
    anomaly?: Anomaly;
}

export interface Slice {
    platform: PlatformProfile;
    marketplace: MarketplaceProfile;
    /** Mean views per second of this slice over a week. */
    meanViewRate: number;
    /** 1 / the weekly mean of the raw seasonal curve (so the curve averages 1). */
    norm: number;
}

/** Measures of one slice over a span of time (the row shape without timestamp/dimensions). */
export interface SliceCounts {
    views: number;
    carts: number;
    checkouts: number;
    revenue: number;
    /** Σ ln(1 + order value) over the checkouts (model/ecommerceSchema.ts orderValueLog). */
    orderValueLog: number;
}

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

export class TrafficModel {
    readonly slices: Slice[];
    readonly rate: number;
    readonly anomaly?: Anomaly;

    constructor(opts: TrafficModelOptions) {
        if (!(opts.rate > 0) || !Number.isFinite(opts.rate)) throw new Error(`rate must be a positive number of events per second (got ${opts.rate})`);
        const platforms = platformProfiles(opts.platforms ?? KNOWN_PLATFORMS.map((p) => p.name));
        const marketplaces = marketplaceProfiles(opts.marketplaces ?? KNOWN_MARKETPLACES.map((m) => m.name));
        if (platforms.length === 0 || marketplaces.length === 0) throw new Error("the model needs at least one platform and one marketplace");
        const pw = platforms.reduce((a, p) => a + p.weight, 0);
        const mw = marketplaces.reduce((a, m) => a + m.weight, 0);
        this.rate = opts.rate;
        this.anomaly = opts.anomaly;
        const viewRate = opts.rate / EVENTS_PER_VIEW;
        this.slices = [];
        for (const p of platforms) {
            for (const m of marketplaces) {
                // weekly mean of the raw curve, sampled every 10 minutes
                let sum = 0;
                let n = 0;
                for (let t = 0; t < WEEK_MS; t += 600_000) {
                    sum += rawSeasonality(p, m, t);
                    n += 1;
                }
                this.slices.push({ platform: p, marketplace: m, meanViewRate: viewRate * (p.weight / pw) * (m.weight / mw), norm: n / sum });
            }
        }
    }

    /** Seasonal multiplier of a slice at an instant (weekly mean 1). */
    seasonality(slice: Slice, ms: number): number {
        return rawSeasonality(slice.platform, slice.marketplace, ms) * slice.norm;
    }

    private factorFor(slice: Slice, ms: number, measure: AnomalyMeasure): number {
        const a = this.anomaly;
        if (!a || a.measure !== measure || ms < a.startMs || ms >= a.startMs + a.durationMs) return 1;
        if (a.platform !== undefined && a.platform !== slice.platform.name) return 1;
        if (a.marketplace !== undefined && a.marketplace !== slice.marketplace.name) return 1;
        return a.factor;
    }

    /** Expected views per second of a slice at an instant, anomaly included. */
    viewRate(slice: Slice, ms: number): number {
        return slice.meanViewRate * this.seasonality(slice, ms) * this.factorFor(slice, ms, "views");
    }

    /** One order value of a slice at an instant (log-normal around the marketplace mean), anomaly included, in cents. */
    orderValue(rng: Rng, slice: Slice, ms: number): number {
        const mu = Math.log(slice.marketplace.averageOrderValue) - (ORDER_SIGMA * ORDER_SIGMA) / 2;
        const v = Math.exp(mu + ORDER_SIGMA * normal(rng)) * this.factorFor(slice, ms, "revenue");
        return Math.round(v * 100) / 100;
    }

    /** Counts of one slice over [fromMs, toMs), drawn around the expected rates (integrated per minute). */
    sampleCounts(rng: Rng, slice: Slice, fromMs: number, toMs: number): SliceCounts {
        let expectedViews = 0;
        for (let t = fromMs; t < toMs; t += 60_000) {
            const step = Math.min(60_000, toMs - t);
            expectedViews += this.viewRate(slice, t + step / 2) * (step / 1000);
        }
        const views = poisson(rng, expectedViews);
        const carts = poisson(rng, views * FUNNEL.cartPerView);
        const checkouts = poisson(rng, carts * FUNNEL.checkoutPerCart);
        let revenue = 0;
        let logSum = 0;
        const mid = (fromMs + toMs) / 2;
        for (let k = 0; k < checkouts; k++) {
            const v = this.orderValue(rng, slice, mid);
            revenue += v;
            logSum += orderValueLog(v);
        }
        return { views, carts, checkouts, revenue: Math.round(revenue * 100) / 100, orderValueLog: logSum };
    }

    /**
     * Events of all slices in [fromMs, toMs), sorted by time: the views of a slice come from its rate, carts and
     * checkouts through the funnel, each at a uniform instant of the span.
     */
    events(rng: Rng, fromMs: number, toMs: number): EcommerceEvent[] {
        const span = toMs - fromMs;
        const out: { ms: number; ev: EcommerceEvent }[] = [];
        for (const slice of this.slices) {
            const c = this.sampleCounts(rng, slice, fromMs, toMs);
            const add = (eventType: "view" | "cart" | "checkout") => {
                const ms = fromMs + Math.floor(rng() * span);
                const ev: EcommerceEvent = {
                    eventId: eventId(rng),
                    timestamp: new Date(ms).toISOString(),
                    eventType,
                    platform: slice.platform.name,
                    marketplace: slice.marketplace.name,
                };
                if (eventType === "checkout") ev.revenue = this.orderValue(rng, slice, ms);
                out.push({ ms, ev });
            };
            for (let k = 0; k < c.views; k++) add("view");
            for (let k = 0; k < c.carts; k++) add("cart");
            for (let k = 0; k < c.checkouts; k++) add("checkout");
        }
        out.sort((a, b) => a.ms - b.ms);
        return out.map((o) => o.ev);
    }
}

/** Daily curve (local time, peak at the platform's peak hour) times the weekend factor. */
function rawSeasonality(p: PlatformProfile, m: MarketplaceProfile, ms: number): number {
    const local = ms + m.utcOffsetHours * HOUR_MS;
    const hour = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    let dist = Math.abs(hour - p.peakHour);
    if (dist > 12) dist = 24 - dist;
    const daily = 0.15 + 0.85 * Math.exp(-(dist * dist) / (2 * 4.5 * 4.5));
    const dow = new Date(local).getUTCDay(); // 0 = Sunday
    const weekly = dow === 0 || dow === 6 ? p.weekendFactor : 1;
    return daily * weekly;
}

function eventId(rng: Rng): string {
    let s = "";
    for (let i = 0; i < 4; i++) s += Math.floor(rng() * 0x100000000).toString(16).padStart(8, "0");
    return s;
}
