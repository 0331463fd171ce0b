import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Testing } from "cdktf";
import { ConfigError } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { ApiStack } from "../../stacks/api-stack";
import { createStacks } from "../../stacks/app";
import { UsageApi } from "../../stacks/constructs/usage-api";
import { UsageCounterTable } from "../../stacks/constructs/usage-table";
import { evaluate } from "../../stacks/rules/engine";
import { API_RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { FIXTURE_BUNDLE_DIR, fixtureBundles, resourcesOfType, synthJson, testApp } from "../helpers/synth";

const ORIGIN = "https://d111111abcdef8.cloudfront.net";

function apiStack(usageApi: EnvironmentConfigInput["usageApi"] = { allowedOrigins: [ORIGIN] }): ApiStack {
  return new ApiStack(testApp(), "api", { config: testConfig({ usageApi }), bundleDir: FIXTURE_BUNDLE_DIR });
}

/** Statements of the function role's inline policy, from the synthesized policy document. */
function functionStatements(stack: ApiStack): Record<string, unknown>[] {
  const json = synthJson(stack);
  const docs = json.data.aws_iam_policy_document ?? {};
  const permissions = Object.entries(docs).find(([name]) => name.includes("function_role_permissions"));
  return (permissions?.[1].statement ?? []) as Record<string, unknown>[];
}

describe("the api stack", () => {
  const stack = apiStack({ allowedOrigins: [ORIGIN, "http://localhost:8080"], throttlingRateLimit: 25, throttlingBurstLimit: 60 });
  const synthesized = Testing.synth(stack);

  it("keeps counters in an on-demand table with point-in-time recovery, KMS encryption and TTL", () => {
    expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
      name: "webstats-test-usage-counters",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pk",
      range_key: "sk",
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      ttl: { enabled: true, attribute_name: "expiresAt" },
    });
  });

  it("routes both endpoints and a $default catch-all to the function through a 2.0 proxy integration", () => {
    const routes = resourcesOfType(synthJson(stack), "aws_apigatewayv2_route").map((r) => r.route_key);
    expect(routes.sort()).toEqual(["$default", "GET /v1/pages/{pageId}", "POST /v1/pages/{pageId}/views"]);
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Integration, {
      integration_type: "AWS_PROXY",
      payload_format_version: "2.0",
      integration_uri: expect.stringMatching(/^\$\{aws_lambda_function\.usage-api_function_\w+\.invoke_arn\}$/),
    });
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Route, {
      target: expect.stringMatching(/^integrations\/\$\{aws_apigatewayv2_integration\.usage-api_integration_\w+\.id\}$/),
    });
  });

  it("throttles the stage with both burst and rate from the config and logs access to a retained log group", () => {
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Stage, {
      // Named: the segment is the path the site's distribution forwards (/api/*), kept in the request path.
      name: "api",
      auto_deploy: true,
      default_route_settings: expect.objectContaining({ throttling_burst_limit: 60, throttling_rate_limit: 25 }),
      access_log_settings: expect.objectContaining({
        destination_arn: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*access-logs.*\.arn\}$/),
      }),
    });
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/apigateway/webstats-test-usage-api/access",
      retention_in_days: 30,
    });
  });

  it("allows CORS only from the configured origins, with the idempotency header", () => {
    expect(synthesized).toHaveResourceWithProperties(Apigatewayv2Api, {
      protocol_type: "HTTP",
      cors_configuration: {
        allow_origins: [ORIGIN, "http://localhost:8080"],
        allow_methods: ["POST", "GET"],
        allow_headers: ["content-type", "idempotency-key"],
        expose_headers: ["idempotent-replayed", "retry-after"],
        allow_credentials: false,
        max_age: 600,
      },
    });
  });

  it("allows no cross-origin caller by default (the site calls it same-origin), with an explicit empty list, and prints no warning", () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, "log").mockImplementation((l: unknown) => void lines.push(String(l)));
    try {
      const json = synthJson(apiStack({}));
      expect(resourcesOfType(json, "aws_apigatewayv2_api")[0]?.cors_configuration).toMatchObject({ allow_origins: [] });
    } finally {
      log.mockRestore();
    }
    expect(lines.filter((l) => l.includes("Usage API"))).toEqual([]);
  });

  it("lets only this API invoke the function", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaPermission, {
      principal: "apigateway.amazonaws.com",
      action: "lambda:InvokeFunction",
      source_arn: expect.stringMatching(/^\$\{aws_apigatewayv2_api\.usage-api_\w+\.execution_arn\}\/\*\/\*$/),
    });
  });

  it("gives the function the table name, and IAM for only this table and its own log group", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "webstats-test-usage-api",
      // nodejs20.x can no longer be created or updated (Lambda blocked both in 2026).
      runtime: "nodejs22.x",
      environment: {
        variables: expect.objectContaining({
          TABLE_NAME: expect.stringContaining("aws_dynamodb_table."),
          IDEMPOTENCY_TTL_SECONDS: "86400",
        }),
      },
    });
    const statements = functionStatements(stack);
    const actions = statements.flatMap((s) => s.actions as string[]).sort();
    expect(actions).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    for (const s of statements) {
      const resources = s.resources as string[];
      const dynamo = (s.actions as string[]).some((a) => a.startsWith("dynamodb:"));
      expect(resources).toEqual(
        dynamo
          ? [expect.stringMatching(/^\$\{aws_dynamodb_table\.counters_table_\w+\.arn\}$/)]
          : [expect.stringMatching(/aws_cloudwatch_log_group\.usage-api_function_logs.*\.arn\}:\*$/)],
      );
    }
    // Deletes only idempotency records, never counters.
    expect(statements.find((s) => (s.actions as string[]).includes("dynamodb:DeleteItem"))?.condition).toEqual([
      { test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["idempotency#*"] },
    ]);
  });

  it("passes the page allow-list to the function", () => {
    const json = synthJson(apiStack({ allowedOrigins: [ORIGIN], pageIds: ["product", "pricing"] }));
    const fn = resourcesOfType(json, "aws_lambda_function")[0] as { environment: { variables: Record<string, string> } };
    expect(fn.environment.variables.PAGE_IDS).toBe("product,pricing");
  });

  it("outputs the stage URL for direct callers, while the site's config.js names the same-origin path, with no cross-stack URL", () => {
    const stacks = createStacks(testApp(), testConfig(), fixtureBundles);
    const output = JSON.parse(Testing.synth(stacks.api)).output as Record<string, { value: string }>;
    expect(output["usage-api-url"]?.value).toMatch(/^\$\{aws_apigatewayv2_stage\.usage-api_stage_\w+\.invoke_url\}$/);
    const objects = resourcesOfType(synthJson(stacks.edge), "aws_s3_object") as { key: string; content?: string }[];
    expect(objects.find((o) => o.key === "config.js")?.content).toBe('window.ANALYTICS_CONFIG = {"usageApiUrl":"/api"};\n');
  });
});

describe("usage api settings", () => {
  it.each([
    [{ throttlingRateLimit: 0 }, "usageApi.throttlingRateLimit: must be above 0"],
    [{ throttlingBurstLimit: 0 }, "usageApi.throttlingBurstLimit: must be at least 1"],
    [{ throttlingBurstLimit: 6000 }, "usageApi.throttlingBurstLimit: at most 5000"],
    [{ allowedOrigins: ["*"] }, "usageApi.allowedOrigins.0: an origin such as"],
    [{ allowedOrigins: ["https://example.com/"] }, "usageApi.allowedOrigins.0: an origin such as"],
    [{ allowedOrigins: ["http://example.com"] }, "usageApi.allowedOrigins.0: an origin such as"],
    [{ pageIds: ["Product"] }, "usageApi.pageIds.0: must be lower-case"],
    [{ pageIds: [] }, "usageApi.pageIds: list at least one page id"],
    [{ logRetentionDays: 10 }, "usageApi.logRetentionDays: must be one of"],
    [{ throttle: 1 }, "usageApi.throttle: unknown key"],
  ])("rejects %j naming the key", (usageApi, message) => {
    expect(() => testConfig({ usageApi } as EnvironmentConfigInput)).toThrow(ConfigError);
    expect(() => testConfig({ usageApi } as EnvironmentConfigInput)).toThrow(message);
  });

  it("defaults to non-zero throttling, no origins, any page and 24 h idempotency", () => {
    expect(testConfig().usageApi).toEqual({
      allowedOrigins: [],
      throttlingRateLimit: 20,
      throttlingBurstLimit: 50,
      logRetentionDays: 30,
      idempotencyTtlHours: 24,
      memorySizeMb: 256,
    });
  });

  it("fails at synth when the construct gets a zero throttle or a wildcard origin", () => {
    const build = (props: Partial<ConstructorParameters<typeof UsageApi>[2]>) =>
      Testing.synthScope((scope) => {
        const table = new UsageCounterTable(scope, "t", { tableName: "counters" });
        new UsageApi(scope, "api", {
          name: "x",
          table,
          bundleDir: FIXTURE_BUNDLE_DIR,
          throttlingRateLimit: 1,
          throttlingBurstLimit: 1,
          ...props,
        });
      });
    expect(() => build({ throttlingRateLimit: 0 })).toThrow(/throttlingRateLimit must be above 0/);
    expect(() => build({ throttlingBurstLimit: 0.5 })).toThrow(/throttlingBurstLimit must be a whole number/);
    expect(() => build({ allowedOrigins: ["https://*.example.com"] })).toThrow(/allowedOrigins must name the site's origins/);
    expect(() => build({})).not.toThrow();
  });
});

describe("the API and DynamoDB rules", () => {
  const good = synthJson(apiStack());
  const violations = (mutate: (json: ReturnType<typeof synthJson>) => void) => {
    const json = structuredClone(good);
    mutate(json);
    return evaluate(json, API_RULES).map((v) => v.ruleId);
  };
  const only = <T>(o: Record<string, T>) => Object.values(o)[0] as T & Record<string, unknown>;

  it("pass on the stack as built", () => {
    expect(evaluate(good, API_RULES)).toEqual([]);
  });

  it("catch a stage missing a throttling value, or missing access logs", () => {
    expect(violations((j) => delete only(j.resource.aws_apigatewayv2_stage ?? {}).default_route_settings)).toEqual([
      "APIGW-STAGE-THROTTLING",
    ]);
    expect(
      violations((j) => {
        const s = only(j.resource.aws_apigatewayv2_stage ?? {});
        s.default_route_settings = { throttling_rate_limit: 10 };
      }),
    ).toEqual(["APIGW-STAGE-THROTTLING"]);
    expect(violations((j) => delete only(j.resource.aws_apigatewayv2_stage ?? {}).access_log_settings)).toEqual(["APIGW-ACCESS-LOGS"]);
  });

  it("catch a wildcard CORS origin, an unscoped permission, and a table without PITR or encryption", () => {
    expect(
      violations((j) => {
        (only(j.resource.aws_apigatewayv2_api ?? {}).cors_configuration as { allow_origins: string[] }).allow_origins = ["*"];
      }),
    ).toEqual(["APIGW-CORS-EXPLICIT-ORIGINS"]);
    expect(violations((j) => delete only(j.resource.aws_lambda_permission ?? {}).source_arn)).toEqual(["LAMBDA-PERMISSION-SOURCE-ARN"]);
    expect(
      violations((j) => {
        const t = only(j.resource.aws_dynamodb_table ?? {});
        t.point_in_time_recovery = { enabled: false };
        delete t.server_side_encryption;
      }),
    ).toEqual(["DDB-PITR", "DDB-KMS-ENCRYPTION"]);
  });
});
