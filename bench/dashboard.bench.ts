/**
 * Two dashboard figures over generated 30-day lakes:
 *
 * 1. The local HTML report (`npm run dashboard`): every Documents, QR, traffic and health query in DuckDB, then
 *    the HTML; the median of BENCH_RUNS runs (default 5) and the size of the page.
 * 2. Bytes one full dashboard refresh scans, as Athena bills them, at N and 10N sample events per day (issue 15's
 *    target: the larger lake's refresh scans less than 1.2x the smaller one's). The refresh runs at the shipped
 *    SPICE time (config/dashboards.ts DEFAULT_REFRESH, 01:30 UTC, after the daily rollups): the 30-day window is 29
 *    closed days read from the rollups and today, whose events up to 01:30 are read raw (the generated lake holds
 *    today's lines up to that time only). Every metric of the catalogue runs once (the named queries; QuickSight
 *    refreshes those on its surface). A query's bytes: over the files its partition predicates select, the
 *    compressed size of the column chunks of the columns it reads (DuckDB `parquet_metadata()`), which is what
 *    Athena scans from Parquet; error records are JSON, read whole. The old figure (every day read raw, what the
 *    dashboards did before rollups) is the same computation with no closed day.
 *
 * Env: BENCH_DASHBOARD_DAYS (default 30), BENCH_DASHBOARD_SESSIONS (per day, report part, default 300), BENCH_RUNS,
 * BENCH_ROLLUP_SESSIONS (N in sessions per day, about 7 log lines each; default 300, about 2,100 events a day, so
 * 10N is about 21,000 a day (0.25 request/s) and the bench stays within minutes on a 2-core machine).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULT_REFRESH } from "../config/dashboards";
import { writeReport } from "../local/dashboard";
import { leadingTimestampMs } from "../local/firehose";
import { generateTraffic } from "../local/generator";
import { runLocal } from "../local/pipeline";
import { CATALOGUE, type Metric } from "../queries/catalogue";
import { LocalLake, nextDay } from "../queries/duckdb";
import { querySource, rollupSource } from "../queries/render";
import { columnsOf } from "../schemas/columns";
import { EVENT_TYPES, EventRowSchema } from "../schemas/event";
import { LAKE_PREFIXES } from "../schemas/lake";
import { ROLLUPS, rollupDayPrefix } from "../schemas/rollups";

const DAYS = Number(process.env.BENCH_DASHBOARD_DAYS ?? 30);
const SESSIONS = Number(process.env.BENCH_DASHBOARD_SESSIONS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROLLUP_SESSIONS = Number(process.env.BENCH_ROLLUP_SESSIONS ?? 300);
const WORK = path.join(tmpdir(), "bench-dashboard");
const START = "2025-06-01";
/** Athena bills at least 10 MB per query (https://aws.amazon.com/athena/pricing/; athena.guide "Athena Basics: Pricing Model"). */
const ATHENA_MIN_BYTES = 10 * 1024 * 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function reportTiming(): Promise<void> {
  const dir = path.join(WORK, "report");
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  generateTraffic({ seed: 3, days: DAYS, start: START, sessionsPerDay: SESSIONS }, (l) => lines.push(l));
  const input = path.join(dir, "sample.tsv");
  writeFileSync(input, `${lines.join("\n")}\n`);
  const lake = path.join(dir, "lake");
  await runLocal({ input, lake });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    bytes = (await writeReport(lake, path.join(dir, "report.html"))).length;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(
    `report over ${DAYS} days, ${lines.length.toLocaleString("en-US")} log lines: median ${median(times).toFixed(2)} s ` +
      `(runs: ${times.map((t) => t.toFixed(2)).join(", ")}), page ${(bytes / 1024).toFixed(0)} KiB`,
  );
}

// ---------------------------------------------------------------- bytes scanned by one refresh

const EVENT_COLUMNS = columnsOf(EventRowSchema).map((c) => c.name);
const word = (sql: string, name: string) => new RegExp(`\\b${name}\\b`).test(sql.replace(/--[^\n]*/g, ""));

/** The `events` columns and event-type partitions a rollup's SQL reads (every type when it filters none). */
function rawReads(sql: string): { columns: string[]; types: string[] } {
  // Only a WHERE condition selects partitions; a type named inside an expression (traffic_daily's count_if) does not.
  const types = [...sql.matchAll(/(?:WHERE|AND) event_type = '([a-z_]+)'/g)].map((m) => m[1] as string);
  return { columns: EVENT_COLUMNS.filter((c) => word(sql, c)), types: types.length > 0 ? [...new Set(types)] : [...EVENT_TYPES] };
}

/** Parquet files directly in the given partition folders. */
function parquetFiles(dirs: readonly string[]): string[] {
  return dirs.filter(existsSync).flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".parquet"))
      .map((f) => path.join(d, f)),
  );
}

function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDay(d)) out.push(d);
  return out;
}

const dayPath = (day: string) => {
  const [y, m, d] = day.split("-");
  return `year=${y}/month=${m}/day=${d}`;
};

/** Compressed bytes of the named columns' chunks in these files. */
async function columnBytes(lake: LocalLake, files: readonly string[], columns: readonly string[]): Promise<number> {
  if (files.length === 0 || columns.length === 0) return 0;
  const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ");
  const names = columns.map((c) => `'${c}'`).join(", ");
  const rows = await lake.sql(
    `SELECT coalesce(sum(total_compressed_size), 0)::BIGINT AS bytes FROM parquet_metadata([${list}]) WHERE path_in_schema IN (${names})`,
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** Bytes one query scans over the window when days before `today` come from its rollup: [from the rollup, raw]. */
async function queryBytes(lake: LocalLake, m: Metric, window: { from: string; to: string }, today: string): Promise<[number, number]> {
  const lakeDir = lake.lakeDir;
  const rollup = m.rollup;
  if (rollup === undefined) {
    // The error records (JSON lines) of the window's days, read whole.
    const dir = path.join(lakeDir, LAKE_PREFIXES.errors);
    if (!existsSync(dir)) return [0, 0];
    const days = new Set(daysFrom(window.from, window.to).map(dayPath));
    const bytes = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => [...days].some((d) => f.includes(`${d}/`)) && statSync(path.join(dir, f)).isFile())
      .reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
    return [0, bytes];
  }
  const closed = daysFrom(window.from, window.to).filter((d) => d < today);
  const open = daysFrom(window.from, window.to).filter((d) => d >= today);
  const rollupFiles = parquetFiles(closed.map((d) => path.join(lakeDir, rollupDayPrefix(rollup, d))));
  // The closed branch reads the rollup columns the metric's SQL names (Trino prunes the others through the UNION).
  const metricSql = querySource(m);
  const fromRollup = await columnBytes(
    lake,
    rollupFiles,
    columnsOf(ROLLUPS[rollup].schema)
      .map((c) => c.name)
      .filter((c) => word(metricSql, c)),
  );
  const reads = rawReads(rollupSource(rollup));
  const rawDirs = reads.types.flatMap((t) => open.map((d) => path.join(lakeDir, LAKE_PREFIXES.events, `event_type=${t}`, dayPath(d))));
  return [fromRollup, await columnBytes(lake, parquetFiles(rawDirs), reads.columns)];
}

interface RefreshBytes {
  readonly events: number;
  readonly bytes: number;
  readonly billed: number;
  readonly rawOnly: number;
  readonly rawOnlyBilled: number;
  /** Per metric id: [bytes from the rollup's files, bytes of today's raw events]. */
  readonly perQuery: Record<string, readonly [number, number]>;
}

/** Generate N sessions a day for the window (today up to the refresh time), build lake and rollups, count one refresh's bytes. */
async function refreshBytes(sessions: number): Promise<RefreshBytes> {
  const dir = path.join(WORK, `refresh-${sessions}`);
  mkdirSync(dir, { recursive: true });
  const today = new Date(Date.parse(`${START}T00:00:00Z`) + (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const cutoff = Date.parse(`${today}T${DEFAULT_REFRESH.timeOfDay}:00Z`);
  if (DEFAULT_REFRESH.timezone !== "UTC")
    throw new Error(`the bench models a UTC refresh time; DEFAULT_REFRESH is in ${DEFAULT_REFRESH.timezone}`);
  const lines: string[] = [];
  let last = 0;
  generateTraffic({ seed: 7, days: DAYS, start: START, sessionsPerDay: sessions }, (l) => {
    last = leadingTimestampMs(l) ?? last;
    if (last < cutoff) lines.push(l);
  });
  const input = path.join(dir, "sample.tsv");
  writeFileSync(input, `${lines.join("\n")}\n`);
  const lakeDir = path.join(dir, "lake");
  await runLocal({ input, lake: lakeDir, today, workers: 1 });
  const lake = await LocalLake.open(lakeDir, undefined, { today });
  try {
    const window = { from: START, to: today };
    let bytes = 0;
    let billed = 0;
    let rawOnly = 0;
    let rawOnlyBilled = 0;
    const perQuery: Record<string, readonly [number, number]> = {};
    for (const m of CATALOGUE.metrics) {
      const split = await queryBytes(lake, m, window, today);
      perQuery[m.id] = split;
      const b = split[0] + split[1];
      const r = (await queryBytes(lake, m, window, START)).reduce((x, y) => x + y, 0);
      bytes += b;
      billed += Math.max(b, ATHENA_MIN_BYTES);
      rawOnly += r;
      rawOnlyBilled += Math.max(r, ATHENA_MIN_BYTES);
    }
    return { events: lines.length, bytes, billed, rawOnly, rawOnlyBilled, perQuery };
  } finally {
    lake.close();
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function refreshScan(): Promise<void> {
  const small = await refreshBytes(ROLLUP_SESSIONS);
  const large = await refreshBytes(ROLLUP_SESSIONS * 10);
  const perDay = (r: RefreshBytes) => Math.round(r.events / (DAYS - 1 + 1.5 / 24)).toLocaleString("en-US");
  const queries = CATALOGUE.metrics.length;
  for (const [label, r] of [
    ["N", small],
    ["10N", large],
  ] as const) {
    console.log(
      `refresh at ${DEFAULT_REFRESH.timeOfDay} UTC over ${DAYS} days, ${label} = ${perDay(r)} events/day (${r.events.toLocaleString("en-US")} lines): ` +
        `${queries} queries scan ${kib(r.bytes)} with rollups (billed ${(r.billed / 1048576).toFixed(0)} MB at Athena's 10 MB minimum), ` +
        `${kib(r.rawOnly)} raw only (billed ${(r.rawOnlyBilled / 1048576).toFixed(0)} MB)`,
    );
  }
  console.log("per query, N -> 10N: rollup files + today's raw events");
  for (const m of CATALOGUE.metrics) {
    const [a, b] = small.perQuery[m.id] ?? [0, 0];
    const [c, d] = large.perQuery[m.id] ?? [0, 0];
    console.log(`  ${m.id.padEnd(22)} ${kib(a)} + ${kib(b)} -> ${kib(c)} + ${kib(d)}`);
  }
  // The error records are read raw on every refresh (no rollup): name their share, so the rest is visible too.
  const sum = (r: RefreshBytes, part: 0 | 1, skip?: string) =>
    Object.entries(r.perQuery)
      .filter(([id]) => id !== skip)
      .reduce((t, [, b]) => t + b[part], 0);
  const withoutErrors = (r: RefreshBytes) => sum(r, 0, "health_errors_daily") + sum(r, 1, "health_errors_daily");
  console.log(
    `10N / N without health_errors_daily (the error records, JSON, read raw): ${(withoutErrors(large) / withoutErrors(small)).toFixed(2)}x ` +
      `(${kib(withoutErrors(small))} -> ${kib(withoutErrors(large))}); rollup files alone ${(sum(large, 0) / sum(small, 0)).toFixed(2)}x, ` +
      `today's raw events alone ${(sum(large, 1, "health_errors_daily") / sum(small, 1, "health_errors_daily") || 0).toFixed(2)}x`,
  );
  console.log(
    `bytes scanned per refresh, 10N / N: with rollups ${(large.bytes / small.bytes).toFixed(2)}x (target < 1.2x), ` +
      `raw only ${(large.rawOnly / small.rawOnly).toFixed(2)}x; billed with the 10 MB minimum: ${(large.billed / small.billed).toFixed(2)}x; load ${load()}`,
  );
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  if (process.env.BENCH_DASHBOARD_SKIP_REPORT !== "1") await reportTiming();
  await refreshScan();
  rmSync(WORK, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
