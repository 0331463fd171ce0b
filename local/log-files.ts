/**
 * The lean route on a laptop: CloudFront standard log files (a .gz file or a
 * folder of them, legacy or v2 W3C) through the same code the log-file
 * Lambda runs (handlers/log-file-transform/transform.ts), its objects written
 * under the lake folder at the keys it would write in S3. A file's objects are
 * named after the file, so running the same files again replaces them: no
 * row twice.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { createLogFileTransformer } from "../handlers/log-file-transform/transform";
import type { TransformConfigInput } from "../schemas/transform-config";
import { LOCAL_VISITOR_ID_KEY, type LocalRunSummary, preflightLake } from "./pipeline";
import { buildRollups } from "./rollups";

/** Stands in for the function's ARN in error records: there is no Lambda locally. */
export const LOCAL_LOG_FILE_LAMBDA_ARN = "arn:aws:lambda:local:000000000000:function:log-file-transform";

export interface LocalLogsOptions {
  /** A standard log file, or a folder: every file under it (recursively, names starting with `.` skipped), in name order. */
  readonly logs: string;
  readonly lake: string;
  /** Replace the lake's events/ and errors/ if they hold files. @default false: refuse */
  readonly overwrite?: boolean;
  /** @default VISITOR_ID_KEY from the environment, else LOCAL_VISITOR_ID_KEY */
  readonly visitorIdKey?: string;
  readonly transformConfig?: TransformConfigInput;
  /** The run's today: the daily rollups are written for the days before it. @default the day after the lake's last day */
  readonly today?: string;
  /** Called after each file with the files and data lines done so far. */
  readonly onProgress?: (files: number, lines: number) => void;
}

/** The log files of a file or folder argument, with the name each is known by (its path under the folder). */
export function logFilesOf(logs: string): { file: string; source: string }[] {
  const stat = statSync(logs, { throwIfNoEntry: false });
  if (!stat) throw new Error(`logs not found: ${logs}`);
  if (stat.isFile()) return [{ file: logs, source: path.basename(logs) }];
  if (!stat.isDirectory()) throw new Error(`logs is neither a file nor a folder: ${logs}`);
  const files = readdirSync(logs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  if (files.length === 0) throw new Error(`no files under ${logs}`);
  return files.map((file) => ({ file, source: path.relative(logs, file).split(path.sep).join("/") }));
}

export async function runLocalLogs(options: LocalLogsOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  const files = logFilesOf(options.logs);
  preflightLake(options);
  const transformer = await createLogFileTransformer({
    visitorIdKey: options.visitorIdKey ?? process.env.VISITOR_ID_KEY ?? LOCAL_VISITOR_ID_KEY,
    config: options.transformConfig,
  });
  const totals = { lines: 0, ok: 0, dropped: 0, failed: 0, parquetFiles: 0, rowGroups: 0, errorFiles: 0 };
  const byEventType: Record<string, number> = {};
  const failuresByReason: Record<string, number> = {};
  for (const [i, { file, source }] of files.entries()) {
    const { objects, stats } = await transformer.transform({
      body: await readFile(file),
      source,
      // S3's LastModified, locally: when the file was written.
      arrivalMs: Math.floor(statSync(file).mtimeMs),
      lambdaArn: LOCAL_LOG_FILE_LAMBDA_ARN,
    });
    for (const o of objects) {
      const target = path.join(options.lake, o.key);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, o.body);
      if (o.key.endsWith(".parquet")) totals.parquetFiles++;
      else totals.errorFiles++;
    }
    totals.rowGroups += stats.rowGroups;
    totals.lines += stats.lines;
    totals.ok += stats.ok;
    totals.dropped += stats.dropped;
    totals.failed += stats.failed;
    for (const [k, v] of Object.entries(stats.byEventType)) byEventType[k] = (byEventType[k] ?? 0) + v;
    for (const [k, v] of Object.entries(stats.failuresByReason)) failuresByReason[k] = (failuresByReason[k] ?? 0) + (v ?? 0);
    options.onProgress?.(i + 1, totals.lines);
  }
  // The same daily rollups the real-time route writes after its lake.
  const rollups = await buildRollups(options.lake, options.today === undefined ? {} : { today: options.today });
  return {
    rollups,
    lines: totals.lines,
    ok: totals.ok,
    dropped: totals.dropped,
    failed: totals.failed,
    batches: files.length,
    byEventType,
    failuresByReason,
    parquetFiles: totals.parquetFiles,
    rowGroups: totals.rowGroups,
    errorFiles: totals.errorFiles,
    seconds: (Date.now() - started) / 1000,
  };
}
