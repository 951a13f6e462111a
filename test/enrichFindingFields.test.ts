// What a root cause adds to a finding (handlers/enrich/findingFields.ts): the text, the product fields and the
// ASFF Network/Action, checked by value and, inside a BatchImportFindings request, against the SDK's own model.
import * as assert from "assert";
import { BatchImportFindings$ } from "@aws-sdk/client-securityhub";

import type { EcommerceRootCause } from "../handlers/enrich/ecommerceRootCause";
import * as fields from "../handlers/enrich/findingFields";
import { ROOT_CAUSE_PREFIX } from "../handlers/enrich/findingFields";
import type { WafRootCause } from "../handlers/enrich/wafRootCause";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { validateAgainstSdk } from "./standins/sdkSchema";

type Fields = Pick<typeof fields, "rootCauseText" | "rootCauseProductFields" | "rootCauseAsff">;
const moduleFactory = () => ({ rootCauseText: fields.rootCauseText, rootCauseProductFields: fields.rootCauseProductFields, rootCauseAsff: fields.rootCauseAsff });
let current: Fields = moduleFactory();
const rootCauseText: Fields["rootCauseText"] = (rc) => current.rootCauseText(rc);
const rootCauseProductFields: Fields["rootCauseProductFields"] = (rc) => current.rootCauseProductFields(rc);
const rootCauseAsff: Fields["rootCauseAsff"] = (rc) => current.rootCauseAsff(rc);

const WAF: WafRootCause = {
    kind: "waf", status: "complete", acl: { name: "edge-acl", scope: "REGIONAL", region: "eu-west-1" }, rule: "ALL", measure: "blocked",
    window: { start: "2026-12-01T10:00:00.000Z", end: "2026-12-01T10:05:00.000Z" }, logGroup: "aws-waf-logs-x", total: 500, incomplete: [], queries: [],
    top: {
        clientIp: [{ value: "203.0.113.9", country: "CN", count: 412, share: 82.4 }, { value: "198.51.100.23", country: "BR", count: 61, share: 12.2 }, { value: "192.0.2.44", country: "US", count: 27, share: 5.4 }, { value: "192.0.2.45", country: "US", count: 0, share: 0 }],
        country: [{ value: "CN", count: 412, share: 82.4 }, { value: "BR", count: 61, share: 12.2 }],
        uri: [{ value: `/${"a".repeat(300)}`, count: 500, share: 100 }],
    },
};

const ECOM: EcommerceRootCause = {
    kind: "ecommerce", status: "complete", metricName: "Views", direction: "below", window: { start: "2026-12-01T10:00:00.000Z", end: "2026-12-01T10:10:00.000Z" },
    total: { observed: 900, expected: 2000, deviation: 1100, share: 0, datapoints: 2 }, series: [],
    dimensionContribution: [{ dimensionName: "Platform", dimensionValueContributions: [{ dimensionValue: "web", valueContribution: 86.36 }, { dimensionValue: "_other", valueContribution: 9.09 }, { dimensionValue: "ios", valueContribution: 4.55 }] }],
};

function findingWith(rc: WafRootCause | EcommerceRootCause) {
    const asff = rootCauseAsff(rc);
    return {
        SchemaVersion: "2018-10-08", Id: "x", ProductArn: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default", GeneratorId: "g",
        AwsAccountId: "123456789012", CreatedAt: "2026-12-01T10:05:00.000Z", UpdatedAt: "2026-12-01T10:05:00.000Z", Title: "t",
        Description: rootCauseText(rc), Resources: [{ Type: "Other", Id: "r" }], Types: ["Unusual Behaviors/Application/WAF Blocked Requests Anomaly"],
        Severity: { Label: "HIGH" }, ProductFields: Object.fromEntries(rootCauseProductFields(rc)), ...asff,
    };
}

forBothArtifacts("root cause in the finding (text, product fields, ASFF Network/Action)", artifactsOf<Fields>(moduleFactory, { factory: true, name: "enrich-fields" }), (get) => {
    beforeEach(() => { current = get(); });
    it("WAF: top IPs with their countries, countries and URIs with counts and shares; long values shortened", () => {
        const t = rootCauseText(WAF);
        assert.match(t, /^Root cause \(WAF logs 10:00–10:05 UTC, 500 blocked requests\): client IPs 203\.0\.113\.9 \[CN\] 412 \(82\.4%\), 198\.51\.100\.23 \[BR\] 61 \(12\.2%\), 192\.0\.2\.44 \[US\] 27 \(5\.4%\); countries CN 412 \(82\.4%\), BR 61 \(12\.2%\); URIs \/a+… 500 \(100%\)\.$/);
        assert.ok(t.length < 1024);
    });

    it("WAF: product fields keep every value read; the finding's Network and Action name the top IP, inbound, blocked, with its country", () => {
        const pf = Object.fromEntries(rootCauseProductFields(WAF));
        assert.strictEqual(pf[`${ROOT_CAUSE_PREFIX}status`], "complete");
        assert.strictEqual(pf[`${ROOT_CAUSE_PREFIX}blockedRequests`], "500");
        assert.strictEqual(pf[`${ROOT_CAUSE_PREFIX}clientIp`], "203.0.113.9 [CN]=412 (82.4%), 198.51.100.23 [BR]=61 (12.2%), 192.0.2.44 [US]=27 (5.4%), 192.0.2.45 [US]=0 (0%)");
        assert.ok(Object.entries(pf).every(([k, v]) => k.length <= 128 && v.length <= 2048));
        assert.deepStrictEqual(rootCauseAsff(WAF), {
            Network: { Direction: "IN", Protocol: "TCP", SourceIpV4: "203.0.113.9" },
            Action: { ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: { ConnectionDirection: "IN", Protocol: "TCP", Blocked: true, RemoteIpDetails: { IpAddressV4: "203.0.113.9", Country: { CountryCode: "CN" } } } },
        });
        const v6 = rootCauseAsff({ ...WAF, top: { clientIp: [{ value: "2001:db8::1", count: 3, share: 100 }] } });
        assert.deepStrictEqual(v6, { Network: { Direction: "IN", Protocol: "TCP", SourceIpV6: "2001:db8::1" } });
        assert.deepStrictEqual(rootCauseAsff({ ...WAF, measure: "counted" }).Action?.NetworkConnectionAction?.Blocked, false);
    });

    it("ecommerce: contributions per dimension in the text and product fields; no Network/Action", () => {
        assert.strictEqual(rootCauseText(ECOM), "Root cause (Views below expected by 1100, 10:00–10:10 UTC): Platform web 86.36%, _other 9.09%, ios 4.55%.");
        assert.strictEqual(Object.fromEntries(rootCauseProductFields(ECOM))[`${ROOT_CAUSE_PREFIX}contribution/Platform`], "web=86.36%, _other=9.09%, ios=4.55%");
        assert.deepStrictEqual(rootCauseAsff(ECOM), {});
    });

    it("partial and unavailable say so with the reason", () => {
        assert.strictEqual(rootCauseText({ ...WAF, status: "unavailable", reason: "log group aws-waf-logs-x does not exist in eu-west-1", top: {}, total: undefined }),
            "Root cause not available: log group aws-waf-logs-x does not exist in eu-west-1.");
        assert.match(rootCauseText({ ...WAF, status: "partial", reason: "Logs Insights did not finish within the 20 s budget: label incomplete" }), /\. Partial: Logs Insights did not finish within the 20 s budget: label incomplete\.$/);
        assert.deepStrictEqual(rootCauseAsff({ ...WAF, status: "unavailable", top: {} }), {});
        const pf = Object.fromEntries(rootCauseProductFields({ ...ECOM, status: "unavailable", reason: "no dimension series could be read", dimensionContribution: [] }));
        assert.strictEqual(pf[`${ROOT_CAUSE_PREFIX}reason`], "no dimension series could be read");
    });

    it("a finding carrying them is a valid BatchImportFindings request for the SDK's model", () => {
        for (const rc of [WAF, ECOM, { ...WAF, status: "unavailable" as const, top: {} }]) {
            assert.deepStrictEqual(validateAgainstSdk(BatchImportFindings$ as never, { Findings: [findingWith(rc)] }), []);
        }
        // and the validator does catch a wrong shape
        assert.notDeepStrictEqual(validateAgainstSdk(BatchImportFindings$ as never, { Findings: [{ ...findingWith(WAF), Network: { SourceIpV4: 1 } }] }), []);
    });
});
