import { expect, test } from "./fixtures/test";
import { ADMIN, signIn } from "./fixtures/session";

// Runs with JavaScript on and off: what a browser does with hostile URLs (issue 11).

test("request text in a page title is shown as text, never run", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await signIn(page);
  const payload = "</title><img src=x onerror=alert(1)>";
  for (const path of [`/carriers/${encodeURIComponent(payload)}`, `/servers/${encodeURIComponent(payload)}`]) {
    await page.goto(path);
    await expect(page.locator("main")).toBeVisible();
    expect(await page.title()).toContain(payload);
    expect(await page.locator("img[src=x]").count()).toBe(0);
  }
  expect(dialogs).toEqual([]);
});

test("after signing in, a hostile next never leaves the site", async ({ page, baseURL }) => {
  const ours = new URL(baseURL ?? "http://127.0.0.1").host;
  for (const next of ["/%09/evil.example/", "%2F%09%2Fevil.example%2F", "/%252F%252Fevil.example", "//evil.example/"]) {
    await page.context().clearCookies();
    await page.goto(`/sign-in?next=${next}`);
    await page.getByLabel("User name", { exact: true }).fill(ADMIN.user);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.pass);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText(`Signed in as ${ADMIN.user}`)).toBeVisible();
    expect(new URL(page.url()).host, `next=${next}`).toBe(ours);
  }
  // A local next is followed.
  await page.context().clearCookies();
  await page.goto(`/sign-in?next=${encodeURIComponent("/phones?q=smith")}`);
  await page.getByLabel("User name", { exact: true }).fill(ADMIN.user);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.pass);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/phones\?q=smith$/);
});

test("pages may not be framed and carry a script policy", async ({ page }) => {
  await signIn(page);
  const res = await page.goto("/phones");
  const headers = res?.headers() ?? {};
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["cache-control"]).toBe("no-store");
});
