// WAF root cause at alert time: who was blocked, from where, for what — read from the web ACL's WAF logs in
// CloudWatch Logs with Logs Insights over the anomaly window. Called by the finding Lambda's "enrich" stage.
//
// Interface (what the caller passes and gets):
//
//   const result = await wafRootCause(
//       { acl: { name, scope, region, arn? }, rule: "AWSManagedRulesCommonRuleSet" | "ALL", ruleAction?: "block" | "count",
//         window: alarmWindow({ stateChangeTime, periodSeconds, evaluationPeriods }) },
//       { logs: (region) => new CloudWatchLogsClient(...), wafv2?: (region) => new WAFV2Client(...),
//         logGroups: wafLogGroupsFromEnv(process.env), deadlineMs: Date.now() + 20_000 });
//
//   result.status: "complete" | "partial" | "unavailable" (never a throw for a missing log group, an ACL that
//   logs to S3/Firehose, a denied or throttled call, or a query timeout — `reason` says why).
//   result.total: blocked (or, for a count rule, counted) requests in the window, per the logs.
//   result.top.clientIp / country / uri / terminatingRule / label / httpMethod / userAgent: [{ value, count, share }],
//   share in % of `total`, largest first (labels and user agents: a request may carry several labels or none).
//   wafContributions(result) turns `top` into the L4M `dimensionContribution` shape the finding already maps.
//   wafRootCauseStatements({ logGroupArns, webAclArns }) are the IAM statements the finding role needs.
//   wafRequestFromAlarm({ dimensions, stateChangeTime, periodSeconds, evaluationPeriods, ... }) builds the request
//   from a WAF alarm's metric dimensions (WebACL, Rule, Region) and timing.
//
// Which log group: the caller's map (`WAF_LOG_GROUPS` env var, JSON `{ "<web ACL ARN or name>": "aws-waf-logs-…" }`,
// for the project's own web ACL whose group the program creates); else, when the ACL ARN is known and a WAFv2
// client factory is given, WAFv2 GetLoggingConfiguration on the ARN (a CloudWatch Logs destination is used, an
// S3 bucket or Firehose stream is reported as "unavailable"). WAF requires destination names to start with
// `aws-waf-logs-`; CLOUDFRONT web ACLs are global and their WAFv2 calls and log groups are in us-east-1.
//
// Queries (Logs Insights; one per dimension plus the total, at most `maxConcurrentQueries` running at once —
// the account shares 30 concurrent queries, dashboards included): the scope filter selects the requests the
// alarm counted —
//   Rule=ALL:            action = "BLOCK"
//   a blocking rule:     action = "BLOCK" and terminatingRuleId = "<rule>"
//   a counting rule:     the rule in nonTerminatingMatchingRules with action COUNT (unnest of the parsed record)
// then `stats count(*) as requests by <field> | sort requests desc | limit N`. Labels and the User-Agent header
// are lists in the record (`labels[].name`, `httpRequest.headers[].{name,value}`): `jsonParse(@message)` and
// `unnest` flatten them. The header name is matched as "User-Agent" or "user-agent" (HTTP/1.1 and HTTP/2 spellings).
//
// Bounded wait: GetQueryResults is polled with backoff until every query completes or `deadlineMs`; then the
// unfinished queries are stopped (StopQuery) and their partial rows kept, status "partial" with the reason.
// Plain functions and SDK commands only: the finding Lambda's archive carries this file as-is.
import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { CloudWatchLogsClient, ResultField } from "@aws-sdk/client-cloudwatch-logs";
import { GetLoggingConfigurationCommand } from "@aws-sdk/client-wafv2";
import type { WAFV2Client } from "@aws-sdk/client-wafv2";

import type { L4mDimensionContribution } from "../alertEvents";

// ---- interface ---------------------------------------------------------------------------------------------------

export type WafScope = "REGIONAL" | "CLOUDFRONT";

export interface WafAclRef {
    name: string;
    scope: WafScope;
    /** The region of the ACL's metrics and API (us-east-1 for CLOUDFRONT). */
    region: string;
    /** `arn:aws:wafv2:REGION:ACCOUNT:regional|global/webacl/NAME/ID`, when known (needed for GetLoggingConfiguration). */
    arn?: string;
}

export interface TimeWindow {
    start: Date;
    end: Date;
}

export interface WafRootCauseRequest {
    acl: WafAclRef;
    /** The alarm's `Rule` dimension: the rule's metric name, or "ALL" for the web ACL's total. */
    rule: string;
    /**
     * The rule's name in the logs (`terminatingRuleId`) when it differs from its metric name (this project names
     * both the same; a watched ACL may not).
     */
    ruleName?: string;
    /** "count" for a rule whose action is Count: its matches are counted, not blocked. Default "block". */
    ruleAction?: "block" | "count";
    window: TimeWindow;
    /** Values per dimension (default 10). */
    topN?: number;
}

export type WafDimension = "clientIp" | "country" | "uri" | "terminatingRule" | "label" | "httpMethod" | "userAgent";
export const WAF_DIMENSIONS: readonly WafDimension[] = ["clientIp", "country", "uri", "terminatingRule", "label", "httpMethod", "userAgent"];

export interface TopValue {
    value: string;
    /** Client IPs: the country WAF resolved for the IP (`httpRequest.country`). */
    country?: string;
    count: number;
    /** Percentage (0–100) of the window's blocked (or counted) requests. */
    share: number;
}

export interface WafRootCause {
    kind: "waf";
    status: "complete" | "partial" | "unavailable";
    /** Why the result is partial or unavailable (or, when complete, a note such as "no matching log records"). */
    reason?: string;
    acl: WafAclRef;
    rule: string;
    /** What was counted: blocked requests, or requests the (count-action) rule matched. */
    measure: "blocked" | "counted";
    window: { start: string; end: string };
    logGroup?: string;
    /** Where the log group came from. */
    logGroupSource?: "configured" | "logging-configuration";
    total?: number;
    top: Partial<Record<WafDimension, TopValue[]>>;
    /** Dimensions (or the total) without a complete answer, and why. */
    incomplete: { dimension: WafDimension | "total"; reason: string }[];
    queries: { dimension: WafDimension | "total"; queryId?: string; status: string }[];
}

export type LogsSender = Pick<CloudWatchLogsClient, "send">;
export type Wafv2Sender = Pick<WAFV2Client, "send">;

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface WafRootCauseDeps {
    /** A CloudWatch Logs client for a region (the log group's). */
    logs: (region: string) => LogsSender;
    /** A WAFv2 client for a region (the ACL's); without it only `logGroups` is used. */
    wafv2?: (region: string) => Wafv2Sender;
    /** Known log groups: key = web ACL ARN or name, value = log group name or ARN. */
    logGroups?: Record<string, string>;
    /** Epoch ms by which the result must be ready. Default: now + DEFAULT_BUDGET_MS. */
    deadlineMs?: number;
    maxConcurrentQueries?: number;
    clock?: Clock;
}

export const DEFAULT_TOP_N = 10;
export const DEFAULT_BUDGET_MS = 20_000;
export const DEFAULT_MAX_CONCURRENT_QUERIES = 4;
/** GetQueryResults backoff: first wait, growth factor, longest wait. */
export const POLL = { firstMs: 250, factor: 1.6, maxMs: 2_000 } as const;
/** WAF requires every logging destination's name to start with this. */
export const WAF_LOG_PREFIX = "aws-waf-logs-";
/** WAFv2 rule names (and so terminatingRuleId values): `^[\w\-]+$`, 1–128 characters. */
const RULE_NAME = /^[\w-]{1,128}$/;

// ---- window ------------------------------------------------------------------------------------------------------

/**
 * The anomaly window of an alarm: the evaluation periods ending at the state change, period-aligned (the
 * alarm's datapoints start on period boundaries), up to the state change itself. When the alarm reason names the
 * breaching datapoints, pass their start times: the window is then from the earliest to the end of the latest.
 */
export function alarmWindow(a: { stateChangeTime: Date; periodSeconds: number; evaluationPeriods: number; datapointTimes?: Date[] }): TimeWindow {
    const p = a.periodSeconds * 1000;
    if (!(p > 0) || !(a.evaluationPeriods >= 1)) throw new Error(`alarmWindow: period ${a.periodSeconds} s and ${a.evaluationPeriods} evaluation periods must be positive`);
    const end = a.stateChangeTime.getTime();
    const points = (a.datapointTimes ?? []).map((d) => d.getTime()).filter((t) => Number.isFinite(t) && t <= end);
    if (points.length) return { start: new Date(Math.min(...points)), end: new Date(Math.min(end, Math.max(...points) + p)) };
    return { start: new Date(Math.floor(end / p) * p - a.evaluationPeriods * p), end: new Date(end) };
}

// ---- queries -----------------------------------------------------------------------------------------------------

export interface WafQuery {
    dimension: WafDimension | "total";
    queryString: string;
    /** The result field holding the dimension value (absent for the total). */
    field?: string;
    /** A second group-by field carried along (the client IP's country). */
    extra?: string;
}

/** The Logs Insights queries for a request (pure). Throws for a rule name WAF would not accept. */
export function wafQueries(req: WafRootCauseRequest): WafQuery[] {
    const topN = req.topN ?? DEFAULT_TOP_N;
    if (!Number.isInteger(topN) || topN < 1 || topN > 1000) throw new Error(`WAF root cause: topN ${topN} must be a whole number 1–1000`);
    const all = req.rule === "ALL";
    const ruleName = req.ruleName ?? req.rule;
    if (!all && !RULE_NAME.test(ruleName)) throw new Error(`WAF root cause: rule ${JSON.stringify(ruleName)} is not a WAF rule name (letters, digits, _ and -)`);
    const counting = !all && req.ruleAction === "count";
    // `scope` selects the requests; `parse` is set when the record must be parsed (unnest needs a LIST).
    const scope = counting
        ? `fields jsonParse(@message) as record | unnest record.nonTerminatingMatchingRules into matched | filter matched.ruleId = "${ruleName}" and matched.action = "COUNT"`
        : all ? `filter action = "BLOCK"` : `filter action = "BLOCK" and terminatingRuleId = "${ruleName}"`;
    const parsed = counting ? scope : `${scope} | fields jsonParse(@message) as record`;
    const top = (field: string) => `stats count(*) as requests by ${field} | sort requests desc | limit ${topN}`;
    const queries: WafQuery[] = [
        { dimension: "total", queryString: `${scope} | stats count(*) as requests` },
        { dimension: "clientIp", field: "httpRequest.clientIp", extra: "httpRequest.country", queryString: `${scope} | ${top("httpRequest.clientIp, httpRequest.country")}` },
        { dimension: "country", field: "httpRequest.country", queryString: `${scope} | ${top("httpRequest.country")}` },
        { dimension: "uri", field: "httpRequest.uri", queryString: `${scope} | ${top("httpRequest.uri")}` },
        { dimension: "terminatingRule", field: "terminatingRuleId", queryString: `${scope} | ${top("terminatingRuleId")}` },
        { dimension: "label", field: "label.name", queryString: `${parsed} | unnest record.labels into label | ${top("label.name")}` },
        { dimension: "httpMethod", field: "httpRequest.httpMethod", queryString: `${scope} | ${top("httpRequest.httpMethod")}` },
        {
            dimension: "userAgent", field: "header.value",
            queryString: `${parsed} | unnest record.httpRequest.headers into header | filter header.name in ["User-Agent", "user-agent"] | ${top("header.value")}`,
        },
    ];
    // A blocking rule terminates every request it selects: its terminating-rule breakdown is the rule itself.
    return !all && !counting ? queries.filter((q) => q.dimension !== "terminatingRule") : queries;
}

// ---- log group -----------------------------------------------------------------------------------------------------

export interface LogGroupRef {
    name: string;
    region: string;
    arn?: string;
    source: "configured" | "logging-configuration";
}

export type LogGroupLookup = { found: LogGroupRef } | { unavailable: string };

const LOG_GROUP_ARN = /^arn:(aws[a-z-]*):logs:([a-z0-9-]+):(\d{12}):log-group:([^:*]+)(?::\*)?$/;

/** `WAF_LOG_GROUPS`: JSON object, web ACL ARN or name → log group name or ARN. Missing → empty; malformed → error naming it. */
export function wafLogGroupsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
    const raw = env.WAF_LOG_GROUPS?.trim();
    if (!raw) return {};
    let v: unknown;
    try {
        v = JSON.parse(raw);
    } catch (e) {
        throw new Error(`finding Lambda: WAF_LOG_GROUPS is not JSON (${(e as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === "string" && x.length > 0)) {
        throw new Error("finding Lambda: WAF_LOG_GROUPS must be a JSON object of web ACL ARN or name -> log group name");
    }
    return v as Record<string, string>;
}

function errorName(e: unknown): string {
    const x = e as { name?: string; Code?: string; __type?: string };
    return x?.name ?? x?.Code ?? "Error";
}

/**
 * `Name: message` of an SDK (or any) error, just the message for a plain Error: a root cause's reason. One for the
 * alert path (./ecommerceRootCause.ts and handlers/alert/enrich.ts use it too).
 */
export function errorText(e: unknown): string {
    const name = errorName(e);
    return `${name === "Error" ? "" : `${name}: `}${(e as Error)?.message ?? String(e)}`;
}

function groupRef(value: string, defaultRegion: string, source: LogGroupRef["source"]): LogGroupRef {
    const m = LOG_GROUP_ARN.exec(value);
    return m ? { name: m[4], region: m[2], arn: `arn:${m[1]}:logs:${m[2]}:${m[3]}:log-group:${m[4]}`, source } : { name: value, region: defaultRegion, source };
}

/** Finds the ACL's CloudWatch Logs log group, or says why there is none. Never throws. */
export async function findWafLogGroup(acl: WafAclRef, deps: Pick<WafRootCauseDeps, "wafv2" | "logGroups">): Promise<LogGroupLookup> {
    const configured = (acl.arn && deps.logGroups?.[acl.arn]) || deps.logGroups?.[acl.name];
    if (configured) return { found: groupRef(configured, acl.region, "configured") };
    if (!acl.arn) return { unavailable: `no log group is configured for web ACL ${acl.name} and its ARN is not known, so its logging configuration cannot be read` };
    if (!deps.wafv2) return { unavailable: `no log group is configured for web ACL ${acl.name} (${acl.arn})` };
    const arnRegion = acl.arn.split(":")[3] || acl.region;
    let destinations: string[];
    try {
        const out = await deps.wafv2(arnRegion).send(new GetLoggingConfigurationCommand({ ResourceArn: acl.arn }));
        destinations = out.LoggingConfiguration?.LogDestinationConfigs ?? [];
    } catch (e) {
        if (errorName(e) === "WAFNonexistentItemException") return { unavailable: `web ACL ${acl.name} has no logging configuration (WAF logging is off)` };
        return { unavailable: `could not read the logging configuration of web ACL ${acl.name}: ${errorText(e)}` };
    }
    const group = destinations.find((d) => LOG_GROUP_ARN.test(d));
    if (group) return { found: groupRef(group, arnRegion, "logging-configuration") };
    const where = destinations.map((d) => (d.includes(":s3:") ? `S3 bucket ${d}` : d.includes(":firehose:") ? `Firehose delivery stream ${d}` : d)).join(", ");
    return { unavailable: `web ACL ${acl.name} logs to ${where || "no destination"}, not to CloudWatch Logs: Logs Insights cannot query it` };
}

// ---- running the queries ----------------------------------------------------------------------------------------------

interface Running {
    q: WafQuery;
    queryId: string;
    status: string;
    rows: ResultField[][];
}

function rowsToTop(rows: ResultField[][], field: string, total: number | undefined, extra?: string): TopValue[] {
    const out: TopValue[] = [];
    for (const row of rows) {
        const get = (f: string) => row.find((c) => c.field === f)?.value;
        const count = Number(get("requests"));
        if (!Number.isFinite(count)) continue;
        const value = get(field) ?? "(none)";
        const country = extra ? get(extra) : undefined;
        out.push({ value, ...(country ? { country } : {}), count, share: total && total > 0 ? Math.round((count / total) * 10000) / 100 : 0 });
    }
    return out.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

/**
 * The root cause of a WAF anomaly. Never throws for AWS-side trouble (missing log group, no CloudWatch Logs
 * destination, access denied, throttling, query failure or timeout): the result says what is missing and why.
 * Throws only for a request that could never work (a malformed rule name, an empty window).
 */
export async function wafRootCause(req: WafRootCauseRequest, deps: WafRootCauseDeps): Promise<WafRootCause> {
    const clock = deps.clock ?? realClock;
    const startedAt = clock.now();
    const deadline = deps.deadlineMs ?? startedAt + DEFAULT_BUDGET_MS;
    const maxConcurrent = Math.max(1, deps.maxConcurrentQueries ?? DEFAULT_MAX_CONCURRENT_QUERIES);
    if (!(req.window.end.getTime() > req.window.start.getTime())) throw new Error(`WAF root cause: window ${req.window.start.toISOString()} – ${req.window.end.toISOString()} is empty`);
    const queries = wafQueries(req);
    const result: WafRootCause = {
        kind: "waf", status: "complete", acl: req.acl, rule: req.rule,
        measure: req.rule !== "ALL" && req.ruleAction === "count" ? "counted" : "blocked",
        window: { start: req.window.start.toISOString(), end: req.window.end.toISOString() },
        top: {}, incomplete: [], queries: [],
    };
    const lookup = await findWafLogGroup(req.acl, deps);
    if ("unavailable" in lookup) return { ...result, status: "unavailable", reason: lookup.unavailable };
    const group = lookup.found;
    result.logGroup = group.name;
    result.logGroupSource = group.source;
    if (!group.name.startsWith(WAF_LOG_PREFIX)) {
        return { ...result, status: "unavailable", reason: `log group ${group.name} is not a WAF log group (WAF only logs to names starting with ${WAF_LOG_PREFIX})` };
    }
    const logs = deps.logs(group.region);
    // Both ends are inclusive in StartQuery (epoch seconds): the window is widened to whole seconds.
    const startTime = Math.floor(req.window.start.getTime() / 1000);
    const endTime = Math.ceil(req.window.end.getTime() / 1000);

    const pending = [...queries];
    const running: Running[] = [];
    const finished: Running[] = [];
    const fail = (dimension: WafQuery["dimension"], reason: string) => result.incomplete.push({ dimension, reason });
    let wait: number = POLL.firstMs;
    let throttled = "";

    while (pending.length || running.length) {
        // Start what the concurrency cap allows.
        while (pending.length && running.length < maxConcurrent) {
            const q = pending[0];
            try {
                const out = await logs.send(new StartQueryCommand({ logGroupName: group.name, startTime, endTime, queryString: q.queryString }));
                pending.shift();
                running.push({ q, queryId: out.queryId ?? "", status: "Scheduled", rows: [] });
                throttled = "";
            } catch (e) {
                const name = errorName(e);
                if (name === "ResourceNotFoundException") {
                    await stopAll(logs, running);
                    return { ...result, status: "unavailable", reason: `log group ${group.name} does not exist in ${group.region} (${(e as Error).message})`, queries: [] };
                }
                if (name === "LimitExceededException" || name === "ThrottlingException") {
                    throttled = errorText(e); // too many concurrent queries in the account: retry after a wait
                    break;
                }
                pending.shift();
                fail(q.dimension, `StartQuery failed: ${errorText(e)}`);
                result.queries.push({ dimension: q.dimension, status: "NotStarted" });
            }
        }
        if (!running.length && !pending.length) break;
        if (clock.now() + wait > deadline) {
            const why = `Logs Insights did not finish within the ${Math.round((deadline - startedAt) / 100) / 10} s budget`;
            const stopped = await stopAll(logs, running);
            for (const r of running) {
                fail(r.q.dimension, `query ${r.queryId} still ${r.status} at the deadline; stopped${stopped[r.queryId] ? ` (StopQuery: ${stopped[r.queryId]})` : ""}; rows so far kept`);
                finished.push(r);
            }
            for (const q of pending) {
                fail(q.dimension, `not started before the deadline${throttled ? ` (${throttled})` : ""}`);
                result.queries.push({ dimension: q.dimension, status: "NotStarted" });
            }
            result.status = "partial";
            result.reason = `${why}: ${result.incomplete.map((i) => i.dimension).join(", ")} incomplete`;
            running.length = 0;
            pending.length = 0;
            break;
        }
        await clock.sleep(wait);
        wait = Math.min(POLL.maxMs, wait * POLL.factor);
        for (const r of [...running]) {
            try {
                const out = await logs.send(new GetQueryResultsCommand({ queryId: r.queryId }));
                r.status = out.status ?? "Unknown";
                r.rows = out.results ?? r.rows;
            } catch (e) {
                r.status = "Unreadable";
                fail(r.q.dimension, `GetQueryResults failed: ${errorText(e)}`);
            }
            if (r.status === "Scheduled" || r.status === "Running") continue;
            if (r.status !== "Complete" && r.status !== "Unreadable") fail(r.q.dimension, `query ${r.queryId} ended ${r.status}`);
            running.splice(running.indexOf(r), 1);
            finished.push(r);
        }
    }

    for (const r of finished) result.queries.push({ dimension: r.q.dimension, queryId: r.queryId, status: r.status });
    const totalRun = finished.find((r) => r.q.dimension === "total");
    const totalValue = totalRun?.rows[0]?.find((c) => c.field === "requests")?.value;
    if (totalRun && totalRun.status === "Complete") result.total = totalValue === undefined ? 0 : Number(totalValue);
    else if (totalValue !== undefined) result.total = Number(totalValue); // partial count: at least this many
    for (const r of finished) {
        if (r.q.dimension === "total" || !r.q.field) continue;
        result.top[r.q.dimension] = rowsToTop(r.rows, r.q.field, result.total, r.q.extra);
    }
    if (result.incomplete.length && result.status === "complete") {
        result.status = "partial";
        result.reason = result.incomplete.map((i) => `${i.dimension}: ${i.reason}`).join("; ");
    }
    if (result.status === "complete" && result.total === 0) {
        result.reason = `no ${result.measure} requests in ${group.name} for this window (WAF log delivery may lag, or the logging filter drops them)`;
    }
    return result;
}

/** Stops running queries; returns the StopQuery errors by query id (a query already finished is not an error). */
async function stopAll(logs: LogsSender, running: Running[]): Promise<Record<string, string>> {
    const errors: Record<string, string> = {};
    for (const r of running) {
        try {
            await logs.send(new StopQueryCommand({ queryId: r.queryId }));
        } catch (e) {
            errors[r.queryId] = errorText(e);
        }
    }
    return errors;
}

// ---- shapes for the finding -----------------------------------------------------------------------------------------

/** The top values in the Lookout `dimensionContribution` shape (valueContribution = share %), for the finding mapper. */
export function wafContributions(r: WafRootCause, dimensions: readonly WafDimension[] = ["clientIp", "country", "uri"]): L4mDimensionContribution[] {
    return dimensions
        .filter((d) => r.top[d]?.length)
        .map((d) => ({ dimensionName: d, dimensionValueContributions: r.top[d]!.map((t) => ({ dimensionValue: t.value, valueContribution: t.share })) }));
}

// ---- IAM -----------------------------------------------------------------------------------------------------------

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
}

/**
 * What the finding role needs for WAF root cause. StartQuery is scoped to the given log groups (log-group ARNs,
 * without `:*`); GetQueryResults and StopQuery take a query id and have no resource type in the service
 * authorization reference, so they cannot be scoped (Resource "*", actions named — no `*` action).
 * GetLoggingConfiguration is scoped to the watched web ACL ARNs (omit `webAclArns` when every log group is configured).
 */
export function wafRootCauseStatements(a: { logGroupArns: string[]; webAclArns?: string[] }): PolicyStatement[] {
    const groups = [...new Set(a.logGroupArns.map((g) => g.replace(/:\*$/, "")))];
    for (const g of groups) {
        if (!LOG_GROUP_ARN.test(g)) throw new Error(`wafRootCauseStatements: ${g} is not a log group ARN (arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME)`);
        if (!g.split(":log-group:")[1].startsWith(WAF_LOG_PREFIX)) throw new Error(`wafRootCauseStatements: ${g} is not a WAF log group (${WAF_LOG_PREFIX}*)`);
    }
    const out: PolicyStatement[] = [];
    if (groups.length) {
        // Both spellings of each group's ARN (IAM policies and DescribeLogGroups use `…:NAME:*`); neither reaches another group.
        out.push({ Sid: "QueryWafLogGroups", Effect: "Allow", Action: ["logs:StartQuery"], Resource: groups.flatMap((g) => [g, `${g}:*`]) });
        out.push({ Sid: "ReadAndStopOwnQueries", Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: "*" });
    }
    const acls = [...new Set(a.webAclArns ?? [])];
    if (acls.length) out.push({ Sid: "ReadWebAclLoggingConfiguration", Effect: "Allow", Action: ["wafv2:GetLoggingConfiguration"], Resource: acls });
    return out;
}

// ---- from an alarm -----------------------------------------------------------------------------------------------------

/**
 * The request for a WAF alarm, from its metric's dimensions (`WebACL`, `Rule`, and `Region` for REGIONAL ACLs —
 * CLOUDFRONT ACLs publish in us-east-1 without `Region`) and its timing. Undefined when the dimensions name no
 * web ACL or rule (not a WAF alarm). `aclArns` (name → ARN) lets the logging configuration be looked up;
 * `countRules` names the rules whose action is Count.
 */
export function wafRequestFromAlarm(a: {
    dimensions: { name: string; value: string }[];
    stateChangeTime: Date;
    periodSeconds: number;
    evaluationPeriods: number;
    datapointTimes?: Date[];
    aclArns?: Record<string, string>;
    countRules?: string[];
}): WafRootCauseRequest | undefined {
    const dim = (n: string) => a.dimensions.find((d) => d.name === n)?.value;
    const name = dim("WebACL");
    const rule = dim("Rule");
    if (!name || !rule) return undefined;
    const region = dim("Region");
    const acl: WafAclRef = { name, scope: region ? "REGIONAL" : "CLOUDFRONT", region: region ?? "us-east-1", arn: a.aclArns?.[name] };
    return {
        acl, rule,
        ruleAction: rule !== "ALL" && a.countRules?.includes(rule) ? "count" : "block",
        window: alarmWindow(a),
    };
}
