/**
 * The Google Analytics comparison: GA4 page views next to the logs' page views
 * per day and page (bots excluded). The SQL is one file in Athena engine v3
 * SQL (queries/sql/ga/page_views_vs_logs.sql), rendered like the dashboard
 * queries: as an Athena view, or through {@link toDuckDb} on a local lake
 * whose `ga/` folder is laid out as AppFlow writes it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { columnsOf } from "../schemas/columns";
import { GA_PARTITIONS, GA_TABLE, GaReportRowSchema, gaFlowPrefix } from "../schemas/ga";
import { EVENTS_TABLE } from "../schemas/lake";
import type { ResultColumn } from "./dashboards";
import { fillPlaceholders, SQL_DIR, toDuckDb } from "./render";

export const GA_COMPARISON_FILE = "ga/page_views_vs_logs.sql";
/** Name of the Athena view (and of the local DuckDB view). */
export const GA_COMPARISON_VIEW = "ga_page_views_vs_logs";
export const GA_COMPARISON_COLUMNS: readonly ResultColumn[] = [
  { name: "day", type: "string" },
  { name: "path", type: "string" },
  { name: "ga_page_views", type: "integer" },
  { name: "log_page_views", type: "integer" },
  { name: "difference", type: "integer" },
];

export interface GaTableNames {
  /** Glue database (a DuckDB schema of the same name locally). */
  readonly database: string;
  /** @default "events" */
  readonly events?: string;
  /** @default "ga4_report" */
  readonly ga?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
function ident(name: string, what: string): string {
  if (!IDENT.test(name)) throw new Error(`${what} must be a lower-case SQL identifier (letters, digits, _): ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The comparison as an Athena (Trino) SELECT with the tables filled in. */
export function renderGaComparison(names: GaTableNames): string {
  const db = ident(names.database, "database");
  const sql = readFileSync(path.join(SQL_DIR, GA_COMPARISON_FILE), "utf8");
  return fillPlaceholders(
    sql,
    {
      events: `${db}.${ident(names.events ?? EVENTS_TABLE, "events table")}`,
      ga: `${db}.${ident(names.ga ?? GA_TABLE, "ga table")}`,
    },
    GA_COMPARISON_FILE,
  ).trim();
}

/** Athena DDL that creates (or replaces) the comparison view in the database. */
export function gaComparisonViewDdl(names: GaTableNames): string {
  return `CREATE OR REPLACE VIEW ${ident(names.database, "database")}.${ident(GA_COMPARISON_VIEW, "view")} AS\n${renderGaComparison(names)}`;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * DuckDB SELECT over a local lake's GA files, with the Glue table's columns:
 * `ga/<flow>/yyyy/MM/dd/**.parquet`, the `dt` partition read from the path
 * as Athena's projection reads it.
 */
export function gaLocalTableSql(lakeDir: string, flowName: string): string {
  const dir = path.join(path.resolve(lakeDir), gaFlowPrefix(flowName));
  const columns = [...columnsOf(GaReportRowSchema).map((c) => c.name), ...GA_PARTITIONS.map((p) => p.name)];
  const hasFiles = existsSync(dir) && readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile());
  if (!hasFiles) return `SELECT ${columns.map((c) => `CAST(NULL AS VARCHAR) AS "${c}"`).join(", ")} WHERE false`;
  const glob = path.join(dir, "*", "*", "*", "**", "*.parquet");
  const dt = `regexp_extract(filename, ${quote(`/${gaFlowPrefix(flowName)}(\\d{4}/\\d{2}/\\d{2})/`)}, 1)`;
  const data = columnsOf(GaReportRowSchema)
    .map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`)
    .join(", ");
  return `SELECT ${data}, ${dt} AS dt FROM read_parquet(${quote(glob)}, filename = true)`;
}

/** Anything that runs SQL: a LocalLake (queries/duckdb.ts) or a bare DuckDB connection wrapper. */
export interface SqlRunner {
  readonly database: string;
  readonly lakeDir: string;
  sql(sql: string): Promise<Record<string, unknown>[]>;
}

/** Add the GA table and the comparison view to a local lake session (next to its `events` view). */
export async function attachGa(lake: SqlRunner, flowName: string): Promise<void> {
  const db = ident(lake.database, "database");
  await lake.sql(`CREATE OR REPLACE VIEW ${db}.${ident(GA_TABLE, "ga table")} AS ${gaLocalTableSql(lake.lakeDir, flowName)}`);
  await lake.sql(
    `CREATE OR REPLACE VIEW ${db}.${ident(GA_COMPARISON_VIEW, "view")} AS ${toDuckDb(renderGaComparison({ database: lake.database }))}`,
  );
}

export interface GaComparisonRow {
  readonly day: string;
  readonly path: string;
  readonly ga_page_views: number;
  readonly log_page_views: number;
  readonly difference: number;
}

/** The comparison's rows on a local lake (after {@link attachGa}), ordered by day and path. */
export async function runGaComparison(lake: SqlRunner): Promise<GaComparisonRow[]> {
  const rows = await lake.sql(`SELECT * FROM ${ident(lake.database, "database")}.${ident(GA_COMPARISON_VIEW, "view")} ORDER BY day, path`);
  return rows.map((r) => ({
    day: String(r.day),
    path: String(r.path),
    ga_page_views: Number(r.ga_page_views),
    log_page_views: Number(r.log_page_views),
    difference: Number(r.difference),
  }));
}
