// detectionLatency: exact worst-case figures for given configs (both engines), the alarm shapes the same model
// dictates, window limits, and monotonicity (more buffering, longer periods, more datapoints never make
// detection faster). Pure: the config goes through parseConfig, no Pulumi engine involved.
import * as assert from "assert";
import * as fc from "fast-check";

import { AppConfig, FREQUENCY_SECONDS, Frequency, PROJECT, parseConfig } from "../config";
import { WAF_FREQUENCY } from "../components/lookoutDetection";
import {
    alarmTiming,
    alarmWindowProblem,
    LOOKOUT_WAF_INTERVAL_SECONDS,
    detectionLatency as latencyOf,
    ecommerceAlarmTiming,
    firehoseS3DeliverySeconds,
    wafAlarmTiming,
} from "../model/detectionLatency";
import { cloudWatchDetectionSettings } from "../components/cloudwatchDetection";
import { SimAlarm, defaultSimOptions, simAlarms, simStackOf, simWarmupSeconds, worstCase } from "../model/detectionSim";
import { simulationArgs } from "../scripts/lib/simulateCli";
import { stackFileConfig } from "./harness";

/** The dev stack file's config as parseConfig takes it, with `detection` / `pipeline` fields overridden. */
function devConfig(detection: Record<string, unknown> = {}, pipeline: Record<string, unknown> = {}): AppConfig {
    const file = stackFileConfig("dev");
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file)) {
        if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
    }
    raw.detection = { ...(raw.detection as object), ...detection };
    raw.pipeline = { ...(raw.pipeline as object), ...pipeline };
    return parseConfig(raw, { stack: "dev", region: String(file["aws:region"]) });
}

/** The CloudWatchDetection args the config maps to, and their alarm timing settings. */
const timingOf = (cfg: AppConfig) => cloudWatchDetectionSettings(simulationArgs(cfg)).timing;

/** The stack output's figure: the simulation of the config's alarms (cloudwatch), the formula (lookout). */
function detectionLatency(cfg: AppConfig) {
    return latencyOf(cfg, cfg.detection.engine === "cloudwatch" ? simulationArgs(cfg) : undefined);
}

function total(terms: { seconds: number }[]): number {
    return terms.reduce((a, t) => a + t.seconds, 0);
}

describe("detectionLatency", () => {
    describe("cloudwatch engine: the output is the simulation's noise-free worst case", () => {
        it("dev: detectionLatency is worstCase() of the WAF alarms and of the stack-total spike and drop alarms (no second formula)", () => {
            const cfg = devConfig();
            const o = defaultSimOptions();
            const args = simulationArgs(cfg);
            const worst = (pick: (a: SimAlarm) => boolean) => Math.max(...simAlarms(args).filter(pick).map((a) => worstCase(simStackOf(args), a, o, simWarmupSeconds([a])).worstSeconds ?? 0));
            const waf = worst((a) => a.kind === "waf");
            const eco = worst((a) => a.kind !== "waf" && a.series?.dimension === undefined);
            const l = detectionLatency(cfg);
            assert.deepStrictEqual([l.wafSeconds, l.ecommerceSeconds, l.worstSeconds], [waf, eco, Math.max(waf, eco)]);
            assert.strictEqual(total(l.terms.waf), l.wafSeconds);
            assert.strictEqual(total(l.terms.ecommerce), l.ecommerceSeconds);
        });

        it("dev figures (must show): stack-total spike and drop ≤ 240 s; WAF 139 s at the simulated 60-a-minute attack", () => {
            const l = detectionLatency(devConfig());
            assert.ok(l.ecommerceSeconds <= 240, `ecommerce ${l.ecommerceSeconds} s`);
            // Hand-computed: rule RateLimitPerClientIp (0.2 blocked a minute), floor 20, attack 1 a second from
            // φ s into minute k. Minute k holds 60 − φ + 0.2: φ = 40 clears the floor (20.2 ≥ 20) and alarms at the
            // (k+2)·60 evaluation (minute k published ≤ 60 s after it ends): 120 − 40 = 80 s. φ = 41 (19.2 < 20)
            // waits for minute k+1, readable at (k+3)·60 in the worst case: 180 − 41 = 139 s — the worst start.
            assert.strictEqual(l.wafSeconds, 139);
            // every noise-free replay of the stack totals alarms: the revenue drop at night (baseline under the revenue band's
            // floor) is caught by its AOV child, which needs no floor (before it, 72 of 144 runs raised nothing)
            assert.deepStrictEqual(l.warnings, []);
        });

        it("dev alarm shapes: 60 s periods, one filling datapoint each (WAF lag 60 s, EMF lag 50 s), M of N per series kind", () => {
            const cfg = devConfig();
            const w = wafAlarmTiming(timingOf(cfg));
            assert.deepStrictEqual([w.periodSeconds, w.dataLagSeconds, w.fillingDatapoints, w.evaluationPeriods, w.datapointsToAlarmAbove], [60, 60, 1, 2, 1]);
            const e = ecommerceAlarmTiming(timingOf(cfg), "spike");
            assert.deepStrictEqual([e.periodSeconds, e.dataLagSeconds, e.fillingDatapoints, e.evaluationPeriods, e.datapointsToAlarmAbove], [60, 50, 1, 3, 2]);
            const d = ecommerceAlarmTiming(timingOf(cfg), "drop");
            assert.deepStrictEqual([d.evaluationPeriods, d.datapointsToAlarmBelow], [4, 3]); // 2 of 3 complete + 1 filling
            const sp = ecommerceAlarmTiming(timingOf(cfg), "sparseSpike");
            assert.deepStrictEqual([sp.periodSeconds, sp.fillingDatapoints, sp.evaluationPeriods, sp.datapointsToAlarmAbove], [300, 1, 4, 3]);
            const sd = ecommerceAlarmTiming(timingOf(cfg), "sparseDrop");
            assert.deepStrictEqual([sd.periodSeconds, sd.evaluationPeriods, sd.datapointsToAlarmBelow], [300, 2, 2]);
        });

        it("the alarm period no longer follows detection.frequency: PT1H keeps 60 s ecommerce alarms and the same figure", () => {
            const a = detectionLatency(devConfig());
            const b = detectionLatency(devConfig({ frequency: "PT1H" }));
            assert.strictEqual(ecommerceAlarmTiming(timingOf(devConfig({ frequency: "PT1H" }))).periodSeconds, 60);
            assert.deepStrictEqual([b.wafSeconds, b.ecommerceSeconds], [a.wafSeconds, a.ecommerceSeconds]);
        });

        it("a longer ecommerce period or more datapoints to alarm is never faster", () => {
            const base = detectionLatency(devConfig());
            const slower = detectionLatency(devConfig({ ecommercePeriodSeconds: 300 }));
            const more = detectionLatency(devConfig({ datapointsToAlarm: 3, evaluationPeriods: 3 }));
            assert.ok(slower.ecommerceSeconds > base.ecommerceSeconds, `${slower.ecommerceSeconds} vs ${base.ecommerceSeconds}`);
            assert.ok(more.ecommerceSeconds > base.ecommerceSeconds && more.wafSeconds > base.wafSeconds);
        });
    });

    describe("lookout engine", () => {
        it("engine lookout with offset 90 s: WAF 600 s, ecommerce 690 s, and a warning that the offset is shorter than Firehose delivery", () => {
            const cfg = devConfig({ engine: "lookout", offsetSeconds: 90 });
            const l = detectionLatency(cfg);
            assert.deepStrictEqual([l.engine, l.wafSeconds, l.ecommerceSeconds, l.worstSeconds], ["lookout", 600, 690, 690]);
            assert.deepStrictEqual(l.terms.ecommerce.map((t) => t.seconds), [300, 90, 300]);
            assert.strictEqual(firehoseS3DeliverySeconds(cfg), 100); // 10 s Lambda buffer + 1.5 × 60 s
            assert.strictEqual(l.warnings.length, 1);
            assert.match(l.warnings[0], /detection\.offsetSeconds \(90 s\) is shorter than .* 100 s/);
        });

        it("an offset that covers Firehose delivery raises no warning", () => {
            const l = detectionLatency(devConfig({ engine: "lookout", offsetSeconds: 100 }));
            assert.strictEqual(l.ecommerceSeconds, 700);
            assert.deepStrictEqual(l.warnings, []);
        });

        it("a 900 s Firehose buffer needs a 1360 s offset", () => {
            const cfg = devConfig({ engine: "lookout", offsetSeconds: 1359 }, { bufferingIntervalSeconds: 900 });
            assert.strictEqual(firehoseS3DeliverySeconds(cfg), 1360);
            assert.strictEqual(detectionLatency(cfg).warnings.length, 1);
            assert.deepStrictEqual(detectionLatency(devConfig({ engine: "lookout", offsetSeconds: 1360 }, { bufferingIntervalSeconds: 900 })).warnings, []);
        });

        it("uses the Lookout WAF detector's own interval (components/lookoutDetection.ts)", () => {
            assert.strictEqual(FREQUENCY_SECONDS[WAF_FREQUENCY as Frequency], LOOKOUT_WAF_INTERVAL_SECONDS);
        });

        it("the cloudwatch-only keys do not change the lookout figure", () => {
            const a = detectionLatency(devConfig({ engine: "lookout" }));
            const b = detectionLatency(devConfig({ engine: "lookout", wafPeriodSeconds: 3600, evaluationPeriods: 5, datapointsToAlarm: 5 }));
            assert.deepStrictEqual([a.wafSeconds, a.ecommerceSeconds], [b.wafSeconds, b.ecommerceSeconds]);
        });
    });

    describe("alarm timing model", () => {
        it("rejects periods that are not multiples of 60, non-positive lag and M > N", () => {
            assert.throws(() => alarmTiming(90, 60, 1, 1), /multiple of 60/);
            assert.throws(() => alarmTiming(60, 0, 1, 1), /lag must be positive/);
            assert.throws(() => alarmTiming(60, 60, 1, 2), /datapointsToAlarm \(2\)/);
        });

        it("a lag longer than a period fills several datapoints", () => {
            const t = alarmTiming(60, 120, 3, 2);
            assert.deepStrictEqual([t.fillingDatapoints, t.evaluationPeriods, t.datapointsToAlarmAbove, t.datapointsToAlarmBelow], [2, 5, 2, 4]);
        });

        it("window limits follow PutMetricAlarm: 1 day under a one-hour period, 7 days otherwise", () => {
            assert.strictEqual(alarmWindowProblem(alarmTiming(3000, 60, 27, 1)), undefined); // 28 × 3000 = 84000
            assert.match(alarmWindowProblem(alarmTiming(3000, 60, 28, 1)) ?? "", /29 × 3000 s = 87000 s .* at most 86400 s/);
            assert.strictEqual(alarmWindowProblem(alarmTiming(86400, 120, 6, 1)), undefined); // 7 days exactly
            assert.match(alarmWindowProblem(alarmTiming(86400, 120, 7, 1)) ?? "", /at most 604800 s/);
            assert.strictEqual(alarmWindowProblem(ecommerceAlarmTiming(timingOf(devConfig({ ecommercePeriodSeconds: 3600, evaluationPeriods: 100 })))), undefined); // 101 h ≤ 7 days
            // the mapping refuses it before any alarm exists, naming the key
            assert.throws(() => timingOf(devConfig({ ecommercePeriodSeconds: 1800, evaluationPeriods: 48 })), /detection\.evaluationPeriods.*49 × 1800 s/);
        });
    });

    describe("monotonicity", () => {
        const FREQS: Frequency[] = ["PT5M", "PT10M", "PT1H", "P1D"];
        const params = fc.record({
            // The cloudwatch figure is a simulation (seconds per config): its monotonicity is checked on a few
            // configs above; the property runs on the lookout formula.
            engine: fc.constantFrom("lookout"),
            wafPeriodSeconds: fc.integer({ min: 1, max: 60 }).map((k) => k * 60),
            evaluationPeriods: fc.integer({ min: 1, max: 6 }),
            datapointsToAlarm: fc.integer({ min: 1, max: 6 }),
            frequency: fc.integer({ min: 0, max: 3 }),
            offsetSeconds: fc.integer({ min: 0, max: 3600 }),
            bufferingIntervalSeconds: fc.integer({ min: 60, max: 900 }),
        });
        type P = typeof params extends fc.Arbitrary<infer T> ? T : never;

        /** M as configured, clamped to N (config rejects M > N). */
        const mOf = (p: P) => Math.min(p.datapointsToAlarm, p.evaluationPeriods);

        function latency(p: P) {
            const m = mOf(p);
            return detectionLatency(devConfig({
                engine: p.engine,
                wafPeriodSeconds: p.wafPeriodSeconds,
                evaluationPeriods: p.evaluationPeriods,
                datapointsToAlarm: m,
                frequency: FREQS[p.frequency],
                offsetSeconds: p.offsetSeconds,
            }, { bufferingIntervalSeconds: p.bufferingIntervalSeconds }));
        }

        function noFaster(a: P, b: P): void {
            const la = latency(a);
            const lb = latency(b);
            assert.ok(lb.wafSeconds >= la.wafSeconds, `waf ${la.wafSeconds} -> ${lb.wafSeconds} for ${JSON.stringify([a, b])}`);
            assert.ok(lb.ecommerceSeconds >= la.ecommerceSeconds, `ecommerce ${la.ecommerceSeconds} -> ${lb.ecommerceSeconds} for ${JSON.stringify([a, b])}`);
            assert.ok(lb.worstSeconds >= la.worstSeconds);
        }

        it("never decreases when a period, the interval, M, N, the offset or the Firehose buffer grows", () => {
            fc.assert(fc.property(params, fc.integer({ min: 0, max: 5 }), (p, which) => {
                const q = { ...p };
                switch (which) {
                    case 0: q.wafPeriodSeconds = Math.min(3600, p.wafPeriodSeconds + 60); break;
                    case 1: q.frequency = Math.min(3, p.frequency + 1); break;
                    case 2: q.evaluationPeriods = p.evaluationPeriods + 1; break;
                    case 3: q.datapointsToAlarm = p.datapointsToAlarm + 1; break;
                    case 4: q.offsetSeconds = p.offsetSeconds + 60; break;
                    case 5: q.bufferingIntervalSeconds = Math.min(900, p.bufferingIntervalSeconds + 60); break;
                }
                noFaster(p, q);
            }), { numRuns: 300 });
        });

    });
});
