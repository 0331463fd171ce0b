/**
 * CloudFront log records: every field once, and parsers for one line of each
 * format into the same record.
 *
 * Real-time logs: CloudFront writes the fields tab-separated, in a fixed
 * canonical order whatever order the configuration lists them in, and writes
 * `-` for a field with no value. Standard log files (legacy, or v2 with W3C
 * output) are tab-separated too, with `#Version`/`#Fields` directive lines
 * naming the columns; legacy files always hold the same 33.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
 */
import * as z from "zod";

/** How the parser reads a field's text (after `-` or an empty value became null). */
export type FieldKind = "number" | "text" | "encoded";

interface FieldSpec {
  /**
   * `number`: seconds, bytes, counts, ports. `encoded`: CloudFront percent-encodes it in the log line and the
   * parser decodes it. `cs-uri-query` is encoded too but stays so: decoding it would merge parameters that
   * contain `&` or `=` (use URLSearchParams on it instead).
   */
  readonly kind: FieldKind;
  /** Its column name in a standard log file's `#Fields:` header, where that differs from the real-time name. */
  readonly w3c?: string;
}

/**
 * Every CloudFront log field, once: its real-time name (the key), how to parse it and, where it differs, its
 * standard log (W3C) column name. Key order is the real-time canonical order; the two `primary-distribution-*`
 * fields (continuous deployment) sit between `cs-headers-count` and `origin-fbl`. Standard logs have no
 * `timestamp` column: their `date` and `time` columns ({@link W3C_DATE}, {@link W3C_TIME}) give the same event time.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html ("Log file fields")
 */
export const CLOUDFRONT_FIELDS = {
  timestamp: { kind: "number" },
  "c-ip": { kind: "text" },
  "time-to-first-byte": { kind: "number" },
  "sc-status": { kind: "number" },
  "sc-bytes": { kind: "number" },
  "cs-method": { kind: "text" },
  "cs-protocol": { kind: "text" },
  "cs-host": { kind: "text", w3c: "cs(Host)" },
  "cs-uri-stem": { kind: "encoded" },
  "cs-bytes": { kind: "number" },
  "x-edge-location": { kind: "text" },
  "x-edge-request-id": { kind: "text" },
  "x-host-header": { kind: "text" },
  "time-taken": { kind: "number" },
  "cs-protocol-version": { kind: "text" },
  "c-ip-version": { kind: "text" },
  "cs-user-agent": { kind: "encoded", w3c: "cs(User-Agent)" },
  "cs-referer": { kind: "encoded", w3c: "cs(Referer)" },
  "cs-cookie": { kind: "text", w3c: "cs(Cookie)" },
  "cs-uri-query": { kind: "text" },
  "x-edge-response-result-type": { kind: "text" },
  "x-forwarded-for": { kind: "text" },
  "ssl-protocol": { kind: "text" },
  "ssl-cipher": { kind: "text" },
  "x-edge-result-type": { kind: "text" },
  "fle-encrypted-fields": { kind: "text" },
  "fle-status": { kind: "text" },
  "sc-content-type": { kind: "text" },
  "sc-content-len": { kind: "number" },
  "sc-range-start": { kind: "number" },
  "sc-range-end": { kind: "number" },
  "c-port": { kind: "number" },
  "x-edge-detailed-result-type": { kind: "text" },
  "c-country": { kind: "text" },
  "cs-accept-encoding": { kind: "text" },
  "cs-accept": { kind: "text" },
  "cache-behavior-path-pattern": { kind: "text" },
  "cs-headers": { kind: "text" },
  "cs-header-names": { kind: "text" },
  "cs-headers-count": { kind: "number" },
  "primary-distribution-id": { kind: "text" },
  "primary-distribution-dns-name": { kind: "text" },
  "origin-fbl": { kind: "number" },
  "origin-lbl": { kind: "number" },
  asn: { kind: "number" },
} as const satisfies Record<string, FieldSpec>;

export type CloudFrontField = keyof typeof CLOUDFRONT_FIELDS;

/** Every real-time log field CloudFront knows, in its canonical order. */
export const CLOUDFRONT_CANONICAL_FIELDS = Object.keys(CLOUDFRONT_FIELDS) as readonly CloudFrontField[];

const kindOf = (f: CloudFrontField): FieldKind => CLOUDFRONT_FIELDS[f].kind;

/** A field's column name in a standard log file (W3C). */
export function w3cName(f: CloudFrontField): string {
  const spec: FieldSpec = CLOUDFRONT_FIELDS[f];
  return spec.w3c ?? f;
}

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

type FieldValue<F extends CloudFrontField> = (typeof CLOUDFRONT_FIELDS)[F]["kind"] extends "number" ? number | null : string | null;

/** One parsed log line: every configured field, `null` where CloudFront wrote `-` or the format has no such column. */
export type CloudFrontLogRecord = { [F in RealtimeLogField]: FieldValue<F> };

/**
 * The parsed record as a zod schema, derived from the field table: the oracle tests hold both parsers to (the
 * parsers build records by type, not through zod, to keep the hot path fast).
 */
export const CloudFrontLogRecordSchema = z.strictObject(
  Object.fromEntries(REALTIME_LOG_FIELDS.map((f) => [f, kindOf(f) === "number" ? z.number().finite().nullable() : z.string().nullable()])),
);

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
  badNumber = -1;
  const record = plan.build(parts);
  if (badNumber >= 0) {
    return {
      ok: false,
      reason: "bad-number",
      message: `field ${fields[badNumber]} is not a number: ${truncate(parts[badNumber] as string)}`,
    };
  }
  for (const field of plan.required) {
    if (record[field] === null) return { ok: false, reason: "missing-required", message: `required field ${field} is empty` };
  }
  return { ok: true, record: record as CloudFrontLogRecord };
}

const TEXT = 0;
const NUMBER = 1;
const ENCODED = 2;
const KIND_CODES: Record<FieldKind, number> = { text: TEXT, number: NUMBER, encoded: ENCODED };

/** What the parser does with each field of one field list, worked out once per list (a line is parsed in microseconds). */
interface ParsePlan {
  readonly kinds: Uint8Array;
  readonly template: Readonly<Record<string, null>>;
  readonly required: readonly RealtimeLogField[];
  readonly decode: (raw: string) => string;
  /**
   * The record from a line's parts, as one object literal generated for the field list: its stores are static
   * (one shape, no per-field keyed store), which made the parser ~2x faster than a loop over the fields. A part
   * that is not a number where one is due is null in the record and its index in {@link badNumber}.
   */
  readonly build: (parts: readonly string[]) => Record<string, string | number | null>;
}

/** Index of the first part {@link ParsePlan.build} found not a number, or -1 (parsing is synchronous). */
let badNumber = -1;

const NONE = (raw: string) => raw === "-" || raw === "";
const asText = (raw: string): string | null => (NONE(raw) ? null : raw);
function asNumber(raw: string, index: number): number | null {
  if (NONE(raw)) return null;
  const n = Number(raw);
  if (Number.isFinite(n)) return n;
  if (badNumber < 0) badNumber = index;
  return null;
}

/** The generated {@link ParsePlan.build}: field names come from CLOUDFRONT_FIELDS (JSON-quoted), never from input. */
function compileBuild(fields: readonly RealtimeLogField[], decode: (raw: string) => string): ParsePlan["build"] {
  const asEncoded = (raw: string): string | null => (NONE(raw) ? null : decode(raw));
  const properties = fields.map((f, i) => {
    const kind = KIND_CODES[kindOf(f)];
    const value = kind === NUMBER ? `num(p[${i}], ${i})` : kind === ENCODED ? `enc(p[${i}])` : `text(p[${i}])`;
    return `${JSON.stringify(f)}: ${value}`;
  });
  return new Function("text", "num", "enc", `return (p) => ({ ${properties.join(", ")} });`)(asText, asNumber, asEncoded);
}

const plans = new WeakMap<readonly RealtimeLogField[], ParsePlan>();

/** Distinct encoded values remembered per field list: real traffic repeats user agents and referrers. */
const MAX_DECODED = 2_000;

function planFor(fields: readonly RealtimeLogField[]): ParsePlan {
  let plan = plans.get(fields);
  if (plan) return plan;
  const decoded = new Map<string, string>();
  // The same user agent then arrives as the same string, so later Map lookups by it reuse its hash.
  const decode = (raw: string) => {
    let value = decoded.get(raw);
    if (value === undefined) {
      value = safeDecode(raw);
      if (decoded.size >= MAX_DECODED) decoded.clear();
      decoded.set(raw, value);
    }
    return value;
  };
  plan = {
    kinds: Uint8Array.from(fields, (f) => KIND_CODES[kindOf(f)]),
    template: Object.fromEntries(fields.map((f) => [f, null])),
    required: REQUIRED.filter((f) => fields.includes(f)),
    decode,
    build: compileBuild(fields, decode),
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
      return kindOf(f) === "encoded" ? encodeField(v) : v.replace(/[\t\n]/g, " ");
    })
    .join("\t");
}

/** The standard log columns that together give the event time that real-time logs call `timestamp` (UTC). */
export const W3C_DATE = "date";
export const W3C_TIME = "time";

/**
 * The 33 columns of a legacy standard log file, in order: the order of a file without a `#Fields:` header.
 * Standard logging v2 with W3C output names its (selectable) columns in the header; the parser follows it.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html ("Log file fields")
 */
export const STANDARD_LOG_LEGACY_COLUMNS: readonly string[] = [
  W3C_DATE,
  W3C_TIME,
  ...(
    [
      "x-edge-location",
      "sc-bytes",
      "c-ip",
      "cs-method",
      "cs-host",
      "cs-uri-stem",
      "sc-status",
      "cs-referer",
      "cs-user-agent",
      "cs-uri-query",
      "cs-cookie",
      "x-edge-result-type",
      "x-edge-request-id",
      "x-host-header",
      "cs-protocol",
      "cs-bytes",
      "time-taken",
      "x-forwarded-for",
      "ssl-protocol",
      "ssl-cipher",
      "x-edge-response-result-type",
      "cs-protocol-version",
      "fle-status",
      "fle-encrypted-fields",
      "c-port",
      "time-to-first-byte",
      "x-edge-detailed-result-type",
      "sc-content-type",
      "sc-content-len",
      "sc-range-start",
      "sc-range-end",
    ] as const satisfies readonly CloudFrontField[]
  ).map(w3cName),
];

/** A column the parser reads into no field: one the pipeline does not ask for (cookies, TLS details) or does not know. */
const SKIP = -1;
const DATE_COLUMN = -2;
const TIME_COLUMN = -3;

/** How to read the lines of one standard log file, worked out once from its `#Fields:` header (or the legacy order). */
export interface W3cLayout {
  readonly columns: readonly string[];
  /** Per column: the index of its field in REALTIME_LOG_FIELDS, or SKIP, DATE_COLUMN, TIME_COLUMN. */
  readonly targets: Int16Array;
  /** Configured fields this format has no column for: null in every record (docs/transform.md lists them). */
  readonly lacking: ReadonlySet<RealtimeLogField>;
  readonly plan: ParsePlan;
}

const BY_W3C_NAME: ReadonlyMap<string, number> = new Map(REALTIME_LOG_FIELDS.map((f, i) => [w3cName(f), i]));

/** The layout of a standard log file with these columns (its `#Fields:` names), e.g. {@link STANDARD_LOG_LEGACY_COLUMNS}. */
export function w3cLayout(columns: readonly string[]): W3cLayout {
  const targets = Int16Array.from(columns, (c) =>
    c === W3C_DATE ? DATE_COLUMN : c === W3C_TIME ? TIME_COLUMN : (BY_W3C_NAME.get(c) ?? SKIP),
  );
  const present = new Set<RealtimeLogField>();
  for (const t of targets) if (t >= 0) present.add(REALTIME_LOG_FIELDS[t] as RealtimeLogField);
  if (targets.includes(DATE_COLUMN) && targets.includes(TIME_COLUMN)) present.add("timestamp");
  return {
    columns,
    targets,
    lacking: new Set(REALTIME_LOG_FIELDS.filter((f) => !present.has(f))),
    plan: planFor(REALTIME_LOG_FIELDS),
  };
}

/** The column names of a `#Fields:` header line (space-separated), or null for any other line. */
export function parseFieldsHeader(line: string): string[] | null {
  const m = /^#Fields:\s*(.*?)\s*$/.exec(line);
  return m ? (m[1] as string).split(/\s+/).filter((c) => c !== "") : null;
}

const W3C_DAY = /^\d{4}-\d{2}-\d{2}$/;
const W3C_CLOCK = /^\d{2}:\d{2}:\d{2}(\.\d+)?$/;

/**
 * Parse one line of a standard log file (tab-separated, columns as the layout says) into the same record a
 * real-time line gives: `date` + `time` become `timestamp` (epoch seconds), fields the format lacks are null.
 * Never throws.
 */
export function parseW3cLine(line: string, layout: W3cLayout): ParseResult {
  const trimmed = line.endsWith("\r\n") ? line.slice(0, -2) : line.endsWith("\n") ? line.slice(0, -1) : line;
  if (trimmed.trim() === "") return { ok: false, reason: "empty", message: "empty line" };
  const parts = trimmed.split("\t");
  const { targets, plan } = layout;
  if (parts.length !== targets.length) {
    return { ok: false, reason: "field-count", message: `expected ${targets.length} tab-separated fields, got ${parts.length}` };
  }
  const record: Record<string, string | number | null> = { ...plan.template };
  let day: string | undefined;
  let clock: string | undefined;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as number;
    if (t === SKIP) continue;
    const raw = parts[i] as string;
    if (t === DATE_COLUMN) day = raw;
    else if (t === TIME_COLUMN) clock = raw;
    else {
      const field = REALTIME_LOG_FIELDS[t] as RealtimeLogField;
      if (raw === "-" || raw === "") continue;
      const kind = plan.kinds[t];
      if (kind === NUMBER) {
        const n = Number(raw);
        if (!Number.isFinite(n)) return { ok: false, reason: "bad-number", message: `field ${field} is not a number: ${truncate(raw)}` };
        record[field] = n;
      } else record[field] = kind === ENCODED ? plan.decode(raw) : raw;
    }
  }
  if (day !== undefined && clock !== undefined && day !== "-" && clock !== "-") {
    const ms = W3C_DAY.test(day) && W3C_CLOCK.test(clock) ? Date.parse(`${day}T${clock}Z`) : Number.NaN;
    if (!Number.isFinite(ms))
      return { ok: false, reason: "bad-number", message: `date and time are not a UTC time: ${truncate(`${day} ${clock}`)}` };
    record.timestamp = ms / 1000;
  }
  for (const field of plan.required) {
    if (record[field] === null) return { ok: false, reason: "missing-required", message: `required field ${field} is empty` };
  }
  return { ok: true, record: record as CloudFrontLogRecord };
}

/**
 * One standard log line (no trailing newline) from field values, in the layout's columns: the inverse of
 * {@link parseW3cLine}, for fixtures and the sample generator. `timestamp` (epoch seconds) fills `date` and
 * `time` (whole seconds, as CloudFront writes them); a field without a value, or a column no field fills, is `-`.
 */
export function formatW3cLine(values: Partial<Record<RealtimeLogField, string | number | null>>, layout: W3cLayout): string {
  const ts = values.timestamp;
  const iso = ts === null || ts === undefined ? null : new Date(Math.floor(Number(ts)) * 1000).toISOString();
  const byField: Partial<Record<RealtimeLogField, string | number | null>> = { ...values };
  const formatted = formatLogLine(byField).split("\t");
  return Array.from(layout.targets, (t) => {
    if (t === DATE_COLUMN) return iso ? iso.slice(0, 10) : "-";
    if (t === TIME_COLUMN) return iso ? iso.slice(11, 19) : "-";
    return t === SKIP ? "-" : (formatted[t] as string);
  }).join("\t");
}
