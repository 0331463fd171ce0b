import fc from "fast-check";
import { CLOUDFRONT_CANONICAL_FIELDS, formatLogLine, parseLogLine, REALTIME_LOG_FIELDS, safeDecode } from "../../schemas/cloudfront";

/** A realistic line: defaults for every configured field, overridden per test. */
function line(values: Partial<Record<(typeof REALTIME_LOG_FIELDS)[number], string>>): string {
  const defaults: Record<string, string> = {
    timestamp: "1717243200.123",
    "c-ip": "203.0.113.7",
    "time-to-first-byte": "0.012",
    "sc-status": "200",
    "sc-bytes": "5120",
    "cs-method": "GET",
    "cs-protocol": "https",
    "cs-host": "d111111abcdef8.cloudfront.net",
    "cs-uri-stem": "/docs/Product%20Guide.pdf",
    "cs-bytes": "410",
    "x-edge-location": "FRA56-P1",
    "x-edge-request-id": "abcDEF123==",
    "x-host-header": "www.example.com",
    "time-taken": "0.034",
    "cs-protocol-version": "HTTP/2.0",
    "c-ip-version": "IPv4",
    "cs-user-agent": "Mozilla/5.0%20(X11;%20Linux%20x86_64)",
    "cs-referer": "https://www.google.com/",
    "cs-uri-query": "utm_source=news&utm_campaign=spring%20sale",
    "x-edge-response-result-type": "Miss",
    "x-edge-result-type": "Miss",
    "sc-content-type": "application/pdf",
    "sc-content-len": "5000",
    "x-edge-detailed-result-type": "Miss",
    "c-country": "DE",
    "cs-accept": "*/*",
    asn: "3320",
  };
  return REALTIME_LOG_FIELDS.map((f) => values[f] ?? defaults[f] ?? "-").join("\t");
}

describe("CloudFront real-time log fields", () => {
  it("lists the configured fields in CloudFront's canonical order", () => {
    const positions = REALTIME_LOG_FIELDS.map((f) => CLOUDFRONT_CANONICAL_FIELDS.indexOf(f));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("has the 45 canonical fields with c-country at 34 and asn last (AWS guide order)", () => {
    expect(CLOUDFRONT_CANONICAL_FIELDS).toHaveLength(45);
    expect(CLOUDFRONT_CANONICAL_FIELDS.indexOf("c-country") + 1).toBe(34);
    expect(CLOUDFRONT_CANONICAL_FIELDS.at(-1)).toBe("asn");
  });

  it("leaves cookies and full headers out of the configured fields", () => {
    expect(REALTIME_LOG_FIELDS).not.toContain("cs-cookie");
    expect(REALTIME_LOG_FIELDS).not.toContain("cs-headers");
  });
});

describe("parseLogLine", () => {
  it("parses a line into typed values, with - as null", () => {
    // Act
    const result = parseLogLine(`${line({})}\n`);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.timestamp).toBe(1717243200.123);
    expect(result.record["sc-status"]).toBe(200);
    expect(result.record["sc-bytes"]).toBe(5120);
    expect(result.record["sc-range-start"]).toBeNull();
    expect(result.record.asn).toBe(3320);
    expect(result.record["c-country"]).toBe("DE");
  });

  it("decodes the percent-encoded fields and leaves the query string encoded", () => {
    const result = parseLogLine(line({}));
    if (!result.ok) throw new Error(result.message);
    expect(result.record["cs-user-agent"]).toBe("Mozilla/5.0 (X11; Linux x86_64)");
    expect(result.record["cs-uri-stem"]).toBe("/docs/Product Guide.pdf");
    expect(result.record["cs-uri-query"]).toBe("utm_source=news&utm_campaign=spring%20sale");
  });

  it("formatLogLine writes what parseLogLine reads back", () => {
    const values = {
      timestamp: 1717243200.5,
      "sc-status": 206,
      "cs-method": "GET",
      "cs-uri-stem": "/docs/Über Guide.pdf",
      "cs-user-agent": "curl/8.0 (x)",
      "sc-range-start": 0,
    };
    const result = parseLogLine(formatLogLine(values));
    if (!result.ok) throw new Error(result.message);
    expect(result.record).toMatchObject(values);
    expect(result.record["c-ip"]).toBeNull();
  });

  it("keeps a malformed percent sequence as it was instead of throwing", () => {
    expect(safeDecode("/a%ZZb%20c")).toBe("/a%ZZb c");
    expect(safeDecode("%E0%A4%A")).toBe("%E0%A4%A");
  });

  it.each([
    ["empty", ""],
    ["empty", "\n"],
    ["field-count", "1717243200.123\t203.0.113.7"],
    ["field-count", `${line({})}\textra`],
    ["bad-number", line({ "sc-status": "OK" })],
    ["bad-number", line({ timestamp: "yesterday" })],
    ["missing-required", line({ timestamp: "-" })],
    ["missing-required", line({ "cs-uri-stem": "-" })],
  ])("returns a typed %s failure with a reason", (reason, text) => {
    const result = parseLogLine(text);
    expect(result).toEqual({ ok: false, reason, message: expect.any(String) });
  });

  it("names the first field, in line order, that is not a number, and forgets it for the next line", () => {
    expect(parseLogLine(line({ "sc-bytes": "lots", "sc-status": "OK" }))).toEqual({
      ok: false,
      reason: "bad-number",
      message: "field sc-status is not a number: OK",
    });
    expect(parseLogLine(line({ asn: "AS3320", timestamp: "yesterday" }))).toMatchObject({
      message: "field timestamp is not a number: yesterday",
    });
    const next = parseLogLine(line({ "sc-status": "200" }));
    expect(next).toMatchObject({ ok: true, record: { "sc-status": 200 } });
    if (next.ok) expect(Object.keys(next.record)).toEqual(REALTIME_LOG_FIELDS);
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.array(fc.string(), { maxLength: 40 }), (s, parts) => {
        parseLogLine(s);
        parseLogLine(parts.join("\t"));
      }),
      { numRuns: 500 },
    );
  });
});
