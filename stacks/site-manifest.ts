/**
 * What the sample site deploys, computed from `site/` and its catalog, with no
 * cdktf in it so tests and local tools use the same answer: every file with
 * its content type (by extension), cache lifetime and content hash; the pages
 * whose document list is rendered from the catalog; the QR landing pages
 * (`qr/<code>`); and `config.js`, which carries deploy-time settings to the
 * page scripts.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { catalogDocumentPath } from "../schemas/transform-config";

export const SITE_DIR = path.resolve(__dirname, "..", "site");

/** Content types by file extension; a file with any other extension stops synth. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".pdf": "application/pdf",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".woff2": "font/woff2",
};

/** Files of site/ that are inputs to the build, not pages. */
export const NOT_DEPLOYED = new Set(["catalog.json"]);

/** HTML, QR pages and config.js change with a deploy: browsers revalidate after a minute. */
export const SHORT_CACHE = "public, max-age=60";
/** Documents, styles and scripts. */
export const LONG_CACHE = "public, max-age=86400";

export const CONFIG_SCRIPT_KEY = "config.js";

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and hyphens");

export const Catalog = z.object({
  documents: z.array(
    z.object({
      id: Slug,
      title: z.string().min(1),
      /** Size of site/docs/<id>.pdf in bytes. */
      bytes: z.number().int().min(0),
    }),
  ),
  qrCodes: z.array(
    z.object({
      code: Slug,
      label: z.string().min(1),
      /** Site path the landing page links on to. */
      target: z.string().regex(/^\/[^\s?#]*$/, "a site path starting with '/', without query"),
    }),
  ),
  pages: z.array(z.string()),
});
export type Catalog = z.infer<typeof Catalog>;

export function readCatalog(siteDir = SITE_DIR): Catalog {
  const file = path.join(siteDir, "catalog.json");
  const result = Catalog.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!result.success) {
    throw new Error(`${file}: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return result.data;
}

export interface SiteObject {
  /** S3 key, e.g. `docs/datasheet.pdf` or `qr/flyer-spring`. */
  readonly key: string;
  readonly contentType: string;
  readonly cacheControl: string;
  /** Path relative to the site directory when the object is a file deployed as is. */
  readonly sourceFile?: string;
  /** Generated or rendered body, when not deployed as is. */
  readonly content?: string;
  /** MD5 hex of the body: S3's ETag of an unencrypted or SSE-S3 single-part upload, so a change redeploys. */
  readonly etag: string;
}

export function md5(data: string | Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

export function contentTypeOf(key: string): string {
  const type = CONTENT_TYPES[path.extname(key).toLowerCase()];
  if (!type)
    throw new Error(`site/${key}: no content type for extension "${path.extname(key)}" (known: ${Object.keys(CONTENT_TYPES).join(" ")})`);
  return type;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Where a QR landing page sends the visitor: its target, marked as a QR visit. */
export function qrTargetUrl(qr: Catalog["qrCodes"][number]): string {
  return `${qr.target}?src=qr&code=${encodeURIComponent(qr.code)}`;
}

/** The landing page of one QR code, served at `/qr/<code>`. It moves on at once; the link is the fallback. */
export function qrLandingPage(qr: Catalog["qrCodes"][number]): string {
  const target = escapeHtml(qrTargetUrl(qr));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0; url=${target}">
<title>${escapeHtml(qr.label)}</title>
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<main>
<h1>${escapeHtml(qr.label)}</h1>
<p>Thanks for scanning. <a href="${target}">Continue</a></p>
</main>
</body>
</html>
`;
}

/** The `<li>` items of the documents list. */
export function documentList(catalog: Catalog): string {
  return catalog.documents
    .map((d) => {
      const size = d.bytes > 0 ? ` <span class="size">(${(d.bytes / 1024).toFixed(1)} KB)</span>` : "";
      return `<li><a href="${catalogDocumentPath(d.id)}">${escapeHtml(d.title)}</a>${size}</li>`;
    })
    .join("\n");
}

/** Placeholder in a page that the documents list replaces. */
export const DOCUMENTS_MARKER = "<!-- catalog:documents -->";
/** Placeholder in a page that the QR code list replaces. */
export const QR_CODES_MARKER = "<!-- catalog:qr-codes -->";

export function renderPage(html: string, catalog: Catalog): string {
  const qrList = catalog.qrCodes.map((q) => `<li><a href="/qr/${q.code}">${escapeHtml(q.label)}</a></li>`).join("\n");
  return html.split(DOCUMENTS_MARKER).join(documentList(catalog)).split(QR_CODES_MARKER).join(qrList);
}

/**
 * `config.js`: deploy-time settings for the page scripts. The usage API's base URL is the
 * same-origin path the distribution forwards (`/api`); without one the value is null and the
 * usage counter stays hidden.
 */
export function configScript(usageApiUrl?: string): string {
  return `window.ANALYTICS_CONFIG = ${JSON.stringify({ usageApiUrl: usageApiUrl ?? null })};\n`;
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (name.startsWith(".")) return [];
      return statSync(full).isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")];
    });
}

export interface SiteManifestOptions {
  /** @default the repository's site/ */
  readonly siteDir?: string;
  /** Usage API base URL for config.js (the same-origin path, e.g. `/api`). @default none */
  readonly usageApiUrl?: string;
}

/** Every object of the site, config.js last. */
export function siteObjects(options: SiteManifestOptions = {}): SiteObject[] {
  const siteDir = options.siteDir ?? SITE_DIR;
  const catalog = readCatalog(siteDir);
  const files = walk(siteDir).filter((f) => !NOT_DEPLOYED.has(f));
  for (const d of catalog.documents) {
    const key = catalogDocumentPath(d.id).slice(1);
    if (!files.includes(key)) throw new Error(`site/catalog.json: document "${d.id}" has no file site/${key}`);
  }
  const objects: SiteObject[] = files.map((key) => {
    const contentType = contentTypeOf(key);
    const cacheControl = key.endsWith(".html") ? SHORT_CACHE : LONG_CACHE;
    const raw = readFileSync(path.join(siteDir, key));
    if (key.endsWith(".html")) {
      const text = raw.toString("utf8");
      if (text.includes(DOCUMENTS_MARKER) || text.includes(QR_CODES_MARKER)) {
        const content = renderPage(text, catalog);
        return { key, contentType, cacheControl, content, etag: md5(content) };
      }
    }
    return { key, contentType, cacheControl, sourceFile: key, etag: md5(raw) };
  });
  for (const qr of catalog.qrCodes) {
    const content = qrLandingPage(qr);
    objects.push({
      key: `qr/${qr.code}`,
      contentType: CONTENT_TYPES[".html"] as string,
      cacheControl: SHORT_CACHE,
      content,
      etag: md5(content),
    });
  }
  if (objects.some((o) => o.key === CONFIG_SCRIPT_KEY))
    throw new Error(`site/${CONFIG_SCRIPT_KEY} is generated at deploy: remove the file`);
  const config = configScript(options.usageApiUrl);
  objects.push({
    key: CONFIG_SCRIPT_KEY,
    contentType: contentTypeOf(CONFIG_SCRIPT_KEY),
    cacheControl: SHORT_CACHE,
    content: config,
    etag: md5(config),
  });
  return objects;
}
