/**
 * The usage API stack: live page view counters for the product page
 * (HTTP API -> Lambda `usage-stats` -> DynamoDB). Its `url` goes to the edge
 * stack, which writes it into the site's config.js.
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { AnalyticsStack } from "./base-stack";
import { UsageApi } from "./constructs/usage-api";
import { UsageCounterTable } from "./constructs/usage-table";
import { resourceName } from "./names";

export interface ApiStackProps {
  readonly config: EnvironmentConfig;
  /** Bundle directory of the `usage-stats` handler (dist/handlers/usage-stats, or a test fixture). */
  readonly bundleDir: string;
  /** Where synth notes go. @default console.log */
  readonly log?: (line: string) => void;
}

/**
 * Browser origins CORS allows: the configured ones plus the site's custom domain, if any.
 * (The distribution's own *.cloudfront.net name is only known after the edge stack deploys,
 * and the edge stack needs this API's URL first, so it has to be added to the config.)
 */
export function allowedOriginsOf(config: EnvironmentConfig): string[] {
  const domain = config.website.customDomain?.domainName;
  return [...new Set([...config.usageApi.allowedOrigins, ...(domain ? [`https://${domain}`] : [])])];
}

export class ApiStack extends AnalyticsStack {
  readonly table: UsageCounterTable;
  readonly usageApi: UsageApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, { config: props.config });
    const { config } = props;
    const settings = config.usageApi;

    const origins = allowedOriginsOf(config);
    if (origins.length === 0) {
      (props.log ?? console.log)(
        "Usage API: no browser origin allowed (usageApi.allowedOrigins is empty and website.customDomain is not set): the product " +
          "page's counter stays hidden until you add the site's origin, e.g. https://<distribution>.cloudfront.net",
      );
    }
    this.table = new UsageCounterTable(this, "counters", { tableName: resourceName(config, "usage-counters") });
    this.usageApi = new UsageApi(this, "usage-api", {
      name: resourceName(config, "usage-api"),
      table: this.table,
      bundleDir: props.bundleDir,
      allowedOrigins: origins,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      pageIds: settings.pageIds,
      logRetentionDays: settings.logRetentionDays,
      idempotencyTtlSeconds: settings.idempotencyTtlHours * 3600,
      memorySizeMb: settings.memorySizeMb,
      reservedConcurrency: settings.reservedConcurrency,
    });

    new TerraformOutput(this, "usage-api-url", { value: this.usageApi.url, description: "Base URL of the usage counter API" });
    new TerraformOutput(this, "usage-table-name", { value: this.table.name });
  }

  /** Base URL of the usage API (for the site's config.js). */
  get url(): string {
    return this.usageApi.url;
  }
}
