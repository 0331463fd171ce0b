/**
 * Glue catalog forms of a table schema: storage columns, partition keys and
 * the Athena partition-projection parameters. Plain data, no cdktf: the
 * stacks feed it to `aws_glue_catalog_table`, the DDL generator renders it.
 */
import type * as z from "zod";
import { columnsOf, type LakeType } from "../columns";

export interface GlueColumn {
  readonly name: string;
  readonly type: LakeType;
  readonly comment: string;
}

/** Glue/Hive storage columns of a table schema, in order. */
export function glueColumns(schema: z.ZodObject): GlueColumn[] {
  return columnsOf(schema).map((c) => ({ name: c.name, type: c.lakeType, comment: c.description }));
}

/** One partition key and how Athena projects its values (no crawler, no MSCK REPAIR). */
export type PartitionProjection =
  | { readonly name: string; readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly name: string; readonly kind: "integer"; readonly min: number; readonly max: number; readonly digits?: number };

/** A partition key projected as dates, one partition per interval. */
export interface DatePartitionProjection {
  readonly name: string;
  readonly kind: "date";
  /** Java DateTimeFormatter pattern of the path value, e.g. `yyyy/MM/dd` (slashes allowed: the value spans folders). */
  readonly format: string;
  /** Range in `format`, e.g. `2020/01/01,NOW`. */
  readonly range: string;
  /** Days between partitions. */
  readonly intervalDays: number;
  /**
   * The path segment is the bare value (`2024/05/01/`), not `name=value/`: for writers that do not
   * write Hive-style folders, such as AppFlow's date partitions. @default false
   */
  readonly bareValue?: boolean;
}

/** Any partition key the generators render. */
export type TablePartition = PartitionProjection | DatePartitionProjection;

/** Partition columns are strings: their values are the path segments exactly (`month=06`). */
export function gluePartitionKeys(projections: readonly TablePartition[]): GlueColumn[] {
  return projections.map((p) => ({ name: p.name, type: "string", comment: `partition: ${p.name}` }));
}

/** Path of the partitions below a base location (Hive-style `name=value/` unless bareValue), with `${name}` placeholders in key order. */
export function partitionPathTemplate(projections: readonly TablePartition[]): string {
  return projections.map((p) => (p.kind === "date" && p.bareValue ? `\${${p.name}}/` : `${p.name}=\${${p.name}}/`)).join("");
}

/**
 * Table parameters that turn on partition projection. `location` is the
 * table's base location ending in `/`. The returned template contains literal
 * `${...}`: a Terraform caller must escape it (`$${`).
 * @see https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */
export function projectionParameters(location: string, projections: readonly TablePartition[]): Record<string, string> {
  if (!location.endsWith("/")) throw new Error(`table location must end with '/': ${location}`);
  const params: Record<string, string> = { "projection.enabled": "true" };
  for (const p of projections) {
    params[`projection.${p.name}.type`] = p.kind;
    if (p.kind === "enum") {
      params[`projection.${p.name}.values`] = p.values.join(",");
    } else if (p.kind === "date") {
      params[`projection.${p.name}.format`] = p.format;
      params[`projection.${p.name}.range`] = p.range;
      params[`projection.${p.name}.interval`] = String(p.intervalDays);
      params[`projection.${p.name}.interval.unit`] = "DAYS";
    } else {
      params[`projection.${p.name}.range`] = `${p.min},${p.max}`;
      if (p.digits !== undefined) params[`projection.${p.name}.digits`] = String(p.digits);
    }
  }
  params["storage.location.template"] = `${location}${partitionPathTemplate(projections)}`;
  return params;
}

/** Hadoop classes Glue and Athena need for a Parquet table. */
export const PARQUET_STORAGE = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
} as const;
