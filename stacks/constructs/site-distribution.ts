/**
 * The CloudFront distribution in front of the private site bucket: Origin
 * Access Control (the bucket policy allows only this distribution), HTTPS
 * only, HTTP/2 and HTTP/3, compression, the managed caching policy, security
 * headers, custom error pages, and the real-time log config on every cache
 * behaviour, so every request served becomes a log record. With a usage API,
 * `<basePath>/*` goes to it uncached (a second origin), so the product page
 * calls its own origin: no CORS, no API URL in config.js, connect-src 'self'.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  CloudfrontDistribution,
  type CloudfrontDistributionOrderedCacheBehavior,
  type CloudfrontDistributionOrigin,
  type CloudfrontDistributionViewerCertificate,
} from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontFunction } from "@cdktf/provider-aws/lib/cloudfront-function";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { checkName } from "../names";
import type { SecureBucket } from "./secure-bucket";

/**
 * AWS managed cache policies (fixed ids, the same in every account).
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
 */
export const MANAGED_CACHE_POLICIES = {
  CachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  CachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
} as const;

/**
 * AWS managed origin request policies (fixed ids). AllViewerExceptHostHeader forwards every viewer
 * header, cookie and query string but Host: API Gateway and Lambda URL origins expect their own
 * domain name in Host and reject the distribution's.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
 */
export const MANAGED_ORIGIN_REQUEST_POLICIES = {
  AllViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
} as const;

/**
 * A cache behaviour allows one of three method sets; POST (a view) is only in the full one.
 * @see https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AllowedMethods.html
 */
export const ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] as const;

/** Origin id of the usage API in the distribution. */
export const USAGE_API_ORIGIN_ID = "usage-api";

/** An HTTP API the distribution forwards `<basePath>/*` to, path unchanged. */
export interface ApiOrigin {
  /** The API's endpoint, `https://<id>.execute-api.<region>.amazonaws.com` (a Terraform reference, usually). */
  readonly endpoint: string;
  /** The path its routes are served under on the endpoint: `/<stage name>`, one segment. */
  readonly basePath: string;
}

/** Longest Content-Security-Policy value a response headers policy takes. @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-response-headers-policies */
export const MAX_CSP_LENGTH = 1783;

export const DIRECTORY_INDEX_FUNCTION = path.join(__dirname, "cloudfront-functions", "directory-index.js");

export interface ErrorResponse {
  /** Origin error to customize. */
  readonly errorCode: number;
  /** Status sent instead. @default the origin's */
  readonly responseCode?: number;
  /** Page served instead. @default none */
  readonly responsePagePath?: string;
  /** Seconds the error is cached. @default 10 */
  readonly cachingMinTtlSeconds?: number;
}

export interface SiteDistributionProps {
  /** Prefix of the names of the OAC, policies and function, e.g. `webstats-dev-site`. */
  readonly name: string;
  /** The private origin bucket; the distribution adds its read statement to the bucket policy. */
  readonly bucket: SecureBucket;
  /**
   * Real-time log config attached to every cache behaviour.
   * @default none: requests are logged another way (lean mode's standard logging v2, which attaches from outside the distribution)
   */
  readonly realtimeLogConfigArn?: string;
  /** Edge locations. @default "PriceClass_100" */
  readonly priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /** Object served for `/`. @default "index.html" */
  readonly defaultRootObject?: string;
  /** Custom error responses. @default none */
  readonly errorResponses?: readonly ErrorResponse[];
  /** A custom domain and its us-east-1 ACM certificate. @default none: the default CloudFront name and certificate */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * The usage API, served same-origin at `<basePath>/*`: uncached, every viewer header but Host forwarded, all methods.
   * @default none: no API behaviour
   */
  readonly usageApi?: ApiOrigin;
  /** Paths served without caching (deploy-time settings), each its own cache behaviour. @default ["/config.js"] */
  readonly uncachedPaths?: readonly string[];
  /** Comment on the distribution. @default the name */
  readonly comment?: string;
}

/** The host name of an https endpoint with no path (a CloudFront custom origin's domain_name); a reference is cut by Terraform. */
export function hostOf(endpoint: string): string {
  if (Token.isUnresolved(endpoint)) return Token.asString(Fn.replace(endpoint, "https://", ""));
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new Error(`usageApi.endpoint is not a URL: ${endpoint}`);
  }
  if (parsed.protocol !== "https:" || parsed.port !== "" || !["", "/"].includes(parsed.pathname) || parsed.search) {
    throw new Error(`usageApi.endpoint must be https://<host> with no port or path: ${endpoint}`);
  }
  return parsed.hostname;
}

/** The site's Content-Security-Policy: only its own resources; the usage API is same-origin too. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "upgrade-insecure-requests",
  ].join("; ");
}

export class SiteDistribution extends Construct {
  readonly distribution: CloudfrontDistribution;
  readonly originAccessControl: CloudfrontOriginAccessControl;
  readonly responseHeadersPolicy: CloudfrontResponseHeadersPolicy;
  readonly directoryIndex: CloudfrontFunction;

  constructor(scope: Construct, id: string, props: SiteDistributionProps) {
    super(scope, id);
    const rootObject = props.defaultRootObject ?? "index.html";
    if (rootObject.startsWith("/"))
      throw new Error(`${this.node.path}: defaultRootObject must not start with '/' (config key website.defaultRootObject)`);
    for (const [i, r] of (props.errorResponses ?? []).entries()) {
      if ((r.responseCode === undefined) !== (r.responsePagePath === undefined)) {
        throw new Error(
          `${this.node.path}: errorResponses[${i}] needs responseCode and responsePagePath together (config key website.errorResponses)`,
        );
      }
    }
    const uncached = props.uncachedPaths ?? ["/config.js"];
    for (const p of uncached) if (!p.startsWith("/")) throw new Error(`${this.node.path}: uncachedPaths entries start with '/': ${p}`);

    const api = props.usageApi;
    if (api && !/^\/[A-Za-z0-9_-]+$/.test(api.basePath)) {
      throw new Error(
        `${this.node.path}: usageApi.basePath must be one path segment such as /api (the API's stage); got "${api.basePath}"`,
      );
    }
    const apiPattern = api && `${api.basePath}/*`;
    const clash = apiPattern && uncached.find((p) => p === api.basePath || p.startsWith(`${api.basePath}/`));
    if (clash) throw new Error(`${this.node.path}: uncachedPaths entry ${clash} is under the usage API's ${apiPattern}`);

    const csp = contentSecurityPolicy();
    if (csp.length > MAX_CSP_LENGTH) {
      throw new Error(
        `${this.node.path}: the Content-Security-Policy is ${csp.length} characters; CloudFront takes at most ${MAX_CSP_LENGTH}`,
      );
    }

    this.originAccessControl = new CloudfrontOriginAccessControl(this, "oac", {
      name: checkName("cloudfrontPolicy", props.name, this),
      description: `CloudFront reads ${props.name} through signed requests`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });

    this.responseHeadersPolicy = new CloudfrontResponseHeadersPolicy(this, "security-headers", {
      name: checkName("cloudfrontPolicy", `${props.name}-security-headers`, this),
      comment: "HSTS, nosniff, no framing, referrer policy, CSP",
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        // The legacy XSS auditor is itself a source of leaks; the CSP does that job.
        xssProtection: { protection: false, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
      },
    });

    this.directoryIndex = new CloudfrontFunction(this, "directory-index", {
      name: checkName("cloudfrontFunction", `${props.name}-directory-index`, this),
      runtime: "cloudfront-js-2.0",
      comment: "Serve <folder>/index.html for a path ending in /",
      code: readFileSync(DIRECTORY_INDEX_FUNCTION, "utf8"),
      publish: true,
    });

    const originId = "site-bucket";
    const common = {
      targetOriginId: originId,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS"],
      cachedMethods: ["GET", "HEAD"],
      compress: true,
      responseHeadersPolicyId: this.responseHeadersPolicy.id,
      realtimeLogConfigArn: props.realtimeLogConfigArn,
    };
    const orderedCacheBehavior: CloudfrontDistributionOrderedCacheBehavior[] = uncached.map((pathPattern) => ({
      ...common,
      pathPattern,
      cachePolicyId: MANAGED_CACHE_POLICIES.CachingDisabled,
    }));
    const origin: CloudfrontDistributionOrigin[] = [
      { originId, domainName: props.bucket.bucket.bucketRegionalDomainName, originAccessControlId: this.originAccessControl.id },
    ];
    if (api && apiPattern) {
      origin.push({
        originId: USAGE_API_ORIGIN_ID,
        domainName: hostOf(api.endpoint),
        // execute-api endpoints speak HTTPS only, TLS 1.2 and up.
        customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
      });
      orderedCacheBehavior.push({
        pathPattern: apiPattern,
        targetOriginId: USAGE_API_ORIGIN_ID,
        // A POST redirected from http would arrive as a GET: refuse plain HTTP instead.
        viewerProtocolPolicy: "https-only",
        allowedMethods: [...ALL_METHODS],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: MANAGED_CACHE_POLICIES.CachingDisabled,
        originRequestPolicyId: MANAGED_ORIGIN_REQUEST_POLICIES.AllViewerExceptHostHeader,
        responseHeadersPolicyId: this.responseHeadersPolicy.id,
        realtimeLogConfigArn: props.realtimeLogConfigArn,
      });
    }

    const viewerCertificate: CloudfrontDistributionViewerCertificate = props.customDomain
      ? { acmCertificateArn: props.customDomain.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
      : { cloudfrontDefaultCertificate: true };

    this.distribution = new CloudfrontDistribution(this, "distribution", {
      enabled: true,
      comment: props.comment ?? props.name,
      aliases: props.customDomain ? [props.customDomain.domainName] : undefined,
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      priceClass: props.priceClass ?? "PriceClass_100",
      defaultRootObject: rootObject,
      origin,
      defaultCacheBehavior: {
        ...common,
        cachePolicyId: MANAGED_CACHE_POLICIES.CachingOptimized,
        functionAssociation: [{ eventType: "viewer-request", functionArn: this.directoryIndex.arn }],
      },
      orderedCacheBehavior,
      customErrorResponse: (props.errorResponses ?? []).map((r) => ({
        errorCode: r.errorCode,
        responseCode: r.responseCode,
        responsePagePath: r.responsePagePath,
        errorCachingMinTtl: r.cachingMinTtlSeconds ?? 10,
      })),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate,
    });

    // Only this distribution may read, and only objects (no listing).
    props.bucket.addToResourcePolicy({
      sid: "AllowCloudFrontDistributionRead",
      effect: "Allow",
      actions: ["s3:GetObject"],
      principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
      resources: [props.bucket.arnForObjects()],
      condition: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [this.distribution.arn] }],
    });
  }

  get domainName(): string {
    return this.distribution.domainName;
  }

  get distributionId(): string {
    return this.distribution.id;
  }
}
