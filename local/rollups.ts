/**
 * The daily rollups on a local lake, what the daily job does in AWS after compaction: for every closed day
 * (before `today`), each rollup's own SQL runs in DuckDB over the raw events and the day's rows are written as
 * ONE Parquet file, `rollups/<name>/year=../month=../day=../part-00000.parquet`, with the schema derived from
 * the rollup's zod row schema (the Glue table's). The file is written under a temporary name and renamed over
 * the day's file, so a rerun replaces the day whole and a reader never sees half a day or two files of it.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import { LocalLake, nextDay } from "../queries/duckdb";
import { parquetSchema, rowsToColumnData } from "../schemas/generators/parquet";
import { ROLLUP_FILE } from "../schemas/lake";
import { ROLLUP_NAMES, ROLLUPS, type RollupName, rollupDayPrefix } from "../schemas/rollups";

export interface RollupRunOptions {
  /** Days before this one are closed and rolled up. @default the day after the lake's last day: every day */
  readonly today?: string;
  /** The rollups to write. @default all of schemas/rollups.ts */
  readonly names?: readonly RollupName[];
}

export interface RollupRunSummary {
  /** The closed days rolled up, first and last (undefined: no closed day). */
  readonly days: { readonly from: string; readonly to: string } | undefined;
  readonly files: number;
  readonly rows: number;
}

/** Write one rollup day's rows (replacing the day's file), or remove the day's file when there are none. */
export function writeRollupDay(
  lakeDir: string,
  name: RollupName,
  day: string,
  rows: readonly Record<string, unknown>[],
): string | undefined {
  const dir = path.join(lakeDir, rollupDayPrefix(name, day));
  const file = path.join(dir, ROLLUP_FILE);
  if (rows.length === 0) {
    // A day that has no rows now has none in the table either, even if an earlier run wrote some.
    rmSync(file, { force: true });
    return undefined;
  }
  mkdirSync(dir, { recursive: true });
  // Not *.parquet: the table's readers glob *.parquet and must never see the file half written.
  const tmp = path.join(dir, `.${ROLLUP_FILE}.${process.pid}.tmp`);
  const schema = ROLLUPS[name].schema;
  const writer = new ParquetWriter({
    writer: fileWriter(tmp),
    schema: parquetSchema(schema),
    createdBy: "cloudfront-analytics local rollups",
  });
  // fileWriter flushes synchronously, so write() and finish() return no promise worth awaiting.
  void writer.write({ columnData: rowsToColumnData(schema, rows), rowGroupSize: rows.length });
  void writer.finish();
  renameSync(tmp, file);
  return file;
}

/** Roll up every closed day of the lake's events (days before `today`). */
export async function buildRollups(lakeDir: string, options: RollupRunOptions = {}): Promise<RollupRunSummary> {
  if (!existsSync(lakeDir)) throw new Error(`lake directory not found: ${lakeDir}`);
  const lake = await LocalLake.open(lakeDir);
  try {
    const range = lake.dayRange();
    if (!range) return { days: undefined, files: 0, rows: 0 };
    const today = options.today ?? nextDay(range.to);
    const last = range.to < today ? range.to : new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    if (last < range.from) return { days: undefined, files: 0, rows: 0 };
    let files = 0;
    let total = 0;
    for (const name of options.names ?? ROLLUP_NAMES) {
      // One query over all closed days, split by day: the same rows as the job's one query per day, since the SQL groups by day.
      const byDay = new Map<string, Record<string, unknown>[]>();
      for (const row of await lake.rollupRows(name, { from: range.from, to: last })) {
        const { year, month, day, ...rest } = row;
        const key = `${String(year)}-${String(month)}-${String(day)}`;
        const list = byDay.get(key) ?? [];
        list.push(rest);
        byDay.set(key, list);
      }
      for (let d = range.from; d <= last; d = nextDay(d)) {
        const rows = byDay.get(d) ?? [];
        if (writeRollupDay(lakeDir, name, d, rows)) files++;
        total += rows.length;
      }
    }
    return { days: { from: range.from, to: last }, files, rows: total };
  } finally {
    lake.close();
  }
}
