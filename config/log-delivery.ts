/**
 * The two routes CloudFront's request logs can take to the lake (config key `logDelivery`, documented in
 * config/schema.ts): the one list the config schema, the alarm catalogue and the stacks share.
 */
export const LOG_DELIVERY_ROUTES = ["realtime", "standard"] as const;
export type LogDeliveryRoute = (typeof LOG_DELIVERY_ROUTES)[number];

/** Days lean mode keeps raw log files unless the config says otherwise (config key logFiles.retentionDays). */
export const DEFAULT_LOG_FILE_RETENTION_DAYS = 3;

const ROUTE_SUMMARY: Record<LogDeliveryRoute, string> = {
  realtime: "CloudFront real-time logs -> Kinesis -> Firehose -> lake; events within minutes",
  standard:
    "lean mode: CloudFront standard logs (v2) -> log bucket -> log-file Lambda -> lake; no Kinesis, no Firehose; log files arrive usually within an hour",
};

/** The one-line synth notice naming the route. */
export function logDeliveryNotice(route: LogDeliveryRoute): string {
  return `Log delivery: ${route} (logDelivery "${route}"${route === "realtime" ? ", the default" : ""}: ${ROUTE_SUMMARY[route]})`;
}
