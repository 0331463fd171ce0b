/**
 * Every alarm of the pipeline, as plain data: what it watches, what it means
 * and what to do. The monitoring construct creates the alarms from it, the
 * docs/ops.md documents it (a test checks they agree), and
 * the cost estimate counts it. No cdktf here.
 */
import { LOG_DELIVERY_ROUTES, type LogDeliveryRoute } from "./log-delivery";
import type { OpsConfig } from "./ops";

export type AlarmStage = "edge" | "ingestion" | "compaction" | "api";

export interface AlarmSpec {
  /** Suffix of the alarm name (`<project>-<environment>-<id>`), also its entry in docs/ops.md. */
  readonly id: string;
  readonly stage: AlarmStage;
  /** The config key under ops.thresholds that sets it; none for event rules. */
  readonly thresholdKey?: keyof OpsConfig["thresholds"];
  /** The log routes (config key `logDelivery`) whose resources the alarm watches; it exists only on them. */
  readonly routes: readonly LogDeliveryRoute[];
  /** CloudWatch metrics the alarm reads (a metric-math alarm reads several; each is billed). */
  readonly metricCount: number;
  /**
   * The alarm names a cause that another alarm already catches by its outcome (named in `means`); it exists only
   * with `ops.diagnosticAlarms` on, so a small site does not pay for the same signal twice.
   */
  readonly diagnostic?: true;
  /** What it means when it fires. */
  readonly means: string;
  /** What to do. */
  readonly action: string;
}

const REALTIME: readonly LogDeliveryRoute[] = ["realtime"];
const STANDARD: readonly LogDeliveryRoute[] = ["standard"];
const BOTH = LOG_DELIVERY_ROUTES;

export const ALARMS: readonly AlarmSpec[] = [
  {
    id: "kinesis-write-throttled",
    stage: "edge",
    routes: REALTIME,
    thresholdKey: "kinesisWriteThrottledRecords",
    metricCount: 1,
    means:
      "CloudFront could not write real-time log records to the Kinesis stream (WriteProvisionedThroughputExceeded). Those log lines are lost.",
    action:
      'For a provisioned stream raise kinesis.peakRequestsPerSecond (the synth line "Kinesis: ..." shows the shards it gives) or kinesis.shardCount (each shard takes 1,000 records/s or 1 MB/s), or switch kinesis.mode to on-demand; for an on-demand stream, a sudden traffic spike above twice the previous peak throttles until it scales.',
  },
  {
    id: "no-incoming-records",
    stage: "edge",
    routes: REALTIME,
    thresholdKey: "noIncomingRecordsMinutes",
    metricCount: 1,
    means:
      "Not one CloudFront log record reached the Kinesis stream for the configured minutes (IncomingRecords). Either the site had no visitors, or the real-time log config, its role or the stream's key broke, and requests are not being recorded.",
    action:
      "Load a page of the site, then check the distribution's real-time log config (attached to the cache behaviours, sampling rate) and that CloudFront's role may still write to the stream and use its KMS key. Set ops.thresholds.noIncomingRecordsMinutes to 0 for an environment without traffic.",
  },
  {
    id: "kinesis-iterator-age",
    stage: "edge",
    routes: REALTIME,
    thresholdKey: "kinesisIteratorAgeSeconds",
    metricCount: 1,
    means:
      "Firehose is reading the stream late (GetRecords.IteratorAgeMilliseconds). Records older than kinesis.retentionHours expire unread.",
    action:
      "Check the transform alarms and the Firehose error logs first (a failing transform stalls reading); if the backlog only grows with traffic, raise the stream's capacity or kinesis.retentionHours to buy time.",
  },
  {
    id: "delivery-freshness",
    stage: "ingestion",
    routes: REALTIME,
    thresholdKey: "deliveryFreshnessSeconds",
    metricCount: 1,
    means:
      "The oldest record not yet written to S3 is older than the threshold (Firehose DeliveryToS3.DataFreshness): dashboards are stale.",
    action:
      "Look at the transform alarms, the transform's Throttles (AWS/Lambda), the Firehose delivery log group (S3 or Glue permission errors, KMS) and PartitionCountExceeded on the dashboard; Firehose keeps retrying for 24 hours, so fix the cause and data arrives late rather than never.",
  },
  {
    id: "processing-failed-records",
    stage: "ingestion",
    routes: BOTH,
    thresholdKey: "processingFailedRecords",
    metricCount: 1,
    means:
      "The transform could not process records (unparseable or invalid lines). Nothing is lost: they are under errors/processing-failed/, stored by the transform itself (or, in lean mode, the log-file Lambda) with the client IP redacted as transform.privacy.failedRecordIp says; only if that write fails does Firehose keep them with their raw bytes (metric FailedRecordsLeftToFirehose).",
    action:
      "Query the errors table in Athena (or read the objects) to see the reason; fix the parser or the transform config, then replay the raw lines if they matter.",
  },
  {
    id: "conversion-failed-records",
    stage: "ingestion",
    routes: REALTIME,
    thresholdKey: "conversionFailedRecords",
    metricCount: 1,
    means:
      "Firehose could not convert records to Parquet with the Glue table's schema (FailedConversion.Records); they are under errors/format-conversion-failed/.",
    action:
      "The transform's output and the Glue `events` table disagree: redeploy both from the same schemas/ version (npm run gen, then synth).",
  },
  {
    id: "transform-errors",
    stage: "ingestion",
    routes: REALTIME,
    thresholdKey: "transformErrors",
    metricCount: 1,
    means:
      "The transform Lambda failed whole invocations (crash, timeout, out of memory). Firehose retries, then writes the batch under errors/.",
    action: "Read the function's log group; raise ingestion.lambdaMemoryMb or ingestion.lambdaTimeoutSeconds if it ran out of either.",
  },
  {
    id: "transform-throttles",
    stage: "ingestion",
    routes: REALTIME,
    thresholdKey: "transformThrottles",
    metricCount: 1,
    diagnostic: true,
    means:
      "Lambda throttled the transform: the account or function concurrency limit is reached, so delivery slows down (delivery-freshness fires when it lasts).",
    action:
      "Check the account's ConcurrentExecutions metric (AWS/Lambda); request a higher Lambda concurrency quota or remove other reserved concurrency.",
  },
  {
    id: "log-file-errors",
    stage: "ingestion",
    routes: STANDARD,
    thresholdKey: "transformErrors",
    metricCount: 1,
    means:
      "The log-file Lambda (lean mode) failed whole invocations: it could not read a log file or write the lake (crash, timeout, out of memory, S3 or KMS permission). Lambda retries each file twice, then parks its S3 event in the failed-log-files queue: nothing is lost.",
    action:
      "Read the function's log group; raise ingestion.lambdaMemoryMb or ingestion.lambdaTimeoutSeconds if it ran out of either. Once fixed, replay the parked events (docs/pipeline.md#lean-mode).",
  },
  {
    id: "log-files-failed",
    stage: "ingestion",
    routes: STANDARD,
    thresholdKey: "failedLogFiles",
    metricCount: 1,
    means:
      "S3 events of CloudFront log files wait in the failed-log-files queue (ApproximateNumberOfMessagesVisible): the log-file Lambda gave up on them after its retries, so their requests are not in the lake yet. The raw files stay in the log bucket until its expiry.",
    action:
      "Read the function's log group for the cause and fix it, then replay each parked event before the log bucket's expiry (logFiles.retentionDays) deletes the file: docs/pipeline.md#lean-mode.",
  },
  {
    id: "no-log-files",
    stage: "edge",
    routes: STANDARD,
    thresholdKey: "noIncomingRecordsMinutes",
    metricCount: 1,
    means:
      "Not one CloudFront log file reached the log-file Lambda for the configured minutes (AWS/Lambda Invocations). Either the site had no visitors, or the log delivery (us-east-1 delivery source, destination, bucket policy) or the bucket notification broke, and requests are not being recorded.",
    action:
      "Load a page of the site and wait an hour (CloudFront delivers standard logs up to several times an hour); then check the delivery in the CloudWatch console (us-east-1, Logs > Deliveries), the log bucket for new objects and its event notification. Set ops.thresholds.noIncomingRecordsMinutes to 0 for an environment without traffic.",
  },
  {
    id: "compaction-failed",
    stage: "compaction",
    routes: BOTH,
    metricCount: 0,
    means:
      "The daily Glue job (compaction, then rollups) ended FAILED, TIMEOUT, ERROR or STOPPED (an EventBridge rule on Glue Job State Change). Data is safe: compaction deletes inputs only after verifying its outputs; rollups never touch events.",
    action:
      "Read the run's log (FAILED and SKIPPED lines name the partition or rollup) and rerun it; it is idempotent. Until then Athena reads more small files and the dashboards miss the affected days' new rollups.",
  },
  {
    id: "api-5xx-rate",
    stage: "api",
    routes: BOTH,
    thresholdKey: "apiServerErrorPercent",
    metricCount: 2,
    means:
      "More than the threshold percentage of usage API requests returned 5xx (API Gateway 5xx / Count): view counters are not being recorded.",
    action:
      "Read the usage Lambda's log group and check the usage-errors alarm and the table's ReadThrottleEvents/WriteThrottleEvents (the dynamodb-throttles alarm with ops.diagnosticAlarms), which usually name the cause.",
  },
  {
    id: "usage-errors",
    stage: "api",
    routes: BOTH,
    thresholdKey: "usageErrors",
    metricCount: 1,
    means: "The usage API's Lambda threw errors (AWS/Lambda Errors).",
    action: "Read the function's log group; a configuration error (table name, permissions) shows on the first request after a deploy.",
  },
  {
    id: "dynamodb-throttles",
    stage: "api",
    routes: BOTH,
    thresholdKey: "dynamodbThrottles",
    metricCount: 2,
    diagnostic: true,
    means:
      "DynamoDB throttled reads or writes on the counters table (ReadThrottleEvents + WriteThrottleEvents); the SDK retried, some requests may have failed (api-5xx-rate and usage-errors fire when they did).",
    action:
      "An on-demand table throttles above twice its previous peak or on one hot page id; look for one hot page id in the usage Lambda's logs and check the table's capacity mode.",
  },
];

/**
 * The alarms of one log route, with or without the diagnostic ones (`ops.diagnosticAlarms`): what the ops stack
 * creates and what the cost estimate counts.
 */
export function alarmsFor(route: LogDeliveryRoute, diagnostic: boolean): readonly AlarmSpec[] {
  return ALARMS.filter((a) => a.routes.includes(route) && (diagnostic || !a.diagnostic));
}
