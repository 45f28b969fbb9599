import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";
import { expectNoSeriousAxe } from "./fixtures/a11y";
import { addPhone, addServer } from "./fixtures/setup";
import { startAmiServer } from "./fixtures/ami_server";

// Runs with JavaScript on and off: the server forms are plain forms posting to their server function,
// which redirects to the server's page, or back to the form with the refusal in the URL.
// Every test uses a fresh IP and id, so the two projects can share the server's database.

function unique(): { ip: string; id: string } {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  const id = `e2e${Math.random().toString(36).slice(2, 8)}`;
  return { ip: `10.${octet()}.${octet()}.${octet()}`, id };
}

function field(page: Page, label: string) {
  return page.getByLabel(label, { exact: true });
}

test("add a server, find it in the list, open it and change its description", async ({ page }) => {
  const { ip, id } = unique();
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Servers" }).click();
  await expect(page.getByRole("heading", { name: "Servers", exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Add a server" }).first().click();
  await expect(page.getByRole("heading", { name: "Add a server" })).toBeVisible();
  await expect(field(page, "Asterisk version")).toHaveValue("18.21.0-vici");
  await expect(field(page, "AMI secret")).toHaveAttribute("type", "password");

  await field(page, "Server IP").fill(ip);
  await field(page, "Server ID").fill(id);
  await field(page, "Description").fill("Added by e2e");
  await field(page, "WebSocket URL").fill(`wss://${ip}:8089/ws`);
  await page.getByRole("button", { name: "Add server" }).click();

  await expect(page).toHaveURL(new RegExp(`/servers/${ip.replaceAll(".", "\\.")}\\?added=1$`));
  await expect(page.getByRole("heading", { name: `Server ${id}` })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Server added." })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Asterisk configuration" })).toBeVisible();

  await page.getByRole("link", { name: "← All servers" }).click();
  const row = page.getByRole("row").filter({ hasText: ip });
  await expect(row).toContainText("Added by e2e");
  await expect(row).toContainText("18.21.0-vici");
  await row.getByRole("link", { name: id, exact: true }).click();
  await expect(page.getByRole("heading", { name: `Server ${id}` })).toBeVisible();
  await expect(field(page, "Server IP")).toHaveValue(ip);
  await expect(field(page, "Description")).toHaveValue("Added by e2e");
  await expect(field(page, "AMI secret")).toHaveValue("");

  await field(page, "Description").fill("Edited by e2e");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Changes saved." })).toBeVisible();
  await expect(field(page, "Description")).toHaveValue("Edited by e2e");
  await page.reload();
  await expect(field(page, "Description")).toHaveValue("Edited by e2e");
  await page.goto("/servers");
  await expect(page.getByRole("row").filter({ hasText: ip })).toContainText("Edited by e2e");
});

test("a bad server IP is refused next to its field, the values are kept and nothing is added", async ({ page }) => {
  const { id } = unique();
  await signIn(page);
  await page.goto("/servers/new");
  await field(page, "Server IP").fill("10.0.0.999");
  await field(page, "Server ID").fill(id);
  await field(page, "Description").fill("Never stored");
  await page.getByRole("button", { name: "Add server" }).click();

  const alert = page.getByRole("alert");
  await expect(alert).toContainText("The server was not saved");
  await expect(alert).toContainText("Server IP: server_ip must be a dotted IPv4 address");
  const ipField = field(page, "Server IP");
  await expect(ipField).toHaveAttribute("aria-invalid", "true");
  await expect(ipField).toHaveAccessibleDescription(/server_ip must be a dotted IPv4 address/);
  await expect(ipField).toHaveValue("10.0.0.999");
  await expect(field(page, "Description")).toHaveValue("Never stored");

  await page.goto("/servers");
  await expect(page.getByRole("heading", { name: "Servers", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: id })).toHaveCount(0);
});

test("the servers list, a server page and the add form are axe-clean and the list fits 1280 px", async ({ page }) => {
  await signIn(page);
  await page.goto("/servers");
  await expect(page.getByRole("heading", { name: "Servers", exact: true })).toBeVisible();
  await expectNoSeriousAxe(page);
  // Every column without scrolling sideways at 1280 px.
  const wrap = page.locator(".servers-table-wrap");
  const overflow = await wrap.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("columnheader", { name: "AMI" })).toBeInViewport();
  await page.goto("/servers/10.10.10.15");
  await expect(page.getByRole("heading", { name: "Server e2east" })).toBeVisible();
  await expectNoSeriousAxe(page);
  await page.goto("/servers/new");
  await expect(page.getByRole("heading", { name: "Add a server" })).toBeVisible();
  await expectNoSeriousAxe(page);
});

test("a server page counts its phones, links to them, and says how to reload Asterisk without AMI", async ({ page, request }) => {
  const server = unique();
  await signIn(page);
  await addServer(page, server);
  const stamp = `${Date.now() % 100000}`;
  await addPhone(request, `sc${stamp}a`, server.ip);
  await addPhone(request, `sc${stamp}b`, server.ip);
  await page.goto(`/servers/${server.ip}`);

  const apply = page.getByRole("region", { name: "Apply changes to Asterisk" });
  await expect(apply).toContainText("This server has no AMI settings");
  await expect(apply.getByRole("button", { name: "Test AMI connection" })).toHaveCount(0);
  await expect(page.getByLabel("Reload commands")).toHaveText(
    ['asterisk -rx "dialplan reload"', 'asterisk -rx "sip reload"', 'asterisk -rx "iax2 reload"'].join("\n"));
  await expectNoSeriousAxe(page);

  await page.getByRole("link", { name: "2 phones on this server" }).click();
  await expect(page).toHaveURL(`/phones?server=${server.ip}`);
  await expect(page.getByTestId("phone-total")).toContainText("2 phones");

  // The servers list shows the same count, linking to the same list.
  await page.goto("/servers");
  await page.getByRole("link", { name: `2 phones on ${server.id}` }).click();
  await expect(page).toHaveURL(`/phones?server=${server.ip}`);
});

test("Test AMI connection reports a working login, a rejected login and a refused connection", async ({ page }) => {
  const ami = await startAmiServer({ user: "dialtone", secret: "amiT3st9" });
  const closed = await startAmiServer();
  const closedPort = closed.port;
  await closed.close();
  try {
    await signIn(page);
    const good = unique();
    await addServer(page, good, { port: ami.port, user: "dialtone", secret: "amiT3st9" });
    const test = page.getByRole("button", { name: "Test AMI connection" });
    await expect(page.getByRole("region", { name: "Apply changes to Asterisk" }))
      .toContainText(`Dialtone reloads Asterisk itself over AMI (127.0.0.1:${ami.port} as dialtone)`);
    await test.click();
    await expect(page).toHaveURL(new RegExp(`\\?ami_test=ok#ami-test$`));
    const result = page.getByTestId("ami-test-result");
    await expect(result).toHaveText(
      `Connected: 127.0.0.1:${ami.port} answered as an Asterisk manager and accepted the login as dialtone.`);
    await expect(result).toHaveAttribute("role", "status");
    await expectNoSeriousAxe(page);

    const wrong = unique();
    await addServer(page, wrong, { port: ami.port, user: "dialtone", secret: "not-the-secret" });
    await test.click();
    await expect(result).toContainText(`Failed: authentication failed. 127.0.0.1:${ami.port} refused the login as dialtone`);
    await expect(page.locator("body")).not.toContainText("not-the-secret");
    expect(page.url()).not.toContain("secret");

    const down = unique();
    await addServer(page, down, { port: closedPort, user: "dialtone", secret: "amiT3st9" });
    await test.click();
    await expect(result).toContainText(`Failed: connection refused by 127.0.0.1:${closedPort}.`);
    await expectNoSeriousAxe(page);
  } finally {
    await ami.close();
  }
});

test("a view-only user is not offered the AMI test", async ({ page }) => {
  await signIn(page, { user: "e2eview", pass: "e2eviewpass" });
  await page.goto("/servers/10.10.10.15");
  await expect(page.getByRole("heading", { name: "Server e2east" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Test AMI connection" })).toHaveCount(0);
});
