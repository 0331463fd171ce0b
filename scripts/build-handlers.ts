/**
 * Bundles every Lambda handler (`handlers/<name>/index.ts`) with esbuild into
 * one minified CommonJS file, `dist/handlers/<name>/index.js`, the directory a
 * stack zips as the function's asset. Files a handler needs beside its code
 * (e.g. a GeoIP database) are listed in EXTRA_FILES and copied next to it.
 * It then zips the directory to `dist/handlers/<name>.zip`, deterministically
 * (sorted entries, fixed dates), so synth only copies the zip: zipping a
 * 130 MB bundle at every synth would take longer than the rest of synth.
 * Synth never bundles: run `npm run build:handlers` first (`npm run synth` does).
 */
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import archiver from "archiver";
import { buildSync } from "esbuild";
import { BUNDLED_GEO_DATABASES, BUNDLED_GEO_PACKAGE } from "../handlers/firehose-transform/env";

export const ROOT = path.resolve(__dirname, "..");
export const HANDLERS_DIR = path.join(ROOT, "handlers");
export const DIST_DIR = path.join(ROOT, "dist", "handlers");

/** Extra files per handler: [source relative to the repo root, name in the bundle directory]. */
export const EXTRA_FILES: Record<string, [string, string][]> = {
  // The GeoIP databases (DB-IP Lite, CC BY 4.0) and their licence travel beside the transform's code.
  "firehose-transform": [...BUNDLED_GEO_DATABASES, "DBIP-LICENSE"].map((f): [string, string] => [
    `node_modules/${BUNDLED_GEO_PACKAGE}/${f}`,
    f,
  ]),
};

export function handlerNames(): string[] {
  if (!existsSync(HANDLERS_DIR)) return [];
  return readdirSync(HANDLERS_DIR).filter((d) => existsSync(path.join(HANDLERS_DIR, d, "index.ts")));
}

/** The bundle directory of one handler. */
export function bundleDir(name: string): string {
  return path.join(DIST_DIR, name);
}

export function buildHandler(name: string): { file: string; bytes: number } {
  const outdir = bundleDir(name);
  rmSync(outdir, { recursive: true, force: true });
  rmSync(bundleZip(outdir), { force: true });
  mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, "index.js");
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
  for (const [source, target] of EXTRA_FILES[name] ?? []) copyFileSync(path.join(ROOT, source), path.join(outdir, target));
  return { file, bytes: statSync(file).size };
}

/** The zip of a bundle directory, written by {@link zipBundle}: `<bundleDir>.zip`. */
export function bundleZip(dir: string): string {
  return `${dir}.zip`;
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
