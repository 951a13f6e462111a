// WAF: every API stage sits behind a web ACL that carries the AWS common rule set, and every web ACL logs with
// credentials redacted.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { forTypes, requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { T } from "./lib/types";
import { get, getArray, getRecord, getString, isUnknown, UNKNOWN } from "./lib/values";

export const COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet";
/** Headers a WAF log must never show. */
export const REQUIRED_REDACTED_HEADERS = ["authorization", "cookie"] as const;

export const wafStageProtected: StackValidationPolicy = {
    name: "waf-stage-protected",
    description: "Every API Gateway stage in the stack is associated with an AWS WAF web ACL.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add an aws.wafv2.WebAclAssociation with resourceArn = stage.arn and webAclArn = the web ACL's ARN.",
    validateStack: (args, report) => {
        const stages = ofType(args.resources, T.apiStage);
        requireAny(args, "API Gateway stages", stages.length);
        const associations = ofType(args.resources, T.webAclAssociation);
        for (const stage of stages) {
            const ids = identifiers(stage, "arn");
            if (!associations.some((a) => refersTo(a, ["resourceArn"], stage, ids))) {
                report(`${label(stage)} is not associated with a WAF web ACL: requests reach it unfiltered. ` +
                    `Add an aws.wafv2.WebAclAssociation whose resourceArn is this stage's ARN.`, stage.urn);
            }
        }
    },
};

/** The managed rule groups a web ACL's rules reference, from `rules` or from `ruleJson`. */
interface ManagedRef {
    rule: string;
    vendor: string;
    name: string;
    /** The rule's override action: `none`, `count`, or undefined when not set. */
    override: string | undefined;
}

function managedRulesFromInputs(rules: unknown[]): ManagedRef[] {
    const out: ManagedRef[] = [];
    for (const r of rules) {
        const m = getRecord(r, "statement", "managedRuleGroupStatement");
        if (!m || isUnknown(m)) continue;
        const override = getRecord(r, "overrideAction");
        out.push({
            rule: String(get(r, "name") ?? ""),
            vendor: String(m.vendorName ?? ""),
            name: String(m.name ?? ""),
            override: override && !isUnknown(override) ? (override.count ? "count" : override.none ? "none" : undefined) : undefined,
        });
    }
    return out;
}

function managedRulesFromJson(json: string): ManagedRef[] | string {
    let parsed: unknown;
    try {
        parsed = JSON.parse(json);
    } catch (e) {
        return `ruleJson is not valid JSON (${(e as Error).message})`;
    }
    const out: ManagedRef[] = [];
    for (const r of Array.isArray(parsed) ? parsed : []) {
        const m = get(r, "Statement", "ManagedRuleGroupStatement") as Record<string, unknown> | undefined;
        if (!m || typeof m !== "object") continue;
        const override = get(r, "OverrideAction") as Record<string, unknown> | undefined;
        out.push({
            rule: String(get(r, "Name") ?? ""),
            vendor: String(m.VendorName ?? ""),
            name: String(m.Name ?? ""),
            override: override ? (override.Count ? "count" : override.None ? "none" : undefined) : undefined,
        });
    }
    return out;
}

export const wafCommonRuleSet: ResourceValidationPolicy = {
    name: "waf-common-rule-set",
    description: `Every WAF web ACL includes the AWS managed rule group ${COMMON_RULE_SET}, not overridden to count.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Add a rule with statement.managedRuleGroupStatement { vendorName: "AWS", name: "${COMMON_RULE_SET}" } and overrideAction { none: {} }.`,
    validateResource: forTypes([T.webAcl], (props, _args, report) => {
        const ruleJson = getString(props, "ruleJson");
        let refs: ManagedRef[];
        if (ruleJson === UNKNOWN) return; // checked again by `pulumi up` once known
        if (typeof ruleJson === "string" && ruleJson.trim() !== "") {
            const parsed = managedRulesFromJson(ruleJson);
            if (typeof parsed === "string") {
                report(parsed);
                return;
            }
            refs = parsed;
        } else {
            const rules = getArray(props, "rules");
            if (rules === UNKNOWN || rules.some(isUnknown)) return;
            refs = managedRulesFromInputs(rules);
        }
        const crs = refs.filter((r) => r.vendor === "AWS" && r.name === COMMON_RULE_SET);
        if (crs.length === 0) {
            report(`The web ACL does not include the AWS managed rule group ${COMMON_RULE_SET} (managed groups present: ` +
                `${refs.map((r) => r.name).join(", ") || "none"}).`);
        } else if (crs.every((r) => r.override === "count")) {
            report(`${COMMON_RULE_SET} is in the web ACL (rule "${crs[0].rule}") but its overrideAction is count: it blocks nothing. Use overrideAction { none: {} }.`);
        }
    }),
};

export const wafLoggingEnabled: StackValidationPolicy = {
    name: "waf-logging-enabled",
    description: "Every WAF web ACL in the stack has a logging configuration with a log destination.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Add an aws.wafv2.WebAclLoggingConfiguration with resourceArn = webAcl.arn and an aws-waf-logs-* destination.",
    validateStack: (args, report) => {
        const acls = ofType(args.resources, T.webAcl);
        requireAny(args, "WAF web ACLs", acls.length);
        const configs = ofType(args.resources, T.webAclLogging);
        for (const acl of acls) {
            const ids = identifiers(acl, "arn");
            const mine = configs.filter((c) => refersTo(c, ["resourceArn"], acl, ids));
            if (mine.length === 0) {
                report(`${label(acl)} has no logging configuration: blocked and allowed requests leave no record. ` +
                    `Add an aws.wafv2.WebAclLoggingConfiguration for it.`, acl.urn);
                continue;
            }
            const withDestination = mine.some((c) => {
                const d = getArray(c.props, "logDestinationConfigs");
                return d === UNKNOWN || d.length > 0;
            });
            if (!withDestination) report(`The logging configuration of ${label(acl)} has no log destination.`, acl.urn);
        }
    },
};

export const wafLoggingRedactsCredentials: ResourceValidationPolicy = {
    name: "waf-logging-redacts-credentials",
    description: `WAF logging configurations redact the ${REQUIRED_REDACTED_HEADERS.join(" and ")} headers.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Set redactedFields to include { singleHeader: { name: "authorization" } } and { singleHeader: { name: "cookie" } }.`,
    validateResource: forTypes([T.webAclLogging], (props, _args, report) => {
        const fields = getArray(props, "redactedFields");
        if (fields === UNKNOWN) return;
        if (fields.some(isUnknown)) return;
        const redacted = new Set<string>();
        for (const f of fields) {
            const name = getString(f, "singleHeader", "name");
            if (typeof name === "string") redacted.add(name.toLowerCase());
            if (name === UNKNOWN) return;
        }
        const missing = REQUIRED_REDACTED_HEADERS.filter((h) => !redacted.has(h));
        if (missing.length) {
            report(`WAF logs would record the ${missing.join(" and ")} header${missing.length > 1 ? "s" : ""} in clear: ` +
                `add ${missing.map((h) => `{ singleHeader: { name: "${h}" } }`).join(" and ")} to redactedFields.`);
        }
    }),
};

export const wafRateBasedRule: ResourceValidationPolicy = {
    name: "waf-rate-based-rule",
    description: "Every WAF web ACL has a rate-based rule that blocks (flood protection per client IP).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Keep edge-anomaly-detection:waf.rateLimit.enabled true with action block.",
    validateResource: forTypes([T.webAcl], (props, _args, report) => {
        const ruleJson = getString(props, "ruleJson");
        if (ruleJson === UNKNOWN) return;
        let rules: { rate: boolean; block: boolean }[] = [];
        if (typeof ruleJson === "string" && ruleJson.trim() !== "") {
            try {
                const parsed = JSON.parse(ruleJson) as unknown;
                rules = (Array.isArray(parsed) ? parsed : []).map((r) => ({
                    rate: get(r, "Statement", "RateBasedStatement") !== undefined,
                    block: get(r, "Action", "Block") !== undefined,
                }));
            } catch {
                return; // waf-common-rule-set reports invalid JSON
            }
        } else {
            const list = getArray(props, "rules");
            if (list === UNKNOWN || list.some(isUnknown)) return;
            rules = list.map((r) => ({
                rate: get(r, "statement", "rateBasedStatement") !== undefined,
                block: get(r, "action", "block") !== undefined,
            }));
        }
        const rate = rules.filter((r) => r.rate);
        if (rate.length === 0) {
            report("The web ACL has no rate-based rule: a single client can flood the API until the anomaly alarm fires.");
        } else if (!rate.some((r) => r.block)) {
            report("The web ACL's rate-based rule only counts: floods are measured but not stopped.");
        }
    }),
};

export const wafPolicies = [wafStageProtected, wafCommonRuleSet, wafLoggingEnabled, wafLoggingRedactsCredentials, wafRateBasedRule];
