/**
 * BatchOutput encodes a batch's rows with one base64 call and hands out each
 * row's slice: every slice must decode to exactly its row (plus 0-2 spaces of
 * padding and the newline), whatever the rows hold and however many batches.
 */
import fc from "fast-check";
import { BatchOutput } from "../../../handlers/firehose-transform/batch-output";

/** JSON texts with the characters that change UTF-8 lengths: ASCII, 2-, 3- and 4-byte sequences, lone surrogates. */
const jsonText = fc
  .record({ s: fc.string({ unit: "binary", maxLength: 300 }), n: fc.integer(), b: fc.boolean() })
  .map((v) => JSON.stringify(v));

function decodeAll(batch: BatchOutput, rows: readonly string[]): string[] {
  batch.reset();
  for (const row of rows) batch.add(row);
  return batch.encode().map((b64) => Buffer.from(b64, "base64").toString("utf8"));
}

describe("BatchOutput", () => {
  it("each record's data decodes to its own row, padded with at most two spaces before the newline", () => {
    // A tiny first buffer makes the property exercise growth too.
    const batch = new BatchOutput(16);
    fc.assert(
      fc.property(fc.array(jsonText, { maxLength: 40 }), (rows) => {
        const decoded = decodeAll(batch, rows);
        expect(decoded).toHaveLength(rows.length);
        decoded.forEach((text, i) => {
          const row = rows[i] as string;
          expect(text).toMatch(/^[\s\S]* {0,2}\n$/);
          // What the row's own encoding gives back (lone surrogates become U+FFFD either way).
          expect(text.trimEnd()).toBe(Buffer.from(row, "utf8").toString("utf8"));
          expect(JSON.parse(text)).toEqual(JSON.parse(row));
        });
      }),
      { numRuns: 300 },
    );
  });

  it("pads only as much as base64 needs, so a row that is already a multiple of 3 bytes keeps its exact bytes", () => {
    const batch = new BatchOutput();
    // Row + newline: 3, 4 and 5 bytes.
    const decoded = decodeAll(batch, ["ab", "abc", "abcd"]);
    expect(decoded).toEqual(["ab\n", "abc  \n", "abcd \n"]);
  });

  it("a new batch does not see the previous one's rows, and an empty batch has no data", () => {
    const batch = new BatchOutput(8);
    expect(decodeAll(batch, ['{"a":1}', '{"b":"ü!"}'])).toEqual(['{"a":1} \n', '{"b":"ü!"}\n']);
    expect(decodeAll(batch, [])).toEqual([]);
    expect(decodeAll(batch, ['{"c":3}'])).toEqual(['{"c":3} \n']);
  });
});
