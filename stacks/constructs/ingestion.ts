/**
 * Ingestion: Kinesis stream -> Firehose (Lambda transform, dynamic
 * partitioning by the Lambda's keys, JSON -> Parquet with the `events`
 * table's schema) -> the lake's events/ prefix; everything Firehose cannot
 * process or convert lands under errors/, so nothing is lost silently.
 *
 * Least privilege: the Firehose role reads only the source stream, reads and writes
 * objects only under events/ and errors/, invokes only the transform function and reads only the
 * `events` table; the function writes only its own log group and reads only
 * the visitor-key parameter.
 */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogStream } from "@cdktf/provider-aws/lib/cloudwatch-log-stream";
import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { FIREHOSE_LIMITS, LOG_RETENTION_DAYS, TRANSFORM_RESPONSE } from "../../config/limits";
import { IngestionConfig } from "../../config/schema";
import { TRANSFORM_ENV } from "../../handlers/firehose-transform/env";
import { errorTypePrefix, firehoseErrorPrefix, firehoseEventsPrefix, LAKE_PREFIXES } from "../../schemas";
import { checkName } from "../names";
import type { LakeCatalog } from "./catalog";
import { type IGrantable, ServiceRole } from "./iam";
import { NodeFunction } from "./lambda-function";
import { SecureBucket } from "./secure-bucket";
import { environmentBytes, transformEnvironment, VISITOR_KEY_PLACEHOLDER, visitorKeyParameter } from "./transform-function";

/** What Firehose needs of its source: structural, so any Kinesis construct (or a test fake) fits. */
export interface KinesisSource {
  readonly streamArn: string;
  /** Allow the grantee to read the stream (and decrypt it, when the stream uses a KMS key). */
  grantRead(grantee: IGrantable): void;
}

/** Defaults of the tunables: the config schema's defaults, so they are written once. */
const DEFAULTS = IngestionConfig.parse({});

export interface IngestionProps {
  /** Base name of the delivery stream, the function and their roles, e.g. `webstats-dev-events`. */
  readonly name: string;
  /** The Kinesis stream CloudFront's real-time logs go to. */
  readonly source: KinesisSource;
  /** The lake bucket; Firehose writes under its events/ and errors/ prefixes. */
  readonly lake: SecureBucket;
  /** The catalog whose `events` table is the Parquet schema. */
  readonly catalog: LakeCatalog;
  /** Account id (Glue catalog id, ARNs). */
  readonly accountId: string;
  /** Region of the stream and the catalog. */
  readonly region: string;
  /** Bundle directory of handlers/firehose-transform (holds index.js). */
  readonly transformBundleDir: string;
  /**
   * Name of a bucket this construct creates for the function's code. The bundle carries the GeoIP
   * databases (90 MB, ~48 MB zipped): too close to Lambda's 50 MB direct-upload limit, so it goes through S3.
   * @default none: inline upload, for bundles up to 50 MB
   */
  readonly codeBucketName?: string;
  /** The transform config, passed to the function as JSON. @default not set: the handler's defaults */
  readonly transformConfig?: unknown;
  /**
   * SSM parameter holding the visitor-id key. `create: true` makes a SecureString
   * with a placeholder value that Terraform never overwrites. @default none: required
   */
  readonly visitorKeyParameter: { readonly name: string; readonly create: boolean };
  /** Firehose S3 buffering interval, seconds (60-900). @default 300 (config/schema.ts IngestionConfig) */
  readonly bufferIntervalSeconds?: number;
  /** Firehose S3 buffering size, MiB (64-128 with Parquet conversion). @default 128 */
  readonly bufferSizeMiB?: number;
  /** Lambda processor buffer size, MB (0.2 to TRANSFORM_RESPONSE.maxProcessorBufferMB, 0.35; see config/schema.ts). @default 0.35 */
  readonly processorBufferSizeMB?: number;
  /** Lambda processor buffer interval, seconds (0-900). @default 60 */
  readonly processorBufferIntervalSeconds?: number;
  /** Transform function memory, MB. @default 1024 */
  readonly lambdaMemoryMb?: number;
  /** Transform function timeout, seconds (at most 300: Firehose's invocation limit). @default 120 */
  readonly lambdaTimeoutSeconds?: number;
  /** Retention of the function's and Firehose's log groups, days. @default 30 */
  readonly logRetentionDays?: number;
  /** Extra environment variables of the function. @default none */
  readonly extraEnvironment?: Record<string, string>;
}

// Re-exported: tests and callers know it from here.
export { VISITOR_KEY_PLACEHOLDER };

/** The log stream Firehose writes S3 delivery errors to (the name the console uses too). */
export const FIREHOSE_DELIVERY_LOG_STREAM = "DestinationDelivery";

function checkRange(where: string, key: string, value: number, range: { min: number; max: number }, why: string, whole = true): void {
  if (Token.isUnresolved(value)) return;
  if ((whole && !Number.isInteger(value)) || value < range.min || value > range.max) {
    throw new Error(`${where}: ${key} must be ${whole ? "a whole number " : ""}from ${range.min} to ${range.max} (${why}); got ${value}`);
  }
}

/** Firehose's Lambda processor defaults (data-transformation docs), which the provider never stores in state. */
export const PROCESSOR_DEFAULTS: Record<string, string> = { NumberOfRetries: "3", BufferSizeInMBs: "1", BufferIntervalInSeconds: "60" };

function nonDefault(name: string, value: string): Record<string, string> {
  return PROCESSOR_DEFAULTS[name] === value ? {} : { [name]: value };
}

export { environmentBytes };

export class Ingestion extends Construct {
  readonly deliveryStream: KinesisFirehoseDeliveryStream;
  readonly firehoseRole: ServiceRole;
  readonly transform: NodeFunction;
  readonly logGroup: CloudwatchLogGroup;
  /** Name of the SSM parameter the function reads the visitor-id key from. */
  readonly visitorKeyParameterName: string;
  /** The parameter, when this construct created it. */
  readonly visitorKeyParameter?: SsmParameter;
  /** The bucket the function's code is uploaded through, when props.codeBucketName is set. */
  readonly codeBucket?: SecureBucket;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const where = this.node.path;
    const s = {
      bufferIntervalSeconds: props.bufferIntervalSeconds ?? DEFAULTS.bufferIntervalSeconds,
      bufferSizeMiB: props.bufferSizeMiB ?? DEFAULTS.bufferSizeMiB,
      processorBufferSizeMB: props.processorBufferSizeMB ?? DEFAULTS.processorBufferSizeMB,
      processorBufferIntervalSeconds: props.processorBufferIntervalSeconds ?? DEFAULTS.processorBufferIntervalSeconds,
      lambdaMemoryMb: props.lambdaMemoryMb ?? DEFAULTS.lambdaMemoryMb,
      lambdaTimeoutSeconds: props.lambdaTimeoutSeconds ?? DEFAULTS.lambdaTimeoutSeconds,
      logRetentionDays: props.logRetentionDays ?? DEFAULTS.logRetentionDays,
    };
    // Service limits, checked at synth; sources in config/limits.ts.
    const FH = FIREHOSE_LIMITS;
    checkRange(where, "bufferSizeMiB", s.bufferSizeMiB, FH.bufferSizeMiB, "Firehose requires >= 64 MiB with Parquet conversion");
    checkRange(where, "bufferIntervalSeconds", s.bufferIntervalSeconds, FH.bufferIntervalSeconds, "Firehose S3 buffering interval");
    // Firehose allows 0.2-3 MB, but above TRANSFORM_RESPONSE's bound a batch of short lines outgrows Lambda's 6 MB response.
    checkRange(
      where,
      "processorBufferSizeMB",
      s.processorBufferSizeMB,
      { min: FH.processorBufferSizeMB.min, max: TRANSFORM_RESPONSE.maxProcessorBufferMB },
      "Firehose Lambda buffer whose response always fits Lambda's 6 MB",
      false,
    );
    checkRange(
      where,
      "processorBufferIntervalSeconds",
      s.processorBufferIntervalSeconds,
      FH.processorBufferIntervalSeconds,
      "Firehose Lambda buffer interval",
    );
    checkRange(
      where,
      "lambdaTimeoutSeconds",
      s.lambdaTimeoutSeconds,
      FH.lambdaTimeoutSeconds,
      "Firehose waits at most 5 minutes for the Lambda",
    );
    if (!Token.isUnresolved(s.logRetentionDays) && !(LOG_RETENTION_DAYS as readonly number[]).includes(s.logRetentionDays)) {
      throw new Error(`${where}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}; got ${s.logRetentionDays}`);
    }

    // --- visitor-id key and the function's environment (shared with lean mode's log-file Lambda)
    this.visitorKeyParameterName = props.visitorKeyParameter.name;
    const visitorKey = visitorKeyParameter(this, { ...props.visitorKeyParameter, region: props.region, accountId: props.accountId });
    this.visitorKeyParameter = visitorKey.parameter;
    const parameterArn = visitorKey.arn;
    const environment = transformEnvironment(where, {
      visitorKeyParameterName: props.visitorKeyParameter.name,
      serviceName: "firehose-transform",
      metricsNamespace: props.name,
      transformConfig: props.transformConfig,
      // The function stores failed records itself, client IP redacted (handlers/firehose-transform/failed-records.ts).
      extra: { [TRANSFORM_ENV.failedRecordsBucket]: props.lake.name, ...props.extraEnvironment },
    });
    if (props.codeBucketName) {
      this.codeBucket = new SecureBucket(this, "code", {
        bucketName: props.codeBucketName,
        // A deploy replaces the object; the previous code is kept a week to roll back.
        noncurrentVersionExpirationDays: 7,
        forceDestroy: true,
      });
    }
    this.transform = new NodeFunction(this, "transform", {
      codeBucket: this.codeBucket,
      functionName: `${props.name}-transform`,
      description: "Firehose processor: CloudFront real-time log line -> validated, enriched lake row with partition keys",
      bundleDir: props.transformBundleDir,
      memorySizeMb: s.lambdaMemoryMb,
      timeoutSeconds: s.lambdaTimeoutSeconds,
      logRetentionDays: s.logRetentionDays,
      environment,
    });
    // The parameter is encrypted with the AWS managed key aws/ssm, whose key policy already lets
    // principals of this account decrypt through SSM; no kms:Decrypt grant is needed.
    this.transform.addToPolicy({ actions: ["ssm:GetParameter"], resources: [parameterArn] });
    // Only the partitions of its own error type: it writes the failed records Firehose would otherwise keep raw.
    props.lake.grantWrite(this.transform, errorTypePrefix("processing-failed"));

    // --- Firehose's own logs (delivery and conversion errors)
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: checkName("logGroup", `/aws/kinesisfirehose/${props.name}`, this),
      retentionInDays: s.logRetentionDays,
    });
    const logStream = new CloudwatchLogStream(this, "delivery-log", {
      name: FIREHOSE_DELIVERY_LOG_STREAM,
      logGroupName: this.logGroup.name,
    });

    // --- Firehose role: exactly what this stream needs
    this.firehoseRole = new ServiceRole(this, "role", {
      service: "firehose.amazonaws.com",
      name: `${props.name}-firehose`,
      sourceAccount: props.accountId,
      description: `Firehose ${props.name}: reads the log stream, transforms, writes the lake`,
    });
    props.source.grantRead(this.firehoseRole);
    // AWS's documented policy for an S3 destination is s3:AbortMultipartUpload, GetBucketLocation, GetObject, ListBucket,
    // ListBucketMultipartUploads and PutObject: the write grant plus GetObject, objects scoped to the two prefixes.
    // @see https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3 ("Grant Firehose access to an Amazon S3 destination")
    const firehosePrefixes = [LAKE_PREFIXES.events, LAKE_PREFIXES.errors];
    props.lake.grantWrite(this.firehoseRole, ...firehosePrefixes);
    props.lake.grantRead(this.firehoseRole, ...firehosePrefixes);
    this.transform.grantInvoke(this.firehoseRole);
    props.catalog.grantReadEventsTable(this.firehoseRole);
    this.firehoseRole.addToPolicy({ actions: ["logs:PutLogEvents"], resources: [logStream.arn] });

    // The provider keeps processor parameters that equal Firehose's defaults out of state, so writing
    // them causes a perpetual diff: only non-default values are set (provider docs, processors.parameters).
    const processorParameters: Record<string, string> = {
      // Qualified, as the provider docs ask ("specify the resource version as well").
      LambdaArn: `${this.transform.arn}:$LATEST`,
      ...nonDefault("BufferSizeInMBs", String(s.processorBufferSizeMB)),
      ...nonDefault("BufferIntervalInSeconds", String(s.processorBufferIntervalSeconds)),
    };

    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, "stream", {
      name: checkName("firehoseStream", props.name, this),
      destination: "extended_s3",
      // With a Kinesis source, Firehose-side server_side_encryption is not allowed: the stream's own encryption applies.
      kinesisSourceConfiguration: { kinesisStreamArn: props.source.streamArn, roleArn: this.firehoseRole.arn },
      extendedS3Configuration: {
        roleArn: this.firehoseRole.arn,
        bucketArn: props.lake.arn,
        prefix: firehoseEventsPrefix(),
        errorOutputPrefix: firehoseErrorPrefix(),
        bufferingSize: s.bufferSizeMiB,
        bufferingInterval: s.bufferIntervalSeconds,
        // The Parquet serializer compresses; the outer compression must stay UNCOMPRESSED with conversion.
        compressionFormat: "UNCOMPRESSED",
        fileExtension: ".parquet",
        customTimeZone: "UTC",
        cloudwatchLoggingOptions: { enabled: true, logGroupName: this.logGroup.name, logStreamName: logStream.name },
        dynamicPartitioningConfiguration: { enabled: true, retryDuration: 300 },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: "Lambda",
              parameters: Object.entries(processorParameters).map(([parameterName, parameterValue]) => ({ parameterName, parameterValue })),
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
          schemaConfiguration: {
            catalogId: props.accountId,
            region: props.region,
            databaseName: props.catalog.databaseName,
            tableName: props.catalog.eventsTableName,
            roleArn: this.firehoseRole.arn,
            // LATEST: a column added to the table reaches the Parquet files without touching the stream.
            versionId: "LATEST",
          },
        },
      },
      // Firehose checks its role's access when the stream is created; the policy must exist first.
      dependsOn: [this.firehoseRole.inlinePolicy],
    });
  }

  get deliveryStreamArn(): string {
    return this.deliveryStream.arn;
  }

  get deliveryStreamName(): string {
    return this.deliveryStream.name;
  }
}
