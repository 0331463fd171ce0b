/**
 * Lambda entry of the usage API (API Gateway HTTP API, payload 2.0). Only
 * wiring: read the environment once, build the store, delegate to app.ts.
 *
 * Environment: see USAGE_ENV in schemas/usage.ts (the stack sets the same names).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { USAGE_ENV } from "../../schemas/usage";
import { createUsageApi } from "./app";
import { CounterStore } from "./store";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const pageIds = process.env[USAGE_ENV.pageIds]
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const ttlSetting = process.env[USAGE_ENV.idempotencyTtlSeconds];
const ttl = ttlSetting ? Number(ttlSetting) : undefined;

export const handler = createUsageApi({
  store: new CounterStore({ client: new DynamoDBClient({}), tableName: required(USAGE_ENV.tableName), idempotencyTtlSeconds: ttl }),
  allowedPageIds: pageIds?.length ? new Set(pageIds) : undefined,
});
