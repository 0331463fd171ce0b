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
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { FIREHOSE_LIMITS, LAMBDA_LIMITS, LOG_RETENTION_DAYS, TRANSFORM_RESPONSE } from "../../config/limits";
import { IngestionConfig } from "../../config/schema";
import { TRANSFORM_ENV, VISITOR_KEY_PLACEHOLDER_PREFIX } from "../../handlers/firehose-transform/env";
import { errorTypePrefix, firehoseErrorPrefix, firehoseEventsPrefix, LAKE_PREFIXES } from "../../schemas";
import { checkName } from "../names";
import type { LakeCatalog } from "./catalog";
import { type IGrantable, ServiceRole } from "./iam";
import { NodeFunction } from "./lambda-function";
import { SecureBucket } from "./secure-bucket";

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
  /** Firehose S3 buffering interval, seconds (60-900). @default 60 */
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

/**
 * The value of a visitor-key parameter this construct creates. The real key is set once outside
 * Terraform (docs/pipeline.md); the handler refuses any key starting with the placeholder prefix.
 */
export const VISITOR_KEY_PLACEHOLDER = `${VISITOR_KEY_PLACEHOLDER_PREFIX}: set with aws ssm put-parameter --overwrite`;

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

/** Size of a function's environment as Lambda counts it against its 4 KB limit (keys and values, UTF-8). */
export function environmentBytes(vars: Record<string, string>): number {
  return Object.entries(vars).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

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

    // --- visitor-id key: a SecureString parameter, never a value in code or in the function's environment
    this.visitorKeyParameterName = props.visitorKeyParameter.name;
    const partition = new DataAwsPartition(this, "partition");
    let parameterArn: string;
    if (props.visitorKeyParameter.create) {
      this.visitorKeyParameter = new SsmParameter(this, "visitor-key", {
        name: checkName("ssmParameter", props.visitorKeyParameter.name, this),
        type: "SecureString",
        description:
          "Key of the visitor-id hash. Terraform only creates it; set the real value once with " +
          `aws ssm put-parameter --overwrite --type SecureString --name ${props.visitorKeyParameter.name} --value "$(openssl rand -base64 32)"`,
        value: VISITOR_KEY_PLACEHOLDER,
        // The real key is set outside Terraform; a later apply must not reset it to the placeholder.
        lifecycle: { ignoreChanges: ["value"] },
      });
      parameterArn = this.visitorKeyParameter.arn;
    } else {
      const bare = props.visitorKeyParameter.name.replace(/^\//, "");
      parameterArn = `arn:${partition.partition}:ssm:${props.region}:${props.accountId}:parameter/${bare}`;
    }

    // --- the transform function
    const environment: Record<string, string> = {
      [TRANSFORM_ENV.visitorKeyParam]: props.visitorKeyParameter.name,
      [TRANSFORM_ENV.serviceName]: "firehose-transform",
      [TRANSFORM_ENV.metricsNamespace]: props.name,
      // The function stores failed records itself, client IP redacted (handlers/firehose-transform/failed-records.ts).
      [TRANSFORM_ENV.failedRecordsBucket]: props.lake.name,
      ...(props.transformConfig === undefined ? {} : { [TRANSFORM_ENV.config]: JSON.stringify(props.transformConfig) }),
      ...props.extraEnvironment,
    };
    const envBytes = environmentBytes({ NODE_OPTIONS: "--enable-source-maps", ...environment });
    if (envBytes > LAMBDA_LIMITS.environmentBytes) {
      const configBytes = Buffer.byteLength(environment[TRANSFORM_ENV.config] ?? "");
      throw new Error(
        `${where}: the transform function's environment is ${envBytes} bytes, over Lambda's ${LAMBDA_LIMITS.environmentBytes}-byte limit; ` +
          `the transform config (config key \`transform\`) takes ${configBytes} bytes of it`,
      );
    }
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
