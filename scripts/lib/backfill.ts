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
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

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

/** Objects that could not be written (after the SDK's own retries). */
export class BackfillError extends Error {
    constructor(public readonly failures: { key: string; error: string }[], public readonly written: WriteStats) {
        super(`backfill: ${failures.length} object(s) could not be written (${written.objects} were): ` +
            failures.slice(0, 5).map((f) => `${f.key}: ${f.error}`).join("; ") + (failures.length > 5 ? "; ..." : ""));
        this.name = "BackfillError";
    }
}

/**
 * Uploads the objects with at most `concurrency` PutObject calls in flight. The bucket's default encryption
 * (the pipeline's KMS key) applies: no ServerSideEncryption header is sent, since `aws:kms` without a key id
 * would pick the AWS-managed key instead. A failed object does not stop the others; all failures are reported.
 */
export async function uploadBackfill(client: S3Client, bucket: string, objects: Iterable<BackfillObject>, opts: { concurrency?: number; onObject?: (o: BackfillObject) => void } = {}): Promise<WriteStats> {
    const concurrency = opts.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`--concurrency must be a whole number from 1 to 64`);
    const it = objects[Symbol.iterator]();
    const stats: WriteStats = { objects: 0, rows: 0, bytes: 0 };
    const failures: { key: string; error: string }[] = [];
    const worker = async () => {
        for (let next = it.next(); !next.done; next = it.next()) {
            const o = next.value;
            try {
                await client.send(new PutObjectCommand({
                    Bucket: bucket,
                    Key: o.key,
                    Body: o.body,
                    ContentType: o.key.endsWith(".gz") ? "application/gzip" : "application/x-ndjson",
                }));
                stats.objects += 1;
                stats.rows += o.rows;
                stats.bytes += o.body.length;
                opts.onObject?.(o);
            } catch (e) {
                failures.push({ key: o.key, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
            }
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failures.length) throw new BackfillError(failures, stats);
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
