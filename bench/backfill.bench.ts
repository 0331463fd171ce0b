/**
 * `npm run backfill` end to end (local/backfill-run.ts, as the CLI runs it: GeoIP open, every file gunzipped and
 * transformed, objects written durably and journaled, rollups) over a generated set of gzip'd legacy standard log
 * files, one per hour as CloudFront names them. Each measured run is its own process, so its CPU seconds and
 * peak memory are its own. Side by side in the same run: the DuckDB anchor (bench/duckdb-anchor.ts) over the
 * same requests as real-time TSV lines, the nearest input DuckDB reads as is (ours also gunzips and enriches).
 *
 * Runs once per worker count (BENCH_BACKFILL_WORKERS, default "1,2": the scaling curve issue 18 asks for); the
 * ratio is taken at the CLI's default worker count (the first one listed when that is not among them).
 *
 * Target (issue 18): backfill >= 0.15x DuckDB per CPU-second end to end (aim 0.3x).
 * Env: BENCH_BACKFILL_LINES (default 1000000), BENCH_RUNS (default 3), BENCH_BACKFILL_WORKERS (default "1,2").
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { runBackfill } from "../local/backfill-run";
import { leadingTimestampMs } from "../local/firehose";
import { generateTraffic } from "../local/generator";
import { defaultWorkers } from "../local/pipeline";
import { standardLogFile } from "../local/standard-log";
import { duckDbAnchor } from "./duckdb-anchor";
import { loadAverage, median, ownUsage, runChild, summary, whole } from "./summary";

/** 1M lines, as issue 18 measures the local run and backfill: fixed start-up costs (tsx, GeoIP, rollups) weigh as little as there. */
const LINES = Number(process.env.BENCH_BACKFILL_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WORKER_COUNTS = (process.env.BENCH_BACKFILL_WORKERS ?? "1,2").split(",").map(Number);
const DAYS = 2;
const TARGET = 0.15;
const WORK = path.join(tmpdir(), "bench-backfill");
/** Lines per session the generator averages (bots and health checks included), to size the sessions per day. */
const LINES_PER_SESSION = 6.4;

interface Measure {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  readonly lines: number;
  readonly detail: string;
}

/** The log files (one per hour, gzip'd) and the same requests as one real-time TSV file for DuckDB; cached by size. */
function writeInput(logs: string, tsv: string): { files: number; bytes: number } {
  const meta = path.join(WORK, `input-${LINES}.meta.json`);
  if (existsSync(meta) && existsSync(tsv) && existsSync(logs)) return JSON.parse(readFileSync(meta, "utf8"));
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  const lines: string[] = [];
  generateTraffic({ seed: 3, days: DAYS, sessionsPerDay: Math.ceil((LINES * 1.05) / DAYS / LINES_PER_SESSION) }, (l) => {
    if (lines.length < LINES) lines.push(l);
  });
  if (lines.length < LINES) throw new Error(`generated only ${lines.length} lines; raise LINES_PER_SESSION's margin`);
  writeFileSync(tsv, `${lines.join("\n")}\n`);
  const byHour = new Map<string, { lines: string[]; lastMs: number }>();
  let lastMs = 0;
  for (const l of lines) {
    lastMs = leadingTimestampMs(l) ?? lastMs;
    const hour = new Date(lastMs).toISOString().slice(0, 13).replace("T", "-");
    const h = byHour.get(hour) ?? { lines: [], lastMs };
    h.lines.push(l);
    h.lastMs = lastMs;
    byHour.set(hour, h);
  }
  let bytes = 0;
  for (const [hour, h] of byHour) {
    const file = path.join(logs, `E2BENCHEXAMPLE.${hour}.a1b2c3d4.gz`);
    const gz = standardLogFile(h.lines);
    writeFileSync(file, gz);
    bytes += gz.length;
    utimesSync(file, new Date(h.lastMs), new Date(h.lastMs));
  }
  const info = { files: byHour.size, bytes };
  writeFileSync(meta, JSON.stringify(info));
  return info;
}

/** Child: one whole backfill into a fresh lake. */
async function child(logs: string, lake: string, workers: number): Promise<{ lines: number; detail: string }> {
  const s = await runBackfill({ inputs: [logs], lake, overwrite: true, workers });
  return {
    lines: s.run.lines,
    detail: `${s.run.ok} ok, ${s.run.dropped} dropped, ${s.run.failed} failed, ${s.objects} objects, ${s.rollups.files} rollup files`,
  };
}

function measure(logs: string, lake: string, workers: number): Measure {
  const { seconds, report: m } = runChild<{ maxRssKb: number; cpuSeconds: number; lines: number; detail: string }>(
    __filename,
    [logs, lake, String(workers)],
    "backfill run",
  );
  return { seconds, cpuSeconds: m.cpuSeconds, maxRssMb: m.maxRssKb / 1024, lines: m.lines, detail: m.detail };
}

const load = loadAverage;

async function main(): Promise<void> {
  const i = process.argv.indexOf("--child");
  if (i > 0) {
    const [logs, lake, workers] = process.argv.slice(i + 1) as [string, string, string];
    const r = await child(logs, lake, Number(workers));
    console.log(JSON.stringify({ ...r, ...ownUsage() }));
    return;
  }
  mkdirSync(WORK, { recursive: true });
  const logs = path.join(WORK, `logs-${LINES}`);
  const tsv = path.join(WORK, `input-${LINES}.tsv`);
  const input = writeInput(logs, tsv);
  console.log(
    `input: ${whole(LINES)} lines in ${input.files} gzip'd standard log files, ${(input.bytes / 2 ** 20).toFixed(1)} MiB ` +
      `(the same requests as real-time TSV for DuckDB: ${(statSync(tsv).size / 2 ** 20).toFixed(1)} MiB)`,
  );
  console.log(`${new Date().toISOString()}, load average at start: ${load()} on ${cpus().length} cores`);
  const ours = new Map<number, Measure[]>(WORKER_COUNTS.map((w) => [w, []]));
  const duck: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const w of WORKER_COUNTS) {
      const b = measure(logs, path.join(WORK, "lake"), w);
      ours.get(w)?.push(b);
      console.log(
        `  run ${run} backfill, ${w} worker(s): ${b.seconds.toFixed(1)} s (cpu ${b.cpuSeconds.toFixed(1)} s), ${whole(b.lines / b.seconds)} lines/s, ${b.maxRssMb.toFixed(0)} MB peak (${b.detail})`,
      );
    }
    const d = duckDbAnchor(tsv, LINES);
    duck.push(d.linesPerCpuSecond);
    console.log(
      `  run ${run} duckdb: ${d.wallSeconds.toFixed(1)} s (cpu ${d.cpuSeconds.toFixed(1)} s), ${whole(d.linesPerCpuSecond)} lines per cpu-s`,
    );
  }
  const duckPerCpu = median(duck);
  console.log(`\nmedians of ${RUNS} runs, ${whole(LINES)} lines in ${input.files} files (load average now ${load()}):`);
  const medians = new Map<number, { wall: number; cpu: number; rss: number }>();
  for (const [w, ms] of ours) {
    const m = { wall: median(ms.map((x) => x.seconds)), cpu: median(ms.map((x) => x.cpuSeconds)), rss: median(ms.map((x) => x.maxRssMb)) };
    medians.set(w, m);
    console.log(
      `  backfill, ${w} worker(s)  ${m.wall.toFixed(1)} s wall  ${m.cpu.toFixed(1)} s cpu  ${whole(LINES / m.wall)} lines/s  ${whole(LINES / m.cpu)} lines per cpu-s  ${m.rss.toFixed(0)} MB peak`,
    );
  }
  console.log(`  duckdb anchor            ${whole(duckPerCpu)} lines per cpu-s`);
  const chosen = medians.has(defaultWorkers()) ? defaultWorkers() : (WORKER_COUNTS[0] as number);
  const head = medians.get(chosen) as { wall: number; cpu: number; rss: number };
  const perCpu = LINES / head.cpu;
  const ratio = perCpu / duckPerCpu;
  console.log(`  ratio at ${chosen} worker(s) (the default here): ${ratio.toFixed(3)}x per cpu-second (target >= ${TARGET}x)`);
  summary({
    bench: "backfill",
    figure: `backfill lines/s (gzip'd standard log files, end to end, ${chosen} worker(s))`,
    value: `${whole(LINES / head.wall)} lines/s wall, ${whole(perCpu)} per cpu-s (${whole(LINES)} lines, ${input.files} files, ${head.rss.toFixed(0)} MB peak)`,
  });
  summary({
    bench: "backfill",
    figure: "backfill ratio to DuckDB (lines per cpu-second)",
    value: `${ratio.toFixed(3)}x (${whole(perCpu)} vs ${whole(duckPerCpu)})`,
    target: `>= ${TARGET}x`,
    met: ratio >= TARGET,
  });
  if (medians.size > 1)
    summary({
      bench: "backfill",
      figure: "backfill worker scaling (lines/s wall by workers)",
      value: [...medians].map(([w, m]) => `${w}: ${whole(LINES / m.wall)}`).join(", "),
    });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
