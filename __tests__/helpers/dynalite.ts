/**
 * A real DynamoDB-API server for tests and benchmarks: dynalite, in memory, on
 * 127.0.0.1 with an ephemeral port, and the real AWS SDK client pointed at it.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AttributeValue, CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { USAGE_TABLE } from "../../schemas/usage";

// dynalite ships no type declarations: it returns a plain node:http Server.
const dynalite = require("dynalite") as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "eu-west-1",
    // dynalite accepts any credentials; fixed ones keep the SDK from searching the machine for real ones.
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 3,
    // Tests and the benchmark run up to 1,000 requests at once: no pool warning for the local server.
    requestHandler: { httpAgent: { maxSockets: 256 }, socketAcquisitionWarningTimeout: 60_000 },
  });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Create the usage counter table with the key schema the stack deploys (schemas/usage.ts). */
export async function createCounterTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey } = USAGE_TABLE;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: "S" },
        { AttributeName: sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: "HASH" },
        { AttributeName: sortKey, KeyType: "RANGE" },
      ],
    }),
  );
}

/** Every item of a table (a test-sized table: one scan, paginated). */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
