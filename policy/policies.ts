// Every policy of the pack, by domain. `index.ts` builds the PolicyPack from this list; tests and the offline
// plan (scripts/plan.ts) evaluate the same list without starting the analyzer.
import type { EnforcementLevel, Policies } from "@pulumi/policy";

import { detectionPolicies } from "./detection";
import { encryptionPolicies } from "./encryption";
import { iamPolicies } from "./iam";
import { lambdaPolicies } from "./lambda";
import { resourcePolicies } from "./resourcePolicies";
import { s3Policies } from "./s3";
import { tagPolicies } from "./tags";
import { wafPolicies } from "./waf";

export const PACK_NAME = "edge-anomaly-detection";
/** Level of a policy that does not set its own (each policy here does). */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

export const policies: Policies = [
    ...wafPolicies,
    ...encryptionPolicies,
    ...s3Policies,
    ...iamPolicies,
    ...resourcePolicies,
    ...lambdaPolicies,
    ...detectionPolicies,
    ...tagPolicies,
];
