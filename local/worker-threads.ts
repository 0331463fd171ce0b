/**
 * Worker threads for the local run (local/transform-pool.ts) and the backfill (local/backfill-pool.ts): both sides of
 * one small protocol. A worker module calls `serve`; the main thread calls `startWorkerThreads`, which starts each
 * worker through local/worker-thread.cjs (workers do not inherit the main thread's tsx loader), waits for `{ready}`,
 * sends requests with ids and routes `{id, progress}` and the final `{id, result}` or `{id, error}` back by id.
 * A worker that dies (throws, exits) fails every waiting and later call with its reason: the pool is no longer
 * whole, and a call to a dead worker would otherwise never be answered.
 */
import * as path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";

type Reply =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; progress: unknown }
  | { id: number; result: unknown }
  | { id: number; error: string };

/** What the shim hands a worker: the module it loads and that module's own data. */
interface ThreadData {
  readonly module: string;
  readonly data: unknown;
}

const SHIM = path.join(__dirname, "worker-thread.cjs");
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface CallOptions<P> {
  /** Moved to the worker, not copied: unusable here afterwards. */
  transfer?: ArrayBuffer[];
  onProgress?: (progress: P) => void;
}

export interface WorkerThread {
  /** Calls sent to this worker and not yet answered. */
  readonly busy: number;
  call<R, P = never>(request: object, options?: CallOptions<P>): Promise<R>;
}

export interface WorkerThreads {
  readonly threads: readonly WorkerThread[];
  leastBusy(): WorkerThread;
  /** Stops every worker; calls still waiting, or made later, reject ("terminated"). */
  terminate(): Promise<void>;
}

export interface WorkerThreadsOptions<D> {
  /** The worker module (a .ts file calling `serve`). */
  module: string;
  count: number;
  /** Worker `index`'s data, handed to its `start`. */
  data: (index: number) => D;
  /** Names the workers in failure messages, e.g. "backfill worker". */
  name: string;
  /** Makes the error that start failures and dead workers reject with (default: an Error). */
  failure?: (message: string) => Error;
  /** V8 young generation per worker in MB (`resourceLimits.maxYoungGenerationSizeMb`). @default WORKER_YOUNG_GENERATION_MB */
  youngGenerationMb?: number;
  /** V8 old generation per worker in MB (`resourceLimits.maxOldGenerationSizeMb`). @default WORKER_OLD_GENERATION_MB */
  oldGenerationMb?: number;
}

/**
 * The workers make short-lived rows and strings by the million; with V8's default young generation they are promoted
 * and collected again. 96 MB: the local-run bench (2026-12-02 14:20 UTC, load 1.5-1.8, 1M lines, 2 workers) took
 * 33.1 CPU-s instead of 38.0 with the default, at the same peak memory (987 vs 989 MB).
 */
export const WORKER_YOUNG_GENERATION_MB = 96;

/**
 * Uncapped, V8 sizes a worker's heap from the machine's memory and lets its old generation grow to about four times
 * what is live before collecting it: a local-run shard grew to 615 MB and came back to 149 MB live (--trace-gc, 1M
 * lines, 2026-12-02), and a run with one worker peaked at 1,054 MB. 512 MB leaves over 3x that live size (a shard
 * buffers at most 100,000 rows, ~1 KB each) and kept the run at 649 MB with one worker, 876-906 MB with two.
 */
export const WORKER_OLD_GENERATION_MB = 512;

/** `count` started workers; rejects (all stopped) if any fails to start. Needs tsx installed, not the runner started through it. */
export async function startWorkerThreads<D>(options: WorkerThreadsOptions<D>): Promise<WorkerThreads> {
  const { count, data, name } = options;
  const failure = options.failure ?? ((m: string) => new Error(m));
  const waiting = new Map<
    number,
    { thread: Thread; onProgress?: (p: never) => void; resolve: (r: never) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let failed: Error | undefined;
  const fail = (message: string) => {
    failed ??= failure(`${name}: ${message}`);
    for (const p of waiting.values()) p.reject(failed);
    waiting.clear();
  };

  class Thread implements WorkerThread {
    busy = 0;
    constructor(readonly worker: Worker) {}
    call<R, P = never>(request: object, { transfer, onProgress }: CallOptions<P> = {}): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        if (failed) return reject(failed);
        const id = nextId++;
        this.busy++;
        waiting.set(id, { thread: this, onProgress: onProgress as (p: never) => void, resolve, reject });
        this.worker.postMessage({ ...request, id }, transfer);
      });
    }
  }

  const threads = Array.from(
    { length: count },
    (_, index) =>
      new Thread(
        new Worker(SHIM, {
          workerData: { module: options.module, data: data(index) } satisfies ThreadData,
          resourceLimits: {
            maxYoungGenerationSizeMb: options.youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB,
            maxOldGenerationSizeMb: options.oldGenerationMb ?? WORKER_OLD_GENERATION_MB,
          },
        }),
      ),
  );
  const terminate = async () => {
    fail("terminated");
    await Promise.all(threads.map((t) => t.worker.terminate()));
  };
  const started = await Promise.allSettled(
    threads.map(
      (thread) =>
        new Promise<void>((resolve, reject) => {
          const { worker } = thread;
          worker.on("message", (m: Reply) => {
            if ("ready" in m) return m.ready ? resolve() : reject(failure(`${name}: ${m.error}`));
            const p = waiting.get(m.id);
            if (!p) return;
            if ("progress" in m) return p.onProgress?.(m.progress as never);
            waiting.delete(m.id);
            p.thread.busy--;
            if ("error" in m) p.reject(new Error(m.error));
            else p.resolve(m.result as never);
          });
          worker.on("error", (e) => {
            reject(failure(`${name}: ${e.message}`));
            fail(e.message);
          });
          worker.on("exit", (code) => {
            reject(failure(`${name}: exited with code ${code} before it was ready`));
            fail(`exited with code ${code}`);
          });
        }),
    ),
  );
  const notStarted = started.find((s) => s.status === "rejected");
  if (notStarted) {
    await terminate();
    throw notStarted.reason;
  }
  return { threads, leastBusy: () => threads.reduce((a, b) => (b.busy < a.busy ? b : a)), terminate };
}

/** What a worker's `handle` gets besides the request: `progress` sends `{id, progress}` before the reply. */
export type Progress<P> = (progress: P) => void;

/**
 * The worker side: `start` (once, with this worker's data) then `handle` per request, its result (or error) sent
 * back under the request's id. Results are copied; `handle` returns only what should cross.
 */
export function serve<D, S, Q extends object>(
  start: (data: D) => Promise<S>,
  handle: (state: S, request: Q, progress: Progress<unknown>) => unknown,
): void {
  const port = parentPort;
  if (!port) throw new Error("a worker module runs as a worker thread (local/worker-threads.ts)");
  const ready = start((workerData as ThreadData).data as D);
  ready.then(
    () => port.postMessage({ ready: true }),
    (e: unknown) => port.postMessage({ ready: false, error: messageOf(e) }),
  );
  port.on("message", async ({ id, ...request }: Q & { id: number }) => {
    try {
      const result = await handle(await ready, request as unknown as Q, (progress) => port.postMessage({ id, progress }));
      port.postMessage({ id, result });
    } catch (e) {
      port.postMessage({ id, error: messageOf(e) });
    }
  });
}
