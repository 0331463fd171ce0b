/**
 * Offline `terraform validate` of every synthesized stack.
 *
 * Writes a Terraform CLI config whose only provider source is the filesystem
 * mirror the machine ships (nothing is fetched directly), then runs
 * `terraform init -backend=false` and `terraform validate` in each stack
 * directory of cdktf.out. Where terraform or the mirror is missing it prints
 * one loud line saying what it skipped and why; under CI that is a failure.
 *
 * Usage: tsx scripts/validate.ts [--out cdktf.out]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

const MIRROR_CANDIDATES = [
  process.env.TF_PROVIDER_MIRROR,
  "/opt/tf-plugins",
  "/usr/share/terraform/plugins",
  "/usr/local/share/terraform/plugins",
  path.join(process.env.HOME ?? "/root", ".terraform.d/plugins"),
].filter((p): p is string => Boolean(p));

export function findMirror(candidates = MIRROR_CANDIDATES): string | undefined {
  return candidates.find((dir) => existsSync(path.join(dir, "registry.terraform.io/hashicorp/aws")));
}

export function cliConfig(mirror: string): string {
  return [
    "# Written by scripts/validate.ts: providers come only from the local mirror.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    "  }",
    "}",
    "",
  ].join("\n");
}

function skip(reason: string): never {
  const line = `!!! TERRAFORM VALIDATE SKIPPED: ${reason} !!!`;
  console.error(line);
  process.exit(process.env.CI === "true" ? 1 : 0);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8" });
}

function main(): void {
  const outIdx = process.argv.indexOf("--out");
  const out = path.resolve(outIdx > 0 ? (process.argv[outIdx + 1] ?? "cdktf.out") : "cdktf.out");
  const stacksDir = path.join(out, "stacks");
  if (!existsSync(stacksDir)) {
    console.error(`no synthesized stacks in ${stacksDir}: run npm run synth first`);
    process.exit(1);
  }
  const version = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) skip("no terraform binary on PATH");
  const mirror = findMirror();
  if (!mirror) skip(`no AWS provider mirror in ${MIRROR_CANDIDATES.join(", ")} (set TF_PROVIDER_MIRROR)`);

  mkdirSync(out, { recursive: true });
  const rc = path.join(out, "terraform-offline.tfrc");
  writeFileSync(rc, cliConfig(mirror));
  const { TF_PLUGIN_CACHE_DIR: _cache, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };

  const stacks = readdirSync(stacksDir).filter((d) => existsSync(path.join(stacksDir, d, "cdk.tf.json")));
  let failed = 0;
  for (const stack of stacks) {
    const dir = path.join(stacksDir, stack);
    const init = run("terraform", ["init", "-backend=false", "-input=false", "-no-color"], dir, env);
    if (init.status !== 0) {
      failed++;
      console.error(`[${stack}] terraform init failed:\n${init.stdout}${init.stderr}`);
      continue;
    }
    const validate = run("terraform", ["validate", "-no-color"], dir, env);
    const text = `${validate.stdout}${validate.stderr}`.trim();
    if (validate.status !== 0) failed++;
    console.log(`[${stack}] ${text}`);
  }
  if (stacks.length === 0) {
    console.error("no stacks to validate");
    process.exit(1);
  }
  console.log(`terraform validate: ${stacks.length - failed} of ${stacks.length} stacks valid (mirror ${mirror})`);
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();
