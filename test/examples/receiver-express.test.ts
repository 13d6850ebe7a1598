/**
 * The README's Express receiver example (receiver-express.js, shown word for word) runs as a
 * user would run it, and the built CLI's `norce-event test` passes it: every case, no warning.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "../helpers/cli.js";

const EXAMPLE = fileURLToPath(new URL("receiver-express.js", import.meta.url));
const TOKEN = "example-t0ken-42";
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

describe("README: the Express receiver example", () => {
  it('passes `norce-event test --to …/receiver -H "Authorization: Bearer $TOKEN"` with every case green', async () => {
    const server = spawn(process.execPath, [EXAMPLE], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: cliEnv({ TOKEN, PORT: "0" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = server;
    let out = "";
    server.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    server.stderr.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the example did not start:\n${out}`)),
        15_000,
      );
      server.stdout.on("data", () => {
        const match = /receiving on http:\/\/localhost:(\d+)\/receiver/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      server.on("exit", () => reject(new Error(`the example exited:\n${out}`)));
    });

    const { code, stdout, stderr } = await runCli(
      ["test", "--to", `http://127.0.0.1:${port}/receiver`, "-H", `Authorization: Bearer ${TOKEN}`],
      { env: { TOKEN } },
    );
    expect(stderr).toBe("");
    expect(stdout).toMatch(/✓ rejects unauthenticated events {2}401, 401/);
    expect(stdout).toMatch(
      /✓ idempotent on retries: the same OrderConfirmedEvent twice {2}202, 202/,
    );
    expect(stdout).toMatch(/✓ malformed body: invalid JSON gets a 4xx {2}400/);
    expect(stdout).toMatch(/25 cases: 25 passed, 0 failed ·/);
    expect(stdout).not.toMatch(/warning|✗|skipped/);
    expect(code).toBe(0);
    // accepts/OrderConfirmedEvent, the idempotent pair (handled once), the tolerant-reader one.
    expect(out.match(/^order "\w+" confirmed$/gm)).toHaveLength(3);
  });
});
