// Deliver stage: what a planned alert (handlers/alert/asff.ts) does in AWS. Security Hub: BatchImportFindings
// (chunks of 100; FailedCount > 0 is an error), the archive of an alarm's ACTIVE findings on OK (GetFindings by
// GeneratorId and CreatedAt), and the episode check of an ALARM (DescribeAlarms) before and after its import.
// People: one notice per ACTIVE anomaly finding on the people topic (handlers/alert/notify.ts).
//
// - `OK` notifications archive (RecordState ARCHIVED) the alarm's ACTIVE findings created up to the OK's
//   StateChangeTime (a late OK never archives a later episode). BatchImportFindings cannot change Workflow after
//   creation (customer field), so resolution is expressed the provider's way: ARCHIVED.
// - An `ALARM` is checked against the alarm's current state (DescribeAlarms) before it is filed: when the episode
//   is over (alarm OK, in a later ALARM episode, or deleted) — a retried or replayed delivery arriving after the
//   OK — the finding is imported already ARCHIVED, so nothing is left ACTIVE (or re-activated), and nobody is told.
// - Every AWS failure propagates (the invocation fails, Lambda retries, then the on-failure destination keeps
//   the event); the SDK clients retry throttling themselves (handlers/alert/retry.ts).
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { BatchImportFindingsCommand, GetFindingsCommand } from "@aws-sdk/client-securityhub";
import type { AwsSecurityFinding, SecurityHubClient } from "@aws-sdk/client-securityhub";

import { AlertPlan, archivedVersion, FindingSettings } from "./asff";
import type { Logger } from "./log";
import { findingConsoleUrl, peopleNotice, publishNotices, SnsSender } from "./notify";
import { ALERT_RETRY } from "./retry";
import type { LogsSender, Wafv2Sender } from "../enrich/wafRootCause";
import { arnParts, CloudWatchSender, ParsedAlarm, ParsedAlert } from "./parse";

export type { CloudWatchSender } from "./parse";

/** BatchImportFindings takes at most 100 findings per call. */
export const MAX_FINDINGS_PER_IMPORT = 100;
/** GetFindings pages read per OK (100 findings a page); beyond them the invocation fails (its retry archives the rest). */
export const MAX_ARCHIVE_PAGES = 10;
/** Attempts the SDK makes per call (throttling and 5xx are retried with backoff; handlers/alert/retry.ts). */
export const SECURITY_HUB_MAX_ATTEMPTS = ALERT_RETRY.maxAttempts;
export const CLOUDWATCH_MAX_ATTEMPTS = ALERT_RETRY.maxAttempts;
/**
 * Security Hub keeps a finding 90 days after its last update: the Start of the CreatedAt filter an OK archives
 * with (a DateFilter with both Start and End, as the API reference documents it).
 */
export const FINDING_RETENTION_DAYS = 90;
/**
 * An alarm whose state changed more than this after a notification's StateChangeTime is in a later episode.
 * CloudWatch evaluates an alarm at most every 10 s, so two transitions are never this close; the margin keeps a
 * rounding difference between the notification's and DescribeAlarms' timestamps from retiring a live episode.
 */
export const ALARM_TIME_TOLERANCE_MS = 1000;

/** What the function needs of the Security Hub client (tests pass a real client, stubbed or pointed locally). */
export type SecurityHubSender = Pick<SecurityHubClient, "send">;

export interface AlertClients {
    securityHub: SecurityHubSender;
    cloudWatch: CloudWatchSender;
    /** Publishes the people notices (needed when the settings name a people topic). */
    sns?: SnsSender;
    /** A CloudWatch client for another region's alarms (FindingSettings.alarmRegions). */
    cloudWatchFor?: (region: string) => CloudWatchSender;
    /** CloudWatch Logs for a region (the enrich stage's WAF log queries); without it no WAF root cause is looked for. */
    logsFor?: (region: string) => LogsSender;
    /** WAFv2 for a region (a watched ACL's logging configuration, when WAF_LOG_GROUPS does not name its group). */
    wafv2For?: (region: string) => Wafv2Sender;
}

export interface AlertOutcome {
    action: "imported" | "archived" | "skipped";
    source: string;
    findingIds: string[];
    /** Imported findings: ACTIVE, or ARCHIVED when the alarm episode was already over. */
    recordState?: "ACTIVE" | "ARCHIVED";
    reason?: string;
    /** SNS MessageIds of the people notices published for it. */
    notified?: string[];
}

/** BatchImportFindings in chunks of 100; any FailedCount is an error naming each failed finding. */
export async function importFindings(client: SecurityHubSender, findings: AwsSecurityFinding[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < findings.length; i += MAX_FINDINGS_PER_IMPORT) {
        const chunk = findings.slice(i, i + MAX_FINDINGS_PER_IMPORT);
        const out = await client.send(new BatchImportFindingsCommand({ Findings: chunk }));
        const failed = out.FailedCount ?? 0;
        if (failed > 0) {
            const detail = (out.FailedFindings ?? []).map((f) => `${f.Id}: ${f.ErrorCode}: ${f.ErrorMessage}`).join("; ");
            throw new Error(`BatchImportFindings rejected ${failed} of ${chunk.length} finding(s): ${detail || "no detail returned"}`);
        }
        ids.push(...chunk.map((f) => f.Id!));
    }
    return ids;
}

/**
 * The ACTIVE findings this product filed under a generator (an alarm ARN) created up to `until` (the OK's
 * StateChangeTime), up to MAX_ARCHIVE_PAGES pages; `more` when GetFindings had further pages. CreatedAt is checked
 * on the results too: a finding of a later episode must never be archived by this OK.
 */
export async function activeFindings(client: SecurityHubSender, s: FindingSettings, generatorId: string, until: Date): Promise<{ findings: AwsSecurityFinding[]; more: boolean }> {
    const found: AwsSecurityFinding[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_ARCHIVE_PAGES; page++) {
        const out = await client.send(new GetFindingsCommand({
            Filters: {
                ProductArn: [{ Value: s.productArn, Comparison: "EQUALS" }],
                AwsAccountId: [{ Value: s.accountId, Comparison: "EQUALS" }],
                GeneratorId: [{ Value: generatorId, Comparison: "EQUALS" }],
                RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
                CreatedAt: [{ Start: new Date(until.getTime() - FINDING_RETENTION_DAYS * 86_400_000).toISOString(), End: until.toISOString() }],
            },
            MaxResults: 100,
            NextToken: token,
        }));
        found.push(...(out.Findings ?? []).filter((f) => Date.parse(f.CreatedAt ?? "") <= until.getTime()));
        token = out.NextToken;
        if (!token) return { findings: found, more: false };
    }
    return { findings: found, more: true };
}

/**
 * Whether the ALARM episode a notification announces is over, from the alarm's current state: the alarm is
 * deleted, OK, or in ALARM since a later transition. Then the resolution to file the finding with; undefined
 * when the episode may be current (ALARM since this transition, or INSUFFICIENT_DATA: no recovery seen — the
 * next OK archives it). A DescribeAlarms failure propagates (the invocation retries).
 */
/** The CloudWatch client of the alarm's region (the function's own, or `cloudWatchFor` for another). */
export function cloudWatchForAlarm(clients: AlertClients, p: { notification: { AlarmArn: string } }, s: FindingSettings): CloudWatchSender {
    const region = p.notification.AlarmArn.split(":")[3];
    return region === s.region || !clients.cloudWatchFor ? clients.cloudWatch : clients.cloudWatchFor(region);
}

export async function episodeEnded(cw: CloudWatchSender, p: ParsedAlarm, s: FindingSettings, now: Date): Promise<{ resolvedAt: Date; reason: string } | undefined> {
    const n = p.notification;
    const region = arnParts(n.AlarmArn, "CloudWatch alarm AlarmArn").region;
    if (region !== s.region && !(s.alarmRegions ?? []).includes(region)) {
        throw new Error(`CloudWatch alarm ${n.AlarmArn} is in ${region}; this function reads alarm state in ${[s.region, ...(s.alarmRegions ?? [])].join(", ")}`);
    }
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [n.AlarmName], AlarmTypes: [p.composite ? "CompositeAlarm" : "MetricAlarm"] }));
    const alarm = ((p.composite ? out.CompositeAlarms : out.MetricAlarms) ?? []).find((a) => a.AlarmArn === n.AlarmArn);
    const episode = `superseded: the ALARM of ${p.stateChangeTime.toISOString()} was delivered after it ended`;
    if (!alarm) return { resolvedAt: now, reason: `${episode}; alarm ${n.AlarmName} no longer exists` };
    const since = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
    const at = since ? ` since ${since.toISOString()}` : "";
    if (alarm.StateValue === "OK") return { resolvedAt: since ?? now, reason: `${episode}; alarm ${n.AlarmName} is OK${at}` };
    if (alarm.StateValue === "ALARM" && since && since.getTime() > p.stateChangeTime.getTime() + ALARM_TIME_TOLERANCE_MS) {
        return { resolvedAt: since, reason: `${episode}; alarm ${n.AlarmName} is in a later ALARM episode${at}` };
    }
    return undefined;
}

/**
 * One notice per ACTIVE finding, to the people topic and (when chat channels are configured) the chat topic;
 * without an SNS client that is a configuration error.
 */
export async function notifyPeople(c: AlertClients, s: FindingSettings, topicArn: string, findings: AwsSecurityFinding[]): Promise<string[]> {
    const ids: string[] = [];
    for (const f of findings) {
        const notice = peopleNotice(f, { finding: findingConsoleUrl(s, f.Id!), dashboard: s.dashboardUrl });
        ids.push(...await publishNotices(c.sns, { people: topicArn, chat: s.chatTopicArn }, notice, f));
    }
    return ids;
}

export interface DeliverDeps {
    now: () => Date;
    log: Logger;
}

/**
 * Applies one plan. An import is checked against the alarm's state before it and again after it: an OK that
 * ran while the import was under way (throttled, retried) found nothing to archive, so a `late` end of the
 * episode archives the finding just imported (with an UpdatedAt newer than it, even within the same
 * millisecond); an OK later than the second look finds the finding. People hear of ACTIVE imports only.
 */
export async function deliverPlan(plan: AlertPlan, parsed: ParsedAlert, clients: AlertClients, s: FindingSettings, deps: DeliverDeps): Promise<AlertOutcome> {
    const { now, log } = deps;
    const client = clients.securityHub;
    if (plan.action === "import") {
        const alarm = parsed.kind === "cloudwatch" ? parsed : undefined;
        let ended = alarm && await episodeEnded(cloudWatchForAlarm(clients, alarm, s), alarm, s, now());
        const findings = ended ? plan.findings.map((f) => archivedVersion(f, ended!.resolvedAt, ended!.reason, now())) : plan.findings;
        const ids = await importFindings(client, findings);
        const late = !ended && alarm && (ended = await episodeEnded(cloudWatchForAlarm(clients, alarm, s), alarm, s, now()));
        if (late) await importFindings(client, findings.map((f) => archivedVersion(f, late.resolvedAt, late.reason, new Date(Math.max(now().getTime(), Date.parse(f.UpdatedAt!) + 1)))));
        const recordState = ended ? "ARCHIVED" : "ACTIVE";
        log("info", late ? "imported finding, then archived it: the alarm episode ended while it was filed" : ended ? "imported finding as ARCHIVED: alarm episode already over" : "imported finding",
            { source: plan.source, findingIds: ids, severity: plan.findings.map((f) => f.Severity?.Label), recordState, reason: ended ? ended.reason : undefined });
        const notified = !ended && s.peopleTopicArn ? await notifyPeople(clients, s, s.peopleTopicArn, findings) : undefined;
        if (notified) log("info", "notified people", { source: plan.source, topicArn: s.peopleTopicArn, messageIds: notified });
        return { action: "imported", source: plan.source, findingIds: ids, recordState, ...(ended ? { reason: ended.reason } : {}), ...(notified ? { notified } : {}) };
    }
    if (plan.action === "archive") {
        const active = await activeFindings(client, s, plan.generatorId, plan.resolvedAt);
        const ids = active.findings.length ? await importFindings(client, active.findings.map((f) => archivedVersion(f, plan.resolvedAt, plan.reason, now()))) : [];
        log("info", ids.length ? "archived findings: alarm is OK" : "alarm is OK and has no active finding to archive", { source: plan.source, findingIds: ids });
        if (active.more) {
            throw new Error(`GetFindings returned more than ${MAX_ARCHIVE_PAGES} pages of ACTIVE findings for ${plan.generatorId}: `
                + `archived ${ids.length}, others are still ACTIVE; failing so the retry archives the rest`);
        }
        return { action: "archived", source: plan.source, findingIds: ids, reason: plan.reason };
    }
    log("info", "skipped alert", { source: plan.source, reason: plan.reason });
    return { action: "skipped", source: plan.source, findingIds: [], reason: plan.reason };
}
