/**
 * The daily compaction and rollups of the lake: an AWS Glue 5.0 job running
 * glue/compaction_job.py (Python 3.11, pyarrow, DuckDB), its code uploaded to a
 * small artifacts bucket under a content hash, a security configuration that
 * encrypts its logs and bookmarks with a KMS key, its own log group, a
 * scheduled trigger and a role that may touch only the lake's events and
 * manifest prefixes, write only under the rollups prefix, and read its own code.
 *
 * Why Glue 5.0 and not a Python shell job: see docs/compaction.md.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { GlueJob } from "@cdktf/provider-aws/lib/glue-job";
import { GlueSecurityConfiguration } from "@cdktf/provider-aws/lib/glue-security-configuration";
import { GlueTrigger } from "@cdktf/provider-aws/lib/glue-trigger";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { AssetType, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_COMPACTION_SCHEDULE, GLUE_JOB_LIMITS, glueCronProblem } from "../../config/compaction";
import { LOG_RETENTION_DAYS } from "../../config/limits";
import { generatedFile } from "../../schemas/generated-files";
import { LAKE_PREFIXES } from "../../schemas/lake";
import { checkName } from "../names";
import { ServiceRole } from "./iam";
import { OperationsKey } from "./operations-key";
import { SecureBucket } from "./secure-bucket";

const ROOT = path.resolve(__dirname, "../..");

/**
 * The files the job needs in S3: the entry script, the libraries it imports, the table schema it checks outputs
 * against and the rollups it writes after compaction (both generated from the TypeScript schemas).
 */
export const COMPACTION_FILES = {
  script: path.join(ROOT, "glue/compaction_job.py"),
  library: path.join(ROOT, "glue/lake_compaction.py"),
  rollupsLibrary: path.join(ROOT, "glue/lake_rollups.py"),
  schema: generatedFile("eventsSchema"),
  rollups: generatedFile("rollups"),
  requirements: path.join(ROOT, "glue/requirements.txt"),
} as const;

/** Key prefix of the job's code in the artifacts bucket; each version lives under `<prefix><content hash>/`. */
export const COMPACTION_CODE_PREFIX = "glue/compaction/";

/** The pinned runtime requirements (`pyarrow==x.y.z`) of glue/requirements.txt, for --additional-python-modules. */
export function runtimeRequirements(file: string = COMPACTION_FILES.requirements): string[] {
  const pins = readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
  const loose = pins.filter((p) => !/^[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+$/.test(p));
  if (loose.length) throw new Error(`${file}: every runtime requirement must be pinned as name==version; not: ${loose.join(", ")}`);
  return pins;
}

/**
 * The generated rollups spec, checked where it meets the role: the job writes under the spec's prefix, the role may
 * write only under LAKE_PREFIXES.rollups, so the two must be one (a stale file would fail every run with AccessDenied).
 */
export function readRollupsSpec(file: string = COMPACTION_FILES.rollups): { readonly prefix: string; readonly names: string[] } {
  const doc = JSON.parse(readFileSync(file, "utf8")) as { prefix?: unknown; rollups?: { name: string }[] };
  if (doc.prefix !== LAKE_PREFIXES.rollups) {
    throw new Error(
      `${file}: prefix ${JSON.stringify(doc.prefix)} is not LAKE_PREFIXES.rollups (${LAKE_PREFIXES.rollups}); run \`npm run gen\``,
    );
  }
  return { prefix: doc.prefix, names: (doc.rollups ?? []).map((r) => r.name) };
}

/** Content hash of the job's code and schema: a change to any of them gives new object keys, so the job is redeployed. */
export function compactionCodeHash(): string {
  const h = createHash("sha256");
  for (const f of Object.values(COMPACTION_FILES)) {
    h.update(path.basename(f)).update("\0").update(readFileSync(f)).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** Where the job's log groups live: Glue's own root, which the role's logs permissions and the key policy cover. */
export const GLUE_LOG_GROUP_ROOT = "/aws-glue/jobs/";

/** Every Glue log group (ArnLike name pattern): Glue may also write its own groups under /aws-glue/, so role and key cover all. */
const GLUE_LOG_GROUPS = "/aws-glue/*";

/** The Glue 5.0 job argument naming the prefix of the job's `error` and `output` log groups. */
export const GLUE_5_LOG_GROUP_PREFIX_ARGUMENT = "--custom-logGroup-prefix";

export interface CompactionJobProps {
  /** Glue job name; also names the role, the security configuration, the trigger and the log group. */
  readonly jobName: string;
  /** The lake bucket (PipelineStack's `lake`). */
  readonly lake: SecureBucket;
  /** Name of the bucket that holds the job's code. */
  readonly artifactsBucketName: string;
  readonly accountId: string;
  readonly region: string;
  /** AWS partition for ARNs. @default "aws" */
  readonly partition?: string;
  /** Glue cron expression (UTC) of the daily run. @default "cron(30 0 * * ? *)" (DEFAULT_COMPACTION_SCHEDULE) */
  readonly schedule?: string;
  /** Whether the trigger runs the job on its schedule. @default true */
  readonly enabled?: boolean;
  /** Days before yesterday compacted again for late files. @default 2 */
  readonly lookbackDays?: number;
  /** Size of an output file in MiB. @default 128 */
  readonly targetFileSizeMb?: number;
  /** Rows per row group and per in-memory sorted run. @default 131072 */
  readonly rowGroupRows?: number;
  /** Minutes before Glue stops a run. @default 60 */
  readonly timeoutMinutes?: number;
  /** Retries of a failed run. @default 2 */
  readonly maxRetries?: number;
  /** Glue worker type. @default "G.1X" */
  readonly workerType?: (typeof GLUE_JOB_LIMITS.workerTypes)[number];
  /** STANDARD or FLEX (cheaper, may start late or be interrupted). @default "FLEX" */
  readonly executionClass?: (typeof GLUE_JOB_LIMITS.executionClasses)[number];
  /** Days CloudWatch keeps the job's logs. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * The key that encrypts the job's logs and bookmarks (in this stack); the job lets CloudWatch Logs use it for the
   * /aws-glue/* log groups. @default a key of its own (alias `alias/<jobName>`)
   */
  readonly key?: OperationsKey;
}

export class CompactionJob extends Construct {
  readonly job: GlueJob;
  readonly trigger: GlueTrigger;
  readonly role: ServiceRole;
  readonly artifacts: SecureBucket;
  /** The key of the job's logs and bookmarks: props.key, or its own. */
  readonly key: OperationsKey;
  /** The job's two Glue 5.0 log groups: `error` (system, Spark and GlueLogger logs) and `output` (the script's stdout/stderr). */
  readonly logGroups: { readonly error: CloudwatchLogGroup; readonly output: CloudwatchLogGroup };
  readonly securityConfiguration: GlueSecurityConfiguration;
  /** `s3://` URI of the entry script. */
  readonly scriptLocation: string;

  constructor(scope: Construct, id: string, props: CompactionJobProps) {
    super(scope, id);
    const where = this.node.path;
    const partition = props.partition ?? "aws";
    const schedule = props.schedule ?? DEFAULT_COMPACTION_SCHEDULE;
    const timeout = props.timeoutMinutes ?? 60;
    const retries = props.maxRetries ?? 2;
    const retention = props.logRetentionDays ?? 30;
    const workerType = props.workerType ?? "G.1X";
    const executionClass = props.executionClass ?? "FLEX";
    const lookback = props.lookbackDays ?? 2;
    const targetMb = props.targetFileSizeMb ?? 128;
    const rowGroupRows = props.rowGroupRows ?? 131_072;

    // The same checks as config/compaction.ts, for callers that build the construct directly.
    const cron = Token.isUnresolved(schedule) ? undefined : glueCronProblem(schedule);
    if (cron) throw new Error(`${where}: schedule (config key compaction.schedule) ${cron}; got ${schedule}`);
    const { timeoutMinutes: tl, maxRetries: rl } = GLUE_JOB_LIMITS;
    if (!(Number.isInteger(timeout) && timeout >= tl.min && timeout <= tl.max)) {
      throw new Error(
        `${where}: timeoutMinutes (config key compaction.timeoutMinutes) must be ${tl.min}-${tl.max} (Glue limit); got ${timeout}`,
      );
    }
    if (!(Number.isInteger(retries) && retries >= rl.min && retries <= rl.max)) {
      throw new Error(`${where}: maxRetries (config key compaction.maxRetries) must be ${rl.min}-${rl.max} (Glue limit); got ${retries}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
      throw new Error(
        `${where}: logRetentionDays (config key compaction.logRetentionDays) must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
      );
    }
    for (const [key, v, min] of [
      ["lookbackDays", lookback, 0],
      ["targetFileSizeMb", targetMb, 1],
      ["rowGroupRows", rowGroupRows, 1024],
    ] as const) {
      if (!(Number.isInteger(v) && v >= min))
        throw new Error(`${where}: ${key} (config key compaction.${key}) must be a whole number >= ${min}; got ${v}`);
    }
    // Glue job names: 1-255 characters. @see https://docs.aws.amazon.com/glue/latest/webapi/API_CreateJob.html
    if (!Token.isUnresolved(props.jobName) && !/^[\w .:/=+@-]{1,255}$/u.test(props.jobName)) {
      throw new Error(`${where}: jobName must be 1-255 characters of letters, digits, spaces and _.:/=+@-; got ${props.jobName}`);
    }

    // --- Code: five objects under one content-hashed prefix (a change redeploys the job).
    readRollupsSpec();
    this.artifacts = new SecureBucket(this, "artifacts", { bucketName: props.artifactsBucketName, versioned: true });
    const prefix = `${COMPACTION_CODE_PREFIX}${compactionCodeHash()}/`;
    const upload = (name: string, file: string, contentType: string) => {
      const asset = new TerraformAsset(this, `asset-${name}`, { path: file, type: AssetType.FILE });
      const key = `${prefix}${path.basename(file)}`;
      new S3Object(this, `object-${name}`, {
        bucket: this.artifacts.name,
        key,
        source: asset.path,
        sourceHash: asset.assetHash,
        contentType,
      });
      return `s3://${this.artifacts.name}/${key}`;
    };
    this.scriptLocation = upload("script", COMPACTION_FILES.script, "text/x-python");
    const library = upload("library", COMPACTION_FILES.library, "text/x-python");
    const rollupsLibrary = upload("rollups-library", COMPACTION_FILES.rollupsLibrary, "text/x-python");
    const schemaUri = upload("schema", COMPACTION_FILES.schema, "application/json");
    const rollupsUri = upload("rollups", COMPACTION_FILES.rollups, "application/json");

    // --- Encryption of logs and bookmarks: CloudWatch Logs can use the key only through its key policy.
    const logsArn = `arn:${partition}:logs:${props.region}:${props.accountId}:log-group`;
    this.key =
      props.key ??
      new OperationsKey(this, "key", {
        aliasName: props.jobName,
        description: `Encrypts the logs and bookmarks of the Glue job ${props.jobName}`,
        accountId: props.accountId,
        region: props.region,
        partition,
      });
    this.key.allowLogGroups(GLUE_LOG_GROUPS);

    // Glue 5.0 logs every job in real time, to /aws-glue/jobs/error and /aws-glue/jobs/output unless the job
    // argument --custom-logGroup-prefix moves them to `<prefix>/error` and `<prefix>/output`; the 4.0-and-earlier
    // continuous-logging arguments (--enable-continuous-cloudwatch-log, --continuous-log-logGroup) are not 5.0's.
    // Our own prefix gives the job groups this construct creates, with retention and the KMS key, instead of
    // account-wide groups that keep logs forever. Prefix rules: at most 400 characters, no ':' or '*'.
    // @see https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html ("Logging behavior in AWS Glue 5.0", "Custom logging")
    // @see https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html ("for AWS Glue 4.0 and earlier jobs")
    const logGroupPrefix = `${GLUE_LOG_GROUP_ROOT}${props.jobName}`;
    if (!Token.isUnresolved(logGroupPrefix) && (logGroupPrefix.length > 400 || /[:*]/.test(logGroupPrefix))) {
      throw new Error(
        `${where}: the log group prefix ${logGroupPrefix} must be at most 400 characters without ':' or '*' (Glue 5.0 --custom-logGroup-prefix)`,
      );
    }
    const logGroup = (kind: "error" | "output") =>
      new CloudwatchLogGroup(this, `logs-${kind}`, {
        name: checkName("logGroup", `${logGroupPrefix}/${kind}`, this),
        retentionInDays: retention,
        kmsKeyId: this.key.arn,
      });
    this.logGroups = { error: logGroup("error"), output: logGroup("output") };

    this.securityConfiguration = new GlueSecurityConfiguration(this, "security", {
      name: checkName("glueJob", `${props.jobName}-security`, this),
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: this.key.arn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: this.key.arn },
        // The lake's own default encryption is SSE-S3; Glue-written S3 data matches it.
        s3Encryption: { s3EncryptionMode: "SSE-S3" },
      },
    });

    // --- Role: the lake's events and manifest prefixes, the rollups prefix (read and write, never delete), errors/ (read), its own code,
    // its logs, its key. A rollup day is replaced by a PUT over the same key, so no delete is needed there.
    this.role = new ServiceRole(this, "role", {
      service: "glue.amazonaws.com",
      name: `${props.jobName}-job`,
      sourceAccount: props.accountId,
      description: `Role of the Glue job ${props.jobName}: compacts the lake's events and writes the daily rollups`,
    });
    const lakePrefixes = [LAKE_PREFIXES.events, LAKE_PREFIXES.manifests];
    props.lake.grantRead(this.role, ...lakePrefixes);
    props.lake.grantWrite(this.role, ...lakePrefixes);
    props.lake.grantDelete(this.role, ...lakePrefixes);
    props.lake.grantRead(this.role, LAKE_PREFIXES.rollups);
    props.lake.grantWrite(this.role, LAKE_PREFIXES.rollups);
    // The errors_daily rollup reads the day's error records (read only: Firehose writes them, nothing here may change them).
    props.lake.grantRead(this.role, LAKE_PREFIXES.errors);
    this.artifacts.grantRead(this.role, COMPACTION_CODE_PREFIX);
    this.role.addToPolicy(
      {
        // Glue writes driver output to its /aws-glue/* groups and associates the security configuration's key with them.
        actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
        resources: [`${logsArn}:${GLUE_LOG_GROUPS}`, `${logsArn}:${GLUE_LOG_GROUPS}:*`],
      },
      { actions: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], resources: [this.key.arn] },
      {
        actions: ["cloudwatch:PutMetricData"],
        resources: ["*"],
        condition: [{ test: "StringEquals", variable: "cloudwatch:namespace", values: ["Glue"] }],
      },
    );

    this.job = new GlueJob(this, "job", {
      name: checkName("glueJob", props.jobName, this),
      description:
        "Daily compaction of the lake's small Parquet files, then the daily rollups (glue/compaction_job.py); crash-safe, idempotent",
      roleArn: this.role.arn,
      glueVersion: "5.0",
      command: { name: "glueetl", scriptLocation: this.scriptLocation, pythonVersion: "3" },
      // The job streams through pyarrow on the driver; 2 is the least a Spark job may ask for.
      workerType,
      numberOfWorkers: GLUE_JOB_LIMITS.minWorkers,
      executionClass,
      timeout,
      maxRetries: retries,
      executionProperty: { maxConcurrentRuns: 1 },
      securityConfiguration: this.securityConfiguration.name,
      defaultArguments: {
        "--job-language": "python",
        // Several modules: "complete paths separated by a comma". @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html
        "--extra-py-files": [library, rollupsLibrary].join(","),
        // The pyarrow and duckdb the tests ran against (glue/requirements.txt), installed by pip from PyPI at job start:
        // Glue 5.0 is Python 3.11 on Amazon Linux 2023 (glibc 2.34); both pins publish cp311 manylinux x86_64 wheels
        // (duckdb 1.5.6: manylinux_2_28), so nothing is compiled.
        // @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html
        //   ("Installing additional Python modules with pip in AWS Glue 2.0 or later"; the version table: base image, glibc)
        "--additional-python-modules": runtimeRequirements().join(","),
        "--enable-metrics": "true",
        [GLUE_5_LOG_GROUP_PREFIX_ARGUMENT]: logGroupPrefix,
        "--lake-bucket": props.lake.name,
        "--events-prefix": LAKE_PREFIXES.events,
        "--manifests-prefix": LAKE_PREFIXES.manifests,
        "--schema-uri": schemaUri,
        "--rollups-uri": rollupsUri,
        "--region": props.region,
        "--lookback-days": String(lookback),
        "--target-file-size-mb": String(targetMb),
        "--row-group-rows": String(rowGroupRows),
      },
      // The groups must exist with their retention and key before the first run writes to them.
      dependsOn: [this.logGroups.error, this.logGroups.output],
    });

    const enabled = props.enabled ?? true;
    this.trigger = new GlueTrigger(this, "trigger", {
      name: checkName("glueJob", `${props.jobName}-daily`, this),
      type: "SCHEDULED",
      schedule,
      enabled,
      startOnCreation: enabled,
      actions: [{ jobName: this.job.name }],
    });
  }
}
