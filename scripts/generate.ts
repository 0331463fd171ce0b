/**
 * Writes the generated, reviewable forms of the lake schema to
 * schemas/generated/: the JSON Schema the Python tests load and an example
 * Athena DDL. A jest test fails when they are stale; run `npm run gen`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { createTableDdl, EVENT_PARTITIONS, EventRowSchema, eventsTableSpec, tableJsonSchema } from "../schemas";

export const GENERATED_DIR = path.resolve(__dirname, "../schemas/generated");

/** File name -> content. Example names only: the deployed DDL uses the environment's database and bucket. */
export function generatedFiles(): Record<string, string> {
  return {
    "events.schema.json": `${JSON.stringify(tableJsonSchema("events", EventRowSchema, EVENT_PARTITIONS), null, 2)}\n`,
    "events.ddl.sql": createTableDdl(eventsTableSpec("analytics", "example-lake-bucket")),
  };
}

if (require.main === module) {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [name, content] of Object.entries(generatedFiles())) {
    writeFileSync(path.join(GENERATED_DIR, name), content);
    console.log(`wrote schemas/generated/${name}`);
  }
}
