import { HttpError, parseRequest } from "../../../handlers/usage-stats/request";
import { MAX_BODY_BYTES } from "../../../schemas/usage";
import { apigwEvent, viewEvent } from "../../helpers/apigw";

function errorOf(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error("expected an HttpError");
}

describe("usage API request validation", () => {
  it("accepts a real POST view event with its Idempotency-Key", () => {
    expect(parseRequest(apigwEvent("post-view"))).toEqual({
      route: "recordView",
      pageId: "product",
      idempotencyKey: "5f0c3b7e-9a1d-4c2b-8e55-0c6f4a1d2e93",
    });
  });

  it("accepts a real GET counts event", () => {
    expect(parseRequest(apigwEvent("get-counts"))).toEqual({ route: "getCounts", pageId: "product" });
  });

  it("routes a named stage's request: API Gateway keeps the stage segment in rawPath (only $default is served at the root)", () => {
    const named = (path: string, stage = "api") => {
      const event = viewEvent({ path });
      event.requestContext.stage = stage;
      return event;
    };
    expect(parseRequest(named("/api/v1/pages/product/views"))).toMatchObject({ route: "recordView", pageId: "product" });
    // Only the stage's own segment is removed: under $default, or under another stage, /api/ is part of the path.
    expect(errorOf(() => parseRequest(named("/api/v1/pages/product/views", "$default"))).statusCode).toBe(404);
    expect(errorOf(() => parseRequest(named("/api/v1/pages/product/views", "ap"))).statusCode).toBe(404);
    expect(errorOf(() => parseRequest(named("/apiv1/pages/product/views"))).statusCode).toBe(404);
  });

  it("accepts a POST without a body or key, and a quoted key", () => {
    expect(parseRequest(viewEvent({ body: null, headers: { "content-type": undefined, "idempotency-key": undefined } }))).toEqual({
      route: "recordView",
      pageId: "product",
    });
    expect(parseRequest(viewEvent({ headers: { "idempotency-key": '"abcdefgh-1"' } }))).toMatchObject({ idempotencyKey: "abcdefgh-1" });
  });

  it("accepts a base64-encoded JSON body and a charset in the content type", () => {
    const event = viewEvent({
      body: Buffer.from("{}").toString("base64"),
      isBase64Encoded: true,
      headers: { "content-type": "application/json; charset=UTF-8" },
    });
    expect(parseRequest(event)).toMatchObject({ route: "recordView" });
  });

  it.each([
    ["an upper-case page id", { path: "/v1/pages/Product/views" }, /pageId must be lower-case/],
    ["a page id with a dot", { path: "/v1/pages/a.b/views" }, /pageId must be lower-case/],
    ["a page id with an encoded slash", { path: "/v1/pages/a%2Fb/views" }, /pageId must be lower-case/],
    ["a page id over 64 characters", { path: `/v1/pages/${"a".repeat(65)}/views` }, /longer than 64/],
    ["a page id ending in a hyphen", { path: "/v1/pages/product-/views" }, /pageId must be/],
    ["broken percent-encoding", { path: "/v1/pages/%E0%A4%A/views" }, /not valid percent-encoding/],
    ["a missing page id", { path: "/v1/pages//views" }, /missing path parameter pageId/],
    ["a body over the size limit", { body: JSON.stringify({ pad: "x".repeat(MAX_BODY_BYTES) }) }, /body is \d+ bytes; the limit is 1024/],
    ["a wrong content type", { headers: { "content-type": "text/plain" } }, /content-type must be application\/json; got text\/plain/],
    ["a body without a content type", { headers: { "content-type": undefined } }, /content-type must be application\/json; got none/],
    ["invalid JSON", { body: "{views: 1" }, /body is not valid JSON/],
    ["a JSON array", { body: "[]" }, /body must be a JSON object/],
    ["a body with fields", { body: '{"count": 1000}' }, /unknown field\(s\): count/],
    ["a short Idempotency-Key", { headers: { "idempotency-key": "abc" } }, /Idempotency-Key must be 8-128/],
    ["an Idempotency-Key with spaces", { headers: { "idempotency-key": "abc def ghi" } }, /Idempotency-Key must be 8-128/],
  ])("rejects %s with 400 and says why", (_name, changes, message) => {
    const e = errorOf(() => parseRequest(viewEvent(changes)));
    expect(e.statusCode).toBe(400);
    expect(e.message).toMatch(message);
  });

  it("answers a missing page id on the $default route with 400", () => {
    const e = errorOf(() => parseRequest(apigwEvent("default-route")));
    expect([e.statusCode, e.message]).toEqual([400, "missing path parameter pageId"]);
  });

  it("answers unknown routes with 404 and wrong methods with 405 naming the allowed one", () => {
    expect(errorOf(() => parseRequest(viewEvent({ path: "/v2/pages/product/views" }))).statusCode).toBe(404);
    expect(errorOf(() => parseRequest(viewEvent({ path: "/v1/pages/product/likes" }))).statusCode).toBe(404);
    const wrong = errorOf(() => parseRequest(viewEvent({ method: "DELETE" })));
    expect([wrong.statusCode, wrong.allow]).toEqual([405, ["POST"]]);
    const get = errorOf(() => parseRequest(viewEvent({ method: "PUT", path: "/v1/pages/product" })));
    expect([get.statusCode, get.allow]).toEqual([405, ["GET"]]);
  });

  it("answers pages outside the configured allow-list with 404", () => {
    const allowed = new Set(["product"]);
    expect(parseRequest(viewEvent(), allowed)).toMatchObject({ pageId: "product" });
    const e = errorOf(() => parseRequest(viewEvent({ path: "/v1/pages/pricing/views" }), allowed));
    expect([e.statusCode, e.message]).toEqual([404, "unknown page pricing: it is not in the configured page list"]);
  });
});
