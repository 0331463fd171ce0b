/**
 * One share of the local run, in a worker thread or in this one: whole Firehose batches of raw line bytes in, the
 * real transform (processRecords) over each, its Ok rows into this shard's own Parquet files and its failed records
 * into this shard's own errors/ files. Shards share nothing but the input, so the main thread only cuts the file
 * into batches and N shards on N cores do about N times the work of one; nothing but counts crosses threads.
 */
import type { FirehoseRecordIn, ProcessorOptions, ProcessStats } from "../handlers/firehose-transform/processor";
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
  /** The batch's first line's number in the file (from 1): its record id. */
  readonly firstLine: number;
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

/**
 * The JSON rows of a batch's Ok records, decoded and parsed in one go: base64 pieces that are whole 4-character
 * groups (no `=` padding) decode as one string, and their rows parse as one JSON array. Per record, the Buffer,
 * string and parse call each row took were a tenth of a worker's time. Undefined when a piece is not whole groups.
 */
export function parseRows(data: readonly string[]): unknown[] | undefined {
  let bytes = 0;
  for (const d of data) {
    if (d.length % 4 !== 0 || d.charCodeAt(d.length - 1) === 61) return undefined;
    bytes += (d.length / 4) * 3;
  }
  const decoded = Buffer.from(data.join(""), "base64");
  if (decoded.length !== bytes) return undefined;
  // `[row,row,...]`: each row's bytes copied once, a comma between them.
  const text = Buffer.allocUnsafe(bytes + data.length + 2);
  let at = 0;
  text[at++] = 0x5b;
  for (let i = 0, from = 0; i < data.length; i++) {
    const n = ((data[i] as string).length / 4) * 3;
    if (i > 0) text[at++] = 0x2c;
    at += decoded.copy(text, at, from, from + n);
    from += n;
  }
  text[at++] = 0x5d;
  const rows = JSON.parse(text.toString("utf8", 0, at)) as unknown[];
  if (rows.length !== data.length) throw new Error(`${data.length} Ok records held ${rows.length} JSON rows`);
  return rows;
}

export async function createShard(options: ShardOptions): Promise<Shard> {
  const processor = await createProcessor(options.processor);
  const lake = new LakeWriter(options.lake, {
    runId: options.runId,
    rowGroupRows: options.rowGroupRows,
    maxBufferedRows: options.maxBufferedRows,
  });
  const errors = new ErrorsWriter(options.lake, options.runId);

  function run({ bytes, firstLine, lastArrival }: ShardBatch): ShardBatchResult {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const records: FirehoseRecordIn[] = [];
    let arrival = lastArrival;
    for (let start = 0; start < buf.length; ) {
      const nl = buf.indexOf(10, start);
      const end = nl < 0 ? buf.length : nl;
      // Kinesis arrival, simulated: the line's own timestamp, else the last one seen (lines come in time order).
      arrival = arrivalOf(buf, start, end) ?? arrival ?? Date.now();
      records.push({
        recordId: String(firstLine + records.length),
        approximateArrivalTimestamp: arrival,
        data: buf.toString("base64", start, end),
      });
      start = end + 1;
    }
    const { records: out, stats } = processor.processRecords(records);
    if (out.length !== records.length) throw new Error(`the transform returned ${out.length} records for ${records.length}`);
    const okData = out.filter((o) => o.result === "Ok").map((o) => o.data);
    const rows = parseRows(okData);
    let ok = 0;
    for (let i = 0; i < out.length; i++) {
      const o = out[i] as (typeof out)[number];
      const input = records[i] as FirehoseRecordIn;
      if (o.recordId !== input.recordId)
        throw new Error(`the transform returned record ${o.recordId} where ${input.recordId} was expected`);
      if (o.result === "Ok") {
        if (!o.metadata) throw new Error(`record ${o.recordId} is Ok but has no partition keys`);
        const row = rows ? rows[ok++] : JSON.parse(Buffer.from(o.data, "base64").toString("utf8"));
        lake.add(o.metadata.partitionKeys, row as Record<string, unknown>);
      } else if (o.result === "ProcessingFailed") {
        errors.add("processing-failed", {
          attempts_made: 1,
          arrival_timestamp: input.approximateArrivalTimestamp ?? Date.now(),
          error_code: PROCESSING_FAILED.code,
          error_message: PROCESSING_FAILED.message,
          attempt_ending_timestamp: Date.now(),
          // The function stores its failed records itself, client IP redacted (handlers/firehose-transform/failed-records.ts):
          // errors/ holds what it returned, not the bytes Firehose received.
          raw_data: o.data,
          lambda_arn: LOCAL_LAMBDA_ARN,
        });
      }
    }
    return { lines: records.length, byResult: stats.byResult, byEventType: stats.byEventType, failuresByReason: stats.failuresByReason };
  }

  return {
    run,
    close: () => {
      const written = lake.close();
      return { files: written.files, rowGroups: written.rowGroups, errorFiles: errors.close().files };
    },
  };
}
