/**
 * `npm run cost -- --events-per-day N [--days-retained D] [...]`: prints the
 * monthly estimate of the environment's configuration (ANALYTICS_ENV, default
 * dev, the same file `npm run synth` reads), line by line with unit prices.
 * `npm run cost -- --compare`: both delivery modes at 0.1, 1, 10 and 100 req/s.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../config/load";
import { type CliSpec, parseCli, runMain, UsageError } from "../local/cli";
import {
  COMPARE_REQUESTS_PER_SECOND,
  type CompareRow,
  compare,
  DEFAULT_USAGE,
  type Estimate,
  estimate,
  type PriceFile,
  PriceFileSchema,
  type Usage,
} from "./estimate";

export const PRICES_FILE = path.join(__dirname, "prices.json");

/** CLI flag -> Usage key; every Usage number can be set. */
const FLAGS: Record<string, keyof Usage> = {
  "events-per-day": "eventsPerDay",
  "days-retained": "daysRetained",
  "dashboard-refreshes-per-day": "dashboardRefreshesPerDay",
  "dashboard-views-per-day": "dashboardViewsPerDay",
  "queries-per-refresh": "queriesPerRefresh",
  "dashboard-window-days": "dashboardWindowDays",
  "rollup-bytes-per-day": "rollupBytesPerDay",
  "api-requests-per-day": "apiRequestsPerDay",
  "write-units-per-api-request": "writeUnitsPerApiRequest",
  "log-record-bytes": "logRecordBytes",
  "transformed-record-bytes": "transformedRecordBytes",
  "parquet-bytes-per-event": "parquetBytesPerEvent",
  "transform-ms-per-record": "transformMsPerRecord",
  "transform-ms-per-invocation": "transformMsPerInvocation",
  "log-files-per-hour": "logFilesPerHour",
  "standard-log-line-bytes": "standardLogLineBytes",
  "log-file-bytes-per-line": "logFileBytesPerLine",
  "log-file-retention-days": "logFileRetentionDays",
  "log-file-ms-per-record": "logFileMsPerRecord",
  "log-file-ms-per-invocation": "logFileMsPerInvocation",
  "log-file-error-share": "logFileErrorShare",
  "usage-ms-per-request": "usageMsPerRequest",
  "compaction-rows-per-second": "compactionRowsPerSecond",
  "rollup-rows-per-second": "rollupRowsPerSecond",
  "compaction-startup-seconds": "compactionStartupSeconds",
  "log-bytes-per-invocation": "logBytesPerInvocation",
  "kms-keys": "kmsKeys",
};

/** `--help` text of the figures whose default follows the config rather than DEFAULT_USAGE. */
const FROM_CONFIG: Partial<Record<keyof Usage, string>> = {
  eventsPerDay: "requests CloudFront serves per day (required, except with --compare)",
  dashboardRefreshesPerDay:
    "default from the config: SPICE dashboards.refresh (DAILY 1, HOURLY 24, WEEKLY 1/7, MONTHLY 12/365), direct query --dashboard-views-per-day",
  dashboardWindowDays: "default from the config: athena.queryWindowDays",
  logFileRetentionDays: "default from the config: logFiles.retentionDays",
  kmsKeys: "default from the config: customer-managed keys the stacks create (cost/estimate.ts customerManagedKeys)",
};

export { UsageError };

/** The flags `npm run cost` takes: one per Usage number, with its default in `--help`. */
export const COST_CLI: CliSpec = {
  usage: "npm run cost -- (--events-per-day N | --compare) [--days-retained D] [--<assumption> X ...]",
  summary:
    "Prints the monthly estimate of an environment's configuration, line by line with unit prices. Reads\n" +
    "config/<ANALYTICS_ENV or dev>.json (the file synth reads) and cost/prices.json. With --compare, a table of\n" +
    'both delivery modes (logDelivery "realtime" and "standard", the rest of the config unchanged) at\n' +
    `${COMPARE_REQUESTS_PER_SECOND.join(", ")} requests/s: totals and the three biggest lines (Markdown).`,
  flags: {
    compare: { type: "boolean", help: `both delivery modes at ${COMPARE_REQUESTS_PER_SECOND.join(", ")} req/s, as a table` },
    ...Object.fromEntries(
      Object.entries(FLAGS).map(([f, k]) => [
        f,
        {
          value: "N",
          help: FROM_CONFIG[k] ?? `default ${DEFAULT_USAGE[k as keyof typeof DEFAULT_USAGE]} (cost/estimate.ts DEFAULT_USAGE)`,
        },
      ]),
    ),
  },
};

/** What the command line asks for: one estimate at a traffic figure, or the comparison table. */
export type CostRequest =
  | { readonly kind: "estimate"; readonly usage: Usage }
  | { readonly kind: "compare"; readonly usage: Omit<Usage, "eventsPerDay"> };

export function parseRequest(argv: string[]): CostRequest {
  const flags = parseCli(COST_CLI, argv);
  const usage: Record<string, number> = { ...DEFAULT_USAGE };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const n = flags.number(flag, 0);
    if (n !== undefined) usage[key] = n;
  }
  if (flags.bool("compare")) {
    if (flags.has("events-per-day")) throw new UsageError("--events-per-day: not with --compare (the table sets the traffic)");
    return { kind: "compare", usage: usage as unknown as Omit<Usage, "eventsPerDay"> };
  }
  if (!flags.has("events-per-day")) throw new UsageError("--events-per-day: required (requests CloudFront serves per day), or --compare");
  return { kind: "estimate", usage: usage as unknown as Usage };
}

/** The Usage of a single estimate (`--events-per-day` required). */
export function parseUsage(argv: string[]): Usage {
  const request = parseRequest(argv);
  if (request.kind !== "estimate") throw new UsageError("--compare: prints a table; use --events-per-day N for one estimate");
  return request.usage;
}

export function loadPrices(file = PRICES_FILE): PriceFile {
  const parsed = PriceFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

const usd = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4));
const qty = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString("en-US") : Number(n.toPrecision(4)).toString());

/** The estimate as text: one line per charge with quantity, unit price and its date, then the total. */
export function formatEstimate(e: Estimate, env: string, region: string, usage: Usage): string {
  const rows = e.lines.map((l) => [
    `${l.service}: ${l.item}`,
    `${qty(l.quantity)} ${l.price.unit}`,
    `$${l.price.usd}${l.price.per === 1 ? "" : ` per ${qty(l.price.per)}`} (${l.price.asOf}${l.price.verified ? "" : "*"})`,
    `$${usd(l.monthlyUsd)}`,
    l.basis,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const out = [
    `Monthly estimate, environment "${env}" (${region}), ${usage.eventsPerDay.toLocaleString("en-US")} requests/day, ${usage.daysRetained} days retained`,
    "",
    ...rows.map(
      (r) =>
        `${r[0]?.padEnd(widths[0] ?? 0)}  ${r[1]?.padEnd(widths[1] ?? 0)}  ${r[2]?.padEnd(widths[2] ?? 0)}  ${r[3]?.padStart(widths[3] ?? 0)}  ${r[4]}`,
    ),
    "",
    `Total: $${e.totalUsd.toFixed(2)} per month (USD, list prices, no free tier, no tax; CloudFront requests and data transfer not included)`,
    ...e.notes.map((n) => `Note: ${n}`),
    "Unit prices, dates and sources: cost/prices.json. Assumptions: npm run cost -- --help.",
  ];
  return out.join("\n");
}

const money = (n: number) => `$${n.toFixed(2)}`;

/** The `--compare` table, Markdown: one row per delivery mode and request rate. */
export function formatCompare(rows: readonly CompareRow[], env: string, region: string, usage: Omit<Usage, "eventsPerDay">): string {
  const table = [
    ["delivery", "req/s", "events/day", "total/month", "three biggest lines"],
    ...rows.map((r) => [
      r.mode,
      r.requestsPerSecond.toString(),
      r.eventsPerDay.toLocaleString("en-US"),
      money(r.totalUsd),
      r.biggest.map((l) => `${l.service} ${l.item} ${money(l.monthlyUsd)}`).join(", "),
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length))) ?? [];
  const right = [false, true, true, true, false];
  const cell = (v: string, i: number) => (right[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0));
  const row = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  const [head, ...body] = table;
  return [
    `Monthly estimate by delivery mode, environment "${env}" (${region}): logDelivery "realtime" and "standard", the rest of the config as is, ${usage.daysRetained} days retained`,
    "",
    row(head ?? []),
    rule,
    ...body.map(row),
    "",
    "USD, list prices, no free tier, no tax; CloudFront requests and data transfer not included. One estimate line by line: npm run cost -- --events-per-day N.",
  ].join("\n");
}

function main(): void {
  const request = parseRequest(process.argv.slice(2));
  const env = process.env.ANALYTICS_ENV ?? "dev";
  const config = loadConfig(env, process.env.ANALYTICS_CONFIG_DIR);
  const prices = loadPrices();
  if (request.kind === "compare") {
    console.log(formatCompare(compare(config, request.usage, prices), env, config.region, request.usage));
    return;
  }
  console.log(formatEstimate(estimate(config, request.usage, prices), env, config.region, request.usage));
}

if (require.main === module) runMain(main);
