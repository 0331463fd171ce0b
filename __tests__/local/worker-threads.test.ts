/**
 * The worker threads behind the local run and the backfill (local/worker-threads.ts), with real threads running
 * __tests__/helpers/test-worker.ts: replies and progress reach their own call, bytes move, and a worker that fails
 * to start, crashes or exits fails every waiting call with a clear message (and later ones at once): nothing hangs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startWorkerThreads, type WorkerThreads } from "../../local/worker-threads";
import type { TestRequest, TestWorkerData } from "../helpers/test-worker";

const MODULE = path.join(__dirname, "../helpers/test-worker.ts");

class Wrapped extends Error {}

const start = (data: (i: number) => TestWorkerData, count = 2) =>
  startWorkerThreads({ module: MODULE, count, data, name: "test worker", failure: (m) => new Wrapped(m) });
const call = <R>(pool: WorkerThreads, request: TestRequest, thread = pool.leastBusy()) => thread.call<R>(request);

describe("worker threads", () => {
  let pool: WorkerThreads | undefined;
  afterEach(async () => {
    await pool?.terminate();
    pool = undefined;
  });

  it("routes each reply and its progress to its own call, and spreads calls by load", async () => {
    pool = await start(() => ({}));
    const progress: Record<string, number[]> = { a: [], b: [] };
    const [a, b] = await Promise.all(
      (["a", "b"] as const).map((k, i) =>
        pool?.leastBusy().call<string, number>({ echo: k, progress: i + 2 }, { onProgress: (p) => progress[k]?.push(p) }),
      ),
    );
    expect([a, b]).toEqual(["a", "b"]);
    expect(progress).toEqual({ a: [1, 2], b: [1, 2, 3] });
    // One call in hand on the first worker: the next goes to the other one.
    const [first, second] = pool.threads;
    const waiting = call(pool, { wait: 50 }, first);
    expect(pool.leastBusy()).toBe(second);
    await waiting;
    expect(first?.busy).toBe(0);
  });

  it("moves a transferred buffer instead of copying it", async () => {
    pool = await start(() => ({}), 1);
    const bytes = new ArrayBuffer(1000);
    await expect(pool.leastBusy().call({ bytes }, { transfer: [bytes] })).resolves.toBe(1000);
    expect(bytes.byteLength).toBe(0);
  });

  it("rejects a call the worker fails with its message, as is, and goes on", async () => {
    pool = await start(() => ({}), 1);
    const failed = call(pool, { fail: "bad gzip" });
    await expect(failed).rejects.toThrow(/^bad gzip$/);
    await expect(failed).rejects.not.toBeInstanceOf(Wrapped);
    await expect(call(pool, { echo: 1 })).resolves.toBe(1);
  });

  it("rejects the start when a worker's start fails, and stops the workers that did start", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "worker-threads-"));
    const heartbeat = path.join(dir, "beats");
    writeFileSync(heartbeat, "");
    const started = start((i) => (i === 0 ? { heartbeat } : { mode: "reject" }));
    await expect(started).rejects.toThrow("test worker: no database here");
    await expect(started).rejects.toBeInstanceOf(Wrapped);
    const beats = readFileSync(heartbeat, "utf8").length;
    await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(heartbeat, "utf8").length).toBe(beats);
  });

  it("rejects the start when a worker throws while starting", async () => {
    await expect(start((i) => (i === 1 ? { mode: "crash" } : {}))).rejects.toThrow("test worker: crashed at start");
  });

  it("fails every waiting call, on every worker, when one exits mid-call, and later calls at once", async () => {
    pool = await start(() => ({}));
    const [first, second] = pool.threads;
    const settled = await Promise.allSettled([
      call(pool, { wait: 5_000 }, first),
      call(pool, { wait: 5_000 }, second),
      call(pool, { exit: 3 }, second),
    ]);
    for (const s of settled) {
      expect(s.status).toBe("rejected");
      const reason = (s as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(Wrapped);
      expect((reason as Error).message).toBe("test worker: exited with code 3");
    }
    await expect(call(pool, { echo: 1 }, first)).rejects.toThrow("test worker: exited with code 3");
  });

  it("stops a worker at its old-generation cap and says so, instead of letting it grow", async () => {
    pool = await startWorkerThreads({ module: MODULE, count: 1, data: () => ({}), name: "test worker", oldGenerationMb: 32 });
    await expect(call(pool, { hoard: true })).rejects.toThrow(/test worker.*memory limit/);
  });

  it("rejects calls after terminate instead of leaving them unanswered", async () => {
    pool = await start(() => ({}), 1);
    const waiting = expect(call(pool, { wait: 5_000 })).rejects.toThrow("test worker: terminated");
    await pool.terminate();
    await waiting;
    await expect(call(pool, { echo: 1 })).rejects.toThrow("test worker: terminated");
  });
});
