/**
 * `npm run sample -- [--days N] [--seed S] [--start YYYY-MM-DD] [--sessions N] [--format realtime|standard] [--out FILE]`
 * (`--help` for more)
 *
 * Writes CloudFront real-time log lines for the sample site (one per line,
 * tab-separated, as Kinesis delivers them), or the same traffic as one
 * standard log file (legacy W3C, gzip), and, beside them, the true counts
 * of what was generated (`<out>.truth.json`): the rows every dashboard query
 * must return. Deterministic for a seed.
 */
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { createGzip } from "node:zlib";
import { STANDARD_LOG_LEGACY_COLUMNS, w3cLayout } from "../schemas/cloudfront";
import { type CliSpec, parseCli, runMain, UsageError } from "./cli";
import { generateTraffic } from "./generator";
import { standardLogHeader, toStandardLogLine } from "./standard-log";

/** What `--format` writes: real-time log lines (as Kinesis delivers them) or one gzip'd standard log file. */
export const SAMPLE_FORMATS = { realtime: "out/sample.tsv", standard: "out/sample.log.gz" } as const;

export function truthPath(out: string): string {
  return `${out.replace(/\.(tsv|log|txt)(\.gz)?$/, "")}.truth.json`;
}

export const SAMPLE_CLI: CliSpec = {
  usage: "npm run sample -- [--days N] [--seed S] [--start YYYY-MM-DD] [--sessions N] [--format realtime|standard] [--out FILE]",
  summary:
    "Writes CloudFront real-time log lines for the sample site to FILE and the true counts of what was generated beside it\n(FILE.truth.json). The same flags write the same lines.",
  flags: {
    days: { value: "N", help: "days of traffic, 1 to 366 (default 7)" },
    seed: { value: "S", help: "random seed, a whole number from 0 to 2147483647 (default 1)" },
    start: { value: "YYYY-MM-DD", help: "first day, UTC (default 2025-06-01)" },
    sessions: { value: "N", help: "visitor sessions per day, 1 to 100000 (default 300)" },
    format: {
      value: "realtime|standard",
      help: "real-time log lines, or the same traffic as a standard log file (legacy W3C, gzip; `npm run local -- --logs`) (default realtime)",
    },
    out: {
      value: "FILE",
      help: `where to write the lines (default ${SAMPLE_FORMATS.realtime}, or ${SAMPLE_FORMATS.standard} for standard)`,
    },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(SAMPLE_CLI, process.argv.slice(2));
  const options = {
    days: flags.int("days", { min: 1, max: 366 }, 7),
    seed: flags.int("seed", { min: 0, max: 2 ** 31 - 1 }, 1),
    start: flags.day("start"),
    sessionsPerDay: flags.int("sessions", { min: 1, max: 100_000 }, 300),
  };
  const format = flags.string("format") ?? "realtime";
  if (!(format in SAMPLE_FORMATS))
    throw new UsageError(`--format: one of ${Object.keys(SAMPLE_FORMATS).join(", ")}; got ${JSON.stringify(format)}`);
  const standard = format === "standard";
  const out = path.resolve(flags.outputFile("out", SAMPLE_FORMATS[format as keyof typeof SAMPLE_FORMATS]));
  if (existsSync(truthPath(out)) && statSync(truthPath(out)).isDirectory())
    throw new UsageError(`--out: the true counts go to ${truthPath(out)}, which is a directory`);
  mkdirSync(path.dirname(out), { recursive: true });
  const file = createWriteStream(out);
  const gzip = standard ? createGzip() : undefined;
  gzip?.pipe(file);
  const stream = gzip ?? file;
  const layout = w3cLayout(STANDARD_LOG_LEGACY_COLUMNS);
  if (standard) stream.write(standardLogHeader());
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length) stream.write(`${chunk.join("\n")}\n`);
    chunk = [];
  };
  const truth = generateTraffic(options, (line) => {
    chunk.push(standard ? toStandardLogLine(line, layout) : line);
    if (chunk.length >= 10_000) flush();
  });
  flush();
  const closed = new Promise<void>((resolve, reject) => {
    file.on("close", resolve);
    file.on("error", reject);
  });
  stream.end();
  await closed;
  writeFileSync(truthPath(out), `${JSON.stringify(truth, null, 2)}\n`);
  console.log(
    `wrote ${truth.lines} lines (${truth.malformed} malformed, ${truth.dropped} health checks) for ${truth.days} days from ${truth.start} to ${path.relative(process.cwd(), out)}; true counts in ${path.relative(process.cwd(), truthPath(out))}`,
  );
}

if (require.main === module) runMain(main);
