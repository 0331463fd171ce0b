/**
 * A worker thread of the local run, started by local/transform-pool.ts. As a transform worker (as Firehose runs
 * several Lambda invocations at once) it hands back exactly what processRecords returns; as a shard worker
 * (local/shard.ts) it also writes the batch's rows and failed records to its own files and hands back counts only.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createProcessor, type FirehoseRecordIn, type ProcessorOptions } from "../handlers/firehose-transform/processor";
import { createShard, type ShardBatch, type ShardOptions } from "./shard";

export type WorkerData =
  | { readonly kind: "transform"; readonly options: ProcessorOptions }
  | { readonly kind: "shard"; readonly options: ShardOptions };

export type WorkerRequest = { id: number; records: FirehoseRecordIn[] } | { id: number; batch: ShardBatch } | { id: number; close: true };

const port = parentPort;
if (!port) throw new Error("transform-worker runs as a worker thread");
const data = workerData as WorkerData;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const ready = data.kind === "shard" ? createShard(data.options) : createProcessor(data.options);
ready.then(
  () => port.postMessage({ ready: true }),
  (e: unknown) => port.postMessage({ ready: false, error: message(e) }),
);

port.on("message", async (msg: WorkerRequest) => {
  try {
    const worker = await ready;
    if ("records" in msg && "processRecords" in worker) port.postMessage({ id: msg.id, ...worker.processRecords(msg.records) });
    else if ("batch" in msg && "run" in worker) port.postMessage({ id: msg.id, result: worker.run(msg.batch) });
    else if ("close" in msg && "close" in worker) port.postMessage({ id: msg.id, result: worker.close() });
    else throw new Error(`a ${data.kind} worker cannot answer ${Object.keys(msg).join(", ")}`);
  } catch (e) {
    port.postMessage({ id: msg.id, error: message(e) });
  }
});
