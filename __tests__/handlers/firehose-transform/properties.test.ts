/**
 * Properties of the transform for any input (fast-check): exactly one output
 * per input with the same recordId, never a throw, failures keep their data,
 * and every Ok record is a valid row with valid partition keys.
 */
import fc from "fast-check";
import type { FirehoseRecordIn, FirehoseRecordOut } from "../../../handlers/firehose-transform/firehose";
import type { Processor } from "../../../handlers/firehose-transform/processor";
import { responseBytes } from "../../../handlers/firehose-transform/response-size";
import { EventRowSchema, PartitionKeysSchema, partitionKeysFor } from "../../../schemas/event";
import { line, lineValues } from "../../helpers/cloudfront-lines";
import { arbitraryBytes, mangledLine, plausibleLine } from "./arbitraries";
import { expectSameExceptIp, failedData, processor, rowOf } from "./load";

let p: Processor;
beforeAll(async () => {
  p = await processor();
});

const NUM_RUNS = 200;

function checkBatch(input: FirehoseRecordIn[]): void {
  const { records, stats } = p.processRecords(input);
  expect(records).toHaveLength(input.length);
  records.forEach((out, i) => {
    const rec = input[i] as FirehoseRecordIn;
    expect(out.recordId).toBe(rec.recordId);
    if (out.result === "Ok") {
      const row = rowOf(out);
      expect(EventRowSchema.safeParse(row).success).toBe(true);
      const keys = PartitionKeysSchema.parse(out.metadata?.partitionKeys);
      expect(keys).toEqual(partitionKeysFor(keys.event_type, new Date(row.event_time)));
    } else {
      // errors/ keeps what comes back: the record as it came, but for its client IP fields.
      expect(out.data).toBe(failedData(rec.data));
      expectSameExceptIp(out.data, rec.data);
    }
  });
  expect(stats.byResult.Ok + stats.byResult.Dropped + stats.byResult.ProcessingFailed).toBe(input.length);
}

const batch = (bytes: fc.Arbitrary<Buffer | string>) =>
  fc
    .array(bytes, { minLength: 0, maxLength: 20 })
    .map((items) =>
      items.map(
        (b, i): FirehoseRecordIn => ({ recordId: `rec-${i}`, approximateArrivalTimestamp: 1, data: Buffer.from(b).toString("base64") }),
      ),
    );

describe("transform properties", () => {
  it("for any record bytes: one output per input, same recordId, no throw, failed data kept but for the IP", () => {
    fc.assert(
      fc.property(batch(arbitraryBytes), (input) => checkBatch(input)),
      { numRuns: NUM_RUNS },
    );
  });

  it("for lines with any one field mangled: the same, and every Ok record validates", () => {
    fc.assert(
      fc.property(batch(mangledLine), (input) => checkBatch(input)),
      { numRuns: NUM_RUNS },
    );
  });

  it("for plausible lines: every Ok row validates and its partition keys match its event_time", () => {
    fc.assert(
      fc.property(batch(plausibleLine), (input) => {
        checkBatch(input);
        const { stats } = p.processRecords(input);
        // Plausible lines all parse: only ones whose value breaks a column could fail.
        expect(stats.failuresByReason["field-count"] ?? 0).toBe(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("for any client IP: the IP appears nowhere in the row", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const data = Buffer.from(line({ "c-ip": ip, "c-ip-version": ip.includes(":") ? "IPv6" : "IPv4" })).toString("base64");
        const text = Buffer.from((p.processRecords([{ recordId: "1", data }]).records[0]?.data as string) ?? "", "base64").toString("utf8");
        expect(text).toContain('"visitor_id"');
        expect(text).not.toContain(`"${ip}"`);
        // Unless the IP's text is in the line's other fields anyway (e.g. 124.0.0.0 in a Chrome version).
        if (!line({ "c-ip": null }).includes(ip)) expect(text).not.toContain(ip);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("records with unusual ids or missing data still get exactly one output each", () => {
    const weird = [
      { recordId: "", data: "" },
      { recordId: "x".repeat(1000), data: "####" },
      { recordId: "n", data: undefined as unknown as string },
      { recordId: "o", data: 42 as unknown as string },
    ];
    const { records, stats } = p.processRecords(weird);
    expect(records.map((r) => [r.recordId, r.result])).toEqual([
      ["", "ProcessingFailed"],
      ["x".repeat(1000), "ProcessingFailed"],
      ["n", "ProcessingFailed"],
      ["o", "ProcessingFailed"],
    ]);
    // Data that is not a string goes back as its JSON, base64: errors/ keeps what came.
    expect(records.map((r) => r.data)).toEqual(["", "####", "", Buffer.from("42").toString("base64")]);
    expect(stats.failuresByReason).toEqual({ empty: 2, "bad-record": 2 });
    expect(stats.recordsWithoutId).toBe(0);
  });

  it("a null record, a record without recordId and one with a non-string recordId each get one output with their data", () => {
    // Prepare
    const good = Buffer.from(`${line()}\n`).toString("base64");
    const input = [null, { data: good }, { recordId: 7, data: good }, { recordId: "ok", data: good }] as unknown as FirehoseRecordIn[];
    // Act
    const { records, stats } = p.processRecords(input);
    // Assess
    expect(records.map((r) => [r.recordId, r.result, r.data])).toEqual([
      ["", "ProcessingFailed", Buffer.from("null").toString("base64")],
      ["", "ProcessingFailed", failedData(good)],
      ["", "ProcessingFailed", failedData(good)],
      ["ok", "Ok", expect.any(String)],
    ]);
    expect(stats.recordsWithoutId).toBe(3);
    expect(stats.failures.map((f) => [f.recordId, f.reason, f.message])).toEqual([
      ["", "bad-record", "record is null"],
      ["", "bad-record", "record has no recordId"],
      ["", "bad-record", "record has no recordId"],
    ]);
    expect(responseBytes(records)).toBe(Buffer.byteLength(JSON.stringify({ records })));
  });

  it("for any JSON as a record: one output each, never a throw, the id kept when it is a string, the data carried", () => {
    const data = fc.oneof(
      plausibleLine.map((l) => Buffer.from(`${l}\n`).toString("base64")),
      fc.base64String({ maxLength: 64 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const record = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({ recordId: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })), data }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 15 }), (input) => {
        const { records, stats } = p.processRecords(input as FirehoseRecordIn[]);
        expect(records).toHaveLength(input.length);
        let withoutId = 0;
        input.forEach((rec, i) => {
          const out = records[i] as FirehoseRecordOut;
          const id = (rec as { recordId?: unknown } | null)?.recordId;
          if (typeof id !== "string") withoutId++;
          expect(out.recordId).toBe(typeof id === "string" ? id : "");
          if (out.result === "Ok") expect(typeof id === "string" && typeof (rec as { data?: unknown }).data === "string").toBe(true);
          else if (typeof (rec as { data?: unknown } | null)?.data === "string")
            expect(out.data).toBe(failedData((rec as { data: string }).data));
          else expect(typeof out.data).toBe("string");
        });
        expect(stats.recordsWithoutId).toBe(withoutId);
        expect(stats.byResult.Ok + stats.byResult.Dropped + stats.byResult.ProcessingFailed).toBe(input.length);
        // The response the runtime serializes is what the size check counted: nothing undefined in it.
        expect(responseBytes(records)).toBe(Buffer.byteLength(JSON.stringify({ records })));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("the same request gives the same row (deterministic), apart from nothing", () => {
    const data = Buffer.from(line(lineValues({ "x-edge-request-id": "same-request-id" }))).toString("base64");
    const a = p.processRecords([{ recordId: "1", data }]).records[0];
    const b = p.processRecords([{ recordId: "1", data }]).records[0];
    expect(a).toEqual(b);
  });
});
