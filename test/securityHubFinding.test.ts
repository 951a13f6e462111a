import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { DescribeAlarmsCommand, DescribeAlarmsCommandInput, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { AwsSecurityFinding, BatchImportFindingsCommand, GetFindingsCommand, GetFindingsCommandInput, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import * as events from "../handlers/alertEvents";
import { ALERT_PARSE_ERROR } from "../handlers/alertEvents";
import * as finding from "../handlers/securityHubFinding";
import {
    AlertClients, BAND_SEVERITY_STEPS, CLOUDWATCH_MAX_ATTEMPTS, CloudWatchSender, FindingSettings, Logger, MAX_ARCHIVE_PAGES, MAX_DESCRIPTION_LENGTH, MAX_ID_LENGTH,
    MAX_PRODUCT_FIELDS, MAX_TITLE_LENGTH, productArnFor, SECURITY_HUB_MAX_ATTEMPTS, SecurityHubSender,
} from "../handlers/securityHubFinding";
import { ALERT_RETRY, RetryOptions } from "../handlers/alert/retry";
import { Artifacts, artifactsOf, forBothArtifacts } from "./serialized";

// Every behavioural test below runs twice: against the source and against the serialized copy of the finding
// Lambda's functions (what Pulumi ships; test/serialized.ts). `current` is the artifact of the running describe.
const findingFunctions = () => ({
    envelopesOf: events.envelopesOf, parseAlarmTime: events.parseAlarmTime, parseAlertEvent: events.parseAlertEvent, parseL4mTimestamp: events.parseL4mTimestamp,
    alarmMetric: finding.alarmMetric, anomalyBand: finding.anomalyBand, archivedVersion: finding.archivedVersion, bandSeverity: finding.bandSeverity,
    boundedProductFields: finding.boundedProductFields, cloudWatchClientConfig: finding.cloudWatchClientConfig, findingSettingsFromEnv: finding.findingSettingsFromEnv,
    handleAlertEvent: finding.handleAlertEvent, labelForNormalized: finding.labelForNormalized, parseBandReason: finding.parseBandReason, planAlert: finding.planAlert,
    scoreSeverity: finding.scoreSeverity, securityHubClientConfig: finding.securityHubClientConfig, strongestBreach: finding.strongestBreach,
});
type FindingFunctions = ReturnType<typeof findingFunctions>;
const findingArtifacts: Artifacts<FindingFunctions> = artifactsOf(findingFunctions, { factory: true, name: "finding-functions" });
let current: FindingFunctions | undefined;
const fns = (): FindingFunctions => current ?? (() => { throw new Error("no finding artifact loaded"); })();
function describeBoth(title: string, body: () => void): void {
    forBothArtifacts(title, findingArtifacts, (get) => {
        before(() => { current = get(); });
        after(() => { current = undefined; });
        body();
    });
}
const envelopesOf: FindingFunctions["envelopesOf"] = (...a) => fns().envelopesOf(...a);
const parseAlarmTime: FindingFunctions["parseAlarmTime"] = (...a) => fns().parseAlarmTime(...a);
const parseAlertEvent: FindingFunctions["parseAlertEvent"] = (...a) => fns().parseAlertEvent(...a);
const parseL4mTimestamp: FindingFunctions["parseL4mTimestamp"] = (...a) => fns().parseL4mTimestamp(...a);
const alarmMetric: FindingFunctions["alarmMetric"] = (...a) => fns().alarmMetric(...a);
const anomalyBand: FindingFunctions["anomalyBand"] = (...a) => fns().anomalyBand(...a);
const archivedVersion: FindingFunctions["archivedVersion"] = (...a) => fns().archivedVersion(...a);
const bandSeverity: FindingFunctions["bandSeverity"] = (...a) => fns().bandSeverity(...a);
const boundedProductFields: FindingFunctions["boundedProductFields"] = (...a) => fns().boundedProductFields(...a);
const cloudWatchClientConfig: FindingFunctions["cloudWatchClientConfig"] = (...a) => fns().cloudWatchClientConfig(...a);
const findingSettingsFromEnv: FindingFunctions["findingSettingsFromEnv"] = (...a) => fns().findingSettingsFromEnv(...a);
const handleAlertEvent: FindingFunctions["handleAlertEvent"] = (...a) => fns().handleAlertEvent(...a);
const labelForNormalized: FindingFunctions["labelForNormalized"] = (...a) => fns().labelForNormalized(...a);
const parseBandReason: FindingFunctions["parseBandReason"] = (...a) => fns().parseBandReason(...a);
const planAlert: FindingFunctions["planAlert"] = (...a) => fns().planAlert(...a);
const scoreSeverity: FindingFunctions["scoreSeverity"] = (...a) => fns().scoreSeverity(...a);
const securityHubClientConfig: FindingFunctions["securityHubClientConfig"] = (...a) => fns().securityHubClientConfig(...a);
const strongestBreach: FindingFunctions["strongestBreach"] = (...a) => fns().strongestBreach(...a);

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const settings: FindingSettings = { accountId: ACCOUNT, region: REGION, partition: "aws", productArn: productArnFor("aws", REGION, ACCOUNT) };
const NOW = new Date("2025-03-04T12:00:00.000Z");

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixture = (name: string): any => JSON.parse(JSON.stringify(require(`./fixtures/alerts/${name}.json`)));
/** An SNS fixture with its Message (a JSON string) changed by `edit`. */
function editSns(name: string, edit: (msg: any) => void): any {
    const ev = fixture(name);
    const msg = JSON.parse(ev.Records[0].Sns.Message);
    edit(msg);
    ev.Records[0].Sns.Message = JSON.stringify(msg);
    return ev;
}
function findingFor(event: unknown, s: FindingSettings = settings, fs: Pick<FindingFunctions, "parseAlertEvent" | "planAlert"> = fns()): AwsSecurityFinding {
    const [parsed] = fs.parseAlertEvent(event);
    const plan = fs.planAlert(parsed, s, NOW);
    assert.equal(plan.action, "import");
    if (plan.action !== "import") throw new Error("unreachable");
    assert.equal(plan.findings.length, 1);
    return plan.findings[0];
}

/** What DescribeAlarms says of an alarm now. */
type AlarmNow = Pick<MetricAlarm, "AlarmName" | "AlarmArn" | "StateValue" | "StateTransitionedTimestamp" | "StateUpdatedTimestamp">;

/** A CloudWatch client whose DescribeAlarms answers from `alarms` (by name) or fails with `error`; it records each request. */
function cloudWatchWith(alarms: AlarmNow[] | Error): { sender: CloudWatchSender; requests: DescribeAlarmsCommandInput[] } {
    const requests: DescribeAlarmsCommandInput[] = [];
    const sender = {
        send: async (cmd: unknown) => {
            assert.ok(cmd instanceof DescribeAlarmsCommand, "the function calls nothing but DescribeAlarms on CloudWatch");
            requests.push(cmd.input);
            if (alarms instanceof Error) throw alarms;
            return { MetricAlarms: alarms.filter((a) => cmd.input.AlarmNames?.includes(a.AlarmName!)), CompositeAlarms: [] };
        },
    } as unknown as CloudWatchSender;
    return { sender, requests };
}

/** Every fixture alarm in ALARM since its notification's StateChangeTime: each ALARM fixture is the current episode. */
const FIXTURE_ALARMS_IN_ALARM: AlarmNow[] = ["cw-waf-alarm", "cw-ecommerce-alarm", "cw-dlq-alarm"].map((name) => {
    const [p] = events.parseAlertEvent(fixture(name));
    if (p.kind !== "cloudwatch") throw new Error(name);
    return { AlarmName: p.notification.AlarmName, AlarmArn: p.notification.AlarmArn, StateValue: "ALARM", StateTransitionedTimestamp: p.stateChangeTime, StateUpdatedTimestamp: p.stateChangeTime };
});

function clients(securityHub: SecurityHubSender, cloudWatch: CloudWatchSender = cloudWatchWith(FIXTURE_ALARMS_IN_ALARM).sender): AlertClients {
    return { securityHub, cloudWatch };
}

interface Logged { level: string; message: string; fields?: Record<string, unknown> }
function recorder(): { log: Logger; lines: Logged[] } {
    const lines: Logged[] = [];
    return { lines, log: (level, message, fields) => lines.push({ level, message, fields }) };
}

const WAF_ALARM = "edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked";
const WAF_ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${WAF_ALARM}`;
const ALARM_URL = `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#alarmsV2:alarm/${WAF_ALARM}`;
const ECOMMERCE_DETECTOR = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:edge-anomaly-detection-dev-ecommerce`;
const STREAM_NAME = "edge-anomaly-detection-dev-ecommerce-events";
const STREAM_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${STREAM_NAME}`;
const withStream: FindingSettings = { ...settings, ecommerceStreamArn: STREAM_ARN };
const STREAM_RESOURCE = {
    Type: "AwsKinesisStream", Id: STREAM_ARN, Partition: "aws", Region: REGION,
    Details: { AwsKinesisStream: { Name: STREAM_NAME, Arn: STREAM_ARN } },
};

describeBoth("Security Hub finding: CloudWatch anomaly alarm (WAF, above the band)", () => {
    it("builds exactly this ASFF finding", () => {
        assert.deepEqual(findingFor(fixture("cw-waf-alarm")), {
            SchemaVersion: "2018-10-08",
            Id: `${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`,
            ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
            GeneratorId: WAF_ALARM_ARN,
            AwsAccountId: ACCOUNT,
            Types: ["Unusual Behaviors/Application/WAF Blocked Requests Anomaly"],
            CreatedAt: "2025-03-04T10:07:24.105Z",
            UpdatedAt: "2025-03-04T12:00:00.000Z",
            FirstObservedAt: "2025-03-04T10:06:00.000Z",
            LastObservedAt: "2025-03-04T10:06:00.000Z",
            // 412 blocked against an upper edge of 38.53: 10.69x → CRITICAL.
            Severity: { Label: "CRITICAL", Normalized: 90, Original: "10.69x outside the band" },
            FindingProviderFields: {
                Severity: { Label: "CRITICAL", Original: "10.69x outside the band" },
                Types: ["Unusual Behaviors/Application/WAF Blocked Requests Anomaly"],
            },
            Title: "WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123",
            Description: `CloudWatch alarm ${WAF_ALARM} went from OK to ALARM at 2025-03-04T10:07:24.105Z on `
                + "AWS/WAFV2/BlockedRequests{Region=us-east-1,Rule=AWSManagedRulesCommonRuleSet,WebACL=edge-webacl-abc123}. "
                + "The value was 412, above the band's upper edge 38.53 (10.69x the band edge, datapoint at 2025-03-04T10:06:00.000Z). "
                + "Band: ANOMALY_DETECTION_BAND(filled, 2). WAF rule AWSManagedRulesCommonRuleSet blocked more requests than its anomaly band expects. "
                + "Reason: Thresholds Crossed: 1 out of the last 1 datapoints [412.0 (04/03/25 10:06:00)] was greater than the upper thresholds "
                + "[38.52791304612537] (minimum 1 datapoint for OK -> ALARM transition).",
            Resources: [
                {
                    Type: "Other",
                    Id: "AWS/WAFV2/BlockedRequests{Region=us-east-1,Rule=AWSManagedRulesCommonRuleSet,WebACL=edge-webacl-abc123}",
                    Partition: "aws",
                    Region: REGION,
                    Details: { Other: { namespace: "AWS/WAFV2", metricName: "BlockedRequests", stat: "Sum", Region: "us-east-1", Rule: "AWSManagedRulesCommonRuleSet", WebACL: "edge-webacl-abc123" } },
                },
                { Type: "AwsWafv2WebAcl", Id: "edge-webacl-abc123", Partition: "aws", Region: REGION, Details: { AwsWafv2WebAcl: { Name: "edge-webacl-abc123" } } },
                {
                    Type: "Other", Id: WAF_ALARM_ARN, Partition: "aws", Region: REGION,
                    Details: { Other: { alarmName: WAF_ALARM, comparisonOperator: "GreaterThanUpperThreshold", bandExpression: "ANOMALY_DETECTION_BAND(filled, 2)" } },
                },
            ],
            ProductFields: {
                "edgeAnomaly/engine": "cloudwatch",
                "edgeAnomaly/category": "waf",
                "edgeAnomaly/alarmName": WAF_ALARM,
                "edgeAnomaly/alarmArn": WAF_ALARM_ARN,
                "edgeAnomaly/stateChangeTime": "2025-03-04T10:07:24.105Z",
                "edgeAnomaly/namespace": "AWS/WAFV2",
                "edgeAnomaly/metric": "BlockedRequests",
                "edgeAnomaly/dimension/Region": "us-east-1",
                "edgeAnomaly/dimension/Rule": "AWSManagedRulesCommonRuleSet",
                "edgeAnomaly/dimension/WebACL": "edge-webacl-abc123",
                "edgeAnomaly/comparisonOperator": "GreaterThanUpperThreshold",
                "edgeAnomaly/bandExpression": "ANOMALY_DETECTION_BAND(filled, 2)",
                "edgeAnomaly/metricMath": "FILL(blocked, 0)",
                "edgeAnomaly/observedValue": "412",
                "edgeAnomaly/bandUpper": "38.527913",
                "edgeAnomaly/breachFactor": "10.6935",
            },
            Remediation: {
                Recommendation: {
                    Text: "Check the web ACL's sampled requests and its aws-waf-logs-* log group for this rule. An attack: tighten rate limiting "
                        + "or block the sources. Legitimate traffic blocked: tune the rule.",
                    Url: ALARM_URL,
                },
            },
            SourceUrl: ALARM_URL,
            RecordState: "ACTIVE",
        });
    });

    it("names the web ACL by ARN when the function knows the project's web ACL", () => {
        const arn = `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/edge-webacl-abc123/0f1e2d3c`;
        const f = findingFor(fixture("cw-waf-alarm"), { ...settings, webAclArn: arn });
        assert.deepEqual(f.Resources!.filter((r) => r.Type === "AwsWafv2WebAcl").map((r) => r.Id), [arn]);
        const other = findingFor(fixture("cw-waf-alarm"), { ...settings, webAclArn: `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/another-acl/99` });
        assert.deepEqual(other.Resources!.filter((r) => r.Type === "AwsWafv2WebAcl").map((r) => r.Id), ["edge-webacl-abc123"], "another ACL's ARN is not borrowed");
    });

    it("the same notification twice gives the same finding (same Id: Security Hub updates it)", async () => {
        const hub = mockClient(SecurityHubClient);
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
        try {
            const client = new SecurityHubClient({ region: REGION });
            const { log } = recorder();
            await handleAlertEvent(fixture("cw-waf-alarm"), clients(client), settings, { now: () => NOW, log });
            await handleAlertEvent(fixture("cw-waf-alarm"), clients(client), settings, { now: () => NOW, log });
            const [a, b] = hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!);
            assert.equal(a.length, 1);
            assert.deepEqual(a, b);
            assert.equal(a[0].Id, `${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`);
        } finally {
            hub.restore();
        }
    });
});

describeBoth("Security Hub finding: CloudWatch anomaly alarm (ecommerce, both sides of the band)", () => {
    const f = () => findingFor(fixture("cw-ecommerce-alarm"));

    it("takes the datapoint furthest outside its band: 290 below a lower edge of 1150.2 is 3.97x → HIGH", () => {
        assert.deepEqual(f().Severity, { Label: "HIGH", Normalized: 70, Original: "3.97x outside the band" });
        assert.equal(f().ProductFields!["edgeAnomaly/observedValue"], "290");
        assert.equal(f().ProductFields!["edgeAnomaly/bandLower"], "1150.2");
        assert.equal(f().ProductFields!["edgeAnomaly/bandUpper"], "2380.7");
    });

    it("titles by the dimensions that matter (not the Stack), keeps all of them in the fields, and spans the breaching datapoints", () => {
        assert.equal(f().Title, "Ecommerce Revenue anomaly below the expected band: Platform=ios");
        assert.deepEqual(f().Types, ["Unusual Behaviors/Application/Ecommerce Traffic Anomaly"]);
        assert.equal(f().ProductFields!["edgeAnomaly/dimension/Stack"], "dev");
        assert.equal(f().ProductFields!["edgeAnomaly/dimension/Platform"], "ios");
        assert.equal(f().Resources![0].Id, "EdgeAnomaly/Ecommerce/Revenue{Stack=dev,Platform=ios}");
        assert.equal(f().FirstObservedAt, "2025-03-04T10:00:00.000Z");
        assert.equal(f().LastObservedAt, "2025-03-04T10:05:00.000Z");
        assert.equal(f().CreatedAt, "2025-03-04T10:11:03.772Z");
        assert.match(f().Description!, /The value was 290, below the expected band \[1150\.2, 2380\.7\] \(3\.97x the band edge/);
        assert.equal(f().ProductFields!["edgeAnomaly/metricMath"], undefined, "no metric math between the metric and the band");
    });

    it("a reason it cannot read still files the finding, at MEDIUM, and says so in the log", () => {
        const ev = editSns("cw-ecommerce-alarm", (m) => { m.NewStateReason = "Threshold Crossed: no datapoints were received for 2 periods"; });
        const [parsed] = parseAlertEvent(ev);
        const { log, lines } = recorder();
        const plan = planAlert(parsed, settings, NOW, log);
        assert.equal(plan.action, "import");
        if (plan.action !== "import") return;
        assert.deepEqual(plan.findings[0].Severity, { Label: "MEDIUM", Normalized: 50, Original: "band breach not stated in the alarm reason" });
        assert.equal(plan.findings[0].Title, "Ecommerce Revenue anomaly outside the expected band: Platform=ios");
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["warn", "alarm reason states no band breach; severity defaults to MEDIUM"]]);
    });
});

describeBoth("Security Hub finding: ecommerce findings name the Kinesis data stream carrying the events", () => {
    const ECOMMERCE_ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:edge-anomaly-detection-dev-ecommerce-Revenue-Platform-ios`;
    const alarmSeries = {
        Type: "Other", Id: "EdgeAnomaly/Ecommerce/Revenue{Stack=dev,Platform=ios}", Partition: "aws", Region: REGION,
        Details: { Other: { namespace: "EdgeAnomaly/Ecommerce", metricName: "Revenue", stat: "Sum", Stack: "dev", Platform: "ios" } },
    };
    const alarmResource = {
        Type: "Other", Id: ECOMMERCE_ALARM_ARN, Partition: "aws", Region: REGION,
        Details: { Other: { alarmName: "edge-anomaly-detection-dev-ecommerce-Revenue-Platform-ios", comparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold", bandExpression: "ANOMALY_DETECTION_BAND(m1, 2)" } },
    };
    const detectorResource = {
        Type: "Other", Id: ECOMMERCE_DETECTOR, Partition: "aws", Region: REGION,
        Details: { Other: { detectorName: "edge-anomaly-detection-dev-ecommerce", metricName: "revenue", timezone: "UTC" } },
    };
    const l4mSeries = [
        {
            Type: "Other", Id: "revenue{platform=ios,marketplace=US}", Partition: "aws", Region: REGION,
            Details: { Other: { timeSeriesId: "4f6c0a1d9b8e7f3a2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819", metricValue: "312.4", platform: "ios", marketplace: "US" } },
        },
        {
            Type: "Other", Id: "revenue{platform=android,marketplace=US}", Partition: "aws", Region: REGION,
            Details: { Other: { timeSeriesId: "9a8b7c6d5e4f30211f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988", metricValue: "1175", platform: "android", marketplace: "US" } },
        },
    ];

    it("CloudWatch alarm on EdgeAnomaly/Ecommerce: the metric series, then the stream, then the alarm", () => {
        assert.deepEqual(findingFor(fixture("cw-ecommerce-alarm"), withStream).Resources, [alarmSeries, STREAM_RESOURCE, alarmResource]);
    });

    it("Lookout for Metrics ecommerce alert (Lambda and SNS delivery): the detector, then the stream, then the affected series", () => {
        assert.deepEqual(findingFor(fixture("l4m-lambda-ecommerce"), withStream).Resources, [detectorResource, STREAM_RESOURCE, ...l4mSeries]);
        const viaSns = findingFor(fixture("l4m-sns-ecommerce"), withStream).Resources!;
        assert.deepEqual(viaSns.slice(0, 2).map((r) => [r.Type, r.Id]), [["Other", ECOMMERCE_DETECTOR], ["AwsKinesisStream", STREAM_ARN]]);
        assert.deepEqual(viaSns[1], STREAM_RESOURCE);
    });

    it("without the stream ARN: no stream resource, everything else the same", () => {
        assert.deepEqual(findingFor(fixture("cw-ecommerce-alarm")).Resources, [alarmSeries, alarmResource]);
        assert.deepEqual(findingFor(fixture("l4m-lambda-ecommerce")).Resources, [detectorResource, ...l4mSeries]);
        for (const name of ["cw-ecommerce-alarm", "l4m-lambda-ecommerce", "l4m-sns-ecommerce"]) {
            const { Resources: a, ...restWith } = findingFor(fixture(name), withStream);
            const { Resources: b, ...restWithout } = findingFor(fixture(name));
            assert.deepEqual(restWith, restWithout, `${name}: only Resources differ`);
            assert.deepEqual(a!.filter((r) => r.Type !== "AwsKinesisStream"), b, name);
        }
    });

    it("WAF, pipeline-health and other-metric findings never name the stream (unchanged when it is configured)", () => {
        for (const name of ["cw-waf-alarm", "l4m-lambda-waf", "cw-dlq-alarm"]) {
            assert.deepEqual(findingFor(fixture(name), withStream), findingFor(fixture(name)), name);
        }
        const other = { anomalyDetectorArn: `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:other`, impactedMetric: { metricName: "orderRate" }, timestamp: "2025-03-04T10:05Z[UTC]", anomalyScore: 50 };
        assert.deepEqual(findingFor(other, withStream).Resources!.map((r) => r.Type), ["Other"]);
        const otherNamespace = editSns("cw-ecommerce-alarm", (m) => { m.Trigger.Metrics[0].MetricStat.Metric.Namespace = "Shop/Orders"; });
        assert.deepEqual(findingFor(otherNamespace, withStream).Resources!.map((r) => r.Type), ["Other", "Other"], "another namespace is not ecommerce");
    });

    it("the stream stays within the 32-resource limit: it comes before the series, which are cut first", () => {
        const many = fixture("l4m-lambda-ecommerce");
        many.impactedMetric.relevantTimeSeries = Array.from({ length: 40 }, (_, i) => ({
            timeSeriesId: `ts-${i}`, dimensions: [{ dimensionName: "platform", dimensionValue: `p${i}` }], metricValue: i,
        }));
        const r = findingFor(many, withStream).Resources!;
        assert.equal(r.length, 32);
        assert.deepEqual(r[1], STREAM_RESOURCE);
        assert.equal(r[31].Id, "revenue{platform=p29}");
    });

    it("the partition and region of the resource come from the stream's own ARN", () => {
        const cn = `arn:aws-cn:kinesis:cn-north-1:${ACCOUNT}:stream/events`;
        const r = findingFor(fixture("cw-ecommerce-alarm"), { ...settings, ecommerceStreamArn: cn }).Resources![1];
        assert.deepEqual(r, { Type: "AwsKinesisStream", Id: cn, Partition: "aws-cn", Region: "cn-north-1", Details: { AwsKinesisStream: { Name: "events", Arn: cn } } });
    });
});

describeBoth("Security Hub finding: Lookout for Metrics alerts", () => {
    it("Lambda alert (null description, no anomaly group): the finding's fields", () => {
        const f = findingFor(fixture("l4m-lambda-ecommerce"));
        const url = `https://${REGION}.console.aws.amazon.com/lookoutmetrics/home?region=${REGION}#${ECOMMERCE_DETECTOR}/anomalies`;
        assert.equal(f.Id, `${ECOMMERCE_DETECTOR}/anomaly/revenue/2025-03-04T10:05:00.000Z`);
        assert.equal(f.GeneratorId, ECOMMERCE_DETECTOR);
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/Ecommerce Traffic Anomaly"]);
        assert.deepEqual(f.Severity, { Label: "HIGH", Normalized: 83, Original: "83.33" });
        assert.equal(f.Title, "Ecommerce revenue anomaly (Lookout for Metrics score 83.33)");
        assert.equal(f.Description, "Amazon Lookout for Metrics detector edge-anomaly-detection-dev-ecommerce found an anomaly in revenue at "
            + "2025-03-04T10:05:00.000Z with severity score 83.33. Contributing dimension values: marketplace=US 100%, platform=ios 81.5%, "
            + "platform=android 18.5%. Affected series: revenue{platform=ios,marketplace=US} = 312.4; revenue{platform=android,marketplace=US} = 1175.");
        assert.ok(!f.Description!.includes("null"));
        assert.deepEqual([f.CreatedAt, f.FirstObservedAt, f.LastObservedAt], Array(3).fill("2025-03-04T10:05:00.000Z"));
        assert.deepEqual(f.Resources!.map((r) => [r.Type, r.Id]), [
            ["Other", ECOMMERCE_DETECTOR],
            ["Other", "revenue{platform=ios,marketplace=US}"],
            ["Other", "revenue{platform=android,marketplace=US}"],
        ]);
        assert.deepEqual(f.Resources![1].Details!.Other, {
            timeSeriesId: "4f6c0a1d9b8e7f3a2c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819",
            metricValue: "312.4", platform: "ios", marketplace: "US",
        });
        assert.deepEqual(f.ProductFields, {
            "edgeAnomaly/engine": "lookout",
            "edgeAnomaly/delivery": "lambda",
            "edgeAnomaly/category": "ecommerce",
            "edgeAnomaly/metric": "revenue",
            "edgeAnomaly/anomalyScore": "83.33",
            "edgeAnomaly/observedAt": "2025-03-04T10:05:00.000Z",
            "edgeAnomaly/timezone": "UTC",
            "edgeAnomaly/anomalyDetectorArn": ECOMMERCE_DETECTOR,
            "edgeAnomaly/alertName": "edge-anomaly-detection-dev-ecommerce-lambda",
            "edgeAnomaly/consoleUrl": url,
            "edgeAnomaly/contribution/marketplace/US": "100",
            "edgeAnomaly/contribution/platform/ios": "81.5",
            "edgeAnomaly/contribution/platform/android": "18.5",
        });
        assert.deepEqual(f.Remediation!.Recommendation!.Url, url);
        assert.equal(f.RecordState, "ACTIVE");
    });

    it("the SNS JSON alert for the same anomaly lands on the SAME finding as the Lambda alert", () => {
        const viaLambda = findingFor(fixture("l4m-lambda-ecommerce"));
        const viaSns = findingFor(fixture("l4m-sns-ecommerce"));
        assert.equal(viaSns.Id, viaLambda.Id, "one anomaly, one finding, whichever alert delivers first");
        assert.equal(viaSns.GeneratorId, viaLambda.GeneratorId);
        assert.deepEqual(viaSns.Severity, viaLambda.Severity);
        assert.equal(viaSns.ProductFields!["edgeAnomaly/delivery"], "sns");
        assert.equal(viaSns.ProductFields!["edgeAnomaly/anomalyGroupId"], "7d3e9f12-4a6b-4c8d-9e0f-1a2b3c4d5e6f");
        const groupUrl = `https://${REGION}.console.aws.amazon.com/lookoutmetrics/home?region=${REGION}#${ECOMMERCE_DETECTOR}/anomalies/anomaly/7d3e9f12-4a6b-4c8d-9e0f-1a2b3c4d5e6f`;
        assert.equal(viaSns.SourceUrl, groupUrl, "the SNS alert's console link goes to the anomaly group");
        assert.match(viaSns.Description!, / Alert: Ecommerce anomalies to the alert topic\. /);
    });

    it("the Id does not depend on the alert that delivered it, only on detector, measure and time", () => {
        const base = fixture("l4m-lambda-ecommerce");
        const other = { ...fixture("l4m-lambda-ecommerce"), alertName: "x", alertArn: "arn:aws:lookoutmetrics:us-east-1:123456789012:Alert:x", alertEventId: "e", anomalyScore: 91 };
        assert.equal(findingFor(other).Id, findingFor(base).Id);
        assert.notEqual(findingFor({ ...base, timestamp: "2025-03-04T10:10Z[UTC]" }).Id, findingFor(base).Id);
        assert.notEqual(findingFor({ ...base, impactedMetric: { ...base.impactedMetric, metricName: "views" } }).Id, findingFor(base).Id);
    });

    it("WAF detector: title names the rule and web ACL, the web ACL is a resource, score 95.1 is CRITICAL", () => {
        const f = findingFor(fixture("l4m-lambda-waf"));
        assert.equal(f.Title, "WAF blocked requests anomaly (Lookout for Metrics score 95.1): rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123");
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/WAF Blocked Requests Anomaly"]);
        assert.deepEqual(f.Severity, { Label: "CRITICAL", Normalized: 95, Original: "95.1" });
        assert.deepEqual(f.Resources!.map((r) => r.Type), ["Other", "AwsWafv2WebAcl", "Other"]);
        assert.equal(f.Resources![2].Id, "BlockedRequests{Region=us-east-1,Rule=AWSManagedRulesCommonRuleSet,WebACL=edge-webacl-abc123}");
    });

    it("missing optional fields and unknown dimensions/measures are handled", () => {
        const bare = {
            anomalyDetectorArn: `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:other`,
            impactedMetric: { metricName: "orderRate" },
            timestamp: "2022-01-15T04:25:00+05:30[Asia/Kolkata]",
            anomalyScore: 12.5,
        };
        const f = findingFor(bare);
        assert.equal(f.Id, `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:other/anomaly/orderRate/2022-01-14T22:55:00.000Z`);
        assert.deepEqual(f.Types, ["Unusual Behaviors/Application/Metric Anomaly"]);
        assert.deepEqual(f.Severity, { Label: "LOW", Normalized: 13, Original: "12.5" });
        assert.equal(f.Title, "orderRate anomaly (Lookout for Metrics score 12.5)");
        assert.match(f.Description!, /at 2022-01-14T22:55:00\.000Z \(detector time zone Asia\/Kolkata\) with severity score 12\.5\.$/);
        assert.deepEqual(f.Resources!.length, 1);
        assert.equal(f.ProductFields!["edgeAnomaly/alertName"], undefined);

        const unknownDims = fixture("l4m-lambda-ecommerce");
        unknownDims.impactedMetric.dimensionContribution.push({ dimensionName: "shipping", dimensionValueContributions: [{ dimensionValue: "priority", valueContribution: 32 }] });
        unknownDims.impactedMetric.relevantTimeSeries[0].dimensions.push({ dimensionName: "shipping", dimensionValue: "priority" });
        unknownDims.impactedMetric.relevantTimeSeries[1].metricValue = null;
        unknownDims.alertDescription = "   ";
        const g = findingFor(unknownDims);
        assert.equal(g.ProductFields!["edgeAnomaly/contribution/shipping/priority"], "32");
        assert.equal(g.Resources![1].Id, "revenue{platform=ios,marketplace=US,shipping=priority}");
        assert.equal(g.Resources![2].Details!.Other!.metricValue, undefined);
        assert.ok(!g.Description!.includes("Alert:"), "a blank description is treated as none");
    });

    it("keeps within ASFF limits: Id ≤ 512 (hashed, still deterministic), Title ≤ 256, Description ≤ 1024, ≤ 50 product fields", () => {
        const long = fixture("l4m-lambda-ecommerce");
        long.anomalyDetectorArn = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:${"d".repeat(200)}`;
        long.impactedMetric.metricName = "m".repeat(250);
        long.alertDescription = "x".repeat(300);
        long.impactedMetric.dimensionContribution = [{
            dimensionName: "sku",
            dimensionValueContributions: Array.from({ length: 80 }, (_, i) => ({ dimensionValue: `sku-${i}`, valueContribution: 80 - i })),
        }];
        const a = findingFor(long);
        const b = findingFor(JSON.parse(JSON.stringify(long)));
        assert.ok(a.Id!.length <= MAX_ID_LENGTH && /\/sha256:[0-9a-f]{64}$/.test(a.Id!), a.Id);
        assert.equal(a.Id, b.Id);
        assert.ok(a.Title!.length <= MAX_TITLE_LENGTH);
        assert.ok(a.Description!.length <= MAX_DESCRIPTION_LENGTH && a.Description!.endsWith("…"));
        assert.equal(Object.keys(a.ProductFields!).length, MAX_PRODUCT_FIELDS);
        assert.equal(a.ProductFields!["edgeAnomaly/contribution/sku/sku-0"], "80", "the largest contributions are kept");
        assert.ok(Object.keys(a.ProductFields!).every((k) => k.length <= 128));
    });
});

describeBoth("Security Hub finding: the alert path's own health alarm (static threshold)", () => {
    it("files the DLQ depth alarm as a HIGH pipeline-health finding", () => {
        const f = findingFor(fixture("cw-dlq-alarm"));
        assert.equal(f.Title, "Alert pipeline health: alarm edge-anomaly-detection-dev-alerts-dlq-depth is in ALARM");
        assert.deepEqual(f.Types, ["Software and Configuration Checks/AWS Security Best Practices/Alert Pipeline Health"]);
        assert.deepEqual(f.Severity, { Label: "HIGH", Normalized: 70, Original: "ALARM" });
        assert.deepEqual(f.Resources!.map((r) => r.Id), [
            "AWS/SQS/ApproximateNumberOfMessagesVisible{QueueName=edge-anomaly-detection-dev-alerts-dlq}",
            `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:edge-anomaly-detection-dev-alerts-dlq-depth`,
        ]);
        assert.equal(f.ProductFields!["edgeAnomaly/category"], "health");
        assert.equal(f.ProductFields!["edgeAnomaly/threshold"], "0");
        assert.match(f.Remediation!.Recommendation!.Text!, /dead-letter queue/);
    });
});

describeBoth("Security Hub finding: OK and INSUFFICIENT_DATA notifications", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    afterEach(() => hub.reset());
    after(() => hub.restore());
    const client = () => new SecurityHubClient({ region: REGION });

    // Test data (what GetFindings returns), built with the source at load time.
    const active: AwsSecurityFinding = {
        ...findingFor(fixture("cw-waf-alarm"), settings, { parseAlertEvent: events.parseAlertEvent, planAlert: finding.planAlert }),
        ProductFields: {
            ...findingFor(fixture("cw-waf-alarm"), settings, { parseAlertEvent: events.parseAlertEvent, planAlert: finding.planAlert }).ProductFields,
            "aws/securityhub/FindingId": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default/abc",
            "aws/securityhub/ProductName": "Default",
        },
        ProcessedAt: "2025-03-04T10:07:30.000Z",
        Workflow: { Status: "NOTIFIED" },
        WorkflowState: "NEW",
        Region: REGION,
        CompanyName: "Personal",
        ProductName: "Default",
    };

    it("OK archives the alarm's active findings (found by GeneratorId) with RecordState ARCHIVED and a newer UpdatedAt", async () => {
        hub.on(GetFindingsCommand).resolves({ Findings: [active] });
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
        const { log, lines } = recorder();
        const result = await handleAlertEvent(fixture("cw-waf-ok"), clients(client()), settings, { now: () => NOW, log });

        assert.deepEqual(hub.commandCalls(GetFindingsCommand).map((c) => c.args[0].input), [{
            Filters: {
                ProductArn: [{ Value: settings.productArn, Comparison: "EQUALS" }],
                AwsAccountId: [{ Value: ACCOUNT, Comparison: "EQUALS" }],
                GeneratorId: [{ Value: WAF_ALARM_ARN, Comparison: "EQUALS" }],
                RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
                // Start and End, as the DateFilter reference documents it: Security Hub's 90-day retention back from the OK.
                CreatedAt: [{ Start: "2024-12-04T10:22:24.388Z", End: "2025-03-04T10:22:24.388Z" }],
            },
            MaxResults: 100,
            NextToken: undefined,
        }]);
        const [imported] = hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!);
        assert.equal(imported.length, 1);
        const archived = imported[0];
        assert.equal(archived.Id, active.Id);
        assert.equal(archived.RecordState, "ARCHIVED");
        assert.equal(archived.UpdatedAt, NOW.toISOString());
        assert.equal(archived.CreatedAt, active.CreatedAt);
        assert.deepEqual(archived.Severity, active.Severity);
        assert.equal(archived.ProductFields!["edgeAnomaly/resolvedAt"], "2025-03-04T10:22:24.388Z");
        assert.equal(archived.ProductFields!["edgeAnomaly/resolution"], `alarm ${WAF_ALARM} returned to OK at 2025-03-04T10:22:24.388Z`);
        assert.ok(Object.keys(archived.ProductFields!).every((k) => !k.startsWith("aws/")), "Security Hub's own keys are not sent back");
        for (const k of ["Workflow", "WorkflowState", "ProcessedAt", "Region", "CompanyName", "ProductName"]) {
            assert.ok(!(k in archived), `${k} is not a provider field and is not sent`);
        }
        assert.deepEqual(result.outcomes, [{
            action: "archived", source: `cloudwatch:${WAF_ALARM_ARN}:OK`, findingIds: [active.Id],
            reason: `alarm ${WAF_ALARM} returned to OK at 2025-03-04T10:22:24.388Z`,
        }]);
        assert.deepEqual(lines.map((l) => l.message), ["archived findings: alarm is OK"]);
    });

    it("OK reads every page of active findings", async () => {
        const second = { ...active, Id: `${WAF_ALARM_ARN}/2025-03-03T08:00:00.000Z` };
        hub.on(GetFindingsCommand).resolvesOnce({ Findings: [active], NextToken: "page-2" }).resolvesOnce({ Findings: [second] });
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 2, FailedFindings: [] });
        const result = await handleAlertEvent(fixture("cw-waf-ok"), clients(client()), settings, { now: () => NOW, log: recorder().log });
        assert.deepEqual(hub.commandCalls(GetFindingsCommand).map((c) => c.args[0].input.NextToken), [undefined, "page-2"]);
        assert.deepEqual(result.outcomes[0].findingIds, [active.Id, second.Id]);
    });

    it("OK with nothing active imports nothing and logs that explicitly", async () => {
        hub.on(GetFindingsCommand).resolves({ Findings: [] });
        const { log, lines } = recorder();
        const result = await handleAlertEvent(fixture("cw-waf-ok"), clients(client()), settings, { now: () => NOW, log });
        assert.equal(hub.commandCalls(BatchImportFindingsCommand).length, 0);
        assert.deepEqual(result.outcomes[0].findingIds, []);
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["info", "alarm is OK and has no active finding to archive"]]);
    });

    it("INSUFFICIENT_DATA changes nothing, and says why in the result and the log", async () => {
        const ev = editSns("cw-waf-alarm", (m) => { m.NewStateValue = "INSUFFICIENT_DATA"; m.OldStateValue = "ALARM"; });
        const { log, lines } = recorder();
        const result = await handleAlertEvent(ev, clients(client()), settings, { now: () => NOW, log });
        assert.equal(hub.calls().length, 0);
        assert.equal(result.outcomes[0].action, "skipped");
        assert.match(result.outcomes[0].reason!, /INSUFFICIENT_DATA: not an anomaly and not a recovery/);
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["info", "skipped alert"]]);
    });

    it("archivedVersion keeps at most 50 product fields, the resolution first", () => {
        const many = { ...active, ProductFields: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, "v"])) };
        const out = archivedVersion(many, NOW, "ok", NOW);
        assert.equal(Object.keys(out.ProductFields!).length, 50);
        assert.equal(out.ProductFields!["edgeAnomaly/resolvedAt"], NOW.toISOString());
    });
});

describeBoth("Security Hub finding: failures are errors, never silent successes", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    afterEach(() => hub.reset());
    after(() => hub.restore());
    const client = () => new SecurityHubClient({ region: REGION, maxAttempts: 1 });

    it("FailedCount: 1 fails the invocation, naming the finding and the error", async () => {
        hub.on(BatchImportFindingsCommand).resolves({
            FailedCount: 1, SuccessCount: 0,
            FailedFindings: [{ Id: `${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`, ErrorCode: "InvalidInput", ErrorMessage: "Finding does not adhere to ASFF" }],
        });
        const { log, lines } = recorder();
        await assert.rejects(
            handleAlertEvent(fixture("cw-waf-alarm"), clients(client()), settings, { now: () => NOW, log }),
            (err: Error) => {
                assert.equal(err.message, "finding Lambda: 1 of 1 alert(s) failed: SNS message 3c1f0a2e-7d4b-5e6f-8a9b-0c1d2e3f4a5b (1 of 1): "
                    + `BatchImportFindings rejected 1 of 1 finding(s): ${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z: InvalidInput: Finding does not adhere to ASFF`);
                return true;
            },
        );
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["error", "alert not filed"]]);
    });

    it("a failed AWS call propagates (Lambda retries the invocation, then the DLQ keeps it)", async () => {
        hub.on(BatchImportFindingsCommand).rejects(Object.assign(new Error("Account 123456789012 is not subscribed to AWS Security Hub"), { name: "InvalidAccessException" }));
        await assert.rejects(
            handleAlertEvent(fixture("l4m-lambda-waf"), clients(client()), settings, { now: () => NOW, log: recorder().log }),
            /Lookout for Metrics Lambda alert \(1 of 1\): InvalidAccessException: Account 123456789012 is not subscribed to AWS Security Hub/,
        );
    });

    it("GetFindings failing on OK is an error too", async () => {
        hub.on(GetFindingsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
        await assert.rejects(handleAlertEvent(fixture("cw-waf-ok"), clients(client()), settings, { log: recorder().log }), /AccessDeniedException: denied/);
    });

    const bad: [string, unknown, RegExp][] = [
        ["null", null, /unrecognised invocation event: must be an object \(got null\)/],
        ["a string", "ALARM", /unrecognised invocation event: must be an object \(got string "ALARM"\)/],
        ["an empty object", {}, /is neither an SNS event \(Records\), an SNS notification \(Type "Notification", as replayed from the dead-letter queue\) nor a Lookout for Metrics alert/],
        ["empty Records", { Records: [] }, /SNS event: Records must be a non-empty list \(got a list of 0\)/],
        ["an SQS record", { Records: [{ eventSource: "aws:sqs", body: "{}" }] }, /Records\[0\]\.EventSource must be "aws:sns".*\(got string "aws:sqs"\)/],
        ["an L4M SNS alert in LONG_TEXT", editSnsRaw("cw-waf-alarm", "Amazon Lookout for Metrics detected an anomaly in revenue..."), /is not JSON: Lookout for Metrics alerts on this topic must use SnsFormat JSON/],
        ["an SNS JSON message of another kind", editSnsRaw("cw-waf-alarm", JSON.stringify({ hello: "world" })), /neither a CloudWatch alarm notification .* nor a Lookout for Metrics JSON alert .*keys \[hello\]/],
        ["an L4M alert without metricName", { ...fixture("l4m-lambda-waf"), impactedMetric: { relevantTimeSeries: [] } }, /L4M alert: impactedMetric\.metricName must be a non-empty string \(got undefined\)/],
        ["an L4M alert with a bad timestamp", { ...fixture("l4m-lambda-waf"), timestamp: "2025-03-04 10:05" }, /L4M alert: timestamp must be a time like 2021-02-17T11:00Z\[UTC\] \(got string "2025-03-04 10:05"\)/],
        ["an L4M alert with a non-numeric score", { ...fixture("l4m-lambda-waf"), anomalyScore: "high" }, /L4M alert: anomalyScore must be a number \(got string "high"\)/],
        ["an L4M alert with a score over 100", { ...fixture("l4m-lambda-waf"), anomalyScore: 140 }, /anomalyScore must be within 0–100 \(got number 140\)/],
        ["an L4M alert with a bad detector ARN", { ...fixture("l4m-lambda-waf"), anomalyDetectorArn: "my-detector" }, /anomalyDetectorArn must be an ARN with a 12-digit account/],
        ["an L4M contribution that is not a list", { ...fixture("l4m-lambda-waf"), impactedMetric: { metricName: "x", dimensionContribution: "Rule" } }, /impactedMetric\.dimensionContribution must be a list when present/],
        ["an alarm in an unknown state", editSns("cw-waf-alarm", (m) => { m.NewStateValue = "BROKEN"; }), /NewStateValue must be one of OK, ALARM, INSUFFICIENT_DATA \(got string "BROKEN"\)/],
        ["an alarm naming no metric", editSns("cw-waf-alarm", (m) => { delete m.Trigger.Metrics; }), /Trigger names no metric/],
        ["an alarm with a bad StateChangeTime", editSns("cw-waf-alarm", (m) => { m.StateChangeTime = "yesterday"; }), /StateChangeTime must be a time like 2023-03-07T10:44:24\.105\+0000/],
        ["an alarm of another account", editSns("cw-waf-alarm", (m) => { m.AWSAccountId = "210987654321"; }), /is in account 210987654321; this function files findings for 123456789012/],
        ["an L4M detector of another account", { ...fixture("l4m-lambda-waf"), anomalyDetectorArn: "arn:aws:lookoutmetrics:us-east-1:210987654321:AnomalyDetector:x" }, /is in account 210987654321/],
    ];
    for (const [what, event, message] of bad) {
        it(`rejects ${what} with a clear message and calls nothing`, async () => {
            const { log, lines } = recorder();
            await assert.rejects(handleAlertEvent(event, clients(client()), settings, { now: () => NOW, log }), message);
            assert.equal(hub.calls().length, 0);
            assert.equal(lines.filter((l) => l.level === "error").length, 1, "one error line in the log");
        });
    }

    it("a bad record does not stop the good one in the same event, and the invocation still fails naming the bad one", async () => {
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
        const good = fixture("cw-waf-alarm").Records[0];
        const badRec = editSnsRaw("cw-dlq-alarm", "not json").Records[0];
        await assert.rejects(
            handleAlertEvent({ Records: [good, badRec] }, clients(client()), settings, { now: () => NOW, log: recorder().log }),
            /1 of 2 alert\(s\) failed: SNS message 9c0d1e2f-3a4b-5c6d-7e8f-9a0b1c2d3e4f \(2 of 2\): AlertParseError: SNS message .* is not JSON/,
        );
        assert.equal(hub.commandCalls(BatchImportFindingsCommand).length, 1, "the good alert was filed");
    });
});

/** The WAF ALARM fixture moved to another episode (StateChangeTime `iso`, as CloudWatch writes it). */
function wafAlarmAt(time: string): any {
    return editSns("cw-waf-alarm", (m) => { m.StateChangeTime = time; });
}
const IMPORT_OK = { FailedCount: 0, SuccessCount: 1, FailedFindings: [] };

describeBoth("Security Hub finding: a late OK never archives a later episode", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    afterEach(() => hub.reset());
    after(() => hub.restore());

    it("asks only for findings created up to the OK, and archives none created after it even if returned", async () => {
        const episode1 = findingFor(fixture("cw-waf-alarm"));
        const episode2 = findingFor(wafAlarmAt("2025-03-04T11:07:24.105+0000"));
        assert.equal(episode2.CreatedAt, "2025-03-04T11:07:24.105Z");
        // A service that ignored the CreatedAt filter: the function still leaves episode 2 alone.
        hub.on(GetFindingsCommand).resolves({ Findings: [episode2, episode1] });
        hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK);
        const result = await handleAlertEvent(fixture("cw-waf-ok"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log: recorder().log });
        const [request] = hub.commandCalls(GetFindingsCommand).map((c) => c.args[0].input as GetFindingsCommandInput);
        assert.deepEqual(request.Filters!.CreatedAt, [{ Start: "2024-12-04T10:22:24.388Z", End: "2025-03-04T10:22:24.388Z" }], "the OK's StateChangeTime bounds CreatedAt");
        const imported = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings!);
        assert.deepEqual(imported.map((f) => [f.Id, f.RecordState]), [[episode1.Id, "ARCHIVED"]]);
        assert.deepEqual(result.outcomes[0].findingIds, [episode1.Id]);
    });

    it("a finding created exactly at the OK's time is archived; one a millisecond later is not", async () => {
        const at = findingFor(wafAlarmAt("2025-03-04T10:22:24.388+0000"));
        const after = findingFor(wafAlarmAt("2025-03-04T10:22:24.389+0000"));
        hub.on(GetFindingsCommand).resolves({ Findings: [at, after] });
        hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK);
        await handleAlertEvent(fixture("cw-waf-ok"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log: recorder().log });
        assert.deepEqual(hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings!.map((f) => f.Id)), [at.Id]);
    });
});

describeBoth("Security Hub finding: an ALARM delivered after its episode ended (retry, DLQ replay)", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    beforeEach(() => { hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK); });
    afterEach(() => hub.reset());
    after(() => hub.restore());
    const hubClient = () => new SecurityHubClient({ region: REGION, maxAttempts: 1 });
    const ALARM_TIME = new Date("2025-03-04T10:07:24.105Z");
    const wafNow = (state: Partial<AlarmNow>): AlarmNow[] => [{ AlarmName: WAF_ALARM, AlarmArn: WAF_ALARM_ARN, StateValue: "ALARM", StateTransitionedTimestamp: ALARM_TIME, StateUpdatedTimestamp: ALARM_TIME, ...state }];
    const imported = () => hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings!);

    async function file(alarms: AlarmNow[], event: unknown = fixture("cw-waf-alarm")) {
        const cw = cloudWatchWith(alarms);
        const { log, lines } = recorder();
        const result = await handleAlertEvent(event, clients(hubClient(), cw.sender), settings, { now: () => NOW, log });
        return { result, lines, requests: cw.requests };
    }

    /** The finding as filed ACTIVE, with RecordState ARCHIVED and the resolution first in ProductFields. */
    function archivedAs(resolvedAt: string, resolution: string): AwsSecurityFinding {
        const active = findingFor(fixture("cw-waf-alarm"));
        return {
            ...active,
            ProductFields: { "edgeAnomaly/resolvedAt": resolvedAt, "edgeAnomaly/resolution": resolution, ...active.ProductFields },
            RecordState: "ARCHIVED",
        };
    }

    it("a current ALARM is filed ACTIVE, after asking CloudWatch for exactly this alarm", async () => {
        const { result, lines, requests } = await file(wafNow({}));
        // Asked before the import and again after it (an OK may have run while the import was under way).
        assert.deepEqual(requests, [{ AlarmNames: [WAF_ALARM], AlarmTypes: ["MetricAlarm"] }, { AlarmNames: [WAF_ALARM], AlarmTypes: ["MetricAlarm"] }]);
        assert.deepEqual(imported(), [findingFor(fixture("cw-waf-alarm"))]);
        assert.equal(imported()[0].RecordState, "ACTIVE");
        assert.deepEqual(result.outcomes, [{ action: "imported", source: `cloudwatch:${WAF_ALARM_ARN}:ALARM`, findingIds: [`${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`], recordState: "ACTIVE" }]);
        assert.deepEqual(lines.map((l) => [l.level, l.message, l.fields?.recordState]), [["info", "imported finding", "ACTIVE"]]);
    });

    it("the alarm is OK now: the finding is imported already ARCHIVED, resolved when the alarm went OK", async () => {
        const okAt = new Date("2025-03-04T10:22:24.388Z");
        const { result, lines } = await file(wafNow({ StateValue: "OK", StateTransitionedTimestamp: okAt, StateUpdatedTimestamp: okAt }));
        const reason = `superseded: the ALARM of 2025-03-04T10:07:24.105Z was delivered after it ended; alarm ${WAF_ALARM} is OK since 2025-03-04T10:22:24.388Z`;
        assert.deepEqual(imported(), [archivedAs("2025-03-04T10:22:24.388Z", reason)]);
        assert.deepEqual(result.outcomes[0], { action: "imported", source: `cloudwatch:${WAF_ALARM_ARN}:ALARM`, findingIds: [`${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`], recordState: "ARCHIVED", reason });
        assert.deepEqual(lines.map((l) => [l.level, l.message, l.fields?.recordState, l.fields?.reason]), [["info", "imported finding as ARCHIVED: alarm episode already over", "ARCHIVED", reason]]);
    });

    it("the alarm is in a later ALARM episode: this one is imported ARCHIVED", async () => {
        const later = new Date("2025-03-04T11:07:24.105Z");
        await file(wafNow({ StateTransitionedTimestamp: later, StateUpdatedTimestamp: later }));
        assert.deepEqual(imported(), [archivedAs("2025-03-04T11:07:24.105Z",
            `superseded: the ALARM of 2025-03-04T10:07:24.105Z was delivered after it ended; alarm ${WAF_ALARM} is in a later ALARM episode since 2025-03-04T11:07:24.105Z`)]);
    });

    it("without StateTransitionedTimestamp, StateUpdatedTimestamp tells the episodes apart", async () => {
        const later = new Date("2025-03-04T11:07:24.105Z");
        await file(wafNow({ StateTransitionedTimestamp: undefined, StateUpdatedTimestamp: later }));
        assert.equal(imported()[0].RecordState, "ARCHIVED");
        hub.reset();
        hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK);
        await file(wafNow({ StateTransitionedTimestamp: undefined }));
        assert.equal(imported()[0].RecordState, "ACTIVE");
    });

    it("StateTransitionedTimestamp wins: an EvaluationState update (StateUpdatedTimestamp later) does not end the episode", async () => {
        await file(wafNow({ StateUpdatedTimestamp: new Date("2025-03-04T10:30:00.000Z") }));
        assert.equal(imported()[0].RecordState, "ACTIVE");
    });

    it("the alarm was deleted: imported ARCHIVED, resolved at processing time", async () => {
        await file([]);
        assert.deepEqual(imported(), [archivedAs(NOW.toISOString(),
            `superseded: the ALARM of 2025-03-04T10:07:24.105Z was delivered after it ended; alarm ${WAF_ALARM} no longer exists`)]);
    });

    it("another alarm of the same name (another ARN) counts as deleted", async () => {
        await file(wafNow({ AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:other` }));
        assert.equal(imported()[0].RecordState, "ARCHIVED");
    });

    it("same episode within the timestamp tolerance, and INSUFFICIENT_DATA (no recovery seen), stay ACTIVE", async () => {
        await file(wafNow({ StateTransitionedTimestamp: new Date(ALARM_TIME.getTime() + 999) }));
        await file(wafNow({ StateValue: "INSUFFICIENT_DATA", StateTransitionedTimestamp: new Date("2025-03-04T10:30:00.000Z") }));
        await file(wafNow({ StateTransitionedTimestamp: new Date(ALARM_TIME.getTime() + 1001) }));
        assert.deepEqual(imported().map((f) => f.RecordState), ["ACTIVE", "ACTIVE", "ARCHIVED"]);
    });

    it("the pipeline-health alarm is checked the same way", async () => {
        const { requests } = await file([], fixture("cw-dlq-alarm"));
        assert.deepEqual(requests, [{ AlarmNames: ["edge-anomaly-detection-dev-alerts-dlq-depth"], AlarmTypes: ["MetricAlarm"] }], "deleted: filed ARCHIVED at once, no second look");
        assert.equal(imported()[0].RecordState, "ARCHIVED");
    });

    it("a DescribeAlarms failure fails the invocation and files nothing", async () => {
        const cw = cloudWatchWith(Object.assign(new Error("User is not authorized to perform: cloudwatch:DescribeAlarms"), { name: "AccessDenied" }));
        const { log, lines } = recorder();
        await assert.rejects(
            handleAlertEvent(fixture("cw-waf-alarm"), clients(hubClient(), cw.sender), settings, { now: () => NOW, log }),
            /finding Lambda: 1 of 1 alert\(s\) failed: SNS message 3c1f0a2e-7d4b-5e6f-8a9b-0c1d2e3f4a5b \(1 of 1\): AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms/,
        );
        assert.equal(hub.calls().length, 0);
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["error", "alert not filed"]]);
    });

    it("an alarm of another region is an error (CloudWatch is asked in this function's region only)", async () => {
        const ev = editSns("cw-waf-alarm", (m) => { m.AlarmArn = m.AlarmArn.replace(":us-east-1:", ":eu-west-1:"); });
        const cw = cloudWatchWith(FIXTURE_ALARMS_IN_ALARM);
        await assert.rejects(handleAlertEvent(ev, clients(hubClient(), cw.sender), settings, { now: () => NOW, log: recorder().log }),
            /CloudWatch alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:\S+ is in eu-west-1; this function reads alarm state in us-east-1/);
        assert.equal(cw.requests.length, 0);
        assert.equal(hub.calls().length, 0);
    });

    it("Lookout for Metrics alerts never ask CloudWatch", async () => {
        const cw = cloudWatchWith(new Error("DescribeAlarms must not be called"));
        for (const name of ["l4m-lambda-waf", "l4m-sns-ecommerce"]) {
            const result = await handleAlertEvent(fixture(name), clients(hubClient(), cw.sender), settings, { now: () => NOW, log: recorder().log });
            assert.equal(result.outcomes[0].recordState, "ACTIVE", name);
        }
        assert.equal(cw.requests.length, 0);
        assert.deepEqual(imported().map((f) => f.RecordState), ["ACTIVE", "ACTIVE"]);
    });
});

describeBoth("Security Hub finding: episodes against a Security Hub that keeps its findings", () => {
    // A stand-in for Security Hub: stores imports by Id (a newer UpdatedAt replaces), answers GetFindings with
    // the filters the function uses (GeneratorId, RecordState, CreatedAt Start and End).
    const store = new Map<string, AwsSecurityFinding>();
    const hub = {
        send: async (cmd: unknown) => {
            if (cmd instanceof BatchImportFindingsCommand) {
                for (const f of cmd.input.Findings!) {
                    const old = store.get(f.Id!);
                    if (!old || old.UpdatedAt! < f.UpdatedAt!) store.set(f.Id!, f);
                }
                return IMPORT_OK;
            }
            if (cmd instanceof GetFindingsCommand) {
                const f = cmd.input.Filters!;
                const start = Date.parse(f.CreatedAt![0].Start!);
                const end = Date.parse(f.CreatedAt![0].End!);
                return {
                    Findings: [...store.values()].filter((x) => x.GeneratorId === f.GeneratorId![0].Value && x.RecordState === f.RecordState![0].Value
                        && Date.parse(x.CreatedAt!) >= start && Date.parse(x.CreatedAt!) <= end),
                };
            }
            throw new Error(`unexpected ${String(cmd)}`);
        },
    } as unknown as SecurityHubSender;
    let alarmNow: AlarmNow[] = [];
    const cw = { send: async (cmd: DescribeAlarmsCommand) => ({ MetricAlarms: alarmNow.filter((a) => cmd.input.AlarmNames!.includes(a.AlarmName!)) }) } as unknown as CloudWatchSender;
    let tick = Date.parse("2025-03-04T12:00:00Z");
    const deps = { now: () => new Date((tick += 1000)), log: recorder().log };
    const states = () => Object.fromEntries([...store.values()].map((f) => [f.CreatedAt, f.RecordState]));
    const at = (iso: string, state: "OK" | "ALARM") => { alarmNow = [{ AlarmName: WAF_ALARM, AlarmArn: WAF_ALARM_ARN, StateValue: state, StateTransitionedTimestamp: new Date(iso) }]; };
    const episode2 = wafAlarmAt("2025-03-04T11:07:24.105+0000");

    it("ALARM, OK, then the ALARM again (retry or replay): the finding stays ARCHIVED", async () => {
        store.clear();
        at("2025-03-04T10:07:24.105Z", "ALARM");
        await handleAlertEvent(fixture("cw-waf-alarm"), clients(hub, cw), settings, deps);
        at("2025-03-04T10:22:24.388Z", "OK");
        await handleAlertEvent(fixture("cw-waf-ok"), clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED" });
        await handleAlertEvent(fixture("cw-waf-alarm"), clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED" }, "the replay did not re-activate it");
        await handleAlertEvent(fixture("cw-waf-alarm-dlq"), clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED" }, "nor did the DLQ replay");
    });

    it("race: the ALARM's import is held up (throttled) until after the OK ran — the finding still ends ARCHIVED", async () => {
        store.clear();
        // The ALARM's BatchImportFindings is held until the OK has run: a throttled import retried with backoff.
        let reached!: () => void;
        const importReached = new Promise<void>((r) => { reached = r; });
        let release!: () => void;
        const released = new Promise<void>((r) => { release = r; });
        let held = false;
        const slowHub = {
            send: async (cmd: unknown) => {
                if (cmd instanceof BatchImportFindingsCommand && !held && cmd.input.Findings!.some((f) => f.RecordState === "ACTIVE")) {
                    held = true;
                    reached();
                    await released;
                }
                return hub.send(cmd as never);
            },
        } as unknown as SecurityHubSender;
        at("2025-03-04T10:07:24.105Z", "ALARM");
        const alarm = handleAlertEvent(fixture("cw-waf-alarm"), clients(slowHub, cw), settings, deps);
        await importReached;
        at("2025-03-04T10:22:24.388Z", "OK");
        const ok = await handleAlertEvent(fixture("cw-waf-ok"), clients(slowHub, cw), settings, deps);
        assert.deepEqual(ok.outcomes[0].findingIds, [], "the OK found nothing to archive: the import had not landed");
        release();
        const result = await alarm;
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED" }, "not left ACTIVE for an alarm that is OK");
        assert.equal(result.outcomes[0].recordState, "ARCHIVED");
        assert.match(result.outcomes[0].reason!, /alarm edge-anomaly-detection-dev-waf-AWSManagedRulesCommonRuleSet-blocked is OK since 2025-03-04T10:22:24.388Z/);
    });

    it("episode 1's OK delivered after episode 2 began: episode 2 stays ACTIVE until its own OK", async () => {
        store.clear();
        at("2025-03-04T10:07:24.105Z", "ALARM");
        await handleAlertEvent(fixture("cw-waf-alarm"), clients(hub, cw), settings, deps);
        at("2025-03-04T11:07:24.105Z", "ALARM");
        await handleAlertEvent(episode2, clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ACTIVE", "2025-03-04T11:07:24.105Z": "ACTIVE" });
        await handleAlertEvent(fixture("cw-waf-ok"), clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED", "2025-03-04T11:07:24.105Z": "ACTIVE" });
        const ok2 = editSns("cw-waf-ok", (m) => { m.StateChangeTime = "2025-03-04T11:30:00.000+0000"; });
        at("2025-03-04T11:30:00.000Z", "OK");
        await handleAlertEvent(ok2, clients(hub, cw), settings, deps);
        assert.deepEqual(states(), { "2025-03-04T10:07:24.105Z": "ARCHIVED", "2025-03-04T11:07:24.105Z": "ARCHIVED" });
    });
});

describeBoth("Security Hub finding: GetFindings pagination limit", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    afterEach(() => hub.reset());
    after(() => hub.restore());

    it(`more than ${MAX_ARCHIVE_PAGES} pages: archives what it read, then fails the invocation so the retry archives the rest`, async () => {
        let page = 0;
        hub.on(GetFindingsCommand).callsFake(() => {
            page += 1;
            return { Findings: [{ ...findingFor(fixture("cw-waf-alarm")), Id: `${WAF_ALARM_ARN}/page-${page}` }], NextToken: `token-${page}` };
        });
        hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: MAX_ARCHIVE_PAGES, FailedFindings: [] });
        const { log, lines } = recorder();
        await assert.rejects(
            handleAlertEvent(fixture("cw-waf-ok"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log }),
            new RegExp(`GetFindings returned more than ${MAX_ARCHIVE_PAGES} pages of ACTIVE findings for ${WAF_ALARM_ARN.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `
                + `archived ${MAX_ARCHIVE_PAGES}, others are still ACTIVE; failing so the retry archives the rest`),
        );
        assert.equal(hub.commandCalls(GetFindingsCommand).length, MAX_ARCHIVE_PAGES);
        const archived = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings!);
        assert.equal(archived.length, MAX_ARCHIVE_PAGES);
        assert.ok(archived.every((f) => f.RecordState === "ARCHIVED"));
        assert.deepEqual(lines.map((l) => [l.level, l.message]), [["info", "archived findings: alarm is OK"], ["error", "alert not filed"]]);
    });

    it(`exactly ${MAX_ARCHIVE_PAGES} pages (no token after the last) succeeds`, async () => {
        let page = 0;
        hub.on(GetFindingsCommand).callsFake(() => {
            page += 1;
            return { Findings: [{ ...findingFor(fixture("cw-waf-alarm")), Id: `${WAF_ALARM_ARN}/page-${page}` }], NextToken: page < MAX_ARCHIVE_PAGES ? `token-${page}` : undefined };
        });
        hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK);
        const result = await handleAlertEvent(fixture("cw-waf-ok"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log: recorder().log });
        assert.equal(result.outcomes[0].findingIds.length, MAX_ARCHIVE_PAGES);
    });
});

describeBoth("Security Hub finding: a bare SNS notification (replayed from the dead-letter queue)", () => {
    let hub: AwsClientStub<SecurityHubClient>;
    before(() => { hub = mockClient(SecurityHubClient); });
    afterEach(() => hub.reset());
    after(() => hub.restore());

    it("is read as one SNS envelope, the same as the Records form", () => {
        assert.deepEqual(envelopesOf(fixture("cw-waf-alarm-dlq")), envelopesOf(fixture("cw-waf-alarm")));
        assert.deepEqual(parseAlertEvent(fixture("cw-waf-alarm-dlq")), parseAlertEvent(fixture("cw-waf-alarm")));
    });

    it("files exactly the finding the Records form files (same Id: the replay updates it)", async () => {
        hub.on(BatchImportFindingsCommand).resolves(IMPORT_OK);
        const a = await handleAlertEvent(fixture("cw-waf-alarm"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log: recorder().log });
        const b = await handleAlertEvent(fixture("cw-waf-alarm-dlq"), clients(new SecurityHubClient({ region: REGION })), settings, { now: () => NOW, log: recorder().log });
        const [viaRecords, viaBare] = hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings);
        assert.deepEqual(viaBare, viaRecords);
        assert.deepEqual(b, a);
    });

    it("a bare notification whose Message is not a string, or not JSON, is an error naming it", async () => {
        const noMessage = { ...fixture("cw-waf-alarm-dlq"), Message: { AlarmName: "x" } };
        await assert.rejects(handleAlertEvent(noMessage, clients(new SecurityHubClient({ region: REGION })), settings, { log: recorder().log }),
            /SNS notification\.Message must be a string \(got an object with keys \[AlarmName\]\)/);
        const prose = { ...fixture("cw-waf-alarm-dlq"), Message: "ALARM: something happened" };
        await assert.rejects(handleAlertEvent(prose, clients(new SecurityHubClient({ region: REGION })), settings, { log: recorder().log }),
            /SNS message 3c1f0a2e-7d4b-5e6f-8a9b-0c1d2e3f4a5b from arn:aws:sns:us-east-1:123456789012:edge-anomaly-detection-dev-alerts is not JSON/);
        assert.equal(hub.calls().length, 0);
    });
});

/** An SNS fixture whose Message is replaced by `raw`. */
function editSnsRaw(name: string, raw: string): any {
    const ev = fixture(name);
    ev.Records[0].Sns.Message = raw;
    return ev;
}

describeBoth("Security Hub client behaviour against a local endpoint", () => {
    let server: http.Server;
    let port: number;
    let replies: { status: number; type?: string; body: unknown }[];
    let requests: { method?: string; url?: string; body: string }[];

    before(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                requests.push({ method: req.method, url: req.url, body });
                const reply = replies.shift() ?? { status: 500, type: "InternalException", body: { message: "no reply scripted" } };
                const headers: Record<string, string> = { "content-type": "application/json" };
                if (reply.type) headers["x-amzn-errortype"] = reply.type;
                res.writeHead(reply.status, headers);
                res.end(JSON.stringify(reply.body));
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
        replies = [];
        requests = [];
    });
    const client = () => new SecurityHubClient({
        ...securityHubClientConfig(REGION),
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });

    it(`the deployed client configs retry throttling (up to ${SECURITY_HUB_MAX_ATTEMPTS} attempts) with the project's quota-free strategy`, () => {
        for (const config of [securityHubClientConfig("eu-west-1"), cloudWatchClientConfig("eu-west-1")]) {
            assert.deepEqual({ ...config, retryStrategy: undefined }, { region: "eu-west-1", maxAttempts: SECURITY_HUB_MAX_ATTEMPTS, retryStrategy: undefined });
            assert.deepEqual(Object.keys(config.retryStrategy as object).sort(), ["acquireInitialRetryToken", "recordSuccess", "refreshRetryTokenForRetry"]);
        }
        assert.equal(CLOUDWATCH_MAX_ATTEMPTS, 5);
        assert.deepEqual(ALERT_RETRY, { maxAttempts: 5, throttlingBaseMs: 500, baseMs: 100, maxDelayMs: 20_000 });
    });

    // The SDK's standard strategy keeps a per-client quota (500 tokens, 5 per throttled retry): in a warm
    // container ~100 throttled retries leave every later call with ONE attempt. The deployed strategy has none.
    // Backoff bases of 1 ms keep this fast; everything else is the deployed strategy and client.
    const FAST: RetryOptions = { ...ALERT_RETRY, throttlingBaseMs: 1, baseMs: 1, maxDelayMs: 4 };
    const warmClient = () => new SecurityHubClient({
        ...securityHubClientConfig(REGION, FAST), endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });

    it("sustained throttling in one warm container: 300 throttled calls, and every later invocation still gets all 5 attempts", async () => {
        const throttled = { status: 429, type: "LimitExceededException", body: { message: "Rate exceeded" } };
        const hub = warmClient(); // one client for every invocation, as in one warm Lambda container
        const invocations = 60;
        for (let i = 0; i < invocations; i++) {
            replies.push(...Array(SECURITY_HUB_MAX_ATTEMPTS).fill(throttled));
            await assert.rejects(handleAlertEvent(fixture("cw-waf-alarm"), clients(hub), settings, { now: () => NOW, log: recorder().log }), /LimitExceededException: Rate exceeded/);
            assert.equal(requests.length, (i + 1) * SECURITY_HUB_MAX_ATTEMPTS, `invocation ${i + 1} made all ${SECURITY_HUB_MAX_ATTEMPTS} attempts`);
        }
        assert.equal(requests.length, 300, "300 throttled calls (240 retries: more than twice the SDK quota's 100)");
        // The throttling eases: the next invocation is throttled 4 times and filed on its 5th attempt.
        replies.push(...Array(SECURITY_HUB_MAX_ATTEMPTS - 1).fill(throttled), { status: 200, body: { FailedCount: 0, SuccessCount: 1, FailedFindings: [] } });
        const result = await handleAlertEvent(fixture("cw-waf-alarm"), clients(hub), settings, { now: () => NOW, log: recorder().log });
        assert.equal(requests.length, 300 + SECURITY_HUB_MAX_ATTEMPTS);
        assert.deepEqual(result.outcomes.map((o) => o.action), ["imported"]);
    });

    it("a client error is not retried by the deployed strategy either", async () => {
        replies.push({ status: 400, type: "InvalidInputException", body: { Message: "Invalid finding", Code: "InvalidInputException" } });
        await assert.rejects(handleAlertEvent(fixture("cw-waf-alarm"), clients(warmClient()), settings, { now: () => NOW, log: recorder().log }), /InvalidInputException/);
        assert.equal(requests.length, 1);
    });

    it("a throttled BatchImportFindings (429 LimitExceededException) is retried by the SDK and the finding is filed", async () => {
        replies.push({ status: 429, type: "LimitExceededException", body: { message: "Rate exceeded" } });
        replies.push({ status: 200, body: { FailedCount: 0, SuccessCount: 1, FailedFindings: [] } });
        const result = await handleAlertEvent(fixture("cw-waf-alarm"), clients(client()), settings, { now: () => NOW, log: recorder().log });
        assert.equal(requests.length, 2);
        assert.deepEqual(requests.map((r) => [r.method, r.url]), [["POST", "/findings/import"], ["POST", "/findings/import"]]);
        assert.equal(requests[0].body, requests[1].body, "the retry sends the same finding");
        assert.equal(JSON.parse(requests[1].body).Findings[0].Id, `${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`);
        assert.deepEqual(result.outcomes[0].findingIds, [`${WAF_ALARM_ARN}/2025-03-04T10:07:24.105Z`]);
    });

    it("an invalid request is not retried: the error surfaces at once", async () => {
        replies.push({ status: 400, type: "InvalidInputException", body: { Message: "Invalid finding", Code: "InvalidInputException" } });
        await assert.rejects(
            handleAlertEvent(fixture("cw-waf-alarm"), clients(client()), settings, { now: () => NOW, log: recorder().log }),
            /InvalidInputException/,
        );
        assert.equal(requests.length, 1);
    });
});

describeBoth("severity mapping", () => {
    it("L4M: the score is the normalized severity, labelled by ASFF's ranges", () => {
        const cases: [number, string, number][] = [[0, "INFORMATIONAL", 0], [0.4, "INFORMATIONAL", 0], [1, "LOW", 1], [39.4, "LOW", 39], [39.5, "MEDIUM", 40], [69, "MEDIUM", 69],
            [70, "HIGH", 70], [89.49, "HIGH", 89], [89.5, "CRITICAL", 90], [100, "CRITICAL", 100]];
        for (const [score, label, normalized] of cases) {
            assert.deepEqual([scoreSeverity(score).Label, scoreSeverity(score).Normalized], [label, normalized], `score ${score}`);
            assert.equal(labelForNormalized(normalized), label);
        }
    });

    it("CloudWatch: steps on the breach factor", () => {
        const cases: [number, string, number][] = [[1, "LOW", 30], [1.49, "LOW", 30], [1.5, "MEDIUM", 50], [2.99, "MEDIUM", 50], [3, "HIGH", 70], [9.99, "HIGH", 70], [10, "CRITICAL", 90], [1000, "CRITICAL", 90]];
        for (const [factor, label, normalized] of cases) assert.deepEqual([bandSeverity(factor).Label, bandSeverity(factor).Normalized], [label, normalized], `factor ${factor}`);
        assert.deepEqual(BAND_SEVERITY_STEPS.map((s) => s.minFactor), [10, 3, 1.5, 0]);
    });

    it("breach factor: value over upper edge, or lower edge over value, each floored at 1 unit", () => {
        assert.equal(strongestBreach([{ value: 412, upper: 38.5 }])!.factor, 412 / 38.5);
        assert.equal(strongestBreach([{ value: 3, upper: 0.4 }])!.factor, 3, "an edge near zero counts as 1");
        assert.equal(strongestBreach([{ value: 0.9, upper: 0.2 }])!.factor, 1, "below one unit on both sides: LOW");
        assert.equal(strongestBreach([{ value: 0, lower: 1000, upper: 3000 }])!.factor, 1000, "revenue falling to zero");
        assert.equal(strongestBreach([{ value: 50, lower: 10, upper: 100 }]), undefined, "inside the band");
        assert.equal(strongestBreach([{ value: 200, upper: 100 }, { value: 10, lower: 100 }])!.direction, "below", "the larger factor wins");
    });

    it("an order value's datapoints (x = mean ln(1 + order value)): value and edges become e^x - 1 before the factor, the stated datapoint kept as raw", () => {
        // x = ln(1 + 20) against the lower edge ln(1 + 38); x = 3.5 (32.12) against 3.6 (35.60) breaches less.
        const stated = [{ value: 3.044522, lower: 3.663562 }, { value: 3.5, lower: 3.6 }];
        const b = strongestBreach(stated, true)!;
        assert.deepEqual([b.direction, b.value.toFixed(2), b.lower!.toFixed(2), b.upper, b.factor.toFixed(2)], ["below", "20.00", "38.00", undefined, "1.90"]);
        assert.deepEqual(b.raw, stated[0], "the alarm's own numbers");
        assert.equal(strongestBreach(stated)!.factor.toFixed(2), "1.20", "unconverted: 3.663562 / 3.044522");
        assert.equal(strongestBreach(stated)!.raw, undefined);
    });
});

describeBoth("alarm notification parsing details", () => {
    it("reads datapoints and band edges from the three reason forms", () => {
        assert.deepEqual(parseBandReason("Thresholds Crossed: 1 out of the last 1 datapoints [239.0 (25/07/24 07:21:00)] was greater than the upper thresholds [225.71426732099445] (minimum 1 datapoint for OK -> ALARM transition)."),
            [{ value: 239, at: new Date("2024-07-25T07:21:00Z"), upper: 225.71426732099445 }]);
        assert.deepEqual(parseBandReason("Thresholds Crossed: 1 out of the last 3 datapoints [2.5E-4 (01/01/25 00:00:00)] was less than the lower thresholds [0.01] (minimum 1 datapoint for OK -> ALARM transition)."),
            [{ value: 0.00025, at: new Date("2025-01-01T00:00:00Z"), lower: 0.01 }]);
        assert.deepEqual(parseBandReason("Thresholds Crossed: 2 out of the last 2 datapoints [28.2 (22/11/19 00:57:00), 27.0 (22/11/19 00:52:00)] were less than the lower thresholds [31.7, 31.3] or greater than the upper thresholds [33.1, 32.7] (minimum 2 datapoints for OK -> ALARM transition)."),
            [{ value: 28.2, at: new Date("2019-11-22T00:57:00Z"), lower: 31.7, upper: 33.1 }, { value: 27, at: new Date("2019-11-22T00:52:00Z"), lower: 31.3, upper: 32.7 }]);
        assert.equal(parseBandReason("Unchecked: Initial alarm creation"), undefined);
    });

    it("follows metric math to the raw metric (FILL → MetricStat) and reads the band width", () => {
        const trig = JSON.parse(fixture("cw-waf-alarm").Records[0].Sns.Message).Trigger;
        const band = anomalyBand(trig)!;
        assert.deepEqual(band, { metricId: "filled", width: 2, expression: "ANOMALY_DETECTION_BAND(filled, 2)" });
        const m = alarmMetric(trig, band)!;
        assert.deepEqual([m.namespace, m.metricName, m.stat, m.via], ["AWS/WAFV2", "BlockedRequests", "Sum", ["FILL(blocked, 0)"]]);
        assert.equal(anomalyBand({ ...trig, ComparisonOperator: "GreaterThanThreshold" }), undefined, "a static operator is not an anomaly alarm");
        assert.equal(anomalyBand({ ...trig, Metrics: [{ Id: "ad", Expression: "ANOMALY_DETECTION_BAND(m1)" }] })!.width, 2, "width defaults to 2");
    });

    it("a band on a ratio: `m1 / m2`, `m1 / IF(m2 >= n, m2, 0)` or `m1 / IF(m2 >= n AND FILL(m1, -1) >= 0, m2, 0)`; OrderValueLog / Checkouts in the ecommerce namespace is the order value, nothing else", () => {
        const stat = (id: string, name: string, ns = "EdgeAnomaly/Ecommerce") => ({ Id: id, MetricStat: { Metric: { Namespace: ns, MetricName: name, Dimensions: [{ name: "Stack", value: "dev" }] }, Period: 60, Stat: "Sum" } });
        const trigger = (num: string, e1: string, ns?: string) => ({
            ComparisonOperator: "LessThanLowerThreshold", ThresholdMetricId: "ad1",
            Metrics: [stat("m1", num, ns), stat("m2", "Checkouts", ns), { Id: "e1", Expression: e1 }, { Id: "ad1", Expression: "ANOMALY_DETECTION_BAND(e1, 3)" }],
        });
        const ratioOf = (t: ReturnType<typeof trigger>) => alarmMetric(t, anomalyBand(t))?.ratio;
        assert.deepEqual(ratioOf(trigger("OrderValueLog", "m1 / m2")), { expression: "m1 / m2", denominator: "Checkouts", logOrderValue: true });
        assert.deepEqual(ratioOf(trigger("OrderValueLog", "m1 / IF(m2 >= 4, m2, 0)")), { expression: "m1 / IF(m2 >= 4, m2, 0)", denominator: "Checkouts", logOrderValue: true });
        // the planned form: a period needs n checkouts and an OrderValueLog datapoint (components/cloudwatchDetection.ts orderValueExpression)
        assert.deepEqual(ratioOf(trigger("OrderValueLog", "m1 / IF(m2 >= 5 AND FILL(m1, -1) >= 0, m2, 0)")), { expression: "m1 / IF(m2 >= 5 AND FILL(m1, -1) >= 0, m2, 0)", denominator: "Checkouts", logOrderValue: true });
        assert.equal(ratioOf(trigger("OrderValueLog", "m1 / IF(m2 >= 5 AND FILL(m2, -1) >= 0, m2, 0)")), undefined, "the presence guard is on the numerator");
        assert.equal(ratioOf(trigger("Revenue", "m1 / m2"))!.logOrderValue, false, "Revenue / Checkouts is another ratio");
        assert.equal(ratioOf(trigger("OrderValueLog", "m1 / m2", "App/Shop"))!.logOrderValue, false, "outside the ecommerce namespace");
        assert.equal(ratioOf(trigger("OrderValueLog", "m1 / IF(m2 >= 4, m1, 0)")), undefined, "a guard on another series is not a ratio of m1 and m2");
        assert.equal(ratioOf(trigger("OrderValueLog", "m1 * m2")), undefined);
    });

    it("accepts the API's Name/Value dimension spelling too", () => {
        const ev = editSns("cw-ecommerce-alarm", (m) => {
            m.Trigger.Metrics[0].MetricStat.Metric.Dimensions = [{ Name: "Stack", Value: "dev" }, { Name: "Marketplace", Value: "UK" }];
        });
        assert.equal(findingFor(ev).Title, "Ecommerce Revenue anomaly below the expected band: Marketplace=UK");
    });

    it("rejects impossible dates and times instead of rolling them forward (Date turns 2025-02-30 into March 2nd)", () => {
        for (const bad of ["2025-02-30T10:00:00.000+0000", "2025-02-29T10:00:00.000+0000", "2025-04-31T10:00:00.000+0000", "2025-13-01T10:00:00.000+0000",
            "2025-00-10T10:00:00.000+0000", "2025-03-00T10:00:00.000+0000", "2025-03-04T24:00:00.000+0000", "2025-03-04T10:60:00.000+0000",
            "2025-03-04T10:00:60.000+0000", "2025-03-04T10:00:00.000+2400", "2025-03-04T10:00:00.000+0060"]) {
            assert.throws(() => parseAlarmTime(bad, "StateChangeTime"), (e: Error) => e.name === ALERT_PARSE_ERROR && e.message.includes(`(got string "${bad}")`), bad);
        }
        for (const bad of ["2025-02-30T10:00Z[UTC]", "2023-02-29T04:25:00+05:30[Asia/Kolkata]", "2025-06-31T00:00Z", "2025-03-04T25:00Z[UTC]"]) {
            assert.throws(() => parseL4mTimestamp(bad), (e: Error) => e.name === ALERT_PARSE_ERROR && /must be a time like/.test(e.message), bad);
        }
        // The real edges stay valid: a leap day, month ends, the last second of a day.
        assert.equal(parseAlarmTime("2024-02-29T23:59:59.999+0000", "t").toISOString(), "2024-02-29T23:59:59.999Z");
        assert.equal(parseAlarmTime("2000-02-29T00:00:00.000+0000", "t").toISOString(), "2000-02-29T00:00:00.000Z");
        assert.throws(() => parseAlarmTime("1900-02-29T00:00:00.000+0000", "t"), /must be a time like/, "1900 is not a leap year");
        assert.equal(parseL4mTimestamp("2025-04-30T23:59Z[UTC]").instant.toISOString(), "2025-04-30T23:59:00.000Z");
    });

    it("an alarm notification or L4M alert with an impossible date is rejected as an invocation error, naming it", async () => {
        const alarm = editSns("cw-waf-alarm", (m) => { m.StateChangeTime = "2025-02-30T10:07:24.105+0000"; });
        await assert.rejects(handleAlertEvent(alarm, clients({ send: async () => assert.fail("nothing is sent") } as never), settings, { log: recorder().log }),
            /StateChangeTime must be a time like 2023-03-07T10:44:24\.105\+0000 \(got string "2025-02-30T10:07:24\.105\+0000"\)/);
        const l4m = { ...fixture("l4m-lambda-waf"), timestamp: "2025-02-30T10:05Z[UTC]" };
        await assert.rejects(handleAlertEvent(l4m, clients({ send: async () => assert.fail("nothing is sent") } as never), settings, { log: recorder().log }),
            /L4M alert: timestamp must be a time like 2021-02-17T11:00Z\[UTC\] \(got string "2025-02-30T10:05Z\[UTC\]"\)/);
    });

    it("parses the time formats: L4M bracketed zones, CloudWatch +0000", () => {
        assert.deepEqual(parseL4mTimestamp("2021-02-14T04:00Z[Atlantic/St_Helena]"), { instant: new Date("2021-02-14T04:00:00Z"), zone: "Atlantic/St_Helena" });
        assert.deepEqual(parseL4mTimestamp("2021-02-17T11:00Z"), { instant: new Date("2021-02-17T11:00:00Z"), zone: undefined });
        assert.equal(parseL4mTimestamp("2022-01-15T04:25:00+05:30[Asia/Kolkata]").instant.toISOString(), "2022-01-14T22:55:00.000Z");
        assert.equal(parseAlarmTime("2023-03-07T10:44:24.105+0000", "t").toISOString(), "2023-03-07T10:44:24.105Z");
        assert.equal(parseAlarmTime("2023-03-07T10:44:24.105123+0200", "t").toISOString(), "2023-03-07T08:44:24.105Z");
        assert.throws(() => parseL4mTimestamp("2021-02-30T25:00Z[UTC]"), (e: Error) => e.name === ALERT_PARSE_ERROR && /must be a time like/.test(e.message));
    });

    it("tells the deliveries apart", () => {
        assert.deepEqual(envelopesOf(fixture("l4m-lambda-waf")).map((e) => e.delivery), ["lambda"]);
        assert.deepEqual(parseAlertEvent(fixture("l4m-sns-ecommerce")).map((p) => [p.kind, p.delivery]), [["lookout", "sns"]]);
        assert.deepEqual(parseAlertEvent(fixture("cw-waf-ok")).map((p) => [p.kind, p.delivery]), [["cloudwatch", "sns"]]);
    });
});

describeBoth("finding settings from the environment", () => {
    const env = { FINDING_ACCOUNT_ID: ACCOUNT, FINDING_REGION: REGION, FINDING_PARTITION: "aws", FINDING_PRODUCT_ARN: settings.productArn };

    it("reads them, with the optional web ACL ARN and ecommerce stream ARN", () => {
        assert.deepEqual(findingSettingsFromEnv(env), { ...settings, webAclArn: undefined, ecommerceStreamArn: undefined, peopleTopicArn: undefined, dashboardUrl: undefined });
        assert.equal(findingSettingsFromEnv({ ...env, WEB_ACL_ARN: "arn:aws:wafv2:x" }).webAclArn, "arn:aws:wafv2:x");
        assert.equal(findingSettingsFromEnv({ ...env, ECOMMERCE_STREAM_ARN: ` ${STREAM_ARN} ` }).ecommerceStreamArn, STREAM_ARN);
        assert.equal(findingSettingsFromEnv({ ...env, ECOMMERCE_STREAM_ARN: "  " }).ecommerceStreamArn, undefined, "blank is none, not an error");
    });

    it("refuses an ecommerce stream ARN that is not a Kinesis data stream of this account", () => {
        for (const bad of [`arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/x`, "events", `arn:aws:kinesis:${REGION}:210987654321:stream/events`]) {
            assert.throws(() => findingSettingsFromEnv({ ...env, ECOMMERCE_STREAM_ARN: bad }),
                new RegExp(`ECOMMERCE_STREAM_ARN ${bad.replace(/[/.]/g, "\\$&")} is not a Kinesis data stream ARN of account 123456789012`), bad);
        }
    });

    it("refuses a product ARN that is not this account's default product", () => {
        assert.throws(() => findingSettingsFromEnv({ ...env, FINDING_PRODUCT_ARN: `arn:aws:securityhub:${REGION}::product/aws/guardduty` }),
            /FINDING_PRODUCT_ARN .* is not this account's default product \(arn:aws:securityhub:us-east-1:123456789012:product\/123456789012\/default\)/);
        assert.throws(() => findingSettingsFromEnv({ ...env, FINDING_ACCOUNT_ID: "12345" }), /is not a 12-digit account id/);
        assert.throws(() => findingSettingsFromEnv({ ...env, FINDING_REGION: " " }), /FINDING_REGION is not set/);
    });

    it("bounds product fields: drops empty values, truncates long keys and values", () => {
        const pf = boundedProductFields([["a", ""], ["b", undefined], ["c", 0], ["k".repeat(200), "v".repeat(3000)]]);
        assert.deepEqual(Object.keys(pf).map((k) => k.length), [1, 128]);
        assert.equal(pf.c, "0");
        assert.equal(Object.values(pf)[1].length, 2048);
    });
});
