import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Needs the WASM bundle: the add wizard's focus and announcements on step changes, its clickable passed
// steps, the generated password's Copy button and the preview's masked secrets (layout shift: see
// layout_shift.hydrate.spec.ts).

async function hydrated(page: Page) {
  await expect(page.locator("form.wizard[data-hydrated=true]")).toBeAttached({ timeout: 15_000 });
}

/** The focused element is not the body (focus never falls out of the form). */
async function expectFocusKept(page: Page) {
  expect(await page.evaluate(() => document.activeElement?.tagName)).not.toBe("BODY");
}

test("Next, Back, Enter and the step list move the focus to the step's heading and announce the step", async ({ page }) => {
  await signIn(page);
  await page.goto("/phones/new");
  await hydrated(page);
  const steps = page.getByRole("list", { name: "Steps" });
  const announcer = page.getByTestId("step-announcer");
  // Nothing passed yet: no step can be clicked.
  await expect(steps.getByRole("button")).toHaveCount(0);
  await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { name: "2. Identity" })).toBeFocused();
  await expect(announcer).toHaveText("Step 2 of 6: Identity");
  // Enter in a field advances when the step is valid.
  await page.getByLabel("Extension", { exact: true }).fill(`focus${Date.now() % 100000}`);
  await page.getByLabel("Dialplan number", { exact: true }).fill("5601");
  await page.getByLabel("Voicemail ID", { exact: true }).fill("5601");
  await page.getByLabel("Voicemail ID", { exact: true }).press("Enter");
  await expect(page.getByRole("heading", { name: "3. Server and credentials" })).toBeFocused();
  await expect(announcer).toHaveText("Step 3 of 6: Server and credentials");
  // Enter on a step with an error stays, with the focus on the bad field.
  await page.getByLabel("Phone login", { exact: true }).press("Enter");
  await expect(page.getByLabel("Phone login", { exact: true })).toBeFocused();
  await expectFocusKept(page);
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByRole("heading", { name: "2. Identity" })).toBeFocused();
  await expect(announcer).toHaveText("Step 2 of 6: Identity");
  // Passed steps are buttons; the current one and those not reached are not.
  await expect(steps.getByRole("button", { name: "1. Device" })).toBeVisible();
  await expect(steps.getByRole("button", { name: "3. Server and credentials" })).toBeVisible();
  await expect(steps.getByRole("button", { name: "2. Identity" })).toHaveCount(0);
  await expect(steps.getByRole("button", { name: "4. Person" })).toHaveCount(0);
  await steps.getByRole("button", { name: "1. Device" }).click();
  await expect(page.getByRole("heading", { name: /^1\. What is the agent/ })).toBeFocused();
  await expect(page.getByRole("group", { name: "2. Identity" })).toBeHidden();
  await steps.getByRole("button", { name: "3. Server and credentials" }).click();
  await expect(page.getByRole("heading", { name: "3. Server and credentials" })).toBeFocused();
  await expectFocusKept(page);
});

test("the generated password has no look-alikes and a Copy button; the preview masks it until shown", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page);
  await page.goto("/phones/new");
  await hydrated(page);
  const ext = `copy${Date.now() % 100000}`;
  await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Extension", { exact: true }).fill(ext);
  await page.getByLabel("Dialplan number", { exact: true }).fill("5701");
  await page.getByLabel("Voicemail ID", { exact: true }).fill("5701");
  await page.getByRole("button", { name: "Next" }).click();
  const reg = page.getByLabel("Registration password", { exact: true });
  const secret = await reg.inputValue();
  expect(secret).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
  await expect(page.getByRole("meter", { name: "Registration password strength" })).toHaveAttribute("value", "3");
  await page.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(page.getByText("Copied to the clipboard.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await page.getByRole("button", { name: "Generate another" }).click();
  await expect(reg).not.toHaveValue(secret);
  const fresh = await reg.inputValue();
  expect(fresh).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
  await page.getByLabel("Phone login", { exact: true }).fill(ext);
  await page.getByLabel("Login password", { exact: true }).fill("Copy9login9pass");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Full name", { exact: true }).fill("Copy Agent");
  await page.getByLabel("Outbound caller ID", { exact: true }).fill("3125550157");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  const preview = page.getByTestId("conf-preview");
  await expect(preview).toContainText(`[${ext}]`);
  await expect(preview).toContainText("secret=••••••••");
  await expect(preview).not.toContainText(fresh);
  const show = page.getByRole("button", { name: "Show passwords" });
  await expect(show).toHaveAttribute("aria-pressed", "false");
  await show.click();
  await expect(show).toHaveAttribute("aria-pressed", "true");
  await expect(preview).toContainText(`secret=${fresh}`);
  await show.click();
  await expect(preview).not.toContainText(fresh);
});
