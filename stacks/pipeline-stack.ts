/**
 * The data plane: the lake bucket (and, as later components land, the
 * catalog, the Firehose ingestion, the query layer and compaction).
 */
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack } from "./base-stack";
import { SecureBucket } from "./constructs/secure-bucket";
import { resourceName } from "./names";

export class PipelineStack extends AnalyticsStack {
  readonly lake: SecureBucket;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id, { config });
    this.lake = new SecureBucket(this, "lake", {
      bucketName: config.lakeBucketName ?? `${resourceName(config, "lake")}-${this.accountId}`,
      versioned: true,
      // Compaction replaces small files daily; deleted versions are kept a week for recovery, not forever.
      noncurrentVersionExpirationDays: 7,
    });
  }
}
