/**
 * CloudFront real-time log records: the field list and a parser for one line.
 *
 * CloudFront writes the fields of a real-time log record tab-separated, in a
 * fixed canonical order whatever order the configuration lists them in, and
 * writes `-` for a field with no value.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
 */

/**
 * Every real-time log field CloudFront knows, in its canonical order. The two
 * `primary-distribution-*` fields (continuous deployment) sit between
 * `cs-headers-count` and `origin-fbl`.
 */
export const CLOUDFRONT_CANONICAL_FIELDS = [
  "timestamp",
  "c-ip",
  "time-to-first-byte",
  "sc-status",
  "sc-bytes",
  "cs-method",
  "cs-protocol",
  "cs-host",
  "cs-uri-stem",
  "cs-bytes",
  "x-edge-location",
  "x-edge-request-id",
  "x-host-header",
  "time-taken",
  "cs-protocol-version",
  "c-ip-version",
  "cs-user-agent",
  "cs-referer",
  "cs-cookie",
  "cs-uri-query",
  "x-edge-response-result-type",
  "x-forwarded-for",
  "ssl-protocol",
  "ssl-cipher",
  "x-edge-result-type",
  "fle-encrypted-fields",
  "fle-status",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
  "c-port",
  "x-edge-detailed-result-type",
  "c-country",
  "cs-accept-encoding",
  "cs-accept",
  "cache-behavior-path-pattern",
  "cs-headers",
  "cs-header-names",
  "cs-headers-count",
  "primary-distribution-id",
  "primary-distribution-dns-name",
  "origin-fbl",
  "origin-lbl",
  "asn",
] as const;

export type CloudFrontField = (typeof CLOUDFRONT_CANONICAL_FIELDS)[number];

/** Fields whose value is a number (seconds, bytes, counts, ports). */
const NUMERIC_FIELDS = new Set<CloudFrontField>([
  "timestamp",
  "time-to-first-byte",
  "sc-status",
  "sc-bytes",
  "cs-bytes",
  "time-taken",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
  "c-port",
  "cs-headers-count",
  "origin-fbl",
  "origin-lbl",
  "asn",
]);

/**
 * Fields CloudFront percent-encodes in the log line. They are decoded by the
 * parser; `cs-uri-query` stays encoded, because decoding it would merge
 * parameters that contain `&` or `=` (use URLSearchParams on it instead).
 */
const URL_ENCODED_FIELDS = new Set<CloudFrontField>(["cs-uri-stem", "cs-user-agent", "cs-referer"]);

/**
 * The fields this pipeline asks CloudFront for. This one list feeds the
 * `fields` of the real-time log configuration and the parser. Cookies and full
 * headers are left out on purpose: they are personal data and up to 800 bytes each.
 */
const SELECTED = new Set<CloudFrontField>([
  "timestamp",
  "c-ip",
  "time-to-first-byte",
  "sc-status",
  "sc-bytes",
  "cs-method",
  "cs-protocol",
  "cs-host",
  "cs-uri-stem",
  "cs-bytes",
  "x-edge-location",
  "x-edge-request-id",
  "x-host-header",
  "time-taken",
  "cs-protocol-version",
  "c-ip-version",
  "cs-user-agent",
  "cs-referer",
  "cs-uri-query",
  "x-edge-response-result-type",
  "x-edge-result-type",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
  "x-edge-detailed-result-type",
  "c-country",
  "cs-accept",
  "asn",
]);

/** The configured fields, always in canonical order: the order records arrive in. */
export const REALTIME_LOG_FIELDS = CLOUDFRONT_CANONICAL_FIELDS.filter((f) => SELECTED.has(f));
export type RealtimeLogField = (typeof REALTIME_LOG_FIELDS)[number];

type FieldValue<F extends CloudFrontField> = F extends
  | "timestamp"
  | "time-to-first-byte"
  | "sc-status"
  | "sc-bytes"
  | "cs-bytes"
  | "time-taken"
  | "sc-content-len"
  | "sc-range-start"
  | "sc-range-end"
  | "c-port"
  | "cs-headers-count"
  | "origin-fbl"
  | "origin-lbl"
  | "asn"
  ? number | null
  : string | null;

/** One parsed log line: every configured field, `null` where CloudFront wrote `-`. */
export type CloudFrontLogRecord = { [F in RealtimeLogField]: FieldValue<F> };

export type ParseFailureReason = "empty" | "field-count" | "bad-number" | "missing-required";

export type ParseResult = { ok: true; record: CloudFrontLogRecord } | { ok: false; reason: ParseFailureReason; message: string };

/** Fields a record is useless without. */
const REQUIRED: readonly RealtimeLogField[] = ["timestamp", "sc-status", "cs-method", "cs-uri-stem"];

/** Percent-decode, leaving a malformed sequence as it was instead of throwing. */
export function safeDecode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * Parse one CloudFront real-time log line (tab-separated, maybe with a
 * trailing newline) into a typed record. Never throws: a malformed line gives
 * `{ ok: false, reason, message }`.
 *
 * @param fields the configured fields in canonical order; defaults to {@link REALTIME_LOG_FIELDS}.
 */
export function parseLogLine(line: string, fields: readonly RealtimeLogField[] = REALTIME_LOG_FIELDS): ParseResult {
  const trimmed = line.endsWith("\r\n") ? line.slice(0, -2) : line.endsWith("\n") ? line.slice(0, -1) : line;
  if (trimmed.trim() === "") return { ok: false, reason: "empty", message: "empty line" };
  const parts = trimmed.split("\t");
  if (parts.length !== fields.length) {
    return {
      ok: false,
      reason: "field-count",
      message: `expected ${fields.length} tab-separated fields, got ${parts.length}`,
    };
  }
  const plan = planFor(fields);
  // A copy of an object that has every field already: stores then keep one shape instead of growing one 40 times.
  const record: Record<string, string | number | null> = { ...plan.template };
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as RealtimeLogField;
    const raw = parts[i] as string;
    const kind = plan.kinds[i];
    if (raw === "-" || raw === "") {
      record[field] = null;
    } else if (kind === NUMBER) {
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        return { ok: false, reason: "bad-number", message: `field ${field} is not a number: ${truncate(raw)}` };
      }
      record[field] = n;
    } else {
      record[field] = kind === ENCODED ? plan.decode(raw) : raw;
    }
  }
  for (const field of plan.required) {
    if (record[field] === null) return { ok: false, reason: "missing-required", message: `required field ${field} is empty` };
  }
  return { ok: true, record: record as CloudFrontLogRecord };
}

const TEXT = 0;
const NUMBER = 1;
const ENCODED = 2;

/** What the parser does with each field of one field list, worked out once per list (a line is parsed in microseconds). */
interface ParsePlan {
  readonly kinds: Uint8Array;
  readonly template: Readonly<Record<string, null>>;
  readonly required: readonly RealtimeLogField[];
  readonly decode: (raw: string) => string;
}

const plans = new WeakMap<readonly RealtimeLogField[], ParsePlan>();

/** Distinct encoded values remembered per field list: real traffic repeats user agents and referrers. */
const MAX_DECODED = 2_000;

function planFor(fields: readonly RealtimeLogField[]): ParsePlan {
  let plan = plans.get(fields);
  if (plan) return plan;
  const decoded = new Map<string, string>();
  plan = {
    kinds: Uint8Array.from(fields, (f) => (NUMERIC_FIELDS.has(f) ? NUMBER : URL_ENCODED_FIELDS.has(f) ? ENCODED : TEXT)),
    template: Object.fromEntries(fields.map((f) => [f, null])),
    required: REQUIRED.filter((f) => fields.includes(f)),
    // The same user agent then arrives as the same string, so later Map lookups by it reuse its hash.
    decode(raw) {
      let value = decoded.get(raw);
      if (value === undefined) {
        value = safeDecode(raw);
        if (decoded.size >= MAX_DECODED) decoded.clear();
        decoded.set(raw, value);
      }
      return value;
    },
  };
  plans.set(fields, plan);
  return plan;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Percent-encode what CloudFront encodes in a log field: whitespace, `%`, and non-ASCII. */
function encodeField(value: string): string {
  return value.replace(/[\s%\u0080-\uffff]/gu, (c) => encodeURIComponent(c));
}

/**
 * The inverse of {@link parseLogLine}: one log line (no trailing newline) from
 * field values, as CloudFront would write it. Used by fixtures and the sample
 * traffic generator; a missing or null field is written as `-`.
 */
export function formatLogLine(
  values: Partial<Record<RealtimeLogField, string | number | null>>,
  fields: readonly RealtimeLogField[] = REALTIME_LOG_FIELDS,
): string {
  return fields
    .map((f) => {
      const v = values[f];
      if (v === null || v === undefined || v === "") return "-";
      if (typeof v === "number") return String(v);
      return URL_ENCODED_FIELDS.has(f) ? encodeField(v) : v.replace(/[\t\n]/g, " ");
    })
    .join("\t");
}
