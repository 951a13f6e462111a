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
            effect: typeof st.Effect === "string" ? st.Effect : "",
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

/** A Resource that matches every resource of a service: `*`, `arn:aws:s3:::*`, an ARN with `*` as account or resource. */
export function isWildcardResource(resource: Str): boolean {
    if (resource === UNKNOWN) return false;
    const r = resource.trim();
    if (/^[*?]+$/.test(r)) return true;
    const parts = r.split(":");
    if (parts[0] !== "arn" || parts.length < 6) return false;
    const [, partition, service, , account, ...rest] = parts;
    const res = rest.join(":");
    return /[*?]/.test(partition) || /[*?]/.test(service) || /[*?]/.test(account) || /^[*?]+$/.test(res);
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
