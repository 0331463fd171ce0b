/**
 * Deploy builds what it deploys: a bundle is rebuilt when an input's content changed (or is gone), never when
 * it did not, and every way to synthesize (cdktf.json's app, `npm run synth`) runs that check first.
 * The staleness tests work on a temporary copy: a source file, a bundle directory and its record.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { buildSync, version as esbuildVersion } from "esbuild";
import { bundleRecipe, installedEsbuildVersion } from "../../config/bundle-record";
import { bundleEntry, bundleInputsFile, bundleZip, REPO_ROOT } from "../../config/handler-bundles";
import {
  BuildError,
  buildFailure,
  crc32,
  digestInputs,
  type InputsRecord,
  staleReason,
  tableCrc32,
  writeRecord,
  zipBundle,
} from "../../scripts/build-handlers";

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

  it("checks the recipe by the esbuild that builds, read without loading it (synth must not load the bundler)", () => {
    expect(installedEsbuildVersion()).toBe(esbuildVersion);
    expect(bundleRecipe()).toBe(bundleRecipe(esbuildVersion));
  });
});

/** What Python's zipfile (a reader we did not write) finds in a zip: entries, modes, dates, and a CRC check of each. */
function readZip(file: string): { entries: { name: string; mode: number; date: number[]; content: string }[]; bad: string | null } {
  const python = existsSync(path.join(REPO_ROOT, ".venv/bin/python")) ? path.join(REPO_ROOT, ".venv/bin/python") : "python3";
  const script = [
    "import base64, json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "print(json.dumps({'bad': z.testzip(), 'entries': [{'name': i.filename, 'mode': i.external_attr >> 16, 'date': list(i.date_time),",
    "  'content': base64.b64encode(z.read(i)).decode()} for i in z.infolist()]}))",
  ].join("\n");
  const run = spawnSync(python, ["-c", script, file], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as ReturnType<typeof readZip>;
}

describe("the bundle zip", () => {
  let dir: string;
  let cache: string;
  // Large enough to take the cached path (>= 1 MiB), compressible enough that deflate matters.
  const big = Buffer.concat([randomBytes(1 << 19), Buffer.alloc(1 << 20, "geo")]);

  beforeEach(() => {
    const root = mkdtempSync(path.join(tmpdir(), "zip-"));
    dir = path.join(root, "demo");
    cache = path.join(root, "cache");
    mkdirSync(path.join(dir, "sub"), { recursive: true });
    writeFileSync(path.join(dir, "index.js"), "exports.handler = () => 1;\n");
    writeFileSync(path.join(dir, "sub", "geo.mmdb"), big);
    writeFileSync(path.join(dir, "LICENSE"), "");
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it("holds every file, sorted, with fixed dates and rw-r--r--, and passes a CRC check by another reader", () => {
    zipBundle(dir, cache);
    const { entries, bad } = readZip(bundleZip(dir));
    expect(bad).toBeNull();
    expect(entries.map((e) => e.name)).toEqual(["LICENSE", "index.js", "sub/geo.mmdb"]);
    for (const e of entries) {
      expect(e.mode).toBe(0o100644);
      expect(e.date).toEqual([1980, 1, 1, 0, 0, 0]);
    }
    expect(Buffer.from(entries[2]?.content ?? "", "base64").equals(big)).toBe(true);
    expect(Buffer.from(entries[1]?.content ?? "", "base64").toString()).toBe("exports.handler = () => 1;\n");
  });

  it("deflates a large entry once: the second zip reads it from the cache and is byte-identical", () => {
    const first = readFileSync(zipBundle(dir, cache).file);
    expect(readdirSync(cache)).toHaveLength(1);
    // A different small file, the same large one: one cache entry still, and the large entry's bytes are reused.
    writeFileSync(path.join(dir, "index.js"), "exports.handler = () => 2;\n");
    zipBundle(dir, cache);
    expect(readdirSync(cache)).toHaveLength(1);
    writeFileSync(path.join(dir, "index.js"), "exports.handler = () => 1;\n");
    expect(readFileSync(zipBundle(dir, cache).file).equals(first)).toBe(true);
    expect(readZip(bundleZip(dir)).bad).toBeNull();
  });

  it("computes CRC-32 the same with or without zlib's (Node < 20.15 has none)", () => {
    for (const data of [Buffer.alloc(0), Buffer.from("123456789"), big]) expect(tableCrc32(data)).toBe(zlib.crc32(data));
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
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

describe("every synth runs the bundle check first, in its own process", () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const cdktf = JSON.parse(readFileSync(path.join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string };
  const buildScript = pkg.scripts["build:handlers"] ?? "";

  it("`npm run build:handlers` is the incremental build script", () => {
    expect(buildScript).toBe("tsx scripts/build-handlers.ts");
  });

  it("`npm run synth` and cdktf.json's app (cdktf synth/deploy) are main.ts alone, in one node process (no tsx CLI)", () => {
    expect(pkg.scripts.synth).toBe("node --import tsx main.ts");
    expect(cdktf.app).toBe(pkg.scripts.synth);
  });
});
