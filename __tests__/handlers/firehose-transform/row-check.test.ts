/**
 * The transform checks its rows with plain tests compiled from EventRowSchema (row-check.ts), not zod: held here to
 * EventRowSchema.safeParse, the contract, on rows the transform builds from thousands of generated lines and on
 * rows mutated column by column to every edge the schema draws (accept and reject must agree, and the first column
 * named must be zod's first).
 */
import fc from "fast-check";
import * as z from "zod";
import { columnChecks, compileRowCheck, isIsoInstant } from "../../../handlers/firehose-transform/row-check";
import { col } from "../../../schemas/columns";
import { type EventRow, EventRowSchema } from "../../../schemas/event";
import { generatedRows } from "./arbitraries";

const check = compileRowCheck(EventRowSchema);

let rows: EventRow[];
beforeAll(async () => {
  // A large generated set: lines drawn widely, and real lines with one field mangled.
  rows = await generatedRows(4000, 18);
});

/** zod's verdict on a row: null when valid, else the first issue's column. */
function zodVerdict(row: unknown): string | null {
  const r = EventRowSchema.safeParse(row);
  return r.success ? null : String(r.error.issues[0]?.path[0]);
}

/** Our verdict in the same terms. */
function fastVerdict(row: Readonly<Record<string, unknown>>): string | null {
  const problem = check(row);
  return problem === null ? null : (problem.split(":")[0] as string);
}

describe("row-check", () => {
  it("every row the transform builds from thousands of generated lines satisfies EventRowSchema", () => {
    expect(rows.length).toBeGreaterThan(5000);
    for (const row of rows) {
      expect(check(row)).toBeNull();
      expect(EventRowSchema.parse(row)).toEqual(row);
    }
  });

  it("agrees with EventRowSchema.safeParse on rows with one column set to an edge or a wrong value", () => {
    const edges = columnChecks(EventRowSchema).flatMap((c) => {
      const common: unknown[] = [null, undefined, "", "x", 0, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, true, {}, []];
      if (c.kind === "string") {
        const lengths = [c.min - 1, c.min, c.max, c.max + 1].filter((n) => n >= 0 && Number.isFinite(n));
        // zod counts code points: a surrogate pair is one character, a lone surrogate one too.
        const astral = [c.max - 1, c.max, c.min - 1, c.min].filter((n) => n >= 0 && Number.isFinite(n));
        return [
          ...common,
          ...lengths.map((n) => "a".repeat(n)),
          ...astral.map((n) => `${"a".repeat(n)}\u{1F600}`),
          ...astral.map((n) => `${"a".repeat(n)}\ud83d`),
          "\u{1F600}",
          "\u{1F600}".repeat(c.max === Number.POSITIVE_INFINITY ? 3 : c.max),
        ].map((v) => [c.name, v]);
      }
      if (c.kind === "number") {
        const around = (n: number) => [n - 1, n, n + 1, n + 0.5];
        return [...common, ...around(c.min), ...around(c.max), 2 ** 31, -(2 ** 31), 2 ** 53, -0].map((v) => [c.name, v]);
      }
      if (c.kind === "instant") {
        return [
          ...common,
          "2024-02-29T00:00:00.000Z",
          "2023-02-29T00:00:00.000Z",
          "2024-04-31T23:59:59.999Z",
          "2024-12-31T23:59:59.999Z",
          "2024-01-01T24:00:00.000Z",
          "2024-01-01T23:60:00.000Z",
          "2024-01-01T23:59:60.000Z",
          "2024-13-01T00:00:00.000Z",
          "2024-00-01T00:00:00.000Z",
          "2024-01-00T00:00:00.000Z",
          "1900-02-29T00:00:00.000Z",
          "2000-02-29T00:00:00.000Z",
          "0000-01-01T00:00:00.000Z",
          "2024-01-01T00:00:00Z",
          "2024-01-01T00:00:00.0000Z",
          "2024-01-01T00:00:00.000+00:00",
          "2024-01-01 00:00:00.000Z",
          "2024-1-01T00:00:00.000Z",
          "+02024-01-01T00:00:00.000Z",
          "2024-01-01T00:00:00.00aZ",
        ].map((v) => [c.name, v]);
      }
      return common.map((v) => [c.name, v]);
    }) as [keyof EventRow, unknown][];
    const base = rows[0] as EventRow;
    for (const [column, value] of edges) {
      const row = { ...base, [column]: value };
      expect([column, value, fastVerdict(row)]).toEqual([column, value, zodVerdict(row)]);
    }
  });

  it("agrees with EventRowSchema.safeParse on rows with several columns set to arbitrary values", () => {
    const names = Object.keys(EventRowSchema.shape) as (keyof EventRow)[];
    const value = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );
    fc.assert(
      fc.property(fc.constantFrom(...rows), fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 4 }), (row, changes) => {
        const mutated = { ...row, ...changes };
        expect(fastVerdict(mutated)).toBe(zodVerdict(mutated));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with zod's iso.datetime on any string shaped like an instant", () => {
    const iso = z.iso.datetime({ precision: 3 });
    const digit = fc.constantFrom(..."0123456789");
    const d = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((xs) => xs.join(""));
    const shaped = fc
      .tuple(d(4), d(2), d(2), d(2), d(2), d(2), d(3))
      .map(([y, mo, da, h, mi, s, ms]) => `${y}-${mo}-${da}T${h}:${mi}:${s}.${ms}Z`);
    fc.assert(
      fc.property(
        fc.oneof(
          shaped,
          fc.date({ noInvalidDate: true }).map((x) => x.toISOString()),
          fc.string(),
        ),
        (s) => {
          expect(isIsoInstant(s)).toBe(iso.safeParse(s).success);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("names the column and why", () => {
    expect(check({ ...(rows[0] as EventRow), request_id: "" })).toBe("request_id: must have at least 1 character");
    expect(check({ ...(rows[0] as EventRow), status: 2 ** 31 })).toBe(
      "status: must be between -2147483648 and 2147483647 (got 2147483648)",
    );
  });

  it("refuses a schema with a check it does not know, instead of skipping it", () => {
    const schema = z.strictObject({ code: col.string("a code", 8).refine((v) => v !== "x") });
    expect(() => compileRowCheck(schema)).toThrow(/column code/);
    const regex = z.strictObject({ code: col.required.string("a code").regex(/^a/) });
    expect(() => compileRowCheck(regex)).toThrow(/column code has a string check/);
  });
});
