// Whole-program guarantees, checked on every stack file and both engines: least privilege (no `*` actions,
// no AWS managed FullAccess policies) and small, explicit inline Lambdas.
import { strict as assert } from "assert";
import { ProgramRun, runProgram, stackFileConfig, stackNames } from "./harness";
import { archiveLimitFor, lambdaArchiveSize } from "./archiveSize";
import { serializedText, staleSerializations } from "./serialized";
import { findingHandlerFactory } from "../components/anomalyAlerts";
import { heartbeatHandlerFactory } from "../components/blockedRequestsHeartbeat";
import { transformHandlerFactory } from "../components/ecommercePipeline";

/** Every IAM policy document the program registers, with where it came from. */
export function policyDocuments(run: ProgramRun): { where: string; doc: any }[] {
    const docs: { where: string; doc: any }[] = [];
    const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
    for (const r of run.resources) {
        if (r.type === "aws:iam/rolePolicy:RolePolicy" || r.type === "aws:iam/policy:Policy") docs.push({ where: `${r.type} ${r.name}`, doc: parse(r.inputs.policy) });
        if (r.type === "aws:iam/role:Role") {
            docs.push({ where: `${r.name} trust`, doc: parse(r.inputs.assumeRolePolicy) });
            for (const p of r.inputs.inlinePolicies ?? []) docs.push({ where: `${r.name} inline ${p.name}`, doc: parse(p.policy) });
        }
        for (const key of ["policy"]) {
            if (/(sns\/topicPolicy|sqs\/queuePolicy|s3\/bucketPolicy|kms\/key):/.test(r.type) && r.inputs[key]) docs.push({ where: `${r.type} ${r.name}`, doc: parse(r.inputs[key]) });
        }
    }
    return docs;
}

function actionsOf(stmt: any): string[] {
    const a = stmt.Action ?? stmt.NotAction ?? [];
    return Array.isArray(a) ? a : [a];
}

const variants: { label: string; config: () => Record<string, unknown> }[] = [
    ...stackNames().map((stack) => ({ label: `Pulumi.${stack}.yaml`, config: () => stackFileConfig(stack) })),
    {
        label: "dev with engine=lookout",
        config: () => {
            const c = stackFileConfig("dev");
            c["edge-anomaly-detection:detection"] = { ...(c["edge-anomaly-detection:detection"] as object), engine: "lookout" };
            return c;
        },
    },
];

for (const variant of variants) {
    describe(`program hygiene: ${variant.label}`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(variant.config(), "hygiene");
        });

        it("has no IAM statement allowing a `*` action (or a whole-service wildcard)", () => {
            const docs = policyDocuments(run);
            assert.ok(docs.length > 0);
            for (const { where, doc } of docs) {
                for (const stmt of [].concat(doc.Statement ?? [])) {
                    if ((stmt as any).Effect === "Deny") continue;
                    assert.ok(!("NotAction" in (stmt as any)), `${where}: Allow with NotAction`);
                    for (const action of actionsOf(stmt)) {
                        assert.notEqual(action, "*", `${where}: action "*"`);
                        assert.ok(!/^[a-z0-9-]+:\*$/i.test(action), `${where}: whole-service action ${action}`);
                    }
                }
            }
        });

        it("attaches no AWS managed FullAccess (or admin) policy", () => {
            const arns: string[] = [];
            for (const r of run.resources) {
                if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") arns.push(r.inputs.policyArn);
                if (r.type === "aws:iam/role:Role") arns.push(...(r.inputs.managedPolicyArns ?? []));
            }
            for (const arn of arns) {
                assert.ok(!/FullAccess|AdministratorAccess|PowerUserAccess/.test(arn), `managed policy ${arn}`);
            }
        });

        it("builds every Lambda with an explicit runtime, its own log group with retention, and a code archive within its limit (64 KB; test/archiveSize.ts names the exceptions)", async () => {
            const fns = run.ofType("aws:lambda/function:Function");
            assert.ok(fns.length > 0);
            for (const fn of fns) {
                assert.match(fn.inputs.runtime, /^nodejs(22|24)\.x$/, fn.name);
                const group = run.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.state.name === fn.inputs.loggingConfig?.logGroup);
                assert.ok(group && group.inputs.retentionInDays > 0, `${fn.name} logs to a group with retention`);
                const size = await lambdaArchiveSize(fn);
                assert.ok(size.raw <= archiveLimitFor(fn.name), `${fn.name}: archive ${size.raw} bytes > ${archiveLimitFor(fn.name)}`);
                if (process.env.REPORT_ARCHIVES) console.log(`      ${fn.name}: ${size.files} file(s), ${size.raw} B raw, ${size.deflated} B deflated`);
            }
        });
    });
}

describe("program runs share serialized Lambda code (test/serialized.ts memoizeSerialization)", () => {
    it("every Lambda handler the program memoizes still serializes to the text the memo serves (after this worker's program runs)", async function () {
        this.timeout(120_000);
        assert.ok(variants.length > 1, "several program runs came before this check in this file");
        // The program's CallbackFunction handlers, the functions the memo serves run after run (a per-run closure, such
        // as the Redshift runner built from settings, is a new object each run and never served from the memo).
        const handlers = new Set<Function>([findingHandlerFactory, transformHandlerFactory, heartbeatHandlerFactory]);
        assert.deepEqual(await staleSerializations((fn) => handlers.has(fn)), []);
    });

    it("the check sees a captured value that changed after the first serialization", async () => {
        const state = { limit: 100 };
        const handler = () => state.limit;
        await serializedText(handler);
        state.limit = 5;
        const stale = await staleSerializations((fn) => fn === handler);
        assert.equal(stale.length, 1);
        assert.match(stale[0], /^handler: memoized text differs from a fresh serialization/);
        assert.match(stale[0], /limit: 5/);
    });
});
