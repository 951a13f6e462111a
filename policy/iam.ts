// IAM: least privilege. No wildcard actions, no broad AWS managed policies, and every role a service assumes is
// pinned to this account (confused-deputy protection).
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";

import { pinning, whyNotPinned } from "./lib/conditions";
import { conditionValues, isDocument, isPublicPrincipal, isWildcardAction, isWildcardResource, parsePolicyDocument, servicePrincipals, Statement, Str } from "./lib/policyDocument";
import { configWithDefaults, forTypes } from "./lib/policy";
import { T } from "./lib/types";
import { get, getArray, isUnknown, UNKNOWN } from "./lib/values";

/** Where each resource type keeps policy documents (property paths; `*` = every element of a list). */
const DOCUMENTS: Readonly<Record<string, readonly (readonly string[])[]>> = {
    [T.iamRolePolicy]: [["policy"]],
    [T.iamPolicy]: [["policy"]],
    [T.iamUserPolicy]: [["policy"]],
    [T.iamGroupPolicy]: [["policy"]],
    [T.iamRole]: [["inlinePolicies", "*", "policy"]],
    [T.bucketPolicy]: [["policy"]],
    [T.bucket]: [["policy"]],
    [T.bucketV2]: [["policy"]],
    [T.snsTopicPolicy]: [["policy"]],
    [T.snsTopic]: [["policy"]],
    [T.sqsQueuePolicy]: [["policy"]],
    [T.sqsQueue]: [["policy"]],
    [T.kmsKey]: [["policy"]],
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

/** A KMS key policy's statement granting the account root `kms:*`: AWS's default key policy, kept on purpose. */
function isKeyPolicyRootStatement(type: string, st: Statement): boolean {
    if (type !== T.kmsKey || !st.principal || st.principal === "*") return false;
    const aws = st.principal.AWS ?? [];
    return aws.length > 0 && aws.every((p) => typeof p === "string" && /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(p));
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
            doc.statements.forEach((st, i) => {
                if (st.effect !== "Allow") return;
                if (isKeyPolicyRootStatement(args.type, st)) return;
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

/** AWS managed policies that grant a whole service (or everything). */
export function isBroadManagedPolicy(arn: string): boolean {
    const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (!m) return false;
    return /FullAccess/i.test(m[1]) || /^(AdministratorAccess|PowerUserAccess)$/.test(m[1]);
}

export const iamNoFullAccessPolicies: ResourceValidationPolicy = {
    name: "iam-no-full-access-managed-policies",
    description: "No AWS managed *FullAccess, AdministratorAccess or PowerUserAccess policy is attached.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Replace the attachment with an inline policy listing the actions and resources needed.",
    validateResource: forTypes((t) => t in ATTACHMENTS, (props, args, report) => {
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

/** Identity policies (the documents that grant a principal actions on resources). */
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
        for (const { where, value } of documentsOf(args.type, props)) {
            const doc = parsePolicyDocument(value);
            if (doc === UNKNOWN || !isDocument(doc)) continue; // iam-no-wildcard-actions reports a broken document
            doc.statements.forEach((st, i) => {
                if (st.effect !== "Allow") return;
                if (st.notResources.length) {
                    report(`${where}: ${statementName(st, i)} allows its actions on everything except NotResource: name the resources instead.`);
                    return;
                }
                const wild = st.resources.filter(isWildcardResource);
                if (wild.length === 0) return;
                const scoped = st.actions.filter((a): a is string => typeof a === "string" && !exempt.has(a.trim().toLowerCase()));
                if (scoped.length) {
                    report(`${where}: ${statementName(st, i)} allows ${scoped.join(", ")} on ${wild.map((r) => `"${String(r)}"`).join(", ")}: ` +
                        `these actions support resource-level permissions, so name the resources.`);
                }
            });
        }
    }),
};

interface TrustConfig {
    exemptServices?: string[];
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
        "(Firehose: sts:ExternalId = the account id); no role is assumable by everyone.",
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
