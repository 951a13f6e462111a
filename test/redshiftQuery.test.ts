// The Redshift query runner as deployed: the closure Pulumi serializes for the Lambda, loaded from a file and run
// against a local stand-in of the Redshift Data API (every request checked against @aws-sdk/client-redshift-data's
// schemas), with CloudWatch and S3 stubbed (their requests checked against their SDK schemas too).
import { strict as assert } from "assert";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { redshiftRunnerFactory, scheduleExpression } from "../components/redshiftMetrics";
import { checkRows, intervalForScheduledTime, parseRedshiftTime, parseRunEvent, rowsKey, RunResult, sqlTimestamp } from "../handlers/redshiftQuery";
import { baseEnv, COLUMNS, loadSerialized, ORDERS, row, SCHEDULED, settingsFor, START } from "./fixtures/redshiftRunner";
import { FieldValue, RedshiftDataStandIn, startRedshiftDataStandIn, StatementScript } from "./standins/redshiftData";
import { commandProblems, inputSchema, validate } from "./standins/sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cwModel = require("@aws-sdk/client-cloudwatch") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3Model = require("@aws-sdk/client-s3") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dataModel = require("@aws-sdk/client-redshift-data") as Record<string, unknown>;

function quietConsole(): { lines: { level: string; obj: any }[]; restore: () => void } {
    const lines: { level: string; obj: any }[] = [];
    const saved = { info: console.info, error: console.error, warn: console.warn };
    for (const level of ["info", "error", "warn"] as const) {
        console[level] = (line: string) => lines.push({ level, obj: JSON.parse(line) });
    }
    return { lines, restore: () => Object.assign(console, saved) };
}

describe("Redshift query runner (serialized Lambda code against the Data API stand-in)", function () {
    this.timeout(30_000);
    let cw: AwsClientStub<CloudWatchClient>;
    let s3: AwsClientStub<S3Client>;
    let scripts: (sql: string, params: Record<string, string>) => StatementScript;
    let standIn: RedshiftDataStandIn;

    before(async () => {
        cw = mockClient(CloudWatchClient);
        s3 = mockClient(S3Client);
        standIn = await startRedshiftDataStandIn((sql, params) => scripts(sql, params));
    });
    beforeEach(() => {
        cw.reset();
        s3.reset();
        cw.on(PutMetricDataCommand).resolves({});
        s3.on(PutObjectCommand).resolves({});
        standIn.requests.length = 0;
    });
    afterEach(() => {
        // Every request the runner sent: to the stand-in (checked on the wire) and to the stubbed clients.
        assert.deepEqual(standIn.problems(), []);
        const sent = [...cw.calls(), ...s3.calls()].map((c) => c.args[0] as any);
        assert.deepEqual(sent.flatMap((c) => commandProblems(c.constructor.name.includes("PutObject") ? s3Model : cwModel, c)), []);
    });
    after(async () => {
        cw.restore();
        s3.restore();
        await standIn.close();
    });

    it("serializes with the SDK required from the runtime, no Pulumi code, the settings as data", async () => {
        const closure = await pulumi.runtime.serializeFunction(redshiftRunnerFactory(settingsFor("cloudwatch")), { isFactoryFunction: true });
        assert.match(closure.text, /require\("@aws-sdk\/client-redshift-data(\/[^"]*)?"\)/);
        assert.ok(!closure.text.includes("@pulumi/"), "no Pulumi SDK in the Lambda");
        assert.ok(closure.text.includes("sales.orders"), "the query is part of the deployed code");
        assert.ok(closure.text.length < 64 * 1024, `${closure.text.length} bytes`);
    });

    it("runs the scheduled interval, waits through SUBMITTED/STARTED, reads every page and writes one PutMetricData of interval sums", async () => {
        // 2,500 rows over three pages: 1,250 per region ("eu" and "apac"), revenue as DECIMAL strings and orders as BIGINT.
        const rows: FieldValue[][] = [];
        for (let i = 0; i < 2500; i++) rows.push(row(i % 5, i % 2 ? "eu" : "apac", { stringValue: "2.50" }, { longValue: 1 }));
        let params: Record<string, string> = {};
        scripts = (_sql, p) => {
            params = p;
            return { statuses: ["SUBMITTED", "STARTED", "FINISHED"], columns: COLUMNS, rows, pageSize: 1000 };
        };
        const { handler, cleanup } = await loadSerialized(settingsFor("cloudwatch"), baseEnv(standIn));
        const log = quietConsole();
        let result: RunResult;
        try {
            result = await handler({ query: "orders", scheduledTime: SCHEDULED });
        } finally {
            log.restore();
            cleanup();
        }
        assert.deepEqual(params, { start: "2026-11-30 10:00:00", end: "2026-11-30 10:05:00" }, "the interval before the scheduled time");
        const ops = standIn.requests.map((r) => r.operation);
        assert.deepEqual(ops, ["ExecuteStatement", "DescribeStatement", "DescribeStatement", "DescribeStatement", "GetStatementResult", "GetStatementResult", "GetStatementResult"]);
        assert.deepEqual(standIn.requests.filter((r) => r.operation === "GetStatementResult").map((r) => r.body.NextToken), [undefined, "page-1000", "page-2000"]);
        const exec = standIn.requests[0].body;
        assert.equal(exec.WorkgroupName, "sales-wg");
        assert.equal(exec.Database, "analytics");
        assert.equal(exec.StatementName, "dev-orders-202611301000");
        assert.equal(result.rows, 2500);
        assert.equal(result.pages, 3);
        const calls = cw.commandCalls(PutMetricDataCommand);
        assert.equal(calls.length, 1, "one atomic write per interval");
        const data = calls[0].args[0].input.MetricData!;
        const value = (m: string, region?: string) => data.find((d) => d.MetricName === m && (region ? d.Dimensions!.some((x) => x.Name === "region" && x.Value === region) : d.Dimensions!.length === 2))!.Value;
        assert.equal(calls[0].args[0].input.Namespace, "EdgeAnomaly/Redshift");
        assert.equal(value("revenue"), 6250);
        assert.equal(value("orders"), 2500);
        assert.equal(value("orders", "eu"), 1250);
        assert.equal(value("orders", "us"), 0, "a watched value without rows is 0, not missing");
        assert.equal(value("orders", "_other"), 1250, "unwatched values (apac) sum under _other");
        assert.equal(value("RejectedRows"), 0);
        assert.ok(data.every((d) => d.Timestamp!.getTime() === START), "stamped with the interval start");
        assert.deepEqual(data.find((d) => d.MetricName === "revenue" && d.Dimensions!.length === 2)!.Dimensions, [{ Name: "Stack", Value: "dev" }, { Name: "Query", Value: "orders" }]);
        assert.equal(log.lines.filter((l) => l.obj.message === "redshift query written").length, 1);
    });

    it("a FAILED statement fails the run with the query, interval, statement and the database's error, and writes nothing", async () => {
        scripts = () => ({ statuses: ["STARTED", "FAILED"], error: "ERROR: relation \"sales.orders\" does not exist" });
        const { handler, cleanup } = await loadSerialized(settingsFor("lookout"), baseEnv(standIn, { REDSHIFT_BUCKET: "data-bucket" }));
        try {
            await assert.rejects(handler({ query: "orders", scheduledTime: SCHEDULED }), (e: Error & { statementId?: string }) => {
                assert.match(e.message, /^redshift query orders for the interval starting 2026-11-30T10:00:00.000Z: statement [0-9a-f-]+ FAILED: ERROR: relation "sales.orders" does not exist$/);
                assert.match(e.statementId!, /^[0-9a-f-]{36}$/, "the error keeps its context for the log and the DLQ");
                return true;
            });
        } finally {
            cleanup();
        }
        assert.equal(s3.commandCalls(PutObjectCommand).length, 0);
        assert.equal(cw.commandCalls(PutMetricDataCommand).length, 0);
        assert.ok(!standIn.requests.some((r) => r.operation === "GetStatementResult"));
    });

    it("a statement still running after waitSeconds is cancelled and the run fails as a timeout, nothing written", async () => {
        scripts = () => ({ statuses: ["STARTED"], columns: COLUMNS, rows: [] });
        const { handler, cleanup } = await loadSerialized(settingsFor("cloudwatch", { waitSeconds: 2 }), baseEnv(standIn));
        try {
            await assert.rejects(handler({ query: "orders", intervalStart: "2026-11-30T10:00:00Z" }),
                /redshift query orders for the interval starting 2026-11-30T10:00:00.000Z: statement \S+ did not finish within 2 s \(last status STARTED; cancelled\); nothing was written/);
        } finally {
            cleanup();
        }
        const ops = standIn.requests.map((r) => r.operation);
        assert.equal(ops[ops.length - 1], "CancelStatement");
        assert.equal(standIn.requests[ops.length - 1].body.Id, standIn.requests[0].operation === "ExecuteStatement" ? standIn.statements().at(-1)!.id : undefined);
        // At least one poll after the first (200 ms, then 400 ms, ...): on a loaded machine the first request to the
        // stand-in can take most of the 2 s, so more polls than that are not guaranteed.
        assert.ok(ops.filter((o) => o === "DescribeStatement").length >= 2, "it polled before giving up");
        assert.equal(cw.commandCalls(PutMetricDataCommand).length, 0);
    });

    it("rows with bad types are rejected with their reasons — counted, logged and kept in S3 — while the good rows are written", async () => {
        scripts = () => ({
            columns: COLUMNS,
            rows: [
                row(0, "eu", { stringValue: "10.00" }, { longValue: 2 }),
                row(1, "eu", { isNull: true }, { longValue: 1 }),
                row(2, "us", { stringValue: "n/a" }, { longValue: 1 }),
                row(3, "us", { doubleValue: 5 }, { booleanValue: true }),
                [{ stringValue: "2026-11-30 10:05:00" }, { stringValue: "us" }, { doubleValue: 1 }, { longValue: 1 }],
                [{ isNull: true }, { stringValue: "us" }, { doubleValue: 1 }, { longValue: 1 }],
                [{ stringValue: "2026-11-30 10:04:00" }, { isNull: true }, { doubleValue: 1 }, { longValue: 1 }],
                row(4, "us", { doubleValue: 2.5 }, { longValue: 3 }),
            ],
        });
        const { handler, cleanup } = await loadSerialized(settingsFor("lookout"), baseEnv(standIn, { REDSHIFT_BUCKET: "data-bucket" }));
        const log = quietConsole();
        let result: RunResult;
        try {
            result = await handler({ query: "orders", scheduledTime: SCHEDULED });
        } finally {
            log.restore();
            cleanup();
        }
        assert.equal(result.rows, 2);
        assert.equal(result.rejectedRows, 6);
        const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
        assert.deepEqual(puts.map((p) => p.Key), [rowsKey("orders", "rejected", START), rowsKey("orders", "live", START)]);
        assert.equal(puts[1].Key, "redshift/orders/live/20261130/1000/orders.jsonl");
        assert.equal(puts[1].Body, '{"timestamp":"2026-11-30 10:00:00","region":"eu","revenue":10,"orders":2}\n{"timestamp":"2026-11-30 10:04:00","region":"us","revenue":2.5,"orders":3}\n');
        const rejected = String(puts[0].Body).trim().split("\n").map((l) => JSON.parse(l));
        assert.deepEqual(rejected.map((r) => [r.index, r.reasons]), [
            [1, ["measure revenue is NULL, not a number"]],
            [2, ['measure revenue is the string "n/a", not a number']],
            [3, ["measure orders is the boolean true, not a number"]],
            [4, ["timestamp 2026-11-30 10:05:00 is outside the queried interval [2026-11-30 10:00:00, 2026-11-30 10:05:00)"]],
            [5, ["timestamp is NULL, not a timestamp like 2026-11-30 10:05:00"]],
            [6, ["dimension region is NULL, not a non-empty string"]],
        ]);
        assert.deepEqual(rejected[1].values, { timestamp: "2026-11-30 10:02:00", region: "us", revenue: "n/a", orders: 1 }, "the row as returned");
        const logged = log.lines.find((l) => l.obj.message.startsWith("rejected rows"))!;
        assert.equal(logged.level, "error");
        assert.equal(logged.obj.rejectedRows, 6);
        const metric = cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData!;
        assert.deepEqual(metric.map((d) => [d.MetricName, d.Value]), [["RejectedRows", 6]], "lookout engine: RejectedRows only (the alarm watches it)");
    });

    it("a result without a configured column fails naming it, and nothing is written", async () => {
        scripts = () => ({ columns: COLUMNS.filter((c) => c.name !== "orders"), rows: [[{ stringValue: "2026-11-30 10:00:00" }, { stringValue: "eu" }, { doubleValue: 1 }]] });
        const { handler, cleanup } = await loadSerialized(settingsFor("cloudwatch"), baseEnv(standIn));
        try {
            await assert.rejects(handler({ query: "orders", scheduledTime: SCHEDULED }), /the result has no column orders \(columns returned: timestamp, region, revenue\).*nothing was written/);
        } finally {
            cleanup();
        }
        assert.equal(cw.commandCalls(PutMetricDataCommand).length, 0);
    });

    it("more rows than maxRows fail the run before anything is written", async () => {
        scripts = () => ({ columns: COLUMNS, rows: Array.from({ length: 30 }, () => row(0, "eu", { doubleValue: 1 }, { longValue: 1 })), pageSize: 10 });
        const { handler, cleanup } = await loadSerialized(settingsFor("cloudwatch", { maxRows: 15 }), baseEnv(standIn));
        try {
            await assert.rejects(handler({ query: "orders", scheduledTime: SCHEDULED }), /returned more than 15 rows \(30 in total\)/);
        } finally {
            cleanup();
        }
        assert.equal(cw.commandCalls(PutMetricDataCommand).length, 0);
    });

    it("a missing setting fails the cold start naming the variable; an unknown query fails naming the configured ones", async () => {
        await assert.rejects(loadSerialized(settingsFor("lookout"), baseEnv(standIn)), /environment variable REDSHIFT_BUCKET is not set/);
        const { handler, cleanup } = await loadSerialized(settingsFor("cloudwatch"), baseEnv(standIn));
        try {
            await assert.rejects(handler({ query: "refunds", scheduledTime: SCHEDULED }), /unknown query "refunds"; configured: orders/);
        } finally {
            cleanup();
        }
    });
});

describe("Redshift query runner (source)", () => {
    it("the validator refuses what the Data API model does not allow (so the stand-in's check can fail)", () => {
        const schema = inputSchema(dataModel, "ExecuteStatement");
        assert.deepEqual(validate(schema, { Sql: "SELECT 1", Database: "d" }, "wire"), []);
        const problems = validate(schema, { Database: "d", Sqll: "x", Parameters: [{ name: "start" }], WithEvent: "yes" }, "wire");
        assert.equal(problems.length, 4, problems.join("\n"));
        assert.equal(problems[0], "$.Sql: required by ExecuteStatementInput");
        assert.match(problems[1], /^\$\.Sqll: not a member of ExecuteStatementInput \(members: Sql, ClusterIdentifier, /);
        assert.equal(problems[2], "$.Parameters[0].value: required by SqlParameter");
        assert.equal(problems[3], '$.WithEvent: expected a boolean, got string "yes"');
    });

    it("a scheduled time maps to the last complete interval; intervalStart must be an interval boundary", () => {
        assert.equal(new Date(intervalForScheduledTime(Date.parse(SCHEDULED), 300)).toISOString(), "2026-11-30T10:00:00.000Z");
        assert.equal(new Date(intervalForScheduledTime(Date.parse("2026-11-30T11:02:00Z"), 3600)).toISOString(), "2026-11-30T10:00:00.000Z");
        const s = settingsFor("cloudwatch");
        assert.equal(parseRunEvent({ query: "orders", intervalStart: "2026-11-30T09:55:00Z" }, s).startMs, Date.parse("2026-11-30T09:55:00Z"));
        assert.throws(() => parseRunEvent({ query: "orders", intervalStart: "2026-11-30T09:56:00Z" }, s), /is not the start of a 300-second interval/);
        assert.throws(() => parseRunEvent({ query: "orders" }, s), /has neither scheduledTime nor intervalStart/);
        assert.throws(() => parseRunEvent("x", s), /must be an object/);
    });

    it("schedules run delayMinutes after each interval boundary", () => {
        assert.equal(scheduleExpression(300, 2), "cron(2/5 * * * ? *)");
        assert.equal(scheduleExpression(600, 0), "cron(0/10 * * * ? *)");
        assert.equal(scheduleExpression(3600, 7), "cron(7 * * * ? *)");
        assert.equal(scheduleExpression(86400, 90), "cron(30 1 * * ? *)");
    });

    it("reads Redshift TIMESTAMP and TIMESTAMPTZ strings (no zone = UTC)", () => {
        assert.equal(parseRedshiftTime("2026-11-30 10:05:00"), Date.parse("2026-11-30T10:05:00Z"));
        assert.equal(parseRedshiftTime("2026-11-30 12:05:00.123456+02"), Date.parse("2026-11-30T10:05:00.123Z"));
        assert.equal(parseRedshiftTime("2026-11-30T10:05:00Z"), Date.parse("2026-11-30T10:05:00Z"));
        assert.equal(parseRedshiftTime("30/11/2026"), undefined);
        assert.equal(sqlTimestamp(START), "2026-11-30 10:00:00");
    });

    it("rejects a row for every bad field at once, and an _other or overlong dimension value", () => {
        const cols = ["timestamp", "region", "revenue", "orders"];
        const { rows, rejected } = checkRows(ORDERS, cols, [
            [{ stringValue: "x" }, { stringValue: "_other" }, { stringValue: "1e400" }, { blobValue: new Uint8Array(2) }],
            [{ stringValue: "2026-11-30 10:01:00" }, { stringValue: "r".repeat(300) }, { doubleValue: 1 }, { longValue: 1 }],
        ], START, 300, "cloudwatch");
        assert.equal(rows.length, 0);
        assert.deepEqual(rejected[0].reasons, [
            'timestamp is the string "x", not a timestamp like 2026-11-30 10:05:00',
            "dimension region is _other, the name reserved for unwatched values",
            "measure revenue is Infinity, not a finite number",
            "measure orders is a blob, not a number",
        ]);
        assert.deepEqual(rejected[1].reasons, ["dimension region is longer than 256 characters"]);
    });
});
