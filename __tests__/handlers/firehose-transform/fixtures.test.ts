/**
 * The transform over real Firehose event fixtures (__tests__/events/firehose),
 * with the bundled DB-IP GeoIP database: one behaviour per case.
 */
import type { Processor } from "../../../handlers/firehose-transform/processor";
import { EventRowSchema, PartitionKeysSchema } from "../../../schemas/event";
import { caseNames, FIXTURES, RANGE_DOC_SIZE } from "../../helpers/firehose-fixtures";
import { expectSameExceptIp, type FixtureEvent, failedData, loadFixture, processor, rowOf } from "./load";

let p: Processor;
beforeAll(async () => {
  p = await processor({ config: { documentSizes: { "docs/product-guide": RANGE_DOC_SIZE } } });
});

function run(name: string) {
  const event: FixtureEvent = loadFixture(name);
  const result = p.processRecords(event.records);
  return { event, ...result };
}

describe("transform fixtures", () => {
  it("every fixture file holds the cases its generator lists, as a Firehose event from a Kinesis source", () => {
    for (const name of Object.keys(FIXTURES)) {
      const event = loadFixture(name);
      expect(event.records).toHaveLength(caseNames(name).length);
      expect(event.sourceKinesisStreamArn).toMatch(/^arn:aws:kinesis:/);
      for (const r of event.records) expect(r.kinesisRecordMetadata).toHaveProperty("sequenceNumber");
    }
  });

  it.each(Object.keys(FIXTURES))("%s: one output per input, same recordIds in order, Ok rows valid with partition keys", (name) => {
    const { event, records, stats } = run(name);
    expect(records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(stats.records).toBe(event.records.length);
    expect(stats.byResult.Ok + stats.byResult.Dropped + stats.byResult.ProcessingFailed).toBe(event.records.length);
    for (const out of records) {
      if (out.result === "Ok") {
        const row = rowOf(out);
        expect(EventRowSchema.parse(row)).toEqual(row);
        expect(Object.keys(row)).toEqual(Object.keys(EventRowSchema.shape));
        expect(PartitionKeysSchema.parse(out.metadata?.partitionKeys)).toEqual(out.metadata?.partitionKeys);
        expect(out.metadata?.partitionKeys.event_type).toBeDefined();
      } else {
        expect(out.metadata).toBeUndefined();
      }
    }
  });

  it("IPv4 and IPv6 clients are located in the right file; an IPv4-mapped address is looked up as IPv4", () => {
    const { records } = run("ip-versions");
    const [v4, v6, mapped] = records.map(rowOf);
    expect(v4).toMatchObject({ country: "DE", region: "Berlin", city: expect.stringMatching(/^Berlin/), asn: 6724 });
    // event_type is a partition key (the S3 path), not a column.
    expect(v4).not.toHaveProperty("event_type");
    expect(v6).toMatchObject({
      country: "DE",
      region: "Hesse",
      city: "Frankfurt am Main",
      document_id: "docs/datasheet",
      download_complete: true,
    });
    expect(records[1]?.metadata?.partitionKeys.event_type).toBe("document_download");
    // No c-country from CloudFront: the database's country is used.
    expect(mapped).toMatchObject({ country: "AU", region: "New South Wales", city: "Sydney", asn: null });
  });

  it("the raw IP never leaves the handler: not in any output, and no prefix unless configured", () => {
    const { event, records } = run("ip-versions");
    const ips = ["85.214.132.117", "2a00:1450:4001:80b::200e", "1.1.1.1", "85.214.132"];
    for (const out of records) {
      const text = Buffer.from(out.data, "base64").toString("utf8");
      for (const ip of ips) expect(text).not.toContain(ip);
      expect(rowOf(out).ip_prefix).toBeNull();
    }
    expect(event.records).toHaveLength(3);
  });

  it("a line of `-` fields becomes a row of nulls, not a failure", () => {
    const { records } = run("dash-fields");
    const row = rowOf(records[0]);
    expect(row).toMatchObject({
      path: "/",
      host: null,
      referrer: null,
      referrer_host: null,
      browser: null,
      country: null,
      city: null,
      asn: null,
    });
    expect(row).toMatchObject({ is_bot: true, bot_reason: "no-user-agent", device_class: "bot" });
    expect(records[0]?.metadata?.partitionKeys.event_type).toBe("page_view");
  });

  it("URL-encoded user agents are decoded and parsed into browser, OS and device class", () => {
    const { records, stats } = run("user-agents");
    const [iphone, android, ipad, nonAscii, malformed, utm] = records.map(rowOf);
    expect(iphone).toMatchObject({ browser: "Mobile Safari", os: "iOS", device_class: "mobile", is_bot: false });
    expect(android).toMatchObject({ browser: "Chrome", os: "Android", device_class: "mobile" });
    expect(ipad).toMatchObject({ os: "iOS", device_class: "tablet" });
    expect(nonAscii).toMatchObject({ os: "Windows", device_class: "desktop", is_bot: false });
    expect(malformed).toMatchObject({ os: "Windows", browser: "Chrome" });
    expect(utm).toMatchObject({
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: "spring 2025",
      referrer: "https://Mail.Example.org/inbox?x=1",
      referrer_host: "mail.example.org",
      query_string: "utm_source=newsletter&utm_medium=email&utm_campaign=spring%202025",
    });
    expect(stats.failuresByReason).toEqual({});
  });

  it("206 responses are parts of a download; the one that ends at the last byte completes it", () => {
    const { records } = run("range-requests");
    const [first, last, unknownSize, whole, cutOff, missing] = records.map(rowOf);
    expect(first).toMatchObject({
      status: 206,
      range_start: 0,
      range_end: 524_287,
      download_complete: false,
      document_id: "docs/product-guide",
    });
    expect(last).toMatchObject({ status: 206, range_start: 524_288, range_end: RANGE_DOC_SIZE - 1, download_complete: true });
    expect(unknownSize).toMatchObject({ document_id: "docs/price-list", download_complete: null });
    expect(whole).toMatchObject({ status: 200, download_complete: true, document_id: "docs/installation-manual" });
    expect(cutOff).toMatchObject({ status: 200, download_complete: false });
    // A 404 is not a download (nor is a probe for /backup.zip): it stays out of the Documents dashboard.
    expect(missing).toMatchObject({ status: 404, download_complete: null, document_id: null });
    expect(records.map((r) => r.metadata?.partitionKeys.event_type)).toEqual([...Array(5).fill("document_download"), "other"]);
  });

  it("bots are flagged by user agent and by signals other than the user agent, with the reason", () => {
    const { records, stats } = run("bots");
    const rows = records.map(rowOf);
    expect(rows.map((r) => [r.is_bot, r.bot_reason, r.device_class])).toEqual([
      [true, "user-agent:Google", "bot"],
      [true, "user-agent:curl/8.5.0", "bot"],
      [true, "head-request", "bot"],
      [true, "no-accept-header", "bot"],
      [true, "datacenter-asn:16509", "bot"],
      [true, "no-user-agent", "bot"],
    ]);
    expect(rows[0]).toMatchObject({ browser: null, country: "US", city: "Mountain View" });
    expect(stats.byResult.Ok).toBe(6);
  });

  it("QR scans: the landing page and a printed ?src=qr URL count, the link on from the landing page is a download", () => {
    const { records } = run("qr-scans");
    const types = records.map((r) => r.metadata?.partitionKeys.event_type);
    expect(types).toEqual(["qr_scan", "qr_scan", "document_download", "page_view"]);
    const [landing, printed, linkOn, noCode] = records.map(rowOf);
    expect(landing?.qr_code).toBe("booth-berlin");
    expect(printed?.qr_code).toBe("flyer-spring");
    expect(linkOn).toMatchObject({ qr_code: null, document_id: "docs/product-guide" });
    expect(noCode?.qr_code).toBeNull();
  });

  it("very long values are cut to their column's length; a line with cookie and header fields fails, kept but for the IP", () => {
    const { event, records, stats } = run("long-values");
    const [query, referrer, ua] = records.map((r, i) => (i < 3 ? rowOf(r) : undefined));
    expect(query?.query_string).toHaveLength(2048);
    expect(query?.utm_source).toBe("ads");
    expect(referrer?.referrer).toHaveLength(2048);
    expect(referrer?.referrer_host).toBe("www.example.net");
    expect(ua).toMatchObject({ browser: "Chrome", os: "Windows" });
    expect(stats.truncatedValues).toBe(2);
    expect(records[3]).toEqual({
      recordId: event.records[3]?.recordId,
      result: "ProcessingFailed",
      data: failedData(event.records[3]?.data ?? ""),
    });
    expect(stats.failuresByReason).toEqual({ "field-count": 1 });
  });

  it("malformed records come back ProcessingFailed with their data (IP redacted), each with its reason", () => {
    const { event, records, stats } = run("malformed");
    records.forEach((out, i) => {
      expect(out).toEqual({
        recordId: event.records[i]?.recordId,
        result: "ProcessingFailed",
        data: failedData(event.records[i]?.data ?? ""),
      });
      expectSameExceptIp(out.data, event.records[i]?.data ?? "");
    });
    expect(stats.failures.map((f) => f.reason)).toEqual([
      "invalid-utf8",
      "field-count",
      "field-count",
      "empty",
      "bad-number",
      "invalid-row",
      "timestamp-out-of-range",
      "field-count",
    ]);
    expect(stats.failures[5]?.message).toMatch(/^request_id: /);
    expect(stats.byResult).toEqual({ Ok: 0, Dropped: 0, ProcessingFailed: 8 });
  });

  it("partition days are UTC: midnight starts the new day, the last millisecond stays in the old one, leap day exists", () => {
    const { records } = run("timestamps");
    expect(records.map((r) => [rowOf(r).event_time, r.metadata?.partitionKeys])).toEqual([
      ["2025-01-01T00:00:00.000Z", { event_type: "page_view", year: "2025", month: "01", day: "01" }],
      ["2024-12-31T23:59:59.999Z", { event_type: "page_view", year: "2024", month: "12", day: "31" }],
      ["2024-02-29T12:00:00.250Z", { event_type: "page_view", year: "2024", month: "02", day: "29" }],
    ]);
  });

  it("only an explicit drop rule drops a record, and the drop is counted per rule", () => {
    const { records, stats } = run("drop-rules");
    expect(records.map((r) => r.result)).toEqual(["Dropped", "Ok"]);
    expect(stats.droppedByRule).toEqual({ "health-check": 1 });
  });

  it("stats count results and Ok records by event type", () => {
    const { stats } = run("qr-scans");
    expect(stats.byEventType).toMatchObject({ qr_scan: 2, document_download: 1, page_view: 1, other: 0 });
  });
});
