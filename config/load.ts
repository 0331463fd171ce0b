/**
 * Reads and validates one environment's configuration. A bad value stops
 * synth with one line per problem, each naming the key and the reason.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as z from "zod";
import { EnvironmentConfig } from "./schema";

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
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

export const CONFIG_DIR = path.resolve(__dirname);

/** Load `config/<name>.json`. */
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
  return parseConfig(json, path.relative(process.cwd(), file) || file);
}
