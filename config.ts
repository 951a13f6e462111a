// The one place that reads stack configuration. It reads every key once, applies defaults, validates the
// values, and hands the components a typed, frozen AppConfig. A bad value throws a ConfigError whose message
// names the full key (`edge-anomaly-detection:waf.rateLimit.limit`) and what is allowed, so `pulumi preview`
// fails before anything is planned.
import * as pulumi from "@pulumi/pulumi";

import { OTHER_DIMENSION_VALUE } from "./model/ecommerceSchema";

export const PROJECT = "edge-anomaly-detection";

export type Engine = "cloudwatch" | "lookout";
export const ENGINES: readonly Engine[] = ["cloudwatch", "lookout"];

/** Lookout for Metrics detector frequencies (API enum), also the ecommerce interval for both engines. */
export type Frequency = "PT5M" | "PT10M" | "PT1H" | "P1D";
export const FREQUENCY_SECONDS: Readonly<Record<Frequency, number>> = { PT5M: 300, PT10M: 600, PT1H: 3600, P1D: 86400 };

export type LambdaRuntime = "nodejs22.x" | "nodejs24.x";
export const LAMBDA_RUNTIMES: readonly LambdaRuntime[] = ["nodejs22.x", "nodejs24.x"];

export type EcommerceDimension = "platform" | "marketplace";
export const ECOMMERCE_DIMENSIONS: readonly EcommerceDimension[] = ["platform", "marketplace"];

export type Compression = "UNCOMPRESSED" | "GZIP";
export type WafAction = "block" | "count";

/** The values CloudWatch Logs accepts for a log group's retention (days). */
export const LOG_RETENTION_DAYS: readonly number[] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export interface ApiConfig {
    /** Deploy the demo REST API (and, with it, the project's own web ACL on its stage). Default true. */
    readonly enabled: boolean;
    /** API Gateway stage name (`prod` by default). */
    readonly stageName: string;
    /** Steady-state requests per second allowed on the stage. */
    readonly throttleRateLimit: number;
    /** Burst allowed on the stage. */
    readonly throttleBurstLimit: number;
    /**
     * Create the account-wide API Gateway CloudWatch Logs role (`aws.apigateway.Account`). One per account and
     * region: leave false when another stack already owns it.
     */
    readonly manageAccountLogsRole: boolean;
}

export interface RateLimitConfig {
    readonly enabled: boolean;
    /** Requests per client IP per evaluation window before the rule acts. */
    readonly limit: number;
    /** WAF evaluation window: 60, 120, 300 or 600 seconds. */
    readonly windowSeconds: number;
    readonly action: WafAction;
}

export type WafScope = "REGIONAL" | "CLOUDFRONT";
export const WAF_SCOPES: readonly WafScope[] = ["REGIONAL", "CLOUDFRONT"];

/** An existing web ACL this stack watches (it creates none of it). */
export interface WatchedWebAclConfig {
    /** The web ACL's name (the `WebACL` dimension of its AWS/WAFV2 metrics). */
    readonly name: string;
    /** REGIONAL: in the stack's region. CLOUDFRONT: its metrics (and so its alarms) are in us-east-1. */
    readonly scope: WafScope;
    /**
     * Rule metric names to watch besides the total (`Rule=ALL`). Undefined: read from the ACL at preview time
     * (WAFv2 GetWebACL). An empty list watches the total only.
     */
    readonly rules?: readonly string[];
}

export interface WafConfig {
    /** AWSManagedRulesKnownBadInputsRuleSet next to the (always on) AWSManagedRulesCommonRuleSet. */
    readonly knownBadInputs: boolean;
    readonly rateLimit: RateLimitConfig;
    /** Retention of the `aws-waf-logs-*` log group. */
    readonly logRetentionDays: number;
    /** Log allowed requests too (default false: a logging filter keeps BLOCK and COUNT only, what detection reads). */
    readonly logAllowedRequests: boolean;
    /** Existing web ACLs to watch. */
    readonly watch: readonly WatchedWebAclConfig[];
    /** ARNs of existing resources the project's own web ACL is attached to. */
    readonly associate: readonly string[];
}

export interface HeartbeatConfig {
    /** Publish BlockedRequests = 0 per rule every 5 minutes. Defaults to on for `lookout`, off for `cloudwatch`. */
    readonly enabled: boolean;
    /** Namespace of the zero datapoints: the WAF one (as the seed does) or a custom one. */
    readonly namespace: string;
}

export interface PipelineConfig {
    /** Omit (or 0) for an ON_DEMAND stream; a positive number for a PROVISIONED stream with that many shards. */
    readonly shardCount: number;
    readonly retentionHours: number;
    /** Firehose buffer: 60–900 s (dynamic partitioning allows no zero buffering). */
    readonly bufferingIntervalSeconds: number;
    /** Firehose buffer: 64–128 MiB (dynamic partitioning needs at least 64). */
    readonly bufferingSizeMiB: number;
    readonly compression: Compression;
    /** Days until live data and error objects in the bucket expire. */
    readonly dataExpirationDays: number;
    /** Let `pulumi destroy` delete the data bucket with its objects (for throwaway stacks). */
    readonly forceDestroyBucket: boolean;
    /** Read this existing Kinesis data stream instead of creating one (shardCount/retentionHours then unused). */
    readonly sourceStreamArn?: string;
    /** The KMS key that stream is encrypted with (customer managed), if any. */
    readonly sourceStreamKeyArn?: string;
}

export interface DetectionConfig {
    readonly engine: Engine;
    /** Ecommerce detector interval, one source of truth for the S3 layout and both engines. */
    readonly frequency: Frequency;
    /** Seconds in one ecommerce interval (derived from `frequency`). */
    readonly intervalSeconds: number;
    /** Lookout for Metrics alert sensitivity threshold, 0–100. */
    readonly alertSensitivity: number;
    /** CloudWatch anomaly band width in standard deviations, > 0. */
    readonly bandWidth: number;
    /** CloudWatch period of the WAF alarms: 60 or a multiple of 60 up to 3600. */
    readonly wafPeriodSeconds: number;
    /** CloudWatch period of the ecommerce alarms (EMF metrics): 60 or a multiple of 60 up to 3600. */
    readonly ecommercePeriodSeconds: number;
    /** CloudWatch period of the sparse series' alarms (revenue by platform / marketplace): 60 or a multiple of 60 up to 3600. */
    readonly sparsePeriodSeconds: number;
    /**
     * CloudWatch: datapoints that must breach (M of N), for every alarm kind when set; unset, each series kind
     * takes its simulated default (model/alarmTiming.ts DEFAULT_DATAPOINTS).
     */
    readonly datapointsToAlarm?: number;
    readonly evaluationPeriods?: number;
    /** CloudWatch: a WAF alarm acts only when its window holds at least this many blocked requests. */
    readonly minBlockedRequests: number;
    /** CloudWatch: a drop alarm acts only when the series averaged at least this much per minute over the last hour. */
    readonly dropBaselineFloor: { readonly views: number; readonly revenue: number };
    /** Dimensions the ecommerce detector breaks metrics down by. */
    readonly ecommerceDimensions: readonly EcommerceDimension[];
    /** CloudWatch engine: the platform values that get their own ecommerce alarms (besides the total). */
    readonly platforms: readonly string[];
    /** CloudWatch engine: the marketplace values that get their own ecommerce alarms (besides the total). */
    readonly marketplaces: readonly string[];
    /** Lookout for Metrics S3 offset: seconds the detector waits for late data, 0–432000. */
    readonly offsetSeconds: number;
    /** Lookout for Metrics: read `ecommerce/historical/` so a new detector skips the cold start. */
    readonly useHistoricalData: boolean;
    /** Lookout for Metrics: how long `pulumi up` waits for activation before failing. */
    readonly activationTimeoutSeconds: number;
}

export interface AlertsConfig {
    readonly emails: readonly string[];
    readonly smsNumbers: readonly string[];
    readonly httpsEndpoints: readonly string[];
    /** Enable Security Hub in the account from this stack (leave false where it is managed centrally). */
    readonly enableSecurityHub: boolean;
    /** Asynchronous invocation retries of the finding Lambda (0–2). */
    readonly maxRetryAttempts: number;
    /** Asynchronous invocation maximum event age (60–21600 s). */
    readonly maxEventAgeSeconds: number;
    /** Slack channels (Amazon Q Developer in chat applications, formerly AWS Chatbot) that get the people notices. */
    readonly slack: readonly SlackChannelConfig[];
    /** Microsoft Teams channels (same service) that get the people notices. */
    readonly teams: readonly TeamsChannelConfig[];
}

/** A Slack channel of a workspace already authorized in the Amazon Q Developer in chat applications console. */
export interface SlackChannelConfig {
    readonly workspaceId: string;
    readonly channelId: string;
}

/** A Microsoft Teams channel of a team already authorized in the Amazon Q Developer in chat applications console. */
export interface TeamsChannelConfig {
    readonly tenantId: string;
    readonly teamId: string;
    readonly channelId: string;
}

// Chat channel ids, as the Chatbot API reference states them (SlackChannelConfiguration, TeamsChannelConfiguration):
// Slack channel id ^[A-Za-z0-9]+$ (1–255), Slack workspace (team) id ^[0-9A-Z]{1,255}$, Teams channel id URL-encoded
// (`19%3a…%40thread.tacv2`), Teams team and tenant ids UUIDs.
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const TEAMS_CHANNEL_ID = /^(?=.{1,255}$)[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$/;
const UUID = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;

export interface AppConfig {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly logRetentionDays: number;
    readonly lambdaRuntime: LambdaRuntime;
    readonly api: ApiConfig;
    readonly waf: WafConfig;
    readonly heartbeat: HeartbeatConfig;
    readonly pipeline: PipelineConfig;
    readonly detection: DetectionConfig;
    readonly alerts: AlertsConfig;
    /** Optional extra anomaly sources (off by default): Redshift business metrics, DevOps Guru insights. */
    readonly sources: SourcesConfig;
}

/** A stack configuration value that cannot be used. `key` is the full config key, `project:area.field`. */
export class ConfigError extends Error {
    constructor(public readonly key: string, detail: string) {
        super(`Invalid stack configuration '${key}': ${detail}`);
        this.name = "ConfigError";
    }
}

/**
 * What a `secure:` stack value reads as in the offline plan, which cannot decrypt it: string validators accept it
 * as an opaque value (its content is checked by `pulumi preview`, which decrypts).
 */
export const OFFLINE_SECRET = "[secret]";

/**
 * A `secure:` value (the offline plan's OFFLINE_SECRET) where the plan needs the value itself — a number, a
 * boolean, a choice, an object: what gets planned depends on it, so the plan says so, naming the key, instead of
 * planning a default or calling "[secret]" malformed.
 */
function secretNeeded(key: string, what: string): ConfigError {
    return new ConfigError(key, `is a secret (secure:) the offline plan cannot decrypt, and what is planned depends on its value (${what}): ` +
        `keep this key in plain text (only strings such as addresses and ARNs can stay secret in the plan), or check it with pulumi preview`);
}

/** Tags the program puts on every resource itself. */
export const PROGRAM_TAGS: readonly string[] = ["app", "stack"];
/** AWS's limit of user tags per resource (tags with the aws: prefix do not count; users cannot set them). */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Levenshtein distance (small strings: config namespaces). */
function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length][b.length];
}

/**
 * Checks the full keys of a stack's config (`namespace:key`): a namespace that is a near-miss of the project's
 * (`edge-anomaly-detecton:`) would be silently ignored, a flat key with a dot (`project:detection.engine`, set
 * without `--path`) is not the nested key it looks like, and any other key of the namespace is unknown.
 */
export function checkConfigKeys(keys: readonly string[], project = PROJECT): void {
    for (const full of keys) {
        const i = full.indexOf(":");
        if (i < 0) continue;
        const ns = full.slice(0, i);
        const name = full.slice(i + 1).replace(/^config:/, "");
        if (ns !== project && (ns.toLowerCase() === project.toLowerCase() || editDistance(ns.toLowerCase(), project.toLowerCase()) <= 3)) {
            throw new ConfigError(full, `namespace "${ns}" is not this project's ("${project}"), so the program would never read it: rename the key to ${project}:${name}`);
        }
        if (ns !== project) continue;
        if ((TOP_LEVEL_KEYS as readonly string[]).includes(name)) continue;
        const head = name.split(/[.[]/)[0];
        if (name !== head && (TOP_LEVEL_KEYS as readonly string[]).includes(head)) {
            throw new ConfigError(full, `is a flat key with a dot in its name, not ${head}.${name.slice(head.length + 1)}: set it with ` +
                `\`pulumi config set --path '${full}' <value>\` (and \`pulumi config rm '${full}'\`)`);
        }
        throw new ConfigError(full, `unknown key; allowed keys: ${TOP_LEVEL_KEYS.join(", ")}`);
    }
}

/** The raw stack config: top-level keys of the project namespace, objects already JSON-parsed. */
export type RawConfig = Record<string, unknown>;

/** Top-level keys this program reads, with what each holds. Anything else in the namespace is an error. */
export const TOP_LEVEL_KEYS = ["tags", "logRetentionDays", "lambdaRuntime", "api", "waf", "heartbeat", "pipeline", "detection", "alerts", "sources"] as const;

// ---- small typed readers -------------------------------------------------------------------------------------

class Reader {
    constructor(private readonly obj: Record<string, unknown>, private readonly path: string, allowed: readonly string[]) {
        for (const k of Object.keys(obj)) {
            if (!allowed.includes(k)) {
                throw new ConfigError(this.key(k), `unknown key; allowed keys here: ${allowed.join(", ")}`);
            }
        }
    }

    key(name: string): string {
        return this.path.includes(":") ? `${this.path}.${name}` : `${this.path}:${name}`;
    }

    has(name: string): boolean {
        return this.obj[name] !== undefined && this.obj[name] !== null;
    }

    bool(name: string, dflt: boolean): boolean {
        const v = this.obj[name];
        if (v === undefined || v === null) return dflt;
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), "true or false");
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        throw new ConfigError(this.key(name), `${JSON.stringify(v)} is not a boolean; use true or false`);
    }

    int(name: string, dflt: number, min: number, max: number): number {
        const v = this.obj[name];
        if (v === undefined || v === null) return dflt;
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), `a whole number from ${min} to ${max}`);
        const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            throw new ConfigError(this.key(name), `${JSON.stringify(v)} must be a whole number from ${min} to ${max}`);
        }
        return n;
    }

    num(name: string, dflt: number, check: (n: number) => boolean, rule: string): number {
        const v = this.obj[name];
        if (v === undefined || v === null) return dflt;
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), "a number");
        const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isFinite(n) || !check(n)) {
            throw new ConfigError(this.key(name), `${JSON.stringify(v)} ${rule}`);
        }
        return n;
    }

    oneOf<T extends string | number>(name: string, dflt: T, allowed: readonly T[]): T {
        const v = this.obj[name];
        if (v === undefined || v === null) return dflt;
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), `one of ${allowed.join(", ")}`);
        const hit = allowed.find((a) => a === v || String(a) === String(v));
        if (hit === undefined) {
            throw new ConfigError(this.key(name), `${JSON.stringify(v)} is not allowed; use one of: ${allowed.join(", ")}`);
        }
        return hit;
    }

    str(name: string, dflt: string, pattern: RegExp, rule: string): string {
        const v = this.obj[name];
        if (v === undefined || v === null) return dflt;
        if (v === OFFLINE_SECRET) return v;
        if (typeof v !== "string" || !pattern.test(v)) {
            throw new ConfigError(this.key(name), `${JSON.stringify(v)} ${rule}`);
        }
        return v;
    }

    /** A list of strings; each must match `pattern`, and none may appear twice. */
    strList(name: string, pattern: RegExp, rule: string): string[] {
        const v = this.obj[name];
        if (v === undefined || v === null) return [];
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), "a list; its items can be secret one by one");
        if (!Array.isArray(v)) throw new ConfigError(this.key(name), `must be a list`);
        const seen = new Set<string>();
        return v.map((item, i) => {
            if (item === OFFLINE_SECRET) return item;
            if (typeof item !== "string" || !pattern.test(item)) {
                throw new ConfigError(`${this.key(name)}[${i}]`, `${JSON.stringify(item)} ${rule}`);
            }
            if (seen.has(item)) throw new ConfigError(this.key(name), `lists ${JSON.stringify(item)} twice`);
            seen.add(item);
            return item;
        });
    }

    /** A list of any items (each validated by the caller); absent is an empty list. */
    items(name: string): unknown[] {
        const v = this.obj[name];
        if (v === undefined || v === null) return [];
        if (v === OFFLINE_SECRET) throw secretNeeded(this.key(name), "a list");
        if (!Array.isArray(v)) throw new ConfigError(this.key(name), `must be a list`);
        return v;
    }

    /** The raw value under `name` (undefined or null when unset). */
    raw(name: string): unknown {
        return this.obj[name];
    }

    child(name: string, allowed: readonly string[]): Reader {
        const v = this.obj[name];
        if (v === undefined || v === null) return new Reader({}, this.key(name), allowed);
        return new Reader(asObject(v, this.key(name)), this.key(name), allowed);
    }
}

function asObject(v: unknown, key: string): Record<string, unknown> {
    if (v === OFFLINE_SECRET) throw secretNeeded(key, "an object whose keys decide what is created");
    if (typeof v === "string") {
        try {
            v = JSON.parse(v);
        } catch {
            throw new ConfigError(key, `must be an object (got a string that is not JSON)`);
        }
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new ConfigError(key, `must be an object with named keys`);
    }
    return v as Record<string, unknown>;
}

/** A validator usable where the readers take a pattern. */
function predicate(test: (v: string) => boolean): RegExp {
    return { test } as unknown as RegExp;
}

/**
 * An email address as mail systems accept it (RFC 5321 sizes, ASCII): local part of atext characters and single
 * dots, a domain of at least two DNS labels with a letter-only top-level label.
 */
export function isEmailAddress(v: string): boolean {
    if (v.length > 254 || !/^[\x21-\x7E]+$/.test(v)) return false;
    const at = v.lastIndexOf("@");
    if (at < 1) return false;
    const local = v.slice(0, at);
    const domain = v.slice(at + 1);
    if (local.length > 64 || !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local)) return false;
    const labels = domain.split(".");
    return labels.length >= 2 && labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l)) && /^[A-Za-z]{2,63}$/.test(labels[labels.length - 1]);
}

/**
 * An IP address SNS cannot deliver to: SNS "does not currently support private HTTP(S) endpoints" (SNS developer
 * guide, "Fanout Amazon SNS notifications to HTTPS endpoints"), so loopback, private (RFC 1918, IPv6 ULA),
 * link-local, shared (100.64/10), unspecified and multicast addresses are refused.
 */
export function isNonPublicIp(host: string): boolean {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
    if (v4) {
        const [a, b] = [Number(v4[1]), Number(v4[2])];
        return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
            (a === 100 && b >= 64 && b <= 127) || a >= 224;
    }
    if (!host.includes(":")) return false;
    const words = ipv6Words(host.toLowerCase());
    if (!words) return true; // not an address SNS could reach
    const [w0, w1, w2, w3, w4, w5, w6, w7] = words;
    const v4Of = () => `${w6 >> 8}.${w6 & 255}.${w7 >> 8}.${w7 & 255}`;
    const zeros = (...ws: number[]) => ws.every((w) => w === 0);
    // Forms that carry an IPv4 address in the last 32 bits: the address decides.
    if (zeros(w0, w1, w2, w3, w4) && (w5 === 0xffff || (w5 === 0 && (w6 !== 0 || w7 > 1)))) return isNonPublicIp(v4Of()); // ::ffff:a.b.c.d, ::a.b.c.d
    if (zeros(w0, w1, w2, w3) && w4 === 0xffff && w5 === 0) return isNonPublicIp(v4Of()); // ::ffff:0:a.b.c.d (IPv4-translated)
    if (w0 === 0x64 && w1 === 0xff9b && zeros(w2, w3, w4, w5)) return isNonPublicIp(v4Of()); // 64:ff9b::a.b.c.d (NAT64)
    return zeros(w0, w1, w2, w3, w4, w5, w6) && w7 <= 1 // :: and ::1
        || (w0 & 0xfe00) === 0xfc00 // fc00::/7 unique local
        || (w0 & 0xffc0) === 0xfe80 // fe80::/10 link-local
        || (w0 & 0xffc0) === 0xfec0 // fec0::/10 site-local (deprecated)
        || (w0 & 0xff00) === 0xff00; // ff00::/8 multicast
}

/** An IPv6 address as its eight 16-bit words (`::` expanded, a trailing dotted quad read), or undefined if it is none. */
function ipv6Words(h: string): number[] | undefined {
    let s = h;
    const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (quad) {
        const b = quad.slice(1).map(Number);
        if (b.some((x) => x > 255)) return undefined;
        s = `${s.slice(0, quad.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
    }
    const halves = s.split("::");
    if (halves.length > 2) return undefined;
    const part = (x: string) => (x === "" ? [] : x.split(":"));
    const head = part(halves[0]);
    const tail = halves.length === 2 ? part(halves[1]) : [];
    const fill = 8 - head.length - tail.length;
    if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
    const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
    if (!all.every((w) => /^[0-9a-f]{1,4}$/.test(w))) return undefined;
    return all.map((w) => parseInt(w, 16));
}

/**
 * An https:// URL SNS can deliver to: parses, has a DNS name (labels without `_`: SNS refuses underscores in host
 * names) or a public IP address as host, no spaces or control characters, at most 2,048 characters. User info
 * (`https://user:password@host`) and ports are allowed (SNS supports basic and digest authentication).
 */
export function isHttpsEndpoint(v: string): boolean {
    if (v.length > 2048 || !/^[\x21-\x7E]+$/.test(v)) return false;
    let u: URL;
    try {
        u = new URL(v);
    } catch {
        return false;
    }
    if (u.protocol !== "https:" || !u.hostname) return false;
    const host = u.hostname.replace(/^\[|\]$/g, "");
    if (/^[0-9.]+$/.test(host) || host.includes(":")) return !isNonPublicIp(host);
    // `localhost` and `*.localhost` always name this machine (RFC 6761): never an endpoint SNS can reach.
    if (/(^|\.)localhost\.?$/i.test(host)) return false;
    return host.split(".").every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l)) && host.includes(".");
}

const EMAIL = predicate(isEmailAddress);
const E164 = /^\+[1-9][0-9]{6,14}$/;
const HTTPS_URL = predicate(isHttpsEndpoint);
/** API Gateway stage names: letters, digits, hyphens and underscores, 1–128 characters. */
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** CloudWatch metric namespaces: printable ASCII (32–126), 1–255 characters, not starting with ":", not only spaces. */
const NAMESPACE = /^(?!:)(?=.*\S)[\x20-\x7E]{1,255}$/;
// A watched platform/marketplace value; `_other` is the bucket the transform sums all unwatched values into.
const DIM_VALUE = new RegExp(`^(?!${OTHER_DIMENSION_VALUE}$)[A-Za-z0-9_.-]{1,64}$`);
const DIM_RULE = `is not a dimension value (1–64 letters, digits, _ . -; not ${OTHER_DIMENSION_VALUE}, the bucket of unwatched values)`;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** WAFv2 entity names (web ACL Name): 1–128 of [A-Za-z0-9_-] (API reference, EntityName). */
const WEB_ACL_NAME = /^[\w-]{1,128}$/;
/** A rule's visibility-config MetricName: 1–255 of [A-Za-z0-9#:._/-] (API reference, VisibilityConfig.MetricName). */
const RULE_METRIC_NAME = /^[\w#:.\-/]{1,255}$/;

/** AssociateWebACL ResourceArn forms (WAFv2 API reference), each with the ARN's region in group 1. */
export const ASSOCIATABLE_ARNS: readonly { kind: string; pattern: RegExp }[] = [
    { kind: "Application Load Balancer", pattern: /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/ },
    { kind: "API Gateway REST API stage", pattern: /^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::\/restapis\/[A-Za-z0-9]+\/stages\/[A-Za-z0-9_-]{1,128}$/ },
    { kind: "AppSync GraphQL API", pattern: /^arn:aws[a-z-]*:appsync:([a-z0-9-]+):\d{12}:apis\/[A-Za-z0-9]+$/ },
    { kind: "Cognito user pool", pattern: /^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool\/[a-z0-9-]+_[A-Za-z0-9]+$/ },
    { kind: "App Runner service", pattern: /^arn:aws[a-z-]*:apprunner:([a-z0-9-]+):\d{12}:service\/[A-Za-z0-9][A-Za-z0-9_-]{3,39}\/[0-9a-f]{32}$/ },
    { kind: "Verified Access instance", pattern: /^arn:aws[a-z-]*:ec2:([a-z0-9-]+):\d{12}:verified-access-instance\/vai-[0-9a-f]+$/ },
];
/** A Kinesis data stream ARN; group 1 is its region. */
export const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
/** A KMS key ARN (not an alias); group 1 is its region. */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

// ---- parse ---------------------------------------------------------------------------------------------------

export interface Context {
    project?: string;
    stack: string;
    region: string | undefined;
}

/** Validates raw stack config and returns the typed AppConfig with defaults applied. Pure: tests call it. */
export function parseConfig(raw: RawConfig, ctx: Context): AppConfig {
    const project = ctx.project ?? PROJECT;
    const root = new Reader(raw, project, TOP_LEVEL_KEYS);
    const k = (name: string) => `${project}:${name}`;

    if (!ctx.region || !REGION.test(ctx.region)) {
        throw new ConfigError("aws:region", `${JSON.stringify(ctx.region ?? null)} is not an AWS region; set it with \`pulumi config set aws:region us-east-1\``);
    }

    // tags
    const tags: Record<string, string> = {};
    if (raw.tags !== undefined && raw.tags !== null) {
        const obj = asObject(raw.tags, k("tags"));
        for (const [tk, tv] of Object.entries(obj)) {
            if (!TAG_KEY.test(tk)) throw new ConfigError(`${k("tags")}.${tk}`, `is not a valid tag key (1–128 characters, not starting with aws:)`);
            if (tv !== OFFLINE_SECRET && (typeof tv !== "string" || !TAG_VALUE.test(tv))) throw new ConfigError(`${k("tags")}.${tk}`, `${JSON.stringify(tv)} is not a valid tag value (a string of 0–256 characters)`);
            if (PROGRAM_TAGS.includes(tk)) {
                throw new ConfigError(`${k("tags")}.${tk}`, `is a tag the program sets itself (${tk} = ${tk === "app" ? project : ctx.stack}); remove it from the stack's tags`);
            }
            tags[tk] = tv;
        }
        if (Object.keys(tags).length + PROGRAM_TAGS.length > MAX_TAGS_PER_RESOURCE) {
            throw new ConfigError(k("tags"), `${Object.keys(tags).length} tags plus the program's own ${PROGRAM_TAGS.length} (${PROGRAM_TAGS.join(", ")}) exceed AWS's ${MAX_TAGS_PER_RESOURCE} tags per resource`);
        }
    }
    const logRetentionDays = root.oneOf("logRetentionDays", 30, LOG_RETENTION_DAYS);
    const lambdaRuntime = root.oneOf<LambdaRuntime>("lambdaRuntime", "nodejs22.x", LAMBDA_RUNTIMES);

    // api
    const api = objReader(raw, project, "api", ["enabled", "stageName", "throttleRateLimit", "throttleBurstLimit", "manageAccountLogsRole"]);
    const apiCfg: ApiConfig = {
        enabled: api.bool("enabled", true),
        stageName: api.str("stageName", "prod", STAGE_NAME, "is not a valid stage name: use 1–128 letters, digits, hyphens or underscores (no spaces)"),
        throttleRateLimit: api.int("throttleRateLimit", 100, 1, 10000),
        throttleBurstLimit: api.int("throttleBurstLimit", 200, 1, 5000),
        manageAccountLogsRole: api.bool("manageAccountLogsRole", false),
    };

    // waf
    const waf = objReader(raw, project, "waf", ["knownBadInputs", "rateLimit", "logRetentionDays", "logAllowedRequests", "watch", "associate"]);
    const rl = waf.child("rateLimit", ["enabled", "limit", "windowSeconds", "action"]);
    const wafCfg: WafConfig = {
        knownBadInputs: waf.bool("knownBadInputs", true),
        rateLimit: {
            enabled: rl.bool("enabled", true),
            limit: rl.int("limit", 2000, 10, 2_000_000_000),
            windowSeconds: rl.oneOf("windowSeconds", 300, [60, 120, 300, 600]),
            action: rl.oneOf<WafAction>("action", "block", ["block", "count"]),
        },
        logRetentionDays: waf.oneOf("logRetentionDays", logRetentionDays, LOG_RETENTION_DAYS),
        logAllowedRequests: waf.bool("logAllowedRequests", false),
        watch: parseWatch(waf.raw("watch"), waf.key("watch")),
        associate: waf.strList("associate", /^arn:/, "is not an ARN").map((arn, i) => checkAssociatable(arn, `${waf.key("associate")}[${i}]`, ctx.region!)),
    };

    // detection (read before heartbeat: the heartbeat default depends on the engine)
    const det = objReader(raw, project, "detection", [
        "engine", "frequency", "alertSensitivity", "bandWidth", "wafPeriodSeconds", "ecommercePeriodSeconds", "sparsePeriodSeconds", "datapointsToAlarm", "evaluationPeriods",
        "minBlockedRequests", "dropBaselineFloor",
        "ecommerceDimensions", "platforms", "marketplaces", "offsetSeconds", "useHistoricalData", "activationTimeoutSeconds",
    ]);
    const frequency = det.oneOf<Frequency>("frequency", "PT5M", ["PT5M", "PT10M", "PT1H", "P1D"]);
    const evaluationPeriods = det.has("evaluationPeriods") ? det.int("evaluationPeriods", 1, 1, 100) : undefined;
    const datapointsToAlarm = det.has("datapointsToAlarm") ? det.int("datapointsToAlarm", 1, 1, 100) : undefined;
    if (datapointsToAlarm !== undefined && datapointsToAlarm > (evaluationPeriods ?? datapointsToAlarm)) {
        throw new ConfigError(det.key("datapointsToAlarm"), `${datapointsToAlarm} must not exceed detection.evaluationPeriods (${evaluationPeriods})`);
    }
    const dims = det.has("ecommerceDimensions")
        ? det.strList("ecommerceDimensions", /^(platform|marketplace)$/, `is not a dimension; use platform and/or marketplace`)
        : [...ECOMMERCE_DIMENSIONS];
    const engine = det.oneOf<Engine>("engine", "cloudwatch", ENGINES);
    const detectionCfg: DetectionConfig = {
        engine,
        frequency,
        intervalSeconds: FREQUENCY_SECONDS[frequency],
        alertSensitivity: det.int("alertSensitivity", 70, 0, 100),
        bandWidth: det.num("bandWidth", 3, (n) => n > 0 && n <= 100, "must be a number greater than 0 (standard deviations, at most 100)"),
        wafPeriodSeconds: det.num("wafPeriodSeconds", 60, (n) => Number.isInteger(n) && n >= 60 && n <= 3600 && n % 60 === 0, "must be 60 or a multiple of 60 up to 3600"),
        ecommercePeriodSeconds: det.num("ecommercePeriodSeconds", 60, (n) => Number.isInteger(n) && n >= 60 && n <= 3600 && n % 60 === 0, "must be 60 or a multiple of 60 up to 3600"),
        sparsePeriodSeconds: det.num("sparsePeriodSeconds", 300, (n) => Number.isInteger(n) && n >= 60 && n <= 3600 && n % 60 === 0, "must be 60 or a multiple of 60 up to 3600"),
        datapointsToAlarm,
        evaluationPeriods,
        minBlockedRequests: det.int("minBlockedRequests", 20, 1, 1_000_000),
        dropBaselineFloor: (() => {
            const f = det.child("dropBaselineFloor", ["views", "revenue"]);
            const rule = "must be a number ≥ 0 (average per minute over the last hour)";
            return { views: f.num("views", 20, (n) => n >= 0, rule), revenue: f.num("revenue", 1500, (n) => n >= 0, rule) };
        })(),
        ecommerceDimensions: dims as EcommerceDimension[],
        platforms: det.has("platforms") ? det.strList("platforms", DIM_VALUE, DIM_RULE) : ["web", "ios", "android"],
        marketplaces: det.has("marketplaces") ? det.strList("marketplaces", DIM_VALUE, DIM_RULE) : ["US", "UK", "DE", "JP"],
        offsetSeconds: det.int("offsetSeconds", 180, 0, 432000),
        useHistoricalData: det.bool("useHistoricalData", true),
        activationTimeoutSeconds: det.int("activationTimeoutSeconds", 900, 30, 3600),
    };

    // heartbeat
    const hb = objReader(raw, project, "heartbeat", ["enabled", "namespace"]);
    const heartbeatCfg: HeartbeatConfig = {
        enabled: hb.bool("enabled", engine === "lookout"),
        namespace: hb.str("namespace", "AWS/WAFV2", NAMESPACE, "is not a valid CloudWatch namespace (1–255 printable ASCII characters, not starting with :)"),
    };

    // pipeline
    const pl = objReader(raw, project, "pipeline", [
        "shardCount", "retentionHours", "bufferingIntervalSeconds", "bufferingSizeMiB", "compression", "dataExpirationDays", "forceDestroyBucket",
        "sourceStreamArn", "sourceStreamKeyArn",
    ]);
    const sourceStreamArn = pl.has("sourceStreamArn") ? pl.str("sourceStreamArn", "", KINESIS_STREAM_ARN, "is not a Kinesis data stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)") : undefined;
    if (sourceStreamArn && KINESIS_STREAM_ARN.exec(sourceStreamArn)![1] !== ctx.region) {
        throw new ConfigError(pl.key("sourceStreamArn"), `names a stream in ${KINESIS_STREAM_ARN.exec(sourceStreamArn)![1]}; the Firehose reads it from this stack's region (${ctx.region}), so it must be there`);
    }
    const sourceStreamKeyArn = pl.has("sourceStreamKeyArn") ? pl.str("sourceStreamKeyArn", "", KMS_KEY_ARN, "is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; not an alias)") : undefined;
    if (sourceStreamKeyArn && !sourceStreamArn) {
        throw new ConfigError(pl.key("sourceStreamKeyArn"), `is set without pipeline.sourceStreamArn: it is the key of an existing stream this stack reads`);
    }
    if (sourceStreamKeyArn && KMS_KEY_ARN.exec(sourceStreamKeyArn)![1] !== ctx.region) {
        throw new ConfigError(pl.key("sourceStreamKeyArn"), `names a key in ${KMS_KEY_ARN.exec(sourceStreamKeyArn)![1]}; a Kinesis stream in ${ctx.region} is encrypted with a key of that region`);
    }
    const pipelineCfg: PipelineConfig = {
        shardCount: pl.int("shardCount", 0, 0, 500),
        retentionHours: pl.int("retentionHours", 24, 24, 8760),
        bufferingIntervalSeconds: pl.int("bufferingIntervalSeconds", 60, 60, 900),
        bufferingSizeMiB: pl.int("bufferingSizeMiB", 64, 64, 128),
        compression: pl.oneOf<Compression>("compression", "UNCOMPRESSED", ["UNCOMPRESSED", "GZIP"]),
        dataExpirationDays: pl.int("dataExpirationDays", 90, 1, 3650),
        forceDestroyBucket: pl.bool("forceDestroyBucket", false),
        ...(sourceStreamArn ? { sourceStreamArn } : {}),
        ...(sourceStreamKeyArn ? { sourceStreamKeyArn } : {}),
    };

    // alerts
    const al = objReader(raw, project, "alerts", ["emails", "smsNumbers", "httpsEndpoints", "enableSecurityHub", "maxRetryAttempts", "maxEventAgeSeconds", "slack", "teams"]);
    const alertsCfg: AlertsConfig = {
        emails: al.strList("emails", EMAIL, "is not an email address (ASCII local@domain.tld, at most 254 characters)"),
        smsNumbers: al.strList("smsNumbers", E164, "is not a phone number in E.164 form (+15555550100)"),
        httpsEndpoints: al.strList("httpsEndpoints", HTTPS_URL, "is not an https:// URL with a host name SNS can reach (a public DNS name or IP address: SNS delivers to no private endpoint; no spaces, at most 2,048 characters)"),
        enableSecurityHub: al.bool("enableSecurityHub", false),
        maxRetryAttempts: al.int("maxRetryAttempts", 2, 0, 2),
        maxEventAgeSeconds: al.int("maxEventAgeSeconds", 3600, 60, 21600),
        slack: chatChannels(al, "slack", (r) => ({
            workspaceId: r.str("workspaceId", "", SLACK_WORKSPACE_ID, "is not a Slack workspace id (capital letters and digits, e.g. T07EA123LEP; copy it from the Amazon Q Developer in chat applications console)"),
            channelId: r.str("channelId", "", SLACK_CHANNEL_ID, "is not a Slack channel id (letters and digits, e.g. C07EZ1ABC23)"),
        }), ["workspaceId", "channelId"]),
        teams: chatChannels(al, "teams", (r) => ({
            tenantId: r.str("tenantId", "", UUID, "is not a Microsoft Teams tenant id (a UUID)"),
            teamId: r.str("teamId", "", UUID, "is not a Microsoft Teams team id (a UUID)"),
            channelId: r.str("channelId", "", TEAMS_CHANNEL_ID, "is not a URL-encoded Microsoft Teams channel id (19%3a…%40thread.tacv2, as in the channel's link)"),
        }), ["tenantId", "teamId", "channelId"]),
    };

    return deepFreeze({
        project,
        stack: ctx.stack,
        region: ctx.region,
        tags: { ...tags, "app": project, "stack": ctx.stack },
        logRetentionDays,
        lambdaRuntime,
        api: apiCfg,
        waf: wafCfg,
        heartbeat: heartbeatCfg,
        pipeline: pipelineCfg,
        detection: detectionCfg,
        alerts: alertsCfg,
        sources: parseSources(raw, project, detectionCfg),
    });
}

/** `waf.watch`: a list of `{ name, scope, rules? }`; a web ACL listed twice (same name and scope) is an error. */
function parseWatch(v: unknown, key: string): WatchedWebAclConfig[] {
    if (v === undefined || v === null) return [];
    if (typeof v === "string") {
        try {
            v = JSON.parse(v);
        } catch {
            throw new ConfigError(key, "must be a list of { name, scope, rules? }");
        }
    }
    if (!Array.isArray(v)) throw new ConfigError(key, "must be a list of { name, scope, rules? }");
    const seen = new Set<string>();
    return v.map((item, i) => {
        const r = new Reader(asObject(item, `${key}[${i}]`), `${key}[${i}]`, ["name", "scope", "rules"]);
        if (!r.has("name")) throw new ConfigError(r.key("name"), "is required: the web ACL's name");
        if (!r.has("scope")) throw new ConfigError(r.key("scope"), "is required: REGIONAL (in this stack's region) or CLOUDFRONT");
        const name = r.str("name", "", WEB_ACL_NAME, "is not a web ACL name (1–128 letters, digits, _ or -)");
        const scope = r.oneOf<WafScope>("scope", "REGIONAL", WAF_SCOPES);
        const id = `${scope}/${name}`;
        if (seen.has(id)) throw new ConfigError(key, `lists the ${scope} web ACL ${JSON.stringify(name)} twice`);
        seen.add(id);
        if (!r.has("rules")) return { name, scope };
        const rules = r.strList("rules", RULE_METRIC_NAME, "is not a rule metric name (1–255 letters, digits or #:._/-)");
        rules.forEach((rule, j) => {
            if (/^all$/i.test(rule) || rule === "Default_Action") {
                throw new ConfigError(`${r.key("rules")}[${j}]`, `${JSON.stringify(rule)} is reserved: the web ACL's total (Rule=ALL) is always watched; list rule metric names only`);
            }
        });
        return { name, scope, rules };
    });
}

/** `alerts.slack` / `alerts.teams`: a list of channels, every field required, none listed twice. */
function chatChannels<T extends object>(al: Reader, name: string, read: (r: Reader) => T, fields: readonly string[]): T[] {
    const seen = new Set<string>();
    return al.items(name).map((item, i) => {
        const key = `${al.key(name)}[${i}]`;
        const r = new Reader(asObject(item, key), key, fields);
        for (const f of fields) if (!r.has(f)) throw new ConfigError(r.key(f), "is required");
        const channel = read(r);
        const id = JSON.stringify(channel);
        if (seen.has(id)) throw new ConfigError(al.key(name), `lists the channel ${id} twice`);
        seen.add(id);
        return channel;
    });
}

/** An ARN `waf.associate` accepts: one of the AssociateWebACL forms, in this stack's region (the web ACL's). */
function checkAssociatable(arn: string, key: string, region: string): string {
    const hit = ASSOCIATABLE_ARNS.map((a) => ({ ...a, m: a.pattern.exec(arn) })).find((a) => a.m);
    if (!hit) {
        throw new ConfigError(key, `${JSON.stringify(arn)} is not the ARN of a resource a regional web ACL can protect ` +
            `(${ASSOCIATABLE_ARNS.map((a) => a.kind).join(", ")}); CloudFront distributions name their web ACL themselves`);
    }
    if (hit.m![1] !== region) {
        throw new ConfigError(key, `${JSON.stringify(arn)} is a ${hit.kind} in ${hit.m![1]}; the project's web ACL is REGIONAL in ${region} and can only protect resources there`);
    }
    return arn;
}

function objReader(raw: RawConfig, project: string, area: string, allowed: readonly string[]): Reader {
    const key = `${project}:${area}`;
    const v = raw[area];
    if (v === undefined || v === null) return new Reader({}, key, allowed);
    return new Reader(asObject(v, key), key, allowed);
}

function deepFreeze<T>(o: T): T {
    if (o && typeof o === "object") {
        for (const v of Object.values(o)) deepFreeze(v);
        Object.freeze(o);
    }
    return o;
}

/** Reads this stack's config through Pulumi (once) and validates it. */
export function loadConfig(): AppConfig {
    const cfg = new pulumi.Config(PROJECT);
    const raw: RawConfig = {};
    for (const key of TOP_LEVEL_KEYS) {
        const v = cfg.get(key);
        if (v !== undefined) raw[key] = parseMaybeJson(v);
    }
    // Keys in our namespace that the program does not read, and near-misses of the namespace, are mistakes (a
    // typo silently ignored is worse).
    checkConfigKeys(pulumiConfigKeys().map((full) => splitKey(full).join(":")));
    return parseConfig(raw, { project: PROJECT, stack: pulumi.getStack(), region: new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION });
}

function parseMaybeJson(v: string): unknown {
    const t = v.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return v;
        }
    }
    return v;
}

function pulumiConfigKeys(): string[] {
    // `PULUMI_CONFIG` is how the engine passes config to the program (a JSON object keyed `ns:key`).
    const env = process.env.PULUMI_CONFIG;
    const keys = new Set<string>();
    if (env) {
        try {
            for (const k of Object.keys(JSON.parse(env))) keys.add(k);
        } catch {
            /* the runtime will report malformed config itself */
        }
    }
    for (const k of Object.keys(pulumi.runtime.allConfig())) keys.add(k);
    return [...keys];
}

function splitKey(full: string): [string, string] {
    const i = full.indexOf(":");
    if (i < 0) return ["", full];
    // Pulumi stores keys as `ns:config:key` in some paths; normalize.
    const ns = full.slice(0, i);
    const rest = full.slice(i + 1).replace(/^config:/, "");
    return [ns, rest];
}

// ---- sources (optional anomaly sources: Redshift, DevOps Guru) ------------------------------------------------

export interface RedshiftQueryConfig {
    /** 1–64 of `A–Z a–z 0–9 _ -`, unique: the `Query` dimension, the S3 folder and the schedule name. */
    readonly name: string;
    /** SELECT with the named parameters `:start` and `:end` (the interval, `yyyy-MM-dd HH:mm:ss` UTC). */
    readonly sql: string;
    /** Result column with each row's time (default `timestamp`). */
    readonly timestampColumn: string;
    readonly measures: readonly string[];
    readonly dimensions: readonly string[];
    /** CloudWatch engine: per dimension, the values with their own series and alarms (others sum under `_other`). */
    readonly watch: Readonly<Record<string, readonly string[]>>;
    /** CloudWatch engine: alarms above the band (`spike`), below it (`drop`) or `both` (default). */
    readonly direction: "spike" | "drop" | "both";
    /** CloudWatch engine: drop alarms act only while the series averaged at least this per interval (baseline window). */
    readonly minBaseline?: number;
}

export interface RedshiftSourceConfig {
    readonly workgroupName?: string;
    readonly clusterIdentifier?: string;
    readonly database: string;
    readonly secretArn?: string;
    /** The customer managed KMS key secretArn is encrypted with (omit for the AWS managed key aws/secretsmanager). */
    readonly secretKeyArn?: string;
    readonly dbUser?: string;
    /** The interval each query covers (default `detection.frequency`). */
    readonly frequency: Frequency;
    readonly intervalSeconds: number;
    /** Minutes after each interval ends that its queries run (late rows in the warehouse), 0 – interval − 1. */
    readonly delayMinutes: number;
    /** Bounded wait for one statement, seconds (10–240). */
    readonly waitSeconds: number;
    /** Largest result one run reads (1–100,000 rows). */
    readonly maxRows: number;
    readonly queries: readonly RedshiftQueryConfig[];
}

export interface DevOpsGuruSourceConfig {
    /** DevOps Guru application boundary tag key (must start with `DevOps-Guru-`, any casing). */
    readonly tagKey?: string;
    readonly tagValues: readonly string[];
    readonly cloudFormationStacks: readonly string[];
    /** Create the account/region's one DevOps Guru resource collection from this stack (default true). */
    readonly manageResourceCollection: boolean;
}

export interface SourcesConfig {
    /** Present only when `sources.redshift.enabled` is true. */
    readonly redshift?: RedshiftSourceConfig;
    /** Present only when `sources.devopsGuru.enabled` is true. */
    readonly devopsGuru?: DevOpsGuruSourceConfig;
}

const QUERY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const COLUMN = /^[a-z_][a-z0-9_]{0,126}$/;
const WORKGROUP = /^[a-z0-9-]{3,64}$/;
const CLUSTER_ID = /^[a-z][a-z0-9-]{0,62}$/;
const DATABASE = /^[a-zA-Z0-9_$-]{1,127}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const DB_USER = /^[a-zA-Z0-9_.@$-]{1,127}$/;
const DEVOPS_GURU_TAG_KEY = /^devops-guru-[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,116}$/iu;
const CFN_STACK = /^[a-zA-Z][a-zA-Z0-9-]{0,127}$/;
/** Datapoints one Redshift interval may publish: one PutMetricData request (keeps each write atomic). */
export const MAX_REDSHIFT_DATUMS = 1000;

function parseSources(raw: RawConfig, project: string, detection: DetectionConfig): SourcesConfig {
    const src = objReader(raw, project, "sources", ["redshift", "devopsGuru"]);
    return { redshift: parseRedshift(src.child("redshift", [
        "enabled", "workgroupName", "clusterIdentifier", "database", "secretArn", "secretKeyArn", "dbUser", "frequency", "delayMinutes", "waitSeconds", "maxRows", "queries",
    ]), detection), devopsGuru: parseDevOpsGuru(src.child("devopsGuru", ["enabled", "tagKey", "tagValues", "cloudFormationStacks", "manageResourceCollection"])) };
}

function parseRedshift(r: Reader, detection: DetectionConfig): RedshiftSourceConfig | undefined {
    if (!r.bool("enabled", false)) return undefined;
    const has = (k: string) => r.has(k);
    if (has("workgroupName") === has("clusterIdentifier")) {
        throw new ConfigError(r.key("workgroupName"), "set exactly one of workgroupName (Redshift Serverless) and clusterIdentifier (provisioned cluster)");
    }
    const workgroupName = has("workgroupName") ? r.str("workgroupName", "", WORKGROUP, "is not a Redshift Serverless workgroup name (3–64 of a–z 0–9 -)") : undefined;
    const clusterIdentifier = has("clusterIdentifier") ? r.str("clusterIdentifier", "", CLUSTER_ID, "is not a Redshift cluster identifier (lowercase letter, then up to 62 of a–z 0–9 -)") : undefined;
    if (!has("database")) throw new ConfigError(r.key("database"), "is required: the database the queries run in");
    const database = r.str("database", "", DATABASE, "is not a Redshift database name");
    const secretArn = has("secretArn") ? r.str("secretArn", "", SECRET_ARN, "is not a Secrets Manager secret ARN") : undefined;
    const secretKeyArn = has("secretKeyArn") ? r.str("secretKeyArn", "", KMS_KEY_ARN, "is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; not an alias)") : undefined;
    if (secretKeyArn && !secretArn) throw new ConfigError(r.key("secretKeyArn"), "is the key of secretArn: set secretArn too");
    if (secretKeyArn && secretArn && secretKeyArn.split(":")[3] !== secretArn.split(":")[3]) {
        throw new ConfigError(r.key("secretKeyArn"), `is in ${secretKeyArn.split(":")[3]}, the secret in ${secretArn.split(":")[3]}: Secrets Manager uses a key of the secret's region`);
    }
    const dbUser = has("dbUser") ? r.str("dbUser", "", DB_USER, "is not a database user name") : undefined;
    if (secretArn && dbUser) throw new ConfigError(r.key("dbUser"), "set secretArn or dbUser, not both");
    if (workgroupName && dbUser) throw new ConfigError(r.key("dbUser"), "is for provisioned clusters; a workgroup without secretArn uses IAM credentials (redshift-serverless:GetCredentials)");
    if (clusterIdentifier && !secretArn && !dbUser) throw new ConfigError(r.key("secretArn"), "a provisioned cluster needs secretArn or dbUser (temporary credentials)");
    const frequency = r.oneOf<Frequency>("frequency", detection.frequency, ["PT5M", "PT10M", "PT1H", "P1D"]);
    const intervalSeconds = FREQUENCY_SECONDS[frequency];
    const delayMinutes = r.int("delayMinutes", Math.min(2, intervalSeconds / 60 - 1), 0, intervalSeconds / 60 - 1);
    const waitSeconds = r.int("waitSeconds", 120, 10, 240);
    const maxRows = r.int("maxRows", 10_000, 1, 100_000);
    const qv = r.items("queries");
    if (qv.length === 0) throw new ConfigError(r.key("queries"), "must be a non-empty list of { name, sql, measures, dimensions?, timestampColumn?, watch? }");
    const names = new Set<string>();
    const queries = qv.map((item: unknown, i: number): RedshiftQueryConfig => {
        const qk = `${r.key("queries")}[${i}]`;
        const q = new Reader(asObject(item, qk), qk, ["name", "sql", "measures", "dimensions", "timestampColumn", "watch", "direction", "minBaseline"]);
        if (!q.has("name")) throw new ConfigError(q.key("name"), "is required");
        const name = q.str("name", "", QUERY_NAME, "is not a query name (1–64 of A–Z a–z 0–9 _ -)");
        if (names.has(name)) throw new ConfigError(q.key("name"), `${JSON.stringify(name)} is used by two queries`);
        names.add(name);
        const sql = q.str("sql", "", /\S/, "must be a SQL SELECT");
        if (!/:start\b/.test(sql) || !/:end\b/.test(sql)) {
            throw new ConfigError(q.key("sql"), "must use the named parameters :start and :end for its interval (e.g. WHERE ts >= :start::timestamp AND ts < :end::timestamp)");
        }
        if (sql.length > 100_000) throw new ConfigError(q.key("sql"), "is longer than 100,000 characters");
        const colRule = "is not a result column name (lowercase: a–z 0–9 _, starting with a letter or _)";
        const timestampColumn = q.str("timestampColumn", "timestamp", COLUMN, colRule);
        const measures = q.strList("measures", COLUMN, colRule);
        if (measures.length === 0) throw new ConfigError(q.key("measures"), "must list at least one measure column");
        const dimensions = q.strList("dimensions", COLUMN, colRule);
        const all = [timestampColumn, ...measures, ...dimensions];
        const dup = all.find((c, j) => all.indexOf(c) !== j);
        if (dup) throw new ConfigError(q.key("measures"), `column ${JSON.stringify(dup)} is used twice (timestamp, measures and dimensions must differ)`);
        if (measures.length + dimensions.length > 10) throw new ConfigError(q.key("measures"), "at most 10 measures and dimensions together per query");
        const watch: Record<string, string[]> = {};
        const w = q.child("watch", dimensions);
        for (const d of dimensions) if (w.has(d)) watch[d] = w.strList(d, DIM_VALUE, DIM_RULE);
        const perMeasure = 1 + dimensions.reduce((n, d) => n + (watch[d]?.length ? watch[d].length + 1 : 0), 0);
        if (measures.length * perMeasure + 1 > MAX_REDSHIFT_DATUMS) {
            throw new ConfigError(q.key("watch"), `${measures.length * perMeasure + 1} series per interval do not fit one PutMetricData request (${MAX_REDSHIFT_DATUMS}); watch fewer values`);
        }
        const direction = q.oneOf<"spike" | "drop" | "both">("direction", "both", ["spike", "drop", "both"]);
        const minBaseline = q.has("minBaseline") ? q.num("minBaseline", 0, (n) => n > 0, "must be a number greater than 0 (the series' average per interval)") : undefined;
        if (minBaseline !== undefined && direction === "spike") throw new ConfigError(q.key("minBaseline"), "gates drop alarms; this query's direction is spike");
        return { name, sql, timestampColumn, measures, dimensions, watch, direction, ...(minBaseline !== undefined ? { minBaseline } : {}) };
    });
    return { workgroupName, clusterIdentifier, database, secretArn, secretKeyArn, dbUser, frequency, intervalSeconds, delayMinutes, waitSeconds, maxRows, queries };
}

function parseDevOpsGuru(r: Reader): DevOpsGuruSourceConfig | undefined {
    if (!r.bool("enabled", false)) return undefined;
    const tagKey = r.has("tagKey") ? r.str("tagKey", "", DEVOPS_GURU_TAG_KEY, "must start with DevOps-Guru- (any casing; DevOps Guru's application boundary key), at most 128 characters") : undefined;
    const tagValues = r.strList("tagValues", /^(\*|[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256})$/u, "is not a tag value (or * for every value)");
    const cloudFormationStacks = r.strList("cloudFormationStacks", CFN_STACK, "is not a CloudFormation stack name");
    if (!!tagKey === cloudFormationStacks.length > 0) {
        throw new ConfigError(r.key("tagKey"), "set exactly one of tagKey (with tagValues) and cloudFormationStacks: DevOps Guru covers one resource collection per account and region");
    }
    if (tagKey && tagValues.length === 0) throw new ConfigError(r.key("tagValues"), "must list the tag values to cover (or [\"*\"] for every value of the key)");
    if (!tagKey && tagValues.length) throw new ConfigError(r.key("tagValues"), "needs tagKey");
    if (cloudFormationStacks.length > 1000) throw new ConfigError(r.key("cloudFormationStacks"), "at most 1,000 stacks");
    return { tagKey, tagValues, cloudFormationStacks, manageResourceCollection: r.bool("manageResourceCollection", true) };
}
