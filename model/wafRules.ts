// The web ACL's rules, as data. The WAF component builds its rules from this list; the heartbeat and both
// detection engines read the same list for the `Rule` dimension of `AWS/WAFV2` metrics (a rule's
// visibility-config metric name), so the names cannot drift apart.

/** The project's own rule set: what a web ACL of WafProtectedApi carries besides the always-on common rule set. */
export interface WafRuleSetOptions {
    /** AWSManagedRulesKnownBadInputsRuleSet. Default true. */
    knownBadInputs?: boolean;
    rateLimit?: {
        /** A per-client-IP rate-based rule. Default true. */
        enabled?: boolean;
        /** Requests per client IP per window before the rule acts (10–2,000,000,000). Default 2000. */
        limit?: number;
        /** Evaluation window: 60, 120, 300 or 600 seconds. Default 300. */
        windowSeconds?: number;
        /** Default `block`. */
        action?: "block" | "count";
    };
}

export interface WafRuleSet {
    readonly knownBadInputs: boolean;
    readonly rateLimit: { readonly enabled: boolean; readonly limit: number; readonly windowSeconds: number; readonly action: "block" | "count" };
}

/** The rule set with its documented defaults applied. */
export function resolveWafRuleSet(o: WafRuleSetOptions = {}): WafRuleSet {
    return {
        knownBadInputs: o.knownBadInputs ?? true,
        rateLimit: {
            enabled: o.rateLimit?.enabled ?? true,
            limit: o.rateLimit?.limit ?? 2000,
            windowSeconds: o.rateLimit?.windowSeconds ?? 300,
            action: o.rateLimit?.action ?? "block",
        },
    };
}

export type WafRuleKind = "managed" | "rateBased";

export interface WafRuleSpec {
    /** Rule name in the web ACL, also its CloudWatch metric name (the `Rule` dimension). */
    readonly name: string;
    readonly kind: WafRuleKind;
    readonly priority: number;
    /** For managed rule groups: the AWS managed rule group name. */
    readonly managedGroup?: string;
}

export const COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet";
export const KNOWN_BAD_INPUTS_RULE_SET = "AWSManagedRulesKnownBadInputsRuleSet";
export const RATE_LIMIT_RULE = "RateLimitPerClientIp";

/** The rules the web ACL carries for this config, in priority order. CommonRuleSet is always present. */
export function wafRules(options: WafRuleSetOptions): WafRuleSpec[] {
    const waf = resolveWafRuleSet(options);
    const rules: WafRuleSpec[] = [];
    // Rate-based rule first: cheap, and it stops floods before managed groups spend capacity on them.
    if (waf.rateLimit.enabled) rules.push({ name: RATE_LIMIT_RULE, kind: "rateBased", priority: 0 });
    rules.push({ name: COMMON_RULE_SET, kind: "managed", priority: 10, managedGroup: COMMON_RULE_SET });
    if (waf.knownBadInputs) {
        rules.push({ name: KNOWN_BAD_INPUTS_RULE_SET, kind: "managed", priority: 20, managedGroup: KNOWN_BAD_INPUTS_RULE_SET });
    }
    return rules;
}

/** The `Rule` dimension values WAF publishes BlockedRequests under for this config. */
export function wafRuleMetricNames(waf: WafRuleSetOptions): string[] {
    return wafRules(waf).map((r) => r.name);
}
