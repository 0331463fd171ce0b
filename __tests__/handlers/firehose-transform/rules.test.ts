/**
 * The transform's configuration and rules: validation that names the key,
 * the environment config's `transform` section, classification and drop
 * rules, and the privacy helpers (visitor id, IP prefix).
 */

import { parseConfig } from "../../../config/load";
import { type RequestFacts, Rules } from "../../../handlers/firehose-transform/classify";
import { ipPrefix, VisitorIds } from "../../../handlers/firehose-transform/privacy";
import {
  CATALOG_DOCUMENTS,
  DEFAULT_CLASSIFICATION,
  DEFAULT_TRANSFORM_CONFIG,
  documentIdOf,
  TransformConfigSchema,
} from "../../../schemas/transform-config";
import catalog from "../../../site/catalog.json";
import { line } from "../../helpers/cloudfront-lines";
import { BASE_CONFIG as base, problemsOf } from "../../helpers/config";
import { processor, rowOf } from "./load";

function facts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    path: "/",
    query: new URLSearchParams(),
    method: "GET",
    status: 200,
    contentType: "text/html",
    userAgent: "Mozilla/5.0",
    host: "www.example.com",
    referrer: null,
    ...overrides,
  };
}

describe("transform configuration", () => {
  it("the defaults fit the sample site and take document sizes from site/catalog.json", () => {
    expect(TransformConfigSchema.parse({})).toEqual(DEFAULT_TRANSFORM_CONFIG);
    const known = catalog.documents.filter((d) => d.bytes > 0);
    expect(DEFAULT_TRANSFORM_CONFIG.documentSizes).toEqual(Object.fromEntries(known.map((d) => [`docs/${d.id}`, d.bytes])));
    expect(DEFAULT_TRANSFORM_CONFIG.privacy.storeIpPrefix).toBe(false);
  });

  it("the environment config has a transform section with the defaults, and overriding one key keeps the others", () => {
    expect(parseConfig(base).transform).toEqual(DEFAULT_TRANSFORM_CONFIG);
    const custom = parseConfig({ ...base, transform: { dropRules: [] } }).transform;
    expect(custom.dropRules).toEqual([]);
    expect(custom.classification).toEqual(DEFAULT_CLASSIFICATION);
  });

  it.each([
    [
      { classification: [{ name: "x", eventType: "page_view", path: "([" }] },
      /^transform\.classification\.0\.path: not a valid regular expression/,
    ],
    [{ classification: [{ name: "x", eventType: "click" }] }, /^transform\.classification\.0\.eventType: /],
    [{ dropRules: [{ name: "x", status: ["6xx"] }] }, /^transform\.dropRules\.0\.status\.0: /],
    [{ dropRules: [{ name: "x", paht: "^/" }] }, /^transform\.dropRules\.0\.paht: unknown key$/],
    [{ dropRules: [{ name: "x", method: ["get"] }] }, /^transform\.dropRules\.0\.method\.0: an HTTP method in upper case/],
    [{ documentSizes: { guide: -1 } }, /^transform\.documentSizes\.guide: /],
    [{ privacy: { storeIpPrefix: "yes" } }, /^transform\.privacy\.storeIpPrefix: /],
    [{ bots: { datacenterAsns: [0] } }, /^transform\.bots\.datacenterAsns\.0: /],
    [{ geoip: { databases: [] } }, /^transform\.geoip\.databases: /],
  ])("rejects a bad transform value, naming the key (%#)", (transform, message) => {
    expect(problemsOf({ ...base, transform })).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it("createProcessor rejects a bad config naming the key, and a missing or placeholder visitor key", async () => {
    await expect(processor({ config: { privacy: { storeIpPrefix: "yes" as never } } })).rejects.toThrow(
      /transform\.privacy\.storeIpPrefix: /,
    );
    await expect(processor({ visitorIdKey: "short" })).rejects.toThrow(/at least 16 characters/);
    await expect(processor({ visitorIdKey: "placeholder: set with aws ssm put-parameter --overwrite" })).rejects.toThrow(/placeholder/);
  });
});

describe("classification rules", () => {
  const rules = new Rules(DEFAULT_TRANSFORM_CONFIG);
  const typeOf = (f: Partial<RequestFacts>) => rules.classify(facts(f)).eventType;

  it.each([
    ["/", "page_view"],
    ["/index.html", "page_view"],
    ["/about.html", "page_view"],
    ["/docs/", "page_view"],
    ["/docs/product-guide.pdf", "document_download"],
    ["/qr/packaging-insert", "qr_scan"],
    ["/assets/site.css", "asset"],
    ["/favicon.ico", "asset"],
    ["/images/logo.PNG", "asset"],
    ["/api/views", "api_call"],
    ["/robots.txt", "other"],
    ["/wp-login.php", "other"],
  ])("%s is %s", (path, type) => {
    expect(typeOf({ path, contentType: null })).toBe(type);
  });

  const PDF = "application/pdf";
  const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  /** URL shapes of real sites: [path, query, status, content type, same-host referrer path] -> [type, document id, QR code]. */
  const REAL_WORLD: [string, string, number, string | null, string | null, string, string | null, string | null][] = [
    // Documents wherever they live, found by extension (any case) or by the response's content type.
    ["/docs/product-guide.pdf", "", 200, PDF, null, "document_download", "docs/product-guide", null],
    [
      "/wp-content/uploads/2024/03/Datasheet-X200.pdf",
      "",
      200,
      PDF,
      null,
      "document_download",
      "wp-content/uploads/2024/03/Datasheet-X200",
      null,
    ],
    [
      "/sites/default/files/Annual Report 2025.PDF",
      "",
      200,
      "binary/octet-stream",
      null,
      "document_download",
      "sites/default/files/Annual Report 2025",
      null,
    ],
    ["/manual.pdf", "utm_source=newsletter&utm_medium=email", 206, PDF, null, "document_download", "manual", null],
    ["/en/support/manuals/installation.pdf", "", 304, null, null, "document_download", "en/support/manuals/installation", null],
    ["/de/support/manuals/installation.pdf", "", 200, PDF, null, "document_download", "de/support/manuals/installation", null],
    ["/downloads/price-list.xlsx", "", 200, "application/octet-stream", null, "document_download", "downloads/price-list", null],
    ["/files/contract-template.DOCX", "", 200, DOCX, null, "document_download", "files/contract-template", null],
    ["/press/kit.zip", "", 200, "application/zip", null, "document_download", "press/kit", null],
    ["/books/guide.epub", "", 200, "application/epub+zip", null, "document_download", "books/guide", null],
    ["/slides/keynote.pptx", "", 200, null, null, "document_download", "slides/keynote", null],
    ["/download.php", "id=42", 200, `${PDF}; charset=binary`, null, "document_download", "download", null],
    ["/files/report", "", 200, DOCX, null, "document_download", "files/report", null],
    ["/media/spec-sheet/", "", 200, PDF, null, "document_download", "media/spec-sheet", null],
    // Not a download: an error or a redirect, or a file type that is not a document.
    ["/docs/missing.pdf", "", 404, "text/html", null, "other", null, null],
    ["/old/brochure.pdf", "", 301, null, null, "other", null, null],
    ["/robots.txt", "", 200, "text/plain", null, "other", null, null],
    ["/feed.xml", "", 200, "application/rss+xml", null, "other", null, null],
    ["/pdf-viewer.js", "", 200, "text/javascript", null, "asset", null, null],
    ["/docs/pdf/", "", 200, "text/html", null, "page_view", null, null],
    // QR landing pages: trailing slash, index.html, .html, case; a redirect is not the scan (the page it leads to is).
    ["/qr/flyer-spring", "", 200, "text/html", null, "qr_scan", null, "flyer-spring"],
    ["/qr/flyer-spring/", "", 200, "text/html", null, "qr_scan", null, "flyer-spring"],
    ["/qr/flyer-spring/index.html", "", 200, "text/html", null, "qr_scan", null, "flyer-spring"],
    ["/QR/booth-berlin.html", "utm_source=fair", 304, null, null, "qr_scan", null, "booth-berlin"],
    ["/qr/flyer-spring", "", 301, null, null, "other", null, null],
    ["/qr/", "", 200, "text/html", null, "page_view", null, null],
    // QR parameters on any URL (any case), unless the viewer came from a QR landing page on the same host.
    ["/", "src=qr&code=flyer-spring", 200, "text/html", null, "qr_scan", null, "flyer-spring"],
    ["/products/x200/", "utm_source=print&src=QR&code=packaging-insert", 200, "text/html", null, "qr_scan", null, "packaging-insert"],
    ["/docs/product-guide.pdf", "src=qr&code=booth-berlin", 200, PDF, null, "qr_scan", null, "booth-berlin"],
    ["/docs/product-guide.pdf", "src=qr&code=booth-berlin", 206, PDF, "/qr/booth-berlin/", "document_download", "docs/product-guide", null],
    ["/", "src=qr&code=", 200, "text/html", null, "page_view", null, null],
    // Pages: directories with or without a trailing slash, index.html at any depth, query strings, case.
    ["/", "", 200, "text/html", null, "page_view", null, null],
    ["/blog/2025/06/hello-world/", "utm_source=x", 200, "text/html; charset=utf-8", null, "page_view", null, null],
    ["/blog/2025/06/hello-world/index.html", "", 304, null, null, "page_view", null, null],
    ["/About.HTML", "", 200, null, null, "page_view", null, null],
    ["/legacy/page.htm", "", 200, null, null, "page_view", null, null],
    ["/pricing", "ref=nav", 200, "text/html", null, "page_view", null, null],
    ["/pricing", "", 304, null, null, "page_view", null, null],
    ["/pricing", "", 302, "text/html", null, "other", null, null],
    ["/wp-login.php", "", 404, "text/html", null, "other", null, null],
    ["/api/usage/product", "", 200, "application/json", null, "api_call", null, null],
  ];

  it.each(REAL_WORLD)(
    "real site: %s ?%s %d %s (from %s) is %s, document %s, QR %s",
    (path, q, status, contentType, from, type, documentId, qrCode) => {
      const referrer = from === null ? null : new URL(`https://www.example.com${from}`);
      expect(rules.classify(facts({ path, query: new URLSearchParams(q), status, contentType, referrer }))).toMatchObject({
        eventType: type,
        documentId,
        qrCode,
      });
    },
  );

  it("every document and QR code of the sample site is recognised with its catalog id and a known size", () => {
    for (const d of CATALOG_DOCUMENTS) {
      expect(rules.classify(facts({ path: d.path, contentType: "application/pdf" }))).toMatchObject({
        eventType: "document_download",
        documentId: d.documentId,
      });
      expect(DEFAULT_TRANSFORM_CONFIG.documentSizes[d.documentId]).toBe(d.bytes);
    }
    for (const q of catalog.qrCodes) expect(rules.classify(facts({ path: `/qr/${q.code}` })).qrCode).toBe(q.code);
  });

  it("documentIdOf gives the id of the default rules: the path without its slash and extension, case kept", () => {
    expect(documentIdOf("/Files/Q3 Report.Pdf")).toBe("Files/Q3 Report");
    expect(documentIdOf("/a.b/c.v2.docx")).toBe("a.b/c.v2");
    expect(documentIdOf("/docs/")).toBeNull();
    expect(documentIdOf("/.pdf")).toBeNull();
    expect(documentIdOf("/notes.txt")).toBeNull();
  });

  it("a percent-encoded path in the log gives a readable id (handler, real log line)", async () => {
    const p = await processor({ geoDatabase: false });
    const data = Buffer.from(
      line({ "cs-uri-stem": "/Downloads/Jahresbericht 2025 (final).PDF", "sc-content-type": "application/octet-stream" }),
    ).toString("base64");
    expect(line({ "cs-uri-stem": "/a b.pdf" })).toContain("/a%20b.pdf");
    const out = p.processRecords([{ recordId: "1", data }]).records[0];
    expect(out?.metadata?.partitionKeys.event_type).toBe("document_download");
    expect(rowOf(out).document_id).toBe("Downloads/Jahresbericht 2025 (final)");
  });

  it("an HTML response on an unknown path is a page view (content-type rule)", () => {
    expect(typeOf({ path: "/pricing", contentType: "text/html; charset=utf-8" })).toBe("page_view");
    expect(typeOf({ path: "/pricing", contentType: "application/json" })).toBe("other");
  });

  it("a page is viewed when served or revalidated, not when it errs or redirects", () => {
    expect(typeOf({ path: "/index.html", status: 304 })).toBe("page_view");
    expect(typeOf({ path: "/about.html", status: 404 })).toBe("other");
    expect(typeOf({ path: "/missing", status: 404, contentType: "text/html" })).toBe("other");
    expect(typeOf({ path: "/docs", status: 301, contentType: "text/html" })).toBe("other");
  });

  it("ids come from path groups and query parameters", () => {
    expect(rules.classify(facts({ path: "/docs/price-list.pdf" }))).toMatchObject({
      documentId: "docs/price-list",
      qrCode: null,
      rule: "document",
    });
    expect(rules.classify(facts({ path: "/", query: new URLSearchParams("src=qr&code=flyer-spring") }))).toMatchObject({
      eventType: "qr_scan",
      qrCode: "flyer-spring",
      rule: "qr-query",
    });
  });

  it("the link on from a QR landing page on the same host is not a second scan; one from another host is", () => {
    const query = new URLSearchParams("src=qr&code=booth-berlin");
    expect(typeOf({ path: "/", query, referrer: new URL("https://www.example.com/qr/booth-berlin") })).toBe("page_view");
    expect(typeOf({ path: "/", query, referrer: new URL("https://evil.example.net/qr/booth-berlin") })).toBe("qr_scan");
  });

  it("every condition of a rule must hold: method, status class, content type, user agent, query regex in full", () => {
    const custom = new Rules(
      TransformConfigSchema.parse({
        classification: [
          { name: "errors", eventType: "other", status: ["5xx", 404] },
          { name: "api-post", eventType: "api_call", method: ["POST"], path: "^/v1/" },
          { name: "json", eventType: "api_call", contentType: "^application/json" },
          { name: "ref", eventType: "page_view", query: { ref: "ab+" } },
          { name: "app", eventType: "page_view", userAgent: "MyApp/" },
        ],
      }),
    );
    const classify = (f: Partial<RequestFacts>) => custom.classify(facts({ contentType: null, ...f })).rule;
    expect(classify({ status: 503 })).toBe("errors");
    expect(classify({ status: 404 })).toBe("errors");
    expect(classify({ status: 403 })).toBeNull();
    expect(classify({ method: "POST", path: "/v1/x" })).toBe("api-post");
    expect(classify({ method: "GET", path: "/v1/x" })).toBeNull();
    expect(classify({ contentType: "Application/JSON" })).toBe("json");
    expect(classify({ query: new URLSearchParams("ref=abbb") })).toBe("ref");
    expect(classify({ query: new URLSearchParams("ref=xabb") })).toBeNull();
    expect(classify({ userAgent: "MyApp/2.1" })).toBe("app");
    expect(custom.classify(facts({ contentType: null })).eventType).toBe("other");
  });

  it("a configured rule changes what the handler emits", async () => {
    const p = await processor({
      config: {
        classification: [{ name: "pricing", eventType: "page_view", path: "^/pricing$" }],
        dropRules: [{ name: "probe", userAgent: "^probe/" }],
      },
    });
    const data = (l: string) => ({ recordId: l, data: Buffer.from(l).toString("base64") });
    const { records, stats } = p.processRecords([
      data(line({ "cs-uri-stem": "/pricing", "sc-content-type": "application/octet-stream" })),
      data(line({ "cs-uri-stem": "/index.html" })),
      data(line({ "cs-uri-stem": "/index.html", "cs-user-agent": "probe/1.0" })),
    ]);
    expect(records.map((r) => r.metadata?.partitionKeys.event_type ?? r.result)).toEqual(["page_view", "other", "Dropped"]);
    expect(stats.droppedByRule).toEqual({ probe: 1 });
  });
});

describe("privacy", () => {
  const ids = new VisitorIds("a-secret-key-of-some-length");

  it("the visitor id is stable within a UTC day and changes with the day, the key, the IP and the user agent", () => {
    const id = ids.id("203.0.113.7", "UA", "2025-06-01");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.id("203.0.113.7", "UA", "2025-06-01")).toBe(id);
    expect(ids.id("203.0.113.7", "UA", "2025-06-02")).not.toBe(id);
    expect(new VisitorIds("another-secret-key-here").id("203.0.113.7", "UA", "2025-06-01")).not.toBe(id);
    expect(ids.id("203.0.113.8", "UA", "2025-06-01")).not.toBe(id);
    expect(ids.id("203.0.113.7", "UA2", "2025-06-01")).not.toBe(id);
    // ("a", "bc") and ("ab", "c") stay apart, even with separators in the values.
    expect(ids.id("a", "bc", "2025-06-01")).not.toBe(ids.id("ab", "c", "2025-06-01"));
    expect(ids.id("a\u0000b", "c", "2025-06-01")).not.toBe(ids.id("a", "b\u0000c", "2025-06-01"));
    // Cached ids are the ids a fresh instance computes.
    expect(new VisitorIds("a-secret-key-of-some-length").id("203.0.113.7", "UA", "2025-06-01")).toBe(id);
  });

  it("ids stay the same when the bounded cache is cleared by a flood of distinct visitors", () => {
    const flooded = new VisitorIds("a-secret-key-of-some-length");
    const before = flooded.id("203.0.113.7", "UA", "2025-06-01");
    // More distinct visitors than the cache holds (20,000), on two days, forces at least one clear.
    for (let i = 0; i < 20_500; i++) flooded.id(`10.0.${i >> 8}.${i & 255}`, "UA", i % 2 ? "2025-06-01" : "2025-06-02");
    expect(flooded.id("203.0.113.7", "UA", "2025-06-01")).toBe(before);
    expect(flooded.id("10.0.0.1", "UA", "2025-06-01")).toBe(
      new VisitorIds("a-secret-key-of-some-length").id("10.0.0.1", "UA", "2025-06-01"),
    );
  });

  it.each([
    ["203.0.113.77", "203.0.113.0/24"],
    ["::ffff:203.0.113.77", "203.0.113.0/24"],
    ["2001:db8:abcd:12::1", "2001:db8:abcd::/48"],
    ["2001:db8::1", "2001:db8:0::/48"],
    ["::1", "0:0:0::/48"],
    ["2001:db8:1:2:3:4:1.2.3.4", "2001:db8:1::/48"],
    ["not-an-ip", null],
    [null, null],
  ])("ip prefix of %s is %s", (ip, prefix) => {
    expect(ipPrefix(ip)).toBe(prefix);
  });

  it("the handler writes the prefix only when the config opts in", async () => {
    const data = Buffer.from(line({ "c-ip": "203.0.113.77" })).toString("base64");
    const off = await processor({ geoDatabase: false });
    const on = await processor({ geoDatabase: false, config: { privacy: { storeIpPrefix: true } } });
    expect(rowOf(off.processRecords([{ recordId: "1", data }]).records[0]).ip_prefix).toBeNull();
    expect(rowOf(on.processRecords([{ recordId: "1", data }]).records[0]).ip_prefix).toBe("203.0.113.0/24");
  });
});
