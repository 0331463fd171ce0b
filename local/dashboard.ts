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
import { DASHBOARDS, type DashboardDef } from "../queries/dashboards";
import { LocalLake, type ResultRow } from "../queries/duckdb";
import { type CliSpec, parseCli, runMain } from "./cli";
import { type BarItem, type Panel, type ReportModel, type ReportSection, renderReportHtml } from "./report-html";

/** Results of every dashboard query by query id. */
export type Results = Readonly<Record<string, readonly ResultRow[]>>;

/** At most this many bars per bar chart (largest first); the tables hold the rest. */
export const MAX_BARS = 20;
/** At most this many rows per top-N table. */
export const MAX_TABLE_ROWS = 20;

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/** Sum `value` per `key` over rows; largest first, ties by label. */
export function totals(rows: readonly ResultRow[], key: string, value: string): BarItem[] {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(str(r[key]), (sums.get(str(r[key])) ?? 0) + num(r[value]));
  return [...sums].map(([label, v]) => ({ label, value: v })).sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1));
}

/** The largest MAX_BARS totals: a bar chart's items. */
export function topBars(rows: readonly ResultRow[], key: string, value: string): BarItem[] {
  return totals(rows, key, value).slice(0, MAX_BARS);
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** One series per value of `seriesKey`, over all days (0 where a day has no row). */
function dailySeries(rows: readonly ResultRow[], days: readonly string[], seriesKey: string | undefined, value: string) {
  const names = seriesKey ? [...new Set(rows.map((r) => str(r[seriesKey])))].sort() : [value];
  return names.map((name) => {
    const byDay = new Map<string, number>();
    for (const r of rows) {
      if (seriesKey && str(r[seriesKey]) !== name) continue;
      byDay.set(str(r.day), (byDay.get(str(r.day)) ?? 0) + num(r[value]));
    }
    return { name, values: days.map((d) => byDay.get(d) ?? 0) };
  });
}

const sumOf = (rows: readonly ResultRow[], col: string) => rows.reduce((s, r) => s + num(r[col]), 0);

function rowsOf(results: Results, id: string): readonly ResultRow[] {
  const rows = results[id];
  if (!rows) throw new Error(`no results for query ${id}`);
  return rows;
}

/** The report's sections from the query results: which chart shows which query, and how. */
export function buildReport(results: Results, window: { from: string; to: string }, lakeDir = ""): ReportModel {
  const days = daysBetween(window.from, window.to);
  const r = (id: string) => rowsOf(results, id);
  const bars = (id: string, title: string, items: BarItem[], opts: { percent?: boolean; columns?: boolean } = {}): Panel => ({
    kind: "bars",
    id,
    title,
    items,
    ...opts,
  });

  const qrTop = totals(r("qr_daily"), "qr_code", "scans").map((t) => ({
    qr_code: t.label,
    scans: t.value,
    visitors: sumOf(
      r("qr_daily").filter((x) => x.qr_code === t.label),
      "visitors",
    ),
  }));
  const hours = new Map(r("qr_by_hour").map((x) => [num(x.hour_utc), num(x.scans)]));

  const sections: ReportSection[] = [
    {
      id: "documents",
      title: "Documents",
      kpis: [
        { id: "documents-completed", label: "completed downloads", value: sumOf(r("documents_daily"), "completed_downloads") },
        { id: "documents-requests", label: "download requests", value: sumOf(r("documents_daily"), "requests") },
      ],
      panels: [
        {
          kind: "lines",
          id: "documents-daily",
          title: "Completed downloads per day, by document",
          categories: days,
          series: dailySeries(r("documents_daily"), days, "document_id", "completed_downloads"),
        },
        {
          kind: "table",
          id: "documents-top",
          title: "Top documents",
          columns: [
            { name: "document_id", label: "Document" },
            { name: "completed_downloads", label: "Completed downloads", numeric: true },
            { name: "visitors", label: "Visitors", numeric: true },
          ],
          rows: r("documents_top").slice(0, MAX_TABLE_ROWS),
        },
        bars("documents-country", "Completed downloads by country", topBars(r("documents_by_country"), "country", "completed_downloads")),
        bars(
          "documents-device",
          "Completed downloads by device class",
          topBars(r("documents_by_device"), "device_class", "completed_downloads"),
        ),
        bars(
          "documents-referrer",
          "Completed downloads by referrer",
          topBars(r("documents_by_referrer"), "referrer_host", "completed_downloads"),
        ),
      ],
    },
    {
      id: "qr",
      title: "QR scans",
      kpis: [
        { id: "qr-scans", label: "scans", value: sumOf(r("qr_daily"), "scans") },
        { id: "qr-converted", label: "scans followed by a download within 30 min", value: sumOf(r("qr_conversion"), "converted_scans") },
      ],
      panels: [
        {
          kind: "lines",
          id: "qr-daily",
          title: "Scans per day, by code",
          categories: days,
          series: dailySeries(r("qr_daily"), days, "qr_code", "scans"),
        },
        {
          kind: "table",
          id: "qr-top",
          title: "Top QR codes",
          columns: [
            { name: "qr_code", label: "Code" },
            { name: "scans", label: "Scans", numeric: true },
            { name: "visitors", label: "Visitors", numeric: true },
          ],
          rows: qrTop.slice(0, MAX_TABLE_ROWS),
        },
        bars("qr-country", "Scans by country", topBars(r("qr_by_location"), "country", "scans")),
        bars("qr-device", "Scans by device class", topBars(r("qr_by_device"), "device_class", "scans")),
        bars(
          "qr-hour",
          "Scans by hour of day (UTC)",
          Array.from({ length: 24 }, (_, h) => ({ label: String(h).padStart(2, "0"), value: hours.get(h) ?? 0 })),
          { columns: true },
        ),
        {
          kind: "table",
          id: "qr-conversion",
          title: "Scan-to-download conversion (30 minutes)",
          columns: [
            { name: "qr_code", label: "Code" },
            { name: "scans", label: "Scans", numeric: true },
            { name: "converted_scans", label: "Converted", numeric: true },
            { name: "conversion_rate", label: "Rate", numeric: true, percent: true },
          ],
          rows: r("qr_conversion"),
        },
      ],
    },
    {
      id: "traffic",
      title: "Traffic",
      kpis: [
        { id: "traffic-page-views", label: "page views", value: sumOf(r("traffic_daily"), "page_views") },
        { id: "traffic-visitors", label: "visitor-days", value: sumOf(r("traffic_daily"), "visitors") },
      ],
      panels: [
        {
          kind: "lines",
          id: "traffic-daily",
          title: "Page views and visitors per day",
          categories: days,
          series: [
            { name: "page views", values: dailySeries(r("traffic_daily"), days, undefined, "page_views")[0]?.values ?? [] },
            { name: "visitors", values: dailySeries(r("traffic_daily"), days, undefined, "visitors")[0]?.values ?? [] },
          ],
        },
        {
          kind: "table",
          id: "traffic-top-pages",
          title: "Top pages",
          columns: [
            { name: "path", label: "Page" },
            { name: "page_views", label: "Page views", numeric: true },
            { name: "visitors", label: "Visitors", numeric: true },
          ],
          rows: r("traffic_top_pages").slice(0, MAX_TABLE_ROWS),
        },
        bars("traffic-referrers", "Page views by referrer", topBars(r("traffic_referrers"), "referrer_host", "page_views")),
        {
          kind: "table",
          id: "traffic-campaigns",
          title: "UTM campaigns",
          columns: [
            { name: "utm_campaign", label: "Campaign" },
            { name: "utm_source", label: "Source" },
            { name: "utm_medium", label: "Medium" },
            { name: "page_views", label: "Page views", numeric: true },
            { name: "visitors", label: "Visitors", numeric: true },
          ],
          rows: r("traffic_campaigns").slice(0, MAX_TABLE_ROWS),
        },
        bars(
          "traffic-bot-share",
          "Share of automated requests per day",
          r("traffic_bots").map((x) => ({ label: str(x.day), value: num(x.bot_share) })),
          { percent: true },
        ),
      ],
    },
    {
      id: "health",
      title: "Pipeline health",
      kpis: [
        { id: "health-error-records", label: "records Firehose could not process", value: sumOf(r("health_errors_daily"), "records") },
      ],
      panels: [
        bars(
          "health-errors-daily",
          "Error records per arrival day",
          days.map((d) => ({
            label: d,
            value: sumOf(
              r("health_errors_daily").filter((x) => x.day === d),
              "records",
            ),
          })),
        ),
        {
          kind: "table",
          id: "health-errors",
          title: "Error records by type",
          columns: [
            { name: "day", label: "Day" },
            { name: "error_type", label: "Type" },
            { name: "error_code", label: "Code" },
            { name: "records", label: "Records", numeric: true },
            { name: "first_arrival", label: "First" },
            { name: "last_arrival", label: "Last" },
          ],
          rows: r("health_errors_daily"),
        },
      ],
    },
  ];
  return {
    title: "Website analytics",
    subtitle: `${window.from} .. ${window.to} (UTC days)${lakeDir ? `, lake ${lakeDir}` : ""}`,
    sections,
  };
}

/** Run every query of the four dashboards over the lake (its whole day range unless a window is given). */
export async function runReportQueries(
  lakeDir: string,
  window?: { from: string; to: string },
): Promise<{ window: { from: string; to: string }; results: Results }> {
  const lake = await LocalLake.open(lakeDir);
  try {
    const w = window ?? lake.dayRange();
    if (!w) throw new Error(`the lake ${lakeDir} holds no events or errors yet: run npm run local first`);
    const results: Record<string, ResultRow[]> = {};
    const ids: DashboardDef["id"][] = ["documents", "qr", "traffic", "health"];
    for (const d of DASHBOARDS.filter((x) => ids.includes(x.id))) {
      for (const res of await lake.runDashboard(d.id, w)) results[res.query.id] = res.rows;
    }
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
): Promise<string> {
  const { window: w, results } = await runReportQueries(lakeDir, window);
  const html = renderReportHtml(buildReport(results, w, lakeLabel));
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, html);
  return html;
}

export const DASHBOARD_CLI: CliSpec = {
  usage: "npm run dashboard -- --lake DIR --out FILE.html [--from YYYY-MM-DD --to YYYY-MM-DD]",
  summary:
    "Writes the Documents, QR-scan, traffic and pipeline-health dashboards as one self-contained HTML file, every number\n" +
    "from the dashboard queries run by DuckDB over a local lake (`npm run local` writes one).",
  flags: {
    lake: { value: "DIR", help: "a lake written by npm run local" },
    out: { value: "FILE.html", help: "the report to write" },
    from: { value: "YYYY-MM-DD", help: "first day (with --to; default: the lake's first day)" },
    to: { value: "YYYY-MM-DD", help: "last day (with --from; default: the lake's last day)" },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(DASHBOARD_CLI, process.argv.slice(2));
  const lake = flags.directory("lake", "a lake written by npm run local", true);
  const out = flags.outputFile("out", undefined, "the HTML file to write");
  const window = flags.window();
  const html = await writeReport(lake, out, window);
  console.log(`wrote ${path.relative(process.cwd(), path.resolve(out))} (${Math.round(html.length / 1024)} KiB, self-contained)`);
}

if (require.main === module) runMain(main);
