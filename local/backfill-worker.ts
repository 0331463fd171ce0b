/**
 * A worker thread of the backfill: its own log-file transformer (and GeoIP database); it reads, hashes and
 * transforms whole files and sends back their objects, while the backfill's thread writes and journals them.
 * Started by local/backfill-pool.ts. Per file it sends progress `{ lines, bytes }` as it reads, then the file.
 */
import { createLogFileTransformer } from "../handlers/log-file-transform/transform";
import { type FileToTransform, transformFile } from "./backfill-transform";
import { serve } from "./worker-threads";

export interface BackfillRequest {
  file: FileToTransform;
}

// The file comes back copied, not transferred: a small object's bytes may sit in Node's shared buffer pool.
serve(createLogFileTransformer, (transformer, { file }: BackfillRequest, progress) =>
  transformFile(transformer, file, (lines, bytes) => progress({ lines, bytes })),
);
