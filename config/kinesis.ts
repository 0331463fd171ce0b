/**
 * Kinesis capacity from traffic: the one sizing rule the edge stack (what synth
 * creates) and `npm run cost` (what it costs) share. Pure data and arithmetic.
 *
 * A provisioned shard costs $0.015/hour (~$11/month) and takes 1,000 records/s or
 * 1 MB/s of writes; an on-demand stream costs $0.04/stream-hour (~$29/month) before
 * any data. So the stream is provisioned by default, sized from the expected peak.
 * @see https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
 */

/** Writes one shard takes per second: records, and bytes (1 MB). */
export const KINESIS_SHARD_RECORDS_PER_SECOND = 1000;
export const KINESIS_SHARD_BYTES_PER_SECOND = 1_000_000;

/**
 * Shards per account by default (200 in most regions, 500 in us-east-1, us-west-2 and eu-west-1): the lower
 * figure, so a config valid in one region stays valid in any. More needs a quota increase and a deliberate config.
 */
export const KINESIS_MAX_SHARDS = 200;

/**
 * Bytes of one CloudFront real-time log record (about 500 B for the default fields; up to 1 KB with all fields).
 * The one figure both the sizing below and the cost estimate (`--log-record-bytes`) start from.
 */
export const REALTIME_LOG_RECORD_BYTES = 500;

/** Provisioned capacity over the expected peak: twice it, so a peak that was underestimated does not throttle at once. */
export const KINESIS_HEADROOM = 2;

/** The peak assumed when the config states none: 10 requests/s, which one shard covers with room to spare. */
export const DEFAULT_PEAK_REQUESTS_PER_SECOND = 10;

/** The kinesis config keys the sizing reads (see KinesisConfig in config/schema.ts). */
export interface KinesisCapacityInput {
  readonly mode?: "on-demand" | "provisioned";
  readonly shardCount?: number;
  readonly peakRequestsPerSecond?: number;
}

export type KinesisCapacity =
  | { readonly mode: "on-demand"; readonly shardCount?: undefined; readonly reason: string }
  | { readonly mode: "provisioned"; readonly shardCount: number; readonly reason: string };

const fmt = (n: number): string => n.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Records/s one shard takes for records of `recordBytes`: the lower of the record and the byte limit. */
export function recordsPerShard(recordBytes: number = REALTIME_LOG_RECORD_BYTES): number {
  return Math.min(KINESIS_SHARD_RECORDS_PER_SECOND, Math.floor(KINESIS_SHARD_BYTES_PER_SECOND / recordBytes));
}

/**
 * The stream's mode and shards: on-demand only when `mode` says so; otherwise provisioned with `shardCount`
 * if given (it wins), else enough shards for peak x sampling x headroom. `reason` is the synth notice's text.
 */
export function kinesisCapacity(
  kinesis: KinesisCapacityInput,
  samplingRatePercent: number,
  recordBytes: number = REALTIME_LOG_RECORD_BYTES,
): KinesisCapacity {
  if (kinesis.mode === "on-demand") {
    return { mode: "on-demand", reason: 'on-demand (kinesis.mode "on-demand": scales by itself, billed per stream-hour and GB)' };
  }
  const perShard = recordsPerShard(recordBytes);
  if (kinesis.shardCount !== undefined) {
    const n = kinesis.shardCount;
    return {
      mode: "provisioned",
      shardCount: n,
      reason: `provisioned, ${n} shard${n === 1 ? "" : "s"} (kinesis.shardCount, set explicitly; ${n === 1 ? "1 shard takes" : `${n} shards take`} ${fmt(n * perShard)} records/s)`,
    };
  }
  const peak = kinesis.peakRequestsPerSecond ?? DEFAULT_PEAK_REQUESTS_PER_SECOND;
  const records = (peak * samplingRatePercent * KINESIS_HEADROOM) / 100;
  const shardCount = Math.max(1, Math.ceil(records / perShard));
  const stated = kinesis.peakRequestsPerSecond === undefined ? " (the default)" : "";
  return {
    mode: "provisioned",
    shardCount,
    reason:
      `provisioned, ${shardCount} shard${shardCount === 1 ? "" : "s"} (peak ${fmt(peak)} req/s${stated} x ${samplingRatePercent}% sampling` +
      ` x ${KINESIS_HEADROOM} headroom = ${fmt(records)} records/s; 1 shard takes ${fmt(perShard)} records/s)`,
  };
}

/** The one-line synth notice. */
export function kinesisNotice(capacity: KinesisCapacity): string {
  return `Kinesis: ${capacity.reason}`;
}
