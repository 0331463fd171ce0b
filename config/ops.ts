/**
 * The `ops` section of the environment config: where alarms go, their
 * thresholds, and the log retention of services without a retention key of
 * their own. Read by the ops stack (stacks/ops-stack.ts) and the cost
 * estimate (cost/estimate.ts). Every key documents its default.
 */
import * as z from "zod";
import { LOG_RETENTION_DAYS } from "./limits";

const whole = (what: string) => z.number().int(`${what} must be a whole number`);

/** Days CloudWatch Logs accepts; errors list them. */
export const LogRetentionDays = z
  .number()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`);

/**
 * Alarm thresholds. Each alarm fires when its metric reaches the threshold in
 * `evaluationPeriods` consecutive periods of `periodSeconds`.
 */
export const AlarmThresholds = z
  .strictObject({
    /** Records CloudFront could not write to Kinesis (WriteProvisionedThroughputExceeded, sum per period). @default 1 */
    kinesisWriteThrottledRecords: whole("kinesisWriteThrottledRecords").min(1).default(1),
    /**
     * Minutes without a single record arriving in Kinesis (IncomingRecords) before the no-incoming-records alarm
     * fires, or in lean mode without a single log file reaching the log-file Lambda (no-log-files): the one failure
     * the other alarms cannot see, because a broken log delivery emits no metric at all. At most 1440 (one CloudWatch period of a day); 0 turns the alarm off (an environment without
     * traffic). @default 720
     */
    noIncomingRecordsMinutes: whole("noIncomingRecordsMinutes").min(0).max(1440).default(720),
    /** Age in seconds of the oldest record Firehose has not read from Kinesis (GetRecords.IteratorAgeMilliseconds, max). @default 600 */
    kinesisIteratorAgeSeconds: whole("kinesisIteratorAgeSeconds").min(60).default(600),
    /**
     * Age in seconds of the oldest record not yet in S3 (Firehose DeliveryToS3.DataFreshness, max). AWS recommends
     * alarming above the buffering limit (at most 900 s); with dynamic partitioning delivery can take ~1.5x the
     * buffer interval. @default 900
     * @see https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html
     */
    deliveryFreshnessSeconds: whole("deliveryFreshnessSeconds").min(60).default(900),
    /** Records the transform marked ProcessingFailed (sum per period); they are in S3 under errors/processing-failed/. @default 1 */
    processingFailedRecords: whole("processingFailedRecords").min(1).default(1),
    /** Records Firehose could not convert to Parquet (FailedConversion.Records, sum per period). @default 1 */
    conversionFailedRecords: whole("conversionFailedRecords").min(1).default(1),
    /**
     * Transform Lambda errors per period: the Firehose transform (a failed invocation: Firehose retries it, then sends the
     * batch to errors/) or, in lean mode, the log-file Lambda. @default 1
     */
    transformErrors: whole("transformErrors").min(1).default(1),
    /** Transform Lambda throttles per period (the transform-throttles alarm: only with `diagnosticAlarms`). @default 1 */
    transformThrottles: whole("transformThrottles").min(1).default(1),
    /**
     * S3 events of log files waiting in the failed-log-files queue (lean mode, `logDelivery` "standard"): the log-file
     * Lambda gave up on them after its retries. @default 1
     */
    failedLogFiles: whole("failedLogFiles").min(1).default(1),
    /** Percentage of usage API requests answered 5xx in a period, 0-100 (only counted when there were requests). @default 5 */
    apiServerErrorPercent: z.number().gt(0, "apiServerErrorPercent must be above 0").max(100).default(5),
    /** Usage Lambda errors per period. @default 1 */
    usageErrors: whole("usageErrors").min(1).default(1),
    /** DynamoDB read + write throttle events on the counters table per period (only with `diagnosticAlarms`). @default 1 */
    dynamodbThrottles: whole("dynamodbThrottles").min(1).default(1),
  })
  .prefault({});

export const OpsConfig = z
  .strictObject({
    /**
     * Email address subscribed to the alarm topic (AWS sends a confirmation mail first).
     * @default none: alarms still publish to the topic; subscribe to it yourself
     */
    alarmEmail: z.email("an email address such as ops@example.com").optional(),
    /** Seconds per alarm evaluation period: 60 or a multiple of 60, at most one day. @default 300 */
    periodSeconds: whole("periodSeconds")
      .min(60)
      .max(86400)
      .refine((s) => s % 60 === 0, "must be 60 or a multiple of 60 (CloudWatch standard resolution)")
      .default(300),
    /** Consecutive periods a metric must breach before the alarm fires. @default 1 */
    evaluationPeriods: whole("evaluationPeriods").min(1).max(288).default(1),
    /**
     * Days CloudWatch keeps the log groups the ops stack creates (the compaction run history). The other
     * components have their own key: ingestion.logRetentionDays (transform, Firehose),
     * usageApi.logRetentionDays (usage Lambda, API access logs), compaction.logRetentionDays (Glue job).
     * @default 30
     */
    logRetentionDays: LogRetentionDays.default(30),
    /**
     * Create the CloudWatch dashboard of the pipeline's metrics. It costs $3 per month beyond the account's first 3
     * dashboards, which are free (cost/prices.json `cloudwatchDashboard`: USD 3 per dashboard-month, read from
     * infracost's price-list golden), and `npm run cost` counts it only when on. Off by default: a small site
     * should not pay for a view it rarely opens; the alarms (`alarms`, the SNS topic) watch the pipeline either way.
     * @default false
     */
    dashboard: z.boolean().default(false),
    /**
     * Add the alarms that name a cause another alarm already catches by its outcome: transform-throttles (1 metric;
     * a lasting throttle fires delivery-freshness) and dynamodb-throttles (2 metrics; failed requests fire
     * api-5xx-rate and usage-errors). CloudWatch bills $0.10 per alarm metric-month (cost/prices.json
     * `cloudwatchAlarmMetric`), so on they add $0.30 a month; off, their thresholds are errors.
     * @default false
     */
    diagnosticAlarms: z.boolean().default(false),
    thresholds: AlarmThresholds,
  })
  .prefault({});

export type OpsConfig = z.output<typeof OpsConfig>;
