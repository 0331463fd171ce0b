import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runInNewContext } from "node:vm";
import { buildPdf, documentPdf } from "../../scripts/site-pdfs";
import { DIRECTORY_INDEX_FUNCTION } from "../../stacks/constructs/site-distribution";
import {
  CONTENT_TYPES,
  configScript,
  DOCUMENTS_MARKER,
  md5,
  QR_CODES_MARKER,
  qrLandingPage,
  qrTargetUrl,
  readCatalog,
  SITE_DIR,
  type SiteObject,
  siteObjects,
} from "../../stacks/site-manifest";

const catalog = readCatalog();
const objects = siteObjects();
const byKey = new Map(objects.map((o) => [o.key, o]));

function body(o: SiteObject): string {
  return o.content ?? readFileSync(path.join(SITE_DIR, o.sourceFile as string), "utf8");
}

/** The viewer-request function CloudFront runs, executed as CloudFront would: `handler(event)` returns the request. */
function rewrite(uri: string): string {
  const context: { handler?: (e: unknown) => { uri: string } } = {};
  runInNewContext(readFileSync(DIRECTORY_INDEX_FUNCTION, "utf8"), context);
  return (context.handler as (e: unknown) => { uri: string })({ request: { uri, method: "GET", querystring: {}, headers: {} } }).uri;
}

/** The S3 key CloudFront asks for, for a link on the site (query dropped, folder paths get index.html, "/" the root object). */
function keyFor(href: string): string {
  return rewrite(href.split("?")[0] as string).slice(1);
}

/** Slots another component fills (the usage API's counter script). */
const FILLED_BY_OTHERS = new Set(["assets/usage-counter.js"]);

describe("sample site", () => {
  it("has the product page, about, docs index, 404 page, stylesheet, every document and every QR page", () => {
    for (const key of ["index.html", "about.html", "docs/index.html", "404.html", "assets/site.css", "config.js"])
      expect(byKey.has(key)).toBe(true);
    for (const d of catalog.documents) expect(byKey.get(`docs/${d.id}.pdf`)?.contentType).toBe("application/pdf");
    for (const q of catalog.qrCodes) expect(byKey.get(`qr/${q.code}`)?.contentType).toBe("text/html; charset=utf-8");
  });

  it("gives every object the content type of its extension and its MD5 as etag", () => {
    for (const o of objects) {
      if (!o.key.startsWith("qr/")) expect(o.contentType).toBe(CONTENT_TYPES[path.extname(o.key)]);
      const bytes = o.content !== undefined ? Buffer.from(o.content, "utf8") : readFileSync(path.join(SITE_DIR, o.sourceFile as string));
      expect(o.etag).toBe(md5(bytes));
    }
  });

  it("renders the documents and QR lists from the catalog into the pages", () => {
    for (const key of ["index.html", "docs/index.html"]) {
      const html = body(byKey.get(key) as SiteObject);
      expect(html).not.toContain(DOCUMENTS_MARKER);
      for (const d of catalog.documents) expect(html).toContain(`<a href="/docs/${d.id}.pdf">${d.title}</a>`);
    }
    const index = body(byKey.get("index.html") as SiteObject);
    expect(index).not.toContain(QR_CODES_MARKER);
    for (const q of catalog.qrCodes) expect(index).toContain(`href="/qr/${q.code}"`);
  });

  it("every link, script and stylesheet on every page resolves to a site object", () => {
    const broken: string[] = [];
    for (const o of objects.filter((x) => x.contentType.startsWith("text/html"))) {
      for (const m of body(o).matchAll(/(?:href|src)="([^"]+)"|url=([^"]+)"/g)) {
        const ref = (m[1] ?? m[2] ?? "").replace(/&amp;/g, "&");
        if (/^https?:/.test(ref)) continue;
        const key = keyFor(ref);
        if (!byKey.has(key) && !FILLED_BY_OTHERS.has(key)) broken.push(`${o.key} -> ${ref}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("loads config.js before the usage counter script and has the counter element on the product page", () => {
    const index = body(byKey.get("index.html") as SiteObject);
    const config = index.indexOf('<script src="/config.js"></script>');
    const counter = index.indexOf('<script src="/assets/usage-counter.js" defer></script>');
    expect(config).toBeGreaterThan(0);
    expect(counter).toBeGreaterThan(config);
    expect(index).toMatch(/<span data-usage-counter><\/span>/);
  });

  it("needs nothing the CSP forbids: no inline scripts, styles or event handlers, no third-party resources", () => {
    for (const o of objects.filter((x) => x.contentType.startsWith("text/html"))) {
      const html = body(o);
      expect({ key: o.key, inlineScript: /<script(?![^>]*\ssrc=)[^>]*>/i.test(html) }).toEqual({ key: o.key, inlineScript: false });
      expect({ key: o.key, style: /<style|\sstyle=/i.test(html) }).toEqual({ key: o.key, style: false });
      expect({ key: o.key, handler: /\son[a-z]+=/i.test(html) }).toEqual({ key: o.key, handler: false });
      expect({ key: o.key, external: /(?:src|href)="(?:https?:)?\/\//i.test(html) }).toEqual({ key: o.key, external: false });
    }
  });

  it("config.js carries the usage API URL, or null", () => {
    expect(configScript()).toBe('window.ANALYTICS_CONFIG = {"usageApiUrl":null};\n');
    const ctx: { window: { ANALYTICS_CONFIG?: { usageApiUrl: string | null } } } = { window: {} };
    runInNewContext(configScript("/api"), ctx);
    expect(ctx.window.ANALYTICS_CONFIG).toEqual({ usageApiUrl: "/api" });
  });

  it("QR landing pages send the visitor on to their target, marked src=qr with the code", () => {
    const booth = catalog.qrCodes.find((q) => q.code === "booth-berlin");
    expect(booth).toBeDefined();
    const q = booth as (typeof catalog.qrCodes)[number];
    expect(qrTargetUrl(q)).toBe("/docs/product-guide.pdf?src=qr&code=booth-berlin");
    const html = body(byKey.get("qr/booth-berlin") as SiteObject);
    expect(html).toContain('<meta http-equiv="refresh" content="0; url=/docs/product-guide.pdf?src=qr&#38;code=booth-berlin">');
    expect(html).toContain('<a href="/docs/product-guide.pdf?src=qr&#38;code=booth-berlin">Continue</a>');
    expect(qrLandingPage({ code: "x", label: "<b>&", target: "/" })).toContain("<title>&#60;b&#62;&#38;</title>");
  });

  it("rewrites folder paths to index.html and leaves files alone", () => {
    expect(rewrite("/docs/")).toBe("/docs/index.html");
    expect(rewrite("/")).toBe("/index.html");
    expect(rewrite("/qr/flyer-spring")).toBe("/qr/flyer-spring");
    expect(rewrite("/docs/datasheet.pdf")).toBe("/docs/datasheet.pdf");
  });

  describe("bad input stops synth with a clear error", () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    function site(files: Record<string, string>): string {
      const dir = mkdtempSync(path.join(tmpdir(), "site-"));
      dirs.push(dir);
      writeFileSync(
        path.join(dir, "catalog.json"),
        JSON.stringify({ documents: [{ id: "a", title: "A", bytes: 1 }], qrCodes: [], pages: [] }),
      );
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      }
      return dir;
    }

    it("a file with an unknown extension", () => {
      expect(() => siteObjects({ siteDir: site({ "docs/a.pdf": "%PDF", "notes.md": "#" }) })).toThrow(
        /site\/notes\.md: no content type for extension "\.md"/,
      );
    });

    it("a catalog document without its PDF", () => {
      expect(() => siteObjects({ siteDir: site({}) })).toThrow(/document "a" has no file site\/docs\/a\.pdf/);
    });

    it("a config.js file, which is generated", () => {
      expect(() => siteObjects({ siteDir: site({ "docs/a.pdf": "%PDF", "config.js": "" }) })).toThrow(/config\.js is generated at deploy/);
    });
  });
});

describe("sample documents", () => {
  it.each(catalog.documents.map((d) => [d.id, d] as const))("%s.pdf is current, its size is in the catalog", (_id, doc) => {
    const file = readFileSync(path.join(SITE_DIR, "docs", `${doc.id}.pdf`));
    expect(file.equals(documentPdf(doc))).toBe(true); // regenerate with `npx tsx scripts/site-pdfs.ts`
    expect(doc.bytes).toBe(file.length);
  });

  it("writes a PDF whose cross-reference table points at every object", () => {
    const pdf = buildPdf("Title (with parens)", ["line one", "back\\slash"]).toString("latin1");
    expect(pdf.startsWith("%PDF-1.4\n")).toBe(true);
    expect(pdf.endsWith("%%EOF\n")).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(pdf)?.[1]);
    expect(pdf.slice(startxref, startxref + 5)).toBe("xref\n");
    const entries = [...pdf.slice(startxref).matchAll(/^(\d{10}) 00000 n\r$/gm)].map((m) => Number(m[1]));
    expect(entries).toHaveLength(6);
    entries.forEach((offset, i) => {
      expect(pdf.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`);
    });
    const length = Number(/\/Length (\d+) >>\nstream\n/.exec(pdf)?.[1]);
    const streamStart = pdf.indexOf("stream\n") + "stream\n".length;
    expect(pdf.slice(streamStart + length, streamStart + length + "\nendstream".length)).toBe("\nendstream");
    expect(pdf).toContain("(Title \\(with parens\\)) Tj");
    expect(() => buildPdf("caf\u00e9", [])).toThrow(/printable ASCII/);
  });
});
