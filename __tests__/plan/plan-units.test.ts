/**
 * The parts of `npm run plan` that need no terraform: which configs it plans, in which order, the override it
 * writes, the placeholders it seeds for known-after-apply outputs, the loopback stub and the CLI's flag checks.
 * The real plan is in plan.test.ts.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import {
  CLI,
  countChanges,
  overrideFor,
  placeholder,
  planOrder,
  seedState,
  shippedConfigs,
  stackInputs,
  throwawayVars,
} from "../../scripts/plan";
import { actionOf, PLAN_ACCOUNT_ID, signingService, startPlanStub } from "../../scripts/plan-stub";

const ROOT = path.resolve(__dirname, "../..");

describe("npm run plan: configs and stack order", () => {
  it("plans every config/*.json, so an example added later is planned without a list to update", () => {
    const files = readdirSync(path.join(ROOT, "config")).filter((f) => f.endsWith(".json"));
    expect(shippedConfigs(path.join(ROOT, "config"))).toEqual(files.map((f) => f.replace(/\.json$/, "")).sort());
    expect(shippedConfigs(path.join(ROOT, "config"))).toEqual(
      expect.arrayContaining(["dev", "ga-example", "dashboards-example", "lean-example"]),
    );
  });

  it("reads a stack's inputs from its cdktf cross-stack terraform_remote_state data sources", () => {
    const tf = { data: { terraform_remote_state: { "cross-stack-reference-input-api": {}, "cross-stack-reference-input-edge": {} } } };
    expect(stackInputs(tf)).toEqual(["api", "edge"]);
    expect(stackInputs({})).toEqual([]);
    expect(() => stackInputs({ data: { terraform_remote_state: { other: {} } } })).toThrow(/terraform_remote_state\.other/);
  });

  const inputs = new Map<string, string[]>([
    ["api", []],
    ["edge", ["api"]],
    ["pipeline", ["edge"]],
    ["ops", ["api", "edge", "pipeline"]],
    ["state", []],
  ]);

  it("plans every producer before the stacks that read it", () => {
    const order = planOrder(inputs);
    for (const [stack, deps] of inputs) for (const dep of deps) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(stack));
    expect([...order].sort()).toEqual([...inputs.keys()].sort());
  });

  it("--stack plans the named stacks and what they read, nothing else", () => {
    expect(planOrder(inputs, ["pipeline"])).toEqual(["api", "edge", "pipeline"]);
    expect(planOrder(inputs, ["state"])).toEqual(["state"]);
    expect(() => planOrder(inputs, ["nope"])).toThrow("no stack nope");
  });

  it("names a cycle and a missing producer", () => {
    expect(() =>
      planOrder(
        new Map([
          ["a", ["b"]],
          ["b", ["a"]],
        ]),
      ),
    ).toThrow(/cycle/);
    expect(() => planOrder(new Map([["a", ["gone"]]]))).toThrow("stack a reads outputs of gone, which was not synthesized");
  });
});

describe("npm run plan: the override file", () => {
  const tf = {
    provider: { aws: [{ region: "eu-west-1" }, { alias: "us-east-1", region: "us-east-1" }] },
    data: {
      terraform_remote_state: { "cross-stack-reference-input-api": { backend: "local", config: { path: "/real/state/dev-api.tfstate" } } },
    },
  };
  const override = overrideFor(tf, "/plan/dev/stacks/edge", "/plan/dev/seed") as {
    terraform: { backend: { local: { path: string } } };
    provider: { aws: Record<string, unknown>[] };
    data: { terraform_remote_state: Record<string, { backend: string; config: { path: string } }> };
  };

  it("keeps the plan's state inside the plan folder, never the user's terraform-state/", () => {
    expect(override.terraform.backend.local.path).toBe("/plan/dev/stacks/edge/plan.tfstate");
  });

  it("gives every provider configuration, aliases included, throwaway credentials and keeps region validation", () => {
    expect(override.provider.aws.map((p) => p.alias)).toEqual([undefined, "us-east-1"]);
    for (const p of override.provider.aws) {
      expect(p).toMatchObject({ access_key: "plan-offline", skip_credentials_validation: true });
      expect(p).not.toHaveProperty("skip_region_validation");
      expect(p).not.toHaveProperty("skip_requesting_account_id");
    }
  });

  it("reads each cross-stack input from the producer's seed", () => {
    expect(override.data.terraform_remote_state["cross-stack-reference-input-api"]).toEqual({
      backend: "local",
      config: { path: "/plan/dev/seed/api.tfstate" },
    });
  });
});

describe("npm run plan: variables the user passes at deploy", () => {
  it("gets a throwaway value for each variable without a default, and only those", () => {
    const tf = {
      variable: {
        ga_client_id: { type: "string", sensitive: true },
        retries: { type: "number" },
        with_default: { type: "string", default: "kept" },
      },
    };
    expect(throwawayVars(tf)).toEqual({ ga_client_id: "plan-offline-ga_client_id", retries: 1 });
    expect(() => throwawayVars({ variable: { odd: { type: "list(string)" } } })).toThrow(/variable odd: no throwaway value/);
  });
});

describe("npm run plan: seeds for known-after-apply outputs", () => {
  it("shapes a placeholder like the value it stands for", () => {
    expect(placeholder("o1", "${aws_kinesis_stream.stream_1.arn}", "eu-west-1")).toMatch(
      new RegExp(`^arn:aws:kinesis:eu-west-1:${PLAN_ACCOUNT_ID}:stream/seed-[0-9a-f]{10}$`),
    );
    expect(placeholder("o2", "${aws_apigatewayv2_api.api_1.api_endpoint}", "eu-west-1")).toMatch(
      /^https:\/\/seed[0-9a-f]{10}\.apigatewayv2\.eu-west-1\.amazonaws\.com$/,
    );
    expect(placeholder("o3", "${aws_apigatewayv2_api.api_1.id}", "eu-west-1")).toMatch(/^seed-[0-9a-f]{10}$/);
    expect(placeholder("o1", "x", "r")).not.toBe(placeholder("o3", "x", "r"));
  });

  it("seeds known outputs as planned and counts the placeholders", () => {
    const tf = { output: { name: { value: "${aws_sns_topic.t.name}" }, arn: { value: "${aws_sns_topic.t.arn}" } } };
    const plan = {
      planned_values: { outputs: { name: { value: "webstats-dev-alarms", sensitive: true }, arn: { sensitive: false } } },
      output_changes: { name: { after_unknown: false }, arn: { after_unknown: true } },
    };
    const { state, placeholders } = seedState(tf, plan, "1.11.4", "eu-west-1");
    const outputs = state.outputs as Record<string, { value: string; type: string; sensitive?: boolean }>;
    expect(placeholders).toBe(1);
    expect(outputs.name).toEqual({ value: "webstats-dev-alarms", type: "string", sensitive: true });
    expect(outputs.arn?.value).toMatch(/^arn:aws:sns:eu-west-1:/);
    expect(state).toMatchObject({ version: 4, terraform_version: "1.11.4", resources: [] });
  });

  it("counts adds by type, changes and destroys (a replace is both)", () => {
    const counts = countChanges({
      resource_changes: [
        { type: "aws_s3_bucket", address: "a", change: { actions: ["create"] } },
        { type: "aws_s3_bucket", address: "b", change: { actions: ["create"] } },
        { type: "aws_iam_role", address: "c", change: { actions: ["delete", "create"] } },
        { type: "aws_iam_role", address: "d", change: { actions: ["update"] } },
        { type: "aws_iam_policy_document", address: "e", change: { actions: ["read"] } },
      ],
    });
    expect(counts).toEqual({ add: 3, change: 1, destroy: 1, addByType: { aws_s3_bucket: 2, aws_iam_role: 1 } });
  });
});

describe("npm run plan: the loopback stub", () => {
  it("reads the signing service and the action of both AWS protocols", () => {
    expect(signingService("AWS4-HMAC-SHA256 Credential=plan-offline/20260101/eu-west-1/sts/aws4_request, SignedHeaders=host")).toBe("sts");
    expect(signingService(undefined)).toBe("unknown");
    expect(actionOf("Action=GetCallerIdentity&Version=2011-06-15", undefined)).toBe("GetCallerIdentity");
    expect(actionOf("{}", "Kinesis_20131202.DescribeLimits")).toBe("DescribeLimits");
  });

  it("answers GetCallerIdentity with the throwaway account and refuses, loudly, what it does not know", async () => {
    const stub = await startPlanStub();
    try {
      const sign = (service: string) => `AWS4-HMAC-SHA256 Credential=k/20260101/eu-west-1/${service}/aws4_request, SignedHeaders=host`;
      const sts = await fetch(stub.url, {
        method: "POST",
        headers: { authorization: sign("sts"), "content-type": "application/x-www-form-urlencoded" },
        body: "Action=GetCallerIdentity&Version=2011-06-15",
      });
      expect(sts.status).toBe(200);
      expect(await sts.text()).toContain(`<Account>${PLAN_ACCOUNT_ID}</Account>`);
      const s3 = await fetch(`${stub.url}/some-bucket?location`, { headers: { authorization: sign("s3") } });
      expect(s3.status).toBe(400);
      expect(await s3.text()).toContain("offline plan stub: no answer for s3");
      expect(stub.calls).toEqual([
        { service: "sts", action: "GetCallerIdentity", answered: true },
        { service: "s3", action: "unknown", answered: false },
      ]);
    } finally {
      await stub.close();
    }
  });
});

describe("npm run plan: flags", () => {
  const plan = (...args: string[]) =>
    spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "scripts/plan.ts"), ...args], { encoding: "utf8", cwd: ROOT });

  it("--help prints the usage from the same declaration the parser uses", () => {
    const r = plan("--help");
    expect(r.status).toBe(0);
    for (const flag of Object.keys(CLI.flags)) expect(r.stdout).toContain(`--${flag}`);
  });

  it("an unknown config stops before any synth, naming the flag and the configs there are", () => {
    const r = plan("--config", "dev,nope");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: --config: no config nope in .*\(have .*dev.*\)$/);
    const u = plan("--bogus");
    expect(u.status).toBe(2);
    expect(u.stderr).toContain("--bogus: unknown option");
  });
});
