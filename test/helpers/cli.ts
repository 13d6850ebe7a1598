/** Run the built CLI as a child process, as a user would. */
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect } from "vitest";

export const BIN = fileURLToPath(new URL("../../bin/norce-event.js", import.meta.url));

/** Where CLI runs happen unless a test says otherwise: never the repository (the store lands in cwd). */
export const SCRATCH = mkdtempSync(join(tmpdir(), "norce-event-cli-"));

/** The environment every spawned CLI gets: no colour, no store path or token from the developer's shell. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  for (const name of ["FORCE_COLOR", "NORCE_EVENT_STORE", "NORCE_TOKEN"]) {
    if (!(name in extra)) delete env[name];
  }
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  /** A file (or device, e.g. /dev/zero) as the child's standard input, instead of `input`. */
  stdinFile?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runNode([BIN, ...args], options);
}

/** Run a Node.js script as a child process; resolves when it ends (or rejects after a timeout). */
export function runNode(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const stdinFd = options.stdinFile ? openSync(options.stdinFile, "r") : undefined;
    const child = spawn(process.execPath, [...args], {
      cwd: options.cwd ?? SCRATCH,
      env: cliEnv(options.env),
      stdio: [stdinFd ?? "pipe", "pipe", "pipe"],
    });
    if (stdinFd !== undefined) closeSync(stdinFd);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A child that exits without reading stdin makes this write fail with EPIPE: not a failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input ?? "");
  });
}

/** Remove ANSI colour codes. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/complexity/useRegexLiterals: clearer with the escape spelled out
  return text.replace(new RegExp("\\u001b\\[[0-9;]*m", "g"), "");
}

/**
 * A module for `node --import` that appends the URL of every ES module the process loads to the
 * file named by MODULE_LOG (written in `dir`; returns its path).
 */
export function moduleLogger(dir: string): string {
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.MODULE_LOG, url + "\\n");
  return next(url, context);
}
`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return register;
}

/** The run ended as the CLI means to (exit 0, 1 or 2 with its message), not in an internal error. */
export function notABug(result: CliResult): void {
  expect(result.stderr).not.toContain("This is a bug in norce-event");
  expect(result.stderr).not.toContain("unexpected");
}
