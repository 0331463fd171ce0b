/**
 * Bundles every Lambda handler (`handlers/<name>/index.ts`) with esbuild into
 * one minified CommonJS file, `dist/handlers/<name>/index.js`, the directory a
 * stack zips as the function's asset. Files a handler needs beside its code
 * (e.g. a GeoIP database) are listed in EXTRA_FILES and copied (or derived) next to it.
 * It then zips the directory to `dist/handlers/<name>.zip`, deterministically
 * (sorted entries, fixed dates), so synth only copies the zip: zipping a
 * 100 MB bundle at every synth would take longer than the rest of synth.
 * Synth never bundles: this script runs before it (`npm run synth`, and cdktf.json's app for `cdktf synth|deploy`).
 *
 * It rebuilds only what is stale: beside each bundle, `<name>.inputs.json` records the content hash of every
 * file the bundle was built from (esbuild's own list of inputs, the extra files, and this recipe). A bundle
 * is rebuilt when one of them changed content, or is gone; never when they did not (a file whose size and
 * modification time match the record is not even read again). `--force` rebuilds everything.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import archiver from "archiver";
import { buildSync, version as esbuildVersion } from "esbuild";
import {
  BUILD_HANDLERS_COMMAND,
  BUNDLE_ENTRY,
  bundleDir,
  bundleEntry,
  bundleInputsFile,
  bundleZip,
  REPO_ROOT,
} from "../config/handler-bundles";
import { BUNDLED_GEO_DATABASES, BUNDLED_GEO_PACKAGE } from "../handlers/firehose-transform/env";
import { TRIM_VERSION, trimGeoDatabase } from "./geoip-trim";

// The path convention is shared with the stacks, which read the bundles without importing this bundler.
export { bundleDir, bundleZip };
export const ROOT = REPO_ROOT;
export const HANDLERS_DIR = path.join(ROOT, "handlers");

/** A file that travels beside a handler's code. */
export interface ExtraFile {
  /** Relative to the repo root. */
  readonly source: string;
  /** Name in the bundle directory. */
  readonly target: string;
  /** Build the file from the source instead of copying it; cached by the source's content and `name`. */
  readonly derive?: { readonly name: string; readonly build: (source: Buffer) => Buffer };
}

const trimmedGeoDatabase = { name: `geoip-trim-v${TRIM_VERSION}`, build: (source: Buffer) => trimGeoDatabase(source).file };

/** Extra files per handler. */
/** The GeoIP databases (DB-IP Lite, CC BY 4.0), trimmed to the fields the transform reads, and their licence. */
const GEO_FILES: ExtraFile[] = [
  ...BUNDLED_GEO_DATABASES.map((f) => ({ source: `node_modules/${BUNDLED_GEO_PACKAGE}/${f}`, target: f, derive: trimmedGeoDatabase })),
  { source: `node_modules/${BUNDLED_GEO_PACKAGE}/DBIP-LICENSE`, target: "DBIP-LICENSE" },
];

export const EXTRA_FILES: Record<string, ExtraFile[]> = {
  "firehose-transform": GEO_FILES,
  // The same row core, so the same databases.
  "log-file-transform": GEO_FILES,
};

/** Where derived files are kept between builds: deriving a GeoIP database takes seconds, hashing its source a fraction. */
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "web-analytics-handlers");

function placeExtraFile(file: ExtraFile, outdir: string): void {
  const source = path.join(ROOT, file.source);
  const target = path.join(outdir, file.target);
  if (!file.derive) {
    copyFileSync(source, target);
    return;
  }
  const content = readFileSync(source);
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 16);
  const cached = path.join(CACHE_DIR, `${file.derive.name}-${hash}-${path.basename(file.target)}`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written under a temporary name first, so an interrupted build never leaves a truncated cache entry.
    writeFileSync(`${cached}.tmp`, file.derive.build(content));
    renameSync(`${cached}.tmp`, cached);
  }
  copyFileSync(cached, target);
}

export function handlerNames(): string[] {
  if (!existsSync(HANDLERS_DIR)) return [];
  return readdirSync(HANDLERS_DIR).filter((d) => existsSync(path.join(HANDLERS_DIR, d, "index.ts")));
}

export function buildHandler(name: string): { file: string; bytes: number; inputs: string[] } {
  const outdir = bundleDir(name);
  rmSync(bundleInputsFile(outdir), { force: true });
  rmSync(outdir, { recursive: true, force: true });
  rmSync(bundleZip(outdir), { force: true });
  mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, BUNDLE_ENTRY);
  const { metafile } = buildSync({
    absWorkingDir: ROOT,
    metafile: true,
    entryPoints: [path.join(HANDLERS_DIR, name, "index.ts")],
    outfile: file,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22", // the Lambda runtime (stacks/constructs/lambda-function.ts)
    format: "cjs",
    sourcemap: false,
    legalComments: "none",
    // The Node.js 22 Lambda runtime ships AWS SDK v3; bundling it would only add size.
    external: ["@aws-sdk/*"],
    logLevel: "warning",
  });
  for (const extra of EXTRA_FILES[name] ?? []) placeExtraFile(extra, outdir);
  const inputs = [...Object.keys(metafile.inputs), ...(EXTRA_FILES[name] ?? []).map((f) => f.source), ...RECIPE_FILES];
  return { file, bytes: statSync(file).size, inputs };
}

// --- Staleness: the content of every input, recorded beside the bundle.

/** Files that decide how every bundle is built, besides a handler's own inputs. */
const RECIPE_FILES = ["scripts/build-handlers.ts", "scripts/geoip-trim.ts"];
/** Also part of the recipe: the bundler's version (and this record's format). */
const RECIPE = `esbuild ${esbuildVersion}, record v1`;

export interface InputDigest {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}
/** `<name>.inputs.json`: the recipe and, per input (relative to the repo root), its content hash. */
export interface InputsRecord {
  readonly recipe: string;
  readonly files: Record<string, InputDigest>;
}

/** An input's digest; its content is hashed only when size or modification time differ from `known`. */
export function digestFile(file: string, known?: InputDigest): InputDigest | undefined {
  if (!existsSync(file)) return undefined;
  const { size, mtimeMs } = statSync(file);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known;
  return { size, mtimeMs, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") };
}

function readRecord(dir: string): InputsRecord | undefined {
  try {
    return JSON.parse(readFileSync(bundleInputsFile(dir), "utf8")) as InputsRecord;
  } catch {
    return undefined;
  }
}

/** Record the inputs of the bundle in `dir`; paths are relative to `root`. */
export function writeRecord(dir: string, files: Record<string, InputDigest>): void {
  const record: InputsRecord = { recipe: RECIPE, files };
  writeFileSync(bundleInputsFile(dir), `${JSON.stringify(record, null, 1)}\n`);
}

/** The digests of `inputs` (paths relative to `root`); an input that does not exist is left out. */
export function digestInputs(inputs: readonly string[], root: string = ROOT): Record<string, InputDigest> {
  const files: Record<string, InputDigest> = {};
  for (const rel of [...new Set(inputs)].sort()) {
    const digest = digestFile(path.join(root, rel));
    if (digest) files[rel] = digest;
  }
  return files;
}

/** Why the bundle in `dir` must be rebuilt, or undefined when it matches its sources (paths relative to `root`). */
export function staleReason(dir: string, root: string = ROOT): string | undefined {
  if (!existsSync(bundleEntry(dir)) || !existsSync(bundleZip(dir))) return "not built";
  const record = readRecord(dir);
  if (!record) return "no record of its inputs";
  if (record.recipe !== RECIPE) return `built by ${record.recipe}, not ${RECIPE}`;
  const now: Record<string, InputDigest> = {};
  let touched = false;
  for (const [rel, known] of Object.entries(record.files)) {
    const digest = digestFile(path.join(root, rel), known);
    if (!digest) return `${rel} is gone`;
    if (digest.sha256 !== known.sha256) return `${rel} changed`;
    touched ||= digest !== known;
    now[rel] = digest;
  }
  // Same content, new modification time (a checkout, a save without change): remember it, so the next check reads nothing.
  if (touched) writeRecord(dir, now);
  return undefined;
}

/** A DOS-epoch date for every entry, so the same files always give the same zip (and asset hash). */
const FIXED_DATE = new Date("1980-01-01T00:00:00Z");

/** Zip a bundle directory to `<dir>.zip` with sorted entries and fixed dates. */
export async function zipBundle(dir: string): Promise<{ file: string; bytes: number }> {
  const file = bundleZip(dir);
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(path.join(dir, f)).isFile()).sort();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    const archive = archiver("zip", { zlib: { level: 6 } });
    out.on("close", () => resolve());
    archive.on("error", reject);
    archive.pipe(out);
    for (const f of files) archive.file(path.join(dir, f), { name: f.split(path.sep).join("/"), date: FIXED_DATE, mode: 0o644 });
    void archive.finalize();
  });
  return { file, bytes: statSync(file).size };
}

/** Build one handler and zip it, then record its inputs (last: an interrupted build leaves no record, so it is stale). */
export async function buildAndRecord(name: string): Promise<{ bytes: number; zipBytes: number }> {
  const { bytes, inputs } = buildHandler(name);
  const zip = await zipBundle(bundleDir(name));
  writeRecord(bundleDir(name), digestInputs(inputs));
  return { bytes, zipBytes: zip.bytes };
}

/** A handler that cannot be built: one line naming it and the first line of the cause. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

/** The one line for a handler that failed to build; esbuild has printed the details above it. */
export function buildFailure(name: string, reason: string, cause: unknown): BuildError {
  // esbuild's errors may come from another realm (jest): read the message without instanceof.
  const message = typeof (cause as { message?: unknown })?.message === "string" ? (cause as { message: string }).message : String(cause);
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  // "Build failed with 1 error:" is followed by the error itself: keep both.
  const first = lines[0]?.endsWith(":") && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? "unknown error");
  return new BuildError(`cannot build handler ${name} (${reason}): ${first}; fix it, then run \`${BUILD_HANDLERS_COMMAND}\``);
}

async function main(argv: string[]): Promise<void> {
  const force = argv.includes("--force");
  for (const name of handlerNames()) {
    const reason = force ? "--force" : staleReason(bundleDir(name));
    if (!reason) {
      console.log(`dist/handlers/${name}: up to date with its sources`);
      continue;
    }
    try {
      const { bytes, zipBytes } = await buildAndRecord(name);
      console.log(
        `built dist/handlers/${name}/index.js (${(bytes / 1024).toFixed(1)} KiB), ${name}.zip (${(zipBytes / 2 ** 20).toFixed(1)} MiB): ${reason}`,
      );
    } catch (e) {
      throw buildFailure(name, reason, e);
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof BuildError ? e.message : e);
    process.exit(1);
  });
}
