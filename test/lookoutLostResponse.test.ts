// The lost create response with the real AWS SDK, not a stub: a local Lookout for Metrics endpoint (the stateful
// fake of test/fixtures/lookout/fakeLookout.ts behind restJson routes) creates the detector and then answers 500;
// the SDK's own retry gets 409 ConflictException "already exists" — exactly what the provider sees in AWS. The
// provider, as Pulumi ships it (serialized), finds this stack's detector by name and ends with one detector, in
// its outputs. The providers make their clients inside each method, so the endpoint comes from the SDK's
// AWS_ENDPOINT_URL_LOOKOUTMETRICS variable.
import { strict as assert } from "assert";
import * as http from "http";

import { anomalyDetectorProvider, LOOKOUT_PROVIDER_VERSION, OWNER_TAG } from "../providers/lookout";
import { FakeLookout } from "./fixtures/lookout/fakeLookout";
import { validateRequest } from "./fixtures/lookout/apiModel";
import { loadSerializedProvider } from "./serialized";

const ENV = ["AWS_ENDPOINT_URL_LOOKOUTMETRICS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] as const;

describe("Lookout for Metrics: a lost CreateAnomalyDetector response through the real SDK (local endpoint)", function () {
    this.timeout(60_000);
    const fake = new FakeLookout();
    const requests: { op: string; status: number }[] = [];
    const problems: string[] = [];
    let server: http.Server;
    const saved: Partial<Record<(typeof ENV)[number], string>> = {};

    before(async () => {
        server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const url = new URL(req.url ?? "/", "http://local");
                const tags = /^\/tags\/(.+)$/.exec(url.pathname);
                const op = tags ? "ListTagsForResource" : url.pathname.slice(1);
                const input = tags ? { ResourceArn: decodeURIComponent(tags[1]) } : chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
                problems.push(...validateRequest(op, input).map((p) => `${op} ${p}`));
                let status = 200;
                let body: unknown;
                const headers: Record<string, string> = { "Content-Type": "application/json" };
                try {
                    body = fake.handle(op, input);
                } catch (e) {
                    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
                    status = err.$metadata?.httpStatusCode ?? 500;
                    headers["x-amzn-ErrorType"] = err.name;
                    body = { Message: err.message };
                }
                requests.push({ op, status });
                res.writeHead(status, headers).end(JSON.stringify(body ?? {}));
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        for (const k of ENV) saved[k] = process.env[k];
        process.env.AWS_ENDPOINT_URL_LOOKOUTMETRICS = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        process.env.AWS_ACCESS_KEY_ID = "test";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
        delete process.env.AWS_SESSION_TOKEN;
        delete process.env.AWS_PROFILE;
    });
    after(async () => {
        for (const k of ENV) {
            if (saved[k] === undefined) delete process.env[k];
            else process.env[k] = saved[k];
        }
        await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("created, then a 500; the SDK retries into ConflictException; the serialized provider adopts and converges", async () => {
        let t = 0;
        const provider = await loadSerializedProvider(anomalyDetectorProvider({ pollIntervalMs: 1000, now: () => t, sleep: async (ms) => void (t += ms) }), "lookout-detector-http");
        fake.fault("CreateAnomalyDetector", { after: true });
        const inputs = {
            providerVersion: LOOKOUT_PROVIDER_VERSION,
            region: "us-east-1",
            name: "edge-dev-waf",
            description: "WAF BlockedRequests per rule",
            frequency: "PT5M" as const,
            owner: "edge-anomaly-detection/dev",
            metricSet: {
                name: "edge-dev-waf-blocked",
                description: "AWS/WAFV2 BlockedRequests",
                metrics: [{ name: "BlockedRequests", aggregation: "SUM" as const, namespace: "AWS/WAFV2" }],
                dimensions: ["Region", "Rule", "WebACL"],
                source: { type: "cloudwatch" as const, roleArn: "arn:aws:iam::123456789012:role/l4m-cloudwatch" },
            },
        };
        const created = await provider.create(inputs);

        // What went over the wire: the create acted and answered 500, the SDK's retry got 409.
        assert.deepEqual(requests.slice(0, 2), [{ op: "CreateAnomalyDetector", status: 500 }, { op: "CreateAnomalyDetector", status: 409 }]);
        assert.ok(requests.some((r) => r.op === "ListAnomalyDetectors"), JSON.stringify(requests));
        assert.deepEqual(problems, [], "every request valid for the API model");
        // One detector with its metric set, and it is the one in the outputs.
        assert.equal(fake.detectors.size, 1);
        const d = [...fake.detectors.values()][0];
        assert.equal(created.id, d.arn);
        assert.equal(created.outs?.metricSetArn, d.metricSet?.MetricSetArn);
        assert.equal(fake.tags.get(d.arn)?.[OWNER_TAG], "edge-anomaly-detection/dev");
    });
});
