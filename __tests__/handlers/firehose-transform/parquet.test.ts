/**
 * Every Ok output of the fixtures, written to a hive-partitioned Parquet lake
 * with hyparquet-writer (the schema derived from EventRowSchema) and read back
 * by an independent reader (DuckDB), equals what the handler emitted: values,
 * nulls, timestamps and partition keys.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { FirehoseRecordOut } from "../../../handlers/firehose-transform/processor";
import {
  columnsOf,
  type EventRow,
  EventRowSchema,
  PARTITION_KEYS,
  type PartitionKeys,
  parquetSchema,
  rowsToColumnData,
} from "../../../schemas";
import { duckQuery } from "../../helpers/duckdb";
import { FIXTURES, RANGE_DOC_SIZE } from "../../helpers/firehose-fixtures";
import { loadFixture, processor, rowOf } from "./load";

const BIGINT_COLUMNS = columnsOf(EventRowSchema)
  .filter((c) => c.lakeType === "bigint")
  .map((c) => c.name);

describe("transform output as Parquet", () => {
  it("every Ok row of every fixture round-trips through hyparquet-writer and DuckDB unchanged", async () => {
    // Prepare: run every fixture, keep the Ok outputs.
    const p = await processor({ config: { documentSizes: { "docs/product-guide": RANGE_DOC_SIZE }, privacy: { storeIpPrefix: true } } });
    const ok: FirehoseRecordOut[] = Object.keys(FIXTURES).flatMap((name) =>
      p.processRecords(loadFixture(name).records).records.filter((r) => r.result === "Ok"),
    );
    expect(ok.length).toBeGreaterThan(30);

    // Act: one Parquet file per partition, laid out as Firehose's prefix lays them out.
    const lake = mkdtempSync(path.join(tmpdir(), "transform-lake-"));
    const partitions = new Map<string, { keys: PartitionKeys; rows: EventRow[] }>();
    for (const out of ok) {
      const keys = out.metadata?.partitionKeys as PartitionKeys;
      const dir = PARTITION_KEYS.map((k) => `${k}=${keys[k]}`).join("/");
      const entry = partitions.get(dir) ?? { keys, rows: [] };
      entry.rows.push(rowOf(out));
      partitions.set(dir, entry);
    }
    for (const [dir, { rows }] of partitions) {
      mkdirSync(path.join(lake, "events", dir), { recursive: true });
      const buffer = parquetWriteBuffer({ columnData: rowsToColumnData(EventRowSchema, rows), schema: parquetSchema(EventRowSchema) });
      writeFileSync(path.join(lake, "events", dir, "part-0.parquet"), Buffer.from(buffer));
    }
    const back = await duckQuery(
      `SELECT * REPLACE (strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS event_time)
       FROM read_parquet('${lake}/events/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)
       ORDER BY request_id, event_time`,
    );

    // Assess: the same rows, with the partition keys of their outputs.
    const expected = ok
      .map((out) => ({ ...rowOf(out), ...(out.metadata?.partitionKeys as PartitionKeys) }))
      .sort((a, b) => (a.request_id < b.request_id ? -1 : a.request_id > b.request_id ? 1 : a.event_time < b.event_time ? -1 : 1));
    const actual = back.map((r) => {
      const row: Record<string, unknown> = { ...r };
      for (const c of BIGINT_COLUMNS) row[c] = r[c] === null ? null : Number(r[c]);
      return row;
    });
    expect(actual).toHaveLength(expected.length);
    expect(actual).toEqual(expected);
    // The opt-in prefix is there, and it is a network, never an address.
    expect(actual.some((r) => typeof r.ip_prefix === "string" && /\.0\/24$/.test(r.ip_prefix))).toBe(true);
    expect(actual.some((r) => typeof r.ip_prefix === "string" && /::\/48$/.test(r.ip_prefix))).toBe(true);
  });
});
