// Reading resource properties without tripping over unknown values.
//
// During `pulumi preview` a property that depends on a resource not yet created is "unknown": the engine sends a
// sentinel string instead of the value, and @pulumi/policy wraps the properties in a proxy that throws on reading
// one. A throw turns the whole policy into an advisory "can't run during preview" note — for a stack policy that
// means no resource gets checked at all. These helpers read the raw values underneath the proxy (through property
// descriptors, which the proxy does not intercept) and hand back `UNKNOWN` instead of throwing, so each policy can
// decide per value: skip a check that `pulumi up` will repeat with real values, or fall back to the engine's
// property-dependency graph.

/** The engine's sentinels for values not known during preview (the same constants as @pulumi/policy/proxy). */
export const UNKNOWN_SENTINELS = {
    boolean: "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    number: "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    string: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    array: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    asset: "030794c1-ac77-496b-92df-f27374a8bd58",
    archive: "e48ece36-62e2-4504-bad9-02848725956a",
    object: "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
} as const;

const SENTINELS: ReadonlySet<unknown> = new Set(Object.values(UNKNOWN_SENTINELS));

/** What `get` returns for a value that is not known yet. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/** True for an engine sentinel or the `UNKNOWN` marker. */
export function isUnknown(v: unknown): v is Unknown {
    return v === UNKNOWN || SENTINELS.has(v);
}

/** One own property of `obj` without going through a proxy's `get` trap. */
function rawProperty(obj: unknown, key: string | number): unknown {
    if (obj === null || obj === undefined || typeof obj !== "object") return undefined;
    const d = Object.getOwnPropertyDescriptor(obj, key);
    return d === undefined ? undefined : ("value" in d ? d.value : undefined);
}

/**
 * The value at `path` inside `obj`: `undefined` when absent, `UNKNOWN` when it (or an object on the way to it)
 * is unknown. Never throws.
 */
export function get(obj: unknown, ...path: (string | number)[]): unknown {
    let cur: unknown = obj;
    if (isUnknown(cur)) return UNKNOWN;
    for (const key of path) {
        cur = rawProperty(cur, key);
        if (isUnknown(cur)) return UNKNOWN;
        if (cur === undefined || cur === null) return undefined;
    }
    return cur;
}

/** True when `v` is present and contains no unknown anywhere inside it. */
export function isKnown(v: unknown): boolean {
    if (isUnknown(v)) return false;
    if (v === null || typeof v !== "object") return true;
    for (const key of Object.keys(v)) {
        if (!isKnown(rawProperty(v, key))) return false;
    }
    return true;
}

/** A plain copy of `v` with every proxy removed (unknowns stay as `UNKNOWN`). */
export function plain(v: unknown): unknown {
    if (isUnknown(v)) return UNKNOWN;
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(plain(rawProperty(v, i)));
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) out[key] = plain(rawProperty(v, key));
    return out;
}

/** The string at `path`, `UNKNOWN`, or `undefined` (absent or not a string). */
export function getString(obj: unknown, ...path: (string | number)[]): string | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    return typeof v === "string" ? v : undefined;
}

/** The number at `path` (numeric strings accepted), `UNKNOWN`, or `undefined`. */
export function getNumber(obj: unknown, ...path: (string | number)[]): number | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return undefined;
}

/** The boolean at `path` ("true"/"false" strings accepted), `UNKNOWN`, or `undefined`. */
export function getBoolean(obj: unknown, ...path: (string | number)[]): boolean | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    return undefined;
}

/** The array at `path` as a plain array (elements may be `UNKNOWN`), `UNKNOWN`, or `[]` when absent. */
export function getArray(obj: unknown, ...path: (string | number)[]): unknown[] | Unknown {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (!Array.isArray(v)) return [];
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
        const item = rawProperty(v, i);
        out.push(isUnknown(item) ? UNKNOWN : item);
    }
    return out;
}

/** The object at `path` as a plain record, `UNKNOWN`, or `undefined`. */
export function getRecord(obj: unknown, ...path: (string | number)[]): Record<string, unknown> | Unknown | undefined {
    const v = get(obj, ...path);
    if (v === UNKNOWN) return UNKNOWN;
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    return plain(v) as Record<string, unknown>;
}

/** A single value or a list, as a list (IAM's `"Action": "x"` vs `"Action": ["x"]`). */
export function toList<T>(v: T | T[] | undefined | null): T[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : [v];
}
