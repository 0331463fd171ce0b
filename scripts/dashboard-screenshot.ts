/**
 * `npm run screenshot:dashboard`: renders the local report from a generated
 * sample lake and saves the top of the page as docs/dashboard.png (the README's
 * screenshot), with the same headless Chromium the report test uses.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../local/browser";
import { writeReport } from "../local/dashboard";
import { generateTraffic } from "../local/generator";
import { runLocal } from "../local/pipeline";

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "dashboard-shot-"));
  const out = path.resolve(__dirname, "../docs/dashboard.png");
  try {
    const lines: string[] = [];
    generateTraffic({ seed: 1, days: 7, start: "2025-06-01" }, (l) => lines.push(l));
    writeFileSync(path.join(dir, "sample.tsv"), `${lines.join("\n")}\n`);
    await runLocal({ input: path.join(dir, "sample.tsv"), lake: path.join(dir, "lake") });
    const html = path.join(dir, "report.html");
    await writeReport(path.join(dir, "lake"), html, undefined, "out/lake");
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1100, height: 760 });
      await page.goto(pathToFileURL(html).href);
      mkdirSync(path.dirname(out), { recursive: true });
      await page.screenshot({ path: out });
    } finally {
      await browser.close();
    }
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
