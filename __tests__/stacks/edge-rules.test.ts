import { evaluate } from "../../stacks/rules/engine";
import { EDGE_RULES, RULES } from "../../stacks/rules/rules";

/** Rule ids violated by a hand-written Terraform JSON document. */
function violated(json: Parameters<typeof evaluate>[0]): string[] {
  return evaluate(json, RULES).map((v) => v.ruleId);
}

const goodBehavior = {
  viewer_protocol_policy: "redirect-to-https",
  response_headers_policy_id: "${aws_cloudfront_response_headers_policy.h.id}",
  realtime_log_config_arn: "${aws_cloudfront_realtime_log_config.l.arn}",
};

function distribution(overrides: Record<string, unknown> = {}) {
  return {
    resource: {
      aws_cloudfront_distribution: {
        d: {
          origin: [
            {
              origin_id: "site",
              domain_name: "${aws_s3_bucket.b.bucket_regional_domain_name}",
              origin_access_control_id: "${aws_cloudfront_origin_access_control.o.id}",
            },
          ],
          default_cache_behavior: goodBehavior,
          ordered_cache_behavior: [{ ...goodBehavior, path_pattern: "/config.js" }],
          viewer_certificate: { cloudfront_default_certificate: true },
          ...overrides,
        },
      },
    },
  };
}

describe("edge security rules", () => {
  it("are all in the rule pack", () => {
    for (const r of EDGE_RULES) expect(RULES).toContain(r);
  });

  it("pass a distribution built like the site's", () => {
    expect(violated(distribution())).toEqual([]);
  });

  it("CF-VIEWER-HTTPS: fails a behaviour that allows plain HTTP, naming it", () => {
    const json = distribution({
      ordered_cache_behavior: [{ ...goodBehavior, path_pattern: "/docs/*", viewer_protocol_policy: "allow-all" }],
    });
    expect(evaluate(json, EDGE_RULES)).toEqual([
      {
        ruleId: "CF-VIEWER-HTTPS",
        address: "aws_cloudfront_distribution.d",
        reason: "behaviour /docs/* allows plain HTTP (viewer_protocol_policy)",
      },
    ]);
  });

  it("CF-TLS-MIN: fails a custom certificate with an old TLS policy; passes TLSv1.2_2021 and the default certificate", () => {
    const cert = (v?: string) => ({
      acm_certificate_arn: "arn:aws:acm:us-east-1:1:certificate/x",
      ssl_support_method: "sni-only",
      minimum_protocol_version: v,
    });
    expect(violated(distribution({ viewer_certificate: cert("TLSv1.1_2016") }))).toEqual(["CF-TLS-MIN"]);
    expect(violated(distribution({ viewer_certificate: cert(undefined) }))).toEqual(["CF-TLS-MIN"]);
    expect(violated(distribution({ viewer_certificate: cert("TLSv1.2_2021") }))).toEqual([]);
  });

  it("CF-S3-OAC: fails an S3 origin without OAC, with a legacy OAI, or on the website endpoint; ignores custom origins", () => {
    const origin = (o: Record<string, unknown>) => distribution({ origin: [{ origin_id: "o", ...o }] });
    expect(violated(origin({ domain_name: "${aws_s3_bucket.b.bucket_regional_domain_name}" }))).toEqual(["CF-S3-OAC"]);
    expect(violated(origin({ domain_name: "my-bucket.s3.eu-west-1.amazonaws.com" }))).toEqual(["CF-S3-OAC"]);
    expect(
      violated(
        origin({
          domain_name: "${aws_s3_bucket.b.bucket_regional_domain_name}",
          origin_access_control_id: "x",
          s3_origin_config: { origin_access_identity: "origin-access-identity/cloudfront/E1" },
        }),
      ),
    ).toEqual(["CF-S3-OAC"]);
    expect(violated(origin({ domain_name: "my-bucket.s3-website-eu-west-1.amazonaws.com", custom_origin_config: {} }))).toEqual([
      "CF-S3-OAC",
    ]);
    expect(violated(origin({ domain_name: "api.example.com", custom_origin_config: {} }))).toEqual([]);
  });

  it("CF-SECURITY-HEADERS: fails a behaviour without a response headers policy", () => {
    const { response_headers_policy_id: _omit, ...noHeaders } = goodBehavior;
    expect(violated(distribution({ default_cache_behavior: noHeaders }))).toEqual(["CF-SECURITY-HEADERS"]);
  });

  it("CF-REQUEST-LOGGING: fails a behaviour without real-time logs unless standard logging is on", () => {
    const { realtime_log_config_arn: _omit, ...unlogged } = goodBehavior;
    expect(violated(distribution({ ordered_cache_behavior: [{ ...unlogged, path_pattern: "/x" }] }))).toEqual(["CF-REQUEST-LOGGING"]);
    expect(violated(distribution({ default_cache_behavior: unlogged, logging_config: { bucket: "logs.s3.amazonaws.com" } }))).toEqual([]);
  });

  it("CF-HEADERS-HSTS: fails a headers policy without HSTS, nosniff or CSP, or one that lets the origin override them", () => {
    const all = {
      strict_transport_security: { access_control_max_age_sec: 63072000, override: true },
      content_type_options: { override: true },
      content_security_policy: { content_security_policy: "default-src 'self'", override: true },
    };
    const policy = (sec: unknown) => ({
      resource: { aws_cloudfront_response_headers_policy: { h: { name: "h", security_headers_config: sec } } },
    });
    expect(violated(policy(all))).toEqual([]);
    expect(evaluate(policy({ ...all, strict_transport_security: undefined }), EDGE_RULES)[0]?.reason).toBe(
      "security headers missing or not overriding the origin: strict_transport_security",
    );
    expect(violated(policy({ ...all, content_type_options: { override: false } }))).toEqual(["CF-HEADERS-HSTS"]);
    expect(violated({ resource: { aws_cloudfront_response_headers_policy: { h: { name: "cors-only" } } } })).toEqual(["CF-HEADERS-HSTS"]);
  });

  it("KINESIS-KMS: fails an unencrypted stream, passes the AWS-managed key (issue 15.3) and a customer-managed one", () => {
    const stream = (c: Record<string, unknown>) => ({ resource: { aws_kinesis_stream: { s: { name: "s", ...c } } } });
    expect(violated(stream({}))).toEqual(["KINESIS-KMS"]);
    expect(violated(stream({ encryption_type: "KMS", kms_key_id: "alias/aws/kinesis" }))).toEqual([]);
    expect(violated(stream({ encryption_type: "KMS", kms_key_id: "${aws_kms_key.k.arn}" }))).toEqual([]);
  });

  it("KMS-ROTATION: fails a symmetric key without rotation; asymmetric keys cannot rotate and pass", () => {
    const key = (c: Record<string, unknown>) => ({ resource: { aws_kms_key: { k: c } } });
    expect(violated(key({}))).toEqual(["KMS-ROTATION"]);
    expect(violated(key({ enable_key_rotation: true }))).toEqual([]);
    expect(violated(key({ customer_master_key_spec: "RSA_2048", key_usage: "SIGN_VERIFY" }))).toEqual([]);
  });

  describe("IAM-TRUST-SOURCE-ACCOUNT", () => {
    const roleWithDoc = (principal: string, condition?: unknown[]) => ({
      resource: { aws_iam_role: { r: { assume_role_policy: "${data.aws_iam_policy_document.t.json}" } } },
      data: {
        aws_iam_policy_document: {
          t: { statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [principal] }], condition }] },
        },
      },
    });

    it("fails a service trust without aws:SourceAccount, naming the service", () => {
      expect(evaluate(roleWithDoc("firehose.amazonaws.com"), EDGE_RULES)).toEqual([
        {
          ruleId: "IAM-TRUST-SOURCE-ACCOUNT",
          address: "aws_iam_role.r",
          reason: "trust policy lets firehose.amazonaws.com assume the role without an aws:SourceAccount condition",
        },
      ]);
    });

    it("passes aws:SourceAccount or aws:SourceArn, and Lambda execution roles", () => {
      const cond = (variable: string) => [{ test: "StringEquals", variable, values: ["123456789012"] }];
      expect(violated(roleWithDoc("cloudfront.amazonaws.com", cond("aws:SourceAccount")))).toEqual([]);
      expect(violated(roleWithDoc("glue.amazonaws.com", cond("aws:SourceArn")))).toEqual([]);
      expect(violated(roleWithDoc("lambda.amazonaws.com"))).toEqual([]);
    });

    it("reads trust policies written as JSON too", () => {
      const json = (condition?: unknown) => ({
        resource: {
          aws_iam_role: {
            r: {
              assume_role_policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: ["firehose.amazonaws.com"] }, Condition: condition },
                ],
              }),
            },
          },
        },
      });
      expect(violated(json())).toEqual(["IAM-TRUST-SOURCE-ACCOUNT"]);
      expect(violated(json({ StringEquals: { "aws:SourceAccount": "123456789012" } }))).toEqual([]);
    });
  });
});
