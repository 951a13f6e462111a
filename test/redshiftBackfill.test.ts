// `npm run backfill -- --source redshift`: against the Data API stand-in, with S3 and CloudWatch stubbed. The
// backfill writes, for an interval, exactly what the scheduled Lambda (its serialized code) writes for it; long
// runs report progress and resume where they stopped.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import { redshiftMetricsArgs } from "../componentArgs";
import { parseConfig } from "../config";
import { redshiftSettings, runnerSettings } from "../components/redshiftMetrics";
import { rowsKey } from "../handlers/redshiftQuery";
import { defaultClients, redshiftBackfillCli, RedshiftBackfillDeps } from "../scripts/lib/redshiftBackfill";
import { REDSHIFT_SOURCE } from "./fixtures/sources";
import { ROOT } from "./harness";
import { REGION } from "./mocks";
import { baseEnv, COLUMNS, loadSerialized } from "./fixtures/redshiftRunner";
import { FieldValue, RedshiftDataStandIn, startRedshiftDataStandIn, StatementScript } from "./standins/redshiftData";
import { commandProblems } from "./standins/sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cwModel = require("@aws-sdk/client-cloudwatch") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3Model = require("@aws-sdk/client-s3") as Record<string, unknown>;

const NOW = Date.parse("2025-11-30T10:30:00Z");
const ORDERS = REDSHIFT_SOURCE.queries[0];

function configFor(engine: "cloudwatch" | "lookout") {
    return parseConfig({ detection: { engine }, sources: { redshift: { ...REDSHIFT_SOURCE, frequency: "PT1H", queries: [ORDERS] } } }, { stack: "dev", region: REGION });
}

/** Rows that depend on the interval, so a backfilled interval must match the scheduled one exactly. */
function rowsFor(start: string): FieldValue[][] {
    const hour = Number(start.slice(11, 13));
    return [
        [{ stringValue: start.replace(/:00:00$/, ":10:00") }, { stringValue: "eu" }, { stringValue: `${hour}.25` }, { longValue: hour + 1 }],
        [{ stringValue: start.replace(/:00:00$/, ":40:00") }, { stringValue: "apac" }, { doubleValue: hour * 2 }, { longValue: 1 }],
        [{ stringValue: start }, { stringValue: "us" }, { isNull: true }, { longValue: 1 }],
    ];
}

describe("Redshift backfill (--source redshift)", function () {
    this.timeout(120_000);
    let standIn: RedshiftDataStandIn;
    let script: (sql: string, p: Record<string, string>) => StatementScript;
    let cw: AwsClientStub<CloudWatchClient>;
    let s3: AwsClientStub<S3Client>;
    let dir: string;
    const saved = { ...process.env };

    before(async () => {
        standIn = await startRedshiftDataStandIn((sql, p) => script(sql, p));
        cw = mockClient(CloudWatchClient);
        s3 = mockClient(S3Client);
        Object.assign(process.env, baseEnv(standIn));
    });
    beforeEach(() => {
        cw.reset();
        s3.reset();
        cw.on(PutMetricDataCommand).resolves({});
        s3.on(PutObjectCommand).resolves({});
        standIn.requests.length = 0;
        script = (_sql, p) => ({ columns: COLUMNS, rows: rowsFor(p.start) });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "redshift-backfill-"));
    });
    afterEach(() => {
        assert.deepEqual(standIn.problems(), []);
        assert.deepEqual([...cw.calls(), ...s3.calls()].flatMap((c) => {
            const cmd = c.args[0] as any;
            return commandProblems(cmd.constructor.name.includes("PutObject") ? s3Model : cwModel, cmd);
        }), []);
        fs.rmSync(dir, { recursive: true, force: true });
    });
    after(async () => {
        process.env = saved;
        cw.restore();
        s3.restore();
        await standIn.close();
    });

    function deps(engine: "cloudwatch" | "lookout", out: string[] = []): RedshiftBackfillDeps {
        return {
            stdout: (t) => out.push(t), stderr: (t) => out.push(t), now: () => NOW,
            loadConfig: () => configFor(engine), createClients: defaultClients,
        };
    }

    async function scheduled(engine: "cloudwatch" | "lookout", scheduledTime: string) {
        const settings = runnerSettings(redshiftSettings(redshiftMetricsArgs(configFor(engine), { alerts: { topicArn: "", deadLetterQueueArn: "", deadLetterKeyArn: "", findingFunctionArn: "" } })!));
        const { handler, cleanup } = await loadSerialized(settings, baseEnv(standIn, engine === "lookout" ? { REDSHIFT_BUCKET: "data-bucket" } : {}));
        const info = console.info;
        const error = console.error;
        console.info = () => undefined;
        console.error = () => undefined;
        try {
            return await handler({ query: "orders", scheduledTime });
        } finally {
            console.info = info;
            console.error = error;
            cleanup();
        }
    }

    it("lookout: the backfilled object of an interval has exactly the rows the schedule writes for it (historical/ instead of live/)", async () => {
        await scheduled("lookout", "2025-11-30T10:02:00Z"); // the 09:00–10:00 interval
        const live = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input).find((i) => i.Key === rowsKey("orders", "live", Date.parse("2025-11-30T09:00:00Z")))!;
        assert.ok(live, "the schedule wrote the live object");
        s3.resetHistory();
        const out: string[] = [];
        const r = await redshiftBackfillCli(["--source", "redshift", "--days", "1", "--bucket", "data-bucket", "--state", path.join(dir, "state.json")], deps("lookout", out));
        assert.deepEqual([r.intervals, r.written, r.skipped, r.failures.length], [24, 24, 0, 0]);
        const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
        const hist = puts.find((i) => i.Key === "redshift/orders/historical/20251130/0900/orders.jsonl")!;
        assert.equal(hist.Body, live.Body, "same rows, same order, same encoding");
        assert.equal(hist.Bucket, "data-bucket");
        // Every interval of the day before the current one (10:00), and its rejected rows beside it.
        const keys = puts.map((p) => p.Key!).filter((k) => k.includes("/historical/")).sort();
        assert.equal(keys.length, 24);
        assert.equal(keys[0], "redshift/orders/historical/20251129/1000/orders.jsonl");
        assert.equal(keys[23], "redshift/orders/historical/20251130/0900/orders.jsonl");
        assert.equal(puts.filter((p) => p.Key!.includes("/rejected/")).length, 24, "the NULL revenue row of each interval is kept as rejected, not dropped");
        assert.equal(r.rejectedRows, 24);
        assert.match(out.join(""), /24\/24 intervals \(100%\): 24 written, 48 rows, 24 rejected rows, 0 failed/);
    });

    it("cloudwatch: the backfill publishes the same datapoints for an interval as the schedule", async () => {
        await scheduled("cloudwatch", "2025-11-30T10:02:00Z");
        const fromSchedule = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input)[0];
        cw.resetHistory();
        await redshiftBackfillCli(["--source", "redshift", "--days", "1", "--state", path.join(dir, "state.json")], deps("cloudwatch"));
        const calls = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
        assert.equal(calls.length, 24, "one request per interval");
        const same = calls.find((i) => i.MetricData![0].Timestamp!.toISOString() === "2025-11-30T09:00:00.000Z")!;
        assert.deepEqual(same, fromSchedule);
        assert.equal(same.MetricData!.find((d) => d.MetricName === "orders" && d.Dimensions!.length === 2)!.Value, 9 + 1 + 1, "eu 10 + apac 1 (the NULL-revenue row is rejected whole)");
    });

    it("resumes: a failed interval fails the run naming it, the others are recorded, and a re-run runs only that one", async () => {
        const state = path.join(dir, "state.json");
        script = (_sql, p) => p.start === "2025-11-30 03:00:00"
            ? { statuses: ["FAILED"], error: "ERROR: could not read block" }
            : { columns: COLUMNS, rows: rowsFor(p.start) };
        await assert.rejects(redshiftBackfillCli(["--source", "redshift", "--days", "1", "--state", state], deps("cloudwatch")),
            /1 interval\(s\) failed \(re-run the same command to retry only those\):\n  orders 2025-11-30T03:00:00.000Z: redshift query orders for the interval starting 2025-11-30T03:00:00.000Z: statement \S+ FAILED: ERROR: could not read block/);
        assert.equal(JSON.parse(fs.readFileSync(state, "utf8")).done.orders.length, 23);
        script = (_sql, p) => ({ columns: COLUMNS, rows: rowsFor(p.start) });
        standIn.requests.length = 0;
        const out: string[] = [];
        const r = await redshiftBackfillCli(["--source", "redshift", "--days", "1", "--state", state], deps("cloudwatch", out));
        assert.deepEqual([r.written, r.skipped], [1, 23]);
        const executed = standIn.requests.filter((q) => q.operation === "ExecuteStatement");
        assert.deepEqual(executed.map((q) => (q.body.Parameters as { value: string }[])[0].value), ["2025-11-30 03:00:00"]);
        assert.match(out.join(""), /24 intervals, 23 already done/);
        const again = await redshiftBackfillCli(["--source", "redshift", "--days", "1", "--state", state, "--restart"], deps("cloudwatch"));
        assert.deepEqual([again.written, again.skipped], [24, 0], "--restart runs everything again");
    });

    it("refuses what cannot work, naming the flag", async () => {
        const run = (args: string[], engine: "cloudwatch" | "lookout" = "cloudwatch") => redshiftBackfillCli(["--source", "redshift", ...args, "--state", path.join(dir, "s.json")], deps(engine));
        await assert.rejects(run(["--days", "15"]), /--days must be a whole number from 1 to 14 with the cloudwatch engine/);
        await assert.rejects(run(["--days", "1"], "lookout"), /--bucket is required with the lookout engine/);
        await assert.rejects(run(["--days", "1", "--query", "refunds"]), /--query refunds: no such query; configured: orders/);
        await assert.rejects(run(["--days", "1", "--end", "2025-12-01T00:00:00Z"]), /--end is in the future/);
        await assert.rejects(run(["--days", "1", "--end", "2025-11-01T00:00:00Z"]), /more than 14 days ago: CloudWatch refuses older datapoints/);
        await assert.rejects(run(["--days", "1", "--bogus"]), /Unknown option '--bogus'/);
    });

    it("the script dispatches --source redshift and exits 2 on a usage error (a stack without the source)", () => {
        let status = 0;
        let stderr = "";
        try {
            execFileSync(process.execPath, ["-r", "./test/tsnode.js", "scripts/backfill.ts", "--source", "redshift", "--days", "1", "--stack", "dev"], { cwd: ROOT, stdio: "pipe", env: { ...process.env, AWS_REGION: REGION } });
        } catch (e) {
            status = (e as { status: number }).status;
            stderr = String((e as { stderr: Buffer }).stderr);
        }
        assert.equal(status, 2);
        assert.match(stderr, /backfill: stack dev does not enable sources.redshift \(Pulumi.dev.yaml\)/);
    });
});
