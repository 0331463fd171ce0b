/**
 * `npm run local -- --input FILE --lake DIR [--overwrite] [--from YYYY-MM-DD --to YYYY-MM-DD] [--no-queries] [--workers N]`
 *
 * Runs the whole data path without AWS: the real transform over the log lines
 * in FILE, Parquet and error records into DIR laid out like the S3 lake, then
 * every dashboard query (the same SQL Athena runs) in DuckDB, printed.
 */

import { statSync } from "node:fs";
import * as path from "node:path";
import { DASHBOARDS } from "../queries/dashboards";
import { LocalLake, type QueryResult } from "../queries/duckdb";
import type { DayWindow } from "../queries/render";
import { intFlag, Progress, parseFlags, runMain, UsageError } from "./cli";
import { defaultWorkers, runLocal } from "./pipeline";

const MAX_ROWS = 12;

/** A result as an aligned text table, at most MAX_ROWS rows. */
export function formatTable(result: QueryResult): string {
  const cols = result.query.columns.map((c) => c.name);
  const shown = result.rows.slice(0, MAX_ROWS);
  const cell = (v: unknown) =>
    v === null || v === undefined ? "-" : typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...shown.map((r) => cell(r[c]).length)));
  const numeric = result.query.columns.map((c) => c.type === "integer" || c.type === "double");
  const fmt = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number))).join("  ");
  const lines = [fmt(cols), widths.map((w) => "-".repeat(w)).join("  "), ...shown.map((r) => fmt(cols.map((c) => cell(r[c]))))];
  if (result.rows.length > MAX_ROWS) lines.push(`... ${result.rows.length - MAX_ROWS} more rows`);
  if (result.rows.length === 0) lines.push("(no rows)");
  return lines.map((l) => `  ${l.trimEnd()}`).join("\n");
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    input: "value",
    lake: "value",
    overwrite: "flag",
    from: "value",
    to: "value",
    "no-queries": "flag",
    workers: "value",
  });
  const input = flags.get("input");
  const lakeDir = flags.get("lake");
  if (typeof input !== "string")
    throw new UsageError("--input FILE is required (CloudFront real-time log lines; `npm run sample` writes some)");
  if (typeof lakeDir !== "string") throw new UsageError("--lake DIR is required (where the Parquet lake is written)");
  const from = flags.get("from");
  const to = flags.get("to");
  if ((from === undefined) !== (to === undefined)) throw new UsageError("--from and --to go together");

  let total = 0;
  try {
    total = statSync(input).size;
  } catch {
    // runLocal reports the missing file.
  }
  const progress = new Progress(total, "transform");
  const summary = await runLocal({
    input,
    lake: lakeDir,
    overwrite: flags.get("overwrite") === true,
    workers: intFlag(flags, "workers", defaultWorkers()),
    onProgress: (bytes, lines) => progress.update(bytes, `${lines.toLocaleString("en-US")} lines`),
  });
  progress.done();
  const types = Object.entries(summary.byEventType)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");
  console.log(
    `${summary.lines} lines in ${summary.batches} batches, ${summary.seconds.toFixed(1)} s: ${summary.ok} ok (${types}), ` +
      `${summary.dropped} dropped, ${summary.failed} failed -> ${path.join(lakeDir, "errors")}/`,
  );
  console.log(`${summary.parquetFiles} Parquet files (${summary.rowGroups} row groups) under ${path.join(lakeDir, "events")}/`);
  if (flags.get("no-queries") === true) return;

  const lake = await LocalLake.open(lakeDir);
  try {
    const window: DayWindow | undefined = typeof from === "string" && typeof to === "string" ? { from, to } : lake.dayRange();
    if (!window) {
      console.log("the lake is empty: no queries to run");
      return;
    }
    console.log(`\ndashboard queries in DuckDB over ${"from" in window ? `${window.from} .. ${window.to}` : "the window"}`);
    for (const d of DASHBOARDS) {
      console.log(`\n== ${d.title} ==`);
      for (const result of await lake.runDashboard(d.id, window)) {
        console.log(`\n${result.query.title} (${result.query.id})\n${formatTable(result)}`);
      }
    }
  } finally {
    lake.close();
  }
}

if (require.main === module) runMain(main);
