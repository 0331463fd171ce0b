/**
 * The usage API as a function of the event: validate, route, call the store,
 * shape the response. Client mistakes become 400/404/405 with a JSON message
 * and never reach the store; store failures become 503, never a 500 page.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { IDEMPOTENT_REPLAYED_HEADER } from "../../schemas/usage";
import { HttpError, parseRequest } from "./request";
import { type CounterStore, IdempotencyConflictError } from "./store";

export interface UsageApiOptions {
  readonly store: CounterStore;
  /** Page ids the API accepts. @default any id that matches the page id pattern */
  readonly allowedPageIds?: ReadonlySet<string>;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
  /** Where unexpected errors are reported. @default console.error */
  readonly logError?: (message: string, error: unknown) => void;
}

export type UsageApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const BASE_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function createUsageApi(options: UsageApiOptions): UsageApiHandler {
  const now = options.now ?? (() => new Date());
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  return async (event) => {
    try {
      const request = parseRequest(event, options.allowedPageIds);
      switch (request.route) {
        case "preflight":
          // API Gateway answers CORS preflights itself when CORS is configured; this is only a fallback.
          return { statusCode: 204, headers: { "cache-control": "no-store" } };
        case "getCounts":
          return json(200, await options.store.getCounts(request.pageId, now()));
        case "recordView": {
          const result = await options.store.recordView(request.pageId, now(), request.idempotencyKey);
          return json(result.replayed ? 200 : 201, result.counts, result.replayed ? { [IDEMPOTENT_REPLAYED_HEADER]: "true" } : {});
        }
      }
    } catch (e) {
      if (e instanceof HttpError) return json(e.statusCode, { error: e.message }, e.allow ? { allow: e.allow.join(", ") } : {});
      if (e instanceof IdempotencyConflictError) return json(409, { error: e.message });
      logError("usage-stats: counter store failed", e);
      return json(503, { error: "the counter store is unavailable; try again later" }, { "retry-after": "1" });
    }
  };
}
