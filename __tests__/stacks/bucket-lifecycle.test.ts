/**
 * Every versioned bucket of every shipped config cleans up after itself: compaction deletes
 * files daily, and on a versioned bucket each delete leaves a noncurrent version and a delete
 * marker, billed until a lifecycle rule removes them.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_DIR, loadConfig } from "../../config/load";
import { createStacks } from "../../stacks/app";
import { AnalyticsStack } from "../../stacks/base-stack";
import { SecureBucket } from "../../stacks/constructs/secure-bucket";
import { testConfig } from "../helpers/config";
import { fixtureBundles, synthJson, type TfJson, testApp } from "../helpers/synth";

interface Rule {
  id: string;
  status: string;
  filter?: { prefix?: string; tag?: unknown }[];
  expiration?: { days?: number; date?: string; expired_object_delete_marker?: boolean }[];
  noncurrent_version_expiration?: { noncurrent_days: number }[];
  abort_incomplete_multipart_upload?: { days_after_initiation: number }[];
}

const SHIPPED = readdirSync(CONFIG_DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => path.basename(f, ".json"));

/** For each versioned bucket (by its `${aws_s3_bucket.x.id}` reference) of a stack: its lifecycle rules. */
function versionedBucketRules(json: TfJson): Map<string, Rule[] | undefined> {
  const lifecycles = Object.values(json.resource.aws_s3_bucket_lifecycle_configuration ?? {}) as { bucket: string; rule: Rule[] }[];
  const out = new Map<string, Rule[] | undefined>();
  for (const v of Object.values(json.resource.aws_s3_bucket_versioning ?? {}) as {
    bucket: string;
    versioning_configuration: { status: string };
  }[]) {
    if (v.versioning_configuration.status !== "Enabled") continue;
    out.set(v.bucket, lifecycles.find((l) => l.bucket === v.bucket)?.rule);
  }
  return out;
}

describe("lifecycle of versioned buckets", () => {
  it.each(SHIPPED)(
    "config %s: every versioned bucket expires noncurrent versions and expired delete markers, and aborts stale uploads",
    (name) => {
      const stacks = createStacks(testApp(), loadConfig(name), fixtureBundles);
      let versioned = 0;
      for (const stack of Object.values(stacks).filter((s) => s !== undefined)) {
        for (const [bucket, rules] of versionedBucketRules(synthJson(stack))) {
          versioned++;
          expect({ bucket, rules }).toEqual({ bucket, rules: expect.any(Array) });
          const enabled = (rules ?? []).filter((r) => r.status === "Enabled");
          const wholeBucket = enabled.filter((r) => (r.filter ?? [{}]).every((f) => f.prefix === undefined && f.tag === undefined));
          expect({
            bucket,
            noncurrent: wholeBucket.some((r) => (r.noncurrent_version_expiration?.[0]?.noncurrent_days ?? 0) >= 1),
          }).toEqual({
            bucket,
            noncurrent: true,
          });
          expect({ bucket, markers: wholeBucket.some((r) => r.expiration?.[0]?.expired_object_delete_marker === true) }).toEqual({
            bucket,
            markers: true,
          });
          expect({ bucket, uploads: wholeBucket.some((r) => r.abort_incomplete_multipart_upload !== undefined) }).toEqual({
            bucket,
            uploads: true,
          });
        }
      }
      // The lake, the Glue artifacts, the Lambda code and the site are versioned at least.
      expect(versioned).toBeGreaterThanOrEqual(4);
    },
  );

  it("never puts expired_object_delete_marker in an expiration block with days or a date (S3 rejects it)", () => {
    // S3 API LifecycleExpiration: ExpiredObjectDeleteMarker "cannot be specified with Days or Date".
    const stack = new AnalyticsStack(testApp(), "s", { config: testConfig() });
    new SecureBucket(stack, "b", { bucketName: "b-123", expiryRules: [{ id: "old", prefix: "tmp/", expireAfterDays: 3 }] });
    const rules = (Object.values(synthJson(stack).resource.aws_s3_bucket_lifecycle_configuration ?? {})[0] as { rule: Rule[] }).rule;
    for (const r of rules) {
      for (const e of r.expiration ?? []) {
        if (e.expired_object_delete_marker)
          expect({ id: r.id, days: e.days, date: e.date }).toEqual({ id: r.id, days: undefined, date: undefined });
      }
    }
    expect(rules.map((r) => r.id)).toEqual(expect.arrayContaining(["old", "remove-expired-delete-markers"]));
  });
});
