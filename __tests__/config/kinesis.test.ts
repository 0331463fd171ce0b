/**
 * The Kinesis sizing rule (config/kinesis.ts) at its boundaries, and the config errors around it.
 */
import {
  DEFAULT_PEAK_REQUESTS_PER_SECOND,
  KINESIS_MAX_SHARDS,
  kinesisCapacity,
  kinesisNotice,
  REALTIME_LOG_RECORD_BYTES,
  recordsPerShard,
} from "../../config/kinesis";
import { DEFAULT_USAGE } from "../../cost/estimate";
import { BASE_CONFIG, problemsOf, testConfig } from "../helpers/config";

const shards = (peakRequestsPerSecond: number, sampling = 100, bytes?: number) =>
  kinesisCapacity({ peakRequestsPerSecond }, sampling, bytes).shardCount;

describe("kinesisCapacity", () => {
  it("is provisioned with 1 shard for the default peak of 10 req/s", () => {
    expect(DEFAULT_PEAK_REQUESTS_PER_SECOND).toBe(10);
    expect(kinesisCapacity({}, 100)).toEqual({ mode: "provisioned", shardCount: 1, reason: expect.any(String) });
  });

  it("adds a shard exactly when twice the peak passes 1,000 records/s", () => {
    expect(shards(500)).toBe(1);
    expect(shards(500.5)).toBe(2);
    expect(shards(1000)).toBe(2);
    expect(shards(1000.5)).toBe(3);
    expect(shards(0.001)).toBe(1);
  });

  it("counts only the sampled share of requests", () => {
    expect(shards(1000, 50)).toBe(1);
    expect(shards(1001, 50)).toBe(2);
    expect(shards(10_000, 1)).toBe(1);
  });

  it("takes the 1 MB/s limit when records are large enough to reach it first", () => {
    expect(recordsPerShard(500)).toBe(1000);
    expect(recordsPerShard(1000)).toBe(1000);
    expect(recordsPerShard(1024)).toBe(976);
    expect(shards(488, 100, 1024)).toBe(1);
    expect(shards(488.5, 100, 1024)).toBe(2);
  });

  it("shares its record size with the cost estimate", () => {
    expect(DEFAULT_USAGE.logRecordBytes).toBe(REALTIME_LOG_RECORD_BYTES);
  });

  it("lets an explicit shardCount win over the peak", () => {
    expect(kinesisCapacity({ shardCount: 3, peakRequestsPerSecond: 5000 }, 100)).toMatchObject({ mode: "provisioned", shardCount: 3 });
    expect(kinesisCapacity({ mode: "provisioned", shardCount: 1 }, 100).reason).toMatch(/kinesis\.shardCount/);
  });

  it("is on-demand only when asked", () => {
    expect(kinesisCapacity({ mode: "on-demand" }, 100)).toEqual({ mode: "on-demand", reason: expect.any(String) });
    expect(kinesisCapacity({ mode: "provisioned" }, 100).mode).toBe("provisioned");
  });

  it("explains its choice in one notice line", () => {
    expect(kinesisNotice(kinesisCapacity({ peakRequestsPerSecond: 5 }, 100))).toBe(
      "Kinesis: provisioned, 1 shard (peak 5 req/s x 100% sampling x 2 headroom = 10 records/s; 1 shard takes 1,000 records/s)",
    );
    expect(kinesisNotice(kinesisCapacity({ peakRequestsPerSecond: 1500 }, 50))).toBe(
      "Kinesis: provisioned, 2 shards (peak 1,500 req/s x 50% sampling x 2 headroom = 1,500 records/s; 1 shard takes 1,000 records/s)",
    );
    expect(kinesisNotice(kinesisCapacity({ mode: "on-demand" }, 100))).toMatch(/^Kinesis: on-demand \(kinesis\.mode "on-demand"/);
  });
});

describe("kinesis config errors name the key", () => {
  const problems = (kinesis: Record<string, unknown>) => problemsOf({ ...BASE_CONFIG, kinesis });

  it.each([0, -5])("a peak of %p", (peakRequestsPerSecond) => {
    expect(problems({ peakRequestsPerSecond })).toEqual([expect.stringMatching(/^kinesis\.peakRequestsPerSecond: /)]);
  });

  it("a peak with on-demand mode", () => {
    expect(problems({ mode: "on-demand", peakRequestsPerSecond: 50 })).toEqual([
      expect.stringMatching(/^kinesis\.peakRequestsPerSecond: sizes a provisioned stream/),
    ]);
  });

  it("a shard count above the account default", () => {
    expect(testConfig({ kinesis: { shardCount: KINESIS_MAX_SHARDS } }).kinesis.shardCount).toBe(KINESIS_MAX_SHARDS);
    expect(problems({ shardCount: KINESIS_MAX_SHARDS + 1 })).toEqual([expect.stringMatching(/^kinesis\.shardCount: /)]);
  });

  it("a peak that needs more shards than the account default", () => {
    expect(testConfig({ kinesis: { peakRequestsPerSecond: 100_000 } }).kinesis.peakRequestsPerSecond).toBe(100_000);
    expect(problems({ peakRequestsPerSecond: 100_001 })).toEqual([
      expect.stringMatching(/^kinesis\.peakRequestsPerSecond: needs 201 shards, more than the 200/),
    ]);
  });

  it("provisioned mode without a shard count is sized from the peak", () => {
    expect(kinesisCapacity(testConfig({ kinesis: { mode: "provisioned" } }).kinesis, 100)).toMatchObject({ shardCount: 1 });
  });
});
