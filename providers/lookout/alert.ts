// Alert: a Lookout for Metrics alert on one detector, as a Pulumi dynamic resource. The action is an SNS topic
// (message format JSON, LONG_TEXT or SHORT_TEXT) or a Lambda function, each reached through a role L4M assumes.
//
// UpdateAlert changes the description, the sensitivity threshold, the action and the filters in place; the name,
// the detector and the region identify the alert, so changing them replaces it. Removing the filters also
// replaces it (UpdateAlert cannot clear them).
//
// No orphans. CreateAlert has no idempotency token: when its response is lost (created, then a 5xx; the SDK's
// retry gets ConflictException "already exists"), or a 5xx/throttle hides whether it was created, create looks
// the alert up by name (ListAlerts). If it carries this stack's owner tag it is adopted (UpdateAlert and tags
// bring it to the desired state); if it is ours but on another detector (left over), it is deleted and created
// again; if it is not ours, create fails naming it and its owner. A failed update records the old outputs
// marked `reconcile`, so the next update sends the full desired alert even if the inputs went back.
import * as pulumi from "@pulumi/pulumi";
import {
    Action as ApiAction,
    AlertFilters as ApiAlertFilters,
    CreateAlertCommand,
    CreateAlertCommandInput,
    DeleteAlertCommand,
    DescribeAlertCommand,
    ListAlertsCommand,
    ListTagsForResourceCommand,
    LookoutMetricsClient,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateAlertCommand,
    UpdateAlertCommandInput,
} from "@aws-sdk/client-lookoutmetrics";

import {
    apiTags, ARN, canonical, changedPaths, checker, DETECTOR_ARN, isNotFound, LOOKOUT_MODULE, mayHaveCreated, NAME, NAME_RULE,
    NON_BLANK, notOurs, ownedTags, ownerOf, OWNER_TAG, partialFailure, ProviderOptions, reconcileState, REGION, resolveOptions, retryOnRolePropagation,
    tagChanges, TAG_VALUE, userTags,
} from "./common";

export type SnsFormat = "JSON" | "LONG_TEXT" | "SHORT_TEXT";

export type AlertAction =
    | { type: "sns"; roleArn: string; topicArn: string; format: SnsFormat }
    | { type: "lambda"; roleArn: string; functionArn: string };

export interface AlertFilters {
    /** Measures to alert on (1–5); all when omitted. */
    metrics?: string[];
    /** Dimension values to alert on (1–5 dimensions, 1–10 values each). */
    dimensions?: { name: string; values: string[] }[];
}

export interface AlertInputs {
    providerVersion: string;
    region: string;
    name: string;
    detectorArn: string;
    description: string;
    /** Minimum anomaly severity (0–100) that triggers the alert. */
    sensitivityThreshold: number;
    action: AlertAction;
    filters?: AlertFilters;
    tags?: Record<string, string>;
    /** `<project>/<stack>`, written as the owner tag: how create recognises an alert of this stack by name. */
    owner: string;
}

export interface AlertOutputs extends AlertInputs {
    arn: string;
    /** Set on outputs recorded after a failed create/update: the next update re-sends the whole desired alert. */
    reconcile?: boolean;
}

type In<T> = pulumi.Input<T>;

export interface AlertArgs {
    providerVersion: In<string>;
    region: In<string>;
    name: In<string>;
    detectorArn: In<string>;
    description: In<string>;
    sensitivityThreshold: In<number>;
    action: In<
        | { type: "sns"; roleArn: In<string>; topicArn: In<string>; format: In<SnsFormat> }
        | { type: "lambda"; roleArn: In<string>; functionArn: In<string> }
    >;
    filters?: In<{ metrics?: In<In<string>[]>; dimensions?: In<In<{ name: In<string>; values: In<In<string>[]> }>[]> }>;
    tags?: In<Record<string, In<string>>>;
    owner: In<string>;
}

// ---- requests --------------------------------------------------------------------------------------------------

export function apiAction(a: AlertAction): ApiAction {
    return a.type === "sns"
        ? { SNSConfiguration: { RoleArn: a.roleArn, SnsTopicArn: a.topicArn, SnsFormat: a.format } }
        : { LambdaConfiguration: { RoleArn: a.roleArn, LambdaArn: a.functionArn } };
}

export function apiAlertFilters(f: AlertFilters | undefined): ApiAlertFilters | undefined {
    if (!f || (!f.metrics?.length && !f.dimensions?.length)) return undefined;
    return {
        MetricList: f.metrics?.length ? [...f.metrics] : undefined,
        DimensionFilterList: f.dimensions?.length
            ? f.dimensions.map((d) => ({ DimensionName: d.name, DimensionValueList: [...d.values] }))
            : undefined,
    };
}

export function createAlertRequest(i: AlertInputs): CreateAlertCommandInput {
    return {
        AlertName: i.name,
        AlertDescription: i.description,
        AlertSensitivityThreshold: i.sensitivityThreshold,
        AnomalyDetectorArn: i.detectorArn,
        Action: apiAction(i.action),
        AlertFilters: apiAlertFilters(i.filters),
        Tags: apiTags(ownedTags(i.tags, i.owner)),
    };
}

export function updateAlertRequest(arn: string, i: AlertInputs): UpdateAlertCommandInput {
    return {
        AlertArn: arn,
        AlertDescription: i.description,
        AlertSensitivityThreshold: i.sensitivityThreshold,
        Action: apiAction(i.action),
        AlertFilters: apiAlertFilters(i.filters),
    };
}

export const ALERT_REPLACE_PATHS = ["region", "name", "detectorArn"] as const;
export const ALERT_UPDATE_PATHS = ["description", "sensitivityThreshold", "action", "filters", "tags", "owner", "providerVersion"] as const;

function normalizeAlert<T extends Partial<AlertInputs>>(i: T): T {
    const f = i.filters;
    const filters = f && typeof f === "object" && !(f.metrics?.length || f.dimensions?.length) ? undefined : f;
    return { ...i, tags: apiTags(i.tags as Record<string, string> | undefined), filters };
}

// ---- check -----------------------------------------------------------------------------------------------------

export function checkAlertInputs(news: unknown): { property: string; reason: string }[] {
    const c = checker(news);
    c.str("providerVersion", { required: true, min: 1, max: 32 });
    c.str("region", { required: true, max: 32, pattern: REGION, rule: "is not an AWS region" });
    c.str("name", { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
    c.str("detectorArn", { required: true, max: 256, pattern: DETECTOR_ARN, rule: "is not a Lookout for Metrics anomaly detector ARN" });
    c.str("description", { required: true, min: 1, max: 256, pattern: NON_BLANK, rule: "must not be blank" });
    c.int("sensitivityThreshold", 0, 100);
    c.oneOf("action.type", ["sns", "lambda"]);
    c.str("action.roleArn", { required: true, max: 256, pattern: ARN, rule: "is not an ARN" });
    const type = (news as { action?: { type?: unknown } }).action?.type;
    if (type === "sns") {
        c.str("action.topicArn", { required: true, max: 256, pattern: /^arn:[a-z\d-]+:sns:[a-z0-9-]+:\d{12}:.+$/, rule: "is not an SNS topic ARN" });
        c.oneOf("action.format", ["JSON", "LONG_TEXT", "SHORT_TEXT"]);
    } else if (type === "lambda") {
        c.str("action.functionArn", { required: true, max: 256, pattern: /^arn:[a-z\d-]+:lambda:[a-z0-9-]+:\d{12}:function:.+$/, rule: "is not a Lambda function ARN" });
    }
    const metrics = c.list("filters.metrics", 1, 5, false);
    metrics?.forEach((_, i) => c.str(`filters.metrics.${i}`, { required: true, min: 1, max: 256 }));
    const dims = c.list("filters.dimensions", 1, 5, false);
    dims?.forEach((_, i) => {
        c.str(`filters.dimensions.${i}.name`, { required: true, min: 1, max: 63, pattern: NAME, rule: NAME_RULE });
        const values = c.list(`filters.dimensions.${i}.values`, 1, 10);
        values?.forEach((_v, j) => c.str(`filters.dimensions.${i}.values.${j}`, { required: true, min: 1, max: 1024 }));
    });
    c.tags("tags");
    c.str("owner", { required: true, min: 1, max: 256, pattern: TAG_VALUE, rule: "is not a valid tag value (letters, digits, spaces, _.:/=+-@)" });
    return c.failures;
}

// ---- provider --------------------------------------------------------------------------------------------------

function client(region: string): LookoutMetricsClient {
    return new LookoutMetricsClient({ region, maxAttempts: 5 });
}

function messageOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

async function deleteAlert(lm: LookoutMetricsClient, arn: string): Promise<void> {
    try {
        await lm.send(new DeleteAlertCommand({ AlertArn: arn }));
    } catch (err) {
        // Gone already: deleting its detector deletes the alert too.
        if (!isNotFound(err)) throw err;
    }
}

async function syncTags(lm: LookoutMetricsClient, arn: string, olds: Record<string, string> | undefined, news: Record<string, string> | undefined, onChange: () => void): Promise<void> {
    const { remove, set } = tagChanges(olds, news);
    if (remove.length > 0) {
        await lm.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: remove }));
        onChange();
    }
    if (Object.keys(set).length > 0) {
        await lm.send(new TagResourceCommand({ ResourceArn: arn, Tags: set }));
        onChange();
    }
}

/** The alert named `i.name`: first among the detector's alerts, then among all alerts of the region. */
async function findAlert(lm: LookoutMetricsClient, i: AlertInputs): Promise<{ arn: string; detectorArn: string } | undefined> {
    for (const scope of [{ AnomalyDetectorArn: i.detectorArn }, {}]) {
        let token: string | undefined;
        do {
            let page;
            try {
                page = await lm.send(new ListAlertsCommand({ ...scope, MaxResults: 100, NextToken: token }));
            } catch (err) {
                if (isNotFound(err)) break;
                throw err;
            }
            const hit = (page.AlertSummaryList ?? []).find((a) => a.AlertName === i.name);
            if (hit?.AlertArn) return { arn: hit.AlertArn, detectorArn: hit.AnomalyDetectorArn ?? "" };
            token = page.NextToken;
        } while (token);
    }
    return undefined;
}

/** Takes over this stack's alert found by name: the full desired alert and tags are sent, then it is in state. */
async function adoptAlert(lm: LookoutMetricsClient, arn: string, i: AlertInputs, cause: unknown) {
    try {
        await lm.send(new UpdateAlertCommand(updateAlertRequest(arn, i)));
        const live = (await lm.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags;
        await syncTags(lm, arn, live, ownedTags(i.tags, i.owner), () => undefined);
    } catch (err) {
        // It exists and is ours: keep it in the state, and let the next update finish the job.
        throw partialFailure(
            `alert "${i.name}" (${arn}) already existed (${messageOf(cause)}) and is this stack's; bringing it to the desired state failed: ${messageOf(err)}`,
            arn, { ...i, arn, reconcile: true },
        );
    }
    return { id: arn, outs: { ...i, arn } };
}

export function alertProvider(options?: ProviderOptions): pulumi.dynamic.ResourceProvider<AlertInputs, AlertOutputs> {
    const o = resolveOptions(options);
    return {
        async check(_olds, news) {
            return { inputs: news, failures: checkAlertInputs(news) };
        },

        async diff(_id, olds, news) {
            const [a, b] = [normalizeAlert(olds), normalizeAlert(news)];
            const replaces: string[] = changedPaths(a, b, ALERT_REPLACE_PATHS);
            if (a.filters !== undefined && b.filters === undefined) replaces.push("filters");
            const updates = changedPaths(a, b, ALERT_UPDATE_PATHS);
            return {
                // Outputs recorded after a failed create/update may not match the alert: always update once.
                changes: replaces.length > 0 || updates.length > 0 || olds.reconcile === true,
                replaces,
                deleteBeforeReplace: replaces.length > 0 && canonical(olds.name) === canonical(news.name),
                stables: replaces.length === 0 ? ["arn"] : undefined,
            };
        },

        async create(inputs) {
            const lm = client(inputs.region);
            for (let round = 1; ; round++) {
                let arn: string | undefined;
                try {
                    const res = await retryOnRolePropagation(() => lm.send(new CreateAlertCommand(createAlertRequest(inputs))), o);
                    arn = res.AlertArn;
                    if (!arn) throw new Error(`CreateAlert returned no ARN for "${inputs.name}"`);
                    return { id: arn, outs: { ...inputs, arn } };
                } catch (err) {
                    if (arn !== undefined || !mayHaveCreated(err)) throw err;
                    const found = await findAlert(lm, inputs).catch((lookup: unknown) => {
                        throw new Error(`${messageOf(err)}; looking the alert "${inputs.name}" up by name (to adopt it if this stack created it) failed too: ${messageOf(lookup)}`);
                    });
                    if (!found) throw err;
                    const owner = await ownerOf(lm, found.arn);
                    if (owner !== inputs.owner) throw notOurs("alert", inputs.name, found.arn, owner, inputs.owner);
                    if (found.detectorArn === inputs.detectorArn) return adoptAlert(lm, found.arn, inputs, err);
                    // Ours, but on a detector this stack no longer uses (left over): remove it and create again, once.
                    if (round > 1) throw err;
                    await deleteAlert(lm, found.arn);
                }
            }
        },

        async update(id, olds, news) {
            const lm = client(news.region);
            const [a, b] = [normalizeAlert(olds), normalizeAlert(news)];
            let mutated = false;
            try {
                if (olds.reconcile || changedPaths(a, b, ["description", "sensitivityThreshold", "action", "filters"]).length > 0) {
                    await retryOnRolePropagation(() => lm.send(new UpdateAlertCommand(updateAlertRequest(id, news))), o);
                    mutated = true;
                }
                // After a failed create/update the outputs' tags may be wrong: compare with the alert's own.
                const oldTags = olds.reconcile
                    ? (await lm.send(new ListTagsForResourceCommand({ ResourceArn: id }))).Tags
                    : ownedTags(olds.tags, olds.owner);
                await syncTags(lm, id, oldTags, ownedTags(news.tags, news.owner), () => (mutated = true));
            } catch (err) {
                if (!mutated) throw err;
                throw partialFailure(`${messageOf(err)} (alert "${news.name}" ${id} is partly updated; the next pulumi up completes it)`, id, reconcileState(olds, news));
            }
            return { outs: { ...news, arn: id } };
        },

        async read(id, props) {
            const prior = props as AlertOutputs;
            const lm = client(prior.region);
            let alert;
            try {
                alert = (await lm.send(new DescribeAlertCommand({ AlertArn: id }))).Alert;
            } catch (err) {
                if (isNotFound(err)) return {};
                throw err;
            }
            if (!alert) return {};
            const sns = alert.Action?.SNSConfiguration;
            const fn = alert.Action?.LambdaConfiguration;
            const action: AlertAction = sns
                ? { type: "sns", roleArn: sns.RoleArn ?? "", topicArn: sns.SnsTopicArn ?? "", format: (sns.SnsFormat ?? "JSON") as SnsFormat }
                : fn
                    ? { type: "lambda", roleArn: fn.RoleArn ?? "", functionArn: fn.LambdaArn ?? "" }
                    : prior.action;
            const f = alert.AlertFilters;
            const filters: AlertFilters | undefined = f && (f.MetricList?.length || f.DimensionFilterList?.length)
                ? {
                    ...(f.MetricList?.length ? { metrics: f.MetricList } : {}),
                    ...(f.DimensionFilterList?.length
                        ? { dimensions: f.DimensionFilterList.map((d) => ({ name: d.DimensionName ?? "", values: d.DimensionValueList ?? [] })) }
                        : {}),
                }
                : undefined;
            const tagged = (await lm.send(new ListTagsForResourceCommand({ ResourceArn: id }))).Tags;
            return {
                id,
                props: {
                    ...prior,
                    owner: tagged?.[OWNER_TAG] as string,
                    arn: id,
                    name: alert.AlertName ?? prior.name,
                    detectorArn: alert.AnomalyDetectorArn ?? prior.detectorArn,
                    description: alert.AlertDescription ?? prior.description,
                    sensitivityThreshold: alert.AlertSensitivityThreshold ?? prior.sensitivityThreshold,
                    action,
                    filters,
                    tags: userTags(tagged),
                },
            };
        },

        async delete(id, props) {
            await deleteAlert(client(props.region), id);
        },
    };
}

const defaultProvider = alertProvider();

/** A Lookout for Metrics alert. Type token `pulumi-nodejs:dynamic/edge-anomaly-lookout:Alert`. */
export class Alert extends pulumi.dynamic.Resource {
    declare public readonly arn: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly sensitivityThreshold: pulumi.Output<number>;

    constructor(name: string, args: AlertArgs, opts?: pulumi.CustomResourceOptions, providerOptions?: ProviderOptions) {
        const provider = providerOptions ? alertProvider(providerOptions) : defaultProvider;
        super(provider, name, { ...args, arn: undefined }, opts, LOOKOUT_MODULE, "Alert");
    }
}
