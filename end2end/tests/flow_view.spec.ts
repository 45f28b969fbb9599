import type { APIRequestContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { ADMIN, signIn } from "./fixtures/session";
import { addPhone, addServer, uniqueServer } from "./fixtures/setup";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// Issue 12, the login path view and the remote agents' board. Runs with JavaScript on and off (both are
// complete on the server); every test uses its own server, so the two projects share the database.

/** Changes a phone through the legacy API's update_phone (`fields`: the columns to set). */
async function updatePhone(request: APIRequestContext, extension: string, serverIp: string, fields: Record<string, string>) {
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: { source: "e2e", user: ADMIN.user, pass: ADMIN.pass, function: "update_phone", extension, server_ip: serverIp, ...fields },
  });
  expect(await res.text()).toContain("update_phone PHONE HAS BEEN UPDATED");
}

/** Adds a carrier on `serverIp` routing 9 + 1 + ten digits. */
async function addCarrier(page: Page, serverIp: string, id: string) {
  await page.goto("/carriers/new");
  await page.getByLabel("Carrier ID", { exact: true }).fill(id);
  await page.getByLabel("Name", { exact: true }).fill("View trunk");
  await page.getByLabel("Server", { exact: true }).selectOption(serverIp);
  await page.getByLabel("Dialplan entry", { exact: true }).fill("exten => _91NXXNXXXXXX,1,Dial(SIP/viewtrunk/${EXTEN:1},,tTo)");
  await page.getByRole("button", { name: "Add carrier" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Carrier added." })).toBeVisible();
}

function tagOf(projectName: string): string {
  return `${projectName === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
}

test("after the node where the path breaks nothing is drawn or listed as passing, and the fix shows once", async ({ page, request }, info) => {
  const server = uniqueServer();
  const tag = tagOf(info.project.name);
  await signIn(page);
  await addServer(page, server);
  // An inactive SIP desk phone: refused at the login; everything after it is not reached.
  const desk = `vin${tag}`;
  await addPhone(request, desk, server.ip);
  await updatePhone(request, desk, server.ip, { active: "N" });
  await page.goto(`/phones/${server.ip}/${desk}/flow`);
  await expect(page.getByTestId("flow-node-login")).toHaveAttribute("data-status", "fail");
  for (const node of ["protocol", "peer", "registration"]) {
    await expect(page.getByTestId(`flow-node-${node}`)).toHaveAttribute("data-status", "not-reached");
    await expect(page.getByTestId(`flow-node-${node}`)).toContainText("not reached");
    await expect(page.getByTestId(`flow-step-${node}`)).toContainText("not reached");
    await expect(page.getByTestId(`flow-step-${node}`)).not.toContainText("passes");
  }
  await expect(page.getByTestId("flow-node-silence")).toHaveAttribute("data-status", "fail");
  // The fix: in the banner and on the failing step, nowhere else.
  await expect(page.locator("main .fix")).toHaveCount(2);
  await expect(page.getByTestId("flow-verdict").locator(".fix")).toHaveCount(1);
  await expect(page.getByTestId("flow-step-login").locator(".fix")).toHaveCount(1);
  // Its status says it is inactive.
  await expect(page.getByTestId("flow-status")).toContainText("inactive");
  await expectNoSeriousAxe(page);
});

test("the login path of SIP, IAX2, EXTERNAL and webphone phones at 1280 and 390 px passes axe", async ({ page, request }, info) => {
  test.setTimeout(150_000);
  const server = uniqueServer();
  const tag = tagOf(info.project.name);
  await signIn(page);
  await addServer(page, server);
  await addCarrier(page, server.ip, `vc${tag}`);
  const phones: [string, Record<string, string>][] = [
    [`vsip${tag}`, {}],
    [`viax${tag}`, { protocol: "IAX2" }],
    [`vext${tag}`, { protocol: "EXTERNAL", dialplan_number: "913125550188", phone_ring_timeout: "18" }],
    [`vweb${tag}`, {}],
  ];
  for (const [ext, extra] of phones) await addPhone(request, ext, server.ip, extra);
  await updatePhone(request, `vweb${tag}`, server.ip, { is_webphone: "Y" });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [ext] of phones) {
      await page.goto(`/phones/${server.ip}/${ext}/flow`);
      await expect(page.getByRole("img", { name: /Agent login path/ })).toBeVisible();
      // Nothing runs off the side of a phone's screen.
      const overflow = await page.locator("main").evaluate((m) => m.scrollWidth - m.clientWidth).catch(() => 0);
      expect(overflow).toBeLessThanOrEqual(0);
      await expectNoSeriousAxe(page);
    }
  }
  // The EXTERNAL phone is ready: the whole path is reached.
  await page.goto(`/phones/${server.ip}/vext${tag}/flow`);
  await expect(page.getByTestId("flow-verdict")).toContainText("READY");
  await expect(page.locator('[data-status="not-reached"]')).toHaveCount(0);
});

test("the board's counts filter it by verdict and the first problem stays in view at 390 px", async ({ page, request }, info) => {
  const server = uniqueServer();
  const tag = tagOf(info.project.name);
  await signIn(page);
  await addServer(page, server);
  await addCarrier(page, server.ip, `bc${tag}`);
  const ok = `bok${tag}`;
  const bad = `bbad${tag}`;
  const off = `boff${tag}`;
  await addPhone(request, ok, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550123", phone_ring_timeout: "18" });
  await addPhone(request, bad, server.ip, { protocol: "EXTERNAL", dialplan_number: "3125550124" });
  await addPhone(request, off, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550125", phone_ring_timeout: "18" });
  await updatePhone(request, off, server.ip, { active: "N" });
  await page.goto(`/remote-agents?server=${server.ip}`);
  const table = page.getByRole("table", { name: "Remote agents, worst first" });
  await expect(table.getByRole("row")).toHaveCount(4);
  await expect(table.getByRole("row").filter({ hasText: off })).toContainText("inactive");
  await expectNoSeriousAxe(page);
  // The "will hear silence" count is a link to the board of those phones, this server kept.
  await page.getByTestId("count-silence").getByRole("link").click();
  await expect(page).toHaveURL(`/remote-agents?server=${server.ip}&verdict=silence`);
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(table).toContainText(bad);
  await expect(table).toContainText(off);
  await expect(table).not.toContainText(ok);
  await expect(page.getByTestId("count-silence").getByRole("link")).toHaveAttribute("aria-current", "true");
  await expect(page.getByLabel("Verdict", { exact: true })).toHaveValue("silence");
  // The ready count filters to the ready phone; the current count's link goes back to every verdict.
  await page.getByTestId("count-ready").getByRole("link").click();
  await expect(page).toHaveURL(`/remote-agents?server=${server.ip}&verdict=ready`);
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table).toContainText(ok);
  await page.getByTestId("count-ready").getByRole("link").click();
  await expect(page).toHaveURL(`/remote-agents?server=${server.ip}`);
  // At 390 px each phone is a card: the first problem is on screen, no sideways scrolling.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(`/remote-agents?server=${server.ip}`);
  const problem = page.getByTestId(`agent-${bad}`).locator("td.problem");
  await expect(problem).toContainText("Dial via trunk");
  await expect(problem).toBeInViewport();
  const box = await problem.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 390).toBeTruthy();
  await expect(page.getByTestId(`agent-${bad}`).getByRole("link", { name: bad })).toBeInViewport();
  await expectNoSeriousAxe(page);
});
