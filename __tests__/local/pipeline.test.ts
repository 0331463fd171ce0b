/**
 * The whole local data path, end to end: generated traffic -> the real
 * transform -> Parquet + error records laid out like S3 -> every dashboard
 * query in DuckDB, compared with the generator's true counts.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { clientIpFieldIndexes, redactIpFields } from "../../handlers/firehose-transform/privacy";
import { generateTraffic, type Truth } from "../../local/generator";
import { type LocalRunSummary, runLocal } from "../../local/pipeline";
import { comparedRows, truthCoverage } from "../../local/truth";
import { CATALOGUE } from "../../queries/catalogue";
import { LocalLake, type ResultRow } from "../../queries/duckdb";
import { REALTIME_LOG_FIELDS } from "../../schemas/cloudfront";

describe("local pipeline against the generator's true counts", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "local-run-"));
  const input = path.join(dir, "sample.tsv");
  const lakeDir = path.join(dir, "lake");
  let truth: Truth;
  let summary: LocalRunSummary;
  let lake: LocalLake;
  const window = { from: "2025-06-01", to: "2025-06-03" };

  beforeAll(async () => {
    const lines: string[] = [];
    truth = generateTraffic({ seed: 42, days: 3, start: window.from, sessionsPerDay: 120 }, (l) => lines.push(l));
    writeFileSync(input, `${lines.join("\n")}\n`);
    // Small batches and row groups so several of each are exercised.
    summary = await runLocal({ input, lake: lakeDir, batchBytes: 64 * 1024, rowGroupRows: 200, maxBufferedRows: 500 });
    lake = await LocalLake.open(lakeDir);
  });
  afterAll(() => lake?.close());

  it("transforms every line: ok, dropped and failed add up to the generator's counts", () => {
    expect(summary.lines).toBe(truth.lines);
    expect(summary.failed).toBe(truth.malformed);
    expect(summary.dropped).toBe(truth.dropped);
    expect(summary.ok).toBe(truth.lines - truth.malformed - truth.dropped);
    expect(summary.byEventType).toEqual(expect.objectContaining(truth.eventTypes));
    expect(summary.batches).toBeGreaterThan(1);
  });

  it("finds the lake's day range from its partitions", () => {
    expect(lake.dayRange()).toEqual(window);
  });

  it("has a truth function for every metric of the catalogue, and none without a metric", () => {
    expect(truthCoverage()).toEqual([]);
  });

  // The truth comparison harness: one row per metric of the catalogue.
  it.each(CATALOGUE.metrics)("$id returns the true rows", async (metric) => {
    const { rows } = await lake.runQuery(metric, window);
    expect(rows.length).toBeGreaterThan(0);
    expect(comparedRows(metric, rows)).toEqual(truth.queries[metric.id]);
  });

  it("qr_by_location: GeoIP names a city for most scans (the generator draws IPs from each country's operator blocks)", async () => {
    const { rows } = await lake.runQuery("qr_by_location", window);
    const named = rows.filter((r: ResultRow) => r.city !== "(unknown)").reduce((s, r) => s + (r.scans as number), 0);
    expect(named / rows.reduce((s, r) => s + (r.scans as number), 0)).toBeGreaterThan(0.5);
  });

  it("writes failed records like Firehose: JSON lines with the original bytes but the client IP, under errors/processing-failed/<date>/", () => {
    const errorsDir = path.join(lakeDir, "errors", "processing-failed");
    const files = readdirSync(errorsDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const records = files.flatMap((f) =>
      readFileSync(path.join(f.parentPath, f.name), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
    expect(records).toHaveLength(truth.malformed);
    expect(Object.keys(records[0] as object).sort()).toEqual(
      ["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp", "rawData", "lambdaArn"].sort(),
    );
    // Each is an input line with its client IP redacted (errors/ privacy), every other byte kept.
    const IP = clientIpFieldIndexes(REALTIME_LOG_FIELDS);
    const inputLines = readFileSync(input, "utf8").split("\n");
    const redacted = new Set(inputLines.map((l) => redactIpFields(l, IP, { fieldCount: REALTIME_LOG_FIELDS.length })));
    for (const r of records) expect(redacted.has(Buffer.from(r.rawData as string, "base64").toString("utf8"))).toBe(true);
    const rawIps = new Set(inputLines.map((l) => l.split("\t")[IP[0] as number] ?? "").filter((ip) => isIP(ip) && !ip.endsWith(".0")));
    for (const r of records) {
      const tokens = Buffer.from(r.rawData as string, "base64")
        .toString("utf8")
        .split(/\s+/);
      expect(tokens.filter((t) => rawIps.has(t))).toEqual([]);
    }
    expect(files.every((f) => /year=\d{4}\/month=\d{2}\/day=\d{2}$/.test(f.parentPath))).toBe(true);
  });
});
