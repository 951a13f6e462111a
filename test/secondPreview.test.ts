// "Second preview is empty": with unchanged config, a second `pulumi preview` after `pulumi up` must propose no
// change. Offline, that splits into two rules this file enforces:
//  1. The program's inputs are a function of the config alone. Two fresh processes compute every resource's inputs
//     (archives included: the serialized Lambda and provider code), with the clock a day apart and different random
//     sequences; any difference — a timestamp, a random name, JSON whose key order varies — is a diff a real
//     preview would show. Strings (JSON documents included) are compared exactly.
//  2. No input sets a value its provider does not store. A provider that leaves a value out of its state shows it as
//     a diff on every later preview, and no update can settle it. The known cases are listed in NOT_STORED_DEFAULTS
//     with their sources; anything else a provider normalizes can only be seen against an account
//     (`pulumi preview --expect-no-changes` after `pulumi up`, README "Second preview").
import { strict as assert } from "assert";
import { execFile } from "child_process";

import { LAMBDA_PROCESSOR_DEFAULTS } from "../components/ecommercePipeline";
import { MARKER } from "./fixtures/secondPreview/inputs";
import { ROOT } from "./harness";

interface Inputs {
    probes: { now: number; random: number; uuid: string };
    resources: { type: string; name: string; inputs: Record<string, any> }[];
    reads: { type: string; name: string; id: string; inputs: unknown }[];
    outputs: unknown;
}

/** One fresh process with its clock shifted and its own random seed: each engine's inputs, by engine. */
function computeInputs(engines: string[], shiftMs: number, seed: number): Promise<Record<string, Inputs>> {
    return new Promise((resolve, reject) => {
        execFile(process.execPath,
            ["-r", "./test/tsnode.js", "-r", "./test/fixtures/secondPreview/shiftClock.js", "test/fixtures/secondPreview/inputs.ts", "--engine", engines.join(",")],
            { cwd: ROOT, maxBuffer: 128 * 1024 * 1024, env: { ...process.env, PREVIEW_CLOCK_SHIFT_MS: String(shiftMs), PREVIEW_RANDOM_SEED: String(seed) } },
            (err, stdout, stderr) => {
                const byEngine: Record<string, Inputs> = {};
                for (const line of stdout.split("\n").filter((l) => l.startsWith(MARKER))) {
                    const rest = line.slice(MARKER.length);
                    const space = rest.indexOf(" ");
                    byEngine[rest.slice(0, space)] = JSON.parse(rest.slice(space + 1)) as Inputs;
                }
                const missing = engines.filter((e) => !byEngine[e]);
                if (err || missing.length) return reject(new Error(`inputs run failed: ${err?.message ?? `no output for ${missing.join(", ")}`}\n${stderr}`));
                resolve(byEngine);
            });
    });
}

/** Every path at which two canonical values differ, `a → b`. */
export function differences(a: unknown, b: unknown, at = ""): string[] {
    if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
        return [`${at}: ${JSON.stringify(a)?.slice(0, 120)} → ${JSON.stringify(b)?.slice(0, 120)}`];
    }
    if (Array.isArray(a)) {
        const bb = b as unknown[];
        const out = a.length !== bb.length ? [`${at}: ${a.length} items → ${bb.length}`] : [];
        for (let i = 0; i < Math.min(a.length, bb.length); i++) out.push(...differences(a[i], bb[i], `${at}[${i}]`));
        return out;
    }
    if (a && typeof a === "object") {
        const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
        return keys.flatMap((k) => differences(ao[k], bo[k], at ? `${at}.${k}` : k));
    }
    if (a !== b) {
        // show where two long strings (JSON documents, code) part
        const [sa, sb] = [String(a), String(b)];
        let i = 0;
        while (i < sa.length && sa[i] === sb[i]) i++;
        return [`${at}: …${sa.slice(Math.max(0, i - 40), i + 40)}… → …${sb.slice(Math.max(0, i - 40), i + 40)}…`];
    }
    return [];
}

/** Two runs' resources, matched by type and name. */
export function compareRuns(a: Inputs, b: Inputs): string[] {
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    const bBy = new Map(b.resources.map((r) => [key(r), r]));
    const out: string[] = [];
    for (const r of a.resources) {
        const other = bBy.get(key(r));
        if (!other) { out.push(`${key(r)}: only in the first run`); continue; }
        bBy.delete(key(r));
        out.push(...differences(r.inputs, other.inputs).map((d) => `${key(r)} ${d}`));
    }
    for (const k of bBy.keys()) out.push(`${k}: only in the second run`);
    out.push(...differences(a.reads, b.reads, "reads"), ...differences(a.outputs, b.outputs, "outputs"));
    return out;
}

/**
 * Values a provider does not keep in its state when set to them, each with its source. Checked on every registered
 * resource; an entry returns the offending input paths.
 */
export const NOT_STORED_DEFAULTS: { type: string; what: string; source: string; offending(inputs: Record<string, any>): string[] }[] = [
    {
        type: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        what: "Lambda processor parameters equal to Firehose's defaults (NumberOfRetries 3, BufferIntervalInSeconds 60, BufferSizeInMBs 1 except Splunk/Snowflake) or RoleArn equal to the destination's role",
        source: "terraform-provider-aws internal/service/firehose/delivery_stream.go flattenProcessingConfiguration/defaultProcessorParameters " +
            "(hashicorp/terraform-provider-aws#35137 set the size default to 1 MB); Firehose developer guide, Transform source data",
        offending(inputs) {
            const out: string[] = [];
            for (const [dest, cfg] of Object.entries(inputs)) {
                const processors = (cfg as any)?.processingConfiguration?.processors;
                if (!Array.isArray(processors)) continue;
                const sizeDefault = /^(splunk|snowflake)/.test(dest) ? undefined : String(LAMBDA_PROCESSOR_DEFAULTS.BufferSizeInMBs);
                processors.forEach((p: any, i: number) => {
                    if (p.type !== "Lambda") return;
                    for (const { parameterName: n, parameterValue: v } of p.parameters ?? []) {
                        const dflt = n === "NumberOfRetries" ? String(LAMBDA_PROCESSOR_DEFAULTS.NumberOfRetries)
                            : n === "BufferIntervalInSeconds" ? String(LAMBDA_PROCESSOR_DEFAULTS.BufferIntervalInSeconds)
                                : n === "BufferSizeInMBs" ? sizeDefault
                                    : n === "RoleArn" ? (cfg as any).roleArn : undefined;
                        if (dflt !== undefined && String(v) === dflt) out.push(`${dest}.processingConfiguration.processors[${i}] ${n} = ${v}`);
                    }
                });
            }
            return out;
        },
    },
];

describe("second preview is empty (same config, two fresh runs)", function () {
    this.timeout(600_000);
    const runs: Record<string, [Inputs, Inputs]> = {};

    before(async () => {
        const DAY = 86_400_000;
        const engines = ["cloudwatch", "lookout"];
        const [first, second] = await Promise.all([computeInputs(engines, 0, 1), computeInputs(engines, DAY + 1234, 99)]);
        for (const engine of engines) runs[engine] = [first[engine], second[engine]];
    });

    it("the two runs really saw different clocks and random sequences (so a time- or random-dependent input would differ)", () => {
        for (const [a, b] of Object.values(runs)) {
            assert.ok(b.probes.now - a.probes.now > 86_000_000, "clocks a day apart");
            assert.notEqual(a.probes.random, b.probes.random);
            assert.notEqual(a.probes.uuid, b.probes.uuid);
        }
    });

    for (const engine of ["cloudwatch", "lookout"]) {
        it(`${engine} engine: every resource's inputs (code archives included), the reads and the outputs are identical`, () => {
            const [a, b] = runs[engine];
            assert.ok(a.resources.length > 50, `${a.resources.length} resources`);
            // The code itself is compared: every Lambda's archive carries its serialized handler, not an empty map.
            const archives = a.resources.filter((r) => r.type === "aws:lambda/function:Function").map((r) => (r.inputs.code as any)?.["<archive>"]);
            assert.ok(archives.length >= 2, `${archives.length} Lambda archives`);
            for (const archive of archives) assert.ok(String(archive?.["__index.js"]?.["<asset>"] ?? "").includes("exports.handler"), JSON.stringify(archive)?.slice(0, 200));
            assert.deepEqual(compareRuns(a, b), []);
        });

        it(`${engine} engine: no input sets a value its provider does not store`, () => {
            const [a] = runs[engine];
            const found = a.resources.flatMap((r) => NOT_STORED_DEFAULTS.filter((d) => d.type === r.type).flatMap((d) => d.offending(r.inputs).map((o) => `${r.type} ${r.name}: ${o}`)));
            assert.deepEqual(found, []);
            assert.ok(a.resources.some((r) => NOT_STORED_DEFAULTS.some((d) => d.type === r.type)), "the rules apply to this program");
        });
    }

    it("the comparison catches what it is for: a timestamp, a random suffix, reordered JSON, an added resource", () => {
        const base: Inputs = {
            probes: { now: 0, random: 0, uuid: "" },
            resources: [{ type: "t", name: "n", inputs: { doc: JSON.stringify({ a: 1, b: 2 }), name: "x-1", at: "2026-01-01T00:00:00Z" } }],
            reads: [], outputs: {},
        };
        const variant = (patch: Record<string, string>): Inputs => ({ ...base, resources: [{ ...base.resources[0], inputs: { ...base.resources[0].inputs, ...patch } }] });
        assert.deepEqual(compareRuns(base, JSON.parse(JSON.stringify(base))), []);
        assert.equal(compareRuns(base, variant({ at: "2026-01-02T00:00:00Z" })).length, 1);
        assert.equal(compareRuns(base, variant({ name: "x-2" })).length, 1);
        assert.equal(compareRuns(base, variant({ doc: JSON.stringify({ b: 2, a: 1 }) })).length, 1);
        assert.deepEqual(compareRuns(base, { ...base, resources: [...base.resources, { type: "t", name: "m", inputs: {} }] }), ["t m: only in the second run"]);
    });

    it("the Firehose rule flags each non-stored default, and only those", () => {
        const [rule] = NOT_STORED_DEFAULTS;
        const params = (ps: [string, string][]) => ({ extendedS3Configuration: { roleArn: "arn:role", processingConfiguration: { processors: [{ type: "Lambda", parameters: ps.map(([n, v]) => ({ parameterName: n, parameterValue: v })) }] } } });
        assert.deepEqual(rule.offending(params([["LambdaArn", "fn"], ["BufferSizeInMBs", "3"], ["BufferIntervalInSeconds", "120"], ["NumberOfRetries", "2"]])), []);
        assert.equal(rule.offending(params([["LambdaArn", "fn"], ["BufferIntervalInSeconds", "60"], ["BufferSizeInMBs", "1"], ["NumberOfRetries", "3"], ["RoleArn", "arn:role"]])).length, 4);
    });
});
