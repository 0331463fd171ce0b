/**
 * QuickSight dashboards as Terraform: the Athena data source on the project's
 * workgroup, one data set per dashboard query rendered from the same `.sql`
 * file as the Athena named queries, the refresh schedule or direct query, the
 * two dashboards and the principals' permissions; and the off switch.
 */
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { QuicksightDashboard } from "@cdktf/provider-aws/lib/quicksight-dashboard";
import { QuicksightDataSet } from "@cdktf/provider-aws/lib/quicksight-data-set";
import { QuicksightDataSource } from "@cdktf/provider-aws/lib/quicksight-data-source";
import { QuicksightRefreshSchedule } from "@cdktf/provider-aws/lib/quicksight-refresh-schedule";
import { Testing } from "cdktf";
import { ConfigError, parseConfig } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { CATALOGUE, findMetric, metricsOn } from "../../queries/catalogue";
import { DATA_SET_RENDER, renderQuery } from "../../queries/render";
import { createStacks } from "../../stacks/app";
import { QUICKSIGHT_ACTIONS } from "../../stacks/constructs/dashboards";
import { dashboardVisuals } from "../../stacks/constructs/dashboards-definition";
import { announceDashboards } from "../../stacks/dashboards-stack";
import { evaluate } from "../../stacks/rules/engine";
import { DASHBOARD_RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { fixtureBundles, synthJson, testApp } from "../helpers/synth";

const OWNER = "arn:aws:quicksight:eu-west-1:111122223333:group/default/analytics-admins";
const VIEWER = "arn:aws:quicksight:eu-west-1:111122223333:user/default/alice";
/** Metrics with a QuickSight chart: today every Documents and QR metric. */
const QUERY_IDS = metricsOn(CATALOGUE, "quicksight").map((q) => q.id);

function stacks(dashboards: EnvironmentConfigInput["dashboards"], extra: Partial<EnvironmentConfigInput> = {}) {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    return createStacks(testApp(), testConfig({ dashboards, ...extra }), fixtureBundles);
  } finally {
    log.mockRestore();
  }
}

const ON = { enabled: true, owners: [OWNER], viewers: [VIEWER] };

describe("QuickSight dashboards (on)", () => {
  const app = stacks(ON);
  const stack = app.dashboards;
  if (!stack) throw new Error("dashboards stack missing");
  const synthesized = Testing.synth(stack);
  const json = synthJson(stack);
  const dataSets = Object.values(json.resource.aws_quicksight_data_set ?? {});

  it("creates an Athena data source on the project's workgroup, owned by the configured owners", () => {
    expect(synthesized).toHaveResourceWithProperties(QuicksightDataSource, {
      data_source_id: "webstats-test-athena",
      type: "ATHENA",
      parameters: { athena: { work_group: expect.stringMatching(/^\$\{aws_athena_workgroup\.query_workgroup_[0-9A-F]+\.name\}$/) } },
      permission: [{ principal: OWNER, actions: [...QUICKSIGHT_ACTIONS.dataSourceOwner] }],
    });
  });

  it("creates one data set per Documents and QR query, its custom SQL rendered from the query's .sql file", () => {
    expect(new Set(QUERY_IDS.map((id) => findMetric(CATALOGUE, id).dashboard))).toEqual(new Set(["documents", "qr"]));
    expect(dataSets.map((d) => d.data_set_id).sort()).toEqual(QUERY_IDS.map((id) => `webstats-test-${id}`).sort());
    for (const id of QUERY_IDS) {
      const def = findMetric(CATALOGUE, id);
      expect(synthesized).toHaveResourceWithProperties(QuicksightDataSet, {
        data_set_id: `webstats-test-${id}`,
        import_mode: "SPICE",
        physical_table_map: [
          expect.objectContaining({
            physical_table_map_id: id,
            custom_sql: expect.objectContaining({
              // The named query's metric SQL, database and 30-day window from the config, rendered for closed days only.
              sql_query: renderQuery(id, { database: "webstats_test_analytics" }, { lastDays: 30 }, DATA_SET_RENDER),
              columns: def.columns.map((c) => ({
                name: c.name,
                type: { string: "STRING", integer: "INTEGER", double: "DECIMAL", timestamp: "DATETIME" }[c.type],
              })),
            }),
          }),
        ],
        permissions: [{ principal: OWNER, actions: [...QUICKSIGHT_ACTIONS.dataSetOwner] }],
      });
    }
  });

  it("casts the day column to a date in the time-series data sets", () => {
    expect(synthesized).toHaveResourceWithProperties(QuicksightDataSet, {
      data_set_id: "webstats-test-qr_daily",
      logical_table_map: [
        expect.objectContaining({
          source: { physical_table_id: "qr_daily" },
          data_transforms: [{ cast_column_type_operation: { column_name: "day", new_column_type: "DATETIME", format: "yyyy-MM-dd" } }],
        }),
      ],
    });
  });

  it("refreshes every SPICE data set daily at 01:30 UTC (after the daily rollups) by default", () => {
    const schedules = Object.values(json.resource.aws_quicksight_refresh_schedule ?? {});
    expect(schedules).toHaveLength(QUERY_IDS.length);
    expect(synthesized).toHaveResourceWithProperties(QuicksightRefreshSchedule, {
      data_set_id: "webstats-test-documents_daily",
      schedule: [{ refresh_type: "FULL_REFRESH", schedule_frequency: [{ interval: "DAILY", time_of_the_day: "01:30", timezone: "UTC" }] }],
    });
  });

  it("defines the Documents and QR dashboards with the required visuals, reading the data sets by query id", () => {
    const dashboards = Object.values(json.resource.aws_quicksight_dashboard ?? {}) as {
      dashboard_id: string;
      definition: { data_set_identifiers_declarations: { identifier: string; data_set_arn: string }[]; sheets: { visuals: object[] }[] };
    }[];
    expect(dashboards.map((d) => d.dashboard_id).sort()).toEqual(["webstats-test-documents", "webstats-test-qr"]);
    const qr = dashboards.find((d) => d.dashboard_id === "webstats-test-qr");
    const kinds = qr?.definition.sheets[0]?.visuals.map((v) => Object.keys(v)[0]);
    expect(kinds).toEqual([
      "line_chart_visual",
      "table_visual",
      "bar_chart_visual",
      "pie_chart_visual",
      "bar_chart_visual",
      "table_visual",
    ]);
    for (const d of dashboards) {
      for (const decl of d.definition.data_set_identifiers_declarations) {
        expect(decl.data_set_arn).toMatch(new RegExp(`aws_quicksight_data_set\\.quicksight_data-set-${decl.identifier}_\\w+\\.arn`));
      }
    }
    // Documents: time series, top-N, country, device (and referrer); QR adds hour of day and conversion.
    expect(dashboardVisuals("documents").map((v) => v.queryId)).toEqual(
      expect.arrayContaining(["documents_daily", "documents_top", "documents_by_country", "documents_by_device"]),
    );
    expect(dashboardVisuals("qr").map((v) => v.queryId)).toEqual(
      expect.arrayContaining(["qr_daily", "qr_by_country", "qr_by_device", "qr_by_hour", "qr_conversion"]),
    );
  });

  it("grants owners full and viewers read-only access to the dashboards", () => {
    expect(synthesized).toHaveResourceWithProperties(QuicksightDashboard, {
      dashboard_id: "webstats-test-documents",
      permissions: [
        { principal: OWNER, actions: [...QUICKSIGHT_ACTIONS.dashboardOwner] },
        { principal: VIEWER, actions: [...QUICKSIGHT_ACTIONS.dashboardViewer] },
      ],
    });
  });

  it("creates a QuickSight role that may only query the workgroup and read the lake, results and catalog tables", () => {
    expect(synthesized).toHaveResourceWithProperties(IamRole, { name: "webstats-test-quicksight-athena" });
    const doc = Object.entries(json.data.aws_iam_policy_document ?? {}).find(([k]) =>
      k.startsWith("quicksight_athena-role_permissions"),
    )?.[1] as {
      statement: { actions: string[]; resources: string[] }[];
    };
    const resources = doc.statement.flatMap((s) => s.resources);
    expect(resources.every((r) => !r.endsWith("*") || /\/(events|errors|rollups|results)\/\*$/.test(r))).toBe(true);
    expect(doc.statement.flatMap((s) => s.actions).some((a) => a.includes("*") || /^s3:(Delete|PutBucket)/.test(a))).toBe(false);
    const trust = Object.entries(json.data.aws_iam_policy_document ?? {}).find(([k]) => k.startsWith("quicksight_athena-role_trust"))?.[1];
    expect(JSON.stringify(trust)).toContain("quicksight.amazonaws.com");
    expect(JSON.stringify(trust)).toContain("aws:SourceAccount");
  });

  it("direct query: no refresh schedules", () => {
    const direct = stacks({ ...ON, importMode: "DIRECT_QUERY" }).dashboards;
    if (!direct) throw new Error("dashboards stack missing");
    const j = synthJson(direct);
    expect(j.resource.aws_quicksight_refresh_schedule).toBeUndefined();
    expect(Object.values(j.resource.aws_quicksight_data_set ?? {}).every((d) => d.import_mode === "DIRECT_QUERY")).toBe(true);
  });

  it("weekly refresh on the configured day and time zone", () => {
    const weekly = stacks({
      ...ON,
      refresh: { interval: "WEEKLY", dayOfWeek: "MONDAY", timeOfDay: "05:30", timezone: "Europe/Berlin" },
    }).dashboards;
    if (!weekly) throw new Error("dashboards stack missing");
    expect(Testing.synth(weekly)).toHaveResourceWithProperties(QuicksightRefreshSchedule, {
      schedule: [
        {
          refresh_type: "FULL_REFRESH",
          schedule_frequency: [
            { interval: "WEEKLY", time_of_the_day: "05:30", timezone: "Europe/Berlin", refresh_on_day: [{ day_of_week: "MONDAY" }] },
          ],
        },
      ],
    });
  });
});

describe("QuickSight dashboards (off)", () => {
  it("creates no dashboards stack by default and says so in one line", () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const app = testApp();
      const s = createStacks(app, testConfig(), fixtureBundles);
      expect(s.dashboards).toBeUndefined();
      expect(app.node.children.map((c) => c.node.id)).not.toContain("dashboards");
    } finally {
      log.mockRestore();
    }
    const ours = lines.filter((l) => l.startsWith("QuickSight dashboards"));
    expect(ours).toEqual([
      expect.stringMatching(/^QuickSight dashboards: off, dashboards\.enabled is not true \(QuickSight needs an account subscription/),
    ]);
  });

  it("announces once per app", () => {
    const lines: string[] = [];
    const app = testApp();
    announceDashboards(app, { on: true }, (l) => lines.push(l));
    announceDashboards(app, { on: true }, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
  });
});

describe("dashboards config", () => {
  const problems = (dashboards: unknown): string[] => {
    try {
      parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", dashboards }, "test");
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };

  it("accepts the default (off) and a full configuration", () => {
    expect(testConfig().dashboards).toEqual({ enabled: false, owners: [], viewers: [], importMode: "SPICE" });
    expect(problems(ON)).toEqual([]);
  });

  it.each([
    [{ enabled: true }, "dashboards.owners: dashboards.enabled needs at least one QuickSight owner"],
    [{ enabled: true, owners: ["arn:aws:iam::111122223333:user/alice"] }, "dashboards.owners.0: a QuickSight user or group ARN"],
    [{ ...ON, viewers: [OWNER] }, "dashboards.viewers: a principal is listed twice"],
    [{ ...ON, importMode: "DIRECT_QUERY", refresh: { interval: "DAILY" } }, 'dashboards.refresh: only applies to importMode "SPICE"'],
    [{ ...ON, refresh: { interval: "WEEKLY" } }, 'dashboards.refresh.dayOfWeek: required with interval "WEEKLY"'],
    [{ ...ON, refresh: { interval: "DAILY", dayOfMonth: "1" } }, 'dashboards.refresh.dayOfMonth: only allowed with interval "MONTHLY"'],
    [{ ...ON, refresh: { timeOfDay: "25:00" } }, "dashboards.refresh.timeOfDay: a time HH:MM"],
    [{ ...ON, importMode: "LIVE" }, "dashboards.importMode:"],
    [{ ...ON, principals: [OWNER] }, "dashboards.principals: unknown key"],
  ])("rejects %j naming the key", (input, message) => {
    expect(problems(input).join("\n")).toContain(message);
  });

  it("rejects more than 64 principals (QuickSight permissions per resource)", () => {
    const many = Array.from({ length: 64 }, (_, i) => `arn:aws:quicksight:eu-west-1:111122223333:user/default/u${i}`);
    expect(problems({ ...ON, viewers: many }).join("\n")).toContain("dashboards.viewers: at most 64 owners and viewers together");
  });
});

describe("QUICKSIGHT-*-PERMISSIONS rules", () => {
  const check = (type: string, config: Record<string, unknown>) =>
    evaluate(
      { resource: { [type]: { r: config } } } as never,
      DASHBOARD_RULES.filter((r) => r.appliesTo === type),
    );

  it("fails a data set without permissions and a dashboard shared with a wildcard", () => {
    expect(check("aws_quicksight_data_set", { data_set_id: "x" })).toEqual([
      expect.objectContaining({ ruleId: "QUICKSIGHT-DATA-SET-PERMISSIONS" }),
    ]);
    expect(check("aws_quicksight_dashboard", { permissions: [{ principal: "*", actions: ["quicksight:DescribeDashboard"] }] })).toEqual([
      expect.objectContaining({ ruleId: "QUICKSIGHT-DASHBOARD-PERMISSIONS" }),
    ]);
    expect(check("aws_quicksight_data_source", { permission: [{ principal: OWNER, actions: ["quicksight:DescribeDataSource"] }] })).toEqual(
      [],
    );
  });
});
