/**
 * Parquet schema of a table schema, for hyparquet-writer, and the conversion
 * of validated rows into its column arrays.
 *
 * Timestamps are INT64 with the TIMESTAMP logical type (UTC, millis), which
 * Athena engine v3 reads as `timestamp`; never a bare epoch number. Every
 * column is OPTIONAL, as in the files Firehose writes, so local files and
 * Firehose files of one partition share one schema.
 */
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import type * as z from "zod";
import { columnsOf, type LakeType } from "../columns";

type Leaf = Omit<SchemaElement, "name">;

const LEAF: Record<LakeType, Leaf> = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
  int: { type: "INT32" },
  bigint: { type: "INT64" },
  double: { type: "DOUBLE" },
  boolean: { type: "BOOLEAN" },
  timestamp: {
    type: "INT64",
    converted_type: "TIMESTAMP_MILLIS",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
  },
};

export function parquetSchema(schema: z.ZodObject): SchemaElement[] {
  const cols = columnsOf(schema);
  return [
    { name: "root", num_children: cols.length },
    ...cols.map((c): SchemaElement => ({ name: c.name, repetition_type: "OPTIONAL", ...LEAF[c.lakeType] })),
  ];
}

/**
 * One value of a row (as the handler emits it) as hyparquet-writer takes it: timestamps become their epoch
 * milliseconds as BigInts (what the writer makes of a Date for TIMESTAMP_MILLIS, so the file is the same; a Date
 * cost a Date and, for the statistics, an array and a BigInt per value), bigints BigInts.
 */
export function columnValue(lakeType: LakeType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (lakeType === "timestamp") return timestampMillis(v as string);
  if (lakeType === "bigint") return BigInt(v as number);
  return v;
}

/** An ISO instant's epoch milliseconds as a BigInt; one that is not an instant throws (a Date would fail later). */
function timestampMillis(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${JSON.stringify(iso)}`);
  return BigInt(ms);
}

/** Rows (as the handler emits them) to hyparquet-writer column data (see columnValue). */
export function rowsToColumnData(schema: z.ZodObject, rows: readonly Record<string, unknown>[]): ColumnSource[] {
  return columnsOf(schema).map((c) => {
    const data: unknown[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = columnValue(c.lakeType, (rows[i] as Record<string, unknown>)[c.name]);
    return { name: c.name, data: data as ColumnSource["data"] };
  });
}
