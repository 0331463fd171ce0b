/**
 * A shard worker thread of the local run, started by local/transform-pool.ts: it transforms its batches and writes
 * their rows and failed records to its own files (local/shard.ts), handing back counts only.
 */
import { createShard, type ShardBatch } from "./shard";
import { serve } from "./worker-threads";

export type ShardRequest = { batch: ShardBatch } | { close: true };

serve(createShard, (shard, request: ShardRequest) => ("batch" in request ? shard.run(request.batch) : shard.close()));
