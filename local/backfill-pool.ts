/**
 * Where the backfill's files are transformed: in its own thread, or in worker threads (local/backfill-worker.ts),
 * each with its own transformer, a file at a time per worker, so that N cores transform N files at once while
 * the backfill's thread writes and journals the results in input order.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { createLogFileTransformer, type LogFileTransformerOptions } from "../handlers/log-file-transform/transform";
import { type FileToTransform, type TransformedFile, transformFile } from "./backfill-transform";

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

type WorkerMessage =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; lines: number; bytes: number }
  | { id: number; done: TransformedFile }
  | { id: number; error: string };

/** `count` worker threads; each file goes to the worker with the fewest files in hand. Needs the process started through tsx. */
export async function workerPool(options: LogFileTransformerOptions, count: number): Promise<FileTransformPool> {
  const file = path.join(__dirname, "backfill-worker.cjs");
  const waiting = new Map<number, { onChunk: OnChunk; resolve: (r: TransformedFile) => void; reject: (e: Error) => void }>();
  const load = new Map<Worker, number>();
  let nextId = 0;
  let failed: PoolFailure | undefined;
  let closing = false;
  const fail = (e: Error) => {
    failed ??= new PoolFailure(`backfill worker: ${e.message}`);
    for (const p of waiting.values()) p.reject(failed);
    waiting.clear();
  };
  const workers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(file, { workerData: options });
          w.once("message", (m: WorkerMessage) =>
            "ready" in m && m.ready ? resolve(w) : reject(new Error(`backfill worker: ${"error" in m ? m.error : "no start"}`)),
          );
          w.on("message", (m: WorkerMessage) => {
            if (!("id" in m)) return;
            const p = waiting.get(m.id);
            if (!p) return;
            if ("lines" in m) {
              void p.onChunk(m.lines, m.bytes);
              return;
            }
            waiting.delete(m.id);
            load.set(w, (load.get(w) ?? 1) - 1);
            if ("done" in m) p.resolve(m.done);
            else p.reject(new Error(m.error));
          });
          w.on("error", (e) => {
            reject(e);
            fail(e);
          });
          w.on("exit", (code) => {
            if (!closing) fail(new Error(`exited with code ${code}`));
          });
        }),
    ),
  );
  for (const w of workers) load.set(w, 0);
  return {
    depth: count + 1,
    run: (f, onChunk) =>
      new Promise<TransformedFile>((resolve, reject) => {
        if (failed) return reject(failed);
        const id = nextId++;
        waiting.set(id, { onChunk, resolve, reject });
        const w = workers.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a));
        load.set(w, (load.get(w) ?? 0) + 1);
        w.postMessage({ id, file: f });
      }),
    close: async () => {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
