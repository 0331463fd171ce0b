/**
 * The GA-vs-logs comparison view, run by DuckDB over a generated lake: GA
 * report files as AppFlow lays them out (two flow runs, one re-importing a
 * day) and page-view events as Firehose lays them out.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalLake } from "../../queries/duckdb";
import { attachGa, GA_COMPARISON_COLUMNS, gaComparisonViewDdl, renderGaComparison, runGaComparison } from "../../queries/ga";
import type { EventType } from "../../schemas/event";
import type { GaReportRow } from "../../schemas/ga";
import { sampleRow } from "../helpers/events";
import { writeEvents, writeGaRun } from "./lake-fixture";

const FLOW = "webstats-test-ga4-report";

function ga(date: string, page_path: string | null, views: string, extra: Partial<GaReportRow> = {}): GaReportRow {
  return {
    date,
    page_path,
    country: "Germany",
    device_category: "desktop",
    session_source_medium: "google / organic",
    screen_page_views: views,
    active_users: "1",
    sessions: "1",
    ...extra,
  };
}

let seq = 0;
function events(n: number, day: string, pathName: string, opts: { type?: EventType; bot?: boolean } = {}) {
  return Array.from({ length: n }, () => ({
    type: opts.type ?? "page_view",
    row: sampleRow({
      event_time: `${day}T10:00:00.000Z`,
      request_id: `req-${seq++}`,
      path: pathName,
      is_bot: opts.bot ?? false,
      bot_reason: opts.bot ? "user agent" : null,
    }),
  }));
}

describe("GA vs logs page views (DuckDB over a generated lake)", () => {
  let lake: LocalLake;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ga-lake-"));
    // Run of 2 May imports 1 May; the run of 3 May imports 2 May and re-imports 1 May with revised numbers.
    writeGaRun(dir, FLOW, new Date("2024-05-02T06:00:00Z"), [
      ga("20240501", "/docs/", "10"),
      ga("20240501", "/docs/", "5", { device_category: "mobile", session_source_medium: "(direct) / (none)" }),
      ga("20240501", "/pricing", "3"),
    ]);
    writeGaRun(dir, FLOW, new Date("2024-05-03T06:00:00Z"), [
      ga("20240501", "/docs/", "12"),
      ga("20240501", "/docs/", "8", { device_category: "mobile" }),
      ga("20240501", "/pricing", "4"),
      ga("20240502", "/docs/", "7"),
      ga("2024-05-02", "/about", "2"),
      ga("20240502", null, "9"),
      ga("20240502", "/docs/", "not a number"),
    ]);
    writeEvents(dir, [
      ...events(18, "2024-05-01", "/docs/"),
      ...events(5, "2024-05-01", "/docs/", { bot: true }),
      ...events(4, "2024-05-01", "/pricing"),
      ...events(2, "2024-05-01", "/blog/"),
      ...events(3, "2024-05-01", "/docs/guide.pdf", { type: "document_download" }),
      ...events(7, "2024-05-02", "/docs/"),
      ...events(1, "2024-05-02", "/about"),
      ...events(9, "2024-05-03", "/docs/"),
    ]);
    lake = await LocalLake.open(dir, "analytics");
    await attachGa(lake, FLOW);
  });

  afterAll(() => lake?.close());

  it("gives GA and log page views per day and page, latest GA run per day, bots and other event types excluded", async () => {
    await expect(runGaComparison(lake)).resolves.toEqual([
      { day: "2024-05-01", path: "/blog/", ga_page_views: 0, log_page_views: 2, difference: 2 },
      { day: "2024-05-01", path: "/docs/", ga_page_views: 20, log_page_views: 18, difference: -2 },
      { day: "2024-05-01", path: "/pricing", ga_page_views: 4, log_page_views: 4, difference: 0 },
      { day: "2024-05-02", path: "/about", ga_page_views: 2, log_page_views: 1, difference: -1 },
      { day: "2024-05-02", path: "/docs/", ga_page_views: 7, log_page_views: 7, difference: 0 },
    ]);
  });

  it("reads the GA files with the Glue table's columns and the dt partition from the AppFlow path", async () => {
    const rows = await lake.sql(`SELECT DISTINCT dt FROM analytics.ga4_report ORDER BY dt`);
    expect(rows.map((r) => r.dt)).toEqual(["2024/05/02", "2024/05/03"]);
    const cols = await lake.sql(`DESCRIBE analytics.ga_page_views_vs_logs`);
    expect(cols.map((c) => c.column_name)).toEqual(GA_COMPARISON_COLUMNS.map((c) => c.name));
  });

  it("a lake without GA files still has the table and an empty comparison", async () => {
    const empty = await LocalLake.open(mkdtempSync(path.join(tmpdir(), "ga-empty-")), "analytics");
    try {
      await attachGa(empty, FLOW);
      await expect(runGaComparison(empty)).resolves.toEqual([]);
    } finally {
      empty.close();
    }
  });
});

describe("the comparison view for Athena", () => {
  it("creates a view in the Glue database over the events and GA tables", () => {
    const ddl = gaComparisonViewDdl({ database: "webstats_prod_analytics" });
    expect(ddl.startsWith('CREATE OR REPLACE VIEW "webstats_prod_analytics"."ga_page_views_vs_logs" AS\n')).toBe(true);
    expect(ddl).toContain('FROM "webstats_prod_analytics"."ga4_report"');
    expect(ddl).toContain('FROM "webstats_prod_analytics"."events"');
    expect(ddl).not.toContain("{{");
  });

  it("refuses a database name that is not a plain identifier", () => {
    expect(() => renderGaComparison({ database: 'x"; DROP TABLE events; --' })).toThrow(/database must be a lower-case SQL identifier/);
  });
});
