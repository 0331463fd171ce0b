/**
 * Encryption keys (issue 15.3): AWS-managed keys by default where the service allows it, a customer-managed key
 * per data resource with encryption.customerManagedKeys, and in both settings one customer-managed "operations"
 * key in the pipeline stack for the alarm topic (ops stack) and the Glue job's logs and bookmarks.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { GlueSecurityConfiguration } from "@cdktf/provider-aws/lib/glue-security-configuration";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Testing } from "cdktf";
import type { EnvironmentConfigInput } from "../../config/schema";
import { customerManagedKeys } from "../../cost/estimate";
import { createStacks } from "../../stacks/app";
import { AnalyticsStack } from "../../stacks/base-stack";
import { AlarmTopic } from "../../stacks/constructs/monitoring";
import { OperationsKey } from "../../stacks/constructs/operations-key";
import { evaluate } from "../../stacks/rules/engine";
import { RULES } from "../../stacks/rules/rules";
import { problemsOf, testConfig } from "../helpers/config";
import { fixtureBundles, synthJson, type TfJson, testApp } from "../helpers/synth";

function app(overrides: Partial<EnvironmentConfigInput> = {}) {
  const stacks = createStacks(testApp(), testConfig(overrides), { ...fixtureBundles, log: () => {} });
  return { edge: synthJson(stacks.edge), api: synthJson(stacks.api), ops: synthJson(stacks.ops), pipeline: synthJson(stacks.pipeline) };
}

const keysIn = (json: TfJson) => Object.keys(json.resource.aws_kms_key ?? {});
const only = (json: TfJson, type: string) => {
  const all = Object.entries(json.resource[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0] as [string, Record<string, unknown>];
};
const statements = (json: TfJson) =>
  Object.values(json.data.aws_iam_policy_document ?? {}).flatMap((d) => d.statement as Record<string, unknown>[]);

describe("encryption keys, default (encryption.customerManagedKeys false)", () => {
  const { edge, api, ops, pipeline } = app();

  it("encrypts the Kinesis stream with the AWS-managed aws/kinesis key and creates no key for it", () => {
    expect(only(edge, "aws_kinesis_stream")[1]).toMatchObject({ encryption_type: "KMS", kms_key_id: "alias/aws/kinesis" });
    expect(keysIn(edge)).toEqual([]);
  });

  it("grants no KMS action for aws/kinesis: its key policy admits the account's principals through Kinesis", () => {
    expect(
      statements(edge)
        .flatMap((s) => s.actions as string[])
        .filter((a) => a.startsWith("kms:")),
    ).toEqual([]);
    expect(
      statements(pipeline).filter((s) => (s.actions as string[]).includes("kms:Decrypt") && JSON.stringify(s).includes("kinesis")),
    ).toEqual([]);
  });

  it("encrypts the counters table with KMS under aws/dynamodb (enabled, no key ARN) and creates no key for it", () => {
    expect(only(api, "aws_dynamodb_table")[1].server_side_encryption).toEqual({ enabled: true });
    expect(keysIn(api)).toEqual([]);
  });

  it("keeps exactly one customer-managed key across the stacks: the pipeline stack's operations key", () => {
    expect([edge, api, ops, pipeline].map((j) => keysIn(j).length)).toEqual([0, 0, 0, 1]);
    expect(only(pipeline, "aws_kms_key")[1]).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(only(pipeline, "aws_kms_alias")[1].name).toBe("alias/webstats-test-operations");
  });
});

describe("the operations key (one for the alarm topic and the Glue job)", () => {
  // app.synth() turns the ops stack's use of the pipeline's key into a pipeline output and a remote-state read.
  const a = testApp();
  const stacks = createStacks(a, testConfig(), { ...fixtureBundles, log: () => {} });
  a.synth();
  const pipeline = synthJson(stacks.pipeline);
  const [keyId, key] = only(pipeline, "aws_kms_key");
  const keyArn = `\${aws_kms_key.${keyId}.arn}`;
  const keyPolicy =
    pipeline.data.aws_iam_policy_document?.[String(key.policy).replace(/^\$\{data\.aws_iam_policy_document\.(.+)\.json\}$/, "$1")];
  const keyStatements = (keyPolicy?.statement ?? []) as Record<string, unknown>[];
  const account = expect.stringMatching(/^\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}$/);
  const topicArn = expect.stringMatching(
    /^arn:aws:sns:eu-west-1:\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:webstats-test-alarms$/,
  );

  it("encrypts the Glue security configuration's logs and bookmarks and both job log groups", () => {
    const synth = Testing.synth(stacks.pipeline);
    expect(synth).toHaveResourceWithProperties(GlueSecurityConfiguration, {
      encryption_configuration: expect.objectContaining({
        cloudwatch_encryption: { cloudwatch_encryption_mode: "SSE-KMS", kms_key_arn: keyArn },
        job_bookmarks_encryption: { job_bookmarks_encryption_mode: "CSE-KMS", kms_key_arn: keyArn },
      }),
    });
    for (const kind of ["error", "output"]) {
      expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: `/aws-glue/jobs/webstats-test-compaction/${kind}`,
        kms_key_id: keyArn,
      });
    }
  });

  it("encrypts the ops stack's alarm topic, read from the pipeline stack's output of the key's ARN", () => {
    const ops = Testing.synth(stacks.ops);
    const input = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-pipeline\.outputs\.([\w-]+)\}$/;
    expect(ops).toHaveResourceWithProperties(SnsTopic, { name: "webstats-test-alarms", kms_master_key_id: expect.stringMatching(input) });
    const topic = only(synthJson(stacks.ops), "aws_sns_topic")[1];
    const output = input.exec(String(topic.kms_master_key_id))?.[1] ?? "";
    expect((pipeline.output as Record<string, { value: string }>)[output]?.value).toBe(keyArn);
  });

  it("lets CloudWatch alarms (this account) and EventBridge use it only for the alarm topic, by its encryption context", () => {
    const thisTopic = { test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: [topicArn] };
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account] }, thisTopic],
      }),
    );
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        condition: [thisTopic],
      }),
    );
  });

  it("lets CloudWatch Logs use it only for Glue's log groups, and the account root administer it; nothing else", () => {
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["logs.eu-west-1.amazonaws.com"] }],
        condition: [
          {
            test: "ArnLike",
            variable: "kms:EncryptionContext:aws:logs:arn",
            values: [
              expect.stringMatching(
                /^arn:aws:logs:eu-west-1:\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:log-group:\/aws-glue\/\*$/,
              ),
            ],
          },
        ],
      }),
    );
    expect(keyStatements.map((st) => (st.principals as { identifiers: string[] }[])[0]?.identifiers[0])).toEqual([
      expect.stringMatching(/^arn:aws:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:root$/),
      "cloudwatch.amazonaws.com",
      "events.amazonaws.com",
      "logs.eu-west-1.amazonaws.com",
    ]);
    // Whole actions only: the rule pack rejects kms:GenerateDataKey*-style wildcards.
    expect(keyStatements.flatMap((st) => st.actions as string[]).filter((x) => x.includes("*"))).toEqual(["kms:*"]);
  });

  it("stops synth when the alarm topic is given a key whose policy does not admit it", () => {
    const stack = new AnalyticsStack(testApp(), "ops", { config: testConfig() });
    const props = { accountId: "111122223333", region: "eu-west-1" };
    const shared = new OperationsKey(stack, "shared", { ...props, aliasName: "shared", description: "test" });
    shared.allowAlarmTopic("webstats-test-alarms");
    expect(() => new AlarmTopic(stack, "other", { ...props, topicName: "webstats-test-other", key: shared })).toThrow(
      /admits the alarm topics \[webstats-test-alarms\], not webstats-test-other/,
    );
    expect(() => new AlarmTopic(stack, "alarms", { ...props, topicName: "webstats-test-alarms", key: shared })).not.toThrow();
  });
});

describe("encryption keys with encryption.customerManagedKeys true", () => {
  const { edge, api, ops, pipeline } = app({ encryption: { customerManagedKeys: true } });

  it("gives the stream its own rotating key, used by the writer role only through Kinesis", () => {
    const [key, config] = only(edge, "aws_kms_key");
    expect(config.enable_key_rotation).toBe(true);
    expect(only(edge, "aws_kinesis_stream")[1].kms_key_id).toBe(`\${aws_kms_key.${key}.arn}`);
    expect(statements(edge)).toContainEqual({
      actions: ["kms:GenerateDataKey"],
      resources: [`\${aws_kms_key.${key}.arn}`],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["kinesis.eu-west-1.amazonaws.com"] }],
    });
  });

  it("gives the table its own rotating key, used by the counter function only through DynamoDB", () => {
    const [key, config] = only(api, "aws_kms_key");
    expect(config.enable_key_rotation).toBe(true);
    expect(only(api, "aws_dynamodb_table")[1].server_side_encryption).toEqual({ enabled: true, kms_key_arn: `\${aws_kms_key.${key}.arn}` });
    expect(statements(api)).toContainEqual({
      actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      resources: [`\${aws_kms_key.${key}.arn}`],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["dynamodb.eu-west-1.amazonaws.com"] }],
    });
  });

  it("counts three customer-managed keys in all: the stream's, the table's and the shared operations key", () => {
    expect([edge, api, ops, pipeline].map((j) => keysIn(j).length)).toEqual([1, 1, 0, 1]);
  });
});

describe("the cost estimate's key count (cost/estimate.ts customerManagedKeys) is what the stacks create", () => {
  it.each([
    ["realtime", false],
    ["realtime", true],
    ["standard", false],
    ["standard", true],
  ] as const)("logDelivery %s, customerManagedKeys %s", (logDelivery, cmk) => {
    const config = testConfig({ logDelivery, encryption: { customerManagedKeys: cmk } });
    const stacks = createStacks(testApp(), config, { ...fixtureBundles, log: () => {} });
    const created = [stacks.edge, stacks.api, stacks.ops, stacks.pipeline].flatMap((st) => keysIn(synthJson(st)));
    expect(created).toHaveLength(customerManagedKeys(config).length);
  });
});

describe("encryption config", () => {
  it("rejects a non-boolean customerManagedKeys, naming the key", () => {
    expect(
      problemsOf({ project: "webstats", environment: "dev", region: "eu-west-1", encryption: { customerManagedKeys: "yes" } }),
    ).toEqual([expect.stringContaining("encryption.customerManagedKeys")]);
  });
});

describe("encryption rules accept AWS-managed keys where they work, and never no encryption", () => {
  const violated = (json: object) => evaluate(json, RULES).map((v) => v.ruleId);

  it("KINESIS-KMS: passes aws/kinesis and a customer-managed key, fails no encryption or KMS without a key", () => {
    const stream = (c: Record<string, unknown>) => ({ resource: { aws_kinesis_stream: { s: { name: "s", ...c } } } });
    expect(violated(stream({ encryption_type: "KMS", kms_key_id: "alias/aws/kinesis" }))).toEqual([]);
    expect(violated(stream({ encryption_type: "KMS", kms_key_id: "${aws_kms_key.k.arn}" }))).toEqual([]);
    expect(violated(stream({}))).toEqual(["KINESIS-KMS"]);
    expect(violated(stream({ encryption_type: "NONE" }))).toEqual(["KINESIS-KMS"]);
    expect(violated(stream({ encryption_type: "KMS" }))).toEqual(["KINESIS-KMS"]);
  });

  it("DDB-KMS-ENCRYPTION: passes aws/dynamodb, fails the AWS-owned key (encryption disabled)", () => {
    const table = (sse: unknown) => ({
      resource: { aws_dynamodb_table: { t: { point_in_time_recovery: { enabled: true }, server_side_encryption: sse } } },
    });
    expect(violated(table({ enabled: true }))).toEqual([]);
    expect(violated(table({ enabled: false }))).toEqual(["DDB-KMS-ENCRYPTION"]);
  });

  it("SNS-ENCRYPTED: fails aws/sns on a topic CloudWatch alarms or EventBridge publish to, passes it elsewhere", () => {
    const json = (withAlarm: boolean) => ({
      resource: {
        aws_sns_topic: { t: { kms_master_key_id: "alias/aws/sns" } },
        ...(withAlarm ? { aws_cloudwatch_metric_alarm: { a: { alarm_actions: ["${aws_sns_topic.t.arn}"] } } } : {}),
      },
    });
    expect(evaluate(json(true), RULES).filter((v) => v.ruleId === "SNS-ENCRYPTED")).toEqual([
      expect.objectContaining({ address: "aws_sns_topic.t", reason: expect.stringContaining("alias/aws/sns") }),
    ]);
    expect(evaluate(json(false), RULES).filter((v) => v.ruleId === "SNS-ENCRYPTED")).toEqual([]);
  });
});

describe("both settings pass the rule pack", () => {
  it.each([false, true])("customerManagedKeys %s", (customerManagedKeys) => {
    const stacks = createStacks(testApp(), testConfig({ encryption: { customerManagedKeys } }), { ...fixtureBundles, log: () => {} });
    for (const s of [stacks.edge, stacks.api, stacks.ops, stacks.pipeline]) expect(() => Testing.synth(s)).not.toThrow();
  });
});
