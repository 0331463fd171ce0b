/**
 * IAM building blocks: a policy statement type, a policy document rendered
 * through `aws_iam_policy_document`, and a service role whose inline policy
 * collects what grants add to it. Hand-written JSON policies are not used.
 */
import {
  DataAwsIamPolicyDocument,
  dataAwsIamPolicyDocumentStatementToTerraform,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { checkName } from "../names";

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: "Allow" | "Deny";
  readonly actions: string[];
  readonly resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

/**
 * A policy document whose statements may still be added after creation
 * (grants run after the resource is built); rendered when synthesized.
 */
export class PolicyDocument extends Construct {
  private readonly statements: PolicyStatement[] = [];
  private readonly doc: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, statements: PolicyStatement[] = []) {
    super(scope, id);
    this.statements.push(...statements);
    this.doc = new DataAwsIamPolicyDocument(this, "doc", {
      statement: Lazy.anyValue({
        produce: () => this.statements.map((s) => dataAwsIamPolicyDocumentStatementToTerraform(s)),
      }),
    });
  }

  add(...statements: PolicyStatement[]): void {
    this.statements.push(...statements);
  }

  get isEmpty(): boolean {
    return this.statements.length === 0;
  }

  get json(): string {
    return this.doc.json;
  }
}

/** Anything that can receive permissions: a grant adds statements to it. */
export interface IGrantable {
  addToPolicy(...statements: PolicyStatement[]): void;
}

export interface ServiceRoleProps {
  /** Service principal that assumes the role, e.g. `firehose.amazonaws.com`. */
  readonly service: string;
  /** Role name. */
  readonly name: string;
  /**
   * Account id for the trust policy's `aws:SourceAccount` condition (confused-deputy
   * protection). Leave it out only for services that do not send it when they
   * assume a role (Lambda's execution role). @default no condition
   */
  readonly sourceAccount?: string;
  /** Extra trust conditions, e.g. `aws:SourceArn`. @default none */
  readonly extraTrustConditions?: PolicyStatement["condition"];
  /** Human description. @default none */
  readonly description?: string;
}

/** An IAM role for one AWS service, trusting it only from this account, with an inline policy built from grants. */
export class ServiceRole extends Construct implements IGrantable {
  readonly role: IamRole;
  /** The inline policy; depend on it where a service checks the role's permissions at create time. */
  readonly inlinePolicy: IamRolePolicy;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust = new PolicyDocument(this, "trust", [
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: [props.service] }],
        condition: [
          ...(props.sourceAccount ? [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.sourceAccount] }] : []),
          ...(props.extraTrustConditions ?? []),
        ],
      },
    ]);
    this.role = new IamRole(this, "role", {
      name: checkName("iamRole", props.name, this),
      assumeRolePolicy: trust.json,
      description: props.description,
    });
    this.policy = new PolicyDocument(this, "permissions");
    this.inlinePolicy = new IamRolePolicy(this, "policy", {
      name: "permissions",
      role: this.role.id,
      policy: this.policy.json,
    });
  }

  addToPolicy(...statements: PolicyStatement[]): void {
    this.policy.add(...statements);
  }

  get arn(): string {
    return this.role.arn;
  }
}
