// InlineFunction: every inline Lambda of this program is built the same way — an aws.lambda.CallbackFunction
// with an explicit runtime, its own least-privilege role (trusted by Lambda for this account only), a log
// group with retention that the function logs to (JSON), and a bundle that leaves out the AWS SDK v3 the
// Node.js runtime already ships. Without these, CallbackFunction bundles every dependency (tens of MB) and
// attaches broad managed policies.
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface InlineFunctionArgs<E, R> {
    /** The handler, or a factory run once per cold start that returns it (create SDK clients there). */
    callback?: aws.lambda.Callback<E, R>;
    callbackFactory?: aws.lambda.CallbackFactory<E, R>;
    description: string;
    /** What the function may do besides writing its own logs. Never a `*` action. */
    statements?: pulumi.Input<pulumi.Input<aws.iam.PolicyStatement>[]>;
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    timeoutSeconds?: number;
    memorySizeMb?: number;
    /**
     * JSON (default) wraps each console line in a JSON record with level and request id. Text leaves stdout
     * lines as written, which CloudWatch Embedded Metric Format records need.
     */
    logFormat?: "JSON" | "Text";
    /** Names the log group and role description: `/aws/lambda/<project>-<stack>-<name>-`. Default: `pulumi.getProject()`. */
    project?: string;
    /** Default: `pulumi.getStack()`. */
    stack?: string;
    /** Lambda runtime. Default `nodejs22.x` (the Node.js runtime that ships AWS SDK v3). */
    runtime?: "nodejs22.x" | "nodejs24.x";
    /** Retention of the function's log group, days. Default 30. */
    logRetentionDays?: number;
    /** Tags of the function, its role and its log group. Default none. */
    tags?: Record<string, string>;
}

export const INLINE_FUNCTION_DEFAULTS = { runtime: "nodejs22.x", logRetentionDays: 30 } as const;

/** The AWS SDK v3 packages this project depends on: present in the Lambda Node.js runtime, so not bundled. */
export function awsSdkPackages(): string[] {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
    };
    return Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith("@aws-sdk/"));
}

export class InlineFunction<E, R> extends pulumi.ComponentResource {
    public readonly function: aws.lambda.CallbackFunction<E, R>;
    public readonly role: aws.iam.Role;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    public readonly arn: pulumi.Output<string>;
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: InlineFunctionArgs<E, R>, opts?: pulumi.ComponentResourceOptions) {
        super("edge-anomaly:lambda:InlineFunction", name, {}, opts);
        const project = args.project ?? pulumi.getProject();
        const stack = args.stack ?? pulumi.getStack();
        const tags = args.tags ?? {};
        const parent = { parent: this };
        const caller = aws.getCallerIdentityOutput({}, parent);

        this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            namePrefix: `/aws/lambda/${project}-${stack}-${name}-`,
            retentionInDays: args.logRetentionDays ?? INLINE_FUNCTION_DEFAULTS.logRetentionDays,
            tags,
        }, parent);

        this.role = new aws.iam.Role(`${name}-role`, {
            description: `Execution role of the ${name} function (${project}/${stack})`,
            assumeRolePolicy: caller.accountId.apply((accountId) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Principal: { Service: "lambda.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                }],
            })),
            tags,
        }, parent);

        const policy = new aws.iam.RolePolicy(`${name}-policy`, {
            role: this.role.id,
            policy: pulumi.all([pulumi.output(args.statements ?? []), this.logGroup.arn]).apply(([statements, logGroupArn]) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "WriteOwnLogs",
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: `${logGroupArn}:*`,
                        },
                        ...statements,
                    ],
                })),
        }, parent);

        this.function = new aws.lambda.CallbackFunction<E, R>(name, {
            callback: args.callback,
            callbackFactory: args.callbackFactory,
            description: args.description,
            runtime: args.runtime ?? INLINE_FUNCTION_DEFAULTS.runtime,
            role: this.role,
            timeout: args.timeoutSeconds ?? 30,
            memorySize: args.memorySizeMb ?? 256,
            environment: args.environment ? { variables: args.environment } : undefined,
            loggingConfig: (args.logFormat ?? "JSON") === "JSON"
                ? { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" }
                : { logFormat: "Text", logGroup: this.logGroup.name },
            tracingConfig: { mode: "PassThrough" },
            codePathOptions: { extraExcludePackages: awsSdkPackages() },
            tags,
        }, { parent: this, dependsOn: [policy, this.logGroup] });

        this.arn = this.function.arn;
        this.name = this.function.name;
        this.registerOutputs({ arn: this.arn, name: this.name, roleArn: this.role.arn, logGroupName: this.logGroup.name });
    }
}
