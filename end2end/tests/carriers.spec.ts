import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// Runs with JavaScript on and off: the carrier forms are plain forms posting to their server function,
// which redirects to the carrier's page, or back to the form with the refusal in the URL; "Test a
// number" is a plain GET form. Every test uses a fresh carrier id, so the two projects can share the
// server's database (serve.sh adds the server 10.10.10.15).

function uniqueId(): string {
  return `e2e${Math.random().toString(36).slice(2, 8)}`;
}

function field(page: Page, label: string) {
  return page.getByLabel(label, { exact: true });
}

const DIALPLAN = [
  "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)",
  "exten => _91NXXNXXXXXX,n,Dial(SIP/e2etrunk/${EXTEN:1},,tTo)",
  "exten => _91NXXNXXXXXX,n,Hangup()",
  "exten => _9011.,1,Dial(SIP/e2etrunk/${EXTEN:1},,tTo)",
].join("\n");

test("add a carrier through the form, find it in the list, test a number and delete it", async ({ page }) => {
  const id = uniqueId();
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Carriers" }).click();
  await expect(page.getByRole("heading", { name: "Carriers", exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Add a carrier" }).first().click();
  await expect(page.getByRole("heading", { name: "Add a carrier" })).toBeVisible();
  await expect(field(page, "Server")).toHaveValue("10.10.10.15");
  await expect(field(page, "Protocol")).toHaveValue("SIP");

  await field(page, "Carrier ID").fill(id);
  await field(page, "Name").fill("E2E trunk");
  await field(page, "Registration string").fill("register => e2etrunk:e2eS3cret@sip.example.com");
  await field(page, "Dialplan entry").fill(DIALPLAN);
  await page.getByRole("button", { name: "Add carrier" }).click();

  await expect(page).toHaveURL(new RegExp(`/carriers/${id}\\?added=1$`));
  await expect(page.getByRole("heading", { name: `Carrier ${id}` })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Carrier added." })).toBeVisible();
  const patterns = page.getByRole("table", { name: "Dial patterns" });
  await expect(patterns.getByRole("cell", { name: "_91NXXNXXXXXX", exact: true })).toBeVisible();
  await expect(patterns.getByRole("cell", { name: "_9011.", exact: true })).toBeVisible();
  await expect(page.getByText("does not write them into Asterisk's conf files").first()).toBeVisible();

  await field(page, "Number").fill("913125551234");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("number-test")).toHaveText("913125551234 matches _91NXXNXXXXXX (line 1).");
  await field(page, "Number").fill("3125551234");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("number-test")).toHaveText("No pattern of this carrier matches 3125551234.");

  await page.getByRole("link", { name: "← All carriers" }).click();
  const row = page.getByRole("row").filter({ hasText: id });
  await expect(row).toContainText("E2E trunk");
  await expect(row).toContainText("10.10.10.15");
  await expect(row).toContainText("_91NXXNXXXXXX, _9011.");
  await row.getByRole("link", { name: id }).click();
  await expect(field(page, "Dialplan entry")).toHaveValue(DIALPLAN);

  await page.getByText("Delete carrier…").click();
  await page.getByLabel(`I understand: delete carrier ${id}`).check();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/carriers\\?deleted=${id}$`));
  await expect(page.getByRole("status").filter({ hasText: `Carrier ${id} was deleted.` })).toBeVisible();
  await expect(page.getByRole("link", { name: id, exact: true })).toHaveCount(0);
});

test("a bad dial pattern is refused next to its field, the values are kept and nothing is added", async ({ page }) => {
  const id = uniqueId();
  await signIn(page);
  await page.goto("/carriers/new");
  const entry = "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)\nexten => _9[1-5,n,Dial(SIP/e2e)";
  await field(page, "Carrier ID").fill(id);
  await field(page, "Name").fill("Never stored");
  await field(page, "Dialplan entry").fill(entry);
  await page.getByRole("button", { name: "Add carrier" }).click();

  const alert = page.getByRole("alert");
  await expect(alert).toContainText("The carrier was not saved");
  await expect(alert).toContainText("Dialplan entry: dialplan_entry line 2 pattern");
  const dialplan = field(page, "Dialplan entry");
  await expect(dialplan).toHaveAttribute("aria-invalid", "true");
  await expect(dialplan).toHaveAccessibleDescription(/dialplan_entry line 2 pattern "_9\[1-5" opens \[ at character 3/);
  await expect(dialplan).toHaveValue(entry);
  await expect(field(page, "Name")).toHaveValue("Never stored");

  await page.goto("/carriers");
  await expect(page.getByRole("heading", { name: "Carriers", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: id })).toHaveCount(0);
});

test("the carriers list, a carrier's page and the add form are axe-clean", async ({ page }) => {
  const id = uniqueId();
  await signIn(page);
  await page.goto("/carriers/new");
  await expect(page.getByRole("heading", { name: "Add a carrier" })).toBeVisible();
  await expectNoSeriousAxe(page);
  await field(page, "Carrier ID").fill(id);
  await field(page, "Name").fill("Axe trunk");
  await field(page, "Dialplan entry").fill(DIALPLAN);
  await page.getByRole("button", { name: "Add carrier" }).click();
  await expect(page.getByRole("heading", { name: `Carrier ${id}` })).toBeVisible();
  await expectNoSeriousAxe(page);
  await page.goto("/carriers");
  await expect(page.getByRole("heading", { name: "Carriers", exact: true })).toBeVisible();
  await expectNoSeriousAxe(page);
});
