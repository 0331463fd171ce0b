/**
 * The `athena` section of the environment config: the query layer's
 * workgroup (a per-query scan limit), its results bucket and the day window
 * of the dashboard named queries. Every key documents its default.
 */
import * as z from "zod";

/**
 * Athena limits, checked here and in stacks/constructs/athena-query.ts.
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html
 *   (BytesScannedCutoffPerQuery: minimum 10 MB; the AWS provider validates >= 10485760)
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateNamedQuery.html
 *   (Name 1-128, Description 1-1024, QueryString 1-262144 characters)
 * Workgroup names: config/aws-names.ts.
 */
export const ATHENA_LIMITS = {
  minBytesScannedCutoff: 10_485_760,
  namedQueryName: 128,
  namedQueryDescription: 1024,
  namedQueryString: 262_144,
} as const;

const whole = (key: string) => z.number().int(`${key} must be a whole number`);

export const AthenaConfig = z
  .strictObject({
    /**
     * Athena cancels a query of this workgroup once it has scanned this many bytes (a cost guard: Athena bills per
     * byte scanned). At least 10485760 (10 MiB), Athena's minimum. @default 1073741824 (1 GiB)
     */
    bytesScannedCutoffPerQuery: whole("bytesScannedCutoffPerQuery")
      .min(ATHENA_LIMITS.minBytesScannedCutoff, `must be at least ${ATHENA_LIMITS.minBytesScannedCutoff} bytes (10 MiB), Athena's minimum`)
      .max(Number.MAX_SAFE_INTEGER)
      .default(1_073_741_824),
    /** Days query results are kept in the results bucket before they expire. @default 7 */
    resultsExpirationDays: whole("resultsExpirationDays").min(1).max(3650).default(7),
    /** Days the dashboard named queries look back (today included); their partition filter. @default 30 */
    queryWindowDays: whole("queryWindowDays").min(1).max(3650).default(30),
  })
  .prefault({});

export type AthenaConfig = z.output<typeof AthenaConfig>;
