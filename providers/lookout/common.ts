// Shared pieces of the Lookout for Metrics dynamic providers: type tokens, the provider version, AWS error
// classification, polling options, the unknown-value sentinel and the validation rules taken from the L4M API model
// (service `lookoutmetrics`, 2017-07-25).
//
// Everything the provider objects call from here is serialized with them (Pulumi closure serialization), so this
// module must stay free of state: plain functions and constants only, no SDK client, no Pulumi objects.
import { ListTagsForResourceCommand, LookoutMetricsClient } from "@aws-sdk/client-lookoutmetrics";

/** Bump when a provider's behaviour or state shape changes: the diff turns it into an in-place update. */
export const LOOKOUT_PROVIDER_VERSION = "1.1.0";

/**
 * The module part of the dynamic resources' type tokens. `pulumi.dynamic.Resource` always prefixes its tokens
 * with `pulumi-nodejs:dynamic/` (the engine routes them to the Node.js dynamic provider host by that package),
 * so the full tokens are `pulumi-nodejs:dynamic/edge-anomaly-lookout:<Type>`.
 */
export const LOOKOUT_MODULE = "edge-anomaly-lookout";

export const LOOKOUT_TYPES = {
    AnomalyDetector: `pulumi-nodejs:dynamic/${LOOKOUT_MODULE}:AnomalyDetector`,
    Alert: `pulumi-nodejs:dynamic/${LOOKOUT_MODULE}:Alert`,
    DetectorActivation: `pulumi-nodejs:dynamic/${LOOKOUT_MODULE}:DetectorActivation`,
} as const;

/** What the engine passes to check/diff for a value not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Polling and retry knobs. Tests inject a fake clock; the defaults are what a deployment uses. */
export interface ProviderOptions {
    /** Wait between status polls (default 10 s). */
    pollIntervalMs?: number;
    /** How long a detector deletion may take before `delete` fails (default 600 s). */
    deleteTimeoutSeconds?: number;
    /** Attempts of a create call that fails because a new IAM role has not propagated yet (default 6). */
    iamPropagationAttempts?: number;
    sleep?: (ms: number) => Promise<void>;
    now?: () => number;
}

export interface ResolvedOptions {
    pollIntervalMs: number;
    deleteTimeoutSeconds: number;
    iamPropagationAttempts: number;
    sleep: (ms: number) => Promise<void>;
    now: () => number;
}

export function resolveOptions(opts: ProviderOptions | undefined): ResolvedOptions {
    return {
        pollIntervalMs: opts?.pollIntervalMs ?? 10_000,
        deleteTimeoutSeconds: opts?.deleteTimeoutSeconds ?? 600,
        iamPropagationAttempts: opts?.iamPropagationAttempts ?? 6,
        sleep: opts?.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
        now: opts?.now ?? (() => Date.now()),
    };
}

// ---- AWS errors ------------------------------------------------------------------------------------------------

function errorName(err: unknown): string {
    return typeof err === "object" && err !== null && "name" in err ? String((err as { name: unknown }).name) : "";
}

function errorMessage(err: unknown): string {
    if (typeof err === "object" && err !== null) {
        const e = err as { message?: unknown; Message?: unknown };
        return String(e.message ?? e.Message ?? "");
    }
    return String(err);
}

export function isNotFound(err: unknown): boolean {
    return errorName(err) === "ResourceNotFoundException";
}

export function isConflict(err: unknown): boolean {
    return errorName(err) === "ConflictException";
}

/**
 * Whether a failed create may still have created the resource. A ConflictException on a create means a resource
 * with that name exists — possibly ours, from an earlier attempt whose response was lost (created, then a 5xx
 * or a dropped connection, and the SDK's retry got the conflict). A 5xx, a throttle or a network error can hide
 * the same success. Only the rejections that prove nothing was created (invalid input, no permission, missing
 * detector, quota) are excluded.
 */
export function mayHaveCreated(err: unknown): boolean {
    return !["ValidationException", "AccessDeniedException", "ResourceNotFoundException", "ServiceQuotaExceededException"].includes(errorName(err));
}

/**
 * The tag every detector, metric set and alert this program creates carries: `<project>/<stack>`. A create that
 * finds its name taken adopts the existing resource only when this tag says it is this stack's (a lost create
 * response, or a cleanup that failed); anything else with the name is left alone and the error says so.
 */
export const OWNER_TAG = "edge-anomaly-lookout:owner";

/** The tags to send: the user's tags plus the owner tag. */
export function ownedTags(tags: Record<string, string> | undefined, owner: string | undefined): Record<string, string> | undefined {
    return owner === undefined ? tags : { ...(tags ?? {}), [OWNER_TAG]: owner };
}

/** The user's tags as the service reports them: without the owner tag; undefined when none are left. */
export function userTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
    if (!tags) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) if (k !== OWNER_TAG) out[k] = v;
    return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A failure after the resource exists, for the Pulumi engine: the Node.js dynamic provider host turns an error
 * carrying `id` and `properties` into ErrorResourceInitFailed, so the engine records the resource in the state
 * with these outputs (instead of forgetting it, which orphans it) and, because the state then has init errors,
 * calls update on the next `pulumi up` even when the inputs did not change. A plain Error with properties
 * assigned, since serialized code loses the message of `class … extends Error`.
 */
export function partialFailure(message: string, id: string, properties: Record<string, unknown>): Error {
    const e = new Error(message);
    return Object.assign(e, { id, properties, reasons: [message] });
}

/** The dynamic provider host's key for the serialized provider: carried over into partial-failure properties. */
export const PROVIDER_KEY = "__provider";

/** `olds` marked for reconciliation, with the serialized provider of `news` (what the engine should keep). */
export function reconcileState<T extends object>(olds: T, news: object, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const provider = (news as Record<string, unknown>)[PROVIDER_KEY] ?? (olds as Record<string, unknown>)[PROVIDER_KEY];
    return { ...olds, ...extra, reconcile: true, ...(provider !== undefined ? { [PROVIDER_KEY]: provider } : {}) };
}

/**
 * A create call rejected because the service cannot assume a role created moments ago (IAM is eventually
 * consistent). Retried a few times; anything else fails at once.
 */
export function isRolePropagation(err: unknown): boolean {
    const name = errorName(err);
    return (name === "ValidationException" || name === "AccessDeniedException") && /role|assume/i.test(errorMessage(err));
}

export async function retryOnRolePropagation<T>(call: () => Promise<T>, o: ResolvedOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await call();
        } catch (err) {
            if (!isRolePropagation(err) || attempt >= o.iamPropagationAttempts) throw err;
            await o.sleep(o.pollIntervalMs);
        }
    }
}

/** The owner tag of a Lookout for Metrics resource (undefined when it has none). */
export async function ownerOf(lm: LookoutMetricsClient, arn: string): Promise<string | undefined> {
    const t = await lm.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    return t.Tags?.[OWNER_TAG];
}

/** The error for a name that is taken by a resource this stack did not create. */
export function notOurs(kind: string, name: string, arn: string, owner: string | undefined, expected: string): Error {
    return new Error(
        `Lookout for Metrics ${kind} "${name}" already exists (${arn}) and is not this stack's: its ${OWNER_TAG} tag is ` +
        `${owner === undefined ? "missing" : JSON.stringify(owner)}, this stack's is ${JSON.stringify(expected)}. ` +
        `Delete it, or tag it ${OWNER_TAG}=${expected} to let the next pulumi up adopt it`,
    );
}

// ---- comparing and validating inputs ---------------------------------------------------------------------------

/** JSON with sorted keys and `undefined` dropped, so equal values compare equal whatever the key order. */
export function canonical(v: unknown): string {
    return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort()) {
            const x = (v as Record<string, unknown>)[k];
            if (x !== undefined) out[k] = sortKeys(x);
        }
        return out;
    }
    return v;
}

export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
    return false;
}

/** The value at a dotted path (`metricSet.source.type`). */
export function at(obj: unknown, path: string): unknown {
    let cur: unknown = obj;
    for (const part of path.split(".")) {
        if (cur === undefined || cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
}

/** Paths whose value differs between olds and news (an unknown new value counts as a change). */
export function changedPaths(olds: unknown, news: unknown, paths: readonly string[]): string[] {
    return paths.filter((p) => {
        const n = at(news, p);
        return containsUnknown(n) || canonical(at(olds, p)) !== canonical(n);
    });
}

export interface Failure {
    property: string;
    reason: string;
}

export interface Checker {
    readonly failures: Failure[];
    fail(property: string, reason: string): void;
    /** True when nothing at `path` is unknown (preview). */
    known(path: string): boolean;
    /** A string matching `pattern` with a length in [min, max]. */
    str(path: string, opts: { required?: boolean; min?: number; max: number; pattern?: RegExp; rule?: string }): void;
    oneOf(path: string, allowed: readonly string[], required?: boolean): void;
    int(path: string, min: number, max: number, required?: boolean): void;
    /** A list (or undefined when optional) with a length in [min, max]; returns it when it can be inspected. */
    list(path: string, min: number, max: number, required?: boolean): unknown[] | undefined;
    tags(path: string): void;
}

/**
 * Collects check failures; every rule skips values that are unknown during preview. A factory of closures, not a
 * class: Pulumi's closure serialization drops class field initializers (measured: a `failures = []` field came
 * out undefined in the serialized provider), and the provider is serialized with this code.
 */
export function checker(root: unknown): Checker {
    const failures: Failure[] = [];
    const value = (path: string): unknown => at(root, path);
    const fail = (property: string, reason: string): void => {
        failures.push({ property, reason });
    };
    return {
        failures,
        fail,
        known: (path) => !containsUnknown(value(path)),
        str(path, opts) {
            const v = value(path);
            if (v === UNKNOWN) return;
            if (v === undefined || v === null) {
                if (opts.required) fail(path, "is required");
                return;
            }
            if (typeof v !== "string") return fail(path, `must be a string, got ${JSON.stringify(v)}`);
            const min = opts.min ?? 0;
            if (v.length < min || v.length > opts.max) {
                return fail(path, `${JSON.stringify(v)} must be ${min}–${opts.max} characters long (is ${v.length})`);
            }
            if (opts.pattern && !opts.pattern.test(v)) fail(path, `${JSON.stringify(v)} ${opts.rule ?? `does not match ${opts.pattern}`}`);
        },
        oneOf(path, allowed, required = true) {
            const v = value(path);
            if (v === UNKNOWN) return;
            if (v === undefined || v === null) {
                if (required) fail(path, `is required; one of ${allowed.join(", ")}`);
                return;
            }
            if (typeof v !== "string" || !allowed.includes(v)) fail(path, `${JSON.stringify(v)} is not allowed; use one of ${allowed.join(", ")}`);
        },
        int(path, min, max, required = true) {
            const v = value(path);
            if (v === UNKNOWN) return;
            if (v === undefined || v === null) {
                if (required) fail(path, `is required (a whole number from ${min} to ${max})`);
                return;
            }
            if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(path, `${JSON.stringify(v)} must be a whole number from ${min} to ${max}`);
        },
        list(path, min, max, required = true) {
            const v = value(path);
            if (v === UNKNOWN) return undefined;
            if (v === undefined || v === null) {
                if (required) fail(path, `is required (a list of ${min}–${max} items)`);
                return undefined;
            }
            if (!Array.isArray(v)) {
                fail(path, "must be a list");
                return undefined;
            }
            if (v.length < min || v.length > max) fail(path, `must have ${min}–${max} items (has ${v.length})`);
            return v;
        },
        tags(path) {
            const v = value(path);
            if (v === undefined || v === null || v === UNKNOWN) return;
            if (typeof v !== "object" || Array.isArray(v)) return fail(path, "must be a map of tag keys to values");
            const entries = Object.entries(v as Record<string, unknown>);
            if (entries.length > 49) fail(path, `has ${entries.length} tags; at most 49 are allowed (the service takes 50, one is ${OWNER_TAG})`);
            for (const [k, val] of entries) {
                if (k === OWNER_TAG) fail(`${path}.${k}`, "is reserved: the providers set it to <project>/<stack> to recognise their own resources");
                if (!TAG.test(k) || k.length < 1 || k.length > 128 || k.startsWith("aws:")) {
                    fail(`${path}.${k}`, "is not a valid tag key (1–128 letters, digits, spaces, _.:/=+@-, not starting with aws:)");
                }
                if (val !== UNKNOWN && (typeof val !== "string" || val.length > 256 || !TAG.test(val))) {
                    fail(`${path}.${k}`, `${JSON.stringify(val)} is not a valid tag value (0–256 letters, digits, spaces, _.:/=+@-)`);
                }
            }
        },
    };
}

// API model rules (anchored here: the service matches the whole value).
/** AnomalyDetectorName, MetricSetName, AlertName, ColumnName: `^[a-zA-Z0-9][a-zA-Z0-9\-_]*`, 1–63. */
export const NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/;
export const NAME_RULE = "must start with a letter or digit and contain only letters, digits, - and _";
/** Descriptions: `.*\S.*`. */
export const NON_BLANK = /\S/;
/** Arn: `arn:([a-z\d-]+):.*:.*:.*:.+`, at most 256. */
export const ARN = /^arn:([a-z\d-]+):.*:.*:.*:.+$/;
export const DETECTOR_ARN = /^arn:[a-z\d-]+:lookoutmetrics:[a-z0-9-]+:\d{12}:AnomalyDetector:[a-zA-Z0-9][a-zA-Z0-9\-_]*$/;
export const KMS_KEY_ARN = /^arn:aws.*:kms:.*:[0-9]{12}:key\/[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}$/;
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** TemplatedPath: `^s3://[a-zA-Z0-9_\-\/ {}=]+$`, at most 1024. */
export const TEMPLATED_PATH = /^s3:\/\/[a-zA-Z0-9_\-/ {}=]+$/;
/** HistoricalDataPath: `^s3://[a-z0-9].+$`, at most 1024. */
export const HISTORICAL_PATH = /^s3:\/\/[a-z0-9].+$/;
/** Namespace: `[^:].*`, 1–255. */
export const NAMESPACE = /^[^:]/;
const TAG = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** Tag values (and so the owner): letters, digits, spaces, _.:/=+-@. */
export const TAG_VALUE = TAG;

export const FREQUENCIES = ["P1D", "PT1H", "PT10M", "PT5M"] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** The detector name inside a detector ARN, for messages. */
export function detectorNameOf(arn: string): string {
    const i = arn.lastIndexOf(":AnomalyDetector:");
    return i >= 0 ? arn.slice(i + ":AnomalyDetector:".length) : arn;
}

/** Tag changes between two tag maps: keys to remove, and tags to set (new or changed). */
export function tagChanges(olds: Record<string, string> | undefined, news: Record<string, string> | undefined): { remove: string[]; set: Record<string, string> } {
    const o = olds ?? {};
    const n = news ?? {};
    const remove = Object.keys(o).filter((k) => !(k in n));
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(n)) if (o[k] !== v) set[k] = v;
    return { remove, set };
}

/** Tags as the API takes them: omitted when empty (TagMap needs at least one entry). */
export function apiTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
    return tags && Object.keys(tags).length > 0 ? { ...tags } : undefined;
}
