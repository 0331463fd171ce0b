/**
 * The cdktf app: load one environment's configuration, create its stacks, synthesize.
 * Choose the environment with ANALYTICS_ENV or the cdktf context `env` (default `dev`);
 * ANALYTICS_CONFIG_DIR points at another folder of config files (default config/).
 */
import { App } from "cdktf";
import { ConfigError, loadConfig } from "./config/load";
import { createStacks } from "./stacks/app";

const app = new App();
const env = process.env.ANALYTICS_ENV ?? (app.node.tryGetContext("env") as string | undefined) ?? "dev";
try {
  createStacks(app, loadConfig(env, process.env.ANALYTICS_CONFIG_DIR));
  app.synth();
} catch (e) {
  // Errors the user fixes by config or by a command print one line; anything else keeps its stack trace.
  if (
    e instanceof ConfigError ||
    (e instanceof Error && (e.name === "RuleViolationError" || e.name === "MissingBundleError" || e.name === "AwsNameError"))
  ) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
