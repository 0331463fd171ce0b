/**
 * Lambda entry of the usage API (API Gateway HTTP API, payload 2.0). Only
 * wiring: read the environment once, build the store, delegate to app.ts.
 *
 * Environment: TABLE_NAME (required), PAGE_IDS (comma-separated allow-list,
 * optional), IDEMPOTENCY_TTL_SECONDS (optional, default 86400).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createUsageApi } from "./app";
import { CounterStore } from "./store";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const pageIds = process.env.PAGE_IDS?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const ttl = process.env.IDEMPOTENCY_TTL_SECONDS ? Number(process.env.IDEMPOTENCY_TTL_SECONDS) : undefined;

export const handler = createUsageApi({
  store: new CounterStore({ client: new DynamoDBClient({}), tableName: required("TABLE_NAME"), idempotencyTtlSeconds: ttl }),
  allowedPageIds: pageIds?.length ? new Set(pageIds) : undefined,
});
