// The policy pack: `pulumi preview --policy-pack policy`. Only assembles the pack — constructing a PolicyPack
// starts the analyzer's gRPC server, so nothing else may import this file (tests use ./policies).
import { PolicyPack } from "@pulumi/policy";

import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: "Guarantees of edge-anomaly-detection: WAF in front of every API stage, encryption and TLS-only S3, " +
        "least-privilege IAM, bounded and observable Lambda functions, detectors that alert, required tags.",
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
    policies,
});
