/**
 * How row values reach the Parquet writer (schemas/generators/parquet.ts): a timestamp goes as its epoch
 * milliseconds, a BigInt, which must give the very file a Date gives (the writer's own TIMESTAMP_MILLIS conversion),
 * statistics included; a string that is not an instant is refused by name.
 */
import { parquetWriteBuffer } from "hyparquet-writer";
import { EventRowSchema } from "../../schemas/event";
import { columnValue, parquetSchema, rowsToColumnData } from "../../schemas/generators/parquet";
import { sampleRow } from "../helpers/events";

describe("columnValue", () => {
  it("gives a timestamp's epoch milliseconds as a BigInt", () => {
    expect(columnValue("timestamp", "2025-06-01T12:00:00.123Z")).toBe(1748779200123n);
    expect(columnValue("timestamp", null)).toBeNull();
  });

  it("refuses a timestamp that is not an instant, naming it", () => {
    expect(() => columnValue("timestamp", "yesterday")).toThrow('not a timestamp: "yesterday"');
  });

  it("writes the same file as Dates would", () => {
    const times = ["2025-06-01T12:00:00.123Z", "2024-02-29T23:59:59.999Z", "2025-06-01T00:00:00.000Z"];
    const rows = times.map((t, i) => ({ ...sampleRow(), event_time: t, request_id: `r${i}` }));
    const schema = parquetSchema(EventRowSchema);
    const columns = rowsToColumnData(EventRowSchema, rows);
    const asDates = columns.map((c) => (c.name === "event_time" ? { ...c, data: times.map((t) => new Date(t)) } : c));
    const bytes = parquetWriteBuffer({ columnData: columns, schema });
    expect(Buffer.from(bytes).equals(Buffer.from(parquetWriteBuffer({ columnData: asDates, schema })))).toBe(true);
  });
});
