/**
 * The Documents and QR-scan dashboards in Amazon QuickSight, as code: an
 * Athena data source on the project's workgroup, one data set per catalogue
 * metric with a QuickSight chart (custom SQL rendered from the same `.sql` file
 * Athena's named queries use), a SPICE refresh schedule or direct query, the two dashboards, and
 * permissions for the configured QuickSight owners and viewers.
 *
 * The account's QuickSight subscription is a prerequisite and is deliberately
 * not created here: destroying it deletes QuickSight in every region.
 */
import { QuicksightDashboard } from "@cdktf/provider-aws/lib/quicksight-dashboard";
import { QuicksightDataSet } from "@cdktf/provider-aws/lib/quicksight-data-set";
import { QuicksightDataSource } from "@cdktf/provider-aws/lib/quicksight-data-source";
import { QuicksightRefreshSchedule } from "@cdktf/provider-aws/lib/quicksight-refresh-schedule";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_REFRESH, QUICKSIGHT_LIMITS, type RefreshConfig } from "../../config/dashboards";
import {
  CATALOGUE,
  type Catalogue,
  checkedCatalogue,
  findDashboard,
  type Metric,
  metricsOn,
  type ResultType,
} from "../../queries/catalogue";
import { DATA_SET_RENDER, renderQuery } from "../../queries/render";
import { checkName } from "../names";
import { DATE_COLUMNS, dashboardDefinition, quickSightDashboards } from "./dashboards-definition";
import { type IGrantable, ServiceRole } from "./iam";

/** The query layer the data source reads: AthenaQueryLayer satisfies it. */
export interface DashboardQuerySource {
  /** The Athena workgroup (engine v3, enforced configuration) the data source runs in. */
  readonly workgroupName: string;
  /** Everything needed to run the dashboard queries in the workgroup and read their results. */
  grantQuery(grantee: IGrantable): void;
}

export interface QuickSightDashboardsProps {
  /** Prefix of every id and name, e.g. `webstats-dev`. */
  readonly namePrefix: string;
  /** The Glue database, as a plain string: it is written into the data sets' SQL. */
  readonly databaseName: string;
  /** The workgroup and the grants to read through it. */
  readonly query: DashboardQuerySource;
  /** Days the data sets look back: the last N closed days (the named queries: N days up to today, today read raw). */
  readonly queryWindowDays: number;
  /** Account that owns the QuickSight resources (and the role's trust condition). */
  readonly accountId: string;
  /** QuickSight users or groups that own everything here (edit, share, delete); at least one. */
  readonly owners: readonly string[];
  /** QuickSight users or groups that may view the dashboards. @default [] */
  readonly viewers?: readonly string[];
  /** SPICE (imported on a schedule) or direct query. @default "SPICE" */
  readonly importMode?: "SPICE" | "DIRECT_QUERY";
  /** SPICE refresh schedule; only with importMode "SPICE". @default daily at 01:30 UTC, after the daily rollups (config/dashboards.ts) */
  readonly refresh?: RefreshConfig;
  /** The metrics: one data set per metric with a QuickSight chart, one dashboard per dashboard with one. @default CATALOGUE */
  readonly catalogue?: Catalogue;
}

/**
 * QuickSight's action sets per access level, as the console grants them.
 * @see https://docs.aws.amazon.com/quicksight/latest/developerguide/controlling-access.html (permissions for data sources, data sets, dashboards)
 */
export const QUICKSIGHT_ACTIONS = {
  dataSourceOwner: [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
  ],
  dataSetOwner: [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
  ],
  dashboardOwner: [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
  ],
  dashboardViewer: ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"],
} as const;

/** Result column type -> QuickSight input column type. */
const INPUT_TYPE: Record<ResultType, string> = { string: "STRING", integer: "INTEGER", double: "DECIMAL", timestamp: "DATETIME" };

export class QuickSightDashboards extends Construct {
  /**
   * A role QuickSight can assume that may only run queries in the workgroup and read the lake, the results and the
   * catalog tables. AWS provider 5.100.0 cannot attach it to the data source (`parameters.athena` has no `role_arn`
   * before provider 6.x), so until then select it once as QuickSight's role for Athena (see docs/dashboards.md).
   */
  readonly athenaRole: ServiceRole;
  readonly dataSource: QuicksightDataSource;
  /** Data sets by metric id. */
  readonly dataSets: Readonly<Record<string, QuicksightDataSet>>;
  readonly refreshSchedules: readonly QuicksightRefreshSchedule[];
  /** Dashboards by dashboard id (queries/catalogue.ts). */
  readonly dashboards: Readonly<Record<string, QuicksightDashboard>>;

  constructor(scope: Construct, id: string, props: QuickSightDashboardsProps) {
    super(scope, id);
    const where = this.node.path;
    const importMode = props.importMode ?? "SPICE";
    const viewers = props.viewers ?? [];
    if (props.owners.length === 0) throw new Error(`${where}: dashboards.owners needs at least one QuickSight user or group ARN`);
    if (props.owners.length + viewers.length > QUICKSIGHT_LIMITS.permissionsPerResource) {
      throw new Error(`${where}: dashboards.owners and dashboards.viewers: at most ${QUICKSIGHT_LIMITS.permissionsPerResource} together`);
    }
    if (importMode === "DIRECT_QUERY" && props.refresh) {
      throw new Error(`${where}: dashboards.refresh only applies to importMode "SPICE"`);
    }
    if (Token.isUnresolved(props.databaseName)) {
      throw new Error(`${where}: databaseName must be a plain string: it is written into the data sets' SQL`);
    }
    const checkId = (value: string) => checkName("quicksightId", value, this);
    const owners = (actions: readonly string[]) => props.owners.map((principal) => ({ principal, actions: [...actions] }));

    this.athenaRole = new ServiceRole(this, "athena-role", {
      service: "quicksight.amazonaws.com",
      name: `${props.namePrefix}-quicksight-athena`,
      sourceAccount: props.accountId,
      description: "QuickSight reads the analytics workgroup's queries, lake and results (dashboards stack).",
    });
    props.query.grantQuery(this.athenaRole);

    this.dataSource = new QuicksightDataSource(this, "data-source", {
      dataSourceId: checkId(`${props.namePrefix}-athena`),
      name: `${props.namePrefix} analytics (Athena)`,
      type: "ATHENA",
      awsAccountId: props.accountId,
      parameters: { athena: { workGroup: props.query.workgroupName } },
      permission: owners(QUICKSIGHT_ACTIONS.dataSourceOwner),
    });

    const dataSets: Record<string, QuicksightDataSet> = {};
    const schedules: QuicksightRefreshSchedule[] = [];
    const refresh = props.refresh ?? DEFAULT_REFRESH;
    const catalogue = checkedCatalogue(props.catalogue ?? CATALOGUE);
    for (const q of metricsOn(catalogue, "quicksight")) {
      const title = findDashboard(catalogue, q.dashboard).title;
      // Closed days only (the rollups): a daily refresh shows whole days and its scan does not grow with today's traffic.
      const sql = renderQuery(q, { database: props.databaseName }, { lastDays: props.queryWindowDays }, DATA_SET_RENDER);
      if (sql.length > QUICKSIGHT_LIMITS.customSqlQuery) {
        throw new Error(`${where}: ${q.id}: query over ${QUICKSIGHT_LIMITS.customSqlQuery} characters (QuickSight custom SQL limit)`);
      }
      const dataSetId = checkId(`${props.namePrefix}-${q.id}`);
      const dataSet = new QuicksightDataSet(this, `data-set-${q.id}`, {
        dataSetId,
        name: `${props.namePrefix}: ${title}: ${q.title}`,
        awsAccountId: props.accountId,
        importMode,
        physicalTableMap: [
          {
            physicalTableMapId: q.id,
            customSql: {
              dataSourceArn: this.dataSource.arn,
              name: q.id,
              sqlQuery: sql,
              columns: q.columns.map((c) => ({ name: c.name, type: INPUT_TYPE[c.type] })),
            },
          },
        ],
        logicalTableMap: [logicalTable(q)],
        permissions: owners(QUICKSIGHT_ACTIONS.dataSetOwner),
      });
      dataSets[q.id] = dataSet;
      if (importMode === "SPICE") {
        schedules.push(
          new QuicksightRefreshSchedule(this, `refresh-${q.id}`, {
            dataSetId,
            awsAccountId: props.accountId,
            scheduleId: `${q.id}-${refresh.interval.toLowerCase()}`,
            schedule: [
              {
                refreshType: "FULL_REFRESH",
                scheduleFrequency: [
                  {
                    interval: refresh.interval,
                    timezone: refresh.timezone,
                    // HOURLY runs every hour; a time of day applies to the others.
                    ...(refresh.interval === "HOURLY" ? {} : { timeOfTheDay: refresh.timeOfDay }),
                    ...(refresh.dayOfWeek ? { refreshOnDay: [{ dayOfWeek: refresh.dayOfWeek }] } : {}),
                    ...(refresh.dayOfMonth ? { refreshOnDay: [{ dayOfMonth: refresh.dayOfMonth }] } : {}),
                  },
                ],
              },
            ],
            dependsOn: [dataSet],
          }),
        );
      }
    }
    this.dataSets = dataSets;
    this.refreshSchedules = schedules;

    const arns = Object.fromEntries(Object.entries(dataSets).map(([qid, ds]) => [qid, ds.arn]));
    const dashboards: Record<string, QuicksightDashboard> = {};
    for (const d of quickSightDashboards(catalogue)) {
      dashboards[d] = new QuicksightDashboard(this, `dashboard-${d}`, {
        dashboardId: checkId(`${props.namePrefix}-${d}`),
        name: `${findDashboard(catalogue, d).title} (${props.namePrefix})`,
        awsAccountId: props.accountId,
        versionDescription: "Defined in code: stacks/constructs/dashboards-definition.ts",
        definition: dashboardDefinition(d, arns, catalogue),
        dashboardPublishOptions: {
          adHocFilteringOption: { availabilityStatus: "ENABLED" },
          exportToCsvOption: { availabilityStatus: "ENABLED" },
          sheetControlsOption: { visibilityState: "EXPANDED" },
        },
        permissions: [
          ...owners(QUICKSIGHT_ACTIONS.dashboardOwner),
          ...viewers.map((principal) => ({ principal, actions: [...QUICKSIGHT_ACTIONS.dashboardViewer] })),
        ],
      });
    }
    this.dashboards = dashboards;
  }
}

/** The data set's logical table: the custom SQL, with YYYY-MM-DD day columns cast to dates. */
function logicalTable(q: Metric) {
  const casts = q.columns
    .filter((c) => c.type === "string" && DATE_COLUMNS[c.name])
    .map((c) => ({ castColumnTypeOperation: { columnName: c.name, newColumnType: "DATETIME", format: DATE_COLUMNS[c.name] } }));
  return {
    logicalTableMapId: q.id,
    alias: q.id,
    source: { physicalTableId: q.id },
    ...(casts.length ? { dataTransforms: casts } : {}),
  };
}
