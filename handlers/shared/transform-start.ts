/**
 * Start-up of the two transform entries (the Firehose transform and lean mode's log-file transform): one
 * configuration, one visitor key and the same GeoIP files, read from the same environment variables.
 */
import { TRANSFORM_ENV } from "../firehose-transform/env";
import { geoDatabaseFromEnv, loadVisitorKey, type ParameterReader } from "../firehose-transform/visitor-key";
import { ssmReader } from "./store";

/** What a transform factory takes, from the function's environment. */
export interface TransformStartInput {
  /** Parsed, not validated: the factory validates it and names a bad key. */
  readonly config: unknown;
  readonly visitorIdKey: string;
  readonly geoDatabase: readonly string[] | false | undefined;
}

export async function transformStartInput(
  env: Record<string, string | undefined>,
  ssm: () => ParameterReader = ssmReader,
): Promise<TransformStartInput> {
  const configJson = env[TRANSFORM_ENV.config];
  let config: unknown;
  try {
    config = configJson ? JSON.parse(configJson) : undefined;
  } catch (e) {
    throw new Error(`${TRANSFORM_ENV.config} is not valid JSON: ${(e as Error).message}`);
  }
  return { config, visitorIdKey: await loadVisitorKey(env, ssm), geoDatabase: geoDatabaseFromEnv(env[TRANSFORM_ENV.geoDatabase]) };
}

/** Built once per container; a failed start is retried on the next call instead of being cached. */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
    return pending;
  };
}
