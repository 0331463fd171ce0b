/**
 * The AWS regions a config's `region` may name: the regions of the commercial (aws), China (aws-cn)
 * and GovCloud (aws-us-gov) partitions that the AWS provider this project pins (5.100.0) knows.
 * Plain data, so config/schema.ts checks it at synth and a typo (`eu-westt-1`) stops synth instead of
 * the provider at plan time.
 *
 * Source, dated 2026-12-02: every region-shaped string in the mirrored provider binary
 * (registry.terraform.io/hashicorp/aws/5.100.0, from its AWS SDK endpoint data), less the isolated
 * partitions (us-iso*, eu-isoe-*), which this pipeline's services do not reach.
 * __tests__/config/regions.test.ts re-extracts them from the binary when the mirror is present, so a
 * provider upgrade that knows a new region fails that test until the list is updated here.
 * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 */
export const AWS_PROVIDER_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "cn-north-1",
  "cn-northwest-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-gov-east-1",
  "us-gov-west-1",
  "us-west-1",
  "us-west-2",
] as const;

export type AwsRegion = (typeof AWS_PROVIDER_REGIONS)[number];

export function isAwsRegion(value: string): value is AwsRegion {
  return (AWS_PROVIDER_REGIONS as readonly string[]).includes(value);
}

/** Levenshtein distance, for suggesting the region a typo meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known region closest to a value (the first in list order on a tie). */
export function closestRegion(value: string): AwsRegion {
  let best: AwsRegion = AWS_PROVIDER_REGIONS[0];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const r of AWS_PROVIDER_REGIONS) {
    const d = distance(value.toLowerCase(), r);
    if (d < bestDistance) [best, bestDistance] = [r, d];
  }
  return best;
}

/** Why a value is not a region this project can deploy to, with the closest known one; undefined when it is one. */
export function regionProblem(value: string): string | undefined {
  if (isAwsRegion(value)) return undefined;
  return `unknown AWS region "${value}" (not one of the ${AWS_PROVIDER_REGIONS.length} regions AWS provider 5.100.0 knows); did you mean "${closestRegion(value)}"?`;
}
