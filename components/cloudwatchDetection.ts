// The `cloudwatch` detection engine: CloudWatch anomaly detection alarms on metric math, deployable today.
//
// - WAF: per watched series (each watched web ACL's total, Rule=ALL, and each of its rules; model/wafTargets.ts),
//   BlockedRequests (Sum) → FILL(m1, 0) so a minute without blocks counts as 0 (no heartbeat
//   needed) → ANOMALY_DETECTION_BAND(e1, bandWidth); the alarm fires above the band.
// - Ecommerce: per watched measure (Views, Revenue) and per series (the stack total, and each configured
//   platform / marketplace value), the EMF metrics the pipeline transform emits, with the same FILL + band math:
//   a "spike" alarm above the band and a "drop" alarm below it.
//
// CloudWatch creates the anomaly detection model for each alarm's band expression itself (PutMetricAlarm with an
// ANOMALY_DETECTION_BAND threshold on a metric math expression; the model is a MetricMathAnomalyDetector on
// e1). @pulumi/aws has no AnomalyDetector resource, and none is needed for alarms.
//
// Why two alarms per ecommerce series, and why the alarm windows are one datapoint longer than configured: an
// alarm's window ends at the evaluation time, so its newest datapoint(s) are always still filling while the
// metric's data lags (WAF's once-a-minute reporting; EMF behind Firehose's Lambda buffer and log-to-metric
// extraction). A filling datapoint
// undercounts: harmless above the band (it can only delay a spike), but it looks exactly like a drop. So the
// window carries the filling datapoints on top of the configured N, the spike/WAF alarms keep M, and the drop
// alarms need M + filling — M complete breaching datapoints besides the filling ones. The timing model lives in
// model/alarmTiming.ts; model/detectionSim.ts replays these exact specs (`npm run simulate`), and its worst case
// is the `detectionLatencySeconds` output.
//
// Noise floor (composite alarms, actions only on the composite): a WAF alarm is ALARM(band) AND ALARM(floor), the
// floor child being "Sum of BlockedRequests over the band alarm's window ≥ minBlockedRequests"; a drop alarm is
// ALARM(band) AND ALARM(baseline), the baseline child being "Sum over the last hour ≥ 60 × dropBaselineFloor".
// The children have actions enabled and none set (they only feed the composite). Spike alarms stay plain.
//
// Series published in another region (CLOUDFRONT web ACLs: us-east-1) get their band, floor and composite created
// there (the v7 `region` argument), notifying that region's topic (alerts.regionalTopicArns: RegionalAlertRelay).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { EcommerceDimension } from "../config";
import {
    EcommerceSeriesOptions, EcommerceSeriesSettings, METRIC_DIMENSION_NAMES, METRIC_NAMES, METRIC_NAMESPACE, Measure, ORDER_VALUE_LOG_METRIC_NAME, STACK_DIMENSION, resolveEcommerceSeries,
} from "../model/ecommerceSchema";
import {
    AlarmTiming, AlarmTimingSettings, DROP_BASELINE_WINDOW_SECONDS, AOV_SPARSE_MIN_PERIOD_SECONDS, SPARSE_PERIOD_SECONDS, alarmWindowProblem, aovAlarmTiming, aovBandWidth, aovMinCheckouts, dropBaselineThreshold,
    ecommerceAlarmTiming, seriesBandWidth, seriesKindOf, wafAlarmTiming,
} from "../model/alarmTiming";
import { regionOf, stackScope, StackScope, StackScopeArgs } from "../model/stackScope";
import { WAF_TOTAL_RULE, WatchedWebAcl, wafSeries } from "../model/wafTargets";
import { createHash } from "crypto";

export const WAF_NAMESPACE = "AWS/WAFV2";
export const WAF_METRIC_NAME = "BlockedRequests";
/** Statistic of every watched metric: counts and revenue add up within a period. */
export const STATISTIC = "Sum";
/** Measures the ecommerce alarms watch. */
export const WATCHED_MEASURES: readonly Measure[] = ["views", "revenue"];

/**
 * The order-value children's ratio: the period's Σ ln(1 + order value) over its checkouts, judged only when the
 * period holds at least `minCheckouts` checkouts AND carries an OrderValueLog datapoint:
 * `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)` (otherwise a division by zero: no point). The guard (always true
 * where m1 has a value: a sum of ln(1 + v ≥ 0), 0 for free orders included; FILL makes a missing one -1, whether or
 * not a comparison would read it as 0) is for periods with Checkouts but no OrderValueLog — a stack deployed before
 * the transform emitted it has weeks of them — which `m1 / IF(m2 >= n, m2, 0)` reads as 0 ("Missing values in a time
 * series are treated as 0", "Using metric math"), and a new anomaly model trains on the metric's past data: a band
 * at 0. The alarms' e1 (ratioQueries) and the dashboard's graphs (components/detectionDashboard.ts) both use it.
 */
export function orderValueExpression(minCheckouts: number): string {
    const m = QUERY_IDS.metric;
    const d = QUERY_IDS.denominator;
    return `${m} / IF(${d} >= ${Math.max(1, minCheckouts)} AND FILL(${m}, -1) >= 0, ${d}, 0)`;
}

/** Metric math ids shared by the alarms and the dashboard. */
export const QUERY_IDS = { metric: "m1", denominator: "m2", filled: "e1", band: "ad1" } as const;

export function fillExpression(metricId: string): string {
    return `FILL(${metricId}, 0)`;
}

export function bandExpression(expressionId: string, bandWidth: number): string {
    return `ANOMALY_DETECTION_BAND(${expressionId}, ${bandWidth})`;
}

export interface CloudWatchDetectionArgs extends StackScopeArgs {
    /** Region of the watched metrics (the `Region` dimension of AWS/WAFV2). Default: `aws:region`. */
    region?: string;
    /** The watched web ACLs: one alarm set per series (each ACL's total, `Rule=ALL`, and each of its rules). */
    webAcls: readonly WatchedWebAcl[];
    /**
     * Every acting alarm (composites, spike alarms) notifies `topicArn` on ALARM and on OK. Alarms on series
     * published in another region (CLOUDFRONT web ACLs: us-east-1) — band, floor and composite alike — are created
     * there and notify that region's topic in `regionalTopicArns` (an alarm's SNS action must be a topic in the
     * alarm's region).
     */
    alerts: { topicArn: pulumi.Input<string>; regionalTopicArns?: Record<string, pulumi.Input<string>> };
    /** Anomaly band width, standard deviations (> 0). Default 3 (the simulated M-of-N defaults assume it). */
    bandWidth?: number;
    /** Period of the WAF alarms: 60 or a multiple of 60 up to 3600 s. Default 60. */
    wafPeriodSeconds?: number;
    /** Period of the ecommerce alarms (the EMF metrics are stamped per minute): 60 or a multiple of 60 up to 3600 s. Default 60. */
    ecommercePeriodSeconds?: number;
    /**
     * Period of the sparse series' alarms — revenue by platform or marketplace, a few checkouts a minute — 60 or a
     * multiple of 60 up to 3600 s. Default 300 (model/alarmTiming.ts SPARSE_PERIOD_SECONDS): these series are not
     * alarmed per minute.
     */
    sparsePeriodSeconds?: number;
    /** N of "M out of N" (complete datapoints) for every alarm kind. Default: per series kind (model/alarmTiming.ts). */
    evaluationPeriods?: number;
    /** M of "M out of N" for every alarm kind. Default: per series kind. */
    datapointsToAlarm?: number;
    /** A WAF alarm acts only with at least this many blocked requests in its window. Default 20. */
    minBlockedRequests?: number;
    /** A drop alarm acts only when the series averaged at least this much a minute over the last hour. Default views 20, revenue 1500. */
    dropBaselineFloor?: { views?: number; revenue?: number };
    /**
     * The watched ecommerce series (the pipeline transform must emit the same). `false`: watch no ecommerce series
     * (WAF only, e.g. without an EcommercePipeline). Default: the total and the default platforms/marketplaces.
     */
    ecommerce?: EcommerceSeriesOptions | false;
}

export const CLOUDWATCH_DETECTION_DEFAULTS = {
    bandWidth: 3, wafPeriodSeconds: 60, ecommercePeriodSeconds: 60, sparsePeriodSeconds: SPARSE_PERIOD_SECONDS, minBlockedRequests: 20, dropBaselineFloor: { views: 20, revenue: 1500 },
} as const;

/** The args with their defaults applied. */
export interface CloudWatchDetectionSettings {
    readonly scope: StackScope;
    readonly region: string;
    readonly bandWidth: number;
    readonly timing: AlarmTimingSettings;
    readonly minBlockedRequests: number;
    readonly dropBaselineFloor: { readonly views: number; readonly revenue: number };
    readonly series: EcommerceSeriesSettings;
    readonly watchEcommerce: boolean;
}

export function cloudWatchDetectionSettings(args: CloudWatchDetectionArgs): CloudWatchDetectionSettings {
    const d = CLOUDWATCH_DETECTION_DEFAULTS;
    const scope = stackScope(args);
    return {
        scope,
        region: regionOf(args.region, "CloudWatchDetection"),
        bandWidth: args.bandWidth ?? d.bandWidth,
        timing: {
            wafPeriodSeconds: args.wafPeriodSeconds ?? d.wafPeriodSeconds,
            ecommercePeriodSeconds: args.ecommercePeriodSeconds ?? d.ecommercePeriodSeconds,
            sparsePeriodSeconds: args.sparsePeriodSeconds ?? d.sparsePeriodSeconds,
            evaluationPeriods: args.evaluationPeriods,
            datapointsToAlarm: args.datapointsToAlarm,
        },
        minBlockedRequests: args.minBlockedRequests ?? d.minBlockedRequests,
        dropBaselineFloor: {
            views: args.dropBaselineFloor?.views ?? d.dropBaselineFloor.views,
            revenue: args.dropBaselineFloor?.revenue ?? d.dropBaselineFloor.revenue,
        },
        series: resolveEcommerceSeries(args.ecommerce === false ? undefined : args.ecommerce, scope.stack),
        watchEcommerce: args.ecommerce !== false,
    };
}

/** One ecommerce time series the engine watches. */
export interface EcommerceSeries {
    measure: Measure;
    /** EMF metric name (`Views`). */
    metricName: string;
    /** Undefined for the stack total. */
    dimension?: EcommerceDimension;
    value?: string;
    /** CloudWatch dimensions, `Stack` always first. */
    dimensions: Record<string, string>;
    /** Stable, URN-safe key: `views-total`, `views-platform-web`. */
    key: string;
    /** Human label: `Views (total)`, `Views (Platform=web)`. */
    label: string;
}

/** The series of one measure: the total, then each configured value of each configured dimension. */
export function ecommerceSeries(series: EcommerceSeriesSettings, measure: Measure): EcommerceSeries[] {
    const metricName = METRIC_NAMES[measure];
    const out: EcommerceSeries[] = [{
        measure,
        metricName,
        dimensions: { [STACK_DIMENSION]: series.stackDimension },
        key: `${measure}-total`,
        label: `${metricName} (total)`,
    }];
    for (const dimension of series.dimensions as readonly EcommerceDimension[]) {
        const values = dimension === "platform" ? series.platforms : series.marketplaces;
        const dimName = METRIC_DIMENSION_NAMES[dimension];
        for (const value of values) {
            out.push({
                measure,
                metricName,
                dimension,
                value,
                dimensions: { [STACK_DIMENSION]: series.stackDimension, [dimName]: value },
                key: `${measure}-${dimension}-${value}`,
                label: `${metricName} (${dimName}=${value})`,
            });
        }
    }
    return out;
}

/** Every watched ecommerce series, measure by measure. */
export function allEcommerceSeries(series: EcommerceSeriesSettings): EcommerceSeries[] {
    return WATCHED_MEASURES.flatMap((m) => ecommerceSeries(series, m));
}

export type AlarmKind = "waf" | "spike" | "drop";

/** What an alarm watches. */
export interface AlarmTarget {
    label: string;
    /** WAF alarms: the `Rule` dimension. */
    rule?: string;
    /** Ecommerce alarms: the series. */
    series?: { measure: "views" | "revenue"; dimension?: EcommerceDimension; value?: string; key: string };
}

/**
 * The noise-floor child of a composite alarm: a static alarm "Sum of the same metric over the trailing
 * `windowSeconds` ≥ threshold" (period = the window, 1 of 1). The band alarm keeps its shape but loses its
 * actions; the composite `ALARM(band) AND ALARM(gate)` carries them.
 */
export interface GateSpec {
    key: string;
    alarmName: string;
    description: string;
    windowSeconds: number;
    threshold: number;
    /** The band child's name (the composite's own name is AlarmSpec.alarmName). */
    bandAlarmName: string;
    metricQueries: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

/**
 * A second band child OR'ed with the series' own band in the composite: revenue series get one on their typical
 * order value (the mean ln(1 + order value), `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)` = OrderValueLog / Checkouts with
 * a minimum of checkouts; model/alarmTiming.ts aovAlarmTiming),
 * which sees an order-value anomaly in the first complete minute where the revenue band, swamped by the checkout
 * count's noise, needs several. No actions: the composite acts.
 */
export interface CompanionSpec {
    key: string;
    alarmName: string;
    description: string;
    /** The series' own band child (the composite's name is AlarmSpec.alarmName). Equal to gate.bandAlarmName when gated. */
    bandAlarmName: string;
    periodSeconds: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    comparisonOperator: "GreaterThanUpperThreshold" | "LessThanLowerThreshold";
    /** A minute without checkouts has no ratio (division by zero drops the datapoint): it is not a breach. */
    treatMissingData: "notBreaching";
    metricQueries: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

/** Everything about one alarm except the resource itself. */
export interface AlarmSpec {
    kind: AlarmKind;
    target: AlarmTarget;
    /** With a gate, `alarmName` is the composite's and the band alarm is `gate.bandAlarmName`. */
    gate?: GateSpec;
    /** With a companion, `alarmName` is the composite's and the band alarm is `companion.bandAlarmName`. */
    companion?: CompanionSpec;
    /**
     * The region the alarm (band, gate and composite alike) is created in when not the stack's (CLOUDFRONT web
     * ACLs' series: us-east-1).
     */
    region?: string;
    /** Logical-name suffix, unique within the component. */
    key: string;
    alarmName: string;
    description: pulumi.Input<string>;
    comparisonOperator: "GreaterThanUpperThreshold" | "LessThanLowerThreshold";
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: "notBreaching" | "ignore";
    metricQueries: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

/** What declaring one alarm set needs of its spec (CloudWatchDetection's AlarmSpec, RedshiftMetrics' specs alike). */
export type AlarmSetSpec = Pick<AlarmSpec, "gate" | "companion" | "region" | "key" | "alarmName" | "description" | "comparisonOperator"
    | "evaluationPeriods" | "datapointsToAlarm" | "treatMissingData" | "metricQueries">;

/**
 * Declares one alarm spec: its band alarm alone (acting), or — with a gate — the band and gate children (actions
 * enabled with none set: the composite reads their state and alone acts; the policy pack's detection-alarm-actions
 * accepts exactly this) and the composite `ALARM(band) AND ALARM(gate)` that notifies. All in `s.region` when set.
 * Logical names: `<name>-<key>`, `<name>-<gate.key>`, `<name>-<key>-composite`.
 */
export function declareAlarmSet(name: string, s: AlarmSetSpec, a: { topicArns: pulumi.Input<string>[]; tags: Record<string, string>; parent: pulumi.Resource }):
    { alarms: aws.cloudwatch.MetricAlarm[]; composite?: aws.cloudwatch.CompositeAlarm; acting: pulumi.Output<string> } {
    const inRegion = s.region ? { region: s.region } : {};
    const opts = { parent: a.parent };
    const child = s.gate !== undefined || s.companion !== undefined;
    const bandName = s.companion?.bandAlarmName ?? s.gate?.bandAlarmName ?? s.alarmName;
    // A band alarm on its metric math (the series' own band, or its order-value companion): actions only when it acts.
    const bandAlarm = (key: string, alarmName: string, description: pulumi.Input<string>, b: Pick<CompanionSpec, "comparisonOperator" | "evaluationPeriods" | "datapointsToAlarm" | "metricQueries"> & { treatMissingData: string }, actions: pulumi.Input<string>[]) =>
        new aws.cloudwatch.MetricAlarm(`${name}-${key}`, {
            ...inRegion,
            name: alarmName,
            alarmDescription: pulumi.output(description).apply(boundedAlarmDescription),
            comparisonOperator: b.comparisonOperator,
            thresholdMetricId: QUERY_IDS.band,
            evaluationPeriods: b.evaluationPeriods,
            datapointsToAlarm: b.datapointsToAlarm,
            treatMissingData: b.treatMissingData,
            metricQueries: b.metricQueries,
            actionsEnabled: true,
            alarmActions: actions,
            okActions: actions,
            tags: a.tags,
        }, opts);
    const band = bandAlarm(s.key, bandName, child
        ? pulumi.output(s.description).apply((d) => `Band child of the composite alarm ${s.alarmName} (actions on the composite only): ${d}`)
        : s.description, s, child ? [] : a.topicArns);
    if (!child) return { alarms: [band], acting: band.arn };
    const alarms = [band];
    if (s.companion) alarms.push(bandAlarm(s.companion.key, s.companion.alarmName, s.companion.description, s.companion, []));
    if (s.gate) {
        const g = s.gate;
        alarms.push(new aws.cloudwatch.MetricAlarm(`${name}-${g.key}`, {
            ...inRegion,
            name: g.alarmName,
            alarmDescription: boundedAlarmDescription(g.description),
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: g.threshold,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            // FILL makes every period a value; a series with no data at all in the window is below any floor or baseline.
            treatMissingData: "notBreaching",
            metricQueries: g.metricQueries,
            actionsEnabled: true,
            alarmActions: [],
            okActions: [],
            tags: a.tags,
        }, opts));
    }
    const composite = new aws.cloudwatch.CompositeAlarm(`${name}-${s.key}-composite`, {
        ...inRegion,
        alarmName: s.alarmName,
        alarmDescription: pulumi.output(s.description).apply(boundedAlarmDescription),
        alarmRule: alarmSetRule(s),
        actionsEnabled: true,
        alarmActions: a.topicArns,
        okActions: a.topicArns,
        tags: a.tags,
    }, { parent: a.parent, dependsOn: alarms });
    return { alarms, composite, acting: composite.arn };
}

/** An argument these alarms cannot be built with: which one, and why. */
export interface ArgProblem {
    arg: "evaluationPeriods";
    detail: string;
}

/** Why these settings cannot be deployed (the alarm window exceeds CloudWatch's limits), or undefined. */
export function cloudWatchDetectionProblem(settings: CloudWatchDetectionSettings): ArgProblem | undefined {
    const t = settings.timing;
    const ecommerce = settings.watchEcommerce;
    // The sparse kinds exist only with a dimension (revenue by platform or marketplace): a config without one is not
    // refused for windows it does not create.
    const sparse = ecommerce && settings.series.dimensions.length > 0;
    const checks: Array<[AlarmTiming, string]> = [
        [wafAlarmTiming(t), `with detection.wafPeriodSeconds = ${t.wafPeriodSeconds}`],
        ...(ecommerce ? [
            [ecommerceAlarmTiming(t, "spike"), `with detection.ecommercePeriodSeconds = ${t.ecommercePeriodSeconds}`],
            [ecommerceAlarmTiming(t, "drop"), `with detection.ecommercePeriodSeconds = ${t.ecommercePeriodSeconds}`],
            [ecommerceAlarmTiming(t, "revenueSpike"), `with detection.ecommercePeriodSeconds = ${t.ecommercePeriodSeconds}`],
            [aovAlarmTiming(t, "spike"), `with detection.ecommercePeriodSeconds = ${t.ecommercePeriodSeconds} (typical order value)`],
        ] as Array<[AlarmTiming, string]> : []),
        ...(sparse ? [
            [ecommerceAlarmTiming(t, "sparseSpike"), `with detection.sparsePeriodSeconds = ${t.sparsePeriodSeconds}`],
            [ecommerceAlarmTiming(t, "sparseDrop"), `with detection.sparsePeriodSeconds = ${t.sparsePeriodSeconds}`],
            [aovAlarmTiming(t, "spike", { measure: "revenue", dimension: "platform" }), `with detection.ecommercePeriodSeconds = ${t.ecommercePeriodSeconds} (typical order value by platform / marketplace: at least ${AOV_SPARSE_MIN_PERIOD_SECONDS} s)`],
        ] as Array<[AlarmTiming, string]> : []),
    ];
    for (const [timing, context] of checks) {
        const problem = alarmWindowProblem(timing);
        if (problem) return { arg: "evaluationPeriods", detail: `${timing.configuredEvaluationPeriods} is too many ${context}: ${problem}` };
    }
    return undefined;
}

/** The alarms these args need, validated. Pure apart from the Inputs it carries. */
export function planCloudWatchAlarms(args: CloudWatchDetectionArgs): AlarmSpec[] {
    const settings = cloudWatchDetectionSettings(args);
    const problem = cloudWatchDetectionProblem(settings);
    if (problem) throw new Error(`CloudWatchDetection: args.${problem.arg} ${problem.detail}`);
    const series = wafSeries(args.webAcls, settings.region);
    const config = { ...settings.scope, region: settings.region, detection: { bandWidth: settings.bandWidth, minBlockedRequests: settings.minBlockedRequests, dropBaselineFloor: settings.dropBaselineFloor } };
    const timing = settings.timing;
    const d = config.detection;
    const prefix = `${config.project}-${config.stack}`;
    const specs: AlarmSpec[] = [];

    const wt = wafAlarmTiming(timing);
    for (const w of series) {
        const rule = w.rule;
        const what = rule === WAF_TOTAL_RULE ? "all rules (Rule=ALL)" : `rule ${rule}`;
        const wafMetric = { namespace: WAF_NAMESPACE, metricName: WAF_METRIC_NAME, dimensions: w.dimensions };
        const name = alarmName(`${prefix}-waf-${w.key}`, "-blocked-requests-spike", ["-floor", "-band"]);
        const windowSeconds = wt.windowSeconds;
        specs.push({
            kind: "waf",
            target: { label: `BlockedRequests ${w.key}`, rule },
            ...(w.region !== settings.region ? { region: w.region } : {}),
            gate: {
                key: `waf-${w.key}-floor`,
                alarmName: `${name}-floor`,
                bandAlarmName: `${name}-band`,
                description: `Noise floor of ${name}: at least ${d.minBlockedRequests} blocked requests (detection.minBlockedRequests) ` +
                    `for ${what} in the last ${windowSeconds} s. No actions: the composite alarm ${name} acts.`,
                windowSeconds,
                threshold: d.minBlockedRequests,
                metricQueries: gateQueries(wafMetric, windowSeconds),
            },
            key: `waf-${w.key}`,
            alarmName: name,
            description: pulumi.output(w.acl.name).apply((acl) =>
                `AWS WAF ${WAF_METRIC_NAME} for ${what} of ${w.acl.scope} web ACL ${acl} (metrics in ${w.region}) ` +
                `rose above its expected band (CloudWatch anomaly detection, ${d.bandWidth} standard deviations) in ` +
                `${wt.datapointsToAlarmAbove} of the last ${wt.configuredEvaluationPeriods} complete ${wt.periodSeconds}-second datapoints. ` +
                `A period without blocked requests counts as 0. It acts only with at least ${d.minBlockedRequests} blocked requests in its ` +
                `${wt.windowSeconds}-second window (detection.minBlockedRequests). Stack ${config.stack}.`),
            comparisonOperator: "GreaterThanUpperThreshold",
            evaluationPeriods: wt.evaluationPeriods,
            datapointsToAlarm: wt.datapointsToAlarmAbove,
            // With FILL every period in the queried range has a value; only when the metric has no datapoint in
            // the whole evaluation range (no blocks for a long time, or a rule that never blocked) does this
            // apply: nothing blocked is not a spike.
            treatMissingData: "notBreaching",
            metricQueries: queries(
                wafMetric,
                wt.periodSeconds,
                `${WAF_METRIC_NAME} ${rule} (missing = 0)`,
                d.bandWidth,
            ),
        });
    }

    for (const s of settings.watchEcommerce ? allEcommerceSeries(settings.series) : []) {
        // Dense series (views, total revenue) at ecommercePeriodSeconds; sparse ones (revenue by platform or
        // marketplace) at sparsePeriodSeconds with a wider band (model/alarmTiming.ts). Spike and drop of a series
        // share its period and band, so its dashboard graph shows both alarms' model.
        const et = ecommerceAlarmTiming(timing, seriesKindOf(s, "spike"));
        const dt = ecommerceAlarmTiming(timing, seriesKindOf(s, "drop"));
        const bandWidth = seriesBandWidth(d.bandWidth, s);
        const where = `Ecommerce ${s.label}`;
        const metric = { namespace: METRIC_NAMESPACE, metricName: s.metricName, dimensions: s.dimensions };
        const measure = s.measure as "views" | "revenue";
        const target: AlarmTarget = { label: s.label, series: { measure, dimension: s.dimension, value: s.value, key: s.key } };
        const metricQueries = queries(
            metric,
            et.periodSeconds,
            `${s.label} (missing = 0)`,
            bandWidth,
        );
        const source = `Metric ${METRIC_NAMESPACE}/${s.metricName} ${Object.entries(s.dimensions).map(([k, v]) => `${k}=${v}`).join(",")}.`;
        const dropName = alarmName(`${prefix}-ecommerce-${s.key}`, "-drop", ["-baseline", "-band", "-aov-band"]);
        const spikeName = alarmName(`${prefix}-ecommerce-${s.key}`, "-spike", ["-band", "-aov-band"]);
        // Revenue series: a second band child on the typical order value (mean log order value), OR'ed with the
        // revenue band in the composite (model/alarmTiming.ts aovAlarmTiming).
        const companion = (direction: "spike" | "drop", name: string): CompanionSpec | undefined => {
            if (measure !== "revenue") return undefined;
            const at = aovAlarmTiming(timing, direction, s);
            const width = aovBandWidth(d.bandWidth, s, direction);
            const checkouts = { namespace: METRIC_NAMESPACE, metricName: METRIC_NAMES.checkouts, dimensions: s.dimensions };
            const orderLogs = { namespace: METRIC_NAMESPACE, metricName: ORDER_VALUE_LOG_METRIC_NAME, dimensions: s.dimensions };
            return {
                key: `${s.key}-${direction}-aov`,
                alarmName: `${name}-aov-band`,
                bandAlarmName: `${name}-band`,
                description: `Order-value band child of the composite alarm ${name} (actions on the composite only): the typical order value of ${where} ` +
                    `(${ORDER_VALUE_LOG_METRIC_NAME} / Checkouts, the mean of ln(1 + order value): the log of the geometric-mean order value) ${direction === "spike" ? "rose above" : "fell below"} its expected band ` +
                    `(CloudWatch anomaly detection, ${width} standard deviations) in ${at.datapointsToAlarmAbove} of the last ${at.evaluationPeriods} ` +
                    `${at.periodSeconds}-second datapoints (${at.fillingDatapoints} still filling). A minute without checkouts has no ratio and does not breach. Stack ${config.stack}.`,
                periodSeconds: at.periodSeconds,
                evaluationPeriods: at.evaluationPeriods,
                datapointsToAlarm: at.datapointsToAlarmAbove,
                comparisonOperator: direction === "spike" ? "GreaterThanUpperThreshold" : "LessThanLowerThreshold",
                treatMissingData: "notBreaching",
                metricQueries: ratioQueries(orderLogs, checkouts, at.periodSeconds, `${s.label}: mean ln(1 + order value)`, width, aovMinCheckouts(s)),
            };
        };
        const spikeCompanion = companion("spike", spikeName);
        specs.push({
            kind: "spike",
            target,
            ...(spikeCompanion ? { companion: spikeCompanion } : {}),
            key: `${s.key}-spike`,
            alarmName: spikeName,
            description: `${where} rose above its expected band (CloudWatch anomaly detection, ${bandWidth} standard deviations) in ` +
                `${et.datapointsToAlarmAbove} of the last ${et.configuredEvaluationPeriods} complete ${et.periodSeconds}-second datapoints. ${source} Stack ${config.stack}.`,
            comparisonOperator: "GreaterThanUpperThreshold",
            evaluationPeriods: et.evaluationPeriods,
            datapointsToAlarm: et.datapointsToAlarmAbove,
            // A series silent for the whole evaluation range has no spike.
            treatMissingData: "notBreaching",
            metricQueries,
        });
        const floor = d.dropBaselineFloor[measure];
        const dropCompanion = companion("drop", dropName);
        const perHour = dropBaselineThreshold(floor, dt.periodSeconds);
        specs.push({
            kind: "drop",
            target,
            gate: {
                key: `${s.key}-drop-baseline`,
                alarmName: `${dropName}-baseline`,
                bandAlarmName: `${dropName}-band`,
                description: `Baseline of ${dropName}: ${where} summed to at least ${perHour} over the last hour ` +
                    `(detection.dropBaselineFloor.${measure} = ${floor} a minute at a 60 s period, scaled to ${dt.periodSeconds} s). ` +
                    `No actions: the composite alarm ${dropName} acts.`,
                windowSeconds: DROP_BASELINE_WINDOW_SECONDS,
                threshold: perHour,
                metricQueries: gateQueries(metric, DROP_BASELINE_WINDOW_SECONDS),
            },
            ...(dropCompanion ? { companion: { ...dropCompanion, bandAlarmName: `${dropName}-band` } } : {}),
            key: `${s.key}-drop`,
            alarmName: dropName,
            description: `${where} fell below its expected band (CloudWatch anomaly detection, ${bandWidth} standard deviations) in ` +
                `${dt.configuredDatapointsToAlarm} of the last ${dt.configuredEvaluationPeriods} complete ${dt.periodSeconds}-second datapoints ` +
                `and in the ${dt.fillingDatapoints} still filling, with a baseline of at least ${perHour} over the last hour. ` +
                `Periods without events count as 0. ${source} Stack ${config.stack}.`,
            comparisonOperator: "LessThanLowerThreshold",
            evaluationPeriods: dt.evaluationPeriods,
            datapointsToAlarm: dt.datapointsToAlarmBelow,
            // When traffic stops, FILL turns the silent periods into zeros while older data is still in the
            // evaluation range, so the drop alarm fires; once the whole range is silent there is nothing to
            // evaluate and "ignore" keeps that ALARM (or, for a series that has never had traffic, the initial
            // INSUFFICIENT_DATA) instead of flipping to OK or alarming on a brand-new stack.
            treatMissingData: "ignore",
            metricQueries,
        });
    }
    return specs;
}

/** The static gate child's query: Sum of the metric over one period as long as the gate's window, FILL to 0. */
function gateQueries(
    metric: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
    windowSeconds: number,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    return [
        { id: QUERY_IDS.metric, metric: { ...metric, period: windowSeconds, stat: STATISTIC }, returnData: false },
        { id: QUERY_IDS.filled, expression: fillExpression(QUERY_IDS.metric), label: `Sum over ${windowSeconds} s (missing = 0)`, returnData: true },
    ];
}

/** The composite rule: the band child and the gate child both in ALARM. */
export function compositeRule(gate: Pick<GateSpec, "bandAlarmName" | "alarmName">): string {
    return `ALARM("${gate.bandAlarmName}") AND ALARM("${gate.alarmName}")`;
}

/**
 * The composite rule of an alarm set: the band child with its gate child (`ALARM(band) AND ALARM(gate)`), or — with
 * a companion — that or the companion alone: `(ALARM(band) AND ALARM(gate)) OR ALARM(aov)`, `ALARM(band) OR
 * ALARM(aov)`. The companion needs no gate: a ratio has no datapoint without checkouts, and a drop band near zero is
 * the revenue band's problem, not the ratio's.
 */
export function alarmSetRule(s: Pick<AlarmSetSpec, "gate" | "companion">): string {
    if (!s.companion) {
        if (!s.gate) throw new Error("alarmSetRule: a plain band alarm has no composite rule");
        return compositeRule(s.gate);
    }
    const either = `ALARM("${s.companion.bandAlarmName}") OR ALARM("${s.companion.alarmName}")`;
    return s.gate ? `(${compositeRule(s.gate)}) OR ALARM("${s.companion.alarmName}")` : either;
}

/** PutMetricAlarm / PutCompositeAlarm: AlarmName 1-255, AlarmDescription 0-1024 (the provider counts UTF-8 bytes). */
export const ALARM_NAME_MAX = 255;
export const ALARM_DESCRIPTION_MAX = 1024;

/**
 * An alarm name within CloudWatch's 255 characters: long ones keep a stable hash of the full name. `children` are
 * the suffixes appended to it for its child alarms (`-band`, `-floor`, ...): the name leaves room for the longest,
 * so no child is over the limit either. A name that fits with its children is returned as it is.
 */
export function alarmName(base: string, suffix: string, children: readonly string[] = []): string {
    const room = ALARM_NAME_MAX - Math.max(0, ...children.map((c) => c.length));
    const full = `${base}${suffix}`;
    if (full.length <= room) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 10);
    return `${base.slice(0, room - suffix.length - 11)}-${hash}${suffix}`;
}

/**
 * An alarm description within the 1,024 bytes of UTF-8 that PutMetricAlarm and the provider accept (its check
 * counts bytes, not characters): a longer one is cut at a character boundary and ends in "...". One that fits is
 * returned as it is.
 */
export function boundedAlarmDescription(d: string): string {
    if (Buffer.byteLength(d, "utf8") <= ALARM_DESCRIPTION_MAX) return d;
    let out = "";
    let bytes = 0;
    for (const ch of d) {
        const n = Buffer.byteLength(ch, "utf8");
        if (bytes + n > ALARM_DESCRIPTION_MAX - 3) break;
        out += ch;
        bytes += n;
    }
    return `${out}...`;
}

/** The order-value companion's queries: OrderValueLog (m1) and Checkouts (m2) at one period, e1 = m1 / m2, and its band. */
function ratioQueries(
    numerator: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
    checkouts: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
    period: number,
    label: string,
    bandWidth: number,
    minDenominator: number,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    return [
        { id: QUERY_IDS.metric, metric: { ...numerator, period, stat: STATISTIC }, returnData: false },
        { id: QUERY_IDS.denominator, metric: { ...checkouts, period, stat: STATISTIC }, returnData: false },
        // "If the value of a data point causes a function to attempt to divide by zero, the data point is dropped"
        // (CloudWatch User Guide, "Using metric math", basic arithmetic functions): no checkouts, no datapoint.
        // Fewer than minDenominator checkouts, or no OrderValueLog datapoint: divide by 0, so no datapoint either.
        { id: QUERY_IDS.filled, expression: orderValueExpression(minDenominator), label, returnData: true },
        { id: QUERY_IDS.band, expression: bandExpression(QUERY_IDS.filled, bandWidth), label: `Expected ${label}`, returnData: true },
    ];
}

function queries(
    metric: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
    period: number,
    label: string,
    bandWidth: number,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
    return [
        { id: QUERY_IDS.metric, metric: { ...metric, period, stat: STATISTIC }, returnData: false },
        { id: QUERY_IDS.filled, expression: fillExpression(QUERY_IDS.metric), label, returnData: true },
        { id: QUERY_IDS.band, expression: bandExpression(QUERY_IDS.filled, bandWidth), label: `Expected ${label}`, returnData: true },
    ];
}

export class CloudWatchDetection extends pulumi.ComponentResource {
    /** Every metric alarm (band alarms, gate children), WAF first, then ecommerce series (spike, drop). */
    readonly alarms: aws.cloudwatch.MetricAlarm[];
    /** The composite alarms (WAF and drop alarms with their noise floor). */
    readonly composites: aws.cloudwatch.CompositeAlarm[];
    /** The alarms that act (notify the alert topic): composites and spike alarms, in plan order. */
    readonly alarmArns: pulumi.Output<string[]>;

    constructor(name: string, args: CloudWatchDetectionArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so a bad config fails preview without a half-built component.
        const specs = planCloudWatchAlarms(args);
        const tags = { ...stackScope(args).tags };
        super("edge-anomaly:detection:CloudWatchDetection", name, {}, opts);
        const topicIn = (region: string | undefined): pulumi.Input<string>[] => {
            if (region === undefined) return [args.alerts.topicArn];
            const topic = args.alerts.regionalTopicArns?.[region];
            if (topic === undefined) throw new Error(`CloudWatchDetection: alarms in ${region} need alerts.regionalTopicArns["${region}"] (an alarm notifies topics in its own region)`);
            return [topic];
        };
        this.alarms = [];
        this.composites = [];
        const acting: pulumi.Output<string>[] = [];
        for (const s of specs) {
            // Band, floor and composite of a series published in another region all live in that region (a
            // composite's rule can only name alarms of its own region) and notify that region's topic.
            const set = declareAlarmSet(name, s, { topicArns: topicIn(s.region), tags, parent: this });
            this.alarms.push(...set.alarms);
            if (set.composite) this.composites.push(set.composite);
            acting.push(set.acting);
        }
        this.alarmArns = pulumi.all(acting);
        this.registerOutputs({ alarmArns: this.alarmArns });
    }
}
