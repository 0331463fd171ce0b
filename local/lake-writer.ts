/**
 * Writes lake rows the way Firehose lays them out in S3, on a local disk: the
 * core Parquet writer (handlers/shared/lake-parquet.ts) with one file per
 * partition, named by the run.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ByteWriter, type Writer } from "hyparquet-writer";
import { PartitionedParquetWriter } from "../handlers/shared/lake-parquet";
import type { PartitionKeys } from "../schemas/event";

export { eventsPartitionPrefix } from "../handlers/shared/lake-parquet";

/** What a partition's file keeps in memory between its row groups. */
const IDLE_BUFFER_BYTES = 1 << 16;

/**
 * A Parquet file written a row group at a time: the writer calls `flush` after each row group, which appends it to
 * the file and lets its buffer go. hyparquet-writer's own fileWriter keeps each file's grown buffer (megabytes) for
 * the whole run, and a run has a file open per partition in each worker.
 */
function fileSink(file: string): Writer {
  const w: ByteWriter & Pick<Writer, "flush"> = new ByteWriter(IDLE_BUFFER_BYTES);
  writeFileSync(file, "");
  const append = () => {
    if (w.index > 0) appendFileSync(file, new Uint8Array(w.buffer, 0, w.index));
    w.index = 0;
  };
  w.flush = () => {
    append();
    if (w.buffer.byteLength > IDLE_BUFFER_BYTES) {
      w.buffer = new ArrayBuffer(IDLE_BUFFER_BYTES);
      w.view = new DataView(w.buffer);
    }
  };
  w.finish = append;
  return w;
}

export interface LakeWriterOptions {
  /** Rows per row group (at most). @default DEFAULT_ROW_GROUP_ROWS */
  readonly rowGroupRows?: number;
  /** Rows buffered across all partitions before the largest buffer is flushed. @default DEFAULT_MAX_BUFFERED_ROWS */
  readonly maxBufferedRows?: number;
  /** Distinguishes this run's files from other runs' in the same partition. @default a timestamp */
  readonly runId?: string;
}

export class LakeWriter {
  private readonly parquet: PartitionedParquetWriter;
  private readonly files = new Map<string, string>();

  constructor(
    readonly lakeDir: string,
    options: LakeWriterOptions = {},
  ) {
    const runId = options.runId ?? new Date().toISOString().replace(/[-:.TZ]/g, "");
    this.parquet = new PartitionedParquetWriter({
      rowGroupRows: options.rowGroupRows,
      maxBufferedRows: options.maxBufferedRows,
      createdBy: "cloudfront-analytics local runner",
      open: (prefix, index) => {
        const file = path.join(lakeDir, prefix, `local-${runId}-${index}.parquet`);
        mkdirSync(path.dirname(file), { recursive: true });
        this.files.set(prefix, file);
        return fileSink(file);
      },
    });
  }

  add(keys: PartitionKeys, row: Record<string, unknown>): void {
    this.parquet.add(keys, row);
  }

  /** Flush every buffer and finish every file. */
  close(): { files: string[]; rows: number; rowGroups: number } {
    const { partitions, rows, rowGroups } = this.parquet.close();
    return { files: partitions.map((p) => this.files.get(p.prefix) as string), rows, rowGroups };
  }
}
