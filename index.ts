// Composition root: stack config -> components -> stack outputs. No resource is declared here.
import * as pulumi from "@pulumi/pulumi";

import { loadConfig } from "./config";
import {
    anomalyAlertsArgs, cloudWatchDetectionArgs, detectionDashboardArgs, devopsGuruInsightsArgs, ecommercePipelineArgs, heartbeatArgs, lookoutDetectionArgs,
    redshiftMetricsArgs, wafProtectedApiArgs,
} from "./componentArgs";
import { AnomalyAlerts } from "./components/anomalyAlerts";
import { BlockedRequestsHeartbeat } from "./components/blockedRequestsHeartbeat";
import { CloudWatchDetection } from "./components/cloudwatchDetection";
import { dashboardName as dashboardPhysicalName, DetectionDashboard } from "./components/detectionDashboard";
import { DevOpsGuruInsights, devopsGuruDashboardSections } from "./components/devopsGuruInsights";
import { detectionLatency as latencyOf } from "./model/detectionLatency";
import { EcommercePipeline } from "./components/ecommercePipeline";
import { LookoutDetection } from "./components/lookoutDetection";
import { RedshiftMetrics, redshiftDashboardSections, redshiftLatencySeconds, redshiftSettings } from "./components/redshiftMetrics";
import { WafProtectedApi } from "./components/wafProtectedApi";

const config = loadConfig();

// Edge: the API behind WAF.
const api = new WafProtectedApi("edge", wafProtectedApiArgs(config));
const waf = { webAclName: api.webAclName, ruleNames: api.ruleMetricNames };

// Business: the ecommerce pipeline.
const pipeline = new EcommercePipeline("ecommerce", ecommercePipelineArgs(config));

// One alert path for every detector.
const alerts = new AnomalyAlerts("alerts", anomalyAlertsArgs(config, { webAclArn: api.webAclArn, ecommerceStreamArn: pipeline.streamArn, dashboardName: dashboardPhysicalName(config) }));

const heartbeat = config.heartbeat.enabled
    ? new BlockedRequestsHeartbeat("blocked-heartbeat", heartbeatArgs(config, { ...waf, alarmTopicArn: alerts.topicArn }))
    : undefined;

// Detection: one engine per stack.
let alarmArns: pulumi.Output<string[]> | string[] = [];
let lookout: LookoutDetection | undefined;
let cloudwatchArgs: ReturnType<typeof cloudWatchDetectionArgs> | undefined;
if (config.detection.engine === "cloudwatch") {
    cloudwatchArgs = cloudWatchDetectionArgs(config, { waf, alerts: { topicArn: alerts.topicArn } });
    const cw = new CloudWatchDetection("detection", cloudwatchArgs);
    alarmArns = cw.alarmArns;
} else {
    lookout = new LookoutDetection("lookout", lookoutDetectionArgs(config, {
        waf,
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
    alerts: {
        topicArn: alerts.topicArn,
        deadLetterQueueArn: alerts.deadLetterQueueArn,
        deadLetterKeyArn: alerts.topicKeyArn,
        findingFunctionArn: alerts.findingFunctionArn,
    },
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
    alerts: { topicArn: alerts.topicArn, productArn: alerts.productArn, deadLetterQueueArn: alerts.deadLetterQueueArn, deadLetterKeyArn: alerts.topicKeyArn },
});
const devopsGuru = devopsGuruArgs ? new DevOpsGuruInsights("devops-guru", devopsGuruArgs) : undefined;

// cloudwatch: the detection simulation's worst case for these exact alarms (model/detectionSim.ts).
const latency = latencyOf(config, cloudwatchArgs);

const dashboard = new DetectionDashboard("detection", detectionDashboardArgs(config, {
    latency: { wafSeconds: latency.wafSeconds, ecommerceSeconds: latency.ecommerceSeconds },
    waf,
    pipeline: { deliveryStreamName: pipeline.deliveryStreamName, transformFunctionName: pipeline.transformFunctionName, streamName: pipeline.streamName },
    alerts: { findingFunctionName: alerts.findingFunctionName, deadLetterQueueName: alerts.deadLetterQueueName },
    // The engine's alarms and the alert path's own (DLQ depth, heartbeat failures).
    alarmArns: pulumi.all([alarmArns, alerts.deadLetterAlarm.arn, heartbeat?.errorAlarm.arn, redshift?.alarmArns ?? [], devopsGuru?.failedInvocationsAlarm.arn, devopsGuru?.errorAlarm.arn])
        .apply(([engineAlarms, dlqAlarm, heartbeatAlarm, redshiftAlarms, ...devopsGuruAlarms]) =>
            [...engineAlarms, dlqAlarm, ...(heartbeatAlarm ? [heartbeatAlarm] : []), ...redshiftAlarms, ...devopsGuruAlarms.filter((a): a is string => !!a)]),
    sourceSections: pulumi.all([redshift?.runnerFunctionName, devopsGuru?.ruleName]).apply(([runnerName, ruleName]) => [
        ...(redshiftResolved && runnerName ? redshiftDashboardSections(redshiftResolved, runnerName) : []),
        ...(ruleName ? devopsGuruDashboardSections(config.region, ruleName) : []),
    ]),
}));

export const engine = config.detection.engine;
// Edge
export const invokeUrl = api.invokeUrl;
export const stageArn = api.stageArn;
export const webAclArn = api.webAclArn;
export const webAclName = api.webAclName;
export const wafRuleMetricNames = api.ruleMetricNames;
export const wafLogGroupName = api.wafLogGroupName;
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
    ? pulumi.all([lookout.wafDetectorArn, lookout.ecommerceDetectorArn]).apply(([w, e]) => ({ waf: w, ecommerce: e }))
    : undefined;
export const dashboardName = dashboard.dashboardName;
/** Worst-case seconds from an anomalous datapoint to the alert (README: "Detection latency"). */
const redshiftSeconds = redshiftResolved ? redshiftLatencySeconds(redshiftResolved) : undefined;
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
