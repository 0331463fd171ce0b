/**
 * A worker module for __tests__/local/worker-threads.test.ts: each request asks for one behaviour of a worker
 * (answer, report progress, fail, wait, die), so the test can drive the pool's every path with real threads.
 */
import { appendFileSync } from "node:fs";
import { serve } from "../../local/worker-threads";

export interface TestWorkerData {
  /** "reject": its start fails; "crash": it throws, uncaught, while starting. */
  readonly mode?: "reject" | "crash";
  /** While it runs, it appends to this file every 10 ms (so the test can tell it was stopped). */
  readonly heartbeat?: string;
}

export type TestRequest =
  | { echo: unknown; progress?: number }
  | { bytes: ArrayBuffer }
  | { fail: string }
  | { wait: number }
  | { hoard: true }
  | { exit: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

serve(
  async ({ mode, heartbeat }: TestWorkerData) => {
    if (heartbeat) setInterval(() => appendFileSync(heartbeat, "."), 10);
    if (mode === "reject") throw new Error("no database here");
    if (mode === "crash") {
      // Uncaught, so the thread itself fails (an `error` event), not just its start.
      setImmediate(() => {
        throw new Error("crashed at start");
      });
      await sleep(60_000);
    }
  },
  async (_, request: TestRequest, progress) => {
    if ("echo" in request) {
      for (let i = 1; i <= (request.progress ?? 0); i++) progress(i);
      return request.echo;
    }
    if ("bytes" in request) return request.bytes.byteLength;
    if ("fail" in request) throw new Error(request.fail);
    if ("wait" in request) return sleep(request.wait).then(() => request.wait);
    if ("hoard" in request) {
      // Keeps every string it makes, so the heap grows until the worker's memory limit stops it.
      const kept: string[] = [];
      for (let i = 0; ; i++) kept.push(`${i}`.repeat(64) + i);
    }
    process.exit(request.exit);
  },
);
