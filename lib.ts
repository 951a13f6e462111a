// The library entry point (package.json `main` / `exports`): the components of this project for use from another
// Pulumi program, each with its own typed Args and documented defaults, and the plain modules they share. The
// project's own program (`pulumi up` here) is index.ts (Pulumi.yaml `main`), which maps its stack config to
// these same Args in componentArgs.ts. See examples/ for a second program that uses the library.
export * from "./components/anomalyAlerts";
export * from "./components/blockedRequestsHeartbeat";
export * from "./components/chatChannels";
export * from "./components/cloudwatchDetection";
export * from "./components/detectionDashboard";
export * from "./components/ecommercePipeline";
export {
    LOOKOUT_DETECTION_DEFAULTS, LookoutDetection, LookoutDetectionArgs, WAF_DIMENSIONS as LOOKOUT_WAF_DIMENSIONS, WAF_FREQUENCY as LOOKOUT_WAF_FREQUENCY,
    lookoutBaseName, lookoutDetectionProblem,
} from "./components/lookoutDetection";
export * from "./components/wafProtectedApi";
export * from "./components/regionalAlertRelay";
export { InlineFunction, InlineFunctionArgs } from "./lambda/inlineFunction";
export * as ecommerceSchema from "./model/ecommerceSchema";
export * as detectionLatency from "./model/detectionLatency";
export { WafRuleSet, WafRuleSetOptions, WafRuleSpec, resolveWafRuleSet, wafRuleMetricNames, wafRules } from "./model/wafRules";
export { FunctionSettings, StackScopeArgs } from "./model/stackScope";
export * from "./model/wafTargets";
export type { Compression, EcommerceDimension, Engine, Frequency, LambdaRuntime } from "./config";
