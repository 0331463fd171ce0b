/**
 * The `compaction` section of the environment config: the daily Glue job that
 * rewrites each finished day's small Parquet files into few large ones
 * (glue/lake_compaction.py, stacks/constructs/compaction-job.ts). Every key
 * documents its default; limits are checked here and again in the construct.
 */
import * as z from "zod";
import { LOG_RETENTION_DAYS } from "./limits";

/**
 * AWS Glue limits for the compaction job.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_CreateJob.html
 *   (Timeout in minutes, default 2,880 = 48 hours for batch jobs; MaxRetries; ExecutionClass FLEX | STANDARD,
 *   "Only jobs with AWS Glue version 3.0 and above and command type glueetl will be allowed to set ExecutionClass to FLEX")
 * @see https://docs.aws.amazon.com/glue/latest/dg/add-job.html (G.1X/G.2X workers; a Spark job needs at least 2 workers)
 * @see https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
 *   (cron: six fields in UTC; one of day-of-month and day-of-week must be `?`)
 */
export const GLUE_JOB_LIMITS = {
  timeoutMinutes: { min: 1, max: 2880 },
  maxRetries: { min: 0, max: 10 },
  minWorkers: 2,
  workerTypes: ["G.1X", "G.2X"],
  executionClasses: ["STANDARD", "FLEX"],
} as const;

/** Why a Glue cron expression is invalid, or undefined when it is valid. */
export function glueCronProblem(expr: string): string | undefined {
  const m = /^cron\((.*)\)$/.exec(expr.trim());
  if (!m) return "must look like cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. cron(30 0 * * ? *)";
  const fields = (m[1] ?? "").trim().split(/\s+/);
  if (fields.length !== 6) return `a Glue cron has 6 fields (Minutes Hours Day-of-month Month Day-of-week Year); got ${fields.length}`;
  const [, , dom, , dow] = fields;
  if ((dom === "?") === (dow === "?")) return "exactly one of day-of-month and day-of-week must be ?";
  if (fields.some((f) => !/^[0-9A-Za-z*?,/#L W-]+$/.test(f))) return "fields may only hold digits, names and * ? , - / L W #";
  return undefined;
}

/**
 * The daily run's default start, 00:30 UTC: Firehose buffers at most 900 s, so by then yesterday's partitions are
 * closed; a record that still arrives late lands in the next run's lookback days. Rollups are written right after
 * compaction, so the QuickSight refresh default (config/dashboards.ts, 01:30 UTC) follows the job.
 */
export const DEFAULT_COMPACTION_SCHEDULE = "cron(30 0 * * ? *)";

const whole = (key: string) => z.number().int(`${key} must be a whole number`);

export const CompactionConfig = z
  .strictObject({
    /** Run the job on its schedule. The job is deployed either way and can be started by hand. @default true */
    enabled: z.boolean().default(true),
    /**
     * When the daily run (compaction, then rollups) starts, a Glue cron expression in UTC. By 00:30
     * Firehose has closed yesterday's partitions (it buffers at most 900 s). Keep the dashboards'
     * refresh after it. @default "cron(30 0 * * ? *)" (DEFAULT_COMPACTION_SCHEDULE)
     */
    schedule: z
      .string()
      .superRefine((v, ctx) => {
        const problem = glueCronProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default(DEFAULT_COMPACTION_SCHEDULE),
    /** Days before yesterday compacted again, for files that arrive late (0-31). @default 2 */
    lookbackDays: whole("lookbackDays").min(0).max(31).default(2),
    /** Size of an output file in MiB (16-1024); Athena reads large files best. @default 128 */
    targetFileSizeMb: whole("targetFileSizeMb").min(16).max(1024).default(128),
    /**
     * Rows per output row group, and per sorted run held in memory: what bounds the job's memory
     * (about 100 MB per 131072 rows of events). 1024-1048576. @default 131072
     */
    rowGroupRows: whole("rowGroupRows").min(1024).max(1_048_576).default(131_072),
    /** Minutes before Glue stops a run (1-2880; Glue's own default is 2880). @default 60 */
    timeoutMinutes: whole("timeoutMinutes").min(GLUE_JOB_LIMITS.timeoutMinutes.min).max(GLUE_JOB_LIMITS.timeoutMinutes.max).default(60),
    /** Times Glue retries a failed run (0-10); safe, because a rerun finishes what a crash left. @default 2 */
    maxRetries: whole("maxRetries").min(GLUE_JOB_LIMITS.maxRetries.min).max(GLUE_JOB_LIMITS.maxRetries.max).default(2),
    /** Glue worker type: G.1X (4 vCPU, 16 GB) or G.2X (8 vCPU, 32 GB). The job runs on the driver only. @default "G.1X" */
    workerType: z.enum(GLUE_JOB_LIMITS.workerTypes).default("G.1X"),
    /**
     * FLEX runs on spare capacity at a lower price and may start later or be interrupted, which the
     * crash-safe job and its retries absorb; STANDARD starts at once. @default "FLEX"
     */
    executionClass: z.enum(GLUE_JOB_LIMITS.executionClasses).default("FLEX"),
    /** Days CloudWatch keeps the job's logs; one of CloudWatch's allowed values. @default 30 */
    logRetentionDays: z
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`)
      .default(30),
  })
  .prefault({});

export type CompactionConfig = z.output<typeof CompactionConfig>;
