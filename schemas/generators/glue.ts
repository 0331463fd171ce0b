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

/** The UTC date field a partition value is, for writers that derive it from an event time (the compaction job). */
export type DatePart = "year" | "month" | "day";

/**
 * One partition key and how Athena projects its values (no crawler, no MSCK REPAIR).
 * `bareValue`: the path segment is the bare value (`processing-failed/`), not `name=value/`, for writers
 * that do not write Hive-style folders (Firehose's error-output-type). @default false
 */
export type PartitionProjection =
  | { readonly name: string; readonly kind: "enum"; readonly values: readonly string[]; readonly bareValue?: boolean }
  | {
      readonly name: string;
      readonly kind: "integer";
      readonly min: number;
      readonly max: number;
      readonly digits?: number;
      /** Which UTC date field of the row's time the value is. @default not a date part */
      readonly datePart?: DatePart;
    };

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
  return projections.map((p) => ("bareValue" in p && p.bareValue ? `\${${p.name}}/` : `${p.name}=\${${p.name}}/`)).join("");
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

/** How a table's files are stored: what Glue, Athena and Firehose's format conversion need to read them. */
export interface TableStorage {
  /** The `classification` table parameter (Glue's file format tag). */
  readonly classification: string;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serializationLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
  /** More table parameters the format implies. @default none */
  readonly tableParameters?: Readonly<Record<string, string>>;
}

/** Hadoop classes Glue and Athena need for a Parquet table; Snappy is what Firehose and the compaction job write. */
export const PARQUET_STORAGE: TableStorage = {
  classification: "parquet",
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
  serdeParameters: { "serialization.format": "1" },
  tableParameters: { "parquet.compression": "SNAPPY" },
};

/**
 * One table of the lake, specified once: the Glue table the stacks deploy, the Athena DDL and the
 * local runner all derive from it (see {@link glueTableDefinition}).
 */
export interface TableSpec {
  readonly database: string;
  readonly table: string;
  /** The zod table schema (built with `col`): the columns, in order. */
  readonly schema: z.ZodObject;
  readonly partitions: readonly TablePartition[];
  /** `s3://bucket/prefix/` */
  readonly location: string;
  /** What the table holds: the Glue description and the DDL's COMMENT. */
  readonly comment: string;
  readonly storage: TableStorage;
}

/** A table's Glue catalog definition as plain data: what `aws_glue_catalog_table` takes and the DDL renders. */
export interface GlueTableDefinition {
  readonly database: string;
  readonly name: string;
  readonly description: string;
  readonly location: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  /** Table parameters: EXTERNAL, classification, the format's own and partition projection (with literal `${...}`). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serializationLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
}

export function glueTableDefinition(spec: TableSpec): GlueTableDefinition {
  return {
    database: spec.database,
    name: spec.table,
    description: spec.comment,
    location: spec.location,
    columns: glueColumns(spec.schema),
    partitionKeys: gluePartitionKeys(spec.partitions),
    parameters: {
      EXTERNAL: "TRUE",
      classification: spec.storage.classification,
      ...spec.storage.tableParameters,
      ...projectionParameters(spec.location, spec.partitions),
    },
    inputFormat: spec.storage.inputFormat,
    outputFormat: spec.storage.outputFormat,
    serializationLibrary: spec.storage.serializationLibrary,
    serdeParameters: spec.storage.serdeParameters,
  };
}
