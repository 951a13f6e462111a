// The Redshift query runner: runs one configured query for one interval through the Redshift Data API and writes
// its rows where the detector reads them. Plain functions: the Lambda callback (components/redshiftMetrics.ts)
// and the backfill (scripts/lib/redshiftBackfill.ts) wire them to real clients, so the schedule and the backfill
// write exactly the same rows for an interval.
//
//   ExecuteStatement (Sql with :start / :end parameters = the interval)
//   → DescribeStatement until FINISHED, FAILED or ABORTED, at most `waitSeconds` (then CancelStatement and fail)
//   → GetStatementResult, every page (NextToken), at most `maxRows` rows
//   → each row checked: timestamp inside the interval, dimension values non-empty strings, measures finite numbers
//   → cloudwatch engine: ONE PutMetricData with the interval's sums (total, and per watched dimension value), stamped
//     with the interval start, plus RejectedRows
//     lookout engine: ONE PutObject of the rows as JSON Lines under redshift/<query>/<live|historical>/yyyyMMdd/HHmm/,
//     rejected rows as JSON Lines under redshift/<query>/rejected/yyyyMMdd/HHmm/, plus RejectedRows
//
// Nothing is written until the whole result has been read and checked: a failed, aborted or timed-out statement,
// a result without the configured columns or one larger than `maxRows` fails the run with an error naming the
// query, the interval and the reason, and leaves no partial output. A rejected row is never dropped silently: it is
// counted (RejectedRows metric, alarmed), logged with its reasons and, with the lookout engine, kept in S3.
// Every write is deterministic for (query, interval) — same object key, same datapoint values — so a retried run,
// a redriven event or a backfill over a scheduled interval rewrites the same output. The CloudWatch series are
// read with the Average statistic (one datapoint per series and interval), so a re-published datapoint changes
// nothing, where Sum would double.
//
// Serialized as a Lambda closure: no `class ... extends Error` (its message is lost there), no class fields.
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchClient, MetricDatum } from "@aws-sdk/client-cloudwatch";
import { CancelStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, GetStatementResultCommand } from "@aws-sdk/client-redshift-data";
import type { ColumnMetadata, Field, RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";

/** CloudWatch namespace of the Redshift series. */
export const REDSHIFT_NAMESPACE = "EdgeAnomaly/Redshift";
/** S3 prefix of everything the runner writes, per query: `redshift/<query>/{live,historical,rejected}/`. */
export const REDSHIFT_PREFIX = "redshift/";
export const STACK_DIMENSION = "Stack";
export const QUERY_DIMENSION = "Query";
/** Every value of a dimension that is not watched is summed under this one (bounded custom metrics). */
export const OTHER_VALUE = "_other";
export const REJECTED_ROWS_METRIC = "RejectedRows";
/** Named SQL parameters every query uses for its interval: `WHERE ts >= :start::timestamp AND ts < :end::timestamp`. */
export const START_PARAMETER = "start";
export const END_PARAMETER = "end";
/** PutMetricData takes at most 1,000 datums a request; an interval's output must fit in one (atomic) request. */
export const MAX_DATUMS_PER_REQUEST = 1000;
/** CloudWatch refuses values outside ±2^360 (and non-zero ones nearer 0 than 2^-260). */
export const MAX_METRIC_MAGNITUDE = 2 ** 360;
export const MIN_METRIC_MAGNITUDE = 2 ** -260;
/** Longest dimension value the runner accepts (CloudWatch allows 1,024; L4M dimension values are shorter in practice). */
export const MAX_DIMENSION_VALUE_LENGTH = 256;
/** Rejected rows written to the log line in full (all are counted, and all are kept in S3 with lookout). */
export const LOGGED_REJECTIONS = 10;

export type Engine = "cloudwatch" | "lookout";
export type Layout = "live" | "historical";

export interface QuerySpec {
    /** 1–64 of `A–Z a–z 0–9 _ -`: the `Query` dimension, the S3 folder, the schedule name. */
    name: string;
    /** SQL with the named parameters `:start` and `:end` (the interval, `yyyy-MM-dd HH:mm:ss` UTC). */
    sql: string;
    /** Result column holding each row's time (default `timestamp`). */
    timestampColumn: string;
    measures: string[];
    dimensions: string[];
    /** CloudWatch engine: per dimension, the values that get their own series (others sum under `_other`). */
    watch: Record<string, string[]>;
}

export interface RedshiftTarget {
    workgroupName?: string;
    clusterIdentifier?: string;
    database: string;
    secretArn?: string;
    /** Provisioned clusters without a secret: temporary credentials for this database user. */
    dbUser?: string;
}

export interface RunnerSettings {
    engine: Engine;
    stack: string;
    intervalSeconds: number;
    /** Bounded wait for a statement (DescribeStatement polling), seconds. */
    waitSeconds: number;
    /** Largest result a run reads; more rows fail the run (nothing is written). */
    maxRows: number;
    namespace: string;
    queries: QuerySpec[];
}

/** Deploy-time values the function gets from its environment. */
export interface RunnerEnvironment {
    region: string;
    target: RedshiftTarget;
    /** lookout engine: the bucket the rows go to. */
    bucket?: string;
}

export interface RunnerClients {
    data: Pick<RedshiftDataClient, "send">;
    cloudWatch: Pick<CloudWatchClient, "send">;
    s3?: Pick<S3Client, "send">;
}

export interface RunnerDeps {
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

export const defaultDeps: RunnerDeps = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (level, message, fields) => console[level](JSON.stringify({ message, ...(fields ?? {}) })),
};

/** A failed run. Plain Error (the serialized closure keeps its message) with the context as properties. */
export function runError(query: string, intervalStartMs: number, reason: string, extra: Record<string, unknown> = {}): Error {
    const e = new Error(`redshift query ${query} for the interval starting ${new Date(intervalStartMs).toISOString()}: ${reason}`);
    Object.assign(e, { query, intervalStart: new Date(intervalStartMs).toISOString() }, extra);
    return e;
}

// ---- time --------------------------------------------------------------------------------------------------------

function pad2(n: number): string {
    return n < 10 ? `0${n}` : String(n);
}

/** `yyyy-MM-dd HH:mm:ss` (UTC): the SQL parameter values and the row timestamps. */
export function sqlTimestamp(ms: number): string {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** `yyyyMMdd/HHmm/` of an interval start: the detector's interval folder. */
export function intervalFolderOf(ms: number): string {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}/${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}/`;
}

/**
 * The interval a scheduled run covers: the last complete one before the scheduled time. The schedule fires
 * `delay` after each interval ends (delay < interval), so this is floor(t / interval) − 1 intervals.
 */
export function intervalForScheduledTime(scheduledMs: number, intervalSeconds: number): number {
    const step = intervalSeconds * 1000;
    return Math.floor(scheduledMs / step) * step - step;
}

const REDSHIFT_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** A Redshift TIMESTAMP / TIMESTAMPTZ as the Data API returns it (`2026-11-30 10:05:00`, `…+00`); no zone = UTC. */
export function parseRedshiftTime(s: string): number | undefined {
    const m = REDSHIFT_TIME.exec(s.trim());
    if (!m) return undefined;
    let zone = m[4] ?? "Z";
    if (zone !== "Z") zone = zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const frac = m[3] ? m[3].slice(0, 4) : "";
    const ms = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
    return Number.isNaN(ms) ? undefined : ms;
}

// ---- the statement -------------------------------------------------------------------------------------------------

export function executeInput(q: QuerySpec, t: RedshiftTarget, stack: string, intervalStartMs: number, intervalSeconds: number) {
    return {
        Sql: q.sql,
        Database: t.database,
        ...(t.workgroupName ? { WorkgroupName: t.workgroupName } : { ClusterIdentifier: t.clusterIdentifier }),
        ...(t.secretArn ? { SecretArn: t.secretArn } : t.dbUser ? { DbUser: t.dbUser } : {}),
        Parameters: [
            { name: START_PARAMETER, value: sqlTimestamp(intervalStartMs) },
            { name: END_PARAMETER, value: sqlTimestamp(intervalStartMs + intervalSeconds * 1000) },
        ],
        StatementName: `${stack}-${q.name}-${intervalFolderOf(intervalStartMs).replace(/\//g, "")}`.slice(0, 500),
        WithEvent: false,
    };
}

export interface StatementResult {
    statementId: string;
    columns: string[];
    records: Field[][];
    pages: number;
}

/** Runs the statement, waits for it (bounded), reads every page. Throws a runError on any failure. */
export async function runStatement(c: RunnerClients, s: RunnerSettings, t: RedshiftTarget, q: QuerySpec, startMs: number, deps: RunnerDeps): Promise<StatementResult> {
    const fail = (reason: string, extra?: Record<string, unknown>) => runError(q.name, startMs, reason, extra);
    const started = deps.now();
    let id: string;
    try {
        const out = await c.data.send(new ExecuteStatementCommand(executeInput(q, t, s.stack, startMs, s.intervalSeconds)));
        if (!out.Id) throw new Error("ExecuteStatement returned no statement Id");
        id = out.Id;
    } catch (e) {
        throw fail(`ExecuteStatement failed: ${errorText(e)}`);
    }
    // Bounded wait: poll with a growing delay until a final status or the deadline.
    const deadline = started + s.waitSeconds * 1000;
    let delay = 200;
    for (;;) {
        let status: string | undefined;
        let error: string | undefined;
        let hasResultSet: boolean | undefined;
        try {
            const d = await c.data.send(new DescribeStatementCommand({ Id: id }));
            status = d.Status;
            error = d.Error;
            hasResultSet = d.HasResultSet;
        } catch (e) {
            throw fail(`DescribeStatement ${id} failed: ${errorText(e)}`, { statementId: id });
        }
        if (status === "FINISHED") {
            if (hasResultSet === false) throw fail(`statement ${id} finished without a result set: the query must be a SELECT returning the configured columns`, { statementId: id });
            break;
        }
        if (status === "FAILED") throw fail(`statement ${id} FAILED: ${error ?? "no error message returned"}`, { statementId: id, status });
        if (status === "ABORTED") throw fail(`statement ${id} was ABORTED (cancelled by someone else, or the workgroup stopped it)`, { statementId: id, status });
        if (deps.now() + delay > deadline) {
            let cancel = "cancelled";
            try {
                const r = await c.data.send(new CancelStatementCommand({ Id: id }));
                if (r.Status === false) cancel = "CancelStatement returned false";
            } catch (e) {
                cancel = `CancelStatement failed too: ${errorText(e)}`;
            }
            throw fail(`statement ${id} did not finish within ${s.waitSeconds} s (last status ${status ?? "unknown"}; ${cancel}); nothing was written`, { statementId: id, status, timedOut: true });
        }
        await deps.sleep(delay);
        delay = Math.min(delay * 2, 2000);
    }
    // Every page. Column metadata comes with the first page.
    const records: Field[][] = [];
    let columns: ColumnMetadata[] | undefined;
    let token: string | undefined;
    let pages = 0;
    do {
        let page;
        try {
            page = await c.data.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }));
        } catch (e) {
            throw fail(`GetStatementResult ${id} failed on page ${pages + 1}: ${errorText(e)}; nothing was written`, { statementId: id });
        }
        pages += 1;
        columns ??= page.ColumnMetadata;
        records.push(...(page.Records ?? []));
        if (records.length > s.maxRows) {
            throw fail(`statement ${id} returned more than ${s.maxRows} rows (${page.TotalNumRows ?? "unknown"} in total); narrow the query (one interval, aggregated by the dimensions) — nothing was written`, { statementId: id });
        }
        token = page.NextToken;
    } while (token);
    const names = (columns ?? []).map((col) => (col.label ?? col.name ?? "").toLowerCase());
    return { statementId: id, columns: names, records, pages };
}

function errorText(e: unknown): string {
    if (e instanceof Error || (e && typeof e === "object" && "message" in e)) {
        const err = e as Error;
        return `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}`;
    }
    return String(e);
}

// ---- rows ----------------------------------------------------------------------------------------------------------

export interface Row {
    /** Epoch ms of the row's timestamp. */
    at: number;
    dimensions: Record<string, string>;
    measures: Record<string, number>;
}

export interface RejectedRow {
    /** 0-based position in the result. */
    index: number;
    reasons: string[];
    /** The row as returned (column → the Data API field's value), for the log and the rejected-rows object. */
    values: Record<string, unknown>;
}

function fieldValue(f: Field | undefined): unknown {
    if (!f) return undefined;
    if (f.isNull) return null;
    if (f.stringValue !== undefined) return f.stringValue;
    if (f.longValue !== undefined) return f.longValue;
    if (f.doubleValue !== undefined) return f.doubleValue;
    if (f.booleanValue !== undefined) return f.booleanValue;
    if (f.blobValue !== undefined) return `<blob ${f.blobValue.length} bytes>`;
    return undefined;
}

function describeField(f: Field | undefined): string {
    if (!f) return "missing";
    if (f.isNull) return "NULL";
    if (f.stringValue !== undefined) return `the string ${JSON.stringify(f.stringValue.length > 60 ? `${f.stringValue.slice(0, 57)}...` : f.stringValue)}`;
    if (f.booleanValue !== undefined) return `the boolean ${f.booleanValue}`;
    if (f.blobValue !== undefined) return "a blob";
    if (f.longValue !== undefined) return `the integer ${f.longValue}`;
    if (f.doubleValue !== undefined) return `the number ${f.doubleValue}`;
    return "an empty field";
}

/** A measure from a Data API field: integers, floats, and DECIMAL/NUMERIC (which the Data API returns as strings). */
function measureValue(f: Field | undefined, engine: Engine): number | string {
    let n: number | undefined;
    if (f && !f.isNull) {
        if (f.longValue !== undefined) n = f.longValue;
        else if (f.doubleValue !== undefined) n = f.doubleValue;
        else if (f.stringValue !== undefined && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(f.stringValue)) n = Number(f.stringValue);
    }
    if (n === undefined) return `is ${describeField(f)}, not a number`;
    if (!Number.isFinite(n)) return `is ${n}, not a finite number`;
    if (engine === "cloudwatch" && n !== 0 && (Math.abs(n) > MAX_METRIC_MAGNITUDE || Math.abs(n) < MIN_METRIC_MAGNITUDE)) {
        return `is ${n}, outside the range CloudWatch accepts`;
    }
    return n;
}

/** Checks every row; good rows and rejected rows (with every reason), in result order. */
export function checkRows(q: QuerySpec, columns: string[], records: Field[][], startMs: number, intervalSeconds: number, engine: Engine): { rows: Row[]; rejected: RejectedRow[] } {
    const index = new Map(columns.map((c, i) => [c, i]));
    const wanted = [q.timestampColumn, ...q.dimensions, ...q.measures];
    const missing = wanted.filter((c) => !index.has(c));
    if (missing.length) {
        throw runError(q.name, startMs, `the result has no column ${missing.join(", ")} (columns returned: ${columns.join(", ") || "none"}); `
            + `the query must return ${q.timestampColumn}, the dimensions [${q.dimensions.join(", ")}] and the measures [${q.measures.join(", ")}] — nothing was written`);
    }
    const endMs = startMs + intervalSeconds * 1000;
    const rows: Row[] = [];
    const rejected: RejectedRow[] = [];
    records.forEach((rec, i) => {
        const reasons: string[] = [];
        const at = (() => {
            const f = rec[index.get(q.timestampColumn)!];
            const t = f && !f.isNull && f.stringValue !== undefined ? parseRedshiftTime(f.stringValue) : undefined;
            if (t === undefined) {
                reasons.push(`${q.timestampColumn} is ${describeField(f)}, not a timestamp like 2026-11-30 10:05:00`);
                return undefined;
            }
            if (t < startMs || t >= endMs) {
                reasons.push(`${q.timestampColumn} ${sqlTimestamp(t)} is outside the queried interval [${sqlTimestamp(startMs)}, ${sqlTimestamp(endMs)})`);
            }
            return t;
        })();
        const dimensions: Record<string, string> = {};
        for (const d of q.dimensions) {
            const f = rec[index.get(d)!];
            const v = f && !f.isNull ? f.stringValue : undefined;
            if (v === undefined || v.trim() === "") reasons.push(`dimension ${d} is ${describeField(f)}, not a non-empty string`);
            else if (v.length > MAX_DIMENSION_VALUE_LENGTH) reasons.push(`dimension ${d} is longer than ${MAX_DIMENSION_VALUE_LENGTH} characters`);
            else if (v === OTHER_VALUE) reasons.push(`dimension ${d} is ${OTHER_VALUE}, the name reserved for unwatched values`);
            else dimensions[d] = v;
        }
        const measures: Record<string, number> = {};
        for (const m of q.measures) {
            const v = measureValue(rec[index.get(m)!], engine);
            if (typeof v === "string") reasons.push(`measure ${m} ${v}`);
            else measures[m] = v;
        }
        if (reasons.length || at === undefined) {
            rejected.push({ index: i, reasons, values: Object.fromEntries(wanted.map((c) => [c, fieldValue(rec[index.get(c)!])])) });
        } else {
            rows.push({ at, dimensions, measures });
        }
    });
    return { rows, rejected };
}

// ---- outputs -------------------------------------------------------------------------------------------------------

/** The datums of one interval: per measure the total and each watched value (plus `_other`), then RejectedRows. */
export function metricData(s: Pick<RunnerSettings, "stack">, q: QuerySpec, rows: Row[], rejected: number, startMs: number): MetricDatum[] {
    const at = new Date(startMs);
    const base = [{ Name: STACK_DIMENSION, Value: s.stack }, { Name: QUERY_DIMENSION, Value: q.name }];
    const out: MetricDatum[] = [];
    const sum = (m: string, keep: (r: Row) => boolean) => rows.filter(keep).reduce((acc, r) => acc + r.measures[m], 0);
    for (const m of q.measures) {
        out.push({ MetricName: m, Dimensions: base, Timestamp: at, Value: sum(m, () => true), Unit: "None" });
        for (const d of q.dimensions) {
            const watched = q.watch[d] ?? [];
            if (!watched.length) continue;
            for (const v of watched) {
                out.push({ MetricName: m, Dimensions: [...base, { Name: d, Value: v }], Timestamp: at, Value: sum(m, (r) => r.dimensions[d] === v), Unit: "None" });
            }
            out.push({ MetricName: m, Dimensions: [...base, { Name: d, Value: OTHER_VALUE }], Timestamp: at, Value: sum(m, (r) => !watched.includes(r.dimensions[d])), Unit: "None" });
        }
    }
    out.push({ MetricName: REJECTED_ROWS_METRIC, Dimensions: base, Timestamp: at, Value: rejected, Unit: "Count" });
    return out;
}

/** Datums one interval of a query writes (what config validation keeps within one PutMetricData request). */
export function datumsPerInterval(q: Pick<QuerySpec, "measures" | "dimensions" | "watch">): number {
    const perMeasure = 1 + q.dimensions.reduce((n, d) => n + ((q.watch[d] ?? []).length ? (q.watch[d].length + 1) : 0), 0);
    return q.measures.length * perMeasure + 1;
}

/** `redshift/<query>/<layout>/yyyyMMdd/HHmm/<query>.jsonl` */
export function rowsKey(query: string, layout: Layout | "rejected", startMs: number): string {
    return `${REDSHIFT_PREFIX}${query}/${layout}/${intervalFolderOf(startMs)}${query}.jsonl`;
}

/** Lookout's templated path for a query's live rows. */
export function templatedPathFor(bucket: string, query: string): string {
    return `s3://${bucket}/${REDSHIFT_PREFIX}${query}/live/{{yyyyMMdd}}/{{HHmm}}`;
}

export function historicalPathFor(bucket: string, query: string): string {
    return `s3://${bucket}/${REDSHIFT_PREFIX}${query}/historical/`;
}

/** One JSON line per row: timestamp, dimensions, measures, in the configured order (the metric set's columns). */
export function rowLines(q: QuerySpec, rows: Row[]): string {
    return rows.map((r) => JSON.stringify({
        timestamp: sqlTimestamp(r.at),
        ...Object.fromEntries(q.dimensions.map((d) => [d, r.dimensions[d]])),
        ...Object.fromEntries(q.measures.map((m) => [m, r.measures[m]])),
    }) + "\n").join("");
}

// ---- one run -------------------------------------------------------------------------------------------------------

export interface RunResult {
    query: string;
    intervalStart: string;
    statementId: string;
    pages: number;
    rows: number;
    rejectedRows: number;
    /** What was written: S3 keys (lookout) and the number of datums. */
    objects: string[];
    datums: number;
}

/** Runs query `q` for the interval starting at `startMs` and writes its output (nothing on failure). */
export async function runQuery(c: RunnerClients, s: RunnerSettings, env: RunnerEnvironment, q: QuerySpec, startMs: number, layout: Layout, deps: RunnerDeps = defaultDeps): Promise<RunResult> {
    const result = await runStatement(c, s, env.target, q, startMs, deps);
    const { rows, rejected } = checkRows(q, result.columns, result.records, startMs, s.intervalSeconds, s.engine);
    const objects: string[] = [];
    const datums = s.engine === "cloudwatch"
        ? metricData(s, q, rows, rejected.length, startMs)
        : metricData(s, { ...q, measures: [] }, rows, rejected.length, startMs); // lookout: RejectedRows only
    if (datums.length > MAX_DATUMS_PER_REQUEST) {
        throw runError(q.name, startMs, `${datums.length} datapoints do not fit one PutMetricData request (${MAX_DATUMS_PER_REQUEST}); watch fewer values`);
    }
    if (s.engine === "lookout") {
        if (!env.bucket || !c.s3) throw runError(q.name, startMs, "the lookout engine needs a bucket and an S3 client");
        const put = async (key: string, body: string) => {
            try {
                await c.s3!.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: body, ContentType: "application/x-ndjson" }));
            } catch (e) {
                throw runError(q.name, startMs, `PutObject s3://${env.bucket}/${key} failed: ${errorText(e)}`, { statementId: result.statementId });
            }
            objects.push(key);
        };
        if (rejected.length) await put(rowsKey(q.name, "rejected", startMs), rejected.map((r) => JSON.stringify(r) + "\n").join(""));
        await put(rowsKey(q.name, layout, startMs), rowLines(q, rows));
    }
    try {
        await c.cloudWatch.send(new PutMetricDataCommand({ Namespace: s.namespace, MetricData: datums }));
    } catch (e) {
        throw runError(q.name, startMs, `PutMetricData to ${s.namespace} failed: ${errorText(e)}`, { statementId: result.statementId });
    }
    const out: RunResult = {
        query: q.name, intervalStart: new Date(startMs).toISOString(), statementId: result.statementId, pages: result.pages,
        rows: rows.length, rejectedRows: rejected.length, objects, datums: datums.length,
    };
    if (rejected.length) {
        deps.log("error", "rejected rows: wrong types or outside the interval (counted in RejectedRows, not written as data)", {
            ...out, rejected: rejected.slice(0, LOGGED_REJECTIONS),
        });
    }
    deps.log("info", "redshift query written", { ...out });
    return out;
}

// ---- the Lambda event ------------------------------------------------------------------------------------------

/**
 * `{ "query": NAME, "scheduledTime": ISO }` from the schedule (the interval before the scheduled time), or
 * `{ "query": NAME, "intervalStart": ISO }` to run one interval again (redrive, manual run).
 */
export function parseRunEvent(event: unknown, s: RunnerSettings): { query: QuerySpec; startMs: number } {
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
        throw new Error(`redshift query runner: the event must be an object with query and scheduledTime (got ${JSON.stringify(event)})`);
    }
    const e = event as Record<string, unknown>;
    const q = s.queries.find((x) => x.name === e.query);
    if (!q) throw new Error(`redshift query runner: unknown query ${JSON.stringify(e.query)}; configured: ${s.queries.map((x) => x.name).join(", ")}`);
    const step = s.intervalSeconds * 1000;
    if (typeof e.intervalStart === "string") {
        const ms = Date.parse(e.intervalStart);
        if (Number.isNaN(ms) || ms % step !== 0) throw new Error(`redshift query runner: intervalStart ${JSON.stringify(e.intervalStart)} is not the start of a ${s.intervalSeconds}-second interval`);
        return { query: q, startMs: ms };
    }
    if (typeof e.scheduledTime === "string") {
        const ms = Date.parse(e.scheduledTime);
        if (Number.isNaN(ms)) throw new Error(`redshift query runner: scheduledTime ${JSON.stringify(e.scheduledTime)} is not an ISO-8601 time`);
        return { query: q, startMs: intervalForScheduledTime(ms, s.intervalSeconds) };
    }
    throw new Error(`redshift query runner: the event for ${q.name} has neither scheduledTime nor intervalStart`);
}

/** Reads the deploy-time values from the function's environment; a missing one is an error naming it. */
export function runnerEnvironment(env: NodeJS.ProcessEnv, engine: Engine): RunnerEnvironment {
    const opt = (name: string) => env[name]?.trim() || undefined;
    const region = opt("AWS_REGION");
    const database = opt("REDSHIFT_DATABASE");
    if (!region) throw new Error("redshift query runner: environment variable AWS_REGION is not set");
    if (!database) throw new Error("redshift query runner: environment variable REDSHIFT_DATABASE is not set");
    const workgroupName = opt("REDSHIFT_WORKGROUP");
    const clusterIdentifier = opt("REDSHIFT_CLUSTER");
    if (!workgroupName === !clusterIdentifier) throw new Error("redshift query runner: set exactly one of REDSHIFT_WORKGROUP and REDSHIFT_CLUSTER");
    const bucket = opt("REDSHIFT_BUCKET");
    if (engine === "lookout" && !bucket) throw new Error("redshift query runner: environment variable REDSHIFT_BUCKET is not set (lookout engine)");
    return { region, bucket, target: { database, workgroupName, clusterIdentifier, secretArn: opt("REDSHIFT_SECRET_ARN"), dbUser: opt("REDSHIFT_DB_USER") } };
}
