/**
 * Writes the records the transform failed the way Firehose does: one JSON
 * object per line, with the original bytes in base64, under the error prefix
 * `errors/<error-output-type>/year=../month=../day=../` of the record's
 * arrival day (schemas/errors.ts derives the path from Firehose's prefix).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { errorJsonLine, errorPrefixFor } from "../handlers/shared/error-records";
import type { ErrorOutputType, ErrorRecord } from "../schemas/errors";

interface Partition {
  readonly file: string;
  lines: string[];
  bytes: number;
}

export class ErrorsWriter {
  private readonly partitions = new Map<string, Partition>();
  private count = 0;

  constructor(
    readonly lakeDir: string,
    private readonly runId = new Date().toISOString().replace(/[-:.TZ]/g, ""),
    private readonly flushBytes = 1 << 20,
  ) {}

  add(type: ErrorOutputType, record: ErrorRecord): void {
    const prefix = errorPrefixFor(type, record.arrival_timestamp as number);
    let p = this.partitions.get(prefix);
    if (!p) {
      p = { file: path.join(this.lakeDir, prefix, `local-${this.runId}-${this.partitions.size + 1}`), lines: [], bytes: 0 };
      mkdirSync(path.dirname(p.file), { recursive: true });
      this.partitions.set(prefix, p);
    }
    const line = errorJsonLine(record);
    p.lines.push(line);
    p.bytes += line.length;
    this.count++;
    if (p.bytes >= this.flushBytes) this.flush(p);
  }

  private flush(p: Partition): void {
    if (p.lines.length === 0) return;
    appendFileSync(p.file, `${p.lines.join("\n")}\n`);
    p.lines = [];
    p.bytes = 0;
  }

  close(): { files: string[]; records: number } {
    for (const p of this.partitions.values()) this.flush(p);
    return { files: [...this.partitions.values()].map((p) => p.file), records: this.count };
  }
}
