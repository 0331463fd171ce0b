/**
 * Usage API benchmark: the real handler (validation, store, SDK) against
 * dynalite on loopback, at 1, 10 and 100 concurrent clients. dynalite runs in
 * its own process, as DynamoDB would be elsewhere. Bounded: each run stops at
 * MAX_REQUESTS or MAX_SECONDS, whichever comes first; each cell is the median
 * of REPEATS runs.
 *
 * Operations: POST keyed (what the product page sends: claim key, count, read,
 * store answer = 4 DynamoDB calls), POST without a key (count, read = 2), GET (read = 1),
 * and a POST with a bad page id (400 before any DynamoDB call: the handler's own cost).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createUsageApi } from "../handlers/usage-stats/app";
import { CounterStore } from "../handlers/usage-stats/store";
import { USAGE_TABLE } from "../schemas/usage";

const CLIENTS = [1, 10, 100];
const MAX_REQUESTS = 1500;
const MAX_SECONDS = 4;
const REPEATS = 3;
const WARMUP = 200;

function startDynaliteProcess(): Promise<{ child: ChildProcess; endpoint: string }> {
  const script = "require('dynalite')({createTableMs:0}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})";
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.once("data", (d: Buffer) => resolve({ child, endpoint: `http://127.0.0.1:${d.toString().trim()}` }));
  });
}

function event(method: "GET" | "POST", key?: string): APIGatewayProxyEventV2 {
  const path = method === "POST" ? "/v1/pages/product/views" : "/v1/pages/product";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: method === "POST" ? { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) } : {},
    requestContext: {
      accountId: "123456789012",
      apiId: "bench",
      domainName: "bench.local",
      domainPrefix: "bench",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
    ...(method === "POST" ? { body: "{}" } : {}),
    isBase64Encoded: false,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function main(): Promise<void> {
  const { child, endpoint } = await startDynaliteProcess();
  try {
    const client = new DynamoDBClient({
      endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      requestHandler: { httpAgent: { maxSockets: 256 }, socketAcquisitionWarningTimeout: 60_000 },
    });
    const table = "usage-bench";
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: USAGE_TABLE.partitionKey, AttributeType: "S" },
          { AttributeName: USAGE_TABLE.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: USAGE_TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: USAGE_TABLE.sortKey, KeyType: "RANGE" },
        ],
      }),
    );
    const store = new CounterStore({ client, tableName: table });
    const handle = createUsageApi({ store });
    const ops = {
      "POST keyed": () => event("POST", randomUUID()),
      "POST no key": () => event("POST"),
      GET: () => event("GET"),
      // Handler cost alone: rejected by validation before any DynamoDB call.
      "POST bad id": () => ({ ...event("POST"), rawPath: "/v1/pages/Bad_Id/views" }),
    } as const;

    let posted = 0;
    const run = async (make: () => APIGatewayProxyEventV2, clients: number, maxRequests: number, maxSeconds: number) => {
      const latencies: number[] = [];
      const deadline = performance.now() + maxSeconds * 1000;
      let started = 0;
      let failures = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (started < maxRequests && performance.now() < deadline) {
            started++;
            const e = make();
            const t = performance.now();
            const res = await handle(e);
            latencies.push(performance.now() - t);
            if (res.statusCode === 201) posted++;
            else if (res.statusCode !== 200 && !(res.statusCode === 400 && e.rawPath.includes("Bad_Id"))) failures++;
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        requests: latencies.length,
        rps: latencies.length / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        failures,
      };
    };

    await run(ops["POST no key"], 10, WARMUP, 10);
    console.log(`usage API handler vs dynalite (separate process) on loopback; ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`);
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")} (other work on the machine skews latency)`,
    );
    console.log(`each cell: median of ${REPEATS} runs of at most ${MAX_REQUESTS} requests or ${MAX_SECONDS} s`);
    console.log("operation     clients  requests/run    req/s   p50 ms   p99 ms  non-2xx");
    for (const [name, make] of Object.entries(ops)) {
      for (const clients of CLIENTS) {
        const runs = [];
        for (let r = 0; r < REPEATS; r++) runs.push(await run(make, clients, MAX_REQUESTS, MAX_SECONDS));
        console.log(
          `${name.padEnd(13)} ${String(clients).padStart(7)} ${String(median(runs.map((x) => x.requests))).padStart(13)} ` +
            `${median(runs.map((x) => x.rps))
              .toFixed(0)
              .padStart(8)} ${median(runs.map((x) => x.p50))
              .toFixed(1)
              .padStart(8)} ` +
            `${median(runs.map((x) => x.p99))
              .toFixed(1)
              .padStart(8)} ${String(runs.reduce((s, x) => s + x.failures, 0)).padStart(8)}`,
        );
      }
    }
    // The counts must still be exact after all that: every 201 is one view.
    const total = (await store.getCounts("product", new Date())).total;
    console.log(`check: ${posted} views answered 201, stored total ${total}: ${posted === total ? "exact" : "MISMATCH"}`);
    client.destroy();
    if (posted !== total) process.exitCode = 1;
  } finally {
    child.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
