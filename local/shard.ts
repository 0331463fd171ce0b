/**
 * One share of the local run, in a worker thread or in this one: whole Firehose batches of raw line bytes in, the
 * real transform over each (processLines: the Lambda's processRecords without Firehose's base64 JSON, held to it by
 * test), its Ok rows straight into this shard's own Parquet files and its failed records into this shard's own
 * errors/ files. Shards share nothing but the input, so the main thread only cuts the file into batches and N
 * shards on N cores do about N times the work of one; nothing but counts crosses threads.
 */
import type { ProcessorOptions, ProcessStats } from "../handlers/firehose-transform/processor";
import { createProcessor } from "../handlers/firehose-transform/processor";
import { ErrorsWriter } from "./errors-writer";
import { LOCAL_LAMBDA_ARN, leadingTimestampMs, PROCESSING_FAILED } from "./firehose";
import { LakeWriter } from "./lake-writer";

export interface ShardOptions {
  readonly processor: ProcessorOptions;
  readonly lake: string;
  /** Names this shard's files; each shard needs its own, or their files would collide. */
  readonly runId: string;
  readonly rowGroupRows?: number;
  readonly maxBufferedRows?: number;
}

/** One Firehose batch: whole lines, each ended by `\n` but perhaps the last line of the file. */
export interface ShardBatch {
  readonly bytes: Uint8Array;
  /** The arrival of the last line before this batch that had one, for lines without a timestamp of their own. */
  readonly lastArrival: number | undefined;
}

/** What one batch did: the transform's counts, no rows. */
export type ShardBatchResult = Pick<ProcessStats, "byResult" | "byEventType" | "failuresByReason"> & { readonly lines: number };

export interface ShardClosed {
  readonly files: string[];
  readonly rowGroups: number;
  readonly errorFiles: string[];
}

export interface Shard {
  run(batch: ShardBatch): ShardBatchResult;
  close(): ShardClosed;
}

/** A line's simulated Kinesis arrival (its own timestamp), decoding only the first field. */
function arrivalOf(bytes: Uint8Array, start: number, end: number): number | undefined {
  const tab = bytes.indexOf(9, start);
  if (tab < 0 || tab >= end) return undefined;
  return leadingTimestampMs(`${Buffer.from(bytes.buffer, bytes.byteOffset + start, tab - start).toString("latin1")}\t`);
}

/** The arrival of the last line of `bytes` that has one (lines come in time order, so usually the last line's). */
export function lastArrivalIn(bytes: Uint8Array): number | undefined {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 10) end--;
  while (end > 0) {
    const start = bytes.lastIndexOf(10, end - 1) + 1;
    const arrival = arrivalOf(bytes, start, end);
    if (arrival !== undefined) return arrival;
    end = start - 1;
  }
  return undefined;
}

export async function createShard(options: ShardOptions): Promise<Shard> {
  const processor = await createProcessor(options.processor);
  const lake = new LakeWriter(options.lake, {
    runId: options.runId,
    rowGroupRows: options.rowGroupRows,
    maxBufferedRows: options.maxBufferedRows,
  });
  const errors = new ErrorsWriter(options.lake, options.runId);

  function run({ bytes, lastArrival }: ShardBatch): ShardBatchResult {
    const stats = processor.processLines(bytes, {
      row: (keys, row) => lake.add(keys, row),
      failed: (data, end) => {
        // Kinesis arrival, simulated: the line's own timestamp, else the last one before it (lines come in time order).
        const arrival = lastArrivalIn(bytes.subarray(0, end)) ?? lastArrival ?? Date.now();
        errors.add("processing-failed", {
          attempts_made: 1,
          arrival_timestamp: arrival,
          error_code: PROCESSING_FAILED.code,
          error_message: PROCESSING_FAILED.message,
          attempt_ending_timestamp: Date.now(),
          // The function stores its failed records itself, client IP redacted (handlers/firehose-transform/failed-records.ts):
          // errors/ holds what it returned, not the bytes Firehose received.
          raw_data: data,
          lambda_arn: LOCAL_LAMBDA_ARN,
        });
      },
    });
    return { lines: stats.records, byResult: stats.byResult, byEventType: stats.byEventType, failuresByReason: stats.failuresByReason };
  }

  return {
    run,
    close: () => {
      const written = lake.close();
      return { files: written.files, rowGroups: written.rowGroups, errorFiles: errors.close().files };
    },
  };
}
