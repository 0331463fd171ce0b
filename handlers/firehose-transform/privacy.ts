/**
 * What stands in for the client IP in the lake: a visitor id (a keyed hash of
 * IP and user agent, with a salt that rotates every UTC day) and, only when the
 * config opts in, the client's network prefix. The raw IP never leaves here.
 */
import { createHmac } from "node:crypto";
import type { FailedRecordIp } from "../../schemas/transform-config";
import { VISITOR_KEY_PLACEHOLDER_PREFIX } from "./env";
import { normalizeIp } from "./geoip";

/** Shortest visitor-id key accepted: 128 bits of hex or base64 are longer than this. */
export const MIN_VISITOR_KEY_LENGTH = 16;

/** Visitor ids kept per container (a few MB at most). */
const MAX_CACHED_IDS = 20_000;

export class VisitorIds {
  private readonly salts = new Map<string, Buffer>();
  /** Ids by day, then user agent, then IP: nested maps look up the strings the record already has, with no key to build. */
  private readonly ids = new Map<string, Map<string | null, Map<string | null, string>>>();
  private cachedIds = 0;

  constructor(private readonly key: string) {
    if (typeof key !== "string" || key.length < MIN_VISITOR_KEY_LENGTH) {
      throw new Error(`the visitor-id key must be at least ${MIN_VISITOR_KEY_LENGTH} characters (got ${key?.length ?? 0})`);
    }
    if (key.startsWith(VISITOR_KEY_PLACEHOLDER_PREFIX)) {
      throw new Error("the visitor-id key is still the placeholder: set the SSM parameter to a random secret (openssl rand -base64 32)");
    }
  }

  /**
   * 32 hex characters (128 bits). The day's salt is derived from the secret key, so ids are stable within a UTC
   * day (counting unique visitors per day) and unlinkable across days without the key.
   * @param day the event's UTC date, `YYYY-MM-DD`
   */
  id(ip: string | null, userAgent: string | null, day: string): string {
    // A visitor makes several requests a day: remember its id instead of hashing again (~2.5 µs per HMAC).
    // Clearing when full bounds memory against a flood of unique IPs, at the cost of hashing the regulars again.
    if (this.cachedIds >= MAX_CACHED_IDS) {
      this.ids.clear();
      this.cachedIds = 0;
    }
    let byAgent = this.ids.get(day);
    if (byAgent === undefined) {
      byAgent = new Map();
      this.ids.set(day, byAgent);
    }
    let byIp = byAgent.get(userAgent);
    if (byIp === undefined) {
      byIp = new Map();
      byAgent.set(userAgent, byIp);
    }
    const cached = byIp.get(ip);
    if (cached !== undefined) return cached;
    const id = this.hash(ip, userAgent, day);
    byIp.set(ip, id);
    this.cachedIds++;
    return id;
  }

  private hash(ip: string | null, userAgent: string | null, day: string): string {
    let salt = this.salts.get(day);
    if (!salt) {
      salt = createHmac("sha256", this.key).update(`visitor-id-salt/${day}`).digest();
      if (this.salts.size >= 64) this.salts.clear();
      this.salts.set(day, salt);
    }
    return createHmac("sha256", salt)
      .update(`${ip?.length ?? 0}:${ip ?? ""}`)
      .update(userAgent ?? "")
      .digest("hex")
      .slice(0, 32);
  }
}

/** The eight 16-bit groups of an IPv6 address (which {@link normalizeIp} has validated). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split("%")[0] as string;
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

/** The client's network: IPv4 /24 (`203.0.113.0/24`), IPv6 /48 (`2001:db8:1::/48`); null for anything else. */
export function ipPrefix(rawIp: string | null): string | null {
  if (!rawIp) return null;
  const { ip, version } = normalizeIp(rawIp);
  if (version === 4) return `${ip.split(".").slice(0, 3).join(".")}.0/24`;
  if (version === 6) {
    const g = ipv6Groups(ip);
    return `${g
      .slice(0, 3)
      .map((x) => x.toString(16))
      .join(":")}::/48`;
  }
  return null;
}

/**
 * The client's network address, the truncation {@link ipPrefix} stores without its length: IPv4 /24
 * (`203.0.113.0`), IPv6 /48 (`2001:db8:1::`). A valid address, so a line carrying it still parses and still
 * finds its country in GeoIP. null for anything that is not an IP address.
 */
export function truncateIp(rawIp: string): string | null {
  const prefix = ipPrefix(rawIp);
  return prefix === null ? null : prefix.slice(0, prefix.indexOf("/"));
}

/** Log fields that hold client addresses, by the name both CloudFront formats use (real-time and W3C standard logs). */
export const CLIENT_IP_FIELDS = ["c-ip", "x-forwarded-for"] as const;

/** Positions of {@link CLIENT_IP_FIELDS} in a format's field list (for {@link redactIpFields}). */
export function clientIpFieldIndexes(fields: readonly string[]): number[] {
  return CLIENT_IP_FIELDS.map((f) => fields.indexOf(f)).filter((i) => i >= 0);
}

export interface RedactOptions {
  /** Field separator. @default "\t" (real-time logs and W3C standard logs) */
  readonly separator?: string;
  /** The format's field count; a line with another count has unreliable positions. @default positions trusted */
  readonly fieldCount?: number;
  /** Network address or `-` (config `transform.privacy.failedRecordIp`). @default "truncate" */
  readonly mode?: FailedRecordIp;
}

/** Characters around an address in free text: a line whose fields cannot be trusted is searched token by token. */
const TOKEN_EDGES = /([\s,;"'=&|<>()[\]{}/?#]+)/;
/** An IPv4 address with a port (`203.0.113.9:443`): the port is kept, the address redacted. */
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3})(:\d{1,5})$/;

/** A CloudFront `-` (no value) stays; an address is truncated or omitted; anything else in an IP field goes. */
export function redactIpValue(value: string, mode: FailedRecordIp): string {
  if (value === "-" || value === "") return value;
  // One address (c-ip, and most x-forwarded-for): no list to split.
  if (!value.includes(",")) return mode === "omit" ? "-" : (truncateIp(value.trim()) ?? "-");
  // x-forwarded-for holds a list (`a, b`): each entry is redacted, the separators kept.
  return value
    .split(/(,\s*)/)
    .map((part, i) => (i % 2 === 1 ? part : mode === "omit" ? "-" : (truncateIp(part.trim()) ?? "-")))
    .join("");
}

function redactTokens(text: string, mode: FailedRecordIp): string {
  return text
    .split(TOKEN_EDGES)
    .map((token, i) => {
      if (i % 2 === 1 || token === "") return token;
      const withPort = IPV4_WITH_PORT.exec(token);
      const address = withPort ? (withPort[1] as string) : token;
      const truncated = truncateIp(address);
      if (truncated === null) return token;
      return (mode === "omit" ? "-" : truncated) + (withPort?.[2] ?? "");
    })
    .join("");
}

/**
 * A log line with each client IP field replaced by its network address ({@link truncateIp}) or `-`, every other
 * byte unchanged: separators, other fields, a trailing newline. A field that is `-` stays `-`; an IP field that
 * is not an address becomes `-`. When the line does not have `fieldCount` fields the positions cannot be trusted,
 * so every token of the line that is an IP address is replaced instead. Pure; never throws.
 *
 * This is what errors/ keeps of a failed record: replayable through the transform (the line still parses, and
 * GeoIP still finds the network's place), without the address in clear.
 * @param line the original line; latin1 text keeps any bytes (addresses are ASCII)
 * @param ipFieldIndexes 0-based positions of the format's IP fields (`c-ip`, `x-forwarded-for`)
 */
export function redactIpFields(line: string, ipFieldIndexes: readonly number[], options: RedactOptions = {}): string {
  const separator = options.separator ?? "\t";
  const mode = options.mode ?? "truncate";
  const newline = line.endsWith("\r\n") ? "\r\n" : line.endsWith("\n") ? "\n" : "";
  const end = line.length - newline.length;
  // Field boundaries by indexOf instead of split and join: a batch over Lambda's response limit redacts thousands
  // of lines, and only the IP fields change.
  const starts: number[] = [0];
  for (let at = line.indexOf(separator); at !== -1 && at + separator.length <= end; at = line.indexOf(separator, at + separator.length)) {
    starts.push(at + separator.length);
  }
  if (options.fieldCount !== undefined && starts.length !== options.fieldCount) return redactTokens(line, mode);
  const fieldEnd = (i: number) => (i + 1 < starts.length ? (starts[i + 1] as number) - separator.length : end);
  let out = "";
  let copied = 0;
  for (const i of [...ipFieldIndexes].sort((a, b) => a - b)) {
    if (i < 0 || i >= starts.length || (starts[i] as number) < copied) continue; // absent, or listed twice
    const from = starts[i] as number;
    const to = fieldEnd(i);
    out += line.slice(copied, from) + redactIpValue(line.slice(from, to), mode);
    copied = to;
  }
  return copied === 0 ? line : out + line.slice(copied);
}

/** {@link redactIpFields} on base64 data (a Firehose record's `data`): bytes in, bytes out, any bytes kept. */
export function redactIpFieldsBase64(data: string, ipFieldIndexes: readonly number[], options: RedactOptions = {}): string {
  const line = Buffer.from(data, "base64").toString("latin1");
  const redacted = redactIpFields(line, ipFieldIndexes, options);
  return redacted === line ? data : Buffer.from(redacted, "latin1").toString("base64");
}
