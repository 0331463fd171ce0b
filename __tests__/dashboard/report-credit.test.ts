/**
 * The DB-IP credit: the bundled GeoIP databases are CC BY 4.0, whose terms ask
 * for "IP Geolocation by DB-IP" with a link to https://db-ip.com wherever
 * locations derived from them are shown. The report's footer carries it when a
 * panel shows locations, and only then.
 */
import { buildReport } from "../../local/dashboard";
import { type ReportModel, renderReportHtml, showsLocations } from "../../local/report-html";
import { QUERIES } from "../../queries/dashboards";

const emptyResults = Object.fromEntries(QUERIES.map((q) => [q.id, []]));
const CREDIT =
  /<footer>[^<]*<span class="credit" data-credit="geoip">Locations: <a href="https:\/\/db-ip\.com">IP Geolocation by DB-IP<\/a> \(CC BY 4\.0\)\.<\/span><\/footer>/;

const model = (panels: ReportModel["sections"][number]["panels"]): ReportModel => ({
  title: "t",
  subtitle: "s",
  sections: [{ id: "x", title: "X", kpis: [], panels }],
});

describe("report footer: GeoIP credit", () => {
  it("the dashboard report, which shows downloads and scans by country, credits DB-IP with the link in its footer", () => {
    const report = buildReport(emptyResults, { from: "2025-06-01", to: "2025-06-01" });
    expect(showsLocations(report)).toBe(true);
    expect(renderReportHtml(report)).toMatch(CREDIT);
  });

  it("a bars panel about a GeoIP field, or a table with a city column, shows locations", () => {
    expect(showsLocations(model([{ kind: "bars", id: "qr-country", title: "Scans by country", items: [] }]))).toBe(true);
    expect(
      showsLocations(model([{ kind: "table", id: "top-places", title: "Places", columns: [{ name: "city", label: "City" }], rows: [] }])),
    ).toBe(true);
  });

  it("a report without locations carries no credit", () => {
    const noGeo = model([{ kind: "bars", id: "qr-device", title: "Scans by device class", items: [{ label: "mobile", value: 3 }] }]);
    expect(showsLocations(noGeo)).toBe(false);
    const html = renderReportHtml(noGeo);
    expect(html).toContain("<footer>");
    expect(html).not.toContain("db-ip.com");
  });
});
