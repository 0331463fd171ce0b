/*
 * Live view counter of the product page. When config.js names a usage API
 * (window.ANALYTICS_CONFIG.usageApiUrl), records ONE view per page load and
 * writes the returned count into every [data-usage-counter] element; otherwise
 * (or if the API cannot be reached) the elements stay empty and the stylesheet
 * keeps them hidden. The page id is the attribute's value, default "product".
 *
 * Every attempt of the one POST carries the same Idempotency-Key, so a retry
 * after a lost response never counts the view twice.
 */
(() => {
  const MAX_ATTEMPTS = 3;
  const RETRY_DELAYS_MS = [500, 1500];

  const config = window.ANALYTICS_CONFIG || {};
  const apiUrl = typeof config.usageApiUrl === "string" ? config.usageApiUrl.replace(/\/+$/, "") : "";
  const elements = Array.from(document.querySelectorAll("[data-usage-counter]"));
  // A second copy of the script on the page must not count the view again.
  if (!apiUrl || elements.length === 0 || window.__usageCounterStarted) return;
  window.__usageCounterStarted = true;

  const pageId = elements[0].getAttribute("data-usage-counter") || "product";

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function show(counts) {
    const format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    const text =
      `${format.format(counts.total)} ${counts.total === 1 ? "view" : "views"}, ` + `${format.format(counts.last7Days)} in the last 7 days`;
    for (const el of elements) {
      el.textContent = text;
      el.setAttribute("title", `${format.format(counts.today)} today, ${format.format(counts.last30Days)} in the last 30 days`);
    }
  }

  async function recordView() {
    const key = newKey();
    const url = `${apiUrl}/v1/pages/${encodeURIComponent(pageId)}/views`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: "{}",
          credentials: "omit",
        });
      } catch {
        response = undefined; // network error: the view may or may not have been counted; the key makes a retry safe
      }
      if (response?.ok) return response.json();
      // 4xx other than 409 (still in progress) and 429 (throttled) will not get better by retrying.
      if (response && response.status < 500 && response.status !== 409 && response.status !== 429) return undefined;
      if (attempt < MAX_ATTEMPTS) await sleep(RETRY_DELAYS_MS[attempt - 1]);
    }
    return undefined;
  }

  recordView()
    .then((counts) => {
      if (counts && typeof counts.total === "number") show(counts);
    })
    .catch(() => {
      // The counter is decoration: a failure leaves it hidden and never breaks the page.
    });
})();
