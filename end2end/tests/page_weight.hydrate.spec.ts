import { type Browser, type BrowserContext, type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// What a browser downloads (bytes on the wire: headers and compressed bodies, as Chromium's network
// layer counts them) and how much a page moves while it loads and hydrates on a slow machine.
// Figures go to the test's annotations and the console, for the note.

const SERVER = "10.10.10.15";

/** A signed-in context whose HTTP cache is empty (a browser that has never seen the site's files). */
async function coldContext(browser: Browser, page: Page): Promise<BrowserContext> {
  await signIn(page);
  const ctx = await browser.newContext({ storageState: await page.context().storageState() });
  return ctx;
}

/**
 * Opens `path` in `page` and returns the bytes transferred until the network is idle, and the URLs
 * fetched over the network (not those the browser took from its cache).
 */
async function transferred(page: Page, path: string): Promise<{ bytes: number; urls: string[] }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map<string, string>();
  let bytes = 0;
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.requestServedFromCache", (e) => urls.delete(e.requestId));
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) urls.delete(e.requestId);
  });
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
  });
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  // The page script loads the bundle when the browser is idle: wait for that too.
  await page.waitForTimeout(500);
  await page.waitForLoadState("networkidle");
  await cdp.detach();
  return { bytes, urls: [...urls.values()] };
}

function report(name: string, value: string) {
  test.info().annotations.push({ type: name, description: value });
  console.log(`${name}: ${value}`);
}

test("the add wizard's first visit stays under 320 KB, a second page under 30 KB", async ({ browser, page }) => {
  const ctx = await coldContext(browser, page);
  const p = await ctx.newPage();
  const first = await transferred(p, "/phones/new");
  expect(first.urls.some((u) => /\/pkg\/dialtone\.[0-9a-f]{16}\.wasm$/.test(u)), "the wizard loads the wasm").toBe(true);
  report("bytes first visit /phones/new", `${first.bytes}`);
  expect(first.bytes).toBeLessThanOrEqual(320 * 1024);

  const second = await transferred(p, "/phones");
  report("bytes second page /phones", `${second.bytes}`);
  expect(second.urls.filter((u) => u.includes("/pkg/")), "bundle files come from the browser's cache").toEqual([]);
  expect(second.bytes).toBeLessThanOrEqual(30 * 1024);
  await ctx.close();
});

test("pages without an island load no wasm, and the sign-in page none at all", async ({ browser, page }) => {
  const fresh = await browser.newContext();
  const p = await fresh.newPage();
  const signInPage = await transferred(p, "/sign-in");
  report("bytes first visit /sign-in", `${signInPage.bytes}`);
  expect(signInPage.urls.filter((u) => u.endsWith(".wasm") || u.endsWith(".js"))).toEqual([]);
  await fresh.close();

  const ctx = await coldContext(browser, page);
  const q = await ctx.newPage();
  for (const path of ["/", "/servers", `/servers/${SERVER}`, "/carriers"]) {
    const r = await transferred(q, path);
    report(`bytes first visit ${path}`, `${r.bytes}`);
    expect(r.urls.filter((u) => u.endsWith(".wasm")), `${path} has no island`).toEqual([]);
  }
  await ctx.close();
});

test("bundle files are content-named, precompressed and immutable", async ({ page, request }) => {
  await page.goto("/sign-in");
  const css = await page.locator('link[rel="stylesheet"]').getAttribute("href");
  expect(css).toMatch(/^\/pkg\/dialtone\.[0-9a-f]{16}\.css$/);
  for (const [encoding, expected] of [["br, gzip", "br"], ["gzip", "gzip"], ["identity", undefined]] as const) {
    const res = await request.get(css ?? "", { headers: { "accept-encoding": encoding } });
    expect(res.status()).toBe(200);
    expect(res.headers()["content-encoding"]).toBe(expected);
    expect(res.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers()["content-type"]).toBe("text/css; charset=utf-8");
  }
  const icon = await request.get("/favicon.ico");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toBe("image/x-icon");
});

test("when the bundle cannot load, the wizard falls back to its whole no-JavaScript form", async ({ page, browserErrors }) => {
  await signIn(page);
  await page.route(/\/pkg\/dialtone\.[0-9a-f]{16}\.(js|wasm)$/, (route) => route.abort());
  await page.goto("/phones/new");
  await expect(page.locator("html")).not.toHaveClass(/\bjs\b/);
  // Every step's fields are there to fill, as without JavaScript.
  await expect(page.getByLabel("Extension", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Full name", { exact: true })).toBeVisible();
  // The failure is reported in the console (and only that).
  expect(browserErrors.every((e) => e.includes("could not be loaded") || e.includes("ERR_FAILED"))).toBe(true);
  browserErrors.length = 0;
});
