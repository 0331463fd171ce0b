/**
 * Encryption keys (issue 15.3): AWS-managed keys by default where the service allows it, a customer-managed key
 * per resource with encryption.customerManagedKeys, and the alarm topic's own key in both settings.
 */
import { Testing } from "cdktf";
import type { EnvironmentConfigInput } from "../../config/schema";
import { createStacks } from "../../stacks/app";
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

  it("keeps exactly two customer-managed keys: the alarm topic's and the Glue job's", () => {
    expect(keysIn(ops)).toHaveLength(1);
    expect(only(ops, "aws_sns_topic")[1].kms_master_key_id).toMatch(/^\$\{aws_kms_key\./);
    expect(keysIn(pipeline)).toHaveLength(1);
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

  it("counts four customer-managed keys in all", () => {
    expect([edge, api, ops, pipeline].map((j) => keysIn(j).length)).toEqual([1, 1, 1, 1]);
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
