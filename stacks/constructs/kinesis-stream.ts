/**
 * The Kinesis data stream CloudFront writes its real-time log records to:
 * on-demand or provisioned with a shard count, KMS-encrypted with the
 * AWS-managed key aws/kinesis or, when asked, a customer-managed key that
 * rotates. Readers (Firehose) and writers (CloudFront's role) get access
 * through grants, never hand-written policies.
 */
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { checkName } from "../names";
import type { IGrantable, PolicyStatement } from "./iam";

/** The AWS-managed Kinesis key: free, in every account, usable by any principal of the account through Kinesis. */
export const KINESIS_AWS_MANAGED_KEY = "alias/aws/kinesis";

/** Kinesis retention limits in hours. @see https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html */
export const KINESIS_RETENTION_HOURS = { min: 24, max: 8760 } as const;

export interface KinesisLogStreamProps {
  /** Stream name; a customer-managed key's alias is `alias/<streamName>`. */
  readonly streamName: string;
  /** Region of the stream: KMS use is limited to calls Kinesis makes there (`kms:ViaService`). */
  readonly region: string;
  /** Capacity mode. @default "on-demand" */
  readonly mode?: "on-demand" | "provisioned";
  /** Shards of a provisioned stream; required with mode "provisioned", rejected with "on-demand". @default none */
  readonly shardCount?: number;
  /** Hours records are kept, 24-8760. @default 24 */
  readonly retentionHours?: number;
  /**
   * Encrypt with a customer-managed key of its own (about $1/month) instead of the AWS-managed aws/kinesis
   * (config key encryption.customerManagedKeys). @default false
   */
  readonly customerManagedKey?: boolean;
  /** Days KMS waits before deleting a customer-managed key after `terraform destroy`, 7-30. @default 30 */
  readonly keyDeletionWindowDays?: number;
}

export class KinesisLogStream extends Construct {
  readonly stream: KinesisStream;
  /** The customer-managed key; undefined with the AWS-managed aws/kinesis. */
  readonly key?: KmsKey;
  private readonly viaService: string;

  constructor(scope: Construct, id: string, props: KinesisLogStreamProps) {
    super(scope, id);
    const mode = props.mode ?? "on-demand";
    const retention = props.retentionHours ?? 24;
    if (mode === "on-demand" && props.shardCount !== undefined) {
      throw new Error(`${this.node.path}: shardCount is only allowed with mode "provisioned" (config key kinesis.shardCount)`);
    }
    if (mode === "provisioned" && !(Number.isInteger(props.shardCount) && (props.shardCount ?? 0) >= 1)) {
      throw new Error(`${this.node.path}: mode "provisioned" needs a whole shardCount >= 1 (config key kinesis.shardCount)`);
    }
    if (
      !Token.isUnresolved(retention) &&
      !(Number.isInteger(retention) && retention >= KINESIS_RETENTION_HOURS.min && retention <= KINESIS_RETENTION_HOURS.max)
    ) {
      throw new Error(`${this.node.path}: retentionHours must be a whole number from 24 to 8760 (Kinesis limit); got ${retention}`);
    }
    const deletionWindow = props.keyDeletionWindowDays ?? 30;
    // KMS ScheduleKeyDeletion accepts 7-30 days. @see https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
    if (!(Number.isInteger(deletionWindow) && deletionWindow >= 7 && deletionWindow <= 30)) {
      throw new Error(`${this.node.path}: keyDeletionWindowDays must be 7-30 (KMS limit); got ${deletionWindow}`);
    }
    this.viaService = `kinesis.${props.region}.amazonaws.com`;

    if (props.customerManagedKey) {
      // No explicit key policy: the default one lets this account's IAM policies grant use of the key,
      // which is how the grants below work, and it never names a wildcard action in our templates.
      this.key = new KmsKey(this, "key", {
        description: `Encrypts the Kinesis stream ${props.streamName} (CloudFront real-time logs)`,
        enableKeyRotation: true,
        deletionWindowInDays: deletionWindow,
      });
      new KmsAlias(this, "alias", { name: checkName("kmsAlias", `alias/${props.streamName}`, this), targetKeyId: this.key.keyId });
    }

    this.stream = new KinesisStream(this, "stream", {
      name: checkName("kinesisStream", props.streamName, this),
      retentionPeriod: retention,
      streamModeDetails: { streamMode: mode === "provisioned" ? "PROVISIONED" : "ON_DEMAND" },
      shardCount: mode === "provisioned" ? props.shardCount : undefined,
      encryptionType: "KMS",
      kmsKeyId: this.key?.arn ?? KINESIS_AWS_MANAGED_KEY,
    });
  }

  get streamArn(): string {
    return this.stream.arn;
  }

  get streamName(): string {
    return this.stream.name;
  }

  /** ARN of the customer-managed key; undefined with the AWS-managed aws/kinesis. */
  get kmsKeyArn(): string | undefined {
    return this.key?.arn;
  }

  /** Read records (a Firehose delivery stream's role): the stream's read actions and decryption through Kinesis. */
  grantRead(grantee: IGrantable): void {
    grantee.addToPolicy(
      {
        actions: [
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:GetShardIterator",
          "kinesis:GetRecords",
          "kinesis:ListShards",
        ],
        resources: [this.streamArn],
      },
      ...this.keyStatements(["kms:Decrypt"]),
    );
  }

  /** Write records (CloudFront's real-time log role). @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html */
  grantWrite(grantee: IGrantable): void {
    grantee.addToPolicy(
      {
        actions: ["kinesis:DescribeStreamSummary", "kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"],
        resources: [this.streamArn],
      },
      ...this.keyStatements(["kms:GenerateDataKey"]),
    );
  }

  /**
   * Key use only through Kinesis in this region, so the grant cannot be used to decrypt anything else directly.
   * None for aws/kinesis: "The use of the default service key for encryption does not require application of
   * custom IAM permissions."
   * @see https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
   */
  private keyStatements(actions: string[]): PolicyStatement[] {
    if (!this.key) return [];
    return [
      {
        actions,
        resources: [this.key.arn],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [this.viaService] }],
      },
    ];
  }
}
