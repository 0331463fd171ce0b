/**
 * Lake rows to Parquet, laid out the way Firehose lays them out in S3: one
 * file per `events/event_type=../year=../month=../day=../` partition, with the
 * schema derived from EventRowSchema. Streaming: rows are buffered per
 * partition only up to a row group, and a global cap bounds memory however
 * many partitions are open; each flush appends one row group to the
 * partition's file. Where the bytes go is the caller's: a file (the local
 * run) or a buffer that becomes one S3 object (the log-file transform).
 */
import { type ColumnSource, ParquetWriter, type Writer } from "hyparquet-writer";
import { columnsOf } from "../../schemas/columns";
import { EventRowSchema, PARTITION_KEYS, type PartitionKeys } from "../../schemas/event";
import { columnValue, parquetSchema } from "../../schemas/generators/parquet";
import { LAKE_PREFIXES } from "../../schemas/lake";

/** Key prefix of an events partition, the same as Firehose's dynamic-partitioning prefix evaluates to. */
export function eventsPartitionPrefix(keys: PartitionKeys): string {
  return `${LAKE_PREFIXES.events}${PARTITION_KEYS.map((k) => `${k}=${keys[k]}/`).join("")}`;
}

/** Rows per row group (at most), unless the caller says otherwise. */
export const DEFAULT_ROW_GROUP_ROWS = 50_000;
/** Rows buffered across all partitions before the largest buffer is flushed, unless the caller says otherwise. */
export const DEFAULT_MAX_BUFFERED_ROWS = 100_000;

export interface PartitionedParquetOptions {
  /** The writer of a partition's file, opened at its first flush; `index` counts partitions from 1. */
  readonly open: (prefix: string, index: number) => Writer;
  /** Rows per row group (at most). @default DEFAULT_ROW_GROUP_ROWS */
  readonly rowGroupRows?: number;
  /** Rows buffered across all partitions before the largest buffer is flushed. @default DEFAULT_MAX_BUFFERED_ROWS */
  readonly maxBufferedRows?: number;
  /** The file's `created_by`. @default "cloudfront-analytics" */
  readonly createdBy?: string;
}

/** The event row's columns, in schema order. */
const COLUMNS = columnsOf(EventRowSchema);

/**
 * Min/max statistics per column, only where they can let a reader skip a row group: numbers, timestamps and
 * booleans. String columns hold free text in arrival order (paths, user agents, ids), so a row group's min and max
 * span nearly every value and prune nothing, while comparing every string cost ~9% of a local run's CPU.
 */
const STATISTICS = COLUMNS.map((c) => c.lakeType !== "string");

/**
 * Appends a row's values (columnValue of each) to the column arrays, generated once from the column names as
 * row-json.ts's serializer is: one named property read per column, where `row[name]` in a loop was a keyed load
 * that V8 cannot specialise (rows of one shape then share one inline cache per column).
 */
const pushRow = new Function(
  "columnValue",
  `return (columns, row) => { ${COLUMNS.map((c, i) => `columns[${i}].push(columnValue(${JSON.stringify(c.lakeType)}, row[${JSON.stringify(c.name)}]));`).join(" ")} };`,
)(columnValue) as (columns: unknown[][], row: Record<string, unknown>) => void;

interface Partition {
  readonly prefix: string;
  readonly index: number;
  /**
   * The buffered rows, column by column (values as the writer takes them): a row object lives only until it is
   * added, so buffered rows are arrays of values rather than ~100k objects for the garbage collector to trace.
   */
  columns: unknown[][];
  rows: number;
  writer?: ParquetWriter;
  sink?: Writer;
}

export class PartitionedParquetWriter {
  private readonly partitions = new Map<string, Partition>();
  private readonly rowGroupRows: number;
  private readonly maxBufferedRows: number;
  private readonly schema = parquetSchema(EventRowSchema);
  private buffered = 0;
  private written = 0;
  private rowGroups = 0;

  constructor(private readonly options: PartitionedParquetOptions) {
    this.rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    this.maxBufferedRows = options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS;
    if (!(this.rowGroupRows >= 1 && this.maxBufferedRows >= this.rowGroupRows)) {
      throw new Error("rowGroupRows must be >= 1 and maxBufferedRows >= rowGroupRows");
    }
  }

  add(keys: PartitionKeys, row: Record<string, unknown>): void {
    const prefix = eventsPartitionPrefix(keys);
    let p = this.partitions.get(prefix);
    if (!p) {
      p = { prefix, index: this.partitions.size + 1, columns: COLUMNS.map(() => []), rows: 0 };
      this.partitions.set(prefix, p);
    }
    pushRow(p.columns, row);
    p.rows++;
    this.buffered++;
    if (p.rows >= this.rowGroupRows) this.flush(p);
    else if (this.buffered >= this.maxBufferedRows) this.flushLargest();
  }

  private flushLargest(): void {
    let largest: Partition | undefined;
    for (const p of this.partitions.values()) if (!largest || p.rows > largest.rows) largest = p;
    if (largest) this.flush(largest);
  }

  private flush(p: Partition): void {
    if (p.rows === 0) return;
    if (!p.writer) {
      p.sink = this.options.open(p.prefix, p.index);
      p.writer = new ParquetWriter({ writer: p.sink, schema: this.schema, createdBy: this.options.createdBy ?? "cloudfront-analytics" });
    }
    // Both writers used here (a file, a byte buffer) write synchronously, so write() returns no promise.
    const columnData = COLUMNS.map((c, i) => ({
      name: c.name,
      data: p.columns[i] as ColumnSource["data"],
      statistics: STATISTICS[i] as boolean,
    }));
    void p.writer.write({ columnData, rowGroupSize: p.rows });
    this.buffered -= p.rows;
    this.written += p.rows;
    this.rowGroups++;
    p.columns = COLUMNS.map(() => []);
    p.rows = 0;
  }

  /** Flush every buffer and finish every file: each partition's prefix and the writer its bytes went to. */
  close(): { partitions: { prefix: string; index: number; sink: Writer }[]; rows: number; rowGroups: number } {
    const partitions: { prefix: string; index: number; sink: Writer }[] = [];
    for (const p of this.partitions.values()) {
      this.flush(p);
      if (p.writer && p.sink) {
        void p.writer.finish();
        partitions.push({ prefix: p.prefix, index: p.index, sink: p.sink });
      }
    }
    return { partitions, rows: this.written, rowGroups: this.rowGroups };
  }
}
