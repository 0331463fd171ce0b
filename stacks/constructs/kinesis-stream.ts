/**
 * The Kinesis data stream CloudFront writes its real-time log records to:
 * on-demand by default or provisioned with a shard count, encrypted with a
 * customer-managed KMS key that rotates. Readers (Firehose) and writers
 * (CloudFront's role) get access through grants, never hand-written policies.
 */
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { checkName } from "../names";
import type { IGrantable } from "./iam";

/** Kinesis retention limits in hours. @see https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html */
export const KINESIS_RETENTION_HOURS = { min: 24, max: 8760 } as const;

export interface KinesisLogStreamProps {
  /** Stream name; the KMS key's alias is `alias/<streamName>`. */
  readonly streamName: string;
  /** Region of the stream: KMS use is limited to calls Kinesis makes there (`kms:ViaService`). */
  readonly region: string;
  /** Capacity mode. @default "on-demand" */
  readonly mode?: "on-demand" | "provisioned";
  /** Shards of a provisioned stream; required with mode "provisioned", rejected with "on-demand". @default none */
  readonly shardCount?: number;
  /** Hours records are kept, 24-8760. @default 24 */
  readonly retentionHours?: number;
  /** Days KMS waits before deleting the key after `terraform destroy`, 7-30. @default 30 */
  readonly keyDeletionWindowDays?: number;
}

export class KinesisLogStream extends Construct {
  readonly stream: KinesisStream;
  readonly key: KmsKey;
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

    // No explicit key policy: the default one lets this account's IAM policies grant use of the key,
    // which is how the grants below work, and it never names a wildcard action in our templates.
    this.key = new KmsKey(this, "key", {
      description: `Encrypts the Kinesis stream ${props.streamName} (CloudFront real-time logs)`,
      enableKeyRotation: true,
      deletionWindowInDays: deletionWindow,
    });
    new KmsAlias(this, "alias", { name: checkName("kmsAlias", `alias/${props.streamName}`, this), targetKeyId: this.key.keyId });

    this.stream = new KinesisStream(this, "stream", {
      name: checkName("kinesisStream", props.streamName, this),
      retentionPeriod: retention,
      streamModeDetails: { streamMode: mode === "provisioned" ? "PROVISIONED" : "ON_DEMAND" },
      shardCount: mode === "provisioned" ? props.shardCount : undefined,
      encryptionType: "KMS",
      kmsKeyId: this.key.arn,
    });
  }

  get streamArn(): string {
    return this.stream.arn;
  }

  get streamName(): string {
    return this.stream.name;
  }

  get kmsKeyArn(): string {
    return this.key.arn;
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
      this.keyStatement(["kms:Decrypt"]),
    );
  }

  /** Write records (CloudFront's real-time log role). @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html */
  grantWrite(grantee: IGrantable): void {
    grantee.addToPolicy(
      {
        actions: ["kinesis:DescribeStreamSummary", "kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"],
        resources: [this.streamArn],
      },
      this.keyStatement(["kms:GenerateDataKey"]),
    );
  }

  /** Key use only through Kinesis in this region, so the grant cannot be used to decrypt anything else directly. */
  private keyStatement(actions: string[]) {
    return {
      actions,
      resources: [this.kmsKeyArn],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [this.viaService] }],
    };
  }
}
