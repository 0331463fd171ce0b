/**
 * Operations: the alarm topic, every alarm, the compaction run rules and the
 * dashboard, for whatever the other stacks deploy.
 *
 * One stack, created last, rather than a monitoring construct inside each
 * stack: the topic and the dashboard span every stage, and the
 * dashboard needs names from all of them anyway. The names arrive as props
 * (tokens of the other stacks' resources); cdktf turns them into outputs of
 * those stacks and remote-state reads here, so `ops` deploys after them and
 * an alarm never names a resource that does not exist.
 */
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { DEFAULT_METRICS_NAMESPACE, TRANSFORM_ENV, TRANSFORM_METRICS } from "../handlers/firehose-transform/env";
import { AnalyticsStack } from "./base-stack";
import type { NodeFunction } from "./constructs/lambda-function";
import { type MonitoredResources, Monitoring, type TransformMetrics } from "./constructs/monitoring";
import type { OperationsKeyRef } from "./constructs/operations-key";
import { resourceName } from "./names";

export interface OpsStackProps {
  readonly config: EnvironmentConfig;
  /** Names of the monitored resources; each alarm and widget appears only when its resource is given. @default nothing: only the topic */
  readonly monitored?: MonitoredResources;
  /**
   * The key of the alarm topic, from the pipeline stack (its policy admits `alarmTopicName(opsNamePrefix(config))`).
   * @default the topic creates its own key
   */
  readonly key?: OperationsKeyRef;
}

/** `<project>-<environment>`: prefixes the ops stack's alarm, rule, topic and dashboard names. */
export function opsNamePrefix(config: EnvironmentConfig): string {
  return resourceName(config, "").replace(/-$/, "");
}

/** The AWS partition of a region, for ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * The EMF metrics the transform function publishes, read from the environment it is deployed with
 * (Powertools namespace and service name) and the handler's metric names, so alarms watch exactly them.
 */
export function transformMetricsOf(transform: NodeFunction): TransformMetrics {
  const env = transform.function.environmentInput?.variables ?? {};
  const service = env[TRANSFORM_ENV.serviceName];
  if (service === undefined) {
    throw new Error(
      `${transform.node.path}: set ${TRANSFORM_ENV.serviceName} on the transform function; the ops alarms need its metrics' service dimension`,
    );
  }
  return {
    namespace: env[TRANSFORM_ENV.metricsNamespace] ?? DEFAULT_METRICS_NAMESPACE,
    dimensions: { [TRANSFORM_METRICS.serviceDimension]: service },
    byResult: TRANSFORM_METRICS.byResult,
    byEventType: TRANSFORM_METRICS.byEventType,
  };
}

export class OpsStack extends AnalyticsStack {
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: OpsStackProps) {
    super(scope, id, { config: props.config });
    const { config } = props;
    this.monitoring = new Monitoring(this, "monitoring", {
      namePrefix: opsNamePrefix(config),
      region: config.region,
      accountId: this.accountId,
      partition: partitionOf(config.region),
      ops: config.ops,
      resources: props.monitored ?? {},
      key: props.key,
    });
  }
}
