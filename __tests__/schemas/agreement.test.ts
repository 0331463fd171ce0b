/**
 * One schema, many outputs: the columns the handler's rows carry, the Glue
 * columns, the Athena DDL and a Parquet file written with hyparquet-writer and
 * read back by DuckDB must agree on names, order and types.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import * as z from "zod";
import {
  col,
  columnsOf,
  createTableDdl,
  EVENT_PARTITIONS,
  EventRowSchema,
  eventsTableSpec,
  glueColumns,
  type LakeType,
  parquetSchema,
  rowsToColumnData,
} from "../../schemas";
import { duckQuery } from "../helpers/duckdb";
import { sampleRow } from "../helpers/events";

/** How DuckDB names each lake type when it reads our Parquet. */
const DUCKDB_TYPE: Record<LakeType, string> = {
  string: "VARCHAR",
  int: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP WITH TIME ZONE",
};

function writeParquet(schema: z.ZodObject, rows: Record<string, unknown>[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "agreement-"));
  const file = path.join(dir, "part-0.parquet");
  const buffer = parquetWriteBuffer({ columnData: rowsToColumnData(schema, rows), schema: parquetSchema(schema) });
  writeFileSync(file, Buffer.from(buffer));
  return file;
}

/** Column names and types of the DDL's column list (before PARTITIONED BY). */
function ddlColumns(ddl: string): { name: string; type: string }[] {
  const body = ddl.slice(ddl.indexOf("(") + 1, ddl.indexOf("\n)"));
  return [...body.matchAll(/^ {2}`([a-z0-9_]+)` ([a-z]+)/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }));
}

describe("schema agreement", () => {
  const rows = [
    sampleRow(),
    sampleRow({
      request_id: "req-2",
      event_time: "2025-01-01T00:00:00.000Z",
      status: 206,
      range_start: 0,
      range_end: 1023,
      asn: null,
      is_bot: true,
      bot_reason: "isbot",
    }),
  ];

  it("rows the handler would emit validate and carry exactly the Glue columns, in order", () => {
    for (const row of rows) expect(EventRowSchema.parse(row)).toEqual(row);
    expect(Object.keys(rows[0] as object)).toEqual(glueColumns(EventRowSchema).map((c) => c.name));
  });

  it("DuckDB reads the hyparquet-writer file with the Glue columns' names, order and compatible types", async () => {
    // Prepare
    const file = writeParquet(EventRowSchema, rows);
    // Act
    const described = await duckQuery(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    // Assess
    expect(described.map((d) => d.column_name)).toEqual(glueColumns(EventRowSchema).map((c) => c.name));
    expect(described.map((d) => d.column_type)).toEqual(glueColumns(EventRowSchema).map((c) => DUCKDB_TYPE[c.type]));
  });

  it("DuckDB reads back the values the handler wrote", async () => {
    const file = writeParquet(EventRowSchema, rows);
    const back = await duckQuery(
      `SELECT * REPLACE (strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS event_time) FROM read_parquet('${file}') ORDER BY request_id`,
    );
    expect(
      back.map((r) => ({
        ...r,
        bytes_sent: r.bytes_sent === null ? null : Number(r.bytes_sent),
        range_start: r.range_start === null ? null : Number(r.range_start),
        range_end: r.range_end === null ? null : Number(r.range_end),
        asn: r.asn === null ? null : Number(r.asn),
      })),
    ).toEqual(rows);
  });

  it("writes event_time as INT64 with the TIMESTAMP logical type (UTC, millis), never a bare number", async () => {
    const file = writeParquet(EventRowSchema, rows);
    const [meta] = await duckQuery(`SELECT type, logical_type FROM parquet_schema('${file}') WHERE name = 'event_time'`);
    expect(meta?.type).toBe("INT64");
    expect(String(meta?.logical_type)).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
  });

  it("the DDL lists the Glue columns with their types, and the partition keys separately", () => {
    const ddl = createTableDdl(eventsTableSpec("analytics", "lake-bucket"));
    expect(ddlColumns(ddl)).toEqual(glueColumns(EventRowSchema).map((c) => ({ name: c.name, type: c.type })));
    for (const p of EVENT_PARTITIONS) expect(ddl).toContain(`  \`${p.name}\` string`);
    expect(ddlColumns(ddl).map((c) => c.name)).not.toContain("event_type");
  });

  it("renaming or retyping one field changes the Glue columns, the DDL and the Parquet schema with no other edit", () => {
    // Prepare: the same schema with `status` renamed and `asn` retyped.
    const { status, asn, ...rest } = EventRowSchema.shape;
    const changed = z.strictObject({ ...rest, http_status: status, asn: col.string("asn as text") });
    // Act
    const glue = glueColumns(changed);
    const parquet = parquetSchema(changed);
    const ddl = createTableDdl({ ...eventsTableSpec("analytics", "lake-bucket"), schema: changed });
    // Assess
    expect(glue.map((c) => c.name)).toContain("http_status");
    expect(glue.map((c) => c.name)).not.toContain("status");
    expect(glue.find((c) => c.name === "asn")?.type).toBe("string");
    expect(parquet.map((p) => p.name)).toContain("http_status");
    expect(parquet.find((p) => p.name === "asn")?.type).toBe("BYTE_ARRAY");
    expect(ddl).toContain("`http_status` int");
    expect(ddl).toContain("`asn` string");
    expect(ddl).not.toMatch(/`status` int/);
  });

  it("refuses a column built without a lake type", () => {
    const plain = z.strictObject({ a: z.string() });
    expect(() => columnsOf(plain)).toThrow(/column a was not built with col/);
  });

  it("rejects a row with an unknown column, a wrong type or a bad timestamp", () => {
    expect(EventRowSchema.safeParse({ ...sampleRow(), extra: 1 }).success).toBe(false);
    expect(EventRowSchema.safeParse({ ...sampleRow(), status: "200" }).success).toBe(false);
    expect(EventRowSchema.safeParse({ ...sampleRow(), event_time: "2024-02-30T00:00:00.000Z" }).success).toBe(false);
    expect(EventRowSchema.safeParse({ ...sampleRow(), event_time: "1717243200" }).success).toBe(false);
  });
});
