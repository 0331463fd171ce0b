import * as path from "node:path";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Testing } from "cdktf";
import { STATE_DIR } from "../../stacks/base-stack";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { StateStack } from "../../stacks/state-stack";
import { testConfig } from "../helpers/config";
import { synthJson, testApp } from "../helpers/synth";

describe("StateStack (bootstrap)", () => {
  const stack = new StateStack(testApp(), "state", testConfig({ state: { backend: "s3" } }));
  const synth = Testing.synth(stack);

  it("creates the state bucket named from the config", () => {
    expect(synth).toHaveResourceWithProperties(S3Bucket, { bucket: "webstats-test-tfstate", force_destroy: false });
  });

  it("versions, encrypts and blocks public access to it", () => {
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } })],
    });
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("denies every request without TLS", () => {
    const statements = Object.values(synthJson(stack).data.aws_iam_policy_document ?? {}).flatMap(
      (d) => d.statement as Record<string, unknown>[],
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        effect: "Deny",
        actions: ["s3:*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    );
  });

  it("keeps its own state locally even when the config selects the S3 backend", () => {
    expect(synthJson(stack).terraform.backend).toEqual({ local: { path: path.join(STATE_DIR, "test-state.tfstate") } });
  });
});

describe("state backends", () => {
  it("defaults to a local state file under terraform-state/, by absolute path", () => {
    const stack = new PipelineStack(testApp(), "pipeline", { config: testConfig() });
    const backend = synthJson(stack).terraform.backend as { local: { path: string } };
    expect(path.isAbsolute(backend.local.path)).toBe(true);
    expect(backend.local.path).toBe(path.join(STATE_DIR, "test-pipeline.tfstate"));
  });

  it("uses the S3 backend with S3-native locking when the config says so", () => {
    const stack = new PipelineStack(testApp(), "pipeline", { config: testConfig({ state: { backend: "s3", region: "us-east-1" } }) });
    expect(synthJson(stack).terraform.backend).toEqual({
      s3: {
        bucket: "webstats-test-tfstate",
        key: "webstats/test/pipeline.tfstate",
        region: "us-east-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});
