/**
 * The Firehose transform over a batch, pure (no AWS calls): one CloudFront
 * real-time log line per record in, one lake row (JSON) per record out, with
 * the partition keys for dynamic partitioning. The line-to-row core is
 * {@link toRow} (row.ts); this file decodes records, counts, encodes the batch
 * (batch-output.ts) and keeps the response under Lambda's limit
 * (response-size.ts).
 *
 * Exactly one output per input, with the same recordId, and never a throw for a
 * bad record: a record that cannot be decoded, parsed or validated goes back as
 * `ProcessingFailed` with its data, the client IP fields redacted
 * (`privacy.failedRecordIp`) and every other byte as it came, for errors/ to keep
 * (the entry, index.ts, stores it there; docs/errors.md). `Dropped` is only for
 * records an explicit drop rule matches.
 */

import { LAMBDA_LIMITS } from "../../config/limits";
import { REALTIME_LOG_FIELDS } from "../../schemas/cloudfront";
import { EVENT_TYPES, type EventRow, EventRowSchema, type EventType, type PartitionKeys } from "../../schemas/event";
import { type TransformConfig, type TransformConfigInput, TransformConfigSchema } from "../../schemas/transform-config";
import { BatchOutput } from "./batch-output";
import type { FirehoseRecordIn, FirehoseRecordOut, FirehoseResult } from "./firehose";
import { GeoIp, geoDatabaseFiles } from "./geoip";
import { clientIpFieldIndexes, type RedactOptions, redactIpFieldsBase64 } from "./privacy";
import { recordBytes, responseBytes } from "./response-size";
import { createRowContext, type RowContext, type RowFailureReason, type RowOutcome, toRow } from "./row";
import { compileRowJson } from "./row-json";

export type { FirehoseRecordIn, FirehoseRecordOut, FirehoseResult } from "./firehose";

/** Why a record came back as ProcessingFailed: its line's reason, or one of the record or the batch. */
export type FailureReason = RowFailureReason | "bad-record" | "invalid-utf8" | "response-too-large" | "internal-error";

export interface ProcessStats {
  records: number;
  byResult: Record<FirehoseResult, number>;
  /** Ok records by event type. */
  byEventType: Record<EventType, number>;
  failuresByReason: Partial<Record<FailureReason, number>>;
  droppedByRule: Record<string, number>;
  /** String values of Ok rows cut to their column's maximum length (counted per value). */
  truncatedValues: number;
  /** Records without a string recordId: answered with recordId "", which Firehose cannot match to its record. */
  recordsWithoutId: number;
  /** The first few failures, for logs: never the record's data. */
  failures: { recordId: string; reason: FailureReason; message: string }[];
}

/** Where {@link Processor.processLines} puts each line's outcome. */
export interface LineSink {
  /** An Ok line's row (an object, not JSON) and its partition keys (shared between rows: read only). */
  row(partitionKeys: PartitionKeys, row: EventRow): void;
  /**
   * A failed line: its data as processRecords returns a ProcessingFailed record's (base64, client IP fields
   * redacted, every other byte as it came), and where it ends in the batch (the offset after its last byte).
   */
  failed(data: string, end: number): void;
}

export interface Processor {
  processRecords(records: readonly FirehoseRecordIn[]): { records: FirehoseRecordOut[]; stats: ProcessStats };
  /**
   * The same transform over a batch of raw lines (`\n` between them), without Firehose's wire format: the local run
   * writes rows straight to Parquet instead of base64 JSON it would decode again (over a quarter of its CPU). Each line
   * counts as one record; the counts are processRecords' for the same lines as records, and each Ok row equals
   * the JSON processRecords returns for it. No response limit applies: no record travels in a response here, and
   * a deployed processor buffer never reaches the limit (config/limits.ts, TRANSFORM_RESPONSE).
   */
  processLines(batch: Uint8Array, sink: LineSink): ProcessStats;
  /** The effective configuration (defaults filled in). */
  readonly config: TransformConfig;
  /** The GeoIP databases in use (empty when GeoIP is off). */
  readonly geoDatabases: readonly { file: string; ipVersion: number; databaseType: string }[];
}

export interface ProcessorOptions {
  /** Transform configuration, full or partial (missing keys take their defaults). @default DEFAULT_TRANSFORM_CONFIG */
  config?: TransformConfigInput;
  /** Secret key of the visitor-id HMAC (at least 16 characters). Never in code: SSM or an environment variable. */
  visitorIdKey: string;
  /**
   * MMDB files to use, or `false` for no GeoIP.
   * @default config.geoip.databases, else the bundled DB-IP Lite city files (beside the bundle, or from node_modules)
   */
  geoDatabase?: readonly string[] | false;
  /** The clock, for rejecting timestamps in the future. @default () => new Date() */
  now?: () => Date;
  /** Distinct user agents kept parsed. @default 5000 */
  userAgentCacheSize?: number;
  /** Largest response a batch may produce (tests lower it). @default LAMBDA_LIMITS.syncPayloadBytes (6 MB) */
  maxResponseBytes?: number;
}

/** Where the client addresses are in a real-time log line. */
const IP_FIELD_INDEXES = clientIpFieldIndexes(REALTIME_LOG_FIELDS);

const MAX_FAILURE_SAMPLES = 20;

/** JSON.stringify of a row, generated for its columns (row-json.ts). */
const rowJson = compileRowJson(EventRowSchema);

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NEWLINE = 0x0a;

/** The validated transform configuration; a bad key throws one message naming it (`transform.<path>`). */
export function parseConfig(input: TransformConfigInput | undefined): TransformConfig {
  const result = TransformConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - transform.${i.path.map(String).join(".")}: ${i.message}`);
    throw new Error(`invalid transform configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/**
 * What to give back for a record that failed: its data as it came. Data that is not a string (or a record that is
 * not an object) cannot go back as it came, so its JSON goes back, base64, for errors/ to keep it.
 */
function originalData(record: unknown): string {
  const value = typeof record === "object" && record !== null ? (record as { data?: unknown }).data : record;
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = String(value); // a BigInt or a cycle: never in a Lambda event, which is parsed JSON
  }
  return json === undefined ? "" : Buffer.from(json).toString("base64");
}

/** A failed record's reason: its line's, or one of the record or the batch. */
type Failed = { readonly kind: "failed"; readonly reason: FailureReason; readonly message: string };

const NOT_UTF8: Failed = { kind: "failed", reason: "invalid-utf8", message: "record is not valid UTF-8" };

/** One raw line's outcome. Never throws: toRow does not, and this is the net for a bug, as in processRecords. */
function lineOutcome(raw: Uint8Array, ctx: RowContext): RowOutcome | Failed {
  let line: string;
  try {
    line = utf8.decode(raw);
  } catch {
    return NOT_UTF8;
  }
  try {
    return toRow(line, ctx);
  } catch (e) {
    return { kind: "failed", reason: "internal-error", message: e instanceof Error ? e.message : String(e) };
  }
}

function emptyStats(records: number): ProcessStats {
  return {
    records,
    byResult: { Ok: 0, Dropped: 0, ProcessingFailed: 0 },
    byEventType: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
    failuresByReason: {},
    droppedByRule: {},
    truncatedValues: 0,
    recordsWithoutId: 0,
    failures: [],
  };
}

/** Count one failure by its reason, and keep it as a sample while there are few. */
function countFailure(stats: ProcessStats, recordId: string, reason: FailureReason, message: string): void {
  stats.failuresByReason[reason] = (stats.failuresByReason[reason] ?? 0) + 1;
  if (stats.failures.length < MAX_FAILURE_SAMPLES) stats.failures.push({ recordId, reason, message });
}

/** A row or a drop, counted (but for its result, which the caller counts once it is final). */
function countOutcome(stats: ProcessStats, outcome: RowOutcome): void {
  if (outcome.kind === "dropped") stats.droppedByRule[outcome.rule] = (stats.droppedByRule[outcome.rule] ?? 0) + 1;
  else if (outcome.kind === "row") {
    stats.byEventType[outcome.partitionKeys.event_type]++;
    stats.truncatedValues += outcome.truncated;
  }
}

/** A record's line, or why it has none. The record is checked, not trusted: one odd record must not fail the batch. */
function decodeRecord(record: FirehoseRecordIn): string | Omit<Failed, "kind"> {
  if (typeof record !== "object" || record === null)
    return { reason: "bad-record", message: `record is ${record === null ? "null" : typeof record}` };
  if (typeof record.recordId !== "string") return { reason: "bad-record", message: "record has no recordId" };
  if (typeof record.data !== "string") return { reason: "bad-record", message: "record has no base64 data" };
  try {
    return utf8.decode(Buffer.from(record.data, "base64"));
  } catch {
    return NOT_UTF8;
  }
}

export async function createProcessor(options: ProcessorOptions): Promise<Processor> {
  const config = parseConfig(options.config);
  const geoFiles = geoDatabaseFiles(options.geoDatabase, config.geoip.databases);
  const geo = geoFiles.length > 0 ? await GeoIp.open(geoFiles) : null;
  const now = options.now ?? (() => new Date());
  const context = createRowContext({
    config,
    visitorIdKey: options.visitorIdKey,
    geo,
    nowMs: 0, // set per batch
    userAgentCacheSize: options.userAgentCacheSize,
  });
  const output = new BatchOutput();
  const maxResponseBytes = options.maxResponseBytes ?? LAMBDA_LIMITS.syncPayloadBytes;
  const redactOptions: RedactOptions = { fieldCount: REALTIME_LOG_FIELDS.length, mode: config.privacy.failedRecordIp };
  /** A failed record's data as errors/ may keep it: the client IP fields redacted, every other byte as it came. */
  const redacted = (data: string) => redactIpFieldsBase64(data, IP_FIELD_INDEXES, redactOptions);
  /** One metadata object per partition keys object (which toRow shares per event type and day): response-size.ts caches its length. */
  const metadata = new WeakMap<PartitionKeys, { partitionKeys: PartitionKeys }>();
  const metadataFor = (partitionKeys: PartitionKeys) => {
    let m = metadata.get(partitionKeys);
    if (m === undefined) {
      m = Object.freeze({ partitionKeys });
      metadata.set(partitionKeys, m);
    }
    return m;
  };

  function processRecords(records: readonly FirehoseRecordIn[]) {
    const stats = emptyStats(records.length);
    const ctx: RowContext = { ...context, nowMs: now().getTime() };
    output.reset();
    /** Ok records, in the order their rows were added to `output`; their data is filled in at the end. */
    const okRecords: FirehoseRecordOut[] = [];

    const fail = (record: FirehoseRecordIn, reason: FailureReason, message: string): FirehoseRecordOut => {
      const id = (record as { recordId?: unknown } | null)?.recordId;
      const recordId = typeof id === "string" ? id : "";
      countFailure(stats, recordId, reason, message);
      return { recordId, result: "ProcessingFailed", data: redacted(originalData(record)) };
    };

    function transform(record: FirehoseRecordIn): FirehoseRecordOut {
      const line = decodeRecord(record);
      if (typeof line !== "string") return fail(record, line.reason, line.message);
      const outcome = toRow(line, ctx);
      if (outcome.kind === "failed") return fail(record, outcome.reason, outcome.message);
      countOutcome(stats, outcome);
      if (outcome.kind === "dropped") return { recordId: record.recordId, result: "Dropped", data: record.data };
      output.add(rowJson(outcome.row));
      const ok: FirehoseRecordOut = {
        recordId: record.recordId,
        result: "Ok",
        data: "", // set from `output` once the batch is done
        metadata: metadataFor(outcome.partitionKeys),
      };
      okRecords.push(ok);
      return ok;
    }

    const out = records.map((record): FirehoseRecordOut => {
      if (typeof (record as { recordId?: unknown } | null)?.recordId !== "string") stats.recordsWithoutId++;
      let result: FirehoseRecordOut;
      try {
        result = transform(record);
      } catch (e) {
        // toRow never throws; this is the net for a bug, so that one record cannot fail the batch.
        result = fail(record, "internal-error", e instanceof Error ? e.message : String(e));
      }
      stats.byResult[result.result]++;
      return result;
    });
    const data = output.encode();
    for (let i = 0; i < okRecords.length; i++) (okRecords[i] as FirehoseRecordOut).data = data[i] as string;
    fitResponse(out, records, stats);
    return { records: out, stats };
  }

  /**
   * Keep the response under Lambda's payload limit. Rows are bigger than the lines they come from (2.8x for
   * typical lines, ~5.7x for short ones such as requests without user agent or referrer), so a processor buffer
   * of short lines can give more than 6 MB, and Lambda would fail the whole invocation for Firehose to retry in
   * vain. Instead the last Ok records go back as ProcessingFailed with their data (client IP redacted), which
   * errors/ keeps for a replay, counted as `response-too-large`.
   */
  function fitResponse(out: FirehoseRecordOut[], input: readonly FirehoseRecordIn[], stats: ProcessStats): void {
    let total = responseBytes(out);
    for (let i = out.length - 1; i >= 0 && total > maxResponseBytes; i--) {
      const ok = out[i] as FirehoseRecordOut;
      if (ok.result !== "Ok" || ok.metadata === undefined) continue;
      const failed: FirehoseRecordOut = {
        recordId: ok.recordId,
        result: "ProcessingFailed",
        data: redacted((input[i] as FirehoseRecordIn).data),
      };
      total += recordBytes(failed) - recordBytes(ok);
      out[i] = failed;
      stats.byResult.Ok--;
      stats.byResult.ProcessingFailed++;
      stats.byEventType[ok.metadata.partitionKeys.event_type]--;
      countFailure(
        stats,
        ok.recordId,
        "response-too-large",
        `the batch's response would exceed ${maxResponseBytes} bytes; lower ingestion.processorBufferSizeMB`,
      );
    }
  }

  function processLines(batch: Uint8Array, sink: LineSink): ProcessStats {
    const stats = emptyStats(0);
    const ctx: RowContext = { ...context, nowMs: now().getTime() };
    const bytes = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    for (let start = 0, index = 0; start < bytes.length; index++) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl;
      const raw = bytes.subarray(start, end);
      start = end + 1;
      stats.records++;
      const outcome = lineOutcome(raw, ctx);
      if (outcome.kind === "failed") {
        countFailure(stats, String(index), outcome.reason, outcome.message);
        sink.failed(redacted(raw.toString("base64")), end);
        stats.byResult.ProcessingFailed++;
        continue;
      }
      countOutcome(stats, outcome);
      if (outcome.kind === "row") {
        sink.row(outcome.partitionKeys, outcome.row);
        stats.byResult.Ok++;
      } else stats.byResult.Dropped++;
    }
    return stats;
  }

  return {
    processRecords,
    processLines,
    config,
    geoDatabases: geo?.databases ?? [],
  };
}
