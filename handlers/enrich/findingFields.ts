// What a root cause adds to a finding and to the message people get: plain functions over the results of
// ./wafRootCause and ./ecommerceRootCause.
//
//   rootCauseText(rc)           one short paragraph for the finding's Description and the notification
//                               (at most 5 dimensions × 3 values of ≤ 60 characters: under 1,024 characters)
//   rootCauseProductFields(rc)  [key, value] pairs under `edgeAnomaly/rootCause/…` (≤ 12 keys, values ≤ 2048)
//   rootCauseAsff(rc)           ASFF `Network` and `Action` for a WAF root cause with a top client IP: the
//                               blocked requests as an inbound NETWORK_CONNECTION from that IP (and its country)
//
// A partial or unavailable root cause says so with its reason in all of them; a finding is never held back.
import type { Action, Network } from "@aws-sdk/client-securityhub";

import type { EcommerceRootCause } from "./ecommerceRootCause";
import type { TopValue, WafDimension, WafRootCause } from "./wafRootCause";

export type RootCause = WafRootCause | EcommerceRootCause;

export const ROOT_CAUSE_PREFIX = "edgeAnomaly/rootCause/";
/** Values shown per dimension in the text (the product fields keep every value read). */
export const TEXT_VALUES = 3;
const MAX_VALUE = 2048;

const LABELS: Record<WafDimension, string> = {
    clientIp: "client IPs", country: "countries", uri: "URIs", terminatingRule: "terminating rules",
    label: "labels", httpMethod: "methods", userAgent: "user agents",
};

function pct(n: number): string {
    return `${Number.isInteger(n) ? n : n.toFixed(2).replace(/0+$/, "").replace(/\.$/, "")}%`;
}

/** Values longer than this (URIs, user agents) are shortened in the text. */
export const TEXT_VALUE_LENGTH = 60;

function short(s: string): string {
    return s.length <= TEXT_VALUE_LENGTH ? s : `${s.slice(0, TEXT_VALUE_LENGTH - 1)}…`;
}

function list(values: TopValue[] | undefined, n: number): string {
    return (values ?? []).slice(0, n).map((v) => `${short(v.value)}${v.country ? ` [${v.country}]` : ""} ${v.count} (${pct(v.share)})`).join(", ");
}

function hhmm(iso: string): string {
    return iso.slice(11, 16);
}

/** One paragraph: what the logs or series show, or why there is no root cause. */
export function rootCauseText(rc: RootCause): string {
    if (rc.status === "unavailable") return `Root cause not available: ${rc.reason ?? "no reason given"}.`;
    const partial = rc.status === "partial" ? ` Partial: ${rc.reason}.` : "";
    const span = `${hhmm(rc.window.start)}–${hhmm(rc.window.end)} UTC`;
    if (rc.kind === "waf") {
        if (!rc.total) return `Root cause (WAF logs ${span}): ${rc.reason ?? "no matching requests"}.${partial}`;
        const parts = (["clientIp", "country", "uri", "label", "userAgent"] as const)
            .filter((d) => rc.top[d]?.length).map((d) => `${LABELS[d]} ${list(rc.top[d], TEXT_VALUES)}`);
        return `Root cause (WAF logs ${span}, ${rc.total} ${rc.measure} requests): ${parts.join("; ")}.${partial}`;
    }
    const ov = rc.orderValue;
    const of = ov && `the ${ov.checked} other order-value ${rc.direction === "above" ? "spike" : "drop"} alarms (total, watched platforms and marketplaces)`;
    if (ov) {
        return `Root cause (typical order value${rc.focus ? ` ${rc.focus.dimension}=${rc.focus.value} alarm` : ""}, ${span}): ${ov.inAlarm.length ? `${ov.inAlarm.length} of ${of} in ALARM: ${orderValueAlarmsText(rc)}` : `none of ${of} is in ALARM: the order-value change shows in this series only`}`
            + ". Not split into shares (a mean's deviation does not add up across platforms or marketplaces); order values and checkouts not broken down.";
    }
    const what = `${rc.metricName}${rc.focus ? ` ${rc.focus.dimension}=${rc.focus.value} alarm;` : ""}`;
    const read = rc.reads?.length ? ` Read at ${readsText(rc)}.` : "";
    if (!rc.dimensionContribution.length) return `Root cause (${what} ${span}): ${rc.reason ?? "no contributing value"}.${read}${partial}`;
    const by = rc.total ? ` ${rc.focus ? "total " : ""}${rc.direction} expected by ${Math.round(Math.abs(rc.total.deviation) * 100) / 100}` : "";
    const parts = rc.dimensionContribution.map((dc) => `${dc.dimensionName} ${dc.dimensionValueContributions.slice(0, TEXT_VALUES).map((v) => `${v.dimensionValue} ${pct(v.valueContribution)}`).join(", ")}`);
    return `Root cause (${what}${by}, ${span}): ${parts.join("; ")}.${read}${partial}`;
}

/**
 * `Platform=web 142.50 (upper 80.30); total 61.20 (lower 70.00)`: the order-value alarms in ALARM, values as
 * orderValueRootCause's caller read them (typical order values, 2 decimals; ASCII: the notice shows it).
 */
export function orderValueAlarmsText(rc: EcommerceRootCause): string {
    const r = (n: number) => n.toFixed(2);
    return rc.orderValue!.inAlarm.map((a) => `${a.dimension ? `${a.dimension}=${a.value}` : "total"}${a.observed === undefined ? "" : ` ${r(a.observed)}`}`
        + (a.edge === undefined ? "" : ` (${rc.direction === "above" ? "upper" : "lower"} ${r(a.edge)})`)).join("; ");
}



/**
 * How the breakdown was read, groups with the same period, band and window together:
 * `total 60 s, band width 3, 10:00-10:10 UTC; Platform, Marketplace 300 s, band width 3.5, 10:00-10:15 UTC` (ASCII: it is
 * shown in the notice too).
 */
export function readsText(rc: EcommerceRootCause): string {
    const by = new Map<string, string[]>();
    for (const r of rc.reads ?? []) {
        const k = `${r.periodSeconds} s, band width ${r.bandWidth}, ${hhmm(r.start)}-${hhmm(r.end)} UTC`;
        by.set(k, [...(by.get(k) ?? []), r.group]);
    }
    return [...by].map(([k, groups]) => `${groups.join(", ")} ${k}`).join("; ");
}

/** Product fields of the root cause (namespaced; the finding mapper adds them to its own). */
export function rootCauseProductFields(rc: RootCause): [string, string][] {
    const cut = (s: string) => (s.length <= MAX_VALUE ? s : `${s.slice(0, MAX_VALUE - 1)}…`);
    const out: [string, string][] = [[`${ROOT_CAUSE_PREFIX}status`, rc.status]];
    if (rc.reason) out.push([`${ROOT_CAUSE_PREFIX}reason`, cut(rc.reason)]);
    out.push([`${ROOT_CAUSE_PREFIX}window`, `${rc.window.start}/${rc.window.end}`]);
    if (rc.kind === "waf") {
        if (rc.logGroup) out.push([`${ROOT_CAUSE_PREFIX}logGroup`, rc.logGroup]);
        if (rc.total !== undefined) out.push([`${ROOT_CAUSE_PREFIX}${rc.measure}Requests`, String(rc.total)]);
        for (const [d, values] of Object.entries(rc.top) as [WafDimension, TopValue[]][]) {
            if (values.length) out.push([`${ROOT_CAUSE_PREFIX}${d}`, cut(values.map((v) => `${v.value}${v.country ? ` [${v.country}]` : ""}=${v.count} (${pct(v.share)})`).join(", "))]);
        }
    } else if (rc.orderValue) {
        out.push([`${ROOT_CAUSE_PREFIX}orderValueAlarmsChecked`, String(rc.orderValue.checked)]);
        if (rc.orderValue.inAlarm.length) out.push([`${ROOT_CAUSE_PREFIX}orderValueAlarms`, cut(orderValueAlarmsText(rc))]);
    } else {
        if (rc.total) out.push([`${ROOT_CAUSE_PREFIX}deviation`, `${Math.round(rc.total.deviation * 100) / 100} ${rc.direction} expected`]);
        if (rc.reads?.length) out.push([`${ROOT_CAUSE_PREFIX}reads`, readsText(rc)]);
        const signed = (d: string, v: string) => {
            const x = rc.series.find((y) => y.dimension === d && y.value === v);
            return x ? ` (${x.observed >= x.expected ? "+" : ""}${Math.round((x.observed - x.expected) * 100) / 100})` : "";
        };
        for (const dc of rc.dimensionContribution) {
            out.push([`${ROOT_CAUSE_PREFIX}contribution/${dc.dimensionName}`, cut(dc.dimensionValueContributions.map((v) => `${v.dimensionValue}=${pct(v.valueContribution)}${signed(dc.dimensionName, v.dimensionValue)}`).join(", "))]);
        }
    }
    return out;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * ASFF fields for a WAF root cause: `Network` (inbound, the top client IP as the source) and `Action`
 * (NETWORK_CONNECTION, inbound, blocked when the measure is blocked requests, the remote IP and its country).
 * Empty for ecommerce, or when no client IP was found.
 */
export function rootCauseAsff(rc: RootCause): { Network?: Network; Action?: Action } {
    if (rc.kind !== "waf") return {};
    const ip = rc.top.clientIp?.[0]?.value;
    if (!ip) return {};
    const v4 = IPV4.test(ip);
    if (!v4 && !(ip.includes(":") && IPV6.test(ip))) return {};
    const network: Network = { Direction: "IN", Protocol: "TCP", ...(v4 ? { SourceIpV4: ip } : { SourceIpV6: ip }) };
    if (!v4) return { Network: network };
    const country = rc.top.clientIp![0].country;
    return {
        Network: network,
        Action: {
            ActionType: "NETWORK_CONNECTION",
            NetworkConnectionAction: {
                ConnectionDirection: "IN",
                Protocol: "TCP",
                Blocked: rc.measure === "blocked",
                RemoteIpDetails: { IpAddressV4: ip, ...(country && COUNTRY.test(country) ? { Country: { CountryCode: country } } : {}) },
            },
        },
    };
}
