/**
 * The daily rollups (issue 15): the local run writes them like the daily job does, their SQL returns
 * exactly the columns their zod schemas declare, each day of each rollup holds that day's truth, and
 * every metric gives the same rows whether a day is read from its rollup or from raw events.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateTraffic, type Truth } from "../../local/generator";
import { runLocal } from "../../local/pipeline";
import { buildRollups, writeRollupDay } from "../../local/rollups";
import { comparedRows, METRIC_TRUTHS, type MetricTruth } from "../../local/truth";
import { CATALOGUE, type Metric } from "../../queries/catalogue";
import { LocalLake, nextDay } from "../../queries/duckdb";
import { DATA_SET_RENDER, querySource, renderQuery, renderRollup, rollupColumns, rollupInput, toDuckDb } from "../../queries/render";
import { columnsOf } from "../../schemas/columns";
import { generatedFile } from "../../schemas/generated-files";
import { LAKE_PREFIXES, ROLLUP_FILE } from "../../schemas/lake";
import { ROLLUP_NAMES, ROLLUPS, rollupDayPrefix, rollupPrefix, rollupSql } from "../../schemas/rollups";
import { duckQuery } from "../helpers/duckdb";

const DAYS = ["2025-06-01", "2025-06-02", "2025-06-03"];
const WINDOW = { from: DAYS[0] as string, to: DAYS[2] as string };
const AFTER = nextDay(WINDOW.to);

/** A truth function that counts one day's facts only. */
const onlyDay =
  (day: string) =>
  (t: MetricTruth): MetricTruth => ({
    ...t,
    start() {
      const c = t.start();
      return { add: (f) => (f.day === day ? c.add(f) : undefined), rows: () => c.rows() };
    },
  });

const dayTruths = (day: string) => Object.fromEntries(Object.entries(METRIC_TRUTHS).map(([id, t]) => [id, onlyDay(day)(t)]));

const filesUnder = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(path.join(dir, f)).isFile()) : [];

async function allResults(lakeDir: string, today: string): Promise<Record<string, unknown[]>> {
  const lake = await LocalLake.open(lakeDir, undefined, { today });
  try {
    const out: Record<string, unknown[]> = {};
    for (const m of CATALOGUE.metrics) out[m.id] = (await lake.runQuery(m, WINDOW)).rows;
    return out;
  } finally {
    lake.close();
  }
}

describe("daily rollups over a generated lake", () => {
  let dir: string;
  let lakeDir: string;
  let truth: Truth;
  const generate = (truths?: Readonly<Record<string, MetricTruth>>) =>
    generateTraffic({ seed: 11, days: DAYS.length, start: WINDOW.from, sessionsPerDay: 100 }, () => undefined, truths);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rollups-"));
    const lines: string[] = [];
    truth = generateTraffic({ seed: 11, days: DAYS.length, start: WINDOW.from, sessionsPerDay: 100 }, (l) => lines.push(l));
    const input = path.join(dir, "in.tsv");
    writeFileSync(input, `${lines.join("\n")}\n`);
    lakeDir = path.join(dir, "lake");
    const summary = await runLocal({ input, lake: lakeDir });
    expect(summary.rollups.days).toEqual(WINDOW);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes one file per rollup and closed day, with the fixed name, under rollups/<name>/year=/month=/day=/", () => {
    const files = filesUnder(path.join(lakeDir, LAKE_PREFIXES.rollups));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(path.basename(f)).toBe(ROLLUP_FILE);
    // Every rollup has rows on every day of this traffic: one file each.
    for (const name of ROLLUP_NAMES)
      for (const day of DAYS) expect(existsSync(path.join(lakeDir, rollupDayPrefix(name, day), ROLLUP_FILE))).toBe(true);
    expect(files).toHaveLength(ROLLUP_NAMES.length * DAYS.length);
  });

  it.each(ROLLUP_NAMES)("%s: its SQL returns the partition days and exactly its zod schema's columns and types (DuckDB)", async (name) => {
    const lake = await LocalLake.open(lakeDir);
    try {
      const sql = toDuckDb(
        renderRollup(
          name,
          { events: `"analytics"."events"`, errors: `"analytics"."errors"` },
          { from_day: `'${WINDOW.from}'`, to_day: `'${WINDOW.to}'` },
        ),
      );
      const described = await lake.sql(`DESCRIBE ${sql}`);
      const duckType = {
        string: "VARCHAR",
        bigint: "BIGINT",
        int: "INTEGER",
        double: "DOUBLE",
        boolean: "BOOLEAN",
        timestamp: "TIMESTAMP WITH TIME ZONE",
      };
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual([
        ["year", "VARCHAR"],
        ["month", "VARCHAR"],
        ["day", "VARCHAR"],
        ...columnsOf(ROLLUPS[name].schema).map((c) => [c.name, duckType[c.lakeType]]),
      ]);
    } finally {
      lake.close();
    }
  });

  it.each(ROLLUP_NAMES)("%s: the written file has the Glue table's Parquet columns (read back by DuckDB, not the writer)", async (name) => {
    const file = path.join(lakeDir, rollupDayPrefix(name, DAYS[1] as string), ROLLUP_FILE);
    const schema = await duckQuery(`SELECT name, type, converted_type FROM parquet_schema('${file}') WHERE num_children IS NULL`);
    const physical = { string: "BYTE_ARRAY", bigint: "INT64", int: "INT32", double: "DOUBLE", boolean: "BOOLEAN", timestamp: "INT64" };
    expect(schema.map((c) => [c.name, c.type, c.converted_type ?? null])).toEqual(
      columnsOf(ROLLUPS[name].schema).map((c) => [c.name, physical[c.lakeType], c.lakeType === "string" ? "UTF8" : null]),
    );
  });

  it.each(DAYS)(
    "every metric over %s read from the rollups alone (no raw events in the lake) equals the generator's truth of that day",
    async (day) => {
      const rollupsOnly = path.join(dir, `rollups-only-${day}`);
      cpSync(path.join(lakeDir, LAKE_PREFIXES.rollups), path.join(rollupsOnly, LAKE_PREFIXES.rollups), { recursive: true });
      const truthOfDay = generate(dayTruths(day));
      const lake = await LocalLake.open(rollupsOnly, undefined, { today: AFTER });
      try {
        for (const m of CATALOGUE.metrics.filter((x) => x.rollup !== undefined)) {
          const { rows } = await lake.runQuery(m, { from: day, to: day });
          expect([m.id, comparedRows(m, rows)]).toEqual([m.id, truthOfDay.queries[m.id]]);
        }
      } finally {
        lake.close();
      }
    },
  );

  it("the data sets' rendering (closed days only) gives the named query's rows over the closed days, and ignores today's raw rows", async () => {
    const today = WINDOW.to;
    const lake = await LocalLake.open(lakeDir, undefined, { today });
    try {
      for (const m of CATALOGUE.metrics) {
        const closedOnly = await lake.runQuery(m, WINDOW, DATA_SET_RENDER);
        const named = await lake.runQuery(m, { from: WINDOW.from, to: DAYS[1] as string });
        expect([m.id, closedOnly.rows]).toEqual([m.id, named.rows]);
        expect(closedOnly.sql).not.toMatch(/"(events|errors)"/);
      }
    } finally {
      lake.close();
    }
  });

  it("gives every metric the same rows whether a day is read from its rollup or from raw events", async () => {
    const fromRollups = await allResults(lakeDir, AFTER);
    const lastDayRaw = await allResults(lakeDir, WINDOW.to);
    const allRaw = await allResults(lakeDir, WINDOW.from);
    expect(lastDayRaw).toEqual(fromRollups);
    expect(allRaw).toEqual(fromRollups);
    // And they are the truth over the whole window.
    for (const m of CATALOGUE.metrics) expect([m.id, comparedRows(m, fromRollups[m.id] as never)]).toEqual([m.id, truth.queries[m.id]]);
  });

  it("reads closed days from the rollups only: without them a closed day shows no rows (the gap before the daily job)", async () => {
    const noRollups = path.join(dir, "no-rollups");
    cpSync(path.join(lakeDir, LAKE_PREFIXES.events), path.join(noRollups, LAKE_PREFIXES.events), { recursive: true });
    const lake = await LocalLake.open(noRollups, undefined, { today: AFTER });
    try {
      expect((await lake.runQuery("documents_daily", WINDOW)).rows).toEqual([]);
    } finally {
      lake.close();
    }
    // Today still comes from raw events.
    const withToday = await LocalLake.open(noRollups, undefined, { today: WINDOW.to });
    try {
      const rows = (await withToday.runQuery("documents_daily", WINDOW)).rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.day))).toEqual(new Set([WINDOW.to]));
    } finally {
      withToday.close();
    }
  });

  it("a rerun replaces each day exactly once; a day left without rows loses its file", async () => {
    const name = "traffic_pages";
    const file = path.join(lakeDir, rollupDayPrefix(name, DAYS[0] as string), ROLLUP_FILE);
    const before = await duckQuery(`SELECT * FROM read_parquet('${file}') ORDER BY path`);
    const rerun = await buildRollups(lakeDir, { today: AFTER });
    expect(rerun.days).toEqual(WINDOW);
    expect(filesUnder(path.join(lakeDir, rollupPrefix(name)))).toHaveLength(DAYS.length);
    expect(await duckQuery(`SELECT * FROM read_parquet('${file}') ORDER BY path`)).toEqual(before);
    const scratch = path.join(dir, "scratch");
    expect(writeRollupDay(scratch, name, "2025-06-09", [{ path: "/", page_views: 2n, visitors: 1n }])).toBeDefined();
    expect(filesUnder(path.join(scratch, rollupPrefix(name)))).toHaveLength(1);
    writeRollupDay(scratch, name, "2025-06-09", []);
    expect(filesUnder(path.join(scratch, rollupPrefix(name)))).toHaveLength(0);
  });

  it("rolls up only days before the run's today", async () => {
    const partial = path.join(dir, "partial");
    cpSync(path.join(lakeDir, LAKE_PREFIXES.events), path.join(partial, LAKE_PREFIXES.events), { recursive: true });
    const summary = await buildRollups(partial, { today: WINDOW.to });
    expect(summary.days).toEqual({ from: WINDOW.from, to: DAYS[1] });
    const days = filesUnder(path.join(partial, rollupPrefix("traffic_daily"))).map((f) => path.dirname(f));
    expect(days.sort()).toEqual(["year=2025/month=06/day=01", "year=2025/month=06/day=02"]);
  });

  it.each(ROLLUP_NAMES)(
    "%s: the job SQL in schemas/generated/rollups.json, over views named events and errors, gives the day's file rows",
    async (name) => {
      const job = JSON.parse(readFileSync(generatedFile("rollups"), "utf8")) as {
        prefix: string;
        file: string;
        day_placeholder: string;
        rollups: { name: string; table: string; input: string; columns: { name: string; type: string }[]; sql: string }[];
      };
      expect([job.prefix, job.file]).toEqual([LAKE_PREFIXES.rollups, ROLLUP_FILE]);
      const entry = job.rollups.find((r) => r.name === name);
      expect(entry?.columns.map((c) => c.name)).toEqual(rollupColumns(name));
      const day = DAYS[1] as string;
      const sql = (entry?.sql ?? "").split(job.day_placeholder).join(`'${day}'`);
      const glob = path.join(lakeDir, LAKE_PREFIXES.events, "*", "*", "*", "*", "*.parquet");
      const hive = "{'event_type': 'VARCHAR', 'year': 'VARCHAR', 'month': 'VARCHAR', 'day': 'VARCHAR'}";
      const cols = rollupColumns(name).join(", ");
      expect(entry?.input).toBe(rollupInput(name));
      // The job's errors view is Python's JSON reader (glue/tests checks it); here the lake's errors table stands in.
      const lake = await LocalLake.open(lakeDir);
      try {
        await lake.sql(`CREATE VIEW main.events AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types = ${hive})`);
        await lake.sql(`CREATE VIEW main.errors AS SELECT * FROM "analytics"."errors"`);
        const rows = await lake.sql(`SELECT * FROM (${sql}) ORDER BY ALL`);
        const file = path.join(lakeDir, rollupDayPrefix(name, day), ROLLUP_FILE);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows).toEqual(await lake.sql(`SELECT ${cols} FROM read_parquet('${file}') ORDER BY ALL`));
      } finally {
        lake.close();
      }
    },
  );
});

describe("rendering a metric over a rollup", () => {
  const names = { database: "webstats_dev_analytics" };

  it("the named query (no fixed today) reads closed days from the rollup table and today from raw events, by constant partition predicates", () => {
    const sql = renderQuery("documents_daily", names, { lastDays: 30 });
    expect(sql).toContain('FROM "webstats_dev_analytics"."rollup_documents_daily"');
    expect(sql).toContain("AND concat(year, '-', month, '-', day) < CAST(current_date AS VARCHAR)");
    expect(sql).toContain('FROM "webstats_dev_analytics"."events"');
    expect(sql).toContain("BETWEEN CAST(current_date AS VARCHAR) AND CAST(current_date AS VARCHAR)");
    expect(sql).toContain("UNION ALL");
  });

  it("the data sets (closed days only) read the rollup table alone, over the N days before today", () => {
    for (const m of CATALOGUE.metrics) {
      const sql = renderQuery(m, names, { lastDays: 30 }, DATA_SET_RENDER);
      expect([m.id, /"(events|errors)"/.test(sql)]).toEqual([m.id, false]);
      expect(sql).toContain(`FROM "webstats_dev_analytics"."rollup_${m.rollup}"`);
      expect(sql).toContain(
        "BETWEEN CAST(CAST(current_date - INTERVAL '30' DAY AS DATE) AS VARCHAR) AND CAST(CAST(current_date - INTERVAL '1' DAY AS DATE) AS VARCHAR)",
      );
    }
    // A fixed window that holds no closed day still gives the columns, and no row.
    const none = renderQuery(
      "documents_daily",
      names,
      { from: "2025-06-08", to: "2025-06-09" },
      { today: "2025-06-08", closedDaysOnly: true },
    );
    expect(none).toContain("WHERE false");
  });

  it("a fixed today leaves out the branch it makes empty", () => {
    const closed = renderQuery("documents_daily", names, { from: "2025-06-01", to: "2025-06-07" }, { today: "2025-06-08" });
    expect(closed).not.toContain('"events"');
    const open = renderQuery("documents_daily", names, { from: "2025-06-01", to: "2025-06-07" }, { today: "2025-06-01" });
    expect(open).not.toContain('"rollup_documents_daily"');
    const both = renderQuery("documents_daily", names, { from: "2025-06-01", to: "2025-06-07" }, { today: "2025-06-07" });
    expect(both).toContain("BETWEEN '2025-06-07' AND '2025-06-07'");
    expect(both).toContain("< '2025-06-07'");
  });

  it("refuses a metric whose SQL reads another rollup than its catalogue entry names", () => {
    const daily = CATALOGUE.metrics.find((m) => m.id === "qr_daily") as Metric;
    expect(() => querySource({ ...daily, rollup: "traffic_daily" })).toThrow(
      /reads rollups \[qr_daily\] but the catalogue entry says \[traffic_daily\]/,
    );
    const { rollup: _none, ...withoutRollup } = daily;
    expect(() => querySource(withoutRollup)).toThrow(/reads rollups \[qr_daily\] but the catalogue entry says \[\]/);
  });

  it("uses every rollup SQL file (own file or template) and no other", () => {
    const dir = path.join(__dirname, "../../queries/sql/rollups");
    expect(readdirSync(dir).sort()).toEqual([...new Set(ROLLUP_NAMES.map((n) => path.basename(rollupSql(n).file)))].sort());
  });
});
