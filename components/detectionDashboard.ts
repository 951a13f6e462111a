// The detection dashboard (both engines): WAF blocked requests per rule and the ecommerce series, each with its
// expected band where the cloudwatch engine runs; pipeline and alert-path health; alarm states.
//
// The body is built here as typed JSON (CloudWatch "Dashboard Body Structure and Syntax") rather than with
// `awsx.classic.cloudwatch`. The classic widgets can express a band (ExpressionWidgetMetric) and an alarm status
// widget, but: (1) an alarm status widget takes 1–100 alarm ARNs known when the widget is constructed, while the
// ARNs arrive as one Output list — empty for the lookout engine, over 100 on larger configs — so the widget set
// must be decided inside an apply; (2) expression rows there carry only expression, label and id (no period, so
// the graph's band cannot be pinned to the alarm's period and model); (3) the classic namespace is frozen ("will
// only receive updates for critical security fixes" and goes away in the next major version, awsx README). A
// small typed builder keeps the body checkable in tests and identical to the alarms' metric math.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Engine, FREQUENCY_SECONDS, Frequency } from "../config";
import { EcommerceSeries, QUERY_IDS, STATISTIC, WAF_METRIC_NAME, WAF_NAMESPACE, WATCHED_MEASURES, bandExpression, ecommerceSeries, fillExpression, orderValueExpression } from "./cloudwatchDetection";
import { LOOKOUT_WAF_INTERVAL_SECONDS, detectionLatency, firehoseS3DeliverySeconds } from "../model/detectionLatency";
import {
    EcommerceSeriesOptions, EcommerceSeriesSettings, METRIC_DIMENSION_NAMES, METRIC_NAMES, METRIC_NAMESPACE, ORDER_VALUE_LOG_METRIC_NAME, resolveEcommerceSeries,
} from "../model/ecommerceSchema";
import { TimingSettings } from "../model/detectionLatency";
import {
    AOV_MIN_CHECKOUTS, SPARSE_PERIOD_SECONDS, aovAlarmTiming, aovBandWidth, aovMinCheckouts, isSparseSeries, seriesBandWidth, seriesPeriodSeconds,
} from "../model/alarmTiming";
import { regionOf, stackScope, StackScopeArgs } from "../model/stackScope";
import { WatchedWebAcl, wafSeries } from "../model/wafTargets";

// ---- what the dashboard shows -------------------------------------------------------------------------------

/** The detection settings the dashboard mirrors (graphs, bands, latency figures); defaults as the engines'. */
export interface DashboardOptions extends StackScopeArgs {
    /** Region of the graphed metrics. Default: `aws:region`. */
    region?: string;
    /** Default `cloudwatch` (graphs carry the alarms' band). */
    engine?: Engine;
    /** Default 2. */
    bandWidth?: number;
    /** Default 60. */
    wafPeriodSeconds?: number;
    /** The ecommerce alarms' period. Default 60. */
    ecommercePeriodSeconds?: number;
    /** The sparse series' alarms' period (revenue by platform / marketplace). Default 300. */
    sparsePeriodSeconds?: number;
    /**
     * The worst-case latency to print in the header. The cloudwatch engine's figure is the detection simulation
     * of its alarms (the stack output `detectionLatencySeconds`); without it the header leaves it out. The lookout
     * figure is computed here when not given.
     */
    latency?: { wafSeconds: number; ecommerceSeconds: number; redshiftSeconds?: number };
    /** The ecommerce interval. Default `PT5M`. */
    frequency?: Frequency;
    /** Lookout engine: the ecommerce detector's offset. Default 180. */
    offsetSeconds?: number;
    /** The pipeline's Firehose S3 buffer interval. Default 60. */
    bufferingIntervalSeconds?: number;
    /** The watched ecommerce series. */
    ecommerce?: EcommerceSeriesOptions;
}

/** DashboardOptions with defaults applied, in the shape the timing model reads. */
export interface DashboardSettings extends TimingSettings {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly detection: TimingSettings["detection"] & { readonly bandWidth: number; readonly wafPeriodSeconds: number; readonly ecommercePeriodSeconds: number; readonly sparsePeriodSeconds: number };
    readonly latency?: { readonly wafSeconds: number; readonly ecommerceSeconds: number; readonly redshiftSeconds?: number };
    readonly series: EcommerceSeriesSettings;
}

export function dashboardSettings(o: DashboardOptions): DashboardSettings {
    const { project, stack } = stackScope(o);
    const frequency = o.frequency ?? "PT5M";
    return {
        project,
        stack,
        region: regionOf(o.region, "DetectionDashboard"),
        detection: {
            engine: o.engine ?? "cloudwatch",
            bandWidth: o.bandWidth ?? 3,
            frequency,
            intervalSeconds: FREQUENCY_SECONDS[frequency],
            wafPeriodSeconds: o.wafPeriodSeconds ?? 60,
            ecommercePeriodSeconds: o.ecommercePeriodSeconds ?? 60,
            sparsePeriodSeconds: o.sparsePeriodSeconds ?? SPARSE_PERIOD_SECONDS,
            offsetSeconds: o.offsetSeconds ?? 180,
        },
        latency: o.latency,
        pipeline: { bufferingIntervalSeconds: o.bufferingIntervalSeconds ?? 60 },
        series: resolveEcommerceSeries(o.ecommerce, stack),
    };
}

// ---- typed dashboard body ------------------------------------------------------------------------------------

export type Stat = "Sum" | "Maximum" | "Average";

/** Rendering properties of one row of a metric widget's `metrics` array. */
export interface RenderingProperties {
    id?: string;
    label?: string;
    visible?: boolean;
    stat?: Stat;
    period?: number;
    yAxis?: "left" | "right";
}

/** `[Namespace, MetricName, DimName1, DimValue1, ..., {rendering}]`. */
export type MetricRow = [string, string, ...Array<string | RenderingProperties>];

export interface ExpressionRow extends RenderingProperties {
    expression: string;
    id: string;
}

export type MetricsEntry = MetricRow | [ExpressionRow];

export interface HorizontalAnnotation {
    value: number;
    label: string;
}

export interface MetricWidgetProperties {
    title: string;
    region: string;
    view: "timeSeries";
    stacked: false;
    period: number;
    stat: Stat;
    metrics: MetricsEntry[];
    yAxis?: { left?: { min?: number; label?: string }; right?: { min?: number; label?: string } };
    annotations?: { horizontal: HorizontalAnnotation[] };
}

interface Placed {
    x: number;
    y: number;
    width: number;
    height: number;
}

export interface MetricWidget extends Placed {
    type: "metric";
    properties: MetricWidgetProperties;
}

export interface AlarmWidget extends Placed {
    type: "alarm";
    properties: { title: string; alarms: string[]; sortBy: "stateUpdatedTimestamp" };
}

export interface TextWidget extends Placed {
    type: "text";
    properties: { markdown: string };
}

export type Widget = MetricWidget | AlarmWidget | TextWidget;

export interface DashboardBody {
    start: string;
    periodOverride: "inherit";
    widgets: Widget[];
}

/** A widget before layout: its size and content. */
export type Unplaced = Omit<MetricWidget, "x" | "y"> | Omit<AlarmWidget, "x" | "y"> | Omit<TextWidget, "x" | "y">;

/** Dashboard grid width (CloudWatch: 24 columns). */
export const GRID_COLUMNS = 24;
/** An alarm status widget holds 1–100 alarm ARNs. */
export const ALARMS_PER_WIDGET = 100;
const GRAPH = { width: 6, height: 6 } as const;

/** Places sections top to bottom; widgets within a section flow left to right and wrap at 24 columns. */
export function layout(sections: Unplaced[][]): Widget[] {
    const out: Widget[] = [];
    let y = 0;
    for (const section of sections) {
        let x = 0;
        let rowHeight = 0;
        for (const w of section) {
            if (w.width > GRID_COLUMNS) throw new Error(`widget "${title(w)}" is wider than the grid`);
            if (x + w.width > GRID_COLUMNS) {
                y += rowHeight;
                x = 0;
                rowHeight = 0;
            }
            out.push({ ...w, x, y } as Widget);
            x += w.width;
            rowHeight = Math.max(rowHeight, w.height);
        }
        y += rowHeight;
    }
    return out;
}

function title(w: Unplaced): string {
    return w.type === "text" ? w.properties.markdown.slice(0, 40) : w.properties.title;
}

export function metricRow(namespace: string, name: string, dimensions: Record<string, string>, props: RenderingProperties): MetricRow {
    const row: MetricRow = [namespace, name];
    for (const [k, v] of Object.entries(dimensions)) row.push(k, v);
    row.push(props);
    return row;
}

export function expressionRow(expression: string, id: string, props: RenderingProperties = {}): [ExpressionRow] {
    return [{ expression, id, ...props }];
}

function text(markdown: string, height: number): Omit<TextWidget, "x" | "y"> {
    return { type: "text", width: GRID_COLUMNS, height, properties: { markdown } };
}

function graph(config: { region: string }, t: string, period: number, stat: Stat, metrics: MetricsEntry[], extra: Partial<MetricWidgetProperties> = {}): Omit<MetricWidget, "x" | "y"> {
    return {
        type: "metric",
        ...GRAPH,
        properties: { title: t, region: config.region, view: "timeSeries", stacked: false, period, stat, metrics, ...extra },
    };
}

/**
 * The rows of one watched series, mirroring the alarm's metric math (same ids, expressions, period and
 * statistic) so the graph's band is the alarm's model: the raw metric (hidden), FILL(m1, 0), and — with the
 * cloudwatch engine — ANOMALY_DETECTION_BAND(e1, width).
 */
export function watchedSeriesRows(namespace: string, metricName: string, dimensions: Record<string, string>, label: string, period: number, bandWidth: number | undefined): MetricsEntry[] {
    const rows: MetricsEntry[] = [
        metricRow(namespace, metricName, dimensions, { id: QUERY_IDS.metric, visible: false, stat: STATISTIC, period }),
        expressionRow(fillExpression(QUERY_IDS.metric), QUERY_IDS.filled, { label, period }),
    ];
    if (bandWidth !== undefined) {
        rows.push(expressionRow(bandExpression(QUERY_IDS.filled, bandWidth), QUERY_IDS.band, { label: `Expected ${label}`, period }));
    }
    return rows;
}


/** The title of a revenue series' order-value graph: `Typical order value (total): mean ln(1 + order value)`. */
export function orderValueTitle(s: Pick<EcommerceSeries, "dimension" | "value">): string {
    const where = s.dimension === undefined ? "total" : `${METRIC_DIMENSION_NAMES[s.dimension]}=${s.value}`;
    return `Typical order value (${where}): mean ln(1 + order value)`;
}

/**
 * The rows of one revenue series' typical order value — the mean of ln(1 + order value) over a period's checkouts,
 * the log of the geometric-mean order value — mirroring its order-value alarms' metric math
 * (components/cloudwatchDetection.ts ratioQueries: same ids, expressions, period, statistic, label): OrderValueLog
 * (m1, Σ ln(1 + order value)) and Checkouts (m2) hidden, e1 = orderValueExpression(minCheckouts), and — with the
 * cloudwatch engine — each child's band: the spike child's ANOMALY_DETECTION_BAND(e1, spike width) as ad1 (its id in
 * the alarm), the drop child's as ad2 when its width differs (one graph cannot hold two ad1 rows; the model is e1's,
 * the same for both, only the width differs).
 */
export function orderValueRows(namespace: string, dimensions: Record<string, string>, label: string, period: number, minCheckouts: number, bands: { spike: number; drop: number } | undefined): MetricsEntry[] {
    const rows: MetricsEntry[] = [
        metricRow(namespace, ORDER_VALUE_LOG_METRIC_NAME, dimensions, { id: QUERY_IDS.metric, visible: false, stat: STATISTIC, period }),
        metricRow(namespace, METRIC_NAMES.checkouts, dimensions, { id: QUERY_IDS.denominator, visible: false, stat: STATISTIC, period }),
        expressionRow(orderValueExpression(minCheckouts), QUERY_IDS.filled, { label, period }),
    ];
    if (bands) {
        rows.push(expressionRow(bandExpression(QUERY_IDS.filled, bands.spike), QUERY_IDS.band, { label: `Expected ${label} (spike alarm, ${bands.spike} sd)`, period }));
        if (bands.drop !== bands.spike) rows.push(expressionRow(bandExpression(QUERY_IDS.filled, bands.drop), "ad2", { label: `Expected ${label} (drop alarm, ${bands.drop} sd)`, period }));
    }
    return rows;
}

/** Names the dashboard needs, resolved. */
export interface DashboardTargets {
    /** The watched web ACLs, names resolved: one graph per series (each ACL's total and its rules). */
    webAcls: readonly (WatchedWebAcl & { name: string })[];
    deliveryStreamName: string;
    transformFunctionName: string;
    streamName: string;
    findingFunctionName: string;
    deadLetterQueueName: string;
    alarmArns: string[];
    /**
     * Whether the pipeline transform emits the ecommerce EMF metrics. Default: only with the cloudwatch engine
     * (handlers/ecommerceTransform.ts emits none for Lookout for Metrics, which reads the rows from S3).
     */
    ecommerceMetrics?: boolean;
    /** Sections of the optional sources (Redshift, DevOps Guru), placed after the ecommerce series. */
    sourceSections?: Unplaced[][];
}

/** The dashboard body for these settings (`dashboardSettings(options)`) and these resolved names. Pure. */
export function dashboardBody(config: DashboardSettings, t: DashboardTargets): DashboardBody {
    const cloudwatch = config.detection.engine === "cloudwatch";
    const band = cloudwatch ? config.detection.bandWidth : undefined;
    const latency = config.latency ?? (cloudwatch ? undefined : detectionLatency(config));
    const sections: Unplaced[][] = [];

    sections.push([text([
        `# Edge anomaly detection — stack ${config.stack}`,
        cloudwatch
            ? `Engine **cloudwatch**: CloudWatch anomaly detection alarms (band ${config.detection.bandWidth} standard deviations; revenue by platform / marketplace ${seriesBandWidth(config.detection.bandWidth, { measure: "revenue", dimension: "platform" })} at ${config.detection.sparsePeriodSeconds} s) alert the SNS topic, which files Security Hub findings.`
            : `Engine **lookout**: Amazon Lookout for Metrics detectors alert the SNS topic and the finding Lambda (Lookout for Metrics reached end of support in 2025). Graphs show the watched metrics without bands.`,
        latency
            ? `Worst-case detection latency: WAF ${latency.wafSeconds} s, ecommerce ${latency.ecommerceSeconds} s${cloudwatch ? " (npm run simulate, noise-free worst case)" : ""}`
                + `${"redshiftSeconds" in latency && latency.redshiftSeconds !== undefined ? `, Redshift ${latency.redshiftSeconds} s (interval, schedule delay, statement wait, ${cloudwatch ? "alarm M of N" : "Lookout processing"})` : ""}.`
            : "Worst-case detection latency: see the stack output detectionLatencySeconds.",
    ].join("\n\n"), 3)]);

    // Alarm status: the engine's alarms (cloudwatch) and the alert path's own (DLQ depth), with either engine.
    {
        const arns = [...t.alarmArns];
        if (arns.length > 0) {
            const widgets: Unplaced[] = [];
            for (let i = 0; i < arns.length; i += ALARMS_PER_WIDGET) {
                const chunk = arns.slice(i, i + ALARMS_PER_WIDGET);
                widgets.push({
                    type: "alarm",
                    width: GRID_COLUMNS,
                    height: Math.min(12, 2 + Math.ceil(chunk.length / 4)),
                    properties: {
                        title: arns.length > ALARMS_PER_WIDGET
                            ? `Alarms ${i + 1}–${i + chunk.length} of ${arns.length}`
                            : `Alarms (${arns.length})`,
                        alarms: chunk,
                        sortBy: "stateUpdatedTimestamp",
                    },
                });
            }
            sections.push(widgets);
        }
    }

    // The period each engine looks at: the alarms' period, or the Lookout WAF detector's interval.
    const wafPeriod = cloudwatch ? config.detection.wafPeriodSeconds : LOOKOUT_WAF_INTERVAL_SECONDS;
    sections.push([
        text(`## AWS WAF blocked requests per rule (${wafPeriod} s, missing = 0)${cloudwatch ? ", with the expected band" : ""}`, 1),
        ...wafSeries(t.webAcls, config.region).map((w) => graph({ region: w.region },
            t.webAcls.length > 1 ? `Blocked requests — ${w.acl.name as string} ${w.rule}` : `Blocked requests — ${w.rule}`, wafPeriod, STATISTIC,
            watchedSeriesRows(WAF_NAMESPACE, WAF_METRIC_NAME, w.dimensions as Record<string, string>, `BlockedRequests ${w.rule} (missing = 0)`, wafPeriod, band),
            { yAxis: { left: { min: 0 } } })),
    ]);

    // Each series at its alarms' period and band width (model/alarmTiming.ts seriesPeriodSeconds / seriesBandWidth,
    // the functions CloudWatchDetection builds the alarms with), so each graph's band is its alarms' model: dense
    // series at detection.ecommercePeriodSeconds, sparse ones (revenue by platform / marketplace) at
    // detection.sparsePeriodSeconds with the wider band.
    const ecoPeriod = config.detection.ecommercePeriodSeconds;
    const ecommerceMetrics = t.ecommerceMetrics ?? cloudwatch;
    if (!ecommerceMetrics) {
        sections.push([text([
            "## Ecommerce views and revenue",
            `The Lookout for Metrics ecommerce detector reads the rows the pipeline writes to S3 (\`ecommerce/live/\`, one folder per ${config.detection.frequency} interval); ` +
            "the transform emits no CloudWatch metrics with this engine. Anomalies and their contributing dimensions are in the Lookout for Metrics console and in the Security Hub findings.",
        ].join("\n\n"), 2)]);
    }
    for (const measure of ecommerceMetrics ? WATCHED_MEASURES : []) {
        const series: EcommerceSeries[] = ecommerceSeries(config.series, measure);
        const sparse = series.some((s) => isSparseSeries(s));
        const periodOf = (s: EcommerceSeries) => seriesPeriodSeconds(config.detection, s);
        const bandOf = (s: EcommerceSeries) => (band === undefined ? undefined : seriesBandWidth(band, s));
        sections.push([
            text(`## Ecommerce ${series[0].metricName} per ${ecoPeriod} s${sparse ? ` (by platform / marketplace per ${config.detection.sparsePeriodSeconds} s: sparse series)` : ""}${cloudwatch ? ", with the expected band" : ""}`, 1),
            ...series.map((s) => graph(config, s.label, periodOf(s), STATISTIC,
                watchedSeriesRows(METRIC_NAMESPACE, s.metricName, s.dimensions, `${s.label} (missing = 0)`, periodOf(s), bandOf(s)),
                { yAxis: { left: { min: 0 } } })),
        ]);
        // Revenue series: their typical order value, the order-value children's metric (OrderValueLog / Checkouts at
        // the children's period and minimum checkouts: model/alarmTiming.ts aovAlarmTiming, aovMinCheckouts), with
        // both children's bands. A series' spike and drop children share period and threshold (they differ in width).
        if (measure === "revenue") {
            const aovPeriodOf = (s: EcommerceSeries) => aovAlarmTiming(config.detection, "spike", s).periodSeconds;
            const dense = series.find((s) => !isSparseSeries(s));
            const sparseOne = series.find((s) => isSparseSeries(s));
            const periods = [dense && `${aovPeriodOf(dense)} s on the total`, sparseOne && `${aovPeriodOf(sparseOne)} s by platform / marketplace`].filter(Boolean).join(", ");
            const minimum = [dense && `${AOV_MIN_CHECKOUTS.dense} on the total`, sparseOne && `${AOV_MIN_CHECKOUTS.sparse} by platform / marketplace`].filter(Boolean).join(", ");
            sections.push([
                text(`## Ecommerce typical order value: mean ln(1 + order value) over each period's checkouts (${ORDER_VALUE_LOG_METRIC_NAME} / Checkouts, the log of the ` +
                    `geometric-mean order value: e^y − 1 is about that value) per ${periods}${cloudwatch ? ", with the bands of its spike and drop alarms (OR'ed into each revenue alarm)" : ""}; ` +
                    `a period with fewer checkouts than its alarms judge (${minimum}) has no point`, 1),
                ...series.map((s) => graph(config, orderValueTitle(s), aovPeriodOf(s), STATISTIC,
                    orderValueRows(METRIC_NAMESPACE, s.dimensions, `${s.label}: mean ln(1 + order value)`, aovPeriodOf(s), aovMinCheckouts(s),
                        band === undefined ? undefined : { spike: aovBandWidth(band, s, "spike"), drop: aovBandWidth(band, s, "drop") }),
                    { yAxis: { left: { min: 0, label: "ln(1 + order value)" } } })),
            ]);
        }
    }

    sections.push(...(t.sourceSections ?? []));

    const health = 60;
    const freshnessAnnotations: HorizontalAnnotation[] = [
        { value: firehoseS3DeliverySeconds(config), label: "worst-case delivery (Lambda buffer + 1.5 × S3 buffer)" },
    ];
    if (!cloudwatch) freshnessAnnotations.push({ value: config.detection.offsetSeconds, label: "detector offset" });
    sections.push([
        text("## Pipeline and alert path health", 1),
        graph(config, "Firehose → S3 data freshness (s)", health, "Maximum", [
            metricRow("AWS/Firehose", "DeliveryToS3.DataFreshness", { DeliveryStreamName: t.deliveryStreamName }, { stat: "Maximum", label: "Oldest record not yet in S3 (s)" }),
        ], { annotations: { horizontal: freshnessAnnotations }, yAxis: { left: { min: 0 } } }),
        graph(config, "Kinesis iterator age (ms)", health, "Maximum", [
            metricRow("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", { StreamName: t.streamName }, { stat: "Maximum", label: "Iterator age (ms)" }),
        ], { yAxis: { left: { min: 0 } } }),
        graph(config, "Transform Lambda errors and throttles", health, "Sum", [
            metricRow("AWS/Lambda", "Errors", { FunctionName: t.transformFunctionName }, { stat: "Sum", label: "Errors" }),
            metricRow("AWS/Lambda", "Throttles", { FunctionName: t.transformFunctionName }, { stat: "Sum", label: "Throttles" }),
        ], { yAxis: { left: { min: 0 } } }),
        graph(config, "Finding Lambda errors and throttles", health, "Sum", [
            metricRow("AWS/Lambda", "Errors", { FunctionName: t.findingFunctionName }, { stat: "Sum", label: "Errors" }),
            metricRow("AWS/Lambda", "Throttles", { FunctionName: t.findingFunctionName }, { stat: "Sum", label: "Throttles" }),
        ], { yAxis: { left: { min: 0 } } }),
        graph(config, "Alert dead-letter queue", health, "Maximum", [
            metricRow("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: t.deadLetterQueueName }, { stat: "Maximum", label: "Messages waiting" }),
            metricRow("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: t.deadLetterQueueName }, { stat: "Maximum", label: "Oldest message age (s)", yAxis: "right" }),
        ], { yAxis: { left: { min: 0 }, right: { min: 0 } } }),
    ]);

    return { start: "-PT12H", periodOverride: "inherit", widgets: layout(sections) };
}

/** Dashboard names allow letters, digits, `-` and `_` (1–255). */
export function dashboardName(config: { project: string; stack: string }): string {
    return `${config.project}-${config.stack}-detection`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

export interface DetectionDashboardArgs extends DashboardOptions {
    /** The watched web ACLs (the same list the engine watches). */
    webAcls: readonly WatchedWebAcl[];
    pipeline: { deliveryStreamName: pulumi.Input<string>; transformFunctionName: pulumi.Input<string>; streamName: pulumi.Input<string> };
    alerts: { findingFunctionName: pulumi.Input<string>; deadLetterQueueName: pulumi.Input<string> };
    /** The alarms whose state the dashboard shows: the cloudwatch engine's and the alert path's DLQ alarm. */
    alarmArns: pulumi.Input<string[]>;
    /** Widgets of the optional sources (components/redshiftMetrics.ts, components/devopsGuruInsights.ts). */
    sourceSections?: pulumi.Input<Unplaced[][]>;
}

export class DetectionDashboard extends pulumi.ComponentResource {
    readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: DetectionDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:detection:DetectionDashboard", name, {}, opts);
        const scope = stackScope(args);
        const settings = dashboardSettings(args);
        const body = pulumi.all([
            pulumi.all(args.webAcls.map((a) => a.name)),
            args.pipeline.deliveryStreamName,
            args.pipeline.transformFunctionName,
            args.pipeline.streamName,
            args.alerts.findingFunctionName,
            args.alerts.deadLetterQueueName,
            args.alarmArns,
            pulumi.output(args.sourceSections ?? []),
        ]).apply(([aclNames, deliveryStreamName, transformFunctionName, streamName, findingFunctionName, deadLetterQueueName, alarmArns, sourceSections]) =>
            JSON.stringify(dashboardBody(settings, {
                webAcls: args.webAcls.map((a, i) => ({ ...a, name: aclNames[i] })),
                deliveryStreamName,
                transformFunctionName,
                streamName,
                findingFunctionName,
                deadLetterQueueName,
                alarmArns,
                sourceSections: sourceSections as Unplaced[][],
            })));
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
            dashboardName: dashboardName(scope),
            dashboardBody: body,
        }, { parent: this });
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({ dashboardName: this.dashboardName });
    }
}
