// Monthly cost estimate of a plan: what the resources the program would create cost in us-east-1 at idle and at a
// stated load, from the dated price table in ./prices.ts. An ESTIMATE of list prices: no free tier (except where
// noted), no taxes, no data transfer, no Savings Plans. Pure functions over the plan's resource inputs, so the
// plan, the PR comment and the simulators share one model.
//
//   estimateCost(resources, parseLoad("events=20/s,requests=50/s"))
//
// Load model (every assumption is a field of Load, with the defaults below):
//   events/s    ecommerce events written to the Kinesis stream (eventBytes each); Firehose reads them, the
//               transform Lambda runs once per buffering interval, rows land in S3 with dynamic partitioning.
//   requests/s  requests through the web ACL and the REST API; each WAF log record is wafLogBytes; with a logging
//               filter that keeps BLOCK and COUNT only, loggedFraction of the requests are logged.
import { EMF_METRICS, MetricDimension, emfLine, malformedEmfLine } from "../../handlers/ecommerceTransform";
import { alarmMonthlyUsd, HOURS_PER_MONTH, PRICE_TABLE, priceOf, PriceKey, SECONDS_PER_MONTH } from "./prices";

export interface Load {
    eventsPerSecond: number;
    requestsPerSecond: number;
    /** Bytes of one ecommerce event as the generator writes it (JSON). */
    eventBytes: number;
    /** Bytes of one WAF log record in CloudWatch Logs (measured records are 1–2 KB; 1,450 gives ~190 GB/month at 50 req/s). */
    wafLogBytes: number;
    /** Share of requests that a BLOCK/COUNT logging filter keeps (blocked or counted requests). */
    loggedFraction: number;
}

export const DEFAULT_LOAD_ASSUMPTIONS = { eventBytes: 220, wafLogBytes: 1450, loggedFraction: 0.01 } as const;

export const IDLE: Load = { eventsPerSecond: 0, requestsPerSecond: 0, ...DEFAULT_LOAD_ASSUMPTIONS };

/** The load the issue and the README quote: 20 events/s and 50 requests/s. */
export const REFERENCE_LOAD: Load = { ...IDLE, eventsPerSecond: 20, requestsPerSecond: 50 };

/** Parses `events=20/s,requests=50/s[,eventBytes=220,wafLogBytes=1450,logged=1%]`; throws a one-line reason. */
export function parseLoad(text: string): Load {
    const load: Load = { ...IDLE };
    for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
        const m = /^([A-Za-z]+)=([0-9]+(?:\.[0-9]+)?)(\/s|\/min|%)?$/.exec(part);
        if (!m) throw new Error(`--load: "${part}" is not key=number (e.g. events=20/s)`);
        const [, key, num, unit] = m;
        const n = Number(num);
        const rate = unit === "/min" ? n / 60 : n;
        switch (key) {
            case "events": load.eventsPerSecond = rate; break;
            case "requests": load.requestsPerSecond = rate; break;
            case "eventBytes": load.eventBytes = n; break;
            case "wafLogBytes": load.wafLogBytes = n; break;
            case "logged":
                if (unit !== "%" && n > 1) throw new Error(`--load: logged=${num} must be a fraction (0.01) or a percentage (1%)`);
                load.loggedFraction = unit === "%" ? n / 100 : n;
                break;
            default: throw new Error(`--load: unknown key "${key}" (events, requests, eventBytes, wafLogBytes, logged)`);
        }
    }
    if (load.loggedFraction > 1) throw new Error("--load: logged cannot exceed 100%");
    return load;
}

export function describeLoad(load: Load): string {
    if (load.eventsPerSecond === 0 && load.requestsPerSecond === 0) return "idle (no events, no requests)";
    return `${load.eventsPerSecond} events/s, ${load.requestsPerSecond} requests/s`;
}

export interface CostInput {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

export interface CostLine {
    /** Resource type as the plan shows it (`aws:kinesis:Stream`). */
    type: string;
    /** What is billed (`stream-hours`, `GB ingested`). */
    item: string;
    /** How many resources of the type contribute. */
    resources: number;
    usd: number;
    /** The arithmetic, for a reviewer. */
    basis: string;
}

export interface CostEstimate {
    load: Load;
    lines: CostLine[];
    totalUsd: number;
    priceDate: string;
    region: string;
    /** Billable resource types the estimate has no price for (listed so they are not silently free). */
    unpriced: string[];
}

type Props = Record<string, unknown>;

/** Types with no charge of their own (permissions, wiring, configuration of a billed resource). */
const FREE = new Set([
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias", "aws:lambda/permission:Permission", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription", "aws:sqs/queuePolicy:QueuePolicy",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:cloudwatch/logStream:LogStream", "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget", "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:apigateway/restApi:RestApi", "aws:apigateway/deployment:Deployment", "aws:apigateway/method:Method", "aws:apigateway/methodResponse:MethodResponse",
    "aws:apigateway/integration:Integration", "aws:apigateway/integrationResponse:IntegrationResponse", "aws:apigateway/resource:Resource",
    "aws:apigateway/methodSettings:MethodSettings", "aws:apigateway/account:Account", "aws:securityhub/account:Account",
    "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:lambda/function:Function",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
]);

function list<T>(v: T | T[] | undefined): T[] {
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function displayType(type: string): string {
    const m = /^([^:]+):([^/:]+)\/[^:]+:(.+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}:${m[3]}` : type;
}

function gb(bytes: number): number {
    return bytes / 1e9;
}

function fmt(n: number): string {
    if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
    if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
    if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
    return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** True when a WAF logging configuration's filter keeps only BLOCK and COUNT (drops allowed requests). */
export function loggingFilterDropsAllowed(p: Props): boolean {
    const filter = p.loggingFilter as Props | undefined;
    if (!filter) return false;
    const filters = list(filter.filters as Props[] | undefined);
    const keepsAction = (f: Props, action: string) => list(f.conditions as Props[] | undefined)
        .some((c) => ((c.actionCondition as Props | undefined)?.action) === action);
    if (filter.defaultBehavior === "DROP") {
        // Kept: filters with behavior KEEP. ALLOW must not be among what they keep.
        return !filters.some((f) => f.behavior === "KEEP" && keepsAction(f, "ALLOW"));
    }
    // Default KEEP: allowed requests are dropped only by a DROP filter on ALLOW.
    return filters.some((f) => f.behavior === "DROP" && keepsAction(f, "ALLOW") && f.requirement !== "MEETS_ALL");
}

/** Custom metric series (namespace/name/dimensions) that alarms read, outside the reserved AWS/ namespaces. */
function customSeries(alarms: CostInput[]): Set<string> {
    const out = new Set<string>();
    for (const a of alarms) {
        const metrics: Props[] = a.props.metricName ? [a.props] : list(a.props.metricQueries as Props[] | undefined).map((q) => q.metric as Props).filter(Boolean);
        for (const m of metrics) {
            const ns = String(m.namespace ?? "");
            if (!ns || ns.startsWith("AWS/")) continue;
            out.add(`${ns}/${m.metricName}${JSON.stringify(m.dimensions ?? {})}`);
        }
    }
    return out;
}

/** One EMF line the transform writes per minute of traffic: the total (no dimension) or one dimension value. */
export interface EmfLineSet {
    stack: string;
    dimension?: MetricDimension;
    value?: string;
}

/**
 * The dimension-set values the ecommerce transforms among `functions` emit a line for each minute (read from the
 * environment the pipeline gives them, as the handler does): the `[Stack]` total, each watched value and the
 * `_other` bucket of each configured dimension.
 */
export function emfLineSets(functions: readonly CostInput[]): EmfLineSet[] {
    const out: EmfLineSet[] = [];
    for (const f of functions) {
        const env = ((f.props.environment as Props | undefined)?.variables ?? {}) as Record<string, string>;
        if (env.ECOMMERCE_EMIT_METRICS !== "true") continue;
        const stack = env.ECOMMERCE_METRIC_STACK ?? "";
        const split = (v: string | undefined) => (v ?? "").split(",").map((x) => x.trim()).filter(Boolean);
        const dims = split(env.ECOMMERCE_METRIC_DIMENSIONS);
        out.push({ stack });
        for (const d of ["platform", "marketplace"] as const) {
            if (!dims.includes(d)) continue;
            for (const value of [...split(d === "platform" ? env.ECOMMERCE_WATCHED_PLATFORMS : env.ECOMMERCE_WATCHED_MARKETPLACES), "_other"]) out.push({ stack, dimension: d, value });
        }
    }
    return out;
}

/**
 * Custom metric series the ecommerce transform publishes (EMF): every metric of a line (EMF_METRICS: Views, Carts,
 * Checkouts, Revenue, OrderValueLog) for the total, for each watched value and the `_other` bucket of each
 * configured dimension, plus the malformed-records count of each transform.
 */
export function emfSeries(functions: readonly CostInput[]): number {
    const transforms = functions.filter((f) => (((f.props.environment as Props | undefined)?.variables ?? {}) as Record<string, string>).ECOMMERCE_EMIT_METRICS === "true").length;
    return emfLineSets(functions).length * EMF_METRICS.length + transforms;
}

/** The timestamp the EMF line measurements use: 2025-12-01T00:00:00Z, 13 digits like every epoch-ms of this era. */
export const EMF_SAMPLE_TIMESTAMP_MS = 1_764_547_200_000;

/**
 * Bytes (with newlines) of one minute's EMF lines for these sets, measured with the transform's own emfLine on a
 * representative minute (the total: 28 checkouts; a dimension value: 3; OrderValueLog ≈ checkouts × ln 45 with the
 * 6 decimals it is emitted with) and a current epoch-ms timestamp.
 */
export function emfMinuteBytes(sets: readonly EmfLineSet[]): number {
    const ts = EMF_SAMPLE_TIMESTAMP_MS;
    return sets.reduce((n, s) => n + Buffer.byteLength(s.dimension === undefined
        ? emfLine(ts, s.stack, undefined, undefined, [1000, 80, 28, 1234.56, 106.712345])
        : emfLine(ts, s.stack, s.dimension, s.value, [100, 8, 3, 123.45, 11.234567])) + 1, 0);
}

/** Billed alarm metrics of one metric alarm. */
export function alarmUsd(p: Props): { usd: number; metrics: number; band: boolean; highRes: boolean } {
    const queries = list(p.metricQueries as Props[] | undefined);
    const band = queries.some((q) => typeof q.expression === "string" && /ANOMALY_DETECTION_BAND/.test(q.expression));
    const metricQueries = queries.filter((q) => q.metric);
    const periods = [p.period, ...metricQueries.map((q) => (q.metric as Props).period)].filter((x): x is number => typeof x === "number");
    const highRes = periods.some((s) => s < 60);
    const metrics = queries.length ? Math.max(1, metricQueries.length) : 1;
    return { usd: alarmMonthlyUsd({ metrics, anomalyBand: band, highResolution: highRes }), metrics, band, highRes };
}

/** The estimate for `resources` (a plan's custom resources with their inputs) at `load`. */
export function estimateCost(resources: readonly CostInput[], load: Load = IDLE): CostEstimate {
    const lines: CostLine[] = [];
    const unpriced = new Set<string>();
    const add = (type: string, item: string, count: number, usd: number, basis: string) => {
        if (count > 0) lines.push({ type: displayType(type), item, resources: count, usd, basis });
    };
    const byType = new Map<string, CostInput[]>();
    for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
    const of = (t: string) => byType.get(t) ?? [];
    const P = PRICE_TABLE.prices;
    const usdOf = (k: PriceKey, q: number) => priceOf(k, q);

    const events = load.eventsPerSecond * SECONDS_PER_MONTH;
    const requests = load.requestsPerSecond * SECONDS_PER_MONTH;

    // ---- CloudWatch alarms, metrics, dashboards ----
    const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
    if (alarms.length) {
        const each = alarms.map((a) => alarmUsd(a.props));
        const bands = each.filter((e) => e.band).length;
        const usd = each.reduce((s, e) => s + e.usd, 0);
        add("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm metrics", alarms.length, usd,
            `${bands} anomaly-band alarms × 3 alarm metrics per metric read, ${alarms.length - bands} others × metrics read; $${P.alarmMetricStandard.usd}/alarm metric`);
        const published = emfSeries(of("aws:lambda/function:Function"));
        const read = [...customSeries(alarms)].length;
        // Billed only for hours in which datapoints arrive: the transform publishes them while events flow.
        const n = events > 0 ? Math.max(published, read) : 0;
        add("aws:cloudwatch/metricAlarm:MetricAlarm", "custom metrics (EMF, while events flow)", n, usdOf("customMetric", n),
            `${n} series (namespace + name + dimension values) × $${P.customMetric.usd}/metric-month`);
    }
    const composites = of("aws:cloudwatch/compositeAlarm:CompositeAlarm");
    add("aws:cloudwatch/compositeAlarm:CompositeAlarm", "composite alarms", composites.length, composites.length * P.compositeAlarm.usd, `${composites.length} × $${P.compositeAlarm.usd}`);
    const dashboards = of("aws:cloudwatch/dashboard:Dashboard");
    add("aws:cloudwatch/dashboard:Dashboard", "dashboards", dashboards.length, dashboards.length * P.dashboard.usd,
        `${dashboards.length} × $${P.dashboard.usd}/month (the first 3 of an account are free; not applied)`);

    // ---- WAF ----
    const acls = of("aws:wafv2/webAcl:WebAcl");
    if (acls.length) {
        const rules = acls.reduce((s, a) => s + list(a.props.rules as Props[] | undefined).length, 0);
        add("aws:wafv2/webAcl:WebAcl", "web ACLs + rules", acls.length, acls.length * P.wafWebAcl.usd + rules * P.wafRule.usd,
            `${acls.length} × $${P.wafWebAcl.usd} + ${rules} rules × $${P.wafRule.usd}`);
        add("aws:wafv2/webAcl:WebAcl", "requests inspected", acls.length, usdOf("wafRequests", requests * acls.length),
            `${fmt(requests)} requests × $${P.wafRequests.usd}/M`);
    }
    const logging = of("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
    for (const l of logging) {
        const filtered = loggingFilterDropsAllowed(l.props);
        const logged = requests * (filtered ? load.loggedFraction : 1);
        const bytes = logged * load.wafLogBytes;
        add(l.type, `WAF log ingestion (${filtered ? "BLOCK/COUNT only" : "every request"})`, 1, usdOf("vendedLogsIngestion", gb(bytes)),
            `${fmt(logged)} records × ${load.wafLogBytes} B = ${gb(bytes).toFixed(1)} GB × $${P.vendedLogsIngestion.usd}/GB`);
    }

    // ---- API Gateway ----
    const stages = of("aws:apigateway/stage:Stage");
    if (stages.length) add("aws:apigateway/stage:Stage", "REST API requests", stages.length, usdOf("apiGatewayRest", requests),
        `${fmt(requests)} requests × $${P.apiGatewayRest.usd}/M`);

    // ---- Kinesis Data Streams ----
    for (const s of of("aws:kinesis/stream:Stream")) {
        const mode = (s.props.streamModeDetails as Props | undefined)?.streamMode ?? (s.props.shardCount ? "PROVISIONED" : "ON_DEMAND");
        const kb = Math.ceil(load.eventBytes / 1024); // billed per record rounded up to 1 KB
        if (mode === "ON_DEMAND") {
            add(s.type, "on-demand stream-hours", 1, HOURS_PER_MONTH * P.kinesisOnDemandStreamHour.usd, `${HOURS_PER_MONTH} h × $${P.kinesisOnDemandStreamHour.usd}`);
            const inGb = gb(events * kb * 1024);
            add(s.type, "data in + out (one reader: Firehose)", 1, usdOf("kinesisOnDemandIngest", inGb) + usdOf("kinesisOnDemandRetrieval", gb(events * load.eventBytes)),
                `${fmt(events)} records × ${kb} KB = ${inGb.toFixed(1)} GB in × $${P.kinesisOnDemandIngest.usd} + ${gb(events * load.eventBytes).toFixed(1)} GB out × $${P.kinesisOnDemandRetrieval.usd}`);
        } else {
            const shards = Number(s.props.shardCount ?? 1);
            add(s.type, "provisioned shard-hours", 1, shards * HOURS_PER_MONTH * P.kinesisShardHour.usd, `${shards} shards × ${HOURS_PER_MONTH} h × $${P.kinesisShardHour.usd}`);
            const units = events * Math.ceil(load.eventBytes / 25_600);
            add(s.type, "PUT payload units", 1, usdOf("kinesisPutPayloadUnits", units), `${fmt(units)} units × $${P.kinesisPutPayloadUnits.usd}/M`);
        }
        const retention = Number(s.props.retentionPeriod ?? 24);
        if (retention > 24) unpriced.add(`${displayType(s.type)} extended retention (${retention} h)`);
    }

    // ---- Firehose (+ its transform Lambda and S3 objects) ----
    for (const f of of("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) {
        const s3 = (f.props.extendedS3Configuration ?? {}) as Props;
        const billedKb = Math.max(5, Math.ceil(load.eventBytes / 1024 / 5) * 5); // 5 KB increments
        const ingestGb = gb(events * billedKb * 1024);
        add(f.type, "ingestion (5 KB per record)", 1, usdOf("firehoseIngest", ingestGb), `${fmt(events)} records × ${billedKb} KB = ${ingestGb.toFixed(1)} GB × $${P.firehoseIngest.usd}/GB`);
        const interval = Number(s3.bufferingInterval ?? 300);
        // Objects: one per buffer flush while data flows; dynamic partitioning splits a flush per partition
        // (one interval folder at a time in this pipeline, two around a boundary: counted as 1.5).
        const flushes = events > 0 ? SECONDS_PER_MONTH / interval : 0;
        const dynamic = (s3.dynamicPartitioningConfiguration as Props | undefined)?.enabled === true;
        const objects = flushes * (dynamic ? 1.5 : 1);
        if (dynamic) {
            const deliveredGb = gb(events * load.eventBytes);
            add(f.type, "dynamic partitioning (GB + objects)", 1, usdOf("firehoseDynamicPartitioning", deliveredGb) + usdOf("firehoseDynamicPartitioningObjects", objects),
                `${deliveredGb.toFixed(1)} GB × $${P.firehoseDynamicPartitioning.usd} + ${fmt(objects)} objects × $${P.firehoseDynamicPartitioningObjects.usd}/1000`);
        }
        const storedGb = gb(events * load.eventBytes) * 3; // steady state of a 90-day expiry, in months of data
        add(f.type, "S3 PUTs + storage (90-day steady state)", 1, usdOf("s3Put", objects) + usdOf("s3Storage", storedGb),
            `${fmt(objects)} PUTs × $${P.s3Put.usd}/1000 + ${storedGb.toFixed(1)} GB × $${P.s3Storage.usd}`);
        const proc = list(((s3.processingConfiguration ?? {}) as Props).processors as Props[] | undefined).find((p) => p.type === "Lambda");
        if (proc) {
            const fn = of("aws:lambda/function:Function").find((l) => /transform/.test(l.name));
            const memGb = Number(fn?.props.memorySize ?? 128) / 1024;
            const invocations = flushes; // the processor buffer (≤ 60 s) flushes about as often as the S3 buffer
            const seconds = invocations * 0.5; // assumed 0.5 s per batch
            add("aws:lambda/function:Function", "transform invocations", 1, usdOf("lambdaRequests", invocations) + usdOf("lambdaGbSecond", seconds * memGb),
                `${fmt(invocations)} invocations × (0.5 s × ${memGb} GB × $${P.lambdaGbSecond.usd} + $${P.lambdaRequests.usd}/M)`);
            // EMF metric lines the transform writes to its log group, per batch (covering about one minute): one per
            // dimension-set value and the MalformedRecords line, measured with the transform's own functions.
            const sets = emfLineSets(of("aws:lambda/function:Function"));
            if (sets.length) {
                const lines = sets.length + 1;
                const lineBytes = Math.round((emfMinuteBytes(sets) + Buffer.byteLength(malformedEmfLine(EMF_SAMPLE_TIMESTAMP_MS, sets[0].stack, 0)) + 1) / lines);
                const emfGb = gb(invocations * lines * lineBytes);
                add("aws:cloudwatch/logGroup:LogGroup", "EMF log ingestion (transform metrics)", 1, usdOf("logsIngestion", emfGb),
                    `${fmt(invocations)} batches × ${lines} lines (one per dimension-set value + MalformedRecords) × ${lineBytes} B = ${emfGb.toFixed(2)} GB × $${P.logsIngestion.usd}`);
            }
        }
    }

    // ---- KMS ----
    const keys = of("aws:kms/key:Key");
    if (keys.length) {
        // Requests: Kinesis SSE and Firehose/S3 reuse data keys (about one request per few minutes per consumer);
        // counted as one GenerateDataKey/Decrypt per Firehose flush and per 5 minutes per stream.
        const flushes = of("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").length * (events > 0 ? SECONDS_PER_MONTH / 60 : 0);
        const kmsRequests = flushes * 2 + of("aws:kinesis/stream:Stream").length * (events > 0 ? SECONDS_PER_MONTH / 300 : 0);
        add("aws:kms/key:Key", "customer managed keys + requests", keys.length, keys.length * P.kmsKey.usd + usdOf("kmsRequests", kmsRequests),
            `${keys.length} × $${P.kmsKey.usd} + ~${fmt(kmsRequests)} requests × $${P.kmsRequests.usd}/10k`);
    }

    // ---- Heartbeat (scheduled PutMetricData) ----
    const heartbeat = of("aws:lambda/function:Function").filter((l) => /heartbeat/.test(l.name));
    for (const h of heartbeat) {
        const runs = SECONDS_PER_MONTH / 300;
        const memGb = Number(h.props.memorySize ?? 128) / 1024;
        add(h.type, "heartbeat runs (every 5 min) + PutMetricData", 1, usdOf("lambdaRequests", runs) + usdOf("lambdaGbSecond", runs * 0.3 * memGb) + usdOf("putMetricData", runs),
            `${fmt(runs)} runs × (Lambda + 1 PutMetricData × $${P.putMetricData.usd}/1000)`);
    }

    // ---- Security Hub, alert path: per finding, negligible unless alarms flap ----
    if (of("aws:securityhub/account:Account").length) unpriced.add("aws:securityhub:Account (Security Hub Essentials plan: per-resource pricing, not modelled)");

    for (const [type] of byType) {
        if (FREE.has(type) || lines.some((l) => l.type === displayType(type))) continue;
        if (/^pulumi-nodejs:dynamic/.test(type)) { unpriced.add(`${displayType(type)} (Amazon Lookout for Metrics: closed to new customers; not priced)`); continue; }
        if (type.startsWith("aws:")) unpriced.add(displayType(type));
    }
    const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
    return { load, lines, totalUsd, priceDate: PRICE_TABLE.date, region: PRICE_TABLE.region, unpriced: [...unpriced].sort() };
}

function usd(n: number): string {
    return n >= 100 ? `$${n.toFixed(0)}` : n >= 0.005 || n === 0 ? `$${n.toFixed(2)}` : "<$0.01";
}

/**
 * The estimate as a table: one row per billed item, with idle and load columns side by side. Lines fit
 * `width` columns (the basis is cut with an ellipsis only past it).
 */
export function formatCost(idle: CostEstimate, loaded: CostEstimate, width = 120): string {
    const key = (l: CostLine) => `${l.type}\u0000${l.item}`;
    const rows = new Map<string, { type: string; item: string; idle: number; load: number; basis: string }>();
    for (const l of idle.lines) rows.set(key(l), { type: l.type, item: l.item, idle: l.usd, load: 0, basis: l.basis });
    for (const l of loaded.lines) {
        const r = rows.get(key(l)) ?? { type: l.type, item: l.item, idle: 0, load: 0, basis: l.basis };
        r.load = l.usd;
        r.basis = l.basis;
        rows.set(key(l), r);
    }
    const sorted = [...rows.values()].sort((a, b) => b.load - a.load || b.idle - a.idle);
    const typeW = Math.max(4, ...sorted.map((r) => r.type.length));
    const itemW = Math.max(4, ...sorted.map((r) => r.item.length));
    const head = `${"TYPE".padEnd(typeW)}  ${"ITEM".padEnd(itemW)}  ${"IDLE".padStart(8)}  ${"LOAD".padStart(8)}`;
    const out = [
        `Monthly cost ESTIMATE, ${idle.region} list prices of ${idle.priceDate} (scripts/lib/prices.ts; no free tier, taxes or data transfer)`,
        `idle = ${describeLoad(idle.load)}; load = ${describeLoad(loaded.load)}`,
        "",
        head,
        `${"-".repeat(typeW)}  ${"-".repeat(itemW)}  ${"-".repeat(8)}  ${"-".repeat(8)}`,
    ];
    for (const r of sorted) out.push(`${r.type.padEnd(typeW)}  ${r.item.padEnd(itemW)}  ${usd(r.idle).padStart(8)}  ${usd(r.load).padStart(8)}`);
    out.push(`${"TOTAL".padEnd(typeW)}  ${"".padEnd(itemW)}  ${usd(idle.totalUsd).padStart(8)}  ${usd(loaded.totalUsd).padStart(8)}`);
    out.push("", "How the load column is computed:");
    for (const r of sorted.filter((x) => x.load > 0)) out.push(...wrapText(`${r.type} ${r.item}: ${r.basis}`, width, "  ", "      "));
    if (loaded.unpriced.length) out.push(...wrapText(`Not priced: ${loaded.unpriced.join("; ")}`, width, "", "  "));
    return out.flatMap((l) => (l.length <= width ? [l] : wrapText(l, width, "", "  "))).join("\n");
}

/** Word-wraps `text` to `width` columns, the first line after `first`, the others after `rest`. */
export function wrapText(text: string, width: number, first = "", rest = ""): string[] {
    const out: string[] = [];
    let line = first;
    let fresh = true;
    for (const word of text.split(" ")) {
        const indent = out.length === 0 ? first : rest;
        if (!fresh && line.length + 1 + word.length > width) {
            out.push(line);
            line = rest + word;
        } else {
            line = fresh ? indent + word : `${line} ${word}`;
        }
        fresh = false;
        if (line.length > width) { // a single word longer than the line: cut it
            while (line.length > width) {
                out.push(line.slice(0, width));
                line = rest + line.slice(width);
            }
        }
    }
    if (!fresh) out.push(line);
    return out;
}
