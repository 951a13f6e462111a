// IAM policy documents (identity policies, trust policies, resource policies) as the policies read them. A
// document arrives as a JSON string (most resources) or as an object (typed `PolicyDocument` inputs); single
// values and lists are both allowed for Action, Resource, principals and condition values.
import { get, isUnknown, plain, UNKNOWN, Unknown, toList } from "./values";

/** A string from the document, or `UNKNOWN` where preview does not know it yet. */
export type Str = string | Unknown;

export interface Statement {
    sid?: string;
    effect: string;
    actions: Str[];
    notActions: Str[];
    resources: Str[];
    notResources: Str[];
    /** `"*"` for `Principal: "*"`, otherwise principal type (`Service`, `AWS`, `Federated`, ...) → values. */
    principal: "*" | Record<string, Str[]> | undefined;
    /** Condition operator → condition key → values. */
    conditions: Record<string, Record<string, Str[]>>;
    /** The statement uses NotPrincipal (applies to everyone except the listed principals). */
    notPrincipal: boolean;
}

export interface PolicyDocument {
    statements: Statement[];
}

export type ParsedDocument = PolicyDocument | Unknown | { error: string };

export function isDocument(d: ParsedDocument): d is PolicyDocument {
    return typeof d === "object" && d !== null && "statements" in d;
}

function strs(v: unknown): Str[] {
    if (isUnknown(v)) return [UNKNOWN];
    return toList(v as unknown).map((x) => (isUnknown(x) ? UNKNOWN : String(x)));
}

function normalizeEffect(e: string): string {
    const t = e.trim().toLowerCase();
    return t === "allow" ? "Allow" : t === "deny" ? "Deny" : e;
}

/** Parses a policy document; `UNKNOWN` when the whole document is not known yet. */
export function parsePolicyDocument(value: unknown): ParsedDocument {
    if (isUnknown(value)) return UNKNOWN;
    let doc: unknown = plain(value);
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch (e) {
            return { error: `policy document is not valid JSON (${(e as Error).message})` };
        }
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        return { error: "policy document is not a JSON object" };
    }
    const rawStatements = get(doc, "Statement");
    if (isUnknown(rawStatements)) return UNKNOWN;
    const statements: Statement[] = [];
    for (const s of toList(rawStatements as unknown)) {
        if (s === null || typeof s !== "object") continue;
        const st = s as Record<string, unknown>;
        const principalRaw = st.Principal;
        let principal: Statement["principal"];
        if (principalRaw === "*") {
            principal = "*";
        } else if (principalRaw && typeof principalRaw === "object") {
            principal = {};
            for (const [k, v] of Object.entries(principalRaw as Record<string, unknown>)) principal[k] = strs(v);
        }
        const conditions: Statement["conditions"] = {};
        if (st.Condition && typeof st.Condition === "object") {
            for (const [op, block] of Object.entries(st.Condition as Record<string, unknown>)) {
                conditions[op] = {};
                if (block && typeof block === "object") {
                    for (const [key, v] of Object.entries(block as Record<string, unknown>)) conditions[op][key] = strs(v);
                }
            }
        }
        statements.push({
            sid: typeof st.Sid === "string" ? st.Sid : undefined,
            // "allow" / "deny" in any case count as Allow / Deny: a check must never be skipped by a spelling.
            effect: typeof st.Effect === "string" ? normalizeEffect(st.Effect) : "",
            actions: strs(st.Action),
            notActions: strs(st.NotAction),
            resources: strs(st.Resource),
            notResources: strs(st.NotResource),
            principal,
            conditions,
            notPrincipal: st.NotPrincipal !== undefined,
        });
    }
    return { statements };
}

/**
 * An action written with a wildcard anywhere: `*`, `s3:*`, `s3:?*`, `iam:*?`, `s3:Get*`, `*:GetObject`. IAM
 * matches `*` and `?` in any position, so each of these grants more than one (or every) action.
 */
export function isWildcardAction(action: Str): boolean {
    if (action === UNKNOWN) return false;
    return /[*?]/.test(action);
}

const WILD = /^[*?]+$/;

/**
 * Why a Resource matches every resource of a kind, or undefined when it names resources:
 *   - `*`, `?*`, `*:*` and ARNs cut short by a wildcard (`arn:*`, `arn:aws:*`, `arn:aws:sqs:*`: IAM matches the
 *     pattern against the whole ARN, so these match every resource);
 *   - a wildcard partition, service or account (`arn:aws:sqs:*:*:q`, `arn:aws:sqs:us-east-1:*:q`);
 *   - a resource part that is only wildcards, alone or after its resource type: `arn:aws:s3:::*`,
 *     `arn:aws:s3:::*` + `/*` (every object of every bucket), `…:function:*`, `…:table/*`, `…:key/*`, `…:log-group:*`.
 * A wildcard inside a name (`arn:aws:s3:::bucket/*`, `…:log-group:/aws/lambda/fn:*`, `…:alarm:stack-*`) names resources.
 */
export function wildcardResourceReason(resource: Str): string | undefined {
    if (resource === UNKNOWN) return undefined;
    const r = resource.trim();
    if (!/[*?]/.test(r)) return undefined;
    const parts = r.split(":");
    if (parts.every((p) => p === "" || WILD.test(p))) return "matches every resource";
    if (parts[0] !== "arn") return undefined; // not an ARN (a policy variable, an S3 access point alias …): left to AWS
    if (parts.length < 6) return "is an ARN cut short by a wildcard, so it matches every resource after it";
    const [, partition, service, , account, ...rest] = parts;
    if (/[*?]/.test(partition) || /[*?]/.test(service)) return "has a wildcard partition or service";
    if (/[*?]/.test(account)) return "has a wildcard account";
    // The resource part: its segments (split on / and :), the first being the resource type except for S3
    // (bucket/key) — wildcard-only everywhere after the type means every resource of that type.
    const segments = rest.join(":").split(/[/:]/).filter((x) => x !== "");
    if (segments.length === 0) return undefined;
    const named = service === "s3" ? segments : segments.slice(1);
    if (named.length === 0) return WILD.test(segments[0]) ? "matches every resource of the service" : undefined;
    if (service === "s3" && WILD.test(segments[0])) return "matches every bucket";
    if (named.every((x) => WILD.test(x))) return `matches every ${service === "s3" ? "object" : `"${segments[0]}"`} in the account`;
    return undefined;
}

/** A Resource that matches every resource of a kind (see `wildcardResourceReason`). */
export function isWildcardResource(resource: Str): boolean {
    return wildcardResourceReason(resource) !== undefined;
}

/** The values of condition `key` (any operator, key compared case-insensitively), with the operators used. */
export function conditionValues(st: Statement, key: string): { operator: string; values: Str[] }[] {
    const out: { operator: string; values: Str[] }[] = [];
    for (const [op, block] of Object.entries(st.conditions)) {
        for (const [k, values] of Object.entries(block)) {
            if (k.toLowerCase() === key.toLowerCase()) out.push({ operator: op, values });
        }
    }
    return out;
}

/** True when the statement's principal is everyone (`"*"` or `{"AWS": "*"}`). */
export function isPublicPrincipal(st: Statement): boolean {
    if (st.principal === "*") return true;
    return !!st.principal && (st.principal.AWS ?? []).some((p) => p === "*");
}

/** The service principals of a statement (`Principal.Service`). */
export function servicePrincipals(st: Statement): Str[] {
    if (!st.principal || st.principal === "*") return [];
    return st.principal.Service ?? [];
}
