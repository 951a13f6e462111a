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
    /** Why requests failed: reason → count (DNS, refused, TLS, timeout, …). */
    errorReasons?: Record<string, number>;
    blockedRatio: number;
}

export const PROBE_USAGE = `usage: npm run xss-probe -- --url <invoke URL> [--count N] [--concurrency N] [--timeout-ms N] [--payload TEXT]

Sends N requests carrying a cross-site-scripting payload (in the q query parameter) to the API and reports how
many AWS WAF blocked (HTTP 403).

  --url URL          the API invoke URL (pulumi stack output invokeUrl), http:// or https:// (required)
  --count N          requests to send, 1–100000 (default 20)
  --concurrency N    requests in flight, 1–100 (default 5)
  --timeout-ms N     per-request timeout, 100–120000 (default 10000)
  --payload TEXT     the q value (default ${XSS_PAYLOAD})
  --help, -h         this help

Exit codes: 0 done; 1 some requests failed; 2 bad arguments, or the URL cannot be reached at all (the reason:
DNS, connection refused, TLS, timeout).`;

/** Why a request could not be made, as a reader would say it. */
export function networkReason(err: unknown, timeoutMs?: number): string {
    const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
    const name = e?.cause?.name ?? e?.name;
    if (name === "TimeoutError" || name === "AbortError") return `timed out${timeoutMs ? ` after ${timeoutMs} ms` : ""}`;
    const code = e?.cause?.code ?? e?.code ?? "";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `DNS: host not found (${code})`;
    if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
    if (code === "ECONNRESET") return "connection reset (ECONNRESET)";
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `host unreachable (${code})`;
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) return `TLS: ${code}`;
    return code ? `${e?.cause?.message ?? e?.message} (${code})` : (e?.cause?.message ?? e?.message ?? String(err));
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
    const reasons: Record<string, number> = {};
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
            } catch (err) {
                report.errors += 1;
                const why = networkReason(err, o.timeoutMs);
                reasons[why] = (reasons[why] ?? 0) + 1;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.count)) }, worker));
    report.blockedRatio = report.sent === 0 ? 0 : report.blocked / report.sent;
    if (report.errors > 0) report.errorReasons = reasons;
    return report;
}

export function parseProbeArgs(argv: string[]): ProbeOptions & { help: boolean } {
    let values: { url?: string; count?: string; concurrency?: string; "timeout-ms"?: string; payload?: string; help?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                url: { type: "string" },
                count: { type: "string", default: "20" },
                concurrency: { type: "string", default: "5" },
                "timeout-ms": { type: "string", default: "10000" },
                payload: { type: "string", default: XSS_PAYLOAD },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
        }));
    } catch (e) {
        throw new Error((e as Error).message.split("\n")[0]);
    }
    if (values.help) return { url: "", count: 0, concurrency: 0, timeoutMs: 0, payload: "", help: true };
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
        help: false,
    };
}

if (require.main === module) {
    (async () => {
        let opts: ReturnType<typeof parseProbeArgs>;
        try {
            opts = parseProbeArgs(process.argv.slice(2));
        } catch (e) {
            process.stderr.write(`xss-probe: ${(e as Error).message} (see --help)\n`);
            process.exitCode = 2;
            return;
        }
        if (opts.help) {
            process.stdout.write(`${PROBE_USAGE}\n`);
            return;
        }
        const r = await runProbe(opts);
        if (r.sent > 0 && r.errors === r.sent) {
            process.stderr.write(`xss-probe: cannot reach ${opts.url}: ${Object.keys(r.errorReasons ?? {}).join("; ")}\n`);
            process.exitCode = 2;
            return;
        }
        console.log(`sent ${r.sent} requests with q=${opts.payload} to ${opts.url}`);
        console.log(`blocked by WAF (403): ${r.blocked}  allowed (2xx): ${r.allowed}  other: ${JSON.stringify(r.otherStatus)}  errors: ${r.errors}${r.errorReasons ? ` ${JSON.stringify(r.errorReasons)}` : ""}`);
        console.log(`blocked ratio: ${(r.blockedRatio * 100).toFixed(1)}%`);
        process.exitCode = r.errors > 0 ? 1 : 0;
    })().catch((e) => {
        process.stderr.write(`xss-probe: ${(e as Error).message}\n`);
        process.exitCode = 1;
    });
}
