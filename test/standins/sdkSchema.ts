// Validates a request against the operation schema the AWS SDK v3 client itself ships (`<Operation>$` exports:
// Smithy schemas, read through @smithy/core's NormalizedSchema): required members, no unknown members, member
// types (string, number, boolean, timestamp, list, map, structure), recursively. The SDK's schemas carry no length
// or range constraints; the few documented limits a test depends on are checked by the test itself.
//
// Works on both forms of a request: the SDK command input (timestamps as Date) and the JSON a JSON-protocol
// client puts on the wire (timestamps as epoch-second numbers), so a stand-in server can check what it receives.
import { NormalizedSchema } from "@smithy/core/schema";

/** An SDK operation schema export, e.g. `StartQuery$` from @aws-sdk/client-cloudwatch-logs. */
export type OperationSchema = readonly [number, string, string, unknown, () => unknown, () => unknown];

/** Problems with `input` as the request of `op` (empty when valid). */
export function validateAgainstSdk(op: OperationSchema, input: unknown): string[] {
    const problems: string[] = [];
    check(NormalizedSchema.of(op[4] as never), input, op[2], problems);
    return problems;
}

/** Throws listing every problem. */
export function assertValidForSdk(op: OperationSchema, input: unknown): void {
    const problems = validateAgainstSdk(op, input);
    if (problems.length) throw new Error(`${op[2]} request invalid for the SDK's model:\n  ${problems.join("\n  ")}`);
}

function check(ns: NormalizedSchema, v: unknown, where: string, problems: string[]): void {
    if (v === undefined || v === null) return;
    if (ns.isStructSchema()) {
        if (typeof v !== "object" || Array.isArray(v)) {
            problems.push(`${where}: expected an object (${ns.getName()}), got ${JSON.stringify(v)}`);
            return;
        }
        const struct = ns.getSchema() as unknown as unknown[];
        const names = struct[4] as string[];
        const requiredCount = (struct[6] as number | undefined) ?? 0;
        const obj = v as Record<string, unknown>;
        for (const req of names.slice(0, requiredCount)) {
            if (obj[req] === undefined || obj[req] === null) problems.push(`${where}.${req}: required by ${ns.getName()}`);
        }
        const members = new Map([...ns.structIterator()]);
        for (const [k, val] of Object.entries(obj)) {
            if (val === undefined) continue;
            const m = members.get(k);
            if (!m) problems.push(`${where}.${k}: not a member of ${ns.getName()}`);
            else check(m, val, `${where}.${k}`, problems);
        }
        return;
    }
    if (ns.isListSchema()) {
        if (!Array.isArray(v)) problems.push(`${where}: expected a list, got ${JSON.stringify(v)}`);
        else v.forEach((item, i) => check(ns.getValueSchema(), item, `${where}[${i}]`, problems));
        return;
    }
    if (ns.isMapSchema()) {
        if (typeof v !== "object" || Array.isArray(v)) problems.push(`${where}: expected a map`);
        else for (const [k, val] of Object.entries(v as object)) check(ns.getValueSchema(), val, `${where}.${k}`, problems);
        return;
    }
    if (ns.isTimestampSchema()) {
        if (!(v instanceof Date) && typeof v !== "number") problems.push(`${where}: expected a timestamp, got ${JSON.stringify(v)}`);
        return;
    }
    if (ns.isBooleanSchema()) {
        if (typeof v !== "boolean") problems.push(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
        return;
    }
    if (ns.isNumericSchema()) {
        if (typeof v !== "number" || !Number.isFinite(v)) problems.push(`${where}: expected a number, got ${JSON.stringify(v)}`);
        return;
    }
    if (ns.isStringSchema()) {
        if (typeof v !== "string") problems.push(`${where}: expected a string, got ${JSON.stringify(v)}`);
        return;
    }
}
