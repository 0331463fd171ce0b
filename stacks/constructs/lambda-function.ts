/**
 * A Node.js Lambda function from a prebuilt bundle directory
 * (`npm run build:handlers`), with its own role and its own log group.
 * The role may write only to that log group; everything else is granted.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction as TfLambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { bundleEntry, bundleZip, MissingBundleError, missingBundleMessage } from "../../config/handler-bundles";
import { LAMBDA_LIMITS, LOG_RETENTION_DAYS } from "../../config/limits";
import { checkName } from "../names";
import { suppressRule } from "../rules/aspect";
import { LAMBDA_RESERVED_CONCURRENCY } from "../rules/rules";
import { type IGrantable, type PolicyStatement, ServiceRole } from "./iam";

export interface NodeFunctionProps {
  /** Function name. */
  readonly functionName: string;
  /**
   * Absolute path of the bundle directory holding `index.js` (dist/handlers/<name>). When the
   * build wrote `<bundleDir>.zip` beside it, that zip is deployed as it is; otherwise the
   * directory is zipped at synth.
   */
  readonly bundleDir: string;
  /** Exported handler. @default "index.handler" */
  readonly handler?: string;
  /** Memory in MB. @default 512 */
  readonly memorySizeMb?: number;
  /** Timeout in seconds. @default 60 */
  readonly timeoutSeconds?: number;
  /** Environment variables. @default none */
  readonly environment?: Record<string, string>;
  /** Days CloudWatch keeps the function's logs. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Concurrent executions reserved for (and capping) the function, a whole number >= 1. Lambda refuses a reservation
   * that leaves the account's unreserved pool below 100, and new accounts may start with a quota of 10, so none is
   * the default: the rule LAMBDA-RESERVED-CONCURRENCY is then suppressed for this function with that reason.
   * @default unreserved
   */
  readonly reservedConcurrency?: number;
  /** Description. @default none */
  readonly description?: string;
  /**
   * Upload the code through this bucket (same region) instead of inline. Required above Lambda's
   * 50 MB direct-upload limit, e.g. for a bundle that carries a GeoIP database. @default inline upload
   */
  readonly codeBucket?: { readonly name: string };
}

/** Total size of the files under a directory, in bytes. */
export function directoryBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
    const p = path.join(dir, e.name);
    return n + (e.isDirectory() ? directoryBytes(p) : statSync(p).size);
  }, 0);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// Written once in config/limits.ts so the config schema validates the same list.
export { LOG_RETENTION_DAYS };

/**
 * Why a function may go unreserved. Lambda keeps at least 100 of the account's concurrency unreserved and refuses a
 * reservation that would go below; accounts start at 1,000 per region but new ones may get less ("New AWS accounts
 * have reduced concurrency and memory quotas"), where any reservation fails the deploy. Callers cap these functions
 * already: API Gateway stage throttling (usage), Firehose's batching (transform).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const UNRESERVED_REASON =
  "no reserved concurrency by default: Lambda keeps 100 of the account's quota unreserved and new accounts may have less, " +
  "so a default reservation could fail the deploy; the caller's throttling caps the function. Set its reservedConcurrency config to reserve.";

export class NodeFunction extends Construct implements IGrantable {
  readonly function: TfLambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    if (!existsSync(bundleEntry(props.bundleDir))) throw new MissingBundleError(missingBundleMessage(props.bundleDir, this.node.path));
    const retention = props.logRetentionDays ?? 30;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
      throw new Error(`${this.node.path}: logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}; got ${retention}`);
    }
    const memory = props.memorySizeMb ?? 512;
    if (!(Number.isInteger(memory) && memory >= 128 && memory <= 10240)) {
      throw new Error(`${this.node.path}: memorySizeMb must be a whole number from 128 to 10240 (Lambda limit); got ${memory}`);
    }
    const reserved = props.reservedConcurrency;
    // 0 is valid to Lambda but throttles every invocation: a stopped pipeline, never what a config means.
    if (reserved !== undefined && !(Number.isInteger(reserved) && reserved >= 1)) {
      throw new Error(`${this.node.path}: reservedConcurrency must be a whole number >= 1; got ${reserved}`);
    }
    const timeout = props.timeoutSeconds ?? 60;
    if (!(Number.isInteger(timeout) && timeout >= 1 && timeout <= 900)) {
      throw new Error(`${this.node.path}: timeoutSeconds must be 1-900 (Lambda limit); got ${timeout}`);
    }

    // The log group is created by Terraform, not by Lambda on first write, so it has a retention and is destroyed with the stack.
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: checkName("logGroup", `/aws/lambda/${props.functionName}`, this),
      retentionInDays: retention,
    });
    this.role = new ServiceRole(this, "role", {
      service: "lambda.amazonaws.com",
      name: `${props.functionName}-fn`,
      description: `Execution role of ${props.functionName}`,
    });
    this.role.addToPolicy({
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [`${this.logGroup.arn}:*`],
    });

    // Package limits, checked at synth (sources in config/limits.ts). Unzipped size is a safe upper bound for the zip.
    const bundleBytes = directoryBytes(props.bundleDir);
    if (bundleBytes > LAMBDA_LIMITS.unzippedCodeBytes) {
      throw new Error(`${this.node.path}: the bundle ${props.bundleDir} is ${mb(bundleBytes)}; Lambda allows 250 MB unzipped`);
    }
    const zip = bundleZip(props.bundleDir);
    const prebuilt = existsSync(zip) && statSync(zip).mtimeMs >= statSync(bundleEntry(props.bundleDir)).mtimeMs;
    // Without a zip yet, the unzipped size is the upper bound of the zipped one.
    const uploadBytes = prebuilt ? statSync(zip).size : bundleBytes;
    if (!props.codeBucket && uploadBytes > LAMBDA_LIMITS.directUploadZipBytes) {
      throw new Error(
        `${this.node.path}: the bundle ${props.bundleDir} is ${mb(uploadBytes)}; Lambda accepts at most 50 MB zipped through its API: set codeBucket to upload it through S3`,
      );
    }

    const asset = prebuilt
      ? new TerraformAsset(this, "code", { path: zip, type: AssetType.FILE })
      : new TerraformAsset(this, "code", { path: props.bundleDir, type: AssetType.ARCHIVE });
    // Through S3: a fixed key in a versioned bucket, the function pinned to the uploaded version.
    const codeObject = props.codeBucket
      ? new S3Object(this, "code-object", {
          bucket: props.codeBucket.name,
          key: `${props.functionName}.zip`,
          source: asset.path,
          sourceHash: asset.assetHash,
        })
      : undefined;
    this.function = new TfLambdaFunction(this, "function", {
      functionName: checkName("lambdaFunction", props.functionName, this),
      description: props.description,
      role: this.role.arn,
      // nodejs20.x: create blocked from 2026-08-31, update from 2026-09-30; nodejs22.x is supported to 2027-04-30 and is the
      // newest runtime the pinned AWS provider 5.100.0 accepts. @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: props.handler ?? "index.handler",
      ...(codeObject
        ? { s3Bucket: codeObject.bucket, s3Key: codeObject.key, s3ObjectVersion: codeObject.versionId }
        : { filename: asset.path }),
      sourceCodeHash: asset.assetHash,
      memorySize: memory,
      timeout,
      reservedConcurrentExecutions: reserved,
      environment: props.environment ? { variables: { NODE_OPTIONS: "--enable-source-maps", ...props.environment } } : undefined,
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      tracingConfig: { mode: "PassThrough" },
      dependsOn: [this.logGroup],
    });
    if (reserved === undefined) {
      suppressRule(this.function, LAMBDA_RESERVED_CONCURRENCY, UNRESERVED_REASON);
    }
  }

  get arn(): string {
    return this.function.arn;
  }

  get functionName(): string {
    return this.function.functionName;
  }

  addToPolicy(...statements: PolicyStatement[]): void {
    this.role.addToPolicy(...statements);
  }

  /** Let another principal (a Firehose role, ...) invoke this function. */
  grantInvoke(grantee: IGrantable): void {
    grantee.addToPolicy({ actions: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], resources: [this.arn, `${this.arn}:*`] });
  }
}
