/**
 * The QuickSight dashboards (Documents, QR scans), in their own stack so that
 * they can be deployed, changed and destroyed without touching the pipeline.
 * Created only when the config turns them on (config key `dashboards`).
 */
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { DashboardsStatus } from "../config/dashboards";
import type { EnvironmentConfig } from "../config/schema";
import type { Catalogue } from "../queries/catalogue";
import { AnalyticsStack } from "./base-stack";
import { type DashboardQuerySource, QuickSightDashboards } from "./constructs/dashboards";
import { catalogName } from "./names";

export interface DashboardsStackProps {
  readonly config: EnvironmentConfig;
  /** The pipeline's Athena query layer (PipelineStack.query). */
  readonly query: DashboardQuerySource;
  /** The metrics whose QuickSight charts become data sets and visuals. @default CATALOGUE (queries/catalogue.ts) */
  readonly catalogue?: Catalogue;
}

export class DashboardsStack extends AnalyticsStack {
  readonly dashboards: QuickSightDashboards;

  constructor(scope: Construct, id: string, props: DashboardsStackProps) {
    const { config } = props;
    super(scope, id, { config });
    const d = config.dashboards;
    this.dashboards = new QuickSightDashboards(this, "quicksight", {
      namePrefix: `${config.project}-${config.environment}`,
      databaseName: catalogName(config, "analytics"),
      query: props.query,
      queryWindowDays: config.athena.queryWindowDays,
      accountId: this.accountId,
      owners: d.owners,
      viewers: d.viewers,
      importMode: d.importMode,
      refresh: d.refresh,
      ...(props.catalogue ? { catalogue: props.catalogue } : {}),
    });
    new TerraformOutput(this, "quicksight-athena-role-arn", {
      value: this.dashboards.athenaRole.arn,
      description: "Role for QuickSight's Athena access (least privilege); select it in QuickSight, see docs/dashboards.md",
    });
  }
}

const announced = new WeakSet<object>();

/** Print once per app whether the dashboards are on, and if not, why. */
export function announceDashboards(scope: Construct, status: DashboardsStatus, log: (line: string) => void = console.log): void {
  const app = scope.node.root;
  if (announced.has(app)) return;
  announced.add(app);
  log(
    status.on
      ? "QuickSight dashboards: on (stack dashboards); the account's QuickSight subscription must already exist"
      : `QuickSight dashboards: off, ${status.reason}`,
  );
}
