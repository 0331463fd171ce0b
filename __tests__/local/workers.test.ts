/**
 * The local run with two worker threads (shards, local/shard.ts) writes the same rows and the same error records as
 * the run in one thread, each worker into its own files. Workers need tsx, which jest does not run under, so the
 * worker run is a child process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateTraffic } from "../../local/generator";
import { type LocalRunSummary, runLocal } from "../../local/pipeline";
import { duckQuery } from "../helpers/duckdb";

const ROOT = path.resolve(__dirname, "../..");
/** Small batches and row groups, so both workers get many batches and write several row groups. */
const OPTIONS = { batchBytes: 8 * 1024, rowGroupRows: 100, maxBufferedRows: 300 };

describe("local run with 2 workers", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "local-shards-"));
  const input = path.join(dir, "in.tsv");
  let one: LocalRunSummary;
  let two: LocalRunSummary;

  beforeAll(async () => {
    const lines: string[] = [];
    generateTraffic({ days: 2, seed: 5, sessionsPerDay: 80 }, (l) => lines.push(l));
    writeFileSync(input, `${lines.join("\n")}\n`);
    const script = path.join(dir, "run.ts");
    writeFileSync(
      script,
      `import { runLocal } from ${JSON.stringify(path.join(ROOT, "local/pipeline"))};\n` +
        `runLocal({ input: ${JSON.stringify(input)}, lake: ${JSON.stringify(path.join(dir, "two"))}, workers: 2, ...${JSON.stringify(OPTIONS)} })` +
        ".then((s) => console.log(JSON.stringify(s)));\n",
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(r.stderr);
    two = JSON.parse(r.stdout.trim().split("\n").pop() as string) as LocalRunSummary;
    one = await runLocal({ input, lake: path.join(dir, "one"), workers: 0, ...OPTIONS });
  }, 180_000);

  it("counts the same lines, results, event types and failure reasons", () => {
    const counts = (s: LocalRunSummary) => [s.lines, s.ok, s.dropped, s.failed, s.batches, s.byEventType, s.failuresByReason];
    expect(counts(two)).toEqual(counts(one));
    expect(one.failed).toBeGreaterThan(0);
    expect(one.batches).toBeGreaterThan(10);
  });

  it("writes the same rows, each worker into its own files", async () => {
    const rows = (lake: string) =>
      duckQuery(`SELECT * FROM read_parquet('${path.join(dir, lake)}/events/**/*.parquet', hive_partitioning = true) ORDER BY ALL`);
    const [a, b] = await Promise.all([rows("one"), rows("two")]);
    expect(b).toHaveLength(one.ok);
    expect(b).toEqual(a);
    const files = readdirSync(path.join(dir, "two", "events"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".parquet"));
    expect(files.some((f) => /-w1-\d+\.parquet$/.test(f)) && files.some((f) => /-w2-\d+\.parquet$/.test(f))).toBe(true);
    expect(two.parquetFiles).toBe(files.length);
  });

  it("keeps the same failed records under errors/", () => {
    const records = (lake: string) =>
      readdirSync(path.join(dir, lake, "errors"), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .flatMap((e) => readFileSync(path.join(e.parentPath, e.name), "utf8").trim().split("\n"))
        .map((l) => {
          const { rawData, arrivalTimestamp } = JSON.parse(l) as { rawData: string; arrivalTimestamp: number };
          return `${arrivalTimestamp} ${rawData}`;
        })
        .sort();
    const a = records("one");
    expect(a).toHaveLength(one.failed);
    expect(records("two")).toEqual(a);
  });
});
