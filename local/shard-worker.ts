/**
 * A shard worker thread of the local run, started by local/transform-pool.ts: it transforms its batches and writes
 * their rows and failed records to its own files (local/shard.ts), handing back counts only.
 */
import { provideGeoDatabases } from "../handlers/firehose-transform/geoip";
import { createShard, type ShardBatch, type ShardOptions } from "./shard";
import type { SharedGeoDatabases } from "./shared-geoip";
import { serve } from "./worker-threads";

export interface ShardWorkerData {
  readonly shard: ShardOptions;
  /** The run's GeoIP databases, shared by every worker. */
  readonly geo: SharedGeoDatabases;
}

export type ShardRequest = { batch: ShardBatch } | { close: true };

serve(
  ({ shard, geo }: ShardWorkerData) => {
    provideGeoDatabases(geo);
    return createShard(shard);
  },
  (shard, request: ShardRequest) => ("batch" in request ? shard.run(request.batch) : shard.close()),
);
