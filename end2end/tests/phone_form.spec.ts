import { type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { ADMIN, signIn } from "./fixtures/session";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// The phone form with JavaScript on and off: edit and copy are one page of sections (heading naming the
// phone, breadcrumb, jump links, a save bar always in view), a refused save lists and marks the first
// bad field and puts the focus there, weak passwords need a tick to be kept, a home or mobile number
// starts with a ring timeout the login path accepts. axe-core on every page and step.

const SERVER = "10.10.10.15";

/** A phone unique to this test and project, added through the legacy API; returns its extension. */
async function addPhone(request: APIRequestContext, testInfo: TestInfo, tag: string): Promise<string> {
  const n = `${Date.now() % 1_000_000}`.padStart(6, "0");
  const ext = `pf${tag}${testInfo.project.name === "hydrated" ? "h" : "n"}${n}`;
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: {
      source: "e2e", user: ADMIN.user, pass: ADMIN.pass, function: "add_phone", extension: ext,
      dialplan_number: `6${n}`, voicemail_id: `6${n}`, phone_login: ext, phone_pass: `login${n}x`,
      server_ip: SERVER, protocol: "SIP", registration_password: `reg${n}Secret`,
      phone_full_name: "Form Agent", local_gmt: "-5.00", outbound_cid: "3125557000",
    },
  });
  expect(await res.text()).toContain("SUCCESS: add_phone PHONE HAS BEEN ADDED");
  return ext;
}

async function settle(page: Page, js: boolean) {
  if (js) await expect(page.locator("form.wizard[data-hydrated=true]")).toBeAttached({ timeout: 15_000 });
}

for (const width of [1280, 390]) {
  test(`edit is one page at ${width} px: named, with a breadcrumb, sections and a save bar; a refused save marks the first bad field`, async ({ page, request }, info) => {
    const js = info.project.name !== "no-js";
    await page.setViewportSize({ width, height: 800 });
    const ext = await addPhone(request, info, width === 1280 ? "e" : "f");
    await signIn(page);
    await page.goto(`/phones/${SERVER}/${ext}/edit`);
    await settle(page, js);

    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Edit ${ext} on ${SERVER}`);
    const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
    await expect(crumbs.getByRole("link", { name: "Phones" })).toHaveAttribute("href", "/phones");
    await expect(crumbs.getByRole("link", { name: `${ext} on ${SERVER}` })).toHaveAttribute("href", `/phones/${SERVER}/${ext}`);
    for (const group of ["Device", "Identity", "Server and credentials", "Person", "Options"]) {
      await expect(page.getByRole("group", { name: group, exact: true })).toBeVisible();
    }
    await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Options" }))
      .toHaveAttribute("href", "#sec-options");
    await expect(page.getByRole("button", { name: "Next" })).toHaveCount(0);
    // Every field on the page; the save button in view from the top of the page.
    await expect(page.getByLabel("Ring timeout", { exact: true })).toBeAttached();
    await expect(page.getByRole("button", { name: "Save changes" })).toBeInViewport();
    await expectNoSeriousAxe(page);

    // A field far down and one far up: the save bar stays in view; the first bad field gets the focus.
    await page.getByLabel("Extension", { exact: true }).fill("bad-ext");
    await page.getByLabel("Ring timeout", { exact: true }).fill("30");
    await expect(page.getByRole("button", { name: "Save changes" })).toBeInViewport();
    await page.getByRole("button", { name: "Save changes" }).click();
    const alert = page.getByRole("alert");
    await expect(alert).toContainText("Not saved: fix the fields marked below.");
    await expect(alert.getByRole("link", { name: "Extension", exact: true })).toHaveAttribute("href", "#pf-extension");
    const field = page.getByLabel("Extension", { exact: true });
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toBeFocused();
    await expect(page.locator("#pf-extension-error")).toContainText("Extension may contain only letters and digits");
    await expectNoSeriousAxe(page);

    // Fixed, saved from where the user is.
    await field.fill(`${ext}b`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}b$`));
    await expect(page.getByTestId("value-phone_ring_timeout")).toHaveText("30 seconds");
  });
}

test("copy starts on the same one page with extension and login empty, the extension focused", async ({ page, request }, info) => {
  const js = info.project.name !== "no-js";
  const ext = await addPhone(request, info, "c");
  await signIn(page);
  await page.goto(`/phones/${SERVER}/${ext}`);
  await page.getByRole("link", { name: "Copy to a new phone" }).click();
  await settle(page, js);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Copy ${ext} on ${SERVER}`);
  await expect(page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Copy");
  const extension = page.getByLabel("Extension", { exact: true });
  await expect(extension).toHaveValue("");
  await expect(extension).toBeFocused();
  await expect(page.getByLabel("Phone login", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Full name", { exact: true })).toHaveValue("Form Agent");
  await expect(page.getByRole("group", { name: "Options", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Next" })).toHaveCount(0);
  await expectNoSeriousAxe(page);
  await extension.fill(`${ext}c`);
  await page.getByLabel("Phone login", { exact: true }).fill(`${ext}c`);
  await page.getByLabel("Login password", { exact: true }).fill("Copy9login9pass");
  await page.getByRole("button", { name: "Create phone" }).click();
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}c$`));
});

test("the add wizard passes axe on every step, and a weak login password needs a tick to be kept", async ({ page }, info) => {
  const js = info.project.name !== "no-js";
  const tag = js ? "h" : "n";
  const ext = `weak${tag}${Date.now() % 100000}`;
  await signIn(page);
  await page.goto("/phones/new");
  await settle(page, js);
  await expectNoSeriousAxe(page);
  const next = async () => {
    if (js) {
      await page.getByRole("button", { name: "Next" }).click();
      await expectNoSeriousAxe(page);
    }
  };
  await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
  await next();
  await page.getByLabel("Extension", { exact: true }).fill(ext);
  await page.getByLabel("Dialplan number", { exact: true }).fill("5501");
  await page.getByLabel("Voicemail ID", { exact: true }).fill("5501");
  await next();
  await page.getByLabel("Phone login", { exact: true }).fill(ext);
  await page.getByLabel("Login password", { exact: true }).fill("abc");
  const accept = page.getByRole("checkbox", { name: "Use this weak password anyway" });
  if (js) {
    // The meter judges as the user types; "Next" does not leave the step until the password is accepted.
    await expect(page.getByText("Strength: weak (3 characters)")).toBeVisible();
    await expect(page.getByRole("meter", { name: "Login password strength" })).toHaveAttribute("value", "1");
    await page.getByRole("button", { name: "Next" }).click();
    await expect(page.locator("#pf-phone_pass-error")).toContainText("Login password is weak (3 characters)");
    await expect(page.getByLabel("Login password", { exact: true })).toBeFocused();
    await expectNoSeriousAxe(page);
    await accept.check();
    await expect(page.locator("#pf-phone_pass-error")).toBeEmpty();
    await next();
  }
  await page.getByLabel("Full name", { exact: true }).fill("Weak Agent");
  await page.getByLabel("Outbound caller ID", { exact: true }).fill("3125550155");
  await next();
  await next();
  await page.getByRole("button", { name: "Create phone" }).click();
  if (!js) {
    // Without JavaScript the server refuses it once, with the box next to the password.
    await expect(page.getByRole("alert")).toContainText("Login password is weak (3 characters)");
    await expect(page.getByLabel("Login password", { exact: true })).toBeFocused();
    await expectNoSeriousAxe(page);
    await accept.check();
    await page.getByRole("button", { name: "Create phone" }).click();
  }
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}$`));
});

test("a home or mobile number made with the defaults rings 20 s, which the login path accepts", async ({ page }, info) => {
  const js = info.project.name !== "no-js";
  const ext = `home${js ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page);
  await page.goto("/phones/new");
  await settle(page, js);
  await page.getByRole("radio", { name: /Home or mobile number/ }).check();
  if (js) {
    const ring = page.getByLabel("Ring timeout", { exact: true });
    await expect(ring).toHaveValue("20");
    // Another device goes back to its own default, and this one again to 20.
    await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
    await expect(ring).toHaveValue("60");
    await page.getByRole("radio", { name: /Home or mobile number/ }).check();
    await expect(ring).toHaveValue("20");
    await page.getByRole("button", { name: "Next" }).click();
  }
  await page.getByLabel("Extension", { exact: true }).fill(ext);
  await page.getByLabel("Dialplan number", { exact: true }).fill("913125550177");
  await page.getByLabel("Voicemail ID", { exact: true }).fill("8177");
  if (js) await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Phone login", { exact: true }).fill(ext);
  await page.getByLabel("Login password", { exact: true }).fill("Home9login9pass");
  if (js) await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Full name", { exact: true }).fill("Home Agent");
  await page.getByLabel("Outbound caller ID", { exact: true }).fill("3125550177");
  if (js) {
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
  }
  await page.getByRole("button", { name: "Create phone" }).click();
  await expect(page).toHaveURL(new RegExp(`/phones/${SERVER}/${ext}$`));
  await expect(page.getByTestId("value-phone_ring_timeout")).toHaveText("20 seconds");
});
