/**
 * Operations for the whole pipeline: an encrypted SNS topic every alarm
 * notifies (optionally subscribed by email), one CloudWatch alarm per entry of
 * the alarm catalogue whose resource exists, EventBridge rules on the Glue
 * compaction job (failures to the topic, every finished run to a log group),
 * and a dashboard from records in to the API.
 */
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { ALARMS, type AlarmSpec } from "../../config/alarms";
import { LOG_RETENTION_DAYS } from "../../config/limits";
import type { OpsConfig } from "../../config/ops";
import { checkName } from "../names";
import { PolicyDocument } from "./iam";
import { type DashboardTargets, dashboardBody } from "./monitoring-dashboard";
import { OperationsKey, type OperationsKeyRef } from "./operations-key";

export type { TransformMetrics } from "./monitoring-dashboard";

/**
 * CloudWatch and EventBridge limits.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (AlarmName 1-255, AlarmDescription 0-1024)
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html (Description 0-512)
 */
export const CLOUDWATCH_LIMITS = { alarmNameLength: 255, alarmDescriptionLength: 1024, ruleDescriptionLength: 512 } as const;

/** Glue job run states that end a run abnormally. @see https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html */
export const GLUE_FAILED_STATES = ["FAILED", "TIMEOUT", "ERROR", "STOPPED"] as const;

/** What is watched; every field is optional so the stack monitors whatever is deployed. */
export interface MonitoredResources extends DashboardTargets {
  /** Lean mode's log-file Lambda (logDelivery "standard"). */
  readonly logFileFunctionName?: string;
  /** Lean mode's queue of S3 events the log-file Lambda gave up on. */
  readonly failedLogFilesQueueName?: string;
}

/** The alarm topic's name: one definition, for the topic and for a shared key's policy built before it. */
export function alarmTopicName(namePrefix: string): string {
  return `${namePrefix}-alarms`;
}

export interface AlarmTopicProps {
  /** Topic name; the KMS key's alias is `alias/<topicName>` when the topic creates its own key. */
  readonly topicName: string;
  /** Deploying account id: CloudWatch may use the key and topic only for alarms of this account. */
  readonly accountId: string;
  /** Region of the topic: the key policy names the topic's ARN, built from region, account and name. */
  readonly region: string;
  /** AWS partition for ARNs. @default "aws" */
  readonly partition?: string;
  /** Email address to subscribe. @default none */
  readonly email?: string;
  /**
   * A customer-managed key whose policy already admits this topic (OperationsKey.allowAlarmTopic), e.g. the
   * pipeline stack's operations key. @default a key of its own, alias `alias/<topicName>`
   */
  readonly key?: OperationsKeyRef;
}

/**
 * An SNS topic encrypted with a customer-managed key (the operations key or its own, whatever
 * `encryption.customerManagedKeys` says). CloudWatch alarms and EventBridge cannot publish to a topic encrypted
 * with the AWS-managed key alias/aws/sns; the key policy must let their service principals use the key.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;
  readonly key: OperationsKeyRef;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const partition = props.partition ?? "aws";
    if (props.key) {
      // A key whose policy does not name this topic silently drops every alarm notification: fail at synth instead.
      if (!props.key.alarmTopicNames.includes(props.topicName)) {
        throw new Error(
          `${this.node.path}: the given key admits the alarm topics [${props.key.alarmTopicNames.join(", ")}], not ${props.topicName}; call allowAlarmTopic(${JSON.stringify(props.topicName)}) on it`,
        );
      }
      this.key = props.key;
    } else {
      const own = new OperationsKey(this, "key", {
        aliasName: props.topicName,
        description: `Encrypts the alarm topic ${props.topicName}`,
        accountId: props.accountId,
        region: props.region,
        partition,
      });
      own.allowAlarmTopic(props.topicName);
      this.key = own;
    }

    this.topic = new SnsTopic(this, "topic", {
      name: checkName("snsTopic", props.topicName, this),
      kmsMasterKeyId: this.key.arn,
    });
    this.policy = new PolicyDocument(this, "policy-document", [
      {
        sid: "CloudWatchAlarmsPublish",
        actions: ["sns:Publish"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        resources: [this.topic.arn],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
      },
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["sns:Publish"],
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: [this.topic.arn],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
    new SnsTopicPolicy(this, "policy", { arn: this.topic.arn, policy: this.policy.json });
    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
  }

  get arn(): string {
    return this.topic.arn;
  }

  /** Let one EventBridge rule publish to the topic. */
  allowEventRule(ruleArn: string): void {
    this.policy.add({
      actions: ["sns:Publish"],
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      resources: [this.topic.arn],
      condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [ruleArn] }],
    });
  }
}

export interface MonitoringProps {
  /** `<project>-<environment>`: prefixes alarm, rule and dashboard names. */
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  /** AWS partition for ARNs. @default "aws" */
  readonly partition?: string;
  /** The `ops` config section: thresholds, period, email, log retention, dashboard switch. */
  readonly ops: OpsConfig;
  readonly resources: MonitoredResources;
  /** The alarm topic's key; its policy must admit `alarmTopicName(namePrefix)`. @default the topic creates its own */
  readonly key?: OperationsKeyRef;
}

/** A metric of one alarm: a single metric, or metric math over several (the expression's id is `e`). */
type AlarmMetric =
  | { readonly namespace: string; readonly metricName: string; readonly dimensions: Record<string, string>; readonly statistic: string }
  | {
      readonly expression: string;
      readonly metrics: Record<string, { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string }>;
    };

interface AlarmDefinition {
  readonly metric: AlarmMetric;
  readonly comparison: "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  readonly threshold: number;
  /** @default ops.periodSeconds */
  readonly periodSeconds?: number;
  /** @default ops.evaluationPeriods */
  readonly evaluationPeriods?: number;
  /** @default "notBreaching": no data means no traffic or no failures */
  readonly treatMissingData?: "breaching" | "notBreaching";
}

export class Monitoring extends Construct {
  readonly alarmTopic: AlarmTopic;
  readonly alarms: Record<string, CloudwatchMetricAlarm> = {};
  readonly compactionFailedRule?: CloudwatchEventRule;
  readonly compactionRunsLog?: CloudwatchLogGroup;
  readonly dashboard?: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { ops, resources: r, namePrefix } = props;
    const partition = props.partition ?? "aws";
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(ops.logRetentionDays)) {
      throw new Error(
        `${this.node.path}: ops.logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}; got ${ops.logRetentionDays}`,
      );
    }

    this.alarmTopic = new AlarmTopic(this, "alarm-topic", {
      topicName: alarmTopicName(namePrefix),
      accountId: props.accountId,
      region: props.region,
      partition,
      email: ops.alarmEmail,
      key: props.key,
    });

    for (const spec of ALARMS) {
      if (spec.diagnostic && !ops.diagnosticAlarms) continue;
      const definition = this.definitionFor(spec, props);
      if (definition) this.alarms[spec.id] = this.createAlarm(spec, definition, props);
    }

    if (r.compactionJobName !== undefined) {
      const failed = new CloudwatchEventRule(this, "compaction-failed", {
        name: checkName("eventsRule", `${namePrefix}-compaction-failed`, this),
        description: alarmDescription(specById("compaction-failed"), CLOUDWATCH_LIMITS.ruleDescriptionLength),
        eventPattern: JSON.stringify({
          source: ["aws.glue"],
          "detail-type": ["Glue Job State Change"],
          detail: { jobName: [r.compactionJobName], state: [...GLUE_FAILED_STATES] },
        }),
      });
      this.compactionFailedRule = failed;
      this.alarmTopic.allowEventRule(failed.arn);
      new CloudwatchEventTarget(this, "compaction-failed-target", {
        rule: failed.name,
        targetId: "alarm-topic",
        arn: this.alarmTopic.arn,
        inputTransformer: {
          inputPaths: { job: "$.detail.jobName", state: "$.detail.state", run: "$.detail.jobRunId", message: "$.detail.message" },
          inputTemplate: '"ALARM compaction-failed: Glue job <job> ended <state> (run <run>): <message>. See docs/ops.md."',
        },
      });

      // Every finished run lands in a log group, so the dashboard can list the run history.
      this.compactionRunsLog = new CloudwatchLogGroup(this, "compaction-runs-log", {
        name: checkName("logGroup", `/aws/events/${namePrefix}-compaction-runs`, this),
        retentionInDays: ops.logRetentionDays,
      });
      const runs = new CloudwatchEventRule(this, "compaction-runs", {
        name: checkName("eventsRule", `${namePrefix}-compaction-runs`, this),
        description: "Records every finished run of the compaction job in a log group (dashboard: compaction runs).",
        eventPattern: JSON.stringify({
          source: ["aws.glue"],
          "detail-type": ["Glue Job State Change"],
          detail: { jobName: [r.compactionJobName], state: ["SUCCEEDED", ...GLUE_FAILED_STATES] },
        }),
      });
      // PutLogEvents only for this rule (aws:SourceArn). EventBridge's CreateLogStream call carries no source, so
      // it stays unconditioned: an empty stream in this one group, no data (SOURCE_CONDITION_EXCEPTIONS).
      // @see https://github.com/aws-samples/serverless-patterns/pull/618 (AWS's EventBridge -> CloudWatch Logs pattern)
      const logPolicy = new PolicyDocument(this, "compaction-runs-log-policy", [
        {
          sid: "EventBridgeCreatesStreams",
          actions: ["logs:CreateLogStream"],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          resources: [`${this.compactionRunsLog.arn}:*`],
        },
        {
          sid: "CompactionRunsRuleWrites",
          actions: ["logs:PutLogEvents"],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          resources: [`${this.compactionRunsLog.arn}:*`],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [runs.arn] }],
        },
      ]);
      // An account has at most 10 CloudWatch Logs resource policies per region; this stack uses one.
      // @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
      new CloudwatchLogResourcePolicy(this, "compaction-runs-log-access", {
        policyName: checkName("logsResourcePolicy", `${namePrefix}-compaction-runs`, this),
        policyDocument: logPolicy.json,
      });
      new CloudwatchEventTarget(this, "compaction-runs-target", { rule: runs.name, targetId: "run-log", arn: this.compactionRunsLog.arn });
    }

    if (ops.dashboard) {
      const body = dashboardBody({
        region: props.region,
        periodSeconds: ops.periodSeconds,
        targets: r,
        alarmArns: Object.values(this.alarms).map((a) => a.arn),
        compactionRunsLogGroup: this.compactionRunsLog?.name,
      });
      this.dashboard = new CloudwatchDashboard(this, "dashboard", {
        dashboardName: checkName("cloudwatchAlarmOrDashboard", `${namePrefix}-pipeline`, this),
        dashboardBody: JSON.stringify(body),
      });
    }
  }

  /** The metric and threshold of one catalogue entry, or undefined when its resource is not deployed. */
  private definitionFor(spec: AlarmSpec, props: MonitoringProps): AlarmDefinition | undefined {
    const t = props.ops.thresholds;
    const r = props.resources;
    const lambda = (functionName: string | undefined, metricName: string, threshold: number): AlarmDefinition | undefined =>
      functionName === undefined
        ? undefined
        : {
            metric: { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: functionName }, statistic: "Sum" },
            comparison: "GreaterThanOrEqualToThreshold",
            threshold,
          };
    const single = (
      present: string | undefined,
      namespace: string,
      metricName: string,
      dimensions: Record<string, string>,
      statistic: string,
      threshold: number,
    ): AlarmDefinition | undefined =>
      present === undefined
        ? undefined
        : { metric: { namespace, metricName, dimensions, statistic }, comparison: "GreaterThanOrEqualToThreshold", threshold };
    const stream = { StreamName: r.kinesisStreamName ?? "" };
    const delivery = { DeliveryStreamName: r.deliveryStreamName ?? "" };

    switch (spec.id) {
      case "kinesis-write-throttled":
        return single(
          r.kinesisStreamName,
          "AWS/Kinesis",
          "WriteProvisionedThroughputExceeded",
          stream,
          "Sum",
          t.kinesisWriteThrottledRecords,
        );
      case "no-incoming-records": {
        if (r.kinesisStreamName === undefined || t.noIncomingRecordsMinutes === 0) return undefined;
        return {
          metric: { namespace: "AWS/Kinesis", metricName: "IncomingRecords", dimensions: stream, statistic: "Sum" },
          comparison: "LessThanThreshold",
          threshold: 1,
          // One period of the whole window; no data at all is exactly what this alarm is for.
          periodSeconds: t.noIncomingRecordsMinutes * 60,
          evaluationPeriods: 1,
          treatMissingData: "breaching",
        };
      }
      case "kinesis-iterator-age":
        return single(
          r.kinesisStreamName,
          "AWS/Kinesis",
          "GetRecords.IteratorAgeMilliseconds",
          stream,
          "Maximum",
          t.kinesisIteratorAgeSeconds * 1000,
        );
      case "delivery-freshness":
        return single(r.deliveryStreamName, "AWS/Firehose", "DeliveryToS3.DataFreshness", delivery, "Maximum", t.deliveryFreshnessSeconds);
      case "conversion-failed-records":
        return single(r.deliveryStreamName, "AWS/Firehose", "FailedConversion.Records", delivery, "Sum", t.conversionFailedRecords);
      case "processing-failed-records": {
        const m = r.transformMetrics;
        // Either route's transform (Firehose processor or lean mode's log-file Lambda) publishes it.
        if (m === undefined) return undefined;
        return single(m.namespace, m.namespace, m.byResult.ProcessingFailed, m.dimensions, "Sum", t.processingFailedRecords);
      }
      case "transform-errors":
        return lambda(r.transformFunctionName, "Errors", t.transformErrors);
      case "transform-throttles":
        return lambda(r.transformFunctionName, "Throttles", t.transformThrottles);
      case "usage-errors":
        return lambda(r.usageFunctionName, "Errors", t.usageErrors);
      case "api-5xx-rate": {
        if (r.usageApi === undefined) return undefined;
        const dimensions = { ApiId: r.usageApi.apiId, Stage: r.usageApi.stage };
        return {
          metric: {
            // Percent of requests that were 5xx; 0 when there was no traffic, so an idle API never alarms.
            expression: "IF(requests > 0, 100 * errors / requests, 0)",
            metrics: {
              errors: { namespace: "AWS/ApiGateway", metricName: "5xx", dimensions, stat: "Sum" },
              requests: { namespace: "AWS/ApiGateway", metricName: "Count", dimensions, stat: "Sum" },
            },
          },
          comparison: "GreaterThanOrEqualToThreshold",
          threshold: t.apiServerErrorPercent,
        };
      }
      case "dynamodb-throttles": {
        if (r.countersTableName === undefined) return undefined;
        const dimensions = { TableName: r.countersTableName };
        return {
          metric: {
            expression: "FILL(reads, 0) + FILL(writes, 0)",
            metrics: {
              reads: { namespace: "AWS/DynamoDB", metricName: "ReadThrottleEvents", dimensions, stat: "Sum" },
              writes: { namespace: "AWS/DynamoDB", metricName: "WriteThrottleEvents", dimensions, stat: "Sum" },
            },
          },
          comparison: "GreaterThanOrEqualToThreshold",
          threshold: t.dynamodbThrottles,
        };
      }
      case "log-file-errors":
        return lambda(r.logFileFunctionName, "Errors", t.transformErrors);
      case "log-files-failed":
        return single(
          r.failedLogFilesQueueName,
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          { QueueName: r.failedLogFilesQueueName ?? "" },
          "Maximum",
          t.failedLogFiles,
        );
      case "no-log-files": {
        if (r.logFileFunctionName === undefined || t.noIncomingRecordsMinutes === 0) return undefined;
        return {
          metric: {
            namespace: "AWS/Lambda",
            metricName: "Invocations",
            dimensions: { FunctionName: r.logFileFunctionName },
            statistic: "Sum",
          },
          comparison: "LessThanThreshold",
          threshold: 1,
          // One period of the whole window; no data at all is exactly what this alarm is for.
          periodSeconds: t.noIncomingRecordsMinutes * 60,
          evaluationPeriods: 1,
          treatMissingData: "breaching",
        };
      }
      case "compaction-failed":
        return undefined; // an EventBridge rule, created in the constructor
      default:
        throw new Error(`${this.node.path}: no metric for alarm ${spec.id}`);
    }
  }

  private createAlarm(spec: AlarmSpec, d: AlarmDefinition, props: MonitoringProps): CloudwatchMetricAlarm {
    const name = checkName("cloudwatchAlarmOrDashboard", `${props.namePrefix}-${spec.id}`, this);
    const period = d.periodSeconds ?? props.ops.periodSeconds;
    const evaluationPeriods = d.evaluationPeriods ?? props.ops.evaluationPeriods;
    const topic = [this.alarmTopic.arn];
    const common = {
      alarmName: name,
      alarmDescription: alarmDescription(spec),
      comparisonOperator: d.comparison,
      threshold: d.threshold,
      evaluationPeriods,
      treatMissingData: d.treatMissingData ?? "notBreaching",
      alarmActions: topic,
      okActions: topic,
    };
    const m = d.metric;
    if ("expression" in m) {
      const metricQuery: CloudwatchMetricAlarmMetricQuery[] = [
        { id: "e", expression: m.expression, label: spec.id, returnData: true },
        ...Object.entries(m.metrics).map(([id, q]) => ({
          id,
          returnData: false,
          metric: { namespace: q.namespace, metricName: q.metricName, dimensions: q.dimensions, stat: q.stat, period },
        })),
      ];
      return new CloudwatchMetricAlarm(this, spec.id, { ...common, metricQuery });
    }
    return new CloudwatchMetricAlarm(this, spec.id, {
      ...common,
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      statistic: m.statistic,
      period,
    });
  }
}

function specById(id: string): AlarmSpec {
  const spec = ALARMS.find((a) => a.id === id);
  if (!spec) throw new Error(`no alarm ${id} in the catalogue`);
  return spec;
}

/** The alarm's description: what it means and what to do, within the service's limit (an alarm's 1,024 characters by default). */
export function alarmDescription(spec: AlarmSpec, limit: number = CLOUDWATCH_LIMITS.alarmDescriptionLength): string {
  const text = `${spec.means} What to do: ${spec.action}`;
  if (text.length > limit) throw new Error(`alarm ${spec.id}: description is ${text.length} characters; the limit is ${limit}`);
  return text;
}
