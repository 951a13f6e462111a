// The historical backfill's logic: N days of generated traffic (scripts/lib/trafficModel.ts), in the live row
// format and folder layout, under the historical prefix that Lookout for Metrics' HistoricalDataPathList names,
// so a new detector learns from that history instead of waiting through its cold start.
//
// One object per interval (`ecommerce/historical/yyyyMMdd/HHmm/backfill.jsonl[.gz]`) holding one row per
// (platform, marketplace) with that interval's sums, stamped with the interval start. The detector sums rows per
// interval and dimension values, so an aggregated row counts exactly as the per-event rows the live pipeline
// writes — at a fraction of the objects and bytes. Keys are deterministic: re-running overwrites, never doubles.
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { PutObjectCommand, S3Client, S3ClientConfig } from "@aws-sdk/client-s3";

import {
    EcommerceRow,
    formatRowTimestamp,
    HISTORICAL_PREFIX,
    intervalFolder,
    intervalStartMs,
    dataFileExtension,
} from "../../model/ecommerceSchema";
import { Rng, TrafficModel } from "./trafficModel";

export const MAX_BACKFILL_DAYS = 90;

export interface BackfillObject {
    key: string;
    body: Buffer;
    rows: number;
    /** Start of the interval the object holds. */
    startMs: number;
}

export interface BackfillPlan {
    model: TrafficModel;
    rng: Rng;
    days: number;
    intervalSeconds: number;
    /** History ends at the start of the interval containing this instant (that interval is live data's). */
    endMs: number;
    compression: "UNCOMPRESSED" | "GZIP";
}

/** A row as one JSON line, columns in the schema order (the transform writes the same shape). */
export function rowLine(r: EcommerceRow): string {
    return JSON.stringify({
        timestamp: r.timestamp,
        platform: r.platform,
        marketplace: r.marketplace,
        views: r.views,
        carts: r.carts,
        checkouts: r.checkouts,
        revenue: r.revenue,
    }) + "\n";
}

/** The first and the end (exclusive) instant of the history. */
export function backfillRange(p: Pick<BackfillPlan, "days" | "intervalSeconds" | "endMs">): { fromMs: number; toMs: number } {
    if (!Number.isInteger(p.days) || p.days < 1 || p.days > MAX_BACKFILL_DAYS) {
        throw new Error(`--days must be a whole number from 1 to ${MAX_BACKFILL_DAYS} (got ${p.days})`);
    }
    const toMs = intervalStartMs(p.endMs, p.intervalSeconds);
    return { fromMs: toMs - p.days * 86400_000, toMs };
}

/** The objects of the history, interval by interval, generated lazily. */
export function* planBackfill(p: BackfillPlan): Generator<BackfillObject> {
    const { fromMs, toMs } = backfillRange(p);
    const step = p.intervalSeconds * 1000;
    const ext = dataFileExtension(p.compression);
    for (let t = fromMs; t < toMs; t += step) {
        const timestamp = formatRowTimestamp(t);
        let text = "";
        let rows = 0;
        for (const slice of p.model.slices) {
            const c = p.model.sampleCounts(p.rng, slice, t, t + step);
            if (c.views + c.carts + c.checkouts === 0) continue; // live data has no row for silence either
            text += rowLine({ timestamp, platform: slice.platform.name, marketplace: slice.marketplace.name, ...c });
            rows += 1;
        }
        const raw = Buffer.from(text, "utf8");
        yield {
            key: `${intervalFolder(HISTORICAL_PREFIX, t)}backfill${ext}`,
            body: p.compression === "GZIP" ? zlib.gzipSync(raw) : raw,
            rows,
            startMs: t,
        };
    }
}

export interface WriteStats {
    objects: number;
    rows: number;
    bytes: number;
}

/** One object that was not written: its key, how many PutObject calls were made for it, and the last error. */
export interface BackfillFailure {
    key: string;
    attempts: number;
    error: string;
}

/**
 * Objects that could not be written. A plain Error with properties (not a subclass) so `failures` and `written`
 * survive whatever wraps or copies it; `name` is "BackfillError".
 */
export type BackfillError = Error & { name: "BackfillError"; failures: BackfillFailure[]; written: UploadStats };

export function backfillError(failures: BackfillFailure[], written: UploadStats): BackfillError {
    const e = new Error(`${failures.length} object(s) not written (${written.objects} were): ` +
        failures.slice(0, 5).map((f) => `${f.key} (${f.attempts} attempt(s)): ${f.error}`).join("; ") + (failures.length > 5 ? "; ..." : ""));
    return Object.assign(e, { name: "BackfillError" as const, failures, written });
}

export function isBackfillError(e: unknown): e is BackfillError {
    return e instanceof Error && e.name === "BackfillError" && Array.isArray((e as Partial<BackfillError>).failures);
}

/**
 * The backfill's own retry schedule, per object. The SDK's standard retry strategy shares one retry quota per
 * client (@smithy/util-retry: 500 tokens, 5 per retry, 10 per timeout, refilled only by successes): under
 * sustained throttling a warm client drains it after about 100 retries, and from then on every call gets one
 * attempt. So the backfill's client makes one attempt per call (`backfillS3Client`) and this loop retries each
 * object itself, with capped exponential backoff and full jitter, until it is written or its attempts run out.
 */
export interface PutRetryOptions {
    /** PutObject calls per object, the first included (default 12). */
    maxAttempts: number;
    /** First backoff cap (default 200 ms); doubles per retry up to `maxDelayMs` (default 20 s). */
    baseDelayMs: number;
    maxDelayMs: number;
    sleep: (ms: number) => Promise<void>;
    /** Uniform [0, 1) for the jitter. */
    random: () => number;
}

export const DEFAULT_PUT_RETRY: Omit<PutRetryOptions, "sleep" | "random"> = { maxAttempts: 12, baseDelayMs: 200, maxDelayMs: 20_000 };

const RETRYABLE_CODES = new Set([
    "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException", "RequestTimeout",
    "RequestTimeoutException", "InternalError", "ServiceUnavailable", "TimeoutError",
]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);

/** Throttling, a 5xx, a timeout or a dropped connection: worth another attempt. AccessDenied, NoSuchBucket: not. */
export function isRetryablePutError(e: unknown): boolean {
    if (typeof e !== "object" || e === null) return false;
    const x = e as { name?: string; code?: string; $retryable?: unknown; $fault?: string; $metadata?: { httpStatusCode?: number } };
    const status = x.$metadata?.httpStatusCode;
    return !!x.$retryable || RETRYABLE_CODES.has(x.name ?? "") || NETWORK_CODES.has(x.code ?? "") ||
        x.$fault === "server" || (status !== undefined && (status >= 500 || status === 429));
}

/** Delay before retry `attempt` (1 = the first retry): full jitter under a cap that doubles per retry. */
export function putBackoffMs(attempt: number, o: Pick<PutRetryOptions, "baseDelayMs" | "maxDelayMs" | "random">): number {
    return Math.round(Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1)) * o.random());
}

/** An S3 client for the backfill: one attempt per call (the backfill retries per object, see PutRetryOptions). */
export function backfillS3Client(region: string, extra: Omit<S3ClientConfig, "region" | "maxAttempts"> = {}): S3Client {
    return new S3Client({ ...extra, region, maxAttempts: 1 });
}

export interface UploadOptions {
    concurrency?: number;
    onObject?: (o: BackfillObject) => void;
    retry?: Partial<PutRetryOptions>;
}

export interface UploadStats extends WriteStats {
    /** PutObject calls that failed and were retried. */
    retried: number;
}

/**
 * Uploads the objects with at most `concurrency` PutObject calls in flight. The bucket's default encryption
 * (the pipeline's KMS key) applies: no ServerSideEncryption header is sent, since `aws:kms` without a key id
 * would pick the AWS-managed key instead. Each object is retried on its own (throttling, 5xx, timeouts) until it
 * is written or out of attempts; a failed object does not stop the others, and every object not written is
 * reported in the BackfillError (key, attempts, last error).
 */
export async function uploadBackfill(client: S3Client, bucket: string, objects: Iterable<BackfillObject>, opts: UploadOptions = {}): Promise<UploadStats> {
    const concurrency = opts.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be a whole number from 1 to 64`);
    const retry: PutRetryOptions = {
        ...DEFAULT_PUT_RETRY,
        sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
        ...opts.retry,
    };
    const it = objects[Symbol.iterator]();
    const stats: UploadStats = { objects: 0, rows: 0, bytes: 0, retried: 0 };
    const failures: BackfillFailure[] = [];
    const put = async (o: BackfillObject): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
            try {
                await client.send(new PutObjectCommand({
                    Bucket: bucket,
                    Key: o.key,
                    Body: o.body,
                    ContentType: o.key.endsWith(".gz") ? "application/gzip" : "application/x-ndjson",
                }));
                return;
            } catch (e) {
                if (!isRetryablePutError(e) || attempt >= retry.maxAttempts) {
                    failures.push({ key: o.key, attempts: attempt, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
                    throw e;
                }
                stats.retried += 1;
                await retry.sleep(putBackoffMs(attempt, retry));
            }
        }
    };
    const worker = async () => {
        for (let next = it.next(); !next.done; next = it.next()) {
            const o = next.value;
            try {
                await put(o);
            } catch {
                continue; // recorded in failures
            }
            stats.objects += 1;
            stats.rows += o.rows;
            stats.bytes += o.body.length;
            opts.onObject?.(o);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failures.length) throw backfillError(failures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), stats);
    return stats;
}

/** Writes the objects under `dir` (same keys as paths), for inspection or a later `aws s3 sync`. */
export function writeBackfillToDir(dir: string, objects: Iterable<BackfillObject>): WriteStats {
    const stats: WriteStats = { objects: 0, rows: 0, bytes: 0 };
    for (const o of objects) {
        const file = path.join(dir, ...o.key.split("/"));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, o.body);
        stats.objects += 1;
        stats.rows += o.rows;
        stats.bytes += o.body.length;
    }
    return stats;
}
