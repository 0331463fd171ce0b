/**
 * Where the backfill's files are transformed: in its own thread, or in worker threads (local/backfill-worker.ts),
 * each with its own transformer, a file at a time per worker, so that N cores transform N files at once while
 * the backfill's thread writes and journals the results in input order.
 */
import * as path from "node:path";
import { createLogFileTransformer, type LogFileTransformerOptions } from "../handlers/log-file-transform/transform";
import { type FileToTransform, type TransformedFile, transformFile } from "./backfill-transform";
import type { BackfillRequest, BackfillWorkerData } from "./backfill-worker";
import { geoFilesOf, readSharedGeoDatabases } from "./shared-geoip";
import { startWorkerThreads } from "./worker-threads";

/** The pool itself failed (a worker died): not the file's fault, so the backfill stops; a rerun resumes. */
export class PoolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoolFailure";
  }
}

export type OnChunk = (lines: number, bytes: number) => Promise<void> | void;

export interface FileTransformPool {
  /** How many files may be in flight at once to keep it busy. */
  readonly depth: number;
  run(file: FileToTransform, onChunk: OnChunk): Promise<TransformedFile>;
  close(): Promise<void>;
}

/** In this thread: one file at a time, the next one transformed while the last one's objects are written. */
export async function inlinePool(options: LogFileTransformerOptions): Promise<FileTransformPool> {
  const transformer = await createLogFileTransformer(options);
  return { depth: 1, run: (file, onChunk) => transformFile(transformer, file, onChunk), close: async () => {} };
}

/**
 * `count` worker threads sharing one copy of GeoIP; each file goes to the worker with the fewest files in hand. A file's own error rejects
 * with its message, as in this thread; a worker that dies rejects every file in hand with a PoolFailure.
 */
export async function workerPool(options: LogFileTransformerOptions, count: number): Promise<FileTransformPool> {
  const geo = readSharedGeoDatabases(geoFilesOf(options));
  const pool = await startWorkerThreads({
    module: path.join(__dirname, "backfill-worker.ts"),
    count,
    data: (): BackfillWorkerData => ({ transformer: options, geo }),
    name: "backfill worker",
    failure: (message) => new PoolFailure(message),
  });
  return {
    depth: count + 1,
    run: (file, onChunk) =>
      pool.leastBusy().call<TransformedFile, { lines: number; bytes: number }>({ file } satisfies BackfillRequest, {
        onProgress: ({ lines, bytes }) => void onChunk(lines, bytes),
      }),
    close: () => pool.terminate(),
  };
}
