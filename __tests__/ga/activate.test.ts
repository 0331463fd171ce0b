/**
 * `npm run ga:activate` against a mocked AppFlow client (aws-sdk-client-mock):
 * AppFlow cannot run here, so these tests check which calls the script makes
 * and what it concludes from AppFlow's answers, not AppFlow itself.
 */

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { AppflowClient, DescribeFlowCommand, ResourceNotFoundException, StartFlowCommand } from "@aws-sdk/client-appflow";
import { mockClient } from "aws-sdk-client-mock";
import { activateGaFlow } from "../../scripts/ga-activate";

const FLOW = "webstats-prod-ga4-report";
const appflow = mockClient(AppflowClient);

beforeEach(() => appflow.reset());

describe("ga:activate (mocked AppFlow: it cannot run here)", () => {
  it("starts a Draft flow, as Terraform leaves scheduled flows, and reports the new status", async () => {
    appflow.on(DescribeFlowCommand, { flowName: FLOW }).resolves({ flowName: FLOW, flowStatus: "Draft" });
    appflow
      .on(StartFlowCommand, { flowName: FLOW })
      .resolves({ flowArn: `arn:aws:appflow:eu-west-1:123456789012:flow/${FLOW}`, flowStatus: "Active" });

    await expect(activateGaFlow(new AppflowClient({ region: "eu-west-1" }), FLOW)).resolves.toEqual({
      outcome: "started",
      flowName: FLOW,
      flowStatus: "Active",
      executionId: undefined,
    });
    expect(appflow.commandCalls(StartFlowCommand).map((c) => c.args[0].input)).toEqual([{ flowName: FLOW }]);
  });

  it.each(["Suspended", "Errored"] as const)("restarts a %s flow", async (status) => {
    appflow.on(DescribeFlowCommand).resolves({ flowStatus: status });
    appflow.on(StartFlowCommand).resolves({ flowStatus: "Active" });
    await expect(activateGaFlow(new AppflowClient({}), FLOW)).resolves.toMatchObject({ outcome: "started" });
    expect(appflow.commandCalls(StartFlowCommand)).toHaveLength(1);
  });

  it("leaves an active flow alone (running it twice is safe)", async () => {
    appflow.on(DescribeFlowCommand).resolves({ flowStatus: "Active" });
    await expect(activateGaFlow(new AppflowClient({}), FLOW)).resolves.toEqual({ outcome: "already-active", flowName: FLOW });
    expect(appflow.commandCalls(StartFlowCommand)).toHaveLength(0);
  });

  it("says to deploy first when the flow does not exist", async () => {
    appflow.on(DescribeFlowCommand).rejects(new ResourceNotFoundException({ message: "Flow not found", $metadata: {} }));
    await expect(activateGaFlow(new AppflowClient({}), FLOW)).rejects.toThrow(
      `flow ${FLOW} does not exist in this account and region: deploy the pipeline stack first`,
    );
    expect(appflow.commandCalls(StartFlowCommand)).toHaveLength(0);
  });

  it("refuses a deleted or deprecated flow instead of calling StartFlow", async () => {
    appflow.on(DescribeFlowCommand).resolves({ flowStatus: "Deprecated" });
    await expect(activateGaFlow(new AppflowClient({}), FLOW)).rejects.toThrow(`flow ${FLOW} is Deprecated and cannot be started`);
    expect(appflow.commandCalls(StartFlowCommand)).toHaveLength(0);
  });

  it("passes other AppFlow errors through unchanged", async () => {
    appflow.on(DescribeFlowCommand).resolves({ flowStatus: "Draft" });
    appflow.on(StartFlowCommand).rejects(new Error("AccessDeniedException: not authorized to perform appflow:StartFlow"));
    await expect(activateGaFlow(new AppflowClient({}), FLOW)).rejects.toThrow(/not authorized to perform appflow:StartFlow/);
  });
});

describe("ga:activate on a configuration without the import", () => {
  it("stops before calling AWS and says why the import is off", () => {
    const root = path.resolve(__dirname, "../..");
    const run = spawnSync(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/ga-activate.ts", "--env", "dev"], {
      cwd: root,
      encoding: "utf8",
      // No credentials or region: any AWS call would fail loudly instead of passing silently.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      "error: the Google Analytics 4 import is off in this configuration: the config sets no ga.propertyId and no ga.auth (see docs/ga-import.md)",
    );
  });
});
