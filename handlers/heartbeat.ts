// BlockedRequests heartbeat: publishes BlockedRequests = 0 for each WAF rule so a detector that reads
// AWS/WAFV2 sees "no blocks" as 0 rather than as a missing datapoint (WAF publishes nothing while nothing
// is blocked). Plain functions: the Lambda callback (components/blockedRequestsHeartbeat.ts) wires them to a
// CloudWatch client and the environment.
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchClient, MetricDatum, PutMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";

export const METRIC_NAME = "BlockedRequests";
/** PutMetricData accepts at most 1,000 datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000;

export interface HeartbeatSettings {
    namespace: string;
    /** The `Region` dimension value, as WAF writes it (the region code, e.g. us-east-1). */
    region: string;
    webAclName: string;
    rules: string[];
    /** CLOUDFRONT web ACLs' metrics carry no `Region` dimension (and are published in us-east-1). Default REGIONAL. */
    scope?: "REGIONAL" | "CLOUDFRONT";
}

/** Reads the settings from the function's environment; a missing value is an error naming the variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): HeartbeatSettings {
    const need = (name: string): string => {
        const v = env[name];
        if (!v || !v.trim()) throw new Error(`heartbeat: environment variable ${name} is not set`);
        return v.trim();
    };
    const rules = need("WAF_RULES").split(",").map((r) => r.trim()).filter((r) => r.length > 0);
    if (rules.length === 0) throw new Error("heartbeat: environment variable WAF_RULES lists no rule");
    return { namespace: need("METRIC_NAMESPACE"), region: need("WAF_REGION"), webAclName: need("WEB_ACL_NAME"), rules };
}

/**
 * Every watched web ACL's settings: `WAF_TARGETS` (JSON list of `{ region, scope, webAclName, rules }`, one per
 * web ACL, `region` being where its metrics are published) or, without it, the single ACL of `settingsFromEnv`.
 */
export function targetsFromEnv(env: NodeJS.ProcessEnv): HeartbeatSettings[] {
    const raw = env.WAF_TARGETS?.trim();
    if (!raw) return [settingsFromEnv(env)];
    const namespace = env.METRIC_NAMESPACE?.trim();
    if (!namespace) throw new Error("heartbeat: environment variable METRIC_NAMESPACE is not set");
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch (e) {
        throw new Error(`heartbeat: WAF_TARGETS is not JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(list) || list.length === 0) throw new Error("heartbeat: WAF_TARGETS lists no web ACL");
    return list.map((t: Record<string, unknown>, i) => {
        const ok = t && typeof t.region === "string" && t.region && typeof t.webAclName === "string" && t.webAclName &&
            (t.scope === "REGIONAL" || t.scope === "CLOUDFRONT") && Array.isArray(t.rules) && t.rules.length > 0 && t.rules.every((r) => typeof r === "string" && r);
        if (!ok) throw new Error(`heartbeat: WAF_TARGETS[${i}] is not { region, scope: REGIONAL|CLOUDFRONT, webAclName, rules: [..] }: ${JSON.stringify(t)}`);
        return { namespace, region: t.region as string, scope: t.scope as "REGIONAL" | "CLOUDFRONT", webAclName: t.webAclName as string, rules: t.rules as string[] };
    });
}

/** The PutMetricData requests that publish one zero datapoint per rule at `timestamp`. */
export function heartbeatRequests(s: HeartbeatSettings, timestamp: Date): PutMetricDataCommandInput[] {
    const data: MetricDatum[] = s.rules.map((rule) => ({
        MetricName: METRIC_NAME,
        Dimensions: [
            ...(s.scope === "CLOUDFRONT" ? [] : [{ Name: "Region", Value: s.region }]),
            { Name: "Rule", Value: rule },
            { Name: "WebACL", Value: s.webAclName },
        ],
        Timestamp: timestamp,
        Value: 0,
        Unit: "Count",
    }));
    const requests: PutMetricDataCommandInput[] = [];
    for (let i = 0; i < data.length; i += MAX_DATUMS_PER_REQUEST) {
        requests.push({ Namespace: s.namespace, MetricData: data.slice(i, i + MAX_DATUMS_PER_REQUEST) });
    }
    return requests;
}

export interface HeartbeatResult {
    namespace: string;
    datapoints: number;
    timestamp: string;
}

/**
 * Publishes the zero datapoints. A failed call is not swallowed: the SDK retries throttling and 5xx itself,
 * and anything left propagates, so the asynchronous invocation is retried by Lambda and counted in Errors.
 */
export async function publishHeartbeat(client: CloudWatchClient, s: HeartbeatSettings, now: Date): Promise<HeartbeatResult> {
    // Datapoints align to the minute so repeated runs in one minute do not make partial sums across minutes.
    const timestamp = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    let datapoints = 0;
    for (const input of heartbeatRequests(s, timestamp)) {
        try {
            await client.send(new PutMetricDataCommand(input));
        } catch (err) {
            const e = err as Error;
            throw new Error(`heartbeat: PutMetricData to ${s.namespace} failed after ${datapoints} of ${s.rules.length} datapoints: ${e.name}: ${e.message}`, { cause: err });
        }
        datapoints += input.MetricData?.length ?? 0;
    }
    return { namespace: s.namespace, datapoints, timestamp: timestamp.toISOString() };
}
