/**
 * The built CLI in a real terminal (a tmux pane on its own server socket): what a person sees
 * after answering prompts (secrets masked), after Ctrl-C in a prompt (nothing half-drawn), and
 * after Ctrl-C during a wait (the summary on its own line, not after `^C`). Skipped where tmux
 * is not installed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN } from "../helpers/cli.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const TOKEN = "supersecrettoken12345";
let receiver: TestReceiver | undefined;
let socket: string | undefined;

afterEach(async () => {
  if (socket) {
    try {
      execFileSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
    } catch {}
  }
  socket = undefined;
  await receiver?.close();
  receiver = undefined;
});

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket!, ...args], { encoding: "utf8" });
}

/** Start `args` of the CLI in a fresh 160×40 terminal; the exit code is printed after it. */
function startInTerminal(args: string[], cwd: string, env: Record<string, string> = {}): void {
  socket = `norce-event-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const vars = Object.entries({ NO_COLOR: "1", NORCE_EVENT_STORE: join(cwd, "events.db"), ...env })
    .map(([k, v]) => `${k}='${v}'`)
    .join(" ");
  const quoted = args.map((a) => `'${a}'`).join(" ");
  const command = `env ${vars} '${process.execPath}' '${BIN}' ${quoted}; echo "EXIT=$?"; sleep 60`;
  execFileSync("tmux", [
    "-L",
    socket,
    "-f",
    "/dev/null",
    "new-session",
    "-d",
    "-x",
    "160",
    "-y",
    "40",
    "-c",
    cwd,
    command,
  ]);
}

function screen(): string {
  return tmux("capture-pane", "-p");
}

async function waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = screen();
    if (typeof text === "string" ? shown.includes(text) : text.test(shown)) return shown;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}; screen:\n${shown}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function type(text: string): void {
  tmux("send-keys", "-l", text);
}

function press(...keys: string[]): void {
  tmux("send-keys", ...keys);
}

describe.skipIf(!hasTmux)("in a terminal", () => {
  it("send with a type and no --to asks for the URL; the answered header prompt shows the token masked", async () => {
    receiver = await startReceiver(accept());
    const dir = mkdtempSync(join(tmpdir(), "norce-event-tty-"));
    startInTerminal(["send", "OrderConfirmedEvent"], dir);
    await waitFor("? Receiver URL");
    type(`${receiver.url}/receiver`);
    press("Enter");
    await waitFor("? Extra header");
    type(`Authorization: Bearer ${TOKEN}`);
    press("Enter");
    await waitFor("? Another header");
    press("Enter");
    await waitFor("? Edit the payload");
    press("Enter");
    const shown = await waitFor("EXIT=");
    expect(shown).toContain("EXIT=0");
    expect(shown).toContain(`✔ Receiver URL ${receiver.url}/receiver`);
    expect(shown).toContain(
      "✔ Extra header (Name: value), empty for none Authorization: Bearer ••••2345",
    );
    expect(shown).not.toContain(TOKEN);
    expect(shown).toContain("✓ delivered after 1 attempt");
    expect(receiver.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("Ctrl-C inside a prompt leaves no half-drawn prompt and exits 130 quietly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "norce-event-tty-"));
    startInTerminal(["send", "OrderConfirmedEvent"], dir);
    await waitFor("? Receiver URL");
    type("http://127.0.0.1:9/receiver");
    press("Enter");
    await waitFor("? Extra header");
    type("Authorization: Bear");
    press("C-c");
    const shown = await waitFor("EXIT=");
    expect(shown).toContain("EXIT=130");
    expect(shown).not.toContain("? Extra header");
    expect(shown).not.toContain("Authorization: Bear");
    expect(shown).not.toMatch(/error|This is a bug/);
  });

  it("init's answered Authorization prompt shows the token masked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "norce-event-tty-"));
    startInTerminal(["init"], dir);
    await waitFor("? Event types to switch on");
    press("Enter");
    await waitFor("? Receiver URL");
    press("Enter");
    await waitFor("? Authorization header value");
    type(`Bearer ${TOKEN}`);
    press("Enter");
    // The tenant (asked since one tenant per project): the defaults.
    await waitFor("? Your Norce ClientId");
    press("Enter");
    await waitFor("? Your ApplicationIds");
    press("Enter");
    const shown = await waitFor("EXIT=");
    expect(shown).toContain("EXIT=0");
    expect(shown).toContain("✔ Authorization header value");
    expect(shown).toContain("Bearer ••••2345");
    expect(shown).not.toContain(TOKEN);
  });

  it("Ctrl-C while waiting for a retry: the summary starts on its own line, not after ^C", async () => {
    receiver = await startReceiver(accept(500, "down"));
    const dir = mkdtempSync(join(tmpdir(), "norce-event-tty-"));
    startInTerminal(["send", "OrderConfirmedEvent", "--to", receiver.url], dir);
    await waitFor("retry #2");
    press("C-c");
    const shown = await waitFor("EXIT=");
    expect(shown).toContain("EXIT=130");
    expect(shown).toMatch(/^■ interrupted after 1 attempt/m);
    expect(shown).not.toMatch(/\^C[^\n]*■/);
  });
});
