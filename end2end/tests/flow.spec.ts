import { expect, test } from "./fixtures/test";
import { ADMIN, ADMIN2, signIn } from "./fixtures/session";
import { addPhone, addServer, uniqueServer } from "./fixtures/setup";

// Runs with JavaScript on and off: the login path is complete on the server, the simulation is a POST
// form, the board a plain page. Every test uses its own server, so the two projects share the database.

test("an EXTERNAL phone that no carrier pattern matches fails at 'Dial via trunk', first on the board", async ({ page, request }, testInfo) => {
  const server = uniqueServer();
  const tag = `${testInfo.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page);
  await addServer(page, server);
  // The server's carrier routes 9 + 1 + ten digits.
  await page.goto("/carriers/new");
  await page.getByLabel("Carrier ID", { exact: true }).fill(`tr${tag}`);
  await page.getByLabel("Name", { exact: true }).fill("Flow trunk");
  await page.getByLabel("Server", { exact: true }).selectOption(server.ip);
  await page.getByLabel("Dialplan entry", { exact: true }).fill(
    "exten => _91NXXNXXXXXX,1,Dial(SIP/flowtrunk/${EXTEN:1},,tTo)\nexten => _91NXXNXXXXXX,n,Hangup()");
  await page.getByRole("button", { name: "Add carrier" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Carrier added." })).toBeVisible();
  // One number the carrier routes, one without the outside-line 9.
  const ok = `fok${tag}`;
  const bad = `fbad${tag}`;
  await addPhone(request, ok, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550123", phone_ring_timeout: "18" });
  await addPhone(request, bad, server.ip, { protocol: "EXTERNAL", dialplan_number: "3125550124" });

  await page.goto(`/phones/${server.ip}/${bad}`);
  await page.getByRole("link", { name: "Login path" }).click();
  await expect(page).toHaveURL(`/phones/${server.ip}/${bad}/flow`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Agent login path of ${bad} on ${server.ip}`);
  await expect(page.getByTestId("flow-node-trunk")).toHaveAttribute("data-status", "fail");
  await expect(page.getByTestId("flow-node-registration")).toHaveAttribute("data-status", "skipped");
  await expect(page.getByTestId("flow-node-silence")).toHaveAttribute("data-status", "fail");
  await expect(page.getByTestId("flow-step-trunk")).toContainText(
    `No active carrier pattern on server ${server.ip} matches 3125550124`);
  await expect(page.getByTestId("flow-step-trunk")).toContainText("_91NXXNXXXXXX");
  await expect(page.getByTestId("flow-verdict")).toContainText("WILL HEAR SILENCE");
  await expect(page.getByTestId("flow-verdict")).toContainText("Dial via trunk");
  const svg = page.getByRole("img", { name: /Agent login path: will hear silence/ });
  await expect(svg).toBeVisible();

  await page.goto(`/phones/${server.ip}/${ok}/flow`);
  await expect(page.getByTestId("flow-verdict")).toContainText("READY");
  await expect(page.getByTestId("flow-node-bridged")).toHaveAttribute("data-status", "ok");

  // The board, for this server: the failing phone first, counts on top.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Remote agents" }).click();
  await page.getByLabel("Server", { exact: true }).selectOption(server.ip);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`/remote-agents\\?server=${server.ip.replaceAll(".", "\\.")}`));
  const rows = page.getByRole("table", { name: "Remote agents, worst first" }).getByRole("row");
  await expect(rows.nth(1)).toContainText(bad);
  await expect(rows.nth(1)).toContainText("will hear silence");
  await expect(rows.nth(1)).toContainText("Dial via trunk");
  await expect(rows.nth(2)).toContainText(ok);
  await expect(page.getByTestId("count-silence")).toContainText("1 will hear silence");
  await expect(page.getByTestId("count-ready")).toContainText("1 ready");
  await rows.nth(1).getByRole("link", { name: bad }).click();
  await expect(page).toHaveURL(`/phones/${server.ip}/${bad}/flow`);
});

test("a simulated login with the wrong password breaks at the login", async ({ page, request }, testInfo) => {
  const server = uniqueServer();
  const ext = `fsim${testInfo.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page, testInfo.project.name === "hydrated" ? ADMIN : ADMIN2);
  await addServer(page, server);
  await addPhone(request, ext, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550125", phone_pass: "rightPass1" });
  await page.goto(`/phones/${server.ip}/${ext}/flow`);
  await expect(page.getByLabel("Phone login or alias", { exact: true })).toHaveValue(ext);
  await page.getByLabel("Login password", { exact: true }).fill("wrongPass1");
  await page.getByRole("button", { name: "Follow the path" }).click();
  await expect(page.getByTestId("simulation-notice")).toContainText(`Simulated login as "${ext}"`);
  await expect(page.getByTestId("flow-node-login")).toHaveAttribute("data-status", "fail");
  await expect(page.getByTestId("flow-step-login")).toContainText("Wrong phone password");
  await expect(page.locator("main")).not.toContainText("wrongPass1");
  expect(page.url()).not.toContain("Pass1");
  // The right password: the login passes.
  await page.getByLabel("Login password", { exact: true }).fill("rightPass1");
  await page.getByRole("button", { name: "Follow the path" }).click();
  await expect(page.getByTestId("flow-node-login")).toHaveAttribute("data-status", "ok");
  // The login check finds the phone from its login alone.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Login check" }).click();
  await page.getByLabel("Phone login or alias", { exact: true }).fill(ext);
  await page.getByLabel("Login password", { exact: true }).fill("rightPass1");
  await page.getByRole("button", { name: "Follow the path" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Agent login path of ${ext} on ${server.ip}`);
});

test("the login path fits a 390 px wide screen", async ({ page, request }, testInfo) => {
  const server = uniqueServer();
  const ext = `fnar${testInfo.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await addServer(page, server);
  await addPhone(request, ext, server.ip);
  await page.goto(`/phones/${server.ip}/${ext}/flow`);
  await expect(page.getByRole("img", { name: /Agent login path/ })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const box = await page.getByRole("img", { name: /Agent login path/ }).boundingBox();
  expect(box && box.width).toBeGreaterThan(300);
});
