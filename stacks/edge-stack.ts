/**
 * The front door: the private site bucket and its content, the CloudFront
 * distribution, and how every request it serves is logged (config key
 * `logDelivery`): a real-time log config writing records to an encrypted Kinesis
 * stream (`stream`, what Firehose reads), or in lean mode standard logging v2
 * writing log files to a private log bucket (`standardLogs`, what the log-file
 * Lambda reads).
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
import { StandardLogs } from "./constructs/standard-logs";
import { accountBucketName, resourceName } from "./names";
import { partitionOf } from "./ops-stack";

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
  /** The Kinesis stream of real-time logs; only with logDelivery "realtime". */
  readonly stream?: KinesisLogStream;
  /** What the stream was sized to, and why (synth prints it: see kinesisNotice); only with logDelivery "realtime". */
  readonly capacity?: KinesisCapacity;
  readonly realtimeLogs?: RealtimeLogs;
  /** Lean mode's log bucket and its standard logging v2 delivery; only with logDelivery "standard". */
  readonly standardLogs?: StandardLogs;
  readonly distribution: SiteDistribution;
  private usEast1?: AwsProvider;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { config: props.config });
    const { config } = props;
    const { website } = config;

    if (config.logDelivery === "realtime") {
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
    }

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
      realtimeLogConfigArn: this.realtimeLogs?.arn,
      priceClass: website.priceClass,
      defaultRootObject: website.defaultRootObject,
      errorResponses: website.errorResponses,
      customDomain: domain
        ? { domainName: domain.domainName, certificateArn: domain.certificateArn ?? this.createCertificate() }
        : undefined,
      usageApi: props.usageApi,
    });

    if (config.logDelivery === "standard") {
      this.standardLogs = new StandardLogs(this, "standard-logs", {
        name: resourceName(config, "site-logs"),
        bucketName: accountBucketName(config, "site-logs", this.accountId),
        distributionArn: this.distribution.distribution.arn,
        usEast1: this.usEast1Provider(),
        accountId: this.accountId,
        partition: partitionOf(config.region),
        retentionDays: config.logFiles.retentionDays,
      });
    }

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
    if (this.stream) new TerraformOutput(this, "realtime-log-stream-arn", { value: this.stream.streamArn });
    if (this.standardLogs) new TerraformOutput(this, "log-bucket", { value: this.standardLogs.bucket.name });
  }

  /** An ACM certificate in us-east-1 (through a provider alias), DNS-validated in the configured hosted zone. */
  private createCertificate(): string {
    const domain = this.config.website.customDomain;
    if (!domain?.hostedZoneId) {
      throw new Error("website.customDomain.certificateArn: a custom domain needs a certificate: set certificateArn or hostedZoneId");
    }
    const usEast1 = this.usEast1Provider();
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

  /** One provider alias for us-east-1, where CloudFront's certificates and its log delivery source must be. */
  private usEast1Provider(): AwsProvider {
    this.usEast1 ??= new AwsProvider(this, "aws-us-east-1", {
      alias: "us-east-1",
      region: CLOUDFRONT_CERTIFICATE_REGION,
      defaultTags: [{ tags: defaultTags(this.config) }],
    });
    return this.usEast1;
  }
}
