/** Removes the run's temp folder that global-setup.ts made. */
import { rmSync } from "node:fs";
import * as path from "node:path";
import { RUN_TMPDIR_PREFIX } from "./global-setup";

export default function globalTeardown(): void {
  const dir = process.env.JEST_RUN_TMPDIR;
  // Only ever the folder global-setup made.
  if (dir && path.basename(dir).startsWith(RUN_TMPDIR_PREFIX)) rmSync(dir, { recursive: true, force: true });
}
