// A second Pulumi program that uses this project as a library: it watches ONE existing web ACL, with the
// library's components and nothing else — no demo API, no pipeline, no web ACL of its own. Its total (Rule=ALL)
// and each listed rule get a CloudWatch anomaly-band alarm; alarms notify an encrypted SNS topic whose finding
// Lambda files Security Hub findings naming the web ACL. For a CLOUDFRONT web ACL the alarms are created in
// us-east-1 and notify a relay topic there.
//
//   cd examples/watch-existing-acl
//   pulumi stack init dev && pulumi config set aws:region eu-west-1
//   pulumi config set webAclName my-alb-acl && pulumi config set alertEmail secops@corp.example
//   pulumi up
//
// In this repository `edge-anomaly-detection` resolves to lib.ts (package.json `exports`, self-reference); in
// another repository, add this project as a dependency (a git URL or a path) and run with ts-node (the library
// ships TypeScript).
import * as pulumi from "@pulumi/pulumi";
import {
    AnomalyAlerts, CLOUDFRONT_METRICS_REGION, CloudWatchDetection, RegionalAlertRelay, WafScope, WatchedWebAcl, watchedAclKey,
} from "edge-anomaly-detection";

const config = new pulumi.Config();
const region = new pulumi.Config("aws").require("region");
const scope = (config.get("webAclScope") ?? "REGIONAL") as WafScope;
if (scope !== "REGIONAL" && scope !== "CLOUDFRONT") throw new Error(`webAclScope must be REGIONAL or CLOUDFRONT, not ${JSON.stringify(scope)}`);
const webAcl: WatchedWebAcl = {
    key: watchedAclKey(scope, config.require("webAclName")),
    name: config.require("webAclName"),
    scope,
    rules: config.getObject<string[]>("rules") ?? [],
};
const emails = [config.require("alertEmail")];
const tags = { app: "waf-watch-example", stack: pulumi.getStack() };

// The alert path: topic (KMS), finding Lambda → Security Hub, DLQ. CLOUDFRONT alarms live in us-east-1.
const alarmRegion = scope === "CLOUDFRONT" ? CLOUDFRONT_METRICS_REGION : region;
const alerts = new AnomalyAlerts("alerts", {
    region, tags, emails,
    alarmRegions: alarmRegion === region ? [] : [alarmRegion],
});
const relay = alarmRegion === region ? undefined : new RegionalAlertRelay(`alerts-${alarmRegion}`, {
    region: alarmRegion, tags, emails, findingFunctionArn: alerts.findingFunctionArn, findingFunctionName: alerts.findingFunctionName,
});

// WAF only: no ecommerce series to watch.
const detection = new CloudWatchDetection("waf", {
    region, tags,
    webAcls: [webAcl],
    alerts: { topicArn: alerts.topicArn, ...(relay ? { regionalTopicArns: { [alarmRegion]: relay.topicArn } } : {}) },
    ecommerce: false,
});

export const alertTopicArn = alerts.topicArn;
export const alarmArns = detection.alarmArns;
export const watched = { name: webAcl.name, scope, alarmRegion, rules: ["ALL", ...webAcl.rules] };
