/**
 * The Firehose event fixtures of the transform (`__tests__/events/firehose/*.json`),
 * built from realistic CloudFront lines. The JSON files are committed; this
 * script is how they were made:
 *
 *   npx tsx __tests__/helpers/firehose-fixtures.ts
 *
 * Each fixture's records are in the order its `cases` list names them.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { formatLogLine, REALTIME_LOG_FIELDS } from "../../schemas/cloudfront";
import { firehoseEvent, line, lineValues, USER_AGENTS } from "./cloudfront-lines";

export const FIXTURE_DIR = path.resolve(__dirname, "../events/firehose");

/** Size of product-guide.pdf in the range fixture; the range test configures it as the document's size. */
export const RANGE_DOC_SIZE = 1_048_576;

type Case = [name: string, record: string | Buffer];

const PDF = { "sc-content-type": "application/pdf", "cs-accept": "*/*" };

export const FIXTURES: Record<string, Case[]> = {
  "ip-versions": [
    ["ipv4 page view", line({ "c-ip": "85.214.132.117" })],
    [
      "ipv6 document download",
      line({
        "c-ip": "2a00:1450:4001:80b::200e",
        "c-ip-version": "IPv6",
        "cs-uri-stem": "/docs/datasheet.pdf",
        ...PDF,
        "sc-bytes": 250_311,
        "sc-content-len": 250_000,
      }),
    ],
    ["ipv4-mapped ipv6, no c-country", line({ "c-ip": "::ffff:1.1.1.1", "c-ip-version": "IPv6", "c-country": null, asn: null })],
  ],
  "dash-fields": [
    [
      "every optional field is -",
      formatLogLine({
        timestamp: 1748779200.5,
        "sc-status": 200,
        "cs-method": "GET",
        "cs-uri-stem": "/",
        "x-edge-request-id": "dashfields0000000000000000000000000000000000000000000==",
      }),
    ],
  ],
  "user-agents": [
    ["iphone safari, encoded", line({ "cs-user-agent": USER_AGENTS.safariIphone })],
    ["android chrome", line({ "cs-user-agent": USER_AGENTS.chromeAndroid })],
    ["ipad", line({ "cs-user-agent": USER_AGENTS.safariIpad })],
    ["non-ascii user agent", line({ "cs-user-agent": "Mozilla/5.0 (Windows NT 10.0) Navigateur-Été/1.0 ☃" })],
    // A malformed percent sequence CloudFront passed through: decoding must not throw.
    ["malformed percent escape", line({}).replace(/Mozilla\/5\.0%20/, "Mozilla/5.0%ZZ%20")],
    [
      "utm and referrer",
      line({
        "cs-uri-query": "utm_source=newsletter&utm_medium=email&utm_campaign=spring%202025",
        "cs-referer": "https://Mail.Example.org/inbox?x=1",
      }),
    ],
  ],
  "range-requests": [
    // product-guide.pdf (RANGE_DOC_SIZE bytes) fetched in two ranges: the second ends at the last byte.
    [
      "first range",
      line({
        "cs-uri-stem": "/docs/product-guide.pdf",
        ...PDF,
        "sc-status": 206,
        "sc-range-start": 0,
        "sc-range-end": 524_287,
        "sc-bytes": 524_700,
        "sc-content-len": 524_288,
      }),
    ],
    [
      "last range",
      line({
        "cs-uri-stem": "/docs/product-guide.pdf",
        ...PDF,
        "sc-status": 206,
        "sc-range-start": 524_288,
        "sc-range-end": RANGE_DOC_SIZE - 1,
        "sc-bytes": 524_700,
        "sc-content-len": 524_288,
      }),
    ],
    // price-list.pdf: a range of a document whose size the config does not know.
    [
      "range of unknown size",
      line({
        "cs-uri-stem": "/docs/price-list.pdf",
        ...PDF,
        "sc-status": 206,
        "sc-range-start": 0,
        "sc-range-end": 65_535,
        "sc-bytes": 65_900,
        "sc-content-len": 65_536,
      }),
    ],
    [
      "whole file 200",
      line({ "cs-uri-stem": "/docs/installation-manual.pdf", ...PDF, "sc-bytes": 2_000_400, "sc-content-len": 2_000_000 }),
    ],
    [
      "200 cut off by the viewer",
      line({ "cs-uri-stem": "/docs/installation-manual.pdf", ...PDF, "sc-bytes": 300_000, "sc-content-len": 2_000_000 }),
    ],
    ["404 document", line({ "cs-uri-stem": "/docs/missing.pdf", ...PDF, "sc-status": 404, "sc-content-type": "text/html" })],
  ],
  bots: [
    ["googlebot", line({ "cs-user-agent": USER_AGENTS.googlebot, "c-ip": "66.249.66.1", "c-country": "US", asn: 15169 })],
    ["curl without accept", line({ "cs-user-agent": USER_AGENTS.curl, "cs-accept": null })],
    ["head request from a browser ua", line({ "cs-method": "HEAD" })],
    ["browser ua without accept", line({ "cs-accept": null })],
    ["browser ua from a data centre", line({ "c-ip": "3.120.0.10", asn: 16509 })],
    ["no user agent", line({ "cs-user-agent": null })],
  ],
  "qr-scans": [
    ["qr landing page", line({ "cs-uri-stem": "/qr/booth-berlin", "cs-referer": null })],
    ["printed url with src=qr", line({ "cs-uri-stem": "/", "cs-uri-query": "src=qr&code=flyer-spring", "cs-referer": null })],
    [
      "link on from the landing page",
      line({
        "cs-uri-stem": "/docs/product-guide.pdf",
        "cs-uri-query": "src=qr&code=booth-berlin",
        "cs-referer": "https://www.example.com/qr/booth-berlin",
        ...PDF,
      }),
    ],
    ["src=qr without code", line({ "cs-uri-stem": "/", "cs-uri-query": "src=qr" })],
  ],
  "long-values": [
    ["very long query string", line({ "cs-uri-query": `utm_source=ads&gclid=${"A".repeat(7000)}` })],
    ["very long referrer", line({ "cs-referer": `https://www.example.net/${"p/".repeat(1500)}` })],
    [
      "user agent truncated by CloudFront at 800 bytes",
      line({ "cs-user-agent": `${USER_AGENTS.chromeWindows} ${"X".repeat(800)}`.slice(0, 800) }),
    ],
    [
      "a line with cookie and all headers (a different field list)",
      formatLogLine(
        {
          ...lineValues(),
          "cs-cookie": `session=${"c".repeat(790)}`,
          "cs-headers": `Host:www.example.com%0AUser-Agent:x%0ACookie:${"c".repeat(700)}`,
          "cs-header-names": "Host%0AUser-Agent%0ACookie",
          "cs-headers-count": 3,
        } as never,
        [...REALTIME_LOG_FIELDS, "cs-cookie", "cs-headers", "cs-header-names", "cs-headers-count"] as never,
      ),
    ],
  ],
  malformed: [
    [
      "invalid utf-8",
      Buffer.concat([Buffer.from(line().slice(0, 40)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`${line().slice(40)}\n`)]),
    ],
    ["too few fields", line().split("\t").slice(0, 10).join("\t")],
    ["too many fields", `${line()}\textra\tfields`],
    ["empty", ""],
    ["not a number", line().replace(/^[^\t]+/, "yesterday")],
    ["no request id", line({ "x-edge-request-id": null })],
    ["timestamp before the lake's years", line({ timestamp: 86400.0 })],
    ["not a log line at all", "<html><body>502 Bad Gateway</body></html>"],
  ],
  timestamps: [
    ["exactly UTC midnight", line({ timestamp: 1735689600.0 })], // 2025-01-01T00:00:00.000Z
    ["last millisecond of the year", line({ timestamp: 1735689599.999 })], // 2024-12-31T23:59:59.999Z
    ["leap day", line({ timestamp: 1709208000.25 })], // 2024-02-29T12:00:00.250Z
  ],
  "drop-rules": [
    ["health check", line({ "cs-uri-stem": "/healthz", "cs-user-agent": "ELB-HealthChecker/2.0" })],
    ["a page next to it", line()],
  ],
};

/** Case names of a fixture, in record order. */
export function caseNames(fixture: string): string[] {
  return (FIXTURES[fixture] ?? []).map(([name]) => name);
}

if (require.main === module) {
  for (const [name, cases] of Object.entries(FIXTURES)) {
    const file = path.join(FIXTURE_DIR, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(firehoseEvent(cases.map(([, r]) => r)), null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)} (${cases.length} records)`);
  }
}
