/**
 * What every stack of the app shares: the AWS provider with default tags, the
 * state backend chosen in the config, and the security rule pack.
 */
import * as path from "node:path";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Aspects, LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { stateBucketName } from "./names";
import { RulePackAspect } from "./rules/aspect";

/** The project root: state files live under `<root>/terraform-state/`. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const STATE_DIR = path.join(PROJECT_ROOT, "terraform-state");

export interface AnalyticsStackProps {
  readonly config: EnvironmentConfig;
  /**
   * Keep state in a local file even when the config selects the S3 backend:
   * the bootstrap stack must, since it creates the state bucket. @default false
   */
  readonly forceLocalState?: boolean;
  /** The only accounts this stack may be applied in (the provider's allowed_account_ids). @default any account */
  readonly allowedAccountIds?: readonly string[];
}

/** Tags on every resource (the provider's default_tags); also for extra provider aliases. */
export function defaultTags(config: EnvironmentConfig): Record<string, string> {
  return { project: config.project, environment: config.environment, "managed-by": "cdktf", ...config.tags };
}

export class AnalyticsStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  private identity?: DataAwsCallerIdentity;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id);
    this.config = props.config;
    const { config } = props;

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: defaultTags(config) }],
      allowedAccountIds: props.allowedAccountIds ? [...props.allowedAccountIds] : undefined,
    });

    if (config.state.backend === "s3" && !props.forceLocalState) {
      const backend = new S3Backend(this, {
        bucket: stateBucketName(config),
        key: `${config.project}/${config.environment}/${id}.tfstate`,
        region: config.state.region ?? config.region,
        encrypt: true,
      });
      // S3-native locking (Terraform >= 1.10); S3Backend has no typed prop for it.
      backend.addOverride("use_lockfile", true);
    } else {
      // Absolute path: the state survives deleting cdktf.out.
      new LocalBackend(this, { path: path.join(STATE_DIR, `${config.environment}-${id}.tfstate`) });
    }

    Aspects.of(this).add(new RulePackAspect());
  }

  /** The deploying account's id (a Terraform data source, read at plan time). */
  get accountId(): string {
    this.identity ??= new DataAwsCallerIdentity(this, "caller-identity");
    return this.identity.accountId;
  }
}
