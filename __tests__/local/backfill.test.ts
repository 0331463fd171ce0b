/**
 * `npm run backfill` as a user runs it: the CLI in a child process over real gzip'd (and plain) standard log
 * files, the lake read back with DuckDB. A run killed with SIGKILL mid-file, then run again, holds exactly the
 * rows and error records of a run never interrupted.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PAUSE_ENV, PAUSED_MARK } from "../../local/backfill";
import { type JournalEntry, journalPath } from "../../local/backfill-journal";
import { uploadCommands } from "../../local/backfill-run";
import { leadingTimestampMs } from "../../local/firehose";
import { generateTraffic } from "../../local/generator";
import { standardLogFile, standardLogHeader } from "../../local/standard-log";
import { STANDARD_LOG_LEGACY_COLUMNS } from "../../schemas/cloudfront";
import { jsonKeyOf } from "../../schemas/errors";
import { duckQuery } from "../helpers/duckdb";

const ROOT = path.resolve(__dirname, "../..");
const CLI = [path.join(ROOT, "local/backfill.ts")];
const FIXTURES = path.join(ROOT, "__tests__/fixtures/standard-logs");

/**
 * The 33 fields of a legacy standard log file, in order, as AWS documents them ("Log file fields"):
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html#BasicDistributionFileFormat
 * Written out here, not derived, so that the parser's column list is held to the documentation.
 */
const AWS_DOCUMENTED_FIELDS = [
  "date",
  "time",
  "x-edge-location",
  "sc-bytes",
  "c-ip",
  "cs-method",
  "cs(Host)",
  "cs-uri-stem",
  "sc-status",
  "cs(Referer)",
  "cs(User-Agent)",
  "cs-uri-query",
  "cs(Cookie)",
  "x-edge-result-type",
  "x-edge-request-id",
  "x-host-header",
  "cs-protocol",
  "cs-bytes",
  "time-taken",
  "x-forwarded-for",
  "ssl-protocol",
  "ssl-cipher",
  "x-edge-response-result-type",
  "cs-protocol-version",
  "fle-status",
  "fle-encrypted-fields",
  "c-port",
  "time-to-first-byte",
  "x-edge-detailed-result-type",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
];

const dir = mkdtempSync(path.join(tmpdir(), "backfill-"));
const logs = path.join(dir, "logs");

function backfill(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", ...CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, ...env },
  });
}

/** Start the CLI with the pause hook, wait until it says it paused, SIGKILL it. */
async function killedAt(pauseAt: string, lake: string, workers: number): Promise<string> {
  const args = ["--logs", logs, "--lake", lake, "--workers", String(workers)];
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, [PAUSE_ENV]: pauseAt },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(PAUSED_MARK)) resolve();
    });
    child.on("exit", () => reject(new Error(`backfill exited before pausing at ${pauseAt}: ${stderr}`)));
  });
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return stderr;
}

const events = (lake: string) => `read_parquet('${lake}/events/**/*.parquet', hive_partitioning = true)`;

/** Rows of one lake not in the other, counting duplicates (EXCEPT ALL), both ways. */
async function rowDifference(a: string, b: string): Promise<{ onlyA: number; onlyB: number; a: number; b: number }> {
  const [r] = await duckQuery(
    `SELECT (SELECT count(*) FROM (SELECT * FROM ${events(a)} EXCEPT ALL SELECT * FROM ${events(b)}))::INT AS "onlyA", ` +
      `(SELECT count(*) FROM (SELECT * FROM ${events(b)} EXCEPT ALL SELECT * FROM ${events(a)}))::INT AS "onlyB", ` +
      `(SELECT count(*) FROM ${events(a)})::INT AS a, (SELECT count(*) FROM ${events(b)})::INT AS b`,
  );
  return r as { onlyA: number; onlyB: number; a: number; b: number };
}

/** Every error record of a lake as `arrival raw_data`, sorted: what errors/ keeps, not when it was written. */
function errorRecords(lake: string): string[] {
  const root = path.join(lake, "errors");
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .flatMap((e) => readFileSync(path.join(e.parentPath, e.name), "utf8").split("\n").filter(Boolean))
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      return `${r[jsonKeyOf("arrival_timestamp")]} ${r[jsonKeyOf("raw_data")]}`;
    })
    .sort();
}

const lakeLine = (stdout: string) => /^the lake: .*$/m.exec(stdout)?.[0];

function journal(lake: string): JournalEntry[] {
  return readFileSync(journalPath(lake), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalEntry);
}

/** Bad lines, each a different failure; c-ip is `-` but in the last, whose address errors/ keeps truncated. */
const BAD_LINES = [
  Buffer.concat([
    Buffer.from("2025-06-02\t10:00:00\tFRA56-P1\t100\t-\tGET\td1.cloudfront.net\t/caf"),
    Buffer.from([0xe9]),
    Buffer.from("\t200"),
  ]),
  Buffer.from("2025-06-02\t10:00:01\tFRA56-P1\t5512"),
  Buffer.from(
    `2025-06-02\t10:00:02\tFRA56-P1\t5512\t203.0.113.7\tGET\td1.cloudfront.net\t/x\tOK\t-\tcurl/8\t-\t-\tMiss\tbadstatus${"\t-".repeat(18)}`,
  ),
];

let clean: string;
let cleanRun: ReturnType<typeof backfill>;
const fileLines: { source: string; lines: number }[] = [];

beforeAll(() => {
  mkdirSync(logs, { recursive: true });
  // Two days of sample traffic as CloudFront would write it: a file per 6 hours, named as CloudFront names them,
  // dated (mtime, S3's LastModified after `aws s3 sync`) by their last request.
  const lines: string[] = [];
  generateTraffic({ seed: 7, days: 2, start: "2025-06-01", sessionsPerDay: 80 }, (l) => lines.push(l));
  const byPeriod = new Map<string, { lines: string[]; lastMs: number }>();
  let lastMs = 0;
  for (const l of lines) {
    lastMs = leadingTimestampMs(l) ?? lastMs;
    const iso = new Date(lastMs).toISOString();
    const hour = String(Math.floor(Number(iso.slice(11, 13)) / 6) * 6).padStart(2, "0");
    const key = `${iso.slice(0, 10)}-${hour}`;
    const p = byPeriod.get(key) ?? { lines: [], lastMs };
    p.lines.push(l);
    p.lastMs = lastMs;
    byPeriod.set(key, p);
  }
  for (const [i, [period, p]] of [...byPeriod].entries()) {
    const gz = standardLogFile(p.lines);
    // One file as plain text: a backfill of files someone already unpacked.
    const plain = i === 2;
    const file = path.join(logs, `E2EXAMPLE.${period}.u${i}${plain ? ".log" : ".gz"}`);
    writeFileSync(file, plain ? gunzipSync(gz) : gz);
    utimesSync(file, new Date(p.lastMs), new Date(p.lastMs));
  }
  const bad = path.join(logs, "E2EXAMPLE.2025-06-02-10.badlines.gz");
  writeFileSync(bad, gzipSync(Buffer.concat([Buffer.from(standardLogHeader()), ...BAD_LINES.flatMap((l) => [l, Buffer.from("\n")])])));
  utimesSync(bad, new Date("2025-06-02T11:00:00Z"), new Date("2025-06-02T11:00:00Z"));
  for (const f of ["legacy.log.gz", "v2-w3c.log.gz"]) {
    const copy = path.join(logs, `E2FIXTURE.2025-06-02-09.${f.split(".")[0]}.gz`);
    copyFileSync(path.join(FIXTURES, f), copy);
    utimesSync(copy, new Date("2025-06-02T10:00:00Z"), new Date("2025-06-02T10:00:00Z"));
  }
  for (const f of readdirSync(logs).sort()) {
    const body = readFileSync(path.join(logs, f));
    const text = f.endsWith(".gz") ? gunzipSync(body) : body;
    fileLines.push({ source: f, lines: text.toString("latin1").split("\n").length - 1 });
  }

  clean = path.join(dir, "clean");
  cleanRun = backfill(["--logs", logs, "--lake", clean, "--bucket", "my-lake"]);
}, 180_000);

describe("npm run backfill", () => {
  it("loads every file and prints a summary by result and failure reason, and the upload commands", () => {
    expect(cleanRun.status).toBe(0);
    const out = cleanRun.stdout;
    expect(out).toMatch(new RegExp(`^${fileLines.length} log files: ${fileLines.length} transformed, 0 already in the lake, 0 unreadable`));
    expect(out).toMatch(
      /^this run: +[\d,]+ lines: ok [\d,]+ \(.*page_view.*\), dropped-by-rule [\d,]+ \(health-check .*\), failed [\d,]+ \(.*invalid-utf8 1.*\)$/m,
    );
    expect(out).toMatch(/^daily rollups of 2025-06-01 \.\. 2025-06-0[23]: \d+ files, \d+ rows$/m);
    for (const c of uploadCommands(clean, "my-lake")) expect(out).toContain(c);
    expect(out.split("\n").filter((l) => l.includes("aws s3 sync") && l.includes(".backfill"))).toEqual([]);
  });

  it("shows progress on stderr as plain lines when stderr is not a terminal: files, lines, bytes, lines/s, ETA", () => {
    const progress = cleanRun.stderr.split("\n").filter((l) => l.startsWith("backfill ["));
    expect(progress.length).toBeGreaterThan(0);
    expect(cleanRun.stderr).not.toContain("\r");
    const total = fileLines.reduce((n, f) => n + f.lines, 0);
    expect(progress[progress.length - 1]).toMatch(
      new RegExp(
        `100% ${fileLines.length}/${fileLines.length} files, ${total.toLocaleString("en-US")} lines, [\\d.]+/[\\d.]+ MB, [\\d,]+ lines/s, ETA 0:00:00$`,
      ),
    );
  });

  it("parses the 33 fields AWS documents for legacy files, in their order, into the lake's columns", async () => {
    expect(STANDARD_LOG_LEGACY_COLUMNS).toEqual(AWS_DOCUMENTED_FIELDS);
    expect(
      gunzipSync(readFileSync(path.join(FIXTURES, "legacy.log.gz")))
        .toString()
        .split("\n")[1],
    ).toBe(`#Fields: ${AWS_DOCUMENTED_FIELDS.join(" ")}`);
    // The fixture's first line, field by field (see its #Fields: header): date, time, x-edge-location, sc-bytes, ...
    const [row] = await duckQuery(
      `SELECT strftime(event_time, '%Y-%m-%d %H:%M:%S') AS t, edge_location, bytes_sent::INT AS bytes_sent, method, path, status, referrer, query_string, ` +
        `edge_result_type, protocol, http_version, content_type, asn FROM ${events(clean)} ` +
        "WHERE request_id = 'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=='",
    );
    expect(row).toEqual({
      t: "2025-06-02 09:14:07",
      edge_location: "FRA56-P1",
      bytes_sent: 5512,
      method: "GET",
      path: "/docs/Product Guide.pdf",
      status: 200,
      referrer: "https://www.google.com/",
      query_string: "utm_source=news&utm_campaign=spring%20sale",
      edge_result_type: "Miss",
      protocol: "https",
      http_version: "HTTP/2.0",
      content_type: "application/pdf",
      // A legacy file has no asn column: null, not guessed.
      asn: null,
    });
  });

  it("reads a v2 file's columns from its #Fields: header, in its order, with the fields a legacy file lacks", async () => {
    const [row] = await duckQuery(
      `SELECT strftime(event_time, '%Y-%m-%d %H:%M:%S') AS t, path, status, referrer, utm_source, bytes_sent::INT AS bytes_sent, ` +
        `asn::INT AS asn, country, edge_location FROM ${events(clean)} ` +
        "WHERE request_id = 'bb2yCKD8m6rN6nJrR0y3dY1bO0KQ9nP6xvB3c8b7FJ0wUe3eXl9zXQ=='",
    );
    expect(row).toEqual({
      t: "2025-06-03 10:00:02",
      path: "/products/widget",
      status: 200,
      referrer: "https://news.example.org/post",
      utm_source: "newsletter",
      bytes_sent: 1860,
      asn: 16509,
      country: "DE",
      edge_location: "FRA56-P1",
    });
  });

  it("reads gzip'd and plain files alike", async () => {
    const plain = fileLines.find((f) => f.source.endsWith(".log"));
    expect(plain).toBeDefined();
    const done = journal(clean).filter((e) => e.state === "done" && e.source === plain?.source);
    expect(done).toHaveLength(1);
    expect(done[0]?.state === "done" && done[0].counts.ok).toBeGreaterThan(0);
    const [n] = await duckQuery(`SELECT count(*)::INT AS n FROM ${events(clean)}`);
    const ok = journal(clean).reduce((s, e) => s + (e.state === "done" ? e.counts.ok : 0), 0);
    expect(n).toEqual({ n: ok });
  });

  it("keeps each bad line under errors/ with its bytes (client address truncated, as errors/ always does)", () => {
    const records = readdirSync(path.join(clean, "errors"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .flatMap((e) => readFileSync(path.join(e.parentPath, e.name), "utf8").split("\n").filter(Boolean))
      .map((l) => Buffer.from((JSON.parse(l) as Record<string, string>)[jsonKeyOf("raw_data")] as string, "base64"));
    const expected = [
      BAD_LINES[0],
      BAD_LINES[1],
      Buffer.from((BAD_LINES[2] as Buffer).toString("latin1").replace("203.0.113.7", "203.0.113.0"), "latin1"),
    ];
    for (const line of expected) expect(records.filter((r) => r.equals(line as Buffer))).toHaveLength(1);
    // Dated by the file's arrival (mtime), as the Lambda dates them by S3's LastModified.
    expect(readdirSync(path.join(clean, "errors/processing-failed/year=2025/month=06/day=02")).length).toBeGreaterThan(0);
  });

  it("after SIGKILL mid-file (reading), a rerun holds exactly the clean run's rows and error records", async () => {
    const lake = path.join(dir, "killed-reading");
    // Halfway through the third file (sorted by name), before any of its objects exists.
    const before = (fileLines[0]?.lines ?? 0) + (fileLines[1]?.lines ?? 0);
    // In the main thread (--workers 0), so that the pause holds the transform itself.
    await killedAt(`lines:${before + Math.floor((fileLines[2]?.lines ?? 0) / 2)}`, lake, 0);
    // The file before it may still have been being written (the run writes one file while it reads the next).
    const done = journal(lake).filter((e) => e.state === "done");
    expect(done.map((e) => e.source)).toEqual(fileLines.slice(0, done.length).map((f) => f.source));
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.length).toBeLessThanOrEqual(2);
    const again = backfill(["--logs", logs, "--lake", lake, "--workers", "0"]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`resuming: ${done.length} of ${fileLines.length} files are in the lake already`);
    const d = await rowDifference(clean, lake);
    expect([d.onlyA, d.onlyB, d.b]).toEqual([0, 0, d.a]);
    expect(errorRecords(lake)).toEqual(errorRecords(clean));
    expect(lakeLine(again.stdout)).toBe(lakeLine(cleanRun.stdout));
  }, 240_000);

  it("after SIGKILL between a file's objects (some renamed in, not journaled), a rerun overwrites them: exactly once", async () => {
    const lake = path.join(dir, "killed-writing");
    const first = journal(clean).find((e) => e.state === "done");
    // The second file's first object is in place; the rest of its objects and its `done` entry are not.
    // Two workers transform the next files meanwhile; the main thread writes in input order.
    await killedAt(`objects:${(first?.keys.length ?? 0) + 1}`, lake, 2);
    const entries = journal(lake);
    expect(entries[entries.length - 1]?.state).toBe("started");
    const partial = await rowDifference(clean, lake);
    expect(partial.b).toBeGreaterThan(0);
    expect(partial.onlyA).toBeGreaterThan(0);
    const again = backfill(["--logs", logs, "--lake", lake, "--workers", "2"]);
    expect(again.status).toBe(0);
    const d = await rowDifference(clean, lake);
    expect([d.onlyA, d.onlyB, d.b]).toEqual([0, 0, d.a]);
    expect(errorRecords(lake)).toEqual(errorRecords(clean));
    // The summary of the whole lake adds up the journal: the same counts as the clean run's.
    expect(lakeLine(again.stdout)).toBe(lakeLine(cleanRun.stdout));
  }, 240_000);

  it("a rerun of a finished lake skips every file, and a torn last journal line (a kill mid-append) is dropped", async () => {
    appendFileSync(journalPath(clean), '{"state":"done","source":"E2EXAMPLE.2025');
    const again = backfill(["--logs", logs, "--lake", clean]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${fileLines.length} log files: 0 transformed, ${fileLines.length} already in the lake`));
    expect(readFileSync(journalPath(clean), "utf8").endsWith("}\n")).toBe(true);
    const d = await rowDifference(clean, path.join(dir, "killed-writing"));
    expect([d.onlyA, d.onlyB]).toEqual([0, 0]);
  }, 180_000);

  it("refuses a lake that holds data it did not write, and loads the rest when a file is a broken gzip", () => {
    const foreign = path.join(dir, "foreign");
    mkdirSync(path.join(foreign, "events/event_type=other"), { recursive: true });
    writeFileSync(path.join(foreign, "events/event_type=other/x.parquet"), "");
    const refused = backfill(["--logs", logs, "--lake", foreign]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: lake .* already holds events\/; pass --overwrite to replace them\n$/);
    // A lake inside the logs folder would read its own output as logs on the next run.
    const inside = backfill(["--logs", dir, "--lake", path.join(dir, "clean")]);
    expect(inside.status).toBe(1);
    expect(inside.stderr).toMatch(/^error: the logs include .*, which is under the lake .*clean; give a lake folder outside the logs\n$/);

    const broken = path.join(dir, "broken-logs");
    mkdirSync(broken);
    const good = fileLines[0]?.source as string;
    copyFileSync(path.join(logs, good), path.join(broken, good));
    const gz = readFileSync(path.join(logs, fileLines[1]?.source as string));
    writeFileSync(path.join(broken, "E2EXAMPLE.2025-06-01-06.truncated.gz"), gz.subarray(0, gz.length - 40));
    const r = backfill(["--logs", broken, "--lake", path.join(dir, "broken-lake")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^2 log files: 1 transformed, 0 already in the lake, 1 unreadable/);
    expect(r.stdout).toMatch(/^unreadable, not loaded \(a rerun tries it again\): E2EXAMPLE\.2025-06-01-06\.truncated\.gz: /m);
  }, 180_000);

  it("names a flag mistake (exit 2, one line) before touching the lake; --help prints the usage", () => {
    const lake = path.join(dir, "untouched");
    const cases: [string[], unknown][] = [
      [["--lake", lake], "error: --logs: required (CloudFront standard log files or folders)\n"],
      [["--logs", `${logs},${path.join(dir, "nope")}`, "--lake", lake], `error: --logs: not found: ${path.join(dir, "nope")}\n`],
      [["--logs", logs, "--lake", lake, "--today", "2025-02-30"], 'error: --today: not a calendar day (YYYY-MM-DD): "2025-02-30"\n'],
      [["--logs", logs, "--lake", lake, "--bogus", "1"], "error: --bogus: unknown option (see --help)\n"],
      [["--logs", logs, "--lake", lake, "--env", "no-such-env"], expect.stringMatching(/^error: --env: .*no-such-env.*\n$/)],
    ];
    for (const [args, stderr] of cases) {
      const r = backfill(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 2, stderr });
    }
    expect(existsSync(lake)).toBe(false);
    const help = backfill(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run backfill -- --logs /);
  }, 120_000);
});
