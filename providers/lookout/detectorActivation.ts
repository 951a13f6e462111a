// DetectorActivation: turns a Lookout for Metrics detector on and keeps it on, as a Pulumi dynamic resource.
//
// - create/update: describe the detector; ACTIVE or LEARNING already → nothing to do (no Activate call);
//   INACTIVE, DEACTIVATED or FAILED → ActivateAnomalyDetector; then poll DescribeAnomalyDetector every poll
//   interval until ACTIVE or LEARNING, at most `timeoutSeconds`, and fail naming the detector and its last status.
//   A FAILED status after our Activate call fails at once with the service's FailureReason.
// - delete: deactivate (ACTIVE, LEARNING) and wait until the detector is no longer ACTIVATING/DEACTIVATING, so
//   the detector itself can be deleted next; a detector already gone is fine.
// - read: the detector's real status, so `pulumi refresh` shows a detector someone deactivated, and the next
//   `pulumi up` (diff sees the status) activates it again.
//
// Mode `backtest` runs BackTestAnomalyDetector instead and waits for BACK_TEST_ACTIVE/COMPLETE. A back-tested
// detector cannot monitor live data afterwards (AWS's samples: "you must create a new detector to leverage real
// time data"), so the program uses `live`: historical data in the S3 metric set is ingested when the detector is
// activated, which already shortens the learning period.
import * as pulumi from "@pulumi/pulumi";
import {
    ActivateAnomalyDetectorCommand,
    BackTestAnomalyDetectorCommand,
    DeactivateAnomalyDetectorCommand,
    DescribeAnomalyDetectorCommand,
    DescribeAnomalyDetectorCommandOutput,
    LookoutMetricsClient,
} from "@aws-sdk/client-lookoutmetrics";

import {
    checker, DETECTOR_ARN, changedPaths, detectorNameOf, isConflict, isNotFound, LOOKOUT_MODULE, ProviderOptions, REGION,
    resolveOptions, ResolvedOptions,
} from "./common";

export type ActivationMode = "live" | "backtest";

export interface DetectorActivationInputs {
    providerVersion: string;
    region: string;
    detectorArn: string;
    /** How long create/update/delete wait for the detector to settle. */
    timeoutSeconds: number;
    mode: ActivationMode;
}

export interface DetectorActivationOutputs extends DetectorActivationInputs {
    /** The detector status after the last create/update/refresh. */
    status: string;
    failureReason?: string;
}

type In<T> = pulumi.Input<T>;

export interface DetectorActivationArgs {
    providerVersion: In<string>;
    region: In<string>;
    detectorArn: In<string>;
    timeoutSeconds: In<number>;
    mode?: In<ActivationMode>;
}

/** Statuses a mode is happy with. */
export const TARGET_STATUSES: Readonly<Record<ActivationMode, readonly string[]>> = {
    live: ["ACTIVE", "LEARNING"],
    backtest: ["BACK_TEST_ACTIVE", "BACK_TEST_COMPLETE"],
};

/** Statuses from which the start call (Activate / BackTest) is made. */
const STARTABLE: Readonly<Record<ActivationMode, readonly string[]>> = {
    live: ["INACTIVE", "DEACTIVATED", "FAILED"],
    backtest: ["INACTIVE", "DEACTIVATED", "FAILED"],
};

/** Statuses that end the wait with an error: the detector cannot reach the mode's target from there. */
const DEAD_ENDS: Readonly<Record<ActivationMode, readonly string[]>> = {
    live: ["DELETING", "BACK_TEST_ACTIVATING", "BACK_TEST_ACTIVE", "BACK_TEST_COMPLETE"],
    backtest: ["DELETING", "ACTIVE", "LEARNING", "ACTIVATING"],
};

export function checkActivationInputs(news: unknown): { property: string; reason: string }[] {
    const c = checker(news);
    c.str("providerVersion", { required: true, min: 1, max: 32 });
    c.str("region", { required: true, max: 32, pattern: REGION, rule: "is not an AWS region" });
    c.str("detectorArn", { required: true, max: 256, pattern: DETECTOR_ARN, rule: "is not a Lookout for Metrics anomaly detector ARN" });
    const t = (news as { timeoutSeconds?: unknown }).timeoutSeconds;
    if (typeof t !== "number" || !(t > 0) || t > 86400) c.fail("timeoutSeconds", `${JSON.stringify(t)} must be a number of seconds above 0 and at most 86400`);
    c.oneOf("mode", ["live", "backtest"]);
    return c.failures;
}

function client(region: string): LookoutMetricsClient {
    return new LookoutMetricsClient({ region, maxAttempts: 5 });
}

async function describeDetector(lm: LookoutMetricsClient, arn: string): Promise<DescribeAnomalyDetectorCommandOutput> {
    return lm.send(new DescribeAnomalyDetectorCommand({ AnomalyDetectorArn: arn }));
}

function detail(d: DescribeAnomalyDetectorCommandOutput): string {
    const parts = [d.FailureType, d.FailureReason].filter((x): x is string => !!x);
    return parts.length > 0 ? ` (${parts.join(": ")})` : "";
}

/** Brings the detector into the mode's target status; returns the status reached. */
export async function ensureActive(i: DetectorActivationInputs, o: ResolvedOptions): Promise<DescribeAnomalyDetectorCommandOutput> {
    const lm = client(i.region);
    const name = detectorNameOf(i.detectorArn);
    const mode = i.mode ?? "live";
    const target = TARGET_STATUSES[mode];
    const deadline = o.now() + i.timeoutSeconds * 1000;
    let started = false;
    let last = "unknown";
    for (;;) {
        const d = await describeDetector(lm, i.detectorArn);
        last = d.Status ?? "unknown";
        if (target.includes(last)) return d;
        if (DEAD_ENDS[mode].includes(last)) {
            throw new Error(mode === "live" && last.startsWith("BACK_TEST")
                ? `Lookout for Metrics detector "${name}" (${i.detectorArn}) was used for a backtest (status ${last}) and cannot monitor live data; replace the detector`
                : `Lookout for Metrics detector "${name}" (${i.detectorArn}) cannot reach ${target.join(" or ")} from status ${last}`);
        }
        if (last === "FAILED" && started) {
            throw new Error(`Lookout for Metrics detector "${name}" (${i.detectorArn}) failed to activate${detail(d)}`);
        }
        if (!started && STARTABLE[mode].includes(last)) {
            try {
                await lm.send(mode === "live"
                    ? new ActivateAnomalyDetectorCommand({ AnomalyDetectorArn: i.detectorArn })
                    : new BackTestAnomalyDetectorCommand({ AnomalyDetectorArn: i.detectorArn }));
                started = true;
            } catch (err) {
                // Someone else is changing it right now: keep polling and decide again.
                if (!isConflict(err)) throw err;
            }
        }
        if (o.now() >= deadline) {
            throw new Error(
                `Timed out after ${i.timeoutSeconds} s waiting for Lookout for Metrics detector "${name}" (${i.detectorArn}) ` +
                `to become ${target.join(" or ")}; last status: ${last}${detail(d)}. ` +
                `Raise detection.activationTimeoutSeconds or check the detector in the console, then run pulumi up again.`,
            );
        }
        await o.sleep(o.pollIntervalMs);
    }
}

/** Deactivates the detector and waits until it has settled. A detector already gone is fine. */
export async function ensureInactive(i: DetectorActivationInputs, o: ResolvedOptions): Promise<void> {
    const lm = client(i.region);
    const name = detectorNameOf(i.detectorArn);
    const deadline = o.now() + i.timeoutSeconds * 1000;
    let requested = false;
    let last = "unknown";
    for (;;) {
        let d: DescribeAnomalyDetectorCommandOutput;
        try {
            d = await describeDetector(lm, i.detectorArn);
        } catch (err) {
            if (isNotFound(err)) return;
            throw err;
        }
        last = d.Status ?? "unknown";
        if (["ACTIVE", "LEARNING", "BACK_TEST_ACTIVE"].includes(last)) {
            if (!requested) {
                try {
                    await lm.send(new DeactivateAnomalyDetectorCommand({ AnomalyDetectorArn: i.detectorArn }));
                    requested = true;
                } catch (err) {
                    if (isNotFound(err)) return;
                    if (!isConflict(err)) throw err;
                }
            }
        } else if (!["ACTIVATING", "DEACTIVATING", "BACK_TEST_ACTIVATING"].includes(last)) {
            return; // INACTIVE, DEACTIVATED, FAILED, BACK_TEST_COMPLETE, DELETING: nothing runs any more.
        }
        if (o.now() >= deadline) {
            throw new Error(`Timed out after ${i.timeoutSeconds} s deactivating Lookout for Metrics detector "${name}" (${i.detectorArn}); last status: ${last}`);
        }
        await o.sleep(o.pollIntervalMs);
    }
}

export function detectorActivationProvider(options?: ProviderOptions): pulumi.dynamic.ResourceProvider<DetectorActivationInputs, DetectorActivationOutputs> {
    const o = resolveOptions(options);
    return {
        async check(_olds, news) {
            const inputs = { ...news, mode: news.mode ?? "live" };
            return { inputs, failures: checkActivationInputs(inputs) };
        },

        async diff(_id, olds, news) {
            const replaces = changedPaths(olds, news, ["region", "detectorArn", "mode"]);
            const updates = changedPaths(olds, news, ["timeoutSeconds", "providerVersion"]);
            // Drift seen on refresh (someone deactivated it, or it failed): update brings it back.
            const drifted = !TARGET_STATUSES[news.mode ?? "live"].includes(olds.status);
            return {
                changes: replaces.length > 0 || updates.length > 0 || drifted,
                replaces,
                // Never run two activations of one detector side by side: the old one's delete deactivates.
                deleteBeforeReplace: replaces.length > 0,
            };
        },

        async create(inputs) {
            const d = await ensureActive(inputs, o);
            return { id: inputs.detectorArn, outs: { ...inputs, status: d.Status ?? "unknown", failureReason: d.FailureReason } };
        },

        async update(_id, _olds, news) {
            const d = await ensureActive(news, o);
            return { outs: { ...news, status: d.Status ?? "unknown", failureReason: d.FailureReason } };
        },

        async read(id, props) {
            const prior = props as DetectorActivationOutputs;
            try {
                const d = await describeDetector(client(prior.region), prior.detectorArn ?? id);
                return { id, props: { ...prior, status: d.Status ?? "unknown", failureReason: d.FailureReason } };
            } catch (err) {
                if (isNotFound(err)) return {};
                throw err;
            }
        },

        async delete(_id, props) {
            await ensureInactive(props, o);
        },
    };
}

const defaultProvider = detectorActivationProvider();

/**
 * Keeps a Lookout for Metrics detector activated. Type token
 * `pulumi-nodejs:dynamic/edge-anomaly-lookout:DetectorActivation`.
 */
export class DetectorActivation extends pulumi.dynamic.Resource {
    declare public readonly status: pulumi.Output<string>;
    declare public readonly detectorArn: pulumi.Output<string>;

    constructor(name: string, args: DetectorActivationArgs, opts?: pulumi.CustomResourceOptions, providerOptions?: ProviderOptions) {
        const provider = providerOptions ? detectorActivationProvider(providerOptions) : defaultProvider;
        super(provider, name, { ...args, mode: args.mode ?? "live", status: undefined, failureReason: undefined }, opts, LOOKOUT_MODULE, "DetectorActivation");
    }
}
