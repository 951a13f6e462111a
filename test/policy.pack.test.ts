// The pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policy` starts
// `@pulumi/pulumi/cmd/run-policy-pack` in the pack's directory, which compiles policy/index.ts with ts-node
// (type-checked, the CLI's compiler settings), constructs the PolicyPack — which serves the analyzer gRPC API and
// prints its port — and the engine then calls GetAnalyzerInfo, Configure, Analyze and AnalyzeStack. This test
// does the engine's part over real gRPC, so it proves the pack loads from the repository's node_modules and
// that the analyzer server, not just our evaluation library, reports the violations.
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";

import { PlannedResource } from "../policy/lib/evaluate";
import { PACK_NAME, policies } from "../policy/policies";
import { compliantDefs, drop, find, materialize, stackWith } from "./fixtures/policy/stack";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const PULUMI = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.join(PULUMI, "proto")] }));
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [path.join(PULUMI, "proto")] }));
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [path.join(PULUMI, "proto")] }));

const POLICY_DIR = path.resolve(__dirname, "..", "policy");
const LEVEL: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

function call<T>(client: any, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function options(): any {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(false);
    return o;
}

function analyzeRequest(r: PlannedResource): any {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setProperties(structPb.Struct.fromJavaScript(r.props));
    req.setOptions(options());
    return req;
}

function stackRequest(resources: PlannedResource[]): any {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(resources.map((r) => {
        const ar = new analyzerPb.AnalyzerResource();
        ar.setType(r.type);
        ar.setName(r.name);
        ar.setUrn(r.urn);
        ar.setProperties(structPb.Struct.fromJavaScript(r.outputs ?? r.props));
        ar.setOptions(options());
        ar.setDependenciesList(r.dependencies ?? []);
        const deps = ar.getPropertydependenciesMap();
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            const d = new analyzerPb.AnalyzerPropertyDependencies();
            d.setUrnsList(urns);
            deps.set(k, d);
        }
        return ar;
    }));
    return req;
}

interface Diag {
    policy: string;
    level: string;
    message: string;
    urn: string;
}

function diagnostics(res: any): Diag[] {
    return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }));
}

describe("policy pack served by @pulumi/pulumi's run-policy-pack (as the CLI starts it)", function () {
    this.timeout(120_000);
    let child: ChildProcess;
    let client: any;
    let stderr = "";

    before(async () => {
        child = spawn(process.execPath, [path.join(PULUMI, "cmd", "run-policy-pack", "index.js"), "127.0.0.1:1", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        child.stderr!.on("data", (b: Buffer) => { stderr += b.toString(); });
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(() => reject(new Error(`the pack printed no port within 90 s; stderr:\n${stderr}`)), 90_000);
            child.stdout!.on("data", (b: Buffer) => {
                out += b.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving; stderr:\n${stderr}`)));
        });
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        if (child && child.exitCode === null) child.kill();
    });

    it("describes itself: pack name, version from policy/package.json, every policy with its level", async () => {
        const info = await call<any>(client, "getAnalyzerInfo", new emptyPb.Empty());
        assert.equal(info.getName(), PACK_NAME);
        assert.equal(info.getVersion(), require("../policy/package.json").version);
        const served = info.getPoliciesList().map((p: any) => [p.getName(), LEVEL[p.getEnforcementlevel()]]);
        assert.deepEqual(served, policies.map((p) => [p.name, p.enforcementLevel]));
        const tags = info.getPoliciesList().find((p: any) => p.getName() === "required-tags");
        assert.deepEqual(tags.getConfigschema().getProperties().toJavaScript().requiredTags.default, ["app", "stack"]);
    });

    it("Analyze: a compliant resource passes; a violating one gets a mandatory diagnostic from the right policy", async () => {
        const ok = materialize(compliantDefs()).find((r) => r.name === "webacl-stage" || r.name === "waf-logging")!;
        assert.deepEqual(diagnostics(await call(client, "analyze", analyzeRequest(ok))), []);
        const bad = stackWith((d) => { find(d, "waf-logging").props.redactedFields = []; }).find((r) => r.name === "waf-logging")!;
        const diags = diagnostics(await call(client, "analyze", analyzeRequest(bad)));
        assert.deepEqual(diags.map((d) => [d.policy, d.level]), [["waf-logging-redacts-credentials", "mandatory"]]);
        assert.match(diags[0].message, /authorization and cookie headers/);
    });

    it("Analyze without Configure: policies fall back to their schema defaults", async () => {
        const fn = stackWith((d) => { find(d, "finding").props.runtime = "nodejs18.x"; }).find((r) => r.name === "finding")!;
        const diags = diagnostics(await call(client, "analyze", analyzeRequest(fn)));
        assert.deepEqual(diags.map((d) => d.policy), ["lambda-supported-runtime"]);
        assert.match(diags[0].message, /allowed: nodejs22\.x, nodejs24\.x/);
    });

    it("AnalyzeStack: the compliant stack (known and preview-shaped) passes; a stage without a web ACL fails", async () => {
        assert.deepEqual(diagnostics(await call(client, "analyzeStack", stackRequest(materialize(compliantDefs())))), []);
        assert.deepEqual(diagnostics(await call(client, "analyzeStack", stackRequest(materialize(compliantDefs(), "preview")))), []);
        const diags = diagnostics(await call(client, "analyzeStack", stackRequest(stackWith((d) => drop(d, "webacl-stage"), "preview"))));
        assert.deepEqual(diags.map((d) => [d.policy, d.level]), [["waf-stage-protected", "mandatory"]]);
        assert.match(diags[0].urn, /::aws:apigateway\/stage:Stage::stage$/);
    });

    it("Configure: policy config reaches the policies (required tags) and can change a level", async () => {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const tagsCfg = new analyzerPb.PolicyConfig();
        tagsCfg.setEnforcementlevel(0);
        tagsCfg.setProperties(structPb.Struct.fromJavaScript({ requiredTags: ["cost-center"] }));
        req.getPolicyconfigMap().set("required-tags", tagsCfg);
        await call(client, "configure", req);
        const topic = materialize(compliantDefs()).find((r) => r.name === "alerts")!;
        const diags = diagnostics(await call(client, "analyze", analyzeRequest(topic)));
        assert.deepEqual(diags.map((d) => [d.policy, d.level]), [["required-tags", "advisory"]]);
        assert.match(diags[0].message, /Missing required tag cost-center/);
    });
});
