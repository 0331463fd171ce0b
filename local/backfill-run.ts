/**
 * Backfill, the pure part (`npm run backfill` is local/backfill.ts): months of CloudFront standard log files
 * (gzip'd W3C, legacy or v2, as CloudFront writes them to S3) through the log-file Lambda's own transform
 * (handlers/log-file-transform/transform.ts) into a local lake folder laid out as the live lake: the same
 * events/ partitions and object names, errors/ with each bad line's bytes, then the daily rollups.
 *
 * Exactly once across crashes: every object is written under a temporary name, fsync'd and renamed into place,
 * and a file counts as done only when its `done` entry is in the journal (local/backfill-journal.ts). A rerun
 * skips done files (same name, size and SHA-256, objects present) and redoes the rest; a file's objects have
 * names derived from the file, so redoing a half-written file overwrites its own partial output.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import * as path from "node:path";
import type { LogFileResult, LogFileStats } from "../handlers/log-file-transform/transform";
import { LAKE_PREFIXES } from "../schemas/lake";
import type { TransformConfigInput } from "../schemas/transform-config";
import { BACKFILL_STATE_DIR, type FileCounts, Journal, journalPath } from "./backfill-journal";
import { type FileTransformPool, inlinePool, PoolFailure, workerPool } from "./backfill-pool";
import type { BackfillProgressState } from "./backfill-progress";
import type { TransformedFile } from "./backfill-transform";
import { logFilesOf } from "./log-files";
import { LOCAL_VISITOR_ID_KEY, MAX_WORKERS, MIN_WORKERS, preflightLake } from "./pipeline";
import { buildRollups, type RollupRunSummary } from "./rollups";

/** The lake prefixes a backfill writes: the ones to upload. */
export const BACKFILL_PREFIXES = [LAKE_PREFIXES.events, LAKE_PREFIXES.errors, LAKE_PREFIXES.rollups] as const;

/**
 * How CloudFront names a standard log file: `<distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz`. Other names are
 * read all the same; the summary lists them, as a folder may hold files that are not logs.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
 */
export const CLOUDFRONT_LOG_FILE_NAME = /^[A-Z0-9]+\.\d{4}-\d{2}-\d{2}-\d{2}\.[A-Za-z0-9_-]+\.gz$/;

export interface BackfillFile {
  readonly file: string;
  /** What names its objects: the base name, unique among CloudFront's files, whichever folder it is read from. */
  readonly source: string;
  readonly size: number;
}

/** Where a run stands, for the test hook: it may stop the process here. */
export interface BackfillCheckpoint {
  /** `lines`: a chunk of a file was read; `object`: one of a file's objects was renamed into place. */
  readonly kind: "lines" | "object";
  readonly lines: number;
  readonly objects: number;
}

export interface BackfillOptions {
  /** Log files and folders (every file under a folder, recursively, names starting with `.` skipped). */
  readonly inputs: readonly string[];
  readonly lake: string;
  /**
   * Start over: delete the lake's events/, errors/, rollups/ and the journal. Without it, a lake with a journal
   * is resumed and a lake that holds data but no journal is refused.
   */
  readonly overwrite?: boolean;
  /** @default VISITOR_ID_KEY from the environment, else LOCAL_VISITOR_ID_KEY */
  readonly visitorIdKey?: string;
  readonly transformConfig?: TransformConfigInput;
  /** Daily rollups are written for the days before it. @default the day after the lake's last day */
  readonly today?: string;
  /**
   * Worker threads transforming files (sharing one copy of the GeoIP databases); 0 transforms in this thread.
   * Workers need the process started through tsx (`npm run backfill` is). @default 0
   */
  readonly workers?: number;
  /** Called once the input is listed and checked against the journal. */
  readonly onPlan?: (plan: { readonly totalFiles: number; readonly totalBytes: number; readonly skipped: number }) => void;
  readonly onProgress?: (state: BackfillProgressState) => void;
  /** A test hook (BACKFILL_PAUSE_AT in the CLI): awaited at every checkpoint. */
  readonly checkpoint?: (at: BackfillCheckpoint) => Promise<void> | void;
}

export interface BackfillSummary {
  readonly files: {
    readonly total: number;
    readonly transformed: number;
    /** Already in the lake (done in the journal, same size and hash, objects present). */
    readonly skipped: number;
    /** In the journal as done but with other bytes now, or objects missing: transformed again. */
    readonly redone: number;
    /** Files with lines none of which parsed: probably not a W3C standard log (v2 JSON or Parquet output, another log). */
    readonly unparsed: readonly string[];
    /** Files that could not be read to their end (a broken gzip stream): nothing of them is in the lake; a rerun retries them. */
    readonly unreadable: readonly { readonly source: string; readonly message: string }[];
    /** Names that are not CloudFront's (CLOUDFRONT_LOG_FILE_NAME). */
    readonly unusualNames: readonly string[];
  };
  /** This run's files. */
  readonly run: FileCounts;
  /** Every file in the lake's journal, this run's and earlier runs': the backfill so far. */
  readonly lake: FileCounts;
  /** Bytes of the files transformed this run, as stored. */
  readonly bytes: number;
  readonly objects: number;
  readonly rollups: RollupRunSummary;
  readonly seconds: number;
}

export function emptyCounts(): FileCounts {
  return { lines: 0, ok: 0, dropped: 0, failed: 0, byEventType: {}, failuresByReason: {}, droppedByRule: {} };
}

/** a += b, field by field. */
export function addCounts(a: FileCounts, b: FileCounts): void {
  a.lines += b.lines;
  a.ok += b.ok;
  a.dropped += b.dropped;
  a.failed += b.failed;
  for (const k of ["byEventType", "failuresByReason", "droppedByRule"] as const)
    for (const [name, n] of Object.entries(b[k])) a[k][name] = (a[k][name] ?? 0) + n;
}

function countsOf(stats: LogFileStats): FileCounts {
  const nonZero = (r: Readonly<Record<string, number | undefined>>) =>
    Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => (e[1] ?? 0) > 0));
  return {
    lines: stats.lines,
    ok: stats.ok,
    dropped: stats.dropped,
    failed: stats.failed,
    byEventType: nonZero(stats.byEventType),
    failuresByReason: nonZero(stats.failuresByReason),
    droppedByRule: nonZero(stats.droppedByRule),
  };
}

/**
 * The log files of the inputs, each once, in source-name order. Refused: two different files with one name, and
 * a file under the lake (a lake inside a logs folder would be read as logs: its own output, again on every rerun).
 */
export function backfillFiles(inputs: readonly string[], lakeDir: string): BackfillFile[] {
  if (inputs.length === 0) throw new Error("no log files or folders given");
  const lakeReal = existsSync(lakeDir) ? realpathSync(lakeDir) : path.resolve(lakeDir);
  const bySource = new Map<string, BackfillFile & { real: string }>();
  for (const input of inputs) {
    for (const { file } of logFilesOf(input)) {
      const real = realpathSync(file);
      const rel = path.relative(lakeReal, real);
      if (!rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
        throw new Error(`the logs include ${file}, which is under the lake ${lakeDir}; give a lake folder outside the logs`);
      const source = path.basename(file);
      const seen = bySource.get(source);
      if (seen && seen.real !== real)
        throw new Error(`two log files are named ${source}: ${seen.file} and ${file}; a file's name names its lake objects, so give one`);
      if (!seen) bySource.set(source, { file, source, size: statSync(file).size, real });
    }
  }
  return [...bySource.values()].sort((a, b) => (a.source < b.source ? -1 : 1)).map(({ file, source, size }) => ({ file, source, size }));
}

/** A file handed to the pool and not yet written. */
interface InFlight {
  readonly f: BackfillFile;
  readonly transformed: Promise<TransformedFile>;
  /** Newlines counted so far: taken back off the progress if the file turns out unreadable. */
  readonly lines: { read: number };
}

/** SHA-256 of a file, streamed. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Write one object durably and atomically: a temporary file under the state folder (never under a prefix a
 * reader or `aws s3 sync` sees), fsync'd, then renamed over its key. Returns the key's folder.
 */
async function writeObject(lakeDir: string, tmpDir: string, key: string, body: Uint8Array): Promise<string> {
  const target = path.join(lakeDir, ...key.split("/"));
  const tmp = path.join(tmpDir, `${process.pid}-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`);
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await mkdir(path.dirname(target), { recursive: true });
  await rename(tmp, target);
  return path.dirname(target);
}

/** Make renames in these folders durable (skipped where the platform cannot open a folder). */
async function fsyncDirs(dirs: Iterable<string>): Promise<void> {
  await Promise.all(
    [...dirs].map(async (dir) => {
      let handle: FileHandle | undefined;
      try {
        handle = await open(dir, "r");
        await handle.sync();
      } catch {
        // Windows cannot fsync a directory; the rename is still atomic.
      } finally {
        await handle?.close();
      }
    }),
  );
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const started = Date.now();
  const files = backfillFiles(options.inputs, options.lake);
  const lakeDir = options.lake;
  if (options.overwrite || !existsSync(journalPath(lakeDir))) {
    if (options.overwrite) Journal.remove(lakeDir);
    preflightLake({ lake: lakeDir, overwrite: options.overwrite });
  }
  const journal = await Journal.open(lakeDir);
  const tmpDir = path.join(lakeDir, BACKFILL_STATE_DIR, "tmp");
  // A killed run's half-written temporaries: never renamed, so never part of the lake.
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });

  try {
    // Which files are in the lake already: done in the journal, the same bytes, every object still there.
    const todo: (BackfillFile & { redo: boolean })[] = [];
    let skipped = 0;
    for (const f of files) {
      const prior = journal.last(f.source);
      if (prior?.state !== "done") {
        todo.push({ ...f, redo: false });
        continue;
      }
      const sha256 = prior.size === f.size ? await sha256Of(f.file) : undefined;
      if (sha256 === prior.sha256 && prior.keys.every((k) => existsSync(path.join(lakeDir, ...k.split("/"))))) skipped++;
      else todo.push({ ...f, redo: true });
    }
    const totalBytes = todo.reduce((n, f) => n + f.size, 0);

    const workers = options.workers ?? 0;
    if (!(Number.isInteger(workers) && workers >= MIN_WORKERS && workers <= MAX_WORKERS))
      throw new Error(`workers must be a whole number from ${MIN_WORKERS} to ${MAX_WORKERS}: ${workers}`);
    const transformOptions = {
      visitorIdKey: options.visitorIdKey ?? process.env.VISITOR_ID_KEY ?? LOCAL_VISITOR_ID_KEY,
      config: options.transformConfig,
    };
    // No transformer to start (GeoIP takes seconds) when every file is in the lake; no idle workers for a few files.
    const pool =
      todo.length === 0
        ? undefined
        : workers > 0
          ? await workerPool(transformOptions, Math.min(workers, todo.length))
          : await inlinePool(transformOptions);
    // After the start-up, so that the progress's rate and ETA measure the work.
    options.onPlan?.({ totalFiles: files.length, totalBytes, skipped });
    const run = emptyCounts();
    const progress = { files: skipped, lines: 0, bytes: 0 };
    let objects = 0;
    const unparsed: string[] = [];
    const unreadable: { source: string; message: string }[] = [];
    options.onProgress?.({ ...progress });

    /** Put a transformed file's objects in place and journal it as done. */
    const persist = async (f: BackfillFile, { objects: out, stats }: LogFileResult, sha256: string): Promise<void> => {
      const keys = out.map((o) => o.key);
      const prior = journal.last(f.source);
      await journal.append({ state: "started", source: f.source, size: f.size, sha256, keys });
      const dirs = await Promise.all(
        out.map(async (o) => {
          const dir = await writeObject(lakeDir, tmpDir, o.key, o.body);
          objects++;
          await options.checkpoint?.({ kind: "object", lines: progress.lines, objects });
          return dir;
        }),
      );
      // Objects an earlier version of this file had and this one has not (other bytes, another arrival day).
      const current = new Set(keys);
      await Promise.all(
        (prior?.keys ?? []).filter((k) => !current.has(k)).map((k) => rm(path.join(lakeDir, ...k.split("/")), { force: true })),
      );
      await fsyncDirs(new Set(dirs));
      const counts = countsOf(stats);
      await journal.append({ state: "done", source: f.source, size: f.size, sha256, keys, counts });
      addCounts(run, counts);
      if (stats.lines > 0 && stats.ok + stats.dropped === 0) unparsed.push(f.source);
      progress.files++;
      options.onProgress?.({ ...progress });
    };
    let persisting: Promise<void> = Promise.resolve();

    /** A transformed file to the lake; a file that could not be read to its end to the unreadable list. */
    const settle = async ({ f, transformed, lines }: InFlight): Promise<void> => {
      let t: TransformedFile;
      try {
        t = await transformed;
      } catch (e) {
        if (e instanceof PoolFailure) throw e;
        // The file cannot be read to its end (a broken or truncated gzip): none of it goes in, it stays out of the
        // journal so that a rerun tries it again, and the run goes on with the other files.
        unreadable.push({ source: f.source, message: e instanceof Error ? e.message : String(e) });
        progress.lines -= lines.read;
        progress.files++;
        options.onProgress?.({ ...progress });
        return;
      }
      // One file's objects are written while the next files are transformed: the fsyncs wait on the disk, not the CPU.
      await persisting;
      persisting = persist(f, t.result, t.sha256);
      // Awaited before the next file's objects or at the end; until then a failure must not count as unhandled.
      persisting.catch(() => {});
    };

    /** Every file through the pool, a few in flight, written in input order (the journal's done files are a prefix of the input). */
    const transformAll = async (pool: FileTransformPool): Promise<void> => {
      const inFlight: InFlight[] = [];
      for (const f of todo) {
        const lines = { read: 0 };
        const transformed = pool.run(f, async (n, bytes) => {
          lines.read += n;
          progress.lines += n;
          progress.bytes += bytes;
          options.onProgress?.({ ...progress });
          await options.checkpoint?.({ kind: "lines", lines: progress.lines, objects });
        });
        transformed.catch(() => {});
        inFlight.push({ f, transformed, lines });
        while (inFlight.length >= pool.depth) await settle(inFlight.shift() as InFlight);
      }
      while (inFlight.length > 0) await settle(inFlight.shift() as InFlight);
      await persisting;
    };
    if (pool) {
      try {
        await transformAll(pool);
      } finally {
        await pool.close();
      }
    }

    const lake = emptyCounts();
    for (const e of journal.done()) addCounts(lake, e.counts);
    // The same daily rollups the live lake gets from its daily job, over everything in the lake.
    const rollups = await buildRollups(lakeDir, options.today === undefined ? {} : { today: options.today });
    return {
      files: {
        total: files.length,
        transformed: todo.length,
        skipped,
        redone: todo.filter((f) => f.redo).length,
        unparsed,
        unreadable,
        unusualNames: files.filter((f) => !CLOUDFRONT_LOG_FILE_NAME.test(f.source)).map((f) => f.source),
      },
      run,
      lake,
      bytes: totalBytes,
      objects,
      rollups,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await journal.close();
  }
}

/** A path as one shell word. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** The `aws s3 sync` commands that upload a backfilled lake, one per prefix it writes (never the state folder). */
export function uploadCommands(lakeDir: string, bucket: string): string[] {
  // path.join keeps the prefix's trailing `/`: sync copies the folder's contents, not the folder.
  return BACKFILL_PREFIXES.map((p) => `aws s3 sync ${shellWord(path.join(lakeDir, p))} ${shellWord(`s3://${bucket}/${p}`)}`);
}
