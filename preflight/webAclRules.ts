// Rule discovery: for each `waf.watch` entry without `rules`, read the web ACL's rules at preview time (WAFv2
// ListWebACLs to find it by name, then GetWebACL for its rules) with the stack's credentials, before any resource
// is declared. Each rule's visibility-config metric name is its `Rule` dimension; a rule whose CloudWatch metrics
// are off publishes none, so it is reported (a warning naming it) and not watched. A web ACL that does not exist
// fails preview with a ConfigError naming the key and the ACL. The program reads the result synchronously through
// `discoveredRules()` (main.ts runs the discovery first); tests and the offline plan replace the reader.
import { GetLoggingConfigurationCommand, GetWebACLCommand, ListWebACLsCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import * as pulumi from "@pulumi/pulumi";

import { AppConfig, ConfigError } from "../config";
import { CLOUDFRONT_METRICS_REGION, WafScope, watchedAclKey } from "../model/wafTargets";

/** What a read found about one web ACL: its ARN and its rules (metric name, whether CloudWatch metrics are on). */
export interface WebAclRead {
    readonly arn: string;
    /** The web ACL's own visibility config: without CloudWatch metrics there is no `Rule=ALL` series either. */
    readonly totalMetricsEnabled: boolean;
    readonly rules: readonly { readonly name: string; readonly metricName: string; readonly cloudWatchMetricsEnabled: boolean }[];
    /** Not read (the offline plan has no AWS): rules unknown, only Rule=ALL is planned. */
    readonly offline?: boolean;
    /**
     * Where the web ACL logs (GetLoggingConfiguration `LogDestinationConfigs`; empty when logging is off). The
     * finding Lambda's WAF root cause queries a CloudWatch Logs destination. Undefined when not read.
     */
    readonly logDestinations?: readonly string[];
    /** Why the logging configuration could not be read (the ACL is watched all the same, without root cause). */
    readonly loggingError?: string;
}

/** A CloudWatch Logs log group ARN among a web ACL's logging destinations. */
const LOG_GROUP_DESTINATION = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:aws-waf-logs-[^:*]+(?::\*)?$/;

/** Reads one web ACL by name and scope; undefined when no such web ACL exists. */
export type WebAclReader = (acl: { name: string; scope: WafScope }, stackRegion: string) => Promise<WebAclRead | undefined>;

/** The region WAFv2 calls for a scope go to: CLOUDFRONT scope is served by us-east-1 only. */
export function wafApiRegion(scope: WafScope, stackRegion: string): string {
    return scope === "CLOUDFRONT" ? CLOUDFRONT_METRICS_REGION : stackRegion;
}

/** ListWebACLs pages at most this many per call (the API's maximum Limit). */
export const LIST_LIMIT = 100;

/**
 * The real reader: the AWS SDK with the default credential chain (the stack's: AWS_PROFILE / AWS_* variables, or
 * `aws:profile` passed in), in the scope's API region. Throttling and 5xx are retried by the SDK; anything else
 * (AccessDenied…) propagates with its reason and fails the preview.
 */
export function wafv2Reader(profile?: string, makeClient: (region: string) => Pick<WAFV2Client, "send"> = (region) =>
    new WAFV2Client({ region, maxAttempts: 5, ...(profile ? { profile } : {}) })): WebAclReader {
    return async (acl, stackRegion) => {
        const client = makeClient(wafApiRegion(acl.scope, stackRegion));
        let marker: string | undefined;
        do {
            const page = await client.send(new ListWebACLsCommand({ Scope: acl.scope, Limit: LIST_LIMIT, ...(marker ? { NextMarker: marker } : {}) }));
            const hit = (page.WebACLs ?? []).find((w) => w.Name === acl.name);
            if (hit) {
                const got = await client.send(new GetWebACLCommand({ Name: acl.name, Scope: acl.scope, Id: hit.Id }));
                const w = got.WebACL;
                if (!w) throw new Error(`GetWebACL returned no WebACL for ${acl.scope} web ACL ${acl.name} (${hit.Id})`);
                const arn = w.ARN ?? hit.ARN ?? "";
                // Where it logs (for the WAF root cause): no logging is not an error; a failed read is reported, not fatal.
                let logging: { logDestinations?: string[]; loggingError?: string } = {};
                try {
                    const lc = await client.send(new GetLoggingConfigurationCommand({ ResourceArn: arn }));
                    logging = { logDestinations: lc?.LoggingConfiguration?.LogDestinationConfigs ?? [] };
                } catch (e) {
                    const err = e as Error;
                    logging = err.name === "WAFNonexistentItemException" ? { logDestinations: [] } : { loggingError: `${err.name}: ${err.message}` };
                }
                return {
                    ...logging,
                    arn,
                    totalMetricsEnabled: w.VisibilityConfig?.CloudWatchMetricsEnabled !== false,
                    rules: (w.Rules ?? []).map((r) => ({
                        name: r.Name ?? "",
                        metricName: r.VisibilityConfig?.MetricName ?? r.Name ?? "",
                        cloudWatchMetricsEnabled: r.VisibilityConfig?.CloudWatchMetricsEnabled === true,
                    })),
                };
            }
            // WAF returns a NextMarker on the last page too; an empty page ends the listing.
            marker = (page.WebACLs ?? []).length > 0 ? page.NextMarker : undefined;
        } while (marker);
        return undefined;
    };
}

export interface DiscoveredAcl {
    readonly rules: readonly string[];
    readonly arn?: string;
    /** Rules read but not watched: their CloudWatch metrics are off. */
    readonly withoutMetrics: readonly string[];
    /** The web ACL's WAF log group in CloudWatch Logs (from its logging configuration), when it logs there. */
    readonly logGroupArn?: string;
}

/**
 * Reads the rules of every `waf.watch` entry without `rules`; entries with `rules` keep them, and only their ARN and
 * logging configuration are read (best effort: a failure or a missing ACL is a warning, never a failed preview).
 * Keys of the result: `watchedAclKey(scope, name)`.
 */
export async function discoverWatchedRules(
    config: AppConfig,
    reader: WebAclReader,
    log: { info(m: string): void; warn(m: string): void } = { info: (m) => pulumi.log.info(m), warn: (m) => pulumi.log.warn(m) },
): Promise<Map<string, DiscoveredAcl>> {
    const out = new Map<string, DiscoveredAcl>();
    for (const [i, w] of config.waf.watch.entries()) {
        const key = `${config.project}:waf.watch[${i}]`;
        if (w.rules !== undefined) {
            // Rules listed: they are not read. The ACL's ARN and logging configuration still are, best effort, for the
            // finding Lambda's WAF root cause: any failure is a warning (the listed rules are watched all the same).
            const listed = `rules listed in config (${w.rules.length ? w.rules.join(", ") : "none"}), not read`;
            let read: WebAclRead | undefined;
            try {
                read = await reader({ name: w.name, scope: w.scope }, config.region);
            } catch (e) {
                log.warn(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): ${listed}; its ARN and logging configuration could not be read (${(e as Error).name}: ${(e as Error).message}): its findings will say they have no root cause`);
                continue;
            }
            if (!read || read.offline) {
                const why = read ? "not read (offline, no AWS)" : `no ${w.scope} web ACL of that name in ${wafApiRegion(w.scope, config.region)}`;
                const m = `rule discovery: ${key} (${w.scope} web ACL ${w.name}): ${listed}; ${why}: its ARN is unknown and its findings carry no root cause`;
                if (read) log.info(m);
                else log.warn(m);
                continue;
            }
            log.info(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): ${listed}; ARN and logging configuration read`);
            out.set(watchedAclKey(w.scope, w.name), { rules: [...w.rules], arn: read.arn || undefined, withoutMetrics: [], ...loggingOf(read, key, w, log) });
            continue;
        }
        const read = await reader({ name: w.name, scope: w.scope }, config.region);
        if (!read) {
            throw new ConfigError(`${key}.name`, `no ${w.scope} web ACL named ${JSON.stringify(w.name)} in ${wafApiRegion(w.scope, config.region)} ` +
                `(WAFv2 ListWebACLs${w.scope === "CLOUDFRONT" ? ", scope CLOUDFRONT, us-east-1" : ""}); check the name and scope, or list its rules under rules`);
        }
        if (read.offline) {
            log.warn(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): not read (offline, no AWS): only Rule=ALL is planned; ` +
                `\`pulumi preview\` reads its rules with GetWebACL (list them under rules to plan them offline)`);
            out.set(watchedAclKey(w.scope, w.name), { rules: [], withoutMetrics: [] });
            continue;
        }
        const withMetrics = read.rules.filter((r) => r.cloudWatchMetricsEnabled).map((r) => r.metricName);
        const withoutMetrics = read.rules.filter((r) => !r.cloudWatchMetricsEnabled).map((r) => r.name);
        if (withoutMetrics.length) {
            log.warn(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): ${withoutMetrics.length} rule(s) publish no CloudWatch metrics ` +
                `and are not watched: ${withoutMetrics.join(", ")} (turn on CloudWatch metrics in the rule's visibility config to watch them)`);
        }
        if (!read.totalMetricsEnabled) {
            log.warn(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): the web ACL's own CloudWatch metrics are off, so Rule=ALL has no data`);
        }
        log.info(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): read with GetWebACL: watching ALL${withMetrics.length ? `, ${withMetrics.join(", ")}` : ""}`);
        out.set(watchedAclKey(w.scope, w.name), { rules: [...new Set(withMetrics)], arn: read.arn || undefined, withoutMetrics, ...loggingOf(read, key, w, log) });
    }
    return out;
}

/** The web ACL's CloudWatch Logs group among its logging destinations (reported when there is none, or unread). */
function loggingOf(read: WebAclRead, key: string, w: { name: string; scope: WafScope }, log: { info(m: string): void; warn(m: string): void }): { logGroupArn?: string } {
    const logGroupArn = read.logDestinations?.find((d) => LOG_GROUP_DESTINATION.test(d))?.replace(/:\*$/, "");
    if (read.loggingError) log.warn(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): its logging configuration could not be read (${read.loggingError}): its findings will say they have no root cause`);
    else if (read.logDestinations && !logGroupArn) {
        log.info(`rule discovery: ${key} (${w.scope} web ACL ${w.name}): ${read.logDestinations.length ? `logs to ${read.logDestinations.join(", ")}, not CloudWatch Logs` : "WAF logging is off"}: its findings carry no root cause`);
    }
    return logGroupArn ? { logGroupArn } : {};
}

let discovered = new Map<string, DiscoveredAcl>();
let reader: WebAclReader | undefined;

/** Replaces the reader (tests, the offline plan); undefined restores the real one. */
export function setWebAclReader(r: WebAclReader | undefined): void {
    reader = r;
}

/** Runs the discovery for this config (main.ts, before index.ts declares anything). */
export async function runRuleDiscovery(config: AppConfig): Promise<void> {
    discovered = await discoverWatchedRules(config, reader ?? wafv2Reader(new pulumi.Config("aws").get("profile")));
}

/** The last discovery's result (empty before any). */
export function discoveredRules(): ReadonlyMap<string, DiscoveredAcl> {
    return discovered;
}
