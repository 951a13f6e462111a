import * as assert from "assert";
import fc from "fast-check";

import {
    DIMENSIONS,
    intervalStartMs,
    MALFORMED_METRIC_NAME,
    MAX_EVENT_AGE_SECONDS,
    MAX_FUTURE_SKEW_SECONDS,
    MEASURES,
    METRIC_NAMESPACE,
    ORDER_VALUE_LOG_METRIC_NAME,
    OTHER_DIMENSION_VALUE,
    partitionOf,
    TIMESTAMP_COLUMN,
} from "../model/ecommerceSchema";
import * as source from "../handlers/ecommerceTransform";
import { ENV, FAILURE_REASONS, FirehoseRecord, FirehoseTransformEvent, TransformOptions } from "../handlers/ecommerceTransform";
import { QUOTAS } from "../preflight/quotas";
import { Artifacts, artifactsOf, forBothArtifacts } from "./serialized";

// Every behavioural test below runs twice: against the source and against the serialized copy of the handler's
// functions (what Pulumi ships; test/serialized.ts). `current` is the artifact of the describe that is running.
const transformFunctions = () => ({
    daysFromCivil: source.daysFromCivil, handleTransformEvent: source.handleTransformEvent,
    optionsFromEnv: source.optionsFromEnv, transformBatch: source.transformBatch,
});
type TransformFunctions = ReturnType<typeof transformFunctions>;
const transformArtifacts: Artifacts<TransformFunctions> = artifactsOf(transformFunctions, { factory: true, name: "ecommerce-transform-functions" });
let current: TransformFunctions | undefined;
const fns = (): TransformFunctions => current ?? (() => { throw new Error("no transform artifact loaded"); })();
const daysFromCivil: TransformFunctions["daysFromCivil"] = (...a) => fns().daysFromCivil(...a);
const handleTransformEvent: TransformFunctions["handleTransformEvent"] = (...a) => fns().handleTransformEvent(...a);
const optionsFromEnv: TransformFunctions["optionsFromEnv"] = (...a) => fns().optionsFromEnv(...a);
const transformBatch: TransformFunctions["transformBatch"] = (...a) => fns().transformBatch(...a);
function describeBoth(title: string, body: () => void): void {
    forBothArtifacts(title, transformArtifacts, (get) => {
        before(() => { current = get(); });
        after(() => { current = undefined; });
        body();
    });
}

const b64 = (s: string | Buffer) => (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

const ARRIVAL = Date.UTC(2024, 4, 15, 10, 7, 30, 0); // 2024-05-15T10:07:30Z

const LOOKOUT: TransformOptions = { intervalSeconds: 300, maxEventAgeSeconds: MAX_EVENT_AGE_SECONDS, maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS };
const CLOUDWATCH: TransformOptions = {
    ...LOOKOUT,
    metrics: { stack: "dev", dimensions: ["platform", "marketplace"], platforms: ["web", "ios", "android"], marketplaces: ["US", "UK", "DE", "JP"] },
};

let seq = 0n;
/** A record as Firehose delivers it from a Kinesis stream source. */
function kinesisRecord(body: string | Buffer, arrival = ARRIVAL): FirehoseRecord {
    seq += 1n;
    const sequenceNumber = (49546986683135544286507457936321625675700192471156785154n + seq).toString();
    return {
        recordId: sequenceNumber,
        approximateArrivalTimestamp: arrival,
        data: b64(body),
        kinesisRecordMetadata: {
            shardId: "shardId-000000000000",
            partitionKey: `pk-${seq}`,
            approximateArrivalTimestamp: arrival,
            sequenceNumber,
            subsequenceNumber: 0,
        },
    };
}

function firehoseEvent(records: FirehoseRecord[]): FirehoseTransformEvent {
    return {
        invocationId: "00540a87-5050-496a-84e4-e7d92bbaf5e2",
        deliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/edge-anomaly-detection-dev-ecommerce",
        sourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/ecommerce-stream-abc123",
        region: "us-east-1",
        records,
    };
}

const ev = (o: Record<string, unknown>) => JSON.stringify(o);
const view = (extra: Record<string, unknown> = {}) => ev({ eventId: "e1", timestamp: "2024-05-15T10:07:23.120Z", eventType: "view", platform: "web", marketplace: "US", ...extra });

describeBoth("ecommerce transform: rows and partition keys", () => {
    it("turns a real-shaped Kinesis-sourced Firehose event into detector rows with interval partition keys", () => {
        const records = [
            kinesisRecord(view()),
            kinesisRecord(ev({ timestamp: "2024-05-15T10:08:01Z", eventType: "cart", platform: "ios", marketplace: "UK" })),
            kinesisRecord(ev({ timestamp: "2024-05-15T10:09:59.999Z", eventType: "checkout", platform: "android", marketplace: "JP", revenue: 41.5, ignored: { nested: true } })),
        ];
        const outcome = transformBatch(firehoseEvent(records).records, LOOKOUT, ARRIVAL);
        assert.strictEqual(outcome.ok, 3);
        assert.strictEqual(outcome.failed, 0);
        assert.deepStrictEqual(outcome.emf, [], "the Lookout engine emits no EMF");
        const out = outcome.response.records;
        assert.deepStrictEqual(out.map((r) => r.recordId), records.map((r) => r.recordId));
        assert.deepStrictEqual(out.map((r) => r.result), ["Ok", "Ok", "Ok"]);
        assert.deepStrictEqual(out.map((r) => unb64(r.data)), [
            '{"timestamp":"2024-05-15 10:07:23","platform":"web","marketplace":"US","views":1,"carts":0,"checkouts":0,"revenue":0}\n',
            '{"timestamp":"2024-05-15 10:08:01","platform":"ios","marketplace":"UK","views":0,"carts":1,"checkouts":0,"revenue":0}\n',
            '{"timestamp":"2024-05-15 10:09:59","platform":"android","marketplace":"JP","views":0,"carts":0,"checkouts":1,"revenue":41.5}\n',
        ]);
        for (const r of out) assert.deepStrictEqual(r.metadata, { partitionKeys: { day: "20240515", time: "1005" } });
        // exactly the detector's columns, in schema order
        const row = JSON.parse(unb64(out[2].data));
        assert.deepStrictEqual(Object.keys(row), [TIMESTAMP_COLUMN, ...DIMENSIONS, ...MEASURES]);
    });

    it("files an event at 10:07 under the interval START for each detector frequency", () => {
        const cases: [number, string][] = [[300, "1005"], [600, "1000"], [3600, "1000"], [86400, "0000"]];
        for (const [intervalSeconds, time] of cases) {
            const out = transformBatch([kinesisRecord(view())], { ...LOOKOUT, intervalSeconds }, ARRIVAL).response.records[0];
            assert.deepStrictEqual(out.metadata?.partitionKeys, { day: "20240515", time }, `interval ${intervalSeconds}`);
        }
    });

    it("converts zone offsets and epoch milliseconds to UTC, across a day boundary", () => {
        const cases: [unknown, string, { day: string; time: string }][] = [
            ["2024-05-15T12:07:00+02:00", "2024-05-15 10:07:00", { day: "20240515", time: "1005" }],
            ["2024-05-15T05:04:59.5-05:00", "2024-05-15 10:04:59", { day: "20240515", time: "1000" }],
            ["2024-05-15T00:30:00+01:00", "2024-05-14 23:30:00", { day: "20240514", time: "2330" }],
            ["2024-05-15 10:07:00Z", "2024-05-15 10:07:00", { day: "20240515", time: "1005" }],
            ["2024-05-15t10:07:00z", "2024-05-15 10:07:00", { day: "20240515", time: "1005" }],
            ["2024-05-15T10:07:00.123456789+00:00", "2024-05-15 10:07:00", { day: "20240515", time: "1005" }],
            [Date.UTC(2024, 4, 15, 10, 7, 42, 999), "2024-05-15 10:07:42", { day: "20240515", time: "1005" }],
        ];
        for (const [timestamp, text, partitionKeys] of cases) {
            const arrival = typeof timestamp === "number" ? timestamp : Date.parse(String(timestamp).replace(" ", "T").toUpperCase());
            const out = transformBatch([kinesisRecord(view({ timestamp }), arrival)], LOOKOUT, arrival).response.records[0];
            assert.strictEqual(out.result, "Ok", String(timestamp));
            assert.strictEqual(JSON.parse(unb64(out.data)).timestamp, text, String(timestamp));
            assert.deepStrictEqual(out.metadata?.partitionKeys, partitionKeys, String(timestamp));
        }
    });

    it("agrees with the schema's folder arithmetic (and Date) for any instant and interval", () => {
        fc.assert(fc.property(
            fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
            fc.constantFrom(300, 600, 3600, 86400),
            (ms, intervalSeconds) => {
                const iso = new Date(ms).toISOString();
                const out = transformBatch([kinesisRecord(view({ timestamp: iso }), ms)], { ...LOOKOUT, intervalSeconds }, ms).response.records[0];
                assert.strictEqual(out.result, "Ok");
                assert.deepStrictEqual(out.metadata?.partitionKeys, partitionOf(intervalStartMs(ms, intervalSeconds)));
                assert.strictEqual(JSON.parse(unb64(out.data)).timestamp, `${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
            },
        ), { numRuns: 2000 });
    });

    it("computes days from civil dates like Date.UTC", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), (y, m, d) => {
            const expected = Date.UTC(y, m - 1, d) / 86400000;
            // Date.UTC maps years 0-99 to 1900-1999; compare through setUTCFullYear
            const dt = new Date(0);
            dt.setUTCFullYear(y, m - 1, d);
            assert.strictEqual(daysFromCivil(y, m, d), y < 100 ? Math.floor(dt.getTime() / 86400000) : expected);
        }), { numRuns: 2000 });
    });
});

describeBoth("ecommerce transform: malformed records", () => {
    const bad: [string, string | Buffer, (typeof FAILURE_REASONS)[number]][] = [
        ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "not-utf8"],
        ["truncated UTF-8 sequence", Buffer.concat([Buffer.from(view().slice(0, -1)), Buffer.from([0xe2, 0x82])]), "not-utf8"],
        ["not JSON", "timestamp=2024-05-15T10:07:00Z,eventType=view", "not-json"],
        ["empty", "", "not-json"],
        ["a JSON array", ev([] as unknown as Record<string, unknown>), "not-an-object"],
        ["a JSON string", '"view"', "not-an-object"],
        ["null", "null", "not-an-object"],
        ["missing timestamp", view({ timestamp: undefined }), "bad-timestamp"],
        ["timestamp without a zone", view({ timestamp: "2024-05-15T10:07:00" }), "bad-timestamp"],
        ["impossible date", view({ timestamp: "2024-02-30T10:07:00Z" }), "bad-timestamp"],
        ["hour 24", view({ timestamp: "2024-05-15T24:00:00Z" }), "bad-timestamp"],
        ["leap second", view({ timestamp: "2024-05-15T10:07:60Z" }), "bad-timestamp"],
        ["empty fraction", view({ timestamp: "2024-05-15T10:07:00.Z" }), "bad-timestamp"],
        ["trailing text", view({ timestamp: "2024-05-15T10:07:00Z junk" }), "bad-timestamp"],
        ["zone without colon", view({ timestamp: "2024-05-15T10:07:00+0200" }), "bad-timestamp"],
        ["fractional epoch", view({ timestamp: 1715767620000.5 }), "bad-timestamp"],
        ["timestamp as boolean", view({ timestamp: true }), "bad-timestamp"],
        ["epoch seconds (too old)", view({ timestamp: Math.floor(ARRIVAL / 1000) }), "too-old"],
        ["a day and a second before arrival", view({ timestamp: new Date(ARRIVAL - MAX_EVENT_AGE_SECONDS * 1000 - 1000).toISOString() }), "too-old"],
        ["an hour after arrival", view({ timestamp: new Date(ARRIVAL + 3600_000).toISOString() }), "in-the-future"],
        ["unknown event type", view({ eventType: "purchase" }), "bad-event-type"],
        ["event type in capitals", view({ eventType: "VIEW" }), "bad-event-type"],
        ["missing event type", view({ eventType: undefined }), "bad-event-type"],
        ["missing platform", view({ platform: undefined }), "bad-platform"],
        ["platform with a space", view({ platform: "smart tv" }), "bad-platform"],
        ["platform with a quote", view({ platform: 'web","views":99' }), "bad-platform"],
        ["platform too long", view({ platform: "x".repeat(65) }), "bad-platform"],
        ["platform as number", view({ platform: 7 }), "bad-platform"],
        ["empty marketplace", view({ marketplace: "" }), "bad-marketplace"],
        ["non-ASCII marketplace", view({ marketplace: "日本" }), "bad-marketplace"],
        ["negative revenue", view({ eventType: "checkout", revenue: -5 }), "bad-revenue"],
        ["checkout without revenue", view({ eventType: "checkout" }), "bad-revenue"],
        ["revenue as a string", view({ eventType: "checkout", revenue: "12.50" }), "bad-revenue"],
        ["infinite revenue", '{"timestamp":"2024-05-15T10:07:00Z","eventType":"checkout","platform":"web","marketplace":"US","revenue":1e999}', "bad-revenue"],
        ["revenue on a view", view({ revenue: 3 }), "bad-revenue"],
        ["revenue above the ceiling (would overflow sums and CloudWatch's range)", view({ eventType: "checkout", revenue: 1e303 }), "bad-revenue"],
        ["epoch beyond what a Date holds", view({ timestamp: 9007199254740991 }), "bad-timestamp"],
        ["a timestamp nested 20,000 arrays deep", '{"timestamp":' + "[".repeat(20000) + "]".repeat(20000) + ',"eventType":"view","platform":"web","marketplace":"US"}', "bad-timestamp"],
    ];

    for (const [name, body, reason] of bad) {
        it(`answers ProcessingFailed (${reason}) for ${name}, keeping the original data`, () => {
            const rec = kinesisRecord(body);
            const outcome = transformBatch([rec], LOOKOUT, ARRIVAL);
            const out = outcome.response.records[0];
            assert.strictEqual(out.recordId, rec.recordId);
            assert.strictEqual(out.result, "ProcessingFailed");
            assert.strictEqual(out.data, rec.data);
            assert.strictEqual(out.metadata, undefined);
            assert.deepStrictEqual(outcome.reasons, { [reason]: 1 });
            assert.strictEqual(outcome.samples[0].reason, reason);
            assert.ok(outcome.samples[0].detail.length > 0);
        });
    }

    it("names the field at fault in the failure sample", () => {
        const outcome = transformBatch([kinesisRecord(view({ eventType: "purchase" })), kinesisRecord(view({ eventType: "checkout", revenue: -1 }))], LOOKOUT, ARRIVAL);
        assert.match(outcome.samples[0].detail, /^eventType "purchase" is not one of view, cart, checkout$/);
        assert.match(outcome.samples[1].detail, /^revenue -1 must be a number from 0 to 1000000000 on a checkout$/);
    });

    it("keeps the good records of a batch whose bad record cannot even be printed (deep nesting)", () => {
        const deep = kinesisRecord('{"platform":' + "[".repeat(100000) + "]".repeat(100000) + ',"timestamp":"2024-05-15T10:07:00Z","eventType":"view","marketplace":"US"}');
        const good = kinesisRecord(view({}));
        const outcome = transformBatch([deep, good], LOOKOUT, ARRIVAL);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), ["ProcessingFailed", "Ok"]);
        assert.match(outcome.samples[0].detail, /\[array\]|not printable/);
    });

    it("accepts revenue up to the ceiling", () => {
        const outcome = transformBatch([kinesisRecord(view({ eventType: "checkout", revenue: 1e9 }))], LOOKOUT, ARRIVAL);
        assert.strictEqual(outcome.response.records[0].result, "Ok");
    });

    it("accepts zero revenue on any event, a literal U+FFFD in an ignored field, and the edges of the time window", () => {
        const records = [
            kinesisRecord(view({ revenue: 0 })),
            kinesisRecord(view({ eventType: "checkout", revenue: 0 })),
            kinesisRecord(view({ note: "caf\uFFFD" })),
            kinesisRecord(view({ timestamp: new Date(ARRIVAL - MAX_EVENT_AGE_SECONDS * 1000).toISOString() })),
            kinesisRecord(view({ timestamp: new Date(ARRIVAL + MAX_FUTURE_SKEW_SECONDS * 1000).toISOString() })),
            kinesisRecord(view({ platform: "x".repeat(64), marketplace: "a-b_c.9" })),
        ];
        const outcome = transformBatch(records, LOOKOUT, ARRIVAL);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), records.map(() => "Ok"), JSON.stringify(outcome.samples));
    });

    it("judges age against the record's Kinesis arrival, falling back to the invocation time", () => {
        const old = view({ timestamp: "2024-05-10T10:07:00Z" });
        const replayed = kinesisRecord(old, Date.UTC(2024, 4, 10, 10, 7, 5)); // replayed days later: arrival is what counts
        const noArrival: FirehoseRecord = { recordId: "no-arrival", data: b64(old) };
        const outcome = transformBatch([replayed, noArrival], LOOKOUT, ARRIVAL);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), ["Ok", "ProcessingFailed"]);
    });

    it("keeps every recordId, in order, for a mixed batch and lets the valid records through", () => {
        const bodies = [view(), "not json", view({ eventType: "cart" }), view({ revenue: -1, eventType: "checkout" }), Buffer.from([0xc3, 0x28]), view({ platform: "ios" })];
        const records = bodies.map((b) => kinesisRecord(b));
        const outcome = transformBatch(records, LOOKOUT, ARRIVAL);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.recordId), records.map((r) => r.recordId));
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), ["Ok", "ProcessingFailed", "Ok", "ProcessingFailed", "ProcessingFailed", "Ok"]);
        assert.deepStrictEqual(outcome.reasons, { "not-json": 1, "bad-revenue": 1, "not-utf8": 1 });
        assert.strictEqual(outcome.ok + outcome.failed, records.length);
    });

    it("answers records that are not even objects instead of throwing", () => {
        const records = [null, 42, kinesisRecord(view()), { recordId: "no-data" }] as unknown as FirehoseRecord[];
        const outcome = transformBatch(records, LOOKOUT, ARRIVAL);
        assert.strictEqual(outcome.response.records.length, 4);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), ["ProcessingFailed", "ProcessingFailed", "Ok", "ProcessingFailed"]);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.recordId), [null, 42, records[2].recordId, "no-data"]);
    });
});

describeBoth("ecommerce transform: property test over generated good and bad records", () => {
    const platforms = ["web", "ios", "android", "smarttv"];
    const marketplaces = ["US", "UK", "DE", "JP", "BR"];
    const goodEvent = fc.record({
        offsetMs: fc.integer({ min: -MAX_EVENT_AGE_SECONDS * 1000, max: MAX_FUTURE_SKEW_SECONDS * 1000 }),
        eventType: fc.constantFrom("view", "cart", "checkout"),
        platform: fc.constantFrom(...platforms),
        marketplace: fc.constantFrom(...marketplaces),
        revenue: fc.double({ min: 0, max: 1e6, noNaN: true }),
        zone: fc.constantFrom("Z", "+02:00", "-05:30", "epoch"),
    }).map((g) => {
        const ms = ARRIVAL + g.offsetMs;
        let timestamp: string | number;
        if (g.zone === "epoch") timestamp = ms;
        else if (g.zone === "Z") timestamp = new Date(ms).toISOString();
        else {
            const sign = g.zone[0] === "+" ? 1 : -1;
            const off = sign * (Number(g.zone.slice(1, 3)) * 60 + Number(g.zone.slice(4, 6)));
            timestamp = new Date(ms + off * 60000).toISOString().slice(0, 23) + g.zone;
        }
        const e: Record<string, unknown> = { timestamp, eventType: g.eventType, platform: g.platform, marketplace: g.marketplace };
        if (g.eventType === "checkout") e.revenue = g.revenue;
        return { kind: "good" as const, body: JSON.stringify(e) as string | Buffer, ms, e };
    });
    const badEvent = fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => ({ kind: "bad" as const, body: Buffer.from(a) as string | Buffer })),
        fc.string({ maxLength: 120 }).map((s) => ({ kind: "bad" as const, body: s as string | Buffer })),
        fc.jsonValue().map((j) => ({ kind: "bad" as const, body: JSON.stringify(j) as string | Buffer })),
        // a good event with one field broken
        fc.tuple(goodEvent, fc.constantFrom("timestamp", "eventType", "platform", "marketplace", "revenue"), fc.anything()).map(([g, field, value]) => {
            const e: Record<string, unknown> = { ...g.e, [field]: value };
            return { kind: "mutated" as const, body: JSON.stringify(e) ?? "", original: g.e, field, value };
        }),
    );

    it("never throws, answers every recordId in order, and conserves counts over 12,000 records", () => {
        let total = 0;
        fc.assert(fc.property(fc.array(fc.oneof({ arbitrary: goodEvent, weight: 3 }, { arbitrary: badEvent, weight: 2 }), { minLength: 200, maxLength: 260 }), (items) => {
            total += items.length;
            const records = items.map((it) => kinesisRecord(it.body));
            const outcome = transformBatch(records, CLOUDWATCH, ARRIVAL);
            const out = outcome.response.records;
            assert.strictEqual(out.length, records.length);
            let okCount = 0;
            let views = 0;
            let carts = 0;
            let checkouts = 0;
            let revenue = 0;
            let logSum = 0;
            out.forEach((r, i) => {
                assert.strictEqual(r.recordId, records[i].recordId);
                const item = items[i];
                if (item.kind === "good") assert.strictEqual(r.result, "Ok", `good event refused: ${String(item.body)} ${JSON.stringify(outcome.samples)}`);
                if (r.result === "Ok") {
                    okCount += 1;
                    const text = unb64(r.data);
                    assert.ok(text.endsWith("}\n") && text.indexOf("\n") === text.length - 1, "one row per record");
                    const row = JSON.parse(text);
                    assert.deepStrictEqual(Object.keys(row), [TIMESTAMP_COLUMN, ...DIMENSIONS, ...MEASURES]);
                    assert.match(row.timestamp, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
                    const rowMs = Date.parse(row.timestamp.replace(" ", "T") + "Z");
                    assert.ok(rowMs >= ARRIVAL - MAX_EVENT_AGE_SECONDS * 1000 - 1000 && rowMs <= ARRIVAL + MAX_FUTURE_SKEW_SECONDS * 1000);
                    assert.deepStrictEqual(r.metadata?.partitionKeys, partitionOf(intervalStartMs(rowMs, 300)));
                    assert.strictEqual(row.views + row.carts + row.checkouts, 1);
                    assert.ok(row.revenue >= 0 && (row.checkouts === 1 || row.revenue === 0));
                    if (item.kind === "good") {
                        assert.strictEqual(rowMs, Math.floor(item.ms / 1000) * 1000);
                        assert.strictEqual(row.platform, item.e.platform);
                        assert.strictEqual(row.revenue, item.e.eventType === "checkout" ? item.e.revenue : 0);
                    }
                    views += row.views;
                    carts += row.carts;
                    checkouts += row.checkouts;
                    revenue += row.revenue;
                    if (row.checkouts === 1) logSum += Math.log1p(row.revenue);
                } else {
                    assert.strictEqual(r.result, "ProcessingFailed");
                    assert.strictEqual(r.data, records[i].data, "a failed record keeps its data");
                }
            });
            assert.strictEqual(outcome.ok, okCount);
            assert.strictEqual(outcome.ok + outcome.failed, records.length);
            assert.strictEqual(Object.values(outcome.reasons).reduce((a, b) => a + (b ?? 0), 0), outcome.failed);
            // EMF: the totals over all intervals equal the rows; each dimension set partitions the total
            const lines = outcome.emf.map((l) => JSON.parse(l));
            const sumOf = (dims: string[], m: string) => lines
                .filter((l) => JSON.stringify(l._aws.CloudWatchMetrics[0].Dimensions) === JSON.stringify([dims]))
                .reduce((a, l) => a + (l[m] ?? 0), 0);
            for (const dims of [["Stack"], ["Stack", "Platform"], ["Stack", "Marketplace"]]) {
                assert.strictEqual(sumOf(dims, "Views"), views);
                assert.strictEqual(sumOf(dims, "Carts"), carts);
                assert.strictEqual(sumOf(dims, "Checkouts"), checkouts);
                assert.ok(Math.abs(sumOf(dims, "Revenue") - revenue) <= 1e-6 * Math.max(1, revenue) + 1e-3);
                // OrderValueLog: Σ ln(1 + order value) over the accepted checkouts, partitioned the same way (each
                // line rounded to 6 decimals: at most 0.5e-6 off per line).
                assert.ok(Math.abs(sumOf(dims, "OrderValueLog") - logSum) <= 1e-6 * lines.length + 1e-9 * logSum, `${dims}: ${sumOf(dims, "OrderValueLog")} vs ${logSum}`);
            }
            assert.strictEqual(lines.filter((l) => MALFORMED_METRIC_NAME in l).length, 1);
            assert.strictEqual(sumOf(["Stack"], MALFORMED_METRIC_NAME), outcome.failed);
        }), { numRuns: 60, seed: 4242 });
        assert.ok(total >= 10_000, `only ${total} records generated`);
    });
});

describeBoth("ecommerce transform: CloudWatch Embedded Metric Format", () => {
    const at = (hhmmss: string) => `2024-05-15T${hhmmss}Z`;
    const records = () => [
        kinesisRecord(view({ timestamp: at("10:05:00"), platform: "web", marketplace: "US" })),
        kinesisRecord(view({ timestamp: at("10:06:00"), platform: "ios", marketplace: "US", eventType: "checkout", revenue: 10.1 })),
        kinesisRecord(view({ timestamp: at("10:07:00"), platform: "ios", marketplace: "UK", eventType: "checkout", revenue: 20.2 })),
        kinesisRecord(view({ timestamp: at("10:07:30"), platform: "smarttv", marketplace: "BR", eventType: "cart" })),
        kinesisRecord(view({ timestamp: at("10:00:00"), platform: "web", marketplace: "DE" })),
        kinesisRecord("broken"),
    ];

    it("emits one line per (minute, dimension-set value), stamped with the record's own minute, not the interval start", () => {
        const outcome = transformBatch(records(), CLOUDWATCH, ARRIVAL);
        const lines = outcome.emf.map((l) => JSON.parse(l));
        const t = (m: number) => Date.UTC(2024, 4, 15, 10, m);
        const summary = lines.map((l) => [l._aws.Timestamp, l._aws.CloudWatchMetrics[0].Dimensions[0].join("+"), l.Platform ?? l.Marketplace ?? "-", l.Views, l.Carts, l.Checkouts, l.Revenue]);
        assert.deepStrictEqual(summary, [
            [t(0), "Stack", "-", 1, 0, 0, 0],
            [t(0), "Stack+Platform", "web", 1, 0, 0, 0],
            [t(0), "Stack+Marketplace", "DE", 1, 0, 0, 0],
            [t(5), "Stack", "-", 1, 0, 0, 0],
            [t(5), "Stack+Platform", "web", 1, 0, 0, 0],
            [t(5), "Stack+Marketplace", "US", 1, 0, 0, 0],
            [t(6), "Stack", "-", 0, 0, 1, 10.1],
            [t(6), "Stack+Platform", "ios", 0, 0, 1, 10.1],
            [t(6), "Stack+Marketplace", "US", 0, 0, 1, 10.1],
            [t(7), "Stack", "-", 0, 1, 1, 20.2],
            [t(7), "Stack+Platform", OTHER_DIMENSION_VALUE, 0, 1, 0, 0],
            [t(7), "Stack+Platform", "ios", 0, 0, 1, 20.2],
            [t(7), "Stack+Marketplace", "UK", 0, 0, 1, 20.2],
            [t(7), "Stack+Marketplace", OTHER_DIMENSION_VALUE, 0, 1, 0, 0],
            [ARRIVAL, "Stack", "-", undefined, undefined, undefined, undefined],
        ]);
        // The S3 rows still go to the detector interval's folder (10:05 for 10:05–10:07:30).
        assert.deepStrictEqual(outcome.response.records.slice(0, 4).map((r) => r.metadata?.partitionKeys.time), ["1005", "1005", "1005", "1005"]);
        for (const l of lines) {
            assert.strictEqual(l.Stack, "dev");
            assert.strictEqual(l._aws.CloudWatchMetrics.length, 1);
            assert.strictEqual(l._aws.CloudWatchMetrics[0].Namespace, METRIC_NAMESPACE);
        }
        for (const l of lines.slice(0, -1)) {
            assert.deepStrictEqual(l._aws.CloudWatchMetrics[0].Metrics, [
                { Name: "Views", Unit: "Count" }, { Name: "Carts", Unit: "Count" }, { Name: "Checkouts", Unit: "Count" }, { Name: "Revenue", Unit: "None" },
                { Name: ORDER_VALUE_LOG_METRIC_NAME, Unit: "None" },
            ]);
        }
        assert.strictEqual(ORDER_VALUE_LOG_METRIC_NAME, "OrderValueLog");
        // Minutes of views and carts only carry OrderValueLog 0; 10:06 and 10:07 carry ln(1 + 10.1) and ln(1 + 20.2).
        assert.deepStrictEqual(lines.slice(0, -1).map((l) => l.OrderValueLog), [0, 0, 0, 0, 0, 0, 2.406945, 2.406945, 2.406945, 3.054001, 0, 3.054001, 3.054001, 0]);
        const malformed = lines[lines.length - 1];
        assert.deepStrictEqual(malformed._aws.CloudWatchMetrics[0].Metrics, [{ Name: MALFORMED_METRIC_NAME, Unit: "Count" }]);
        assert.strictEqual(malformed[MALFORMED_METRIC_NAME], 1);
    });

    it("OrderValueLog = Σ ln(1 + order value) over each line's checkouts: hand-computed on the total and every dimension value", () => {
        const minute = (hhmmss: string) => at(hhmmss);
        const outcome = transformBatch([
            kinesisRecord(view({ timestamp: minute("10:06:01"), platform: "web", marketplace: "US", eventType: "checkout", revenue: 10 })),
            kinesisRecord(view({ timestamp: minute("10:06:30"), platform: "web", marketplace: "DE", eventType: "checkout", revenue: 20 })),
            kinesisRecord(view({ timestamp: minute("10:06:45"), platform: "ios", marketplace: "US", eventType: "checkout", revenue: 0 })),
            kinesisRecord(view({ timestamp: minute("10:06:50"), platform: "android", marketplace: "JP" })),
            kinesisRecord(view({ timestamp: minute("10:06:55"), platform: "smarttv", marketplace: "BR", eventType: "cart" })),
            // malformed checkouts: refused (ProcessingFailed, data kept), never summed
            kinesisRecord(view({ timestamp: minute("10:06:58"), platform: "web", marketplace: "US", eventType: "checkout", revenue: -5 })),
            kinesisRecord(view({ timestamp: minute("10:06:59"), platform: "web", marketplace: "US", eventType: "checkout", revenue: "30" })),
        ], CLOUDWATCH, ARRIVAL);
        assert.deepStrictEqual(outcome.response.records.map((r) => r.result), ["Ok", "Ok", "Ok", "Ok", "Ok", "ProcessingFailed", "ProcessingFailed"]);
        assert.deepStrictEqual(outcome.reasons, { "bad-revenue": 2 });
        const lines = outcome.emf.map((l) => JSON.parse(l));
        const got = lines.filter((l) => !(MALFORMED_METRIC_NAME in l)).map((l) => [l.Platform ?? l.Marketplace ?? "total", l.Checkouts, l.Revenue, l.OrderValueLog]);
        // ln 11 = 2.3978953, ln 21 = 3.0445224, ln 1 = 0 (a free order adds nothing); 6 decimals as Revenue
        assert.deepStrictEqual(got, [
            ["total", 3, 30, 5.442418],
            [OTHER_DIMENSION_VALUE, 0, 0, 0],
            ["android", 0, 0, 0],
            ["ios", 1, 0, 0],
            ["web", 2, 30, 5.442418],
            ["DE", 1, 20, 3.044522],
            ["JP", 0, 0, 0],
            ["US", 2, 10, 2.397895],
            [OTHER_DIMENSION_VALUE, 0, 0, 0],
        ]);
        for (const l of lines.filter((x) => !(MALFORMED_METRIC_NAME in x))) {
            const declared = l._aws.CloudWatchMetrics[0].Metrics as { Name: string; Unit: string }[];
            assert.deepStrictEqual(declared.find((m) => m.Name === "OrderValueLog"), { Name: "OrderValueLog", Unit: "None" });
            assert.strictEqual(typeof l.OrderValueLog, "number");
        }
        assert.strictEqual(lines[lines.length - 1].OrderValueLog, undefined, "the MalformedRecords line carries no measures");
    });

    it("every EMF line is within the Embedded Metric Format limits (preflight/quotas.ts): <= 100 metrics per directive, <= 30 dimension keys per set, each declared metric a number at the root, one event under 256 KB", () => {
        const outcome = transformBatch(records(), CLOUDWATCH, ARRIVAL);
        assert.ok(outcome.emf.length > 2);
        for (const text of outcome.emf) {
            assert.ok(Buffer.byteLength(text) < 256 * 1024, "a CloudWatch Logs event (256 KB in the older limit; 1 MB now)");
            const l = JSON.parse(text);
            assert.strictEqual(l._aws.CloudWatchMetrics.length, 1);
            const d = l._aws.CloudWatchMetrics[0];
            assert.ok(d.Metrics.length >= 1 && d.Metrics.length <= QUOTAS.emfMetricsPerDirective, `${d.Metrics.length} metrics in one directive`);
            assert.strictEqual(new Set(d.Metrics.map((m: { Name: string }) => m.Name)).size, d.Metrics.length, "metric names unique");
            for (const set of d.Dimensions) {
                assert.ok(set.length >= 1 && set.length <= QUOTAS.emfDimensionKeysPerSet);
                for (const k of set) assert.strictEqual(typeof l[k], "string", `dimension ${k} has a value at the root`);
            }
            for (const m of d.Metrics) {
                assert.ok(typeof l[m.Name] === "number" && Number.isFinite(l[m.Name]), `${m.Name} is a number at the root`);
                assert.ok(["Count", "None"].includes(m.Unit));
            }
        }
    });

    it("emits only the configured dimension sets", () => {
        const outcome = transformBatch(records(), { ...CLOUDWATCH, metrics: { ...CLOUDWATCH.metrics!, dimensions: ["marketplace"] } }, ARRIVAL);
        const sets = new Set(outcome.emf.map((l) => JSON.parse(l)._aws.CloudWatchMetrics[0].Dimensions[0].join("+")));
        assert.deepStrictEqual([...sets].sort(), ["Stack", "Stack+Marketplace"]);
    });

    it("emits nothing with the Lookout engine", () => {
        assert.deepStrictEqual(transformBatch(records(), LOOKOUT, ARRIVAL).emf, []);
    });
});

describeBoth("ecommerce transform: Lambda entry and environment", () => {
    const env = {
        [ENV.intervalSeconds]: "600",
        [ENV.emitMetrics]: "true",
        [ENV.metricStack]: "prod",
        [ENV.metricDimensions]: "platform,marketplace",
        [ENV.watchedPlatforms]: "web,ios",
        [ENV.watchedMarketplaces]: "US",
    };

    it("reads its options from the environment the component sets", () => {
        assert.deepStrictEqual(optionsFromEnv(env), {
            intervalSeconds: 600,
            maxEventAgeSeconds: MAX_EVENT_AGE_SECONDS,
            maxFutureSkewSeconds: MAX_FUTURE_SKEW_SECONDS,
            metrics: { stack: "prod", dimensions: ["platform", "marketplace"], platforms: ["web", "ios"], marketplaces: ["US"] },
        });
        assert.deepStrictEqual(optionsFromEnv({ [ENV.intervalSeconds]: "300", [ENV.emitMetrics]: "false" }).metrics, undefined);
    });

    it("refuses a bad environment, naming the variable", () => {
        assert.throws(() => optionsFromEnv({}), /ECOMMERCE_INTERVAL_SECONDS=null: must be a whole number/);
        assert.throws(() => optionsFromEnv({ ...env, [ENV.intervalSeconds]: "420" }), /ECOMMERCE_INTERVAL_SECONDS="420"/);
        assert.throws(() => optionsFromEnv({ ...env, [ENV.emitMetrics]: "yes" }), /ECOMMERCE_EMIT_METRICS="yes": must be true or false/);
        assert.throws(() => optionsFromEnv({ ...env, [ENV.metricStack]: "" }), /ECOMMERCE_METRIC_STACK must name the stack/);
        assert.throws(() => optionsFromEnv({ ...env, [ENV.metricDimensions]: "platform,device" }), /"device" is not one of platform, marketplace/);
    });

    it("handles an invocation: returns exactly {records}, emits EMF lines as-is and logs a summary", () => {
        const emitted: string[] = [];
        const logs: [string, Record<string, unknown>][] = [];
        const event = firehoseEvent([kinesisRecord(view()), kinesisRecord("nope")]);
        const res = handleTransformEvent(event, optionsFromEnv(env), { emit: (l) => emitted.push(l), log: (lvl, e) => logs.push([lvl, e]), now: () => ARRIVAL });
        assert.deepStrictEqual(Object.keys(res), ["records"]);
        assert.deepStrictEqual(res.records.map((r) => r.result), ["Ok", "ProcessingFailed"]);
        assert.strictEqual(emitted.length, 4); // total, web, US, malformed
        for (const l of emitted) assert.ok(JSON.parse(l)._aws, "each emitted line is a bare EMF document");
        assert.strictEqual(logs.length, 1);
        assert.strictEqual(logs[0][0], "warn");
        assert.deepStrictEqual(
            { ...logs[0][1], samples: undefined },
            { msg: "ecommerce transform", invocationId: event.invocationId, records: 2, ok: 1, failed: 1, reasons: { "not-json": 1 }, samples: undefined },
        );
    });

    it("throws only for an invocation that is not a Firehose transformation event", () => {
        const io = { emit: () => undefined, log: () => undefined, now: () => ARRIVAL };
        assert.throws(() => handleTransformEvent({ Records: [] }, LOOKOUT, io), /not a Firehose data-transformation event/);
        assert.throws(() => handleTransformEvent(null, LOOKOUT, io), /not a Firehose data-transformation event/);
        assert.deepStrictEqual(handleTransformEvent(firehoseEvent([]), LOOKOUT, io), { records: [] });
    });
});
