// model/detectionLimit.ts: the limits `npm run simulate` prints beside the alarms — the normal tail functions, the
// ideal order-value test (against hand-computed sums and against orders sampled the way the generator draws them),
// the windows a CloudWatch alarm has read, the WAF floor against the simulator's own WAF replay, and the target checks.
import * as assert from "assert";

import {
    FASTEST_EMF_LAG_SECONDS, LATENCY_TARGET_SECONDS, cloudWatchWindows, detectionProbability, erfc, idealThreshold, idealWindows, normalCdf,
    AlarmLimit, SimulationLimits, TargetCheck, orderValueLimits, groupLimits, targetChecks, upperQuantile, wafLatencyFloorSeconds,
} from "../model/detectionLimit";
import { DEFAULT_RATE, KindReport, SimulationReport, defaultSimOptions, expectedOf, orderLogMoments, simAlarms, simStackOf, trafficModel, wafAttackSweep } from "../model/detectionSim";
import { orderValueLog } from "../model/ecommerceSchema";
import { TrafficModel, poisson, seededRng } from "../scripts/lib/trafficModel";
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

    it("the ideal test's power: Σ Poisson(k; μ)·Φ((√k·|Δ| − z·sd0)/sdA), hand-computed for μ = 1 and 8 (Δ 1.07, sd 0.58, z 4.26); no orders, no detection", () => {
        const o = { shift: 1.07, sd0: 0.58, sdAnomaly: 0.58 };
        // Computed independently (Python: math.erfc, the sum to k = 80).
        assert.ok(Math.abs(detectionProbability(1, o, 4.26) - 0.026867653209507715) < 1e-6);
        assert.ok(Math.abs(detectionProbability(8, o, 4.26) - 0.7393707141079913) < 1e-6);
        // A drop is the same test on the other side.
        assert.ok(Math.abs(detectionProbability(8, { ...o, shift: -1.07 }, 4.26) - 0.7393707141079913) < 1e-6);
        assert.strictEqual(detectionProbability(0, o, 4.26), 0);
        assert.ok(detectionProbability(400, o, 4.26) > 0.999999);
    });

    it("…matches orders drawn the way the generator draws them (log-normal values at JP's 41, ×3 and ×0.2): the normal approximation holds", () => {
        const rng = seededRng(13);
        const model = new TrafficModel({ rate: 20, platforms: ["web"], marketplaces: ["JP"] });
        const slice = model.slices[0];
        const [l0, v0] = orderLogMoments(41);
        // z = 2 so the false-alarm side is measurable in 20,000 trials too.
        for (const [factor, mu, z] of [[3, 8, 4], [0.2, 5, 4], [1, 8, 2]] as const) {
            const [lf, vf] = orderLogMoments(41, factor);
            const anomalous = Object.assign(Object.create(model) as TrafficModel, {
                anomaly: { measure: "revenue", kind: factor > 1 ? "spike" : "drop", startMs: 0, durationMs: 1e15, factor },
            });
            let flagged = 0;
            const trials = 20_000;
            for (let t = 0; t < trials; t++) {
                const k = poisson(rng, mu);
                if (k === 0) continue;
                let sum = 0;
                for (let i = 0; i < k; i++) sum += orderValueLog((factor === 1 ? model : anomalous).orderValue(rng, slice, 1));
                const mean = sum / k, edge = z * Math.sqrt(v0 / k);
                if (factor >= 1 ? mean > l0 + edge : mean < l0 - edge) flagged += 1;
            }
            const predicted = factor === 1
                ? detectionProbability(mu, { shift: 0, sd0: Math.sqrt(v0), sdAnomaly: Math.sqrt(v0) }, z)
                : detectionProbability(mu, { shift: lf - l0, sd0: Math.sqrt(v0), sdAnomaly: Math.sqrt(vf) }, z);
            assert.ok(Math.abs(flagged / trials - predicted) < 0.012, `factor ${factor}, μ ${mu}: sampled ${flagged / trials}, predicted ${predicted}`);
        }
    });

    it("the threshold: 0.1 false alarms a day over 7 alarms at one test per 238 s window → α = 3.935e-5, z = 3.95", () => {
        const { z, alpha } = idealThreshold(238, 7);
        assert.ok(Math.abs(alpha - 0.1 / (7 * (86_400 / 238))) < 1e-12);
        assert.ok(Math.abs(alpha - 3.935e-5) < 1e-8);
        assert.ok(Math.abs(1 - normalCdf(z) - alpha) / alpha < 1e-4);
        assert.ok(z > 3.9 && z < 4.0);
    });

    it("windows: reading each order at once, target − lag; on CloudWatch, the last whole-minute evaluation within 240 s minus phase and lag", () => {
        assert.deepStrictEqual(idealWindows(240), [240 - FASTEST_EMF_LAG_SECONDS]);
        // φ = 0: last evaluation at 240 s; 15: ⌊255/60⌋ = 4 minutes → 240 s; …; lag 2 or 50 s.
        assert.deepStrictEqual(cloudWatchWindows(240, { min: 2, max: 50 }), [238, 190, 223, 175, 208, 160, 193, 145]);
        // An evaluation delay of 30 s: φ = 0 → ⌊210/60⌋ = 3 minutes, + 30 = 210 s; φ = 30 → ⌊240/60⌋ = 4, + 30 = 270 s = 30 + 240.
        const late = cloudWatchWindows(240, { min: 2, max: 50 }, 30);
        assert.deepStrictEqual(late, [208, 160, 193, 145, 238, 190, 223, 175]);
        for (const [i, w] of late.entries()) assert.ok(w + (i % 2 ? 50 : 2) <= 240, "read by an evaluation within the target");
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
            cw = orderValueLimits(model, alarms, { windows: cloudWatchWindows(240, { min: 2, max: 50 }), replays: 8 });
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
            assert.match(text, /\n {2}spike revenue by dim {2}CloudWatch \d\.\d\d {2}\d+\.\d % revenue-marketplace-JP-spike \d\d:\d\d UTC \(\d+\.\d\)/);
            for (const t of parsed.targets.filter((x) => !x.met)) assert.ok(text.includes(`limit: ${t.limit}`));
        });
    });

    it("bad input is refused naming what is wrong", () => {
        const model = new TrafficModel({ rate: 20 });
        assert.throws(() => orderValueLimits(model, [], { windows: [0], replays: 1 }), /every window must be positive/);
        assert.throws(() => orderValueLimits(model, [], { windows: [100], replays: 0 }), /replays must be a whole number/);
        assert.throws(() => idealThreshold(0, 1), /window/);
        assert.throws(() => detectionProbability(-1, { shift: 1, sd0: 1, sdAnomaly: 1 }, 3), /mean count/);
    });
});
