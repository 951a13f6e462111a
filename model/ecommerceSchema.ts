// The contract between the ecommerce pipeline (what it writes), the detectors (what they read) and the tools
// (generator, backfill). One module so the S3 layout, the row shape and the metric names cannot drift apart.

/** Live rows: one folder per detector interval, HHmm = the interval's start (UTC). */
export const LIVE_PREFIX = "ecommerce/live/";
/** Backfilled history, same layout and row format as live, read by Lookout for Metrics' HistoricalDataPathList. */
export const HISTORICAL_PREFIX = "ecommerce/historical/";
/** Records Firehose could not process or deliver. */
export const ERROR_PREFIX = "ecommerce/errors/";

/** Event types the site sends. */
export const EVENT_TYPES = ["view", "cart", "checkout"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Measures in each row (all summed by the detectors). */
export const MEASURES = ["views", "carts", "checkouts", "revenue"] as const;
export type Measure = (typeof MEASURES)[number];

/** Dimension columns of each row. */
export const DIMENSIONS = ["platform", "marketplace"] as const;

/** Timestamp column and its format (Lookout for Metrics `TimestampColumn`). */
export const TIMESTAMP_COLUMN = "timestamp";
export const TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss";

/** One row as the transform writes it (JSON Lines: one object per line). */
export interface EcommerceRow {
    timestamp: string;
    platform: string;
    marketplace: string;
    views: number;
    carts: number;
    checkouts: number;
    revenue: number;
}

/** Lookout for Metrics templated path of the live data for a bucket. */
export function templatedPath(bucket: string): string {
    return `s3://${bucket}/${LIVE_PREFIX}{{yyyyMMdd}}/{{HHmm}}`;
}

/** Lookout for Metrics historical path of the backfilled data for a bucket. */
export function historicalPath(bucket: string): string {
    return `s3://${bucket}/${HISTORICAL_PREFIX}`;
}

/** CloudWatch engine: namespace of the Embedded Metric Format metrics the transform emits. */
export const METRIC_NAMESPACE = "EdgeAnomaly/Ecommerce";
/** CloudWatch engine: the dimension every EMF metric carries so stacks sharing an account do not mix. */
export const STACK_DIMENSION = "Stack";
/** CloudWatch engine: EMF metric names per measure. */
export const METRIC_NAMES: Readonly<Record<Measure, string>> = {
    views: "Views",
    carts: "Carts",
    checkouts: "Checkouts",
    revenue: "Revenue",
};
/**
 * CloudWatch engine: the EMF metric summing ln(1 + order value) over a period's checkouts (`orderValueLog`). Divided
 * by Checkouts it is the mean log order value — the log of the geometric-mean ("typical") order value — which the
 * revenue series' order-value band children watch (components/cloudwatchDetection.ts). Order values are roughly
 * log-normal, so a pricing error that multiplies them by f moves this mean by ln f whatever the order's size, with
 * a spread (≈ 0.6 / √checkouts) that does not grow with the large orders' tail: a drop to 20 % is 2.7 standard
 * deviations of one order, where on Revenue / Checkouts it is about 1.2. Not a row column (the S3 layout and the
 * Lookout detectors are unchanged). Unit None.
 */
export const ORDER_VALUE_LOG_METRIC_NAME = "OrderValueLog";

/** One checkout's contribution to ORDER_VALUE_LOG_METRIC_NAME: ln(1 + revenue), 0 for a free order. */
export function orderValueLog(revenue: number): number {
    return Math.log1p(revenue);
}

/**
 * CloudWatch engine: EMF dimension names. The transform emits, per interval, the total (`[Stack]`) and one
 * dimension set per configured ecommerce dimension (`[Stack, Platform]`, `[Stack, Marketplace]`).
 */
export const METRIC_DIMENSION_NAMES: Readonly<Record<(typeof DIMENSIONS)[number], string>> = {
    platform: "Platform",
    marketplace: "Marketplace",
};

/**
 * CloudWatch engine: the `Stack` dimension's value — the Pulumi stack name (`AppConfig.stack`). Alarms and
 * dashboards must use the same value.
 */
export function stackDimensionValue(config: { stack: string }): string {
    return config.stack;
}

/** Which ecommerce series the CloudWatch engine emits (pipeline transform) and watches (alarms, dashboard). */
export interface EcommerceSeriesOptions {
    /** Value of the `Stack` dimension. Default: the stack name (`stackDimensionValue`). */
    stackDimension?: string;
    /** Dimensions besides the total. Default `["platform", "marketplace"]`. */
    dimensions?: readonly (typeof DIMENSIONS)[number][];
    /** Platform values with their own series (others are summed under `_other`). Default `web, ios, android`. */
    platforms?: readonly string[];
    /** Marketplace values with their own series. Default `US, UK, DE, JP`. */
    marketplaces?: readonly string[];
}

export interface EcommerceSeriesSettings {
    readonly stackDimension: string;
    readonly dimensions: readonly (typeof DIMENSIONS)[number][];
    readonly platforms: readonly string[];
    readonly marketplaces: readonly string[];
}

export const ECOMMERCE_SERIES_DEFAULTS = {
    dimensions: ["platform", "marketplace"], platforms: ["web", "ios", "android"], marketplaces: ["US", "UK", "DE", "JP"],
} as const;

export function resolveEcommerceSeries(o: EcommerceSeriesOptions | undefined, stack: string): EcommerceSeriesSettings {
    return {
        stackDimension: o?.stackDimension ?? stackDimensionValue({ stack }),
        dimensions: o?.dimensions ?? ECOMMERCE_SERIES_DEFAULTS.dimensions,
        platforms: o?.platforms ?? ECOMMERCE_SERIES_DEFAULTS.platforms,
        marketplaces: o?.marketplaces ?? ECOMMERCE_SERIES_DEFAULTS.marketplaces,
    };
}

/** CloudWatch EMF units of each measure. */
export const METRIC_UNITS: Readonly<Record<Measure, "Count" | "None">> = {
    views: "Count",
    carts: "Count",
    checkouts: "Count",
    revenue: "None",
};

/**
 * CloudWatch engine: per-dimension metrics are emitted only for the watched values of the stack config
 * (`detection.platforms` / `detection.marketplaces`); every other value is summed under this one, so a stream of
 * unexpected values cannot create an unbounded number of custom metrics. The `[Stack]` total counts everything.
 */
export const OTHER_DIMENSION_VALUE = "_other";

/** CloudWatch engine: records the transform answered `ProcessingFailed`, per batch, dimension set `[Stack]`. */
export const MALFORMED_METRIC_NAME = "MalformedRecords";

// ---- events (what the site / generator puts on the Kinesis stream) ------------------------------------------

/**
 * One event on the Kinesis stream: UTF-8 JSON, one event per Kinesis record. Unknown fields are ignored.
 * `timestamp` is an ISO-8601 string with a zone (`2024-05-01T10:07:23.120Z`, `2024-05-01T12:07:23+02:00`) or
 * epoch milliseconds; `revenue` is required (>= 0) on checkouts and must be absent or 0 otherwise.
 */
export interface EcommerceEvent {
    eventId?: string;
    timestamp: string | number;
    eventType: EventType;
    platform: string;
    marketplace: string;
    revenue?: number;
}

/** What a platform or marketplace value may look like (the same rule the stack config applies to watched values). */
export const DIMENSION_VALUE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Events older than this (relative to their Kinesis arrival) are refused: the detectors have already read
 * that interval, and bounding the age bounds the number of Firehose partitions one buffer can open
 * (24 h of 5-minute intervals = 288, under the quota of 500 active partitions).
 */
export const MAX_EVENT_AGE_SECONDS = 24 * 3600;
/** Events stamped further than this in the future (client clock skew) are refused. */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60;
/**
 * Firehose invokes the transform at least this often (seconds) when its 3 MB buffer does not fill: the
 * processor's BufferIntervalInSeconds (hint range 0–900, default 60: Firehose "Transform source data"), set
 * explicitly. 10 s rather than the default so a record's EMF metrics reach the 1-minute alarms within their
 * filling datapoint (model/metricArrival.ts: ≤ 50 s end to end); the cost is about 6× the transform invocations
 * of the default (≈ 263,000 a month instead of 43,800, each a few ms — README "Detection latency"). Not the
 * default also keeps the parameter in the provider's state (it drops parameters equal to their defaults).
 */
export const TRANSFORM_BUFFER_SECONDS = 10;
/**
 * Revenue of one checkout above this is refused as bad data: summed per interval it must stay a finite number
 * CloudWatch accepts (|value| < 2^360) and that does not swamp a detector's sums.
 */
export const MAX_REVENUE = 1e9;

// ---- S3 layout --------------------------------------------------------------------------------------------------

/** Names of the Firehose dynamic-partitioning keys the transform returns in `metadata.partitionKeys`. */
export const PARTITION_KEYS = { day: "day", time: "time" } as const;

/** Firehose S3 prefix of the live rows: the interval start's UTC day and HHmm, both computed by the transform. */
export const LIVE_PREFIX_EXPRESSION =
    `${LIVE_PREFIX}!{partitionKeyFromLambda:${PARTITION_KEYS.day}}/!{partitionKeyFromLambda:${PARTITION_KEYS.time}}/`;
/** Firehose S3 prefix of failed records: `processing-failed/`, `partitioning-failed/`, ... then the arrival day. */
export const ERROR_PREFIX_EXPRESSION = `${ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;

/** File extension of delivered (and backfilled) objects for a compression setting. */
export function dataFileExtension(compression: "UNCOMPRESSED" | "GZIP"): string {
    return compression === "GZIP" ? ".jsonl.gz" : ".jsonl";
}

function pad2(n: number): string {
    return n < 10 ? `0${n}` : String(n);
}

/** Start (epoch ms) of the interval of `intervalSeconds` that contains `epochMs` (UTC, epoch-aligned). */
export function intervalStartMs(epochMs: number, intervalSeconds: number): number {
    const ms = intervalSeconds * 1000;
    return Math.floor(epochMs / ms) * ms;
}

/** `yyyyMMdd` and `HHmm` (UTC) of an instant: the folder names of the interval starting then. */
export function partitionOf(startMs: number): { day: string; time: string } {
    const d = new Date(startMs);
    return {
        day: `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`,
        time: `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}`,
    };
}

/** The folder (`<prefix>yyyyMMdd/HHmm/`) holding the rows of the interval that starts at `startMs`. */
export function intervalFolder(prefix: string, startMs: number): string {
    const p = partitionOf(startMs);
    return `${prefix}${p.day}/${p.time}/`;
}

/** An instant in the row timestamp format, `yyyy-MM-dd HH:mm:ss` (UTC, seconds truncated). */
export function formatRowTimestamp(epochMs: number): string {
    const d = new Date(epochMs);
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
        `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}
