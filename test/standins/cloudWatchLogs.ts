// A local stand-in for CloudWatch Logs Insights (and WAFv2 GetLoggingConfiguration), for tests: an HTTP server
// on 127.0.0.1 that speaks the AWS JSON 1.1 protocol the SDK clients use (`X-Amz-Target: Logs_20140328.<Op>` /
// `AWSWAF_20190729.<Op>`, errors as `{ "__type", "message" }` with HTTP 400). Point a client at it with
// `endpoint: standin.endpoint` and any static credentials — or, for code that makes its clients itself (a deployed
// handler's factory), set `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` (and `AWS_ENDPOINT_URL_WAFV2`) to `standin.endpoint`
// with `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` before the clients are made (test/enrichAlarm.test.ts does).
//
// It holds log groups of JSON log events and really runs the queries it gets, for the subset of the Logs
// Insights language the WAF root-cause module writes — `filter` (`=` and `in [...]` joined by `and`),
// `fields jsonParse(@message) as x`, `unnest <path> into x`, `stats count(*) as n [by <path>, ...]`, `sort n desc`,
// `limit N` — and answers anything else with MalformedQueryException, so a query outside that subset fails the
// test instead of being faked. Discovered fields follow Logs Insights' flattening of JSON (`httpRequest.clientIp`;
// list items by index). Time range: events with startTime*1000 <= timestamp <= endTime*1000 + 999 (both ends
// inclusive, whole seconds).
//
// Every request body is validated against the SDK's own operation schema and recorded with its problems.
import * as http from "http";
import { AddressInfo } from "net";
import * as logsSdk from "@aws-sdk/client-cloudwatch-logs";
import * as wafSdk from "@aws-sdk/client-wafv2";

import { OperationSchema, validateAgainstSdk } from "./sdkSchema";

export interface LogEvent {
    timestamp: number;
    message: string;
}

export interface RecordedRequest {
    service: "logs" | "wafv2";
    operation: string;
    body: Record<string, unknown>;
    problems: string[];
}

export interface StandinBehaviour {
    /** GetQueryResults calls answered "Running" (with the rows of the first half of the events) before "Complete". */
    runningPolls: number;
    /** Never complete: every GetQueryResults says "Running". */
    neverComplete: boolean;
    /** StartQuery calls answered LimitExceededException before they succeed. */
    limitExceeded: number;
    /** Queries whose string contains this end "Failed". */
    failWhenQueryContains?: string;
}

interface Query {
    id: string;
    group: string;
    startTime: number;
    endTime: number;
    queryString: string;
    polls: number;
    stopped: boolean;
}

type Row = Record<string, unknown>;

class QueryError extends Error {}

export class LogsInsightsStandin {
    readonly groups = new Map<string, LogEvent[]>();
    /** WAFv2 logging configurations: web ACL ARN → LogDestinationConfigs. */
    readonly loggingConfigurations = new Map<string, string[]>();
    readonly requests: RecordedRequest[] = [];
    readonly queries = new Map<string, Query>();
    behaviour: StandinBehaviour = { runningPolls: 0, neverComplete: false, limitExceeded: 0 };
    private server?: http.Server;
    private next = 0;
    endpoint = "";

    async start(): Promise<this> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }

    reset(): void {
        this.groups.clear();
        this.loggingConfigurations.clear();
        this.requests.length = 0;
        this.queries.clear();
        this.behaviour = { runningPolls: 0, neverComplete: false, limitExceeded: 0 };
    }

    /** Every recorded problem (requests that did not match the SDK's model). */
    problems(): string[] {
        return this.requests.flatMap((r) => r.problems.map((p) => `${r.service}.${r.operation}: ${p}`));
    }

    of(operation: string): RecordedRequest[] {
        return this.requests.filter((r) => r.operation === operation);
    }

    putEvents(group: string, records: { timestamp: number }[]): void {
        const list = this.groups.get(group) ?? [];
        list.push(...records.map((r) => ({ timestamp: r.timestamp, message: JSON.stringify(r) })));
        this.groups.set(group, list);
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const [prefix, operation] = target.split(".");
            const service = prefix === "Logs_20140328" ? "logs" : prefix === "AWSWAF_20190729" ? "wafv2" : undefined;
            const send = (status: number, body: unknown) => {
                res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify(body));
            };
            const error = (type: string, message: string) => send(400, { __type: type, message });
            if (!service) return error("UnknownOperationException", `unknown target ${target}`);
            let body: Record<string, unknown>;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
            } catch {
                return error("SerializationException", "body is not JSON");
            }
            const sdk = (service === "logs" ? logsSdk : wafSdk) as unknown as Record<string, OperationSchema>;
            const schema = sdk[`${operation}$`];
            const problems = schema ? validateAgainstSdk(schema, body, "wire") : [`the SDK has no operation ${operation}`];
            this.requests.push({ service, operation, body, problems });
            if (problems.length) return error("ValidationException", problems.join("; "));
            try {
                send(200, service === "logs" ? this.logs(operation, body) : this.wafv2(operation, body));
            } catch (e) {
                const err = e as Error & { type?: string };
                error(err.type ?? "InternalFailure", err.message);
            }
        });
    }

    private wafv2(operation: string, body: Record<string, unknown>): unknown {
        if (operation !== "GetLoggingConfiguration") throw fault("UnknownOperationException", operation);
        const arn = String(body.ResourceArn);
        const dest = this.loggingConfigurations.get(arn);
        if (!dest) throw fault("WAFNonexistentItemException", "AWS WAF couldn’t perform the operation because your resource doesn’t exist.");
        return { LoggingConfiguration: { ResourceArn: arn, LogDestinationConfigs: dest } };
    }

    private logs(operation: string, body: Record<string, unknown>): unknown {
        switch (operation) {
            case "StartQuery": {
                const group = String(body.logGroupName ?? "");
                if (!this.groups.has(group)) throw fault("ResourceNotFoundException", `Log group '${group}' does not exist for account ID '123456789012'`);
                if (this.behaviour.limitExceeded > 0) {
                    this.behaviour.limitExceeded -= 1;
                    throw fault("LimitExceededException", "Account maximum query concurrency limit of [30] reached.");
                }
                const q: Query = {
                    id: `q-${++this.next}`, group, startTime: Number(body.startTime), endTime: Number(body.endTime),
                    queryString: String(body.queryString), polls: 0, stopped: false,
                };
                try {
                    parse(q.queryString);
                } catch (e) {
                    throw fault("MalformedQueryException", (e as Error).message);
                }
                this.queries.set(q.id, q);
                return { queryId: q.id };
            }
            case "GetQueryResults": {
                const q = this.queries.get(String(body.queryId));
                if (!q) throw fault("ResourceNotFoundException", `query ${String(body.queryId)} not found`);
                q.polls += 1;
                const events = (this.groups.get(q.group) ?? []).filter((e) => e.timestamp >= q.startTime * 1000 && e.timestamp <= q.endTime * 1000 + 999);
                const b = this.behaviour;
                if (b.failWhenQueryContains && q.queryString.includes(b.failWhenQueryContains)) return { status: "Failed", results: [] };
                const done = !q.stopped && !b.neverComplete && q.polls > b.runningPolls;
                const status = q.stopped ? "Cancelled" : done ? "Complete" : "Running";
                const seen = done ? events : events.slice(0, Math.ceil(events.length / 2));
                const rows = run(parse(q.queryString), seen);
                return {
                    status,
                    results: rows.map((r) => Object.entries(r).map(([field, value]) => ({ field, value: String(value) }))),
                    statistics: { recordsMatched: rows.length, recordsScanned: seen.length, bytesScanned: seen.reduce((n, e) => n + e.message.length, 0) },
                };
            }
            case "StopQuery": {
                const q = this.queries.get(String(body.queryId));
                if (!q) throw fault("ResourceNotFoundException", `query ${String(body.queryId)} not found`);
                q.stopped = true;
                return { success: true };
            }
            case "DescribeLogGroups": {
                const prefix = String(body.logGroupNamePrefix ?? "");
                return { logGroups: [...this.groups.keys()].filter((g) => g.startsWith(prefix)).map((g) => ({ logGroupName: g, arn: `arn:aws:logs:us-east-1:123456789012:log-group:${g}:*` })) };
            }
            default:
                throw fault("UnknownOperationException", operation);
        }
    }
}

function fault(type: string, message: string): Error {
    const e = new Error(message) as Error & { type: string };
    e.type = type;
    return e;
}

// ---- the query subset ---------------------------------------------------------------------------------------------------

type Cond = { path: string; op: "=" | "in"; values: string[] };
type Command =
    | { kind: "filter"; conds: Cond[] }
    | { kind: "parse"; as: string }
    | { kind: "unnest"; path: string; as: string }
    | { kind: "stats"; as: string; by: string[] }
    | { kind: "sort"; field: string; desc: boolean }
    | { kind: "limit"; n: number };

const PATH = String.raw`[@A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`;
const STRING = String.raw`"(?:[^"\\]|\\.)*"`;

/** Splits on `|` outside quotes and brackets. */
function stages(q: string): string[] {
    const out: string[] = [];
    let cur = "";
    let quote = false;
    let depth = 0;
    for (const ch of q) {
        if (ch === '"') quote = !quote;
        else if (!quote && (ch === "[" || ch === "(")) depth++;
        else if (!quote && (ch === "]" || ch === ")")) depth--;
        if (ch === "|" && !quote && depth === 0) {
            out.push(cur.trim());
            cur = "";
        } else cur += ch;
    }
    out.push(cur.trim());
    return out;
}

function parseCond(s: string): Cond {
    let m = new RegExp(`^(${PATH})\\s*=\\s*(${STRING})$`).exec(s);
    if (m) return { path: m[1], op: "=", values: [JSON.parse(m[2])] };
    m = new RegExp(`^(${PATH})\\s+in\\s+\\[\\s*(${STRING}(?:\\s*,\\s*${STRING})*)\\s*\\]$`).exec(s);
    if (m) return { path: m[1], op: "in", values: m[2].match(new RegExp(STRING, "g"))!.map((x) => JSON.parse(x)) };
    throw new QueryError(`unsupported condition: ${s}`);
}

export function parse(q: string): Command[] {
    return stages(q).map((st): Command => {
        let m: RegExpExecArray | null;
        if ((m = /^filter\s+(.+)$/.exec(st))) return { kind: "filter", conds: m[1].split(/\s+and\s+/).map((c) => parseCond(c.trim())) };
        if ((m = /^fields\s+jsonParse\(@message\)\s+as\s+([A-Za-z_]\w*)$/.exec(st))) return { kind: "parse", as: m[1] };
        if ((m = new RegExp(`^unnest\\s+(${PATH})\\s+into\\s+([A-Za-z_]\\w*)$`).exec(st))) return { kind: "unnest", path: m[1], as: m[2] };
        if ((m = new RegExp(`^stats\\s+count\\(\\*\\)\\s+as\\s+([A-Za-z_]\\w*)(?:\\s+by\\s+(${PATH}(?:\\s*,\\s*${PATH})*))?$`).exec(st))) {
            return { kind: "stats", as: m[1], by: m[2] ? m[2].split(",").map((x) => x.trim()) : [] };
        }
        if ((m = /^sort\s+([A-Za-z_]\w*)\s+(desc|asc)$/.exec(st))) return { kind: "sort", field: m[1], desc: m[2] === "desc" };
        if ((m = /^limit\s+(\d+)$/.exec(st))) return { kind: "limit", n: Number(m[1]) };
        throw new QueryError(`unsupported query stage: ${st}`);
    });
}

/** Logs Insights' discovered fields of a JSON event: nested keys joined by dots, list items by index. */
function flatten(v: unknown, prefix: string, out: Row): Row {
    if (v !== null && typeof v === "object") {
        for (const [k, x] of Object.entries(v as object)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
    } else if (prefix) out[prefix] = v;
    return out;
}

function resolve(row: Row, path: string, vars: Set<string>): unknown {
    const [head, ...rest] = path.split(".");
    if (vars.has(head)) {
        let v: unknown = row[head];
        for (const k of rest) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
        return v;
    }
    return row[path];
}

export function run(commands: Command[], events: LogEvent[]): Row[] {
    const vars = new Set<string>();
    let rows: Row[] = events.map((e) => {
        let json: unknown;
        try {
            json = JSON.parse(e.message);
        } catch {
            json = undefined;
        }
        return { ...flatten(json, "", {}), "@message": e.message, "@timestamp": e.timestamp };
    });
    for (const c of commands) {
        switch (c.kind) {
            case "filter":
                rows = rows.filter((r) => c.conds.every((cond) => {
                    const v = resolve(r, cond.path, vars);
                    return v !== undefined && v !== null && cond.values.includes(String(v));
                }));
                break;
            case "parse":
                vars.add(c.as);
                rows = rows.map((r) => ({ ...r, [c.as]: JSON.parse(String(r["@message"])) }));
                break;
            case "unnest": {
                const out: Row[] = [];
                for (const r of rows) {
                    const list = resolve(r, c.path, vars);
                    // A non-list is a list of one item; a missing field produces no record.
                    const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
                    for (const item of items) out.push({ ...r, [c.as]: item });
                }
                vars.add(c.as);
                rows = out;
                break;
            }
            case "stats": {
                // Records missing a group-by field are left out of the groups.
                const counts = new Map<string, { key: unknown[]; n: number }>();
                for (const r of rows) {
                    const key = c.by.map((b) => resolve(r, b, vars));
                    if (key.some((k) => k === undefined || k === null)) continue;
                    const id = JSON.stringify(key);
                    counts.set(id, { key, n: (counts.get(id)?.n ?? 0) + 1 });
                }
                rows = c.by.length
                    ? [...counts.values()].map(({ key, n }) => ({ ...Object.fromEntries(c.by.map((b, i) => [b, key[i]])), [c.as]: n }))
                    : [{ [c.as]: rows.length }];
                break;
            }
            case "sort":
                rows = [...rows].sort((a, b) => (Number(a[c.field]) - Number(b[c.field])) * (c.desc ? -1 : 1));
                break;
            case "limit":
                rows = rows.slice(0, c.n);
                break;
        }
    }
    return rows;
}
