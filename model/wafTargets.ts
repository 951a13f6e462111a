// What the detectors watch of AWS WAF: a list of web ACLs — the project's own and existing ones — each with the
// series WAF publishes for it in AWS/WAFV2. This is the seam between WHAT is watched (index.ts builds the list
// from the stack config, rule discovery fills in rules) and HOW each series is watched (the engines' alarm and
// metric-set shapes, the heartbeat, the dashboard).
//
// AWS WAF metrics (WAF developer guide, "AWS WAF metrics and dimensions"): namespace AWS/WAFV2, one datapoint a
// minute, dimensions `Region, Rule, WebACL` for regional web ACLs and `Rule, WebACL` for web ACLs used with
// CloudFront (no `Region` dimension), whose metrics are published in us-east-1. The web ACL's total is published
// under `Rule=ALL`; each rule's under its visibility-config metric name.
import * as pulumi from "@pulumi/pulumi";

export type WafScope = "REGIONAL" | "CLOUDFRONT";

/** The `Rule` dimension value of a web ACL's total. */
export const WAF_TOTAL_RULE = "ALL";
/** Where WAF publishes the metrics of CLOUDFRONT web ACLs (and where their alarms must be). */
export const CLOUDFRONT_METRICS_REGION = "us-east-1";

export interface WatchedWebAcl {
    /**
     * Unique among the watched ACLs and URN-safe: logical names and alarm names are built from it. Empty for at
     * most one ACL (the stack's own), whose series keep the bare rule name as their key.
     */
    readonly key: string;
    /** The web ACL's name: the `WebACL` dimension. */
    readonly name: pulumi.Input<string>;
    readonly scope: WafScope;
    /** Rule metric names watched besides the total (`Rule=ALL`, always watched). */
    readonly rules: readonly string[];
    /** The web ACL's ARN when known: findings name it. */
    readonly arn?: pulumi.Input<string>;
}

/** One watched AWS/WAFV2 series: a web ACL's total or one of its rules. */
export interface WafSeries {
    readonly acl: WatchedWebAcl;
    /** The `Rule` dimension value (`ALL` for the total). */
    readonly rule: string;
    /** Unique, URN-safe: `<acl key>-<rule>`. */
    readonly key: string;
    /** The region the series is published in (and its alarm must live in). */
    readonly region: string;
    /** The series' AWS/WAFV2 dimensions, exactly as WAF publishes them for this scope. */
    readonly dimensions: Record<string, pulumi.Input<string>>;
}

/** The region a web ACL's metrics are published in. */
export function metricsRegion(scope: WafScope, stackRegion: string): string {
    return scope === "CLOUDFRONT" ? CLOUDFRONT_METRICS_REGION : stackRegion;
}

/** AWS/WAFV2 dimensions of one series: `Region, Rule, WebACL` (REGIONAL) or `Rule, WebACL` (CLOUDFRONT). */
export function wafDimensions(scope: WafScope, stackRegion: string, rule: string, webAclName: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return scope === "CLOUDFRONT" ? { Rule: rule, WebACL: webAclName } : { Region: stackRegion, Rule: rule, WebACL: webAclName };
}

/** Every series of every watched web ACL: per ACL the total first, then its rules. Refuses duplicate keys/rules. */
export function wafSeries(acls: readonly WatchedWebAcl[], stackRegion: string): WafSeries[] {
    const keys = new Set<string>();
    const out: WafSeries[] = [];
    for (const acl of acls) {
        if (keys.has(acl.key)) throw new Error(`watched web ACLs: key ${JSON.stringify(acl.key)} is used twice`);
        keys.add(acl.key);
        if (new Set(acl.rules).size !== acl.rules.length) {
            throw new Error(`watched web ACL ${acl.key}: duplicate WAF rule names in ${JSON.stringify(acl.rules)}`);
        }
        for (const rule of [WAF_TOTAL_RULE, ...acl.rules.filter((r) => r !== WAF_TOTAL_RULE)]) {
            out.push({
                acl,
                rule,
                key: acl.key ? `${acl.key}-${rule}` : rule,
                region: metricsRegion(acl.scope, stackRegion),
                dimensions: wafDimensions(acl.scope, stackRegion, rule, acl.name),
            });
        }
    }
    return out;
}

/** A URN- and alarm-name-safe key for an existing web ACL: `regional-<name>` / `cloudfront-<name>`. */
export function watchedAclKey(scope: WafScope, name: string): string {
    return `${scope === "CLOUDFRONT" ? "cloudfront" : "regional"}-${name}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** The key of the project's own web ACL: its series keep the bare rule names (alarm names as before). */
export const OWN_ACL_KEY = "";
