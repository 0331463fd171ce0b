/**
 * The Firehose transform, pure (no AWS calls): one CloudFront real-time log
 * line per record in, one lake row (JSON) per record out, with the partition
 * keys for dynamic partitioning.
 *
 * Exactly one output per input, with the same recordId, and never a throw for a
 * bad record: a record that cannot be decoded, parsed or validated goes back as
 * `ProcessingFailed` with its data untouched, so Firehose keeps it under the
 * error prefix. `Dropped` is only for records an explicit drop rule matches.
 */

import { LAMBDA_LIMITS } from "../../config/limits";
import { type CloudFrontLogRecord, parseLogLine } from "../../schemas/cloudfront";
import { EVENT_TYPES, type EventRow, EventRowSchema, type EventType, type PartitionKeys, partitionKeysFor } from "../../schemas/event";
import { FIRST_YEAR, LAST_YEAR } from "../../schemas/lake";
import { type TransformConfig, type TransformConfigInput, TransformConfigSchema } from "../../schemas/transform-config";
import { BatchOutput } from "./batch-output";
import { type Classification, type RequestFacts, Rules } from "./classify";
import { GeoIp, geoDatabaseFiles, NO_GEO } from "./geoip";
import { ipPrefix, VisitorIds } from "./privacy";
import { recordBytes, responseBytes } from "./response-size";
import { UserAgentCache } from "./user-agent";

/** One record of a Firehose transformation event. */
export interface FirehoseRecordIn {
  recordId: string;
  approximateArrivalTimestamp?: number;
  /** The record's bytes, base64. */
  data: string;
}

export type FirehoseResult = "Ok" | "Dropped" | "ProcessingFailed";

/** One record of the response. `metadata.partitionKeys` only on `Ok`. */
export interface FirehoseRecordOut {
  recordId: string;
  result: FirehoseResult;
  data: string;
  metadata?: { partitionKeys: PartitionKeys };
}

export type FailureReason =
  | "bad-record"
  | "invalid-utf8"
  | "empty"
  | "field-count"
  | "bad-number"
  | "missing-required"
  | "timestamp-out-of-range"
  | "invalid-row"
  | "response-too-large"
  | "internal-error";

export interface ProcessStats {
  records: number;
  byResult: Record<FirehoseResult, number>;
  /** Ok records by event type. */
  byEventType: Record<EventType, number>;
  failuresByReason: Partial<Record<FailureReason, number>>;
  droppedByRule: Record<string, number>;
  /** String values cut to their column's maximum length (counted per value). */
  truncatedValues: number;
  /** The first few failures, for logs: never the record's data. */
  failures: { recordId: string; reason: FailureReason; message: string }[];
}

export interface Processor {
  processRecords(records: readonly FirehoseRecordIn[]): { records: FirehoseRecordOut[]; stats: ProcessStats };
  /** The effective configuration (defaults filled in). */
  readonly config: TransformConfig;
  /** The GeoIP databases in use (empty when GeoIP is off). */
  readonly geoDatabases: readonly { file: string; ipVersion: number; databaseType: string }[];
}

export interface ProcessorOptions {
  /** Transform configuration, full or partial (missing keys take their defaults). @default DEFAULT_TRANSFORM_CONFIG */
  config?: TransformConfigInput;
  /** Secret key of the visitor-id HMAC (at least 16 characters). Never in code: SSM or an environment variable. */
  visitorIdKey: string;
  /**
   * MMDB files to use, or `false` for no GeoIP.
   * @default config.geoip.databases, else the bundled DB-IP Lite city files (beside the bundle, or from node_modules)
   */
  geoDatabase?: readonly string[] | false;
  /** The clock, for rejecting timestamps in the future. @default () => new Date() */
  now?: () => Date;
  /** Distinct user agents kept parsed. @default 5000 */
  userAgentCacheSize?: number;
  /** Largest response a batch may produce (tests lower it). @default LAMBDA_LIMITS.syncPayloadBytes (6 MB) */
  maxResponseBytes?: number;
}

/** Seconds (CloudFront's unit) to whole milliseconds (the lake's). */
const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000));

/** Timestamps further ahead than this are clock errors, not events. */
const MAX_FUTURE_MS = 24 * 3600 * 1000;
const MAX_FAILURE_SAMPLES = 20;

/** Maximum length of each string column, read from the schema (never repeated here). */
const MAX_LENGTH: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(EventRowSchema.shape).flatMap(([name, field]) => {
    const inner = "unwrap" in field ? (field as { unwrap(): unknown }).unwrap() : field;
    const max = (inner as { maxLength?: number | null }).maxLength;
    return typeof max === "number" ? [[name, max]] : [];
  }),
);

const COUNTRY = /^[A-Z]{2}$/;
const EMPTY_QUERY = new URLSearchParams();
const utf8 = new TextDecoder("utf-8", { fatal: true });

class RecordFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

function parseConfig(input: TransformConfigInput | undefined): TransformConfig {
  const result = TransformConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - transform.${i.path.map(String).join(".")}: ${i.message}`);
    throw new Error(`invalid transform configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

export async function createProcessor(options: ProcessorOptions): Promise<Processor> {
  const config = parseConfig(options.config);
  const visitors = new VisitorIds(options.visitorIdKey);
  const rules = new Rules(config);
  const userAgents = new UserAgentCache(options.userAgentCacheSize);
  const geoFiles = geoDatabaseFiles(options.geoDatabase, config.geoip.databases);
  const geo = geoFiles.length > 0 ? await GeoIp.open(geoFiles) : null;
  const now = options.now ?? (() => new Date());
  const datacenterAsns = new Set(config.bots.datacenterAsns);
  const output = new BatchOutput();
  const maxResponseBytes = options.maxResponseBytes ?? LAMBDA_LIMITS.syncPayloadBytes;
  /** Metadata by event type and day: records of a batch share a few, so they share the objects (read only). */
  const metadata = new Map<string, { partitionKeys: PartitionKeys }>();
  const metadataFor = (eventType: EventType, eventTime: string) => {
    const key = eventType + eventTime.slice(0, 10);
    let m = metadata.get(key);
    if (m === undefined) {
      if (metadata.size >= 1_000) metadata.clear();
      m = Object.freeze({ partitionKeys: Object.freeze(partitionKeysFor(eventType, eventTime)) });
      metadata.set(key, m);
    }
    return m;
  };

  function processRecords(records: readonly FirehoseRecordIn[]) {
    const stats: ProcessStats = {
      records: records.length,
      byResult: { Ok: 0, Dropped: 0, ProcessingFailed: 0 },
      byEventType: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
      failuresByReason: {},
      droppedByRule: {},
      truncatedValues: 0,
      failures: [],
    };
    const nowMs = now().getTime();
    output.reset();
    /** Ok records, in the order their rows were added to `output`; their data is filled in at the end. */
    const okRecords: FirehoseRecordOut[] = [];

    /** A string column's value, cut to the column's maximum length (on a code point boundary). */
    const clip = (column: keyof EventRow, value: string | null): string | null => {
      const max = MAX_LENGTH[column];
      if (value === null || max === undefined || value.length <= max) return value;
      stats.truncatedValues++;
      const code = value.charCodeAt(max - 1);
      return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
    };

    function transform(record: FirehoseRecordIn): FirehoseRecordOut {
      if (typeof record.data !== "string") throw new RecordFailure("bad-record", "record has no base64 data");
      let line: string;
      try {
        line = utf8.decode(Buffer.from(record.data, "base64"));
      } catch {
        throw new RecordFailure("invalid-utf8", "record is not valid UTF-8");
      }
      const parsed = parseLogLine(line);
      if (!parsed.ok) throw new RecordFailure(parsed.reason, parsed.message);
      const r = parsed.record;

      const eventTime = new Date(Math.round((r.timestamp as number) * 1000));
      const year = eventTime.getUTCFullYear();
      if (!(year >= FIRST_YEAR && year <= LAST_YEAR) || eventTime.getTime() > nowMs + MAX_FUTURE_MS) {
        throw new RecordFailure(
          "timestamp-out-of-range",
          `timestamp ${r.timestamp} is outside ${FIRST_YEAR}-${LAST_YEAR} (the partition projection's range) or more than a day ahead`,
        );
      }

      const facts = requestFacts(r);
      const dropRule = rules.dropRule(facts);
      if (dropRule !== null) {
        stats.droppedByRule[dropRule] = (stats.droppedByRule[dropRule] ?? 0) + 1;
        return { recordId: record.recordId, result: "Dropped", data: record.data };
      }
      const classification = rules.classify(facts);
      const row = buildRow(r, facts, classification, eventTime, clip);
      const valid = EventRowSchema.safeParse(row);
      if (!valid.success) {
        const issue = valid.error.issues[0];
        throw new RecordFailure("invalid-row", `${issue?.path.join(".") || "row"}: ${issue?.message ?? "invalid"}`);
      }
      output.add(JSON.stringify(valid.data));
      stats.byEventType[classification.eventType]++;
      const ok: FirehoseRecordOut = {
        recordId: record.recordId,
        result: "Ok",
        data: "", // set from `output` once the batch is done
        metadata: metadataFor(classification.eventType, row.event_time),
      };
      okRecords.push(ok);
      return ok;
    }

    const out = records.map((record): FirehoseRecordOut => {
      let result: FirehoseRecordOut;
      try {
        result = transform(record);
      } catch (e) {
        const reason: FailureReason = e instanceof RecordFailure ? e.reason : "internal-error";
        const message = e instanceof Error ? e.message : String(e);
        stats.failuresByReason[reason] = (stats.failuresByReason[reason] ?? 0) + 1;
        if (stats.failures.length < MAX_FAILURE_SAMPLES) stats.failures.push({ recordId: String(record?.recordId), reason, message });
        result = { recordId: record?.recordId, result: "ProcessingFailed", data: typeof record?.data === "string" ? record.data : "" };
      }
      stats.byResult[result.result]++;
      return result;
    });
    const data = output.encode();
    for (let i = 0; i < okRecords.length; i++) (okRecords[i] as FirehoseRecordOut).data = data[i] as string;
    fitResponse(out, records, stats);
    return { records: out, stats };
  }

  /**
   * Keep the response under Lambda's payload limit. Rows are bigger than the lines they come from (2.8x for
   * typical lines, ~5.7x for short ones such as requests without user agent or referrer), so a processor buffer
   * of short lines can give more than 6 MB, and Lambda would fail the whole invocation for Firehose to retry in
   * vain. Instead the last Ok records go back as ProcessingFailed with their original data, which Firehose keeps
   * under errors/, counted as `response-too-large`.
   */
  function fitResponse(out: FirehoseRecordOut[], input: readonly FirehoseRecordIn[], stats: ProcessStats): void {
    let total = responseBytes(out);
    for (let i = out.length - 1; i >= 0 && total > maxResponseBytes; i--) {
      const ok = out[i] as FirehoseRecordOut;
      if (ok.result !== "Ok" || ok.metadata === undefined) continue;
      const failed: FirehoseRecordOut = { recordId: ok.recordId, result: "ProcessingFailed", data: (input[i] as FirehoseRecordIn).data };
      total += recordBytes(failed) - recordBytes(ok);
      out[i] = failed;
      stats.byResult.Ok--;
      stats.byResult.ProcessingFailed++;
      stats.byEventType[ok.metadata.partitionKeys.event_type]--;
      stats.failuresByReason["response-too-large"] = (stats.failuresByReason["response-too-large"] ?? 0) + 1;
      if (stats.failures.length < MAX_FAILURE_SAMPLES) {
        stats.failures.push({
          recordId: ok.recordId,
          reason: "response-too-large",
          message: `the batch's response would exceed ${maxResponseBytes} bytes; lower ingestion.processorBufferSizeMB`,
        });
      }
    }
  }

  function buildRow(
    r: CloudFrontLogRecord,
    facts: RequestFacts,
    c: Classification,
    eventTime: Date,
    clip: (column: keyof EventRow, value: string | null) => string | null,
  ): EventRow {
    const iso = eventTime.toISOString();
    const ip = r["c-ip"];
    const ua = facts.userAgent;
    const uaInfo = userAgents.get(ua);
    const asn = r.asn;
    const bot = botReason(r, uaInfo.botMatch, asn);

    const cfCountry = r["c-country"] !== null && COUNTRY.test(r["c-country"]) ? r["c-country"] : null;
    const g = geo ? geo.lookup(ip) : NO_GEO;
    // Region and city only when the database agrees with CloudFront on the country: a disagreeing city is a wrong one.
    const sameCountry = cfCountry === null || g.country === cfCountry;
    const query = facts.query;

    return {
      event_time: iso,
      request_id: r["x-edge-request-id"] as string,
      host: clip("host", r["x-host-header"]),
      path: clip("path", facts.path) as string,
      query_string: clip("query_string", r["cs-uri-query"]),
      method: r["cs-method"] as string,
      protocol: r["cs-protocol"],
      http_version: r["cs-protocol-version"],
      status: facts.status,
      bytes_sent: r["sc-bytes"],
      time_taken_ms: ms(r["time-taken"]),
      time_to_first_byte_ms: ms(r["time-to-first-byte"]),
      content_type: clip("content_type", facts.contentType),
      range_start: r["sc-range-start"],
      range_end: r["sc-range-end"],
      download_complete: c.eventType === "document_download" ? downloadComplete(r, facts.status, c.documentId) : null,
      referrer: clip("referrer", r["cs-referer"]),
      referrer_host: clip("referrer_host", facts.referrer?.hostname || null),
      utm_source: clip("utm_source", query.get("utm_source") || null),
      utm_medium: clip("utm_medium", query.get("utm_medium") || null),
      utm_campaign: clip("utm_campaign", query.get("utm_campaign") || null),
      document_id: clip("document_id", c.documentId),
      qr_code: clip("qr_code", c.qrCode),
      browser: clip("browser", uaInfo.browser),
      os: clip("os", uaInfo.os),
      device_class: bot ? "bot" : uaInfo.deviceClass,
      is_bot: bot !== null,
      bot_reason: clip("bot_reason", bot),
      country: cfCountry ?? g.country,
      region: sameCountry ? clip("region", g.region) : null,
      city: sameCountry ? clip("city", g.city) : null,
      asn,
      visitor_id: visitors.id(ip, ua, iso.slice(0, 10)),
      ip_prefix: config.privacy.storeIpPrefix ? ipPrefix(ip) : null,
      edge_location: clip("edge_location", r["x-edge-location"]),
      edge_result_type: clip("edge_result_type", r["x-edge-result-type"]),
    };
  }

  /** The first signal that says the request is automated, or null. User agent first: it names the bot. */
  function botReason(r: CloudFrontLogRecord, uaBot: string | null, asn: number | null): string | null {
    if (uaBot !== null) return `user-agent:${uaBot}`;
    if (r["cs-user-agent"] === null) return "no-user-agent";
    if (config.bots.flagHeadRequests && r["cs-method"] === "HEAD") return "head-request";
    if (config.bots.flagMissingAccept && r["cs-accept"] === null) return "no-accept-header";
    if (asn !== null && datacenterAsns.has(asn)) return `datacenter-asn:${asn}`;
    return null;
  }

  /**
   * A 200 is the whole file (unless the viewer hung up: fewer bytes sent than the content length); a 206 is one
   * part, and completes the download when it ends at the document's last byte (needs the size from the config).
   */
  function downloadComplete(r: CloudFrontLogRecord, status: number, documentId: string | null): boolean | null {
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

  return {
    processRecords,
    config,
    geoDatabases: geo?.databases ?? [],
  };
}

/** Parsed referrers, by their text: real traffic repeats a few (search engines, the site itself). */
const referrers = new Map<string, URL | null>();
const MAX_REFERRERS = 2_000;

function parseReferrer(ref: string): URL | null {
  let url = referrers.get(ref);
  if (url === undefined) {
    try {
      url = new URL(ref);
    } catch {
      url = null;
    }
    if (referrers.size >= MAX_REFERRERS) referrers.clear();
    referrers.set(ref, url);
  }
  return url;
}

function requestFacts(r: CloudFrontLogRecord): RequestFacts {
  const host = r["x-host-header"]?.toLowerCase() ?? null;
  const ref = r["cs-referer"];
  return {
    path: r["cs-uri-stem"] as string,
    query: r["cs-uri-query"] === null ? EMPTY_QUERY : new URLSearchParams(r["cs-uri-query"]),
    method: r["cs-method"] as string,
    status: r["sc-status"] as number,
    contentType: r["sc-content-type"],
    userAgent: r["cs-user-agent"],
    host,
    // Shared between records: read only (classify.ts reads hostname and pathname).
    referrer: ref === null ? null : parseReferrer(ref),
  };
}
