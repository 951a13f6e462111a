// The detection simulation end to end on the dev stack's real alarm specs (a subset, to keep the suite fast; the
// full run is `npm run simulate -- --stack dev`, figures in the README): injected anomalies detected within the
// targets, no alarm on a steady day, the replayed shape equal to the planned alarm, and the CLI's arguments.
import * as assert from "assert";

import { planCloudWatchAlarms } from "../components/cloudwatchDetection";
import { wafRuleMetricNames } from "../model/wafRules";
import { defaultSimOptions, shapeOf, simAlarms, simStackOf, simulate, steadyFalseAlarms } from "../model/detectionSim";
import { UsageError, formatReport, parseSimulateArgs, runSimulate, simulationArgs } from "../scripts/lib/simulateCli";
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
        assert.deepStrictEqual(alarms.find((a) => a.key === "revenue-platform-ios-spike")!.shape, { periodSeconds: 300, evaluationPeriods: 4, datapointsToAlarm: 2, comparison: "GreaterThanUpperThreshold", bandWidth: 3.5, gate: undefined });
        // The web ACL's total carries the sum of its rules' simulated background (0.2 + 3 + 0.5).
        assert.strictEqual(alarms.find((a) => a.key === "waf-ALL")!.wafBackgroundPerMinute, 3.7);
        const waf = alarms.find((a) => a.kind === "waf")!;
        assert.deepStrictEqual(waf.shape.gate, { windowSeconds: 120, threshold: 20 });
        for (const s of specs) assert.deepStrictEqual(alarms.find((a) => a.key === s.key)!.shape, shapeOf(s));
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

    it("without its floor, a near-empty WAF rule's band alone would alarm on a steady day (the floor is what keeps it quiet)", () => {
        const rule = simAlarms(args).find((a) => a.key === "waf-AWSManagedRulesCommonRuleSet")!;
        assert.strictEqual(steadyFalseAlarms(simStackOf(args), rule, o, 1, 11), 0);
        assert.ok(steadyFalseAlarms(simStackOf(args), { ...rule, shape: { ...rule.shape, gate: undefined } }, o, 1, 11) > 0);
    });

    it("cost from the plan's price table: 36 band alarms × $0.30 + 20 floor children × $0.10 + 20 composites × $0.50; 41 EMF metrics; the 10 s buffer's invocations", () => {
        const a = alarmCost(args);
        assert.deepStrictEqual([a.bandAlarms, a.gateAlarms, a.composites], [36, 20, 20]);
        assert.strictEqual(Math.round(a.usd * 100), 2280);
        assert.strictEqual(emfMetricCount(args), 41); // (1 + 3 + 1 + 4 + 1) dimension sets × 4 measures + MalformedRecords
        const ab = costBeforeAfter(args);
        assert.strictEqual(Math.round(ab.before.alarmsUsd * 100), 1080);
        assert.strictEqual(Math.round(ab.after.metricsUsd * 100), 1230);
        assert.strictEqual(bufferCost(args, 10).invocationsPerMonth, 262_800); // 730 h × 3600 s / 10 s
        assert.ok(bufferCost(args, 10).usd > bufferCost(args, 60).usd);
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
