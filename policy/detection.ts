// Detection: every detector can raise an alert, and Lookout for Metrics detectors run at an allowed frequency
// with an alert threshold in the allowed range.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { configWithDefaults, forTypes, requireAny } from "./lib/policy";
import { identifiers, label, ofType, refersTo } from "./lib/stack";
import { lookoutKind, T } from "./lib/types";
import { get, getArray, getBoolean, getNumber, getString, UNKNOWN } from "./lib/values";

/** The Lookout for Metrics detector frequencies (API enum). */
export const L4M_FREQUENCIES = ["PT5M", "PT10M", "PT1H", "P1D"];

function hasActions(alarm: PolicyResource): boolean {
    const actions = getArray(alarm.props, "alarmActions");
    return actions === UNKNOWN || actions.length > 0;
}

/** Alarm names a composite alarm's rule refers to (`ALARM("name")`, `ALARM(name)`, or alarm ARNs). */
export function alarmRuleReferences(rule: string): string[] {
    const out: string[] = [];
    const re = /\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*(?:"([^"]+)"|'([^']+)'|([^\s)]+))\s*\)/g;
    for (let m = re.exec(rule); m; m = re.exec(rule)) out.push(m[1] ?? m[2] ?? m[3]);
    return out;
}

export const detectionAlarmActions: StackValidationPolicy = {
    name: "detection-alarm-actions",
    description: "Every CloudWatch alarm has its actions enabled and an alarm action, or feeds a composite alarm that has one.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set alarmActions to the alert topic (and keep actionsEnabled true).",
    validateStack: (args, report) => {
        const alarms = ofType(args.resources, T.metricAlarm, T.compositeAlarm);
        requireAny(args, "CloudWatch alarms", alarms.length);
        const composites = ofType(args.resources, T.compositeAlarm);
        const alerting = (a: PolicyResource): boolean => getBoolean(a.props, "actionsEnabled") !== false && hasActions(a);
        for (const alarm of alarms) {
            if (getBoolean(alarm.props, "actionsEnabled") === false) {
                report(`${label(alarm)} has actionsEnabled false: it changes state without telling anyone.`, alarm.urn);
                continue;
            }
            if (hasActions(alarm)) continue;
            const ids = identifiers(alarm, "name", "arn");
            const parent = composites.find((c) => {
                if (c === alarm || !alerting(c)) return false;
                const rule = getString(c.props, "alarmRule");
                if (typeof rule === "string" && alarmRuleReferences(rule).some((ref) => ids.includes(ref))) return true;
                return refersTo(c, ["alarmRule"], alarm, []);
            });
            if (!parent) {
                report(`${label(alarm)} has no alarm action: an anomaly would change its state and alert no one. Set alarmActions to the alert topic.`, alarm.urn);
            }
        }
    },
};

function lookout(resources: readonly PolicyResource[], kind: ReturnType<typeof lookoutKind>): PolicyResource[] {
    return resources.filter((r) => lookoutKind(r.type) === kind);
}

function alertHasAction(alert: PolicyResource): boolean {
    const type = getString(alert.props, "action", "type");
    if (type === UNKNOWN || get(alert.props, "action") === UNKNOWN) return true;
    const target = type === "sns" ? getString(alert.props, "action", "topicArn") : type === "lambda" ? getString(alert.props, "action", "functionArn") : undefined;
    const role = getString(alert.props, "action", "roleArn");
    const present = (v: unknown) => v === UNKNOWN || (typeof v === "string" && v !== "");
    return present(target) && present(role);
}

export const detectionLookoutAlerted: StackValidationPolicy = {
    name: "detection-lookout-detector-alerted",
    description: "Every Lookout for Metrics detector is activated for live data and has an alert with an SNS or Lambda action.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Create a Lookout Alert (action sns or lambda, with its role) and a DetectorActivation (mode live) for the detector.",
    validateStack: (args, report) => {
        const detectors = lookout(args.resources, "AnomalyDetector");
        requireAny(args, "Lookout for Metrics detectors", detectors.length);
        const alerts = lookout(args.resources, "Alert");
        const activations = lookout(args.resources, "DetectorActivation");
        for (const d of detectors) {
            const ids = identifiers(d, "arn", "id");
            const mine = alerts.filter((a) => refersTo(a, ["detectorArn"], d, ids));
            if (mine.length === 0) {
                report(`${label(d)} has no alert: anomalies it finds reach no one. Add a Lookout for Metrics Alert for it.`, d.urn);
            } else if (!mine.some(alertHasAction)) {
                report(`The alerts of ${label(d)} have no complete action (SNS topic or Lambda function, and a role).`, d.urn);
            }
            const live = activations.filter((a) => refersTo(a, ["detectorArn"], d, ids) && [undefined, "live", UNKNOWN].includes(getString(a.props, "mode")));
            if (live.length === 0) {
                report(`${label(d)} is never activated for live data (no DetectorActivation in live mode): it analyses nothing and never alerts.`, d.urn);
            }
        }
    },
};

interface LookoutSettingsConfig {
    allowedFrequencies: string[];
    minAlertSensitivity: number;
    maxAlertSensitivity: number;
}

export const detectionLookoutSettings: ResourceValidationPolicy = {
    name: "detection-lookout-settings",
    description: "Lookout for Metrics detectors run at an allowed frequency, and their alerts use a sensitivity threshold within the allowed range.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set edge-anomaly-detection:detection.frequency and detection.alertSensitivity to allowed values.",
    configSchema: {
        properties: {
            allowedFrequencies: {
                type: "array",
                items: { type: "string", enum: L4M_FREQUENCIES },
                minItems: 1,
                uniqueItems: true,
                default: L4M_FREQUENCIES,
                description: "Detector frequencies allowed (the API accepts PT5M, PT10M, PT1H, P1D).",
            },
            minAlertSensitivity: { type: "integer", minimum: 0, maximum: 100, default: 0, description: "Lowest alert sensitivity threshold allowed." },
            maxAlertSensitivity: { type: "integer", minimum: 0, maximum: 100, default: 100, description: "Highest alert sensitivity threshold allowed." },
        },
    },
    validateResource: forTypes((t) => lookoutKind(t) === "AnomalyDetector" || lookoutKind(t) === "Alert", (props, args, report) => {
        const cfg = configWithDefaults<LookoutSettingsConfig>(args, detectionLookoutSettings.configSchema);
        if (lookoutKind(args.type) === "AnomalyDetector") {
            const f = getString(props, "frequency");
            if (f === UNKNOWN) return;
            if (f === undefined || !cfg.allowedFrequencies.includes(f)) {
                report(`Detector frequency ${f ?? "(unset)"} is not allowed (allowed: ${cfg.allowedFrequencies.join(", ")}).`);
            }
            return;
        }
        const threshold = getNumber(props, "sensitivityThreshold");
        if (threshold === UNKNOWN) return;
        if (threshold === undefined || !Number.isInteger(threshold) || threshold < cfg.minAlertSensitivity || threshold > cfg.maxAlertSensitivity) {
            report(`Alert sensitivity threshold ${threshold ?? "(unset)"} is outside the allowed range ` +
                `${cfg.minAlertSensitivity}–${cfg.maxAlertSensitivity} (a whole number).`);
        }
    }),
};

export const detectionPolicies = [detectionAlarmActions, detectionLookoutAlerted, detectionLookoutSettings];
