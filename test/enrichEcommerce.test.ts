// Ecommerce root cause (handlers/enrich/ecommerceRootCause.ts) with GetMetricData stubbed on the real CloudWatch
// client; every request is validated against the SDK's own GetMetricData schema and GetMetricData's 500-query limit.
import * as assert from "assert";
import * as http from "http";
import { CloudWatchClient, GetMetricData$, GetMetricDataCommand, GetMetricDataCommandInput, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";

import { bandExpression, fillExpression, QUERY_IDS } from "../components/cloudwatchDetection";
import { METRIC_NAMESPACE } from "../model/ecommerceSchema";
import {
    ecommerceRequestFromAlarm, ecommerceRootCause, ecommerceRootCauseEnv, EcommerceRootCauseSettings, ecommerceSettingsFromEnv, MAX_QUERIES_PER_CALL, rankContributions,
    seriesBand, seriesQueries, seriesToRead, sharesOf,
} from "../handlers/enrich/ecommerceRootCause";
import { cloudWatchClientConfig } from "../handlers/alert/settings";
import { answer } from "./ecommerceSeriesStub";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { validateAgainstSdk } from "./standins/sdkSchema";

const T1 = new Date("2026-12-01T10:00:00Z");
const T2 = new Date("2026-12-01T10:05:00Z");
const WINDOW = { start: T1, end: new Date("2026-12-01T10:10:00Z") };
const SETTINGS: EcommerceRootCauseSettings = {
    namespace: METRIC_NAMESPACE, stack: "dev", periodSeconds: 300, bandWidth: 2,
    dimensions: { Platform: ["web", "ios"], Marketplace: ["US", "DE"] },
};

/** Per series key (`total`, `Platform=web`): datapoints [value, bandLower, bandUpper] at T1 and T2; null = no band. */
type Points = [number, number, number][] | [number, number | null, number | null][];
const DROP: Record<string, Points> = {
    // total: expected 1000 at both, observed 400 and 500 → 1100 below
    total: [[400, 900, 1100], [500, 900, 1100]],
    // Platform: web 950 below, ios 50 below, _other 100 below → 86.36 / 9.09 / 4.55
    "Platform=web": [[100, 550, 650], [150, 550, 650]],
    "Platform=ios": [[250, 280, 320], [300, 280, 320]],
    "Platform=_other": [[50, 80, 120], [50, 80, 120]],
    // Marketplace: US 350 below; DE rose (−100: no share); _other 400 below, band only at T1 → 46.67 / 53.33
    "Marketplace=US": [[300, 450, 550], [350, 450, 550]],
    "Marketplace=DE": [[150, 90, 110], [150, 90, 110]],
    "Marketplace=_other": [[0, 300, 500], [20, null, null]],
};

function keyOf(input: GetMetricDataCommandInput): string {
    const m = input.MetricDataQueries!.find((q) => q.MetricStat)!.MetricStat!.Metric!;
    const dim = m.Dimensions!.find((d) => d.Name !== "Stack");
    return dim ? `${dim.Name}=${dim.Value}` : "total";
}

/** The module's entry point as Pulumi serializes it into the finding Lambda, and from source. */
const moduleFactory = () => ({ ecommerceRootCause });

forBothArtifacts("ecommerce root cause (GetMetricData stubbed)", artifactsOf<{ ecommerceRootCause: typeof ecommerceRootCause }>(moduleFactory, { factory: true, name: "enrich-ecommerce" }), (get) => {
    const ecommerceRootCause: typeof import("../handlers/enrich/ecommerceRootCause").ecommerceRootCause = (req, s, d) => get().ecommerceRootCause(req, s, d);
    let cw: ReturnType<typeof mockClient>;
    before(() => { cw = mockClient(CloudWatchClient); });
    const client = new CloudWatchClient({ region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    let data: Record<string, Points>;
    let pageSplit = false;
    let failFor: string | undefined;
    /** Series whose call hangs until `release()` (a client that ignores the abort signal), then answers the spike. */
    let hangFor: string[] = [];
    let release: () => void = () => undefined;
    /** Called when a call of `hangFor` arrives (before it hangs). */
    let onHang: (key: string) => void = () => undefined;
    /** Answer with the period-aware stub (test/ecommerceSeriesStub.ts) instead of DROP. */
    let periodAware = false;

    beforeEach(() => {
        cw.reset();
        data = DROP;
        pageSplit = false;
        failFor = undefined;
        hangFor = [];
        periodAware = false;
        const gate = new Promise<void>((r) => { release = r; });
        onHang = () => undefined;
        cw.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput) => {
            const key = keyOf(input);
            if (hangFor.includes(key)) {
                onHang(key);
                await gate;
                return answer(input, { [key]: [1, 1_000_000] });
            }
            if (periodAware) return answer(input);
            if (key === failFor) throw Object.assign(new Error("Rate exceeded"), { name: "LimitExceededException" });
            const points = data[key];
            if (!points || points.length === 0) return { MetricDataResults: [{ Id: "e1", StatusCode: "Complete", Timestamps: [], Values: [] }, { Id: "ad1", StatusCode: "Complete", Timestamps: [], Values: [] }] };
            const times = [T1, T2];
            // with pageSplit, T1 comes in the first page and T2 in the second
            const pick = pageSplit ? (input.NextToken ? [1] : [0]) : [0, 1];
            const results: MetricDataResult[] = [
                { Id: "e1", StatusCode: "Complete", Timestamps: pick.map((i) => times[i]), Values: pick.map((i) => points[i][0]) },
                // the band as two series: upper first here (the module tells them apart per timestamp)
                { Id: "ad1", StatusCode: "Complete", Label: "upper", Timestamps: pick.filter((i) => points[i][2] !== null).map((i) => times[i]), Values: pick.filter((i) => points[i][2] !== null).map((i) => points[i][2] as number) },
                { Id: "ad1", StatusCode: "Complete", Label: "lower", Timestamps: pick.filter((i) => points[i][1] !== null).map((i) => times[i]), Values: pick.filter((i) => points[i][1] !== null).map((i) => points[i][1] as number) },
            ];
            return { MetricDataResults: results, NextToken: pageSplit && !input.NextToken ? "page-2" : undefined };
        });
    });

    afterEach(() => {
        const calls = cw.commandCalls(GetMetricDataCommand);
        const problems = calls.flatMap((c) => validateAgainstSdk(GetMetricData$ as never, c.args[0].input));
        assert.deepStrictEqual(problems, [], "every GetMetricData request matches the SDK's model");
        for (const c of calls) assert.ok(c.args[0].input.MetricDataQueries!.length <= MAX_QUERIES_PER_CALL);
    });
    after(() => cw.restore());

    it("a drop of the total: contributions ranked per dimension, shares (hand-computed) adding up to 100", async () => {
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client });
        assert.strictEqual(r.status, "complete", r.reason);
        assert.deepStrictEqual(r.total && [r.total.observed, r.total.expected, r.total.deviation], [900, 2000, 1100]);
        assert.deepStrictEqual(r.dimensionContribution, [
            { dimensionName: "Platform", dimensionValueContributions: [
                { dimensionValue: "web", valueContribution: 86.36 }, { dimensionValue: "_other", valueContribution: 9.09 }, { dimensionValue: "ios", valueContribution: 4.55 },
            ] },
            { dimensionName: "Marketplace", dimensionValueContributions: [
                { dimensionValue: "_other", valueContribution: 53.33 }, { dimensionValue: "US", valueContribution: 46.67 },
            ] },
        ]);
        for (const dc of r.dimensionContribution) {
            const sum = dc.dimensionValueContributions.reduce((a, v) => a + v.valueContribution, 0);
            assert.strictEqual(Math.round(sum * 100), 10000, `${dc.dimensionName} shares add up to 100`);
        }
        // DE moved the other way: listed with its deviation, no share; _other's second datapoint had no band
        const de = r.series.find((x) => x.value === "DE")!;
        assert.deepStrictEqual([de.deviation, de.share], [-100, 0]);
        assert.strictEqual(r.series.find((x) => x.dimension === "Marketplace" && x.value === "_other")!.datapoints, 1);
    });

    it("reads every watched series plus each dimension's _other bucket with the alarms' exact metric math, one call each", async () => {
        await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client });
        const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
        assert.deepStrictEqual(calls.map(keyOf).sort(), ["Marketplace=DE", "Marketplace=US", "Marketplace=_other", "Platform=_other", "Platform=ios", "Platform=web", "total"]);
        for (const input of calls) {
            assert.deepStrictEqual([input.StartTime, input.EndTime], [WINDOW.start, WINDOW.end]);
            const q = input.MetricDataQueries!;
            assert.deepStrictEqual(q.map((x) => x.Id), [QUERY_IDS.metric, QUERY_IDS.filled, QUERY_IDS.band]);
            assert.strictEqual(q[1].Expression, fillExpression(QUERY_IDS.metric));
            assert.strictEqual(q[2].Expression, bandExpression(QUERY_IDS.filled, SETTINGS.bandWidth));
            assert.deepStrictEqual([q[0].MetricStat!.Period, q[0].MetricStat!.Stat, q[0].MetricStat!.Metric!.Namespace, q[0].MetricStat!.Metric!.MetricName], [300, "Sum", METRIC_NAMESPACE, "Views"]);
            assert.deepStrictEqual(q[0].MetricStat!.Metric!.Dimensions![0], { Name: "Stack", Value: "dev" });
        }
    });

    it("follows NextToken pages: the same result from two pages", async () => {
        pageSplit = true;
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client });
        assert.strictEqual(r.dimensionContribution[0].dimensionValueContributions[0].valueContribution, 86.36);
        const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
        assert.strictEqual(calls.length, 14);
        assert.strictEqual(calls.filter((c) => c.NextToken === "page-2").length, 7);
    });

    it("a spike: the same data read above the band ranks the values that rose", async () => {
        const r = await ecommerceRootCause({ metricName: "Views", direction: "above", window: WINDOW }, SETTINGS, { cloudWatch: client });
        // only DE rose (+100): all of Marketplace's share; Platform: nothing rose
        assert.deepStrictEqual(r.dimensionContribution, [{ dimensionName: "Marketplace", dimensionValueContributions: [{ dimensionValue: "DE", valueContribution: 100 }] }]);
    });

    it("a series that cannot be read: left out with the reason (partial); the others still add up to 100", async () => {
        failFor = "Platform=web";
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client });
        assert.strictEqual(r.status, "partial");
        assert.match(r.reason!, /Platform=web: LimitExceededException: Rate exceeded/);
        assert.deepStrictEqual(r.dimensionContribution[0].dimensionValueContributions, [
            { dimensionValue: "_other", valueContribution: 66.67 }, { dimensionValue: "ios", valueContribution: 33.33 },
        ]);
    });

    it("missing data: a series with no datapoints or no band gets no share and says why", async () => {
        data = { ...DROP, "Platform=ios": [] as unknown as Points, "Platform=_other": [[10, null, null], [10, null, null]] };
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client });
        assert.deepStrictEqual(r.dimensionContribution[0], { dimensionName: "Platform", dimensionValueContributions: [{ dimensionValue: "web", valueContribution: 100 }] });
        assert.match(r.series.find((x) => x.value === "ios")!.note!, /no datapoints in the window/);
        assert.match(r.series.find((x) => x.dimension === "Platform" && x.value === "_other")!.note!, /no band/);
    });

    it("each series at its own alarms' period and band: revenue by dimension at byDimension's, the total at the fired alarm's; windows widened to whole periods", async () => {
        periodAware = true;
        const s: EcommerceRootCauseSettings = { ...SETTINGS, periodSeconds: 60, bandWidth: 3, byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } } };
        const window = { start: new Date("2025-03-04T10:06:00Z"), end: new Date("2025-03-04T10:08:00Z") };
        const r = await ecommerceRootCause({ metricName: "Revenue", direction: "above", window, alarm: { periodSeconds: 60, bandWidth: 3 } }, s, { cloudWatch: client });
        const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
        const shape = (i: GetMetricDataCommandInput) => [i.MetricDataQueries![0].MetricStat!.Period, i.MetricDataQueries![2].Expression, i.StartTime!.toISOString(), i.EndTime!.toISOString()];
        assert.deepStrictEqual(shape(calls.find((c) => keyOf(c) === "total")!), [60, "ANOMALY_DETECTION_BAND(e1, 3)", "2025-03-04T10:06:00.000Z", "2025-03-04T10:08:00.000Z"]);
        for (const c of calls.filter((x) => keyOf(x) !== "total")) {
            assert.deepStrictEqual(shape(c), [300, "ANOMALY_DETECTION_BAND(e1, 3.5)", "2025-03-04T10:05:00.000Z", "2025-03-04T10:10:00.000Z"], keyOf(c));
        }
        assert.deepStrictEqual(r.reads, [
            { group: "total", periodSeconds: 60, bandWidth: 3, start: "2025-03-04T10:06:00.000Z", end: "2025-03-04T10:08:00.000Z" },
            { group: "Platform", periodSeconds: 300, bandWidth: 3.5, start: "2025-03-04T10:05:00.000Z", end: "2025-03-04T10:10:00.000Z" },
            { group: "Marketplace", periodSeconds: 300, bandWidth: 3.5, start: "2025-03-04T10:05:00.000Z", end: "2025-03-04T10:10:00.000Z" },
        ]);
        // Hand-computed: 4 of the 300 s period's 5 minutes in the spike; web +2700 × 4 of +3000 × 4 → 90 %.
        assert.deepStrictEqual(r.dimensionContribution[0], { dimensionName: "Platform", dimensionValueContributions: [
            { dimensionValue: "web", valueContribution: 90 }, { dimensionValue: "ios", valueContribution: 6.67 }, { dimensionValue: "_other", valueContribution: 3.33 },
        ] });
        assert.strictEqual(r.total!.deviation, 6000, "the total over its own 2 minutes");
        // Views (not in byDimension): every series at the total's period and band.
        cw.resetHistory();
        await ecommerceRootCause({ metricName: "Views", direction: "above", window }, s, { cloudWatch: client });
        for (const c of cw.commandCalls(GetMetricDataCommand).map((x) => x.args[0].input)) assert.deepStrictEqual(shape(c).slice(0, 2), [60, "ANOMALY_DETECTION_BAND(e1, 3)"], keyOf(c));
    });

    it("a by-dimension alarm (focus): the total and that dimension's values only, the dimension at the alarm's own period and band", async () => {
        periodAware = true;
        const s: EcommerceRootCauseSettings = { ...SETTINGS, periodSeconds: 60, bandWidth: 3, byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } } };
        const window = { start: new Date("2025-03-04T10:05:00Z"), end: new Date("2025-03-04T10:15:00Z") };
        const r = await ecommerceRootCause({ metricName: "Revenue", direction: "above", window, alarm: { periodSeconds: 300, bandWidth: 4 }, focus: { dimension: "Platform", value: "web" } }, s, { cloudWatch: client });
        const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
        assert.deepStrictEqual(calls.map(keyOf).sort(), ["Platform=_other", "Platform=ios", "Platform=web", "total"]);
        assert.deepStrictEqual(r.reads!.map((x) => [x.group, x.periodSeconds, x.bandWidth]), [["total", 60, 3], ["Platform", 300, 4]], "the alarm's own band (4) wins over the settings' (3.5)");
        assert.deepStrictEqual(r.focus, { dimension: "Platform", value: "web" });
        assert.strictEqual(r.dimensionContribution[0].dimensionValueContributions[0].dimensionValue, "web");
    });

    it("at the deadline the calls still running are aborted (their abortSignal fires) and none is started; what was read is kept; a late answer changes nothing", async () => {
        hangFor = ["Platform=web", "Marketplace=US"];
        // The deadline fires once both hanging calls are in flight (an event, not a wall-clock delay a loaded machine
        // may overrun): 2 at once, so total, ios and _other were read by then and DE, _other not started.
        const inFlight: string[] = [];
        let fire: (() => void) | undefined;
        let msLeft: number | undefined;
        onHang = (key) => {
            inFlight.push(key);
            if (inFlight.length === hangFor.length) fire!();
        };
        const deadlineTimer = (f: () => void, ms: number) => { fire = f; msLeft = ms; return () => undefined; };
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client, deadlineMs: Date.now() + 300, maxConcurrentCalls: 2, deadlineTimer });
        // Returned although the client ignores the signal: both calls are still held until release() below.
        assert.deepStrictEqual(inFlight.sort(), ["Marketplace=US", "Platform=web"]);
        assert.ok(msLeft! >= 0 && msLeft! <= 300, `armed with the ms left until deadlineMs (${msLeft})`);
        assert.strictEqual(r.status, "partial");
        const m = /^not read \(left out of the ranking\): GetMetricData did not answer within the (\d+) ms left of the enrichment budget \(aborted: ([^;]*); not started: ([^)]*)\)$/.exec(r.reason!);
        assert.ok(m, r.reason);
        assert.strictEqual(Number(m[1]), msLeft, "the reason states the budget the deadline was armed with");
        assert.deepStrictEqual(m[2].split(", ").sort(), ["Marketplace=US", "Platform=web"], "the calls in flight at the deadline were aborted");
        assert.deepStrictEqual(m[3].split(", ").sort(), ["Marketplace=DE", "Marketplace=_other"], "the rest was not started");
        const calls = cw.commandCalls(GetMetricDataCommand);
        const hung = calls.filter((c) => hangFor.includes(keyOf(c.args[0].input)));
        assert.strictEqual(hung.length, 2);
        for (const c of hung) {
            const signal = ((c.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
            assert.ok(signal, "the call was made with an abortSignal");
            assert.strictEqual(signal.aborted, true, "and it was aborted at the deadline");
        }
        assert.deepStrictEqual(calls.map((c) => keyOf(c.args[0].input)).sort(), ["Marketplace=US", "Platform=_other", "Platform=ios", "Platform=web", "total"], "none started after the deadline");
        assert.ok(!r.series.some((x) => x.value === "web" || x.value === "US"), "the aborted series were not read");
        assert.deepStrictEqual(r.series.map((x) => x.value).sort(), ["_other", "ios"], "what was read before the deadline is kept");
        assert.ok(r.total, "the total read before the deadline is kept");
        const before = JSON.stringify(r);
        const callsBefore = calls.length;
        release();
        await new Promise((done) => setTimeout(done, 50));
        assert.strictEqual(JSON.stringify(r), before, "the aborted call's late answer did not enter the result");
        assert.strictEqual(cw.commandCalls(GetMetricDataCommand).length, callsBefore, "no series started after the deadline");
    });

    it("nothing to break down (no watched values): unavailable with the reason, no call", async () => {
        const r = await ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, { ...SETTINGS, dimensions: {} }, { cloudWatch: client });
        assert.strictEqual(r.status, "unavailable");
        assert.match(r.reason!, /no platform or marketplace values are watched/);
        assert.strictEqual(cw.commandCalls(GetMetricDataCommand).length, 0);
    });
});

// A call that fails for a reason of its own just as the deadline passes (the failure settles first, the abort comes
// before the failure is handled): its reason is kept, it is not counted as aborted.
forBothArtifacts("ecommerce root cause: a real failure at the deadline", artifactsOf<{ ecommerceRootCause: typeof ecommerceRootCause }>(moduleFactory, { factory: true, name: "enrich-ecommerce" }), (get) => {
    it("keeps the failure's reason (not 'aborted') when the deadline passes while the failure is handled", async () => {
        let fire: (() => void) | undefined;
        const deadlineTimer = (f: () => void) => { fire = f; return () => undefined; };
        const sender = {
            send: async (cmd: GetMetricDataCommand) => {
                if (keyOf(cmd.input) === "Platform=web") {
                    // Two microtask hops: after the rejection reaches the read, before the root cause handles it.
                    void Promise.resolve().then(() => undefined).then(() => fire!());
                    throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
                }
                return answer(cmd.input);
            },
        };
        const r = await get().ecommerceRootCause({ metricName: "Revenue", direction: "above", window: WINDOW }, { ...SETTINGS, periodSeconds: 60 },
            { cloudWatch: sender as never, deadlineMs: Date.now() + 60_000, maxConcurrentCalls: 1, deadlineTimer });
        assert.match(r.reason ?? "", /Platform=web: ThrottlingException: Rate exceeded/, r.reason);
        assert.doesNotMatch(r.reason ?? "", /aborted: [^;)]*Platform=web/, "the failed call is not listed as aborted");
        assert.ok(!r.series.some((x) => x.value === "web"));
    });
});

// The abort on the wire: a real CloudWatch client (the deployed client config, its retry strategy included) against a
// local endpoint that accepts each request and never answers. At the deadline the HTTP requests must be closed by
// the client (aborted, not left running), none retried or started after, and the result returned.
forBothArtifacts("ecommerce root cause: deadline aborts the HTTP requests", artifactsOf<{ ecommerceRootCause: typeof ecommerceRootCause }>(moduleFactory, { factory: true, name: "enrich-ecommerce" }), (get) => {
    let server: http.Server;
    let endpoint: string;
    const held: { closed: boolean; whenClosed: Promise<void> }[] = [];
    /** Called when a request has reached the endpoint (and is held). */
    let onRequest: () => void = () => undefined;
    before(async () => {
        server = http.createServer((req, res) => {
            let closed: () => void = () => undefined;
            const h = { closed: false, whenClosed: new Promise<void>((r) => { closed = r; }) };
            held.push(h);
            req.resume();
            res.on("close", () => { h.closed = true; closed(); });
            onRequest();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
    });

    it("the calls running at the deadline are closed on the wire; nothing is retried or started after; partial/unavailable with the reason", async () => {
        held.length = 0;
        const client = new CloudWatchClient({ ...cloudWatchClientConfig("eu-west-1"), endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
        const inputs: GetMetricDataCommandInput[] = [];
        client.middlewareStack.add((next) => async (args) => { inputs.push(args.input as GetMetricDataCommandInput); return next(args); }, { step: "initialize", name: "captureInput" });
        // The deadline fires when the endpoint holds the 2 requests the concurrency cap allows — an event, not a
        // wall-clock delay that a loaded machine may overrun before the requests are even sent. The endpoint never
        // answers and the client sets no request timeout: a request is closed only if the client aborts it.
        let fire: (() => void) | undefined;
        let msLeft: number | undefined;
        let atFire: { held: number; closed: number } | undefined;
        onRequest = () => {
            if (held.length !== 2 || !fire) return;
            atFire = { held: held.length, closed: held.filter((h) => h.closed).length };
            fire();
        };
        const deadlineTimer = (f: () => void, ms: number) => { fire = f; msLeft = ms; return () => undefined; };
        try {
            const r = await get().ecommerceRootCause({ metricName: "Views", direction: "below", window: WINDOW }, SETTINGS, { cloudWatch: client, deadlineMs: Date.now() + 600, maxConcurrentCalls: 2, deadlineTimer });
            assert.deepStrictEqual(atFire, { held: 2, closed: 0 }, "the deadline passed with both requests in flight, neither answered nor closed");
            assert.strictEqual(r.status, "unavailable");
            assert.strictEqual(r.reason, `no dimension series could be read: GetMetricData did not answer within the ${msLeft} ms left of the enrichment budget (aborted: total, Platform=web; not started: Platform=ios, Platform=_other, Marketplace=US, Marketplace=DE, Marketplace=_other)`);
            let guard: NodeJS.Timeout | undefined;
            await Promise.race([
                Promise.all(held.map((h) => h.whenClosed)),
                new Promise((_, fail) => { guard = setTimeout(() => fail(new Error(`${held.filter((h) => !h.closed).length} request(s) still open 10 s after the deadline: not closed by the client`)), 10_000); }),
            ]).finally(() => clearTimeout(guard));
            // A retry or a late start would reach the endpoint after the close; the deployed retry strategy's first
            // wait is at most 100 ms (ALERT_RETRY.baseMs, full jitter).
            await new Promise((done) => setTimeout(done, 300));
            assert.strictEqual(held.length, 2, "two requests reached the endpoint (2 at once), no retry, none started after the deadline");
            assert.deepStrictEqual(inputs.flatMap((i) => validateAgainstSdk(GetMetricData$ as never, i)), [], "every request matches the SDK's model");
        } finally {
            onRequest = () => undefined;
            client.destroy();
        }
    });
});

describe("ecommerce root cause: ranking and settings (pure)", () => {
    it("shares add up to exactly 100 for any deviations with a positive one; zero when none", () => {
        fc.assert(fc.property(fc.array(fc.double({ min: -1e6, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 40 }), (devs) => {
            const s = sharesOf(devs);
            const positive = devs.some((d) => d > 0);
            const sum = Math.round(s.reduce((a, b) => a + b, 0) * 100);
            assert.strictEqual(sum, positive ? 10000 : 0);
            devs.forEach((d, i) => { if (!(d > 0)) assert.strictEqual(s[i], 0); });
        }));
        assert.deepStrictEqual(sharesOf([1, 1, 1]), [33.34, 33.33, 33.33]);
        assert.deepStrictEqual(sharesOf([-5, 0]), [0, 0]);
    });

    it("ranks by share within each dimension", () => {
        const r = rankContributions([
            { dimension: "Platform", value: "a", observed: 0, expected: 0, deviation: 1, share: 0, datapoints: 1 },
            { dimension: "Platform", value: "b", observed: 0, expected: 0, deviation: 3, share: 0, datapoints: 1 },
        ]);
        assert.deepStrictEqual(r.dimensionContribution, [{ dimensionName: "Platform", dimensionValueContributions: [{ dimensionValue: "b", valueContribution: 75 }, { dimensionValue: "a", valueContribution: 25 }] }]);
    });

    it("request from an alarm: only a total-series alarm of this stack; direction from the operator", () => {
        const base = { namespace: METRIC_NAMESPACE, metricName: "Revenue", dimensions: [{ name: "Stack", value: "dev" }], window: WINDOW };
        assert.deepStrictEqual(ecommerceRequestFromAlarm({ ...base, comparisonOperator: "LessThanLowerThreshold" }, SETTINGS), { metricName: "Revenue", direction: "below", window: WINDOW });
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, comparisonOperator: "GreaterThanUpperThreshold" }, SETTINGS)!.direction, "above");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, comparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold", breachDirection: "above" }, SETTINGS)!.direction, "above");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, comparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" }, SETTINGS), undefined);
        assert.deepStrictEqual(ecommerceRequestFromAlarm({ ...base, dimensions: [{ name: "Platform", value: "web" }, { name: "Stack", value: "dev" }], comparisonOperator: "LessThanLowerThreshold", alarm: { periodSeconds: 300, bandWidth: 3.5 } }, SETTINGS),
            { metricName: "Revenue", direction: "below", window: WINDOW, alarm: { periodSeconds: 300, bandWidth: 3.5 }, focus: { dimension: "Platform", value: "web" } }, "a by-dimension alarm: its dimension (any order)");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, dimensions: [{ name: "Stack", value: "dev" }, { name: "Browser", value: "x" }], comparisonOperator: "LessThanLowerThreshold" }, SETTINGS), undefined, "a dimension not watched");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, dimensions: [{ name: "Stack", value: "dev" }, { name: "Platform", value: "web" }, { name: "Marketplace", value: "US" }], comparisonOperator: "LessThanLowerThreshold" }, SETTINGS), undefined, "two dimensions");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, dimensions: [{ name: "Stack", value: "prod" }], comparisonOperator: "LessThanLowerThreshold" }, SETTINGS), undefined, "another stack");
        assert.strictEqual(ecommerceRequestFromAlarm({ ...base, namespace: "AWS/WAFV2", comparisonOperator: "LessThanLowerThreshold" }, SETTINGS), undefined);
    });

    it("series to read: the total, then each dimension's watched values and _other (once)", () => {
        assert.deepStrictEqual(seriesToRead({ ...SETTINGS, dimensions: { Platform: ["web", "_other"], Marketplace: [] } }), [{}, { dimension: "Platform", value: "web" }, { dimension: "Platform", value: "_other" }]);
        assert.strictEqual(seriesQueries(SETTINGS, "Revenue", {}).length, 3);
        assert.deepStrictEqual(seriesToRead(SETTINGS, { dimension: "Marketplace" }).map((r) => r.value), [undefined, "US", "DE", "_other"], "focus: the total and its dimension");
        const s = { ...SETTINGS, byDimension: { Revenue: { periodSeconds: 600, bandWidth: 2.5 } } };
        assert.deepStrictEqual(seriesBand(s, { metricName: "Revenue" }, { dimension: "Platform", value: "web" }), { periodSeconds: 600, bandWidth: 2.5 });
        assert.deepStrictEqual(seriesBand(s, { metricName: "Revenue" }, {}), { periodSeconds: 300, bandWidth: 2 });
        assert.deepStrictEqual(seriesBand(s, { metricName: "Views" }, { dimension: "Platform", value: "web" }), { periodSeconds: 300, bandWidth: 2 });
        assert.deepStrictEqual(seriesBand(s, { metricName: "Revenue", alarm: { periodSeconds: 60, bandWidth: 4 } }, {}), { periodSeconds: 60, bandWidth: 4 }, "the fired total alarm's own");
    });

    it("ECOMMERCE_ROOT_CAUSE: round-trips; absent = off; a malformed value names the variable and the field", () => {
        assert.deepStrictEqual(ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: ecommerceRootCauseEnv(SETTINGS) }), SETTINGS);
        assert.strictEqual(ecommerceSettingsFromEnv({}), undefined);
        assert.throws(() => ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: "{" }), /ECOMMERCE_ROOT_CAUSE is not JSON/);
        assert.throws(() => ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: JSON.stringify({ ...SETTINGS, periodSeconds: 90 }) }), /periodSeconds 90/);
        assert.throws(() => ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: JSON.stringify({ ...SETTINGS, dimensions: { Platform: "web" } }) }), /dimensions must map/);
        const by = { ...SETTINGS, byDimension: { Revenue: { periodSeconds: 300, bandWidth: 3.5 } } };
        assert.deepStrictEqual(ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: ecommerceRootCauseEnv(by) }), by);
        assert.throws(() => ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: JSON.stringify({ ...SETTINGS, byDimension: { Revenue: { periodSeconds: 45, bandWidth: 3 } } }) }), /byDimension\.Revenue\.periodSeconds 45 must be a multiple of 60/);
        assert.throws(() => ecommerceSettingsFromEnv({ ECOMMERCE_ROOT_CAUSE: JSON.stringify({ ...SETTINGS, byDimension: { Revenue: { periodSeconds: 300 } } }) }), /byDimension\.Revenue\.bandWidth undefined must be a positive number/);
    });
});
