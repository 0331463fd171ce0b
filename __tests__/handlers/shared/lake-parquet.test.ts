/**
 * The lake's Parquet writer (handlers/shared/lake-parquet.ts), read back by DuckDB: min/max statistics on the
 * columns that can skip a row group (numbers, timestamps, booleans) and none on free-text strings.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ByteWriter } from "hyparquet-writer";
import { PartitionedParquetWriter } from "../../../handlers/shared/lake-parquet";
import { columnsOf, EventRowSchema, partitionKeysFor } from "../../../schemas";
import { duckQuery } from "../../helpers/duckdb";
import { sampleRow } from "../../helpers/events";

describe("PartitionedParquetWriter", () => {
  it("writes min/max statistics for number, timestamp and boolean columns, none for string columns", async () => {
    // Prepare: rows whose string, number and time values all differ.
    const sinks = new Map<string, ByteWriter>();
    const writer = new PartitionedParquetWriter({
      open: (prefix) => {
        const w = new ByteWriter();
        sinks.set(prefix, w);
        return w;
      },
    });
    const keys = partitionKeysFor("page_view", new Date("2025-06-01T00:00:00Z"));
    for (let i = 0; i < 20; i++) {
      writer.add(keys, { ...sampleRow(), request_id: `r-${i}`, event_time: `2025-06-01T12:00:${String(i).padStart(2, "0")}.000Z` });
    }
    // Act
    const { partitions } = writer.close();
    const file = path.join(mkdtempSync(path.join(tmpdir(), "lake-parquet-")), "part.parquet");
    writeFileSync(file, new Uint8Array((sinks.get(partitions[0]?.prefix as string) as ByteWriter).getBuffer()));
    const meta = await duckQuery(
      `SELECT path_in_schema AS name, stats_min_value AS stats_min, stats_max_value AS stats_max FROM parquet_metadata('${file}')`,
    );
    // Assess
    const stats = new Map(meta.map((m) => [m.name as string, m.stats_min !== null && m.stats_max !== null]));
    const columns = columnsOf(EventRowSchema);
    expect([...stats.keys()].sort()).toEqual(columns.map((c) => c.name).sort());
    for (const c of columns) {
      const row = sampleRow() as Record<string, unknown>;
      // A column whose every value is null has no min or max whatever the writer is asked.
      if (c.name !== "event_time" && row[c.name] === null) continue;
      expect([c.name, stats.get(c.name)]).toEqual([c.name, c.lakeType !== "string"]);
    }
    expect(stats.get("event_time")).toBe(true);
    expect(stats.get("request_id")).toBe(false);
  });
});
