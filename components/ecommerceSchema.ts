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
 * CloudWatch engine: EMF dimension names. The transform emits, per interval, the total (`[Stack]`) and one
 * dimension set per configured ecommerce dimension (`[Stack, Platform]`, `[Stack, Marketplace]`).
 */
export const METRIC_DIMENSION_NAMES: Readonly<Record<(typeof DIMENSIONS)[number], string>> = {
    platform: "Platform",
    marketplace: "Marketplace",
};
