// Stack config → component args: the one place that knows both the stack configuration (config.ts) and the
// components' own typed Args. index.ts composes the components with what these functions return; tests build
// single components the same way. Checks that need more than one component's settings (or that must name a
// stack config key rather than an argument) live here and throw a ConfigError naming the key.
import * as pulumi from "@pulumi/pulumi";

import { AppConfig, ConfigError } from "./config";
import { AnomalyAlertsArgs } from "./components/anomalyAlerts";
import { BlockedRequestsHeartbeatArgs } from "./components/blockedRequestsHeartbeat";
import { ChatChannelsArgs } from "./components/chatChannels";
import { CloudWatchDetectionArgs, cloudWatchDetectionProblem, cloudWatchDetectionSettings, WATCHED_MEASURES } from "./components/cloudwatchDetection";
import { DashboardOptions, DashboardSettings, DetectionDashboardArgs, dashboardSettings } from "./components/detectionDashboard";
import { EcommercePipelineArgs } from "./components/ecommercePipeline";
import { LookoutDetectionArgs, lookoutDetectionProblem } from "./components/lookoutDetection";
import { RedshiftMetricsArgs, redshiftExpiringPrefixes, redshiftSettings, redshiftSettingsProblem } from "./components/redshiftMetrics";
import { DevOpsGuruInsightsArgs, devopsGuruProblem, devopsGuruRuleName } from "./components/devopsGuruInsights";
import { RegionalAlertRelayArgs } from "./components/regionalAlertRelay";
import { WafProtectedApiArgs } from "./components/wafProtectedApi";
import type { EcommerceRootCauseSettings } from "./handlers/enrich/ecommerceRootCause";
import { EcommerceSeriesOptions, EcommerceSeriesSettings, METRIC_DIMENSION_NAMES, METRIC_NAMES, METRIC_NAMESPACE, resolveEcommerceSeries } from "./model/ecommerceSchema";
import { seriesBandWidth, seriesPeriodSeconds } from "./model/alarmTiming";
import { FunctionSettings, StackScopeArgs } from "./model/stackScope";
import { OWN_ACL_KEY, WatchedWebAcl, watchedAclKey } from "./model/wafTargets";

/** Project, stack and tags of every component. */
export function scopeOf(config: AppConfig): Required<StackScopeArgs> {
    return { project: config.project, stack: config.stack, tags: { ...config.tags } };
}

/** Runtime and log retention of every inline Lambda. */
export function functionsOf(config: AppConfig): FunctionSettings {
    return { runtime: config.lambdaRuntime, logRetentionDays: config.logRetentionDays };
}

/** The ecommerce series the transform emits and the cloudwatch engine watches. */
export function ecommerceSeriesOf(config: AppConfig): EcommerceSeriesOptions {
    const d = config.detection;
    return { dimensions: d.ecommerceDimensions, platforms: d.platforms, marketplaces: d.marketplaces };
}

/** The same series, resolved (what the alarms and the dashboard list). */
export function ecommerceSeriesSettingsOf(config: AppConfig): EcommerceSeriesSettings {
    return resolveEcommerceSeries(ecommerceSeriesOf(config), config.stack);
}

/** The project's own web ACL exists when the demo API is on or it is attached to existing resources. */
export function hasOwnWebAcl(config: AppConfig): boolean {
    return config.api.enabled || config.waf.associate.length > 0;
}

/** Rules read from existing web ACLs at preview time (rule discovery), keyed by `watchedAclKey(scope, name)`. */
export type DiscoveredRules = ReadonlyMap<string, { rules: readonly string[]; arn?: string }>;

/**
 * What the detectors watch: the project's own web ACL (when it exists) and every `waf.watch` entry, with its
 * listed rules or, where `rules` is omitted, the rules discovery read.
 */
export function watchTargets(
    config: AppConfig,
    own: { name: pulumi.Input<string>; rules: readonly string[]; arn: pulumi.Input<string> } | undefined,
    discovered: DiscoveredRules = new Map(),
): WatchedWebAcl[] {
    const targets: WatchedWebAcl[] = own ? [{ key: OWN_ACL_KEY, name: own.name, scope: "REGIONAL", rules: own.rules, arn: own.arn }] : [];
    config.waf.watch.forEach((w, i) => {
        const key = watchedAclKey(w.scope, w.name);
        const found = discovered.get(key);
        if (w.rules === undefined && !found) {
            throw new ConfigError(`${config.project}:waf.watch[${i}].rules`, `is omitted for ${w.scope} web ACL ${w.name} and its rules were not read (rule discovery did not run)`);
        }
        targets.push({ key, name: w.name, scope: w.scope, rules: w.rules ?? found!.rules, ...(found?.arn ? { arn: found.arn } : {}) });
    });
    return targets;
}

export function wafProtectedApiArgs(config: AppConfig): WafProtectedApiArgs {
    return {
        ...scopeOf(config),
        demoApi: config.api.enabled,
        associateWith: config.waf.associate,
        stageName: config.api.stageName,
        throttleRateLimit: config.api.throttleRateLimit,
        throttleBurstLimit: config.api.throttleBurstLimit,
        manageAccountLogsRole: config.api.manageAccountLogsRole,
        accessLogRetentionDays: config.logRetentionDays,
        rules: { knownBadInputs: config.waf.knownBadInputs, rateLimit: { ...config.waf.rateLimit } },
        wafLogRetentionDays: config.waf.logRetentionDays,
        logAllowedRequests: config.waf.logAllowedRequests,
    };
}

export function ecommercePipelineArgs(config: AppConfig): EcommercePipelineArgs {
    const p = config.pipeline;
    return {
        ...scopeOf(config),
        region: config.region,
        functions: functionsOf(config),
        logRetentionDays: config.logRetentionDays,
        shardCount: p.shardCount,
        retentionHours: p.retentionHours,
        bufferingIntervalSeconds: p.bufferingIntervalSeconds,
        bufferingSizeMiB: p.bufferingSizeMiB,
        compression: p.compression,
        dataExpirationDays: p.dataExpirationDays,
        // The Redshift source writes into this bucket with the lookout engine: its rows expire the same way.
        ...(config.sources.redshift && config.detection.engine === "lookout" ? { expiringPrefixes: redshiftExpiringPrefixes(config.sources.redshift.queries) } : {}),
        forceDestroyBucket: p.forceDestroyBucket,
        intervalSeconds: config.detection.intervalSeconds,
        // Lookout for Metrics reads the rows from S3; only the cloudwatch engine watches EMF metrics.
        emitMetrics: config.detection.engine === "cloudwatch",
        metrics: ecommerceSeriesOf(config),
        ...(p.sourceStreamArn ? { sourceStreamArn: p.sourceStreamArn } : {}),
        ...(p.sourceStreamKeyArn ? { sourceStreamKeyArn: p.sourceStreamKeyArn } : {}),
    };
}

/**
 * What the finding Lambda breaks an ecommerce alarm down by: the cloudwatch engine's watched series, each with its
 * alarms' period and band width, resolved the way CloudWatchDetection resolves them (the total and dense series at
 * detection.ecommercePeriodSeconds / bandWidth; a measure whose by-dimension alarms differ — revenue by platform or
 * marketplace: detection.sparsePeriodSeconds, a wider band — in `byDimension`). None for the lookout engine
 * (Lookout gives its own).
 */
export function ecommerceRootCauseOf(config: AppConfig): EcommerceRootCauseSettings | undefined {
    if (config.detection.engine !== "cloudwatch") return undefined;
    const d = cloudWatchDetectionSettings(cloudWatchDetectionArgs(config, { webAcls: [], alerts: { topicArn: "" } }));
    const s = d.series;
    const total = { periodSeconds: d.timing.ecommercePeriodSeconds, bandWidth: d.bandWidth };
    const byDimension: Record<string, { periodSeconds: number; bandWidth: number }> = {};
    for (const measure of WATCHED_MEASURES) {
        const series = { measure, dimension: s.dimensions[0] as string | undefined };
        const band = { periodSeconds: seriesPeriodSeconds(d.timing, series), bandWidth: seriesBandWidth(d.bandWidth, series) };
        if (series.dimension && (band.periodSeconds !== total.periodSeconds || band.bandWidth !== total.bandWidth)) byDimension[METRIC_NAMES[measure]] = band;
    }
    return {
        namespace: METRIC_NAMESPACE, stack: s.stackDimension, ...total,
        dimensions: Object.fromEntries(s.dimensions.map((dim) => [METRIC_DIMENSION_NAMES[dim], [...(dim === "platform" ? s.platforms : s.marketplaces)]])),
        ...(Object.keys(byDimension).length ? { byDimension } : {}),
    };
}

export function anomalyAlertsArgs(config: AppConfig, wiring: Pick<AnomalyAlertsArgs, "webAclArn" | "webAclArns" | "alarmRegions" | "ecommerceStreamArn" | "dashboardName" | "wafLogGroups"> = {}): AnomalyAlertsArgs {
    const a = config.alerts;
    const ecommerceRootCause = ecommerceRootCauseOf(config);
    return {
        ...scopeOf(config),
        region: config.region,
        functions: functionsOf(config),
        emails: a.emails,
        smsNumbers: a.smsNumbers,
        httpsEndpoints: a.httpsEndpoints,
        enableSecurityHub: a.enableSecurityHub,
        maxRetryAttempts: a.maxRetryAttempts,
        maxEventAgeSeconds: a.maxEventAgeSeconds,
        // Slack / Teams channels read the chat topic (chatChannelsArgs).
        chatTopic: a.slack.length + a.teams.length > 0,
        // The DevOps Guru insight rule dead-letters into the alert DLQ.
        ...(config.sources.devopsGuru ? { deadLetterEventRuleNames: [devopsGuruRuleName(config)] } : {}),
        ...(ecommerceRootCause ? { ecommerceRootCause } : {}),
        ...wiring,
    };
}

/** The Slack / Teams channels of `alerts.slack` / `alerts.teams`, reading the alert path's chat topic; none configured → undefined. */
export function chatChannelsArgs(config: AppConfig, wiring: Pick<ChatChannelsArgs, "topicArn">): ChatChannelsArgs | undefined {
    const a = config.alerts;
    if (a.slack.length + a.teams.length === 0) return undefined;
    return { ...scopeOf(config), region: config.region, slack: a.slack.map((c) => ({ ...c })), teams: a.teams.map((c) => ({ ...c })), ...wiring };
}

export function regionalAlertRelayArgs(config: AppConfig, region: string, wiring: Pick<RegionalAlertRelayArgs, "findingFunctionArn" | "findingFunctionName">): RegionalAlertRelayArgs {
    const a = config.alerts;
    return { ...scopeOf(config), region, emails: a.emails, smsNumbers: a.smsNumbers, httpsEndpoints: a.httpsEndpoints, ...wiring };
}

export function heartbeatArgs(config: AppConfig, wiring: Pick<BlockedRequestsHeartbeatArgs, "webAcls" | "alarmTopicArn">): BlockedRequestsHeartbeatArgs {
    return { ...scopeOf(config), region: config.region, functions: functionsOf(config), namespace: config.heartbeat.namespace, ...wiring };
}

export function cloudWatchDetectionArgs(config: AppConfig, wiring: Pick<CloudWatchDetectionArgs, "webAcls" | "alerts">): CloudWatchDetectionArgs {
    const d = config.detection;
    const args: CloudWatchDetectionArgs = {
        ...scopeOf(config),
        region: config.region,
        bandWidth: d.bandWidth,
        wafPeriodSeconds: d.wafPeriodSeconds,
        // The ecommerce alarms' own period (not detection.frequency, which sets the S3 layout and Lookout).
        ecommercePeriodSeconds: d.ecommercePeriodSeconds,
        // Revenue by platform / marketplace: too sparse for 60 s alarms at dev load (model/alarmTiming.ts).
        sparsePeriodSeconds: d.sparsePeriodSeconds,
        evaluationPeriods: d.evaluationPeriods,
        datapointsToAlarm: d.datapointsToAlarm,
        minBlockedRequests: d.minBlockedRequests,
        dropBaselineFloor: { ...d.dropBaselineFloor },
        ecommerce: ecommerceSeriesOf(config),
        ...wiring,
    };
    const problem = cloudWatchDetectionProblem(cloudWatchDetectionSettings(args));
    if (problem) throw new ConfigError(`${config.project}:detection.${problem.arg}`, problem.detail);
    return args;
}

export function lookoutDetectionArgs(config: AppConfig, wiring: Pick<LookoutDetectionArgs, "webAcls" | "pipeline" | "alerts">): LookoutDetectionArgs {
    const d = config.detection;
    const args: LookoutDetectionArgs = {
        ...scopeOf(config),
        region: config.region,
        frequency: d.frequency,
        alertSensitivity: d.alertSensitivity,
        offsetSeconds: d.offsetSeconds,
        useHistoricalData: d.useHistoricalData,
        activationTimeoutSeconds: d.activationTimeoutSeconds,
        ecommerceDimensions: d.ecommerceDimensions,
        ...wiring,
        pipeline: { compression: config.pipeline.compression, bufferingIntervalSeconds: config.pipeline.bufferingIntervalSeconds, ...wiring.pipeline },
    };
    if (wiring.webAcls.length === 0) {
        throw new ConfigError(`${config.project}:waf.watch`, `is empty and the stack has no web ACL of its own (api.enabled is false, waf.associate is empty): ` +
            `the lookout engine's WAF detector would have nothing to read; watch a web ACL or use detection.engine cloudwatch`);
    }
    const problem = lookoutDetectionProblem(args);
    if (problem) throw new ConfigError(`${config.project}:detection.${problem.arg}`, problem.detail);
    // The WAF detector reads AWS/WAFV2: heartbeat zeros published anywhere else never reach it.
    if (config.heartbeat.enabled && config.heartbeat.namespace !== "AWS/WAFV2") {
        throw new ConfigError(`${config.project}:heartbeat.namespace`,
            `${JSON.stringify(config.heartbeat.namespace)} is not read by the lookout engine's WAF detector (AWS/WAFV2); ` +
            `use AWS/WAFV2 or turn the heartbeat off`);
    }
    return args;
}

/** What the dashboard mirrors of the detection settings. */
export function dashboardOptionsOf(config: AppConfig): DashboardOptions {
    const d = config.detection;
    return {
        ...scopeOf(config),
        region: config.region,
        engine: d.engine,
        bandWidth: d.bandWidth,
        wafPeriodSeconds: d.wafPeriodSeconds,
        ecommercePeriodSeconds: d.ecommercePeriodSeconds,
        sparsePeriodSeconds: d.sparsePeriodSeconds,
        frequency: d.frequency,
        offsetSeconds: d.offsetSeconds,
        bufferingIntervalSeconds: config.pipeline.bufferingIntervalSeconds,
        ecommerce: ecommerceSeriesOf(config),
    };
}

/** The same, resolved: what `dashboardBody` takes. */
export function dashboardSettingsOf(config: AppConfig): DashboardSettings {
    return dashboardSettings(dashboardOptionsOf(config));
}

export function detectionDashboardArgs(
    config: AppConfig,
    wiring: Pick<DetectionDashboardArgs, "webAcls" | "pipeline" | "alerts" | "sourceSections" | "latency"> & { alarmArns: pulumi.Input<string[]> },
): DetectionDashboardArgs {
    return { ...dashboardOptionsOf(config), ...wiring };
}

/** `sources.redshift` → RedshiftMetrics args (undefined when the source is off). */
export function redshiftMetricsArgs(config: AppConfig, wiring: Pick<RedshiftMetricsArgs, "alerts" | "lookout">): RedshiftMetricsArgs | undefined {
    const r = config.sources.redshift;
    if (!r) return undefined;
    const d = config.detection;
    const args: RedshiftMetricsArgs = {
        ...scopeOf(config),
        region: config.region,
        functions: functionsOf(config),
        engine: d.engine,
        target: { workgroupName: r.workgroupName, clusterIdentifier: r.clusterIdentifier, database: r.database, secretArn: r.secretArn, secretKeyArn: r.secretKeyArn, dbUser: r.dbUser },
        queries: r.queries,
        frequency: r.frequency,
        delayMinutes: r.delayMinutes,
        waitSeconds: r.waitSeconds,
        maxRows: r.maxRows,
        bandWidth: d.bandWidth,
        evaluationPeriods: d.evaluationPeriods,
        datapointsToAlarm: d.datapointsToAlarm,
        alertSensitivity: d.alertSensitivity,
        activationTimeoutSeconds: d.activationTimeoutSeconds,
        useHistoricalData: d.useHistoricalData,
        ...wiring,
    };
    const problem = redshiftSettingsProblem(redshiftSettings(args));
    if (problem) {
        const key = ["bandWidth", "evaluationPeriods", "datapointsToAlarm"].includes(problem.arg) ? `detection.${problem.arg}` : `sources.redshift.${problem.arg}`;
        throw new ConfigError(`${config.project}:${key}`, problem.detail);
    }
    return args;
}

/** `sources.devopsGuru` → DevOpsGuruInsights args (undefined when the source is off). */
export function devopsGuruInsightsArgs(config: AppConfig, wiring: Pick<DevOpsGuruInsightsArgs, "alerts">): DevOpsGuruInsightsArgs | undefined {
    const g = config.sources.devopsGuru;
    if (!g) return undefined;
    const args: DevOpsGuruInsightsArgs = {
        ...scopeOf(config),
        region: config.region,
        tagKey: g.tagKey,
        tagValues: g.tagValues,
        cloudFormationStacks: g.cloudFormationStacks,
        manageResourceCollection: g.manageResourceCollection,
        ...wiring,
    };
    const problem = devopsGuruProblem(args);
    if (problem) throw new ConfigError(`${config.project}:sources.devopsGuru.${problem.arg}`, problem.detail);
    return args;
}
