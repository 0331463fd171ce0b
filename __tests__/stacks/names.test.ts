/**
 * AWS name rules at synth (config/aws-names.ts, stacks/names.ts): every shipped config, synthesized with long and
 * odd project/environment names. The longest that fits is read from the error's own advice, then proven: it synths,
 * one character more fails with one line naming the config keys, the name and the limit.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { ACCOUNT_ID_SHOWN, AWS_NAME_RULES, AwsNameError, type NameKind, nameProblem } from "../../config/aws-names";
import { CONFIG_DIR, parseConfig } from "../../config/load";
import { createStacks } from "../../stacks/app";
import { checkName } from "../../stacks/names";
import { BASE_CONFIG, problemsOf } from "../helpers/config";
import { fixtureBundles } from "../helpers/synth";

const SHIPPED = ["dev", "ga-example", "dashboards-example"] as const;
const shipped = (name: string) => JSON.parse(readFileSync(path.join(CONFIG_DIR, `${name}.json`), "utf8")) as Record<string, unknown>;

/** Synthesize every stack of a shipped config under another project/environment; the error, if any. */
function synthWith(configName: string, project: string, environment: string, extra: Record<string, unknown> = {}): Error | undefined {
  const config = parseConfig({ ...shipped(configName), project, environment, ...extra }, configName);
  try {
    const app = Testing.app();
    createStacks(app, config, { ...fixtureBundles, log: () => {} });
    app.synth();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const letters = (n: number, c = "a") => `${c}${"x".repeat(n - 1)}`;
/** The config's Name rule allows 2-31 characters each. */
const MAX_KEY = 31;

describe("long project and environment names", () => {
  const tooLong = synthWith("dev", letters(MAX_KEY, "p"), letters(MAX_KEY, "e"));
  const advice = /keep project and environment to (\d+) characters together/.exec(tooLong?.message ?? "");
  const fits = Number(advice?.[1]);

  it("fail synth with one line naming the config keys, the resulting name (account id shown) and the AWS limit", () => {
    expect(tooLong).toBeInstanceOf(AwsNameError);
    const message = tooLong?.message ?? "";
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(/^config keys project \("p[x]{30}"\) and environment \("e[x]{30}"\) are 62 characters together: /);
    expect(message).toMatch(
      new RegExp(`the S3 bucket name "p[x]{30}-e[x]{30}-[a-z-]+-${ACCOUNT_ID_SHOWN}" is \\d+ characters; AWS allows at most 63`),
    );
    expect(message).toContain(AWS_NAME_RULES.s3Bucket.source);
    // The advice leaves room for names people use, e.g. a 20-character project with "production".
    expect(fits).toBeGreaterThanOrEqual(30);
  });

  it.each(SHIPPED)("%s: the longest that fits synthesizes; one character more fails with the advice", (configName) => {
    const project = letters(Math.min(MAX_KEY, fits - 2), "p");
    const environment = letters(fits - project.length, "e");
    expect(synthWith(configName, project, environment)).toBeUndefined();
    const over = synthWith(configName, `${project}`, `${environment}x`);
    expect(over).toBeInstanceOf(AwsNameError);
    expect(over?.message).toContain(`keep project and environment to ${fits} characters together`);
  });

  it("the S3 state backend's bucket (12-digit account id from the config) fits within the same advice", () => {
    const project = letters(Math.min(MAX_KEY, fits - 2), "p");
    const environment = letters(fits - project.length, "e");
    expect(synthWith("dev", project, environment, { state: { backend: "s3", accountId: "123456789012" } })).toBeUndefined();
  });
});

describe("odd project and environment names fail at config validation, naming the key", () => {
  it.each([
    ["upper case", "WebStats"],
    ["underscore", "web_stats"],
    ["dot", "web.stats"],
    ["space", "web stats"],
    ["leading digit", "1web"],
    ["leading hyphen", "-web"],
    ["trailing hyphen", "web-"],
    ["double hyphen (S3 reserves xn--)", "xn--web"],
    ["one character", "w"],
    ["32 characters", letters(32)],
  ])("%s: %s", (_what, name) => {
    expect(problemsOf({ ...BASE_CONFIG, project: name })).toEqual([expect.stringMatching(/^project: /)]);
    expect(problemsOf({ ...BASE_CONFIG, environment: name })).toEqual([expect.stringMatching(/^environment: /)]);
  });

  it("accepts names at the edges: 2 and 31 characters, digits, single hyphens", () => {
    for (const name of ["ab", letters(31), "web-2", "a1-b2-c3"]) {
      expect(() => parseConfig({ ...BASE_CONFIG, project: name, environment: name })).not.toThrow();
    }
  });
});

describe("the name rules", () => {
  const kinds = Object.keys(AWS_NAME_RULES) as NameKind[];
  /** A name of n characters the rule's pattern accepts. */
  const sample = (kind: NameKind, n: number) => (kind === "kmsAlias" ? `alias/${"a".repeat(n - 6)}` : "a".repeat(n));

  it.each(kinds)("%s: accepts its maximum length and rejects one more", (kind) => {
    const { max } = AWS_NAME_RULES[kind];
    expect(nameProblem(kind, sample(kind, max))).toBeUndefined();
    expect(nameProblem(kind, sample(kind, max + 1))).toBe(`is ${max + 1} characters; AWS allows at most ${max}`);
  });

  it("each rule cites an AWS page", () => {
    for (const kind of kinds) expect(AWS_NAME_RULES[kind].source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it("S3: characters, adjacent dots and reserved prefixes", () => {
    expect(nameProblem("s3Bucket", "Web-Lake")).toMatch(/characters AWS does not allow/);
    expect(nameProblem("s3Bucket", "web..lake")).toBe("has two adjacent dots");
    expect(nameProblem("s3Bucket", "xn--lake")).toBe("has a prefix or suffix S3 reserves");
    expect(nameProblem("glueCatalog", "web-lake")).toMatch(/lower-case letters, digits and underscores/);
  });

  it("counts a token (the account id) as its 12 digits and shows it as <account-id>", () => {
    const token = "${TfToken[TOKEN.42]}";
    const fits = `${"a".repeat(63 - 13)}-${token}`;
    expect(checkName("s3Bucket", fits, "here")).toBe(fits);
    expect(() => checkName("s3Bucket", `a${fits}`, "here")).toThrow(
      `here: the S3 bucket name "a${"a".repeat(50)}-${ACCOUNT_ID_SHOWN}" is 64 characters; AWS allows at most 63`,
    );
  });
});
