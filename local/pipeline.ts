/**
 * The data path on a laptop: CloudFront log lines from a file -> the real
 * transform (handlers/firehose-transform/processor.ts) in Firehose-sized
 * batches -> Parquet in the S3 layout, failed records under the error prefix.
 * What Firehose does around the Lambda is simulated here, and only that.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { cpus } from "node:os";
import * as path from "node:path";
import type { FirehoseRecordIn } from "../handlers/firehose-transform/processor";
import { byteLines } from "../handlers/shared/byte-lines";
import type { EventType } from "../schemas/event";
import { LAKE_PREFIXES } from "../schemas/lake";
import type { TransformConfigInput } from "../schemas/transform-config";
import { ErrorsWriter } from "./errors-writer";
import { LOCAL_LAMBDA_ARN, leadingTimestampMs, PROCESSING_FAILED } from "./firehose";
import { LakeWriter } from "./lake-writer";
import { buildRollups, type RollupRunSummary } from "./rollups";
import { type BatchResult, inProcessPool, workerPool } from "./transform-pool";

/**
 * Transform workers `npm run local` starts: one overlaps the transform with writing Parquet (two threads busy);
 * none on a single core.
 */
export function defaultWorkers(): number {
  return cpus().length > 1 ? 1 : 0;
}

/** Transform worker threads a run may start (each holds its own GeoIP database, ~150 MB). */
export const MIN_WORKERS = 0;
export const MAX_WORKERS = 16;

/** Firehose's default processor buffer (BufferSizeInMBs = 1): the records one Lambda invocation gets. */
export const DEFAULT_BATCH_BYTES = 1 << 20;

/**
 * A visitor-id key for local runs only: ids from it are not secret. AWS
 * deployments take theirs from SSM; set VISITOR_ID_KEY to use another here.
 */
export const LOCAL_VISITOR_ID_KEY = "local-runs-only-not-a-secret-key";

export interface LocalRunOptions {
  readonly input: string;
  readonly lake: string;
  /** Replace the lake's events/ and errors/ if they hold files. @default false: refuse */
  readonly overwrite?: boolean;
  /** @default DEFAULT_BATCH_BYTES */
  readonly batchBytes?: number;
  /** @default VISITOR_ID_KEY from the environment, else LOCAL_VISITOR_ID_KEY */
  readonly visitorIdKey?: string;
  /** Transform configuration. @default DEFAULT_TRANSFORM_CONFIG */
  readonly transformConfig?: TransformConfigInput;
  readonly rowGroupRows?: number;
  readonly maxBufferedRows?: number;
  /**
   * Worker threads running the transform (each loads its own GeoIP database, ~150 MB); 0 runs it in this
   * thread. Workers need the process started through tsx (`npm run local` is). @default 0
   */
  readonly workers?: number;
  /** Called after each batch with bytes and lines read so far. */
  readonly onProgress?: (bytesRead: number, lines: number) => void;
  /**
   * The run's today: the daily rollups are written for the days before it (what the daily job has done by then).
   * @default the day after the lake's last day: every day closed and rolled up
   */
  readonly today?: string;
}

export interface LocalRunSummary {
  readonly lines: number;
  readonly ok: number;
  readonly dropped: number;
  readonly failed: number;
  readonly batches: number;
  readonly byEventType: Record<string, number>;
  readonly failuresByReason: Record<string, number>;
  readonly parquetFiles: number;
  readonly rowGroups: number;
  readonly errorFiles: number;
  /** The daily rollups written after the lake. */
  readonly rollups: RollupRunSummary;
  readonly seconds: number;
}

/** Check the input and the lake before doing anything; each problem is one clear line. */
export function preflight(options: Pick<LocalRunOptions, "input" | "lake" | "overwrite">): void {
  if (!existsSync(options.input)) throw new Error(`input file not found: ${options.input}`);
  if (!statSync(options.input).isFile()) throw new Error(`input is not a file: ${options.input}`);
  preflightLake(options);
}

/** Check the lake is a writable directory; replace its events/ and errors/ with `overwrite`, else refuse a lake that holds them. */
export function preflightLake(options: Pick<LocalRunOptions, "lake" | "overwrite">): void {
  if (existsSync(options.lake) && !statSync(options.lake).isDirectory()) throw new Error(`lake is not a directory: ${options.lake}`);
  try {
    // mkdir + a probe file: access() says yes to root on a read-only mount, writing does not.
    mkdirSync(options.lake, { recursive: true });
    const probe = path.join(options.lake, `.write-probe-${process.pid}`);
    closeSync(openSync(probe, "w"));
    unlinkSync(probe);
  } catch (e) {
    throw new Error(`lake directory is not writable: ${options.lake} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const held = [LAKE_PREFIXES.events, LAKE_PREFIXES.errors, LAKE_PREFIXES.rollups].filter((p) => {
    const dir = path.join(options.lake, p);
    return existsSync(dir) && readdirSync(dir).length > 0;
  });
  if (held.length > 0) {
    const list = held.length > 1 ? `${held.slice(0, -1).join(", ")} and ${held[held.length - 1]}` : held.join("");
    if (!options.overwrite) throw new Error(`lake ${options.lake} already holds ${list}; pass --overwrite to replace them`);
    for (const p of held) rmSync(path.join(options.lake, p), { recursive: true, force: true });
  }
}

/** Lines of a file as raw bytes; `onRead` hears of each chunk as it is read (the progress bar). */
async function* lines(file: string, onRead: (bytes: number) => void): AsyncGenerator<Buffer> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      onRead((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  }
  yield* byteLines(chunks());
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  preflight(options);
  const processorOptions = {
    visitorIdKey: options.visitorIdKey ?? process.env.VISITOR_ID_KEY ?? LOCAL_VISITOR_ID_KEY,
    config: options.transformConfig,
  };
  const workers = options.workers ?? 0;
  if (!(Number.isInteger(workers) && workers >= MIN_WORKERS && workers <= MAX_WORKERS))
    throw new Error(`workers must be a whole number from ${MIN_WORKERS} to ${MAX_WORKERS}: ${workers}`);
  const pool = workers > 0 ? await workerPool(processorOptions, workers) : await inProcessPool(processorOptions);
  const runId = new Date().toISOString().replace(/[-:.TZ]/g, "");
  const lake = new LakeWriter(options.lake, { runId, rowGroupRows: options.rowGroupRows, maxBufferedRows: options.maxBufferedRows });
  const errors = new ErrorsWriter(options.lake, runId);
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;

  let count = 0;
  let bytesRead = 0;
  let lastArrival: number | undefined;
  let batch: FirehoseRecordIn[] = [];
  let batchSize = 0;
  const totals = { ok: 0, dropped: 0, failed: 0, batches: 0 };
  const byEventType: Record<string, number> = {};
  const failuresByReason: Record<string, number> = {};

  /** Batches handed to the transform and not yet written, in order; bounded so memory is. */
  const inFlight: { batch: FirehoseRecordIn[]; result: Promise<BatchResult> }[] = [];
  const maxInFlight = Math.max(1, workers) * 2;

  const write = (batch: FirehoseRecordIn[], { records, stats }: BatchResult) => {
    if (records.length !== batch.length) throw new Error(`the transform returned ${records.length} records for ${batch.length}`);
    for (let i = 0; i < records.length; i++) {
      const out = records[i] as (typeof records)[number];
      const input = batch[i] as FirehoseRecordIn;
      if (out.recordId !== input.recordId)
        throw new Error(`the transform returned record ${out.recordId} where ${input.recordId} was expected`);
      if (out.result === "Ok") {
        if (!out.metadata) throw new Error(`record ${out.recordId} is Ok but has no partition keys`);
        lake.add(out.metadata.partitionKeys, JSON.parse(Buffer.from(out.data, "base64").toString("utf8")));
      } else if (out.result === "ProcessingFailed") {
        const arrival = input.approximateArrivalTimestamp ?? Date.now();
        errors.add("processing-failed", {
          attempts_made: 1,
          arrival_timestamp: arrival,
          error_code: PROCESSING_FAILED.code,
          error_message: PROCESSING_FAILED.message,
          attempt_ending_timestamp: Date.now(),
          // The function stores its failed records itself, client IP redacted (handlers/firehose-transform/failed-records.ts):
          // errors/ holds what it returned, not the bytes Firehose received.
          raw_data: out.data,
          lambda_arn: LOCAL_LAMBDA_ARN,
        });
      }
    }
    totals.ok += stats.byResult.Ok;
    totals.dropped += stats.byResult.Dropped;
    totals.failed += stats.byResult.ProcessingFailed;
    totals.batches++;
    for (const [k, v] of Object.entries(stats.byEventType)) byEventType[k] = (byEventType[k] ?? 0) + v;
    for (const [k, v] of Object.entries(stats.failuresByReason)) failuresByReason[k] = (failuresByReason[k] ?? 0) + (v ?? 0);
    options.onProgress?.(bytesRead, count);
  };
  const writeOldest = async () => {
    const next = inFlight.shift();
    if (next) write(next.batch, await next.result);
  };
  const submit = async () => {
    if (batch.length === 0) return;
    inFlight.push({ batch, result: pool.run(batch) });
    batch = [];
    batchSize = 0;
    while (inFlight.length >= maxInFlight) await writeOldest();
  };

  for await (const raw of lines(options.input, (n) => {
    bytesRead += n;
  })) {
    count++;
    // Kinesis arrival, simulated: the line's own timestamp, else the last one seen (lines come in time order).
    // Only the first field is decoded: the whole line would be one more string per record for the collector.
    const tab = raw.indexOf(9);
    const head = tab < 0 ? raw.toString("latin1") : `${raw.toString("latin1", 0, tab)}\t`;
    const arrival = leadingTimestampMs(head) ?? lastArrival ?? Date.now();
    lastArrival = arrival;
    batch.push({ recordId: String(count), approximateArrivalTimestamp: arrival, data: raw.toString("base64") });
    batchSize += raw.length;
    if (batchSize >= batchBytes) await submit();
  }
  try {
    await submit();
    while (inFlight.length > 0) await writeOldest();
  } finally {
    await pool.close();
  }
  const written = lake.close();
  const failedFiles = errors.close();
  const rollups = await buildRollups(options.lake, options.today === undefined ? {} : { today: options.today });
  return {
    lines: count,
    ...totals,
    byEventType: byEventType as Record<EventType, number>,
    failuresByReason,
    parquetFiles: written.files.length,
    rowGroups: written.rowGroups,
    errorFiles: failedFiles.files.length,
    rollups,
    seconds: (Date.now() - started) / 1000,
  };
}
