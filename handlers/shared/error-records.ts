/**
 * Error records the way Firehose writes them for records its Lambda failed:
 * one JSON object per line, the original bytes in base64, under
 * `errors/<error-output-type>/year=../month=../day=../` of the record's
 * arrival day (schemas/errors.ts derives the path from Firehose's prefix).
 * The local run and the log-file transform both write these, so the
 * `errors` table reads every route's failures alike.
 */
import { type ErrorOutputType, type ErrorRecord, errorPartitionPrefix, toFirehoseErrorJson } from "../../schemas/errors";

/**
 * Error code and message Firehose writes for a record the Lambda returned as
 * ProcessingFailed (as public emulators and Firehose's error output show; the
 * AWS guide documents only the fields).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 */
export const PROCESSING_FAILED = { code: "Lambda.ProcessingFailedStatus", message: "ProcessingFailed status set for record" } as const;

/** The error partition of a record that arrived at `arrivalMs` (epoch milliseconds, UTC). */
export function errorPrefixFor(type: ErrorOutputType, arrivalMs: number): string {
  const iso = new Date(arrivalMs).toISOString();
  return errorPartitionPrefix({ error_type: type, year: iso.slice(0, 4), month: iso.slice(5, 7), day: iso.slice(8, 10) });
}

/** One error record as the JSON line Firehose writes (no newline). */
export function errorJsonLine(record: ErrorRecord): string {
  return JSON.stringify(toFirehoseErrorJson(record));
}

/** The record of a line the transform failed: its original bytes, as Firehose keeps a ProcessingFailed record. */
export function processingFailedRecord(o: { raw: Uint8Array; arrivalMs: number; endedMs: number; lambdaArn: string }): ErrorRecord {
  return {
    attempts_made: 1,
    arrival_timestamp: o.arrivalMs,
    error_code: PROCESSING_FAILED.code,
    error_message: PROCESSING_FAILED.message,
    attempt_ending_timestamp: o.endedMs,
    raw_data: Buffer.from(o.raw.buffer, o.raw.byteOffset, o.raw.byteLength).toString("base64"),
    lambda_arn: o.lambdaArn,
  };
}
