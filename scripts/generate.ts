/**
 * Writes the generated, reviewable forms of the lake schema to
 * schemas/generated/: the JSON Schema the Python tests load and an example
 * Athena DDL. A jest test fails when they are stale; run `npm run gen`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { queryRollupsFile } from "../queries/render";
import { createTableDdl, EVENT_PARTITIONS, EVENTS_TABLE, EventRowSchema, eventsTableSpec, tableJsonSchema } from "../schemas";
import { GENERATED_DIR, GENERATED_FILES } from "../schemas/generated-files";

export { GENERATED_DIR };

/** File name -> content. Example names only: the deployed DDL uses the environment's database and bucket. */
export function generatedFiles(): Record<string, string> {
  return {
    [GENERATED_FILES.eventsSchema]: `${JSON.stringify(tableJsonSchema(EVENTS_TABLE, EventRowSchema, EVENT_PARTITIONS), null, 2)}\n`,
    [GENERATED_FILES.eventsDdl]: createTableDdl(eventsTableSpec("analytics", "example-lake-bucket")),
    [GENERATED_FILES.rollups]: `${JSON.stringify(queryRollupsFile(), null, 2)}\n`,
  };
}

if (require.main === module) {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [name, content] of Object.entries(generatedFiles())) {
    writeFileSync(path.join(GENERATED_DIR, name), content);
    console.log(`wrote schemas/generated/${name}`);
  }
}
