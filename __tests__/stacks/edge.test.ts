import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontRealtimeLogConfig } from "@cdktf/provider-aws/lib/cloudfront-realtime-log-config";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { ConfigError } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { REALTIME_LOG_FIELDS } from "../../schemas/cloudfront";
import { createStacks } from "../../stacks/app";
import { PROJECT_ROOT } from "../../stacks/base-stack";
import { ServiceRole } from "../../stacks/constructs/iam";
import { SecureBucket } from "../../stacks/constructs/secure-bucket";
import {
  ALL_METHODS,
  type ApiOrigin,
  MANAGED_CACHE_POLICIES,
  MANAGED_ORIGIN_REQUEST_POLICIES,
  SiteDistribution,
  USAGE_API_ORIGIN_ID,
} from "../../stacks/constructs/site-distribution";
import { EdgeStack } from "../../stacks/edge-stack";
import { SITE_DIR } from "../../stacks/site-manifest";
import { testConfig } from "../helpers/config";
import { fixtureBundles, resourcesOfType, synthJson, type TfJson, testApp } from "../helpers/synth";

function edge(overrides: Partial<EnvironmentConfigInput> = {}, props: { usageApi?: ApiOrigin } = {}): EdgeStack {
  return new EdgeStack(testApp(), "edge", { config: testConfig(overrides), ...props });
}

/** The single resource of a type: its Terraform address and configuration. */
function only(json: TfJson, type: string): { address: string; config: Record<string, unknown> } {
  const entries = Object.entries(json.resource[type] ?? {});
  expect(entries).toHaveLength(1);
  const [name, config] = entries[0] as [string, Record<string, unknown>];
  return { address: `${type}.${name}`, config };
}

/** Statements of the aws_iam_policy_document a `${data.aws_iam_policy_document.x.json}` reference points at. */
function statementsOf(json: TfJson, ref: unknown): Record<string, unknown>[] {
  const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(ref));
  expect(m).not.toBeNull();
  const doc = json.data.aws_iam_policy_document?.[(m as RegExpExecArray)[1] as string] as { statement: Record<string, unknown>[] };
  return doc.statement;
}

describe("edge stack, default config", () => {
  const stack = edge();
  const synth = Testing.synth(stack);
  const json = JSON.parse(synth) as TfJson;
  const distribution = only(json, "aws_cloudfront_distribution");
  const bucket = only(json, "aws_s3_bucket");

  it("is created by createStacks and passes the rule pack with no suppression", () => {
    const stacks = createStacks(testApp(), testConfig(), fixtureBundles);
    expect(stacks.edge).toBeInstanceOf(EdgeStack);
    expect(() => Testing.synth(stacks.edge)).not.toThrow();
  });

  describe("site bucket", () => {
    it("is private, encrypted, owner-enforced and versioned with expiring noncurrent versions", () => {
      expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
        bucket: `\${${bucket.address}.id}`,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(synth).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
      expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
        rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } })],
      });
      expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
      expect(synth).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
        rule: expect.arrayContaining([expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 30 }] })]),
      });
    });

    it("is named after the project, environment and account", () => {
      expect(bucket.config.bucket).toBe("webstats-test-site-${data.aws_caller_identity.caller-identity.account_id}");
    });

    it("has a policy whose only allowed principal is this distribution, and that denies non-TLS requests", () => {
      const policy = only(json, "aws_s3_bucket_policy");
      const statements = statementsOf(json, policy.config.policy);
      const allows = statements.filter((s) => (s.effect ?? "Allow") === "Allow");
      expect(allows).toEqual([
        {
          sid: "AllowCloudFrontDistributionRead",
          effect: "Allow",
          actions: ["s3:GetObject"],
          principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
          resources: [`\${${bucket.address}.arn}/*`],
          condition: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [`\${${distribution.address}.arn}`] }],
        },
      ]);
      expect(statements).toContainEqual(
        expect.objectContaining({
          effect: "Deny",
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        }),
      );
    });
  });

  describe("distribution", () => {
    it("reads the bucket's REST endpoint through an origin access control that always signs with sigv4", () => {
      expect(synth).toHaveResourceWithProperties(CloudfrontOriginAccessControl, {
        origin_access_control_origin_type: "s3",
        signing_behavior: "always",
        signing_protocol: "sigv4",
      });
      const oac = only(json, "aws_cloudfront_origin_access_control");
      expect(distribution.config.origin).toEqual([
        {
          origin_id: "site-bucket",
          domain_name: `\${${bucket.address}.bucket_regional_domain_name}`,
          origin_access_control_id: `\${${oac.address}.id}`,
        },
      ]);
    });

    it("redirects HTTP to HTTPS, speaks HTTP/2 and HTTP/3, compresses, uses the managed caching policy", () => {
      expect(synth).toHaveResourceWithProperties(CloudfrontDistribution, {
        enabled: true,
        http_version: "http2and3",
        is_ipv6_enabled: true,
        default_root_object: "index.html",
        price_class: "PriceClass_100",
        default_cache_behavior: expect.objectContaining({
          viewer_protocol_policy: "redirect-to-https",
          compress: true,
          cache_policy_id: MANAGED_CACHE_POLICIES.CachingOptimized,
          allowed_methods: ["GET", "HEAD", "OPTIONS"],
        }),
      });
    });

    it("attaches the security headers policy and the real-time log config to every cache behaviour", () => {
      const headers = only(json, "aws_cloudfront_response_headers_policy");
      const logs = only(json, "aws_cloudfront_realtime_log_config");
      const behaviors = [distribution.config.default_cache_behavior, ...(distribution.config.ordered_cache_behavior as unknown[])];
      expect(behaviors.length).toBeGreaterThan(1);
      for (const b of behaviors) {
        expect(b).toMatchObject({
          viewer_protocol_policy: "redirect-to-https",
          response_headers_policy_id: `\${${headers.address}.id}`,
          realtime_log_config_arn: `\${${logs.address}.arn}`,
        });
      }
    });

    it("serves config.js uncached, so a changed setting is live at once", () => {
      expect(distribution.config.ordered_cache_behavior).toEqual([
        expect.objectContaining({ path_pattern: "/config.js", cache_policy_id: MANAGED_CACHE_POLICIES.CachingDisabled }),
      ]);
    });

    it("rewrites folder paths to their index.html with a viewer-request function", () => {
      const fn = only(json, "aws_cloudfront_function");
      expect(fn.config).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true });
      expect(distribution.config.default_cache_behavior).toMatchObject({
        function_association: [{ event_type: "viewer-request", function_arn: `\${${fn.address}.arn}` }],
      });
    });

    it("answers 403 and 404 from the private bucket with the site's 404 page", () => {
      expect(distribution.config.custom_error_response).toEqual([
        { error_code: 403, response_code: 404, response_page_path: "/404.html", error_caching_min_ttl: 60 },
        { error_code: 404, response_code: 404, response_page_path: "/404.html", error_caching_min_ttl: 60 },
      ]);
    });

    it("uses the default CloudFront certificate and no aliases without a custom domain", () => {
      expect(distribution.config.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
      expect(distribution.config.aliases).toBeUndefined();
      expect(synth).not.toHaveResource(AcmCertificate);
    });

    it("sends HSTS, nosniff, DENY framing, a referrer policy and a self-only CSP, all overriding the origin", () => {
      expect(synth).toHaveResourceWithProperties(CloudfrontResponseHeadersPolicy, {
        security_headers_config: expect.objectContaining({
          strict_transport_security: { access_control_max_age_sec: 63072000, include_subdomains: true, preload: false, override: true },
          content_type_options: { override: true },
          frame_options: { frame_option: "DENY", override: true },
          referrer_policy: { referrer_policy: "strict-origin-when-cross-origin", override: true },
          content_security_policy: {
            content_security_policy: expect.stringContaining("connect-src 'self';"),
            override: true,
          },
        }),
      });
    });
  });

  describe("real-time logs", () => {
    const logs = only(json, "aws_cloudfront_realtime_log_config");
    const role = only(json, "aws_iam_role");
    const stream = only(json, "aws_kinesis_stream");

    it("logs exactly the schemas constant's fields, every request by default", () => {
      expect(logs.config.fields).toEqual([...REALTIME_LOG_FIELDS]);
      expect(logs.config.sampling_rate).toBe(100);
    });

    it("writes to the stream through the CloudFront role, created after the role's permissions", () => {
      expect(logs.config.endpoint).toEqual({
        stream_type: "Kinesis",
        kinesis_stream_config: { role_arn: `\${${role.address}.arn}`, stream_arn: `\${${stream.address}.arn}` },
      });
      const rolePolicy = only(json, "aws_iam_role_policy");
      expect(logs.config.depends_on).toEqual([rolePolicy.address]);
    });

    it("has a role only CloudFront from this account may assume (aws:SourceAccount)", () => {
      expect(statementsOf(json, role.config.assume_role_policy)).toEqual([
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.caller-identity.account_id}"] },
          ],
        },
      ]);
    });

    it("lets the role only write to this one stream; aws/kinesis needs no KMS grant", () => {
      const statements = statementsOf(json, only(json, "aws_iam_role_policy").config.policy);
      expect(statements).toEqual([
        {
          actions: ["kinesis:DescribeStreamSummary", "kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"],
          resources: [`\${${stream.address}.arn}`],
        },
      ]);
    });

    it("with a customer-managed key, lets the role use it only through Kinesis", () => {
      const cmk = JSON.parse(Testing.synth(edge({ encryption: { customerManagedKeys: true } }))) as TfJson;
      const key = only(cmk, "aws_kms_key");
      expect(statementsOf(cmk, only(cmk, "aws_iam_role_policy").config.policy)[1]).toEqual({
        actions: ["kms:GenerateDataKey"],
        resources: [`\${${key.address}.arn}`],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["kinesis.eu-west-1.amazonaws.com"] }],
      });
    });
  });

  describe("Kinesis stream", () => {
    it("is provisioned with 1 shard (the default peak), keeps records 24 h and is encrypted with the AWS-managed key", () => {
      expect(synth).toHaveResourceWithProperties(KinesisStream, {
        name: "webstats-test-realtime-logs",
        retention_period: 24,
        stream_mode_details: { stream_mode: "PROVISIONED" },
        shard_count: 1,
        encryption_type: "KMS",
        kms_key_id: "alias/aws/kinesis",
      });
      expect(synth).not.toHaveResource(KmsKey);
    });

    it("exposes the contract Firehose reads: ARN, name, key and a read grant (customer-managed key)", () => {
      const s = edge({ encryption: { customerManagedKeys: true } });
      const stream = s.stream;
      if (!stream) throw new Error("the real-time route has a stream");
      const reader = new ServiceRole(s, "reader", { service: "firehose.amazonaws.com", name: "reader", sourceAccount: s.accountId });
      stream.grantRead(reader);
      new TerraformOutput(s, "contract", { value: [stream.streamArn, stream.streamName, stream.kmsKeyArn] });
      const j = synthJson(s);
      const streamAddress = only(j, "aws_kinesis_stream").address;
      const keyAddress = only(j, "aws_kms_key").address;
      expect((j.output as Record<string, { value: unknown }>).contract?.value).toEqual([
        `\${${streamAddress}.arn}`,
        `\${${streamAddress}.name}`,
        `\${${keyAddress}.arn}`,
      ]);
      const policy = Object.entries(j.resource.aws_iam_role_policy ?? {}).find(([name]) => name.startsWith("reader"))?.[1];
      expect(statementsOf(j, policy?.policy)).toEqual([
        {
          actions: [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
            "kinesis:ListShards",
          ],
          resources: [`\${${streamAddress}.arn}`],
        },
        {
          actions: ["kms:Decrypt"],
          resources: [`\${${keyAddress}.arn}`],
          condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["kinesis.eu-west-1.amazonaws.com"] }],
        },
      ]);
    });
  });

  describe("site content", () => {
    const objects = resourcesOfType(json, "aws_s3_object");
    const byKey = new Map(objects.map((o) => [o.key as string, o]));

    it("deploys every page, document and QR landing page with its content type", () => {
      expect(byKey.get("index.html")).toMatchObject({ content_type: "text/html; charset=utf-8" });
      expect(byKey.get("404.html")).toMatchObject({ content_type: "text/html; charset=utf-8" });
      expect(byKey.get("assets/site.css")).toMatchObject({ content_type: "text/css; charset=utf-8" });
      expect(byKey.get("docs/datasheet.pdf")).toMatchObject({ content_type: "application/pdf" });
      expect(byKey.get("qr/flyer-spring")).toMatchObject({ content_type: "text/html; charset=utf-8" });
      expect(byKey.get("config.js")).toMatchObject({ content_type: "text/javascript; charset=utf-8" });
      expect(byKey.has("catalog.json")).toBe(false);
    });

    it("puts every object in the site bucket", () => {
      for (const o of objects) expect(o.bucket).toBe(`\${${bucket.address}.bucket}`);
    });

    it("sets each file's etag to its content hash, so a changed file redeploys", () => {
      const pdf = byKey.get("docs/datasheet.pdf") as Record<string, unknown>;
      expect(pdf.etag).toBe(
        createHash("md5")
          .update(readFileSync(path.join(SITE_DIR, "docs/datasheet.pdf")))
          .digest("hex"),
      );
      expect(String(pdf.source)).toMatch(/^assets\/site-content_files_[0-9A-F]+\/[0-9A-F]+\/docs\/datasheet\.pdf$/);
      const qr = byKey.get("qr/flyer-spring") as Record<string, unknown>;
      expect(qr.etag).toBe(createHash("md5").update(String(qr.content)).digest("hex"));
    });

    it("leaves the usage counter hidden without a usage API: config.js says null", () => {
      expect(byKey.get("config.js")?.content).toBe('window.ANALYTICS_CONFIG = {"usageApiUrl":null};\n');
    });
  });
});

const API_ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com";

describe("edge stack with the usage API routed through the distribution (same origin)", () => {
  const json = synthJson(edge({}, { usageApi: { endpoint: API_ENDPOINT, basePath: "/api" } }));
  const distribution = only(json, "aws_cloudfront_distribution").config as {
    origin: Record<string, unknown>[];
    ordered_cache_behavior: Record<string, unknown>[];
  };

  it("adds the API's execute-api host as a second origin, reached over HTTPS (TLS 1.2) with no origin path", () => {
    const api = distribution.origin.find((o) => o.origin_id === USAGE_API_ORIGIN_ID);
    expect(distribution.origin).toHaveLength(2);
    expect(api).toEqual({
      origin_id: USAGE_API_ORIGIN_ID,
      domain_name: "abc123.execute-api.eu-west-1.amazonaws.com",
      custom_origin_config: { http_port: 80, https_port: 443, origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"] },
    });
  });

  it("forwards /api/* there uncached, with every viewer header but Host, all methods (POST included), HTTPS only, logged and with the security headers", () => {
    const headers = only(json, "aws_cloudfront_response_headers_policy");
    const logs = only(json, "aws_cloudfront_realtime_log_config");
    const api = distribution.ordered_cache_behavior.filter((b) => b.target_origin_id === USAGE_API_ORIGIN_ID);
    expect(api).toEqual([
      {
        path_pattern: "/api/*",
        target_origin_id: USAGE_API_ORIGIN_ID,
        viewer_protocol_policy: "https-only",
        allowed_methods: [...ALL_METHODS],
        cached_methods: ["GET", "HEAD"],
        cache_policy_id: MANAGED_CACHE_POLICIES.CachingDisabled,
        origin_request_policy_id: MANAGED_ORIGIN_REQUEST_POLICIES.AllViewerExceptHostHeader,
        response_headers_policy_id: `\${${headers.address}.id}`,
        realtime_log_config_arn: `\${${logs.address}.arn}`,
      },
    ]);
    // Ids from AWS's managed policy pages, not copied from the construct.
    expect(MANAGED_CACHE_POLICIES.CachingDisabled).toBe("4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    expect(MANAGED_ORIGIN_REQUEST_POLICIES.AllViewerExceptHostHeader).toBe("b689b0a8-53d0-40ab-baf2-68738e2966ac");
  });

  it("writes the same-origin path into config.js and keeps the CSP's connect-src self-only", () => {
    const config = resourcesOfType(json, "aws_s3_object").find((o) => o.key === "config.js");
    expect(config?.content).toBe('window.ANALYTICS_CONFIG = {"usageApiUrl":"/api"};\n');
    expect(config?.etag).toBe(createHash("md5").update(String(config?.content)).digest("hex"));
    const policy = only(json, "aws_cloudfront_response_headers_policy").config as {
      security_headers_config: { content_security_policy: { content_security_policy: string } };
    };
    expect(policy.security_headers_config.content_security_policy.content_security_policy).toContain("connect-src 'self';");
  });

  it("with createStacks, takes the endpoint from the api stack (Terraform cuts the host) and the api stack takes nothing back", () => {
    const stacks = createStacks(testApp(), testConfig(), fixtureBundles);
    const edgeJson = synthJson(stacks.edge);
    const d = only(edgeJson, "aws_cloudfront_distribution").config as {
      origin: Record<string, unknown>[];
      ordered_cache_behavior: Record<string, unknown>[];
    };
    expect(d.origin.find((o) => o.origin_id === USAGE_API_ORIGIN_ID)?.domain_name).toMatch(
      /^\$\{replace\(aws_apigatewayv2_api\.usage-api_\w+\.api_endpoint, "https:\/\/", ""\)\}$/,
    );
    // The path pattern is the stage's name: API Gateway keeps the segment in the path and selects that stage.
    const stage = resourcesOfType(synthJson(stacks.api), "aws_apigatewayv2_stage")[0];
    expect(d.ordered_cache_behavior.map((b) => b.path_pattern)).toContain(`/${stage?.name}/*`);
  });

  it("makes edge depend on api and never the reverse (app.synth's manifest): no cycle, api deploys first", () => {
    const app = testApp();
    createStacks(app, testConfig(), fixtureBundles);
    app.synth();
    const manifest = JSON.parse(readFileSync(path.join(app.outdir, "manifest.json"), "utf8")) as {
      stacks: Record<string, { dependencies: string[] }>;
    };
    expect(manifest.stacks.edge?.dependencies).toContain("api");
    expect(manifest.stacks.api?.dependencies).toEqual([]);
  });

  it("refuses an uncached path under the API's pattern", () => {
    const app = testApp();
    const stack = new TerraformStack(app, "s");
    const bucket = new SecureBucket(stack, "b", { bucketName: "b-123456789012" });
    expect(
      () =>
        new SiteDistribution(stack, "d", {
          name: "n",
          bucket,
          realtimeLogConfigArn: "arn:aws:cloudfront::123456789012:realtime-log-config/x",
          usageApi: { endpoint: API_ENDPOINT, basePath: "/api" },
          uncachedPaths: ["/config.js", "/api/config"],
        }),
    ).toThrow(/uncachedPaths entry \/api\/config is under the usage API's \/api\/\*/);
  });
});

describe("edge stack, config choices", () => {
  it("takes the sampling rate from the config", () => {
    expect(Testing.synth(edge({ realtimeLogs: { samplingRate: 25 } }))).toHaveResourceWithProperties(CloudfrontRealtimeLogConfig, {
      sampling_rate: 25,
    });
  });

  it("sizes the stream from the peak: twice the sampled peak over 1,000 records/s per shard", () => {
    const synth = Testing.synth(edge({ kinesis: { peakRequestsPerSecond: 1200 } }));
    expect(synth).toHaveResourceWithProperties(KinesisStream, { stream_mode_details: { stream_mode: "PROVISIONED" }, shard_count: 3 });
    const sampled = Testing.synth(edge({ kinesis: { peakRequestsPerSecond: 1200 }, realtimeLogs: { samplingRate: 25 } }));
    expect(sampled).toHaveResourceWithProperties(KinesisStream, { shard_count: 1 });
  });

  it("makes an on-demand stream, without a shard count, only when asked", () => {
    const json = JSON.parse(Testing.synth(edge({ kinesis: { mode: "on-demand" } })));
    const stream = only(json, "aws_kinesis_stream").config;
    expect(stream.stream_mode_details).toEqual({ stream_mode: "ON_DEMAND" });
    expect(stream.shard_count).toBeUndefined();
  });

  it("lets an explicit shardCount win over the peak", () => {
    const synth = Testing.synth(edge({ kinesis: { shardCount: 2, peakRequestsPerSecond: 5000 } }));
    expect(synth).toHaveResourceWithProperties(KinesisStream, { stream_mode_details: { stream_mode: "PROVISIONED" }, shard_count: 2 });
  });

  it("makes a provisioned stream with the configured shards and retention", () => {
    const synth = Testing.synth(edge({ kinesis: { mode: "provisioned", shardCount: 3, retentionHours: 48 } }));
    expect(synth).toHaveResourceWithProperties(KinesisStream, {
      stream_mode_details: { stream_mode: "PROVISIONED" },
      shard_count: 3,
      retention_period: 48,
    });
  });

  it("uses the price class and error responses from the config", () => {
    const synth = Testing.synth(
      edge({
        website: { priceClass: "PriceClass_All", errorResponses: [{ errorCode: 404, responseCode: 404, responsePagePath: "/404.html" }] },
      }),
    );
    expect(synth).toHaveResourceWithProperties(CloudfrontDistribution, {
      price_class: "PriceClass_All",
      custom_error_response: [{ error_code: 404, response_code: 404, response_page_path: "/404.html", error_caching_min_ttl: 10 }],
    });
  });

  it("serves a custom domain with the given certificate and requires TLS 1.2 (2021)", () => {
    const arn = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e5a2b-1c2d-4e5f-8a9b-0123456789ab";
    const synth = Testing.synth(edge({ website: { customDomain: { domainName: "www.example.com", certificateArn: arn } } }));
    expect(synth).toHaveResourceWithProperties(CloudfrontDistribution, {
      aliases: ["www.example.com"],
      viewer_certificate: { acm_certificate_arn: arn, ssl_support_method: "sni-only", minimum_protocol_version: "TLSv1.2_2021" },
    });
    expect(synth).not.toHaveResource(AcmCertificate);
    expect(synth).not.toHaveResource(Route53Record);
  });

  it("creates and DNS-validates a us-east-1 certificate through a provider alias when given a hosted zone", () => {
    const json = synthJson(edge({ website: { customDomain: { domainName: "www.example.com", hostedZoneId: "Z0123456789ABCDEFGHIJ" } } }));
    const providers = (json.provider as { aws: Record<string, unknown>[] }).aws;
    expect(providers).toContainEqual(expect.objectContaining({ alias: "us-east-1", region: "us-east-1" }));
    const synth = JSON.stringify(json);
    expect(synth).toHaveResourceWithProperties(AcmCertificate, {
      provider: "aws.us-east-1",
      domain_name: "www.example.com",
      validation_method: "DNS",
    });
    const validation = only(json, "aws_acm_certificate_validation");
    expect(synth).toHaveResourceWithProperties(AcmCertificateValidation, { provider: "aws.us-east-1" });
    const dist = only(json, "aws_cloudfront_distribution");
    expect(dist.config.viewer_certificate).toMatchObject({
      acm_certificate_arn: `\${${validation.address}.certificate_arn}`,
      minimum_protocol_version: "TLSv1.2_2021",
    });
    for (const type of ["A", "AAAA"]) {
      expect(synth).toHaveResourceWithProperties(Route53Record, {
        zone_id: "Z0123456789ABCDEFGHIJ",
        name: "www.example.com",
        type,
        alias: { name: `\${${dist.address}.domain_name}`, zone_id: `\${${dist.address}.hosted_zone_id}`, evaluate_target_health: false },
      });
    }
  });

  it("refuses a usage API endpoint that is not https://<host>, and a base path that is not one segment", () => {
    const api = (endpoint: string, basePath = "/api") => edge({}, { usageApi: { endpoint, basePath } });
    expect(() => api("http://abc123.execute-api.eu-west-1.amazonaws.com")).toThrow(/usageApi.endpoint must be https:\/\/<host>/);
    expect(() => api("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")).toThrow(/usageApi.endpoint must be https:\/\/<host>/);
    expect(() => api("not a url")).toThrow(/usageApi.endpoint is not a URL/);
    for (const basePath of ["api", "/api/", "/a/b", "/"])
      expect(() => api(API_ENDPOINT, basePath)).toThrow(/usageApi.basePath must be one path segment/);
  });

  it("fails synth naming website.defaultRootObject when that object is not in the site", () => {
    expect(() => edge({ website: { defaultRootObject: "home.html" } })).toThrow(
      /website\.defaultRootObject: "home\.html" is not a file of the site/,
    );
  });

  it("fails synth naming the error response whose page is not in the site", () => {
    expect(() => edge({ website: { errorResponses: [{ errorCode: 404, responseCode: 404, responsePagePath: "/missing.html" }] } })).toThrow(
      /website\.errorResponses\.0\.responsePagePath: "\/missing\.html" is not a file of the site/,
    );
  });
});

describe("edge configuration errors name the key", () => {
  it("stops `tsx main.ts` (synth) with one line per bad key and no stack written", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "edge-config-"));
    writeFileSync(
      path.join(dir, "bad.json"),
      JSON.stringify({
        project: "webstats",
        environment: "bad",
        region: "eu-west-1",
        realtimeLogs: { samplingRate: 101 },
        kinesis: { mode: "on-demand", shardCount: 2 },
        website: { customDomain: { domainName: "www.example.com" } },
      }),
    );
    const out = path.join(dir, "out");
    const run = spawnSync(path.join(PROJECT_ROOT, "node_modules/.bin/tsx"), ["main.ts"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ANALYTICS_ENV: "bad", ANALYTICS_CONFIG_DIR: dir, CDKTF_OUTDIR: out },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^\s+- realtimeLogs\.samplingRate: Too big/m);
    expect(run.stderr).toMatch(/^\s+- kinesis\.shardCount: only allowed with mode "provisioned"/m);
    expect(run.stderr).toMatch(/^\s+- website\.customDomain\.certificateArn: a custom domain needs a certificate/m);
    expect(existsSync(path.join(out, "stacks", "edge", "cdk.tf.json"))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  const problems = (overrides: Partial<EnvironmentConfigInput>): string[] => {
    try {
      testConfig(overrides);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it.each([0, 101, 12.5])("sampling rate %p", (samplingRate) => {
    expect(problems({ realtimeLogs: { samplingRate } })).toEqual([expect.stringMatching(/^realtimeLogs\.samplingRate: /)]);
  });

  it("a shard count with on-demand mode", () => {
    expect(problems({ kinesis: { mode: "on-demand", shardCount: 2 } })).toEqual([
      expect.stringMatching(/^kinesis\.shardCount: only allowed with mode "provisioned"/),
    ]);
  });

  it("provisioned mode without a shard count is no error: the peak sizes it", () => {
    expect(problems({ kinesis: { mode: "provisioned" } })).toEqual([]);
  });

  it("retention outside 24-8760 hours", () => {
    expect(problems({ kinesis: { retentionHours: 12 } })).toEqual([expect.stringMatching(/^kinesis\.retentionHours: /)]);
    expect(problems({ kinesis: { retentionHours: 8761 } })).toEqual([expect.stringMatching(/^kinesis\.retentionHours: /)]);
  });

  it("a custom domain without a certificate", () => {
    expect(problems({ website: { customDomain: { domainName: "www.example.com" } } })).toEqual([
      expect.stringMatching(/^website\.customDomain\.certificateArn: a custom domain needs a certificate/),
    ]);
  });

  it("a certificate outside us-east-1", () => {
    const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f3e5a2b-1c2d-4e5f-8a9b-0123456789ab";
    expect(problems({ website: { customDomain: { domainName: "www.example.com", certificateArn: arn } } })).toEqual([
      expect.stringMatching(/^website\.customDomain\.certificateArn: .*us-east-1/),
    ]);
  });

  it("an error response with a page but no response code", () => {
    expect(problems({ website: { errorResponses: [{ errorCode: 404, responsePagePath: "/404.html" }] } })).toEqual([
      expect.stringMatching(/^website\.errorResponses\.0\.responsePagePath: set responseCode and responsePagePath together/),
    ]);
  });

  it("an unknown price class", () => {
    expect(problems({ website: { priceClass: "PriceClass_Cheap" as "PriceClass_100" } })).toEqual([
      expect.stringMatching(/^website\.priceClass: /),
    ]);
  });
});
