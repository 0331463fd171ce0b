/**
 * `npm run sample -- [--days N] [--seed S] [--start YYYY-MM-DD] [--sessions N] [--out FILE]` (`--help` for more)
 *
 * Writes CloudFront real-time log lines for the sample site (one per line,
 * tab-separated, as Kinesis delivers them) and, beside them, the true counts
 * of what was generated (`<out>.truth.json`): the rows every dashboard query
 * must return. Deterministic for a seed.
 */
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type CliSpec, parseCli, runMain, UsageError } from "./cli";
import { generateTraffic } from "./generator";

export function truthPath(out: string): string {
  return `${out.replace(/\.(tsv|log|txt)$/, "")}.truth.json`;
}

export const SAMPLE_CLI: CliSpec = {
  usage: "npm run sample -- [--days N] [--seed S] [--start YYYY-MM-DD] [--sessions N] [--out FILE]",
  summary:
    "Writes CloudFront real-time log lines for the sample site to FILE and the true counts of what was generated beside it\n(FILE.truth.json). The same flags write the same lines.",
  flags: {
    days: { value: "N", help: "days of traffic, 1 to 366 (default 7)" },
    seed: { value: "S", help: "random seed, a whole number from 0 to 2147483647 (default 1)" },
    start: { value: "YYYY-MM-DD", help: "first day, UTC (default 2025-06-01)" },
    sessions: { value: "N", help: "visitor sessions per day, 1 to 100000 (default 300)" },
    out: { value: "FILE", help: "where to write the lines (default out/sample.tsv)" },
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
  const out = path.resolve(flags.outputFile("out", "out/sample.tsv"));
  if (existsSync(truthPath(out)) && statSync(truthPath(out)).isDirectory())
    throw new UsageError(`--out: the true counts go to ${truthPath(out)}, which is a directory`);
  mkdirSync(path.dirname(out), { recursive: true });
  const stream = createWriteStream(out);
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length) stream.write(`${chunk.join("\n")}\n`);
    chunk = [];
  };
  const truth = generateTraffic(options, (line) => {
    chunk.push(line);
    if (chunk.length >= 10_000) flush();
  });
  flush();
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  writeFileSync(truthPath(out), `${JSON.stringify(truth, null, 2)}\n`);
  console.log(
    `wrote ${truth.lines} lines (${truth.malformed} malformed, ${truth.dropped} health checks) for ${truth.days} days from ${truth.start} to ${path.relative(process.cwd(), out)}; true counts in ${path.relative(process.cwd(), truthPath(out))}`,
  );
}

if (require.main === module) runMain(main);
