/**
 * The inspector in a real browser: Debian's Chromium driven by playwright-core (which downloads
 * nothing). The browser is found at NORCE_EVENT_CHROMIUM or /usr/bin/chromium; in CI a missing
 * browser fails the run, elsewhere these tests are skipped with the reason printed.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";

const CHROMIUM = process.env.NORCE_EVENT_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER) {
  if (process.env.CI)
    throw new Error(`no browser at ${CHROMIUM}: .ci/run installs Debian's chromium`);
  console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (set NORCE_EVENT_CHROMIUM)`);
}
const SCREENSHOT = fileURLToPath(new URL("../../docs/inspector.png", import.meta.url));
const XSS = "<img src=x onerror=window.__pwned=1>";

describe.skipIf(!HAVE_BROWSER)("the inspector in Chromium", () => {
  let browser: Browser;
  let listen: ListenProcess;
  let inspectorUrl: string;
  const cwd = mkdtempSync(join(tmpdir(), "norce-inspector-browser-"));

  beforeAll(async () => {
    listen = await startListen(["--inspect", "0", "--fail-first", "2", "--time-scale", "1000"], {
      cwd,
    });
    for (let i = 0; i < 100 && !/inspector: http:/.test(listen.stderr()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    inspectorUrl = /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(listen.stderr())![1]!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await listen?.stop();
  });

  async function open(path = ""): Promise<{ page: Page; violations: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on("pageerror", (e) => violations.push(`page error: ${e.message}`));
    await page.goto(`${inspectorUrl}${path}`);
    await page.locator("#live.on").waitFor({ timeout: 5000 });
    return { page, violations };
  }

  const send = (type: string, ...args: string[]) =>
    runCli(["send", type, "--to", listen.url, "--time-scale", "1000", "--no-store", ...args], {
      cwd,
    });

  it("shows an event sent while the page is open within 1 s: one row, three attempts, the timeline, no diff; replay delivers again with the same id", async () => {
    const { page, violations } = await open();
    const sent = await send("OrderConfirmedEvent", "--seed", "42");
    expect(sent.code).toBe(0);
    const id = /OrderConfirmedEvent ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 1000 });
    await expect.poll(() => row.locator("td").nth(6).textContent()).toBe("attempt 3");
    await expect(page.locator("tbody tr").count()).resolves.toBe(1);
    await row.click();
    const timeline = page.locator('ol.timeline[data-kind="received"] li');
    await expect.poll(() => timeline.count()).toBe(3);
    await expect(page.locator("ul.diff li.bug").count()).resolves.toBe(0);
    await expect(page.locator("ul.diff li.same").count()).resolves.toBe(2);
    await page.locator('button[data-action="replay"]').click();
    await expect.poll(() => timeline.count(), { timeout: 5000 }).toBe(4);
    await expect(page.locator(`tr[data-id="${id}"]`).count()).resolves.toBe(1);
    expect(violations).toEqual([]);
    await page.close();
  });

  it("shows a payload and headers carrying HTML as text: nothing runs, no CSP violation", async () => {
    const { page, violations } = await open();
    const id = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
    const res = await fetch(listen.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "norce-event-message-id": id,
        "norce-event-type": "OrderConfirmedEvent",
        "norce-event-timestamp": "2026-11-28T10:00:00.000000+01:00",
        "x-evil": XSS,
      },
      body: JSON.stringify({ ClientId: 1, LastName: XSS, Source: "WEB" }),
    });
    expect(res.status).toBe(500); // --fail-first 2
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 2000 });
    await row.click();
    await page.locator("#detail dd", { hasText: XSS }).waitFor();
    await page.locator("#detail pre.json", { hasText: XSS }).waitFor();
    expect(await page.evaluate("window.__pwned")).toBe(undefined);
    expect(await page.locator("#detail img").count()).toBe(0);
    expect(violations).toEqual([]);
    await page.close();
  });

  it("moves with j and k, opens with Enter, replays with r as a new attempt", async () => {
    await send("SkuChangedNotification", "--seed", "1");
    const { page } = await open();
    await page.locator("tbody tr").nth(1).waitFor();
    await page.keyboard.press("j");
    await expect(page.locator("tbody tr.cursor").getAttribute("data-id")).resolves.toBe(
      await page.locator("tbody tr").nth(1).getAttribute("data-id"),
    );
    await page.keyboard.press("k");
    const first = (await page.locator("tbody tr.cursor").getAttribute("data-id"))!;
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate("location.hash")).toBe(`#/events/${first}`);
    const timeline = page.locator('ol.timeline[data-kind="received"] li');
    await expect.poll(() => timeline.count()).toBeGreaterThan(0);
    const before = await timeline.count();
    await page.keyboard.press("r");
    await expect.poll(() => timeline.count(), { timeout: 5000 }).toBe(before + 1);
    await page.close();
  });

  it("refuses an edited body that breaks the schema, with the schema's message", async () => {
    const { page } = await open();
    await page.locator("tbody tr").first().click();
    await page.locator('button[data-action="edit"]').waitFor();
    await page.keyboard.press("e");
    await page.locator("#edit-body").fill('{"ClientId": "not a number"}');
    await page.locator("#edit-send").click();
    await page.locator("#edit-problems li", { hasText: "$.ClientId" }).waitFor();
    expect(await page.locator("#edit-dialog").getAttribute("open")).not.toBeNull();
    await page.close();
  });

  it("switches the listener's answer to 500 from the page: the next send retries", async () => {
    const { page } = await open();
    await page.locator("#answers-button").click();
    await page.locator("#a-status").fill("500");
    await page.locator("#a-fail-first").fill("0");
    await page.locator("#answers-apply").click();
    await page.locator("#answers-dialog:not([open])").waitFor({ state: "attached" });
    await expect.poll(() => listen.stderr()).toContain("answers changed in the inspector: 500");
    const sent = await send("JobCompletedEvent", "--max-retries", "2");
    expect(sent.code).toBe(1);
    expect(sent.stdout).toMatch(/#1 .*500[\s\S]*#2 .*500[\s\S]*#3 .*500/);
    // Heal it for the tests that follow.
    await page.locator("#answers-button").click();
    await page.locator("#a-status").fill("202");
    await page.locator("#answers-apply").click();
    await page.close();
  });

  it("takes the README's screenshot (written when missing, or with NORCE_EVENT_UPDATE_SCREENSHOT=1)", async () => {
    const { page, violations } = await open();
    const row = page.locator("tbody tr", { hasText: "OrderConfirmedEvent" }).last();
    await row.click();
    await page.locator('ol.timeline[data-kind="received"] li').first().waitFor();
    await page.locator("#f-follow").uncheck();
    await page.waitForTimeout(300);
    if (process.env.NORCE_EVENT_UPDATE_SCREENSHOT || !existsSync(SCREENSHOT)) {
      writeFileSync(SCREENSHOT, await page.screenshot());
    }
    expect(violations).toEqual([]);
    await page.close();
  });

  it("stays responsive during a burst of events (updates coalesced)", async () => {
    const { page } = await open();
    // Answer everything at once for this burst.
    await page.evaluate(`fetch("/api/answers", { method: "POST", headers: { "content-type": "application/json",
      "x-inspector-token": document.querySelector('meta[name="norce-inspector-token"]').content },
      body: JSON.stringify({ status: 202, failFirst: 0, failRate: 0, delayMs: 0, requireHeader: "" }) })`);
    const burst = send("SkuPriceChangedNotification", "--count", "1500", "--concurrency", "16");
    const lags: number[] = [];
    let done = false;
    void burst.then(() => {
      done = true;
    });
    while (!done) {
      const started = performance.now();
      await page.evaluate("document.querySelectorAll('tbody tr').length");
      lags.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await burst).code).toBe(0);
    expect(Math.max(...lags)).toBeLessThan(1000);
    await expect
      .poll(() => page.locator("tbody tr", { hasText: "SkuPriceChangedNotification" }).count(), {
        timeout: 5000,
      })
      .toBe(500); // the list shows the newest 500
    await page.close();
  });

  it("follows the system's colour scheme", async () => {
    const { page } = await open();
    const background = () => page.evaluate("getComputedStyle(document.body).backgroundColor");
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await background();
    await page.emulateMedia({ colorScheme: "light" });
    const light = await background();
    expect(dark).toBe("rgb(22, 24, 27)");
    expect(light).toBe("rgb(251, 251, 250)");
    await page.setViewportSize({ width: 600, height: 900 });
    expect(await page.locator("#list").isVisible()).toBe(true);
    await page.close();
  });
});
