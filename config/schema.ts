/**
 * The configuration of one environment (`config/<env>.json`), validated by zod
 * at synth. Unknown keys are errors, so a typo never silently falls back to a
 * default. Every optional key documents its default.
 */
import { z } from "zod";
import { TransformConfigSchema } from "../schemas/transform-config";

/** S3 bucket naming rules. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const BucketName = z
  .string()
  .min(3, "bucket names are 3-63 characters")
  .max(63, "bucket names are 3-63 characters")
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "use lower-case letters, digits, dots and hyphens; start and end with a letter or digit")
  .refine((v) => !v.includes(".."), "two adjacent dots are not allowed")
  .refine((v) => !/^\d+\.\d+\.\d+\.\d+$/.test(v), "must not look like an IP address")
  .refine((v) => !v.startsWith("xn--") && !v.endsWith("-s3alias") && !v.endsWith("--ol-s3"), "reserved prefix or suffix");

const Name = z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, "lower-case letters, digits and hyphens, starting with a letter, 2-31 characters");

export const StateConfig = z
  .strictObject({
    /** Where Terraform keeps state. @default "local": files under terraform-state/ */
    backend: z.enum(["local", "s3"]).default("local"),
    /** State bucket the bootstrap stack creates and the S3 backend uses. @default "<project>-<environment>-tfstate" */
    bucket: BucketName.optional(),
    /** Region of the state bucket. @default the environment's region */
    region: z.string().optional(),
  })
  .default({ backend: "local" });

export const RealtimeLogsConfig = z
  .strictObject({
    /** Percentage of viewer requests CloudFront logs, a whole number 1-100. @default 100 */
    samplingRate: z.number().int("must be a whole number").min(1).max(100).default(100),
  })
  .default({ samplingRate: 100 });

export const EnvironmentConfig = z.strictObject({
  /** Short project name; prefixes every resource name. */
  project: Name,
  /** Environment name, e.g. dev or prod. */
  environment: Name,
  /** AWS region of the pipeline (CloudFront itself is global). */
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1"),
  /** Tags on every resource, through the provider's default_tags. @default {} */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
  state: StateConfig,
  /** Lake bucket name. @default "<project>-<environment>-lake-<account id>" */
  lakeBucketName: BucketName.optional(),
  realtimeLogs: RealtimeLogsConfig,
  /** How the transform Lambda classifies, drops and enriches requests; see schemas/transform-config.ts. @default DEFAULT_TRANSFORM_CONFIG */
  transform: TransformConfigSchema.prefault({}),
});

export type EnvironmentConfigInput = z.input<typeof EnvironmentConfig>;
export type EnvironmentConfig = z.output<typeof EnvironmentConfig>;
