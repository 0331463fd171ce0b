/**
 * Benchmark of `npm run synth` (issue 18 item 4), on a fresh clone of the current commit (HEAD; uncommitted changes
 * are not in it) in a temporary folder:
 *
 * - cold: the first `npm run synth` in the clone, which builds every bundle (esbuild, GeoIP trimming, zips) with an
 *   empty build cache and tsx's transform cache off (target < 30 s);
 * - warm: `npm run synth` again with nothing changed, the median of SYNTH_WARM_RUNS (default 5) runs after the cold
 *   one, which primes it (target < 5 s, aim 3 s);
 * - whether the GeoIP trimming pays: a fresh process reading each pair of databases (trimmed and as shipped) and
 *   answering one lookup, the Lambda's cold-start work, median of 3; and the bytes both ways.
 *
 * The clone's node_modules is a folder of symlinks to this checkout's packages, not `npm ci`: installing is not synth
 * (it downloads, and takes minutes of its own), and a real folder, not a link to the whole node_modules, keeps the
 * clone's node_modules/.cache (the GeoIP and deflate cache) empty, as after `npm ci`.
 * Times are wall clock and CPU seconds of the command and its children (from /proc, so Linux only); with other work
 * on the machine, CPU seconds measure the code and wall clock measures the load as well.
 *
 * Run: npm run bench -- --only synth
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BUNDLED_GEO_DATABASES, BUNDLED_GEO_PACKAGE } from "../handlers/firehose-transform/env";
import { loadAverage, median, summary } from "./summary";

const ROOT = path.resolve(__dirname, "..");
const WARM_RUNS = Number(process.env.SYNTH_WARM_RUNS ?? 5);
const WARM_TARGET_S = 5;
const COLD_TARGET_S = 30;

const load = loadAverage;
/** CPU seconds used by this process's waited-for children so far (cutime + cstime in /proc/self/stat). */
function childCpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ", field 3 is index 0: cutime and cstime are fields 16 and 17, in clock ticks (100 per second).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface Timed {
  readonly wall: number;
  readonly cpu: number;
}

function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Timed {
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  const run = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  const wall = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${run.stdout}\n${run.stderr}`);
  return { wall, cpu: childCpuSeconds() - cpu0 };
}

/** A clone of HEAD whose node_modules links each package of this checkout's (and not its .cache). */
function cloneHead(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "synth-bench-"));
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  execFileSync("git", ["clone", "--quiet", "--no-checkout", ROOT, dir]);
  execFileSync("git", ["checkout", "--quiet", head], { cwd: dir });
  const source = path.join(ROOT, "node_modules");
  mkdirSync(path.join(dir, "node_modules"));
  for (const entry of readdirSync(source)) {
    if (entry === ".cache") continue;
    symlinkSync(path.join(source, entry), path.join(dir, "node_modules", entry));
  }
  return dir;
}

/** A fresh process reading the given GeoIP files and answering one lookup per file: the Lambda's cold-start GeoIP work. */
function geoOpen(files: string[]): Timed {
  const script = [
    'const { readFileSync } = require("node:fs");',
    'const { Reader } = require("maxmind");',
    "for (const f of process.argv.slice(1)) new Reader(readFileSync(f)).get(f.includes('ipv6') ? '2a00:1450::1' : '8.8.8.8');",
  ].join("\n");
  return timed(process.execPath, ["-e", script, ...files], ROOT);
}

function main(): void {
  console.log(`synth on a fresh clone of HEAD, load average ${load()}`);
  const clone = cloneHead();
  try {
    const cold = timed("npm", ["run", "synth"], clone, { TSX_DISABLE_CACHE: "1" });
    console.log(`cold (first synth, builds every bundle): ${cold.wall.toFixed(1)} s wall, ${cold.cpu.toFixed(1)} CPU-s  [load ${load()}]`);
    const warm: Timed[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push(timed("npm", ["run", "synth"], clone));
    const warmWall = median(warm.map((w) => w.wall));
    const warmCpu = median(warm.map((w) => w.cpu));
    console.log(
      `warm (nothing changed), median of ${WARM_RUNS}: ${warmWall.toFixed(2)} s wall, ${warmCpu.toFixed(2)} CPU-s ` +
        `(runs: ${warm.map((w) => `${w.wall.toFixed(2)}s/${w.cpu.toFixed(2)}cpu`).join(", ")})  [load ${load()}]`,
    );
    summary({
      bench: "synth",
      figure: "synth warm (npm run synth, nothing changed; median wall)",
      value: `${warmWall.toFixed(2)} s (${warmCpu.toFixed(2)} CPU-s)`,
      target: `< ${WARM_TARGET_S} s`,
      met: warmWall < WARM_TARGET_S,
    });
    summary({
      bench: "synth",
      figure: "synth cold (fresh clone, first npm run synth; wall)",
      value: `${cold.wall.toFixed(1)} s (${cold.cpu.toFixed(1)} CPU-s)`,
      target: `< ${COLD_TARGET_S} s`,
      met: cold.wall < COLD_TARGET_S,
    });

    // Whether the trimming pays: the clone's build cache now holds the trimmed files.
    const cacheDir = path.join(clone, "node_modules", ".cache", "web-analytics-handlers");
    const trimmed = BUNDLED_GEO_DATABASES.map((f) => {
      const hit = readdirSync(cacheDir).find((c) => c.startsWith("geoip-trim-") && c.endsWith(f));
      if (!hit) throw new Error(`no trimmed ${f} in ${cacheDir}`);
      return path.join(cacheDir, hit);
    });
    const shipped = BUNDLED_GEO_DATABASES.map((f) => path.join(ROOT, "node_modules", BUNDLED_GEO_PACKAGE, f));
    const mib = (files: string[]) => (files.reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20).toFixed(1);
    const open = (files: string[]) => {
      const runs = [geoOpen(files), geoOpen(files), geoOpen(files)];
      return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
    };
    const a = open(trimmed);
    const b = open(shipped);
    console.log(
      `GeoIP at cold start (fresh process: read both files, one lookup each), median of 3: trimmed ${mib(trimmed)} MiB ` +
        `${(a.wall * 1000).toFixed(0)} ms wall / ${(a.cpu * 1000).toFixed(0)} ms CPU; as shipped ${mib(shipped)} MiB ` +
        `${(b.wall * 1000).toFixed(0)} ms wall / ${(b.cpu * 1000).toFixed(0)} ms CPU  [load ${load()}]`,
    );
    summary({
      bench: "synth",
      figure: "GeoIP cold open, trimmed vs as shipped (median CPU)",
      value: `${(a.cpu * 1000).toFixed(0)} vs ${(b.cpu * 1000).toFixed(0)} ms, ${mib(trimmed)} vs ${mib(shipped)} MiB`,
    });
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

main();
