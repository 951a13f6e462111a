// Runs policies the way the Pulumi engine's policy analyzer does, without the CLI: resource policies get each
// resource's inputs, stack policies get every resource's outputs, properties are wrapped in @pulumi/policy's own
// unknown-checking proxy, enforcement levels come from policy config > `all` > the policy > the pack, config
// properties get their schema defaults, a policy that reads an unknown value becomes an advisory "can't run
// during preview" note, and `notApplicable()` is recorded. Used by the tests and by `npm run plan`. It never
// constructs a PolicyPack (that starts the analyzer's gRPC server).
import type {
    EnforcementLevel,
    Policies,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** A resource as a plan knows it: the inputs (what resource policies see) and outputs (what stack policies see). */
export interface PlannedResource {
    type: string;
    name: string;
    urn: string;
    /** Inputs, as sent to the provider (resource policies). */
    props: Record<string, unknown>;
    /** Outputs (stack policies); the inputs when omitted. */
    outputs?: Record<string, unknown>;
    /** The parent's URN. */
    parent?: string;
    /** URNs this resource depends on. */
    dependencies?: string[];
    /** Top-level property → URNs of the resources the property's value was computed from. */
    propertyDependencies?: Record<string, string[]>;
    provider?: PolicyProviderResource;
    /** False for component resources. Defaults to true. */
    custom?: boolean;
}

export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
/** Policy pack configuration, as in a `--policy-pack-config` JSON file: policy name (or `all`) → level or object. */
export type PolicyPackConfig = Record<string, PolicyConfigValue>;

export type ReportedLevel = "mandatory" | "advisory";

export interface Violation {
    policy: string;
    level: ReportedLevel;
    message: string;
    /** The resource the violation is about (absent for stack-wide violations). */
    urn?: string;
    type?: string;
    name?: string;
    /** True for the "can't run during preview" note of a policy that read an unknown value. */
    couldNotRun?: boolean;
}

export interface PolicyOutcome {
    policy: string;
    kind: "resource" | "stack";
    level: EnforcementLevel;
    /** Resources the policy applied to (resource policies), or 1/0 for a stack policy. */
    applicable: number;
    violations: number;
}

export interface EvaluationReport {
    violations: Violation[];
    outcomes: PolicyOutcome[];
    mandatory: number;
    advisory: number;
}

export interface EvaluateOptions {
    config?: PolicyPackConfig;
    /** The pack's default enforcement level (the SDK's default is advisory). */
    packEnforcementLevel?: EnforcementLevel;
    stackTags?: Record<string, string>;
}

export class PolicyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PolicyConfigError";
    }
}

// @pulumi/policy exports these at runtime but not in its type declarations.
interface ProxyModule {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...args: unknown[]) => Error;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyModule = require("@pulumi/policy/proxy") as ProxyModule;

class NotApplicable extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export function isResourcePolicy(p: Policies[number]): p is ResourceValidationPolicy {
    return !("validateStack" in p);
}

export function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
    return "validateStack" in p;
}

/** Validates `config` against the policies' schemas; throws a PolicyConfigError naming the policy and property. */
export function validatePolicyConfig(policies: Policies, config: PolicyPackConfig): void {
    const names = new Set(policies.map((p) => p.name));
    for (const [name, value] of Object.entries(config)) {
        if (name !== "all" && !names.has(name)) {
            throw new PolicyConfigError(`policy config names '${name}', which is not a policy of this pack (policies: ${[...names].join(", ")})`);
        }
        if (typeof value === "string") {
            if (!LEVELS.includes(value)) throw new PolicyConfigError(`'${name}': enforcement level '${value}' is not one of ${LEVELS.join(", ")}`);
            continue;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            throw new PolicyConfigError(`'${name}': expected an enforcement level or an object`);
        }
        const { enforcementLevel, ...props } = value;
        if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel)) {
            throw new PolicyConfigError(`'${name}'.enforcementLevel: '${String(enforcementLevel)}' is not one of ${LEVELS.join(", ")}`);
        }
        if (name === "all") {
            if (Object.keys(props).length) throw new PolicyConfigError(`'all' only takes an enforcement level`);
            continue;
        }
        const schema = policies.find((p) => p.name === name)?.configSchema;
        for (const [key, v] of Object.entries(props)) {
            const propSchema = schema?.properties[key];
            if (!propSchema) {
                throw new PolicyConfigError(`'${name}'.${key}: not a configuration property of this policy${schema ? ` (properties: ${Object.keys(schema.properties).join(", ")})` : ""}`);
            }
            checkSchema(v, propSchema, `'${name}'.${key}`);
        }
    }
    // Required properties (after defaults) of every policy.
    for (const p of policies) {
        const props = policyProperties(p.configSchema, config[p.name]);
        for (const req of p.configSchema?.required ?? []) {
            if (props[req] === undefined) throw new PolicyConfigError(`'${p.name}'.${req}: required`);
        }
    }
}

function typeOf(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
    return typeof v;
}

function checkSchema(v: unknown, s: PolicyConfigJSONSchema, where: string): void {
    if (s.type !== undefined) {
        const allowed = Array.isArray(s.type) ? s.type : [s.type];
        const t = typeOf(v);
        const ok = allowed.some((a) => a === t || (a === "number" && t === "integer"));
        if (!ok) throw new PolicyConfigError(`${where}: expected ${allowed.join(" or ")}, got ${t}`);
    }
    if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
        throw new PolicyConfigError(`${where}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    }
    if (typeof v === "number") {
        if (s.minimum !== undefined && v < s.minimum) throw new PolicyConfigError(`${where}: ${v} is below the minimum ${s.minimum}`);
        if (s.maximum !== undefined && v > s.maximum) throw new PolicyConfigError(`${where}: ${v} is above the maximum ${s.maximum}`);
    }
    if (typeof v === "string") {
        if (s.minLength !== undefined && v.length < s.minLength) throw new PolicyConfigError(`${where}: shorter than ${s.minLength}`);
        if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(v)) throw new PolicyConfigError(`${where}: ${JSON.stringify(v)} does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
        if (s.minItems !== undefined && v.length < s.minItems) throw new PolicyConfigError(`${where}: needs at least ${s.minItems} items`);
        if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) throw new PolicyConfigError(`${where}: items must be unique`);
        if (s.items && typeof s.items === "object" && !Array.isArray(s.items)) {
            const itemSchema = s.items;
            v.forEach((item, i) => checkSchema(item, itemSchema, `${where}[${i}]`));
        }
    }
}

function policyProperties(schema: PolicyConfigSchema | undefined, value: PolicyConfigValue | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(schema?.properties ?? {})) {
        if (s.default !== undefined) out[key] = JSON.parse(JSON.stringify(s.default));
    }
    if (value && typeof value === "object") {
        const { enforcementLevel: _ignored, ...props } = value;
        void _ignored;
        Object.assign(out, props);
    }
    return out;
}

function levelOf(p: Policies[number], config: PolicyPackConfig, packLevel: EnforcementLevel): EnforcementLevel {
    const own = config[p.name];
    if (typeof own === "string") return own;
    if (own && typeof own === "object" && own.enforcementLevel) return own.enforcementLevel;
    const all = config.all;
    if (typeof all === "string") return all;
    if (all && typeof all === "object" && all.enforcementLevel) return all.enforcementLevel;
    return p.enforcementLevel ?? packLevel;
}

function options(r: PlannedResource): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function isTypeOf(type: string, cls: unknown): boolean {
    return (cls as { __pulumiType?: string } | undefined)?.__pulumiType === type;
}

function freezeMap(tags: Record<string, string>): ReadonlyMap<string, string> {
    return new Map(Object.entries(tags));
}

/** Runs `policies` over `resources` and reports violations the way `pulumi preview --policy-pack` would. */
export async function evaluatePolicies(policies: Policies, resources: PlannedResource[], opts: EvaluateOptions = {}): Promise<EvaluationReport> {
    const config = opts.config ?? {};
    validatePolicyConfig(policies, config);
    const packLevel = opts.packEnforcementLevel ?? "advisory";
    const stackTags = freezeMap(opts.stackTags ?? {});
    const violations: Violation[] = [];
    const outcomes: PolicyOutcome[] = [];

    for (const p of policies) {
        let level = levelOf(p, config, packLevel);
        const kind = isStackPolicy(p) ? "stack" : "resource";
        if (level === "disabled") {
            outcomes.push({ policy: p.name, kind, level, applicable: 0, violations: 0 });
            continue;
        }
        if (level === "remediate") level = "mandatory";
        const reported: ReportedLevel = level === "mandatory" ? "mandatory" : "advisory";
        const policyConfig = policyProperties(p.configSchema, config[p.name]);
        const getConfig = <T extends object>(): T => JSON.parse(JSON.stringify(policyConfig)) as T;
        const notApplicable = (reason?: string): never => {
            throw new NotApplicable(reason);
        };
        const before = violations.length;
        let applicable = 0;

        const onError = (e: unknown, subject: PlannedResource | undefined): void => {
            if (e instanceof NotApplicable) return;
            if (e instanceof proxyModule.UnknownValueError) {
                violations.push({
                    policy: p.name,
                    level: "advisory",
                    couldNotRun: true,
                    message: `can't run policy '${p.name}' during preview: ${(e as Error).message}`,
                    ...(subject ? { urn: subject.urn, type: subject.type, name: subject.name } : {}),
                });
                return;
            }
            const where = subject ? ` on ${subject.type} "${subject.name}"` : "";
            throw new Error(`Error validating resource with policy '${p.name}'${where}: ${(e as Error)?.stack ?? String(e)}`);
        };

        if (isResourcePolicy(p)) {
            const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
            for (const r of resources) {
                let applies = validations.length > 0;
                for (const validate of validations) {
                    const pulumiType = (validate as { __pulumiType?: string }).__pulumiType;
                    if (pulumiType && pulumiType !== r.type) {
                        applies = false;
                        continue;
                    }
                    const props = proxyModule.unknownCheckingProxy(JSON.parse(JSON.stringify(r.props)) as Record<string, unknown>);
                    const args: ResourceValidationArgs = {
                        type: r.type,
                        props,
                        urn: r.urn,
                        name: r.name,
                        opts: options(r),
                        ...(r.provider ? { provider: r.provider } : {}),
                        stackTags,
                        isType: (cls) => isTypeOf(r.type, cls),
                        asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                        getConfig,
                        notApplicable,
                    };
                    const report: ReportViolation = (message) => {
                        violations.push({ policy: p.name, level: reported, message, urn: r.urn, type: r.type, name: r.name });
                    };
                    try {
                        await Promise.resolve(validate(args, report));
                    } catch (e) {
                        if (e instanceof NotApplicable) applies = false;
                        onError(e, r);
                    }
                }
                if (applies) applicable += 1;
            }
        } else {
            const byUrn = new Map<string, PolicyResource>();
            const view: PolicyResource[] = resources.map((r) => {
                const props = proxyModule.unknownCheckingProxy(JSON.parse(JSON.stringify(r.outputs ?? r.props)) as Record<string, unknown>);
                const pr: PolicyResource = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: options(r),
                    ...(r.provider ? { provider: r.provider } : {}),
                    dependencies: [],
                    propertyDependencies: {},
                    isType: (cls) => isTypeOf(r.type, cls),
                    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
                };
                byUrn.set(r.urn, pr);
                return pr;
            });
            resources.forEach((r, i) => {
                const pr = view[i];
                if (r.parent && byUrn.has(r.parent)) pr.parent = byUrn.get(r.parent);
                pr.dependencies = (r.dependencies ?? []).map((u) => byUrn.get(u)).filter((d): d is PolicyResource => !!d);
                for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                    pr.propertyDependencies[k] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => !!d);
                }
            });
            const args: StackValidationArgs = { resources: view, stackTags, getConfig, notApplicable };
            const report: ReportViolation = (message, urn) => {
                const subject = urn ? resources.find((r) => r.urn === urn) : undefined;
                violations.push({ policy: p.name, level: reported, message, ...(urn ? { urn } : {}), ...(subject ? { type: subject.type, name: subject.name } : {}) });
            };
            applicable = 1;
            try {
                await Promise.resolve(p.validateStack(args, report));
            } catch (e) {
                if (e instanceof NotApplicable) applicable = 0;
                onError(e, undefined);
            }
        }
        outcomes.push({ policy: p.name, kind, level, applicable, violations: violations.length - before });
    }

    return {
        violations,
        outcomes,
        mandatory: violations.filter((v) => v.level === "mandatory").length,
        advisory: violations.filter((v) => v.level === "advisory").length,
    };
}

/** The URN the engine would give a resource (parents left out: policies here only compare URNs for identity). */
export function urnOf(stack: string, project: string, type: string, name: string): string {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** Resource types served by a provider (as opposed to component resources, which have no provider). */
export function isCustomType(type: string): boolean {
    return /^(aws|pulumi-nodejs|random|tls|command):/.test(type) || type.startsWith("pulumi:providers:");
}

/** A resource recorded by the test mocks (test/mocks.ts `Registered`). */
export interface RecordedResource {
    type: string;
    name: string;
    id: string;
    inputs: Record<string, unknown>;
    state: Record<string, unknown>;
}

/** Plan resources from what the mocks recorded: inputs for resource policies, state (+ id) for stack policies. */
export function fromRecorded(recorded: readonly RecordedResource[], stack: string, project: string): PlannedResource[] {
    return recorded.map((r) => ({
        type: r.type,
        name: r.name,
        urn: urnOf(stack, project, r.type, r.name),
        props: r.inputs,
        outputs: { ...r.state, id: r.id },
        custom: isCustomType(r.type),
    }));
}
