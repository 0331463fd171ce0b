/**
 * The dashboards and their queries. Each query is one `.sql` file under
 * queries/sql/<dashboard>/; this list adds its title and the columns it
 * returns, so Athena named queries, QuickSight data sets, the local runner and
 * the HTML report all read the same catalogue.
 */

/** The type of a result column, as the JS value a row carries. */
export type ResultType = "string" | "integer" | "double" | "timestamp";

export interface ResultColumn {
  readonly name: string;
  readonly type: ResultType;
}

export interface QueryDef {
  /** Unique across dashboards, `<dashboard>_<name>`, e.g. `documents_daily`; also the named query's name suffix. */
  readonly id: string;
  readonly title: string;
  /** Path below queries/sql/. */
  readonly file: string;
  /** Columns in result order. */
  readonly columns: readonly ResultColumn[];
}

export interface DashboardDef {
  readonly id: "documents" | "qr" | "traffic" | "health";
  readonly title: string;
  readonly queries: readonly QueryDef[];
}

const s = (name: string): ResultColumn => ({ name, type: "string" });
const n = (name: string): ResultColumn => ({ name, type: "integer" });
const d = (name: string): ResultColumn => ({ name, type: "double" });
const t = (name: string): ResultColumn => ({ name, type: "timestamp" });

function query(dashboard: DashboardDef["id"], name: string, title: string, columns: ResultColumn[]): QueryDef {
  return { id: `${dashboard}_${name}`, title, file: `${dashboard}/${name}.sql`, columns };
}

export const DASHBOARDS: readonly DashboardDef[] = [
  {
    id: "documents",
    title: "Documents",
    queries: [
      query("documents", "daily", "Downloads per document and day", [
        s("day"),
        s("document_id"),
        n("requests"),
        n("completed_downloads"),
        n("range_parts"),
        n("visitors"),
      ]),
      query("documents", "top", "Top documents", [s("document_id"), n("completed_downloads"), n("visitors")]),
      query("documents", "by_country", "Downloads by country", [s("document_id"), s("country"), n("completed_downloads")]),
      query("documents", "by_device", "Downloads by device class", [s("document_id"), s("device_class"), n("completed_downloads")]),
      query("documents", "by_referrer", "Downloads by referrer", [s("document_id"), s("referrer_host"), n("completed_downloads")]),
    ],
  },
  {
    id: "qr",
    title: "QR scans",
    queries: [
      query("qr", "daily", "Scans per code and day", [s("day"), s("qr_code"), n("scans"), n("visitors")]),
      query("qr", "by_location", "Scans by country and city", [s("qr_code"), s("country"), s("city"), n("scans")]),
      query("qr", "by_device", "Scans by device class", [s("qr_code"), s("device_class"), n("scans")]),
      query("qr", "by_hour", "Scans by hour of day (UTC)", [n("hour_utc"), n("scans")]),
      query("qr", "conversion", "Scan-to-download conversion (30 minutes)", [
        s("qr_code"),
        n("scans"),
        n("converted_scans"),
        d("conversion_rate"),
      ]),
    ],
  },
  {
    id: "traffic",
    title: "Traffic",
    queries: [
      query("traffic", "daily", "Page views and visitors per day", [s("day"), n("page_views"), n("visitors")]),
      query("traffic", "top_pages", "Top pages", [s("path"), n("page_views"), n("visitors")]),
      query("traffic", "referrers", "Referrers", [s("referrer_host"), n("page_views")]),
      query("traffic", "campaigns", "UTM campaigns", [s("utm_campaign"), s("utm_source"), s("utm_medium"), n("page_views"), n("visitors")]),
      query("traffic", "bots", "Share of bot traffic", [s("day"), n("requests"), n("bot_requests"), d("bot_share")]),
    ],
  },
  {
    id: "health",
    title: "Pipeline health",
    queries: [
      query("health", "errors_daily", "Error records by type per day", [
        s("day"),
        s("error_type"),
        s("error_code"),
        n("records"),
        t("first_arrival"),
        t("last_arrival"),
      ]),
    ],
  },
];

export const QUERIES: readonly QueryDef[] = DASHBOARDS.flatMap((dash) => dash.queries);

export function dashboard(id: string): DashboardDef {
  const found = DASHBOARDS.find((dash) => dash.id === id);
  if (!found) throw new Error(`unknown dashboard ${id}; known: ${DASHBOARDS.map((dash) => dash.id).join(", ")}`);
  return found;
}

export function queryDef(id: string): QueryDef {
  const found = QUERIES.find((q) => q.id === id);
  if (!found) throw new Error(`unknown query ${id}; known: ${QUERIES.map((q) => q.id).join(", ")}`);
  return found;
}
