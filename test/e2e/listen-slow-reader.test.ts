/**
 * `listen --json | a-reader-slower-than-the-requests`: the listener keeps answering, holds a
 * bounded backlog of output, leaves out what goes beyond it (said on stderr at once, counted in the
 * summary), and the store still records every request. Before, every line went into stdout's own
 * buffer: memory grew with every request while the reader lagged, and Ctrl-C then waited,
 * silently, for the whole backlog to drain.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { BIN, cliEnv, SCRATCH } from "../helpers/cli.js";

const REQUESTS = 250;
/** A body of ~40 KiB: 250 of them are ~10 MiB of --json lines, beyond the 8 MiB held. */
const body = (i: number) => JSON.stringify({ ClientId: 1001, Pad: `${i}`.padEnd(40 * 1024, "x") });

function post(url: URL, agent: Agent, i: number): Promise<number> {
  const text = body(i);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          "Norce-Event-Message-Id": `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          "Norce-Event-Type": "OrderConfirmedEvent",
          "Norce-Event-Timestamp": new Date().toISOString(),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

describe("listen with a reader slower than the requests (built CLI)", () => {
  it("answers every request, leaves out the output beyond its backlog (said at once, counted at the end), and records every request", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "norce-event-slow-")), "events.db");
    const child = spawn(
      process.execPath,
      [BIN, "--store", store, "listen", "--port", "0", "--json"],
      { cwd: SCRATCH, env: cliEnv() },
    );
    let stderr = "";
    const changed = new Set<() => void>();
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      for (const check of changed) check();
    });
    const until = (pattern: RegExp, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} in:\n${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          if (!pattern.test(stderr)) return;
          clearTimeout(timer);
          changed.delete(check);
          resolve();
        };
        changed.add(check);
        check();
      });
    try {
      await until(/listening on (http:\/\/\S+)/);
      const url = new URL(/listening on (http:\/\/\S+)/.exec(stderr)![1]!);
      // stdout is not read yet: the pipe fills, and the listener's stdout stays full.
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      let next = 0;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < REQUESTS) statuses.push(await post(url, agent, next++));
        }),
      );
      agent.destroy();
      // Every request answered at once, whatever stdout does.
      expect(statuses.length).toBe(REQUESTS);
      expect(statuses.every((status) => status > 0 && status < 500)).toBe(true);
      await until(
        /warning: stdout is not keeping up, so lines are left out of the output; every request is still answered and recorded/,
      );

      // Now the reader catches up; Ctrl-C ends the listener without waiting on anything else.
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      const lines = stdout.split("\n").filter(Boolean);
      for (const line of lines) expect(JSON.parse(line).body.ClientId).toBe(1001);
      const leftOut = Number(
        /warning: (\d+) lines? (?:was|were) left out of the output: stdout did not keep up/.exec(
          stderr,
        )?.[1],
      );
      expect(leftOut).toBeGreaterThan(0);
      expect(lines.length + leftOut).toBe(REQUESTS);
      expect(stderr).not.toContain("MaxListeners");
      const db = new Database(store, { readonly: true });
      try {
        expect(db.prepare("SELECT COUNT(*) AS n FROM received").get()).toEqual({ n: REQUESTS });
      } finally {
        db.close();
      }
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
