import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";

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
  await row.getByRole("link", { name: id }).click();
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
