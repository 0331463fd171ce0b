/**
 * Creates every stack of one environment. main.ts calls this and synthesizes;
 * tests call it with a Testing app.
 */
import type { App } from "cdktf";
import { dashboardsStatus } from "../config/dashboards";
import { bundleDir, type HandlerName } from "../config/handler-bundles";
import { kinesisNotice } from "../config/kinesis";
import { logDeliveryNotice } from "../config/log-delivery";
import type { EnvironmentConfig } from "../config/schema";
import { ApiStack } from "./api-stack";
import { announceDashboards, DashboardsStack } from "./dashboards-stack";
import { EdgeStack } from "./edge-stack";
import { withNamesChecked } from "./names";
import { OpsStack, transformMetricsOf } from "./ops-stack";
import { PipelineStack } from "./pipeline-stack";
import { StateStack, stateStatus } from "./state-stack";

/** Lean mode's handler (handlers/log-file-transform). */
export const LOG_FILE_HANDLER = "log-file-transform" satisfies HandlerName;
type BundledHandler = HandlerName;

export interface AppOptions {
  /**
   * Where a handler's prebuilt bundle directory is (it holds index.js).
   * Tests point this at a small fixture so no bundle is built during synth.
   * @default dist/handlers/<name>, written by `npm run build:handlers`
   */
  readonly handlerBundleDir?: (handlerName: BundledHandler) => string;
  /** Where synth's one-line notices go. @default console.log */
  readonly log?: (line: string) => void;
}

export interface AnalyticsStacks {
  /** The state bucket's stack; only with state.backend "s3". */
  readonly state?: StateStack;
  readonly pipeline: PipelineStack;
  readonly api: ApiStack;
  readonly edge: EdgeStack;
  readonly ops: OpsStack;
  /** QuickSight dashboards; only when config.dashboards turns them on. */
  readonly dashboards?: DashboardsStack;
}

export function createStacks(app: App, config: EnvironmentConfig, options: AppOptions = {}): AnalyticsStacks {
  // Every generated name starts with project and environment: a name too long is theirs to shorten.
  return withNamesChecked(app, config, () => createEveryStack(app, config, options));
}

function createEveryStack(app: App, config: EnvironmentConfig, options: AppOptions): AnalyticsStacks {
  const bundles: (name: BundledHandler) => string = options.handlerBundleDir ?? bundleDir;
  const log = options.log ?? console.log;
  log(stateStatus(config));
  const state = config.state.backend === "s3" ? new StateStack(app, "state", config) : undefined;
  // Before the edge stack: its distribution forwards /api/* to the usage API (one direction, no cycle).
  const api = new ApiStack(app, "api", { config, bundleDir: bundles("usage-stats") });
  const edge = new EdgeStack(app, "edge", { config, usageApi: api.origin });
  log(logDeliveryNotice(config.logDelivery));
  if (edge.capacity) log(kinesisNotice(edge.capacity));
  // After the edge stack: Firehose reads its Kinesis stream, or the log-file Lambda its log bucket (cross-stack references).
  const pipeline = new PipelineStack(app, "pipeline", {
    config,
    ingestion: edge.stream && { source: edge.stream, transformBundleDir: bundles("firehose-transform") },
    logFiles: edge.standardLogs && { source: edge.standardLogs.bucket, bundleDir: bundles(LOG_FILE_HANDLER) },
  });
  const logFiles = pipeline.logFileIngestion;
  const transform = pipeline.ingestion?.transform ?? logFiles?.function;
  // Last: it watches what the stacks above deploy.
  const ops = new OpsStack(app, "ops", {
    config,
    key: pipeline.operationsKey,
    monitored: {
      kinesisStreamName: edge.stream?.streamName,
      deliveryStreamName: pipeline.ingestion?.deliveryStream.name,
      transformFunctionName: pipeline.ingestion?.transform.functionName,
      // Both routes' transforms publish the same EMF metrics (the log-file Lambda under its own service name).
      transformMetrics: transform && transformMetricsOf(transform),
      logFileFunctionName: logFiles?.function.functionName,
      failedLogFilesQueueName: logFiles?.failedQueue.name,
      compactionJobName: pipeline.compaction.job.name,
      usageApi: { apiId: api.usageApi.api.id, stage: api.usageApi.stage.name },
      usageFunctionName: api.usageApi.function.functionName,
      countersTableName: api.table.name,
    },
  });
  // Optional, in its own stack: QuickSight needs a subscription made outside these stacks.
  const dashboardsOn = dashboardsStatus(config.dashboards);
  announceDashboards(app, dashboardsOn);
  const dashboards = dashboardsOn.on ? new DashboardsStack(app, "dashboards", { config, query: pipeline.query }) : undefined;
  return { state, pipeline, api, edge, ops, dashboards };
}
