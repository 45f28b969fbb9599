import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Needs the WASM bundle: the wizard checks fields as the user types, with the domain rules.

test("the wizard shows a rule error as the user types, before any submit", async ({ page }) => {
  await signIn(page);
  await page.goto("/phones/new");
  await expect(page.locator("form.wizard[data-hydrated=true]")).toBeAttached({ timeout: 15_000 });
  await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  const ext = page.getByLabel("Extension", { exact: true });
  await ext.fill("agent-7");
  await expect(page.getByText("Extension may contain only letters and digits")).toBeVisible();
  await expect(ext).toHaveAttribute("aria-invalid", "true");
  // "Next" does not leave a step with an error.
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("group", { name: "2. Identity" })).toBeVisible();
  await ext.fill("agent7");
  await expect(page.getByText("Extension may contain only letters and digits")).toHaveCount(0);
});

test("a home or mobile number (EXTERNAL) is not asked a registration password", async ({ page }) => {
  await signIn(page);
  await page.goto("/phones/new");
  await expect(page.locator("form.wizard[data-hydrated=true]")).toBeAttached({ timeout: 15_000 });
  await page.getByRole("radio", { name: /Home or mobile number/ }).check();
  await expect(page.getByText("at login the dialer calls the dialplan number")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Extension", { exact: true }).fill("ext-home-1");
  await page.getByLabel("Dialplan number", { exact: true }).fill("913125550111");
  await page.getByLabel("Voicemail ID", { exact: true }).fill("8101");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByLabel("Phone login", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Registration password", { exact: true })).toBeHidden();
  await page.getByLabel("Phone login", { exact: true }).fill("home1");
  await page.getByLabel("Login password", { exact: true }).fill("Home1login9pass");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Full name", { exact: true }).fill("Home Agent");
  await page.getByLabel("Outbound caller ID", { exact: true }).fill("3125550111");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByTestId("conf-preview")).toHaveText(/no peer: EXTERNAL phones are dialed, not registered/);
  await expect(page.locator(".review-list").getByText("Registration password", { exact: true })).toHaveCount(0);
  await page.getByRole("button", { name: "Create phone" }).click();
  await expect(page).toHaveURL(/\/phones\/10\.10\.10\.15\/ext-home-1$/);
});

test("the list's filters apply as they change and the URL keeps the whole view", async ({ page }) => {
  await signIn(page);
  // Every change is a page load; the next change waits until the new page's filters are hydrated.
  const pick = async (label: string, value: string, url: RegExp) => {
    await expect(page.locator("form.filters[data-hydrated=true]")).toBeVisible({ timeout: 15_000 });
    await page.getByLabel(label, { exact: true }).selectOption(value);
    await expect(page).toHaveURL(url);
  };
  await page.goto("/phones?q=nomatch-here&sort=name");
  await expect(page.getByText("No phones match this search")).toBeVisible();
  await pick("Protocol", "IAX2", /\/phones\?q=nomatch-here&proto=IAX2&sort=name$/);
  await pick("Rows per page", "25", /\/phones\?q=nomatch-here&proto=IAX2&sort=name&per=25$/);
  await pick("Protocol", "", /\/phones\?q=nomatch-here&sort=name&per=25$/);
  await page.goBack();
  await expect(page).toHaveURL(/proto=IAX2/);
  await expect(page.getByLabel("Protocol", { exact: true })).toHaveValue("IAX2");
});
