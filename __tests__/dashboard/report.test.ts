/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The local HTML report, end to end and in a real browser: generated traffic
 * -> the real transform -> a Parquet lake -> the dashboard queries in DuckDB
 * -> `writeReport` -> Debian's headless Chromium (scripts/setup-browser.sh).
 * Every chart must draw, the numbers on the page must be the generator's true
 * counts, and opening the page must not make a single network request.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { findChromium, launchChromium } from "../../local/browser";
import { writeReport } from "../../local/dashboard";
import { generateTraffic, type Truth } from "../../local/generator";
import { runLocal } from "../../local/pipeline";

type Row = Record<string, string | number>;

/** Sum `value` per `key`, largest first, ties by label: what a bar chart must show. */
function expectedBars(rows: readonly Row[], key: string, value: string, limit = 20): { label: string; value: number }[] {
  const sums: Record<string, number> = {};
  for (const r of rows) sums[String(r[key])] = (sums[String(r[key])] ?? 0) + Number(r[value]);
  return Object.entries(sums)
    .map(([label, v]) => ({ label, value: v }))
    .sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1))
    .slice(0, limit);
}

const total = (rows: readonly Row[], col: string) => rows.reduce((s, r) => s + Number(r[col]), 0);

describe("local HTML report in headless Chromium", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "report-"));
  const html = path.join(dir, "report.html");
  const window = { from: "2025-06-01", to: "2025-06-03" };
  let truth: Truth;
  let page: Page;
  let close: (() => Promise<void>) | undefined;
  const requests: string[] = [];

  beforeAll(async () => {
    findChromium(); // fails first, with one line saying what to install
    const lines: string[] = [];
    truth = generateTraffic({ seed: 9, days: 3, start: window.from, sessionsPerDay: 150 }, (l) => lines.push(l));
    const input = path.join(dir, "sample.tsv");
    writeFileSync(input, `${lines.join("\n")}\n`);
    await runLocal({ input, lake: path.join(dir, "lake") });
    await writeReport(path.join(dir, "lake"), html);

    const browser = await launchChromium();
    close = browser.close;
    // Every request the browser makes for this context, including ones a page could start by itself.
    browser.context.on("request", (r) => requests.push(r.url()));
    page = await browser.context.newPage();
    await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
  }, 180_000);

  afterAll(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("makes no network request: the only URL loaded is the report file itself", async () => {
    await page.waitForTimeout(500);
    expect(requests).toEqual([pathToFileURL(html).href]);
    const external = await page.evaluate(() =>
      [...document.querySelectorAll("script, link, img, iframe, object, embed, [src], [href^='http']:not(a)")].map((e) =>
        e.outerHTML.slice(0, 80),
      ),
    );
    expect(external).toEqual([]);
    // The one outside link is the GeoIP credit its licence asks for; following it is the reader's choice.
    const links = await page.evaluate(() => [...document.querySelectorAll("a[href^='http']")].map((a) => a.getAttribute("href")));
    expect(links).toEqual(["https://db-ip.com"]);
  });

  it("draws every chart: each has a visible SVG with visible marks, and no panel is empty", async () => {
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll("figure.chart")].map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        const marks = [...f.querySelectorAll("rect.bar, circle.point")].map((m) => m.getBoundingClientRect());
        return {
          id: f.getAttribute("data-panel"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: marks.length,
          visibleMarks: marks.filter((b) => b.width > 0 && b.height > 0).length,
        };
      }),
    );
    expect(charts.map((c) => c.id).sort()).toEqual(
      [
        "documents-daily",
        "documents-country",
        "documents-device",
        "documents-referrer",
        "qr-daily",
        "qr-country",
        "qr-device",
        "qr-hour",
        "traffic-daily",
        "traffic-referrers",
        "traffic-bot-share",
        "health-errors-daily",
      ].sort(),
    );
    for (const c of charts) {
      expect(c).toEqual(expect.objectContaining({ id: c.id, width: expect.any(Number), height: expect.any(Number) }));
      expect(c.width * c.height).toBeGreaterThan(0);
      expect(c.marks).toBeGreaterThan(0);
      expect(c.visibleMarks).toBe(c.marks);
    }
    expect(await page.locator(".empty").count()).toBe(0);
  });

  async function bars(id: string): Promise<{ label: string; value: number; text: string }[]> {
    return page.evaluate(
      (panel) =>
        [...document.querySelectorAll(`[data-panel="${panel}"] rect.bar`)].map((r) => ({
          label: r.getAttribute("data-label") ?? "",
          value: Number(r.getAttribute("data-value")),
          text: r.nextElementSibling?.textContent ?? "",
        })),
      id,
    );
  }

  async function table(id: string): Promise<Row[]> {
    return page.evaluate(
      (panel) =>
        [...document.querySelectorAll(`[data-panel="${panel}"] tbody tr`)].map((tr) =>
          Object.fromEntries(
            [...tr.querySelectorAll("td")].map((td) => {
              const v = td.getAttribute("data-value") ?? "";
              return [td.getAttribute("data-col") ?? "", td.classList.contains("num") ? Number(v) : v];
            }),
          ),
        ),
      id,
    );
  }

  async function points(id: string): Promise<Row[]> {
    return page.evaluate(
      (panel) =>
        [...document.querySelectorAll(`[data-panel="${panel}"] circle.point`)].map((c) => ({
          series: c.getAttribute("data-series") ?? "",
          day: c.getAttribute("data-label") ?? "",
          value: Number(c.getAttribute("data-value")),
        })),
      id,
    );
  }

  const shown = (v: number) => v.toLocaleString("en-US");

  it("shows the true headline numbers", async () => {
    const kpis = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll("[data-kpi]")].map((k) => [
          k.getAttribute("data-kpi"),
          { value: Number(k.getAttribute("data-value")), text: k.querySelector(".kpi-value")?.textContent },
        ]),
      ),
    );
    const q = truth.queries;
    const expected: Record<string, number> = {
      "documents-completed": total(q.documents_daily ?? [], "completed_downloads"),
      "documents-requests": total(q.documents_daily ?? [], "requests"),
      "qr-scans": total(q.qr_daily ?? [], "scans"),
      "qr-converted": total(q.qr_conversion ?? [], "converted_scans"),
      "traffic-page-views": total(q.traffic_daily ?? [], "page_views"),
      "traffic-visitors": total(q.traffic_daily ?? [], "visitors"),
      "health-error-records": truth.malformed,
    };
    for (const [id, value] of Object.entries(expected)) {
      expect({ id, ...kpis[id] }).toEqual({ id, value, text: shown(value) });
    }
  });

  it("Documents: daily series, top documents, country and device breakdowns are the true counts", async () => {
    const q = truth.queries;
    expect(await table("documents-top")).toEqual((q.documents_top ?? []).slice(0, 20));
    const byCountry = await bars("documents-country");
    expect(byCountry.map(({ label, value }) => ({ label, value }))).toEqual(
      expectedBars(q.documents_by_country ?? [], "country", "completed_downloads"),
    );
    expect(byCountry.every((b) => b.text === shown(b.value))).toBe(true);
    expect((await bars("documents-device")).map(({ label, value }) => ({ label, value }))).toEqual(
      expectedBars(q.documents_by_device ?? [], "device_class", "completed_downloads"),
    );
    const daily = await points("documents-daily");
    const nonZero = daily.filter((p) => p.value !== 0);
    expect(nonZero.sort((a, b) => (`${a.day}${a.series}` < `${b.day}${b.series}` ? -1 : 1))).toEqual(
      (q.documents_daily ?? [])
        .filter((r) => r.completed_downloads !== 0)
        .map((r) => ({ series: r.document_id, day: r.day, value: r.completed_downloads })),
    );
  });

  it("QR scans: daily series, top codes, country, device, hour of day and conversion are the true counts", async () => {
    const q = truth.queries;
    const daily = await points("qr-daily");
    expect(total(daily, "value")).toBe(total(q.qr_daily ?? [], "scans"));
    for (const r of q.qr_daily ?? []) {
      expect(daily.find((p) => p.day === r.day && p.series === r.qr_code)?.value).toBe(r.scans);
    }
    const top = expectedBars(q.qr_daily ?? [], "qr_code", "scans");
    expect((await table("qr-top")).map((r) => ({ label: r.qr_code, value: r.scans }))).toEqual(top);
    expect((await bars("qr-country")).map(({ label, value }) => ({ label, value }))).toEqual(
      expectedBars(q.qr_by_country ?? [], "country", "scans"),
    );
    expect((await bars("qr-device")).map(({ label, value }) => ({ label, value }))).toEqual(
      expectedBars(q.qr_by_device ?? [], "device_class", "scans"),
    );
    const hours = await bars("qr-hour");
    expect(hours).toHaveLength(24);
    expect(hours.map((h) => h.value)).toEqual(
      Array.from({ length: 24 }, (_, h) => Number((q.qr_by_hour ?? []).find((r) => r.hour_utc === h)?.scans ?? 0)),
    );
    expect(await table("qr-conversion")).toEqual(q.qr_conversion);
  });

  it("Traffic and pipeline health: top pages, daily page views and error records are the true counts", async () => {
    const q = truth.queries;
    expect(await table("traffic-top-pages")).toEqual((q.traffic_top_pages ?? []).slice(0, 20));
    const daily = await points("traffic-daily");
    expect(daily.filter((p) => p.series === "Page views").map((p) => ({ day: p.day, page_views: p.value }))).toEqual(
      (q.traffic_daily ?? []).map((r) => ({ day: r.day, page_views: r.page_views })),
    );
    expect((await bars("health-errors-daily")).map((b) => b.value).reduce((a, b) => a + b, 0)).toBe(truth.malformed);
  });
});
