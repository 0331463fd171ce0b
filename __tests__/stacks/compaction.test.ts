/**
 * The compaction job as Terraform: the Glue 5.0 job and its arguments, the
 * code uploaded under a content hash, encryption of logs and bookmarks, the
 * scheduled trigger, least-privilege IAM, the config section and the Glue
 * rules of the rule pack.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { GlueJob } from "@cdktf/provider-aws/lib/glue-job";
import { GlueSecurityConfiguration } from "@cdktf/provider-aws/lib/glue-security-configuration";
import { GlueTrigger } from "@cdktf/provider-aws/lib/glue-trigger";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { Testing } from "cdktf";
import { DEFAULT_COMPACTION_SCHEDULE, glueCronProblem } from "../../config/compaction";
import { ConfigError, parseConfig } from "../../config/load";
import { LAKE_PREFIXES } from "../../schemas/lake";
import { AnalyticsStack } from "../../stacks/base-stack";
import {
  COMPACTION_CODE_PREFIX,
  COMPACTION_FILES,
  CompactionJob,
  compactionCodeHash,
  readRollupsSpec,
  runtimeRequirements,
} from "../../stacks/constructs/compaction-job";
import { SecureBucket } from "../../stacks/constructs/secure-bucket";
import { PipelineStack } from "../../stacks/pipeline-stack";
import { evaluate } from "../../stacks/rules/engine";
import { GLUE_RULES } from "../../stacks/rules/rules";
import { testConfig } from "../helpers/config";
import { resourcesOfType, synthJson, testApp } from "../helpers/synth";

function pipeline(overrides: Parameters<typeof testConfig>[0] = {}) {
  return new PipelineStack(testApp(), "pipeline", { config: testConfig(overrides) });
}

const REQUIREMENTS = path.resolve(__dirname, "../../glue/requirements.txt");

describe("compaction job", () => {
  const stack = pipeline();
  const synthesized = Testing.synth(stack);
  const json = synthJson(stack);
  const job = resourcesOfType(json, "aws_glue_job")[0] as Record<string, unknown> & { default_arguments: Record<string, string> };
  const artifactsBucket = Object.keys(json.resource.aws_s3_bucket ?? {}).find((k) => k.includes("artifacts"));

  it("is a Glue 5.0 Spark job on the fewest workers, bounded, one run at a time, with retries", () => {
    expect(synthesized).toHaveResourceWithProperties(GlueJob, {
      name: "webstats-test-compaction",
      glue_version: "5.0",
      worker_type: "G.1X",
      number_of_workers: 2,
      execution_class: "FLEX",
      timeout: 60,
      max_retries: 2,
      execution_property: { max_concurrent_runs: 1 },
      security_configuration: expect.stringMatching(/^\$\{aws_glue_security_configuration\.[\w-]+\.name\}$/),
      command: expect.objectContaining({ name: "glueetl", python_version: "3" }),
    });
  });

  it("runs the uploaded script under a content-hashed key, with its libraries, the generated schema and rollups beside it", () => {
    const hash = compactionCodeHash();
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const prefix = `s3://\${aws_s3_bucket.${artifactsBucket}.bucket}/${COMPACTION_CODE_PREFIX}${hash}/`;
    expect((job.command as { script_location: string }).script_location).toBe(`${prefix}compaction_job.py`);
    expect(job.default_arguments["--extra-py-files"]).toBe(`${prefix}lake_compaction.py,${prefix}lake_rollups.py`);
    expect(job.default_arguments["--schema-uri"]).toBe(`${prefix}events.schema.json`);
    expect(job.default_arguments["--rollups-uri"]).toBe(`${prefix}rollups.json`);
    const keys = resourcesOfType(json, "aws_s3_object").map((o) => o.key);
    expect(keys.sort()).toEqual(
      ["compaction_job.py", "events.schema.json", "lake_compaction.py", "lake_rollups.py", "rollups.json"].map(
        (f) => `${COMPACTION_CODE_PREFIX}${hash}/${f}`,
      ),
    );
    expect(synthesized).toHaveResourceWithProperties(S3Object, { source_hash: expect.stringMatching(/^[0-9A-F]{32}$/i) });
  });

  it("passes the lake, its prefixes (from schemas/lake.ts), the tunables and the tested pyarrow and duckdb pins", () => {
    const pins = readFileSync(REQUIREMENTS, "utf8")
      .split("\n")
      .filter((l) => /^\w/.test(l));
    expect(pins).toEqual([expect.stringMatching(/^pyarrow==\d+\.\d+\.\d+$/), expect.stringMatching(/^duckdb==\d+\.\d+\.\d+$/)]);
    // The dev requirements (what pytest runs on) take the runtime pins from the same file, never a second copy.
    const dev = readFileSync(path.resolve(__dirname, "../../glue/requirements-dev.txt"), "utf8");
    expect(dev).toMatch(/^-r requirements\.txt$/m);
    expect(dev).not.toMatch(/^(pyarrow|duckdb)\b/m);
    expect(job.default_arguments).toMatchObject({
      "--lake-bucket": expect.stringMatching(/^\$\{aws_s3_bucket\.lake_bucket_[\w]+\.bucket\}$/),
      "--events-prefix": LAKE_PREFIXES.events,
      "--manifests-prefix": LAKE_PREFIXES.manifests,
      "--region": "eu-west-1",
      "--lookback-days": "2",
      "--target-file-size-mb": "128",
      "--row-group-rows": "131072",
      "--additional-python-modules": pins.join(","),
    });
  });

  it("logs the Glue 5.0 way: --custom-logGroup-prefix, not the 4.0-and-earlier continuous-logging arguments", () => {
    // Glue 5.0 docs (monitor-continuous-logging.html): every job logs in real time to <prefix>/error and <prefix>/output.
    const args = Object.keys(job.default_arguments);
    expect(args.filter((a) => /continuous/.test(a))).toEqual([]);
    expect(job.default_arguments["--custom-logGroup-prefix"]).toBe("/aws-glue/jobs/webstats-test-compaction");
    const groups = resourcesOfType(json, "aws_cloudwatch_log_group").map((g) => g.name);
    expect(groups).toEqual(
      expect.arrayContaining(["/aws-glue/jobs/webstats-test-compaction/error", "/aws-glue/jobs/webstats-test-compaction/output"]),
    );
    // The job starts only once its groups exist with their retention and key.
    expect(job.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_cloudwatch_log_group\..*error/),
        expect.stringMatching(/^aws_cloudwatch_log_group\..*output/),
      ]),
    );
  });

  it("encrypts logs and bookmarks with a rotating key and keeps logs for the configured days", () => {
    expect(synthesized).toHaveResourceWithProperties(GlueSecurityConfiguration, {
      name: "webstats-test-compaction-security",
      encryption_configuration: {
        cloudwatch_encryption: expect.objectContaining({ cloudwatch_encryption_mode: "SSE-KMS" }),
        job_bookmarks_encryption: expect.objectContaining({ job_bookmarks_encryption_mode: "CSE-KMS" }),
        s3_encryption: expect.objectContaining({ s3_encryption_mode: "SSE-S3" }),
      },
    });
    // The pipeline stack's operations key (shared with the alarm topic, __tests__/stacks/keys.test.ts); alone, its own.
    expect(synthesized).toHaveResourceWithProperties(KmsKey, {
      description: expect.stringContaining("Glue compaction job"),
      enable_key_rotation: true,
    });
    for (const kind of ["error", "output"]) {
      expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: `/aws-glue/jobs/webstats-test-compaction/${kind}`,
        retention_in_days: 30,
        kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\./),
      });
    }
  });

  it("starts daily on the configured schedule", () => {
    expect(synthesized).toHaveResourceWithProperties(GlueTrigger, {
      name: "webstats-test-compaction-daily",
      type: "SCHEDULED",
      schedule: "cron(30 0 * * ? *)",
      enabled: true,
      actions: [{ job_name: expect.stringMatching(/^\$\{aws_glue_job\.[\w-]+\.name\}$/) }],
    });
    const custom = Testing.synth(pipeline({ compaction: { schedule: "cron(15 4 * * ? *)", enabled: false, executionClass: "STANDARD" } }));
    expect(custom).toHaveResourceWithProperties(GlueTrigger, { schedule: "cron(15 4 * * ? *)", enabled: false, start_on_creation: false });
    expect(custom).toHaveResourceWithProperties(GlueJob, { execution_class: "STANDARD" });
  });

  it("lets the role touch lake objects only under the events, manifest and rollups prefixes, read errors/ and its own code", () => {
    const trust = Object.values(json.data.aws_iam_policy_document ?? {}).find((d) =>
      JSON.stringify(d).includes('"glue.amazonaws.com"'),
    ) as { statement: { condition: { variable: string }[] }[] };
    expect(trust.statement[0]?.condition.map((c) => c.variable)).toContain("aws:SourceAccount");

    const permissions = Object.values(json.data.aws_iam_policy_document ?? {}).find((d) =>
      JSON.stringify(d).includes("s3:DeleteObject"),
    ) as { statement: { actions: string[]; resources: string[] }[] };
    const objectStatements = permissions.statement.filter((s) => s.actions.some((a) => /^s3:(Get|Put|Delete)Object$/.test(a)));
    const resources = objectStatements.flatMap((s) => s.resources);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      expect(r).toMatch(
        new RegExp(
          `(lake_bucket_\\w+\\.arn\\}/(${LAKE_PREFIXES.events}|${LAKE_PREFIXES.manifests}|${LAKE_PREFIXES.rollups}|${LAKE_PREFIXES.errors})|artifacts_bucket_\\w+\\.arn\\}/${COMPACTION_CODE_PREFIX})\\*$`,
        ),
      );
    }
    const deletes = permissions.statement.filter((s) => s.actions.includes("s3:DeleteObject")).flatMap((s) => s.resources);
    expect(deletes.every((r) => /lake_bucket/.test(r))).toBe(true);
    // Rollups are replaced by a PUT over the same key: written, never deleted.
    expect(deletes.some((r) => r.includes(LAKE_PREFIXES.rollups))).toBe(false);
    const puts = permissions.statement.filter((s) => s.actions.includes("s3:PutObject")).flatMap((s) => s.resources);
    // The error records are read by the errors_daily rollup, never written or deleted.
    expect([...puts, ...deletes].some((r) => r.includes(LAKE_PREFIXES.errors))).toBe(false);
    expect(resources.some((r) => r.includes(`/${LAKE_PREFIXES.errors}*`))).toBe(true);
    expect(puts).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`lake_bucket_\\w+\\.arn\\}/${LAKE_PREFIXES.rollups}\\*$`))]),
    );
  });

  it("synthesizes with no rule violation and passes every Glue rule", () => {
    expect(evaluate(json, GLUE_RULES)).toEqual([]);
  });
});

describe("compaction config", () => {
  const problems = (compaction: unknown) => {
    try {
      parseConfig({ project: "webstats", environment: "test", region: "eu-west-1", compaction }, "test");
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it("defaults every key", () => {
    expect(testConfig().compaction).toEqual({
      enabled: true,
      schedule: DEFAULT_COMPACTION_SCHEDULE,
      lookbackDays: 2,
      targetFileSizeMb: 128,
      rowGroupRows: 131072,
      timeoutMinutes: 60,
      maxRetries: 2,
      workerType: "G.1X",
      executionClass: "FLEX",
      logRetentionDays: 30,
    });
  });

  it("names the key of each bad value", () => {
    expect(problems({ schedule: "cron(0 2 * * * *)" })).toEqual([
      "compaction.schedule: exactly one of day-of-month and day-of-week must be ?",
    ]);
    expect(problems({ schedule: "0 2 * * *" })).toEqual([expect.stringMatching(/^compaction\.schedule: must look like cron\(/)]);
    expect(
      problems({ timeoutMinutes: 0, maxRetries: 11, targetFileSizeMb: 1.5, logRetentionDays: 2, workerType: "G.8X", colour: 1 }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^compaction\.timeoutMinutes: /),
        expect.stringMatching(/^compaction\.maxRetries: /),
        "compaction.targetFileSizeMb: targetFileSizeMb must be a whole number",
        expect.stringMatching(/^compaction\.logRetentionDays: must be one of 1, 3, 5/),
        expect.stringMatching(/^compaction\.workerType: /),
        "compaction.colour: unknown key",
      ]),
    );
  });

  it("checks Glue cron expressions", () => {
    expect(glueCronProblem("cron(30 2 * * ? *)")).toBeUndefined();
    expect(glueCronProblem("cron(0 6 ? * MON-FRI *)")).toBeUndefined();
    expect(glueCronProblem("cron(30 2 * * ?)")).toMatch(/6 fields/);
    expect(glueCronProblem("cron(30 2 ? * ? *)")).toMatch(/exactly one/);
    expect(glueCronProblem("rate(1 day)")).toMatch(/must look like cron/);
  });
});

describe("CompactionJob construct", () => {
  const build = (props: Partial<ConstructorParameters<typeof CompactionJob>[2]>) => {
    const s = new AnalyticsStack(testApp(), "s", { config: testConfig() });
    const lake = new SecureBucket(s, "lake", { bucketName: "lake-bucket" });
    return () =>
      new CompactionJob(s, "compaction", {
        jobName: "c",
        lake,
        artifactsBucketName: "artifacts-bucket",
        accountId: "1",
        region: "eu-west-1",
        ...props,
      });
  };

  it("fails at synth, naming the config key, for values Glue would reject", () => {
    expect(build({ timeoutMinutes: 5000 })).toThrow(/timeoutMinutes \(config key compaction\.timeoutMinutes\) must be 1-2880/);
    expect(build({ maxRetries: 11 })).toThrow(/maxRetries \(config key compaction\.maxRetries\)/);
    expect(build({ schedule: "cron(1 2 3)" })).toThrow(/schedule \(config key compaction\.schedule\)/);
    expect(build({ logRetentionDays: 2 })).toThrow(/logRetentionDays \(config key compaction\.logRetentionDays\)/);
    expect(build({ lookbackDays: -1 })).toThrow(/lookbackDays \(config key compaction\.lookbackDays\)/);
    expect(build({})).not.toThrow();
  });

  it("without a key prop, encrypts its logs and bookmarks with a key of its own that admits Glue's log groups", () => {
    const s = new AnalyticsStack(testApp(), "s", { config: testConfig() });
    const lake = new SecureBucket(s, "lake", { bucketName: "lake-bucket" });
    const job = new CompactionJob(s, "compaction", {
      jobName: "c",
      lake,
      artifactsBucketName: "artifacts-bucket",
      accountId: "1",
      region: "eu-west-1",
    });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(KmsKey, { description: "Encrypts the logs and bookmarks of the Glue job c" });
    expect(job.key.alarmTopicNames).toEqual([]);
    expect(JSON.stringify(synthJson(s).data.aws_iam_policy_document)).toContain('"arn:aws:logs:eu-west-1:1:log-group:/aws-glue/*"');
  });

  it("checks at synth that the generated rollups write where the role may write", () => {
    expect(readRollupsSpec().prefix).toBe(LAKE_PREFIXES.rollups);
    expect(readRollupsSpec().names.length).toBeGreaterThan(0);
    expect(COMPACTION_FILES.rollups).toMatch(/schemas\/generated\/rollups\.json$/);
    const dir = mkdtempSync(path.join(tmpdir(), "rollups-"));
    const file = path.join(dir, "rollups.json");
    writeFileSync(file, JSON.stringify({ prefix: "aggregates/", file: "part-00000.parquet", rollups: [] }));
    expect(() => readRollupsSpec(file)).toThrow(/prefix "aggregates\/" is not LAKE_PREFIXES\.rollups \(rollups\/\); run `npm run gen`/);
  });

  it("refuses an unpinned runtime requirement", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "req-"));
    const file = path.join(dir, "requirements.txt");
    writeFileSync(file, "# comment\npyarrow==25.0.1\n");
    expect(runtimeRequirements(file)).toEqual(["pyarrow==25.0.1"]);
    writeFileSync(file, "pyarrow>=20\n");
    expect(() => runtimeRequirements(file)).toThrow(/must be pinned as name==version; not: pyarrow>=20/);
  });
});

describe("Glue rules", () => {
  it("fail a job without a security configuration or bounds, and a configuration that leaves data unencrypted", () => {
    const violations = evaluate(
      {
        resource: {
          aws_glue_job: { bare: { name: "j", command: { script_location: "s3://b/k" } } },
          aws_glue_security_configuration: {
            weak: {
              encryption_configuration: {
                cloudwatch_encryption: { cloudwatch_encryption_mode: "DISABLED" },
                job_bookmarks_encryption: { job_bookmarks_encryption_mode: "CSE-KMS" },
                s3_encryption: { s3_encryption_mode: "DISABLED" },
              },
            },
          },
        },
      },
      GLUE_RULES,
    );
    expect(violations).toEqual([
      { ruleId: "GLUE-JOB-SECURITY-CONFIGURATION", address: "aws_glue_job.bare", reason: "no security_configuration" },
      {
        ruleId: "GLUE-SECURITY-CONFIGURATION-ENCRYPTED",
        address: "aws_glue_security_configuration.weak",
        reason: "cloudwatch_encryption is DISABLED, not SSE-KMS; s3_encryption is DISABLED, not SSE-S3 or SSE-KMS",
      },
      { ruleId: "GLUE-JOB-BOUNDED", address: "aws_glue_job.bare", reason: "no timeout; no execution_property.max_concurrent_runs" },
    ]);
  });
});
