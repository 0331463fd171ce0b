/**
 * Activates the Google Analytics 4 import after deploy.
 *
 * Terraform creates AppFlow flows with CreateFlow only, so a scheduled flow
 * stays in Draft and never runs until someone calls StartFlow. This script
 * does that for the flow of one environment: it reads the flow's status and
 * starts it unless it is already active. Safe to run again.
 *
 * Usage: npm run ga:activate [-- --env <name>]   (default: ANALYTICS_ENV, else dev; `--help` for more)
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { AppflowClient, DescribeFlowCommand, type FlowStatus, ResourceNotFoundException, StartFlowCommand } from "@aws-sdk/client-appflow";
import { gaImportStatus } from "../config/ga";
import { CONFIG_DIR, loadConfig } from "../config/load";
import { type CliSpec, parseCli, runMain, UsageError } from "../local/cli";
import { GA_FLOW_SUFFIX } from "../schemas/ga";
import { resourceName } from "../stacks/names";

export type ActivationResult =
  | { readonly outcome: "started"; readonly flowName: string; readonly flowStatus: FlowStatus | undefined; readonly executionId?: string }
  | { readonly outcome: "already-active"; readonly flowName: string };

export class ActivationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ActivationError";
  }
}

/** Statuses StartFlow can (re)activate; Active needs nothing, Deprecated and Deleted cannot run again. */
const STARTABLE: readonly (FlowStatus | undefined)[] = ["Draft", "Suspended", "Errored"];

/** Start the flow unless it is active; errors say what to do. */
export async function activateGaFlow(client: Pick<AppflowClient, "send">, flowName: string): Promise<ActivationResult> {
  let status: FlowStatus | undefined;
  try {
    status = (await client.send(new DescribeFlowCommand({ flowName }))).flowStatus;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) {
      throw new ActivationError(`flow ${flowName} does not exist in this account and region: deploy the pipeline stack first`);
    }
    throw e;
  }
  if (status === "Active") return { outcome: "already-active", flowName };
  if (!STARTABLE.includes(status)) throw new ActivationError(`flow ${flowName} is ${status ?? "in no known status"} and cannot be started`);
  const started = await client.send(new StartFlowCommand({ flowName }));
  return { outcome: "started", flowName, flowStatus: started.flowStatus, executionId: started.executionId };
}

export const GA_ACTIVATE_CLI: CliSpec = {
  usage: "npm run ga:activate [-- --env NAME]",
  summary:
    "Starts the Google Analytics 4 import flow of one environment after deploy (Terraform leaves a scheduled AppFlow flow\n" +
    "in Draft). Does nothing when the flow is already active; safe to run again. Uses the AWS credentials of the shell.",
  flags: {
    env: { value: "NAME", help: "environment, config/NAME.json (default: ANALYTICS_ENV, else dev)" },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(GA_ACTIVATE_CLI, process.argv.slice(2));
  const env = flags.string("env");
  const dir = process.env.ANALYTICS_CONFIG_DIR ?? CONFIG_DIR;
  if (env !== undefined && !existsSync(path.join(dir, `${env}.json`)))
    throw new UsageError(`--env: no configuration file ${path.relative(process.cwd(), path.join(dir, `${env}.json`))}`);
  const config = loadConfig(env ?? process.env.ANALYTICS_ENV ?? "dev", dir);
  const ga = gaImportStatus(config.ga);
  if (!ga.on) throw new ActivationError(`the Google Analytics 4 import is off in this configuration: ${ga.reason}`);
  const flowName = resourceName(config, GA_FLOW_SUFFIX);
  const result = await activateGaFlow(new AppflowClient({ region: config.region }), flowName);
  console.log(
    result.outcome === "already-active"
      ? `flow ${flowName} is already active; nothing to do`
      : `started flow ${flowName}: status ${result.flowStatus ?? "unknown"}${result.executionId ? `, execution ${result.executionId}` : ""}`,
  );
}

if (require.main === module) runMain(main);
