/**
 * A worker thread of the backfill: its own log-file transformer (and GeoIP database); it reads, hashes and
 * transforms whole files and sends back their objects, while the backfill's thread writes and journals them.
 * Started by local/backfill-pool.ts. Messages per file: `{ id, lines, bytes }` as it reads, then
 * `{ id, done: TransformedFile }` or `{ id, error }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogFileTransformer, type LogFileTransformerOptions } from "../handlers/log-file-transform/transform";
import { type FileToTransform, transformFile } from "./backfill-transform";

const port = parentPort;
if (!port) throw new Error("backfill-worker runs as a worker thread");
const ready = createLogFileTransformer(workerData as LogFileTransformerOptions);
ready.then(
  () => port.postMessage({ ready: true }),
  (e: unknown) => port.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) }),
);

port.on("message", async (msg: { id: number; file: FileToTransform }) => {
  try {
    const transformer = await ready;
    const done = await transformFile(transformer, msg.file, (lines, bytes) => port.postMessage({ id: msg.id, lines, bytes }));
    // Copied, not transferred: a small object's bytes may sit in Node's shared buffer pool.
    port.postMessage({ id: msg.id, done });
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
