/**
 * The data path on a laptop: CloudFront log lines from a file -> the real
 * transform (handlers/firehose-transform/processor.ts) in Firehose-sized
 * batches -> Parquet in the S3 layout, failed records under the error prefix.
 * What Firehose does around the Lambda is simulated here, and only that.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { cpus } from "node:os";
import * as path from "node:path";
import { DEFAULT_MAX_BUFFERED_ROWS, DEFAULT_ROW_GROUP_ROWS } from "../handlers/shared/lake-parquet";
import type { EventType } from "../schemas/event";
import { LAKE_PREFIXES } from "../schemas/lake";
import type { TransformConfigInput } from "../schemas/transform-config";
import { buildRollups, type RollupRunSummary } from "./rollups";
import { lastArrivalIn, type ShardBatchResult, type ShardClosed, type ShardOptions } from "./shard";
import { inProcessShards, workerShards } from "./transform-pool";

/**
 * Worker threads `npm run local` starts: one per core, as each runs the transform and writes its own share of the
 * lake (the main thread only cuts the file into batches), but at most two, as each holds its own buffers (~200 MB
 * under load; the GeoIP databases are shared): 1M lines peaked at 743 MB with two and 1,150 MB with four. None on a
 * single core. `--workers N` asks for more.
 */
export function defaultWorkers(): number {
  const cores = cpus().length;
  return cores > 1 ? Math.min(cores, 2) : 0;
}

/** Worker threads a run may start (each holds its own Parquet buffers and transform caches). */
export const MIN_WORKERS = 0;
export const MAX_WORKERS = 16;

/**
 * Lines per shard call: Firehose's default processor buffer (BufferSizeInMBs = 1). processLines answers no Lambda
 * response, so the size sets only the unit of work handed to a shard (and the clock reading per batch).
 */
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
   * Worker threads, each running the transform and writing its own Parquet and errors/ files (sharing one copy of
   * the GeoIP databases); 0 does it all in this thread. Workers need the process started through tsx (`npm run local`
   * is). @default 0
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

/**
 * Where a run's wall time went, in seconds: starting the shards (workers, GeoIP), the batches (the only part more
 * workers shorten), finishing every file, and the daily rollups.
 */
export interface LocalRunTimings {
  readonly start: number;
  readonly batches: number;
  readonly close: number;
  readonly rollups: number;
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

/**
 * The file as Firehose batches: whole lines, a batch ending after the line that brings its line bytes (without the
 * `\n`) to `batchBytes`, as Firehose's buffer does. Each batch is a copy owning its ArrayBuffer, so it can move to a
 * worker thread without another copy. `onRead` hears of each chunk as it is read (the progress bar).
 */
export async function* fileBatches(
  file: string,
  batchBytes: number,
  onRead: (bytes: number) => void = () => {},
  chunkBytes = 1 << 20,
): AsyncGenerator<{ bytes: Uint8Array; lines: number }> {
  /** The unfinished batch: its bytes, how far they are scanned, its lines and line bytes so far. */
  let rest: Buffer = Buffer.alloc(0);
  let scanned = 0;
  let lines = 0;
  let lineBytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) {
    onRead((chunk as Buffer).length);
    const buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let from = 0;
    let start = scanned;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      lines++;
      lineBytes += nl - start;
      start = nl + 1;
      if (lineBytes >= batchBytes) {
        yield { bytes: new Uint8Array(buf.subarray(from, start)), lines };
        from = start;
        lines = 0;
        lineBytes = 0;
      }
    }
    rest = buf.subarray(from);
    scanned = start - from;
  }
  // The unfinished batch, and a last line without `\n` (a line too, as byteLines has it).
  if (rest.length > scanned) lines++;
  if (rest.length > 0) yield { bytes: new Uint8Array(rest), lines };
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary & { readonly timings: LocalRunTimings }> {
  const started = Date.now();
  const marks = [performance.now()];
  const mark = () => marks.push(performance.now());
  preflight(options);
  const workers = options.workers ?? 0;
  if (!(Number.isInteger(workers) && workers >= MIN_WORKERS && workers <= MAX_WORKERS))
    throw new Error(`workers must be a whole number from ${MIN_WORKERS} to ${MAX_WORKERS}: ${workers}`);
  const runId = new Date().toISOString().replace(/[-:.TZ]/g, "");
  const shardOptions: ShardOptions = {
    processor: {
      visitorIdKey: options.visitorIdKey ?? process.env.VISITOR_ID_KEY ?? LOCAL_VISITOR_ID_KEY,
      config: options.transformConfig,
    },
    lake: options.lake,
    runId,
    rowGroupRows: options.rowGroupRows,
    // The memory cap is the run's, shared by its shards.
    maxBufferedRows: workers > 1 ? shardBufferedRows(options, workers) : options.maxBufferedRows,
  };
  const pool = workers > 0 ? await workerShards(shardOptions, workers) : await inProcessShards(shardOptions);
  mark();
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;

  let count = 0;
  let bytesRead = 0;
  let lastArrival: number | undefined;
  const totals = { ok: 0, dropped: 0, failed: 0, batches: 0 };
  const byEventType: Record<string, number> = {};
  const failuresByReason: Record<string, number> = {};
  const add = (result: ShardBatchResult) => {
    totals.ok += result.byResult.Ok;
    totals.dropped += result.byResult.Dropped;
    totals.failed += result.byResult.ProcessingFailed;
    totals.batches++;
    for (const [k, v] of Object.entries(result.byEventType)) byEventType[k] = (byEventType[k] ?? 0) + v;
    for (const [k, v] of Object.entries(result.failuresByReason)) failuresByReason[k] = (failuresByReason[k] ?? 0) + (v ?? 0);
    options.onProgress?.(bytesRead, count);
  };

  /** Batches handed to the shards and not yet done, oldest first; bounded so memory is. */
  const inFlight: Promise<void>[] = [];
  const maxInFlight = pool.size * 2;
  let closed: ShardClosed[];
  try {
    for await (const { bytes, lines } of fileBatches(options.input, batchBytes, (n) => {
      bytesRead += n;
    })) {
      const batch = { bytes, lastArrival };
      count += lines;
      // Read before the batch moves to a worker: the next batch's lines without a timestamp take this one's last.
      lastArrival = lastArrivalIn(bytes) ?? lastArrival;
      inFlight.push(pool.run(batch).then(add));
      if (inFlight.length >= maxInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
    mark();
  } finally {
    // Also when a batch failed: every batch settled, then every file finished, so what was written stays readable.
    await Promise.allSettled(inFlight);
    closed = await pool.close();
  }
  mark();
  const failedFiles = closed.flatMap((c) => c.errorFiles);
  const rollups = await buildRollups(options.lake, options.today === undefined ? {} : { today: options.today });
  mark();
  const [start, batches, close, rollupSeconds] = marks.slice(1).map((t, i) => (t - (marks[i] as number)) / 1000) as [
    number,
    number,
    number,
    number,
  ];
  return {
    lines: count,
    ...totals,
    byEventType: byEventType as Record<EventType, number>,
    failuresByReason,
    parquetFiles: closed.reduce((n, c) => n + c.files.length, 0),
    rowGroups: closed.reduce((n, c) => n + c.rowGroups, 0),
    errorFiles: failedFiles.length,
    rollups,
    seconds: (Date.now() - started) / 1000,
    timings: { start, batches, close, rollups: rollupSeconds },
  };
}

/** Each shard's share of the run's buffered-rows cap, never below a row group. */
function shardBufferedRows(options: Pick<LocalRunOptions, "rowGroupRows" | "maxBufferedRows">, shards: number): number {
  const rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  return Math.max(rowGroupRows, Math.ceil((options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS) / shards));
}
