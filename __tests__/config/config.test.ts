import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadConfig } from "../../config/load";
import { BASE_CONFIG as base, problemsOf } from "../helpers/config";

describe("environment configuration", () => {
  it("loads config/dev.json with documented defaults filled in", () => {
    const config = loadConfig("dev");
    expect(config.state.backend).toBe("local");
    expect(config.realtimeLogs.samplingRate).toBe(100);
  });

  it.each([
    [{ ...base, realtimeLogs: { samplingRate: 0 } }, /^realtimeLogs\.samplingRate: /],
    [{ ...base, realtimeLogs: { samplingRate: 101 } }, /^realtimeLogs\.samplingRate: /],
    [{ ...base, realtimeLogs: { samplingRate: 12.5 } }, /^realtimeLogs\.samplingRate: must be a whole number/],
    [{ ...base, samplingRate: 50 }, /^samplingRate: unknown key$/],
    [{ ...base, state: { backend: "s3", bukket: "x" } }, /^state\.bukket: unknown key$/],
    [{ ...base, lakeBucketName: "My_Bucket" }, /^lakeBucketName: use lower-case letters/],
    [{ ...base, lakeBucketName: "192.168.1.1" }, /^lakeBucketName: must not look like an IP address/],
    [{ ...base, lakeBucketName: "ab" }, /^lakeBucketName: bucket names are 3-63 characters/],
    [{ ...base, region: "europe" }, /^region: an AWS region/],
    [{ ...base, project: undefined }, /^project: /],
  ])("rejects a bad value, naming the key (%#)", (input, message) => {
    expect(problemsOf(input)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ ...base, realtimeLogs: { samplingRate: 0 }, typo: true })).toHaveLength(2);
  });

  it("names the file and the environment when the file is missing or not JSON", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "config-"));
    writeFileSync(path.join(dir, "broken.json"), "{ not json");
    expect(() => loadConfig("nope", dir)).toThrow(/no configuration file for environment "nope"/);
    expect(() => loadConfig("broken", dir)).toThrow(/not valid JSON/);
  });

  it("a bad config stops synth (main.ts) with a message naming the key", () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), "config-"));
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ ...base, realtimeLogs: { samplingRate: 0 } }));
    // Act
    const result = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], {
      cwd: path.resolve(__dirname, "../.."),
      env: { ...process.env, ANALYTICS_ENV: "bad", ANALYTICS_CONFIG_DIR: dir, CDKTF_OUTDIR: mkdtempSync(path.join(tmpdir(), "out-")) },
      encoding: "utf8",
    });
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/realtimeLogs\.samplingRate/);
  });
});
