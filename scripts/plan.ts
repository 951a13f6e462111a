// Offline plan: runs the program under the test mocks with a stack's configuration and prints what `pulumi up`
// would create (grouped by component and type, key settings per resource), what the policy pack says about it,
// what changes against a base plan, and a monthly cost estimate — no cloud account, no Pulumi CLI. For pull
// requests without credentials (forks) and for reviewers. See `--help`.
//
// Output is complete or the exit code says it is not: everything is written with backpressure and the process
// exits only after stdout has taken the last byte; a reader that closes early (EPIPE) makes the plan exit 3 with
// the reason on stderr. The last line of the text output is the verdict, `N mandatory violation(s)`.
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

// The program side (config, policy pack, quotas: @pulumi/pulumi and @pulumi/aws) is loaded where a plan is built,
// not here: printing a saved plan (`--plan FILE`), `--help` and usage errors then start in about a second.
import type { EvaluationReport, PolicyPackConfig } from "../policy/lib/evaluate";
import { CostEstimate, estimateCost, formatCost, IDLE, Load, parseLoad, REFERENCE_LOAD } from "./lib/cost";
import { PRICE_TABLE } from "./lib/prices";
import { ComponentInfo, componentOf, deployTimeValues, displayType, formatGrouped, GroupedRow, summarize, wrap } from "./lib/planTable";

const PROJECT = "edge-anomaly-detection";
const ROOT = path.resolve(__dirname, "..");

export const USAGE = `usage: npm run plan -- --stack <name> [options]

Runs the program offline (under the test mocks, no AWS account) and prints the resources it would create,
grouped by component and type, the policy pack's report and a monthly cost estimate. The last line is the
verdict: "N mandatory violations".

  --stack, -s NAME      stack whose Pulumi.<NAME>.yaml config the program runs with (required)
  --config-file FILE    YAML with a config: map layered over the stack's config (objects merge key by key);
                        repeatable
  --policy-config FILE  policy pack configuration JSON (the format of pulumi preview --policy-pack-config)
  --load SPEC           load of the cost estimate's second column (default events=20/s,requests=50/s);
                        also eventBytes=N, wafLogBytes=N, logged=1% (share of requests a BLOCK/COUNT filter logs)
  --base REF|FILE       also print what changes against another commit's plan (git REF) or a saved plan (FILE)
  --save FILE           write the plan as JSON to FILE (a base for a later --base FILE)
  --plan FILE           print a saved plan (--save or --json output) instead of running the program
  --comment FILE        write a Markdown summary (verdict, changes, cost) for a pull-request comment to FILE
  --json                print the plan, changes, cost and policy report as one JSON document; the verdict
                        line goes to stderr
  --width N             line width of the text output (default 120)
  --help, -h            this help

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 bad arguments or stack configuration;
3 the output could not be written completely (a reader closed the pipe).`;

class UsageError extends Error {}

export interface Args {
    stack: string;
    configFiles: string[];
    policyConfig?: string;
    json: boolean;
    load: Load;
    base?: string;
    save?: string;
    comment?: string;
    plan?: string;
    width: number;
    help: boolean;
}

export function parseArgs(argv: string[]): Args {
    const args: Args = { stack: "", configFiles: [], json: false, load: REFERENCE_LOAD, width: 120, help: false };
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
        else if (a === "--base") args.base = value();
        else if (a === "--save") args.save = value();
        else if (a === "--comment") args.comment = value();
        else if (a === "--plan") args.plan = value();
        else if (a === "--load") {
            try {
                args.load = parseLoad(value());
            } catch (e) {
                throw new UsageError((e as Error).message);
            }
        } else if (a === "--width") {
            const w = Number(value());
            if (!Number.isInteger(w) || w < 80 || w > 400) throw new UsageError("--width must be a whole number from 80 to 400");
            args.width = w;
        } else if (a === "--help" || a === "-h") args.help = true;
        else throw new UsageError(`unknown argument ${a}`);
    }
    if (!args.help && !args.stack && !args.plan) throw new UsageError("--stack is required");
    if (args.plan && (args.stack || args.configFiles.length || args.policyConfig)) {
        throw new UsageError("--plan prints a saved plan: --stack, --config-file and --policy-config do not apply");
    }
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

/** `{secure: "v1:…"}` values (Pulumi's encrypted stack values), anywhere in the config, as OFFLINE_SECRET. */
export function opaqueSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(opaqueSecrets);
    if (isPlainObject(v)) {
        const keys = Object.keys(v);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        if (keys.length === 1 && keys[0] === "secure" && typeof v.secure === "string") return (require("../config") as typeof import("../config")).OFFLINE_SECRET;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, opaqueSecrets(x)]));
    }
    return v;
}

function readStackConfig(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
    let doc: unknown;
    try {
        doc = yaml.load(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`${file}: not YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (!isPlainObject(doc) || !isPlainObject(doc.config)) throw new UsageError(`${file} has no config: map`);
    return opaqueSecrets(doc.config) as Record<string, unknown>;
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

// ---- output with backpressure ----------------------------------------------------------------------------------

/** Writes `text` to `stream` and resolves once the stream has taken it (the OS has it); rejects on EPIPE etc. */
export function writeFully(stream: NodeJS.WritableStream, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        stream.once("error", onError);
        stream.write(text, (err?: Error | null) => {
            stream.removeListener("error", onError);
            if (err) reject(err);
            else resolve();
        });
    });
}

// ---- the plan document -----------------------------------------------------------------------------------------

export interface PlanResource extends GroupedRow {
    /** The resource's inputs with deploy-time values as `<resource.output>`. */
    props: Record<string, unknown>;
    /** sha256 of the props: equal digests, equal resources. */
    digest: string;
}

export interface PlanChanges {
    base: string;
    added: { type: string; name: string; settings: string }[];
    removed: { type: string; name: string; settings: string }[];
    changed: { type: string; name: string; keys: string[]; before: string; after: string }[];
}

export interface PlanDocument {
    stack: string;
    resources: PlanResource[];
    components: ComponentInfo[];
    outputs: Record<string, unknown>;
    policies: EvaluationReport;
    cost: { priceDate: string; region: string; idle: CostEstimate; load: CostEstimate };
    changes?: PlanChanges;
}

function stable(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
    if (isPlainObject(v)) return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(",")}}`;
    return JSON.stringify(v) ?? "null";
}

const IGNORED_PROPS = new Set(["__provider", "providerVersion", "code"]);

/** Diff of two plans by type + name: added, removed, and changed (top-level input keys that differ). */
export function diffPlans(base: Pick<PlanDocument, "resources">, head: Pick<PlanDocument, "resources">, label: string): PlanChanges {
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    const before = new Map(base.resources.map((r) => [key(r), r]));
    const after = new Map(head.resources.map((r) => [key(r), r]));
    const changes: PlanChanges = { base: label, added: [], removed: [], changed: [] };
    for (const [k, r] of after) if (!before.has(k)) changes.added.push({ type: r.type, name: r.name, settings: r.settings });
    for (const [k, r] of before) if (!after.has(k)) changes.removed.push({ type: r.type, name: r.name, settings: r.settings });
    for (const [k, r] of after) {
        const b = before.get(k);
        if (!b) continue;
        const bp = b.props ?? {};
        const ap = r.props ?? {};
        const keys = [...new Set([...Object.keys(bp), ...Object.keys(ap)])]
            .filter((x) => !IGNORED_PROPS.has(x) && stable(bp[x]) !== stable(ap[x])).sort();
        if (keys.length === 0 && b.props === undefined && b.settings !== r.settings) keys.push("(settings)");
        if (keys.length) changes.changed.push({ type: r.type, name: r.name, keys, before: b.settings, after: r.settings });
    }
    return changes;
}

function formatChanges(c: PlanChanges, width: number): string {
    const out = [`Changes against ${c.base}: ${c.added.length} to add, ${c.removed.length} to remove, ${c.changed.length} to change`];
    const fit = (line: string) => wrap(line, width - 6).map((l, i) => (i === 0 ? l : `      ${l}`));
    for (const r of c.added) out.push(...fit(`  + ${r.type} ${r.name}: ${r.settings}`));
    for (const r of c.removed) out.push(...fit(`  - ${r.type} ${r.name}: ${r.settings}`));
    for (const r of c.changed) {
        out.push(...fit(`  ~ ${r.type} ${r.name}: ${r.keys.join(", ")}`));
        if (r.before !== r.after) {
            out.push(...fit(`      was: ${r.before}`));
            out.push(...fit(`      now: ${r.after}`));
        }
    }
    return out.join("\n");
}

/** A saved plan (`--save`, `--json`). */
function readSavedPlan(file: string, flag = "--base"): PlanDocument {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UsageError(`${flag} ${file}: not a saved plan (JSON): ${(e as Error).message}`);
    }
    if (!isPlainObject(doc) || !Array.isArray(doc.resources)) throw new UsageError(`${flag} ${file}: not a saved plan (no resources list)`);
    return doc as unknown as PlanDocument;
}

/** The plan of git commit `ref` for the same stack and config files: that commit's plan.ts in a scratch tree. */
function planOfCommit(ref: string, stack: string, configFiles: readonly string[]): Pick<PlanDocument, "resources"> {
    let commit: string;
    try {
        commit = execFileSync("git", ["-C", ROOT, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { encoding: "utf8" }).trim();
    } catch {
        throw new UsageError(`--base ${ref}: neither a saved plan file nor a git commit`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-base-"));
    try {
        const tar = path.join(dir, "src.tar");
        execFileSync("git", ["-C", ROOT, "archive", "--format=tar", "-o", tar, commit]);
        execFileSync("tar", ["-xf", tar, "-C", dir]);
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        const out = path.join(dir, "base-plan.json");
        const argv = ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", stack, "--json",
            ...configFiles.flatMap((f) => ["--config-file", path.resolve(f)])];
        const fd = fs.openSync(out, "w");
        try {
            execFileSync(process.execPath, argv, { cwd: dir, stdio: ["ignore", fd, "pipe"], maxBuffer: 64 * 1024 * 1024 });
        } catch (e) {
            const err = e as { status?: number; stderr?: Buffer };
            // Exit 1 (violations) still printed a full plan; anything else did not.
            if (err.status !== 1) throw new UsageError(`--base ${ref}: that commit's plan failed (exit ${err.status}): ${String(err.stderr ?? "").trim().split("\n").pop()}`);
        } finally {
            fs.closeSync(fd);
        }
        return readSavedPlan(out);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function reportLines(report: EvaluationReport, width: number): string[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PACK_NAME, policies } = require("../policy/policies") as typeof import("../policy/policies");
    const out = [`Policy pack ${PACK_NAME} (${policies.length} policies):`];
    if (report.violations.length === 0) out.push("  no violations");
    for (const v of report.violations) {
        const subject = v.type ? `${displayType(v.type)} ${v.name}` : "stack";
        out.push(...wrap(`[${v.level}] ${v.policy}: ${subject}: ${v.message}`, width - 4).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`)));
    }
    const applied = report.outcomes.filter((o) => o.applicable > 0).map((o) => o.policy);
    const idle = report.outcomes.filter((o) => o.applicable === 0 && o.level !== "disabled").map((o) => o.policy);
    const disabled = report.outcomes.filter((o) => o.level === "disabled").map((o) => o.policy);
    const summary = `applied: ${applied.length}; not applicable (nothing to check): ${idle.join(", ") || "none"}${disabled.length ? `; disabled: ${disabled.join(", ")}` : ""}`;
    out.push(...wrap(summary, width - 4).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`)));
    out.push(`  ${report.advisory} advisory`);
    return out;
}

function verdict(report: EvaluationReport): string {
    return `${report.mandatory} mandatory violation${report.mandatory === 1 ? "" : "s"}`;
}

/** The plan as text: header, grouped resources, changes, policy report, cost, verdict (last line). */
export function formatPlan(doc: PlanDocument, width = 120): string {
    const parts = [
        `Plan for stack ${doc.stack} (offline: the program under mocks; nothing is deployed)`,
        `${doc.resources.length} resources to create in ${doc.components.length} components. <resource.output> marks a value`,
        "known after deploy (an id or ARN AWS assigns).",
        "",
        formatGrouped(doc.resources, doc.components, width),
        "",
    ];
    if (doc.changes) parts.push(formatChanges(doc.changes, width), "");
    parts.push(...reportLines(doc.policies, width), "");
    parts.push(formatCost(doc.cost.idle, doc.cost.load, width), "");
    parts.push(`${doc.resources.length} resources to create (in ${doc.components.length} components)`, verdict(doc.policies));
    return parts.join("\n");
}

function usd(n: number): string {
    return `$${n.toFixed(2)}`;
}

/** The pull-request comment: verdict, counts, changes, cost (Markdown). */
export function formatComment(doc: PlanDocument): string {
    const byType = new Map<string, number>();
    for (const r of doc.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const lines = [
        `### Offline plan: stack \`${doc.stack}\` — ${verdict(doc.policies)}`,
        "",
        `${doc.resources.length} resources in ${doc.components.length} components; policy pack: ${doc.policies.violations.length} findings (${doc.policies.mandatory} mandatory, ${doc.policies.advisory} advisory).`,
        "",
    ];
    if (doc.changes) {
        const c = doc.changes;
        lines.push(`**Changes against ${c.base}:** ${c.added.length} to add, ${c.removed.length} to remove, ${c.changed.length} to change`, "");
        for (const r of c.added.slice(0, 50)) lines.push(`- \`+\` ${r.type} \`${r.name}\``);
        for (const r of c.removed.slice(0, 50)) lines.push(`- \`-\` ${r.type} \`${r.name}\``);
        for (const r of c.changed.slice(0, 50)) lines.push(`- \`~\` ${r.type} \`${r.name}\`: ${r.keys.join(", ")}`);
        lines.push("");
    }
    lines.push(`**Monthly cost estimate** (${doc.cost.region} list prices of ${doc.cost.priceDate}, \`scripts/lib/prices.ts\`; an estimate: no free tier, taxes or data transfer)`, "");
    lines.push("| type | item | idle | load |", "| --- | --- | ---: | ---: |");
    const rows = new Map<string, { idle: number; load: number }>();
    for (const l of doc.cost.idle.lines) rows.set(`${l.type} | ${l.item}`, { idle: l.usd, load: 0 });
    for (const l of doc.cost.load.lines) rows.set(`${l.type} | ${l.item}`, { idle: rows.get(`${l.type} | ${l.item}`)?.idle ?? 0, load: l.usd });
    for (const [k, v] of [...rows].sort((a, b) => b[1].load - a[1].load)) lines.push(`| ${k} | ${usd(v.idle)} | ${usd(v.load)} |`);
    lines.push(`| **total** | | **${usd(doc.cost.idle.totalUsd)}** | **${usd(doc.cost.load.totalUsd)}** |`, "");
    lines.push(`idle: no traffic; load: ${doc.cost.load.load.eventsPerSecond} events/s, ${doc.cost.load.load.requestsPerSecond} requests/s.`);
    if (doc.cost.load.unpriced.length) lines.push(`Not priced: ${doc.cost.load.unpriced.join("; ")}.`);
    return lines.join("\n") + "\n";
}

// ---- main ------------------------------------------------------------------------------------------------------

/**
 * Runs `fn` with this process's stdout writes sent to stderr: stdout carries the plan (or its JSON) and nothing
 * else, whatever the program, a provider or a library prints while the program runs (console.info, a stray
 * process.stdout.write), so `--json` always parses and the verdict stays the last line.
 */
export async function stdoutToStderr<T>(fn: () => Promise<T>): Promise<T> {
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
    try {
        return await fn();
    } finally {
        process.stdout.write = write;
    }
}

/** Program runs by stack + config: plans in one process (tests) with the same config share one run. */
const programRuns = new Map<string, Awaited<ReturnType<typeof import("../test/harness").runProgram>>>();

/** Everything the plan prints, computed; `main` only writes it. Exit code 2 errors come back as `usage`. */
export async function buildPlan(args: Args): Promise<{ doc: PlanDocument; log: string[] } | { usage: string }> {
    let config: Record<string, unknown>;
    let policyConfig: PolicyPackConfig = {};
    let base: Pick<PlanDocument, "resources"> | undefined;
    try {
        if (!stacks().includes(args.stack)) {
            throw new UsageError(`no stack file Pulumi.${args.stack}.yaml (stacks: ${stacks().join(", ") || "none"})`);
        }
        config = readStackConfig(path.join(ROOT, `Pulumi.${args.stack}.yaml`));
        for (const f of args.configFiles) config = layer(config, readStackConfig(path.resolve(f)));
        if (args.policyConfig) policyConfig = readPolicyConfig(path.resolve(args.policyConfig));
        if (args.base) base = fs.existsSync(args.base) && fs.statSync(args.base).isFile() ? readSavedPlan(args.base) : planOfCommit(args.base, args.stack, args.configFiles);
    } catch (e) {
        if (e instanceof UsageError) return { usage: e.message };
        throw e;
    }

    // The harness sets up the mocks; load it only once the arguments are good.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runProgram } = require("../test/harness") as typeof import("../test/harness");
    // No AWS here: a watched web ACL without `rules` is planned as Rule=ALL only, and the run's log says so.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { accountState, ACCOUNT: mockAccount } = require("../test/mocks") as typeof import("../test/mocks");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { evaluatePolicies, fromRecorded, PolicyConfigError } = require("../policy/lib/evaluate") as typeof import("../policy/lib/evaluate");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PACK_ENFORCEMENT_LEVEL, policies } = require("../policy/policies") as typeof import("../policy/policies");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { planQuotaProblem } = require("../preflight/quotas") as typeof import("../preflight/quotas");
    accountState.offlineWebAcls = true;
    let run: Awaited<ReturnType<typeof runProgram>>;
    const runKey = JSON.stringify([args.stack, config]);
    try {
        run = programRuns.get(runKey) ?? await stdoutToStderr(() => runProgram(config, args.stack, { exactStackName: true }));
        programRuns.set(runKey, run);
    } catch (e) {
        const err = e as Error;
        if (err.name === "ConfigError") return { usage: err.message };
        throw e;
    }
    // Quotas only the built values show (a function's whole environment, the dashboard body): exit 2 naming the key.
    const quota = planQuotaProblem(run.resources);
    if (quota) return { usage: quota };
    const planned = fromRecorded(run.resources, args.stack, PROJECT);
    let report: EvaluationReport;
    try {
        report = await evaluatePolicies(policies, planned, { config: policyConfig, packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
    } catch (e) {
        if (e instanceof PolicyConfigError) return { usage: `policy config: ${e.message}` };
        throw e;
    }

    // The mocks' account id is not the deploying account's: the plan says <account> (ARNs keep their shape).
    const sanitize = deployTimeValues(run.resources, { [mockAccount]: "<account>" });
    const components: ComponentInfo[] = planned.filter((r) => r.custom === false).map((r) => ({ name: r.name, type: r.type }));
    const custom = run.resources.filter((r) => planned.find((p) => p.name === r.name && p.type === r.type)?.custom !== false);
    const resources: PlanResource[] = custom.map((r) => {
        const props = sanitize(r.inputs) as Record<string, unknown>;
        return {
            component: componentOf(r.name, components)?.name ?? "(stack)",
            type: displayType(r.type),
            name: r.name,
            settings: summarize(r.type, props),
            props,
            digest: createHash("sha256").update(stable(props)).digest("hex"),
        };
    });
    const costInputs = custom.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    const doc: PlanDocument = {
        stack: args.stack,
        resources,
        components,
        outputs: sanitize(run.outputs) as Record<string, unknown>,
        policies: report,
        cost: { priceDate: PRICE_TABLE.date, region: PRICE_TABLE.region, idle: estimateCost(costInputs, IDLE), load: estimateCost(costInputs, args.load) },
    };
    if (base) doc.changes = diffPlans(base, doc, args.base!);
    return { doc, log: run.log };
}

export async function main(argv: string[], stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        await writeFully(stderr, `plan: ${e.message} (see --help)\n`);
        return 2;
    }
    if (args.help) {
        await writeFully(stdout, `${USAGE}\n`);
        return 0;
    }
    let doc: PlanDocument;
    if (args.plan) {
        try {
            if (!fs.existsSync(args.plan)) throw new UsageError(`--plan ${args.plan}: no such file`);
            doc = readSavedPlan(args.plan, "--plan");
            if (!doc.policies || !doc.cost || !Array.isArray(doc.components)) throw new UsageError(`--plan ${args.plan}: not a complete saved plan (policies, cost, components)`);
            if (args.base) doc.changes = diffPlans(fs.existsSync(args.base) ? readSavedPlan(args.base) : planOfCommit(args.base, doc.stack, []), doc, args.base);
        } catch (e) {
            if (!(e instanceof UsageError)) throw e;
            await writeFully(stderr, `plan: ${e.message}\n`);
            return 2;
        }
    } else {
        const built = await buildPlan(args);
        if ("usage" in built) {
            await writeFully(stderr, `plan: ${built.usage}\n`);
            return 2;
        }
        doc = built.doc;
        // The program's own warnings (preflight, rule discovery), as `pulumi preview` would show them.
        for (const line of built.log) await writeFully(stderr, `${line}\n`);
    }
    // A file the plan cannot write (full disk, no such directory) is output lost like a closed stdout: exit 3,
    // one line, and no verdict printed — CI reads the saved plan and the comment as well as the verdict.
    for (const [flag, file, content] of [["--save", args.save, () => JSON.stringify(doc, null, 2) + "\n"], ["--comment", args.comment, () => formatComment(doc)]] as const) {
        if (!file) continue;
        try {
            fs.writeFileSync(file, content());
        } catch (e) {
            const err = e as NodeJS.ErrnoException;
            await writeFully(stderr, `plan: output incomplete: could not write ${flag} ${file} (${err.code ?? err.message}); the verdict was not delivered\n`).catch(() => undefined);
            return 3;
        }
    }
    const code = doc.policies.mandatory > 0 ? 1 : 0;
    const text = args.json ? JSON.stringify(doc, null, 2) + "\n" : formatPlan(doc, args.width) + "\n";
    try {
        await writeFully(stdout, text);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        await writeFully(stderr, `plan: output incomplete: stdout closed before the plan was fully written (${err.code ?? err.message}; ${Buffer.byteLength(text)} bytes to write); the verdict was not delivered\n`).catch(() => undefined);
        return 3;
    }
    if (args.json) await writeFully(stderr, `${verdict(doc.policies)}\n`);
    return code;
}

if (require.main === module) {
    // EPIPE and friends arrive as 'error' events as well as write callbacks: handled in main, never a crash.
    process.stdout.on("error", () => undefined);
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`plan: ${(e as Error).stack ?? e}\n`, () => process.exit(2));
        },
    );
}
