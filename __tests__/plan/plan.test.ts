/**
 * A real, offline `terraform plan` (the code `npm run plan` runs) of the default config's `edge` stack and the stack
 * it reads outputs from, with the mirrored provider and the loopback stub. It asserts what only a plan knows: names
 * computed from the account id the stub returns, values known only after apply, the outputs read across stacks,
 * and that a config AWS would reject fails the plan naming config and stack.
 *
 * Needs terraform and the provider mirror, like `npm run validate`: without them the suite is skipped with a loud
 * line, and fails under CI=true (CI runs the real plan).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadConfig } from "../../config/load";
import { type PlanEnvironment, planEnvironment, planSynthesized, type StackPlan } from "../../scripts/plan";
import { PLAN_ACCOUNT_ID } from "../../scripts/plan-stub";
import { findMirror } from "../../scripts/validate";
import { createStacks } from "../../stacks/app";
import { fixtureBundles } from "../helpers/synth";

const available = spawnSync("terraform", ["version"]).status === 0 && findMirror() !== undefined;
if (!available) {
  const line = "!!! PLAN TEST SKIPPED: no terraform on PATH or no AWS provider mirror (set TF_PROVIDER_MIRROR) !!!";
  console.error(line);
  if (process.env.CI === "true") throw new Error(line);
}
const describePlan = available ? describe : describe.skip;

interface PlanResource {
  address: string;
  type: string;
  mode: string;
  values: Record<string, unknown>;
}
interface ShownPlan {
  planned_values: { root_module: { resources?: PlanResource[] } };
  prior_state?: { values?: { root_module?: { resources?: PlanResource[] } } };
  resource_changes: { address: string; type: string; change: { actions: string[]; after_unknown: Record<string, unknown> } }[];
}

describePlan("npm run plan: a real terraform plan, offline", () => {
  let planEnv: PlanEnvironment;
  let synthDir: string;
  let results: StackPlan[];
  const readPlan = (stack: string): ShownPlan => {
    const r = results.find((x) => x.stack === stack);
    if (!r?.planFile) throw new Error(`no plan for ${stack}: ${r?.error}`);
    return JSON.parse(readFileSync(r.planFile, "utf8")) as ShownPlan;
  };
  const synthJson = (stack: string) => readFileSync(path.join(synthDir, "stacks", stack, "cdk.tf.json"), "utf8");

  beforeAll(async () => {
    const out = mkdtempSync(path.join(tmpdir(), "plan-"));
    planEnv = await planEnvironment(out);
    synthDir = path.join(out, "dev");
    // The default config exactly as shipped; fixture bundles stand in for the Lambda code (its content is not planned).
    const app = new App({ outdir: synthDir });
    createStacks(app, loadConfig("dev"), fixtureBundles);
    app.synth();
    results = await planSynthesized("dev", synthDir, planEnv, ["edge"]);
  }, 600_000);
  afterAll(async () => {
    await planEnv?.stub.close();
  });

  it("plans edge and the stacks it reads, each adding resources and deleting or changing none", () => {
    expect(results.map((r) => r.error ?? "")).toEqual(results.map(() => ""));
    expect(results.map((r) => r.stack)).toContain("edge");
    for (const r of results) {
      expect(r.counts?.add).toBeGreaterThan(0);
      expect(r.counts).toMatchObject({ change: 0, destroy: 0 });
    }
  });

  it("names the site bucket with the account id the stub returned (synth only has an interpolation)", () => {
    const buckets = readPlan("edge").planned_values.root_module.resources?.filter((r) => r.type === "aws_s3_bucket") ?? [];
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) expect(b.values.bucket).toMatch(new RegExp(`-${PLAN_ACCOUNT_ID}$`));
    expect(synthJson("edge")).toContain("${data.aws_caller_identity.caller-identity.account_id}");
    expect(synthJson("edge")).not.toContain(PLAN_ACCOUNT_ID);
  });

  it("leaves what AWS assigns known only after apply (the stream ARN the real-time logs write to)", () => {
    const stream = readPlan("edge").resource_changes.find((r) => r.type === "aws_kinesis_stream");
    expect(stream?.change.actions).toEqual(["create"]);
    expect(stream?.change.after_unknown.arn).toBe(true);
  });

  it("reads every cross-stack input from the producer's seeded outputs", () => {
    const edge = readPlan("edge");
    const remote = edge.prior_state?.values?.root_module?.resources?.filter((r) => r.type === "terraform_remote_state") ?? [];
    const declared = Object.keys(
      (JSON.parse(synthJson("edge")) as { data?: { terraform_remote_state?: object } }).data?.terraform_remote_state ?? {},
    );
    expect(remote.map((r) => r.address.split(".").pop()).sort()).toEqual(declared.sort());
    for (const r of remote) {
      const producer = String(r.address.split(".").pop()).replace("cross-stack-reference-input-", "");
      const seed = JSON.parse(readFileSync(path.join(synthDir, "seed", `${producer}.tfstate`), "utf8")) as {
        outputs: Record<string, { value: unknown }>;
      };
      const outputs = r.values.outputs as Record<string, unknown>;
      expect(Object.keys(outputs).sort()).toEqual(Object.keys(seed.outputs).sort());
      for (const [k, v] of Object.entries(seed.outputs)) expect(outputs[k]).toEqual(v.value);
    }
  });

  it("asked the stub who the caller is and nothing it could not answer", () => {
    expect(planEnv.stub.calls).toContainEqual({ service: "sts", action: "GetCallerIdentity", answered: true });
    expect(planEnv.stub.calls.filter((c) => !c.answered)).toEqual([]);
  });

  it("fails a region the provider does not know, naming config and stack", async () => {
    const dir = path.join(synthDir, "..", "typo");
    mkdirSync(path.join(dir, "stacks", "lonely"), { recursive: true });
    const tf = {
      terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } } },
      provider: { aws: [{ region: "eu-westt-1" }] },
      resource: { aws_sns_topic: { topic: { name: "plan-typo" } } },
    };
    writeFileSync(path.join(dir, "stacks", "lonely", "cdk.tf.json"), JSON.stringify(tf));
    const [r] = await planSynthesized("typo", dir, planEnv);
    expect(r).toMatchObject({ config: "typo", stack: "lonely", ok: false });
    expect(r?.error).toMatch(/terraform plan failed[\s\S]*eu-westt-1/);
  }, 300_000);
});
