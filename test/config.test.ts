import { strict as assert } from "assert";

import { AppConfig, ConfigError, parseConfig, RawConfig } from "../config";
import { runProgram, stackFileConfig, stackNames } from "./harness";

const ctx = { stack: "dev", region: "us-east-1" };

/** The dev stack file's config as the program reads it: `project:key` -> key, objects as objects. */
function devRaw(): RawConfig {
    const raw: RawConfig = {};
    for (const [k, v] of Object.entries(stackFileConfig("dev"))) {
        if (k.startsWith("edge-anomaly-detection:")) raw[k.slice("edge-anomaly-detection:".length)] = v;
    }
    return raw;
}

function withArea(area: string, patch: Record<string, unknown>): RawConfig {
    const raw = devRaw();
    raw[area] = { ...(raw[area] as object), ...patch };
    return raw;
}

function expectConfigError(raw: RawConfig, key: string, detail: RegExp, c = ctx): void {
    assert.throws(() => parseConfig(raw, c), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        assert.equal(err.key, key);
        assert.match(err.message, new RegExp(`^Invalid stack configuration '${key.replace(/[.[\]]/g, "\\$&")}': `));
        assert.match(err.message, detail);
        return true;
    });
}

describe("config", () => {
    it("applies documented defaults when the stack sets nothing", () => {
        const c: AppConfig = parseConfig({}, ctx);
        assert.equal(c.detection.engine, "cloudwatch");
        assert.equal(c.detection.frequency, "PT5M");
        assert.equal(c.detection.intervalSeconds, 300);
        assert.equal(c.api.stageName, "prod");
        assert.equal(c.waf.knownBadInputs, true);
        assert.equal(c.waf.rateLimit.enabled, true);
        assert.equal(c.waf.rateLimit.limit, 2000);
        assert.equal(c.heartbeat.enabled, false, "cloudwatch fills gaps with FILL(); no heartbeat by default");
        assert.equal(c.lambdaRuntime, "nodejs22.x");
        assert.equal(c.logRetentionDays, 30);
        assert.deepEqual(c.alerts.emails, []);
        assert.deepEqual(c.tags, { app: "edge-anomaly-detection", stack: "dev" });
    });

    it("turns the heartbeat on by default for the lookout engine", () => {
        assert.equal(parseConfig({ detection: { engine: "lookout" } }, ctx).heartbeat.enabled, true);
        assert.equal(parseConfig({ detection: { engine: "lookout" }, heartbeat: { enabled: false } }, ctx).heartbeat.enabled, false);
    });

    it("derives the interval from the frequency (one source of truth)", () => {
        for (const [f, s] of [["PT5M", 300], ["PT10M", 600], ["PT1H", 3600], ["P1D", 86400]] as const) {
            assert.equal(parseConfig({ detection: { frequency: f } }, ctx).detection.intervalSeconds, s);
        }
    });

    it("reads every stack file in the repository without error", () => {
        for (const stack of stackNames()) {
            const file = stackFileConfig(stack);
            const raw: RawConfig = {};
            for (const [k, v] of Object.entries(file)) {
                if (k.startsWith("edge-anomaly-detection:")) raw[k.slice("edge-anomaly-detection:".length)] = v;
            }
            assert.doesNotThrow(() => parseConfig(raw, { stack, region: file["aws:region"] as string }), `Pulumi.${stack}.yaml`);
        }
    });

    it("accepts values given as strings (pulumi config set without --path)", () => {
        const c = parseConfig({ logRetentionDays: "14", waf: JSON.stringify({ rateLimit: { limit: "500", enabled: "false" } }) }, ctx);
        assert.equal(c.logRetentionDays, 14);
        assert.equal(c.waf.rateLimit.limit, 500);
        assert.equal(c.waf.rateLimit.enabled, false);
    });

    it("freezes the result so no component can change another's settings", () => {
        const c = parseConfig(devRaw(), ctx);
        assert.throws(() => { (c.api as { stageName: string }).stageName = "x"; }, TypeError);
    });

    describe("rejects bad values, naming the key and what is allowed", () => {
        it("a stage name with spaces", () =>
            expectConfigError(withArea("api", { stageName: "my stage" }), "edge-anomaly-detection:api.stageName", /no spaces/));
        it("an unknown WAF rule toggle", () =>
            expectConfigError(withArea("waf", { knownBadInputz: true }), "edge-anomaly-detection:waf.knownBadInputz", /unknown key; allowed keys here: knownBadInputs, rateLimit, logRetentionDays/));
        it("an unknown key in a nested object", () =>
            expectConfigError(withArea("waf", { rateLimit: { limt: 10 } }), "edge-anomaly-detection:waf.rateLimit.limt", /unknown key/));
        it("an unknown top-level key", () =>
            expectConfigError({ ...devRaw(), wafs: {} }, "edge-anomaly-detection:wafs", /unknown key/));
        it("an unknown engine", () =>
            expectConfigError(withArea("detection", { engine: "sagemaker" }), "edge-anomaly-detection:detection.engine", /use one of: cloudwatch, lookout/));
        it("a frequency Lookout for Metrics does not have", () =>
            expectConfigError(withArea("detection", { frequency: "PT15M" }), "edge-anomaly-detection:detection.frequency", /use one of: PT5M, PT10M, PT1H, P1D/));
        it("an alert sensitivity outside 0-100", () =>
            expectConfigError(withArea("detection", { alertSensitivity: 101 }), "edge-anomaly-detection:detection.alertSensitivity", /from 0 to 100/));
        it("a band width of 0", () =>
            expectConfigError(withArea("detection", { bandWidth: 0 }), "edge-anomaly-detection:detection.bandWidth", /greater than 0/));
        it("a WAF period that is not a whole minute", () =>
            expectConfigError(withArea("detection", { wafPeriodSeconds: 90 }), "edge-anomaly-detection:detection.wafPeriodSeconds", /multiple of 60/));
        it("more datapoints to alarm than evaluation periods", () =>
            expectConfigError(withArea("detection", { datapointsToAlarm: 3, evaluationPeriods: 2 }), "edge-anomaly-detection:detection.datapointsToAlarm", /must not exceed/));
        it("an unknown ecommerce dimension", () =>
            expectConfigError(withArea("detection", { ecommerceDimensions: ["platform", "country"] }), "edge-anomaly-detection:detection.ecommerceDimensions[1]", /platform and\/or marketplace/));
        it("a value listed twice (each watched value gets its own alarms and metrics)", () =>
            expectConfigError(withArea("detection", { platforms: ["web", "ios", "web"] }), "edge-anomaly-detection:detection.platforms", /lists "web" twice/));
        it("a watched value that collides with the transform's bucket of unwatched values", () =>
            expectConfigError(withArea("detection", { marketplaces: ["US", "_other"] }), "edge-anomaly-detection:detection.marketplaces[1]", /not _other/));
        it("a retention CloudWatch Logs does not offer", () =>
            expectConfigError({ ...devRaw(), logRetentionDays: 10 }, "edge-anomaly-detection:logRetentionDays", /use one of: 1, 3, 5, 7, 14, 30/));
        it("a rate limit below WAF's minimum", () =>
            expectConfigError(withArea("waf", { rateLimit: { limit: 5 } }), "edge-anomaly-detection:waf.rateLimit.limit", /from 10 to/));
        it("a rate window WAF does not offer", () =>
            expectConfigError(withArea("waf", { rateLimit: { windowSeconds: 30 } }), "edge-anomaly-detection:waf.rateLimit.windowSeconds", /60, 120, 300, 600/));
        it("a Firehose buffer below the dynamic-partitioning minimum", () =>
            expectConfigError(withArea("pipeline", { bufferingSizeMiB: 5 }), "edge-anomaly-detection:pipeline.bufferingSizeMiB", /from 64 to 128/));
        it("a malformed email address", () =>
            expectConfigError(withArea("alerts", { emails: ["ops@example.com", "not-an-email"] }), "edge-anomaly-detection:alerts.emails[1]", /not an email address/));
        it("a phone number not in E.164 form", () =>
            expectConfigError(withArea("alerts", { smsNumbers: ["555-0100"] }), "edge-anomaly-detection:alerts.smsNumbers[0]", /E\.164/));
        it("a boolean given as a word", () =>
            expectConfigError(withArea("heartbeat", { enabled: "yes" }), "edge-anomaly-detection:heartbeat.enabled", /true or false/));
        it("a tag key in the aws: namespace", () =>
            expectConfigError({ tags: { "aws:owner": "x" } }, "edge-anomaly-detection:tags.aws:owner", /not a valid tag key/));
        it("an unsupported Lambda runtime", () =>
            expectConfigError({ lambdaRuntime: "nodejs18.x" }, "edge-anomaly-detection:lambdaRuntime", /nodejs22\.x, nodejs24\.x/));
        it("a missing region", () =>
            expectConfigError({}, "aws:region", /pulumi config set aws:region/, { stack: "dev", region: undefined as unknown as string }));
    });

    it("fails the program (and so `pulumi preview`) with the message naming the key", async () => {
        const cfg = stackFileConfig("dev");
        cfg["edge-anomaly-detection:api"] = { stageName: "my stage" };
        await assert.rejects(runProgram(cfg, "badcfg"), /Invalid stack configuration 'edge-anomaly-detection:api\.stageName': "my stage" is not a valid stage name/);
    });

    it("fails the program on a key in the project namespace it does not read", async () => {
        const cfg = stackFileConfig("dev");
        cfg["edge-anomaly-detection:detectoin"] = { engine: "lookout" };
        await assert.rejects(runProgram(cfg, "typo"), /Invalid stack configuration 'edge-anomaly-detection:detectoin': unknown key/);
    });
});
