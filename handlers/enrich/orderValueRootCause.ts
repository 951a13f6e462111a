// Root cause of an order-value (AOV) alarm: the order-value child of a revenue composite alarm
// (components/cloudwatchDetection.ts, `<revenue alarm>-aov-band`, band on e1 = `m1 / m2` or `m1 / IF(m2 >= n, m2,
// 0)` with m1 = OrderValueLog, m2 = Checkouts: the mean ln(1 + order value), the log of the typical order value).
//
// The revenue breakdown (./ecommerceRootCause.ts) does not apply: it ranks each platform's and marketplace's
// share of a Sum's deviation, and a mean's deviation does not split that way (the total's mean is not the sum,
// nor a fixed-weight mean, of the values' means: the weights are the checkout counts, which move too).
// Reading the revenue series' models instead would rank revenue, not order value. What answers "where is the
// order value off" is each watched series' OWN AOV alarm — the total, each platform and marketplace value has one
// per direction, on its own model. So this lists, with one paginated DescribeAlarms (AlarmNamePrefix of the
// stack's revenue alarms, MetricAlarm; ~5 alarms per revenue series, one page on dev), the other AOV children of
// the same direction, and names those in ALARM now with the value and band edge their StateReason states, as the
// caller's `breachOf` reads them (handlers/alert/enrich.ts: typical order values, e^x - 1, for order-value
// children; the stated numbers for any other alarm).
//
// Never throws for AWS-side trouble: a failed or late DescribeAlarms gives status "unavailable" with the reason (a call
// the deadline aborted says it ran out of the enrichment budget, not the SDK's bare "AbortError: Request aborted").
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchClient, MetricAlarm } from "@aws-sdk/client-cloudwatch";

import type { EcommerceRootCause } from "./ecommerceRootCause";
import { errorText } from "./wafRootCause";

/** `<project>-<stack>-ecommerce-revenue-` + series + `-spike|-drop-aov-band`: groups prefix, series, direction. */
export const AOV_CHILD_NAME = /^(.+-ecommerce-revenue-)(.+)-(spike|drop)-aov-band$/;
/** DescribeAlarms pages followed (100 alarms each: far more than a stack's revenue alarms). */
export const MAX_ALARM_PAGES = 5;

/** One other series' AOV alarm in ALARM. */
export interface OrderValueAlarm {
    alarmName: string;
    /** Undefined for the total. */
    dimension?: string;
    value?: string;
    /** The breaching datapoint furthest outside its band, as its StateReason states it. */
    observed?: number;
    edge?: number;
}

export interface OrderValueFindings {
    /** Other AOV alarms of the same direction that were looked at (the fired one excluded). */
    checked: number;
    inAlarm: OrderValueAlarm[];
}

export interface OrderValueRequest {
    /** The AOV child that fired (the composite's band child). */
    alarmName: string;
    /** Its series' metric name, numerator/denominator (`OrderValueLog/Checkouts`). */
    metricName: string;
    direction: "above" | "below";
    window: { start: Date; end: Date };
    /** The fired child's own dimension (a by-dimension series), if any. */
    focus?: { dimension: string; value: string };
    /** The `Stack` dimension name, left out when naming a series. */
    stackDimension: string;
}

export interface OrderValueDeps {
    cloudWatch: Pick<CloudWatchClient, "send">;
    deadlineMs?: number;
    /**
     * The datapoint furthest outside its band in an alarm's StateReason, in the units findings show for that alarm
     * (handlers/alert/enrich.ts: asff.ts parseBandReason + strongestBreach on the alarm's own queries, so an
     * order-value child's as typical order values). A throw (queries that do not parse) makes the root cause
     * unavailable with its reason.
     */
    breachOf: (alarm: MetricAlarm) => { value: number; lower?: number; upper?: number } | undefined;
}

/**
 * The other AOV alarms of the fired one's direction, those in ALARM with their values; see the header. One page
 * of 100 alarms (5 per revenue series: 20 series), the next pages when there are more; the SDK's abortSignal ends
 * the call at the deadline.
 */
// Siblings: same prefix and direction, the fired one excluded, every state (so `checked` counts them all).
export async function orderValueRootCause(req: OrderValueRequest, deps: OrderValueDeps): Promise<EcommerceRootCause> {
    const base: EcommerceRootCause = {
        kind: "ecommerce", status: "complete", metricName: req.metricName, direction: req.direction,
        window: { start: req.window.start.toISOString(), end: req.window.end.toISOString() }, ...(req.focus ? { focus: req.focus } : {}),
        series: [], dimensionContribution: [],
    };
    const m = AOV_CHILD_NAME.exec(req.alarmName);
    if (!m) return { ...base, status: "unavailable", reason: `${req.alarmName} is not named <prefix>-ecommerce-revenue-<series>-spike|drop-aov-band` };
    const alarms: MetricAlarm[] = [];
    const ms = deps.deadlineMs === undefined ? undefined : Math.max(1, deps.deadlineMs - Date.now());
    const signal = ms === undefined ? undefined : AbortSignal.timeout(ms);
    try {
        let token: string | undefined;
        for (let page = 0; page < MAX_ALARM_PAGES && (page === 0 || token); page++) {
            const out = await deps.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: m[1], AlarmTypes: ["MetricAlarm"], MaxRecords: 100, NextToken: token }), { abortSignal: signal });
            alarms.push(...(out.MetricAlarms ?? []));
            token = out.NextToken;
        }
    } catch (e) {
        return { ...base, status: "unavailable", reason: `the other order-value alarms could not be listed: ${signal?.aborted && (e as Error).name === "AbortError" ? `DescribeAlarms did not answer within the ${ms} ms left of the enrichment budget` : errorText(e)}` };
    }
    const siblings = alarms.filter((a) => {
        const s = AOV_CHILD_NAME.exec(a.AlarmName ?? "");
        return s && s[1] === m[1] && s[3] === m[3] && a.AlarmName !== req.alarmName;
    });
    const inAlarm = siblings.filter((a) => a.StateValue === "ALARM").map((a): OrderValueAlarm => {
        const d = a.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Metric?.Dimensions?.find((x) => x.Name !== req.stackDimension);
        const b = deps.breachOf(a);
        return { alarmName: a.AlarmName!, ...(d ? { dimension: d.Name, value: d.Value } : {}), ...(b ? { observed: b.value, edge: req.direction === "above" ? b.upper : b.lower } : {}) };
    });
    return { ...base, orderValue: { checked: siblings.length, inAlarm } };
}
