/**
 * Finding a browser, as a newcomer's machine has one: local/browser.ts and
 * scripts/setup-browser.sh use an installed Chromium or Chrome before anything
 * else, and without root or sudo setup says what it could not install and how,
 * instead of stopping on a sudo error. The script runs for real with a PATH
 * holding only what each case needs; as root (CI) it drops to `nobody` for the
 * unprivileged cases. apt-get is a stand-in that records its arguments.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CHROMIUM_COMMANDS, findChromium } from "../../local/browser";

const SOURCE = path.resolve(__dirname, "../../scripts/setup-browser.sh");
const isRoot = process.getuid?.() === 0;

let dir: string;
/** A copy of the script beside the stand-ins: the checkout may sit in a folder `nobody` cannot enter (mktemp -d is 0700). */
let SCRIPT: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "setup-browser-"));
  chmodSync(dir, 0o755); // readable by `nobody`
  SCRIPT = path.join(dir, "setup-browser.sh");
  copyFileSync(SOURCE, SCRIPT);
  chmodSync(SCRIPT, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A command's path on this process's PATH (the scripts run with a PATH of their own). */
const which = (tool: string) => spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();

/** A bin directory with bash and id (what the script needs) plus the given executables (name -> script body). */
function binDir(name: string, extra: Record<string, string> = {}): string {
  const bin = path.join(dir, name);
  mkdirSync(bin);
  for (const tool of ["bash", "id"]) {
    symlinkSync(which(tool), path.join(bin, tool));
  }
  for (const [file, body] of Object.entries(extra)) {
    writeFileSync(path.join(bin, file), `#!${path.join(bin, "bash")}\n${body}\n`);
    chmodSync(path.join(bin, file), 0o755);
  }
  return bin;
}

function run(bin: string, opts: { asUser?: boolean; env?: Record<string, string> } = {}) {
  const env = { PATH: bin, ...opts.env };
  const drop = opts.asUser && isRoot ? [which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const argv = [...drop, path.join(bin, "bash"), SCRIPT];
  return spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", env, cwd: dir });
}

describe("scripts/setup-browser.sh", () => {
  it("uses a Chrome that is already on PATH and installs nothing", () => {
    const bin = binDir("has-chrome", { "google-chrome": "echo chrome", "apt-get": `echo "$@" >> ${dir}/apt-calls-1` });
    const r = run(bin, { asUser: true });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`setup-browser: using ${path.join(bin, "google-chrome")}`);
    expect(existsSync(path.join(dir, "apt-calls-1"))).toBe(false);
  });

  it("without root and without sudo: one line saying it could not install Chromium and how, exit 1, no apt-get", () => {
    const bin = binDir("no-root", { "apt-get": `echo "$@" >> ${dir}/apt-calls-2` });
    const r = run(bin, { asUser: true });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      "setup-browser: could not install Chromium: not root and no usable sudo; install Chromium or Google Chrome yourself (Debian/Ubuntu: sudo apt-get install chromium), or set CHROMIUM_PATH to one that is installed",
    );
    expect(existsSync(path.join(dir, "apt-calls-2"))).toBe(false);
  });

  it("a CHROMIUM_PATH that is not executable is named", () => {
    const bin = binDir("bad-path");
    const r = run(bin, { env: { CHROMIUM_PATH: path.join(dir, "nothing-here") } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^setup-browser: CHROMIUM_PATH=.*nothing-here is not an executable file; /);
  });

  (isRoot ? it : it.skip)("as root (CI) with no browser: installs Debian's chromium with apt-get", () => {
    const bin = binDir("root");
    // The stand-in apt-get "installs" a chromium that answers --version, as the package would.
    writeFileSync(
      path.join(bin, "apt-get"),
      `#!${path.join(bin, "bash")}\necho "$@" >> ${dir}/apt-calls-3\nif [[ "$1" == install ]]; then printf '#!${path.join(bin, "bash")}\\necho Chromium 1.0\\n' > ${bin}/chromium; chmod +x ${bin}/chromium; fi\n`,
    );
    chmodSync(path.join(bin, "apt-get"), 0o755);
    // chmod is needed by the stand-in.
    symlinkSync(which("chmod"), path.join(bin, "chmod"));
    const r = run(bin);
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, "apt-calls-3"), "utf8").trim().split("\n")).toEqual([
      "update",
      "install -y --no-install-recommends chromium",
    ]);
    expect(r.stdout.trim()).toBe("Chromium 1.0");
  });
});

describe("local/browser.ts findChromium", () => {
  it("takes CHROMIUM_PATH first, then the first command on PATH in the documented order", () => {
    const bin = binDir("find", { "chromium-browser": "", "google-chrome": "" });
    expect(findChromium({ PATH: bin })).toBe(path.join(bin, "chromium-browser"));
    expect(findChromium({ PATH: bin, CHROMIUM_PATH: path.join(bin, "google-chrome") })).toBe(path.join(bin, "google-chrome"));
    expect(CHROMIUM_COMMANDS[0]).toBe("chromium");
  });

  it("gives up with one line saying what to do", () => {
    const empty = binDir("empty");
    expect(() => findChromium({ PATH: empty })).toThrow(
      /^no Chromium or Chrome found \(looked for chromium, chromium-browser, google-chrome, google-chrome-stable, chrome on PATH\): run npm run setup:browser, or set CHROMIUM_PATH$/,
    );
    expect(() => findChromium({ PATH: empty, CHROMIUM_PATH: path.join(empty, "bash-not-here") })).toThrow(
      /CHROMIUM_PATH=.*bash-not-here is not an executable file/,
    );
  });
});
