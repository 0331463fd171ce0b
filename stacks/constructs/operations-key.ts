/**
 * The one customer-managed KMS key of the operations side: the alarm topic
 * (CloudWatch alarms and EventBridge cannot publish to a topic under the
 * AWS-managed alias/aws/sns) and the Glue job's CloudWatch logs and bookmarks
 * (its log groups accept only a customer-managed key). A key costs $1 a month
 * whatever it encrypts, so both share one; each use is its own key policy
 * statement, limited by the encryption context the service sends.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { checkName } from "../names";
import { suppressRule } from "../rules/aspect";
import { PolicyDocument } from "./iam";

/** What a construct in another stack needs of the key: its ARN, and the alarm topics its policy admits. */
export interface OperationsKeyRef {
  readonly arn: string;
  /** Names of the SNS topics (in the key's account and region) CloudWatch alarms and EventBridge may publish to under it. */
  readonly alarmTopicNames: readonly string[];
}

export interface OperationsKeyProps {
  /** The alias, without `alias/`. */
  readonly aliasName: string;
  /** What the key encrypts, for the console. */
  readonly description: string;
  /** Deploying account id: its root administers the key; topic and log-group ARNs are in this account. */
  readonly accountId: string;
  /** Region of the topics and log groups the key encrypts. */
  readonly region: string;
  /** AWS partition for ARNs. @default "aws" */
  readonly partition?: string;
}

export class OperationsKey extends Construct implements OperationsKeyRef {
  readonly key: KmsKey;
  private readonly policy: PolicyDocument;
  private readonly props: OperationsKeyProps & { readonly partition: string };
  // Filled by the allow* methods; the policy document reads them at synth, so one statement per use lists them all.
  private readonly topicNames: string[] = [];
  private readonly topicArns: string[] = [];
  private readonly logGroupPatterns: string[] = [];

  constructor(scope: Construct, id: string, props: OperationsKeyProps) {
    super(scope, id);
    this.props = { ...props, partition: props.partition ?? "aws" };
    const { partition, accountId } = this.props;
    this.policy = new PolicyDocument(this, "policy", [
      {
        sid: "AccountAdministersKey",
        actions: ["kms:*"],
        principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${accountId}:root`] }],
        resources: ["*"],
      },
    ]);
    suppressRule(
      this.policy,
      "IAM-NO-WILDCARD-ACTIONS",
      "a key policy must let the account administer its key (kms:* for the account root, AWS's default key policy statement); otherwise the key becomes unmanageable",
    );
    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: this.policy.json,
    });
    new KmsAlias(this, "alias", { name: checkName("kmsAlias", `alias/${props.aliasName}`, this), targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }

  get alarmTopicNames(): readonly string[] {
    return [...this.topicNames];
  }

  /**
   * Let CloudWatch alarms (of this account) and EventBridge encrypt and decrypt messages of one SNS topic, named
   * rather than referenced: the topic may live in a stack that deploys after this key.
   */
  allowAlarmTopic(topicName: string): void {
    if (this.topicNames.includes(topicName)) return;
    const { partition, region, accountId } = this.props;
    if (this.topicNames.length === 0) {
      // SNS passes the topic's ARN as encryption context on every KMS call it makes for a publish, so this condition
      // limits each service's use of the key to these topics. AWS's examples grant GenerateDataKey and Decrypt.
      // @see https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html
      const topics = { test: "StringEquals", variable: "kms:EncryptionContext:aws:sns:topicArn", values: this.topicArns };
      this.policy.add(
        {
          sid: "CloudWatchAlarmsPublish",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          resources: ["*"],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }, topics],
        },
        {
          // Not aws:SourceAccount/SourceArn: "Adding the aws:SourceAccount and aws:SourceArn to a AWS KMS policy is not
          // supported for EventBridge-to-encrypted topics" (SNS guide, link above); such a condition silently drops
          // every notification. The topic's encryption context stands in, and the topic policy names the rule.
          sid: "EventBridgePublish",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          resources: ["*"],
          condition: [topics],
        },
      );
    }
    this.topicNames.push(topicName);
    this.topicArns.push(`arn:${partition}:sns:${region}:${accountId}:${topicName}`);
  }
  /** Let CloudWatch Logs encrypt the log groups whose names match `namePattern` (ArnLike, e.g. `/aws-glue/*`). */
  allowLogGroups(namePattern: string): void {
    const { partition, region, accountId } = this.props;
    const arn = `arn:${partition}:logs:${region}:${accountId}:log-group:${namePattern}`;
    if (this.logGroupPatterns.includes(arn)) return;
    if (this.logGroupPatterns.length === 0) {
      this.policy.add({
        sid: "CloudWatchLogsEncryptsLogGroups",
        // AWS's example lists kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*; these are what those match
        // on a symmetric key, named so no action KMS adds later is granted (IAM-NO-PARTIAL-WILDCARD-ACTIONS).
        actions: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ],
        principals: [{ type: "Service", identifiers: [`logs.${region}.amazonaws.com`] }],
        resources: ["*"],
        condition: [{ test: "ArnLike", variable: "kms:EncryptionContext:aws:logs:arn", values: this.logGroupPatterns }],
      });
    }
    this.logGroupPatterns.push(arn);
  }
}
