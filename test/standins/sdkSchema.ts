// Operation-schema entry points for tests that hold an SDK operation export (`StartQuery$`, `GetWebACL$`, …)
// rather than the client module. The checking itself is `sdkModel.ts`'s (one validator for the whole suite):
// required members, no unknown members, member types, unions, recursively.
//
// `form` says which shape the value has: "input" for an SDK command input (timestamps as Date), "wire" for the
// JSON a JSON-protocol client puts on the wire (timestamps as epoch seconds), as a stand-in server receives it.
import { Form, validate } from "./sdkModel";

/** An SDK operation schema export, e.g. `StartQuery$` from @aws-sdk/client-cloudwatch-logs. */
export type OperationSchema = readonly [number, string, string, unknown, () => unknown, () => unknown];

/** Problems with `input` as the request of `op` (empty when valid). */
export function validateAgainstSdk(op: OperationSchema, input: unknown, form: Form = "input"): string[] {
    if (!Array.isArray(op) || op[0] !== 9) throw new Error("not an SDK operation schema (expected an `Operation$` export)");
    const schema = typeof op[4] === "function" ? op[4]() : op[4];
    return validate(schema, input, form, op[2]);
}

/** Throws listing every problem. */
export function assertValidForSdk(op: OperationSchema, input: unknown, form: Form = "input"): void {
    const problems = validateAgainstSdk(op, input, form);
    if (problems.length) throw new Error(`${op[2]} request invalid for the SDK's model:\n  ${problems.join("\n  ")}`);
}
