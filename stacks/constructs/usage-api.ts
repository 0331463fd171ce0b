/**
 * The live usage counter API: an HTTP API with the two routes of
 * schemas/usage.ts plus a `$default` route (so unknown paths and wrong methods
 * get the handler's JSON 404/405), a throttled stage named `api` with access
 * logs, CORS only for origins configured outside the site, and the
 * `usage-stats` function that may touch only the counter table and its own log
 * group. The site reaches it same-origin: its distribution forwards `/api/*`
 * unchanged, and the stage segment selects this stage.
 */
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../../config/limits";
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  USAGE_API_STAGE,
  USAGE_ENV,
  USAGE_FUNCTION_TIMEOUT_SECONDS,
  USAGE_ROUTES,
} from "../../schemas/usage";
import { checkName } from "../names";
import { NodeFunction } from "./lambda-function";
import type { ApiOrigin } from "./site-distribution";
import type { UsageCounterTable } from "./usage-table";

export interface UsageApiProps {
  /** Name of the API, the function and the log groups. */
  readonly name: string;
  /** The counter table the function reads and updates. */
  readonly table: UsageCounterTable;
  /** Bundle directory of the `usage-stats` handler (holds index.js). */
  readonly bundleDir: string;
  /**
   * Browser origins allowed by CORS, for pages served elsewhere that call the API directly; never `*`.
   * The site itself calls it same-origin through its distribution and needs none.
   * @default [] (no cross-origin caller)
   */
  readonly allowedOrigins?: readonly string[];
  /** Stage steady-state rate, requests per second, above 0. */
  readonly throttlingRateLimit: number;
  /** Stage burst, requests, a whole number of at least 1. */
  readonly throttlingBurstLimit: number;
  /** Page ids the API counts. @default any valid page id */
  readonly pageIds?: readonly string[];
  /** Days CloudWatch keeps access logs and function logs. @default 30 */
  readonly logRetentionDays?: number;
  /** Seconds an Idempotency-Key is remembered. @default 86400 */
  readonly idempotencyTtlSeconds?: number;
  /** Function memory, MB. @default 256 */
  readonly memorySizeMb?: number;
  /** Reserved concurrency of the function. @default unreserved */
  readonly reservedConcurrency?: number;
}

/** The function's timeout (the store's idempotency lease too); the integration waits one second longer. */
const FUNCTION_TIMEOUT_SECONDS = USAGE_FUNCTION_TIMEOUT_SECONDS;

/** One JSON line per request in the access log. @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  method: "$context.httpMethod",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integrationStatus",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
});

export class UsageApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly function: NodeFunction;
  readonly accessLogs: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: UsageApiProps) {
    super(scope, id);
    const where = this.node.path;
    const rate = props.throttlingRateLimit;
    const burst = props.throttlingBurstLimit;
    // An unset or zero limit throttles the stage at 0: every request 429.
    if (!Token.isUnresolved(rate) && !(rate > 0)) throw new Error(`${where}: throttlingRateLimit must be above 0; got ${rate}`);
    if (!Token.isUnresolved(burst) && !(Number.isInteger(burst) && burst >= 1)) {
      throw new Error(`${where}: throttlingBurstLimit must be a whole number of at least 1; got ${burst}`);
    }
    const origins = props.allowedOrigins ?? [];
    const wildcard = origins.filter((o) => !Token.isUnresolved(o) && o.includes("*"));
    if (wildcard.length) throw new Error(`${where}: allowedOrigins must name the site's origins, not ${wildcard.join(", ")}`);
    const retention = props.logRetentionDays ?? 30;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
      throw new Error(`${where}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}; got ${retention}`);
    }

    this.function = new NodeFunction(this, "function", {
      functionName: props.name,
      bundleDir: props.bundleDir,
      description: "Live page view counters (usage API)",
      memorySizeMb: props.memorySizeMb ?? 256,
      timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
      logRetentionDays: retention,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        [USAGE_ENV.tableName]: props.table.name,
        [USAGE_ENV.idempotencyTtlSeconds]: String(props.idempotencyTtlSeconds ?? 86_400),
        ...(props.pageIds?.length ? { [USAGE_ENV.pageIds]: props.pageIds.join(",") } : {}),
      },
    });
    props.table.grantCounterAccess(this.function);

    this.api = new Apigatewayv2Api(this, "api", {
      name: checkName("apiGatewayApi", props.name, this),
      protocolType: "HTTP",
      description: "Live page view counters",
      // API Gateway answers preflights itself and ignores CORS headers from the function. An explicit
      // list even when empty (APIGW-CORS-EXPLICIT-ORIGINS): the site's own page is same-origin and needs none.
      corsConfiguration: {
        allowOrigins: [...origins],
        allowMethods: [...new Set(Object.values(USAGE_ROUTES).map((r) => r.method))],
        allowHeaders: ["content-type", IDEMPOTENCY_KEY_HEADER],
        exposeHeaders: [IDEMPOTENT_REPLAYED_HEADER, "retry-after"],
        allowCredentials: false,
        maxAge: 600,
      },
    });

    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: this.function.function.invokeArn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: (FUNCTION_TIMEOUT_SECONDS + 1) * 1000,
    });
    const routeKeys = [...Object.values(USAGE_ROUTES).map((r) => `${r.method} ${r.path}`), "$default"];
    for (const routeKey of routeKeys) {
      new Apigatewayv2Route(this, `route-${routeKey.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`, {
        apiId: this.api.id,
        routeKey,
        target: `integrations/${integration.id}`,
      });
    }

    this.accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: checkName("logGroup", `/aws/apigateway/${props.name}/access`, this),
      retentionInDays: retention,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: USAGE_API_STAGE,
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: rate, throttlingBurstLimit: burst, detailedMetricsEnabled: true },
      accessLogSettings: { destinationArn: this.accessLogs.arn, format: ACCESS_LOG_FORMAT },
    });

    new LambdaPermission(this, "invoke-permission", {
      statementId: "AllowHttpApiInvoke",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/*`,
    });
  }

  /** The stage's URL, for direct (cross-origin) callers, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/api`. */
  get url(): string {
    return this.stage.invokeUrl;
  }

  /** Where a CloudFront distribution forwards `<basePath>/*` to reach this API's routes unchanged. */
  get origin(): ApiOrigin {
    return { endpoint: this.api.apiEndpoint, basePath: `/${USAGE_API_STAGE}` };
  }
}
