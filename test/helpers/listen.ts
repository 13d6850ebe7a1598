/** `norce-event listen` as a child process on a free port, as a user runs it. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { BIN, cliEnv, SCRATCH } from "./cli.js";

export interface ListenProcess {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolve once stdout contains `text` (or matches). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Resolve once stderr (the banner, the summary) contains `text`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  /** Ctrl-C, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startListen(
  args: readonly string[] = [],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ListenProcess> {
  const child = spawn(process.execPath, [BIN, "listen", "--port", "0", ...args], {
    cwd: options.cwd ?? SCRATCH,
    env: cliEnv(options.env),
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    for (const w of waiters) w();
  });
  const until = (check: () => boolean, what: string, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      const w = () => {
        if (check()) {
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        }
      };
      waiters.add(w);
      child.once("exit", () => {
        if (!check()) {
          clearTimeout(timer);
          reject(new Error(`listen exited before ${what}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      });
    });
  await until(() => /listening on (http:\/\/\S+)/.test(err), "the banner");
  const url = /listening on (http:\/\/\S+)/.exec(err)![1]!;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (text, timeoutMs) =>
      until(
        () => (typeof text === "string" ? out.includes(text) : text.test(out)),
        String(text),
        timeoutMs,
      ),
    waitForStderr: (text, timeoutMs) => until(() => err.includes(text), text, timeoutMs),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGINT");
      }),
  };
}
