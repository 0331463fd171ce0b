/**
 * The generated row serializer (row-json.ts) against JSON.stringify, the reference: the same text for rows the
 * transform builds from generated lines and for rows whose string columns hold anything (quotes, backslashes,
 * control characters, lone surrogates, non-ASCII).
 */
import fc from "fast-check";
import { columnChecks } from "../../../handlers/firehose-transform/row-check";
import { compileRowJson } from "../../../handlers/firehose-transform/row-json";
import { type EventRow, EventRowSchema } from "../../../schemas/event";
import { generatedRows } from "./arbitraries";

const rowJson = compileRowJson(EventRowSchema);

let rows: EventRow[];
beforeAll(async () => {
  rows = await generatedRows(2000, 7);
});

describe("compileRowJson", () => {
  it("gives JSON.stringify's text for every row the transform builds from generated lines", () => {
    expect(rows.length).toBeGreaterThan(2000);
    for (const row of rows) expect(rowJson(row)).toBe(JSON.stringify(row));
  });

  it("gives JSON.stringify's text whatever the string columns hold, and for every kind of value a row check accepts", () => {
    const strings = columnChecks(EventRowSchema)
      .filter((c) => c.kind === "string")
      .map((c) => c.name);
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.constantFrom('"', "\\", "\u0000", "\u001f", "\u007f", "\u2028", "\ud800", "\udc00x", "\u{1F600}", "é"),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...rows),
        fc.dictionary(fc.constantFrom(...strings), fc.option(text, { nil: null }), { maxKeys: 6 }),
        fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: null }),
        fc.boolean(),
        (row, changes, bytes, isBot) => {
          const mutated = { ...row, ...changes, bytes_sent: bytes, is_bot: isBot, status: -0 };
          expect(rowJson(mutated)).toBe(JSON.stringify(mutated));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
