import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { Testing } from "cdktf";
import { createStacks } from "../../stacks/app";
import { testConfig } from "../helpers/config";
import { fixtureBundles, testApp } from "../helpers/synth";

describe("the app", () => {
  const stacks = createStacks(testApp(), testConfig(), fixtureBundles);

  it("creates the pipeline stack (and no state stack: the test config keeps state locally)", () => {
    expect(stacks.pipeline).toBeDefined();
    expect(stacks.state).toBeUndefined();
  });

  it("watches the default provisioned stream with the write-throttled alarm", () => {
    expect(Testing.synth(stacks.edge)).toHaveResourceWithProperties(KinesisStream, {
      stream_mode_details: { stream_mode: "PROVISIONED" },
      shard_count: 1,
    });
    expect(Testing.synth(stacks.ops)).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "webstats-test-kinesis-write-throttled",
      metric_name: "WriteProvisionedThroughputExceeded",
      namespace: "AWS/Kinesis",
    });
  });

  it("names the lake bucket after the project, environment and account", () => {
    expect(Testing.synth(stacks.pipeline)).toHaveResourceWithProperties(S3Bucket, {
      bucket: "webstats-test-lake-${data.aws_caller_identity.caller-identity.account_id}",
    });
  });

  it("expires the lake's noncurrent versions and aborts stale uploads", () => {
    expect(Testing.synth(stacks.pipeline)).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: expect.arrayContaining([
        expect.objectContaining({ id: "abort-incomplete-uploads", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
        expect.objectContaining({ id: "expire-noncurrent-versions", noncurrent_version_expiration: [{ noncurrent_days: 7 }] }),
      ]),
    });
  });

  it("tags every resource through the provider's default tags", () => {
    const json = JSON.parse(Testing.synth(stacks.pipeline)) as {
      provider: { aws: { default_tags: { tags: Record<string, string> }[] }[] };
    };
    expect(json.provider.aws[0]?.default_tags[0]?.tags).toMatchObject({ project: "webstats", environment: "test", "managed-by": "cdktf" });
  });
});
