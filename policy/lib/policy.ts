// Small helpers shared by the policy modules.
import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/**
 * A resource validation for the given type tokens (or a predicate). Other resources are reported "not
 * applicable", as @pulumi/policy's own `validateResourceOfType` does.
 */
export function forTypes(
    types: readonly string[] | ((type: string) => boolean),
    validate: (props: Record<string, unknown>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    const applies = typeof types === "function" ? types : (t: string) => types.includes(t);
    return (args, report) => {
        if (!applies(args.type)) {
            args.notApplicable(typeof types === "function" ? "not a resource type this policy checks" : `applies to ${types.join(", ")}`);
        }
        validate(args.props, args, report);
    };
}

/** Marks a stack policy not applicable when the stack has none of the resources it checks. */
export function requireAny(args: StackValidationArgs, what: string, count: number): void {
    if (count === 0) args.notApplicable(`the stack has no ${what}`);
}

/**
 * The policy's configuration with its schema defaults filled in. The Pulumi CLI fills defaults itself before
 * configuring the analyzer; this keeps a policy correct when it runs without that (an older CLI, no config).
 */
export function configWithDefaults<T extends object>(args: { getConfig<C extends object>(): C }, schema: PolicyConfigSchema | undefined): T {
    const given = args.getConfig<Record<string, unknown>>() ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(schema?.properties ?? {})) {
        if (s.default !== undefined) out[key] = JSON.parse(JSON.stringify(s.default));
    }
    for (const [key, v] of Object.entries(given)) if (v !== undefined && v !== null) out[key] = v;
    return out as T;
}
