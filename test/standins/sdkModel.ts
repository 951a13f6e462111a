// Validates AWS requests against the operation schemas the AWS SDK v3 packages ship (the `Operation$` /
// `XInput$` arrays in each client's dist-cjs, the same schemas the SDK serializes with): every member must
// exist in the input structure, required members must be present, and each value must have the member's type
// (string, number, boolean, timestamp, blob, list, map, structure, union with exactly one member set).
//
// Two forms: `wire` checks a JSON-protocol request body as it goes over HTTP (timestamps as epoch seconds,
// blobs as base64), `input` checks a command's input object (timestamps as Date, blobs as bytes or strings).
// The SDK schemas carry no length/pattern/enum constraints; tests that need those check them separately.

type Lazy = () => unknown;
type SchemaRef = unknown;

const STRING = 0;
const NUMERIC = 1;
const BOOLEAN = 2;
const BIG_INTEGER = 17;
const BIG_DECIMAL = 19;
const DOCUMENT = 15;
const BLOB = 21;
const STREAMING_BLOB = 42;
const LIST_MODIFIER = 64;
const MAP_MODIFIER = 128;

export type Form = "wire" | "input";

function deref(s: SchemaRef): SchemaRef {
    return typeof s === "function" ? (s as Lazy)() : s;
}

/** [schema, traits] member wrappers → the schema. */
function unwrap(s: SchemaRef): SchemaRef {
    let v = deref(s);
    while (Array.isArray(v) && v.length === 2 && typeof v[1] !== "string") v = deref(v[0]);
    return v;
}

/** The input schema of `operation` in a client module (e.g. require("@aws-sdk/client-redshift-data")). */
export function inputSchema(client: Record<string, unknown>, operation: string): SchemaRef {
    const op = client[`${operation}$`];
    if (!Array.isArray(op) || op[0] !== 9) throw new Error(`the SDK module has no operation schema ${operation}$`);
    return deref(op[4]);
}

export function outputSchema(client: Record<string, unknown>, operation: string): SchemaRef {
    const op = client[`${operation}$`];
    if (!Array.isArray(op) || op[0] !== 9) throw new Error(`the SDK module has no operation schema ${operation}$`);
    return deref(op[5]);
}

/** Problems of `value` against `schema` (empty when it conforms). */
export function validate(schema: SchemaRef, value: unknown, form: Form, where = "$"): string[] {
    const problems: string[] = [];
    check(schema, value, form, where, problems);
    return problems;
}

function typeName(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Date) return "a Date";
    return typeof v;
}

function check(schemaRef: SchemaRef, v: unknown, form: Form, where: string, problems: string[]): void {
    const s = unwrap(schemaRef);
    if (v === undefined) return;
    if (typeof s === "number") {
        checkSimple(s, v, form, where, problems);
        return;
    }
    if (!Array.isArray(s)) {
        problems.push(`${where}: schema not understood`);
        return;
    }
    const kind = s[0] as number;
    if (kind === 0) {
        // a named simple schema with traits: [0, ns, name, traits, simpleSchema]
        check(s[4], v, form, where, problems);
        return;
    }
    if (kind === 3 || kind === -3 || kind === 4) {
        // structure / error / union: [kind, ns, name, traits, memberNames, memberSchemas, requiredCount?]
        const name = s[2] as string;
        if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Date) {
            problems.push(`${where}: expected an object (${name}), got ${typeName(v)}`);
            return;
        }
        const names = s[4] as string[];
        const schemas = s[5] as SchemaRef[];
        const required = typeof s[6] === "number" ? (s[6] as number) : 0;
        const o = v as Record<string, unknown>;
        for (let i = 0; i < required; i++) {
            if (o[names[i]] === undefined || o[names[i]] === null) problems.push(`${where}.${names[i]}: required by ${name}`);
        }
        let set = 0;
        for (const [k, val] of Object.entries(o)) {
            if (val === undefined) continue;
            const i = names.indexOf(k);
            if (i < 0) {
                problems.push(`${where}.${k}: not a member of ${name} (members: ${names.join(", ")})`);
                continue;
            }
            set += 1;
            check(schemas[i], val, form, `${where}.${k}`, problems);
        }
        if (kind === 4 && set !== 1) problems.push(`${where}: union ${name} must have exactly one member set, has ${set}`);
        return;
    }
    if (kind === 1) {
        // list: [1, ns, name, traits, member]
        if (!Array.isArray(v)) {
            problems.push(`${where}: expected a list (${s[2]}), got ${typeName(v)}`);
            return;
        }
        v.forEach((item, i) => check(s[4], item, form, `${where}[${i}]`, problems));
        return;
    }
    if (kind === 2) {
        // map: [2, ns, name, traits, key, value]
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            problems.push(`${where}: expected a map (${s[2]}), got ${typeName(v)}`);
            return;
        }
        for (const [k, val] of Object.entries(v as Record<string, unknown>)) check(s[5], val, form, `${where}.${k}`, problems);
        return;
    }
    problems.push(`${where}: schema kind ${kind} not handled`);
}

function checkSimple(t: number, v: unknown, form: Form, where: string, problems: string[]): void {
    if (t & LIST_MODIFIER && t !== STREAMING_BLOB) {
        if (!Array.isArray(v)) problems.push(`${where}: expected a list, got ${typeName(v)}`);
        else v.forEach((x, i) => checkSimple(t & ~LIST_MODIFIER, x, form, `${where}[${i}]`, problems));
        return;
    }
    if (t & MAP_MODIFIER) {
        if (typeof v !== "object" || v === null || Array.isArray(v)) problems.push(`${where}: expected a map, got ${typeName(v)}`);
        else for (const [k, x] of Object.entries(v as Record<string, unknown>)) checkSimple(t & ~MAP_MODIFIER, x, form, `${where}.${k}`, problems);
        return;
    }
    const bad = (what: string) => problems.push(`${where}: expected ${what}, got ${typeName(v)} ${JSON.stringify(v)?.slice(0, 60)}`);
    if (t === STRING) {
        if (typeof v !== "string") bad("a string");
    } else if (t === NUMERIC || t === BIG_INTEGER || t === BIG_DECIMAL) {
        if (typeof v !== "number" && typeof v !== "bigint") bad("a number");
    } else if (t === BOOLEAN) {
        if (typeof v !== "boolean") bad("a boolean");
    } else if (t >= 4 && t <= 7) {
        // timestamps
        if (form === "input" ? !(v instanceof Date) : typeof v !== "number" && typeof v !== "string") bad(form === "input" ? "a Date" : "a timestamp");
    } else if (t === BLOB || t === STREAMING_BLOB) {
        if (form === "wire" ? typeof v !== "string" : !(typeof v === "string" || v instanceof Uint8Array)) bad("a blob");
    } else if (t === DOCUMENT) {
        // any JSON value
    } else {
        problems.push(`${where}: simple schema ${t} not handled`);
    }
}

/** Validates a command the way aws-sdk-client-mock records it (`commandCalls(...)[i].args[0]`). */
export function commandProblems(client: Record<string, unknown>, command: { constructor: { name: string }; input: unknown }): string[] {
    const op = command.constructor.name.replace(/Command$/, "");
    return validate(inputSchema(client, op), command.input, "input", op).map((p) => `${op} ${p}`);
}
