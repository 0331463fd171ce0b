/**
 * The daily rollups: small per-UTC-day aggregate tables the dashboards read for closed days, so a refresh
 * scans raw events for today only (issue 15). Each rollup is declared once here: its row schema (the Glue
 * table, the Athena DDL and the Parquet schema derive from it like `events`), and by its name its SQL,
 * `queries/sql/rollups/<name>.sql`, which the daily job and the local run execute per day.
 *
 * Rows hold measures that merge across days exactly: counts (a window is a sum of days) and, for the error
 * records, the first and last arrival (a window's is the min / max of its days'). `visitors` is a per-day
 * distinct count: visitor ids rotate daily, so one id never spans two days and per-day counts add up to
 * the window's distinct count. Dimensions keep raw nulls; the metric SQL gives them their `missing` label.
 * Rows carry no day column: the day is the partition (`year`, `month`, `day`, as strings, like `events`).
 */
import * as z from "zod";
import { col } from "./columns";
import { PARQUET_STORAGE, type TableSpec } from "./generators/glue";
import { DAY_PARTITIONS, LAKE_PREFIXES } from "./lake";

const count = (what: string) => col.bigint(`${what} on the day (never null).`);

/** Dimension columns the by-dimension rollups group by, defined once (raw values: null stays null). */
const DIMENSION_COLUMNS = {
  country: () => col.string("ISO 3166-1 alpha-2 country code; null when GeoIP had none.", 2),
  city: () => col.string("City (GeoIP); null when unknown.", 128),
  device_class: () => col.string("Device class; null when unknown.", 16),
  referrer_host: () => col.string("Referring host; null for direct traffic.", 255),
} as const;
type DimensionColumn = keyof typeof DIMENSION_COLUMNS;

/** How a rollup's SQL is found: its own file, or a shared template whose dimension list is the schema's. */
export interface RollupSql {
  /** Below queries/sql/. */
  readonly file: string;
  /** The template's `{{dimensions}}`: the dimension columns, in schema order. @default none (not a template) */
  readonly dimensions?: readonly string[];
}

/**
 * A by-dimension rollup: per day, a count per key and dimensions, from a shared template. The schema and the
 * template's dimension list come from the same `dims`, so the SQL cannot group by a column the table lacks.
 * One rollup per dimension set, rather than one over every dimension: the product of all dimensions grows
 * with traffic, each small set stays near constant (a refresh's bytes must not grow with traffic).
 */
function byDimension<K extends string, M extends string>(
  template: string,
  key: { readonly name: K; readonly column: ReturnType<typeof col.string> },
  dims: readonly DimensionColumn[],
  measure: { readonly name: M; readonly what: string },
  comment: string,
) {
  return {
    comment,
    sql: { file: template, dimensions: dims } satisfies RollupSql,
    schema: z.strictObject({
      [key.name]: key.column,
      ...Object.fromEntries(dims.map((d) => [d, DIMENSION_COLUMNS[d]()])),
      [measure.name]: count(measure.what),
    }),
  };
}

const documentKey = { name: "document_id", column: col.string("Document downloaded; null when the path named none.", 255) } as const;
const qrKey = { name: "qr_code", column: col.string("QR code id.", 255) } as const;
const completed = { name: "completed_downloads", what: "Downloads that reached the last byte" } as const;
const scans = { name: "scans", what: "Scans" } as const;
const DOCUMENTS_BY = "rollups/documents_by.sql";
const QR_BY = "rollups/qr_by.sql";

export const ROLLUPS = {
  documents_daily: {
    comment: "Per UTC day and document: download requests, completed downloads, range parts and visitors (humans only).",
    schema: z.strictObject({
      document_id: col.string("Document downloaded.", 255),
      requests: count("Download requests"),
      completed_downloads: count("Downloads that reached the last byte"),
      range_parts: count("206 responses (parts of a range download)"),
      visitors: count("Distinct visitor ids (ids rotate daily, so days add up)"),
    }),
  },
  documents_by_country: byDimension(
    DOCUMENTS_BY,
    documentKey,
    ["country"],
    completed,
    "Per UTC day: completed downloads per document and country (humans only).",
  ),
  documents_by_device: byDimension(
    DOCUMENTS_BY,
    documentKey,
    ["device_class"],
    completed,
    "Per UTC day: completed downloads per document and device class (humans only).",
  ),
  documents_by_referrer: byDimension(
    DOCUMENTS_BY,
    documentKey,
    ["referrer_host"],
    completed,
    "Per UTC day: completed downloads per document and referrer host (humans only).",
  ),
  qr_daily: {
    comment:
      "Per UTC day and QR code: scans, scanning visitors, and scans followed by a completed download within 30 minutes (humans only).",
    schema: z.strictObject({
      qr_code: col.string("QR code id.", 255),
      scans: count("Scans"),
      visitors: count("Distinct scanning visitor ids"),
      converted_scans: count("Scans followed by a completed download by the same visitor within 30 minutes"),
    }),
  },
  qr_by_country: byDimension(QR_BY, qrKey, ["country"], scans, "Per UTC day: scans per QR code and country (humans only)."),
  qr_by_location: byDimension(QR_BY, qrKey, ["country", "city"], scans, "Per UTC day: scans per QR code, country and city (humans only)."),
  qr_by_device: byDimension(QR_BY, qrKey, ["device_class"], scans, "Per UTC day: scans per QR code and device class (humans only)."),
  qr_by_hour: {
    comment: "Per UTC day: scans per hour of day, UTC (humans only).",
    schema: z.strictObject({
      hour_utc: col.bigint("Hour of the scan, 0-23 (UTC)."),
      scans: count("Scans"),
    }),
  },
  traffic_daily: {
    comment: "Per UTC day: all requests, automated requests, human page views and page-viewing visitors.",
    schema: z.strictObject({
      requests: count("Requests of every event type"),
      bot_requests: count("Requests that look automated"),
      page_views: count("Human page views"),
      visitors: count("Distinct visitor ids with a human page view"),
    }),
  },
  traffic_pages: {
    comment: "Per UTC day and page path: human page views and visitors.",
    schema: z.strictObject({
      path: col.string("URI path.", 2048),
      page_views: count("Human page views"),
      visitors: count("Distinct visitor ids"),
    }),
  },
  traffic_referrers: {
    comment: "Per UTC day and referrer host: human page views (null host: direct).",
    schema: z.strictObject({
      referrer_host: col.string("Referring host; null for direct traffic.", 255),
      page_views: count("Human page views"),
    }),
  },
  traffic_campaigns: {
    comment: "Per UTC day and UTM campaign, source and medium: human page views and visitors (views with a campaign only).",
    schema: z.strictObject({
      utm_campaign: col.string("utm_campaign.", 255),
      utm_source: col.string("utm_source; null when absent.", 255),
      utm_medium: col.string("utm_medium; null when absent.", 255),
      page_views: count("Human page views"),
      visitors: count("Distinct visitor ids"),
    }),
  },
  errors_daily: {
    comment:
      "Per UTC arrival day, error output type and error code: records Firehose could not process or convert, and the first and last arrival (read from errors/, not events/).",
    schema: z.strictObject({
      error_type: col.string("Error output type (the errors table's partition), e.g. processing-failed.", 64),
      error_code: col.string("Error code; null when the record had none.", 256),
      records: count("Error records"),
      first_arrival_timestamp: col.bigint("Earliest arrival of the day's records, epoch milliseconds (UTC)."),
      last_arrival_timestamp: col.bigint("Latest arrival of the day's records, epoch milliseconds (UTC)."),
    }),
  },
} as const satisfies Readonly<Record<string, { readonly comment: string; readonly schema: z.ZodObject; readonly sql?: RollupSql }>>;

export type RollupName = keyof typeof ROLLUPS;
export const ROLLUP_NAMES = Object.keys(ROLLUPS) as RollupName[];

/** The Glue table of a rollup. */
export const rollupTable = (name: RollupName): string => `rollup_${name}`;

/** The SQL of a rollup: its template, or its own file `rollups/<name>.sql` below queries/sql/. */
export function rollupSql(name: RollupName): RollupSql {
  const r = ROLLUPS[name];
  return "sql" in r ? r.sql : { file: `rollups/${name}.sql` };
}

/** Key prefix of a rollup's partitions (ends with `/`). */
export const rollupPrefix = (name: RollupName): string => `${LAKE_PREFIXES.rollups}${name}/`;

/** Key prefix of one day of a rollup: `rollups/<name>/year=YYYY/month=MM/day=DD/`. */
export function rollupDayPrefix(name: RollupName, day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new Error(`rollup day must be YYYY-MM-DD: ${JSON.stringify(day)}`);
  const values: Record<string, string> = { year: m[1] as string, month: m[2] as string, day: m[3] as string };
  return `${rollupPrefix(name)}${DAY_PARTITIONS.map((p) => `${p.name}=${values[p.name]}/`).join("")}`;
}

/** The table spec of a rollup: the Glue table and the DDL derive from it, partitioned and projected like `events`' days. */
export function rollupTableSpec(database: string, bucket: string, name: RollupName): TableSpec {
  return {
    database,
    table: rollupTable(name),
    schema: ROLLUPS[name].schema,
    partitions: DAY_PARTITIONS,
    location: `s3://${bucket}/${rollupPrefix(name)}`,
    comment: `Daily rollup: ${ROLLUPS[name].comment}`,
    storage: PARQUET_STORAGE,
  };
}
