/**
 * The local data path on 1,000,000 CloudFront log lines, end to end: the real
 * transform in Firehose-sized batches, the Parquet lake and error records,
 * then every dashboard query in DuckDB. Side by side in the same run: DuckDB
 * converting the same file from TSV to Parquet with no enrichment, the floor
 * for "read lines, write Parquet". Each measured run is its own process, so
 * its peak memory (max RSS) is its own.
 *
 * Targets (issue 5): under 60 s and under 1 GB for the local run.
 * Env: BENCH_LOCAL_LINES (default 1000000), BENCH_RUNS (default 3), BENCH_WORKERS (default: as `npm run local`).
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateTraffic } from "../local/generator";
import { defaultWorkers, runLocal } from "../local/pipeline";
import { DASHBOARDS } from "../queries/dashboards";
import { LocalLake } from "../queries/duckdb";
import { REALTIME_LOG_FIELDS } from "../schemas/cloudfront";

const LINES = Number(process.env.BENCH_LOCAL_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Transform worker threads, as `npm run local` starts them by default. */
const WORKERS = Number(process.env.BENCH_WORKERS ?? defaultWorkers());
const DAYS = 7;
const WORK = path.join(tmpdir(), "bench-local-run");
/** Lines per session the generator averages (bots and health checks included), to size the sessions per day. */
const LINES_PER_SESSION = 6.4;

interface Measure {
  seconds: number;
  /** User + system CPU of the run's process: less sensitive than wall time to other load on the machine. */
  cpuSeconds: number;
  maxRssMb: number;
  detail: string;
}

async function writeInput(file: string): Promise<void> {
  const meta = `${file}.meta.json`;
  if (existsSync(file) && existsSync(meta) && JSON.parse(readFileSync(meta, "utf8")).lines === LINES) return;
  const out = createWriteStream(file);
  let written = 0;
  let chunk: string[] = [];
  generateTraffic({ seed: 1, days: DAYS, sessionsPerDay: Math.ceil((LINES * 1.05) / DAYS / LINES_PER_SESSION) }, (line) => {
    if (written >= LINES) return;
    chunk.push(line);
    written++;
    if (chunk.length >= 10_000) {
      out.write(`${chunk.join("\n")}\n`);
      chunk = [];
    }
  });
  if (chunk.length) out.write(`${chunk.join("\n")}\n`);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  if (written < LINES) throw new Error(`generated only ${written} lines; raise LINES_PER_SESSION's margin`);
  writeFileSync(meta, JSON.stringify({ lines: written }));
}

/** Child: the whole local run (transform + lake + every dashboard query). */
async function childLocal(input: string, lake: string): Promise<string> {
  const summary = await runLocal({ input, lake, overwrite: true, workers: WORKERS });
  const db = await LocalLake.open(lake);
  let rows = 0;
  try {
    const window = db.dayRange();
    if (!window) throw new Error("empty lake");
    for (const d of DASHBOARDS) for (const r of await db.runDashboard(d.id, window)) rows += r.rows.length;
  } finally {
    db.close();
  }
  return `${summary.ok} ok, ${summary.failed} failed, ${summary.parquetFiles} files, ${rows} result rows`;
}

/** Child: DuckDB reads the TSV (every field as text) and writes one Parquet file; no parsing beyond that, no enrichment. */
async function childDuckDb(input: string, out: string): Promise<string> {
  const columns = `{${REALTIME_LOG_FIELDS.map((f) => `'${f}': 'VARCHAR'`).join(", ")}}`;
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(
      `COPY (SELECT * FROM read_csv('${input}', delim = '\t', header = false, quote = '', escape = '', columns = ${columns}, auto_detect = false, strict_mode = false, null_padding = true, ignore_errors = true)) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`,
    );
    const n = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${out}')`);
    return `${n.getRowObjectsJS()[0]?.n} rows`;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function measure(mode: "local" | "duckdb", input: string, target: string): Measure {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", mode, input, target], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { maxRssKb: number; cpuSeconds: number; detail: string };
  return { seconds, cpuSeconds: report.cpuSeconds, maxRssMb: report.maxRssKb / 1024, detail: report.detail };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const i = process.argv.indexOf("--child");
  if (i > 0) {
    const [mode, input, target] = process.argv.slice(i + 1) as [string, string, string];
    const detail = mode === "local" ? await childLocal(input, target) : await childDuckDb(input, target);
    const usage = process.resourceUsage();
    console.log(JSON.stringify({ maxRssKb: usage.maxRSS, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, detail }));
    return;
  }
  mkdirSync(WORK, { recursive: true });
  const input = path.join(WORK, `input-${LINES}.tsv`);
  const g = Date.now();
  await writeInput(input);
  console.log(
    `input: ${LINES.toLocaleString("en-US")} lines, ${(statSync(input).size / 2 ** 20).toFixed(0)} MiB (generated/cached in ${((Date.now() - g) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  const local: Measure[] = [];
  const duck: Measure[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const l = measure("local", input, path.join(WORK, "lake"));
    local.push(l);
    console.log(
      `  run ${run} local:  ${l.seconds.toFixed(1)} s (cpu ${l.cpuSeconds.toFixed(1)} s), ${l.maxRssMb.toFixed(0)} MB peak (${l.detail})`,
    );
    const out = path.join(WORK, "duckdb.parquet");
    rmSync(out, { force: true });
    const d = measure("duckdb", input, out);
    duck.push(d);
    console.log(
      `  run ${run} duckdb: ${d.seconds.toFixed(1)} s (cpu ${d.cpuSeconds.toFixed(1)} s), ${d.maxRssMb.toFixed(0)} MB peak (${d.detail})`,
    );
  }
  const lt = median(local.map((m) => m.seconds));
  const lm = median(local.map((m) => m.maxRssMb));
  const dt = median(duck.map((m) => m.seconds));
  const dm = median(duck.map((m) => m.maxRssMb));
  const lc = median(local.map((m) => m.cpuSeconds));
  const dc = median(duck.map((m) => m.cpuSeconds));
  console.log(`\nmedians of ${RUNS} runs, ${LINES.toLocaleString("en-US")} lines, ${WORKERS} transform worker(s):`);
  console.log(
    `  local run end to end   ${lt.toFixed(1)} s wall  ${lc.toFixed(1)} s cpu  ${lm.toFixed(0)} MB peak  (targets < 60 s, < 1024 MB)`,
  );
  console.log(`  duckdb TSV -> Parquet  ${dt.toFixed(1)} s wall  ${dc.toFixed(1)} s cpu  ${dm.toFixed(0)} MB peak`);
  console.log(
    `  ratio local / duckdb   ${(lt / dt).toFixed(1)}x wall time, ${(lc / dc).toFixed(1)}x cpu time, ${(lm / dm).toFixed(1)}x memory`,
  );
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
