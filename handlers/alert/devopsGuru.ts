// The finding Lambda's DevOps Guru stage: an insight event from the EventBridge rule (components/devopsGuruInsights.ts,
// source aws.devops-guru) → one Security Hub finding per insight, and a short notice to people when the insight is
// new or its severity went up. Dispatched by the thin handler (handlers/securityHubFinding.ts); the mapping itself is
// handlers/devopsGuruInsight.ts (plain functions).
//
//   parse   parseInsightEvent: the documented EventBridge shape (open, severity upgraded, new anomaly or
//           recommendation, closed); a malformed event fails naming the field (Lambda retries, then the DLQ)
//   read    GetFindings by the insight's deterministic Id: what Security Hub holds
//   map     insightFinding: closed → ARCHIVED; a late open never reopens a closed insight; severity never goes down
//   notify  once per severity level reached while ACTIVE (edgeAnomaly/notifiedSeverity in the finding), never for a
//           closed insight: a redelivered event finds the level already announced and sends nothing
//   import  BatchImportFindings (FailedCount fails the invocation). The notice goes out before the import, so a failed
//           Publish imports nothing and the retry does both; a failed import after a sent notice repeats the notice on
//           retry (at least once, never lost).
import { findingConsoleUrl, PeopleNotice, publishNotices, MAX_SUBJECT_LENGTH } from "./notify";
import { AlertClients, AlertOutcome, importFindings } from "./deliver";
import { FindingSettings, PF } from "./asff";
import type { Logger } from "./log";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { existingFinding, insightFinding, insightFindingId, isDevOpsGuruEvent, parseInsightEvent, ParsedInsight } from "../devopsGuruInsight";

export { isDevOpsGuruEvent };

const SEVERITY_RANK: Readonly<Record<string, number>> = { LOW: 1, MEDIUM: 2, HIGH: 3 };
export const NOTIFIED_SEVERITY_FIELD = `${PF}notifiedSeverity`;

/** The people notice for an insight's finding: what, severity (and from what), when, where, what to do, links. */
export function insightNotice(f: AwsSecurityFinding, p: ParsedInsight, previousSeverity: string | undefined, links: { finding?: string; dashboard?: string }): PeopleNotice {
    const severity = String(f.ProductFields?.[`${PF}insightSeverity`] ?? p.severity);
    const label = f.Severity?.Label ?? "ALERT";
    const resources = (f.Resources ?? []).filter((r) => r.Type !== "Other").map((r) => r.Id).slice(0, 5);
    const lines = [
        `${label}: ${f.Title}`,
        previousSeverity ? `Severity: ${severity.toLowerCase()} (was ${previousSeverity.toLowerCase()})` : `Severity: ${severity.toLowerCase()} (new insight)`,
        `When: started ${p.startTime.toISOString()}`,
        `Resources: ${resources.length ? resources.join(", ") : "named in the insight"}`,
        `What to do: ${f.Remediation?.Recommendation?.Text ?? "open the insight"}`,
        `Insight: ${f.SourceUrl}`,
        ...(links.finding ? [`Finding: ${links.finding}`] : []),
        ...(links.dashboard ? [`Dashboard: ${links.dashboard}`] : []),
    ];
    const subject = `[${label}] ${f.Title ?? "DevOps Guru insight"}`.replace(/[^\x20-\x7E]/g, "?");
    return { subject: subject.length > MAX_SUBJECT_LENGTH ? `${subject.slice(0, MAX_SUBJECT_LENGTH - 3)}...` : subject, message: lines.join("\n") };
}

/** Whether this finding announces something people have not heard: ACTIVE, and a severity above the one announced. */
export function insightNeedsNotice(f: AwsSecurityFinding, existing: AwsSecurityFinding | undefined): boolean {
    if (f.RecordState !== "ACTIVE") return false;
    const now = SEVERITY_RANK[String(f.ProductFields?.[`${PF}insightSeverity`] ?? "")] ?? 0;
    const told = SEVERITY_RANK[String(existing?.ProductFields?.[NOTIFIED_SEVERITY_FIELD] ?? "")] ?? 0;
    return now > told;
}

/** One DevOps Guru EventBridge event through the stages. */
export async function devopsGuruAlert(event: unknown, clients: AlertClients, s: FindingSettings, deps: { now: () => Date; log: Logger }): Promise<AlertOutcome> {
    const p = parseInsightEvent(event);
    if (p.kind !== "devops-guru") {
        throw new Error(`DevOps Guru event ${p.deliveryId}: a resource-filter notice is not an insight (it comes by notification channel, which this stack does not create)`);
    }
    const client = clients.securityHub;
    const existing = await existingFinding(client, s, insightFindingId(p));
    const finding = insightFinding(p, s, deps.now(), existing);
    const notify = insightNeedsNotice(finding, existing) && !!s.peopleTopicArn;
    const told = existing?.ProductFields?.[NOTIFIED_SEVERITY_FIELD];
    const severity = String(finding.ProductFields![`${PF}insightSeverity`]);
    const notifiedSeverity = notify ? severity : told;
    if (notifiedSeverity) finding.ProductFields = { ...finding.ProductFields, [NOTIFIED_SEVERITY_FIELD]: notifiedSeverity };
    let notified: string[] | undefined;
    if (notify) {
        const previous = told ? String(told) : undefined;
        const notice = insightNotice(finding, p, previous, { finding: findingConsoleUrl(s, finding.Id!), dashboard: s.dashboardUrl });
        notified = await publishNotices(clients.sns, { people: s.peopleTopicArn, chat: s.chatTopicArn }, notice, finding);
    }
    const ids = await importFindings(client, [finding]);
    const recordState = finding.RecordState as "ACTIVE" | "ARCHIVED";
    const source = `devops-guru:${p.messageType}:${p.insightId}`;
    deps.log("info", recordState === "ARCHIVED" ? "imported DevOps Guru insight finding as ARCHIVED: the insight is closed" : "imported DevOps Guru insight finding", {
        source, findingIds: ids, severity, ...(notified ? { notified } : {}),
    });
    return { action: "imported", source, findingIds: ids, recordState, ...(notified ? { notified } : {}) };
}
