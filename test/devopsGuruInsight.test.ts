// DevOps Guru insight deliveries (fixtures in the shapes AWS documents) → Security Hub findings: one finding per
// insight whatever the event and however often it is delivered; closed → ARCHIVED; out-of-order deliveries
// neither reopen a closed insight nor lower its severity. Every finding is checked against the Security Hub SDK's
// BatchImportFindings schema.
import { strict as assert } from "assert";
import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import {
    insightFinding, insightFindingId, isDevOpsGuruNotification, parseInsightDocument, parseInsightEvent, ParsedInsight,
} from "../handlers/devopsGuruInsight";
import { findingHandlerFactory } from "../components/anomalyAlerts";
import { FindingSettings } from "../handlers/securityHubFinding";
import { ACCOUNT, REGION } from "./mocks";
import { capturingLogs } from "./capture";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { commandProblems, inputSchema, validate } from "./standins/sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hubModel = require("@aws-sdk/client-securityhub") as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snsModel = require("@aws-sdk/client-sns") as Record<string, unknown>;

const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
export const SETTINGS: FindingSettings = { accountId: ACCOUNT, region: REGION, partition: "aws", productArn: PRODUCT };
const fixture = (name: string) => JSON.parse(JSON.stringify(require(`./fixtures/devopsguru/${name}.json`)));
const NOW = new Date("2025-11-30T12:00:00Z");
const INSIGHT = "AIYH6JxdbgkcG0xJmypiL4MAAAAAAAAAL0SLEjkxiNProXWcsTJbLU07EZ7XXXX";

function asInsight(p: ReturnType<typeof parseInsightEvent>): ParsedInsight {
    assert.equal(p.kind, "devops-guru");
    return p as ParsedInsight;
}

/** The finding as BatchImportFindings would carry it, checked against the SDK's schema. */
function valid(f: AwsSecurityFinding): AwsSecurityFinding {
    assert.deepEqual(validate(inputSchema(hubModel, "BatchImportFindings"), { Findings: [f] }, "input"), []);
    return f;
}

describe("DevOps Guru insights → findings (mapping)", () => {
    it("a new insight (EventBridge) becomes one ACTIVE finding with a deterministic Id, the RDS instance and the insight as resources", () => {
        const p = asInsight(parseInsightEvent(fixture("eb-open")));
        assert.equal(p.messageType, "NEW_INSIGHT");
        assert.equal(p.startTime.toISOString(), "2025-11-30T10:02:00.000Z", "epoch milliseconds as a string (EventBridge)");
        assert.deepEqual(p.anomalies[0].metrics, ["AWS/RDS DBLoad {DBInstanceIdentifier=orders-db}"]);
        const f = valid(insightFinding(p, SETTINGS, NOW));
        assert.equal(f.Id, `devops-guru/${REGION}/${ACCOUNT}/insight/${INSIGHT}`);
        assert.equal(f.Id, insightFindingId(p));
        assert.equal(f.RecordState, "ACTIVE");
        assert.deepEqual(f.Severity, { Label: "MEDIUM", Normalized: 50, Original: "medium" });
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/DevOps Guru Reactive Insight"]);
        assert.equal(f.GeneratorId, `devops-guru/${REGION}/${ACCOUNT}/reactive-insights`);
        assert.equal(f.CreatedAt, "2025-11-30T10:02:00.000Z");
        assert.equal(f.Title, "DevOps Guru reactive insight: RDS DB instance orders-db DBLoad Anomalous In Stack orders-stack");
        assert.deepEqual(f.Resources!.map((r) => [r.Type, r.Id]), [
            ["AwsRdsDbInstance", "arn:aws:rds:us-east-1:123456789012:db:orders-db"],
            ["Other", fixture("eb-open").detail.insightUrl],
        ]);
        assert.equal(f.SourceUrl, fixture("eb-open").detail.insightUrl);
        assert.equal(f.ProductFields!["edgeAnomaly/insightStatus"], "ONGOING");
        assert.match(f.Description!, /started 2025-11-30T10:02:00.000Z, ongoing\. Anomalies: AWS\/RDS DBLoad \{DBInstanceIdentifier=orders-db\}\./);
    });

    it("a redelivered event files the same finding (same Id, same content; only UpdatedAt is the filing time)", () => {
        const a = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW);
        const b = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, new Date(NOW.getTime() + 60_000));
        assert.equal(a.Id, b.Id);
        assert.deepEqual({ ...a, UpdatedAt: undefined }, { ...b, UpdatedAt: undefined });
    });

    it("the SNS notification of the same insight (documented notification shape) maps to the same finding Id", () => {
        const body = fixture("sns-open");
        assert.ok(isDevOpsGuruNotification(body));
        const p = asInsight(parseInsightDocument(body, "sns", "sns-message-1"));
        assert.deepEqual(p.anomalies[0].metrics, ["AWS/RDS DBLoad {DBInstanceIdentifier=orders-db}"], "dimensions as a JSON string (SNS)");
        const fromSns = valid(insightFinding(p, SETTINGS, NOW));
        const fromEvent = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW);
        assert.equal(fromSns.Id, fromEvent.Id);
        assert.equal(fromSns.Severity!.Label, fromEvent.Severity!.Label);
    });

    it("a severity upgrade updates the same finding to HIGH", () => {
        const open = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW);
        const up = valid(insightFinding(asInsight(parseInsightEvent(fixture("eb-severity-upgraded"))), SETTINGS, NOW, open));
        assert.equal(up.Id, open.Id);
        assert.deepEqual(up.Severity, { Label: "HIGH", Normalized: 70, Original: "high" });
        assert.deepEqual(up.FindingProviderFields!.Severity, { Label: "HIGH", Original: "high" });
        assert.equal(up.RecordState, "ACTIVE");
        assert.equal(up.CreatedAt, open.CreatedAt);
    });

    it("a closed insight archives its finding, saying when and why", () => {
        const open = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW);
        const closed = valid(insightFinding(asInsight(parseInsightEvent(fixture("eb-closed"))), SETTINGS, NOW, open));
        assert.equal(closed.Id, open.Id);
        assert.equal(closed.RecordState, "ARCHIVED");
        assert.equal(closed.ProductFields!["edgeAnomaly/insightStatus"], "CLOSED");
        assert.equal(closed.ProductFields!["edgeAnomaly/resolution"], "DevOps Guru closed the insight at 2025-11-30T11:40:00.000Z");
        assert.equal(closed.LastObservedAt, "2025-11-30T11:40:00.000Z");
        assert.deepEqual(closed.Resources!.map((r) => r.Type), ["AwsRdsDbInstance", "Other"], "associatedResourceArn (closed example's spelling) and anomalyResources name the same instance once each");
        assert.match(closed.Description!, /closed at 2025-11-30T11:40:00.000Z\. Anomalies: DB load above the normal range on orders-db\. Stacks: orders-stack\./);
    });

    it("out of order: an open or upgrade delivered after the close keeps the finding ARCHIVED; a late lower severity never lowers it", () => {
        const closed = insightFinding(asInsight(parseInsightEvent(fixture("eb-closed"))), SETTINGS, NOW);
        const lateOpen = valid(insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW, closed));
        assert.equal(lateOpen.RecordState, "ARCHIVED");
        assert.equal(lateOpen.ProductFields!["edgeAnomaly/insightStatus"], "CLOSED");
        assert.equal(lateOpen.Severity!.Label, "HIGH", "the closed finding was HIGH; the late open says medium");
        const up = insightFinding(asInsight(parseInsightEvent(fixture("eb-severity-upgraded"))), SETTINGS, NOW);
        const lateMedium = insightFinding(asInsight(parseInsightEvent(fixture("eb-open"))), SETTINGS, NOW, up);
        assert.deepEqual([lateMedium.RecordState, lateMedium.Severity!.Label], ["ACTIVE", "HIGH"]);
    });

    it("a resource filter that matches nothing becomes a pipeline-health finding", () => {
        const p = parseInsightDocument(fixture("sns-filter-failure"), "sns", "m");
        assert.equal(p.kind, "devops-guru-filter");
    });

    it("a malformed delivery is refused naming the field; another account's insight is refused", () => {
        const noId = fixture("eb-open");
        delete noId.detail.insightId;
        assert.throws(() => parseInsightEvent(noId), /DevOps Guru insight: insightId must be a non-empty string \(got undefined\)/);
        const badSeverity = fixture("eb-open");
        badSeverity.detail.insightSeverity = "urgent";
        assert.throws(() => parseInsightEvent(badSeverity), /insightSeverity must be high, medium or low \(got "urgent"\)/);
        const badTime = fixture("eb-open");
        badTime.detail.startTime = "yesterday";
        assert.throws(() => parseInsightEvent(badTime), /startTime must be epoch milliseconds or an ISO-8601 time/);
        const other = fixture("eb-open");
        other.detail.accountId = "210987654321";
        assert.throws(() => insightFinding(asInsight(parseInsightEvent(other)), SETTINGS, NOW), /is for account 210987654321; this function files findings for 123456789012/);
    });
});

// The shared finding Lambda as deployed (components/anomalyAlerts.ts findingHandlerFactory: the source, and the
// closure Pulumi serializes), with DevOps Guru EventBridge events as the rule delivers them. Security Hub keeps the
// last imported version per Id; SNS takes the people notices; every request is checked against the SDK's model.
type FindingHandler = (event: unknown) => Promise<{ outcomes: { action: string; findingIds: string[]; recordState?: string; notified?: string[] }[] }>;
const PEOPLE_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-anomaly-detection-dev-alerts-people`;
const DASHBOARD_URL = `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/edge-anomaly-detection-dev-detection`;
const FINDING_ID = `devops-guru/${REGION}/${ACCOUNT}/insight/${INSIGHT}`;


describe("DevOps Guru insights through the shared finding Lambda", () => {
const savedEnv = { ...process.env };
// Before the artifacts load: the factory reads its settings at cold start.
before(() => {
    Object.assign(process.env, {
        FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: PRODUCT,
        PEOPLE_TOPIC_ARN: PEOPLE_TOPIC, DASHBOARD_URL, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
    });
});
after(() => {
    process.env = savedEnv;
});
forBothArtifacts("the finding Lambda files DevOps Guru insights", artifactsOf<FindingHandler>(findingHandlerFactory, { factory: true }), (handler, kind) => {
    let hub: AwsClientStub<SecurityHubClient>;
    let sns: AwsClientStub<SNSClient>;
    let cw: AwsClientStub<CloudWatchClient>;
    let store: Map<string, AwsSecurityFinding>;
    before(() => {
        hub = mockClient(SecurityHubClient);
        sns = mockClient(SNSClient);
        cw = mockClient(CloudWatchClient);
    });
    beforeEach(() => {
        store = new Map();
        hub.on(GetFindingsCommand).callsFake((input) => ({ Findings: [store.get(input.Filters.Id?.[0]?.Value)].filter(Boolean) }));
        hub.on(BatchImportFindingsCommand).callsFake((input) => {
            for (const f of input.Findings) store.set(f.Id, f);
            return { FailedCount: 0, SuccessCount: input.Findings.length, FailedFindings: [] };
        });
        let n = 0;
        sns.on(PublishCommand).callsFake(() => ({ MessageId: `notice-${++n}` }));
    });
    afterEach(() => {
        assert.deepEqual(hub.calls().flatMap((c) => commandProblems(hubModel, c.args[0] as any)), [], "every Security Hub request fits the SDK model");
        assert.deepEqual(sns.calls().flatMap((c) => commandProblems(snsModel, c.args[0] as any)), [], "every SNS request fits the SDK model");
        assert.equal(cw.calls().length, 0, "an insight needs no alarm state");
        hub.reset();
        sns.reset();
        cw.reset();
    });
    after(() => {
        hub.restore();
        sns.restore();
        cw.restore();
    });

    it(`[${kind}] open, redelivered open, upgraded, redelivered upgrade, closed, redelivered close → one finding (ACTIVE, HIGH, then ARCHIVED); people hear twice: new and upgraded`, async () => {
        const states: (string | undefined)[] = [];
        const notified: (string[] | undefined)[] = [];
        for (const name of ["eb-open", "eb-open", "eb-severity-upgraded", "eb-severity-upgraded", "eb-closed", "eb-closed"]) {
            const { result, error, lines } = await capturingLogs(() => handler()(fixture(name)));
            assert.equal(error, undefined, String(error));
            assert.equal(result!.outcomes.length, 1);
            assert.deepEqual([result!.outcomes[0].action, result!.outcomes[0].findingIds], ["imported", [FINDING_ID]]);
            states.push(result!.outcomes[0].recordState);
            notified.push(result!.outcomes[0].notified);
            assert.equal(lines.filter((l) => /^imported DevOps Guru insight finding/.test(l.message)).length, 1, "one log line per filed insight");
        }
        assert.deepEqual(states, ["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ARCHIVED", "ARCHIVED"]);
        assert.deepEqual(notified, [["notice-1"], undefined, ["notice-2"], undefined, undefined, undefined], "no notice on redelivery or close");
        assert.deepEqual([...store.keys()], [FINDING_ID]);
        const f = store.get(FINDING_ID)!;
        assert.deepEqual([f.RecordState, f.Severity!.Label, f.ProductArn, f.ProductFields!["edgeAnomaly/insightStatus"], f.ProductFields!["edgeAnomaly/notifiedSeverity"]],
            ["ARCHIVED", "HIGH", PRODUCT, "CLOSED", "HIGH"]);
        const notices = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
        assert.deepEqual(notices.map((n) => n.TopicArn), [PEOPLE_TOPIC, PEOPLE_TOPIC]);
        for (const n of notices) assert.ok(n.Subject!.length < 100 && /^[\x20-\x7E]+$/.test(n.Subject!), `SNS Subject: ASCII, < 100 characters: ${n.Subject}`);
        assert.match(notices[0].Message!, /^MEDIUM: DevOps Guru reactive insight: RDS DB instance orders-db DBLoad Anomalous In Stack orders-stack\nSeverity: medium \(new insight\)\nWhen: started 2025-11-30T10:02:00.000Z\nResources: arn:aws:rds:us-east-1:123456789012:db:orders-db\n/);
        assert.match(notices[1].Message!, /^HIGH: .*\nSeverity: high \(was medium\)\n/);
        assert.ok(notices[0].Message!.includes(`\nDashboard: ${DASHBOARD_URL}`));
        assert.ok(notices[0].Message!.includes(`\nInsight: ${fixture("eb-open").detail.insightUrl}`));
    });

    it(`[${kind}] a late open after the close keeps the finding ARCHIVED and tells nobody`, async () => {
        await capturingLogs(() => handler()(fixture("eb-closed")));
        const { result, error } = await capturingLogs(() => handler()(fixture("eb-open")));
        assert.equal(error, undefined);
        assert.equal(result!.outcomes[0].recordState, "ARCHIVED");
        assert.equal(store.get(FINDING_ID)!.RecordState, "ARCHIVED");
        assert.equal(sns.commandCalls(PublishCommand).length, 0);
    });

    it(`[${kind}] a failed notice fails the invocation before anything is imported; the retry notifies and imports`, async () => {
        sns.on(PublishCommand).rejectsOnce(Object.assign(new Error("KMS key disabled"), { name: "KMSDisabledException" })).resolves({ MessageId: "notice-retry" });
        const failed = await capturingLogs(() => handler()(fixture("eb-open")));
        assert.match(String(failed.error?.message), /KMS key disabled/);
        assert.ok(failed.lines.some((l) => l.level === "error" && l.message === "DevOps Guru insight not filed" && /KMS key disabled/.test(l.error)), "the reason is in the log");
        assert.equal(store.size, 0, "nothing half-filed");
        const retried = await capturingLogs(() => handler()(fixture("eb-open")));
        assert.equal(retried.error, undefined);
        assert.deepEqual(retried.result!.outcomes[0].notified, ["notice-retry"]);
        assert.equal(store.get(FINDING_ID)!.RecordState, "ACTIVE");
    });

    it(`[${kind}] Security Hub's FailedCount and a malformed event fail the invocation with the reason (Lambda retries, then the DLQ)`, async () => {
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 1, SuccessCount: 0, FailedFindings: [{ Id: FINDING_ID, ErrorCode: "InvalidInput", ErrorMessage: "bad" }] });
        const rejected = await capturingLogs(() => handler()(fixture("eb-closed")));
        assert.match(String(rejected.error?.message), /BatchImportFindings rejected 1 of 1 finding\(s\): .*InvalidInput: bad/);
        const bad = fixture("eb-open");
        delete bad.detail.insightId;
        const malformed = await capturingLogs(() => handler()(bad));
        assert.equal(malformed.error?.name, "AlertParseError");
        assert.equal(malformed.error?.message, "DevOps Guru insight: insightId must be a non-empty string (got undefined)");
    });

    it(`[${kind}] an event of another account is refused`, async () => {
        const other = fixture("eb-open");
        other.detail.accountId = "210987654321";
        other.account = "210987654321";
        const { error } = await capturingLogs(() => handler()(other));
        assert.match(String(error?.message), /is for account 210987654321; this function files findings for 123456789012/);
        assert.equal(store.size, 0);
    });

});
});
