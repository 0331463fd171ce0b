import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, loadConfig } from "../../config/load";
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
    [{ ...base, region: "europe" }, /^region: unknown AWS region "europe"/],
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

  it.each([
    ["region", { ...base, region: "eu-westt-1" }, "eu-west-1"],
    ["region", { ...base, region: "us-est-1" }, "us-east-1"],
    ["region", { ...base, region: "ap-southeast-9" }, "ap-southeast-1"],
    ["state.region", { ...base, state: { backend: "s3", region: "eu-centrl-1", accountId: "111122223333" } }, "eu-central-1"],
  ])("a region typo fails, naming %s and suggesting the closest region (%#)", (key, input, closest) => {
    const problems = problemsOf(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${key.replace(".", "\\.")}: unknown AWS region .*did you mean "${closest}"\\?$`));
  });

  it.each(["us-gov-west-1", "cn-north-1", "ap-southeast-7", "mx-central-1"])("accepts the region %s", (region) => {
    expect(() => problemsOf({ ...base, region })).toThrow(/expected the config to be rejected/);
  });

  it("fails when the selected environment (ANALYTICS_ENV) differs from the file's `environment`, naming both in one line", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "config-"));
    writeFileSync(path.join(dir, "staging.json"), JSON.stringify({ ...base, environment: "prod" }));
    let error: unknown;
    try {
      loadConfig("staging", dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environment: .*"prod".*"staging".*ANALYTICS_ENV/);
    expect(problems[0]).not.toContain("\n");
    // A file whose environment matches its name loads.
    writeFileSync(path.join(dir, "prod.json"), JSON.stringify({ ...base, environment: "prod" }));
    expect(loadConfig("prod", dir).environment).toBe("prod");
  });

  it("every shipped config file's environment equals its file name", () => {
    for (const name of ["dev", "ga-example", "dashboards-example", "lean-example"]) expect(loadConfig(name).environment).toBe(name);
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
