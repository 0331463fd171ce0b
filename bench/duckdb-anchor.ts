/**
 * The anchor every throughput figure is compared with, in the same run on the same file: DuckDB, on one thread,
 * reading CloudFront real-time log lines (TSV, every field as text, no enrichment) and writing Parquet partitioned
 * by UTC day. It runs in its own process so its CPU seconds and peak memory are its own. A ratio
 * (ours / DuckDB, per CPU-second) says more on a shared, noisy machine than either figure alone.
 *
 * Usage from a bench: `const d = duckDbAnchor(input, lines)`; as a child: `--child INPUT OUTDIR`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { REALTIME_LOG_FIELDS } from "../schemas/cloudfront";
import { ownUsage, runChild } from "./summary";

export interface AnchorMeasure {
  readonly rows: number;
  readonly wallSeconds: number;
  /** User + system CPU of the DuckDB process. */
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  /** Input lines per CPU-second. */
  readonly linesPerCpuSecond: number;
}

/** In the child: the conversion itself. */
async function convert(input: string, outDir: string): Promise<number> {
  const columns = `{${REALTIME_LOG_FIELDS.map((f) => `'${f}': 'VARCHAR'`).join(", ")}}`;
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  try {
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
    await conn.run(
      `COPY (SELECT *, strftime(to_timestamp(try_cast("timestamp" AS DOUBLE)), '%Y-%m-%d') AS day FROM read_csv(${lit(input)}, delim = '\t', header = false, quote = '', escape = '', columns = ${columns}, auto_detect = false, strict_mode = false, null_padding = true, ignore_errors = true)) TO ${lit(outDir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (day), OVERWRITE_OR_IGNORE)`,
    );
    const n = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${lit(`${outDir}/**/*.parquet`)})`);
    return Number(n.getRowObjectsJS()[0]?.n ?? 0);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Runs the anchor in a fresh process over `input` (`lines` lines) and measures it. */
export function duckDbAnchor(input: string, lines: number): AnchorMeasure {
  const outDir = mkdtempSync(path.join(tmpdir(), "duckdb-anchor-"));
  try {
    const { seconds: wallSeconds, report: m } = runChild<{ rows: number; cpuSeconds: number; maxRssKb: number }>(
      __filename,
      [input, path.join(outDir, "lake")],
      "DuckDB anchor",
    );
    return { rows: m.rows, wallSeconds, cpuSeconds: m.cpuSeconds, maxRssMb: m.maxRssKb / 1024, linesPerCpuSecond: lines / m.cpuSeconds };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const i = process.argv.indexOf("--child");
  if (i < 0) {
    console.error("usage: tsx bench/duckdb-anchor.ts --child INPUT OUTDIR (called by the benches)");
    process.exit(2);
  }
  const [input, outDir] = process.argv.slice(i + 1) as [string, string];
  convert(input, outDir)
    .then((rows) => {
      console.log(JSON.stringify({ rows, ...ownUsage() }));
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    });
}
