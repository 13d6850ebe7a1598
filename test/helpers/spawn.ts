/** A long-running CLI command (relay, listen) as a child process, with its output to wait on. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { BIN, cliEnv, SCRATCH } from "./cli.js";

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolve once stdout or stderr (`where`) contains / matches `text`; the match is returned. */
  waitFor(
    text: string | RegExp,
    where?: "stdout" | "stderr",
    timeoutMs?: number,
  ): Promise<RegExpExecArray | string>;
  /** The exit code once it has exited. */
  exited(): Promise<number | null>;
  /** SIGINT (Ctrl-C), or another signal, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? SCRATCH,
    env: cliEnv(options.env),
  });
  const text = { stdout: "", stderr: "" };
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    text.stdout += d;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    text.stderr += d;
    for (const w of waiters) w();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (wanted, where = "stderr", timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hay = text[where];
          if (typeof wanted === "string") return hay.includes(wanted) ? wanted : undefined;
          return wanted.exec(hay) ?? undefined;
        };
        const found = check();
        if (found) return resolve(found);
        const fail = (why: string) => {
          clearTimeout(timer);
          waiters.delete(w);
          reject(
            new Error(
              `${why} waiting for ${String(wanted)} on ${where}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`,
            ),
          );
        };
        const timer = setTimeout(() => fail("timed out"), timeoutMs);
        const w = () => {
          const hit = check();
          if (hit) {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(hit);
          }
        };
        waiters.add(w);
        void exit.then(() => setTimeout(() => !check() && waiters.has(w) && fail("exited"), 50));
      }),
    exited: () => exit,
    stop: (signal = "SIGINT") => {
      if (child.exitCode !== null || child.signalCode !== null) return exit;
      child.kill(signal);
      return exit;
    },
  };
}
