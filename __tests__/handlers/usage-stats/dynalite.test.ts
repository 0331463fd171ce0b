/**
 * The usage API's handler against a real DynamoDB-API server (dynalite on a
 * loopback port) through the real AWS SDK client: exact counts under
 * concurrency, idempotent retries, and bad input that never writes.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createUsageApi, type UsageApiHandler } from "../../../handlers/usage-stats/app";
import { CounterStore } from "../../../handlers/usage-stats/store";
import { IDEMPOTENT_REPLAYED_HEADER, MAX_BODY_BYTES, PageCounts } from "../../../schemas/usage";
import { viewEvent } from "../../helpers/apigw";
import { createCounterTable, type LocalDynamo, scanAll, startDynalite } from "../../helpers/dynalite";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

interface Api {
  readonly table: string;
  readonly handle: UsageApiHandler;
  /** Move the handler's clock. */
  setNow(iso: string): void;
}

/** A fresh table and a handler over it, with a settable clock. */
async function freshApi(options: { allowedPageIds?: ReadonlySet<string>; idempotencyTtlSeconds?: number } = {}): Promise<Api> {
  const table = `usage-${randomUUID()}`;
  await createCounterTable(dynamo.client, table);
  let now = new Date("2026-11-28T09:30:00Z");
  const store = new CounterStore({ client: dynamo.client, tableName: table, idempotencyTtlSeconds: options.idempotencyTtlSeconds });
  const handle = createUsageApi({ store, now: () => now, allowedPageIds: options.allowedPageIds, logError: () => {} });
  return { table, handle, setNow: (iso) => (now = new Date(iso)) };
}

function counts(res: APIGatewayProxyStructuredResultV2): PageCounts {
  return PageCounts.parse(JSON.parse(String(res.body)));
}

const get = (pageId: string) => viewEvent({ method: "GET", path: `/v1/pages/${pageId}`, body: null }, "get-counts");
const post = (pageId: string, key?: string) => viewEvent({ path: `/v1/pages/${pageId}/views`, headers: { "idempotency-key": key } });

/** Sum of the month totals and of the per-day attributes stored for a page: they must agree. */
async function storedSums(table: string, pageId: string): Promise<{ monthTotals: number; days: number }> {
  const items = (await scanAll(dynamo.client, table)).filter((i) => i.pk?.S === `page#${pageId}`);
  let monthTotals = 0;
  let days = 0;
  for (const item of items) {
    monthTotals += Number(item.total?.N ?? 0);
    for (const [name, value] of Object.entries(item)) if (/^d\d\d$/.test(name)) days += Number(value.N);
  }
  return { monthTotals, days };
}

describe("usage counters against dynalite", () => {
  it("counts 1,000 concurrent views of one page exactly, with and without keys; per-day and total agree", async () => {
    const api = await freshApi();
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => api.handle(post("product", i % 2 === 0 ? randomUUID() : undefined))),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(1000).fill(201));
    // Each response includes its own view, so the largest seen total is the final one.
    expect(Math.max(...results.map((r) => counts(r).total))).toBe(1000);

    const final = counts(await api.handle(get("product")));
    expect(final).toEqual({ pageId: "product", total: 1000, today: 1000, last7Days: 1000, last30Days: 1000 });
    expect(await storedSums(api.table, "product")).toEqual({ monthTotals: 1000, days: 1000 });
  }, 300_000); // ~3,000 DynamoDB calls against an in-process server: ~10 s on an idle 2-core machine, far more under load

  it("adds up days across a month boundary: today, last 7 days, last 30 days and total", async () => {
    const api = await freshApi();
    const views: [string, number][] = [
      ["2026-09-15T12:00:00Z", 3], // only in the total
      ["2026-10-29T23:59:59Z", 1], // 31 days before 28 Nov: outside the last 30
      ["2026-10-30T00:00:00Z", 2], // the first of the last 30 days
      ["2026-11-21T10:00:00Z", 4], // 7 days before: outside the last 7
      ["2026-11-22T00:00:00Z", 6], // the first of the last 7 days
      ["2026-11-28T08:00:00Z", 5], // today
    ];
    for (const [at, n] of views) {
      api.setNow(at);
      for (let i = 0; i < n; i++) expect((await api.handle(post("datasheet"))).statusCode).toBe(201);
    }
    api.setNow("2026-11-28T23:59:59Z");
    expect(counts(await api.handle(get("datasheet")))).toEqual({
      pageId: "datasheet",
      total: 21,
      today: 5,
      last7Days: 11,
      last30Days: 17,
    });
    expect(await storedSums(api.table, "datasheet")).toEqual({ monthTotals: 21, days: 21 });
  });

  it("counts the same Idempotency-Key sent 5 times once, and replays the first answer", async () => {
    const api = await freshApi();
    const key = randomUUID();
    const first = await api.handle(post("product", key));
    expect(first.statusCode).toBe(201);
    await api.handle(post("product")); // another visitor in between: the replay still returns the first answer
    const retries = [];
    for (let i = 0; i < 4; i++) retries.push(await api.handle(post("product", key)));
    for (const r of retries) {
      expect(r.statusCode).toBe(200);
      expect(r.headers?.[IDEMPOTENT_REPLAYED_HEADER]).toBe("true");
      expect(r.body).toBe(first.body);
    }
    expect(counts(await api.handle(get("product"))).total).toBe(2);
  });

  it("counts the same Idempotency-Key sent 5 times concurrently once", async () => {
    const api = await freshApi();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => api.handle(post("product", key))));
    const statuses = results.map((r) => r.statusCode).sort();
    // One request counts (201); the others either replay its answer (200) or, while it runs, get 409 with a reason.
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode === 409)) expect(JSON.parse(String(r.body)).error).toMatch(/in progress/);
    expect(statuses.every((s) => s === 201 || s === 200 || s === 409)).toBe(true);
    expect(counts(await api.handle(get("product"))).total).toBe(1);
    expect((await api.handle(post("product", key))).statusCode).toBe(200);
    expect(counts(await api.handle(get("product"))).total).toBe(1);
  });

  it("scopes a key to its page and forgets it after the TTL", async () => {
    const api = await freshApi({ idempotencyTtlSeconds: 3600 });
    const key = randomUUID();
    expect((await api.handle(post("product", key))).statusCode).toBe(201);
    expect((await api.handle(post("datasheet", key))).statusCode).toBe(201);
    api.setNow("2026-11-28T10:29:59Z");
    expect((await api.handle(post("product", key))).statusCode).toBe(200);
    // Past expiresAt the record counts as gone even before DynamoDB's TTL deletes it.
    api.setNow("2026-11-28T10:30:01Z");
    expect((await api.handle(post("product", key))).statusCode).toBe(201);
    expect(counts(await api.handle(get("product"))).total).toBe(2);
  });

  it.each([
    ["a bad page id", { path: "/v1/pages/Bad_Id/views" }],
    ["a body over the size limit", { body: JSON.stringify({ pad: "x".repeat(MAX_BODY_BYTES) }) }],
    ["a wrong content type", { headers: { "content-type": "text/plain" } }],
    ["invalid JSON", { body: '{"a":' }],
    ["a missing path parameter", { path: "/v1/pages//views" }],
    ["a malformed Idempotency-Key", { headers: { "idempotency-key": "x" } }],
  ])("answers %s with 400 and a message, and writes nothing", async (_name, changes) => {
    const api = await freshApi();
    const res = await api.handle(viewEvent(changes));
    expect(res.statusCode).toBe(400);
    expect(res.headers?.["content-type"]).toBe("application/json");
    expect(JSON.parse(String(res.body)).error).toEqual(expect.any(String));
    expect(await scanAll(dynamo.client, api.table)).toEqual([]);
  });

  it("answers unknown routes 404, wrong methods 405 and pages outside the allow-list 404, writing nothing", async () => {
    const api = await freshApi({ allowedPageIds: new Set(["product"]) });
    expect((await api.handle(viewEvent({ path: "/v1/pages/product/likes" }))).statusCode).toBe(404);
    const wrong = await api.handle(viewEvent({ method: "PUT" }));
    expect([wrong.statusCode, wrong.headers?.allow]).toEqual([405, "POST"]);
    expect((await api.handle(post("pricing"))).statusCode).toBe(404);
    expect(await scanAll(dynamo.client, api.table)).toEqual([]);
    expect((await api.handle(post("product"))).statusCode).toBe(201);
  });

  it("returns zeros for a page never viewed", async () => {
    const api = await freshApi();
    const res = await api.handle(get("never-seen"));
    expect(res.statusCode).toBe(200);
    expect(counts(res)).toEqual({ pageId: "never-seen", total: 0, today: 0, last7Days: 0, last30Days: 0 });
  });

  describe("when the counter update fails after the key was claimed (injected failure)", () => {
    const clients: DynamoDBClient[] = [];
    afterAll(() => {
      for (const c of clients) c.destroy();
    });

    /** A client for the same dynalite whose next counter update (`ADD`) fails with the given error. */
    function failingOnce(error: Error): DynamoDBClient {
      const client = new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: "eu-west-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
      });
      clients.push(client);
      let armed = true;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { UpdateExpression?: string };
          if (armed && context.commandName === "UpdateItemCommand" && input.UpdateExpression?.startsWith("ADD")) {
            armed = false;
            throw error;
          }
          return next(args);
        },
        { step: "initialize", name: "injectFailure" },
      );
      return client;
    }

    async function apiWith(client: DynamoDBClient) {
      const table = `usage-${randomUUID()}`;
      await createCounterTable(dynamo.client, table);
      const store = new CounterStore({ client, tableName: table });
      return createUsageApi({ store, logError: () => {} });
    }

    it("releases the claim when DynamoDB rejected the update (4xx), so the retry counts once", async () => {
      const rejected = new ProvisionedThroughputExceededException({ message: "injected", $metadata: { httpStatusCode: 400 } });
      const handle = await apiWith(failingOnce(rejected));
      const key = randomUUID();
      const first = await handle(post("product", key));
      expect([first.statusCode, first.headers?.["retry-after"]]).toEqual([503, "1"]);
      expect((await handle(post("product", key))).statusCode).toBe(201);
      expect((await handle(post("product", key))).statusCode).toBe(200);
      expect(counts(await handle(get("product"))).total).toBe(1);
    });

    it("keeps the claim when the outcome is unknown (timeout, 5xx): retries get 409 and nothing counts twice", async () => {
      const handle = await apiWith(failingOnce(Object.assign(new Error("socket hang up"), { name: "TimeoutError" })));
      const key = randomUUID();
      expect((await handle(post("product", key))).statusCode).toBe(503);
      const retry = await handle(post("product", key));
      expect(retry.statusCode).toBe(409);
      expect(JSON.parse(String(retry.body)).error).toMatch(/did not finish; it is not counted again/);
      expect(counts(await handle(get("product"))).total).toBe(0);
    });
  });

  it("answers 503, not 500, when the table is missing", async () => {
    const logged: unknown[] = [];
    const store = new CounterStore({ client: dynamo.client, tableName: "no-such-table" });
    const handle = createUsageApi({ store, logError: (_m, e) => logged.push(e) });
    const res = await handle(post("product", randomUUID()));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.["retry-after"]).toBe("1");
    expect(logged).toHaveLength(1);
  });
});
