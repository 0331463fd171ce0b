import * as path from "node:path";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Testing } from "cdktf";
import { createStacks } from "../../stacks/app";
import { STATE_DIR } from "../../stacks/base-stack";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { StateStack } from "../../stacks/state-stack";
import { BASE_CONFIG, problemsOf, testConfig } from "../helpers/config";
import { fixtureBundles, synthJson, testApp } from "../helpers/synth";

const ACCOUNT = "123456789012";

describe("StateStack (bootstrap)", () => {
  const stack = new StateStack(testApp(), "state", testConfig({ state: { backend: "s3", accountId: ACCOUNT } }));
  const synth = Testing.synth(stack);

  it("names the state bucket from the config and the account id, as S3 names are global", () => {
    expect(synth).toHaveResourceWithProperties(S3Bucket, { bucket: `webstats-test-tfstate-${ACCOUNT}`, force_destroy: false });
  });

  it("refuses to be applied in another account than the one its bucket is named after", () => {
    const json = JSON.parse(synth) as { provider: { aws: { allowed_account_ids?: string[] }[] } };
    expect(json.provider.aws[0]?.allowed_account_ids).toEqual([ACCOUNT]);
  });

  it("keeps an explicit state.bucket as given", () => {
    const named = new StateStack(testApp(), "state", testConfig({ state: { backend: "s3", bucket: "my-team-terraform-state" } }));
    expect(Testing.synth(named)).toHaveResourceWithProperties(S3Bucket, { bucket: "my-team-terraform-state" });
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
    const stack = new PipelineStack(testApp(), "pipeline", {
      config: testConfig({ state: { backend: "s3", accountId: ACCOUNT, region: "us-east-1" } }),
    });
    expect(synthJson(stack).terraform.backend).toEqual({
      s3: {
        bucket: `webstats-test-tfstate-${ACCOUNT}`,
        key: "webstats/test/pipeline.tfstate",
        region: "us-east-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});

describe("whether the state stack exists", () => {
  it("is not created with the local backend, and synth says so", () => {
    const lines: string[] = [];
    const app = testApp();
    const stacks = createStacks(app, testConfig(), { ...fixtureBundles, log: (l) => lines.push(l) });
    expect(stacks.state).toBeUndefined();
    expect(app.node.tryFindChild("state")).toBeUndefined();
    expect(lines).toContainEqual(expect.stringMatching(/^Terraform state: local files under terraform-state\/, so no state stack/));
  });

  it("is created with the S3 backend, and synth names its bucket", () => {
    const lines: string[] = [];
    const stacks = createStacks(testApp(), testConfig({ state: { backend: "s3", accountId: ACCOUNT } }), {
      ...fixtureBundles,
      log: (l) => lines.push(l),
    });
    expect(stacks.state).toBeInstanceOf(StateStack);
    expect(lines).toContainEqual(`Terraform state: S3 bucket webstats-test-tfstate-${ACCOUNT} (stack state creates it; deploy it first)`);
  });

  it("the S3 backend needs the account id (or an explicit bucket): config validation says which key", () => {
    expect(problemsOf({ ...BASE_CONFIG, state: { backend: "s3" } })).toEqual([
      expect.stringMatching(/^state\.accountId: required with backend "s3"/),
    ]);
    expect(problemsOf({ ...BASE_CONFIG, state: { backend: "s3", accountId: "12345" } })).toEqual([
      expect.stringMatching(/^state\.accountId: a 12-digit AWS account id/),
    ]);
  });
});
