/** fast-check generators of transform input, shared by the record-level and the line-level property tests. */
import fc from "fast-check";
import { defaultGeoDatabases, GeoIp } from "../../../handlers/firehose-transform/geoip";
import { createRowContext, toRow } from "../../../handlers/firehose-transform/row";
import { REALTIME_LOG_FIELDS } from "../../../schemas/cloudfront";
import type { EventRow } from "../../../schemas/event";
import { TransformConfigSchema } from "../../../schemas/transform-config";
import { line, USER_AGENTS } from "../../helpers/cloudfront-lines";
import { FIXED_NOW, TEST_KEY } from "./load";

/** Arbitrary bytes: mostly not UTF-8, never a log line. */
export const arbitraryBytes = fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b));

const fieldValue = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("-", "", "%", "%E2%82", "%ZZ", "\t", "\n", "0", "-1", "1e309", "NaN", "::1", "999.999.999.999"),
  fc.double(),
  fc.integer(),
);

/** Lines that are almost right: real fields with one mangled. */
export const mangledLine = fc
  .record({ field: fc.constantFrom(...REALTIME_LOG_FIELDS), value: fieldValue })
  .map(({ field, value }) => line({ [field]: value }));

/** Lines that parse, with the values the rules and enrichment look at drawn widely. */
export const plausibleLine = fc
  .record({
    timestamp: fc.double({ min: 1_577_836_800, max: 1_748_800_000, noNaN: true }),
    ua: fc.oneof(fc.constantFrom(...Object.values(USER_AGENTS)), fc.string({ maxLength: 900 })),
    path: fc.oneof(fc.constantFrom("/", "/docs/datasheet.pdf", "/qr/flyer-spring", "/api/views", "/assets/site.css"), fc.webPath()),
    query: fc.oneof(fc.constant(null), fc.webQueryParameters(), fc.constant("src=qr&code=booth-berlin")),
    status: fc.constantFrom(200, 206, 304, 404, 500, 0),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(null)),
    referrer: fc.oneof(fc.constant(null), fc.webUrl(), fc.string({ maxLength: 30 })),
  })
  .map((v) =>
    line({
      timestamp: v.timestamp,
      "cs-user-agent": v.ua,
      "cs-uri-stem": v.path,
      "cs-uri-query": v.query,
      "sc-status": v.status,
      "c-ip": v.ip,
      "cs-referer": v.referrer,
    }),
  );

/**
 * A real line, mutated the way broken producers and transports break lines: a slice cut out, text spliced in, the
 * line cut short, one field's tabs lost or doubled, two fields swapped.
 */
export function mutatedLine(realLines: readonly string[]): fc.Arbitrary<string> {
  const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }), fc.constantFrom("\t", "-", "\n", "%"));
  return fc
    .record({
      line: fc.constantFrom(...realLines),
      op: fc.constantFrom("cut", "splice", "truncate", "join-fields", "split-field", "swap-fields"),
      at: fc.nat(),
      to: fc.nat(),
      text,
    })
    .map(({ line: l, op, at, to, text: t }) => {
      const i = at % (l.length + 1);
      const j = to % (l.length + 1);
      const fields = l.split("\t");
      const f = at % fields.length;
      const g = to % fields.length;
      switch (op) {
        case "cut":
          return l.slice(0, Math.min(i, j)) + l.slice(Math.max(i, j));
        case "splice":
          return l.slice(0, i) + t + l.slice(i);
        case "truncate":
          return l.slice(0, i);
        case "join-fields":
          return [...fields.slice(0, f), `${fields[f]}${fields[f + 1] ?? ""}`, ...fields.slice(f + 2)].join("\t");
        case "split-field":
          return [...fields.slice(0, f), fields[f], t, ...fields.slice(f + 1)].join("\t");
        default: {
          const swapped = [...fields];
          [swapped[f], swapped[g]] = [fields[g] as string, fields[f] as string];
          return swapped.join("\t");
        }
      }
    });
}

/**
 * The rows the transform (default config, bundled GeoIP) builds from `perKind` plausible lines and `perKind` real
 * lines with one field mangled, drawn with `seed`: a large set of real rows for row-level checks.
 */
export async function generatedRows(perKind: number, seed: number): Promise<EventRow[]> {
  const ctx = createRowContext({
    config: TransformConfigSchema.parse({}),
    visitorIdKey: TEST_KEY,
    geo: await GeoIp.open(defaultGeoDatabases()),
    nowMs: FIXED_NOW().getTime(),
  });
  const lines = [...fc.sample(plausibleLine, { numRuns: perKind, seed }), ...fc.sample(mangledLine, { numRuns: perKind, seed })];
  return lines.flatMap((l) => {
    const o = toRow(l, ctx);
    return o.kind === "row" ? [o.row] : [];
  });
}
