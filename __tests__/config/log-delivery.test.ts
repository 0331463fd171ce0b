/**
 * The `logDelivery` switch: lean mode ("standard") refuses every key only the real-time route reads, naming it,
 * and the real-time route refuses lean mode's `logFiles`.
 */
import { alarmsFor } from "../../config/alarms";
import { LOG_DELIVERY_ROUTES } from "../../config/log-delivery";
import { FIREHOSE_ONLY_INGESTION_KEYS, REALTIME_ONLY_THRESHOLDS } from "../../config/schema";
import { BASE_CONFIG, problemsOf, testConfig } from "../helpers/config";

const lean = { ...BASE_CONFIG, logDelivery: "standard" } as const;

describe("config key logDelivery", () => {
  it('defaults to "realtime" and accepts "standard"', () => {
    expect(testConfig().logDelivery).toBe("realtime");
    expect(testConfig({ logDelivery: "standard" }).logDelivery).toBe("standard");
  });

  it("names the key for an unknown route", () => {
    expect(problemsOf({ ...BASE_CONFIG, logDelivery: "lean" })).toEqual([expect.stringMatching(/^logDelivery: /)]);
  });

  const realtimeOnly: readonly (readonly [string, Record<string, unknown>])[] = [
    ["kinesis.shardCount", { kinesis: { shardCount: 2 } }],
    ["kinesis.peakRequestsPerSecond", { kinesis: { peakRequestsPerSecond: 50 } }],
    ["kinesis.mode", { kinesis: { mode: "on-demand" } }],
    ["kinesis.retentionHours", { kinesis: { retentionHours: 24 } }],
    ["realtimeLogs.samplingRate", { realtimeLogs: { samplingRate: 100 } }],
    ...FIREHOSE_ONLY_INGESTION_KEYS.map((k) => [`ingestion.${k}`, { ingestion: { [k]: 60 } }] as const),
    ["ops.thresholds.kinesisIteratorAgeSeconds", { ops: { thresholds: { kinesisIteratorAgeSeconds: 600 } } }],
    ["ops.thresholds.deliveryFreshnessSeconds", { ops: { thresholds: { deliveryFreshnessSeconds: 900 } } }],
  ];
  it.each(realtimeOnly)("lean mode rejects %s, naming it, even at its default value", (key, extra) => {
    const problems = problemsOf({ ...lean, ...extra });
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`^${key.replace(/\./g, "\\.")}: .*logDelivery "standard" \\(lean mode\\) has none`)),
    );
  });

  it("lean mode keeps the keys both routes' transform functions read", () => {
    const config = testConfig({
      logDelivery: "standard",
      ingestion: { lambdaMemoryMb: 2048, lambdaTimeoutSeconds: 300, logRetentionDays: 7, errorRetentionDays: 30 },
      ops: { thresholds: { transformErrors: 2, noIncomingRecordsMinutes: 0, failedLogFiles: 1 } },
      logFiles: { retentionDays: 7 },
    });
    expect(config.ingestion.lambdaMemoryMb).toBe(2048);
    expect(config.logFiles.retentionDays).toBe(7);
  });

  it("derives the real-time-only thresholds from the alarm catalogue: keys no lean alarm reads", () => {
    const leanKeys = new Set(alarmsFor("standard", true).map((a) => a.thresholdKey));
    expect(REALTIME_ONLY_THRESHOLDS.length).toBeGreaterThan(0);
    for (const key of REALTIME_ONLY_THRESHOLDS) expect(leanKeys.has(key as never)).toBe(false);
    expect(REALTIME_ONLY_THRESHOLDS).toContain("kinesisWriteThrottledRecords");
    expect(REALTIME_ONLY_THRESHOLDS).not.toContain("transformErrors");
  });

  it("the real-time route rejects lean mode's logFiles, naming the key", () => {
    expect(problemsOf({ ...BASE_CONFIG, logFiles: { retentionDays: 3 } })).toEqual([
      'logFiles.retentionDays: configures the log bucket of lean mode: set logDelivery to "standard", or remove it',
    ]);
  });

  it("bounds the raw log retention by what the failure queue keeps (1-14 days)", () => {
    expect(problemsOf({ ...lean, logFiles: { retentionDays: 15 } })).toEqual([
      expect.stringMatching(/^logFiles\.retentionDays: at most 14 days/),
    ]);
    expect(problemsOf({ ...lean, logFiles: { retentionDays: 0 } })).toEqual([
      expect.stringMatching(/^logFiles\.retentionDays: at least 1 day/),
    ]);
  });

  it("gives every alarm at least one route, and each route its own alarms", () => {
    for (const route of LOG_DELIVERY_ROUTES) expect(alarmsFor(route, false).length).toBeGreaterThan(0);
    expect(alarmsFor("standard", true).map((a) => a.id)).not.toContain("kinesis-write-throttled");
    expect(alarmsFor("realtime", true).map((a) => a.id)).not.toContain("log-files-failed");
  });

  it("adds the diagnostic alarms only when asked, and rejects their thresholds otherwise, naming the key", () => {
    const ids = (diagnostic: boolean) => alarmsFor("realtime", diagnostic).map((a) => a.id);
    expect(ids(false)).not.toContain("transform-throttles");
    expect(ids(true)).toEqual(expect.arrayContaining(["transform-throttles", "dynamodb-throttles"]));
    expect(problemsOf({ ...BASE_CONFIG, ops: { thresholds: { dynamodbThrottles: 5 } } })).toEqual([
      "ops.thresholds.dynamodbThrottles: sets the dynamodb-throttles alarm, which exists only with ops.diagnosticAlarms true: set it, or remove the threshold",
    ]);
    expect(testConfig({ ops: { diagnosticAlarms: true, thresholds: { dynamodbThrottles: 5 } } }).ops.thresholds.dynamodbThrottles).toBe(5);
    // In lean mode the transform threshold is reported once, as a real-time key.
    expect(problemsOf({ ...lean, ops: { thresholds: { transformThrottles: 2 } } })).toEqual([
      expect.stringMatching(/^ops\.thresholds\.transformThrottles: sets an alarm on Kinesis or Firehose/),
    ]);
  });
});
