// Resource policies (S3 bucket, SNS topic, SQS queue, KMS key policies; Lambda permissions): nobody outside this
// account gets in through a public or service principal whose conditions pin nothing, and the TLS-only denies are
// real (every topic and queue has one, none narrowed by an extra condition).
import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { broadValue, pinning, whyNotPinned } from "./lib/conditions";
import { conditionValues, isDocument, isPublicPrincipal, parsePolicyDocument, servicePrincipals, Statement } from "./lib/policyDocument";
import { configWithDefaults, forTypes, requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { T } from "./lib/types";
import { get, getString, UNKNOWN } from "./lib/values";

/** Resource-policy documents: type → property. */
export const RESOURCE_POLICY_DOCUMENTS: Readonly<Record<string, string>> = {
    [T.bucketPolicy]: "policy",
    [T.bucket]: "policy",
    [T.bucketV2]: "policy",
    [T.snsTopicPolicy]: "policy",
    [T.snsTopic]: "policy",
    [T.sqsQueuePolicy]: "policy",
    [T.sqsQueue]: "policy",
    [T.kmsKey]: "policy",
    [T.kmsKeyPolicy]: "policy",
};

/** Condition keys that pin a service principal's use to this account or one resource. */
const SOURCE_KEYS = ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOwner"];

function statementName(st: Statement, i: number): string {
    return st.sid ? `statement "${st.sid}"` : `statement ${i + 1}`;
}

/** AWS's default key-policy statement: this account's root principal (IAM policies then decide). */
function isAccountRootStatement(st: Statement): boolean {
    if (!st.principal || st.principal === "*") return false;
    const aws = st.principal.AWS ?? [];
    return aws.length > 0 && aws.every((p) => typeof p === "string" && /^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$/.test(p));
}

interface PinnedConfig {
    exemptServices?: string[];
}

function checkDocument(where: string, value: unknown, exempt: Set<string>, report: ReportViolation): void {
    const doc = parsePolicyDocument(value);
    if (doc === UNKNOWN) return;
    if (!isDocument(doc)) {
        report(`${where}: ${doc.error}`);
        return;
    }
    doc.statements.forEach((st, i) => {
        if (st.effect !== "Allow") return;
        if (st.notPrincipal) {
            report(`${where}: ${statementName(st, i)} allows everyone except NotPrincipal: name the principals instead.`);
            return;
        }
        if (isPublicPrincipal(st)) {
            const pin = pinning(st);
            if (!pin.pinned) report(`${where}: ${statementName(st, i)} allows any principal ("*")${whyNotPinned(pin)}: pin it to this account, organization or a source resource.`);
            return;
        }
        if (isAccountRootStatement(st)) return;
        const services = servicePrincipals(st).filter((s): s is string => typeof s === "string" && !exempt.has(s));
        if (services.length === 0) return;
        const pin = pinning(st, SOURCE_KEYS);
        if (!pin.pinned) {
            report(`${where}: ${statementName(st, i)} allows ${services.join(", ")} without an aws:SourceAccount or aws:SourceArn condition that ` +
                `pins this account or resource${whyNotPinned(pin)}: the service acting for any account could use it (confused deputy).`);
        }
    });
}

export const resourcePolicyPrincipalsPinned: ResourceValidationPolicy = {
    name: "resource-policy-principals-pinned",
    description: "Resource policies (S3 bucket, SNS topic, SQS queue, KMS key) and Lambda permissions grant no public principal (\"*\") " +
        "and no service principal unless a condition pins a concrete account, organization or source resource " +
        "(not a pattern, not IfExists, not negated, not aws:SecureTransport); no NotPrincipal in an Allow.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: `Add Condition { StringEquals: { "aws:SourceAccount": "<this account>" }, ArnEquals: { "aws:SourceArn": "<the source resource>" } }; ` +
        "for a Lambda permission set sourceArn (and sourceAccount), never principal \"*\".",
    configSchema: {
        properties: {
            exemptServices: {
                type: "array",
                items: { type: "string", pattern: "^[a-z0-9.-]+\\.amazonaws\\.com$" },
                uniqueItems: true,
                default: [],
                description: "Service principals allowed in resource policies without a source condition.",
            },
        },
    },
    validateResource: forTypes((t) => t in RESOURCE_POLICY_DOCUMENTS || t === T.lambdaPermission, (props, args, report) => {
        const cfg = configWithDefaults<PinnedConfig>(args, resourcePolicyPrincipalsPinned.configSchema);
        const exempt = new Set(cfg.exemptServices ?? []);
        if (args.type === T.lambdaPermission) {
            const principal = getString(props, "principal");
            if (principal === UNKNOWN || principal === undefined) return;
            if (/[*?]/.test(principal)) {
                report(`The permission lets any principal ("${principal}") invoke the function: name the service or account, with sourceArn.`);
                return;
            }
            if (!principal.endsWith(".amazonaws.com") || exempt.has(principal)) return;
            const sourceArn = getString(props, "sourceArn");
            const sourceAccount = getString(props, "sourceAccount");
            const arnOk = sourceArn === UNKNOWN || (typeof sourceArn === "string" && !broadValue("aws:SourceArn", /[*?]/.test(sourceArn) ? "ArnLike" : "ArnEquals", sourceArn));
            const accountOk = sourceAccount === UNKNOWN || (typeof sourceAccount === "string" && !broadValue("aws:SourceAccount", "StringEquals", sourceAccount));
            if (!arnOk && !accountOk) {
                const why = [sourceArn === undefined ? "no sourceArn" : `sourceArn ${broadValue("aws:SourceArn", "ArnLike", sourceArn)}`,
                    sourceAccount === undefined ? "no sourceAccount" : `sourceAccount ${broadValue("aws:SourceAccount", "StringEquals", sourceAccount)}`];
                report(`The permission lets ${principal} invoke the function for any account (${why.join(", ")}): set sourceArn to the one resource that invokes it.`);
            }
            return;
        }
        const value = get(props, RESOURCE_POLICY_DOCUMENTS[args.type]);
        if (value === undefined || value === "") return;
        checkDocument(RESOURCE_POLICY_DOCUMENTS[args.type], value, exempt, report);
    }),
};

// ---- TLS-only denies ------------------------------------------------------------------------------------------

/** What a TLS-only deny for `service` must deny (any one of the sets). */
const TLS_ACTIONS: Record<string, string[][]> = {
    s3: [["s3:*"], ["*"]],
    sns: [["sns:*"], ["*"], ["sns:Publish"]],
    sqs: [["sqs:*"], ["*"], ["sqs:SendMessage", "sqs:ReceiveMessage"]],
};

/** IAM-style wildcard match (`*` any run, `?` one character), case-sensitive like ARNs. */
export function globMatch(pattern: string, value: string): boolean {
    const body = pattern.replace(/[.+^$(){}|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp("^" + body + "$").test(value);
}

/** Whether the statement's Resource covers `arn` (unknown resources, or an unknown ARN, get the benefit of the doubt). */
export function coversResource(st: Statement, arn: unknown): boolean {
    if (st.resources.length === 0 && st.notResources.length === 0) return false;
    if (typeof arn !== "string" || arn === "") return true;
    return st.resources.some((r) => r === UNKNOWN || globMatch(r.trim(), arn));
}

/** A Deny on aws:SecureTransport = false (whatever else it says). */
export function isTlsDeny(st: Statement): boolean {
    return st.effect === "Deny" && conditionValues(st, "aws:SecureTransport").some((c) =>
        /^Bool(IfExists)?$/.test(c.operator) && c.values.some((v) => typeof v === "string" && v.toLowerCase() === "false"));
}

/**
 * Why a TLS deny for `service` enforces less than "no request without TLS, from anyone", or [] when it is whole.
 * With `arn` (SNS, SQS), the deny must also cover that resource (a deny on another topic protects nothing here).
 */
export function tlsDenyNarrowing(st: Statement, service: "s3" | "sns" | "sqs", arn?: unknown): string[] {
    const out: string[] = [];
    if (arn !== undefined && !coversResource(st, arn)) {
        out.push(`its Resource (${st.resources.map(String).join(", ") || "none"}) does not cover ${String(arn)}`);
    }
    if (st.notPrincipal) out.push("it uses NotPrincipal, so the listed principals may use plain HTTP");
    else if (!isPublicPrincipal(st)) out.push("its principal is not \"*\"");
    if (st.notActions.length) out.push("it uses NotAction");
    if (st.notResources.length) out.push("it uses NotResource");
    const extra: string[] = [];
    for (const [op, block] of Object.entries(st.conditions)) {
        for (const key of Object.keys(block)) if (key.toLowerCase() !== "aws:securetransport") extra.push(`${op} ${key}`);
    }
    if (extra.length) out.push(`an extra condition (${extra.join(", ")}) narrows it to the requests that also match that`);
    const actions = st.actions.filter((a): a is string => typeof a === "string").map((a) => a.toLowerCase());
    if (st.actions.includes(UNKNOWN)) return out;
    const covers = TLS_ACTIONS[service].some((set) => set.every((a) => actions.includes(a.toLowerCase())));
    if (!covers) out.push(`its actions (${actions.join(", ") || "none"}) do not cover ${TLS_ACTIONS[service].map((s) => s.join(" + ")).join(" or ")}`);
    return out;
}

const TLS_SUBJECTS: Record<string, { service: "sns" | "sqs"; policyTypes: string[]; ref: string }> = {
    [T.snsTopic]: { service: "sns", policyTypes: [T.snsTopicPolicy], ref: "arn" },
    [T.sqsQueue]: { service: "sqs", policyTypes: [T.sqsQueuePolicy], ref: "queueUrl" },
};

export const snsSqsDenyInsecureTransport: StackValidationPolicy = {
    name: "sns-sqs-deny-insecure-transport",
    description: "Every SNS topic and SQS queue has a resource policy that denies requests without TLS (aws:SecureTransport = false) " +
        "from everyone, not narrowed by any other condition, NotPrincipal, NotAction or NotResource.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Add { Effect: "Deny", Principal: "*", Action: "sns:Publish" (topics) or "sqs:*" (queues), Resource: <its ARN>, ` +
        `Condition: { Bool: { "aws:SecureTransport": "false" } } } with no other condition.`,
    validateStack: (args, report) => {
        const subjects = ofType(args.resources, T.snsTopic, T.sqsQueue);
        requireAny(args, "SNS topics or SQS queues", subjects.length);
        for (const r of subjects) {
            const { service, policyTypes } = TLS_SUBJECTS[r.type];
            const ids = identifiers(r, "arn", "id", "url");
            // A policy belongs to the resource when its target property refers to it, or (an output the provider
            // may rewrite) when its document names the resource's ARN.
            const arn = getString(r.props, "arn");
            const docs: unknown[] = ofType(args.resources, ...policyTypes)
                .filter((p) => refersTo(p, [service === "sns" ? "arn" : "queueUrl"], r, ids) ||
                    (typeof arn === "string" && arn !== "" && typeof get(p.props, "policy") === "string" && (get(p.props, "policy") as string).includes(`"${arn}"`)))
                .map((p) => get(p.props, "policy"));
            const inline = get(r.props, "policy");
            if (inline !== undefined && inline !== "") docs.push(inline);
            let whole = false;
            let unknown = false;
            const problems: string[] = [];
            for (const d of docs) {
                const parsed = parsePolicyDocument(d);
                if (parsed === UNKNOWN) {
                    unknown = true;
                    continue;
                }
                if (!isDocument(parsed)) continue; // resource-policy-principals-pinned reports it
                for (const st of parsed.statements.filter(isTlsDeny)) {
                    const why = tlsDenyNarrowing(st, service, typeof arn === "string" && arn !== "" ? arn : UNKNOWN);
                    if (why.length === 0) whole = true;
                    else problems.push(why.join("; "));
                }
            }
            if (whole || (unknown && problems.length === 0)) continue;
            report(problems.length
                ? `The TLS-only deny of ${label(r)} enforces less than it says: ${problems.join(" | ")}.`
                : `${label(r)} has no resource policy denying requests without TLS (aws:SecureTransport = false).`, r.urn);
        }
    },
};

// ---- the pinned account is this stack's ---------------------------------------------------------------------

/**
 * Resources whose ARN always names the account that created them (an IAM role, a function, a key, a queue, a topic,
 * a log group, an alarm, a stream): only these tell which accounts the stack deploys to. A subscription's ARN names
 * the topic's account, which may be another's, and a resource read with `.get` may live anywhere.
 */
const OWN_ACCOUNT_ARN_TYPES: ReadonlySet<string> = new Set([
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:lambda/function:Function", "aws:kms/key:Key", "aws:sqs/queue:Queue", "aws:sns/topic:Topic",
    "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:kinesis/stream:Stream", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:cloudwatch/eventRule:EventRule",
]);

/** Accounts named by the ARNs of the stack's own resources (outputs): the accounts this stack deploys to. */
export function stackAccounts(resources: readonly { type?: string; props: Record<string, unknown> }[]): Set<string> {
    const out = new Set<string>();
    for (const r of resources) {
        if (r.type !== undefined && !OWN_ACCOUNT_ARN_TYPES.has(r.type)) continue;
        const arn = getString(r.props, "arn");
        const m = typeof arn === "string" ? /^arn:aws[a-z-]*:[^:]+:[^:]*:(\d{12}):/.exec(arn) : null;
        if (m) out.add(m[1]);
    }
    return out;
}

/** Source-side condition keys (the confused-deputy pins) and the account each value names. */
function sourceAccountsOf(st: Statement): { key: string; value: string; account: string | undefined }[] {
    const out: { key: string; value: string; account: string | undefined }[] = [];
    for (const [op, block] of Object.entries(st.conditions)) {
        // Only what lets in: negated operators (StringNotEquals …) exclude the account they name.
        if (!/^(ForAnyValue:|ForAllValues:)?(String|Arn)(Equals|Like)(IgnoreCase)?(IfExists)?$/i.test(op)) continue;
        for (const [key, values] of Object.entries(block)) {
            const k = key.toLowerCase();
            for (const v of values) {
                if (typeof v !== "string") continue;
                if (k === "aws:sourceaccount" || k === "aws:sourceowner" || k === "sts:externalid") out.push({ key, value: v, account: /^\d{12}$/.test(v.trim()) ? v.trim() : undefined });
                else if (k === "aws:sourcearn") out.push({ key, value: v, account: /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(v)?.[1] });
            }
        }
    }
    return out;
}

const TRUST_AND_RESOURCE_DOCUMENTS: Readonly<Record<string, string>> = { ...RESOURCE_POLICY_DOCUMENTS, [T.iamRole]: "assumeRolePolicy" };

export const sourceConditionsPinOwnAccount: StackValidationPolicy = {
    name: "source-conditions-pin-own-account",
    description: "The account a trust or resource policy pins a service to (aws:SourceAccount, aws:SourceOwner, the account of aws:SourceArn, " +
        "Firehose's sts:ExternalId; a Lambda permission's sourceAccount and sourceArn) is an account this stack deploys to — a concrete " +
        "but foreign account lets that account's use of the service act on this stack's resources; a key policy's account-root kms:* is for those accounts only.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Pin aws:SourceAccount (and the account in aws:SourceArn) to this stack's own account id.",
    validateStack: (args, report) => {
        const own = stackAccounts(args.resources);
        // In preview the ARNs are not known yet: `pulumi up` (and the offline plan) check it with the real ones.
        if (own.size === 0) {
            args.notApplicable("no resource ARN of the stack is known yet (preview): checked once they are");
            return;
        }
        const foreign = (account: string | undefined) => account !== undefined && !own.has(account);
        for (const r of args.resources) {
            if (r.type === T.lambdaPermission) {
                const sa = getString(r.props, "sourceAccount");
                const sarn = getString(r.props, "sourceArn");
                const bad = [
                    ...(typeof sa === "string" && foreign(/^\d{12}$/.test(sa.trim()) ? sa.trim() : undefined) ? [`sourceAccount ${sa}`] : []),
                    ...(typeof sarn === "string" && foreign(/^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(sarn)?.[1]) ? [`sourceArn ${sarn}`] : []),
                ];
                if (bad.length) report(`${label(r)} pins ${bad.join(" and ")}, not an account this stack deploys to (${[...own].join(", ")}).`, r.urn);
                continue;
            }
            const prop = TRUST_AND_RESOURCE_DOCUMENTS[r.type];
            if (!prop) continue;
            const doc = parsePolicyDocument(get(r.props, prop));
            if (!isDocument(doc)) continue; // unknown or broken: other policies report a broken one
            doc.statements.forEach((st, i) => {
                if (st.effect !== "Allow") return;
                // A key policy's account-root kms:* (AWS's default statement) is for the key's own account only.
                if ((r.type === T.kmsKey || r.type === T.kmsKeyPolicy) && st.principal && st.principal !== "*" &&
                    (st.actions.some((a) => typeof a === "string" && /[*?]/.test(a)) || st.notActions.length)) {
                    const roots = (st.principal.AWS ?? []).map((p) => (typeof p === "string" ? /^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$/.exec(p.trim()) : null))
                        .filter((m): m is RegExpExecArray => !!m).map((m) => m[1] ?? m[2]).filter((a) => foreign(a));
                    if (roots.length) report(`${label(r)} ${prop} ${statementName(st, i)} gives the root of account ${roots.join(", ")} a wildcard on the key: ` +
                        `only this stack's account (${[...own].join(", ")}) keeps AWS's default kms:* statement.`, r.urn);
                }
                const bad = sourceAccountsOf(st).filter((x) => foreign(x.account));
                if (bad.length) {
                    report(`${label(r)} ${prop} ${statementName(st, i)} pins ${bad.map((x) => `${x.key} ${x.value}`).join(", ")}: not an account this stack ` +
                        `deploys to (${[...own].join(", ")}), so that account's use of the service is let in.`, r.urn);
                }
            });
        }
    },
};

export const resourcePolicies = [resourcePolicyPrincipalsPinned, snsSqsDenyInsecureTransport, sourceConditionsPinOwnAccount];
