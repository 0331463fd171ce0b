/**
 * A worker thread running the real transform, as Firehose runs several Lambda
 * invocations at once: the local runner hands it batches and gets back exactly
 * what processRecords returns. Started by local/transform-pool.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createProcessor, type FirehoseRecordIn, type ProcessorOptions } from "../handlers/firehose-transform/processor";

const port = parentPort;
if (!port) throw new Error("transform-worker runs as a worker thread");
const ready = createProcessor(workerData as ProcessorOptions);
ready.then(
  () => port.postMessage({ ready: true }),
  (e: unknown) => port.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) }),
);

port.on("message", async (msg: { id: number; records: FirehoseRecordIn[] }) => {
  try {
    const processor = await ready;
    port.postMessage({ id: msg.id, ...processor.processRecords(msg.records) });
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
