/**
 * Benchmark of the Firehose transform (handlers/firehose-transform), per issues 4 and 18:
 *
 * - throughput: records per CPU-second on one core over 100,000 realistic lines
 *   (a realistic spread of user agents and IPs: a few thousand visitors, each
 *   making several requests; ~10% bots; ~15% IPv6), in batches of the size the
 *   stack configures (`ingestion.processorBufferSizeMB`) with Lambda's 6 MB response
 *   limit in force, each pass followed by the DuckDB anchor (bench/duckdb-anchor.ts)
 *   converting the same lines (the 100,000 written ANCHOR_REPEAT times: 1,000,000 lines,
 *   so that its process start-up does not dominate); the ratio is the median of the
 *   paired ratios (target >= 0.25x, aim 0.5x);
 * - the line-to-row core (toRow, row.ts) alone over the same lines: what the
 *   batch wrapping (base64, UTF-8, encoding, response size) adds is the difference;
 * - one Firehose batch of 3 MB (~6,700 records) with the 6 MB response limit in force
 *   (target < 150 ms); its response cannot hold every row (rows are ~2.8x the lines), so
 *   the bench says how many records come back response-too-large, and times the batch
 *   the shipped configuration produces too;
 * - bundle size without the GeoIP database (target < 1 MB);
 * - cold start: a fresh Node process importing the bundle and opening the
 *   GeoIP databases (first invocation) (target < 300 ms).
 *
 * Medians of several runs; CPU seconds first (the machine is shared: wall clock measures the load as much as the
 * code). Run: npm run bench -- --only transform
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { line } from "../__tests__/helpers/cloudfront-lines";
import { LAMBDA_LIMITS, TRANSFORM_RESPONSE } from "../config/limits";
import { defaultGeoDatabases, GeoIp } from "../handlers/firehose-transform/geoip";
import { createProcessor, type FirehoseRecordIn, type Processor } from "../handlers/firehose-transform/processor";
import { createRowContext, toRow } from "../handlers/firehose-transform/row";
import { buildHandler, bundleDir } from "../scripts/build-handlers";
import { type AnchorMeasure, duckDbAnchor } from "./duckdb-anchor";
import { loadAverage, median, summary, whole } from "./summary";
import { realisticLines, toRecords } from "./transform-input";

const LINES = 100_000;
const RUNS = 5;
/** Transform passes, each followed by one anchor run. */
const ROUNDS = 5;
const BATCH_BYTES = 3 * 1024 * 1024;
/** The Lambda batch the stack configures (config/schema.ts defaults to the largest that fits), counting MB as MiB. */
const SHIPPED_BATCH_BYTES = TRANSFORM_RESPONSE.maxProcessorBufferMB * 2 ** 20;
/** The anchor's input is the bench's lines this many times over. */
const ANCHOR_REPEAT = 10;
const KEY = "benchmark-visitor-key-0123456789";
const load = loadAverage;
/** Process CPU time: with other work on the machine, wall clock measures the load as much as the code. */
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

/**
 * A fresh process: import the bundle, then one invocation with one record, or with the event in `eventFile`
 * (read before the clock starts: Lambda hands the event over after init).
 */
function coldStart(dir: string, eventFile?: string): { importMs: number; firstInvocationMs: number; totalMs: number; cpuMs: number } {
  const oneRecord = {
    invocationId: "i",
    deliveryStreamArn: "a",
    region: "eu-west-1",
    records: [{ recordId: "1", data: Buffer.from(`${line()}\n`).toString("base64") }],
  };
  const script = `
    const event = ${eventFile ? `JSON.parse(require("node:fs").readFileSync(${JSON.stringify(eventFile)}, "utf8"))` : JSON.stringify(oneRecord)};
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const { handler } = require(${JSON.stringify(path.join(dir, "index.js"))});
    const importMs = ms();
    handler(event).then((r) => {
      if (r.records.length !== event.records.length || r.records[0].result !== "Ok") throw new Error("cold start batch not transformed");
      const totalMs = ms();
      const cpu = process.cpuUsage();
      process.stderr.write(JSON.stringify({ importMs, firstInvocationMs: totalMs - importMs, totalMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
    });`;
  const res = spawnSync(process.execPath, ["-e", script], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      VISITOR_ID_KEY: "benchmark-visitor-key-0123456789",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    },
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`cold start run failed: ${res.stderr}`);
  return JSON.parse(res.stderr.trim().split("\n").pop() as string);
}

/** Writes `lines` `repeat` times over to a file, one per line, as Kinesis hands them to Firehose. */
async function writeLines(file: string, lines: readonly string[], repeat: number): Promise<void> {
  const out = createWriteStream(file);
  const block = `${lines.join("\n")}\n`;
  for (let i = 0; i < repeat; i++) if (!out.write(block)) await new Promise<void>((r) => out.once("drain", () => r()));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/**
 * A full collection, then a pause for its background sweeping to finish: process CPU counts every thread, so
 * without the pause a small batch's CPU time carries the collector's threads.
 */
async function settle(): Promise<void> {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 50));
}

/** Times one batch `runs` times: medians and bests of wall clock and process CPU, and the last result. */
async function timeBatch(p: Processor, batch: readonly FirehoseRecordIn[], runs: number) {
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  let last = p.processRecords(batch);
  for (let run = 0; run < runs; run++) {
    await settle();
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    last = p.processRecords(batch);
    cpuMs.push(cpuSeconds(process.cpuUsage(c0)) * 1000);
    wallMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const responseBytes = Buffer.byteLength(JSON.stringify({ records: last.records }));
  return { wallMs, cpuMs, stats: last.stats, responseBytes };
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, load average ${load()}, ${new Date().toISOString()}`);
  const lines = realisticLines(LINES);
  const bytes = lines.reduce((s, l) => s + l.length + 1, 0);
  console.log(`input: ${LINES} lines, ${(bytes / 1e6).toFixed(1)} MB, mean ${(bytes / LINES).toFixed(0)} B/line`);
  const records = toRecords(lines);
  // Lambda's 6 MB response limit in force, as in the stack.
  const p = await createProcessor({ visitorIdKey: KEY });
  const perRecord = bytes / LINES;

  // Throughput: the whole input in batches of the configured size, one core (the processor is synchronous), each
  // pass followed by the anchor (DuckDB on one thread, the same lines to day-partitioned Parquet, in its own
  // process): on a shared machine the load drifts, so each ratio compares two measures taken under the same load.
  const batchSize = Math.round(SHIPPED_BATCH_BYTES / perRecord);
  const dir = mkdtempSync(path.join(tmpdir(), "transform-bench-"));
  const file = path.join(dir, "lines.tsv");
  await writeLines(file, lines, ANCHOR_REPEAT);
  p.processRecords(records.slice(0, 20_000)); // warm-up: JIT and caches
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const anchors: AnchorMeasure[] = [];
  const ratios: number[] = [];
  /** Per batch: on a shared machine the fastest batches show what the code does when it has the core. */
  const batchRates: number[] = [];
  let stats = p.processRecords([]).stats;
  for (let round = 0; round < ROUNDS; round++) {
    await settle();
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let ok = 0;
    for (let i = 0; i < records.length; i += batchSize) {
      const slice = records.slice(i, i + batchSize);
      const tb = process.hrtime.bigint();
      const r = p.processRecords(slice);
      batchRates.push(slice.length / (Number(process.hrtime.bigint() - tb) / 1e9));
      ok += r.stats.byResult.Ok;
      stats = r.stats;
      if (r.stats.failuresByReason["response-too-large"]) throw new Error("a configured-size batch did not fit the response limit");
    }
    rates.push(records.length / (Number(process.hrtime.bigint() - t) / 1e9));
    cpuRates.push(records.length / (cpuSeconds(process.cpuUsage(c0)) || Number.EPSILON));
    if (ok === 0) throw new Error("no Ok records");
    const anchor = duckDbAnchor(file, LINES * ANCHOR_REPEAT);
    anchors.push(anchor);
    ratios.push((cpuRates[round] as number) / anchor.linesPerCpuSecond);
  }
  rmSync(file);
  const ours = median(cpuRates);
  const duck = median(anchors.map((a) => a.linesPerCpuSecond));
  const ratio = median(ratios);
  console.log(
    `throughput (${batchSize}-record batches of ${(SHIPPED_BATCH_BYTES / 2 ** 20).toFixed(2)} MiB, the configured size; ${ROUNDS} passes over the ${whole(LINES)} lines): median ${whole(ours)} records per CPU-second (best ${whole(Math.max(...cpuRates))}), median ${whole(median(rates))} records/s wall clock (best ${whole(Math.max(...rates))})`,
  );
  console.log(
    `  per batch (${batchRates.length} batches): median ${whole(median(batchRates))} records/s wall clock, 90th percentile ${whole(percentile(batchRates, 0.9))}, best ${whole(Math.max(...batchRates))}`,
  );
  console.log(`  last batch: ${JSON.stringify(stats.byResult)} ${JSON.stringify(stats.byEventType)}`);
  console.log(
    `DuckDB anchor after each pass (${whole(LINES * ANCHOR_REPEAT)} lines: the same ${whole(LINES)} ${ANCHOR_REPEAT} times, one thread): median ${whole(duck)} lines per CPU-second (${anchors.map((a) => `${a.cpuSeconds.toFixed(2)}`).join(", ")} CPU-s)`,
  );
  console.log(
    `transform / DuckDB, per CPU-second: median of the ${ROUNDS} paired ratios ${ratio.toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(", ")}) [target >= 0.25x, aim 0.5x]; load average ${load()}`,
  );
  summary({
    bench: "transform",
    figure: "transform ratio to DuckDB (records per CPU-second, one core; median of paired runs)",
    value: `${ratio.toFixed(2)}x (${whole(ours)} vs ${whole(duck)})`,
    target: ">= 0.25x",
    met: ratio >= 0.25,
  });

  // The core alone: decoded lines in, rows out (no base64, no JSON text, no response).
  const ctx = createRowContext({ config: p.config, visitorIdKey: KEY, geo: await GeoIp.open(defaultGeoDatabases()), nowMs: Date.now() });
  const texts = lines.map((l) => `${l}\n`);
  for (let i = 0; i < 20_000; i++) toRow(texts[i] as string, ctx); // warm-up: JIT and caches
  const rowCpuRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await settle();
    const c0 = process.cpuUsage();
    let rows = 0;
    for (const text of texts) if (toRow(text, ctx).kind === "row") rows++;
    rowCpuRates.push(texts.length / (cpuSeconds(process.cpuUsage(c0)) || Number.EPSILON));
    if (rows === 0) throw new Error("no rows");
  }
  console.log(`toRow alone: median ${whole(median(rowCpuRates))} lines per CPU-second (best ${whole(Math.max(...rowCpuRates))})`);
  // What the caches hold after the passes, against their bounds in row.ts: none full means none clearing.
  console.log(
    `  cache entries after the passes: ${ctx.userAgents.size} user agents, ${ctx.referrers.size} referrers, ${ctx.partitionKeys.size} partition keys (the bench's traffic: 6,000 visitors)`,
  );

  // One 3 MB batch, Lambda's limit in force: the rows do not all fit a 6 MB response.
  const batch = records.slice(0, Math.round(BATCH_BYTES / perRecord));
  const big = await timeBatch(p, batch, 15);
  const tooLarge = big.stats.failuresByReason["response-too-large"] ?? 0;
  const bigMs = median(big.cpuMs);
  const requestBytes = Buffer.byteLength(JSON.stringify({ records: batch }));
  console.log(
    `one 3 MB batch (${batch.length} records), 6 MB response limit in force: median ${bigMs.toFixed(1)} ms CPU (best ${Math.min(...big.cpuMs).toFixed(1)}), median ${median(big.wallMs).toFixed(1)} ms wall clock (best ${Math.min(...big.wallMs).toFixed(1)}) [target < 150 ms]`,
  );
  // What the response would be with every row (not timed): why a 3 MB batch cannot fit.
  const unlimited = await createProcessor({ visitorIdKey: KEY, maxResponseBytes: Number.POSITIVE_INFINITY });
  const fullBytes = Buffer.byteLength(JSON.stringify({ records: unlimited.processRecords(batch).records }));
  console.log(
    `  request ${(requestBytes / 1e6).toFixed(2)} MB; every row would make a ${(fullBytes / 1e6).toFixed(2)} MB response (${(fullBytes / BATCH_BYTES).toFixed(2)}x the raw lines), over Lambda's ${(LAMBDA_LIMITS.syncPayloadBytes / 1e6).toFixed(2)} MB, so ${tooLarge} of ${batch.length} records come back ProcessingFailed (response-too-large) and ${big.stats.byResult.Ok} Ok (response ${(big.responseBytes / 1e6).toFixed(2)} MB)`,
  );
  summary({
    bench: "transform",
    figure: `one 3 MB batch (${batch.length} records) with the 6 MB response limit, CPU`,
    value: `${bigMs.toFixed(1)} ms (${tooLarge} records response-too-large: 3 MB of lines do not fit 6 MB of rows)`,
    target: "< 150 ms",
    met: bigMs < 150,
  });

  // The batch the shipped configuration produces: every row fits.
  const shipped = records.slice(0, batchSize);
  const small = await timeBatch(p, shipped, 31);
  const smallMs = median(small.cpuMs);
  console.log(
    `one configured batch (${(SHIPPED_BATCH_BYTES / 2 ** 20).toFixed(2)} MiB, ${shipped.length} records): median ${smallMs.toFixed(1)} ms CPU (best ${Math.min(...small.cpuMs).toFixed(1)}), median ${median(small.wallMs).toFixed(1)} ms wall clock; response ${(small.responseBytes / 1e6).toFixed(2)} MB, ${small.stats.failuresByReason["response-too-large"] ?? 0} response-too-large`,
  );
  summary({
    bench: "transform",
    figure: `one configured batch (${(SHIPPED_BATCH_BYTES / 2 ** 20).toFixed(2)} MiB, ${shipped.length} records), CPU`,
    value: `${smallMs.toFixed(1)} ms (response ${(small.responseBytes / 1e6).toFixed(2)} MB, all Ok)`,
    target: "< 150 ms",
    met: smallMs < 150 && small.stats.byResult.Ok === shipped.length,
  });

  // Bundle size (the GeoIP files travel beside it, not in it).
  const { bytes: bundleBytes } = buildHandler("firehose-transform");
  console.log(`bundle: index.js ${(bundleBytes / 1024).toFixed(0)} KiB without the GeoIP database [target < 1 MB]`);

  // Cold start: fresh processes.
  const colds = Array.from({ length: 7 }, () => coldStart(bundleDir("firehose-transform")));
  const m = (k: keyof ReturnType<typeof coldStart>) => median(colds.map((c) => c[k])).toFixed(0);
  console.log(
    `cold start: median ${m("totalMs")} ms = import ${m("importMs")} ms + first invocation (config, GeoIP open, 1 record) ${m("firstInvocationMs")} ms (best ${Math.min(...colds.map((c) => c.totalMs)).toFixed(0)}); process CPU ${m("cpuMs")} ms [target < 300 ms]`,
  );
  // What a real first invocation waits for: the same cold start, then a whole 3 MB batch with cold caches and JIT.
  const eventFile = path.join(dir, "event.json");
  writeFileSync(eventFile, JSON.stringify({ invocationId: "i", deliveryStreamArn: "a", region: "eu-west-1", records: batch }));
  const coldBatches = Array.from({ length: 5 }, () => coldStart(bundleDir("firehose-transform"), eventFile));
  console.log(
    `cold start with a whole ${batch.length}-record batch: median ${median(coldBatches.map((c) => c.totalMs)).toFixed(0)} ms (import ${median(coldBatches.map((c) => c.importMs)).toFixed(0)} ms + batch ${median(coldBatches.map((c) => c.firstInvocationMs)).toFixed(0)} ms)`,
  );
  rmSync(dir, { recursive: true, force: true });
  console.log(`load average after: ${load()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
