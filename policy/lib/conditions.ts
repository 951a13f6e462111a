// What a policy statement's conditions really restrict. A condition "pins" a statement when, whatever the
// request, it only lets through requests from one concrete account, organization or resource. Conditions that
// look like protection but are always true (or match anything) do not pin:
//   - keys that say nothing about who asks (aws:SecureTransport, aws:CurrentTime, aws:UserAgent, aws:Referer …),
//     and keys about the resource itself (aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths): in a
//     resource policy the resource is always this account's, so they are always true;
//   - negated operators (StringNotEquals, ArnNotLike …) and Null: they exclude, they do not pin;
//   - …IfExists operators and ForAllValues: they are true when the key is absent from the request;
//   - values that match anything: "*", "?*", "arn:aws:*", an ARN whose account is a wildcard, an account id
//     written as a pattern ("1234*"), an empty string, a policy variable ("${aws:SourceAccount}": compares the key
//     with itself). ArnEquals matches wildcards exactly as ArnLike does, so both are read as patterns.
import { Statement, Str } from "./policyDocument";
import { UNKNOWN } from "./values";

/** Keys that name the calling account, organization or resource (global condition keys). */
export const ACCOUNT_KEYS = ["aws:SourceAccount", "aws:SourceOwner", "aws:PrincipalAccount"] as const;
export const ARN_KEYS = ["aws:SourceArn", "aws:PrincipalArn"] as const;
export const ORG_KEYS = ["aws:PrincipalOrgID", "aws:SourceOrgID"] as const;
export const PINNING_KEYS: readonly string[] = [...ACCOUNT_KEYS, ...ARN_KEYS, ...ORG_KEYS];

const lower = (s: string) => s.toLowerCase();

/** Why one condition value does not pin, or undefined when it does. */
export function broadValue(key: string, operator: string, value: Str): string | undefined {
    if (value === UNKNOWN) return undefined; // known after deploy: `pulumi up` checks it again
    const v = value.trim();
    // ArnEquals and ArnLike both match `*` and `?` in each ARN segment (IAM condition operators).
    const like = /Like$/i.test(operator) || /^Arn/i.test(operator);
    const wild = like && /[*?]/.test(v);
    if (v === "") return "is empty";
    if (/\$\{/.test(v)) return `"${v}" is a policy variable, not a concrete value`;
    if (ACCOUNT_KEYS.map(lower).includes(lower(key))) {
        if (wild) return `"${v}" is a pattern, not an account`;
        if (!/^\d{12}$/.test(v)) return `"${v}" is not a 12-digit account id`;
        return undefined;
    }
    if (ORG_KEYS.map(lower).includes(lower(key))) {
        if (wild) return `"${v}" is a pattern, not an organization`;
        return /^o-[a-z0-9]{10,32}$/.test(v) ? undefined : `"${v}" is not an organization id`;
    }
    if (ARN_KEYS.map(lower).includes(lower(key))) {
        const parts = v.split(":");
        if (parts.length < 6 || parts[0] !== "arn") return like && /^[*?]+$/.test(v) ? `"${v}" matches any ARN` : `"${v}" is not an ARN`;
        const [, partition, service, , account, ...rest] = parts;
        const resource = rest.join(":");
        if (like && (/[*?]/.test(partition) || /[*?]/.test(service))) return `"${v}" matches any service`;
        // S3 ARNs have no account; a bucket name pins the resource.
        if (account === "" && service === "s3") return like && /^[*?]*$/.test(resource) ? `"${v}" matches any bucket` : undefined;
        if (like && /[*?]/.test(account)) return `"${v}" matches any account`;
        if (!/^\d{12}$/.test(account)) return `"${v}" names no account`;
        return undefined;
    }
    if (/^aws:Resource/i.test(key)) return `${key} names this resource's owner, not the caller (always true in its own policy)`;
    return `${key} does not identify the caller`;
}

export interface PinCheck {
    pinned: boolean;
    /** Why each condition present does not pin (for the message). */
    reasons: string[];
}

/**
 * Whether the statement's conditions pin it to a concrete account, organization or resource. `keys` limits the
 * keys that count (default: every pinning key). Unknown values (preview) count as pinning.
 */
export function pinning(st: Statement, keys: readonly string[] = PINNING_KEYS): PinCheck {
    const reasons: string[] = [];
    let pinned = false;
    for (const [rawOp, block] of Object.entries(st.conditions)) {
        const op = rawOp.replace(/^ForAnyValue:/i, "");
        for (const [key, values] of Object.entries(block)) {
            const counts = keys.map(lower).includes(lower(key));
            if (!counts) {
                reasons.push(/^aws:Resource/i.test(key)
                    ? `${rawOp} ${key} names this resource's owner, not the caller (always true in its own policy)`
                    : `${rawOp} ${key} does not identify the caller`);
                continue;
            }
            if (/^ForAllValues:/i.test(rawOp)) {
                reasons.push(`${rawOp} ${key} is true when the key is absent`);
                continue;
            }
            if (/IfExists$/i.test(op)) {
                reasons.push(`${rawOp} ${key} is true when the key is absent`);
                continue;
            }
            if (/Not|^Null$/i.test(op) || !/^(String|Arn)(Equals|Like)(IgnoreCase)?$/i.test(op)) {
                reasons.push(`${rawOp} ${key} excludes, it does not pin`);
                continue;
            }
            if (values.length === 0) {
                reasons.push(`${rawOp} ${key} has no value`);
                continue;
            }
            const broad = values.map((v) => broadValue(key, op, v)).filter((r): r is string => !!r);
            if (broad.length) {
                reasons.push(`${rawOp} ${key}: ${broad.join("; ")}`);
                continue;
            }
            pinned = true;
        }
    }
    return { pinned, reasons };
}

/** The pinning verdict as a message tail: "" when pinned, else why not. */
export function whyNotPinned(check: PinCheck): string {
    if (check.pinned) return "";
    return check.reasons.length ? ` (its conditions pin nothing: ${check.reasons.join("; ")})` : " (no condition)";
}
