// The alarm replay engine against hand-computed cases, one per alarm kind (WAF with its noise floor, ecommerce
// spike, ecommerce drop with its baseline floor, the dense drop's 2 of 3, the sparse series' 300 s spike and drop), and the arrival timelines against hand-computed seconds.
// Every expected second below is worked out in the comment next to it.
import * as assert from "assert";

import { ReplaySeries, ReplayShape, firstAlarm, replay, replayAlarmSet, smallCountFactor } from "../model/alarmReplay";
import { emfArrivalParams, emfMaxLagSeconds, emfVisibleAt, wafVisibleAt } from "../model/metricArrival";

function constant(minutes: number, mean: number) {
    return { mean: new Float64Array(minutes).fill(mean), variance: new Float64Array(minutes).fill(mean) };
}

function series(seconds: number, value: (s: number) => number, visibleAt: (s: number) => number, mean: number): ReplaySeries {
    const values = new Float64Array(seconds);
    const vis = new Float64Array(seconds);
    for (let s = 0; s < seconds; s++) {
        values[s] = value(s);
        vis[s] = visibleAt(s);
    }
    return { values, visibleAt: vis, expected: constant(Math.ceil(seconds / 60), mean) };
}

describe("alarm replay (model/alarmReplay.ts): hand-computed cases", () => {
    describe("WAF: band 1 of 2 at 60 s, composite with a floor of 10 blocked requests in the 120 s window", () => {
        // Normal traffic 1 blocked request a minute (variance 1): upper band 1 + 2 × 1 = 3.
        // Each minute is published whole 30 s after it ends: minute [120,180) is readable at 210.
        const shape: ReplayShape = { periodSeconds: 60, evaluationPeriods: 2, datapointsToAlarm: 1, comparison: "GreaterThanUpperThreshold", bandWidth: 2, gate: { windowSeconds: 120, threshold: 10 } };
        const waf = (blocked: number) => series(600, (s) => (s >= 150 && s < 150 + blocked ? 1 : 0), (s) => (Math.floor(s / 60) + 1) * 60 + 30, 1);

        it("an attack from second 150 (one blocked request a second): ALARM at the 240 s evaluation, 90 s after it began", () => {
            // W=180: minute [120,180) not readable until 210 → 0. W=240: [120,180) holds 30 (150..179) > 3 → 1 of 2
            // breach; window Sum [120,240) readable = 30 ≥ 10 → composite ALARM at 240.
            const r = replay(waf(300), shape);
            assert.strictEqual(firstAlarm(r, 150), 240);
            assert.deepStrictEqual(r.transitions[0], { at: 240, state: "ALARM" });
        });

        it("band breached below the floor (5 blocked requests): no alarm action; the band alone would have fired", () => {
            // Minute [120,180) = 5 > 3 breaches at W=240, but the window holds 5 < 10.
            assert.deepStrictEqual(replay(waf(5), shape).transitions, []);
            const bandOnly = replay(waf(5), { ...shape, gate: undefined });
            // At W=300 the window [180,300) no longer holds minute [120,180): OK.
            assert.deepStrictEqual(bandOnly.transitions.slice(0, 2), [{ at: 240, state: "ALARM" }, { at: 300, state: "OK" }]);
        });

        it("band breached above the floor (12 blocked requests): ALARM at 240, OK once the minute leaves the window", () => {
            // 12 ≥ 10 at W=240; at W=300 the window [180,300) holds 0.
            assert.deepStrictEqual(replay(waf(12), shape).transitions, [{ at: 240, state: "ALARM" }, { at: 300, state: "OK" }]);
        });
    });

    describe("ecommerce spike: 2 of 3 at 60 s (one filling datapoint), 41 s arrival lag", () => {
        // Normal 1 view a second: 60 a minute, variance 60, sd 7.746 → upper band 60 + 2 × 7.746 = 75.49.
        // From second 300 on: 3 views a second. Each second is readable 41 s later, so at an evaluation W the
        // newest minute holds only its first 20 seconds (s ≤ W − 41).
        const shape: ReplayShape = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2, comparison: "GreaterThanUpperThreshold", bandWidth: 2 };
        const spike = series(900, (s) => (s >= 300 ? 3 : 1), (s) => s + 41, 60);

        it("ALARM at 480: [300,360) and [360,420) complete and over the band; 180 s after the spike began", () => {
            // W=360: [300,360) partial 20 × 3 = 60 ≤ 75.49. W=420: [360,420) partial 60, [300,360) 180 → 1.
            // W=480: [360,420) 180 and [300,360) 180 → 2 of 3 → ALARM.
            const r = replay(spike, shape);
            assert.strictEqual(r.transitions[0]?.at, 480);
            assert.strictEqual(firstAlarm(r, 300)! - 300, 180);
        });

        it("steady traffic never alarms: the filling minute undercounts (20 ≤ 75.49)", () => {
            assert.deepStrictEqual(replay(series(900, () => 1, (s) => s + 41, 60), shape).transitions, []);
        });
    });

    describe("ecommerce drop: 3 of 3 at 60 s (2 complete + 1 filling), composite with a baseline floor over the last hour", () => {
        // Normal 60 a minute → lower band 60 − 2 × 7.746 = 44.51. Drop to 0.2 a second from second 4200.
        // Before the drop only the filling minute (20 < 44.51) breaches: 1 of 3.
        // W=4260: [4200,4260) partial 20 × 0.2 = 4 → 1. W=4320: 4 and [4200,4260) = 12 → 2.
        // W=4380: 4, 12, 12 → 3 of 3 → band ALARM. Baseline = Sum [780,4380) readable at 4380 (s ≤ 4339):
        // 3420 × 1 + 140 × 0.2 = 3448.
        const drop = series(4800, (s) => (s >= 4200 ? 0.2 : 1), (s) => s + 41, 60);
        const shape = (threshold: number): ReplayShape => ({
            periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3, comparison: "LessThanLowerThreshold", bandWidth: 2,
            gate: { windowSeconds: 3600, threshold },
        });

        it("baseline above the floor (3448 ≥ 3000): ALARM at 4380, 180 s after the drop began", () => {
            const r = replay(drop, shape(3000));
            assert.deepStrictEqual(r.transitions[0], { at: 4380, state: "ALARM" });
        });

        it("baseline below the floor (3448 < 3500): the breached band raises no alarm action", () => {
            assert.deepStrictEqual(replay(drop, shape(3500)).transitions, []);
            assert.deepStrictEqual(replay(drop, { ...shape(3500), gate: undefined }).transitions[0], { at: 4380, state: "ALARM" });
        });

        it("without the filling datapoint on top (1 of 2 on a window ending now) steady traffic would alarm at once", () => {
            const naive: ReplayShape = { periodSeconds: 60, evaluationPeriods: 2, datapointsToAlarm: 1, comparison: "LessThanLowerThreshold", bandWidth: 2 };
            assert.strictEqual(replay(series(600, () => 1, (s) => s + 41, 60), naive).transitions[0]?.at, 120);
        });
    });

    describe("dense drop, dev default 2 of 3 at 60 s: 3 of 4 (2 complete of 3 + 1 filling) rides out one noisy minute", () => {
        // Normal 60 a minute → lower band 44.51 (2 σ). Drop to 0.2 a second from second 600, but minute [660,720)
        // stays normal (noise inside the band). 41 s lag: the filling minute holds 20 readable seconds.
        // W=720: 60, 60, [600,660) 12 ✓, filling 20 ✓ → 2. W=780: 60, 12 ✓, [660,720) 60 ✗, filling 4 ✓ → 2.
        // W=840: 12 ✓, 60 ✗, [720,780) 12 ✓, filling 4 ✓ → 3 of 4 → ALARM, 240 s after the drop began.
        // 2 of 2 (3 of 3 with the filling one) waits for two complete breaching minutes in a row: W=900.
        const noisy = series(1200, (s) => (s >= 600 && !(s >= 660 && s < 720) ? 0.2 : 1), (s) => s + 41, 60);
        const shape: ReplayShape = { periodSeconds: 60, evaluationPeriods: 4, datapointsToAlarm: 3, comparison: "LessThanLowerThreshold", bandWidth: 2 };

        it("ALARM at 840 with 3 of 4; at 900 with 3 of 3", () => {
            assert.strictEqual(replay(noisy, shape).transitions[0]?.at, 840);
            assert.strictEqual(replay(noisy, { ...shape, evaluationPeriods: 3 }).transitions[0]?.at, 900);
        });

        it("steady traffic never alarms: only the filling minute breaches (1 of 4)", () => {
            assert.deepStrictEqual(replay(series(1200, () => 1, (s) => s + 41, 60), shape).transitions, []);
        });
    });

    describe("sparse spike, dev default 2 of 3 at 300 s (sliding window, one filling datapoint), 41 s lag", () => {
        // Normal 0.1 a second: 30 per 300 s, variance 30 → upper band 30 + 2 × 5.477 = 40.95. Spike to 0.3 a second
        // from second 1200. The window slides a minute per evaluation ("Alarm evaluation window": a 1-hour period
        // evaluates 13:07–14:07, then 13:08–14:08); at W its datapoints are [W−300, W) (readable: s ≤ W − 41,
        // 260 s), [W−600, W−300), ... With k = W − 1200: newest = 26 + 0.2 × min(260, k − 40) > 40.95 from k = 120
        // (42); the complete one before = 30 + 0.2 × (k − 300) > 40.95 from k = 360 (42) → 2 of 4 at W = 1560.
        const sparse = series(3000, (s) => (s >= 1200 ? 0.3 : 0.1), (s) => s + 41, 6);
        const shape: ReplayShape = { periodSeconds: 300, evaluationPeriods: 4, datapointsToAlarm: 2, comparison: "GreaterThanUpperThreshold", bandWidth: 2 };

        it("ALARM at 1560, 360 s after the spike began; one breaching datapoint (k = 120 … 300) is not enough", () => {
            const r = replay(sparse, shape);
            assert.strictEqual(firstAlarm(r, 1200), 1560);
            assert.strictEqual(replay(sparse, { ...shape, datapointsToAlarm: 1 }).transitions[0]?.at, 1320);
        });

        it("steady traffic never alarms (newest 26, complete 30 ≤ 40.95)", () => {
            assert.deepStrictEqual(replay(series(3000, () => 0.1, (s) => s + 41, 6), shape).transitions, []);
        });
    });

    describe("sparse drop, dev default 1 of 1 at 300 s: 2 of 2 (1 complete + 1 filling), 41 s lag", () => {
        // Normal 0.1 a second: 30 per 300 s, variance 30 → lower band 30 − 2 × 5.477 = 19.05. Drop to 0.02 a second
        // from second 1200; k = W − 1200. Filling [W−300, W) holds 260 readable seconds: 26 − 0.08 × min(260, k − 40)
        // < 19.05 from k = 180 (14.8; k = 120 gives 19.6). Complete [W−600, W−300): 30 − 0.08 × (k − 300) < 19.05
        // from k = 480 (15.6; k = 420 gives 20.4) → both breach at W = 1680.
        const drop = series(3000, (s) => (s >= 1200 ? 0.02 : 0.1), (s) => s + 41, 6);
        const shape: ReplayShape = { periodSeconds: 300, evaluationPeriods: 2, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 2 };

        it("ALARM at 1680, 480 s after the drop began; the filling datapoint alone (1 of 2) would fire at 1380", () => {
            assert.strictEqual(firstAlarm(replay(drop, shape), 1200), 1680);
            assert.strictEqual(replay(drop, { ...shape, datapointsToAlarm: 1 }).transitions[0]?.at, 1380);
        });

        it("steady traffic never alarms: the filling 300 s datapoint reads 26 of 30, inside the band", () => {
            assert.deepStrictEqual(replay(series(3000, () => 0.1, (s) => s + 41, 6), shape).transitions, []);
        });
    });

    describe("revenue per checkout (AOV child, ratio m1 / m2) OR'ed with the revenue band: dev drop shape 2 of 2 complete + 1 filling, M not raised", () => {
        // Per minute 40 checkouts and 2000 revenue (AOV 50); from second 600 order values × 0.2 (AOV 10), checkouts
        // unchanged. Ratio band: mean 2000 / 40 = 50, Var = Var S / 40² × smallCountFactor(40) with Var S chosen so
        // the sd is 5 (no count terms): lower band at 3 σ = 35. The revenue band: mean 2000, sd 600 → lower 200, so
        // the dropped revenue (400 a minute) stays inside it. 41 s lag: the filling minute holds 20 readable seconds.
        const minutes = 20;
        const f = smallCountFactor(40);
        const ratio = {
            s: new Float64Array(minutes).fill(2000), k: new Float64Array(minutes).fill(40), vs: new Float64Array(minutes).fill((25 * 1600) / f),
            vk: new Float64Array(minutes), cov: new Float64Array(minutes),
        };
        const expected = { mean: new Float64Array(minutes).fill(2000), variance: new Float64Array(minutes).fill(600 * 600), ratio };
        const run = (checkouts: (s: number) => number): ReplaySeries => {
            const values = new Float64Array(minutes * 60);
            const denominator = new Float64Array(minutes * 60);
            const visibleAt = new Float64Array(minutes * 60);
            for (let t = 0; t < values.length; t++) {
                denominator[t] = checkouts(t);
                values[t] = denominator[t] * (t >= 600 ? 10 : 50);
                visibleAt[t] = t + 41;
            }
            return { values, visibleAt, expected, denominator };
        };
        const band: ReplayShape = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3, comparison: "LessThanLowerThreshold", bandWidth: 3, gate: { windowSeconds: 300, threshold: 0 } };
        const aov: ReplayShape = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 3, ratio: true };

        it("ALARM at 720, 120 s after the drop began: W=660 only the filling minute (AOV 10) breaches; W=720 it and [600,660) do; the revenue band alone never alarms", () => {
            const r = run(() => 40 / 60);
            assert.strictEqual(smallCountFactor(40), 1 + 1 / 40 + 2 / 1600); // the series beyond μ = 30
            assert.deepStrictEqual(replayAlarmSet(r, [band, aov]).transitions[0], { at: 720, state: "ALARM" });
            assert.deepStrictEqual(replay(r, band).transitions, []);
            // (band AND gate) OR aov: a gate that blocks the revenue band does not block the AOV child
            assert.strictEqual(replayAlarmSet(r, [{ ...band, gate: { windowSeconds: 300, threshold: 1e12 } }, aov]).transitions[0]?.at, 720);
        });

        it("a minute without checkouts has no ratio (division by zero drops the datapoint: not breaching); the revenue band sees revenue 0", () => {
            const r = run((t) => (t >= 600 ? 0 : 40 / 60));
            assert.deepStrictEqual(replay(r, aov).transitions, []);
            // revenue band: W=720: [540,600) 2000 ✗, [600,660) 0 ✓, filling 0 ✓ → 2 of 3; W=780: 0, 0, 0 → 3 of 3
            assert.strictEqual(replayAlarmSet(r, [band, aov]).transitions[0]?.at, 780);
        });

        it("steady traffic never alarms: the filling minute's ratio is unbiased (50), unlike its sum", () => {
            const steady = run(() => 40 / 60);
            for (let t = 600; t < steady.values.length; t++) steady.values[t] = steady.denominator![t] * 50;
            assert.deepStrictEqual(replayAlarmSet(steady, [band, aov]).transitions, []);
        });

        it("smallCountFactor: E[1/K | K > 0] × μ for K ~ Poisson(μ), exact for small μ", () => {
            // μ = 1: Σ_{k≥1} e^{-1} / (k · k!) / (1 − e^{-1}) × 1 = 1.3179 / ... ; Ei(1) − γ = 1.31790215
            assert.ok(Math.abs(smallCountFactor(1) - (Math.exp(-1) * 1.3179021514544) / (1 - Math.exp(-1))) < 1e-9);
        });
    });

    describe("order-value child on the mean log (numerator Σ ln(1 + order value), not `values`): sparse shape 120 s, 1 of 1 + 1 filling, M + filling, ≥ 4 checkouts", () => {
        // 3 checkouts a minute (0.05 a second) of value e^4 − 1 (ln(1 + v) = 4 each); from second 1200 values × 0.2 in
        // log terms 4 → 4 + ln 0.2 = 2.3906. Band per 120 s period: mean 4 (s = 24, k = 6), sd 0.3 (vs chosen with
        // vk = cov = 0 so that vs / k² × smallCountFactor(6, 4) = 0.09) → lower band 4 − 3 × 0.3 = 3.1. The revenue
        // `values` stay at a level no band is judged on here: the ratio must read the numerator. 41 s lag.
        const minutes = 40;
        const f4 = smallCountFactor(6, 4);
        const ratio = {
            s: new Float64Array(minutes).fill(12), k: new Float64Array(minutes).fill(3), vs: new Float64Array(minutes).fill((0.09 * 36) / f4 / 2),
            vk: new Float64Array(minutes), cov: new Float64Array(minutes),
        };
        const expected = { mean: new Float64Array(minutes).fill(1e9), variance: new Float64Array(minutes).fill(1), ratio };
        const run = (checkouts: (t: number) => number, logOf: (t: number) => number): ReplaySeries => {
            const n = minutes * 60;
            const values = new Float64Array(n).fill(1e9 / 60);
            const denominator = new Float64Array(n);
            const numerator = new Float64Array(n);
            const visibleAt = new Float64Array(n);
            for (let t = 0; t < n; t++) {
                denominator[t] = checkouts(t);
                numerator[t] = denominator[t] * logOf(t);
                visibleAt[t] = t + 41;
            }
            return { values, visibleAt, expected, denominator, numerator };
        };
        const shape: ReplayShape = { periodSeconds: 120, evaluationPeriods: 2, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 3, ratio: true, minDenominator: 4 };
        const dropped = (t: number) => (t >= 1200 ? 4 + Math.log(0.2) : 4);

        it("smallCountFactor(μ, n): E[1/K | K ≥ n] × μ — for n = 1 the old factor; larger n, narrower", () => {
            assert.strictEqual(smallCountFactor(6, 1), smallCountFactor(6));
            let num = 0, mass = 0, p = Math.exp(-6);
            for (let k = 1; k < 80; k++) {
                p *= 6 / k;
                if (k >= 4) { num += p / k; mass += p; }
            }
            assert.ok(Math.abs(f4 - (6 * num) / mass) < 1e-12);
            assert.ok(f4 < smallCountFactor(6));
            // no underflow where e^{−μ} is 0 in floating point (μ > 745): ≈ 1 + 1/μ, not 1
            assert.ok(Math.abs(smallCountFactor(800, 500) - (1 + 1 / 800)) < 1e-4, String(smallCountFactor(800, 500)));
        });

        it("ALARM at 1440: W=1380 the filling [1260,1380) reads 2.39 but [1140,1260) mixes 60 s of 4 and 60 s of 2.39 (3.20 ≥ 3.1); W=1440 both are 2.39 < 3.1", () => {
            const r = run(() => 0.05, dropped);
            assert.deepStrictEqual(replay(r, shape).transitions[0], { at: 1440, state: "ALARM" });
            // without the numerator the ratio is revenue / checkouts, which never moves here: the child reads the numerator
            assert.deepStrictEqual(replay({ ...r, numerator: undefined }, shape).transitions, []);
        });

        it("a period with fewer than 4 checkouts has no datapoint: at 3 per 120 s the drop never alarms; steady traffic never alarms", () => {
            assert.deepStrictEqual(replay(run(() => 0.025, dropped), shape).transitions, []);
            assert.deepStrictEqual(replay(run(() => 0.05, () => 4), shape).transitions, []);
        });

        it("M + filling: one breaching complete period with a filling one inside the band does not alarm (1 of 2 would)", () => {
            // a 2-minute dip [1200, 1320) only: W=1380 [1140,1260) 3.20 ✗, filling [1260,1380) reads [1260,1339):
            // (60 × 2.39 + 19 × 4) / 79 = 2.78 ✓ → 1 of 2; W=1440: [1200,1320) 2.39 ✓, filling [1320,1399) 4 ✗ → 1 of 2
            const dip = (t: number) => (t >= 1200 && t < 1320 ? 4 + Math.log(0.2) : 4);
            assert.deepStrictEqual(replay(run(() => 0.05, dip), shape).transitions, []);
            assert.strictEqual(replay(run(() => 0.05, dip), { ...shape, datapointsToAlarm: 1 }).transitions[0]?.state, "ALARM");
        });
    });

    it("FILL(m, 0): a period with no readable data counts as 0 (a drop), and windows over a day are evaluated hourly", () => {
        const silent = series(1200, (s) => (s < 600 ? 1 : 0), (s) => s + 1, 60);
        const shape: ReplayShape = { periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1, comparison: "LessThanLowerThreshold", bandWidth: 2 };
        // Readable 1 s after each second: [540,600) = 60 at W=600; [600,660) has no data → FILL 0 < 44.51 at W=660.
        assert.deepStrictEqual(replay(silent, shape).transitions, [{ at: 660, state: "ALARM" }]);
        const long = series(2 * 86400, () => 1, (s) => s + 1, 60);
        const r = replay(long, { periodSeconds: 3600, evaluationPeriods: 25, datapointsToAlarm: 1, comparison: "GreaterThanUpperThreshold", bandWidth: 2 });
        // 25 × 3600 s = 90,000 s > 1 day: evaluated on the whole hours from 25 h (90,000 s) to 48 h: 24 evaluations.
        assert.strictEqual(r.evaluations, 24);
    });

    it("rejects shapes PutMetricAlarm would refuse", () => {
        const s = series(600, () => 1, (x) => x + 1, 60);
        assert.throws(() => replay(s, { periodSeconds: 90, evaluationPeriods: 1, datapointsToAlarm: 1, comparison: "LessThanLowerThreshold", bandWidth: 2 }), /multiple of 60/);
        assert.throws(() => replay(s, { periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 2 }), /datapointsToAlarm/);
    });
});

describe("metric arrival (model/metricArrival.ts)", () => {
    it("EMF worst case with a 10 s Lambda buffer: read ≤ 5 s, next flush on the 10 s grid, run ≤ 5 s, log→metric ≤ 30 s", () => {
        const p = emfArrivalParams(10);
        assert.strictEqual(emfMaxLagSeconds(p), 50);
        const v = emfVisibleAt(30, p, { mode: "worst" });
        // s=0: read 5 → flush 10 → 10 + 35 = 45. s=7: read 12 → flush 20 → 55. s=15: read 20 → flush 20 → 55.
        assert.deepStrictEqual([v[0], v[7], v[15], v[16]], [45, 55, 55, 65]);
        // best case: read at once, flush on the grid, log→metric 2 s: s=0 → flush 0, counted at its end (1) + 2.
        const b = emfVisibleAt(30, p, { mode: "best" });
        assert.deepStrictEqual([b[0], b[3], b[10]], [3, 12, 13]);
    });

    it("EMF without buffering (hint 0): each second is passed on when read", () => {
        const v = emfVisibleAt(5, emfArrivalParams(0), { mode: "worst" });
        assert.deepStrictEqual([...v], [40, 41, 42, 43, 44]); // s + 5 + 5 + 30
        assert.throws(() => emfArrivalParams(901), /0 to 900/);
    });

    it("WAF: a minute is readable whole, its publish delay after it ends (1–60 s)", () => {
        const w = wafVisibleAt(180, { mode: "worst" });
        assert.deepStrictEqual([w[0], w[59], w[60], w[179]], [120, 120, 180, 240]);
        const b = wafVisibleAt(120, { mode: "best" });
        assert.deepStrictEqual([b[0], b[60]], [61, 121]);
    });
});
