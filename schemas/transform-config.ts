/**
 * Configuration of the Firehose transform: how a request becomes an event
 * (classification), which requests are dropped on purpose, and the privacy and
 * bot-detection options. It is plain JSON, so the environment config can
 * override it (`transform` in config/<env>.json) and the stack can hand it to
 * the Lambda in an environment variable.
 *
 * Classification rules are tried in order; the first that matches gives the
 * event type, and `other` is the fallback. Every condition of a rule must hold.
 */
import * as z from "zod";
import catalog from "../site/catalog.json";
import { EventTypeSchema } from "./event";
import { USAGE_API_STAGE } from "./usage";

/** What errors/ keeps of a failed record's client IP (`privacy.failedRecordIp`). */
export const FAILED_RECORD_IP_MODES = ["truncate", "omit"] as const;
export type FailedRecordIp = (typeof FAILED_RECORD_IP_MODES)[number];

/** A regular expression source (JavaScript syntax, no slashes). Invalid sources are rejected when the config is read. */
const RegexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `not a valid regular expression: ${(e as Error).message}` });
    }
  });

/** An HTTP status (`404`) or a class of them (`"4xx"`). */
const StatusSpec = z.union([z.number().int().min(0).max(999), z.string().regex(/^[1-5]xx$/, 'a status class such as "4xx"')]);

/** Conditions shared by classification and drop rules. Omitted conditions always hold. */
const MatchFields = {
  /** Regex tested against the percent-decoded URI path (e.g. `^/docs/`). Named groups `document_id` and `qr_code` extract ids. */
  path: RegexSource.optional(),
  /**
   * Query parameters: `true` means the parameter must be present and non-empty; a string is a regex its
   * (decoded) value must match in full.
   */
  query: z.record(z.string().min(1), z.union([z.literal(true), RegexSource])).optional(),
  /** HTTP methods, upper case (`["GET", "HEAD"]`). */
  method: z
    .array(z.string().regex(/^[A-Z]+$/, "an HTTP method in upper case"))
    .min(1)
    .optional(),
  /** Response statuses or classes (`[200, 206]`, `["4xx"]`). */
  status: z.array(StatusSpec).min(1).optional(),
  /** Regex tested case-insensitively against the response Content-Type. */
  contentType: RegexSource.optional(),
  /** Regex tested against the (decoded) user agent. */
  userAgent: RegexSource.optional(),
  /**
   * The rule does NOT apply when the request's referrer is on the same host and its path matches this regex.
   * Used so the link on from a QR landing page is not counted as a second scan.
   */
  notReferrerPath: RegexSource.optional(),
  /** Match `path` and the `query` regexes ignoring case (`/Docs/Guide.PDF`, `src=QR`); ids keep their case. @default false */
  ignoreCase: z.boolean().optional(),
};

export const ClassificationRuleSchema = z.strictObject({
  /** Short name, for logs and metrics. */
  name: z.string().min(1).max(64),
  /** Event type a matching request gets. */
  eventType: EventTypeSchema,
  ...MatchFields,
  /** Take ids from query parameters, e.g. `{ "qr_code": "code" }`; a path group of the same name wins. @default none */
  idParams: z
    .strictObject({
      document_id: z.string().min(1).optional(),
      qr_code: z.string().min(1).optional(),
    })
    .optional(),
});
export type ClassificationRule = z.infer<typeof ClassificationRuleSchema>;

export const DropRuleSchema = z.strictObject({
  /** Short name; dropped records are counted per rule. */
  name: z.string().min(1).max(64),
  ...MatchFields,
});
export type DropRule = z.infer<typeof DropRuleSchema>;

/** File extensions served as static assets (matched ignoring case). */
const ASSET_EXTENSIONS = ["css", "js", "mjs", "map", "png", "jpe?g", "gif", "svg", "webp", "avif", "ico", "woff2?", "ttf", "otf", "eot"];

/**
 * File extensions that make a request a document download, at any path and in any case: office documents and
 * e-books people download to read (PDF, Word, Excel, PowerPoint, OpenDocument, RTF, EPUB) and ZIP archives, the
 * usual wrapper of a download bundle. Not `txt`, `csv`, `json` or `xml`: on real sites those are mostly
 * robots.txt, feeds, sitemaps and API responses. A site that counts them adds its own rule.
 */
export const DOCUMENT_EXTENSIONS = ["pdf", "docx?", "xlsx?", "pptx?", "odt", "ods", "odp", "rtf", "epub", "zip"];

/**
 * Response content types of the same documents (IANA media types; ZIP also under its Windows alias). A response
 * with one of them is a document download whatever its path looks like (`/download?id=7`, `/files/report`).
 * The log's `sc-content-type` is the response's Content-Type header.
 * @see https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html (fields)
 * @see https://www.iana.org/assignments/media-types/media-types.xhtml
 */
const DOCUMENT_CONTENT_TYPES = [
  "application/pdf",
  "application/msword",
  "application/vnd\\.openxmlformats-officedocument\\.[a-z.]+",
  "application/vnd\\.ms-(?:excel|powerpoint)",
  "application/vnd\\.oasis\\.opendocument\\.(?:text|spreadsheet|presentation)",
  "application/rtf",
  "text/rtf",
  "application/epub\\+zip",
  "application/(?:x-)?zip(?:-compressed)?",
];

/**
 * A document's path: the document id is the path without its leading slash and its extension (`/docs/guide.pdf`
 * is `docs/guide`, `/files/2025/Annual Report.PDF` is `files/2025/Annual Report`): readable, unique per file
 * (two folders may both hold a `manual.pdf`) and stable as long as the file does not move. The same name in two
 * formats (`report.pdf`, `report.docx`) is one document in two renditions.
 */
const DOCUMENT_PATH = `^/(?<document_id>.*[^/])\\.(?:${DOCUMENT_EXTENSIONS.join("|")})$`;

/** Served (2xx) or revalidated (304): a redirect or an error is not a view, a scan or a download. */
const SERVED: ClassificationRule["status"] = ["2xx", 304];

/**
 * Rules that fit real sites, the sample site (site/catalog.json) among them. Paths are matched ignoring case.
 * - QR scans: a landing page `/qr/<code>` (also `/qr/<code>/`, `/qr/<code>/index.html`, `/qr/<code>.html`), or any
 *   URL with `?src=qr&code=<code>` unless the viewer came from a QR landing page on the same host; a redirect is
 *   not the scan, the page it leads to is (so `/qr/x` -> 301 -> `/qr/x/` counts once).
 * - Document downloads: a response with a document content type, or a path with a document extension
 *   ({@link DOCUMENT_EXTENSIONS}), at any path; the id is the path without the leading slash and the extension.
 * - The API under `/api/`; assets under `/assets/` or with a static extension.
 * - Page views: `/`, a directory (`/docs/`), `*.html` or `*.htm` at any depth, any HTML response, and a
 *   revalidated (304) extensionless path (pretty URLs; a 304 carries no content type).
 * Everything else (errors, redirects, probes) is `other`. Query strings never change the path a rule sees.
 */
export const DEFAULT_CLASSIFICATION: readonly ClassificationRule[] = [
  {
    name: "qr-landing-page",
    eventType: "qr_scan",
    path: "^/qr/(?<qr_code>[^/]+?)(?:\\.html?|/(?:index\\.html?)?)?$",
    ignoreCase: true,
    status: SERVED,
  },
  {
    name: "qr-query",
    eventType: "qr_scan",
    query: { src: "^qr$", code: true },
    ignoreCase: true,
    idParams: { qr_code: "code" },
    notReferrerPath: "^/qr/",
    status: SERVED,
  },
  { name: "document", eventType: "document_download", path: DOCUMENT_PATH, ignoreCase: true, status: SERVED },
  {
    name: "document-response",
    eventType: "document_download",
    contentType: `^(?:${DOCUMENT_CONTENT_TYPES.join("|")})\\s*(?:;|$)`,
    // The id from the path as above, whatever its extension (none, `.php`, `.aspx`).
    path: "^/(?<document_id>.*?)(?:\\.[^./]*)?/?$",
    status: SERVED,
  },
  // The site forwards /<stage>/* to the usage API (same origin): the stage name is the path prefix.
  { name: "api", eventType: "api_call", path: `^/${USAGE_API_STAGE}/` },
  { name: "asset", eventType: "asset", path: `^/assets/|\\.(?:${ASSET_EXTENSIONS.join("|")})$`, ignoreCase: true },
  { name: "page", eventType: "page_view", path: "(?:^|/)(?:[^/]*\\.html?)?$", ignoreCase: true, status: SERVED },
  { name: "html-response", eventType: "page_view", contentType: "^text/html", status: SERVED },
  { name: "page-revalidated", eventType: "page_view", path: "(?:^|/)[^/.]+$", status: [304] },
];

const documentPath = new RegExp(DOCUMENT_PATH, "i");

/** The document id the default rules give a path with a document extension, or null (see {@link DOCUMENT_PATH}). */
export function documentIdOf(path: string): string | null {
  return documentPath.exec(path)?.groups?.document_id ?? null;
}

/** Where the sample site serves a catalog document (site/catalog.json); the site manifest and the generator use it. */
export const catalogDocumentPath = (catalogId: string): string => `/docs/${catalogId}.pdf`;

/** The sample site's documents with the path they are served at and the id the lake gives them. */
export const CATALOG_DOCUMENTS = catalog.documents.map((d) => {
  const path = catalogDocumentPath(d.id);
  const documentId = documentIdOf(path);
  if (documentId === null) throw new Error(`site/catalog.json: ${path} has no document extension`);
  return { ...d, path, documentId };
});

/** Health checks and load-balancer probes are not visitors. */
export const DEFAULT_DROP_RULES: readonly DropRule[] = [{ name: "health-check", path: "^/(?:health|healthz|ping)$" }];

/**
 * Networks of hosting and cloud providers: a browser request from one is almost always automated.
 * AWS (16509, 14618), Google Cloud (396982), Microsoft (8075), DigitalOcean (14061), OVH (16276),
 * Hetzner (24940), Linode/Akamai (63949), Vultr (20473), Alibaba (45102), Tencent (132203), Oracle (31898).
 */
export const DEFAULT_DATACENTER_ASNS: readonly number[] = [
  16509, 14618, 396982, 8075, 14061, 16276, 24940, 63949, 20473, 45102, 132203, 31898,
];

/** Document sizes the catalog knows (0 means unknown). */
const catalogSizes = Object.fromEntries(CATALOG_DOCUMENTS.filter((d) => d.bytes > 0).map((d) => [d.documentId, d.bytes]));

export const TransformConfigSchema = z.strictObject({
  /** Classification rules, first match wins; unmatched requests are `other`. @default DEFAULT_CLASSIFICATION */
  classification: z.array(ClassificationRuleSchema).default(() => [...DEFAULT_CLASSIFICATION]),
  /** Requests returned to Firehose as `Dropped` (not stored, counted). @default DEFAULT_DROP_RULES (health checks) */
  dropRules: z.array(DropRuleSchema).default(() => [...DEFAULT_DROP_RULES]),
  /**
   * Size in bytes of each document, by document id. A 206 response completes a download when its range ends at
   * the last byte; without a known size, `download_complete` of a partial response is null.
   * @default the sizes in site/catalog.json
   */
  documentSizes: z.record(z.string().min(1), z.number().int().positive()).default(() => ({ ...catalogSizes })),
  privacy: z
    .strictObject({
      /** Store the client's network (IPv4 /24, IPv6 /48) in `ip_prefix`. The full IP is never stored. @default false */
      storeIpPrefix: z.boolean().default(false),
      /**
       * What a failed record kept in errors/ (for replay) holds in place of the client IP (`c-ip`, `x-forwarded-for`):
       * `truncate`, its network address (IPv4 /24 `203.0.113.0`, IPv6 /48 `2001:db8:1::`), so a replay still finds
       * the country; `omit`, `-`. The rest of the line is kept byte for byte. The original address is kept nowhere
       * (docs/errors.md). @default "truncate"
       */
      failedRecordIp: z.enum(FAILED_RECORD_IP_MODES).default("truncate"),
    })
    .default({ storeIpPrefix: false, failedRecordIp: "truncate" }),
  bots: z
    .strictObject({
      /** A request without an Accept header is automated (every browser sends one). @default true */
      flagMissingAccept: z.boolean().default(true),
      /** A HEAD request is automated (link checkers, monitors; browsers send GET). @default true */
      flagHeadRequests: z.boolean().default(true),
      /** Autonomous systems of data centres; requests from them are automated. @default DEFAULT_DATACENTER_ASNS */
      datacenterAsns: z.array(z.number().int().min(1).max(4_294_967_295)).default(() => [...DEFAULT_DATACENTER_ASNS]),
    })
    .default({ flagMissingAccept: true, flagHeadRequests: true, datacenterAsns: [...DEFAULT_DATACENTER_ASNS] }),
  geoip: z
    .strictObject({
      /**
       * GeoIP databases (MMDB files), relative to the function's bundle directory or absolute: DB-IP/ip-location-db
       * city files or a MaxMind GeoLite2/GeoIP2 City file. The IPv4 or IPv6 file is picked by each file's metadata.
       * @default the bundled DB-IP Lite city databases (IPv4 and IPv6)
       */
      databases: z.array(z.string().min(1)).min(1).optional(),
    })
    .default({}),
});

export type TransformConfig = z.output<typeof TransformConfigSchema>;
export type TransformConfigInput = z.input<typeof TransformConfigSchema>;

/** The defaults: fit the sample site. */
export const DEFAULT_TRANSFORM_CONFIG: TransformConfig = TransformConfigSchema.parse({});
