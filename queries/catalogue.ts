/**
 * The metric catalogue: every dashboard metric declared once. An entry names
 * its SQL (a `.sql` file under queries/sql, or a shared template and its
 * parameters), the columns it returns and the charts that plot it, and on
 * which surface each chart appears (QuickSight, the local HTML report).
 *
 * Everything else is driven from here: the Athena named queries
 * (stacks/constructs/athena-query.ts), the QuickSight data sets and visuals
 * (stacks/constructs/dashboards.ts, dashboards-definition.ts), the local report
 * (local/dashboard.ts buildReport) and the truth comparison over a generated
 * lake (local/truth.ts keys one truth function by each metric id).
 *
 * Adding a chart = one entry here + its truth function in local/truth.ts.
 * Contract layer: plain data, no cdktf, no AWS SDK, no file access.
 */
import type { RollupName } from "../schemas/rollups";

/** The type of a result column, as the JS value a row carries. */
export type ResultType = "string" | "integer" | "double" | "timestamp";

export interface ResultColumn {
  readonly name: string;
  readonly type: ResultType;
  /** Column heading and series name in the report. @default the name, capitalised, `_` as spaces */
  readonly label?: string;
  /** A share from 0 to 1, shown as a percentage. @default false */
  readonly share?: boolean;
  /**
   * The column is `numerator / denominator` of two other columns: a chart that groups rows recomputes it from
   * their sums (a sum of ratios would be wrong).
   */
  readonly ratioOf?: readonly [numerator: string, denominator: string];
}

/** Where a chart is drawn. */
export type Surface = "quicksight" | "report";

interface ChartBase {
  /** Unique across the catalogue: the QuickSight visual id and the report's panel id. */
  readonly id: string;
  readonly title: string;
  readonly on: readonly Surface[];
}

/** Daily time series over the metric's `day` column: one line per measure, or per value of `series` (then one measure). */
export interface LineChart extends ChartBase {
  readonly kind: "line";
  readonly measures: readonly string[];
  readonly series?: string;
}

/**
 * A table of the given columns. Non-numeric columns group, numeric ones are summed (ratios recomputed); when the
 * columns are the query's own grouping the report shows the query's rows in its order.
 */
export interface TableChart extends ChartBase {
  readonly kind: "table";
  readonly columns: readonly string[];
  /** Rows shown (QuickSight: rows per page), largest first measure first. @default all */
  readonly limit?: number;
}

/** Bars of a summed measure per category. */
export interface BarChart extends ChartBase {
  readonly kind: "bar";
  readonly category: string;
  readonly measure: string;
  /**
   * Largest-first bars by default. "days": one bar per day of the window, in order (the category is a YYYY-MM-DD
   * day); a range: one upright column per whole number from..to, in order. Missing categories count 0.
   */
  readonly axis?: "days" | { readonly from: number; readonly to: number };
  /** At most this many bars (QuickSight groups the rest as "Other"). @default QuickSight: all; report: MAX_BARS */
  readonly limit?: number;
}

/** Share of a summed measure per category (the report draws it as bars). */
export interface PieChart extends ChartBase {
  readonly kind: "pie";
  readonly category: string;
  readonly measure: string;
}

export type Chart = LineChart | TableChart | BarChart | PieChart;

/** A headline number of the report: `column` summed over the metric's rows. */
export interface Kpi {
  readonly id: string;
  readonly label: string;
  readonly column: string;
}

/** The SQL of a metric: a file below queries/sql/, with values for its template placeholders. */
export interface SqlSource {
  readonly file: string;
  /** Template parameters (`{{name}}` in the file); the table names and day window are filled at render time. @default {} */
  readonly params?: Readonly<Record<string, string>>;
}

export type DashboardId = "documents" | "qr" | "traffic" | "health";

export interface Metric {
  /** Unique, `<dashboard>_<name>`, e.g. `documents_daily`: the named query, data set and truth key. */
  readonly id: string;
  readonly dashboard: DashboardId;
  readonly title: string;
  readonly sql: SqlSource;
  /** Columns in result order. */
  readonly columns: readonly ResultColumn[];
  readonly charts: readonly Chart[];
  /** Headline numbers in the report. @default none */
  readonly kpis?: readonly Kpi[];
  /**
   * The daily rollup (schemas/rollups.ts) the metric re-aggregates: its SQL reads `{{rollup:<name>}}`, closed days
   * from the rollup table and today from raw events (queries/render.ts checks the SQL reads exactly this one).
   * @default none: the SQL reads its tables directly
   */
  readonly rollup?: RollupName;
}

export interface DashboardDef {
  readonly id: DashboardId;
  readonly title: string;
}

export interface Catalogue {
  /** Dashboards in display order. */
  readonly dashboards: readonly DashboardDef[];
  /** Metrics in display order (within a dashboard, its charts come in this order). */
  readonly metrics: readonly Metric[];
}

// ---------------------------------------------------------------- helpers

const s = (name: string, label?: string): ResultColumn => ({ name, type: "string", ...(label ? { label } : {}) });
const n = (name: string, label?: string): ResultColumn => ({ name, type: "integer", ...(label ? { label } : {}) });
const t = (name: string, label?: string): ResultColumn => ({ name, type: "timestamp", ...(label ? { label } : {}) });
const ratio = (name: string, label: string, numerator: string, denominator: string): ResultColumn => ({
  name,
  type: "double",
  label,
  share: true,
  ratioOf: [numerator, denominator],
});

const BOTH: readonly Surface[] = ["quicksight", "report"];
const REPORT: readonly Surface[] = ["report"];

/** A grouping column of the by-dimension templates, and the label SQL gives a missing value. */
export interface Dimension {
  readonly column: string;
  readonly label: string;
  readonly missing: string;
}

/** Dimensions the by-dimension templates group by; `missing` is what the query (and the truth) shows for null. */
export const DIMENSIONS = {
  country: { column: "country", label: "Country", missing: "--" },
  city: { column: "city", label: "City", missing: "(unknown)" },
  device_class: { column: "device_class", label: "Device class", missing: "other" },
  referrer_host: { column: "referrer_host", label: "Referrer", missing: "(direct)" },
} as const satisfies Readonly<Record<string, Dimension>>;

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * A by-dimension template's parameters: the dimension columns (null shown as their `missing` label) after the
 * template's one key column, and the positions its GROUP BY / ORDER BY need.
 */
export function byDimensionSql(file: string, description: string, dims: readonly Dimension[], rollup: RollupName): SqlSource {
  if (dims.length === 0) throw new Error(`${file}: at least one dimension`);
  for (const d of dims) {
    if (!IDENT.test(d.column)) throw new Error(`${file}: dimension must be a lower-case SQL identifier: ${JSON.stringify(d.column)}`);
  }
  const positions = dims.map((_, i) => String(i + 2));
  return {
    file,
    params: {
      description,
      dimension_columns: dims.map((d) => `coalesce(${d.column}, '${d.missing.replace(/'/g, "''")}') AS ${d.column}`).join(",\n  "),
      group_by: ["1", ...positions].join(", "),
      measure_position: String(dims.length + 2),
      dimension_positions: positions.join(", "),
      rollup_rows: `{{rollup:${rollup}}}`,
    },
  };
}

/** A bar or pie chart without its category and measure (the by-dimension helper fills them in). */
type BreakdownChart = Omit<BarChart, "category" | "measure"> | Omit<PieChart, "category" | "measure">;

/** documents/by_dimension.sql: completed downloads per document and one dimension, from the rollup of that dimension. */
function documentsBy(name: string, title: string, about: string, dim: Dimension, rollup: RollupName, chart: BreakdownChart) {
  const measure = "completed_downloads";
  return {
    id: `documents_${name}`,
    dashboard: "documents",
    title,
    sql: byDimensionSql("documents/by_dimension.sql", `Documents: completed downloads per document and ${about}.`, [dim], rollup),
    rollup,
    columns: [s("document_id", "Document"), s(dim.column, dim.label), n(measure, "Completed downloads")],
    charts: [{ ...chart, category: dim.column, measure }],
  } satisfies Metric;
}

/** qr/by_dimension.sql: scans per code and one or more dimensions, from the rollup of those dimensions. */
function qrBy(name: string, title: string, about: string, dims: readonly Dimension[], rollup: RollupName, charts: readonly Chart[]) {
  return {
    id: `qr_${name}`,
    dashboard: "qr",
    title,
    sql: byDimensionSql("qr/by_dimension.sql", `QR scans: scans per code${about}.`, dims, rollup),
    rollup,
    columns: [s("qr_code", "Code"), ...dims.map((d) => s(d.column, d.label)), n("scans", "Scans")],
    charts,
  } satisfies Metric;
}

/** A metric read from its own file, `<dashboard>/<name>.sql`. */
function metric(dashboard: DashboardId, name: string, title: string, rest: Pick<Metric, "columns" | "charts" | "kpis" | "rollup">): Metric {
  return { id: `${dashboard}_${name}`, dashboard, title, sql: { file: `${dashboard}/${name}.sql` }, ...rest };
}

// ---------------------------------------------------------------- the catalogue

export const CATALOGUE: Catalogue = {
  dashboards: [
    { id: "documents", title: "Documents" },
    { id: "qr", title: "QR scans" },
    { id: "traffic", title: "Traffic" },
    { id: "health", title: "Pipeline health" },
  ],
  metrics: [
    metric("documents", "daily", "Downloads per document and day", {
      rollup: "documents_daily",
      columns: [
        s("day"),
        s("document_id", "Document"),
        n("requests"),
        n("completed_downloads", "Completed downloads"),
        n("range_parts"),
        n("visitors"),
      ],
      charts: [
        {
          kind: "line",
          id: "documents-daily",
          title: "Completed downloads per day, by document",
          measures: ["completed_downloads"],
          series: "document_id",
          on: BOTH,
        },
      ],
      kpis: [
        { id: "documents-completed", label: "completed downloads", column: "completed_downloads" },
        { id: "documents-requests", label: "download requests", column: "requests" },
      ],
    }),
    metric("documents", "top", "Top documents", {
      rollup: "documents_daily",
      columns: [s("document_id", "Document"), n("completed_downloads", "Completed downloads"), n("visitors")],
      charts: [
        {
          kind: "table",
          id: "documents-top",
          title: "Top documents",
          columns: ["document_id", "completed_downloads", "visitors"],
          limit: 20,
          on: BOTH,
        },
      ],
    }),
    documentsBy("by_country", "Downloads by country", "viewer country (humans only)", DIMENSIONS.country, "documents_by_country", {
      kind: "bar",
      id: "documents-country",
      title: "Completed downloads by country",
      limit: 15,
      on: BOTH,
    }),
    documentsBy(
      "by_device",
      "Downloads by device class",
      "device class (desktop, mobile, tablet; humans only)",
      DIMENSIONS.device_class,
      "documents_by_device",
      {
        kind: "pie",
        id: "documents-device",
        title: "Completed downloads by device class",
        on: BOTH,
      },
    ),
    documentsBy(
      "by_referrer",
      "Downloads by referrer",
      "referring site; '(direct)' when there was no referrer (humans only)",
      DIMENSIONS.referrer_host,
      "documents_by_referrer",
      { kind: "bar", id: "documents-referrer", title: "Completed downloads by referrer", limit: 15, on: BOTH },
    ),
    metric("qr", "daily", "Scans per code and day", {
      rollup: "qr_daily",
      columns: [s("day"), s("qr_code", "Code"), n("scans"), n("visitors")],
      charts: [
        { kind: "line", id: "qr-daily", title: "Scans per day, by code", measures: ["scans"], series: "qr_code", on: BOTH },
        { kind: "table", id: "qr-top", title: "Top QR codes", columns: ["qr_code", "scans", "visitors"], limit: 20, on: BOTH },
      ],
      kpis: [{ id: "qr-scans", label: "scans", column: "scans" }],
    }),
    // The country chart reads its own rollup: code x country stays near constant as traffic grows, while code x
    // country x city does not (more scans reach more cities), and a dashboard refresh must not grow with traffic.
    qrBy("by_country", "Scans by country", " and country (GeoIP) (humans only)", [DIMENSIONS.country], "qr_by_country", [
      { kind: "bar", id: "qr-country", title: "Scans by country", category: "country", measure: "scans", limit: 15, on: BOTH },
    ]),
    // The city breakdown: a named query only (no chart, so no data set), exact for any window from its rollup.
    qrBy(
      "by_location",
      "Scans by country and city",
      ", country and city (GeoIP) (humans only)",
      [DIMENSIONS.country, DIMENSIONS.city],
      "qr_by_location",
      [],
    ),
    qrBy("by_device", "Scans by device class", " and device class (humans only)", [DIMENSIONS.device_class], "qr_by_device", [
      { kind: "pie", id: "qr-device", title: "Scans by device class", category: "device_class", measure: "scans", on: BOTH },
    ]),
    metric("qr", "by_hour", "Scans by hour of day (UTC)", {
      rollup: "qr_by_hour",
      columns: [n("hour_utc", "Hour (UTC)"), n("scans")],
      charts: [
        {
          kind: "bar",
          id: "qr-hour",
          title: "Scans by hour of day (UTC)",
          category: "hour_utc",
          measure: "scans",
          axis: { from: 0, to: 23 },
          on: BOTH,
        },
      ],
    }),
    metric("qr", "conversion", "Scan-to-download conversion (30 minutes)", {
      rollup: "qr_daily",
      columns: [
        s("qr_code", "Code"),
        n("scans"),
        n("converted_scans", "Converted"),
        ratio("conversion_rate", "Rate", "converted_scans", "scans"),
      ],
      charts: [
        {
          kind: "table",
          id: "qr-conversion",
          title: "Scan-to-download conversion (30 minutes)",
          columns: ["qr_code", "scans", "converted_scans", "conversion_rate"],
          on: BOTH,
        },
      ],
      kpis: [{ id: "qr-converted", label: "scans followed by a download within 30 min", column: "converted_scans" }],
    }),
    metric("traffic", "daily", "Page views and visitors per day", {
      rollup: "traffic_daily",
      columns: [s("day"), n("page_views"), n("visitors")],
      charts: [
        { kind: "line", id: "traffic-daily", title: "Page views and visitors per day", measures: ["page_views", "visitors"], on: REPORT },
      ],
      kpis: [
        { id: "traffic-page-views", label: "page views", column: "page_views" },
        { id: "traffic-visitors", label: "visitor-days", column: "visitors" },
      ],
    }),
    metric("traffic", "top_pages", "Top pages", {
      rollup: "traffic_pages",
      columns: [s("path", "Page"), n("page_views"), n("visitors")],
      charts: [
        { kind: "table", id: "traffic-top-pages", title: "Top pages", columns: ["path", "page_views", "visitors"], limit: 20, on: REPORT },
      ],
    }),
    metric("traffic", "referrers", "Referrers", {
      rollup: "traffic_referrers",
      columns: [s("referrer_host", "Referrer"), n("page_views")],
      charts: [
        {
          kind: "bar",
          id: "traffic-referrers",
          title: "Page views by referrer",
          category: "referrer_host",
          measure: "page_views",
          on: REPORT,
        },
      ],
    }),
    metric("traffic", "campaigns", "UTM campaigns", {
      rollup: "traffic_campaigns",
      columns: [s("utm_campaign", "Campaign"), s("utm_source", "Source"), s("utm_medium", "Medium"), n("page_views"), n("visitors")],
      charts: [
        {
          kind: "table",
          id: "traffic-campaigns",
          title: "UTM campaigns",
          columns: ["utm_campaign", "utm_source", "utm_medium", "page_views", "visitors"],
          limit: 20,
          on: REPORT,
        },
      ],
    }),
    metric("traffic", "bots", "Share of bot traffic", {
      rollup: "traffic_daily",
      columns: [s("day"), n("requests"), n("bot_requests"), ratio("bot_share", "Bot share", "bot_requests", "requests")],
      charts: [
        {
          kind: "bar",
          id: "traffic-bot-share",
          title: "Share of automated requests per day",
          category: "day",
          measure: "bot_share",
          axis: "days",
          on: REPORT,
        },
      ],
    }),
    // Error records are JSON, read whole by any query over them: without the rollup they were two thirds of a
    // refresh's scan at the sample generator's error rate (npm run bench).
    metric("health", "errors_daily", "Error records by type per day", {
      rollup: "errors_daily",
      columns: [
        s("day"),
        s("error_type", "Type"),
        s("error_code", "Code"),
        n("records"),
        t("first_arrival", "First"),
        t("last_arrival", "Last"),
      ],
      charts: [
        {
          kind: "bar",
          id: "health-errors-daily",
          title: "Error records per arrival day",
          category: "day",
          measure: "records",
          axis: "days",
          on: REPORT,
        },
        {
          kind: "table",
          id: "health-errors",
          title: "Error records by type",
          columns: ["day", "error_type", "error_code", "records", "first_arrival", "last_arrival"],
          on: REPORT,
        },
      ],
      kpis: [{ id: "health-error-records", label: "records Firehose could not process", column: "records" }],
    }),
  ],
};

// ---------------------------------------------------------------- reading it

/** A column's heading: its label, or its name with `_` as spaces, capitalised. */
export function columnLabel(c: ResultColumn): string {
  if (c.label) return c.label;
  const words = c.name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const isNumeric = (c: ResultColumn): boolean => c.type === "integer" || c.type === "double";

/** The metric's column of that name; an error naming the metric and its columns otherwise. */
export function columnOf(m: Metric, name: string): ResultColumn {
  const c = m.columns.find((x) => x.name === name);
  if (!c) throw new Error(`metric ${m.id} has no column ${name} (columns: ${m.columns.map((x) => x.name).join(", ")})`);
  return c;
}

/** The dashboard's metrics, in catalogue order (none for an unknown id). */
export function metricsOf(catalogue: Catalogue, dashboard: string): Metric[] {
  return catalogue.metrics.filter((m) => m.dashboard === dashboard);
}

/** Metrics with at least one chart on the surface, in catalogue order. */
export function metricsOn(catalogue: Catalogue, surface: Surface): Metric[] {
  return catalogue.metrics.filter((m) => m.charts.some((c) => c.on.includes(surface)));
}

/** Dashboards with at least one chart on the surface, in catalogue order. */
export function dashboardsOn(catalogue: Catalogue, surface: Surface): DashboardDef[] {
  return catalogue.dashboards.filter((d) => metricsOf(catalogue, d.id).some((m) => m.charts.some((c) => c.on.includes(surface))));
}

export function findMetric(catalogue: Catalogue, id: string): Metric {
  const found = catalogue.metrics.find((m) => m.id === id);
  if (!found) throw new Error(`unknown query ${id}; known: ${catalogue.metrics.map((m) => m.id).join(", ")}`);
  return found;
}

export function findDashboard(catalogue: Catalogue, id: string): DashboardDef {
  const found = catalogue.dashboards.find((d) => d.id === id);
  if (!found) throw new Error(`unknown dashboard ${id}; known: ${catalogue.dashboards.map((d) => d.id).join(", ")}`);
  return found;
}

/** The catalogue with one more metric (last of its dashboard's): what a test adds a fake metric with. */
export function withMetric(catalogue: Catalogue, m: Metric): Catalogue {
  return { ...catalogue, metrics: [...catalogue.metrics, m] };
}

/**
 * Everything wrong with a catalogue, one line each: duplicate metric or chart ids, a metric of an unknown
 * dashboard, a chart or KPI naming a column its metric does not return, a line chart without a `day` column.
 */
export function catalogueProblems(catalogue: Catalogue): string[] {
  const problems: string[] = [];
  const dups = (ids: string[], what: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) problems.push(`${what} ${id} is declared twice`);
      seen.add(id);
    }
  };
  dups(
    catalogue.metrics.map((m) => m.id),
    "metric",
  );
  dups(
    catalogue.metrics.flatMap((m) => m.charts.map((c) => c.id)),
    "chart",
  );
  dups(
    catalogue.metrics.flatMap((m) => (m.kpis ?? []).map((k) => k.id)),
    "kpi",
  );
  for (const m of catalogue.metrics) {
    if (!catalogue.dashboards.some((d) => d.id === m.dashboard)) problems.push(`metric ${m.id}: unknown dashboard ${m.dashboard}`);
    if (!IDENT.test(m.id)) problems.push(`metric ${m.id}: the id must be a lower-case identifier (letters, digits, _)`);
    const has = (col: string, where: string) => {
      if (!m.columns.some((c) => c.name === col))
        problems.push(`metric ${m.id}: ${where} names column ${col}, which the query does not return`);
    };
    const numeric = (col: string, where: string) => {
      const c = m.columns.find((x) => x.name === col);
      if (c && !isNumeric(c)) problems.push(`metric ${m.id}: ${where} sums column ${col}, which is not a number`);
      has(col, where);
    };
    for (const c of m.columns) for (const r of c.ratioOf ?? []) numeric(r, `column ${c.name}'s ratio`);
    for (const k of m.kpis ?? []) numeric(k.column, `kpi ${k.id}`);
    for (const c of m.charts) {
      const where = `chart ${c.id}`;
      if (c.on.length === 0) problems.push(`metric ${m.id}: ${where} is on no surface`);
      if (c.kind === "line") {
        has("day", `${where} (a daily series)`);
        for (const x of c.measures) numeric(x, where);
        if (c.series !== undefined) {
          has(c.series, where);
          if (c.measures.length !== 1) problems.push(`metric ${m.id}: ${where} has a series column, so exactly one measure`);
        }
      } else if (c.kind === "table") {
        for (const x of c.columns) has(x, where);
        if (!c.columns.some((x) => m.columns.some((y) => y.name === x && isNumeric(y))))
          problems.push(`metric ${m.id}: ${where} has no measure`);
      } else {
        has(c.category, where);
        numeric(c.measure, where);
      }
    }
  }
  return problems;
}

/** The catalogue if it is consistent; otherwise an error listing {@link catalogueProblems}. */
export function checkedCatalogue(catalogue: Catalogue): Catalogue {
  const problems = catalogueProblems(catalogue);
  if (problems.length > 0) throw new Error(`the metric catalogue is inconsistent:\n  ${problems.join("\n  ")}`);
  return catalogue;
}
