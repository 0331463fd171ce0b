/**
 * The files `npm run gen` (scripts/generate.ts) writes from the schemas, for readers that cannot
 * import TypeScript: the compaction job (Python) and reviewers (DDL). The generator writes by
 * these names and the stacks upload by them, so the two cannot disagree.
 */
import * as path from "node:path";

/** `schemas/generated/`, checked in; a jest test fails when a file is stale. */
export const GENERATED_DIR = path.resolve(__dirname, "generated");

export const GENERATED_FILES = {
  /** JSON Schema of the `events` table: column order, lake types, partition keys and their date parts (the compaction job reads it). */
  eventsSchema: "events.schema.json",
  /** Example Athena DDL of the `events` table, for review. */
  eventsDdl: "events.ddl.sql",
  /**
   * The daily rollups for the Glue job: prefix, file name, and per rollup its table, columns (lake types as Arrow
   * names) and its SQL for one day in DuckDB's dialect (`$DAY` is where the job puts the quoted day).
   */
  rollups: "rollups.json",
} as const;

/** Absolute path of a generated file. */
export function generatedFile(name: keyof typeof GENERATED_FILES): string {
  return path.join(GENERATED_DIR, GENERATED_FILES[name]);
}
