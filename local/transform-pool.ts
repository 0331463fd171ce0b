/**
 * Runs the local run's work either in this thread or in worker threads. A transform pool runs only the transform
 * (one GeoIP database and processor per worker) and hands the records back; a shard pool (local/shard.ts) runs the
 * transform and writes the lake in each worker, so only the batch's bytes (transferred, not copied) and its counts
 * cross threads and the workers scale with the cores. Results come back per batch.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { createProcessor, type FirehoseRecordIn, type Processor, type ProcessorOptions } from "../handlers/firehose-transform/processor";
import { createShard, type ShardBatch, type ShardBatchResult, type ShardClosed, type ShardOptions } from "./shard";
import type { WorkerData, WorkerRequest } from "./transform-worker";

export type BatchResult = ReturnType<Processor["processRecords"]>;

export interface TransformPool {
  run(records: FirehoseRecordIn[]): Promise<BatchResult>;
  close(): Promise<void>;
}

/** Shards writing the lake: `run` gives a batch to the least busy one; `close` finishes every shard's files. */
export interface ShardPool {
  readonly size: number;
  run(batch: ShardBatch): Promise<ShardBatchResult>;
  close(): Promise<ShardClosed[]>;
}

/** In this thread: what tests use (jest cannot start TypeScript workers). */
export async function inProcessPool(options: ProcessorOptions): Promise<TransformPool> {
  const processor = await createProcessor(options);
  return { run: async (records) => processor.processRecords(records), close: async () => {} };
}

/** One shard in this thread (jest cannot start TypeScript workers). */
export async function inProcessShards(options: ShardOptions): Promise<ShardPool> {
  const shard = await createShard(options);
  return { size: 1, run: async (batch) => shard.run(batch), close: async () => [shard.close()] };
}

interface Thread {
  readonly worker: Worker;
  /** Requests sent and not yet answered. */
  busy: number;
  call<T>(request: Omit<WorkerRequest, "id">, transfer?: ArrayBuffer[]): Promise<T>;
}

/**
 * `count` worker threads. The workers load local/transform-worker.ts with this process's loader flags (tsx), so this
 * needs the runner started through tsx, as `npm run local` is.
 */
async function startThreads(count: number, data: (index: number) => WorkerData): Promise<Thread[]> {
  const file = path.join(__dirname, "transform-worker.cjs");
  let nextId = 0;
  const threads = Array.from({ length: count }, (_, index): Promise<Thread> => {
    const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
    const worker = new Worker(file, { workerData: data(index) });
    const failAll = (e: Error) => {
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    };
    const thread: Thread = {
      worker,
      busy: 0,
      call: <T>(request: Omit<WorkerRequest, "id">, transfer?: ArrayBuffer[]) =>
        new Promise<T>((resolve, reject) => {
          const id = nextId++;
          thread.busy++;
          waiting.set(id, {
            resolve: (r) => {
              thread.busy--;
              resolve(r as T);
            },
            reject: (e) => {
              thread.busy--;
              reject(e);
            },
          });
          worker.postMessage({ id, ...request }, transfer);
        }),
    };
    return new Promise<Thread>((resolve, reject) => {
      worker.once("message", (m: { ready: boolean; error?: string }) => (m.ready ? resolve(thread) : reject(new Error(m.error))));
      worker.on("message", (m: { id?: number; error?: string }) => {
        if (m.id === undefined) return;
        const p = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(`transform worker: ${m.error}`));
        else p?.resolve(m);
      });
      worker.on("error", (e) => {
        reject(e);
        failAll(e);
      });
      worker.on("exit", (code) => failAll(new Error(`transform worker exited (code ${code})`)));
    });
  });
  const started = await Promise.allSettled(threads);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.worker.terminate() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<Thread>).value);
}

/** `count` transform worker threads, used round-robin. */
export async function workerPool(options: ProcessorOptions, count: number): Promise<TransformPool> {
  const threads = await startThreads(count, () => ({ kind: "transform", options }));
  let next = 0;
  return {
    run: (records) => (threads[next++ % threads.length] as Thread).call<BatchResult>({ records }),
    close: async () => {
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}

/** `count` shard worker threads, shard `i` naming its files with `${runId}-w${i + 1}`. */
export async function workerShards(options: ShardOptions, count: number): Promise<ShardPool> {
  const threads = await startThreads(count, (i) => ({ kind: "shard", options: { ...options, runId: `${options.runId}-w${i + 1}` } }));
  const leastBusy = () => threads.reduce((a, b) => (b.busy < a.busy ? b : a));
  return {
    size: threads.length,
    run: async (batch) => {
      // The batch's bytes move to the worker (no copy); they must be the whole of their ArrayBuffer.
      const { bytes } = batch;
      if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) throw new Error("a shard batch must own its buffer");
      return (await leastBusy().call<{ result: ShardBatchResult }>({ batch }, [bytes.buffer as ArrayBuffer])).result;
    },
    close: async () => {
      try {
        return await Promise.all(threads.map(async (t) => (await t.call<{ result: ShardClosed }>({ close: true })).result));
      } finally {
        await Promise.all(threads.map((t) => t.worker.terminate()));
      }
    },
  };
}
