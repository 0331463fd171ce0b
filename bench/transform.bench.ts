/**
 * Benchmark of the Firehose transform (handlers/firehose-transform), per issue 4:
 *
 * - throughput: records per second on one core over 100,000 realistic lines
 *   (a realistic spread of user agents and IPs: a few thousand visitors, each
 *   making several requests; ~10% bots; ~15% IPv6) (target >= 50,000/s);
 * - the line-to-row core (toRow, row.ts) alone over the same lines: what the
 *   batch wrapping (base64, UTF-8, encoding, response size) adds is the difference;
 * - one Firehose batch of 3 MB (~6,000 records) (target < 150 ms), and the size
 *   of its response against Lambda's 6 MB payload limit;
 * - bundle size without the GeoIP database (target < 1 MB);
 * - cold start: a fresh Node process importing the bundle and opening the
 *   GeoIP databases (first invocation) (target < 300 ms).
 *
 * Medians of several runs. Run: npm run bench -- --only transform
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { line } from "../__tests__/helpers/cloudfront-lines";
import { defaultGeoDatabases, GeoIp } from "../handlers/firehose-transform/geoip";
import { createProcessor } from "../handlers/firehose-transform/processor";
import { createRowContext, toRow } from "../handlers/firehose-transform/row";
import { buildHandler, bundleDir } from "../scripts/build-handlers";
import { realisticLines, toRecords } from "./transform-input";

const LINES = 100_000;
const RUNS = 5;
const BATCH_BYTES = 3 * 1024 * 1024;

const fmt = (n: number) => Math.round(n).toLocaleString("en");
/** Process CPU time: with other work on the machine, wall clock measures the load as much as the code. */
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

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

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const lines = realisticLines(LINES);
  const bytes = lines.reduce((s, l) => s + l.length + 1, 0);
  console.log(`input: ${LINES} lines, ${(bytes / 1e6).toFixed(1)} MB, mean ${(bytes / LINES).toFixed(0)} B/line`);
  const records = toRecords(lines);
  // The issue's 3 MB batches give responses over Lambda's 6 MB, which the processor would answer by failing the
  // records that do not fit (reported below); the timings measure the transform of every record.
  const p = await createProcessor({ visitorIdKey: "benchmark-visitor-key-0123456789", maxResponseBytes: Number.POSITIVE_INFINITY });

  // Throughput: the whole input in Firehose-sized batches, one core (the processor is synchronous).
  const batchSize = Math.round(BATCH_BYTES / (bytes / LINES));
  p.processRecords(records.slice(0, 20_000)); // warm-up: JIT and caches
  const rates: number[] = [];
  const cpuRates: number[] = [];
  /** Per batch: on a shared machine the fastest batches show what the code does when it has the core. */
  const batchRates: number[] = [];
  let stats = p.processRecords([]).stats;
  for (let run = 0; run < RUNS; run++) {
    globalThis.gc?.();
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
    }
    rates.push(records.length / (Number(process.hrtime.bigint() - t) / 1e9));
    cpuRates.push(records.length / (cpuSeconds(process.cpuUsage(c0)) || Number.EPSILON));
    if (ok === 0) throw new Error("no Ok records");
  }
  console.log(
    `throughput: median ${fmt(median(rates))} records/s wall clock (best ${fmt(Math.max(...rates))}), median ${fmt(median(cpuRates))} records per CPU-second (best ${fmt(Math.max(...cpuRates))}) [target >= 50,000]`,
  );
  console.log(
    `  per ${batchSize}-record batch (${batchRates.length} batches): median ${fmt(median(batchRates))} records/s, 90th percentile ${fmt(percentile(batchRates, 0.9))}, best ${fmt(Math.max(...batchRates))}`,
  );
  console.log(`  last batch: ${JSON.stringify(stats.byResult)} ${JSON.stringify(stats.byEventType)}`);

  // The core alone: decoded lines in, rows out (no base64, no JSON text, no response).
  const ctx = createRowContext({
    config: p.config,
    visitorIdKey: "benchmark-visitor-key-0123456789",
    geo: await GeoIp.open(defaultGeoDatabases()),
    nowMs: Date.now(),
  });
  const texts = lines.map((l) => `${l}\n`);
  for (let i = 0; i < 20_000; i++) toRow(texts[i] as string, ctx); // warm-up: JIT and caches
  const rowRates: number[] = [];
  const rowCpuRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    globalThis.gc?.();
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let rows = 0;
    for (const text of texts) if (toRow(text, ctx).kind === "row") rows++;
    rowRates.push(texts.length / (Number(process.hrtime.bigint() - t) / 1e9));
    rowCpuRates.push(texts.length / (cpuSeconds(process.cpuUsage(c0)) || Number.EPSILON));
    if (rows === 0) throw new Error("no rows");
  }
  console.log(
    `toRow alone: median ${fmt(median(rowRates))} lines/s wall clock (best ${fmt(Math.max(...rowRates))}), median ${fmt(median(rowCpuRates))} lines per CPU-second (best ${fmt(Math.max(...rowCpuRates))})`,
  );

  // One 3 MB batch.
  const batch = records.slice(0, batchSize);
  const batchMs: number[] = [];
  const batchCpuMs: number[] = [];
  let responseBytes = 0;
  for (let run = 0; run < 15; run++) {
    globalThis.gc?.();
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = p.processRecords(batch);
    batchCpuMs.push(cpuSeconds(process.cpuUsage(c0)) * 1000);
    batchMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    responseBytes = Buffer.byteLength(JSON.stringify({ records: r.records }));
  }
  const requestBytes = Buffer.byteLength(JSON.stringify({ records: batch }));
  console.log(
    `one 3 MB batch (${batch.length} records): median ${median(batchMs).toFixed(1)} ms wall clock (best ${Math.min(...batchMs).toFixed(1)}), median ${median(batchCpuMs).toFixed(1)} ms CPU (best ${Math.min(...batchCpuMs).toFixed(1)}) [target < 150 ms]`,
  );
  console.log(
    `  request ${(requestBytes / 1e6).toFixed(2)} MB, response ${(responseBytes / 1e6).toFixed(2)} MB (Lambda limit 6 MB each); response/raw input = ${(responseBytes / BATCH_BYTES).toFixed(2)}`,
  );
  const limited = await createProcessor({ visitorIdKey: "benchmark-visitor-key-0123456789" });
  const tooLarge = limited.processRecords(batch).stats.failuresByReason["response-too-large"] ?? 0;
  const oneMiB = records.slice(0, Math.round((1024 * 1024) / (bytes / LINES)));
  const oneMiBFailed = limited.processRecords(oneMiB).stats.failuresByReason["response-too-large"] ?? 0;
  console.log(
    `  with Lambda's limit, the 3 MB batch returns ${tooLarge} of ${batch.length} records as ProcessingFailed (response-too-large); a 1 MiB batch (the largest processor buffer before the 0.35 MB cap, ${oneMiB.length} records) ${oneMiBFailed}`,
  );

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
  const eventFile = path.join(mkdtempSync(path.join(tmpdir(), "transform-bench-")), "event.json");
  writeFileSync(eventFile, JSON.stringify({ invocationId: "i", deliveryStreamArn: "a", region: "eu-west-1", records: batch }));
  const coldBatches = Array.from({ length: 5 }, () => coldStart(bundleDir("firehose-transform"), eventFile));
  console.log(
    `cold start with a whole ${batch.length}-record batch: median ${median(coldBatches.map((c) => c.totalMs)).toFixed(0)} ms (import ${median(coldBatches.map((c) => c.importMs)).toFixed(0)} ms + batch ${median(coldBatches.map((c) => c.firstInvocationMs)).toFixed(0)} ms)`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
