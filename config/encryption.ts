/**
 * The `encryption` section of the environment config: which at-rest keys are
 * customer-managed. Read by the edge stack (Kinesis), the api stack (counters
 * table) and the cost estimate. Every key documents its default.
 */
import * as z from "zod";

export const EncryptionConfig = z
  .strictObject({
    /**
     * Create a customer-managed KMS key (about $1/month each, rotated yearly) for the Kinesis stream and the
     * counters table instead of the AWS-managed keys `aws/kinesis` and `aws/dynamodb` (no monthly charge; KMS
     * requests only). Both are KMS encryption logged in CloudTrail either way; a customer-managed key adds a key
     * policy you control and can disable. The alarm topic and the Glue job always have their own key: CloudWatch
     * alarms and EventBridge cannot publish to a topic under the AWS-managed SNS key, and CloudWatch Logs uses a
     * key only through a key policy, which only a customer-managed key lets us write.
     * @default false
     */
    customerManagedKeys: z.boolean().default(false),
  })
  .prefault({});

export type EncryptionConfig = z.output<typeof EncryptionConfig>;
