/**
 * Lean mode's log delivery: CloudFront standard logging (v2) writes the distribution's access logs as gzip W3C
 * files into a private log bucket of its own, through CloudWatch vended logs (a delivery source for the
 * distribution, a delivery destination for the bucket, and the delivery joining them).
 *
 * Why v2 and not legacy standard logging: legacy delivery is free, but its bucket must have ACLs enabled
 * (object ownership not BucketOwnerEnforced) and grant the awslogsdelivery account FULL_CONTROL through an ACL,
 * which our rule pack forbids (S3-ACLS-DISABLED, checkov CKV2_AWS_65) for every bucket. v2 writes through a
 * bucket-policy grant to delivery.logs.amazonaws.com, limited to this account's log deliveries, at USD 0.25 per GB
 * of log lines (CloudWatch vended logs, delivery to S3, first 10 TB; billed in us-east-1, the source's region).
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html ("Your bucket must have access control list (ACL) enabled")
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html ("Even when you publish logs directly to Amazon S3 ... CloudWatch delivery charges apply")
 *
 * The three delivery resources must be created in us-east-1 whatever the stack's region: PutDeliverySource for
 * CloudFront's ACCESS_LOGS is refused elsewhere ("PutDeliverySource action is not supported for this LogType in
 * region eu-west-1"); the bucket may be in any region (cross-region delivery to S3 is supported).
 * @see https://github.com/terraform-aws-modules/terraform-aws-cloudfront/issues/197
 */
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_LOG_FILE_RETENTION_DAYS } from "../../config/log-delivery";
import { checkName } from "../names";
import { SecureBucket } from "./secure-bucket";

/** Where CloudFront's delivery source must live. */
export const STANDARD_LOGS_SOURCE_REGION = "us-east-1";

/**
 * Output format of the log files: W3C (gzip text with `#Version` and `#Fields` headers, the format legacy standard
 * logging writes), which the log-file transform parses by its `#Fields` header. Parquet output costs extra per GB.
 */
export const STANDARD_LOGS_OUTPUT_FORMAT = "w3c";

export interface StandardLogsProps {
  /** Base name of the delivery source and destination, e.g. `webstats-dev-site-logs`. */
  readonly name: string;
  /** Name of the log bucket this construct creates (in the stack's region). */
  readonly bucketName: string;
  /** ARN of the distribution whose access logs are delivered. */
  readonly distributionArn: string;
  /** A provider for us-east-1, where the delivery resources must be created. */
  readonly usEast1: AwsProvider;
  /** This account: the bucket accepts deliveries from this account's log deliveries only. */
  readonly accountId: string;
  /** AWS partition for ARNs. @default "aws" */
  readonly partition?: string;
  /** Days raw log files are kept (they hold client IPs), 1-14. @default 3 */
  readonly retentionDays?: number;
}

/** What the log-file ingestion needs of the log bucket: structural, so a test can pass a fake. */
export interface LogFileSource {
  readonly name: string;
  readonly arn: string;
  /** ARN of the objects under a prefix ("" for every object). */
  arnForObjects(prefix?: string): string;
}

export class StandardLogs extends Construct {
  /** The private log bucket: it holds CloudFront's log files and nothing else. */
  readonly bucket: SecureBucket;
  readonly source: CloudwatchLogDeliverySource;
  readonly destination: CloudwatchLogDeliveryDestination;
  readonly delivery: CloudwatchLogDelivery;

  constructor(scope: Construct, id: string, props: StandardLogsProps) {
    super(scope, id);
    const days = props.retentionDays ?? DEFAULT_LOG_FILE_RETENTION_DAYS;
    if (!Token.isUnresolved(days) && !(Number.isInteger(days) && days >= 1 && days <= 14)) {
      throw new Error(
        `${this.node.path}: retentionDays must be a whole number from 1 to 14 (config key logFiles.retentionDays); got ${days}`,
      );
    }
    const partition = props.partition ?? "aws";

    this.bucket = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      versioned: true,
      // A log file is written once and read once; an old version has nothing to restore.
      noncurrentVersionExpirationDays: 1,
      // The whole bucket, not a prefix: where AWS puts the files inside it (CloudFront's default path adds
      // AWSLogs/<account>/CloudFront/) is AWS's choice, and every object here is a raw log file.
      expiryRules: [{ id: "expire-raw-logs", prefix: "", expireAfterDays: days }],
    });

    // The statements CloudWatch Logs would add to the bucket policy itself when the delivery is created; written
    // here because Terraform owns the policy and would remove them again. Limited to this account's deliveries
    // from the source region. @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html
    const fromOurDeliveries = [
      { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
      { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:${partition}:logs:${STANDARD_LOGS_SOURCE_REGION}:${props.accountId}:*`] },
    ];
    const logDelivery = [{ type: "Service", identifiers: ["delivery.logs.amazonaws.com"] }];
    this.bucket.addToResourcePolicy(
      {
        sid: "AWSLogDeliveryWrite",
        actions: ["s3:PutObject"],
        principals: logDelivery,
        resources: [this.bucket.arnForObjects()],
        condition: [{ test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] }, ...fromOurDeliveries],
      },
      {
        sid: "AWSLogDeliveryAclCheck",
        actions: ["s3:GetBucketAcl", "s3:ListBucket"],
        principals: logDelivery,
        resources: [this.bucket.arn],
        condition: fromOurDeliveries,
      },
    );

    this.source = new CloudwatchLogDeliverySource(this, "source", {
      provider: props.usEast1,
      name: checkName("logDelivery", props.name, this),
      logType: "ACCESS_LOGS",
      resourceArn: props.distributionArn,
    });
    this.destination = new CloudwatchLogDeliveryDestination(this, "destination", {
      provider: props.usEast1,
      name: checkName("logDelivery", props.name, this),
      outputFormat: STANDARD_LOGS_OUTPUT_FORMAT,
      deliveryDestinationConfiguration: [{ destinationResourceArn: this.bucket.arn }],
    });
    this.delivery = new CloudwatchLogDelivery(this, "delivery", {
      provider: props.usEast1,
      deliverySourceName: this.source.name,
      deliveryDestinationArn: this.destination.arn,
      // No field_delimiter or record_fields: the values CloudFront's configuration template allows are listed only by
      // DescribeConfigurationTemplates at deploy time, and a value outside them fails the delivery; the defaults (all
      // standard log fields) are what the log-file transform parses by the file's #Fields header.
      // The bucket policy must allow delivery before the first file is written.
      dependsOn: [this.bucket.bucketPolicy],
    });
  }
}
