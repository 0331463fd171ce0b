/**
 * An S3 bucket with the defaults every bucket of this project needs: private
 * (public access blocked, ACLs disabled), encrypted, TLS-only, with lifecycle
 * rules. Other constructs add bucket-policy statements and grant access
 * through it rather than writing their own policies.
 */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { checkName } from "../names";
import { type IGrantable, PolicyDocument, type PolicyStatement } from "./iam";

export interface ExpiryRule {
  /** Rule id. */
  readonly id: string;
  /** Key prefix the rule applies to, ending with `/`; "" for every object of the bucket. */
  readonly prefix: string;
  /** Days after creation when current objects expire. */
  readonly expireAfterDays: number;
}

export interface SecureBucketProps {
  /** Bucket name. */
  readonly bucketName: string;
  /** Keep object versions. @default true */
  readonly versioned?: boolean;
  /**
   * Days after which noncurrent versions are deleted (versioned buckets only); expired delete markers are
   * removed too. @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /** Days after which incomplete multipart uploads are aborted. @default 7 */
  readonly abortIncompleteUploadsAfterDays?: number;
  /** Prefix expiry rules. @default none */
  readonly expiryRules?: readonly ExpiryRule[];
  /** Let `terraform destroy` delete a non-empty bucket. @default false */
  readonly forceDestroy?: boolean;
  /** KMS key ARN for SSE-KMS. @default SSE-S3 (AES256) */
  readonly kmsKeyArn?: string;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  /** The bucket policy resource; depend on it where a service checks the policy when it is created (AppFlow). */
  readonly bucketPolicy: S3BucketPolicy;
  private readonly policy: PolicyDocument;
  private readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const versioned = props.versioned ?? true;
    const abortDays = props.abortIncompleteUploadsAfterDays ?? 7;
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 30;
    if (!versioned && props.noncurrentVersionExpirationDays !== undefined) {
      throw new Error(`${this.node.path}: noncurrentVersionExpirationDays needs versioned: true`);
    }
    for (const [key, days] of [
      ["noncurrentVersionExpirationDays", noncurrentDays],
      ["abortIncompleteUploadsAfterDays", abortDays],
    ] as const) {
      // S3 takes a positive whole number of days for both (API NoncurrentVersionExpiration, AbortIncompleteMultipartUpload).
      if (!Token.isUnresolved(days) && !(Number.isInteger(days) && days >= 1)) {
        throw new Error(`${this.node.path}: ${key} must be a whole number of days >= 1; got ${days}`);
      }
    }
    for (const rule of props.expiryRules ?? []) {
      if (rule.prefix !== "" && !rule.prefix.endsWith("/")) {
        throw new Error(`${this.node.path}: expiryRules[${rule.id}].prefix must end with '/' (or be "" for the whole bucket)`);
      }
      if (!(Number.isInteger(rule.expireAfterDays) && rule.expireAfterDays >= 1)) {
        throw new Error(`${this.node.path}: expiryRules[${rule.id}].expireAfterDays must be a whole number of days >= 1`);
      }
    }
    this.kmsKeyArn = props.kmsKeyArn;

    this.bucket = new S3Bucket(this, "bucket", {
      bucket: checkName("s3Bucket", props.bucketName, this),
      forceDestroy: props.forceDestroy ?? false,
    });
    const bucket = this.bucket.id;

    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: props.kmsKeyArn
            ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }
            : { sseAlgorithm: "AES256" },
          bucketKeyEnabled: props.kmsKeyArn ? true : undefined,
        },
      ],
    });
    const versioning = versioned
      ? new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } })
      : undefined;

    const rules: S3BucketLifecycleConfigurationRule[] = [
      {
        id: "abort-incomplete-uploads",
        status: "Enabled",
        filter: [{}],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }],
      },
      // On a versioned bucket a delete (compaction deletes daily) keeps the old version, billed, and adds a delete
      // marker: noncurrent versions expire after noncurrentDays, and a marker left with no versions behind it is
      // removed. ExpiredObjectDeleteMarker "cannot be specified with Days or Date" in the same expiration, hence a rule
      // of its own. @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html
      ...(versioned
        ? [
            { id: "expire-noncurrent-versions", status: "Enabled", filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays }] },
            { id: "remove-expired-delete-markers", status: "Enabled", filter: [{}], expiration: [{ expiredObjectDeleteMarker: true }] },
          ]
        : []),
      ...(props.expiryRules ?? []).map((r) => ({
        id: r.id,
        status: "Enabled",
        filter: [{ prefix: r.prefix }],
        expiration: [{ days: r.expireAfterDays }],
      })),
    ];
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: rules,
      // Lifecycle rules on a versioned bucket must follow versioning being enabled.
      dependsOn: versioning ? [versioning] : undefined,
    });

    this.policy = new PolicyDocument(this, "policy-document", [
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: [this.bucket.arn, `${this.bucket.arn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
    this.bucketPolicy = new S3BucketPolicy(this, "policy", { bucket, policy: this.policy.json });
  }

  get name(): string {
    return this.bucket.bucket;
  }

  get arn(): string {
    return this.bucket.arn;
  }

  /** ARN of the objects under a prefix (`events/` gives `arn:...:bucket/events/*`). */
  arnForObjects(prefix = ""): string {
    if (!Token.isUnresolved(prefix) && prefix !== "" && !prefix.endsWith("/")) {
      throw new Error(`${this.node.path}: prefix must end with '/': ${prefix}`);
    }
    return `${this.bucket.arn}/${prefix}*`;
  }

  /** Add a statement to the bucket policy (for service principals that need resource-based access). */
  addToResourcePolicy(...statements: PolicyStatement[]): void {
    this.policy.add(...statements);
  }

  /** Read objects under the given prefixes (all objects by default). */
  grantRead(grantee: IGrantable, ...prefixes: string[]): void {
    const scoped = prefixes.length ? prefixes : [""];
    grantee.addToPolicy(
      { actions: ["s3:GetBucketLocation", "s3:ListBucket"], resources: [this.arn] },
      { actions: ["s3:GetObject"], resources: scoped.map((p) => this.arnForObjects(p)) },
    );
    this.grantKey(grantee, ["kms:Decrypt"]);
  }

  /** Write (and abort uploads of) objects under the given prefixes. */
  grantWrite(grantee: IGrantable, ...prefixes: string[]): void {
    if (prefixes.length === 0) throw new Error(`${this.node.path}: grantWrite needs at least one prefix`);
    grantee.addToPolicy(
      { actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], resources: [this.arn] },
      { actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: prefixes.map((p) => this.arnForObjects(p)) },
    );
    this.grantKey(grantee, ["kms:GenerateDataKey", "kms:Decrypt"]);
  }

  /** Delete objects under the given prefixes. */
  grantDelete(grantee: IGrantable, ...prefixes: string[]): void {
    if (prefixes.length === 0) throw new Error(`${this.node.path}: grantDelete needs at least one prefix`);
    grantee.addToPolicy({ actions: ["s3:DeleteObject"], resources: prefixes.map((p) => this.arnForObjects(p)) });
  }

  private grantKey(grantee: IGrantable, actions: string[]): void {
    if (this.kmsKeyArn) grantee.addToPolicy({ actions, resources: [this.kmsKeyArn] });
  }
}
