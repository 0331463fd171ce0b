/**
 * The lake's layout: prefixes, tables and partitioning, written once. The
 * Firehose prefixes, the Glue tables, the DDL, the local runner and the
 * compaction job all derive their paths from here.
 */
import { EVENT_TYPES, EventRowSchema, PARTITION_KEYS } from "./event";
import { PARQUET_STORAGE, type PartitionProjection, type TableSpec } from "./generators/glue";

/** Top-level prefixes of the lake bucket. Each ends with `/`. */
export const LAKE_PREFIXES = {
  /** Parquet rows of the `events` table, hive-partitioned. */
  events: "events/",
  /** Records Firehose could not process or convert, under `!{firehose:error-output-type}`. */
  errors: "errors/",
  /** Compaction manifests (inputs and outputs of each run). */
  manifests: "_compaction/",
  /** Google Analytics 4 reports AppFlow writes as Parquet: `ga/<flow name>/yyyy/MM/dd/` (see schemas/ga.ts). */
  ga: "ga/",
  /** Daily rollups: `rollups/<name>/year=../month=../day=../` + {@link ROLLUP_FILE} (see schemas/rollups.ts). */
  rollups: "rollups/",
} as const;

/** First year the year projection covers; Athena projects only the range, so it must include the data. */
export const FIRST_YEAR = 2020;
export const LAST_YEAR = 2099;

/** The date partitions: their range, padding and the UTC date field each value is (as partitionKeysFor writes it). */
const RANGES: Record<string, { min: number; max: number; digits?: number; datePart: "year" | "month" | "day" }> = {
  year: { min: FIRST_YEAR, max: LAST_YEAR, datePart: "year" },
  month: { min: 1, max: 12, digits: 2, datePart: "month" },
  day: { min: 1, max: 31, digits: 2, datePart: "day" },
};

/** Partition projection of the `events` table, derived from the partition-key schema. */
export const EVENT_PARTITIONS: readonly PartitionProjection[] = PARTITION_KEYS.map((name): PartitionProjection => {
  if (name === "event_type") return { name, kind: "enum", values: EVENT_TYPES };
  const range = RANGES[name];
  if (!range) throw new Error(`no projection range for partition key ${name}`);
  return { name, kind: "integer", ...range };
});

export const EVENTS_TABLE = "events";

/** The date partitions alone (year, month, day), in path order: the rollup tables' partitions. */
export const DAY_PARTITIONS: readonly PartitionProjection[] = EVENT_PARTITIONS.filter((p) => p.kind === "integer" && p.datePart);

/**
 * The one file of a rollup's day. A fixed name, so rewriting a day is one PUT (S3) or rename (local) that replaces
 * the day's rows whole: a rerun never leaves two files of one day for a reader to add up.
 */
export const ROLLUP_FILE = "part-00000.parquet";

/** Firehose's dynamic-partitioning prefix: the same keys, in the same order, from the Lambda's partitionKeys. */
export function firehoseEventsPrefix(): string {
  return `${LAKE_PREFIXES.events}${PARTITION_KEYS.map((k) => `${k}=!{partitionKeyFromLambda:${k}}/`).join("")}`;
}

/** Firehose's error prefix: must contain `!{firehose:error-output-type}` and no partitionKeyFrom* namespace. */
export function firehoseErrorPrefix(): string {
  return `${LAKE_PREFIXES.errors}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`;
}

/** The `events` table spec for a database and a bucket name: the one definition the Glue table and the DDL derive from. */
export function eventsTableSpec(database: string, bucket: string): TableSpec {
  return {
    database,
    table: EVENTS_TABLE,
    schema: EventRowSchema,
    partitions: EVENT_PARTITIONS,
    location: `s3://${bucket}/${LAKE_PREFIXES.events}`,
    comment: "Website requests served by CloudFront, enriched; one row per request.",
    storage: PARQUET_STORAGE,
  };
}
