/**
 * Rendering a dashboard query for an engine. The `.sql` files are written in
 * Athena engine v3 (Trino) SQL with `{{placeholders}}` for the table names and
 * the day window; {@link toDuckDb} is the one translation step for running the
 * same text on DuckDB locally.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { columnsOf, type LakeType } from "../schemas/columns";
import { ERROR_OUTPUT_TYPES, ERRORS_TABLE, ErrorRecordSchema, errorPartitionPrefix, jsonKeyOf } from "../schemas/errors";
import { EVENTS_TABLE, LAKE_PREFIXES, ROLLUP_FILE } from "../schemas/lake";
import { ROLLUP_NAMES, ROLLUPS, type RollupName, rollupSql, rollupTable } from "../schemas/rollups";
import type { Metric } from "./catalogue";
import { queryDef } from "./dashboards";

export const SQL_DIR = path.join(__dirname, "sql");

/** Where the tables live: the Glue database (a DuckDB schema of the same name locally). */
export interface TableNames {
  readonly database: string;
  /** @default "events" */
  readonly events?: string;
  /** @default "errors" */
  readonly errors?: string;
}

/**
 * The days a query reads, by partition: fixed UTC days (inclusive), or the
 * last N days up to today (what the Athena named queries use).
 */
export type DayWindow = { readonly from: string; readonly to: string } | { readonly lastDays: number };

const IDENT = /^[a-z_][a-z0-9_]*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function ident(name: string, what: string): string {
  if (!IDENT.test(name)) throw new Error(`${what} must be a lower-case SQL identifier (letters, digits, _): ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function dayLiteral(day: string, what: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new Error(`${what} must be a day YYYY-MM-DD: ${JSON.stringify(day)}`);
  }
  return `'${day}'`;
}

/** SQL for the window's bounds, as `'YYYY-MM-DD'` strings comparable with the partition day. */
export function windowBounds(window: DayWindow, closedDaysOnly = false): { from_day: string; to_day: string } {
  if ("lastDays" in window) {
    if (!(Number.isInteger(window.lastDays) && window.lastDays >= 1))
      throw new Error(`lastDays must be a whole number >= 1: ${window.lastDays}`);
    // The double CAST keeps a DATE in both engines (DuckDB's date - interval is a timestamp).
    const daysAgo = (n: number) =>
      n === 0 ? "CAST(current_date AS VARCHAR)" : `CAST(CAST(current_date - INTERVAL '${n}' DAY AS DATE) AS VARCHAR)`;
    // Closed days only: the last N days before today, so the window still holds N whole days.
    const end = closedDaysOnly ? 1 : 0;
    return { from_day: daysAgo(window.lastDays - 1 + end), to_day: daysAgo(end) };
  }
  const from = dayLiteral(window.from, "window.from");
  const to = dayLiteral(window.to, "window.to");
  if (window.from > window.to) throw new Error(`window.from ${window.from} is after window.to ${window.to}`);
  return { from_day: from, to_day: to };
}

/** The placeholders filled at render time rather than by a metric's template parameters. */
const RENDER_PLACEHOLDERS = ["events", "errors", "from_day", "to_day"] as const;

/** `{{rollup:<name>}}`: a rollup's rows over the window plus a `day` column (see {@link rollupRows}). */
const ROLLUP_PLACEHOLDER = /\{\{\s*rollup:([a-z0-9_]+)\s*\}\}/g;

/** The rollups a SQL text reads through `{{rollup:<name>}}`, each once, in order of appearance. */
export function rollupsRead(sql: string): string[] {
  return [...new Set([...sql.matchAll(ROLLUP_PLACEHOLDER)].map((m) => m[1] as string))];
}

/** How a query is rendered beyond its tables and window. */
export interface RenderOptions {
  /**
   * The UTC day that is "today": days before it are read from the rollups, today and later from raw events.
   * @default `current_date` (the engine's UTC date), what the Athena named queries use
   */
  readonly today?: string;
  /**
   * Read closed days only: the rollups' rows before today, no raw events (a `lastDays` window becomes the N days
   * before today). What the QuickSight data sets render ({@link DATA_SET_RENDER}): a daily refresh then shows whole
   * days and scans nothing that grows with today's traffic. @default false: today is read raw
   */
  readonly closedDaysOnly?: boolean;
}

/** How the QuickSight data sets render a metric (stacks/constructs/dashboards.ts; the dashboard bench models the same). */
export const DATA_SET_RENDER: RenderOptions = { closedDaysOnly: true };

/** A metric by id (in the catalogue) or as given (e.g. a test's own metric). */
const metricOf = (q: Metric | string): Metric => (typeof q === "string" ? queryDef(q) : q);

/** The metric's SQL as written: its file with the template parameters filled, tables and window still placeholders. */
export function querySource(q: Metric | string): string {
  const def = metricOf(q);
  const params = def.sql.params ?? {};
  for (const name of RENDER_PLACEHOLDERS) {
    if (name in params) throw new Error(`${def.id}: template parameter {{${name}}} is filled at render time`);
  }
  const text = readFileSync(path.join(SQL_DIR, def.sql.file), "utf8");
  const keep = Object.fromEntries(
    [...RENDER_PLACEHOLDERS, ...rollupsRead(text).map((r) => `rollup:${r}`)].map((name) => [name, `{{${name}}}`]),
  );
  // A template may take its rollup as a parameter (`{{rollup_rows}}` = `{{rollup:<name>}}`): checked once filled.
  const filled = fillPlaceholders(text, { ...keep, ...params }, def.sql.file);
  const read = rollupsRead(filled);
  // The catalogue names the rollup a metric reads; the SQL must read that one and no raw events, or the entry lies.
  const expected = def.rollup === undefined ? [] : [def.rollup];
  if (read.join(",") !== expected.join(","))
    throw new Error(`${def.id}: ${def.sql.file} reads rollups [${read.join(", ")}] but the catalogue entry says [${expected.join(", ")}]`);
  if (def.rollup !== undefined && /\{\{\s*(events|errors)\s*\}\}/.test(filled))
    throw new Error(
      `${def.id}: ${def.sql.file} reads a raw table although it has a rollup: today's raw rows come through {{rollup:${def.rollup}}}`,
    );
  return filled;
}

/** A rollup's SQL as written: its file (a template's dimensions filled) with its input table and window still placeholders. */
export function rollupSource(name: RollupName): string {
  if (!ROLLUP_NAMES.includes(name)) throw new Error(`unknown rollup ${name}; known: ${ROLLUP_NAMES.join(", ")}`);
  const { file, dimensions } = rollupSql(name);
  const keep = Object.fromEntries(["events", "errors", "from_day", "to_day"].map((p) => [p, `{{${p}}}`]));
  const params: Record<string, string> = dimensions
    ? { dimensions: dimensions.map((d) => ident(d, `${name} dimension`).slice(1, -1)).join(", ") }
    : {};
  return fillPlaceholders(readFileSync(path.join(SQL_DIR, file), "utf8"), { ...keep, ...params }, file);
}

/** The tables a rollup may read, as the daily job provides them (one per rollup, so the job reads one input per day). */
export const ROLLUP_INPUTS = ["events", "errors"] as const;
export type RollupInput = (typeof ROLLUP_INPUTS)[number];

/** The one table a rollup's SQL reads: `events` (Parquet) or `errors` (Firehose's JSON error records). */
export function rollupInput(name: RollupName): RollupInput {
  const source = rollupSource(name);
  const read = ROLLUP_INPUTS.filter((t) => new RegExp(`\\{\\{\\s*${t}\\s*\\}\\}`).test(source));
  if (read.length !== 1)
    throw new Error(`rollup ${name}: its SQL must read exactly one of {{events}}, {{errors}}; it reads [${read.join(", ")}]`);
  return read[0] as RollupInput;
}

/** The rollup's columns (its row schema's), in order: what its SQL returns after `year, month, day`. */
export const rollupColumns = (name: RollupName): string[] => columnsOf(ROLLUPS[name].schema).map((c) => c.name);

/** The rollup's columns as a quoted SELECT list. */
const rollupSelectList = (name: RollupName): string =>
  rollupColumns(name)
    .map((c) => ident(c, "rollup column"))
    .join(", ");

/** The input tables as a query names them (qualified names, or the job's bare view names). */
export type RollupTables = Readonly<Record<RollupInput, string>>;

/**
 * A rollup's SQL with its input table and day bounds filled (SQL expressions, e.g. `'2025-06-01'`): rows of
 * `year, month, day` and the rollup's columns, one group per day.
 */
export function renderRollup(name: RollupName, tables: RollupTables, bounds: { from_day: string; to_day: string }): string {
  return fillPlaceholders(rollupSource(name), { ...tables, ...bounds }, rollupSql(name).file).trim();
}

/** The day expression of a table partitioned by year/month/day. */
const PARTITION_DAY = "concat(year, '-', month, '-', day)";

/**
 * `{{rollup:<name>}}` rendered: the rollup's rows in the window with a `day` column, closed days (before today)
 * from the rollup table and today's (and any later day's) from raw events through the rollup's own SQL. Both
 * branches filter partitions by constant expressions only, which is what Athena's partition projection prunes
 * on; a branch a fixed `today` makes empty is left out.
 */
function rollupRows(name: RollupName, db: string, tables: RollupTables, window: DayWindow, options: RenderOptions): string {
  const today = options.today;
  const bounds = windowBounds(window, options.closedDaysOnly);
  const todayExpr = today === undefined ? "CAST(current_date AS VARCHAR)" : dayLiteral(today, "today");
  // A fixed window and a fixed today: a branch that cannot hold a row is left out.
  const fixed = !("lastDays" in window) && today !== undefined ? { ...window, today } : undefined;
  const cols = rollupSelectList(name);
  const branches: string[] = [];
  if (!(fixed && fixed.from >= fixed.today)) {
    branches.push(
      [
        `SELECT ${PARTITION_DAY} AS day, ${cols}`,
        `FROM ${db}.${ident(rollupTable(name), "rollup table")}`,
        `WHERE ${PARTITION_DAY} BETWEEN ${bounds.from_day} AND ${bounds.to_day}`,
        `  AND ${PARTITION_DAY} < ${todayExpr}`,
      ].join("\n"),
    );
  }
  if (!(options.closedDaysOnly || (fixed && fixed.to < fixed.today))) {
    // Raw rows from today on: the window clipped to [max(from, today), to]. A lastDays window starts before today.
    const from = fixed
      ? dayLiteral([fixed.from, fixed.today].sort()[1] ?? fixed.today, "day") // the later day (ISO dates sort as text)
      : "lastDays" in window && today === undefined
        ? todayExpr
        : `greatest(${bounds.from_day}, ${todayExpr})`;
    const raw = renderRollup(name, tables, { from_day: from, to_day: bounds.to_day });
    branches.push(`SELECT ${PARTITION_DAY} AS day, ${cols}\nFROM (\n${raw}\n) AS raw_rows`);
  }
  if (branches.length === 0) {
    // Closed days only and a window with none: no row, with the rollup's columns.
    branches.push(`SELECT ${PARTITION_DAY} AS day, ${cols}\nFROM ${db}.${ident(rollupTable(name), "rollup table")}\nWHERE false`);
  }
  const body = branches.join("\nUNION ALL\n").replace(/^/gm, "  ");
  return `(\n${body}\n) AS ${name}_rows`;
}

/**
 * The SQL the daily job runs for one day of a rollup, in DuckDB's dialect, over a view named after its input
 * (`events` or `errors`, {@link rollupInput}): the rollup's columns only (the day is the output path). `$DAY` stands
 * where the job puts the quoted day.
 */
export const ROLLUP_JOB_DAY = "$DAY";
const JOB_TABLES: RollupTables = { events: "events", errors: "errors" };
export function rollupJobSql(name: RollupName): string {
  const inner = renderRollup(name, JOB_TABLES, { from_day: ROLLUP_JOB_DAY, to_day: ROLLUP_JOB_DAY });
  return toDuckDb(`SELECT ${rollupSelectList(name)}\nFROM (\n${inner}\n) AS day_rows`);
}

/** Fill `{{name}}` placeholders; an unknown placeholder is an error, so a typo never renders silently. */
export function fillPlaceholders(sql: string, values: Readonly<Record<string, string>>, source = "query"): string {
  const placeholder = /\{\{\s*([a-z_]+(?::[a-z0-9_]+)?)\s*\}\}/g;
  // Checked on the input, so a value may itself be a placeholder (kept for a later fill).
  const rest = sql.replace(placeholder, "");
  if (rest.includes("{{"))
    throw new Error(`${source}: malformed placeholder near ${rest.slice(rest.indexOf("{{"), rest.indexOf("{{") + 30)}`);
  return sql.replace(placeholder, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`${source}: unknown placeholder {{${name}}}; known: ${Object.keys(values).join(", ")}`);
    return v;
  });
}

/** A dashboard query in Athena (Trino) SQL with the tables and window filled in. */
export function renderQuery(id: Metric | string, names: TableNames, window: DayWindow, options: RenderOptions = {}): string {
  const def = metricOf(id);
  const db = ident(names.database, "database");
  const tables: RollupTables = {
    events: `${db}.${ident(names.events ?? EVENTS_TABLE, "events table")}`,
    errors: `${db}.${ident(names.errors ?? ERRORS_TABLE, "errors table")}`,
  };
  const source = querySource(def);
  const rollups = Object.fromEntries(
    rollupsRead(source).map((r) => [`rollup:${r}`, rollupRows(r as RollupName, db, tables, window, options)]),
  );
  return fillPlaceholders(
    source,
    {
      ...tables,
      ...windowBounds(window, options.closedDaysOnly),
      ...rollups,
    },
    def.sql.file,
  ).trim();
}

/** Athena function -> DuckDB function of the same meaning. */
const FUNCTION_RENAMES: Readonly<Record<string, string>> = {
  // Trino: from_unixtime(double seconds) -> timestamp with time zone; DuckDB: to_timestamp(double seconds).
  from_unixtime: "to_timestamp",
  approx_distinct: "approx_count_distinct",
};

/** Functions whose DuckDB namesake means something else: refused rather than translated wrongly. */
const REFUSED: Readonly<Record<string, string>> = {
  // Trino counts whole units elapsed, DuckDB counts unit boundaries crossed.
  date_diff: "date_diff counts differently in DuckDB; compare timestamps with `+ INTERVAL` instead",
  date_format: "date_format patterns differ (MySQL vs strftime); use concat of the partition columns or date_trunc",
};

/**
 * Split SQL into code and the parts no rewrite may touch: string literals,
 * quoted identifiers and comments.
 */
function segments(sql: string): { code: boolean; text: string }[] {
  const out: { code: boolean; text: string }[] = [];
  const re = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g;
  let last = 0;
  for (const m of sql.matchAll(re)) {
    if (m.index > last) out.push({ code: true, text: sql.slice(last, m.index) });
    out.push({ code: false, text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < sql.length) out.push({ code: true, text: sql.slice(last) });
  return out;
}

/**
 * Athena engine v3 SQL -> DuckDB SQL: renames the few functions whose names
 * differ and refuses the ones whose meaning differs. Strings, quoted names and
 * comments are left alone. Everything else in the dashboard queries is SQL
 * both engines read the same way (run the DuckDB session in UTC).
 */
export function toDuckDb(sql: string): string {
  return segments(sql)
    .map(({ code, text }) => {
      if (!code) return text;
      return text.replace(/\b([a-z_][a-z0-9_]*)(\s*\()/gi, (m, fn: string, paren: string) => {
        const lower = fn.toLowerCase();
        const refused = REFUSED[lower];
        if (refused) throw new Error(`toDuckDb: ${refused}`);
        const renamed = FUNCTION_RENAMES[lower];
        return renamed ? `${renamed}${paren}` : m;
      });
    })
    .join("");
}

/** Lake type -> the Arrow type name the Glue job writes (timestamps: UTC milliseconds, as the tables declare). */
const ARROW_TYPE: Readonly<Record<LakeType, string>> = {
  string: "string",
  int: "int32",
  bigint: "int64",
  double: "double",
  boolean: "bool",
  timestamp: "timestamp_ms",
};

/** The content of schemas/generated/rollups.json: what the daily job needs to write every rollup for a day. */
export function queryRollupsFile() {
  return {
    prefix: LAKE_PREFIXES.rollups,
    file: ROLLUP_FILE,
    day_placeholder: ROLLUP_JOB_DAY,
    rollups: ROLLUP_NAMES.map((name) => ({
      name,
      table: rollupTable(name),
      input: rollupInput(name),
      columns: columnsOf(ROLLUPS[name].schema).map((c) => ({ name: c.name, type: ARROW_TYPE[c.lakeType] })),
      sql: rollupJobSql(name),
    })),
    // The `errors` input: Firehose's JSON error records of a day, one folder per output type. The job reads them as
    // the errors table does (keys matched case-insensitively, the type and date from the path).
    errors: {
      day_prefix: errorPartitionPrefix({ error_type: "{error_type}", year: "{year}", month: "{month}", day: "{day}" }),
      types: ERROR_OUTPUT_TYPES,
      columns: columnsOf(ErrorRecordSchema).map((c) => ({ name: c.name, json_key: jsonKeyOf(c.name), type: ARROW_TYPE[c.lakeType] })),
    },
  };
}
