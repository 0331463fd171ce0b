/**
 * Standard log files (legacy, and v2 with W3C output) parse into the same
 * record as real-time lines, from the one field table.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  CLOUDFRONT_CANONICAL_FIELDS,
  CloudFrontLogRecordSchema,
  formatLogLine,
  formatW3cLine,
  parseFieldsHeader,
  parseLogLine,
  parseW3cLine,
  REALTIME_LOG_FIELDS,
  STANDARD_LOG_LEGACY_COLUMNS,
  w3cLayout,
  w3cName,
} from "../../schemas/cloudfront";

const FIXTURES = path.resolve(__dirname, "../fixtures/standard-logs");
const fixtureLines = (name: string) =>
  gunzipSync(readFileSync(path.join(FIXTURES, name)))
    .toString("utf8")
    .trimEnd()
    .split("\n");

/**
 * "Log file fields" of the AWS guide, in its order, typed out here from the guide rather than derived: the check
 * that the field table's W3C names and the legacy order agree with AWS.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
 */
const DOCUMENTED_LEGACY_FIELDS =
  "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) " +
  "cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken " +
  "x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status " +
  "fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len " +
  "sc-range-start sc-range-end";

describe("the legacy standard log columns", () => {
  it("are the 33 documented fields, in the documented order", () => {
    expect(STANDARD_LOG_LEGACY_COLUMNS).toEqual(DOCUMENTED_LEGACY_FIELDS.split(" "));
    expect(STANDARD_LOG_LEGACY_COLUMNS).toHaveLength(33);
  });

  it("match the #Fields header of the legacy fixture", () => {
    expect(parseFieldsHeader(fixtureLines("legacy.log.gz")[1] as string)).toEqual([...STANDARD_LOG_LEGACY_COLUMNS]);
  });

  it("name each field once: no two fields share a W3C name", () => {
    const names = CLOUDFRONT_CANONICAL_FIELDS.map(w3cName);
    expect(new Set(names).size).toBe(names.length);
  });

  it("lack c-ip-version, c-country, cs-accept and asn of the configured fields (docs/transform.md lists them)", () => {
    expect([...w3cLayout(STANDARD_LOG_LEGACY_COLUMNS).lacking].sort()).toEqual(["asn", "c-country", "c-ip-version", "cs-accept"]);
  });
});

describe("parseW3cLine on the legacy fixture", () => {
  const lines = fixtureLines("legacy.log.gz");
  const layout = w3cLayout(STANDARD_LOG_LEGACY_COLUMNS);
  const results = lines.filter((l) => !l.startsWith("#")).map((l) => parseW3cLine(l, layout));

  it("parses the good lines into records the zod schema accepts, and rejects the bad ones", () => {
    expect(results.map((r) => (r.ok ? "ok" : r.reason))).toEqual(["ok", "ok", "field-count", "ok", "bad-number"]);
    for (const r of results) if (r.ok) expect(CloudFrontLogRecordSchema.safeParse(r.record).success).toBe(true);
  });

  it("turns date + time into the epoch seconds of real-time's timestamp, and decodes what CloudFront encodes", () => {
    const r = results[0];
    if (!r?.ok) throw new Error("first line did not parse");
    expect(r.record.timestamp).toBe(Date.parse("2025-06-02T09:14:07Z") / 1000);
    expect(r.record["cs-uri-stem"]).toBe("/docs/Product Guide.pdf");
    expect(r.record["cs-user-agent"]).toMatch(/^Mozilla\/5\.0 \(X11; Linux x86_64\)/);
    expect(r.record["cs-uri-query"]).toBe("utm_source=news&utm_campaign=spring%20sale");
    expect(r.record["cs-host"]).toBe("d111111abcdef8.cloudfront.net");
    expect(r.record["sc-status"]).toBe(200);
    expect(r.record["time-taken"]).toBe(0.034);
    expect(r.record["c-country"]).toBeNull();
    expect(r.record.asn).toBeNull();
    // Cookies are in the file but never in a record.
    expect(Object.keys(r.record)).not.toContain("cs-cookie");
  });
});

describe("parseW3cLine on the v2 fixture (columns chosen and ordered by its #Fields header)", () => {
  const lines = fixtureLines("v2-w3c.log.gz");
  const columns = parseFieldsHeader(lines[1] as string) as string[];
  const layout = w3cLayout(columns);
  const results = lines.slice(2).map((l) => parseW3cLine(l, layout));

  it("reads every column by its header name, including the fields the legacy format lacks", () => {
    const r = results[1];
    if (!r?.ok) throw new Error("second line did not parse");
    expect(CloudFrontLogRecordSchema.safeParse(r.record).success).toBe(true);
    expect(r.record["c-country"]).toBe("DE");
    expect(r.record.asn).toBe(16509);
    expect(r.record["cs-accept"]).toBeNull(); // `-` in the file: present but empty
    expect(r.record["cs-referer"]).toBe("https://news.example.org/post");
    expect(r.record["cs-protocol"]).toBeNull(); // not selected
    expect(layout.lacking.has("cs-accept")).toBe(false);
    expect(layout.lacking.has("cs-protocol")).toBe(true);
  });

  it("rejects a line whose date is not a date", () => {
    expect(results.map((r) => (r.ok ? "ok" : r.reason))).toEqual(["ok", "ok", "bad-number"]);
  });
});

describe("the same request in both formats", () => {
  it("gives the same record, but for the fields the legacy format lacks and the time's fraction of a second", () => {
    const realtime = parseLogLine(
      formatLogLine({
        timestamp: "1748855647.250",
        "c-ip": "203.0.113.7",
        "sc-status": 200,
        "cs-method": "GET",
        "cs-uri-stem": "/docs/a b.pdf",
        "x-edge-request-id": "id==",
        "cs-user-agent": "Mozilla/5.0 (X11)",
        "c-country": "DE",
        asn: 3320,
        "cs-accept": "*/*",
      }),
    );
    if (!realtime.ok) throw new Error("real-time line did not parse");
    const layout = w3cLayout(STANDARD_LOG_LEGACY_COLUMNS);
    const standard = parseW3cLine(formatW3cLine(realtime.record, layout), layout);
    if (!standard.ok) throw new Error("standard line did not parse");
    const expected: Record<string, unknown> = { ...realtime.record, timestamp: 1748855647 };
    for (const f of layout.lacking) expected[f] = null;
    expect(standard.record).toEqual(expected);
    expect(Object.keys(standard.record)).toEqual([...REALTIME_LOG_FIELDS]);
  });
});
