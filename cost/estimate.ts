/**
 * A monthly cost estimate of the deployed pipeline, line by line, from the
 * same environment config the stacks are synthesized from, a traffic figure,
 * stated assumptions, and the unit prices in cost/prices.json. Pure: no I/O,
 * so the arithmetic is tested on fixed inputs.
 */
import * as z from "zod";
import { type AlarmSpec, alarmsFor as alarmsForRoute } from "../config/alarms";
import { GLUE_JOB_LIMITS } from "../config/compaction";
import { DEFAULT_REFRESH, type RefreshConfig } from "../config/dashboards";
import { kinesisCapacity, REALTIME_LOG_RECORD_BYTES, recordsPerShard } from "../config/kinesis";
import { LOG_DELIVERY_ROUTES, type LogDeliveryRoute } from "../config/log-delivery";
import type { EnvironmentConfig } from "../config/schema";
import { CATALOGUE, metricsOn } from "../queries/catalogue";
import { QUERIES } from "../queries/dashboards";
import { EVENT_TYPES } from "../schemas/event";

export const PriceSchema = z.strictObject({
  usd: z.number().nonnegative(),
  /** The price is for this many units. */
  per: z.number().positive(),
  unit: z.string().min(1),
  /** Whether the value was checked against the public source named in `source` (false: kept from memory; `note` says why). */
  verified: z.boolean(),
  /**
   * Date of the source, YYYY-MM or YYYY-MM-DD: the price list's publication date or the date the source states;
   * for a repository file that shows no date, the day it was read (the commit in `source` pins the version).
   */
  asOf: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, "a date such as 2025-06 or 2025-06-30"),
  /** Where the value was read: a URL, or a repository file at a commit. */
  source: z.string().trim().min(1),
  /** What the source says (the quoted figure), or why the price is not verified. */
  note: z.string().trim().min(1),
});
export type Price = z.infer<typeof PriceSchema>;

export const PRICE_KEYS = [
  "cloudfrontRealtimeLogLines",
  "cloudfrontStandardLogsLegacyGb",
  "cloudwatchVendedLogsS3Gb",
  "kinesisOnDemandStreamHour",
  "kinesisOnDemandDataInGb",
  "kinesisOnDemandDataOutGb",
  "kinesisOnDemandExtendedRetentionGbMonth",
  "kinesisShardHour",
  "kinesisPutPayloadUnits",
  "kinesisExtendedRetentionShardHour",
  "kinesisLongTermRetentionGbMonth",
  "firehoseIngestionGb",
  "firehoseFormatConversionGb",
  "firehoseDynamicPartitioningGb",
  "firehoseDynamicPartitioningObjects",
  "lambdaArmGbSecond",
  "lambdaRequests",
  "s3StandardGbMonth",
  "s3PutRequests",
  "s3GetRequests",
  "glueDpuHour",
  "glueFlexDpuHour",
  "athenaTbScanned",
  "dynamodbWriteRequestUnits",
  "dynamodbReadRequestUnits",
  "httpApiRequests",
  "cloudwatchAlarmMetric",
  "cloudwatchDashboard",
  "cloudwatchLogsIngestionGb",
  "kmsKeyMonth",
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

const PriceTable = z.strictObject(Object.fromEntries(PRICE_KEYS.map((k) => [k, PriceSchema])) as Record<PriceKey, typeof PriceSchema>);

export const PriceFileSchema = z.strictObject({
  about: z.string(),
  currency: z.literal("USD"),
  /** Region of `prices`. */
  region: z.string(),
  /** Hours AWS bills per month for hourly prices. */
  hoursPerMonth: z.number().positive(),
  prices: PriceTable,
  /** Per-region replacements of prices, by price key (a misspelt key fails). A region should list every price. */
  regionOverrides: z.record(z.string(), z.partialRecord(z.enum(PRICE_KEYS), PriceSchema)).default({}),
});
export type PriceFile = z.infer<typeof PriceFileSchema>;

/** Traffic and usage: what the config cannot know. Every default is stated in the printed estimate. */
export interface Usage {
  /** Requests CloudFront serves per day (before the real-time log sampling rate). */
  readonly eventsPerDay: number;
  /** Days the lake keeps events; the estimate is the steady state once that many days have accumulated. */
  readonly daysRetained: number;
  /**
   * Times per day the dashboards' queries run. Left out, it follows the config (dashboardLoad): the SPICE refresh
   * schedule, or `dashboardViewsPerDay` with direct query.
   */
  readonly dashboardRefreshesPerDay?: number;
  /** Dashboard views per day with `dashboards.importMode` "DIRECT_QUERY" (each view runs every query once). */
  readonly dashboardViewsPerDay: number;
  /** Queries one refresh runs (one per QuickSight data set). */
  readonly queriesPerRefresh: number;
  /** Closed days a dashboard data set covers (it reads no raw events). Left out: the config's `athena.queryWindowDays`. */
  readonly dashboardWindowDays?: number;
  /** Bytes one query reads from one closed day's rollup (the few columns it needs of that day's rows). */
  readonly rollupBytesPerDay: number;
  /** Usage API requests per day (one per product page view with the counter enabled). */
  readonly apiRequestsPerDay: number;
  /** DynamoDB write request units per API request (counter update plus idempotency record). */
  readonly writeUnitsPerApiRequest: number;
  /** Bytes of one CloudFront real-time log record (about 500 B for the default fields; up to 1 KB with all fields). */
  readonly logRecordBytes: number;
  /** Bytes of one transformed JSON record (the Lambda's output, before Parquet). */
  readonly transformedRecordBytes: number;
  /** Bytes one event takes in Parquet (Snappy) in the lake. */
  readonly parquetBytesPerEvent: number;
  /** Transform Lambda time per record, and per invocation (start-up, batch overhead), in milliseconds. */
  readonly transformMsPerRecord: number;
  readonly transformMsPerInvocation: number;
  /** Standard logs: log files CloudFront delivers per hour while there is traffic (at most one per request). */
  readonly logFilesPerHour: number;
  /** Standard logs: bytes of one log line, uncompressed (what vended-log delivery bills). */
  readonly standardLogLineBytes: number;
  /** Standard logs: bytes one line takes in a gzip'd log file (what S3 stores until the files expire). */
  readonly logFileBytesPerLine: number;
  /** Standard logs: days the raw log files stay in S3. Left out: the config's `logFiles.retentionDays`. */
  readonly logFileRetentionDays?: number;
  /** Standard logs: the log-file Lambda's time per line (gunzip, parse, transform, Parquet) and per file, in ms. */
  readonly logFileMsPerRecord: number;
  readonly logFileMsPerInvocation: number;
  /** Standard logs: share of log files with at least one rejected line (each writes one errors/ object). */
  readonly logFileErrorShare: number;
  /** Usage Lambda milliseconds per request. */
  readonly usageMsPerRequest: number;
  /** Rows the daily Glue job compacts per second, rows it rolls up per second, and its start-up seconds. */
  readonly compactionRowsPerSecond: number;
  readonly rollupRowsPerSecond: number;
  readonly compactionStartupSeconds: number;
  /** Bytes of CloudWatch Logs one Lambda invocation writes. */
  readonly logBytesPerInvocation: number;
  /** Customer-managed KMS keys. Left out, they follow the config (customerManagedKeys). */
  readonly kmsKeys?: number;
}

/** The Usage figures that have a fixed default (the optional ones follow the config). */
export type UsageDefaults = Omit<
  Usage,
  "eventsPerDay" | "dashboardRefreshesPerDay" | "dashboardWindowDays" | "logFileRetentionDays" | "kmsKeys"
>;

/** Usage figures whose default follows the config. */
const FROM_CONFIG_KEYS: readonly (keyof Usage)[] = ["dashboardRefreshesPerDay", "dashboardWindowDays", "logFileRetentionDays", "kmsKeys"];

export const DEFAULT_USAGE: UsageDefaults = {
  daysRetained: 365,
  // Someone opening the dashboards now and then through the day; only used with direct query.
  dashboardViewsPerDay: 10,
  // One query per QuickSight data set: the metrics charted on QuickSight, as the dashboards construct deploys them.
  queriesPerRefresh: metricsOn(CATALOGUE, "quicksight").length,
  // A day's rollup is bounded by its dimensions' distinct values (documents x country x device x hour ...), not by
  // traffic. Measured on the sample site (the local run's rollups, 2026-12-02): 0.5-3 KB per rollup file and day at
  // 19,000 events/day, 0.5-14 KB at 194,000. 128 KiB leaves room for a site with ten times its documents, QR codes
  // and referrers; the query reads only some of the file's columns.
  rollupBytesPerDay: 128 * 1024,
  apiRequestsPerDay: 0,
  writeUnitsPerApiRequest: 2,
  logRecordBytes: REALTIME_LOG_RECORD_BYTES,
  transformedRecordBytes: 1200,
  parquetBytesPerEvent: 120,
  transformMsPerRecord: 0.05,
  transformMsPerInvocation: 50,
  // "CloudFront delivers logs for a distribution up to several times an hour" (standard-logs-reference.html,
  // "Timing of log file delivery"); several files per period at higher traffic. 12 = one every 5 minutes.
  logFilesPerHour: 12,
  // The standard log's 33 W3C fields: the real-time record's fields plus a few more.
  standardLogLineBytes: 550,
  // Log lines compress about 8x with gzip (repeated user agents, paths, host names).
  logFileBytesPerLine: 70,
  // The transform's 0.05 ms plus gunzip and writing Parquet.
  logFileMsPerRecord: 0.1,
  // One S3 GET and up to one PUT per event type, ~50-100 ms each.
  logFileMsPerInvocation: 500,
  logFileErrorShare: 0.1,
  usageMsPerRequest: 20,
  // Measured by `npm run bench -- --only compaction`: 47,000-60,000 rows/s (docs/performance.md).
  compactionRowsPerSecond: 50_000,
  // Every rollup over the day's rows in DuckDB: 1.0-1.2 CPU seconds per 100,000 events (the rollups bench, docs/compaction.md).
  rollupRowsPerSecond: 90_000,
  // Glue start, plus pip installing duckdb (--additional-python-modules) for the rollups.
  compactionStartupSeconds: 60,
  logBytesPerInvocation: 1024,
};

export interface CostLine {
  readonly service: string;
  readonly item: string;
  /** Billed quantity per month, in the price's unit. */
  readonly quantity: number;
  readonly price: Price;
  readonly priceKey: PriceKey;
  readonly monthlyUsd: number;
  /** How the quantity was derived. */
  readonly basis: string;
}

export interface Estimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  /** Things the reader must know (region fallback, zero traffic, ...). */
  readonly notes: readonly string[];
}

/** Days per month AWS uses with 730 hours. */
export const DAYS_PER_MONTH = 730 / 24;
const GB = 1024 ** 3;
const TB = 1024 ** 4;
const MB = 1024 ** 2;

/**
 * The prices for a region: its block under regionOverrides over the base table. A note names what
 * comes from the base region instead: everything when the region has no block, else the keys its
 * block leaves out.
 */
export function pricesFor(file: PriceFile, region: string): { prices: Record<PriceKey, Price>; note?: string } {
  const overrides = file.regionOverrides[region];
  const prices: Record<PriceKey, Price> = { ...file.prices, ...(overrides ?? {}) };
  if (region === file.region) return { prices };
  if (!overrides) {
    return {
      prices,
      note: `prices are ${file.region} list prices; ${region}'s can differ (eu-west-1's log ingestion is 14% higher): add it under regionOverrides in cost/prices.json`,
    };
  }
  const missing = PRICE_KEYS.filter((k) => overrides[k] === undefined);
  if (missing.length === 0) return { prices };
  return { prices, note: `${missing.length} price(s) have no ${region} entry and are ${file.region} prices: ${missing.join(", ")}` };
}

/** How the logs reach the lake (config `logDelivery`): the two modes the estimate prices. */
export type LogDelivery = LogDeliveryRoute;
export const LOG_DELIVERY_MODES: readonly LogDelivery[] = LOG_DELIVERY_ROUTES;

/**
 * The standard-logging route lean mode deploys: "v2" (CloudWatch vended logs to S3, per-GB delivery charge) or
 * "legacy" (free delivery, but the log bucket needs ACLs, which the rule pack forbids). The lean-mode stacks deploy
 * v2 (stacks/constructs/standard-logs.ts); both prices are in cost/prices.json.
 */
export const STANDARD_LOG_ROUTE: "v2" | "legacy" = "v2";

/** Athena bills at least this much per query. @see https://aws.amazon.com/athena/pricing/ ("rounded up to the nearest megabyte, with a 10MB minimum per query") */
export const ATHENA_MIN_BYTES_PER_QUERY = 10 * MB;

/** Glue bills per second with a 1-minute minimum (Glue 2.0 and later). @see https://aws.amazon.com/blogs/aws/aws-glue-version-2-0-featuring-10x-faster-job-start-times-and-1-minute-minimum-billing-duration/ */
export const GLUE_MIN_BILLED_SECONDS = 60;

/** SPICE refreshes per day for each QuickSight refresh interval (config/dashboards.ts RefreshConfig). */
export const REFRESHES_PER_DAY: Readonly<Record<RefreshConfig["interval"], number>> = {
  HOURLY: 24,
  DAILY: 1,
  WEEKLY: 1 / 7,
  MONTHLY: 12 / 365,
};

/**
 * How often the dashboard queries run. Each reads closed days only, from the rollups (queries/render.ts
 * DATA_SET_RENDER, as the dashboards construct renders every data set), so when it runs does not change what it scans.
 */
export interface DashboardLoad {
  readonly refreshesPerDay: number;
  readonly basis: string;
}

/**
 * The dashboards' query load from the config: with SPICE, the refresh schedule QuickSight gets (dashboards.refresh,
 * else DEFAULT_REFRESH, as the dashboards construct deploys it); with direct query, `dashboardViewsPerDay`, spread
 * over the day. `usage.dashboardRefreshesPerDay` overrides the count. Priced even with dashboards off: the same
 * queries are then run by hand or by another tool.
 */
export function dashboardLoad(
  config: EnvironmentConfig,
  usage: Pick<Usage, "dashboardRefreshesPerDay" | "dashboardViewsPerDay">,
): DashboardLoad {
  const d = config.dashboards;
  const off = d.enabled ? "" : " (dashboards off: priced as if the same queries ran)";
  if (d.importMode === "DIRECT_QUERY") {
    const n = usage.dashboardRefreshesPerDay ?? usage.dashboardViewsPerDay;
    return { refreshesPerDay: n, basis: `direct query, ${fmtN(n)} views/day${off}` };
  }
  const r = d.refresh ?? DEFAULT_REFRESH;
  const n = usage.dashboardRefreshesPerDay ?? REFRESHES_PER_DAY[r.interval];
  const when = r.interval === "HOURLY" ? "hourly" : `${r.interval.toLowerCase()} at ${r.timeOfDay} ${r.timezone}`;
  return { refreshesPerDay: n, basis: `SPICE ${when}: ${fmtN(n)} refreshes/day${off}` };
}

/**
 * The customer-managed KMS keys the stacks create for this config. One always: the pipeline stack's operations key,
 * shared by the alarm topic (CloudWatch alarms and EventBridge cannot publish to a topic under the AWS-managed aws/sns
 * key, whose policy cannot grant them) and the Glue job (its CloudWatch log groups accept only a customer-managed
 * key). The Kinesis stream and the counters table use AWS-managed keys unless `encryption.customerManagedKeys` asks
 * for their own (stacks/constructs/operations-key.ts, docs/security-rules.md#encryption-keys).
 */
export function customerManagedKeys(config: EnvironmentConfig): readonly string[] {
  const always = ["operations (alarm topic, Glue job logs)"];
  if (!config.encryption.customerManagedKeys) return always;
  return [...(config.logDelivery === "realtime" ? ["Kinesis stream"] : []), ...always, "counters table"];
}

/** The alarms the ops stack creates for this config's delivery route (config/alarms.ts). */
export function alarmsFor(config: EnvironmentConfig): readonly AlarmSpec[] {
  return alarmsForRoute(config.logDelivery, config.ops.diagnosticAlarms);
}

/**
 * Event-type partitions that n records fall into, expected: T(1 - (1 - 1/T)^n) for T event types, the most any mix
 * of types gives (an even mix); a skewed mix (mostly page views and assets) touches fewer.
 */
export function partitionsOf(records: number): number {
  const t = EVENT_TYPES.length;
  return records <= 0 ? 0 : t * (1 - (1 - 1 / t) ** records);
}

const fmtN = (n: number) => Number(n.toPrecision(3)).toLocaleString("en-US");

export function estimate(config: EnvironmentConfig, usage: Usage, file: PriceFile): Estimate {
  for (const [k, v] of Object.entries(usage)) {
    if (v === undefined && FROM_CONFIG_KEYS.includes(k as keyof Usage)) continue;
    if (!(typeof v === "number" && Number.isFinite(v) && v >= 0)) throw new Error(`usage.${k} must be a number >= 0; got ${String(v)}`);
  }
  const { prices, note } = pricesFor(file, config.region);
  const notes: string[] = note ? [note] : [];
  const lines: CostLine[] = [];
  const line = (service: string, item: string, priceKey: PriceKey, quantity: number, basis: string) => {
    const price = prices[priceKey];
    lines.push({ service, item, quantity, price, priceKey, basis, monthlyUsd: (quantity / price.per) * price.usd });
  };
  const hours = file.hoursPerMonth;
  const u = usage;
  const realtime = config.logDelivery === "realtime";
  if (u.eventsPerDay === 0) notes.push("no traffic: only the fixed monthly charges remain");

  // Events the lake receives per day: real-time logs are sampled, standard logs hold every request.
  const sampling = realtime ? config.realtimeLogs.samplingRate / 100 : 1;
  const loggedPerDay = u.eventsPerDay * sampling;
  const records = loggedPerDay * DAYS_PER_MONTH;
  const ing = config.ingestion;

  // Delivery into the lake: the objects it writes per month, what reads them back, and its Lambda invocations.
  let lakeObjects: number;
  let deliveryGets: number;
  let deliveryPuts: number;
  let invocations: number;
  if (realtime) {
    line(
      "CloudFront",
      "real-time log lines",
      "cloudfrontRealtimeLogLines",
      records,
      `${u.eventsPerDay}/day x ${config.realtimeLogs.samplingRate}% sampling`,
    );

    // Kinesis
    const k = config.kinesis;
    // The same sizing synth applies (config/kinesis.ts), at this estimate's record size.
    const capacity = kinesisCapacity(k, config.realtimeLogs.samplingRate, u.logRecordBytes);
    const averagePerSecond = loggedPerDay / 86_400;
    if (capacity.mode === "provisioned" && averagePerSecond > capacity.shardCount * recordsPerShard(u.logRecordBytes)) {
      notes.push(
        `the average traffic alone (${averagePerSecond.toFixed(0)} records/s) exceeds the stream's ${capacity.shardCount} shard(s): raise kinesis.peakRequestsPerSecond`,
      );
    }
    const kinesisGb = (records * Math.ceil(u.logRecordBytes / 1024) * 1024) / GB;
    const storedGbPerDay = (loggedPerDay * u.logRecordBytes) / GB;
    const extendedDays = (Math.min(k.retentionHours, 168) - 24) / 24;
    const longTermDays = Math.max(k.retentionHours - 168, 0) / 24;
    if (capacity.mode === "on-demand") {
      line("Kinesis (on-demand)", "stream-hours", "kinesisOnDemandStreamHour", hours, "one stream, all month");
      line("Kinesis (on-demand)", "data in", "kinesisOnDemandDataInGb", kinesisGb, `${u.logRecordBytes} B records rounded up to 1 KB`);
      line("Kinesis (on-demand)", "data out (Firehose)", "kinesisOnDemandDataOutGb", kinesisGb, "read once by Firehose");
      if (extendedDays > 0) {
        line(
          "Kinesis (on-demand)",
          "extended retention",
          "kinesisOnDemandExtendedRetentionGbMonth",
          storedGbPerDay * extendedDays,
          `retentionHours ${k.retentionHours}`,
        );
      }
    } else {
      const shards = capacity.shardCount;
      line(
        "Kinesis (provisioned)",
        "shard-hours",
        "kinesisShardHour",
        shards * hours,
        `${shards} shard(s), all month: ${k.shardCount === undefined ? "sized from the peak" : "kinesis.shardCount"}`,
      );
      line(
        "Kinesis (provisioned)",
        "PUT payload units",
        "kinesisPutPayloadUnits",
        records * Math.ceil(u.logRecordBytes / (25 * 1024)),
        "one 25 KB unit per record",
      );
      if (extendedDays > 0) {
        line(
          "Kinesis (provisioned)",
          "extended retention",
          "kinesisExtendedRetentionShardHour",
          shards * hours,
          `retentionHours ${k.retentionHours}`,
        );
      }
    }
    if (longTermDays > 0) {
      line(
        "Kinesis",
        "long-term retention",
        "kinesisLongTermRetentionGbMonth",
        storedGbPerDay * longTermDays,
        `retentionHours ${k.retentionHours} > 168`,
      );
    }

    // Firehose: ingestion and conversion bill each record as a multiple of 5 KB.
    const firehoseGb = (records * Math.ceil(u.logRecordBytes / 5120) * 5120) / GB;
    line("Firehose", "ingestion", "firehoseIngestionGb", firehoseGb, "each record rounded up to 5 KB");
    line("Firehose", "format conversion (Parquet)", "firehoseFormatConversionGb", firehoseGb, "same billed volume as ingestion");
    const transformedBytes = records * u.transformedRecordBytes;
    line(
      "Firehose",
      "dynamic partitioning",
      "firehoseDynamicPartitioningGb",
      transformedBytes / GB,
      `${u.transformedRecordBytes} B per transformed record`,
    );
    // Each buffer interval writes one object per event type that has records, plus one per full buffer.
    const intervals = (DAYS_PER_MONTH * 86400) / ing.bufferIntervalSeconds;
    const recordsPerInterval = records / intervals;
    const perInterval = partitionsOf(recordsPerInterval) + (recordsPerInterval * u.transformedRecordBytes) / (ing.bufferSizeMiB * MB);
    lakeObjects = u.eventsPerDay === 0 ? 0 : intervals * perInterval;
    line(
      "Firehose",
      "S3 objects delivered",
      "firehoseDynamicPartitioningObjects",
      lakeObjects,
      `${ing.bufferIntervalSeconds} s buffer, ${partitionsOf(recordsPerInterval).toFixed(1)} of ${EVENT_TYPES.length} event types each`,
    );

    // Transform Lambda: one invocation per processor buffer (size or interval, whichever fills first).
    const batches = Math.max(
      (records * u.logRecordBytes) / (ing.processorBufferSizeMB * 1e6),
      u.eventsPerDay === 0 ? 0 : (DAYS_PER_MONTH * 86400) / Math.max(ing.processorBufferIntervalSeconds, 1),
    );
    invocations = Math.ceil(batches);
    const seconds = (invocations * u.transformMsPerInvocation + records * u.transformMsPerRecord) / 1000;
    line(
      "Lambda (transform)",
      "requests",
      "lambdaRequests",
      invocations,
      `one per ${ing.processorBufferSizeMB} MB / ${ing.processorBufferIntervalSeconds} s batch`,
    );
    line(
      "Lambda (transform)",
      "compute",
      "lambdaArmGbSecond",
      seconds * (ing.lambdaMemoryMb / 1024),
      `${ing.lambdaMemoryMb} MB, ${u.transformMsPerRecord} ms/record`,
    );
    deliveryPuts = lakeObjects;
    deliveryGets = 0;
  } else {
    // Standard log files: CloudFront writes a few an hour while there is traffic, never more than one per request.
    const filesPerDay = Math.min(24 * u.logFilesPerHour, u.eventsPerDay);
    const files = filesPerDay * DAYS_PER_MONTH;
    const linesPerFile = filesPerDay === 0 ? 0 : u.eventsPerDay / filesPerDay;
    const logGb = (records * u.standardLogLineBytes) / GB;
    if (STANDARD_LOG_ROUTE === "v2") {
      line(
        "CloudFront",
        "standard log delivery to S3 (v2, vended logs)",
        "cloudwatchVendedLogsS3Gb",
        logGb,
        `${u.eventsPerDay}/day x ${u.standardLogLineBytes} B/line, uncompressed`,
      );
    } else {
      line("CloudFront", "standard log delivery to S3 (legacy)", "cloudfrontStandardLogsLegacyGb", logGb, "no delivery charge");
    }
    const keptDays = u.logFileRetentionDays ?? config.logFiles.retentionDays;
    line(
      "S3",
      "log file storage",
      "s3StandardGbMonth",
      (u.eventsPerDay * u.logFileBytesPerLine * keptDays) / GB,
      `${keptDays} days x ${u.logFileBytesPerLine} B/line gzip'd`,
    );
    // The log-file Lambda writes one Parquet object per event type (partition) in the file, plus an errors/ object
    // for a file with rejected lines.
    lakeObjects = files * partitionsOf(linesPerFile);
    const errorObjects = files * u.logFileErrorShare;
    invocations = Math.ceil(files);
    const seconds = (files * u.logFileMsPerInvocation + records * u.logFileMsPerRecord) / 1000;
    line(
      "Lambda (log-file transform)",
      "requests",
      "lambdaRequests",
      invocations,
      `one per log file, ${fmtN(filesPerDay)} files/day (${u.logFilesPerHour}/hour while there is traffic)`,
    );
    line(
      "Lambda (log-file transform)",
      "compute",
      "lambdaArmGbSecond",
      seconds * (ing.lambdaMemoryMb / 1024),
      `${ing.lambdaMemoryMb} MB, ${u.logFileMsPerRecord} ms/line + ${u.logFileMsPerInvocation} ms/file`,
    );
    // CloudFront's PUT of each log file, the Parquet and errors/ objects; the Lambda GETs each log file once.
    deliveryPuts = files + lakeObjects + errorObjects;
    deliveryGets = files;
  }

  // Dashboards: every data set reads the window's closed days from the daily rollups and no raw events.
  const load = dashboardLoad(config, u);
  const queries = load.refreshesPerDay * u.queriesPerRefresh * DAYS_PER_MONTH;
  const closedDays = u.dashboardWindowDays ?? config.athena.queryWindowDays;

  // S3: the lake at steady state; delivery's writes; compaction's reads and writes; rollup writes; Athena's reads.
  const lakeGb = (loggedPerDay * u.daysRetained * u.parquetBytesPerEvent) / GB;
  line("S3", "lake storage", "s3StandardGbMonth", lakeGb, `${u.daysRetained} days x ${u.parquetBytesPerEvent} B/event`);
  const compactedPerDay = EVENT_TYPES.length; // about one output file per event type and day
  const rollupsPerDay = QUERIES.length; // at most one rollup file per metric and day (several metrics share a rollup)
  line(
    "S3",
    "PUT/LIST requests",
    "s3PutRequests",
    deliveryPuts + (compactedPerDay * 2 + rollupsPerDay) * DAYS_PER_MONTH,
    `${realtime ? "Firehose objects" : "log files, Parquet and errors/ objects"} + compaction writes and lists + rollups`,
  );
  line(
    "S3",
    "GET requests",
    "s3GetRequests",
    deliveryGets + lakeObjects + queries * closedDays,
    `${realtime ? "" : "log files + "}compaction reads + Athena reads (a rollup file per closed day)`,
  );

  // Glue: compaction then rollups, once a day, per second with a 1-minute minimum, on the driver's workers.
  const c = config.compaction;
  const workers = GLUE_JOB_LIMITS.minWorkers; // the job runs on the driver: the fewest workers a Spark job takes, as compaction-job.ts deploys
  const dpus = workers * (c.workerType === "G.2X" ? 2 : 1);
  const runSeconds = Math.max(
    GLUE_MIN_BILLED_SECONDS,
    u.compactionStartupSeconds + loggedPerDay / u.compactionRowsPerSecond + loggedPerDay / u.rollupRowsPerSecond,
  );
  const runs = c.enabled ? DAYS_PER_MONTH : 0;
  line(
    "Glue (compaction + rollups)",
    `${c.executionClass} ${workers} x ${c.workerType}`,
    c.executionClass === "FLEX" ? "glueFlexDpuHour" : "glueDpuHour",
    (runs * runSeconds * dpus) / 3600,
    `${runs > 0 ? "daily" : "schedule off"}, ${Math.round(runSeconds)} s per run (at least ${GLUE_MIN_BILLED_SECONDS})`,
  );

  // Athena: each query reads its rollup for the closed days of the window, at least 10 MB.
  const scanned = closedDays * u.rollupBytesPerDay;
  const billed = Math.max(ATHENA_MIN_BYTES_PER_QUERY, Math.ceil(scanned / MB) * MB);
  line(
    "Athena",
    "dashboard queries",
    "athenaTbScanned",
    (queries * billed) / TB,
    `${load.basis} x ${u.queriesPerRefresh} queries, ${(billed / MB).toFixed(0)} MB each (${closedDays} closed days from the rollups)`,
  );

  // Usage API
  const apiRequests = u.apiRequestsPerDay * DAYS_PER_MONTH;
  line("API Gateway", "HTTP API requests", "httpApiRequests", apiRequests, `${u.apiRequestsPerDay}/day`);
  line("Lambda (usage)", "requests", "lambdaRequests", apiRequests, "one per API request");
  line(
    "Lambda (usage)",
    "compute",
    "lambdaArmGbSecond",
    ((apiRequests * u.usageMsPerRequest) / 1000) * (config.usageApi.memorySizeMb / 1024),
    `${config.usageApi.memorySizeMb} MB, ${u.usageMsPerRequest} ms/request`,
  );
  line(
    "DynamoDB",
    "write request units",
    "dynamodbWriteRequestUnits",
    apiRequests * u.writeUnitsPerApiRequest,
    `${u.writeUnitsPerApiRequest} per API request`,
  );

  // Operations
  const alarms = alarmsFor(config);
  const alarmMetrics = alarms.reduce((n, a) => n + a.metricCount, 0);
  line(
    "CloudWatch",
    "alarms",
    "cloudwatchAlarmMetric",
    alarmMetrics,
    `${alarms.filter((a) => a.metricCount > 0).length} alarms, ${alarmMetrics} metrics (${config.logDelivery} delivery)`,
  );
  if (config.ops.dashboard) line("CloudWatch", "dashboard", "cloudwatchDashboard", 1, "free if the account has fewer than 3");
  line(
    "CloudWatch",
    "Lambda logs",
    "cloudwatchLogsIngestionGb",
    ((invocations + apiRequests) * u.logBytesPerInvocation) / GB,
    `${u.logBytesPerInvocation} B per invocation`,
  );
  const keys = customerManagedKeys(config);
  line("KMS", "customer-managed keys", "kmsKeyMonth", u.kmsKeys ?? keys.length, u.kmsKeys === undefined ? keys.join(", ") : "--kms-keys");

  const unverified = [...new Set(lines.filter((l) => !l.price.verified).map((l) => l.priceKey))];
  if (unverified.length > 0) {
    notes.push(
      `${unverified.length} unit price(s) marked * are not verified against a public source (see their note in cost/prices.json): ${unverified.join(", ")}`,
    );
  }

  const totalUsd = lines.reduce((s, l) => s + l.monthlyUsd, 0);
  return { lines, totalUsd, notes };
}

/** Requests per second of the `--compare` table: a small docs site to a busy one. */
export const COMPARE_REQUESTS_PER_SECOND = [0.1, 1, 10, 100] as const;

export interface CompareRow {
  readonly mode: LogDelivery;
  readonly requestsPerSecond: number;
  readonly eventsPerDay: number;
  readonly totalUsd: number;
  /** The three biggest lines, biggest first. */
  readonly biggest: readonly CostLine[];
}

/** The config in the other delivery mode: the same environment, only `logDelivery` changed. */
export function inMode(config: EnvironmentConfig, mode: LogDelivery): EnvironmentConfig {
  return { ...config, logDelivery: mode };
}

/** Both delivery modes at each request rate: the totals and each estimate's three biggest lines. */
export function compare(
  config: EnvironmentConfig,
  usage: Omit<Usage, "eventsPerDay">,
  file: PriceFile,
  rates: readonly number[] = COMPARE_REQUESTS_PER_SECOND,
): CompareRow[] {
  return LOG_DELIVERY_MODES.flatMap((mode) =>
    rates.map((rate) => {
      const eventsPerDay = rate * 86_400;
      const e = estimate(inMode(config, mode), { ...usage, eventsPerDay }, file);
      const biggest = [...e.lines].sort((a, b) => b.monthlyUsd - a.monthlyUsd).slice(0, 3);
      return { mode, requestsPerSecond: rate, eventsPerDay, totalUsd: e.totalUsd, biggest };
    }),
  );
}
