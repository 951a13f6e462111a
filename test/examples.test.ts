// examples/watch-existing-acl: a second Pulumi program that imports this project as a library (package name, via
// package.json `exports`) and watches one existing web ACL. It is type-checked with the project (tsconfig) and run
// here under the shared mocks, as `pulumi up` would run it, for a REGIONAL and a CLOUDFRONT web ACL.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

import { ROOT, runExternalProgram } from "./harness";

const DIR = path.join(ROOT, "examples", "watch-existing-acl");
const project = yaml.load(fs.readFileSync(path.join(DIR, "Pulumi.yaml"), "utf8")) as { name: string; main: string };
const ENTRY = path.join(DIR, project.main);
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
// Each WAF series: a band child and a noise-floor child (no actions) under a composite that acts.
const bands = (run: { ofType: (t: string) => any[] }) => run.ofType(ALARM).filter((a) => a.name.startsWith("waf-") && !a.name.endsWith("-floor"));

describe("examples/watch-existing-acl (the library from another program)", () => {
    it("imports the library by package name: the example's source names no relative path into this project", () => {
        const src = fs.readFileSync(ENTRY, "utf8");
        assert.match(src, /from "edge-anomaly-detection"/);
        assert.doesNotMatch(src, /from "\.\.\//);
    });

    it("REGIONAL web ACL in eu-west-1: an alarm for Rule=ALL and each listed rule, no API, no pipeline, no web ACL", async () => {
        const run = await runExternalProgram(ENTRY, project.name, {
            "aws:region": "eu-west-1",
            [`${project.name}:webAclName`]: "orders-alb-acl",
            [`${project.name}:rules`]: ["AWS-AWSManagedRulesCommonRuleSet"],
            [`${project.name}:alertEmail`]: "secops@corp.internal",
        });
        const alarms = bands(run);
        assert.deepEqual(alarms.map((a) => a.inputs.metricQueries[0].metric.dimensions), [
            { Region: "eu-west-1", Rule: "ALL", WebACL: "orders-alb-acl" },
            { Region: "eu-west-1", Rule: "AWS-AWSManagedRulesCommonRuleSet", WebACL: "orders-alb-acl" },
        ]);
        for (const a of alarms) assert.deepEqual(a.inputs.alarmActions, [], `${a.name}: the composite acts`);
        const composites = run.ofType(COMPOSITE).filter((a) => a.name.startsWith("waf-"));
        assert.equal(composites.length, 2);
        for (const c of composites) assert.deepEqual(c.inputs.alarmActions, [run.outputs.alertTopicArn]);
        const types = new Set(run.resources.map((r) => r.type));
        for (const absent of ["aws:apigateway/restApi:RestApi", "aws:wafv2/webAcl:WebAcl", "aws:kinesis/stream:Stream", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"]) {
            assert.ok(!types.has(absent), absent);
        }
        assert.equal(run.ofType(ALARM).filter((a) => /ecommerce/.test(a.name)).length, 0, "ecommerce: false watches no ecommerce series");
        assert.deepEqual(run.outputs.watched, { name: "orders-alb-acl", scope: "REGIONAL", alarmRegion: "eu-west-1", rules: ["ALL", "AWS-AWSManagedRulesCommonRuleSet"] });
    });

    it("CLOUDFRONT web ACL from eu-west-1: alarms in us-east-1 on Rule/WebACL, notifying a us-east-1 relay topic", async () => {
        const run = await runExternalProgram(ENTRY, project.name, {
            "aws:region": "eu-west-1",
            [`${project.name}:webAclName`]: "cdn-acl",
            [`${project.name}:webAclScope`]: "CLOUDFRONT",
            [`${project.name}:alertEmail`]: "secops@corp.internal",
        });
        const alarms = run.ofType(ALARM).filter((a) => a.name.startsWith("waf-"));
        assert.equal(alarms.length, 2, "band and floor of Rule=ALL");
        for (const a of alarms) {
            assert.equal(a.inputs.region, "us-east-1", a.name);
            assert.deepEqual(a.inputs.metricQueries[0].metric.dimensions, { Rule: "ALL", WebACL: "cdn-acl" }, a.name);
        }
        const relay = run.ofType("aws:sns/topic:Topic").find((t) => t.inputs.region === "us-east-1");
        assert.ok(relay);
        const composite = run.ofType(COMPOSITE).filter((a) => a.name.startsWith("waf-"));
        assert.equal(composite.length, 1);
        assert.equal(composite[0].inputs.region, "us-east-1");
        assert.deepEqual(composite[0].inputs.alarmActions, [relay.state.arn]);
    });
});
