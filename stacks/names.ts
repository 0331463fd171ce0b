/**
 * Resource naming, derived from the config so no name is written twice, and the one place the
 * stacks check a generated name against its AWS rule (config/aws-names.ts).
 */

import {
  ACCOUNT_ID_PLACEHOLDER,
  ACCOUNT_ID_SHOWN,
  AWS_NAME_RULES,
  AwsNameError,
  type NameKind,
  type NameRule,
  nameProblem,
} from "../config/aws-names";
import type { EnvironmentConfig } from "../config/schema";

type NameParts = Pick<EnvironmentConfig, "project" | "environment">;

/** `<project>-<environment>-<suffix>`, e.g. `webstats-dev-lake`. */
export function resourceName(config: NameParts, suffix: string): string {
  return `${config.project}-${config.environment}-${suffix}`;
}

/** Same, with underscores: Glue and Athena names may not contain hyphens. */
export function catalogName(config: NameParts, suffix: string): string {
  return resourceName(config, suffix).replace(/-/g, "_");
}

/** `<project>-<environment>-<suffix>-<account id>`: S3 names are global, the account id keeps them unique. */
export function accountBucketName(config: NameParts, suffix: string, accountId: string): string {
  return `${resourceName(config, suffix)}-${accountId}`;
}

/** The suffix of the default state bucket name. */
export const STATE_BUCKET_SUFFIX = "tfstate";

/**
 * The state bucket: `state.bucket`, or `<project>-<environment>-tfstate-<state.accountId>`. The backend block
 * cannot read data sources, so the account id comes from the config (required there with the S3 backend).
 */
export function stateBucketName(config: EnvironmentConfig): string {
  if (config.state.bucket) return config.state.bucket;
  if (!config.state.accountId) {
    // config/schema.ts rejects this combination; kept for configs built without it (tests).
    throw new Error('state.accountId is required with state.backend "s3" unless state.bucket is set');
  }
  return accountBucketName(config, STATE_BUCKET_SUFFIX, config.state.accountId);
}

/** A cdktf string token, e.g. `${TfToken[TOKEN.12]}`. */
const TOKEN = /\$\{TfToken\[[^\]]*\]\}/g;

/** A construct, as far as naming needs one (structural: tools import this module and must not load constructs). */
interface Scoped {
  readonly node: { readonly path: string; readonly root: object };
}

/** Apps whose name errors are being collected (createStacks reports the worst one, so its advice covers every name). */
const collecting = new WeakMap<object, AwsNameError[]>();

/**
 * Check a generated name against its AWS rule and return it unchanged; throws AwsNameError (one line,
 * naming `at`) when AWS would reject it, or records it while createStacks collects. A token in the name
 * is the account id (the only token a generated name holds): it counts as its 12 digits.
 */
export function checkName(kind: NameKind, name: string, at: Scoped | string): string {
  const measured = name.replace(TOKEN, ACCOUNT_ID_PLACEHOLDER);
  const problem = nameProblem(kind, measured);
  if (problem) {
    const rule: NameRule = AWS_NAME_RULES[kind];
    const where = typeof at === "string" ? at : at.node.path;
    const error = new AwsNameError(kind, name.replace(TOKEN, ACCOUNT_ID_SHOWN), problem, where, Math.max(0, measured.length - rule.max));
    const collected = typeof at === "string" ? undefined : collecting.get(at.node.root);
    if (!collected) throw error;
    collected.push(error);
  }
  return name;
}

/**
 * Run `build` (which creates the app's stacks) collecting every name error, then throw the one that needs the
 * shortest project/environment, told in terms of those config keys.
 */
export function withNamesChecked<T>(app: Scoped, config: NameParts, build: () => T): T {
  const errors: AwsNameError[] = [];
  collecting.set(app.node.root, errors);
  let result: T;
  try {
    result = build();
  } finally {
    collecting.delete(app.node.root);
  }
  const worst = errors.reduce<AwsNameError | undefined>((w, e) => (w === undefined || e.excess > w.excess ? e : w), undefined);
  if (worst) throw explainNameError(worst, config);
  return result;
}

/**
 * The same error, told in terms of the config keys that made the name: `project` and `environment`
 * prefix every generated name, so shortening them (together by `excess` characters) is the fix.
 */
function explainNameError(e: AwsNameError, config: NameParts): AwsNameError {
  if (e.excess === 0) return e;
  const together = config.project.length + config.environment.length;
  const fixed = new AwsNameError(e.kind, e.shownName, e.problem, e.where, e.excess);
  fixed.message =
    `config keys project ("${config.project}") and environment ("${config.environment}") are ${together} characters together: ` +
    `the ${AWS_NAME_RULES[e.kind].what} "${e.shownName}" ${e.problem}; keep project and environment to ${together - e.excess} characters together ` +
    `(${AWS_NAME_RULES[e.kind].source})`;
  return fixed;
}
