/**
 * `npm run dashboard -- --lake DIR --out FILE.html [--from YYYY-MM-DD --to YYYY-MM-DD]`
 *
 * The Documents, QR-scan, traffic and pipeline-health dashboards as one
 * self-contained HTML file: every number comes from the dashboard queries
 * (queries/sql, the same SQL Athena and QuickSight run), executed by DuckDB
 * over a local lake (`npm run local` writes one).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  type BarChart,
  CATALOGUE,
  type Catalogue,
  type Chart,
  checkedCatalogue,
  columnLabel,
  columnOf,
  dashboardsOn,
  isNumeric,
  type LineChart,
  type Metric,
  metricsOf,
  metricsOn,
  type PieChart,
  type TableChart,
} from "../queries/catalogue";
import { LocalLake, type LocalLakeOptions, type ResultRow } from "../queries/duckdb";
import { type CliSpec, parseCli, runMain } from "./cli";
import { type Panel, type ReportModel, type ReportSection, renderReportHtml } from "./report-html";

/** Results of the dashboard queries by metric id. */
export type Results = Readonly<Record<string, readonly ResultRow[]>>;

/** At most this many bars per bar chart (largest first) unless the chart sets a limit; the tables hold the rest. */
export const MAX_BARS = 20;

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/**
 * Rows grouped by `keys` with the `values` columns summed, largest first `values[0]` first, ties by the keys. A ratio
 * column is recomputed from the sums of its parts (a sum of ratios would be wrong); a group of one row keeps the
 * query's own value.
 */
export function aggregate(metric: Metric, rows: readonly ResultRow[], keys: readonly string[], values: readonly string[]): ResultRow[] {
  const cols = values.map((v) => columnOf(metric, v));
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const id = JSON.stringify(keys.map((k) => str(r[k])));
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const total = (group: readonly ResultRow[], col: string) => group.reduce((sum, r) => sum + num(r[col]), 0);
  const out = [...groups.values()].map((group) => {
    const row: ResultRow = Object.fromEntries(keys.map((k) => [k, str(group[0]?.[k])]));
    for (const c of cols) {
      if (!c.ratioOf) row[c.name] = total(group, c.name);
      else if (group.length === 1) row[c.name] = num(group[0]?.[c.name]);
      else row[c.name] = total(group, c.ratioOf[1]) ? total(group, c.ratioOf[0]) / total(group, c.ratioOf[1]) : 0;
    }
    return row;
  });
  const first = values[0];
  const label = (r: ResultRow) => keys.map((k) => str(r[k])).join("\u0000");
  return out.sort((x, y) => (first ? num(y[first]) - num(x[first]) : 0) || (label(x) < label(y) ? -1 : label(x) > label(y) ? 1 : 0));
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** One series per measure, or per value of the chart's series column; a value for every day (0 where no row). */
function linePanel(m: Metric, c: LineChart, rows: readonly ResultRow[], days: readonly string[]): Panel {
  /** Day-by-day values of `measure` over the rows `keep` selects. */
  const daily = (measure: string, keep: (r: ResultRow) => boolean) => {
    const byDay = new Map(aggregate(m, rows.filter(keep), ["day"], [measure]).map((r) => [str(r.day), num(r[measure])]));
    return days.map((d) => byDay.get(d) ?? 0);
  };
  const { series: key } = c;
  const series = key
    ? [...new Set(rows.map((r) => str(r[key])))].sort().map((name) => ({
        name,
        values: daily(c.measures[0] as string, (r) => str(r[key]) === name),
      }))
    : c.measures.map((measure) => ({ name: columnLabel(columnOf(m, measure)), values: daily(measure, () => true) }));
  return { kind: "lines", id: c.id, title: c.title, categories: days, series };
}

function tablePanel(m: Metric, c: TableChart, rows: readonly ResultRow[]): Panel {
  const cols = c.columns.map((x) => columnOf(m, x));
  const keys = cols.filter((x) => !isNumeric(x)).map((x) => x.name);
  const values = cols.filter(isNumeric).map((x) => x.name);
  // A table as fine as the query shows the query's rows in its order; a coarser one sums them up.
  const finer = m.columns.some((x) => !isNumeric(x) && !keys.includes(x.name));
  const shown = finer ? aggregate(m, rows, keys, values) : rows;
  return {
    kind: "table",
    id: c.id,
    title: c.title,
    columns: cols.map((x) => ({
      name: x.name,
      label: columnLabel(x),
      ...(isNumeric(x) ? { numeric: true } : {}),
      ...(x.share ? { percent: true } : {}),
    })),
    rows: (c.limit === undefined ? shown : shown.slice(0, c.limit)).map((r) =>
      Object.fromEntries(cols.map((x) => [x.name, r[x.name] ?? null])),
    ),
  };
}

function barsPanel(m: Metric, c: BarChart | PieChart, rows: readonly ResultRow[], days: readonly string[]): Panel {
  const measure = columnOf(m, c.measure);
  const sums = aggregate(m, rows, [c.category], [c.measure]);
  const percent = measure.share ? { percent: true } : {};
  const axis = c.kind === "bar" ? c.axis : undefined;
  if (axis === undefined) {
    const limit = (c.kind === "bar" ? c.limit : undefined) ?? MAX_BARS;
    const items = sums.slice(0, limit).map((r) => ({ label: str(r[c.category]), value: num(r[c.measure]) }));
    return { kind: "bars", id: c.id, title: c.title, items, ...percent };
  }
  const byLabel = new Map(sums.map((r) => [str(r[c.category]), num(r[c.measure])]));
  if (axis === "days") {
    return { kind: "bars", id: c.id, title: c.title, items: days.map((d) => ({ label: d, value: byLabel.get(d) ?? 0 })), ...percent };
  }
  const width = String(axis.to).length;
  const items = Array.from({ length: axis.to - axis.from + 1 }, (_, i) => {
    const v = axis.from + i;
    return { label: String(v).padStart(width, "0"), value: byLabel.get(String(v)) ?? 0 };
  });
  return { kind: "bars", id: c.id, title: c.title, items, columns: true, ...percent };
}

function panel(m: Metric, c: Chart, rows: readonly ResultRow[], days: readonly string[]): Panel {
  if (c.kind === "line") return linePanel(m, c, rows, days);
  if (c.kind === "table") return tablePanel(m, c, rows);
  return barsPanel(m, c, rows, days);
}

/** The results of one metric; an error naming it when the results lack it. */
function rowsOf(results: Results, id: string): readonly ResultRow[] {
  const rows = results[id];
  if (!rows) throw new Error(`no results for query ${id}`);
  return rows;
}

/**
 * The report from the query results: one section per dashboard with a report chart, its headline numbers and one
 * panel per chart of the catalogue (queries/catalogue.ts) on the "report" surface, in catalogue order.
 */
export function buildReport(
  results: Results,
  window: { from: string; to: string },
  lakeDir = "",
  catalogue: Catalogue = CATALOGUE,
): ReportModel {
  checkedCatalogue(catalogue);
  const days = daysBetween(window.from, window.to);
  const sections: ReportSection[] = dashboardsOn(catalogue, "report").map((d) => {
    const metrics = metricsOf(catalogue, d.id).filter((m) => m.charts.some((c) => c.on.includes("report")));
    return {
      id: d.id,
      title: d.title,
      kpis: metrics.flatMap((m) =>
        (m.kpis ?? []).map((k) => ({
          id: k.id,
          label: k.label,
          value: rowsOf(results, m.id).reduce((sum, r) => sum + num(r[k.column]), 0),
        })),
      ),
      panels: metrics.flatMap((m) => m.charts.filter((c) => c.on.includes("report")).map((c) => panel(m, c, rowsOf(results, m.id), days))),
    };
  });
  return {
    title: "Website analytics",
    subtitle: `${window.from} .. ${window.to} (UTC days)${lakeDir ? `, lake ${lakeDir}` : ""}`,
    sections,
  };
}

/**
 * Run every metric the report shows over the lake (its whole day range unless a window is given); closed days
 * (before `options.today`, default: every day of the lake) come from the rollups.
 */
export async function runReportQueries(
  lakeDir: string,
  window?: { from: string; to: string },
  catalogue: Catalogue = CATALOGUE,
  options: LocalLakeOptions = {},
): Promise<{ window: { from: string; to: string }; results: Results }> {
  const lake = await LocalLake.open(lakeDir, undefined, options);
  try {
    const w = window ?? lake.dayRange();
    if (!w) throw new Error(`the lake ${lakeDir} holds no events or errors yet: run npm run local first`);
    const results: Record<string, ResultRow[]> = {};
    for (const m of metricsOn(catalogue, "report")) results[m.id] = (await lake.runQuery(m, w)).rows;
    return { window: w, results };
  } finally {
    lake.close();
  }
}

/** Query the lake and write the report; returns the HTML written. `lakeLabel` names the lake in the subtitle. */
export async function writeReport(
  lakeDir: string,
  out: string,
  window?: { from: string; to: string },
  lakeLabel: string = lakeDir,
  options: LocalLakeOptions = {},
): Promise<string> {
  const { window: w, results } = await runReportQueries(lakeDir, window, CATALOGUE, options);
  const html = renderReportHtml(buildReport(results, w, lakeLabel));
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, html);
  return html;
}

export const DASHBOARD_CLI: CliSpec = {
  usage: "npm run dashboard -- --lake DIR --out FILE.html [--from YYYY-MM-DD --to YYYY-MM-DD] [--today YYYY-MM-DD]",
  summary:
    "Writes the Documents, QR-scan, traffic and pipeline-health dashboards as one self-contained HTML file, every number\n" +
    "from the dashboard queries run by DuckDB over a local lake (`npm run local` writes one).",
  flags: {
    lake: { value: "DIR", help: "a lake written by npm run local" },
    out: { value: "FILE.html", help: "the report to write" },
    from: { value: "YYYY-MM-DD", help: "first day (with --to; default: the lake's first day)" },
    to: { value: "YYYY-MM-DD", help: "last day (with --from; default: the lake's last day)" },
    today: {
      value: "YYYY-MM-DD",
      help: "the day treated as today: earlier days read from the rollups, later ones from raw events (default: the day after the lake's last day)",
    },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(DASHBOARD_CLI, process.argv.slice(2));
  const lake = flags.directory("lake", "a lake written by npm run local", true);
  const out = flags.outputFile("out", undefined, "the HTML file to write");
  const window = flags.window();
  const today = flags.day("today");
  const html = await writeReport(lake, out, window, lake, today === undefined ? {} : { today });
  console.log(`wrote ${path.relative(process.cwd(), path.resolve(out))} (${Math.round(html.length / 1024)} KiB, self-contained)`);
}

if (require.main === module) runMain(main);
