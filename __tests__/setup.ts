import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";
import { captureNotice, isSynthNotice } from "./helpers/notices";

Testing.setupJest();

// Expected synth notices are captured (helpers/notices.ts), not printed; any other console.log still prints. A plain
// function, not a jest spy: a test's own spyOn(console, "log") and its mockRestore() or restoreAllMocks() wrap and
// give back this one, so it holds for the whole file, module-level and beforeAll synths included.
const print = console.log.bind(console);
console.log = (...args: unknown[]) => {
  if (args.length === 1 && isSynthNotice(args[0])) captureNotice(args[0]);
  else print(...args);
};
