import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";
import { addPhone, addServer, uniqueServer } from "./fixtures/setup";
import { expectNoSeriousAxe } from "./fixtures/a11y";

// Issue 12, the phones list: the VERDICT column (sorted and filtered on the server: a select in the
// filter form and the heading's sort link, so JavaScript is not needed), the pager only when there is
// more than one page, card rows at 390 px keeping the name and registration, the search placeholder
// whole. Runs with JavaScript on and off; each test uses its own server.

test("the VERDICT column sorts and filters the list, with or without JavaScript", async ({ page, request }, info) => {
  const server = uniqueServer();
  const tag = `${info.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page);
  await addServer(page, server);
  // No carrier on this server: an EXTERNAL phone will hear silence; a SIP phone without a registration
  // source cannot be told.
  const ext = `lext${tag}`;
  const sip = `lsip${tag}`;
  await addPhone(request, ext, server.ip, { protocol: "EXTERNAL", dialplan_number: "913125550190" });
  await addPhone(request, sip, server.ip);
  await page.goto(`/phones?server=${server.ip}`);
  const table = page.getByRole("table", { name: "Phones" });
  await expect(table.getByRole("columnheader", { name: "VERDICT" })).toBeVisible();
  const row = (e: string) => table.getByRole("row").filter({ has: page.getByRole("link", { name: e, exact: true }) });
  await expect(row(ext).getByTestId("verdict-cell")).toHaveText("will hear silence");
  await expect(row(sip).getByTestId("verdict-cell")).toHaveText("unknown");
  // One page: no pager.
  await expect(page.getByRole("navigation", { name: "Pages" })).toHaveCount(0);
  await expectNoSeriousAxe(page);

  // Sorted by verdict: worst first, then the other way.
  await table.getByRole("link", { name: "VERDICT" }).click();
  await expect(page).toHaveURL(`/phones?server=${server.ip}&sort=verdict`);
  await expect(table.getByRole("row").nth(1)).toContainText(ext);
  await table.getByRole("link", { name: /VERDICT/ }).click();
  await expect(page).toHaveURL(`/phones?server=${server.ip}&sort=verdict&dir=desc`);
  await expect(table.getByRole("row").nth(1)).toContainText(sip);

  // Filtered by verdict from the form's select (applies at once with JavaScript; Search without).
  await page.getByLabel("Verdict", { exact: true }).selectOption("unknown");
  if (info.project.name !== "hydrated") await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`verdict=unknown`));
  await expect(page.getByTestId("phone-total")).toHaveText("1 phone, showing 1–1");
  await expect(row(sip)).toBeVisible();
  await expect(row(ext)).toHaveCount(0);
  await expectNoSeriousAxe(page);
});

test("an inactive phone shows it in the STATUS column", async ({ page, request }, info) => {
  const server = uniqueServer();
  const ext = `linact${info.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page);
  await addServer(page, server);
  await addPhone(request, ext, server.ip);
  const res = await request.get("/vicidial/non_agent_api.php", {
    params: { source: "e2e", user: "e2eapi", pass: "e2eapipass", function: "update_phone", extension: ext, server_ip: server.ip, active: "N" },
  });
  expect(await res.text()).toContain("PHONE HAS BEEN UPDATED");
  await page.goto(`/phones?server=${server.ip}`);
  await expect(page.getByTestId("status-cell")).toHaveText("ACTIVE inactive");
});

test("at 390 px each phone is a card with its name and registration in view; the search placeholder is whole", async ({ page, request }, info) => {
  const server = uniqueServer();
  const ext = `lcard${info.project.name === "hydrated" ? "h" : "n"}${Date.now() % 100000}`;
  await signIn(page);
  await addServer(page, server);
  await addPhone(request, ext, server.ip, { phone_full_name: "Card Person" });
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/phones?server=${server.ip}`);
    const row = page.getByRole("row").filter({ hasText: ext });
    for (const label of ["NAME", "REGISTRATION", "VERDICT", "EXTEN"]) {
      const cell = row.locator(`td[data-label="${label}"]`);
      await expect(cell).toBeInViewport();
      const box = await cell.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= width, `${label} inside ${width} px`).toBeTruthy();
    }
    await expect(row.locator('td[data-label="NAME"]')).toHaveText("Card Person");
    // The placeholder fits its field (measured with the field's own font).
    const search = page.getByLabel("Search", { exact: true });
    const fits = await search.evaluate((el) => {
      const input = el as HTMLInputElement;
      const style = getComputedStyle(input);
      const ctx = document.createElement("canvas").getContext("2d");
      if (!ctx) return false;
      ctx.font = `${style.fontSize} ${style.fontFamily}`;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return ctx.measureText(input.placeholder).width <= room;
    }).catch(() => null);
    // (No JavaScript in the page: Playwright cannot measure there; the same CSS is checked hydrated.)
    if (fits !== null) expect(fits, `placeholder fits at ${width} px`).toBe(true);
    await expectNoSeriousAxe(page);
  }
});
