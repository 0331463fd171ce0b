/**
 * Athena `CREATE EXTERNAL TABLE` DDL for a Parquet table with partition
 * projection, rendered from the same Glue forms the stacks deploy.
 */
import { type GlueColumn, glueTableDefinition, type TableSpec } from "./glue";

/** The spec of one table: the same object the stacks deploy the Glue table from. */
export type AthenaTableSpec = TableSpec;

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

function properties(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `  ${literal(k)}=${literal(v)}`)
    .join(",\n");
}

/** `CREATE EXTERNAL TABLE` for a table spec, rendered from its Glue definition (so the two cannot drift). */
export function createTableDdl(spec: TableSpec): string {
  const def = glueTableDefinition(spec);
  // EXTERNAL is the DDL's own keyword, not a property.
  const { EXTERNAL: _external, ...tableProperties } = def.parameters;
  const serde = Object.keys(def.serdeParameters).length > 0 ? ["WITH SERDEPROPERTIES (", properties(def.serdeParameters), ")"] : [];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${ident(def.database)}.${ident(def.name)} (`,
    columnLines(def.columns, true),
    ")",
    `COMMENT ${literal(def.description)}`,
    "PARTITIONED BY (",
    columnLines(def.partitionKeys, false),
    ")",
    `ROW FORMAT SERDE ${literal(def.serializationLibrary)}`,
    ...serde,
    `STORED AS INPUTFORMAT ${literal(def.inputFormat)}`,
    `OUTPUTFORMAT ${literal(def.outputFormat)}`,
    `LOCATION ${literal(def.location)}`,
    "TBLPROPERTIES (",
    properties(tableProperties),
    ");",
    "",
  ].join("\n");
}
