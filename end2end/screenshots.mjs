// Screenshots of every page at 1280 px and 390 px wide, for a person to look at (not a test).
//   node end2end/screenshots.mjs [base URL, default http://127.0.0.1:3100] [output dir, default end2end/screenshots]
// Needs a running Dialtone with the e2e fixture users (end2end/serve.sh starts one) and at least one phone.
import { chromium } from "@playwright/test";
import { mkdirSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:3100";
const out = process.argv[3] ?? "end2end/screenshots";
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const pages = process.env.SCREENSHOT_PAGES?.split(",") ?? [
  "/sign-in", "/", "/phones", "/phones?q=zz-no-match", "/phones/new", "@review", "@phone", "@edit", "/servers",
  "/servers/new", "/servers/10.10.10.15", "/carriers", "/carriers/new", "/remote-agents", "/login-check",
];
for (const width of [1280, 390]) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/sign-in`);
  await page.screenshot({ path: `${out}/${width}-sign-in.png`, fullPage: true });
  await page.getByLabel("User name", { exact: true }).fill("e2eapi");
  await page.getByLabel("Password", { exact: true }).fill("e2eapipass");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("networkidle");
  for (const path of pages.filter((p) => p !== "/sign-in")) {
    let target = path;
    if (path.startsWith("@")) {
      await page.goto(`${base}/phones`);
      const first = page.locator("table.phones a.row-link").first();
      const href = await first.getAttribute("href");
      if (!href) continue;
      target = path === "@phone" ? href : path === "@edit" ? `${href}/edit` : "/phones/new";
    }
    await page.goto(`${base}${target}`);
    await page.waitForLoadState("networkidle");
    if (path === "@review") {
      // Walk the wizard to its review step with the fixture's values.
      const tag = `${Date.now() % 100000}`;
      await page.getByRole("radio", { name: /SIP softphone or desk phone/ }).check();
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByLabel("Extension", { exact: true }).fill(`shot${tag}`);
      await page.getByLabel("Dialplan number", { exact: true }).fill(`8${tag}`);
      await page.getByLabel("Voicemail ID", { exact: true }).fill(`8${tag}`);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByLabel("Phone login", { exact: true }).fill(`shot${tag}`);
      await page.getByLabel("Login password", { exact: true }).fill(`Shot${tag}login9`);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByLabel("Full name", { exact: true }).fill("Screenshot Agent");
      await page.getByLabel("Outbound caller ID", { exact: true }).fill("3125550199");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByTestId("conf-preview").waitFor();
      await page.waitForTimeout(500);
    }
    const name = path.replace(/^\//, "").replace(/[^a-z0-9@]+/gi, "-") || "overview";
    await page.screenshot({ path: `${out}/${width}-${name}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    console.log(`${width}px ${target}: ${overflow > 0 ? `OVERFLOWS by ${overflow}px` : "fits"}`);
  }
  await context.close();
}
await browser.close();
