import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Needs the WASM bundle: a plain form's submit button says the form is being sent, and is disabled,
// once the browser sends it; a form the browser refuses to send leaves it ready.

test("a plain form's button is busy once the form is sent", async ({ page }) => {
  await signIn(page);
  await page.goto("/servers/new");
  await page.waitForLoadState("networkidle");
  const button = page.getByRole("button", { name: "Add server" });
  // Server IP left empty: the browser does not send the form, the button stays ready.
  await button.click();
  await expect(button).toBeEnabled();
  await expect(button).not.toHaveAttribute("aria-busy", "true");

  // Playwright cannot look at a page that is being replaced, so the test keeps this page: the form is
  // sent as far as its submit event, where the test stops the navigation.
  await button.evaluate((b: HTMLButtonElement) => b.form?.addEventListener("submit", (e) => e.preventDefault()));
  await page.getByLabel("Server IP", { exact: true }).fill("10.0.0.1");
  await page.getByLabel("Server ID", { exact: true }).fill(`busy${Date.now() % 100000}`);
  await button.click();
  const busy = page.getByRole("button", { name: "Adding…" });
  await expect(busy).toBeDisabled();
  await expect(busy).toHaveAttribute("aria-busy", "true");
});
