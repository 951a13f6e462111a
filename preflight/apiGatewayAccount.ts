// Preflight: the API Gateway account-level CloudWatch Logs role.
//
// A stage with access logs is refused by API Gateway ("CloudWatch Logs role ARN must be set in account settings to
// enable logging") when the account and region have no CloudWatch role. The setting is one per account and region,
// so by default this stack does not own it (`api.manageAccountLogsRole: false`). Without this check a fresh account
// gets a half-deployed stack: everything before the stage is created, then the stage fails.
//
// The check reads the setting through the stack's own AWS provider (credentials, region, profile) as a read-only
// lookup of `aws:apigateway/account:Account` — `Resource.get`, which the engine runs during `pulumi preview` as a
// `read` step (it never creates, updates or deletes the account settings). @pulumi/aws has no data source for it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { AppConfig, ConfigError, PROJECT } from "../config";
import { knownValue } from "./known";

export const MANAGE_ACCOUNT_LOGS_ROLE_KEY = `${PROJECT}:api.manageAccountLogsRole`;

/**
 * What a read of the region's API Gateway settings found: `roleArn` undefined or "" when no role is set;
 * `known: false` when the engine could not say (an unknown preview value), in which case nothing is concluded.
 */
export interface AccountLogsRole { readonly known: boolean; readonly roleArn?: string }
export type AccountLogsRoleReader = () => Promise<AccountLogsRole>;

/** The logical name of the read-only lookup (shows as a `read` step in previews). */
export const ACCOUNT_LOOKUP_NAME = "preflight-apigateway-account";

/** The default reader: `aws.apigateway.Account.get` with the caller's account id (the resource's import id). */
export const readAccountLogsRoleArn: AccountLogsRoleReader = async () => {
    const { accountId } = await aws.getCallerIdentity();
    const account = aws.apigateway.Account.get(ACCOUNT_LOOKUP_NAME, accountId);
    const found = await knownValue(account.cloudwatchRoleArn);
    return found.known ? { known: true, roleArn: found.value } : { known: false };
};

/**
 * Fails, naming `api.manageAccountLogsRole`, when this stack does not set the account role and the region has none.
 * With `manageAccountLogsRole: true` nothing is read: the stack sets the role itself (before the stage).
 */
export async function checkApiGatewayAccountLogsRole(config: AppConfig, read: AccountLogsRoleReader = readAccountLogsRoleArn): Promise<void> {
    if (config.api.manageAccountLogsRole) return;
    const { known, roleArn } = await read();
    if (!known) {
        pulumi.log.warn(`preflight: could not read API Gateway's account settings in ${config.region}; ` +
            `if 'aws apigateway get-account' shows no cloudwatchRoleArn, set ${MANAGE_ACCOUNT_LOGS_ROLE_KEY} to true`);
        return;
    }
    if (roleArn === undefined || roleArn === "") {
        throw new ConfigError(MANAGE_ACCOUNT_LOGS_ROLE_KEY,
            `is false, but API Gateway in ${config.region} has no account-level CloudWatch Logs role ` +
            `('aws apigateway get-account' shows no cloudwatchRoleArn), so the stage's access logs would be refused ` +
            `half-way through the deployment. Set it to true to let this stack set the role ` +
            `(pulumi config set --path '${PROJECT}:api.manageAccountLogsRole' true), or set the role in the account first.`);
    }
    pulumi.log.debug(`preflight: API Gateway account CloudWatch role is ${roleArn}`);
}
