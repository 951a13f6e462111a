// AnomalyDetector: a Lookout for Metrics anomaly detector together with its one metric set (dataset), as a Pulumi
// dynamic resource. One resource for both because a detector has exactly one metric set and neither is useful
// alone: create makes the detector and then the metric set (and removes the detector again if the metric set is
// rejected); delete removes the detector, which removes its metric set and alerts, and waits until it is gone so
// a replacement with the same name can be created.
//
// No orphans (nothing this provider creates may end up outside the Pulumi state):
// - Metric set rejected and deleting the detector fails too: create throws with partial state (`partialFailure`),
//   so the engine records the detector without a metric set; the next `pulumi up` replaces it.
// - CreateAnomalyDetector has no idempotency token. A lost response (created, then a 5xx; the SDK's retry gets
//   ConflictException), a 5xx that hides a success, or a detector left by an earlier failed create: create finds
//   the detector by name (ListAnomalyDetectors) and adopts it if its owner tag (`<project>/<stack>`) is this
//   stack's: with its metric set it is updated to the inputs in place; without one (it has learned nothing) it is
//   deleted and created afresh. A detector of that name that is not this stack's is left alone, and create fails
//   naming its owner.
// - Update failing after something changed (e.g. UpdateAnomalyDetector applied the new frequency, UpdateMetricSet
//   failed): the detector is activated again if it ran, and the update throws partial state: the old outputs
//   marked `reconcile`. The engine keeps them with init errors and calls update on the next up even when the
//   inputs went back to the old values; that update plans from the live detector and metric set (frequencies
//   compared one by one), so the two end at the same frequency, the one the state says. Refresh marks a state
//   whose metric set frequency differs from the detector's the same way.
//
// Update vs replace. Replacing a detector throws away what it has learned, its anomaly history and feedback, so
// everything the API can change in place is an update (UpdateAnomalyDetector: description, KmsKeyArn,
// AnomalyDetectorConfig; UpdateMetricSet: description, MetricList, DimensionList, DimensionFilterList,
// MetricSource, TimestampColumn, MetricSetFrequency, Offset), and each update sends only the members that changed.
// What the service allows, from the L4M developer guide ("Managing detectors" → "Reactivating detectors") and the
// UpdateAnomalyDetector reference:
// - On an activated detector only the detector description and the ingestion delay (metric set offset) can
//   change; every other change needs the detector deactivated first ("If a detector is active, you can
//   deactivate, reconfigure, and then reactivate the detector"). Update does exactly that: it deactivates the
//   detector, sends the updates, and activates it again (waiting until ACTIVE or LEARNING), so the separate
//   DetectorActivation resource finds it running as before. The metric set description is treated like the
//   other dataset fields (the reference names only the detector's description), which costs one deactivation.
// - "the Detector name and Tags fields are not editable" (tags go through TagResource/UntagResource), "Dataset
//   name (MetricSetName) ... not editable" → name, metric set name and region replace the detector.
// - "You can change the KMS key (KmsKeyArn) if the detector is inactive. If the detector failed, the KMS key
//   cannot be changed" → a new key is an update (done while deactivated), but a new key on a FAILED detector
//   replaces it, and so does removing the key: leaving KmsKeyArn out of UpdateAnomalyDetector means "unchanged",
//   so there is no request that returns a detector to the service-owned key.
// - The same holds for other members an update cannot clear: removing every dimension (DimensionList needs one
//   item) or every dimension filter, or the timestamp column, replaces the detector.
// - A different source type (CloudWatch ↔ S3) replaces it: the request cannot remove an S3 source's timestamp
//   column and offset, and a detector fed different data has learned nothing worth keeping. Within one source
//   type (role, paths, file format) the whole MetricSource is sent again as an update.
// - A frequency change updates both the detector's AnomalyDetectorConfig and the metric set's MetricSetFrequency
//   (detector first), so the two stay equal as they were created (whether the service checks the pair on each
//   call or only at activation is not documented; both requests go out in one update either way).
import * as pulumi from "@pulumi/pulumi";
import {
    CreateAnomalyDetectorCommand,
    CreateMetricSetCommand,
    CreateMetricSetCommandInput,
    DeleteAnomalyDetectorCommand,
    DescribeAnomalyDetectorCommand,
    DescribeMetricSetCommand,
    DescribeMetricSetCommandOutput,
    ListAnomalyDetectorsCommand,
    ListMetricSetsCommand,
    ListTagsForResourceCommand,
    LookoutMetricsClient,
    MetricSource as ApiMetricSource,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateAnomalyDetectorCommand,
    UpdateAnomalyDetectorCommandInput,
    UpdateMetricSetCommand,
    UpdateMetricSetCommandInput,
} from "@aws-sdk/client-lookoutmetrics";

import {
    ARN, apiTags, at, canonical, changedPaths, checker, containsUnknown, FREQUENCIES, Frequency, HISTORICAL_PATH, isConflict,
    isNotFound, KMS_KEY_ARN, LOOKOUT_MODULE, mayHaveCreated, NAME, NAME_RULE, NAMESPACE, NON_BLANK, notOurs, ownedTags, ownerOf, OWNER_TAG,
    partialFailure, ProviderOptions, reconcileState, REGION, resolveOptions, ResolvedOptions, retryOnRolePropagation, tagChanges, TAG_VALUE,
    TEMPLATED_PATH, userTags,
} from "./common";
import { ActivationMode, ensureActive, ensureInactive } from "./detectorActivation";

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
    /** `<project>/<stack>`, written as the owner tag: how create recognises this stack's detector by name. */
    owner: string;
    metricSet: MetricSetSpec;
    /**
     * How long an update that has to deactivate the detector waits for it to deactivate, and then to become ACTIVE
     * or LEARNING again (default 900 s, like `detection.activationTimeoutSeconds`).
     */
    activationTimeoutSeconds?: number;
}

export interface AnomalyDetectorOutputs extends AnomalyDetectorInputs {
    arn: string;
    metricSetArn: string;
    /** Detector status when last created, updated or refreshed. */
    status?: string;
    /**
     * Set on outputs recorded after a failed create or update (and by refresh when the metric set's frequency is
     * not the detector's): they may not match the service, so the next update plans from the live detector.
     */
    reconcile?: boolean;
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
    owner: In<string>;
    activationTimeoutSeconds?: In<number>;
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
        Tags: apiTags(ownedTags(i.tags, i.owner)),
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

function apiMetrics(m: MetricSetSpec) {
    return m.metrics.map((x) => ({ MetricName: x.name, AggregationFunction: x.aggregation, Namespace: x.namespace }));
}

function apiDimensionFilters(m: MetricSetSpec) {
    return m.dimensionFilters && m.dimensionFilters.length > 0
        ? m.dimensionFilters.map((f) => ({ Name: f.name, FilterList: f.values.map((v) => ({ DimensionValue: v, FilterOperation: "EQUALS" as const })) }))
        : undefined;
}

function apiTimestampColumn(m: MetricSetSpec) {
    return m.timestampColumn ? { ColumnName: m.timestampColumn.name, ColumnFormat: m.timestampColumn.format } : undefined;
}

export function createMetricSetRequest(i: AnomalyDetectorInputs, detectorArn: string): CreateMetricSetCommandInput {
    const m = i.metricSet;
    return {
        AnomalyDetectorArn: detectorArn,
        MetricSetName: m.name,
        MetricSetDescription: m.description,
        MetricList: apiMetrics(m),
        DimensionList: m.dimensions.length > 0 ? [...m.dimensions] : undefined,
        DimensionFilterList: apiDimensionFilters(m),
        MetricSetFrequency: i.frequency,
        MetricSource: apiMetricSource(m.source),
        TimestampColumn: apiTimestampColumn(m),
        // The API takes an offset only for S3 (and database) sources.
        Offset: m.source.type === "s3" ? m.offsetSeconds ?? 0 : undefined,
        Tags: apiTags(ownedTags(i.tags, i.owner)),
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

/** Changes that always need a new detector: the service cannot rename a detector or a metric set, or move one. */
export const DETECTOR_REPLACE_PATHS = ["region", "name", "metricSet.name"] as const;
/** Changes applied in place while the detector keeps running. */
export const DETECTOR_LIVE_PATHS = ["description", "metricSet.offsetSeconds", "tags", "owner", "providerVersion", "activationTimeoutSeconds"] as const;
/** Changes applied in place while the detector is deactivated for the moment (see the top of this file). */
export const DETECTOR_RECONFIGURE_PATHS = [
    "frequency", "kmsKeyArn", "metricSet.description", "metricSet.metrics", "metricSet.dimensions", "metricSet.dimensionFilters",
    "metricSet.source", "metricSet.timestampColumn",
] as const;
/** Every change that is an update unless `replacingChanges` says this particular change cannot be applied. */
export const DETECTOR_UPDATE_PATHS = [...DETECTOR_LIVE_PATHS, ...DETECTOR_RECONFIGURE_PATHS] as const;

/**
 * Changes to updatable fields that no update request can express, so they replace the detector (inputs as
 * `normalizeDetector` writes them; `olds.status` is the status last seen by create/update/refresh).
 */
export function replacingChanges(olds: Partial<AnomalyDetectorOutputs>, news: Partial<AnomalyDetectorInputs>): string[] {
    const out: string[] = [];
    const removed = (p: string): boolean => at(olds, p) !== undefined && at(news, p) === undefined;
    // Omitting KmsKeyArn leaves the key as it is; and a failed detector's key cannot be changed at all.
    if (removed("kmsKeyArn") || (olds.status === "FAILED" && changedPaths(olds, news, ["kmsKeyArn"]).length > 0)) out.push("kmsKeyArn");
    // Another source type (or one not known yet in preview): see the top of this file.
    if (canonical(at(olds, "metricSet.source.type")) !== canonical(at(news, "metricSet.source.type"))) out.push("metricSet.source");
    const [od, nd] = [at(olds, "metricSet.dimensions"), at(news, "metricSet.dimensions")];
    if (Array.isArray(od) && od.length > 0 && Array.isArray(nd) && nd.length === 0) out.push("metricSet.dimensions");
    if (removed("metricSet.dimensionFilters")) out.push("metricSet.dimensionFilters");
    if (removed("metricSet.timestampColumn")) out.push("metricSet.timestampColumn");
    return out;
}

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

// ---- update requests (pure, exported for tests) ----------------------------------------------------------------

/** Detector statuses in which the detector is running; an update that reconfigures it deactivates it first. */
const RUNNING: Readonly<Record<string, ActivationMode>> = {
    ACTIVE: "live", LEARNING: "live", ACTIVATING: "live", BACK_TEST_ACTIVATING: "backtest", BACK_TEST_ACTIVE: "backtest",
};
/** Statuses that are still moving: wait for them to settle before reconfiguring. */
const SETTLING = ["DEACTIVATING"];

export interface DetectorUpdatePlan {
    /** The UpdateAnomalyDetector request, when a detector member changed. */
    detector?: UpdateAnomalyDetectorCommandInput;
    /** The UpdateMetricSet request, when a metric set member changed. */
    metricSet?: UpdateMetricSetCommandInput;
    /** True when a change needs the detector deactivated (anything beyond its description and the offset). */
    reconfigure: boolean;
    /** True when the tags changed. */
    tags: boolean;
}

/** The requests that take the detector from `olds` to `news`, each with only the members that changed. */
export function detectorUpdatePlan(olds: AnomalyDetectorOutputs, news: AnomalyDetectorInputs, live?: { metricSetFrequency?: string }): DetectorUpdatePlan {
    const [a, b] = [normalizeDetector(olds), normalizeDetector(news)];
    const changed = new Set<string>(changedPaths(a, b, DETECTOR_UPDATE_PATHS));
    const cannot = replacingChanges(a, b);
    if (cannot.length > 0) {
        // diff turns these into a replacement; reaching update with one is a bug, not something to half-apply.
        throw new Error(`Lookout for Metrics detector "${news.name}": ${cannot.join(", ")} cannot be changed in place; the detector must be replaced`);
    }
    const m = news.metricSet;

    const detector: UpdateAnomalyDetectorCommandInput = { AnomalyDetectorArn: olds.arn };
    if (changed.has("description")) detector.AnomalyDetectorDescription = news.description;
    if (changed.has("kmsKeyArn")) detector.KmsKeyArn = news.kmsKeyArn;
    if (changed.has("frequency")) detector.AnomalyDetectorConfig = { AnomalyDetectorFrequency: news.frequency };

    const ms: UpdateMetricSetCommandInput = { MetricSetArn: olds.metricSetArn };
    if (changed.has("metricSet.description")) ms.MetricSetDescription = m.description;
    if (changed.has("metricSet.metrics")) ms.MetricList = apiMetrics(m);
    if (changed.has("metricSet.dimensions")) ms.DimensionList = [...m.dimensions];
    if (changed.has("metricSet.dimensionFilters")) ms.DimensionFilterList = apiDimensionFilters(m);
    // With the live metric set at hand (reconciling), its frequency is checked on its own: a partly failed update
    // can leave it different from the detector's.
    const metricSetFrequency = live ? live.metricSetFrequency !== news.frequency : changed.has("frequency");
    if (metricSetFrequency) ms.MetricSetFrequency = news.frequency;
    if (changed.has("metricSet.source")) ms.MetricSource = apiMetricSource(m.source);
    if (changed.has("metricSet.timestampColumn")) ms.TimestampColumn = apiTimestampColumn(m);
    // The API takes an offset only for S3 (and database) sources.
    if (changed.has("metricSet.offsetSeconds") && m.source.type === "s3") ms.Offset = m.offsetSeconds ?? 0;

    return {
        detector: Object.keys(detector).length > 1 ? detector : undefined,
        metricSet: Object.keys(ms).length > 1 ? ms : undefined,
        reconfigure: DETECTOR_RECONFIGURE_PATHS.some((p) => changed.has(p)) || metricSetFrequency,
        tags: changed.has("tags") || changed.has("owner"),
    };
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
    c.str("owner", { required: true, min: 1, max: 256, pattern: TAG_VALUE, rule: "is not a valid tag value (letters, digits, spaces, _.:/=+-@)" });
    c.int("activationTimeoutSeconds", 1, 86400, false);
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

/** What an update waits for deactivation and reactivation when the inputs set no `activationTimeoutSeconds`. */
const DEFAULT_ACTIVATION_TIMEOUT_SECONDS = 900;

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

/** An error that already carries partial state for the engine (see `partialFailure`). */
function hasPartialState(err: unknown): boolean {
    return typeof err === "object" && err !== null && typeof (err as { id?: unknown }).id === "string" && "properties" in err;
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

/** The ARN of the detector named `name` in the client's region (ListAnomalyDetectors, every page), if any. */
async function findDetector(lm: LookoutMetricsClient, name: string): Promise<string | undefined> {
    let token: string | undefined;
    do {
        const page = await lm.send(new ListAnomalyDetectorsCommand({ MaxResults: 100, NextToken: token }));
        const hit = (page.AnomalyDetectorSummaryList ?? []).find((d) => d.AnomalyDetectorName === name);
        if (hit?.AnomalyDetectorArn) return hit.AnomalyDetectorArn;
        token = page.NextToken;
    } while (token);
    return undefined;
}

async function listMetricSets(lm: LookoutMetricsClient, detectorArn: string): Promise<{ name: string; arn: string }[]> {
    const out: { name: string; arn: string }[] = [];
    let token: string | undefined;
    do {
        const page = await lm.send(new ListMetricSetsCommand({ AnomalyDetectorArn: detectorArn, MaxResults: 100, NextToken: token }));
        for (const m of page.MetricSetSummaryList ?? []) if (m.MetricSetArn) out.push({ name: m.MetricSetName ?? "", arn: m.MetricSetArn });
        token = page.NextToken;
    } while (token);
    return out;
}

interface LiveDetector {
    outs: AnomalyDetectorOutputs;
    /** The metric set's own frequency (a partly failed update can leave it different from the detector's). */
    metricSetFrequency?: string;
}

/**
 * The detector and its metric set as the service describes them, on the inputs' shape (`prior` fills what the API
 * does not return). Undefined when the detector does not exist; `metricSetArn` is "" when the metric set does not.
 */
async function liveDetector(lm: LookoutMetricsClient, arn: string, prior: AnomalyDetectorInputs, metricSetArn: string): Promise<LiveDetector | undefined> {
    let detector;
    try {
        detector = await lm.send(new DescribeAnomalyDetectorCommand({ AnomalyDetectorArn: arn }));
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
    }
    let metricSet: MetricSetSpec = prior.metricSet;
    let metricSetFrequency: string | undefined;
    let liveMetricSetArn = metricSetArn;
    if (metricSetArn) {
        try {
            const d = await lm.send(new DescribeMetricSetCommand({ MetricSetArn: metricSetArn }));
            metricSet = metricSetFromApi(d, prior.metricSet);
            metricSetFrequency = d.MetricSetFrequency;
        } catch (err) {
            if (!isNotFound(err)) throw err;
            liveMetricSetArn = "";
        }
    }
    const tagged = (await lm.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags;
    return {
        metricSetFrequency,
        outs: {
            ...prior,
            arn,
            name: detector.AnomalyDetectorName ?? prior.name,
            description: detector.AnomalyDetectorDescription ?? prior.description,
            frequency: (detector.AnomalyDetectorConfig?.AnomalyDetectorFrequency ?? prior.frequency) as Frequency,
            kmsKeyArn: prior.kmsKeyArn === undefined ? undefined : detector.KmsKeyArn,
            tags: userTags(tagged),
            owner: tagged?.[OWNER_TAG] as string,
            metricSet,
            metricSetArn: liveMetricSetArn,
            status: detector.Status,
        },
    };
}

/**
 * Creates the metric set of a detector just created. Create is all or nothing: if the metric set is rejected the
 * detector is deleted again; if that fails too, the detector is handed to the engine as partial state (it is
 * recorded without a metric set, and the next `pulumi up` replaces it), never left outside the state.
 */
async function createMetricSetFor(lm: LookoutMetricsClient, arn: string, inputs: AnomalyDetectorInputs, o: ResolvedOptions) {
    let metricSetArn: string;
    try {
        const ms = await retryOnRolePropagation(() => lm.send(new CreateMetricSetCommand(createMetricSetRequest(inputs, arn))), o);
        if (!ms.MetricSetArn) throw new Error(`CreateMetricSet returned no ARN for "${inputs.metricSet.name}"`);
        metricSetArn = ms.MetricSetArn;
    } catch (err) {
        try {
            await deleteDetector(lm, arn, inputs.name, o);
        } catch (cleanup) {
            throw partialFailure(
                `${messageOf(err)}; deleting the detector "${inputs.name}" (${arn}) again failed too (${messageOf(cleanup)}): ` +
                `it stays in the stack's state without a metric set, and the next pulumi up replaces it`,
                arn, { ...inputs, arn, metricSetArn: "" },
            );
        }
        throw err;
    }
    return { id: arn, outs: { ...inputs, arn, metricSetArn } };
}

/**
 * Takes over this stack's detector found by name (owner tag checked by the caller). With its metric set, it is
 * reconciled to the inputs by an update (so whatever it has learned is kept). Without one, or with another metric
 * set, or differing in something only a new detector can change, it is deleted and `undefined` returned: the
 * caller creates it afresh.
 */
async function adoptDetector(lm: LookoutMetricsClient, arn: string, inputs: AnomalyDetectorInputs, cause: unknown, o: ResolvedOptions) {
    const sets = await listMetricSets(lm, arn);
    const mine = sets.length === 1 && sets[0].name === inputs.metricSet.name ? sets[0] : undefined;
    const live = mine ? await liveDetector(lm, arn, inputs, mine.arn) : undefined;
    const a = live && normalizeDetector(live.outs);
    const b = normalizeDetector(inputs);
    if (!mine || !live || !a || replacingChanges(a, b).length > 0 || changedPaths(a, b, DETECTOR_REPLACE_PATHS).length > 0) {
        await deleteDetector(lm, arn, inputs.name, o);
        return undefined;
    }
    try {
        const outs = await applyUpdate(lm, arn, { ...live.outs, reconcile: true }, inputs, o, live);
        return { id: arn, outs };
    } catch (err) {
        if (hasPartialState(err)) throw err;
        throw partialFailure(
            `detector "${inputs.name}" (${arn}) already existed (${messageOf(cause)}) and is this stack's; ` +
            `bringing it to the desired state failed: ${messageOf(err)}`,
            arn, reconcileState({ ...live.outs }, inputs),
        );
    }
}

/**
 * Takes the detector from `olds` to `news` (see the top of this file). `olds.reconcile` (outputs recorded after a
 * failed create or update) means the outputs may not match the service: the live detector and metric set are
 * read and the plan is made from them, the metric set frequency checked on its own, and a detector that was
 * running before the failure is running again afterwards. A failure after anything changed on the service is
 * reported with partial state (`reconcile` set), so the engine keeps the resource and the next update converges.
 */
async function applyUpdate(lm: LookoutMetricsClient, id: string, olds: AnomalyDetectorOutputs, news: AnomalyDetectorInputs, o: ResolvedOptions, known?: LiveDetector): Promise<AnomalyDetectorOutputs> {
    let base: AnomalyDetectorOutputs = { ...olds, arn: id };
    let live: { metricSetFrequency?: string } | undefined;
    // The status to come back to: for a reconciliation, the one before the failed operation.
    let before = olds.status;
    if (olds.reconcile) {
        const l = known ?? await liveDetector(lm, id, olds, olds.metricSetArn);
        if (!l) throw new Error(`Lookout for Metrics detector "${news.name}" (${id}) no longer exists; run pulumi refresh, then pulumi up to create it again`);
        base = { ...l.outs, arn: id, metricSetArn: l.outs.metricSetArn };
        live = { metricSetFrequency: l.metricSetFrequency };
    }
    const plan = detectorUpdatePlan(base, news, live);
    let status = base.status;
    let restore: ActivationMode | undefined;
    let touched = false;
    let reactivated = false;
    const activation = (mode: ActivationMode) => ({
        providerVersion: news.providerVersion, region: news.region, detectorArn: id, mode,
        timeoutSeconds: news.activationTimeoutSeconds ?? DEFAULT_ACTIVATION_TIMEOUT_SECONDS,
    });
    const pending = `the detector "${news.name}" (${id}) may be left inactive or partly updated; the next pulumi up reconciles it`;

    try {
        if (plan.reconfigure) {
            // Only the description and the offset can change while the detector runs: deactivate it first.
            const d = await lm.send(new DescribeAnomalyDetectorCommand({ AnomalyDetectorArn: id }));
            status = d.Status ?? "unknown";
            if (status === "DELETING") throw new Error(`Lookout for Metrics detector "${news.name}" (${id}) is being deleted and cannot be updated`);
            if (status === "FAILED" && plan.detector?.KmsKeyArn !== undefined) {
                throw new Error(
                    `Lookout for Metrics detector "${news.name}" (${id}) has FAILED, and a failed detector's KMS key cannot be changed; ` +
                    `run pulumi refresh, then pulumi up, to replace the detector`,
                );
            }
            if (!olds.reconcile) before = status;
            restore = RUNNING[status];
            if (restore !== undefined || SETTLING.includes(status)) {
                touched = true;
                await ensureInactive(activation(restore ?? "live"), o);
            }
        }
        if (plan.detector) {
            touched = true;
            await lm.send(new UpdateAnomalyDetectorCommand(plan.detector));
        }
        if (plan.metricSet) {
            touched = true;
            await lm.send(new UpdateMetricSetCommand(plan.metricSet));
        }
        // A reconciliation brings back a detector the failed operation left inactive.
        restore ??= olds.reconcile ? RUNNING[before ?? ""] : undefined;
        if (restore !== undefined) {
            touched = true;
            reactivated = true; // tried: a failure here is not retried below
            status = (await ensureActive(activation(restore), o)).Status ?? "unknown";
        }
        if (plan.tags || olds.reconcile) {
            const [from, to] = [ownedTags(base.tags, base.owner), ownedTags(news.tags, news.owner)];
            const changes = tagChanges(from, to);
            if (changes.remove.length > 0 || Object.keys(changes.set).length > 0) {
                touched = true;
                await syncTags(lm, id, from, to);
                await syncTags(lm, base.metricSetArn, from, to);
            }
        }
    } catch (err) {
        if (!touched) throw err;
        let message = messageOf(err);
        // Put the detector back to work as it was before failing the update.
        if (restore !== undefined && !reactivated) {
            try {
                await ensureActive(activation(restore), o);
            } catch (again) {
                message += `; activating the detector again failed too: ${messageOf(again)}`;
            }
        }
        throw partialFailure(`${message}; ${pending}`, id, reconcileState(olds, news, { status: before ?? status }));
    }
    return { ...news, arn: id, metricSetArn: base.metricSetArn, status };
}

export function anomalyDetectorProvider(options?: ProviderOptions): pulumi.dynamic.ResourceProvider<AnomalyDetectorInputs, AnomalyDetectorOutputs> {
    const o = resolveOptions(options);
    return {
        async check(_olds, news) {
            return { inputs: news, failures: checkDetectorInputs(news) };
        },

        async diff(_id, olds, news) {
            const [a, b] = [normalizeDetector(olds), normalizeDetector(news)];
            const replaces = [...changedPaths(a, b, DETECTOR_REPLACE_PATHS), ...replacingChanges(a, b)];
            // A metric set that disappeared (seen on refresh) can only come back with a new detector.
            if (!olds.metricSetArn && !replaces.includes("metricSet.name")) replaces.push("metricSet.name");
            const updates = changedPaths(a, b, DETECTOR_UPDATE_PATHS);
            // Outputs recorded after a failed create/update may not match the service: always update once.
            const changes = replaces.length > 0 || updates.length > 0 || olds.reconcile === true;
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
            for (let round = 1; ; round++) {
                let arn: string | undefined;
                try {
                    arn = (await lm.send(new CreateAnomalyDetectorCommand(createDetectorRequest(inputs)))).AnomalyDetectorArn;
                    if (!arn) throw new Error(`CreateAnomalyDetector returned no ARN for "${inputs.name}"`);
                } catch (err) {
                    // A lost response (created, then a 5xx; the SDK's retry gets ConflictException) or a detector
                    // left by an earlier failed create: find it by name, and adopt it only if it is this stack's.
                    if (arn !== undefined || !mayHaveCreated(err)) throw err;
                    const found = await findDetector(lm, inputs.name).catch((lookup: unknown) => {
                        throw new Error(`${messageOf(err)}; looking the detector "${inputs.name}" up by name (to adopt it if this stack created it) failed too: ${messageOf(lookup)}`);
                    });
                    if (!found) throw err;
                    const owner = await ownerOf(lm, found);
                    if (owner !== inputs.owner) throw notOurs("anomaly detector", inputs.name, found, owner, inputs.owner);
                    const adopted = await adoptDetector(lm, found, inputs, err, o);
                    if (adopted) return adopted;
                    if (round > 1) throw err;
                    continue; // deleted as unusable: create it afresh, once
                }
                return createMetricSetFor(lm, arn, inputs, o);
            }
        },

        async update(id, olds, news) {
            return { outs: await applyUpdate(client(news.region), id, olds, news, o) };
        },

        async read(id, props) {
            const prior = props as AnomalyDetectorOutputs;
            const live = await liveDetector(client(prior.region), id, prior, prior.metricSetArn);
            if (!live) return {};
            // A metric set at another frequency than its detector (a partly failed update): reconcile on the next up.
            const split = live.metricSetFrequency !== undefined && live.metricSetFrequency !== live.outs.frequency;
            return { id, props: { ...live.outs, reconcile: split ? true : undefined } };
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
