/**
 * The project's security rules. Each is a few lines: an id, the resource type
 * it checks, why, and a check over the synthesized configuration. Later
 * components append theirs to {@link RULES}.
 */
import { blocks, type Rule, type RuleContext, type SynthResource, strings } from "./engine";

/** Statements of a policy attribute: a reference to an aws_iam_policy_document, or literal JSON. */
export function policyStatements(policy: unknown, ctx: RuleContext): Record<string, unknown>[] {
  const doc = ctx.deref(policy);
  if (doc?.type === "data.aws_iam_policy_document") return blocks(doc.config.statement);
  if (typeof policy === "string" && policy.trim().startsWith("{")) {
    try {
      const parsed = JSON.parse(policy) as { Statement?: unknown };
      return blocks(parsed.Statement).map((s) => ({
        effect: s.Effect,
        actions: s.Action,
        resources: s.Resource,
      }));
    } catch {
      return [];
    }
  }
  return [];
}

const isAllow = (s: Record<string, unknown>) => (s.effect ?? "Allow") === "Allow";

function bucketHas(type: string, bucket: SynthResource, ctx: RuleContext, ok: (r: SynthResource) => boolean): boolean {
  return ctx.referencing(type, bucket).some(ok);
}

export const S3_RULES: Rule[] = [
  {
    id: "S3-ENCRYPTION",
    appliesTo: "aws_s3_bucket",
    description: "Buckets are encrypted at rest with a default encryption configuration (AwsSolutions-S3 / checkov CKV_AWS_145).",
    check: (b, ctx) =>
      bucketHas("aws_s3_bucket_server_side_encryption_configuration", b, ctx, () => true)
        ? undefined
        : "no aws_s3_bucket_server_side_encryption_configuration for this bucket",
  },
  {
    id: "S3-PUBLIC-ACCESS-BLOCK",
    appliesTo: "aws_s3_bucket",
    description: "All four public access block settings are on (AwsSolutions-S2 / checkov CKV2_AWS_6).",
    check: (b, ctx) =>
      bucketHas("aws_s3_bucket_public_access_block", b, ctx, (p) =>
        ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) => p.config[k] === true),
      )
        ? undefined
        : "no aws_s3_bucket_public_access_block with all four settings true",
  },
  {
    id: "S3-ACLS-DISABLED",
    appliesTo: "aws_s3_bucket",
    description: "Object ownership is BucketOwnerEnforced, so ACLs cannot grant access (checkov CKV2_AWS_65).",
    check: (b, ctx) =>
      bucketHas("aws_s3_bucket_ownership_controls", b, ctx, (o) =>
        blocks(o.config.rule).some((r) => r.object_ownership === "BucketOwnerEnforced"),
      )
        ? undefined
        : "no aws_s3_bucket_ownership_controls with BucketOwnerEnforced",
  },
  {
    id: "S3-TLS-ONLY",
    appliesTo: "aws_s3_bucket",
    description: "The bucket policy denies requests without TLS (AwsSolutions-S10).",
    check: (b, ctx) =>
      bucketHas("aws_s3_bucket_policy", b, ctx, (p) =>
        policyStatements(p.config.policy, ctx).some(
          (s) =>
            s.effect === "Deny" &&
            blocks(s.condition).some((c) => c.variable === "aws:SecureTransport" && strings(c.values).includes("false")),
        ),
      )
        ? undefined
        : "no bucket policy statement denying aws:SecureTransport = false",
  },
  {
    id: "S3-VERSIONING",
    appliesTo: "aws_s3_bucket",
    description: "Versioning is enabled, so an overwrite or delete can be undone (checkov CKV_AWS_21).",
    check: (b, ctx) =>
      bucketHas("aws_s3_bucket_versioning", b, ctx, (v) => blocks(v.config.versioning_configuration).some((c) => c.status === "Enabled"))
        ? undefined
        : "versioning is not enabled",
  },
];

export const IAM_RULES: Rule[] = [
  {
    id: "IAM-NO-WILDCARD-ACTIONS",
    appliesTo: "data.aws_iam_policy_document",
    description: "Allow statements name their actions; no `*` or `service:*` (AwsSolutions-IAM5 / checkov CKV_AWS_49).",
    check: (doc) => {
      const wild = blocks(doc.config.statement)
        .filter(isAllow)
        .flatMap((s) => strings(s.actions))
        .filter((a) => a === "*" || a.endsWith(":*"));
      return wild.length ? `allow statement with wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "IAM-NO-WILDCARD-ACTIONS-JSON",
    appliesTo: "aws_iam_role_policy",
    description: "Inline role policies written as JSON name their actions too (AwsSolutions-IAM5).",
    check: (p, ctx) => {
      const wild = policyStatements(p.config.policy, ctx)
        .filter(isAllow)
        .flatMap((s) => strings(s.actions))
        .filter((a) => a === "*" || a.endsWith(":*"));
      return wild.length ? `allow statement with wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
];

/** Every rule the pack checks. */
export const RULES: Rule[] = [...S3_RULES, ...IAM_RULES];
