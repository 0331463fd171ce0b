/**
 * Environment variables of the log-file transform Lambda: the Firehose
 * transform's (one definition, spread from TRANSFORM_ENV, so one
 * configuration serves both routes) plus the lake bucket it writes. The stack
 * imports these names instead of repeating them; the handler reads them in
 * index.ts only.
 */
import { TRANSFORM_ENV } from "../firehose-transform/env";

export const LOG_FILE_TRANSFORM_ENV = {
  ...TRANSFORM_ENV,
  /** Name of the lake bucket: Parquet goes under events/, failed lines under errors/. */
  lakeBucket: "LAKE_BUCKET",
} as const;

export type LogFileTransformEnvName = (typeof LOG_FILE_TRANSFORM_ENV)[keyof typeof LOG_FILE_TRANSFORM_ENV];

/** Default Powertools service name (the dimension of its metrics, which keep the Firehose transform's names). */
export const LOG_FILE_SERVICE_NAME = "log-file-transform";
