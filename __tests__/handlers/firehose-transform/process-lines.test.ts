/**
 * processLines, the local run's way through the transform, held to processRecords (what the Lambda runs): for any
 * batch of lines, the same outcome per line, the same rows, partition keys, failed data and counts.
 */
import fc from "fast-check";
import type { FirehoseRecordIn } from "../../../handlers/firehose-transform/firehose";
import type { Processor } from "../../../handlers/firehose-transform/processor";
import type { EventRow, PartitionKeys } from "../../../schemas/event";
import { line, USER_AGENTS } from "../../helpers/cloudfront-lines";
import { arbitraryBytes, mangledLine, plausibleLine } from "./arbitraries";
import { processor, rowOf } from "./load";

let p: Processor;
beforeAll(async () => {
  p = await processor();
});

type Outcome = ["Ok", PartitionKeys, EventRow] | ["Dropped"] | ["ProcessingFailed", string, number];

/** processLines' outcomes, in line order (a failed line's with where it ends in the batch). */
function viaLines(batch: Buffer) {
  const outcomes: Outcome[] = [];
  const stats = p.processLines(new Uint8Array(batch), {
    row: (keys, row) => outcomes.push(["Ok", keys, JSON.parse(JSON.stringify(row)) as EventRow]),
    failed: (data, end) => outcomes.push(["ProcessingFailed", data, end]),
  });
  return { outcomes, stats };
}

/** processRecords' outcomes for the same lines as records: the batch split at `\n`, the final newline ending the last line. */
function viaRecords(batch: Buffer) {
  const lines: Buffer[] = [];
  const ends: number[] = [];
  for (let start = 0; start < batch.length; ) {
    const nl = batch.indexOf(10, start);
    const end = nl < 0 ? batch.length : nl;
    lines.push(batch.subarray(start, end));
    ends.push(end);
    start = end + 1;
  }
  const records: FirehoseRecordIn[] = lines.map((l, i) => ({ recordId: String(i), data: l.toString("base64") }));
  const { records: out, stats } = p.processRecords(records);
  const outcomes = out.map((o, i): Outcome => {
    if (o.result === "Ok") return ["Ok", o.metadata?.partitionKeys as PartitionKeys, rowOf(o)];
    if (o.result === "Dropped") return ["Dropped"];
    return ["ProcessingFailed", o.data, ends[i] as number];
  });
  return { outcomes, stats };
}

function expectSame(batch: Buffer): void {
  const lines = viaLines(batch);
  const records = viaRecords(batch);
  // processLines tells no Dropped line to its sink; counts hold them.
  expect(lines.outcomes).toEqual(records.outcomes.filter((o) => o[0] !== "Dropped"));
  expect(lines.stats).toEqual(records.stats);
}

const batchOf = (items: fc.Arbitrary<string | Buffer>) =>
  fc
    .tuple(fc.array(items, { maxLength: 20 }), fc.boolean())
    .map(([parts, finalNewline]) =>
      Buffer.concat([
        ...parts.flatMap((b, i) => [...(i > 0 ? [Buffer.from("\n")] : []), Buffer.from(b)]),
        Buffer.from(finalNewline && parts.length > 0 ? "\n" : ""),
      ]),
    );

describe("processLines", () => {
  it("for any batch of plausible, mangled and arbitrary lines: the outcomes and counts of processRecords", () => {
    fc.assert(fc.property(batchOf(fc.oneof(plausibleLine, mangledLine, arbitraryBytes)), expectSame), { numRuns: 200 });
  });

  it("counts each kind of line, hands rows as objects and failed lines redacted, and sends no dropped line to the sink", () => {
    // Prepare: a page view, a health check the default rules drop, a line cut short, and bytes that are not UTF-8.
    const batch = Buffer.concat([
      Buffer.from(`${line()}\n${line({ "cs-user-agent": USER_AGENTS.uptimeRobot, "cs-uri-stem": "/" })}\n`),
      Buffer.from(`${line({ "c-ip": "203.0.113.9" }).split("\t").slice(0, 5).join("\t")}\n`),
      Buffer.from([0xff, 0xfe, 0x0a]),
    ]);
    // Act
    const { outcomes, stats } = viaLines(batch);
    // Assess
    expect(stats.records).toBe(4);
    expect(stats.byResult.Ok + stats.byResult.Dropped).toBe(2);
    expect(stats.byResult.ProcessingFailed).toBe(2);
    expect(stats.failuresByReason).toMatchObject({ "invalid-utf8": 1 });
    expect(outcomes[0]?.[0]).toBe("Ok");
    const failed = outcomes.filter((o) => o[0] === "ProcessingFailed");
    expect(failed.map((o) => o[2])).toEqual([batch.indexOf(10, batch.indexOf("203.0.113.9")), batch.length - 1]);
    expect(Buffer.from(failed[0]?.[1] as string, "base64").toString()).not.toContain("203.0.113.9");
    expect(Buffer.from(failed[1]?.[1] as string, "base64")).toEqual(Buffer.from([0xff, 0xfe]));
    expectSame(batch);
  });

  it("an empty batch is no line at all", () => {
    expect(viaLines(Buffer.alloc(0)).stats.records).toBe(0);
  });
});
