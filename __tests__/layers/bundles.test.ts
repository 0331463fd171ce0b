/**
 * Stacks consume built handler bundles as artefacts: one path convention
 * (config/handler-bundles.ts) shared by the bundler and the stacks, and a
 * missing bundle stops synth with one line naming the build command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleDir, bundleZip, HANDLER_NAMES, MissingBundleError } from "../../config/handler-bundles";
import { handlerNames } from "../../scripts/build-handlers";
import { createStacks } from "../../stacks/app";
import { testConfig } from "../helpers/config";
import { FIXTURE_BUNDLE_DIR, testApp } from "../helpers/synth";

const ROOT = path.resolve(__dirname, "../..");

describe("handler bundles", () => {
  it("names exactly the handler folders the bundler builds", () => {
    expect([...HANDLER_NAMES].sort()).toEqual(handlerNames().sort());
  });

  it("lives under dist/handlers/<name>, its zip beside it", () => {
    expect(path.relative(ROOT, bundleDir("usage-stats"))).toBe(path.join("dist", "handlers", "usage-stats"));
    expect(bundleZip(bundleDir("usage-stats"))).toBe(`${bundleDir("usage-stats")}.zip`);
  });

  describe("a missing bundle", () => {
    let empty: string;
    beforeAll(() => {
      empty = mkdtempSync(path.join(tmpdir(), "no-bundles-"));
    });
    afterAll(() => rmSync(empty, { recursive: true, force: true }));

    // log-file-transform is deployed only in lean mode (logDelivery "standard"), the Firehose transform only without it.
    const synthWithout = (missing: string) => () =>
      createStacks(testApp(), testConfig(missing === "log-file-transform" ? { logDelivery: "standard" } : {}), {
        handlerBundleDir: (name) => (name === missing ? path.join(empty, name) : FIXTURE_BUNDLE_DIR),
      });

    it.each(HANDLER_NAMES)("stops synth for %s with one line naming `npm run build:handlers`", (name) => {
      const error = (() => {
        try {
          synthWithout(name)();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(MissingBundleError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toContain(`no handler bundle at ${path.join(empty, name, "index.js")}`);
      expect(message).toMatch(/run `npm run build:handlers` first$/);
    });
  });
});
