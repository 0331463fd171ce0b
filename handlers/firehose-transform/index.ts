/**
 * Lambda entry of the Firehose transform: reads the configuration and the
 * visitor-id key once per container, runs the pure processor over the batch,
 * and reports through Powertools (structured logs; EMF metrics by result, by
 * event type and by failure reason).
 */
// First: starts reading the GeoIP files while the imports below are evaluated.
import "./prefetch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { DEFAULT_METRICS_NAMESPACE, TRANSFORM_ENV, TRANSFORM_METRICS } from "./env";
import { failedRecordsObject } from "./failed-records";
import type { FirehoseEventIn, FirehoseEventOut, FirehoseRecordOut, FirehoseResult } from "./firehose";

export type { FirehoseEventIn, FirehoseEventOut } from "./firehose";

import { publishBreakdowns } from "../shared/metrics";
import { once, transformStartInput } from "../shared/transform-start";
import { createProcessor, type Processor, type ProcessStats } from "./processor";

const serviceName = process.env[TRANSFORM_ENV.serviceName] ?? "firehose-transform";
const logger = new Logger({ serviceName });
const metrics = new Metrics({ serviceName, namespace: process.env[TRANSFORM_ENV.metricsNamespace] ?? DEFAULT_METRICS_NAMESPACE });

/** Writes one object; S3 in Lambda, imported only when a bucket is configured (as the SSM client is). */
type PutObject = (bucket: string, key: string, body: string) => Promise<void>;
let putObject: Promise<PutObject> | undefined;
const s3 = (): Promise<PutObject> =>
  (putObject ??= import("@aws-sdk/client-s3").then(({ PutObjectCommand, S3Client }) => {
    const client = new S3Client({});
    return async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }));
    };
  }));

const getProcessor = once(async (): Promise<Processor> => {
  const input = await transformStartInput(process.env);
  const p = await createProcessor({ ...input, config: input.config as never }); // validated by createProcessor, which names the bad key
  logger.info("transform ready", { geoDatabases: p.geoDatabases, rules: p.config.classification.length });
  return p;
});

// Start in Lambda's init phase, before the first batch waits: reading the GeoIP files dominates a cold start.
// A failure here is logged and retried by the first invocation, which then fails loudly if it fails again.
getProcessor().catch((e: unknown) => logger.warn("transform start failed; the next invocation retries", { error: String(e) }));

function publish(stats: ProcessStats): void {
  const M = TRANSFORM_METRICS;
  for (const [result, n] of Object.entries(stats.byResult)) metrics.addMetric(M.byResult[result as FirehoseResult], MetricUnit.Count, n);
  metrics.addMetric(M.recordsWithoutId, MetricUnit.Count, stats.recordsWithoutId);
  metrics.publishStoredMetrics();
  publishBreakdowns(metrics, stats);
  for (const [rule, n] of Object.entries(stats.droppedByRule)) {
    metrics.singleMetric().addDimension(M.byDropRule.dimension, rule).addMetric(M.byDropRule.metricName, MetricUnit.Count, n);
  }
}

/**
 * Store the batch's failed records (IP redacted) in errors/ and answer them `Dropped`, so Firehose does not keep
 * their raw bytes (failed-records.ts says why). On a write failure they stay `ProcessingFailed`: nothing is lost.
 */
async function storeFailedRecords(bucket: string, input: readonly unknown[], records: FirehoseRecordOut[], lambdaArn: string) {
  const object = failedRecordsObject(input, records, { lambdaArn, nowMs: Date.now() });
  if (object === null) return;
  const M = TRANSFORM_METRICS.failedRecordsStore;
  try {
    await (await s3())(bucket, object.key, object.body);
  } catch (e) {
    logger.error("failed records could not be stored; left to Firehose, which keeps them with the raw client IP", {
      key: object.key,
      count: object.indexes.length,
      error: String(e),
    });
    metrics.singleMetric().addMetric(M.leftToFirehose, MetricUnit.Count, object.indexes.length);
    return;
  }
  for (const i of object.indexes) records[i] = { ...(records[i] as FirehoseRecordOut), result: "Dropped" };
  logger.info("failed records stored in errors/, client IP redacted", { key: object.key, count: object.indexes.length });
  metrics.singleMetric().addMetric(M.stored, MetricUnit.Count, object.indexes.length);
}

export async function handler(event: FirehoseEventIn, context?: Pick<Context, "invokedFunctionArn">): Promise<FirehoseEventOut> {
  const p = await getProcessor();
  const input = event?.records;
  // Firehose always sends an array; anything else is answered, and logged, rather than thrown.
  if (!Array.isArray(input)) logger.error("event has no records array", { invocationId: event?.invocationId, records: typeof input });
  const { records, stats } = p.processRecords(Array.isArray(input) ? input : []);
  const bucket = process.env[TRANSFORM_ENV.failedRecordsBucket];
  if (bucket && stats.byResult.ProcessingFailed > 0) {
    await storeFailedRecords(bucket, Array.isArray(input) ? input : [], records, context?.invokedFunctionArn ?? "unknown");
  }
  const { failures, ...counts } = stats;
  logger.info("batch transformed", { invocationId: event?.invocationId, ...counts });
  if (stats.recordsWithoutId > 0) logger.error("records without a recordId: answered with an empty id", { count: stats.recordsWithoutId });
  for (const f of failures) logger.warn("record failed", { invocationId: event?.invocationId, ...f });
  publish(stats);
  return { records };
}
