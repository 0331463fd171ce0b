/**
 * The local command-line tools as a user runs them: `npm run sample` is
 * deterministic for a seed and writes its true counts; `npm run local` turns
 * bad input into one clear line and a non-zero exit.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateTraffic } from "../../local/generator";
import { runLocal } from "../../local/pipeline";
import { QUERIES } from "../../queries/dashboards";
import { LocalLake } from "../../queries/duckdb";

const ROOT = path.resolve(__dirname, "../..");
const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

describe("npm run sample", () => {
  it("writes the same lines and true counts for the same seed, other lines for another seed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sample-"));
    const a = tsx("local/sample.ts", ["--days", "2", "--seed", "7", "--sessions", "40", "--out", path.join(dir, "a.tsv")]);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/wrote \d+ lines \(\d+ malformed, \d+ health checks\) for 2 days/);
    const again: string[] = [];
    const truth = generateTraffic({ days: 2, seed: 7, sessionsPerDay: 40 }, (l) => again.push(l));
    expect(readFileSync(path.join(dir, "a.tsv"), "utf8")).toBe(`${again.join("\n")}\n`);
    expect(JSON.parse(readFileSync(path.join(dir, "a.truth.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(truth)));
    const other: string[] = [];
    generateTraffic({ days: 2, seed: 8, sessionsPerDay: 40 }, (l) => other.push(l));
    expect(other).not.toEqual(again);
  });

  it("generates the variety the issue asks for: documents, QR scans, range downloads, bots, IPv6, malformed lines", () => {
    const lines: string[] = [];
    const truth = generateTraffic({ days: 1, seed: 1, sessionsPerDay: 200 }, (l) => lines.push(l));
    const text = lines.join("\n");
    expect(truth.eventTypes.document_download).toBeGreaterThan(0);
    expect(truth.eventTypes.qr_scan).toBeGreaterThan(0);
    expect(text).toMatch(/\t206\t/);
    expect(text).toMatch(/Googlebot/);
    expect(text).toMatch(/\tIPv6\t/);
    expect(truth.malformed).toBeGreaterThan(0);
    expect(truth.dropped).toBeGreaterThan(0);
  });

  it("rejects a bad option with one line naming it", () => {
    const r = tsx("local/sample.ts", ["--days", "zero"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('error: --days: must be a whole number from 1 to 366; got "zero"');
  });
});

describe("npm run local: transform worker threads", () => {
  it("a run with a worker thread writes the same lake as the in-process transform", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "local-workers-"));
    const lines: string[] = [];
    generateTraffic({ days: 1, seed: 11, sessionsPerDay: 60 }, (l) => lines.push(l));
    const input = path.join(dir, "in.tsv");
    writeFileSync(input, `${lines.join("\n")}\n`);
    const r = tsx("local/run.ts", ["--input", input, "--lake", path.join(dir, "workers"), "--workers", "1", "--no-queries"]);
    expect(r.status).toBe(0);
    await runLocal({ input, lake: path.join(dir, "in-process"), batchBytes: 16 * 1024, workers: 0 });
    const results = async (lakeDir: string) => {
      const lake = await LocalLake.open(lakeDir);
      try {
        return await Promise.all(QUERIES.map(async (q) => (await lake.runQuery(q.id, { from: "2025-06-01", to: "2025-06-01" })).rows));
      } finally {
        lake.close();
      }
    };
    expect(await results(path.join(dir, "workers"))).toEqual(await results(path.join(dir, "in-process")));
  });
});

describe("npm run local: bad input", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "local-cli-"));

  it("a missing input file: one line naming --input, exit 2, nothing written", () => {
    const r = tsx("local/run.ts", ["--input", path.join(dir, "missing.tsv"), "--lake", path.join(dir, "lake")]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --input: file not found: ${path.join(dir, "missing.tsv")}`);
    expect(existsSync(path.join(dir, "lake"))).toBe(false);
  });

  it("an unwritable lake: one line, exit 1", () => {
    const input = path.join(dir, "in.tsv");
    writeFileSync(input, "x\n");
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "");
    const r = tsx("local/run.ts", ["--input", input, "--lake", path.join(blocker, "lake")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: lake directory is not writable: .*a-file\/lake \(ENOTDIR\)$/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a missing --lake: usage error, exit 2", () => {
    const input = path.join(dir, "in.tsv");
    writeFileSync(input, "x\n");
    const r = tsx("local/run.ts", ["--input", input]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --lake: required/);
  });

  it("a lake that already holds data is not overwritten without --overwrite", async () => {
    const lines: string[] = [];
    generateTraffic({ days: 1, seed: 3, sessionsPerDay: 5 }, (l) => lines.push(l));
    const input = path.join(dir, "small.tsv");
    writeFileSync(input, `${lines.join("\n")}\n`);
    const lake = path.join(dir, "lake2");
    const first = tsx("local/run.ts", ["--input", input, "--lake", lake]);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/== Documents ==/);
    expect(first.stdout).toMatch(/Error records by type per day \(health_errors_daily\)/);
    const second = tsx("local/run.ts", ["--input", input, "--lake", lake, "--no-queries"]);
    expect(second.status).toBe(1);
    expect(second.stderr.trim()).toBe(`error: lake ${lake} already holds events/, errors/ and rollups/; pass --overwrite to replace them`);
    expect(tsx("local/run.ts", ["--input", input, "--lake", lake, "--no-queries", "--overwrite"]).status).toBe(0);
  });
});
