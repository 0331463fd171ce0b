/** The per-dimension metrics both transform entries publish after a batch or a log file, under the same names. */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { TRANSFORM_METRICS } from "../firehose-transform/env";

/** Rows per event type and failed lines per reason, one single-dimension metric each (a zero count is skipped for event types). */
export function publishBreakdowns(
  metrics: Metrics,
  stats: {
    readonly byEventType: Readonly<Record<string, number>>;
    readonly failuresByReason: Readonly<Record<string, number | undefined>>;
  },
): void {
  const M = TRANSFORM_METRICS;
  for (const [eventType, n] of Object.entries(stats.byEventType)) {
    if (n > 0)
      metrics.singleMetric().addDimension(M.byEventType.dimension, eventType).addMetric(M.byEventType.metricName, MetricUnit.Count, n);
  }
  for (const [reason, n] of Object.entries(stats.failuresByReason)) {
    metrics
      .singleMetric()
      .addDimension(M.byFailureReason.dimension, reason)
      .addMetric(M.byFailureReason.metricName, MetricUnit.Count, n ?? 0);
  }
}
