// IAM: least privilege. No wildcard actions, no broad AWS managed policies, and every role a service assumes is
// pinned to this account (confused-deputy protection).
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";

import { pinning, whyNotPinned } from "./lib/conditions";
import { conditionValues, isDocument, isPublicPrincipal, isWildcardAction, parsePolicyDocument, servicePrincipals, Statement, Str, wildcardResourceReason } from "./lib/policyDocument";
import { configWithDefaults, forTypes } from "./lib/policy";
import { T } from "./lib/types";
import { get, getArray, isUnknown, UNKNOWN } from "./lib/values";

/** Where each resource type keeps policy documents (property paths; `*` = every element of a list). */
const DOCUMENTS: Readonly<Record<string, readonly (readonly string[])[]>> = {
    [T.iamRolePolicy]: [["policy"]],
    [T.iamPolicy]: [["policy"]],
    [T.iamUserPolicy]: [["policy"]],
    [T.iamGroupPolicy]: [["policy"]],
    // The trust policy too: `sts:*` or NotAction in a trust statement lets the principal do more than assume the role.
    [T.iamRole]: [["inlinePolicies", "*", "policy"], ["assumeRolePolicy"]],
    [T.bucketPolicy]: [["policy"]],
    [T.bucket]: [["policy"]],
    [T.bucketV2]: [["policy"]],
    [T.snsTopicPolicy]: [["policy"]],
    [T.snsTopic]: [["policy"]],
    [T.sqsQueuePolicy]: [["policy"]],
    [T.sqsQueue]: [["policy"]],
    [T.kmsKey]: [["policy"]],
    [T.kmsKeyPolicy]: [["policy"]],
};

function documentsOf(type: string, props: unknown): { where: string; value: unknown }[] {
    const out: { where: string; value: unknown }[] = [];
    for (const path of DOCUMENTS[type] ?? []) {
        const star = path.indexOf("*");
        if (star < 0) {
            const v = get(props, ...path);
            if (v !== undefined && v !== "") out.push({ where: path.join("."), value: v });
            continue;
        }
        const list = getArray(props, ...path.slice(0, star));
        if (list === UNKNOWN) continue;
        list.forEach((item, i) => {
            const v = get(item, ...path.slice(star + 1));
            if (v !== undefined && v !== "") out.push({ where: `${path.slice(0, star).join(".")}[${i}].${path.slice(star + 1).join(".")}`, value: v });
        });
    }
    return out;
}

/** A KMS key policy's statement granting an account root `kms:*`: AWS's default key policy, kept on purpose. */
function isKeyPolicyRootStatement(type: string, st: Statement): boolean {
    return rootAccounts(type, st).length > 0;
}

/** The accounts whose root a KMS key policy statement names (all its AWS principals must be roots), else []. */
function rootAccounts(type: string, st: Statement): string[] {
    if ((type !== T.kmsKey && type !== T.kmsKeyPolicy) || !st.principal || st.principal === "*") return [];
    const aws = st.principal.AWS ?? [];
    const accounts = aws.map((p) => (typeof p === "string" ? /^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$/.exec(p) : null));
    return accounts.every((m) => m) ? [...new Set(accounts.map((m) => m![1] ?? m![2]))] : [];
}

/**
 * The key's own account, as the key policy tells it: the accounts its pinning conditions name (`aws:SourceAccount`,
 * `aws:SourceOwner`, `aws:PrincipalAccount`, `kms:CallerAccount`, and the account in an `aws:SourceArn` or
 * `aws:PrincipalArn`): a key policy pins its service statements to this account. Other condition values that
 * happen to hold an ARN (an encryption context such as `kms:EncryptionContext:aws:logs:arn`) say nothing about
 * whose key it is and are not read. The account-root exception holds for that account only: a second account's
 * root with `kms:*` would administer the key from outside.
 */
function keyPolicyAccounts(statements: Statement[]): Set<string> {
    const out = new Set<string>();
    for (const st of statements) {
        for (const block of Object.values(st.conditions)) {
            for (const [key, values] of Object.entries(block)) {
                for (const v of values) {
                    if (typeof v !== "string") continue;
                    if (/^aws:(SourceAccount|SourceOwner|PrincipalAccount)$/i.test(key) || /^kms:CallerAccount$/i.test(key)) {
                        if (/^\d{12}$/.test(v)) out.add(v);
                    } else if (/^aws:(SourceArn|PrincipalArn)$/i.test(key)) {
                        const m = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(v);
                        if (m) out.add(m[1]);
                    }
                }
            }
        }
    }
    return out;
}

function statementName(st: Statement, i: number): string {
    return st.sid ? `statement "${st.sid}"` : `statement ${i + 1}`;
}

export const iamNoWildcardActions: ResourceValidationPolicy = {
    name: "iam-no-wildcard-actions",
    description: `No policy document allows an action written with a wildcard anywhere ("*", "s3:*", "s3:?*", "iam:*?", "s3:Get*"), ` +
        `or uses NotAction in an Allow (identity, trust and resource policies, Lambda permissions; a KMS key's default account-root statement excepted).`,
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "List the exact actions the principal needs.",
    validateResource: forTypes((t) => t in DOCUMENTS || t === T.lambdaPermission, (props, args, report) => {
        if (args.type === T.lambdaPermission) {
            const action = get(props, "action");
            if (typeof action === "string" && (isWildcardAction(action) || !/^lambda:[A-Za-z]+$/.test(action.trim()))) report(`The permission grants "${action}": grant lambda:InvokeFunction only.`);
            return;
        }
        for (const { where, value } of documentsOf(args.type, props)) {
            const doc = parsePolicyDocument(value);
            if (doc === UNKNOWN) continue; // enforced by `pulumi up` once the document is known
            if (!isDocument(doc)) {
                report(`${where}: ${doc.error}`);
                continue;
            }
            const own = keyPolicyAccounts(doc.statements);
            const roots = [...new Set(doc.statements.filter((st) => st.effect === "Allow").flatMap((st) => rootAccounts(args.type, st)))];
            // One account named by the pinning conditions: that is the key's. None: a single root is taken as the key's
            // own. Several: the policy does not say whose key it is, so no root keeps the kms:* exception.
            const ours = own.size === 1 ? own : own.size ? new Set<string>() : new Set(roots.length === 1 ? roots : []);
            doc.statements.forEach((st, i) => {
                if (st.effect !== "Allow") return;
                if (isKeyPolicyRootStatement(args.type, st)) {
                    const foreign = rootAccounts(args.type, st).filter((a) => !ours.has(a));
                    const wild = st.actions.filter(isWildcardAction);
                    if (foreign.length && (wild.length || st.notActions.length)) {
                        report(`${where}: ${statementName(st, i)} gives the root of account${foreign.length > 1 ? "s" : ""} ${foreign.join(", ")} ` +
                            `${wild.map((a) => `"${String(a)}"`).join(", ") || "everything except NotAction"} on the key: only the key's own account root keeps AWS's default ` +
                            `kms:* statement (${ours.size ? `this key policy names account ${[...ours].join(", ")}` : own.size ? `this key policy's conditions name several accounts (${[...own].join(", ")}), so none is taken as the key's own` : "the key policy names several account roots and no other account"}); list the actions another account needs.`);
                    }
                    return;
                }
                const wild = st.actions.filter(isWildcardAction);
                if (wild.length) report(`${where}: ${statementName(st, i)} allows ${wild.map((a) => `"${String(a)}"`).join(", ")}: list the actions needed instead.`);
                if (st.notActions.length) report(`${where}: ${statementName(st, i)} allows everything except NotAction: list the actions needed instead.`);
            });
        }
    }),
};

/** Attachments of managed policies: type → property holding one ARN or a list. */
const ATTACHMENTS: Readonly<Record<string, string>> = {
    [T.iamRolePolicyAttachment]: "policyArn",
    [T.iamPolicyAttachment]: "policyArn",
    [T.iamUserPolicyAttachment]: "policyArn",
    [T.iamGroupPolicyAttachment]: "policyArn",
    [T.iamRolePolicyAttachmentsExclusive]: "policyArns",
    [T.iamRole]: "managedPolicyArns",
};

/**
 * AWS managed policies that grant a whole service (or everything): `*FullAccess`, `AdministratorAccess` and its
 * service variants (`AdministratorAccess-Amplify`, `AdministratorAccess-AWSElasticBeanstalk`), `PowerUserAccess`,
 * and the administrator job functions (`job-function/SystemAdministrator`, `NetworkAdministrator`, `DatabaseAdministrator`).
 */
export function isBroadManagedPolicy(arn: string): boolean {
    const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn.trim());
    if (!m) return false;
    return /FullAccess/i.test(m[1]) || /^(AdministratorAccess(-.+)?|PowerUserAccess)$/i.test(m[1]) ||
        (/:policy\/job-function\//.test(arn) && /Administrator$/i.test(m[1]));
}

/** Chat channel configurations: their guardrail policies cap what channel members may do; none set = AdministratorAccess. */
const CHATBOT_CONFIGS = ["aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"];

export const iamNoFullAccessPolicies: ResourceValidationPolicy = {
    name: "iam-no-full-access-managed-policies",
    description: "No AWS managed *FullAccess, AdministratorAccess(-*), PowerUserAccess or administrator job-function policy is attached, " +
        "and no chat channel configuration runs with AdministratorAccess (no guardrail) or a broad managed guardrail.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Replace the attachment with an inline policy listing the actions and resources needed.",
    validateResource: forTypes((t) => t in ATTACHMENTS || CHATBOT_CONFIGS.includes(t), (props, args, report) => {
        if (CHATBOT_CONFIGS.includes(args.type)) {
            // @pulumi/aws: "The AWS managed `AdministratorAccess` policy is applied by default if this is not set."
            const g = get(props, "guardrailPolicyArns");
            if (g === UNKNOWN) return;
            const arns = (Array.isArray(g) ? g : []).filter((a): a is string => typeof a === "string" && !isUnknown(a));
            if (!Array.isArray(g) || g.length === 0) report("The chat channel configuration sets no guardrailPolicyArns, so AWS applies AdministratorAccess as its guardrail: name a policy with the actions channel members need.");
            for (const arn of arns) if (isBroadManagedPolicy(arn)) report(`The chat channel configuration's guardrail is the AWS managed policy ${arn}: channel members could do far more than read alarms.`);
            return;
        }
        const v = get(props, ATTACHMENTS[args.type]);
        if (v === UNKNOWN) return;
        const arns = (Array.isArray(v) ? v : [v]).filter((a): a is string => typeof a === "string" && !isUnknown(a));
        for (const arn of arns) {
            if (isBroadManagedPolicy(arn)) report(`Attaches the AWS managed policy ${arn}, which grants far more than any function here needs.`);
        }
    }),
};

/** Condition keys that tie a service's use of a role to this account or one resource. */
export const SOURCE_KEYS = ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"] as const;

/**
 * Actions that have no resource-level permissions (the Service Authorization Reference lists no resource type for
 * them), so their Resource must be "*". Every other action with a wildcard Resource is reported.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL = [
    "cloudwatch:PutMetricData", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics",
    "cloudwatch:DescribeAlarmsForMetric", "logs:DescribeLogGroups", "logs:GetQueryResults", "logs:StopQuery", "logs:DescribeQueries",
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "sts:GetCallerIdentity", "kms:ListKeys", "kms:ListAliases", "kms:CreateKey",
    "s3:ListAllMyBuckets", "sns:ListTopics", "sqs:ListQueues", "lambda:ListFunctions", "kinesis:ListStreams",
    "firehose:ListDeliveryStreams", "wafv2:ListWebACLs", "lookoutmetrics:ListAnomalyDetectors", "securityhub:DescribeHub",
    "redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement", "redshift-data:ListStatements",
    // Scopable for metric alarms, but DescribeAlarms returns composite alarms only to a permission scoped to "*"
    // (CloudWatch API reference, DescribeAlarms): the finding Lambda's episode check of a composite needs it.
    "cloudwatch:DescribeAlarms",
] as const;

interface WildcardResourceConfig {
    actionsWithoutResourceLevel?: string[];
}

/**
 * Services whose own documentation pins the role with another condition than aws:SourceAccount/aws:SourceArn.
 * Amazon Data Firehose ("Allow Firehose to assume an IAM role", Firehose developer guide) documents
 * `StringEquals sts:ExternalId = <account id>`: accepted for it, with an account id as the value.
 */
export const DOCUMENTED_TRUST_KEYS: Readonly<Record<string, { key: string; value: RegExp }>> = {
    "firehose.amazonaws.com": { key: "sts:ExternalId", value: /^\d{12}$/ },
};

function hasDocumentedServiceCondition(st: Statement, services: string[]): boolean {
    return services.every((service) => {
        const documented = DOCUMENTED_TRUST_KEYS[service];
        return !!documented && conditionValues(st, documented.key).some((c) =>
            c.operator === "StringEquals" && c.values.length > 0 && c.values.every((v: Str) => v === UNKNOWN || documented.value.test(v)));
    });
}

/** Identity policies (the documents that grant a principal actions on resources). The trust policy is not one. */
const identityDocumentsOf = (type: string, props: unknown) => documentsOf(type, props).filter((d) => d.where !== "assumeRolePolicy");
const IDENTITY_DOCUMENTS = [T.iamRolePolicy, T.iamPolicy, T.iamUserPolicy, T.iamGroupPolicy, T.iamRole] as const;

export const iamNoWildcardResources: ResourceValidationPolicy = {
    name: "iam-no-wildcard-resources",
    description: `No identity policy allows an action on a wildcard Resource ("*", "arn:aws:s3:::*", an ARN with a wildcard account) ` +
        `when the action supports resource-level permissions; NotResource in an Allow is refused.`,
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Name the resources (ARNs) the actions apply to; keep \"*\" only for actions without resource-level permissions.",
    configSchema: {
        properties: {
            actionsWithoutResourceLevel: {
                type: "array",
                items: { type: "string", pattern: "^[a-z0-9-]+:[A-Za-z0-9]+$" },
                uniqueItems: true,
                default: [...ACTIONS_WITHOUT_RESOURCE_LEVEL],
                description: "Actions allowed on Resource \"*\" because they have no resource-level permissions.",
            },
        },
    },
    validateResource: forTypes([...IDENTITY_DOCUMENTS], (props, args, report) => {
        const cfg = configWithDefaults<WildcardResourceConfig>(args, iamNoWildcardResources.configSchema);
        const exempt = new Set((cfg.actionsWithoutResourceLevel ?? []).map((a) => a.toLowerCase()));
        for (const { where, value } of identityDocumentsOf(args.type, props)) {
            const doc = parsePolicyDocument(value);
            if (doc === UNKNOWN || !isDocument(doc)) continue; // iam-no-wildcard-actions reports a broken document
            doc.statements.forEach((st, i) => {
                if (st.effect !== "Allow") return;
                if (st.notResources.length) {
                    report(`${where}: ${statementName(st, i)} allows its actions on everything except NotResource: name the resources instead.`);
                    return;
                }
                const wild = st.resources.map((r) => ({ r, why: wildcardResourceReason(r) })).filter((x) => x.why !== undefined);
                if (wild.length === 0) return;
                const scoped = st.actions.filter((a): a is string => typeof a === "string" && !exempt.has(a.trim().toLowerCase()));
                if (scoped.length) {
                    report(`${where}: ${statementName(st, i)} allows ${scoped.join(", ")} on ${wild.map((x) => `"${String(x.r)}" (${x.why})`).join(", ")}: ` +
                        `these actions support resource-level permissions, so name the resources.`);
                }
            });
        }
    }),
};

interface TrustConfig {
    exemptServices?: string[];
}

const FEDERATED_OPS = /^(ForAnyValue:)?String(Equals|Like)(IgnoreCase)?$/i;

/**
 * Why a trust statement for a web-identity (OIDC or Cognito) principal lets anyone's tokens in, or undefined when a
 * condition pins the workload: `<provider>:sub` (or `<provider>:aud`, except GitHub's `sts.amazonaws.com`, which every
 * GitHub OIDC role shares) with a value whose first part after its prefix is concrete (`repo:org/*` pins an
 * organization; `repo:*`, `*` and `?*` pin nothing). SAML providers are this account's own identity provider.
 */
export function federatedTrustGap(st: Statement, provider: string): string | undefined {
    if (/:saml-provider\//.test(provider)) return undefined;
    const host = /:oidc-provider\/(.+)$/.exec(provider)?.[1] ?? provider;
    const reasons: string[] = [];
    for (const [op, block] of Object.entries(st.conditions)) {
        for (const [key, values] of Object.entries(block)) {
            const m = /^(.*):(sub|aud|amr)$/i.exec(key);
            if (!m || m[1].toLowerCase() !== host.toLowerCase() || m[2].toLowerCase() === "amr") continue;
            if (!FEDERATED_OPS.test(op)) {
                reasons.push(`${op} ${key} does not pin (negated, IfExists or ForAllValues)`);
                continue;
            }
            const broad = values.filter((v) => {
                if (v === UNKNOWN) return false;
                const t = v.trim();
                if (m[2].toLowerCase() === "aud" && /token\.actions\.githubusercontent\.com/i.test(host) && t === "sts.amazonaws.com") return true;
                const parts = t.split(/[:/]/);
                return parts.length > 1 ? /[*?]/.test(parts[1]) || parts[1] === "" : /[*?]/.test(t) || t === "";
            });
            if (values.length && broad.length === 0) return undefined;
            reasons.push(`${op} ${key} ${values.length ? `"${broad.map(String).join('", "')}" matches anyone's tokens` : "has no value"}`);
        }
    }
    return reasons.length ? reasons.join("; ") : `no ${host}:sub (or :aud) condition`;
}

function checkTrust(doc: unknown, exempt: Set<string>, report: ReportViolation): void {
    const parsed = parsePolicyDocument(doc);
    if (parsed === UNKNOWN) return;
    if (!isDocument(parsed)) {
        report(`assumeRolePolicy: ${parsed.error}`);
        return;
    }
    parsed.statements.forEach((st, i) => {
        if (st.effect !== "Allow") return;
        if (isPublicPrincipal(st)) {
            const pin = pinning(st);
            if (!pin.pinned) report(`assumeRolePolicy ${statementName(st, i)} lets any AWS principal assume the role${whyNotPinned(pin)}.`);
            return;
        }
        const federated = st.principal && st.principal !== "*" ? (st.principal.Federated ?? []).filter((f): f is string => typeof f === "string") : [];
        for (const provider of federated) {
            const gap = federatedTrustGap(st, provider);
            if (gap) report(`assumeRolePolicy ${statementName(st, i)} trusts the identity provider ${provider} for any of its users (${gap}): ` +
                `pin the subject, e.g. StringEquals "<provider>:sub" = "repo:<org>/<repo>:ref:refs/heads/main".`);
        }
        const services = servicePrincipals(st).filter((s): s is string => typeof s === "string");
        const checked = services.filter((s) => !exempt.has(s));
        if (checked.length === 0) return;
        const pin = pinning(st, SOURCE_KEYS);
        if (!pin.pinned && !hasDocumentedServiceCondition(st, checked)) {
            const documented = checked.filter((s) => DOCUMENTED_TRUST_KEYS[s]).map((s) => `${DOCUMENTED_TRUST_KEYS[s].key} = the account id for ${s}`);
            report(`assumeRolePolicy ${statementName(st, i)} trusts ${checked.join(", ")} without an aws:SourceAccount or aws:SourceArn ` +
                `condition that pins this account or resource${documented.length ? ` (or the documented ${documented.join(", ")})` : ""}${whyNotPinned(pin)}: ` +
                `any account's use of the service could act through this role (confused deputy).`);
        }
    });
}

export const iamServiceTrustConditions: ResourceValidationPolicy = {
    name: "iam-service-trust-conditions",
    description: "Roles trusted by AWS service principals carry an aws:SourceAccount or aws:SourceArn condition that pins a concrete " +
        "account or resource (not a pattern, not IfExists, not negated), or the condition the service documents instead " +
        "(Firehose: sts:ExternalId = the account id); no role is assumable by everyone; a web-identity (OIDC, Cognito) trust pins " +
        "the subject with <provider>:sub (or :aud).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Add Condition { StringEquals: { "aws:SourceAccount": "<account id>" } } (and ArnLike aws:SourceArn where the service sends it) to the trust statement.`,
    configSchema: {
        properties: {
            exemptServices: {
                type: "array",
                items: { type: "string", pattern: "^[a-z0-9.-]+\\.amazonaws\\.com$" },
                uniqueItems: true,
                // API Gateway's account-level CloudWatch Logs role (aws.apigateway.Account, opt-in in this program):
                // AWS documents its trust without conditions and validates that trust when the account setting is
                // saved; API Gateway documents no aws:SourceAccount/SourceArn for it. Every other service must carry them.
                default: ["apigateway.amazonaws.com"],
                description: "Service principals that do not send aws:SourceAccount/aws:SourceArn when assuming a role.",
            },
        },
    },
    validateResource: forTypes([T.iamRole], (props, args, report) => {
        const cfg = configWithDefaults<TrustConfig>(args, iamServiceTrustConditions.configSchema);
        const doc = get(props, "assumeRolePolicy");
        if (doc === undefined) return;
        checkTrust(doc, new Set(cfg.exemptServices ?? []), report);
    }),
};

export const iamPolicies = [iamNoWildcardActions, iamNoWildcardResources, iamNoFullAccessPolicies, iamServiceTrustConditions];
