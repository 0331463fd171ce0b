/**
 * The data plane: the lake bucket (and, as later components land, the
 * catalog, the Firehose ingestion, the query layer and compaction).
 */
import type { Construct } from "constructs";
import { gaImportStatus } from "../config/ga";
import type { EnvironmentConfig } from "../config/schema";
import type { Catalogue } from "../queries/catalogue";
import { GA_FLOW_SUFFIX, LAKE_PREFIXES } from "../schemas";
import { AnalyticsStack } from "./base-stack";
import { AthenaQueryLayer } from "./constructs/athena-query";
import { LakeCatalog } from "./constructs/catalog";
import { CompactionJob } from "./constructs/compaction-job";
import { announceGaImport, GaImport } from "./constructs/ga-import";
import { Ingestion, type KinesisSource } from "./constructs/ingestion";
import { LogFileIngestion } from "./constructs/log-file-ingestion";
import { alarmTopicName } from "./constructs/monitoring";
import { OperationsKey } from "./constructs/operations-key";
import { SecureBucket } from "./constructs/secure-bucket";
import type { LogFileSource } from "./constructs/standard-logs";
import { accountBucketName, catalogName, resourceName } from "./names";
import { opsNamePrefix, partitionOf } from "./ops-stack";

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  /**
   * Where the events come from and the transform's code. createStacks always sets it
   * (the edge stack's Kinesis stream); tests of other components may leave it out.
   * @default none: the stack holds the lake and the catalog but no Firehose
   */
  readonly ingestion?: {
    /** The Kinesis stream of CloudFront's real-time logs (EdgeStack's stream). */
    readonly source: KinesisSource;
    /** Bundle directory of handlers/firehose-transform (holds index.js). */
    readonly transformBundleDir: string;
  };
  /**
   * Lean mode (logDelivery "standard"): the log bucket CloudFront's standard logging writes to, and the log-file
   * Lambda's code. createStacks sets it instead of `ingestion`. @default none: no log-file Lambda
   */
  readonly logFiles?: {
    /** The log bucket (EdgeStack's standardLogs.bucket). */
    readonly source: LogFileSource;
    /** Bundle directory of handlers/log-file-transform (holds index.js). */
    readonly bundleDir: string;
  };
  /** The metrics published as Athena named queries. @default CATALOGUE (queries/catalogue.ts) */
  readonly catalogue?: Catalogue;
}

export class PipelineStack extends AnalyticsStack {
  readonly lake: SecureBucket;
  /** Glue database and the `events` table (Firehose's Parquet schema, Athena's table). */
  readonly catalog: LakeCatalog;
  /** Firehose with the transform Lambda; absent only when props.ingestion is. */
  readonly ingestion?: Ingestion;
  /** Lean mode's log-file Lambda, its failure queue and the log bucket's notification; only with props.logFiles. */
  readonly logFileIngestion?: LogFileIngestion;
  /** Athena workgroup, its results bucket, the `errors` table and the dashboard named queries. */
  readonly query: AthenaQueryLayer;
  /** Google Analytics 4 import (AppFlow flow, Glue table); absent unless config.ga names a property and its auth. */
  readonly gaImport?: GaImport;
  /** The daily Glue job that compacts the lake's small Parquet files (config key `compaction`). */
  readonly compaction: CompactionJob;
  /**
   * The app's one customer-managed key whatever `encryption.customerManagedKeys` says: the compaction job's logs and
   * bookmarks, and the ops stack's alarm topic (a $1/month key each otherwise).
   */
  readonly operationsKey: OperationsKey;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { config } = props;
    super(scope, id, { config });
    this.lake = new SecureBucket(this, "lake", {
      bucketName: config.lakeBucketName ?? accountBucketName(config, "lake", this.accountId),
      versioned: true,
      // Compaction replaces small files daily; deleted versions are kept a week for recovery, not forever.
      noncurrentVersionExpirationDays: 7,
      expiryRules: [{ id: "expire-errors", prefix: LAKE_PREFIXES.errors, expireAfterDays: config.ingestion.errorRetentionDays }],
    });
    // Here, not in the ops stack: the pipeline deploys first, and the ops stack's alarm topic is named from the config,
    // so this stack's key policy can admit it before the topic exists.
    this.operationsKey = new OperationsKey(this, "operations-key", {
      aliasName: resourceName(config, "operations"),
      description: "Encrypts operations data: the alarm topic, the Glue compaction job's logs and bookmarks",
      accountId: this.accountId,
      region: config.region,
      partition: partitionOf(config.region),
    });
    this.operationsKey.allowAlarmTopic(alarmTopicName(opsNamePrefix(config)));
    this.compaction = new CompactionJob(this, "compaction", {
      jobName: resourceName(config, "compaction"),
      key: this.operationsKey,
      partition: partitionOf(config.region),
      lake: this.lake,
      artifactsBucketName: accountBucketName(config, "glue-artifacts", this.accountId),
      accountId: this.accountId,
      region: config.region,
      ...config.compaction,
    });
    this.catalog = new LakeCatalog(this, "catalog", {
      databaseName: catalogName(config, "analytics"),
      bucketName: this.lake.name,
      accountId: this.accountId,
      region: config.region,
    });
    this.query = new AthenaQueryLayer(this, "query", {
      workgroupName: resourceName(config, "analytics"),
      databaseName: catalogName(config, "analytics"),
      catalog: this.catalog,
      lake: this.lake,
      resultsBucketName: accountBucketName(config, "athena-results", this.accountId),
      accountId: this.accountId,
      ...config.athena,
      ...(props.catalogue ? { catalogue: props.catalogue } : {}),
    });
    const ga = gaImportStatus(config.ga);
    announceGaImport(this, ga);
    if (ga.on) {
      this.gaImport = new GaImport(this, "ga-import", {
        flowName: resourceName(config, GA_FLOW_SUFFIX),
        auth: ga.auth,
        entityName: ga.entityName,
        lake: this.lake,
        catalog: this.catalog,
        databaseName: catalogName(config, "analytics"),
        workgroupName: this.query.workgroupName,
        accountId: this.accountId,
        region: config.region,
      });
    }
    if (props.ingestion && props.logFiles) {
      throw new Error(`${this.node.path}: ingestion (real-time route) and logFiles (lean mode) are exclusive (config key logDelivery)`);
    }
    const { visitorKeyParameter } = config.ingestion;
    const visitorKey = visitorKeyParameter
      ? { name: visitorKeyParameter, create: false }
      : { name: `/${config.project}/${config.environment}/visitor-id-key`, create: true };
    if (props.logFiles) {
      this.logFileIngestion = new LogFileIngestion(this, "log-files", {
        name: resourceName(config, "events"),
        logs: props.logFiles.source,
        lake: this.lake,
        accountId: this.accountId,
        region: config.region,
        bundleDir: props.logFiles.bundleDir,
        codeBucketName: accountBucketName(config, "lambda-code", this.accountId),
        transformConfig: config.transform,
        visitorKeyParameter: visitorKey,
        lambdaMemoryMb: config.ingestion.lambdaMemoryMb,
        lambdaTimeoutSeconds: config.ingestion.lambdaTimeoutSeconds,
        logRetentionDays: config.ingestion.logRetentionDays,
      });
    }
    if (props.ingestion) {
      const { visitorKeyParameter: _key, errorRetentionDays: _lifecycle, ...tunables } = config.ingestion;
      this.ingestion = new Ingestion(this, "ingestion", {
        name: resourceName(config, "events"),
        source: props.ingestion.source,
        lake: this.lake,
        catalog: this.catalog,
        accountId: this.accountId,
        region: config.region,
        transformBundleDir: props.ingestion.transformBundleDir,
        codeBucketName: accountBucketName(config, "lambda-code", this.accountId),
        transformConfig: config.transform,
        visitorKeyParameter: visitorKey,
        ...tunables,
      });
    }
  }
}
