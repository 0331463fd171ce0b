/**
 * Bundles every Lambda handler (`handlers/<name>/index.ts`) with esbuild into
 * one minified CommonJS file, `dist/handlers/<name>/index.js`, the directory a
 * stack zips as the function's asset. Files a handler needs beside its code
 * (e.g. a GeoIP database) are listed in EXTRA_FILES and copied next to it.
 * Synth never bundles: run `npm run build:handlers` first (`npm run synth` does).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
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

if (require.main === module) {
  for (const name of handlerNames()) {
    const { bytes } = buildHandler(name);
    console.log(`built dist/handlers/${name}/index.js (${(bytes / 1024).toFixed(1)} KiB)`);
  }
}
