/**
 * The catalogue seen by dashboard, for the runners that go dashboard by
 * dashboard (npm run local, the bench, the cost estimate): derived from
 * queries/catalogue.ts, where each metric is declared once.
 */
import { CATALOGUE, type Catalogue, type DashboardId, findDashboard, findMetric, type Metric, metricsOf } from "./catalogue";

export type { ResultColumn, ResultType } from "./catalogue";

/** One dashboard query: a catalogue metric. */
export type QueryDef = Metric;

export interface DashboardDef {
  readonly id: DashboardId;
  readonly title: string;
  readonly queries: readonly QueryDef[];
}

/** The catalogue's dashboards with their metrics, in display order. */
export function dashboardsOf(catalogue: Catalogue): DashboardDef[] {
  return catalogue.dashboards.map((d) => ({ ...d, queries: metricsOf(catalogue, d.id) }));
}

export const DASHBOARDS: readonly DashboardDef[] = dashboardsOf(CATALOGUE);

export const QUERIES: readonly QueryDef[] = CATALOGUE.metrics;

export function dashboard(id: string): DashboardDef {
  const d = findDashboard(CATALOGUE, id);
  return { ...d, queries: metricsOf(CATALOGUE, d.id) };
}

export function queryDef(id: string): QueryDef {
  return findMetric(CATALOGUE, id);
}
