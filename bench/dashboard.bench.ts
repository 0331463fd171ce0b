/**
 * Two dashboard figures over generated lakes:
 *
 * 1. The local HTML report (`npm run dashboard`): every Documents, QR, traffic and health query in DuckDB, then
 *    the HTML; the median of BENCH_RUNS runs (default 5) and the size of the page.
 * 2. Bytes one full dashboard refresh scans, as Athena bills them, at N and 10N sample events per day (issue 15's
 *    target: the larger lake's refresh scans less than 1.2x the smaller one's). The lake holds BENCH_DASHBOARD_DAYS
 *    closed days (rolled up, as the daily job leaves them) and today's lines up to the shipped SPICE refresh time
 *    (config/dashboards.ts DEFAULT_REFRESH, 01:30 UTC, after the daily job). Each query is rendered exactly as its
 *    surface renders it (window: the last DAYS days, the config default of queryWindowDays) and what it reads is
 *    taken from that SQL: the tables it names and the days its bounds give on the refresh day; the SQL is also run
 *    on the lake. Three renderings: the QuickSight data sets as shipped (closed days only, DATA_SET_RENDER: the
 *    headline figure), the same data sets with today read raw (the alternative, measured to decide), and every metric
 *    as the Athena named queries render it (today raw). A query's bytes: over the files its partition predicates
 *    select, the compressed size of the column chunks of the columns it reads (DuckDB `parquet_metadata()`), which
 *    is what Athena scans from Parquet; error records are JSON, read whole. "Raw only" is every metric with every day
 *    read raw, what the dashboards did before rollups.
 *
 * Env: BENCH_DASHBOARD_DAYS (default 30), BENCH_DASHBOARD_SESSIONS (per day, report part, default 300), BENCH_RUNS,
 * BENCH_ROLLUP_SESSIONS (N in sessions per day, about 6.5 log lines each; default 1,330, about 8,600 events a day:
 * issue 15's small site (8,640 a day, 0.1 request/s), so 10N is its 1 request/s. The earlier default, 300 sessions
 * (about 2,000 events a day), is below the smallest site the issue prices and flatters the figure: at that N the
 * rollups' fixed per-file overhead hid the one rollup that grows with traffic (qr_by_location: its code x
 * country x city combinations, now a named query only). The refresh part took 4 to 7.5 minutes on the 2-core
 * machine at load average 6 to 9.)
 * BENCH_DASHBOARD_SKIP_REPORT=1 (refresh figure only).
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULT_REFRESH } from "../config/dashboards";
import { writeReport } from "../local/dashboard";
import { leadingTimestampMs } from "../local/firehose";
import { generateTraffic } from "../local/generator";
import { runLocal } from "../local/pipeline";
import { CATALOGUE, type Metric, metricsOn } from "../queries/catalogue";
import { LocalLake, nextDay } from "../queries/duckdb";
import { DATA_SET_RENDER, querySource, type RenderOptions, renderQuery, rollupSource, toDuckDb, windowBounds } from "../queries/render";
import { columnsOf } from "../schemas/columns";
import { ERRORS_TABLE } from "../schemas/errors";
import { EVENT_TYPES, EventRowSchema } from "../schemas/event";
import { EVENTS_TABLE, LAKE_PREFIXES } from "../schemas/lake";
import { ROLLUPS, rollupDayPrefix, rollupTable } from "../schemas/rollups";
import { loadAverage, median, summary } from "./summary";

const DAYS = Number(process.env.BENCH_DASHBOARD_DAYS ?? 30);
const SESSIONS = Number(process.env.BENCH_DASHBOARD_SESSIONS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROLLUP_SESSIONS = Number(process.env.BENCH_ROLLUP_SESSIONS ?? 1330);
/** The project's virtualenv (npm run setup:py), which has the Glue job's pyarrow and DuckDB. */
const PYTHON = path.join(__dirname, "..", ".venv", "bin", "python");
const WORK = path.join(tmpdir(), "bench-dashboard");
const START = "2025-06-01";
/** Athena bills at least 10 MB per query (https://aws.amazon.com/athena/pricing/; athena.guide "Athena Basics: Pricing Model"). */
const ATHENA_MIN_BYTES = 10 * 1024 * 1024;

const load = loadAverage;
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

/** Bytes of the error records (JSON lines, read whole) of these days, every output type. */
function errorBytes(lakeDir: string, days: readonly string[]): number {
  const dir = path.join(lakeDir, LAKE_PREFIXES.errors);
  if (!existsSync(dir) || days.length === 0) return 0;
  const wanted = days.map((d) => `${dayPath(d)}/`);
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => wanted.some((d) => f.includes(d)) && statSync(path.join(dir, f)).isFile())
    .reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

/** How one refresh renders its queries: which metrics, and the render options (the window is the last DAYS days). */
interface RefreshModel {
  readonly label: string;
  readonly metrics: readonly Metric[];
  readonly options: RenderOptions;
}

const MODELS = {
  /** What the shipped QuickSight data sets run (stacks/constructs/dashboards.ts): closed days only. */
  dataSets: {
    label: "QuickSight data sets as shipped (closed days only)",
    metrics: metricsOn(CATALOGUE, "quicksight"),
    options: DATA_SET_RENDER,
  },
  /** The alternative the decision was measured against: the same data sets with today read raw at the refresh time. */
  dataSetsToday: { label: "the same data sets with today raw", metrics: metricsOn(CATALOGUE, "quicksight"), options: {} },
  /** Every metric as the Athena named queries render it (today raw), the local report's set. */
  namedQueries: { label: "every metric as the named queries (today raw)", metrics: CATALOGUE.metrics, options: {} },
} as const satisfies Record<string, RefreshModel>;
type ModelId = keyof typeof MODELS;

/**
 * Bytes one metric's SQL, rendered as the model renders it with the window of the last DAYS days on `today`, scans:
 * [from rollup files, from raw events or error records]. What it reads comes from the rendered SQL itself: the
 * tables it names, and the window its bounds give on that day (evaluated by DuckDB with current_date = today).
 */
async function metricBytes(lake: LocalLake, m: Metric, options: RenderOptions, today: string): Promise<[number, number]> {
  const window = { lastDays: DAYS };
  const sql = renderQuery(m, { database: lake.database }, window, options);
  const atToday = (expr: string) => expr.replace(/\bcurrent_date\b/g, `DATE '${today}'`);
  const bounds = windowBounds(window, options.closedDaysOnly);
  const [b] = await lake.sql(`SELECT ${atToday(bounds.from_day)} AS f, ${atToday(bounds.to_day)} AS t`);
  const from = String(b?.f);
  const to = String(b?.t);
  // Days before the render's today come from the rollups, the rest raw (a fixed today may differ from the refresh day).
  const split = options.today ?? today;
  const closed = daysFrom(from, to).filter((d) => d < split);
  const open = daysFrom([from, split].sort()[1] ?? split, to); // the later day (ISO days sort as text)
  const reads = (table: string) => sql.includes(`"${lake.database}"."${table}"`);
  const lakeDir = lake.lakeDir;
  let fromRollup = 0;
  let raw = 0;
  const rollup = m.rollup;
  if (rollup !== undefined && reads(rollupTable(rollup))) {
    // The closed branch reads the rollup columns the metric's SQL names (Trino prunes the others through the UNION).
    const metricSql = querySource(m);
    const files = parquetFiles(closed.map((d) => path.join(lakeDir, rollupDayPrefix(rollup, d))));
    const columns = columnsOf(ROLLUPS[rollup].schema)
      .map((c) => c.name)
      .filter((c) => word(metricSql, c));
    fromRollup = await columnBytes(lake, files, columns);
  }
  // A raw branch (today on, or every day of a metric without a rollup) reads the rollup's input through its SQL.
  const rawDays = rollup === undefined ? daysFrom(from, to) : open;
  if (reads(EVENTS_TABLE)) {
    const r = rawReads(rollup === undefined ? sql : rollupSource(rollup));
    const dirs = r.types.flatMap((t) => rawDays.map((d) => path.join(lakeDir, LAKE_PREFIXES.events, `event_type=${t}`, dayPath(d))));
    raw += await columnBytes(lake, parquetFiles(dirs), r.columns);
  }
  if (reads(ERRORS_TABLE)) raw += errorBytes(lakeDir, rawDays);
  // The SQL measured is the SQL that runs: it must run on this lake (rows are not compared here; the tests do that).
  await lake.sql(toDuckDb(atToday(sql)));
  return [fromRollup, raw];
}

interface RefreshBytes {
  readonly events: number;
  /** Per model: bytes of one refresh, billed bytes (Athena's 10 MB minimum per query), per metric [rollup, raw]. */
  readonly models: Record<ModelId, { bytes: number; billed: number; perQuery: Record<string, readonly [number, number]> }>;
  /** Every metric read raw over the whole window (what the dashboards did before rollups). */
  readonly rawOnly: number;
}

/**
 * Generate N sessions a day for DAYS closed days and today up to the refresh time, build the lake and its rollups
 * (the closed days), and count one refresh's bytes under each model.
 */
async function refreshBytes(sessions: number): Promise<RefreshBytes> {
  const dir = path.join(WORK, `refresh-${sessions}`);
  mkdirSync(dir, { recursive: true });
  const today = new Date(Date.parse(`${START}T00:00:00Z`) + DAYS * 86_400_000).toISOString().slice(0, 10);
  const cutoff = Date.parse(`${today}T${DEFAULT_REFRESH.timeOfDay}:00Z`);
  if (DEFAULT_REFRESH.timezone !== "UTC")
    throw new Error(`the bench models a UTC refresh time; DEFAULT_REFRESH is in ${DEFAULT_REFRESH.timezone}`);
  const input = path.join(dir, "sample.tsv");
  // Written in chunks: at the small site times 10 the input is larger than one JS string may be.
  const fd = openSync(input, "w");
  let chunk: string[] = [];
  let lines = 0;
  let last = 0;
  generateTraffic({ seed: 7, days: DAYS + 1, start: START, sessionsPerDay: sessions }, (l) => {
    last = leadingTimestampMs(l) ?? last;
    if (last >= cutoff) return;
    chunk.push(l);
    lines++;
    if (chunk.length >= 50_000) {
      writeSync(fd, `${chunk.join("\n")}\n`);
      chunk = [];
    }
  });
  if (chunk.length > 0) writeSync(fd, `${chunk.join("\n")}\n`);
  closeSync(fd);
  const lakeDir = path.join(dir, "lake");
  await runLocal({ input, lake: lakeDir, today, workers: 1 });
  // The rollup files Athena reads are the daily job's (pyarrow), not the local run's: the job rewrites every closed day.
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const job = spawnSync(
    PYTHON,
    [path.join(__dirname, "job_rollups.py"), lakeDir, LAKE_PREFIXES.events, LAKE_PREFIXES.manifests, START, yesterday],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (job.status !== 0) throw new Error(`bench/job_rollups.py failed (exit ${job.status}): the job's rollups are what the bench measures`);
  const lake = await LocalLake.open(lakeDir, undefined, { today });
  try {
    const models = {} as RefreshBytes["models"];
    for (const [id, model] of Object.entries(MODELS) as [ModelId, RefreshModel][]) {
      const perQuery: Record<string, readonly [number, number]> = {};
      let bytes = 0;
      let billed = 0;
      for (const m of model.metrics) {
        const split = await metricBytes(lake, m, model.options, today);
        perQuery[m.id] = split;
        bytes += split[0] + split[1];
        billed += Math.max(split[0] + split[1], ATHENA_MIN_BYTES);
      }
      models[id] = { bytes, billed, perQuery };
    }
    // Before rollups: today is the first day, so every day of the window is read raw.
    let rawOnly = 0;
    const first = new Date(Date.parse(`${today}T00:00:00Z`) - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const allRaw = await LocalLake.open(lakeDir, undefined, { today: first });
    try {
      for (const m of CATALOGUE.metrics) {
        const [a, b] = await metricBytes(allRaw, m, { today: first }, today);
        rawOnly += a + b;
      }
    } finally {
      allRaw.close();
    }
    return { events: lines, models, rawOnly };
  } finally {
    lake.close();
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function refreshScan(): Promise<void> {
  const small = await refreshBytes(ROLLUP_SESSIONS);
  const large = await refreshBytes(ROLLUP_SESSIONS * 10);
  const perDay = (r: RefreshBytes) => Math.round(r.events / (DAYS + 1.5 / 24)).toLocaleString("en-US");
  console.log(
    `refresh at ${DEFAULT_REFRESH.timeOfDay} UTC, window ${DAYS} days: N = ${perDay(small)} events/day, 10N = ${perDay(large)} events/day ` +
      `(${small.events.toLocaleString("en-US")} and ${large.events.toLocaleString("en-US")} lines)`,
  );
  const ratio = (id: ModelId) => large.models[id].bytes / small.models[id].bytes;
  for (const [id, model] of Object.entries(MODELS) as [ModelId, RefreshModel][]) {
    const [a, b] = [small.models[id], large.models[id]];
    console.log(
      `  ${model.label}, ${model.metrics.length} queries: ${kib(a.bytes)} -> ${kib(b.bytes)} = ${ratio(id).toFixed(2)}x ` +
        `(billed at Athena's 10 MB minimum per query: ${(a.billed / 1048576).toFixed(0)} -> ${(b.billed / 1048576).toFixed(0)} MB)`,
    );
  }
  console.log(
    `  raw only (before rollups), every metric: ${kib(small.rawOnly)} -> ${kib(large.rawOnly)} = ${(large.rawOnly / small.rawOnly).toFixed(2)}x`,
  );
  console.log("per query (every metric, named queries), N -> 10N: rollup files + today's raw input");
  for (const m of CATALOGUE.metrics) {
    const [a, b] = small.models.namedQueries.perQuery[m.id] ?? [0, 0];
    const [c, d] = large.models.namedQueries.perQuery[m.id] ?? [0, 0];
    console.log(`  ${m.id.padEnd(22)} ${kib(a)} + ${kib(b)} -> ${kib(c)} + ${kib(d)}`);
  }
  const part = (r: RefreshBytes, id: ModelId, i: 0 | 1) => Object.values(r.models[id].perQuery).reduce((t, x) => t + x[i], 0);
  console.log(
    `named queries: rollup files alone ${(part(large, "namedQueries", 0) / part(small, "namedQueries", 0)).toFixed(2)}x, ` +
      `today's raw input alone ${(part(large, "namedQueries", 1) / part(small, "namedQueries", 1)).toFixed(2)}x; load ${load()}`,
  );
  const met = ratio("dataSets") < 1.2;
  console.log(`bytes scanned per refresh (QuickSight data sets as shipped), 10N / N: ${ratio("dataSets").toFixed(2)}x (target < 1.2x)`);
  summary({
    bench: "dashboard",
    figure: "bytes per refresh 10N/N",
    value: `${ratio("dataSets").toFixed(2)}x (${kib(small.models.dataSets.bytes)} -> ${kib(large.models.dataSets.bytes)}, ${perDay(small)} -> ${perDay(large)} events/day; data sets with today raw ${ratio("dataSetsToday").toFixed(2)}x)`,
    target: "< 1.2x",
    met,
  });
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
