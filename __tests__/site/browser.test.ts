/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The sample site in a real browser (Debian's headless Chromium), served as
 * CloudFront would serve it, with the product page's live counter calling the
 * usage API cross-origin.
 *
 * - Origin A, the site: a loopback server that behaves like the synthesized
 *   distribution: the edge stack's viewer-request function and default root
 *   object, its custom error responses (S3 answers 403 for a missing key, as the
 *   bucket policy grants s3:GetObject and no s3:ListBucket), the headers of its
 *   response headers policy (the CSP from `contentSecurityPolicy`), and the
 *   objects `siteObjects` deploys, config.js naming the usage API included.
 * - Origin B, the usage API: the real handler behind __tests__/helpers/usage-http,
 *   dynalite behind it. API Gateway, not the function, answers preflights and
 *   adds the CORS headers; that part is emulated here from the CORS
 *   configuration the api stack synthesizes.
 *
 * The browser is the judge: CSP, CORS, nosniff and the stylesheet that hides an
 * empty counter are all enforced by Chromium itself.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { runInNewContext } from "node:vm";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { BrowserContext, Page } from "playwright-core";
import { createUsageApi, type UsageApiHandler } from "../../handlers/usage-stats/app";
import { CounterStore, pagePartition } from "../../handlers/usage-stats/store";
import { findChromium, launchChromium } from "../../local/browser";
import { USAGE_ROUTES, USAGE_TABLE } from "../../schemas/usage";
import { ApiStack } from "../../stacks/api-stack";
import { contentSecurityPolicy, originOf } from "../../stacks/constructs/site-distribution";
import { EdgeStack } from "../../stacks/edge-stack";
import { readCatalog, SITE_DIR, type SiteObject, siteObjects } from "../../stacks/site-manifest";
import { testConfig } from "../helpers/config";
import { createCounterTable, type LocalDynamo, scanAll, startDynalite } from "../helpers/dynalite";
import { FIXTURE_BUNDLE_DIR, resourcesOfType, synthJson, testApp } from "../helpers/synth";
import { startUsageHttp, type UsageHttpServer } from "../helpers/usage-http";

declare global {
  interface Window {
    /** Filled by the init script below: every `securitypolicyviolation` event of the document. */
    __cspViolations?: { directive: string; blockedURI: string; disposition: string }[];
  }
}

const COUNTER_SCRIPT = readFileSync(path.join(SITE_DIR, "assets", "usage-counter.js"), "utf8");
/** Attempts the counter script makes before it gives up (read from the script, not copied). */
const MAX_ATTEMPTS = Number(/const MAX_ATTEMPTS = (\d+);/.exec(COUNTER_SCRIPT)?.[1]);
/** The page id the product page's counter element names (its attribute is empty: the script's default). */
const PRODUCT_PAGE_ID = "product";
const RECORD_VIEW_PATH = USAGE_ROUTES.recordView.path.replace("{pageId}", PRODUCT_PAGE_ID);

// ---------------------------------------------------------------------------------------------
// The distribution, as the edge stack synthesizes it
// ---------------------------------------------------------------------------------------------

/** Any https API URL: the edge stack only takes https, the local API is http. Its CSP is compared with contentSecurityPolicy below. */
const SYNTH_API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com";

interface SecurityHeadersConfig {
  strict_transport_security?: { access_control_max_age_sec: number; include_subdomains?: boolean; preload?: boolean };
  content_type_options?: object;
  frame_options?: { frame_option: string };
  referrer_policy?: { referrer_policy: string };
  xss_protection?: { protection: boolean; mode_block?: boolean; report_uri?: string };
  content_security_policy?: { content_security_policy: string };
}

interface CacheBehavior {
  path_pattern?: string;
  allowed_methods: string[];
  function_association?: { event_type: string; function_arn: string }[];
}

interface SynthesizedDistribution {
  defaultRootObject: string;
  errorResponses: { error_code: number; response_code?: number; response_page_path?: string }[];
  securityHeaders: SecurityHeadersConfig;
  orderedBehaviors: CacheBehavior[];
  defaultBehavior: CacheBehavior;
  /** The viewer-request function's code (one function in the stack). */
  functionCode: string;
}

function synthesizedDistribution(): SynthesizedDistribution {
  const json = synthJson(new EdgeStack(testApp(), "edge", { config: testConfig(), usageApiUrl: SYNTH_API_URL }));
  const [distribution, ...moreDistributions] = resourcesOfType(json, "aws_cloudfront_distribution");
  const [policy, ...morePolicies] = resourcesOfType(json, "aws_cloudfront_response_headers_policy");
  const [fn, ...moreFunctions] = resourcesOfType(json, "aws_cloudfront_function");
  if (!distribution || !policy || !fn || moreDistributions.length || morePolicies.length || moreFunctions.length) {
    throw new Error("expected one distribution, one response headers policy and one function in the edge stack");
  }
  // Only what is emulated below: anything else in the policy must be taught to the emulation first.
  const notEmulated = Object.keys(policy).filter((k) => !["name", "comment", "security_headers_config"].includes(k));
  if (notEmulated.length) throw new Error(`response headers policy: ${notEmulated.join(", ")} not emulated by this test`);
  return {
    defaultRootObject: distribution.default_root_object as string,
    errorResponses: (distribution.custom_error_response ?? []) as SynthesizedDistribution["errorResponses"],
    securityHeaders: policy.security_headers_config as SecurityHeadersConfig,
    orderedBehaviors: (distribution.ordered_cache_behavior ?? []) as CacheBehavior[],
    defaultBehavior: distribution.default_cache_behavior as CacheBehavior,
    functionCode: fn.code as string,
  };
}

/** The headers CloudFront adds for a response headers policy's security headers (all set with override). */
function securityHeaders(config: SecurityHeadersConfig, csp: string): Record<string, string> {
  const known = [
    "strict_transport_security",
    "content_type_options",
    "frame_options",
    "referrer_policy",
    "xss_protection",
    "content_security_policy",
  ];
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length) throw new Error(`security headers ${unknown.join(", ")} not emulated by this test`);
  const headers: Record<string, string> = {};
  const sts = config.strict_transport_security;
  if (sts) {
    headers["strict-transport-security"] = [
      `max-age=${sts.access_control_max_age_sec}`,
      ...(sts.include_subdomains ? ["includeSubDomains"] : []),
      ...(sts.preload ? ["preload"] : []),
    ].join("; ");
  }
  if (config.content_type_options) headers["x-content-type-options"] = "nosniff";
  if (config.frame_options) headers["x-frame-options"] = config.frame_options.frame_option;
  if (config.referrer_policy) headers["referrer-policy"] = config.referrer_policy.referrer_policy;
  const xss = config.xss_protection;
  if (xss) {
    headers["x-xss-protection"] = xss.protection
      ? ["1", ...(xss.mode_block ? ["mode=block"] : []), ...(xss.report_uri ? [`report=${xss.report_uri}`] : [])].join("; ")
      : "0";
  }
  if (config.content_security_policy) headers["content-security-policy"] = csp;
  return headers;
}

/** A CloudFront path pattern (`*` any characters, `?` one) as a regular expression. */
function pathPattern(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

// ---------------------------------------------------------------------------------------------
// Origin A: the site, as CloudFront serves it
// ---------------------------------------------------------------------------------------------

interface SiteSettings {
  /** Written into config.js by siteObjects (configScript), as the edge stack does. */
  readonly usageApiUrl: string;
  /** The Content-Security-Policy the response headers policy sends. */
  readonly csp: string;
}

interface SiteServer {
  readonly origin: string;
  configure(settings: SiteSettings): void;
  /** The deployed objects for the current settings, by S3 key. */
  objects(): ReadonlyMap<string, SiteObject>;
  close(): Promise<void>;
}

async function startSite(distribution: SynthesizedDistribution): Promise<SiteServer> {
  const viewerRequest = (uri: string): string => {
    const context: { handler?: (e: unknown) => { uri: string } } = {};
    runInNewContext(distribution.functionCode, context);
    return (context.handler as (e: unknown) => { uri: string })({ request: { uri, method: "GET", querystring: {}, headers: {} } }).uri;
  };
  const behaviors = distribution.orderedBehaviors.map((b) => ({ ...b, pattern: pathPattern(b.path_pattern ?? "") }));
  let objects = new Map<string, SiteObject>();
  let headers: Record<string, string> = {};

  const body = (o: SiteObject) =>
    o.content !== undefined ? Buffer.from(o.content, "utf8") : readFileSync(path.join(SITE_DIR, o.sourceFile as string));

  const server: Server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const behavior = behaviors.find((b) => b.pattern.test(url.pathname)) ?? distribution.defaultBehavior;
    const send = (status: number, object: SiteObject | undefined, text = "") => {
      const content = object ? body(object) : Buffer.from(text, "utf8");
      res.writeHead(status, {
        ...(object
          ? { "content-type": object.contentType, "cache-control": object.cacheControl, etag: `"${object.etag}"` }
          : { "content-type": "text/plain; charset=utf-8" }),
        "content-length": String(content.length),
        ...headers,
      });
      res.end(method === "HEAD" ? undefined : content);
    };
    if (!behavior.allowed_methods.includes(method))
      return send(403, undefined, "This distribution is not configured to allow the HTTP request method");
    let uri = url.pathname;
    if (behavior.function_association?.some((f) => f.event_type === "viewer-request")) uri = viewerRequest(uri);
    if (uri === "/") uri = `/${distribution.defaultRootObject}`;
    let key: string | undefined;
    try {
      key = decodeURIComponent(uri.slice(1));
    } catch {
      key = undefined; // not a key S3 could hold
    }
    const object = method === "OPTIONS" || key === undefined ? undefined : objects.get(key);
    if (object) return send(200, object);
    // S3 behind Origin Access Control, with s3:GetObject only: a missing key is 403 AccessDenied.
    const originStatus = 403;
    const error = distribution.errorResponses.find((r) => r.error_code === originStatus);
    const page = error?.response_page_path ? objects.get(error.response_page_path.slice(1)) : undefined;
    if (error && page) return send(error.response_code ?? originStatus, page);
    return send(originStatus, undefined, "AccessDenied");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    configure: (settings) => {
      objects = new Map(siteObjects({ usageApiUrl: settings.usageApiUrl }).map((o) => [o.key, o]));
      headers = securityHeaders(distribution.securityHeaders, settings.csp);
    },
    objects: () => objects,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Origin B: the usage API, with API Gateway's CORS emulated in front of the handler
// ---------------------------------------------------------------------------------------------

interface CorsConfiguration {
  allow_origins: string[];
  allow_methods: string[];
  allow_headers: string[];
  expose_headers: string[];
  allow_credentials: boolean;
  max_age: number;
}

/** The CORS configuration of the HTTP API the api stack synthesizes for these allowed origins (config usageApi.allowedOrigins). */
function synthesizedCors(allowedOrigins: string[]): CorsConfiguration {
  const config = testConfig({ usageApi: { allowedOrigins } });
  const json = synthJson(new ApiStack(testApp(), "api", { config, bundleDir: FIXTURE_BUNDLE_DIR, log: () => {} }));
  const apis = resourcesOfType(json, "aws_apigatewayv2_api");
  if (apis.length !== 1) throw new Error(`expected one HTTP API, found ${apis.length}`);
  const cors = apis[0]?.cors_configuration as CorsConfiguration;
  if (cors.allow_origins.some((o) => o.includes("*"))) throw new Error("wildcard origins are not emulated by this test");
  return cors;
}

interface ApiCalls {
  /** Preflights API Gateway answered itself. */
  preflights: number;
  /** Requests that reached the function. */
  invocations: number;
}

/**
 * API Gateway's CORS for an HTTP API, in front of the function: it answers a preflight (OPTIONS with
 * Origin and Access-Control-Request-Method) itself, and ignores the function's CORS headers, adding its
 * own to responses for an allowed Origin. A preflight gets the CORS headers only when its origin, method
 * and every requested header are in the configuration. That is stricter than the browser alone (POST is
 * CORS-safelisted, so Chromium would accept a preflight answer that lists no POST): a configuration
 * without the method or a header the site sends fails here.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
 */
function withApiGatewayCors(cors: CorsConfiguration, lambda: UsageApiHandler, calls: ApiCalls): UsageApiHandler {
  return async (event) => {
    const origin = event.headers.origin;
    const allowed = origin !== undefined && cors.allow_origins.includes(origin);
    const credentials: Record<string, string> = cors.allow_credentials ? { "access-control-allow-credentials": "true" } : {};
    const requestedMethod = event.headers["access-control-request-method"];
    if (event.requestContext.http.method === "OPTIONS" && origin !== undefined && requestedMethod) {
      calls.preflights++;
      const listed = (values: string[], value: string) =>
        values.includes("*") || values.some((v) => v.toLowerCase() === value.toLowerCase());
      const requestedHeaders = (event.headers["access-control-request-headers"] ?? "")
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean);
      const preflightOk =
        allowed && listed(cors.allow_methods, requestedMethod) && requestedHeaders.every((h) => listed(cors.allow_headers, h));
      return {
        statusCode: 204,
        headers: preflightOk
          ? {
              "access-control-allow-origin": origin,
              "access-control-allow-methods": cors.allow_methods.join(","),
              "access-control-allow-headers": cors.allow_headers.join(","),
              "access-control-max-age": String(cors.max_age),
              ...credentials,
            }
          : {},
      };
    }
    calls.invocations++;
    const result = (await lambda(event)) as APIGatewayProxyStructuredResultV2;
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).filter(([name]) => !/^access-control-/i.test(name)));
    if (allowed) {
      headers["access-control-allow-origin"] = origin;
      if (cors.expose_headers.length) headers["access-control-expose-headers"] = cors.expose_headers.join(",");
      Object.assign(headers, credentials);
    }
    return { ...result, headers };
  };
}

interface UsageApiServer {
  readonly url: string;
  readonly calls: ApiCalls;
  close(): Promise<void>;
}

async function startApi(store: CounterStore, cors: CorsConfiguration): Promise<UsageApiServer> {
  const calls: ApiCalls = { preflights: 0, invocations: 0 };
  const http: UsageHttpServer = await startUsageHttp(withApiGatewayCors(cors, createUsageApi({ store }), calls));
  return { url: http.url, calls, close: () => http.close() };
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

/** Every securitypolicyviolation event of each document, kept on window for page.evaluate. */
function recordCspViolations(): void {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolations?.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, disposition: e.disposition });
  });
}

interface Visit {
  readonly page: Page;
  readonly status: number | undefined;
  readonly consoleErrors: string[];
  readonly failedRequests: string[];
  /** Subresources and fetches answered with 4xx/5xx (the document itself not included). */
  readonly errorResponses: string[];
  violations(): Promise<NonNullable<Window["__cspViolations"]>>;
}

async function open(context: BrowserContext, url: string): Promise<Visit> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const errorResponses: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !(r.request().isNavigationRequest() && r.frame() === page.mainFrame())) {
      errorResponses.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    }
  });
  const response = await page.goto(url, { waitUntil: "networkidle" });
  return {
    page,
    status: response?.status(),
    consoleErrors,
    failedRequests,
    errorResponses,
    violations: async () => (await page.evaluate(() => window.__cspViolations)) ?? [],
  };
}

/** Wait for a condition (polling), failing with `what` after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const NOT_FOUND_ERROR = "Failed to load resource: the server responded with a status of 404 (Not Found)";

/**
 * The counter's text once the script has filled it, or as it is when the browser reported a problem first
 * (a CSP violation, a console error, a failed request): the test's next assertions then show the problem.
 */
async function counterOnceFilled(visit: Visit): Promise<string> {
  const counter = visit.page.locator("[data-usage-counter]");
  await until(
    "the usage counter to fill",
    async () =>
      (await counter.textContent()) !== "" ||
      visit.consoleErrors.length > 0 ||
      visit.failedRequests.length > 0 ||
      (await visit.violations()).length > 0,
  );
  return (await counter.textContent()) ?? "";
}

interface LinkCheck {
  url: string;
  status: number;
  contentType: string;
  bytes: number;
  /** First bytes of the body, as latin1. */
  magic: string;
  /** href/src/refresh targets in the body, when it is HTML. */
  refs: string[];
}

/** Every href, src and meta refresh target of a document, as absolute URLs. */
function refsOf(doc: Document, base: string): string[] {
  const refs: string[] = [];
  for (const el of doc.querySelectorAll("[href], [src]")) {
    for (const attr of ["href", "src"]) {
      const value = el.getAttribute(attr);
      if (value !== null) refs.push(new URL(value, base).href);
    }
  }
  for (const meta of doc.querySelectorAll('meta[http-equiv="refresh" i]')) {
    const target = /url=(.+)$/i.exec(meta.getAttribute("content") ?? "")?.[1];
    if (target) refs.push(new URL(target.trim(), base).href);
  }
  return refs;
}

/** Fetch URLs (same origin: the CSP's connect-src 'self' allows it) and read the links of the HTML ones; runs in the page. */
async function fetchLinks(urls: string[], refsOf: (doc: Document, base: string) => string[]): Promise<LinkCheck[]> {
  return Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url, { cache: "no-store", redirect: "manual" });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const contentType = response.headers.get("content-type") ?? "";
      const refs = contentType.startsWith("text/html")
        ? refsOf(new DOMParser().parseFromString(new TextDecoder().decode(bytes), "text/html"), url)
        : [];
      return { url, status: response.status, contentType, bytes: bytes.length, magic: String.fromCharCode(...bytes.slice(0, 5)), refs };
    }),
  );
}

/**
 * Run fetchLinks in the page. One expression evaluated through the DevTools protocol, not eval() in the
 * page, so the CSP (no 'unsafe-eval') does not apply to it.
 */
async function checkLinks(page: Page, urls: string[]): Promise<LinkCheck[]> {
  return (await page.evaluate(`(${fetchLinks.toString()})(${JSON.stringify(urls)}, ${refsOf.toString()})`)) as LinkCheck[];
}

// ---------------------------------------------------------------------------------------------

describe("sample site in headless Chromium, served as CloudFront would, with the usage API (API Gateway's CORS emulated)", () => {
  const catalog = readCatalog();
  let distribution: SynthesizedDistribution;
  let dynamo: LocalDynamo | undefined;
  let table: string;
  let store: CounterStore;
  let site: SiteServer | undefined;
  let api: UsageApiServer | undefined;
  let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;

  /** The product page's views as dynalite holds them: the month counters' totals and the idempotency records. */
  async function storedViews(): Promise<{ total: number; idempotencyKeys: number }> {
    const items = await scanAll((dynamo as LocalDynamo).client, table);
    const pk = (i: (typeof items)[number]) => i[USAGE_TABLE.partitionKey]?.S ?? "";
    return {
      total: items.filter((i) => pk(i) === pagePartition(PRODUCT_PAGE_ID)).reduce((sum, i) => sum + Number(i.total?.N ?? 0), 0),
      idempotencyKeys: items.filter((i) => pk(i).startsWith(`idempotency#${PRODUCT_PAGE_ID}#`)).length,
    };
  }

  const viewsText = (n: number) => `${n} ${n === 1 ? "view" : "views"}, ${n} in the last 7 days`;

  /** The site pointed at an API, with the CSP the distribution would send for it. */
  function pointSiteAt(apiUrl: string, connectOrigins: string[] = [new URL(apiUrl).origin]): void {
    (site as SiteServer).configure({ usageApiUrl: apiUrl, csp: contentSecurityPolicy(connectOrigins) });
  }

  async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
    const b = await launchChromium();
    await b.context.addInitScript(recordCspViolations);
    return b;
  }

  beforeAll(async () => {
    findChromium(); // fails first, with one line saying what to install
    expect(MAX_ATTEMPTS).toBeGreaterThan(1);
    distribution = synthesizedDistribution();
    dynamo = await startDynalite();
    table = `usage-${randomUUID()}`;
    await createCounterTable(dynamo.client, table);
    store = new CounterStore({ client: dynamo.client, tableName: table });
    site = await startSite(distribution);
    api = await startApi(store, synthesizedCors([site.origin]));
    pointSiteAt(api.url);
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await site?.close();
    await dynamo?.close();
  });

  it("emulates the synthesized distribution: its CSP is contentSecurityPolicy(), the headers, content types, 404 page and config.js", async () => {
    const s = site as SiteServer;
    const apiUrl = (api as UsageApiServer).url;
    // What lets this server take the CSP from contentSecurityPolicy(): the distribution sends exactly that.
    expect(distribution.securityHeaders.content_security_policy?.content_security_policy).toBe(
      contentSecurityPolicy([originOf(SYNTH_API_URL)]),
    );
    const expected = securityHeaders(distribution.securityHeaders, contentSecurityPolicy([apiUrl]));
    expect(Object.keys(expected).sort()).toEqual(
      [
        "content-security-policy",
        "referrer-policy",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
      ].sort(),
    );
    expect(expected["content-security-policy"]).toContain(`connect-src 'self' ${apiUrl}`);

    for (const o of s.objects().values()) {
      const response = await fetch(`${s.origin}/${o.key}`);
      expect({ key: o.key, status: response.status, type: response.headers.get("content-type") }).toEqual({
        key: o.key,
        status: 200,
        type: o.contentType,
      });
      for (const [name, value] of Object.entries(expected)) expect(response.headers.get(name)).toBe(value);
      await response.arrayBuffer();
    }
    for (const [uri, key] of [
      ["/", "index.html"],
      ["/docs/", "docs/index.html"],
    ] as const) {
      expect(await (await fetch(`${s.origin}${uri}`)).text()).toBe(s.objects().get(key)?.content);
    }
    const missing = await fetch(`${s.origin}/no/such/page.html`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(missing.headers.get("content-security-policy")).toBe(expected["content-security-policy"]);
    expect(await missing.text()).toBe(readFileSync(path.join(SITE_DIR, "404.html"), "utf8"));
    const config = { window: {} as { ANALYTICS_CONFIG?: unknown } };
    runInNewContext(await (await fetch(`${s.origin}/config.js`)).text(), config);
    expect(config.window.ANALYTICS_CONFIG).toEqual({ usageApiUrl: apiUrl });
  });

  it("the product page's counter shows the count the usage API returned, 1 then 2 after a reload, and dynalite holds it", async () => {
    const a = api as UsageApiServer;
    expect(await storedViews()).toEqual({ total: 0, idempotencyKeys: 0 });
    const s = site as SiteServer;
    const visit = await open((browser as { context: BrowserContext }).context, `${s.origin}/`);
    const problems = async () => ({
      violations: await visit.violations(),
      consoleErrors: visit.consoleErrors,
      failedRequests: visit.failedRequests,
      errorResponses: visit.errorResponses,
    });
    const none = { violations: [], consoleErrors: [], failedRequests: [], errorResponses: [] };

    const first = await counterOnceFilled(visit);
    expect(await problems()).toEqual(none);
    expect(first).toBe("1 view, 1 in the last 7 days");
    expect(await visit.page.locator("[data-usage-counter]").getAttribute("title")).toBe("1 today, 1 in the last 30 days");
    expect(await visit.page.locator("p.usage").isVisible()).toBe(true);
    expect(await storedViews()).toEqual({ total: 1, idempotencyKeys: 1 });

    await visit.page.reload({ waitUntil: "networkidle" });
    const second = await counterOnceFilled(visit);
    expect(await problems()).toEqual(none);
    expect(second).toBe("2 views, 2 in the last 7 days");
    expect(await storedViews()).toEqual({ total: 2, idempotencyKeys: 2 });
    // One POST per load; the second reused the first preflight (Access-Control-Max-Age).
    expect(a.calls).toEqual({ preflights: 1, invocations: 2 });
    await visit.page.close();
  });

  it("every HTML page loads with no CSP violation, console error or failed request, and every link inside the site resolves", async () => {
    const s = site as SiteServer;
    const context = (browser as { context: BrowserContext }).context;
    const errorPages = new Set(distribution.errorResponses.map((r) => r.response_page_path?.slice(1)));
    // Every HTML file of site/, at the address a visitor uses.
    const pages = [...s.objects().values()]
      .filter((o) => o.key.endsWith(".html"))
      .map((o) => {
        const status = errorPages.has(o.key) ? 404 : 200;
        const uri =
          status === 404
            ? `/no-such-page-${randomUUID()}`
            : o.key === distribution.defaultRootObject
              ? "/"
              : o.key.endsWith("/index.html")
                ? `/${o.key.slice(0, -"index.html".length)}`
                : `/${o.key}`;
        return {
          key: o.key,
          uri,
          status,
          title: /<title>([^<]*)<\/title>/.exec(o.content ?? readFileSync(path.join(SITE_DIR, o.key), "utf8"))?.[1],
        };
      });
    expect(pages.map((p) => p.uri).filter((u) => !u.startsWith("/no-such-page-"))).toEqual(
      expect.arrayContaining(["/", "/about.html", "/docs/"]),
    );
    expect(pages).toHaveLength(4);

    const before = await storedViews();
    const seen: Record<string, unknown>[] = [];
    const refs = new Set<string>();
    let linkPage: Page | undefined;
    for (const p of pages) {
      const visit = await open(context, `${s.origin}${p.uri}`);
      const counter = p.key === distribution.defaultRootObject ? await counterOnceFilled(visit) : undefined;
      seen.push({
        ...(counter !== undefined ? { counter } : {}),
        uri: p.uri,
        status: visit.status,
        title: await visit.page.title(),
        violations: await visit.violations(),
        consoleErrors: visit.consoleErrors,
        failedRequests: visit.failedRequests,
        errorResponses: visit.errorResponses,
      });
      for (const r of (await visit.page.evaluate(`(${refsOf.toString()})(document, location.href)`)) as string[]) refs.add(r);
      if (linkPage) await visit.page.close();
      else linkPage = visit.page;
    }
    expect(seen).toEqual(
      pages.map((p) => ({
        ...(p.key === distribution.defaultRootObject ? { counter: viewsText(before.total + 1) } : {}),
        uri: p.uri,
        status: p.status,
        title: p.title,
        violations: [],
        // Chromium logs the error status of the document itself: the one console error the 404 page has.
        consoleErrors: p.status === 404 ? [`${NOT_FOUND_ERROR} @ ${s.origin}${p.uri}`] : [],
        failedRequests: [],
        errorResponses: [],
      })),
    );
    expect(await storedViews()).toEqual({ total: before.total + 1, idempotencyKeys: before.idempotencyKeys + 1 });

    // Follow every link inside the site (QR landing pages and their targets too), through the browser.
    const documents = new Map(catalog.documents.map((d) => [`/docs/${d.id}.pdf`, d]));
    const checked = new Map<string, LinkCheck>();
    let queue = [...refs];
    while (queue.length) {
      const inside = [...new Set(queue)].filter((u) => new URL(u).origin === s.origin && !checked.has(u));
      queue = [];
      for (const c of await checkLinks(linkPage as Page, inside)) {
        checked.set(c.url, c);
        queue.push(...c.refs);
      }
    }
    const broken = [...checked.values()].flatMap((c) => {
      const doc = documents.get(new URL(c.url).pathname);
      const ok = doc
        ? c.status === 200 && c.contentType === "application/pdf" && c.magic === "%PDF-" && c.bytes === doc.bytes
        : c.status === 200;
      return ok ? [] : [`${c.url}: ${c.status} ${c.contentType} ${c.bytes} bytes`];
    });
    expect(broken).toEqual([]);
    const paths = new Set([...checked.keys()].map((u) => new URL(u).pathname));
    for (const d of documents.keys()) expect(paths).toContain(d);
    for (const q of catalog.qrCodes) expect(paths).toContain(`/qr/${q.code}`);
    for (const p of ["/", "/docs/", "/about.html", "/assets/site.css", "/config.js", "/assets/usage-counter.js"])
      expect(paths).toContain(p);
    await linkPage?.close();
  });

  describe("negative cases: the checks above can fail", () => {
    let fresh: { context: BrowserContext; close: () => Promise<void> } | undefined;
    let other: UsageApiServer | undefined;

    // A fresh browser per case: no cached config.js or preflight from another case.
    beforeEach(async () => {
      fresh = await launch();
    });
    afterEach(async () => {
      await fresh?.close();
      fresh = undefined;
      await other?.close();
      other = undefined;
      if (api) pointSiteAt(api.url);
    });

    it("with the site's origin missing from the API's allowed origins, the browser reports the CORS failure, the counter stays hidden and nothing is counted", async () => {
      const s = site as SiteServer;
      // Same server, other name: CORS compares origins exactly.
      const notTheSite = s.origin.replace("127.0.0.1", "localhost");
      const cors = synthesizedCors([notTheSite]);
      expect(cors.allow_origins).toEqual([notTheSite]);
      other = await startApi(store, cors);
      pointSiteAt(other.url);
      const before = await storedViews();
      const post = `${other.url}${RECORD_VIEW_PATH}`;

      const visit = await open((fresh as { context: BrowserContext }).context, `${s.origin}/`);
      await until(
        `${MAX_ATTEMPTS} failed POSTs`,
        async () => visit.failedRequests.length >= MAX_ATTEMPTS || (await visit.violations()).length > 0,
      );
      expect(await visit.violations()).toEqual([]);
      // Every attempt: the preflight gets no Access-Control-Allow-Origin, so the POST is never sent.
      expect(visit.failedRequests).toEqual(Array(MAX_ATTEMPTS).fill(`POST ${post}: net::ERR_FAILED`));
      const consoleErrors = visit.consoleErrors;
      const corsErrors = consoleErrors.filter((e) => e.includes("has been blocked by CORS policy"));
      expect(corsErrors).toHaveLength(MAX_ATTEMPTS);
      for (const e of corsErrors) {
        expect(e).toContain(`Access to fetch at '${post}' from origin '${s.origin}' has been blocked by CORS policy`);
        expect(e).toContain("No 'Access-Control-Allow-Origin' header is present");
      }
      expect(consoleErrors.filter((e) => !corsErrors.includes(e))).toEqual(
        Array(MAX_ATTEMPTS).fill(`Failed to load resource: net::ERR_FAILED @ ${post}`),
      );
      expect(other.calls).toEqual({ preflights: MAX_ATTEMPTS, invocations: 0 });
      expect(await visit.page.locator("[data-usage-counter]").textContent()).toBe("");
      expect(await visit.page.locator("p.usage").isHidden()).toBe(true);
      expect(await visit.violations()).toEqual([]);
      expect(await storedViews()).toEqual(before);
    });

    it("with a CSP that omits the API's origin, the fetch is blocked before it leaves the browser and a securitypolicyviolation is seen", async () => {
      const s = site as SiteServer;
      const a = api as UsageApiServer;
      pointSiteAt(a.url, []);
      const before = await storedViews();
      const calls = { ...a.calls };
      const post = `${a.url}${RECORD_VIEW_PATH}`;

      const visit = await open((fresh as { context: BrowserContext }).context, `${s.origin}/`);
      await until(`${MAX_ATTEMPTS} CSP violations`, async () => (await visit.violations()).length >= MAX_ATTEMPTS);
      expect(await visit.violations()).toEqual(
        Array(MAX_ATTEMPTS).fill({ directive: "connect-src", blockedURI: post, disposition: "enforce" }),
      );
      expect(visit.consoleErrors.filter((e) => e.includes("violates the following Content Security Policy directive"))).toHaveLength(
        MAX_ATTEMPTS,
      );
      expect(visit.failedRequests).toEqual([]); // never on the network
      expect(a.calls).toEqual(calls);
      expect(await visit.page.locator("[data-usage-counter]").textContent()).toBe("");
      expect(await visit.page.locator("p.usage").isHidden()).toBe(true);
      expect(await storedViews()).toEqual(before);
    });
  });
});
