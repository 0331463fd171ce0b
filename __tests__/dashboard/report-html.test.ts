/**
 * The report's HTML, without a browser: what the page may contain (nothing that
 * loads), how values are escaped and shown, and how query rows become charts.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { aggregate, buildReport, daysBetween, MAX_BARS } from "../../local/dashboard";
import { escapeHtml, formatNumber, renderReportHtml } from "../../local/report-html";
import { CATALOGUE, findMetric } from "../../queries/catalogue";
import { QUERIES } from "../../queries/dashboards";

const emptyResults = Object.fromEntries(QUERIES.map((q) => [q.id, []]));

describe("report HTML", () => {
  it("escapes labels, so a hostile referrer cannot inject markup or a request", () => {
    const results = {
      ...emptyResults,
      traffic_referrers: [{ referrer_host: '<img src="https://evil.example/x.png">', page_views: 3 }],
    };
    const html = renderReportHtml(buildReport(results, { from: "2025-06-01", to: "2025-06-02" }));
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=&quot;https://evil.example/x.png&quot;&gt;");
  });

  it("has no script, stylesheet link, image or font URL, and a CSP that forbids loading anything", () => {
    const html = renderReportHtml(buildReport(emptyResults, { from: "2025-06-01", to: "2025-06-01" }));
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|@font-face/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it("says 'No data' for an empty panel instead of drawing an empty chart", () => {
    const html = renderReportHtml(buildReport(emptyResults, { from: "2025-06-01", to: "2025-06-01" }));
    expect(html).toContain('data-empty="documents-country"');
    expect(html).toContain('data-empty="qr-conversion"');
  });

  it("formats numbers as shown on the page", () => {
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(0.3789, true)).toBe("37.9%");
    expect(formatNumber(2.5)).toBe("2.50");
    expect(escapeHtml(`a&b"'`)).toBe("a&amp;b&quot;&#39;");
  });
});

describe("report model", () => {
  it("sums a breakdown over documents, largest first, ties by label", () => {
    const rows = [
      { document_id: "a", country: "DE", completed_downloads: 2 },
      { document_id: "b", country: "DE", completed_downloads: 3 },
      { document_id: "a", country: "US", completed_downloads: 5 },
      { document_id: "a", country: "FR", completed_downloads: 5 },
    ];
    expect(aggregate(findMetric(CATALOGUE, "documents_by_country"), rows, ["country"], ["completed_downloads"])).toEqual([
      { country: "DE", completed_downloads: 5 },
      { country: "FR", completed_downloads: 5 },
      { country: "US", completed_downloads: 5 },
    ]);
  });

  it("recomputes a ratio from the sums of its parts when it groups rows, and keeps the query's value for one row", () => {
    const conversion = findMetric(CATALOGUE, "qr_conversion");
    const rows = [
      { qr_code: "a", scans: 1, converted_scans: 1, conversion_rate: 1 },
      { qr_code: "a", scans: 3, converted_scans: 0, conversion_rate: 0 },
      { qr_code: "b", scans: 3, converted_scans: 1, conversion_rate: 0.3333 },
    ];
    expect(aggregate(conversion, rows, ["qr_code"], ["scans", "conversion_rate"])).toEqual([
      { qr_code: "a", scans: 4, conversion_rate: 0.25 },
      { qr_code: "b", scans: 3, conversion_rate: 0.3333 },
    ]);
  });

  it("draws every day of the window, with 0 where a day has no rows, and at most MAX_BARS bars", () => {
    expect(daysBetween("2025-06-30", "2025-07-02")).toEqual(["2025-06-30", "2025-07-01", "2025-07-02"]);
    const many = Array.from({ length: MAX_BARS + 5 }, (_, i) => ({ referrer_host: `r${i}.example`, page_views: i + 1 }));
    const model = buildReport(
      { ...emptyResults, traffic_daily: [{ day: "2025-06-02", page_views: 4, visitors: 2 }], traffic_referrers: many },
      { from: "2025-06-01", to: "2025-06-03" },
    );
    const traffic = model.sections.find((s) => s.id === "traffic");
    const daily = traffic?.panels.find((p) => p.id === "traffic-daily");
    expect(daily).toEqual(expect.objectContaining({ categories: ["2025-06-01", "2025-06-02", "2025-06-03"] }));
    expect(daily && "series" in daily ? daily.series[0]?.values : undefined).toEqual([0, 4, 0]);
    const referrers = traffic?.panels.find((p) => p.id === "traffic-referrers");
    expect(referrers && "items" in referrers ? referrers.items.length : 0).toBe(MAX_BARS);
  });
});

describe("npm run dashboard", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [require.resolve("tsx/cli"), path.resolve(__dirname, "../../local/dashboard.ts"), ...args], {
      encoding: "utf8",
    });

  it("fails with one clear line for a missing option or a missing lake", () => {
    const noOut = cli(["--lake", __dirname]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr.trim()).toBe("error: --out: required (the HTML file to write)");
    const noLake = cli(["--lake", "/nonexistent/lake", "--out", "/tmp/x.html"]);
    expect(noLake.status).toBe(2);
    expect(noLake.stderr.trim()).toBe("error: --lake: directory not found: /nonexistent/lake");
  });
});
