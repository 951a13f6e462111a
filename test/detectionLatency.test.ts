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
    detectionLatency,
    ecommerceAlarmTiming,
    emfTimestampSkewSeconds,
    firehoseS3DeliverySeconds,
    wafAlarmTiming,
} from "../model/detectionLatency";
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

function total(terms: { seconds: number }[]): number {
    return terms.reduce((a, t) => a + t.seconds, 0);
}

describe("detectionLatency", () => {
    describe("cloudwatch engine", () => {
        it("dev stack: WAF 120 s (≤ 120 s with 1-minute periods and 1 datapoint), ecommerce 900 s, worst 900 s", () => {
            const cfg = devConfig();
            assert.strictEqual(cfg.detection.engine, "cloudwatch");
            assert.strictEqual(cfg.detection.wafPeriodSeconds, 60);
            assert.strictEqual(cfg.detection.datapointsToAlarm, 1);
            const l = detectionLatency(cfg);
            assert.deepStrictEqual([l.wafSeconds, l.ecommerceSeconds, l.worstSeconds], [120, 900, 900]);
            assert.ok(l.wafSeconds <= 120);
            assert.deepStrictEqual(l.terms.waf.map((t) => t.seconds), [60, 60]);
            assert.deepStrictEqual(l.terms.ecommerce.map((t) => t.seconds), [300, 600]);
            assert.strictEqual(total(l.terms.waf), l.wafSeconds);
            assert.strictEqual(total(l.terms.ecommerce), l.ecommerceSeconds);
            assert.deepStrictEqual(l.warnings, []);
        });

        it("dev stack alarm shapes: filling datapoints on top of the configured 1 of 1 (1 for WAF, 2 for ecommerce)", () => {
            const cfg = devConfig();
            const w = wafAlarmTiming(cfg);
            assert.deepStrictEqual(
                [w.periodSeconds, w.dataLagSeconds, w.fillingDatapoints, w.evaluationPeriods, w.datapointsToAlarmAbove, w.datapointsToAlarmBelow, w.multiDay],
                [60, 60, 1, 2, 1, 2, false],
            );
            const e = ecommerceAlarmTiming(cfg);
            // Interval-start stamping 240 s + Firehose Lambda buffer 60 s + EMF extraction 60 s = 360 s lag in a
            // 300 s interval: two filling datapoints.
            assert.strictEqual(emfTimestampSkewSeconds(cfg), 240);
            assert.deepStrictEqual(
                [e.periodSeconds, e.dataLagSeconds, e.fillingDatapoints, e.evaluationPeriods, e.datapointsToAlarmAbove, e.datapointsToAlarmBelow, e.windowSeconds],
                [300, 360, 2, 3, 1, 3, 900],
            );
        });

        it("M of N with 5-minute WAF periods: (M + filling) × period", () => {
            const l = detectionLatency(devConfig({ wafPeriodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 2 }));
            assert.strictEqual(l.wafSeconds, 900); // (2 + 1) × 300
            assert.strictEqual(l.ecommerceSeconds, 1200); // (2 + 2) × 300
        });

        it("hourly ecommerce interval: 10800 s, evaluated every minute (window 3 h)", () => {
            const cfg = devConfig({ frequency: "PT1H" });
            const e = ecommerceAlarmTiming(cfg);
            assert.deepStrictEqual([e.dataLagSeconds, e.fillingDatapoints, e.windowSeconds, e.multiDay, e.evaluationIntervalSeconds], [3660, 2, 10800, false, 60]);
            assert.strictEqual(detectionLatency(cfg).ecommerceSeconds, 10800);
        });

        it("daily ecommerce interval: the 3-day window is evaluated hourly, +3600 s", () => {
            const cfg = devConfig({ frequency: "P1D" });
            const e = ecommerceAlarmTiming(cfg);
            assert.deepStrictEqual([e.windowSeconds, e.multiDay, e.evaluationIntervalSeconds], [259200, true, 3600]);
            const l = detectionLatency(cfg);
            assert.strictEqual(l.ecommerceSeconds, 3 * 86400 + 3600);
            assert.strictEqual(l.worstSeconds, 262800);
            assert.strictEqual(l.terms.ecommerce.length, 3);
        });
    });

    describe("lookout engine", () => {
        it("engine lookout with offset 120 s: WAF 600 s, ecommerce 720 s, and a warning that the offset is shorter than Firehose delivery", () => {
            const cfg = devConfig({ engine: "lookout", offsetSeconds: 120 });
            const l = detectionLatency(cfg);
            assert.deepStrictEqual([l.engine, l.wafSeconds, l.ecommerceSeconds, l.worstSeconds], ["lookout", 600, 720, 720]);
            assert.deepStrictEqual(l.terms.ecommerce.map((t) => t.seconds), [300, 120, 300]);
            assert.strictEqual(firehoseS3DeliverySeconds(cfg), 150); // 60 s Lambda buffer + 1.5 × 60 s
            assert.strictEqual(l.warnings.length, 1);
            assert.match(l.warnings[0], /detection\.offsetSeconds \(120 s\) is shorter than .* 150 s/);
        });

        it("an offset that covers Firehose delivery raises no warning", () => {
            const l = detectionLatency(devConfig({ engine: "lookout", offsetSeconds: 150 }));
            assert.strictEqual(l.ecommerceSeconds, 750);
            assert.deepStrictEqual(l.warnings, []);
        });

        it("a 900 s Firehose buffer needs a 1410 s offset", () => {
            const cfg = devConfig({ engine: "lookout", offsetSeconds: 1409 }, { bufferingIntervalSeconds: 900 });
            assert.strictEqual(firehoseS3DeliverySeconds(cfg), 1410);
            assert.strictEqual(detectionLatency(cfg).warnings.length, 1);
            assert.deepStrictEqual(detectionLatency(devConfig({ engine: "lookout", offsetSeconds: 1410 }, { bufferingIntervalSeconds: 900 })).warnings, []);
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
            assert.deepStrictEqual([t.fillingDatapoints, t.evaluationPeriods, t.datapointsToAlarmAbove, t.datapointsToAlarmBelow, t.latencySeconds], [2, 5, 2, 4, 240]);
        });

        it("window limits follow PutMetricAlarm: 1 day under a one-hour period, 7 days otherwise", () => {
            assert.strictEqual(alarmWindowProblem(alarmTiming(3000, 60, 27, 1)), undefined); // 28 × 3000 = 84000
            assert.match(alarmWindowProblem(alarmTiming(3000, 60, 28, 1)) ?? "", /29 × 3000 s = 87000 s .* at most 86400 s/);
            assert.strictEqual(alarmWindowProblem(alarmTiming(86400, 120, 6, 1)), undefined); // 7 days exactly
            assert.match(alarmWindowProblem(alarmTiming(86400, 120, 7, 1)) ?? "", /at most 604800 s/);
            assert.strictEqual(alarmWindowProblem(ecommerceAlarmTiming(devConfig({ frequency: "P1D", evaluationPeriods: 5 }))), undefined);
            assert.match(alarmWindowProblem(ecommerceAlarmTiming(devConfig({ frequency: "P1D", evaluationPeriods: 6 }))) ?? "", /8 × 86400 s/);
        });
    });

    describe("monotonicity", () => {
        const FREQS: Frequency[] = ["PT5M", "PT10M", "PT1H", "P1D"];
        const params = fc.record({
            engine: fc.constantFrom("cloudwatch", "lookout"),
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
                // P1D alarms allow at most 5 configured evaluation periods (7-day window with the filling datapoints).
                if (p.engine === "cloudwatch" && FREQS[q.frequency] === "P1D" && q.evaluationPeriods > 5) return;
                noFaster(p, q);
            }), { numRuns: 300 });
        });

        it("the cloudwatch figure is at least M periods of each path and the terms add up", () => {
            fc.assert(fc.property(params, (p) => {
                const l = latency({ ...p, engine: "cloudwatch" });
                assert.ok(l.wafSeconds >= mOf(p) * p.wafPeriodSeconds + 60);
                assert.strictEqual(total(l.terms.waf), l.wafSeconds);
                assert.strictEqual(total(l.terms.ecommerce), l.ecommerceSeconds);
                assert.strictEqual(l.worstSeconds, Math.max(l.wafSeconds, l.ecommerceSeconds));
            }), { numRuns: 200 });
        });
    });
});
