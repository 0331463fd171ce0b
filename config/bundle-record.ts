/**
 * The record of what a handler bundle was built from (`<bundle dir>.inputs.json`), and the check whether a
 * bundle still matches its sources. scripts/build-handlers.ts writes the record; main.ts reads it before every
 * synth, so a warm synth (nothing changed) is one process that loads neither the bundler nor the GeoIP trimmer.
 * Only node: modules here: the check costs a few stat calls, and esbuild's version is read from its package.json
 * (synth must not load esbuild; a test checks the two agree).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bundleEntry, bundleInputsFile, bundleZip, REPO_ROOT } from "./handler-bundles";

/** The installed esbuild's version, without loading esbuild. */
export function installedEsbuildVersion(root: string = REPO_ROOT): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, "node_modules", "esbuild", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

/**
 * Also part of every bundle's recipe: the bundler's version and this record's format (v2: the zip is written by
 * scripts/build-handlers.ts itself, its large entries deflated once and cached).
 */
export function bundleRecipe(esbuildVersion: string = installedEsbuildVersion()): string {
  return `esbuild ${esbuildVersion}, record v2`;
}

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

/** Digests already computed in this process: a build hashes each GeoIP source several times otherwise (~130 MB each). */
const hashed = new Map<string, InputDigest>();

/** An input's digest; its content is hashed only when size or modification time differ from `known` (or this process's last hash). */
export function digestFile(file: string, known?: InputDigest): InputDigest | undefined {
  if (!existsSync(file)) return undefined;
  const { size, mtimeMs } = statSync(file);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known;
  const last = hashed.get(file);
  if (last && last.size === size && last.mtimeMs === mtimeMs) return last;
  const digest = { size, mtimeMs, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") };
  hashed.set(file, digest);
  return digest;
}

function readRecord(dir: string): InputsRecord | undefined {
  try {
    return JSON.parse(readFileSync(bundleInputsFile(dir), "utf8")) as InputsRecord;
  } catch {
    return undefined;
  }
}

/** Record the inputs of the bundle in `dir`, built by `recipe`. */
export function writeRecord(dir: string, files: Record<string, InputDigest>, recipe: string = bundleRecipe()): void {
  const record: InputsRecord = { recipe, files };
  writeFileSync(bundleInputsFile(dir), `${JSON.stringify(record, null, 1)}\n`);
}

/** The digests of `inputs` (paths relative to `root`); an input that does not exist is left out. */
export function digestInputs(inputs: readonly string[], root: string = REPO_ROOT): Record<string, InputDigest> {
  const files: Record<string, InputDigest> = {};
  for (const rel of [...new Set(inputs)].sort()) {
    const digest = digestFile(path.join(root, rel));
    if (digest) files[rel] = digest;
  }
  return files;
}

/**
 * Why the bundle in `dir` must be rebuilt, or undefined when it matches its sources (paths relative to `root`).
 * A file whose size and modification time match the record is not read again.
 */
export function staleReason(dir: string, root: string = REPO_ROOT, recipe: string = bundleRecipe()): string | undefined {
  if (!existsSync(bundleEntry(dir)) || !existsSync(bundleZip(dir))) return "not built";
  const record = readRecord(dir);
  if (!record) return "no record of its inputs";
  if (record.recipe !== recipe) return `built by ${record.recipe}, not ${recipe}`;
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
  if (touched) writeRecord(dir, now, recipe);
  return undefined;
}
