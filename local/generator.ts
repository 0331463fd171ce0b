/**
 * Sample traffic for the sample site (site/catalog.json) as CloudFront
 * real-time log lines, deterministic for a seed, and the true counts of what
 * was generated: per dashboard metric, the rows it must return (counted by the
 * truth functions in ./truth.ts from the facts this file decides).
 *
 * The truth comes from what the generator decided (this visitor is a bot, this
 * range download reached the last byte), never from running the pipeline. A
 * few facts the generator only chooses, the pipeline derives (a document is
 * complete when a 200 or its last byte was served); where the pipeline cannot
 * know something, the truth says so (a range download of a document whose
 * size the catalog does not give is not counted complete).
 *
 * Every visitor (IP + user agent) visits on one UTC day only, and sessions end
 * before midnight, so unique visitors and the 30-minute conversion mean the
 * same to the generator as to the pipeline, whose visitor ids rotate daily.
 */

import { formatLogLine, type RealtimeLogField } from "../schemas/cloudfront";
import { CATALOG_DOCUMENTS } from "../schemas/transform-config";
import catalog from "../site/catalog.json";
import { type Device, type Fact, METRIC_TRUTHS, type MetricTruth, type Truth, TruthBuilder } from "./truth";

export type { Truth } from "./truth";

export interface GeneratorOptions {
  /** First UTC day, YYYY-MM-DD. @default "2025-06-01" */
  readonly start?: string;
  /** Number of days. @default 7 */
  readonly days?: number;
  readonly seed: number;
  /** Sessions per day (bots, health checks and malformed lines come on top). @default 300 */
  readonly sessionsPerDay?: number;
}

// ---------------------------------------------------------------- randomness

/** mulberry32: small, fast, good enough for sample data, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }
  id(length: number): string {
    const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let s = "";
    for (let i = 0; i < length; i++) s += abc[Math.floor(this.next() * 64)];
    return s;
  }
}

// ---------------------------------------------------------------- the world

const SITE_HOST = "www.example.com";
const CF_HOST = "d111111abcdef8.cloudfront.net";
const DAY_MS = 86_400_000;
/** Response header bytes CloudFront counts in sc-bytes. */
const HEADER_BYTES = 320;

interface Agent {
  readonly ua: string;
  readonly device: Device;
}

const HUMAN_AGENTS: readonly (readonly [Agent, number])[] = [
  [
    {
      ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
      device: "desktop",
    },
    30,
  ],
  [
    {
      ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
      device: "desktop",
    },
    12,
  ],
  [{ ua: "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", device: "desktop" }, 6],
  [
    {
      ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      device: "mobile",
    },
    22,
  ],
  [
    {
      ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
      device: "mobile",
    },
    18,
  ],
  [
    {
      ua: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
      device: "tablet",
    },
    6,
  ],
  [
    {
      ua: "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
      device: "tablet",
    },
    3,
  ],
];

/** Countries with a residential network each: IPv4 blocks of that operator (so GeoIP can agree) and its ASN. */
interface Country {
  readonly code: string;
  readonly asn: number;
  readonly v4: readonly [number, number];
  readonly v6: string;
  readonly edge: string;
}
const COUNTRIES: readonly (readonly [Country, number])[] = [
  [{ code: "DE", asn: 3320, v4: [84, 128], v6: "2003:e2", edge: "FRA56-P1" }, 30],
  [{ code: "US", asn: 7922, v4: [73, 0], v6: "2601:1c0", edge: "IAD89-C1" }, 25],
  [{ code: "GB", asn: 2856, v4: [86, 128], v6: "2a00:23c5", edge: "LHR61-P2" }, 12],
  [{ code: "FR", asn: 3215, v4: [90, 0], v6: "2a01:cb00", edge: "CDG50-P1" }, 10],
  [{ code: "NL", asn: 1136, v4: [77, 160], v6: "2a02:a440", edge: "AMS58-P3" }, 8],
  [{ code: "IN", asn: 55836, v4: [49, 32], v6: "2405:201", edge: "BOM78-P2" }, 8],
  [{ code: "JP", asn: 2516, v4: [106, 128], v6: "2400:4050", edge: "NRT57-P2" }, 7],
];

const REFERRERS: readonly (readonly [string | null, number])[] = [
  [null, 35],
  ["https://www.google.com/", 30],
  ["https://www.bing.com/", 6],
  ["https://www.linkedin.com/", 8],
  ["https://news.ycombinator.com/", 5],
  ["https://duckduckgo.com/", 4],
];

const CAMPAIGNS: readonly { source: string; medium: string; campaign: string }[] = [
  { source: "newsletter", medium: "email", campaign: "june-launch" },
  { source: "linkedin", medium: "social", campaign: "product-video" },
  { source: "google", medium: "cpc", campaign: "brand-search" },
];

const BOTS: readonly { ua: string | null; asn: number; accept: boolean; method: "GET" | "HEAD" }[] = [
  { ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", asn: 15169, accept: true, method: "GET" },
  { ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", asn: 8075, accept: true, method: "GET" },
  { ua: "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", asn: 16276, accept: true, method: "GET" },
  { ua: "python-requests/2.32.3", asn: 14061, accept: true, method: "GET" },
  { ua: "curl/8.5.0", asn: 24940, accept: true, method: "GET" },
  // A browser user agent, but from a data centre: only the network gives it away.
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    asn: 16509,
    accept: true,
    method: "GET",
  },
  // A link checker with a browser user agent that sends HEAD from a home network.
  {
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    asn: 3320,
    accept: true,
    method: "HEAD",
  },
  // A script that sends no Accept header.
  {
    ua: "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    asn: 7922,
    accept: false,
    method: "GET",
  },
];

const PAGES = catalog.pages;
const ASSETS = ["/assets/site.css", "/assets/usage-counter.js", "/favicon.ico"];
const FALLBACK_DOCUMENT_BYTES = 250_000;

interface Doc {
  /** Where the site serves it. */
  readonly path: string;
  /** The id the pipeline gives it (derived from the path by the default rules). */
  readonly documentId: string;
  readonly bytes: number;
  /** The pipeline knows the size (catalog), so it can tell a last range part. */
  readonly sizeKnown: boolean;
}
const DOCUMENTS: readonly Doc[] = CATALOG_DOCUMENTS.map((d) => ({
  path: d.path,
  documentId: d.documentId,
  bytes: d.bytes > 0 ? d.bytes : FALLBACK_DOCUMENT_BYTES,
  sizeKnown: d.bytes > 0,
}));
const QR_CODES = catalog.qrCodes;

// ---------------------------------------------------------------- events

interface Visitor {
  readonly key: string;
  readonly ip: string;
  readonly ipVersion: "IPv4" | "IPv6";
  readonly ua: string | null;
  readonly device: Device;
  readonly country: Country;
  readonly asn: number;
  readonly accept: boolean;
  readonly bot: boolean;
}

interface Request {
  readonly method?: string;
  readonly path: string;
  readonly query?: string | null;
  readonly status: number;
  readonly contentType: string;
  readonly contentLength: number;
  /** Bytes of the body actually sent (less than the length when the viewer hung up). */
  readonly bodySent?: number;
  readonly range?: readonly [number, number];
  readonly referrer?: string | null;
}

export class TrafficGenerator {
  private readonly r: Rand;
  private requestCounter = 0;
  private ipCounter = 0;

  constructor(seed: number) {
    this.r = new Rand(prng(seed));
  }

  private visitor(bot: (typeof BOTS)[number] | null): Visitor {
    const country = this.r.weighted(COUNTRIES);
    const agent = this.r.weighted(HUMAN_AGENTS);
    // A counter inside the operator's block keeps every visitor's IP distinct (one visitor, one day).
    const n = ++this.ipCounter;
    const v6 = this.r.chance(0.15);
    const ip = v6
      ? `${country.v6}:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::${this.r.int(1, 0xfff).toString(16)}`
      : `${country.v4[0]}.${country.v4[1] + ((n >> 16) & 0x0f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
    const ua = bot ? bot.ua : agent.ua;
    return {
      key: `${ip}|${ua}`,
      ip,
      ipVersion: v6 ? "IPv6" : "IPv4",
      ua,
      device: agent.device,
      country,
      asn: bot ? bot.asn : country.asn,
      accept: bot ? bot.accept : true,
      bot: bot !== null,
    };
  }

  private line(v: Visitor, ts: number, req: Request): string {
    const method = req.method ?? "GET";
    const body = req.bodySent ?? (req.range ? req.range[1] - req.range[0] + 1 : req.contentLength);
    const values: Partial<Record<RealtimeLogField, string | number | null>> = {
      timestamp: (ts / 1000).toFixed(3),
      "c-ip": v.ip,
      "time-to-first-byte": (this.r.int(2, 80) / 1000).toFixed(3),
      "sc-status": req.status,
      "sc-bytes": method === "HEAD" ? HEADER_BYTES : body + HEADER_BYTES,
      "cs-method": method,
      "cs-protocol": "https",
      "cs-host": CF_HOST,
      "cs-uri-stem": req.path,
      "cs-bytes": this.r.int(300, 900),
      "x-edge-location": v.country.edge,
      "x-edge-request-id": `${this.r.id(40)}${(++this.requestCounter).toString(36).padStart(8, "0")}==`,
      "x-host-header": SITE_HOST,
      "time-taken": (this.r.int(5, 400) / 1000).toFixed(3),
      "cs-protocol-version": this.r.chance(0.8) ? "HTTP/2.0" : "HTTP/1.1",
      "c-ip-version": v.ipVersion,
      "cs-user-agent": v.ua,
      "cs-referer": req.referrer ?? null,
      "cs-uri-query": req.query ?? null,
      "x-edge-response-result-type": this.r.chance(0.7) ? "Hit" : "Miss",
      "x-edge-result-type": this.r.chance(0.7) ? "Hit" : "Miss",
      "sc-content-type": req.contentType,
      // The length of what was asked for: the part for a range, the whole file otherwise (even if the viewer hung up).
      "sc-content-len": req.status === 304 ? null : req.range ? body : req.contentLength,
      "sc-range-start": req.range ? req.range[0] : null,
      "sc-range-end": req.range ? req.range[1] : null,
      "x-edge-detailed-result-type": "Hit",
      "c-country": v.country.code,
      "cs-accept": v.accept ? "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" : null,
      asn: v.asn,
    };
    return formatLogLine(values);
  }

  private fact(v: Visitor, ts: number, req: Request, f: Omit<Fact, "ts" | "line" | "kind" | "visitor" | "isBot">): Fact {
    return {
      ts,
      line: this.line(v, ts, req),
      kind: "event",
      visitor: v.key,
      isBot: v.bot,
      country: v.country.code,
      device: v.device,
      ...f,
    };
  }

  private pageView(v: Visitor, ts: number, path: string, referrer: string | null, query: string | null, utm: Fact["utm"]): Fact[] {
    const out: Fact[] = [
      this.fact(
        v,
        ts,
        {
          path,
          query,
          status: this.r.chance(0.1) ? 304 : 200,
          contentType: "text/html",
          contentLength: this.r.int(4_000, 12_000),
          referrer,
        },
        { eventType: "page_view", path, referrerHost: hostOf(referrer), utm },
      ),
    ];
    const self = `https://${SITE_HOST}${path}`;
    for (const asset of ASSETS) {
      if (this.r.chance(0.6)) {
        out.push(
          this.fact(
            v,
            ts + this.r.int(50, 900),
            {
              path: asset,
              status: 200,
              contentType: asset.endsWith(".css") ? "text/css" : "application/javascript",
              contentLength: 3_000,
              referrer: self,
            },
            { eventType: "asset" },
          ),
        );
      }
    }
    if (path === "/" && this.r.chance(0.5)) {
      out.push(
        this.fact(
          v,
          ts + this.r.int(300, 1500),
          { path: "/api/usage/product", status: 200, contentType: "application/json", contentLength: 40, referrer: self },
          { eventType: "api_call" },
        ),
      );
    }
    return out;
  }

  /** A document download: a full 200, a sequence of 206 parts, or an abandoned one. */
  private download(v: Visitor, ts: number, doc: Doc, referrer: string | null, query: string | null = null): Fact[] {
    const base = { path: doc.path, contentType: "application/pdf", contentLength: doc.bytes, referrer, query };
    const common = { eventType: "document_download" as const, documentId: doc.documentId, referrerHost: hostOf(referrer) };
    const style = this.r.weighted([
      ["full", 55],
      ["ranges", 30],
      ["abandoned-ranges", 8],
      ["hung-up", 7],
    ] as const);
    if (style === "full") return [this.fact(v, ts, { ...base, status: 200 }, { ...common, status: 200, complete: true })];
    if (style === "hung-up") {
      // sc-bytes counts the ~320 header bytes too: stay below the content length with them.
      const sent = this.r.int(1, Math.max(1, doc.bytes - HEADER_BYTES - 1));
      return [this.fact(v, ts, { ...base, status: 200, bodySent: sent }, { ...common, status: 200, complete: false })];
    }
    const parts = this.r.int(2, 4);
    const cut = [0];
    for (let i = 1; i < parts; i++) cut.push(Math.floor((doc.bytes * i) / parts));
    cut.push(doc.bytes);
    const last = style === "ranges" ? parts : this.r.int(1, parts - 1);
    const out: Fact[] = [];
    for (let i = 0; i < last; i++) {
      const range = [cut[i] as number, (cut[i + 1] as number) - 1] as const;
      const reachesEnd = range[1] === doc.bytes - 1;
      out.push(
        this.fact(
          v,
          ts + i * this.r.int(100, 2000),
          { ...base, status: 206, range },
          { ...common, status: 206, complete: reachesEnd && doc.sizeKnown },
        ),
      );
    }
    return out;
  }

  private humanSession(dayStart: number): Fact[] {
    const v = this.visitor(null);
    // Sessions start before 23:00 and last well under an hour: they never cross midnight.
    let ts = dayStart + this.r.int(0, 22 * 3600_000 + 59 * 60_000);
    const kind = this.r.weighted([
      ["browse", 50],
      ["document", 22],
      ["qr", 20],
      ["other", 8],
    ] as const);
    const out: Fact[] = [];
    if (kind === "browse" || kind === "document") {
      const utm = this.r.chance(0.2) ? this.r.pick(CAMPAIGNS) : null;
      const referrer = utm ? null : this.r.weighted(REFERRERS);
      const query = utm ? `utm_source=${utm.source}&utm_medium=${utm.medium}&utm_campaign=${utm.campaign}` : null;
      if (kind === "document") {
        out.push(...this.download(v, ts, this.r.pick(DOCUMENTS), referrer, query));
        return out;
      }
      let prev: string | null = referrer;
      let path = this.r.pick(PAGES);
      const views = this.r.int(1, 5);
      for (let i = 0; i < views; i++) {
        out.push(...this.pageView(v, ts, path, prev, i === 0 ? query : null, i === 0 ? utm : null));
        prev = `https://${SITE_HOST}${path}`;
        ts += this.r.int(5_000, 180_000);
        path = this.r.pick(PAGES);
      }
      if (this.r.chance(0.35)) out.push(...this.download(v, ts, this.r.pick(DOCUMENTS), prev));
      return out;
    }
    if (kind === "qr") {
      const qr = this.r.pick(QR_CODES);
      // Most scans come from phones.
      const scanner =
        this.r.chance(0.85) && v.device === "desktop" ? { ...v, device: "mobile" as const, ua: MOBILE_UA, key: `${v.ip}|${MOBILE_UA}` } : v;
      const landing = `/qr/${qr.code}`;
      out.push(
        this.fact(
          scanner,
          ts,
          { path: landing, status: 200, contentType: "text/html", contentLength: 2_000 },
          { eventType: "qr_scan", qrCode: qr.code, referrerHost: null },
        ),
      );
      const follow = this.r.weighted([
        ["link", 55],
        ["late-download", 12],
        ["leave", 33],
      ] as const);
      if (follow === "leave") return out;
      const delay = follow === "link" ? this.r.int(3_000, 25 * 60_000) : this.r.int(35 * 60_000, 55 * 60_000);
      const from = `https://${SITE_HOST}${landing}`;
      const doc = DOCUMENTS.find((d) => d.path === qr.target);
      const query = `src=qr&code=${qr.code}`;
      if (doc) {
        out.push(...this.download(scanner, ts + delay, doc, from, query));
      } else {
        out.push(...this.pageView(scanner, ts + delay, qr.target, from, query, null));
        if (this.r.chance(0.5))
          out.push(
            ...this.download(scanner, ts + delay + this.r.int(10_000, 120_000), this.r.pick(DOCUMENTS), `https://${SITE_HOST}${qr.target}`),
          );
      }
      return out;
    }
    // A printed URL that carries the QR parameters itself (no landing page), or a stray request.
    if (this.r.chance(0.5)) {
      const qr = this.r.pick(QR_CODES);
      out.push(
        this.fact(
          v,
          ts,
          { path: "/", query: `src=qr&code=${qr.code}`, status: 200, contentType: "text/html", contentLength: 8_000 },
          { eventType: "qr_scan", qrCode: qr.code, referrerHost: null },
        ),
      );
    } else {
      out.push(
        this.fact(v, ts, { path: "/robots.txt", status: 200, contentType: "text/plain", contentLength: 60 }, { eventType: "other" }),
      );
    }
    return out;
  }

  private botSession(dayStart: number): Fact[] {
    const bot = this.r.pick(BOTS);
    const v = this.visitor(bot);
    let ts = dayStart + this.r.int(0, DAY_MS - 3_600_000);
    const out: Fact[] = [];
    const n = this.r.int(3, 15);
    for (let i = 0; i < n; i++) {
      const what = this.r.weighted([
        ["page", 50],
        ["doc", 25],
        ["robots", 10],
        ["qr", 15],
      ] as const);
      const method = bot.method;
      if (what === "page") {
        const path = this.r.pick(PAGES);
        out.push(
          this.fact(
            v,
            ts,
            { method, path, status: 200, contentType: "text/html", contentLength: 8_000 },
            { eventType: "page_view", path, referrerHost: null, utm: null },
          ),
        );
      } else if (what === "doc") {
        const doc = this.r.pick(DOCUMENTS);
        out.push(
          this.fact(
            v,
            ts,
            { method, path: doc.path, status: 200, contentType: "application/pdf", contentLength: doc.bytes },
            { eventType: "document_download", documentId: doc.documentId, status: 200, complete: true, referrerHost: null },
          ),
        );
      } else if (what === "qr") {
        const qr = this.r.pick(QR_CODES);
        out.push(
          this.fact(
            v,
            ts,
            { method, path: `/qr/${qr.code}`, status: 200, contentType: "text/html", contentLength: 2_000 },
            { eventType: "qr_scan", qrCode: qr.code },
          ),
        );
      } else {
        out.push(
          this.fact(
            v,
            ts,
            { method, path: "/robots.txt", status: 200, contentType: "text/plain", contentLength: 60 },
            { eventType: "other" },
          ),
        );
      }
      ts += this.r.int(200, 20_000);
    }
    return out;
  }

  private healthChecks(dayStart: number): Fact[] {
    const v: Visitor = { ...this.visitor(null), ua: "ELB-HealthChecker/2.0", bot: true, accept: false };
    const out: Fact[] = [];
    for (let t = dayStart + 17_000; t < dayStart + DAY_MS; t += 30 * 60_000) {
      out.push({
        ts: t,
        line: this.line(v, t, { path: "/health", status: 200, contentType: "text/plain", contentLength: 2 }),
        kind: "dropped",
      });
    }
    return out;
  }

  /** A line the transform must reject, from a real line of the day. */
  private malformed(from: Fact): Fact {
    const fields = from.line.split("\t");
    const kind = this.r.weighted([
      ["truncated", 40],
      ["extra-field", 20],
      ["bad-status", 20],
      ["garbage", 20],
    ] as const);
    let line: string;
    if (kind === "truncated") line = fields.slice(0, this.r.int(3, fields.length - 2)).join("\t");
    else if (kind === "extra-field") line = [...fields, "unexpected"].join("\t");
    else if (kind === "bad-status") line = fields.map((f, i) => (i === 3 ? "OK" : f)).join("\t");
    else line = `<html><body>502 Bad Gateway</body></html> ${this.r.id(12)}`;
    return { ts: from.ts + 1, line, kind: "malformed" };
  }

  /** One day's lines in time order. */
  day(dayStart: number, sessions: number): Fact[] {
    const facts: Fact[] = [];
    for (let i = 0; i < sessions; i++) facts.push(...this.humanSession(dayStart));
    const bots = Math.max(1, Math.round(sessions / 12));
    for (let i = 0; i < bots; i++) facts.push(...this.botSession(dayStart));
    facts.push(...this.healthChecks(dayStart));
    const events = facts.filter((f) => f.kind === "event");
    const bad = Math.max(2, Math.round(facts.length / 200));
    for (let i = 0; i < bad; i++) facts.push(this.malformed(this.r.pick(events)));
    return facts.sort((a, b) => a.ts - b.ts);
  }
}

const MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  return new URL(url).hostname.toLowerCase();
}

/**
 * Generate the traffic: `sink` receives every line (no newline) in time order;
 * returns the truth. Deterministic for a seed.
 */
export function generateTraffic(
  options: GeneratorOptions,
  sink: (line: string) => void,
  truths: Readonly<Record<string, MetricTruth>> = METRIC_TRUTHS,
): Truth {
  const start = options.start ?? "2025-06-01";
  const days = options.days ?? 7;
  const sessions = options.sessionsPerDay ?? 300;
  const startMs = Date.parse(`${start}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(startMs)) throw new Error(`--start must be a day YYYY-MM-DD: ${start}`);
  if (!(Number.isInteger(days) && days >= 1 && days <= 3660)) throw new Error(`--days must be a whole number from 1 to 3660: ${days}`);
  if (!(Number.isInteger(sessions) && sessions >= 1)) throw new Error(`--sessions must be a whole number >= 1: ${sessions}`);
  if (!Number.isInteger(options.seed)) throw new Error(`--seed must be a whole number: ${options.seed}`);
  const gen = new TrafficGenerator(options.seed);
  const truth = new TruthBuilder(truths);
  for (let d = 0; d < days; d++) {
    for (const f of gen.day(startMs + d * DAY_MS, sessions)) {
      truth.add(f);
      sink(f.line);
    }
  }
  return truth.build({ seed: options.seed, start, days });
}
