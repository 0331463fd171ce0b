/**
 * `npm run cost -- --events-per-day N [--days-retained D] [...]`: prints the
 * monthly estimate of the environment's configuration (ANALYTICS_ENV, default
 * dev, the same file `npm run synth` reads), line by line with unit prices.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../config/load";
import { type CliSpec, parseCli, runMain, UsageError } from "../local/cli";
import { DEFAULT_USAGE, type Estimate, estimate, type PriceFile, PriceFileSchema, type Usage } from "./estimate";

export const PRICES_FILE = path.join(__dirname, "prices.json");

/** CLI flag -> Usage key; every Usage number can be set. */
const FLAGS: Record<string, keyof Usage> = {
  "events-per-day": "eventsPerDay",
  "days-retained": "daysRetained",
  "dashboard-refreshes-per-day": "dashboardRefreshesPerDay",
  "queries-per-refresh": "queriesPerRefresh",
  "dashboard-window-days": "dashboardWindowDays",
  "query-column-fraction": "queryColumnFraction",
  "api-requests-per-day": "apiRequestsPerDay",
  "write-units-per-api-request": "writeUnitsPerApiRequest",
  "log-record-bytes": "logRecordBytes",
  "transformed-record-bytes": "transformedRecordBytes",
  "parquet-bytes-per-event": "parquetBytesPerEvent",
  "transform-ms-per-record": "transformMsPerRecord",
  "transform-ms-per-invocation": "transformMsPerInvocation",
  "usage-ms-per-request": "usageMsPerRequest",
  "compaction-rows-per-second": "compactionRowsPerSecond",
  "compaction-startup-seconds": "compactionStartupSeconds",
  "log-bytes-per-invocation": "logBytesPerInvocation",
  "kms-keys": "kmsKeys",
};

export { UsageError };

/** The flags `npm run cost` takes: one per Usage number, with its default in `--help`. */
export const COST_CLI: CliSpec = {
  usage: "npm run cost -- --events-per-day N [--days-retained D] [--<assumption> X ...]",
  summary:
    "Prints the monthly estimate of an environment's configuration, line by line with unit prices. Reads\n" +
    "config/<ANALYTICS_ENV or dev>.json (the file synth reads) and cost/prices.json.",
  flags: Object.fromEntries(
    Object.entries(FLAGS).map(([f, k]) => [
      f,
      {
        value: "N",
        help:
          k === "eventsPerDay"
            ? "requests CloudFront serves per day (required)"
            : `default ${DEFAULT_USAGE[k as Exclude<keyof Usage, "eventsPerDay">]} (cost/estimate.ts DEFAULT_USAGE)`,
      },
    ]),
  ),
};

export function parseUsage(argv: string[]): Usage {
  const flags = parseCli(COST_CLI, argv);
  const usage: Record<string, number> = { ...DEFAULT_USAGE };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const n = flags.number(flag, 0);
    if (n !== undefined) usage[key] = n;
  }
  if (!flags.has("events-per-day")) throw new UsageError("--events-per-day: required (requests CloudFront serves per day)");
  return usage as unknown as Usage;
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

function main(): void {
  const usage = parseUsage(process.argv.slice(2));
  const env = process.env.ANALYTICS_ENV ?? "dev";
  const config = loadConfig(env, process.env.ANALYTICS_CONFIG_DIR);
  console.log(formatEstimate(estimate(config, usage, loadPrices()), env, config.region, usage));
}

if (require.main === module) runMain(main);
