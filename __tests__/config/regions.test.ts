/**
 * config/aws-regions.ts is the list of regions the pinned AWS provider knows: re-extracted here from
 * the mirrored provider binary (real terraform provider, no network), so the list cannot drift from
 * the provider it names.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { AWS_PROVIDER_REGIONS, closestRegion, regionProblem } from "../../config/aws-regions";
import { findMirror } from "../../scripts/validate";

const PROVIDER_VERSION = "5.100.0";
const mirror = findMirror();
const binary = mirror
  ? path.join(mirror, `registry.terraform.io/hashicorp/aws/${PROVIDER_VERSION}/linux_amd64/terraform-provider-aws_v${PROVIDER_VERSION}_x5`)
  : undefined;
const haveBinary = binary !== undefined && existsSync(binary);

describe("AWS regions", () => {
  (haveBinary ? it : it.skip)(
    `equal the regions in the mirrored AWS provider ${PROVIDER_VERSION} binary (less the isolated partitions)`,
    () => {
      // Go concatenates string literals, so no boundary before a name; a region number is one digit.
      const pattern =
        "(?:us-gov|us-iso[bfe]?|eu-isoe|us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-[0-9](?![0-9])";
      const grep = spawnSync("grep", ["-aoP", pattern, binary as string], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: "C" },
      });
      expect(grep.status).toBe(0);
      const found = [...new Set(grep.stdout.split("\n").filter(Boolean))].filter((r) => !/-iso[a-z]?-/.test(r)).sort();
      expect(found).toEqual([...AWS_PROVIDER_REGIONS].sort());
    },
    120_000,
  );

  it("suggests the region a typo meant", () => {
    expect(closestRegion("eu-westt-1")).toBe("eu-west-1");
    expect(closestRegion("EU-WEST-1")).toBe("eu-west-1");
    expect(closestRegion("useast1")).toBe("us-east-1");
    expect(regionProblem("eu-west-1")).toBeUndefined();
    expect(regionProblem("eu-westt-1")).toMatch(/unknown AWS region "eu-westt-1".*did you mean "eu-west-1"\?$/);
  });
});
