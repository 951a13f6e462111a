// The retry strategy the finding Lambda's SDK clients use. Plain functions and object literals (no SDK import):
// the serialized Lambda carries it as-is.
//
// Why not the SDK's own: its standard strategy keeps a retry quota per client — 500 tokens, 5 spent per retried
// throttling error (10 per timeout), 1 returned per success without retry (@smithy/core retry
// INITIAL_RETRY_TOKENS / RETRY_COST / NO_RETRY_INCREMENT). The Lambda makes its clients once per cold start, so a
// warm container that sees sustained throttling spends the quota in about 100 retries, and from then on every
// call in every later invocation fails after ONE attempt ("No retry token available") until enough calls succeed.
// An alert that fails after one throttled attempt goes to Lambda's retries and then the DLQ, which is exactly
// when a burst of anomalies needs filing. This strategy has no cross-call quota: every call gets its full attempt
// budget, with capped exponential backoff and full jitter (and the server's Retry-After hint when it gives one);
// the Lambda timeout bounds the total.

/** The subset of @smithy/types RetryErrorInfo the strategy reads. */
export interface RetryErrorInfoLike {
    errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";
    retryAfterHint?: Date;
}

/** @smithy/types RetryToken. */
export interface RetryTokenLike {
    getRetryCount(): number;
    getRetryDelay(): number;
}

/** @smithy/types RetryStrategyV2 (what `retryStrategy` in an SDK v3 client config accepts). */
export interface RetryStrategyLike {
    acquireInitialRetryToken(scope: string): Promise<RetryTokenLike>;
    refreshRetryTokenForRetry(token: RetryTokenLike, errorInfo: RetryErrorInfoLike): Promise<RetryTokenLike>;
    recordSuccess(token: RetryTokenLike): void;
}

export interface RetryOptions {
    /** Attempts per call, the first included. */
    maxAttempts: number;
    /** Backoff base for throttling errors, ms (the SDK's own: 500). */
    throttlingBaseMs: number;
    /** Backoff base for transient and server errors, ms (the SDK's own: 100). */
    baseMs: number;
    /** Cap of one delay, ms (the SDK's own: 20 s). */
    maxDelayMs: number;
}

/** The deployed settings: 5 attempts, the SDK's own backoff bases and cap. Worst case per call: 0.5+1+2+4 s = 7.5 s. */
export const ALERT_RETRY: RetryOptions = { maxAttempts: 5, throttlingBaseMs: 500, baseMs: 100, maxDelayMs: 20_000 };

/**
 * A retry strategy without a cross-call quota. Retries throttling, transient and server errors up to
 * `maxAttempts` attempts per call; a client error (4xx other than throttling) is not retried. The delay before
 * retry n (1-based) is uniform in [0, min(cap, base · 2^(n-1))], at least the server's Retry-After (capped).
 * When it refuses a retry the SDK throws the call's own error (the refusal's message is not shown).
 */
export function alertRetryStrategy(o: RetryOptions = ALERT_RETRY, random: () => number = Math.random): RetryStrategyLike {
    const token = (n: number, delay: number): RetryTokenLike => ({ getRetryCount: () => n, getRetryDelay: () => delay });
    return {
        acquireInitialRetryToken: async () => token(0, 0),
        refreshRetryTokenForRetry: async (t, info) => {
            const n = t.getRetryCount() + 1;
            if (info.errorType === "CLIENT_ERROR" || n >= o.maxAttempts) throw new Error(`no retry after ${n} attempt(s)`);
            const delay = random() * Math.min(o.maxDelayMs, (info.errorType === "THROTTLING" ? o.throttlingBaseMs : o.baseMs) * 2 ** (n - 1));
            const hint = info.retryAfterHint instanceof Date ? Math.min(o.maxDelayMs, info.retryAfterHint.getTime() - Date.now()) : 0;
            return token(n, Math.max(0, Math.floor(delay), hint));
        },
        recordSuccess: () => undefined,
    };
}
