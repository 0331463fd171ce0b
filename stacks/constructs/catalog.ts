/**
 * The lake's Glue catalog: one database and the `events` table, generated
 * from schemas/ only (columns, partition keys, partition projection, Parquet
 * storage). Firehose converts JSON to Parquet with this table's schema and
 * Athena reads it with partition projection, so no crawler and no
 * MSCK REPAIR are needed.
 */
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { GlueCatalogDatabase } from "@cdktf/provider-aws/lib/glue-catalog-database";
import { GlueCatalogTable, type GlueCatalogTableConfig } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { Token } from "cdktf";
import { Construct } from "constructs";
import type * as z from "zod";
import { GLUE_LIMITS } from "../../config/limits";
import {
  EVENT_PARTITIONS,
  EVENTS_TABLE,
  EventRowSchema,
  type GlueColumn,
  glueColumns,
  gluePartitionKeys,
  LAKE_PREFIXES,
  PARQUET_STORAGE,
  projectionParameters,
  type TablePartition,
} from "../../schemas";
import type { IGrantable } from "./iam";

export interface LakeCatalogProps {
  /** Glue database name (lower-case letters, digits and underscores), e.g. from catalogName(config, "analytics"). */
  readonly databaseName: string;
  /** Name of the lake bucket the tables point at. */
  readonly bucketName: string;
  /** Account id: the Glue catalog id in ARNs. */
  readonly accountId: string;
  /** Region of the catalog. */
  readonly region: string;
}

/**
 * Escape literal `${` for Terraform: cdktf passes `${...}` through as an
 * expression, `$${` is a literal. cdktf's own tokens (`${TfToken[...]}`, e.g.
 * the bucket name inside a location) are left alone.
 */
export function escapeTerraformTemplate(value: string): string {
  return value.replace(/\$\{(?!TfToken\[)/g, "$$${");
}

/** Glue rejects column names and comments over 255 characters (API_Column); fail at synth rather than at deploy. */
export function checkGlueColumns(where: string, columns: readonly GlueColumn[]): void {
  for (const c of columns) {
    if (c.name.length > GLUE_LIMITS.columnNameLength) {
      throw new Error(`${where}: column ${c.name}: name longer than ${GLUE_LIMITS.columnNameLength} characters (Glue limit)`);
    }
    if (c.comment.length > GLUE_LIMITS.columnCommentLength) {
      throw new Error(`${where}: column ${c.name}: comment longer than ${GLUE_LIMITS.columnCommentLength} characters (Glue limit)`);
    }
  }
}

export interface ParquetTableSpec {
  readonly name: string;
  readonly databaseName: string;
  readonly description: string;
  /** `s3://bucket/prefix/` */
  readonly location: string;
  /** The zod table schema (built with `col`): the columns. */
  readonly schema: z.ZodObject;
  /** Partition keys and their projection. */
  readonly partitions: readonly TablePartition[];
  /** More table parameters. @default none */
  readonly parameters?: Record<string, string>;
}

/**
 * The configuration of a Parquet Glue table with partition projection,
 * derived from a zod table schema: the one way the lake's Parquet tables are
 * declared. `where` names the construct in synth errors.
 */
export function parquetTableConfig(where: string, spec: ParquetTableSpec): GlueCatalogTableConfig {
  const columns = glueColumns(spec.schema);
  const partitionKeys = gluePartitionKeys(spec.partitions);
  checkGlueColumns(where, [...columns, ...partitionKeys]);
  const projection = projectionParameters(spec.location, spec.partitions);
  return {
    name: spec.name,
    databaseName: spec.databaseName,
    tableType: "EXTERNAL_TABLE",
    description: spec.description,
    parameters: {
      EXTERNAL: "TRUE",
      classification: "parquet",
      ...spec.parameters,
      ...Object.fromEntries(Object.entries(projection).map(([k, v]) => [k, escapeTerraformTemplate(v)])),
    },
    partitionKeys: partitionKeys.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    storageDescriptor: {
      location: spec.location,
      inputFormat: PARQUET_STORAGE.inputFormat,
      outputFormat: PARQUET_STORAGE.outputFormat,
      serDeInfo: { serializationLibrary: PARQUET_STORAGE.serializationLibrary, parameters: { "serialization.format": "1" } },
      columns: columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    },
  };
}

export class LakeCatalog extends Construct {
  readonly database: GlueCatalogDatabase;
  readonly eventsTable: GlueCatalogTable;
  /** ARN of the account's Glue Data Catalog (`arn:<partition>:glue:<region>:<account>:catalog`). */
  readonly catalogArn: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.databaseName) && !/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(`${this.node.path}: databaseName must be lower-case letters, digits and underscores (Athena): ${props.databaseName}`);
    }
    const partition = new DataAwsPartition(this, "partition");
    this.catalogArn = `arn:${partition.partition}:glue:${props.region}:${props.accountId}:catalog`;

    this.database = new GlueCatalogDatabase(this, "database", {
      name: props.databaseName,
      description: "Website analytics lake: CloudFront requests, enriched.",
    });

    this.eventsTable = new GlueCatalogTable(
      this,
      "events",
      parquetTableConfig(this.node.path, {
        name: EVENTS_TABLE,
        databaseName: this.database.name,
        description: "Website requests served by CloudFront, enriched; one row per request.",
        location: `s3://${props.bucketName}/${LAKE_PREFIXES.events}`,
        schema: EventRowSchema,
        partitions: EVENT_PARTITIONS,
        parameters: { "parquet.compression": "SNAPPY" },
      }),
    );
  }

  get databaseName(): string {
    return this.database.name;
  }

  get eventsTableName(): string {
    return this.eventsTable.name;
  }

  /** Read the `events` table's definition (what Firehose needs for format conversion): the catalog, database and table ARNs. */
  grantReadEventsTable(grantee: IGrantable): void {
    grantee.addToPolicy({
      actions: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
      resources: [this.catalogArn, this.database.arn, this.eventsTable.arn],
    });
  }
}
