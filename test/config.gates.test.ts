// Config that AWS would refuse, or that would silently do something else, fails preview naming the key: tags the
// program sets itself, a near-miss of the project's namespace, a flat dotted key set without --path, email and
// HTTPS endpoints, CloudWatch namespaces and API Gateway stage names to what the services accept, the tag limit.
import { strict as assert } from "assert";

import { checkConfigKeys, ConfigError, isEmailAddress, isHttpsEndpoint, OFFLINE_SECRET, parseConfig, RawConfig } from "../config";
import { runProgram, stackFileConfig } from "./harness";

const ctx = { stack: "dev", region: "us-east-1" };
const P = "edge-anomaly-detection";

function expectError(f: () => unknown, key: string, detail: RegExp): void {
    assert.throws(f, (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        assert.equal(err.key, key);
        assert.match(err.message, detail);
        return true;
    });
}

const parse = (raw: RawConfig) => parseConfig(raw, ctx);

describe("config: what AWS would refuse or what would silently do something else", () => {
    it("a tag the program sets itself (app, stack) given by the user is an error, not silently replaced", () => {
        expectError(() => parse({ tags: { app: "mine" } }), `${P}:tags.app`, /is a tag the program sets itself \(app = edge-anomaly-detection\); remove it/);
        expectError(() => parse({ tags: { owner: "me", stack: "prod" } }), `${P}:tags.stack`, /sets itself \(stack = dev\)/);
        assert.deepEqual(parse({ tags: { owner: "me" } }).tags, { owner: "me", app: P, stack: "dev" });
    });

    it("tags per resource: 48 of the user's plus the program's 2 is AWS's limit of 50", () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "v"]));
        assert.equal(Object.keys(parse({ tags: tags(48) }).tags).length, 50);
        expectError(() => parse({ tags: tags(49) }), `${P}:tags`, /49 tags plus the program's own 2 \(app, stack\) exceed AWS's 50 tags per resource/);
    });

    it("a near-miss of the project's namespace is an error naming the key", () => {
        for (const ns of ["edge-anomaly-detecton", "edge-anomaly-detection-", "Edge-Anomaly-Detection", "edge_anomaly_detection", "edge-anomoly-detection"]) {
            expectError(() => checkConfigKeys([`${ns}:detection`]), `${ns}:detection`, /is not this project's \("edge-anomaly-detection"\), so the program would never read it: rename the key to edge-anomaly-detection:detection/);
        }
        checkConfigKeys(["aws:region", `${P}:detection`, "other-project:key", "pulumi:tags"]);
    });

    it("a flat key with a dot gets the hint to use --path", () => {
        expectError(() => checkConfigKeys([`${P}:detection.engine`]), `${P}:detection.engine`, /flat key with a dot in its name, not detection\.engine: set it with `pulumi config set --path 'edge-anomaly-detection:detection\.engine' <value>`/);
        expectError(() => checkConfigKeys([`${P}:alerts.emails[0]`]), `${P}:alerts.emails[0]`, /--path/);
        expectError(() => checkConfigKeys([`${P}:nonsense`]), `${P}:nonsense`, /unknown key; allowed keys: tags, /);
    });

    it("the program itself (preview) refuses both, naming the key", async () => {
        for (const [key, detail] of [[`edge-anomaly-detecton:detection`, /not this project's/], [`${P}:detection.engine`, /--path/]] as const) {
            await assert.rejects(runProgram({ ...stackFileConfig("dev"), [key]: "lookout" }, "dev"), (err: Error) => {
                assert.equal(err.name, "ConfigError");
                assert.match(err.message, new RegExp(`^Invalid stack configuration '${key.replace(/[.[\]]/g, "\\$&")}': `));
                assert.match(err.message, detail);
                return true;
            });
        }
    });

    it("emails: what mail systems accept", () => {
        for (const ok of ["ops@example.com", "first.last+alerts@sub.example.co.uk", "o'neil@example.org"]) assert.equal(isEmailAddress(ok), true, ok);
        for (const bad of ["ops@example", "ops@@example.com", "ops@exa mple.com", ".ops@example.com", "op..s@example.com", "ops@-example.com",
            "ops@example.c", "élise@example.com", "ops@example.com.", `${"a".repeat(65)}@example.com`, "ops@example.123"]) {
            assert.equal(isEmailAddress(bad), false, bad);
        }
        expectError(() => parse({ alerts: { emails: ["ops@example"] } }), `${P}:alerts.emails[0]`, /is not an email address/);
    });

    it("HTTPS endpoints: a parsable https:// URL with a host", () => {
        for (const ok of ["https://hooks.example.com/services/T0/B0", "https://user:secret@alerts.example.com:8443/x?y=1", "https://203.0.113.5/hook", "https://[2001:db8::1]/hook"]) assert.equal(isHttpsEndpoint(ok), true, ok);
        for (const bad of ["http://hooks.example.com", "https://", "https:///path", "https://exa mple.com", "https://localhost/x", "https://ex_ample.com/x", "ftp://x.example.com", `https://x.example.com/${"a".repeat(2050)}`]) {
            assert.equal(isHttpsEndpoint(bad), false, bad);
        }
        expectError(() => parse({ alerts: { httpsEndpoints: ["https://hooks example.com"] } }), `${P}:alerts.httpsEndpoints[0]`, /is not an https:\/\/ URL with a host name/);
    });

    it("HTTPS endpoints: no private, loopback or link-local address (SNS delivers to public endpoints only), however written", () => {
        for (const bad of ["https://10.0.0.1/hook", "https://127.0.0.1:8443/", "https://192.168.1.10/", "https://172.20.0.1/", "https://169.254.169.254/latest",
            "https://100.64.0.1/", "https://0.0.0.0/", "https://[::1]/", "https://[fd12:3456::1]/", "https://[fe80::1]/", "https://[::ffff:10.0.0.1]/",
            "https://0x7f.1/", "https://2130706433/",
            // IPv4 carried in IPv6 (IPv4-compatible, mapped in hex, IPv4-translated, NAT64), site-local, multicast, unspecified, *.localhost
            "https://[::127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://[::ffff:0:a00:1]/", "https://[64:ff9b::a00:1]/", "https://[fec0::1]/",
            "https://[ff02::1]/", "https://[::]/", "https://foo.localhost/", "https://localhost./"]) {
            assert.equal(isHttpsEndpoint(bad), false, bad);
        }
        // The same forms carrying a public address, and public IPv6, stay accepted.
        for (const ok of ["https://[::ffff:8.8.8.8]/", "https://[64:ff9b::808:808]/", "https://[2606:4700:4700::1111]/hook", "https://8.8.8.8/", "https://localhost-proxy.example.com/"]) {
            assert.equal(isHttpsEndpoint(ok), true, ok);
        }
        expectError(() => parse({ alerts: { httpsEndpoints: ["https://hooks.example.com/a", "https://10.1.2.3/hook"] } }), `${P}:alerts.httpsEndpoints[1]`,
            /SNS can reach \(a public DNS name or IP address: SNS delivers to no private endpoint/);
    });

    it("metric namespaces: printable ASCII, 1–255, not starting with a colon (CloudWatch's pattern)", () => {
        for (const ok of ["AWS/WAFV2", "EdgeAnomaly/Heartbeat", "My App #1: prod", "a".repeat(255)]) assert.equal(parse({ heartbeat: { namespace: ok } }).heartbeat.namespace, ok);
        for (const bad of [":Edge", "Édge/Metrics", "Edge\tMetrics", "   ", "a".repeat(256), ""]) {
            expectError(() => parse({ heartbeat: { namespace: bad } }), `${P}:heartbeat.namespace`, /not a valid CloudWatch namespace \(1–255 printable ASCII characters, not starting with :\)/);
        }
    });

    it("secure: values in the offline plan: opaque where a string goes, a clear error naming the key where the plan needs the value", () => {
        const c = parse({ tags: { "cost-center": OFFLINE_SECRET }, alerts: { emails: [OFFLINE_SECRET, "ops@corp.internal"], httpsEndpoints: [OFFLINE_SECRET] } });
        assert.deepEqual([c.tags["cost-center"], c.alerts.emails, c.alerts.httpsEndpoints], [OFFLINE_SECRET, [OFFLINE_SECRET, "ops@corp.internal"], [OFFLINE_SECRET]]);
        const needed = /is a secret \(secure:\) the offline plan cannot decrypt, and what is planned depends on its value/;
        expectError(() => parse({ waf: { rateLimit: { limit: OFFLINE_SECRET } } }), `${P}:waf.rateLimit.limit`, needed);
        expectError(() => parse({ detection: { engine: OFFLINE_SECRET } }), `${P}:detection.engine`, /one of cloudwatch, lookout/);
        expectError(() => parse({ api: { enabled: OFFLINE_SECRET } }), `${P}:api.enabled`, /true or false/);
        expectError(() => parse({ alerts: OFFLINE_SECRET }), `${P}:alerts`, needed);
        expectError(() => parse({ alerts: { emails: OFFLINE_SECRET } }), `${P}:alerts.emails`, /its items can be secret one by one/);
    });

    it("stage names: letters, digits, hyphens, underscores (API Gateway), 1–128", () => {
        for (const ok of ["prod", "blue-green", "v1_2", "a".repeat(128)]) assert.equal(parse({ api: { stageName: ok } }).api.stageName, ok);
        for (const bad of ["my stage", "v1.2", "a".repeat(129), "prod/1"]) expectError(() => parse({ api: { stageName: bad } }), `${P}:api.stageName`, /hyphens or underscores/);
    });
});

describe("defaults that cut cost (the dev stack as the program builds it)", function () {
    this.timeout(120_000);
    const LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration";

    it("WAF logs keep BLOCK and COUNT only by default; waf.logAllowedRequests: true keeps every request", async () => {
        const dev = stackFileConfig("dev");
        const filtered = (await runProgram(dev, "dev")).one(LOGGING).inputs;
        assert.deepEqual(filtered.loggingFilter, {
            defaultBehavior: "DROP",
            filters: [{ behavior: "KEEP", requirement: "MEETS_ANY", conditions: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }] }],
        });
        const waf = dev[`${P}:waf`] as Record<string, unknown>;
        const everything = (await runProgram({ ...dev, [`${P}:waf`]: { ...waf, logAllowedRequests: true } }, "dev")).one(LOGGING).inputs;
        assert.equal(everything.loggingFilter, undefined);
    });
});
