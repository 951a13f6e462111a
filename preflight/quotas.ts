// Preview-time quota checks: what the program is about to create, counted against AWS's documented quotas, so
// that a stack AWS would refuse half-way through `pulumi up` fails `pulumi preview` (and the offline plan) naming
// the stack key that drives it. Every limit below is quoted from AWS's documentation (README "Quotas checked at
// preview" has the table and what stays unverified).
import type { AlarmSpec } from "../components/cloudwatchDetection";
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
 * `redshift` for sources.redshift's band alarms, which live in the stack's region) and whether it has a gate child.
 */
export type QuotaAlarm = Pick<AlarmSpec, "region" | "gate"> & Partial<Pick<AlarmSpec, "companion">> & { readonly kind: AlarmSpec["kind"] | "redshift" };

/** sources.redshift's band alarms as quota alarms (the stack's region). */
export function redshiftQuotaAlarms(specs: readonly { gate?: AlarmSpec["gate"] }[]): QuotaAlarm[] {
    return specs.map((s) => ({ kind: "redshift" as const, ...(s.gate ? { gate: s.gate } : {}) }));
}

/**
 * Anomaly detection models the cloudwatch engine's alarms need, per region: one per band alarm (each alarm spec
 * has one `ANOMALY_DETECTION_BAND`). A series' spike and drop alarms share their metric math, so AWS may keep one
 * model for both; counting one per alarm is the upper bound and never lets an over-quota stack through.
 */
export function anomalyModelsByRegion(specs: readonly QuotaAlarm[], stackRegion: string): Map<string, { total: number; waf: number; ecommerce: number; redshift: number }> {
    const out = new Map<string, { total: number; waf: number; ecommerce: number; redshift: number }>();
    for (const s of specs) {
        const region = s.region ?? stackRegion;
        const n = out.get(region) ?? { total: 0, waf: 0, ecommerce: 0, redshift: 0 };
        // A revenue alarm's order-value companion is a second band alarm with its own model (OrderValueLog / Checkouts).
        const bands = s.companion ? 2 : 1;
        n.total += bands;
        if (s.kind === "waf") n.waf += bands; else if (s.kind === "redshift") n.redshift += bands; else n.ecommerce += bands;
        out.set(region, n);
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
 * WAF series are watched there (each watched web ACL adds its Rule=ALL and every rule), else the ecommerce series
 * (`detection.platforms` / `detection.marketplaces`).
 */
export function checkAnomalyModels(specs: readonly QuotaAlarm[], stackRegion: string): void {
    for (const [region, n] of anomalyModelsByRegion(specs, stackRegion)) {
        if (n.total <= QUOTAS.anomalyModelsPerRegion) continue;
        const key = n.redshift > n.waf && n.redshift > n.ecommerce ? REDSHIFT_KEY : n.waf >= n.ecommerce ? WATCH_KEY : `${PROJECT}:detection.marketplaces`;
        throw new ConfigError(key, `the cloudwatch engine needs ${n.total} anomaly detection models in ${region} ` +
            `(${n.waf} WAF series, ${n.ecommerce} ecommerce band alarms${n.redshift ? `, ${n.redshift} Redshift band alarms` : ""}); CloudWatch allows ${QUOTAS.anomalyModelsPerRegion} per region ` +
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
