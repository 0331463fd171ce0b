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

/** File extensions served as static assets by the sample site. */
const ASSET_EXTENSIONS = ["css", "js", "mjs", "map", "png", "jpe?g", "gif", "svg", "webp", "avif", "ico", "woff2?", "ttf", "otf", "eot"];

/**
 * Rules for the sample site (site/catalog.json): documents at `/docs/<id>.pdf`, QR landing pages at `/qr/<code>`
 * or any URL with `?src=qr&code=<code>` (unless the viewer came from the QR landing page itself), pages `/`,
 * `*.html` and directory indexes served with 2xx or 304, assets under `/assets/` or with a static extension, the
 * API under `/api/`; everything else (error pages, redirects, probes) is `other`.
 */
export const DEFAULT_CLASSIFICATION: readonly ClassificationRule[] = [
  { name: "qr-landing-page", eventType: "qr_scan", path: "^/qr/(?<qr_code>[^/]+)/?$" },
  {
    name: "qr-query",
    eventType: "qr_scan",
    query: { src: "^qr$", code: true },
    idParams: { qr_code: "code" },
    notReferrerPath: "^/qr/",
  },
  { name: "document", eventType: "document_download", path: "^/docs/(?<document_id>[^/]+)\\.pdf$" },
  { name: "api", eventType: "api_call", path: "^/api/" },
  { name: "asset", eventType: "asset", path: `^/assets/|\\.(?:${ASSET_EXTENSIONS.join("|")})$` },
  // A page is viewed when it is served (2xx) or revalidated (304); an error page or a redirect is not a view.
  { name: "page", eventType: "page_view", path: "(?:^|/)(?:[^/]*\\.html?)?$", status: ["2xx", 304] },
  { name: "html-response", eventType: "page_view", contentType: "^text/html", status: ["2xx", 304] },
];

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
const catalogSizes = Object.fromEntries(catalog.documents.filter((d) => d.bytes > 0).map((d) => [d.id, d.bytes]));

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
    })
    .default({ storeIpPrefix: false }),
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
