/**
 * The local HTML report (`npm run dashboard`) over a 30-day sample lake: every
 * Documents, QR, traffic and health query in DuckDB, then the HTML. Prints the
 * median of BENCH_RUNS runs (default 5) and the size of the page.
 * Env: BENCH_DASHBOARD_DAYS (default 30), BENCH_DASHBOARD_SESSIONS (per day, default 300), BENCH_RUNS.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeReport } from "../local/dashboard";
import { generateTraffic } from "../local/generator";
import { runLocal } from "../local/pipeline";

const DAYS = Number(process.env.BENCH_DASHBOARD_DAYS ?? 30);
const SESSIONS = Number(process.env.BENCH_DASHBOARD_SESSIONS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WORK = path.join(tmpdir(), "bench-dashboard");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const lines: string[] = [];
  generateTraffic({ seed: 3, days: DAYS, start: "2025-06-01", sessionsPerDay: SESSIONS }, (l) => lines.push(l));
  const input = path.join(WORK, "sample.tsv");
  writeFileSync(input, `${lines.join("\n")}\n`);
  const lake = path.join(WORK, "lake");
  await runLocal({ input, lake });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    bytes = (await writeReport(lake, path.join(WORK, "report.html"))).length;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(
    `report over ${DAYS} days, ${lines.length.toLocaleString("en-US")} log lines: median ${median(times).toFixed(2)} s ` +
      `(runs: ${times.map((t) => t.toFixed(2)).join(", ")}), page ${(bytes / 1024).toFixed(0)} KiB`,
  );
  rmSync(WORK, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
