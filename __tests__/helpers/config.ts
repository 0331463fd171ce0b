import { ConfigError, parseConfig } from "../../config/load";
import type { EnvironmentConfig, EnvironmentConfigInput } from "../../config/schema";

/** A valid test environment; override any part. */
export function testConfig(overrides: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", ...overrides }, "test config");
}

/** The smallest valid environment config input; spread it and change one key. */
export const BASE_CONFIG = { project: "webstats", environment: "dev", region: "eu-west-1" } as const;

/** The problems parseConfig reports for an input it must reject (fails the test if it accepts it). */
export function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the config to be rejected");
}
