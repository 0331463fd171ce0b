/**
 * The CloudWatch dashboard body, built as plain data (no cdktf) so it can be
 * tested as a value: the pipeline end to end, from records in to records
 * delivered, failed and dropped (by event type), data freshness, compaction
 * runs and API traffic.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { EVENT_TYPES } from "../../schemas/event";

/** The EMF metrics the transform Lambda publishes (Powertools), so alarms and widgets read the same names. */
export interface TransformMetrics {
  readonly namespace: string;
  /** Dimensions every one of these metrics carries (Powertools adds `service`). */
  readonly dimensions: Record<string, string>;
  /** Metric name per record result. */
  readonly byResult: { readonly Ok: string; readonly Dropped: string; readonly ProcessingFailed: string };
  /** Metric of records by event type: `metricName` with `dimension` = the event type, on top of `dimensions`. */
  readonly byEventType: { readonly metricName: string; readonly dimension: string };
}

/** Names of what the dashboard and the alarms watch; each part is optional. */
export interface DashboardTargets {
  readonly kinesisStreamName?: string;
  readonly deliveryStreamName?: string;
  readonly transformFunctionName?: string;
  readonly transformMetrics?: TransformMetrics;
  readonly compactionJobName?: string;
  /** HTTP API id and stage (`$default` for the default stage). */
  readonly usageApi?: { readonly apiId: string; readonly stage: string };
  readonly usageFunctionName?: string;
  readonly countersTableName?: string;
}

export interface DashboardInput {
  readonly region: string;
  readonly periodSeconds: number;
  readonly targets: DashboardTargets;
  readonly alarmArns: readonly string[];
  /** Log group of finished compaction runs. @default none: no run history widget */
  readonly compactionRunsLogGroup?: string;
}

type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  type: "metric" | "text" | "alarm" | "log";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

const dims = (d: Record<string, string>): string[] => Object.entries(d).flat();

/** Lays widgets out left to right, 24 columns wide. */
class Grid {
  readonly widgets: Widget[] = [];
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  add(type: Widget["type"], width: number, height: number, properties: Record<string, unknown>): void {
    if (this.x + width > 24) this.newRow();
    this.widgets.push({ type, x: this.x, y: this.y, width, height, properties });
    this.x += width;
    this.rowHeight = Math.max(this.rowHeight, height);
  }

  heading(markdown: string): void {
    this.newRow();
    this.add("text", 24, 1, { markdown });
    this.newRow();
  }

  private newRow(): void {
    if (this.x === 0) return;
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

export function dashboardBody(input: DashboardInput): { widgets: Widget[] } {
  const { region, periodSeconds: period, targets: t } = input;
  const grid = new Grid();
  const chart = (title: string, metrics: MetricLine[], extra: Record<string, unknown> = {}) =>
    grid.add("metric", 8, 6, { title, region, period, view: "timeSeries", stacked: false, stat: "Sum", metrics, ...extra });

  if (input.alarmArns.length) grid.add("alarm", 24, 3, { title: "Alarms", alarms: [...input.alarmArns] });

  grid.heading("## Ingestion: CloudFront -> Kinesis -> Firehose (transform) -> S3");
  const flow: MetricLine[] = [];
  if (t.kinesisStreamName)
    flow.push(["AWS/Kinesis", "IncomingRecords", "StreamName", t.kinesisStreamName, { label: "records in (Kinesis)" }]);
  if (t.deliveryStreamName) {
    const d = ["DeliveryStreamName", t.deliveryStreamName];
    flow.push(["AWS/Firehose", "DataReadFromKinesisStream.Records", ...d, { label: "read by Firehose" }]);
    flow.push(["AWS/Firehose", "DeliveryToS3.Records", ...d, { label: "delivered to S3" }]);
    flow.push(["AWS/Firehose", "FailedConversion.Records", ...d, { label: "failed Parquet conversion" }]);
  }
  const m = t.transformMetrics;
  if (m) {
    flow.push([m.namespace, m.byResult.ProcessingFailed, ...dims(m.dimensions), { label: "failed (ProcessingFailed)" }]);
    flow.push([m.namespace, m.byResult.Dropped, ...dims(m.dimensions), { label: "dropped by rule" }]);
  }
  if (flow.length) chart("Records: in, delivered, failed, dropped", flow);
  if (m) {
    chart(
      "Records by event type",
      EVENT_TYPES.map((type) => [
        m.namespace,
        m.byEventType.metricName,
        ...dims(m.dimensions),
        m.byEventType.dimension,
        type,
        { label: type },
      ]),
      { stacked: true },
    );
  }
  const freshness: MetricLine[] = [];
  if (t.deliveryStreamName) {
    freshness.push([
      "AWS/Firehose",
      "DeliveryToS3.DataFreshness",
      "DeliveryStreamName",
      t.deliveryStreamName,
      { label: "S3 delivery freshness (s)" },
    ]);
  }
  if (t.kinesisStreamName) {
    // Milliseconds in CloudWatch; shown as seconds next to the Firehose freshness.
    freshness.push(["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", t.kinesisStreamName, { id: "age", visible: false }]);
    freshness.push([{ expression: "age / 1000", label: "Kinesis iterator age (s)", id: "ageSeconds" }]);
  }
  if (freshness.length) chart("Data freshness (seconds, max)", freshness, { stat: "Maximum" });

  if (t.transformFunctionName) {
    const f = ["FunctionName", t.transformFunctionName];
    chart("Transform Lambda", [
      ["AWS/Lambda", "Invocations", ...f],
      ["AWS/Lambda", "Errors", ...f],
      ["AWS/Lambda", "Throttles", ...f],
    ]);
    chart("Transform duration (ms)", [
      ["AWS/Lambda", "Duration", ...f, { stat: "p50", label: "p50" }],
      ["AWS/Lambda", "Duration", ...f, { stat: "p95", label: "p95" }],
      ["AWS/Lambda", "Duration", ...f, { stat: "Maximum", label: "max" }],
    ]);
  }
  if (t.deliveryStreamName) {
    const d = ["DeliveryStreamName", t.deliveryStreamName];
    chart("Firehose partitions and S3 objects", [
      ["AWS/Firehose", "PartitionCount", ...d, { stat: "Maximum" }],
      ["AWS/Firehose", "PartitionCountExceeded", ...d, { stat: "Maximum" }],
      ["AWS/Firehose", "DeliveryToS3.ObjectCount", ...d],
    ]);
  }

  if (t.compactionJobName) {
    grid.heading("## Compaction (daily Glue job)");
    if (input.compactionRunsLogGroup) {
      grid.add("log", 24, 6, {
        title: `Compaction runs of ${t.compactionJobName}`,
        region,
        view: "table",
        query: `SOURCE '${input.compactionRunsLogGroup}' | fields @timestamp, detail.state, detail.jobRunId, detail.message | sort @timestamp desc | limit 30`,
      });
    }
  }

  if (t.usageApi || t.usageFunctionName || t.countersTableName) {
    grid.heading("## Usage API: HTTP API -> Lambda -> DynamoDB");
    if (t.usageApi) {
      const a = ["ApiId", t.usageApi.apiId, "Stage", t.usageApi.stage];
      chart("API requests", [
        ["AWS/ApiGateway", "Count", ...a, { label: "requests" }],
        ["AWS/ApiGateway", "4xx", ...a],
        ["AWS/ApiGateway", "5xx", ...a],
      ]);
      chart("API latency (ms)", [
        ["AWS/ApiGateway", "Latency", ...a, { stat: "p50", label: "p50" }],
        ["AWS/ApiGateway", "Latency", ...a, { stat: "p95", label: "p95" }],
      ]);
    }
    if (t.usageFunctionName) {
      const f = ["FunctionName", t.usageFunctionName];
      chart("Usage Lambda", [
        ["AWS/Lambda", "Invocations", ...f],
        ["AWS/Lambda", "Errors", ...f],
        ["AWS/Lambda", "Throttles", ...f],
      ]);
    }
    if (t.countersTableName) {
      const d = ["TableName", t.countersTableName];
      chart("Counters table", [
        ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", ...d],
        ["AWS/DynamoDB", "ConsumedReadCapacityUnits", ...d],
        ["AWS/DynamoDB", "WriteThrottleEvents", ...d],
        ["AWS/DynamoDB", "ReadThrottleEvents", ...d],
      ]);
    }
  }
  return { widgets: grid.widgets };
}
