/**
 * Bundles every Lambda handler (`handlers/<name>/index.ts`) with esbuild into
 * one minified CommonJS file, `dist/handlers/<name>/index.js`, the directory a
 * stack zips as the function's asset. Files a handler needs beside its code
 * (e.g. a GeoIP database) are listed in EXTRA_FILES and copied (or derived) next to it.
 * It then zips the directory to `dist/handlers/<name>.zip`, deterministically
 * (sorted entries, fixed dates), so synth only copies the zip.
 *
 * It rebuilds only what is stale: beside each bundle, `<name>.inputs.json` records the content hash of every
 * file the bundle was built from (esbuild's own list of inputs, the extra files, and this recipe); the record and
 * the check live in config/bundle-record.ts, which main.ts reads before every synth and runs this script only when
 * a bundle is stale (synth never loads esbuild). `--force` rebuilds everything.
 *
 * What a clean build pays for is cached in node_modules/.cache/web-analytics-handlers, by content: the trimmed GeoIP
 * databases (scripts/geoip-trim.ts; derived in two worker threads at once) and their deflated bytes, which both
 * transforms' zips reuse: a code change rebuilds without trimming or deflating them again.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import * as path from "node:path";
import { isMainThread, threadId, Worker, workerData } from "node:worker_threads";
import * as zlib from "node:zlib";
import { buildSync, version as esbuildVersion } from "esbuild";
import { bundleRecipe, digestFile, digestInputs, staleReason, writeRecord } from "../config/bundle-record";
import { BUILD_HANDLERS_COMMAND, BUNDLE_ENTRY, bundleDir, bundleInputsFile, bundleZip, REPO_ROOT } from "../config/handler-bundles";
import { BUNDLED_GEO_DATABASES, BUNDLED_GEO_PACKAGE } from "../handlers/firehose-transform/env";
import { TRIM_VERSION, trimGeoDatabase } from "./geoip-trim";

// The record of a bundle's inputs lives in config/ so main.ts can check it without loading this bundler.
export { digestFile, digestInputs, type InputDigest, type InputsRecord, staleReason, writeRecord } from "../config/bundle-record";

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

/**
 * Write under a temporary name, then rename: an interrupted build never leaves a truncated cache entry, and builds in
 * two worktrees (which share node_modules) never write the same temporary file.
 */
function writeAtomically(file: string, content: Buffer): void {
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

type DerivedFile = ExtraFile & Required<Pick<ExtraFile, "derive">>;

/** Where a derived file is cached: named by its deriver (and version) and its source's content. */
function derivedPath(file: DerivedFile): string {
  const digest = digestFile(path.join(ROOT, file.source));
  if (!digest) throw new Error(`${file.source} is missing: run npm ci`);
  return path.join(CACHE_DIR, `${file.derive.name}-${digest.sha256.slice(0, 16)}-${path.basename(file.target)}`);
}

/** Derive one file into the cache unless it is there, and deflate it for the zip while its bytes are at hand. */
function deriveToCache(file: DerivedFile): string {
  const cached = derivedPath(file);
  if (existsSync(cached)) return cached;
  mkdirSync(CACHE_DIR, { recursive: true });
  const content = file.derive.build(readFileSync(path.join(ROOT, file.source)));
  writeAtomically(cached, content);
  if (content.length >= CACHED_ENTRY_BYTES) cachedDeflate(content, CACHE_DIR);
  return cached;
}

function placeExtraFile(file: ExtraFile, outdir: string): void {
  const target = path.join(outdir, file.target);
  copyFileSync(file.derive ? deriveToCache(file as DerivedFile) : path.join(ROOT, file.source), target);
}

/**
 * Derive every file the given handlers need that is not cached yet, one worker thread per file: the two GeoIP
 * databases are trimmed (and deflated) at the same time, which halves a clean build's wait on two cores.
 */
async function deriveMissing(names: readonly string[]): Promise<void> {
  const missing = new Map<string, DerivedFile>();
  for (const name of names)
    for (const file of EXTRA_FILES[name] ?? []) {
      if (!file.derive) continue;
      const cached = derivedPath(file as DerivedFile);
      if (!existsSync(cached)) missing.set(cached, file as DerivedFile);
    }
  if (missing.size < 2) return; // one file: no thread to gain; placeExtraFile derives it
  await Promise.all(
    [...missing.values()].map(
      (file) =>
        new Promise<void>((resolve, reject) => {
          // The worker loads this module through tsx's require hook (a worker does not inherit tsx's loader) and derives one file.
          const code = `require(${JSON.stringify(require.resolve("tsx/cjs", { paths: [ROOT] }))}); require(${JSON.stringify(__filename)});`;
          const worker = new Worker(code, { eval: true, workerData: { derive: { source: file.source, target: file.target } } });
          worker.on("error", reject);
          worker.on("exit", (status) => (status === 0 ? resolve() : reject(new Error(`deriving ${file.target} failed (exit ${status})`))));
        }),
    ),
  );
}

export function handlerNames(): string[] {
  if (!existsSync(HANDLERS_DIR)) return [];
  return readdirSync(HANDLERS_DIR).filter((d) => existsSync(path.join(HANDLERS_DIR, d, "index.ts")));
}

/** Files that decide how every bundle is built, besides a handler's own inputs. */
const RECIPE_FILES = ["scripts/build-handlers.ts", "scripts/geoip-trim.ts", "scripts/mmdb-encode.ts", "config/bundle-record.ts"];
/** The running esbuild's version: the one that builds. */
const RECIPE = bundleRecipe(esbuildVersion);

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

// --- The zip: written here rather than by a zip library, so an entry's deflated bytes can be cached.

/** Entries at least this large (the GeoIP databases) are deflated once per content and reused: both transforms carry them. */
const CACHED_ENTRY_BYTES = 1 << 20;
const DEFLATE_LEVEL = 6;
/** DOS date 1980-01-01 and time 00:00 for every entry, so the same files always give the same zip (and asset hash). */
const DOS_DATE = (1 << 5) | 1;
const DOS_TIME = 0;
/** Unix rw-r--r-- regular file, in a central directory entry's external attributes. */
const FILE_MODE = 0o100644;

/** zlib's CRC-32 (Node >= 20.15), or the same sum computed here on older Node. */
export const crc32: (data: Uint8Array) => number = typeof zlib.crc32 === "function" ? (data) => zlib.crc32(data) : tableCrc32;

let CRC_TABLE: Uint32Array | undefined;
export function tableCrc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface DeflatedEntry {
  readonly crc: number;
  readonly size: number;
  readonly data: Buffer;
}

function deflateEntry(content: Buffer): DeflatedEntry {
  return { crc: crc32(content), size: content.length, data: zlib.deflateRawSync(content, { level: DEFLATE_LEVEL }) };
}

/**
 * A large entry's deflated bytes, from the cache when the same content was deflated before (by the other transform, or
 * by a build whose code alone changed). Keyed by content, level and zlib's version; CRC and size are in the file name.
 */
function cachedDeflate(content: Buffer, cacheDir: string): DeflatedEntry {
  const key = `deflate-${zlib.constants.ZLIB_VERNUM.toString(16)}-l${DEFLATE_LEVEL}-${createHash("sha256").update(content).digest("hex").slice(0, 32)}`;
  mkdirSync(cacheDir, { recursive: true });
  const hit = readdirSync(cacheDir).find((f) => f.startsWith(`${key}-`) && !f.endsWith(".tmp"));
  const parts = hit?.slice(key.length + 1).split("-");
  if (hit && parts?.length === 2)
    return { crc: Number.parseInt(parts[0] as string, 16), size: Number(parts[1]), data: readFileSync(path.join(cacheDir, hit)) };
  const entry = deflateEntry(content);
  const file = path.join(cacheDir, `${key}-${entry.crc.toString(16)}-${entry.size}`);
  writeAtomically(file, entry.data);
  return entry;
}

/** Zip a bundle directory to `<dir>.zip`: sorted entries, fixed dates and modes, deflated (no zip64: entries < 4 GiB). */
export function zipBundle(dir: string, cacheDir: string = CACHE_DIR): { file: string; bytes: number } {
  const file = bundleZip(dir);
  const names = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(path.join(dir, f)).isFile()).sort();
  const fd = openSync(`${file}.tmp`, "w");
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer) => {
    writeSync(fd, b);
    offset += b.length;
  };
  try {
    for (const rel of names) {
      const content = readFileSync(path.join(dir, rel));
      const { crc, size, data } = content.length >= CACHED_ENTRY_BYTES ? cachedDeflate(content, cacheDir) : deflateEntry(content);
      const name = Buffer.from(rel.split(path.sep).join("/"), "utf8");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0); // local file header
      local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
      local.writeUInt16LE(0x0800, 6); // flags: the name is UTF-8
      local.writeUInt16LE(8, 8); // method: deflate
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0); // central directory header
      header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
      local.copy(header, 6, 4, 30); // version needed .. name length: as in the local header
      header.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, name);
      write(local);
      write(name);
      write(data);
    }
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0); // end of central directory
    end.writeUInt16LE(names.length, 8);
    end.writeUInt16LE(names.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    write(directory);
    write(end);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
  return { file, bytes: statSync(file).size };
}

/** Build one handler and zip it, then record its inputs (last: an interrupted build leaves no record, so it is stale). */
export function buildAndRecord(name: string): { bytes: number; zipBytes: number } {
  const { bytes, inputs } = buildHandler(name);
  const zip = zipBundle(bundleDir(name));
  writeRecord(bundleDir(name), digestInputs(inputs), RECIPE);
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
  const reasons = new Map(handlerNames().map((name) => [name, force ? "--force" : staleReason(bundleDir(name), ROOT, RECIPE)]));
  await deriveMissing([...reasons].filter(([, reason]) => reason).map(([name]) => name));
  for (const [name, reason] of reasons) {
    if (!reason) {
      console.log(`dist/handlers/${name}: up to date with its sources`);
      continue;
    }
    try {
      const { bytes, zipBytes } = buildAndRecord(name);
      console.log(
        `built dist/handlers/${name}/index.js (${(bytes / 1024).toFixed(1)} KiB), ${name}.zip (${(zipBytes / 2 ** 20).toFixed(1)} MiB): ${reason}`,
      );
    } catch (e) {
      throw buildFailure(name, reason, e);
    }
  }
}

const job = workerData as { derive?: { source: string; target: string } } | undefined;
if (!isMainThread && job?.derive) {
  const { source, target } = job.derive;
  const file = Object.values(EXTRA_FILES)
    .flat()
    .find((f) => f.source === source && f.target === target && f.derive);
  if (!file) throw new Error(`no derived extra file ${source} -> ${target}`);
  deriveToCache(file as DerivedFile);
} else if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof BuildError ? e.message : e);
    process.exit(1);
  });
}
