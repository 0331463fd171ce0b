/**
 * AWS service limits the config and the constructs both check, written once
 * with their source. Plain data (no cdktf), so config/schema.ts can use them.
 */

/** Days CloudWatch Logs accepts as retention. @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Firehose limits for an S3 destination with a Lambda processor, dynamic partitioning and Parquet conversion. */
export const FIREHOSE_LIMITS = {
  /**
   * S3 buffering size in MiB. The API allows 1-128, but with record format conversion it rejects
   * less than 64 ("BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled").
   * @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html
   * @see https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
   */
  bufferSizeMiB: { min: 64, max: 128 },
  /**
   * S3 buffering interval in seconds. The API allows 0-900, but "the zero buffering feature is
   * not available for dynamic partitioning"; this project's floor is 60 s (the Lambda buffer
   * default), as shorter intervals only multiply small files per partition.
   * @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html
   * @see https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
   */
  bufferIntervalSeconds: { min: 60, max: 900 },
  /**
   * Lambda processor buffer: "The buffering size hint ranges between 0.2 MB and 3MB" (default 1);
   * "The Lambda buffering interval hint ranges between 0 and 900 seconds" (default 60).
   * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
   */
  processorBufferSizeMB: { min: 0.2, max: 3 },
  processorBufferIntervalSeconds: { min: 0, max: 900 },
  /**
   * Firehose waits at most 5 minutes for one Lambda invocation, so a longer function timeout is useless.
   * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html ("Lambda invocation duration")
   */
  lambdaTimeoutSeconds: { min: 1, max: 300 },
} as const;

/**
 * Lambda limits. @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * ("Function memory allocation: 128 MB to 10,240 MB"; "Function environment variables: 4 KB, for all
 * environment variables associated with the function, in aggregate"; deployment package sizes).
 */
export const LAMBDA_LIMITS = {
  memoryMb: { min: 128, max: 10240 },
  environmentBytes: 4096,
  /** "Deployment package (.zip file archive) size: 50 MB (zipped, when uploading through the Lambda API or SDKs). Upload larger files with Amazon S3." */
  directUploadZipBytes: 50 * 1024 * 1024,
  /** "250 MB (unzipped)": the function's code and layers together, however it is uploaded. */
  unzippedCodeBytes: 250 * 1024 * 1024,
  /**
   * "For synchronous invocations, the maximum payload size is 6 MB" (request and response; Firehose invokes its
   * processor synchronously). Taken as 6 MiB of serialized response JSON: Lambda's "exceeded maximum allowed
   * payload size (6291556 bytes)" errors put the limit 100 bytes above that.
   * @see https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
   */
  syncPayloadBytes: 6 * 1024 * 1024,
} as const;

/**
 * How big the transform's answer to one Firehose batch gets, relative to the raw log lines in it, and so the
 * largest Lambda processor buffer whose every batch fits Lambda's 6 MB response.
 *
 * A response record is `{"recordId","result","data","metadata"}` with `data` the base64 (4/3) of the enriched
 * JSON row. A row has every column of the lake whatever the line held, so the shorter the line, the larger the
 * ratio: 2.8x for typical lines, ~5.7x with no user agent or referrer, and 15.7x for the shortest line the
 * parser accepts (a 71-byte line, every optional field `-`, one-character request id and method), measured with
 * 66-character record ids by __tests__/handlers/firehose-transform/response-size.test.ts, which finds that line
 * by blanking every field the parser lets it and fails if the ratio ever exceeds `worstRatio`.
 */
export const TRANSFORM_RESPONSE = {
  /** Response bytes per byte of raw log line, for the worst line accepted: 15.7 measured, plus room for longer record ids. */
  worstRatio: 17,
  /**
   * Largest `ingestion.processorBufferSizeMB`: 6 MiB / 17 = 0.353, rounded down to 0.05 and counting Firehose's
   * "MB" as MiB (the larger reading), so no batch, however short its lines, returns records as response-too-large.
   */
  get maxProcessorBufferMB(): number {
    return Math.floor((LAMBDA_LIMITS.syncPayloadBytes / this.worstRatio / 2 ** 20) * 20) / 20;
  },
} as const;

/**
 * Glue catalog limits. @see https://docs.aws.amazon.com/glue/latest/webapi/API_Column.html
 * (Column Name 1-255 characters, Comment 0-255 characters).
 */
export const GLUE_LIMITS = {
  columnNameLength: 255,
  columnCommentLength: 255,
} as const;
