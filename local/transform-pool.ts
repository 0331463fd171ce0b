/**
 * Runs the local run's shards (local/shard.ts) in this thread or in worker threads (local/shard-worker.ts). Each
 * shard transforms its batches and writes the lake itself, so only a batch's bytes (transferred, not copied) and its
 * counts cross threads and the workers scale with the cores. Results come back per batch.
 */
import * as path from "node:path";
import { createShard, type ShardBatch, type ShardBatchResult, type ShardClosed, type ShardOptions } from "./shard";
import type { ShardRequest, ShardWorkerData } from "./shard-worker";
import { geoFilesOf, readSharedGeoDatabases } from "./shared-geoip";
import { startWorkerThreads, type WorkerThread } from "./worker-threads";

/** Shards writing the lake: `run` gives a batch to the least busy one; `close` finishes every shard's files. */
export interface ShardPool {
  readonly size: number;
  run(batch: ShardBatch): Promise<ShardBatchResult>;
  close(): Promise<ShardClosed[]>;
}

/** One shard in this thread (`--workers 0`). */
export async function inProcessShards(options: ShardOptions): Promise<ShardPool> {
  const shard = await createShard(options);
  return { size: 1, run: async (batch) => shard.run(batch), close: async () => [shard.close()] };
}

/** `count` shard worker threads, shard `i` naming its files with `${runId}-w${i + 1}`, all sharing one copy of GeoIP. */
export async function workerShards(options: ShardOptions, count: number): Promise<ShardPool> {
  const geo = readSharedGeoDatabases(geoFilesOf(options.processor));
  const pool = await startWorkerThreads({
    module: path.join(__dirname, "shard-worker.ts"),
    count,
    data: (i): ShardWorkerData => ({ shard: { ...options, runId: `${options.runId}-w${i + 1}` }, geo }),
    name: "shard worker",
  });
  const send = <R>(thread: WorkerThread, request: ShardRequest, transfer?: ArrayBuffer[]) => thread.call<R>(request, { transfer });
  return {
    size: pool.threads.length,
    run: async (batch) => {
      // The batch's bytes move to the worker (no copy); they must be the whole of their ArrayBuffer.
      const { bytes } = batch;
      if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) throw new Error("a shard batch must own its buffer");
      return send<ShardBatchResult>(pool.leastBusy(), { batch }, [bytes.buffer as ArrayBuffer]);
    },
    close: async () => {
      try {
        return await Promise.all(pool.threads.map((t) => send<ShardClosed>(t, { close: true })));
      } finally {
        await pool.terminate();
      }
    },
  };
}
