// The order-value root cause's one call (DescribeAlarms, listing the other order-value children) on the wire: a real
// CloudWatch client with the deployed client config (its retry strategy included) against a local endpoint, run on
// the source and the serialized module. What a user reads in the finding when the call does not answer in time must
// say so — the enrichment budget ran out — not only the SDK's "AbortError: Request aborted"; a real failure keeps
// its own reason.
import * as assert from "assert";
import * as http from "http";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

import { cloudWatchClientConfig } from "../handlers/alert/settings";
import { orderValueRootCause, OrderValueRequest } from "../handlers/enrich/orderValueRootCause";
import { artifactsOf, forBothArtifacts } from "./serialized";

const moduleFactory = () => ({ orderValueRootCause });

const REQ: OrderValueRequest = {
    alarmName: "edge-anomaly-detection-dev-ecommerce-revenue-total-spike-aov-band", metricName: "OrderValueLog/Checkouts", direction: "above",
    window: { start: new Date("2025-03-04T10:05:00Z"), end: new Date("2025-03-04T10:09:00Z") }, stackDimension: "Stack",
};

forBothArtifacts("order-value root cause: DescribeAlarms on the wire", artifactsOf<{ orderValueRootCause: typeof orderValueRootCause }>(moduleFactory, { factory: true, name: "enrich-order-value" }), (get) => {
    let server: http.Server;
    let endpoint: string;
    /** What the endpoint does with a request: hold it (never answer) or answer with an error. */
    let mode: "hold" | "denied" = "hold";
    before(async () => {
        server = http.createServer((req, res) => {
            req.resume();
            if (mode === "denied") {
                // The service's JSON error (the CloudWatch client speaks its JSON protocol, with the query-compatible error code header).
                res.writeHead(403, { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": "AccessDenied;Sender", "x-amzn-requestid": "r-1" });
                res.end(JSON.stringify({ __type: "com.amazonaws.cloudwatch#AccessDenied", message: "User is not authorized to perform cloudwatch:DescribeAlarms" }));
            }
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
    });
    const client = () => new CloudWatchClient({ ...cloudWatchClientConfig("us-east-1"), endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } });

    it("no answer before the deadline: unavailable, the reason names the enrichment budget the call ran out of", async () => {
        mode = "hold";
        const cw = client();
        try {
            const r = await get().orderValueRootCause(REQ, { cloudWatch: cw, deadlineMs: Date.now() + 400, breachOf: () => undefined });
            assert.strictEqual(r.status, "unavailable");
            assert.match(r.reason ?? "", /^the other order-value alarms could not be listed: DescribeAlarms did not answer within the \d+ ms left of the enrichment budget$/, r.reason);
        } finally {
            cw.destroy();
        }
    });

    it("a real failure keeps its own reason (the service's error name and message)", async () => {
        mode = "denied";
        const cw = client();
        try {
            const r = await get().orderValueRootCause(REQ, { cloudWatch: cw, deadlineMs: Date.now() + 20_000, breachOf: () => undefined });
            assert.strictEqual(r.status, "unavailable");
            assert.strictEqual(r.reason, "the other order-value alarms could not be listed: AccessDenied: User is not authorized to perform cloudwatch:DescribeAlarms");
        } finally {
            cw.destroy();
        }
    });
});
