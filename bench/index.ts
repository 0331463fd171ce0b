/**
 * `npm run bench`: runs every benchmark in bench/ one after another (never in
 * parallel: they measure time and memory) and prints each one's report.
 * TypeScript benchmarks are `bench/*.bench.ts`; Python ones `bench/*.bench.py`
 * run with the project's virtualenv (.venv, made by `npm run setup:py`).
 *
 * Usage: npm run bench [-- --only <name-substring>] (`--help` for more)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { type CliSpec, parseCli, runMain, UsageError } from "../local/cli";
import { loadAverage } from "./summary";

const dir = __dirname;
const python = existsSync(path.join(dir, "..", ".venv", "bin", "python")) ? path.join(dir, "..", ".venv", "bin", "python") : "python3";

/** Every benchmark file in bench/, sorted. */
export function benchFiles(): string[] {
  return readdirSync(dir)
    .filter((f) => /\.bench\.(ts|py)$/.test(f))
    .sort();
}

export const BENCH_CLI: CliSpec = {
  usage: "npm run bench [-- --only NAME[,NAME...]]",
  summary:
    "Runs every benchmark in bench/ one after another (never in parallel: they measure time and memory) and prints each\n" +
    "one's report. Exits 1 when any benchmark exits non-zero.",
  flags: {
    only: { value: "NAME[,NAME...]", help: "run only the benchmarks whose file name contains one of the NAMEs" },
  },
};

function main(): void {
  const flags = parseCli(BENCH_CLI, process.argv.slice(2));
  const only = flags.string("only");
  const names = only?.split(",").filter(Boolean) ?? [];
  const files = benchFiles().filter((f) => names.length === 0 || names.some((n) => f.includes(n)));
  if (files.length === 0)
    throw new UsageError(`--only: no benchmark matches ${JSON.stringify(only)}; there are ${benchFiles().join(", ")}`);

  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  const summaryFile = path.join(mkdtempSync(path.join(tmpdir(), "bench-summary-")), "summary.jsonl");
  const started = new Date().toISOString();
  let failed = 0;
  for (const f of files) {
    console.log(`\n=== ${f} ===`);
    const file = path.join(dir, f);
    const [cmd, args] = f.endsWith(".py") ? [python, [file]] : [process.execPath, ["--import", "tsx", "--expose-gc", file]];
    const result = spawnSync(cmd, args, {
      stdio: "inherit",
      cwd: path.join(dir, ".."),
      env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile },
    });
    if (result.status !== 0) failed++;
  }
  printSummary(summaryFile, started);
  if (failed) process.exitCode = 1;
}

/** The headline figures every bench recorded (bench/summary.ts), with the load average each was taken at. */
function printSummary(file: string, started: string): void {
  if (!existsSync(file)) return;
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { bench: string; figure: string; value: string; target?: string; met?: boolean; load: string });
  if (rows.length === 0) return;
  const load = loadAverage();
  console.log(`\n=== summary (started ${started}, ended ${new Date().toISOString()}, load average now ${load}) ===`);
  for (const r of rows) {
    const verdict = r.met === undefined ? "" : r.met ? "  [met]" : "  [NOT met]";
    const target = r.target ? ` (target ${r.target})` : "";
    console.log(`${r.bench.padEnd(12)} ${r.figure}: ${r.value}${target}${verdict}  [load ${r.load}]`);
  }
}

if (require.main === module) runMain(main);
