// The GitHub Actions workflow as data: it must keep doing what the README promises — tests and the offline plan
// on every pull request, `pulumi preview` with the policy pack (PR comment) only where credentials exist, `pulumi
// up` of dev from main behind an environment — with least-privilege permissions and OIDC instead of keys.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; name?: string };
type Job = { if?: string; needs?: string | string[]; permissions?: Record<string, string>; environment?: unknown; env?: Record<string, string>; steps: Step[] };
type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> };

const FILE = path.resolve(__dirname, "..", ".github", "workflows", "ci.yml");

describe("CI workflow (.github/workflows/ci.yml)", () => {
    const wf = yaml.load(fs.readFileSync(FILE, "utf8")) as Workflow;
    const uses = (job: Job, action: string) => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
    const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");

    it("runs on pull requests and on pushes to main", () => {
        assert.ok("pull_request" in wf.on);
        assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
    });

    it("grants only contents: read by default; id-token and pull-requests: write only where needed", () => {
        assert.deepEqual(wf.permissions, { contents: "read" });
        assert.equal(wf.jobs.test.permissions, undefined);
        assert.deepEqual(wf.jobs.preview.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
        assert.deepEqual(wf.jobs.deploy.permissions, { contents: "read", "id-token": "write" });
        assert.deepEqual(wf.jobs["plan-comment"].permissions, { "pull-requests": "write" });
    });

    it("test job: Node 22, npm ci, npm test, the offline plan of dev (pipefail, so a violation fails the job)", () => {
        const job = wf.jobs.test;
        assert.equal(uses(job, "actions/setup-node")[0].with?.["node-version"], "${{ env.NODE_VERSION }}");
        assert.equal((yaml.load(fs.readFileSync(FILE, "utf8")) as { env: Record<string, string> }).env.NODE_VERSION, "22");
        const script = runs(job);
        assert.match(script, /npm ci/);
        assert.match(script, /npm test/);
        assert.match(script, /set -o pipefail[\s\S]*npm run --silent plan -- --stack "\$STACK" --load events=20\/s,requests=50\/s/);
        assert.match(script, /verdict=\$\(tail -n 1 plan\.txt\)\s+if \[ "\$verdict" != "0 mandatory violations" \]/, "a plan cut before its verdict fails the job");
        assert.match(script, /--base "origin\/\$\{\{ github\.base_ref \}\}"/, "pull requests show the changes against their base branch");
        assert.match(script, /JSON\.parse\(require\("fs"\)\.readFileSync\("plan\.json"/);
    });

    it("plan-comment job: posts the offline plan and its cost estimate on same-repository pull requests, pull-requests: write only", () => {
        const job = wf.jobs["plan-comment"];
        assert.equal(job.needs, "test");
        assert.deepEqual(job.permissions, { "pull-requests": "write" });
        assert.match(job.if!, /head\.repo\.full_name == github\.repository/);
        assert.match(runs(job), /gh pr comment "\$PR" --body-file plan-comment\.md/);
        assert.match(runs(wf.jobs.test), /--comment plan-comment\.md/);
    });

    it("preview job: after the tests, same-repository PRs with a role configured, OIDC role, pulumi/actions v7 preview with the pack and a PR comment", () => {
        const job = wf.jobs.preview;
        assert.equal(job.needs, "test");
        assert.match(job.if!, /github\.event_name == 'pull_request'/);
        assert.match(job.if!, /head\.repo\.full_name == github\.repository/);
        assert.match(job.if!, /vars\.AWS_ROLE_TO_ASSUME != ''/);
        const aws = uses(job, "aws-actions/configure-aws-credentials")[0];
        assert.equal(aws.with?.["role-to-assume"], "${{ vars.AWS_ROLE_TO_ASSUME }}");
        assert.ok(!("aws-access-key-id" in (aws.with ?? {})), "OIDC, not static keys");
        const pulumi = uses(job, "pulumi/actions");
        assert.equal(pulumi.length, 1);
        assert.equal(pulumi[0].uses, "pulumi/actions@v7");
        assert.equal(pulumi[0].with?.command, "preview");
        assert.equal(pulumi[0].with?.policyPacks, "policy");
        assert.equal(pulumi[0].with?.["comment-on-pr"], true);
        assert.equal(job.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        assert.equal(job.env?.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}");
        assert.match(runs(job), /file:\/\/\*\)/, "refuses a runner-local backend");
        assert.ok(runs(job).indexOf("npm ci") >= 0, "pulumi/actions runs no npm ci itself");
    });

    it("deploy job: push to main only, behind the dev environment, pulumi up with the pack, never two at once", () => {
        const job = wf.jobs.deploy as Job & { concurrency: { group: string; "cancel-in-progress": boolean } };
        assert.equal(job.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
        assert.equal(job.environment, "dev");
        assert.equal(job.concurrency["cancel-in-progress"], false);
        const pulumi = uses(job, "pulumi/actions")[0];
        assert.equal(pulumi.uses, "pulumi/actions@v7");
        assert.equal(pulumi.with?.command, "up");
        assert.equal(pulumi.with?.["stack-name"], "${{ env.STACK }}");
        assert.equal(pulumi.with?.policyPacks, "policy");
        assert.match(runs(job), /file:\/\/\*\)/);
    });

    it("tells fork PRs why there is no preview", () => {
        const note = wf.jobs.test.steps.find((s) => /pulumi preview skipped/.test(s.run ?? ""));
        assert.ok(note?.if && /head\.repo\.full_name != github\.repository/.test(note.if));
    });

    it("pins every action to a major version", () => {
        for (const job of Object.values(wf.jobs)) {
            for (const s of job.steps) if (s.uses) assert.match(s.uses, /^[\w-]+\/[\w-]+@v\d+$/, s.uses);
        }
    });
});

describe("CI entry point (.ci/run): the plan step", function () {
    this.timeout(30_000);
    const CI = fs.readFileSync(path.resolve(__dirname, "..", ".ci", "run"), "utf8");
    const step = CI.slice(CI.indexOf("# The offline plan of the dev stack"));

    /** The plan step with `npm` replaced by a script printing `out` and exiting `code` (and saving `json`). */
    function runStep(out: string, code: number, json = "{}"): { status: number; output: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-step-"));
        const npm = path.join(dir, "npm");
        fs.writeFileSync(path.join(dir, "out.txt"), out);
        fs.writeFileSync(path.join(dir, "plan.json"), json);
        fs.writeFileSync(npm, `#!/usr/bin/env bash\nwhile [ $# -gt 0 ]; do [ "$1" = --save ] && cp "${dir}/plan.json" "$2"; shift; done\ncat "${dir}/out.txt"\nexit ${code}\n`);
        fs.chmodSync(npm, 0o755);
        const r = spawnSync("bash", ["-c", `set -euo pipefail\npassed=5\n${step}`], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
        fs.rmSync(dir, { recursive: true, force: true });
        return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
    }

    it("passes a complete plan whose last line is the verdict", () => {
        const r = runStep("TYPE ...\n81 resources to create (in 7 components)\n0 mandatory violations\n", 0);
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /^tests: 5 passed, 0 failed$/m);
    });

    it("fails a plan that exits 0 but was cut before its verdict", () => {
        const r = runStep("TYPE ...\naws:cloudwatch:MetricAlarm  detection-views-tot", 0);
        assert.equal(r.status, 1, r.output);
        assert.match(r.output, /ci: offline plan failed \(exit 0; last line: 'aws:cloudwatch:MetricAlarm {2}detection-views-tot'\)/);
        assert.match(r.output, /^tests: 5 passed, 1 failed$/m);
    });

    it("fails on violations, on a non-zero exit, and on a saved plan that is not JSON", () => {
        assert.equal(runStep("...\n3 mandatory violations\n", 1).status, 1);
        assert.equal(runStep("...\n0 mandatory violations\n", 3).status, 1);
        const r = runStep("...\n0 mandatory violations\n", 0, '{"resources": [');
        assert.equal(r.status, 1);
        assert.match(r.output, /ci: the saved plan is not JSON/);
    });
});
