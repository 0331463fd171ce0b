/**
 * errors/ privacy: what a failed record keeps of the client IP (redactIpFields), and that a redacted
 * failed record still replays through the transform once the cause of its failure is fixed.
 */
import { isIP } from "node:net";
import fc from "fast-check";
import type { FirehoseRecordIn } from "../../../handlers/firehose-transform/firehose";
import {
  CLIENT_IP_FIELDS,
  clientIpFieldIndexes,
  redactIpFields,
  redactIpFieldsBase64,
  redactIpValue,
  truncateIp,
} from "../../../handlers/firehose-transform/privacy";
import { parseLogLine, REALTIME_LOG_FIELDS } from "../../../schemas/cloudfront";
import { type ErrorRecord, toFirehoseErrorJson } from "../../../schemas/errors";
import { line } from "../../helpers/cloudfront-lines";
import { processor, rowOf } from "./load";

const IP = clientIpFieldIndexes(REALTIME_LOG_FIELDS);
const C_IP = REALTIME_LOG_FIELDS.indexOf("c-ip");
const options = { fieldCount: REALTIME_LOG_FIELDS.length };
const fieldsOf = (l: string) => l.replace(/\n$/, "").split("\t");

describe("redactIpFields", () => {
  it("finds the client IP fields of the real-time format by name", () => {
    expect(IP).toEqual([C_IP]); // x-forwarded-for is not among the fields this pipeline asks for
    expect(clientIpFieldIndexes(["date", "time", "x-edge-location", "sc-bytes", "c-ip", "x-forwarded-for"])).toEqual([4, 5]);
    expect(CLIENT_IP_FIELDS).toEqual(["c-ip", "x-forwarded-for"]);
  });

  it("replaces c-ip by its network address (/24, /48) and keeps every other byte, the newline included", () => {
    for (const [ip, network] of [
      ["203.0.113.9", "203.0.113.0"],
      ["2001:db8:1:2::9", "2001:db8:1::"],
      ["::ffff:198.51.100.77", "198.51.100.0"],
    ] as const) {
      const original = `${line({ "c-ip": ip })}\n`;
      const redacted = redactIpFields(original, IP, options);
      expect(fieldsOf(redacted)[C_IP]).toBe(network);
      expect(redacted.endsWith("\n")).toBe(true);
      const expected = fieldsOf(original);
      expected[C_IP] = network;
      expect(redacted).toBe(`${expected.join("\t")}\n`);
    }
  });

  it("keeps `-`, turns a value that is not an address into `-`, and omits the address in `omit` mode", () => {
    expect(fieldsOf(redactIpFields(line({ "c-ip": null }), IP, options))[C_IP]).toBe("-");
    expect(fieldsOf(redactIpFields(line({ "c-ip": "not-an-ip" }), IP, options))[C_IP]).toBe("-");
    expect(fieldsOf(redactIpFields(line({ "c-ip": "203.0.113.9" }), IP, { ...options, mode: "omit" }))[C_IP]).toBe("-");
  });

  it("changes only the IP fields, as splitting the line into fields and joining it again would (any text, any positions)", () => {
    // The reference (the former implementation): split, redact the listed fields, join.
    const reference = (text: string, indexes: readonly number[], fieldCount: number | undefined, sep: string) => {
      const newline = /\r?\n$/.exec(text)?.[0] ?? "";
      const fields = text.slice(0, text.length - newline.length).split(sep);
      if (fieldCount !== undefined && fields.length !== fieldCount) return undefined; // the token search, tested above
      for (const i of indexes) {
        const v = fields[i];
        if (v !== undefined) fields[i] = redactIpValue(v, "truncate");
      }
      return fields.join(sep) + newline;
    };
    const piece = fc.oneof(
      fc.constantFrom("203.0.113.9", "2001:db8:1:2::9", "-", "", "10.0.0.1, 198.51.100.7", "x", "\t", ",", " ", "\n", "\r\n"),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }),
        fc.array(fc.integer({ min: -1, max: 12 }), { maxLength: 3 }),
        fc.constantFrom("\t", " ", ", "),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        (pieces, indexes, sep, fieldCount) => {
          const text = pieces.join("");
          const expected = reference(text, indexes, fieldCount, sep);
          if (expected !== undefined) expect(redactIpFields(text, indexes, { separator: sep, fieldCount })).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("redacts each entry of an x-forwarded-for list, keeping its separators", () => {
    const w3c = ["2025-06-01", "10:00:00", "198.51.100.7", "203.0.113.9, 2001:db8:1::5,10.0.0.1", "GET"].join("\t");
    expect(redactIpFields(w3c, [2, 3], { fieldCount: 5 })).toBe(
      ["2025-06-01", "10:00:00", "198.51.100.0", "203.0.113.0, 2001:db8:1::,10.0.0.0", "GET"].join("\t"),
    );
  });

  it("a line whose field count is not the format's: every address anywhere in it is redacted, nothing else", () => {
    const broken = `${line({ "c-ip": "203.0.113.9" })}\textra field with 198.51.100.23:443 and [2001:db8:5:6::1] and v1.2.3\n`;
    const redacted = redactIpFields(broken, IP, options);
    expect(redacted).toBe(
      broken
        .replace("203.0.113.9", "203.0.113.0")
        .replace("198.51.100.23:443", "198.51.100.0:443")
        .replace("2001:db8:5:6::1", "2001:db8:5::"),
    );
  });

  it("for any address and any line around it: the address is gone, the line otherwise byte-identical, parsing unchanged (fast-check)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.boolean(), (ip, newline) => {
        const original = line({ "c-ip": ip }) + (newline ? "\n" : "");
        const redacted = redactIpFields(original, IP, options);
        const before = fieldsOf(original);
        const after = fieldsOf(redacted);
        expect(after).toHaveLength(before.length);
        after.forEach((f, i) => {
          if (i !== C_IP) expect(f).toBe(before[i]);
        });
        expect(after[C_IP]).toBe(truncateIp(ip));
        expect(isIP(after[C_IP] as string)).toBeGreaterThan(0);
        expect(redacted.endsWith("\n")).toBe(newline);
        // Redacting again changes nothing; the line still parses to the same record but for c-ip.
        expect(redactIpFields(redacted, IP, options)).toBe(redacted);
        const a = parseLogLine(original);
        const b = parseLogLine(redacted);
        expect(b.ok && a.ok && { ...b.record, "c-ip": null }).toEqual(a.ok && { ...a.record, "c-ip": null });
      }),
      { numRuns: 300 },
    );
  });

  it("for any bytes: base64 in, base64 out, the same bytes when they hold no address (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const data = Buffer.from(bytes).toString("base64");
        const out = redactIpFieldsBase64(data, IP, options);
        const text = Buffer.from(bytes).toString("latin1");
        const hasAddress = text.split(/[\s,;"'=&|<>()[\]{}/?#]+/).some((t) => isIP(t.replace(/:\d{1,5}$/, "")) > 0 || isIP(t) > 0);
        if (!hasAddress) expect(out).toBe(data);
      }),
      { numRuns: 300 },
    );
  });
});

describe("a redacted failed record replays", () => {
  it("fails while the cause holds, is kept without the address, and gives the same row but for the visitor id once fixed", async () => {
    // The cause: a transform whose clock is a month behind sees the record as more than a day ahead.
    const skewed = await processor({ now: () => new Date("2025-05-01T00:00:00Z") });
    const fixed = await processor();
    const original = `${line({ "c-ip": "203.0.113.9", "c-country": "DE" })}\n`;
    const input: FirehoseRecordIn = {
      recordId: "r1",
      approximateArrivalTimestamp: 1748779260000,
      data: Buffer.from(original).toString("base64"),
    };

    const failed = skewed.processRecords([input]);
    expect(failed.stats.failuresByReason).toEqual({ "timestamp-out-of-range": 1 });
    const out = failed.records[0];
    expect(out?.result).toBe("ProcessingFailed");

    // errors/ keeps it as Firehose's error JSON; the address is not in it, in clear or in base64.
    const stored: ErrorRecord = {
      attempts_made: 1,
      arrival_timestamp: 1748779260000,
      error_code: "Lambda.ProcessingFailedStatus",
      error_message: "timestamp-out-of-range",
      attempt_ending_timestamp: 1748779261000,
      raw_data: out?.data ?? "",
      lambda_arn: "arn:aws:lambda:eu-west-1:123456789012:function:webstats-dev-events-transform",
    };
    const json = JSON.stringify(toFirehoseErrorJson(stored));
    const kept = Buffer.from((JSON.parse(json) as { rawData: string }).rawData, "base64").toString("utf8");
    expect(kept).not.toContain("203.0.113.9");
    expect(kept).toBe(original.replace("203.0.113.9", "203.0.113.0"));

    // Replay through the fixed transform: Ok, and the row is the original's but for the visitor id.
    const replayed = fixed.processRecords([{ ...input, data: Buffer.from(kept).toString("base64") }]);
    const direct = fixed.processRecords([input]);
    const { visitor_id: replayedVisitor, ...replayedRow } = rowOf(replayed.records[0]);
    const { visitor_id: directVisitor, ...directRow } = rowOf(direct.records[0]);
    expect(replayedRow).toEqual(directRow);
    expect(replayedVisitor).not.toBe(directVisitor); // hashed from the network address: a replayed visitor is a new one
  });
});
