// Slack and Microsoft Teams channels (alerts.slack, alerts.teams): the config refuses what the Chatbot API would,
// naming the key; under the mocks the whole program gets a chat topic the finding Lambda (and the DLQ alarm)
// publish to, one channel configuration per channel reading only that topic, a role with no permissions trusted
// by Chatbot for this account only, a narrow guardrail instead of Chatbot's AdministratorAccess default, and zero
// mandatory policy violations. The notice itself (custom-notification JSON) is tested in alertNotify.test.ts.
import { strict as assert } from "assert";

import { ConfigError, parseConfig, RawConfig } from "../config";
import { evaluatePolicies, fromRecorded } from "../policy/lib/evaluate";
import { PACK_ENFORCEMENT_LEVEL, policies } from "../policy/policies";
import { ProgramRun, runProgram, stackFileConfig } from "./harness";
import { ACCOUNT, REGION } from "./mocks";

const P = "edge-anomaly-detection";
const SLACK = { workspaceId: "T07EA123LEP", channelId: "C07EZ1ABC23" };
const TEAMS = { tenantId: "1b2c3d4e-0000-4000-8000-00000000abcd", teamId: "74361522-da01-438d-aa2e-ac7918c6bb92", channelId: "19%3ab6ef35dc342d4b5a9ea3b8d3a2e4f5c6%40thread.tacv2" };

function withChat(chat: Record<string, unknown>): Record<string, unknown> {
    const c = stackFileConfig("dev");
    c[`${P}:alerts`] = { ...(c[`${P}:alerts`] as object), ...chat };
    return c;
}

function rawOf(config: Record<string, unknown>): RawConfig {
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(`${P}:`)).map(([k, v]) => [k.slice(P.length + 1), v]));
}

function configError(chat: Record<string, unknown>): ConfigError {
    try {
        parseConfig(rawOf(withChat(chat)), { stack: "dev", region: REGION });
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e;
    }
    throw new Error("the config was accepted");
}

describe("chat channels: config", () => {
    it("accepts Slack and Teams channels as the Chatbot API states their ids; none by default", () => {
        const c = parseConfig(rawOf(withChat({ slack: [SLACK], teams: [TEAMS] })), { stack: "dev", region: REGION });
        assert.deepEqual(c.alerts.slack, [SLACK]);
        assert.deepEqual(c.alerts.teams, [TEAMS]);
        const none = parseConfig(rawOf(stackFileConfig("dev")), { stack: "dev", region: REGION });
        assert.deepEqual([none.alerts.slack, none.alerts.teams], [[], []]);
    });

    const cases: [string, Record<string, unknown>, string, RegExp][] = [
        ["a lower-case workspace id", { slack: [{ ...SLACK, workspaceId: "t07ea123lep" }] }, `${P}:alerts.slack[0].workspaceId`, /Slack workspace id/],
        ["a channel name instead of its id", { slack: [{ ...SLACK, channelId: "#alerts" }] }, `${P}:alerts.slack[0].channelId`, /Slack channel id/],
        ["a missing channel id", { slack: [{ workspaceId: SLACK.workspaceId }] }, `${P}:alerts.slack[0].channelId`, /is required/],
        ["an unknown key", { slack: [{ ...SLACK, channel: "x" }] }, `${P}:alerts.slack[0].channel`, /unknown key/],
        ["the same channel twice", { slack: [SLACK, { ...SLACK }] }, `${P}:alerts.slack`, /twice/],
        ["not a list", { slack: SLACK }, `${P}:alerts.slack`, /must be a list/],
        ["a tenant id that is not a UUID", { teams: [{ ...TEAMS, tenantId: "contoso" }] }, `${P}:alerts.teams[0].tenantId`, /tenant id/],
        ["a Teams channel id not URL-encoded", { teams: [{ ...TEAMS, channelId: "19:abc@thread.tacv2" }] }, `${P}:alerts.teams[0].channelId`, /URL-encoded/],
    ];
    for (const [what, chat, key, detail] of cases) {
        it(`refuses ${what}, naming ${key}`, () => {
            const e = configError(chat);
            assert.equal(e.key, key);
            assert.match(e.message, detail);
        });
    }
});

describe("chat channels: whole program under mocks", () => {
    let run: ProgramRun;
    before(async () => {
        // The exact stack name: the guardrail and topic names below are `edge-anomaly-detection-dev-…`.
        run = await runProgram(withChat({ slack: [SLACK], teams: [TEAMS] }), "dev", { exactStackName: true });
    });

    it("one chat topic, KMS-encrypted with the alert key, TLS-only; each channel reads that topic only", () => {
        const topic = run.one("aws:sns/topic:Topic", "chat-topic");
        const key = run.one("aws:kms/key:Key", "alerts-key");
        assert.equal(topic.inputs.kmsMasterKeyId, key.state.arn);
        const policy = JSON.parse(run.one("aws:sns/topicPolicy:TopicPolicy", "chat-topic-policy").inputs.policy as string);
        assert.ok(policy.Statement.some((s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false"));
        const slack = run.ofType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration");
        const teams = run.ofType("aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration");
        assert.equal(slack.length, 1);
        assert.equal(teams.length, 1);
        assert.deepEqual([slack[0].inputs.slackTeamId, slack[0].inputs.slackChannelId], [SLACK.workspaceId, SLACK.channelId]);
        assert.deepEqual([teams[0].inputs.tenantId, teams[0].inputs.teamId, teams[0].inputs.channelId], [TEAMS.tenantId, TEAMS.teamId, TEAMS.channelId]);
        for (const c of [...slack, ...teams]) {
            assert.deepEqual(c.inputs.snsTopicArns, [topic.state.arn]);
            assert.match(c.inputs.configurationName as string, /^[A-Za-z0-9_-]{1,128}$/);
        }
    });

    it("the channels' role has no permissions and trusts Chatbot for this account only; the guardrail reads this stack's alarms, nothing else", () => {
        const role = run.one("aws:iam/role:Role", "alerts-chat-role");
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy as string), {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "chatbot.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }],
        });
        assert.equal(run.resources.filter((r) => r.type.startsWith("aws:iam/rolePolicy") && r.inputs.role === role.state.id).length, 0);
        assert.equal(run.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === role.state.name).length, 0);
        const guardrail = run.one("aws:iam/policy:Policy", "alerts-chat-guardrail");
        assert.deepEqual(JSON.parse(guardrail.inputs.policy as string).Statement, [{
            Sid: "ReadThisStacksAlarms", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"],
            Resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${P}-dev*`,
        }]);
        for (const c of [...run.ofType("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"), ...run.ofType("aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration")]) {
            assert.deepEqual(c.inputs.guardrailPolicyArns, [guardrail.state.arn], "no guardrail means AdministratorAccess");
            assert.equal(c.inputs.iamRoleArn, role.state.arn);
        }
    });

    it("the finding Lambda publishes to the chat topic (env, IAM) and the DLQ alarm notifies it; the key and DLQ admit it", () => {
        const topic = run.one("aws:sns/topic:Topic", "chat-topic");
        const fn = run.one("aws:lambda/function:Function", "alerts-finding");
        assert.equal((fn.inputs.environment as any).variables.CHAT_TOPIC_ARN, topic.state.arn);
        const policy = run.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.startsWith("alerts-finding"))!;
        const notify = JSON.parse(policy.inputs.policy as string).Statement.find((s: any) => s.Sid === "NotifyPeople");
        assert.deepEqual(notify.Action, ["sns:Publish"]);
        assert.ok([notify.Resource].flat().includes(topic.state.arn));
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "alerts-dlq-depth");
        assert.ok((alarm.inputs.alarmActions as string[]).includes(topic.state.arn as string));
        assert.ok(!(alarm.inputs.okActions as string[]).includes(topic.state.arn as string), "OK never reaches chat");
        const keyPolicy = JSON.parse(run.one("aws:kms/key:Key", "alerts-key").inputs.policy as string);
        const sns = keyPolicy.Statement.find((s: any) => s.Sid === "SnsDeliversFailedMessagesToTheQueue");
        assert.ok(sns.Condition.ArnEquals["aws:SourceArn"].some((a: string) => a.endsWith(":edge-anomaly-detection-dev-alerts-chat")));
    });

    it("without chat channels: no chat topic, no CHAT_TOPIC_ARN, no Chatbot resource", async () => {
        const plain = await runProgram(stackFileConfig("dev"), "dev");
        assert.equal(plain.resources.filter((r) => r.type.startsWith("aws:chatbot/") || (r.type === "aws:sns/topic:Topic" && r.name.includes("chat"))).length, 0);
        const fn = plain.one("aws:lambda/function:Function", "alerts-finding");
        assert.equal((fn.inputs.environment as any).variables.CHAT_TOPIC_ARN, undefined);
    });

    it("0 mandatory policy violations", async () => {
        const report = await evaluatePolicies(policies, fromRecorded(run.resources, "dev", P), { packEnforcementLevel: PACK_ENFORCEMENT_LEVEL });
        assert.deepEqual([
            ...report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.type} ${v.name}: ${v.message}`),
            ...report.violations.filter((v) => v.couldNotRun).map((v) => `could not run ${v.policy}: ${v.message}`),
        ], []);
    });
});
