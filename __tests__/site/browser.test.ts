/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The sample site in a real browser (Debian's headless Chromium), with the DEFAULT config
 * (config/dev.json), served as its CloudFront distribution would serve it, the product page's live
 * counter calling the usage API on the site's own origin (`/api/*`).
 *
 * One loopback server emulates the distribution the default config synthesizes (createStacks):
 * - its cache behaviours, matched in order by path pattern, with their allowed methods;
 * - behaviours whose origin is the S3 bucket: the viewer-request function, the default root
 *   object, and the objects `siteObjects` deploys (config.js as the edge stack synthesizes it);
 *   S3 answers 403 for a missing key (s3:GetObject only, no s3:ListBucket);
 * - behaviours whose origin is the usage API (a custom origin): the request goes on with its path
 *   unchanged and every viewer header but Host (the origin request policy), to API Gateway, which
 *   selects the stage by the first path segment (the synthesized stage's name; another segment is
 *   its 404 `{"message":"Not Found"}`) and invokes the real usage handler, dynalite behind it;
 * - the custom error responses, on the answers of either origin, and the response headers policy
 *   (CSP and the security headers) on every behaviour that names it.
 *
 * The browser is the judge: CSP, same-origin, nosniff and the stylesheet that hides an empty
 * counter are all enforced by Chromium itself.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { runInNewContext } from "node:vm";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { BrowserContext, Page } from "playwright-core";
import { loadConfig } from "../../config/load";
import { createUsageApi, type UsageApiHandler } from "../../handlers/usage-stats/app";
import { CounterStore, pagePartition } from "../../handlers/usage-stats/store";
import { findChromium, launchChromium } from "../../local/browser";
import { USAGE_ROUTES, USAGE_TABLE } from "../../schemas/usage";
import { createStacks } from "../../stacks/app";
import { contentSecurityPolicy, MANAGED_ORIGIN_REQUEST_POLICIES } from "../../stacks/constructs/site-distribution";
import { EdgeStack } from "../../stacks/edge-stack";
import { readCatalog, SITE_DIR, type SiteObject, siteObjects } from "../../stacks/site-manifest";
import { createCounterTable, type LocalDynamo, scanAll, startDynalite } from "../helpers/dynalite";
import { fixtureBundles, resourcesOfType, synthJson, type TfJson, testApp } from "../helpers/synth";
import { eventOf } from "../helpers/usage-http";

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
// The distribution, as the default config synthesizes it
// ---------------------------------------------------------------------------------------------

/** The shipped default config: the one a new user deploys first. */
const DEFAULT_CONFIG = "dev";

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
  target_origin_id: string;
  allowed_methods: string[];
  origin_request_policy_id?: string;
  response_headers_policy_id?: string;
  function_association?: { event_type: string; function_arn: string }[];
}

interface Origin {
  origin_id: string;
  domain_name: string;
  origin_path?: string;
  custom_origin_config?: object;
}

interface SynthesizedDistribution {
  defaultRootObject: string;
  errorResponses: { error_code: number; response_code?: number; response_page_path?: string }[];
  securityHeaders: SecurityHeadersConfig;
  origins: Origin[];
  orderedBehaviors: CacheBehavior[];
  defaultBehavior: CacheBehavior;
  /** The viewer-request function's code (one function in the stack). */
  functionCode: string;
  /** The usage API base URL the synthesized config.js gives the page scripts. */
  configUsageApiUrl: string | null;
  /** The synthesized config.js, byte for byte. */
  configJs: string;
}

interface SynthesizedApi {
  /** The HTTP API stage's name: API Gateway serves it under `/<name>/`. */
  stage: string;
}

function synthesizedDistribution(json: TfJson): SynthesizedDistribution {
  const [distribution, ...moreDistributions] = resourcesOfType(json, "aws_cloudfront_distribution");
  const [policy, ...morePolicies] = resourcesOfType(json, "aws_cloudfront_response_headers_policy");
  const [fn, ...moreFunctions] = resourcesOfType(json, "aws_cloudfront_function");
  if (!distribution || !policy || !fn || moreDistributions.length || morePolicies.length || moreFunctions.length) {
    throw new Error("expected one distribution, one response headers policy and one function in the edge stack");
  }
  // Only what is emulated below: anything else in the policy must be taught to the emulation first.
  const notEmulated = Object.keys(policy).filter((k) => !["name", "comment", "security_headers_config"].includes(k));
  if (notEmulated.length) throw new Error(`response headers policy: ${notEmulated.join(", ")} not emulated by this test`);
  const configJs = resourcesOfType(json, "aws_s3_object").find((o) => o.key === "config.js")?.content as string;
  const settings: { window: { ANALYTICS_CONFIG?: { usageApiUrl: string | null } } } = { window: {} };
  runInNewContext(configJs, settings);
  return {
    defaultRootObject: distribution.default_root_object as string,
    errorResponses: (distribution.custom_error_response ?? []) as SynthesizedDistribution["errorResponses"],
    securityHeaders: policy.security_headers_config as SecurityHeadersConfig,
    origins: distribution.origin as Origin[],
    orderedBehaviors: (distribution.ordered_cache_behavior ?? []) as CacheBehavior[],
    defaultBehavior: distribution.default_cache_behavior as CacheBehavior,
    functionCode: fn.code as string,
    configUsageApiUrl: settings.window.ANALYTICS_CONFIG?.usageApiUrl ?? null,
    configJs,
  };
}

/** The edge and api stacks of the default config, synthesized as `cdktf synth` would build them. */
function synthesizeDefault(): { distribution: SynthesizedDistribution; api: SynthesizedApi } {
  const stacks = createStacks(testApp(), loadConfig(DEFAULT_CONFIG), fixtureBundles);
  const stages = resourcesOfType(synthJson(stacks.api), "aws_apigatewayv2_stage");
  if (stages.length !== 1) throw new Error(`expected one HTTP API stage, found ${stages.length}`);
  return { distribution: synthesizedDistribution(synthJson(stacks.edge)), api: { stage: stages[0]?.name as string } };
}

/** The distribution of an edge stack with no usage API (no /api/* behaviour), the default config otherwise. */
function synthesizeWithoutApi(): SynthesizedDistribution {
  return synthesizedDistribution(synthJson(new EdgeStack(testApp(), "edge", { config: loadConfig(DEFAULT_CONFIG) })));
}

/** The headers CloudFront adds for a response headers policy's security headers (all set with override). */
function securityHeaders(config: SecurityHeadersConfig): Record<string, string> {
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
  if (config.content_security_policy) headers["content-security-policy"] = config.content_security_policy.content_security_policy;
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
// The distribution, serving the site bucket and the usage API
// ---------------------------------------------------------------------------------------------

interface ApiCalls {
  /** Requests the distribution sent to the API origin, by method. */
  byMethod: Record<string, number>;
  /** Requests that reached the function (a stage matched). */
  invocations: number;
}

interface SiteServer {
  readonly origin: string;
  readonly calls: ApiCalls;
  /** The deployed objects, by S3 key. */
  objects(): ReadonlyMap<string, SiteObject>;
  close(): Promise<void>;
}

/** AWS managed origin request policies this emulation knows: which viewer headers reach the origin. */
const ORIGIN_REQUEST_POLICIES: Record<string, (name: string) => boolean> = {
  [MANAGED_ORIGIN_REQUEST_POLICIES.AllViewerExceptHostHeader]: (name) => name !== "host",
};

/**
 * @param distribution what the distribution does
 * @param api the API Gateway stage behind its custom origin, and the function it invokes
 * @param objectsFor the deployed objects (config.js as synthesized)
 */
async function startSite(distribution: SynthesizedDistribution, api: SynthesizedApi & { handler: UsageApiHandler }): Promise<SiteServer> {
  const viewerRequest = (uri: string): string => {
    const context: { handler?: (e: unknown) => { uri: string } } = {};
    runInNewContext(distribution.functionCode, context);
    return (context.handler as (e: unknown) => { uri: string })({ request: { uri, method: "GET", querystring: {}, headers: {} } }).uri;
  };
  const behaviors = distribution.orderedBehaviors.map((b) => ({ ...b, pattern: pathPattern(b.path_pattern ?? "") }));
  const origins = new Map(distribution.origins.map((o) => [o.origin_id, o]));
  const objects = new Map(siteObjects({ usageApiUrl: distribution.configUsageApiUrl ?? undefined }).map((o) => [o.key, o]));
  const policyHeaders = securityHeaders(distribution.securityHeaders);
  const calls: ApiCalls = { byMethod: {}, invocations: 0 };

  const body = (o: SiteObject) =>
    o.content !== undefined ? Buffer.from(o.content, "utf8") : readFileSync(path.join(SITE_DIR, o.sourceFile as string));

  /** Answer with the response headers policy of the behaviour, if it has one. */
  const answer = (
    res: ServerResponse,
    method: string,
    behavior: CacheBehavior,
    status: number,
    headers: Record<string, string>,
    content: Buffer,
  ) => {
    res.writeHead(status, {
      ...headers,
      "content-length": String(content.length),
      ...(behavior.response_headers_policy_id ? policyHeaders : {}),
    });
    res.end(method === "HEAD" ? undefined : content);
  };
  const objectHeaders = (o: SiteObject) => ({ "content-type": o.contentType, "cache-control": o.cacheControl, etag: `"${o.etag}"` });
  const text = (t: string) => ({ headers: { "content-type": "text/plain; charset=utf-8" }, content: Buffer.from(t, "utf8") });

  /** CloudFront's custom error responses, for an error status from either origin. */
  const customError = (status: number): { status: number; object: SiteObject } | undefined => {
    const error = distribution.errorResponses.find((r) => r.error_code === status);
    const page = error?.response_page_path ? objects.get(error.response_page_path.slice(1)) : undefined;
    return error && page ? { status: error.response_code ?? status, object: page } : undefined;
  };

  /** API Gateway behind the custom origin: the first path segment selects the stage, the function answers. */
  const apiGateway = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<{ status: number; headers: Record<string, string>; content: Buffer }> => {
    if (url.pathname.split("/")[1] !== api.stage) {
      return { status: 404, headers: { "content-type": "application/json" }, content: Buffer.from('{"message":"Not Found"}') };
    }
    calls.invocations++;
    const result = (await api.handler(await eventOf(req, { stage: api.stage }))) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode ?? 200,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
      content: Buffer.from(result.body ?? "", "utf8"),
    };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const behavior = behaviors.find((b) => b.pattern.test(url.pathname)) ?? distribution.defaultBehavior;
      if (!behavior.allowed_methods.includes(method)) {
        const t = text("This distribution is not configured to allow the HTTP request method");
        return answer(res, method, behavior, 403, t.headers, t.content);
      }
      const origin = origins.get(behavior.target_origin_id);
      if (!origin) throw new Error(`behaviour ${behavior.path_pattern ?? "default"}: no origin ${behavior.target_origin_id}`);

      if (origin.custom_origin_config) {
        // The usage API: path unchanged (no origin path), headers as the origin request policy says.
        if (origin.origin_path) throw new Error("an origin path is not emulated by this test");
        const forwards = ORIGIN_REQUEST_POLICIES[behavior.origin_request_policy_id ?? ""];
        if (!forwards) throw new Error(`origin request policy ${behavior.origin_request_policy_id} not emulated by this test`);
        for (const name of Object.keys(req.headers)) if (!forwards(name)) delete req.headers[name];
        req.headers.host = origin.domain_name;
        calls.byMethod[method] = (calls.byMethod[method] ?? 0) + 1;
        const r = await apiGateway(req, url);
        const error = r.status >= 400 ? customError(r.status) : undefined;
        if (error) return answer(res, method, behavior, error.status, objectHeaders(error.object), body(error.object));
        return answer(res, method, behavior, r.status, r.headers, r.content);
      }

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
      if (object) return answer(res, method, behavior, 200, objectHeaders(object), body(object));
      // S3 behind Origin Access Control, with s3:GetObject only: a missing key is 403 AccessDenied.
      const error = customError(403);
      if (error) return answer(res, method, behavior, error.status, objectHeaders(error.object), body(error.object));
      const t = text("AccessDenied");
      return answer(res, method, behavior, 403, t.headers, t.content);
    })().catch((e: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`emulation error: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    objects: () => objects,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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

describe("sample site in headless Chromium with the default config, served as its CloudFront distribution would (emulated from the synthesized cache behaviours), /api/* forwarded to the real usage handler", () => {
  const catalog = readCatalog();
  let distribution: SynthesizedDistribution;
  let apiStage: SynthesizedApi;
  let dynamo: LocalDynamo | undefined;
  let table: string;
  let store: CounterStore;
  let site: SiteServer | undefined;
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

  async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
    const b = await launchChromium();
    await b.context.addInitScript(recordCspViolations);
    return b;
  }

  beforeAll(async () => {
    findChromium(); // fails first, with one line saying what to install
    expect(MAX_ATTEMPTS).toBeGreaterThan(1);
    ({ distribution, api: apiStage } = synthesizeDefault());
    dynamo = await startDynalite();
    table = `usage-${randomUUID()}`;
    await createCounterTable(dynamo.client, table);
    store = new CounterStore({ client: dynamo.client, tableName: table });
    site = await startSite(distribution, { ...apiStage, handler: createUsageApi({ store }) });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await dynamo?.close();
  });

  it("emulates the synthesized distribution: config.js names the same-origin /api, a self-only CSP, the headers, content types and 404 page", async () => {
    const s = site as SiteServer;
    // The default config routes the API through the distribution: config.js names a path on the site, not another origin.
    expect(distribution.configUsageApiUrl).toBe(`/${apiStage.stage}`);
    expect(distribution.securityHeaders.content_security_policy?.content_security_policy).toBe(contentSecurityPolicy());
    const expected = securityHeaders(distribution.securityHeaders);
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
    expect(expected["content-security-policy"]).toContain("connect-src 'self';");

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
    // The served config.js is the synthesized object, byte for byte.
    expect(await (await fetch(`${s.origin}/config.js`)).text()).toBe(distribution.configJs);
    // GET counts through the distribution: the route answers (404 would be the HTML page), with the security headers.
    const counts = await fetch(`${s.origin}/${apiStage.stage}${USAGE_ROUTES.getCounts.path.replace("{pageId}", "never-viewed")}`);
    expect({
      status: counts.status,
      type: counts.headers.get("content-type"),
      nosniff: counts.headers.get("x-content-type-options"),
    }).toEqual({
      status: 200,
      type: expect.stringContaining("application/json"),
      nosniff: "nosniff",
    });
    expect(await counts.json()).toMatchObject({ pageId: "never-viewed", total: 0 });
  });

  it("the product page's counter shows 1 then 2 after a reload, same-origin (no preflight), and dynalite holds it", async () => {
    const s = site as SiteServer;
    const before = { ...s.calls.byMethod };
    expect(await storedViews()).toEqual({ total: 0, idempotencyKeys: 0 });
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
    // One POST per load through /api/*, and no OPTIONS: the browser saw its own origin, so no CORS at all.
    expect({
      POST: (s.calls.byMethod.POST ?? 0) - (before.POST ?? 0),
      OPTIONS: (s.calls.byMethod.OPTIONS ?? 0) - (before.OPTIONS ?? 0),
    }).toEqual({
      POST: 2,
      OPTIONS: 0,
    });
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
    let other: SiteServer | undefined;

    // A fresh browser per case: no cached config.js from another case.
    beforeEach(async () => {
      fresh = await launch();
    });
    afterEach(async () => {
      await fresh?.close();
      fresh = undefined;
      await other?.close();
      other = undefined;
    });

    /** Open the product page on a site, wait for every attempt to fail, and check that nothing was counted or shown. */
    async function expectCounterHidden(s: SiteServer, status: number): Promise<Visit> {
      const before = await storedViews();
      const post = `${s.origin}/${apiStage.stage}${RECORD_VIEW_PATH}`;
      const visit = await open((fresh as { context: BrowserContext }).context, `${s.origin}/`);
      // 4xx other than 409/429 is final: the script gives up after the first answer.
      await until("the POST's error answer", () => visit.errorResponses.length >= 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(visit.errorResponses).toEqual([`POST ${post}: ${status}`]);
      expect(visit.failedRequests).toEqual([]);
      expect(await visit.violations()).toEqual([]);
      expect(await visit.page.locator("[data-usage-counter]").textContent()).toBe("");
      expect(await visit.page.locator("p.usage").isHidden()).toBe(true);
      expect(await storedViews()).toEqual(before);
      return visit;
    }

    it("without the /api/* behaviour (an edge stack given no usage API), the POST meets the bucket's behaviour: 403, the counter stays hidden", async () => {
      const bare = synthesizeWithoutApi();
      expect(bare.orderedBehaviors.map((b) => b.path_pattern)).not.toContain(`/${apiStage.stage}/*`);
      // The page still names /api (the default's config.js), so the emulation shows what the behaviour does.
      other = await startSite(
        { ...bare, configUsageApiUrl: distribution.configUsageApiUrl },
        { ...apiStage, handler: createUsageApi({ store }) },
      );
      await expectCounterHidden(other, 403);
      expect(other.calls.invocations).toBe(0);
    });

    it("with an API stage that is not the behaviour's path segment, API Gateway's 404 becomes the site's 404 page and the counter stays hidden", async () => {
      other = await startSite(distribution, { stage: `${apiStage.stage}-other`, handler: createUsageApi({ store }) });
      await expectCounterHidden(other, 404);
      expect(other.calls).toEqual({ byMethod: { POST: 1 }, invocations: 0 });
    });
  });
});
