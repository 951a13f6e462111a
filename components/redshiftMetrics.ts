// RedshiftMetrics: business metrics from Amazon Redshift, on a schedule, into the detector of the stack's engine.
//
//   EventBridge Scheduler (one schedule per query, `delayMinutes` after each interval ends)
//     └─▶ query runner Lambda ──Redshift Data API (Execute / Describe / GetStatementResult)──▶ workgroup or cluster
//            ├─ cloudwatch engine: PutMetricData EdgeAnomaly/Redshift (interval sums, stamped at the interval start)
//            │     └─▶ per query series, as the ecommerce series: a spike band alarm and/or a drop alarm (per query
//            │         `direction`), per-kind M of N; with `minBaseline` the drop is a composite ALARM(band) AND
//            │         ALARM(baseline) (actions on the composite only) ─▶ alert topic
//            └─ lookout engine: S3 redshift/<query>/live/yyyyMMdd/HHmm/ (+ historical/ from the backfill)
//                  └─▶ one Lookout for Metrics detector per query (S3 metric set) ─▶ alert topic + finding Lambda
//   RejectedRows (rows with bad types) ─▶ static alarm ─▶ alert topic; failed runs ─▶ retries ─▶ alert DLQ
//
// Least privilege: ExecuteStatement only on this workgroup/cluster; Describe/GetStatementResult/Cancel only on
// statements this role submitted (redshift-data:statement-owner-iam-userid — these actions have no resource
// types); the secret (or the serverless/cluster temporary-credential action); PutMetricData only into
// EdgeAnomaly/Redshift; PutObject only under redshift/ of the data bucket; the DLQ. The scheduler's role may only
// invoke this function, and is trusted by scheduler.amazonaws.com for this account and this schedule group only.
import * as crypto from "crypto";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { S3Client } from "@aws-sdk/client-s3";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import {
    defaultDeps, historicalPathFor, parseRunEvent, QUERY_DIMENSION, QuerySpec, REDSHIFT_NAMESPACE, REDSHIFT_PREFIX,
    REJECTED_ROWS_METRIC, runnerEnvironment, RunnerSettings, RunResult, runQuery, STACK_DIMENSION, templatedPathFor,
} from "../handlers/redshiftQuery";
import { InlineFunction } from "../lambda/inlineFunction";
import { AlarmTiming, alarmTiming, alarmWindowProblem, LOOKOUT_PROCESSING_SECONDS } from "../model/detectionLatency";
import { configuredDatapoints, DROP_BASELINE_WINDOW_SECONDS, MAX_ALARM_WINDOW_SECONDS } from "../model/alarmTiming";
import { FunctionSettings, regionOf, stackScope, StackScope, StackScopeArgs } from "../model/stackScope";
import { Alert, AnomalyDetector, DetectorActivation, LOOKOUT_PROVIDER_VERSION } from "../providers/lookout";
import { AlertPathRefs, failureAlarm, FailureAlarmArgs } from "./alertWiring";
import { ALARM_NAME_MAX, alarmName as boundedName, bandExpression, CLOUDWATCH_DETECTION_DEFAULTS, declareAlarmSet, fillExpression, GateSpec, QUERY_IDS } from "./cloudwatchDetection";
import { expressionRow, MetricsEntry, metricRow, Stat, Unplaced } from "./detectionDashboard";
import { lookoutBaseName } from "./lookoutDetection";

/** The statistic of every Redshift series: one datapoint per series and interval, so a re-published one changes nothing. */
export const REDSHIFT_STATISTIC = "Average";
/** Seconds the runner takes beyond the statement wait (Lambda start, result paging, writes) — the timeout's margin. */
export const RUNNER_MARGIN_SECONDS = 60;

export type RedshiftFrequency = "PT5M" | "PT10M" | "PT1H" | "P1D";
export const REDSHIFT_FREQUENCY_SECONDS: Readonly<Record<RedshiftFrequency, number>> = { PT5M: 300, PT10M: 600, PT1H: 3600, P1D: 86400 };

/** One query: see `QuerySpec` (handlers/redshiftQuery.ts) for what it must return. */
export interface RedshiftQueryArgs {
    name: string;
    /** SELECT with the named parameters `:start` and `:end` (the interval). */
    sql: string;
    measures: readonly string[];
    dimensions?: readonly string[];
    /** Default `timestamp`. */
    timestampColumn?: string;
    /** cloudwatch engine: per dimension, the values with their own series and alarms. Default none (totals only). */
    watch?: Readonly<Record<string, readonly string[]>>;
    /** cloudwatch engine: which band side alarms — `spike` (above), `drop` (below) or `both`. Default `both`. */
    direction?: RedshiftDirection;
    /**
     * cloudwatch engine: the drop alarm acts only while the series averaged at least this much per interval over
     * the baseline window (a composite with a static baseline child, like the ecommerce drop alarms). Default none:
     * the drop alarm acts alone.
     */
    minBaseline?: number;
}

export type RedshiftDirection = "spike" | "drop" | "both";

/** The alarm choices of one query (defaults applied). */
export interface RedshiftQueryAlarms {
    direction: RedshiftDirection;
    minBaseline?: number;
}

export interface RedshiftMetricsArgs extends StackScopeArgs {
    /** Default: `aws:region`. */
    region?: string;
    functions?: FunctionSettings;
    /** Where the rows go: CloudWatch metrics and band alarms, or S3 and one Lookout for Metrics detector per query. */
    engine: "cloudwatch" | "lookout";
    /** Exactly one of workgroupName and clusterIdentifier; secretArn, or dbUser (clusters), or IAM (workgroups). */
    /**
     * `secretKeyArn`: the customer managed KMS key the secret is encrypted with; the runner may then decrypt with it
     * through Secrets Manager, for that secret only. Omit for the AWS managed key `aws/secretsmanager`.
     */
    target: { workgroupName?: string; clusterIdentifier?: string; database: string; secretArn?: string; secretKeyArn?: string; dbUser?: string };
    queries: readonly RedshiftQueryArgs[];
    /** Interval of every query. Default `PT5M`. */
    frequency?: RedshiftFrequency;
    /** Minutes after an interval ends that its queries run (0 – interval − 1). Default 2 (0 for… never: min(2, interval − 1)). */
    delayMinutes?: number;
    /** Bounded wait for a statement, seconds (10–240). Default 120. */
    waitSeconds?: number;
    /** Largest result a run reads. Default 10,000. */
    maxRows?: number;
    /**
     * cloudwatch engine: band width (default 3, as the ecommerce alarms) and M of N for every kind; unset, each kind
     * takes its default (model/alarmTiming.ts DEFAULT_DATAPOINTS: spike 2 of 2, drop 2 of 3).
     */
    bandWidth?: number;
    evaluationPeriods?: number;
    datapointsToAlarm?: number;
    /** lookout engine. Defaults 70, 900 s, true. */
    alertSensitivity?: number;
    activationTimeoutSeconds?: number;
    useHistoricalData?: boolean;
    /** The alert path: alarms notify `topicArn`; failed runs dead-letter into the alert DLQ (encrypted with deadLetterKeyArn). */
    alerts: Pick<AlertPathRefs, "topicArn" | "deadLetterQueueArn" | "deadLetterKeyArn" | "findingFunctionArn">;
    /** lookout engine: where the rows go and who may alert. */
    lookout?: {
        bucketName: pulumi.Input<string>;
        bucketArn: pulumi.Input<string>;
        dataKeyArn: pulumi.Input<string>;
        /** LookoutDetection's alert roles (SNS publish to the topic, invoke the finding function). */
        snsAlertRoleArn: pulumi.Input<string>;
        lambdaAlertRoleArn: pulumi.Input<string>;
    };
}

/** Everything of the args that shapes the resources, defaults applied (pure; tests and the dashboard use it). */
export interface RedshiftSettings extends StackScope {
    region: string;
    engine: "cloudwatch" | "lookout";
    target: RedshiftMetricsArgs["target"];
    frequency: RedshiftFrequency;
    intervalSeconds: number;
    delayMinutes: number;
    waitSeconds: number;
    maxRows: number;
    bandWidth: number;
    /** Overrides of every kind's M of N (undefined: per-kind defaults). */
    evaluationPeriods?: number;
    datapointsToAlarm?: number;
    alertSensitivity: number;
    activationTimeoutSeconds: number;
    useHistoricalData: boolean;
    queries: QuerySpec[];
    /** Per query name. */
    alarms: Readonly<Record<string, RedshiftQueryAlarms>>;
}

export const REDSHIFT_DEFAULTS = {
    frequency: "PT5M", waitSeconds: 120, maxRows: 10_000, bandWidth: CLOUDWATCH_DETECTION_DEFAULTS.bandWidth, direction: "both",
    alertSensitivity: 70, activationTimeoutSeconds: 900, useHistoricalData: true,
} as const;

export function redshiftSettings(args: Omit<RedshiftMetricsArgs, "alerts" | "lookout">): RedshiftSettings {
    const frequency = args.frequency ?? REDSHIFT_DEFAULTS.frequency;
    const intervalSeconds = REDSHIFT_FREQUENCY_SECONDS[frequency];
    return {
        ...stackScope(args),
        region: regionOf(args.region, "RedshiftMetrics"),
        engine: args.engine,
        target: { ...args.target },
        frequency,
        intervalSeconds,
        delayMinutes: args.delayMinutes ?? Math.min(2, intervalSeconds / 60 - 1),
        waitSeconds: args.waitSeconds ?? REDSHIFT_DEFAULTS.waitSeconds,
        maxRows: args.maxRows ?? REDSHIFT_DEFAULTS.maxRows,
        bandWidth: args.bandWidth ?? REDSHIFT_DEFAULTS.bandWidth,
        evaluationPeriods: args.evaluationPeriods,
        datapointsToAlarm: args.datapointsToAlarm,
        alertSensitivity: args.alertSensitivity ?? REDSHIFT_DEFAULTS.alertSensitivity,
        activationTimeoutSeconds: args.activationTimeoutSeconds ?? REDSHIFT_DEFAULTS.activationTimeoutSeconds,
        useHistoricalData: args.useHistoricalData ?? REDSHIFT_DEFAULTS.useHistoricalData,
        queries: args.queries.map(querySpec),
        alarms: Object.fromEntries(args.queries.map((q) => [q.name, {
            direction: q.direction ?? REDSHIFT_DEFAULTS.direction,
            ...(q.minBaseline !== undefined ? { minBaseline: q.minBaseline } : {}),
        }])),
    };
}

/** Why these settings cannot be deployed (the argument at fault), or undefined. */
export function redshiftSettingsProblem(s: RedshiftSettings): { arg: string; detail: string } | undefined {
    const t = s.target;
    if (!t.workgroupName === !t.clusterIdentifier) return { arg: "workgroupName", detail: "set exactly one of workgroupName and clusterIdentifier" };
    if (t.clusterIdentifier && !t.secretArn && !t.dbUser) return { arg: "secretArn", detail: "a provisioned cluster needs secretArn or dbUser" };
    if (!(s.delayMinutes >= 0 && s.delayMinutes < s.intervalSeconds / 60)) return { arg: "delayMinutes", detail: `${s.delayMinutes} must be from 0 to ${s.intervalSeconds / 60 - 1}` };
    if (s.waitSeconds + RUNNER_MARGIN_SECONDS > 900) return { arg: "waitSeconds", detail: "the runner's timeout would exceed Lambda's 900 s" };
    if (s.queries.length === 0) return { arg: "queries", detail: "at least one query" };
    for (const [name, a] of Object.entries(s.alarms)) {
        if (!["spike", "drop", "both"].includes(a.direction)) return { arg: "direction", detail: `query ${name}: ${JSON.stringify(a.direction)} must be spike, drop or both` };
        if (a.minBaseline !== undefined && !(Number.isFinite(a.minBaseline) && a.minBaseline > 0)) return { arg: "minBaseline", detail: `query ${name}: ${a.minBaseline} must be a number greater than 0` };
        if (a.minBaseline !== undefined && a.direction === "spike") return { arg: "minBaseline", detail: `query ${name}: a baseline gates drop alarms; direction is spike` };
    }
    if (s.engine === "cloudwatch") {
        for (const kind of ["spike", "drop"] as const) {
            const t = redshiftAlarmTiming(s, kind);
            const problem = alarmWindowProblem(t);
            if (problem) return { arg: "evaluationPeriods", detail: `${t.configuredEvaluationPeriods} is too many for the ${kind} alarms with frequency ${s.frequency}: ${problem}` };
        }
    }
    return undefined;
}

/** The runner's settings: everything known at preview (the deploy-time values come from its environment). */
export function runnerSettings(s: RedshiftSettings): RunnerSettings {
    return {
        engine: s.engine,
        stack: s.stack,
        intervalSeconds: s.intervalSeconds,
        waitSeconds: s.waitSeconds,
        maxRows: s.maxRows,
        namespace: REDSHIFT_NAMESPACE,
        queries: s.queries,
    };
}

export function querySpec(q: RedshiftQueryArgs): QuerySpec {
    return {
        name: q.name, sql: q.sql, timestampColumn: q.timestampColumn ?? "timestamp", measures: [...q.measures], dimensions: [...(q.dimensions ?? [])],
        watch: Object.fromEntries(Object.entries(q.watch ?? {}).map(([k, v]) => [k, [...v]])),
    };
}

/**
 * The Lambda handler factory for these settings. The settings are plain data captured in the closure (so they are
 * part of the deployed code, not of the 4 KB environment); clients are created once per cold start.
 */
export function redshiftRunnerFactory(settings: RunnerSettings): () => (event: unknown) => Promise<RunResult> {
    return () => {
        const env = runnerEnvironment(process.env, settings.engine);
        const clients = {
            data: new RedshiftDataClient({ region: env.region, maxAttempts: 5 }),
            cloudWatch: new CloudWatchClient({ region: env.region, maxAttempts: 5 }),
            s3: settings.engine === "lookout" ? new S3Client({ region: env.region, maxAttempts: 5 }) : undefined,
        };
        return async (event: unknown) => {
            const { query, startMs } = parseRunEvent(event, settings);
            return runQuery(clients, settings, env, query, startMs, "live", defaultDeps);
        };
    };
}

/**
 * The data-bucket prefixes the runner writes that expire like the ecommerce live rows and errors (lookout engine:
 * each query's live/ and rejected/ folders; its historical/ backfill is kept, as the ecommerce history is).
 */
export function redshiftExpiringPrefixes(queries: readonly { name: string }[]): { id: string; prefix: string }[] {
    return queries.flatMap((q) => (["live", "rejected"] as const).map((folder) => ({
        id: `expire-redshift-${q.name}-${folder}`,
        prefix: `${REDSHIFT_PREFIX}${q.name}/${folder}/`,
    })));
}

/** EventBridge Scheduler cron: `delayMinutes` after every interval boundary (UTC). */
export function scheduleExpression(intervalSeconds: number, delayMinutes: number): string {
    switch (intervalSeconds) {
        case 300: return `cron(${delayMinutes}/5 * * * ? *)`;
        case 600: return `cron(${delayMinutes}/10 * * * ? *)`;
        case 3600: return `cron(${delayMinutes} * * * ? *)`;
        case 86400: return `cron(${delayMinutes % 60} ${Math.floor(delayMinutes / 60)} * * ? *)`;
        default: throw new Error(`no schedule for a ${intervalSeconds}-second interval`);
    }
}

/** Worst-case seconds after an interval ends until its datapoints are in CloudWatch: delay + wait + margin. */
export function redshiftDataLagSeconds(s: Pick<RedshiftSettings, "delayMinutes" | "waitSeconds">): number {
    return s.delayMinutes * 60 + s.waitSeconds + RUNNER_MARGIN_SECONDS;
}

/**
 * The alarm timing of the Redshift series. A datapoint is stamped at its interval start and written after the
 * interval ended plus the lag, so (like the ecommerce EMF series) the interval itself counts as lag.
 */
export function redshiftAlarmTiming(s: RedshiftSettings, kind: "spike" | "drop"): AlarmTiming {
    const c = configuredDatapoints({ wafPeriodSeconds: 60, ecommercePeriodSeconds: 60, sparsePeriodSeconds: 60, evaluationPeriods: s.evaluationPeriods, datapointsToAlarm: s.datapointsToAlarm }, kind);
    return alarmTiming(s.intervalSeconds, s.intervalSeconds + redshiftDataLagSeconds(s), c.evaluationPeriods, c.datapointsToAlarm);
}

/**
 * The drop baseline child's window: the trailing hour (as the ecommerce drop baseline), but at least twice the
 * drop alarm's own window so the intervals before a drop dominate it, whole intervals, at most CloudWatch's 7 days.
 * Its statistic is Average (one datapoint per interval), so intervals still filling — absent, not zero — do not
 * lower it.
 */
export function redshiftBaselineWindowSeconds(s: RedshiftSettings): number {
    const want = Math.max(DROP_BASELINE_WINDOW_SECONDS, 2 * redshiftAlarmTiming(s, "drop").windowSeconds);
    const intervals = Math.min(Math.ceil(want / s.intervalSeconds), Math.floor(MAX_ALARM_WINDOW_SECONDS / s.intervalSeconds));
    return intervals * s.intervalSeconds;
}

/** One Redshift series the cloudwatch engine watches. */
export interface RedshiftSeries {
    query: string;
    measure: string;
    dimensions: Record<string, string>;
    /** URN-safe key, e.g. `orders-revenue-total`, `orders-revenue-region-eu`. */
    key: string;
    label: string;
}

export function redshiftSeries(s: RedshiftSettings): RedshiftSeries[] {
    const out: RedshiftSeries[] = [];
    for (const q of s.queries) {
        const base = { [STACK_DIMENSION]: s.stack, [QUERY_DIMENSION]: q.name };
        for (const m of q.measures) {
            out.push({ query: q.name, measure: m, dimensions: base, key: `${q.name}-${m}-total`, label: `${q.name} ${m} (total)` });
            for (const d of q.dimensions) {
                for (const v of q.watch[d] ?? []) {
                    out.push({ query: q.name, measure: m, dimensions: { ...base, [d]: v }, key: `${q.name}-${m}-${d}-${v}`, label: `${q.name} ${m} (${d}=${v})` });
                }
            }
        }
    }
    return out;
}

export interface RedshiftAlarmSpec {
    kind: "spike" | "drop";
    series: RedshiftSeries;
    /** With a gate, `alarmName` is the composite's and the band alarm is `gate.bandAlarmName`. */
    gate?: GateSpec;
    key: string;
    alarmName: string;
    description: string;
    comparisonOperator: "GreaterThanUpperThreshold" | "LessThanLowerThreshold";
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: "notBreaching" | "ignore";
    metricQueries: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

/** The band alarm's queries of a series (the dashboard graphs the same): the metric, FILL to 0, the band. */
export interface RedshiftQuery {
    id: string;
    expression?: string;
    label?: string;
    returnData: boolean;
    metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; period: number; stat: string };
}

export function redshiftBandQueries(s: RedshiftSeries, periodSeconds: number, bandWidth: number): RedshiftQuery[] {
    return [
        { id: QUERY_IDS.metric, metric: { namespace: REDSHIFT_NAMESPACE, metricName: s.measure, dimensions: s.dimensions, period: periodSeconds, stat: REDSHIFT_STATISTIC }, returnData: false },
        { id: QUERY_IDS.filled, expression: fillExpression(QUERY_IDS.metric), label: `Redshift ${s.label} (missing = 0)`, returnData: true },
        { id: QUERY_IDS.band, expression: bandExpression(QUERY_IDS.filled, bandWidth), label: `Expected Redshift ${s.label} (missing = 0)`, returnData: true },
    ];
}

/**
 * The alarms of every Redshift series, in the ecommerce series' shape: per query `direction`, a spike alarm above
 * the band (M of N, the filling datapoints can only delay it) and/or a drop alarm below it (M + filling of N +
 * filling); with `minBaseline` the drop alarm is a composite ALARM(band) AND ALARM(baseline), the baseline child
 * "Average per interval over the baseline window ≥ minBaseline", actions on the composite only.
 */
export function planRedshiftAlarms(settings: RedshiftSettings): RedshiftAlarmSpec[] {
    const problem = redshiftSettingsProblem(settings);
    if (problem) throw new Error(`RedshiftMetrics: ${problem.arg}: ${problem.detail}`);
    const prefix = `${settings.project}-${settings.stack}`;
    const bandWidth = settings.bandWidth;
    const stack = settings.stack;
    const st = redshiftAlarmTiming(settings, "spike");
    const dt = redshiftAlarmTiming(settings, "drop");
    const baselineWindow = redshiftBaselineWindowSeconds(settings);
    const specs: RedshiftAlarmSpec[] = [];
    for (const s of redshiftSeries(settings)) {
        const a = settings.alarms[s.query];
        const source_ = `Metric ${REDSHIFT_NAMESPACE}/${s.measure} ${Object.entries(s.dimensions).map(([k, v]) => `${k}=${v}`).join(",")} (Redshift query ${s.query}).`;
        if (a.direction !== "drop") {
            specs.push({
                kind: "spike",
                series: s,
                key: `${s.key}-spike`,
                alarmName: boundedName(`${prefix}-redshift-${s.key}`, "-spike"),
                description: `Redshift ${s.label} rose above its expected band (CloudWatch anomaly detection, ${bandWidth} standard deviations) in `
                    + `${st.datapointsToAlarmAbove} of the last ${st.configuredEvaluationPeriods} complete ${st.periodSeconds}-second datapoints. ${source_} Stack ${stack}.`,
                comparisonOperator: "GreaterThanUpperThreshold",
                evaluationPeriods: st.evaluationPeriods,
                datapointsToAlarm: st.datapointsToAlarmAbove,
                // A query silent for the whole evaluation range has no spike.
                treatMissingData: "notBreaching",
                metricQueries: redshiftBandQueries(s, st.periodSeconds, bandWidth),
            });
        }
        if (a.direction !== "spike") {
            const name = boundedName(`${prefix}-redshift-${s.key}`, "-drop");
            const floor = a.minBaseline;
            specs.push({
                kind: "drop",
                series: s,
                ...(floor !== undefined ? {
                    gate: {
                        key: `${s.key}-drop-baseline`,
                        alarmName: boundedName(`${prefix}-redshift-${s.key}`, "-drop-baseline"),
                        bandAlarmName: boundedName(`${prefix}-redshift-${s.key}`, "-drop-band"),
                        description: `Baseline of ${name}: Redshift ${s.label} averaged at least ${floor} per ${settings.frequency} interval over the last `
                            + `${baselineWindow} s (sources.redshift.queries[${s.query}].minBaseline). No actions: the composite alarm ${name} acts.`,
                        windowSeconds: baselineWindow,
                        threshold: floor,
                        metricQueries: [
                            { id: QUERY_IDS.metric, metric: { namespace: REDSHIFT_NAMESPACE, metricName: s.measure, dimensions: s.dimensions, period: baselineWindow, stat: REDSHIFT_STATISTIC }, returnData: false },
                            { id: QUERY_IDS.filled, expression: fillExpression(QUERY_IDS.metric), label: `Average per interval over ${baselineWindow} s (missing = 0)`, returnData: true },
                        ],
                    },
                } : {}),
                key: `${s.key}-drop`,
                alarmName: name,
                description: `Redshift ${s.label} fell below its expected band (CloudWatch anomaly detection, ${bandWidth} standard deviations) in `
                    + `${dt.configuredDatapointsToAlarm} of the last ${dt.configuredEvaluationPeriods} complete ${dt.periodSeconds}-second datapoints `
                    + `and in the ${dt.fillingDatapoints} still filling${floor !== undefined ? `, with a baseline of at least ${floor} per interval over the last ${baselineWindow} s` : ""}. `
                    + `Intervals without rows count as 0. ${source_} Stack ${stack}.`,
                comparisonOperator: "LessThanLowerThreshold",
                evaluationPeriods: dt.evaluationPeriods,
                datapointsToAlarm: dt.datapointsToAlarmBelow,
                // As the ecommerce drops: a query gone silent keeps its ALARM instead of flipping to OK.
                treatMissingData: "ignore",
                metricQueries: redshiftBandQueries(s, dt.periodSeconds, bandWidth),
            });
        }
    }
    return specs;
}

function shortHash(s: string, n = 8): string {
    return crypto.createHash("sha256").update(s).digest("hex").slice(0, n);
}

/** Alarm names are at most 255 characters: longer ones keep a readable prefix and a hash. */
function boundedAlarmName(name: string): string {
    return name.length <= ALARM_NAME_MAX ? name : `${name.slice(0, ALARM_NAME_MAX - 9)}-${shortHash(name)}`;
}

/** Lookout detector name of a query: `<base>-rs-<query>` within L4M's 63 characters (a hash for long names). */
export function redshiftDetectorName(project: string, stack: string, query: string): string {
    const base = lookoutBaseName(project, stack);
    const room = 63 - base.length - "-rs-".length;
    return `${base}-rs-${query.length <= room ? query : shortHash(query, Math.min(8, room))}`;
}

/** Scheduler names: 1–64 of `0-9 a-z A-Z - _ .`. */
function schedulerName(s: string, max = 64): string {
    const clean = s.replace(/[^0-9a-zA-Z._-]/g, "-");
    return clean.length <= max ? clean : `${clean.slice(0, max - 9)}-${shortHash(clean)}`;
}

export class RedshiftMetrics extends pulumi.ComponentResource {
    public readonly runner: InlineFunction<unknown, RunResult>;
    public readonly scheduleGroup: aws.scheduler.ScheduleGroup;
    public readonly schedules: aws.scheduler.Schedule[];
    public readonly schedulerRole: aws.iam.Role;
    /** Every metric alarm: band alarms and baseline children (cloudwatch engine), then the rejected-rows and runner-error alarms. */
    public readonly alarms: aws.cloudwatch.MetricAlarm[];
    /** Drop alarms with a baseline (cloudwatch engine). */
    public readonly composites: aws.cloudwatch.CompositeAlarm[];
    /** The alarms that act (notify the alert topic): spike and plain drop alarms, composites, the health alarms. */
    public readonly alarmArns: pulumi.Output<string[]>;
    public readonly detectors: AnomalyDetector[];
    public readonly runnerFunctionName: pulumi.Output<string>;

    constructor(name: string, args: RedshiftMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = redshiftSettings(args);
        const engine = settings.engine;
        if (engine === "lookout" && !args.lookout) throw new Error("RedshiftMetrics: the lookout engine needs args.lookout (bucket and alert roles)");
        // Validate before registering anything.
        const problem = redshiftSettingsProblem(settings);
        if (problem) throw new Error(`RedshiftMetrics: ${problem.arg}: ${problem.detail}`);
        const alarmSpecs = engine === "cloudwatch" ? planRedshiftAlarms(settings) : [];
        super("edge-anomaly:sources:RedshiftMetrics", name, {}, opts);
        const parent = { parent: this };
        const region = settings.region;
        const source = { ...settings.target, ...settings };
        const config = { project: settings.project, stack: settings.stack, tags: settings.tags };
        const caller = aws.getCallerIdentityOutput({}, parent);
        const partition = aws.getPartitionOutput({}, parent);
        const account = caller.accountId;
        const part = partition.partition;

        // ---- what the runner may do ------------------------------------------------------------------------------
        const targetArn: pulumi.Output<string> = source.workgroupName
            ? aws.redshiftserverless.getWorkgroupOutput({ workgroupName: source.workgroupName }, parent).arn
            : pulumi.interpolate`arn:${part}:redshift:${region}:${account}:cluster:${source.clusterIdentifier}`;
        const credentialStatements: pulumi.Output<aws.iam.PolicyStatement[]> = source.secretArn
            ? partition.dnsSuffix.apply((dnsSuffix) => secretStatements(region, dnsSuffix, source.secretArn!, source.secretKeyArn))
            : source.workgroupName
                ? targetArn.apply((arn) => [{ Sid: "ServerlessTemporaryCredentials", Effect: "Allow" as const, Action: ["redshift-serverless:GetCredentials"], Resource: arn }])
                : pulumi.all([part, account]).apply(([p, a]) => [{
                    Sid: "ClusterTemporaryCredentials",
                    Effect: "Allow" as const,
                    Action: ["redshift:GetClusterCredentials"],
                    Resource: [
                        `arn:${p}:redshift:${region}:${a}:dbuser:${source.clusterIdentifier}/${source.dbUser}`,
                        `arn:${p}:redshift:${region}:${a}:dbname:${source.clusterIdentifier}/${source.database}`,
                    ],
                }]);
        const lookout = args.lookout;
        const statements = pulumi.all([
            targetArn, credentialStatements, pulumi.output(args.alerts.deadLetterQueueArn), pulumi.output(args.alerts.deadLetterKeyArn),
            lookout ? pulumi.output(lookout.bucketArn) : undefined, lookout ? pulumi.output(lookout.dataKeyArn) : undefined, partition.dnsSuffix,
        ]).apply(([target, creds, dlq, dlqKey, bucketArn, dataKey, dnsSuffix]) => redshiftRunnerStatements({
            region, dnsSuffix, targetArn: target, credentialStatements: creds, deadLetterQueueArn: dlq, deadLetterKeyArn: dlqKey, bucketArn, dataKeyArn: dataKey,
        }));

        this.runner = new InlineFunction<unknown, RunResult>(`${name}-runner`, {
            project: settings.project, stack: settings.stack, tags: settings.tags, ...args.functions,
            description: `Runs the Redshift queries ${source.queries.map((q) => q.name).join(", ")} per ${source.frequency} interval into ${engine === "cloudwatch" ? REDSHIFT_NAMESPACE : "S3"}`,
            callbackFactory: redshiftRunnerFactory(runnerSettings(settings)),
            timeoutSeconds: source.waitSeconds + RUNNER_MARGIN_SECONDS,
            memorySizeMb: 256,
            environment: {
                REDSHIFT_DATABASE: source.database,
                ...(source.workgroupName ? { REDSHIFT_WORKGROUP: source.workgroupName } : { REDSHIFT_CLUSTER: source.clusterIdentifier! }),
                ...(source.secretArn ? { REDSHIFT_SECRET_ARN: source.secretArn } : {}),
                ...(source.dbUser ? { REDSHIFT_DB_USER: source.dbUser } : {}),
                ...(lookout ? { REDSHIFT_BUCKET: lookout.bucketName } : {}),
            },
            statements,
        }, parent);
        this.runnerFunctionName = this.runner.name;

        // A failed run retries twice, then the event and its error go to the alert DLQ (its depth alarm notifies).
        new aws.lambda.FunctionEventInvokeConfig(`${name}-runner-async`, {
            functionName: this.runner.name,
            maximumRetryAttempts: 2,
            maximumEventAgeInSeconds: Math.max(60, Math.min(21600, source.intervalSeconds * 2)),
            destinationConfig: { onFailure: { destination: args.alerts.deadLetterQueueArn } },
        }, parent);

        // ---- schedules ---------------------------------------------------------------------------------------------
        const groupName = schedulerName(`${config.project}-${config.stack}-redshift`);
        this.scheduleGroup = new aws.scheduler.ScheduleGroup(`${name}-schedules`, { name: groupName, tags: config.tags }, parent);
        const groupArn = pulumi.interpolate`arn:${part}:scheduler:${region}:${account}:schedule-group/${groupName}`;
        this.schedulerRole = new aws.iam.Role(`${name}-scheduler`, {
            description: `EventBridge Scheduler runs the Redshift query runner (${config.project}/${config.stack})`,
            assumeRolePolicy: pulumi.all([account, groupArn]).apply(([a, g]) => JSON.stringify(schedulerTrustPolicy(a, g))),
            tags: config.tags,
        }, parent);
        const schedulerPolicy = new aws.iam.RolePolicy(`${name}-scheduler`, {
            role: this.schedulerRole.id,
            policy: pulumi.all([this.runner.arn, pulumi.output(args.alerts.deadLetterQueueArn), pulumi.output(args.alerts.deadLetterKeyArn)])
                .apply(([fn, dlq, key]) => JSON.stringify({ Version: "2012-10-17", Statement: schedulerStatements(fn, dlq, key) })),
        }, parent);
        const expression = scheduleExpression(source.intervalSeconds, source.delayMinutes);
        this.schedules = source.queries.map((q) => new aws.scheduler.Schedule(`${name}-${q.name}`, {
            name: schedulerName(`${config.project}-${config.stack}-rs-${q.name}`),
            groupName: this.scheduleGroup.name,
            description: `Redshift query ${q.name}: the ${source.frequency} interval that ended ${source.delayMinutes} minute(s) ago`,
            scheduleExpression: expression,
            scheduleExpressionTimezone: "UTC",
            flexibleTimeWindow: { mode: "OFF" },
            state: "ENABLED",
            target: {
                arn: this.runner.arn,
                roleArn: this.schedulerRole.arn,
                input: JSON.stringify({ query: q.name, scheduledTime: "<aws.scheduler.scheduled-time>" }),
                retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: Math.max(60, Math.min(86400, source.intervalSeconds)) },
                deadLetterConfig: { arn: args.alerts.deadLetterQueueArn },
            },
        }, { parent: this, dependsOn: [schedulerPolicy] }));

        // ---- detection -----------------------------------------------------------------------------------------------
        const alarm = (key: string, a: Omit<FailureAlarmArgs, "topicArns" | "tags" | "actionsEnabled">) =>
            failureAlarm(`${name}-${key}`, { ...a, actionsEnabled: true, topicArns: [args.alerts.topicArn], tags: { ...config.tags } }, parent);
        this.alarms = [];
        this.composites = [];
        const acting: pulumi.Output<string>[] = [];
        for (const s of alarmSpecs) {
            const set = declareAlarmSet(name, s, { topicArns: [args.alerts.topicArn], tags: { ...config.tags }, parent: this });
            this.alarms.push(...set.alarms);
            if (set.composite) this.composites.push(set.composite);
            acting.push(set.acting);
        }
        const health: aws.cloudwatch.MetricAlarm[] = [];
        for (const q of source.queries) {
            // Not an anomaly alarm: the finding Lambda files it as pipeline health.
            health.push(alarm(`${q.name}-rejected-rows`, {
                name: boundedAlarmName(`${config.project}-${config.stack}-redshift-${q.name}-rejected-rows`),
                description: `Redshift query ${q.name} returned rows the runner rejected (NULL or non-numeric measures, bad timestamps, `
                    + `rows outside the interval). They are not in the detector's data: read the runner's log (message "rejected rows")`
                    + `${engine === "lookout" ? ` and s3://…/${REDSHIFT_PREFIX}${q.name}/rejected/` : ""}, then fix the query or the data.`,
                namespace: REDSHIFT_NAMESPACE,
                metricName: REJECTED_ROWS_METRIC,
                dimensions: { [STACK_DIMENSION]: config.stack, [QUERY_DIMENSION]: q.name },
                statistic: "Maximum",
                periodSeconds: source.intervalSeconds,
            }));
        }
        health.push(alarm("runner-errors", {
            name: boundedAlarmName(`${config.project}-${config.stack}-redshift-runner-errors`),
            description: pulumi.interpolate`The Redshift query runner (${this.runner.name}) failed: an interval's data is missing until a retry or a redrive from the alert DLQ succeeds. See the function's log group.`,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: this.runner.name },
        }));

        this.detectors = [];
        if (engine === "lookout" && lookout) {
            const s3Role = new aws.iam.Role(`${name}-l4m-s3`, {
                description: `Lookout for Metrics reads the Redshift rows (${config.project}/${config.stack})`,
                assumeRolePolicy: pulumi.all([account, part]).apply(([a, p]) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{
                        Effect: "Allow",
                        Principal: { Service: "lookoutmetrics.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: {
                            StringEquals: { "aws:SourceAccount": a },
                            ArnLike: { "aws:SourceArn": `arn:${p}:lookoutmetrics:${region}:${a}:AnomalyDetector:${lookoutBaseName(config.project, config.stack)}-rs-*` },
                        },
                    }],
                })),
                tags: config.tags,
            }, parent);
            const s3Policy = new aws.iam.RolePolicy(`${name}-l4m-s3`, {
                role: s3Role.id,
                policy: pulumi.all([pulumi.output(lookout.bucketArn), pulumi.output(lookout.dataKeyArn)]).apply(([bucketArn, keyArn]) => JSON.stringify({
                    Version: "2012-10-17",
                    Statement: lookoutReadStatements(region, bucketArn, keyArn),
                })),
            }, parent);
            for (const q of source.queries) {
                const detectorName = redshiftDetectorName(config.project, config.stack, q.name);
                const common = { providerVersion: LOOKOUT_PROVIDER_VERSION, region, tags: config.tags, owner: `${config.project}/${config.stack}` };
                const detector = new AnomalyDetector(`${name}-${q.name}-detector`, {
                    ...common,
                    activationTimeoutSeconds: settings.activationTimeoutSeconds,
                    name: detectorName,
                    description: `Redshift query ${q.name}: ${q.measures.join(", ")}${q.dimensions.length ? ` by ${q.dimensions.join(", ")}` : ""} (${config.project}/${config.stack})`,
                    frequency: source.frequency,
                    metricSet: {
                        name: `${detectorName}-rows`,
                        description: pulumi.interpolate`JSON Lines rows in s3://${lookout.bucketName}/${REDSHIFT_PREFIX}${q.name}/ written by the Redshift query runner`,
                        metrics: q.measures.map((m) => ({ name: m, aggregation: "SUM" as const })),
                        dimensions: [...q.dimensions],
                        source: {
                            type: "s3",
                            roleArn: s3Role.arn,
                            templatedPath: pulumi.output(lookout.bucketName).apply((b) => templatedPathFor(b, q.name)),
                            historicalPath: settings.useHistoricalData ? pulumi.output(lookout.bucketName).apply((b) => historicalPathFor(b, q.name)) : undefined,
                            fileFormat: { type: "json", compression: "NONE", charset: "UTF-8" },
                        },
                        timestampColumn: { name: "timestamp", format: "yyyy-MM-dd HH:mm:ss" },
                        // The rows of an interval are written delay + query time after it ends.
                        offsetSeconds: redshiftDataLagSeconds(source),
                    },
                }, { parent: this, dependsOn: [s3Policy] });
                this.detectors.push(detector);
                const activation = new DetectorActivation(`${name}-${q.name}-activation`, {
                    providerVersion: LOOKOUT_PROVIDER_VERSION, region, detectorArn: detector.arn, timeoutSeconds: settings.activationTimeoutSeconds, mode: "live",
                }, parent);
                new Alert(`${name}-${q.name}-sns`, {
                    ...common, name: `${detectorName}-sns`, detectorArn: detector.arn, description: `Anomalies in Redshift query ${q.name} to the alert topic`,
                    sensitivityThreshold: settings.alertSensitivity,
                    action: { type: "sns", roleArn: lookout.snsAlertRoleArn, topicArn: args.alerts.topicArn, format: "JSON" },
                }, { parent: this, dependsOn: [activation] });
                new Alert(`${name}-${q.name}-lambda`, {
                    ...common, name: `${detectorName}-lambda`, detectorArn: detector.arn, description: `Anomalies in Redshift query ${q.name} to Security Hub through the finding function`,
                    sensitivityThreshold: settings.alertSensitivity,
                    action: { type: "lambda", roleArn: lookout.lambdaAlertRoleArn, functionArn: args.alerts.findingFunctionArn },
                }, { parent: this, dependsOn: [activation] });
            }
        }

        this.alarms.push(...health);
        this.alarmArns = pulumi.all([...acting, ...health.map((a) => a.arn)]);
        this.registerOutputs({ runnerFunctionName: this.runnerFunctionName, alarmArns: this.alarmArns, scheduleGroup: this.scheduleGroup.name });
    }
}

/** The runner's statements besides its own logs. */
export function redshiftRunnerStatements(r: {
    region: string; dnsSuffix: string; targetArn: string; credentialStatements: aws.iam.PolicyStatement[]; deadLetterQueueArn: string; deadLetterKeyArn: string;
    bucketArn?: string; dataKeyArn?: string;
}): aws.iam.PolicyStatement[] {
    return [
        { Sid: "RunQueriesOnThisTarget", Effect: "Allow", Action: ["redshift-data:ExecuteStatement"], Resource: r.targetArn },
        {
            // These actions have no resource types (Service Authorization Reference): the owner condition limits them
            // to statements this role's session submitted.
            Sid: "ReadOwnStatements",
            Effect: "Allow",
            Action: ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement"],
            Resource: "*",
            Condition: { StringEquals: { "redshift-data:statement-owner-iam-userid": "${aws:userid}" } },
        },
        ...r.credentialStatements,
        {
            // PutMetricData has no resource-level permissions; the namespace condition is the restriction.
            Sid: "PutRedshiftMetrics",
            Effect: "Allow",
            Action: ["cloudwatch:PutMetricData"],
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": REDSHIFT_NAMESPACE } },
        },
        ...(r.bucketArn && r.dataKeyArn ? [
            { Sid: "WriteRedshiftRows", Effect: "Allow" as const, Action: ["s3:PutObject"], Resource: `${r.bucketArn}/${REDSHIFT_PREFIX}*` },
            {
                Sid: "EncryptRedshiftRows",
                Effect: "Allow" as const,
                Action: ["kms:GenerateDataKey"],
                Resource: r.dataKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": `s3.${r.region}.${r.dnsSuffix}` },
                    StringLike: { "kms:EncryptionContext:aws:s3:arn": [r.bucketArn, `${r.bucketArn}/${REDSHIFT_PREFIX}*`] },
                },
            },
        ] : []),
        { Sid: "SendFailedRunsToTheDlq", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: r.deadLetterQueueArn },
        { Sid: "EncryptForTheDlq", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: r.deadLetterKeyArn },
    ];
}

/**
 * Reading the database secret: GetSecretValue on it and, when it is encrypted with a customer managed key, Decrypt
 * with that key only through Secrets Manager in this region and only for this secret (Secrets Manager's
 * encryption context carries the secret's ARN as `SecretARN`).
 */
export function secretStatements(region: string, dnsSuffix: string, secretArn: string, secretKeyArn?: string): aws.iam.PolicyStatement[] {
    return [
        { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secretArn },
        ...(secretKeyArn ? [{
            Sid: "DecryptDatabaseSecret",
            Effect: "Allow" as const,
            Action: ["kms:Decrypt"],
            Resource: secretKeyArn,
            Condition: {
                StringEquals: { "kms:ViaService": `secretsmanager.${region}.${dnsSuffix}`, "kms:EncryptionContext:SecretARN": secretArn },
            },
        }] : []),
    ];
}

/** Scheduler's role: trusted by EventBridge Scheduler for this account and this schedule group only. */
export function schedulerTrustPolicy(accountId: string, scheduleGroupArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: "scheduler.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId, "aws:SourceArn": scheduleGroupArn } },
        }],
    };
}

export function schedulerStatements(functionArn: string, deadLetterQueueArn: string, deadLetterKeyArn: string): aws.iam.PolicyStatement[] {
    return [
        { Sid: "InvokeRunner", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [functionArn, `${functionArn}:*`] },
        { Sid: "UndeliveredToTheDlq", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: deadLetterQueueArn },
        { Sid: "EncryptForTheDlq", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: deadLetterKeyArn },
    ];
}

/** What a Redshift detector's source role needs: read redshift/ objects, list that prefix, decrypt via S3. */
export function lookoutReadStatements(region: string, bucketArn: string, keyArn: string): aws.iam.PolicyStatement[] {
    return [
        { Sid: "ReadRedshiftRows", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/${REDSHIFT_PREFIX}*` },
        {
            Sid: "ListRedshiftPrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn,
            Condition: { StringLike: { "s3:prefix": [REDSHIFT_PREFIX.slice(0, -1), `${REDSHIFT_PREFIX}*`] } },
        },
        { Sid: "DecryptRedshiftRows", Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } } },
    ];
}


/**
 * The dashboard rows of the Redshift source: per series the alarm's exact metric math (cloudwatch engine: FILL and
 * the band), then the runner's health (errors, duration against its timeout, rejected rows per query).
 */
export function redshiftDashboardSections(s: RedshiftSettings, runnerFunctionName: string): Unplaced[][] {
    const config = s;
    const source = s;
    const cloudwatch = s.engine === "cloudwatch";
    const period = source.intervalSeconds;
    const graph = (title: string, p: number, stat: Stat, metrics: MetricsEntry[]): Unplaced => ({
        type: "metric", width: 6, height: 6,
        properties: { title, region: config.region, view: "timeSeries", stacked: false, period: p, stat, metrics, yAxis: { left: { min: 0 } } },
    });
    const text = (markdown: string, height: number): Unplaced => ({ type: "text", width: 24, height, properties: { markdown } });
    const sections: Unplaced[][] = [];
    if (cloudwatch) {
        sections.push([
            text(`## Redshift business metrics per ${source.frequency} interval (${REDSHIFT_NAMESPACE}, ${REDSHIFT_STATISTIC}), with the expected band`, 1),
            // Each graph is the band alarm's own queries (redshiftBandQueries), so graph and alarm cannot differ.
            ...redshiftSeries(s).map((s) => {
                const [m, e, b] = redshiftBandQueries(s, period, config.bandWidth);
                return graph(`Redshift ${s.label}`, period, REDSHIFT_STATISTIC, [
                    metricRow(REDSHIFT_NAMESPACE, s.measure, s.dimensions, { id: m.id, visible: false, stat: REDSHIFT_STATISTIC, period }),
                    expressionRow(e.expression!, e.id, { label: e.label!, period }),
                    expressionRow(b.expression!, b.id, { label: b.label!, period }),
                ]);
            }),
        ]);
    } else {
        sections.push([text(`## Redshift business metrics\n\nOne Lookout for Metrics detector per query reads \`${REDSHIFT_PREFIX}<query>/live/\` (one folder per ${source.frequency} interval); anomalies are in the Lookout for Metrics console and in Security Hub.`, 2)]);
    }
    sections.push([
        text("## Redshift query runner health", 1),
        graph("Redshift runner errors and duration", 60, "Sum", [
            metricRow("AWS/Lambda", "Errors", { FunctionName: runnerFunctionName }, { stat: "Sum", label: "Errors" }),
            metricRow("AWS/Lambda", "Duration", { FunctionName: runnerFunctionName }, { stat: "Maximum", label: "Duration (ms)", yAxis: "right" }),
        ]),
        graph("Redshift rejected rows per query", period, "Maximum", source.queries.map((q) =>
            metricRow(REDSHIFT_NAMESPACE, REJECTED_ROWS_METRIC, { [STACK_DIMENSION]: config.stack, [QUERY_DIMENSION]: q.name }, { stat: "Maximum", label: q.name }))),
    ]);
    return sections;
}

/**
 * Worst-case seconds from the start of an anomalous Redshift interval to the alert: with cloudwatch the band
 * alarm's timing (the interval, the schedule delay, the statement wait and the runner margin as data lag); with
 * lookout the interval, the detector offset (= that lag) and Lookout's assumed processing time.
 */
export function redshiftLatencySeconds(s: RedshiftSettings): number {
    if (s.engine === "cloudwatch") {
        const kinds = new Set(Object.values(s.alarms).flatMap((a) => a.direction === "both" ? ["spike", "drop"] as const : [a.direction]));
        return Math.max(...[...kinds].map((k) => redshiftAlarmTiming(s, k).latencySeconds));
    }
    return s.intervalSeconds + redshiftDataLagSeconds(s) + LOOKOUT_PROCESSING_SECONDS;
}
