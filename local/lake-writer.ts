/**
 * Writes lake rows the way Firehose lays them out in S3, on a local disk:
 * Parquet files under `events/event_type=../year=../month=../day=../`, with
 * the schema derived from EventRowSchema. Streaming: rows are buffered per
 * partition only up to a row group, and a global cap bounds memory however
 * many partitions are open; each flush appends one row group to the
 * partition's file.
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import { EventRowSchema, PARTITION_KEYS, type PartitionKeys } from "../schemas/event";
import { parquetSchema, rowsToColumnData } from "../schemas/generators/parquet";
import { LAKE_PREFIXES } from "../schemas/lake";

export interface LakeWriterOptions {
  /** Rows per row group (at most). @default 50_000 */
  readonly rowGroupRows?: number;
  /** Rows buffered across all partitions before the largest buffer is flushed. @default 100_000 */
  readonly maxBufferedRows?: number;
  /** Distinguishes this run's files from other runs' in the same partition. @default a timestamp */
  readonly runId?: string;
}

/** Key prefix of an events partition, the same as Firehose's dynamic-partitioning prefix evaluates to. */
export function eventsPartitionPrefix(keys: PartitionKeys): string {
  return `${LAKE_PREFIXES.events}${PARTITION_KEYS.map((k) => `${k}=${keys[k]}/`).join("")}`;
}

interface Partition {
  readonly file: string;
  rows: Record<string, unknown>[];
  writer?: ParquetWriter;
}

export class LakeWriter {
  private readonly partitions = new Map<string, Partition>();
  private readonly rowGroupRows: number;
  private readonly maxBufferedRows: number;
  private readonly runId: string;
  private readonly schema = parquetSchema(EventRowSchema);
  private buffered = 0;
  private written = 0;
  private rowGroups = 0;

  constructor(
    readonly lakeDir: string,
    options: LakeWriterOptions = {},
  ) {
    this.rowGroupRows = options.rowGroupRows ?? 50_000;
    this.maxBufferedRows = options.maxBufferedRows ?? 100_000;
    this.runId = options.runId ?? new Date().toISOString().replace(/[-:.TZ]/g, "");
    if (!(this.rowGroupRows >= 1 && this.maxBufferedRows >= this.rowGroupRows)) {
      throw new Error("LakeWriter: rowGroupRows must be >= 1 and maxBufferedRows >= rowGroupRows");
    }
  }

  add(keys: PartitionKeys, row: Record<string, unknown>): void {
    const prefix = eventsPartitionPrefix(keys);
    let p = this.partitions.get(prefix);
    if (!p) {
      p = { file: path.join(this.lakeDir, prefix, `local-${this.runId}-${this.partitions.size + 1}.parquet`), rows: [] };
      this.partitions.set(prefix, p);
    }
    p.rows.push(row);
    this.buffered++;
    if (p.rows.length >= this.rowGroupRows) this.flush(p);
    else if (this.buffered >= this.maxBufferedRows) this.flushLargest();
  }

  private flushLargest(): void {
    let largest: Partition | undefined;
    for (const p of this.partitions.values()) if (!largest || p.rows.length > largest.rows.length) largest = p;
    if (largest) this.flush(largest);
  }

  private flush(p: Partition): void {
    if (p.rows.length === 0) return;
    if (!p.writer) {
      mkdirSync(path.dirname(p.file), { recursive: true });
      p.writer = new ParquetWriter({ writer: fileWriter(p.file), schema: this.schema, createdBy: "cloudfront-analytics local runner" });
    }
    // fileWriter flushes synchronously, so write() returns no promise.
    void p.writer.write({ columnData: rowsToColumnData(EventRowSchema, p.rows), rowGroupSize: p.rows.length });
    this.buffered -= p.rows.length;
    this.written += p.rows.length;
    this.rowGroups++;
    p.rows = [];
  }

  /** Flush every buffer and finish every file. */
  close(): { files: string[]; rows: number; rowGroups: number } {
    const files: string[] = [];
    for (const p of this.partitions.values()) {
      this.flush(p);
      if (p.writer) {
        void p.writer.finish();
        files.push(p.file);
      }
    }
    return { files, rows: this.written, rowGroups: this.rowGroups };
  }
}
