/**
 * A monthly cost estimate of the deployed pipeline, line by line, from the
 * same environment config the stacks are synthesized from, a traffic figure,
 * stated assumptions, and the unit prices in cost/prices.json. Pure: no I/O,
 * so the arithmetic is tested on fixed inputs.
 */
import * as z from "zod";
import { ALARMS } from "../config/alarms";
import { GLUE_JOB_LIMITS } from "../config/compaction";
import { kinesisCapacity, REALTIME_LOG_RECORD_BYTES, recordsPerShard } from "../config/kinesis";
import type { EnvironmentConfig } from "../config/schema";
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
  /** Times per day the dashboards are refreshed (each refresh runs every dashboard query once). */
  readonly dashboardRefreshesPerDay: number;
  /** Queries one refresh runs. */
  readonly queriesPerRefresh: number;
  /** Days of events a dashboard query reads. */
  readonly dashboardWindowDays: number;
  /** Share of a row's bytes a dashboard query reads (Parquet is columnar; queries read a few columns). */
  readonly queryColumnFraction: number;
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
  /** Usage Lambda milliseconds per request. */
  readonly usageMsPerRequest: number;
  /** Rows the compaction job compacts per second, and its start-up seconds. */
  readonly compactionRowsPerSecond: number;
  readonly compactionStartupSeconds: number;
  /** Bytes of CloudWatch Logs one Lambda invocation writes. */
  readonly logBytesPerInvocation: number;
  /** Customer-managed KMS keys the stacks create (Kinesis stream, alarm topic, counters table). */
  readonly kmsKeys: number;
}

export const DEFAULT_USAGE: Omit<Usage, "eventsPerDay"> = {
  daysRetained: 365,
  dashboardRefreshesPerDay: 24,
  // Every dashboard query of the query layer, once per refresh.
  queriesPerRefresh: QUERIES.length,
  dashboardWindowDays: 30,
  queryColumnFraction: 0.2,
  apiRequestsPerDay: 0,
  writeUnitsPerApiRequest: 2,
  logRecordBytes: REALTIME_LOG_RECORD_BYTES,
  transformedRecordBytes: 1200,
  parquetBytesPerEvent: 120,
  transformMsPerRecord: 0.05,
  transformMsPerInvocation: 50,
  usageMsPerRequest: 20,
  compactionRowsPerSecond: 100_000,
  compactionStartupSeconds: 30,
  logBytesPerInvocation: 1024,
  kmsKeys: 3,
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

export function estimate(config: EnvironmentConfig, usage: Usage, file: PriceFile): Estimate {
  for (const [k, v] of Object.entries(usage)) {
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

  // CloudFront logs only the sampled share of requests; everything downstream sees those.
  const sampling = config.realtimeLogs.samplingRate / 100;
  const records = u.eventsPerDay * sampling * DAYS_PER_MONTH;
  if (u.eventsPerDay === 0) notes.push("no traffic: only the fixed monthly charges remain");
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
  const averagePerSecond = (u.eventsPerDay * sampling) / 86_400;
  if (capacity.mode === "provisioned" && averagePerSecond > capacity.shardCount * recordsPerShard(u.logRecordBytes)) {
    notes.push(
      `the average traffic alone (${averagePerSecond.toFixed(0)} records/s) exceeds the stream's ${capacity.shardCount} shard(s): raise kinesis.peakRequestsPerSecond`,
    );
  }
  const kinesisGb = (records * Math.ceil(u.logRecordBytes / 1024) * 1024) / GB;
  const storedGbPerDay = (u.eventsPerDay * sampling * u.logRecordBytes) / GB;
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
  const ing = config.ingestion;
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
  const perInterval =
    Math.min(EVENT_TYPES.length, recordsPerInterval) + (recordsPerInterval * u.transformedRecordBytes) / (ing.bufferSizeMiB * MB);
  const objects = u.eventsPerDay === 0 ? 0 : intervals * perInterval;
  line(
    "Firehose",
    "S3 objects delivered",
    "firehoseDynamicPartitioningObjects",
    objects,
    `${ing.bufferIntervalSeconds} s buffer, ${EVENT_TYPES.length} event types`,
  );

  // Transform Lambda: one invocation per processor buffer (size or interval, whichever fills first).
  const batches = Math.max(
    (records * u.logRecordBytes) / (ing.processorBufferSizeMB * 1e6),
    u.eventsPerDay === 0 ? 0 : (DAYS_PER_MONTH * 86400) / Math.max(ing.processorBufferIntervalSeconds, 1),
  );
  const invocations = Math.ceil(batches);
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

  // S3: the lake at steady state, Firehose's PUTs, compaction's GETs and PUTs, Athena's GETs.
  const lakeGb = (u.eventsPerDay * sampling * u.daysRetained * u.parquetBytesPerEvent) / GB;
  line("S3", "lake storage", "s3StandardGbMonth", lakeGb, `${u.daysRetained} days x ${u.parquetBytesPerEvent} B/event`);
  const compactedPerDay = EVENT_TYPES.length; // about one output file per event type and day
  const queries = u.dashboardRefreshesPerDay * u.queriesPerRefresh * DAYS_PER_MONTH;
  line(
    "S3",
    "PUT/LIST requests",
    "s3PutRequests",
    objects + compactedPerDay * DAYS_PER_MONTH * 2,
    "Firehose objects + compaction writes and lists",
  );
  line(
    "S3",
    "GET requests",
    "s3GetRequests",
    objects + queries * u.dashboardWindowDays * compactedPerDay,
    "compaction reads + Athena reads (compacted files)",
  );

  // Glue compaction: daily, per second with a 1-minute minimum, on the driver's workers.
  const c = config.compaction;
  const workers = GLUE_JOB_LIMITS.minWorkers; // the job runs on the driver: the fewest workers a Spark job takes, as compaction-job.ts deploys
  const dpus = workers * (c.workerType === "G.2X" ? 2 : 1);
  const runSeconds = Math.max(60, u.compactionStartupSeconds + (u.eventsPerDay * sampling) / u.compactionRowsPerSecond);
  const runs = c.enabled ? DAYS_PER_MONTH : 0;
  line(
    "Glue (compaction)",
    `${c.executionClass} ${workers} x ${c.workerType}`,
    c.executionClass === "FLEX" ? "glueFlexDpuHour" : "glueDpuHour",
    (runs * runSeconds * dpus) / 3600,
    `${runs > 0 ? "daily" : "schedule off"}, ${Math.round(runSeconds)} s per run`,
  );

  // Athena: each query scans the window's columns it reads, at least 10 MB.
  const scanned = u.eventsPerDay * sampling * u.dashboardWindowDays * u.parquetBytesPerEvent * u.queryColumnFraction;
  const billed = Math.max(scanned, 10 * MB);
  line(
    "Athena",
    "dashboard queries",
    "athenaTbScanned",
    (queries * billed) / TB,
    `${u.dashboardRefreshesPerDay} refreshes/day x ${u.queriesPerRefresh} queries, ${(billed / MB).toFixed(1)} MB each`,
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
  const alarmMetrics = ALARMS.reduce((n, a) => n + a.metricCount, 0);
  line(
    "CloudWatch",
    "alarms",
    "cloudwatchAlarmMetric",
    alarmMetrics,
    `${ALARMS.filter((a) => a.metricCount > 0).length} alarms, ${alarmMetrics} metrics`,
  );
  if (config.ops.dashboard) line("CloudWatch", "dashboard", "cloudwatchDashboard", 1, "free if the account has fewer than 3");
  line(
    "CloudWatch",
    "Lambda logs",
    "cloudwatchLogsIngestionGb",
    ((invocations + apiRequests) * u.logBytesPerInvocation) / GB,
    `${u.logBytesPerInvocation} B per invocation`,
  );
  line("KMS", "customer-managed keys", "kmsKeyMonth", u.kmsKeys, "Kinesis stream, alarm topic, counters table");

  const unverified = [...new Set(lines.filter((l) => !l.price.verified).map((l) => l.priceKey))];
  if (unverified.length > 0) {
    notes.push(
      `${unverified.length} unit price(s) marked * are not verified against a public source (see their note in cost/prices.json): ${unverified.join(", ")}`,
    );
  }

  const totalUsd = lines.reduce((s, l) => s + l.monthlyUsd, 0);
  return { lines, totalUsd, notes };
}
