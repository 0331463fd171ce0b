/**
 * Athena `CREATE EXTERNAL TABLE` DDL for a Parquet table with partition
 * projection, rendered from the same Glue forms the stacks deploy.
 */
import type * as z from "zod";
import { type GlueColumn, glueColumns, gluePartitionKeys, PARQUET_STORAGE, projectionParameters, type TablePartition } from "./glue";

export interface AthenaTableSpec {
  readonly database: string;
  readonly table: string;
  readonly schema: z.ZodObject;
  readonly partitions: readonly TablePartition[];
  /** s3://bucket/prefix/ */
  readonly location: string;
  readonly comment?: string;
}

/** Hive DDL string literal: backslash-escape quotes and backslashes. */
function literal(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe Athena identifier: ${name}`);
  return `\`${name}\``;
}

function columnLines(cols: readonly GlueColumn[], withComment: boolean): string {
  return cols.map((c) => `  ${ident(c.name)} ${c.type}${withComment ? ` COMMENT ${literal(c.comment)}` : ""}`).join(",\n");
}

export function createTableDdl(spec: AthenaTableSpec): string {
  const params = {
    ...projectionParameters(spec.location, spec.partitions),
    "parquet.compression": "SNAPPY",
  };
  const props = Object.entries(params)
    .map(([k, v]) => `  ${literal(k)}=${literal(v)}`)
    .join(",\n");
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${ident(spec.database)}.${ident(spec.table)} (`,
    columnLines(glueColumns(spec.schema), true),
    ")",
    ...(spec.comment ? [`COMMENT ${literal(spec.comment)}`] : []),
    "PARTITIONED BY (",
    columnLines(gluePartitionKeys(spec.partitions), false),
    ")",
    `ROW FORMAT SERDE ${literal(PARQUET_STORAGE.serializationLibrary)}`,
    `STORED AS INPUTFORMAT ${literal(PARQUET_STORAGE.inputFormat)}`,
    `OUTPUTFORMAT ${literal(PARQUET_STORAGE.outputFormat)}`,
    `LOCATION ${literal(spec.location)}`,
    "TBLPROPERTIES (",
    props,
    ");",
    "",
  ].join("\n");
}
