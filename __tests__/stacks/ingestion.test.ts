/**
 * The ingestion path as Terraform: Glue catalog + `events` table from schemas/,
 * the Firehose delivery stream, the transform Lambda, their IAM and the rules.
 * The source stream is a small fake Kinesis construct in its own stack, as the
 * edge stack's stream is in the app.
 */

import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { GlueCatalogDatabase } from "@cdktf/provider-aws/lib/glue-catalog-database";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { ConfigError, parseConfig } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { TRANSFORM_ENV, VISITOR_KEY_PLACEHOLDER_PREFIX } from "../../handlers/firehose-transform/env";
import {
  EVENT_PARTITIONS,
  EVENT_TYPES,
  EventRowSchema,
  errorTypePrefix,
  firehoseErrorPrefix,
  firehoseEventsPrefix,
  glueColumns,
  gluePartitionKeys,
  PARQUET_STORAGE,
} from "../../schemas";
import { createStacks } from "../../stacks/app";
import { AnalyticsStack } from "../../stacks/base-stack";
import { escapeTerraformTemplate } from "../../stacks/constructs/catalog";
import type { IGrantable } from "../../stacks/constructs/iam";
import { Ingestion, VISITOR_KEY_PLACEHOLDER } from "../../stacks/constructs/ingestion";
import { NodeFunction } from "../../stacks/constructs/lambda-function";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { evaluate } from "../../stacks/rules/engine";
import { INGESTION_RULES, LAMBDA_RESERVED_CONCURRENCY, RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { FIXTURE_BUNDLE_DIR, fixtureBundles, synthJson, type TfJson, testApp } from "../helpers/synth";

/** A stand-in for the edge stack's Kinesis construct (structural KinesisSource). */
class FakeStream extends Construct {
  readonly stream: KinesisStream;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.stream = new KinesisStream(this, "stream", {
      name: "webstats-test-realtime-logs",
      encryptionType: "KMS",
      kmsKeyId: "alias/aws/kinesis",
      streamModeDetails: { streamMode: "ON_DEMAND" },
    });
  }
  get streamArn(): string {
    return this.stream.arn;
  }
  grantRead(grantee: IGrantable): void {
    grantee.addToPolicy({
      actions: ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"],
      resources: [this.stream.arn],
    });
  }
}

function pipeline(overrides: Partial<EnvironmentConfigInput> = {}): PipelineStack {
  const app = testApp();
  const config = testConfig(overrides);
  const edge = new AnalyticsStack(app, "edge", { config });
  return new PipelineStack(app, "pipeline", {
    config,
    ingestion: { source: new FakeStream(edge, "source"), transformBundleDir: FIXTURE_BUNDLE_DIR },
  });
}

/** How Testing.synth renders the fake source's ARN (a full app synth turns it into remote state). */
const SOURCE_ARN = expect.stringMatching(/^\$\{aws_kinesis_stream\.source_stream_\w+\.arn\}$/);

type Statement = { actions: string[]; resources: string[]; effect?: string };

/** Statements of the inline policy of the role whose name ends with `suffix`. */
function roleStatements(json: TfJson, suffix: string): Statement[] {
  const roles = json.resource.aws_iam_role ?? {};
  const [roleAddr] = Object.entries(roles).find(([, r]) => String(r.name).endsWith(suffix)) ?? [];
  if (!roleAddr) throw new Error(`no role named *${suffix}`);
  const policy = Object.values(json.resource.aws_iam_role_policy ?? {}).find((p) => p.role === `\${aws_iam_role.${roleAddr}.id}`);
  const docAddr = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(String(policy?.policy))?.[1] ?? "";
  return (json.data.aws_iam_policy_document?.[docAddr]?.statement ?? []) as Statement[];
}

/** Our resources' construct paths, as their Terraform names start. */
const OWN: Record<string, string> = {
  aws_s3_bucket: "lake_bucket_",
  aws_glue_catalog_database: "catalog_database_",
  aws_glue_catalog_table: "catalog_events_",
  aws_lambda_function: "ingestion_transform_",
  aws_cloudwatch_log_stream: "ingestion_",
  aws_ssm_parameter: "ingestion_",
};

/** The configuration of the one resource of a type this component owns. */
const own = <T>(json: TfJson, type: string): T => {
  const address = /^\$\{[^.]+\.([^.]+)\./.exec(ref(json, type, "id"))?.[1] ?? "";
  return json.resource[type]?.[address] as T;
};

/** A reference (`${type.name.attr}`) to the one resource of a type this component owns. */
const ref = (json: TfJson, type: string, attr: string): string => {
  const names = Object.keys(json.resource[type] ?? {}).filter((n) => n.startsWith(OWN[type] ?? ""));
  if (names.length !== 1) throw new Error(`expected one ${type} named ${OWN[type]}*, found ${names.length}`);
  return `\${${type}.${names[0]}.${attr}}`;
};

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

describe("Glue catalog and the events table", () => {
  const stack = pipeline();
  const synth = Testing.synth(stack);
  const json = synthJson(stack);
  const table = (Object.entries(json.resource.aws_glue_catalog_table ?? {}).find(([k]) => k.startsWith("catalog_events_"))?.[1] ?? {}) as {
    storage_descriptor?: { columns: unknown[] };
    partition_keys?: unknown;
    parameters?: Record<string, string>;
  };

  it("names the database after the project and environment, with underscores", () => {
    expect(synth).toHaveResourceWithProperties(GlueCatalogDatabase, { name: "webstats_test_analytics" });
  });

  it("has exactly the schema's columns, in order, and its partition keys", () => {
    const columns = glueColumns(EventRowSchema).map((c) => ({ name: c.name, type: c.type, comment: c.comment }));
    expect(table.storage_descriptor?.columns).toEqual(columns);
    expect(table.partition_keys).toEqual(
      gluePartitionKeys(EVENT_PARTITIONS).map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    );
  });

  it("stores Parquet under the lake's events/ prefix", () => {
    expect(synth).toHaveResourceWithProperties(GlueCatalogTable, {
      name: "events",
      table_type: "EXTERNAL_TABLE",
      storage_descriptor: expect.objectContaining({
        location: `s3://${ref(json, "aws_s3_bucket", "bucket")}/events/`,
        input_format: PARQUET_STORAGE.inputFormat,
        output_format: PARQUET_STORAGE.outputFormat,
        ser_de_info: expect.objectContaining({ serialization_library: PARQUET_STORAGE.serializationLibrary }),
      }),
    });
  });

  it("projects partitions: event_type as the schema's enum, zero-padded month and day", () => {
    expect(table.parameters).toMatchObject({
      "projection.enabled": "true",
      "projection.event_type.type": "enum",
      "projection.event_type.values": EVENT_TYPES.join(","),
      "projection.year.type": "integer",
      "projection.month.type": "integer",
      "projection.month.range": "1,12",
      "projection.month.digits": "2",
      "projection.day.range": "1,31",
      "projection.day.digits": "2",
    });
  });

  it("escapes the location template for Terraform ($${...}) but keeps the bucket reference live", () => {
    const template = table.parameters?.["storage.location.template"];
    expect(template).toBe(
      `s3://${ref(json, "aws_s3_bucket", "bucket")}/events/event_type=$\${event_type}/year=$\${year}/month=$\${month}/day=$\${day}/`,
    );
    expect(synth).toContain("event_type=$${event_type}");
  });

  it("escapeTerraformTemplate escapes literal ${ only, never a cdktf token", () => {
    expect(escapeTerraformTemplate("a/${x}/${TfToken[TOKEN.12]}/")).toBe("a/$${x}/${TfToken[TOKEN.12]}/");
  });
});

describe("Firehose delivery stream", () => {
  const stack = pipeline();
  const synth = Testing.synth(stack);
  const json = synthJson(stack);
  const stream = Object.values(json.resource.aws_kinesis_firehose_delivery_stream ?? {})[0] as {
    extended_s3_configuration: Record<string, unknown>;
    kinesis_source_configuration: Record<string, unknown>;
    depends_on: string[];
  };
  const s3 = stream.extended_s3_configuration;

  it("reads the Kinesis stream and has no Firehose-side SSE (it conflicts with a Kinesis source)", () => {
    expect(synth).toHaveResourceWithProperties(KinesisFirehoseDeliveryStream, {
      name: "webstats-test-events",
      destination: "extended_s3",
      kinesis_source_configuration: { kinesis_stream_arn: SOURCE_ARN, role_arn: expect.any(String) },
    });
    expect(stream).not.toHaveProperty("server_side_encryption");
  });

  it("writes to the lake under the schema's prefixes, partitioned by the Lambda's keys", () => {
    expect(s3.bucket_arn).toBe(ref(json, "aws_s3_bucket", "arn"));
    expect(s3.prefix).toBe(firehoseEventsPrefix());
    expect(s3.prefix).toBe(
      "events/event_type=!{partitionKeyFromLambda:event_type}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/",
    );
    expect(s3.error_output_prefix).toBe(firehoseErrorPrefix());
    expect(s3.error_output_prefix).toContain("!{firehose:error-output-type}");
    expect(s3.dynamic_partitioning_configuration).toEqual({ enabled: true, retry_duration: 300 });
  });

  it("writes exactly the paths the events table projects (Firehose prefix = Athena location template)", () => {
    const table = own<{ parameters: Record<string, string> }>(json, "aws_glue_catalog_table");
    const fromFirehose = String(s3.prefix).replace(/!\{partitionKeyFromLambda:(\w+)\}/g, "$$$${$1}");
    expect(table.parameters["storage.location.template"]).toBe(`s3://${ref(json, "aws_s3_bucket", "bucket")}/${fromFirehose}`);
  });

  it("buffers 128 MiB / 300 s by default and leaves compression to the Parquet serializer", () => {
    expect(s3).toMatchObject({
      buffering_size: 128,
      buffering_interval: 300,
      compression_format: "UNCOMPRESSED",
      file_extension: ".parquet",
    });
  });

  it("invokes the transform function, writing only non-default processor parameters (defaults would diff forever)", () => {
    expect(s3.processing_configuration).toEqual({
      enabled: true,
      processors: [
        {
          type: "Lambda",
          // Firehose's default buffer (1 MB) is too big for Lambda's response (config/limits.ts TRANSFORM_RESPONSE), so
          // the buffer size is always written; the interval keeps Firehose's default and is left out.
          parameters: [
            { parameter_name: "LambdaArn", parameter_value: `${ref(json, "aws_lambda_function", "arn")}:$LATEST` },
            { parameter_name: "BufferSizeInMBs", parameter_value: "0.35" },
          ],
        },
      ],
    });
  });

  it("passes a configured processor buffer to Firehose", () => {
    const custom = synthJson(pipeline({ ingestion: { processorBufferSizeMB: 0.25, processorBufferIntervalSeconds: 120 } }));
    const config = own<{ extended_s3_configuration: { processing_configuration: { processors: { parameters: unknown[] }[] } } }>(
      custom,
      "aws_kinesis_firehose_delivery_stream",
    );
    expect(config.extended_s3_configuration.processing_configuration.processors[0]?.parameters).toEqual([
      { parameter_name: "LambdaArn", parameter_value: `${ref(custom, "aws_lambda_function", "arn")}:$LATEST` },
      { parameter_name: "BufferSizeInMBs", parameter_value: "0.25" },
      { parameter_name: "BufferIntervalInSeconds", parameter_value: "120" },
    ]);
  });

  it("converts OpenX JSON to SNAPPY Parquet with the events table's schema", () => {
    expect(s3.data_format_conversion_configuration).toEqual({
      enabled: true,
      input_format_configuration: { deserializer: { open_x_json_ser_de: {} } },
      output_format_configuration: { serializer: { parquet_ser_de: { compression: "SNAPPY" } } },
      schema_configuration: {
        catalog_id: "${data.aws_caller_identity.caller-identity.account_id}",
        region: "eu-west-1",
        database_name: ref(json, "aws_glue_catalog_database", "name"),
        table_name: ref(json, "aws_glue_catalog_table", "name"),
        role_arn: s3.role_arn,
        version_id: "LATEST",
      },
    });
  });

  it("logs to its own log group and stream, with retention", () => {
    const group = Object.entries(json.resource.aws_cloudwatch_log_group ?? {}).find(
      ([, g]) => g.name === "/aws/kinesisfirehose/webstats-test-events",
    );
    expect(group?.[1]).toMatchObject({ retention_in_days: 30 });
    expect(s3.cloudwatch_logging_options).toEqual({
      enabled: true,
      log_group_name: `\${aws_cloudwatch_log_group.${group?.[0]}.name}`,
      log_stream_name: ref(json, "aws_cloudwatch_log_stream", "name"),
    });
  });

  it("is created only after its role's policy exists (Firehose checks access at creation)", () => {
    expect(stream.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.ingestion_role_policy/)]);
  });
});

describe("IAM, least privilege", () => {
  const json = synthJson(pipeline());
  const firehose = roleStatements(json, "-firehose");
  const fn = roleStatements(json, "-transform-fn");
  const lake = ref(json, "aws_s3_bucket", "arn");

  it("the Firehose role is trusted by firehose.amazonaws.com from this account only", () => {
    const trust = Object.entries(json.data.aws_iam_policy_document ?? {}).find(([k]) => k.startsWith("ingestion_role_trust"))?.[1];
    expect(trust?.statement).toEqual([
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["firehose.amazonaws.com"] }],
        condition: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.caller-identity.account_id}"] },
        ],
      }),
    ]);
  });

  it("the Firehose role reads only the source stream", () => {
    const kinesis = firehose.filter((s) => s.actions.some((a) => a.startsWith("kinesis:")));
    expect(kinesis.flatMap((s) => s.resources)).toEqual([SOURCE_ARN]);
  });

  it("the Firehose role writes objects only under events/ and errors/", () => {
    const objectWrites = firehose.filter((s) => s.actions.includes("s3:PutObject"));
    expect(objectWrites.flatMap((s) => s.resources).sort()).toEqual([`${lake}/errors/*`, `${lake}/events/*`]);
    expect(firehose.flatMap((s) => s.actions)).not.toContain("s3:DeleteObject");
  });

  it("the Firehose role has AWS's documented S3 permissions, GetObject included, objects only under events/ and errors/", () => {
    // Firehose developer guide, "Grant Firehose access to an Amazon S3 destination" (controlling-access.html#using-iam-s3).
    const documented = [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ];
    const s3 = firehose.filter((st) => st.actions.some((a) => a.startsWith("s3:")));
    expect([...new Set(s3.flatMap((st) => st.actions))].sort()).toEqual(documented);
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]) {
      const resources = s3.filter((st) => st.actions.includes(action)).flatMap((st) => st.resources);
      expect({ action, resources: [...new Set(resources)].sort() }).toEqual({
        action,
        resources: [`${lake}/errors/*`, `${lake}/events/*`],
      });
    }
    for (const action of ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]) {
      const resources = s3.filter((st) => st.actions.includes(action)).flatMap((st) => st.resources);
      expect({ action, resources: [...new Set(resources)] }).toEqual({ action, resources: [lake] });
    }
  });

  it("the Firehose role invokes only the transform function and reads only the events table", () => {
    const invoke = firehose.filter((s) => s.actions.includes("lambda:InvokeFunction"));
    const fnArn = ref(json, "aws_lambda_function", "arn");
    expect(invoke.flatMap((s) => s.resources)).toEqual([fnArn, `${fnArn}:*`]);
    const glue = firehose.filter((s) => s.actions.some((a) => a.startsWith("glue:")));
    expect(glue).toEqual([
      {
        actions: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
        resources: [
          expect.stringMatching(
            /^arn:\$\{data\.aws_partition\.[^}]+\.partition\}:glue:eu-west-1:\$\{data\.aws_caller_identity\.caller-identity\.account_id\}:catalog$/,
          ),
          ref(json, "aws_glue_catalog_database", "arn"),
          ref(json, "aws_glue_catalog_table", "arn"),
        ],
      },
    ]);
  });

  it("no Firehose statement reaches `*` or the whole bucket", () => {
    const resources = firehose.flatMap((s) => s.resources);
    expect(resources).not.toContain("*");
    expect(resources).not.toContain(`${lake}/*`);
  });

  it("the function writes only its own log group and errors/processing-failed/, and reads only the visitor-key parameter", () => {
    const fnGroup = Object.entries(json.resource.aws_cloudwatch_log_group ?? {}).find(
      ([, g]) => g.name === "/aws/lambda/webstats-test-events-transform",
    );
    expect(fn).toEqual([
      { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`\${aws_cloudwatch_log_group.${fnGroup?.[0]}.arn}:*`] },
      { actions: ["ssm:GetParameter"], resources: [ref(json, "aws_ssm_parameter", "arn")] },
      // It stores failed records itself, client IP redacted (failed-records.ts), only under its own error type.
      { actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], resources: [lake] },
      { actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: [`${lake}/${errorTypePrefix("processing-failed")}*`] },
    ]);
    const vars = own<{ environment: { variables: Record<string, string> } }>(json, "aws_lambda_function").environment.variables;
    expect(vars[TRANSFORM_ENV.failedRecordsBucket]).toBe(ref(json, "aws_s3_bucket", "bucket"));
  });
});

describe("transform function and visitor key", () => {
  it("runs the bundle with the config's memory/timeout, the transform config as JSON and the parameter name", () => {
    const stack = pipeline({ ingestion: { lambdaMemoryMb: 2048, lambdaTimeoutSeconds: 200, logRetentionDays: 90 } });
    const synth = Testing.synth(stack);
    const json = synthJson(stack);
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "webstats-test-events-transform",
      memory_size: 2048,
      timeout: 200,
      environment: {
        variables: expect.objectContaining({
          [TRANSFORM_ENV.visitorKeyParam]: "/webstats/test/visitor-id-key",
          [TRANSFORM_ENV.config]: JSON.stringify(stack.config.transform),
        }),
      },
    });
    const vars = own<{ environment: { variables: Record<string, string> } }>(json, "aws_lambda_function").environment.variables;
    expect(Object.keys(vars)).not.toContain(TRANSFORM_ENV.visitorKey);
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/webstats-test-events-transform",
      retention_in_days: 90,
    });
  });

  it("creates the visitor key as a SecureString whose value Terraform never resets", () => {
    // The handler refuses a key with this prefix, so a forgotten put-parameter fails loudly.
    expect(VISITOR_KEY_PLACEHOLDER.startsWith(VISITOR_KEY_PLACEHOLDER_PREFIX)).toBe(true);
    expect(Testing.synth(pipeline())).toHaveResourceWithProperties(SsmParameter, {
      name: "/webstats/test/visitor-id-key",
      type: "SecureString",
      value: VISITOR_KEY_PLACEHOLDER,
      lifecycle: { ignore_changes: ["value"] },
    });
  });

  it("uses an existing parameter named in the config instead, granting only that one", () => {
    const json = synthJson(pipeline({ ingestion: { visitorKeyParameter: "/shared/visitor-key" } }));
    expect(json.resource.aws_ssm_parameter).toBeUndefined();
    expect(roleStatements(json, "-transform-fn")).toContainEqual({
      actions: ["ssm:GetParameter"],
      resources: [
        expect.stringMatching(
          /^arn:\$\{data\.aws_partition\.[^}]+\}:ssm:eu-west-1:\$\{data\.aws_caller_identity[^}]+\}:parameter\/shared\/visitor-key$/,
        ),
      ],
    });
  });
});

describe("transform code upload", () => {
  it("goes through a private bucket of its own, the function pinned to the uploaded object version", () => {
    const json = synthJson(pipeline());
    const fn = own<Record<string, unknown>>(json, "aws_lambda_function");
    const objects = Object.entries(json.resource.aws_s3_object ?? {}).filter(([k]) => k.startsWith("ingestion_transform_"));
    expect(objects).toHaveLength(1);
    const [name, object] = objects[0] ?? [];
    expect(object).toMatchObject({ key: "webstats-test-events-transform.zip", source: expect.stringMatching(/archive\.zip$/) });
    expect(object?.bucket).toMatch(/^\$\{aws_s3_bucket\.ingestion_code_bucket_\w+\.bucket\}$/);
    expect(fn).toMatchObject({
      s3_bucket: `\${aws_s3_object.${name}.bucket}`,
      s3_key: `\${aws_s3_object.${name}.key}`,
      s3_object_version: `\${aws_s3_object.${name}.version_id}`,
    });
    expect(fn).not.toHaveProperty("filename");
    expect(Object.values(json.resource.aws_s3_bucket ?? {}).map((b) => b.bucket)).toContain(
      "webstats-test-lambda-code-${data.aws_caller_identity.caller-identity.account_id}",
    );
  });

  describe("NodeFunction package limits (a sparse file stands in for a GeoIP database)", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "bundle-"));
      writeFileSync(path.join(dir, "index.js"), "exports.handler = async () => ({});");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const make = (bytes: number, codeBucket?: { name: string }) => {
      writeFileSync(path.join(dir, "big.mmdb"), "");
      truncateSync(path.join(dir, "big.mmdb"), bytes);
      const stack = new AnalyticsStack(testApp(), "fn", { config: testConfig() });
      return errorOf(() => new NodeFunction(stack, "fn", { functionName: "fn", bundleDir: dir, codeBucket }));
    };

    it("refuses a bundle over 50 MB uploaded inline, and accepts it through a bucket", () => {
      expect(make(60 * 1024 * 1024)).toMatch(/bundle .* is 60\.0 MB; Lambda accepts at most 50 MB zipped through its API: set codeBucket/);
      expect(make(60 * 1024 * 1024, { name: "code-bucket" })).toBe("");
    });

    it("refuses a bundle over 250 MB unzipped however it is uploaded", () => {
      expect(make(251 * 1024 * 1024, { name: "code-bucket" })).toMatch(/is 251\.0 MB; Lambda allows 250 MB unzipped/);
    });
  });
});

describe("lake lifecycle", () => {
  it("expires error objects after the configured number of days", () => {
    expect(Testing.synth(pipeline({ ingestion: { errorRetentionDays: 14 } }))).toHaveResourceWithProperties(
      S3BucketLifecycleConfiguration,
      {
        rule: expect.arrayContaining([
          expect.objectContaining({ id: "expire-errors", filter: [{ prefix: "errors/" }], expiration: [{ days: 14 }] }),
        ]),
      },
    );
  });
});

describe("limits", () => {
  const configErrors = (ingestion: Record<string, unknown>) =>
    errorOf(() => parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", ingestion }, "test"));

  it.each([
    [{ bufferSizeMiB: 32 }, "ingestion.bufferSizeMiB: Firehose requires 64-128 MiB with Parquet conversion: at least 64"],
    [{ bufferSizeMiB: 129 }, "ingestion.bufferSizeMiB"],
    [{ bufferIntervalSeconds: 30 }, "ingestion.bufferIntervalSeconds"],
    [{ bufferIntervalSeconds: 901 }, "ingestion.bufferIntervalSeconds"],
    [{ processorBufferSizeMB: 0.1 }, "ingestion.processorBufferSizeMB: Firehose Lambda buffer: at least 0.2 MB"],
    [{ processorBufferSizeMB: 3.5 }, "ingestion.processorBufferSizeMB"],
    // Within Firehose's 0.2-3 MB, but a batch of the shortest lines would outgrow Lambda's 6 MB response.
    [{ processorBufferSizeMB: 1 }, "ingestion.processorBufferSizeMB: at most 0.35 MB, so the transform's response"],
    [{ processorBufferSizeMB: 0.4 }, "ingestion.processorBufferSizeMB: at most 0.35 MB"],
    [{ processorBufferIntervalSeconds: 901 }, "ingestion.processorBufferIntervalSeconds"],
    [{ lambdaTimeoutSeconds: 301 }, "ingestion.lambdaTimeoutSeconds: Firehose invokes the Lambda for at most 300 s"],
    [{ lambdaMemoryMb: 64 }, "ingestion.lambdaMemoryMb"],
    [{ logRetentionDays: 10 }, "ingestion.logRetentionDays: must be one of"],
    [{ errorRetentionDays: 0 }, "ingestion.errorRetentionDays"],
    [{ bufferSize: 64 }, "ingestion.bufferSize: unknown key"],
  ])("config %j is rejected naming the key", (ingestion, message) => {
    const error = configErrors(ingestion);
    expect(error).toContain(message);
  });

  it("accepts the edges of every range", () => {
    expect(() =>
      parseConfig({
        project: "webstats",
        environment: "test",
        region: "eu-west-1",
        ingestion: {
          bufferSizeMiB: 64,
          bufferIntervalSeconds: 900,
          processorBufferSizeMB: 0.2,
          processorBufferIntervalSeconds: 0,
          lambdaTimeoutSeconds: 300,
        },
      }),
    ).not.toThrow();
    expect(configErrors({ bufferSizeMiB: 128, processorBufferSizeMB: 0.35 })).toBe("");
  });

  it("a ConfigError is what main.ts prints", () => {
    expect(() => testConfig({ ingestion: { bufferSizeMiB: 1 } })).toThrow(ConfigError);
  });

  function constructError(props: Record<string, unknown>): string {
    const app = testApp();
    const config = testConfig();
    const edge = new AnalyticsStack(app, "edge", { config });
    const stack = new PipelineStack(app, "pipeline", { config });
    return errorOf(
      () =>
        new Ingestion(stack, "direct", {
          name: "direct-events",
          source: new FakeStream(edge, "source"),
          lake: stack.lake,
          catalog: stack.catalog,
          accountId: stack.accountId,
          region: config.region,
          transformBundleDir: FIXTURE_BUNDLE_DIR,
          visitorKeyParameter: { name: "/k", create: true },
          ...props,
        }),
    );
  }

  it.each([
    [
      { bufferSizeMiB: 63 },
      "bufferSizeMiB must be a whole number from 64 to 128 (Firehose requires >= 64 MiB with Parquet conversion); got 63",
    ],
    [{ bufferIntervalSeconds: 0 }, "bufferIntervalSeconds must be a whole number from 60 to 900"],
    [
      { processorBufferSizeMB: 4 },
      "processorBufferSizeMB must be from 0.2 to 0.35 (Firehose Lambda buffer whose response always fits Lambda's 6 MB); got 4",
    ],
    [{ processorBufferSizeMB: 1 }, "processorBufferSizeMB must be from 0.2 to 0.35"],
    [{ lambdaTimeoutSeconds: 600 }, "lambdaTimeoutSeconds must be a whole number from 1 to 300"],
    [{ logRetentionDays: 2 }, "logRetentionDays must be one of"],
    [{ name: "bad name!" }, "has characters AWS does not allow there"],
  ])("the construct checks the same limits at synth for direct use: %j", (props, message) => {
    expect(constructError(props)).toContain(message);
  });

  it("rejects an environment over Lambda's 4 KB, naming the transform config key", () => {
    const error = constructError({ transformConfig: { padding: "x".repeat(4000) } });
    expect(error).toMatch(
      /environment is \d+ bytes, over Lambda's 4096-byte limit; the transform config \(config key `transform`\) takes 40\d\d bytes/,
    );
  });

  it("without a bundle, synth fails with the command to build it", () => {
    expect(constructError({ transformBundleDir: "/nonexistent/firehose-transform" })).toContain("run `npm run build:handlers` first");
  });
});

describe("rule pack: ingestion rules", () => {
  const json = synthJson(pipeline());

  it("the lake, catalog and ingestion resources pass every rule with no suppression", () => {
    const ours = /\.(lake|catalog|ingestion)_/;
    // The transform reserves no concurrency by default: NodeFunction suppresses that rule with its reason (rule-gaps.test.ts).
    const unreserved = (v: { ruleId: string }) => v.ruleId === LAMBDA_RESERVED_CONCURRENCY;
    expect(evaluate(json, RULES).filter((v) => ours.test(v.address) && !unreserved(v))).toEqual([]);
    expect(evaluate(json, INGESTION_RULES)).toEqual([]);
  });

  const streamOf = (j: TfJson) =>
    Object.values(j.resource.aws_kinesis_firehose_delivery_stream ?? {})[0] as { extended_s3_configuration: Record<string, unknown> };
  const mutate = (edit: (j: TfJson) => void): string[] => {
    const copy = JSON.parse(JSON.stringify(json)) as TfJson;
    edit(copy);
    return evaluate(copy, INGESTION_RULES).map((v) => `${v.ruleId}: ${v.reason}`);
  };

  it("FIREHOSE-NOTHING-LOST fails a stream without the error-output-type in its error prefix", () => {
    expect(mutate((j) => (streamOf(j).extended_s3_configuration.error_output_prefix = "errors/"))).toEqual([
      "FIREHOSE-NOTHING-LOST: error_output_prefix must contain !{firehose:error-output-type}",
    ]);
  });

  it("FIREHOSE-NOTHING-LOST fails Parquet conversion with a buffer under 64 MiB", () => {
    expect(mutate((j) => (streamOf(j).extended_s3_configuration.buffering_size = 5))).toEqual([
      "FIREHOSE-NOTHING-LOST: buffering_size 5 MiB: Parquet/ORC conversion needs at least 64",
    ]);
  });

  it("FIREHOSE-LOGGING fails a stream with logging off", () => {
    expect(mutate((j) => (streamOf(j).extended_s3_configuration.cloudwatch_logging_options = { enabled: false }))).toEqual([
      expect.stringMatching(/^FIREHOSE-LOGGING: /),
    ]);
  });

  it("FIREHOSE-ENCRYPTED fails when the destination bucket has no default encryption", () => {
    expect(mutate((j) => delete j.resource.aws_s3_bucket_server_side_encryption_configuration)).toEqual([
      expect.stringMatching(/^FIREHOSE-ENCRYPTED: destination aws_s3_bucket\.lake_bucket_\w+ has no default encryption/),
    ]);
  });

  it("FIREHOSE-ROLE-SCOPED fails a role that may write every object of the lake", () => {
    const violations = mutate((j) => {
      for (const doc of Object.values(j.data.aws_iam_policy_document ?? {})) {
        for (const st of (doc.statement ?? []) as Statement[]) {
          if (st.actions.includes("s3:PutObject")) st.resources = [`${ref(j, "aws_s3_bucket", "arn")}/*`];
        }
      }
    });
    expect(violations).toEqual([expect.stringMatching(/^FIREHOSE-ROLE-SCOPED: aws_iam_role\.ingestion_role_\w+ reaches every object/)]);
  });

  it("GLUE-PARTITION-PROJECTION fails an unescaped template and a missing projection type", () => {
    const unescaped = mutate((j) => {
      const t = own<{ parameters: Record<string, string> }>(j, "aws_glue_catalog_table");
      t.parameters["storage.location.template"] = "s3://b/events/event_type=${event_type}/year=${year}/month=${month}/day=${day}/";
    });
    expect(unescaped).toEqual([
      expect.stringContaining("GLUE-PARTITION-PROJECTION: storage.location.template lacks $${event_type}, $${year}"),
    ]);
    const untyped = mutate((j) => {
      const t = own<{ parameters: Record<string, string> }>(j, "aws_glue_catalog_table");
      delete t.parameters["projection.day.type"];
    });
    expect(untyped).toEqual(["GLUE-PARTITION-PROJECTION: no projection type for day"]);
  });

  it("LAMBDA-LOGS-OWN-GROUP fails a function whose role may log anywhere", () => {
    const violations = mutate((j) => {
      for (const doc of Object.values(j.data.aws_iam_policy_document ?? {})) {
        for (const st of (doc.statement ?? []) as Statement[]) {
          if (st.actions.includes("logs:CreateLogStream")) st.resources = ["arn:aws:logs:*:*:*"];
        }
      }
    });
    expect(violations).toEqual([
      expect.stringMatching(/^LAMBDA-LOGS-OWN-GROUP: .* may use logs actions outside aws_cloudwatch_log_group\./),
    ]);
  });

  it("LAMBDA-NO-SECRETS-IN-ENV fails a key passed in the environment", () => {
    const violations = mutate((j) => {
      const fn = own<{ environment: { variables: Record<string, string> } }>(j, "aws_lambda_function");
      fn.environment.variables[TRANSFORM_ENV.visitorKey] = "s3cr3t";
    });
    expect(violations).toEqual([`LAMBDA-NO-SECRETS-IN-ENV: environment variables that look like secrets: ${TRANSFORM_ENV.visitorKey}`]);
  });

  it("LOGS-RETENTION fails a log group kept forever", () => {
    const violations = mutate((j) => {
      for (const g of Object.values(j.resource.aws_cloudwatch_log_group ?? {})) delete g.retention_in_days;
    });
    const copy = JSON.parse(JSON.stringify(json)) as TfJson;
    for (const g of Object.values(copy.resource.aws_cloudwatch_log_group ?? {})) delete g.retention_in_days;
    const ours = evaluate(copy, INGESTION_RULES).filter((v) => v.ruleId === "LOGS-RETENTION" && v.address.includes(".ingestion_"));
    expect(ours.map((v) => v.address)).toEqual([
      expect.stringContaining("ingestion_logs_"),
      expect.stringContaining("ingestion_transform_logs_"),
    ]);
    expect(violations.length).toBeGreaterThanOrEqual(2);
  });
});

describe("in the app", () => {
  it("the pipeline's Firehose reads the edge stack's Kinesis stream and may decrypt it only through Kinesis", () => {
    // With a customer-managed stream key; aws/kinesis, the default, needs no KMS grant (keys.test.ts).
    const stacks = createStacks(testApp(), testConfig({ encryption: { customerManagedKeys: true } }), fixtureBundles);
    expect(stacks.pipeline.ingestion).toBeDefined();
    const json = synthJson(stacks.pipeline);
    const stream = Object.values(json.resource.aws_kinesis_firehose_delivery_stream ?? {})[0] as {
      kinesis_source_configuration: { kinesis_stream_arn: string };
    };
    const [edgeStream] = Object.keys(synthJson(stacks.edge).resource.aws_kinesis_stream ?? {});
    expect(stream.kinesis_source_configuration.kinesis_stream_arn).toBe(`\${aws_kinesis_stream.${edgeStream}.arn}`);
    const firehose = roleStatements(json, "-firehose");
    expect(firehose.filter((s) => s.actions.some((a) => a.startsWith("kinesis:"))).flatMap((s) => s.resources)).toEqual([
      stream.kinesis_source_configuration.kinesis_stream_arn,
    ]);
    expect(firehose).toContainEqual(
      expect.objectContaining({
        actions: ["kms:Decrypt"],
        condition: [expect.objectContaining({ variable: "kms:ViaService", values: ["kinesis.eu-west-1.amazonaws.com"] })],
      }),
    );
  });
});
