// DevOps Guru insight deliveries (fixtures in the shapes AWS documents) → Security Hub findings: one finding per
// insight whatever the event and however often it is delivered; closed → ARCHIVED; out-of-order deliveries
// neither reopen a closed insight nor lower its severity. Every finding is checked against the Security Hub SDK's
// BatchImportFindings schema.
import { strict as assert } from "assert";
import { BatchImportFindingsCommand, GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import {
    fileInsight, insightFinding, insightFindingId, isDevOpsGuruNotification, parseInsightDocument, parseInsightEvent, ParsedInsight,
} from "../handlers/devopsGuruInsight";
import { insightHandlerFactory } from "../components/devopsGuruInsights";
import { FindingSettings } from "../handlers/securityHubFinding";
import { ACCOUNT, REGION } from "./mocks";
import { loadSerialized, serializedText } from "./serialized";
import { commandProblems, inputSchema, validate } from "./standins/sdkModel";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hubModel = require("@aws-sdk/client-securityhub") as Record<string, unknown>;

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

describe("DevOps Guru insights → Security Hub (fileInsight with the Security Hub client stubbed)", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    /** What Security Hub holds: Id → the last imported version (BatchImportFindings upserts by Id + ProductArn). */
    let store: Map<string, AwsSecurityFinding>;
    before(() => {
        hub = mockClient(SecurityHubClient);
    });
    beforeEach(() => {
        hub.reset();
        store = new Map();
        hub.on(GetFindingsCommand).callsFake((input) => ({ Findings: [store.get(input.Filters.Id[0].Value)].filter(Boolean) }));
        hub.on(BatchImportFindingsCommand).callsFake((input) => {
            for (const f of input.Findings) store.set(f.Id, f);
            return { FailedCount: 0, SuccessCount: input.Findings.length, FailedFindings: [] };
        });
    });
    afterEach(() => {
        assert.deepEqual(hub.calls().flatMap((c) => commandProblems(hubModel, c.args[0] as any)), [], "every request fits the Security Hub model");
    });
    after(() => hub.restore());

    it("open → upgraded → redelivered open → closed → redelivered closed: one finding, HIGH, ARCHIVED at the end", async () => {
        const client = new SecurityHubClient({ region: REGION });
        const file = (name: string) => fileInsight(client, parseInsightEvent(fixture(name)), SETTINGS, NOW);
        const outcomes = [await file("eb-open"), await file("eb-severity-upgraded"), await file("eb-open"), await file("eb-closed"), await file("eb-closed")];
        assert.deepEqual(outcomes.map((o) => o.recordState), ["ACTIVE", "ACTIVE", "ACTIVE", "ARCHIVED", "ARCHIVED"]);
        assert.equal(new Set(outcomes.flatMap((o) => o.findingIds)).size, 1, "one finding Id throughout");
        assert.equal(store.size, 1);
        const [f] = [...store.values()];
        assert.deepEqual([f.RecordState, f.Severity!.Label], ["ARCHIVED", "HIGH"]);
        assert.equal(hub.commandCalls(GetFindingsCommand)[0].args[0].input.Filters!.Id![0].Value, insightFindingId({ region: REGION, accountId: ACCOUNT, insightId: INSIGHT }));
    });

    it("a FailedCount from Security Hub fails the filing (the invocation retries, then the DLQ keeps it)", async () => {
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 1, SuccessCount: 0, FailedFindings: [{ Id: "x", ErrorCode: "InvalidInput", ErrorMessage: "bad" }] });
        await assert.rejects(fileInsight(new SecurityHubClient({ region: REGION }), parseInsightEvent(fixture("eb-open")), SETTINGS, NOW), /BatchImportFindings rejected 1 of 1 finding\(s\): x: InvalidInput: bad/);
    });

    it("a filter-validation notice files one MEDIUM health finding", async () => {
        const out = await fileInsight(new SecurityHubClient({ region: REGION }), parseInsightDocument(fixture("sns-filter-failure"), "sns", "m"), SETTINGS, NOW);
        const f = store.get(out.findingIds[0])!;
        assert.equal(f.Title, "DevOps Guru resource filter covers no resources: Devops-Guru-orders-prod");
        assert.equal(f.Severity!.Label, "MEDIUM");
        valid(f);
    });
});

// The insight finding Lambda as deployed (the factory Pulumi serializes, and its source): DevOps Guru EventBridge
// events, as the rule delivers them, and a notification-channel SNS message.
type FindingHandler = (event: unknown) => Promise<{ outcomes: { findingIds: string[]; recordState: string }[] }>;

for (const kind of ["source", "serialized"] as const) describe(`insight finding Lambda [${kind}]`, () => {
    let hub: AwsClientStub<SecurityHubClient>;
    let store: Map<string, AwsSecurityFinding>;
    let handler: FindingHandler;
    const saved = { ...process.env };
    before(async () => {
        hub = mockClient(SecurityHubClient);
        Object.assign(process.env, {
            FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: PRODUCT,
            AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
        });
        handler = kind === "source" ? insightHandlerFactory() : await loadSerialized<FindingHandler>(insightHandlerFactory, { factory: true });
    });
    beforeEach(() => {
        hub.reset();
        store = new Map();
        hub.on(GetFindingsCommand).callsFake((input) => ({ Findings: [store.get(input.Filters.Id?.[0]?.Value)].filter(Boolean) }));
        hub.on(BatchImportFindingsCommand).callsFake((input) => {
            for (const f of input.Findings) store.set(f.Id, f);
            return { FailedCount: 0, SuccessCount: input.Findings.length, FailedFindings: [] };
        });
    });
    after(() => {
        hub.restore();
        process.env = saved;
    });

    it("open, redelivered open, upgrade, closed → one finding, ACTIVE then ARCHIVED; every request fits the model", async () => {
        const info = console.info;
        console.info = () => undefined;
        try {
            const states: string[] = [];
            for (const name of ["eb-open", "eb-open", "eb-severity-upgraded", "eb-closed"]) {
                const r = await handler(fixture(name));
                assert.equal(r.outcomes.length, 1);
                states.push(r.outcomes[0].recordState!);
            }
            assert.deepEqual(states, ["ACTIVE", "ACTIVE", "ACTIVE", "ARCHIVED"]);
            assert.deepEqual([...store.keys()], [`devops-guru/${REGION}/${ACCOUNT}/insight/${INSIGHT}`]);
            const [f] = [...store.values()];
            assert.deepEqual([f.RecordState, f.Severity!.Label, f.ProductArn], ["ARCHIVED", "HIGH", PRODUCT]);
            assert.deepEqual(hub.calls().flatMap((c) => commandProblems(hubModel, c.args[0] as any)), []);
        } finally {
            console.info = info;
        }
    });

    it("a notification-channel SNS message of the same insight updates the same finding", async () => {
        const info = console.info;
        console.info = () => undefined;
        try {
            const r = await handler({ Records: [{ EventSource: "aws:sns", Sns: { MessageId: "m-1", TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`, Message: JSON.stringify(fixture("sns-open")), Timestamp: "2025-11-30T10:06:11.000Z" } }] });
            assert.deepEqual(r.outcomes[0].findingIds, [`devops-guru/${REGION}/${ACCOUNT}/insight/${INSIGHT}`]);
        } finally {
            console.info = info;
        }
    });

    it("serializes small (its own function: the shared finding Lambda's budget is spent) with the SDK from the runtime", async () => {
        if (kind === "source") return;
        const text = await serializedText(insightHandlerFactory, { factory: true });
        assert.match(text, /require\("@aws-sdk\/client-securityhub(\/[^"]*)?"\)/);
        assert.ok(!text.includes("@pulumi/"));
        assert.ok(text.length < 64 * 1024, `${text.length} bytes`);
    });

    it("a malformed DevOps Guru event fails the invocation with the field named (retried, then the DLQ)", async () => {
        const bad = fixture("eb-open");
        delete bad.detail.insightId;
        const error = console.error;
        console.error = () => undefined;
        try {
            await assert.rejects(handler(bad), (e: Error) => e.name === "AlertParseError" && /^DevOps Guru insight: insightId must be a non-empty string \(got undefined\)$/.test(e.message));
            await assert.rejects(handler({ hello: 1 }), /is neither a DevOps Guru EventBridge event \(source aws.devops-guru\) nor an SNS event with DevOps Guru notifications/);
        } finally {
            console.error = error;
        }
    });
});
