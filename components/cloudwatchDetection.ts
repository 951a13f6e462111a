// The `cloudwatch` detection engine: CloudWatch anomaly detection alarms on metric math, deployable today.
//
// - WAF: per rule, BlockedRequests (Sum) → FILL(m1, 0) so a minute without blocks counts as 0 (no heartbeat
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
// metric's data lags (WAF's once-a-minute reporting; EMF stamped at the interval start, behind Firehose's Lambda
// buffer and log-to-metric extraction). A filling datapoint
// undercounts: harmless above the band (it can only delay a spike), but it looks exactly like a drop. So the
// window carries the filling datapoints on top of the configured N, the spike/WAF alarms keep M, and the drop
// alarms need M + filling — M complete breaching datapoints besides the filling ones. The timing model lives in
// detectionLatency.ts, which the latency output uses too.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { EcommerceDimension, FREQUENCY_SECONDS, Frequency } from "../config";
import {
    EcommerceSeriesOptions, EcommerceSeriesSettings, METRIC_DIMENSION_NAMES, METRIC_NAMES, METRIC_NAMESPACE, Measure, STACK_DIMENSION, resolveEcommerceSeries,
} from "../model/ecommerceSchema";
import { AlarmTiming, TimingSettings, alarmWindowProblem, ecommerceAlarmTiming, wafAlarmTiming } from "../model/detectionLatency";
import { regionOf, stackScope, StackScope, StackScopeArgs } from "../model/stackScope";

export const WAF_NAMESPACE = "AWS/WAFV2";
export const WAF_METRIC_NAME = "BlockedRequests";
/** Statistic of every watched metric: counts and revenue add up within a period. */
export const STATISTIC = "Sum";
/** Measures the ecommerce alarms watch. */
export const WATCHED_MEASURES: readonly Measure[] = ["views", "revenue"];

/** Metric math ids shared by the alarms and the dashboard. */
export const QUERY_IDS = { metric: "m1", filled: "e1", band: "ad1" } as const;

export function fillExpression(metricId: string): string {
    return `FILL(${metricId}, 0)`;
}

export function bandExpression(expressionId: string, bandWidth: number): string {
    return `ANOMALY_DETECTION_BAND(${expressionId}, ${bandWidth})`;
}

export interface CloudWatchDetectionArgs extends StackScopeArgs {
    /** Region of the watched metrics (the `Region` dimension of AWS/WAFV2). Default: `aws:region`. */
    region?: string;
    /** The watched web ACL and its rules' metric names (the `Rule` dimension values). */
    waf: { webAclName: pulumi.Input<string>; ruleNames: string[] };
    /** Every alarm notifies this topic on ALARM and on OK. */
    alerts: { topicArn: pulumi.Input<string> };
    /** Anomaly band width, standard deviations (> 0). Default 2. */
    bandWidth?: number;
    /** Period of the WAF alarms: 60 or a multiple of 60 up to 3600 s. Default 60. */
    wafPeriodSeconds?: number;
    /** N of "M out of N" (complete datapoints). Default 1. */
    evaluationPeriods?: number;
    /** M of "M out of N". Default 1. */
    datapointsToAlarm?: number;
    /** The ecommerce interval (EMF metrics are stamped per interval). Default `PT5M`. */
    frequency?: Frequency;
    /** The watched ecommerce series (the pipeline transform must emit the same). */
    ecommerce?: EcommerceSeriesOptions;
}

export const CLOUDWATCH_DETECTION_DEFAULTS = { bandWidth: 2, wafPeriodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1, frequency: "PT5M" } as const;

/** The args with their defaults applied. */
export interface CloudWatchDetectionSettings {
    readonly scope: StackScope;
    readonly region: string;
    readonly bandWidth: number;
    readonly timing: TimingSettings;
    readonly series: EcommerceSeriesSettings;
}

export function cloudWatchDetectionSettings(args: CloudWatchDetectionArgs): CloudWatchDetectionSettings {
    const d = CLOUDWATCH_DETECTION_DEFAULTS;
    const scope = stackScope(args);
    const frequency = args.frequency ?? d.frequency;
    return {
        scope,
        region: regionOf(args.region, "CloudWatchDetection"),
        bandWidth: args.bandWidth ?? d.bandWidth,
        timing: {
            detection: {
                engine: "cloudwatch",
                frequency,
                intervalSeconds: FREQUENCY_SECONDS[frequency],
                wafPeriodSeconds: args.wafPeriodSeconds ?? d.wafPeriodSeconds,
                evaluationPeriods: args.evaluationPeriods ?? d.evaluationPeriods,
                datapointsToAlarm: args.datapointsToAlarm ?? d.datapointsToAlarm,
                offsetSeconds: 0,
            },
            pipeline: { bufferingIntervalSeconds: 60 },
        },
        series: resolveEcommerceSeries(args.ecommerce, scope.stack),
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

/** Everything about one alarm except the resource itself. */
export interface AlarmSpec {
    kind: AlarmKind;
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

/** An argument these alarms cannot be built with: which one, and why. */
export interface ArgProblem {
    arg: "evaluationPeriods";
    detail: string;
}

/** Why these settings cannot be deployed (the alarm window exceeds CloudWatch's limits), or undefined. */
export function cloudWatchDetectionProblem(settings: CloudWatchDetectionSettings): ArgProblem | undefined {
    const t = settings.timing;
    const checks: Array<[AlarmTiming, string]> = [
        [wafAlarmTiming(t), `with detection.wafPeriodSeconds = ${t.detection.wafPeriodSeconds}`],
        [ecommerceAlarmTiming(t), `with detection.frequency = ${t.detection.frequency}`],
    ];
    for (const [timing, context] of checks) {
        const problem = alarmWindowProblem(timing);
        if (problem) return { arg: "evaluationPeriods", detail: `${t.detection.evaluationPeriods} is too many ${context}: ${problem}` };
    }
    return undefined;
}

/** The alarms these args need, validated. Pure apart from the Inputs it carries. */
export function planCloudWatchAlarms(args: CloudWatchDetectionArgs): AlarmSpec[] {
    const settings = cloudWatchDetectionSettings(args);
    const problem = cloudWatchDetectionProblem(settings);
    if (problem) throw new Error(`CloudWatchDetection: args.${problem.arg} ${problem.detail}`);
    const waf = args.waf;
    const config = { ...settings.scope, region: settings.region, detection: { ...settings.timing.detection, bandWidth: settings.bandWidth } };
    const timing = settings.timing;
    if (new Set(waf.ruleNames).size !== waf.ruleNames.length) {
        throw new Error(`CloudWatchDetection: duplicate WAF rule names in ${JSON.stringify(waf.ruleNames)}`);
    }
    const d = config.detection;
    const prefix = `${config.project}-${config.stack}`;
    const specs: AlarmSpec[] = [];

    const wt = wafAlarmTiming(timing);
    for (const rule of waf.ruleNames) {
        specs.push({
            kind: "waf",
            key: `waf-${rule}`,
            alarmName: `${prefix}-waf-${rule}-blocked-requests-spike`,
            description: pulumi.output(waf.webAclName).apply((acl) =>
                `AWS WAF ${WAF_METRIC_NAME} for rule ${rule} of web ACL ${acl} (${config.region}) ` +
                `rose above its expected band (CloudWatch anomaly detection, ${d.bandWidth} standard deviations) in ` +
                `${wt.datapointsToAlarmAbove} of the last ${wt.configuredEvaluationPeriods} complete ${wt.periodSeconds}-second datapoints. ` +
                `A period without blocked requests counts as 0. Stack ${config.stack}.`),
            comparisonOperator: "GreaterThanUpperThreshold",
            evaluationPeriods: wt.evaluationPeriods,
            datapointsToAlarm: wt.datapointsToAlarmAbove,
            // With FILL every period in the queried range has a value; only when the metric has no datapoint in
            // the whole evaluation range (no blocks for a long time, or a rule that never blocked) does this
            // apply: nothing blocked is not a spike.
            treatMissingData: "notBreaching",
            metricQueries: queries(
                { namespace: WAF_NAMESPACE, metricName: WAF_METRIC_NAME, dimensions: { Region: config.region, Rule: rule, WebACL: waf.webAclName } },
                wt.periodSeconds,
                `${WAF_METRIC_NAME} ${rule} (missing = 0)`,
                d.bandWidth,
            ),
        });
    }

    const et = ecommerceAlarmTiming(timing);
    for (const s of allEcommerceSeries(settings.series)) {
        const where = `Ecommerce ${s.label}`;
        const metricQueries = queries(
            { namespace: METRIC_NAMESPACE, metricName: s.metricName, dimensions: s.dimensions },
            et.periodSeconds,
            `${s.label} (missing = 0)`,
            d.bandWidth,
        );
        const source = `Metric ${METRIC_NAMESPACE}/${s.metricName} ${Object.entries(s.dimensions).map(([k, v]) => `${k}=${v}`).join(",")}.`;
        specs.push({
            kind: "spike",
            key: `${s.key}-spike`,
            alarmName: `${prefix}-ecommerce-${s.key}-spike`,
            description: `${where} rose above its expected band (CloudWatch anomaly detection, ${d.bandWidth} standard deviations) in ` +
                `${et.datapointsToAlarmAbove} of the last ${et.configuredEvaluationPeriods} complete ${et.periodSeconds}-second datapoints. ${source} Stack ${config.stack}.`,
            comparisonOperator: "GreaterThanUpperThreshold",
            evaluationPeriods: et.evaluationPeriods,
            datapointsToAlarm: et.datapointsToAlarmAbove,
            // A series silent for the whole evaluation range has no spike.
            treatMissingData: "notBreaching",
            metricQueries,
        });
        specs.push({
            kind: "drop",
            key: `${s.key}-drop`,
            alarmName: `${prefix}-ecommerce-${s.key}-drop`,
            description: `${where} fell below its expected band (CloudWatch anomaly detection, ${d.bandWidth} standard deviations) in ` +
                `${et.configuredDatapointsToAlarm} of the last ${et.configuredEvaluationPeriods} complete ${et.periodSeconds}-second datapoints ` +
                `and in the ${et.fillingDatapoints} still filling. Intervals without events count as 0. ${source} Stack ${config.stack}.`,
            comparisonOperator: "LessThanLowerThreshold",
            evaluationPeriods: et.evaluationPeriods,
            datapointsToAlarm: et.datapointsToAlarmBelow,
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
    /** Every alarm, WAF first, then ecommerce series (spike, drop). */
    readonly alarms: aws.cloudwatch.MetricAlarm[];
    readonly alarmArns: pulumi.Output<string[]>;

    constructor(name: string, args: CloudWatchDetectionArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so a bad config fails preview without a half-built component.
        const specs = planCloudWatchAlarms(args);
        const tags = stackScope(args).tags;
        super("edge-anomaly:detection:CloudWatchDetection", name, {}, opts);

        this.alarms = specs.map((s) => new aws.cloudwatch.MetricAlarm(`${name}-${s.key}`, {
            name: s.alarmName,
            alarmDescription: s.description,
            comparisonOperator: s.comparisonOperator,
            thresholdMetricId: QUERY_IDS.band,
            evaluationPeriods: s.evaluationPeriods,
            datapointsToAlarm: s.datapointsToAlarm,
            treatMissingData: s.treatMissingData,
            metricQueries: s.metricQueries,
            actionsEnabled: true,
            alarmActions: [args.alerts.topicArn],
            okActions: [args.alerts.topicArn],
            tags: { ...tags },
        }, { parent: this }));
        this.alarmArns = pulumi.all(this.alarms.map((a) => a.arn));
        this.registerOutputs({ alarmArns: this.alarmArns });
    }
}
