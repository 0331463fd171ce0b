/**
 * Headless Chromium for the report test and its screenshot: any installed
 * Chromium or Chrome (scripts/setup-browser.sh installs Debian's `chromium`
 * when none is), driven by playwright-core, which downloads no browser of its
 * own. Flags keep the browser from talking to anything on its own (updates,
 * sync, QUIC probes).
 */
import { accessSync, constants, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Browser commands looked up on PATH, in this order, when CHROMIUM_PATH is not set (scripts/setup-browser.sh reads the same list). */
export const CHROMIUM_COMMANDS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"] as const;

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The browser to drive: CHROMIUM_PATH when set (it must be an executable file), else the first of CHROMIUM_COMMANDS
 * on PATH. Throws one line saying what to do when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    if (isExecutableFile(configured)) return configured;
    throw new Error(`CHROMIUM_PATH=${configured} is not an executable file`);
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const cmd of CHROMIUM_COMMANDS) {
    for (const dir of dirs) {
      const file = path.join(dir, cmd);
      if (isExecutableFile(file)) return file;
    }
  }
  throw new Error(
    `no Chromium or Chrome found (looked for ${CHROMIUM_COMMANDS.join(", ")} on PATH): run npm run setup:browser, or set CHROMIUM_PATH`,
  );
}

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** A browser context in a fresh profile directory; `close()` ends the browser and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const executablePath = findChromium();
  const profile = mkdtempSync(path.join(tmpdir(), "chromium-profile-"));
  // launchPersistentContext passes the profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
