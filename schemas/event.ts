/**
 * The lake's contract: one enriched event is one row of the `events` table.
 *
 * The transform handler validates every row it emits against {@link EventRowSchema};
 * the Glue columns, the Athena DDL, the Parquet schema and the JSON Schema the
 * Python tests load are all generated from it (see ./generators).
 */
import * as z from "zod";
import { col } from "./columns";

/** Every event class the pipeline writes. Feeds the handler, the Firehose prefix and the partition projection enum. */
export const EVENT_TYPES = ["document_download", "qr_scan", "page_view", "asset", "api_call", "other"] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

export const DEVICE_CLASSES = ["desktop", "mobile", "tablet", "bot", "other"] as const;

/** Zero-padded to match Athena's `projection.<col>.digits`: the S3 paths must be `month=06`, not `month=6`. */
const twoDigits = (max: number) =>
  z
    .string()
    .regex(/^\d{2}$/)
    .refine((v) => Number(v) >= 1 && Number(v) <= max, `must be 01-${max}`);

/**
 * Partition keys, in path order. The Lambda returns them as
 * `metadata.partitionKeys`; Firehose writes `event_type=../year=../month=../day=../`.
 */
export const PartitionKeysSchema = z.strictObject({
  event_type: EventTypeSchema,
  year: z.string().regex(/^\d{4}$/),
  month: twoDigits(12),
  day: twoDigits(31),
});
export type PartitionKeys = z.infer<typeof PartitionKeysSchema>;
export const PARTITION_KEYS = Object.keys(PartitionKeysSchema.shape) as (keyof PartitionKeys)[];

/** Partition keys of an instant (a Date, or its `toISOString()`), in UTC (Firehose and Athena both work in UTC). */
export function partitionKeysFor(eventType: EventType, eventTime: Date | string): PartitionKeys {
  // An ISO string is accepted as is: the transform has one already and formatting it again costs per record.
  const iso = typeof eventTime === "string" ? eventTime : eventTime.toISOString();
  return { event_type: eventType, year: iso.slice(0, 4), month: iso.slice(5, 7), day: iso.slice(8, 10) };
}

/**
 * One row of the lake. Key order is column order. Partition keys are not
 * columns: Firehose writes only the table's columns into the Parquet files.
 */
export const EventRowSchema = z.strictObject({
  event_time: col.required.timestamp("When CloudFront served the request (UTC, milliseconds)."),
  request_id: col.required.string("CloudFront x-edge-request-id; unique per request.", 128),
  host: col.string("Host header the viewer sent (x-host-header).", 255),
  path: col.required.string("URI path, percent-decoded.", 2048),
  query_string: col.string("Raw query string as CloudFront logged it (still percent-encoded).", 2048),
  method: col.required.string("HTTP method.", 16),
  protocol: col.string("Viewer protocol: http, https, ws or wss.", 8),
  http_version: col.string("HTTP version, e.g. HTTP/2.0.", 16),
  status: col.required.int("HTTP status CloudFront returned."),
  bytes_sent: col.bigint("Bytes CloudFront sent to the viewer, headers included."),
  time_taken_ms: col.int("Milliseconds from request received to last byte sent."),
  time_to_first_byte_ms: col.int("Milliseconds from request received to first byte sent."),
  content_type: col.string("Content-Type of the response.", 255),
  range_start: col.bigint("First byte of a range request, when the viewer asked for one."),
  range_end: col.bigint("Last byte of a range request, when the viewer asked for one."),
  download_complete: col.boolean("For documents: true when the whole file or its last range was served."),
  referrer: col.string("Referer header, percent-decoded.", 2048),
  referrer_host: col.string("Host part of the referrer, lower-case; null for direct traffic.", 255),
  utm_source: col.string("utm_source query parameter.", 255),
  utm_medium: col.string("utm_medium query parameter.", 255),
  utm_campaign: col.string("utm_campaign query parameter.", 255),
  document_id: col.string("Document this request downloads, for document_download events.", 255),
  qr_code: col.string("QR code id this request came from, for qr_scan events.", 255),
  browser: col.string("Browser family from the user agent.", 64),
  os: col.string("Operating system family from the user agent.", 64),
  device_class: col.string(`Device class: ${DEVICE_CLASSES.join(", ")}.`, 16),
  is_bot: col.required.boolean("True when the request looks automated."),
  bot_reason: col.string("Why is_bot is true: the signal that matched.", 128),
  country: col.string("ISO 3166-1 alpha-2 country code.", 2),
  region: col.string("Region or state (GeoIP subdivision).", 128),
  city: col.string("City (GeoIP).", 128),
  asn: col.bigint("Autonomous system number of the viewer's network."),
  visitor_id: col.required.string("Keyed hash of IP and user agent with a salt that rotates daily; never the IP.", 64),
  ip_prefix: col.string("Truncated client network (IPv4 /24, IPv6 /48); only when the config opts in.", 64),
  edge_location: col.string("Edge location that served the request, e.g. FRA56-P1.", 32),
  edge_result_type: col.string("x-edge-result-type: Hit, Miss, Error, ...", 32),
});
export type EventRow = z.infer<typeof EventRowSchema>;
