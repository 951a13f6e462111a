// AnomalyDetector: a Lookout for Metrics anomaly detector together with its one metric set (dataset), as a Pulumi
// dynamic resource. One resource for both because a detector has exactly one metric set and neither is useful
// alone: create makes the detector and then the metric set (and removes the detector again if the metric set is
// rejected, so a failed create leaves nothing behind); delete removes the detector, which removes its metric set
// and alerts, and waits until it is gone so a replacement with the same name can be created.
//
// What can change in place (the L4M API: "after activation, you can only change a detector's ingestion delay and
// description"): the detector description, the metric set description and offset (ingestion delay), tags.
// Everything else — name, frequency, KMS key, region, metric set name, metrics, dimensions, filters, source (its
// type, role, paths, format), timestamp column — replaces the detector.
import * as pulumi from "@pulumi/pulumi";
import {
    CreateAnomalyDetectorCommand,
    CreateMetricSetCommand,
    CreateMetricSetCommandInput,
    DeleteAnomalyDetectorCommand,
    DescribeAnomalyDetectorCommand,
    DescribeMetricSetCommand,
    DescribeMetricSetCommandOutput,
    ListTagsForResourceCommand,
    LookoutMetricsClient,
    MetricSource as ApiMetricSource,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateAnomalyDetectorCommand,
    UpdateMetricSetCommand,
} from "@aws-sdk/client-lookoutmetrics";

import {
    ARN, apiTags, canonical, changedPaths, checker, containsUnknown, FREQUENCIES, Frequency, HISTORICAL_PATH, isConflict,
    isNotFound, KMS_KEY_ARN, LOOKOUT_MODULE, NAME, NAME_RULE, NAMESPACE, NON_BLANK, ProviderOptions, REGION, resolveOptions,
    ResolvedOptions, retryOnRolePropagation, tagChanges, TEMPLATED_PATH,
} from "./common";

// ---- inputs and outputs ----------------------------------------------------------------------------------------

export interface DetectorMetric {
    /** Measure name (a CloudWatch metric name, or a column of the S3 rows). */
    name: string;
    aggregation: "SUM" | "AVG";
    /** CloudWatch namespace (CloudWatch sources only). */
    namespace?: string;
}

export interface DimensionFilter {
    /** A dimension of the metric set. */
    name: string;
    /** Values kept for analysis (OR); several filters combine with AND. */
    values: string[];
}

export interface CloudWatchSource {
    type: "cloudwatch";
    /** Role L4M assumes to call cloudwatch:GetMetricData / ListMetrics. */
    roleArn: string;
}

export interface JsonFileFormat {
    type: "json";
    compression: "NONE" | "GZIP";
    charset: string;
}

export interface S3Source {
    type: "s3";
    /** Role L4M assumes to read the bucket prefix. */
    roleArn: string;
    /** Live data, e.g. `s3://bucket/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`. */
    templatedPath: string;
    /** Backfilled history read once at activation (skips the cold start). */
    historicalPath?: string;
    fileFormat: JsonFileFormat;
}

export type MetricSource = CloudWatchSource | S3Source;

export interface MetricSetSpec {
    name: string;
    description: string;
    metrics: DetectorMetric[];
    dimensions: string[];
    dimensionFilters?: DimensionFilter[];
    source: MetricSource;
    /** S3 sources: the column holding each row's time and its format. */
    timestampColumn?: { name: string; format: string };
    /** S3 sources: seconds the detector waits after an interval before reading it (0–432000). */
    offsetSeconds?: number;
}

/** The resolved inputs the provider works with. */
export interface AnomalyDetectorInputs {
    providerVersion: string;
    region: string;
    name: string;
    description: string;
    frequency: Frequency;
    kmsKeyArn?: string;
    tags?: Record<string, string>;
    metricSet: MetricSetSpec;
}

export interface AnomalyDetectorOutputs extends AnomalyDetectorInputs {
    arn: string;
    metricSetArn: string;
    /** Detector status when last created, updated or refreshed. */
    status?: string;
}

type In<T> = pulumi.Input<T>;

/** What a program passes: the same shape, with Pulumi inputs where values come from other resources. */
export interface AnomalyDetectorArgs {
    providerVersion: In<string>;
    region: In<string>;
    name: In<string>;
    description: In<string>;
    frequency: In<Frequency>;
    kmsKeyArn?: In<string>;
    tags?: In<Record<string, In<string>>>;
    metricSet: In<{
        name: In<string>;
        description: In<string>;
        metrics: In<In<DetectorMetric>[]>;
        dimensions: In<In<string>[]>;
        dimensionFilters?: In<In<{ name: In<string>; values: In<In<string>[]> }>[]>;
        source: In<
            | { type: "cloudwatch"; roleArn: In<string> }
            | { type: "s3"; roleArn: In<string>; templatedPath: In<string>; historicalPath?: In<string>; fileFormat: In<JsonFileFormat> }
        >;
        timestampColumn?: In<{ name: In<string>; format: In<string> }>;
        offsetSeconds?: In<number>;
    }>;
}

// ---- requests (pure, exported for tests) -----------------------------------------------------------------------

export function createDetectorRequest(i: AnomalyDetectorInputs) {
    return {
        AnomalyDetectorName: i.name,
        AnomalyDetectorDescription: i.description,
        AnomalyDetectorConfig: { AnomalyDetectorFrequency: i.frequency },
        KmsKeyArn: i.kmsKeyArn,
        Tags: apiTags(i.tags),
    };
}

export function apiMetricSource(s: MetricSource): ApiMetricSource {
    if (s.type === "cloudwatch") return { CloudWatchConfig: { RoleArn: s.roleArn } };
    return {
        S3SourceConfig: {
            RoleArn: s.roleArn,
            TemplatedPathList: [s.templatedPath],
            HistoricalDataPathList: s.historicalPath ? [s.historicalPath] : undefined,
            FileFormatDescriptor: {
                JsonFormatDescriptor: { FileCompression: s.fileFormat.compression, Charset: s.fileFormat.charset },
            },
        },
    };
}

export function createMetricSetRequest(i: AnomalyDetectorInputs, detectorArn: string): CreateMetricSetCommandInput {
    const m = i.metricSet;
    return {
        AnomalyDetectorArn: detectorArn,
        MetricSetName: m.name,
        MetricSetDescription: m.description,
        MetricList: m.metrics.map((x) => ({ MetricName: x.name, AggregationFunction: x.aggregation, Namespace: x.namespace })),
        DimensionList: m.dimensions.length > 0 ? [...m.dimensions] : undefined,
        DimensionFilterList: m.dimensionFilters && m.dimensionFilters.length > 0
            ? m.dimensionFilters.map((f) => ({ Name: f.name, FilterList: f.values.map((v) => ({ DimensionValue: v, FilterOperation: "EQUALS" as const })) }))
            : undefined,
        MetricSetFrequency: i.frequency,
        MetricSource: apiMetricSource(m.source),
        TimestampColumn: m.timestampColumn ? { ColumnName: m.timestampColumn.name, ColumnFormat: m.timestampColumn.format } : undefined,
        // The API takes an offset only for S3 (and database) sources.
        Offset: m.source.type === "s3" ? m.offsetSeconds ?? 0 : undefined,
        Tags: apiTags(i.tags),
    };
}

/** The metric set as the API describes it, mapped back onto our input shape (for drift on refresh). */
export function metricSetFromApi(d: DescribeMetricSetCommandOutput, prior: MetricSetSpec): MetricSetSpec {
    const src = d.MetricSource ?? {};
    let source: MetricSource;
    if (src.CloudWatchConfig) {
        source = { type: "cloudwatch", roleArn: src.CloudWatchConfig.RoleArn ?? "" };
    } else if (src.S3SourceConfig) {
        const s3 = src.S3SourceConfig;
        const json = s3.FileFormatDescriptor?.JsonFormatDescriptor;
        source = {
            type: "s3",
            roleArn: s3.RoleArn ?? "",
            templatedPath: s3.TemplatedPathList?.[0] ?? "",
            historicalPath: s3.HistoricalDataPathList?.[0],
            fileFormat: { type: "json", compression: (json?.FileCompression ?? "NONE") as "NONE" | "GZIP", charset: json?.Charset ?? "" },
        };
    } else {
        source = prior.source;
    }
    const filters = (d.DimensionFilterList ?? []).map((f) => ({ name: f.Name ?? "", values: (f.FilterList ?? []).map((x) => x.DimensionValue ?? "") }));
    return {
        name: d.MetricSetName ?? prior.name,
        description: d.MetricSetDescription ?? prior.description,
        metrics: (d.MetricList ?? []).map((x) => ({
            name: x.MetricName ?? "",
            aggregation: (x.AggregationFunction ?? "SUM") as "SUM" | "AVG",
            ...(x.Namespace !== undefined ? { namespace: x.Namespace } : {}),
        })),
        dimensions: d.DimensionList ?? [],
        ...(filters.length > 0 ? { dimensionFilters: filters } : prior.dimensionFilters ? { dimensionFilters: [] } : {}),
        source,
        ...(d.TimestampColumn ? { timestampColumn: { name: d.TimestampColumn.ColumnName ?? "", format: d.TimestampColumn.ColumnFormat ?? "" } } : {}),
        ...(source.type === "s3" ? { offsetSeconds: d.Offset ?? 0 } : {}),
    };
}

// ---- diff rules ------------------------------------------------------------------------------------------------

/** Changes that the API applies in place. */
export const DETECTOR_UPDATE_PATHS = ["description", "metricSet.description", "metricSet.offsetSeconds", "tags", "providerVersion"] as const;
/** Changes that need a new detector. */
export const DETECTOR_REPLACE_PATHS = [
    "region", "name", "frequency", "kmsKeyArn", "metricSet.name", "metricSet.metrics", "metricSet.dimensions",
    "metricSet.dimensionFilters", "metricSet.source", "metricSet.timestampColumn",
] as const;

/**
 * The same desired state written one way: no tags and `{}` alike, an S3 offset of undefined and 0 alike, no
 * filters and `[]` alike. Values still unknown (preview) are left as they are.
 */
export function normalizeDetector<T extends Partial<AnomalyDetectorInputs>>(i: T): T {
    const out: Record<string, unknown> = { ...i, tags: apiTags(i.tags as Record<string, string> | undefined) };
    const ms = i.metricSet as unknown;
    if (ms && typeof ms === "object" && !containsUnknown((ms as MetricSetSpec).source?.type)) {
        const m = ms as MetricSetSpec;
        out.metricSet = {
            ...m,
            dimensionFilters: Array.isArray(m.dimensionFilters) && m.dimensionFilters.length === 0 ? undefined : m.dimensionFilters,
            offsetSeconds: m.source?.type === "s3" ? m.offsetSeconds ?? 0 : m.offsetSeconds,
            source: m.source?.type === "s3" && !m.source.historicalPath ? { ...m.source, historicalPath: undefined } : m.source,
        };
    }
    return out as T;
}

// ---- check -----------------------------------------------------------------------------------------------------

export function checkDetectorInputs(news: unknown): { property: string; reason: string }[] {
    const c = checker(news);
    c.str("providerVersion", { required: true, min: 1, max: 32 });
    c.str("region", { required: true, max: 32, pattern: REGION, rule: "is not an AWS region" });
    c.str("name", { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
    c.str("description", { required: true, min: 1, max: 256, pattern: NON_BLANK, rule: "must not be blank" });
    c.oneOf("frequency", FREQUENCIES);
    c.str("kmsKeyArn", { min: 20, max: 2048, pattern: KMS_KEY_ARN, rule: "is not a KMS key ARN" });
    c.tags("tags");
    c.str("metricSet.name", { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
    c.str("metricSet.description", { required: true, min: 1, max: 256, pattern: NON_BLANK, rule: "must not be blank" });

    // Service quotas: at most 5 measures and 5 dimensions per dataset.
    const metrics = c.list("metricSet.metrics", 1, 5);
    metrics?.forEach((_, i) => {
        c.str(`metricSet.metrics.${i}.name`, { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
        c.oneOf(`metricSet.metrics.${i}.aggregation`, ["SUM", "AVG"]);
        c.str(`metricSet.metrics.${i}.namespace`, { min: 1, max: 255, pattern: NAMESPACE, rule: "must not start with :" });
    });
    const dims = c.list("metricSet.dimensions", 0, 5);
    dims?.forEach((_, i) => c.str(`metricSet.dimensions.${i}`, { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE }));
    const filters = c.list("metricSet.dimensionFilters", 0, 5, false);
    filters?.forEach((f, i) => {
        c.str(`metricSet.dimensionFilters.${i}.name`, { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
        const name = (f as { name?: unknown }).name;
        if (dims && c.known(`metricSet.dimensions`) && typeof name === "string" && !containsUnknown(name) && !dims.includes(name)) {
            c.fail(`metricSet.dimensionFilters.${i}.name`, `${JSON.stringify(name)} is not one of the metric set's dimensions (${dims.join(", ")})`);
        }
        const values = c.list(`metricSet.dimensionFilters.${i}.values`, 1, 100);
        values?.forEach((_, j) => c.str(`metricSet.dimensionFilters.${i}.values.${j}`, { required: true, min: 1, max: 1024 }));
    });

    c.oneOf("metricSet.source.type", ["cloudwatch", "s3"]);
    c.str("metricSet.source.roleArn", { required: true, max: 256, pattern: ARN, rule: "is not an ARN" });
    const n = news as { metricSet?: { source?: { type?: unknown }; offsetSeconds?: unknown; timestampColumn?: unknown } };
    const type = n.metricSet?.source?.type;
    if (type === "s3") {
        c.str("metricSet.source.templatedPath", {
            required: true, max: 1024, pattern: TEMPLATED_PATH,
            rule: "is not a Lookout for Metrics templated path (s3:// then letters, digits, _ - / space {} =; a bucket name with dots is not accepted)",
        });
        c.str("metricSet.source.historicalPath", { max: 1024, pattern: HISTORICAL_PATH, rule: "is not an s3:// path" });
        c.oneOf("metricSet.source.fileFormat.type", ["json"]);
        c.oneOf("metricSet.source.fileFormat.compression", ["NONE", "GZIP"]);
        c.str("metricSet.source.fileFormat.charset", { required: true, min: 1, max: 63, pattern: NAME, rule: "is not a charset name" });
        if (n.metricSet?.timestampColumn === undefined) c.fail("metricSet.timestampColumn", "is required for an S3 source");
        c.str("metricSet.timestampColumn.name", { required: n.metricSet?.timestampColumn !== undefined, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
        c.str("metricSet.timestampColumn.format", { required: n.metricSet?.timestampColumn !== undefined, min: 1, max: 63, pattern: NON_BLANK, rule: "must not be blank" });
        c.int("metricSet.offsetSeconds", 0, 432000, false);
    } else if (type === "cloudwatch") {
        if (n.metricSet?.offsetSeconds !== undefined) c.fail("metricSet.offsetSeconds", "applies to S3 sources only; CloudWatch metric sets take no offset");
        if (n.metricSet?.timestampColumn !== undefined) c.fail("metricSet.timestampColumn", "applies to S3 sources only");
        metrics?.forEach((m, i) => {
            if ((m as { namespace?: unknown }).namespace === undefined) c.fail(`metricSet.metrics.${i}.namespace`, "is required for a CloudWatch source");
        });
    }
    return c.failures;
}

// ---- provider --------------------------------------------------------------------------------------------------

function client(region: string): LookoutMetricsClient {
    return new LookoutMetricsClient({ region, maxAttempts: 5 });
}

async function syncTags(lm: LookoutMetricsClient, arn: string, olds: Record<string, string> | undefined, news: Record<string, string> | undefined): Promise<void> {
    const { remove, set } = tagChanges(olds, news);
    if (remove.length > 0) await lm.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: remove }));
    if (Object.keys(set).length > 0) await lm.send(new TagResourceCommand({ ResourceArn: arn, Tags: set }));
}

async function deleteDetector(lm: LookoutMetricsClient, arn: string, name: string, o: ResolvedOptions): Promise<void> {
    const deadline = o.now() + o.deleteTimeoutSeconds * 1000;
    let requested = false;
    let last = "unknown";
    for (;;) {
        if (!requested) {
            try {
                await lm.send(new DeleteAnomalyDetectorCommand({ AnomalyDetectorArn: arn }));
                requested = true;
            } catch (err) {
                if (isNotFound(err)) return;
                // Still deactivating or already deleting: look again after a while.
                if (!isConflict(err)) throw err;
            }
        }
        try {
            const d = await lm.send(new DescribeAnomalyDetectorCommand({ AnomalyDetectorArn: arn }));
            last = d.Status ?? "unknown";
        } catch (err) {
            if (isNotFound(err)) return;
            throw err;
        }
        if (o.now() >= deadline) {
            throw new Error(`Lookout for Metrics detector "${name}" (${arn}) was not deleted within ${o.deleteTimeoutSeconds} s; last status: ${last}`);
        }
        await o.sleep(o.pollIntervalMs);
    }
}

export function anomalyDetectorProvider(options?: ProviderOptions): pulumi.dynamic.ResourceProvider<AnomalyDetectorInputs, AnomalyDetectorOutputs> {
    const o = resolveOptions(options);
    return {
        async check(_olds, news) {
            return { inputs: news, failures: checkDetectorInputs(news) };
        },

        async diff(_id, olds, news) {
            const [a, b] = [normalizeDetector(olds), normalizeDetector(news)];
            const replaces = changedPaths(a, b, DETECTOR_REPLACE_PATHS);
            // A metric set that disappeared (seen on refresh) can only come back with a new detector.
            if (!olds.metricSetArn && !replaces.includes("metricSet.name")) replaces.push("metricSet.name");
            const updates = changedPaths(a, b, DETECTOR_UPDATE_PATHS);
            const changes = replaces.length > 0 || updates.length > 0;
            return {
                changes,
                replaces,
                // The name is the detector's identity: keeping it means the old one must go first.
                deleteBeforeReplace: replaces.length > 0 && canonical(olds.name) === canonical(news.name),
                stables: replaces.length === 0 ? ["arn", "metricSetArn"] : undefined,
            };
        },

        async create(inputs) {
            const lm = client(inputs.region);
            const created = await lm.send(new CreateAnomalyDetectorCommand(createDetectorRequest(inputs)));
            const arn = created.AnomalyDetectorArn;
            if (!arn) throw new Error(`CreateAnomalyDetector returned no ARN for "${inputs.name}"`);
            let metricSetArn: string;
            try {
                const ms = await retryOnRolePropagation(() => lm.send(new CreateMetricSetCommand(createMetricSetRequest(inputs, arn))), o);
                if (!ms.MetricSetArn) throw new Error(`CreateMetricSet returned no ARN for "${inputs.metricSet.name}"`);
                metricSetArn = ms.MetricSetArn;
            } catch (err) {
                // Create must be all or nothing: do not leave a detector without its metric set behind.
                await deleteDetector(lm, arn, inputs.name, o).catch(() => undefined);
                throw err;
            }
            return { id: arn, outs: { ...inputs, arn, metricSetArn } };
        },

        async update(id, olds, news) {
            const lm = client(news.region);
            if (canonical(olds.description) !== canonical(news.description)) {
                await lm.send(new UpdateAnomalyDetectorCommand({ AnomalyDetectorArn: id, AnomalyDetectorDescription: news.description }));
            }
            const msChanged = changedPaths(olds, news, ["metricSet.description", "metricSet.offsetSeconds"]);
            if (msChanged.length > 0) {
                await lm.send(new UpdateMetricSetCommand({
                    MetricSetArn: olds.metricSetArn,
                    MetricSetDescription: msChanged.includes("metricSet.description") ? news.metricSet.description : undefined,
                    Offset: msChanged.includes("metricSet.offsetSeconds") ? news.metricSet.offsetSeconds ?? 0 : undefined,
                }));
            }
            if (canonical(apiTags(olds.tags)) !== canonical(apiTags(news.tags))) {
                await syncTags(lm, id, olds.tags, news.tags);
                await syncTags(lm, olds.metricSetArn, olds.tags, news.tags);
            }
            return { outs: { ...news, arn: id, metricSetArn: olds.metricSetArn, status: olds.status } };
        },

        async read(id, props) {
            const prior = props as AnomalyDetectorOutputs;
            const lm = client(prior.region);
            let detector;
            try {
                detector = await lm.send(new DescribeAnomalyDetectorCommand({ AnomalyDetectorArn: id }));
            } catch (err) {
                if (isNotFound(err)) return {};
                throw err;
            }
            let metricSet: MetricSetSpec = prior.metricSet;
            let metricSetArn = prior.metricSetArn;
            try {
                metricSet = metricSetFromApi(await lm.send(new DescribeMetricSetCommand({ MetricSetArn: prior.metricSetArn })), prior.metricSet);
            } catch (err) {
                if (!isNotFound(err)) throw err;
                metricSetArn = "";
            }
            const tagged = await lm.send(new ListTagsForResourceCommand({ ResourceArn: id }));
            const tags = tagged.Tags && Object.keys(tagged.Tags).length > 0 ? tagged.Tags : undefined;
            return {
                id,
                props: {
                    ...prior,
                    arn: id,
                    name: detector.AnomalyDetectorName ?? prior.name,
                    description: detector.AnomalyDetectorDescription ?? prior.description,
                    frequency: (detector.AnomalyDetectorConfig?.AnomalyDetectorFrequency ?? prior.frequency) as Frequency,
                    kmsKeyArn: prior.kmsKeyArn === undefined ? undefined : detector.KmsKeyArn,
                    tags,
                    metricSet,
                    metricSetArn,
                    status: detector.Status,
                },
            };
        },

        async delete(id, props) {
            await deleteDetector(client(props.region), id, props.name, o);
        },
    };
}

const defaultProvider = anomalyDetectorProvider();

/**
 * A Lookout for Metrics anomaly detector and its metric set. Type token
 * `pulumi-nodejs:dynamic/edge-anomaly-lookout:AnomalyDetector`.
 */
export class AnomalyDetector extends pulumi.dynamic.Resource {
    declare public readonly arn: pulumi.Output<string>;
    declare public readonly metricSetArn: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly frequency: pulumi.Output<Frequency>;
    declare public readonly status: pulumi.Output<string | undefined>;

    constructor(name: string, args: AnomalyDetectorArgs, opts?: pulumi.CustomResourceOptions, providerOptions?: ProviderOptions) {
        const provider = providerOptions ? anomalyDetectorProvider(providerOptions) : defaultProvider;
        super(provider, name, { ...args, arn: undefined, metricSetArn: undefined, status: undefined }, opts, LOOKOUT_MODULE, "AnomalyDetector");
    }
}
