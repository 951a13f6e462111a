// The dated us-east-1 list-price table the cost estimate (scripts/lib/cost.ts) and the simulators use. One entry
// per billed unit, each with where the number comes from and how far it was checked (last re-checked 2026-12-01
// with the search tool's stored AWS pages: Lambda from AWS's "How AWS Pricing Works" whitepaper; CloudWatch,
// Kinesis and WAF units/free tiers from AWS's pages, their numbers still from third parties). Update the date and the
// `checked` fields together when you change a price; a test keeps every entry sourced.
//
// `checked` says what was seen when this table was written:
//   "aws"          the number appears on an AWS page (pricing page, documentation or whitepaper) as stored by the
//                  search tool;
//   "aws-model"    AWS's page confirms the unit and the billing model (what is counted, rounding), but the stored
//                  copy does not carry the number (AWS pricing pages render prices with scripts); the number is
//                  from dated third-party price write-ups;
//   "third-party"  only third-party write-ups were found;
//   "unverified"   not checked against any stored page: the number is the commonly quoted list price.

export type PriceCheck = "aws" | "aws-model" | "third-party" | "unverified";

export interface Price {
    /** US dollars per `per` units of `unit`. */
    usd: number;
    per: number;
    unit: string;
    /** Free allowance per account and month, in `unit`s (0 when none or not counted). */
    free?: number;
    checked: PriceCheck;
    source: string;
    note?: string;
}

/** Hours in a billing month as AWS's calculator counts them. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

const CW = "https://aws.amazon.com/cloudwatch/pricing/";
const KDS = "https://aws.amazon.com/kinesis/data-streams/pricing/";
const FH = "https://aws.amazon.com/firehose/pricing/";
const WAF = "https://aws.amazon.com/waf/pricing/";
/** AWS whitepaper "How AWS Pricing Works", Lambda section (states the request and GB-second prices). */
const LAMBDA_WP = "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html";
/** The stored copy of CloudWatch's pricing page carries the free tier and the units, not the paid-tier numbers. */
const CW_FREE = `${CW} (stored copy: free tier 10 custom metrics, 10 alarm metrics, 3 dashboards, 5 GB logs; units)`;
/** AWS blog: WAF bills each web ACL, each rule and the requests a web ACL processes, the same in every region, prorated hourly. */
const WAF_MODEL = `AWS blog "Cost-effective ways for securing your web applications using AWS WAF" (billing model, no numbers)`;

export const PRICE_TABLE = {
    region: "us-east-1",
    currency: "USD",
    /** The day these prices were looked up. */
    date: "2026-12-01",
    prices: {
        // ---- CloudWatch -------------------------------------------------------------------------------------
        alarmMetricStandard: {
            usd: 0.10, per: 1, unit: "alarm metric-month (standard resolution)", checked: "aws-model",
            source: `${CW_FREE}; number: c3x.dev/resources/aws/aws_cloudwatch_metric_alarm (2026)`,
            note: "a metric-math alarm is billed per metric it reads; an anomaly detection alarm as 3 alarm metrics per metric (the metric and the band's two bounds)",
        },
        alarmMetricHighResolution: { usd: 0.30, per: 1, unit: "alarm metric-month (10 s / 30 s period)", checked: "third-party", source: `${CW}; c3x.dev (2026)` },
        compositeAlarm: { usd: 0.50, per: 1, unit: "composite alarm-month", checked: "third-party", source: `${CW}; c3x.dev, cloudcostkit.com (2026)` },
        customMetric: {
            usd: 0.30, per: 1, unit: "custom metric-month (first 10,000)", free: 10, checked: "aws-model",
            source: `${CW_FREE}; number: c3x.dev/blog/aws-cloudwatch-metrics-cost (2026)`,
            note: "each namespace + name + dimension values is one metric; EMF-published metrics count the same",
        },
        dashboard: { usd: 3.00, per: 1, unit: "dashboard-month", free: 3, checked: "aws-model", source: `${CW_FREE}; number: c3x.dev (2026)` },
        logsIngestion: { usd: 0.50, per: 1, unit: "GB ingested (Standard log class)", free: 5, checked: "aws-model", source: `${CW_FREE}; number: c3x.dev/blog/cloudwatch-logs-cost-optimization (June 2026)` },
        vendedLogsIngestion: {
            usd: 0.50, per: 1, unit: "GB of vended logs (WAF) to CloudWatch Logs, first 10 TB", checked: "third-party",
            source: `${CW}; tech.enechange.co.jp (WAF logs are billed as vended logs)`,
        },
        logsStorage: { usd: 0.03, per: 1, unit: "GB-month archived", checked: "third-party", source: `${CW}; c3x.dev (2026)` },
        putMetricData: { usd: 0.01, per: 1000, unit: "PutMetricData requests", checked: "third-party", source: `${CW}; github.com/nishinoshake/aws-rough#37 (API request tier)` },
        // ---- Kinesis Data Streams ---------------------------------------------------------------------------
        kinesisOnDemandStreamHour: {
            usd: 0.04, per: 1, unit: "on-demand stream-hour", checked: "aws-model", source: KDS,
            note: "AWS's page: on-demand bills a per-stream hourly charge, data in per GB and data out per GB",
        },
        kinesisOnDemandIngest: { usd: 0.08, per: 1, unit: "GB written (records rounded up to 1 KB)", checked: "aws-model", source: KDS },
        kinesisOnDemandRetrieval: { usd: 0.04, per: 1, unit: "GB read", checked: "aws-model", source: KDS },
        kinesisShardHour: {
            usd: 0.015, per: 1, unit: "provisioned shard-hour", checked: "aws-model",
            source: `${KDS} (stored copies: billed per shard-hour and per PUT payload unit; no numbers); number: kindatechnical.com Kinesis pricing lesson`,
        },
        kinesisPutPayloadUnits: {
            usd: 0.014, per: 1_000_000, unit: "PUT payload units (25 KB)", checked: "aws-model",
            source: `${KDS} (stored copy: a PUT payload unit is a 25 KB chunk of a record, priced per million); number: github.com/EveryMundo/aws-kinesis-client docs (quotes $0.014 for US West (Oregon), not us-east-1)`,
        },
        // ---- Firehose ---------------------------------------------------------------------------------------
        firehoseIngest: {
            usd: 0.029, per: 1, unit: "GB ingested from Kinesis (records rounded up to 5 KB), first 500 TB", checked: "aws-model", source: FH,
            note: "AWS's page: ingestion priced per GB in 5 KB increments (a 3 KB record bills as 5 KB)",
        },
        firehoseDynamicPartitioning: { usd: 0.020, per: 1, unit: "GB delivered with dynamic partitioning", checked: "aws-model", source: FH },
        firehoseDynamicPartitioningObjects: { usd: 0.005, per: 1000, unit: "S3 objects delivered with dynamic partitioning", checked: "aws-model", source: FH },
        // ---- WAF --------------------------------------------------------------------------------------------
        wafWebAcl: { usd: 5.00, per: 1, unit: "web ACL-month", checked: "aws-model", source: `${WAF}; ${WAF_MODEL}; number: c3x.dev/blog/aws-waf-cost-explained (2026)` },
        wafRule: { usd: 1.00, per: 1, unit: "rule or rule group-month", checked: "aws-model", source: `${WAF}; ${WAF_MODEL}; number: c3x.dev (2026)`, note: "an AWS managed baseline rule group counts as one rule (c3x.dev; awsnegotiations.com counts managed groups as several rules: not settled)" },
        wafRequests: { usd: 0.60, per: 1_000_000, unit: "requests inspected", checked: "aws-model", source: `${WAF}; ${WAF_MODEL}; number: c3x.dev, awsnegotiations.com (2026)` },
        // ---- API Gateway, Lambda ----------------------------------------------------------------------------
        apiGatewayRest: {
            usd: 3.50, per: 1_000_000, unit: "REST API requests (first 333 M)", checked: "aws",
            source: "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html",
        },
        lambdaRequests: { usd: 0.20, per: 1_000_000, unit: "Lambda requests", free: 1_000_000, checked: "aws", source: `${LAMBDA_WP} ("$0.20 per 1 million requests"; 1 million free a month)` },
        lambdaGbSecond: {
            usd: 0.0000166667, per: 1, unit: "Lambda GB-second (x86)", free: 400_000, checked: "aws",
            source: `${LAMBDA_WP} ("$0.00001667 for every GB-second"; 400,000 GB-seconds free a month)`, note: "the whitepaper rounds to $0.00001667; $0.0000166667 is the unrounded rate",
        },
        // ---- KMS, SNS, SQS, S3, Security Hub ----------------------------------------------------------------
        kmsKey: { usd: 1.00, per: 1, unit: "customer managed key-month", checked: "aws", source: "https://aws.amazon.com/kms/pricing/", note: "each automatic rotation adds $1/month for the retained backing key (not counted: first year)" },
        kmsRequests: { usd: 0.03, per: 10_000, unit: "KMS requests", free: 20_000, checked: "third-party", source: "https://aws.amazon.com/kms/pricing/ (20,000 free: aws); wring.co KMS guide (rate)" },
        snsPublish: {
            usd: 0.50, per: 1_000_000, unit: "SNS publishes", free: 1_000_000, checked: "third-party",
            source: "https://aws.amazon.com/sns/pricing/ (not stored); gist allenheltondev/d028926b (AWS Serverless Cost Breakdown: $.50 / million); gist mkfmnn/c18899c1 (1 million free, us-east-1, 2017)",
        },
        snsEmail: { usd: 2.00, per: 100_000, unit: "SNS email deliveries", free: 1_000, checked: "unverified", source: "https://aws.amazon.com/sns/pricing/" },
        sqsRequests: {
            usd: 0.40, per: 1_000_000, unit: "SQS requests", free: 1_000_000, checked: "third-party",
            source: "https://aws.amazon.com/sqs/pricing/ (not stored); gist allenheltondev/d028926b ($.40 / million, standard queue); gist mkfmnn/c18899c1 (1 million free)",
        },
        s3Storage: {
            usd: 0.023, per: 1, unit: "GB-month S3 Standard (first 50 TB)", checked: "third-party",
            source: "https://aws.amazon.com/s3/pricing/ (stored copy renders no numbers); gist allenheltondev/d028926b ($.023 / GB / month)",
        },
        s3Put: { usd: 0.005, per: 1000, unit: "S3 PUT requests", checked: "unverified", source: "https://aws.amazon.com/s3/pricing/" },
        securityHubFindingIngestion: {
            usd: 0.00003, per: 1, unit: "finding ingestion events (beyond 10,000 a month)", free: 10_000, checked: "third-party",
            source: "aws-gcr-wwso-security.gitbook.io (Security Hub CSPM price list)",
            note: "AWS moved Security Hub to per-resource Essentials pricing (aws.amazon.com/security-hub/pricing); enabling the account (securityhub:Account) can add that plan's per-resource charges, which this estimate does not model",
        },
    } satisfies Record<string, Price>,
};

export type PriceKey = keyof typeof PRICE_TABLE.prices;

/** Dollars for `quantity` units of `key`, after the monthly free allowance when `applyFree` (default off: per-stack view). */
export function priceOf(key: PriceKey, quantity: number, applyFree = false): number {
    const p: Price = PRICE_TABLE.prices[key];
    const billable = applyFree ? Math.max(0, quantity - (p.free ?? 0)) : quantity;
    return (billable / p.per) * p.usd;
}

/**
 * Monthly price of one CloudWatch metric alarm: `metrics` metrics read (MetricStat queries, or 1 for a plain
 * metric alarm), `anomalyBand` when it alarms on ANOMALY_DETECTION_BAND (3 alarm metrics per metric),
 * `highResolution` for periods under 60 s.
 */
export function alarmMonthlyUsd(opts: { metrics?: number; anomalyBand?: boolean; highResolution?: boolean } = {}): number {
    const perMetric = opts.highResolution ? PRICE_TABLE.prices.alarmMetricHighResolution.usd : PRICE_TABLE.prices.alarmMetricStandard.usd;
    return Math.max(1, opts.metrics ?? 1) * (opts.anomalyBand ? 3 : 1) * perMetric;
}

/** Monthly price of one composite alarm (its child alarms are billed on their own). */
export function compositeAlarmMonthlyUsd(): number {
    return PRICE_TABLE.prices.compositeAlarm.usd;
}

/** One line per price: for the plan's and the README's source list. */
export function priceSources(): string[] {
    return Object.entries(PRICE_TABLE.prices).map(([k, p]: [string, Price]) =>
        `${k}: $${p.usd} per ${p.per === 1 ? "" : `${p.per.toLocaleString("en-US")} `}${p.unit} [${p.checked}] ${p.source}`);
}
