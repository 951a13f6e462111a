// IAM: least privilege. No wildcard actions, no broad AWS managed policies, and every role a service assumes is
// pinned to this account (confused-deputy protection).
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";

import { conditionValues, isDocument, isPublicPrincipal, isWildcardAction, parsePolicyDocument, servicePrincipals, Statement, Str } from "./lib/policyDocument";
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
    description: `No policy document allows "*" or a whole-service wildcard ("s3:*") action, or uses NotAction in an Allow ` +
        `(identity, trust and resource policies, Lambda permissions; a KMS key's default account-root statement excepted).`,
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "List the exact actions the principal needs.",
    validateResource: forTypes((t) => t in DOCUMENTS || t === T.lambdaPermission, (props, args, report) => {
        if (args.type === T.lambdaPermission) {
            const action = get(props, "action");
            if (typeof action === "string" && isWildcardAction(action)) report(`The permission grants "${action}": grant lambda:InvokeFunction only.`);
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

function hasSpecificSourceCondition(st: Statement): boolean {
    return SOURCE_KEYS.some((key) => conditionValues(st, key).some((c) =>
        !/^(StringNot|ArnNot|Null)/.test(c.operator) && c.values.length > 0 && c.values.every((v: Str) => v === UNKNOWN || (v.trim() !== "" && v.trim() !== "*"))));
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
        if (isPublicPrincipal(st) && Object.keys(st.conditions).length === 0) {
            report(`assumeRolePolicy ${statementName(st, i)} lets any AWS principal assume the role.`);
            return;
        }
        const services = servicePrincipals(st).filter((s): s is string => typeof s === "string");
        const checked = services.filter((s) => !exempt.has(s));
        if (checked.length === 0) return;
        if (!hasSpecificSourceCondition(st) && !hasDocumentedServiceCondition(st, checked)) {
            const documented = checked.filter((s) => DOCUMENTED_TRUST_KEYS[s]).map((s) => `${DOCUMENTED_TRUST_KEYS[s].key} = the account id for ${s}`);
            report(`assumeRolePolicy ${statementName(st, i)} trusts ${checked.join(", ")} without an aws:SourceAccount or aws:SourceArn ` +
                `condition${documented.length ? ` (or the documented ${documented.join(", ")})` : ""}: any account's use of the service could act through this role (confused deputy).`);
        }
    });
}

export const iamServiceTrustConditions: ResourceValidationPolicy = {
    name: "iam-service-trust-conditions",
    description: "Roles trusted by AWS service principals carry an aws:SourceAccount or aws:SourceArn condition, or the condition the service documents instead (Firehose: sts:ExternalId = the account id) (confused-deputy protection); no role is assumable by everyone.",
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

export const iamPolicies = [iamNoWildcardActions, iamNoFullAccessPolicies, iamServiceTrustConditions];
