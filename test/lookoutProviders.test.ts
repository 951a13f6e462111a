// The Lookout for Metrics dynamic providers, exercised as the engine would call them (check/diff/create/update/
// read/delete on the real provider objects), with the AWS SDK stubbed by aws-sdk-client-mock (it patches the
// client class, so the clients the providers create inside each method are stubbed too) and a fake clock for the
// polling. Every request any test sends is checked against the L4M API model (test/fixtures/lookout).
import { strict as assert } from "assert";
import {
    ActivateAnomalyDetectorCommand,
    BackTestAnomalyDetectorCommand,
    ConflictException,
    CreateAlertCommand,
    CreateAnomalyDetectorCommand,
    CreateMetricSetCommand,
    DeactivateAnomalyDetectorCommand,
    DeleteAlertCommand,
    DeleteAnomalyDetectorCommand,
    DescribeAlertCommand,
    DescribeAnomalyDetectorCommand,
    DescribeMetricSetCommand,
    ListTagsForResourceCommand,
    LookoutMetricsClient,
    ResourceNotFoundException,
    TagResourceCommand,
    UpdateAlertCommand,
    UpdateAnomalyDetectorCommand,
    UpdateMetricSetCommand,
    ValidationException,
    AccessDeniedException,
} from "@aws-sdk/client-lookoutmetrics";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";

import {
    AlertInputs, AlertOutputs, alertProvider, AnomalyDetectorInputs, AnomalyDetectorOutputs, anomalyDetectorProvider,
    DetectorActivationInputs, DetectorActivationOutputs, detectorActivationProvider, LOOKOUT_PROVIDER_VERSION, OWNER_TAG, ProviderOptions, UNKNOWN,
} from "../providers/lookout";
import { templatedPath, historicalPath, TIMESTAMP_COLUMN, TIMESTAMP_FORMAT } from "../model/ecommerceSchema";
import { assertValidRequests, operationOf, SentCommand, validateRequest } from "./fixtures/lookout/apiModel";
import { alreadyExists, EngineState, engineUp, FakeLookout, PROVIDER_MARKER, serverError } from "./fixtures/lookout/fakeLookout";
import { artifactsOf, forBothArtifacts, loadSerializedProvider, serializedProviderText } from "./serialized";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const WAF_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:edge-dev-waf`;
const WAF_MS_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:MetricSet/edge-dev-waf/edge-dev-waf-blocked`;
const ECOM_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:AnomalyDetector:edge-dev-ecommerce`;
const ECOM_MS_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:MetricSet/edge-dev-ecommerce/edge-dev-ecommerce-rows`;
const SNS_ALERT_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:Alert:edge-dev-waf-sns`;
const LAMBDA_ALERT_ARN = `arn:aws:lookoutmetrics:${REGION}:${ACCOUNT}:Alert:edge-dev-waf-lambda`;
const CW_ROLE = `arn:aws:iam::${ACCOUNT}:role/l4m-cloudwatch`;
const S3_ROLE = `arn:aws:iam::${ACCOUNT}:role/l4m-s3`;
const SNS_ROLE = `arn:aws:iam::${ACCOUNT}:role/l4m-sns`;
const LAMBDA_ROLE = `arn:aws:iam::${ACCOUNT}:role/l4m-lambda`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:edge-dev-alerts`;
const FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:edge-dev-finding`;
const BUCKET = "edge-dev-ecommerce-abc123";
const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OWNER = "edge-anomaly-detection/dev";
const OWNER_TAGS = { [OWNER_TAG]: OWNER };
const KMS_KEY_2 = `arn:aws:kms:${REGION}:${ACCOUNT}:key/9876fedc-98fe-76dc-54ba-0987654321fe`;

const wafInputs = (): AnomalyDetectorInputs => ({
    providerVersion: LOOKOUT_PROVIDER_VERSION,
    region: REGION,
    name: "edge-dev-waf",
    description: "WAF BlockedRequests per rule",
    frequency: "PT5M",
    tags: { app: "edge-anomaly-detection", stack: "dev" },
    owner: OWNER,
    metricSet: {
        name: "edge-dev-waf-blocked",
        description: "AWS/WAFV2 BlockedRequests by Region, Rule, WebACL",
        metrics: [{ name: "BlockedRequests", aggregation: "SUM", namespace: "AWS/WAFV2" }],
        dimensions: ["Region", "Rule", "WebACL"],
        dimensionFilters: [
            { name: "WebACL", values: ["edge-dev-acl"] },
            { name: "Rule", values: ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet"] },
        ],
        source: { type: "cloudwatch", roleArn: CW_ROLE },
    },
});

const ecommerceInputs = (): AnomalyDetectorInputs => ({
    providerVersion: LOOKOUT_PROVIDER_VERSION,
    region: REGION,
    name: "edge-dev-ecommerce",
    description: "Ecommerce views, carts, checkouts and revenue",
    frequency: "PT10M",
    owner: OWNER,
    metricSet: {
        name: "edge-dev-ecommerce-rows",
        description: "JSON Lines rows written by the Firehose transform",
        metrics: ["views", "carts", "checkouts", "revenue"].map((name) => ({ name, aggregation: "SUM" as const })),
        dimensions: ["platform", "marketplace"],
        source: {
            type: "s3",
            roleArn: S3_ROLE,
            templatedPath: templatedPath(BUCKET),
            historicalPath: historicalPath(BUCKET),
            fileFormat: { type: "json", compression: "GZIP", charset: "UTF-8" },
        },
        timestampColumn: { name: TIMESTAMP_COLUMN, format: TIMESTAMP_FORMAT },
        offsetSeconds: 120,
    },
});

const snsAlertInputs = (): AlertInputs => ({
    providerVersion: LOOKOUT_PROVIDER_VERSION,
    region: REGION,
    name: "edge-dev-waf-sns",
    detectorArn: WAF_ARN,
    description: "Anomalies in WAF BlockedRequests to the alert topic",
    sensitivityThreshold: 70,
    action: { type: "sns", roleArn: SNS_ROLE, topicArn: TOPIC, format: "JSON" },
    owner: OWNER,
});

const lambdaAlertInputs = (): AlertInputs => ({
    providerVersion: LOOKOUT_PROVIDER_VERSION,
    region: REGION,
    name: "edge-dev-waf-lambda",
    detectorArn: WAF_ARN,
    description: "Anomalies in WAF BlockedRequests to Security Hub",
    sensitivityThreshold: 70,
    action: { type: "lambda", roleArn: LAMBDA_ROLE, functionArn: FUNCTION },
    owner: OWNER,
});

const activationInputs = (over: Partial<DetectorActivationInputs> = {}): DetectorActivationInputs => ({
    providerVersion: LOOKOUT_PROVIDER_VERSION,
    region: REGION,
    detectorArn: WAF_ARN,
    timeoutSeconds: 900,
    mode: "live",
    ...over,
});

/** A clock whose sleeps advance time instantly, recording each wait. */
function fakeClock(pollIntervalMs = 10_000): ProviderOptions & { sleeps: number[] } {
    let t = 1_700_000_000_000;
    const sleeps: number[] = [];
    return {
        pollIntervalMs,
        sleeps,
        now: () => t,
        sleep: async (ms: number) => {
            sleeps.push(ms);
            t += ms;
        },
    };
}

const notFound = (id: string) => new ResourceNotFoundException({ message: `${id} not found`, Message: `${id} not found`, $metadata: {}, ResourceId: id });
const conflict = (msg: string) => new ConflictException({ message: msg, Message: msg, $metadata: {} });

describe("Lookout for Metrics dynamic providers", function () {
    // Stubbed while this file runs only (not from load time), so other files can use a real client.
    let lm: AwsClientStub<LookoutMetricsClient>;
    before(() => {
        lm = mockClient(LookoutMetricsClient);
    });

    const sent = (): SentCommand[] => lm.calls().map((c) => c.args[0] as unknown as SentCommand);
    const ops = (): string[] => sent().map(operationOf);
    const inputsOf = (op: string): unknown[] => sent().filter((c) => operationOf(c) === op).map((c) => c.input);

    beforeEach(() => lm.reset());
    afterEach(function () {
        // Every request of every test must be one the service would accept.
        if (this.currentTest?.state === "passed") assertValidRequests(sent());
    });
    after(() => lm.restore());

    describe("the API model check itself", () => {
        it("accepts a valid request and reports missing, unknown, enum, length and pattern problems", () => {
            assert.deepEqual(validateRequest("ActivateAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }), []);
            const problems = validateRequest("CreateAlert", {
                AlertName: "-bad name",
                AlertSensitivityThreshold: 101,
                AnomalyDetectorArn: WAF_ARN,
                Action: { SNSConfiguration: { RoleArn: SNS_ROLE, SnsTopicArn: TOPIC, SnsFormat: "XML" } },
                Colour: "red",
            });
            assert.ok(problems.some((p) => /AlertName.*does not match/.test(p)), problems.join("\n"));
            assert.ok(problems.some((p) => /AlertSensitivityThreshold: 101 above 100/.test(p)), problems.join("\n"));
            assert.ok(problems.some((p) => /SnsFormat: "XML" is not one of/.test(p)), problems.join("\n"));
            assert.ok(problems.some((p) => /Colour: not a member/.test(p)), problems.join("\n"));
            assert.ok(validateRequest("CreateAnomalyDetector", { AnomalyDetectorName: "x" }).some((p) => /AnomalyDetectorConfig: required/.test(p)));
            assert.ok(validateRequest("CreateAnomalyDetector", {
                AnomalyDetectorName: "x".repeat(64), AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT5M" },
            }).some((p) => /longer than 63/.test(p)));
            assert.ok(validateRequest("CreateMetricSet", {
                AnomalyDetectorArn: WAF_ARN, MetricSetName: "m", MetricList: [], MetricSource: {},
            }).some((p) => /MetricList: fewer than 1 items/.test(p)));
        });

        it("the pipeline's templated and historical paths are valid L4M paths", () => {
            const req = { S3SourceConfig: { RoleArn: S3_ROLE, TemplatedPathList: [templatedPath(BUCKET)], HistoricalDataPathList: [historicalPath(BUCKET)] } };
            assert.deepEqual(validateRequest("UpdateMetricSet", { MetricSetArn: ECOM_MS_ARN, MetricSource: req }), []);
        });
    });

    // The lifecycle tests run twice: against the provider factories as written, and against their serialized
    // copy (test/serialized.ts: the closure text Pulumi produces, loaded as a fresh module). Each test builds its
    // providers through P, so the serialized run executes every provider method from the serialized text while
    // the test still injects its own clock.
    const factories = () => ({ anomalyDetectorProvider, alertProvider, detectorActivationProvider });
    forBothArtifacts("lifecycle", artifactsOf<ReturnType<typeof factories>>(factories, { factory: true, name: "lookout-provider-factories" }), (get) => {
        const P = {
            anomalyDetectorProvider: (o?: ProviderOptions) => get().anomalyDetectorProvider(o),
            alertProvider: (o?: ProviderOptions) => get().alertProvider(o),
            detectorActivationProvider: (o?: ProviderOptions) => get().detectorActivationProvider(o),
        };
        describe("create: detector → metric set → activate → wait → alerts", () => {
            it("sends exactly these requests, in this order, and waits while ACTIVATING", async () => {
                const clock = fakeClock();
                lm.on(CreateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: WAF_ARN });
                lm.on(CreateMetricSetCommand).resolves({ MetricSetArn: WAF_MS_ARN });
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ AnomalyDetectorArn: WAF_ARN, Status: "INACTIVE" })
                    .resolvesOnce({ AnomalyDetectorArn: WAF_ARN, Status: "ACTIVATING" })
                    .resolves({ AnomalyDetectorArn: WAF_ARN, Status: "LEARNING" });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                lm.on(CreateAlertCommand, { AlertName: "edge-dev-waf-sns" }).resolves({ AlertArn: SNS_ALERT_ARN });
                lm.on(CreateAlertCommand, { AlertName: "edge-dev-waf-lambda" }).resolves({ AlertArn: LAMBDA_ALERT_ARN });

                const detector = await P.anomalyDetectorProvider(clock).create(wafInputs());
                const activation = await P.detectorActivationProvider(clock).create(activationInputs({ detectorArn: detector.id }));
                const sns = await P.alertProvider(clock).create(snsAlertInputs());
                const fn = await P.alertProvider(clock).create(lambdaAlertInputs());

                assert.deepEqual(ops(), [
                    "CreateAnomalyDetector", "CreateMetricSet",
                    "DescribeAnomalyDetector", "ActivateAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector",
                    "CreateAlert", "CreateAlert",
                ]);
                assert.deepEqual(sent().map((c) => c.input), [
                    {
                        AnomalyDetectorName: "edge-dev-waf",
                        AnomalyDetectorDescription: "WAF BlockedRequests per rule",
                        AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT5M" },
                        KmsKeyArn: undefined,
                        Tags: { app: "edge-anomaly-detection", stack: "dev", ...OWNER_TAGS },
                    },
                    {
                        AnomalyDetectorArn: WAF_ARN,
                        MetricSetName: "edge-dev-waf-blocked",
                        MetricSetDescription: "AWS/WAFV2 BlockedRequests by Region, Rule, WebACL",
                        MetricList: [{ MetricName: "BlockedRequests", AggregationFunction: "SUM", Namespace: "AWS/WAFV2" }],
                        DimensionList: ["Region", "Rule", "WebACL"],
                        DimensionFilterList: [
                            { Name: "WebACL", FilterList: [{ DimensionValue: "edge-dev-acl", FilterOperation: "EQUALS" }] },
                            {
                                Name: "Rule",
                                FilterList: [
                                    { DimensionValue: "RateLimitPerClientIp", FilterOperation: "EQUALS" },
                                    { DimensionValue: "AWSManagedRulesCommonRuleSet", FilterOperation: "EQUALS" },
                                ],
                            },
                        ],
                        MetricSetFrequency: "PT5M",
                        MetricSource: { CloudWatchConfig: { RoleArn: CW_ROLE } },
                        TimestampColumn: undefined,
                        Offset: undefined,
                        Tags: { app: "edge-anomaly-detection", stack: "dev", ...OWNER_TAGS },
                    },
                    { AnomalyDetectorArn: WAF_ARN },
                    { AnomalyDetectorArn: WAF_ARN },
                    { AnomalyDetectorArn: WAF_ARN },
                    { AnomalyDetectorArn: WAF_ARN },
                    {
                        AlertName: "edge-dev-waf-sns",
                        AlertDescription: "Anomalies in WAF BlockedRequests to the alert topic",
                        AlertSensitivityThreshold: 70,
                        AnomalyDetectorArn: WAF_ARN,
                        Action: { SNSConfiguration: { RoleArn: SNS_ROLE, SnsTopicArn: TOPIC, SnsFormat: "JSON" } },
                        AlertFilters: undefined,
                        Tags: OWNER_TAGS,
                    },
                    {
                        AlertName: "edge-dev-waf-lambda",
                        AlertDescription: "Anomalies in WAF BlockedRequests to Security Hub",
                        AlertSensitivityThreshold: 70,
                        AnomalyDetectorArn: WAF_ARN,
                        Action: { LambdaConfiguration: { RoleArn: LAMBDA_ROLE, LambdaArn: FUNCTION } },
                        AlertFilters: undefined,
                        Tags: OWNER_TAGS,
                    },
                ]);
                // Two waits of one poll interval: after Activate (INACTIVE) and while ACTIVATING.
                assert.deepEqual(clock.sleeps, [10_000, 10_000]);

                assert.equal(detector.id, WAF_ARN);
                assert.deepEqual(detector.outs, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN });
                assert.equal(activation.id, WAF_ARN);
                assert.equal(activation.outs?.status, "LEARNING");
                assert.equal(sns.id, SNS_ALERT_ARN);
                assert.equal(fn.id, LAMBDA_ALERT_ARN);
                assert.deepEqual(fn.outs, { ...lambdaAlertInputs(), arn: LAMBDA_ALERT_ARN });
            });

            it("S3 metric set: templated + historical paths, JSON Lines descriptor, timestamp column, offset", async () => {
                lm.on(CreateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: ECOM_ARN });
                lm.on(CreateMetricSetCommand).resolves({ MetricSetArn: ECOM_MS_ARN });
                await P.anomalyDetectorProvider(fakeClock()).create(ecommerceInputs());
                assert.deepEqual(inputsOf("CreateAnomalyDetector"), [{
                    AnomalyDetectorName: "edge-dev-ecommerce",
                    AnomalyDetectorDescription: "Ecommerce views, carts, checkouts and revenue",
                    AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT10M" },
                    KmsKeyArn: undefined,
                    Tags: OWNER_TAGS,
                }]);
                assert.deepEqual(inputsOf("CreateMetricSet"), [{
                    AnomalyDetectorArn: ECOM_ARN,
                    MetricSetName: "edge-dev-ecommerce-rows",
                    MetricSetDescription: "JSON Lines rows written by the Firehose transform",
                    MetricList: [
                        { MetricName: "views", AggregationFunction: "SUM", Namespace: undefined },
                        { MetricName: "carts", AggregationFunction: "SUM", Namespace: undefined },
                        { MetricName: "checkouts", AggregationFunction: "SUM", Namespace: undefined },
                        { MetricName: "revenue", AggregationFunction: "SUM", Namespace: undefined },
                    ],
                    DimensionList: ["platform", "marketplace"],
                    DimensionFilterList: undefined,
                    MetricSetFrequency: "PT10M",
                    MetricSource: {
                        S3SourceConfig: {
                            RoleArn: S3_ROLE,
                            TemplatedPathList: [`s3://${BUCKET}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`],
                            HistoricalDataPathList: [`s3://${BUCKET}/ecommerce/historical/`],
                            FileFormatDescriptor: { JsonFormatDescriptor: { FileCompression: "GZIP", Charset: "UTF-8" } },
                        },
                    },
                    TimestampColumn: { ColumnName: "timestamp", ColumnFormat: "yyyy-MM-dd HH:mm:ss" },
                    Offset: 120,
                    Tags: OWNER_TAGS,
                }]);
            });

            it("without historical data the S3 source has no HistoricalDataPathList", async () => {
                lm.on(CreateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: ECOM_ARN });
                lm.on(CreateMetricSetCommand).resolves({ MetricSetArn: ECOM_MS_ARN });
                const i = ecommerceInputs();
                delete (i.metricSet.source as { historicalPath?: string }).historicalPath;
                await P.anomalyDetectorProvider(fakeClock()).create(i);
                const req = inputsOf("CreateMetricSet")[0] as { MetricSource: { S3SourceConfig: Record<string, unknown> } };
                assert.equal(req.MetricSource.S3SourceConfig.HistoricalDataPathList, undefined);
            });

            it("a rejected metric set removes the detector again and surfaces the error", async () => {
                const clock = fakeClock();
                lm.on(CreateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: WAF_ARN });
                lm.on(CreateMetricSetCommand).rejects(new ValidationException({ message: "Dimension WebACL not found", Message: "Dimension WebACL not found", $metadata: {} }));
                lm.on(DeleteAnomalyDetectorCommand).resolves({});
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "DELETING" }).rejects(notFound(WAF_ARN));
                await assert.rejects(P.anomalyDetectorProvider(clock).create(wafInputs()), /Dimension WebACL not found/);
                assert.deepEqual(ops(), ["CreateAnomalyDetector", "CreateMetricSet", "DeleteAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector"]);
            });

            it("retries a create the service rejects because a new role has not propagated yet", async () => {
                const clock = fakeClock(5_000);
                const msg = "Lookout for Metrics is unable to assume the role " + SNS_ROLE;
                lm.on(CreateAlertCommand)
                    .rejectsOnce(new ValidationException({ message: msg, Message: msg, $metadata: {} }))
                    .resolves({ AlertArn: SNS_ALERT_ARN });
                const res = await P.alertProvider(clock).create(snsAlertInputs());
                assert.equal(res.id, SNS_ALERT_ARN);
                assert.deepEqual(ops(), ["CreateAlert", "CreateAlert"]);
                assert.deepEqual(clock.sleeps, [5_000]);
            });

            it("does not retry other failures", async () => {
                lm.on(CreateAlertCommand).rejects(new AccessDeniedException({ message: "not authorized to perform lookoutmetrics:CreateAlert", Message: "x", $metadata: {} }));
                await assert.rejects(P.alertProvider(fakeClock()).create(snsAlertInputs()), /not authorized/);
                assert.deepEqual(ops(), ["CreateAlert"]);
            });
        });

        describe("activation", () => {
            for (const status of ["ACTIVE", "LEARNING"]) {
                it(`is idempotent: a ${status} detector gets no Activate call and no wait`, async () => {
                    const clock = fakeClock();
                    lm.on(DescribeAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: WAF_ARN, Status: status as "ACTIVE" });
                    const p = P.detectorActivationProvider(clock);
                    const created = await p.create(activationInputs());
                    const updated = await p.update!(WAF_ARN, created.outs as DetectorActivationOutputs, activationInputs({ timeoutSeconds: 600 }));
                    assert.deepEqual(ops(), ["DescribeAnomalyDetector", "DescribeAnomalyDetector"]);
                    assert.deepEqual(clock.sleeps, []);
                    assert.equal(created.outs?.status, status);
                    assert.equal(updated.outs?.timeoutSeconds, 600);
                });
            }

            it("fails after the timeout, naming the detector and its last status", async () => {
                const clock = fakeClock();
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "INACTIVE" }).resolves({ Status: "ACTIVATING" });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                await assert.rejects(
                    P.detectorActivationProvider(clock).create(activationInputs({ timeoutSeconds: 60 })),
                    (err: Error) => {
                        assert.match(err.message, /Timed out after 60 s/);
                        assert.match(err.message, /"edge-dev-waf"/);
                        assert.match(err.message, new RegExp(WAF_ARN));
                        assert.match(err.message, /ACTIVE or LEARNING; last status: ACTIVATING/);
                        assert.match(err.message, /detection\.activationTimeoutSeconds/);
                        return true;
                    },
                );
                // Activated once, then polled every 10 s until 60 s had passed.
                assert.equal(inputsOf("ActivateAnomalyDetector").length, 1);
                assert.equal(inputsOf("DescribeAnomalyDetector").length, 7);
                assert.deepEqual(clock.sleeps, Array(6).fill(10_000));
            });

            it("a detector that fails after Activate fails the deployment with the service's reason", async () => {
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "INACTIVE" })
                    .resolvesOnce({ Status: "ACTIVATING" })
                    .resolves({ Status: "FAILED", FailureType: "ACTIVATION_FAILURE", FailureReason: "Access denied to cloudwatch:GetMetricData" });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                await assert.rejects(
                    P.detectorActivationProvider(fakeClock()).create(activationInputs()),
                    /"edge-dev-waf" .* failed to activate \(ACTIVATION_FAILURE: Access denied to cloudwatch:GetMetricData\)/,
                );
                assert.equal(inputsOf("ActivateAnomalyDetector").length, 1);
            });

            it("re-activates a detector that FAILED or was DEACTIVATED before", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "DEACTIVATED" }).resolves({ Status: "ACTIVE" });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                await P.detectorActivationProvider(fakeClock()).create(activationInputs());
                assert.deepEqual(ops(), ["DescribeAnomalyDetector", "ActivateAnomalyDetector", "DescribeAnomalyDetector"]);
            });

            it("keeps polling when Activate conflicts with a change already under way", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "INACTIVE" }).resolves({ Status: "LEARNING" });
                lm.on(ActivateAnomalyDetectorCommand).rejects(conflict("Detector is being activated"));
                const res = await P.detectorActivationProvider(fakeClock()).create(activationInputs());
                assert.equal(res.outs?.status, "LEARNING");
            });

            it("refuses to put a back-tested detector live", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolves({ Status: "BACK_TEST_COMPLETE" });
                await assert.rejects(P.detectorActivationProvider(fakeClock()).create(activationInputs()), /was used for a backtest .* cannot monitor live data/);
                assert.equal(inputsOf("ActivateAnomalyDetector").length, 0);
            });

            it("mode backtest: BackTestAnomalyDetector, then waits for BACK_TEST_ACTIVE", async () => {
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "INACTIVE" })
                    .resolvesOnce({ Status: "BACK_TEST_ACTIVATING" })
                    .resolves({ Status: "BACK_TEST_ACTIVE" });
                lm.on(BackTestAnomalyDetectorCommand).resolves({});
                const res = await P.detectorActivationProvider(fakeClock()).create(activationInputs({ mode: "backtest" }));
                assert.deepEqual(ops(), ["DescribeAnomalyDetector", "BackTestAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector"]);
                assert.equal(res.outs?.status, "BACK_TEST_ACTIVE");
            });

            it("read reports the real status; a deactivated detector shows as drift that update repairs", async () => {
                const p = P.detectorActivationProvider(fakeClock());
                const state: DetectorActivationOutputs = { ...activationInputs(), status: "ACTIVE" };
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "DEACTIVATED" }).resolvesOnce({ Status: "DEACTIVATED" }).resolves({ Status: "ACTIVATING" });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                const read = await p.read!(WAF_ARN, state);
                assert.equal(read.id, WAF_ARN);
                assert.equal(read.props?.status, "DEACTIVATED");

                const diff = await p.diff!(WAF_ARN, read.props as DetectorActivationOutputs, activationInputs());
                assert.equal(diff.changes, true);
                assert.deepEqual(diff.replaces, []);

                // Update activates again (and then times out here, since the stub stays ACTIVATING).
                await assert.rejects(p.update!(WAF_ARN, read.props as DetectorActivationOutputs, activationInputs({ timeoutSeconds: 30 })), /last status: ACTIVATING/);
                assert.equal(inputsOf("ActivateAnomalyDetector").length, 1);
            });

            it("read of a detector that no longer exists reports the activation gone", async () => {
                lm.on(DescribeAnomalyDetectorCommand).rejects(notFound(WAF_ARN));
                assert.deepEqual(await P.detectorActivationProvider(fakeClock()).read!(WAF_ARN, { ...activationInputs(), status: "ACTIVE" }), {});
            });

            it("delete deactivates and waits until DEACTIVATED", async () => {
                const clock = fakeClock();
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "ACTIVE" })
                    .resolvesOnce({ Status: "DEACTIVATING" })
                    .resolves({ Status: "DEACTIVATED" });
                lm.on(DeactivateAnomalyDetectorCommand).resolves({});
                await P.detectorActivationProvider(clock).delete!(WAF_ARN, { ...activationInputs(), status: "ACTIVE" });
                assert.deepEqual(ops(), ["DescribeAnomalyDetector", "DeactivateAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector"]);
                assert.deepEqual(inputsOf("DeactivateAnomalyDetector"), [{ AnomalyDetectorArn: WAF_ARN }]);
            });

            it("delete of an activation whose detector is already gone succeeds without calls beyond Describe", async () => {
                lm.on(DescribeAnomalyDetectorCommand).rejects(notFound(WAF_ARN));
                await P.detectorActivationProvider(fakeClock()).delete!(WAF_ARN, { ...activationInputs(), status: "ACTIVE" });
                assert.deepEqual(ops(), ["DescribeAnomalyDetector"]);
            });

            it("delete times out with a clear error when the detector never settles", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolves({ Status: "DEACTIVATING" });
                await assert.rejects(
                    P.detectorActivationProvider(fakeClock()).delete!(WAF_ARN, { ...activationInputs({ timeoutSeconds: 30 }), status: "ACTIVE" }),
                    /Timed out after 30 s deactivating .*"edge-dev-waf".*last status: DEACTIVATING/,
                );
            });
        });

        describe("delete", () => {
            it("detector: already gone is success", async () => {
                lm.on(DeleteAnomalyDetectorCommand).rejects(notFound(WAF_ARN));
                await P.anomalyDetectorProvider(fakeClock()).delete!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN });
                assert.deepEqual(ops(), ["DeleteAnomalyDetector"]);
            });

            it("detector: waits while DELETING until it is gone (so a replacement can reuse the name)", async () => {
                const clock = fakeClock();
                lm.on(DeleteAnomalyDetectorCommand).resolves({});
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "DELETING" }).resolvesOnce({ Status: "DELETING" }).rejects(notFound(WAF_ARN));
                await P.anomalyDetectorProvider(clock).delete!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN });
                assert.deepEqual(ops(), ["DeleteAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector", "DescribeAnomalyDetector"]);
                assert.deepEqual(clock.sleeps, [10_000, 10_000]);
            });

            it("detector: a conflict (still deactivating) is retried", async () => {
                lm.on(DeleteAnomalyDetectorCommand).rejectsOnce(conflict("Detector is deactivating")).resolves({});
                lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "DEACTIVATING" }).rejects(notFound(WAF_ARN));
                await P.anomalyDetectorProvider(fakeClock()).delete!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN });
                assert.deepEqual(ops(), ["DeleteAnomalyDetector", "DescribeAnomalyDetector", "DeleteAnomalyDetector", "DescribeAnomalyDetector"]);
            });

            it("alert: already gone (its detector was deleted) is success; other errors are not swallowed", async () => {
                lm.on(DeleteAlertCommand).rejectsOnce(notFound(SNS_ALERT_ARN)).rejects(new AccessDeniedException({ message: "denied", Message: "denied", $metadata: {} }));
                const p = P.alertProvider(fakeClock());
                await p.delete!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN });
                await assert.rejects(p.delete!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN }), /denied/);
                assert.deepEqual(inputsOf("DeleteAlert"), [{ AlertArn: SNS_ALERT_ARN }, { AlertArn: SNS_ALERT_ARN }]);
            });
        });

        describe("diff: update vs replace", () => {
            const detectorState = (): AnomalyDetectorOutputs => ({ ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN });
            const ecomState = (): AnomalyDetectorOutputs => ({ ...ecommerceInputs(), arn: ECOM_ARN, metricSetArn: ECOM_MS_ARN });
            const d = () => P.anomalyDetectorProvider();

            const cases: { title: string; state: () => AnomalyDetectorOutputs; change: (i: AnomalyDetectorInputs) => void; replaces: string[]; deleteBeforeReplace: boolean }[] = [
                { title: "nothing changed", state: detectorState, change: () => undefined, replaces: [], deleteBeforeReplace: false },
                // Updates while the detector runs.
                { title: "description → update", state: detectorState, change: (i) => { i.description = "new words"; }, replaces: [], deleteBeforeReplace: false },
                { title: "tags → update", state: detectorState, change: (i) => { i.tags = { app: "x" }; }, replaces: [], deleteBeforeReplace: false },
                { title: "provider version → update", state: detectorState, change: (i) => { i.providerVersion = "9.9.9"; }, replaces: [], deleteBeforeReplace: false },
                { title: "activation timeout → update", state: detectorState, change: (i) => { i.activationTimeoutSeconds = 300; }, replaces: [], deleteBeforeReplace: false },
                { title: "offset → update", state: ecomState, change: (i) => { i.metricSet.offsetSeconds = 300; }, replaces: [], deleteBeforeReplace: false },
                // Updates made with the detector deactivated for the moment.
                { title: "metric set description → update", state: ecomState, change: (i) => { i.metricSet.description = "rows"; }, replaces: [], deleteBeforeReplace: false },
                { title: "frequency → update", state: ecomState, change: (i) => { i.frequency = "PT1H"; }, replaces: [], deleteBeforeReplace: false },
                { title: "KMS key added → update", state: detectorState, change: (i) => { i.kmsKeyArn = KMS_KEY; }, replaces: [], deleteBeforeReplace: false },
                { title: "KMS key changed → update", state: () => ({ ...detectorState(), kmsKeyArn: KMS_KEY }), change: (i) => { i.kmsKeyArn = KMS_KEY_2; }, replaces: [], deleteBeforeReplace: false },
                { title: "Rule filter values (a WAF rule toggled) → update", state: detectorState, change: (i) => { i.metricSet.dimensionFilters![1].values = ["RateLimitPerClientIp"]; }, replaces: [], deleteBeforeReplace: false },
                { title: "one of two filters dropped → update", state: detectorState, change: (i) => { i.metricSet.dimensionFilters = i.metricSet.dimensionFilters!.slice(0, 1); }, replaces: [], deleteBeforeReplace: false },
                { title: "filters added where there were none → update", state: ecomState, change: (i) => { i.metricSet.dimensionFilters = [{ name: "platform", values: ["web"] }]; }, replaces: [], deleteBeforeReplace: false },
                { title: "measures → update", state: ecomState, change: (i) => { i.metricSet.metrics = i.metricSet.metrics.slice(0, 2); }, replaces: [], deleteBeforeReplace: false },
                { title: "dimensions → update", state: ecomState, change: (i) => { i.metricSet.dimensions = ["marketplace"]; }, replaces: [], deleteBeforeReplace: false },
                { title: "source role → update", state: detectorState, change: (i) => { i.metricSet.source.roleArn = `${CW_ROLE}-2`; }, replaces: [], deleteBeforeReplace: false },
                { title: "templated path → update", state: ecomState, change: (i) => { (i.metricSet.source as { templatedPath: string }).templatedPath = templatedPath("other-bucket"); }, replaces: [], deleteBeforeReplace: false },
                { title: "historical path dropped → update", state: ecomState, change: (i) => { delete (i.metricSet.source as { historicalPath?: string }).historicalPath; }, replaces: [], deleteBeforeReplace: false },
                { title: "file compression → update", state: ecomState, change: (i) => { (i.metricSet.source as { fileFormat: { compression: string } }).fileFormat.compression = "NONE"; }, replaces: [], deleteBeforeReplace: false },
                { title: "timestamp column → update", state: ecomState, change: (i) => { i.metricSet.timestampColumn = { name: "ts", format: "yyyy-MM-dd'T'HH:mm:ss" }; }, replaces: [], deleteBeforeReplace: false },
                { title: "role still unknown in preview → update", state: detectorState, change: (i) => { i.metricSet.source.roleArn = UNKNOWN; }, replaces: [], deleteBeforeReplace: false },
                // Replacements.
                { title: "detector name → replace (new name: create first)", state: detectorState, change: (i) => { i.name = "edge-dev-waf2"; }, replaces: ["name"], deleteBeforeReplace: false },
                { title: "metric set name → replace (same detector name: delete first)", state: detectorState, change: (i) => { i.metricSet.name = "edge-dev-waf-other"; }, replaces: ["metricSet.name"], deleteBeforeReplace: true },
                { title: "region → replace", state: detectorState, change: (i) => { i.region = "eu-west-1"; }, replaces: ["region"], deleteBeforeReplace: true },
                { title: "KMS key removed → replace (no request returns to the service key)", state: () => ({ ...detectorState(), kmsKeyArn: KMS_KEY }), change: (i) => { delete i.kmsKeyArn; }, replaces: ["kmsKeyArn"], deleteBeforeReplace: true },
                { title: "KMS key changed on a FAILED detector → replace", state: () => ({ ...detectorState(), kmsKeyArn: KMS_KEY, status: "FAILED" }), change: (i) => { i.kmsKeyArn = KMS_KEY_2; }, replaces: ["kmsKeyArn"], deleteBeforeReplace: true },
                {
                    title: "metric source type cloudwatch → s3 → replace", state: detectorState,
                    change: (i) => { i.metricSet.source = ecommerceInputs().metricSet.source; },
                    replaces: ["metricSet.source"], deleteBeforeReplace: true,
                },
                {
                    title: "metric source type s3 → cloudwatch → replace", state: ecomState,
                    change: (i) => { i.metricSet.source = { type: "cloudwatch", roleArn: CW_ROLE }; delete i.metricSet.timestampColumn; delete i.metricSet.offsetSeconds; },
                    replaces: ["metricSet.source", "metricSet.timestampColumn"], deleteBeforeReplace: true,
                },
                { title: "every filter removed → replace (an update cannot clear them)", state: detectorState, change: (i) => { delete i.metricSet.dimensionFilters; }, replaces: ["metricSet.dimensionFilters"], deleteBeforeReplace: true },
                { title: "every dimension removed → replace (DimensionList needs one)", state: ecomState, change: (i) => { i.metricSet.dimensions = []; }, replaces: ["metricSet.dimensions"], deleteBeforeReplace: true },
            ];
            for (const c of cases) {
                it(`detector: ${c.title}`, async () => {
                    const news = c.state() as AnomalyDetectorInputs;
                    const fresh = JSON.parse(JSON.stringify(news)) as AnomalyDetectorInputs;
                    delete (fresh as Partial<AnomalyDetectorOutputs>).arn;
                    delete (fresh as Partial<AnomalyDetectorOutputs>).metricSetArn;
                    c.change(fresh);
                    const r = await d().diff!(c.state().arn, c.state(), fresh);
                    assert.deepEqual(r.replaces, c.replaces);
                    assert.equal(r.changes, c.title !== "nothing changed");
                    assert.equal(r.deleteBeforeReplace, c.deleteBeforeReplace);
                    // An update keeps the detector and its metric set: their ARNs do not change.
                    assert.deepEqual(r.stables, c.replaces.length === 0 ? ["arn", "metricSetArn"] : undefined);
                });
            }

            it("detector: empty tags and no tags, offset 0 and no offset are the same state", async () => {
                const state = { ...ecommerceInputs(), tags: {}, arn: ECOM_ARN, metricSetArn: ECOM_MS_ARN };
                state.metricSet.offsetSeconds = 0;
                const news = ecommerceInputs();
                delete news.metricSet.offsetSeconds;
                assert.equal((await d().diff!(ECOM_ARN, state, news)).changes, false);
            });

            it("detector: a metric set missing on refresh forces a replacement", async () => {
                const r = await d().diff!(WAF_ARN, { ...detectorState(), metricSetArn: "" }, wafInputs());
                assert.deepEqual(r.replaces, ["metricSet.name"]);
            });

            const a = () => P.alertProvider();
            const alertState = (): AlertOutputs => ({ ...snsAlertInputs(), arn: SNS_ALERT_ARN });
            const alertCases: { title: string; change: (i: AlertInputs) => void; replaces: string[] }[] = [
                { title: "threshold → update", change: (i) => { i.sensitivityThreshold = 50; }, replaces: [] },
                { title: "description → update", change: (i) => { i.description = "other"; }, replaces: [] },
                { title: "action SNS → Lambda → update", change: (i) => { i.action = lambdaAlertInputs().action; }, replaces: [] },
                { title: "filters added → update", change: (i) => { i.filters = { metrics: ["BlockedRequests"] }; }, replaces: [] },
                { title: "name → replace", change: (i) => { i.name = "edge-dev-waf-sns2"; }, replaces: ["name"] },
                { title: "detector → replace", change: (i) => { i.detectorArn = ECOM_ARN; }, replaces: ["detectorArn"] },
            ];
            for (const c of alertCases) {
                it(`alert: ${c.title}`, async () => {
                    const news = snsAlertInputs();
                    c.change(news);
                    const r = await a().diff!(SNS_ALERT_ARN, alertState(), news);
                    assert.equal(r.changes, true);
                    assert.deepEqual(r.replaces, c.replaces);
                    assert.equal(r.deleteBeforeReplace, c.replaces.length > 0 && c.title !== "name → replace");
                });
            }

            it("alert: removing filters replaces (UpdateAlert cannot clear them)", async () => {
                const r = await a().diff!(SNS_ALERT_ARN, { ...alertState(), filters: { metrics: ["BlockedRequests"] } }, snsAlertInputs());
                assert.deepEqual(r.replaces, ["filters"]);
            });

            const act = () => P.detectorActivationProvider();
            it("activation: timeout → update; detector or mode → replace, always deleting the old one first", async () => {
                const state: DetectorActivationOutputs = { ...activationInputs(), status: "ACTIVE" };
                assert.deepEqual(await act().diff!(WAF_ARN, state, activationInputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
                assert.deepEqual(await act().diff!(WAF_ARN, state, activationInputs({ timeoutSeconds: 60 })), { changes: true, replaces: [], deleteBeforeReplace: false });
                assert.deepEqual(await act().diff!(WAF_ARN, state, activationInputs({ detectorArn: ECOM_ARN })), { changes: true, replaces: ["detectorArn"], deleteBeforeReplace: true });
                assert.deepEqual(await act().diff!(WAF_ARN, state, activationInputs({ mode: "backtest" })), { changes: true, replaces: ["mode"], deleteBeforeReplace: true });
            });
        });

        describe("update", () => {
            it("detector: description → UpdateAnomalyDetector only", async () => {
                const p = P.anomalyDetectorProvider(fakeClock());
                const news = { ...wafInputs(), description: "Blocked requests per WAF rule" };
                const res = await p.update!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN }, news);
                assert.deepEqual(sent().map((c) => [operationOf(c), c.input]), [
                    ["UpdateAnomalyDetector", { AnomalyDetectorArn: WAF_ARN, AnomalyDetectorDescription: "Blocked requests per WAF rule" }],
                ]);
                assert.deepEqual(res.outs, { ...news, arn: WAF_ARN, metricSetArn: WAF_MS_ARN, status: undefined });
            });

            it("detector: offset → UpdateMetricSet with just the offset; tags → untag/tag detector and metric set", async () => {
                const p = P.anomalyDetectorProvider(fakeClock());
                const olds = { ...ecommerceInputs(), tags: { app: "edge", team: "old" }, arn: ECOM_ARN, metricSetArn: ECOM_MS_ARN };
                const news = { ...ecommerceInputs(), tags: { app: "edge", owner: "sec" } };
                news.metricSet.offsetSeconds = 600;
                await p.update!(ECOM_ARN, olds, news);
                assert.deepEqual(sent().map((c) => [operationOf(c), c.input]), [
                    ["UpdateMetricSet", { MetricSetArn: ECOM_MS_ARN, Offset: 600 }],
                    ["UntagResource", { ResourceArn: ECOM_ARN, TagKeys: ["team"] }],
                    ["TagResource", { ResourceArn: ECOM_ARN, Tags: { owner: "sec" } }],
                    ["UntagResource", { ResourceArn: ECOM_MS_ARN, TagKeys: ["team"] }],
                    ["TagResource", { ResourceArn: ECOM_MS_ARN, Tags: { owner: "sec" } }],
                ]);
                assert.ok(lm.calls().every((c) => !(c.args[0] instanceof UpdateAnomalyDetectorCommand)));
                assert.ok(lm.calls().some((c) => c.args[0] instanceof UpdateMetricSetCommand));
                assert.ok(lm.calls().some((c) => c.args[0] instanceof TagResourceCommand));
            });

            const wafState = (over: Partial<AnomalyDetectorOutputs> = {}): AnomalyDetectorOutputs => ({ ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN, ...over });
            const ecomState = (over: Partial<AnomalyDetectorOutputs> = {}): AnomalyDetectorOutputs => ({ ...ecommerceInputs(), arn: ECOM_ARN, metricSetArn: ECOM_MS_ARN, ...over });
            const calls = () => sent().map((c) => [operationOf(c), c.input]);

            it("detector: a WAF rule toggled on an ACTIVE detector → deactivate, UpdateMetricSet with just the filters, activate again", async () => {
                const clock = fakeClock();
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "ACTIVE" }) // what update finds
                    .resolvesOnce({ Status: "ACTIVE" }) // deactivation starts
                    .resolvesOnce({ Status: "DEACTIVATING" })
                    .resolvesOnce({ Status: "INACTIVE" })
                    .resolvesOnce({ Status: "INACTIVE" }) // activation starts
                    .resolvesOnce({ Status: "ACTIVATING" })
                    .resolves({ Status: "LEARNING" });
                lm.on(DeactivateAnomalyDetectorCommand).resolves({});
                lm.on(UpdateMetricSetCommand).resolves({ MetricSetArn: WAF_MS_ARN });
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                const p = P.anomalyDetectorProvider(clock);
                const news = wafInputs();
                news.metricSet.dimensionFilters![1].values = ["RateLimitPerClientIp", "AWSManagedRulesCommonRuleSet", "BlockBadBots"];
                assert.deepEqual((await p.diff!(WAF_ARN, wafState({ status: "ACTIVE" }), news)).replaces, []);

                const res = await p.update!(WAF_ARN, wafState({ status: "ACTIVE" }), news);
                assert.deepEqual(calls(), [
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DeactivateAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["UpdateMetricSet", {
                        MetricSetArn: WAF_MS_ARN,
                        DimensionFilterList: [
                            { Name: "WebACL", FilterList: [{ DimensionValue: "edge-dev-acl", FilterOperation: "EQUALS" }] },
                            {
                                Name: "Rule",
                                FilterList: [
                                    { DimensionValue: "RateLimitPerClientIp", FilterOperation: "EQUALS" },
                                    { DimensionValue: "AWSManagedRulesCommonRuleSet", FilterOperation: "EQUALS" },
                                    { DimensionValue: "BlockBadBots", FilterOperation: "EQUALS" },
                                ],
                            },
                        ],
                    }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["ActivateAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: WAF_ARN }],
                ]);
                assert.deepEqual(clock.sleeps, [10_000, 10_000, 10_000, 10_000]);
                // Same detector, same metric set; the status it was brought back to.
                assert.deepEqual(res.outs, { ...news, arn: WAF_ARN, metricSetArn: WAF_MS_ARN, status: "LEARNING" });
            });

            it("detector: frequency and KMS key on an INACTIVE detector → UpdateAnomalyDetector and UpdateMetricSet, nothing activated", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolves({ Status: "INACTIVE" });
                lm.on(UpdateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: ECOM_ARN });
                lm.on(UpdateMetricSetCommand).resolves({ MetricSetArn: ECOM_MS_ARN });
                const news = { ...ecommerceInputs(), frequency: "PT1H" as const, kmsKeyArn: KMS_KEY };
                const res = await P.anomalyDetectorProvider(fakeClock()).update!(ECOM_ARN, ecomState(), news);
                assert.deepEqual(calls(), [
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: ECOM_ARN }],
                    ["UpdateAnomalyDetector", { AnomalyDetectorArn: ECOM_ARN, KmsKeyArn: KMS_KEY, AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT1H" } }],
                    ["UpdateMetricSet", { MetricSetArn: ECOM_MS_ARN, MetricSetFrequency: "PT1H" }],
                ]);
                assert.equal(res.outs?.status, "INACTIVE");
            });

            it("detector: frequency on a LEARNING detector waits out the deactivation and comes back within activationTimeoutSeconds", async () => {
                const clock = fakeClock();
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "LEARNING" })
                    .resolvesOnce({ Status: "LEARNING" })
                    .resolvesOnce({ Status: "DEACTIVATED" })
                    .resolvesOnce({ Status: "DEACTIVATED" })
                    .resolves({ Status: "ACTIVATING" });
                lm.on(DeactivateAnomalyDetectorCommand).resolves({});
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                await assert.rejects(
                    P.anomalyDetectorProvider(clock).update!(WAF_ARN, wafState(), { ...wafInputs(), frequency: "PT10M", activationTimeoutSeconds: 60 }),
                    (err: Error) => {
                        assert.match(err.message, /Timed out after 60 s .* last status: ACTIVATING/);
                        assert.match(err.message, /may be left inactive or partly updated; the next pulumi up reconciles it/);
                        return true;
                    },
                );
                assert.deepEqual(inputsOf("UpdateAnomalyDetector"), [{ AnomalyDetectorArn: WAF_ARN, AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT10M" } }]);
                assert.deepEqual(inputsOf("UpdateMetricSet"), [{ MetricSetArn: WAF_MS_ARN, MetricSetFrequency: "PT10M" }]);
                assert.equal(inputsOf("ActivateAnomalyDetector").length, 1);
            });

            it("detector: S3 source, measures, dimensions and timestamp column → one UpdateMetricSet with exactly those", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolves({ Status: "FAILED" });
                lm.on(UpdateMetricSetCommand).resolves({ MetricSetArn: ECOM_MS_ARN });
                const news = ecommerceInputs();
                news.metricSet.metrics = news.metricSet.metrics.filter((m) => m.name !== "carts");
                news.metricSet.dimensions = ["marketplace"];
                news.metricSet.timestampColumn = { name: "ts", format: "yyyy-MM-dd HH:mm" };
                news.metricSet.source = { ...news.metricSet.source, roleArn: `${S3_ROLE}-2`, fileFormat: { type: "json", compression: "NONE", charset: "UTF-8" } } as typeof news.metricSet.source;
                delete (news.metricSet.source as { historicalPath?: string }).historicalPath;
                await P.anomalyDetectorProvider(fakeClock()).update!(ECOM_ARN, ecomState(), news);
                assert.deepEqual(calls(), [
                    ["DescribeAnomalyDetector", { AnomalyDetectorArn: ECOM_ARN }],
                    ["UpdateMetricSet", {
                        MetricSetArn: ECOM_MS_ARN,
                        MetricList: [
                            { MetricName: "views", AggregationFunction: "SUM", Namespace: undefined },
                            { MetricName: "checkouts", AggregationFunction: "SUM", Namespace: undefined },
                            { MetricName: "revenue", AggregationFunction: "SUM", Namespace: undefined },
                        ],
                        DimensionList: ["marketplace"],
                        MetricSource: {
                            S3SourceConfig: {
                                RoleArn: `${S3_ROLE}-2`,
                                TemplatedPathList: [`s3://${BUCKET}/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}`],
                                HistoricalDataPathList: undefined,
                                FileFormatDescriptor: { JsonFormatDescriptor: { FileCompression: "NONE", Charset: "UTF-8" } },
                            },
                        },
                        TimestampColumn: { ColumnName: "ts", ColumnFormat: "yyyy-MM-dd HH:mm" },
                    }],
                ]);
            });

            it("detector: a rejected UpdateMetricSet activates the detector again and fails with the service's reason", async () => {
                lm.on(DescribeAnomalyDetectorCommand)
                    .resolvesOnce({ Status: "ACTIVE" })
                    .resolvesOnce({ Status: "ACTIVE" })
                    .resolvesOnce({ Status: "INACTIVE" })
                    .resolvesOnce({ Status: "INACTIVE" })
                    .resolves({ Status: "ACTIVE" });
                lm.on(DeactivateAnomalyDetectorCommand).resolves({});
                lm.on(ActivateAnomalyDetectorCommand).resolves({});
                lm.on(UpdateMetricSetCommand).rejects(new ValidationException({ message: "Dimension Rule not found in MetricSet", Message: "x", $metadata: {} }));
                const news = wafInputs();
                news.metricSet.dimensionFilters![1].values = ["RateLimitPerClientIp"];
                await assert.rejects(P.anomalyDetectorProvider(fakeClock()).update!(WAF_ARN, wafState(), news), /Dimension Rule not found in MetricSet/);
                assert.deepEqual(ops(), [
                    "DescribeAnomalyDetector", "DescribeAnomalyDetector", "DeactivateAnomalyDetector", "DescribeAnomalyDetector",
                    "UpdateMetricSet", "DescribeAnomalyDetector", "ActivateAnomalyDetector", "DescribeAnomalyDetector",
                ]);
            });

            it("detector: a new KMS key on a detector that FAILED meanwhile is refused before any change", async () => {
                lm.on(DescribeAnomalyDetectorCommand).resolves({ Status: "FAILED" });
                await assert.rejects(
                    P.anomalyDetectorProvider(fakeClock()).update!(WAF_ARN, wafState({ status: "ACTIVE" }), { ...wafInputs(), kmsKeyArn: KMS_KEY }),
                    /"edge-dev-waf" .* has FAILED, and a failed detector's KMS key cannot be changed; run pulumi refresh, then pulumi up/,
                );
                assert.deepEqual(ops(), ["DescribeAnomalyDetector"]);
            });

            it("detector: an update that reaches update with a change only a replacement can make is refused, not half-applied", async () => {
                const news = wafInputs();
                delete news.metricSet.dimensionFilters;
                await assert.rejects(P.anomalyDetectorProvider(fakeClock()).update!(WAF_ARN, wafState(), news), /metricSet\.dimensionFilters cannot be changed in place/);
                assert.deepEqual(ops(), []);
            });

            it("detector: provider version or activation timeout only → no API call at all", async () => {
                const p = P.anomalyDetectorProvider(fakeClock());
                const news = { ...wafInputs(), providerVersion: "2.0.0" };
                const res = await p.update!(WAF_ARN, wafState({ status: "ACTIVE" }), news);
                await p.update!(WAF_ARN, wafState({ status: "ACTIVE" }), { ...wafInputs(), activationTimeoutSeconds: 120 });
                assert.deepEqual(ops(), []);
                assert.deepEqual(res.outs, { ...news, arn: WAF_ARN, metricSetArn: WAF_MS_ARN, status: "ACTIVE" });
            });

            it("detector: description and offset on a running detector change without deactivating it", async () => {
                const news = { ...ecommerceInputs(), description: "Ecommerce traffic" };
                news.metricSet.offsetSeconds = 240;
                await P.anomalyDetectorProvider(fakeClock()).update!(ECOM_ARN, ecomState({ status: "ACTIVE" }), news);
                assert.deepEqual(calls(), [
                    ["UpdateAnomalyDetector", { AnomalyDetectorArn: ECOM_ARN, AnomalyDetectorDescription: "Ecommerce traffic" }],
                    ["UpdateMetricSet", { MetricSetArn: ECOM_MS_ARN, Offset: 240 }],
                ]);
            });

            it("alert: threshold → UpdateAlert with the full desired alert", async () => {
                const p = P.alertProvider(fakeClock());
                const news = { ...snsAlertInputs(), sensitivityThreshold: 40 };
                await p.update!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN }, news);
                assert.deepEqual(sent().map((c) => [operationOf(c), c.input]), [[
                    "UpdateAlert",
                    {
                        AlertArn: SNS_ALERT_ARN,
                        AlertDescription: "Anomalies in WAF BlockedRequests to the alert topic",
                        AlertSensitivityThreshold: 40,
                        Action: { SNSConfiguration: { RoleArn: SNS_ROLE, SnsTopicArn: TOPIC, SnsFormat: "JSON" } },
                        AlertFilters: undefined,
                    },
                ]]);
                assert.ok(lm.calls()[0].args[0] instanceof UpdateAlertCommand);
            });

            it("alert: provider version only → no API call", async () => {
                await P.alertProvider(fakeClock()).update!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN }, { ...snsAlertInputs(), providerVersion: "2.0.0" });
                assert.deepEqual(ops(), []);
            });
        });

        describe("read (refresh)", () => {
            it("detector: live description and offset changed by hand show up, and diff turns them into an update", async () => {
                const state: AnomalyDetectorOutputs = { ...ecommerceInputs(), arn: ECOM_ARN, metricSetArn: ECOM_MS_ARN };
                lm.on(DescribeAnomalyDetectorCommand).resolves({
                    AnomalyDetectorArn: ECOM_ARN, AnomalyDetectorName: "edge-dev-ecommerce", AnomalyDetectorDescription: "edited in the console",
                    AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT10M" }, Status: "ACTIVE",
                });
                const live = createMetricSetLike(state);
                lm.on(DescribeMetricSetCommand).resolves({ ...live, Offset: 900 });
                lm.on(ListTagsForResourceCommand).resolves({ Tags: {} });
                const p = P.anomalyDetectorProvider(fakeClock());
                const read = await p.read!(ECOM_ARN, state);
                const props = read.props as AnomalyDetectorOutputs;
                assert.equal(props.description, "edited in the console");
                assert.equal(props.metricSet.offsetSeconds, 900);
                assert.equal(props.status, "ACTIVE");
                assert.deepEqual(props.metricSet.source, state.metricSet.source);
                const diff = await p.diff!(ECOM_ARN, props, ecommerceInputs());
                assert.deepEqual(diff.replaces, []);
                assert.equal(diff.changes, true);
                // Unchanged live state: no diff at all.
                lm.on(DescribeMetricSetCommand).resolves(live);
                lm.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
                lm.on(DescribeAnomalyDetectorCommand).resolves({ AnomalyDetectorDescription: state.description, AnomalyDetectorConfig: { AnomalyDetectorFrequency: "PT10M" } });
                const again = await p.read!(ECOM_ARN, state);
                assert.equal((await p.diff!(ECOM_ARN, again.props as AnomalyDetectorOutputs, ecommerceInputs())).changes, false);
            });

            it("detector deleted outside Pulumi: read reports it gone", async () => {
                lm.on(DescribeAnomalyDetectorCommand).rejects(notFound(WAF_ARN));
                assert.deepEqual(await P.anomalyDetectorProvider(fakeClock()).read!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN }), {});
            });

            it("alert: live threshold shows up; a deleted alert reads as gone", async () => {
                lm.on(DescribeAlertCommand).resolvesOnce({
                    Alert: {
                        AlertArn: SNS_ALERT_ARN, AlertName: "edge-dev-waf-sns", AnomalyDetectorArn: WAF_ARN, AlertSensitivityThreshold: 90,
                        AlertDescription: snsAlertInputs().description,
                        Action: { SNSConfiguration: { RoleArn: SNS_ROLE, SnsTopicArn: TOPIC, SnsFormat: "JSON" } },
                    },
                }).rejects(notFound(SNS_ALERT_ARN));
                lm.on(ListTagsForResourceCommand).resolves({});
                const p = P.alertProvider(fakeClock());
                const read = await p.read!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN });
                assert.equal((read.props as AlertOutputs).sensitivityThreshold, 90);
                const diff = await p.diff!(SNS_ALERT_ARN, read.props as AlertOutputs, snsAlertInputs());
                assert.deepEqual([diff.changes, diff.replaces], [true, []]);
                assert.deepEqual(await p.read!(SNS_ALERT_ARN, { ...snsAlertInputs(), arn: SNS_ALERT_ARN }), {});
            });
        });

        describe("check", () => {
            it("accepts the program's inputs, including values still unknown in preview", async () => {
                assert.deepEqual((await P.anomalyDetectorProvider().check!(wafInputs(), wafInputs())).failures, []);
                assert.deepEqual((await P.anomalyDetectorProvider().check!(ecommerceInputs(), ecommerceInputs())).failures, []);
                assert.deepEqual((await P.alertProvider().check!(snsAlertInputs(), snsAlertInputs())).failures, []);
                assert.deepEqual((await P.alertProvider().check!(lambdaAlertInputs(), lambdaAlertInputs())).failures, []);
                assert.deepEqual((await P.detectorActivationProvider().check!(activationInputs(), activationInputs())).failures, []);
                const preview = ecommerceInputs();
                (preview.metricSet.source as { templatedPath: string }).templatedPath = UNKNOWN;
                preview.metricSet.source.roleArn = UNKNOWN;
                (preview.metricSet as { dimensionFilters?: unknown }).dimensionFilters = UNKNOWN;
                assert.deepEqual((await P.anomalyDetectorProvider().check!(preview, preview)).failures, []);
                assert.deepEqual((await P.alertProvider().check!(snsAlertInputs(), { ...snsAlertInputs(), detectorArn: UNKNOWN })).failures, []);
            });

            it("names each bad input", async () => {
                const bad = ecommerceInputs();
                bad.name = "edge.dev";
                (bad as { frequency: string }).frequency = "PT2M";
                bad.metricSet.offsetSeconds = 500000;
                (bad.metricSet.source as { templatedPath: string }).templatedPath = "s3://my.bucket/ecommerce/live/{{yyyyMMdd}}/{{HHmm}}";
                bad.metricSet.dimensionFilters = [{ name: "country", values: ["DE"] }];
                bad.metricSet.metrics = [...bad.metricSet.metrics, { name: "a", aggregation: "SUM" }, { name: "b", aggregation: "SUM" }];
                const failures = (await P.anomalyDetectorProvider().check!(bad, bad)).failures!;
                const props = failures.map((f) => f.property).sort();
                assert.deepEqual(props, [
                    "frequency", "metricSet.dimensionFilters.0.name", "metricSet.metrics", "metricSet.offsetSeconds",
                    "metricSet.source.templatedPath", "name",
                ]);
                assert.match(failures.find((f) => f.property === "frequency")!.reason, /"PT2M" is not allowed; use one of P1D, PT1H, PT10M, PT5M/);
                assert.match(failures.find((f) => f.property === "metricSet.source.templatedPath")!.reason, /bucket name with dots/);

                const cw = wafInputs();
                cw.metricSet.offsetSeconds = 60;
                delete cw.metricSet.metrics[0].namespace;
                const cwFailures = (await P.anomalyDetectorProvider().check!(cw, cw)).failures!.map((f) => f.property).sort();
                assert.deepEqual(cwFailures, ["metricSet.metrics.0.namespace", "metricSet.offsetSeconds"]);

                const s3 = ecommerceInputs();
                delete s3.metricSet.timestampColumn;
                assert.deepEqual((await P.anomalyDetectorProvider().check!(s3, s3)).failures!.map((f) => f.property), ["metricSet.timestampColumn"]);

                const alert = { ...snsAlertInputs(), sensitivityThreshold: 101, action: { type: "sns" as const, roleArn: SNS_ROLE, topicArn: TOPIC, format: "XML" as "JSON" } };
                assert.deepEqual((await P.alertProvider().check!(alert, alert)).failures!.map((f) => f.property).sort(), ["action.format", "sensitivityThreshold"]);

                const act = activationInputs({ timeoutSeconds: 0, detectorArn: TOPIC });
                assert.deepEqual((await P.detectorActivationProvider().check!(act, act)).failures!.map((f) => f.property).sort(), ["detectorArn", "timeoutSeconds"]);
            });
        });

    });

    // ---- no orphans: a failure part-way, then the next `pulumi up` ---------------------------------------------
    // A stateful fake of the service (test/fixtures/lookout/fakeLookout.ts) breaks one request — before the service
    // acts, or after it acted with the response lost — and engineUp() drives the provider as the Pulumi engine
    // does (partial state from ErrorResourceInitFailed, init errors forcing an update, replacements). After the
    // next up, everything that exists in the fake account must be in the state, and the state must match it.
    // Run against the providers as written and as Pulumi ships them (serializeFunction(() => provider), loaded).
    const makeProviders = () => ({ detector: anomalyDetectorProvider(fakeClock()), alert: alertProvider(fakeClock()) });
    type Providers = ReturnType<typeof makeProviders>;
    forBothArtifacts<Providers>("no orphans", {
        source: makeProviders,
        serialized: async () => {
            const p = makeProviders();
            return { detector: await loadSerializedProvider(p.detector, "lookout-detector"), alert: await loadSerializedProvider(p.alert, "lookout-alert") };
        },
    }, (get) => {
        let fake: FakeLookout;
        beforeEach(() => {
            fake = new FakeLookout(REGION, ACCOUNT);
            fake.install(lm);
        });
        const detectorUp = (prior: EngineState<AnomalyDetectorOutputs> | undefined, inputs = wafInputs()) => engineUp(get().detector, prior, inputs);
        const alertUp = (prior: EngineState<AlertOutputs> | undefined, inputs = snsAlertInputs()) => engineUp(get().alert, prior, inputs);
        /** Everything in the fake account is in one of these states, and each state names something that exists. */
        const assertNothingOutsideState = (...states: (EngineState<AnomalyDetectorOutputs | AlertOutputs> | undefined)[]) => {
            const inState = states.flatMap((st) => (st ? [st.id, (st.outputs as Partial<AnomalyDetectorOutputs>).metricSetArn].filter((x): x is string => !!x) : []));
            assert.deepEqual(fake.resources(), [...new Set(inState)].sort(), "what exists vs what the state holds");
        };
        const converged = (st: EngineState<AnomalyDetectorOutputs> | undefined, i: AnomalyDetectorInputs) => {
            assert.ok(st && !st.initErrors && !st.outputs.reconcile, "state settled");
            const d = fake.detectors.get(st.id)!;
            assert.equal(d.name, i.name);
            assert.equal(d.frequency, i.frequency);
            assert.equal(d.metricSet?.MetricSetFrequency, i.frequency, "metric set at the detector's frequency");
            assert.equal(d.metricSet?.MetricSetArn, st.outputs.metricSetArn);
            assert.equal(st.outputs.frequency, i.frequency);
            assert.equal(fake.tags.get(st.id)?.[OWNER_TAG], OWNER);
            assert.equal(st.outputs[PROVIDER_MARKER as keyof AnomalyDetectorOutputs], "serialized provider text", "state keeps the serialized provider");
        };

        it("CreateMetricSet fails and deleting the detector again fails too: the detector is kept in state, the next up replaces it", async () => {
            fake.fault("CreateMetricSet", { error: () => new ValidationException({ message: "Dimension WebACL not found", Message: "x", $metadata: {} }) });
            fake.fault("DeleteAnomalyDetector");
            const first = await detectorUp(undefined);
            assert.match(first.error!.message, /Dimension WebACL not found; deleting the detector "edge-dev-waf" .* again failed too .*InternalServer|internal error/);
            // Before the fix the engine recorded nothing here: the detector was outside the state and every later
            // up failed "already exists".
            assert.equal(first.state?.id, WAF_ARN);
            assert.equal(first.state?.outputs.metricSetArn, "");
            assert.ok(first.state?.initErrors?.length);
            assert.equal(first.state?.outputs[PROVIDER_MARKER as keyof AnomalyDetectorOutputs], "serialized provider text");
            assertNothingOutsideState(first.state);

            const second = await detectorUp(first.state);
            assert.equal(second.error, undefined);
            assert.deepEqual(second.steps, ["delete", "create"]);
            converged(second.state, wafInputs());
            assertNothingOutsideState(second.state);
            // A third up has nothing to do.
            assert.deepEqual((await detectorUp(second.state)).steps, ["same"]);
        });

        for (const [title, error] of [["ConflictException on the SDK's retry", () => alreadyExists("AnomalyDetector edge-dev-waf")], ["a 500 after the service acted", () => serverError()]] as const) {
            it(`CreateAnomalyDetector's response lost (${title}): create finds this stack's detector by name and finishes the job`, async () => {
                fake.fault("CreateAnomalyDetector", { after: true, error });
                const first = await detectorUp(undefined);
                assert.equal(first.error, undefined, first.error?.message);
                converged(first.state, wafInputs());
                assertNothingOutsideState(first.state);
                assert.equal(fake.calls.filter((c) => c === "ListAnomalyDetectors").length >= 1, true);
            });
        }

        it("lost response and the lookup failing too: nothing in state, a detector outside it — the next up adopts it", async () => {
            fake.fault("CreateAnomalyDetector", { after: true }).fault("ListAnomalyDetectors");
            const first = await detectorUp(undefined);
            // Both reasons reach the log: the create's and the lookup's.
            assert.match(first.error!.message, /internal error.*; looking the detector "edge-dev-waf" up by name \(to adopt it if this stack created it\) failed too: We encountered an internal error/);
            assert.equal(first.state, undefined);
            assert.equal(fake.detectors.size, 1, "the orphan the old provider left behind for good");
            const second = await detectorUp(undefined);
            assert.equal(second.error, undefined, second.error?.message);
            converged(second.state, wafInputs());
            assertNothingOutsideState(second.state);
        });

        it("a detector of this stack with its metric set, outside the state (state lost): adopted in place, not recreated; its learned model kept", async () => {
            const earlier = await detectorUp(undefined);
            fake.detectors.get(WAF_ARN)!.status = "ACTIVE";
            const changed = { ...wafInputs(), description: "WAF blocked requests per rule, v2" };
            fake.calls.length = 0;
            const again = await detectorUp(undefined, changed);
            assert.equal(again.error, undefined, again.error?.message);
            assert.equal(again.state?.id, earlier.state?.id);
            assert.ok(!fake.calls.includes("DeleteAnomalyDetector"), fake.calls.join(" "));
            assert.equal(fake.detectors.get(WAF_ARN)!.description, "WAF blocked requests per rule, v2");
            assert.equal(fake.detectors.get(WAF_ARN)!.status, "ACTIVE");
            converged(again.state, changed);
            assertNothingOutsideState(again.state);
        });

        it("a detector with the name that is not this stack's is left alone, and the error says whose it is", async () => {
            await detectorUp(undefined, { ...wafInputs(), owner: "someone-else/prod" });
            const before = fake.resources();
            const mine = await detectorUp(undefined);
            assert.match(mine.error!.message, /anomaly detector "edge-dev-waf" already exists .* is not this stack's: its edge-anomaly-lookout:owner tag is "someone-else\/prod", this stack's is "edge-anomaly-detection\/dev"/);
            assert.equal(mine.state, undefined);
            assert.deepEqual(fake.resources(), before, "nothing deleted or changed");
            assert.equal(fake.tags.get(WAF_ARN)?.[OWNER_TAG], "someone-else/prod");
        });

        for (const [title, error] of [["ConflictException", () => alreadyExists("Alert edge-dev-waf-sns")], ["a 500", () => serverError()]] as const) {
            it(`CreateAlert's response lost (${title}): the alert is adopted, not duplicated or orphaned`, async () => {
                const det = await detectorUp(undefined);
                fake.fault("CreateAlert", { after: true, error });
                const first = await alertUp(undefined);
                assert.equal(first.error, undefined, first.error?.message);
                assert.equal(first.state?.id, SNS_ALERT_ARN);
                assert.equal(fake.alerts.size, 1);
                assert.equal(fake.tags.get(SNS_ALERT_ARN)?.[OWNER_TAG], OWNER);
                assertNothingOutsideState(det.state, first.state);
                assert.deepEqual((await alertUp(first.state)).steps, ["same"]);
            });
        }

        it("CreateAlert lost and ListAlerts failing: next up adopts the alert, with the desired threshold", async () => {
            const det = await detectorUp(undefined);
            fake.fault("CreateAlert", { after: true }).fault("ListAlerts");
            const first = await alertUp(undefined);
            assert.match(first.error!.message, /; looking the alert "edge-dev-waf-sns" up by name .* failed too: We encountered an internal error/);
            assert.equal(first.state, undefined);
            const second = await alertUp(undefined, { ...snsAlertInputs(), sensitivityThreshold: 55 });
            assert.equal(second.error, undefined, second.error?.message);
            assert.equal(fake.alerts.get(SNS_ALERT_ARN)?.AlertSensitivityThreshold, 55);
            assertNothingOutsideState(det.state, second.state);
        });

        it("this stack's alert left on another detector is deleted and created on the right one; a foreign alert is left alone", async () => {
            const det = await detectorUp(undefined);
            const other = await detectorUp(undefined, { ...ecommerceInputs() });
            // An alert of this stack with the name, on the ecommerce detector (left over from an earlier layout).
            await alertUp(undefined, { ...snsAlertInputs(), detectorArn: other.state!.id });
            const moved = await alertUp(undefined);
            assert.equal(moved.error, undefined, moved.error?.message);
            assert.equal(fake.alerts.get(moved.state!.id)?.AnomalyDetectorArn, WAF_ARN);
            assertNothingOutsideState(det.state, other.state, moved.state);

            const foreign = { ...lambdaAlertInputs(), owner: "someone-else/prod" };
            await alertUp(undefined, foreign);
            const mine = await alertUp(undefined, lambdaAlertInputs());
            assert.match(mine.error!.message, /alert "edge-dev-waf-lambda" already exists .* not this stack's/);
            assert.equal(fake.tags.get(LAMBDA_ALERT_ARN)?.[OWNER_TAG], "someone-else/prod");
        });

        describe("a partly failed update (detector at the new frequency, metric set not)", () => {
            const split = async () => {
                const created = await detectorUp(undefined);
                fake.detectors.get(WAF_ARN)!.status = "ACTIVE";
                const running = { ...created.state!, outputs: { ...created.state!.outputs, status: "ACTIVE" } };
                fake.fault("UpdateMetricSet", { error: () => new ValidationException({ message: "Rate exceeded for UpdateMetricSet", Message: "x", $metadata: {} }) });
                const failed = await detectorUp(running, { ...wafInputs(), frequency: "PT10M" });
                assert.match(failed.error!.message, /Rate exceeded for UpdateMetricSet; the detector "edge-dev-waf" .* the next pulumi up reconciles it/);
                const d = fake.detectors.get(WAF_ARN)!;
                assert.deepEqual([d.frequency, d.metricSet?.MetricSetFrequency, d.status], ["PT10M", "PT5M", "ACTIVE"], "the split the issue describes; detector running again");
                // The state says what it always said (the old outputs), but marked for reconciliation, with init errors.
                assert.equal(failed.state?.outputs.frequency, "PT5M");
                assert.equal(failed.state?.outputs.reconcile, true);
                assert.ok(failed.state?.initErrors?.length);
                return failed.state!;
            };

            it("the next up with the new frequency completes the update", async () => {
                const state = await split();
                const next = await detectorUp(state, { ...wafInputs(), frequency: "PT10M" });
                assert.equal(next.error, undefined, next.error?.message);
                assert.deepEqual(next.steps, ["update"]);
                converged(next.state, { ...wafInputs(), frequency: "PT10M" });
                assert.equal(fake.detectors.get(WAF_ARN)!.status, "ACTIVE");
                assertNothingOutsideState(next.state);
            });

            it("the next up with the frequency put back (inputs equal to the old state) still brings the detector back to it", async () => {
                const state = await split();
                // Without the reconcile marker and init errors this up was a no-op, leaving the detector at PT10M.
                const next = await detectorUp(state, wafInputs());
                assert.equal(next.error, undefined, next.error?.message);
                assert.deepEqual(next.steps, ["update"]);
                converged(next.state, wafInputs());
                assert.equal(fake.detectors.get(WAF_ARN)!.status, "ACTIVE");
            });

            it("a refresh that finds the split marks the state for reconciliation, so the next up repairs it", async () => {
                const state = await split();
                const refreshed = await get().detector.read!(WAF_ARN, state.outputs);
                const props = refreshed.props as AnomalyDetectorOutputs;
                assert.equal(props.frequency, "PT10M");
                assert.equal(props.reconcile, true);
                const next = await detectorUp({ id: WAF_ARN, outputs: props }, { ...wafInputs(), frequency: "PT10M" });
                assert.deepEqual(next.steps, ["update"]);
                converged(next.state, { ...wafInputs(), frequency: "PT10M" });
            });
        });
    });

    describe("serialization gate", () => {
        // The engine runs dynamic providers from their serialized text: each provider here is serialized exactly as
        // pulumi.dynamic.Resource does (`() => provider`) and loaded by the shared loader in test/serialized.ts.
        async function loadSerialized<T extends object>(provider: T): Promise<T> {
            assert.doesNotMatch(await serializedProviderText(provider), /aws-sdk-client-mock|sinon|mocha/, "the provider must not capture test code");
            return loadSerializedProvider(provider);
        }

        it("AnomalyDetector provider serializes and runs check/diff/create from its serialized form", async () => {
            const p = await loadSerialized(anomalyDetectorProvider(fakeClock()));
            assert.deepEqual((await p.check!(ecommerceInputs(), ecommerceInputs())).failures, []);
            assert.equal((await p.check!(wafInputs(), { ...wafInputs(), name: "no dots." })).failures!.length, 1);
            assert.deepEqual((await p.diff!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN }, { ...wafInputs(), name: "edge-dev-waf2" })).replaces, ["name"]);
            assert.deepEqual((await p.diff!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN }, { ...wafInputs(), frequency: "PT1H" })).replaces, []);
            lm.on(CreateAnomalyDetectorCommand).resolves({ AnomalyDetectorArn: WAF_ARN });
            lm.on(CreateMetricSetCommand).resolves({ MetricSetArn: WAF_MS_ARN });
            assert.equal((await p.create(wafInputs())).id, WAF_ARN);
            assert.deepEqual(ops(), ["CreateAnomalyDetector", "CreateMetricSet"]);

            // An update that deactivates and reactivates runs from the serialized copy too (it uses the
            // activation module's wait loops).
            const before = lm.calls().length;
            lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "ACTIVE" }).resolvesOnce({ Status: "ACTIVE" }).resolvesOnce({ Status: "INACTIVE" })
                .resolvesOnce({ Status: "INACTIVE" }).resolves({ Status: "ACTIVE" });
            const news = { ...wafInputs(), frequency: "PT10M" as const };
            const res = await p.update!(WAF_ARN, { ...wafInputs(), arn: WAF_ARN, metricSetArn: WAF_MS_ARN }, news);
            assert.equal(res.outs?.status, "ACTIVE");
            assert.deepEqual(ops().slice(before), [
                "DescribeAnomalyDetector", "DescribeAnomalyDetector", "DeactivateAnomalyDetector", "DescribeAnomalyDetector",
                "UpdateAnomalyDetector", "UpdateMetricSet", "DescribeAnomalyDetector", "ActivateAnomalyDetector", "DescribeAnomalyDetector",
            ]);
        });

        it("Alert provider serializes and runs check/create from its serialized form", async () => {
            const p = await loadSerialized(alertProvider(fakeClock()));
            assert.deepEqual((await p.check!(snsAlertInputs(), snsAlertInputs())).failures, []);
            lm.on(CreateAlertCommand).resolves({ AlertArn: SNS_ALERT_ARN });
            assert.equal((await p.create(snsAlertInputs())).id, SNS_ALERT_ARN);
        });

        it("DetectorActivation provider serializes and runs its polling loop from its serialized form", async () => {
            const clock = fakeClock();
            const p = await loadSerialized(detectorActivationProvider(clock));
            assert.deepEqual((await p.check!(activationInputs(), activationInputs())).failures, []);
            lm.on(DescribeAnomalyDetectorCommand).resolvesOnce({ Status: "INACTIVE" }).resolves({ Status: "ACTIVE" });
            lm.on(ActivateAnomalyDetectorCommand).resolves({});
            assert.equal((await p.create(activationInputs())).outs?.status, "ACTIVE");
            assert.deepEqual(ops(), ["DescribeAnomalyDetector", "ActivateAnomalyDetector", "DescribeAnomalyDetector"]);
            // The serialized copy carries its own copy of the options (values, not references).
            assert.deepEqual(clock.sleeps, []);
        });

        it("the default providers (what the resources use) serialize too", async () => {
            for (const p of [anomalyDetectorProvider(), alertProvider(), detectorActivationProvider()]) {
                const loaded = await loadSerialized(p);
                assert.equal(typeof loaded.create, "function");
            }
        });
    });
});

/** A DescribeMetricSet answer matching what the provider created for `s`. */
function createMetricSetLike(s: AnomalyDetectorOutputs) {
    const src = s.metricSet.source;
    return {
        MetricSetArn: s.metricSetArn,
        AnomalyDetectorArn: s.arn,
        MetricSetName: s.metricSet.name,
        MetricSetDescription: s.metricSet.description,
        MetricList: s.metricSet.metrics.map((m) => ({ MetricName: m.name, AggregationFunction: m.aggregation, Namespace: m.namespace })),
        DimensionList: s.metricSet.dimensions,
        MetricSetFrequency: s.frequency,
        Offset: s.metricSet.offsetSeconds,
        TimestampColumn: s.metricSet.timestampColumn ? { ColumnName: s.metricSet.timestampColumn.name, ColumnFormat: s.metricSet.timestampColumn.format } : undefined,
        MetricSource: src.type === "s3"
            ? {
                S3SourceConfig: {
                    RoleArn: src.roleArn,
                    TemplatedPathList: [src.templatedPath],
                    HistoricalDataPathList: src.historicalPath ? [src.historicalPath] : undefined,
                    FileFormatDescriptor: { JsonFormatDescriptor: { FileCompression: src.fileFormat.compression, Charset: src.fileFormat.charset } },
                },
            }
            : { CloudWatchConfig: { RoleArn: src.roleArn } },
    };
}
