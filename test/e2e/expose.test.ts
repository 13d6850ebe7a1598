/**
 * `listen --expose cloudflared|ngrok` with fake executables on PATH that print the real banners
 * (with cloudflared's misleading `api.trycloudflare.com` error line) and serve the local APIs on
 * free ports. Nothing is downloaded; the real tools are never run.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { spawnCli } from "../helpers/spawn.js";
import { until } from "../helpers/until.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const FAKE_CLOUDFLARED = `#!/usr/bin/env node
const { createServer } = require("node:http");
const { spawn } = require("node:child_process");
const { writeFileSync } = require("node:fs");
const args = process.argv.slice(2);
const metrics = args[args.indexOf("--metrics") + 1];
const mode = process.env.FAKE_MODE || "banner";
const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
writeFileSync(process.env.FAKE_PID_FILE, JSON.stringify([process.pid, grandchild.pid]));
const host = "seasonal-deck-organisms-sf.trycloudflare.com";
const [mHost, mPort] = metrics.split(":");
createServer((req, res) => {
  if (req.url === "/quicktunnel" && mode === "metrics") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ hostname: host }));
  } else res.writeHead(404).end();
}).listen(Number(mPort), mHost);
const t = "2026-11-28T10:00:00Z";
process.stderr.write(t + " INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.\\n");
process.stderr.write(t + " INF Requesting new quick Tunnel on trycloudflare.com...\\n");
process.stderr.write(t + ' ERR failed to request quick Tunnel error="Post \\\\"https://api.trycloudflare.com/tunnel\\\\": dial tcp: lookup api.trycloudflare.com: i/o timeout"\\n');
if (mode === "banner") setTimeout(() => {
  process.stderr.write(t + " INF +--------------------------------------------------------------------------------------------+\\n");
  process.stderr.write(t + " INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |\\n");
  process.stderr.write(t + " INF |  https://" + host + "                                      |\\n");
  process.stderr.write(t + " INF +--------------------------------------------------------------------------------------------+\\n");
}, 300);
setInterval(() => {}, 1000);
`;

const FAKE_NGROK = `#!/usr/bin/env node
const { createServer } = require("node:http");
const { writeFileSync } = require("node:fs");
const port = process.argv[3];
writeFileSync(process.env.FAKE_PID_FILE, JSON.stringify([process.pid]));
const api = new URL(process.env.NORCE_EVENT_NGROK_API);
createServer((req, res) => {
  const tunnels = [{ name: "command_line", public_url: "https://1a2b-203-0-113-7.ngrok-free.app", proto: "https", config: { addr: "http://localhost:" + port, inspect: true } }];
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ tunnels, uri: "/api/tunnels" }));
}).listen(Number(api.port), api.hostname);
process.stdout.write('t=2026-11-28T10:00:00+0000 lvl=info msg="starting web service" obj=web addr=' + api.host + '\\n');
setInterval(() => {}, 1000);
`;

function fakeBin() {
  const dir = mkdtempSync(join(tmpdir(), "norce-expose-bin-"));
  for (const [name, text] of [
    ["cloudflared", FAKE_CLOUDFLARED],
    ["ngrok", FAKE_NGROK],
  ] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return { dir, pidFile: join(dir, "pids.json") };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const NODE_DIR = dirname(process.execPath);

describe("listen --expose", () => {
  for (const mode of ["banner", "metrics"] as const) {
    it(`cloudflared: the URL from its ${mode === "banner" ? "banner" : "metrics /quicktunnel"}, not the api.trycloudflare.com error line; the child's group is gone after Ctrl-C`, async () => {
      const bin = fakeBin();
      const listen = spawnCli(["listen", "--port", "0", "--expose", "cloudflared"], {
        env: {
          PATH: [bin.dir, NODE_DIR].join(delimiter),
          FAKE_MODE: mode,
          FAKE_PID_FILE: bin.pidFile,
        },
      });
      cleanups.push(() => listen.stop("SIGKILL"));
      await listen.waitFor(
        "expose: https://seasonal-deck-organisms-sf.trycloudflare.com/receiver  ← paste this into Norce's Admin UI (cloudflared)",
      );
      await listen.waitFor("cloudflared buffers nothing");
      expect(listen.stderr()).not.toContain("api.trycloudflare.com");
      const pids = JSON.parse(readFileSync(bin.pidFile, "utf8")) as number[];
      expect(pids.every(alive)).toBe(true);
      expect(await listen.stop()).toBe(0);
      await until(() => !pids.some(alive));
    });
  }

  it("ngrok: the URL from its local API (address from NORCE_EVENT_NGROK_API), stopped with the listener", async () => {
    const bin = fakeBin();
    const api = `http://127.0.0.1:${await freePort()}`;
    const listen = spawnCli(["listen", "--port", "0", "--path", "/norce", "--expose", "ngrok"], {
      env: {
        PATH: [bin.dir, NODE_DIR].join(delimiter),
        FAKE_PID_FILE: bin.pidFile,
        NORCE_EVENT_NGROK_API: api,
      },
    });
    cleanups.push(() => listen.stop("SIGKILL"));
    await listen.waitFor("expose: https://1a2b-203-0-113-7.ngrok-free.app/norce  ← paste this");
    await listen.waitFor("ngrok buffers nothing");
    const pids = JSON.parse(readFileSync(bin.pidFile, "utf8")) as number[];
    expect(await listen.stop()).toBe(0);
    await until(() => !pids.some(alive));
  });

  it("a missing binary is one line naming how to install it, exit 2", async () => {
    const empty = mkdtempSync(join(tmpdir(), "norce-expose-empty-"));
    for (const tool of ["cloudflared", "ngrok"]) {
      const result = await runCli(["listen", "--port", "0", "--expose", tool], {
        env: { PATH: [empty, NODE_DIR].join(delimiter) },
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(
        `error: ${tool} is not installed (not found on PATH) (install ${tool}: https://`,
      );
    }
  });
});
