import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { Testing } from "cdktf";
import { loadConfig } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { formatEstimate, loadPrices, PRICES_FILE, parseUsage, UsageError } from "../../cost/cli";
import {
  alarmsFor,
  DAYS_PER_MONTH,
  DEFAULT_USAGE,
  dashboardLoad,
  estimate,
  PRICE_KEYS,
  type PriceFile,
  PriceFileSchema,
  pricesFor,
  type Usage,
} from "../../cost/estimate";
import { createStacks } from "../../stacks/app";
import { testConfig } from "../helpers/config";
import { fixedPrices } from "../helpers/cost";
import { fixtureBundles, resourcesOfType, synthJson, testApp } from "../helpers/synth";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TiB = 1024 ** 4;

const usage = (u: Partial<Usage> = {}): Usage => ({ ...DEFAULT_USAGE, eventsPerDay: 1_000_000, ...u });
const lineOf = (e: ReturnType<typeof estimate>, service: string, item: string) => {
  const l = e.lines.find((x) => x.service === service && x.item === item);
  if (!l) throw new Error(`no line ${service}: ${item} in ${e.lines.map((x) => `${x.service}: ${x.item}`).join(", ")}`);
  return l;
};

describe("cost estimate arithmetic (fixed inputs)", () => {
  const config = testConfig({ realtimeLogs: { samplingRate: 50 }, kinesis: { mode: "on-demand" } });
  const e = estimate(config, usage(), fixedPrices({ cloudfrontRealtimeLogLines: 0.01 }));
  const records = 500_000 * DAYS_PER_MONTH; // 1,000,000 requests/day, 50 % sampled, 30.4167 days

  it("bills CloudFront real-time log lines after sampling", () => {
    const l = lineOf(e, "CloudFront", "real-time log lines");
    expect(l.quantity).toBeCloseTo(15_208_333.33, 1);
    expect(l.monthlyUsd).toBeCloseTo(152_083.33, 1); // the fixture's price is per line, not per million
  });

  it("rounds Kinesis records up to 1 KB and Firehose records up to 5 KB", () => {
    expect(lineOf(e, "Kinesis (on-demand)", "data in").quantity).toBeCloseTo((records * 1024) / GiB, 9);
    expect(lineOf(e, "Kinesis (on-demand)", "stream-hours").quantity).toBe(730);
    expect(lineOf(e, "Firehose", "ingestion").quantity).toBeCloseTo((records * 5120) / GiB, 9);
    const big = estimate(config, usage({ logRecordBytes: 6000 }), fixedPrices());
    expect(lineOf(big, "Firehose", "ingestion").quantity).toBeCloseTo((records * 10_240) / GiB, 9);
    expect(lineOf(big, "Kinesis (on-demand)", "data in").quantity).toBeCloseTo((records * 6144) / GiB, 9);
  });

  it("stores the retained days of Parquet in S3", () => {
    expect(lineOf(e, "S3", "lake storage").quantity).toBeCloseTo((500_000 * 365 * 120) / GiB, 9);
  });

  it("charges Athena at least 10 MB per query, rounded up to whole MB", () => {
    const tiny = estimate(testConfig(), usage({ eventsPerDay: 10, dashboardRefreshesPerDay: 24, queriesPerRefresh: 10 }), fixedPrices());
    const queries = 24 * 10 * DAYS_PER_MONTH;
    expect(lineOf(tiny, "Athena", "dashboard queries").quantity).toBeCloseTo((queries * 10 * MiB) / TiB, 12);
    // A window of 90 closed days of rollups reads more than the minimum, whatever the traffic.
    const load = dashboardLoad(config, DEFAULT_USAGE);
    const scanned = 90 * DEFAULT_USAGE.rollupBytesPerDay;
    expect(scanned).toBeGreaterThan(10 * MiB);
    const big = estimate(config, usage({ eventsPerDay: 10_000_000, dashboardWindowDays: 90 }), fixedPrices());
    expect(lineOf(big, "Athena", "dashboard queries").quantity).toBeCloseTo(
      (load.refreshesPerDay * DEFAULT_USAGE.queriesPerRefresh * DAYS_PER_MONTH * Math.ceil(scanned / MiB) * MiB) / TiB,
      12,
    );
  });

  it("bills the compaction + rollup job per second with a one-minute minimum, at the FLEX or STANDARD rate", () => {
    const small = estimate(config, usage({ eventsPerDay: 1000, compactionStartupSeconds: 30 }), fixedPrices());
    const flex = lineOf(small, "Glue (compaction + rollups)", "FLEX 2 x G.1X");
    expect(flex.priceKey).toBe("glueFlexDpuHour");
    expect(flex.quantity).toBeCloseTo((DAYS_PER_MONTH * 60 * 2) / 3600, 9); // 30 s start + a few ms of rows: the minimum
    const standard = estimate(
      testConfig({ compaction: { executionClass: "STANDARD", workerType: "G.2X" } } as Partial<EnvironmentConfigInput>),
      usage({ eventsPerDay: 100_000_000 }),
      fixedPrices(),
    );
    const g = lineOf(standard, "Glue (compaction + rollups)", "STANDARD 2 x G.2X");
    expect(g.priceKey).toBe("glueDpuHour");
    // 60 s start + 100M rows at 50,000/s compacted + at 90,000/s rolled up, 4 DPUs.
    expect(g.quantity).toBeCloseTo((DAYS_PER_MONTH * (60 + 2000 + 100_000_000 / 90_000) * 4) / 3600, 9);
  });

  it("multiplies quantity by unit price and sums every line", () => {
    const priced = estimate(config, usage(), fixedPrices({ kinesisOnDemandStreamHour: 0.04, cloudwatchAlarmMetric: 0.1 }));
    expect(lineOf(priced, "Kinesis (on-demand)", "stream-hours").monthlyUsd).toBeCloseTo(29.2, 10);
    const alarmMetrics = alarmsFor(config).reduce((n, a) => n + a.metricCount, 0);
    expect(lineOf(priced, "CloudWatch", "alarms").monthlyUsd).toBeCloseTo(alarmMetrics * 0.1, 10);
    expect(priced.totalUsd).toBeCloseTo(
      priced.lines.reduce((s, l) => s + l.monthlyUsd, 0),
      9,
    );
  });

  it("prices usage API requests, their Lambda and DynamoDB writes", () => {
    const api = estimate(testConfig(), usage({ apiRequestsPerDay: 1000 }), fixedPrices());
    expect(lineOf(api, "API Gateway", "HTTP API requests").quantity).toBeCloseTo(1000 * DAYS_PER_MONTH, 6);
    expect(lineOf(api, "DynamoDB", "write request units").quantity).toBeCloseTo(2000 * DAYS_PER_MONTH, 6);
    expect(lineOf(api, "Lambda (usage)", "compute").quantity).toBeCloseTo(1000 * DAYS_PER_MONTH * 0.02 * 0.25, 6); // 20 ms at 256 MB
  });

  it("rejects a negative or non-finite usage figure, naming it", () => {
    expect(() => estimate(config, usage({ daysRetained: -1 }), fixedPrices())).toThrow("usage.daysRetained must be a number >= 0");
    expect(() => estimate(config, usage({ eventsPerDay: Number.NaN }), fixedPrices())).toThrow("usage.eventsPerDay");
  });
});

describe("the estimate follows the configuration", () => {
  const base = estimate(testConfig(), usage(), fixedPrices());

  it("is provisioned with the shards synth sizes from the peak: 1 by default, on-demand only when asked", () => {
    expect(lineOf(base, "Kinesis (provisioned)", "shard-hours").quantity).toBe(730);
    expect(base.lines.some((l) => l.service === "Kinesis (on-demand)")).toBe(false);
    const peak = testConfig({ kinesis: { peakRequestsPerSecond: 1200 }, realtimeLogs: { samplingRate: 50 } });
    expect(lineOf(estimate(peak, usage(), fixedPrices()), "Kinesis (provisioned)", "shard-hours").quantity).toBe(2 * 730);
    const od = estimate(testConfig({ kinesis: { mode: "on-demand" } }), usage(), fixedPrices());
    expect(lineOf(od, "Kinesis (on-demand)", "stream-hours").quantity).toBe(730);
    expect(od.lines.some((l) => l.service === "Kinesis (provisioned)")).toBe(false);
  });

  it("notes when the average traffic alone is more than the sized shards take", () => {
    // 100,000,000/day is 1,157 records/s on average: more than the default peak's 1 shard.
    const over = estimate(testConfig(), usage({ eventsPerDay: 100_000_000 }), fixedPrices());
    expect(over.notes).toContainEqual(expect.stringMatching(/average traffic alone \(1157 records\/s\) exceeds the stream's 1 shard/));
    expect(base.notes.some((n) => n.includes("average traffic"))).toBe(false);
  });

  it("sizes shards at the estimate's record size, as synth does at the same size", () => {
    // 600 records/s of 2,000 B: the 1 MB/s limit (500 records/s per shard) asks for 2 shards, not 1.
    const big = estimate(testConfig({ kinesis: { peakRequestsPerSecond: 300 } }), usage({ logRecordBytes: 2000 }), fixedPrices());
    expect(lineOf(big, "Kinesis (provisioned)", "shard-hours").quantity).toBe(2 * 730);
  });

  it("switches between on-demand and provisioned Kinesis, with the configured shards", () => {
    const p = estimate(testConfig({ kinesis: { mode: "provisioned", shardCount: 3 } }), usage(), fixedPrices());
    expect(lineOf(p, "Kinesis (provisioned)", "shard-hours").quantity).toBe(3 * 730);
    expect(p.lines.some((l) => l.service === "Kinesis (on-demand)")).toBe(false);
  });

  it("charges extended retention only above 24 hours", () => {
    expect(base.lines.some((l) => l.item === "extended retention")).toBe(false);
    const kept = estimate(testConfig({ kinesis: { mode: "on-demand", retentionHours: 72 } }), usage(), fixedPrices());
    expect(lineOf(kept, "Kinesis (on-demand)", "extended retention").quantity).toBeCloseTo(((1_000_000 * 500) / GiB) * 2, 9);
  });

  it("scales the transform's compute with its configured memory", () => {
    const big = estimate(testConfig({ ingestion: { lambdaMemoryMb: 2048 } }), usage(), fixedPrices());
    expect(lineOf(big, "Lambda (transform)", "compute").quantity).toBeCloseTo(
      2 * lineOf(base, "Lambda (transform)", "compute").quantity,
      9,
    );
  });

  it("counts the CloudWatch dashboard ($3/month) only when ops.dashboard is on, which it is not by default", () => {
    expect(base.lines.some((l) => l.item === "dashboard")).toBe(false);
    const on = estimate(
      testConfig({ ops: { dashboard: true } } as Partial<EnvironmentConfigInput>),
      usage(),
      fixedPrices({ cloudwatchDashboard: 3 }),
    );
    expect(lineOf(on, "CloudWatch", "dashboard").monthlyUsd).toBe(3);
  });

  it("drops the dashboard line when ops.dashboard is off and the Glue line's hours when compaction is off", () => {
    const off = estimate(
      testConfig({ ops: { dashboard: false }, compaction: { enabled: false } } as Partial<EnvironmentConfigInput>),
      usage(),
      fixedPrices(),
    );
    expect(off.lines.some((l) => l.item === "dashboard")).toBe(false);
    expect(off.lines.find((l) => l.service === "Glue (compaction + rollups)")?.quantity).toBe(0);
  });

  it("counts the alarm metrics the ops stack actually synthesizes", () => {
    const app = testApp();
    const stacks = createStacks(app, testConfig(), fixtureBundles);
    app.synth();
    const alarms = resourcesOfType(synthJson(stacks.ops), "aws_cloudwatch_metric_alarm");
    const metrics = alarms.reduce(
      (n, a) => n + (Array.isArray(a.metric_query) ? a.metric_query.filter((q) => !q.expression).length : 1),
      0,
    );
    // The app wires every stage but compaction (an EventBridge rule, no metric).
    expect(lineOf(base, "CloudWatch", "alarms").quantity).toBe(metrics);
  });

  it("reads the same config file as synth: the CLI and a synthesized stack agree", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cost-config-"));
    writeFileSync(
      path.join(dir, "costtest.json"),
      JSON.stringify({
        project: "webstats",
        environment: "costtest",
        region: "us-east-1",
        kinesis: { mode: "provisioned", shardCount: 4 },
        realtimeLogs: { samplingRate: 25 },
      }),
    );
    const out = spawnSync(
      process.execPath,
      ["--import", "tsx", path.resolve(__dirname, "../../cost/cli.ts"), "--events-per-day", "4000000"],
      {
        env: { ...process.env, ANALYTICS_ENV: "costtest", ANALYTICS_CONFIG_DIR: dir },
        encoding: "utf8",
      },
    );
    expect(out.stderr).toBe("");
    expect(out.stdout).toMatch(/Kinesis \(provisioned\): shard-hours\s+2,920 shard-hours/);
    expect(out.stdout).toMatch(/CloudFront: real-time log lines\s+30,416,667 log lines/); // 4M x 25 % x 30.42 days
    expect(out.stdout).toMatch(/^Total: \$\d+\.\d\d per month/m);
    expect(out.stdout).not.toMatch(/Note: prices are us-east-1 list prices/); // us-east-1 needs no region note
    const app = testApp();
    const stacks = createStacks(app, loadConfig("costtest", dir), fixtureBundles);
    expect(Testing.synth(stacks.edge)).toHaveResourceWithProperties(KinesisStream, { shard_count: 4 });
  });
});

/** Every price entry of the file as written (before zod), with where it sits. */
function rawEntries(raw: { prices: Record<string, unknown>; regionOverrides?: Record<string, Record<string, unknown>> }) {
  const entries: { where: string; entry: Record<string, unknown> }[] = [];
  for (const [k, v] of Object.entries(raw.prices)) entries.push({ where: `prices.${k}`, entry: v as Record<string, unknown> });
  for (const [region, block] of Object.entries(raw.regionOverrides ?? {})) {
    for (const [k, v] of Object.entries(block))
      entries.push({ where: `regionOverrides.${region}.${k}`, entry: v as Record<string, unknown> });
  }
  return entries;
}

describe("prices file: every price is sourced and dated", () => {
  const raw = JSON.parse(readFileSync(PRICES_FILE, "utf8"));
  const entries = rawEntries(raw);

  it("reads as a valid price file", () => {
    expect(() => loadPrices()).not.toThrow();
    expect(entries.length).toBeGreaterThanOrEqual(PRICE_KEYS.length);
  });

  it("gives every price, base and per region, a source, a date, a verified flag and a note", () => {
    const problems = entries.flatMap(({ where, entry }) => [
      ...(typeof entry.source === "string" && entry.source.trim() !== "" ? [] : [`${where}: no source`]),
      ...(typeof entry.asOf === "string" && /^\d{4}-\d{2}(-\d{2})?$/.test(entry.asOf) ? [] : [`${where}: no asOf date`]),
      ...(typeof entry.verified === "boolean" ? [] : [`${where}: no verified flag`]),
      ...(typeof entry.note === "string" && entry.note.trim() !== "" ? [] : [`${where}: no note`]),
    ]);
    expect(problems).toEqual([]);
  });

  it("dates no source after today", () => {
    const today = new Date().toISOString().slice(0, 10);
    const late = entries.filter(({ entry }) => String(entry.asOf) > today).map(({ where }) => where);
    expect(late).toEqual([]);
  });

  it("lists every price in each region block, so no region silently borrows the base region's price", () => {
    for (const [region, block] of Object.entries(raw.regionOverrides as Record<string, Record<string, unknown>>)) {
      expect([region, Object.keys(block).sort()]).toEqual([region, [...PRICE_KEYS].sort()]);
    }
  });

  it("rejects a price without a source or a note, naming it", () => {
    for (const field of ["source", "note", "verified"] as const) {
      const copy = JSON.parse(JSON.stringify(raw));
      delete copy.regionOverrides["eu-west-1"].kmsKeyMonth[field];
      const parsed = PriceFileSchema.safeParse(copy);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(`regionOverrides.eu-west-1.kmsKeyMonth.${field}`);
    }
  });

  it("rejects a region block with a misspelt price key", () => {
    const copy = JSON.parse(JSON.stringify(raw));
    copy.regionOverrides["eu-west-1"].kmsKeyMonthh = copy.regionOverrides["eu-west-1"].kmsKeyMonth;
    expect(PriceFileSchema.safeParse(copy).success).toBe(false);
  });
});

describe("region prices", () => {
  // Read in beforeAll, not at collection: a broken prices file then fails these tests, and the checks above name the entry.
  let file: PriceFile;
  let eu: PriceFile["regionOverrides"][string] | undefined;
  beforeAll(() => {
    file = loadPrices();
    eu = file.regionOverrides["eu-west-1"];
  });

  it("has an eu-west-1 block, the dev config's region", () => {
    expect(loadConfig("dev").region).toBe("eu-west-1");
    expect(eu).toBeDefined();
  });

  it("prices the dev config from the eu-west-1 block, without the fallback note", () => {
    const config = loadConfig("dev");
    const e = estimate(config, usage({ apiRequestsPerDay: 10_000 }), file);
    for (const l of e.lines) expect([l.priceKey, l.price]).toEqual([l.priceKey, eu?.[l.priceKey]]);
    expect(e.notes.join("\n")).not.toMatch(/us-east-1/);
    const text = formatEstimate(e, "dev", config.region, usage({ apiRequestsPerDay: 10_000 }));
    expect(text).toContain('environment "dev" (eu-west-1)');
    expect(text).not.toMatch(/prices are us-east-1 list prices|us-east-1 prices/);
  });

  it("changes a line by the ratio of the two regions' unit prices where eu-west-1 differs", () => {
    const differing = PRICE_KEYS.filter((k) => eu?.[k] !== undefined && eu[k]?.usd !== file.prices[k].usd);
    expect(differing.length).toBeGreaterThan(0);
    const u = usage({ apiRequestsPerDay: 10_000 });
    const inEu = estimate(testConfig({ region: "eu-west-1" }), u, file);
    const inUs = estimate(testConfig({ region: "us-east-1" }), u, file);
    const checked = inEu.lines.filter((l) => differing.includes(l.priceKey) && l.quantity > 0);
    expect(checked.length).toBeGreaterThan(0);
    for (const l of checked) {
      const us = lineOf(inUs, l.service, l.item);
      expect(l.quantity).toBeCloseTo(us.quantity, 9);
      expect(l.monthlyUsd).not.toBeCloseTo(us.monthlyUsd, 9);
      expect(l.monthlyUsd / us.monthlyUsd).toBeCloseTo((eu?.[l.priceKey]?.usd ?? Number.NaN) / file.prices[l.priceKey].usd, 9);
    }
    expect(inEu.totalUsd).not.toBeCloseTo(inUs.totalUsd, 6);
  });

  it("notes the base region when a region has no block, or the prices its block leaves out", () => {
    expect(pricesFor(file, file.region).note).toBeUndefined();
    expect(pricesFor(file, "ap-south-1").note).toMatch(/us-east-1 list prices; ap-south-1/);
    const partial: PriceFile = { ...file, regionOverrides: { "eu-west-1": { httpApiRequests: file.prices.httpApiRequests } } };
    const { note, prices } = pricesFor(partial, "eu-west-1");
    expect(note).toContain(`${PRICE_KEYS.length - 1} price(s) have no eu-west-1 entry`);
    expect(note).toContain("kmsKeyMonth");
    expect(note).not.toContain("httpApiRequests");
    expect(prices.kmsKeyMonth).toBe(file.prices.kmsKeyMonth);
  });

  it("marks unverified prices in the printout and names them in a note", () => {
    const prices = fixedPrices();
    const unverified: PriceFile = {
      ...prices,
      prices: { ...prices.prices, kmsKeyMonth: { ...prices.prices.kmsKeyMonth, verified: false } },
    };
    const e = estimate(testConfig(), usage(), unverified);
    expect(e.notes.filter((n) => /not verified/.test(n))).toEqual([expect.stringMatching(/^1 unit price.*: kmsKeyMonth$/)]);
    const text = formatEstimate(e, "test", "eu-west-1", usage());
    expect(text).toMatch(/^KMS: customer-managed keys .*\(2025-06\*\)/m);
    expect(text).not.toMatch(/^Kinesis .*\*\)/m);
    expect(estimate(testConfig(), usage(), prices).notes.some((n) => /not verified/.test(n))).toBe(false);
  });
});

describe("prices file and CLI arguments", () => {
  it("a price file missing a price fails naming it", () => {
    const { prices, ...rest } = fixedPrices();
    const { athenaTbScanned: _gone, ...partial } = prices;
    const parsed = PriceFileSchema.safeParse({ ...rest, prices: partial });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain("prices.athenaTbScanned");
  });

  it("region overrides replace prices for that region only", () => {
    const file = fixedPrices();
    const withOverride: PriceFile = {
      ...file,
      regionOverrides: { "eu-west-1": { kinesisOnDemandStreamHour: { ...file.prices.kinesisOnDemandStreamHour, usd: 2 } } },
    };
    const onDemand = testConfig({ kinesis: { mode: "on-demand" } });
    expect(lineOf(estimate(onDemand, usage(), withOverride), "Kinesis (on-demand)", "stream-hours").monthlyUsd).toBe(1460);
  });

  it("parses flags, requires --events-per-day and rejects bad numbers", () => {
    expect(parseUsage(["--events-per-day", "5000", "--days-retained", "90"])).toMatchObject({
      eventsPerDay: 5000,
      daysRetained: 90,
      logRecordBytes: 500,
    });
    expect(() => parseUsage(["--days-retained", "90"])).toThrow(UsageError);
    expect(() => parseUsage(["--events-per-day", "lots"])).toThrow('--events-per-day: must be a number >= 0; got "lots"');
    expect(() => parseUsage(["--events-per-day", "1", "--bogus", "2"])).toThrow(/bogus/);
  });
});
