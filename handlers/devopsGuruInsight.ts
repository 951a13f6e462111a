// Amazon DevOps Guru insights → Security Hub findings. Plain functions (no client is created here): the finding
// Lambda's DevOps Guru stage (handlers/alert/devopsGuru.ts) hands them what it received.
//
// Two deliveries carry an insight, with the same fields (DevOps Guru user guide, "Working with Amazon EventBridge"
// and "Viewing notifications"):
//   - an EventBridge event, `source: aws.devops-guru`, `detail-type` one of "DevOps Guru New Insight Open",
//     "… Insight Severity Upgraded", "… Insight Closed", "… New Anomaly Association", "… New Recommendation Created";
//     the insight is in `detail` (times as strings of epoch milliseconds, metric dimensions as a list);
//   - an SNS notification (a DevOps Guru notification channel), the same document as the SNS `Message` (times as
//     numbers, dimensions as a JSON string), plus SELECTED_RESOURCE_FILTER_VALIDATION_FAILURE notices.
// The stack routes the EventBridge events to the finding Lambda; the notification document parser is kept (tested)
// for a team that adds a channel, but nothing deployed calls it.
//
// One finding per insight: Id `devops-guru/<region>/<account>/insight/<insightId>`, so the open event, every
// severity upgrade, new anomaly or recommendation, the close, and any redelivery of any of them update that one
// finding. CLOSED_INSIGHT files it with RecordState ARCHIVED. Deliveries are best effort and can arrive out of
// order, so before filing, the function reads the finding as it is (GetFindings by Id): an insight already closed
// stays ARCHIVED when a late open/upgrade arrives, and a severity never goes down within one insight.
import type { AwsSecurityFinding, Resource, SeverityLabel } from "@aws-sdk/client-securityhub";
import { GetFindingsCommand } from "@aws-sdk/client-securityhub";

import {
    boundedId, boundedProductFields, FindingSettings, MAX_DESCRIPTION_LENGTH, MAX_RECOMMENDATION_TEXT_LENGTH, MAX_RESOURCES, MAX_TITLE_LENGTH, PF, SCHEMA_VERSION, truncate,
} from "./alert/asff";
import type { SecurityHubSender } from "./alert/deliver";

export const DEVOPS_GURU_SOURCE = "aws.devops-guru";
export const DETAIL_TYPES: Readonly<Record<string, InsightMessageType>> = {
    "DevOps Guru New Insight Open": "NEW_INSIGHT",
    "DevOps Guru Insight Severity Upgraded": "SEVERITY_UPGRADED",
    "DevOps Guru Insight Closed": "CLOSED_INSIGHT",
    "DevOps Guru New Anomaly Association": "NEW_ASSOCIATION",
    "DevOps Guru New Recommendation Created": "NEW_RECOMMENDATION",
};
export type InsightMessageType = "NEW_INSIGHT" | "SEVERITY_UPGRADED" | "CLOSED_INSIGHT" | "NEW_ASSOCIATION" | "NEW_RECOMMENDATION";
export const MESSAGE_TYPES: readonly InsightMessageType[] = ["NEW_INSIGHT", "SEVERITY_UPGRADED", "CLOSED_INSIGHT", "NEW_ASSOCIATION", "NEW_RECOMMENDATION"];
export const FILTER_FAILURE = "SELECTED_RESOURCE_FILTER_VALIDATION_FAILURE";

export const INSIGHT_FINDING_TYPES = {
    REACTIVE: "Unusual Behaviors/Application/DevOps Guru Reactive Insight",
    PROACTIVE: "Unusual Behaviors/Application/DevOps Guru Proactive Insight",
    filter: "Software and Configuration Checks/AWS Security Best Practices/Alert Pipeline Health",
} as const;

/** DevOps Guru severities (`high`, `medium`, `low` in the events) on ASFF's scale, as the band alarms use it. */
export const INSIGHT_SEVERITY: Readonly<Record<"HIGH" | "MEDIUM" | "LOW", { Label: SeverityLabel; Normalized: number }>> = {
    HIGH: { Label: "HIGH", Normalized: 70 },
    MEDIUM: { Label: "MEDIUM", Normalized: 50 },
    LOW: { Label: "LOW", Normalized: 30 },
};

export interface InsightAnomaly {
    id: string;
    startTime?: Date;
    endTime?: Date;
    description?: string;
    severity?: string;
    /** `{ type: "AWS::RDS::DBInstance", name }` */
    resources: { type: string; name: string }[];
    associatedResourceArns: string[];
    /** CloudWatch metrics the anomaly is on: `AWS/RDS DBLoad {DBInstanceIdentifier=db-1}`. */
    metrics: string[];
}

export interface InsightRecommendation {
    name?: string;
    description?: string;
    reason?: string;
    link?: string;
}

export interface ParsedInsight {
    kind: "devops-guru";
    delivery: "eventbridge" | "sns";
    messageType: InsightMessageType;
    /** The EventBridge event id or the SNS message id (for the log). */
    deliveryId: string;
    /** When the event was sent (EventBridge `time` / SNS `Timestamp`), if known. */
    sentAt?: Date;
    accountId: string;
    region: string;
    insightId: string;
    insightName?: string;
    insightType: "REACTIVE" | "PROACTIVE";
    severity: "HIGH" | "MEDIUM" | "LOW";
    insightUrl?: string;
    insightDescription?: string;
    startTime: Date;
    endTime?: Date;
    anomalies: InsightAnomaly[];
    recommendations: InsightRecommendation[];
    stackNames: string[];
    tags: { appBoundaryKey: string; tagValues: string[] }[];
}

export interface ParsedFilterFailure {
    kind: "devops-guru-filter";
    delivery: "sns" | "eventbridge";
    deliveryId: string;
    sentAt?: Date;
    accountId: string;
    region: string;
    filterType: string;
    invalidResourceNames: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A parse error. Plain Error with `name` set (the serialized closure keeps the message). */
function fail(where: string, what: string, got: unknown): never {
    const e = new Error(`DevOps Guru insight: ${where} ${what} (got ${shown(got)})`);
    e.name = "AlertParseError";
    throw e;
}

function str(o: Obj, key: string, where: string): string {
    const v = o[key];
    return typeof v === "string" && v.trim() !== "" ? v : fail(`${where}${key}`, "must be a non-empty string", v);
}

function optStr(o: Obj, key: string): string | undefined {
    const v = o[key];
    return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

function list(v: unknown, where: string): unknown[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : fail(where, "must be a list when present", v);
}

/** Epoch milliseconds as a number or a string of digits (EventBridge), or an ISO-8601 instant. */
export function insightTime(v: unknown, where: string): Date {
    const ms = typeof v === "number" ? v : typeof v === "string" && /^\d{10,16}$/.test(v.trim()) ? Number(v) : typeof v === "string" ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) fail(where, "must be epoch milliseconds or an ISO-8601 time", v);
    return new Date(ms);
}

function optTime(o: Obj, key: string, iso: string, where: string): Date | undefined {
    if (o[key] !== undefined && o[key] !== null) return insightTime(o[key], `${where}${key}`);
    if (typeof o[iso] === "string") return insightTime(o[iso], `${where}${iso}`);
    return undefined;
}

function metricText(src: unknown): string | undefined {
    if (!isObj(src)) return undefined;
    const d = isObj(src.dataIdentifiers) ? src.dataIdentifiers : undefined;
    if (!d || typeof d.name !== "string") return undefined;
    let dims: { name: string; value: string }[] = [];
    if (Array.isArray(d.dimensions)) {
        dims = d.dimensions.filter(isObj).map((x) => ({ name: String(x.name ?? x.Name), value: String(x.value ?? x.Value) }));
    } else if (typeof d.dimensions === "string") {
        try {
            const parsed = JSON.parse(d.dimensions) as unknown;
            if (isObj(parsed)) dims = Object.entries(parsed).map(([name, value]) => ({ name, value: String(value) }));
        } catch {
            /* dimensions not JSON: the metric is still named */
        }
    }
    const ns = typeof d.namespace === "string" ? `${d.namespace} ` : "";
    return `${ns}${d.name}${dims.length ? ` {${dims.map((x) => `${x.name}=${x.value}`).join(", ")}}` : ""}`;
}

function parseAnomaly(a: unknown, where: string): InsightAnomaly {
    if (!isObj(a)) fail(where, "must be an object", a);
    const resources = list(a.anomalyResources ?? a.resources, `${where}.anomalyResources`).filter(isObj)
        .map((r) => ({ type: String(r.type ?? "Other"), name: String(r.name ?? "") })).filter((r) => r.name);
    // The documentation's examples spell both `associatedResourceArns` and `associatedResourceArn`.
    const arns = [...list(a.associatedResourceArns, `${where}.associatedResourceArns`), ...list(a.associatedResourceArn, `${where}.associatedResourceArn`)]
        .filter((x): x is string => typeof x === "string" && x.startsWith("arn:"));
    return {
        id: typeof a.id === "string" ? a.id : fail(`${where}.id`, "must be a string", a.id),
        startTime: optTime(a, "startTime", "startTimeISO", `${where}.`),
        endTime: optTime(a, "endTime", "endTimeISO", `${where}.`),
        description: optStr(a, "description"),
        severity: optStr(a, "anomalySeverity"),
        resources,
        associatedResourceArns: [...new Set(arns)],
        metrics: list(a.sourceDetails, `${where}.sourceDetails`).map(metricText).filter((x): x is string => !!x),
    };
}

/** Is this invocation event (or SNS message body) a DevOps Guru delivery? */
export function isDevOpsGuruEvent(e: unknown): boolean {
    return isObj(e) && e.source === DEVOPS_GURU_SOURCE && isObj(e.detail);
}

export function isDevOpsGuruNotification(body: unknown): boolean {
    return isObj(body) && typeof body.messageType === "string" && (MESSAGE_TYPES.includes(body.messageType as InsightMessageType) || body.messageType === FILTER_FAILURE)
        && (typeof body.insightId === "string" || body.messageType === FILTER_FAILURE);
}

/** Parses an EventBridge DevOps Guru event. */
export function parseInsightEvent(e: unknown): ParsedInsight | ParsedFilterFailure {
    if (!isDevOpsGuruEvent(e)) fail("event", `must have source ${DEVOPS_GURU_SOURCE} and a detail object`, e);
    const ev = e as Obj;
    const detail = ev.detail as Obj;
    const detailType = typeof ev["detail-type"] === "string" ? ev["detail-type"] : "";
    const byType = DETAIL_TYPES[detailType];
    const messageType = typeof detail.messageType === "string" ? detail.messageType : byType;
    if (!messageType) fail("detail-type", `must be one of ${Object.keys(DETAIL_TYPES).join(", ")}`, ev["detail-type"]);
    const sentAt = typeof ev.time === "string" ? insightTime(ev.time, "time") : undefined;
    return parseInsightDocument({ ...detail, messageType, accountId: detail.accountId ?? ev.account, region: detail.region ?? ev.region },
        "eventbridge", typeof ev.id === "string" ? ev.id : "event", sentAt);
}

/** Parses a DevOps Guru notification document (the SNS message body, or an EventBridge event's detail). */
export function parseInsightDocument(body: unknown, delivery: "eventbridge" | "sns", deliveryId: string, sentAt?: Date): ParsedInsight | ParsedFilterFailure {
    if (!isObj(body)) fail("notification", "must be an object", body);
    const w = "";
    const accountId = str(body, "accountId", w);
    if (!/^\d{12}$/.test(accountId)) fail("accountId", "must be a 12-digit account id", accountId);
    const region = str(body, "region", w);
    if (body.messageType === FILTER_FAILURE) {
        return {
            kind: "devops-guru-filter", delivery, deliveryId, sentAt, accountId, region,
            filterType: typeof body.ResourceFilterType === "string" ? body.ResourceFilterType : "unknown",
            invalidResourceNames: list(body.InvalidResourceNames, "InvalidResourceNames").map(String),
        };
    }
    const messageType = body.messageType as InsightMessageType;
    if (!MESSAGE_TYPES.includes(messageType)) fail("messageType", `must be one of ${MESSAGE_TYPES.join(", ")}`, body.messageType);
    const insightId = str(body, "insightId", w);
    const insightType = String(body.insightType ?? "").toUpperCase();
    if (insightType !== "REACTIVE" && insightType !== "PROACTIVE") fail("insightType", "must be REACTIVE or PROACTIVE", body.insightType);
    const severity = String(body.insightSeverity ?? "").toUpperCase();
    if (severity !== "HIGH" && severity !== "MEDIUM" && severity !== "LOW") fail("insightSeverity", "must be high, medium or low", body.insightSeverity);
    const startTime = optTime(body, "startTime", "startTimeISO", "");
    if (!startTime) fail("startTime", "is required", body.startTime);
    const rc = isObj(body.resourceCollection) ? body.resourceCollection : {};
    const cfn = isObj(rc.cloudFormation) ? rc.cloudFormation : {};
    const url = optStr(body, "insightUrl");
    return {
        kind: "devops-guru",
        delivery,
        messageType,
        deliveryId,
        sentAt,
        accountId,
        region,
        insightId,
        insightName: optStr(body, "insightName"),
        insightType,
        severity,
        insightUrl: url && url.startsWith("https://") ? url : undefined,
        insightDescription: optStr(body, "insightDescription"),
        startTime,
        endTime: optTime(body, "endTime", "endTimeISO", ""),
        anomalies: list(body.anomalies, "anomalies").map((a, i) => parseAnomaly(a, `anomalies[${i}]`)),
        recommendations: list(body.recommendations, "recommendations").filter(isObj).map((r) => ({
            name: optStr(r, "name"), description: optStr(r, "description"), reason: optStr(r, "reason"),
            link: optStr(r, "link")?.startsWith("https://") ? (r.link as string) : undefined,
        })),
        stackNames: list(cfn.stackNames, "resourceCollection.cloudFormation.stackNames").map(String),
        tags: list(rc.tags, "resourceCollection.tags").filter(isObj).map((t) => ({
            appBoundaryKey: String(t.appBoundaryKey ?? t.AppBoundaryKey ?? ""), tagValues: list(t.tagValues ?? t.TagValues, "tagValues").map(String),
        })),
    };
}

// ---- findings --------------------------------------------------------------------------------------------------

/** One finding per insight: the same Id for every event and redelivery about it. */
export function insightFindingId(p: Pick<ParsedInsight, "region" | "accountId" | "insightId">): string {
    return boundedId(`devops-guru/${p.region}/${p.accountId}/insight/${p.insightId}`);
}

/** ASFF resource type of a CloudFormation type / ARN DevOps Guru names. */
function resourceType(cfnType: string | undefined, arn?: string): string {
    const t = cfnType ?? "";
    if (t === "AWS::RDS::DBInstance" || (arn && /:rds:[^:]*:\d{12}:db:/.test(arn))) return "AwsRdsDbInstance";
    if (t === "AWS::RDS::DBCluster" || (arn && /:rds:[^:]*:\d{12}:cluster:/.test(arn))) return "AwsRdsDbCluster";
    if (t === "AWS::Lambda::Function" || (arn && /:lambda:/.test(arn))) return "AwsLambdaFunction";
    if (t === "AWS::DynamoDB::Table" || (arn && /:dynamodb:/.test(arn))) return "AwsDynamoDbTable";
    if (t === "AWS::SQS::Queue" || (arn && /:sqs:/.test(arn))) return "AwsSqsQueue";
    return "Other";
}

function partitionOf(arn: string | undefined, fallback: string): Resource["Partition"] {
    const p = arn?.split(":")[1];
    return (p === "aws" || p === "aws-cn" || p === "aws-us-gov" ? p : fallback) as Resource["Partition"];
}

/**
 * The finding for an insight event. `existing` is the finding as Security Hub has it (GetFindings by Id), if any:
 * a closed insight stays ARCHIVED and the severity never goes down; `now` is the UpdatedAt.
 */
export function insightFinding(p: ParsedInsight, s: FindingSettings, now: Date, existing?: AwsSecurityFinding): AwsSecurityFinding {
    if (p.accountId !== s.accountId) {
        const e = new Error(`DevOps Guru insight ${p.insightId} is for account ${p.accountId}; this function files findings for ${s.accountId}`);
        e.name = "AlertParseError";
        throw e;
    }
    const previous = existing?.ProductFields ?? {};
    const closedBefore = existing?.RecordState === "ARCHIVED" && previous[`${PF}insightStatus`] === "CLOSED";
    const closed = p.messageType === "CLOSED_INSIGHT" || closedBefore;
    const order = ["LOW", "MEDIUM", "HIGH"];
    const previousSeverity = String(previous[`${PF}insightSeverity`] ?? "");
    const severityKey = (order.indexOf(previousSeverity) > order.indexOf(p.severity) ? previousSeverity : p.severity) as "HIGH" | "MEDIUM" | "LOW";
    const sev = INSIGHT_SEVERITY[severityKey];
    const endTime = p.endTime ?? (closedBefore && previous[`${PF}endTime`] ? new Date(String(previous[`${PF}endTime`])) : undefined);
    const kind = p.insightType === "REACTIVE" ? "reactive" : "proactive";
    const what = p.insightName ?? p.insightDescription ?? p.insightId;
    const url = p.insightUrl ?? `https://${p.region}.console.aws.amazon.com/devops-guru/insight/${kind}/${encodeURIComponent(p.insightId)}`;
    const resources: Resource[] = [];
    const seen = new Set<string>();
    const add = (r: Resource) => {
        if (seen.has(r.Id!) || resources.length >= MAX_RESOURCES) return;
        seen.add(r.Id!);
        resources.push(r);
    };
    for (const a of p.anomalies) {
        for (const arn of a.associatedResourceArns) add({ Type: resourceType(undefined, arn), Id: arn, Partition: partitionOf(arn, s.partition), Region: arn.split(":")[3] || p.region });
        for (const r of a.resources) {
            // The same resource by name and by ARN (`…:db:orders-db`) is one resource.
            if (a.associatedResourceArns.some((arn) => arn.endsWith(`:${r.name}`) && resourceType(undefined, arn) === resourceType(r.type))) continue;
            add({ Type: resourceType(r.type), Id: r.name, Partition: s.partition as Resource["Partition"], Region: p.region, Details: { Other: { cloudFormationType: r.type } } });
        }
    }
    add({
        Type: "Other", Id: truncate(url, 512), Partition: s.partition as Resource["Partition"], Region: p.region,
        Details: { Other: { insightId: truncate(p.insightId, 1024), insightType: p.insightType, ...(p.stackNames.length ? { stacks: truncate(p.stackNames.join(","), 1024) } : {}) } },
    });
    const anomalies = p.anomalies.map((a) => `${a.description ?? a.metrics[0] ?? a.id}${a.resources.length ? ` on ${a.resources.map((r) => r.name).join(", ")}` : ""}`);
    const recommendations = p.recommendations.filter((r) => r.name || r.description);
    const status = closed ? `closed${endTime ? ` at ${endTime.toISOString()}` : ""}` : "ongoing";
    const description = `Amazon DevOps Guru ${kind} insight ${JSON.stringify(what)} (severity ${severityKey.toLowerCase()}), started ${p.startTime.toISOString()}, ${status}.`
        + (p.insightDescription && p.insightDescription !== what ? ` ${p.insightDescription.replace(/\s+/g, " ").replace(/([^.!?])$/, "$1.")}` : "")
        + (anomalies.length ? ` Anomalies: ${anomalies.join("; ")}.` : "")
        + (recommendations.length ? ` Recommendations: ${recommendations.map((r) => r.name ?? r.description).join("; ")}.` : "")
        + (p.stackNames.length ? ` Stacks: ${p.stackNames.join(", ")}.` : "")
        + (p.tags.length ? ` Tags: ${p.tags.map((t) => `${t.appBoundaryKey}=${t.tagValues.join("|")}`).join(", ")}.` : "");
    const rec = recommendations[0];
    const recommendation = rec
        ? `${rec.name ?? ""}${rec.name && rec.description ? ": " : ""}${rec.description ?? ""}${rec.reason ? ` (${rec.reason})` : ""}`
        : "Open the insight in the DevOps Guru console: its anomalies, related events and recommendations say what changed and what to check.";
    const type = INSIGHT_FINDING_TYPES[p.insightType];
    const createdAt = existing?.CreatedAt ? new Date(existing.CreatedAt) : p.startTime;
    const ownPrevious = Object.entries(previous).filter(([k]) => !k.startsWith("aws/"));
    const fields = boundedProductFields([
        [`${PF}engine`, "devops-guru"],
        [`${PF}insightId`, p.insightId],
        [`${PF}insightType`, p.insightType],
        [`${PF}insightSeverity`, severityKey],
        [`${PF}insightStatus`, closed ? "CLOSED" : "ONGOING"],
        [`${PF}lastMessageType`, p.messageType],
        [`${PF}lastDelivery`, `${p.delivery}:${p.deliveryId}`],
        [`${PF}startTime`, p.startTime.toISOString()],
        [`${PF}endTime`, endTime?.toISOString()],
        [`${PF}anomalyCount`, p.anomalies.length || (previous[`${PF}anomalyCount`] as string | undefined)],
        [`${PF}stacks`, p.stackNames.join(",") || undefined],
        ...(closed ? [[`${PF}resolution`, `DevOps Guru closed the insight${endTime ? ` at ${endTime.toISOString()}` : ""}`] as [string, string]] : []),
        ...ownPrevious.filter(([k]) => k.startsWith(`${PF}recommendation/`)),
        ...recommendations.slice(0, 5).map((r, i): [string, string] => [`${PF}recommendation/${i + 1}`, `${r.name ?? ""} ${r.link ?? ""}`.trim()]),
    ]);
    return {
        SchemaVersion: SCHEMA_VERSION,
        Id: insightFindingId(p),
        ProductArn: s.productArn,
        GeneratorId: `devops-guru/${p.region}/${p.accountId}/${kind}-insights`,
        AwsAccountId: s.accountId,
        Types: [type],
        CreatedAt: createdAt.toISOString(),
        UpdatedAt: now.toISOString(),
        FirstObservedAt: p.startTime.toISOString(),
        LastObservedAt: (endTime ?? (p.sentAt && p.sentAt > p.startTime ? p.sentAt : p.startTime)).toISOString(),
        Severity: { Label: sev.Label, Normalized: sev.Normalized, Original: severityKey.toLowerCase() },
        FindingProviderFields: { Severity: { Label: sev.Label, Original: severityKey.toLowerCase() }, Types: [type] },
        Title: truncate(`DevOps Guru ${kind} insight: ${what}`, MAX_TITLE_LENGTH),
        Description: truncate(description, MAX_DESCRIPTION_LENGTH),
        Resources: resources,
        ProductFields: fields,
        Remediation: { Recommendation: { Text: truncate(recommendation, MAX_RECOMMENDATION_TEXT_LENGTH), Url: rec?.link ?? url } },
        SourceUrl: url,
        RecordState: closed ? "ARCHIVED" : "ACTIVE",
    };
}

/** A resource filter that covers nothing: DevOps Guru analyses nothing for this stack until it is fixed. */
export function filterFailureFinding(p: ParsedFilterFailure, s: FindingSettings, now: Date): AwsSecurityFinding {
    const names = p.invalidResourceNames.join(", ") || "(not named)";
    const type = INSIGHT_FINDING_TYPES.filter;
    return {
        SchemaVersion: SCHEMA_VERSION,
        Id: boundedId(`devops-guru/${p.region}/${p.accountId}/resource-filter/${p.filterType}/${names}`),
        ProductArn: s.productArn,
        GeneratorId: `devops-guru/${p.region}/${p.accountId}/resource-filter`,
        AwsAccountId: s.accountId,
        Types: [type],
        CreatedAt: (p.sentAt ?? now).toISOString(),
        UpdatedAt: now.toISOString(),
        Severity: { Label: "MEDIUM", Normalized: 50, Original: p.filterType },
        FindingProviderFields: { Severity: { Label: "MEDIUM", Original: p.filterType }, Types: [type] },
        Title: truncate(`DevOps Guru resource filter covers no resources: ${names}`, MAX_TITLE_LENGTH),
        Description: truncate(`DevOps Guru reported that its ${p.filterType} resource filter (${names}) matches no resources in ${p.region}, so it analyses nothing there. `
            + "Tag the RDS resources with the configured key and value (sources.devopsGuru.tagKey / tagValues) or list stacks that contain them.", MAX_DESCRIPTION_LENGTH),
        Resources: [{ Type: "Other", Id: `devops-guru/${p.region}/${p.accountId}/resource-collection`, Partition: s.partition as Resource["Partition"], Region: p.region }],
        ProductFields: boundedProductFields([[`${PF}engine`, "devops-guru"], [`${PF}filterType`, p.filterType], [`${PF}invalidResourceNames`, names]]),
        RecordState: "ACTIVE",
    };
}

/** The finding with this Id as Security Hub has it (this product only), or undefined. */
export async function existingFinding(client: SecurityHubSender, s: FindingSettings, id: string): Promise<AwsSecurityFinding | undefined> {
    const out = await client.send(new GetFindingsCommand({
        Filters: { ProductArn: [{ Value: s.productArn, Comparison: "EQUALS" }], Id: [{ Value: id, Comparison: "EQUALS" }] },
        MaxResults: 1,
    }));
    return out.Findings?.[0];
}
