import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";

import { parseProbeArgs, probeUrl, runProbe, XSS_PAYLOAD } from "../scripts/xss-probe";

describe("xss probe script", () => {
    let server: http.Server;
    let base: string;
    const seen: string[] = [];
    before(async () => {
        // A stand-in for the WAF-protected stage on loopback: 403 for script tags (as CommonRuleSet does), else 200.
        server = http.createServer((req, res) => {
            const q = new URL(req.url!, "http://x").searchParams.get("q") ?? "";
            seen.push(q);
            if (q.includes("flaky")) res.writeHead(seen.length % 2 ? 502 : 200).end();
            else if (/<script>/i.test(q)) res.writeHead(403).end("Forbidden");
            else res.writeHead(200).end('{"message":"ok"}');
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
    });
    after(() => server.close());

    it("puts the payload in the query string, URL-encoded", () => {
        assert.equal(probeUrl("https://abc.execute-api.us-east-1.amazonaws.com/prod", XSS_PAYLOAD),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod?q=%3Cscript%3Ealert%28%22hello%22%29%3C%2Fscript%3E");
    });

    it("counts blocked and allowed responses over exactly N requests", async () => {
        seen.length = 0;
        const r = await runProbe({ url: base, count: 25, concurrency: 4, timeoutMs: 5000, payload: XSS_PAYLOAD });
        assert.equal(seen.length, 25);
        assert.ok(seen.every((q) => q === XSS_PAYLOAD));
        assert.deepEqual(r, { sent: 25, blocked: 25, allowed: 0, otherStatus: {}, errors: 0, blockedRatio: 1 });
        const benign = await runProbe({ url: base, count: 3, concurrency: 2, timeoutMs: 5000, payload: "hello" });
        assert.equal(benign.allowed, 3);
        assert.equal(benign.blocked, 0);
    });

    it("reports other statuses and connection errors separately", async () => {
        const r = await runProbe({ url: base, count: 4, concurrency: 1, timeoutMs: 5000, payload: "flaky" });
        assert.equal(r.allowed + (r.otherStatus["502"] ?? 0), 4);
        assert.ok((r.otherStatus["502"] ?? 0) >= 1);
        const dead = await runProbe({ url: "http://127.0.0.1:1/prod", count: 2, concurrency: 1, timeoutMs: 2000, payload: XSS_PAYLOAD });
        assert.equal(dead.errors, 2);
    });

    it("validates its arguments", () => {
        assert.throws(() => parseProbeArgs([]), /--url is required/);
        assert.throws(() => parseProbeArgs(["--url", "https://x/prod", "--count", "0"]), /--count must be a whole number from 1/);
        assert.equal(parseProbeArgs(["--url", "https://x/prod"]).count, 20);
    });
});
