/**
 * The lake's Glue catalog: one database, the `events` table and one `rollup_<name>` table per daily rollup,
 * derived from their specs in schemas/lake.ts and schemas/rollups.ts only (columns, partition keys, partition
 * projection, Parquet storage). Firehose converts JSON to Parquet with this table's schema and
 * Athena reads it with partition projection, so no crawler and no
 * MSCK REPAIR are needed.
 */
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { GlueCatalogDatabase } from "@cdktf/provider-aws/lib/glue-catalog-database";
import { GlueCatalogTable, type GlueCatalogTableConfig } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { Construct } from "constructs";
import { GLUE_LIMITS } from "../../config/limits";
import { eventsTableSpec, type GlueColumn, glueTableDefinition, type TableSpec } from "../../schemas";
import { ROLLUP_NAMES, type RollupName, rollupTableSpec } from "../../schemas/rollups";
import { checkName } from "../names";
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

const column = (c: GlueColumn) => ({ name: c.name, type: c.type, comment: c.comment });

/**
 * The `aws_glue_catalog_table` configuration of a table spec (schemas/): the one way the lake's
 * tables are declared, so the deployed table and the generated DDL come from the same definition.
 * `where` names the construct in synth errors.
 */
export function glueTableConfig(where: string, spec: TableSpec): GlueCatalogTableConfig {
  const def = glueTableDefinition(spec);
  checkGlueColumns(where, [...def.columns, ...def.partitionKeys]);
  return {
    name: checkName("glueCatalog", def.name, where),
    databaseName: def.database,
    tableType: "EXTERNAL_TABLE",
    description: def.description,
    parameters: Object.fromEntries(Object.entries(def.parameters).map(([k, v]) => [k, escapeTerraformTemplate(v)])),
    partitionKeys: def.partitionKeys.map(column),
    storageDescriptor: {
      location: def.location,
      inputFormat: def.inputFormat,
      outputFormat: def.outputFormat,
      serDeInfo: { serializationLibrary: def.serializationLibrary, parameters: { ...def.serdeParameters } },
      columns: def.columns.map(column),
    },
  };
}

export class LakeCatalog extends Construct {
  readonly database: GlueCatalogDatabase;
  readonly eventsTable: GlueCatalogTable;
  /** The daily rollup tables (the daily job writes them after compaction; the dashboards read them for closed days). */
  readonly rollupTables: Readonly<Record<RollupName, GlueCatalogTable>>;
  /** ARN of the account's Glue Data Catalog (`arn:<partition>:glue:<region>:<account>:catalog`). */
  readonly catalogArn: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    checkName("glueCatalog", props.databaseName, this);
    const partition = new DataAwsPartition(this, "partition");
    this.catalogArn = `arn:${partition.partition}:glue:${props.region}:${props.accountId}:catalog`;

    this.database = new GlueCatalogDatabase(this, "database", {
      name: props.databaseName,
      description: "Website analytics lake: CloudFront requests, enriched.",
    });

    this.eventsTable = new GlueCatalogTable(
      this,
      "events",
      glueTableConfig(this.node.path, eventsTableSpec(this.database.name, props.bucketName)),
    );
    this.rollupTables = Object.fromEntries(
      ROLLUP_NAMES.map((name) => [
        name,
        new GlueCatalogTable(
          this,
          `rollup-${name}`,
          glueTableConfig(this.node.path, rollupTableSpec(this.database.name, props.bucketName, name)),
        ),
      ]),
    ) as Record<RollupName, GlueCatalogTable>;
  }

  /** The rollup tables, in schemas/rollups.ts order. */
  get rollupTableList(): GlueCatalogTable[] {
    return ROLLUP_NAMES.map((name) => this.rollupTables[name]);
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
