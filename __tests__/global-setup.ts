/**
 * One temp folder per jest run: every test, cdktf's Testing outdirs (cdktf.outdir.*), tsx subprocesses and
 * browser profiles write under it through TMPDIR (os.tmpdir() reads it), and global-teardown.ts removes it, so a
 * run leaves nothing behind in the machine's temp dir however a test ends.
 */
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const RUN_TMPDIR_PREFIX = "jest-run-";

export default function globalSetup(): void {
  const dir = mkdtempSync(path.join(tmpdir(), RUN_TMPDIR_PREFIX));
  // Searchable by others: the setup-browser test runs its script as `nobody` over files in here.
  chmodSync(dir, 0o755);
  process.env.JEST_RUN_TMPDIR = dir;
  // Set before jest starts its workers, so they and every process they start inherit it.
  process.env.TMPDIR = dir;
  // The AWS SDK warns once per process that it will soon need Node 22 (package.json engines allows 20.9+): a known
  // fact about the runtime, not about a test, and one stderr block per jest worker.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}
