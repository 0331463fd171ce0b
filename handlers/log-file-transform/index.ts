/**
 * Lambda entry of the log-file transform (lean mode): an S3 ObjectCreated
 * event names CloudFront standard log files; each is read, transformed by the
 * same row core as the Firehose transform (transform.ts) and written into the
 * lake bucket as one Parquet object per partition plus one error object,
 * named after the log file so that a redelivered event overwrites them.
 * Reports through Powertools with the Firehose transform's metric names.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DEFAULT_METRICS_NAMESPACE, TRANSFORM_METRICS } from "../firehose-transform/env";
import { publishBreakdowns } from "../shared/metrics";
import { once, transformStartInput } from "../shared/transform-start";
import { LOG_FILE_TRANSFORM_ENV as ENV, LOG_FILE_SERVICE_NAME } from "./env";
import { eventObjectKey, type ObjectStore, s3Store } from "./store";
import { createLogFileTransformer, type LogFileStats, type LogFileTransformer } from "./transform";

const serviceName = process.env[ENV.serviceName] ?? LOG_FILE_SERVICE_NAME;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ serviceName, namespace: process.env[ENV.metricsNamespace] ?? DEFAULT_METRICS_NAMESPACE });

/** The part of an S3 event notification this reads. */
export interface S3EventIn {
  Records?: { eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string } } }[];
}

const getTransformer = once(async (): Promise<LogFileTransformer> => {
  const input = await transformStartInput(process.env);
  const t = await createLogFileTransformer({ ...input, config: input.config as never }); // validated by the factory, which names the bad key
  logger.info("log-file transform ready", { geoDatabases: t.geoDatabases, rules: t.config.classification.length });
  return t;
});

// Start in Lambda's init phase: reading the GeoIP files dominates a cold start. A failure here is logged and
// retried by the first invocation, which then fails loudly if it fails again.
getTransformer().catch((e: unknown) => logger.warn("transform start failed; the next invocation retries", { error: String(e) }));

function publish(stats: LogFileStats): void {
  const M = TRANSFORM_METRICS;
  metrics.addMetric(M.byResult.Ok, MetricUnit.Count, stats.ok);
  metrics.addMetric(M.byResult.Dropped, MetricUnit.Count, stats.dropped);
  metrics.addMetric(M.byResult.ProcessingFailed, MetricUnit.Count, stats.failed);
  metrics.publishStoredMetrics();
  publishBreakdowns(metrics, stats);
}

/** Parallel PUTs per log file: enough to hide latency, few enough for a small function. */
const PUT_CONCURRENCY = 8;

/** Transform every log file the event names. Exported with its store for tests (a stand-in or a local S3 server). */
export async function handleEvent(
  event: S3EventIn,
  store: ObjectStore,
  lakeBucket: string,
  lambdaArn: string,
  getT: () => Promise<LogFileTransformer> = getTransformer,
): Promise<{ files: number; objects: number }> {
  const t = await getT();
  let files = 0;
  let objects = 0;
  for (const record of event?.Records ?? []) {
    const bucket = record.s3?.bucket?.name;
    const encodedKey = record.s3?.object?.key;
    if (!bucket || encodedKey === undefined) {
      logger.error("S3 event record without bucket or key: skipped", { eventName: record.eventName });
      continue;
    }
    const key = eventObjectKey(encodedKey);
    const object = await store.get(bucket, key);
    const { objects: out, stats } = await t.transform({
      body: object.body,
      source: `${bucket}/${key}`,
      arrivalMs: object.lastModifiedMs,
      lambdaArn,
    });
    for (let i = 0; i < out.length; i += PUT_CONCURRENCY) {
      await Promise.all(out.slice(i, i + PUT_CONCURRENCY).map((o) => store.put(lakeBucket, o)));
    }
    const { failures, ...counts } = stats;
    logger.info("log file transformed", { bucket, key, objects: out.length, ...counts });
    // `message` is a Powertools reserved key: the failure's message goes as `detail`.
    for (const f of failures) logger.warn("line failed", { bucket, key, line: f.line, reason: f.reason, detail: f.message });
    publish(stats);
    files++;
    objects += out.length;
  }
  return { files, objects };
}

let store: ObjectStore | undefined;

export async function handler(event: S3EventIn, context?: { invokedFunctionArn?: string }): Promise<{ files: number; objects: number }> {
  const lakeBucket = process.env[ENV.lakeBucket];
  if (!lakeBucket) throw new Error(`${ENV.lakeBucket} is not set: the lake bucket the function writes to`);
  store ??= s3Store();
  return handleEvent(event, store, lakeBucket, context?.invokedFunctionArn ?? LOG_FILE_SERVICE_NAME);
}
