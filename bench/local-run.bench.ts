/**
 * The local data path on 1,000,000 CloudFront log lines, end to end: the real transform in Firehose-sized batches,
 * the Parquet lake, error records and daily rollups (runLocal), then every dashboard query in DuckDB. Beside it in
 * the same run, the DuckDB anchor (bench/duckdb-anchor.ts: the same file to day-partitioned Parquet, one thread, no
 * enrichment). Each measured run is its own process, so its CPU seconds and peak memory are its own.
 *
 * The ratio compares like with like: runLocal's lines per CPU-second (the process's CPU until runLocal returns, every
 * thread, start-up included, as the anchor's is) against the anchor's. The dashboard queries come after and are
 * reported apart: the anchor runs none. Worker scaling: the same run with 1 and with 2 worker threads, wall time.
 *
 * Targets (issue 18 item 3): ratio >= 0.15x; 2 workers near 2x one worker's lines/s as far as the cores allow (one
 * worker keeps more than a core busy: V8's collector threads), with no loss of lines per CPU-second; peak memory < 1 GB.
 * Env: BENCH_LOCAL_LINES (default 1000000), BENCH_RUNS (default 3), BENCH_WORKERS (the worker counts compared,
 * default "1,2"; the first is the scaling's base, the last gives the ratio and the memory figure),
 * BENCH_LOCAL_DIR (work folder, default $TMPDIR/bench-local-run).
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { generateTraffic } from "../local/generator";
import { runLocal } from "../local/pipeline";
import { DASHBOARDS } from "../queries/dashboards";
import { LocalLake } from "../queries/duckdb";
import { type AnchorMeasure, duckDbAnchor } from "./duckdb-anchor";
import { cpuSecondsOf, loadAverage, median, runChild, summary, whole } from "./summary";

const LINES = Number(process.env.BENCH_LOCAL_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WORKERS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number);
const DAYS = 7;
const WORK = process.env.BENCH_LOCAL_DIR ?? path.join(tmpdir(), "bench-local-run");
/** Lines per session the generator averages (bots and health checks included), to size the sessions per day. */
const LINES_PER_SESSION = 6.4;

interface Measure {
  /** Wall time of runLocal, from the process's start (start-up included, as the anchor's is). */
  seconds: number;
  /** User + system CPU of the process, every thread, until runLocal returned: less sensitive than wall time to load. */
  cpuSeconds: number;
  /** Peak resident memory until runLocal returned. */
  maxRssMb: number;
  /** The dashboard queries after it: CPU seconds, and the process's peak memory at the end. */
  queryCpuSeconds: number;
  queryMaxRssMb: number;
  /** Wall time of the batches alone (runLocal's timings): the part more workers shorten. */
  batchSeconds: number;
  detail: string;
}

interface ChildReport {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  queryCpuSeconds: number;
  queryMaxRssKb: number;
  batchSeconds: number;
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

/** Child: the whole local run (transform + lake + errors/ + rollups), then every dashboard query, measured apart. */
async function childLocal(input: string, lake: string, workers: number): Promise<ChildReport> {
  const summary = await runLocal({ input, lake, overwrite: true, workers });
  const seconds = performance.now() / 1000;
  const run = process.resourceUsage();
  const db = await LocalLake.open(lake);
  let rows = 0;
  try {
    const window = db.dayRange();
    if (!window) throw new Error("empty lake");
    for (const d of DASHBOARDS) for (const r of await db.runDashboard(d.id, window)) rows += r.rows.length;
  } finally {
    db.close();
  }
  const end = process.resourceUsage();
  return {
    seconds,
    cpuSeconds: cpuSecondsOf(run),
    maxRssKb: run.maxRSS,
    queryCpuSeconds: cpuSecondsOf(end) - cpuSecondsOf(run),
    queryMaxRssKb: end.maxRSS,
    batchSeconds: summary.timings.batches,
    detail: `${summary.ok} ok, ${summary.failed} failed, ${summary.parquetFiles} files, ${rows} result rows`,
  };
}

function measure(input: string, lake: string, workers: number): Measure {
  const { report: m } = runChild<ChildReport>(__filename, [input, lake, String(workers)], "local run");
  return {
    seconds: m.seconds,
    cpuSeconds: m.cpuSeconds,
    maxRssMb: m.maxRssKb / 1024,
    queryCpuSeconds: m.queryCpuSeconds,
    queryMaxRssMb: m.queryMaxRssKb / 1024,
    batchSeconds: m.batchSeconds,
    detail: m.detail,
  };
}

const load = loadAverage;

async function main(): Promise<void> {
  const i = process.argv.indexOf("--child");
  if (i > 0) {
    const [input, lake, workers] = process.argv.slice(i + 1) as [string, string, string];
    console.log(JSON.stringify(await childLocal(input, lake, Number(workers))));
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
    `${new Date().toISOString()}, load average at start: ${load()} on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  const local = new Map<number, Measure[]>(WORKERS.map((w) => [w, []]));
  const anchor: AnchorMeasure[] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const w of WORKERS) {
      const l = measure(input, path.join(WORK, "lake"), w);
      local.get(w)?.push(l);
      console.log(
        `  run ${run} local, ${w} worker(s): ${l.seconds.toFixed(1)} s (batches ${l.batchSeconds.toFixed(1)} s; cpu ${l.cpuSeconds.toFixed(1)} s), ${l.maxRssMb.toFixed(0)} MB peak; ` +
          `queries after: cpu ${l.queryCpuSeconds.toFixed(1)} s, ${l.queryMaxRssMb.toFixed(0)} MB peak (${l.detail}); load ${load()}`,
      );
    }
    const d = duckDbAnchor(input, LINES);
    anchor.push(d);
    console.log(
      `  run ${run} duckdb anchor: ${d.wallSeconds.toFixed(1)} s (cpu ${d.cpuSeconds.toFixed(1)} s), ${d.maxRssMb.toFixed(0)} MB peak (${d.rows} rows); load ${load()}`,
    );
  }
  const dc = median(anchor.map((m) => m.cpuSeconds));
  const dt = median(anchor.map((m) => m.wallSeconds));
  const dm = median(anchor.map((m) => m.maxRssMb));
  console.log(`\nmedians of ${RUNS} runs, ${LINES.toLocaleString("en-US")} lines:`);
  const medians = WORKERS.map((w) => {
    const ms = local.get(w) ?? [];
    const m = {
      workers: w,
      seconds: median(ms.map((x) => x.seconds)),
      cpu: median(ms.map((x) => x.cpuSeconds)),
      rss: median(ms.map((x) => x.maxRssMb)),
      queryCpu: median(ms.map((x) => x.queryCpuSeconds)),
      queryRss: median(ms.map((x) => x.queryMaxRssMb)),
      batches: median(ms.map((x) => x.batchSeconds)),
    };
    console.log(
      `  local run, ${w} worker(s)   ${m.seconds.toFixed(1)} s wall (${whole(LINES / m.seconds)} lines/s)  ${m.cpu.toFixed(1)} s cpu (${whole(LINES / m.cpu)} lines per cpu-s)  ${m.rss.toFixed(0)} MB peak; ` +
        `queries after ${m.queryCpu.toFixed(1)} s cpu, ${m.queryRss.toFixed(0)} MB peak`,
    );
    return m;
  });
  console.log(
    `  duckdb anchor           ${dt.toFixed(1)} s wall  ${dc.toFixed(1)} s cpu (${whole(LINES / dc)} lines per cpu-s)  ${dm.toFixed(0)} MB peak`,
  );
  const last = medians[medians.length - 1] as (typeof medians)[number];
  const first = medians[0] as (typeof medians)[number];
  const ratio = dc / last.cpu;
  const scaling = first.seconds / last.seconds;
  // What the cores allow: one worker already keeps more than one core busy (V8's garbage-collector threads, the main
  // thread reading the file), so N cores give at most N / (cores busy with one worker) times its lines per second.
  const busy = (m: { cpu: number; seconds: number }) => m.cpu / m.seconds;
  const ceiling = Math.min(last.workers / first.workers, cpus().length / busy(first));
  const perCpu = first.cpu / last.cpu;
  // Start-up, closing the files and the rollups take the same time with any number of workers (Amdahl): the batches
  // are what workers parallelise, so their time is what must scale.
  const batchScaling = first.batches / last.batches;
  const peak = Math.max(...medians.map((m) => m.rss));
  console.log(
    `  ratio (lines per cpu-second, ${last.workers} worker(s)): ${ratio.toFixed(3)}x DuckDB; with the queries: ${(dc / (last.cpu + last.queryCpu)).toFixed(3)}x`,
  );
  console.log(
    `  worker scaling ${first.workers} -> ${last.workers}: ${scaling.toFixed(2)}x lines/s (wall), the batches alone ${batchScaling.toFixed(2)}x ` +
      `(${first.batches.toFixed(1)} -> ${last.batches.toFixed(1)} s); ${perCpu.toFixed(2)}x lines per cpu-s; ` +
      `cores busy ${busy(first).toFixed(2)} -> ${busy(last).toFixed(2)}, so ${cpus().length} cores allow at most ${ceiling.toFixed(2)}x`,
  );
  console.log(`load average at end: ${load()}`);
  summary({
    bench: "local-run",
    figure: "local run ratio to DuckDB (lines per CPU-second)",
    value: `${ratio.toFixed(3)}x (${whole(LINES / last.cpu)} vs ${whole(LINES / dc)}; ${last.workers} worker(s), queries excluded)`,
    target: ">= 0.15x",
    met: ratio >= 0.15,
  });
  summary({
    bench: "local-run",
    figure: `worker scaling ${first.workers}->${last.workers}`,
    value:
      `batches ${batchScaling.toFixed(2)}x (${first.batches.toFixed(1)} -> ${last.batches.toFixed(1)} s), whole run ${scaling.toFixed(2)}x ` +
      `(${whole(LINES / first.seconds)} -> ${whole(LINES / last.seconds)} lines/s wall), ${perCpu.toFixed(2)}x per cpu-s; ` +
      `${busy(first).toFixed(2)} cores busy with ${first.workers}, so ${cpus().length} cores allow ${ceiling.toFixed(2)}x`,
    // "Approach N times" as far as the cores allow it, and no worker slowing the others (lines per CPU-second kept).
    target: "batches >= 90% of what the cores allow, and >= 0.9x per cpu-s",
    met: batchScaling >= 0.9 * ceiling && perCpu >= 0.9,
  });
  summary({
    bench: "local-run",
    figure: "peak memory",
    value: `${peak.toFixed(0)} MB (runLocal, worst of ${WORKERS.join(", ")} worker(s)); ${Math.max(...medians.map((m) => m.queryRss)).toFixed(0)} MB with the queries`,
    target: "< 1 GB",
    met: peak < 1024,
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
