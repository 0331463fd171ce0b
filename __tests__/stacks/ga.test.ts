/**
 * The Google Analytics 4 import as Terraform: the connection (referenced or
 * created from sensitive credentials), the scheduled incremental flow into
 * ga/ as Parquet, the Glue table generated from schemas/ga.ts, the bucket
 * policy that admits only AppFlow for this account and flow, and the one
 * status line synth prints.
 */
import { AppflowConnectorProfile } from "@cdktf/provider-aws/lib/appflow-connector-profile";
import { AppflowFlow } from "@cdktf/provider-aws/lib/appflow-flow";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { Testing } from "cdktf";
import { ConfigError, parseConfig } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { gaComparisonViewDdl } from "../../queries/ga";
import { GA_REPORT_FIELDS, GaReportRowSchema, glueColumns } from "../../schemas";
import { GA4_CONNECTOR } from "../../stacks/constructs/ga-import";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { evaluate } from "../../stacks/rules/engine";
import { GA_RULES, RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { resourcesOfType, synthJson, type TfJson, testApp } from "../helpers/synth";

const FLOW = "webstats-test-ga4-report";
type GaInput = EnvironmentConfigInput["ga"];

function pipeline(ga?: GaInput): PipelineStack {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    return new PipelineStack(testApp(), "pipeline", { config: testConfig(ga ? { ga } : {}) });
  } finally {
    log.mockRestore();
  }
}

const byConnection: GaInput = { propertyId: "123456789", auth: { type: "connection", connectionName: "ga4-console" } };
const byVariables: GaInput = { propertyId: "123456789", auth: { type: "terraform-variables" } };
const bySecret: GaInput = { propertyId: "123456789", auth: { type: "secrets-manager", secretName: "webstats/ga4-oauth" } };

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** The logical name of the one resource (or data source) of a type. */
function nameOf(block: Record<string, Record<string, unknown>> | undefined, type: string, prefix = ""): string {
  return only(Object.keys(block?.[type] ?? {}).filter((k) => k.startsWith(prefix)));
}

function bucketPolicyStatements(json: TfJson): Record<string, unknown>[] {
  const docs = Object.values(json.data.aws_iam_policy_document ?? {}) as { statement: Record<string, unknown>[] }[];
  return docs.flatMap((d) => d.statement).filter((s) => JSON.stringify(s.principals ?? []).includes("appflow.amazonaws.com"));
}

describe("GA import off (the default)", () => {
  it("creates no AppFlow resource and no GA table", () => {
    const json = synthJson(pipeline());
    expect(json.resource.aws_appflow_flow).toBeUndefined();
    expect(json.resource.aws_appflow_connector_profile).toBeUndefined();
    expect(resourcesOfType(json, "aws_glue_catalog_table").map((t) => t.name)).not.toContain("ga4_report");
    expect(bucketPolicyStatements(json)).toEqual([]);
  });

  it("prints one line per app saying it is off and why, however many stacks", () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const app = testApp();
      new PipelineStack(app, "one", { config: testConfig() });
      new PipelineStack(app, "two", { config: testConfig() });
      new PipelineStack(testApp(), "other-app", { config: testConfig({ ga: { propertyId: "123456789" } }) });
    } finally {
      log.mockRestore();
    }
    expect(lines).toEqual([
      "Google Analytics 4 import: off, the config sets no ga.propertyId and no ga.auth (see docs/ga-import.md)",
      'Google Analytics 4 import: off, ga.propertyId is set but ga.auth is not (type "connection", "terraform-variables" or "secrets-manager")',
    ]);
  });
});

describe("GA import through a console-made connection", () => {
  const synth = Testing.synth(pipeline(byConnection));
  const json = JSON.parse(synth) as TfJson;

  it("references the connection by name and creates no connector profile or variables", () => {
    expect(json.resource.aws_appflow_connector_profile).toBeUndefined();
    expect(json.variable).toBeUndefined();
    expect(synth).toHaveResourceWithProperties(AppflowFlow, {
      name: FLOW,
      source_flow_config: {
        connector_type: "CustomConnector",
        connector_profile_name: "ga4-console",
        api_version: "v1beta",
        source_connector_properties: { custom_connector: { entity_name: "properties/123456789/core-report" } },
        incremental_pull_config: { datetime_type_field_name: "date" },
      },
    });
  });

  it("runs daily on a schedule, pulling incrementally", () => {
    expect(synth).toHaveResourceWithProperties(AppflowFlow, {
      trigger_config: {
        trigger_type: "Scheduled",
        trigger_properties: { scheduled: { schedule_expression: "rate(1days)", data_pull_mode: "Incremental" } },
      },
    });
  });

  const bucket = nameOf(json.resource, "aws_s3_bucket", "lake_");

  it("writes Parquet under ga/ into the lake, one folder per day", () => {
    const flow = only(resourcesOfType(json, "aws_appflow_flow")) as { destination_flow_config: Record<string, unknown>[] };
    expect(flow.destination_flow_config).toEqual([
      {
        connector_type: "S3",
        destination_connector_properties: {
          s3: {
            bucket_name: `${"$"}{aws_s3_bucket.${bucket}.bucket}`,
            bucket_prefix: "ga",
            s3_output_format_config: {
              file_type: "PARQUET",
              preserve_source_data_typing: false,
              prefix_config: { prefix_type: "PATH", prefix_format: "DAY" },
              aggregation_config: { aggregation_type: "None" },
            },
          },
        },
      },
    ]);
  });

  it("projects the report's GA4 fields and maps each to its lake column", () => {
    const flow = only(resourcesOfType(json, "aws_appflow_flow")) as { task: Record<string, unknown>[] };
    const apiNames = Object.values(GA_REPORT_FIELDS).map((f) => f.apiName);
    expect(apiNames).toEqual(
      expect.arrayContaining([
        "date",
        "pagePath",
        "country",
        "deviceCategory",
        "sessionSourceMedium",
        "screenPageViews",
        "activeUsers",
        "sessions",
      ]),
    );
    expect(flow.task[0]).toEqual({
      task_type: "Filter",
      source_fields: apiNames,
      connector_operator: [{ custom_connector: "PROJECTION" }],
    });
    expect(flow.task.slice(1)).toEqual(
      Object.keys(GaReportRowSchema.shape).map((column) => ({
        task_type: "Map",
        source_fields: [GA_REPORT_FIELDS[column as keyof typeof GA_REPORT_FIELDS].apiName],
        destination_field: column,
        connector_operator: [{ custom_connector: "NO_OP" }],
      })),
    );
  });

  it("creates the flow after the bucket policy AppFlow checks on create", () => {
    const flow = only(resourcesOfType(json, "aws_appflow_flow")) as { depends_on: string[] };
    expect(flow.depends_on).toContain(`aws_s3_bucket_policy.${nameOf(json.resource, "aws_s3_bucket_policy", "lake_")}`);
  });

  it("lets only AppFlow, for this account and this flow, write ga/<flow>/ and read the bucket ACL", () => {
    const statements = bucketPolicyStatements(json);
    const conditions = [
      { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.caller-identity.account_id}"] },
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: [
          `arn:\${data.aws_partition.${only(Object.keys(json.data.aws_partition ?? {}).filter((k) => k.startsWith("ga-import")))}.partition}:appflow:eu-west-1:\${data.aws_caller_identity.caller-identity.account_id}:flow/${FLOW}`,
        ],
      },
    ];
    expect(statements).toEqual([
      expect.objectContaining({
        sid: "AppFlowGaBucket",
        actions: ["s3:GetBucketAcl", "s3:ListBucketMultipartUploads"],
        resources: [`\${aws_s3_bucket.${bucket}.arn}`],
        condition: conditions,
      }),
      expect.objectContaining({
        sid: "AppFlowGaObjects",
        actions: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObjectAcl"],
        resources: [`\${aws_s3_bucket.${bucket}.arn}/ga/${FLOW}/*`],
        condition: conditions,
      }),
    ]);
  });

  it("creates the ga4_report table from the GA schema, partition-projected by AppFlow's day folders", () => {
    expect(synth).toHaveResourceWithProperties(GlueCatalogTable, {
      name: "ga4_report",
      database_name: `\${aws_glue_catalog_database.${nameOf(json.resource, "aws_glue_catalog_database")}.name}`,
      table_type: "EXTERNAL_TABLE",
      partition_keys: [{ name: "dt", type: "string", comment: "partition: dt" }],
      parameters: expect.objectContaining({
        classification: "parquet",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy/MM/dd",
        "projection.dt.range": "2020/01/01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        // `$${` is a literal `${` for Terraform: Athena fills it in.
        "storage.location.template": `s3://\${aws_s3_bucket.${bucket}.bucket}/ga/${FLOW}/$\${dt}/`,
      }),
      storage_descriptor: expect.objectContaining({
        location: `s3://\${aws_s3_bucket.${bucket}.bucket}/ga/${FLOW}/`,
        columns: glueColumns(GaReportRowSchema).map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
      }),
    });
  });

  it("saves a named query in the project's workgroup that creates the GA-vs-logs view", () => {
    const query = only(
      resourcesOfType(json, "aws_athena_named_query").filter((q) => String(q.name).startsWith("Google Analytics")),
    ) as Record<string, string>;
    expect(query.name).toBe("Google Analytics: create view ga_page_views_vs_logs");
    expect(query.workgroup).toBe(`\${aws_athena_workgroup.${nameOf(json.resource, "aws_athena_workgroup")}.name}`);
    expect(query.query).toBe(gaComparisonViewDdl({ database: "webstats_test_analytics" }));
  });

  it("takes the entity from ga.entityName when the config names one", () => {
    const other = synthJson(pipeline({ ...byConnection, entityName: "properties/123456789/coreReport" }));
    const flow = only(resourcesOfType(other, "aws_appflow_flow")) as { source_flow_config: Record<string, unknown> };
    expect(flow.source_flow_config.source_connector_properties).toEqual({
      custom_connector: { entity_name: "properties/123456789/coreReport" },
    });
  });
});

describe("rule APPFLOW-BUCKET-SCOPED", () => {
  const json = synthJson(pipeline(byConnection));
  const appflowStatement = (doc: { statement: Record<string, unknown>[] }) =>
    doc.statement.filter((st) => JSON.stringify(st.principals ?? []).includes("appflow.amazonaws.com"));
  const mutated = (change: (st: Record<string, unknown>) => void): TfJson => {
    const copy = structuredClone(json);
    for (const doc of Object.values(copy.data.aws_iam_policy_document ?? {}) as { statement: Record<string, unknown>[] }[]) {
      for (const st of appflowStatement(doc)) change(st);
    }
    return copy;
  };

  it("passes the import as built, and the pack passes the import's resources and the lake", () => {
    expect(evaluate(json, GA_RULES)).toEqual([]);
    // Other components' resources carry their own suppressions, which evaluate() does not read.
    expect(evaluate(json, RULES).filter((v) => /ga-import|\.lake_/.test(v.address))).toEqual([]);
  });

  it("fails a statement without aws:SourceAccount", () => {
    const copy = mutated((st) => {
      st.condition = (st.condition as { variable: string }[]).filter((c) => c.variable !== "aws:SourceAccount");
    });
    expect(evaluate(copy, GA_RULES).map((v) => v.reason)).toEqual([
      "an AppFlow statement without an aws:SourceAccount condition; an AppFlow statement without an aws:SourceAccount condition",
    ]);
  });

  it("fails a statement that lets AppFlow write anywhere in the bucket", () => {
    const copy = mutated((st) => {
      st.resources = (st.resources as string[]).map((r) => r.replace(`/ga/${FLOW}/*`, "/*"));
    });
    expect(evaluate(copy, GA_RULES).map((v) => v.reason)).toEqual([
      `AppFlow may write the whole bucket (\${aws_s3_bucket.${nameOf(json.resource, "aws_s3_bucket", "lake_")}.arn}/*), not a prefix`,
    ]);
  });
});

describe("GA import with OAuth credentials from sensitive Terraform variables", () => {
  const synth = Testing.synth(pipeline(byVariables));
  const json = JSON.parse(synth) as TfJson & { variable: Record<string, Record<string, unknown>>; output?: unknown };

  it("creates the GA4 connection with the GA4 connector (CustomConnector + GoogleAnalytics4), OAuth 2 and Google's token URL", () => {
    expect(synth).toHaveResourceWithProperties(AppflowConnectorProfile, {
      name: `${FLOW}-connection`,
      connector_type: GA4_CONNECTOR.connectorType,
      connector_label: "GoogleAnalytics4",
      connection_mode: "Public",
      connector_profile_config: {
        connector_profile_credentials: {
          custom_connector: {
            authentication_type: "OAUTH2",
            oauth2: {
              client_id: "${var.ga_client_id}",
              client_secret: "${var.ga_client_secret}",
              refresh_token: "${var.ga_refresh_token}",
              // Not a credential: AppFlow trades the refresh token for real access tokens.
              access_token: "placeholder-refreshed-by-appflow",
            },
          },
        },
        connector_profile_properties: {
          custom_connector: {
            oauth2_properties: { oauth2_grant_type: "AUTHORIZATION_CODE", token_url: "https://oauth2.googleapis.com/token" },
          },
        },
      },
    });
  });

  it("declares the three credentials as sensitive, required variables with no default and no output", () => {
    const variables = Object.entries(json.variable);
    // Stable names, so TF_VAR_ga_client_secret etc. set them.
    expect(variables.map(([name]) => name).sort()).toEqual(["ga_client_id", "ga_client_secret", "ga_refresh_token"]);
    for (const [name, v] of variables) {
      expect(v).toMatchObject({ type: "string", sensitive: true, nullable: false });
      // An interpolation: Terraform JSON would read a bare string as text (and terraform validate rejects it).
      expect(v.validation).toEqual([{ condition: `\${length(var.${name}) > 0}`, error_message: `${name} must not be empty.` }]);
      expect(v).not.toHaveProperty("default");
    }
    expect(json.output).toBeUndefined();
  });

  it("flows through the created connection", () => {
    const flow = only(resourcesOfType(json, "aws_appflow_flow")) as {
      source_flow_config: { connector_profile_name: string };
      depends_on: string[];
    };
    expect(flow.source_flow_config.connector_profile_name).toMatch(
      /^\$\{aws_appflow_connector_profile\.ga-import_connection_[0-9A-F]+\.name\}$/,
    );
  });
});

describe("GA import with OAuth credentials from Secrets Manager", () => {
  const json = synthJson(pipeline(bySecret));

  it("reads the secret's JSON fields into the connection, never into the configuration", () => {
    const version = only(Object.values(json.data.aws_secretsmanager_secret_version ?? {}));
    expect(version).toMatchObject({ secret_id: "webstats/ga4-oauth" });
    const profile = only(resourcesOfType(json, "aws_appflow_connector_profile")) as {
      connector_profile_config: { connector_profile_credentials: { custom_connector: { oauth2: Record<string, string> } } };
    };
    const oauth2 = profile.connector_profile_config.connector_profile_credentials.custom_connector.oauth2;
    for (const [field, key] of [
      ["client_id", "clientId"],
      ["client_secret", "clientSecret"],
      ["refresh_token", "refreshToken"],
    ] as const) {
      expect(oauth2[field]).toBe(
        `\${jsondecode(data.aws_secretsmanager_secret_version.${nameOf(json.data, "aws_secretsmanager_secret_version")}.secret_string).${key}}`,
      );
    }
    expect(json.variable).toBeUndefined();
  });
});

describe("the ga config section", () => {
  const base = { project: "webstats", environment: "test", region: "eu-west-1" };
  const problems = (ga: unknown): string[] => {
    try {
      parseConfig({ ...base, ga }, "test");
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it("is off by default", () => {
    expect(parseConfig(base, "test").ga).toEqual({});
  });

  it.each([
    [{ propertyId: "G-ABC123" }, "ga.propertyId: a GA4 property id"],
    [
      { propertyId: "123456789", auth: { type: "oauth" } },
      'ga.auth.type: type must be one of "connection", "terraform-variables", "secrets-manager"',
    ],
    [{ propertyId: "123456789", auth: { type: "connection" } }, "ga.auth.connectionName:"],
    [
      { propertyId: "123456789", auth: { type: "secrets-manager", secretName: "a b" } },
      "ga.auth.secretName: a Secrets Manager secret name",
    ],
    [{ propertyId: "123456789", auth: { type: "terraform-variables", clientSecret: "s3cr3t" } }, "ga.auth.clientSecret: unknown key"],
    [{ propertyId: "123456789", refreshToken: "1//abc" }, "ga.refreshToken: unknown key"],
  ])("rejects %j naming the key", (ga, message) => {
    expect(problems(ga).join("\n")).toContain(message);
  });
});
