import { expect, test } from "./fixtures/test";
import { signIn } from "./fixtures/session";
import { addPhone, addServer, uniqueServer } from "./fixtures/setup";
import { startAmiServer } from "./fixtures/ami_server";

// Needs the WASM bundle: the login path follows its event stream. A test AMI server (Asterisk's wire
// protocol) stands in for Asterisk: Dialtone's monitor logs in, lists the peers and follows events.

test("an unregistered SIP phone breaks at the registration and turns to audio bridged when Asterisk reports it", async ({ page, request }) => {
  const ami = await startAmiServer({ user: "dialtone", secret: "amiS3cret9" });
  try {
    const server = uniqueServer();
    const ext = `freg${Date.now() % 100000}`;
    ami.setSipPeers([{ name: ext }]);
    await signIn(page);
    await addServer(page, server, { port: ami.port, user: "dialtone", secret: "amiS3cret9" });
    await addPhone(request, ext, server.ip);
    // The monitor connects, the conf worker writes the peer and reloads Asterisk, the peers are listed
    // again: the phone is known to Asterisk and not registered.
    await page.goto(`/phones/${server.ip}/${ext}/flow`);
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("flow-node-registration")).toHaveAttribute("data-status", "fail", { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.getByTestId("flow-step-registration")).toContainText(`No active registration for ${ext}`);
    await expect(page.getByTestId("flow-node-peer")).toHaveAttribute("data-status", "ok");
    await expect(page.getByTestId("flow-verdict")).toContainText("WILL HEAR SILENCE");
    await expect(page.locator(".flow[data-live=true]")).toBeVisible({ timeout: 10_000 });
    expect(ami.commands()).toContain("sip reload");

    // Asterisk reports the registration: the page redraws without a reload (and the monitor asks
    // SIPshowpeer for the device's user agent).
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    ami.setSipPeers([{ name: ext, ip: "10.20.0.7", port: 5060, userAgent: "Zoiper rv2.10.20" }]);
    ami.sendEvent({
      Event: "PeerStatus", Privilege: "system,all", ChannelType: "SIP", Peer: `SIP/${ext}`,
      PeerStatus: "Registered", Address: "10.20.0.7:5060",
    });
    await expect(page.getByTestId("flow-node-bridged")).toHaveAttribute("data-status", "ok", { timeout: 3_000 });
    await expect(page.getByTestId("flow-node-registration")).toHaveAttribute("data-status", "ok");
    await expect(page.getByTestId("flow-verdict")).toContainText("READY");
    await expect(page.getByTestId("flow-step-registration")).toContainText("10.20.0.7:5060");
    await expect(page.getByTestId("flow-step-registration")).toContainText("Zoiper rv2.10.20", { timeout: 3_000 });
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    // And back: unregistered again. Asterisk's peer list then shows no address either: a list the
    // monitor loads again meanwhile (it does after each conf apply it sees, up to 2 s later) must agree
    // with the event, as it would with a real Asterisk.
    ami.setSipPeers([{ name: ext }]);
    ami.sendEvent({
      Event: "PeerStatus", Privilege: "system,all", ChannelType: "SIP", Peer: `SIP/${ext}`,
      PeerStatus: "Unregistered", Cause: "Expired",
    });
    await expect(page.getByTestId("flow-node-registration")).toHaveAttribute("data-status", "fail", { timeout: 3_000 });
  } finally {
    await ami.close();
  }
});
