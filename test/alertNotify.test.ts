// The people notice (handlers/alert/notify.ts), source and serialized: what it says for a WAF alarm and an
// ecommerce Lookout anomaly, SNS's Subject rules, and that the README's example messages are exactly what the
// code produces (generated here, compared there).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as snsSdk from "@aws-sdk/client-sns";
import { PublishCommand } from "@aws-sdk/client-sns";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

import * as notify from "../handlers/alert/notify";
import { parseAlertEvent } from "../handlers/alertEvents";
import { consoleUrl, FindingSettings, planAlert, productArnFor } from "../handlers/securityHubFinding";
import { artifactsOf, forBothArtifacts } from "./serialized";
import { commandProblems } from "./standins/sdkModel";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const settings: FindingSettings = { accountId: ACCOUNT, region: REGION, partition: "aws", productArn: productArnFor("aws", REGION, ACCOUNT) };
const NOW = new Date("2025-03-04T12:00:00.000Z");
const DASHBOARD = consoleUrl("aws", REGION, `cloudwatch/home?region=${REGION}#dashboards/dashboard/edge-anomaly-detection-dev-detection`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixture = (name: string): unknown => JSON.parse(JSON.stringify(require(`./fixtures/alerts/${name}.json`)));

function findingOf(name: string): AwsSecurityFinding {
    const plan = planAlert(parseAlertEvent(fixture(name))[0], settings, NOW);
    if (plan.action !== "import") throw new Error(name);
    return plan.findings[0];
}

type NotifyFunctions = Pick<typeof notify, "peopleNotice" | "findingConsoleUrl" | "publishNotice">;
const notifyFunctions = (): NotifyFunctions => ({ peopleNotice: notify.peopleNotice, findingConsoleUrl: notify.findingConsoleUrl, publishNotice: notify.publishNotice });

/** The example messages in the README, by fixture. */
export function exampleNotice(fns: NotifyFunctions, name: string): notify.PeopleNotice {
    const f = findingOf(name);
    return fns.peopleNotice(f, { finding: fns.findingConsoleUrl(`https://${REGION}.console.aws.amazon.com`, REGION, f.Id!), dashboard: DASHBOARD });
}

forBothArtifacts("people notice", artifactsOf<NotifyFunctions>(notifyFunctions, { factory: true, name: "notify-functions" }), (fns) => {
    it("WAF alarm: what, how far outside the band (value and edge), when, links", () => {
        const n = exampleNotice(fns(), "cw-waf-alarm");
        assert.equal(n.subject, "[CRITICAL] WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleS...");
        const lines = n.message.split("\n");
        assert.deepEqual(lines.slice(0, 4), [
            "CRITICAL: WAF blocked requests anomaly above the expected band: rule AWSManagedRulesCommonRuleSet on web ACL edge-webacl-abc123",
            "How far: 10.69x outside the band (value 412; band upper 38.527913)",
            "When: 2025-03-04T10:06:00.000Z",
            "Top contributors: none in the alert",
        ]);
        assert.match(lines[4], /^Finding: https:\/\/us-east-1\.console\.aws\.amazon\.com\/securityhub\/home\?region=us-east-1#\/findings\?search=/);
        assert.ok(decodeURIComponent(lines[4]).endsWith(`Id=\\operator\\:EQUALS\\:${findingOf("cw-waf-alarm").Id}`));
        assert.equal(lines[5], `Dashboard: ${DASHBOARD}`);
    });

    it("ecommerce Lookout anomaly: the top contributors by share, largest first, at most five", () => {
        const n = exampleNotice(fns(), "l4m-lambda-ecommerce");
        const f = findingOf("l4m-lambda-ecommerce");
        const shares = Object.entries(f.ProductFields!).filter(([k]) => k.startsWith("edgeAnomaly/contribution/"))
            .map(([k, v]) => [k.slice("edgeAnomaly/contribution/".length).replace("/", "="), Number(v)] as const).sort((a, b) => b[1] - a[1]);
        assert.ok(shares.length > 0);
        const top = n.message.split("\n").find((l) => l.startsWith("Top contributors: "))!;
        assert.equal(top, `Top contributors: ${shares.slice(0, notify.MAX_CONTRIBUTORS).map(([k, v]) => `${k} ${v}%`).join(", ")}`);
        assert.match(n.message.split("\n")[1], /^How far: anomaly score 83\.33 of 100$/);
    });

    it("Subject: ASCII only, fewer than 100 characters, even for a long non-ASCII title", () => {
        const f = { ...findingOf("cw-waf-alarm"), Title: `Anomalie é ${"x".repeat(300)}` };
        const n = fns().peopleNotice(f, {});
        assert.ok(n.subject.length <= notify.MAX_SUBJECT_LENGTH);
        assert.match(n.subject, /^\[CRITICAL\] Anomalie \? x+\.\.\.$/);
        assert.ok(!n.message.includes("Finding:") && !n.message.includes("Dashboard:"), "no link lines without links");
    });

    it("publishes one valid SNS Publish request and returns its MessageId; a failure propagates", async () => {
        const sent: PublishCommand[] = [];
        const sns = { send: async (c: PublishCommand) => { sent.push(c); return { MessageId: "m-9" }; } } as unknown as notify.SnsSender;
        const n = exampleNotice(fns(), "cw-waf-alarm");
        assert.equal(await fns().publishNotice(sns, "arn:aws:sns:us-east-1:123456789012:people", n), "m-9");
        assert.ok(sent[0] instanceof PublishCommand);
        assert.deepEqual(commandProblems(snsSdk as unknown as Record<string, unknown>, sent[0]), []);
        assert.deepEqual(sent[0].input, { TopicArn: "arn:aws:sns:us-east-1:123456789012:people", Subject: n.subject, Message: n.message });
        const failing = { send: async () => { throw Object.assign(new Error("denied"), { name: "AuthorizationErrorException" }); } } as unknown as notify.SnsSender;
        await assert.rejects(fns().publishNotice(failing, "arn:aws:sns:us-east-1:123456789012:people", n), /denied/);
    });

    it("the README shows exactly these messages", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        for (const name of ["cw-waf-alarm", "l4m-lambda-ecommerce"]) {
            const n = exampleNotice(fns(), name);
            const block = ["```text", `Subject: ${n.subject}`, "", n.message, "```"].join("\n");
            assert.ok(readme.includes(block), `README lacks the ${name} example:\n${block}`);
        }
    });
});
