// The cost estimate (scripts/lib/cost.ts) and its dated price table (scripts/lib/prices.ts): every price is
// sourced and dated, the arithmetic of each billed item, the load parser, and the WAF logging filter's effect.
import { strict as assert } from "assert";

import { emfLine, malformedEmfLine } from "../handlers/ecommerceTransform";
import { alarmUsd, EMF_SAMPLE_TIMESTAMP_MS, emfLineSets, emfSeries, estimateCost, formatCost, IDLE, loggingFilterDropsAllowed, parseLoad, REFERENCE_LOAD, wrapText } from "../scripts/lib/cost";
import { alarmMonthlyUsd, compositeAlarmMonthlyUsd, Price, PRICE_TABLE, priceOf, priceSources } from "../scripts/lib/prices";

const close = (a: number, b: number, eps = 0.005) => assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

const KEEP_BLOCK_COUNT = {
    defaultBehavior: "DROP",
    filters: [{ behavior: "KEEP", requirement: "MEETS_ANY", conditions: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }] }],
};

describe("price table (scripts/lib/prices.ts)", () => {
    it("is dated, for us-east-1, and every price has a positive amount, a unit, a source and how it was checked", () => {
        assert.match(PRICE_TABLE.date, /^\d{4}-\d{2}-\d{2}$/);
        assert.equal(PRICE_TABLE.region, "us-east-1");
        for (const [k, p] of Object.entries(PRICE_TABLE.prices) as [string, Price][]) {
            assert.ok(p.usd > 0 && p.per > 0, k);
            assert.ok(p.unit.length > 3, k);
            assert.match(p.source, /\w+\.\w+/, k);
            assert.ok(["aws", "aws-model", "third-party", "unverified"].includes(p.checked), k);
        }
        assert.equal(priceSources().length, Object.keys(PRICE_TABLE.prices).length);
    });

    it("prices alarms as CloudWatch bills them: per metric read, 3 per metric for an anomaly band, more for high resolution", () => {
        close(alarmMonthlyUsd(), 0.10);
        close(alarmMonthlyUsd({ anomalyBand: true }), 0.30);
        close(alarmMonthlyUsd({ metrics: 2, anomalyBand: true }), 0.60);
        close(alarmMonthlyUsd({ highResolution: true }), 0.30);
        close(compositeAlarmMonthlyUsd(), 0.50);
        const band = alarmUsd({ metricQueries: [{ id: "m1", metric: { namespace: "N", metricName: "M", period: 300 } }, { id: "e1", expression: "FILL(m1, 0)" }, { id: "ad1", expression: "ANOMALY_DETECTION_BAND(e1, 2)" }] });
        assert.deepEqual({ ...band, usd: Math.round(band.usd * 100) }, { usd: 30, metrics: 1, band: true, highRes: false });
        assert.equal(alarmUsd({ metricName: "X", namespace: "AWS/Lambda", period: 10 }).highRes, true);
    });

    it("applies free allowances only when asked", () => {
        close(priceOf("kmsRequests", 30_000), 0.09);
        close(priceOf("kmsRequests", 30_000, true), 0.03);
    });
});

describe("cost estimate (scripts/lib/cost.ts)", () => {
    it("parses --load and refuses what it cannot read, with the reason", () => {
        assert.deepEqual(parseLoad("events=20/s,requests=50/s"), REFERENCE_LOAD);
        const l = parseLoad("events=600/min, requests=5, logged=5%, wafLogBytes=2000");
        assert.equal(l.eventsPerSecond, 10);
        assert.equal(l.requestsPerSecond, 5);
        assert.equal(l.loggedFraction, 0.05);
        assert.equal(l.wafLogBytes, 2000);
        assert.throws(() => parseLoad("events=fast"), /"events=fast" is not key=number/);
        assert.throws(() => parseLoad("users=3/s"), /unknown key "users"/);
        assert.throws(() => parseLoad("logged=150%"), /cannot exceed 100%/);
    });

    it("an on-demand stream costs its stream-hours at idle; a provisioned one its shard-hours", () => {
        const od = estimateCost([{ type: "aws:kinesis/stream:Stream", name: "s", props: { streamModeDetails: { streamMode: "ON_DEMAND" } } }], IDLE);
        close(od.totalUsd, 730 * 0.04);
        const prov = estimateCost([{ type: "aws:kinesis/stream:Stream", name: "s", props: { shardCount: 1, streamModeDetails: { streamMode: "PROVISIONED" } } }], IDLE);
        close(prov.totalUsd, 730 * 0.015);
    });

    it("WAF: ACL + rules at idle, requests and log ingestion at load; a BLOCK/COUNT logging filter cuts ingestion to the logged share", () => {
        const acl = { type: "aws:wafv2/webAcl:WebAcl", name: "acl", props: { rules: [{}, {}, {}] } };
        const everything = { type: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", name: "log", props: {} };
        const filtered = { ...everything, props: { loggingFilter: KEEP_BLOCK_COUNT } };
        close(estimateCost([acl, everything], IDLE).totalUsd, 8);
        const all = estimateCost([acl, everything], REFERENCE_LOAD);
        const requests = 50 * 730 * 3600;
        close(all.lines.find((x) => x.item === "requests inspected")!.usd, (requests / 1e6) * 0.6);
        const allLogs = all.lines.find((x) => x.item.startsWith("WAF log ingestion"))!.usd;
        close(allLogs, (requests * 1450) / 1e9 * 0.5);
        assert.ok(allLogs > 90 && allLogs < 100, "~190 GB a month at 50 requests/s");
        const some = estimateCost([acl, filtered], REFERENCE_LOAD).lines.find((x) => x.item.startsWith("WAF log ingestion"))!;
        assert.equal(some.item, "WAF log ingestion (BLOCK/COUNT only)");
        close(some.usd, allLogs * 0.01);
    });

    it("EMF custom metrics: 5 per dimension-set value (Views, Carts, Checkouts, Revenue, OrderValueLog) + MalformedRecords; log lines measured with the transform's own emfLine", () => {
        const transform = {
            type: "aws:lambda/function:Function", name: "ecommerce-transform", props: {
                environment: { variables: {
                    ECOMMERCE_EMIT_METRICS: "true", ECOMMERCE_METRIC_STACK: "dev", ECOMMERCE_METRIC_DIMENSIONS: "platform,marketplace",
                    ECOMMERCE_WATCHED_PLATFORMS: "web,ios,android", ECOMMERCE_WATCHED_MARKETPLACES: "US,UK,DE,JP",
                } },
            },
        };
        const lookout = { type: "aws:lambda/function:Function", name: "ecommerce-transform", props: { environment: { variables: { ECOMMERCE_EMIT_METRICS: "false" } } } };
        // the total + (3 platforms + _other) + (4 marketplaces + _other) = 10 lines a minute, 5 metrics each, + MalformedRecords
        assert.equal(emfLineSets([transform]).length, 10);
        assert.equal(emfSeries([transform]), 51);
        assert.equal(emfSeries([lookout]), 0);
        assert.equal(emfSeries([{ ...transform, props: { environment: { variables: { ...transform.props.environment.variables, ECOMMERCE_METRIC_DIMENSIONS: "marketplace" } } } }]), 31);
        const firehose = { type: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", name: "f", props: { extendedS3Configuration: { bufferingInterval: 60, processingConfiguration: { processors: [{ type: "Lambda" }] } } } };
        const load = estimateCost([transform, firehose, { type: "aws:cloudwatch/metricAlarm:MetricAlarm", name: "a", props: { metricName: "Views", namespace: "EdgeAnomaly/Ecommerce" } }], REFERENCE_LOAD);
        const line = (item: string) => load.lines.find((l) => l.item === item);
        close(line("custom metrics (EMF, while events flow)")!.usd, 51 * 0.30);
        // One batch a minute (43,800 a month at a 60 s buffer): 10 measure lines + the MalformedRecords line, each as emitted.
        const bytes = [
            emfLine(EMF_SAMPLE_TIMESTAMP_MS, "dev", undefined, undefined, [1000, 80, 28, 1234.56, 106.712345]),
            ...["web", "ios", "android", "_other"].map((v) => emfLine(EMF_SAMPLE_TIMESTAMP_MS, "dev", "platform", v, [100, 8, 3, 123.45, 11.234567])),
            ...["US", "UK", "DE", "JP", "_other"].map((v) => emfLine(EMF_SAMPLE_TIMESTAMP_MS, "dev", "marketplace", v, [100, 8, 3, 123.45, 11.234567])),
            malformedEmfLine(EMF_SAMPLE_TIMESTAMP_MS, "dev", 0),
        ].reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        assert.ok(bytes > 11 * 390, `${bytes} B: each measure line declares and carries OrderValueLog`);
        const logs = line("EMF log ingestion (transform metrics)")!;
        assert.match(logs.basis, new RegExp(`43\\.8 k batches × 11 lines \\(one per dimension-set value \\+ MalformedRecords\\) × ${Math.round(bytes / 11)} B`));
        close(logs.usd, (730 * 3600 / 60) * 11 * Math.round(bytes / 11) / 1e9 * 0.5, 1e-6);
    });

    it("knows which logging filters drop allowed requests", () => {
        assert.equal(loggingFilterDropsAllowed({}), false);
        assert.equal(loggingFilterDropsAllowed({ loggingFilter: KEEP_BLOCK_COUNT }), true);
        assert.equal(loggingFilterDropsAllowed({ loggingFilter: { defaultBehavior: "DROP", filters: [{ behavior: "KEEP", conditions: [{ actionCondition: { action: "ALLOW" } }] }] } }), false);
        assert.equal(loggingFilterDropsAllowed({ loggingFilter: { defaultBehavior: "KEEP", filters: [{ behavior: "DROP", requirement: "MEETS_ANY", conditions: [{ actionCondition: { action: "ALLOW" } }] }] } }), true);
        assert.equal(loggingFilterDropsAllowed({ loggingFilter: { defaultBehavior: "KEEP", filters: [] } }), false);
    });

    it("lists billable types it has no price for instead of counting them as free", () => {
        const e = estimateCost([{ type: "aws:ec2/instance:Instance", name: "i", props: {} }, { type: "aws:iam/role:Role", name: "r", props: {} }], IDLE);
        assert.deepEqual(e.unpriced, ["aws:ec2:Instance"]);
        assert.equal(e.totalUsd, 0);
    });

    it("formats idle and load side by side, labelled as an estimate with the price date, within 120 columns", () => {
        const rs = [{ type: "aws:kinesis/stream:Stream", name: "s", props: { streamModeDetails: { streamMode: "ON_DEMAND" } } }, { type: "aws:wafv2/webAcl:WebAcl", name: "a", props: { rules: [{}] } }];
        const text = formatCost(estimateCost(rs, IDLE), estimateCost(rs, REFERENCE_LOAD));
        assert.match(text, /^Monthly cost ESTIMATE, us-east-1 list prices of \d{4}-\d{2}-\d{2}/);
        assert.match(text, /^TOTAL\s+\$35\.20\s+\$\d+/m);
        for (const line of text.split("\n")) assert.ok(line.length <= 120, line);
        assert.deepEqual(wrapText("aa bb cc", 5, "", "  "), ["aa bb", "  cc"]);
    });
});
