// Lambda: a supported runtime set explicitly, a bounded timeout, logs that expire, and no alert lost silently
// when an asynchronous invocation keeps failing.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { configWithDefaults, forTypes, requireAny } from "./lib/policy";
import { functionRef, identifiers, label, ofType, refersTo } from "./lib/stack";
import { lookoutKind, T } from "./lib/types";
import { get, getNumber, getString, UNKNOWN } from "./lib/values";

/** The runtimes this project supports (config.ts `LAMBDA_RUNTIMES`). */
export const DEFAULT_ALLOWED_RUNTIMES = ["nodejs22.x", "nodejs24.x"];
export const DEFAULT_MAX_TIMEOUT_SECONDS = 300;

interface RuntimeConfig {
    allowedRuntimes: string[];
}

export const lambdaSupportedRuntime: ResourceValidationPolicy = {
    name: "lambda-supported-runtime",
    description: "Every Lambda function sets its runtime explicitly to one of the allowed (supported) runtimes.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set runtime (edge-anomaly-detection:lambdaRuntime) to an allowed value.",
    configSchema: {
        properties: {
            allowedRuntimes: {
                type: "array",
                items: { type: "string", minLength: 1 },
                minItems: 1,
                uniqueItems: true,
                default: DEFAULT_ALLOWED_RUNTIMES,
                description: "Lambda runtime identifiers functions may use.",
            },
        },
    },
    validateResource: forTypes([T.lambdaFunction], (props, args, report) => {
        if (getString(props, "packageType") === "Image") return; // container images carry their own runtime
        const runtime = getString(props, "runtime");
        if (runtime === UNKNOWN) return;
        const { allowedRuntimes } = configWithDefaults<RuntimeConfig>(args, lambdaSupportedRuntime.configSchema);
        if (runtime === undefined || runtime === "") {
            report(`The function does not set its runtime: set one of ${allowedRuntimes.join(", ")} explicitly.`);
        } else if (!allowedRuntimes.includes(runtime)) {
            report(`Runtime ${runtime} is not allowed (allowed: ${allowedRuntimes.join(", ")}).`);
        }
    }),
};

interface TimeoutConfig {
    maxTimeoutSeconds: number;
}

export const lambdaTimeoutBounded: ResourceValidationPolicy = {
    name: "lambda-timeout-bounded",
    description: `Every Lambda function sets its timeout explicitly, at most maxTimeoutSeconds (default ${DEFAULT_MAX_TIMEOUT_SECONDS}).`,
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps: "Set timeout to the longest a run should take.",
    configSchema: {
        properties: {
            maxTimeoutSeconds: { type: "integer", minimum: 1, maximum: 900, default: DEFAULT_MAX_TIMEOUT_SECONDS, description: "Largest timeout allowed, in seconds." },
        },
    },
    validateResource: forTypes([T.lambdaFunction], (props, args, report) => {
        const timeout = getNumber(props, "timeout");
        if (timeout === UNKNOWN) return;
        const { maxTimeoutSeconds } = configWithDefaults<TimeoutConfig>(args, lambdaTimeoutBounded.configSchema);
        if (timeout === undefined) {
            report(`The function does not set a timeout (Lambda's default is 3 s): set one of at most ${maxTimeoutSeconds} s.`);
        } else if (timeout > maxTimeoutSeconds) {
            report(`Timeout ${timeout} s exceeds the allowed maximum of ${maxTimeoutSeconds} s.`);
        }
    }),
};

export const logGroupRetention: ResourceValidationPolicy = {
    name: "log-group-retention",
    description: "Every CloudWatch log group sets a retention period (none keeps logs, and their cost, forever).",
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps: "Set retentionInDays (edge-anomaly-detection:logRetentionDays).",
    validateResource: forTypes([T.logGroup], (props, _args, report) => {
        const days = getNumber(props, "retentionInDays");
        if (days === UNKNOWN) return;
        if (days === undefined || days <= 0) report("The log group has no retention period: logs never expire.");
    }),
};

/** The log group a function writes to: its loggingConfig.logGroup, else /aws/lambda/<name>. */
function logGroupNameOf(fn: PolicyResource): string | typeof UNKNOWN | undefined {
    const custom = getString(fn.props, "loggingConfig", "logGroup");
    if (custom !== undefined && custom !== "") return custom;
    const name = getString(fn.props, "name");
    if (name === UNKNOWN) return UNKNOWN;
    return name ? `/aws/lambda/${name}` : undefined;
}

export const lambdaLogRetention: StackValidationPolicy = {
    name: "lambda-log-retention",
    description: "Every Lambda function logs to a log group managed by this stack with a retention period.",
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps: "Create the function's log group (loggingConfig.logGroup, or /aws/lambda/<name>) with retentionInDays.",
    validateStack: (args, report) => {
        const functions = ofType(args.resources, T.lambdaFunction);
        requireAny(args, "Lambda functions", functions.length);
        const groups = ofType(args.resources, T.logGroup);
        for (const fn of functions) {
            const groupName = logGroupNameOf(fn);
            const group = groups.find((g) => {
                if (typeof groupName === "string" && getString(g.props, "name") === groupName) return true;
                return (fn.propertyDependencies?.loggingConfig ?? []).some((d) => d.urn === g.urn);
            });
            if (!group) {
                if (groupName === UNKNOWN) continue; // preview: checked after the update with the real name
                report(`${label(fn)} logs to ${groupName ?? "its default log group"}, which this stack does not create: ` +
                    `Lambda would create it without retention. Create it here (loggingConfig.logGroup) with retentionInDays.`, fn.urn);
                continue;
            }
            const days = getNumber(group.props, "retentionInDays");
            if (days !== UNKNOWN && (days === undefined || days <= 0)) {
                report(`${label(fn)} logs to ${label(group)}, which has no retention period.`, fn.urn);
            }
        }
    },
};

/** Service principals that invoke Lambda asynchronously for alerts. */
const ALERT_INVOKERS = ["sns.amazonaws.com", "lookoutmetrics.amazonaws.com", "lambda.alarms.cloudwatch.amazonaws.com"];
/** Other asynchronous invokers (scope `all-async`). */
const OTHER_ASYNC_INVOKERS = ["events.amazonaws.com", "scheduler.amazonaws.com", "s3.amazonaws.com", "logs.amazonaws.com", "ses.amazonaws.com", "iot.amazonaws.com"];

type AsyncScope = "alert-handlers" | "all-async";

interface AsyncConfig {
    scope: AsyncScope;
}

/** Why a function is invoked asynchronously, or undefined when nothing in the stack does. */
function asyncTrigger(fn: PolicyResource, all: readonly PolicyResource[], scope: AsyncScope): string | undefined {
    const ids = identifiers(fn, "arn", "name", "id");
    for (const sub of ofType(all, T.snsSubscription)) {
        if (getString(sub.props, "protocol") === "lambda" && refersTo(sub, ["endpoint"], fn, ids, functionRef)) return `subscribed to SNS (${label(sub)})`;
    }
    for (const alert of all.filter((r) => lookoutKind(r.type) === "Alert")) {
        if (getString(alert.props, "action", "type") === "lambda" && refersTo(alert, ["action", "functionArn"], fn, ids, functionRef)) return `the action of Lookout for Metrics ${label(alert)}`;
    }
    for (const alarm of ofType(all, T.metricAlarm, T.compositeAlarm)) {
        for (const p of ["alarmActions", "okActions", "insufficientDataActions"]) {
            if (refersTo(alarm, [p], fn, ids, functionRef)) return `an action of ${label(alarm)}`;
        }
    }
    const invokers = scope === "all-async" ? [...ALERT_INVOKERS, ...OTHER_ASYNC_INVOKERS] : ALERT_INVOKERS;
    for (const perm of ofType(all, T.lambdaPermission)) {
        const principal = getString(perm.props, "principal");
        if (typeof principal === "string" && invokers.includes(principal) && refersTo(perm, ["function"], fn, ids, functionRef)) {
            return `invoked by ${principal} (${label(perm)})`;
        }
    }
    if (scope === "all-async") {
        for (const t of ofType(all, T.eventTarget)) if (refersTo(t, ["arn"], fn, ids, functionRef)) return `the target of ${label(t)}`;
        for (const s of ofType(all, "aws:scheduler/schedule:Schedule")) if (refersTo(s, ["target", "arn"], fn, ids, functionRef)) return `the target of ${label(s)}`;
    }
    return undefined;
}

export const lambdaAsyncFailureDestination: StackValidationPolicy = {
    name: "lambda-async-failure-destination",
    description: "Alert-handling Lambda functions (invoked asynchronously by SNS, Lookout for Metrics or CloudWatch alarms) " +
        "send events that still fail after retries to an on-failure destination or a dead-letter queue.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Add an aws.lambda.FunctionEventInvokeConfig with destinationConfig.onFailure.destination (an SQS queue), or set deadLetterConfig.targetArn.",
    configSchema: {
        properties: {
            scope: {
                type: "string",
                enum: ["alert-handlers", "all-async"],
                default: "alert-handlers",
                description: "alert-handlers: functions triggered by SNS, Lookout for Metrics or alarms; all-async: also EventBridge, Scheduler, S3, ...",
            },
        },
    },
    validateStack: (args, report) => {
        const { scope } = configWithDefaults<AsyncConfig>(args, lambdaAsyncFailureDestination.configSchema);
        const functions = ofType(args.resources, T.lambdaFunction);
        const configs = ofType(args.resources, T.lambdaEventInvokeConfig);
        let checked = 0;
        for (const fn of functions) {
            const trigger = asyncTrigger(fn, args.resources, scope);
            if (!trigger) continue;
            checked += 1;
            const dlq = getString(fn.props, "deadLetterConfig", "targetArn");
            if (dlq === UNKNOWN || (typeof dlq === "string" && dlq !== "")) continue;
            const ids = identifiers(fn, "arn", "name", "id");
            const mine = configs.filter((c) => refersTo(c, ["functionName"], fn, ids, functionRef));
            const hasDestination = mine.some((c) => {
                const d = get(c.props, "destinationConfig", "onFailure", "destination");
                return d === UNKNOWN || (typeof d === "string" && d !== "");
            });
            if (!hasDestination) {
                report(`${label(fn)} is ${trigger}, but an event that fails all retries is dropped: give it an on-failure ` +
                    `destination (FunctionEventInvokeConfig destinationConfig.onFailure) or a dead-letter queue.`, fn.urn);
            }
        }
        requireAny(args, "asynchronously invoked alert handlers", checked);
    },
};

export const lambdaPolicies = [lambdaSupportedRuntime, lambdaTimeoutBounded, logGroupRetention, lambdaLogRetention, lambdaAsyncFailureDestination];
