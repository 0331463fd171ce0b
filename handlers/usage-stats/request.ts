/**
 * Request validation for the usage API, pure: an API Gateway HTTP API (payload
 * 2.0) event in, a validated route or a client error out. Routing reads the raw
 * path itself, so the same code serves the explicit routes and the `$default`
 * catch-all (which is how unknown paths and wrong methods reach it).
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "zod";
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, MAX_BODY_BYTES, PAGE_ID_PARAM, PageId } from "../../schemas/usage";

/** A response-worthy client error: status, message, and for 405 the allowed methods. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 405 | 409,
    message: string,
    readonly allow?: readonly string[],
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export type UsageRequest =
  | { readonly route: "recordView"; readonly pageId: string; readonly idempotencyKey?: string }
  | { readonly route: "getCounts"; readonly pageId: string }
  | { readonly route: "preflight" };

/** Path templates derived from schemas/usage.ts's routes: `/v1/pages/<id>/views` and `/v1/pages/<id>`. */
const ROUTES = [
  { route: "recordView", pattern: /^\/v1\/pages\/([^/]*)\/views\/?$/, method: "POST" },
  { route: "getCounts", pattern: /^\/v1\/pages\/([^/]*)\/?$/, method: "GET" },
] as const;

/** The body, when there is one: a JSON object with no fields (reserved), so a client bug cannot pass silently. */
const ViewBody = z.strictObject({});

const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

/**
 * The headers a view request may carry (API Gateway lower-cases names; others pass through).
 * The content type is checked with the body: without a body it does not matter.
 */
const ViewHeaders = z.looseObject({
  "content-type": z.string().optional(),
  // A structured-field string may arrive quoted ("key"); the quotes are not part of the key.
  [IDEMPOTENCY_KEY_HEADER]: z
    .string()
    .trim()
    .transform((k) => k.replace(/^"(.*)"$/, "$1"))
    .pipe(IdempotencyKey)
    .optional(),
});

/**
 * The parts of a payload 2.0 event the API reads, checked before anything reads them: a direct invoke
 * (`aws lambda invoke`, a test console) can send any JSON, and a wrong shape is the caller's mistake (400),
 * not a TypeError reported as a store failure. API Gateway sends `body` as a string (base64 when
 * `isBase64Encoded`) and header values as strings.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
const EventShape = z.looseObject({
  rawPath: z.string().optional(),
  headers: z.record(z.string(), z.union([z.string(), z.undefined()])).optional(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.looseObject({
    stage: z.string().optional(),
    http: z.looseObject({ method: z.string(), path: z.string().optional() }),
  }),
});

/**
 * Validate an event; throws {@link HttpError} for anything a client got wrong, whatever the event's shape.
 *
 * Methods are compared exactly as API Gateway sends them in `requestContext.http.method`: the method token
 * is case-sensitive (RFC 9110, section 9.1), the routes are `POST` and `GET`, and a `post` that reaches the
 * function (through the `$default` route, or a direct invoke) is a different method: 405, never counted.
 */
export function parseRequest(input: unknown, allowedPageIds?: ReadonlySet<string>): UsageRequest {
  const shape = EventShape.safeParse(input);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const where = ["event", ...(issue?.path ?? []).map(String)].join(".");
    throw new HttpError(400, `${where}: ${issue?.message ?? "is invalid"} (not an API Gateway HTTP API payload 2.0 request)`);
  }
  // The checked shape is a subset of the SDK's type; the rest is read only through the checked fields.
  const event = shape.data as unknown as APIGatewayProxyEventV2;
  const method = event.requestContext.http.method;
  const rawPath = routePath(event);
  const match = ROUTES.map((r) => ({ ...r, m: r.pattern.exec(rawPath) })).find((r) => r.m);
  if (!match?.m) throw new HttpError(404, `no route for ${rawPath || "(empty path)"}`);
  if (method === "OPTIONS") return { route: "preflight" };
  if (method !== match.method) throw new HttpError(405, `${method} is not allowed on ${rawPath}; use ${match.method}`, [match.method]);

  const pageId = parsePageId(match.m[1] ?? "", allowedPageIds);
  if (match.route === "getCounts") return { route: "getCounts", pageId };

  const headers = ViewHeaders.safeParse(lowerCaseKeys(event.headers ?? {}));
  if (!headers.success) {
    const name = String(headers.error.issues[0]?.path[0] ?? "");
    throw new HttpError(400, `header ${name === IDEMPOTENCY_KEY_HEADER ? "Idempotency-Key" : name} ${firstMessage(headers.error)}`);
  }
  parseBody(event, headers.data["content-type"]);
  const key = headers.data[IDEMPOTENCY_KEY_HEADER];
  return key === undefined ? { route: "recordView", pageId } : { route: "recordView", pageId, idempotencyKey: key };
}

/**
 * The path the routes are matched against. A named stage's segment stays in `rawPath`
 * (`/api/v1/...` for stage `api`); only `$default` is served at the root, so it is removed here.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
 * @see https://github.com/aws-powertools/powertools-lambda-python/issues/621
 */
function routePath(event: APIGatewayProxyEventV2): string {
  const rawPath = event.rawPath ?? event.requestContext.http.path ?? "";
  const stage = event.requestContext.stage;
  if (!stage || stage === "$default") return rawPath;
  const prefix = `/${stage}`;
  return rawPath === prefix || rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) || "/" : rawPath;
}

function parsePageId(encoded: string, allowed?: ReadonlySet<string>): string {
  if (encoded === "") throw new HttpError(400, `missing path parameter ${PAGE_ID_PARAM}`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, `path parameter ${PAGE_ID_PARAM} is not valid percent-encoding`);
  }
  const parsed = PageId.safeParse(decoded);
  if (!parsed.success) throw new HttpError(400, `path parameter ${PAGE_ID_PARAM} ${firstMessage(parsed.error)}`);
  if (allowed && !allowed.has(parsed.data)) throw new HttpError(404, `unknown page ${parsed.data}: it is not in the configured page list`);
  return parsed.data;
}

function parseBody(event: APIGatewayProxyEventV2, contentType: string | undefined): void {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === "") return;
  const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(400, `body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  if (contentType === undefined || !JSON_CONTENT_TYPE.test(contentType.trim())) {
    throw new HttpError(400, `content-type must be application/json; got ${contentType === undefined ? "none" : contentType}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
  const body = ViewBody.safeParse(json);
  if (!body.success) throw new HttpError(400, `body ${firstMessage(body.error)}`);
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function firstMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "is invalid";
  if (issue.code === "unrecognized_keys") return `must be an empty JSON object; unknown field(s): ${issue.keys.join(", ")}`;
  if (issue.code === "invalid_type") return `must be a JSON object: ${issue.message}`;
  return issue.message;
}
