// A local stand-in for the Amazon Redshift Data API on 127.0.0.1: the AWS JSON 1.1 protocol
// (`POST /`, `X-Amz-Target: RedshiftData.<Operation>`), ExecuteStatement / DescribeStatement / GetStatementResult
// (paged with NextToken) / CancelStatement. Every request body is validated against the operation's input schema
// from @aws-sdk/client-redshift-data (a request the model does not allow is answered with a ValidationException
// and recorded as a problem), and every response it sends against the output schema, so the stand-in cannot
// drift from the real service's shapes. The SDK reaches it through AWS_ENDPOINT_URL_REDSHIFT_DATA, so the code
// under test (the serialized Lambda included) runs unchanged.
//
// What a statement does is scripted per test: `script(sql, params)` returns the statuses DescribeStatement walks
// through, the error of a FAILED statement, or the columns and rows of a FINISHED one.
import * as http from "http";
import type { AddressInfo } from "net";

import { inputSchema, outputSchema, validate } from "./sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const client = require("@aws-sdk/client-redshift-data") as Record<string, unknown>;

export type FieldValue = { isNull: true } | { stringValue: string } | { longValue: number } | { doubleValue: number } | { booleanValue: boolean };

export interface Column {
    name: string;
    typeName: string;
}

export interface StatementScript {
    /** Statuses returned by successive DescribeStatement calls; the last one repeats. Default FINISHED. */
    statuses?: ("SUBMITTED" | "PICKED" | "STARTED" | "FINISHED" | "FAILED" | "ABORTED")[];
    /** Error of a FAILED statement. */
    error?: string;
    columns?: Column[];
    rows?: FieldValue[][];
    /** Rows per GetStatementResult page (the real service pages by size, up to 100 MB). */
    pageSize?: number;
    hasResultSet?: boolean;
}

export interface RecordedRequest {
    operation: string;
    body: Record<string, unknown>;
    problems: string[];
}

interface Statement {
    id: string;
    sql: string;
    script: StatementScript;
    describes: number;
    cancelled: boolean;
    createdAt: number;
    input: Record<string, unknown>;
}

export interface RedshiftDataStandIn {
    endpoint: string;
    requests: RecordedRequest[];
    /** Problems of every request and response so far (tests assert it is empty). */
    problems(): string[];
    statements(): Statement[];
    close(): Promise<void>;
}

/** A Data API column of the given Redshift type. */
export function column(name: string, typeName: string): Column {
    return { name, typeName };
}

export async function startRedshiftDataStandIn(script: (sql: string, params: Record<string, string>) => StatementScript): Promise<RedshiftDataStandIn> {
    const requests: RecordedRequest[] = [];
    const responseProblems: string[] = [];
    const statements = new Map<string, Statement>();
    let counter = 0;

    const reply = (res: http.ServerResponse, operation: string, status: number, body: Record<string, unknown>) => {
        if (status === 200) responseProblems.push(...validate(outputSchema(client, operation), body, "wire", `${operation} response`));
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": `req-${counter}` });
        res.end(text);
    };
    const error = (res: http.ServerResponse, status: number, type: string, message: string) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type });
        res.end(JSON.stringify({ __type: type, message }));
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const target = String(req.headers["x-amz-target"] ?? "");
            const operation = target.replace(/^RedshiftData\./, "");
            let body: Record<string, unknown>;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
            } catch {
                error(res, 400, "SerializationException", "body is not JSON");
                return;
            }
            let problems: string[];
            try {
                problems = validate(inputSchema(client, operation), body, "wire", operation);
            } catch (e) {
                problems = [`${target}: ${(e as Error).message}`];
            }
            if (!target.startsWith("RedshiftData.")) problems.push(`X-Amz-Target ${JSON.stringify(target)} is not RedshiftData.*`);
            if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256")) problems.push(`${operation}: request is not SigV4-signed`);
            requests.push({ operation, body, problems });
            if (problems.length) {
                error(res, 400, "ValidationException", problems.join("; "));
                return;
            }
            const stmt = typeof body.Id === "string" ? statements.get(body.Id) : undefined;
            switch (operation) {
                case "ExecuteStatement": {
                    counter += 1;
                    const id = `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
                    const params = Object.fromEntries(((body.Parameters as { name: string; value: string }[]) ?? []).map((p) => [p.name, p.value]));
                    const s: Statement = { id, sql: String(body.Sql), script: script(String(body.Sql), params), describes: 0, cancelled: false, createdAt: Date.now() / 1000, input: body };
                    statements.set(id, s);
                    reply(res, operation, 200, {
                        Id: id, CreatedAt: s.createdAt, Database: body.Database,
                        ...(body.WorkgroupName ? { WorkgroupName: body.WorkgroupName } : { ClusterIdentifier: body.ClusterIdentifier }),
                        ...(body.SecretArn ? { SecretArn: body.SecretArn } : {}),
                    });
                    return;
                }
                case "DescribeStatement": {
                    if (!stmt) return error(res, 400, "ResourceNotFoundException", `Statement ${String(body.Id)} not found`);
                    const statuses = stmt.script.statuses ?? ["FINISHED"];
                    const status = stmt.cancelled ? "ABORTED" : statuses[Math.min(stmt.describes, statuses.length - 1)];
                    stmt.describes += 1;
                    const rows = stmt.script.rows ?? [];
                    reply(res, operation, 200, {
                        Id: stmt.id, Status: status, QueryString: stmt.sql, CreatedAt: stmt.createdAt, UpdatedAt: Date.now() / 1000,
                        HasResultSet: status === "FINISHED" ? (stmt.script.hasResultSet ?? true) : false,
                        ...(status === "FAILED" ? { Error: stmt.script.error ?? "ERROR: unknown" } : {}),
                        ...(status === "FINISHED" ? { ResultRows: rows.length, ResultSize: JSON.stringify(rows).length } : {}),
                    });
                    return;
                }
                case "GetStatementResult": {
                    if (!stmt) return error(res, 400, "ResourceNotFoundException", `Statement ${String(body.Id)} not found`);
                    const statuses = stmt.script.statuses ?? ["FINISHED"];
                    if (statuses[Math.min(stmt.describes - 1, statuses.length - 1)] !== "FINISHED" || stmt.cancelled) {
                        return error(res, 400, "ValidationException", "Query does not have result. Please check query status with DescribeStatement.");
                    }
                    const rows = stmt.script.rows ?? [];
                    const size = stmt.script.pageSize ?? 1000;
                    const from = typeof body.NextToken === "string" ? Number(body.NextToken.replace(/^page-/, "")) : 0;
                    const page = rows.slice(from, from + size);
                    const next = from + size < rows.length ? `page-${from + size}` : undefined;
                    reply(res, operation, 200, {
                        Records: page,
                        ...(from === 0 ? { ColumnMetadata: (stmt.script.columns ?? []).map((c) => ({ name: c.name, label: c.name, typeName: c.typeName, nullable: 1 })) } : {}),
                        TotalNumRows: rows.length,
                        ...(next ? { NextToken: next } : {}),
                    });
                    return;
                }
                case "CancelStatement": {
                    if (!stmt) return error(res, 400, "ResourceNotFoundException", `Statement ${String(body.Id)} not found`);
                    stmt.cancelled = true;
                    reply(res, operation, 200, { Status: true });
                    return;
                }
                default:
                    error(res, 400, "UnknownOperationException", `${operation} is not served by the stand-in`);
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        problems: () => [...requests.flatMap((r) => r.problems), ...responseProblems],
        statements: () => [...statements.values()],
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
