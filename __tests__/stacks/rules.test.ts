import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Testing } from "cdktf";
import { AnalyticsStack } from "../../stacks/base-stack";
import { SecureBucket } from "../../stacks/constructs/secure-bucket";
import { suppressRule } from "../../stacks/rules/aspect";
import { evaluate } from "../../stacks/rules/engine";
import { RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { testApp } from "../helpers/synth";

function stack() {
  return new AnalyticsStack(testApp(), "rules", { config: testConfig() });
}

describe("security rule pack", () => {
  it("passes a SecureBucket with no suppression", () => {
    const s = stack();
    new SecureBucket(s, "ok", { bucketName: "ok-bucket" });
    expect(() => Testing.synth(s)).not.toThrow();
  });

  it("fails synth for a bare bucket, naming each rule, the resource and the reason", () => {
    const s = stack();
    new S3Bucket(s, "bare", { bucket: "bare-bucket" });
    const error = (() => {
      try {
        Testing.synth(s);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    for (const id of ["S3-ENCRYPTION", "S3-PUBLIC-ACCESS-BLOCK", "S3-ACLS-DISABLED", "S3-TLS-ONLY", "S3-VERSIONING"]) {
      expect(error).toContain(`[${id}] aws_s3_bucket.bare:`);
    }
  });

  it("fails a bucket whose public access block leaves one setting off", () => {
    const json = {
      resource: {
        aws_s3_bucket: { b: {} },
        aws_s3_bucket_public_access_block: {
          p: {
            bucket: "${aws_s3_bucket.b.id}",
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: false,
          },
        },
      },
    };
    expect(evaluate(json, RULES).map((v) => v.ruleId)).toContain("S3-PUBLIC-ACCESS-BLOCK");
  });

  it("fails an allow statement with wildcard actions, and accepts a deny", () => {
    const s = stack();
    new DataAwsIamPolicyDocument(s, "wild", { statement: [{ actions: ["s3:*"], resources: ["*"] }] });
    new DataAwsIamPolicyDocument(s, "deny", { statement: [{ effect: "Deny", actions: ["*"], resources: ["*"] }] });
    expect(() => Testing.synth(s)).toThrow(
      /\[IAM-NO-WILDCARD-ACTIONS\] data\.aws_iam_policy_document\.wild: allow statement with wildcard actions: s3:\*/,
    );
  });

  it("fails wildcard actions in an inline JSON role policy", () => {
    const json = {
      resource: {
        aws_iam_role_policy: { p: { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) } },
      },
    };
    expect(evaluate(json, RULES)).toEqual([
      { ruleId: "IAM-NO-WILDCARD-ACTIONS-JSON", address: "aws_iam_role_policy.p", reason: "allow statement with wildcard actions: *" },
    ]);
  });

  it("a suppression with a written reason at the resource waives that rule only", () => {
    const s = stack();
    const b = new SecureBucket(s, "scratch", { bucketName: "scratch-bucket", versioned: false });
    expect(() => Testing.synth(s)).toThrow(/S3-VERSIONING/);
    suppressRule(b, "S3-VERSIONING", "scratch results are recomputed, never edited");
    expect(() => Testing.synth(s)).not.toThrow();
  });

  it("refuses a suppression without a reason", () => {
    const s = stack();
    expect(() => suppressRule(s, "S3-VERSIONING", "")).toThrow(/needs a written reason/);
  });

  it("every rule has a unique id and a description", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(20);
  });
});
