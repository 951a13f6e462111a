// Amazon Lookout for Metrics as Pulumi dynamic resources: a detector with its metric set, its activation and its
// alerts. L4M reached end of support in 2025; these are built and verified offline (see README).
export * from "./common";
export * from "./anomalyDetector";
export * from "./alert";
export * from "./detectorActivation";
