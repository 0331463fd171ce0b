/**
 * What stands in for the client IP in the lake: a visitor id (a keyed hash of
 * IP and user agent, with a salt that rotates every UTC day) and, only when the
 * config opts in, the client's network prefix. The raw IP never leaves here.
 */
import { createHmac } from "node:crypto";
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
