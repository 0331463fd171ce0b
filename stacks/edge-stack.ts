/**
 * The front door: the private site bucket and its content, the CloudFront
 * distribution, and the real-time log config that turns every request it
 * serves into a record in an encrypted Kinesis stream. `stream` is what the
 * ingestion (Firehose) reads.
 */
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { type KinesisCapacity, kinesisCapacity } from "../config/kinesis";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack, defaultTags } from "./base-stack";
import { KinesisLogStream } from "./constructs/kinesis-stream";
import { RealtimeLogs } from "./constructs/realtime-logs";
import { SecureBucket } from "./constructs/secure-bucket";
import { SiteContent } from "./constructs/site-content";
import { type ApiOrigin, SiteDistribution } from "./constructs/site-distribution";
import { accountBucketName, resourceName } from "./names";

export interface EdgeStackProps {
  readonly config: EnvironmentConfig;
  /**
   * The usage API, which the distribution serves same-origin at `<basePath>/*`; config.js names that path.
   * @default none: no API behaviour, config.js says null and the usage counter stays hidden
   */
  readonly usageApi?: ApiOrigin;
  /** Site directory. @default the repository's site/ */
  readonly siteDir?: string;
}

/** CloudFront only uses ACM certificates from this region. */
export const CLOUDFRONT_CERTIFICATE_REGION = "us-east-1";

export class EdgeStack extends AnalyticsStack {
  readonly siteBucket: SecureBucket;
  readonly site: SiteContent;
  readonly stream: KinesisLogStream;
  /** What the stream was sized to, and why (synth prints it: see kinesisNotice). */
  readonly capacity: KinesisCapacity;
  readonly realtimeLogs: RealtimeLogs;
  readonly distribution: SiteDistribution;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { config: props.config });
    const { config } = props;
    const { website } = config;

    // Mode and shards from the config's peak (config/kinesis.ts): the same rule `npm run cost` prices.
    this.capacity = kinesisCapacity(config.kinesis, config.realtimeLogs.samplingRate);
    this.stream = new KinesisLogStream(this, "realtime-log-stream", {
      streamName: resourceName(config, "realtime-logs"),
      region: config.region,
      mode: this.capacity.mode,
      shardCount: this.capacity.shardCount,
      retentionHours: config.kinesis.retentionHours,
      customerManagedKey: config.encryption.customerManagedKeys,
    });
    this.realtimeLogs = new RealtimeLogs(this, "realtime-logs", {
      name: resourceName(config, "site-requests"),
      stream: this.stream,
      accountId: this.accountId,
      samplingRate: config.realtimeLogs.samplingRate,
    });

    this.siteBucket = new SecureBucket(this, "site-bucket", {
      bucketName: website.bucketName ?? accountBucketName(config, "site", this.accountId),
      versioned: true,
      // Every deploy overwrites changed pages; old versions are kept a month to roll back.
      noncurrentVersionExpirationDays: 30,
    });
    this.site = new SiteContent(this, "site-content", {
      bucket: this.siteBucket,
      siteDir: props.siteDir,
      usageApiUrl: props.usageApi?.basePath,
    });
    if (!this.site.has(website.defaultRootObject)) {
      throw new Error(`website.defaultRootObject: "${website.defaultRootObject}" is not a file of the site`);
    }
    for (const [i, r] of website.errorResponses.entries()) {
      if (r.responsePagePath !== undefined && !this.site.has(r.responsePagePath.slice(1))) {
        throw new Error(`website.errorResponses.${i}.responsePagePath: "${r.responsePagePath}" is not a file of the site`);
      }
    }

    const domain = website.customDomain;
    this.distribution = new SiteDistribution(this, "site", {
      name: resourceName(config, "site"),
      bucket: this.siteBucket,
      realtimeLogConfigArn: this.realtimeLogs.arn,
      priceClass: website.priceClass,
      defaultRootObject: website.defaultRootObject,
      errorResponses: website.errorResponses,
      customDomain: domain
        ? { domainName: domain.domainName, certificateArn: domain.certificateArn ?? this.createCertificate() }
        : undefined,
      usageApi: props.usageApi,
    });

    if (domain?.hostedZoneId) {
      for (const type of ["A", "AAAA"]) {
        new Route53Record(this, `site-alias-${type}`, {
          zoneId: domain.hostedZoneId,
          name: domain.domainName,
          type,
          alias: { name: this.distribution.domainName, zoneId: this.distribution.distribution.hostedZoneId, evaluateTargetHealth: false },
        });
      }
    }

    const url = domain ? `https://${domain.domainName}/` : `https://${this.distribution.domainName}/`;
    new TerraformOutput(this, "site-url", { value: url, description: "The sample site" });
    new TerraformOutput(this, "distribution-id", { value: this.distribution.distributionId });
    new TerraformOutput(this, "realtime-log-stream-arn", { value: this.stream.streamArn });
  }

  /** An ACM certificate in us-east-1 (through a provider alias), DNS-validated in the configured hosted zone. */
  private createCertificate(): string {
    const domain = this.config.website.customDomain;
    if (!domain?.hostedZoneId) {
      throw new Error("website.customDomain.certificateArn: a custom domain needs a certificate: set certificateArn or hostedZoneId");
    }
    const usEast1 = new AwsProvider(this, "aws-us-east-1", {
      alias: "us-east-1",
      region: CLOUDFRONT_CERTIFICATE_REGION,
      defaultTags: [{ tags: defaultTags(this.config) }],
    });
    const certificate = new AcmCertificate(this, "site-certificate", {
      provider: usEast1,
      domainName: domain.domainName,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    // One domain name, so one validation record.
    const option = certificate.domainValidationOptions.get(0);
    const record = new Route53Record(this, "site-certificate-validation-record", {
      zoneId: domain.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "site-certificate-validation", {
      provider: usEast1,
      certificateArn: certificate.arn,
      validationRecordFqdns: [record.fqdn],
    });
    return validation.certificateArn;
  }
}
