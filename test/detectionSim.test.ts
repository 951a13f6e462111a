// The detection simulation end to end on the dev stack's real alarm specs (a subset, to keep the suite fast; the
// full run is `npm run simulate -- --stack dev`, figures in the README): injected anomalies detected within the
// targets, no alarm on a steady day, the replayed shape equal to the planned alarm, and the CLI's arguments.
import * as assert from "assert";

import { planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { wafRuleMetricNames } from "../model/wafRules";
import { companionShapeOf, defaultSimOptions, orderLogMoments, shapeOf, simAlarms, simStackOf, simulate, steadyFalseAlarms, trafficModel, wafAttackSweep } from "../model/detectionSim";
import { wafVisibleAt } from "../model/metricArrival";
import { seededRng } from "../scripts/lib/trafficModel";
import { UsageError, formatReport, kindChoices, parseSimulateArgs, runSimulate, simulationArgs } from "../scripts/lib/simulateCli";
import { loadStackConfig } from "../scripts/lib/stackConfig";
import { alarmCost, bufferCost, costBeforeAfter, emfMetricCount } from "../scripts/lib/simulationCost";

describe("detection simulation (model/detectionSim.ts) on the dev stack", () => {
    const cfg = loadStackConfig("dev");
    const args = simulationArgs(cfg);
    const o = defaultSimOptions();

    it("replays each planned alarm's exact shape: period, N, M, comparison, band width and the floor child", () => {
        const specs = planCloudWatchAlarms({ ...args, webAcls: [{ key: "", name: "acl", scope: "REGIONAL", rules: wafRuleMetricNames(cfg.waf) }] });
        const alarms = simAlarms(args);
        assert.strictEqual(alarms.length, specs.length);
        const drop = alarms.find((a) => a.key === "views-total-drop")!;
        assert.deepStrictEqual(drop.shape, { periodSeconds: 60, evaluationPeriods: 4, datapointsToAlarm: 3, comparison: "LessThanLowerThreshold", bandWidth: 3, gate: { windowSeconds: 3600, threshold: 1200 } });
        // Sparse series (revenue by marketplace): 300 s periods, band 3 + 0.5, baseline floor 1500 a minute × 60 × 60/300.
        const sparse = alarms.find((a) => a.key === "revenue-marketplace-JP-drop")!;
        assert.deepStrictEqual(sparse.shape, { periodSeconds: 300, evaluationPeriods: 2, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 3.5, gate: { windowSeconds: 3600, threshold: 18000 } });
        assert.deepStrictEqual(alarms.find((a) => a.key === "revenue-platform-ios-spike")!.shape, { periodSeconds: 300, evaluationPeriods: 4, datapointsToAlarm: 3, comparison: "GreaterThanUpperThreshold", bandWidth: 3.5, gate: undefined });
        // The web ACL's total carries the sum of its rules' simulated background (0.2 + 3 + 0.5).
        assert.strictEqual(alarms.find((a) => a.key === "waf-ALL")!.wafBackgroundPerMinute, 3.7);
        const waf = alarms.find((a) => a.kind === "waf")!;
        assert.deepStrictEqual(waf.shape.gate, { windowSeconds: 120, threshold: 20 });
        for (const s of specs) assert.deepStrictEqual(alarms.find((a) => a.key === s.key)!.shape, shapeOf(s));
    });

    it("order-value children: the replay reads the planned numerator (OrderValueLog), the IF guard's minimum and the period; the log moments match sampled orders", () => {
        const specs = planCloudWatchAlarms(args);
        const jp = specs.find((s) => s.key === "revenue-marketplace-JP-drop")!;
        assert.deepStrictEqual(companionShapeOf(jp), { periodSeconds: 120, evaluationPeriods: 2, datapointsToAlarm: 2, comparison: "LessThanLowerThreshold", bandWidth: 3.5, ratio: true, minDenominator: 3 });
        // a child on another numerator (the old Revenue / Checkouts) is refused, not replayed as if it were the log
        const c = jp.companion!;
        const revenue = { ...jp, companion: { ...c, metricQueries: c.metricQueries.map((q) => (q.id === "m1" ? { ...q, metric: { ...q.metric!, metricName: "Revenue" } } : q)) } };
        assert.throws(() => companionShapeOf(revenue), /numerator is OrderValueLog, got Revenue/);
        // E[ln(1 + V)] of the log-normal order value (a = 41, σ = 0.6): E[ln V] = ln 41 − 0.18, plus E[ln(1 + 1/V)] ≈
        // E[1/V] − E[1/V²]/2 = e^{σ²}/a − e^{3σ²}/(2a²); and the traffic model's sampled
        // Σ ln(1 + v) per checkout agrees (20,000 orders)
        const [l, vl] = orderLogMoments(41);
        assert.ok(Math.abs(l - (Math.log(41) - 0.18 + Math.exp(0.36) / 41 - Math.exp(1.08) / (2 * 41 * 41))) < 2e-4, `mean ${l}`);
        assert.ok(vl > 0.33 && vl < 0.36, `variance ${vl}`); // below σ² = 0.36: ln(1 + v) flattens the small orders
        // ×0.2: the shift is a little under ln 0.2 = −1.61 in magnitude (ln(1 + v) flattens the smaller orders): −1.49
        const shift = orderLogMoments(41, 0.2)[0] - l;
        assert.ok(shift > Math.log(0.2) && shift < -1.45, `shift ${shift}`);
        const model = trafficModel(simStackOf(args), 2000);
        const slice = model.slices.find((x) => x.marketplace.name === "JP")!;
        const rng = seededRng(7);
        let k = 0, sum = 0;
        for (let t = 0; k < 20_000; t += 1000) {
            const counts = model.sampleCounts(rng, slice, t, t + 1000);
            k += counts.checkouts;
            sum += counts.orderValueLog;
        }
        assert.ok(Math.abs(sum / k - l) < 0.015, `sampled ${sum / k} vs ${l}`);
    });

    it("stack totals and a WAF rule: every injected anomaly they can see detected, spike/drop ≤ 240 s, WAF ≤ 140 s, no alarm on a steady day", () => {
        const r = simulate(args, o, { days: 1, replays: 4, seed: 3, only: (a) => a.key.startsWith("views-total") || a.key === "waf-AWSManagedRulesCommonRuleSet" || a.key === "revenue-total-spike" });
        for (const a of r.perAlarm) {
            assert.strictEqual(a.detected, a.armed, `${a.key}: ${a.detected} of ${a.armed} armed anomalies detected`);
            assert.strictEqual(a.armed, 4, `${a.key}: every injected anomaly is within what the alarm can see`);
            assert.strictEqual(a.falseAlarms, 0, `${a.key}: false alarms on a steady day`);
            assert.ok(a.worstSeconds! <= (a.kind === "waf" ? 140 : 240), `${a.key}: worst ${a.worstSeconds} s`);
            assert.ok(a.boundSeconds! <= (a.kind === "waf" ? 140 : 240), `${a.key}: noise-free bound ${a.boundSeconds} s`);
        }
        const text = formatReport(r, true);
        assert.match(text, /spike total\s+2\s+8\/8/);
        assert.match(text, /views-total-drop\s+4\/4/);
    });

    it("sparse revenue (Marketplace=JP spike, 300 s): every injected spike detected, none on a steady day, bound under 10 minutes — not per-minute", () => {
        const r = simulate(args, o, { days: 1, replays: 4, seed: 3, only: (a) => a.key === "revenue-marketplace-JP-spike" });
        const [a] = r.perAlarm;
        assert.deepStrictEqual([a.injected, a.armed, a.detected, a.falseAlarms], [4, 4, 4, 0]);
        assert.ok(a.boundSeconds! > 240 && a.boundSeconds! <= 600, `bound ${a.boundSeconds} s`);
    });

    it("without its floor, a near-empty WAF rule's band alone would alarm on a steady day (the floor is what keeps it quiet)", () => {
        const rule = simAlarms(args).find((a) => a.key === "waf-AWSManagedRulesCommonRuleSet")!;
        assert.strictEqual(steadyFalseAlarms(simStackOf(args), rule, o, 1, 11), 0);
        assert.ok(steadyFalseAlarms(simStackOf(args), { ...rule, shape: { ...rule.shape, gate: undefined } }, o, 1, 11) > 0);
    });

    it("cost from the plan's price table: 36 band alarms × $0.30 + 16 AOV children × $0.60 + 20 floor children × $0.10 + 28 composites × $0.50; 51 EMF metrics; the 10 s buffer's invocations", () => {
        const a = alarmCost(args);
        assert.deepStrictEqual([a.bandAlarms, a.gateAlarms, a.composites], [52, 20, 28]);
        assert.strictEqual(Math.round(a.usd * 100), 3640);
        assert.strictEqual(emfMetricCount(args), 51); // (1 + 3 + 1 + 4 + 1) dimension sets × 5 (4 measures + OrderValueLog) + MalformedRecords
        const ab = costBeforeAfter(args);
        assert.strictEqual(Math.round(ab.before.alarmsUsd * 100), 1080);
        assert.strictEqual(Math.round(ab.after.metricsUsd * 100), 1530);
        assert.strictEqual(Math.round(ab.before.metricsUsd * 100), 1230, "before OrderValueLog: 41 metrics");
        assert.strictEqual(bufferCost(args, 10).invocationsPerMonth, 262_800); // 730 h × 3600 s / 10 s
        assert.ok(bufferCost(args, 10).usd > bufferCost(args, 60).usd);
    });

    it("WAF worst case by attack size: 139 s at 60 a minute, 120 s once one second of attack (20 at 1200 a minute) clears the floor of 20", () => {
        // 60/min: the rate-based rule (0.2 a minute) starting 41 s into a minute has 19.2 < 20 in it → 180 − 41.
        // 1200/min: even at φ = 59 the first minute holds 20 → alerted at the next evaluation but one, 120 − φ ≤ 120.
        const sweep = wafAttackSweep(args, o, [60, 1200]);
        assert.deepStrictEqual(sweep.map((r) => [r.perMinute, r.worstSeconds, r.missed]), [[60, 139, 0], [1200, 120, 0]]);
    });

    describe("--waf-publish-delay: the WAF publish delay's upper bound (e.g. measured by npm run measure-lag)", () => {
        const at = (delay: number, extra: Partial<typeof o> = {}) => wafAttackSweep(args, { ...o, ...extra, wafPublishDelayMax: delay }, [60])[0];

        it("flows into the WAF arrival timeline: minute k readable (k + 1)·60 + the bound in the worst draw", () => {
            assert.deepStrictEqual([...wafVisibleAt(180, { mode: "worst" }, 30)].filter((_, i) => i % 60 === 0), [90, 150, 210]);
            assert.deepStrictEqual([...wafVisibleAt(120, { mode: "best" }, 30)].filter((_, i) => i % 60 === 0), [61, 121]);
            assert.deepStrictEqual(wafVisibleAt(120, { mode: "worst" }), wafVisibleAt(120, { mode: "worst" }, 60));
            for (const bad of [0, 601, 1.5, NaN]) assert.throws(() => wafVisibleAt(60, { mode: "worst" }, bad), /whole number of seconds from 1 to 600/);
        });

        it("but not into the alarms: the deployed shapes are replayed whatever the bound (above 60 s the report warns that they miss)", () => {
            const planned = simAlarms(args);
            const sweep = (d: number) => wafAttackSweep(args, { ...o, wafPublishDelayMax: d }, [60]);
            // At 90 s minute k is readable at (k + 1)·60 + 90, after the deployed window [k − 1, k + 1) of the evaluation
            // at (k + 1)·60 and still after [k, k + 2) at (k + 2)·60: with every delay at its upper bound the alarm never
            // sees the attack (missed); only the runs with the lower bound (1 s) alert.
            assert.strictEqual(sweep(60)[0].missed, 0);
            assert.ok(sweep(90)[0].missed > 0, String(sweep(90)[0].missed));
            assert.deepStrictEqual(simAlarms(args), planned);
            const report = simulate(args, { ...o, wafPublishDelayMax: 90 }, { days: 1, replays: 1, seed: 5, only: (a) => a.key === "waf-ALL" });
            assert.match(formatReport(report, false), /WARNING: the deployed WAF alarms are planned for a publish delay ≤ 60 s .* at 90 s .*Raise WAF_PUBLISH_DELAY_SECONDS\.max/);
            assert.doesNotMatch(formatReport(simulate(args, { ...o, wafPublishDelayMax: 60 }, { days: 1, replays: 1, seed: 5, only: (a) => a.key === "waf-ALL" }), false), /WARNING/);
            // --json carries the same warning (`warnings`), none at the planned bound.
            const json = (d: string) => {
                let out = "";
                runSimulate(["--stack", "dev", "--waf-publish-delay", d, "--only", "waf-ALL", "--replays", "1", "--json"], { stdout: (t) => (out += t) });
                return JSON.parse(out) as { warnings: string[] };
            };
            const warned = json("90").warnings;
            assert.strictEqual(warned.length, 1);
            assert.match(warned[0], /^the deployed WAF alarms are planned for a publish delay ≤ 60 s .* at 90 s .*Raise WAF_PUBLISH_DELAY_SECONDS\.max/);
            assert.deepStrictEqual(json("60").warnings, []);
        });

        it("dev WAF bound at 60 a minute: 139 s at 30, 45 and 60 s (the evaluation runs on the minute); with a 30 s evaluation read delay 30 s saves a minute (109 vs 169 s)", () => {
            // The worst start is φ = 41 s into minute k on the rate-based rule (0.2 a minute): minute k holds 19.2 < the
            // floor of 20, so the alarm needs minute k+1, which ends at (k+2)·60 and is readable at (k+2)·60 + D.
            // Evaluation delay 0: the first evaluation to read it runs at the next whole minute, (k+3)·60, for every D
            // from 1 to 60 s: 180 − 41 = 139 s, the same at 30, 45 and 60.
            assert.deepStrictEqual([30, 45, 60].map((d) => at(d).worstSeconds), [139, 139, 139]);
            // Evaluation at the minute + 30 s: D = 30 is read by the (k+2)·60 + 30 evaluation: 150 − 41 = 109 s;
            // D = 60 only by the (k+3)·60 + 30 one: 210 − 41 = 169 s — 60 s (one evaluation) apart.
            assert.deepStrictEqual([30, 60].map((d) => at(d, { evaluationDelaySeconds: 30 }).worstSeconds), [109, 169]);
            for (const d of [30, 45, 60]) assert.strictEqual(at(d).missed, 0);
        });

        it("the default run is unchanged: no flag = --waf-publish-delay 60, the stack output keeps the assumption; the Arrival line prints the bound", () => {
            const only = (a: { key: string }) => a.key === "waf-RateLimitPerClientIp";
            const dflt = simulate(args, o, { days: 1, replays: 2, seed: 5, only });
            const sixty = simulate(args, { ...o, wafPublishDelayMax: 60 }, { days: 1, replays: 2, seed: 5, only });
            assert.deepStrictEqual(sixty.kinds, dflt.kinds);
            assert.deepStrictEqual(sixty.perAlarm, dflt.perAlarm);
            assert.match(formatReport(dflt, false), /WAF publish 1–60 s/);
            const a = parseSimulateArgs(["--stack", "dev", "--waf-publish-delay", "30"]);
            assert.ok(a !== "help");
            assert.strictEqual(a.options.wafPublishDelayMax, 30);
            assert.match(formatReport(simulate(args, a.options, { days: 1, replays: 1, seed: 5, only }), false), /WAF publish 1–30 s/);
            const none = parseSimulateArgs(["--stack", "dev"]);
            assert.ok(none !== "help");
            assert.strictEqual(none.options.wafPublishDelayMax, 60);
            for (const bad of ["0", "601", "30.5", "", "abc"]) {
                assert.throws(() => parseSimulateArgs(["--stack", "dev", "--waf-publish-delay", bad]),
                    (e: unknown) => e instanceof UsageError && /^--waf-publish-delay must be a whole number of seconds from 1 to 600/.test(e.message), bad);
            }
        });
    });

    it("shape and cost per alarm kind add up to the alarm bill; sparse revenue at 300 s costs what 60 s did", () => {
        const report = simulate(args, o, { days: 1, replays: 1, seed: 1, only: () => false });
        const kinds = kindChoices(args, report);
        const total = kinds.reduce((n, k) => n + k.usdPerMonth, 0);
        assert.strictEqual(Math.round(total * 100), Math.round(alarmCost(args).usd * 100));
        // the stack totals' spikes: views 2 of 2, revenue 3 of 3 (each + 1 filling), the revenue one OR its AOV child
        assert.match(kinds.find((k) => k.group === "spike total")!.shape, /^60 s, 2 of 3 \| 3 of 4, 3 σ \| OR order value 60 s, 2 of 3, 3\.5 σ, ≥ 5 checkouts$/);
        const sparse = kinds.find((k) => k.group === "spike revenue by dim")!;
        assert.match(sparse.shape, /^300 s, 3 of 4, 3\.5 σ \| OR order value 120 s, 2 of 2, 3\.5 σ, ≥ 3 checkouts$/);
        const at60 = kindChoices(simulationArgs({ ...cfg, detection: { ...cfg.detection, sparsePeriodSeconds: 60 } }), report).find((k) => k.group === "spike revenue by dim")!;
        assert.strictEqual(at60.usdPerMonth, sparse.usdPerMonth);
        assert.match(kinds.find((k) => k.group === "drop total")!.shape, /3 of 4, 3 σ, floor ≥ 1200 \| 90000 \/ 3600 s \| OR order value 60 s, 2 of 3, 3\.5 σ, ≥ 5 checkouts$/);
    });

    it("CLI: --stack is required, bad numbers name their flag, --help prints the usage", () => {
        assert.throws(() => parseSimulateArgs([]), (e: unknown) => e instanceof UsageError && /--stack is required/.test(e.message));
        assert.throws(() => parseSimulateArgs(["--stack", "dev", "--buffer", "901"]), /--buffer must be a whole number of seconds from 0 to 900/);
        assert.throws(() => parseSimulateArgs(["--stack", "nope"]), /Pulumi\.nope\.yaml does not exist/);
        assert.throws(() => parseSimulateArgs(["--stack", "dev", "--bogus"]), UsageError);
        let out = "";
        assert.strictEqual(runSimulate(["--help"], { stdout: (s) => (out += s) }), undefined);
        assert.match(out, /--log-to-metric/);
        const a = parseSimulateArgs(["--stack", "dev", "--buffer", "0", "--log-to-metric", "60"]);
        assert.ok(a !== "help");
        assert.deepStrictEqual([a.options.bufferSeconds, a.options.logToMetricMax], [0, 60]);
    });
});
