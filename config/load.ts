/**
 * Reads and validates one environment's configuration. A bad value stops
 * synth with one line per problem, each naming the key and the reason.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as z from "zod";
import { EnvironmentConfig, routeProblems } from "./schema";

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function keyPath(p: readonly PropertyKey[]): string {
  return p.length === 0 ? "(root)" : p.map(String).join(".");
}

/** One readable line per zod issue: `realtimeLogs.samplingRate: Too small: expected number to be >=1`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`);
    }
    return [`${keyPath(issue.path)}: ${issue.message}`];
  });
}

/** Validate a parsed config object; `source` names it in errors. */
export function parseConfig(input: unknown, source = "config"): EnvironmentConfig {
  const result = EnvironmentConfig.safeParse(input);
  const problems = [...routeProblems(input), ...(result.success ? [] : formatIssues(result.error.issues))];
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return result.data;
}

export const CONFIG_DIR = path.resolve(__dirname);

/** Load `config/<name>.json`, whose `environment` must be `name`. */
export function loadConfig(name: string, dir: string = CONFIG_DIR): EnvironmentConfig {
  if (!/^[a-z0-9-]+$/.test(name)) throw new ConfigError(name, [`environment name must be lower-case letters, digits and hyphens: ${name}`]);
  const file = path.join(dir, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(file, [`no configuration file for environment "${name}"`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  const source = path.relative(process.cwd(), file) || file;
  // The name selects the file; the file's `environment` names state paths and every resource. Were they to
  // differ, synth would build one environment's resources from another's file.
  const declared = (json as { environment?: unknown } | null)?.environment;
  const mismatch =
    typeof declared === "string" && declared !== name
      ? `environment: "${declared}" in ${source} differs from the selected environment "${name}" (ANALYTICS_ENV, the cdktf context \`env\` or --env); they must be equal`
      : undefined;
  const result = EnvironmentConfig.safeParse(json);
  const problems = [...(mismatch ? [mismatch] : []), ...routeProblems(json), ...(result.success ? [] : formatIssues(result.error.issues))];
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return result.data;
}
