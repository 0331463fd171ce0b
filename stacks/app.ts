/**
 * Creates every stack of one environment. main.ts calls this and synthesizes;
 * tests call it with a Testing app.
 */
import type { App } from "cdktf";
import type { EnvironmentConfig } from "../config/schema";
import { PipelineStack } from "./pipeline-stack";
import { StateStack } from "./state-stack";

export interface AnalyticsStacks {
  readonly state: StateStack;
  readonly pipeline: PipelineStack;
}

export function createStacks(app: App, config: EnvironmentConfig): AnalyticsStacks {
  const state = new StateStack(app, "state", config);
  const pipeline = new PipelineStack(app, "pipeline", config);
  return { state, pipeline };
}
