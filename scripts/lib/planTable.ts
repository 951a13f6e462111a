// The offline plan's resource table: one row per resource the program would create, with the settings a reviewer
// checks for that type. Pure functions over recorded inputs (no Pulumi), so they are tested directly.

export interface PlanRow {
    type: string;
    name: string;
    settings: string;
}

type Props = Record<string, unknown>;

/** `aws:lambda/function:Function` → `aws:lambda:Function` (how the Pulumi CLI shows types). */
export function displayType(type: string): string {
    const m = /^([^:]+):([^/:]+)\/[^:]+:(.+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}:${m[3]}` : type;
}

/** The readable tail of an ARN (`arn:aws:sns:…:alerts` → `alerts`); other strings unchanged. */
export function shortArn(v: unknown): string {
    if (typeof v !== "string") return v === undefined ? "-" : JSON.stringify(v);
    if (!v.startsWith("arn:")) return v;
    const parts = v.split(":");
    const service = parts[2];
    const resource = parts.slice(5).join(":").replace(/:\*$/, "");
    if (service === "wafv2") return resource.split("/")[2] ?? resource; // scope/webacl/NAME/ID
    if (resource.includes("/")) return resource.split("/").filter(Boolean).pop() ?? resource;
    const i = resource.indexOf(":"); // type:name (log-group:…, function:…, alarm:…)
    return i >= 0 ? resource.slice(i + 1) : resource;
}

function parseJson(v: unknown): unknown {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch {
        return undefined;
    }
}

function list<T>(v: T | T[] | undefined): T[] {
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Actions of every Allow statement of a policy document, in order, without repeats. */
export function allowedActions(doc: unknown): string[] {
    const d = parseJson(doc) as { Statement?: unknown } | undefined;
    const out: string[] = [];
    for (const st of list(d?.Statement as Props | Props[] | undefined)) {
        if (st.Effect !== "Allow") continue;
        for (const a of list(st.Action as string | string[] | undefined)) if (!out.includes(a)) out.push(a);
    }
    return out;
}

function trustSummary(doc: unknown): string {
    const d = parseJson(doc) as { Statement?: unknown } | undefined;
    const parts: string[] = [];
    for (const st of list(d?.Statement as Props | Props[] | undefined)) {
        const principal = st.Principal as Props | string | undefined;
        const who = typeof principal === "string" ? principal : list((principal?.Service ?? principal?.AWS ?? principal?.Federated) as string | string[]).join(", ");
        const keys = Object.values((st.Condition ?? {}) as Record<string, Props>).flatMap((block) => Object.keys(block));
        parts.push(`${who}${keys.length ? ` if ${keys.join(" & ")}` : " (no condition)"}`);
    }
    return `trusts ${parts.join("; ") || "nobody"}`;
}

function wafRule(r: Props): string {
    const s = (r.statement ?? {}) as Props;
    const m = s.managedRuleGroupStatement as Props | undefined;
    const rate = s.rateBasedStatement as Props | undefined;
    const action = r.action ? Object.keys(r.action as Props)[0] : r.overrideAction && Object.keys(r.overrideAction as Props)[0] === "count" ? "count" : undefined;
    if (m) return `${r.name}(managed ${m.vendorName}/${m.name}${action === "count" ? ", count" : ""})`;
    if (rate) return `${r.name}(rate ${rate.limit}/${rate.evaluationWindowSec ?? 300}s per ${rate.aggregateKeyType}, ${action})`;
    return `${r.name}(${action ?? "custom"})`;
}

function alarmSummary(p: Props): string {
    const queries = list(p.metricQueries as Props[] | undefined);
    const band = queries.find((q) => typeof q.expression === "string" && /ANOMALY_DETECTION_BAND/.test(q.expression as string));
    let what: string;
    if (band) {
        const metrics = queries.filter((q) => q.metric).map((q) => `${(q.metric as Props).namespace}/${(q.metric as Props).metricName}`);
        what = `anomaly band ${band.expression} on ${[...new Set(metrics)].join(", ")}`;
    } else if (p.metricName) {
        what = `${p.namespace}/${p.metricName} ${p.comparisonOperator} ${p.threshold}`;
    } else {
        what = `${queries.length} metric queries`;
    }
    const actions = list(p.alarmActions as string[] | undefined).map(shortArn);
    return `${p.name ?? ""} ${what}; period ${p.period ?? (queries[0]?.metric as Props | undefined)?.period ?? "?"} s, ${p.datapointsToAlarm ?? p.evaluationPeriods}/${p.evaluationPeriods}; actions → ${actions.join(", ") || "none"}`.trim();
}

const SUMMARIES: Record<string, (p: Props) => string> = {
    "aws:apigateway/restApi:RestApi": (p) => `endpoint ${(p.endpointConfiguration as Props | undefined)?.types ?? "EDGE"}`,
    "aws:apigateway/stage:Stage": (p) => `stage ${p.stageName}; access logs ${p.accessLogSettings ? `→ ${shortArn((p.accessLogSettings as Props).destinationArn)}` : "off"}`,
    "aws:apigateway/methodSettings:MethodSettings": (p) => {
        const s = (p.settings ?? {}) as Props;
        return `${p.methodPath}: metrics ${s.metricsEnabled ? "on" : "off"}, throttle ${s.throttlingRateLimit ?? "-"} rps / burst ${s.throttlingBurstLimit ?? "-"}`;
    },
    "aws:apigateway/account:Account": (p) => `CloudWatch role ${shortArn(p.cloudwatchRoleArn)}`,
    "aws:wafv2/webAcl:WebAcl": (p) => `${p.scope}, default ${Object.keys((p.defaultAction ?? {}) as Props)[0]}; rules ${list(p.rules as Props[] | undefined).map(wafRule).join(", ")}`,
    "aws:wafv2/webAclAssociation:WebAclAssociation": (p) => `${shortArn(p.resourceArn)} ← web ACL ${shortArn(p.webAclArn)}`,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (p) =>
        `→ ${list(p.logDestinationConfigs as string[] | undefined).map(shortArn).join(", ")}; redacted ${list(p.redactedFields as Props[] | undefined).map((f) => ((f.singleHeader ?? {}) as Props).name ?? Object.keys(f)[0]).join(", ") || "nothing"}`,
    "aws:cloudwatch/logGroup:LogGroup": (p) => `${p.name ?? `${p.namePrefix}*`}; retention ${p.retentionInDays ?? "never expires"}${p.retentionInDays ? " d" : ""}${p.kmsKeyId ? "; KMS" : ""}`,
    "aws:cloudwatch/metricAlarm:MetricAlarm": alarmSummary,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": (p) => `${p.alarmName} = ${p.alarmRule}; actions → ${list(p.alarmActions as string[] | undefined).map(shortArn).join(", ") || "none"}`,
    "aws:cloudwatch/eventRule:EventRule": (p) => `${p.scheduleExpression ?? "event pattern"}`,
    "aws:cloudwatch/eventTarget:EventTarget": (p) => `→ ${shortArn(p.arn)}${p.deadLetterConfig ? "; DLQ" : ""}`,
    "aws:cloudwatch/dashboard:Dashboard": (p) => `${p.dashboardName ?? ""} (${(parseJson(p.dashboardBody) as { widgets?: unknown[] } | undefined)?.widgets?.length ?? "?"} widgets)`.trim(),
    "aws:iam/role:Role": (p) => trustSummary(p.assumeRolePolicy),
    "aws:iam/rolePolicy:RolePolicy": (p) => `allows ${allowedActions(p.policy).join(", ") || "nothing"}`,
    "aws:iam/policy:Policy": (p) => `allows ${allowedActions(p.policy).join(", ") || "nothing"}`,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (p) => `attaches ${shortArn(p.policyArn)}`,
    "aws:lambda/function:Function": (p) => [
        `runtime ${p.runtime ?? "unset"}`, `timeout ${p.timeout ?? 3} s`, `${p.memorySize ?? 128} MB`,
        p.reservedConcurrentExecutions !== undefined ? `reserved ${p.reservedConcurrentExecutions}` : undefined,
        `logs → ${shortArn((p.loggingConfig as Props | undefined)?.logGroup) ?? "default"}`,
        p.deadLetterConfig ? `DLQ ${shortArn((p.deadLetterConfig as Props).targetArn)}` : undefined,
    ].filter(Boolean).join(", "),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (p) => {
        const onFailure = ((p.destinationConfig as Props | undefined)?.onFailure as Props | undefined)?.destination;
        return `retries ${p.maximumRetryAttempts ?? 2}, max age ${p.maximumEventAgeInSeconds ?? 21600} s; on failure → ${onFailure ? shortArn(onFailure) : "dropped"}`;
    },
    "aws:lambda/permission:Permission": (p) => `${p.principal} may ${p.action}${p.sourceArn ? ` from ${shortArn(p.sourceArn)}` : ""}`,
    "aws:sns/topic:Topic": (p) => `${p.name ?? ""}; ${p.kmsMasterKeyId ? `KMS ${shortArn(p.kmsMasterKeyId)}` : "unencrypted"}`.trim(),
    "aws:sns/topicPolicy:TopicPolicy": (p) => `allows ${allowedActions(p.policy).join(", ")}`,
    "aws:sns/topicSubscription:TopicSubscription": (p) => `${p.protocol} → ${typeof p.endpoint === "string" && /^(email|email-json|sms|https?)$/.test(String(p.protocol)) ? p.endpoint : shortArn(p.endpoint)}${p.redrivePolicy ? "; redrive to DLQ" : ""}`,
    "aws:sqs/queue:Queue": (p) => `${p.name ?? ""}; ${p.kmsMasterKeyId ? `KMS ${shortArn(p.kmsMasterKeyId)}` : p.sqsManagedSseEnabled ? "SSE-SQS" : "no explicit encryption"}; retention ${p.messageRetentionSeconds ?? 345600} s`,
    "aws:sqs/queuePolicy:QueuePolicy": (p) => `allows ${allowedActions(p.policy).join(", ")}`,
    "aws:kms/key:Key": (p) => `rotation ${p.enableKeyRotation ? "on" : "off"}; deletion window ${p.deletionWindowInDays ?? 30} d`,
    "aws:kms/alias:Alias": (p) => `${p.name}`,
    "aws:kinesis/stream:Stream": (p) => `${(p.streamModeDetails as Props | undefined)?.streamMode ?? (p.shardCount ? "PROVISIONED" : "?")}${p.shardCount ? ` ${p.shardCount} shards` : ""}; ${p.encryptionType === "KMS" ? `KMS ${shortArn(p.kmsKeyId)}` : "unencrypted"}; retention ${p.retentionPeriod ?? 24} h`,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (p) => {
        const s3 = (p.extendedS3Configuration ?? {}) as Props;
        const src = p.kinesisSourceConfiguration ? `from ${shortArn((p.kinesisSourceConfiguration as Props).kinesisStreamArn)}` : "Direct PUT";
        return `${src} → ${p.destination} ${shortArn(s3.bucketArn)}; buffer ${s3.bufferingSize ?? "-"} MiB / ${s3.bufferingInterval ?? "-"} s; ${s3.compressionFormat ?? "UNCOMPRESSED"}${(s3.dynamicPartitioningConfiguration as Props | undefined)?.enabled ? "; dynamic partitioning" : ""}`;
    },
    "aws:s3/bucket:Bucket": (p) => `${p.bucket ?? `${p.bucketPrefix ?? ""}*`}${p.forceDestroy ? "; force destroy" : ""}`,
    "aws:s3/bucketV2:BucketV2": (p) => `${p.bucket ?? `${p.bucketPrefix ?? ""}*`}`,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (p) =>
        `SSE ${list(p.rules as Props[] | undefined).map((r) => ((r.applyServerSideEncryptionByDefault ?? {}) as Props).sseAlgorithm).join(", ")}`,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (p) =>
        ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((f) => p[f] === true).length === 4 ? "all public access blocked" : "public access partly open",
    "aws:s3/bucketPolicy:BucketPolicy": (p) => {
        const d = parseJson(p.policy) as { Statement?: unknown } | undefined;
        return `statements ${list(d?.Statement as Props | Props[] | undefined).map((s) => s.Sid ?? s.Effect).join(", ")}`;
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (p) =>
        list(p.rules as Props[] | undefined).map((r) => {
            const days = ((r.expiration ?? {}) as Props).days;
            const abort = ((r.abortIncompleteMultipartUpload ?? {}) as Props).daysAfterInitiation;
            return `${r.id}: ${days !== undefined ? `expire after ${days} d` : abort !== undefined ? `abort uploads after ${abort} d` : "other"}`;
        }).join(", "),
    "aws:securityhub/account:Account": () => "enables Security Hub in the account",
};

function lookoutSummary(kind: string, p: Props): string {
    if (kind === "AnomalyDetector") {
        const ms = (p.metricSet ?? {}) as Props;
        const metrics = list(ms.metrics as Props[] | undefined).map((m) => `${m.name}(${m.aggregation})`).join(", ");
        return `${p.name}; ${p.frequency}; ${((ms.source ?? {}) as Props).type} source; metrics ${metrics}; dimensions ${list(ms.dimensions as string[] | undefined).join(", ") || "none"}`;
    }
    if (kind === "Alert") {
        const a = (p.action ?? {}) as Props;
        return `${p.name}; sensitivity ${p.sensitivityThreshold}; ${a.type} → ${shortArn(a.topicArn ?? a.functionArn)}`;
    }
    if (kind === "DetectorActivation") return `${p.mode ?? "live"} for ${shortArn(p.detectorArn)}; wait up to ${p.timeoutSeconds} s`;
    return "";
}

/** Keys never worth showing in the generic summary. */
const NOISE = new Set(["tags", "tagsAll", "__provider", "code", "providerVersion", "region", "description", "policy", "assumeRolePolicy"]);

function genericSummary(p: Props): string {
    return Object.entries(p)
        .filter(([k, v]) => !NOISE.has(k) && (typeof v === "string" || typeof v === "number" || typeof v === "boolean"))
        .slice(0, 4)
        .map(([k, v]) => `${k}=${typeof v === "string" ? shortArn(v) : v}`)
        .join(", ");
}

/** The settings column for one resource. */
export function summarize(type: string, props: Props): string {
    const lookout = /^pulumi-nodejs:dynamic(?:\/[^:]*)?:(\w+)$/.exec(type);
    try {
        if (lookout) return lookoutSummary(lookout[1], props);
        const f = SUMMARIES[type];
        return f ? f(props) : genericSummary(props);
    } catch (e) {
        return `(could not summarize: ${(e as Error).message})`;
    }
}

/** Lays rows out in aligned columns; long settings wrap under their column. */
export function formatTable(rows: PlanRow[], width = 160): string {
    const typeW = Math.max(4, ...rows.map((r) => r.type.length));
    const nameW = Math.max(4, ...rows.map((r) => r.name.length));
    const settingsW = Math.max(40, width - typeW - nameW - 4);
    const lines = [`${"TYPE".padEnd(typeW)}  ${"NAME".padEnd(nameW)}  SETTINGS`, `${"-".repeat(typeW)}  ${"-".repeat(nameW)}  ${"-".repeat(8)}`];
    for (const r of rows) {
        const chunks = wrap(r.settings, settingsW);
        lines.push(`${r.type.padEnd(typeW)}  ${r.name.padEnd(nameW)}  ${chunks[0] ?? ""}`.trimEnd());
        for (const c of chunks.slice(1)) lines.push(`${" ".repeat(typeW + nameW + 4)}${c}`);
    }
    return lines.join("\n");
}

/** Words of `text` in lines of at most `width` characters; a word longer than a line is cut. */
export function wrap(text: string, width: number): string[] {
    if (text.length <= width) return [text];
    const out: string[] = [];
    let line = "";
    for (let word of text.split(" ")) {
        while (word.length > width) {
            if (line) { out.push(line); line = ""; }
            out.push(word.slice(0, width));
            word = word.slice(width);
        }
        if (line && line.length + 1 + word.length > width) {
            out.push(line);
            line = word;
        } else {
            line = line ? `${line} ${word}` : word;
        }
    }
    if (line) out.push(line);
    return out;
}

// ---- values AWS assigns at deploy ----------------------------------------------------------------------------

/** What the mocks returned for one resource: the outputs the program did not set itself (ids, ARNs, names). */
export interface Generated {
    name: string;
    id: string;
    inputs: Record<string, unknown>;
    state: Record<string, unknown>;
}

/**
 * Replaces, in every string of `value`, the outputs the mocks made up (ids, ARNs, generated names: values AWS
 * or Pulumi assign at deploy) with `<resource.output>`, so the plan shows no placeholder ids.
 */
export function deployTimeValues(resources: readonly Generated[], offline: Readonly<Record<string, string>> = {}): (value: unknown) => unknown {
    // `offline`: values the mocks made up that AWS would know at preview (the account id): shown by what they stand for.
    const tokens = new Map<string, string>(Object.entries(offline));
    for (const r of resources) {
        const put = (v: unknown, field: string) => {
            if (typeof v === "string" && v.length >= 6 && !tokens.has(v)) tokens.set(v, `<${r.name}.${field}>`);
        };
        for (const [k, v] of Object.entries(r.state)) if (r.inputs[k] === undefined || r.inputs[k] !== v) put(v, k);
        put(r.id, "id");
    }
    if (tokens.size === 0) return (v) => v;
    const escaped = [...tokens.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const re = new RegExp(escaped.join("|"), "g");
    const walk = (v: unknown): unknown => {
        if (typeof v === "string") return v.replace(re, (m) => tokens.get(m) ?? m);
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
        return v;
    };
    return walk;
}

// ---- grouped layout ------------------------------------------------------------------------------------------

export interface GroupedRow extends PlanRow {
    component: string;
}

export interface ComponentInfo {
    name: string;
    type: string;
}

/** The component a resource belongs to: the longest component name its own name starts with (`name-…`). */
export function componentOf(name: string, components: readonly ComponentInfo[]): ComponentInfo | undefined {
    let best: ComponentInfo | undefined;
    for (const c of components) {
        if ((name === c.name || name.startsWith(`${c.name}-`)) && (!best || c.name.length > best.name.length)) best = c;
    }
    return best;
}

/**
 * The plan for a reviewer: resources grouped by component, then by type with counts, one resource per row
 * (settings wrapped under their column), every line at most `width` columns.
 */
export function formatGrouped(rows: readonly GroupedRow[], components: readonly ComponentInfo[], width = 120): string {
    const out: string[] = [];
    const byComponent = new Map<string, GroupedRow[]>();
    for (const r of rows) byComponent.set(r.component, [...(byComponent.get(r.component) ?? []), r]);
    const fit = (line: string, indent: string) => (line.length <= width ? [line] : wrap(line.trim(), width - indent.length).map((l) => indent + l));
    for (const [component, members] of byComponent) {
        const info = components.find((c) => c.name === component);
        out.push(...fit(`${component}${info ? ` (${info.type})` : ""}: ${members.length} resource${members.length === 1 ? "" : "s"}`, "  "));
        const byType = new Map<string, GroupedRow[]>();
        for (const r of members) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
        for (const [type, rs] of byType) {
            out.push(...fit(`  ${type} × ${rs.length}`, "    "));
            const nameW = Math.min(40, Math.max(...rs.map((r) => r.name.length)));
            const settingsIndent = 4 + nameW + 2;
            const settingsW = width - settingsIndent;
            for (const r of rs) {
                const chunks = r.settings ? wrap(r.settings, settingsW) : [""];
                if (r.name.length > nameW) {
                    out.push(...fit(`    ${r.name}`, "      "));
                    for (const c of chunks) if (c) out.push(`${" ".repeat(settingsIndent)}${c}`);
                    continue;
                }
                out.push(`    ${r.name.padEnd(nameW)}  ${chunks[0]}`.trimEnd());
                for (const c of chunks.slice(1)) out.push(`${" ".repeat(settingsIndent)}${c}`);
            }
        }
        out.push("");
    }
    return out.join("\n").trimEnd();
}
