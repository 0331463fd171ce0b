/**
 * The DuckDB side of the query layer: views over a lake laid out like S3,
 * partition columns as text (so `month = '06'` means what it means in
 * Athena), and partition pruning: a one-day query opens only that day's files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ErrorsWriter } from "../../local/errors-writer";
import { LakeWriter } from "../../local/lake-writer";
import { buildRollups } from "../../local/rollups";
import { LocalLake, runDashboardOnLake } from "../../queries/duckdb";
import { partitionKeysFor } from "../../schemas/event";
import { sampleRow } from "../helpers/events";

function lakeWithDays(days: string[], perDay = 3): string {
  const dir = mkdtempSync(path.join(tmpdir(), "duck-lake-"));
  const writer = new LakeWriter(dir, { runId: "t" });
  let n = 0;
  for (const day of days) {
    for (let i = 0; i < perDay; i++) {
      const time = `${day}T${String(10 + i).padStart(2, "0")}:00:00.000Z`;
      const row = sampleRow({ event_time: time, request_id: `r${++n}` });
      writer.add(partitionKeysFor("document_download", new Date(time)), row);
      writer.add(partitionKeysFor("page_view", new Date(time)), { ...row, request_id: `p${n}`, path: "/" });
    }
  }
  writer.close();
  return dir;
}

/** "Scanning Files: 2/14" from DuckDB's EXPLAIN ANALYZE of a read_parquet scan. */
function scannedFiles(plan: string): { read: number; total: number } {
  const m = /Scanning Files:\s*(\d+)\s*\/\s*(\d+)/.exec(plan);
  if (!m) throw new Error(`no file count in plan:\n${plan}`);
  return { read: Number(m[1]), total: Number(m[2]) };
}

describe("LocalLake (DuckDB over the lake directory)", () => {
  const days = ["2025-06-01", "2025-06-02", "2025-06-03", "2025-07-01"];
  let lake: LocalLake;
  beforeAll(async () => {
    const dir = lakeWithDays(days);
    await buildRollups(dir);
    // Today = the first day: every day of the lake is read from raw events, the partitions pruning concerns.
    lake = await LocalLake.open(dir, "webstats_dev_analytics", { today: days[0] });
  });
  afterAll(() => lake.close());

  it("reads partition columns as zero-padded text, as Athena does", async () => {
    const rows = await lake.sql(`SELECT DISTINCT month, typeof(month) AS t FROM "webstats_dev_analytics"."events" ORDER BY 1`);
    expect(rows).toEqual([
      { month: "06", t: "VARCHAR" },
      { month: "07", t: "VARCHAR" },
    ]);
    expect(await lake.sql(`SELECT count(*)::INT AS n FROM "webstats_dev_analytics"."events" WHERE month = '06'`)).toEqual([{ n: 18 }]);
  });

  it("prunes partitions: a one-day dashboard query opens only that day's files", async () => {
    const one = await lake.runQuery("traffic_bots", { from: "2025-06-02", to: "2025-06-02" });
    expect(one.rows).toEqual([{ day: "2025-06-02", requests: 6, bot_requests: 0, bot_share: 0 }]);
    const plan = await lake.sql(`EXPLAIN ANALYZE ${one.sql}`);
    const text = plan.map((r) => String(r.explain_value)).join("\n");
    // 4 days x 2 event types = 8 files; the day's two (one per event type) are read.
    expect(scannedFiles(text)).toEqual({ read: 2, total: 8 });
    const docs = await lake.runQuery("documents_daily", { from: "2025-06-02", to: "2025-06-02" });
    const docsPlan = (await lake.sql(`EXPLAIN ANALYZE ${docs.sql}`)).map((r) => String(r.explain_value)).join("\n");
    expect(scannedFiles(docsPlan)).toEqual({ read: 1, total: 8 });
  });

  it("finds the day range from the partitions", () => {
    expect(lake.dayRange()).toEqual({ from: "2025-06-01", to: "2025-07-01" });
  });

  it("runDashboardOnLake runs every query of a dashboard over the lake's days and returns typed rows", async () => {
    // Default today: the day after the lake's last day, so every day comes from the rollups.
    const { window, results } = await runDashboardOnLake(lake.lakeDir, "documents");
    expect(window).toEqual({ from: "2025-06-01", to: "2025-07-01" });
    expect(results.map((r) => r.query.id)).toEqual([
      "documents_daily",
      "documents_top",
      "documents_by_country",
      "documents_by_device",
      "documents_by_referrer",
    ]);
    const top = results.find((r) => r.query.id === "documents_top");
    // sampleRow is a complete 200 download of "guide" by one visitor id: 12 rows over 4 days. Visitors are counted
    // per day (real ids rotate daily, this fixture's does not), so the one id counts on each of its 4 days.
    expect(top?.rows).toEqual([{ document_id: "guide", completed_downloads: 12, visitors: 4 }]);
  });

  it("gives an empty lake empty, typed tables instead of an error", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "duck-empty-"));
    const l = await LocalLake.open(empty);
    try {
      expect((await l.runQuery("documents_daily", { from: "2025-06-01", to: "2025-06-01" })).rows).toEqual([]);
      expect((await l.runQuery("health_errors_daily", { from: "2025-06-01", to: "2025-06-01" })).rows).toEqual([]);
      expect(l.dayRange()).toBeUndefined();
    } finally {
      l.close();
    }
  });

  it("reads Firehose error records: snake_case columns from camelCase keys, the error type from the path", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "duck-errors-"));
    const w = new ErrorsWriter(dir, "t");
    const base = { attempts_made: 1, error_message: "m", attempt_ending_timestamp: 0, lambda_arn: "arn" };
    w.add("processing-failed", {
      ...base,
      arrival_timestamp: Date.parse("2025-06-01T23:59:59.999Z"),
      error_code: "Lambda.ProcessingFailedStatus",
      raw_data: "YQ==",
    });
    w.add("processing-failed", {
      ...base,
      arrival_timestamp: Date.parse("2025-06-02T00:00:00.000Z"),
      error_code: "Lambda.ProcessingFailedStatus",
      raw_data: "Yg==",
    });
    w.close();
    // A conversion failure as Firehose writes it, with its capitalised keys; hand-written, as nothing local converts.
    const conv = path.join(dir, "errors", "format-conversion-failed", "year=2025", "month=06", "day=02");
    mkdirSync(conv, { recursive: true });
    writeFileSync(
      path.join(conv, "f"),
      `${JSON.stringify({ attemptsMade: 1, arrivalTimestamp: 1748822400000, errorCode: "DataFormatConversion.ParseError", rawData: "Yw==" })}\n`,
    );
    // Both days read raw (no rollup written here): today is the window's first day.
    const l = await LocalLake.open(dir, undefined, { today: "2025-06-01" });
    try {
      const { rows } = await l.runQuery("health_errors_daily", { from: "2025-06-01", to: "2025-06-02" });
      expect(rows).toEqual([
        {
          day: "2025-06-01",
          error_type: "processing-failed",
          error_code: "Lambda.ProcessingFailedStatus",
          records: 1,
          first_arrival: "2025-06-01T23:59:59.999Z",
          last_arrival: "2025-06-01T23:59:59.999Z",
        },
        {
          day: "2025-06-02",
          error_type: "format-conversion-failed",
          error_code: "DataFormatConversion.ParseError",
          records: 1,
          first_arrival: "2025-06-02T00:00:00.000Z",
          last_arrival: "2025-06-02T00:00:00.000Z",
        },
        {
          day: "2025-06-02",
          error_type: "processing-failed",
          error_code: "Lambda.ProcessingFailedStatus",
          records: 1,
          first_arrival: "2025-06-02T00:00:00.000Z",
          last_arrival: "2025-06-02T00:00:00.000Z",
        },
      ]);
      const raw = await l.sql(`SELECT raw_data FROM "analytics"."errors" ORDER BY raw_data`);
      expect(raw.map((r) => Buffer.from(String(r.raw_data), "base64").toString())).toEqual(["a", "b", "c"]);
    } finally {
      l.close();
    }
  });
});
