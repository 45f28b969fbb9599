import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures/session";

// Needs the WASM bundle: with JavaScript the server form submits in place (no page load, no error in
// the URL) and success navigates client-side. servers.spec.ts covers the same forms with JavaScript off.

test("with JavaScript a refusal shows in place and a fixed form opens the new server", async ({ page }) => {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  const ip = `10.${octet()}.${octet()}.${octet()}`;
  const id = `js${Math.random().toString(36).slice(2, 8)}`;
  await signIn(page);
  const ipField = page.getByLabel("Server IP", { exact: true });
  // Retry until hydration has attached the form's submit handler (before that the browser posts the
  // form itself and the refusal comes back through the URL).
  await expect(async () => {
    await page.goto("/servers/new");
    await page.waitForLoadState("networkidle");
    await ipField.fill("10.0.0.999");
    await page.getByLabel("Server ID", { exact: true }).fill(id);
    await page.getByRole("button", { name: "Add server" }).click();
    await expect(page.getByRole("alert")).toContainText("Server IP: server_ip must be a dotted IPv4", { timeout: 2_000 });
    expect(page.url()).not.toContain("__err");
  }).toPass({ timeout: 20_000 });
  await expect(ipField).toHaveAccessibleDescription(/server_ip must be a dotted IPv4 address/);

  await ipField.fill(ip);
  await page.getByRole("button", { name: "Add server" }).click();
  await expect(page).toHaveURL(new RegExp(`/servers/${ip.replaceAll(".", "\\.")}\\?added=1$`));
  await expect(page.getByRole("heading", { name: `Server ${id}` })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Server added." })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);
});
