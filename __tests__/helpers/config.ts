import { parseConfig } from "../../config/load";
import type { EnvironmentConfig, EnvironmentConfigInput } from "../../config/schema";

/** A valid test environment; override any part. */
export function testConfig(overrides: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", ...overrides }, "test config");
}
