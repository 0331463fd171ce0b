/**
 * Where built Lambda bundles live: the one convention scripts/build-handlers.ts
 * writes by and the stacks read by. Stacks consume bundles as artefacts, so synth
 * never imports the bundler (esbuild); this module imports nothing but node:path.
 */
import * as path from "node:path";

/** The handlers with a bundle: each is `handlers/<name>/index.ts` (a test checks the folders agree). */
export const HANDLER_NAMES = ["firehose-transform", "log-file-transform", "usage-stats"] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

export const REPO_ROOT = path.resolve(__dirname, "..");
/** `dist/handlers/`: one directory per handler, and its zip beside it. */
export const HANDLER_BUNDLES_DIR = path.join(REPO_ROOT, "dist", "handlers");
/** The bundled code inside a bundle directory; the function's handler is `index.handler`. */
export const BUNDLE_ENTRY = "index.js";
/** The command that builds the bundles, named in every "missing bundle" message. */
export const BUILD_HANDLERS_COMMAND = "npm run build:handlers";

/** The bundle directory of one handler: `dist/handlers/<name>`. */
export function bundleDir(name: string): string {
  return path.join(HANDLER_BUNDLES_DIR, name);
}

/** The zip the build writes beside a bundle directory: `<dir>.zip`. */
export function bundleZip(dir: string): string {
  return `${dir}.zip`;
}

/**
 * The record of what a bundle was built from, beside it (not inside: the zip holds the directory): `<dir>.inputs.json`.
 * scripts/build-handlers.ts writes it and rebuilds a bundle only when an input's content differs from it.
 */
export function bundleInputsFile(dir: string): string {
  return `${dir}.inputs.json`;
}

/** The code file of a bundle directory. */
export function bundleEntry(dir: string): string {
  return path.join(dir, BUNDLE_ENTRY);
}

/** A bundle the stacks need was not built. Its message is one line; main.ts prints it without a stack trace. */
export class MissingBundleError extends Error {
  override readonly name = "MissingBundleError";
}

/** The one-line message for a bundle directory without its code, relative to the repo when inside it. */
export function missingBundleMessage(dir: string, where?: string): string {
  const rel = path.relative(REPO_ROOT, bundleEntry(dir));
  const shown = rel.startsWith("..") || path.isAbsolute(rel) ? bundleEntry(dir) : rel;
  return `${where ? `${where}: ` : ""}no handler bundle at ${shown}: run \`${BUILD_HANDLERS_COMMAND}\` first`;
}
