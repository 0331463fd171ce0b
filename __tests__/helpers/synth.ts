import { type App, type TerraformStack, Testing } from "cdktf";

/** Synthesized Terraform JSON of a stack, parsed. */
export function synthJson(stack: TerraformStack): TfJson {
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

export interface TfJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  terraform: { backend?: Record<string, Record<string, unknown>> };
  [key: string]: unknown;
}

/** All resources of one type, as a list of their configurations. */
export function resourcesOfType(json: TfJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** A fresh Testing app (temporary outdir, stubbed version). */
export function testApp(): App {
  return Testing.app();
}

import * as path from "node:path";

/** The fixture bundle directory synth tests deploy instead of a real build. */
export const FIXTURE_BUNDLE_DIR = path.resolve(__dirname, "../fixtures/bundle");
export const fixtureBundles = { handlerBundleDir: () => FIXTURE_BUNDLE_DIR };
