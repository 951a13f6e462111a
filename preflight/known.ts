import * as pulumi from "@pulumi/pulumi";

/**
 * The value of an Output, with whether it is known. Unlike `apply`, it never waits forever on an unknown value
 * (a preview value that depends on something not created yet). Preflight reads are known in previews: the engine
 * runs read steps during previews.
 */
export async function knownValue<T>(o: pulumi.Output<T>): Promise<{ known: boolean; value?: T }> {
    // `isKnown` and `promise()` are the Output internals the SDK's own helpers use; they are not in the public type.
    const internal = o as unknown as { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<T> };
    if (!(await internal.isKnown)) return { known: false };
    return { known: true, value: await internal.promise() };
}
