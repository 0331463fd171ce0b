/**
 * CloudFront real-time log configuration: which fields, how many requests,
 * and the Kinesis stream they go to, written through an IAM role that only
 * CloudFront from this account may assume and that may only write to that
 * one stream. The field list is the schemas constant the parser reads.
 */
import { CloudfrontRealtimeLogConfig } from "@cdktf/provider-aws/lib/cloudfront-realtime-log-config";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { REALTIME_LOG_FIELDS } from "../../schemas/cloudfront";
import { checkName } from "../names";
import { ServiceRole } from "./iam";
import type { KinesisLogStream } from "./kinesis-stream";

export interface RealtimeLogsProps {
  /** Name of the log config (and, suffixed, of CloudFront's role). */
  readonly name: string;
  /** Stream the records go to. */
  readonly stream: KinesisLogStream;
  /** This account, for the role's `aws:SourceAccount` trust condition. */
  readonly accountId: string;
  /** Percentage of viewer requests logged, a whole number 1-100. @default 100 */
  readonly samplingRate?: number;
}

export class RealtimeLogs extends Construct {
  readonly config: CloudfrontRealtimeLogConfig;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: RealtimeLogsProps) {
    super(scope, id);
    const rate = props.samplingRate ?? 100;
    // CloudFront accepts 1-100. @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
    if (!Token.isUnresolved(rate) && !(Number.isInteger(rate) && rate >= 1 && rate <= 100)) {
      throw new Error(
        `${this.node.path}: samplingRate must be a whole number from 1 to 100 (config key realtimeLogs.samplingRate); got ${rate}`,
      );
    }
    this.role = new ServiceRole(this, "role", {
      service: "cloudfront.amazonaws.com",
      name: `${props.name}-cloudfront`,
      sourceAccount: props.accountId,
      description: `CloudFront writes real-time log records of ${props.name} to its Kinesis stream`,
    });
    props.stream.grantWrite(this.role);

    this.config = new CloudfrontRealtimeLogConfig(this, "config", {
      name: checkName("cloudfrontRealtimeLogConfig", props.name, this),
      samplingRate: rate,
      fields: [...REALTIME_LOG_FIELDS],
      endpoint: {
        streamType: "Kinesis",
        kinesisStreamConfig: { roleArn: this.role.arn, streamArn: props.stream.streamArn },
      },
      // CloudFront checks at creation that the role can write to the stream.
      dependsOn: [this.role.inlinePolicy],
    });
  }

  get arn(): string {
    return this.config.arn;
  }
}
