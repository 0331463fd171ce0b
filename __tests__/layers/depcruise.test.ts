/**
 * The layer rules bite: the repository's own .dependency-cruiser.cjs, run by the real depcruise
 * over a throwaway tree laid out like this repository, reports each kind of violation it should
 * and nothing in the files that follow the rules.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const DEPCRUISE = path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

/** The fixture tree: path -> content. Each bad import is the only one of its kind, so a report names it exactly. */
const FIXTURE: Record<string, string> = {
  "tsconfig.json": JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", strict: true } }),
  // Stand-ins for the packages, in a node_modules the fixture links to (as a worktree shares one):
  // depcruise reports a symlinked package by its real path, which the rules must still recognise.
  "shared/node_modules/cdktf/package.json": JSON.stringify({ name: "cdktf", main: "index.js" }),
  "shared/node_modules/cdktf/index.js": "exports.App = class {};\n",
  "shared/node_modules/@aws-sdk/client-s3/package.json": JSON.stringify({ name: "@aws-sdk/client-s3", main: "index.js" }),
  "shared/node_modules/@aws-sdk/client-s3/index.js": "exports.S3Client = class {};\n",
  "shared/node_modules/esbuild/package.json": JSON.stringify({ name: "esbuild", main: "index.js" }),
  "shared/node_modules/esbuild/index.js": "exports.buildSync = () => {};\n",
  // Follows the rules: contract <- core <- infrastructure and tools.
  "schemas/event.ts": 'export const EVENT_TYPES = ["page_view"] as const;\n',
  "handlers/transform/classify.ts": 'import { EVENT_TYPES } from "../../schemas/event";\nexport const first = EVENT_TYPES[0];\n',
  "handlers/transform/index.ts":
    'import { S3Client } from "@aws-sdk/client-s3";\nimport { first } from "./classify";\nexport const handler = () => [first, new S3Client()];\n',
  "stacks/app.ts":
    'import { App } from "cdktf";\nimport { EVENT_TYPES } from "../schemas/event";\nexport const app = [new App(), EVENT_TYPES];\n',
  "scripts/build.ts":
    'import { buildSync } from "esbuild";\nimport { first } from "../handlers/transform/classify";\nexport const built = [first, buildSync];\n',
  "__tests__/app.test.ts":
    'import { app } from "../stacks/app";\nimport { built } from "../scripts/build";\nexport const t = [app, built];\n',
  // An upward import: the contract reaches into core.
  "schemas/lake.ts": 'import { first } from "../handlers/transform/classify";\nexport const PREFIX = `${first}/`;\n',
  // A cycle inside core.
  "queries/render.ts": 'import { QUERIES } from "./catalogue-user";\nexport const render = () => QUERIES;\n',
  "queries/catalogue-user.ts": 'import { render } from "./render";\nexport const QUERIES = [render];\n',
  // Infrastructure importing a tool (what stacks/app.ts -> scripts/build-handlers.ts was), so synth loads the bundler.
  "stacks/bundles.ts": 'import { built } from "../scripts/build";\nexport const dir = built;\n',
  // A tool importing a construct (what cost/ -> stacks/constructs/alarms-catalog.ts was), which loads cdktf.
  "stacks/constructs/alarms.ts": 'import { App } from "cdktf";\nexport const ALARMS = [App];\n',
  "cost/estimate.ts": 'import { ALARMS } from "../stacks/constructs/alarms";\nexport const n = ALARMS.length;\n',
  // The framework and the AWS SDK below infrastructure.
  "config/limits.ts": 'import type { App } from "cdktf";\nexport type Limits = { app?: App };\n',
  "handlers/transform/upload.ts": 'import { S3Client } from "@aws-sdk/client-s3";\nexport const client = new S3Client();\n',
};

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
  readonly cycle?: readonly { readonly name: string }[];
}

let dir: string;
let violations: Violation[];
let textReport: string;

function depcruise(outputType: string) {
  return spawnSync(
    process.execPath,
    [
      DEPCRUISE,
      "--config",
      path.join(ROOT, ".dependency-cruiser.cjs"),
      "--output-type",
      outputType,
      "schemas",
      "config",
      "handlers",
      "queries",
      "stacks",
      "scripts",
      "cost",
      "__tests__",
    ],
    { cwd: dir, encoding: "utf8" },
  );
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "layers-"));
  for (const [file, content] of Object.entries(FIXTURE)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  symlinkSync(path.join(dir, "shared/node_modules"), path.join(dir, "node_modules"), "dir");
  const json = depcruise("json");
  violations = (JSON.parse(json.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  const text = depcruise("err-long");
  expect(text.status).not.toBe(0);
  textReport = text.stdout;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pairs = () => violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();

describe("the layer rules (depcruise over a throwaway tree)", () => {
  it("report an upward import from the contract into core", () => {
    expect(pairs()).toContain("contract-imports-upward: schemas/lake.ts -> handlers/transform/classify.ts");
  });

  it("report a cycle, with its modules", () => {
    const cycles = violations.filter((v) => v.rule.name === "no-circular");
    // depcruise reports a cycle once, from one of its modules, listing all of them.
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.cycle?.map((m) => m.name).sort()).toEqual(["queries/catalogue-user.ts", "queries/render.ts"]);
  });

  it("report infrastructure importing a tool, and synth reaching the bundler through it", () => {
    expect(pairs()).toEqual(
      expect.arrayContaining([
        "stacks-import-tools: stacks/bundles.ts -> scripts/build.ts",
        "synth-reaches-bundler: stacks/bundles.ts -> shared/node_modules/esbuild/index.js",
      ]),
    );
  });

  it("report a tool importing a construct, and reaching cdktf through it", () => {
    expect(pairs()).toEqual(
      expect.arrayContaining([
        "tools-import-constructs: cost/estimate.ts -> stacks/constructs/alarms.ts",
        "tool-reaches-framework: cost/estimate.ts -> shared/node_modules/cdktf/index.js",
      ]),
    );
  });

  it("report cdktf below infrastructure (type-only imports count) and the AWS SDK outside a handler's I/O edge", () => {
    expect(pairs()).toEqual(
      expect.arrayContaining([
        "framework-outside-infrastructure: config/limits.ts -> shared/node_modules/cdktf/index.js",
        "tool-reaches-framework: config/limits.ts -> shared/node_modules/cdktf/index.js",
        "aws-sdk-in-pure-core: handlers/transform/upload.ts -> shared/node_modules/@aws-sdk/client-s3/index.js",
      ]),
    );
  });

  it("report nothing else: the files that follow the rules pass", () => {
    const flagged = new Set(violations.map((v) => v.from));
    for (const ok of [
      "schemas/event.ts",
      "handlers/transform/classify.ts",
      "handlers/transform/index.ts",
      "stacks/app.ts",
      "scripts/build.ts",
    ]) {
      expect(flagged).not.toContain(ok);
    }
    expect(violations).toHaveLength(9);
  });

  it("fail with a readable message: rule name, the import, and why", () => {
    expect(textReport).toContain("error contract-imports-upward: schemas/lake.ts → handlers/transform/classify.ts");
    expect(textReport).toMatch(/contract \(schemas\/, config\/, the metric catalogue\) is the bottom layer/);
  });
});
