import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

// Runs with JavaScript on and off: the overview is server-rendered.

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
