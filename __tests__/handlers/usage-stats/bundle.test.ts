/**
 * The artifact Lambda runs: handlers/usage-stats bundled by scripts/build-handlers.ts
 * (AWS SDK left external, as the Node.js runtime provides it), loaded the way
 * Lambda loads it, configured only through its environment, against dynalite.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { buildHandler } from "../../../scripts/build-handlers";
import { apigwEvent, viewEvent } from "../../helpers/apigw";
import { createCounterTable, type LocalDynamo, startDynalite } from "../../helpers/dynalite";

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const ENV = ["TABLE_NAME", "PAGE_IDS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let dynamo: LocalDynamo;
let handler: Handler;
beforeAll(async () => {
  dynamo = await startDynalite();
  const table = `usage-${randomUUID()}`;
  await createCounterTable(dynamo.client, table);
  const { file, bytes } = buildHandler("usage-stats");
  expect(bytes).toBeLessThan(1024 * 1024);
  Object.assign(process.env, {
    TABLE_NAME: table,
    PAGE_IDS: "product,datasheet",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  jest.isolateModules(() => {
    handler = (require(file) as { handler: Handler }).handler;
  });
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await dynamo?.close();
});

describe("the bundled usage-stats handler", () => {
  it("counts a real API Gateway event once per Idempotency-Key and reads it back", async () => {
    const first = await handler(apigwEvent("post-view"));
    expect(first.statusCode).toBe(201);
    expect((await handler(apigwEvent("post-view"))).statusCode).toBe(200);
    const counts = await handler(apigwEvent("get-counts"));
    expect(JSON.parse(String(counts.body))).toMatchObject({ pageId: "product", total: 1, today: 1 });
  });

  it("applies the PAGE_IDS allow-list from its environment", async () => {
    const res = await handler(viewEvent({ path: "/v1/pages/pricing/views" }));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(String(res.body)).error).toMatch(/unknown page pricing/);
  });
});
