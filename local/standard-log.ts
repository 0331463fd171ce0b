/**
 * Sample traffic as CloudFront standard log files (legacy format: W3C text,
 * tab-separated, gzip), so that the local run and the tests can feed the same
 * traffic through both routes (real-time lines, standard log files) and
 * compare the lakes.
 */
import { gzipSync } from "node:zlib";
import {
  formatW3cLine,
  parseLogLine,
  REALTIME_LOG_FIELDS,
  STANDARD_LOG_LEGACY_COLUMNS,
  type W3cLayout,
  w3cLayout,
} from "../schemas/cloudfront";

/** The directive lines a standard log file starts with. */
export function standardLogHeader(columns: readonly string[] = STANDARD_LOG_LEGACY_COLUMNS): string {
  return `#Version: 1.0\n#Fields: ${columns.join(" ")}\n`;
}

/**
 * A real-time log line as the standard log line CloudFront writes for the same request: fields the format has no
 * column for are lost, the time keeps whole seconds. A line the transform would reject stays as it is, so it is
 * rejected from the standard log file too.
 */
export function toStandardLogLine(realtimeLine: string, layout: W3cLayout): string {
  const parsed = parseLogLine(realtimeLine);
  if (!parsed.ok) return realtimeLine;
  const values = Object.fromEntries(REALTIME_LOG_FIELDS.map((f) => [f, parsed.record[f]]));
  return formatW3cLine(values, layout);
}

/** Real-time log lines as one gzip'd standard log file. */
export function standardLogFile(realtimeLines: readonly string[], columns: readonly string[] = STANDARD_LOG_LEGACY_COLUMNS): Buffer {
  const layout = w3cLayout(columns);
  const body = realtimeLines.map((l) => toStandardLogLine(l, layout)).join("\n");
  return gzipSync(`${standardLogHeader(columns)}${body}\n`);
}
