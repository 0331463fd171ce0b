/**
 * The transform's core: one CloudFront real-time log line (or, through
 * recordToRow, a record parsed from a standard log file) to one lake row
 * (with its partition keys), a drop, or a typed failure. Pure given its
 * context: the GeoIP reader, the visitor-id key, the compiled rules, the clock
 * and the caches are all passed in (only the line parser in schemas/ keeps a
 * memo of its own, of percent-decoded values), and the same line with the same
 * context gives the same outcome. It never throws for any line.
 *
 * Batching (Firehose records in and out), base64 and the response size are the
 * processor's (processor.ts, batch-output.ts, response-size.ts).
 */
import { type CloudFrontLogRecord, type ParseFailureReason, parseLogLine, type RealtimeLogField } from "../../schemas/cloudfront";
import { type EventRow, EventRowSchema, type EventType, type PartitionKeys, partitionKeysFor } from "../../schemas/event";
import { FIRST_YEAR, LAST_YEAR } from "../../schemas/lake";
import type { TransformConfig } from "../../schemas/transform-config";
import { BoundedCache } from "./cache";
import { type Classification, type RequestFacts, Rules } from "./classify";
import { type GeoResult, NO_GEO } from "./geoip";
import { ipPrefix, VisitorIds } from "./privacy";
import { columnChecks, compileRowCheck } from "./row-check";
import { UserAgentCache } from "./user-agent";

/** Why a line gives no row. Keyed by reason so that the compiler checks the list is complete. */
const ROW_FAILURES: Record<ParseFailureReason | "timestamp-out-of-range" | "invalid-row", string> = {
  empty: "the line is empty",
  "field-count": "the line does not have the configured number of tab-separated fields",
  "bad-number": "a numeric field is not a number",
  "missing-required": "a field the row needs (timestamp, status, method, path) is `-`",
  "timestamp-out-of-range": "the timestamp is outside the partition projection's years or more than a day ahead",
  "invalid-row": "the enriched row does not satisfy EventRowSchema",
};
export type RowFailureReason = keyof typeof ROW_FAILURES;
export const ROW_FAILURE_REASONS = Object.keys(ROW_FAILURES) as RowFailureReason[];

/** What one line becomes. */
export type RowOutcome =
  | {
      readonly kind: "row";
      readonly row: EventRow;
      /** Shared between rows of the same event type and day: read only. */
      readonly partitionKeys: PartitionKeys;
      /** String values cut to their column's maximum length. */
      readonly truncated: number;
    }
  | { readonly kind: "dropped"; readonly rule: string }
  | { readonly kind: "failed"; readonly reason: RowFailureReason; readonly message: string };

/** The GeoIP lookup a row needs; GeoIp (geoip.ts) is one. */
export interface GeoLookup {
  lookup(ip: string | null): GeoResult;
}

/** Everything {@link toRow} reads besides the line. Built once per processor by {@link createRowContext}. */
export interface RowContext {
  readonly config: TransformConfig;
  readonly rules: Rules;
  readonly userAgents: UserAgentCache;
  /** null: no GeoIP (country from CloudFront only). */
  readonly geo: GeoLookup | null;
  readonly visitors: VisitorIds;
  readonly datacenterAsns: ReadonlySet<number>;
  readonly referrers: BoundedCache<URL | null>;
  readonly partitionKeys: BoundedCache<PartitionKeys>;
  /** Now, in epoch milliseconds: timestamps more than a day after it are rejected. */
  readonly nowMs: number;
}

export interface RowContextOptions {
  /** The validated configuration (TransformConfigSchema's output). */
  config: TransformConfig;
  /** Secret key of the visitor-id HMAC. */
  visitorIdKey: string;
  geo: GeoLookup | null;
  nowMs: number;
  /** Distinct user agents kept parsed. @default 5000 */
  userAgentCacheSize?: number;
}

export function createRowContext(o: RowContextOptions): RowContext {
  return {
    config: o.config,
    rules: new Rules(o.config),
    userAgents: new UserAgentCache(o.userAgentCacheSize),
    geo: o.geo,
    visitors: new VisitorIds(o.visitorIdKey),
    datacenterAsns: new Set(o.config.bots.datacenterAsns),
    referrers: new BoundedCache(2_000),
    partitionKeys: new BoundedCache(1_000),
    nowMs: o.nowMs,
  };
}

/** Timestamps further ahead than this are clock errors, not events. */
const MAX_FUTURE_MS = 24 * 3600 * 1000;

/** The row's schema as plain checks: zod stays the contract, the hot path runs this (row-check.ts). */
const checkRow = compileRowCheck(EventRowSchema);

/** Maximum length of each string column, read from the schema (never repeated here). */
const MAX_LENGTH: Readonly<Record<string, number>> = Object.fromEntries(
  columnChecks(EventRowSchema).flatMap((c) => (c.kind === "string" && Number.isFinite(c.max) ? [[c.name, c.max]] : [])),
);

const COUNTRY = /^[A-Z]{2}$/;
const EMPTY_QUERY = new URLSearchParams();

/** Seconds (CloudFront's unit) to whole milliseconds (the lake's). */
const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000));

const failed = (reason: RowFailureReason, message: string): RowOutcome => ({ kind: "failed", reason, message });

/** Partition keys from a `YYYY-MM-DD<event type>` cache key (a static function: no closure per row). */
const keysOfDayAndType = (key: string): PartitionKeys => Object.freeze(partitionKeysFor(key.slice(10) as EventType, key));

/** Real-time log lines have every configured field. */
const LACKS_NOTHING: ReadonlySet<RealtimeLogField> = new Set();

/** One real-time log line (maybe with its trailing newline) to a row, a drop or a failure. Never throws. */
export function toRow(line: string, ctx: RowContext): RowOutcome {
  const parsed = parseLogLine(line);
  if (!parsed.ok) return failed(parsed.reason, parsed.message);
  return recordToRow(parsed.record, ctx, LACKS_NOTHING);
}

/**
 * A parsed record (of any log format) to a row, a drop or a failure. Never throws.
 * @param lacking fields the record's format has no column for: a rule that reads one (missing Accept header)
 *   does not fire on its absence.
 */
export function recordToRow(r: CloudFrontLogRecord, ctx: RowContext, lacking: ReadonlySet<RealtimeLogField>): RowOutcome {
  const eventTime = new Date(Math.round((r.timestamp as number) * 1000));
  const year = eventTime.getUTCFullYear();
  if (!(year >= FIRST_YEAR && year <= LAST_YEAR) || eventTime.getTime() > ctx.nowMs + MAX_FUTURE_MS) {
    return failed(
      "timestamp-out-of-range",
      `timestamp ${r.timestamp} is outside ${FIRST_YEAR}-${LAST_YEAR} (the partition projection's range) or more than a day ahead`,
    );
  }

  const facts = requestFacts(r, ctx);
  const dropRule = ctx.rules.dropRule(facts);
  if (dropRule !== null) return { kind: "dropped", rule: dropRule };
  const classification = ctx.rules.classify(facts);
  const clipped = { count: 0 };
  const row = buildRow(r, facts, classification, eventTime.toISOString(), ctx, clipped, lacking);
  const problem = checkRow(row);
  if (problem !== null) return failed("invalid-row", problem);
  const partitionKeys = ctx.partitionKeys.get(row.event_time.slice(0, 10) + classification.eventType, keysOfDayAndType);
  return { kind: "row", row, partitionKeys, truncated: clipped.count };
}

/** A string column's value, cut to the column's maximum length (on a code point boundary). */
function clip(column: keyof EventRow, value: string | null, clipped: { count: number }): string | null {
  const max = MAX_LENGTH[column];
  if (value === null || max === undefined || value.length <= max) return value;
  clipped.count++;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function requestFacts(r: CloudFrontLogRecord, ctx: RowContext): RequestFacts {
  const ref = r["cs-referer"];
  return {
    path: r["cs-uri-stem"] as string,
    query: r["cs-uri-query"] === null ? EMPTY_QUERY : new URLSearchParams(r["cs-uri-query"]),
    method: r["cs-method"] as string,
    status: r["sc-status"] as number,
    contentType: r["sc-content-type"],
    userAgent: r["cs-user-agent"],
    host: r["x-host-header"]?.toLowerCase() ?? null,
    // Shared between records: read only (classify.ts reads hostname and pathname).
    referrer: ref === null ? null : ctx.referrers.get(ref, parseUrl),
  };
}

function buildRow(
  r: CloudFrontLogRecord,
  facts: RequestFacts,
  c: Classification,
  iso: string,
  ctx: RowContext,
  clipped: { count: number },
  lacking: ReadonlySet<RealtimeLogField>,
): EventRow {
  const ip = r["c-ip"];
  const ua = facts.userAgent;
  const uaInfo = ctx.userAgents.get(ua);
  const asn = r.asn;
  const bot = botReason(r, uaInfo.botMatch, asn, ctx, lacking);

  const cfCountry = r["c-country"] !== null && COUNTRY.test(r["c-country"]) ? r["c-country"] : null;
  const g = ctx.geo ? ctx.geo.lookup(ip) : NO_GEO;
  // Region and city only when the database agrees with CloudFront on the country: a disagreeing city is a wrong one.
  const sameCountry = cfCountry === null || g.country === cfCountry;
  const query = facts.query;

  return {
    event_time: iso,
    request_id: r["x-edge-request-id"] as string,
    host: clip("host", r["x-host-header"], clipped),
    path: clip("path", facts.path, clipped) as string,
    query_string: clip("query_string", r["cs-uri-query"], clipped),
    method: r["cs-method"] as string,
    protocol: r["cs-protocol"],
    http_version: r["cs-protocol-version"],
    status: facts.status,
    bytes_sent: r["sc-bytes"],
    time_taken_ms: ms(r["time-taken"]),
    time_to_first_byte_ms: ms(r["time-to-first-byte"]),
    content_type: clip("content_type", facts.contentType, clipped),
    range_start: r["sc-range-start"],
    range_end: r["sc-range-end"],
    download_complete: c.eventType === "document_download" ? downloadComplete(r, facts.status, c.documentId, ctx.config) : null,
    referrer: clip("referrer", r["cs-referer"], clipped),
    referrer_host: clip("referrer_host", facts.referrer?.hostname || null, clipped),
    utm_source: clip("utm_source", query.get("utm_source") || null, clipped),
    utm_medium: clip("utm_medium", query.get("utm_medium") || null, clipped),
    utm_campaign: clip("utm_campaign", query.get("utm_campaign") || null, clipped),
    document_id: clip("document_id", c.documentId, clipped),
    qr_code: clip("qr_code", c.qrCode, clipped),
    browser: clip("browser", uaInfo.browser, clipped),
    os: clip("os", uaInfo.os, clipped),
    device_class: bot ? "bot" : uaInfo.deviceClass,
    is_bot: bot !== null,
    bot_reason: clip("bot_reason", bot, clipped),
    country: cfCountry ?? g.country,
    region: sameCountry ? clip("region", g.region, clipped) : null,
    city: sameCountry ? clip("city", g.city, clipped) : null,
    asn,
    visitor_id: ctx.visitors.id(ip, ua, iso.slice(0, 10)),
    ip_prefix: ctx.config.privacy.storeIpPrefix ? ipPrefix(ip) : null,
    edge_location: clip("edge_location", r["x-edge-location"], clipped),
    edge_result_type: clip("edge_result_type", r["x-edge-result-type"], clipped),
  };
}

/** The first signal that says the request is automated, or null. User agent first: it names the bot. */
function botReason(
  r: CloudFrontLogRecord,
  uaBot: string | null,
  asn: number | null,
  ctx: RowContext,
  lacking: ReadonlySet<RealtimeLogField>,
): string | null {
  if (uaBot !== null) return `user-agent:${uaBot}`;
  if (r["cs-user-agent"] === null) return "no-user-agent";
  const bots = ctx.config.bots;
  if (bots.flagHeadRequests && r["cs-method"] === "HEAD") return "head-request";
  if (bots.flagMissingAccept && r["cs-accept"] === null && !lacking.has("cs-accept")) return "no-accept-header";
  if (asn !== null && ctx.datacenterAsns.has(asn)) return `datacenter-asn:${asn}`;
  return null;
}

/**
 * A 200 is the whole file (unless the viewer hung up: fewer bytes sent than the content length); a 206 is one
 * part, and completes the download when it ends at the document's last byte (needs the size from the config).
 */
function downloadComplete(r: CloudFrontLogRecord, status: number, documentId: string | null, config: TransformConfig): boolean | null {
  if (status === 200) {
    const sent = r["sc-bytes"];
    const length = r["sc-content-len"];
    return sent === null || length === null || sent >= length;
  }
  if (status === 206) {
    const end = r["sc-range-end"];
    const size = documentId === null ? undefined : config.documentSizes[documentId];
    return end === null || size === undefined ? null : end >= size - 1;
  }
  // 304: the viewer already has it; nothing was transferred, so completeness is unknown.
  return status === 304 ? null : false;
}
