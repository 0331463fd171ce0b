/**
 * The cdktf app: load one environment's configuration, bring the Lambda bundles up to date, create its stacks,
 * synthesize. Choose the environment with ANALYTICS_ENV or the cdktf context `env` (default `dev`);
 * ANALYTICS_CONFIG_DIR points at another folder of config files (default config/).
 *
 * The bundle check reads only the bundles' input records (config/bundle-record.ts), so a synth with nothing
 * changed is this one process. When a bundle is stale, it runs `npm run build:handlers` as a child process:
 * synth never loads the bundler itself.
 */
import { spawnSync } from "node:child_process";
import { App } from "cdktf";
import { staleReason } from "./config/bundle-record";
import { BUILD_HANDLERS_COMMAND, bundleDir, HANDLER_NAMES, REPO_ROOT } from "./config/handler-bundles";
import { ConfigError, loadConfig } from "./config/load";
import { createStacks } from "./stacks/app";

/** Build the stale bundles (all of them with a reason each), or say in one line that all are up to date. */
function ensureBundles(): void {
  const stale = HANDLER_NAMES.flatMap((name) => {
    const reason = staleReason(bundleDir(name));
    return reason ? [`${name} (${reason})`] : [];
  });
  if (stale.length === 0) {
    console.log(`Handler bundles: up to date with their sources (${HANDLER_NAMES.join(", ")})`);
    return;
  }
  console.log(`Handler bundles: stale, building: ${stale.join(", ")}`);
  // The build prints its own one-line error; its exit code is synth's.
  const build = spawnSync(BUILD_HANDLERS_COMMAND, { cwd: REPO_ROOT, shell: true, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// cdktf records a stack trace for every token it creates; with source maps on (tsx turns them on) each one is mapped
// back to TypeScript, a third of synth's time. Off while building the stacks, on again for an error's stack trace.
process.setSourceMapsEnabled(false);
const app = new App({ stackTraces: false });
const env = process.env.ANALYTICS_ENV ?? (app.node.tryGetContext("env") as string | undefined) ?? "dev";
try {
  // Config first: a bad value stops synth in a moment, before any build.
  const config = loadConfig(env, process.env.ANALYTICS_CONFIG_DIR);
  ensureBundles();
  createStacks(app, config);
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
  process.setSourceMapsEnabled(true);
  throw e;
}
