/**
 * The shared I/O edge of the transform entries: the AWS SDK is imported here (and in the entries), never in the
 * pure modules (.dependency-cruiser.cjs aws-sdk-in-pure-core).
 */
import type { ParameterReader } from "../firehose-transform/visitor-key";

/** The SSM client is imported only when a parameter is configured: its import is not paid otherwise, and local runs need no SDK. */
export const ssmReader = (): ParameterReader => ({
  async getSecureString(name) {
    const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
    const out = await new SSMClient({}).send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value;
  },
});
