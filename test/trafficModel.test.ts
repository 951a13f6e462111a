// The traffic model and the two tools built on it: the generator (PutRecords batching and the retry of the
// records a call reports failed, against a mocked Kinesis client) and the historical backfill (layout and
// format of the objects, uploads against a mocked S3 client), plus their command lines.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import * as http from "http";
import { spawn } from "child_process";
import { KinesisClient, PutRecordsCommand, PutRecordsCommandInput } from "@aws-sdk/client-kinesis";
import { PutObjectCommand, PutObjectCommandInput, S3Client } from "@aws-sdk/client-s3";

import { DIMENSIONS, EcommerceEvent, intervalStartMs, MEASURES, partitionOf, TIMESTAMP_COLUMN } from "../model/ecommerceSchema";
import { MAX_EVENT_AGE_SECONDS, MAX_FUTURE_SKEW_SECONDS } from "../model/ecommerceSchema";
import { FirehoseRecord, transformBatch } from "../handlers/ecommerceTransform";
import {
    backfillRange, backfillS3Client, DEFAULT_PUT_RETRY, isBackfillError, isRetryablePutError, planBackfill, putBackoffMs, uploadBackfill, writeBackfillToDir,
} from "../scripts/lib/backfill";
import { backfillCli, generateTrafficCli, UsageError } from "../scripts/lib/cli";
import { parseInstant } from "../scripts/lib/instant";
import {
    backoffMs, batches, MAX_RECORDS_PER_CALL, PutRecordsError, putRecordsWithRetry, RetryOptions, runGenerator, sendEvents, toEntries,
} from "../scripts/lib/generator";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import { FUNNEL, normal, parseAnomaly, poisson, seededRng, TrafficModel } from "../scripts/lib/trafficModel";

const T0 = Date.UTC(2024, 4, 15, 10, 7, 0); // Wednesday 2024-05-15 10:07 UTC
const DIMS = { platforms: ["web", "ios", "android"], marketplaces: ["US", "UK", "DE", "JP"] };
const HOUR = 3600_000;

describe("traffic model", () => {
    it("is deterministic for a seed", () => {
        const m = new TrafficModel({ rate: 50 });
        const a = m.events(seededRng(7), T0, T0 + 5000);
        const b = m.events(seededRng(7), T0, T0 + 5000);
        const c = m.events(seededRng(8), T0, T0 + 5000);
        assert.deepStrictEqual(a, b);
        assert.notDeepStrictEqual(a, c);
    });

    it("samples Poisson counts with the right mean and variance, small and large", () => {
        const rng = seededRng(1);
        for (const lambda of [3, 250]) {
            const xs = Array.from({ length: 20000 }, () => poisson(rng, lambda));
            const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
            const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
            assert.ok(Math.abs(mean - lambda) / lambda < 0.02, `mean ${mean} for ${lambda}`);
            assert.ok(Math.abs(variance - lambda) / lambda < 0.06, `variance ${variance} for ${lambda}`);
            assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0));
        }
        assert.strictEqual(poisson(rng, 0), 0);
        const zs = Array.from({ length: 20000 }, () => normal(rng));
        assert.ok(Math.abs(zs.reduce((a, b) => a + b, 0) / zs.length) < 0.03);
    });

    it("averages --rate events per second over a week, and each slice's seasonality averages 1", () => {
        const rate = 20;
        const m = new TrafficModel({ rate });
        let perSecond = 0;
        const step = 5 * 60_000;
        const samples = (7 * 24 * HOUR) / step;
        for (const s of m.slices) {
            let season = 0;
            for (let t = T0; t < T0 + 7 * 24 * HOUR; t += step) {
                season += m.seasonality(s, t);
                perSecond += m.viewRate(s, t) * (1 + FUNNEL.cartPerView + FUNNEL.cartPerView * FUNNEL.checkoutPerCart);
            }
            assert.ok(Math.abs(season / samples - 1) < 0.01, `${s.platform.name}/${s.marketplace.name} mean ${season / samples}`);
        }
        assert.ok(Math.abs(perSecond / samples - rate) / rate < 0.01, `weekly mean ${perSecond / samples}`);
    });

    it("follows each marketplace's local day: web peaks at midday, apps in the evening, nights are quiet", () => {
        const m = new TrafficModel({ rate: 20 });
        const slice = (p: string, mk: string) => m.slices.find((s) => s.platform.name === p && s.marketplace.name === mk)!;
        const day = Date.UTC(2024, 4, 15); // a Wednesday
        const local = (mk: string, hour: number) => day + (hour - slice("web", mk).marketplace.utcOffsetHours) * HOUR;
        for (const mk of DIMS.marketplaces) {
            assert.ok(m.viewRate(slice("web", mk), local(mk, 13)) > 4 * m.viewRate(slice("web", mk), local(mk, 3)), `web ${mk}`);
            assert.ok(m.viewRate(slice("ios", mk), local(mk, 21)) > m.viewRate(slice("ios", mk), local(mk, 13)), `ios ${mk}`);
        }
        // weekends: apps up, web down (Saturday vs the Wednesday before, same local hour)
        const sat = day + 3 * 24 * HOUR;
        assert.ok(m.viewRate(slice("ios", "UK"), sat + 20 * HOUR) > m.viewRate(slice("ios", "UK"), day + 20 * HOUR));
        assert.ok(m.viewRate(slice("web", "UK"), sat + 13 * HOUR) < m.viewRate(slice("web", "UK"), day + 13 * HOUR));
    });

    it("injects a views anomaly into its slice and window only", () => {
        const anomaly = parseAnomaly("measure=views,kind=drop,platform=ios,at=+600,duration=300,factor=0.1", T0, DIMS);
        const m = new TrafficModel({ rate: 20, anomaly });
        const base = new TrafficModel({ rate: 20 });
        for (let i = 0; i < m.slices.length; i++) {
            const s = m.slices[i];
            const inside = T0 + 700_000;
            const expected = s.platform.name === "ios" ? 0.1 : 1;
            assert.ok(Math.abs(m.viewRate(s, inside) / base.viewRate(base.slices[i], inside) - expected) < 1e-9);
            for (const outside of [T0 + 599_000, T0 + 900_000]) assert.strictEqual(m.viewRate(s, outside), base.viewRate(base.slices[i], outside));
        }
    });

    it("injects a revenue anomaly into order values only", () => {
        const anomaly = parseAnomaly("measure=revenue,kind=spike,marketplace=JP,duration=3600", T0, DIMS);
        const m = new TrafficModel({ rate: 20, anomaly });
        const jp = m.slices.find((s) => s.marketplace.name === "JP")!;
        const us = m.slices.find((s) => s.marketplace.name === "US")!;
        const mean = (s: typeof jp, t: number) => {
            const rng = seededRng(3);
            let sum = 0;
            for (let i = 0; i < 4000; i++) sum += m.orderValue(rng, s, t);
            return sum / 4000;
        };
        assert.ok(Math.abs(mean(jp, T0 + 60_000) / mean(jp, T0 + 2 * HOUR) - 3) < 0.01);
        assert.ok(Math.abs(mean(us, T0 + 60_000) / mean(us, T0 + 2 * HOUR) - 1) < 0.01);
        assert.strictEqual(m.viewRate(jp, T0 + 60_000), new TrafficModel({ rate: 20 }).viewRate(jp, T0 + 60_000));
    });

    it("parses anomaly specs and refuses bad ones, naming the part", () => {
        assert.deepStrictEqual(parseAnomaly("kind=spike,at=2024-05-15T11:00:00Z", T0, DIMS), {
            measure: "views", kind: "spike", platform: undefined, marketplace: undefined, startMs: Date.UTC(2024, 4, 15, 11), durationMs: 600_000, factor: 3,
        });
        const bad: [string, RegExp][] = [
            ["measure=views", /kind must be drop or spike/],
            ["kind=drop,measure=carts", /measure "carts" must be views or revenue/],
            ["kind=drop,colour=red", /unknown key "colour"/],
            ["kind=drop,platform=tv", /platform "tv" is not one of web, ios, android/],
            ["kind=drop,marketplace=FR", /marketplace "FR" is not one of US, UK, DE, JP/],
            ["kind=drop,factor=2", /a drop needs a factor below 1/],
            ["kind=spike,factor=0.5", /a spike needs a factor above 1/],
            ["kind=drop,at=soon", /at "soon" must be \+SECONDS or an ISO-8601 instant/],
            ["kind=drop,at=2025-02-30T10:00:00Z", /at "2025-02-30T10:00:00Z" is not a date: 2025-02 has 28 days/],
            ["kind=drop,at=2024-05-15T11:00:00", /at "2024-05-15T11:00:00" is not an ISO-8601 instant with a time zone/],
            ["kind=drop,duration=-5", /duration "-5" must be a positive number/],
            ["kind", /"kind" is not key=value/],
        ];
        for (const [spec, message] of bad) assert.throws(() => parseAnomaly(spec, T0, DIMS), message, spec);
    });

    it("generates events the transform accepts, sorted, within the span, revenue on checkouts only", () => {
        const m = new TrafficModel({ rate: 200 });
        const events = m.events(seededRng(11), T0, T0 + 30_000);
        assert.ok(events.length > 4000, `${events.length} events`);
        const times = events.map((e) => Date.parse(String(e.timestamp)));
        assert.ok(times.every((t, i) => t >= T0 && t < T0 + 30_000 && (i === 0 || t >= times[i - 1])));
        assert.ok(events.every((e) => (e.eventType === "checkout") === (e.revenue !== undefined)));
        const kinds = new Set(events.map((e) => e.eventType));
        assert.deepStrictEqual([...kinds].sort(), ["cart", "checkout", "view"]);
        const records: FirehoseRecord[] = events.map((e, i) => ({ recordId: String(i), approximateArrivalTimestamp: T0 + 30_000, data: Buffer.from(JSON.stringify(e)).toString("base64") }));
        const outcome = transformBatch(records, { intervalSeconds: 300, maxEventAgeSeconds: MAX_EVENT_AGE_SECONDS, maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS }, T0);
        assert.strictEqual(outcome.failed, 0, JSON.stringify(outcome.samples));
    });
});

// ---- generator ------------------------------------------------------------------------------------------------

const kinesis = mockClient(KinesisClient);

function retryOpts(sleeps: number[] = []): RetryOptions {
    return { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5 };
}

function someEvents(n: number): EcommerceEvent[] {
    return Array.from({ length: n }, (_, i) => ({ eventId: `e${i}`, timestamp: new Date(T0 + i).toISOString(), eventType: "view", platform: "web", marketplace: "US" }));
}

const sentKeys = (input: PutRecordsCommandInput) => (input.Records ?? []).map((r) => r.PartitionKey);

describe("traffic generator: PutRecords", () => {
    beforeEach(() => kinesis.reset());

    it("puts one Kinesis record per event: the event's JSON, partitioned by eventId", () => {
        const [e] = toEntries(someEvents(1));
        assert.deepStrictEqual(JSON.parse(Buffer.from(e.Data!).toString("utf8")), someEvents(1)[0]);
        assert.strictEqual(e.PartitionKey, "e0");
    });

    it("splits calls at 500 records and at the 5 MiB request limit", () => {
        assert.deepStrictEqual(batches(toEntries(someEvents(1203))).map((b) => b.length), [500, 500, 203]);
        const big = Array.from({ length: 12 }, (_, i) => ({ Data: new Uint8Array(1024 * 1024), PartitionKey: `k${i}` }));
        assert.deepStrictEqual(batches(big).map((b) => b.length), [4, 4, 4]);
        assert.throws(() => batches([{ Data: new Uint8Array(6 * 1024 * 1024), PartitionKey: "k" }]), /exceeds the PutRecords request limit/);
    });

    it("re-sends exactly the records a call reports failed, with backoff, until they succeed", async () => {
        kinesis.on(PutRecordsCommand)
            .resolvesOnce({ FailedRecordCount: 2, Records: [{ SequenceNumber: "1", ShardId: "s" }, { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" }, { SequenceNumber: "3", ShardId: "s" }, { ErrorCode: "InternalFailure", ErrorMessage: "oops" }] })
            .resolvesOnce({ FailedRecordCount: 1, Records: [{ SequenceNumber: "2", ShardId: "s" }, { ErrorCode: "ProvisionedThroughputExceededException" }] })
            .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: "4", ShardId: "s" }] });
        const sleeps: number[] = [];
        const entries = toEntries(someEvents(4));
        const r = await putRecordsWithRetry(new KinesisClient({ region: "us-east-1" }), "stream-1", entries, retryOpts(sleeps));
        const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
        assert.deepStrictEqual(calls.map((c) => c.StreamName), ["stream-1", "stream-1", "stream-1"]);
        assert.deepStrictEqual(calls.map(sentKeys), [["e0", "e1", "e2", "e3"], ["e1", "e3"], ["e3"]]);
        assert.strictEqual(calls[1].Records![0].Data, entries[1].Data, "the very same record data is re-sent");
        assert.deepStrictEqual(r, { calls: 3, retried: 3 });
        assert.deepStrictEqual(sleeps, [75, 150]); // 100·2^0 and 100·2^1, jitter factor 0.75
    });

    it("gives up after the last attempt, saying how many records failed and why", async () => {
        kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
            FailedRecordCount: 1,
            Records: input.Records!.map((_, i) => (i === 0 ? { ErrorCode: "ProvisionedThroughputExceededException" } : { SequenceNumber: "x", ShardId: "s" })),
        }));
        const err = await putRecordsWithRetry(new KinesisClient({ region: "us-east-1" }), "s", toEntries(someEvents(3)), retryOpts()).then(() => undefined, (e) => e);
        assert.ok(err instanceof PutRecordsError);
        assert.strictEqual(err.message, "PutRecords: 1 of 3 records still failing after 4 attempts (ProvisionedThroughputExceededException x1)");
        assert.strictEqual(kinesis.commandCalls(PutRecordsCommand).length, 4);
    });

    it("refuses an answer it cannot line up with the request", async () => {
        kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: "InternalFailure" }] });
        await assert.rejects(putRecordsWithRetry(new KinesisClient({ region: "us-east-1" }), "s", toEntries(someEvents(2)), retryOpts()), /answered 1 results for 2 records/);
    });

    it("propagates a call that fails outright (after the SDK's own retries)", async () => {
        kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error("Stream s not found"), { name: "ResourceNotFoundException" }));
        await assert.rejects(sendEvents(new KinesisClient({ region: "us-east-1" }), "s", someEvents(2), retryOpts()), /Stream s not found/);
    });

    it("sends a tick's events call by call and counts them", async () => {
        kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({ FailedRecordCount: 0, Records: input.Records!.map(() => ({ SequenceNumber: "1", ShardId: "s" })) }));
        const stats = await sendEvents(new KinesisClient({ region: "us-east-1" }), "s", someEvents(1203), retryOpts());
        assert.deepStrictEqual(stats, { records: 1203, calls: 3, retried: 0 });
        const sizes = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records!.length);
        assert.deepStrictEqual(sizes, [500, 500, 203]);
        assert.ok(sizes.every((n) => n <= MAX_RECORDS_PER_CALL));
    });

    it("computes capped exponential backoff with jitter between 50% and 100%", () => {
        const o = { baseDelayMs: 100, maxDelayMs: 1000 };
        assert.deepStrictEqual([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, { ...o, random: () => 0.999999 })), [100, 200, 400, 800, 1000, 1000]);
        assert.deepStrictEqual([1, 2, 3].map((a) => backoffMs(a, { ...o, random: () => 0 })), [50, 100, 200]);
    });
});

describe("traffic generator: ticks and command line", () => {
    beforeEach(() => kinesis.reset());

    it("waits for each tick to pass before sending it (live), and simulates without waiting (dry run)", async () => {
        let now = T0;
        const sleeps: number[] = [];
        const clock = { now: () => now, sleep: async (ms: number) => { sleeps.push(ms); now += ms; } };
        const seen: [number, number][] = [];
        const r = await runGenerator({
            model: new TrafficModel({ rate: 50 }), rng: seededRng(2), startMs: T0, durationSeconds: 3.5, realtime: true, clock,
            sink: async (events, tick) => {
                seen.push([tick, now]);
                for (const e of events) assert.ok(Date.parse(String(e.timestamp)) < now + 1, "no event from the future");
            },
        });
        assert.deepStrictEqual(seen, [[T0, T0 + 1000], [T0 + 1000, T0 + 2000], [T0 + 2000, T0 + 3000], [T0 + 3000, T0 + 3500]]);
        assert.deepStrictEqual(sleeps, [1000, 1000, 1000, 500]);
        assert.strictEqual(r.ticks, 4);
        const slept: number[] = [];
        await runGenerator({ model: new TrafficModel({ rate: 50 }), rng: seededRng(2), startMs: T0, durationSeconds: 3, realtime: false, clock: { now: () => T0, sleep: async (ms) => { slept.push(ms); } }, sink: async () => undefined });
        assert.deepStrictEqual(slept, []);
    });

    it("--dry-run writes JSON Lines events to stdout and calls no AWS API", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const r = await generateTrafficCli(
            ["--dry-run", "--rate", "100", "--duration", "5", "--seed", "9", "--start", "2024-05-15T10:07:00Z", "--anomaly", "measure=views,kind=drop,platform=web,factor=0.01"],
            { createClient: () => assert.fail("no client in a dry run"), clock: { now: () => T0, sleep: async () => assert.fail("no waiting") }, random: () => 0.5, stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
        );
        const events = out.join("").trim().split("\n").map((l) => JSON.parse(l) as EcommerceEvent);
        assert.strictEqual(events.length, r.events);
        assert.ok(events.length > 100);
        assert.ok(events.every((e) => Date.parse(String(e.timestamp)) >= T0 && Date.parse(String(e.timestamp)) < T0 + 5000));
        assert.ok(events.filter((e) => e.platform === "web").length < events.length * 0.05, "web views dropped to 1%");
        assert.match(err.join(""), /anomaly drop of views x0.01 on web\/all marketplaces/);
    });

    it("sends live traffic to the named stream with the region given", async () => {
        kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({ FailedRecordCount: 0, Records: input.Records!.map(() => ({ SequenceNumber: "1", ShardId: "s" })) }));
        let now = T0;
        const regions: string[] = [];
        const r = await generateTrafficCli(["--stream", "ecommerce-stream", "--region", "eu-west-1", "--rate", "30", "--duration", "2", "--seed", "5"], {
            createClient: (region) => {
                regions.push(region);
                return new KinesisClient({ region });
            },
            clock: { now: () => now, sleep: async (ms) => { now += ms; } },
            random: () => 0.5, stdout: () => undefined, stderr: () => undefined,
        });
        assert.deepStrictEqual(regions, ["eu-west-1"]);
        const calls = kinesis.commandCalls(PutRecordsCommand);
        assert.ok(calls.length >= 2 && calls.every((c) => c.args[0].input.StreamName === "ecommerce-stream"));
        assert.strictEqual(calls.reduce((a, c) => a + c.args[0].input.Records!.length, 0), r.events);
        assert.deepStrictEqual(r.sent, { records: r.events, calls: calls.length, retried: 0 });
    });

    it("refuses bad command lines with a usage error naming the option", async () => {
        const deps = { createClient: () => new KinesisClient({}), clock: { now: () => T0, sleep: async () => undefined }, random: () => 0.5, stdout: () => undefined, stderr: () => undefined };
        const cases: [string[], RegExp][] = [
            [["--rate", "5"], /--stream is required/],
            [["--dry-run", "--rate=-1"], /--rate must be a positive number/],
            [["--dry-run", "--rate", "0"], /--rate must be a positive number/],
            [["--dry-run", "--duration", "abc"], /--duration must be a positive number/],
            [["--stream", "s", "--start", "2024-05-15T10:00:00Z"], /--start is only for --dry-run/],
            [["--dry-run", "--start", "yesterday"], /--start "yesterday" is not an ISO-8601 instant/],
            [["--dry-run", "--start", "2025-02-30T00:00:00Z"], /--start "2025-02-30T00:00:00Z" is not a date: 2025-02 has 28 days \(day 30\)/],
            [["--dry-run", "--start", "2023-02-29T00:00:00Z"], /--start "2023-02-29T00:00:00Z" is not a date: 2023-02 has 28 days/],
            [["--dry-run", "--start", "2024-04-31T00:00:00Z"], /--start "2024-04-31T00:00:00Z" is not a date: 2024-04 has 30 days/],
            [["--dry-run", "--start", "2024-05-15T24:00:00Z"], /--start "2024-05-15T24:00:00Z" has hour 24/],
            [["--dry-run", "--seed", "1.5"], /--seed must be a whole number/],
            [["--dry-run", "--anomaly", "kind=explode"], /kind must be drop or spike/],
            [["--dry-run", "--frobnicate"], /Unknown option '--frobnicate'/],
            [["--dry-run", "--stack", "nosuch"], /Pulumi\.nosuch\.yaml does not exist/],
        ];
        for (const [argv, message] of cases) {
            await assert.rejects(generateTrafficCli(argv, deps), (e: Error) => {
                assert.match(e.message, message, argv.join(" "));
                return true;
            });
        }
        await assert.rejects(generateTrafficCli(["--rate", "5"], deps), UsageError);
    });
});

// ---- backfill ---------------------------------------------------------------------------------------------------

// Stubbed for this block only: the throttling tests below talk to a real S3 client on a local endpoint.
let s3: AwsClientStub<S3Client>;

describe("historical backfill", () => {
    before(() => {
        s3 = mockClient(S3Client);
    });
    after(() => s3.restore());
    const plan = (over: Partial<Parameters<typeof planBackfill>[0]> = {}) => ({
        model: new TrafficModel({ rate: 20 }), rng: seededRng(1), days: 1, intervalSeconds: 300, endMs: T0, compression: "UNCOMPRESSED" as const, ...over,
    });

    it("covers N days of intervals up to where live data begins, one object per interval in the live folder layout", () => {
        const objects = [...planBackfill(plan())];
        assert.strictEqual(objects.length, 288);
        const end = intervalStartMs(T0, 300); // 10:05, the live interval, is not backfilled
        assert.strictEqual(objects[objects.length - 1].startMs, end - 300_000);
        assert.strictEqual(objects[0].startMs, end - 86400_000);
        objects.forEach((o, i) => {
            assert.strictEqual(o.startMs, objects[0].startMs + i * 300_000);
            const p = partitionOf(o.startMs);
            assert.strictEqual(o.key, `ecommerce/historical/${p.day}/${p.time}/backfill.jsonl`);
        });
        assert.strictEqual(objects[objects.length - 1].key, "ecommerce/historical/20240515/1000/backfill.jsonl");
    });

    it("writes rows in exactly the live row format, stamped with the interval start, one per active slice", () => {
        const [first] = planBackfill(plan());
        const lines = first.body.toString("utf8").split("\n");
        assert.strictEqual(lines.pop(), "", "every row ends with a newline");
        assert.strictEqual(lines.length, first.rows);
        assert.ok(first.rows > 0 && first.rows <= 12);
        const seen = new Set<string>();
        for (const l of lines) {
            const row = JSON.parse(l);
            assert.deepStrictEqual(Object.keys(row), [TIMESTAMP_COLUMN, ...DIMENSIONS, ...MEASURES]);
            assert.strictEqual(row.timestamp, "2024-05-14 10:05:00");
            for (const m of MEASURES) assert.ok(typeof row[m] === "number" && row[m] >= 0);
            assert.ok(row.views + row.carts + row.checkouts > 0);
            assert.ok(row.checkouts > 0 || row.revenue === 0);
            seen.add(`${row.platform}/${row.marketplace}`);
        }
        assert.strictEqual(seen.size, lines.length, "one row per (platform, marketplace)");
    });

    it("lands in the folder the transform would pick for the same instant", () => {
        for (const o of [...planBackfill(plan({ intervalSeconds: 600 }))].slice(0, 5)) {
            const row = JSON.parse(o.body.toString("utf8").split("\n")[0]);
            const ts = row.timestamp.replace(" ", "T") + "Z";
            const data = Buffer.from(JSON.stringify({ timestamp: ts, eventType: "view", platform: "web", marketplace: "US" })).toString("base64");
            const live = transformBatch([{ recordId: "r", approximateArrivalTimestamp: Date.parse(ts), data }], { intervalSeconds: 600, maxEventAgeSeconds: 86400, maxFutureSkewSeconds: 300 }, 0);
            const pk = live.response.records[0].metadata!.partitionKeys;
            assert.strictEqual(o.key, `ecommerce/historical/${pk.day}/${pk.time}/backfill.jsonl`);
        }
    });

    it("gzips the objects when the stack compresses (.jsonl.gz)", () => {
        const [o] = planBackfill(plan({ compression: "GZIP" }));
        assert.match(o.key, /\/backfill\.jsonl\.gz$/);
        const text = zlib.gunzipSync(o.body).toString("utf8");
        assert.strictEqual(text, [...planBackfill(plan())][0].body.toString("utf8"), "same rows, compressed");
    });

    it("refuses a day count out of range", () => {
        assert.throws(() => backfillRange({ days: 0, intervalSeconds: 300, endMs: T0 }), /--days must be a whole number from 1 to 90/);
        assert.throws(() => backfillRange({ days: 91, intervalSeconds: 300, endMs: T0 }), /from 1 to 90/);
    });

    describe("upload (S3 mocked)", () => {
        beforeEach(() => s3.reset());

        it("puts every object under its key, relying on the bucket's default KMS encryption", async () => {
            s3.on(PutObjectCommand).resolves({ ETag: '"x"' });
            const objects = [...planBackfill(plan())];
            const stats = await uploadBackfill(new S3Client({ region: "us-east-1" }), "data-bucket", objects, { concurrency: 4 });
            const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
            assert.strictEqual(puts.length, 288);
            assert.deepStrictEqual(puts.map((p) => p.Key).sort(), objects.map((o) => o.key).sort());
            for (const p of puts) {
                assert.strictEqual(p.Bucket, "data-bucket");
                assert.strictEqual(p.ContentType, "application/x-ndjson");
                assert.strictEqual(p.ServerSideEncryption, undefined);
                assert.strictEqual(p.SSEKMSKeyId, undefined);
            }
            const byKey = new Map(objects.map((o) => [o.key, o]));
            for (const p of puts) assert.strictEqual(p.Body, byKey.get(p.Key!)!.body);
            assert.deepStrictEqual(stats, { retried: 0, objects: 288, rows: objects.reduce((a, o) => a + o.rows, 0), bytes: objects.reduce((a, o) => a + o.body.length, 0) });
        });

        it("keeps going past a failed object and then fails naming it", async () => {
            const objects = [...planBackfill(plan())].slice(0, 10);
            s3.on(PutObjectCommand).resolves({});
            s3.on(PutObjectCommand, { Key: objects[3].key }).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
            const err = await uploadBackfill(new S3Client({ region: "us-east-1" }), "b", objects, { concurrency: 3 }).then(() => undefined, (e) => e);
            assert.ok(isBackfillError(err));
            // AccessDenied is not retried: one attempt, then reported.
            assert.deepStrictEqual(err.failures, [{ key: objects[3].key, attempts: 1, error: "AccessDenied: Access Denied" }]);
            assert.strictEqual(err.written.objects, 9);
            assert.strictEqual(s3.commandCalls(PutObjectCommand).length, 10);
            assert.match(err.message, /^1 object\(s\) not written \(9 were\): ecommerce\/historical\/.* \(1 attempt\(s\)\): AccessDenied/);
        });
    });

    describe("command line", () => {
        beforeEach(() => s3.reset());
        const deps = (out: string[] = [], err: string[] = []) => ({
            createClient: (region: string) => new S3Client({ region }), now: () => T0, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t),
        });

        it("reads the interval and dimensions from the stack file", () => {
            const cfg = loadStackConfig("dev");
            assert.strictEqual(cfg.detection.intervalSeconds, 300);
            assert.deepStrictEqual(cfg.detection.platforms, DIMS.platforms);
        });

        it("--dry-run prints the plan and writes nothing", async () => {
            const out: string[] = [];
            const r = await backfillCli(["--days", "2", "--dry-run"], deps(out));
            assert.strictEqual(r.objects, 576);
            const text = out.join("");
            assert.match(text, /^would write 576 objects, \d+ rows\nfirst: ecommerce\/historical\/20240513\/1005\/backfill\.jsonl\nlast:  ecommerce\/historical\/20240515\/1000\/backfill\.jsonl\n/);
            assert.match(text, /\{"timestamp":"2024-05-13 10:05:00","platform":"web","marketplace":"US","views":\d+/);
            assert.strictEqual(s3.commandCalls(PutObjectCommand).length, 0);
        });

        it("--out writes the same keys as files", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backfill-"));
            try {
                const r = await backfillCli(["--days", "1", "--out", dir, "--end", "2024-05-15T10:07:00Z"], deps());
                assert.strictEqual(r.objects, 288);
                const file = path.join(dir, "ecommerce", "historical", "20240515", "1000", "backfill.jsonl");
                assert.ok(fs.existsSync(file));
                assert.strictEqual(fs.readFileSync(file, "utf8").split("\n")[0].slice(0, 37), '{"timestamp":"2024-05-15 10:00:00","p');
                assert.strictEqual(writeBackfillToDir(dir, []).objects, 0);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("--bucket uploads to the bucket in the region given", async () => {
            s3.on(PutObjectCommand).resolves({});
            const regions: string[] = [];
            const r = await backfillCli(["--bucket", "edge-ecommerce-abc", "--days", "1", "--region", "eu-central-1", "--seed", "3"], {
                ...deps(), createClient: (region) => {
                    regions.push(region);
                    return new S3Client({ region });
                },
            });
            assert.deepStrictEqual(regions, ["eu-central-1"]);
            assert.strictEqual(r.objects, 288);
            assert.ok(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.Bucket === "edge-ecommerce-abc"));
        });

        it("refuses bad command lines, naming the option", async () => {
            const cases: [string[], RegExp][] = [
                [["--days", "3"], /--bucket is required/],
                [["--bucket", "b"], /--days must be a positive whole number \(got null\)/],
                [["--bucket", "b", "--days", "2.5"], /--days must be a positive whole number/],
                [["--bucket", "b", "--days", "400"], /--days must be a whole number from 1 to 90/],
                [["--days", "1", "--dry-run", "--out", "x"], /--dry-run and --out exclude each other/],
                [["--bucket", "b", "--days", "1", "--concurrency", "0"], /--concurrency must be a positive whole number/],
                [["--bucket", "b", "--days", "1", "--end", "now"], /--end "now" is not an ISO-8601 instant/],
                [["--bucket", "b", "--days", "1", "--end", "2024-02-30T00:00:00Z"], /--end "2024-02-30T00:00:00Z" is not a date: 2024-02 has 29 days \(day 30\)/],
                [["--bucket", "b", "--days", "1", "--end", "2024-05-15T10:00:00"], /--end "2024-05-15T10:00:00" is not an ISO-8601 instant with a time zone/],
                // T0 is "now" for these runs: a minute later is the future.
                [["--bucket", "b", "--days", "1", "--end", "2024-05-15T10:08:00Z"], /--end 2024-05-15T10:08:00Z is in the future \(now is 2024-05-15T10:07:00\.000Z\)/],
                [["--days", "1", "--dry-run", "--end", "2024-05-15T12:08:00+02:00"], /--end .* is in the future/],
                [["--bucket", "b", "--days", "1", "--stack", "nosuch"], /Pulumi\.nosuch\.yaml does not exist/],
                [["--bucket", "b", "--days", "1", "--verbose"], /Unknown option '--verbose'/],
            ];
            for (const [argv, message] of cases) {
                await assert.rejects(backfillCli(argv, deps()), (e: Error) => {
                    assert.match(e.message, message, argv.join(" "));
                    return true;
                });
            }
            assert.strictEqual(s3.commandCalls(PutObjectCommand).length, 0);
        });
    });
});

describe("strict ISO-8601 instants (command-line flags)", () => {
    it("accepts valid instants with Z or an offset, leap days included", () => {
        const ok: [string, number][] = [
            ["2024-05-15T10:00:00Z", Date.UTC(2024, 4, 15, 10)],
            ["2024-05-15T10:00Z", Date.UTC(2024, 4, 15, 10)],
            ["2024-05-15T12:00:00+02:00", Date.UTC(2024, 4, 15, 10)],
            ["2024-05-15T05:30:00.250-04:30", Date.UTC(2024, 4, 15, 10, 0, 0, 250)],
            ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
            ["2000-02-29T23:59:59Z", Date.UTC(2000, 1, 29, 23, 59, 59)],
            ["2025-12-31T23:59:59Z", Date.UTC(2025, 11, 31, 23, 59, 59)],
        ];
        for (const [text, ms] of ok) assert.deepStrictEqual(parseInstant(text), { ms }, text);
    });

    it("rejects dates Date.parse would roll forward, naming what is wrong", () => {
        // What the old parser did: Date.parse moves these to another day without a word.
        assert.strictEqual(new Date(Date.parse("2025-02-30T00:00:00Z")).toISOString(), "2025-03-02T00:00:00.000Z");
        const bad: [string, RegExp][] = [
            ["2025-02-30T00:00:00Z", /is not a date: 2025-02 has 28 days \(day 30\)/],
            ["2025-02-29T00:00:00Z", /2025-02 has 28 days/],
            ["1900-02-29T00:00:00Z", /1900-02 has 28 days/],
            ["2025-04-31T00:00:00Z", /2025-04 has 30 days/],
            ["2025-06-00T00:00:00Z", /2025-06 has 30 days \(day 00\)/],
            ["2025-13-01T00:00:00Z", /month 13/],
            ["2025-00-10T00:00:00Z", /month 00/],
            ["2025-01-01T24:00:00Z", /hour 24/],
            ["2025-01-01T10:60:00Z", /minute 60/],
            ["2025-01-01T10:00:60Z", /second 60/],
            ["2025-01-01T10:00:00+24:00", /offset \+24:00/],
            ["2025-01-01T10:00:00", /with a time zone/],
            ["2025-01-01", /with a time zone/],
            ["tomorrow", /is not an ISO-8601 instant/],
        ];
        for (const [text, message] of bad) {
            const r = parseInstant(text);
            assert.ok("error" in r, `${text} must be refused`);
            assert.match(r.error, message, text);
        }
    });

    it("the backfill accepts --end at exactly now and in the past, and writes nothing after it", async () => {
        const out: string[] = [];
        const now = Date.UTC(2024, 4, 15, 10, 7);
        const deps = { createClient: () => new S3Client({}), now: () => now, stdout: (t: string) => out.push(t), stderr: () => undefined };
        await backfillCli(["--days", "1", "--dry-run", "--end", "2024-05-15T10:07:00Z"], deps);
        await backfillCli(["--days", "1", "--dry-run", "--end", "2024-03-01T00:00:00Z"], deps);
        assert.match(out.join(""), /last:  ecommerce\/historical\/20240229\/2355\/backfill\.jsonl/);
    });
});

// ---- backfill under sustained throttling: a real S3 client against a local endpoint -------------------------------

/** A local S3 endpoint (path-style PutObject) that answers 503 SlowDown as `throttle(key, attempt)` decides. */
async function fakeS3(decide: (key: string, attempt: number) => "ok" | "throttle" | "deny") {
    const stored = new Map<string, Buffer>();
    const attempts = new Map<string, number>();
    let throttled = 0;
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://local");
            const key = decodeURIComponent(url.pathname.split("/").slice(2).join("/"));
            const n = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, n);
            const verdict = req.method === "PUT" ? decide(key, n) : "deny";
            if (verdict === "ok") {
                stored.set(key, Buffer.concat(chunks));
                res.writeHead(200, { ETag: '"etag"' }).end();
                return;
            }
            if (verdict === "throttle") throttled += 1;
            const [status, code, message] = verdict === "throttle" ? [503, "SlowDown", "Please reduce your request rate."] : [403, "AccessDenied", "Access Denied"];
            res.writeHead(status, { "Content-Type": "application/xml" })
                .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
        endpoint, stored, attempts,
        get throttled() {
            return throttled;
        },
        client: () => backfillS3Client("us-east-1", { endpoint, forcePathStyle: true, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

describe("historical backfill under sustained throttling (local S3 endpoint)", function () {
    this.timeout(120_000);
    const plan = () => ({ model: new TrafficModel({ rate: 20 }), rng: seededRng(1), days: 1, intervalSeconds: 600, endMs: T0, compression: "UNCOMPRESSED" as const });

    it("classifies errors: throttling, 5xx and dropped connections are retried; AccessDenied is not", () => {
        assert.ok(isRetryablePutError({ name: "SlowDown", $metadata: { httpStatusCode: 503 } }));
        assert.ok(isRetryablePutError({ name: "InternalError", $fault: "server" }));
        assert.ok(isRetryablePutError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
        assert.ok(isRetryablePutError({ name: "Whatever", $metadata: { httpStatusCode: 429 } }));
        assert.ok(!isRetryablePutError({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
        assert.ok(!isRetryablePutError({ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } }));
        assert.deepStrictEqual([1, 2, 3, 7, 8, 20].map((a) => putBackoffMs(a, { ...DEFAULT_PUT_RETRY, random: () => 0.999999 })), [200, 400, 800, 12800, 20000, 20000]);
    });

    it("one warm client, every object throttled 3 times (432 SlowDowns): every object is written, none given up", async () => {
        const srv = await fakeS3((_key, attempt) => (attempt <= 3 ? "throttle" : "ok"));
        try {
            const objects = [...planBackfill(plan())];
            assert.strictEqual(objects.length, 144);
            const sleeps: number[] = [];
            const stats = await uploadBackfill(srv.client(), "data-bucket", objects, {
                concurrency: 8,
                retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
            });
            assert.ok(srv.throttled >= 200, `only ${srv.throttled} throttled calls`);
            assert.strictEqual(srv.throttled, 432);
            assert.strictEqual(stats.objects, 144);
            assert.strictEqual(stats.retried, 432);
            // Every object landed with its exact body, after exactly 4 calls (the client itself makes one attempt).
            for (const o of objects) {
                assert.deepStrictEqual(srv.stored.get(o.key), o.body, o.key);
                assert.strictEqual(srv.attempts.get(o.key), 4, o.key);
            }
            // Backoff per object: 100, 200, 400 ms (half of the doubling cap with random 0.5).
            assert.deepStrictEqual([...new Set(sleeps)].sort((a, b) => a - b), [100, 200, 400]);
            assert.strictEqual(sleeps.length, 432);
        } finally {
            await srv.close();
        }
    });

    it("a key throttled without end fails after its attempts, listed with the reason; the rest is written", async () => {
        const objects = [...planBackfill(plan())];
        const stuck = new Set([objects[10].key, objects[99].key]);
        const srv = await fakeS3((key, attempt) => (stuck.has(key) || attempt <= 2 ? "throttle" : "ok"));
        try {
            const err = await uploadBackfill(srv.client(), "data-bucket", objects, { retry: { sleep: async () => undefined, random: () => 0.5 } })
                .then(() => undefined, (e: unknown) => e);
            assert.ok(isBackfillError(err), String(err));
            assert.deepStrictEqual(err.failures.map((f) => [f.key, f.attempts]), [...stuck].sort().map((k) => [k, DEFAULT_PUT_RETRY.maxAttempts]));
            assert.match(err.failures[0].error, /^SlowDown: Please reduce your request rate/);
            assert.strictEqual(err.written.objects, 142);
            assert.strictEqual(srv.stored.size, 142);
            assert.ok(srv.throttled >= 200, `only ${srv.throttled} throttled calls`);
        } finally {
            await srv.close();
        }
    });

    it("the command lists every object not written and fails; scripts/backfill.ts exits 1", async () => {
        const keys = [...planBackfill({ ...plan(), intervalSeconds: 300, endMs: T0 })].map((o) => o.key);
        const denied = new Set([keys[5], keys[200]]);
        const srv = await fakeS3((key) => (denied.has(key) ? "deny" : "ok"));
        try {
            const err: string[] = [];
            await assert.rejects(backfillCli(["--bucket", "data-bucket", "--days", "1", "--region", "us-east-1"], {
                createClient: () => srv.client(), now: () => T0, sleep: async () => undefined, stdout: () => undefined, stderr: (t) => err.push(t),
            }), /2 object\(s\) not written \(286 were\)/);
            const text = err.join("");
            for (const k of denied) assert.match(text, new RegExp(`not written: s3://data-bucket/${k} after 1 attempt\\(s\\): AccessDenied: Access Denied`));
            assert.match(text, /2 of 288 objects NOT written \(286 written/);

            // The script itself, as `npm run backfill` runs it, against the same endpoint (AWS_ENDPOINT_URL_S3).
            srv.stored.clear();
            const child = spawn(process.execPath, ["-r", "./test/tsnode.js", "scripts/backfill.ts", "--bucket", "data-bucket", "--days", "1", "--region", "us-east-1", "--end", "2024-05-15T10:07:00Z"], {
                cwd: path.join(__dirname, ".."),
                env: { ...process.env, AWS_ENDPOINT_URL_S3: srv.endpoint, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_PROFILE: "" },
            });
            let stderr = "";
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
            assert.strictEqual(code, 1, stderr);
            for (const k of denied) assert.ok(stderr.includes(`not written: s3://data-bucket/${k}`), stderr);
            assert.strictEqual(srv.stored.size, 286);
        } finally {
            await srv.close();
        }
    });
});
