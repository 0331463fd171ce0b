/**
 * The log-file transform, pure (no AWS calls): one CloudFront standard log
 * file (gzip'd or plain W3C text, legacy or v2) in, the lake objects it
 * becomes out. Every data line goes through the same row core as the
 * Firehose transform (row.ts `recordToRow`); rows are grouped by the same
 * partition keys into one Parquet object per partition, and failed lines
 * into one error object, each named after the log file
 * ({@link logFileId}), so a second run over the same file (a redelivered S3
 * event, a resumed backfill) overwrites the same objects instead of adding
 * rows twice.
 *
 * Never throws for a bad line: it becomes an error record with its original
 * bytes, as a Firehose ProcessingFailed record does. It throws only when the
 * file itself cannot be read (a broken gzip stream), so that the caller's
 * retry applies.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ByteWriter } from "hyparquet-writer";
import {
  parseFieldsHeader,
  parseW3cLine,
  type RealtimeLogField,
  STANDARD_LOG_LEGACY_COLUMNS,
  type W3cLayout,
  w3cLayout,
} from "../../schemas/cloudfront";
import { EVENT_TYPES, type EventType } from "../../schemas/event";
import type { TransformConfig, TransformConfigInput } from "../../schemas/transform-config";
import { GeoIp, geoDatabaseFiles } from "../firehose-transform/geoip";
import { clientIpFieldIndexes, redactIpFields } from "../firehose-transform/privacy";
import { parseConfig } from "../firehose-transform/processor";
import { createRowContext, type RowContext, type RowFailureReason, recordToRow } from "../firehose-transform/row";
import { byteLines } from "../shared/byte-lines";
import { errorJsonLine, errorPrefixFor, processingFailedRecord } from "../shared/error-records";
import { PartitionedParquetWriter } from "../shared/lake-parquet";

/** Why a line gave no row: its row's reason, or one of the line itself. */
export type LineFailureReason = RowFailureReason | "invalid-utf8" | "internal-error";

/** Hex digits of the file id: 64 bits, so two log files of one bucket never share a name in practice. */
const ID_HEX_DIGITS = 16;

/** The id every object written for one log file is named by: the first hex digits of SHA-256 over its source (`bucket/key`). */
export function logFileId(source: string): string {
  return createHash("sha256").update(source).digest("hex").slice(0, ID_HEX_DIGITS);
}

/** One object to write into the lake bucket. */
export interface LakeObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
}

export interface LogFileStats {
  /** Data lines (header and comment lines not counted). */
  lines: number;
  ok: number;
  dropped: number;
  failed: number;
  /** `#Version`, `#Fields` and other `#` lines. */
  directives: number;
  byEventType: Record<EventType, number>;
  failuresByReason: Partial<Record<LineFailureReason, number>>;
  droppedByRule: Record<string, number>;
  truncatedValues: number;
  /** Parquet row groups written (one object per partition holds one or more). */
  rowGroups: number;
  /** Configured fields the file's format has no column for (null in its rows). */
  lacking: RealtimeLogField[];
  /** The first few failures, for logs: never the line's data. */
  failures: { line: number; reason: LineFailureReason; message: string }[];
}

export interface LogFileInput {
  /** The file's bytes as they are stored: gzip (detected by its magic bytes) or plain text. */
  readonly body: AsyncIterable<Uint8Array> | Uint8Array;
  /** What names the output objects ({@link logFileId}): `bucket/key` in S3, the path under the input folder locally. */
  readonly source: string;
  /** When the file arrived (S3 LastModified), epoch ms: the day of its error partition, like Firehose's arrival time. */
  readonly arrivalMs: number;
  /** The function's ARN, written into error records. */
  readonly lambdaArn: string;
}

export interface LogFileResult {
  /** Parquet objects (one per partition) and at most one error object; empty when the file has no data lines. */
  readonly objects: LakeObject[];
  readonly stats: LogFileStats;
}

export interface LogFileTransformer {
  transform(input: LogFileInput): Promise<LogFileResult>;
  readonly config: TransformConfig;
  readonly geoDatabases: readonly { file: string; ipVersion: number; databaseType: string }[];
}

export interface LogFileTransformerOptions {
  /** Transform configuration, full or partial. @default DEFAULT_TRANSFORM_CONFIG */
  config?: TransformConfigInput;
  /** Secret key of the visitor-id HMAC. Never in code: SSM or an environment variable. */
  visitorIdKey: string;
  /** MMDB files, or `false` for no GeoIP. @default as the Firehose transform (ProcessorOptions.geoDatabase) */
  geoDatabase?: readonly string[] | false;
  /** The clock, for rejecting timestamps in the future. @default () => new Date() */
  now?: () => Date;
  /** Rows per Parquet row group. @default 20_000 (bounds memory: ~1 KB per buffered row) */
  rowGroupRows?: number;
  /** Rows buffered across a file's partitions before the largest is flushed. @default 40_000 */
  maxBufferedRows?: number;
}

const MAX_FAILURE_SAMPLES = 20;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const LEGACY_LAYOUT = w3cLayout(STANDARD_LOG_LEGACY_COLUMNS);

/** The file's bytes, decompressed when they start with the gzip magic bytes. */
export async function* decompressed(body: AsyncIterable<Uint8Array> | Uint8Array): AsyncGenerator<Uint8Array> {
  const source: AsyncIterable<Uint8Array> =
    body instanceof Uint8Array
      ? (async function* () {
          yield body;
        })()
      : body;
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const all = (async function* () {
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();
  if (first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1]) yield* Readable.from(all).pipe(createGunzip());
  else yield* all;
}

function emptyStats(): LogFileStats {
  return {
    lines: 0,
    ok: 0,
    dropped: 0,
    failed: 0,
    directives: 0,
    byEventType: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
    failuresByReason: {},
    droppedByRule: {},
    truncatedValues: 0,
    rowGroups: 0,
    lacking: [...LEGACY_LAYOUT.lacking],
    failures: [],
  };
}

export async function createLogFileTransformer(options: LogFileTransformerOptions): Promise<LogFileTransformer> {
  const config = parseConfig(options.config);
  const geoFiles = geoDatabaseFiles(options.geoDatabase, config.geoip.databases);
  const geo = geoFiles.length > 0 ? await GeoIp.open(geoFiles) : null;
  const now = options.now ?? (() => new Date());
  const context = createRowContext({ config, visitorIdKey: options.visitorIdKey, geo, nowMs: 0 });

  async function transform(input: LogFileInput): Promise<LogFileResult> {
    const ctx: RowContext = { ...context, nowMs: now().getTime() };
    const id = logFileId(input.source);
    const stats = emptyStats();
    const buffers = new Map<string, ByteWriter>();
    const parquet = new PartitionedParquetWriter({
      rowGroupRows: options.rowGroupRows ?? 20_000,
      maxBufferedRows: options.maxBufferedRows ?? 40_000,
      createdBy: "cloudfront-analytics log-file transform",
      open: (prefix) => {
        const w = new ByteWriter();
        buffers.set(prefix, w);
        return w;
      },
    });
    const errorLines: string[] = [];
    let layout: W3cLayout = LEGACY_LAYOUT;
    let lineNo = 0;

    const fail = (raw: Buffer, reason: LineFailureReason, message: string) => {
      stats.failed++;
      stats.failuresByReason[reason] = (stats.failuresByReason[reason] ?? 0) + 1;
      if (stats.failures.length < MAX_FAILURE_SAMPLES) stats.failures.push({ line: lineNo, reason, message });
      // errors/ keeps the line but for its client IP fields (docs/errors.md); latin1 keeps any bytes.
      const ipFields = clientIpFieldIndexes(layout.columns);
      const redactOptions = { fieldCount: layout.columns.length, mode: ctx.config.privacy.failedRecordIp };
      const kept = Buffer.from(redactIpFields(raw.toString("latin1"), ipFields, redactOptions), "latin1");
      errorLines.push(
        errorJsonLine(processingFailedRecord({ raw: kept, arrivalMs: input.arrivalMs, endedMs: ctx.nowMs, lambdaArn: input.lambdaArn })),
      );
    };

    for await (const raw of byteLines(decompressed(input.body))) {
      lineNo++;
      if (raw[0] === 0x23 /* # */) {
        // W3C directives: #Version, #Fields (the columns of the lines after it), and comments.
        stats.directives++;
        const columns = parseFieldsHeader(raw.toString("utf8"));
        if (columns) {
          layout = w3cLayout(columns);
          stats.lacking = [...layout.lacking];
        }
        continue;
      }
      // An empty last line is the file's final newline, not a record.
      if (raw.length === 0 || (raw.length === 1 && raw[0] === 0x0d)) continue;
      stats.lines++;
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        fail(raw, "invalid-utf8", "line is not valid UTF-8");
        continue;
      }
      try {
        const parsed = parseW3cLine(text, layout);
        const outcome = parsed.ok ? recordToRow(parsed.record, ctx, layout.lacking) : parsed;
        if ("ok" in outcome) fail(raw, outcome.reason, outcome.message);
        else if (outcome.kind === "failed") fail(raw, outcome.reason, outcome.message);
        else if (outcome.kind === "dropped") {
          stats.dropped++;
          stats.droppedByRule[outcome.rule] = (stats.droppedByRule[outcome.rule] ?? 0) + 1;
        } else {
          parquet.add(outcome.partitionKeys, outcome.row);
          stats.ok++;
          stats.byEventType[outcome.partitionKeys.event_type]++;
          stats.truncatedValues += outcome.truncated;
        }
      } catch (e) {
        // recordToRow never throws; this is the net for a bug, so that one line cannot fail the file.
        fail(raw, "internal-error", e instanceof Error ? e.message : String(e));
      }
    }

    const objects: LakeObject[] = [];
    const written = parquet.close();
    stats.rowGroups = written.rowGroups;
    for (const p of written.partitions) {
      const w = buffers.get(p.prefix) as ByteWriter;
      objects.push({ key: `${p.prefix}${id}.parquet`, body: new Uint8Array(w.getBuffer()), contentType: "application/vnd.apache.parquet" });
    }
    if (errorLines.length > 0) {
      objects.push({
        key: `${errorPrefixFor("processing-failed", input.arrivalMs)}${id}.json`,
        body: Buffer.from(`${errorLines.join("\n")}\n`),
        contentType: "application/x-ndjson",
      });
    }
    return { objects, stats };
  }

  return { transform, config, geoDatabases: geo?.databases ?? [] };
}
