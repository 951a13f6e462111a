// Enrich stage: the root cause of one parsed alert (handlers/alert/parse.ts), before it is mapped to ASFF
// (handlers/alert/asff.ts). Wires the enrichment modules of handlers/enrich/ to the alert:
//
//   WAF anomaly (CloudWatch band alarm on AWS/WAFV2 BlockedRequests, or a composite read as its band child; or a
//   Lookout for Metrics WAF anomaly): the web ACL's WAF logs over the anomaly window, Logs Insights
//   (handlers/enrich/wafRootCause.ts). The window: the breaching datapoints the alarm reason names (else the
//   evaluation periods up to the state change); for Lookout the detector interval starting at the anomaly time.
//   Ecommerce band alarm (namespace EdgeAnomaly/Ecommerce) on the total: every watched platform/marketplace series
//   and its band over the same window; on one platform or marketplace value: that dimension's values — each series
//   at its own alarms' period and band width, the fired one at its notification's (GetMetricData,
//   handlers/enrich/ecommerceRootCause.ts).
//   Typical order value (a revenue composite's order-value child, band on OrderValueLog / Checkouts, or any
//   ratio in the ecommerce namespace): not the revenue breakdown (a mean's deviation does not split into shares;
//   the revenue models rank revenue, not order value) but the other series' own order-value alarms of the same
//   direction, those in ALARM with their values — typical order values, e^x - 1, like the finding's (DescribeAlarms,
//   handlers/enrich/orderValueRootCause.ts).
//   Anything else (OK, INSUFFICIENT_DATA, pipeline-health alarms, Lookout ecommerce anomalies, which carry
//   Lookout's own dimensionContribution): no root cause (undefined).
//
// Bounded: every query must be done by `deadlineMs` (the handler gives ENRICH_BUDGET_MS of the invocation, inside
// the Lambda's 60 s timeout, leaving room for Security Hub and SNS with their retries). Never throws: a missing log
// group, a denied call, a timeout, or an unexpected error gives a root cause with status "partial"/"unavailable"
// and the reason, and the finding is filed all the same (the notice says the root cause is unavailable and why).
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

import { ecommerceRequestFromAlarm, ecommerceRootCause, EcommerceRootCauseSettings } from "../enrich/ecommerceRootCause";
import { orderValueRootCause, OrderValueRequest } from "../enrich/orderValueRootCause";
import { STACK_DIMENSION } from "../../model/ecommerceSchema";
import type { RootCause } from "../enrich/findingFields";
import { alarmWindow, Clock, errorText, LogsSender, TimeWindow, wafRequestFromAlarm, wafRootCause, WafRootCauseRequest, Wafv2Sender } from "../enrich/wafRootCause";
import { alarmMetric, anomalyBand, categoryOf, FindingSettings, parseBandReason, strongestBreach } from "./asff";
import { parseTrigger, ParsedAlarm, ParsedAlert, reasonPredatesConfig } from "./parse";

/** The share of the Lambda's 60 s timeout the root-cause queries may use (per invocation). */
export const ENRICH_BUDGET_MS = 20_000;
/** Lookout for Metrics WAF detectors run at PT5M: an anomaly at T covers [T, T + 5 min). */
export const LOOKOUT_WAF_INTERVAL_SECONDS = 300;

export interface EnrichDeps {
    /** CloudWatch Logs client for a region (the WAF log group's). */
    logs: (region: string) => LogsSender;
    /** WAFv2 client for a region, to read a watched ACL's logging configuration when no log group is configured. */
    wafv2?: (region: string) => Wafv2Sender;
    /** CloudWatch client for a region (GetMetricData for the ecommerce series). */
    cloudWatch: (region: string) => Pick<CloudWatchClient, "send">;
    /** Web ACL ARN or name → WAF log group name or ARN (`WAF_LOG_GROUPS`). */
    logGroups: Record<string, string>;
    /** The watched ecommerce series (`ECOMMERCE_ROOT_CAUSE`); without it ecommerce alarms get no root cause. */
    ecommerce?: EcommerceRootCauseSettings;
    /** Epoch ms by which every query must be finished. */
    deadlineMs: number;
    /** The clock the Logs Insights polling waits on (default: the real one). */
    clock?: Clock;
}

/** Web ACL name → ARN, for the ACLs the settings know by ARN (the ARN's region must be the alarm's). */
function aclArnsIn(s: FindingSettings, region: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const arn of [...(s.webAclArns ?? []), ...(s.webAclArn ? [s.webAclArn] : [])]) {
        const parts = arn.split(":");
        const name = arn.split("/").slice(-2, -1)[0];
        if (name && parts[3] === region && !out[name]) out[name] = arn;
    }
    return out;
}

function alarmTiming(p: ParsedAlarm): { periodSeconds: number; evaluationPeriods: number; datapointTimes: Date[] } {
    const t = p.notification.Trigger;
    const stat = t.Metrics?.find((m) => m.MetricStat)?.MetricStat;
    return {
        periodSeconds: stat?.Period ?? t.Period ?? t.Metrics?.find((m) => m.Period)?.Period ?? 60,
        evaluationPeriods: t.EvaluationPeriods ?? 1,
        datapointTimes: (parseBandReason(p.notification.NewStateReason) ?? []).flatMap((d) => (d.at ? [d.at] : [])),
    };
}

/** The WAF request for an alert, or undefined when it is not a WAF anomaly. */
export function wafRequestFor(p: ParsedAlert, s: FindingSettings): WafRootCauseRequest | undefined {
    if (p.kind === "lookout") {
        if (categoryOf(p.alert.impactedMetric.metricName) !== "waf") return undefined;
        const series = p.alert.impactedMetric.relevantTimeSeries.map((t) => t.dimensions.map((d) => ({ name: d.dimensionName, value: d.dimensionValue })));
        const dims = series.find((d) => d.some((x) => x.name === "WebACL") && d.some((x) => x.name === "Rule"));
        if (!dims) return undefined;
        const region = dims.find((d) => d.name === "Region")?.value ?? "us-east-1";
        return wafRequestFromAlarm({
            dimensions: dims, stateChangeTime: new Date(p.observedAt.getTime() + LOOKOUT_WAF_INTERVAL_SECONDS * 1000),
            periodSeconds: LOOKOUT_WAF_INTERVAL_SECONDS, evaluationPeriods: 1, aclArns: aclArnsIn(s, region),
        });
    }
    if (p.kind !== "cloudwatch" || p.notification.NewStateValue !== "ALARM") return undefined;
    const band = anomalyBand(p.notification.Trigger);
    const metric = band && alarmMetric(p.notification.Trigger, band);
    if (!metric || categoryOf(metric.metricName, metric.namespace) !== "waf") return undefined;
    const region = p.notification.AlarmArn.split(":")[3];
    return wafRequestFromAlarm({ dimensions: metric.dimensions, stateChangeTime: p.stateChangeTime, ...alarmTiming(p), aclArns: aclArnsIn(s, region) });
}

/**
 * The request for an order-value (AOV) alarm — a band on a ratio in the ecommerce namespace, the revenue
 * composite's order-value child — or undefined for anything else (orderValueRootCause: no revenue breakdown for a ratio).
 */
export function orderValueRequestFor(p: ParsedAlert): OrderValueRequest | undefined {
    if (p.kind !== "cloudwatch" || p.notification.NewStateValue !== "ALARM") return undefined;
    const t = p.notification.Trigger;
    const metric = alarmMetric(t, anomalyBand(t));
    if (!metric?.ratio || categoryOf(metric.metricName, metric.namespace) !== "ecommerce") return undefined;
    const dim = metric.dimensions.find((d) => d.name !== STACK_DIMENSION);
    return {
        alarmName: p.composite?.bandAlarmName ?? p.notification.AlarmName, metricName: `${metric.metricName}/${metric.ratio.denominator}`, direction: t.ComparisonOperator === "LessThanLowerThreshold" ? "below" : "above", stackDimension: STACK_DIMENSION,
        window: alarmWindow({ stateChangeTime: p.stateChangeTime, ...alarmTiming(p) }), ...(dim ? { focus: { dimension: dim.name, value: dim.value } } : {}),
    };
}

/** The ecommerce request for an alert (a total-series or by-dimension band alarm on a Sum; not a ratio), or undefined. */
export function ecommerceRequestFor(p: ParsedAlert, e: EcommerceRootCauseSettings | undefined): { window: TimeWindow; req: ReturnType<typeof ecommerceRequestFromAlarm> } | undefined {
    if (!e || p.kind !== "cloudwatch" || p.notification.NewStateValue !== "ALARM") return undefined;
    const band = anomalyBand(p.notification.Trigger);
    const metric = band && alarmMetric(p.notification.Trigger, band);
    if (!metric || metric.ratio || categoryOf(metric.metricName, metric.namespace) !== "ecommerce") return undefined;
    const timing = alarmTiming(p);
    const window = alarmWindow({ stateChangeTime: p.stateChangeTime, ...timing });
    const breach = strongestBreach(parseBandReason(p.notification.NewStateReason) ?? []);
    const req = ecommerceRequestFromAlarm({
        namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions,
        comparisonOperator: p.notification.Trigger.ComparisonOperator, breachDirection: breach?.direction, window,
        alarm: { periodSeconds: timing.periodSeconds, bandWidth: band!.width },
    }, e);
    return req ? { window, req } : undefined;
}

/**
 * The root cause of one alert, or undefined when it has none to look for. Never throws: an error becomes an
 * "unavailable" root cause whose reason names it.
 */
export async function enrichAlert(p: ParsedAlert, s: FindingSettings, deps: EnrichDeps): Promise<RootCause | undefined> {
    const waf = (() => { try { return wafRequestFor(p, s); } catch (e) { return e as Error; } })();
    if (waf instanceof Error) return unavailableWaf(p, `the alert names no usable WAF request: ${errorText(waf)}`);
    if (waf) {
        try {
            return await wafRootCause(waf, { logs: deps.logs, wafv2: deps.wafv2, logGroups: deps.logGroups, deadlineMs: deps.deadlineMs, clock: deps.clock });
        } catch (e) {
            return { kind: "waf", status: "unavailable", reason: `WAF root cause failed: ${errorText(e)}`, acl: waf.acl, rule: waf.rule, measure: "blocked",
                window: { start: waf.window.start.toISOString(), end: waf.window.end.toISOString() }, top: {}, incomplete: [], queries: [] };
        }
    }
    const aov = orderValueRequestFor(p);
    if (aov) {
        return orderValueRootCause(aov, { cloudWatch: deps.cloudWatch((p as ParsedAlarm).notification.AlarmArn.split(":")[3]), deadlineMs: deps.deadlineMs, breachOf: (a) => {
            if (reasonPredatesConfig(a)) return undefined;
            const t = parseTrigger(a, `order-value alarm ${a.AlarmName} (DescribeAlarms)`);
            return strongestBreach(parseBandReason(a.StateReason ?? "") ?? [], alarmMetric(t, anomalyBand(t))?.ratio?.logOrderValue);
        } })
            .catch((e) => ecommerceUnavailable(aov, `order-value root cause failed: ${errorText(e)}`));
    }
    const eco = (() => { try { return ecommerceRequestFor(p, deps.ecommerce); } catch (e) { return e as Error; } })();
    if (eco instanceof Error || !eco?.req) return undefined;
    const region = (p as ParsedAlarm).notification.AlarmArn.split(":")[3];
    try {
        return await ecommerceRootCause(eco.req, deps.ecommerce!, { cloudWatch: deps.cloudWatch(region), deadlineMs: deps.deadlineMs });
    } catch (e) {
        return ecommerceUnavailable(eco.req, `ecommerce root cause failed: ${errorText(e)}`);
    }
}

function unavailableWaf(p: ParsedAlert, reason: string): RootCause {
    const at = p.kind === "lookout" ? p.observedAt : (p as ParsedAlarm).stateChangeTime;
    return { kind: "waf", status: "unavailable", reason, acl: { name: "unknown", scope: "REGIONAL", region: "unknown" }, rule: "unknown", measure: "blocked",
        window: { start: at.toISOString(), end: at.toISOString() }, top: {}, incomplete: [], queries: [] };
}

function ecommerceUnavailable(req: { metricName: string; direction: "above" | "below"; window: TimeWindow }, reason: string): RootCause {
    return { kind: "ecommerce", status: "unavailable", reason, metricName: req.metricName, direction: req.direction,
        window: { start: req.window.start.toISOString(), end: req.window.end.toISOString() }, series: [], dimensionContribution: [] };
}
