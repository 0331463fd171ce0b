/**
 * The `dashboards` config section: the Documents and QR-scan dashboards in
 * Amazon QuickSight, as code. Off by default: QuickSight needs an account
 * subscription, which must stay outside this pipeline's stacks (deleting it
 * wipes QuickSight in every region), so nothing here creates one.
 */
import * as z from "zod";

/**
 * QuickSight limits checked here and at synth.
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_ResourcePermission.html and the AWS
 *   provider 5.100.0 schema (`permissions`/`permission` blocks: at most 64 principals per resource)
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_RefreshFrequency.html
 *   (Interval MINUTE15 | MINUTE30 | HOURLY | DAILY | WEEKLY | MONTHLY; TimeOfTheDay HH:MM; RefreshOnDay for WEEKLY and MONTHLY)
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_CustomSql.html (SqlQuery 1-168000 characters)
 * @see https://docs.aws.amazon.com/quicksight/latest/APIReference/API_CreateDataSet.html (PhysicalTableMap: at most 32 tables)
 */
export const QUICKSIGHT_LIMITS = {
  permissionsPerResource: 64,
  customSqlQuery: 168_000,
  physicalTablesPerDataSet: 32,
  // Data set, data source and dashboard ids: config/aws-names.ts (quicksightId).
} as const;

/** A QuickSight user or group ARN, e.g. `arn:aws:quicksight:eu-west-1:111122223333:group/default/analysts`. */
const PrincipalArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[\w.@+=,-]+\/\S+$/,
    "a QuickSight user or group ARN: arn:aws:quicksight:<region>:<account>:user/<namespace>/<name> (or group/...)",
  );

const DAYS_OF_WEEK = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"] as const;

export const RefreshConfig = z
  .strictObject({
    /**
     * How often SPICE reloads the data sets from Athena. Standard edition refreshes at most daily; hourly needs
     * Enterprise edition. Each refresh runs every data set's query once (Athena bills the bytes scanned). The data
     * sets read closed days only (the daily rollups), so a refresh more often than daily shows nothing new.
     * @default "DAILY"
     */
    interval: z.enum(["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]).default("DAILY"),
    /**
     * Time of day of a DAILY, WEEKLY or MONTHLY refresh, HH:MM (24 h) in `timezone`. The default follows the daily
     * job (compaction at 00:30 UTC, then the rollups of the day just closed): at 01:30 yesterday is in the rollups.
     * The data sets read closed days only (rollup files, no raw events: docs/dashboards.md), so a later refresh scans
     * the same bytes; an earlier one would miss yesterday (closed, not yet rolled up). @default "01:30"
     */
    timeOfDay: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time HH:MM, 00:00-23:59")
      .default("01:30"),
    /** IANA time zone of timeOfDay, e.g. Europe/Berlin. @default "UTC" */
    timezone: z
      .string()
      .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "an IANA time zone such as UTC or Europe/Berlin")
      .default("UTC"),
    /** Day of a WEEKLY refresh; required with WEEKLY only. @default none */
    dayOfWeek: z.enum(DAYS_OF_WEEK).optional(),
    /** Day of the month (1-31, or LAST_DAY_OF_MONTH) of a MONTHLY refresh; required with MONTHLY only. @default none */
    dayOfMonth: z
      .string()
      .regex(/^([1-9]|[12]\d|3[01]|LAST_DAY_OF_MONTH)$/, "1-31 or LAST_DAY_OF_MONTH")
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.interval === "WEEKLY" && r.dayOfWeek === undefined)
      ctx.addIssue({ code: "custom", path: ["dayOfWeek"], message: 'required with interval "WEEKLY"' });
    if (r.interval !== "WEEKLY" && r.dayOfWeek !== undefined)
      ctx.addIssue({ code: "custom", path: ["dayOfWeek"], message: 'only allowed with interval "WEEKLY"' });
    if (r.interval === "MONTHLY" && r.dayOfMonth === undefined)
      ctx.addIssue({ code: "custom", path: ["dayOfMonth"], message: 'required with interval "MONTHLY"' });
    if (r.interval !== "MONTHLY" && r.dayOfMonth !== undefined)
      ctx.addIssue({ code: "custom", path: ["dayOfMonth"], message: 'only allowed with interval "MONTHLY"' });
  });
export type RefreshConfig = z.output<typeof RefreshConfig>;

export const DashboardsConfig = z
  .strictObject({
    /**
     * Create the QuickSight data source, data sets and dashboards (stack `dashboards`). The account must already
     * have a QuickSight subscription (made once, outside these stacks). Needs at least one of `owners`.
     * @default false
     */
    enabled: z.boolean().default(false),
    /** QuickSight users or groups that own the data source, data sets and dashboards (can edit and share). @default [] */
    owners: z.array(PrincipalArn).default([]),
    /** QuickSight users or groups that may view the dashboards. @default [] */
    viewers: z.array(PrincipalArn).default([]),
    /**
     * How the data sets read Athena: "SPICE" imports the query results on `refresh`'s schedule (fast dashboards,
     * one Athena scan per refresh); "DIRECT_QUERY" runs the queries whenever a dashboard opens. @default "SPICE"
     */
    importMode: z.enum(["SPICE", "DIRECT_QUERY"]).default("SPICE"),
    /** SPICE refresh schedule; only with importMode "SPICE". @default daily at 01:30 UTC, after the daily job */
    refresh: RefreshConfig.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.enabled && d.owners.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["owners"],
        message: "dashboards.enabled needs at least one QuickSight owner (a user or group ARN) to see and manage them",
      });
    }
    const all = [...d.owners, ...d.viewers];
    if (new Set(all).size !== all.length) {
      ctx.addIssue({ code: "custom", path: ["viewers"], message: "a principal is listed twice (owners and viewers together)" });
    }
    if (all.length > QUICKSIGHT_LIMITS.permissionsPerResource) {
      ctx.addIssue({
        code: "custom",
        path: ["viewers"],
        message: `at most ${QUICKSIGHT_LIMITS.permissionsPerResource} owners and viewers together (QuickSight permissions per resource); use groups`,
      });
    }
    if (d.importMode === "DIRECT_QUERY" && d.refresh !== undefined) {
      ctx.addIssue({ code: "custom", path: ["refresh"], message: 'only applies to importMode "SPICE" (direct query reads Athena live)' });
    }
  })
  .prefault({});
export type DashboardsConfig = z.output<typeof DashboardsConfig>;

export const DEFAULT_REFRESH: RefreshConfig = RefreshConfig.parse({});

/** Whether the config turns the dashboards on, and if not, why: one line for the synth output. */
export type DashboardsStatus = { readonly on: true } | { readonly on: false; readonly reason: string };

export function dashboardsStatus(d: DashboardsConfig): DashboardsStatus {
  if (!d.enabled) {
    return {
      on: false,
      reason:
        "dashboards.enabled is not true (QuickSight needs an account subscription, made once outside these stacks; see docs/dashboards.md)",
    };
  }
  return { on: true };
}
