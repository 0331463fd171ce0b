// Entry of a backfill worker thread: workers do not inherit the main thread's tsx loader, so register it here.
require("tsx/cjs/api").register();
require("./backfill-worker.ts");
