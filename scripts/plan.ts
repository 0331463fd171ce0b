/**
 * `npm run plan`: a real `terraform plan` of every stack of every shipped config, offline.
 *
 * For each config/<name>.json: build the Lambda bundles, synthesize into <out>/<name>/, then per stack, in
 * the order the stacks read each other's outputs:
 * - write `plan_override.tf.json` beside cdk.tf.json (Terraform merges `*_override.tf.json` files over the
 *   configuration, so what users deploy is unchanged): throwaway credentials, a local backend inside the
 *   plan folder (the plan never reads or locks the real state under terraform-state/), and every
 *   terraform_remote_state pointed at a seeded state file holding the outputs the producing stack would
 *   publish;
 * - `terraform init` against the offline provider mirror (the CLI config scripts/validate.ts writes), one
 *   `.terraform` per stack so it works in a clean clone;
 * - `terraform plan` with every AWS endpoint at a loopback stub (scripts/plan-stub.ts; `AWS_ENDPOINT_URL`
 *   sets all of them, per the provider's "Custom Service Endpoints" guide), then `terraform show -json`
 *   into plan.json and a short summary (resources to add, by type) into plan.txt;
 * - seed <out>/<name>/seed/<stack>.tfstate from the plan: known output values as planned, known-after-apply
 *   ones as recognisable placeholders (an ARN stays an ARN).
 * Exits 1 when any synth, init or plan fails, naming config and stack.
 */
import { type SpawnOptions, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type CliSpec, parseCli, runMain, UsageError } from "../local/cli";
import { PLAN_ACCOUNT_ID, type PlanStub, startPlanStub } from "./plan-stub";
import { cliConfig, findMirror } from "./validate";

const ROOT = path.resolve(__dirname, "..");
/** The file Terraform merges over cdk.tf.json; the `_override.tf.json` suffix is what makes it an override. */
export const OVERRIDE_FILE = "plan_override.tf.json";
/** Auto-loaded by terraform: throwaway values for the variables a user passes at deploy (e.g. the GA OAuth secrets). */
export const VARS_FILE = "plan.auto.tfvars.json";
export const PLAN_JSON = "plan.json";
export const PLAN_SUMMARY = "plan.txt";
/** cdktf names the data source a stack reads another stack's outputs through `cross-stack-reference-input-<stack>`. */
const REMOTE_STATE_PREFIX = "cross-stack-reference-input-";

export const CLI: CliSpec = {
  usage: "npm run plan -- [--config NAMES] [--stack NAMES] [--out DIR]",
  summary:
    "Real `terraform plan` of every stack of every config/*.json, offline: mirrored provider, throwaway credentials, AWS endpoints at a loopback stub. Writes <out>/<config>/stacks/<stack>/plan.json and plan.txt.",
  flags: {
    config: { value: "NAMES", help: "comma-separated config names (config/<name>.json); default: every config/*.json" },
    stack: { value: "NAMES", help: "comma-separated stacks to plan, plus the stacks they read outputs from; default: all" },
    out: { value: "DIR", help: "where to synthesize and write the plans; default cdktf.out/plan" },
  },
  epilog: "Needs terraform and the AWS provider mirror (TF_PROVIDER_MIRROR, default /opt/tf-plugins). Details: docs/deploy.md#plan.",
};

/** The directory of config files: ANALYTICS_CONFIG_DIR, as main.ts reads it, or config/. */
export function configDir(): string {
  return path.resolve(process.env.ANALYTICS_CONFIG_DIR ?? path.join(ROOT, "config"));
}

/** Every shipped config: each `<name>.json` in the config directory (derived, never listed by hand). */
export function shippedConfigs(dir = configDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Asynchronous on purpose: the stub answers terraform from this process's event loop. */
function run(cmd: string, args: string[], options: SpawnOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, "utf8")) as Json;
}

/** The stacks of a synthesized app: folders of <dir>/stacks holding cdk.tf.json. */
export function synthesizedStacks(synthDir: string): string[] {
  const stacksDir = path.join(synthDir, "stacks");
  if (!existsSync(stacksDir)) return [];
  return readdirSync(stacksDir)
    .filter((d) => existsSync(path.join(stacksDir, d, "cdk.tf.json")))
    .sort();
}

/** The stacks one stack reads outputs from (its terraform_remote_state data sources). */
export function stackInputs(tf: Json): string[] {
  const remote = ((tf.data as Json | undefined)?.terraform_remote_state ?? {}) as Json;
  return Object.keys(remote).map((name) => {
    if (!name.startsWith(REMOTE_STATE_PREFIX)) throw new Error(`terraform_remote_state.${name}: not a cdktf cross-stack reference`);
    return name.slice(REMOTE_STATE_PREFIX.length);
  });
}

/** Stacks in an order where each comes after the stacks it reads; `wanted` narrows it to them and what they read. */
export function planOrder(inputs: ReadonlyMap<string, readonly string[]>, wanted?: readonly string[]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (stack: string, from?: string): void => {
    if (order.includes(stack)) return;
    const deps = inputs.get(stack);
    if (!deps) throw new Error(from ? `stack ${from} reads outputs of ${stack}, which was not synthesized` : `no stack ${stack}`);
    if (visiting.has(stack)) throw new Error(`stacks read each other's outputs in a cycle through ${stack}`);
    visiting.add(stack);
    for (const dep of deps) visit(dep, stack);
    visiting.delete(stack);
    order.push(stack);
  };
  for (const stack of wanted ?? [...inputs.keys()].sort()) visit(stack);
  return order;
}

/** The Terraform type of a JSON value, as a state file's output `type` spells it. */
function tfType(value: unknown): unknown {
  if (typeof value === "string" || value === null) return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(tfType)];
  return ["object", Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, tfType(v)]))];
}

/**
 * A stand-in for an output that is known only after apply, shaped like the real thing where consumers check the
 * shape: an ARN for `arn`/`*_arn`, an https URL for `*endpoint`/`*url`, otherwise a `seed-` string. `expression`
 * is the output's value in cdk.tf.json, e.g. `${aws_kinesis_stream.stream_1234.arn}`.
 */
export function placeholder(outputName: string, expression: string, region: string): string {
  const ref = /^\$\{aws_([a-z0-9]+)_?([a-z0-9_]*)\.[^.]+\.([a-z0-9_]+)\}$/.exec(expression);
  const service = ref?.[1] ?? "unknown";
  const attribute = ref?.[3] ?? outputName;
  const tag = createHash("sha256").update(outputName).digest("hex").slice(0, 10);
  if (attribute === "arn" || attribute.endsWith("_arn"))
    return `arn:aws:${service}:${region}:${PLAN_ACCOUNT_ID}:${ref?.[2] || service}/seed-${tag}`;
  if (attribute.endsWith("endpoint") || attribute.endsWith("url")) return `https://seed${tag}.${service}.${region}.amazonaws.com`;
  return `seed-${tag}`;
}

interface PlanJson {
  planned_values?: { outputs?: Record<string, { value?: unknown; sensitive?: boolean }> };
  output_changes?: Record<string, { after_unknown?: unknown }>;
  resource_changes?: { type: string; address: string; change: { actions: string[] } }[];
}

/** The state file a consumer's terraform_remote_state reads: the producer's planned outputs, placeholders where unknown. */
export function seedState(tf: Json, plan: PlanJson, terraformVersion: string, region: string): { state: Json; placeholders: number } {
  const declared = (tf.output ?? {}) as Record<string, { value?: unknown }>;
  const planned = plan.planned_values?.outputs ?? {};
  let placeholders = 0;
  const outputs: Json = {};
  for (const [name, decl] of Object.entries(declared)) {
    const known = planned[name]?.value;
    const unknown = plan.output_changes?.[name]?.after_unknown === true || known === undefined;
    let value: unknown = known;
    if (unknown) {
      placeholders++;
      value = placeholder(name, typeof decl.value === "string" ? decl.value : "", region);
    }
    outputs[name] = { value, type: tfType(value), ...(planned[name]?.sensitive ? { sensitive: true } : {}) };
  }
  return {
    state: {
      version: 4,
      terraform_version: terraformVersion,
      serial: 1,
      lineage: "plan-seed",
      outputs,
      resources: [],
      check_results: null,
    },
    placeholders,
  };
}

/** The override file: throwaway credentials, a plan-local backend, remote state from the seeds. */
export function overrideFor(tf: Json, stackDir: string, seedDir: string): Json {
  const providers = ((tf.provider as Json | undefined)?.aws ?? [{}]) as Json[];
  const remote = Object.keys(((tf.data as Json | undefined)?.terraform_remote_state ?? {}) as Json);
  return {
    "//": "Written by scripts/plan.ts for an offline plan; not part of what cdktf deploy applies.",
    terraform: { backend: { local: { path: path.join(stackDir, "plan.tfstate") } } },
    provider: {
      aws: providers.map((p) => ({
        ...(p.alias ? { alias: p.alias } : {}),
        access_key: "plan-offline",
        secret_key: "plan-offline",
        // The region stays validated against the provider's list; only the credential and metadata lookups go.
        skip_credentials_validation: true,
        skip_metadata_api_check: true,
        max_retries: 1,
      })),
    },
    ...(remote.length
      ? {
          data: {
            terraform_remote_state: Object.fromEntries(
              remote.map((name) => [
                name,
                { backend: "local", config: { path: path.join(seedDir, `${name.slice(REMOTE_STATE_PREFIX.length)}.tfstate`) } },
              ]),
            ),
          },
        }
      : {}),
  };
}

/**
 * A throwaway value for every variable without a default (the GA import's OAuth secrets are such variables: the
 * user passes them at deploy). Strings get `plan-offline-<name>`, which passes a non-empty validation.
 */
export function throwawayVars(tf: Json): Json {
  const vars = (tf.variable ?? {}) as Record<string, { default?: unknown; type?: string }>;
  const values: Json = {};
  for (const [name, v] of Object.entries(vars)) {
    if (v.default !== undefined) continue;
    if (v.type === undefined || v.type === "string") values[name] = `plan-offline-${name}`;
    else if (v.type === "number") values[name] = 1;
    else if (v.type === "bool") values[name] = false;
    else throw new Error(`variable ${name}: no throwaway value for type ${JSON.stringify(v.type)}; add one in scripts/plan.ts`);
  }
  return values;
}

/** Resources to add/change/destroy, and the added ones by type. */
export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly addByType: Readonly<Record<string, number>>;
}

export function countChanges(plan: PlanJson): PlanCounts {
  let add = 0;
  let change = 0;
  let destroy = 0;
  const addByType: Record<string, number> = {};
  for (const rc of plan.resource_changes ?? []) {
    const a = rc.change.actions;
    if (a.includes("create")) {
      add++;
      addByType[rc.type] = (addByType[rc.type] ?? 0) + 1;
    }
    if (a.includes("delete")) destroy++;
    if (a.includes("update")) change++;
  }
  return { add, change, destroy, addByType };
}

export function summaryText(label: string, counts: PlanCounts, placeholders: number): string {
  const types = Object.entries(counts.addByType).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(0, ...types.map(([t]) => t.length));
  return [
    `${label}: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy`,
    ...types.map(([t, n]) => `  + ${t.padEnd(width)} ${n}`),
    ...(placeholders ? [`  (${placeholders} known-after-apply outputs seeded with placeholders for the stacks that read them)`] : []),
    "",
  ].join("\n");
}

export interface StackPlan {
  readonly config: string;
  readonly stack: string;
  readonly ok: boolean;
  /** plan.json, when the plan succeeded. */
  readonly planFile?: string;
  readonly counts?: PlanCounts;
  /** What failed, when it did: the step and terraform's output. */
  readonly error?: string;
}

export interface PlanEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly terraformVersion: string;
  readonly stub: PlanStub;
}

/** The environment terraform runs in: offline CLI config, no real AWS credentials or config, endpoints at the stub. */
export async function planEnvironment(rcDir: string): Promise<PlanEnvironment> {
  const mirror = findMirror();
  if (!mirror) throw new Error("no AWS provider mirror found (set TF_PROVIDER_MIRROR); see scripts/validate.ts");
  const version = await run("terraform", ["version", "-json"], {});
  if (version.code !== 0) throw new Error(`terraform not runnable: ${version.stderr.trim() || "not on PATH"}`);
  const terraformVersion = String((JSON.parse(version.stdout) as Json).terraform_version);
  mkdirSync(rcDir, { recursive: true });
  const rc = path.join(rcDir, "terraform-offline.tfrc");
  writeFileSync(rc, cliConfig(mirror));
  // Nothing of the user's AWS setup may reach the plan: no profile, keys, config files or endpoint settings, and no
  // TF_VAR_ secrets (plan.json records variable values).
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_") && !k.startsWith("TF_VAR_") && k !== "TF_PLUGIN_CACHE_DIR"),
  );
  const stub = await startPlanStub();
  const empty = path.join(rcDir, "aws-empty-config");
  writeFileSync(empty, "");
  return {
    terraformVersion,
    stub,
    env: {
      ...inherited,
      TF_CLI_CONFIG_FILE: rc,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      AWS_ENDPOINT_URL: stub.url,
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  };
}

function firstRegion(tf: Json): string {
  const providers = ((tf.provider as Json | undefined)?.aws ?? []) as Json[];
  return String(providers.find((p) => !p.alias)?.region ?? providers[0]?.region ?? "us-east-1");
}

/** Plan the stacks of one synthesized app (`<synthDir>/stacks/*`), producers before the stacks that read them. */
export async function planSynthesized(
  config: string,
  synthDir: string,
  planEnv: PlanEnvironment,
  wanted?: readonly string[],
  log: (line: string) => void = () => {},
): Promise<StackPlan[]> {
  const stacks = synthesizedStacks(synthDir);
  if (stacks.length === 0) return [{ config, stack: "*", ok: false, error: `no synthesized stacks in ${synthDir}` }];
  const tfOf = new Map(stacks.map((s) => [s, readJson(path.join(synthDir, "stacks", s, "cdk.tf.json"))]));
  const inputs = new Map(stacks.map((s) => [s, stackInputs(tfOf.get(s) as Json)]));
  const unknown = (wanted ?? []).filter((s) => !inputs.has(s));
  if (unknown.length) return [{ config, stack: unknown.join(","), ok: false, error: `no such stack; synthesized: ${stacks.join(", ")}` }];
  const seedDir = path.join(synthDir, "seed");
  rmSync(seedDir, { recursive: true, force: true });
  mkdirSync(seedDir, { recursive: true });

  const results: StackPlan[] = [];
  const failed = new Set<string>();
  for (const stack of planOrder(inputs, wanted)) {
    const dir = path.join(synthDir, "stacks", stack);
    const tf = tfOf.get(stack) as Json;
    const fail = (error: string): void => {
      failed.add(stack);
      results.push({ config, stack, ok: false, error });
      log(`[${config}/${stack}] FAILED: ${error}`);
    };
    const blocked = (inputs.get(stack) ?? []).filter((d) => failed.has(d));
    if (blocked.length) {
      fail(`not planned: it reads outputs of ${blocked.join(", ")}, whose plan failed`);
      continue;
    }
    writeFileSync(path.join(dir, OVERRIDE_FILE), `${JSON.stringify(overrideFor(tf, dir, seedDir), null, 2)}\n`);
    let vars: Json;
    try {
      vars = throwawayVars(tf);
    } catch (e) {
      fail((e as Error).message);
      continue;
    }
    rmSync(path.join(dir, VARS_FILE), { force: true });
    if (Object.keys(vars).length) writeFileSync(path.join(dir, VARS_FILE), `${JSON.stringify(vars, null, 2)}\n`);
    for (const stale of ["plan.tfstate", "tfplan", PLAN_JSON, PLAN_SUMMARY]) rmSync(path.join(dir, stale), { force: true });
    const opts = { cwd: dir, env: planEnv.env };
    const init = await run("terraform", ["init", "-input=false", "-no-color", "-reconfigure"], opts);
    if (init.code !== 0) {
      fail(`terraform init failed:\n${init.stdout}${init.stderr}`.trim());
      continue;
    }
    const plan = await run("terraform", ["plan", "-input=false", "-no-color", "-lock=false", "-out=tfplan"], opts);
    if (plan.code !== 0) {
      fail(`terraform plan failed:\n${plan.stderr || plan.stdout}`.trim());
      continue;
    }
    const show = await run("terraform", ["show", "-json", "-no-color", "tfplan"], opts);
    if (show.code !== 0) {
      fail(`terraform show failed:\n${show.stderr}`.trim());
      continue;
    }
    const planFile = path.join(dir, PLAN_JSON);
    writeFileSync(planFile, show.stdout);
    const planJson = JSON.parse(show.stdout) as PlanJson;
    const { state, placeholders } = seedState(tf, planJson, planEnv.terraformVersion, firstRegion(tf));
    writeFileSync(path.join(seedDir, `${stack}.tfstate`), `${JSON.stringify(state, null, 2)}\n`);
    const counts = countChanges(planJson);
    const summary = summaryText(`${config}/${stack}`, counts, placeholders);
    writeFileSync(path.join(dir, PLAN_SUMMARY), summary);
    log(summary.trimEnd());
    results.push({ config, stack, ok: true, planFile, counts });
  }
  return results;
}

/** Synthesize one config into `synthDir` with the app command (main.ts), as cdktf would. */
async function synthesize(config: string, synthDir: string): Promise<RunResult> {
  rmSync(synthDir, { recursive: true, force: true });
  // As `npm run synth` runs it: one node process with the tsx loader, not the tsx wrapper's second one.
  return run(process.execPath, ["--import", "tsx", path.join(ROOT, "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, ANALYTICS_ENV: config, CDKTF_OUTDIR: synthDir },
  });
}

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(): Promise<void> {
  const flags = parseCli(CLI, process.argv.slice(2));
  const known = shippedConfigs();
  const configs = list(flags.string("config")) ?? known;
  const bad = configs.filter((c) => !known.includes(c));
  if (bad.length) throw new UsageError(`--config: no config ${bad.join(", ")} in ${configDir()} (have ${known.join(", ")})`);
  const wanted = list(flags.string("stack"));
  const out = path.resolve(flags.string("out") ?? path.join(ROOT, "cdktf.out", "plan"));

  const started = Date.now();
  const planEnv = await planEnvironment(out);
  const results: StackPlan[] = [];
  try {
    const build = await run(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "build-handlers.ts")], {
      cwd: ROOT,
    });
    if (build.code !== 0) throw new Error(`npm run build:handlers failed: ${(build.stderr || build.stdout).trim()}`);
    for (const config of configs) {
      const synthDir = path.join(out, config);
      const synth = await synthesize(config, synthDir);
      if (synth.code !== 0) {
        results.push({ config, stack: "*", ok: false, error: `synth failed: ${(synth.stderr || synth.stdout).trim()}` });
        console.error(`[${config}] synth FAILED: ${(synth.stderr || synth.stdout).trim()}`);
        continue;
      }
      results.push(...(await planSynthesized(config, synthDir, planEnv, wanted, (l) => console.log(l))));
    }
  } finally {
    await planEnv.stub.close();
  }
  const failed = results.filter((r) => !r.ok);
  const unanswered = planEnv.stub.calls.filter((c) => !c.answered);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `terraform plan: ${results.length - failed.length} of ${results.length} stacks planned, ${configs.length} configs, ${secs}s; ` +
      `stub answered ${planEnv.stub.calls.length - unanswered.length} calls` +
      (unanswered.length ? `, refused ${unanswered.map((c) => `${c.service} ${c.action}`).join(", ")}` : "") +
      `; plans in ${path.relative(process.cwd(), out) || "."}/<config>/stacks/<stack>/${PLAN_JSON}`,
  );
  if (failed.length) throw new Error(`plan failed for ${failed.map((f) => `${f.config}/${f.stack}`).join(", ")} (details above)`);
}

if (require.main === module) runMain(main);
