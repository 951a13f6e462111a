// model/detectionLimit.ts: the limits `npm run simulate` prints beside the alarms — the normal tail functions, the
// ideal order-value test (against hand-computed sums and against orders sampled the way the generator draws them),
// the windows a CloudWatch alarm has read, the WAF floor against the simulator's own WAF replay, and the target checks.
import * as assert from "assert";

import {
    FASTEST_EMF_LAG_SECONDS, LATENCY_TARGET_SECONDS, LIMIT_ARRIVAL_SAMPLES, checkoutCountDistribution, cloudWatchWindows, erfc, idealWindows, normalCdf, orderEvidence,
    AlarmLimit, SimulationLimits, TargetCheck, orderValueLimits, groupLimits, targetChecks, upperQuantile, wafLatencyFloorSeconds, windowTest,
} from "../model/detectionLimit";
import { emfArrivalParams, emfMaxLagSeconds } from "../model/metricArrival";
import { DEFAULT_RATE, KindReport, REFERENCE_DAY_MS, SimulationReport, defaultSimOptions, expectedOf, simAlarms, simStackOf, trafficModel, wafAttackSweep } from "../model/detectionSim";
import { TrafficModel, seededRng } from "../scripts/lib/trafficModel";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import { formatLimits, formatTargets, runSimulate, simulationArgs } from "../scripts/lib/simulateCli";

describe("detection limits (model/detectionLimit.ts)", () => {
    it("the normal tail: Φ(1.96) = 0.9750021, 1 − Φ(4.26) = 1.02213e-5 (erfc, not 1 − erf), and its inverse", () => {
        assert.ok(Math.abs(normalCdf(1.96) - 0.9750021048517795) < 1e-7);
        assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
        // The tails the ideal test lives in: relative error well under 1e-4.
        assert.ok(Math.abs(0.5 * erfc(4.26 / Math.SQRT2) - 1.0221345184e-5) / 1.0221345184e-5 < 1e-4);
        assert.ok(Math.abs(normalCdf(-4.26) - 1.0221345184e-5) / 1.0221345184e-5 < 1e-4);
        assert.ok(Math.abs(upperQuantile(1e-5) - 4.264890793922602) < 1e-6);
        assert.ok(Math.abs(upperQuantile(0.025) - 1.959963984540054) < 1e-6);
        assert.throws(() => upperQuantile(0), /between 0 and 1/);
    });

    it("the checkouts of a window: the funnel's compound Poisson (Panjer), mean μ, variance 1.378·μ, as TrafficModel.sampleCounts draws them", () => {
        for (const mu of [0.5, 8, 40]) {
            const p = checkoutCountDistribution(mu);
            const mean = p.reduce((s, x, k) => s + k * x, 0);
            const variance = p.reduce((s, x, k) => s + (k - mean) ** 2 * x, 0);
            assert.ok(Math.abs(p.reduce((s, x) => s + x, 0) - 1) < 1e-12);
            assert.ok(Math.abs(mean - mu) < 1e-9 * Math.max(1, mu), `μ ${mu}: mean ${mean}`);
            assert.ok(Math.abs(variance / mu - (1 + 0.35 * 1.08)) < 1e-6, `μ ${mu}: variance ${variance}`);
        }
        // A busy window (e^−λ far below the smallest double) still sums to its mean.
        const busy = checkoutCountDistribution(2000);
        assert.ok(Math.abs(busy.reduce((s, x, k) => s + k * x, 0) - 2000) < 1e-6);
        // Against the generator: 20,000 windows of one slice's checkouts (the same three stages), ≈ 8 expected.
        const model = new TrafficModel({ rate: 20, platforms: ["web"], marketplaces: ["JP"] });
        const slice = model.slices[0];
        const spanMs = Math.round((8 / 0.028 / model.viewRate(slice, 0)) * 1000);
        assert.ok(spanMs < 60_000, "one minute's rate");
        const rng = seededRng(7);
        const freq = new Float64Array(60);
        const trials = 20_000;
        for (let t = 0; t < trials; t++) freq[Math.min(59, model.sampleCounts(rng, slice, 0, spanMs).checkouts)] += 1 / trials;
        const predicted = checkoutCountDistribution(((model.viewRate(slice, spanMs / 2) * spanMs) / 1000) * 0.028);
        for (let k = 0; k < 20; k++) assert.ok(Math.abs(freq[k] - (predicted[k] ?? 0)) < 0.008, `k ${k}: sampled ${freq[k]}, predicted ${predicted[k]}`);
        // Overdispersed: more windows without an order than Poisson(8)'s e^−8.
        assert.ok(checkoutCountDistribution(8)[0] > 3 * Math.exp(-8));
    });

    it("the ideal window test is the likelihood ratio on ln V: hand-computed, exact for log-normal orders, and no constant-z test at the same size beats it", () => {
        const delta = orderEvidence(3);
        assert.ok(Math.abs(delta - Math.log(3) / 0.6) < 1e-15);
        assert.ok(Math.abs(orderEvidence(0.2) - Math.log(5) / 0.6) < 1e-15);
        // k = 4 orders, c = 3: power Φ(√k·δ/2 − c/(δ√k)), size Φ(−√k·δ/2 − c/(δ√k)) (Python, math.erfc).
        const four = Float64Array.from({ length: 5 }, (_, k) => (k === 4 ? 1 : 0));
        const r = windowTest(four, delta, 3);
        assert.ok(Math.abs(r.power - 0.8441843929399842) < 1e-6 && Math.abs(r.size - 0.004021780690807148) < 1e-7, JSON.stringify(r));
        const nine = Float64Array.from({ length: 10 }, (_, k) => (k === 9 ? 1 : 0));
        assert.ok(Math.abs(windowTest(nine, delta, 5).size - 0.0001277067065371198) < 1e-8);
        assert.deepStrictEqual(windowTest(Float64Array.of(1), delta, 0), { power: 0, size: 0 });
        // Orders drawn the way the generator draws them (JP's 41, ×3 / ×0.2; ln V centred on JP's log-mean), with the
        // funnel's counts: power and size as predicted (c = 0 so the size is measurable in 20,000 windows).
        const model = new TrafficModel({ rate: 20, platforms: ["web"], marketplaces: ["JP"] });
        const slice = model.slices[0];
        const mu0 = Math.log(41) - 0.18;
        const counts = checkoutCountDistribution(5);
        const rng = seededRng(13);
        for (const [factor, tested] of [[1, 3], [1, 0.2], [3, 3], [0.2, 0.2]] as const) {
            const d = orderEvidence(tested);
            const anomalous = Object.assign(Object.create(model) as TrafficModel, {
                anomaly: { measure: "revenue", kind: factor > 1 ? "spike" : "drop", startMs: 0, durationMs: 1e15, factor },
            });
            let flagged = 0;
            const trials = 20_000;
            for (let t = 0; t < trials; t++) {
                let u = rng(), k = 0;
                while (k < counts.length - 1 && u > counts[k]) u -= counts[k++];
                let llr = 0;
                for (let i = 0; i < k; i++) {
                    const x = (Math.log((factor === 1 ? model : anomalous).orderValue(rng, slice, 1)) - mu0) / 0.6;
                    llr += Math.sign(Math.log(tested)) * d * x - (d * d) / 2;
                }
                if (k > 0 && llr > 0) flagged += 1;
            }
            const predicted = windowTest(counts, d, 0)[factor === 1 ? "size" : "power"];
            assert.ok(Math.abs(flagged / trials - predicted) < 0.01, `factor ${factor}, tested ${tested}: sampled ${flagged / trials}, predicted ${predicted}`);
        }
        // Neyman–Pearson: the constant-z test (the same z whatever k) at the likelihood ratio's size has less power.
        for (const mu of [3, 8, 15]) {
            const p = checkoutCountDistribution(mu);
            const llr = windowTest(p, delta, 4);
            const constZ = (z: number) => p.reduce((s, pk, k) => (k ? s + pk * (1 - normalCdf(z)) : s), 0);
            let lo = 0, hi = 10;
            for (let i = 0; i < 60; i++) {
                const mid = (lo + hi) / 2;
                if (constZ(mid) > llr.size) lo = mid; else hi = mid;
            }
            const power = p.reduce((s, pk, k) => (k ? s + pk * normalCdf(Math.sqrt(k) * delta - hi) : s), 0);
            assert.ok(llr.power > power, `μ ${mu}: likelihood ratio ${llr.power} vs constant z ${power}`);
        }
    });

    it("windows: reading each order at once, target − lag; on CloudWatch, the seconds before the last whole minute within 240 s that have arrived by its read", () => {
        assert.deepStrictEqual(idealWindows(240), [240 - FASTEST_EMF_LAG_SECONDS]);
        const arrival = emfArrivalParams(10);
        for (const e of [0, 30]) {
            const windows = cloudWatchWindows(240, arrival, e);
            assert.strictEqual(windows.length, LIMIT_ARRIVAL_SAMPLES);
            for (const [i, w] of windows.entries()) {
                const phi = i % 60;
                // The evaluation's window ends at the whole minute w, read at w + E: nothing after w, nothing later than t − 2 s.
                const end = Math.floor((phi + 240 - e) / 60) * 60;
                assert.ok(w <= Math.min(end, end + e - FASTEST_EMF_LAG_SECONDS) - phi, `E ${e}, φ ${phi}: ${w} s read`);
                assert.ok(w >= Math.min(end, end + e - emfMaxLagSeconds(arrival) - 1) - phi, `E ${e}, φ ${phi}: ${w} s read`);
            }
            // E = 30: at φ = 30 the last evaluation's window ends at 240 s, read at 270 s: at most 210 s of orders.
            if (e === 30) assert.ok(windows[30] <= 210);
        }
        // No buffer: each order arrives 2–40 s after it, so every window is read nearly whole.
        const unbuffered = cloudWatchWindows(240, emfArrivalParams(0), 0, 600);
        assert.ok(unbuffered.every((w, i) => w >= 240 - (i % 60) - 41 && w <= 240 - (i % 60) - 2));
    });

    it("the WAF floor 60 + 60·⌈(D − E)/60⌉ + E is what the simulator's WAF replay reaches once an attack's first second clears the floor", () => {
        assert.strictEqual(wafLatencyFloorSeconds(), 120);
        assert.strictEqual(wafLatencyFloorSeconds(60, 0), 120);
        assert.strictEqual(wafLatencyFloorSeconds(1, 0), 120);
        assert.strictEqual(wafLatencyFloorSeconds(30, 30), 90);
        assert.strictEqual(wafLatencyFloorSeconds(60, 30), 150);
        const args = simulationArgs(loadStackConfig("dev"));
        for (const [d, e] of [[60, 0], [30, 30], [60, 30]] as const) {
            const o = { ...defaultSimOptions(), wafPublishDelayMax: d, evaluationDelaySeconds: e };
            const [small, huge] = wafAttackSweep(args, o, [60, 2400]);
            assert.strictEqual(huge.worstSeconds, wafLatencyFloorSeconds(d, e), `D ${d}, E ${e}: 2400 a minute`);
            assert.ok((small.worstSeconds ?? Infinity) > wafLatencyFloorSeconds(d, e), `D ${d}, E ${e}: 60 a minute is slower than the floor`);
        }
    });

    describe("on the dev stack", () => {
        const args = simulationArgs(loadStackConfig("dev"));
        const config = simStackOf(args);
        const alarms = simAlarms(args);
        const model = trafficModel(config, DEFAULT_RATE);
        let ideal: AlarmLimit[], cw: AlarmLimit[];
        before(() => {
            ideal = orderValueLimits(model, alarms, { windows: idealWindows(240), replays: 8 });
            cw = orderValueLimits(model, alarms, { windows: cloudWatchWindows(240, emfArrivalParams(10)), replays: 8 });
        });

        it("the quietest start of JP's revenue is in JP's night, with the checkouts the simulation's own band stand-in expects then", () => {
            const limits = ideal;
            const jp = limits.find((l) => l.key === "revenue-marketplace-JP-spike")!;
            const hourInJapan = (new Date(jp.quietest.atMs).getUTCHours() + 9) % 24;
            assert.ok(hourInJapan >= 1 && hourInJapan <= 7, `JP quietest at ${hourInJapan}:00 local`);
            const series = alarms.find((a) => a.key === "revenue-marketplace-JP-spike")!.series!;
            const k = expectedOf(model, series, jp.quietest.atMs, 1).ratio!.k[0];
            assert.ok(Math.abs(jp.quietest.checkoutsPerMinute - k) < 1e-9 * k, `${jp.quietest.checkoutsPerMinute} vs ${k}`);
            // Only revenue alarms have an order-value limit; a spike ×3 is harder than a drop ×0.2 at the same start.
            assert.ok(limits.every((l) => l.key.startsWith("revenue-")));
            const jpDrop = limits.find((l) => l.key === "revenue-marketplace-JP-drop")!;
            assert.ok(jpDrop.quietest.probability > jp.quietest.probability);
            // The CloudWatch read can only lose orders: lower everywhere.
            for (const l of limits) assert.ok(cw.find((c) => c.key === l.key)!.dayMean <= l.dayMean + 1e-12, l.key);
        });

        it("the group's one threshold spends exactly its false-alarm budget (recomputed here from the band stand-in's checkouts), and a larger budget only helps", () => {
            const of = ideal.filter((l) => l.group === "spike revenue by dim");
            const c = of[0].threshold;
            assert.ok(of.every((l) => l.threshold === c));
            let falseAlarms = 0;
            for (const a of alarms.filter((x) => of.some((l) => l.key === x.key))) {
                for (let m = 0; m < 1440; m += 5) {
                    const k = expectedOf(model, a.series!, REFERENCE_DAY_MS + m * 60_000, 4).ratio!.k;
                    const mu = k[0] + k[1] + k[2] + (k[3] * 58) / 60;
                    falseAlarms += ((86_400 / 238) * windowTest(checkoutCountDistribution(mu), orderEvidence(3), c).size) / 288;
                }
            }
            assert.ok(Math.abs(falseAlarms - 0.1) < 0.002, `${falseAlarms} false alarms a day`);
            const lenient = orderValueLimits(model, alarms.filter((a) => of[0].key === a.key), { windows: idealWindows(240), replays: 8, falseAlarmsPerDay: 1 });
            assert.ok(lenient[0].threshold < c && lenient[0].quietest.probability > of[0].quietest.probability);
        });

        it("groups: P(all in time) is the product of the strata means, expected late their complements' sum", () => {
            const g = groupLimits(ideal).find((x) => x.group === "spike revenue by dim")!;
            const of = ideal.filter((l) => l.group === "spike revenue by dim");
            assert.strictEqual(g.alarms, 7);
            assert.strictEqual(g.replays, 56);
            assert.ok(Math.abs(g.allInTime - of.flatMap((l) => l.strata).reduce((x, p) => x * p, 1)) < 1e-12);
            assert.ok(Math.abs(g.expectedLate - of.flatMap((l) => l.strata).reduce((x, p) => x + 1 - p, 0)) < 1e-12);
            assert.ok(g.quietest.probability === Math.min(...of.map((l) => l.quietest.probability)));
        });

        it("target checks: worst over the target, false alarms, anomalies below or missed are each named; the limit is beside a miss", () => {
            const kind = (over: Partial<KindReport>): KindReport => ({
                group: "spike revenue by dim", kind: "spike", alarms: 7, injected: 56, armed: 56, detected: 56, detectedUnarmed: 0,
                worstSeconds: 230, falseAlarms: 0, missedBy: [], ...over,
            });
            const report = {
                kinds: [
                    kind({}),
                    kind({ group: "drop revenue by dim", kind: "drop", worstSeconds: 241, falseAlarms: 2, armed: 50, detected: 49 }),
                    kind({ group: "waf", kind: "waf", alarms: 4, worstSeconds: 120 }),
                    kind({ group: "spike total", alarms: 2, worstSeconds: undefined, armed: 0, detected: 0 }),
                ],
            } as unknown as SimulationReport;
            const limits: SimulationLimits = {
                targetSeconds: LATENCY_TARGET_SECONDS, ideal: groupLimits(ideal), cloudWatch: groupLimits(cw), emfLagSeconds: { min: 2, max: 50 }, wafFloorSeconds: wafLatencyFloorSeconds(),
            };
            const [spike, drop, waf, none] = targetChecks(report, limits);
            assert.deepStrictEqual([spike.met, spike.misses], [true, []]);
            assert.deepStrictEqual(drop.misses, ["worst 241 s > 240 s", "2 false alarm(s)", "6 below what the alarm can see", "1 missed by noise"]);
            assert.match(drop.limit!, /ideal order-value test in time for all 56 anomalies: P \d+\.\d+ % on what CloudWatch alarms read/);
            assert.deepStrictEqual([waf.met, waf.targetSeconds], [true, LATENCY_TARGET_SECONDS.waf]);
            assert.match(waf.limit!, /≥ 120 s after the worst start second/);
            assert.deepStrictEqual(none.misses, ["nothing detected", "56 below what the alarm can see"]);
        });

        it("npm run simulate prints the targets and the limits, and --json carries them", () => {
            let json = "";
            runSimulate(["--stack", "dev", "--only", "revenue-marketplace-JP", "--replays", "2", "--days", "1", "--json"], { stdout: (t) => (json += t) });
            const parsed = JSON.parse(json) as { targets: TargetCheck[]; limits: SimulationLimits };
            assert.deepStrictEqual(parsed.targets.map((t) => t.group), ["spike revenue by dim", "drop revenue by dim"]);
            assert.deepStrictEqual(parsed.limits.cloudWatch.map((g) => [g.group, g.alarms, g.replays]), [["spike revenue by dim", 1, 2], ["drop revenue by dim", 1, 2]]);
            assert.strictEqual(parsed.limits.wafFloorSeconds, 120);
            // The text report prints the same (runSimulate without --json: formatReport + these).
            const text = formatTargets(parsed.targets) + formatLimits(parsed.limits);
            assert.match(text, /^\nTargets: ecommerce worst case ≤ 240 s, WAF ≤ 120 s/);
            assert.match(text, /\n {2}spike revenue by dim {2}CloudWatch +-?\d+\.\d\d {2}\d+\.\d % revenue-marketplace-JP-spike \d\d:\d\d UTC \(\d+\.\d\)/);
            for (const t of parsed.targets.filter((x) => !x.met)) assert.ok(text.includes(`limit: ${t.limit}`));
            // A run without revenue alarms (--only waf, or a stack without them) prints no order-value table.
            assert.strictEqual(formatLimits({ ...parsed.limits, ideal: [], cloudWatch: [] }), "");
        });
    });

    it("a buffer longer than the target: windows with nothing read count as missed, not as an error (npm run simulate -- --buffer 300)", () => {
        const windows = cloudWatchWindows(240, emfArrivalParams(300));
        assert.ok(windows.some((w) => w === 0) && windows.some((w) => w > 0));
        const args = simulationArgs(loadStackConfig("dev"));
        const alarms = simAlarms(args).filter((a) => a.key === "revenue-marketplace-JP-spike");
        const model = trafficModel(simStackOf(args), DEFAULT_RATE);
        const some = orderValueLimits(model, alarms, { windows, replays: 2 })[0];
        const full = orderValueLimits(model, alarms, { windows: windows.filter((w) => w > 0), replays: 2 })[0];
        // The empty windows' share of the starts is lost: the day mean falls by at least it.
        const empty = windows.filter((w) => w === 0).length / windows.length;
        assert.ok(some.dayMean <= (1 - empty) * full.dayMean + 0.02, `${some.dayMean} vs ${full.dayMean}, ${empty} empty`);
        assert.strictEqual(orderValueLimits(model, alarms, { windows: [0, 0], replays: 1 })[0].dayMean, 0);
    });

    it("bad input is refused naming what is wrong", () => {
        const model = new TrafficModel({ rate: 20 });
        assert.throws(() => orderValueLimits(model, [], { windows: [-1], replays: 1 }), /no window can be negative/);
        assert.throws(() => orderValueLimits(model, [], { windows: [100], replays: 0 }), /replays must be a whole number/);
        assert.throws(() => orderValueLimits(model, [], { windows: [100], replays: 1, falseAlarmsPerDay: 0 }), /false-alarm budget must be positive/);
        assert.throws(() => checkoutCountDistribution(-1), /mean count/);
        assert.throws(() => orderEvidence(1), /factor must be positive and not 1/);
    });
});
