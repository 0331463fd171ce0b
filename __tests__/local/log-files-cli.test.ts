/**
 * The standard-log flags as a user meets them: `npm run sample -- --format standard` writes a .gz standard log
 * file that `npm run local -- --logs` reads, and a mistake names its flag (exit 2, one line).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { STANDARD_LOG_LEGACY_COLUMNS } from "../../schemas/cloudfront";

const ROOT = path.resolve(__dirname, "../..");
const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });

const dir = mkdtempSync(path.join(tmpdir(), "log-files-cli-"));

describe("npm run sample -- --format standard, then npm run local -- --logs", () => {
  it("writes a gzip'd legacy standard log file and runs it into a lake", () => {
    const out = path.join(dir, "s.log.gz");
    const sample = tsx("local/sample.ts", ["--days", "1", "--sessions", "20", "--format", "standard", "--out", out]);
    expect(sample.status).toBe(0);
    const text = gunzipSync(readFileSync(out)).toString("utf8").split("\n");
    expect(text[0]).toBe("#Version: 1.0");
    expect(text[1]).toBe(`#Fields: ${STANDARD_LOG_LEGACY_COLUMNS.join(" ")}`);
    expect(readFileSync(path.join(dir, "s.truth.json"), "utf8")).toContain('"lines"');

    const local = tsx("local/run.ts", ["--logs", out, "--lake", path.join(dir, "lake"), "--no-queries"]);
    expect(local.stderr).toBe("");
    expect(local.status).toBe(0);
    expect(local.stdout).toMatch(/^\d+ lines in 1 log files, .* \d+ ok /);
  });
});

describe("flag mistakes", () => {
  const usageError = (r: ReturnType<typeof tsx>, flag: string) => {
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(new RegExp(`^error: --${flag}: `))]);
  };

  it("npm run sample -- --format csv: names --format", () => {
    usageError(tsx("local/sample.ts", ["--format", "csv", "--out", path.join(dir, "x.tsv")]), "format");
  });

  it("npm run local -- --input and --logs together: names --logs", () => {
    usageError(tsx("local/run.ts", ["--input", "a.tsv", "--logs", "b.gz", "--lake", path.join(dir, "l2")]), "logs");
  });

  it("npm run local -- --logs on a missing path: names --logs", () => {
    usageError(tsx("local/run.ts", ["--logs", path.join(dir, "missing.gz"), "--lake", path.join(dir, "l3")]), "logs");
  });
});
