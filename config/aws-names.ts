/**
 * AWS name rules, in one place: every name the stacks generate is checked here at synth, so a
 * project or environment name that makes one too long fails before `terraform apply` does.
 * Plain data and functions (no cdktf): stacks/names.ts applies them to names with tokens in them.
 * Each rule cites the AWS API reference (or user guide) that states it.
 */

export interface NameRule {
  /** What the name is, as the message shows it, e.g. "S3 bucket name". */
  readonly what: string;
  readonly min: number;
  readonly max: number;
  /** The characters (and shape) AWS accepts. */
  readonly pattern: RegExp;
  /** The same, in words, for the message. */
  readonly chars: string;
  readonly source: string;
}

const rule = (what: string, min: number, max: number, pattern: RegExp, chars: string, source: string): NameRule => ({
  what,
  min,
  max,
  pattern,
  chars,
  source,
});

const ALNUM_DASH_UNDERSCORE = /^[A-Za-z0-9_-]+$/;
const ALNUM_DASH_UNDERSCORE_DOT = /^[A-Za-z0-9_.-]+$/;

export const AWS_NAME_RULES = {
  /** "between 3 (min) and 63 (max) characters long ... only lowercase letters, numbers, periods (.), and hyphens (-) ... begin and end with a letter or number". */
  s3Bucket: rule(
    "S3 bucket name",
    3,
    63,
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    "lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
  ),
  /** RoleName: "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern: [\w+=,.@-]+". */
  iamRole: rule(
    "IAM role name",
    1,
    64,
    /^[\w+=,.@-]+$/,
    "letters, digits and +=,.@_-",
    "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
  ),
  /** PolicyName (inline role policy): 1-128, pattern [\w+=,.@-]+. */
  iamPolicy: rule(
    "IAM policy name",
    1,
    128,
    /^[\w+=,.@-]+$/,
    "letters, digits and +=,.@_-",
    "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html",
  ),
  /** FunctionName: "The length constraint applies only to the full ARN. If you specify only the function name, it is limited to 64 characters". */
  lambdaFunction: rule(
    "Lambda function name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
  ),
  /** DeliveryStreamName: 1-64, pattern [a-zA-Z0-9_.-]+. */
  firehoseStream: rule(
    "Firehose delivery stream name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE_DOT,
    "letters, digits and _.-",
    "https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html",
  ),
  /** StreamName: 1-128, pattern [a-zA-Z0-9_.-]+. */
  kinesisStream: rule(
    "Kinesis stream name",
    1,
    128,
    ALNUM_DASH_UNDERSCORE_DOT,
    "letters, digits and _.-",
    "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html",
  ),
  /** Job Name: "Minimum length of 1. Maximum length of 255" (single-line string); triggers and security configurations alike. */
  glueJob: rule(
    "Glue job, trigger or security configuration name",
    1,
    255,
    /^[^\r\n]+$/,
    "one line of text",
    "https://docs.aws.amazon.com/glue/latest/webapi/API_CreateJob.html",
  ),
  /**
   * Glue DatabaseInput/TableInput Name: 1-255; Athena reads only "lowercase letters, numbers, and the underscore
   * character" in database and table names (hyphens break its queries).
   * @see https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
   */
  glueCatalog: rule(
    "Glue database or table name",
    1,
    255,
    /^[a-z0-9_]+$/,
    "lower-case letters, digits and underscores (Athena's rule)",
    "https://docs.aws.amazon.com/glue/latest/webapi/API_DatabaseInput.html",
  ),
  /** WorkGroup Name: pattern [a-zA-Z0-9._-]{1,128}. */
  athenaWorkgroup: rule(
    "Athena workgroup name",
    1,
    128,
    ALNUM_DASH_UNDERSCORE_DOT,
    "letters, digits and _.-",
    "https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html",
  ),
  /** "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long." */
  snsTopic: rule(
    "SNS topic name",
    1,
    256,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
  ),
  /** logGroupName: 1-512, pattern [\.\-_/#A-Za-z0-9]+. */
  logGroup: rule(
    "CloudWatch log group name",
    1,
    512,
    /^[.\-_/#A-Za-z0-9]+$/,
    "letters, digits and ._-/#",
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
  ),
  /** AliasName: 1-256, pattern ^[a-zA-Z0-9:/_-]+$, beginning with alias/ (alias/aws/ is reserved). */
  kmsAlias: rule(
    "KMS alias",
    1,
    256,
    /^alias\/(?!aws\/)[a-zA-Z0-9:/_-]+$/,
    "alias/ then letters, digits and :/_- (not alias/aws/)",
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
  ),
  /** CloudFront function Name: pattern ^[a-zA-Z0-9-_]{1,64}$. */
  cloudfrontFunction: rule(
    "CloudFront function name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html",
  ),
  /**
   * Names of CloudFront policies and origin access controls: the API reference documents no pattern for
   * OriginAccessControlConfig Name beyond 64 characters in the console; taken as 64 of the function name's characters.
   */
  cloudfrontPolicy: rule(
    "CloudFront policy or origin access control name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html",
  ),
  /**
   * CreateRealtimeLogConfig Name: the API reference gives no length or pattern ("A unique name to identify this
   * real-time log configuration"); this project keeps it to the function name's rule, so no name depends on an undocumented limit.
   */
  cloudfrontRealtimeLogConfig: rule(
    "CloudFront real-time log configuration name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateRealtimeLogConfig.html",
  ),
  /** TableName: 3-255, pattern [a-zA-Z0-9_.-]+. */
  dynamodbTable: rule(
    "DynamoDB table name",
    3,
    255,
    ALNUM_DASH_UNDERSCORE_DOT,
    "letters, digits and _.-",
    "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
  ),
  /** HTTP API Name: "String with length between [1-128]". */
  apiGatewayApi: rule(
    "API Gateway API name",
    1,
    128,
    /^[^\r\n]+$/,
    "one line of text",
    "https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html",
  ),
  /**
   * Data set, data source and dashboard ids, pattern [\w\-]+: DashboardId is 1-512 (API_DashboardVisualId.html), and the
   * DataSet shape says "The ID of the dataset. Limited to 96 characters" (AWS SDK reference): the strictest, 96, for all.
   */
  quicksightId: rule(
    "QuickSight id",
    1,
    96,
    /^[\w-]+$/,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_CreateDataSet.html",
  ),
  /** EventBridge rule Name: 1-64, pattern [\.\-_A-Za-z0-9]+. */
  eventsRule: rule(
    "EventBridge rule name",
    1,
    64,
    ALNUM_DASH_UNDERSCORE_DOT,
    "letters, digits and _.-",
    "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
  ),
  /** AlarmName: 1-255; DashboardName: "up to 255 characters" of letters, digits, "-" and "_". */
  cloudwatchAlarmOrDashboard: rule(
    "CloudWatch alarm or dashboard name",
    1,
    255,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
  ),
  /** Logs resource policy name (PutResourcePolicy policyName): no documented constraint beyond a string; 255 as alarms. */
  logsResourcePolicy: rule(
    "CloudWatch Logs resource policy name",
    1,
    255,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html",
  ),
  /** flowName and connectorProfileName: up to 256, pattern [a-zA-Z0-9][\w!@#.-]+. */
  appflow: rule(
    "AppFlow flow or connection name",
    2,
    256,
    /^[a-zA-Z0-9][\w!@#.-]+$/,
    "a letter or digit, then letters, digits and !@#._-",
    "https://docs.aws.amazon.com/appflow/1.0/APIReference/API_CreateFlow.html",
  ),
  /** SSM parameter Name: at most 1011 characters after the region-specific ARN prefix; letters, digits and _.-/. */
  /** PutDeliverySource / PutDeliveryDestination name: "Minimum length of 1. Maximum length of 60. Pattern: [\w-]*". */
  logDelivery: rule(
    "CloudWatch Logs delivery source or destination name",
    1,
    60,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDeliverySource.html",
  ),
  /** QueueName: "Up to 80 characters ... alphanumeric characters, hyphens (-), and underscores (_)". */
  sqsQueue: rule(
    "SQS queue name",
    1,
    80,
    ALNUM_DASH_UNDERSCORE,
    "letters, digits, hyphens and underscores",
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
  ),
  ssmParameter: rule(
    "SSM parameter name",
    1,
    1011,
    /^[a-zA-Z0-9_.\-/]+$/,
    "letters, digits and _.-/",
    "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html",
  ),
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof AWS_NAME_RULES;

/**
 * An AWS account id is 12 digits. At synth it is a token (data.aws_caller_identity), so a name that
 * contains it is checked with this stand-in and shown with ACCOUNT_ID_SHOWN.
 * @see https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
 */
export const ACCOUNT_ID_PLACEHOLDER = "000000000000";
export const ACCOUNT_ID_SHOWN = "<account-id>";

/** Why a name breaks its rule, or undefined when it fits. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const r: NameRule = AWS_NAME_RULES[kind];
  if (name.length > r.max) return `is ${name.length} characters; AWS allows at most ${r.max}`;
  if (name.length < r.min) return `is ${name.length} characters; AWS needs at least ${r.min}`;
  if (!r.pattern.test(name)) return `has characters AWS does not allow there (${r.chars})`;
  if (kind === "s3Bucket") {
    if (name.includes("..")) return "has two adjacent dots";
    if (name.startsWith("xn--") || name.endsWith("-s3alias") || name.endsWith("--ol-s3")) return "has a prefix or suffix S3 reserves";
  }
  return undefined;
}

/** A generated name breaks an AWS rule. The message is one line; main.ts prints it without a stack trace. */
export class AwsNameError extends Error {
  override readonly name = "AwsNameError";
  constructor(
    readonly kind: NameKind,
    /** The name as shown (the account id as ACCOUNT_ID_SHOWN). */
    readonly shownName: string,
    readonly problem: string,
    readonly where: string,
    /** How many characters too long, 0 when the problem is not the length. */
    readonly excess: number,
  ) {
    const r: NameRule = AWS_NAME_RULES[kind];
    super(`${where}: the ${r.what} "${shownName}" ${problem} (${r.source})`);
  }
}
