/**
 * site/assets/usage-counter.js, the product page's counter, run against the
 * real handler behind a real loopback HTTP server with dynalite behind it. The
 * DOM is a stub (no browser here): a document with the page's
 * `<span data-usage-counter>` elements; fetch, timers, crypto and Intl are Node's.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { runInNewContext } from "node:vm";
import { createUsageApi } from "../../../handlers/usage-stats/app";
import { CounterStore } from "../../../handlers/usage-stats/store";
import { createCounterTable, type LocalDynamo, startDynalite } from "../../helpers/dynalite";
import { startUsageHttp, type UsageHttpServer } from "../../helpers/usage-http";

const SCRIPT = readFileSync(path.resolve(__dirname, "../../../site/assets/usage-counter.js"), "utf8");

interface StubElement {
  textContent: string;
  title?: string;
  readonly pageId: string;
}

/** One page load with a stub DOM: runs the script and returns the counter elements and the fetches it made. */
function loadPage(usageApiUrl: string | null, options: { pageId?: string; window?: Record<string, unknown> } = {}) {
  const elements: StubElement[] = [{ textContent: "", pageId: options.pageId ?? "" }];
  const fetches: string[] = [];
  const window: Record<string, unknown> = options.window ?? {};
  window.ANALYTICS_CONFIG = { usageApiUrl };
  window.crypto = globalThis.crypto;
  const document = {
    documentElement: { lang: "en" },
    querySelectorAll: (selector: string) =>
      selector === "[data-usage-counter]"
        ? elements.map((el) => ({
            getAttribute: (name: string) => (name === "data-usage-counter" ? el.pageId : null),
            setAttribute: (name: string, value: string) => {
              if (name === "title") el.title = value;
            },
            set textContent(v: string) {
              el.textContent = v;
            },
          }))
        : [],
  };
  const fetchSpy = (url: string, init: RequestInit) => {
    fetches.push(`${init.method} ${url}`);
    return fetch(url, init);
  };
  runInNewContext(SCRIPT, { window, document, fetch: fetchSpy, setTimeout, Intl, Uint8Array });
  return { elements, fetches, window };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dynamo: LocalDynamo;
let http: UsageHttpServer;
let store: CounterStore;
beforeAll(async () => {
  dynamo = await startDynalite();
  const table = `usage-${randomUUID()}`;
  await createCounterTable(dynamo.client, table);
  store = new CounterStore({ client: dynamo.client, tableName: table });
  http = await startUsageHttp(createUsageApi({ store }));
});
afterAll(async () => {
  await http?.close();
  await dynamo?.close();
});

describe("the product page's usage counter", () => {
  it("records one view per page load and shows the returned count", async () => {
    const first = loadPage(`${http.url}/`);
    await until(() => first.elements[0]?.textContent !== "");
    expect(first.elements[0]?.textContent).toBe("1 view, 1 in the last 7 days");
    expect(first.elements[0]?.title).toBe("1 today, 1 in the last 30 days");
    expect(first.fetches).toEqual([`POST ${http.url}/v1/pages/product/views`]);

    const second = loadPage(http.url);
    await until(() => second.elements[0]?.textContent !== "");
    expect(second.elements[0]?.textContent).toBe("2 views, 2 in the last 7 days");
    expect((await store.getCounts("product", new Date())).total).toBe(2);
  });

  it("counts a view once when the response is lost and the script retries with the same key", async () => {
    const before = (await store.getCounts("datasheet", new Date())).total;
    http.dropResponses(1);
    const handledBefore = http.handled;
    const page = loadPage(http.url, { pageId: "datasheet" });
    await until(() => page.elements[0]?.textContent !== "");
    expect(http.handled - handledBefore).toBe(2); // the lost one and the retry
    expect(page.fetches).toHaveLength(2);
    expect((await store.getCounts("datasheet", new Date())).total).toBe(before + 1);
    expect(page.elements[0]?.textContent).toBe(`${before + 1} view${before + 1 === 1 ? "" : "s"}, ${before + 1} in the last 7 days`);
  });

  it("stays hidden and calls nothing without a usage API URL", async () => {
    const page = loadPage(null);
    await new Promise((r) => setTimeout(r, 50));
    expect(page.fetches).toEqual([]);
    expect(page.elements[0]?.textContent).toBe("");
  });

  it("stays hidden when the API rejects the request, and counts nothing", async () => {
    const page = loadPage(http.url, { pageId: "Not_A_Valid_Id" });
    await until(() => page.fetches.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(page.fetches).toHaveLength(1); // a 400 is not retried
    expect(page.elements[0]?.textContent).toBe("");
  });

  it("does not count twice when the script is included twice on one page", async () => {
    const before = (await store.getCounts("about", new Date())).total;
    const window: Record<string, unknown> = {};
    const a = loadPage(http.url, { pageId: "about", window });
    const b = loadPage(http.url, { pageId: "about", window });
    await until(() => a.elements[0]?.textContent !== "");
    expect(b.fetches).toEqual([]);
    expect((await store.getCounts("about", new Date())).total).toBe(before + 1);
  });
});
