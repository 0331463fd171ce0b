import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ALARMS } from "../../config/alarms";
import { DEFAULT_REFRESH } from "../../config/dashboards";
import { loadConfig } from "../../config/load";
import type { EnvironmentConfig, EnvironmentConfigInput } from "../../config/schema";
import { COST_CLI, formatCompare, loadPrices, parseRequest, UsageError } from "../../cost/cli";
import {
  alarmsFor,
  COMPARE_REQUESTS_PER_SECOND,
  compare,
  customerManagedKeys,
  DAYS_PER_MONTH,
  DEFAULT_USAGE,
  dashboardLoad,
  type Estimate,
  estimate,
  inMode,
  partitionsOf,
  REFRESHES_PER_DAY,
  type Usage,
} from "../../cost/estimate";
import { helpText } from "../../local/cli";
import { QUERIES } from "../../queries/dashboards";
import { EVENT_TYPES } from "../../schemas/event";
import { createStacks } from "../../stacks/app";
import { testConfig } from "../helpers/config";
import { fixedPrices } from "../helpers/cost";
import { fixtureBundles, resourcesOfType, synthJson, testApp } from "../helpers/synth";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const usage = (u: Partial<Usage> = {}): Usage => ({ ...DEFAULT_USAGE, eventsPerDay: 864_000, ...u });
const services = (e: Estimate) => [...new Set(e.lines.map((l) => l.service))];
const lineOf = (e: Estimate, service: string, item: string) => {
  const l = e.lines.find((x) => x.service === service && x.item === item);
  if (!l) throw new Error(`no line ${service}: ${item} in ${e.lines.map((x) => `${x.service}: ${x.item}`).join(", ")}`);
  return l;
};
const realtime = testConfig();
const lean = testConfig({ logDelivery: "standard" });
const CONFIG_DIR = path.resolve(__dirname, "../../config");

describe("the two delivery modes' lines", () => {
  const rt = estimate(realtime, usage(), fixedPrices());
  const std = estimate(lean, usage(), fixedPrices());

  it("prices Kinesis, Firehose and real-time log lines only for real-time delivery", () => {
    expect(services(rt)).toEqual(expect.arrayContaining(["Kinesis (provisioned)", "Firehose", "Lambda (transform)"]));
    expect(rt.lines.map((l) => l.item)).toContain("real-time log lines");
    expect(services(rt).some((s) => s.includes("log-file"))).toBe(false);
    expect(rt.lines.some((l) => l.item.includes("standard log"))).toBe(false);
  });

  it("has no Kinesis, Firehose or real-time log line in lean mode, but log delivery and the log-file Lambda", () => {
    expect(services(std).filter((s) => /Kinesis|Firehose/.test(s))).toEqual([]);
    expect(std.lines.some((l) => l.item === "real-time log lines" || l.service === "Lambda (transform)")).toBe(false);
    expect(lineOf(std, "CloudFront", "standard log delivery to S3 (v2, vended logs)").priceKey).toBe("cloudwatchVendedLogsS3Gb");
    expect(services(std)).toEqual(expect.arrayContaining(["Lambda (log-file transform)", "S3", "Glue (compaction + rollups)", "Athena"]));
  });

  it("prices lean mode's log files: delivery per GB, one Lambda run per file, a Parquet object per event type in it", () => {
    // 864,000 lines/day in 12 files/hour: 288 files/day of 3,000 lines, each touching every event type.
    const files = 288 * DAYS_PER_MONTH;
    const records = 864_000 * DAYS_PER_MONTH;
    expect(lineOf(std, "CloudFront", "standard log delivery to S3 (v2, vended logs)").quantity).toBeCloseTo((records * 550) / GiB, 9);
    expect(lineOf(std, "Lambda (log-file transform)", "requests").quantity).toBe(Math.ceil(files));
    expect(lineOf(std, "Lambda (log-file transform)", "compute").quantity).toBeCloseTo((files * 0.5 + records * 0.0001) * 1, 6); // 1024 MB
    const parquet = files * partitionsOf(3000);
    expect(partitionsOf(3000)).toBeCloseTo(EVENT_TYPES.length, 9);
    // PUTs: CloudFront's log files + Parquet + errors/ objects (10% of files) + 6 compacted files x 2 + one rollup per query, per day.
    expect(lineOf(std, "S3", "PUT/LIST requests").quantity).toBeCloseTo(
      files + parquet + files * 0.1 + (EVENT_TYPES.length * 2 + QUERIES.length) * DAYS_PER_MONTH,
      6,
    );
    expect(lineOf(std, "S3", "log file storage").quantity).toBeCloseTo((864_000 * 70 * 3) / GiB, 9); // 3 days by default
    const kept = estimate(lean, usage({ logFileRetentionDays: 14 }), fixedPrices());
    expect(lineOf(kept, "S3", "log file storage").quantity).toBeCloseTo((864_000 * 70 * 14) / GiB, 9);
  });

  it("never counts more log files than requests: a quiet site's files hold one line each", () => {
    const quiet = estimate(lean, usage({ eventsPerDay: 100 }), fixedPrices());
    expect(lineOf(quiet, "Lambda (log-file transform)", "requests").quantity).toBe(Math.ceil(100 * DAYS_PER_MONTH));
    const none = estimate(lean, usage({ eventsPerDay: 0 }), fixedPrices());
    expect(lineOf(none, "Lambda (log-file transform)", "requests").quantity).toBe(0);
    expect(lineOf(none, "CloudFront", "standard log delivery to S3 (v2, vended logs)").quantity).toBe(0);
  });

  it("logs every request in lean mode: the real-time sampling rate does not apply", () => {
    const sampled = testConfig({ realtimeLogs: { samplingRate: 10 } });
    const a = estimate(inMode(sampled, "standard"), usage(), fixedPrices());
    expect(lineOf(a, "S3", "lake storage").quantity).toBeCloseTo(lineOf(std, "S3", "lake storage").quantity, 12);
    const b = estimate(sampled, usage(), fixedPrices());
    expect(lineOf(b, "S3", "lake storage").quantity).toBeCloseTo(lineOf(rt, "S3", "lake storage").quantity / 10, 12);
  });

  it("counts the alarms of the mode: lean mode has none on Kinesis or Firehose", () => {
    const metrics = (cfg: EnvironmentConfig) => alarmsFor(cfg).reduce((n, a) => n + a.metricCount, 0);
    const ids = (cfg: EnvironmentConfig) => alarmsFor(cfg).map((a) => a.id);
    const streamAndFirehose = [
      "kinesis-write-throttled",
      "no-incoming-records",
      "kinesis-iterator-age",
      "delivery-freshness",
      "conversion-failed-records",
    ];
    expect(ids(realtime)).toEqual(expect.arrayContaining(streamAndFirehose));
    expect(ids(lean).filter((id) => streamAndFirehose.includes(id))).toEqual([]);
    // Both routes keep the compaction and usage API alarms.
    const shared = ALARMS.filter((a) => (a.stage === "compaction" || a.stage === "api") && !a.diagnostic).map((a) => a.id);
    expect(ids(lean)).toEqual(expect.arrayContaining(shared));
    expect(ids(realtime)).toEqual(expect.arrayContaining(shared));
    expect(lineOf(rt, "CloudWatch", "alarms").quantity).toBe(metrics(realtime));
    expect(lineOf(std, "CloudWatch", "alarms").quantity).toBe(metrics(lean));
    expect(metrics(lean)).toBeLessThan(metrics(realtime));
  });

  it("counts customer-managed KMS keys from the config: the shared operations key by default, more when asked", () => {
    const ops = "operations (alarm topic, Glue job logs)";
    expect(customerManagedKeys(realtime)).toEqual([ops]);
    expect(customerManagedKeys(lean)).toEqual([ops]);
    expect(lineOf(rt, "KMS", "customer-managed keys").quantity).toBe(1);
    // encryption.customerManagedKeys comes with the keys change to config/schema.ts; set it on the parsed config.
    const cmk = (c: EnvironmentConfig) => ({ ...c, encryption: { customerManagedKeys: true } }) as EnvironmentConfig;
    expect(customerManagedKeys(cmk(realtime))).toEqual(["Kinesis stream", ops, "counters table"]);
    expect(customerManagedKeys(cmk(lean))).toEqual([ops, "counters table"]);
    expect(lineOf(estimate(cmk(lean), usage(), fixedPrices()), "KMS", "customer-managed keys").quantity).toBe(2);
    expect(lineOf(estimate(realtime, usage({ kmsKeys: 5 }), fixedPrices()), "KMS", "customer-managed keys").quantity).toBe(5);
  });
});

describe("dashboard refreshes follow the config", () => {
  const withRefresh = (refresh: NonNullable<EnvironmentConfigInput["dashboards"]>["refresh"]) => testConfig({ dashboards: { refresh } });

  it("maps each QuickSight interval to refreshes per day, and direct query to dashboard views", () => {
    expect(dashboardLoad(withRefresh({ interval: "DAILY" }), DEFAULT_USAGE).refreshesPerDay).toBe(1);
    expect(dashboardLoad(withRefresh({ interval: "HOURLY" }), DEFAULT_USAGE).refreshesPerDay).toBe(24);
    expect(dashboardLoad(withRefresh({ interval: "WEEKLY", dayOfWeek: "MONDAY" }), DEFAULT_USAGE).refreshesPerDay).toBeCloseTo(1 / 7, 12);
    expect(dashboardLoad(withRefresh({ interval: "MONTHLY", dayOfMonth: "1" }), DEFAULT_USAGE).refreshesPerDay).toBeCloseTo(12 / 365, 12);
    const direct = testConfig({ dashboards: { importMode: "DIRECT_QUERY" } });
    expect(dashboardLoad(direct, { ...DEFAULT_USAGE, dashboardViewsPerDay: 40 }).refreshesPerDay).toBe(40);
    expect(dashboardLoad(withRefresh({ interval: "HOURLY" }), { ...DEFAULT_USAGE, dashboardRefreshesPerDay: 3 }).refreshesPerDay).toBe(3);
  });

  it("scans the same per refresh whatever its time of day: the data sets read closed days only", () => {
    const athena = (cfg: EnvironmentConfig) =>
      lineOf(estimate(cfg, usage({ eventsPerDay: 864_000 }), fixedPrices()), "Athena", "dashboard queries");
    const early = athena(withRefresh({ interval: "DAILY", timeOfDay: "01:30" }));
    const late = athena(withRefresh({ interval: "DAILY", timeOfDay: "23:30" }));
    expect(late.quantity).toBe(early.quantity);
    expect(early.basis).toMatch(/30 closed days from the rollups/);
  });

  it("defaults to the schedule the dashboards stack deploys, even with dashboards off", () => {
    const off = dashboardLoad(testConfig(), DEFAULT_USAGE);
    expect(off.refreshesPerDay).toBe(REFRESHES_PER_DAY[DEFAULT_REFRESH.interval]);
    expect(off.basis).toMatch(/dashboards off/);
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const owner = "arn:aws:quicksight:eu-west-1:111122223333:group/default/analysts";
    const config = testConfig({ dashboards: { enabled: true, owners: [owner] } });
    const stacks = createStacks(testApp(), config, fixtureBundles);
    log.mockRestore();
    if (!stacks.dashboards) throw new Error("no dashboards stack");
    const schedules = resourcesOfType(synthJson(stacks.dashboards), "aws_quicksight_refresh_schedule") as {
      schedule: {
        schedule_frequency: { interval: "DAILY" | "HOURLY" | "WEEKLY" | "MONTHLY"; time_of_the_day: string; timezone: string }[];
      }[];
    }[];
    expect(schedules).toHaveLength(DEFAULT_USAGE.queriesPerRefresh);
    const f = schedules[0]?.schedule[0]?.schedule_frequency[0];
    if (!f) throw new Error("no schedule frequency");
    const load = dashboardLoad(config, DEFAULT_USAGE);
    expect(load.refreshesPerDay).toBe(REFRESHES_PER_DAY[f.interval]);
    expect(load.basis).toContain(`${f.time_of_the_day} ${f.timezone}`);
  });
});

describe("Athena with rollups", () => {
  // The refresh the rollup change ships: daily at 01:30 UTC, an hour after the 00:30 compaction + rollup job.
  const shipped = { dashboards: { refresh: { interval: "DAILY" as const, timeOfDay: "01:30" } } };
  const athena = (cfg: EnvironmentConfig, eventsPerDay: number) =>
    lineOf(estimate(cfg, usage({ eventsPerDay }), loadPrices()), "Athena", "dashboard queries").monthlyUsd;

  it("costs less than twice as much at 8,640,000 events/day as at 864,000, in both modes", () => {
    for (const mode of ["realtime", "standard"] as const) {
      const cfg = testConfig({ ...shipped, logDelivery: mode });
      expect(athena(cfg, 8_640_000)).toBeLessThan(2 * athena(cfg, 864_000));
    }
  });

  it("does not grow with traffic: each data set reads the window's closed days from the rollups", () => {
    const cfg = testConfig(shipped);
    const quantity = (eventsPerDay: number) =>
      lineOf(estimate(cfg, usage({ eventsPerDay }), fixedPrices()), "Athena", "dashboard queries").quantity;
    const perQuery = Math.max(10 * MiB, Math.ceil((30 * DEFAULT_USAGE.rollupBytesPerDay) / MiB) * MiB);
    expect(quantity(8_640_000)).toBeCloseTo((DEFAULT_USAGE.queriesPerRefresh * DAYS_PER_MONTH * perQuery) / 1024 ** 4, 12);
    expect(quantity(8_640_000)).toBe(quantity(864_000));
  });
});

describe("npm run cost -- --compare", () => {
  // Per-request prices at 0, so the $1-per-unit fixture's biggest lines are the hourly and per-GB ones.
  const prices = fixedPrices({
    s3GetRequests: 0,
    s3PutRequests: 0,
    cloudfrontRealtimeLogLines: 0,
    kinesisPutPayloadUnits: 0,
    lambdaRequests: 0,
    lambdaArmGbSecond: 0,
    firehoseDynamicPartitioningObjects: 0,
  });
  const { eventsPerDay: _e, ...rest } = usage();
  const rows = compare(realtime, rest, prices);

  it("has one row per mode and rate, realtime first, with the estimate's total and its three biggest lines", () => {
    expect(rows.map((r) => [r.mode, r.requestsPerSecond, r.eventsPerDay])).toEqual([
      ["realtime", 0.1, 8640],
      ["realtime", 1, 86_400],
      ["realtime", 10, 864_000],
      ["realtime", 100, 8_640_000],
      ["standard", 0.1, 8640],
      ["standard", 1, 86_400],
      ["standard", 10, 864_000],
      ["standard", 100, 8_640_000],
    ]);
    for (const r of rows) {
      const e = estimate(inMode(realtime, r.mode), { ...rest, eventsPerDay: r.eventsPerDay }, prices);
      expect(r.totalUsd).toBeCloseTo(e.totalUsd, 9);
      const sorted = e.lines.map((l) => l.monthlyUsd).sort((a, b) => b - a);
      expect(r.biggest.map((l) => l.monthlyUsd)).toEqual(sorted.slice(0, 3));
    }
    // Fixed $1 prices: real-time at 0.1 req/s is led by the one shard's 730 shard-hours.
    expect(rows[0]?.biggest[0]).toMatchObject({ service: "Kinesis (provisioned)", item: "shard-hours", monthlyUsd: 730 });
    expect(rows.filter((r) => r.mode === "standard").flatMap((r) => r.biggest.map((l) => l.service))).not.toContain(
      "Kinesis (provisioned)",
    );
  });

  it("prints a Markdown table with the totals and lines as dollars", () => {
    const text = formatCompare(rows, "test", "eu-west-1", rest);
    const table = text.split("\n").filter((l) => l.startsWith("|"));
    expect(table).toHaveLength(2 + 2 * COMPARE_REQUESTS_PER_SECOND.length);
    expect(table[0]).toMatch(/^\| delivery \| +req\/s \| +events\/day \| +total\/month \| three biggest lines +\|$/);
    expect(table[1]).toMatch(/^\| -+ \| -+: \| -+: \| -+: \| -+ \|$/);
    expect(table[2]).toMatch(/^\| realtime \| +0\.1 \| +8,640 \| +\$\d+\.\d\d \| Kinesis \(provisioned\) shard-hours \$730\.00, /);
    expect(table[2]).toContain(`$${rows[0]?.totalUsd.toFixed(2)}`);
    expect(new Set(table.map((l) => l.length)).size).toBe(1); // aligned columns
  });

  it("is a flag of its own: documented in --help, not combined with --events-per-day", () => {
    expect(helpText(COST_CLI)).toMatch(/--compare +both delivery modes at 0\.1, 1, 10, 100 req\/s/);
    expect(parseRequest(["--compare", "--days-retained", "90"])).toMatchObject({ kind: "compare", usage: { daysRetained: 90 } });
    expect(() => parseRequest(["--compare", "--events-per-day", "5"])).toThrow(UsageError);
    expect(() => parseRequest([])).toThrow(/--events-per-day: required .*or --compare/);
  });

  it("prints the table for the environment's config from the command line", () => {
    const out = spawnSync(process.execPath, ["--import", "tsx", path.resolve(__dirname, "../../cost/cli.ts"), "--compare"], {
      env: { ...process.env, ANALYTICS_ENV: "lean-example", ANALYTICS_CONFIG_DIR: CONFIG_DIR },
      encoding: "utf8",
    });
    expect(out.stderr).toBe("");
    expect(out.stdout).toMatch(/environment "lean-example" \(eu-west-1\)/);
    expect(out.stdout.split("\n").filter((l) => /^\| (realtime|standard) /.test(l))).toHaveLength(8);
  });
});

describe("the issue's targets, with the shipped prices", () => {
  // docs/cost.md prints every mode and traffic; the targets not met there name the lines that block them.
  const prices = loadPrices();
  const total = (cfg: EnvironmentConfig, eventsPerDay: number) => estimate(cfg, usage({ eventsPerDay }), prices).totalUsd;

  // The shipped configs as a user gets them (real-time: config/dev.json, lean: config/lean-example.json).
  const shipped = (env: string) => loadConfig(env, CONFIG_DIR);

  it("keeps the default real-time config at or below $25 a month at 864,000 events/day and $14 at 8,640", () => {
    expect(shipped("dev").logDelivery).toBe("realtime");
    expect(total(shipped("dev"), 864_000)).toBeLessThanOrEqual(25);
    expect(total(shipped("dev"), 8_640)).toBeLessThanOrEqual(14);
  });

  it("keeps the lean example config at or below $8 at 864,000 events/day and $3 at 8,640", () => {
    const leanExample = shipped("lean-example");
    expect(leanExample.logDelivery).toBe("standard");
    expect(total(leanExample, 864_000)).toBeLessThanOrEqual(8);
    expect(total(leanExample, 8_640)).toBeLessThanOrEqual(3);
  });

  it("makes lean mode cheaper than real-time delivery at every traffic of the table", () => {
    for (const rate of COMPARE_REQUESTS_PER_SECOND) {
      expect(total(lean, rate * 86_400)).toBeLessThan(total(realtime, rate * 86_400));
    }
  });
});
