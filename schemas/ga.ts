/**
 * The Google Analytics 4 report the AppFlow flow imports: one row per day,
 * page, country, device category and session source/medium, with page views,
 * active users and sessions. The flow's field mapping, the Glue table, the
 * Athena DDL and the Parquet schema of local fixtures are all derived from
 * {@link GaReportRowSchema} and {@link GA_REPORT_FIELDS}.
 *
 * Every column is a string: the flow writes Parquet with
 * `preserveSourceDataTyping = false`, which AppFlow documents as "converts all
 * of the source data into strings". That makes the file types certain whatever
 * types the GA4 connector reports; queries cast metrics with TRY_CAST.
 * @see https://docs.aws.amazon.com/appflow/1.0/APIReference/API_S3OutputFormatConfig.html
 */
import * as z from "zod";
import { col } from "./columns";
import { PARQUET_STORAGE, type TablePartition, type TableSpec } from "./generators/glue";
import { FIRST_YEAR, LAKE_PREFIXES } from "./lake";

export const GaReportRowSchema = z.strictObject({
  date: col.required.string("Report day in the GA property's time zone, YYYYMMDD (GA4 dimension date).", 10),
  page_path: col.string("URL path of the page, without query string (GA4 dimension pagePath).", 2048),
  country: col.string("Country name as GA4 reports it, e.g. Germany (GA4 dimension country).", 128),
  device_category: col.string("desktop, mobile or tablet (GA4 dimension deviceCategory).", 32),
  session_source_medium: col.string("Source and medium of the session, e.g. google / organic (GA4 dimension sessionSourceMedium).", 512),
  screen_page_views: col.string("Page and screen views, a whole number as text (GA4 metric screenPageViews).", 32),
  active_users: col.string("Active users, a whole number as text (GA4 metric activeUsers).", 32),
  sessions: col.string("Sessions, a whole number as text (GA4 metric sessions).", 32),
});
export type GaReportRow = z.infer<typeof GaReportRowSchema>;

export interface GaField {
  /** The field's name in the GA4 Data API (and so in the AppFlow connector). */
  readonly apiName: string;
  readonly kind: "dimension" | "metric";
}

/** GA4 API name of every column, in column order. Typed by the schema, so a column without a field does not compile. */
export const GA_REPORT_FIELDS: { readonly [K in keyof GaReportRow]: GaField } = {
  date: { apiName: "date", kind: "dimension" },
  page_path: { apiName: "pagePath", kind: "dimension" },
  country: { apiName: "country", kind: "dimension" },
  device_category: { apiName: "deviceCategory", kind: "dimension" },
  session_source_medium: { apiName: "sessionSourceMedium", kind: "dimension" },
  screen_page_views: { apiName: "screenPageViews", kind: "metric" },
  active_users: { apiName: "activeUsers", kind: "metric" },
  sessions: { apiName: "sessions", kind: "metric" },
};

/**
 * The GA4 Data API takes at most 9 dimensions and 10 metrics per report request.
 * @see https://docs.aws.amazon.com/glue/latest/dg/googleanalytics-connector-limitations.html
 */
export const GA_REPORT_LIMITS = { dimensions: 9, metrics: 10 } as const;

/** Field the incremental pull advances on: the report day. */
export const GA_INCREMENTAL_FIELD: keyof GaReportRow = "date";

export const GA_TABLE = "ga4_report";

/** Suffix of the flow's name: `<project>-<environment>-ga4-report` (stacks/names.ts resourceName). */
export const GA_FLOW_SUFFIX = "ga4-report";

/**
 * AppFlow's daily partitions: "Each unit of time (such as the year, month, or day) becomes a folder in
 * your output file path", so files land in `ga/<flow>/yyyy/MM/dd/`. Athena projects them as one `dt`
 * partition whose value spans the three folders, as in AWS's Firehose example (`yyyy/MM/dd/HH`).
 * `dt` is the day the flow ran (UTC), not the report day: a run imports the days since the previous one.
 * @see https://docs.aws.amazon.com/appflow/latest/userguide/flows-partition.html
 * @see https://docs.aws.amazon.com/athena/latest/ug/partition-projection-kinesis-firehose-example.html
 */
export const GA_PARTITIONS: readonly TablePartition[] = [
  { name: "dt", kind: "date", format: "yyyy/MM/dd", range: `${FIRST_YEAR}/01/01,NOW`, intervalDays: 1, bareValue: true },
];

/** The folder one flow writes to: `ga/<flow name>/`. */
export function gaFlowPrefix(flowName: string): string {
  if (!/^[a-zA-Z0-9][\w!@#.-]*$/.test(flowName)) throw new Error(`not an AppFlow flow name: ${flowName}`);
  return `${LAKE_PREFIXES.ga}${flowName}/`;
}

/** The `dt` partition value (and folder path) of a flow run at an instant: `yyyy/MM/dd` in UTC. */
export function gaPartitionValue(runTime: Date): string {
  return runTime.toISOString().slice(0, 10).replace(/-/g, "/");
}

/** The GA table spec for a database, a bucket and the flow that writes the data. */
export function gaTableSpec(database: string, bucket: string, flowName: string): TableSpec {
  return {
    database,
    table: GA_TABLE,
    schema: GaReportRowSchema,
    partitions: GA_PARTITIONS,
    location: `s3://${bucket}/${gaFlowPrefix(flowName)}`,
    comment: "Google Analytics 4 daily report (pages, countries, devices, sources), imported by AppFlow.",
    storage: PARQUET_STORAGE,
  };
}
