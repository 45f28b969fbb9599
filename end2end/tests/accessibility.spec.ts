import { expect, test } from "./fixtures/test";
import { expectNoSeriousAxe } from "./fixtures/a11y";
import { ADMIN, signIn } from "./fixtures/session";

// Every page, with JavaScript on and off, at 1280 px and 390 px: axe-core finds nothing critical or
// serious; a skip link leads to the main content; the signed-out sign-in page offers no navigation.

const SERVER = "10.10.10.15";

test("axe-core finds nothing critical or serious on any page, at both widths", async ({ page, request }, testInfo) => {
  test.setTimeout(180_000);
  const n = `${Date.now() % 1_000_000}`.padStart(6, "0");
  const ext = `ax${testInfo.project.name === "hydrated" ? "h" : "n"}${n}`;
  for (const [protocol, e] of [["SIP", ext], ["EXTERNAL", `${ext}x`]]) {
    const res = await request.get("/vicidial/non_agent_api.php", {
      params: {
        source: "e2e", user: ADMIN.user, pass: ADMIN.pass, function: "add_phone", extension: e,
        dialplan_number: protocol === "SIP" ? `7${n}` : `3125${n}`, voicemail_id: `7${n}`, phone_login: e,
        phone_pass: `login${n}x`, server_ip: SERVER, protocol, registration_password: `reg${n}Q`,
        phone_full_name: "Axe Agent", local_gmt: "-5.00", outbound_cid: "3125557000",
      },
    });
    expect(await res.text()).toContain("SUCCESS: add_phone");
  }
  const pages = [
    "/", "/phones", "/phones?q=zz-no-match", "/phones/new", `/phones/${SERVER}/${ext}`, `/phones/${SERVER}/${ext}x`,
    `/phones/${SERVER}/${ext}/edit`, `/phones/new?copy=${SERVER}/${ext}`, `/phones/${SERVER}/${ext}/flow`,
    `/phones/${SERVER}/${ext}x/flow`, "/remote-agents", "/login-check", "/servers", `/servers/${SERVER}`,
    "/servers/new", "/carriers", "/carriers/new", "/no-such-page",
  ];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.context().clearCookies();
    await page.goto("/sign-in");
    await expectNoSeriousAxe(page);
    await signIn(page);
    for (const path of pages) {
      await page.goto(path);
      if (testInfo.project.name === "hydrated") await page.waitForLoadState("networkidle");
      await expectNoSeriousAxe(page);
    }
  }
});

test("a skip link is the first stop of the keyboard and leads to the main content", async ({ page }) => {
  await signIn(page);
  for (const path of ["/", "/phones", "/phones/new", "/servers"]) {
    await page.goto(path);
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to main content" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/#main$/);
    // The next Tab goes into the main content, past the navigation.
    await page.keyboard.press("Tab");
    const inMain = await page.evaluate(() => !!document.activeElement?.closest("main"));
    expect(inMain, `after the skip link on ${path}, focus is in <main>`).toBe(true);
  }
});

test("the signed-out sign-in page has no navigation, the icon is served", async ({ page, request }) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Phones" })).toHaveCount(0);
  await signIn(page);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  const icon = await request.get("/favicon.ico");
  expect(icon.status()).toBe(200);
  expect((await icon.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
});
