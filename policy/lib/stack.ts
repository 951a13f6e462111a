// Cross-resource lookups for stack policies. Stack policies see every resource's outputs at the end of a preview
// or update. During preview, identifiers of resources not created yet (ARNs, generated names) are unknown, so a
// reference such as `association.resourceArn -> stage.arn` cannot be compared by value; the engine still knows
// which resources each property was computed from (`propertyDependencies`), and these helpers fall back to that.
import type { PolicyResource } from "@pulumi/policy";

import { get, getString, isUnknown, UNKNOWN, Unknown } from "./values";

export function ofType(resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] {
    return resources.filter((r) => types.includes(r.type));
}

/** Known string values of a resource's identifying outputs (`arn`, `id`, `name`, ...). */
export function identifiers(r: PolicyResource, ...props: string[]): string[] {
    const out: string[] = [];
    for (const p of props.length ? props : ["arn", "id", "name"]) {
        const v = getString(r.props, p);
        if (typeof v === "string" && v !== "") out.push(v);
    }
    return out;
}

export type Matcher = (value: string, id: string) => boolean;

export const exact: Matcher = (value, id) => value === id;

/** A Lambda function reference: name, ARN, or qualified ARN / name (`...:alias`). */
export const functionRef: Matcher = (value, id) => value === id || value.startsWith(`${id}:`);

/**
 * Whether `from`'s property at `path` refers to `target`. Compared by value when both sides are known; when the
 * referring value is unknown, or the target's identifiers are, by the engine's property dependencies (the first
 * path segment is the top-level property the dependency is recorded under).
 */
export function refersTo(
    from: PolicyResource,
    path: (string | number)[],
    target: PolicyResource,
    targetIds: string[],
    match: Matcher = exact,
): boolean {
    const v = get(from.props, ...path);
    const values = Array.isArray(v) ? v : [v];
    for (const item of values) {
        if (typeof item === "string" && !isUnknown(item) && targetIds.some((id) => match(item, id))) return true;
    }
    const deps = from.propertyDependencies?.[String(path[0])] ?? [];
    return deps.some((d) => d === target || d.urn === target.urn);
}

/** A string output that may be unknown; `undefined` when absent. */
export function prop(r: PolicyResource, ...path: (string | number)[]): string | Unknown | undefined {
    return getString(r.props, ...path);
}

/** A short label for messages: `type name`. */
export function label(r: PolicyResource): string {
    return `${r.type} "${r.name}"`;
}

export { UNKNOWN };
