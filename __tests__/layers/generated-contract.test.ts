/**
 * Python reads the contract through files generated from it: the date partition keys the
 * compaction job derives from a day are marked in the generated schema, and they agree with
 * the keys the transform writes (partitionKeysFor). The staleness of the files themselves is
 * checked in __tests__/schemas/generated.test.ts.
 */
import { readFileSync } from "node:fs";
import { EVENT_PARTITIONS, PARTITION_KEYS, partitionKeysFor } from "../../schemas";
import { generatedFile } from "../../schemas/generated-files";
import { COMPACTION_FILES } from "../../stacks/constructs/compaction-job";

interface GeneratedKey {
  name: string;
  digits?: number;
  datePart?: "year" | "month" | "day";
}

const generatedKeys = () =>
  (JSON.parse(readFileSync(generatedFile("eventsSchema"), "utf8")) as { "x-partition-keys": GeneratedKey[] })["x-partition-keys"];

/** What the compaction job computes for a key on a day (glue/lake_compaction.py date_value). */
function jobValue(key: GeneratedKey, day: Date): string {
  const field = { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() }[key.datePart ?? "year"];
  return String(field).padStart(key.digits ?? 0, "0");
}

describe("the generated partition keys the compaction job reads", () => {
  it("are the partition keys, in path order", () => {
    expect(generatedKeys().map((k) => k.name)).toEqual([...PARTITION_KEYS]);
  });

  it.each(["2026-01-05T00:00:00.000Z", "2026-12-31T23:59:59.999Z", "2031-07-09T12:00:00.000Z"])(
    "give the same date values the transform writes, on %s",
    (iso) => {
      const written = partitionKeysFor("page_view", iso) as Record<string, string>;
      const dated = generatedKeys().filter((k) => k.datePart);
      expect(dated.map((k) => k.name).sort()).toEqual(
        EVENT_PARTITIONS.filter((p) => p.kind === "integer" && p.datePart)
          .map((p) => p.name)
          .sort(),
      );
      for (const key of dated) expect(jobValue(key, new Date(iso))).toBe(written[key.name]);
    },
  );

  it("are in the file the compaction job's artefacts upload", () => {
    expect(COMPACTION_FILES.schema).toBe(generatedFile("eventsSchema"));
  });
});
