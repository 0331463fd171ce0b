/**
 * Bootstrap stack: the S3 bucket that holds the other stacks' state when the
 * config selects the S3 backend (with the local backend there is no state stack).
 * Its own state stays local (it creates the bucket the backend needs). Locking
 * uses S3 lock files, so no DynamoDB table.
 */
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack } from "./base-stack";
import { SecureBucket } from "./constructs/secure-bucket";
import { stateBucketName } from "./names";

export class StateStack extends AnalyticsStack {
  readonly bucket: SecureBucket;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    if (config.state.backend !== "s3") {
      throw new Error(`${id}: the state stack is only for state.backend "s3"; with "local" the state lives under terraform-state/`);
    }
    // Applied in another account, the bucket would carry that name with the wrong account id: refuse.
    const accountId = config.state.accountId;
    super(scope, id, { config, forceLocalState: true, allowedAccountIds: accountId ? [accountId] : undefined });
    this.bucket = new SecureBucket(this, "state-bucket", {
      bucketName: stateBucketName(config),
      versioned: true,
      // Old state versions are the undo history of every apply; keep them for a quarter.
      noncurrentVersionExpirationDays: 90,
    });
  }
}

/** What synth says about state, once per app: where it lives, and whether a state stack exists. */
export function stateStatus(config: EnvironmentConfig): string {
  return config.state.backend === "s3"
    ? `Terraform state: S3 bucket ${stateBucketName(config)} (stack state creates it; deploy it first)`
    : 'Terraform state: local files under terraform-state/, so no state stack (set state.backend "s3" and state.accountId for a shared S3 bucket)';
}
