/**
 * The Documents and QR-scan dashboards as QuickSight dashboard definitions
 * (the `definition` block of aws_quicksight_dashboard), built from the
 * dashboard catalogue in queries/dashboards.ts: every visual reads a data set
 * made from one query's `.sql` file, named by the query id.
 *
 * The provider binding types `definition` as `any` (its schema is too large to
 * generate), so this module writes Terraform's snake_case block names itself;
 * `terraform validate` checks them against the provider schema (npm run validate).
 */
import { type DashboardDef, dashboard, type QueryDef } from "../../queries/dashboards";

/** A Terraform block value inside `definition`. */
type Block = { readonly [key: string]: unknown };

/** The dashboards defined in QuickSight, and the catalogue entries their data sets come from. */
export const QUICKSIGHT_DASHBOARDS = ["documents", "qr"] as const satisfies readonly DashboardDef["id"][];
export type QuickSightDashboardId = (typeof QUICKSIGHT_DASHBOARDS)[number];

/** Queries whose `day` column (YYYY-MM-DD) the data set casts to a date, so time series get a date axis. */
export const DATE_COLUMNS: Readonly<Record<string, string>> = { day: "yyyy-MM-dd" };

interface Field {
  readonly dataSet: string;
  readonly column: string;
}

function col(f: Field): Block {
  return { data_set_identifier: f.dataSet, column_name: f.column };
}

function fieldId(visualId: string, f: Field, role: string): string {
  return `${visualId}.${role}.${f.column}`;
}

function category(visualId: string, f: Field): Block {
  return { categorical_dimension_field: { field_id: fieldId(visualId, f, "dim"), column: col(f) } };
}

function dateCategory(visualId: string, f: Field): Block {
  return { date_dimension_field: { field_id: fieldId(visualId, f, "dim"), column: col(f), date_granularity: "DAY" } };
}

function numericCategory(visualId: string, f: Field): Block {
  return { numerical_dimension_field: { field_id: fieldId(visualId, f, "dim"), column: col(f) } };
}

function sum(visualId: string, f: Field): Block {
  return {
    numerical_measure_field: {
      field_id: fieldId(visualId, f, "sum"),
      column: col(f),
      aggregation_function: { simple_numerical_aggregation: "SUM" },
    },
  };
}

function title(text: string): Block {
  return { visibility: "VISIBLE", format_text: { plain_text: text } };
}

/** One visual of a sheet: its id, the query it reads and its Terraform block. */
export interface VisualSpec {
  readonly id: string;
  readonly kind: "line" | "table" | "bar" | "pie";
  readonly queryId: string;
  readonly title: string;
  readonly block: Block;
}

function field(q: QueryDef, column: string): Field {
  if (!q.columns.some((c) => c.name === column)) {
    throw new Error(`dashboard visual: query ${q.id} has no column ${column} (columns: ${q.columns.map((c) => c.name).join(", ")})`);
  }
  return { dataSet: q.id, column };
}

function lookup(d: DashboardDef, queryId: string): QueryDef {
  const q = d.queries.find((x) => x.id === queryId);
  if (!q) throw new Error(`dashboard ${d.id}: no query ${queryId} in queries/dashboards.ts`);
  return q;
}

/** Daily time series of a measure, one line per `series` value. */
function timeSeries(d: DashboardDef, id: string, queryId: string, text: string, measure: string, series: string): VisualSpec {
  const q = lookup(d, queryId);
  return {
    id,
    kind: "line",
    queryId,
    title: text,
    block: {
      line_chart_visual: {
        visual_id: id,
        title: title(text),
        chart_configuration: {
          type: "LINE",
          field_wells: {
            line_chart_aggregated_field_wells: {
              category: [dateCategory(id, field(q, "day"))],
              values: [sum(id, field(q, measure))],
              colors: [category(id, field(q, series))],
            },
          },
        },
      },
    },
  };
}

/** Top-N table: rows grouped by `key`, measures summed, sorted by the first measure, descending. */
function topTable(d: DashboardDef, id: string, queryId: string, text: string, key: string, measures: string[], limit: number): VisualSpec {
  const q = lookup(d, queryId);
  const values = measures.map((m) => sum(id, field(q, m)));
  return {
    id,
    kind: "table",
    queryId,
    title: text,
    block: {
      table_visual: {
        visual_id: id,
        title: title(text),
        chart_configuration: {
          field_wells: { table_aggregated_field_wells: { group_by: [category(id, field(q, key))], values } },
          sort_configuration: {
            row_sort: [{ field_sort: { field_id: fieldId(id, field(q, measures[0] as string), "sum"), direction: "DESC" } }],
            pagination_configuration: { page_number: 1, page_size: limit },
          },
        },
      },
    },
  };
}

/** Bar chart of a summed measure per category, largest first (at most `limit` bars, the rest as "Other"). */
function breakdown(
  d: DashboardDef,
  id: string,
  queryId: string,
  text: string,
  key: string,
  measure: string,
  opts: { numericKey?: boolean; sortByKey?: boolean; limit?: number } = {},
): VisualSpec {
  const q = lookup(d, queryId);
  const dim = opts.numericKey ? numericCategory(id, field(q, key)) : category(id, field(q, key));
  const sortField = opts.sortByKey ? fieldId(id, field(q, key), "dim") : fieldId(id, field(q, measure), "sum");
  return {
    id,
    kind: "bar",
    queryId,
    title: text,
    block: {
      bar_chart_visual: {
        visual_id: id,
        title: title(text),
        chart_configuration: {
          orientation: opts.sortByKey ? "VERTICAL" : "HORIZONTAL",
          field_wells: { bar_chart_aggregated_field_wells: { category: [dim], values: [sum(id, field(q, measure))] } },
          sort_configuration: {
            category_sort: [{ field_sort: { field_id: sortField, direction: opts.sortByKey ? "ASC" : "DESC" } }],
            ...(opts.limit ? { category_items_limit: { items_limit: opts.limit, other_categories: "INCLUDE" } } : {}),
          },
        },
      },
    },
  };
}

/** Share of a summed measure per category. */
function share(d: DashboardDef, id: string, queryId: string, text: string, key: string, measure: string): VisualSpec {
  const q = lookup(d, queryId);
  return {
    id,
    kind: "pie",
    queryId,
    title: text,
    block: {
      pie_chart_visual: {
        visual_id: id,
        title: title(text),
        chart_configuration: {
          field_wells: {
            pie_chart_aggregated_field_wells: { category: [category(id, field(q, key))], values: [sum(id, field(q, measure))] },
          },
        },
      },
    },
  };
}

/** Scan-to-download conversion per code: scans, converted scans and their ratio (a calculated measure, right when summed). */
function conversionTable(d: DashboardDef, id: string, queryId: string, text: string): VisualSpec {
  const q = lookup(d, queryId);
  const scans = field(q, "scans");
  const converted = field(q, "converted_scans");
  field(q, "conversion_rate"); // the query's own ratio; the visual recomputes it so totals stay right
  return {
    id,
    kind: "table",
    queryId,
    title: text,
    block: {
      table_visual: {
        visual_id: id,
        title: title(text),
        chart_configuration: {
          field_wells: {
            table_aggregated_field_wells: {
              group_by: [category(id, field(q, "qr_code"))],
              values: [
                sum(id, scans),
                sum(id, converted),
                {
                  calculated_measure_field: {
                    field_id: `${id}.calc.conversion_rate`,
                    expression: `sum({${converted.column}}) / sum({${scans.column}})`,
                  },
                },
              ],
            },
          },
          sort_configuration: { row_sort: [{ field_sort: { field_id: fieldId(id, scans, "sum"), direction: "DESC" } }] },
        },
      },
    },
  };
}

/** The visuals of each dashboard: time series, top-N table, country and device breakdowns (and for QR, hour of day and conversion). */
export function dashboardVisuals(id: QuickSightDashboardId): VisualSpec[] {
  const d = dashboard(id);
  if (id === "documents") {
    return [
      timeSeries(d, "documents-daily", "documents_daily", "Completed downloads per day", "completed_downloads", "document_id"),
      topTable(d, "documents-top", "documents_top", "Top documents", "document_id", ["completed_downloads", "visitors"], 20),
      breakdown(d, "documents-country", "documents_by_country", "Downloads by country", "country", "completed_downloads", { limit: 15 }),
      share(d, "documents-device", "documents_by_device", "Downloads by device class", "device_class", "completed_downloads"),
      breakdown(d, "documents-referrer", "documents_by_referrer", "Downloads by referrer", "referrer_host", "completed_downloads", {
        limit: 15,
      }),
    ];
  }
  return [
    timeSeries(d, "qr-daily", "qr_daily", "Scans per day", "scans", "qr_code"),
    topTable(d, "qr-top", "qr_daily", "Top QR codes", "qr_code", ["scans", "visitors"], 20),
    breakdown(d, "qr-country", "qr_by_location", "Scans by country", "country", "scans", { limit: 15 }),
    share(d, "qr-device", "qr_by_device", "Scans by device class", "device_class", "scans"),
    breakdown(d, "qr-hour", "qr_by_hour", "Scans by hour of day (UTC)", "hour_utc", "scans", { numericKey: true, sortByKey: true }),
    conversionTable(d, "qr-conversion", "qr_conversion", "Scan-to-download conversion (30 minutes)"),
  ];
}

/** Columns per row of QuickSight's grid layout. */
const GRID_COLUMNS = 36;

/**
 * The `definition` block of one dashboard: its data sets (identifier = query id), one sheet with the visuals
 * laid out two per row.
 */
export function dashboardDefinition(id: QuickSightDashboardId, dataSetArns: Readonly<Record<string, string>>): Block {
  const visuals = dashboardVisuals(id);
  const used = [...new Set(visuals.map((v) => v.queryId))];
  for (const q of used) if (!dataSetArns[q]) throw new Error(`dashboard ${id}: no data set for query ${q}`);
  return {
    data_set_identifiers_declarations: used.map((q) => ({ identifier: q, data_set_arn: dataSetArns[q] })),
    sheets: [
      {
        sheet_id: `${id}-overview`,
        name: "Overview",
        visuals: visuals.map((v) => v.block),
        layouts: [
          {
            configuration: {
              grid_layout: {
                elements: visuals.map((v) => ({
                  element_id: v.id,
                  element_type: "VISUAL",
                  column_span: v.kind === "line" ? GRID_COLUMNS : GRID_COLUMNS / 2,
                  row_span: 12,
                })),
              },
            },
          },
        ],
      },
    ],
  };
}
