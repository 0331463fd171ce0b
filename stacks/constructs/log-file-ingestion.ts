/**
 * Lean mode's ingestion (config `logDelivery: "standard"`): each CloudFront standard log file that lands in the
 * log bucket invokes the log-file Lambda (S3 event notification, asynchronous), which runs the same transform as
 * the Firehose processor and writes the lake's Parquet partitions under events/ and bad lines under errors/
 * itself. No Kinesis stream, no Firehose.
 *
 * Nothing lost silently: a failed invocation (S3 read or write error, crash, timeout) is retried by Lambda, then
 * its S3 event is parked in an encrypted SQS queue (the on-failure destination) that an alarm watches; the raw file
 * stays in the log bucket until its expiry, so the event can be replayed.
 *
 * Least privilege: the function reads only the log bucket's objects, writes only the lake's events/ and errors/
 * prefixes, reads only the visitor-key parameter, sends only to its failure queue and writes only its own log
 * group; only S3 from this account, for this bucket, may invoke it.
 */
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { LOG_FILE_SERVICE_NAME, LOG_FILE_TRANSFORM_ENV } from "../../handlers/log-file-transform/env";
import { LAKE_PREFIXES } from "../../schemas";
import { checkName } from "../names";
import { NodeFunction } from "./lambda-function";
import { SecureBucket } from "./secure-bucket";
import type { LogFileSource } from "./standard-logs";
import { transformEnvironment, visitorKeyParameter } from "./transform-function";

/** The lake bucket's environment variable of the log-file Lambda, named once in the handler's env.ts. */
export const LAKE_BUCKET_ENV = LOG_FILE_TRANSFORM_ENV.lakeBucket;

/** Log files CloudFront writes are gzip text; nothing else in the bucket invokes the function. */
export const LOG_FILE_SUFFIX = ".gz";

/**
 * Asynchronous invocation limits: at most 2 retries, events at most 6 hours old (Lambda's maximums, also its
 * defaults, written so the failure path is visible). SQS keeps a message at most 14 days.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html (MessageRetentionPeriod 60-1,209,600 s)
 */
export const ASYNC_INVOKE = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600, failedEventRetentionSeconds: 1_209_600 } as const;

export interface LogFileIngestionProps {
  /** Base name of the function and its queue, e.g. `webstats-dev-events`. */
  readonly name: string;
  /** The log bucket CloudFront's standard logging writes to (EdgeStack's standardLogs.bucket). */
  readonly logs: LogFileSource;
  /** The lake bucket; the function writes under its events/ and errors/ prefixes. */
  readonly lake: SecureBucket;
  readonly accountId: string;
  readonly region: string;
  /** Bundle directory of handlers/log-file-transform (holds index.js). */
  readonly bundleDir: string;
  /**
   * Name of a bucket this construct creates for the function's code: the bundle carries the GeoIP databases
   * (~48 MB zipped), too close to Lambda's 50 MB direct-upload limit. @default none: inline upload
   */
  readonly codeBucketName?: string;
  /** The transform config, passed to the function as JSON. @default not set: the handler's defaults */
  readonly transformConfig?: unknown;
  /** The visitor-id key's SSM parameter; `create: true` makes one with a placeholder value. */
  readonly visitorKeyParameter: { readonly name: string; readonly create: boolean };
  /** Function memory, MB (config key ingestion.lambdaMemoryMb). @default 1024 */
  readonly lambdaMemoryMb?: number;
  /** Function timeout, seconds (config key ingestion.lambdaTimeoutSeconds). @default 120 */
  readonly lambdaTimeoutSeconds?: number;
  /** Retention of the function's log group, days. @default 30 */
  readonly logRetentionDays?: number;
}

export class LogFileIngestion extends Construct {
  readonly function: NodeFunction;
  /** Where the S3 events of log files the function gave up on wait for a replay. */
  readonly failedQueue: SqsQueue;
  readonly permission: LambdaPermission;
  readonly notification: S3BucketNotification;
  readonly visitorKeyParameterName: string;
  /** The bucket the function's code is uploaded through, when props.codeBucketName is set. */
  readonly codeBucket?: SecureBucket;

  constructor(scope: Construct, id: string, props: LogFileIngestionProps) {
    super(scope, id);
    const where = this.node.path;

    this.visitorKeyParameterName = props.visitorKeyParameter.name;
    const visitorKey = visitorKeyParameter(this, { ...props.visitorKeyParameter, region: props.region, accountId: props.accountId });
    const environment = transformEnvironment(where, {
      visitorKeyParameterName: props.visitorKeyParameter.name,
      serviceName: LOG_FILE_SERVICE_NAME,
      metricsNamespace: props.name,
      transformConfig: props.transformConfig,
      extra: { [LAKE_BUCKET_ENV]: props.lake.name },
    });

    this.failedQueue = new SqsQueue(this, "failed", {
      name: checkName("sqsQueue", `${props.name}-failed-log-files`, this),
      // SSE-SQS: encrypted at rest with an SQS-owned key, no KMS key to pay for or to grant Lambda.
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: ASYNC_INVOKE.failedEventRetentionSeconds,
    });

    if (props.codeBucketName) {
      this.codeBucket = new SecureBucket(this, "code", {
        bucketName: props.codeBucketName,
        // A deploy replaces the object; the previous code is kept a week to roll back.
        noncurrentVersionExpirationDays: 7,
        forceDestroy: true,
      });
    }
    this.function = new NodeFunction(this, "function", {
      codeBucket: this.codeBucket,
      functionName: `${props.name}-log-files`,
      description: "Lean mode: CloudFront standard log file -> validated, enriched Parquet partitions in the lake (and errors/)",
      bundleDir: props.bundleDir,
      memorySizeMb: props.lambdaMemoryMb ?? 1024,
      timeoutSeconds: props.lambdaTimeoutSeconds ?? 120,
      logRetentionDays: props.logRetentionDays,
      environment,
    });
    // The log bucket holds nothing but log files, so its objects are what the function reads.
    this.function.addToPolicy({ actions: ["s3:GetObject"], resources: [props.logs.arnForObjects("")] });
    props.lake.grantWrite(this.function, LAKE_PREFIXES.events, LAKE_PREFIXES.errors);
    // The parameter is encrypted with the AWS managed key aws/ssm: no kms:Decrypt grant needed (as the Firehose transform).
    this.function.addToPolicy({ actions: ["ssm:GetParameter"], resources: [visitorKey.arn] });
    // Lambda sends to an on-failure destination with the function's execution role.
    // @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    this.function.addToPolicy({ actions: ["sqs:SendMessage"], resources: [this.failedQueue.arn] });

    new LambdaFunctionEventInvokeConfig(this, "async", {
      functionName: this.function.functionName,
      maximumRetryAttempts: ASYNC_INVOKE.maximumRetryAttempts,
      maximumEventAgeInSeconds: ASYNC_INVOKE.maximumEventAgeSeconds,
      destinationConfig: { onFailure: { destination: this.failedQueue.arn } },
      // Lambda checks that the role may send to the destination when the config is saved.
      dependsOn: [this.function.role.inlinePolicy],
    });

    // Confused-deputy protection: S3 of this account, for this bucket only.
    this.permission = new LambdaPermission(this, "invoke-from-logs", {
      statementId: "LogBucketNotification",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "s3.amazonaws.com",
      sourceArn: props.logs.arn,
      sourceAccount: props.accountId,
    });
    this.notification = new S3BucketNotification(this, "notification", {
      bucket: props.logs.name,
      lambdaFunction: [{ lambdaFunctionArn: this.function.arn, events: ["s3:ObjectCreated:*"], filterSuffix: LOG_FILE_SUFFIX }],
      // S3 validates the destination when the notification is saved: the permission must exist first.
      dependsOn: [this.permission],
    });
  }
}
