/**
 * The usage API as a function of the event: validate, route, call the store,
 * shape the response. Every answer is JSON: client mistakes (any event shape,
 * direct invokes included) become 400/404/405 and never reach the store; a
 * request whose twin is still running gets 409 with Retry-After; store failures
 * become 503 with Retry-After; a bug is a 500, logged as one, never as a store failure.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { IDEMPOTENT_REPLAYED_HEADER } from "../../schemas/usage";
import { HttpError, parseRequest, type UsageRequest } from "./request";
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

/** Takes any value: Lambda hands the function whatever JSON it was invoked with. */
export type UsageApiHandler = (event: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

const BASE_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function createUsageApi(options: UsageApiOptions): UsageApiHandler {
  const now = options.now ?? (() => new Date());
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  return async (event) => {
    let request: UsageRequest;
    try {
      request = parseRequest(event, options.allowedPageIds);
    } catch (e) {
      if (e instanceof HttpError) return json(e.statusCode, { error: e.message }, e.allow ? { allow: e.allow.join(", ") } : {});
      return internalError(e);
    }
    try {
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
      if (e instanceof IdempotencyConflictError) return json(409, { error: e.message }, { "retry-after": String(e.retryAfterSeconds) });
      if (isProgrammingError(e)) return internalError(e);
      logError("usage-stats: counter store failed", e);
      return json(503, { error: "the counter store is unavailable; try again later" }, { "retry-after": "1" });
    }
  };

  function internalError(e: unknown): APIGatewayProxyStructuredResultV2 {
    logError("usage-stats: unexpected error (a bug, not a store failure)", e);
    return json(500, { error: "internal error" });
  }
}

/**
 * A JavaScript error of the code itself (TypeError and the like), not of the store: the AWS SDK reports
 * service and network failures with its own error names and `$metadata`.
 */
function isProgrammingError(e: unknown): boolean {
  if (typeof e === "object" && e !== null && "$metadata" in e) return false;
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}
