/**
 * Lambda's 6 MB response limit: the processor's size arithmetic must equal what
 * the runtime serializes, and a batch whose rows would not fit gives back its
 * last Ok records as ProcessingFailed (original data kept) instead of failing
 * the whole invocation.
 */
import fc from "fast-check";
import { LAMBDA_LIMITS, TRANSFORM_RESPONSE } from "../../../config/limits";
import type { FirehoseRecordIn, Processor } from "../../../handlers/firehose-transform/processor";
import { responseBytes } from "../../../handlers/firehose-transform/response-size";
import type { RealtimeLogField } from "../../../schemas/cloudfront";
import { type LineValues, line, lineValues, USER_AGENTS } from "../../helpers/cloudfront-lines";
import { expectSameExceptIp, failedData, processor } from "./load";

const encode = (text: string) => Buffer.from(text).toString("base64");

/** A request without user agent, referrer or query: the shortest kind of line, whose row is ~5.7x its size. */
const shortLine = (i: number) =>
  line({
    "x-edge-request-id": `short${String(i).padStart(8, "0")}${"Q".repeat(39)}==`,
    "cs-user-agent": null,
    "cs-referer": null,
    "cs-uri-query": null,
    "cs-accept": null,
    "sc-content-type": null,
  });

function batch(lines: readonly string[]): FirehoseRecordIn[] {
  return lines.map((l, i) => ({ recordId: `49546986683135544286507457936321625675700192471156785154${i}`, data: encode(`${l}\n`) }));
}

let unlimited: Processor;
beforeAll(async () => {
  unlimited = await processor({ geoDatabase: false });
});

describe("response size", () => {
  it("equals the bytes of JSON.stringify({ records }) for any mix of results and record ids", () => {
    const lineArb = fc.oneof(
      fc.constantFrom(line(), line({ "cs-user-agent": USER_AGENTS.googlebot }), shortLine(1), line({ "cs-uri-stem": "/healthz" })),
      fc.string({ unit: "binary", maxLength: 200 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineArb, fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), fc.boolean()), { maxLength: 30 }),
        (items) => {
          // Now and then data that is not base64 at all: it comes back as it came, and must be measured as such.
          const input = items.map(([l, id, raw]) => ({ recordId: id, data: raw ? l : encode(l) }));
          const { records } = unlimited.processRecords(input);
          expect(responseBytes(records)).toBe(Buffer.byteLength(JSON.stringify({ records })));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a batch that would exceed the limit returns its last Ok records as ProcessingFailed, with their data (the client IP redacted)", async () => {
    const input = batch(Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? "not a log line" : shortLine(i))));
    const full = unlimited.processRecords(input);
    const fullBytes = responseBytes(full.records);
    const limit = Math.floor(fullBytes * 0.6);
    const p = await processor({ geoDatabase: false, maxResponseBytes: limit });
    const { records, stats } = p.processRecords(input);

    expect(records.map((r) => r.recordId)).toEqual(input.map((r) => r.recordId));
    expect(Buffer.byteLength(JSON.stringify({ records }))).toBeLessThanOrEqual(limit);
    const moved = records.flatMap((r, i) => (r.result !== full.records[i]?.result ? [i] : []));
    expect(moved.length).toBeGreaterThan(0);
    // Only Ok records move, the last ones, and as few as fit: one more Ok record would not fit.
    for (const i of moved) {
      expect(full.records[i]?.result).toBe("Ok");
      expect(records[i]).toEqual({ recordId: input[i]?.recordId, result: "ProcessingFailed", data: failedData(input[i]?.data ?? "") });
      expectSameExceptIp(records[i]?.data ?? "", input[i]?.data ?? "");
    }
    const firstMoved = Math.min(...moved);
    expect(records.slice(0, firstMoved)).toEqual(full.records.slice(0, firstMoved));
    const oneLess = [...records];
    oneLess[firstMoved] = full.records[firstMoved] as (typeof records)[number];
    expect(responseBytes(oneLess)).toBeGreaterThan(limit);
    // Counted, so the ProcessingFailed metric and alarm see them.
    expect(stats.failuresByReason["response-too-large"]).toBe(moved.length);
    expect(stats.byResult.Ok).toBe(full.stats.byResult.Ok - moved.length);
    expect(stats.byResult.ProcessingFailed).toBe(full.stats.byResult.ProcessingFailed + moved.length);
    expect(Object.values(stats.byEventType).reduce((a, b) => a + b, 0)).toBe(stats.byResult.Ok);
    expect(stats.failures.some((f) => f.reason === "response-too-large" && /processorBufferSizeMB/.test(f.message))).toBe(true);
  });

  describe("the worst line the parser accepts, against the processor buffer limit (config/limits.ts TRANSFORM_RESPONSE)", () => {
    /** A Kinesis-source record id as the fixtures carry them (66 characters). */
    const recordId = (i: number) => `4954698668313554428650745793632162567570019247115678515400000${String(i).padStart(5, "0")}`;
    const accepted = (p: Processor, text: string) =>
      p.processRecords([{ recordId: recordId(0), data: encode(`${text}\n`) }]).records[0]?.result === "Ok";

    /** The shortest line the parser still accepts: blank (`-`) every field it lets us, else shrink it to one character. */
    function worstLine(p: Processor, overrides: LineValues): string {
      const values: LineValues = { "x-edge-request-id": "a", ...overrides };
      for (const field of Object.keys(lineValues()) as RealtimeLogField[]) {
        if (field in overrides) continue;
        for (const candidate of [null, typeof lineValues()[field] === "number" ? 0 : "a"]) {
          if (accepted(p, line({ ...values, [field]: candidate }))) {
            values[field] = candidate;
            break;
          }
        }
      }
      const text = line(values);
      expect(accepted(p, text)).toBe(true);
      return text;
    }

    it.each([
      ["a page", {}],
      ["a document", { "cs-uri-stem": "/a.pdf", "sc-content-type": "application/pdf" }],
      ["a bot", { "cs-user-agent": "a" }],
    ])("%s: a batch of processorBufferSizeMB's maximum of the shortest such lines fits Lambda's 6 MB whole", async (_, overrides) => {
      const p = await processor({ geoDatabase: false });
      const text = worstLine(p, overrides as LineValues);
      const bufferBytes = TRANSFORM_RESPONSE.maxProcessorBufferMB * 2 ** 20;
      const input: FirehoseRecordIn[] = [];
      for (let bytes = 0; bytes + text.length + 1 <= bufferBytes; bytes += text.length + 1) {
        input.push({ recordId: recordId(input.length), data: encode(`${text}\n`) });
      }
      const { records, stats } = p.processRecords(input);
      const ratio = responseBytes(records) / (input.length * (text.length + 1));
      // The measured worst is 15.7 (config/limits.ts); a richer row would need a new bound, not a silent overflow.
      expect(ratio).toBeLessThanOrEqual(TRANSFORM_RESPONSE.worstRatio);
      expect(stats.byResult.Ok).toBe(input.length);
      expect(responseBytes(records)).toBeLessThanOrEqual(LAMBDA_LIMITS.syncPayloadBytes);
    });

    it("the bound is tight enough to matter: Firehose's own default (1 MB) of those lines would not fit", async () => {
      const p = await processor({ geoDatabase: false });
      const text = worstLine(p, {});
      const input: FirehoseRecordIn[] = [];
      for (let bytes = 0; bytes + text.length + 1 <= 2 ** 20; bytes += text.length + 1) {
        input.push({ recordId: recordId(input.length), data: encode(`${text}\n`) });
      }
      expect(p.processRecords(input).stats.failuresByReason["response-too-large"]).toBeGreaterThan(0);
    });
  });
});
