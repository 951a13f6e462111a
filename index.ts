// Composition root: stack config -> components -> stack outputs. No resource is declared here.
import { loadConfig } from "./config";
import { BlockedRequestsHeartbeat } from "./components/blockedRequestsHeartbeat";
import { WafProtectedApi } from "./components/wafProtectedApi";

const config = loadConfig();

const api = new WafProtectedApi("edge", { config });

if (config.heartbeat.enabled) {
    new BlockedRequestsHeartbeat("blocked-heartbeat", { config, webAclName: api.webAclName, ruleNames: api.ruleMetricNames });
}

export const engine = config.detection.engine;
export const invokeUrl = api.invokeUrl;
export const stageArn = api.stageArn;
export const webAclArn = api.webAclArn;
export const webAclName = api.webAclName;
export const wafRuleMetricNames = api.ruleMetricNames;
export const wafLogGroupName = api.wafLogGroupName;
