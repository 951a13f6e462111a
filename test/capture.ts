// Capturing what code under test writes, shared by the tests: the JSON log lines a handler prints, and the offline
// plan's main() run in this process.
import { PassThrough } from "stream";

import { main } from "../scripts/plan";

/** The JSON console lines (`{ level, ...line }`) a handler writes while `run` runs, its result or its error. */
export async function capturingLogs<T>(run: () => Promise<T>): Promise<{ result?: T; error?: Error; lines: any[] }> {
    const lines: any[] = [];
    const saved = { info: console.info, warn: console.warn, error: console.error };
    for (const level of ["info", "warn", "error"] as const) console[level] = (line: string) => lines.push({ level, ...JSON.parse(line) });
    try {
        return { result: await run(), lines };
    } catch (error) {
        return { error: error as Error, lines };
    } finally {
        Object.assign(console, saved);
    }
}

/** plan.ts's main() in this process, its exit code, stdout and stderr captured. */
export async function runPlanMain(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: string[] = [];
    const errs: string[] = [];
    out.on("data", (c) => chunks.push(String(c)));
    err.on("data", (c) => errs.push(String(c)));
    const code = await main(argv, out, err);
    return { code, stdout: chunks.join(""), stderr: errs.join("") };
}
