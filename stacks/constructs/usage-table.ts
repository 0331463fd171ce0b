/**
 * The usage counter table: on-demand, point-in-time recovery, KMS encryption,
 * TTL for idempotency records. Its key schema comes from schemas/usage.ts; the
 * item layout is described in handlers/usage-stats/store.ts.
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { USAGE_TABLE } from "../../schemas/usage";
import { checkName } from "../names";
import type { IGrantable } from "./iam";

export interface UsageCounterTableProps {
  /** Table name, 3-255 characters of `a-z A-Z 0-9 _ . -`. */
  readonly tableName: string;
  /**
   * KMS key that encrypts the table.
   * @default the AWS managed key `aws/dynamodb` (KMS, so key use shows in CloudTrail)
   */
  readonly kmsKeyArn?: string;
  /** Refuse `DeleteTable` (terraform destroy fails until it is turned off). @default false */
  readonly deletionProtection?: boolean;
}

/** Table names. @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export class UsageCounterTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: UsageCounterTableProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.tableName) && !TABLE_NAME.test(props.tableName)) {
      throw new Error(`${this.node.path}: tableName "${props.tableName}" must be 3-255 characters of a-z A-Z 0-9 _ . -`);
    }
    const { partitionKey, sortKey, ttlAttribute } = USAGE_TABLE;
    this.table = new DynamodbTable(this, "table", {
      name: checkName("dynamodbTable", props.tableName, this),
      billingMode: "PAY_PER_REQUEST",
      hashKey: partitionKey,
      rangeKey: sortKey,
      attribute: [
        { name: partitionKey, type: "S" },
        { name: sortKey, type: "S" },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      ttl: { enabled: true, attributeName: ttlAttribute },
      deletionProtectionEnabled: props.deletionProtection ?? false,
    });
  }

  get arn(): string {
    return this.table.arn;
  }

  get name(): string {
    return this.table.name;
  }

  /**
   * What the counter function needs and nothing more: update and read items, and
   * delete only idempotency records (their partition keys start with `idempotency#`).
   */
  grantCounterAccess(grantee: IGrantable): void {
    grantee.addToPolicy(
      { actions: ["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"], resources: [this.arn] },
      {
        actions: ["dynamodb:DeleteItem"],
        resources: [this.arn],
        condition: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["idempotency#*"] }],
      },
    );
  }
}
