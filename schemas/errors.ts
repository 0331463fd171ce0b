/**
 * The `errors` table: the JSON records Firehose writes under its error prefix
 * for records it could not process (the Lambda returned `ProcessingFailed`) or
 * convert to Parquet. Each carries the original bytes in base64 (`rawData`),
 * so a failed record stays visible in Athena and can be replayed.
 *
 * Columns are snake_case; the JSON keys Firehose writes are their camelCase
 * form, mapped by the JSON SerDe (see {@link ERRORS_STORAGE}).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 * @see https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html
 */
import * as z from "zod";
import { col, columnsOf } from "./columns";
import { type PartitionProjection, projectionParameters, type TableSpec, type TableStorage } from "./generators/glue";
import { EVENT_PARTITIONS, firehoseErrorPrefix, LAKE_PREFIXES } from "./lake";

export const ERRORS_TABLE = "errors";

/**
 * Values of `!{firehose:error-output-type}` an S3 destination with a Lambda
 * processor, dynamic partitioning and format conversion can produce.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html
 */
export const ERROR_OUTPUT_TYPES = ["processing-failed", "format-conversion-failed", "partitioning-failed"] as const;
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[number];

/** Largest Firehose record is 1,000 KiB; base64 makes it 4/3 as long. */
const MAX_RAW_DATA = Math.ceil((1_024_000 * 4) / 3) + 4;

/** One error record. Key order is column order. */
export const ErrorRecordSchema = z.strictObject({
  attempts_made: col.bigint("Number of Lambda invocations Firehose attempted for the record."),
  arrival_timestamp: col.bigint("When Firehose received the record, epoch milliseconds (UTC)."),
  error_code: col.string("Error code, e.g. Lambda.ProcessingFailedStatus.", 256),
  error_message: col.string("Error message.", 4096),
  attempt_ending_timestamp: col.bigint("When Firehose stopped attempting, epoch milliseconds (UTC)."),
  raw_data: col.string("The original record, base64: decode it to replay the record.", MAX_RAW_DATA),
  lambda_arn: col.string("Transform function that failed the record (processing-failed only).", 2048),
});
export type ErrorRecord = z.infer<typeof ErrorRecordSchema>;

/** `attempts_made` -> `attemptsMade`: the key Firehose writes for a column. */
export function jsonKeyOf(column: string): string {
  return column.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The JSON object Firehose writes for one error record (its own camelCase keys). */
export function toFirehoseErrorJson(record: ErrorRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columnsOf(ErrorRecordSchema)) out[jsonKeyOf(c.name)] = record[c.name as keyof ErrorRecord];
  return out;
}

/**
 * Which Firehose prefix expression fills each partition column. The same
 * error prefix Firehose writes to gives the projection's location template
 * and the local runner's paths.
 */
const PREFIX_EXPRESSIONS: Record<string, string> = {
  error_type: "!{firehose:error-output-type}",
  year: "!{timestamp:yyyy}",
  month: "!{timestamp:MM}",
  day: "!{timestamp:dd}",
};

/**
 * Partition projection of the `errors` table: the output type (a bare folder, as Firehose writes it),
 * then the arrival date like `events`.
 */
export const ERROR_PARTITIONS: readonly PartitionProjection[] = [
  { name: "error_type", kind: "enum", values: ERROR_OUTPUT_TYPES, bareValue: true },
  ...EVENT_PARTITIONS.filter((p) => p.name !== "event_type"),
];

/** Replace each partition's prefix expression in the error prefix with `render(name)`. */
function fillErrorPrefix(render: (partition: string) => string): string {
  let prefix = firehoseErrorPrefix();
  for (const p of ERROR_PARTITIONS) {
    const expression = PREFIX_EXPRESSIONS[p.name];
    if (!expression || !prefix.includes(expression)) throw new Error(`error prefix ${prefix} has no expression for partition ${p.name}`);
    prefix = prefix.replace(expression, render(p.name));
  }
  if (prefix.includes("!{")) throw new Error(`error prefix has an expression no partition maps: ${prefix}`);
  return prefix;
}

/** Key prefix of one error partition, e.g. `errors/processing-failed/year=2025/month=06/day=01/`. */
export function errorPartitionPrefix(values: { error_type: string; year: string; month: string; day: string }): string {
  return fillErrorPrefix((name) => values[name as keyof typeof values]);
}

/** Key prefix of every partition of one error output type, e.g. `errors/processing-failed/`: what a writer of that type may write. */
export function errorTypePrefix(type: ErrorOutputType): string {
  const cut = "\u0000";
  return (fillErrorPrefix((name) => (name === "error_type" ? type : cut)).split(cut)[0] as string).replace(/[^/]*$/, "");
}

/**
 * Table parameters for partition projection over the error prefix (the generic projection of
 * {@link ERROR_PARTITIONS}; a test checks its template is the Firehose error prefix). The template
 * holds literal `${...}`: a Terraform caller must escape it (`$${`).
 */
export function errorsProjectionParameters(bucket: string): Record<string, string> {
  return projectionParameters(errorsLocation(bucket), ERROR_PARTITIONS);
}

/**
 * OpenX JSON SerDe over the error records. Keys are matched case-insensitively
 * (Firehose writes `errorCode` for processing failures and `ErrorCode` for
 * conversion failures), so the mapping targets are lower-case.
 * @see https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html
 */
export const ERRORS_STORAGE: TableStorage = {
  classification: "json",
  serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
  inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
  serdeParameters: {
    "case.insensitive": "true",
    "ignore.malformed.json": "true",
    ...Object.fromEntries(columnsOf(ErrorRecordSchema).map((c) => [`mapping.${c.name}`, jsonKeyOf(c.name).toLowerCase()])),
  },
};

/** Base location of the `errors` table in the lake bucket. */
export function errorsLocation(bucket: string): string {
  return `s3://${bucket}/${LAKE_PREFIXES.errors}`;
}

/** The `errors` table spec for a database and a bucket name: the one definition the Glue table derives from. */
export function errorsTableSpec(database: string, bucket: string): TableSpec {
  return {
    database,
    table: ERRORS_TABLE,
    schema: ErrorRecordSchema,
    partitions: ERROR_PARTITIONS,
    location: errorsLocation(bucket),
    comment: "Records Firehose could not process or convert, with their original bytes (base64) for replay.",
    storage: ERRORS_STORAGE,
  };
}
