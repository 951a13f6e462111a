// Runs the Pulumi program (from its entry point, main.ts) in-process under the shared mocks with a given stack configuration and
// returns what it registered and exported. Each run gets its own stack name and loads the program afresh, so one
// mocha process can run the program for several configurations (e.g. both engines).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "../config";
import { mocks, reads, registered, Registered, webAclReader } from "./mocks";
import { memoizeSerialization } from "./serialized";

// Program runs in one process serialize each Lambda's code once (see memoizeSerialization).
memoizeSerialization();

export const ROOT = path.resolve(__dirname, "..");

/** The `config:` map of a stack file (Pulumi.<stack>.yaml), keys as written (`project:key`, `aws:region`). */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    return { ...(doc.config ?? {}) };
}

/** Every stack file in the repository. */
export function stackNames(): string[] {
    return fs.readdirSync(ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s);
}

export interface ProgramRun {
    resources: Registered[];
    /** Reads of existing resources (preflight lookups): `read` steps, nothing created. */
    reads: Registered[];
    outputs: Record<string, unknown>;
    /** The program's `pulumi.log` warnings and infos, as the CLI would print them (`warning: [runtime] ...`). */
    log: string[];
    /** Resources of one type token. */
    ofType(type: string): Registered[];
    /** The one resource of a type whose logical name contains `fragment` (fails when not exactly one). */
    one(type: string, fragment?: string): Registered;
}

/** The program's entry point as the Pulumi CLI loads it: Pulumi.yaml `main` (main.ts: preflight, then index.ts). */
export const ENTRY = path.join(ROOT, (yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { main: string }).main);

/**
 * The entry point and index.ts declare the resources when they are loaded, so each run loads them afresh. The
 * modules they import are stateless (classes and functions) and stay cached, so a class such as ConfigError is
 * the same in the tests and in the program.
 */
function clearProgramModule(): void {
    delete require.cache[require.resolve(ENTRY)];
    delete require.cache[require.resolve(path.join(ROOT, "index"))];
}


function encode(config: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

let runCount = 0;

/**
 * The stack depth while the program runs under the mocks. @pulumi/pulumi's `debuggablePromise` records
 * `new Error().stack` for every promise it makes (for its leak report only); mocha raises
 * `Error.stackTraceLimit` to Infinity and ts-node source-maps every frame, so those stacks were two thirds of a
 * program run's CPU (3.4 s of a dev run, 1.1 s without them). Errors thrown by the program keep their message
 * (every test asserts on messages and keys); for their stacks while debugging set TEST_PROGRAM_STACK_LIMIT
 * (e.g. `TEST_PROGRAM_STACK_LIMIT=50 npx mocha test/program.test.ts`).
 */
const PROGRAM_STACK_LIMIT = Number(process.env.TEST_PROGRAM_STACK_LIMIT ?? 0);

/** A line the program logged through `pulumi.log` (under the mocks it has no engine and prints it itself). */
const RUNTIME_LOG_LINE = /^(warning|info): \[runtime\] /;

/**
 * Runs `f` (a program run, its registrations drained) with the program's stack depth, and collects the program's
 * `pulumi.log` warnings and infos into `log` instead of printing them (a preflight warning such as "no person is
 * notified" printed by every whole-program test was noise; tests that care assert on `ProgramRun.log`). Errors
 * still print. TEST_PROGRAM_LOG=1 prints them as well.
 */
async function inProgramRun<T>(f: (log: string[]) => Promise<T>): Promise<T> {
    const before = Error.stackTraceLimit;
    const { warn, log: info } = console;
    const log: string[] = [];
    const collect = (print: (...a: unknown[]) => void) => (...a: unknown[]) => {
        if (a.length === 1 && typeof a[0] === "string" && RUNTIME_LOG_LINE.test(a[0])) {
            log.push(a[0]);
            if (!process.env.TEST_PROGRAM_LOG) return;
        }
        print(...a);
    };
    Error.stackTraceLimit = PROGRAM_STACK_LIMIT;
    console.warn = collect(warn);
    console.log = collect(info);
    try {
        return await f(log);
    } finally {
        Error.stackTraceLimit = before;
        console.warn = warn;
        console.log = info;
    }
}

function waitForRPCs(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/**
 * Runs `f`; when it throws (a config error half-way through the program), lets the registrations it had
 * already started finish before rethrowing, so they cannot land in the next run's record.
 */
async function drainedOnError<T>(f: () => T | Promise<T>): Promise<T> {
    try {
        return await f();
    } catch (err) {
        await waitForRPCs().catch(() => undefined);
        throw err;
    }
}

/**
 * Runs the program with `config` (a stack file's `config:` map) as stack `stack`, from its entry point (preflight
 * checks and rule discovery included, reads answered by the mocks' `accountState` and `webAclReader`). Later runs in the same process get `stack-N` as
 * their stack name unless `exactStackName` (the offline plan, whose names must be the stack's).
 */
export async function runProgram(config: Record<string, unknown>, stack = "test", opts: { exactStackName?: boolean } = {}): Promise<ProgramRun> {
    return inProgramRun(async (log) => {
        registered.length = 0;
        reads.length = 0;
        runCount += 1;
        pulumi.runtime.setAllConfig(encode(config));
        await pulumi.runtime.setMocks(mocks, "edge-anomaly-detection", `${stack}${runCount > 1 && !opts.exactStackName ? `-${runCount}` : ""}`, false);
        clearProgramModule();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require("../preflight/webAclRules") as typeof import("../preflight/webAclRules")).setWebAclReader(webAclReader);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = await drainedOnError(() => require(ENTRY) as Promise<Record<string, unknown>>);
        const outputs: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(program)) {
            outputs[name] = pulumi.Output.isInstance(value) ? await promiseOf(value) : value;
        }
        await waitForRPCs();
        return view([...registered], outputs, [...reads], log);
    });
}

/**
 * Builds resources with `build` under the mocks, with `config` parsed through the program's config module, and
 * returns what registered. For component tests that should not depend on the whole program.
 */
export async function runWith(config: Record<string, unknown>, build: (cfg: import("../config").AppConfig) => unknown, stack = "unit"): Promise<ProgramRun> {
    return inProgramRun(async (log) => {
        registered.length = 0;
        reads.length = 0;
        runCount += 1;
        pulumi.runtime.setAllConfig(encode(config));
        await pulumi.runtime.setMocks(mocks, "edge-anomaly-detection", `${stack}-${runCount}`, false);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadConfig } = require("../config") as typeof import("../config");
        const built = await drainedOnError(() => build(loadConfig()));
        const outputs: Record<string, unknown> = {};
        if (built && typeof built === "object") {
            for (const [name, value] of Object.entries(built as Record<string, unknown>)) {
                if (pulumi.Output.isInstance(value)) outputs[name] = await promiseOf(value);
            }
        }
        await waitForRPCs();
        return view([...registered], outputs, [...reads], log);
    });
}

function view(resources: Registered[], outputs: Record<string, unknown>, readsDone: Registered[], log: string[]): ProgramRun {
    return {
        resources,
        reads: readsDone,
        outputs,
        log,
        ofType: (type) => resources.filter((r) => r.type === type),
        one(type, fragment) {
            const hits = resources.filter((r) => r.type === type && (fragment === undefined || r.name.includes(fragment)));
            if (hits.length !== 1) {
                throw new Error(`expected one ${type}${fragment ? ` named *${fragment}*` : ""}, found ${hits.length}: ${hits.map((h) => h.name).join(", ")}`);
            }
            return hits[0];
        },
    };
}

/**
 * Runs another Pulumi program (e.g. one under examples/) under the same mocks: `entry` is its main file, `project`
 * its Pulumi.yaml name (the namespace of its config keys), `config` its stack config (`project:key`, `aws:region`).
 */
export async function runExternalProgram(entry: string, project: string, config: Record<string, unknown>, stack = "example"): Promise<ProgramRun> {
    return inProgramRun(async (log) => {
        registered.length = 0;
        runCount += 1;
        pulumi.runtime.setAllConfig(encode(config));
        reads.length = 0;
        await pulumi.runtime.setMocks(mocks, project, `${stack}-${runCount}`, false);
        delete require.cache[require.resolve(entry)];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = await drainedOnError(() => require(entry) as Record<string, unknown>);
        const outputs: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(program)) {
            outputs[name] = pulumi.Output.isInstance(value) ? await promiseOf(value) : value;
        }
        await waitForRPCs();
        return view([...registered], outputs, [...reads], log);
    });
}

/** The resolved value of an Output (under mocks every value is known). */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

/** An `assert.throws`/`rejects` matcher: a ConfigError naming `key`, its message matching `detail`. */
export function isConfigError(key: string, detail: RegExp) {
    return (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        assert.equal(err.key, key);
        assert.match(err.message, detail);
        return true;
    };
}
