/** The inspector's command-line surface: `listen --inspect` and `inspect`, through the built CLI. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli } from "../helpers/cli.js";
import { startListen } from "../helpers/listen.js";
import { until } from "../helpers/until.js";

function startInspect(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv() });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  return { child, stderr: () => err };
}

describe("inspector on the command line", () => {
  it("listen --inspect 0 prints the inspector's URL, which serves the page and the stored events", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "norce-inspect-"));
    const listen = await startListen(["--inspect", "0", "--no-body"], { cwd });
    await until(() => /inspector: http:\/\/127\.0\.0\.1:\d+\//.test(listen.stderr()));
    const url = /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(listen.stderr())![1]!;
    const sent = await runCli(["send", "OrderConfirmedEvent", "--to", listen.url, "--seed", "3"], {
      cwd,
    });
    expect(sent.code).toBe(0);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("norce-event inspector");
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${url}api/events`)).json()) as { records: unknown[] }).records
            .length,
      )
      .toBe(2); // the received request, and the delivery send recorded in the same store
    expect(await listen.stop()).toBe(0);
  });

  it("inspect --port 0 --time-scale serves the store alone, and stops on Ctrl-C with exit 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "norce-inspect-"));
    const listen = await startListen(["--no-body"], { cwd });
    await runCli(["send", "JobCompletedEvent", "--to", listen.url, "--seed", "1"], { cwd });
    await listen.stop();
    const inspect = startInspect(["inspect", "--port", "0", "--time-scale", "1000"], cwd);
    await until(() => /inspector on (http:\S+)/.test(inspect.stderr()));
    const url = /inspector on (http:\S+)/.exec(inspect.stderr())![1]!;
    const meta = (await (await fetch(`${url}api/meta`)).json()) as {
      mode: string;
      timeScale: number;
    };
    const { version } = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    );
    expect(meta).toMatchObject({ mode: "store", timeScale: 1000, version });
    const list = (await (await fetch(`${url}api/events`)).json()) as {
      records: { type: string }[];
    };
    expect(list.records.map((r) => r.type)).toContain("JobCompletedEvent");
    const code = await new Promise<number | null>((resolve) => {
      inspect.child.once("exit", resolve);
      inspect.child.kill("SIGINT");
    });
    expect(code).toBe(0);
  });

  it("refuses what it cannot do with one line and exit 2: a bad port, --no-store, a taken port", async () => {
    const bad = await runCli(["listen", "--port", "0", "--inspect", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --inspect "abc" is not a port/m);
    const noStore = await runCli(["--no-store", "listen", "--port", "0", "--inspect", "0"]);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain("--inspect shows what the event store records");
    const taken = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const port = (taken.address() as { port: number }).port;
    const busy = await runCli(["listen", "--port", "0", "--inspect", String(port)]);
    taken.close();
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`the inspector's port ${port} on 127.0.0.1 is in use`);
    expect(busy.stderr).not.toContain("This is a bug");
    const port2 = await runCli(["inspect", "--port", "70000"]);
    expect(port2.code).toBe(2);
  });

  it("--inspect= (an empty value) is refused with the value quoted, as other values are", async () => {
    const empty = await runCli(["listen", "--port", "0", "--inspect="]);
    expect(empty.code).toBe(2);
    // It read "--inspect  is not a port", two spaces around nothing.
    expect(empty.stderr).toBe(
      'error: --inspect "" is not a port (--inspect alone serves on 7413; --inspect 0 picks a free port)\n',
    );
  });
});
