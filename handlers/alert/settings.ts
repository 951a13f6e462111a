// The finding Lambda's settings from its environment, and its SDK client configurations. Also used by the
// DevOps Guru insight Lambda (components/devopsGuruInsights.ts): import this module, not the handler, so a
// serialized function carries only what it uses.
import type { CloudWatchClientConfig } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClientConfig } from "@aws-sdk/client-cloudwatch-logs";
import type { SecurityHubClientConfig } from "@aws-sdk/client-securityhub";
import type { SNSClientConfig } from "@aws-sdk/client-sns";

import { ENV_NAME as ECOMMERCE_ENV, ecommerceSettingsFromEnv } from "../enrich/ecommerceRootCause";
import { wafLogGroupsFromEnv } from "../enrich/wafRootCause";
import { FindingSettings, productArnFor, STREAM_ARN } from "./asff";
import { ALERT_RETRY, alertRetryStrategy, RetryOptions } from "./retry";

/** The most the enrich stage may take of the 60 s timeout: Security Hub (two imports, two DescribeAlarms) and SNS keep 30 s with their retries. */
export const MAX_ROOT_CAUSE_BUDGET_MS = 30_000;

/** Reads the settings from the function's environment; a missing or inconsistent value is an error naming it. */
export function findingSettingsFromEnv(env: NodeJS.ProcessEnv): FindingSettings {
    const need = (name: string): string => {
        const v = env[name];
        if (!v || !v.trim()) throw new Error(`finding Lambda: environment variable ${name} is not set`);
        return v.trim();
    };
    const optional = (name: string) => env[name]?.trim() || undefined;
    const s: FindingSettings = {
        accountId: need("FINDING_ACCOUNT_ID"),
        region: need("FINDING_REGION"),
        partition: need("FINDING_PARTITION"),
        productArn: need("FINDING_PRODUCT_ARN"),
        webAclArn: optional("WEB_ACL_ARN"),
        ...(optional("WEB_ACL_ARNS") ? { webAclArns: optional("WEB_ACL_ARNS")!.split(",") } : {}),
        ...(optional("ALARM_REGIONS") ? { alarmRegions: optional("ALARM_REGIONS")!.split(",") } : {}),
        ecommerceStreamArn: optional("ECOMMERCE_STREAM_ARN"),
        peopleTopicArn: optional("PEOPLE_TOPIC_ARN"),
        ...(optional("CHAT_TOPIC_ARN") ? { chatTopicArn: optional("CHAT_TOPIC_ARN") } : {}),
        dashboardUrl: optional("DASHBOARD_URL"),
        ...(optional("WAF_LOG_GROUPS") ? { wafLogGroups: wafLogGroupsFromEnv(env) } : {}),
        ...(optional(ECOMMERCE_ENV) ? { ecommerceRootCause: ecommerceSettingsFromEnv(env) } : {}),
        ...(optional("ROOT_CAUSE_BUDGET_MS") ? { rootCauseBudgetMs: Number(optional("ROOT_CAUSE_BUDGET_MS")) } : {}),
    };
    const budget = s.rootCauseBudgetMs;
    if (budget !== undefined && !(Number.isInteger(budget) && budget >= 500 && budget <= MAX_ROOT_CAUSE_BUDGET_MS)) {
        throw new Error(`finding Lambda: ROOT_CAUSE_BUDGET_MS ${JSON.stringify(env.ROOT_CAUSE_BUDGET_MS)} must be a whole number of ms from 500 to ${MAX_ROOT_CAUSE_BUDGET_MS} (the function's 60 s timeout also covers Security Hub and SNS)`);
    }
    if (!/^\d{12}$/.test(s.accountId)) throw new Error(`finding Lambda: FINDING_ACCOUNT_ID ${JSON.stringify(s.accountId)} is not a 12-digit account id`);
    const stream = s.ecommerceStreamArn;
    if (stream && STREAM_ARN.exec(stream)?.[3] !== s.accountId) {
        throw new Error(`finding Lambda: ECOMMERCE_STREAM_ARN ${stream} is not a Kinesis data stream ARN of account ${s.accountId} (arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME)`);
    }
    const expected = productArnFor(s.partition, s.region, s.accountId);
    if (s.productArn !== expected) {
        throw new Error(`finding Lambda: FINDING_PRODUCT_ARN ${s.productArn} is not this account's default product (${expected})`);
    }
    return s;
}

/** The client configuration the deployed function uses: its own retry strategy (no cross-call quota, see retry.ts). */
export function securityHubClientConfig(region: string, retry: RetryOptions = ALERT_RETRY): SecurityHubClientConfig {
    return { region, maxAttempts: retry.maxAttempts, retryStrategy: alertRetryStrategy(retry) };
}

export function cloudWatchClientConfig(region: string, retry: RetryOptions = ALERT_RETRY): CloudWatchClientConfig {
    return { region, maxAttempts: retry.maxAttempts, retryStrategy: alertRetryStrategy(retry) };
}

export function snsClientConfig(region: string, retry: RetryOptions = ALERT_RETRY): SNSClientConfig {
    return { region, maxAttempts: retry.maxAttempts, retryStrategy: alertRetryStrategy(retry) };
}


export function logsClientConfig(region: string, retry: RetryOptions = ALERT_RETRY): CloudWatchLogsClientConfig {
    return { region, maxAttempts: retry.maxAttempts, retryStrategy: alertRetryStrategy(retry) };
}
