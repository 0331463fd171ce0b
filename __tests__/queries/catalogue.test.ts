/**
 * The metric catalogue: its entries are consistent, every metric has a truth
 * function, and one new entry (plus its truth function) reaches all four
 * outputs: an Athena named query and a QuickSight data set + visual in the
 * synthesized Terraform, a panel in the local report, and a row in the truth
 * comparison over a real generated lake.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildReport, runReportQueries } from "../../local/dashboard";
import { generateTraffic, type Truth } from "../../local/generator";
import { runLocal } from "../../local/pipeline";
import { renderReportHtml } from "../../local/report-html";
import { comparedRows, counted, METRIC_TRUTHS, type MetricTruth, truthCoverage } from "../../local/truth";
import {
  byDimensionSql,
  CATALOGUE,
  type Catalogue,
  catalogueProblems,
  DIMENSIONS,
  findMetric,
  type Metric,
  withMetric,
} from "../../queries/catalogue";
import { LocalLake } from "../../queries/duckdb";
import { renderQuery } from "../../queries/render";
import { DashboardsStack } from "../../stacks/dashboards-stack";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { testConfig } from "../helpers/config";
import { synthJson, testApp } from "../helpers/synth";

/** A metric no real dashboard has: QR scans per code and country, from the QR by-dimension template. */
const FAKE: Metric = {
  id: "qr_fake_by_country",
  dashboard: "qr",
  title: "Fake: scans by country",
  // The location rollup holds country and city: the template sums its cities per country.
  sql: byDimensionSql(
    "qr/by_dimension.sql",
    "QR scans: scans per code and country (a test's metric).",
    [DIMENSIONS.country],
    "qr_by_location",
  ),
  rollup: "qr_by_location",
  columns: [
    { name: "qr_code", type: "string" },
    { name: "country", type: "string" },
    { name: "scans", type: "integer" },
  ],
  charts: [
    {
      kind: "bar",
      id: "qr-fake-country",
      title: "Fake scans by country",
      category: "country",
      measure: "scans",
      on: ["quicksight", "report"],
    },
  ],
  kpis: [{ id: "qr-fake-scans", label: "fake scans", column: "scans" }],
};

/** Its truth function: human QR scans per code and country, in the template's order. */
const FAKE_TRUTH: MetricTruth = counted({
  where: (f) => f.kind === "event" && !f.isBot && f.eventType === "qr_scan",
  key: (f) => ({ qr_code: f.qrCode as string, country: f.country ?? DIMENSIONS.country.missing }),
  counts: { scans: () => 1 },
  order: [
    ["qr_code", "asc"],
    ["scans", "desc"],
    ["country", "asc"],
  ],
});

const WITH_FAKE: Catalogue = withMetric(CATALOGUE, FAKE);
const TRUTHS_WITH_FAKE = { ...METRIC_TRUTHS, [FAKE.id]: FAKE_TRUTH };
const OWNER = "arn:aws:quicksight:eu-west-1:111122223333:group/default/analytics-admins";

describe("metric catalogue", () => {
  it("is consistent: unique ids, known dashboards, every chart and KPI names a column its query returns", () => {
    expect(catalogueProblems(CATALOGUE)).toEqual([]);
    expect(catalogueProblems(WITH_FAKE)).toEqual([]);
  });

  it("names what is wrong with a broken entry", () => {
    const daily = findMetric(CATALOGUE, "traffic_daily");
    const broken: Metric = {
      ...daily,
      id: "traffic_broken",
      charts: [
        { kind: "line", id: "traffic-daily", title: "x", measures: ["page_views", "visitors"], series: "path", on: ["report"] },
        { kind: "bar", id: "traffic-broken", title: "x", category: "day", measure: "day", on: [] },
      ],
      kpis: [{ id: "traffic-broken", label: "x", column: "bytes" }],
    };
    const catalogue = withMetric(CATALOGUE, broken);
    // Every consumer refuses it, listing the problems.
    expect(() => buildReport({}, { from: "2025-06-01", to: "2025-06-01" }, "", catalogue)).toThrow(
      /metric catalogue is inconsistent:\n {2}chart traffic-daily is declared twice\n/,
    );
    expect(() => new PipelineStack(testApp(), "pipeline", { config: testConfig(), catalogue })).toThrow(/metric catalogue is inconsistent/);
    expect(catalogueProblems(catalogue)).toEqual([
      "chart traffic-daily is declared twice",
      "metric traffic_broken: kpi traffic-broken names column bytes, which the query does not return",
      "metric traffic_broken: chart traffic-daily names column path, which the query does not return",
      "metric traffic_broken: chart traffic-daily has a series column, so exactly one measure",
      "metric traffic_broken: chart traffic-broken is on no surface",
      "metric traffic_broken: chart traffic-broken sums column day, which is not a number",
    ]);
  });

  it("fails naming a metric without a truth function, and a truth function without a metric", () => {
    expect(truthCoverage(CATALOGUE, METRIC_TRUTHS)).toEqual([]);
    expect(truthCoverage(WITH_FAKE, METRIC_TRUTHS)).toEqual([
      "metric qr_fake_by_country has no truth function (METRIC_TRUTHS in local/truth.ts)",
    ]);
    expect(truthCoverage(CATALOGUE, TRUTHS_WITH_FAKE)).toEqual([
      "truth function qr_fake_by_country has no metric in the catalogue (queries/catalogue.ts)",
    ]);
    expect(truthCoverage(WITH_FAKE, TRUTHS_WITH_FAKE)).toEqual([]);
  });

  it("every metric reads a daily rollup (a refresh scans raw rows of today only, none with closed days only)", () => {
    expect(CATALOGUE.metrics.filter((m) => m.rollup === undefined).map((m) => m.id)).toEqual([]);
  });
});

describe("a fake metric added in one place appears in every output", () => {
  const config = testConfig({ dashboards: { enabled: true, owners: [OWNER] } });
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  const app = testApp();
  const pipeline = new PipelineStack(app, "pipeline", { config, catalogue: WITH_FAKE });
  const dashboards = new DashboardsStack(app, "dashboards", { config, query: pipeline.query, catalogue: WITH_FAKE });
  const pipelineJson = synthJson(pipeline);
  const dashboardsJson = synthJson(dashboards);
  log.mockRestore();

  it("an Athena named query in the synthesized Terraform, rendered from its template", () => {
    const named = Object.values(pipelineJson.resource.aws_athena_named_query ?? {});
    expect(named).toHaveLength(CATALOGUE.metrics.length + 1);
    expect(named).toContainEqual(
      expect.objectContaining({
        name: "QR scans: Fake: scans by country",
        description: "QR scans: scans per code and country (a test's metric).",
        query: renderQuery(FAKE, { database: "webstats_test_analytics" }, { lastDays: config.athena.queryWindowDays }),
      }),
    );
  });

  it("a QuickSight data set and a visual on the QR dashboard reading it", () => {
    const dataSets = Object.values(dashboardsJson.resource.aws_quicksight_data_set ?? {});
    expect(dataSets).toContainEqual(
      expect.objectContaining({
        data_set_id: `webstats-test-${FAKE.id}`,
        physical_table_map: [expect.objectContaining({ physical_table_map_id: FAKE.id })],
      }),
    );
    const qr = Object.values(dashboardsJson.resource.aws_quicksight_dashboard ?? {}).find((d) => d.dashboard_id === "webstats-test-qr") as {
      definition: { data_set_identifiers_declarations: { identifier: string }[]; sheets: { visuals: Record<string, unknown>[] }[] };
    };
    expect(qr.definition.data_set_identifiers_declarations.map((d) => d.identifier)).toContain(FAKE.id);
    const visual = qr.definition.sheets[0]?.visuals.find(
      (v) => (v.bar_chart_visual as { visual_id?: string } | undefined)?.visual_id === "qr-fake-country",
    );
    expect(visual).toEqual({
      bar_chart_visual: expect.objectContaining({
        title: { format_text: { plain_text: "Fake scans by country" }, visibility: "VISIBLE" },
        chart_configuration: expect.objectContaining({
          field_wells: {
            bar_chart_aggregated_field_wells: {
              category: [
                expect.objectContaining({
                  categorical_dimension_field: expect.objectContaining({
                    column: { column_name: "country", data_set_identifier: FAKE.id },
                  }),
                }),
              ],
              values: [
                expect.objectContaining({
                  numerical_measure_field: expect.objectContaining({ column: { column_name: "scans", data_set_identifier: FAKE.id } }),
                }),
              ],
            },
          },
        }),
      }),
    });
  });

  describe("over a real generated lake", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "catalogue-fake-"));
    const lakeDir = path.join(dir, "lake");
    const window = { from: "2025-06-01", to: "2025-06-01" };
    let truth: Truth;

    beforeAll(async () => {
      const lines: string[] = [];
      truth = generateTraffic({ seed: 5, days: 1, start: window.from, sessionsPerDay: 80 }, (l) => lines.push(l), TRUTHS_WITH_FAKE);
      writeFileSync(path.join(dir, "in.tsv"), `${lines.join("\n")}\n`);
      await runLocal({ input: path.join(dir, "in.tsv"), lake: lakeDir });
    }, 60_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("a row in the truth comparison: the query returns the fake truth function's rows", async () => {
      expect(truth.queries[FAKE.id]?.length).toBeGreaterThan(1);
      const lake = await LocalLake.open(lakeDir);
      try {
        const { rows } = await lake.runQuery(FAKE, window);
        expect(comparedRows(FAKE, rows, TRUTHS_WITH_FAKE)).toEqual(truth.queries[FAKE.id]);
      } finally {
        lake.close();
      }
    });

    it("a panel and a headline number in the local report, with the true values", async () => {
      const { results } = await runReportQueries(lakeDir, window, WITH_FAKE);
      const html = renderReportHtml(buildReport(results, window, "", WITH_FAKE));
      const start = html.indexOf('data-panel="qr-fake-country"');
      expect(start).toBeGreaterThan(0);
      const panel = html.slice(start, html.indexOf("</figure>", start));
      expect(panel).toContain("Fake scans by country");
      const byCountry: Record<string, number> = {};
      for (const r of truth.queries[FAKE.id] ?? [])
        byCountry[r.country as string] = (byCountry[r.country as string] ?? 0) + Number(r.scans);
      for (const [country, scans] of Object.entries(byCountry)) {
        expect(panel).toContain(`data-label="${country}" data-value="${scans}"`);
      }
      const total = Object.values(byCountry).reduce((a, b) => a + b, 0);
      expect(html).toMatch(new RegExp(`data-kpi="qr-fake-scans"[^>]*data-value="${total}"`));
    });
  });
});
