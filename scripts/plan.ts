// Offline plan: runs the program under the test mocks with a stack's configuration and prints what `pulumi up`
// would create (type, name, key settings) and what the policy pack says about it — no cloud account, no Pulumi
// CLI. For pull requests without credentials (forks) and for reviewers.
//
//   npm run plan -- --stack dev
//   npm run plan -- --stack dev --config-file extra.yaml --policy-config policy-config.json
//
// Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 bad arguments or stack configuration.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

import { EvaluationReport, evaluatePolicies, fromRecorded, PolicyConfigError, PolicyPackConfig } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "../policy/policies";
import { displayType, formatTable, PlanRow, summarize } from "./lib/planTable";

const PROJECT = "edge-anomaly-detection";
const ROOT = path.resolve(__dirname, "..");

const USAGE = `usage: npm run plan -- --stack <name> [--config-file <file.yaml>]... [--policy-config <file.json>] [--json]

  --stack          stack whose Pulumi.<name>.yaml config the program runs with
  --config-file    YAML with a config: map (a stack file) layered over the stack's config; objects merge key by key
  --policy-config  policy pack configuration JSON (the format of pulumi preview --policy-pack-config)
  --json           print the plan and the policy report as JSON instead of tables`;

class UsageError extends Error {}

interface Args {
    stack: string;
    configFiles: string[];
    policyConfig?: string;
    json: boolean;
}

export function parseArgs(argv: string[]): Args {
    const args: Args = { stack: "", configFiles: [], json: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack" || a === "-s") args.stack = value();
        else if (a === "--config-file") args.configFiles.push(value());
        else if (a === "--policy-config") args.policyConfig = value();
        else if (a === "--json") args.json = true;
        else if (a === "--help" || a === "-h") throw new UsageError("");
        else throw new UsageError(`unknown argument ${a}`);
    }
    if (!args.stack) throw new UsageError("--stack is required");
    return args;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `over` layered on `base`: plain objects merge key by key, anything else replaces. */
export function layer(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        out[k] = isPlainObject(v) && isPlainObject(out[k]) ? layer(out[k] as Record<string, unknown>, v) : v;
    }
    return out;
}

function readStackConfig(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: unknown } | undefined;
    if (!isPlainObject(doc) || !isPlainObject(doc.config)) throw new UsageError(`${file} has no config: map`);
    return doc.config;
}

function readPolicyConfig(file: string): PolicyPackConfig {
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
    try {
        const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
        if (!isPlainObject(parsed)) throw new Error("not a JSON object");
        return parsed as PolicyPackConfig;
    } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
    }
}

function stacks(): string[] {
    return fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s);
}

function printReport(report: EvaluationReport): void {
    console.log(`\nPolicy pack ${PACK_NAME} (${policies.length} policies):`);
    if (report.violations.length === 0) console.log("  no violations");
    for (const v of report.violations) {
        const subject = v.type ? `${displayType(v.type)} ${v.name}` : "stack";
        console.log(`  [${v.level}] ${v.policy}: ${subject}: ${v.message}`);
    }
    const applied = report.outcomes.filter((o) => o.applicable > 0).map((o) => o.policy);
    const idle = report.outcomes.filter((o) => o.applicable === 0 && o.level !== "disabled").map((o) => o.policy);
    const disabled = report.outcomes.filter((o) => o.level === "disabled").map((o) => o.policy);
    console.log(`  applied: ${applied.length}; not applicable (nothing to check): ${idle.join(", ") || "none"}${disabled.length ? `; disabled: ${disabled.join(", ")}` : ""}`);
    console.log(`  ${report.advisory} advisory`);
}

export async function main(argv: string[]): Promise<number> {
    let args: Args;
    let config: Record<string, unknown>;
    let policyConfig: PolicyPackConfig = {};
    try {
        args = parseArgs(argv);
        if (!stacks().includes(args.stack)) {
            throw new UsageError(`no stack file Pulumi.${args.stack}.yaml (stacks: ${stacks().join(", ") || "none"})`);
        }
        config = readStackConfig(path.join(ROOT, `Pulumi.${args.stack}.yaml`));
        for (const f of args.configFiles) config = layer(config, readStackConfig(path.resolve(f)));
        if (args.policyConfig) policyConfig = readPolicyConfig(path.resolve(args.policyConfig));
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        console.error(e.message ? `plan: ${e.message}\n\n${USAGE}` : USAGE);
        return 2;
    }

    // The harness sets up the mocks; load it only once the arguments are good.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runProgram } = require("../test/harness") as typeof import("../test/harness");
    let run: Awaited<ReturnType<typeof runProgram>>;
    try {
        run = await runProgram(config, args.stack);
    } catch (e) {
        const err = e as Error;
        if (err.name === "ConfigError") {
            console.error(`plan: ${err.message}`);
            return 2;
        }
        throw e;
    }
    const resources = fromRecorded(run.resources, args.stack, PROJECT);
    let report: EvaluationReport;
    try {
        report = await evaluatePolicies(policies, resources, { config: policyConfig, packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
    } catch (e) {
        if (e instanceof PolicyConfigError) {
            console.error(`plan: policy config: ${e.message}`);
            return 2;
        }
        throw e;
    }

    const custom = resources.filter((r) => r.custom !== false);
    const rows: PlanRow[] = custom.map((r) => ({ type: displayType(r.type), name: r.name, settings: summarize(r.type, r.props) }));
    if (args.json) {
        console.log(JSON.stringify({ stack: args.stack, resources: rows, components: resources.length - custom.length, outputs: run.outputs, policies: report }, null, 2));
    } else {
        console.log(`Plan for stack ${args.stack} (offline: the program under mocks; nothing is deployed)\n`);
        // Wrap long settings on a terminal; keep one line per resource in logs (greppable).
        console.log(formatTable(rows, process.stdout.isTTY ? Math.max(120, process.stdout.columns ?? 160) : Infinity));
        console.log(`\n${custom.length} resources to create (in ${resources.length - custom.length} components)`);
        printReport(report);
    }
    const closing = `${report.mandatory} mandatory violation${report.mandatory === 1 ? "" : "s"}`;
    if (args.json) console.error(closing);
    else console.log(closing);
    return report.mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(e);
            process.exit(2);
        },
    );
}
