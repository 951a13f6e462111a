// The traffic generator's logic: ticks of generated events (scripts/lib/trafficModel.ts), sent to the Kinesis
// stream with PutRecords in calls of at most 500 records / 5 MiB, re-sending exactly the records a call reports
// as failed (FailedRecordCount with HTTP 200) with exponential backoff and jitter, and failing loudly when
// records still fail after the last attempt. Request-level errors (throttling of the whole call, network) are
// retried by the SDK client itself (maxAttempts on the client).
import { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";

import { EcommerceEvent } from "../../model/ecommerceSchema";
import { Rng, TrafficModel } from "./trafficModel";

export const MAX_RECORDS_PER_CALL = 500;
/** PutRecords accepts at most 5 MiB per call (data plus partition keys). */
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

export interface RetryOptions {
    /** Calls per record set, the first included. */
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    sleep: (ms: number) => Promise<void>;
    /** Uniform [0, 1) for the jitter. */
    random: () => number;
}

export const DEFAULT_RETRY: Omit<RetryOptions, "sleep" | "random"> = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5000 };

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records that still failed after the last attempt. */
export class PutRecordsError extends Error {
    constructor(public readonly failed: number, public readonly total: number, public readonly errorCodes: Record<string, number>, attempts: number) {
        super(`PutRecords: ${failed} of ${total} records still failing after ${attempts} attempts (` +
            `${Object.entries(errorCodes).map(([c, n]) => `${c} x${n}`).join(", ")})`);
        this.name = "PutRecordsError";
    }
}

/** One Kinesis record per event: the event's JSON (UTF-8), partitioned by eventId so shards fill evenly. */
export function toEntries(events: readonly EcommerceEvent[]): PutRecordsRequestEntry[] {
    return events.map((e, i) => ({
        Data: Buffer.from(JSON.stringify(e), "utf8"),
        PartitionKey: e.eventId ?? `${e.platform}-${e.marketplace}-${i}`,
    }));
}

function entryBytes(e: PutRecordsRequestEntry): number {
    return (e.Data?.byteLength ?? 0) + Buffer.byteLength(e.PartitionKey ?? "", "utf8");
}

/** Splits entries into PutRecords calls of at most `maxCount` records and `maxBytes` bytes. */
export function batches(entries: readonly PutRecordsRequestEntry[], maxCount = MAX_RECORDS_PER_CALL, maxBytes = MAX_BYTES_PER_CALL): PutRecordsRequestEntry[][] {
    const out: PutRecordsRequestEntry[][] = [];
    let cur: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    for (const e of entries) {
        const n = entryBytes(e);
        if (n > maxBytes) throw new Error(`a record of ${n} bytes exceeds the PutRecords request limit of ${maxBytes} bytes`);
        if (cur.length === maxCount || bytes + n > maxBytes) {
            out.push(cur);
            cur = [];
            bytes = 0;
        }
        cur.push(e);
        bytes += n;
    }
    if (cur.length) out.push(cur);
    return out;
}

/** Delay before retry `attempt` (1 = the first retry): exponential, capped, with jitter in [50%, 100%]. */
export function backoffMs(attempt: number, opts: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random">): number {
    const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap * (0.5 + opts.random() / 2));
}

export interface PutResult {
    calls: number;
    /** Records re-sent because a call reported them failed (a record re-sent twice counts twice). */
    retried: number;
}

/** Puts one call's worth of records, re-sending the failed ones until none fail or the attempts run out. */
export async function putRecordsWithRetry(client: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[], opts: RetryOptions): Promise<PutResult> {
    let pending = entries;
    let calls = 0;
    let retried = 0;
    for (let attempt = 1; ; attempt++) {
        const res = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
        calls += 1;
        const failedCount = res.FailedRecordCount ?? 0;
        if (failedCount === 0) return { calls, retried };
        const results = res.Records ?? [];
        if (results.length !== pending.length) {
            throw new Error(`PutRecords answered ${results.length} results for ${pending.length} records; cannot tell which failed`);
        }
        const failed: PutRecordsRequestEntry[] = [];
        const codes: Record<string, number> = {};
        results.forEach((r, i) => {
            if (r.ErrorCode) {
                failed.push(pending[i]);
                codes[r.ErrorCode] = (codes[r.ErrorCode] ?? 0) + 1;
            }
        });
        if (failed.length === 0) {
            throw new Error(`PutRecords reported FailedRecordCount ${failedCount} but no record carries an ErrorCode`);
        }
        if (attempt >= opts.maxAttempts) throw new PutRecordsError(failed.length, entries.length, codes, attempt);
        await opts.sleep(backoffMs(attempt, opts));
        retried += failed.length;
        pending = failed;
    }
}

export interface SendStats {
    records: number;
    calls: number;
    retried: number;
}

/** Sends events to the stream, call by call (≤ 500 records, ≤ 5 MiB each). */
export async function sendEvents(client: KinesisClient, streamName: string, events: readonly EcommerceEvent[], opts: RetryOptions): Promise<SendStats> {
    const stats: SendStats = { records: events.length, calls: 0, retried: 0 };
    for (const batch of batches(toEntries(events))) {
        const r = await putRecordsWithRetry(client, streamName, batch, opts);
        stats.calls += r.calls;
        stats.retried += r.retried;
    }
    return stats;
}

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export interface GeneratorOptions {
    model: TrafficModel;
    rng: Rng;
    /** First instant of generated traffic. */
    startMs: number;
    durationSeconds: number;
    /** Length of one tick (events are generated and handed to the sink per tick). */
    tickMs?: number;
    /** Wait for each tick to pass on the clock before handing its events over (live traffic); false: simulate. */
    realtime: boolean;
    clock: Clock;
    /** Receives each tick's events, sorted by time. */
    sink: (events: EcommerceEvent[], tickStartMs: number) => Promise<void>;
}

/** Generates `durationSeconds` of traffic tick by tick; returns how many events it produced. */
export async function runGenerator(o: GeneratorOptions): Promise<{ events: number; ticks: number }> {
    if (!(o.durationSeconds > 0)) throw new Error(`duration must be a positive number of seconds (got ${o.durationSeconds})`);
    const tickMs = o.tickMs ?? 1000;
    const endMs = o.startMs + o.durationSeconds * 1000;
    let events = 0;
    let ticks = 0;
    for (let from = o.startMs; from < endMs; from += tickMs) {
        const to = Math.min(from + tickMs, endMs);
        if (o.realtime) {
            // the tick's events have all happened once the tick is over: never send events from the future
            const wait = to - o.clock.now();
            if (wait > 0) await o.clock.sleep(wait);
        }
        const batch = o.model.events(o.rng, from, to);
        await o.sink(batch, from);
        events += batch.length;
        ticks += 1;
    }
    return { events, ticks };
}
