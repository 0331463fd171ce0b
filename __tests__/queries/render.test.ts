/**
 * The dashboard SQL: one .sql file per query, rendered with the table names
 * and a day window, and the one translation step from Athena (Trino) SQL to
 * DuckDB.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { CATALOGUE } from "../../queries/catalogue";
import { DASHBOARDS, QUERIES } from "../../queries/dashboards";
import { querySource, renderQuery, SQL_DIR, toDuckDb, windowBounds } from "../../queries/render";
import { duckQuery } from "../helpers/duckdb";

const names = { database: "webstats_dev_analytics" };
const week = { from: "2025-06-01", to: "2025-06-07" };

describe("dashboard catalogue", () => {
  it("reads an existing .sql file (or template) for every metric, and leaves no .sql file unused", () => {
    const files = readdirSync(SQL_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".sql"));
    const owned = new Set(CATALOGUE.metrics.map((m) => m.sql.file));
    for (const f of owned) expect(existsSync(path.join(SQL_DIR, f))).toBe(true);
    // Other components may add dashboards of their own in their own folders (e.g. ga/).
    const mine = files.filter((f) => DASHBOARDS.some((d) => f.startsWith(`${d.id}${path.sep}`)));
    expect(mine.sort()).toEqual([...owned].sort());
    expect(new Set(QUERIES.map((q) => q.id)).size).toBe(QUERIES.length);
  });

  it("fills a template's parameters, keeping the table and window placeholders for render time", () => {
    const byCountry = querySource("documents_by_country");
    expect(byCountry).toMatch(/^-- Documents: completed downloads per document and viewer country \(humans only\)\.\n/);
    expect(byCountry).toContain("coalesce(country, '--') AS country,");
    expect(byCountry).toContain("GROUP BY 1, 2\nORDER BY 1, 3 DESC, 2");
    expect(byCountry).toContain("FROM {{rollup:documents_by_country}}");
    // Two dimensions: the measure moves to the fourth column.
    expect(querySource("qr_by_location")).toContain("coalesce(city, '(unknown)') AS city,\n  sum(scans) AS scans");
    expect(querySource("qr_by_location")).toContain("GROUP BY 1, 2, 3\nORDER BY 1, 4 DESC, 2, 3");
    const clash = { ...CATALOGUE.metrics[2], sql: { file: "documents/by_dimension.sql", params: { events: "x" } } } as never;
    expect(() => querySource(clash)).toThrow(/template parameter \{\{events\}\} is filled at render time/);
  });

  it("covers the four dashboards of the issue", () => {
    expect(DASHBOARDS.map((d) => d.title)).toEqual(["Documents", "QR scans", "Traffic", "Pipeline health"]);
  });

  it.each(QUERIES.map((q) => q.id))(
    "%s filters on partition columns (event type or error day), so Athena reads only what it needs",
    (id) => {
      const sql = renderQuery(id, names, week);
      expect(sql).toMatch(/concat\(year, '-', month, '-', day\) BETWEEN '2025-06-01' AND '2025-06-07'/);
      // traffic_daily and traffic_bots read every event type (bot share); their rollup has no event_type filter.
      if (!id.startsWith("health") && id !== "traffic_bots" && id !== "traffic_daily") expect(sql).toMatch(/event_type = '[a-z_]+'/);
    },
  );
});

describe("renderQuery", () => {
  it("fills the tables as quoted database.table names and the window as day literals", () => {
    const sql = renderQuery("qr_daily", names, week);
    expect(sql).toContain('FROM "webstats_dev_analytics"."events"');
    expect(sql).not.toContain("{{");
    expect(querySource("qr_daily")).toContain("{{rollup:qr_daily}}");
  });

  it("renders a relative window for named queries, with today and N-1 days before", () => {
    expect(windowBounds({ lastDays: 30 })).toEqual({
      from_day: "CAST(CAST(current_date - INTERVAL '29' DAY AS DATE) AS VARCHAR)",
      to_day: "CAST(current_date AS VARCHAR)",
    });
  });

  it("rejects unsafe names, bad days, reversed windows and unknown queries with a message naming the problem", () => {
    expect(() => renderQuery("qr_daily", { database: 'x"; DROP TABLE y; --' }, week)).toThrow(
      /database must be a lower-case SQL identifier/,
    );
    expect(() => renderQuery("qr_daily", names, { from: "2025-02-30", to: "2025-03-01" })).toThrow(/window.from must be a day/);
    expect(() => renderQuery("qr_daily", names, { from: "2025-06-07", to: "2025-06-01" })).toThrow(/is after/);
    expect(() => renderQuery("qr_daily", names, { lastDays: 0 })).toThrow(/lastDays/);
    expect(() => renderQuery("nope", names, week)).toThrow(/unknown query nope/);
  });
});

describe("toDuckDb", () => {
  it("renames Trino functions DuckDB spells differently, and leaves strings, quoted names and comments alone", () => {
    const sql = `SELECT from_unixtime(t / 1000e0), APPROX_DISTINCT(v), 'from_unixtime(' AS s, "from_unixtime" FROM x -- from_unixtime(
/* approx_distinct( */`;
    expect(
      toDuckDb(sql),
    ).toBe(`SELECT to_timestamp(t / 1000e0), approx_count_distinct(v), 'from_unixtime(' AS s, "from_unixtime" FROM x -- from_unixtime(
/* approx_distinct( */`);
  });

  it("refuses functions whose DuckDB namesake means something else", () => {
    expect(() => toDuckDb("SELECT date_diff('minute', a, b) FROM t")).toThrow(/date_diff counts differently/);
    expect(() => toDuckDb("SELECT 'date_diff(' FROM t")).not.toThrow();
  });

  it("gives DuckDB the same values Trino would: from_unixtime is epoch seconds in UTC", async () => {
    const rows = await duckQuery(`SET TimeZone = 'UTC'; ${toDuckDb("SELECT CAST(from_unixtime(1748736000123 / 1000e0) AS VARCHAR) AS t")}`);
    expect(rows[0]?.t).toBe("2025-06-01 00:00:00.123+00");
  });

  it.each(QUERIES.map((q) => q.id))("%s: only the translation differs between the Athena and DuckDB text", (id) => {
    const athena = renderQuery(id, names, week);
    const duck = toDuckDb(athena);
    expect(duck.replace(/to_timestamp\(/g, "from_unixtime(").replace(/approx_count_distinct\(/g, "approx_distinct(")).toBe(athena);
  });
});
