/**
 * `npm run sample -- --days N --seed S [--start YYYY-MM-DD] [--sessions N] [--out FILE]`
 *
 * Writes CloudFront real-time log lines for the sample site (one per line,
 * tab-separated, as Kinesis delivers them) and, beside them, the true counts
 * of what was generated (`<out>.truth.json`): the rows every dashboard query
 * must return. Deterministic for a seed.
 */
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { intFlag, parseFlags, runMain } from "./cli";
import { generateTraffic } from "./generator";

export function truthPath(out: string): string {
  return `${out.replace(/\.(tsv|log|txt)$/, "")}.truth.json`;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { days: "value", seed: "value", start: "value", sessions: "value", out: "value" });
  const out = path.resolve((flags.get("out") as string | undefined) ?? "out/sample.tsv");
  mkdirSync(path.dirname(out), { recursive: true });
  const stream = createWriteStream(out);
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length) stream.write(`${chunk.join("\n")}\n`);
    chunk = [];
  };
  const truth = generateTraffic(
    {
      days: intFlag(flags, "days", 7, 1),
      seed: intFlag(flags, "seed", 1),
      start: flags.get("start") as string | undefined,
      sessionsPerDay: intFlag(flags, "sessions", 300, 1),
    },
    (line) => {
      chunk.push(line);
      if (chunk.length >= 10_000) flush();
    },
  );
  flush();
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  writeFileSync(truthPath(out), `${JSON.stringify(truth, null, 2)}\n`);
  console.log(
    `wrote ${truth.lines} lines (${truth.malformed} malformed, ${truth.dropped} health checks) for ${truth.days} days from ${truth.start} to ${path.relative(process.cwd(), out)}; true counts in ${path.relative(process.cwd(), truthPath(out))}`,
  );
}

if (require.main === module) runMain(main);
