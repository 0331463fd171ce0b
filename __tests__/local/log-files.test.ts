/**
 * Both routes on the same traffic: the generator's lines as real-time log
 * records (`npm run local -- --input`) and as legacy standard log files, one
 * gzip'd file per day (`npm run local -- --logs`). The lakes hold the same
 * rows, but for the columns derived from fields the standard format lacks.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { leadingTimestampMs } from "../../local/firehose";
import { generateTraffic, type Truth } from "../../local/generator";
import { runLocalLogs } from "../../local/log-files";
import { type LocalRunSummary, runLocal } from "../../local/pipeline";
import { standardLogFile } from "../../local/standard-log";
import { comparedRows } from "../../local/truth";
import { CATALOGUE, findMetric } from "../../queries/catalogue";
import { LocalLake, type ResultRow } from "../../queries/duckdb";
import { EventRowSchema } from "../../schemas/event";
import { duckQuery } from "../helpers/duckdb";

/**
 * Columns whose value comes from a field legacy standard logs lack (docs/transform.md): the event time keeps
 * whole seconds; `asn` and `cs-accept` feed the bot flags; `c-country` is replaced by GeoIP's country, which
 * also decides region and city.
 */
const DERIVED_FROM_LACKING = ["event_time", "asn", "is_bot", "bot_reason", "device_class", "country", "region", "city"];

describe("standard log files and real-time lines of the same traffic", () => {
  const dir = path.join(tmpdir(), `both-routes-${process.pid}`);
  const input = path.join(dir, "sample.tsv");
  const logsDir = path.join(dir, "logs");
  const realtimeLake = path.join(dir, "lake-realtime");
  const standardLake = path.join(dir, "lake-standard");
  const window = { from: "2025-06-01", to: "2025-06-03" };
  let truth: Truth;
  let realtime: LocalRunSummary;
  let standard: LocalRunSummary;
  const sameSignalsLake = path.join(dir, "lake-realtime-same-signals");

  beforeAll(async () => {
    const lines: string[] = [];
    truth = generateTraffic({ seed: 42, days: 3, start: window.from, sessionsPerDay: 120 }, (l) => lines.push(l));
    mkdirSync(logsDir, { recursive: true });
    writeFileSync(input, `${lines.join("\n")}\n`);
    // One file per day, named as CloudFront names them (it writes several an hour; a day each is enough here), and
    // written when its last request was: S3's LastModified, the arrival day of its failed lines.
    const days = new Map<string, { lines: string[]; lastMs: number }>();
    let lastMs = 0;
    for (const l of lines) {
      lastMs = leadingTimestampMs(l) ?? lastMs;
      const day = new Date(lastMs).toISOString().slice(0, 10);
      const d = days.get(day) ?? { lines: [], lastMs };
      d.lines.push(l);
      d.lastMs = lastMs;
      days.set(day, d);
    }
    for (const [day, d] of days) {
      const file = path.join(logsDir, `E2EXAMPLE.${day}-00.sample.gz`);
      writeFileSync(file, standardLogFile(d.lines));
      utimesSync(file, new Date(d.lastMs), new Date(d.lastMs));
    }
    realtime = await runLocal({ input, lake: realtimeLake });
    standard = await runLocalLogs({ logs: logsDir, lake: standardLake });
  });

  it("transforms every line the same way: ok, dropped and failed add up to the generator's counts", () => {
    for (const s of [realtime, standard]) {
      expect(s.lines).toBe(truth.lines);
      expect(s.failed).toBe(truth.malformed);
      expect(s.dropped).toBe(truth.dropped);
      expect(s.byEventType).toEqual(expect.objectContaining(truth.eventTypes));
    }
    expect(standard.batches).toBe(3);
  });

  it("holds the same rows, by request id, and the same values but for the columns from fields the format lacks", async () => {
    const columns = Object.keys(EventRowSchema.shape);
    const read = (lake: string) => `read_parquet('${lake}/events/**/*.parquet', hive_partitioning = true)`;
    const diffs = columns.map((c) => `count(*) FILTER (WHERE a."${c}" IS DISTINCT FROM b."${c}")::INT AS "${c}"`);
    const [row] = await duckQuery(
      `SELECT count(*)::INT AS joined, ${diffs.join(", ")}, ` +
        "(SELECT count(*)::INT FROM " +
        read(realtimeLake) +
        ") AS realtime_rows, (SELECT count(*)::INT FROM " +
        read(standardLake) +
        ") AS standard_rows " +
        `FROM ${read(realtimeLake)} a JOIN ${read(standardLake)} b USING (request_id, event_type, year, month, day)`,
    );
    const r = row as Record<string, number>;
    expect(r.joined).toBe(realtime.ok);
    expect(r.realtime_rows).toBe(realtime.ok);
    expect(r.standard_rows).toBe(realtime.ok);
    const differing = columns.filter((c) => (r[c] as number) > 0);
    expect(differing.filter((c) => !DERIVED_FROM_LACKING.includes(c))).toEqual([]);
    // The time differs by less than a second: standard logs keep whole seconds.
    const [late] = await duckQuery(
      `SELECT count(*)::INT AS n FROM ${read(realtimeLake)} a JOIN ${read(standardLake)} b USING (request_id) ` +
        "WHERE date_trunc('second', a.event_time) <> b.event_time",
    );
    expect(late).toEqual({ n: 0 });
  });

  it("flags as bots only what the standard format can tell: a data-centre network or a missing Accept header goes unseen", async () => {
    const read = (lake: string) => `read_parquet('${lake}/events/**/*.parquet')`;
    const missed = await duckQuery(
      `SELECT DISTINCT split_part(a.bot_reason, ':', 1) AS reason FROM ${read(realtimeLake)} a JOIN ${read(standardLake)} b ` +
        "USING (request_id) WHERE a.is_bot AND NOT b.is_bot ORDER BY 1",
    );
    expect(missed.map((m) => m.reason)).toEqual(["datacenter-asn", "no-accept-header"]);
    const [extra] = await duckQuery(
      `SELECT count(*)::INT AS n FROM ${read(realtimeLake)} a JOIN ${read(standardLake)} b USING (request_id) WHERE b.is_bot AND NOT a.is_bot`,
    );
    expect(extra).toEqual({ n: 0 });
  });

  it("writes each failed line under errors/ once", () => {
    const files = readdirSync(path.join(standardLake, "errors"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files).toHaveLength(3);
  });

  it("runs again over the same files into the same objects: no row twice", async () => {
    const again = await runLocalLogs({ logs: logsDir, lake: standardLake, overwrite: true });
    expect(again.ok).toBe(standard.ok);
    const [n] = await duckQuery(`SELECT count(*)::INT AS n FROM read_parquet('${standardLake}/events/**/*.parquet')`);
    expect(n).toEqual({ n: standard.ok });
  });

  it("answers every dashboard metric as the real-time route does when that route ignores the fields the format lacks", async () => {
    // The same traffic through the real-time route without the bot signals standard logs cannot give.
    await runLocal({ input, lake: sameSignalsLake, transformConfig: { bots: { flagMissingAccept: false, datacenterAsns: [] } } });
    const a = await LocalLake.open(sameSignalsLake);
    const b = await LocalLake.open(standardLake);
    try {
      for (const metric of CATALOGUE.metrics) {
        // A failed line arrives with its file (S3 LastModified), not on its own as a Kinesis record does.
        const noArrival = (rows: ResultRow[]) =>
          rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes("arrival"))));
        const [x, y] = [noArrival((await a.runQuery(metric, window)).rows), noArrival((await b.runQuery(metric, window)).rows)];
        expect({ metric: metric.id, rows: y }).toEqual({ metric: metric.id, rows: x });
        expect(x.length).toBeGreaterThan(0);
      }
      // And the generator's truth, for a metric no bot signal of the lacking fields touches.
      const campaigns = findMetric(CATALOGUE, "traffic_campaigns");
      expect(comparedRows(campaigns, (await b.runQuery(campaigns, window)).rows)).toEqual(truth.queries[campaigns.id]);
    } finally {
      a.close();
      b.close();
    }
  });
});
