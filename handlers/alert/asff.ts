// Map stage: a parsed alert (handlers/alert/parse.ts), with the root cause the enrich stage found
// (handlers/alert/enrich.ts), as an AWS Security Hub finding (ASFF), and the plan of what Security Hub should do
// with it (import, archive the alarm's findings, or skip). Pure functions: no client, no I/O.
//
// What it guarantees:
// - Deterministic finding Ids, so a retried or duplicated delivery updates the same finding:
//   * Lookout for Metrics: detector ARN + measure + anomaly time. Those three are in every L4M alert document,
//     whether it arrives as a Lambda event or as an SNS JSON alert, so the two deliveries the lookout engine
//     makes for one anomaly (one per alert action) land on ONE finding. The alert ARN/name/event id are NOT
//     used: the two deliveries come from two different alerts (an L4M alert has exactly one action), so those
//     differ. `anomalyGroupId` is not used either: older Lambda payloads do not carry it.
//   * CloudWatch alarm: alarm ARN + StateChangeTime (one finding per ALARM episode).
// - Severity mapped from the anomaly score (L4M) or from how far outside the band the value went (CloudWatch).
// - Resources name what is affected: the metric series with their dimension values, the alarm or detector, the
//   web ACL (WAF findings) and the Kinesis data stream carrying the ecommerce events (ecommerce findings: L4M
//   measures views/carts/checkouts/revenue, CloudWatch namespace EdgeAnomaly/Ecommerce) when the function knows it.
// - A root cause (WAF logs, ecommerce series) goes into the Description (first), ProductFields
//   (`edgeAnomaly/rootCause/...`, and its shares as `edgeAnomaly/contribution/...` like Lookout's), and for WAF
//   into ASFF `Network` / `Action` (the top client IP, inbound, blocked). An unavailable one says why in all of them.
import { createHash } from "crypto";
import type { AwsSecurityFinding, Resource, SeverityLabel } from "@aws-sdk/client-securityhub";

import { MEASURES, METRIC_NAMES, METRIC_NAMESPACE, ORDER_VALUE_LOG_METRIC_NAME, STACK_DIMENSION } from "../../model/ecommerceSchema";
import type { EcommerceRootCauseSettings } from "../enrich/ecommerceRootCause";
import { rootCauseAsff, rootCauseProductFields, rootCauseText, RootCause } from "../enrich/findingFields";
import { wafContributions } from "../enrich/wafRootCause";
import type { Logger } from "./log";
import { AlarmDimension, AlarmTrigger, alarmAccount, alertParseError, arnParts, ParsedAlarm, ParsedAlert, ParsedL4mAlert } from "./parse";

// ---- ASFF limits and constants ---------------------------------------------------------------------------------

export const SCHEMA_VERSION = "2018-10-08";
export const MAX_ID_LENGTH = 512;
export const MAX_TITLE_LENGTH = 256;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_RECOMMENDATION_TEXT_LENGTH = 512;
export const MAX_PRODUCT_FIELDS = 50;
export const MAX_PRODUCT_FIELD_KEY_LENGTH = 128;
export const MAX_PRODUCT_FIELD_VALUE_LENGTH = 2048;
export const MAX_RESOURCES = 32;
export const MAX_OTHER_DETAILS = 50;
export const MAX_OTHER_DETAIL_VALUE_LENGTH = 1024;

/** ASFF `namespace/category/classifier` types. */
export const FINDING_TYPES = {
    waf: "Unusual Behaviors/Application/WAF Blocked Requests Anomaly",
    ecommerce: "Unusual Behaviors/Application/Ecommerce Traffic Anomaly",
    metric: "Unusual Behaviors/Application/Metric Anomaly",
    health: "Software and Configuration Checks/AWS Security Best Practices/Alert Pipeline Health",
} as const;

export type Category = "waf" | "ecommerce" | "metric";

/** ProductFields keys are namespaced so they never clash with Security Hub's own `aws/...` keys. */
export const PF = "edgeAnomaly/";

// ---- settings ------------------------------------------------------------------------------------------------------

export interface FindingSettings {
    /** This account: findings are filed for it (AwsAccountId must be the caller's account). */
    accountId: string;
    region: string;
    partition: string;
    /** `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default` */
    productArn: string;
    /** The project's web ACL ARN, used as the resource Id when an alert names its web ACL. */
    webAclArn?: string;
    /** ARNs of the other watched web ACLs whose ARN is known (`WEB_ACL_ARNS`, comma-separated): the same use. */
    webAclArns?: string[];
    /** Regions besides `region` whose alarms notify this function (`ALARM_REGIONS`): it reads their state there. */
    alarmRegions?: string[];
    /** The Kinesis data stream carrying the ecommerce events (`STREAM_ARN` form): a resource of every ecommerce finding. */
    ecommerceStreamArn?: string;
    /** The people topic: each ACTIVE anomaly finding is announced there (handlers/alert/notify.ts). */
    peopleTopicArn?: string;
    /** The chat topic (`CHAT_TOPIC_ARN`): the same notices as custom notifications for Slack / Microsoft Teams. */
    chatTopicArn?: string;
    /** The detection dashboard, linked from each notice. */
    dashboardUrl?: string;
    /** Web ACL ARN or name → its WAF log group (`WAF_LOG_GROUPS`): where the enrich stage queries WAF logs. */
    wafLogGroups?: Record<string, string>;
    /** The watched ecommerce series (`ECOMMERCE_ROOT_CAUSE`): what the enrich stage breaks a total down by. */
    ecommerceRootCause?: EcommerceRootCauseSettings;
    /** The enrich stage's time per invocation, ms (`ROOT_CAUSE_BUDGET_MS`; default ENRICH_BUDGET_MS, 20 s). */
    rootCauseBudgetMs?: number;
}

/** `arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME` — groups: partition, region, account, name. */
export const STREAM_ARN = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/;

export function productArnFor(partition: string, region: string, accountId: string): string {
    return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

// ---- small helpers ---------------------------------------------------------------------------------------------------

/** `s` cut to `max` characters, the last one `…` (also handlers/devopsGuruInsight.ts's). */
export function truncate(s: string, max: number): string {
    return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function round(n: number, digits = 2): string {
    return Number.isInteger(n) ? String(n) : n.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "");
}

/** An Id within ASFF's 512 characters: readable when it fits, else a readable prefix plus a SHA-256 of the whole. */
export function boundedId(readable: string): string {
    if (readable.length <= MAX_ID_LENGTH) return readable;
    const digest = createHash("sha256").update(readable).digest("hex");
    return `${readable.slice(0, MAX_ID_LENGTH - 72)}/sha256:${digest}`;
}

/**
 * Keeps the first 50 pairs, keys ≤ 128 and values ≤ `maxValue` characters, dropping empty values: ProductFields
 * (values ≤ 2048), and a resource's `Details.Other` with `maxValue` MAX_OTHER_DETAIL_VALUE_LENGTH (the same 50 pairs
 * and 128-character keys, values ≤ 1024).
 */
export function boundedProductFields(entries: [string, string | number | undefined | null][], maxValue = MAX_PRODUCT_FIELD_VALUE_LENGTH): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of entries) {
        if (v === undefined || v === null || v === "") continue;
        if (Object.keys(out).length >= MAX_PRODUCT_FIELDS) break;
        out[truncate(k, MAX_PRODUCT_FIELD_KEY_LENGTH)] = truncate(String(v), maxValue);
    }
    return out;
}

/** A console page in the partition's console: `path` starts at the service (`cloudwatch/home?...`). */
export function consoleUrl(partition: string, region: string, path: string): string {
    const host = partition === "aws-cn" ? "console.amazonaws.cn" : partition === "aws-us-gov" ? "console.amazonaws-us-gov.com" : "console.aws.amazon.com";
    return `https://${region}.${host}/${path}`;
}

/** `Namespace/MetricName{Dim=value,...}` — a readable, unique name for one metric series. */
export function seriesName(metricName: string, dims: { name: string; value: string }[], namespace?: string): string {
    const d = dims.map((x) => `${x.name}=${x.value}`).join(",");
    return `${namespace ? `${namespace}/` : ""}${metricName}${d ? `{${d}}` : ""}`;
}

export function categoryOf(metricName: string, namespace?: string): Category {
    if (namespace === "AWS/WAFV2" || (namespace === undefined && metricName === "BlockedRequests")) return "waf";
    if (namespace === METRIC_NAMESPACE) return "ecommerce";
    if (namespace === undefined && (MEASURES as readonly string[]).includes(metricName.toLowerCase())) return "ecommerce";
    return "metric";
}

function webAclResource(s: FindingSettings, webAclName: string, region: string, partition: string): Resource {
    const named = (a?: string) => a && a.split("/").slice(-2, -1)[0] === webAclName;
    const arn = (s.webAclArns ?? []).find((a) => named(a) && a.split(":")[3] === region) ?? (named(s.webAclArn) ? s.webAclArn : undefined);
    return {
        Type: "AwsWafv2WebAcl",
        Id: arn ?? webAclName,
        Partition: partition as Resource["Partition"],
        Region: region,
        Details: { AwsWafv2WebAcl: { Name: webAclName } },
    };
}

/** The ecommerce data stream as an ASFF resource (located by its own ARN); none when the function was not told it. */
function streamResources(s: FindingSettings): Resource[] {
    const arn = s.ecommerceStreamArn;
    if (!arn) return [];
    const m = STREAM_ARN.exec(arn);
    if (!m) throw new Error(`ecommerceStreamArn ${arn} is not a Kinesis data stream ARN`);
    return [{
        Type: "AwsKinesisStream", Id: arn, Partition: m[1] as Resource["Partition"], Region: m[2],
        Details: { AwsKinesisStream: { Name: m[4], Arn: arn } },
    }];
}

// ---- severity ---------------------------------------------------------------------------------------------------------

export interface Severity {
    Label: SeverityLabel;
    Normalized: number;
    Original: string;
}

/** ASFF's own ranges: 0 INFORMATIONAL, 1–39 LOW, 40–69 MEDIUM, 70–89 HIGH, 90–100 CRITICAL. */
export function labelForNormalized(n: number): SeverityLabel {
    if (n >= 90) return "CRITICAL";
    if (n >= 70) return "HIGH";
    if (n >= 40) return "MEDIUM";
    if (n >= 1) return "LOW";
    return "INFORMATIONAL";
}

/** Lookout for Metrics: the anomaly score (0–100) is the normalized severity. */
export function scoreSeverity(score: number): Severity {
    const n = Math.min(100, Math.max(0, Math.round(score)));
    return { Label: labelForNormalized(n), Normalized: n, Original: round(score) };
}

/**
 * CloudWatch anomaly alarms: the breach factor F says how far outside the band the value went, relative to the
 * band edge it crossed — above the band F = value / upper, below it F = lower / value — with each of value and
 * edge floored at 1 unit (the project's metrics are counts and currency amounts; the floor keeps a band edge
 * near zero from turning one blocked request into a CRITICAL finding). Steps, highest first.
 */
export const BAND_SEVERITY_STEPS: readonly { minFactor: number; label: SeverityLabel; normalized: number }[] = [
    { minFactor: 10, label: "CRITICAL", normalized: 90 },
    { minFactor: 3, label: "HIGH", normalized: 70 },
    { minFactor: 1.5, label: "MEDIUM", normalized: 50 },
    { minFactor: 0, label: "LOW", normalized: 30 },
];

/** When the alarm reason cannot be parsed, the band breach is unknown: MEDIUM, and the log says so. */
export const UNPARSED_BAND_SEVERITY: Severity = { Label: "MEDIUM", Normalized: 50, Original: "band breach not stated in the alarm reason" };
/** A non-anomaly alarm on the alert topic is a pipeline-health alarm (e.g. alerts piling up in the DLQ). */
export const HEALTH_SEVERITY: Severity = { Label: "HIGH", Normalized: 70, Original: "ALARM" };

export function bandSeverity(factor: number): Severity {
    const step = BAND_SEVERITY_STEPS.find((s) => factor >= s.minFactor) ?? BAND_SEVERITY_STEPS[BAND_SEVERITY_STEPS.length - 1];
    return { Label: step.label, Normalized: step.normalized, Original: `${round(factor)}x outside the band` };
}

// ---- CloudWatch anomaly alarms -----------------------------------------------------------------------------------------

export const BAND_OPERATORS = ["LessThanLowerOrGreaterThanUpperThreshold", "GreaterThanUpperThreshold", "LessThanLowerThreshold"];

export interface BandSpec {
    /** The Trigger metric id the band is computed on. */
    metricId: string;
    /** Band width in standard deviations (ANOMALY_DETECTION_BAND's second argument; 2 when omitted). */
    width: number;
    expression: string;
}

const BAND_EXPRESSION = /ANOMALY_DETECTION_BAND\s*\(\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:,\s*([0-9]+(?:\.[0-9]+)?)\s*)?\)/i;

/** The anomaly band of an alarm's Trigger, or undefined for a static-threshold alarm. */
export function anomalyBand(trigger: AlarmTrigger): BandSpec | undefined {
    if (!BAND_OPERATORS.includes(trigger.ComparisonOperator)) return undefined;
    const metrics = trigger.Metrics ?? [];
    const bandMetric = metrics.find((m) => m.Id === trigger.ThresholdMetricId && m.Expression && BAND_EXPRESSION.test(m.Expression))
        ?? metrics.find((m) => m.Expression && BAND_EXPRESSION.test(m.Expression));
    if (!bandMetric || !bandMetric.Expression) return undefined;
    const m = BAND_EXPRESSION.exec(bandMetric.Expression)!;
    return { metricId: m[1], width: m[2] ? Number(m[2]) : 2, expression: bandMetric.Expression };
}

export interface AlarmMetric {
    namespace?: string;
    metricName: string;
    dimensions: AlarmDimension[];
    stat?: string;
    /** The metric-math expressions between the raw metric and the band (e.g. `FILL(m1, 0)`). */
    via: string[];
    /**
     * Set when the band is on a ratio of two metrics — `m1 / m2`, or `m1 / IF(m2 >= n[ AND FILL(m1, -1) >= 0], m2, 0)` (none under n
     * of the denominator): the fields above are the numerator's; this is the expression and the denominator's metric
     * name. Findings name the series `A/B`; any ratio but the order-value one has the unit `A per B`, its values as
     * stated. `logOrderValue`: a revenue series' order-value child (components/cloudwatchDetection.ts), a band on
     * ORDER_VALUE_LOG_METRIC_NAME / Checkouts in the ecommerce namespace, whose values (datapoints and band edges)
     * are x = the mean of ln(1 + order value) over a period's checkouts; findings, notices and the order-value root
     * cause show the typical order value e^x - 1 (the geometric mean of 1 + order value, less 1) instead.
     */
    ratio?: { expression: string; denominator: string; logOrderValue: boolean };
}

/** `a / b`, `a / IF(b >= n, b, 0)` or `a / IF(b >= n AND FILL(a, -1) >= 0, b, 0)`: groups numerator id, denominator id (plain or guarded). */
const RATIO = /^\s*([A-Za-z]\w*)\s*\/\s*(?:([A-Za-z]\w*)|IF\s*\(\s*([A-Za-z]\w*)\s*>=?\s*\d+(?:\.\d+)?(?:\s*(?:AND|&&)\s*FILL\s*\(\s*\1\s*,\s*-1\s*\)\s*>=\s*0)?\s*,\s*\3\s*,\s*0\s*\))\s*$/i;

/** What an order value's value reads as, in findings and notices. */
export const TYPICAL_ORDER_VALUE = "typical order value (geometric mean)";
/** The alarm's own unit for an order-value child (its raw values: `edgeAnomaly/raw*`). */
export const LOG_ORDER_VALUE_UNIT = "x = mean ln(1 + order value); typical order value = e^x - 1";

export function alarmMetric(trigger: AlarmTrigger, band?: BandSpec): AlarmMetric | undefined {
    if (trigger.MetricName) {
        return { namespace: trigger.Namespace, metricName: trigger.MetricName, dimensions: trigger.Dimensions ?? [], stat: trigger.Statistic, via: [] };
    }
    const metrics = trigger.Metrics ?? [];
    const byId = new Map(metrics.map((m) => [m.Id, m]));
    const resolve = (id: string, depth: number, via: string[]): AlarmMetric | undefined => {
        const m = byId.get(id);
        if (!m || depth > 10) return undefined;
        if (m.MetricStat) {
            const ms = m.MetricStat;
            return { namespace: ms.Metric.Namespace, metricName: ms.Metric.MetricName, dimensions: ms.Metric.Dimensions, stat: ms.Stat, via };
        }
        for (const token of m.Expression?.match(/[A-Za-z][A-Za-z0-9_]*/g) ?? []) {
            if (token !== id && byId.has(token)) {
                const found = resolve(token, depth + 1, [...via, m.Expression!]);
                if (found) return found;
            }
        }
        return undefined;
    };
    const start = band?.metricId ?? trigger.ThresholdMetricId ?? metrics.find((m) => m.ReturnData)?.Id ?? metrics[0]?.Id;
    const found = start ? resolve(start, 0, []) : undefined;
    if (found) {
        for (const e of found.via) {
            const r = RATIO.exec(e);
            const num = r && byId.get(r[1])?.MetricStat;
            const den = r && byId.get(r[2] ?? r[3])?.MetricStat;
            if (num && den && num.Metric.MetricName === found.metricName) {
                const logOrderValue = found.namespace === METRIC_NAMESPACE && found.metricName === ORDER_VALUE_LOG_METRIC_NAME && den.Metric.MetricName === METRIC_NAMES.checkouts;
                return { ...found, ratio: { expression: e, denominator: den.Metric.MetricName, logOrderValue } };
            }
        }
        return found;
    }
    const anyStat = metrics.find((m) => m.MetricStat);
    return anyStat ? resolve(anyStat.Id, 0, []) : undefined;
}

export interface BandDatapoint {
    value: number;
    at?: Date;
    lower?: number;
    upper?: number;
    /** Set on a converted datapoint (strongestBreach of an order value): the datapoint as the alarm states it. */
    raw?: BandDatapoint;
}

export interface BandBreach extends BandDatapoint {
    direction: "above" | "below";
    factor: number;
}

const DATAPOINT = /(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*\((\d{2})\/(\d{2})\/(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\)/g;

function numberList(s: string | undefined): number[] | undefined {
    if (s === undefined) return undefined;
    const list = s.split(",").map((x) => Number(x.trim()));
    return list.every((n) => Number.isFinite(n)) ? list : undefined;
}

/**
 * The datapoints and band edges an anomaly alarm's NewStateReason states, e.g.
 * `Thresholds Crossed: 2 out of the last 2 datapoints [28.2 (22/11/19 00:57:00), 27.0 (22/11/19 00:52:00)] were
 * less than the lower thresholds [31.7, 31.3] or greater than the upper thresholds [33.1, 32.7] (...)`.
 * Datapoint times are `dd/MM/yy HH:mm:ss` UTC. Undefined when the text states no datapoint.
 */
export function parseBandReason(reason: string): BandDatapoint[] | undefined {
    const dp = /datapoints?\s*\[([^\]]*)\]/.exec(reason);
    if (!dp) return undefined;
    const points: BandDatapoint[] = [];
    for (const m of dp[1].matchAll(DATAPOINT)) {
        const at = new Date(Date.UTC(2000 + Number(m[4]), Number(m[3]) - 1, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7])));
        points.push({ value: Number(m[1]), at: Number.isNaN(at.getTime()) ? undefined : at });
    }
    if (points.length === 0) return undefined;
    const lower = numberList(/lower thresholds?\s*\[([^\]]*)\]/.exec(reason)?.[1]);
    const upper = numberList(/upper thresholds?\s*\[([^\]]*)\]/.exec(reason)?.[1]);
    points.forEach((p, i) => {
        if (lower && i < lower.length) p.lower = lower[i];
        if (upper && i < upper.length) p.upper = upper[i];
    });
    return points;
}

/**
 * The datapoint furthest outside its band (largest breach factor), or undefined when none is outside. With
 * `logOrderValue` (AlarmMetric.ratio) the datapoints are mean log order values x: value and edges become typical
 * order values e^x - 1 (the inverse of model/ecommerceSchema.ts orderValueLog) before the factor is taken, and the
 * breach keeps the stated datapoint as `raw`.
 */
export function strongestBreach(stated: BandDatapoint[], logOrderValue?: boolean): BandBreach | undefined {
    const t = (x?: number) => (x === undefined ? undefined : Math.expm1(x));
    const points = logOrderValue ? stated.map((p) => ({ ...p, value: t(p.value)!, lower: t(p.lower), upper: t(p.upper), raw: p })) : stated;
    let best: BandBreach | undefined;
    for (const p of points) {
        let breach: BandBreach | undefined;
        if (p.upper !== undefined && p.value > p.upper) {
            breach = { ...p, direction: "above", factor: Math.max(p.value, 1) / Math.max(p.upper, 1) };
        } else if (p.lower !== undefined && p.value < p.lower) {
            breach = { ...p, direction: "below", factor: Math.max(p.lower, 1) / Math.max(p.value, 1) };
        }
        if (breach && (!best || breach.factor > best.factor)) best = breach;
    }
    return best;
}

// ---- findings -------------------------------------------------------------------------------------------------------

function baseFinding(s: FindingSettings, fields: {
    id: string; generatorId: string; type: string; severity: Severity; createdAt: Date; firstObservedAt: Date; lastObservedAt: Date;
    title: string; description: string; resources: Resource[]; productFields: Record<string, string>; recommendation: string; url: string;
}, now: Date): AwsSecurityFinding {
    return {
        SchemaVersion: SCHEMA_VERSION,
        Id: boundedId(fields.id),
        ProductArn: s.productArn,
        GeneratorId: truncate(fields.generatorId, 512),
        AwsAccountId: s.accountId,
        Types: [fields.type],
        CreatedAt: fields.createdAt.toISOString(),
        UpdatedAt: now.toISOString(),
        FirstObservedAt: fields.firstObservedAt.toISOString(),
        LastObservedAt: fields.lastObservedAt.toISOString(),
        Severity: { ...fields.severity },
        FindingProviderFields: { Severity: { Label: fields.severity.Label, Original: fields.severity.Original }, Types: [fields.type] },
        Title: truncate(fields.title, MAX_TITLE_LENGTH),
        Description: truncate(fields.description, MAX_DESCRIPTION_LENGTH),
        Resources: fields.resources.slice(0, MAX_RESOURCES),
        ProductFields: fields.productFields,
        Remediation: { Recommendation: { Text: truncate(fields.recommendation, MAX_RECOMMENDATION_TEXT_LENGTH), Url: fields.url } },
        SourceUrl: fields.url,
        RecordState: "ACTIVE",
    };
}

const RECOMMENDATIONS: Record<Category | "health", string> = {
    waf: "Check the web ACL's sampled requests and its aws-waf-logs-* log group for this rule. An attack: tighten rate limiting "
        + "or block the sources. Legitimate traffic blocked: tune the rule.",
    ecommerce: "Compare the affected platform or marketplace with recent releases, campaigns and checkout errors; confirm or dismiss.",
    metric: "Inspect the metric and its dimensions around the anomaly time; confirm or dismiss.",
    health: "Alerts that did not become findings wait in the alert dead-letter queue with the event and the error. "
        + "Fix the cause (e.g. enable Security Hub), then redrive them to the finding function.",
};

function categoryTitle(category: Category, metric: string): string {
    return category === "waf" ? "WAF blocked requests anomaly" : category === "ecommerce" ? `Ecommerce ${metric} anomaly` : `${metric} anomaly`;
}

const values = (dims: { name: string; value: string }[], name: string) => [...new Set(dims.filter((d) => d.name === name).map((d) => d.value))];

/** The finding for a Lookout for Metrics alert (Lambda or SNS delivery — the same Id either way). */
export function lookoutFinding(p: ParsedL4mAlert, s: FindingSettings, now: Date): AwsSecurityFinding {
    const a = p.alert;
    const det = arnParts(a.anomalyDetectorArn, "L4M alert anomalyDetectorArn");
    if (det.account !== s.accountId) {
        throw alertParseError(`L4M alert: detector ${a.anomalyDetectorArn} is in account ${det.account}; this function files findings for ${s.accountId}`);
    }
    const detectorName = det.resource.replace(/^AnomalyDetector:/, "");
    const metric = a.impactedMetric.metricName;
    const category = categoryOf(metric);
    const observed = p.observedAt.toISOString();
    const url = a.consoleUrl?.startsWith("https://") ? a.consoleUrl : consoleUrl(det.partition, det.region, `lookoutmetrics/home?region=${det.region}#${a.anomalyDetectorArn}/anomalies`);
    const contributions = a.impactedMetric.dimensionContribution
        .flatMap((dc) => dc.dimensionValueContributions.map((vc) => ({ name: dc.dimensionName, value: vc.dimensionValue, pct: vc.valueContribution })))
        .sort((x, y) => y.pct - x.pct);
    const series = a.impactedMetric.relevantTimeSeries.map((t) => ({ ...t, dims: t.dimensions.map((d) => ({ name: d.dimensionName, value: d.dimensionValue })) }));
    const allDims = series.flatMap((t) => t.dims);
    const rules = values(allDims, "Rule");
    const webAcls = values(allDims, "WebACL");
    const where = category === "waf" && rules.length ? `: rule ${rules.join(", ")}${webAcls.length ? ` on web ACL ${webAcls.join(", ")}` : ""}` : "";
    const description = `Amazon Lookout for Metrics detector ${detectorName} found an anomaly in ${metric} at ${observed}`
        + `${p.timezone && p.timezone !== "UTC" ? ` (detector time zone ${p.timezone})` : ""} with severity score ${round(a.anomalyScore)}.`
        + (a.alertDescription ? ` Alert: ${a.alertDescription}.` : "")
        + (contributions.length ? ` Contributing dimension values: ${contributions.map((c) => `${c.name}=${c.value} ${round(c.pct)}%`).join(", ")}.` : "")
        + (series.length ? ` Affected series: ${series.map((t) => `${seriesName(metric, t.dims)}${t.metricValue === null ? "" : ` = ${round(t.metricValue)}`}`).join("; ")}.` : "");
    const partition = det.partition as Resource["Partition"];
    const resources: Resource[] = [
        {
            Type: "Other", Id: a.anomalyDetectorArn, Partition: partition, Region: det.region,
            Details: { Other: boundedProductFields([["detectorName", detectorName], ["metricName", metric], ["anomalyGroupId", a.anomalyGroupId], ["timezone", p.timezone]], MAX_OTHER_DETAIL_VALUE_LENGTH) },
        },
        ...webAcls.map((w) => webAclResource(s, w, det.region, det.partition)),
        ...(category === "ecommerce" ? streamResources(s) : []),
        ...series.map((t): Resource => ({
            Type: "Other", Id: truncate(seriesName(metric, t.dims), 512), Partition: partition, Region: det.region,
            Details: { Other: boundedProductFields([["timeSeriesId", t.timeSeriesId], ["metricValue", t.metricValue], ...t.dims.map((d): [string, string] => [d.name, d.value])], MAX_OTHER_DETAIL_VALUE_LENGTH) },
        })),
    ];
    return baseFinding(s, {
        id: `${a.anomalyDetectorArn}/anomaly/${metric}/${observed}`,
        generatorId: a.anomalyDetectorArn,
        type: FINDING_TYPES[category],
        severity: scoreSeverity(a.anomalyScore),
        createdAt: p.observedAt,
        firstObservedAt: p.observedAt,
        lastObservedAt: p.observedAt,
        title: `${categoryTitle(category, metric)} (Lookout for Metrics score ${round(a.anomalyScore)})${where}`,
        description,
        resources,
        productFields: boundedProductFields([
            [`${PF}engine`, "lookout"],
            [`${PF}delivery`, p.delivery],
            [`${PF}category`, category],
            [`${PF}metric`, metric],
            [`${PF}anomalyScore`, round(a.anomalyScore)],
            [`${PF}observedAt`, observed],
            [`${PF}timezone`, p.timezone],
            [`${PF}anomalyDetectorArn`, a.anomalyDetectorArn],
            [`${PF}anomalyGroupId`, a.anomalyGroupId],
            [`${PF}alertName`, a.alertName],
            [`${PF}consoleUrl`, url],
            ...contributions.map((c): [string, string] => [`${PF}contribution/${c.name}/${c.value}`, round(c.pct)]),
        ]),
        recommendation: `${RECOMMENDATIONS[category]} Give feedback on the anomaly in the Lookout for Metrics console so the detector learns.`,
        url,
    }, now);
}


/**
 * The finding for a CloudWatch alarm entering ALARM: an anomaly finding when `band` is given, else a
 * pipeline-health finding (a non-anomaly alarm on the alert topic, e.g. the dead-letter queue's depth).
 * An order-value child (AlarmMetric.ratio.logOrderValue) is shown as the typical order value: its value and band edges are
 * e^x - 1 of the alarm's x (2 decimals, the shop's currency, like Revenue), the breach factor and severity come
 * from those, and the alarm's own numbers stay in `edgeAnomaly/raw/*` (with their unit) — and in the Description's
 * closing `Reason:` (the alarm's StateReason, verbatim) when the 1,024 characters leave room for it.
 */
export function alarmFinding(p: ParsedAlarm, band: BandSpec | undefined, s: FindingSettings, now: Date, log?: Logger): AwsSecurityFinding {
    const n = p.notification;
    const arn = alarmAccount(p, s);
    const partition = arn.partition as Resource["Partition"];
    const metric = alarmMetric(n.Trigger, band);
    const category = band ? categoryOf(metric?.metricName ?? "", metric?.namespace) : "health";
    const logValue = !!metric?.ratio?.logOrderValue;
    const points = band ? parseBandReason(n.NewStateReason) : undefined;
    const breach = points ? strongestBreach(points, logValue) : undefined;
    if (band && !breach) log?.("warn", "alarm reason states no band breach; severity defaults to MEDIUM", { alarmArn: n.AlarmArn, reason: n.NewStateReason });
    const times = (points ?? []).flatMap((x) => (x.at ? [x.at.getTime()] : []));
    const changed = p.stateChangeTime.toISOString();
    const dims = metric?.dimensions ?? [];
    const den = metric?.ratio?.denominator;
    const label = den ? `${metric!.metricName}/${den}` : metric?.metricName;
    const series = metric ? seriesName(label!, dims, metric.namespace) : undefined;
    const ratio = logValue ? TYPICAL_ORDER_VALUE : den && `${metric!.metricName} per ${den}`;
    const unit = ratio && !logValue ? ` ${ratio}` : "";
    const shownValue = (x: number, digits?: number) => (logValue ? x.toFixed(2) : round(x, digits));
    const valueFields = (prefix: string, d: BandDatapoint | undefined, shown: (x: number) => string): [string, string | undefined][] =>
        ([["observedValue", d?.value], ["bandLower", d?.lower], ["bandUpper", d?.upper]] as const).map(([k, v]) => [`${PF}${prefix}${k}`, v === undefined ? undefined : shown(v)]);

    let title = `Alert pipeline health: alarm ${n.AlarmName} is in ALARM`;
    let detail = "";
    if (band && category !== "health") {
        const op = n.Trigger.ComparisonOperator;
        const direction = breach?.direction ?? (op === "GreaterThanUpperThreshold" ? "above" : op === "LessThanLowerThreshold" ? "below" : "outside");
        const shown = dims.filter((d) => !(category === "ecommerce" && d.name === STACK_DIMENSION));
        const rule = values(dims, "Rule")[0];
        const acl = values(dims, "WebACL")[0];
        const where = category === "waf"
            ? `${rule ? `: rule ${rule}` : ""}${acl ? ` on web ACL ${acl}` : ""}`
            : shown.length ? `: ${shown.map((d) => `${d.name}=${d.value}`).join(", ")}` : " (total)";
        title = `${categoryTitle(category, ratio || (metric?.metricName ?? band.metricId))} ${direction} the expected band${where}`;
        const b = breach;
        const bandText = !b ? "" : b.lower !== undefined && b.upper !== undefined ? `the expected band [${shownValue(b.lower)}, ${shownValue(b.upper)}]${unit}`
            : b.direction === "above" ? `the band's upper edge ${shownValue(b.upper!)}${unit}` : `the band's lower edge ${shownValue(b.lower!)}${unit}`;
        const of = den ? ` on ${metric!.metricName} / ${den}` : "";
        detail = (b ? ` The ${logValue ? TYPICAL_ORDER_VALUE : "value"} was ${shownValue(b.value)}${unit}, ${b.direction} ${bandText} (${round(b.factor)}x the band edge${b.at ? `, datapoint at ${b.at.toISOString()}` : ""}).` : "")
            + ` Band: ${band.expression}${of}.`;
    }
    const resources: Resource[] = [];
    if (metric && series) {
        resources.push({
            Type: "Other", Id: truncate(series, 512), Partition: partition, Region: arn.region,
            Details: { Other: boundedProductFields([["namespace", metric.namespace], ["metricName", label], ["stat", metric.stat], ...dims.map((d): [string, string] => [d.name, d.value])], MAX_OTHER_DETAIL_VALUE_LENGTH) },
        });
    }
    const acl = values(dims, "WebACL")[0];
    if (category === "waf" && acl) resources.push(webAclResource(s, acl, arn.region, arn.partition));
    if (category === "ecommerce") resources.push(...streamResources(s));
    resources.push({
        Type: "Other", Id: n.AlarmArn, Partition: partition, Region: arn.region,
        Details: { Other: boundedProductFields([["alarmName", n.AlarmName], ["comparisonOperator", n.Trigger.ComparisonOperator], ["bandExpression", band?.expression], ["threshold", n.Trigger.Threshold]], MAX_OTHER_DETAIL_VALUE_LENGTH) },
    });

    return baseFinding(s, {
        id: `${n.AlarmArn}/${changed}`,
        generatorId: n.AlarmArn,
        type: FINDING_TYPES[category],
        severity: !band ? HEALTH_SEVERITY : breach ? bandSeverity(breach.factor) : UNPARSED_BAND_SEVERITY,
        createdAt: p.stateChangeTime,
        firstObservedAt: times.length ? new Date(Math.min(...times)) : p.stateChangeTime,
        lastObservedAt: times.length ? new Date(Math.max(...times)) : p.stateChangeTime,
        title,
        description: `CloudWatch ${p.composite ? "composite " : ""}alarm ${n.AlarmName} went from ${n.OldStateValue || "?"} to ALARM at ${changed}${series ? ` on ${series}` : ""}.`
            + `${detail}${n.AlarmDescription ? ` ${n.AlarmDescription.replace(/([^.!?])$/, "$1.")}` : ""} Reason: ${n.NewStateReason}`,
        resources,
        productFields: boundedProductFields([
            [`${PF}engine`, "cloudwatch"],
            [`${PF}category`, category],
            [`${PF}alarmName`, n.AlarmName],
            [`${PF}alarmArn`, n.AlarmArn],
            [`${PF}compositeRule`, p.composite?.alarmRule],
            [`${PF}bandAlarmName`, p.composite?.bandAlarmName],
            [`${PF}stateChangeTime`, changed],
            [`${PF}namespace`, metric?.namespace],
            [`${PF}metric`, label],
            [`${PF}valueUnit`, ratio],
            ...dims.map((d): [string, string] => [`${PF}dimension/${d.name}`, d.value]),
            [`${PF}comparisonOperator`, n.Trigger.ComparisonOperator],
            [`${PF}threshold`, n.Trigger.Threshold],
            [`${PF}bandExpression`, band?.expression],
            [`${PF}metricMath`, metric?.via.join(" <- ")],
            ...valueFields("", breach, (x) => shownValue(x, 6)),
            [`${PF}breachFactor`, breach ? round(breach.factor, 4) : undefined],
            [`${PF}raw/valueUnit`, breach?.raw && LOG_ORDER_VALUE_UNIT],
            ...valueFields("raw/", breach?.raw, (x) => round(x, 6)),
        ]),
        recommendation: RECOMMENDATIONS[category],
        url: consoleUrl(arn.partition, arn.region, `cloudwatch/home?region=${arn.region}#alarmsV2:alarm/${encodeURIComponent(n.AlarmName)}`),
    }, now);
}

/** Fields a finding provider sets; everything else GetFindings returns is Security Hub's or the customer's. */
const PROVIDER_FIELDS = [
    "SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "FirstObservedAt", "LastObservedAt",
    "Severity", "FindingProviderFields", "Title", "Description", "Resources", "Remediation", "SourceUrl",
] as const;

/** The update that archives an active finding: same Id, RecordState ARCHIVED, a newer UpdatedAt, and why. `aws/...` product fields are Security Hub's own: a provider does not send them. */
export function archivedVersion(f: AwsSecurityFinding, resolvedAt: Date, reason: string, now: Date): AwsSecurityFinding {
    const out: Record<string, unknown> = {};
    for (const k of PROVIDER_FIELDS) if (f[k] !== undefined) out[k] = f[k];
    const own = Object.entries(f.ProductFields ?? {}).filter(([k]) => !k.startsWith("aws/") && k !== `${PF}resolvedAt` && k !== `${PF}resolution`);
    out.ProductFields = boundedProductFields([[`${PF}resolvedAt`, resolvedAt.toISOString()], [`${PF}resolution`, reason], ...own]);
    out.UpdatedAt = now.toISOString();
    out.RecordState = "ARCHIVED";
    return out as unknown as AwsSecurityFinding;
}

// ---- the plan ---------------------------------------------------------------------------------------------------------

export type AlertPlan =
    | { action: "import"; findings: AwsSecurityFinding[]; source: string }
    | { action: "archive"; generatorId: string; resolvedAt: Date; reason: string; source: string }
    | { action: "skip"; reason: string; source: string };

function sourceOf(p: ParsedAlert): string {
    if (p.kind === "lookout") return `lookout:${p.delivery}:${p.alert.anomalyDetectorArn}`;
    return `cloudwatch:${p.notification.AlarmArn}:${p.notification.NewStateValue}`;
}

/** Root-cause values per dimension kept as `edgeAnomaly/contribution/...` fields (the notice lists the largest). */
export const CONTRIBUTIONS_PER_DIMENSION = 3;

/**
 * The finding with its root cause: the root-cause paragraph first in the Description, the root cause's product
 * fields (and its shares as `contribution/<dimension>/<value>`, the fields Lookout findings carry) after the
 * finding's own (the 50-field limit keeps the finding's own first), and for WAF the top client IP as ASFF
 * `Network` and `Action`. An unavailable root cause adds its status and reason, nothing else.
 */
export function withRootCause(f: AwsSecurityFinding, rc: RootCause): AwsSecurityFinding {
    const shares = rc.kind === "waf" ? wafContributions(rc) : rc.dimensionContribution;
    const contributions = shares.flatMap((dc) => dc.dimensionValueContributions.slice(0, CONTRIBUTIONS_PER_DIMENSION)
        .map((v): [string, string] => [`${PF}contribution/${dc.dimensionName}/${v.dimensionValue}`, round(v.valueContribution)]));
    return {
        ...f,
        ...rootCauseAsff(rc),
        Description: truncate(`${rootCauseText(rc)} ${f.Description ?? ""}`.trim(), MAX_DESCRIPTION_LENGTH),
        ProductFields: boundedProductFields([...Object.entries(f.ProductFields ?? {}), ...rootCauseProductFields(rc), ...contributions]),
    };
}

/**
 * Decides what one parsed alert means for Security Hub. Pure; throws AlertParseError for foreign accounts. The
 * root cause (enrich stage), when given, goes into the findings an import files.
 */
export function planAlert(p: ParsedAlert, s: FindingSettings, now: Date, log?: Logger, rootCause?: RootCause): AlertPlan {
    const source = sourceOf(p);
    const enriched = (f: AwsSecurityFinding) => (rootCause ? withRootCause(f, rootCause) : f);
    if (p.kind === "lookout") return { action: "import", findings: [enriched(lookoutFinding(p, s, now))], source };
    const n = p.notification;
    alarmAccount(p, s);
    if (n.NewStateValue === "OK") {
        return { action: "archive", generatorId: n.AlarmArn, resolvedAt: p.stateChangeTime, reason: `alarm ${n.AlarmName} returned to OK at ${p.stateChangeTime.toISOString()}`, source };
    }
    if (n.NewStateValue === "INSUFFICIENT_DATA") {
        return { action: "skip", reason: `alarm ${n.AlarmName} went to INSUFFICIENT_DATA: not an anomaly and not a recovery; its findings stay as they are`, source };
    }
    // A composite's ALARM reaches here as its band child (compositeAsAlarm, parse stage).
    const m = p as ParsedAlarm;
    return { action: "import", findings: [enriched(alarmFinding(m, anomalyBand(m.notification.Trigger), s, now, log))], source };
}
