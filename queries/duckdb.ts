/**
 * Runs the dashboard queries on a local lake directory with DuckDB, in the
 * role Athena plays in AWS. The lake is laid out exactly like the S3 bucket;
 * views named like the Glue tables read it with hive partitioning, partition
 * columns kept as VARCHAR so `month = '06'` means the same as in Athena.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { columnsOf, type LakeType } from "../schemas/columns";
import { ERROR_PARTITIONS, ERRORS_TABLE, ErrorRecordSchema, jsonKeyOf } from "../schemas/errors";
import { EventRowSchema, PARTITION_KEYS } from "../schemas/event";
import { DAY_PARTITIONS, EVENTS_TABLE, LAKE_PREFIXES } from "../schemas/lake";
import { ROLLUP_NAMES, ROLLUPS, type RollupName, rollupPrefix, rollupTable } from "../schemas/rollups";
import { type DashboardDef, dashboard, type QueryDef, queryDef } from "./dashboards";
import { type DayWindow, type RenderOptions, renderQuery, renderRollup, rollupColumns, toDuckDb, windowBounds } from "./render";

/** A result cell: integers and doubles as numbers, timestamps as ISO-8601 strings. */
export type Cell = string | number | null;
export type ResultRow = Record<string, Cell>;

export interface QueryResult {
  readonly query: QueryDef;
  /** The DuckDB SQL that ran. */
  readonly sql: string;
  readonly rows: ResultRow[];
}

const DUCKDB_TYPE: Record<LakeType, string> = {
  string: "VARCHAR",
  int: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMPTZ",
};

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const hiveTypes = (names: readonly string[]) => `{${names.map((k) => `${quote(k)}: 'VARCHAR'`).join(", ")}}`;

function hasFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile());
}

/** Typed NULLs: a view with the table's columns and no rows, for a lake with no files of a table yet. */
function emptySelect(columns: { name: string; type: string }[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS "${c.name}"`).join(", ")} WHERE false`;
}

function eventsView(lake: string): string {
  const dir = path.join(lake, LAKE_PREFIXES.events);
  const columns = [
    ...columnsOf(EventRowSchema).map((c) => ({ name: c.name, type: DUCKDB_TYPE[c.lakeType] })),
    ...PARTITION_KEYS.map((k) => ({ name: k, type: "VARCHAR" })),
  ];
  if (!hasFiles(dir)) return emptySelect(columns);
  const glob = path.join(dir, ...PARTITION_KEYS.map(() => "*"), "*.parquet");
  return `SELECT * FROM read_parquet(${quote(glob)}, hive_partitioning = true, hive_types = ${hiveTypes(PARTITION_KEYS)})`;
}

function errorsView(lake: string): string {
  const dir = path.join(lake, LAKE_PREFIXES.errors);
  const cols = columnsOf(ErrorRecordSchema);
  const dated = ERROR_PARTITIONS.filter((p) => p.name !== "error_type").map((p) => p.name);
  if (!hasFiles(dir)) {
    return emptySelect([
      ...cols.map((c) => ({ name: c.name, type: DUCKDB_TYPE[c.lakeType] })),
      ...ERROR_PARTITIONS.map((p) => ({ name: p.name, type: "VARCHAR" })),
    ]);
  }
  // errors/<error-output-type>/year=../month=../day=../<file>: the type is a bare path segment, not key=value.
  const glob = path.join(dir, ...ERROR_PARTITIONS.map(() => "*"), "*");
  const jsonColumns = `{${cols.map((c) => `${quote(jsonKeyOf(c.name))}: '${DUCKDB_TYPE[c.lakeType]}'`).join(", ")}}`;
  const typeSegment = `regexp_extract(filename, ${quote(`/${LAKE_PREFIXES.errors}([^/]+)/`)}, 1)`;
  return [
    `SELECT ${cols.map((c) => `"${jsonKeyOf(c.name)}" AS "${c.name}"`).join(", ")},`,
    `  ${typeSegment} AS error_type, ${dated.map((d) => `"${d}"`).join(", ")}`,
    `FROM read_json(${quote(glob)}, format = 'newline_delimited', columns = ${jsonColumns},`,
    `  hive_partitioning = true, hive_types = ${hiveTypes(dated)}, filename = true)`,
  ].join("\n");
}

/** A rollup table: its day files under `rollups/<name>/year=../month=../day=../`, the day partitions as VARCHAR. */
function rollupView(lake: string, name: RollupName): string {
  const dir = path.join(lake, rollupPrefix(name));
  const keys = DAY_PARTITIONS.map((p) => p.name);
  const columns = [
    ...columnsOf(ROLLUPS[name].schema).map((c) => ({ name: c.name, type: DUCKDB_TYPE[c.lakeType] })),
    ...keys.map((k) => ({ name: k, type: "VARCHAR" })),
  ];
  if (!hasFiles(dir)) return emptySelect(columns);
  const glob = path.join(dir, ...keys.map(() => "*"), "*.parquet");
  return `SELECT * FROM read_parquet(${quote(glob)}, hive_partitioning = true, hive_types = ${hiveTypes(keys)})`;
}

/** The day after a YYYY-MM-DD day. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export interface LocalLakeOptions {
  /**
   * The UTC day the queries treat as today: earlier days are read from the rollups, today and later from raw
   * events. @default the day after the lake's last day (every day of the lake closed), as `npm run local` writes it
   */
  readonly today?: string;
}

/**
 * A DuckDB session over a lake directory, with the Glue database as a schema holding the `events` and `errors`
 * views and one `rollup_<name>` view per rollup.
 */
export class LocalLake {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly lakeDir: string,
    readonly database: string,
    private readonly todayOption: string | undefined,
  ) {}

  /** The day the queries treat as today (see {@link LocalLakeOptions.today}); undefined for an empty lake. */
  get today(): string | undefined {
    if (this.todayOption !== undefined) return this.todayOption;
    const range = this.dayRange();
    return range ? nextDay(range.to) : undefined;
  }

  static async open(lakeDir: string, database = "analytics", options: LocalLakeOptions = {}): Promise<LocalLake> {
    const lake = path.resolve(lakeDir);
    if (!existsSync(lake)) throw new Error(`lake directory not found: ${lakeDir}`);
    if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database must be a lower-case SQL identifier: ${JSON.stringify(database)}`);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    // Athena works in UTC; DuckDB would use the machine's zone for hour(timestamptz).
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(`CREATE SCHEMA "${database}"`);
    await connection.run(`CREATE VIEW "${database}"."${EVENTS_TABLE}" AS ${eventsView(lake)}`);
    await connection.run(`CREATE VIEW "${database}"."${ERRORS_TABLE}" AS ${errorsView(lake)}`);
    for (const name of ROLLUP_NAMES) await connection.run(`CREATE VIEW "${database}"."${rollupTable(name)}" AS ${rollupView(lake, name)}`);
    return new LocalLake(instance, connection, lake, database, options.today);
  }

  /** The first and last partition day of the lake's events and errors, or undefined for an empty lake. */
  dayRange(): { from: string; to: string } | undefined {
    const days: string[] = [];
    const walk = (dir: string, parts: string[]) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const m = /^(year|month|day)=(\d+)$/.exec(e.name);
        const next = m ? [...parts, m[2] as string] : parts;
        if (m?.[1] === "day") days.push(next.join("-"));
        else walk(path.join(dir, e.name), next);
      }
    };
    walk(path.join(this.lakeDir, LAKE_PREFIXES.events), []);
    walk(path.join(this.lakeDir, LAKE_PREFIXES.errors), []);
    walk(path.join(this.lakeDir, LAKE_PREFIXES.rollups), []);
    if (days.length === 0) return undefined;
    days.sort();
    return { from: days[0] as string, to: days[days.length - 1] as string };
  }

  /** Run SQL as is and return rows converted to JS values. */
  async sql(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * Run one dashboard query (by id, or a metric as given) over a window; rows carry exactly the query's declared columns.
   * `options` as for renderQuery (e.g. DATA_SET_RENDER, as the QuickSight data sets render it); today is the lake's.
   */
  async runQuery(id: QueryDef | string, window: DayWindow, options: Omit<RenderOptions, "today"> = {}): Promise<QueryResult> {
    const query = typeof id === "string" ? queryDef(id) : id;
    const today = this.today;
    const sql = toDuckDb(renderQuery(query, { database: this.database }, window, today === undefined ? options : { ...options, today }));
    const raw = await this.sql(sql);
    return { query, sql, rows: raw.map((r) => typedRow(query, r)) };
  }

  /**
   * A rollup's rows over a window, computed from its raw input (events or error records) by the rollup's own SQL: `year`, `month`, `day` and
   * the rollup's columns (BIGINT counts as JS bigints), sorted by day then every column, nulls first: the order the
   * daily job writes a day in (glue/lake_rollups.py conform_result), so a file's runs and dictionaries are the job's.
   */
  async rollupRows(name: RollupName, window: { from: string; to: string }): Promise<Record<string, unknown>[]> {
    const tables = { events: `"${this.database}"."${EVENTS_TABLE}"`, errors: `"${this.database}"."${ERRORS_TABLE}"` };
    const order = ["year", "month", "day", ...rollupColumns(name)].map((c) => `"${c}" ASC NULLS FIRST`).join(", ");
    const sql = `SELECT * FROM (\n${renderRollup(name, tables, windowBounds(window))}\n) AS day_rows ORDER BY ${order}`;
    const reader = await this.connection.runAndReadAll(toDuckDb(sql));
    return reader.getRowObjects() as Record<string, unknown>[];
  }

  /** Run every query of a dashboard. */
  async runDashboard(id: DashboardDef["id"], window: DayWindow): Promise<QueryResult[]> {
    const results: QueryResult[] = [];
    for (const q of dashboard(id).queries) results.push(await this.runQuery(q.id, window));
    return results;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function typedRow(query: QueryDef, raw: Record<string, unknown>): ResultRow {
  const names = Object.keys(raw);
  const expected = query.columns.map((c) => c.name);
  if (names.join(",") !== expected.join(",")) {
    throw new Error(`query ${query.id} returned columns [${names.join(", ")}], its definition says [${expected.join(", ")}]`);
  }
  const row: ResultRow = {};
  for (const c of query.columns) {
    const v = raw[c.name];
    if (v === null || v === undefined) row[c.name] = null;
    else if (c.type === "integer" || c.type === "double") {
      const num = Number(v);
      if (!Number.isFinite(num) || (c.type === "integer" && !Number.isSafeInteger(num))) {
        throw new Error(`query ${query.id}: column ${c.name} is not a ${c.type}: ${String(v)}`);
      }
      row[c.name] = num;
    } else if (c.type === "timestamp") row[c.name] = v instanceof Date ? v.toISOString() : String(v);
    else row[c.name] = String(v);
  }
  return row;
}

/** Open a lake, run one dashboard (all queries over the lake's whole day range by default), close. */
export async function runDashboardOnLake(
  lakeDir: string,
  id: DashboardDef["id"],
  window?: DayWindow,
): Promise<{ window: DayWindow | undefined; results: QueryResult[] }> {
  const lake = await LocalLake.open(lakeDir);
  try {
    const w = window ?? lake.dayRange();
    if (!w) return { window: undefined, results: [] };
    return { window: w, results: await lake.runDashboard(id, w) };
  } finally {
    lake.close();
  }
}
