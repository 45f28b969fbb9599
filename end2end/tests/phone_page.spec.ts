import { type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { ADMIN, signIn } from "./fixtures/session";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// Runs with JavaScript on and off: reveal and delete work both ways (a POST form to the page and an
// ActionForm without JavaScript; server functions in place with it). The hydrated run also checks
// that the reveal really went through the server function.

const SERVER = "10.10.10.15";
const MASK = "••••••";

/** A phone unique to this test and project, added through the legacy API; returns its extension. */
async function addPhone(
  request: APIRequestContext, testInfo: TestInfo, tag: string, regPass: string, protocol = "SIP",
): Promise<string> {
  const n = `${Date.now() % 1_000_000}`.padStart(6, "0");
  const ext = `pg${tag}${testInfo.project.name === "hydrated" ? "h" : "n"}${n}`;
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: {
      source: "e2e", user: ADMIN.user, pass: ADMIN.pass, function: "add_phone", extension: ext,
      dialplan_number: `7${n}`, voicemail_id: `7${n}`, phone_login: ext, phone_pass: `login${n}x`,
      server_ip: SERVER, protocol, registration_password: regPass,
      phone_full_name: "Page Agent", local_gmt: "-5.00", outbound_cid: "3125557000",
    },
  });
  expect(await res.text()).toContain(`SUCCESS: add_phone PHONE HAS BEEN ADDED - ${ADMIN.user}|${ext}|${SERVER}|${protocol}|`);
  return ext;
}

/** Waits until the WASM bundle has loaded (hydration follows at once). */
async function settle(page: Page, testInfo: TestInfo): Promise<void> {
  if (testInfo.project.name === "hydrated") await page.waitForLoadState("networkidle");
}

test("the phone page shows details and stanza, reveals a secret, deletes with confirmation", async ({ page, request }, testInfo) => {
  const regPass = `reg${Date.now() % 1_000_000}Q`;
  const ext = await addPhone(request, testInfo, "a", regPass);
  await signIn(page);
  await page.goto(`/phones/${SERVER}/${ext}`);
  await settle(page, testInfo);

  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Phone ${ext} on ${SERVER}`);
  for (const group of ["Device", "Identity", "Server and credentials", "Person", "Options"]) {
    await expect(page.getByRole("heading", { name: group, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId("value-phone_full_name")).toHaveText("Page Agent");
  const secret = page.getByTestId("value-registration_password");
  await expect(secret).toContainText(MASK);
  await expect(page.locator("main")).not.toContainText(regPass);

  // The Asterisk configuration: the stanza with its secret masked, the dialplan, the state.
  await expect(page.getByTestId("stanza")).toContainText(`[${ext}]`);
  await expect(page.getByTestId("stanza")).toContainText(`secret=${MASK}`);
  await expect(page.getByTestId("dialplan")).toContainText(`Dial(SIP/${ext},60,)`);
  await expect(page.getByTestId("conf-state")).toHaveText(/^(pending|written): /);
  await expect(page.getByRole("link", { name: "Edit", exact: true })).toHaveAttribute("href", `/phones/${SERVER}/${ext}/edit`);
  await expect(page.getByRole("link", { name: "Copy to a new phone" })).toHaveAttribute(
    "href", `/phones/new?copy=${SERVER}/${ext}`);

  // Reveal, then hide again.
  const reveal = page.getByRole("button", { name: "Reveal registration password" });
  if (testInfo.project.name === "hydrated") {
    const call = page.waitForResponse((r) => r.url().includes("/serverfn/reveal_phone_secret"));
    await reveal.click();
    expect((await call).status()).toBe(200);
  } else {
    await reveal.click();
  }
  await expect(secret).toHaveText(regPass);
  await expect(page.getByTestId("value-phone_pass")).toContainText(MASK);
  await page.getByRole("link", { name: "Hide registration password" }).click();
  await expect(page.getByTestId("value-registration_password")).toContainText(MASK);
  await settle(page, testInfo);
  // The reveal is in the history, without the value.
  await page.reload();
  await settle(page, testInfo);
  await expect(page.getByText("revealed registration_password")).toBeVisible();
  await expect(page.locator("main")).not.toContainText(regPass);

  // Delete: cancel once, then confirm.
  await page.getByText("Delete phone…").click();
  const understand = page.getByLabel(`I understand: delete extension ${ext} from server ${SERVER}`);
  await expect(understand).toBeVisible();
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(understand).toBeHidden();
  await settle(page, testInfo);
  await page.getByText("Delete phone…").click();
  await understand.check();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page).toHaveURL(`/phones?deleted=${SERVER}/${ext}`);
  await expect(page.getByTestId("deleted-notice")).toHaveText(`Phone ${ext} was deleted from server ${SERVER}.`);
  await expect(page.getByRole("link", { name: ext, exact: true })).toHaveCount(0);
  const gone = await page.goto(`/phones/${SERVER}/${ext}`);
  expect(gone?.status()).toBe(404);
  await expect(page.getByText(`No phone ${ext} on server ${SERVER}.`)).toBeVisible();
});

test("an unknown phone says so, with a way back to the list", async ({ page }) => {
  await signIn(page);
  const res = await page.goto(`/phones/${SERVER}/nosuchphone`);
  expect(res?.status()).toBe(404);
  await expect(page.getByText(`No phone nosuchphone on server ${SERVER}.`)).toBeVisible();
  await page.getByRole("link", { name: "Back to the phones list" }).click();
  await expect(page).toHaveURL("/phones");
});

test("the phone page fits a 390 px wide screen", async ({ page, request }, testInfo) => {
  const ext = await addPhone(request, testInfo, "w", `reg${Date.now() % 1_000_000}W`);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await page.goto(`/phones/${SERVER}/${ext}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Phone ${ext} on ${SERVER}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Keyboard: the reveal button is reachable with Tab.
  const reveal = page.getByRole("button", { name: "Reveal registration password" });
  for (let i = 0; i < 40 && !(await reveal.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(reveal).toBeFocused();
});

test("an EXTERNAL phone shows no registration password or badge; a SIP phone keeps both (axe-clean)", async ({ page, request }, testInfo) => {
  const external = await addPhone(request, testInfo, "x", `reg${Date.now() % 1_000_000}X`, "EXTERNAL");
  const sip = await addPhone(request, testInfo, "s", `reg${Date.now() % 1_000_000}S`);
  await signIn(page);

  await page.goto(`/phones/${SERVER}/${external}`);
  await settle(page, testInfo);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Phone ${external} on ${SERVER}`);
  await expect(page.getByTestId("value-phone_pass")).toContainText(MASK);
  await expect(page.getByRole("button", { name: "Reveal login password" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Reveal registration password" })).toHaveCount(0);
  await expect(page.getByTestId("value-registration_password")).toHaveCount(0);
  await expect(page.locator(".groups").getByRole("term").filter({ hasText: /^Registration password$/ })).toHaveCount(0);
  await expect(page.locator(".groups").getByRole("term").filter({ hasText: /^Login password$/ })).toHaveCount(1);
  await expect(page.locator(".summary")).not.toContainText("Registration:");
  await expect(page.getByTestId("registration")).toContainText("this protocol does not register");
  await expectNoSeriousAxe(page);

  await page.goto(`/phones/${SERVER}/${sip}`);
  await settle(page, testInfo);
  await expect(page.getByRole("button", { name: "Reveal registration password" })).toBeVisible();
  await expect(page.locator(".summary")).toContainText("Registration: UNKNOWN");
  await expectNoSeriousAxe(page);
});

test("an inactive phone says so next to its status", async ({ page, request }, testInfo) => {
  const ext = await addPhone(request, testInfo, "i", `reg${Date.now() % 1_000_000}I`);
  await signIn(page);
  await page.goto(`/phones/${SERVER}/${ext}`);
  await expect(page.getByTestId("inactive")).toHaveCount(0);
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: {
      source: "e2e", user: ADMIN.user, pass: ADMIN.pass, function: "update_phone", extension: ext,
      server_ip: SERVER, active: "N",
    },
  });
  expect(await res.text()).toContain("SUCCESS: update_phone");
  await page.reload();
  await settle(page, testInfo);
  await expect(page.getByTestId("inactive")).toHaveText("inactive");
  await expect(page.getByText("Status ACTIVE, but the phone is inactive")).toBeVisible();
  await expectNoSeriousAxe(page);
});
