/**
 * The query layer as Terraform: the Athena workgroup, its results bucket, the
 * `errors` table over Firehose's error prefix, the dashboard named queries,
 * and the Athena rules of the rule pack.
 */
import { AthenaNamedQuery } from "@cdktf/provider-aws/lib/athena-named-query";
import { AthenaWorkgroup } from "@cdktf/provider-aws/lib/athena-workgroup";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { Testing } from "cdktf";
import { ConfigError, parseConfig } from "../../config/load";
import { CATALOGUE } from "../../queries/catalogue";
import { renderQuery } from "../../queries/render";
import { columnsOf, ERROR_OUTPUT_TYPES, ErrorRecordSchema, glueColumns } from "../../schemas";
import { ROLLUP_NAMES, ROLLUPS } from "../../schemas/rollups";
import { ATHENA_ENGINE_VERSION } from "../../stacks/constructs/athena-query";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { evaluate } from "../../stacks/rules/engine";
import { ATHENA_RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { synthJson, type TfJson, testApp } from "../helpers/synth";

function pipeline(overrides: Parameters<typeof testConfig>[0] = {}) {
  return new PipelineStack(testApp(), "pipeline", { config: testConfig(overrides) });
}

describe("daily rollup tables", () => {
  const json: TfJson = synthJson(pipeline());
  const tables = Object.values(json.resource.aws_glue_catalog_table ?? {}) as {
    name: string;
    parameters: Record<string, string>;
    partition_keys: { name: string }[];
    storage_descriptor: { location: string; columns: { name: string; type: string }[] };
  }[];

  it.each(ROLLUP_NAMES)("%s: a Glue table with its schema's columns, projected year/month/day partitions under rollups/<name>/", (name) => {
    const t = tables.find((x) => x.name === `rollup_${name}`);
    expect(t?.storage_descriptor.columns.map((c) => [c.name, c.type])).toEqual(
      columnsOf(ROLLUPS[name].schema).map((c) => [c.name, c.lakeType]),
    );
    expect(t?.partition_keys.map((k) => k.name)).toEqual(["year", "month", "day"]);
    expect(t?.storage_descriptor.location).toMatch(new RegExp(`/rollups/${name}/$`));
    expect(t?.parameters["projection.enabled"]).toBe("true");
    expect(t?.parameters["storage.location.template"]).toMatch(
      new RegExp(`/rollups/${name}/year=\\$\\$\\{year\\}/month=\\$\\$\\{month\\}/day=\\$\\$\\{day\\}/$`),
    );
  });
});

describe("Athena query layer", () => {
  const stack = pipeline();
  const synthesized = Testing.synth(stack);
  const json: TfJson = synthJson(stack);
  const wg = Object.values(json.resource.aws_athena_workgroup ?? {})[0] as Record<string, unknown>;

  it("creates an engine v3 workgroup with enforced configuration, encrypted results, metrics and the configured scan limit", () => {
    expect(synthesized).toHaveResourceWithProperties(AthenaWorkgroup, {
      name: "webstats-test-analytics",
      state: "ENABLED",
      configuration: expect.objectContaining({
        enforce_workgroup_configuration: true,
        publish_cloudwatch_metrics_enabled: true,
        bytes_scanned_cutoff_per_query: 1_073_741_824,
        engine_version: { selected_engine_version: ATHENA_ENGINE_VERSION },
        result_configuration: expect.objectContaining({
          encryption_configuration: { encryption_option: "SSE_S3" },
          output_location: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.query_results_bucket_[A-Z0-9]+\.bucket\}\/results\/$/),
        }),
      }),
    });
  });

  it("keeps results in their own private bucket that expires them after the configured days", () => {
    const custom = synthJson(pipeline({ athena: { resultsExpirationDays: 3 } }));
    const lifecycles = Object.entries(custom.resource.aws_s3_bucket_lifecycle_configuration ?? {});
    const results = lifecycles.find(([name]) => name.startsWith("query_results"));
    expect(results?.[1]).toEqual(
      expect.objectContaining({
        rule: expect.arrayContaining([
          expect.objectContaining({ id: "expire-query-results", expiration: [{ days: 3 }], filter: [{ prefix: "results/" }] }),
        ]),
      }),
    );
    expect(Object.keys(custom.resource.aws_s3_bucket_public_access_block ?? {}).some((n) => n.startsWith("query_results"))).toBe(true);
    expect(synthesized).toHaveResource(S3BucketLifecycleConfiguration);
  });

  it("creates the errors table over the error prefix: JSON SerDe mapping Firehose's keys, projection on error type and arrival day", () => {
    const errors = Object.values(json.resource.aws_glue_catalog_table ?? {}).find((t) => t.name === "errors") as Record<string, unknown>;
    expect(errors).toBeDefined();
    const sd = (errors.storage_descriptor as Record<string, unknown>[])[0] ?? (errors.storage_descriptor as Record<string, unknown>);
    expect((sd.columns as { name: string; type: string }[]).map((c) => [c.name, c.type])).toEqual(
      glueColumns(ErrorRecordSchema).map((c) => [c.name, c.type]),
    );
    expect(sd.location).toMatch(/\/errors\/$/);
    expect(sd.ser_de_info).toEqual(
      expect.objectContaining({
        serialization_library: "org.openx.data.jsonserde.JsonSerDe",
        parameters: expect.objectContaining({
          "mapping.error_code": "errorcode",
          "mapping.raw_data": "rawdata",
          "case.insensitive": "true",
        }),
      }),
    );
    expect((errors.partition_keys as { name: string }[]).map((p) => p.name)).toEqual(["error_type", "year", "month", "day"]);
    expect(errors.parameters).toEqual(
      expect.objectContaining({
        "projection.enabled": "true",
        "projection.error_type.type": "enum",
        "projection.error_type.values": ERROR_OUTPUT_TYPES.join(","),
        "projection.month.digits": "2",
        // Escaped for Terraform: `$${` is a literal `${`.
        "storage.location.template": expect.stringMatching(
          /\/errors\/\$\$\{error_type\}\/year=\$\$\{year\}\/month=\$\$\{month\}\/day=\$\$\{day\}\/$/,
        ),
      }),
    );
    expect(synthesized).toHaveResourceWithProperties(GlueCatalogTable, { name: "errors", table_type: "EXTERNAL_TABLE" });
  });

  it("publishes every dashboard query as a named query in the workgroup, rendered with the database and the configured window", () => {
    const named = Object.values(json.resource.aws_athena_named_query ?? {});
    expect(named).toHaveLength(CATALOGUE.metrics.length);
    for (const q of named) expect(q.workgroup).toMatch(/^\$\{aws_athena_workgroup\.query_workgroup_[A-Za-z0-9]+\.name\}$/);
    const custom = synthJson(pipeline({ athena: { queryWindowDays: 14 } }));
    const daily = Object.values(custom.resource.aws_athena_named_query ?? {}).find(
      (q) => q.name === "Documents: Downloads per document and day",
    );
    expect(daily?.query).toBe(renderQuery("documents_daily", { database: "webstats_test_analytics" }, { lastDays: 14 }));
    expect(daily?.query).toContain('FROM "webstats_test_analytics"."events"');
    expect(daily?.query).toContain("INTERVAL '13' DAY");
    expect(daily?.query).toContain('FROM "webstats_test_analytics"."rollup_documents_daily"');
    expect(synthesized).toHaveResourceWithProperties(AthenaNamedQuery, {
      name: "Pipeline health: Error records by type per day",
      description: expect.stringContaining("could not process"),
    });
  });

  it("rejects a scan limit below Athena's 10 MiB minimum, naming the key", () => {
    expect(() =>
      parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", athena: { bytesScannedCutoffPerQuery: 1000 } }),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", athena: { bytesScannedCutoffPerQuery: 1000 } }),
    ).toThrow(/athena\.bytesScannedCutoffPerQuery: must be at least 10485760/);
    expect(() =>
      parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", athena: { resultsExpirationDays: 0 } }),
    ).toThrow(/athena\.resultsExpirationDays/);
  });

  it("passes the Athena rules, and each rule catches what it is for", () => {
    expect(evaluate(json, ATHENA_RULES)).toEqual([]);
    const broken: TfJson = JSON.parse(JSON.stringify(json));
    const name = Object.keys(broken.resource.aws_athena_workgroup ?? {})[0] as string;
    const cfg = ((broken.resource.aws_athena_workgroup as Record<string, Record<string, unknown>>)[name] as Record<string, unknown>)
      .configuration as Record<string, unknown>;
    cfg.enforce_workgroup_configuration = false;
    delete cfg.bytes_scanned_cutoff_per_query;
    (cfg.result_configuration as Record<string, unknown>).encryption_configuration = undefined;
    const q = Object.values(broken.resource.aws_athena_named_query ?? {})[0] as Record<string, unknown>;
    delete q.workgroup;
    expect(
      evaluate(broken, ATHENA_RULES)
        .map((v) => v.ruleId)
        .sort(),
    ).toEqual(["ATHENA-ENCRYPTED-RESULTS", "ATHENA-ENFORCE-CONFIG", "ATHENA-NAMED-QUERY-WORKGROUP", "ATHENA-SCAN-LIMIT"].sort());
    expect(wg).toBeDefined();
  });
});
