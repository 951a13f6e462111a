// S3: no public access, and TLS only.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

import { isDocument, parsePolicyDocument, Statement } from "./lib/policyDocument";
import { isTlsDeny, tlsDenyNarrowing } from "./resourcePolicies";
import { requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { BUCKET_TYPES, T } from "./lib/types";
import { get, getBoolean, getString, UNKNOWN } from "./lib/values";

export const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

function missingFlags(block: PolicyResource): string[] {
    return PUBLIC_ACCESS_FLAGS.filter((f) => {
        const v = getBoolean(block.props, f);
        return v !== true && v !== UNKNOWN;
    });
}

export const s3PublicAccessBlocked: StackValidationPolicy = {
    name: "s3-public-access-blocked",
    description: `Every S3 bucket has a public access block with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true (or the stack blocks public access account-wide).`,
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags true.",
    validateStack: (args, report) => {
        const buckets = ofType(args.resources, ...BUCKET_TYPES);
        requireAny(args, "S3 buckets", buckets.length);
        const account = ofType(args.resources, "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock");
        if (account.some((a) => missingFlags(a).length === 0)) return;
        const blocks = ofType(args.resources, T.bucketPublicAccessBlock);
        for (const b of buckets) {
            const ids = identifiers(b, "bucket", "id");
            const mine = blocks.filter((blk) => refersTo(blk, ["bucket"], b, ids));
            if (mine.length === 0) {
                report(`${label(b)} has no public access block: a later ACL or bucket policy could make it public. ` +
                    `Add an aws.s3.BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} true.`, b.urn);
                continue;
            }
            const missing = missingFlags(mine[0]);
            if (missing.length) report(`The public access block of ${label(b)} does not set ${missing.join(", ")} to true.`, b.urn);
        }
    },
};

/** True for a statement that denies every S3 request made without TLS, from everyone, with no narrowing condition. */
export function deniesInsecureTransport(st: Statement): boolean {
    return isTlsDeny(st) && tlsDenyNarrowing(st, "s3").length === 0;
}

/** Whether the statement's resources cover the bucket and its objects (unknown resources are given the benefit). */
function coversBucket(st: Statement, bucketArn: string | undefined): boolean {
    if (st.resources.some((r) => r === UNKNOWN || r === "*")) return true;
    if (!bucketArn) return st.resources.some((r) => typeof r === "string" && r.endsWith("/*"));
    const rs = st.resources as string[];
    return rs.includes(bucketArn) && rs.includes(`${bucketArn}/*`);
}

export const s3DenyInsecureTransport: StackValidationPolicy = {
    name: "s3-deny-insecure-transport",
    description: "Every S3 bucket has a bucket policy that denies requests without TLS (aws:SecureTransport = false) for the bucket and its objects, " +
        "from everyone, not narrowed by any other condition, NotPrincipal, NotAction or NotResource.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Attach an aws.s3.BucketPolicy with { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, bucketArn + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }.`,
    validateStack: (args, report) => {
        const buckets = ofType(args.resources, ...BUCKET_TYPES);
        requireAny(args, "S3 buckets", buckets.length);
        const policies = ofType(args.resources, T.bucketPolicy);
        for (const b of buckets) {
            const ids = identifiers(b, "bucket", "id");
            const arn = getString(b.props, "arn");
            const docs: unknown[] = policies.filter((p) => refersTo(p, ["bucket"], b, ids)).map((p) => get(p.props, "policy"));
            const inline = get(b.props, "policy");
            if (inline !== undefined && inline !== UNKNOWN && inline !== "") docs.push(inline);
            if (docs.length === 0) {
                report(`${label(b)} has no bucket policy, so plain-HTTP requests are not refused. Attach one that denies aws:SecureTransport = false.`, b.urn);
                continue;
            }
            let ok = false;
            let unknown = false;
            const problems: string[] = [];
            for (const d of docs) {
                const parsed = parsePolicyDocument(d);
                if (parsed === UNKNOWN) {
                    unknown = true; // preview: the document embeds the bucket ARN; the post-update check sees it
                    continue;
                }
                if (!isDocument(parsed)) {
                    problems.push(parsed.error);
                    continue;
                }
                const deny = parsed.statements.filter(deniesInsecureTransport);
                if (deny.some((st) => coversBucket(st, typeof arn === "string" ? arn : undefined))) ok = true;
                else if (deny.length) problems.push("its TLS-only statement does not cover both the bucket and its objects (bucketArn and bucketArn/*)");
                for (const st of parsed.statements.filter((x) => isTlsDeny(x) && !deniesInsecureTransport(x))) {
                    problems.push(`its TLS-only statement is narrowed: ${tlsDenyNarrowing(st, "s3").join("; ")}`);
                }
            }
            if (ok || unknown) continue;
            report(`The bucket policy of ${label(b)} does not deny requests without TLS` +
                `${problems.length ? `: ${problems.join("; ")}` : ` (no Deny statement for Principal "*", Action "s3:*" with Bool aws:SecureTransport = "false")`}.`, b.urn);
        }
    },
};

export const s3Policies = [s3PublicAccessBlocked, s3DenyInsecureTransport];
