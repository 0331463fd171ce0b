/**
 * Rendering a dashboard query for an engine. The `.sql` files are written in
 * Athena engine v3 (Trino) SQL with `{{placeholders}}` for the table names and
 * the day window; {@link toDuckDb} is the one translation step for running the
 * same text on DuckDB locally.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ERRORS_TABLE } from "../schemas/errors";
import { EVENTS_TABLE } from "../schemas/lake";
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
export function windowBounds(window: DayWindow): { from_day: string; to_day: string } {
  if ("lastDays" in window) {
    if (!(Number.isInteger(window.lastDays) && window.lastDays >= 1))
      throw new Error(`lastDays must be a whole number >= 1: ${window.lastDays}`);
    // The double CAST keeps a DATE in both engines (DuckDB's date - interval is a timestamp).
    return {
      from_day: `CAST(CAST(current_date - INTERVAL '${window.lastDays - 1}' DAY AS DATE) AS VARCHAR)`,
      to_day: "CAST(current_date AS VARCHAR)",
    };
  }
  const from = dayLiteral(window.from, "window.from");
  const to = dayLiteral(window.to, "window.to");
  if (window.from > window.to) throw new Error(`window.from ${window.from} is after window.to ${window.to}`);
  return { from_day: from, to_day: to };
}

/** The placeholders filled at render time rather than by a metric's template parameters. */
const RENDER_PLACEHOLDERS = ["events", "errors", "from_day", "to_day"] as const;

/** A metric by id (in the catalogue) or as given (e.g. a test's own metric). */
const metricOf = (q: Metric | string): Metric => (typeof q === "string" ? queryDef(q) : q);

/** The metric's SQL as written: its file with the template parameters filled, tables and window still placeholders. */
export function querySource(q: Metric | string): string {
  const def = metricOf(q);
  const params = def.sql.params ?? {};
  for (const name of RENDER_PLACEHOLDERS) {
    if (name in params) throw new Error(`${def.id}: template parameter {{${name}}} is filled at render time`);
  }
  const keep = Object.fromEntries(RENDER_PLACEHOLDERS.map((name) => [name, `{{${name}}}`]));
  return fillPlaceholders(readFileSync(path.join(SQL_DIR, def.sql.file), "utf8"), { ...keep, ...params }, def.sql.file);
}

/** Fill `{{name}}` placeholders; an unknown placeholder is an error, so a typo never renders silently. */
export function fillPlaceholders(sql: string, values: Readonly<Record<string, string>>, source = "query"): string {
  const placeholder = /\{\{\s*([a-z_]+)\s*\}\}/g;
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
export function renderQuery(id: Metric | string, names: TableNames, window: DayWindow): string {
  const def = metricOf(id);
  const db = ident(names.database, "database");
  return fillPlaceholders(
    querySource(def),
    {
      events: `${db}.${ident(names.events ?? EVENTS_TABLE, "events table")}`,
      errors: `${db}.${ident(names.errors ?? ERRORS_TABLE, "errors table")}`,
      ...windowBounds(window),
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
