/** Resource naming, derived from the config so no name is written twice. */
import type { EnvironmentConfig } from "../config/schema";

/** `<project>-<environment>-<suffix>`, e.g. `webstats-dev-lake`. */
export function resourceName(config: Pick<EnvironmentConfig, "project" | "environment">, suffix: string): string {
  return `${config.project}-${config.environment}-${suffix}`;
}

/** Same, with underscores: Glue and Athena names may not contain hyphens. */
export function catalogName(config: Pick<EnvironmentConfig, "project" | "environment">, suffix: string): string {
  return resourceName(config, suffix).replace(/-/g, "_");
}

export function stateBucketName(config: EnvironmentConfig): string {
  return config.state.bucket ?? resourceName(config, "tfstate");
}
