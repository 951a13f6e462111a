// Preview-time quota checks: what the program is about to create, counted against AWS's documented quotas, so
// that a stack AWS would refuse half-way through `pulumi up` fails `pulumi preview` (and the offline plan) naming
// the stack key that drives it. Every limit below is quoted from AWS's documentation (README "Quotas checked at
// preview" has the table and what stays unverified).
import * as pulumi from "@pulumi/pulumi";

import type { AlarmSpec, CompanionSpec } from "../components/cloudwatchDetection";
import { ConfigError, PROJECT } from "../config";

export const QUOTAS = {
    /** CloudWatch service quotas: "Anomaly detection models: 500 per Region, per account". */
    anomalyModelsPerRegion: 500,
    /** CloudWatch API reference, Dashboard Body Structure: "an array of between 0 and 500 widget objects". */
    widgetsPerDashboard: 500,
    /** CloudWatch service quotas, Dashboards: "Up to 2500 metrics per dashboard, across all widgets" (metric math inputs included). */
    metricsPerDashboard: 2500,
    /** CloudWatch service quotas, Dashboards: "Up to 500 metrics per dashboard widget". */
    metricsPerWidget: 500,
    /** Lambda quotas, "Function environment variables: 4 KB" (all of a function's variables together). */
    lambdaEnvironmentBytes: 4096,
    /** CloudWatch service quotas: "PutMetricAlarm request: 3 TPS per Region" (adjustable). */
    putMetricAlarmTps: 3,
    /**
     * Embedded Metric Format: metric definitions per MetricDirective and dimension keys per DimensionSet, as AWS's EMF
     * client libraries enforce them (MAX_METRICS_PER_EVENT = 100, MAX_DIMENSION_SET_SIZE = 30; the stored copies of
     * the EMF specification page did not show the paragraph). Fixed by code, not config (the transform's lines carry
     * 5 metrics and 1–2 keys): test/ecommerceTransform.test.ts holds every line to them, nothing checks at preview.
     */
    emfMetricsPerDirective: 100,
    emfDimensionKeysPerSet: 30,
} as const;

/** A warning is due when creating a region's metric alarms takes longer than this at the PutMetricAlarm quota. */
export const ALARM_RATE_WARN_SECONDS = 60;

const WATCH_KEY = `${PROJECT}:waf.watch`;
const REDSHIFT_KEY = `${PROJECT}:sources.redshift.queries`;

/**
 * What the quota counts need of an alarm: its region (unset: the stack's), its kind (`waf`, an ecommerce kind, or
 * `redshift` for sources.redshift's band alarms, which live in the stack's region), whether it has a gate child,
 * and the metric queries of its band alarm and of its order-value companion (the anomaly models they need).
 */
export type QuotaAlarm = Pick<AlarmSpec, "region" | "gate" | "metricQueries"> & { readonly companion?: Pick<CompanionSpec, "metricQueries"> }
    & { readonly kind: AlarmSpec["kind"] | "redshift"; readonly target?: { readonly series?: { readonly dimension?: string } } };

/** sources.redshift's band alarms as quota alarms (the stack's region), with the metric queries they alarm on. */
export function redshiftQuotaAlarms(specs: readonly { gate?: AlarmSpec["gate"]; metricQueries: AlarmSpec["metricQueries"] }[]): QuotaAlarm[] {
    return specs.map((s) => ({ kind: "redshift" as const, metricQueries: s.metricQueries, ...(s.gate ? { gate: s.gate } : {}) }));
}

type MetricQuery = AlarmSpec["metricQueries"][number];

/** `ANOMALY_DETECTION_BAND(<input id>[, <width>])`: the input id, or undefined when the expression is not a band. */
function bandInputId(expression: unknown): string | undefined {
    if (typeof expression !== "string") return undefined;
    return /^\s*ANOMALY_DETECTION_BAND\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,[^)]*)?\)\s*$/.exec(expression)?.[1];
}

/**
 * A value made comparable: plain values as they are, objects with sorted keys, and a value not known at preview (a
 * pulumi Output or Promise, e.g. the WebACL dimension of the stack's own web ACL) as a token of that object, so
 * only the very same Output object matches itself: two unknowns are never taken for one model.
 */
function canonical(v: unknown, unknowns: WeakMap<object, number>): unknown {
    if (v === null || typeof v !== "object") return v;
    if (pulumi.Output.isInstance(v) || v instanceof Promise) {
        if (!unknowns.has(v)) unknowns.set(v, nextUnknown++);
        return `<unknown #${unknowns.get(v)}>`;
    }
    if (Array.isArray(v)) return v.map((x) => canonical(x, unknowns));
    return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k], unknowns)]));
}
let nextUnknown = 0;

/**
 * The identities of the anomaly detection models an alarm's metric queries need: one per `ANOMALY_DETECTION_BAND`
 * query (an alarm has one, its threshold), made of the queries the band's input is computed from as a
 * MetricMathAnomalyDetector would carry them — the input expression (or metric) and every query it references,
 * transitively, each with its id, expression, label, metric (namespace, name, dimensions), period, stat, unit and
 * account, the input as the one query returning data. Not in it: the band query itself and so its width (the `2` of
 * `ANOMALY_DETECTION_BAND(e1, 2)` is applied to the model, not trained), and the alarm's own settings.
 *
 * What is documented and what is inferred (README "Quotas checked at preview"):
 * - Documented (CloudWatch API reference): a model (AnomalyDetector) is "associated with a particular CloudWatch
 *   metric, statistic, or metric math expression"; PutAnomalyDetector "creates an anomaly detection model for a
 *   CloudWatch metric", given as a SingleMetricAnomalyDetector (namespace, name, dimensions, stat) or a
 *   MetricMathAnomalyDetector (its MetricDataQueries, the input being the one with ReturnData true): so a distinct
 *   expression (or metric and stat) is a distinct model. The user guide ("Create a CloudWatch alarm based on anomaly
 *   detection") has anomaly detection alarms on single metrics and on the outputs of metric math expressions, and
 *   says an alarm's threshold (the band width) on a metric already banded for visualization "doesn't change the
 *   threshold that you already set for visualization": the width belongs to the alarm or graph, not to the model.
 * - Inferred, not documented: that two alarms whose band inputs are identical (same expression, same metric inputs,
 *   period and stat) share ONE model rather than each getting its own. AWS documents no per-alarm model, and a model
 *   is keyed by its metric or expression, so we count one; we could not verify it against an account. Were it wrong,
 *   this count would be low by the shared models: the ecommerce spike/drop pairs and their order-value companions
 *   (dev: 28 counted, 52 band alarms) and the Redshift spike/drop pairs; WAF series have one band alarm each.
 * - Conservative on purpose: the query ids, labels, period and unit are part of the identity although AWS may not
 *   tell models apart by them (a single-metric detector has no period at all), so a difference there counts two
 *   models; a value unknown at preview (an Output) matches only the very same Output object.
 * - Not counted: models other stacks or the console made in the account and region (the quota is per account), and
 *   whatever the dashboard's ANOMALY_DETECTION_BAND graphs need (they graph the alarms' own expressions).
 */
export function anomalyModelIdentities(metricQueries: readonly MetricQuery[], unknowns: WeakMap<object, number> = new WeakMap()): string[] {
    const byId = new Map(metricQueries.map((q) => [String(q.id), q]));
    const out: string[] = [];
    for (const band of metricQueries) {
        const input = bandInputId(band.expression);
        if (input === undefined) continue;
        if (!byId.has(input)) throw new Error(`anomaly model: ANOMALY_DETECTION_BAND(${input}) names no query of the alarm (ids: ${[...byId.keys()].join(", ")})`);
        const seen = new Set<string>();
        const todo = [input];
        while (todo.length > 0) {
            const id = todo.pop()!;
            if (seen.has(id) || id === String(band.id)) continue;
            seen.add(id);
            const q = byId.get(id)!;
            if (typeof q.expression === "string") {
                for (const token of q.expression.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) if (byId.has(token)) todo.push(token);
            }
        }
        const queries = [...seen].sort().map((id) => {
            const q = byId.get(id)!;
            return canonical({
                id, expression: q.expression, label: q.label, metric: q.metric, period: q.period, accountId: q.accountId, returnData: id === input,
            }, unknowns);
        });
        out.push(JSON.stringify(queries));
    }
    return out;
}

export interface AnomalyModelCount {
    /** Distinct models in the region (what the quota counts). */
    total: number;
    /** Of them, models of WAF series, of ecommerce series (and their order-value companions), of Redshift series. */
    waf: number;
    ecommerce: number;
    redshift: number;
    /** The ecommerce models by the series' dimension: the totals, per platform value, per marketplace value. */
    ecommerceBy: { total: number; platform: number; marketplace: number };
    /** Band alarms (each band alarm and order-value companion) using them: at least `total`. */
    bandAlarms: number;
}

/**
 * Anomaly detection models the cloudwatch engine's alarms need, per region: the distinct model identities
 * (anomalyModelIdentities) of every band alarm and order-value companion there. A series' spike and drop alarms
 * alarm on the same metric math (the same FILL(m1, 0) of the same metric, period and stat; only the band width
 * or direction differs) and so count as one model; a revenue series' spike and drop order-value companions (the
 * same ratio at the same period, different widths) as one more; each WAF series and each Redshift series as one.
 * A model shared by alarms of different kinds counts for the first one's kind.
 */
export function anomalyModelsByRegion(specs: readonly QuotaAlarm[], stackRegion: string): Map<string, AnomalyModelCount> {
    const out = new Map<string, AnomalyModelCount>();
    const seen = new Map<string, Set<string>>();
    const unknowns = new WeakMap<object, number>();
    for (const s of specs) {
        const region = s.region ?? stackRegion;
        const n = out.get(region) ?? { total: 0, waf: 0, ecommerce: 0, redshift: 0, ecommerceBy: { total: 0, platform: 0, marketplace: 0 }, bandAlarms: 0 };
        const models = seen.get(region) ?? new Set<string>();
        for (const queries of [s.metricQueries, ...(s.companion ? [s.companion.metricQueries] : [])]) {
            const ids = anomalyModelIdentities(queries, unknowns);
            if (ids.length > 0) n.bandAlarms += 1;
            for (const id of ids) {
                if (models.has(id)) continue;
                models.add(id);
                n.total += 1;
                if (s.kind === "waf") n.waf += 1;
                else if (s.kind === "redshift") n.redshift += 1;
                else {
                    n.ecommerce += 1;
                    const dim = s.target?.series?.dimension;
                    n.ecommerceBy[dim === "platform" || dim === "marketplace" ? dim : "total"] += 1;
                }
            }
        }
        out.set(region, n);
        seen.set(region, models);
    }
    return out;
}

/** Metric alarms (band alarms and their static gate children) per region: what PutMetricAlarm creates. */
export function metricAlarmsByRegion(specs: readonly QuotaAlarm[], stackRegion: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of specs) {
        const region = s.region ?? stackRegion;
        out.set(region, (out.get(region) ?? 0) + 1 + (s.gate ? 1 : 0) + (s.companion ? 1 : 0));
    }
    return out;
}

/**
 * Fails naming the key when a region needs more anomaly detection models than the quota allows: `waf.watch` when
 * WAF series are watched there (each watched web ACL adds its Rule=ALL and every rule) and their models are at least
 * the ecommerce ones, else the ecommerce series' key (`detection.platforms` when the per-platform models outnumber the
 * per-marketplace ones, else `detection.marketplaces`), or `sources.redshift.queries` when Redshift's models are the
 * largest share.
 */
export function checkAnomalyModels(specs: readonly QuotaAlarm[], stackRegion: string): void {
    for (const [region, n] of anomalyModelsByRegion(specs, stackRegion)) {
        if (n.total <= QUOTAS.anomalyModelsPerRegion) continue;
        // The largest share names the key; among the ecommerce series, the dimension whose values add more models.
        const ecommerceKey = `${PROJECT}:detection.${n.ecommerceBy.platform > n.ecommerceBy.marketplace ? "platforms" : "marketplaces"}`;
        const key = n.redshift > n.waf && n.redshift > n.ecommerce ? REDSHIFT_KEY : n.waf >= n.ecommerce ? WATCH_KEY : ecommerceKey;
        throw new ConfigError(key, `the cloudwatch engine needs ${n.total} anomaly detection models in ${region} ` +
            `(${n.waf} for WAF series, ${n.ecommerce} for ecommerce series${n.redshift ? `, ${n.redshift} for Redshift series` : ""}; ` +
            `one per distinct band input, for ${n.bandAlarms} band alarms); CloudWatch allows ${QUOTAS.anomalyModelsPerRegion} per region ` +
            `and account (CloudWatch service quotas): watch fewer web ACLs or rules (waf.watch[].rules), fewer platforms/marketplaces, or fewer Redshift measures/dimension values`);
    }
}

/** The warning for regions whose metric alarms take longer than ALARM_RATE_WARN_SECONDS to create at the PutMetricAlarm quota. */
export function alarmRateWarnings(specs: readonly QuotaAlarm[], stackRegion: string): string[] {
    const out: string[] = [];
    for (const [region, alarms] of metricAlarmsByRegion(specs, stackRegion)) {
        const seconds = Math.ceil(alarms / QUOTAS.putMetricAlarmTps);
        if (seconds <= ALARM_RATE_WARN_SECONDS) continue;
        out.push(`quota: ${alarms} metric alarms in ${region} take at least ${seconds} s to create at CloudWatch's PutMetricAlarm ` +
            `quota of ${QUOTAS.putMetricAlarmTps} requests/s per region (shared with everything else in the account): expect throttling ` +
            `retries during up; run it with a lower --parallel, or ask for a higher PutMetricAlarm quota (${WATCH_KEY} drives the count)`);
    }
    return out;
}

/** Lambda's measure of an environment: the names and values of all variables together, in bytes (UTF-8). */
export function lambdaEnvironmentBytes(vars: Readonly<Record<string, string>>): number {
    return Object.entries(vars).reduce((n, [k, v]) => n + Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8"), 0);
}

/** The stack key behind a variable whose size grows with config (the rest are fixed-size ARNs, names and URLs). */
const ENV_CONFIG_KEYS: Record<string, string> = {
    WEB_ACL_ARNS: WATCH_KEY,
    ALARM_REGIONS: WATCH_KEY,
    WAF_LOG_GROUPS: WATCH_KEY,
};

/** Fails naming the key when a function's environment exceeds Lambda's 4 KB. */
export function checkLambdaEnvironment(functionName: string, vars: Readonly<Record<string, string>>): void {
    const bytes = lambdaEnvironmentBytes(vars);
    if (bytes <= QUOTAS.lambdaEnvironmentBytes) return;
    const largest = Object.entries(vars).sort((a, b) => (b[0].length + b[1].length) - (a[0].length + a[1].length))[0][0];
    const key = ENV_CONFIG_KEYS[largest] ?? Object.keys(vars).map((v) => ENV_CONFIG_KEYS[v]).find(Boolean) ?? PROJECT; // no stack key grows the others: the program's own variables
    throw new ConfigError(key, `Lambda function ${functionName}: its environment is ${bytes} bytes (largest: ${largest}, ` +
        `${Buffer.byteLength(vars[largest], "utf8")} bytes); Lambda allows ${QUOTAS.lambdaEnvironmentBytes} bytes (4 KB) for all variables ` +
        `together (Lambda quotas)`);
}

/** What a dashboard body exceeds, or undefined: widgets per dashboard, metrics per widget and per dashboard. */
export function dashboardQuotaProblem(body: { widgets: readonly { type: string; properties: unknown }[] }): string | undefined {
    if (body.widgets.length > QUOTAS.widgetsPerDashboard) {
        return `${body.widgets.length} widgets; a dashboard holds at most ${QUOTAS.widgetsPerDashboard}`;
    }
    let total = 0;
    for (const [i, w] of body.widgets.entries()) {
        const metrics = (w.properties as { metrics?: unknown[][] }).metrics ?? [];
        // Each row of a metric widget is a metric or an expression ({ expression } as its only element); the
        // quota counts metrics, metric math inputs included.
        const n = metrics.filter((row) => !(row.length === 1 && typeof row[0] === "object" && row[0] !== null && "expression" in (row[0] as object))).length;
        if (n > QUOTAS.metricsPerWidget) return `widget ${i} graphs ${n} metrics; a widget holds at most ${QUOTAS.metricsPerWidget}`;
        total += n;
    }
    if (total > QUOTAS.metricsPerDashboard) return `${total} metrics across its widgets; a dashboard holds at most ${QUOTAS.metricsPerDashboard}`;
    return undefined;
}

/** Fails naming the key when the dashboard body exceeds a dashboard quota (the watched series drive its size). */
export function checkDashboard(dashboardName: string, body: { widgets: readonly { type: string; properties: unknown }[] }): void {
    const problem = dashboardQuotaProblem(body);
    if (problem) {
        throw new ConfigError(WATCH_KEY, `dashboard ${dashboardName}: ${problem} (CloudWatch service quotas); watch fewer web ACLs or ` +
            `rules (waf.watch[].rules)`);
    }
}

/**
 * The offline plan's check of what the program built, every value known: each Lambda function's whole
 * environment and the dashboard body. The first problem as the ConfigError message (naming the key), or undefined.
 */
export function planQuotaProblem(resources: readonly { type: string; name: string; inputs: Record<string, any> }[]): string | undefined {
    try {
        for (const r of resources) {
            if (r.type === "aws:lambda/function:Function" && r.inputs.environment?.variables) {
                checkLambdaEnvironment(r.inputs.name ?? r.name, r.inputs.environment.variables as Record<string, string>);
            }
            if (r.type === "aws:cloudwatch/dashboard:Dashboard" && typeof r.inputs.dashboardBody === "string") {
                checkDashboard(r.inputs.dashboardName ?? r.name, JSON.parse(r.inputs.dashboardBody) as { widgets: { type: string; properties: unknown }[] });
            }
        }
    } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
    }
    return undefined;
}
