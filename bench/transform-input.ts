/**
 * The benchmark input of the Firehose transform: realistic CloudFront real-time log lines (a few thousand
 * visitors, each making several requests; ~10% bots; ~15% IPv6), deterministic for a seed.
 */
import { line, USER_AGENTS } from "../__tests__/helpers/cloudfront-lines";
import type { FirehoseRecordIn } from "../handlers/firehose-transform/firehose";
import { prng } from "../local/generator";
import catalog from "../site/catalog.json";

/** Weighted like a documentation site's traffic: mostly desktop and mobile browsers, some crawlers and tools. */
const UA_WEIGHTS: [string, number][] = [
  [USER_AGENTS.chromeWindows, 30],
  [USER_AGENTS.chromeMac, 12],
  [USER_AGENTS.safariIphone, 15],
  [USER_AGENTS.chromeAndroid, 12],
  [USER_AGENTS.edgeWindows, 8],
  [USER_AGENTS.firefoxLinux, 4],
  [USER_AGENTS.safariIpad, 3],
  [USER_AGENTS.samsungAndroid, 3],
  [USER_AGENTS.googlebot, 5],
  [USER_AGENTS.bingbot, 3],
  [USER_AGENTS.curl, 2],
  [USER_AGENTS.pythonRequests, 2],
  [USER_AGENTS.uptimeRobot, 1],
];
const COUNTRIES = ["DE", "US", "FR", "GB", "NL", "IN", "BR", "JP", "AU", "PL"];
const REFERRERS = [null, null, "https://www.google.com/", "https://www.bing.com/", "https://www.linkedin.com/", "https://www.example.com/"];

export function realisticLines(n: number, seed = 42): string[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const totalWeight = UA_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const pickUa = () => {
    let r = rand() * totalWeight;
    for (const [ua, w] of UA_WEIGHTS) {
      r -= w;
      if (r < 0) return ua;
    }
    return USER_AGENTS.chromeWindows;
  };
  // Visitors: an IP and a user agent (some with minor version variants, as real traffic has).
  const visitors = Array.from({ length: 6000 }, () => {
    const v6 = rand() < 0.15;
    const ip = v6
      ? `2a0${Math.floor(rand() * 10)}:${Math.floor(rand() * 0xffff).toString(16)}:${Math.floor(rand() * 0xffff).toString(16)}::${Math.floor(rand() * 0xffff).toString(16)}`
      : `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
    const ua = pickUa();
    return {
      ip,
      v6,
      ua: rand() < 0.2 ? ua.replace(/\d+\.0\.0\.0/, `${118 + Math.floor(rand() * 7)}.0.0.0`) : ua,
      country: pick(COUNTRIES),
    };
  });
  const docs = catalog.documents.map((d) => d.id);
  const paths = () => {
    const r = rand();
    if (r < 0.35) return { path: pick(catalog.pages), type: "text/html" };
    if (r < 0.6) return { path: pick(["/assets/site.css", "/assets/app.js", "/assets/logo.svg", "/favicon.ico"]), type: "text/css" };
    if (r < 0.8) return { path: `/docs/${pick(docs)}.pdf`, type: "application/pdf" };
    if (r < 0.88) return { path: `/qr/${pick(catalog.qrCodes).code}`, type: "text/html" };
    if (r < 0.95) return { path: "/api/views", type: "application/json" };
    return { path: pick(["/wp-login.php", "/.env", "/robots.txt"]), type: "text/html" };
  };
  const out: string[] = [];
  let ts = 1748736000; // 2025-06-01T00:00:00Z
  for (let i = 0; i < n; i++) {
    const v = pick(visitors);
    const { path: p, type } = paths();
    ts += rand() * 0.5;
    const range = type === "application/pdf" && rand() < 0.3;
    out.push(
      line({
        timestamp: Math.round(ts * 1000) / 1000,
        "c-ip": v.ip,
        "c-ip-version": v.v6 ? "IPv6" : "IPv4",
        "cs-user-agent": v.ua,
        "cs-uri-stem": p,
        "cs-uri-query": rand() < 0.1 ? "utm_source=newsletter&utm_medium=email&utm_campaign=june" : null,
        "cs-referer": pick(REFERRERS),
        "sc-content-type": type,
        "sc-status": range ? 206 : rand() < 0.03 ? 404 : 200,
        "sc-range-start": range ? 0 : null,
        "sc-range-end": range ? 65535 : null,
        "c-country": v.country,
        "x-edge-request-id": `${i.toString(36).padStart(8, "0")}${"Q".repeat(44)}==`,
        asn: 3320 + Math.floor(rand() * 5000),
      }),
    );
  }
  return out;
}

export function toRecords(lines: string[]): FirehoseRecordIn[] {
  return lines.map((l, i) => ({
    recordId: `49546986683135544286507457936321625675700192471156785154${i}`,
    data: Buffer.from(`${l}\n`).toString("base64"),
  }));
}
