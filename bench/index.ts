/**
 * `npm run bench`: runs every benchmark in bench/ one after another (never in
 * parallel: they measure time and memory) and prints each one's report.
 * TypeScript benchmarks are `bench/*.bench.ts`; Python ones `bench/*.bench.py`
 * run with the project's virtualenv (.venv, made by `npm run setup:py`).
 *
 * Usage: npm run bench [-- --only <name-substring>]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";

const dir = __dirname;
const onlyIdx = process.argv.indexOf("--only");
const only = onlyIdx > 0 ? process.argv[onlyIdx + 1] : undefined;
const python = existsSync(path.join(dir, "..", ".venv", "bin", "python")) ? path.join(dir, "..", ".venv", "bin", "python") : "python3";

const files = readdirSync(dir)
  .filter((f) => /\.bench\.(ts|py)$/.test(f))
  .filter((f) => !only || f.includes(only))
  .sort();

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const file = path.join(dir, f);
  const [cmd, args] = f.endsWith(".py") ? [python, [file]] : [process.execPath, ["--import", "tsx", "--expose-gc", file]];
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: path.join(dir, "..") });
  if (result.status !== 0) failed++;
}
if (files.length === 0) console.log("no benchmarks found");
process.exit(failed ? 1 : 0);
