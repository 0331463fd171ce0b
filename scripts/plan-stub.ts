/**
 * The loopback stand-in for AWS that `npm run plan` points every provider endpoint at.
 *
 * A plan of resources that do not exist yet reads almost nothing from AWS: the provider asks who the caller
 * is, for `aws_caller_identity` and for the account it configures itself with (IAM GetUser first, then STS
 * GetCallerIdentity: aws-sdk-go-base's account lookup), and a new `aws_kinesis_stream` makes the provider read
 * the account's shard quota (Kinesis DescribeLimits, seen in the stub's log); those are the calls answered here. Any other request is answered with an error naming the service and action,
 * and recorded, so a plan that starts to depend on a real read fails loudly instead of passing on a guess.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** AWS's documentation example account (IAM User Guide, "Your AWS account ID"): never a real account. */
export const PLAN_ACCOUNT_ID = "111122223333";
/** The throwaway caller the stub reports; plan credentials are as fake as the account. */
export const PLAN_CALLER_ARN = `arn:aws:iam::${PLAN_ACCOUNT_ID}:user/plan-offline`;
const PLAN_USER_ID = "AIDAPLANOFFLINE000000";

/** One request the stub saw: the signing service from the Authorization header and the action asked for. */
export interface StubCall {
  readonly service: string;
  readonly action: string;
  readonly answered: boolean;
}

export interface PlanStub {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly calls: readonly StubCall[];
  close(): Promise<void>;
}

/** The service a SigV4 request was signed for: `Credential=AKID/20260101/eu-west-1/sts/aws4_request`. */
export function signingService(authorization: string | undefined): string {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? "")?.[1] ?? "unknown";
}

/** The action of a query-protocol body (`Action=GetCallerIdentity&...`) or a JSON-protocol X-Amz-Target. */
export function actionOf(body: string, target: string | undefined): string {
  if (target) return target.split(".").pop() ?? target;
  return new URLSearchParams(body).get("Action") ?? "unknown";
}

function callerIdentityXml(): string {
  // Response shape: STS API Reference, GetCallerIdentity (query protocol, XML).
  return [
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
    "  <GetCallerIdentityResult>",
    `    <Arn>${PLAN_CALLER_ARN}</Arn>`,
    `    <UserId>${PLAN_USER_ID}</UserId>`,
    `    <Account>${PLAN_ACCOUNT_ID}</Account>`,
    "  </GetCallerIdentityResult>",
    "  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>",
    "</GetCallerIdentityResponse>",
  ].join("\n");
}

function getUserXml(): string {
  // Response shape: IAM API Reference, GetUser (query protocol, XML).
  return [
    '<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">',
    "  <GetUserResult><User>",
    `    <Path>/</Path><UserName>plan-offline</UserName><UserId>${PLAN_USER_ID}</UserId>`,
    `    <Arn>${PLAN_CALLER_ARN}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>`,
    "  </User></GetUserResult>",
    "  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>",
    "</GetUserResponse>",
  ].join("\n");
}

function answer(req: IncomingMessage, body: string, res: ServerResponse, calls: StubCall[]): void {
  const service = signingService(req.headers.authorization);
  const target = req.headers["x-amz-target"];
  const action = actionOf(body, Array.isArray(target) ? target[0] : target);
  const isJson = String(req.headers["content-type"] ?? "").includes("json");
  if (service === "sts" && action === "GetCallerIdentity") {
    calls.push({ service, action, answered: true });
    if (isJson) {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ Account: PLAN_ACCOUNT_ID, Arn: PLAN_CALLER_ARN, UserId: PLAN_USER_ID }));
    } else {
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(callerIdentityXml());
    }
    return;
  }
  if (service === "kinesis" && action === "DescribeLimits") {
    calls.push({ service, action, answered: true });
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    // The default quotas of a new account (Kinesis Data Streams Developer Guide, "Quotas and limits"): 200 shards
    // (500 in a few large regions) and 50 on-demand streams.
    res.end(JSON.stringify({ ShardLimit: 200, OpenShardCount: 0, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50 }));
    return;
  }
  if (service === "iam" && action === "GetUser" && !isJson) {
    calls.push({ service, action, answered: true });
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(getUserXml());
    return;
  }
  calls.push({ service, action, answered: false });
  const message = `offline plan stub: no answer for ${service} ${action} (${req.method} ${req.url}); see scripts/plan-stub.ts`;
  // A 4xx the SDK does not retry, in both error shapes, so the provider prints the message and stops.
  if (isJson) {
    res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ __type: "ValidationException", message }));
  } else {
    res.writeHead(400, { "content-type": "text/xml" });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>${message.replace(/[<>&]/g, "")}</Message></Error></ErrorResponse>`,
    );
  }
}

/** Start the stub on a free loopback port. */
export async function startPlanStub(): Promise<PlanStub> {
  const calls: StubCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => answer(req, Buffer.concat(chunks).toString("utf8"), res, calls));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
