// `npm run simulate`: argument parsing and the printed report of the detection simulation (model/detectionSim.ts).
import { parseArgs } from "util";

import { AppConfig } from "../../config";
import { cloudWatchDetectionArgs } from "../../componentArgs";
import { CloudWatchDetectionArgs } from "../../components/cloudwatchDetection";
import { wafRuleMetricNames } from "../../model/wafRules";
import { OWN_ACL_KEY } from "../../model/wafTargets";
import { SIM_GROUPS, SimOptions, SimulationReport, WAF_ATTACK_PER_MINUTE, defaultSimOptions, groupOf, simAlarms, simStackOf, simulate, wafAttackSweep } from "../../model/detectionSim";
import { GroupLimit, LIMIT_FALSE_ALARMS_PER_DAY, percent as pct, SimulationLimits, TargetCheck, simulationLimits, targetChecks } from "../../model/detectionLimit";
import { EVALUATION_DELAY_SECONDS } from "../../model/alarmReplay";
import {
    KINESIS_TO_FIREHOSE_SECONDS,
    LOG_TO_METRIC_SECONDS,
    TRANSFORM_RUN_SECONDS,
    WAF_PUBLISH_DELAY_RANGE_SECONDS,
    WAF_PUBLISH_DELAY_SECONDS,
} from "../../model/metricArrival";
import { loadStackConfig } from "./stackConfig";
import { BufferChoice, alarmCost, bufferChoices, costBeforeAfter } from "./simulationCost";
import { PRICE_TABLE, alarmMonthlyUsd, compositeAlarmMonthlyUsd } from "./prices";

export const SIMULATE_USAGE = `Replays traffic-model series through every CloudWatch alarm of a stack, in its exact shape, and reports per
alarm kind the time from an injected anomaly's first second to the alarm's action, and the alarms a steady
day raises; then each kind against the latency targets (ecommerce 240 s, WAF 120 s) with what no alarm could
beat (an ideal order-value test's chance to be in time; the WAF floor), the WAF worst case by attack size, and
the shape and cost of each kind.

  simulate --stack NAME [--days N] [--replays N] [--seed N] [--rate N] [--buffer S] [--log-to-metric S]
           [--waf-publish-delay S] [--evaluation-delay S] [--waf-attack N] [--only KEY] [--per-alarm] [--json]

  --stack             Pulumi.<stack>.yaml to take the alarms from (required)
  --days              steady days replayed per alarm for false alarms (default 1)
  --replays           injected anomalies per alarm, spread over the day (default 8)
  --seed              random seed (default 1)
  --rate              mean events per second (default 20, the generator's default)
  --buffer            Firehose Lambda buffer interval hint to assume (default: the pipeline's)
  --log-to-metric     upper bound of the log-to-metric assumption in seconds (default ${LOG_TO_METRIC_SECONDS.max})
  --waf-publish-delay upper bound of the WAF publish delay (a minute's datapoint after the minute ends), whole
                      seconds ${WAF_PUBLISH_DELAY_RANGE_SECONDS.min}-${WAF_PUBLISH_DELAY_RANGE_SECONDS.max} (default ${WAF_PUBLISH_DELAY_SECONDS.max}); the deployed WAF alarms are replayed against it
                      (above ${WAF_PUBLISH_DELAY_SECONDS.max} s they miss: the report warns). npm run measure-lag measures it
  --evaluation-delay  seconds after the whole minute an evaluation reads the data (default ${EVALUATION_DELAY_SECONDS})
  --waf-attack        blocked requests a minute of the injected WAF attack (default ${WAF_ATTACK_PER_MINUTE})
  --only              only alarms whose key contains this text (e.g. total, waf)
  --per-alarm         also print one line per alarm
  --json              print the report as JSON`;

export class UsageError extends Error {}

export interface SimulateArgs {
    config: AppConfig;
    options: SimOptions;
    days: number;
    replays: number;
    seed: number;
    only?: string;
    perAlarm: boolean;
    json: boolean;
}

function num(name: string, v: string | undefined, dflt: number, check: (n: number) => boolean, rule: string): number {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${rule} (got ${JSON.stringify(v)})`);
    return n;
}

export function parseSimulateArgs(argv: string[]): SimulateArgs | "help" {
    let v: Record<string, string | boolean | undefined>;
    try {
        v = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string" }, days: { type: "string" }, replays: { type: "string" }, seed: { type: "string" },
                rate: { type: "string" }, buffer: { type: "string" }, "log-to-metric": { type: "string" }, "waf-publish-delay": { type: "string" }, "evaluation-delay": { type: "string" },
                "waf-attack": { type: "string" }, only: { type: "string" }, "per-alarm": { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean" },
            },
        }).values;
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (v.help) return "help";
    if (typeof v.stack !== "string") throw new UsageError("--stack is required");
    let config: AppConfig;
    try {
        config = loadStackConfig(v.stack);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    if (config.detection.engine !== "cloudwatch") throw new UsageError(`stack ${v.stack} uses the ${config.detection.engine} engine; the simulation replays CloudWatch alarms`);
    const d = defaultSimOptions();
    const int = (n: number) => Number.isInteger(n);
    const options: SimOptions = {
        rate: num("rate", v.rate as string | undefined, d.rate, (n) => n > 0, "must be a positive number"),
        bufferSeconds: num("buffer", v.buffer as string | undefined, d.bufferSeconds, (n) => int(n) && n >= 0 && n <= 900, "must be a whole number of seconds from 0 to 900"),
        logToMetricMax: num("log-to-metric", v["log-to-metric"] as string | undefined, LOG_TO_METRIC_SECONDS.max, (n) => n >= LOG_TO_METRIC_SECONDS.min && n <= 600, `must be ${LOG_TO_METRIC_SECONDS.min}–600 s`),
        wafPublishDelayMax: num("waf-publish-delay", v["waf-publish-delay"] as string | undefined, WAF_PUBLISH_DELAY_SECONDS.max,
            (n) => int(n) && n >= WAF_PUBLISH_DELAY_RANGE_SECONDS.min && n <= WAF_PUBLISH_DELAY_RANGE_SECONDS.max,
            `must be a whole number of seconds from ${WAF_PUBLISH_DELAY_RANGE_SECONDS.min} to ${WAF_PUBLISH_DELAY_RANGE_SECONDS.max}`),
        evaluationDelaySeconds: num("evaluation-delay", v["evaluation-delay"] as string | undefined, EVALUATION_DELAY_SECONDS, (n) => n >= 0 && n < 60, "must be 0 to 59 s"),
        wafAttackPerMinute: num("waf-attack", v["waf-attack"] as string | undefined, WAF_ATTACK_PER_MINUTE, (n) => int(n) && n >= 1 && n <= 1_000_000, "must be a whole number from 1 to 1000000"),
    };
    return {
        config,
        options,
        days: num("days", v.days as string | undefined, 1, (n) => int(n) && n >= 1 && n <= 30, "must be a whole number from 1 to 30"),
        replays: num("replays", v.replays as string | undefined, 8, (n) => int(n) && n >= 1 && n <= 200, "must be a whole number from 1 to 200"),
        seed: num("seed", v.seed as string | undefined, 1, (n) => int(n) && n >= 0, "must be a whole number ≥ 0"),
        only: v.only as string | undefined,
        perAlarm: v["per-alarm"] === true,
        json: v.json === true,
    };
}

/** The CloudWatchDetection args the stack config maps to (componentArgs.ts), with placeholder wiring. */
export function simulationArgs(config: AppConfig): CloudWatchDetectionArgs {
    return cloudWatchDetectionArgs(config, {
        // The project's own web ACL (watched as Rule=ALL plus its rules), as on the dev stack.
        webAcls: [{ key: OWN_ACL_KEY, name: "simulated-web-acl", scope: "REGIONAL", rules: wafRuleMetricNames(config.waf) }],
        alerts: { topicArn: `arn:aws:sns:${config.region}:000000000000:simulated` },
    });
}

const s = (x: number | undefined) => (x === undefined ? "—" : `${x} s`);

/** What the report warns of (printed as WARNING lines; `warnings` in --json): a WAF publish delay above the alarms' plan. */
export function simulationWarnings(o: SimOptions): string[] {
    return (o.wafPublishDelayMax ?? 0) > WAF_PUBLISH_DELAY_SECONDS.max
        ? [`the deployed WAF alarms are planned for a publish delay ≤ ${WAF_PUBLISH_DELAY_SECONDS.max} s (one filling datapoint); at ` +
            `${o.wafPublishDelayMax} s their newest minutes fall out of the window before they are readable, so they miss what the replay shows missed. ` +
            `Raise WAF_PUBLISH_DELAY_SECONDS.max (model/metricArrival.ts) to the measured bound and redeploy.`]
        : [];
}

/** The printed report. */
export function formatReport(r: SimulationReport, perAlarm: boolean): string {
    const o = r.options;
    const lines: string[] = [
        `Detection simulation — stack ${r.stack}: ${r.replaysPerAlarm} injected anomalies per alarm (generator defaults: drop ×0.2, spike ×3, ` +
        `WAF attack, ≥ 600 s), ${r.days} steady day(s) per alarm, ${o.rate} events/s`,
        `Arrival: Firehose Lambda buffer ${o.bufferSeconds} s; assumed Kinesis→Firehose ≤ ${KINESIS_TO_FIREHOSE_SECONDS.max} s, transform ≤ ${TRANSFORM_RUN_SECONDS.max} s, ` +
        `log→metric ${LOG_TO_METRIC_SECONDS.min}–${o.logToMetricMax ?? LOG_TO_METRIC_SECONDS.max} s, WAF publish ${WAF_PUBLISH_DELAY_SECONDS.min}–${o.wafPublishDelayMax ?? WAF_PUBLISH_DELAY_SECONDS.max} s, ` +
        `evaluation delay ${o.evaluationDelaySeconds ?? EVALUATION_DELAY_SECONDS} s. Band: stand-in (expected ± width × sd of normal traffic).`,
        ...simulationWarnings(o).map((w) => `WARNING: ${w}`),
        "",
        "detected: of the injected anomalies the alarm can see (its noise-free replay alarms); below: the others (inside the band at",
        "this load, or the drop baseline under its floor). Times from the anomaly's first second to the alarm's action.",
        "",
        "alarms                alarms  detected  below      worst  median  best   bound (noise-free)  false alarms",
    ];
    for (const k of r.kinds) {
        lines.push(`${k.group.padEnd(20)} ${String(k.alarms).padStart(7)}  ${`${k.detected}/${k.armed}`.padStart(8)}  ${String(k.injected - k.armed).padStart(5)}  ${s(k.worstSeconds).padStart(9)}  ${s(k.medianSeconds).padStart(6)}  ${s(k.bestSeconds).padStart(5)}  ${s(k.boundSeconds).padStart(18)}  ${String(k.falseAlarms).padStart(12)}`);
        if (k.missedBy.length) lines.push(`${" ".repeat(21)}missed (by noise) by: ${k.missedBy.join(", ")}`);
    }
    if (perAlarm) {
        lines.push("", "alarm                                      detected  below  worst   median  bound   (noise-free runs not alarming)  false");
        for (const a of r.perAlarm) {
            lines.push(`${a.key.padEnd(42)} ${`${a.detected}/${a.armed}`.padStart(8)}  ${String(a.injected - a.armed).padStart(5)}  ${s(a.worstSeconds).padStart(6)}  ${s(a.medianSeconds).padStart(6)}  ${s(a.boundSeconds).padStart(6)}  ${`${a.boundMissed}/${a.boundRuns}`.padStart(30)}  ${String(a.falseAlarms).padStart(5)}`);
        }
    }
    return lines.join("\n") + "\n";
}

/** The WAF worst case (noise-free, every start second of the minute) per attack size. */
export function formatWafSweep(sweep: ReturnType<typeof wafAttackSweep>): string {
    const lines = ["", "WAF worst case (noise-free bound, every start second) by attack size — the floor must be cleared by the attack's first, partial minute:"];
    lines.push(`  ${"blocked/min".padStart(11)}  ${"bound".padStart(7)}`);
    for (const r of sweep) lines.push(`  ${String(r.perMinute).padStart(11)}  ${s(r.worstSeconds).padStart(7)}${r.missed ? `  (${r.missed} runs never alarm)` : ""}`);
    return lines.join("\n") + "\n";
}

const usd = (x: number) => `$${x.toFixed(2)}`;

export interface KindChoice {
    group: string;
    /** Period, M of N as created (N + filling), band width, and the composite's floor child. */
    shape: string;
    alarms: number;
    /** Band alarm (3 alarm metrics), plus the floor child and the composite where there is a floor. */
    usdPerMonth: number;
    boundSeconds?: number;
}

/** Each alarm kind's shape and its monthly cost beside its noise-free worst case (the report's bound). */
export function kindChoices(args: CloudWatchDetectionArgs, r: SimulationReport): KindChoice[] {
    const alarms = simAlarms(args);
    return SIM_GROUPS.flatMap((group) => {
        const of = alarms.filter((a) => groupOf(a) === group);
        if (of.length === 0) return [];
        const sh = of[0].shape;
        const gated = of.filter((a) => a.shape.gate).length;
        const companions = of.filter((a) => a.companion).length;
        const composites = of.filter((a) => a.shape.gate || a.companion).length;
        const usd = of.length * alarmMonthlyUsd({ metrics: 1, anomalyBand: true }) + gated * alarmMonthlyUsd({ metrics: 1 }) +
            companions * alarmMonthlyUsd({ metrics: 2, anomalyBand: true }) + composites * compositeAlarmMonthlyUsd();
        const aov = [...new Set(of.filter((a) => a.companion).map((a) => `order value ${a.companion!.periodSeconds} s, ${a.companion!.datapointsToAlarm} of ${a.companion!.evaluationPeriods}, ${a.companion!.bandWidth} σ, ≥ ${a.companion!.minDenominator ?? 1} checkouts`))];
        return [{
            group,
            shape: `${sh.periodSeconds} s, ${[...new Set(of.map((x) => `${x.shape.datapointsToAlarm} of ${x.shape.evaluationPeriods}`))].join(" | ")}, ${[...new Set(of.map((x) => x.shape.bandWidth))].join(" | ")} σ${sh.gate ? `, floor ≥ ${[...new Set(of.map((x) => x.shape.gate?.threshold))].join(" | ")} / ${sh.gate.windowSeconds} s` : ""}` +
                (aov.length ? ` | OR ${aov.join(" | ")}` : ""),
            alarms: of.length,
            usdPerMonth: usd,
            boundSeconds: r.kinds.find((k) => k.group === group)?.boundSeconds,
        }];
    });
}

export function formatKindChoices(choices: KindChoice[]): string {
    const lines = ["", "Shape and cost per alarm kind (as created: M of N includes the filling datapoints), beside its noise-free worst case:"];
    lines.push(`  ${"alarms".padEnd(20)} ${"shape".padEnd(44)} ${"count".padStart(5)} ${"$/month".padStart(8)} ${"bound".padStart(7)}`);
    for (const c of choices) lines.push(`  ${c.group.padEnd(20)} ${c.shape.padEnd(44)} ${String(c.alarms).padStart(5)} ${usd(c.usdPerMonth).padStart(8)} ${s(c.boundSeconds).padStart(7)}`);
    return lines.join("\n") + "\n";
}

/** The cost of each choice beside its latency (prices: scripts/lib/prices.ts). */
export function formatCosts(args: CloudWatchDetectionArgs, choices: BufferChoice[]): string {
    const ab = costBeforeAfter(args);
    const a = alarmCost(args);
    const lines = [
        "",
        `Cost (us-east-1 list prices of ${PRICE_TABLE.date}, scripts/lib/prices.ts), a month:`,
        `  alarms: ${a.bandAlarms} band alarms (3 alarm metrics per metric read; the order-value children read 2) + ${a.gateAlarms} noise-floor children + ${a.composites} composites = ${usd(a.usd)} ` +
        `(before: ${usd(ab.before.alarmsUsd)} for plain band alarms); EMF custom metrics ${usd(ab.after.metricsUsd)} (unchanged by the period; before OrderValueLog: ${usd(ab.before.metricsUsd)})`,
        `  Firehose Lambda buffer (transform invocations, their duration, the EMF log lines): ${usd(ab.after.bufferUsd)} (before, 60 s: ${usd(ab.before.bufferUsd)})`,
        "",
        "  buffer  lag bound  invocations/month  EMF logs GB/month  cost/month  views-total spike  views-total drop",
    ];
    for (const c of choices) {
        lines.push(`  ${`${c.bufferSeconds} s`.padStart(6)}  ${`${c.lagSeconds} s`.padStart(9)}  ${String(c.invocationsPerMonth).padStart(17)}  ${c.emfLogGbPerMonth.toFixed(2).padStart(17)}  ${usd(c.usd).padStart(10)}  ${s(c.spikeSeconds).padStart(17)}  ${s(c.dropSeconds).padStart(16)}`);
    }
    return lines.join("\n") + "\n";
}

/** The order-value limits: what an ideal test could do within the target, per revenue group (nothing without one). */
export function formatLimits(l: SimulationLimits): string {
    if (l.cloudWatch.length === 0) return "";
    const lines = [
        "",
        `Order-value anomalies (revenue spike ×3 / drop ×0.2): what an ideal test could do within ${l.targetSeconds.ecommerce} s. Told when the anomaly starts, it`,
        `knows each order's true log-mean and spread, and flags when the likelihood ratio of the anomaly's orders (their ln V, exact for`,
        `log-normal values) exceeds c — the most powerful test — with one c per group for ${LIMIT_FALSE_ALARMS_PER_DAY} false alarms a day over its revenue alarms at one`,
        `test per window (more lenient than an alarm's every-minute sliding windows). "at once": every order read ${l.emfLagSeconds.min} s after it; "CloudWatch":`,
        `what the last whole-minute evaluation within ${l.targetSeconds.ecommerce} s has read (the arrival model drawn, EMF lag ${l.emfLagSeconds.min}–${l.emfLagSeconds.max} s; start seconds 0–59).`,
        "  alarms                read           c  quietest start (checkouts/min)                       day mean  expected late  P(all in time)",
    ];
    const row = (g: GroupLimit, read: string) =>
        `  ${g.group.padEnd(20)}  ${read.padEnd(10)} ${g.threshold.toFixed(2).padStart(7)}  ${`${pct(g.quietest.probability)} ${g.quietest.key} ${new Date(g.quietest.atMs).toISOString().slice(11, 16)} UTC (${g.quietest.checkoutsPerMinute.toFixed(1)})`.padEnd(52)} ` +
        `${pct(g.dayMean).padStart(8)}  ${`${g.expectedLate.toFixed(2)} of ${g.replays}`.padStart(13)}  ${pct(g.allInTime).padStart(14)}`;
    for (const g of l.cloudWatch) {
        const ideal = l.ideal.find((x) => x.group === g.group);
        if (ideal) lines.push(row(ideal, "at once"));
        lines.push(row(g, "CloudWatch"));
    }
    return lines.join("\n") + "\n";
}

/** The issue's targets, per group: met or not, and the limit beside a miss. */
export function formatTargets(checks: readonly TargetCheck[]): string {
    const lines = ["", "Targets: ecommerce worst case ≤ 240 s, WAF ≤ 120 s, 0 false alarms on the steady day(s), every injected anomaly detected:"];
    for (const c of checks) {
        lines.push(`  ${c.group.padEnd(20)} ${c.met ? "met" : `NOT MET: ${c.misses.join("; ")}`}`);
        if (!c.met && c.limit) lines.push(`  ${" ".repeat(20)} limit: ${c.limit}`);
    }
    return lines.join("\n") + "\n";
}

export function runSimulate(argv: string[], io: { stdout: (s: string) => void }): SimulationReport | undefined {
    const a = parseSimulateArgs(argv);
    if (a === "help") {
        io.stdout(SIMULATE_USAGE + "\n");
        return undefined;
    }
    const only = a.only;
    const args = simulationArgs(a.config);
    const select = only ? (x: { key: string }) => x.key.includes(only) : () => true;
    const report = simulate(args, a.options, { days: a.days, replays: a.replays, seed: a.seed, only: select });
    const limits = simulationLimits(simStackOf(args), simAlarms(args).filter(select), a.options, a.replays);
    const targets = targetChecks(report, limits);
    const choices = bufferChoices(args);
    const sweep = wafAttackSweep(args, a.options);
    const kinds = kindChoices(args, report);
    io.stdout(a.json
        ? JSON.stringify({ ...report, warnings: simulationWarnings(a.options), targets, limits, wafAttackSweep: sweep, cost: { ...costBeforeAfter(args), alarms: alarmCost(args), kinds, bufferChoices: choices } }, null, 2) + "\n"
        : formatReport(report, a.perAlarm) + formatTargets(targets) + formatLimits(limits) + formatWafSweep(sweep) + formatKindChoices(kinds) + formatCosts(args, choices));
    return report;
}
