/**
 * Where the visitor-id key comes from: an SSM SecureString parameter (in AWS)
 * or an environment variable (local runs). Never from code.
 */
import { TRANSFORM_ENV } from "./env";

/** The one SSM call this needs; the real SSMClient satisfies it. */
export interface ParameterReader {
  getSecureString(name: string): Promise<string | undefined>;
}

export async function loadVisitorKey(env: Record<string, string | undefined>, ssm: () => ParameterReader): Promise<string> {
  const parameter = env[TRANSFORM_ENV.visitorKeyParam];
  if (parameter) {
    let value: string | undefined;
    try {
      value = await ssm().getSecureString(parameter);
    } catch (e) {
      throw new Error(`cannot read the visitor-id key from SSM parameter ${parameter}: ${(e as Error).message}`);
    }
    if (!value) throw new Error(`SSM parameter ${parameter} (${TRANSFORM_ENV.visitorKeyParam}) has no value`);
    return value;
  }
  const direct = env[TRANSFORM_ENV.visitorKey];
  if (direct) return direct;
  throw new Error(
    `no visitor-id key: set ${TRANSFORM_ENV.visitorKeyParam} (an SSM SecureString parameter name) or ${TRANSFORM_ENV.visitorKey}`,
  );
}

/** GEOIP_DATABASE: comma-separated files, `none` for no GeoIP, unset for the config's choice. */
export function geoDatabaseFromEnv(value: string | undefined): readonly string[] | false | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (value.trim().toLowerCase() === "none") return false;
  return value
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
}
