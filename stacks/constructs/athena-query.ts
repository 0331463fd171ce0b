/**
 * The query layer in AWS: an Athena workgroup (engine v3, configuration
 * enforced, encrypted results in their own expiring bucket, a per-query scan
 * limit, CloudWatch metrics), the `errors` Glue table over Firehose's error
 * prefix, and every metric of the catalogue (queries/catalogue.ts) as a named
 * query in this workgroup, rendered with the generated database and table names.
 */
import { AthenaNamedQuery } from "@cdktf/provider-aws/lib/athena-named-query";
import { AthenaWorkgroup } from "@cdktf/provider-aws/lib/athena-workgroup";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { ATHENA_LIMITS } from "../../config/athena";
import { CATALOGUE, type Catalogue, checkedCatalogue, findDashboard } from "../../queries/catalogue";
import { querySource, renderQuery } from "../../queries/render";
import { errorsTableSpec } from "../../schemas/errors";
import { LAKE_PREFIXES } from "../../schemas/lake";
import { checkName } from "../names";
import { suppressRule } from "../rules/aspect";
import { glueTableConfig, type LakeCatalog } from "./catalog";
import type { IGrantable } from "./iam";
import { SecureBucket } from "./secure-bucket";

/** Athena engine version 3 (Trino); pinned, so an AUTO upgrade never changes query semantics under the dashboards. */
export const ATHENA_ENGINE_VERSION = "Athena engine version 3";

/** Prefix of query results in the results bucket; the expiry rule covers it. */
export const RESULTS_PREFIX = "results/";

export interface AthenaQueryLayerProps {
  /** Workgroup name ([a-zA-Z0-9._-], 1-128 characters). */
  readonly workgroupName: string;
  /**
   * The Glue database name as a plain string: it is written into the named queries' SQL text.
   * Must be the name of `catalog`'s database.
   */
  readonly databaseName: string;
  /** The lake's catalog (database and `events` table); the errors table joins its database. */
  readonly catalog: LakeCatalog;
  /** The lake bucket (the errors table reads its error prefix). */
  readonly lake: SecureBucket;
  /** Name of the bucket that receives query results. */
  readonly resultsBucketName: string;
  /** Account that must own the results bucket (Athena checks it before writing). */
  readonly accountId: string;
  /** Bytes one query may scan before Athena cancels it; >= 10 MiB. */
  readonly bytesScannedCutoffPerQuery: number;
  /** Days results are kept. */
  readonly resultsExpirationDays: number;
  /** Days the named queries look back. */
  readonly queryWindowDays: number;
  /** Let `terraform destroy` delete a results bucket that still holds results. @default false */
  readonly forceDestroyResults?: boolean;
  /** The metrics published as named queries, one per metric. @default CATALOGUE (queries/catalogue.ts) */
  readonly catalogue?: Catalogue;
}

export class AthenaQueryLayer extends Construct {
  readonly workgroup: AthenaWorkgroup;
  readonly results: SecureBucket;
  readonly errorsTable: GlueCatalogTable;
  /** Named queries by metric id (queries/catalogue.ts). */
  readonly namedQueries: Readonly<Record<string, AthenaNamedQuery>>;
  private readonly catalog: LakeCatalog;
  private readonly lake: SecureBucket;

  constructor(scope: Construct, id: string, props: AthenaQueryLayerProps) {
    super(scope, id);
    this.catalog = props.catalog;
    this.lake = props.lake;
    const where = this.node.path;
    checkName("athenaWorkgroup", props.workgroupName, this);
    if (Token.isUnresolved(props.databaseName)) {
      throw new Error(`${where}: databaseName must be a plain string: it is written into the named queries' SQL`);
    }
    if (!Token.isUnresolved(props.bytesScannedCutoffPerQuery) && props.bytesScannedCutoffPerQuery < ATHENA_LIMITS.minBytesScannedCutoff) {
      throw new Error(
        `${where}: athena.bytesScannedCutoffPerQuery must be at least ${ATHENA_LIMITS.minBytesScannedCutoff} (10 MiB, Athena's minimum): ${props.bytesScannedCutoffPerQuery}`,
      );
    }

    this.results = new SecureBucket(this, "results", {
      bucketName: props.resultsBucketName,
      versioned: false,
      forceDestroy: props.forceDestroyResults ?? false,
      expiryRules: [{ id: "expire-query-results", prefix: RESULTS_PREFIX, expireAfterDays: props.resultsExpirationDays }],
    });
    suppressRule(
      this.results,
      "S3-VERSIONING",
      "query results are disposable copies that expire within days; old versions would only keep them longer",
    );

    this.workgroup = new AthenaWorkgroup(this, "workgroup", {
      name: props.workgroupName,
      description: "Website analytics: dashboard queries over the lake.",
      state: "ENABLED",
      configuration: {
        // Enforced: a client cannot turn off result encryption, move results elsewhere or lift the scan limit.
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        resultConfiguration: {
          outputLocation: `s3://${this.results.name}/${RESULTS_PREFIX}`,
          expectedBucketOwner: props.accountId,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });

    // The table over Firehose's error prefix, from its one spec (schemas/errors.ts).
    this.errorsTable = new GlueCatalogTable(
      this,
      "errors",
      glueTableConfig(where, errorsTableSpec(props.catalog.databaseName, props.lake.name)),
    );

    const namedQueries: Record<string, AthenaNamedQuery> = {};
    const catalogue = checkedCatalogue(props.catalogue ?? CATALOGUE);
    for (const q of catalogue.metrics) {
      const sql = renderQuery(q, { database: props.databaseName }, { lastDays: props.queryWindowDays });
      const name = `${findDashboard(catalogue, q.dashboard).title}: ${q.title}`;
      const description = firstComment(querySource(q)) ?? q.title;
      if (name.length > ATHENA_LIMITS.namedQueryName)
        throw new Error(`${where}: named query name over ${ATHENA_LIMITS.namedQueryName} characters: ${name}`);
      if (description.length > ATHENA_LIMITS.namedQueryDescription)
        throw new Error(`${where}: ${q.id}: description over ${ATHENA_LIMITS.namedQueryDescription} characters`);
      if (sql.length > ATHENA_LIMITS.namedQueryString)
        throw new Error(`${where}: ${q.id}: query over ${ATHENA_LIMITS.namedQueryString} characters`);
      namedQueries[q.id] = new AthenaNamedQuery(this, `query-${q.id}`, {
        name,
        description,
        // The database reference (not the plain name) orders creation after the database and its tables.
        database: props.catalog.databaseName,
        workgroup: this.workgroup.name,
        query: sql,
        dependsOn: [this.errorsTable, props.catalog.eventsTable, ...props.catalog.rollupTableList],
      });
    }
    this.namedQueries = namedQueries;
  }

  get workgroupName(): string {
    return this.workgroup.name;
  }

  /**
   * Run queries in this workgroup and read their results: Athena on the workgroup, Glue reads of the database and
   * its `events`, `errors` and rollup tables, the lake's events, errors and rollups, and the results bucket.
   */
  grantQuery(grantee: IGrantable): void {
    grantee.addToPolicy(
      {
        actions: [
          "athena:StartQueryExecution",
          "athena:StopQueryExecution",
          "athena:GetQueryExecution",
          "athena:GetQueryResults",
          "athena:GetWorkGroup",
          "athena:GetNamedQuery",
          "athena:BatchGetNamedQuery",
          "athena:ListNamedQueries",
        ],
        resources: [this.workgroup.arn],
      },
      {
        actions: ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
        resources: [
          this.catalog.catalogArn,
          this.catalog.database.arn,
          this.catalog.eventsTable.arn,
          this.errorsTable.arn,
          ...this.catalog.rollupTableList.map((t) => t.arn),
        ],
      },
    );
    this.lake.grantRead(grantee, LAKE_PREFIXES.events, LAKE_PREFIXES.errors, LAKE_PREFIXES.rollups);
    this.results.grantRead(grantee, RESULTS_PREFIX);
    this.results.grantWrite(grantee, RESULTS_PREFIX);
  }
}

/** The first line of the SQL file's leading `--` comment: the query's description. */
function firstComment(sql: string): string | undefined {
  const m = /^--\s*(.+)$/m.exec(sql.trimStart());
  return m?.[1]?.trim();
}
