/**
 * JSON Schema of a table for the Python side (Glue job tests): the zod
 * schema's JSON Schema plus each column's lake type under `x-lake-type` and
 * the partition keys, so pytest can check a compacted file without reading TypeScript.
 */
import * as z from "zod";
import { columnsOf } from "../columns";
import type { PartitionProjection } from "./glue";

export function tableJsonSchema(title: string, schema: z.ZodObject, partitions: readonly PartitionProjection[]) {
  const base = z.toJSONSchema(schema, { target: "draft-2020-12" }) as Record<string, unknown> & {
    properties: Record<string, Record<string, unknown>>;
  };
  for (const c of columnsOf(schema)) {
    const prop = base.properties[c.name];
    if (prop) {
      prop["x-lake-type"] = c.lakeType;
      prop.description = c.description;
    }
  }
  return {
    ...base,
    title,
    "x-column-order": columnsOf(schema).map((c) => c.name),
    "x-partition-keys": partitions,
  };
}
