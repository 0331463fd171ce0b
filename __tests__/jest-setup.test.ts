/**
 * The jest run itself: a private temp folder (global-setup.ts, removed by
 * global-teardown.ts) and synth notices captured rather than printed
 * (setup.ts, helpers/notices.ts).
 */
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createStacks } from "../stacks/app";
import { RUN_TMPDIR_PREFIX } from "./global-setup";
import { testConfig } from "./helpers/config";
import { clearNotices, synthNotices } from "./helpers/notices";
import { fixtureBundles, testApp } from "./helpers/synth";

describe("jest run hygiene", () => {
  it("tests write temp files under the run's own folder, cdktf's Testing outdirs included", () => {
    const runDir = process.env.JEST_RUN_TMPDIR as string;
    expect(path.basename(runDir).startsWith(RUN_TMPDIR_PREFIX)).toBe(true);
    expect(tmpdir()).toBe(runDir);
    expect(path.dirname(testApp().outdir)).toBe(runDir);
  });

  it("the notices synth prints are captured for the test to read, once per app", () => {
    clearNotices();
    const log = jest.spyOn(console, "log");
    let logged: unknown[] = [];
    try {
      createStacks(testApp(), testConfig(), fixtureBundles);
      logged = log.mock.calls.map((c) => c[0]);
    } finally {
      log.mockRestore();
    }
    expect(synthNotices()).toEqual([
      expect.stringMatching(/^Terraform state: local files under terraform-state\/, so no state stack/),
      'Log delivery: realtime (logDelivery "realtime", the default: CloudFront real-time logs -> Kinesis -> Firehose -> lake; events within minutes)',
      "Kinesis: provisioned, 1 shard (peak 10 req/s (the default) x 100% sampling x 2 headroom = 20 records/s; 1 shard takes 1,000 records/s)",
      expect.stringMatching(/^Google Analytics 4 import: off, /),
      expect.stringMatching(/^QuickSight dashboards: off, /),
    ]);
    // Every line synth logged was one of them: nothing else reached the console.
    expect(logged).toEqual(synthNotices());
  });
});
