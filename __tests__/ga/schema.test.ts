/**
 * The GA report's contract, derived forms and all: Glue columns, the Athena
 * DDL with AppFlow's day folders as a projected partition, and a Parquet file
 * written per the schema with hyparquet-writer, read back by DuckDB.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  createTableDdl,
  GA_PARTITIONS,
  GA_REPORT_FIELDS,
  GA_REPORT_LIMITS,
  GaReportRowSchema,
  gaFlowPrefix,
  gaPartitionValue,
  gaTableSpec,
  glueColumns,
  projectionParameters,
} from "../../schemas";
import { duckQuery } from "../helpers/duckdb";
import { writeGaRun } from "./lake-fixture";

const FLOW = "webstats-dev-ga4-report";

describe("GA report schema", () => {
  it("has one GA4 field per column, in column order, within the API's dimension and metric limits", () => {
    expect(Object.keys(GA_REPORT_FIELDS)).toEqual(Object.keys(GaReportRowSchema.shape));
    const kinds = Object.values(GA_REPORT_FIELDS).map((f) => f.kind);
    expect(kinds.filter((k) => k === "dimension").length).toBeLessThanOrEqual(GA_REPORT_LIMITS.dimensions);
    expect(kinds.filter((k) => k === "metric").length).toBeLessThanOrEqual(GA_REPORT_LIMITS.metrics);
  });

  it("stores every column as a string, as AppFlow writes Parquet without source typing", () => {
    expect(glueColumns(GaReportRowSchema).map((c) => [c.name, c.type])).toEqual([
      ["date", "string"],
      ["page_path", "string"],
      ["country", "string"],
      ["device_category", "string"],
      ["session_source_medium", "string"],
      ["screen_page_views", "string"],
      ["active_users", "string"],
      ["sessions", "string"],
    ]);
  });

  it("requires the report day and allows holes elsewhere", () => {
    const row = { date: "20240501", page_path: null, country: null, device_category: null, session_source_medium: null };
    expect(GaReportRowSchema.safeParse({ ...row, screen_page_views: null, active_users: null, sessions: null }).success).toBe(true);
    expect(GaReportRowSchema.safeParse({ ...row, date: null, screen_page_views: "1", active_users: "1", sessions: "1" }).success).toBe(
      false,
    );
  });

  it("projects AppFlow's yyyy/MM/dd day folders as one dt partition, without key=value folders", () => {
    expect(projectionParameters(`s3://lake/${gaFlowPrefix(FLOW)}`, GA_PARTITIONS)).toEqual({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy/MM/dd",
      "projection.dt.range": "2020/01/01,NOW",
      "projection.dt.interval": "1",
      "projection.dt.interval.unit": "DAYS",
      "storage.location.template": "s3://lake/ga/webstats-dev-ga4-report/${dt}/",
    });
  });

  it("names the partition of a run by its UTC day and refuses names AppFlow would not take", () => {
    expect(gaPartitionValue(new Date("2024-05-03T23:59:59.999Z"))).toBe("2024/05/03");
    expect(gaPartitionValue(new Date("2024-12-31T00:00:00.000Z"))).toBe("2024/12/31");
    expect(() => gaFlowPrefix("ga/flow")).toThrow(/not an AppFlow flow name/);
  });

  it("renders the Athena DDL from the same forms", () => {
    expect(createTableDdl(gaTableSpec("webstats_dev_analytics", "webstats-dev-lake-123456789012", FLOW))).toMatchSnapshot();
  });

  it("DuckDB reads a hyparquet-writer file written per the schema with the Glue columns' names, order and types", async () => {
    const lake = mkdtempSync(path.join(tmpdir(), "ga-schema-"));
    const file = writeGaRun(lake, FLOW, new Date("2024-05-02T06:00:00Z"), [
      {
        date: "20240501",
        page_path: "/docs/",
        country: "Germany",
        device_category: "desktop",
        session_source_medium: "google / organic",
        screen_page_views: "12",
        active_users: "9",
        sessions: "10",
      },
      {
        date: "20240501",
        page_path: null,
        country: null,
        device_category: null,
        session_source_medium: null,
        screen_page_views: null,
        active_users: null,
        sessions: null,
      },
    ]);
    expect(path.relative(lake, file)).toMatch(/^ga\/webstats-dev-ga4-report\/2024\/05\/02\/[^/]+\.parquet$/);
    const described = await duckQuery(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    expect(described.map((c) => [c.column_name, c.column_type])).toEqual(glueColumns(GaReportRowSchema).map((c) => [c.name, "VARCHAR"]));
    const rows = await duckQuery(`SELECT page_path, screen_page_views FROM read_parquet('${file}') ORDER BY page_path NULLS LAST`);
    expect(rows).toEqual([
      { page_path: "/docs/", screen_page_views: "12" },
      { page_path: null, screen_page_views: null },
    ]);
  });
});
