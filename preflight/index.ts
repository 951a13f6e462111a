// Preflight checks: run by the entry point (main.ts) after the config is loaded and before any resource is
// declared, so a stack that cannot deploy fails `pulumi preview` naming the key, with nothing created. Each check
// lives in its own module; reads of the account go through the stack's AWS provider and are injectable for tests.
import { AppConfig } from "../config";
import { AccountLogsRoleReader, checkApiGatewayAccountLogsRole } from "./apiGatewayAccount";
import { checkAlertDestinations } from "./alertDestinations";

/** Replaceable reads (tests, the offline plan); each defaults to the real read. */
export interface PreflightReaders {
    readonly apiGatewayAccountLogsRole?: AccountLogsRoleReader;
}

/** Runs every check; the first failure rejects with its ConfigError. */
export async function runPreflight(config: AppConfig, readers: PreflightReaders = {}): Promise<void> {
    checkAlertDestinations(config);
    await checkApiGatewayAccountLogsRole(config, readers.apiGatewayAccountLogsRole);
}
