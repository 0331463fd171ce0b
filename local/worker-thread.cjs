// Entry of every worker thread (local/worker-threads.ts): workers do not inherit the main thread's tsx loader, so
// register it here, then load the worker module named in workerData.
require("tsx/cjs/api").register();
require(require("node:worker_threads").workerData.module);
