// Sends N requests carrying a cross-site-scripting payload to the API and reports how many AWS WAF blocked
// (HTTP 403 from the web ACL's AWSManagedRulesCommonRuleSet), as the seed's probe did.
//
//   npm run xss-probe -- --url "$(pulumi stack output invokeUrl)" --count 50
import { parseArgs } from "util";

export const XSS_PAYLOAD = '<script>alert("hello")</script>';

export interface ProbeOptions {
    url: string;
    count: number;
    concurrency: number;
    timeoutMs: number;
    payload: string;
}

export interface ProbeReport {
    sent: number;
    blocked: number;
    allowed: number;
    otherStatus: Record<string, number>;
    errors: number;
    blockedRatio: number;
}

/** The probe URL: the invoke URL with the payload in the `q` query parameter. */
export function probeUrl(base: string, payload: string): string {
    const u = new URL(base);
    u.searchParams.set("q", payload);
    return u.toString();
}

export async function runProbe(o: ProbeOptions, fetchImpl: typeof fetch = fetch): Promise<ProbeReport> {
    const target = probeUrl(o.url, o.payload);
    const report: ProbeReport = { sent: 0, blocked: 0, allowed: 0, otherStatus: {}, errors: 0, blockedRatio: 0 };
    let next = 0;
    const worker = async () => {
        while (next < o.count) {
            next += 1;
            report.sent += 1;
            try {
                const res = await fetchImpl(target, { signal: AbortSignal.timeout(o.timeoutMs) });
                await res.arrayBuffer();
                if (res.status === 403) report.blocked += 1;
                else if (res.status >= 200 && res.status < 300) report.allowed += 1;
                else report.otherStatus[res.status] = (report.otherStatus[res.status] ?? 0) + 1;
            } catch {
                report.errors += 1;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.count)) }, worker));
    report.blockedRatio = report.sent === 0 ? 0 : report.blocked / report.sent;
    return report;
}

export function parseProbeArgs(argv: string[]): ProbeOptions {
    const { values } = parseArgs({
        args: argv,
        options: {
            url: { type: "string" },
            count: { type: "string", default: "20" },
            concurrency: { type: "string", default: "5" },
            "timeout-ms": { type: "string", default: "10000" },
            payload: { type: "string", default: XSS_PAYLOAD },
        },
        strict: true,
    });
    if (!values.url || !/^https?:\/\//.test(values.url)) throw new Error("--url is required: the API invoke URL (pulumi stack output invokeUrl)");
    const int = (name: string, v: string, min: number, max: number) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
        return n;
    };
    return {
        url: values.url,
        count: int("count", values.count!, 1, 100000),
        concurrency: int("concurrency", values.concurrency!, 1, 100),
        timeoutMs: int("timeout-ms", values["timeout-ms"]!, 100, 120000),
        payload: values.payload!,
    };
}

if (require.main === module) {
    (async () => {
        const opts = parseProbeArgs(process.argv.slice(2));
        const r = await runProbe(opts);
        console.log(`sent ${r.sent} requests with q=${opts.payload} to ${opts.url}`);
        console.log(`blocked by WAF (403): ${r.blocked}  allowed (2xx): ${r.allowed}  other: ${JSON.stringify(r.otherStatus)}  errors: ${r.errors}`);
        console.log(`blocked ratio: ${(r.blockedRatio * 100).toFixed(1)}%`);
        process.exitCode = r.errors > 0 ? 1 : 0;
    })().catch((e) => {
        console.error(`xss-probe: ${(e as Error).message}`);
        process.exitCode = 2;
    });
}
