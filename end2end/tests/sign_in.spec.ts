import { expect, test } from "./fixtures/test";
import { ADMIN, signIn } from "./fixtures/session";

// Runs with JavaScript on and off: sign-in and sign-out are plain forms.

test("pages need a session: sign in, see who is signed in, sign out", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in\?next=%2F$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await page.getByLabel("User name", { exact: true }).fill(ADMIN.user);
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText(/user name or password is wrong/);

  await page.getByLabel("User name", { exact: true }).fill(ADMIN.user);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.pass);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText(`Signed in as ${ADMIN.user}`)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a server function refuses a cross-origin call even with a valid session", async ({ page }) => {
  await signIn(page);
  const base = new URL(page.url()).origin;
  const same = await page.request.post("/serverfn/get_overview", { headers: { Origin: base } });
  expect(same.status()).toBe(200);
  const cross = await page.request.post("/serverfn/get_overview", { headers: { Origin: "http://evil.example" } });
  expect(cross.status()).toBe(403);
  expect(await cross.text()).not.toContain("10.10.10.15");
});
