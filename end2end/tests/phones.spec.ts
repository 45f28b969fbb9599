import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Runs with JavaScript on (the six-step add wizard; edit and copy are one page) and off (the same
// markup as one form). Each project uses its own extensions, since both run against the same server.

const SERVER = "10.10.10.15";

type Values = Partial<Record<string, string>>;

// Every field of a phone-entry input, empty (the server function's JSON shape).
const EMPTY_INPUT = Object.fromEntries(
  ("extension dialplan_number voicemail_id phone_login phone_pass server_ip protocol registration_password " +
    "phone_full_name local_gmt outbound_cid email phone_context admin_user_group is_webphone webphone_auto_answer " +
    "use_external_server_ip on_hook_agent template_id status active phone_type phone_ring_timeout outbound_alt_cid " +
    "delete_vm_after_email")
    .split(" ")
    .map((k) => [k, ""]),
);

/** Fills the phone form: step by step with "Next" when hydrated, all at once without JavaScript. */
async function fillForm(page: Page, js: boolean, device: RegExp | null, steps: Values[]) {
  if (device) await page.getByRole("radio", { name: device }).check();
  if (js) await page.getByRole("button", { name: "Next" }).click();
  for (const values of steps) {
    for (const [label, value] of Object.entries(values)) {
      const field = page.getByLabel(label, { exact: true });
      if ((await field.evaluate((e) => e.tagName)) === "SELECT") await field.selectOption(value!);
      else await field.fill(value!);
    }
    if (js) await page.getByRole("button", { name: "Next" }).click();
  }
}

/** Fills fields of the one-page form (edit, copy): every field is on the page. */
async function fillPage(page: Page, values: Values) {
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label, { exact: true }).fill(value!);
}

async function waitForHydration(page: Page, js: boolean) {
  // The form says so once the WASM bundle has hydrated it.
  if (js) await expect(page.locator("form.wizard[data-hydrated=true]")).toBeAttached({ timeout: 15_000 });
}

test("add a SIP phone through the wizard, find it, edit it and copy it", async ({ page }, info) => {
  const js = info.project.name !== "no-js";
  const tag = js ? "1" : "2";
  const ext = `wiz${tag}01`;
  await signIn(page);
  await page.goto("/phones");
  await page.getByRole("link", { name: "Add a phone" }).first().click();
  await expect(page).toHaveURL(/\/phones\/new$/);
  await waitForHydration(page, js);
  const reg = page.getByLabel("Registration password", { exact: true });
  expect((await reg.inputValue()).length).toBeGreaterThanOrEqual(16);
  await fillForm(page, js, /SIP softphone or desk phone/, [
    { Extension: ext, "Dialplan number": `77${tag}01`, "Voicemail ID": `77${tag}01` },
    { Server: SERVER, "Phone login": `wizl${tag}01`, "Login password": `Login${tag}01pass` },
    { "Full name": "Wizard Person", "Outbound caller ID": "3125550199" },
    {},
  ]);
  if (js) {
    await expect(page.getByRole("heading", { name: "6. Review" })).toBeVisible();
    await expect(page.getByTestId("conf-preview")).toContainText(`[${ext}]`);
    await expect(page.getByTestId("conf-preview")).toContainText(`exten => 77${tag}01,1,Dial(SIP/${ext}`);
  }
  await page.getByRole("button", { name: "Create phone" }).click();
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}$`));

  // In the list, by search; gone under another protocol's filter.
  await page.goto(`/phones?q=${ext}`);
  const row = page.getByRole("row", { name: new RegExp(ext) });
  await expect(row).toContainText("Wizard Person");
  await expect(row).toContainText("SIP");
  // A click anywhere in the row opens the phone (the extension's link covers the row, without JavaScript too).
  // (Playwright's own click refuses a covered element, so the mouse clicks where the name is shown.)
  const nameCell = await row.getByRole("cell", { name: "Wizard Person" }).boundingBox();
  if (!nameCell) throw new Error("the name cell is not shown");
  await page.mouse.click(nameCell.x + nameCell.width / 2, nameCell.y + nameCell.height / 2);
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}$`));
  await page.goto(`/phones?q=${ext}&proto=IAX2`);
  await expect(page.getByText("No phones match this search")).toBeVisible();

  // Edit: the same fields; passwords left blank keep the stored ones.
  await page.goto(`/phones/${SERVER}/${ext}/edit`);
  await waitForHydration(page, js);
  await expect(page.getByLabel("Extension", { exact: true })).toHaveValue(ext);
  await expect(page.getByLabel("Registration password", { exact: true })).toHaveValue("");
  await fillPage(page, { "Full name": "Wizard Renamed" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}$`));
  await page.goto(`/phones?q=${ext}`);
  await expect(page.getByRole("row", { name: new RegExp(ext) })).toContainText("Wizard Renamed");

  // Copy: a new extension and login, everything else carried over.
  await page.goto(`/phones/new?copy=${SERVER}/${ext}`);
  await waitForHydration(page, js);
  await expect(page.getByLabel("Extension", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Full name", { exact: true })).toHaveValue("Wizard Renamed");
  await fillPage(page, { Extension: `wiz${tag}02`, "Phone login": `wizl${tag}02`, "Login password": `Login${tag}02pass` });
  await page.getByRole("button", { name: "Create phone" }).click();
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/wiz${tag}02$`));
  await page.goto(`/phones?q=wiz${tag}0`);
  await expect(page.getByTestId("phone-total")).toHaveText(/^2 phones/);
});

test("a server-side refusal comes back to its field and nothing is stored", async ({ page }, info) => {
  const js = info.project.name !== "no-js";
  const tag = js ? "3" : "4";
  await signIn(page);
  await page.goto("/phones/new");
  await waitForHydration(page, js);
  // The login of the serve.sh fixture's phones is taken by the first test's phone of this project.
  await fillForm(page, js, /SIP softphone or desk phone/, [
    { Extension: `dup${tag}01`, "Dialplan number": `78${tag}01`, "Voicemail ID": `78${tag}01` },
    { "Phone login": `wizl${js ? "1" : "2"}01`, "Login password": "Dup9login9pass" },
    { "Full name": "Dup Login", "Outbound caller ID": "3125550199" },
    {},
  ]);
  await page.getByRole("button", { name: "Create phone" }).click();
  // The refusal names the phone holding the login, as a link to it, at the field and in the summary.
  const holder = `wiz${js ? "1" : "2"}01`;
  const error = page.locator("#pf-phone_login-error");
  await expect(error).toHaveText(`Phone login is already used by phone ${holder} on ${SERVER}`);
  await expect(error.getByRole("link", { name: `phone ${holder} on ${SERVER}` })).toHaveAttribute(
    "href", `/phones/${SERVER}/${holder}`);
  await expect(page.getByRole("alert").getByRole("link", { name: "Phone login", exact: true })).toHaveAttribute(
    "href", "#pf-phone_login");
  await expect(page.getByLabel("Phone login", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Phone login", { exact: true })).toBeFocused();
  await page.goto(`/phones?q=dup${tag}01`);
  await expect(page.getByText("No phones match this search")).toBeVisible();
});

test("a user without phone rights sees no add or edit controls and is refused", async ({ page }) => {
  await signIn(page, { user: "e2eview", pass: "e2eviewpass" });
  await page.goto("/phones");
  await expect(page.getByRole("heading", { name: "Phones", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Add a phone" })).toHaveCount(0);
  await page.goto("/phones/new");
  await expect(page.getByRole("alert")).toContainText("may not add or change phones");
  await expect(page.getByRole("button", { name: "Create phone" })).toHaveCount(0);
  const base = new URL(page.url()).origin;
  const refused = await page.request.post("/serverfn/save_phone_form", {
    headers: { Origin: base, "Content-Type": "application/json" },
    data: { mode: { New: { copy: null } }, input: EMPTY_INPUT },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("may not add or change phones");
});

test("a cross-origin POST to the phone form's server function is refused", async ({ page }) => {
  await signIn(page);
  const cross = await page.request.post("/serverfn/save_phone_form", {
    headers: { Origin: "http://evil.example", "Content-Type": "application/json" },
    data: { mode: { New: { copy: null } }, input: EMPTY_INPUT },
  });
  expect(cross.status()).toBe(403);
});
