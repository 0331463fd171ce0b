/**
 * One table spec per table: the Glue tables the stacks synthesize (events, errors, GA4) are
 * exactly the definitions derived from their specs in schemas/, the same ones the Athena DDL is
 * rendered from. A change to a spec changes the deployed table and the DDL together.
 */
import {
  createTableDdl,
  errorPartitionPrefix,
  errorsProjectionParameters,
  errorsTableSpec,
  eventsTableSpec,
  type GlueTableDefinition,
  gaTableSpec,
  glueTableDefinition,
  type TableSpec,
} from "../../schemas";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { testConfig } from "../helpers/config";
import { resourcesOfType, synthJson, testApp } from "../helpers/synth";

const BUCKET = "BUCKET";

/** What Terraform receives for a definition: `${` escaped as `$${`, the bucket as the synthesized reference. */
function asTerraform(def: GlueTableDefinition, bucket: string, database: string) {
  const tf = (v: string) => v.replace(/\$\{/g, () => "$${").replaceAll(BUCKET, bucket);
  const column = (c: { name: string; type: string; comment: string }) => ({ name: c.name, type: c.type, comment: c.comment });
  return {
    name: def.name,
    database_name: database,
    table_type: "EXTERNAL_TABLE",
    description: def.description,
    parameters: Object.fromEntries(Object.entries(def.parameters).map(([k, v]) => [k, tf(v)])),
    partition_keys: def.partitionKeys.map(column),
    storage_descriptor: {
      location: tf(def.location),
      input_format: def.inputFormat,
      output_format: def.outputFormat,
      ser_de_info: { serialization_library: def.serializationLibrary, parameters: def.serdeParameters },
      columns: def.columns.map(column),
    },
  };
}

describe("Glue tables come from their one spec", () => {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  const ga = { propertyId: "123456789", auth: { type: "connection" as const, connectionName: "ga4-console" } };
  const json = synthJson(new PipelineStack(testApp(), "pipeline", { config: testConfig({ ga }) }));
  log.mockRestore();
  const tables = resourcesOfType(json, "aws_glue_catalog_table");

  const cases: [string, (database: string, bucket: string) => TableSpec][] = [
    ["events", eventsTableSpec],
    ["errors", errorsTableSpec],
    ["ga4_report", (database, bucket) => gaTableSpec(database, bucket, "webstats-test-ga4-report")],
  ];

  it.each(cases)("the %s table is its spec's Glue definition, field for field", (name, specOf) => {
    const table = tables.find((t) => t.name === name) as Record<string, unknown> & { storage_descriptor: { location: string } };
    expect(table).toBeDefined();
    // The synthesized bucket and database are Terraform references; the rest must match the spec exactly.
    const bucket = /^s3:\/\/(.+?)\//.exec(table.storage_descriptor.location)?.[1] ?? "";
    const expected = asTerraform(glueTableDefinition(specOf("db", BUCKET)), bucket, table.database_name as string);
    expect(table).toMatchObject(expected);
    expect(Object.keys(table.parameters as object).sort()).toEqual(Object.keys(expected.parameters).sort());
  });

  it.each(cases)("the %s DDL renders the same columns, SerDe and properties", (_name, specOf) => {
    const spec = specOf("analytics", "lake");
    const def = glueTableDefinition(spec);
    const ddl = createTableDdl(spec);
    for (const c of [...def.columns, ...def.partitionKeys]) expect(ddl).toContain(`\`${c.name}\` ${c.type}`);
    expect(ddl).toContain(`ROW FORMAT SERDE '${def.serializationLibrary}'`);
    for (const [k, v] of Object.entries(def.parameters).filter(([k]) => k !== "EXTERNAL")) expect(ddl).toContain(`'${k}'='${v}'`);
  });

  it("projects the errors table over exactly the prefix Firehose writes errors to", () => {
    const template = errorsProjectionParameters("lake")["storage.location.template"];
    const placeholders = { error_type: "${error_type}", year: "${year}", month: "${month}", day: "${day}" };
    expect(template).toBe(`s3://lake/${errorPartitionPrefix(placeholders)}`);
  });
});
