/**
 * The check every row gets before it leaves the transform, without zod on the hot path: a table schema
 * (EventRowSchema) compiled once into plain per-column tests. zod's safeParse of a 36-column row cost ~15% of the
 * transform's time, and rebuilt a copy of a row our own code had just built.
 *
 * The tests are read from the schema's own checks (types, nullability, lengths, integer ranges, the ISO instant
 * format), never written here a second time; a check kind this file does not know throws when the module loads,
 * so a schema change cannot silently weaken the check. __tests__/handlers/firehose-transform/row-check.test.ts
 * holds it to EventRowSchema.safeParse (accept and reject alike) on generated and mutated rows.
 */
import type * as z from "zod";

/** What one column accepts. */
export type ColumnCheck =
  | { readonly name: string; readonly nullable: boolean; readonly kind: "string"; readonly min: number; readonly max: number }
  | {
      readonly name: string;
      readonly nullable: boolean;
      readonly kind: "number";
      readonly int: boolean;
      readonly min: number;
      readonly max: number;
    }
  | { readonly name: string; readonly nullable: boolean; readonly kind: "boolean" }
  | { readonly name: string; readonly nullable: boolean; readonly kind: "instant" };

/** The slice of zod's (public) `def` this file reads. */
interface Def {
  readonly type: string;
  readonly innerType?: { readonly def: Def };
  readonly format?: string;
  readonly precision?: number | null;
  readonly offset?: boolean;
  readonly local?: boolean;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
}
interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
}

function columnCheck(name: string, field: z.ZodType): ColumnCheck {
  let def = field.def as unknown as Def;
  const unknown = (what: string) => new Error(`row-check: column ${name} has ${what}, which this check does not know: teach it here`);
  const nullable = def.type === "nullable";
  if (nullable) {
    if ((def.checks ?? []).length > 0) throw unknown("a check on its nullable wrapper");
    def = (def.innerType as { def: Def }).def;
  }
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  if (def.type === "boolean" && checks.length === 0) return { name, nullable, kind: "boolean" };
  if (def.type === "string" && def.format === "datetime") {
    // The lake's timestamps: `YYYY-MM-DDTHH:MM:SS.mmmZ`, nothing else (no offset, no local time, 3 decimals).
    if (def.precision !== 3 || def.offset || def.local || checks.length > 0)
      throw unknown("a datetime other than z.iso.datetime({ precision: 3 })");
    return { name, nullable, kind: "instant" };
  }
  if (def.type === "string" && def.format === undefined) {
    let min = 0;
    let max = Number.POSITIVE_INFINITY;
    for (const c of checks) {
      if (c.check === "min_length") min = Math.max(min, c.minimum as number);
      else if (c.check === "max_length") max = Math.min(max, c.maximum as number);
      else throw unknown(`a string check ${c.check}`);
    }
    return { name, nullable, kind: "string", min, max };
  }
  if (def.type === "number" && def.format === undefined) {
    let int = false;
    let min = Number.NEGATIVE_INFINITY;
    let max = Number.POSITIVE_INFINITY;
    for (const c of checks) {
      if (c.check === "number_format" && c.format === "safeint") int = true;
      else if (c.check === "greater_than" && c.inclusive) min = Math.max(min, c.value as number);
      else if (c.check === "less_than" && c.inclusive) max = Math.min(max, c.value as number);
      else throw unknown(`a number check ${c.check}${c.format ? ` ${c.format}` : ""}${c.inclusive === false ? " (exclusive)" : ""}`);
    }
    return { name, nullable, kind: "number", int, min, max };
  }
  throw unknown(`type ${def.type}${def.format ? ` (${def.format})` : ""}`);
}

const DIGIT0 = 48;
const digits = (s: string, from: number, count: number): number => {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real day and time (what zod's iso.datetime({ precision: 3 }) accepts). */
export function isIsoInstant(s: string): boolean {
  if (s.length !== 24 || s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":" || s[16] !== ":" || s[19] !== "." || s[23] !== "Z")
    return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  if (second < 0 || second > 59 || digits(s, 20, 3) < 0) return false;
  return day <= (month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** Each column's check, in column order (throws on a check kind this file does not know). */
export function columnChecks(schema: z.ZodObject): ColumnCheck[] {
  return Object.entries(schema.shape).map(([name, field]) => columnCheck(name, field as z.ZodType));
}

/**
 * Characters as zod's length checks count them: code points, a surrogate pair once. Only asked when the UTF-16
 * length is in doubt (a pair is two units, so units alone settle most strings).
 */
function codePoints(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/** Why `value` does not fit the column, or null when it does. */
function violation(c: ColumnCheck, value: unknown): string | null {
  if (value === undefined) return "missing";
  if (value === null) return c.nullable ? null : "must not be null";
  switch (c.kind) {
    case "string":
      if (typeof value !== "string") return `expected a string, got ${typeof value}`;
      if (value.length < c.min || (value.length < 2 * c.min && codePoints(value) < c.min))
        return `must have at least ${c.min} character${c.min === 1 ? "" : "s"}`;
      if (value.length > c.max && codePoints(value) > c.max) return `must be at most ${c.max} characters (got ${codePoints(value)})`;
      return null;
    case "number":
      if (typeof value !== "number") return `expected a number, got ${typeof value}`;
      if (c.int ? !Number.isSafeInteger(value) : !Number.isFinite(value))
        return `expected ${c.int ? "an integer" : "a finite number"}, got ${value}`;
      if (value < c.min || value > c.max) return `must be between ${c.min} and ${c.max} (got ${value})`;
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : `expected a boolean, got ${typeof value}`;
    case "instant":
      return typeof value === "string" && isIsoInstant(value) ? null : "expected an ISO instant YYYY-MM-DDTHH:MM:SS.mmmZ";
  }
}

/**
 * A test that passes only values {@link violation} accepts, as JavaScript on `v`: the common case, decided
 * without a call. When it fails, {@link violation} decides (a string of surrogate pairs may fit in code points).
 */
function quickTest(c: ColumnCheck): string {
  const test = ((): string => {
    switch (c.kind) {
      case "string":
        return `typeof v === "string" && v.length >= ${c.min} && v.length <= ${c.max}`;
      case "number":
        return `typeof v === "number" && ${c.int ? "Number.isSafeInteger(v)" : "Number.isFinite(v)"} && v >= ${c.min} && v <= ${c.max}`;
      case "boolean":
        return `typeof v === "boolean"`;
      case "instant":
        return `typeof v === "string" && isIsoInstant(v)`;
    }
  })();
  return c.nullable ? `v === null || (${test})` : test;
}

/** A row's first problem as `column: message`, or null when the row satisfies the schema. */
export type RowCheck = (row: Readonly<Record<string, unknown>>) => string | null;

/**
 * Compiles a strict object schema of columns (schemas/columns.ts) into a {@link RowCheck} that accepts exactly
 * what `schema.safeParse` accepts for rows with the schema's keys (the transform builds its rows from a literal
 * the compiler holds to the schema's type, so unknown keys are checked by types, not here). The check is
 * generated code, one static property read and inline test per column: a loop over the columns, reading each by
 * a computed name, cost ~6% of the transform's time.
 */
export function compileRowCheck(schema: z.ZodObject): RowCheck {
  const columns = columnChecks(schema);
  // Only the schema's column names (JSON-quoted) and numbers from its checks reach the code.
  const body = columns
    .map((c, i) => {
      const name = JSON.stringify(c.name);
      return `v = row[${name}]; if (!(${quickTest(c)})) { p = violation(columns[${i}], v); if (p !== null) return ${JSON.stringify(`${c.name}: `)} + p; }`;
    })
    .join("\n");
  return new Function("columns", "violation", "isIsoInstant", `return (row) => { let v; let p;\n${body}\nreturn null; };`)(
    columns,
    violation,
    isIsoInstant,
  ) as RowCheck;
}
