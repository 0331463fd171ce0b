/**
 * The layers of the repository and the one direction imports run in
 * (docs: ARCHITECTURE.md "Layers"). `npm run check:deps` applies it; `npm test` runs that first.
 *
 *   contract  <-  core  <-  infrastructure | tools        (__tests__/ may import anything)
 *
 * The map: every source folder (or file) and the layer it belongs to, with the reason.
 */

/** Layer -> path patterns (regular expressions over the repo-relative path). */
const LAYERS = {
  contract: [
    "^schemas/", // zod schemas of the lake, the log fields and the usage API, and the generators derived from them: the facts everything else derives
    "^config/", // the environment config schema, service limits and the alarm catalogue: validated data, no behaviour
    "^queries/catalogue[.]ts$", // the metric catalogue (each dashboard metric declared once): plain data the queries, stacks and report read
    "^queries/dashboards[.]ts$", // the catalogue seen dashboard by dashboard: derived data, no behaviour
    "^site/catalog[.]json$", // the sample site's document catalogue: data the generator and the schemas' page ids read
  ],
  core: [
    "^handlers/", // Lambda code (transform, usage API): pure functions over the contract, bundled by scripts/build-handlers.ts
    "^queries/", // SQL rendering and the DuckDB runner of the same queries (the catalogue above is contract)
  ],
  infrastructure: [
    "^main[.]ts$", // the cdktf app entry: reads config, creates stacks
    "^stacks/", // stacks and constructs: the only place cdktf and the provider are imported
  ],
  tools: [
    "^local/", // the local run: sample traffic -> transform -> Parquet lake -> DuckDB -> HTML report
    "^bench/", // performance targets (`npm run bench`)
    "^cost/", // `npm run cost`: prices a config
    "^scripts/", // build, generate, validate and setup scripts
  ],
};

/** One regular expression for a list of patterns. */
const any = (patterns) => patterns.map((p) => `(${p})`).join("|");
const CONTRACT = any(LAYERS.contract);
const CORE = any(LAYERS.core);
const INFRASTRUCTURE = any(LAYERS.infrastructure);
const TOOLS = any(LAYERS.tools);
/** The metric catalogue (and its per-dashboard view) sits in queries/ but below it: the core pattern must not catch it. */
const CORE_ONLY = `^(?!queries/(catalogue|dashboards)[.]ts$)(${CORE})`;

/**
 * A package's files, wherever node_modules resolves to (a symlinked node_modules resolves to its
 * real path, e.g. `../main/node_modules/cdktf/...`).
 */
const pkg = (names) => `(^|/)node_modules/(${names})/`;
const NODE_MODULES = "(^|/)node_modules/";
/** cdktf, its provider bindings, the constructs base library and the AWS SDK: what contract and core never import. */
const FRAMEWORK = pkg("cdktf|@cdktf/[^/]+|constructs");
const AWS_SDK = pkg("@aws-sdk/[^/]+|aws-sdk");
const BUNDLER = pkg("esbuild");

/**
 * Cycles known today and allowed until their fix merges: a cycle made only of these files passes,
 * any other cycle (or one that grows through another file) fails.
 */
const KNOWN_CYCLES = [];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Circular import: a module cannot be understood, tested or bundled without the other. Move the shared part down a layer.",
      from: { pathNot: NODE_MODULES },
      to: { circular: true, ...(KNOWN_CYCLES.length ? { via: { pathNot: any(KNOWN_CYCLES) } } : {}) },
    },
    {
      name: "contract-imports-upward",
      severity: "error",
      comment: "contract (schemas/, config/, the metric catalogue) is the bottom layer: it imports no core, infrastructure or tool module.",
      from: { path: CONTRACT },
      to: { path: `${CORE_ONLY}|${INFRASTRUCTURE}|${TOOLS}|^__tests__/` },
    },
    {
      name: "core-imports-upward",
      severity: "error",
      comment: "core (handlers/, queries/) imports only the contract and itself, never stacks/, main.ts or a tool.",
      from: { path: CORE_ONLY },
      to: { path: `${INFRASTRUCTURE}|${TOOLS}|^__tests__/` },
    },
    {
      name: "stacks-import-tools",
      severity: "error",
      comment:
        "Infrastructure consumes built handler bundles as artefacts: stacks/ and main.ts never import scripts/, local/, bench/ or cost/ (synth must not pull in the bundler).",
      from: { path: INFRASTRUCTURE },
      to: { path: TOOLS },
    },
    {
      name: "tools-import-constructs",
      severity: "error",
      comment:
        "Tools read facts from the contract, not from stacks/constructs/: a construct module drags cdktf into a tool. Move the fact down to config/ or schemas/.",
      from: { path: TOOLS },
      to: { path: "^stacks/constructs/" },
    },
    {
      name: "framework-outside-infrastructure",
      severity: "error",
      comment: "cdktf, @cdktf/* and constructs are imported only by main.ts and stacks/ (upstream CDKTF is archived: one layer to change).",
      from: { pathNot: `${INFRASTRUCTURE}|^__tests__/|${NODE_MODULES}` },
      to: { path: FRAMEWORK },
    },
    {
      name: "aws-sdk-in-contract",
      severity: "error",
      comment: "The contract is plain data and zod: no AWS SDK (core handlers may use it, the contract may not).",
      from: { path: CONTRACT },
      to: { path: AWS_SDK },
    },
    {
      name: "aws-sdk-in-pure-core",
      severity: "error",
      comment:
        "Core is pure functions over the contract; the AWS SDK is allowed only in a handler's I/O edge: its entry (handlers/<name>/index.ts) and its store adapter (handlers/<name>/store.ts).",
      from: { path: CORE_ONLY, pathNot: "^handlers/[^/]+/(index|store)[.]ts$" },
      to: { path: AWS_SDK },
    },
    {
      name: "synth-reaches-bundler",
      severity: "error",
      comment:
        "Synth consumes built bundles: nothing main.ts or stacks/ import, however indirectly, may load esbuild (run `npm run build:handlers` before synth instead).",
      from: { path: INFRASTRUCTURE },
      to: { path: BUNDLER, reachable: true },
    },
    {
      name: "tool-reaches-framework",
      severity: "error",
      comment:
        "Tools and core run without cdktf: nothing they import, however indirectly, may load cdktf, @cdktf/* or constructs. Move the fact they need down to config/ or schemas/.",
      from: { path: `${TOOLS}|${CORE}|${CONTRACT}` },
      to: { path: FRAMEWORK, reachable: true },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve (a moved or deleted file): fix the path.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(cdktf[.]out|dist|coverage|[.]venv|glue|terraform-state)/" },
    tsPreCompilationDeps: true, // `import type` counts: a type from a higher layer is still an upward dependency
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    moduleSystems: ["cjs", "es6"],
  },
};
