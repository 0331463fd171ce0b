/**
 * Lean mode (`logDelivery: "standard"`): standard logging v2 into a private log bucket, an S3 notification
 * invoking the log-file Lambda, no Kinesis and no Firehose; the real-time route stays as it was.
 */
import { CloudfrontRealtimeLogConfig } from "@cdktf/provider-aws/lib/cloudfront-realtime-log-config";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing } from "cdktf";
import { alarmsFor } from "../../config/alarms";
import { loadConfig } from "../../config/load";
import { LAKE_PREFIXES } from "../../schemas";
import { createStacks, LOG_FILE_HANDLER } from "../../stacks/app";
import { ASYNC_INVOKE, LAKE_BUCKET_ENV, LOG_FILE_SUFFIX } from "../../stacks/constructs/log-file-ingestion";
import { STANDARD_LOGS_OUTPUT_FORMAT, STANDARD_LOGS_SOURCE_REGION } from "../../stacks/constructs/standard-logs";
import { evaluate } from "../../stacks/rules/engine";
import { RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { FIXTURE_BUNDLE_DIR, resourcesOfType, synthJson, testApp } from "../helpers/synth";

type Json = Record<string, unknown>;

/** Statements of the policy documents of a stack, flattened. */
function statements(json: ReturnType<typeof synthJson>): Json[] {
  return Object.values(json.data?.aws_iam_policy_document ?? {}).flatMap((d) => (d.statement as Json[] | undefined) ?? []);
}

describe("lean mode (logDelivery standard)", () => {
  const lines: string[] = [];
  const bundlesAsked: string[] = [];
  const stacks = createStacks(testApp(), testConfig({ logDelivery: "standard" }), {
    handlerBundleDir: (name) => {
      bundlesAsked.push(name);
      return FIXTURE_BUNDLE_DIR;
    },
    log: (line) => lines.push(line),
  });
  const edge = synthJson(stacks.edge);
  const pipeline = synthJson(stacks.pipeline);
  const ops = synthJson(stacks.ops);

  it("says in one synth line which route it chose, and prints no Kinesis sizing", () => {
    expect(lines.filter((l) => l.startsWith("Log delivery: "))).toEqual([
      expect.stringMatching(/^Log delivery: standard \(logDelivery "standard": lean mode: /),
    ]);
    expect(lines.some((l) => l.startsWith("Kinesis: "))).toBe(false);
  });

  it("creates no Kinesis stream, no Firehose and no real-time log config in any stack", () => {
    for (const stack of [stacks.edge, stacks.pipeline, stacks.ops, stacks.api]) {
      const synth = Testing.synth(stack);
      expect(synth).not.toHaveResource(KinesisStream);
      expect(synth).not.toHaveResource(KinesisFirehoseDeliveryStream);
      expect(synth).not.toHaveResource(CloudfrontRealtimeLogConfig);
    }
    expect(bundlesAsked).toContain(LOG_FILE_HANDLER);
    expect(bundlesAsked).not.toContain("firehose-transform");
  });

  it("delivers the distribution's access logs (v2, W3C) to the log bucket from us-east-1", () => {
    const synth = Testing.synth(stacks.edge);
    expect(synth).toHaveResourceWithProperties(CloudwatchLogDeliverySource, {
      log_type: "ACCESS_LOGS",
      resource_arn: expect.stringMatching(/^\$\{aws_cloudfront_distribution\..*\.arn\}$/),
      provider: "aws.us-east-1",
    });
    expect(synth).toHaveResourceWithProperties(CloudwatchLogDeliveryDestination, {
      output_format: STANDARD_LOGS_OUTPUT_FORMAT,
      delivery_destination_configuration: [
        { destination_resource_arn: expect.stringMatching(/^\$\{aws_s3_bucket\.standard-logs_bucket_.*\.arn\}$/) },
      ],
      provider: "aws.us-east-1",
    });
    expect(synth).toHaveResourceWithProperties(CloudwatchLogDelivery, {
      delivery_source_name: expect.stringMatching(/^\$\{aws_cloudwatch_log_delivery_source\..*\.name\}$/),
      delivery_destination_arn: expect.stringMatching(/^\$\{aws_cloudwatch_log_delivery_destination\..*\.arn\}$/),
      depends_on: [expect.stringMatching(/^aws_s3_bucket_policy\./)],
      provider: "aws.us-east-1",
    });
    const providers = (edge.provider as { aws: { alias?: string; region: string }[] }).aws;
    expect(providers).toContainEqual(expect.objectContaining({ alias: "us-east-1", region: STANDARD_LOGS_SOURCE_REGION }));
  });

  it("lets only this account's log deliveries write the log bucket, and expires raw logs after logFiles.retentionDays", () => {
    const write = statements(edge).find((s) => s.sid === "AWSLogDeliveryWrite");
    expect(write).toMatchObject({
      actions: ["s3:PutObject"],
      principals: [{ type: "Service", identifiers: ["delivery.logs.amazonaws.com"] }],
    });
    expect(write?.condition).toEqual(
      expect.arrayContaining([
        { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.caller-identity.account_id}"] },
        expect.objectContaining({
          test: "ArnLike",
          variable: "aws:SourceArn",
          values: [expect.stringMatching(/^arn:aws:logs:us-east-1:/)],
        }),
      ]),
    );
    expect(Testing.synth(stacks.edge)).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: expect.arrayContaining([
        expect.objectContaining({ id: "expire-raw-logs", filter: [{ prefix: "" }], expiration: [{ days: 3 }] }),
      ]),
    });
  });

  it("invokes the log-file Lambda on every new .gz object of the log bucket, after the permission exists", () => {
    const synth = Testing.synth(stacks.pipeline);
    expect(synth).toHaveResourceWithProperties(S3BucketNotification, {
      bucket: expect.stringMatching(/standard-logs_bucket_/),
      lambda_function: [expect.objectContaining({ events: ["s3:ObjectCreated:*"], filter_suffix: LOG_FILE_SUFFIX })],
      depends_on: [expect.stringMatching(/^aws_lambda_permission\./)],
    });
  });

  it("lets only S3 of this account, for the log bucket, invoke the function", () => {
    expect(Testing.synth(stacks.pipeline)).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      source_account: "${data.aws_caller_identity.caller-identity.account_id}",
      source_arn: expect.stringMatching(/^\$\{aws_s3_bucket\.standard-logs_bucket_.*\.arn\}$/),
    });
  });

  it("retries a failed invocation, then parks its event in an encrypted queue", () => {
    const synth = Testing.synth(stacks.pipeline);
    expect(synth).toHaveResourceWithProperties(SqsQueue, {
      sqs_managed_sse_enabled: true,
      message_retention_seconds: ASYNC_INVOKE.failedEventRetentionSeconds,
    });
    expect(synth).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, {
      maximum_retry_attempts: 2,
      destination_config: { on_failure: { destination: expect.stringMatching(/^\$\{aws_sqs_queue\..*\.arn\}$/) } },
    });
  });

  it("gives the function least privilege: read the log objects, write only events/ and errors/, send only to its queue", () => {
    const fnPolicy = Object.entries(pipeline.data?.aws_iam_policy_document ?? {}).find(([name]) =>
      name.startsWith("log-files_function_role_permissions"),
    );
    const s = (fnPolicy?.[1].statement as Json[] | undefined) ?? [];
    const resourcesOf = (action: string) =>
      s.filter((x) => (x.actions as string[]).includes(action)).flatMap((x) => x.resources as string[]);
    expect(resourcesOf("s3:GetObject")).toEqual([expect.stringMatching(/^\$\{aws_s3_bucket\.standard-logs_bucket_.*\.arn\}\/\*$/)]);
    expect(resourcesOf("s3:PutObject").map((r) => r.replace(/^.*\}\//, ""))).toEqual([
      `${LAKE_PREFIXES.events}*`,
      `${LAKE_PREFIXES.errors}*`,
    ]);
    expect(resourcesOf("sqs:SendMessage")).toEqual([expect.stringMatching(/^\$\{aws_sqs_queue\./)]);
    expect(s.some((x) => (x.actions as string[]).some((a) => a === "s3:DeleteObject" || a.endsWith("*")))).toBe(false);
  });

  it("tells the function which lake bucket to write", () => {
    const fns = resourcesOfType(pipeline, "aws_lambda_function");
    expect(fns).toHaveLength(1);
    const vars = (fns[0]?.environment as { variables: Record<string, string> } | undefined)?.variables ?? {};
    expect(vars[LAKE_BUCKET_ENV]).toMatch(/^\$\{aws_s3_bucket\.lake_bucket_/);
  });

  it("creates exactly the alarms of the lean route", () => {
    const names = resourcesOfType(ops, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name);
    const expected = alarmsFor("standard", false)
      .filter((a) => a.metricCount > 0)
      .map((a) => `webstats-test-${a.id}`);
    expect(names.sort()).toEqual(expected.sort());
    expect(Testing.synth(stacks.ops)).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "webstats-test-log-files-failed",
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
    });
  });

  it("passes the rule pack: synth runs it and throws on any violation", () => {
    for (const stack of [stacks.edge, stacks.pipeline, stacks.ops]) expect(() => Testing.synth(stack)).not.toThrow();
  });

  it("counts standard logging v2 as request logging (CF-REQUEST-LOGGING), and only with its delivery", () => {
    const requestLogging = RULES.filter((r) => r.id === "CF-REQUEST-LOGGING");
    expect(evaluate(edge, requestLogging, () => false)).toEqual([]);
    const withoutDelivery = { ...edge, resource: { ...edge.resource, aws_cloudwatch_log_delivery: {} } };
    expect(evaluate(withoutDelivery, requestLogging, () => false)).toEqual([
      expect.objectContaining({ ruleId: "CF-REQUEST-LOGGING", reason: expect.stringMatching(/no realtime_log_config_arn/) }),
    ]);
  });
});

describe("lean mode with a custom domain", () => {
  it("creates the certificate and the log delivery through one us-east-1 provider", () => {
    const stacks = createStacks(
      testApp(),
      testConfig({
        logDelivery: "standard",
        website: { customDomain: { domainName: "www.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" } },
      }),
      { handlerBundleDir: () => FIXTURE_BUNDLE_DIR, log: () => undefined },
    );
    const json = synthJson(stacks.edge);
    expect((json.provider as { aws: { alias?: string }[] }).aws.filter((p) => p.alias === "us-east-1")).toHaveLength(1);
    expect(resourcesOfType(json, "aws_acm_certificate")[0]?.provider).toBe("aws.us-east-1");
    expect(resourcesOfType(json, "aws_cloudwatch_log_delivery_source")[0]?.provider).toBe("aws.us-east-1");
  });
});

describe("the shipped lean example config", () => {
  it("selects lean mode and synthesizes", () => {
    const config = loadConfig("lean-example");
    expect(config.logDelivery).toBe("standard");
    const stacks = createStacks(testApp(), config, { handlerBundleDir: () => FIXTURE_BUNDLE_DIR, log: () => undefined });
    expect(stacks.edge.standardLogs).toBeDefined();
    expect(stacks.pipeline.logFileIngestion).toBeDefined();
  });
});

describe("real-time route (the default) is unchanged", () => {
  const stacks = createStacks(testApp(), testConfig(), { handlerBundleDir: () => FIXTURE_BUNDLE_DIR, log: () => undefined });

  it("keeps Kinesis, Firehose and the real-time log config, and has no lean resources", () => {
    expect(Testing.synth(stacks.edge)).toHaveResource(KinesisStream);
    expect(Testing.synth(stacks.edge)).toHaveResource(CloudfrontRealtimeLogConfig);
    expect(Testing.synth(stacks.pipeline)).toHaveResource(KinesisFirehoseDeliveryStream);
    expect(Testing.synth(stacks.edge)).not.toHaveResource(CloudwatchLogDeliverySource);
    expect(Testing.synth(stacks.pipeline)).not.toHaveResource(S3BucketNotification);
    expect(Testing.synth(stacks.pipeline)).not.toHaveResource(SqsQueue);
  });

  it("creates exactly the alarms of the real-time route", () => {
    const names = resourcesOfType(synthJson(stacks.ops), "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name);
    const expected = alarmsFor("realtime", false)
      .filter((a) => a.metricCount > 0)
      .map((a) => `webstats-test-${a.id}`);
    expect(names.sort()).toEqual(expected.sort());
  });
});
