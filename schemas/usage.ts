/**
 * The usage API's contract, written once: page ids, routes, headers, limits and
 * the counter table's key attributes. The handler, the API Gateway routes, the
 * DynamoDB table and the config's page allow-list are all derived from here.
 */
import * as z from "zod";

/** A page id: 1-64 lower-case letters, digits and hyphens, starting and ending with a letter or digit. */
export const PAGE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const PageId = z
  .string()
  .min(1, "is empty")
  .max(64, "is longer than 64 characters")
  .regex(PAGE_ID_PATTERN, "must be lower-case letters, digits and hyphens, starting and ending with a letter or digit");

/** Environment variables of the usage Lambda: the stack sets them, the handler's entry reads them. */
export const USAGE_ENV = {
  /** The counters table (required). */
  tableName: "TABLE_NAME",
  /** Comma-separated page-id allow-list; unset: any valid page id. */
  pageIds: "PAGE_IDS",
  /** Seconds an idempotency record is kept; unset: 86400. */
  idempotencyTtlSeconds: "IDEMPOTENCY_TTL_SECONDS",
} as const;

/**
 * The HTTP API's stage name, and so the path under which the API is served, on its own endpoint and
 * on the site (the distribution's `/api/*` behaviour): the stage segment stays in the
 * request path (`https://<api>.execute-api.<region>.amazonaws.com/api/v1/...`), so the site's
 * distribution can forward `/api/*` as is, with no origin path and no rewrite. Only `$default` is
 * served at the root.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
 */
export const USAGE_API_STAGE = "api";

/** The path parameter both routes share. */
export const PAGE_ID_PARAM = "pageId";

/** The HTTP API's routes (API Gateway route keys are `<METHOD> <path>`). */
export const USAGE_ROUTES = {
  recordView: { method: "POST", path: `/v1/pages/{${PAGE_ID_PARAM}}/views` },
  getCounts: { method: "GET", path: `/v1/pages/{${PAGE_ID_PARAM}}` },
} as const;

/** Client header that makes a retried POST count once (lower case: API Gateway lower-cases header names). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** Response header set when a POST was a replay of an earlier one with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = "idempotent-replayed";
/** 8-128 characters of letters, digits and `_ . : -`: a UUID fits. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{8,128}$/, "must be 8-128 letters, digits or _ . : - (a UUID is a good choice)");

/**
 * The usage function's timeout, in seconds (the stack sets it; HTTP API integrations wait at most 30 s).
 * It is also how long an idempotency claim is held: after it, the request that claimed the key cannot be
 * running any more, so a retry no longer waits for it.
 */
export const USAGE_FUNCTION_TIMEOUT_SECONDS = 5;

/** Largest request body the API reads, in bytes; a view needs none. */
export const MAX_BODY_BYTES = 1024;

/** Key attributes of the counter table; items are described in handlers/usage-stats/store.ts. */
export const USAGE_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** Epoch seconds after which DynamoDB's TTL deletes an item (idempotency records only). */
  ttlAttribute: "expiresAt",
} as const;

/** What both routes return. */
export const PageCounts = z.strictObject({
  pageId: z.string(),
  /** Views since the counter began. */
  total: z.number().int().nonnegative(),
  /** Views today (UTC). */
  today: z.number().int().nonnegative(),
  /** Views today and the 6 days before it (UTC). */
  last7Days: z.number().int().nonnegative(),
  /** Views today and the 29 days before it (UTC). */
  last30Days: z.number().int().nonnegative(),
});
export type PageCounts = z.infer<typeof PageCounts>;
