/**
 * The usage API stack: live page view counters for the product page
 * (HTTP API -> Lambda `usage-stats` -> DynamoDB). Its `origin` goes to the edge
 * stack, whose distribution forwards `/api/*` to it: the product page calls its
 * own origin, so this stack needs nothing from the edge stack (no cycle, no CORS).
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack } from "./base-stack";
import type { ApiOrigin } from "./constructs/site-distribution";
import { UsageApi } from "./constructs/usage-api";
import { UsageCounterTable } from "./constructs/usage-table";
import { resourceName } from "./names";

export interface ApiStackProps {
  readonly config: EnvironmentConfig;
  /** Bundle directory of the `usage-stats` handler (dist/handlers/usage-stats, or a test fixture). */
  readonly bundleDir: string;
}

export class ApiStack extends AnalyticsStack {
  readonly table: UsageCounterTable;
  readonly usageApi: UsageApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, { config: props.config });
    const { config } = props;
    const settings = config.usageApi;

    this.table = new UsageCounterTable(this, "counters", {
      tableName: resourceName(config, "usage-counters"),
      region: config.region,
      customerManagedKey: config.encryption.customerManagedKeys,
    });
    this.usageApi = new UsageApi(this, "usage-api", {
      name: resourceName(config, "usage-api"),
      table: this.table,
      bundleDir: props.bundleDir,
      allowedOrigins: settings.allowedOrigins,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      pageIds: settings.pageIds,
      logRetentionDays: settings.logRetentionDays,
      idempotencyTtlSeconds: settings.idempotencyTtlHours * 3600,
      memorySizeMb: settings.memorySizeMb,
      reservedConcurrency: settings.reservedConcurrency,
    });

    new TerraformOutput(this, "usage-api-url", {
      value: this.usageApi.url,
      description: "Base URL of the usage counter API for direct callers (the site calls it as /api on its own domain)",
    });
    new TerraformOutput(this, "usage-table-name", { value: this.table.name });
  }

  /** The stage's URL, for callers outside the site. */
  get url(): string {
    return this.usageApi.url;
  }

  /** What the site's distribution needs to forward `/api/*` here. */
  get origin(): ApiOrigin {
    return this.usageApi.origin;
  }
}
