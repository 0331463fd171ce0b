/**
 * The usage counter table: on-demand, point-in-time recovery, KMS encryption
 * (the AWS-managed aws/dynamodb key, or a customer-managed key when asked),
 * TTL for idempotency records. Its key schema comes from schemas/usage.ts; the
 * item layout is described in handlers/usage-stats/store.ts.
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { USAGE_TABLE } from "../../schemas/usage";
import { checkName } from "../names";
import type { IGrantable } from "./iam";

export interface UsageCounterTableProps {
  /** Table name, 3-255 characters of `a-z A-Z 0-9 _ . -`. */
  readonly tableName: string;
  /** Region of the table: a customer-managed key is usable only through DynamoDB there (`kms:ViaService`). Required with customerManagedKey. */
  readonly region?: string;
  /**
   * Encrypt with a customer-managed key of its own (about $1/month, rotated yearly) instead of the AWS-managed
   * `aws/dynamodb` (config key encryption.customerManagedKeys). Either is KMS, so key use shows in CloudTrail.
   * @default false
   */
  readonly customerManagedKey?: boolean;
  /** Refuse `DeleteTable` (terraform destroy fails until it is turned off). @default false */
  readonly deletionProtection?: boolean;
}

/** Table names. @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export class UsageCounterTable extends Construct {
  readonly table: DynamodbTable;
  /** The customer-managed key; undefined with the AWS-managed aws/dynamodb. */
  readonly key?: KmsKey;
  private readonly viaService?: string;

  constructor(scope: Construct, id: string, props: UsageCounterTableProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.tableName) && !TABLE_NAME.test(props.tableName)) {
      throw new Error(`${this.node.path}: tableName "${props.tableName}" must be 3-255 characters of a-z A-Z 0-9 _ . -`);
    }
    if (props.customerManagedKey) {
      if (!props.region) throw new Error(`${this.node.path}: customerManagedKey needs the table's region`);
      this.viaService = `dynamodb.${props.region}.amazonaws.com`;
      // The default key policy: this account's IAM policies grant its use (grantCounterAccess below).
      this.key = new KmsKey(this, "key", {
        description: `Encrypts the DynamoDB table ${props.tableName} (usage counters)`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      });
      new KmsAlias(this, "alias", { name: checkName("kmsAlias", `alias/${props.tableName}`, this), targetKeyId: this.key.keyId });
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
      // enabled without a key ARN is aws/dynamodb; disabled would be the AWS-owned key, invisible in CloudTrail.
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key?.arn },
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
      // DynamoDB uses the key on the caller's behalf. aws/dynamodb's own key policy admits every DynamoDB user of
      // the account (kms:ViaService); a customer-managed key with the default policy needs it granted here.
      // @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
      ...(this.key && this.viaService
        ? [
            {
              actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
              resources: [this.key.arn],
              condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [this.viaService] }],
            },
          ]
        : []),
    );
  }
}
