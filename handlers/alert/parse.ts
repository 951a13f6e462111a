// The alert payloads the finding Lambda accepts, as types, and a parser that tells them apart and validates
// them. Three payloads reach the function:
//
// 1. The Lookout for Metrics **Lambda alert event** — the alert document itself is the invocation event
//    (L4M developer guide, "Working with alerts"). `alertDescription` may be null; `timestamp` carries the
//    detector's time zone in brackets (`2021-02-14T04:00Z[Atlantic/St_Helena]`), which is not ISO-8601 as-is.
// 2. The Lookout for Metrics **SNS alert** in `SnsFormat: JSON` — the same document, delivered as the `Message`
//    string of an SNS record. The current guide's example also carries `anomalyGroupId` and `consoleUrl`
//    (older Lambda payloads do not). LONG_TEXT / SHORT_TEXT messages are prose and are rejected by name.
// 3. A **CloudWatch alarm** state-change notification, delivered the same way (SNS `Message` string). For an
//    anomaly-detection alarm its `Trigger` carries `Metrics[]` (metric math, `ANOMALY_DETECTION_BAND`) and a
//    `ThresholdMetricId`; static alarms carry `MetricName`/`Namespace`/`Dimensions` instead. Dimension entries
//    in the notification are spelled `{ "name", "value" }` (lower case).
//
// SNS-delivered alerts come either as an SNS event (`Records[].Sns`) or, replayed from the dead-letter queue, as
// the bare SNS notification SNS redrove there (`{ "Type": "Notification", "MessageId", "TopicArn", "Message" }`).
//
// Parse stage of the finding Lambda (handlers/securityHubFinding.ts wires the stages). Plain functions; the one
// AWS call is DescribeAlarms, to read a composite alarm's band child (resolveComposite).
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchClient, MetricAlarm } from "@aws-sdk/client-cloudwatch";

/** The `name` of every error for a payload the function cannot act on (the message names the field and what was found). */
export const ALERT_PARSE_ERROR = "AlertParseError";

/**
 * A payload error: a plain `Error` with its name assigned after. Not a subclass: Pulumi's closure serialization
 * turns `class … extends Error` into a function whose `Error.call(this, message)` sets no message, so the deployed
 * code would throw (and log) errors without a reason.
 */
export function alertParseError(message: string): Error {
    const e = new Error(message);
    e.name = ALERT_PARSE_ERROR;
    return e;
}

export function isAlertParseError(e: unknown): boolean {
    return e instanceof Error && e.name === ALERT_PARSE_ERROR;
}

// ---- Lookout for Metrics --------------------------------------------------------------------------------------

export interface L4mDimensionValueContribution {
    dimensionValue: string;
    /** Percentage (0–100) of the anomaly this dimension value accounts for. */
    valueContribution: number;
}

export interface L4mDimensionContribution {
    dimensionName: string;
    dimensionValueContributions: L4mDimensionValueContribution[];
}

export interface L4mDimension {
    dimensionName: string;
    dimensionValue: string;
}

export interface L4mRelevantTimeSeries {
    timeSeriesId: string;
    dimensions: L4mDimension[];
    metricValue: number | null;
}

export interface L4mImpactedMetric {
    metricName: string;
    dimensionContribution: L4mDimensionContribution[];
    relevantTimeSeries: L4mRelevantTimeSeries[];
}

/** The L4M alert document (Lambda event, or the JSON of an SNS alert in SnsFormat JSON). */
export interface L4mAlert {
    alertName?: string;
    alertEventId?: string;
    anomalyDetectorArn: string;
    alertArn?: string;
    alertDescription: string | null;
    impactedMetric: L4mImpactedMetric;
    /** `yyyy-MM-ddTHH:mm[:ss]Z[Zone]` — see parseL4mTimestamp. */
    timestamp: string;
    /** Severity score, 0–100. */
    anomalyScore: number;
    /** Newer payloads (and SNS JSON alerts): the anomaly group and its console page. */
    anomalyGroupId?: string;
    consoleUrl?: string;
}

// ---- CloudWatch alarm notification (SNS) ----------------------------------------------------------------------

export interface AlarmDimension {
    name: string;
    value: string;
}

export interface AlarmMetricStat {
    Metric: { Namespace?: string; MetricName: string; Dimensions: AlarmDimension[] };
    Period?: number;
    Stat?: string;
    Unit?: string | null;
}

export interface AlarmTriggerMetric {
    Id: string;
    Expression?: string;
    Label?: string;
    ReturnData?: boolean;
    MetricStat?: AlarmMetricStat;
    AccountId?: string;
    Period?: number;
}

export interface AlarmTrigger {
    Period?: number;
    EvaluationPeriods?: number;
    DatapointsToAlarm?: number;
    ComparisonOperator: string;
    Threshold?: number;
    ThresholdMetricId?: string;
    TreatMissingData?: string;
    EvaluateLowSampleCountPercentile?: string;
    /** Single-metric alarms. */
    MetricName?: string;
    Namespace?: string;
    StatisticType?: string;
    Statistic?: string;
    Unit?: string | null;
    Dimensions?: AlarmDimension[];
    /** Metric-math and anomaly-detection alarms. */
    Metrics?: AlarmTriggerMetric[];
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export const ALARM_STATES: readonly AlarmState[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

export interface CloudWatchAlarmNotification {
    AlarmName: string;
    AlarmDescription?: string | null;
    AWSAccountId: string;
    AlarmConfigurationUpdatedTimestamp?: string;
    NewStateValue: AlarmState;
    NewStateReason: string;
    /** `2023-03-07T10:44:24.105+0000` */
    StateChangeTime: string;
    /** The Region's display name (`US East (N. Virginia)`); the code is in AlarmArn. */
    Region: string;
    AlarmArn: string;
    OldStateValue: string;
    OKActions?: string[];
    AlarmActions?: string[];
    InsufficientDataActions?: string[];
    Trigger: AlarmTrigger;
}

// ---- SNS -------------------------------------------------------------------------------------------------------

export interface SnsEnvelope {
    messageId: string;
    topicArn: string;
    subject?: string | null;
    timestamp?: string;
}

/** One alert as delivered: the raw body plus where it came from. */
export type AlertEnvelope =
    | { delivery: "lambda"; body: unknown }
    | { delivery: "sns"; body: string; sns: SnsEnvelope };

// ---- parsed ----------------------------------------------------------------------------------------------------

export interface ParsedL4mAlert {
    kind: "lookout";
    delivery: "lambda" | "sns";
    alert: L4mAlert;
    /** The anomaly's time as an instant. */
    observedAt: Date;
    /** The zone named in brackets after the timestamp (the detector's time zone), if any. */
    timezone?: string;
    sns?: SnsEnvelope;
}

export interface ParsedAlarm {
    kind: "cloudwatch";
    delivery: "sns";
    notification: CloudWatchAlarmNotification;
    stateChangeTime: Date;
    sns: SnsEnvelope;
    /**
     * Set when this is a composite alarm's ALARM read through its band child: the notification keeps the
     * composite's name, ARN and StateChangeTime; Trigger and NewStateReason are the band child's (DescribeAlarms).
     */
    composite?: { alarmRule: string; bandAlarmName: string };
}

/** A child alarm as a composite's notification names it in TriggeringChildren. */
export interface TriggeringChild {
    Arn: string;
    /** The alarm name (the ARN's last part). */
    name: string;
    State: { Value: AlarmState; Timestamp?: string };
}

/**
 * A composite alarm's state-change notification: like a metric alarm's, but `AlarmRule` and
 * `TriggeringChildren` instead of `Trigger` (CloudWatch user guide, composite alarms).
 */
export interface CompositeAlarmNotification extends Omit<CloudWatchAlarmNotification, "Trigger"> {
    AlarmRule: string;
    TriggeringChildren: TriggeringChild[];
}

export interface ParsedCompositeAlarm {
    kind: "composite";
    delivery: "sns";
    notification: CompositeAlarmNotification;
    stateChangeTime: Date;
    /** The alarm names the rule's ALARM(...)/OK(...)/INSUFFICIENT_DATA(...) functions name, in rule order. */
    ruleAlarmNames: string[];
    sns: SnsEnvelope;
}

export type ParsedAlert = ParsedL4mAlert | ParsedAlarm | ParsedCompositeAlarm;

// ---- helpers ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
    if (v === undefined || v === null) return String(v);
    if (Array.isArray(v)) return `a list of ${v.length}`;
    if (typeof v === "object") return `an object with keys [${Object.keys(v).slice(0, 12).join(", ")}]`;
    const s = JSON.stringify(v);
    return `${typeof v} ${s.length > 80 ? `${s.slice(0, 77)}...` : s}`;
}

function fail(where: string, what: string, got: unknown): never {
    throw alertParseError(`${where} ${what} (got ${shown(got)})`);
}

function obj(v: unknown, where: string): Obj {
    return isObject(v) ? v : fail(where, "must be an object", v);
}

/** `where.key`, or `where key` after a label ending in ":" (`L4M alert: alertName`). */
function field(where: string, key: string): string {
    return where.endsWith(":") ? `${where} ${key}` : `${where}.${key}`;
}

function str(o: Obj, key: string, where: string): string {
    const v = o[key];
    return typeof v === "string" && v.trim() !== "" ? v : fail(field(where, key), "must be a non-empty string", v);
}

/** A string, or undefined when absent or null. */
function optStr(o: Obj, key: string, where: string): string | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : typeof v === "string" ? v : fail(field(where, key), "must be a string when present", v);
}

function num(v: unknown, where: string): number {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : fail(where, "must be a number", v);
}

/** A list of objects; absent or null is an empty list. */
function objects(v: unknown, where: string): Obj[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v.map((x, i) => obj(x, `${where}[${i}]`)) : fail(where, "must be a list when present", v);
}

const ARN = /^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/;

/** `arn:partition:service:region:account:resource` parts; throws when `arn` is not one. */
export function arnParts(arn: string, where: string): { partition: string; service: string; region: string; account: string; resource: string } {
    if (!ARN.test(arn)) fail(where, "must be an ARN with a 12-digit account", arn);
    const [, partition, service, region, account, ...rest] = arn.split(":");
    return { partition, service, region, account, resource: rest.join(":") };
}

// ---- timestamps --------------------------------------------------------------------------------------------------

/** Days in `month` (1–12) of `year`, proleptic Gregorian. */
export function daysInMonth(year: number, month: number): number {
    return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const CIVIL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

/**
 * `base` (ISO date-time without offset) at `offset` (`Z`, `+0000` or `+00:00`), to milliseconds; an invalid Date
 * when any field is out of range. `Date` itself rolls impossible dates forward (`2025-02-30` becomes March 2nd),
 * so every field is checked first: month 1–12, day within the month, hour 0–23, minute and second 0–59, offset
 * within ±23:59.
 */
function instant(base: string, offset: string): Date {
    const off = offset === "Z" || offset.includes(":") ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
    const c = CIVIL.exec(base);
    const [y, mo, d, h, mi, se] = c ? c.slice(1).map(Number) : [];
    const offOk = off === "Z" || (Number(off.slice(1, 3)) <= 23 && Number(off.slice(4, 6)) <= 59);
    if (!c || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || se > 59 || !offOk) return new Date(NaN);
    return new Date(`${base.replace(/(\.\d{3})\d+$/, "$1")}${off}`);
}

const L4M_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})(?:\[([A-Za-z0-9/_+-]+)\])?$/;

/**
 * Parses an L4M timestamp such as `2021-02-17T11:00Z[UTC]` or `2022-01-15T04:25:00+05:30[Asia/Kolkata]`:
 * ISO date-time (seconds optional), an offset, then optionally the zone name in brackets.
 */
export function parseL4mTimestamp(s: string): { instant: Date; zone?: string } {
    const m = L4M_TIMESTAMP.exec(s);
    const at = m ? instant(m[1] + (m[2] ?? ":00"), m[3]) : undefined;
    if (!m || !at || Number.isNaN(at.getTime())) fail("L4M alert: timestamp", "must be a time like 2021-02-17T11:00Z[UTC]", s);
    return { instant: at, zone: m[4] };
}

const ALARM_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/;

/** Parses a CloudWatch notification time such as `2023-03-07T10:44:24.105+0000`. */
export function parseAlarmTime(s: string, where: string): Date {
    const m = ALARM_TIME.exec(s);
    const at = m ? instant(m[1], m[2]) : undefined;
    if (!at || Number.isNaN(at.getTime())) fail(where, "must be a time like 2023-03-07T10:44:24.105+0000", s);
    return at;
}

// ---- envelopes -----------------------------------------------------------------------------------------------------

/** One SNS notification (a Records entry's `Sns`, or a bare notification) as an envelope. */
function snsEnvelope(sns: Obj, where: string, fallbackId: string): AlertEnvelope {
    if (typeof sns.Message !== "string") fail(`${where}.Message`, "must be a string", sns.Message);
    return {
        delivery: "sns",
        body: sns.Message,
        sns: {
            messageId: optStr(sns, "MessageId", where) ?? fallbackId,
            topicArn: optStr(sns, "TopicArn", where) ?? "an unknown topic",
            subject: optStr(sns, "Subject", where) ?? null,
            timestamp: optStr(sns, "Timestamp", where),
        },
    };
}

/**
 * Splits an invocation event into the alerts it carries: an SNS event (one or more records), a bare SNS
 * notification (`Type: "Notification"` — what SNS redrives to the dead-letter queue, replayed by invoking the
 * function with it) or an L4M Lambda alert (the event itself). Anything else is an error naming what was received.
 */
export function envelopesOf(event: unknown): AlertEnvelope[] {
    const e = obj(event, "unrecognised invocation event:");
    if ("Records" in e) {
        if (!Array.isArray(e.Records) || e.Records.length === 0) fail("SNS event: Records", "must be a non-empty list", e.Records);
        return objects(e.Records, "SNS event: Records").map((rec, i) => {
            const where = `SNS event: Records[${i}]`;
            if ((rec.EventSource ?? rec.eventSource) !== "aws:sns") fail(`${where}.EventSource`, `must be "aws:sns" (only SNS-delivered alerts come in Records)`, rec.EventSource ?? rec.eventSource);
            return snsEnvelope(obj(rec.Sns, `${where}.Sns`), `${where}.Sns`, `record-${i}`);
        });
    }
    if (e.Type === "Notification") return [snsEnvelope(e, "SNS notification", "notification")];
    if ("anomalyDetectorArn" in e || "impactedMetric" in e) return [{ delivery: "lambda", body: e }];
    return fail("unrecognised invocation event:", "is neither an SNS event (Records), an SNS notification (Type \"Notification\", as replayed from the dead-letter queue) nor a Lookout for Metrics alert (anomalyDetectorArn, impactedMetric)", e);
}

/** Parses one delivered alert. Throws an AlertParseError (alertParseError) naming the problem. */
export function parseEnvelope(env: AlertEnvelope): ParsedAlert {
    if (env.delivery === "lambda") return parseL4mAlert(env.body, "lambda");
    const where = `SNS message ${env.sns.messageId} from ${env.sns.topicArn}`;
    let body: unknown;
    try {
        body = JSON.parse(env.body);
    } catch {
        fail(where, "is not JSON: Lookout for Metrics alerts on this topic must use SnsFormat JSON (CloudWatch alarm notifications always are)", env.body);
    }
    if (isObject(body) && "AlarmArn" in body && "NewStateValue" in body) {
        return parseAlarmNotification(body, env.sns);
    }
    if (isObject(body) && ("anomalyDetectorArn" in body || "impactedMetric" in body)) return { ...parseL4mAlert(body, "sns"), sns: env.sns };
    return fail(where, "is neither a CloudWatch alarm notification (AlarmArn, NewStateValue) nor a Lookout for Metrics JSON alert (anomalyDetectorArn, impactedMetric)", body);
}

/** Every alert in an invocation event; the first one that cannot be parsed throws. */
export function parseAlertEvent(event: unknown): ParsedAlert[] {
    return envelopesOf(event).map(parseEnvelope);
}

// ---- L4M -----------------------------------------------------------------------------------------------------------

export function parseL4mAlert(body: unknown, delivery: "lambda" | "sns"): ParsedL4mAlert {
    const w = "L4M alert:";
    const b = obj(body, w);
    const anomalyDetectorArn = str(b, "anomalyDetectorArn", w);
    arnParts(anomalyDetectorArn, `${w} anomalyDetectorArn`);
    const im = obj(b.impactedMetric, `${w} impactedMetric`);
    const wi = `${w} impactedMetric`;
    const dimensionContribution = objects(im.dimensionContribution, `${wi}.dimensionContribution`).map((dc, i) => {
        const wd = `${wi}.dimensionContribution[${i}]`;
        return {
            dimensionName: str(dc, "dimensionName", wd),
            dimensionValueContributions: objects(dc.dimensionValueContributions, `${wd}.dimensionValueContributions`).map((vc, j) => ({
                dimensionValue: typeof vc.dimensionValue === "string" ? vc.dimensionValue : fail(`${wd}.dimensionValueContributions[${j}].dimensionValue`, "must be a string", vc.dimensionValue),
                valueContribution: num(vc.valueContribution, `${wd}.dimensionValueContributions[${j}].valueContribution`),
            })),
        };
    });
    const relevantTimeSeries = objects(im.relevantTimeSeries, `${wi}.relevantTimeSeries`).map((ts, i) => {
        const wt = `${wi}.relevantTimeSeries[${i}]`;
        return {
            timeSeriesId: optStr(ts, "timeSeriesId", wt) ?? `series-${i}`,
            dimensions: objects(ts.dimensions, `${wt}.dimensions`).map((d, j) => ({
                dimensionName: str(d, "dimensionName", `${wt}.dimensions[${j}]`),
                dimensionValue: typeof d.dimensionValue === "string" ? d.dimensionValue : fail(`${wt}.dimensions[${j}].dimensionValue`, "must be a string", d.dimensionValue),
            })),
            metricValue: ts.metricValue === undefined || ts.metricValue === null ? null : num(ts.metricValue, `${wt}.metricValue`),
        };
    });
    const timestamp = str(b, "timestamp", w);
    const { instant: observedAt, zone } = parseL4mTimestamp(timestamp);
    const anomalyScore = num(b.anomalyScore, `${w} anomalyScore`);
    if (anomalyScore < 0 || anomalyScore > 100) fail(`${w} anomalyScore`, "must be within 0–100", anomalyScore);
    const description = optStr(b, "alertDescription", w);
    const alert: L4mAlert = {
        alertName: optStr(b, "alertName", w),
        alertEventId: optStr(b, "alertEventId", w),
        anomalyDetectorArn,
        alertArn: optStr(b, "alertArn", w),
        alertDescription: description && description.trim() ? description : null,
        impactedMetric: { metricName: str(im, "metricName", wi), dimensionContribution, relevantTimeSeries },
        timestamp,
        anomalyScore,
        anomalyGroupId: optStr(b, "anomalyGroupId", w),
        consoleUrl: optStr(b, "consoleUrl", w),
    };
    return { kind: "lookout", delivery, alert, observedAt, timezone: zone };
}

// ---- CloudWatch ------------------------------------------------------------------------------------------------------

/** Notifications spell dimensions `{name, value}`; the API's `{Name, Value}` is accepted too. */
function dimensions(v: unknown, where: string): AlarmDimension[] {
    return objects(v, where).map((d, i) => {
        const name = d.name ?? d.Name;
        const value = d.value ?? d.Value;
        return typeof name === "string" && typeof value === "string" ? { name, value } : fail(`${where}[${i}]`, "must have string name and value", d);
    });
}

/**
 * Validates the fields the finding is built from; the rest of the notification is kept as delivered. A
 * notification with `AlarmRule` and no `Trigger` is a composite alarm's: its rule must name an alarm and each
 * TriggeringChildren entry needs an alarm ARN and a state.
 */
export function parseAlarmNotification(body: Obj, sns: SnsEnvelope): ParsedAlarm | ParsedCompositeAlarm {
    const rule = body.Trigger === undefined ? body.AlarmRule : undefined;
    const w = `CloudWatch ${rule === undefined ? "" : "composite "}alarm notification (SNS message ${sns.messageId}):`;
    if (!ALARM_STATES.includes(body.NewStateValue as AlarmState)) fail(`${w} NewStateValue`, `must be one of ${ALARM_STATES.join(", ")}`, body.NewStateValue);
    const alarmArn = str(body, "AlarmArn", w);
    arnParts(alarmArn, `${w} AlarmArn`);
    const common = {
        ...(body as unknown as CloudWatchAlarmNotification),
        AlarmName: str(body, "AlarmName", w),
        AlarmDescription: optStr(body, "AlarmDescription", w) ?? null,
        AWSAccountId: str(body, "AWSAccountId", w),
        NewStateReason: optStr(body, "NewStateReason", w) ?? "",
        StateChangeTime: str(body, "StateChangeTime", w),
        AlarmArn: alarmArn,
        OldStateValue: optStr(body, "OldStateValue", w) ?? "",
    };
    const at = { delivery: "sns" as const, stateChangeTime: parseAlarmTime(common.StateChangeTime, `${w} StateChangeTime`), sns };
    if (rule === undefined) return { kind: "cloudwatch", ...at, notification: { ...common, Trigger: parseTrigger(body.Trigger, `${w} Trigger`) } };
    // The alarms the rule names (`ALARM("name")`, `OK(name)`, `ALARM('arn:...:alarm:name')`), in rule order.
    const names = [...new Set([...str(body, "AlarmRule", w).matchAll(/\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*["']?([^"'()]+?)["']?\s*\)/g)].map((m) => ALARM_ARN.exec(m[1])?.[1] ?? m[1]))];
    if (!names.length) fail(`${w} AlarmRule`, "names no alarm", rule);
    const children = (body.TriggeringChildren == null ? [] : objects(body.TriggeringChildren, `${w} TriggeringChildren`)).map((c, i): TriggeringChild => {
        const wc = `${w} TriggeringChildren[${i}]`;
        const arn = str(c, "Arn", wc);
        const st = obj(c.State, `${wc}.State`);
        if (!ALARM_STATES.includes(st.Value as AlarmState)) fail(`${wc}.State.Value`, `must be one of ${ALARM_STATES.join(", ")}`, st.Value);
        return { Arn: arn, name: ALARM_ARN.exec(arn)?.[1] ?? fail(`${wc}.Arn`, "must be a CloudWatch alarm ARN", arn), State: st as TriggeringChild["State"] };
    });
    return { kind: "composite", ...at, ruleAlarmNames: names, notification: { ...common, AlarmRule: rule as string, TriggeringChildren: children } };
}

const ALARM_ARN = /^arn:[^:]+:cloudwatch:[^:]*:\d{12}:alarm:(.+)$/;

/**
 * A notification's Trigger, validated; also reads the alarm DescribeAlarms returns (`Dimensions: [{Name, Value}]`),
 * which has the same fields.
 */
export function parseTrigger(t: unknown, wt: string): AlarmTrigger {
    const trig = obj(t, wt);
    const metrics = trig.Metrics === undefined || trig.Metrics === null ? undefined : objects(trig.Metrics, `${wt}.Metrics`).map((m, i): AlarmTriggerMetric => {
        const wm = `${wt}.Metrics[${i}]`;
        const ms = m.MetricStat === undefined || m.MetricStat === null ? undefined : obj(m.MetricStat, `${wm}.MetricStat`);
        const metric = ms ? obj(ms.Metric, `${wm}.MetricStat.Metric`) : undefined;
        const out: AlarmTriggerMetric = {
            ...m,
            Id: str(m, "Id", wm),
            Expression: optStr(m, "Expression", wm),
            MetricStat: ms && metric ? {
                ...ms,
                Metric: {
                    Namespace: optStr(metric, "Namespace", `${wm}.MetricStat.Metric`),
                    MetricName: str(metric, "MetricName", `${wm}.MetricStat.Metric`),
                    Dimensions: dimensions(metric.Dimensions, `${wm}.MetricStat.Metric.Dimensions`),
                },
            } : undefined,
        };
        return out.Expression || out.MetricStat ? out : fail(wm, "has neither Expression nor MetricStat", m);
    });
    const trigger: AlarmTrigger = {
        ...trig,
        ComparisonOperator: str(trig, "ComparisonOperator", wt),
        Threshold: trig.Threshold === undefined || trig.Threshold === null ? undefined : num(trig.Threshold, `${wt}.Threshold`),
        ThresholdMetricId: optStr(trig, "ThresholdMetricId", wt),
        MetricName: optStr(trig, "MetricName", wt),
        Namespace: optStr(trig, "Namespace", wt),
        Statistic: optStr(trig, "Statistic", wt),
        Dimensions: dimensions(trig.Dimensions, `${wt}.Dimensions`),
        Metrics: metrics,
    };
    if (!trigger.MetricName && !metrics?.length) fail(wt, "names no metric (neither MetricName nor Metrics)", trig);
    return trigger;
}

// ---- resolving a composite alarm (needs CloudWatch) ------------------------------------------------------------------

/**
 * Whether a DescribeAlarms alarm's configuration changed after its state last did: an update leaves the state and
 * its StateReason as they were ("When updating an existing alarm, its StateValue is left unchanged", PutMetricAlarm),
 * so the reason's numbers are the previous definition's (e.g. Revenue / Checkouts before OrderValueLog): not read.
 */
export const reasonPredatesConfig = (a: MetricAlarm) => +(a.AlarmConfigurationUpdatedTimestamp ?? 0) > +(a.StateUpdatedTimestamp ?? a.StateTransitionedTimestamp ?? Infinity);

/** What the parse stage needs of the CloudWatch client: DescribeAlarms (a composite's band child). */
export type CloudWatchSender = Pick<CloudWatchClient, "send">;

/** The alarm's ARN parts, after checking the alarm is in this function's account (else an AlertParseError). */
export function alarmAccount(p: { notification: { AlarmArn: string; AWSAccountId: string; AlarmName: string } }, s: { accountId: string }) {
    const n = p.notification;
    const arn = arnParts(n.AlarmArn, "CloudWatch alarm AlarmArn");
    if (n.AWSAccountId !== s.accountId || arn.account !== s.accountId) {
        throw alertParseError(`CloudWatch alarm ${n.AlarmName} is in account ${n.AWSAccountId}; this function files findings for ${s.accountId}`);
    }
    return arn;
}

/**
 * A composite alarm's ALARM as the metric alarm it is about: its band child (a triggering child in ALARM, else
 * another triggering child, else the rule's alarm, whose name ends `-band` — a revenue alarm's AOV child
 * `<name>-aov-band` included: with an OR rule the child that fired is what the finding is about; a child other than
 * `<composite>-band` gives its own AlarmDescription, more to the point than the composite's, the revenue band's), read with DescribeAlarms — metric, band, comparison and StateReason (the
 * datapoints the severity comes from) — under the composite's own name, ARN and StateChangeTime, so the finding Id
 * stays `composite ARN + StateChangeTime`. No band child, or one DescribeAlarms does not return, is an error naming it.
 * The child's StateReason is not read when it predates the child's configuration (reasonPredatesConfig) or when the
 * child transitioned more than 1 s after the composite's StateChangeTime (a retried or redriven delivery handled
 * after the child changed state again): that reason was written by a later transition, not the one that fired this.
 */
export async function compositeAsAlarm(cw: CloudWatchSender, p: ParsedCompositeAlarm, s: { accountId: string }): Promise<ParsedAlarm> {
    const n = p.notification;
    alarmAccount(p, s);
    const triggering = [...n.TriggeringChildren].sort((a, b) => Number(b.State.Value === "ALARM") - Number(a.State.Value === "ALARM"));
    const band = [...triggering.map((c) => c.name), ...p.ruleAlarmNames].find((a) => a.endsWith("-band"));
    if (!band) throw alertParseError(`composite alarm ${n.AlarmName}: neither TriggeringChildren nor AlarmRule ${n.AlarmRule} names a band child (a name ending -band)`);
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [band], AlarmTypes: ["MetricAlarm"] }));
    const child = out.MetricAlarms?.find((a) => a.AlarmName === band);
    if (!child) throw new Error(`composite alarm ${n.AlarmName}: its band child ${band} was not found by DescribeAlarms in ${n.AlarmArn.split(":")[3]}`);
    const t = child.StateTransitionedTimestamp ?? child.StateUpdatedTimestamp;
    const stale = reasonPredatesConfig(child) ? "predates its configuration" : t && +t > +p.stateChangeTime + 1e3 ? `is from a later transition (${t.toISOString()})` : "";
    return {
        kind: "cloudwatch", delivery: "sns", sns: p.sns, stateChangeTime: p.stateChangeTime,
        notification: {
            ...n, NewStateReason: `Composite rule ${n.AlarmRule} is true; band child ${band} is ${child.StateValue}: ${stale ? `its reason ${stale}, not read` : child.StateReason}`,
            Trigger: parseTrigger(child, `band child ${band} (DescribeAlarms)`),
            ...(band !== `${n.AlarmName}-band` && child.AlarmDescription ? { AlarmDescription: child.AlarmDescription } : {}),
        },
        composite: { alarmRule: n.AlarmRule, bandAlarmName: band },
    };
}