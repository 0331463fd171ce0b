/**
 * Runs the transform over batches either in this thread or in worker threads
 * (one GeoIP database and processor each), so the transform of one batch
 * overlaps with writing the previous one. Results come back per batch; the
 * caller awaits them in submission order.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { createProcessor, type FirehoseRecordIn, type Processor, type ProcessorOptions } from "../handlers/firehose-transform/processor";

export type BatchResult = ReturnType<Processor["processRecords"]>;

export interface TransformPool {
  run(records: FirehoseRecordIn[]): Promise<BatchResult>;
  close(): Promise<void>;
}

/** In this thread: what tests use (jest cannot start TypeScript workers). */
export async function inProcessPool(options: ProcessorOptions): Promise<TransformPool> {
  const processor = await createProcessor(options);
  return { run: async (records) => processor.processRecords(records), close: async () => {} };
}

/**
 * `count` worker threads, used round-robin. The workers load local/transform-worker.ts with this
 * process's loader flags (tsx), so this needs the runner started through tsx, as `npm run local` is.
 */
export async function workerPool(options: ProcessorOptions, count: number): Promise<TransformPool> {
  const file = path.join(__dirname, "transform-worker.cjs");
  const waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const workers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(file, { workerData: options });
          w.once("message", (m: { ready: boolean; error?: string }) => (m.ready ? resolve(w) : reject(new Error(m.error))));
          w.on("message", (m: { id?: number; error?: string } & Partial<BatchResult>) => {
            if (m.id === undefined) return;
            const p = waiting.get(m.id);
            waiting.delete(m.id);
            if (m.error !== undefined) p?.reject(new Error(`transform worker: ${m.error}`));
            else p?.resolve(m as BatchResult);
          });
          w.on("error", (e) => {
            reject(e);
            for (const p of waiting.values()) p.reject(e);
            waiting.clear();
          });
        }),
    ),
  );
  return {
    run: (records) =>
      new Promise<BatchResult>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        (workers[id % workers.length] as Worker).postMessage({ id, records });
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
