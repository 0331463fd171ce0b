/**
 * The counter store over DynamoDB. Two kinds of item share one table:
 *
 * - counters: `pk = page#<pageId>`, `sk = month#YYYY-MM`, attributes `total`
 *   (views that month) and `d01`..`d31` (views that day). One view is ONE
 *   atomic `UpdateItem ... ADD total :1, dNN :1`, so a month's total and its
 *   days can never disagree, and one `Query` on the page's partition serves the
 *   page's total and its per-day counts. An item holds at most 33 numbers.
 * - idempotency records: `pk = idempotency#<pageId>#<key>`, `sk = idempotency`,
 *   `status` (IN_PROGRESS | COUNTED | COMPLETED), `leaseUntil` (epoch seconds),
 *   the stored response, and `expiresAt` (DynamoDB TTL).
 *
 * A keyed view first claims its record with a conditional write (only one
 * concurrent request can win), then counts, then stores its response. A retry
 * never counts again, and once the view was (or may have been) counted it is
 * answered with a replay, never a conflict:
 *
 * | record found by the retry            | answer                                          |
 * | ------------------------------------ | ----------------------------------------------- |
 * | COMPLETED                            | the stored response (replay)                    |
 * | COUNTED (the read-back failed)       | the current counts (replay)                     |
 * | IN_PROGRESS, lease running           | conflict: the first request may still be running |
 * | IN_PROGRESS, lease over              | the current counts (replay): the outcome is unknown, so it is taken as counted |
 * | none (released after a rejected ADD) | a fresh claim: the view was not counted          |
 *
 * The lease is the function's timeout (USAGE_FUNCTION_TIMEOUT_SECONDS): after it the claimant cannot be
 * running. If the process dies between claim and count the view is lost rather than counted twice: a key
 * never counts more than once. (TransactWriteItems would make claim and count one write, but the local
 * DynamoDB server the tests run against, dynalite, does not implement it, and transactions on one hot
 * counter item conflict with each other under load.)
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
import { PageCounts, USAGE_FUNCTION_TIMEOUT_SECONDS, USAGE_TABLE } from "../../schemas/usage";
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

/** A request with this Idempotency-Key may still be running: retry after `retryAfterSeconds` (its lease) for its answer. */
export class IdempotencyConflictError extends Error {
  constructor(
    readonly key: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`a request with Idempotency-Key ${key} is in progress; retry in ${retryAfterSeconds} s for its answer (it is not counted again)`);
    this.name = "IdempotencyConflictError";
  }
}

export interface CounterStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long an Idempotency-Key is remembered, in seconds. @default 86400 (24 h) */
  readonly idempotencyTtlSeconds?: number;
  /** How long a claim waits for its request before a retry takes the view as counted, in seconds. @default USAGE_FUNCTION_TIMEOUT_SECONDS */
  readonly leaseSeconds?: number;
}

type RecordKey = Record<string, { S: string }>;

export class CounterStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly ttlSeconds: number;
  private readonly leaseSeconds: number;

  constructor(options: CounterStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.ttlSeconds = options.idempotencyTtlSeconds ?? 86_400;
    this.leaseSeconds = options.leaseSeconds ?? USAGE_FUNCTION_TIMEOUT_SECONDS;
  }

  /** Count one view of a page at `now` and return the page's new counts. */
  async recordView(pageId: string, now: Date, idempotencyKey?: string): Promise<RecordResult> {
    if (idempotencyKey === undefined) {
      await this.increment(pageId, now);
      return { counts: await this.getCounts(pageId, now), replayed: false };
    }
    const recordKey: RecordKey = { [PK]: { S: idempotencyPartition(pageId, idempotencyKey) }, [SK]: { S: IDEMPOTENCY_SK } };
    // Two rounds at most: a record released between our failed claim and our read is claimed again once.
    for (let round = 0; ; round++) {
      if (await this.claim(recordKey, now)) break;
      const replayed = await this.replay(recordKey, idempotencyKey, pageId, now);
      if (replayed !== undefined) return { counts: replayed, replayed: true };
      if (round > 0) throw new IdempotencyConflictError(idempotencyKey, this.leaseSeconds);
    }

    try {
      await this.increment(pageId, now);
    } catch (e) {
      // A 4xx from DynamoDB means the update was rejected, so the claim can go and the client may retry.
      // Anything else (timeout, 5xx) may have counted: keep the claim, so a retry cannot count twice.
      if (isRejected(e)) await this.release(recordKey);
      throw e;
    }
    let counts: PageCounts;
    try {
      counts = await this.getCounts(pageId, now);
    } catch (e) {
      // The view is counted: say so, so that a retry replays the counts at once instead of waiting out the lease.
      await this.setStatus(recordKey, "COUNTED").catch(() => undefined);
      throw e;
    }
    // If storing the answer fails the client still gets it now; a retry then replays the current counts after the lease.
    await this.setStatus(recordKey, "COMPLETED", JSON.stringify(counts)).catch(() => undefined);
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

  /** Claim a key: true if this request owns it now. An expired record that TTL has not deleted yet (that can take days) counts as absent. */
  private async claim(recordKey: RecordKey, now: Date): Promise<boolean> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: recordKey,
          UpdateExpression: "SET #status = :inProgress, #lease = :lease, #ttl = :ttl REMOVE #response",
          ConditionExpression: "attribute_not_exists(#pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#pk": PK, "#status": "status", "#lease": "leaseUntil", "#ttl": TTL, "#response": "response" },
          ExpressionAttributeValues: {
            ":inProgress": { S: "IN_PROGRESS" },
            ":lease": { N: String(nowSeconds + this.leaseSeconds) },
            ":ttl": { N: String(nowSeconds + this.ttlSeconds) },
            ":now": { N: String(nowSeconds) },
          },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  /**
   * The answer for a retry of a claimed key (see the table in this file's comment), or undefined when the record
   * is gone (released after a rejected update: the view was not counted, so the key may be claimed again).
   */
  private async replay(recordKey: RecordKey, key: string, pageId: string, now: Date): Promise<PageCounts | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.table, Key: recordKey, ConsistentRead: true }));
    if (Item === undefined) return undefined;
    if (Item.status?.S === "COMPLETED") {
      const stored = PageCounts.safeParse(safeJson(Item.response?.S));
      if (stored.success) return stored.data;
    } else if (Item.status?.S === "IN_PROGRESS") {
      const remaining = Number(Item.leaseUntil?.N ?? 0) - Math.floor(now.getTime() / 1000);
      if (remaining > 0) throw new IdempotencyConflictError(key, remaining);
    }
    // COUNTED, a lease that is over (or a record from before leases), or an unreadable stored answer.
    return this.getCounts(pageId, now);
  }

  private async setStatus(recordKey: RecordKey, status: "COUNTED" | "COMPLETED", response?: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: recordKey,
        UpdateExpression: response === undefined ? "SET #status = :status" : "SET #status = :status, #response = :response",
        // Never create a record here: one without expiresAt would outlive every TTL.
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK, "#status": "status", ...(response === undefined ? {} : { "#response": "response" }) },
        ExpressionAttributeValues: { ":status": { S: status }, ...(response === undefined ? {} : { ":response": { S: response } }) },
      }),
    );
  }

  private async release(recordKey: RecordKey): Promise<void> {
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
      // Best effort: a claim left behind is answered with the current counts once its lease is over; it never double counts.
    }
  }
}

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** DynamoDB answered with a client error: the write was not applied. */
function isRejected(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === "number" && status >= 400 && status < 500;
}
