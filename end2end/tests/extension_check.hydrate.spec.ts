import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Needs the WASM bundle: the rule runs in the browser (the same domain function the server uses).

test("the extension rule is checked in the browser as the user types", async ({ page }) => {
  await signIn(page);
  const ext = page.getByLabel("Extension", { exact: true });
  const verdict = page.getByTestId("extension-verdict");
  // Retry until hydration has attached the input handler.
  await expect(async () => {
    await ext.fill("");
    await ext.fill("agent-101");
    await expect(verdict).toHaveText(/Extension may contain only letters and digits/, { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await page.getByLabel("Client protocol", { exact: true }).selectOption("EXTERNAL");
  await expect(verdict).toHaveText("agent-101 is a valid EXTERNAL extension");
  await page.getByLabel("Client protocol", { exact: true }).selectOption("SIP");
  await ext.fill("agent101");
  await expect(verdict).toHaveText("agent101 is a valid SIP extension");
});
