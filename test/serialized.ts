// Test what is deployed: the Lambda code Pulumi ships is not the TypeScript source but the text
// `pulumi.runtime.serializeFunction` produces from it (closure serialization). That text behaves differently in
// ways source tests cannot see (`class X extends Error` loses its message, class field initializers vanish, a
// free name that is also a global binds to the global). This module gives every Lambda test one way to run the
// same assertions against both.
//
// API
// - `serializedText(fn, { factory? })` → the closure text, serialized with exactly the options
//   `aws.lambda.CallbackFunction` uses (`serialize: () => true, exportName: "handler", isFactoryFunction,
//   allowSecrets: true`). Memoized per function and options with the program runs' (`memoizeSerialization`).
// - `loadSerialized(fn, { factory?, name? })` → the module's `handler` export, freshly loaded: the text is written
//   to `<repo>/.serialized/<name>-<sha256>.js` (git-ignored) and compiled as a new module instance each call, so
//   a factory runs again (reads `process.env` again, makes new SDK clients — a cold start), while
//   `require("@aws-sdk/...")` inside resolves from the repo's node_modules to the SAME module instances the test
//   imports: `instanceof SomeCommand` holds across the boundary and `aws-sdk-client-mock` still intercepts.
//   - `fn` a plain function: the export IS that function, serialized (call it like the source).
//   - `fn` a factory (`factory: true`, what `callbackFactory` receives): the export is what the factory returned
//     when the module loaded — the handler as Lambda runs it. Set the environment before loading.
//   - A factory may also return an object of several plain functions (`() => ({ a, b })`), so a test can drive
//     serialized copies of a module's functions that share one closure, as the deployed code does.
// - `loadSerializedProvider(provider)` → a dynamic provider as the engine runs it (`serializeFunction(() =>
//   provider, { allowSecrets: true })`, the options pulumi.dynamic.Resource uses, loaded fresh, `handler()`).
// - `forBothArtifacts(title, { source, serialized }, body)` → two mocha `describe`s, `title [source]` and
//   `title [serialized]`, each running `body(get, kind)`. `source` and `serialized` are thunks (sync or async)
//   resolved in a `before()`; `get()` returns the resolved artifact inside `it`/hooks. `artifactsOf(fn, opts)`
//   builds both thunks from one function (source: `fn` itself, or `fn()` for a factory; serialized: loadSerialized).
//
// Example
//   forBothArtifacts("finding Lambda", artifactsOf(handleAlertEvent), (handle) => {
//       it("rejects {}", async () => { await assert.rejects(handle()({}, clients, settings), /neither an SNS event/); });
//   });
//
// Keep what handlers capture in forms that serialize faithfully: plain functions and object literals, constants,
// `new Error(msg)` with properties assigned after (not `class … extends Error`), no class field initializers, no
// module-level names that collide with test-runner globals (`describe`, `it`, `before`, …), SDK clients made
// inside the factory (never captured).
import { createHash } from "crypto";
import * as fs from "fs";
import Module from "module";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** The git-ignored folder the serialized artifacts are written to (inside the repo so node_modules resolves). */
export const SERIALIZED_DIR = path.join(__dirname, "..", ".serialized");

export interface SerializeOptions {
    /** `fn` is a factory (as `CallbackFunction.callbackFactory`): the export is what it returns at load. */
    factory?: boolean;
    /** File name prefix in SERIALIZED_DIR (default: the function's name). */
    name?: string;
}

type SerializeFunction = typeof pulumi.runtime.serializeFunction;
type ComputeCodePaths = typeof pulumi.runtime.computeCodePaths;

/**
 * One serialization per function and options in this process. Serializing a closure is most of a repeated program
 * run's CPU (a dev-stack run: 2.0 CPU-s, 0.4 with this), and the handler modules stay loaded between runs, so the
 * program's `CallbackFunction`s hand the same function objects to `serializeFunction` run after run (and a mocha
 * worker runs file after file in one process: the memo carries across the files of a worker). Keyed by the function
 * object and its options; memoized only with no `serialize` predicate or the always-true one CallbackFunction and
 * this module pass (`_ => true`, `() => true`): any other predicate is serialized afresh every time. A closure made
 * per run (a factory built from settings) is a new object and is serialized afresh too, so its text follows its
 * settings. (Dynamic providers do not come through here: @pulumi/pulumi serializes them through its own module and
 * caches them per provider object itself.)
 *
 * What a memoized text can miss: a change, after the first serialization, to a value the function captures. The
 * handler modules capture their own constants and imports, which nothing changes; `staleSerializations()` checks
 * that claim by serializing every memoized function afresh (test/programHygiene.test.ts runs it after whole-program
 * runs). The node_modules walk of `computeCodePaths` (the same tree for all runs) is memoized by its options too.
 * `TEST_SERIALIZE_MEMO=0` turns both off. Installed by test/harness.ts for every program run and used by
 * `serializedText` below.
 */
const ALWAYS_TRUE = new Set(["_ => true", "() => true"]);
const memoized: { fn: Function; opts: Parameters<SerializeFunction>[1]; text: Promise<string> }[] = [];
let freshSerialize: SerializeFunction | undefined;

export function memoizeSerialization(): void {
    const runtime = pulumi.runtime as unknown as { serializeFunction: SerializeFunction & { memoized?: true }; computeCodePaths: ComputeCodePaths };
    if (runtime.serializeFunction.memoized || process.env.TEST_SERIALIZE_MEMO === "0") return;
    const serialize = runtime.serializeFunction;
    freshSerialize = serialize;
    const computeCodePaths = runtime.computeCodePaths;
    const closures = new WeakMap<Function, Map<string, ReturnType<SerializeFunction>>>();
    const codePaths = new Map<string, ReturnType<ComputeCodePaths>>();
    const memoSerialize = ((fn: Function, opts: Parameters<SerializeFunction>[1] = {}) => {
        if (opts.serialize && !ALWAYS_TRUE.has(opts.serialize.toString().trim())) return serialize(fn, opts);
        const key = JSON.stringify({ ...opts, serialize: opts.serialize ? true : undefined });
        let byOpts = closures.get(fn);
        if (!byOpts) closures.set(fn, (byOpts = new Map()));
        let sf = byOpts.get(key);
        if (!sf) {
            sf = serialize(fn, opts);
            byOpts.set(key, sf);
            memoized.push({ fn, opts, text: sf.then((f) => f.text) });
            // A failed serialization is not remembered: the next call tries again and fails with its own reason.
            sf.catch(() => byOpts!.delete(key));
        }
        return sf;
    }) as SerializeFunction & { memoized?: true };
    memoSerialize.memoized = true;
    runtime.serializeFunction = memoSerialize;
    runtime.computeCodePaths = ((...args: unknown[]) => {
        // Either overload: (options) or (extraIncludePaths, extraIncludePackages, extraExcludePackages).
        const key = JSON.stringify(args, (k, v) => (k === "logResource" ? undefined : v));
        let paths = codePaths.get(key);
        if (!paths) {
            paths = (computeCodePaths as (...a: unknown[]) => ReturnType<ComputeCodePaths>)(...args);
            codePaths.set(key, paths);
            paths.catch(() => codePaths.delete(key));
        }
        return paths;
    }) as ComputeCodePaths;
}

/**
 * The memoized functions whose text a fresh serialization no longer gives (name and where they first differ); empty
 * when the memo serves what Pulumi would produce now. `only` narrows the check to some functions.
 */
export async function staleSerializations(only?: (fn: Function) => boolean): Promise<string[]> {
    if (!freshSerialize) return [];
    const out: string[] = [];
    for (const m of memoized.filter((e) => !only || only(e.fn))) {
        const before = await m.text.catch(() => undefined);
        if (before === undefined) continue;
        const now = (await freshSerialize(m.fn, m.opts)).text;
        if (now !== before) {
            let i = 0;
            while (i < now.length && now[i] === before[i]) i++;
            out.push(`${m.fn.name || "(anonymous)"}: memoized text differs from a fresh serialization at ${i}: …${before.slice(Math.max(0, i - 60), i + 60)}… → …${now.slice(Math.max(0, i - 60), i + 60)}…`);
        }
    }
    return out;
}

/** The closure text Pulumi would deploy for `fn` (the `CallbackFunction` serialization options). */
export function serializedText(fn: Function, opts: SerializeOptions = {}): Promise<string> {
    memoizeSerialization();
    return pulumi.runtime.serializeFunction(fn, { serialize: () => true, exportName: "handler", isFactoryFunction: !!opts.factory, allowSecrets: true })
        .then((sf) => sf.text);
}

/**
 * Under mocha, a module-level name that is also a test-runner global (`describe`, `it`, ...) is serialized as a
 * reference to the global — the deployed code (serialized without mocha) carries its own function instead. The
 * loaded copy gets these names bound to functions that fail naming the collision, so such a test fails loudly
 * instead of calling into mocha.
 */
export const TEST_RUNNER_GLOBALS = ["describe", "it", "before", "after", "beforeEach", "afterEach", "context", "specify", "xdescribe", "xit", "xcontext", "xspecify", "suite", "test", "setup", "teardown", "suiteSetup", "suiteTeardown", "run"];

function guarded(text: string): string {
    const guards = TEST_RUNNER_GLOBALS.map((g) => `${g} = () => { throw new Error("serialized code called the test runner's global ${g}: rename the module-level ${g} it captures (under mocha it serializes as the global)"); }`);
    // One line, prepended: line numbers of the serialized text stay as they are, shifted by one.
    return `var ${guards.join(", ")};\n${text}`;
}

type ModuleInternals = {
    new(id: string, parent?: NodeModule): NodeModule & { _compile(code: string, filename: string): void; paths: string[] };
    _nodeModulePaths(dir: string): string[];
};

/** Loads serialized text as a fresh module whose file lives in SERIALIZED_DIR; returns its `handler` export. */
export function loadText<T = unknown>(text: string, name: string): T {
    fs.mkdirSync(SERIALIZED_DIR, { recursive: true });
    const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
    const safe = name.replace(/[^A-Za-z0-9_-]/g, "_") || "handler";
    const filename = path.join(SERIALIZED_DIR, `${safe}-${digest}.js`);
    // Earlier versions of the same artifact are stale: keep the folder to one file per artifact.
    for (const f of fs.readdirSync(SERIALIZED_DIR)) {
        if (f.startsWith(`${safe}-`) && f !== path.basename(filename) && /^[0-9a-f]{16}\.js$/.test(f.slice(safe.length + 1))) {
            fs.rmSync(path.join(SERIALIZED_DIR, f), { force: true });
        }
    }
    if (!fs.existsSync(filename)) fs.writeFileSync(filename, text);
    const Ctor = Module as unknown as ModuleInternals;
    const m = new Ctor(filename, module);
    m.filename = filename;
    m.paths = Ctor._nodeModulePaths(SERIALIZED_DIR);
    m._compile(guarded(text), filename);
    const handler = (m.exports as { handler?: T }).handler;
    if (handler === undefined) throw new Error(`serialized ${name}: the module exports no handler`);
    return handler;
}

/** `fn` as Pulumi deploys it: serialized, written under SERIALIZED_DIR, loaded fresh, its handler returned. */
export async function loadSerialized<T = unknown>(fn: Function, opts: SerializeOptions = {}): Promise<T> {
    const text = await serializedText(fn, opts);
    return loadText<T>(text, opts.name ?? (fn.name || "handler"));
}

export type Artifact = "source" | "serialized";

export interface Artifacts<T> {
    source: () => T | Promise<T>;
    serialized: () => T | Promise<T>;
}

/**
 * Both artifacts of one function: the source (`fn`, or `fn()` for a factory) and the serialized copy.
 * `T` is the handler's type: for a factory, what it returns.
 */
export function artifactsOf<T>(fn: Function, opts: SerializeOptions = {}): Artifacts<T> {
    return {
        source: () => (opts.factory ? (fn as () => T)() : (fn as unknown as T)),
        serialized: () => loadSerialized<T>(fn, opts),
    };
}

/** Runs `body` twice, in `describe(title [source])` and `describe(title [serialized])`. */
export function forBothArtifacts<T>(title: string, artifacts: Artifacts<T>, body: (get: () => T, kind: Artifact) => void): void {
    for (const kind of ["source", "serialized"] as const) {
        describe(`${title} [${kind}]`, () => {
            let value: T | undefined;
            let loaded = false;
            before(async () => {
                value = await artifacts[kind]();
                loaded = true;
            });
            body(() => {
                if (!loaded) throw new Error(`${title} [${kind}]: the artifact is read before it was loaded (call get() inside it() or a hook)`);
                return value as T;
            }, kind);
        });
    }
}

/**
 * The text of a dynamic provider as `pulumi.dynamic.Resource` ships it: `serializeFunction(() => provider,
 * { allowSecrets: true })` (what @pulumi/pulumi's dynamic/index.js does).
 */
export async function serializedProviderText(provider: object): Promise<string> {
    return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/**
 * A dynamic provider as the engine runs it: its serialized text loaded fresh (`loadText`) and `handler()` called,
 * as the Node.js dynamic provider host does (`requireFromString(text).handler()`).
 */
export async function loadSerializedProvider<T extends object>(provider: T, name = "provider"): Promise<T> {
    return loadText<() => T>(await serializedProviderText(provider), name)();
}
