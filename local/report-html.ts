/**
 * The local dashboard report as one self-contained HTML page: inline CSS and
 * inline SVG charts, no scripts, fonts or images from anywhere, so it opens
 * offline and can be mailed around. Pure: it only turns query results into text.
 *
 * Every chart mark carries `data-label` and `data-value` (and a `<title>`
 * tooltip), every table cell `data-col`, so a reader (or a test) can read the
 * numbers back from the page.
 */
import { BUNDLED_GEO_CREDIT } from "../handlers/firehose-transform/env";
import { NO_GEO } from "../handlers/firehose-transform/geoip";

export interface BarItem {
  readonly label: string;
  readonly value: number;
}

export interface Series {
  readonly name: string;
  /** One value per category of the chart, in order. */
  readonly values: readonly number[];
}

export type Cell = string | number | null;

export type Panel =
  | {
      readonly kind: "bars";
      readonly id: string;
      readonly title: string;
      readonly items: readonly BarItem[];
      readonly percent?: boolean;
      /** Upright columns in the given order (e.g. hours of the day) instead of horizontal bars. @default false */
      readonly columns?: boolean;
    }
  | {
      readonly kind: "lines";
      readonly id: string;
      readonly title: string;
      readonly categories: readonly string[];
      readonly series: readonly Series[];
    }
  | {
      readonly kind: "table";
      readonly id: string;
      readonly title: string;
      readonly columns: readonly {
        readonly name: string;
        readonly label: string;
        readonly numeric?: boolean;
        readonly percent?: boolean;
      }[];
      readonly rows: readonly Readonly<Record<string, Cell>>[];
    };

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  /** Headline numbers shown above the charts. */
  readonly kpis: readonly { readonly id: string; readonly label: string; readonly value: number }[];
  readonly panels: readonly Panel[];
}

export interface ReportModel {
  readonly title: string;
  /** What the report covers, e.g. "2025-06-01 .. 2025-06-07". */
  readonly subtitle: string;
  readonly sections: readonly ReportSection[];
}

const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** A number as the page shows it: integers with thousands separators, shares as percentages. */
export function formatNumber(value: number, percent = false): string {
  if (percent) return `${(value * 100).toFixed(1)}%`;
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toFixed(2);
}

function attr(name: string, value: string | number): string {
  return ` ${name}="${escapeHtml(String(value))}"`;
}

function emptyChart(id: string): string {
  return `<p class="empty"${attr("data-empty", id)}>No data in this window.</p>`;
}

/** Horizontal bars, one per item, in the given order. */
function barsSvg(p: Extract<Panel, { kind: "bars" }>): string {
  if (p.items.length === 0) return emptyChart(p.id);
  if (p.columns) return columnsSvg(p);
  const rowH = 22;
  const labelW = 150;
  const barW = 300;
  const width = labelW + barW + 70;
  const height = p.items.length * rowH + 8;
  const max = Math.max(...p.items.map((i) => i.value), 0) || 1;
  const rows = p.items.map((item, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(1, Math.round((item.value / max) * barW));
    const shown = formatNumber(item.value, p.percent);
    return [
      `<text class="label" x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(truncate(item.label, 22))}</text>`,
      `<rect class="bar"${attr("data-label", item.label)}${attr("data-value", item.value)} x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${PALETTE[0]}"><title>${escapeHtml(`${item.label}: ${shown}`)}</title></rect>`,
      `<text class="value" x="${labelW + w + 6}" y="${y + 15}">${escapeHtml(shown)}</text>`,
    ].join("");
  });
  return `<svg class="chart-svg" role="img"${attr("aria-label", p.title)} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${rows.join("")}</svg>`;
}

/** Upright columns, one per item, value above each, label below. */
function columnsSvg(p: Extract<Panel, { kind: "bars" }>): string {
  const colW = 24;
  const left = 8;
  const top = 18;
  const plotH = 140;
  const width = left * 2 + p.items.length * colW;
  const height = top + plotH + 22;
  const max = Math.max(...p.items.map((i) => i.value), 0) || 1;
  const cols = p.items.map((item, i) => {
    const x = left + i * colW;
    const h = Math.max(1, Math.round((item.value / max) * plotH));
    const shown = formatNumber(item.value, p.percent);
    return [
      `<rect class="bar"${attr("data-label", item.label)}${attr("data-value", item.value)} x="${x + 3}" y="${top + plotH - h}" width="${colW - 6}" height="${h}" fill="${PALETTE[0]}"><title>${escapeHtml(`${item.label}: ${shown}`)}</title></rect>`,
      `<text class="value" x="${x + colW / 2}" y="${top + plotH - h - 4}" text-anchor="middle">${escapeHtml(shown)}</text>`,
      `<text class="label" x="${x + colW / 2}" y="${top + plotH + 14}" text-anchor="middle">${escapeHtml(truncate(item.label, 4))}</text>`,
    ].join("");
  });
  return `<svg class="chart-svg" role="img"${attr("aria-label", p.title)} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${cols.join("")}</svg>`;
}

/** One line per series over the categories (days), with a point per value and a legend. */
function linesSvg(p: Extract<Panel, { kind: "lines" }>): string {
  if (p.categories.length === 0 || p.series.length === 0) return emptyChart(p.id);
  const width = 640;
  const height = 240;
  const left = 48;
  const right = 28;
  const top = 12;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...p.series.flatMap((s) => s.values));
  const n = p.categories.length;
  const x = (i: number) => left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max].map((v) => Math.round(v));
  const grid = ticks
    .map(
      (t) =>
        `<line class="grid" x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/><text class="axis" x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${formatNumber(t)}</text>`,
    )
    .join("");
  const every = Math.max(1, Math.ceil(n / 8));
  const xLabels = p.categories
    .map((c, i) =>
      i % every === 0 || i === n - 1
        ? `<text class="axis" x="${x(i).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${escapeHtml(c.length === 10 ? c.slice(5) : c)}</text>`
        : "",
    )
    .join("");
  const lines = p.series
    .map((s, si) => {
      const color = PALETTE[si % PALETTE.length] as string;
      const d = s.values.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      const points = s.values
        .map(
          (v, i) =>
            `<circle class="point"${attr("data-series", s.name)}${attr("data-label", p.categories[i] as string)}${attr("data-value", v)} cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.name}, ${p.categories[i]}: ${formatNumber(v)}`)}</title></circle>`,
        )
        .join("");
      return `<path class="line"${attr("data-series", s.name)} d="${d}" fill="none" stroke="${color}" stroke-width="2"/>${points}`;
    })
    .join("");
  const legend = p.series
    .map((s, si) => {
      const lx = left + si * 120;
      return `<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/><text class="legend" x="${lx + 14}" y="${height - 5}">${escapeHtml(truncate(s.name, 14))}</text>`;
    })
    .join("");
  return `<svg class="chart-svg" role="img"${attr("aria-label", p.title)} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${grid}${xLabels}${lines}${legend}</svg>`;
}

function tableHtml(p: Extract<Panel, { kind: "table" }>): string {
  if (p.rows.length === 0) return emptyChart(p.id);
  const head = p.columns.map((c) => `<th${c.numeric ? ' class="num"' : ""}>${escapeHtml(c.label)}</th>`).join("");
  const body = p.rows
    .map(
      (r) =>
        `<tr>${p.columns
          .map((c) => {
            const v = r[c.name] ?? null;
            const shown = v === null ? "-" : typeof v === "number" ? formatNumber(v, c.percent) : v;
            return `<td${c.numeric ? ' class="num"' : ""}${attr("data-col", c.name)}${v === null ? "" : attr("data-value", v)}>${escapeHtml(shown)}</td>`;
          })
          .join("")}</tr>`,
    )
    .join("");
  return `<table class="data"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function panelHtml(p: Panel): string {
  const inner = p.kind === "bars" ? barsSvg(p) : p.kind === "lines" ? linesSvg(p) : tableHtml(p);
  return `<figure class="panel ${p.kind === "table" ? "table" : "chart"}"${attr("data-panel", p.id)}${attr("data-kind", p.kind)}><figcaption>${escapeHtml(p.title)}</figcaption>${inner}</figure>`;
}

function sectionHtml(s: ReportSection): string {
  const kpis = s.kpis
    .map(
      (k) =>
        `<div class="kpi"${attr("data-kpi", k.id)}${attr("data-value", k.value)}><span class="kpi-value">${formatNumber(k.value)}</span><span class="kpi-label">${escapeHtml(k.label)}</span></div>`,
    )
    .join("");
  return `<section${attr("id", s.id)}${attr("data-section", s.id)}><h2>${escapeHtml(s.title)}</h2><div class="kpis">${kpis}</div><div class="panels">${s.panels.map(panelHtml).join("")}</div></section>`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;padding:24px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2937;background:#f3f4f6}
header h1{margin:0 0 4px;font-size:22px}header p{margin:0 0 16px;color:#6b7280}
nav a{margin-right:12px;color:#2563eb;text-decoration:none}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{margin:0 0 12px;font-size:18px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:8px}
.kpi{background:#eff6ff;border-radius:6px;padding:8px 14px;min-width:140px}
.kpi-value{display:block;font-size:22px;font-weight:600}.kpi-label{font-size:12px;color:#4b5563}
.panels{display:flex;flex-wrap:wrap;gap:16px}
figure.panel{margin:0;padding:8px;border:1px solid #e5e7eb;border-radius:6px;max-width:100%;overflow-x:auto}
figcaption{font-weight:600;font-size:14px;margin-bottom:6px}
svg text{font-size:11px;fill:#374151}svg .grid{stroke:#e5e7eb}svg .axis{fill:#6b7280}
table.data{border-collapse:collapse;font-size:12px}
table.data th,table.data td{padding:3px 8px;border-bottom:1px solid #f3f4f6;text-align:left}
table.data .num{text-align:right;font-variant-numeric:tabular-nums}
.empty{color:#9ca3af;font-style:italic}
footer{color:#9ca3af;font-size:12px}footer a{color:#6b7280}
`;

/** The fields GeoIP fills in (country, region, city): a panel about one of them shows locations. */
const LOCATION_FIELDS: readonly string[] = Object.keys(NO_GEO);

/** True when a panel shows locations: its id names a GeoIP field (`qr-country`) or one of its table columns is one. */
export function showsLocations(model: ReportModel): boolean {
  return model.sections.some((s) =>
    s.panels.some(
      (p) =>
        p.id.split("-").some((w) => LOCATION_FIELDS.includes(w)) ||
        (p.kind === "table" && p.columns.some((c) => LOCATION_FIELDS.includes(c.name))),
    ),
  );
}

/** The GeoIP credit: the licence asks for it, with the link, on every page that shows locations. */
function geoCreditHtml(): string {
  const c = BUNDLED_GEO_CREDIT;
  return ` <span class="credit" data-credit="geoip">Locations: <a href="${escapeHtml(c.url)}">${escapeHtml(c.text)}</a> (${escapeHtml(c.licence)}).</span>`;
}

/**
 * The whole page. No `<script>`, nothing loaded from a URL: a Content-Security-Policy forbids it. The one external
 * URL is the GeoIP credit's link, which loads nothing unless the reader follows it.
 */
export function renderReportHtml(model: ReportModel): string {
  const nav = model.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join("");
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    // Belt and braces: even a stray URL in a label could not make the page fetch anything.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(model.title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${escapeHtml(model.title)}</h1><p>${escapeHtml(model.subtitle)}</p><nav>${nav}</nav></header>`,
    model.sections.map(sectionHtml).join(""),
    `<footer>Rendered by npm run dashboard from the dashboard queries (queries/sql), run by DuckDB over the local lake.${showsLocations(model) ? geoCreditHtml() : ""}</footer>`,
    "</body></html>",
    "",
  ].join("\n");
}
