/**
 * Bootstrap stack: the S3 bucket that holds the other stacks' state when the
 * config selects the S3 backend. Its own state stays local (it creates the
 * bucket the backend needs). Locking uses S3 lock files, so no DynamoDB table.
 */
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack } from "./base-stack";
import { SecureBucket } from "./constructs/secure-bucket";
import { stateBucketName } from "./names";

export class StateStack extends AnalyticsStack {
  readonly bucket: SecureBucket;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id, { config, forceLocalState: true });
    this.bucket = new SecureBucket(this, "state-bucket", {
      bucketName: stateBucketName(config),
      versioned: true,
      // Old state versions are the undo history of every apply; keep them for a quarter.
      noncurrentVersionExpirationDays: 90,
    });
  }
}
