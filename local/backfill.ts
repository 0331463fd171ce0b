/**
 * `npm run backfill -- --logs DIR|FILE[,DIR|FILE...] --lake DIR [--env NAME] [--bucket NAME] [--overwrite] [--today YYYY-MM-DD] [--workers N]`
 * (`--help` for more; docs/backfill.md)
 *
 * CloudFront standard log files (a folder of them, or a list) into a local lake laid out as the live one, with a
 * progress bar, resumable after any interruption without a row twice, a summary of what became of each line,
 * and the `aws s3 sync` commands that upload the result. The work is local/backfill-run.ts.
 */
import { existsSync } from "node:fs";
import { loadConfig } from "../config/load";
import type { TransformConfigInput } from "../schemas/transform-config";
import { BackfillProgress } from "./backfill-progress";
import { type BackfillCheckpoint, type BackfillSummary, runBackfill, uploadCommands } from "./backfill-run";
import { type CliSpec, parseCli, runMain, UsageError } from "./cli";
import { defaultWorkers, MAX_WORKERS, MIN_WORKERS } from "./pipeline";
import { formatFailures } from "./run";

/** Stands in for the bucket in the printed upload commands when neither --bucket nor the config names it. */
const BUCKET_PLACEHOLDER = "<lake-bucket>";

/** The test hook's variable: `lines:N` or `objects:N` stops the run (it waits, for a kill) once that many are done. */
export const PAUSE_ENV = "BACKFILL_PAUSE_AT";
/** What the run prints on stderr when it pauses, so that a test knows when to kill it. */
export const PAUSED_MARK = "backfill: paused";

export const BACKFILL_CLI: CliSpec = {
  usage:
    "npm run backfill -- --logs DIR|FILE[,DIR|FILE...] --lake DIR [--env NAME] [--bucket NAME] [--overwrite] [--today YYYY-MM-DD] [--workers N]",
  summary:
    "Loads CloudFront standard log files (legacy or v2 W3C, gzip'd or plain) into a local lake laid out as the live one:\n" +
    "the same transform, events/ partitions, errors/ and daily rollups. Interrupted (even killed), a rerun with the same\n" +
    "--lake carries on where it stopped, with no row twice or lost. Prints the `aws s3 sync` commands that upload it.",
  flags: {
    logs: { value: "DIR|FILE[,...]", help: "log files or folders of them (recursively), comma-separated" },
    lake: { value: "DIR", help: "the local lake folder; a lake this command started is resumed" },
    overwrite: { type: "boolean", help: "start over: delete the lake's events/, errors/, rollups/ and backfill journal first" },
    today: {
      value: "YYYY-MM-DD",
      help: "rollups are written for the days before it (default: every day in the lake); set it to the live lake's first day",
    },
    bucket: { value: "NAME", help: "the lake bucket, for the printed upload commands (default: --env's lakeBucketName)" },
    env: {
      value: "NAME",
      help: "transform as environment NAME does (config/<name>.json: its transform rules; lakeBucketName for the upload commands)",
    },
    workers: {
      value: "N",
      help: `worker threads transforming files, ${MIN_WORKERS} to ${MAX_WORKERS} (default ${defaultWorkers()}: one per core, at most 2, as for npm run local; 0 transforms in the main thread)`,
    },
  },
  epilog:
    "VISITOR_ID_KEY: the deployment's visitor-id key (its SSM parameter), so that a visitor keeps one id across the backfill\n" +
    "and the live data; without it a local key is used. Details: docs/backfill.md",
};

/** BACKFILL_PAUSE_AT as a checkpoint hook, or undefined when unset. */
export function pauseHook(value: string | undefined): ((at: BackfillCheckpoint) => Promise<void>) | undefined {
  if (value === undefined || value === "") return undefined;
  const m = /^(lines|objects):(\d+)$/.exec(value);
  if (!m) throw new UsageError(`${PAUSE_ENV}: lines:N or objects:N; got ${JSON.stringify(value)}`);
  const [kind, n] = [m[1] === "lines" ? "lines" : "object", Number(m[2])] as const;
  return async (at) => {
    if (at.kind !== kind || (kind === "lines" ? at.lines : at.objects) < n) return;
    process.stderr.write(`${PAUSED_MARK} at ${at.lines} lines, ${at.objects} objects\n`);
    // Wait for the kill; the interval keeps the event loop alive.
    await new Promise<never>(() => setInterval(() => {}, 1 << 30));
  };
}

/** `name N (a 1, b 2)`, the breakdown left out when empty. */
function counted(name: string, n: number, breakdown: Readonly<Record<string, number>>): string {
  const detail = formatFailures(breakdown);
  return `${name} ${n.toLocaleString("en-US")}${detail ? ` (${detail})` : ""}`;
}

/** The summary the command prints on stdout. */
export function formatSummary(s: BackfillSummary, lakeDir: string, bucket: string | undefined): string[] {
  const f = s.files;
  const rate = s.seconds > 0 ? Math.round(s.run.lines / s.seconds) : 0;
  const byResult = (c: BackfillSummary["run"]) =>
    `${c.lines.toLocaleString("en-US")} lines: ${counted("ok", c.ok, c.byEventType)}, ${counted("dropped-by-rule", c.dropped, c.droppedByRule)}, ${counted("failed", c.failed, c.failuresByReason)}`;
  const out = [
    `${f.total} log files: ${f.transformed - f.unreadable.length} transformed${f.redone ? ` (${f.redone} again: changed or objects missing)` : ""}, ${f.skipped} already in the lake, ${f.unreadable.length} unreadable; ${s.seconds.toFixed(1)} s, ${rate.toLocaleString("en-US")} lines/s`,
    `this run:  ${byResult(s.run)}`,
    `the lake:  ${byResult(s.lake)}`,
    s.rollups.days
      ? `daily rollups of ${s.rollups.days.from} .. ${s.rollups.days.to}: ${s.rollups.files} files, ${s.rollups.rows} rows`
      : "daily rollups: no closed day",
  ];
  if (f.unparsed.length > 0)
    out.push(
      `warning: no line of ${f.unparsed.length} file(s) parsed (v2 JSON or Parquet output? another log?): ${f.unparsed.slice(0, 3).join(", ")}${f.unparsed.length > 3 ? ", ..." : ""}; their lines are under errors/`,
    );
  if (f.unusualNames.length > 0)
    out.push(
      `note: ${f.unusualNames.length} file name(s) are not CloudFront's (<distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz), read all the same: ${f.unusualNames.slice(0, 3).join(", ")}${f.unusualNames.length > 3 ? ", ..." : ""}`,
    );
  for (const u of f.unreadable) out.push(`unreadable, not loaded (a rerun tries it again): ${u.source}: ${u.message}`);
  out.push("", `upload (the lake's prefixes; .backfill/ holds the journal and stays local):`);
  out.push(...uploadCommands(lakeDir, bucket ?? BUCKET_PLACEHOLDER).map((c) => `  ${c}`));
  if (bucket === undefined) out.push(`  (${BUCKET_PLACEHOLDER}: pass --bucket NAME or --env NAME; docs/backfill.md says how to find it)`);
  return out;
}

async function main(): Promise<void> {
  const flags = parseCli(BACKFILL_CLI, process.argv.slice(2));
  const inputs = flags
    .required("logs", "CloudFront standard log files or folders")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const input of inputs) if (!existsSync(input)) throw new UsageError(`--logs: not found: ${input}`);
  const lake = flags.directory("lake", "the local lake folder");
  const today = flags.day("today");
  const env = flags.string("env");
  let bucket = flags.string("bucket");
  let transformConfig: TransformConfigInput | undefined;
  if (env !== undefined) {
    try {
      const config = loadConfig(env);
      bucket ??= config.lakeBucketName;
      // The deployment's rules (classification, drops, privacy, bots), so backfilled rows are classified as live ones.
      transformConfig = config.transform;
    } catch (e) {
      throw new UsageError(`--env: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
  }
  const workers = flags.int("workers", { min: MIN_WORKERS, max: MAX_WORKERS }, defaultWorkers());
  const checkpoint = pauseHook(process.env[PAUSE_ENV]);

  let progress: BackfillProgress | undefined;
  const summary = await runBackfill({
    inputs,
    lake,
    overwrite: flags.bool("overwrite"),
    workers,
    ...(transformConfig === undefined ? {} : { transformConfig }),
    ...(today === undefined ? {} : { today }),
    onPlan: ({ totalFiles, totalBytes, skipped }) => {
      if (skipped > 0) process.stderr.write(`resuming: ${skipped} of ${totalFiles} files are in the lake already\n`);
      progress = new BackfillProgress({ totalFiles, totalBytes });
    },
    onProgress: (state) => progress?.update(state),
    ...(checkpoint ? { checkpoint } : {}),
  });
  progress?.done();
  for (const line of formatSummary(summary, lake, bucket)) console.log(line);
  if (summary.files.unreadable.length > 0) process.exitCode = 1;
}

if (require.main === module) runMain(main);
