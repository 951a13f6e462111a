// Composition root: stack config -> components -> stack outputs. No resource is declared here.
import * as pulumi from "@pulumi/pulumi";

import { loadConfig } from "./config";
import {
    anomalyAlertsArgs, cloudWatchDetectionArgs, detectionDashboardArgs, devopsGuruInsightsArgs, ecommercePipelineArgs, hasOwnWebAcl, heartbeatArgs, lookoutDetectionArgs,
    redshiftMetricsArgs, regionalAlertRelayArgs, wafProtectedApiArgs, watchTargets, chatChannelsArgs,
} from "./componentArgs";
import { RegionalAlertRelay } from "./components/regionalAlertRelay";
import { OWN_ACL_KEY, WAF_TOTAL_RULE, metricsRegion, watchedAclKey } from "./model/wafTargets";
import { discoveredRules } from "./preflight/webAclRules";
import { AnomalyAlerts } from "./components/anomalyAlerts";
import { BlockedRequestsHeartbeat } from "./components/blockedRequestsHeartbeat";
import { ChatChannels } from "./components/chatChannels";
import { CloudWatchDetection, planCloudWatchAlarms } from "./components/cloudwatchDetection";
import { alarmRateWarnings, checkAnomalyModels, checkLambdaEnvironment, redshiftQuotaAlarms } from "./preflight/quotas";
import { dashboardName as dashboardPhysicalName, DetectionDashboard } from "./components/detectionDashboard";
import { DevOpsGuruInsights, devopsGuruDashboardSections } from "./components/devopsGuruInsights";
import { detectionLatency as latencyOf } from "./model/detectionLatency";
import { EcommercePipeline } from "./components/ecommercePipeline";
import { LookoutDetection } from "./components/lookoutDetection";
import { planRedshiftAlarms, RedshiftMetrics, redshiftDashboardSections, redshiftLatencySeconds, redshiftSettings } from "./components/redshiftMetrics";
import { WafProtectedApi } from "./components/wafProtectedApi";

const config = loadConfig();

// Edge: the demo API behind the project's own web ACL, or that web ACL alone on existing resources, or neither.
const api = hasOwnWebAcl(config) ? new WafProtectedApi("edge", wafProtectedApiArgs(config)) : undefined;

// What is watched: the own web ACL and every `waf.watch` entry (rules listed, or read at preview time).
const webAcls = watchTargets(config, api && { name: api.webAclName, rules: api.ruleMetricNames, arn: api.webAclArn }, discoveredRules());
const alarmRegions = [...new Set(webAcls.map((a) => metricsRegion(a.scope, config.region)))].filter((r) => r !== config.region);

// Business: the ecommerce pipeline.
const pipeline = new EcommercePipeline("ecommerce", ecommercePipelineArgs(config));

// Lambda's 4 KB environment: the finding Lambda's WEB_ACL_ARNS grows with waf.watch. The values known at preview
// (the ARNs rule discovery read, the alarm regions) are checked before the function is declared; the variables
// holding ARNs of resources this stack creates are not known yet and not counted (preflight/quotas.ts). The
// offline plan checks every function's full environment.
checkLambdaEnvironment("alerts-finding", {
    WEB_ACL_ARNS: webAcls.filter((a) => a.key !== OWN_ACL_KEY && typeof a.arn === "string").map((a) => a.arn as string).join(","),
    ...(alarmRegions.length ? { ALARM_REGIONS: alarmRegions.join(",") } : {}),
});

// One alert path for every detector (with a relay in each other region whose alarms must notify a local topic).
const alerts = new AnomalyAlerts("alerts", anomalyAlertsArgs(config, {
    webAclArn: api?.webAclArn,
    webAclArns: webAcls.filter((a) => a.key !== OWN_ACL_KEY && a.arn !== undefined).map((a) => a.arn!),
    alarmRegions,
    ecommerceStreamArn: pipeline.streamArn,
    dashboardName: dashboardPhysicalName(config),
    // WAF root cause: the own ACL's log group, and each watched ACL's CloudWatch Logs destination (read at preview).
    wafLogGroups: [
        ...(api ? [{ webAclArn: api.webAclArn, logGroup: api.wafLogGroupName }] : []),
        ...webAcls.flatMap((a) => {
            const group = a.key !== OWN_ACL_KEY && a.arn !== undefined ? discoveredRules().get(a.key)?.logGroupArn : undefined;
            return group ? [{ webAclArn: a.arn!, logGroup: group }] : [];
        }),
    ],
}));
// Slack / Teams channels (alerts.slack, alerts.teams) read the alert path's chat topic.
const chatArgs = alerts.chatTopicArn ? chatChannelsArgs(config, { topicArn: alerts.chatTopicArn }) : undefined;
if (chatArgs) new ChatChannels("alerts-chat", chatArgs);
const relays = config.detection.engine === "cloudwatch"
    ? alarmRegions.map((region) => new RegionalAlertRelay(`alerts-${region}`, regionalAlertRelayArgs(config, region, {
        findingFunctionArn: alerts.findingFunctionArn, findingFunctionName: alerts.findingFunctionName,
    })))
    : [];

const heartbeat = config.heartbeat.enabled && webAcls.length > 0
    ? new BlockedRequestsHeartbeat("blocked-heartbeat", heartbeatArgs(config, { webAcls, alarmTopicArn: alerts.topicArn }))
    : undefined;

// Detection: one engine per stack.
// sources.redshift's alert wiring (its alarms notify the alarm topic; failed runs dead-letter into the alert DLQ).
const redshiftAlerts = {
    topicArn: alerts.topicArn,
    deadLetterQueueArn: alerts.deadLetterQueueArn,
    deadLetterKeyArn: alerts.topicKeyArn,
    findingFunctionArn: alerts.findingFunctionArn,
};
let alarmArns: pulumi.Output<string[]> | string[] = [];
let lookout: LookoutDetection | undefined;
let cloudwatchArgs: ReturnType<typeof cloudWatchDetectionArgs> | undefined;
if (config.detection.engine === "cloudwatch") {
    cloudwatchArgs = cloudWatchDetectionArgs(config, {
        webAcls,
        alerts: { topicArn: alerts.topicArn, regionalTopicArns: Object.fromEntries(relays.map((r) => [r.region, r.topicArn])) },
    });
    // Quotas before any alarm is declared: anomaly models per region fail preview naming the key; a region whose
    // alarms take long to create at the PutMetricAlarm rate is warned about (preflight/quotas.ts).
    // sources.redshift's band alarms count too (same region, same quotas).
    const redshiftPlanned = redshiftMetricsArgs(config, { alerts: redshiftAlerts });
    const alarmSpecs = [...planCloudWatchAlarms(cloudwatchArgs), ...redshiftQuotaAlarms(redshiftPlanned ? planRedshiftAlarms(redshiftSettings(redshiftPlanned)) : [])];
    checkAnomalyModels(alarmSpecs, config.region);
    for (const warning of alarmRateWarnings(alarmSpecs, config.region)) pulumi.log.warn(warning);
    const cw = new CloudWatchDetection("detection", cloudwatchArgs);
    alarmArns = cw.alarmArns;
} else {
    lookout = new LookoutDetection("lookout", lookoutDetectionArgs(config, {
        webAcls,
        pipeline: {
            bucketName: pipeline.bucketName,
            templatedPath: pipeline.templatedPath,
            historicalPath: pipeline.historicalPath,
            readStatements: pipeline.detectorReadStatements(),
        },
        alerts: { topicArn: alerts.topicArn, topicKeyArn: alerts.topicKeyArn, findingFunctionArn: alerts.findingFunctionArn },
    }));
}

// Optional sources (off by default), on the same alert path.
const redshiftArgs = redshiftMetricsArgs(config, {
    alerts: redshiftAlerts,
    lookout: lookout ? {
        bucketName: pipeline.bucketName,
        bucketArn: pipeline.bucketArn,
        dataKeyArn: pipeline.dataKeyArn,
        snsAlertRoleArn: lookout.roles.snsAlerts.arn,
        lambdaAlertRoleArn: lookout.roles.lambdaAlerts.arn,
    } : undefined,
});
const redshift = redshiftArgs ? new RedshiftMetrics("redshift", redshiftArgs) : undefined;
const redshiftResolved = redshiftArgs ? redshiftSettings(redshiftArgs) : undefined;
const devopsGuruArgs = devopsGuruInsightsArgs(config, {
    alerts: { topicArn: alerts.topicArn, findingFunctionArn: alerts.findingFunctionArn, findingFunctionName: alerts.findingFunctionName, deadLetterQueueArn: alerts.deadLetterQueueArn },
});
const devopsGuru = devopsGuruArgs ? new DevOpsGuruInsights("devops-guru", devopsGuruArgs) : undefined;

// cloudwatch: the detection simulation's worst case for these exact alarms (model/detectionSim.ts).
const latency = latencyOf(config, cloudwatchArgs);

const redshiftSeconds = redshiftResolved ? redshiftLatencySeconds(redshiftResolved) : undefined;

const dashboard = new DetectionDashboard("detection", detectionDashboardArgs(config, {
    latency: { wafSeconds: latency.wafSeconds, ecommerceSeconds: latency.ecommerceSeconds, ...(redshiftSeconds !== undefined ? { redshiftSeconds } : {}) },
    webAcls,
    pipeline: { deliveryStreamName: pipeline.deliveryStreamName, transformFunctionName: pipeline.transformFunctionName, streamName: pipeline.streamName },
    alerts: { findingFunctionName: alerts.findingFunctionName, deadLetterQueueName: alerts.deadLetterQueueName },
    // The engine's alarms and the alert path's own (DLQ depth, heartbeat failures).
    alarmArns: pulumi.all([pulumi.output(alarmArns), alerts.deadLetterAlarm.arn, pulumi.output(heartbeat?.errorAlarm.arn), pulumi.all(relays.map((r) => r.deadLetterAlarm.arn)),
        pulumi.output(redshift?.alarmArns ?? []), pulumi.output(devopsGuru?.failedInvocationsAlarm.arn)])
        .apply(([engineAlarms, dlqAlarm, heartbeatAlarm, relayAlarms, redshiftAlarms, ...devopsGuruAlarms]) =>
            [...engineAlarms, dlqAlarm, ...(heartbeatAlarm ? [heartbeatAlarm] : []), ...relayAlarms, ...redshiftAlarms, ...devopsGuruAlarms.filter((a): a is string => !!a)]),
    sourceSections: pulumi.all([redshift?.runnerFunctionName, devopsGuru?.ruleName]).apply(([runnerName, ruleName]) => [
        ...(redshiftResolved && runnerName ? redshiftDashboardSections(redshiftResolved, runnerName) : []),
        ...(ruleName ? devopsGuruDashboardSections(config.region, ruleName) : []),
    ]),
}));

export const engine = config.detection.engine;
// Edge (the project's own API and web ACL; undefined when the stack has none)
export const invokeUrl = api?.invokeUrl;
export const stageArn = api?.stageArn;
export const webAclArn = api?.webAclArn;
export const webAclName = api?.webAclName;
export const wafRuleMetricNames = api?.ruleMetricNames;
export const wafLogGroupName = api?.wafLogGroupName;
/** Every watched web ACL: where its metrics (and alarms) are, the rules watched besides Rule=ALL, and where they came from. */
export const watchedWebAcls = pulumi.all(webAcls.map((a) => a.name)).apply((names) => webAcls.map((a, i) => ({
    name: names[i],
    scope: a.scope,
    region: metricsRegion(a.scope, config.region),
    rules: [WAF_TOTAL_RULE, ...a.rules],
    rulesFrom: a.key === OWN_ACL_KEY ? "this stack's web ACL" : config.waf.watch.find((w) => watchedAclKey(w.scope, w.name) === a.key)?.rules ? "listed in waf.watch" : "read with GetWebACL",
    wafDetectionLatencySeconds: latency.wafSeconds,
})));
// Pipeline
export const streamName = pipeline.streamName;
export const deliveryStreamName = pipeline.deliveryStreamName;
export const dataBucketName = pipeline.bucketName;
export const liveDataPath = pipeline.templatedPath;
export const historicalDataPath = pipeline.historicalPath;
// Alerts
export const alertTopicArn = alerts.topicArn;
export const peopleTopicArn = alerts.peopleTopicArn;
export const findingFunctionName = alerts.findingFunctionName;
export const alertDeadLetterQueueName = alerts.deadLetterQueueName;
export const securityHubProductArn = alerts.productArn;
// Detection
export const alarmCount = pulumi.output(alarmArns).apply((arns) => arns.length);
export const lookoutDetectorArns = lookout
    ? pulumi.all([lookout.wafDetectorArns, lookout.ecommerceDetectorArn]).apply(([w, e]) => ({ waf: w, ecommerce: e }))
    : undefined;
export const dashboardName = dashboard.dashboardName;
/** Worst-case seconds from an anomalous datapoint to the alert (README: "Detection latency"). */
export const detectionLatencySeconds = Math.max(latency.worstSeconds, redshiftSeconds ?? 0);
export const detectionLatencyBreakdown = {
    wafSeconds: latency.wafSeconds,
    ecommerceSeconds: latency.ecommerceSeconds,
    ...(redshiftSeconds !== undefined ? { redshiftSeconds } : {}),
    warnings: latency.warnings,
};
// Optional sources
export const redshiftRunnerFunctionName = redshift?.runnerFunctionName;
export const redshiftScheduleGroupName = redshift?.scheduleGroup.name;
export const devopsGuruRuleName = devopsGuru?.ruleName;
