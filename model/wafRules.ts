// The web ACL's rules, as data. The WAF component builds its rules from this list; the heartbeat and both
// detection engines read the same list for the `Rule` dimension of `AWS/WAFV2` metrics (a rule's
// visibility-config metric name), so the names cannot drift apart.
import { WafConfig } from "../config";

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
export function wafRules(waf: WafConfig): WafRuleSpec[] {
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
export function wafRuleMetricNames(waf: WafConfig): string[] {
    return wafRules(waf).map((r) => r.name);
}
