// The Firehose transform of the ecommerce pipeline: one Kinesis record holds one JSON event; each valid event
// becomes one JSON Lines row in exactly the shape the detector's metric set declares, with the Firehose
// dynamic-partitioning keys of the detector interval the event belongs to (interval START, UTC), so Firehose
// writes it under `ecommerce/live/yyyyMMdd/HHmm/`. A record that cannot be used is answered ProcessingFailed
// (Firehose writes it under the error prefix) — never dropped, never thrown for. With the CloudWatch engine the
// same pass sums the rows per minute (the record's own minute) and dimension value into CloudWatch Embedded
// Metric Format lines: the four measures and OrderValueLog, Σ ln(1 + order value) over the minute's checkouts (the
// order-value alarms' numerator: OrderValueLog / Checkouts is the mean log order value).
//
// This is the hot path of the pipeline (6 MB batches), so it avoids Date objects, regular expressions and
// JSON.stringify per record; `bench/transform.bench.ts` holds it to >= 0.75 of a decode+parse+encode floor.
import { isUtf8 } from "buffer";

import {
    DIMENSIONS,
    MAX_EVENT_AGE_SECONDS,
    MAX_FUTURE_SKEW_SECONDS,
    MAX_REVENUE,
    MALFORMED_METRIC_NAME,
    METRIC_DIMENSION_NAMES,
    METRIC_NAMES,
    METRIC_NAMESPACE,
    METRIC_UNITS,
    MEASURES,
    ORDER_VALUE_LOG_METRIC_NAME,
    OTHER_DIMENSION_VALUE,
    STACK_DIMENSION,
    orderValueLog,
} from "../model/ecommerceSchema";

// ---- Firehose data-transformation contract --------------------------------------------------------------------

export interface KinesisRecordMetadata {
    shardId: string;
    partitionKey: string;
    approximateArrivalTimestamp: number;
    sequenceNumber: string;
    subsequenceNumber: number;
}

export interface FirehoseRecord {
    recordId: string;
    /** Epoch ms the record reached the source (Kinesis) stream. */
    approximateArrivalTimestamp?: number;
    /** Base64 of the record's bytes. */
    data: string;
    kinesisRecordMetadata?: KinesisRecordMetadata;
}

export interface FirehoseTransformEvent {
    invocationId: string;
    deliveryStreamArn: string;
    sourceKinesisStreamArn?: string;
    region: string;
    records: FirehoseRecord[];
}

export type FirehoseResult = "Ok" | "Dropped" | "ProcessingFailed";

export interface PartitionKeys {
    day: string;
    time: string;
}

export interface FirehoseResponseRecord {
    recordId: string;
    result: FirehoseResult;
    data: string;
    metadata?: { partitionKeys: PartitionKeys };
}

export interface FirehoseTransformResponse {
    records: FirehoseResponseRecord[];
}

// ---- options ----------------------------------------------------------------------------------------------------

export type MetricDimension = (typeof DIMENSIONS)[number];

export interface MetricOptions {
    /** Value of the `Stack` dimension. */
    stack: string;
    /** Dimension sets besides the `[Stack]` total: `platform` -> `[Stack, Platform]`, ... */
    dimensions: readonly MetricDimension[];
    /** Values that get their own per-dimension metrics; others are summed as OTHER_DIMENSION_VALUE. */
    platforms: readonly string[];
    marketplaces: readonly string[];
}

export interface TransformOptions {
    /** Detector interval in seconds; must divide a day (300, 600, 3600, 86400). */
    intervalSeconds: number;
    maxEventAgeSeconds: number;
    maxFutureSkewSeconds: number;
    /** CloudWatch engine: emit EMF lines. Undefined (Lookout engine): emit none. */
    metrics?: MetricOptions;
}

/** Environment variables of the transform function (set by the EcommercePipeline component). */
export const ENV = {
    intervalSeconds: "ECOMMERCE_INTERVAL_SECONDS",
    emitMetrics: "ECOMMERCE_EMIT_METRICS",
    metricStack: "ECOMMERCE_METRIC_STACK",
    metricDimensions: "ECOMMERCE_METRIC_DIMENSIONS",
    watchedPlatforms: "ECOMMERCE_WATCHED_PLATFORMS",
    watchedMarketplaces: "ECOMMERCE_WATCHED_MARKETPLACES",
} as const;

function splitList(v: string | undefined): string[] {
    return (v ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Reads and validates the transform's options from its environment; throws naming the variable at fault. */
export function optionsFromEnv(env: Record<string, string | undefined>): TransformOptions {
    const rawInterval = env[ENV.intervalSeconds];
    const intervalSeconds = Number(rawInterval);
    if (!rawInterval || !Number.isInteger(intervalSeconds) || intervalSeconds < 60 || 86400 % intervalSeconds !== 0) {
        throw new Error(`${ENV.intervalSeconds}=${JSON.stringify(rawInterval ?? null)}: must be a whole number of seconds (>= 60) that divides a day, e.g. 300`);
    }
    const emit = env[ENV.emitMetrics] ?? "false";
    if (emit !== "true" && emit !== "false") {
        throw new Error(`${ENV.emitMetrics}=${JSON.stringify(emit)}: must be true or false`);
    }
    const opts: TransformOptions = { intervalSeconds, maxEventAgeSeconds: MAX_EVENT_AGE_SECONDS, maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS };
    if (emit === "true") {
        const stack = env[ENV.metricStack] ?? "";
        if (stack === "") throw new Error(`${ENV.metricStack} must name the stack when ${ENV.emitMetrics}=true`);
        const dimensions = splitList(env[ENV.metricDimensions]);
        for (const d of dimensions) {
            if (!(DIMENSIONS as readonly string[]).includes(d)) {
                throw new Error(`${ENV.metricDimensions}: ${JSON.stringify(d)} is not one of ${DIMENSIONS.join(", ")}`);
            }
        }
        opts.metrics = {
            stack,
            dimensions: dimensions as MetricDimension[],
            platforms: splitList(env[ENV.watchedPlatforms]),
            marketplaces: splitList(env[ENV.watchedMarketplaces]),
        };
    }
    return opts;
}

// ---- validation ---------------------------------------------------------------------------------------------

/** Why a record was answered ProcessingFailed. */
export const FAILURE_REASONS = [
    "not-utf8",
    "not-json",
    "not-an-object",
    "bad-timestamp",
    "too-old",
    "in-the-future",
    "bad-event-type",
    "bad-platform",
    "bad-marketplace",
    "bad-revenue",
    "internal-error",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

const OK = -1;
const F_NOT_UTF8 = 0;
const F_NOT_JSON = 1;
const F_NOT_OBJECT = 2;
const F_BAD_TIMESTAMP = 3;
const F_TOO_OLD = 4;
const F_IN_FUTURE = 5;
const F_BAD_TYPE = 6;
const F_BAD_PLATFORM = 7;
const F_BAD_MARKETPLACE = 8;
const F_BAD_REVENUE = 9;
const F_INTERNAL = 10;

const KIND_VIEW = 0;
const KIND_CART = 1;
const KIND_CHECKOUT = 2;

/** "00".."59": two-digit fields without String.padStart per record. */
const TWO_DIGITS: string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Row endings per event kind (checkout appends its revenue). */
const ROW_TAIL_VIEW = '","views":1,"carts":0,"checkouts":0,"revenue":0}\n';
const ROW_TAIL_CART = '","views":0,"carts":1,"checkouts":0,"revenue":0}\n';
const ROW_TAIL_CHECKOUT = '","views":0,"carts":0,"checkouts":1,"revenue":';

/** Per-batch working state (no module-level mutable state: the callback is serialized by Pulumi). */
interface Ctx {
    intervalMs: number;
    // result of the last parseTimestamp
    ms: number;
    text: string;
    // cache of the last formatted UTC day (epoch-day number -> "yyyy-MM-dd")
    dayNum: number;
    dayText: string;
    /** Response metadata per interval start, shared by the records of that interval. */
    partitions: Map<number, { partitionKeys: PartitionKeys }>;
}

/** Parses two ASCII digits at `i`, or -1. */
function d2(s: string, i: number): number {
    const a = s.charCodeAt(i) - 48;
    const b = s.charCodeAt(i + 1) - 48;
    if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
    return a * 10 + b;
}

function daysInMonth(y: number, m: number): number {
    if (m === 2) return (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28;
    return (m === 4 || m === 6 || m === 9 || m === 11) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
    y -= m <= 2 ? 1 : 0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
}

/** "yyyy-MM-dd HH:mm:ss" of an epoch-ms instant (UTC, seconds truncated), caching the day part. */
function formatMs(ctx: Ctx, ms: number): string {
    const dayNum = Math.floor(ms / 86400000);
    if (dayNum !== ctx.dayNum) {
        ctx.dayNum = dayNum;
        ctx.dayText = new Date(dayNum * 86400000).toISOString().slice(0, 10);
    }
    const sod = Math.floor((ms - dayNum * 86400000) / 1000);
    const h = Math.floor(sod / 3600);
    const mi = Math.floor((sod - h * 3600) / 60);
    return ctx.dayText + " " + TWO_DIGITS[h] + ":" + TWO_DIGITS[mi] + ":" + TWO_DIGITS[sod - h * 3600 - mi * 60];
}

/**
 * Strict RFC 3339 / ISO-8601 instant: `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)` (T, t or a space between
 * date and time). Sets ctx.ms and ctx.text; false when the string is not such an instant.
 */
function parseIso(ctx: Ctx, s: string): boolean {
    const n = s.length;
    if (n < 20 || n > 35) return false;
    const sep = s.charCodeAt(10);
    if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 116 && sep !== 32) ||
        s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
        return false;
    }
    const y1 = d2(s, 0);
    const y2 = d2(s, 2);
    const mo = d2(s, 5);
    const d = d2(s, 8);
    const h = d2(s, 11);
    const mi = d2(s, 14);
    const se = d2(s, 17);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return false;
    const y = y1 * 100 + y2;
    if (d > daysInMonth(y, mo)) return false;
    let i = 19;
    let frac = 0;
    if (s.charCodeAt(i) === 46) {
        i += 1;
        const start = i;
        while (i < n) {
            const c = s.charCodeAt(i) - 48;
            if (c < 0 || c > 9) break;
            if (i - start < 3) frac = frac * 10 + c;
            i += 1;
        }
        const digits = i - start;
        if (digits === 0 || digits > 9) return false;
        if (digits === 1) frac *= 100;
        else if (digits === 2) frac *= 10;
    }
    let offsetMin = 0;
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
        if (i + 1 !== n) return false;
    } else if (z === 43 || z === 45) {
        if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
        const oh = d2(s, i + 1);
        const om = d2(s, i + 4);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
        offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
        return false;
    }
    const ms = (((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60 + se) * 1000 + frac - offsetMin * 60000;
    ctx.ms = ms;
    ctx.text = offsetMin === 0 ? s.substring(0, 10) + " " + s.substring(11, 19) : formatMs(ctx, ms);
    return true;
}

/** The largest instant a Date can hold (ms); beyond it formatting would throw. */
const MAX_DATE_MS = 8.64e15;

function parseTimestamp(ctx: Ctx, v: unknown): boolean {
    if (typeof v === "string") return parseIso(ctx, v);
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0 && v <= MAX_DATE_MS) {
        ctx.ms = v;
        ctx.text = formatMs(ctx, v);
        return true;
    }
    return false;
}

/** A platform / marketplace value: 1–64 of A–Z a–z 0–9 _ . - (so rows never need JSON escaping). */
function isDimensionValue(v: unknown): v is string {
    if (typeof v !== "string") return false;
    const n = v.length;
    if (n === 0 || n > 64) return false;
    for (let i = 0; i < n; i++) {
        const c = v.charCodeAt(i);
        if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45)) return false;
    }
    return true;
}

function metadataFor(ctx: Ctx, startMs: number): { partitionKeys: PartitionKeys } {
    let md = ctx.partitions.get(startMs);
    if (md === undefined) {
        const dayNum = Math.floor(startMs / 86400000);
        const iso = new Date(dayNum * 86400000).toISOString();
        const sod = Math.floor((startMs - dayNum * 86400000) / 1000);
        const h = Math.floor(sod / 3600);
        const mi = Math.floor((sod - h * 3600) / 60);
        md = { partitionKeys: { day: iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10), time: TWO_DIGITS[h] + TWO_DIGITS[mi] } };
        ctx.partitions.set(startMs, md);
    }
    return md;
}

/** A short, log-safe rendering of a bad value. */
function show(v: unknown): string {
    let s: string;
    try {
        s = v === undefined ? "undefined" : JSON.stringify(v) ?? String(v);
    } catch {
        // e.g. arrays nested 10,000 deep: JSON.stringify and String() both overflow the stack.
        s = Array.isArray(v) ? "[array]" : typeof v === "object" && v !== null ? "{object}" : typeof v;
    }
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function failureDetail(code: number, ev: Record<string, unknown> | undefined, opts: TransformOptions): string {
    switch (code) {
        case F_NOT_UTF8: return "data is not valid UTF-8";
        case F_NOT_JSON: return "data is not JSON";
        case F_NOT_OBJECT: return "event is not a JSON object";
        case F_BAD_TIMESTAMP: return `timestamp ${show(ev?.timestamp)} is not an ISO-8601 instant with a zone or epoch milliseconds`;
        case F_TOO_OLD: return `timestamp ${show(ev?.timestamp)} is more than ${opts.maxEventAgeSeconds} s before the record's arrival`;
        case F_IN_FUTURE: return `timestamp ${show(ev?.timestamp)} is more than ${opts.maxFutureSkewSeconds} s after the record's arrival`;
        case F_BAD_TYPE: return `eventType ${show(ev?.eventType)} is not one of view, cart, checkout`;
        case F_BAD_PLATFORM: return `platform ${show(ev?.platform)} is not 1-64 of A-Z a-z 0-9 _ . -`;
        case F_BAD_MARKETPLACE: return `marketplace ${show(ev?.marketplace)} is not 1-64 of A-Z a-z 0-9 _ . -`;
        case F_BAD_REVENUE:
            return ev?.eventType === "checkout"
                ? `revenue ${show(ev?.revenue)} must be a number from 0 to ${MAX_REVENUE} on a checkout`
                : `revenue ${show(ev?.revenue)} is only allowed (non-zero) on a checkout`;
        default: return "unexpected error while transforming the record";
    }
}

// ---- EMF aggregation ----------------------------------------------------------------------------------------

/**
 * Sums per measure, in MEASURES order (views, carts, checkouts, revenue), then Σ orderValueLog(revenue) over the
 * checkouts (slot LOG_SLOT, emitted as ORDER_VALUE_LOG_METRIC_NAME).
 */
export type Sums = [number, number, number, number, number];

/** The Sums slot of Σ ln(1 + revenue) over the checkouts. */
const LOG_SLOT = 4;

/**
 * The metric definitions of every EMF line that carries the measures (the `[Stack]` total and each `[Stack,
 * Platform]` / `[Stack, Marketplace]` value), in the order of Sums: Views, Carts, Checkouts (Count), Revenue and
 * OrderValueLog (None). The EMF specification allows at most 100 metric definitions per directive and 30 dimension
 * keys per set (test/ecommerceTransform.test.ts checks both); each also is one custom metric per dimension-set value
 * (scripts/lib/cost.ts and scripts/lib/simulationCost.ts count them from this list).
 */
export const EMF_METRICS: readonly { readonly Name: string; readonly Unit: "Count" | "None" }[] = [
    ...MEASURES.map((m) => ({ Name: METRIC_NAMES[m], Unit: METRIC_UNITS[m] })),
    { Name: ORDER_VALUE_LOG_METRIC_NAME, Unit: "None" },
];

interface IntervalSums {
    total: Sums;
    platform: Map<string, Sums>;
    marketplace: Map<string, Sums>;
}

/** Rounds away float noise of summed currency values and logs (keeps 6 decimals). */
function round6(x: number): number {
    return Math.round(x * 1e6) / 1e6;
}

/** One CloudWatch Embedded Metric Format line for one dimension set and its values. */
export function emfLine(timestampMs: number, stack: string, dimension: MetricDimension | undefined, value: string | undefined, sums: Sums): string {
    const dims = dimension === undefined ? [STACK_DIMENSION] : [STACK_DIMENSION, METRIC_DIMENSION_NAMES[dimension]];
    const doc: Record<string, unknown> = {
        _aws: {
            Timestamp: timestampMs,
            CloudWatchMetrics: [{
                Namespace: METRIC_NAMESPACE,
                Dimensions: [dims],
                Metrics: EMF_METRICS,
            }],
        },
        [STACK_DIMENSION]: stack,
    };
    if (dimension !== undefined) doc[METRIC_DIMENSION_NAMES[dimension]] = value;
    EMF_METRICS.forEach((m, i) => {
        doc[m.Name] = i >= 3 ? round6(sums[i]) : sums[i];
    });
    return JSON.stringify(doc);
}

/** The EMF line counting the batch's malformed records (dimension set `[Stack]`). */
export function malformedEmfLine(timestampMs: number, stack: string, count: number): string {
    return JSON.stringify({
        _aws: {
            Timestamp: timestampMs,
            CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[STACK_DIMENSION]], Metrics: [{ Name: MALFORMED_METRIC_NAME, Unit: "Count" }] }],
        },
        [STACK_DIMENSION]: stack,
        [MALFORMED_METRIC_NAME]: count,
    });
}

// ---- the batch transform ------------------------------------------------------------------------------------

export interface FailureSample {
    recordId: string;
    reason: FailureReason;
    detail: string;
}

export interface TransformOutcome {
    response: FirehoseTransformResponse;
    ok: number;
    failed: number;
    /** Failed records per reason (only reasons that occurred). */
    reasons: Partial<Record<FailureReason, number>>;
    /** The first few failures, with a description naming the field at fault. */
    samples: FailureSample[];
    /** EMF lines (empty unless opts.metrics). */
    emf: string[];
}

const MAX_SAMPLES = 10;
/** Records up to this many decoded bytes are decoded into one reusable buffer instead of a new one each. */
const SCRATCH_BYTES = 64 * 1024;

/** Per-record working state of a batch, reused across records. */
interface RecordState {
    /** Set by validate(): the row (without the trailing newline for checkouts) and what to sum. */
    row: string;
    kind: number;
    platform: string;
    marketplace: string;
    revenue: number;
}

/** Decodes a record's base64 data to text; a failure code when it is not UTF-8 (or not a string). */
function decode(scratch: Buffer, data: unknown): string | number {
    if (typeof data !== "string") return F_NOT_JSON;
    let text: string;
    let bytes: Buffer;
    if (data.length <= (SCRATCH_BYTES / 3) * 4) {
        const n = scratch.write(data, 0, "base64");
        text = scratch.toString("utf8", 0, n);
        bytes = scratch;
        // Invalid UTF-8 decodes to U+FFFD; only then is the (slower) exact check needed, since a valid
        // event may also contain a literal U+FFFD.
        if (text.indexOf("\uFFFD") !== -1 && !isUtf8(bytes.subarray(0, n))) return F_NOT_UTF8;
    } else {
        bytes = Buffer.from(data, "base64");
        if (!isUtf8(bytes)) return F_NOT_UTF8;
        text = bytes.toString("utf8");
    }
    return text;
}

/** Validates one parsed event against the schema; on success fills `st` and returns OK. */
function validate(ctx: Ctx, st: RecordState, ev: Record<string, unknown>, arrival: number, maxAgeMs: number, maxSkewMs: number): number {
    if (!parseTimestamp(ctx, ev.timestamp)) return F_BAD_TIMESTAMP;
    const ms = ctx.ms;
    if (ms < arrival - maxAgeMs) return F_TOO_OLD;
    if (ms > arrival + maxSkewMs) return F_IN_FUTURE;
    const t = ev.eventType;
    const kind: number = t === "view" ? KIND_VIEW : t === "cart" ? KIND_CART : t === "checkout" ? KIND_CHECKOUT : -1;
    if (kind < 0) return F_BAD_TYPE;
    const platform = ev.platform;
    if (!isDimensionValue(platform)) return F_BAD_PLATFORM;
    const marketplace = ev.marketplace;
    if (!isDimensionValue(marketplace)) return F_BAD_MARKETPLACE;
    const r = ev.revenue;
    const head = '{"timestamp":"' + ctx.text + '","platform":"' + platform + '","marketplace":"' + marketplace;
    if (kind === KIND_CHECKOUT) {
        if (typeof r !== "number" || !(r >= 0) || !(r <= MAX_REVENUE)) return F_BAD_REVENUE;
        st.revenue = r;
        st.row = head + ROW_TAIL_CHECKOUT + r + "}\n";
    } else {
        if (r !== undefined && r !== 0) return F_BAD_REVENUE;
        st.revenue = 0;
        st.row = head + (kind === KIND_VIEW ? ROW_TAIL_VIEW : ROW_TAIL_CART);
    }
    st.kind = kind;
    st.platform = platform;
    st.marketplace = marketplace;
    return OK;
}

/** Sums of one interval for one dimension value, resolved once per distinct raw value (watched or other). */
function bucketOf(cache: Map<string, Sums>, byValue: Map<string, Sums>, watched: Set<string>, value: string): Sums {
    let s = cache.get(value);
    if (s === undefined) {
        const key = watched.has(value) ? value : OTHER_DIMENSION_VALUE;
        s = byValue.get(key);
        if (s === undefined) {
            s = [0, 0, 0, 0, 0];
            byValue.set(key, s);
        }
        cache.set(value, s);
    }
    return s;
}

interface IntervalState extends IntervalSums {
    /** Raw dimension value -> its bucket in this interval (unwatched values share the OTHER bucket). */
    platformCache: Map<string, Sums>;
    marketplaceCache: Map<string, Sums>;
}

/**
 * Transforms one Firehose batch. Pure apart from reading the records; never throws for a record: a record
 * that fails for any reason (including a bug) is answered ProcessingFailed with its original data.
 * `nowMs` stands in for the arrival time of records that carry none.
 */
export function transformBatch(records: readonly FirehoseRecord[], opts: TransformOptions, nowMs: number): TransformOutcome {
    const ctx: Ctx = { intervalMs: opts.intervalSeconds * 1000, ms: 0, text: "", dayNum: NaN, dayText: "", partitions: new Map() };
    const st: RecordState = { row: "", kind: 0, platform: "", marketplace: "", revenue: 0 };
    const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
    const maxAgeMs = opts.maxEventAgeSeconds * 1000;
    const maxSkewMs = opts.maxFutureSkewSeconds * 1000;
    const intervalMs = ctx.intervalMs;
    const out: FirehoseResponseRecord[] = new Array(records.length);
    const counts: number[] = new Array(FAILURE_REASONS.length).fill(0);
    const samples: FailureSample[] = [];
    let ok = 0;

    const metrics = opts.metrics;
    const byPlatform = metrics !== undefined && metrics.dimensions.includes("platform");
    const byMarketplace = metrics !== undefined && metrics.dimensions.includes("marketplace");
    const watchedPlatforms = new Set(metrics?.platforms ?? []);
    const watchedMarketplaces = new Set(metrics?.marketplaces ?? []);
    const sums = new Map<number, IntervalState>();
    let lastStart = NaN;
    let last: IntervalState | undefined;

    for (let i = 0; i < records.length; i++) {
        const item: unknown = records[i];
        // Firehose always sends objects; anything else is still answered (failed), never thrown for.
        const rec = (typeof item === "object" && item !== null ? item : { recordId: item, data: "" }) as FirehoseRecord;
        let code = OK;
        let ev: Record<string, unknown> | undefined;
        try {
            const text = decode(scratch, rec.data);
            if (typeof text === "number") {
                code = text;
            } else {
                let parsed: unknown;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    code = F_NOT_JSON;
                }
                if (code === OK) {
                    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
                        code = F_NOT_OBJECT;
                    } else {
                        ev = parsed as Record<string, unknown>;
                        const arrival = typeof rec.approximateArrivalTimestamp === "number" ? rec.approximateArrivalTimestamp : nowMs;
                        code = validate(ctx, st, ev, arrival, maxAgeMs, maxSkewMs);
                    }
                }
            }
            if (code === OK) {
                const start = Math.floor(ctx.ms / intervalMs) * intervalMs;
                out[i] = {
                    recordId: rec.recordId,
                    result: "Ok",
                    // rows are ASCII (validated values, digits, fixed text), which btoa encodes directly
                    data: btoa(st.row),
                    metadata: metadataFor(ctx, start),
                };
                ok += 1;
                if (metrics !== undefined) {
                    // EMF datapoints carry the record's own minute (not the detector interval's start), so a
                    // CloudWatch alarm's period sums exactly the events that happened in it.
                    const minute = Math.floor(ctx.ms / 60000) * 60000;
                    if (minute !== lastStart) {
                        last = sums.get(minute);
                        if (last === undefined) {
                            last = { total: [0, 0, 0, 0, 0], platform: new Map(), marketplace: new Map(), platformCache: new Map(), marketplaceCache: new Map() };
                            sums.set(minute, last);
                        }
                        lastStart = minute;
                    }
                    const s = last as IntervalState;
                    const kind = st.kind;
                    const revenue = st.revenue;
                    // One checkout's ln(1 + order value); views and carts add nothing (a minute of them: 0).
                    const lv = kind === KIND_CHECKOUT ? orderValueLog(revenue) : 0;
                    s.total[kind] += 1;
                    s.total[3] += revenue;
                    s.total[LOG_SLOT] += lv;
                    if (byPlatform) {
                        const b = bucketOf(s.platformCache, s.platform, watchedPlatforms, st.platform);
                        b[kind] += 1;
                        b[3] += revenue;
                        b[LOG_SLOT] += lv;
                    }
                    if (byMarketplace) {
                        const b = bucketOf(s.marketplaceCache, s.marketplace, watchedMarketplaces, st.marketplace);
                        b[kind] += 1;
                        b[3] += revenue;
                        b[LOG_SLOT] += lv;
                    }
                }
            }
        } catch {
            code = F_INTERNAL;
        }
        if (code !== OK) {
            counts[code] += 1;
            if (samples.length < MAX_SAMPLES) {
                let detail: string;
                try {
                    detail = failureDetail(code, ev, opts);
                } catch {
                    detail = "(value not printable)";
                }
                samples.push({ recordId: rec.recordId, reason: FAILURE_REASONS[code], detail });
            }
            out[i] = { recordId: rec.recordId, result: "ProcessingFailed", data: typeof rec.data === "string" ? rec.data : "" };
        }
    }

    const reasons: Partial<Record<FailureReason, number>> = {};
    let failed = 0;
    counts.forEach((c, code) => {
        if (c > 0) {
            reasons[FAILURE_REASONS[code]] = c;
            failed += c;
        }
    });

    const emf: string[] = [];
    if (metrics !== undefined) {
        const byName = ([a]: [string, Sums], [b]: [string, Sums]) => (a < b ? -1 : a > b ? 1 : 0);
        for (const start of [...sums.keys()].sort((a, b) => a - b)) {
            const s = sums.get(start) as IntervalState;
            emf.push(emfLine(start, metrics.stack, undefined, undefined, s.total));
            for (const [value, v] of [...s.platform.entries()].sort(byName)) emf.push(emfLine(start, metrics.stack, "platform", value, v));
            for (const [value, v] of [...s.marketplace.entries()].sort(byName)) emf.push(emfLine(start, metrics.stack, "marketplace", value, v));
        }
        emf.push(malformedEmfLine(nowMs, metrics.stack, failed));
    }

    return { response: { records: out }, ok, failed, reasons, samples, emf };
}

// ---- the Lambda entry point ---------------------------------------------------------------------------------

export interface TransformIo {
    /** Writes one EMF line to the function's log stream as-is (process.stdout, not console: see README). */
    emit(line: string): void;
    /** A structured log line. */
    log(level: "info" | "warn", entry: Record<string, unknown>): void;
    now(): number;
}

/**
 * Handles one Firehose transformation invocation. Throws only when the invocation itself is not a Firehose
 * transformation event (no `records` array): Firehose then retries the whole batch and, after its retries,
 * sends it to the error prefix as `processing-failed`.
 */
export function handleTransformEvent(event: unknown, opts: TransformOptions, io: TransformIo): FirehoseTransformResponse {
    const e = event as Partial<FirehoseTransformEvent> | null;
    if (e === null || typeof e !== "object" || !Array.isArray(e.records)) {
        throw new TypeError("ecommerce transform: the event is not a Firehose data-transformation event (no records array)");
    }
    const outcome = transformBatch(e.records, opts, io.now());
    for (const line of outcome.emf) io.emit(line);
    io.log(outcome.failed > 0 ? "warn" : "info", {
        msg: "ecommerce transform",
        invocationId: e.invocationId,
        records: e.records.length,
        ok: outcome.ok,
        failed: outcome.failed,
        reasons: outcome.reasons,
        samples: outcome.samples,
    });
    return outcome.response;
}
