import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";
import { addPhone, addServer, uniqueServer } from "./fixtures/setup";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// Runs with JavaScript on and off: the overview is server-rendered.
// (Its empty state, on a system without phones, is checked in tests/phone_list.rs: this suite's
// database always holds phones.)

test("overview lists the server and counts phones added through the legacy API", async ({ page, request }) => {
  await signIn(page);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const table = page.getByRole("table", { name: "Servers" });
  await expect(table.getByRole("cell", { name: "10.10.10.15" })).toBeVisible();
  const count = page.getByTestId("phone-count");
  const before = Number((await count.textContent())?.split(" ")[0]);

  const ext = `e2e${Date.now() % 1_000_000}`;
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: {
      source: "e2e", user: "e2eapi", pass: "e2eapipass", function: "add_phone", extension: ext,
      dialplan_number: "5551", voicemail_id: "5551", phone_login: ext, phone_pass: "test",
      server_ip: "10.10.10.15", protocol: "SIP", registration_password: "secret5551",
      phone_full_name: "E2E Agent", local_gmt: "-5.00", outbound_cid: "3125555551",
    },
  });
  expect(res.status()).toBe(200);
  expect(await res.text()).toBe(`SUCCESS: add_phone PHONE HAS BEEN ADDED - e2eapi|${ext}|10.10.10.15|SIP|5551\n`);

  await page.reload();
  await expect(page.getByTestId("phone-count")).toHaveText(`${before + 1} phones`);
  // The background generator writes the server's files within about a second of the change.
  await expect(async () => {
    await page.reload();
    // The row of serve.sh's server: other specs add servers of their own.
    const row = table.getByRole("row").filter({ hasText: "10.10.10.15" });
    await expect(row.getByRole("cell", { name: /^generated \d{4}-\d\d-\d\d .*reload by hand/ })).toBeVisible({ timeout: 200 });
  }).toPass({ timeout: 5_000 });
});

test("the legacy API refuses a SIP extension with a dash and stores nothing", async ({ page, request }) => {
  await signIn(page);
  const before = await page.getByTestId("phone-count").textContent();
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: {
      source: "e2e", user: "e2eapi", pass: "e2eapipass", function: "add_phone", extension: "agent-101",
      dialplan_number: "5552", voicemail_id: "5552", phone_login: "agent101x", phone_pass: "test",
      server_ip: "10.10.10.15", protocol: "SIP", registration_password: "secret5552",
      phone_full_name: "E2E Agent", local_gmt: "-5.00", outbound_cid: "3125555552",
    },
  });
  expect(await res.text()).toContain("ERROR: add_phone INVALID EXTENSION");
  await page.reload();
  await expect(page.getByTestId("phone-count")).toHaveText(before ?? "");
});

test("the overview's counts are links to the list showing those phones, at 1280 and 390 px", async ({ page, request }, info) => {
  const server = uniqueServer();
  await signIn(page);
  await addServer(page, server);
  const ext = `ov${info.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await addPhone(request, ext, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550177" });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Phones", level: 2 })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Login path", level: 2 })).toBeVisible();
    await expectNoSeriousAxe(page);
  }
  // This server's row: one phone, a link to the list of its phones.
  const row = page.getByRole("table", { name: "Servers" }).getByRole("row").filter({ hasText: server.ip });
  await row.getByRole("link", { name: `1 phones on ${server.id}` }).click();
  await expect(page).toHaveURL(`/phones?server=${server.ip}`);
  await expect(page.getByTestId("phone-total")).toHaveText("1 phone, showing 1–1");
  // A registration count: the list filtered by that state holds as many phones as the link says.
  await page.goto("/");
  const unknown = page.getByTestId("reg-unknown");
  const n = Number(await unknown.locator("strong").textContent());
  await unknown.click();
  await expect(page).toHaveURL("/phones?reg=UNKNOWN");
  await expect(page.getByTestId("phone-total")).toContainText(`${n} phone`);
  // A verdict count: the same for the login path's verdict.
  await page.goto("/");
  const silence = page.getByTestId("verdict-silence");
  const s = Number(await silence.locator("strong").textContent());
  expect(s).toBeGreaterThan(0);
  await silence.click();
  await expect(page).toHaveURL("/phones?verdict=silence");
  await expect(page.getByTestId("phone-total")).toContainText(`${s} phone`);
  await expectNoSeriousAxe(page);
});
