/**
 * The `usageApi` section of the environment config: the live view counters
 * (API Gateway HTTP API + Lambda + DynamoDB, stacks/api-stack.ts). Every key
 * documents its default; errors name the key.
 */
import * as z from "zod";
import { PageId } from "../schemas/usage";
import { LAMBDA_LIMITS } from "./limits";
import { LogRetentionDays } from "./ops";

/**
 * A browser origin: `https://host[:port]`, or plain http for localhost only.
 * No path, no trailing slash, no wildcard: CORS compares origins exactly.
 */
export const Origin = z
  .string()
  .regex(
    /^(https:\/\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/,
    "an origin such as https://www.example.com (https, lower case, no path or trailing slash; http only for localhost)",
  );

/**
 * Stage throttling. Both values are always set: an HTTP API stage whose default route settings
 * lack either one throttles at 0 and answers every request 429.
 * Account quota per Region: 10,000 requests/s steady, 5,000 burst.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
const API_GATEWAY_ACCOUNT_LIMITS = { rate: 10_000, burst: 5_000 } as const;

export const UsageApiConfig = z
  .strictObject({
    /**
     * Origins of pages served elsewhere that call the API's stage URL from a browser (CORS), e.g.
     * `https://www.example.com`. The site itself needs none: it calls `/api` on its own origin.
     * @default [] (no cross-origin caller)
     */
    allowedOrigins: z
      .array(Origin)
      .refine((o) => new Set(o).size === o.length, "each origin at most once")
      .default([]),
    /** Requests per second the stage serves in steady state (token refill rate), above 0, at most 10,000. @default 20 */
    throttlingRateLimit: z
      .number()
      .gt(0, "must be above 0 (0 answers every request 429)")
      .max(API_GATEWAY_ACCOUNT_LIMITS.rate, `at most ${API_GATEWAY_ACCOUNT_LIMITS.rate} (the Region's account quota)`)
      .default(20),
    /** Requests the stage serves at once above the rate (bucket size), a whole number 1-5,000. @default 50 */
    throttlingBurstLimit: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1 (0 answers every request 429)")
      .max(API_GATEWAY_ACCOUNT_LIMITS.burst, `at most ${API_GATEWAY_ACCOUNT_LIMITS.burst} (the Region's account quota)`)
      .default(50),
    /**
     * The only page ids the API counts; others get 404. Each matches the page id pattern.
     * @default none: any page id matching the pattern (1-64 lower-case letters, digits, hyphens)
     */
    pageIds: z
      .array(PageId)
      .min(1, "list at least one page id, or leave the key out to accept any valid id")
      .refine((ids) => new Set(ids).size === ids.length, "each page id at most once")
      // The list travels in a Lambda environment variable; all variables share 4 KB.
      .refine((ids) => ids.join(",").length <= LAMBDA_LIMITS.environmentBytes / 2, "too long for a Lambda environment variable (2 KB)")
      .optional(),
    /** Days CloudWatch keeps the API's access logs and the function's logs. @default 30 */
    logRetentionDays: LogRetentionDays.default(30),
    /** Hours an Idempotency-Key is remembered (a retry within it counts once), 1-720. @default 24 */
    idempotencyTtlHours: z.number().int("must be a whole number").min(1).max(720).default(24),
    /** Memory of the counter function in MB, 128-10,240. @default 256 */
    memorySizeMb: z.number().int("must be a whole number").min(LAMBDA_LIMITS.memoryMb.min).max(LAMBDA_LIMITS.memoryMb.max).default(256),
    /**
     * Concurrent executions reserved for (and capping) the counter function, which also caps DynamoDB writes.
     * @default none: unreserved, limited by stage throttling
     */
    reservedConcurrency: z.number().int("must be a whole number").min(1).optional(),
  })
  .prefault({});

export type UsageApiConfig = z.output<typeof UsageApiConfig>;
