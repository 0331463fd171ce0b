/**
 * The line-level core of the transform, toRow (row.ts), on its own: over the
 * real fixture lines, against the batch processor that wraps it, and fuzzed
 * (fast-check) with arbitrary and mutated real lines.
 */
import fc from "fast-check";
import { defaultGeoDatabases, GeoIp } from "../../../handlers/firehose-transform/geoip";
import type { Processor } from "../../../handlers/firehose-transform/processor";
import { createRowContext, ROW_FAILURE_REASONS, type RowContext, type RowOutcome, toRow } from "../../../handlers/firehose-transform/row";
import { EventRowSchema, PartitionKeysSchema, partitionKeysFor } from "../../../schemas/event";
import { type TransformConfigInput, TransformConfigSchema } from "../../../schemas/transform-config";
import { line } from "../../helpers/cloudfront-lines";
import { FIXTURES, RANGE_DOC_SIZE } from "../../helpers/firehose-fixtures";
import { mangledLine, mutatedLine, plausibleLine } from "./arbitraries";
import { FIXED_NOW, loadFixture, processor, rowOf, TEST_KEY } from "./load";

const CONFIG: TransformConfigInput = { documentSizes: { "docs/product-guide": RANGE_DOC_SIZE } };
const NUM_RUNS = 300;

let geo: GeoIp;
let p: Processor;
beforeAll(async () => {
  geo = await GeoIp.open(defaultGeoDatabases());
  p = await processor({ config: CONFIG });
});

function context(overrides: { config?: TransformConfigInput; nowMs?: number; geo?: GeoIp | null } = {}): RowContext {
  return createRowContext({
    config: TransformConfigSchema.parse(overrides.config ?? CONFIG),
    visitorIdKey: TEST_KEY,
    geo: overrides.geo === undefined ? geo : overrides.geo,
    nowMs: overrides.nowMs ?? FIXED_NOW().getTime(),
  });
}

/** Every record of every fixture event, as the line toRow sees (the processor decodes UTF-8 strictly first). */
function fixtureLines(): { fixture: string; name: string; data: string; line: string | null }[] {
  return Object.entries(FIXTURES).flatMap(([fixture, cases]) =>
    loadFixture(fixture).records.map((r, i) => {
      let text: string | null;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(r.data, "base64"));
      } catch {
        text = null;
      }
      return { fixture, name: cases[i]?.[0] as string, data: r.data, line: text };
    }),
  );
}

/** What any outcome must be: a valid row with matching partition keys, a drop by a configured rule, or a known failure. */
function expectWellFormed(outcome: RowOutcome, dropRules: readonly string[]): void {
  if (outcome.kind === "row") {
    expect(EventRowSchema.safeParse(outcome.row).success).toBe(true);
    expect(Object.keys(outcome.row)).toEqual(Object.keys(EventRowSchema.shape));
    expect(PartitionKeysSchema.parse(outcome.partitionKeys)).toEqual(
      partitionKeysFor(outcome.partitionKeys.event_type, outcome.row.event_time),
    );
    expect(outcome.truncated).toBeGreaterThanOrEqual(0);
  } else if (outcome.kind === "dropped") {
    expect(dropRules).toContain(outcome.rule);
  } else {
    expect(ROW_FAILURE_REASONS).toContain(outcome.reason);
    expect(outcome.message).not.toBe("");
  }
}

describe("toRow", () => {
  it("gives, for every fixture line, what the batch processor gives for its record", () => {
    // Prepare
    const ctx = context();
    const lines = fixtureLines().filter((l) => l.line !== null);
    expect(lines.length).toBeGreaterThan(30);
    for (const l of lines) {
      // Act
      const outcome = toRow(l.line as string, ctx);
      const { records, stats } = p.processRecords([{ recordId: "1", data: l.data }]);
      const out = records[0];
      // Assess
      if (outcome.kind === "row") {
        expect([l.name, rowOf(out)]).toEqual([l.name, JSON.parse(JSON.stringify(outcome.row))]);
        expect(out?.metadata?.partitionKeys).toEqual(outcome.partitionKeys);
        expect(stats.truncatedValues).toBe(outcome.truncated);
      } else if (outcome.kind === "dropped") {
        expect([l.name, out?.result]).toEqual([l.name, "Dropped"]);
        expect(stats.droppedByRule).toEqual({ [outcome.rule]: 1 });
      } else {
        expect([l.name, stats.failures[0]]).toEqual([l.name, { recordId: "1", reason: outcome.reason, message: outcome.message }]);
      }
    }
  });

  it("names the reason of each malformed fixture line", () => {
    const ctx = context();
    const reasons = fixtureLines()
      .filter((l) => l.fixture === "malformed" && l.line !== null)
      .map((l) => {
        const o = toRow(l.line as string, ctx);
        return [l.name, o.kind === "failed" ? o.reason : o.kind];
      });
    expect(reasons).toEqual([
      ["too few fields", "field-count"],
      ["too many fields", "field-count"],
      ["empty", "empty"],
      ["not a number", "bad-number"],
      ["no request id", "invalid-row"],
      ["timestamp before the lake's years", "timestamp-out-of-range"],
      ["not a log line at all", "field-count"],
    ]);
  });

  it("is pure: the same line gives the same outcome whatever the caches hold or the order lines come in", () => {
    const lines = fixtureLines().flatMap((l) => (l.line === null ? [] : [l.line]));
    const warm = context();
    const first = lines.map((l) => toRow(l, warm));
    const again = lines.map((l) => toRow(l, warm));
    const fresh = context();
    const reversed = [...lines].reverse().map((l) => toRow(l, fresh));
    expect(again).toEqual(first);
    expect(reversed.reverse()).toEqual(first);
  });

  it("reads the clock from its context: a line two days after `nowMs` fails, the same line is a row once time has come", () => {
    const at = FIXED_NOW().getTime() / 1000 + 2 * 86_400;
    const future = line({ timestamp: at });
    expect(toRow(future, context())).toMatchObject({ kind: "failed", reason: "timestamp-out-of-range" });
    expect(toRow(future, context({ nowMs: (at + 60) * 1000 }))).toMatchObject({ kind: "row" });
  });

  it("without GeoIP: the country from CloudFront, no region or city", () => {
    const o = toRow(line({ "c-ip": "85.214.132.117", "c-country": "DE" }), context({ geo: null }));
    expect(o).toMatchObject({ kind: "row", row: { country: "DE", region: null, city: null } });
    const withGeo = toRow(line({ "c-ip": "85.214.132.117", "c-country": "DE" }), context());
    expect(withGeo).toMatchObject({ kind: "row", row: { country: "DE", region: "Berlin" } });
  });

  it("shares one partition keys object per event type and day, so the response can share its metadata", () => {
    const ctx = context();
    const a = toRow(line({ timestamp: 1748779200 }), ctx);
    const b = toRow(line({ timestamp: 1748779300 }), ctx);
    const nextDay = toRow(line({ timestamp: 1748779200 + 86_400 }), context({ nowMs: FIXED_NOW().getTime() + 86_400_000 }));
    if (a.kind !== "row" || b.kind !== "row" || nextDay.kind !== "row") throw new Error("expected rows");
    expect(b.partitionKeys).toBe(a.partitionKeys);
    expect(Object.isFrozen(a.partitionKeys)).toBe(true);
    expect(nextDay.partitionKeys).toEqual({ ...a.partitionKeys, day: "02" });
  });

  it("counts the values it cuts to their column's length", () => {
    const o = toRow(line({ "cs-uri-query": `utm_source=${"s".repeat(300)}&gclid=${"A".repeat(3000)}` }), context());
    if (o.kind !== "row") throw new Error(`expected a row, got ${o.kind}`);
    // query_string (2048) and utm_source (255).
    expect(o.truncated).toBe(2);
    expect(o.row.query_string).toHaveLength(2048);
    expect(o.row.utm_source).toHaveLength(255);
    expect(toRow(line(), context())).toMatchObject({ kind: "row", truncated: 0 });
  });

  it("drops what a configured drop rule matches, naming the rule", () => {
    const ctx = context({ config: { ...CONFIG, dropRules: [{ name: "no-assets", path: "^/assets/" }] } });
    expect(toRow(line({ "cs-uri-stem": "/assets/site.css" }), ctx)).toEqual({ kind: "dropped", rule: "no-assets" });
    expect(toRow(line({ "cs-uri-stem": "/index.html" }), ctx)).toMatchObject({ kind: "row" });
  });
});

describe("toRow fuzzed", () => {
  const ctx = () => context();
  const dropRules = () => TransformConfigSchema.parse(CONFIG).dropRules.map((r) => r.name);

  it("never throws for any string, and answers a valid row, a configured drop or a known failure", () => {
    const c = ctx();
    const line = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.string({ unit: "binary", maxLength: 600 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
    );
    fc.assert(
      fc.property(line, (l) => expectWellFormed(toRow(l, c), dropRules())),
      { numRuns: NUM_RUNS },
    );
  });

  it("the same for real fixture lines mutated (cut, spliced, truncated, fields joined, split or swapped)", () => {
    const c = ctx();
    const real = fixtureLines().flatMap((l) => (l.line === null ? [] : [l.line]));
    const kinds = new Set<string>();
    fc.assert(
      fc.property(mutatedLine(real), (l) => {
        const o = toRow(l, c);
        expectWellFormed(o, dropRules());
        kinds.add(o.kind === "failed" ? o.reason : o.kind);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
    // The mutations reach both sides: rows still made, and lines refused for more than one reason.
    expect(kinds.has("row")).toBe(true);
    expect([...kinds].filter((k) => (ROW_FAILURE_REASONS as string[]).includes(k)).length).toBeGreaterThan(1);
  });

  it("the same for lines with one field mangled, and for plausible lines", () => {
    const c = ctx();
    fc.assert(
      fc.property(fc.oneof(mangledLine, plausibleLine), (l) => expectWellFormed(toRow(l, c), dropRules())),
      { numRuns: NUM_RUNS },
    );
  });
});
