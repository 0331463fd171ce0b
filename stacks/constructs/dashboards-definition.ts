/**
 * The QuickSight dashboards as dashboard definitions (the `definition` block
 * of aws_quicksight_dashboard), generated from the metric catalogue
 * (queries/catalogue.ts): every chart on the "quicksight" surface becomes a
 * visual reading the data set of its metric, named by the metric id.
 *
 * The provider binding types `definition` as `any` (its schema is too large to
 * generate), so this module writes Terraform's snake_case block names itself;
 * `terraform validate` checks them against the provider schema (npm run validate).
 */
import {
  type BarChart,
  CATALOGUE,
  type Catalogue,
  type Chart,
  columnOf,
  dashboardsOn,
  isNumeric,
  type LineChart,
  type Metric,
  metricsOf,
  type PieChart,
  type TableChart,
} from "../../queries/catalogue";

/** A Terraform block value inside `definition`. */
type Block = { readonly [key: string]: unknown };

/** The dashboards defined in QuickSight: those with at least one QuickSight chart in the catalogue. */
export function quickSightDashboards(catalogue: Catalogue = CATALOGUE): string[] {
  return dashboardsOn(catalogue, "quicksight").map((d) => d.id);
}

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

/** A field of the metric's data set; an error naming the metric if it has no such column. */
function field(m: Metric, column: string): Field {
  columnOf(m, column);
  return { dataSet: m.id, column };
}

/** One visual of a sheet: its id, the metric it reads and its Terraform block. */
export interface VisualSpec {
  readonly id: string;
  readonly kind: Chart["kind"];
  readonly queryId: string;
  readonly title: string;
  readonly block: Block;
}

/** Daily time series: the `day` column as a date axis, each measure summed, one line per `series` value. */
function lineVisual(m: Metric, c: LineChart): Block {
  return {
    line_chart_visual: {
      visual_id: c.id,
      title: title(c.title),
      chart_configuration: {
        type: "LINE",
        field_wells: {
          line_chart_aggregated_field_wells: {
            category: [dateCategory(c.id, field(m, "day"))],
            values: c.measures.map((x) => sum(c.id, field(m, x))),
            ...(c.series ? { colors: [category(c.id, field(m, c.series))] } : {}),
          },
        },
      },
    },
  };
}

/**
 * Table: grouped by its text columns, numbers summed, ratio columns recomputed from the sums (a calculated measure,
 * so totals stay right), sorted by the first summed measure, descending.
 */
function tableVisual(m: Metric, c: TableChart): Block {
  const cols = c.columns.map((x) => columnOf(m, x));
  const groupBy = cols.filter((x) => !isNumeric(x)).map((x) => category(c.id, field(m, x.name)));
  const values = cols.filter(isNumeric).map((x) =>
    x.ratioOf
      ? {
          calculated_measure_field: {
            field_id: `${c.id}.calc.${x.name}`,
            expression: `sum({${field(m, x.ratioOf[0]).column}}) / sum({${field(m, x.ratioOf[1]).column}})`,
          },
        }
      : sum(c.id, field(m, x.name)),
  );
  const first = cols.find((x) => isNumeric(x) && !x.ratioOf);
  if (!first) throw new Error(`chart ${c.id}: a table needs a summed measure to sort by`);
  return {
    table_visual: {
      visual_id: c.id,
      title: title(c.title),
      chart_configuration: {
        field_wells: { table_aggregated_field_wells: { group_by: groupBy, values } },
        sort_configuration: {
          row_sort: [{ field_sort: { field_id: fieldId(c.id, field(m, first.name), "sum"), direction: "DESC" } }],
          ...(c.limit ? { pagination_configuration: { page_number: 1, page_size: c.limit } } : {}),
        },
      },
    },
  };
}

/** Bars: largest first (at most `limit`, the rest as "Other"), or upright in category order for a day or number axis. */
function barVisual(m: Metric, c: BarChart): Block {
  const key = field(m, c.category);
  const ordered = c.axis !== undefined;
  const dim = c.axis === "days" ? dateCategory(c.id, key) : ordered ? numericCategory(c.id, key) : category(c.id, key);
  return {
    bar_chart_visual: {
      visual_id: c.id,
      title: title(c.title),
      chart_configuration: {
        orientation: ordered ? "VERTICAL" : "HORIZONTAL",
        field_wells: { bar_chart_aggregated_field_wells: { category: [dim], values: [sum(c.id, field(m, c.measure))] } },
        sort_configuration: {
          category_sort: [
            {
              field_sort: {
                field_id: ordered ? fieldId(c.id, key, "dim") : fieldId(c.id, field(m, c.measure), "sum"),
                direction: ordered ? "ASC" : "DESC",
              },
            },
          ],
          ...(c.limit ? { category_items_limit: { items_limit: c.limit, other_categories: "INCLUDE" } } : {}),
        },
      },
    },
  };
}

/** Share of a summed measure per category. */
function pieVisual(m: Metric, c: PieChart): Block {
  return {
    pie_chart_visual: {
      visual_id: c.id,
      title: title(c.title),
      chart_configuration: {
        field_wells: {
          pie_chart_aggregated_field_wells: { category: [category(c.id, field(m, c.category))], values: [sum(c.id, field(m, c.measure))] },
        },
      },
    },
  };
}

function visual(m: Metric, c: Chart): VisualSpec {
  const block =
    c.kind === "line" ? lineVisual(m, c) : c.kind === "table" ? tableVisual(m, c) : c.kind === "bar" ? barVisual(m, c) : pieVisual(m, c);
  return { id: c.id, kind: c.kind, queryId: m.id, title: c.title, block };
}

/** The visuals of a dashboard: its metrics' QuickSight charts, in catalogue order. */
export function dashboardVisuals(id: string, catalogue: Catalogue = CATALOGUE): VisualSpec[] {
  return metricsOf(catalogue, id).flatMap((m) => m.charts.filter((c) => c.on.includes("quicksight")).map((c) => visual(m, c)));
}

/** Columns per row of QuickSight's grid layout. */
const GRID_COLUMNS = 36;

/**
 * The `definition` block of one dashboard: its data sets (identifier = query id), one sheet with the visuals
 * laid out two per row.
 */
export function dashboardDefinition(id: string, dataSetArns: Readonly<Record<string, string>>, catalogue: Catalogue = CATALOGUE): Block {
  const visuals = dashboardVisuals(id, catalogue);
  if (visuals.length === 0) throw new Error(`dashboard ${id}: no QuickSight chart in the catalogue`);
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
                  // A time series spans the full width, the others two per row.
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
