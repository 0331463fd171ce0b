/**
 * The project's security rules. Each is a few lines: an id, the resource type
 * it checks, why, and a check over the synthesized configuration. Later
 * components append theirs to {@link RULES}.
 */
import { blocks, type Rule, type RuleContext, type SynthResource, strings } from "./engine";

/** A literal JSON policy statement in the shape aws_iam_policy_document gives: principals and conditions as blocks. */
function fromJson(s: Record<string, unknown>): Record<string, unknown> {
  const principal = s.Principal;
  const principals =
    principal === "*"
      ? [{ type: "*", identifiers: ["*"] }]
      : blocks(principal).flatMap((p) => Object.entries(p).map(([type, identifiers]) => ({ type, identifiers: strings(identifiers) })));
  const condition = blocks(s.Condition).flatMap((byOperator) =>
    Object.entries(byOperator).flatMap(([test, kv]) =>
      blocks(kv).flatMap((pairs) => Object.entries(pairs).map(([variable, values]) => ({ test, variable, values: strings(values) }))),
    ),
  );
  return { effect: s.Effect, actions: s.Action, resources: s.Resource, principals, condition };
}

/** Statements of a policy attribute: a reference to an aws_iam_policy_document, or literal JSON. */
export function policyStatements(policy: unknown, ctx: RuleContext): Record<string, unknown>[] {
  const doc = ctx.deref(policy);
  if (doc?.type === "data.aws_iam_policy_document") return blocks(doc.config.statement);
  if (typeof policy === "string" && policy.trim().startsWith("{")) {
    try {
      const parsed = JSON.parse(policy) as { Statement?: unknown };
      return blocks(parsed.Statement).map(fromJson);
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

/** `*` or `service:*`: every action (of a service). */
const isFullWildcard = (a: string) => a === "*" || a.endsWith(":*");
/** `kms:Encrypt*`, `s3:Get?bject`: a wildcard inside an action name, which matches actions added later too. */
const isPartialWildcard = (a: string) => /[*?]/.test(a) && !isFullWildcard(a);

const allowedActions = (statements: Record<string, unknown>[], test: (a: string) => boolean) =>
  statements.filter(isAllow).flatMap((s) => strings(s.actions).filter(test));

export const IAM_RULES: Rule[] = [
  {
    id: "IAM-NO-WILDCARD-ACTIONS",
    appliesTo: "data.aws_iam_policy_document",
    description: "Allow statements name their actions; no `*` or `service:*` (AwsSolutions-IAM5 / checkov CKV_AWS_49).",
    check: (doc) => {
      const wild = allowedActions(blocks(doc.config.statement), isFullWildcard);
      return wild.length ? `allow statement with wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "IAM-NO-WILDCARD-ACTIONS-JSON",
    appliesTo: "aws_iam_role_policy",
    description: "Inline role policies written as JSON name their actions too (AwsSolutions-IAM5).",
    check: (p, ctx) => {
      const wild = allowedActions(policyStatements(p.config.policy, ctx), isFullWildcard);
      return wild.length ? `allow statement with wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "IAM-NO-PARTIAL-WILDCARD-ACTIONS",
    appliesTo: "data.aws_iam_policy_document",
    description:
      "Allow statements name whole actions: no `kms:Encrypt*` or `s3:Get?bject`, which also grant every action AWS adds " +
      "later under that prefix (AwsSolutions-IAM5 flags them as `Action::<prefix>*`).",
    check: (doc) => {
      const wild = allowedActions(blocks(doc.config.statement), isPartialWildcard);
      return wild.length ? `allow statement with partial wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "IAM-NO-PARTIAL-WILDCARD-ACTIONS-JSON",
    appliesTo: "aws_iam_role_policy",
    description: "Inline role policies written as JSON name whole actions too (AwsSolutions-IAM5).",
    check: (p, ctx) => {
      const wild = allowedActions(policyStatements(p.config.policy, ctx), isPartialWildcard);
      return wild.length ? `allow statement with partial wildcard actions: ${wild.join(", ")}` : undefined;
    },
  },
];

/**
 * Actions a role may allow on `*`, each with the condition key that scopes it instead and why. Nothing else may
 * use `*` in a role (IAM-ROLE-NO-WILDCARD-RESOURCES).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 */
export const WILDCARD_RESOURCE_EXCEPTIONS: readonly { action: string; conditionKey: string; reason: string }[] = [
  {
    action: "cloudwatch:PutMetricData",
    conditionKey: "cloudwatch:namespace",
    reason:
      "PutMetricData has no resource type, so `*` is the only resource it takes; the namespace condition limits which metrics " +
      "the role writes (Service Authorization Reference, Amazon CloudWatch).",
  },
];

/** The wildcard-resource actions of a statement that no exception (with its condition key) covers. */
function uncoveredWildcardActions(s: Record<string, unknown>): string[] {
  if (!strings(s.resources).includes("*")) return [];
  const keys = blocks(s.condition).map((c) => String(c.variable).toLowerCase());
  return strings(s.actions).filter(
    (a) => !WILDCARD_RESOURCE_EXCEPTIONS.some((e) => e.action === a && keys.includes(e.conditionKey.toLowerCase())),
  );
}

/** The role a resource's `role_arn`/`role` refers to, and the statements of that role's inline policies. */
function roleStatements(roleRef: unknown, ctx: RuleContext): { role?: SynthResource; statements: Record<string, unknown>[] } {
  const role = ctx.deref(roleRef);
  if (role?.type !== "aws_iam_role") return { statements: [] };
  const statements = ctx.referencing("aws_iam_role_policy", role).flatMap((p) => policyStatements(p.config.policy, ctx));
  return { role, statements };
}

export const ROLE_RULES: Rule[] = [
  {
    id: "IAM-ROLE-NO-WILDCARD-RESOURCES",
    appliesTo: "aws_iam_role",
    description:
      "No role's Allow statement names `*` as a resource, except the actions in WILDCARD_RESOURCE_EXCEPTIONS with their " +
      "scoping condition (AwsSolutions-IAM5 / checkov CKV_AWS_356, CKV_AWS_111).",
    check: (role, ctx) => {
      const { statements } = roleStatements(`\${${role.address}.arn}`, ctx);
      const wild = [...new Set(statements.filter(isAllow).flatMap(uncoveredWildcardActions))];
      return wild.length ? `allows ${wild.join(", ")} on *` : undefined;
    },
  },
];

/** The `${type.name.` prefix of references to a resource's attributes. */
const refPrefix = (r: SynthResource) => `\${${r.address}.`;

export const INGESTION_RULES: Rule[] = [
  {
    id: "FIREHOSE-ENCRYPTED",
    appliesTo: "aws_kinesis_firehose_delivery_stream",
    description:
      "Data is encrypted in transit through Firehose and at rest in its S3 destination: server-side encryption on the stream, " +
      "or a Kinesis source (whose own encryption applies; Firehose SSE is not allowed then), and a destination bucket with default " +
      "encryption or a kms_key_arn (AwsSolutions-KDF1 / checkov CKV_AWS_240).",
    check: (stream, ctx) => {
      const sse = blocks(stream.config.server_side_encryption).some((b) => b.enabled === true);
      if (!sse && blocks(stream.config.kinesis_source_configuration).length === 0) {
        return "neither server_side_encryption nor a (separately encrypted) Kinesis source";
      }
      for (const s3 of blocks(stream.config.extended_s3_configuration)) {
        if (typeof s3.kms_key_arn === "string" && s3.kms_key_arn !== "") continue;
        const bucket = ctx.deref(s3.bucket_arn);
        if (!bucket) continue; // a bucket of another stack: its own stack's S3-ENCRYPTION rule covers it
        if (ctx.referencing("aws_s3_bucket_server_side_encryption_configuration", bucket).length === 0) {
          return `destination ${bucket.address} has no default encryption and the stream sets no kms_key_arn`;
        }
      }
      return undefined;
    },
  },
  {
    id: "FIREHOSE-LOGGING",
    appliesTo: "aws_kinesis_firehose_delivery_stream",
    description:
      "Delivery, transformation and conversion errors are logged to CloudWatch (a named log group and stream), so a failing " +
      "stream is visible (the logging expectation of AwsSolutions / checkov's logging checks; neither has a Firehose-specific id).",
    check: (stream) => {
      for (const s3 of blocks(stream.config.extended_s3_configuration)) {
        const ok = blocks(s3.cloudwatch_logging_options).some((o) => o.enabled === true && o.log_group_name && o.log_stream_name);
        if (!ok) return "extended_s3_configuration.cloudwatch_logging_options is not enabled with a log group and stream";
      }
      return undefined;
    },
  },
  {
    id: "FIREHOSE-NOTHING-LOST",
    appliesTo: "aws_kinesis_firehose_delivery_stream",
    description:
      "Records Firehose cannot process, partition or convert go to an error prefix holding !{firehose:error-output-type} " +
      "(required with dynamic partitioning; no partitionKeyFrom* there), and Parquet conversion has the >= 64 MiB buffer " +
      "the API demands. Project rule: no cdk-nag/checkov equivalent.",
    check: (stream) => {
      for (const s3 of blocks(stream.config.extended_s3_configuration)) {
        const prefix = typeof s3.prefix === "string" ? s3.prefix : "";
        const errors = typeof s3.error_output_prefix === "string" ? s3.error_output_prefix : "";
        const dynamic = blocks(s3.dynamic_partitioning_configuration).some((d) => d.enabled === true);
        if ((dynamic || prefix.includes("!{")) && !errors.includes("!{firehose:error-output-type}")) {
          return "error_output_prefix must contain !{firehose:error-output-type}";
        }
        if (errors.includes("partitionKeyFrom")) return "error_output_prefix must not use partitionKeyFrom* namespaces";
        const converts = blocks(s3.data_format_conversion_configuration).some((c) => c.enabled !== false);
        if (converts && typeof s3.buffering_size === "number" && s3.buffering_size < 64) {
          return `buffering_size ${s3.buffering_size} MiB: Parquet/ORC conversion needs at least 64`;
        }
      }
      return undefined;
    },
  },
  {
    id: "FIREHOSE-ROLE-SCOPED",
    appliesTo: "aws_kinesis_firehose_delivery_stream",
    description:
      "The Firehose role's Allow statements name resources: no `*`, and S3 object access only under prefixes, not the whole " +
      "bucket (AwsSolutions-IAM5 / checkov CKV_AWS_290, CKV_AWS_355).",
    check: (stream, ctx) => {
      const roleRefs = [
        ...blocks(stream.config.extended_s3_configuration).map((c) => c.role_arn),
        ...blocks(stream.config.kinesis_source_configuration).map((c) => c.role_arn),
      ];
      for (const ref of roleRefs) {
        const { role, statements } = roleStatements(ref, ctx);
        if (!role) continue;
        for (const st of statements.filter(isAllow)) {
          const resources = strings(st.resources);
          if (resources.includes("*")) return `${role.address} allows ${strings(st.actions).join(", ")} on *`;
          const wholeBucket = resources.find((r) => /^\$\{aws_s3_bucket\.[^}]+\.arn\}\/\*$/.test(r));
          if (wholeBucket) return `${role.address} reaches every object of the bucket (${wholeBucket}); scope it to prefixes`;
        }
      }
      return undefined;
    },
  },
  {
    id: "GLUE-PARTITION-PROJECTION",
    appliesTo: "aws_glue_catalog_table",
    description:
      "A partitioned table uses Athena partition projection: projection.enabled, a projection type per partition key, and a " +
      "storage.location.template naming every key as a literal `$${key}` (escaped, or Terraform would interpolate it). No crawler, " +
      "no MSCK REPAIR. Project rule: no cdk-nag/checkov equivalent.",
    check: (table) => {
      const keys = blocks(table.config.partition_keys)
        .map((k) => k.name)
        .filter((n): n is string => typeof n === "string");
      if (keys.length === 0) return undefined;
      const params = (table.config.parameters ?? {}) as Record<string, unknown>;
      if (params["projection.enabled"] !== "true") return "partition keys without projection.enabled = true";
      const missing = keys.filter((k) => typeof params[`projection.${k}.type`] !== "string");
      if (missing.length) return `no projection type for ${missing.join(", ")}`;
      const template = typeof params["storage.location.template"] === "string" ? params["storage.location.template"] : "";
      const absent = keys.filter((k) => !template.includes(`$\${${k}}`));
      if (absent.length) return `storage.location.template lacks $\${${absent.join("}, $${")}} (escaped for Terraform)`;
      return undefined;
    },
  },
  {
    id: "LAMBDA-LOGS-OWN-GROUP",
    appliesTo: "aws_lambda_function",
    description:
      "A function logs to its own log group (logging_config.log_group, created with a retention) and its role may write only " +
      "there: no managed AWSLambdaBasicExecutionRole, no logs actions on other groups (AwsSolutions-IAM4, AwsSolutions-IAM5).",
    check: (fn, ctx) => {
      const group = blocks(fn.config.logging_config)
        .map((l) => ctx.deref(l.log_group))
        .find((g) => g?.type === "aws_cloudwatch_log_group");
      if (!group) return "logging_config.log_group does not name a log group of this stack";
      const { role, statements } = roleStatements(fn.config.role, ctx);
      if (!role) return undefined; // a role from elsewhere: nothing to inspect here
      const managed = ctx
        .referencing("aws_iam_role_policy_attachment", role)
        .filter((a) => String(a.config.policy_arn).includes("AWSLambdaBasicExecutionRole"));
      if (managed.length) return `${role.address} has AWSLambdaBasicExecutionRole, which writes to any log group`;
      for (const st of statements.filter(isAllow)) {
        if (!strings(st.actions).some((a) => a.startsWith("logs:"))) continue;
        const foreign = strings(st.resources).filter((r) => !r.startsWith(refPrefix(group)));
        if (foreign.length) return `${role.address} may use logs actions outside ${group.address}: ${foreign.join(", ")}`;
      }
      return undefined;
    },
  },
  {
    id: "LAMBDA-NO-SECRETS-IN-ENV",
    appliesTo: "aws_lambda_function",
    description:
      "No secret in a function's environment (visible to anyone who can read the function's configuration): pass the name of " +
      "an SSM SecureString parameter instead (checkov CKV_AWS_45).",
    check: (fn) => {
      const vars = blocks(fn.config.environment).flatMap((e) => Object.keys((e.variables ?? {}) as Record<string, unknown>));
      const secret = vars.filter((v) => /(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|_KEY)$/i.test(v));
      return secret.length ? `environment variables that look like secrets: ${secret.join(", ")}` : undefined;
    },
  },
  {
    id: "LOGS-RETENTION",
    appliesTo: "aws_cloudwatch_log_group",
    description: "Log groups have a retention, so logs neither vanish unplanned nor pile up forever (checkov CKV_AWS_66).",
    check: (g) => (typeof g.config.retention_in_days === "number" && g.config.retention_in_days > 0 ? undefined : "no retention_in_days"),
  },
];

/** Cache behaviours of a distribution: the default one and every ordered one. */
function cacheBehaviors(distribution: SynthResource): Record<string, unknown>[] {
  return [...blocks(distribution.config.default_cache_behavior), ...blocks(distribution.config.ordered_cache_behavior)];
}

const behaviorName = (b: Record<string, unknown>) =>
  typeof b.path_pattern === "string" ? `behaviour ${b.path_pattern}` : "default behaviour";

/** Minimum viewer TLS policies CloudFront offers from TLS 1.2 (2021 ciphers) up. @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html */
export const CLOUDFRONT_MODERN_TLS = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];

/** Services that do not send `aws:SourceAccount` when they assume a role, so their trust policy cannot require it. */
export const TRUST_WITHOUT_SOURCE_ACCOUNT = new Set(["lambda.amazonaws.com"]);

const CONFUSED_DEPUTY_KEYS = ["aws:sourceaccount", "aws:sourcearn"];

/** Trust statements of a role as {services, condition keys}, from an aws_iam_policy_document or literal JSON. */
function trustStatements(policy: unknown, ctx: RuleContext): { services: string[]; conditionKeys: string[] }[] {
  const doc = ctx.deref(policy);
  if (doc?.type === "data.aws_iam_policy_document") {
    return blocks(doc.config.statement)
      .filter(isAllow)
      .map((s) => ({
        services: blocks(s.principals)
          .filter((p) => p.type === "Service")
          .flatMap((p) => strings(p.identifiers)),
        conditionKeys: blocks(s.condition).flatMap((c) => strings(c.variable)),
      }));
  }
  if (typeof policy === "string" && policy.trim().startsWith("{")) {
    try {
      const parsed = JSON.parse(policy) as { Statement?: unknown };
      return blocks(parsed.Statement)
        .filter((s) => (s.Effect ?? "Allow") === "Allow")
        .map((s) => ({
          services: blocks(s.Principal).flatMap((p) => strings(p.Service)),
          conditionKeys: blocks(s.Condition).flatMap((byOperator) =>
            Object.values(byOperator).flatMap((kv) => blocks(kv).flatMap(Object.keys)),
          ),
        }));
    } catch {
      return [];
    }
  }
  return [];
}

export const EDGE_RULES: Rule[] = [
  {
    id: "CF-VIEWER-HTTPS",
    appliesTo: "aws_cloudfront_distribution",
    description: "Every cache behaviour serves viewers over HTTPS only or redirects HTTP to HTTPS (checkov CKV_AWS_34).",
    check: (d) => {
      const bad = cacheBehaviors(d).filter((b) => !["https-only", "redirect-to-https"].includes(String(b.viewer_protocol_policy)));
      return bad.length ? `${bad.map(behaviorName).join(", ")} allows plain HTTP (viewer_protocol_policy)` : undefined;
    },
  },
  {
    id: "CF-TLS-MIN",
    appliesTo: "aws_cloudfront_distribution",
    description:
      "A distribution with its own certificate requires TLS 1.2 (TLSv1.2_2021 policy) or newer from viewers (AwsSolutions-CFR4 / checkov CKV_AWS_174).",
    check: (d) => {
      const cert = blocks(d.config.viewer_certificate)[0];
      if (!cert || (cert.acm_certificate_arn === undefined && cert.iam_certificate_id === undefined)) return undefined;
      const version = String(cert.minimum_protocol_version ?? "(default TLSv1)");
      return CLOUDFRONT_MODERN_TLS.includes(version)
        ? undefined
        : `minimum_protocol_version is ${version}, not ${CLOUDFRONT_MODERN_TLS.join(" or ")}`;
    },
  },
  {
    id: "CF-S3-OAC",
    appliesTo: "aws_cloudfront_distribution",
    description:
      "An S3 origin is reached through an origin access control (signed requests), not an origin access identity or a public website endpoint (AwsSolutions-CFR6, AwsSolutions-CFR7).",
    check: (d) => {
      const problems: string[] = [];
      for (const o of blocks(d.config.origin)) {
        const domain = String(o.domain_name ?? "");
        const id = String(o.origin_id ?? "?");
        if (/\.s3-website[.-]/.test(domain)) {
          problems.push(`origin ${id} is an S3 website endpoint (public bucket, no OAC possible)`);
          continue;
        }
        const isS3 =
          /\$\{aws_s3_bucket\.[^}]+\.bucket_(regional_)?domain_name\}/.test(domain) || /\.s3[.-][a-z0-9.-]*amazonaws\.com$/.test(domain);
        if (!isS3) continue;
        if (!o.origin_access_control_id) problems.push(`S3 origin ${id} has no origin_access_control_id`);
        if (blocks(o.s3_origin_config).some((c) => c.origin_access_identity))
          problems.push(`S3 origin ${id} uses a legacy origin access identity`);
      }
      return problems.length ? problems.join("; ") : undefined;
    },
  },
  {
    id: "CF-SECURITY-HEADERS",
    appliesTo: "aws_cloudfront_distribution",
    description: "Every cache behaviour attaches a response headers policy, which carries the security headers (checkov CKV2_AWS_32).",
    check: (d) => {
      const bad = cacheBehaviors(d).filter((b) => !b.response_headers_policy_id);
      return bad.length ? `${bad.map(behaviorName).join(", ")} has no response_headers_policy_id` : undefined;
    },
  },
  {
    id: "CF-HEADERS-HSTS",
    appliesTo: "aws_cloudfront_response_headers_policy",
    description:
      "A response headers policy sets HSTS, X-Content-Type-Options and a Content-Security-Policy, overriding the origin (checkov CKV_AWS_259).",
    check: (p) => {
      const sec = blocks(p.config.security_headers_config)[0];
      if (!sec) return "no security_headers_config";
      const missing = ["strict_transport_security", "content_type_options", "content_security_policy"].filter(
        (k) => !blocks(sec[k]).some((h) => h.override === true),
      );
      return missing.length ? `security headers missing or not overriding the origin: ${missing.join(", ")}` : undefined;
    },
  },
  {
    id: "CF-REQUEST-LOGGING",
    appliesTo: "aws_cloudfront_distribution",
    description:
      "Every request is logged: each cache behaviour has a real-time log config, or the distribution has standard logging, legacy (logging_config) " +
      "or v2 (a CloudWatch Logs delivery source of its ACCESS_LOGS with a delivery) (AwsSolutions-CFR3 / checkov CKV_AWS_86).",
    check: (d, ctx) => {
      if (blocks(d.config.logging_config).length) return undefined;
      const v2 = ctx
        .referencing("aws_cloudwatch_log_delivery_source", d)
        .some((source) => source.config.log_type === "ACCESS_LOGS" && ctx.referencing("aws_cloudwatch_log_delivery", source).length > 0);
      if (v2) return undefined;
      const bad = cacheBehaviors(d).filter((b) => !b.realtime_log_config_arn);
      return bad.length
        ? `${bad.map(behaviorName).join(", ")} has no realtime_log_config_arn and there is no logging_config or ACCESS_LOGS delivery`
        : undefined;
    },
  },
  {
    id: "KINESIS-KMS",
    appliesTo: "aws_kinesis_stream",
    description:
      "Streams are encrypted server-side with KMS: the AWS-managed aws/kinesis key (the default here, no monthly charge) or a " +
      "customer-managed key (encryption.customerManagedKeys), never unencrypted (AwsSolutions-KDS1 / checkov CKV_AWS_43; " +
      "AwsSolutions-KDS3 and CKV_AWS_185 ask for a customer-managed key, which is the config's choice here).",
    check: (s) => {
      if (s.config.encryption_type !== "KMS") return `encryption_type is ${String(s.config.encryption_type ?? "NONE")}, not KMS`;
      return typeof s.config.kms_key_id === "string" && s.config.kms_key_id !== "" ? undefined : "kms_key_id is not set";
    },
  },
  {
    id: "KMS-ROTATION",
    appliesTo: "aws_kms_key",
    description: "Symmetric KMS keys rotate their key material yearly (AwsSolutions-KMS5 / checkov CKV_AWS_7).",
    check: (k) => {
      const spec = String(k.config.customer_master_key_spec ?? "SYMMETRIC_DEFAULT");
      // Only symmetric encryption keys support automatic rotation.
      if (spec !== "SYMMETRIC_DEFAULT") return undefined;
      return k.config.enable_key_rotation === true ? undefined : "enable_key_rotation is not true";
    },
  },
  {
    id: "IAM-TRUST-SOURCE-ACCOUNT",
    appliesTo: "aws_iam_role",
    description:
      "A role an AWS service assumes trusts it only on behalf of this account: aws:SourceAccount (or aws:SourceArn) in the trust condition, against the cross-service confused deputy (AWS IAM guide, confused-deputy prevention). Lambda execution roles are exempt: Lambda does not send the key.",
    check: (role, ctx) => {
      const bad = trustStatements(role.config.assume_role_policy, ctx)
        .filter((s) => s.services.some((svc) => !TRUST_WITHOUT_SOURCE_ACCOUNT.has(svc)))
        .filter((s) => !s.conditionKeys.some((k) => CONFUSED_DEPUTY_KEYS.includes(k.toLowerCase())));
      return bad.length
        ? `trust policy lets ${bad.flatMap((s) => s.services).join(", ")} assume the role without an aws:SourceAccount condition`
        : undefined;
    },
  },
];

/** The AWS-managed SNS key, whose key policy AWS services such as CloudWatch alarms cannot be added to. */
const SNS_AWS_MANAGED_KEY = "alias/aws/sns";

export const OPS_RULES: Rule[] = [
  {
    id: "ALARM-HAS-ACTION",
    appliesTo: "aws_cloudwatch_metric_alarm",
    description:
      "Every alarm notifies someone: alarm_actions is not empty and actions are not disabled, or it fires unseen " +
      "(AWS Security Hub CloudWatch.15 / CloudWatch.17).",
    check: (alarm) => {
      if (alarm.config.actions_enabled === false) return "actions_enabled is false";
      return strings(alarm.config.alarm_actions).length ? undefined : "no alarm_actions";
    },
  },
  {
    id: "SNS-ENCRYPTED",
    appliesTo: "aws_sns_topic",
    description:
      "Topics are encrypted at rest with a KMS key (AwsSolutions-SNS2 / checkov CKV_AWS_26); a topic CloudWatch alarms or " +
      "EventBridge publish to needs a customer-managed key, as their service principals cannot use alias/aws/sns " +
      "(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).",
    check: (topic, ctx) => {
      const key = topic.config.kms_master_key_id;
      if (!(typeof key === "string" && key !== "")) return "no kms_master_key_id";
      const publishers = ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_event_target"].filter((t) => ctx.referencing(t, topic).length);
      return key === SNS_AWS_MANAGED_KEY && publishers.length
        ? `${publishers.join(" and ")} publish here, and their services cannot use alias/aws/sns: use a customer-managed key`
        : undefined;
    },
  },
  {
    id: "SNS-TLS-ONLY",
    appliesTo: "aws_sns_topic",
    description: "The topic policy denies publishing without TLS (AwsSolutions-SNS3).",
    check: (topic, ctx) =>
      ctx
        .referencing("aws_sns_topic_policy", topic)
        .some((p) =>
          policyStatements(p.config.policy, ctx).some(
            (st) =>
              st.effect === "Deny" &&
              blocks(st.condition).some((c) => c.variable === "aws:SecureTransport" && strings(c.values).includes("false")),
          ),
        )
        ? undefined
        : "no topic policy statement denying aws:SecureTransport = false",
  },
  {
    id: "EVENT-RULE-HAS-TARGET",
    appliesTo: "aws_cloudwatch_event_rule",
    description: "An EventBridge rule has a target in its stack; a rule without one matches events and tells no one. Project rule.",
    check: (rule, ctx) =>
      ctx.referencing("aws_cloudwatch_event_target", rule).length ? undefined : "no aws_cloudwatch_event_target for this rule",
  },
];

/** Rules for the usage API: HTTP API stages and CORS, the Lambda permission API Gateway gets, DynamoDB tables. */
export const API_RULES: Rule[] = [
  {
    id: "APIGW-STAGE-THROTTLING",
    appliesTo: "aws_apigatewayv2_stage",
    description:
      "The stage's default route settings set both throttling_burst_limit and throttling_rate_limit above 0, and so does every " +
      "route override: an unset value is 0, which answers every request 429, and no limit at all lets one client spend the " +
      "account's quota (Well-Architected REL05-BP02; terraform-provider-aws #43307).",
    check: (stage) => {
      const settings = [
        ...blocks(stage.config.default_route_settings).map((s) => ["default_route_settings", s] as const),
        ...blocks(stage.config.route_settings).map((s) => [`route_settings ${String(s.route_key)}`, s] as const),
      ];
      if (!blocks(stage.config.default_route_settings).length) return "no default_route_settings with throttling limits";
      for (const [where, s] of settings) {
        const missing = ["throttling_burst_limit", "throttling_rate_limit"].filter((k) => !(typeof s[k] === "number" && s[k] > 0));
        if (missing.length) return `${where}: ${missing.join(" and ")} not set above 0 (every request would get 429)`;
      }
      return undefined;
    },
  },
  {
    id: "APIGW-ACCESS-LOGS",
    appliesTo: "aws_apigatewayv2_stage",
    description:
      "The stage writes access logs, with a format, to a log group of this stack (which LOGS-RETENTION checks) " +
      "(AwsSolutions-APIG1 / checkov CKV_AWS_76).",
    check: (stage, ctx) => {
      const settings = blocks(stage.config.access_log_settings)[0];
      if (!settings?.format) return "no access_log_settings with a format";
      const group = ctx.deref(settings.destination_arn);
      return group?.type === "aws_cloudwatch_log_group"
        ? undefined
        : "access_log_settings.destination_arn is not a log group of this stack";
    },
  },
  {
    id: "APIGW-CORS-EXPLICIT-ORIGINS",
    appliesTo: "aws_apigatewayv2_api",
    description:
      "An HTTP API that browsers call lists its allowed origins; no `*`, which lets any site's scripts call it " +
      "(OWASP ASVS V14.5.3; cdk-nag and checkov have no HTTP API CORS rule).",
    check: (api) => {
      if (api.config.protocol_type !== "HTTP") return undefined;
      const cors = blocks(api.config.cors_configuration)[0];
      if (!cors) return "no cors_configuration: set the allowed origins explicitly";
      const wild = strings(cors.allow_origins).filter((o) => o.includes("*"));
      return wild.length ? `cors_configuration.allow_origins contains ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "LAMBDA-PERMISSION-SOURCE-ARN",
    appliesTo: "aws_lambda_permission",
    description:
      "A permission for an AWS service (API Gateway, EventBridge, S3, ...) to invoke a function names the calling resource in " +
      "source_arn or the account in source_account, so no other account's resource can (checkov CKV_AWS_364).",
    check: (p) =>
      String(p.config.principal ?? "").endsWith(".amazonaws.com") &&
      typeof p.config.source_arn !== "string" &&
      typeof p.config.source_account !== "string"
        ? `${String(p.config.principal)} may invoke without source_arn or source_account`
        : undefined,
  },
  {
    id: "DDB-PITR",
    appliesTo: "aws_dynamodb_table",
    description: "Point-in-time recovery is on, so a bad write or delete can be rolled back (AwsSolutions-DDB3 / checkov CKV_AWS_28).",
    check: (t) =>
      blocks(t.config.point_in_time_recovery).some((p) => p.enabled === true) ? undefined : "point_in_time_recovery is not enabled",
  },
  {
    id: "DDB-KMS-ENCRYPTION",
    appliesTo: "aws_dynamodb_table",
    description:
      "The table is encrypted with a KMS key (the AWS managed aws/dynamodb key or a customer managed one), so every use of the key " +
      "is in CloudTrail (checkov CKV_AWS_119, which asks for a customer managed key).",
    check: (t) =>
      blocks(t.config.server_side_encryption).some((s) => s.enabled === true) ? undefined : "server_side_encryption is not enabled",
  },
];

const workgroupConfig = (wg: SynthResource) => blocks(wg.config.configuration)[0];

export const ATHENA_RULES: Rule[] = [
  {
    id: "ATHENA-ENFORCE-CONFIG",
    appliesTo: "aws_athena_workgroup",
    description:
      "The workgroup enforces its configuration, so clients cannot turn off result encryption or move results (checkov CKV_AWS_82).",
    check: (wg) =>
      workgroupConfig(wg)?.enforce_workgroup_configuration === false || !workgroupConfig(wg)
        ? "workgroup configuration is not enforced (enforce_workgroup_configuration must be true)"
        : undefined,
  },
  {
    id: "ATHENA-ENCRYPTED-RESULTS",
    appliesTo: "aws_athena_workgroup",
    description: "Query results are encrypted at rest (AwsSolutions-ATH1 / checkov CKV_AWS_159).",
    check: (wg) => {
      const enc = blocks(workgroupConfig(wg)?.result_configuration).flatMap((r) => blocks(r.encryption_configuration));
      return enc.some((e) => ["SSE_S3", "SSE_KMS", "CSE_KMS"].includes(String(e.encryption_option)))
        ? undefined
        : "no result_configuration.encryption_configuration with SSE_S3, SSE_KMS or CSE_KMS";
    },
  },
  {
    id: "ATHENA-SCAN-LIMIT",
    appliesTo: "aws_athena_workgroup",
    description: "A per-query bytes-scanned cutoff caps what one runaway query costs (Athena bills per byte scanned).",
    check: (wg) => {
      const cutoff = workgroupConfig(wg)?.bytes_scanned_cutoff_per_query;
      return typeof cutoff === "number" && cutoff > 0 ? undefined : "no bytes_scanned_cutoff_per_query";
    },
  },
  {
    id: "ATHENA-NAMED-QUERY-WORKGROUP",
    appliesTo: "aws_athena_named_query",
    description: "Named queries belong to a project workgroup, not `primary` (the provider's default), so its limits and encryption apply.",
    check: (q) =>
      typeof q.config.workgroup === "string" && q.config.workgroup !== "primary" ? undefined : "workgroup is unset or primary",
  },
];

/** Encryption modes a Glue security configuration must use for each kind of data. */
const GLUE_ENCRYPTION: [block: string, modeKey: string, allowed: string[]][] = [
  ["cloudwatch_encryption", "cloudwatch_encryption_mode", ["SSE-KMS"]],
  ["job_bookmarks_encryption", "job_bookmarks_encryption_mode", ["CSE-KMS"]],
  ["s3_encryption", "s3_encryption_mode", ["SSE-S3", "SSE-KMS"]],
];

export const GLUE_RULES: Rule[] = [
  {
    id: "GLUE-JOB-SECURITY-CONFIGURATION",
    appliesTo: "aws_glue_job",
    description:
      "Glue jobs run with a security configuration, which encrypts their logs, bookmarks and S3 output (AwsSolutions-GL1, AwsSolutions-GL3 / checkov CKV_AWS_195).",
    check: (job) =>
      typeof job.config.security_configuration === "string" && job.config.security_configuration !== ""
        ? undefined
        : "no security_configuration",
  },
  {
    id: "GLUE-SECURITY-CONFIGURATION-ENCRYPTED",
    appliesTo: "aws_glue_security_configuration",
    description:
      "A Glue security configuration encrypts CloudWatch logs (SSE-KMS), job bookmarks (CSE-KMS) and S3 data (AwsSolutions-GL1, AwsSolutions-GL3 / checkov CKV_AWS_99).",
    check: (sc) => {
      const enc = blocks(sc.config.encryption_configuration)[0] ?? {};
      const bad = GLUE_ENCRYPTION.flatMap(([block, key, allowed]) => {
        const mode = String(blocks(enc[block])[0]?.[key] ?? "DISABLED");
        return allowed.includes(mode) ? [] : [`${block} is ${mode}, not ${allowed.join(" or ")}`];
      });
      return bad.length ? bad.join("; ") : undefined;
    },
  },
  {
    id: "GLUE-JOB-BOUNDED",
    appliesTo: "aws_glue_job",
    description:
      "A Glue job sets its own timeout (Glue's default lets a stuck run bill for 48 hours) and runs at most one instance at a time unless it says otherwise (project rule: cost and overlap guard; no cdk-nag or checkov equivalent).",
    check: (job) => {
      const problems = [];
      if (typeof job.config.timeout !== "number") problems.push("no timeout");
      if (typeof blocks(job.config.execution_property)[0]?.max_concurrent_runs !== "number")
        problems.push("no execution_property.max_concurrent_runs");
      return problems.length ? problems.join("; ") : undefined;
    },
  },
];

/** Bucket-policy statements that admit AppFlow (the GA4 import), with their condition keys (lower case) and object resources. */
function appflowStatements(policy: unknown, ctx: RuleContext): { conditionKeys: string[]; resources: string[] }[] {
  return policyStatements(policy, ctx)
    .filter(isAllow)
    .filter((s) => blocks(s.principals).some((p) => p.type === "Service" && strings(p.identifiers).includes("appflow.amazonaws.com")))
    .map((s) => ({
      conditionKeys: blocks(s.condition).flatMap((c) => strings(c.variable).map((v) => v.toLowerCase())),
      resources: strings(s.resources),
    }));
}

/** `arn:...:bucket/*`, `${aws_s3_bucket.x.arn}/*` or `*`: objects anywhere in the bucket. */
const isWholeBucket = (resource: string) => resource === "*" || (resource.endsWith("/*") && !resource.slice(0, -2).includes("/"));

export const GA_RULES: Rule[] = [
  {
    id: "APPFLOW-BUCKET-SCOPED",
    appliesTo: "aws_s3_bucket_policy",
    description:
      "A bucket policy that lets AppFlow write names the account (aws:SourceAccount, against the confused deputy) and a prefix, " +
      "not the whole bucket (AWS confused-deputy guidance; least privilege as in AwsSolutions-IAM5; no checkov check covers service principals).",
    check: (p, ctx) => {
      const problems = appflowStatements(p.config.policy, ctx).flatMap((s) => [
        ...(s.conditionKeys.includes("aws:sourceaccount") ? [] : ["an AppFlow statement without an aws:SourceAccount condition"]),
        ...s.resources.filter(isWholeBucket).map((r) => `AppFlow may write the whole bucket (${r}), not a prefix`),
      ]);
      return problems.length ? problems.join("; ") : undefined;
    },
  },
];

/** A QuickSight resource's permission blocks: named by principal, never a wildcard, at least one. */
function quicksightPermissionsRule(id: string, type: string, block: "permissions" | "permission"): Rule {
  return {
    id,
    appliesTo: type,
    description:
      "A QuickSight data source, data set or dashboard grants its actions to named QuickSight users or groups, at least one, " +
      "never a wildcard principal (least privilege as in AwsSolutions-IAM5; without a permission nobody can see or manage it; no checkov check covers QuickSight).",
    check: (r) => {
      const perms = blocks(r.config[block]);
      if (perms.length === 0) return `no ${block} block: no QuickSight user or group can see or manage it`;
      const bad = perms.map((p) => String(p.principal ?? "")).filter((pr) => !/^arn:aws[a-z-]*:quicksight:/.test(pr) || pr.includes("*"));
      return bad.length ? `principals that are not a QuickSight user or group ARN: ${bad.join(", ")}` : undefined;
    },
  };
}

export const DASHBOARD_RULES: Rule[] = [
  quicksightPermissionsRule("QUICKSIGHT-DATA-SOURCE-PERMISSIONS", "aws_quicksight_data_source", "permission"),
  quicksightPermissionsRule("QUICKSIGHT-DATA-SET-PERMISSIONS", "aws_quicksight_data_set", "permissions"),
  quicksightPermissionsRule("QUICKSIGHT-DASHBOARD-PERMISSIONS", "aws_quicksight_dashboard", "permissions"),
];

/**
 * Condition keys that bind a service principal to this account or one of its resources (cross-service confused
 * deputy prevention). A `kms:EncryptionContext:` key counts: SNS, Kinesis and CloudWatch Logs put the resource's ARN
 * there, and AWS documents it where a service sends no aws:SourceArn (EventBridge to an encrypted topic).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export const SOURCE_CONDITION_KEYS = ["aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"];
const SOURCE_CONDITION_PREFIXES = ["kms:encryptioncontext:"];

/** Service statements that may go without a source condition, each with why. Nothing else may (the *-POLICY-SOURCE-CONDITION rules). */
export const SOURCE_CONDITION_EXCEPTIONS: readonly { services: string[]; actions: string[]; reason: string }[] = [
  {
    services: ["events.amazonaws.com"],
    actions: ["logs:CreateLogStream"],
    reason:
      "EventBridge's CreateLogStream call to a log-group target carries no aws:SourceArn (AWS's own EventBridge -> Logs " +
      "pattern conditions PutLogEvents only); an empty stream in one group writes no data.",
  },
];

const hasSourceCondition = (s: Record<string, unknown>) =>
  blocks(s.condition).some((c) => {
    const key = String(c.variable).toLowerCase();
    return SOURCE_CONDITION_KEYS.includes(key) || SOURCE_CONDITION_PREFIXES.some((p) => key.startsWith(p));
  });

/** Service principals of Allow statements that have no source condition and no named exception. */
function unboundServices(statements: Record<string, unknown>[]): string[] {
  return statements
    .filter(isAllow)
    .filter((s) => !hasSourceCondition(s))
    .flatMap((s) => {
      const services = blocks(s.principals)
        .filter((p) => p.type === "Service")
        .flatMap((p) => strings(p.identifiers));
      const actions = strings(s.actions);
      const excepted = SOURCE_CONDITION_EXCEPTIONS.some(
        (e) => services.every((svc) => e.services.includes(svc)) && actions.every((a) => e.actions.includes(a)),
      );
      return excepted ? [] : services;
    });
}

function sourceConditionRule(id: string, type: string, attribute: string, what: string): Rule {
  return {
    id,
    appliesTo: type,
    description:
      `Every Allow statement of ${what} that names an AWS service principal carries aws:SourceAccount, aws:SourceArn (or ` +
      "SourceOrgID/SourceOrgPaths) or a kms:EncryptionContext condition naming the resource, so the service acts only for " +
      "this account's resources; exceptions are named in SOURCE_CONDITION_EXCEPTIONS (AWS IAM guide, cross-service confused " +
      "deputy prevention; checkov and cdk-nag check this only for Lambda permissions, CKV_AWS_364).",
    check: (r, ctx) => {
      const services = [...new Set(unboundServices(policyStatements(r.config[attribute], ctx)))];
      return services.length ? `${services.join(", ")} allowed without a source condition (aws:SourceAccount / aws:SourceArn)` : undefined;
    },
  };
}

export const RESOURCE_POLICY_RULES: Rule[] = [
  sourceConditionRule("KMS-POLICY-SOURCE-CONDITION", "aws_kms_key", "policy", "a KMS key policy"),
  sourceConditionRule("KMS-KEY-POLICY-SOURCE-CONDITION", "aws_kms_key_policy", "policy", "a KMS key policy"),
  sourceConditionRule("SNS-POLICY-SOURCE-CONDITION", "aws_sns_topic_policy", "policy", "an SNS topic policy"),
  sourceConditionRule("SNS-TOPIC-POLICY-SOURCE-CONDITION", "aws_sns_topic", "policy", "an SNS topic's inline policy"),
  sourceConditionRule("S3-POLICY-SOURCE-CONDITION", "aws_s3_bucket_policy", "policy", "an S3 bucket policy"),
  sourceConditionRule("SQS-POLICY-SOURCE-CONDITION", "aws_sqs_queue_policy", "policy", "an SQS queue policy"),
  sourceConditionRule("SQS-QUEUE-POLICY-SOURCE-CONDITION", "aws_sqs_queue", "policy", "an SQS queue's inline policy"),
  sourceConditionRule(
    "LOGS-POLICY-SOURCE-CONDITION",
    "aws_cloudwatch_log_resource_policy",
    "policy_document",
    "a CloudWatch Logs resource policy",
  ),
];

/** Id of the reserved-concurrency rule; NodeFunction suppresses it, with the reason, when it reserves nothing. */
export const LAMBDA_RESERVED_CONCURRENCY = "LAMBDA-RESERVED-CONCURRENCY";

export const LAMBDA_RULES: Rule[] = [
  {
    id: LAMBDA_RESERVED_CONCURRENCY,
    appliesTo: "aws_lambda_function",
    description:
      "A function reserves concurrency (at least 1), which caps what a flood of invocations costs and keeps other functions " +
      "from starving it, or carries a written suppression saying why not (checkov CKV_AWS_115).",
    check: (fn) => {
      const reserved = fn.config.reserved_concurrent_executions;
      return typeof reserved === "number" && reserved >= 1 ? undefined : "reserved_concurrent_executions is not set to 1 or more";
    },
  },
];

/** Every rule the pack checks. */
export const RULES: Rule[] = [
  ...S3_RULES,
  ...IAM_RULES,
  ...ROLE_RULES,
  ...RESOURCE_POLICY_RULES,
  ...LAMBDA_RULES,
  ...INGESTION_RULES,
  ...EDGE_RULES,
  ...OPS_RULES,
  ...API_RULES,
  ...ATHENA_RULES,
  ...GLUE_RULES,
  ...GA_RULES,
  ...DASHBOARD_RULES,
];
