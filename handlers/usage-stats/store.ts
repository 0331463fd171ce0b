/**
 * The counter store over DynamoDB. Two kinds of item share one table:
 *
 * - counters: `pk = page#<pageId>`, `sk = month#YYYY-MM`, attributes `total`
 *   (views that month) and `d01`..`d31` (views that day). One view is ONE
 *   atomic `UpdateItem ... ADD total :1, dNN :1`, so a month's total and its
 *   days can never disagree, and one `Query` on the page's partition serves the
 *   page's total and its per-day counts. An item holds at most 33 numbers.
 * - idempotency records: `pk = idempotency#<pageId>#<key>`, `sk = idempotency`,
 *   `status` (IN_PROGRESS | COMPLETED), the stored response, and `expiresAt`
 *   (DynamoDB TTL).
 *
 * A keyed view first claims its record with a conditional write (only one
 * concurrent request can win), then counts, then stores its response. A retry
 * of a completed key gets the stored response; a retry while the first is still
 * running gets a conflict. If the process dies between claim and count the
 * view is lost rather than counted twice: a key never counts more than once.
 * (TransactWriteItems would make claim and count one write, but the local
 * DynamoDB server the tests run against, dynalite, does not implement it, and
 * transactions on one hot counter item conflict with each other under load.)
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { PageCounts, USAGE_TABLE } from "../../schemas/usage";
import { dayOfAttribute, type MonthCounts, slotOf, summarize } from "./counts";

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = USAGE_TABLE;
const IDEMPOTENCY_SK = "idempotency";

export const pagePartition = (pageId: string) => `page#${pageId}`;
export const idempotencyPartition = (pageId: string, key: string) => `idempotency#${pageId}#${key}`;

export interface RecordResult {
  readonly counts: PageCounts;
  /** True when this was a retry of an already completed request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

/** A request with this Idempotency-Key is still being processed (or died mid-way): the view is not counted again. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`a request with Idempotency-Key ${key} is in progress or did not finish; it is not counted again`);
    this.name = "IdempotencyConflictError";
  }
}

export interface CounterStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long an Idempotency-Key is remembered, in seconds. @default 86400 (24 h) */
  readonly idempotencyTtlSeconds?: number;
}

export class CounterStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly ttlSeconds: number;

  constructor(options: CounterStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.ttlSeconds = options.idempotencyTtlSeconds ?? 86_400;
  }

  /** Count one view of a page at `now` and return the page's new counts. */
  async recordView(pageId: string, now: Date, idempotencyKey?: string): Promise<RecordResult> {
    if (idempotencyKey === undefined) {
      await this.increment(pageId, now);
      return { counts: await this.getCounts(pageId, now), replayed: false };
    }
    const recordKey = { [PK]: { S: idempotencyPartition(pageId, idempotencyKey) }, [SK]: { S: IDEMPOTENCY_SK } };
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      // Claim the key. An expired record that TTL has not deleted yet (that can take days) counts as absent.
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: recordKey,
          UpdateExpression: "SET #status = :inProgress, #ttl = :ttl REMOVE #response",
          ConditionExpression: "attribute_not_exists(#pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#pk": PK, "#status": "status", "#ttl": TTL, "#response": "response" },
          ExpressionAttributeValues: {
            ":inProgress": { S: "IN_PROGRESS" },
            ":ttl": { N: String(nowSeconds + this.ttlSeconds) },
            ":now": { N: String(nowSeconds) },
          },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      return { counts: await this.replay(recordKey, idempotencyKey), replayed: true };
    }

    try {
      await this.increment(pageId, now);
    } catch (e) {
      // A 4xx from DynamoDB means the update was rejected, so the claim can go and the client may retry.
      // Anything else (timeout, 5xx) may have counted: keep the claim, so a retry cannot count twice.
      if (isRejected(e)) await this.release(recordKey);
      throw e;
    }
    const counts = await this.getCounts(pageId, now);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: recordKey,
        UpdateExpression: "SET #status = :completed, #response = :response",
        ExpressionAttributeNames: { "#status": "status", "#response": "response" },
        ExpressionAttributeValues: { ":completed": { S: "COMPLETED" }, ":response": { S: JSON.stringify(counts) } },
      }),
    );
    return { counts, replayed: false };
  }

  /** A page's total and its last 7 and 30 days at `now`, from one (paginated) query of its partition. */
  async getCounts(pageId: string, now: Date): Promise<PageCounts> {
    const months: MonthCounts[] = [];
    let startKey: QueryCommandOutput["LastEvaluatedKey"];
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": PK },
          ExpressionAttributeValues: { ":pk": { S: pagePartition(pageId) } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const days = new Map<number, number>();
        for (const [name, value] of Object.entries(item)) {
          const day = dayOfAttribute(name);
          if (day !== undefined && value.N !== undefined) days.set(day, Number(value.N));
        }
        months.push({ month: (item[SK]?.S ?? "").replace(/^month#/, ""), total: Number(item.total?.N ?? 0), days });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return summarize(pageId, months, now);
  }

  /** One atomic update: the month's total and the day's count move together. */
  private async increment(pageId: string, now: Date): Promise<void> {
    const slot = slotOf(now);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { [PK]: { S: pagePartition(pageId) }, [SK]: { S: `month#${slot.month}` } },
        UpdateExpression: "ADD #total :one, #day :one",
        ExpressionAttributeNames: { "#total": "total", "#day": slot.dayAttribute },
        ExpressionAttributeValues: { ":one": { N: "1" } },
      }),
    );
  }

  private async replay(recordKey: Record<string, { S: string }>, key: string): Promise<PageCounts> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: recordKey, ConsistentRead: true }));
    const response = Item?.status?.S === "COMPLETED" ? Item.response?.S : undefined;
    // The record can also vanish between the failed claim and this read (released after a rejected update).
    if (response === undefined) throw new IdempotencyConflictError(key);
    return PageCounts.parse(JSON.parse(response));
  }

  private async release(recordKey: Record<string, { S: string }>): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: recordKey,
          ConditionExpression: "#status = :inProgress",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":inProgress": { S: "IN_PROGRESS" } },
        }),
      );
    } catch {
      // Best effort: a claim left behind only makes retries answer 409 until it expires; it never double counts.
    }
  }
}

/** DynamoDB answered with a client error: the write was not applied. */
function isRejected(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === "number" && status >= 400 && status < 500;
}
