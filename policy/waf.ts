// WAF: every API stage sits behind a web ACL that carries the AWS common rule set, and every web ACL logs with
// credentials redacted.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { configWithDefaults, forTypes, requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { T } from "./lib/types";
import { get, getArray, getString, isUnknown, UNKNOWN } from "./lib/values";

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
    priority: number | undefined;
    /** ruleActionOverrides (and the older ExcludedRules, which switch rules to count): rule name → the action used. */
    ruleOverrides: { name: string; action: string }[];
    scopeDown: boolean;
}

/** Every rule of the web ACL, reduced to what the WAF checks need. */
interface RuleRef {
    name: string;
    priority: number | undefined;
    /** The rule's own action (`allow`, `block`, `count`, …) for plain rules; undefined for rule groups. */
    action: string | undefined;
    managed?: ManagedRef;
    /** A reference to a rule group of one's own (ruleGroupReferenceStatement): its rules are not visible here. */
    ruleGroup?: { arn: string; ruleOverrides: { name: string; action: string }[] };
    /** Where the rule comes from, for messages (`rules`, `ruleJson`, or the resource that attaches it). */
    from?: string;
}

const firstKey = (o: unknown) => (o && typeof o === "object" && !Array.isArray(o) ? Object.keys(o as object)[0]?.toLowerCase() : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A rule in the provider's input shape (camelCase: `rules[i]`, aws.wafv2.WebAclRule) or the API's JSON (PascalCase: ruleJson). */
function ruleRef(r: unknown, pascal: boolean): RuleRef {
    const k = (name: string) => (pascal ? name[0].toUpperCase() + name.slice(1) : name);
    const priority = get(r, k("priority"));
    const ref: RuleRef = { name: String(get(r, k("name")) ?? ""), priority: typeof priority === "number" ? priority : undefined, action: firstKey(get(r, k("action"))) };
    const overrides = (o: unknown[]) => o.map((x) => ({ name: String(get(x, k("name")) ?? ""), action: firstKey(get(x, k("actionToUse"))) ?? "?" }));
    const excluded = (o: unknown[]) => o.map((x) => ({ name: String(get(x, k("name")) ?? ""), action: "count (ExcludedRules)" }));
    const m = get(r, k("statement"), k("managedRuleGroupStatement"));
    if (m && typeof m === "object" && !isUnknown(m)) {
        const override = get(r, k("overrideAction"));
        const mm = m as Record<string, unknown>;
        ref.managed = {
            rule: ref.name,
            vendor: String(mm[k("vendorName")] ?? ""),
            name: String(mm[k("name")] ?? ""),
            override: override && typeof override === "object" ? (get(override, k("count")) !== undefined ? "count" : get(override, k("none")) !== undefined ? "none" : undefined) : undefined,
            priority: ref.priority,
            ruleOverrides: [...overrides(list(mm[k("ruleActionOverrides")])), ...excluded(list(mm[k("excludedRules")]))],
            scopeDown: mm[k("scopeDownStatement")] !== undefined && mm[k("scopeDownStatement")] !== null,
        };
    }
    const g = get(r, k("statement"), k("ruleGroupReferenceStatement"));
    if (g && typeof g === "object" && !isUnknown(g)) {
        const gg = g as Record<string, unknown>;
        ref.ruleGroup = { arn: String(gg[k("arn")] ?? ""), ruleOverrides: overrides(list(gg[k("ruleActionOverrides")])) };
    }
    return ref;
}

function rulesFromInputs(rules: unknown[]): RuleRef[] {
    return rules.map((r) => ({ ...ruleRef(r, false), from: "rules" }));
}

function rulesFromJson(json: string): RuleRef[] | string {
    let parsed: unknown;
    try {
        parsed = JSON.parse(json);
    } catch (e) {
        return `ruleJson is not valid JSON (${(e as Error).message})`;
    }
    return (Array.isArray(parsed) ? parsed : []).map((r) => ({ ...ruleRef(r, true), from: "ruleJson" }));
}

/** A rule group attached from outside the web ACL (aws.wafv2.WebAclRuleGroupAssociation) as a RuleRef. */
function associationRef(props: unknown, from: string): RuleRef {
    const priority = get(props, "priority");
    const override = String(get(props, "overrideAction") ?? "none").toLowerCase();
    const ref: RuleRef = { name: String(get(props, "ruleName") ?? ""), priority: typeof priority === "number" ? priority : undefined, action: undefined, from };
    const overrides = (o: unknown[]) => o.map((x) => ({ name: String(get(x, "name") ?? ""), action: firstKey(get(x, "actionToUse")) ?? "?" }));
    const m = get(props, "managedRuleGroup");
    if (m && typeof m === "object" && !isUnknown(m)) {
        ref.managed = {
            rule: ref.name, vendor: String(get(m, "vendorName") ?? ""), name: String(get(m, "name") ?? ""), override, priority: ref.priority,
            ruleOverrides: overrides(list(get(m, "ruleActionOverrides"))), scopeDown: false,
        };
    }
    const g = get(props, "ruleGroupReference");
    if (g && typeof g === "object" && !isUnknown(g)) ref.ruleGroup = { arn: String(get(g, "arn") ?? ""), ruleOverrides: overrides(list(get(g, "ruleActionOverrides"))) };
    return ref;
}

const isCommonRuleSet = (m: ManagedRef | undefined): boolean => !!m && m.vendor === "AWS" && m.name === COMMON_RULE_SET;

/**
 * Why `r`, evaluated before the common rule set, may let requests through without it, or undefined: an allow rule;
 * a managed rule group with a rule switched to allow; a rule group of one's own (its rules are not visible to the
 * pack, so it may allow) unless its ARN is listed as trusted.
 */
function allowsBefore(r: RuleRef, trustedGroups: Set<string>): string | undefined {
    if (r.action === "allow") return "an allow rule";
    if (r.managed && !isCommonRuleSet(r.managed)) {
        const allow = r.managed.ruleOverrides.filter((o) => o.action === "allow");
        if (allow.length) return `the managed rule group ${r.managed.name} with ${allow.map((o) => o.name).join(", ")} switched to allow`;
    }
    if (r.ruleGroup) {
        const allow = r.ruleGroup.ruleOverrides.filter((o) => o.action === "allow");
        if (allow.length) return `a rule group with ${allow.map((o) => o.name).join(", ")} switched to allow`;
        if (!trustedGroups.has(r.ruleGroup.arn)) return `the rule group ${r.ruleGroup.arn || "(ARN unknown)"}, whose rules this policy cannot see (it may allow)`;
    }
    return undefined;
}

interface CommonRuleSetConfig {
    allowedRuleActionOverrides?: string[];
    trustedRuleGroupsBefore?: string[];
}

/** What weakens one occurrence of the common rule set (overrides, scope-down, count). */
function weakenings(c: ManagedRef, allowed: Set<string>): string[] {
    const out: string[] = [];
    const weakened = c.ruleOverrides.filter((o) => o.action !== "block" && !allowed.has(o.name));
    if (weakened.length) {
        out.push(`${COMMON_RULE_SET} (rule "${c.rule}") switches ${weakened.length} of its rules to a non-blocking action through ruleActionOverrides ` +
            `(${weakened.map((o) => `${o.name} → ${o.action}`).join(", ")}): requests those rules match are not blocked. ` +
            `Remove the overrides, or list deliberate ones in allowedRuleActionOverrides.`);
    }
    if (c.scopeDown) {
        out.push(`${COMMON_RULE_SET} (rule "${c.rule}") has a scopeDownStatement: it inspects only the requests that statement matches ` +
            `(a scope-down that never matches switches it off). Remove the scope-down.`);
    }
    return out;
}

const COMMON_RULE_SET_SCHEMA = {
    properties: {
        allowedRuleActionOverrides: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 1 },
            uniqueItems: true,
            default: [],
            description: `Rules of ${COMMON_RULE_SET} that may be switched to count (e.g. SizeRestrictions_BODY for large uploads).`,
        },
        trustedRuleGroupsBefore: {
            type: "array" as const,
            items: { type: "string" as const, pattern: "^arn:aws[a-z-]*:wafv2:" },
            uniqueItems: true,
            default: [],
            description: `ARNs of own rule groups (ruleGroupReferenceStatement) reviewed to allow nothing, which may run before ${COMMON_RULE_SET}.`,
        },
    },
};

export const wafCommonRuleSet: ResourceValidationPolicy = {
    name: "waf-common-rule-set",
    description: `Every WAF web ACL includes the AWS managed rule group ${COMMON_RULE_SET} and it really blocks: not overridden ` +
        `to count (overrideAction), none of its rules switched to a non-blocking action (ruleActionOverrides, ExcludedRules) unless listed ` +
        `in allowedRuleActionOverrides, no scope-down statement, and nothing evaluated before it that can allow (an allow rule, a ` +
        `managed group with a rule switched to allow, a rule group not listed in trustedRuleGroupsBefore).`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Add a rule with statement.managedRuleGroupStatement { vendorName: "AWS", name: "${COMMON_RULE_SET}" } and overrideAction { none: {} }, ` +
        "without ruleActionOverrides or scopeDownStatement, at a priority before any allow rule or rule group.",
    configSchema: COMMON_RULE_SET_SCHEMA,
    validateResource: forTypes([T.webAcl], (props, args, report) => {
        const cfg = configWithDefaults<CommonRuleSetConfig>(args, wafCommonRuleSet.configSchema);
        const ruleJson = getString(props, "ruleJson");
        let rules: RuleRef[];
        if (ruleJson === UNKNOWN) return; // checked again by `pulumi up` once known
        if (typeof ruleJson === "string" && ruleJson.trim() !== "") {
            const parsed = rulesFromJson(ruleJson);
            if (typeof parsed === "string") {
                report(parsed);
                return;
            }
            rules = parsed;
        } else {
            const list = getArray(props, "rules");
            if (list === UNKNOWN || list.some(isUnknown)) return;
            rules = rulesFromInputs(list);
        }
        const refs = rules.map((r) => r.managed).filter((m): m is ManagedRef => !!m);
        const crs = refs.filter((m) => isCommonRuleSet(m));
        if (crs.length === 0) {
            report(`The web ACL does not include the AWS managed rule group ${COMMON_RULE_SET} (managed groups present: ` +
                `${refs.map((r) => r.name).join(", ") || "none"}).`);
            return;
        }
        if (crs.every((r) => r.override === "count")) {
            report(`${COMMON_RULE_SET} is in the web ACL (rule "${crs[0].rule}") but its overrideAction is count: it blocks nothing. Use overrideAction { none: {} }.`);
        }
        const allowed = new Set(cfg.allowedRuleActionOverrides ?? []);
        const trusted = new Set(cfg.trustedRuleGroupsBefore ?? []);
        for (const c of crs) {
            for (const w of weakenings(c, allowed)) report(w);
            if (c.priority !== undefined) {
                const before = rules.filter((r) => r.priority !== undefined && r.priority < c.priority!)
                    .map((r) => ({ r, why: allowsBefore(r, trusted) })).filter((x) => x.why !== undefined);
                if (before.length) {
                    report(`${before.map(({ r, why }) => `"${r.name}" (priority ${r.priority}: ${why})`).join(", ")} ` +
                        `run${before.length > 1 ? "" : "s"} before ${COMMON_RULE_SET} (priority ${c.priority}): the requests allowed there ` +
                        `never reach the common rules. Give ${COMMON_RULE_SET} a lower priority number.`);
                }
            }
        }
    }),
};

/** Inline rules of a web ACL as the stack policy sees them (outputs), or undefined when not known. */
function aclRules(acl: PolicyResource): RuleRef[] | undefined {
    const ruleJson = getString(acl.props, "ruleJson");
    if (ruleJson === UNKNOWN) return undefined;
    if (typeof ruleJson === "string" && ruleJson.trim() !== "") {
        const parsed = rulesFromJson(ruleJson);
        return typeof parsed === "string" ? undefined : parsed;
    }
    const l = getArray(acl.props, "rules");
    return l === UNKNOWN || l.some(isUnknown) ? undefined : rulesFromInputs(l);
}

export const wafAttachedRules: StackValidationPolicy = {
    name: "waf-attached-rules",
    description: `Rules attached to a web ACL from outside its rules (aws.wafv2.WebAclRule, aws.wafv2.WebAclRuleGroupAssociation) are held to ` +
        `waf-common-rule-set: none that can allow runs before ${COMMON_RULE_SET}, and ${COMMON_RULE_SET} attached this way is not counted or weakened.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Give the attached rule a higher priority number than ${COMMON_RULE_SET}, or make it block; attach ${COMMON_RULE_SET} with overrideAction "none" and no overrides.`,
    configSchema: COMMON_RULE_SET_SCHEMA,
    validateStack: (args, report) => {
        const attached = ofType(args.resources, T.webAclRule, T.webAclRuleGroupAssociation);
        requireAny(args, "rules attached to web ACLs from outside", attached.length);
        const cfg = configWithDefaults<CommonRuleSetConfig>(args, wafAttachedRules.configSchema);
        const allowed = new Set(cfg.allowedRuleActionOverrides ?? []);
        const trusted = new Set(cfg.trustedRuleGroupsBefore ?? []);
        const acls = ofType(args.resources, T.webAcl);
        const refsOf = (r: PolicyResource) => (r.type === T.webAclRule ? { ...ruleRef(r.props, false), from: label(r) } : associationRef(r.props, label(r)));
        for (const r of attached) {
            const ref = refsOf(r);
            if (ref.managed && isCommonRuleSet(ref.managed)) {
                if (ref.managed.override === "count") report(`${label(r)} attaches ${COMMON_RULE_SET} with overrideAction count: it blocks nothing.`, r.urn);
                for (const w of weakenings(ref.managed, allowed)) report(`${label(r)}: ${w}`, r.urn);
            }
            const acl = acls.find((a) => refersTo(r, ["webAclArn"], a, identifiers(a, "arn")));
            if (!acl) continue; // a web ACL of another stack: its own checks apply there
            const all = [...(aclRules(acl) ?? []), ...attached.filter((o) => o !== r && acls.find((a) => refersTo(o, ["webAclArn"], a, identifiers(a, "arn"))) === acl).map(refsOf)];
            const crs = [...all, ref].filter((x) => isCommonRuleSet(x.managed) && x.priority !== undefined && x.managed!.override !== "count");
            const why = allowsBefore(ref, trusted);
            if (!why || ref.priority === undefined) continue;
            const first = crs.map((x) => x.priority!).sort((a, b) => a - b)[0];
            if (first === undefined || ref.priority < first) {
                report(`${label(r)} (priority ${ref.priority}: ${why}) runs before ${COMMON_RULE_SET}` +
                    `${first === undefined ? "" : ` (priority ${first})`} in ${label(acl)}: the requests allowed there never reach the common rules.`, r.urn);
            }
        }
    },
};

// ---- logging filter -------------------------------------------------------------------------------------------

type Behavior = "KEEP" | "DROP";

/**
 * What a WAF logging filter does with a request whose action is `action`: "KEEP", "DROP", or "maybe-DROP" when a
 * DROP filter on labels could match it (WAF's managed rules label what they block). Filters apply in order; the
 * first that matches decides; otherwise the default behavior.
 */
export function loggingFilterFor(filter: unknown, action: string): Behavior | "maybe-DROP" {
    if (!filter || typeof filter !== "object") return "KEEP";
    const f = filter as Record<string, unknown>;
    const filters = Array.isArray(f.filters) ? f.filters : [];
    let maybeDrop = false;
    for (const x of filters) {
        const behavior = String(get(x, "behavior") ?? "").toUpperCase() as Behavior;
        const requirement = String(get(x, "requirement") ?? "MEETS_ALL").toUpperCase();
        const conditions = (get(x, "conditions") as unknown[] | undefined) ?? [];
        const verdicts = conditions.map((c) => {
            const a = get(c, "actionCondition", "action");
            if (typeof a === "string") return a.toUpperCase() === action ? "yes" : "no";
            return "maybe"; // labelNameCondition: depends on the request's labels
        });
        const matches = requirement === "MEETS_ANY"
            ? (verdicts.includes("yes") ? "yes" : verdicts.includes("maybe") ? "maybe" : "no")
            : (verdicts.includes("no") || verdicts.length === 0 ? "no" : verdicts.includes("maybe") ? "maybe" : "yes");
        if (matches === "yes") return maybeDrop && behavior === "KEEP" ? "maybe-DROP" : behavior;
        if (matches === "maybe" && behavior === "DROP") maybeDrop = true;
    }
    const dflt = String(f.defaultBehavior ?? "KEEP").toUpperCase() as Behavior;
    return maybeDrop && dflt === "KEEP" ? "maybe-DROP" : dflt;
}

/** Actions whose requests WAF logs must keep: what root-cause analysis reads. */
export const KEPT_ACTIONS = ["BLOCK", "COUNT"] as const;

export const wafLoggingKeepsBlocked: ResourceValidationPolicy = {
    name: "waf-logging-keeps-blocked",
    description: "A WAF logging filter never drops blocked or counted requests (BLOCK, COUNT): it may drop allowed ones only.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Use loggingFilter { defaultBehavior: "DROP", filters: [{ behavior: "KEEP", requirement: "MEETS_ANY", ` +
        `conditions: [{ actionCondition: { action: "BLOCK" } }, { actionCondition: { action: "COUNT" } }] }] } (or no filter).`,
    validateResource: forTypes([T.webAclLogging], (props, _args, report) => {
        const filter = get(props, "loggingFilter");
        if (filter === undefined || filter === null) return;
        if (isUnknown(filter)) return;
        for (const action of KEPT_ACTIONS) {
            const b = loggingFilterFor(filter, action);
            if (b === "DROP") report(`The logging filter drops ${action} requests: the blocked/counted traffic anomaly analysis reads leaves no log.`);
            else if (b === "maybe-DROP") report(`The logging filter drops ${action} requests that carry certain labels (a DROP filter on labelNameCondition): managed rules label what they block.`);
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

export const wafPolicies = [wafStageProtected, wafCommonRuleSet, wafAttachedRules, wafLoggingEnabled, wafLoggingRedactsCredentials, wafLoggingKeepsBlocked, wafRateBasedRule];
