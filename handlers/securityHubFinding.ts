// The finding Lambda: files each anomaly alert as an AWS Security Hub finding and tells people. A thin handler
// that wires the stages, one module each (plain functions, their own tests):
//
//   1. parse    handlers/alert/parse.ts    the delivery (SNS event, bare SNS notification from the DLQ, L4M Lambda
//                                          alert) → typed alerts; a composite ALARM read as its band child
//   2. enrich   handlers/alert/enrich.ts   root cause: WAF logs (Logs Insights) or the ecommerce series
//                                          (GetMetricData), within ENRICH_BUDGET_MS; never fails the alert
//   3. map      handlers/alert/asff.ts     → ASFF finding(s) and the plan: import, archive (OK) or skip
//   4. deliver  handlers/alert/deliver.ts  Security Hub import/archive with the episode checks; the people notice
//                                          (handlers/alert/notify.ts)
//
// The Lambda callback (components/anomalyAlerts.ts, findingHandlerFactory) only makes the SDK clients and reads
// the settings from the function's environment (findingSettingsFromEnv, handlers/alert/settings.ts). An alert that fails is logged and, after
// the others were handled, reported in one error so the invocation fails (Lambda retries it, then the on-failure
// destination keeps the event); re-handling the ones that succeeded is harmless — same finding Ids.
//
// Everything the stage modules export is re-exported here: other modules and tests import it from this file.
import { AlertPlan, FindingSettings, planAlert } from "./alert/asff";
import { AlertClients, AlertOutcome, cloudWatchForAlarm, deliverPlan } from "./alert/deliver";
import { ENRICH_BUDGET_MS, enrichAlert } from "./alert/enrich";
import { devopsGuruAlert, isDevOpsGuruEvent } from "./alert/devopsGuru";
import { consoleLogger, Logger } from "./alert/log";
import { AlertEnvelope, compositeAsAlarm, envelopesOf, parseEnvelope, ParsedAlert } from "./alert/parse";
import type { RootCause } from "./enrich/findingFields";

export * from "./alert/asff";
export * from "./alert/deliver";
export { ENRICH_BUDGET_MS, enrichAlert } from "./alert/enrich";
export * from "./alert/log";
export { compositeAsAlarm } from "./alert/parse";
export * from "./alert/settings";

// ---- the handler ---------------------------------------------------------------------------------------------------

export interface AlertHandlingResult {
    outcomes: AlertOutcome[];
}

export interface HandlerDeps {
    now: () => Date;
    log: Logger;
    /** Time the enrich stage may use per invocation (ms). */
    enrichBudgetMs: number;
}

const defaultDeps: HandlerDeps = { now: () => new Date(), log: consoleLogger, enrichBudgetMs: ENRICH_BUDGET_MS };

interface Context {
    clients: AlertClients;
    s: FindingSettings;
    deps: HandlerDeps;
    /** Epoch ms by which the enrich stage must be done (one budget for the whole invocation). */
    enrichDeadlineMs: number;
}

/** Handles one invocation: every delivery it carries goes through the stages; failures are reported together. */
export async function handleAlertEvent(event: unknown, clients: AlertClients, s: FindingSettings, deps: Partial<HandlerDeps> = {}): Promise<AlertHandlingResult> {
    const d = { ...defaultDeps, ...deps };
    const ctx: Context = { clients, s, deps: d, enrichDeadlineMs: Date.now() + d.enrichBudgetMs };
    // DevOps Guru insight events (the EventBridge rule of components/devopsGuruInsights.ts): their own stage module.
    if (isDevOpsGuruEvent(event)) {
        try {
            return { outcomes: [await devopsGuruAlert(event, clients, s, d)] };
        } catch (err) {
            d.log("error", "DevOps Guru insight not filed", { error: (err as Error).message, errorName: (err as Error).name });
            throw err;
        }
    }
    let envelopes: AlertEnvelope[];
    try {
        envelopes = envelopesOf(event);
    } catch (err) {
        d.log("error", "rejected invocation event", { error: (err as Error).message });
        throw err;
    }
    const outcomes: AlertOutcome[] = [];
    const failures: string[] = [];
    for (const [i, env] of envelopes.entries()) {
        const label = env.delivery === "sns" ? `SNS message ${env.sns.messageId}` : "Lookout for Metrics Lambda alert";
        try {
            outcomes.push(await handleDelivery(env, ctx));
        } catch (err) {
            const e = err as Error;
            failures.push(`${label} (${i + 1} of ${envelopes.length}): ${e.name === "Error" ? "" : `${e.name}: `}${e.message}`);
            d.log("error", "alert not filed", { alert: label, error: e.message, errorName: e.name });
        }
    }
    if (failures.length > 0) {
        throw new Error(`finding Lambda: ${failures.length} of ${envelopes.length} alert(s) failed: ${failures.join(" | ")}`);
    }
    return { outcomes };
}

/**
 * One delivery: parse it, then dispatch on its kind to that kind's stages. A new delivery kind (e.g. DevOps Guru
 * insights as EventBridge events) gets a branch in envelopesOf/parseEnvelope (parse.ts), a `kind`, and a case
 * here calling its own stage module.
 */
async function handleDelivery(env: AlertEnvelope, ctx: Context): Promise<AlertOutcome> {
    const delivered = parseEnvelope(env);
    switch (delivered.kind) {
        case "lookout":
        case "cloudwatch":
        case "composite":
            return anomalyAlert(delivered, ctx);
        default:
            throw new Error(`finding Lambda: no stages for a delivery of kind ${(delivered as { kind: string }).kind}`);
    }
}

/** An anomaly alert (Lookout, CloudWatch alarm, composite alarm): parse → enrich → map → deliver. */
async function anomalyAlert(delivered: ParsedAlert, ctx: Context): Promise<AlertOutcome> {
    const { clients, s, deps: { now, log } } = ctx;
    const parsed = delivered.kind === "composite" && delivered.notification.NewStateValue === "ALARM"
        ? await compositeAsAlarm(cloudWatchForAlarm(clients, delivered, s), delivered, s) : delivered;
    let plan: AlertPlan = planAlert(parsed, s, now(), log);
    if (plan.action === "import") {
        const rootCause = await enrich(parsed, ctx);
        if (rootCause) plan = planAlert(parsed, s, now(), log, rootCause);
    }
    return deliverPlan(plan, parsed, clients, s, { now, log });
}

/** The enrich stage with the function's clients; none when the clients have no CloudWatch Logs factory. */
async function enrich(parsed: ParsedAlert, ctx: Context): Promise<RootCause | undefined> {
    const { clients, s, deps: { log } } = ctx;
    if (!clients.logsFor) return undefined;
    const cw = clients.cloudWatchFor ?? (() => clients.cloudWatch);
    const rc = await enrichAlert(parsed, s, {
        logs: clients.logsFor, wafv2: clients.wafv2For, cloudWatch: (r) => (r === s.region ? clients.cloudWatch : cw(r)),
        logGroups: s.wafLogGroups ?? {}, ecommerce: s.ecommerceRootCause, deadlineMs: ctx.enrichDeadlineMs,
    });
    if (rc) log(rc.status === "complete" ? "info" : "warn", "root cause", { kind: rc.kind, status: rc.status, reason: rc.reason, window: rc.window });
    return rc;
}
