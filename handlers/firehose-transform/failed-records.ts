/**
 * The errors/ object the transform writes itself for a batch's failed records, pure.
 *
 * Why the function writes them and does not leave them to Firehose: for a record answered
 * `ProcessingFailed`, Firehose's `rawData` is "the base64-encoded record data", and public captures
 * and emulators read that as the bytes Firehose received, not the data the function returned
 * (local/pipeline.ts emulated it so). AWS does not say which; under that reading the raw client IP
 * would reach errors/ whatever the function returns. So the function stores the redacted record
 * itself (processor.ts redacts it), in Firehose's error format under Firehose's error prefix, and
 * answers it `Dropped`: errors/ then holds no raw IP under either reading. If the write fails the
 * record is answered `ProcessingFailed` (with the redacted data) and nothing is lost.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 */
import { createHash } from "node:crypto";
import { errorJsonLine, errorPrefixFor, processingFailedRecord } from "../shared/error-records";
import type { FirehoseRecordIn, FirehoseRecordOut } from "./firehose";

export interface FailedRecordsObject {
  /** Under `errors/processing-failed/year=../month=../day=../` of the oldest record's arrival, as Firehose names the partition. */
  readonly key: string;
  /** One Firehose error JSON object per line. */
  readonly body: string;
  /** Positions of the records it holds in the batch. */
  readonly indexes: readonly number[];
}

export interface FailedRecordsOptions {
  /** The function's ARN (`lambdaArn` of each error record). */
  readonly lambdaArn: string;
  /** Now, epoch milliseconds: the attempt's end, and the arrival of a record that has none. */
  readonly nowMs: number;
}

/**
 * The object for the batch's `ProcessingFailed` outputs (whose data the processor has redacted), or null when there
 * are none. The key is a hash of those records' ids and data: Firehose retries a batch with the same records, so a
 * retry overwrites the object instead of adding a copy.
 */
export function failedRecordsObject(
  input: readonly unknown[],
  output: readonly FirehoseRecordOut[],
  options: FailedRecordsOptions,
): FailedRecordsObject | null {
  const indexes = output.flatMap((r, i) => (r.result === "ProcessingFailed" ? [i] : []));
  if (indexes.length === 0) return null;
  const arrival = (i: number): number => {
    const t = (input[i] as Partial<FirehoseRecordIn> | null | undefined)?.approximateArrivalTimestamp;
    return typeof t === "number" && Number.isFinite(t) && t > 0 ? t : options.nowMs;
  };
  const hash = createHash("sha256");
  let oldest = Number.POSITIVE_INFINITY;
  const lines = indexes.map((i) => {
    const out = output[i] as FirehoseRecordOut;
    hash.update(`${out.recordId}\u0000${out.data}\n`);
    oldest = Math.min(oldest, arrival(i));
    const raw = Buffer.from(out.data, "base64");
    return errorJsonLine(processingFailedRecord({ raw, arrivalMs: arrival(i), endedMs: options.nowMs, lambdaArn: options.lambdaArn }));
  });
  const key = `${errorPrefixFor("processing-failed", oldest)}transform-${hash.digest("hex").slice(0, 32)}.json`;
  return { key, body: `${lines.join("\n")}\n`, indexes };
}
