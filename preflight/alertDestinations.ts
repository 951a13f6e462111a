// Preflight: where alerts go. A placeholder address (a domain reserved for documentation and tests, RFC 2606 and
// RFC 6761: example.com/.net/.org, *.example, *.test, *.invalid, *.localhost) can never confirm its subscription, so
// alerts would silently reach nobody; it is refused, naming the key. No subscriber at all is allowed (alerts still
// reach Security Hub) but warned about.
import * as pulumi from "@pulumi/pulumi";

import { AppConfig, ConfigError, PROJECT } from "../config";

const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;

/** True when `address` is at a domain reserved for documentation or testing. */
export function isReservedEmailDomain(address: string): boolean {
    const at = address.lastIndexOf("@");
    return at >= 0 && RESERVED_DOMAIN.test(address.slice(at + 1).replace(/\.$/, ""));
}

export function checkAlertDestinations(config: AppConfig, warn: (msg: string) => void = (m) => pulumi.log.warn(m)): void {
    config.alerts.emails.forEach((address, i) => {
        if (isReservedEmailDomain(address)) {
            throw new ConfigError(`${PROJECT}:alerts.emails[${i}]`,
                `${JSON.stringify(address)} is at a domain reserved for examples and can never confirm the subscription; ` +
                `put the address that should receive alerts`);
        }
    });
    const { emails, smsNumbers, httpsEndpoints } = config.alerts;
    if (emails.length + smsNumbers.length + httpsEndpoints.length === 0) {
        warn(`preflight: ${PROJECT}:alerts.emails, alerts.smsNumbers and alerts.httpsEndpoints are all empty: ` +
            `no person is notified of an alert (findings still go to Security Hub when it is enabled)`);
    }
}
