import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Testing } from "cdktf";
import { ALARMS, alarmsFor } from "../../config/alarms";
import { ConfigError } from "../../config/load";
import type { EnvironmentConfigInput } from "../../config/schema";
import { EVENT_TYPES } from "../../schemas/event";
import { createStacks } from "../../stacks/app";
import { AnalyticsStack } from "../../stacks/base-stack";
import { alarmDescription, CLOUDWATCH_LIMITS, type MonitoredResources } from "../../stacks/constructs/monitoring";
import { OpsStack } from "../../stacks/ops-stack";
import { evaluate } from "../../stacks/rules/engine";
import { RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { fixtureBundles, resourcesOfType, synthJson, testApp } from "../helpers/synth";

const EVERYTHING: MonitoredResources = {
  kinesisStreamName: "webstats-test-realtime-logs",
  deliveryStreamName: "webstats-test-events",
  transformFunctionName: "webstats-test-transform",
  transformMetrics: {
    namespace: "webstats-test-events",
    dimensions: { service: "firehose-transform" },
    byResult: { Ok: "RecordsOk", Dropped: "RecordsDropped", ProcessingFailed: "RecordsProcessingFailed" },
    byEventType: { metricName: "Events", dimension: "event_type" },
  },
  compactionJobName: "webstats-test-compaction",
  usageApi: { apiId: "a1b2c3", stage: "$default" },
  usageFunctionName: "webstats-test-usage",
  countersTableName: "webstats-test-counters",
  // Lean mode's resources too: no app has both routes, but the construct alarms on whatever it is given.
  logFileFunctionName: "webstats-test-events-log-files",
  failedLogFilesQueueName: "webstats-test-events-failed-log-files",
};

function opsStack(monitored: MonitoredResources = EVERYTHING, overrides: Partial<EnvironmentConfigInput> = {}) {
  return new OpsStack(testApp(), "ops", { config: testConfig(overrides), monitored });
}

type Alarm = Record<string, unknown> & { alarm_name: string; alarm_actions: string[]; threshold: number };
const alarmsOf = (stack: OpsStack) => resourcesOfType(synthJson(stack), "aws_cloudwatch_metric_alarm") as Alarm[];
const alarmNamed = (stack: OpsStack, id: string) => alarmsOf(stack).find((a) => a.alarm_name === `webstats-test-${id}`);

describe("OpsStack: alarm topic", () => {
  const stack = opsStack(EVERYTHING, { ops: { alarmEmail: "ops@example.com" } });
  const synth = Testing.synth(stack);

  it("encrypts the topic with its own rotating key", () => {
    expect(synth).toHaveResourceWithProperties(SnsTopic, {
      name: "webstats-test-alarms",
      kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/),
    });
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
  });

  it("lets CloudWatch (this account only) and EventBridge use the key", () => {
    const statements = Object.values(synthJson(stack).data.aws_iam_policy_document ?? {}).flatMap(
      (d) => d.statement as Record<string, unknown>[],
    );
    const thisTopic = expect.objectContaining({ variable: "kms:EncryptionContext:aws:sns:topicArn" });
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        condition: [expect.objectContaining({ variable: "aws:SourceAccount" }), thisTopic],
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        condition: [thisTopic],
      }),
    );
    // EventBridge may publish only from the compaction rule.
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: ["sns:Publish"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        condition: [
          {
            test: "ArnEquals",
            variable: "aws:SourceArn",
            values: [expect.stringMatching(/^\$\{aws_cloudwatch_event_rule\..*compaction-failed.*\.arn\}$/)],
          },
        ],
      }),
    );
  });

  it("subscribes the configured email address, and nobody without one", () => {
    expect(synth).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "ops@example.com" });
    expect(Testing.synth(opsStack())).not.toHaveResource(SnsTopicSubscription);
  });
});

describe("OpsStack: alarms", () => {
  // Every alarm of the catalogue, the diagnostic ones included.
  const stack = opsStack(EVERYTHING, { ops: { diagnosticAlarms: true } });
  const topicArn = expect.stringMatching(/^\$\{aws_sns_topic\..+\.arn\}$/);

  // The metric each alarm must watch: namespace, metric, dimensions, statistic and the default threshold.
  const single: [string, string, string, Record<string, string>, string, number][] = [
    [
      "kinesis-write-throttled",
      "AWS/Kinesis",
      "WriteProvisionedThroughputExceeded",
      { StreamName: "webstats-test-realtime-logs" },
      "Sum",
      1,
    ],
    [
      "kinesis-iterator-age",
      "AWS/Kinesis",
      "GetRecords.IteratorAgeMilliseconds",
      { StreamName: "webstats-test-realtime-logs" },
      "Maximum",
      600_000,
    ],
    ["delivery-freshness", "AWS/Firehose", "DeliveryToS3.DataFreshness", { DeliveryStreamName: "webstats-test-events" }, "Maximum", 900],
    ["conversion-failed-records", "AWS/Firehose", "FailedConversion.Records", { DeliveryStreamName: "webstats-test-events" }, "Sum", 1],
    ["processing-failed-records", "webstats-test-events", "RecordsProcessingFailed", { service: "firehose-transform" }, "Sum", 1],
    ["transform-errors", "AWS/Lambda", "Errors", { FunctionName: "webstats-test-transform" }, "Sum", 1],
    ["transform-throttles", "AWS/Lambda", "Throttles", { FunctionName: "webstats-test-transform" }, "Sum", 1],
    ["usage-errors", "AWS/Lambda", "Errors", { FunctionName: "webstats-test-usage" }, "Sum", 1],
  ];

  it.each(single)(
    "%s watches %s %s with its threshold and notifies the topic",
    (id, namespace, metricName, dimensions, statistic, threshold) => {
      expect(Testing.synth(stack)).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: `webstats-test-${id}`,
        namespace,
        metric_name: metricName,
        dimensions,
        statistic,
        threshold,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        period: 300,
        evaluation_periods: 1,
        treat_missing_data: "notBreaching",
        alarm_actions: [topicArn],
        ok_actions: [topicArn],
      });
    },
  );

  it("computes the API 5xx rate as a percentage of requests, zero when idle", () => {
    const alarm = alarmNamed(stack, "api-5xx-rate");
    expect(alarm).toMatchObject({ threshold: 5, alarm_actions: [topicArn] });
    const queries = alarm?.metric_query as Record<string, unknown>[];
    expect(queries).toContainEqual(
      expect.objectContaining({ id: "e", expression: "IF(requests > 0, 100 * errors / requests, 0)", return_data: true }),
    );
    expect(queries).toContainEqual(
      expect.objectContaining({
        id: "errors",
        metric: expect.objectContaining({
          namespace: "AWS/ApiGateway",
          metric_name: "5xx",
          dimensions: { ApiId: "a1b2c3", Stage: "$default" },
          stat: "Sum",
        }),
      }),
    );
    expect(queries).toContainEqual(expect.objectContaining({ id: "requests", metric: expect.objectContaining({ metric_name: "Count" }) }));
  });

  it("adds read and write throttles of the counters table", () => {
    const queries = alarmNamed(stack, "dynamodb-throttles")?.metric_query as Record<string, unknown>[];
    expect(queries.map((q) => (q.metric as Record<string, unknown> | undefined)?.metric_name ?? q.expression)).toEqual([
      "FILL(reads, 0) + FILL(writes, 0)",
      "ReadThrottleEvents",
      "WriteThrottleEvents",
    ]);
  });

  it("creates one alarm per catalogue entry, each described with what to do", () => {
    const metricAlarms = ALARMS.filter((a) => a.metricCount > 0);
    const alarms = alarmsOf(stack);
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual(metricAlarms.map((a) => `webstats-test-${a.id}`).sort());
    for (const a of alarms) expect(a.alarm_description).toMatch(/What to do: /);
  });

  it("leaves the diagnostic alarms out by default: their outcome alarms stay", () => {
    const names = alarmsOf(opsStack()).map((a) => a.alarm_name);
    expect(names).not.toContain("webstats-test-transform-throttles");
    expect(names).not.toContain("webstats-test-dynamodb-throttles");
    expect(names).toEqual(
      expect.arrayContaining(["webstats-test-delivery-freshness", "webstats-test-api-5xx-rate", "webstats-test-usage-errors"]),
    );
  });

  it("takes thresholds, period and evaluation periods from the config", () => {
    const tuned = opsStack(EVERYTHING, {
      ops: {
        periodSeconds: 60,
        evaluationPeriods: 3,
        thresholds: { deliveryFreshnessSeconds: 600, kinesisIteratorAgeSeconds: 120, apiServerErrorPercent: 1.5 },
      },
    });
    expect(alarmNamed(tuned, "delivery-freshness")).toMatchObject({ threshold: 600, period: 60, evaluation_periods: 3 });
    expect(alarmNamed(tuned, "kinesis-iterator-age")).toMatchObject({ threshold: 120_000 });
    expect(alarmNamed(tuned, "api-5xx-rate")).toMatchObject({ threshold: 1.5 });
  });

  it("watches only what is deployed", () => {
    const edgeOnly = opsStack({ kinesisStreamName: "s" });
    expect(
      alarmsOf(edgeOnly)
        .map((a) => a.alarm_name)
        .sort(),
    ).toEqual(["webstats-test-kinesis-iterator-age", "webstats-test-kinesis-write-throttled", "webstats-test-no-incoming-records"]);
    expect(Testing.synth(edgeOnly)).not.toHaveResource(CloudwatchEventRule);
  });

  it("alarms when no record at all reaches Kinesis for the configured minutes, treating no data as breaching", () => {
    expect(Testing.synth(stack)).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "webstats-test-no-incoming-records",
      namespace: "AWS/Kinesis",
      metric_name: "IncomingRecords",
      dimensions: { StreamName: "webstats-test-realtime-logs" },
      statistic: "Sum",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      period: 43_200,
      evaluation_periods: 1,
      treat_missing_data: "breaching",
      alarm_actions: [topicArn],
    });
    const quiet = opsStack(EVERYTHING, { ops: { thresholds: { noIncomingRecordsMinutes: 0 } } });
    expect(alarmNamed(quiet, "no-incoming-records")).toBeUndefined();
    expect(
      alarmNamed(opsStack(EVERYTHING, { ops: { thresholds: { noIncomingRecordsMinutes: 90 } } }), "no-incoming-records"),
    ).toMatchObject({ period: 5400 });
  });
});

describe("OpsStack: compaction job state", () => {
  const stack = opsStack();
  const synth = Testing.synth(stack);

  it("sends failed, timed-out, errored and stopped runs of the job to the topic", () => {
    const rule = resourcesOfType(synthJson(stack), "aws_cloudwatch_event_rule").find((r) => r.name === "webstats-test-compaction-failed");
    expect(JSON.parse(String(rule?.event_pattern))).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: ["webstats-test-compaction"], state: ["FAILED", "TIMEOUT", "ERROR", "STOPPED"] },
    });
    expect(synth).toHaveResourceWithProperties(CloudwatchEventTarget, {
      arn: expect.stringMatching(/^\$\{aws_sns_topic\..+\.arn\}$/),
      input_transformer: expect.objectContaining({ input_paths: expect.objectContaining({ state: "$.detail.state" }) }),
    });
  });

  it("records every finished run in a log group with the configured retention", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/events/webstats-test-compaction-runs",
      retention_in_days: 30,
    });
    const tuned = Testing.synth(opsStack(EVERYTHING, { ops: { logRetentionDays: 90 } }));
    expect(tuned).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/events/webstats-test-compaction-runs",
      retention_in_days: 90,
    });
  });
});

describe("OpsStack: dashboard", () => {
  const stack = opsStack(EVERYTHING, { ops: { dashboard: true } });
  const dashboard = resourcesOfType(synthJson(stack), "aws_cloudwatch_dashboard")[0] as { dashboard_name: string; dashboard_body: string };
  const body = JSON.parse(dashboard.dashboard_body) as {
    widgets: { type: string; x: number; width: number; properties: Record<string, unknown> }[];
  };
  const metricsOf = (title: string) => body.widgets.find((w) => w.properties.title === title)?.properties.metrics as unknown[][];

  it("is named after the environment and fits the 24-column grid", () => {
    expect(dashboard.dashboard_name).toBe("webstats-test-pipeline");
    for (const w of body.widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
  });

  it("shows records in, delivered, failed and dropped", () => {
    const labels = metricsOf("Records: in, delivered, failed, dropped").map((m) => (m.at(-1) as { label: string }).label);
    expect(labels).toEqual([
      "records in (Kinesis)",
      "read by Firehose",
      "delivered to S3",
      "failed Parquet conversion",
      "failed (ProcessingFailed)",
      "dropped by rule",
    ]);
  });

  it("shows records by every event type of the schema", () => {
    const lines = metricsOf("Records by event type");
    expect(lines.map((m) => m[5])).toEqual([...EVENT_TYPES]);
    expect(lines[0]?.slice(0, 5)).toEqual(["webstats-test-events", "Events", "service", "firehose-transform", "event_type"]);
  });

  it("shows freshness, compaction runs, API traffic and every alarm", () => {
    expect(metricsOf("Data freshness (seconds, max)")[0]).toEqual(expect.arrayContaining(["AWS/Firehose", "DeliveryToS3.DataFreshness"]));
    const runs = body.widgets.find((w) => w.type === "log");
    expect(runs?.properties.query).toMatch(
      /^SOURCE '\$\{aws_cloudwatch_log_group\..*compaction-runs-log.*\.name\}' \| fields @timestamp, detail\.state/,
    );
    expect(metricsOf("API requests").map((m) => m[1])).toEqual(["Count", "4xx", "5xx"]);
    const alarmWidget = body.widgets.find((w) => w.type === "alarm");
    expect(alarmWidget?.properties.alarms).toHaveLength(alarmsOf(stack).length);
  });

  it("is off by default ($3/month beyond the account's first 3) and can be switched off", () => {
    expect(Testing.synth(opsStack())).not.toHaveResource(CloudwatchDashboard);
    expect(Testing.synth(opsStack(EVERYTHING, { ops: { dashboard: false } }))).not.toHaveResource(CloudwatchDashboard);
  });
});

describe("ops rules", () => {
  it("fail an alarm without an action, an unencrypted topic without a TLS-only policy, and a rule without a target", () => {
    const s = new AnalyticsStack(testApp(), "bad", { config: testConfig() });
    new CloudwatchMetricAlarm(s, "silent", {
      alarmName: "x",
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 1,
      metricName: "Errors",
      namespace: "AWS/Lambda",
      period: 60,
      statistic: "Sum",
      threshold: 1,
    });
    new SnsTopic(s, "plain", { name: "plain" });
    new CloudwatchEventRule(s, "lonely", { name: "lonely", eventPattern: "{}" });
    expect(() => Testing.synth(s)).toThrow(/\[ALARM-HAS-ACTION\] aws_cloudwatch_metric_alarm\.silent: no alarm_actions/);
    // toTerraform() skips the aspect, which would throw at the first violation.
    const ids = evaluate(s.toTerraform(), RULES).map((v) => `${v.ruleId} ${v.address}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        "SNS-ENCRYPTED aws_sns_topic.plain",
        "SNS-TLS-ONLY aws_sns_topic.plain",
        "EVENT-RULE-HAS-TARGET aws_cloudwatch_event_rule.lonely",
      ]),
    );
  });

  it("fail an alarm whose actions are disabled", () => {
    const json = {
      resource: { aws_cloudwatch_metric_alarm: { a: { alarm_actions: ["arn:aws:sns:eu-west-1:1:t"], actions_enabled: false } } },
    };
    expect(evaluate(json, RULES)).toEqual([
      { ruleId: "ALARM-HAS-ACTION", address: "aws_cloudwatch_metric_alarm.a", reason: "actions_enabled is false" },
    ]);
  });
});

describe("alarm descriptions", () => {
  it("fit CloudWatch's limit for every alarm and EventBridge's for the rule; a longer one fails naming the alarm", () => {
    for (const a of ALARMS) expect(alarmDescription(a).length).toBeLessThanOrEqual(CLOUDWATCH_LIMITS.alarmDescriptionLength);
    const rule = ALARMS.find((a) => a.id === "compaction-failed");
    expect(rule && alarmDescription(rule, CLOUDWATCH_LIMITS.ruleDescriptionLength)).toBeTruthy();
    const long = { ...ALARMS[0], id: "wordy", means: "x".repeat(600) } as (typeof ALARMS)[number];
    expect(() => alarmDescription(long, 512)).toThrow(/^alarm wordy: description is \d+ characters; the limit is 512$/);
  });
});

describe("ops config", () => {
  it.each([
    [{ periodSeconds: 90 }, "ops.periodSeconds: must be 60 or a multiple of 60"],
    [{ alarmEmail: "not-an-address" }, "ops.alarmEmail: an email address"],
    [{ logRetentionDays: 10 }, "ops.logRetentionDays: must be one of 1, 3, 5, 7, 14, 30"],
    [{ thresholds: { apiServerErrorPercent: 0 } }, "ops.thresholds.apiServerErrorPercent: apiServerErrorPercent must be above 0"],
    [{ thresholds: { typo: 1 } }, "ops.thresholds.typo: unknown key"],
  ])("rejects %j naming the key", (ops, message) => {
    expect(() => testConfig({ ops } as Partial<EnvironmentConfigInput>)).toThrow(ConfigError);
    expect(() => testConfig({ ops } as Partial<EnvironmentConfigInput>)).toThrow(message);
  });
});

describe("the app's ops stack", () => {
  it("watches every stage the app deploys: one alarm per catalogue entry of its route, plus the compaction rule", () => {
    const app = testApp();
    const stacks = createStacks(app, testConfig(), fixtureBundles);
    app.synth();
    const ops = synthJson(stacks.ops);
    const names = resourcesOfType(ops, "aws_cloudwatch_metric_alarm").map((a) => a.alarm_name);
    expect(names.sort()).toEqual(
      alarmsFor("realtime", false)
        .filter((a) => a.metricCount > 0)
        .map((a) => `webstats-test-${a.id}`)
        .sort(),
    );
    const rule = resourcesOfType(ops, "aws_cloudwatch_event_rule").find((r) => r.name === "webstats-test-compaction-failed");
    expect(String(rule?.event_pattern)).toMatch(
      /"jobName":\["\$\{data\.terraform_remote_state\.cross-stack-reference-input-pipeline\.outputs\./,
    );
  });

  it("watches the edge and pipeline stacks' resources through cross-stack references", () => {
    const app = testApp();
    const stacks = createStacks(app, testConfig(), fixtureBundles);
    app.synth(); // resolves cross-stack references into outputs and remote-state reads
    const ops = synthJson(stacks.ops);
    expect(Object.keys(ops.data.terraform_remote_state ?? {})).toEqual(expect.arrayContaining([expect.stringContaining("edge")]));
    const throttled = resourcesOfType(ops, "aws_cloudwatch_metric_alarm").find(
      (a) => a.alarm_name === "webstats-test-kinesis-write-throttled",
    );
    expect((throttled?.dimensions as Record<string, string> | undefined)?.StreamName).toMatch(
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-edge\.outputs\./,
    );
  });
});

describe("docs/ops.md", () => {
  const page = readFileSync(path.resolve(__dirname, "../../docs/ops.md"), "utf8");

  it.each(ALARMS.map((a) => [a.id, a] as const))("documents alarm %s with the text of its description", (_id, alarm) => {
    expect(page).toContain(`- \`${alarm.id}\`: ${alarm.means} **What to do:** ${alarm.action}`);
  });
});
