/**
 * The usage API's handler against a real DynamoDB-API server (dynalite on a
 * loopback port) through the real AWS SDK client: exact counts under
 * concurrency, idempotent retries, and bad input that never writes.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import fc from "fast-check";
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

  describe("injected failures after the key was claimed", () => {
    const clients: DynamoDBClient[] = [];
    afterAll(() => {
      for (const c of clients) c.destroy();
    });

    type Call = { command: string; input: { UpdateExpression?: string } };
    /** Predicates over DynamoDB calls. */
    const isAdd = (c: Call) => c.command === "UpdateItemCommand" && c.input.UpdateExpression?.startsWith("ADD") === true;
    const isQuery = (c: Call) => c.command === "QueryCommand";
    /** The update that marks a claim COUNTED or COMPLETED (never the claim itself, which sets the lease). */
    const isStatusUpdate = (c: Call) =>
      c.command === "UpdateItemCommand" &&
      (c.input.UpdateExpression === "SET #status = :status" || c.input.UpdateExpression?.includes("#response = :response") === true);

    /**
     * A client for the same dynalite whose next calls matching `failures` fail, in order, with their error.
     * `after` lets the failing call reach DynamoDB first (it is applied; only its answer is lost).
     */
    function failing(...failures: { when: (c: Call) => boolean; error: Error; after?: boolean }[]): DynamoDBClient {
      const client = new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: "eu-west-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
      });
      clients.push(client);
      const pending = [...failures];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const call = { command: String(context.commandName), input: args.input as Call["input"] };
          const failure = pending[0];
          if (failure?.when(call)) {
            pending.shift();
            if (failure.after) await next(args);
            throw failure.error;
          }
          return next(args);
        },
        { step: "initialize", name: "injectFailure" },
      );
      return client;
    }
    const failingOnce = (error: Error) => failing({ when: isAdd, error });
    const timeout = () => Object.assign(new Error("socket hang up"), { name: "TimeoutError" });

    async function apiWith(client: DynamoDBClient) {
      const table = `usage-${randomUUID()}`;
      await createCounterTable(dynamo.client, table);
      let now = new Date("2026-11-28T09:30:00Z");
      const store = new CounterStore({ client, tableName: table, leaseSeconds: 5 });
      const handle = createUsageApi({ store, now: () => now, logError: () => {} });
      return Object.assign(handle, { later: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)) });
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

    it("counted, then the read-back failed: the retry replays the current counts at once (200, replayed), never 409", async () => {
      const handle = await apiWith(failing({ when: isQuery, error: timeout() }));
      const key = randomUUID();
      const first = await handle(post("product", key));
      expect([first.statusCode, first.headers?.["retry-after"]]).toEqual([503, "1"]);
      const retry = await handle(post("product", key));
      expect([retry.statusCode, retry.headers?.[IDEMPOTENT_REPLAYED_HEADER]]).toEqual([200, "true"]);
      expect(counts(retry).total).toBe(1);
      expect(counts(await handle(get("product"))).total).toBe(1);
    });

    it("counted, then the read-back and the COUNTED mark failed: 409 with Retry-After during the lease, then a replay", async () => {
      const handle = await apiWith(failing({ when: isQuery, error: timeout() }, { when: isStatusUpdate, error: timeout() }));
      const key = randomUUID();
      expect((await handle(post("product", key))).statusCode).toBe(503);
      const during = await handle(post("product", key));
      expect([during.statusCode, during.headers?.["retry-after"]]).toEqual([409, "5"]);
      expect(JSON.parse(String(during.body)).error).toMatch(/in progress; retry in 5 s/);
      handle.later(5);
      const after = await handle(post("product", key));
      expect([after.statusCode, after.headers?.[IDEMPOTENT_REPLAYED_HEADER], counts(after).total]).toEqual([200, "true", 1]);
      expect(counts(await handle(get("product"))).total).toBe(1);
    });

    it("counted, but storing the answer failed: the client still gets 201, and a retry after the lease replays", async () => {
      const handle = await apiWith(failing({ when: isStatusUpdate, error: timeout(), after: true }));
      const key = randomUUID();
      const first = await handle(post("product", key));
      expect([first.statusCode, counts(first).total]).toEqual([201, 1]);
      handle.later(6);
      expect((await handle(post("product", key))).statusCode).toBe(200);
      expect(counts(await handle(get("product"))).total).toBe(1);
    });

    it("outcome unknown (timeout on the update): 409 only during the lease, then the current counts; nothing counts twice", async () => {
      const handle = await apiWith(failingOnce(timeout()));
      const key = randomUUID();
      expect((await handle(post("product", key))).statusCode).toBe(503);
      expect((await handle(post("product", key))).statusCode).toBe(409);
      handle.later(5);
      const retry = await handle(post("product", key));
      // The injected timeout stopped the update before DynamoDB: the view is lost rather than counted twice.
      expect([retry.statusCode, retry.headers?.[IDEMPOTENT_REPLAYED_HEADER], counts(retry).total]).toEqual([200, "true", 0]);
      expect(counts(await handle(get("product"))).total).toBe(0);
    });

    it("outcome unknown, update applied (its answer lost): the retry after the lease replays total 1", async () => {
      const handle = await apiWith(failing({ when: isAdd, error: timeout(), after: true }));
      const key = randomUUID();
      expect((await handle(post("product", key))).statusCode).toBe(503);
      handle.later(5);
      const retry = await handle(post("product", key));
      expect([retry.statusCode, counts(retry).total]).toEqual([200, 1]);
      expect(counts(await handle(get("product"))).total).toBe(1);
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

  it("compares the method as API Gateway sends it: a lower-case `post` is 405 with Allow: POST, and counts nothing", async () => {
    const api = await freshApi();
    for (const method of ["post", "Post", "get"]) {
      const res = await api.handle(viewEvent({ method }));
      expect([res.statusCode, res.headers?.allow]).toEqual([405, "POST"]);
      expect(JSON.parse(String(res.body)).error).toEqual(expect.any(String));
    }
    expect(await scanAll(dynamo.client, api.table)).toEqual([]);
  });

  it("answers a direct invoke with an object body 400, never a logged store failure", async () => {
    const logged: string[] = [];
    const table = `usage-${randomUUID()}`;
    await createCounterTable(dynamo.client, table);
    const handle = createUsageApi({
      store: new CounterStore({ client: dynamo.client, tableName: table }),
      logError: (m) => logged.push(m),
    });
    const event = { ...viewEvent(), body: {} } as unknown;
    const res = await handle(event);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(String(res.body)).error).toMatch(/^event\.body: .*payload 2\.0/);
    expect(logged).toEqual([]);
    expect(await scanAll(dynamo.client, table)).toEqual([]);
  });

  it("answers any event shape with a JSON status, never a throw, a 5xx or a logged error (fast-check)", async () => {
    const table = `usage-${randomUUID()}`;
    await createCounterTable(dynamo.client, table);
    const logged: unknown[] = [];
    const handle = createUsageApi({
      store: new CounterStore({ client: dynamo.client, tableName: table }),
      logError: (_m, e) => logged.push(e),
    });
    const real = viewEvent();
    // Arbitrary JSON anywhere: as the whole event, or in place of one part of a real event.
    const part = fc.constantFrom(
      "body",
      "headers",
      "rawPath",
      "isBase64Encoded",
      "requestContext",
      "requestContext.http",
      "requestContext.http.method",
      "requestContext.stage",
      "headers.idempotency-key",
      "headers.content-type",
    );
    const event = fc.oneof(
      fc.jsonValue(),
      fc.tuple(part, fc.jsonValue()).map(([path, value]) => {
        const e = structuredClone(real) as unknown as Record<string, unknown>;
        const keys = path.split(".");
        let target = e;
        for (const k of keys.slice(0, -1)) target = target[k] as Record<string, unknown>;
        target[keys.at(-1) as string] = value;
        return e;
      }),
    );
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const res = await handle(e);
        expect([200, 201, 204, 400, 404, 405]).toContain(res.statusCode);
        if ((res.statusCode ?? 0) >= 400) expect(JSON.parse(String(res.body)).error).toEqual(expect.any(String));
      }),
      { numRuns: 300 },
    );
    expect(logged).toEqual([]);
  }, 120_000);
});
