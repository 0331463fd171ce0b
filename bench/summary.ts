/**
 * The one-line figures each benchmark hands to `npm run bench`'s closing summary. A bench calls `summary(...)`
 * for each headline figure; bench/index.ts sets BENCH_SUMMARY_FILE, collects the lines after every bench and
 * prints them together with the load average, so one run shows every figure the README quotes.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { loadavg } from "node:os";

export interface SummaryLine {
  /** The bench file's short name, e.g. "transform". */
  readonly bench: string;
  /** What was measured, e.g. "transform ratio to DuckDB (records per CPU-second)". */
  readonly figure: string;
  /** The value as printed, units included, e.g. "0.31x (61,200 vs 197,000)". */
  readonly value: string;
  /** The target, as text, when there is one, e.g. ">= 0.25x". */
  readonly target?: string;
  /** Whether the target holds; omitted when there is none. */
  readonly met?: boolean;
}

/** Records one headline figure (and prints nothing: the bench prints its own detail). */
export function summary(line: SummaryLine): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  const load = loadAverage();
  if (file) appendFileSync(file, `${JSON.stringify({ ...line, load })}\n`);
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The 1, 5 and 15 minute load averages, as every bench prints them beside its figures. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

/**
 * Runs `file` (a bench module) again in a fresh node process with `--child ...args`, so its CPU seconds and peak
 * memory are its own; returns its wall seconds and the JSON object it printed last on stdout.
 */
export function runChild<T>(file: string, args: readonly string[], what: string): { seconds: number; report: T } {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", "tsx", file, "--child", ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`);
  return { seconds, report: JSON.parse(r.stdout.trim().split("\n").pop() as string) as T };
}

/** User + system CPU seconds of a resource usage reading. */
export function cpuSecondsOf(u: NodeJS.ResourceUsage): number {
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}

/** What a child reports of itself: user + system CPU seconds and peak RSS in KiB. */
export function ownUsage(): { cpuSeconds: number; maxRssKb: number } {
  const u = process.resourceUsage();
  return { cpuSeconds: cpuSecondsOf(u), maxRssKb: u.maxRSS };
}

/** A figure rounded to a whole number with thousands separators, as every bench prints counts and rates. */
export function whole(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
