// Deliver stage, people: one short message per anomaly, published by the finding Lambda to the people topic
// (email, SMS, HTTPS, chat). Built from the ASFF finding alone, so whatever the map stage (and any enrichment)
// put into it shows here the same way:
//
//   what           the finding's Title and Severity label
//   how far out    Severity.Original ("10.69x outside the band") or the Lookout anomaly score, and, for CloudWatch
//                  alarms, the observed value against the band edges (edgeAnomaly/observedValue, bandLower/Upper),
//                  named by edgeAnomaly/valueUnit when the finding has one ("typical order value (geometric mean)"
//                  for an order-value child: e^x - 1 of the alarm's x; "A per B" for another ratio)
//   contributors   WAF: the root cause read from the WAF logs — top client IPs (with country), countries and URIs,
//                  each with its count and share of the window's blocked requests (edgeAnomaly/rootCause/...);
//                  otherwise the edgeAnomaly/contribution/<dimension>/<value> shares grouped by dimension (each
//                  share is within its dimension; largest 3 per dimension, at most 5 dimensions): Lookout's
//                  dimension contributions, or the ecommerce breakdown with each value's own deviation and the
//                  period/band/window it was read at
//                  typical order value (order-value alarms): no shares; the other series' own order-value alarms
//                  in ALARM, with value and band edge as typical order values, or that none is
//                  (edgeAnomaly/rootCause/orderValueAlarms[Checked])
//   fallback       a root cause that is partial or unavailable says so, with the reason: the anomaly is announced
//                  all the same
//   links          the finding in the Security Hub console, the detection dashboard
//
// Only ACTIVE findings of an ALARM (or a Lookout anomaly) are announced: OK, INSUFFICIENT_DATA, and an ALARM whose
// episode was over before it was filed never reach people. Plain functions; the SDK command is the only import.
import { PublishCommand } from "@aws-sdk/client-sns";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

import { consoleUrl } from "./asff";

export type SnsSender = Pick<SNSClient, "send">;

/** SNS Subject: ASCII, no line breaks, fewer than 100 characters (SNS Publish reference). */
export const MAX_SUBJECT_LENGTH = 99;
/** Dimensions listed in a message (Lookout, ecommerce breakdown), and values listed per dimension. */
export const MAX_CONTRIBUTORS = 5;
export const MAX_VALUES_PER_DIMENSION = 3;

export interface PeopleNotice {
    subject: string;
    message: string;
}

export interface NoticeLinks {
    /** The finding in the Security Hub console. */
    finding?: string;
    /** The detection dashboard. */
    dashboard?: string;
}

/** The Security Hub console page listing this finding (search by its Id), in the partition's console. */
export function findingConsoleUrl(s: { partition: string; region: string }, findingId: string): string {
    return consoleUrl(s.partition, s.region, `securityhub/home?region=${s.region}#/findings?search=${encodeURIComponent(`Id=\\operator\\:EQUALS\\:${findingId}`)}`);
}

/** WAF root-cause fields shown, with their label, and how many values of each. */
const WAF_FIELDS: [string, string][] = [["clientIp", "client IPs"], ["country", "countries"], ["uri", "URIs"]];
export const MAX_WAF_VALUES = 3;
const RC = "edgeAnomaly/rootCause/";

/**
 * The contributors line(s): WAF logs root cause with counts; else the shares grouped by dimension (each share is
 * within its own dimension), with each value's own deviation when the ecommerce breakdown gave it, and the
 * period, band and window the breakdown read; and the root cause's status.
 */
function contributorLines(pf: Record<string, string>): string[] {
    const status = pf[`${RC}status`];
    const waf = WAF_FIELDS.filter(([k]) => pf[`${RC}${k}`]).map(([k, label]) => `${label} ${pf[`${RC}${k}`].split(", ").slice(0, MAX_WAF_VALUES).join(", ")}`);
    const total = pf[`${RC}blockedRequests`] ?? pf[`${RC}countedRequests`];
    const measure = pf[`${RC}blockedRequests`] ? "blocked" : "counted";
    const dims = new Map<string, [string, number][]>();
    for (const [k, v] of Object.entries(pf)) {
        const m = /^edgeAnomaly\/contribution\/([^/]+)\/(.+)$/.exec(k);
        if (m && !/^(clientIp|country|uri)$/.test(m[1])) dims.set(m[1], [...(dims.get(m[1]) ?? []), [m[2], Number(v)]]);
    }
    const groups = [...dims].slice(0, MAX_CONTRIBUTORS).map(([d, values]) => `${d}: ${(pf[`${RC}contribution/${d}`]?.split(", ").map((x) => x.replace("=", " "))
        ?? values.sort((a, b) => b[1] - a[1]).map(([v, share]) => `${v} ${share}%`)).slice(0, MAX_VALUES_PER_DIMENSION).join(", ")}`);
    const deviation = pf[`${RC}deviation`];
    const checked = pf[`${RC}orderValueAlarmsChecked`];
    const ov = pf[`${RC}orderValueAlarms`];
    const orderValue = checked && `Typical order value elsewhere: ${ov ? `${ov.split("; ").length}` : "none"} of the ${checked} other series' alarms in ALARM${ov ? `: ${ov}` : ""}`;
    const lines = orderValue && !waf.length && !groups.length ? [orderValue] : [waf.length ? `Top contributors (WAF logs, ${total} ${measure} requests): ${waf.join("; ")}`
        : groups.length ? `Top contributors (share within each dimension${deviation ? `; total ${deviation}` : ""}): ${groups.join("; ")}` : "Top contributors: none in the alert"];
    if (pf[`${RC}reads`]) lines.push(`Breakdown read at each series' own alarm period and band: ${pf[`${RC}reads`]}`);
    if (status === "partial" || status === "unavailable") lines.push(`Root cause ${status}: ${pf[`${RC}reason`] ?? "no reason given"}`);
    return lines;
}

/** The message for one ACTIVE finding. */
export function peopleNotice(f: AwsSecurityFinding, links: NoticeLinks): PeopleNotice {
    const pf = f.ProductFields ?? {};
    const band = [pf["edgeAnomaly/bandLower"] && `lower ${pf["edgeAnomaly/bandLower"]}`, pf["edgeAnomaly/bandUpper"] && `upper ${pf["edgeAnomaly/bandUpper"]}`].filter(Boolean).join(", ");
    const unit = pf["edgeAnomaly/valueUnit"] ?? "value";
    const label = f.Severity?.Label ?? "ALERT";
    const lines = [
        `${label}: ${f.Title}`,
        `How far: ${pf["edgeAnomaly/anomalyScore"] ? `anomaly score ${pf["edgeAnomaly/anomalyScore"]} of 100` : f.Severity?.Original ?? "not stated"}${pf["edgeAnomaly/observedValue"] ? ` (${unit} ${pf["edgeAnomaly/observedValue"]}${band ? `; band ${band}` : ""})` : ""}`,
        `When: ${f.FirstObservedAt ?? f.CreatedAt}${f.LastObservedAt && f.LastObservedAt !== f.FirstObservedAt ? ` to ${f.LastObservedAt}` : ""}`,
        ...contributorLines(pf),
        ...(links.finding ? [`Finding: ${links.finding}`] : []),
        ...(links.dashboard ? [`Dashboard: ${links.dashboard}`] : []),
    ];
    const subject = `[${label}] ${f.Title ?? "anomaly"}`.replace(/[^\x20-\x7E]/g, "?");
    return { subject: subject.length > MAX_SUBJECT_LENGTH ? `${subject.slice(0, MAX_SUBJECT_LENGTH - 3)}...` : subject, message: lines.join("\n") };
}

/** Publishes the notice; returns the SNS MessageId. A failure propagates (the invocation fails and is retried). */
export async function publishNotice(sns: SnsSender, topicArn: string, n: PeopleNotice): Promise<string> {
    const out = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: n.subject, Message: n.message }));
    return out.MessageId ?? "";
}

/**
 * The same notice for a chat channel (Slack, Microsoft Teams) through Amazon Q Developer in chat applications
 * (formerly AWS Chatbot), which shows AWS service events and custom notifications only — not plain SNS text. A
 * custom notification (admin guide, "Custom notifications"): `version` "1.0" and `source` "custom" required;
 * `content.textType` "client-markdown" (the only one supported), `title`, `description`, `keywords`.
 */
export interface ChatNotification {
    version: "1.0";
    source: "custom";
    id?: string;
    content: { textType: "client-markdown"; title: string; description: string; keywords?: string[] };
}

export function chatNotification(n: PeopleNotice, f: Pick<AwsSecurityFinding, "Id" | "Severity" | "ProductFields">): ChatNotification {
    const keywords = [f.Severity?.Label, f.ProductFields?.["edgeAnomaly/category"]].filter((k): k is string => !!k);
    return {
        version: "1.0",
        source: "custom",
        ...(f.Id ? { id: f.Id } : {}),
        content: { textType: "client-markdown", title: n.subject, description: n.message.split("\n").slice(1).join("\n"), ...(keywords.length ? { keywords } : {}) },
    };
}

/** Where notices go: the people topic (email, SMS, HTTPS) and, when chat channels are configured, the chat topic. */
export interface NoticeTopics {
    people?: string;
    chat?: string;
}

/**
 * Publishes one notice to each configured topic (people first); returns the SNS MessageIds. A failure propagates:
 * the invocation fails and is retried, so a notice is delivered at least once (a retry may repeat one). No SNS
 * client (a people topic set without one) is a configuration error.
 */
export async function publishNotices(sns: SnsSender | undefined, topics: NoticeTopics, n: PeopleNotice, f: Pick<AwsSecurityFinding, "Id" | "Severity" | "ProductFields">): Promise<string[]> {
    if (!sns) throw new Error("finding Lambda: a people topic is set but no SNS client was given");
    const ids: string[] = [];
    if (topics.people) ids.push(await publishNotice(sns, topics.people, n));
    if (topics.chat) {
        const out = await sns.send(new PublishCommand({ TopicArn: topics.chat, Message: JSON.stringify(chatNotification(n, f)) }));
        ids.push(out.MessageId ?? "");
    }
    return ids;
}
