/**
 * The configuration of one environment (`config/<env>.json`), validated by zod
 * at synth. Unknown keys are errors, so a typo never silently falls back to a
 * default. Every optional key documents its default.
 */
import * as z from "zod";
import { TransformConfigSchema } from "../schemas/transform-config";
import { ALARMS } from "./alarms";
import { AthenaConfig } from "./athena";
import { regionProblem } from "./aws-regions";
import { CompactionConfig } from "./compaction";
import { DashboardsConfig } from "./dashboards";
import { EncryptionConfig } from "./encryption";
import { GaConfig } from "./ga";
import { KINESIS_MAX_SHARDS, kinesisCapacity } from "./kinesis";
import { FIREHOSE_LIMITS, LAMBDA_LIMITS, LOG_RETENTION_DAYS, TRANSFORM_RESPONSE } from "./limits";
import { DEFAULT_LOG_FILE_RETENTION_DAYS, LOG_DELIVERY_ROUTES, type LogDeliveryRoute } from "./log-delivery";
import { OpsConfig } from "./ops";
import { UsageApiConfig } from "./usage-api";

/** S3 bucket naming rules. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const BucketName = z
  .string()
  .min(3, "bucket names are 3-63 characters")
  .max(63, "bucket names are 3-63 characters")
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "use lower-case letters, digits, dots and hyphens; start and end with a letter or digit")
  .refine((v) => !v.includes(".."), "two adjacent dots are not allowed")
  .refine((v) => !/^\d+\.\d+\.\d+\.\d+$/.test(v), "must not look like an IP address")
  .refine((v) => !v.startsWith("xn--") && !v.endsWith("-s3alias") && !v.endsWith("--ol-s3"), "reserved prefix or suffix");

/** A region the pinned AWS provider knows (config/aws-regions.ts); a typo names the closest one. */
const Region = z.string().superRefine((value, ctx) => {
  const problem = regionProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Prefixes every generated name: single hyphens only, so no name has `--` (S3 reserves `xn--`) or ends in `-`. */
const Name = z
  .string()
  .regex(
    /^(?=.{2,31}$)[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    "lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen, 2-31 characters",
  );

export const StateConfig = z
  .strictObject({
    /** Where Terraform keeps state. @default "local": files under terraform-state/ */
    backend: z.enum(["local", "s3"]).default("local"),
    /**
     * State bucket the bootstrap stack creates and the S3 backend uses (S3 names are global: keep it unique).
     * @default "<project>-<environment>-tfstate-<state.accountId>"
     */
    bucket: BucketName.optional(),
    /**
     * The 12-digit AWS account the state bucket lives in: it makes the default bucket name unique, and the
     * state stack refuses other accounts. A Terraform backend cannot read data sources, so synth needs it
     * as a value. Required with backend "s3" unless bucket is set. @default none
     */
    accountId: z
      .string()
      .regex(/^\d{12}$/, "a 12-digit AWS account id")
      .optional(),
    /** Region of the state bucket. @default the environment's region */
    region: Region.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.backend === "s3" && s.bucket === undefined && s.accountId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["accountId"],
        message: 'required with backend "s3" (the default state bucket name ends with it, S3 names being global), unless bucket is set',
      });
    }
  })
  .default({ backend: "local" });

/**
 * How CloudFront's request logs reach the transform (config key `logDelivery`).
 *
 * - `"realtime"` (default): real-time logs -> Kinesis stream -> Firehose (Lambda transform) -> the lake.
 *   Events reach Parquet within minutes. Fixed cost before any traffic: the stream (one provisioned shard
 *   ~$11/month, on-demand ~$29/month) and Firehose's per-GB charges on top; real-time log lines cost $0.01
 *   per million. Choose it when dashboards must be minutes fresh or traffic is high.
 * - `"standard"` (lean mode): CloudFront standard logging (v2) writes gzip W3C log files to a private log
 *   bucket; each new file triggers the log-file Lambda, which runs the same transform and writes the same
 *   Parquet partitions and errors/ itself. No Kinesis, no Firehose, no hourly charge: you pay CloudWatch's
 *   vended-logs delivery per GB of log lines (USD 0.25/GB in us-east-1, where CloudFront's delivery source
 *   lives), the Lambda per invocation and S3 requests, all proportional to traffic. Latency: CloudFront
 *   delivers log files up to several times an hour, usually within an hour, some entries up to 24 h late.
 *   Choose it for small sites where an hour of delay is fine. Details: docs/pipeline.md#lean-mode.
 * @default "realtime"
 */
export const LogDelivery = z.enum(LOG_DELIVERY_ROUTES).default("realtime");
export type LogDelivery = z.output<typeof LogDelivery>;

/** The log bucket of lean mode (`logDelivery` "standard"): CloudFront's raw standard log files. */
export const LogFilesConfig = z
  .strictObject({
    /**
     * Days the raw log files are kept in the log bucket, 1-14. They hold what the lake never stores (client IPs,
     * full query strings), so they expire soon after the log-file Lambda has turned them into Parquet; the days
     * are the time to fix a failure and replay a file whose event sits in the failed-log-files queue (which keeps
     * messages 14 days, SQS's maximum, hence the upper bound). @default 3
     */
    retentionDays: z
      .number()
      .int("must be a whole number")
      .min(1, "at least 1 day")
      .max(14, "at most 14 days (the failed-log-files queue keeps an event 14 days)")
      .default(DEFAULT_LOG_FILE_RETENTION_DAYS),
  })
  .prefault({});

export const RealtimeLogsConfig = z
  .strictObject({
    /** Percentage of viewer requests CloudFront logs, a whole number 1-100. @default 100 */
    samplingRate: z.number().int("must be a whole number").min(1).max(100).default(100),
  })
  .default({ samplingRate: 100 });

const FH = FIREHOSE_LIMITS;
const wholeRange = (min: number, max: number, what: string) =>
  z.number().int("must be a whole number").min(min, `${what}: at least ${min}`).max(max, `${what}: at most ${max}`);

/** The Firehose delivery stream and its transform Lambda. Limits and their sources: config/limits.ts. */
export const IngestionConfig = z
  .strictObject({
    /**
     * Seconds Firehose buffers before writing a Parquet object (per partition), 60-900. Each interval writes one object
     * per event type that had records, and Firehose bills every object dynamic partitioning writes plus its S3 PUT: at
     * 60 s that was $1.75 of a small site's month; 300 s (Firehose's own default) cuts it to a fifth, and events
     * still land within about five minutes (the daily job compacts the objects). @default 300
     */
    bufferIntervalSeconds: wholeRange(FH.bufferIntervalSeconds.min, FH.bufferIntervalSeconds.max, "Firehose S3 buffering interval").default(
      300,
    ),
    /** MiB Firehose buffers before writing; Parquet conversion requires 64-128. @default 128 */
    bufferSizeMiB: wholeRange(FH.bufferSizeMiB.min, FH.bufferSizeMiB.max, "Firehose requires 64-128 MiB with Parquet conversion").default(
      128,
    ),
    /**
     * MB of records per Lambda invocation, from 0.2 (Firehose's least) to 0.35. Firehose allows up to 3, but
     * the function must answer each batch in at most 6 MB (Lambda's synchronous response limit), and the
     * answer is bigger than the lines: each row is base64 JSON with every lake column, 2.8x a typical line and
     * up to 15.7x the shortest line the parser accepts (config/limits.ts, TRANSFORM_RESPONSE, measured by a
     * test; 17 with a margin). 6 MiB / 17 = 0.353, rounded down: at 0.35 even a batch of nothing but the worst lines fits,
     * so no record ever comes back as ProcessingFailed (response-too-large). @default 0.35
     */
    processorBufferSizeMB: z
      .number()
      .min(FH.processorBufferSizeMB.min, `Firehose Lambda buffer: at least ${FH.processorBufferSizeMB.min} MB`)
      .max(
        TRANSFORM_RESPONSE.maxProcessorBufferMB,
        `at most ${TRANSFORM_RESPONSE.maxProcessorBufferMB} MB, so the transform's response to a batch of the shortest lines ` +
          `(${TRANSFORM_RESPONSE.worstRatio}x their size) fits Lambda's 6 MB (Firehose itself allows up to ${FH.processorBufferSizeMB.max})`,
      )
      .default(TRANSFORM_RESPONSE.maxProcessorBufferMB),
    /** Seconds Firehose waits to fill a Lambda batch, 0-900. @default 60 */
    processorBufferIntervalSeconds: wholeRange(
      FH.processorBufferIntervalSeconds.min,
      FH.processorBufferIntervalSeconds.max,
      "Firehose Lambda buffer interval",
    ).default(60),
    /** Days objects under errors/ (records Firehose could not process or convert) are kept. @default 90 */
    errorRetentionDays: z.number().int("must be a whole number").min(1, "at least 1 day").default(90),
    /** Memory of the transform Lambda in MB, 128-10240. @default 1024 */
    lambdaMemoryMb: wholeRange(LAMBDA_LIMITS.memoryMb.min, LAMBDA_LIMITS.memoryMb.max, "Lambda memory (MB)").default(1024),
    /** Timeout of the transform Lambda in seconds; Firehose waits at most 300. @default 120 */
    lambdaTimeoutSeconds: wholeRange(
      FH.lambdaTimeoutSeconds.min,
      FH.lambdaTimeoutSeconds.max,
      "Firehose invokes the Lambda for at most 300 s",
    ).default(120),
    /** Days CloudWatch keeps the Lambda's and Firehose's logs; one of CloudWatch's allowed values. @default 30 */
    logRetentionDays: z
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`)
      .default(30),
    /**
     * Name of an existing SSM SecureString parameter holding the visitor-id key, encrypted with the
     * AWS managed key aws/ssm (a customer managed key would also need kms:Decrypt). When unset, the
     * stack creates `/<project>/<environment>/visitor-id-key` with a placeholder value that you
     * replace once (see docs/pipeline.md). @default created by the stack
     */
    visitorKeyParameter: z
      .string()
      .regex(/^\/?[a-zA-Z0-9_.\-/]{1,1011}$/, "an SSM parameter name: letters, digits and _.-/")
      .optional(),
  })
  .prefault({});

/** A lower-case DNS name, e.g. `www.example.com`. */
const DomainName = z
  .string()
  .max(253, "DNS names are at most 253 characters")
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as www.example.com");

export const CustomDomainConfig = z
  .strictObject({
    /** The name visitors use, e.g. `www.example.com`; the distribution's alias (CNAME). */
    domainName: DomainName,
    /**
     * ACM certificate covering domainName. CloudFront only uses certificates from us-east-1.
     * @default none: then hostedZoneId is required and a certificate is created
     * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html
     */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
        "an ACM certificate ARN in us-east-1 (CloudFront only uses us-east-1 certificates)",
      )
      .optional(),
    /**
     * Route 53 hosted zone of domainName. With it, alias records point the domain at the distribution and,
     * when certificateArn is not set, an ACM certificate is created in us-east-1 and DNS-validated in this zone.
     * @default none: DNS is managed outside this app
     */
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
      .optional(),
  })
  .superRefine((d, ctx) => {
    if (d.certificateArn === undefined && d.hostedZoneId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["certificateArn"],
        message: "a custom domain needs a certificate: set certificateArn (ACM, us-east-1) or hostedZoneId to create and DNS-validate one",
      });
    }
  });

/** Error codes CloudFront can customize, and the response codes it can return instead. @see https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomErrorResponse.html */
const CLOUDFRONT_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
const CLOUDFRONT_RESPONSE_CODES = [200, ...CLOUDFRONT_ERROR_CODES];

export const ErrorResponseConfig = z
  .strictObject({
    /** The HTTP error from the origin to customize. */
    errorCode: z.number().refine((c) => CLOUDFRONT_ERROR_CODES.includes(c), `one of ${CLOUDFRONT_ERROR_CODES.join(", ")}`),
    /** Status code sent to the viewer instead. @default the origin's code (needs responsePagePath too) */
    responseCode: z
      .number()
      .refine((c) => CLOUDFRONT_RESPONSE_CODES.includes(c), `one of ${CLOUDFRONT_RESPONSE_CODES.join(", ")}`)
      .optional(),
    /** Site page served instead, e.g. `/404.html`; must be a file of the site. @default none */
    responsePagePath: z
      .string()
      .regex(/^\/[^\s?#]+$/, "a site path starting with '/', e.g. /404.html")
      .optional(),
    /** Seconds CloudFront caches the error response. @default 10 */
    cachingMinTtlSeconds: z.number().int("must be a whole number").min(0).max(31536000).default(10),
  })
  .superRefine((r, ctx) => {
    if ((r.responseCode === undefined) !== (r.responsePagePath === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["responsePagePath"],
        message: "set responseCode and responsePagePath together (CloudFront needs both or neither)",
      });
    }
  });

export const WebsiteConfig = z
  .strictObject({
    /**
     * Edge locations that serve the site.
     * @default "PriceClass_100" (North America, Europe, Israel: the cheapest)
     */
    priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]).default("PriceClass_100"),
    /** Object served for `/`. @default "index.html" */
    defaultRootObject: z
      .string()
      .regex(/^[^/\s][^\s]*$/, "an object key without a leading '/', e.g. index.html")
      .default("index.html"),
    /** A custom domain with its certificate. @default none: the *.cloudfront.net name and CloudFront's default certificate */
    customDomain: CustomDomainConfig.optional(),
    /**
     * Custom error responses. The site bucket grants CloudFront no ListBucket, so a missing object is a 403.
     * @default 403 and 404 both answer 404 with /404.html, cached 60 s
     */
    errorResponses: z
      .array(ErrorResponseConfig)
      .refine((rs) => new Set(rs.map((r) => r.errorCode)).size === rs.length, "each errorCode at most once")
      .default([
        { errorCode: 403, responseCode: 404, responsePagePath: "/404.html", cachingMinTtlSeconds: 60 },
        { errorCode: 404, responseCode: 404, responsePagePath: "/404.html", cachingMinTtlSeconds: 60 },
      ]),
    /** Site bucket name. @default "<project>-<environment>-site-<account id>" */
    bucketName: BucketName.optional(),
  })
  .prefault({});

export const KinesisConfig = z
  .strictObject({
    /**
     * Capacity mode of the real-time log stream. Left out, the stream is provisioned and sized from
     * `peakRequestsPerSecond` (see config/kinesis.ts): one shard (~$11/month) instead of an on-demand
     * stream's fixed $0.04/stream-hour (~$29/month). Set "on-demand" when the peak is unknown or spiky.
     * @default "provisioned"
     */
    mode: z.enum(["on-demand", "provisioned"]).optional(),
    /**
     * Expected peak requests per second CloudFront serves (before `realtimeLogs.samplingRate`). The stream gets
     * enough shards for twice the sampled peak, each taking 1,000 records/s or 1 MB/s of log records.
     * Example: `"peakRequestsPerSecond": 300` with 100% sampling is 600 records/s: 1 shard; 800 is 1,600: 2 shards.
     * Not with mode "on-demand" (it sizes itself). @default 10 (one shard)
     */
    peakRequestsPerSecond: z.number().positive().finite().optional(),
    /**
     * Shards of a provisioned stream, 1-200 (the lowest per-account default quota); each takes 1,000 records/s
     * or 1 MB/s. Set, it wins over `peakRequestsPerSecond`. Not with mode "on-demand". @default sized from the peak
     */
    shardCount: z.number().int("must be a whole number").min(1).max(KINESIS_MAX_SHARDS).optional(),
    /** Hours the stream keeps records, 24-8760 (Kinesis limits). @default 24 */
    retentionHours: z.number().int("must be a whole number").min(24).max(8760).default(24),
  })
  .superRefine((k, ctx) => {
    if (k.mode === "on-demand" && k.shardCount !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["shardCount"],
        message: 'only allowed with mode "provisioned" (an on-demand stream manages its shards): remove it or set kinesis.mode',
      });
    }
    if (k.mode === "on-demand" && k.peakRequestsPerSecond !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["peakRequestsPerSecond"],
        message: "sizes a provisioned stream, and an on-demand stream sizes itself: remove it or kinesis.mode",
      });
    }
  })
  .prefault({});

export const EnvironmentConfig = z
  .strictObject({
    /** Short project name; prefixes every resource name. */
    project: Name,
    /** Environment name, e.g. dev or prod. */
    environment: Name,
    /** AWS region of the pipeline (CloudFront itself is global); one of config/aws-regions.ts. */
    region: Region,
    /** Tags on every resource, through the provider's default_tags. @default {} */
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    state: StateConfig,
    /** Lake bucket name. @default "<project>-<environment>-lake-<account id>" */
    lakeBucketName: BucketName.optional(),
    /** The log route: "realtime" (Kinesis + Firehose) or "standard" (lean mode: log files + a Lambda). @default "realtime" */
    logDelivery: LogDelivery,
    /** Lean mode's log bucket (only with logDelivery "standard"); see LogFilesConfig. */
    logFiles: LogFilesConfig,
    realtimeLogs: RealtimeLogsConfig,
    /** Google Analytics 4 import through AppFlow; off unless propertyId and auth are set. See config/ga.ts. */
    ga: GaConfig,
    /** Alarms, dashboard and log retention; see config/ops.ts. */
    ops: OpsConfig,
    website: WebsiteConfig,
    kinesis: KinesisConfig,
    /** How the transform Lambda classifies, drops and enriches requests; see schemas/transform-config.ts. @default DEFAULT_TRANSFORM_CONFIG */
    transform: TransformConfigSchema.prefault({}),
    ingestion: IngestionConfig,
    /** Live view counters (HTTP API + Lambda + DynamoDB); see config/usage-api.ts. */
    usageApi: UsageApiConfig,
    /** The Athena workgroup, its results bucket and the dashboard named queries; see config/athena.ts. */
    athena: AthenaConfig,
    /** The daily Glue job compacting small Parquet files; see config/compaction.ts. */
    compaction: CompactionConfig,
    /** QuickSight dashboards (Documents, QR scans); off by default. See config/dashboards.ts. */
    dashboards: DashboardsConfig,
    /** Customer-managed or AWS-managed KMS keys; see config/encryption.ts. */
    encryption: EncryptionConfig,
  })
  .superRefine((c, ctx) => {
    // The shards the peak asks for must stay within the account's default quota (config/kinesis.ts).
    const capacity = kinesisCapacity(c.kinesis, c.realtimeLogs.samplingRate);
    if (c.kinesis.shardCount === undefined && capacity.mode === "provisioned" && capacity.shardCount > KINESIS_MAX_SHARDS) {
      ctx.addIssue({
        code: "custom",
        path: ["kinesis", "peakRequestsPerSecond"],
        message: `needs ${capacity.shardCount} shards, more than the ${KINESIS_MAX_SHARDS} a Kinesis account gets by default: check the figure, or use kinesis.mode "on-demand"`,
      });
    }
  });

export type EnvironmentConfigInput = z.input<typeof EnvironmentConfig>;
export type EnvironmentConfig = z.output<typeof EnvironmentConfig>;

/**
 * Ingestion keys that tune Firehose only (its S3 and Lambda-processor buffers). The log-file Lambda of lean
 * mode reads whole log files, so these have nothing to tune there; the other ingestion keys (memory, timeout,
 * log and error retention, visitor key) apply to either route's transform function.
 */
export const FIREHOSE_ONLY_INGESTION_KEYS = [
  "bufferIntervalSeconds",
  "bufferSizeMiB",
  "processorBufferSizeMB",
  "processorBufferIntervalSeconds",
] as const satisfies readonly (keyof NonNullable<z.input<typeof IngestionConfig>>)[];

/** Config sections that configure only the real-time route: every key in them is an error in lean mode. */
const REALTIME_ONLY_SECTIONS = ["kinesis", "realtimeLogs"] as const satisfies readonly (keyof EnvironmentConfigInput)[];

const thresholdsOf = (route: LogDeliveryRoute): Set<string> =>
  new Set(ALARMS.filter((a) => a.routes.includes(route)).flatMap((a) => (a.thresholdKey === undefined ? [] : [a.thresholdKey])));

/** ops.thresholds keys that only alarms of the real-time route read (derived from config/alarms.ts). */
export const REALTIME_ONLY_THRESHOLDS: readonly string[] = [...thresholdsOf("realtime")].filter((k) => !thresholdsOf("standard").has(k));

const objectAt = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Keys set in the raw config that the chosen route never reads: with `logDelivery` "standard", those only the
 * real-time route reads; otherwise those of lean mode's `logFiles`. One problem per key, naming it. Checked on the input, before defaults fill these sections in, so only what the user wrote
 * counts (config/load.ts reports these with the schema's own problems).
 */
export function routeProblems(input: unknown): string[] {
  const raw = objectAt(input);
  if (raw === undefined) return [];
  if (raw.logDelivery !== "standard") {
    return [
      ...Object.keys(objectAt(raw.logFiles) ?? {}).map(
        (key) => `logFiles.${key}: configures the log bucket of lean mode: set logDelivery to "standard", or remove it`,
      ),
      ...diagnosticProblems(raw, []),
    ];
  }
  const why = (key: string, what: string) =>
    `${key}: ${what}, and logDelivery "standard" (lean mode) has none: remove it, or set logDelivery to "realtime"`;
  const problems: string[] = [];
  for (const section of REALTIME_ONLY_SECTIONS) {
    const what = section === "kinesis" ? "configures the Kinesis stream of the real-time route" : "configures CloudFront real-time logs";
    for (const key of Object.keys(objectAt(raw[section]) ?? {})) problems.push(why(`${section}.${key}`, what));
  }
  const ingestion = objectAt(raw.ingestion) ?? {};
  for (const key of FIREHOSE_ONLY_INGESTION_KEYS) {
    if (key in ingestion) problems.push(why(`ingestion.${key}`, "tunes Firehose's buffers"));
  }
  const thresholds = objectAt(objectAt(raw.ops)?.thresholds) ?? {};
  for (const key of REALTIME_ONLY_THRESHOLDS) {
    if (key in thresholds) problems.push(why(`ops.thresholds.${key}`, "sets an alarm on Kinesis or Firehose"));
  }
  return [...problems, ...diagnosticProblems(raw, REALTIME_ONLY_THRESHOLDS)];
}

/** Thresholds of diagnostic alarms (config/alarms.ts) set while `ops.diagnosticAlarms` is off: nothing reads them. */
function diagnosticProblems(raw: Record<string, unknown>, reported: readonly string[]): string[] {
  const ops = objectAt(raw.ops);
  if (ops?.diagnosticAlarms === true) return [];
  const thresholds = objectAt(ops?.thresholds) ?? {};
  return ALARMS.filter(
    (a) => a.diagnostic && a.thresholdKey !== undefined && a.thresholdKey in thresholds && !reported.includes(a.thresholdKey),
  ).map(
    (a) =>
      `ops.thresholds.${a.thresholdKey}: sets the ${a.id} alarm, which exists only with ops.diagnosticAlarms true: set it, or remove the threshold`,
  );
}
