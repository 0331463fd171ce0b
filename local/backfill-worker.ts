/**
 * A worker thread of the backfill: its own log-file transformer (over the backfill's shared GeoIP copy); it reads, hashes and
 * transforms whole files and sends back their objects, while the backfill's thread writes and journals them.
 * Started by local/backfill-pool.ts. Per file it sends progress `{ lines, bytes }` as it reads, then the file.
 */
import { provideGeoDatabases } from "../handlers/firehose-transform/geoip";
import { createLogFileTransformer, type LogFileTransformerOptions } from "../handlers/log-file-transform/transform";
import { type FileToTransform, transformFile } from "./backfill-transform";
import type { SharedGeoDatabases } from "./shared-geoip";
import { serve } from "./worker-threads";

export interface BackfillWorkerData {
  readonly transformer: LogFileTransformerOptions;
  /** The backfill's GeoIP databases, shared by every worker. */
  readonly geo: SharedGeoDatabases;
}

export interface BackfillRequest {
  file: FileToTransform;
}

// The file comes back copied, not transferred: a small object's bytes may sit in Node's shared buffer pool.
serve(
  ({ transformer, geo }: BackfillWorkerData) => {
    provideGeoDatabases(geo);
    return createLogFileTransformer(transformer);
  },
  (transformer, { file }: BackfillRequest, progress) => transformFile(transformer, file, (lines, bytes) => progress({ lines, bytes })),
);
