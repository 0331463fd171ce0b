/**
 * Deploy builds what it deploys: a bundle is rebuilt when an input's content changed (or is gone), never when
 * it did not, and every way to synthesize (cdktf.json's app, `npm run synth`) runs that check first.
 * The staleness tests work on a temporary copy: a source file, a bundle directory and its record.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { bundleEntry, bundleInputsFile, bundleZip, REPO_ROOT } from "../../config/handler-bundles";
import { BuildError, buildFailure, digestInputs, type InputsRecord, staleReason, writeRecord } from "../../scripts/build-handlers";

describe("bundle staleness", () => {
  let root: string;
  let dir: string;
  const source = "handlers/demo/index.ts";
  const extra = "data/geo.mmdb";

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "stale-"));
    dir = path.join(root, "dist", "demo");
    mkdirSync(path.join(root, "handlers", "demo"), { recursive: true });
    mkdirSync(path.join(root, "data"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(root, source), "export const handler = () => 1;\n");
    writeFileSync(path.join(root, extra), "geo v1");
    writeFileSync(bundleEntry(dir), "exports.handler=()=>1");
    writeFileSync(bundleZip(dir), "zip");
    writeRecord(dir, digestInputs([source, extra], root));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("is fresh right after the build", () => {
    expect(staleReason(dir, root)).toBeUndefined();
  });

  it("is stale when a source's content changes, naming the file", () => {
    writeFileSync(path.join(root, source), "export const handler = () => 2;\n");
    expect(staleReason(dir, root)).toBe(`${source} changed`);
  });

  it("is stale when an extra file (e.g. the GeoIP database) changes at the same size", () => {
    const file = path.join(root, extra);
    const before = new Date(Date.now() - 60_000);
    utimesSync(file, before, before);
    writeRecord(dir, digestInputs([source, extra], root));
    writeFileSync(file, "geo v2");
    // A new modification time makes it read the content again.
    expect(staleReason(dir, root)).toBe(`${extra} changed`);
  });

  it("is not stale when a file is only touched (same content), and records the new time so the next check reads nothing", () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, source), later, later);
    expect(staleReason(dir, root)).toBeUndefined();
    const record = JSON.parse(readFileSync(bundleInputsFile(dir), "utf8")) as InputsRecord;
    expect(Math.round(record.files[source]?.mtimeMs ?? 0)).toBe(later.getTime());
  });

  it("is stale when an input is gone, the bundle or its zip is missing, or there is no record", () => {
    rmSync(path.join(root, extra));
    expect(staleReason(dir, root)).toBe(`${extra} is gone`);
    rmSync(bundleZip(dir));
    expect(staleReason(dir, root)).toBe("not built");
    writeFileSync(bundleZip(dir), "zip");
    rmSync(bundleInputsFile(dir));
    expect(staleReason(dir, root)).toBe("no record of its inputs");
  });

  it("is stale when the recipe (bundler version, record format) differs", () => {
    const record = JSON.parse(readFileSync(bundleInputsFile(dir), "utf8")) as InputsRecord;
    writeFileSync(bundleInputsFile(dir), JSON.stringify({ ...record, recipe: "esbuild 0.0.1, record v1" }));
    expect(staleReason(dir, root)).toMatch(/^built by esbuild 0\.0\.1, record v1, not esbuild /);
  });
});

describe("a handler that does not compile", () => {
  it("stops the build with one line naming the handler, esbuild's summary and the command", () => {
    const root = mkdtempSync(path.join(tmpdir(), "broken-"));
    try {
      writeFileSync(path.join(root, "index.ts"), "export const handler = (;\n");
      let cause: unknown;
      try {
        buildSync({ entryPoints: [path.join(root, "index.ts")], outfile: path.join(root, "out.js"), bundle: true, logLevel: "silent" });
      } catch (e) {
        cause = e;
      }
      const error = buildFailure("demo", "handlers/demo/index.ts changed", cause);
      expect(error).toBeInstanceOf(BuildError);
      expect(error.message.split("\n")).toHaveLength(1);
      expect(error.message).toMatch(
        /^cannot build handler demo \(handlers\/demo\/index\.ts changed\): Build failed with 1 error: .*index\.ts:1:\d+: ERROR: .+; fix it, then run `npm run build:handlers`$/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("every synth runs the bundle check first", () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const cdktf = JSON.parse(readFileSync(path.join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string };
  const buildScript = pkg.scripts["build:handlers"] ?? "";

  it("`npm run build:handlers` is the incremental build script", () => {
    expect(buildScript).toBe("tsx scripts/build-handlers.ts");
  });

  it("cdktf.json's app (cdktf synth/deploy) builds stale bundles, then runs main.ts only if that succeeded", () => {
    const steps = cdktf.app.split("&&").map((s) => s.trim());
    expect(steps).toEqual([`npx ${buildScript}`, "npx tsx main.ts"]);
  });

  it("`npm run synth` does the same", () => {
    expect(pkg.scripts.synth).toBe("npm run build:handlers && tsx main.ts");
  });
});
