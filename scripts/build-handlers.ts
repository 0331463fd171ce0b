/**
 * Bundles every Lambda handler (`handlers/<name>/index.ts`) with esbuild into
 * one minified CommonJS file, `dist/handlers/<name>/index.js`, the directory a
 * stack zips as the function's asset. Files a handler needs beside its code
 * (e.g. a GeoIP database) are listed in EXTRA_FILES and copied (or derived) next to it.
 * It then zips the directory to `dist/handlers/<name>.zip`, deterministically
 * (sorted entries, fixed dates), so synth only copies the zip: zipping a
 * 100 MB bundle at every synth would take longer than the rest of synth.
 * Synth never bundles: run `npm run build:handlers` first (`npm run synth` does).
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
import { buildSync } from "esbuild";
import { BUNDLE_ENTRY, bundleDir, bundleZip, REPO_ROOT } from "../config/handler-bundles";
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
export const EXTRA_FILES: Record<string, ExtraFile[]> = {
  // The GeoIP databases (DB-IP Lite, CC BY 4.0), trimmed to the fields the transform reads, and their licence.
  "firehose-transform": [
    ...BUNDLED_GEO_DATABASES.map((f) => ({ source: `node_modules/${BUNDLED_GEO_PACKAGE}/${f}`, target: f, derive: trimmedGeoDatabase })),
    { source: `node_modules/${BUNDLED_GEO_PACKAGE}/DBIP-LICENSE`, target: "DBIP-LICENSE" },
  ],
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

export function buildHandler(name: string): { file: string; bytes: number } {
  const outdir = bundleDir(name);
  rmSync(outdir, { recursive: true, force: true });
  rmSync(bundleZip(outdir), { force: true });
  mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, BUNDLE_ENTRY);
  buildSync({
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
  return { file, bytes: statSync(file).size };
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

async function main(): Promise<void> {
  for (const name of handlerNames()) {
    const { bytes } = buildHandler(name);
    const zip = await zipBundle(bundleDir(name));
    console.log(
      `built dist/handlers/${name}/index.js (${(bytes / 1024).toFixed(1)} KiB), ${name}.zip (${(zip.bytes / 2 ** 20).toFixed(1)} MiB)`,
    );
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
