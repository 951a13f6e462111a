// What every component of this library needs to name and tag what it creates, with the defaults each applies
// inside: the Pulumi project and stack of the program that uses it, the region its ARNs and metric dimensions
// name, and the tags it puts on every taggable resource.
import * as pulumi from "@pulumi/pulumi";

export interface StackScopeArgs {
    /** Physical names start `<project>-<stack>`. Default: `pulumi.getProject()`. */
    project?: string;
    /** Default: `pulumi.getStack()`. */
    stack?: string;
    /** Tags on every taggable resource. Default: none. */
    tags?: Record<string, string>;
}

export interface StackScope {
    readonly project: string;
    readonly stack: string;
    readonly tags: Record<string, string>;
}

export function stackScope(args: StackScopeArgs): StackScope {
    return { project: args.project ?? pulumi.getProject(), stack: args.stack ?? pulumi.getStack(), tags: { ...(args.tags ?? {}) } };
}

/** The region a component works in: `region` when given, else the `aws:region` config / AWS_REGION. */
export function regionOf(region: string | undefined, component: string): string {
    const r = region ?? new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!r) throw new Error(`${component}: no region: pass args.region or set aws:region`);
    return r;
}

/** Settings of the inline Lambdas a component creates (lambda/inlineFunction.ts applies the defaults). */
export interface FunctionSettings {
    /** Default `nodejs22.x`. */
    runtime?: "nodejs22.x" | "nodejs24.x";
    /** Retention of each function's log group, days. Default 30. */
    logRetentionDays?: number;
}
