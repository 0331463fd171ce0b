/**
 * `npm run local -- --input FILE --lake DIR [--overwrite] [--from YYYY-MM-DD --to YYYY-MM-DD] [--today YYYY-MM-DD] [--no-queries] [--workers N]`
 * (`--help` for more)
 *
 * Runs the whole data path without AWS: the real transform over the log lines
 * in FILE, Parquet and error records into DIR laid out like the S3 lake, the
 * daily rollups of every closed day, then every dashboard query (the same SQL
 * Athena runs) in DuckDB, printed.
 */

import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { DASHBOARDS } from "../queries/dashboards";
import { LocalLake, type QueryResult } from "../queries/duckdb";
import { LAKE_PREFIXES } from "../schemas/lake";
import { type CliSpec, Progress, parseCli, runMain, UsageError } from "./cli";
import { logFilesOf, runLocalLogs } from "./log-files";
import { defaultWorkers, MAX_WORKERS, MIN_WORKERS, runLocal } from "./pipeline";

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

export const LOCAL_CLI: CliSpec = {
  usage:
    "npm run local -- (--input FILE | --logs FILE|DIR) --lake DIR [--overwrite] [--from YYYY-MM-DD --to YYYY-MM-DD] [--today YYYY-MM-DD] [--no-queries] [--workers N]",
  summary:
    "Runs the data path without AWS: the real transform over the CloudFront real-time log lines in FILE, Parquet and error\n" +
    "records into DIR laid out like the S3 lake, then every dashboard query (the SQL Athena runs) in DuckDB, printed.",
  flags: {
    input: { value: "FILE", help: "CloudFront real-time log lines, one per line (`npm run sample` writes some)" },
    logs: {
      value: "FILE|DIR",
      help: "instead of --input: CloudFront standard log files (.gz, legacy or v2 W3C), one or a folder (`npm run sample -- --format standard`)",
    },
    lake: { value: "DIR", help: "where the Parquet lake is written" },
    overwrite: { type: "boolean", help: "replace the lake's events/ and errors/ if they hold files (default: refuse)" },
    from: { value: "YYYY-MM-DD", help: "first day the queries cover (with --to; default: the lake's first day)" },
    to: { value: "YYYY-MM-DD", help: "last day the queries cover (with --from; default: the lake's last day)" },
    today: {
      value: "YYYY-MM-DD",
      help: "the run's today: rollups are written for the days before it, queries read today on from raw events (default: the day after the last day)",
    },
    "no-queries": { type: "boolean", help: "write the lake only, run no query" },
    workers: {
      value: "N",
      help: `worker threads that each transform batches and write their own lake files, ${MIN_WORKERS} to ${MAX_WORKERS} (default ${defaultWorkers()}: one per core, at most 2; 0 runs it in this thread)`,
    },
  },
};

/** The failure counts as `reason N, reason N`, most frequent first. */
export function formatFailures(byReason: Readonly<Record<string, number>>): string {
  return Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
}

async function main(): Promise<void> {
  const flags = parseCli(LOCAL_CLI, process.argv.slice(2));
  // Every flag is checked here, before the transform runs and before --overwrite deletes anything.
  if (flags.has("input") && flags.has("logs")) throw new UsageError("--logs: give --input or --logs, not both");
  const logs = flags.has("logs") ? flags.string("logs") : undefined;
  if (logs !== undefined && !existsSync(logs)) throw new UsageError(`--logs: not found: ${logs}`);
  const input = logs ?? flags.inputFile("input", "CloudFront real-time log lines (`npm run sample` writes some), or --logs FILE|DIR");
  const lakeDir = flags.directory("lake", "where the Parquet lake is written");
  const window = flags.window();
  const workers = flags.int("workers", { min: MIN_WORKERS, max: MAX_WORKERS }, defaultWorkers());
  const noQueries = flags.bool("no-queries");
  const today = flags.day("today");

  const progress = new Progress(logs === undefined ? statSync(input).size : logFilesOf(logs).length, "transform");
  const todayOption = today === undefined ? {} : { today };
  const summary =
    logs === undefined
      ? await runLocal({
          input,
          lake: lakeDir,
          overwrite: flags.bool("overwrite"),
          workers,
          ...todayOption,
          onProgress: (bytes, lines) => progress.update(bytes, `${lines.toLocaleString("en-US")} lines`),
        })
      : await runLocalLogs({
          logs,
          lake: lakeDir,
          overwrite: flags.bool("overwrite"),
          ...todayOption,
          onProgress: (files, lines) => progress.update(files, `${lines.toLocaleString("en-US")} lines`),
        });
  progress.done();
  const types = Object.entries(summary.byEventType)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");
  const failures = formatFailures(summary.failuresByReason);
  const errorsDir = path.join(lakeDir, LAKE_PREFIXES.errors);
  console.log(
    `${summary.lines} lines in ${summary.batches} ${logs === undefined ? "batches" : "log files"}, ${summary.seconds.toFixed(1)} s: ${summary.ok} ok${types ? ` (${types})` : ""}, ` +
      `${summary.dropped} dropped, ${summary.failed} failed${failures ? ` (${failures})` : ""} -> ${errorsDir}`,
  );
  console.log(`${summary.parquetFiles} Parquet files (${summary.rowGroups} row groups) under ${path.join(lakeDir, LAKE_PREFIXES.events)}`);
  const rolled = summary.rollups.days;
  console.log(
    rolled
      ? `daily rollups of ${rolled.from} .. ${rolled.to}: ${summary.rollups.files} files, ${summary.rollups.rows} rows under ${path.join(lakeDir, LAKE_PREFIXES.rollups)}`
      : "daily rollups: no closed day yet",
  );
  // Nothing parsed: not a CloudFront real-time log (a wrong file, a binary), so the run produced nothing useful.
  if (summary.ok + summary.dropped === 0)
    throw new Error(
      summary.lines === 0
        ? `${input} holds no lines`
        : `no line of ${input} is a CloudFront ${logs === undefined ? "real-time" : "standard"} log record (${failures || `${summary.failed} failed`}); the failed records are under ${errorsDir}`,
    );
  if (noQueries) return;

  const lake = await LocalLake.open(lakeDir, undefined, today === undefined ? {} : { today });
  try {
    const days = window ?? lake.dayRange();
    if (!days) {
      console.log("the lake is empty: no queries to run");
      return;
    }
    console.log(`\ndashboard queries in DuckDB over ${days.from} .. ${days.to} (rollups before ${lake.today}, raw events from then on)`);
    for (const d of DASHBOARDS) {
      console.log(`\n== ${d.title} ==`);
      for (const result of await lake.runDashboard(d.id, days)) {
        console.log(`\n${result.query.title} (${result.query.id})\n${formatTable(result)}`);
      }
    }
  } finally {
    lake.close();
  }
}

if (require.main === module) runMain(main);
