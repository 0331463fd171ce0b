/**
 * What both transform functions share, the Firehose processor (ingestion.ts) and lean mode's log-file Lambda
 * (log-file-ingestion.ts): the visitor-id key parameter they read, and their environment (the transform config
 * as JSON, within Lambda's 4 KB).
 */
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import type { Construct } from "constructs";
import { LAMBDA_LIMITS } from "../../config/limits";
import { TRANSFORM_ENV, VISITOR_KEY_PLACEHOLDER_PREFIX } from "../../handlers/firehose-transform/env";
import { checkName } from "../names";

/**
 * The value of a visitor-key parameter this construct creates. The real key is set once outside
 * Terraform (docs/pipeline.md); the handler refuses any key starting with the placeholder prefix.
 */
export const VISITOR_KEY_PLACEHOLDER = `${VISITOR_KEY_PLACEHOLDER_PREFIX}: set with aws ssm put-parameter --overwrite`;

/** The SSM parameter holding the visitor-id key: created with a placeholder, or an existing one named by the config. */
export interface VisitorKeyParameterProps {
  readonly name: string;
  /** Create a SecureString with a placeholder value that Terraform never overwrites. */
  readonly create: boolean;
  readonly region: string;
  readonly accountId: string;
}

/**
 * The visitor-id key parameter, in `scope` (ids `partition` and `visitor-key`): its ARN, and the parameter when
 * created. A SecureString, never a value in code or in a function's environment.
 */
export function visitorKeyParameter(scope: Construct, props: VisitorKeyParameterProps): { arn: string; parameter?: SsmParameter } {
  const partition = new DataAwsPartition(scope, "partition");
  if (props.create) {
    const parameter = new SsmParameter(scope, "visitor-key", {
      name: checkName("ssmParameter", props.name, scope),
      type: "SecureString",
      description:
        "Key of the visitor-id hash. Terraform only creates it; set the real value once with " +
        `aws ssm put-parameter --overwrite --type SecureString --name ${props.name} --value "$(openssl rand -base64 32)"`,
      value: VISITOR_KEY_PLACEHOLDER,
      // The real key is set outside Terraform; a later apply must not reset it to the placeholder.
      lifecycle: { ignoreChanges: ["value"] },
    });
    return { arn: parameter.arn, parameter };
  }
  const bare = props.name.replace(/^\//, "");
  return { arn: `arn:${partition.partition}:ssm:${props.region}:${props.accountId}:parameter/${bare}` };
}

/** Size of a function's environment as Lambda counts it against its 4 KB limit (keys and values, UTF-8). */
export function environmentBytes(vars: Record<string, string>): number {
  return Object.entries(vars).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

export interface TransformEnvironmentProps {
  readonly visitorKeyParameterName: string;
  /** Powertools service name: the `service` dimension of the function's metrics. */
  readonly serviceName: string;
  /** CloudWatch namespace of the function's metrics. */
  readonly metricsNamespace: string;
  /** The transform config, as JSON. @default not set: the handler's defaults */
  readonly transformConfig?: unknown;
  /** More variables. @default none */
  readonly extra?: Record<string, string>;
}

/** A transform function's environment; throws naming the config key `transform` when it outgrows Lambda's 4 KB. */
export function transformEnvironment(where: string, props: TransformEnvironmentProps): Record<string, string> {
  const environment: Record<string, string> = {
    [TRANSFORM_ENV.visitorKeyParam]: props.visitorKeyParameterName,
    [TRANSFORM_ENV.serviceName]: props.serviceName,
    [TRANSFORM_ENV.metricsNamespace]: props.metricsNamespace,
    ...(props.transformConfig === undefined ? {} : { [TRANSFORM_ENV.config]: JSON.stringify(props.transformConfig) }),
    ...props.extra,
  };
  const envBytes = environmentBytes({ NODE_OPTIONS: "--enable-source-maps", ...environment });
  if (envBytes > LAMBDA_LIMITS.environmentBytes) {
    const configBytes = Buffer.byteLength(environment[TRANSFORM_ENV.config] ?? "");
    throw new Error(
      `${where}: the transform function's environment is ${envBytes} bytes, over Lambda's ${LAMBDA_LIMITS.environmentBytes}-byte limit; ` +
        `the transform config (config key \`transform\`) takes ${configBytes} bytes of it`,
    );
  }
  return environment;
}
