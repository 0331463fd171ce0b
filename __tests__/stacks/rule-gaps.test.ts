/**
 * Rule-pack gaps from issue 19 (item 6): service principals in key and resource policies without a source
 * condition, wildcard resources on any role, partial wildcard actions, and Lambda reserved concurrency. Each rule
 * has a failing fixture here; the app tests show the shipped stacks meet them.
 */

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Testing } from "cdktf";
import { createStacks } from "../../stacks/app";
import { AnalyticsStack } from "../../stacks/base-stack";
import { NodeFunction } from "../../stacks/constructs/lambda-function";
import { suppressionReason } from "../../stacks/rules/aspect";
import { evaluate } from "../../stacks/rules/engine";
import { RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { FIXTURE_BUNDLE_DIR, fixtureBundles, synthJson, testApp } from "../helpers/synth";

const ids = (json: object) => evaluate(json, RULES).map((v) => v.ruleId);
const doc = (statement: Record<string, unknown>[]) => ({ d: { statement } });
const ref = "${data.aws_iam_policy_document.d.json}";
const service = (s: string) => [{ type: "Service", identifiers: [s] }];
const sourceAccount = [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["111122223333"] }];

describe("service principals in key and resource policies need a source condition", () => {
  const withPolicy = (type: string, attribute: string, statement: Record<string, unknown>[]) => ({
    data: { aws_iam_policy_document: doc(statement) },
    resource: { [type]: { r: { [attribute]: ref, enable_key_rotation: true } } },
  });
  const cases: [string, string, string][] = [
    ["aws_kms_key", "policy", "KMS-POLICY-SOURCE-CONDITION"],
    ["aws_sns_topic_policy", "policy", "SNS-POLICY-SOURCE-CONDITION"],
    ["aws_s3_bucket_policy", "policy", "S3-POLICY-SOURCE-CONDITION"],
    ["aws_sqs_queue_policy", "policy", "SQS-POLICY-SOURCE-CONDITION"],
    ["aws_cloudwatch_log_resource_policy", "policy_document", "LOGS-POLICY-SOURCE-CONDITION"],
  ];

  it.each(cases)("%s: fails a service principal without a condition, passes one with aws:SourceAccount", (type, attribute, id) => {
    const allow = { actions: ["kms:Decrypt"], resources: ["*"], principals: service("events.amazonaws.com") };
    expect(ids(withPolicy(type, attribute, [allow]))).toContain(id);
    expect(ids(withPolicy(type, attribute, [{ ...allow, condition: sourceAccount }]))).not.toContain(id);
    // A Deny, or an account principal, is not a service acting for someone else.
    expect(ids(withPolicy(type, attribute, [{ ...allow, effect: "Deny" }]))).not.toContain(id);
    expect(
      ids(withPolicy(type, attribute, [{ ...allow, principals: [{ type: "AWS", identifiers: ["arn:aws:iam::1:root"] }] }])),
    ).not.toContain(id);
  });

  it("reads literal JSON policies too, and names the service in the reason", () => {
    const json = {
      resource: {
        aws_sns_topic_policy: {
          p: {
            policy: JSON.stringify({
              Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish" }],
            }),
          },
        },
      },
    };
    expect(evaluate(json, RULES)).toContainEqual({
      ruleId: "SNS-POLICY-SOURCE-CONDITION",
      address: "aws_sns_topic_policy.p",
      reason: expect.stringContaining("events.amazonaws.com"),
    });
    const conditioned = JSON.stringify({
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sns:Publish",
          Condition: { ArnEquals: { "aws:SourceArn": "x" } },
        },
      ],
    });
    expect(ids({ resource: { aws_sns_topic_policy: { p: { policy: conditioned } } } })).not.toContain("SNS-POLICY-SOURCE-CONDITION");
  });

  it("accepts a KMS encryption-context condition naming the resource (the equivalent AWS documents for SNS and Logs)", () => {
    const statement = {
      actions: ["kms:Decrypt"],
      resources: ["*"],
      principals: service("events.amazonaws.com"),
      condition: [{ test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: ["arn:aws:sns:eu-west-1:1:t"] }],
    };
    expect(ids(withPolicy("aws_kms_key", "policy", [statement]))).not.toContain("KMS-POLICY-SOURCE-CONDITION");
  });

  it("allows only the named exception: EventBridge creating a log stream, never writing to it unconditioned", () => {
    const logs = (actions: string[]) =>
      withPolicy("aws_cloudwatch_log_resource_policy", "policy_document", [
        { actions, resources: ["x:*"], principals: service("events.amazonaws.com") },
      ]);
    expect(ids(logs(["logs:CreateLogStream"]))).not.toContain("LOGS-POLICY-SOURCE-CONDITION");
    expect(ids(logs(["logs:CreateLogStream", "logs:PutLogEvents"]))).toContain("LOGS-POLICY-SOURCE-CONDITION");
  });

  it("LAMBDA-PERMISSION-SOURCE-ARN: any service principal needs source_arn or source_account, not only API Gateway", () => {
    const permission = (c: Record<string, unknown>) => ({
      resource: { aws_lambda_permission: { p: { action: "lambda:InvokeFunction", ...c } } },
    });
    expect(ids(permission({ principal: "events.amazonaws.com" }))).toContain("LAMBDA-PERMISSION-SOURCE-ARN");
    expect(ids(permission({ principal: "s3.amazonaws.com", source_account: "111122223333" }))).not.toContain(
      "LAMBDA-PERMISSION-SOURCE-ARN",
    );
    expect(ids(permission({ principal: "apigateway.amazonaws.com", source_arn: "arn:x" }))).not.toContain("LAMBDA-PERMISSION-SOURCE-ARN");
  });
});

describe("wildcard resources on every role, with named exceptions", () => {
  const role = (statement: Record<string, unknown>[]) => ({
    data: { aws_iam_policy_document: doc(statement) },
    resource: {
      aws_iam_role: { r: { name: "r", assume_role_policy: "{}" } },
      aws_iam_role_policy: { p: { role: "${aws_iam_role.r.id}", policy: ref } },
    },
  });

  it("IAM-ROLE-NO-WILDCARD-RESOURCES: fails `*` on any role, naming the role and the actions", () => {
    expect(evaluate(role([{ actions: ["s3:GetObject"], resources: ["*"] }]), RULES)).toContainEqual({
      ruleId: "IAM-ROLE-NO-WILDCARD-RESOURCES",
      address: "aws_iam_role.r",
      reason: expect.stringContaining("s3:GetObject"),
    });
    expect(ids(role([{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/p/*"] }]))).not.toContain("IAM-ROLE-NO-WILDCARD-RESOURCES");
  });

  it("accepts cloudwatch:PutMetricData on `*` only with a cloudwatch:namespace condition", () => {
    const put = { actions: ["cloudwatch:PutMetricData"], resources: ["*"] };
    expect(ids(role([put]))).toContain("IAM-ROLE-NO-WILDCARD-RESOURCES");
    const scoped = { ...put, condition: [{ test: "StringEquals", variable: "cloudwatch:namespace", values: ["Glue"] }] };
    expect(ids(role([scoped]))).not.toContain("IAM-ROLE-NO-WILDCARD-RESOURCES");
    // The exception covers that action only: another action in the same statement still fails.
    expect(ids(role([{ ...scoped, actions: ["cloudwatch:PutMetricData", "s3:GetObject"] }]))).toContain("IAM-ROLE-NO-WILDCARD-RESOURCES");
  });

  it("the Glue job's role scopes cloudwatch:PutMetricData to its namespace", () => {
    const stacks = createStacks(testApp(), testConfig(), { ...fixtureBundles, log: () => {} });
    const statements = Object.values(synthJson(stacks.pipeline).data.aws_iam_policy_document ?? {}).flatMap(
      (d) => d.statement as Record<string, unknown>[],
    );
    expect(statements.filter((s) => (s.resources as string[] | undefined)?.includes("*") && !s.principals)).toEqual([
      expect.objectContaining({
        actions: ["cloudwatch:PutMetricData"],
        condition: [expect.objectContaining({ variable: "cloudwatch:namespace" })],
      }),
    ]);
  });
});

describe("partial wildcard actions", () => {
  it("IAM-NO-PARTIAL-WILDCARD-ACTIONS: fails kms:Encrypt* and s3:Get?bject in an Allow, not in a Deny", () => {
    const json = (statement: Record<string, unknown>) => ({ data: { aws_iam_policy_document: doc([statement]) } });
    expect(evaluate(json({ actions: ["kms:Encrypt*", "s3:Get?bject", "kms:Decrypt"], resources: ["x"] }), RULES)).toContainEqual({
      ruleId: "IAM-NO-PARTIAL-WILDCARD-ACTIONS",
      address: "data.aws_iam_policy_document.d",
      reason: "allow statement with partial wildcard actions: kms:Encrypt*, s3:Get?bject",
    });
    expect(ids(json({ effect: "Deny", actions: ["kms:Encrypt*"], resources: ["x"] }))).not.toContain("IAM-NO-PARTIAL-WILDCARD-ACTIONS");
    expect(ids(json({ actions: ["kms:Decrypt"], resources: ["x"] }))).toEqual([]);
  });

  it("IAM-NO-PARTIAL-WILDCARD-ACTIONS-JSON: fails them in an inline JSON role policy", () => {
    const policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["kms:GenerateDataKey*"], Resource: "x" }] });
    expect(ids({ resource: { aws_iam_role_policy: { p: { policy } } } })).toContain("IAM-NO-PARTIAL-WILDCARD-ACTIONS-JSON");
  });
});

describe("reserved concurrency", () => {
  const fn = (c: Record<string, unknown>) => ({ resource: { aws_lambda_function: { f: { function_name: "f", ...c } } } });

  it("LAMBDA-RESERVED-CONCURRENCY: fails a function without it or with 0, passes one with a reservation", () => {
    expect(ids(fn({}))).toContain("LAMBDA-RESERVED-CONCURRENCY");
    expect(ids(fn({ reserved_concurrent_executions: 0 }))).toContain("LAMBDA-RESERVED-CONCURRENCY");
    expect(ids(fn({ reserved_concurrent_executions: -1 }))).toContain("LAMBDA-RESERVED-CONCURRENCY");
    expect(ids(fn({ reserved_concurrent_executions: 5 }))).not.toContain("LAMBDA-RESERVED-CONCURRENCY");
  });

  it("a bare function in a stack fails synth with the rule", () => {
    const s = new AnalyticsStack(testApp(), "bare", { config: testConfig() });
    new LambdaFunction(s, "fn", { functionName: "bare", role: "arn:aws:iam::1:role/r" });
    expect(() => Testing.synth(s)).toThrow(/\[LAMBDA-RESERVED-CONCURRENCY\] aws_lambda_function\.fn/);
  });

  it("every NodeFunction without a reservation carries a written suppression; with one, it is reserved", () => {
    const s = new AnalyticsStack(testApp(), "fns", { config: testConfig() });
    const open = new NodeFunction(s, "open", { functionName: "open", bundleDir: FIXTURE_BUNDLE_DIR });
    const reserved = new NodeFunction(s, "reserved", { functionName: "reserved", bundleDir: FIXTURE_BUNDLE_DIR, reservedConcurrency: 5 });
    expect(suppressionReason(open.function, "LAMBDA-RESERVED-CONCURRENCY")).toMatch(/100/);
    expect(suppressionReason(reserved.function, "LAMBDA-RESERVED-CONCURRENCY")).toBeUndefined();
    const functions = synthJson(s).resource.aws_lambda_function ?? {};
    expect(Object.values(functions).map((f) => f.reserved_concurrent_executions)).toEqual([undefined, 5]);
  });

  it("refuses a reservation of 0 (every invocation throttled) or a fraction at synth", () => {
    const s = new AnalyticsStack(testApp(), "zero", { config: testConfig() });
    expect(() => new NodeFunction(s, "z", { functionName: "z", bundleDir: FIXTURE_BUNDLE_DIR, reservedConcurrency: 0 })).toThrow(
      /reservedConcurrency must be a whole number >= 1/,
    );
  });

  it("the counter function takes usageApi.reservedConcurrency", () => {
    const stacks = createStacks(testApp(), testConfig({ usageApi: { reservedConcurrency: 5 } }), { ...fixtureBundles, log: () => {} });
    const [config] = Object.values(synthJson(stacks.api).resource.aws_lambda_function ?? {});
    expect(config?.reserved_concurrent_executions).toBe(5);
  });
});

describe("the alarm topic's key policy (issue 19.6)", () => {
  const stacks = createStacks(testApp(), testConfig(), { ...fixtureBundles, log: () => {} });
  // The pipeline stack's operations key encrypts the ops stack's topic (__tests__/stacks/keys.test.ts).
  const keyPolicy = Object.entries(synthJson(stacks.pipeline).data.aws_iam_policy_document ?? {}).find(([name]) =>
    name.startsWith("operations-key"),
  )?.[1];
  const statement = (sid: string) => ((keyPolicy?.statement ?? []) as Record<string, unknown>[]).find((s) => s.sid === sid);

  it("limits EventBridge's use of the key to the alarm topic (encryption context), as CloudWatch's", () => {
    const thisTopic = {
      test: "StringEquals",
      variable: "kms:EncryptionContext:aws:sns:topicArn",
      values: ["arn:aws:sns:eu-west-1:${data.aws_caller_identity.caller-identity.account_id}:webstats-test-alarms"],
    };
    expect(statement("EventBridgePublish")).toMatchObject({ actions: ["kms:Decrypt", "kms:GenerateDataKey"], condition: [thisTopic] });
    expect(statement("CloudWatchAlarmsPublish")?.condition).toEqual([
      expect.objectContaining({ variable: "aws:SourceAccount" }),
      thisTopic,
    ]);
  });

  it("names only whole actions", () => {
    const actions = ((keyPolicy?.statement ?? []) as Record<string, unknown>[]).flatMap((s) => s.actions as string[]);
    expect(actions).toContain("kms:GenerateDataKey");
    expect(actions.filter((a) => a.includes("*") && a !== "kms:*")).toEqual([]);
  });
});

describe("docs/security-rules.md", () => {
  const doc = readFileSync(path.resolve(__dirname, "../../docs/security-rules.md"), "utf8");
  const rows = [...doc.matchAll(/^\| `([A-Z0-9-]+)` +\| `([^`]+)` +\| ([^|]+?) +\|$/gm)].map((m) => ({ id: m[1], type: m[2], refs: m[3] }));
  const refsOf = (description: string) =>
    [...new Set(description.match(/AwsSolutions-[A-Za-z0-9]+|CKV2?_AWS_\d+|CloudWatch\.\d+/g) ?? [])].join(", ") || "project rule";

  it("lists every rule, in order, with the resource it checks and the cdk-nag / checkov ids its description cites", () => {
    expect(rows).toEqual(RULES.map((r) => ({ id: r.id, type: r.appliesTo, refs: refsOf(r.description) })));
  });
});
