/**
 * `listen --expose cloudflared|ngrok`: a public URL for the listener through the user's own
 * installed tunnel binary (never downloaded). It buffers nothing: while the laptop or the tunnel
 * is down, Norce's requests fail and Norce retries on its own schedule.
 *
 * - cloudflared: `cloudflared tunnel --url http://127.0.0.1:<port> --metrics <addr>` (a quick
 *   tunnel). The URL comes from its banner on stderr or from `GET <metrics>/quicktunnel`
 *   (cloudflared#1256). Its banner can carry an error line naming `api.trycloudflare.com` (the
 *   API it asks for a tunnel), which is not the tunnel's URL (fastagent-sh/fastagent#114).
 * - ngrok: `ngrok http <port>`; the URL comes from its local API, `GET 127.0.0.1:4040/api/tunnels`
 *   (NORCE_EVENT_NGROK_API overrides the address), or its log line `url=https://…`.
 *
 * The child runs in its own process group, stopped (SIGTERM, then SIGKILL) with the listener.
 * Core code: nothing printed; errors are typed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { NorceEventError, UsageError } from "../shared/errors.js";
import { printable } from "./protocol.js";

export type ExposeTool = "cloudflared" | "ngrok";

export interface ExposeOptions {
  tool: ExposeTool;
  /** The local port to expose (the listener's). */
  port: number;
  /** Give up waiting for the URL after this. @default 20 s */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Exposed {
  /** The public origin, e.g. https://words-here.trycloudflare.com */
  publicUrl: string;
  tool: ExposeTool;
  pid: number;
  /** Settles if the tunnel stops on its own (with what it last said). */
  exited: Promise<string>;
  close(): Promise<void>;
}

const INSTALL: Record<ExposeTool, string> = {
  cloudflared:
    "install cloudflared: https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/ (brew install cloudflared)",
  ngrok:
    "install ngrok: https://ngrok.com/download (brew install ngrok), then ngrok config add-authtoken <token>",
};

/** The path of `tool`, or a usage error saying how to install it. */
export function assertInstalled(tool: ExposeTool, env: NodeJS.ProcessEnv = process.env): string {
  const binary = findExecutable(tool, env);
  if (!binary) {
    throw new UsageError(`${tool} is not installed (not found on PATH)`, {
      code: "NORCE_EVENT_EXPOSE_MISSING",
      hint: INSTALL[tool],
    });
  }
  return binary;
}

const CLOUDFLARE_URL = /https:\/\/(?!api\.)[a-z0-9-]+\.trycloudflare\.com\b/;
const NGROK_LOG_URL = /msg="started tunnel".*?\burl=(https:\/\/[A-Za-z0-9.-]+)/;

/** Where `tool` is on PATH, or undefined. */
export function findExecutable(
  tool: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, tool + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export async function startExpose(options: ExposeOptions): Promise<Exposed> {
  const env = options.env ?? process.env;
  const binary = assertInstalled(options.tool, env);
  const local = `http://127.0.0.1:${options.port}`;
  const metrics = options.tool === "cloudflared" ? `127.0.0.1:${await freePort()}` : undefined;
  const ngrokApi = (env.NORCE_EVENT_NGROK_API ?? "http://127.0.0.1:4040").replace(/\/+$/, "");
  const args =
    options.tool === "cloudflared"
      ? ["tunnel", "--no-autoupdate", "--url", local, "--metrics", metrics!]
      : ["http", String(options.port), "--log", "stdout", "--log-format", "logfmt"];
  const child: ChildProcess = spawn(binary, args, {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid && process.platform !== "win32") process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  // If the listener dies without closing (an exception), the tunnel goes with it.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);

  let said = "";
  let found: string | undefined;
  const onOutput = (chunk: Buffer) => {
    said = (said + chunk.toString("utf8")).slice(-4000);
    if (found) return;
    const match =
      options.tool === "cloudflared"
        ? CLOUDFLARE_URL.exec(said)?.[0]
        : NGROK_LOG_URL.exec(said)?.[1];
    if (match) found = match;
  };
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  const exited = new Promise<string>((resolve) => {
    child.once("exit", () => {
      process.off("exit", onExit);
      resolve(lastLines(said));
    });
    child.once("error", (error) => resolve(error.message));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let publicUrl: string | undefined;
  while (!publicUrl) {
    if (found) publicUrl = found;
    else if (gone) {
      throw new NorceEventError(`${options.tool} stopped before it gave a URL: ${await exited}`, {
        code: "NORCE_EVENT_EXPOSE_FAILED",
        hint: `run ${options.tool} by hand to see why`,
      });
    } else if (Date.now() > deadline) {
      killGroup("SIGKILL");
      throw new NorceEventError(
        `${options.tool} gave no public URL within ${Math.round((options.timeoutMs ?? 20_000) / 1000)}s${said ? `: ${lastLines(said)}` : ""}`,
        { code: "NORCE_EVENT_EXPOSE_FAILED", hint: `run ${options.tool} by hand to see why` },
      );
    } else {
      publicUrl =
        options.tool === "cloudflared"
          ? await cloudflaredMetricsUrl(metrics!)
          : await ngrokApiUrl(ngrokApi, options.port);
      if (!publicUrl) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  let closing: Promise<void> | undefined;
  return {
    publicUrl,
    tool: options.tool,
    pid: child.pid ?? 0,
    exited,
    close() {
      closing ??= (async () => {
        if (gone) return;
        killGroup("SIGTERM");
        const timer = setTimeout(() => killGroup("SIGKILL"), 2000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

async function cloudflaredMetricsUrl(metrics: string): Promise<string | undefined> {
  const answer = (await getJson(`http://${metrics}/quicktunnel`)) as { hostname?: unknown };
  const host = typeof answer?.hostname === "string" ? answer.hostname : "";
  const url = `https://${host}`;
  return host && CLOUDFLARE_URL.test(url) ? url : undefined;
}

async function ngrokApiUrl(api: string, port: number): Promise<string | undefined> {
  const answer = (await getJson(`${api}/api/tunnels`)) as {
    tunnels?: { public_url?: unknown; proto?: unknown; config?: { addr?: unknown } }[];
  };
  const tunnels = Array.isArray(answer?.tunnels) ? answer.tunnels : [];
  const ours = tunnels.filter(
    (t) =>
      typeof t.public_url === "string" &&
      /^https:\/\/[A-Za-z0-9.-]+$/.test(t.public_url) &&
      String(t.config?.addr ?? "").endsWith(`:${port}`),
  );
  return ours[0]?.public_url as string | undefined;
}

async function getJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return undefined;
    return await res.json();
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function lastLines(text: string): string {
  return printable(text.trim().split("\n").slice(-2).join(" | "));
}
