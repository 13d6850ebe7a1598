// Shared helpers for the benchmarks: run processes, time them, read their memory, summarise.
import { fork, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin", "norce-event.js");
export const NODE = process.execPath;
const TIME = "/usr/bin/time";

export { median, medianRatio } from "./report.js";

export function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export function scratch(name) {
  return mkdtempSync(join(tmpdir(), `norce-event-bench-${name}-`));
}

/**
 * Run a command to the end. Resolves to wall time (ms), exit code, peak RSS (bytes, from
 * /usr/bin/time when the machine has it) and the output.
 * stdout: "pipe" (collect), "ignore", or a file descriptor.
 */
export function run(command, args, options = {}) {
  const useTime = options.measureMemory && existsSync(TIME);
  const file = useTime ? TIME : command;
  const argv = useTime ? ["-f", "%M", command, ...args] : args;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", options.stdout ?? "pipe", "pipe"],
    });
    options.onSpawn?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let peakRss;
      if (useTime) {
        const lines = stderr.trimEnd().split("\n");
        peakRss = Number(lines.pop()) * 1024;
        stderr = lines.join("\n");
      }
      resolve({ ms, code, stdout, stderr, peakRss });
    });
  });
}

/** Start a long-running process and wait until `ready` matches its stderr or stdout. */
export function start(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", options.stdout ?? "pipe", "pipe"],
    });
    let seen = "";
    const onData = (d) => {
      seen += d;
      const match = options.ready.exec(seen);
      if (match) {
        child.stderr.off("data", onData);
        child.stdout?.off("data", onData);
        resolve({ child, match, stop: () => stop(child) });
      }
    };
    child.stderr.setEncoding("utf8").on("data", onData);
    child.stdout?.setEncoding("utf8").on("data", onData);
    child.on("error", reject);
    child.on("exit", (code) =>
      reject(
        new Error(`${command} ${args.join(" ")} exited (${code}) before it was ready:\n${seen}`),
      ),
    );
  });
}

/** SIGINT, then SIGKILL after `graceMs` (a process under valgrind needs minutes to end). */
export function stop(child, graceMs = 5000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGINT");
    setTimeout(() => child.kill("SIGKILL"), graceMs).unref();
  });
}

/**
 * The arguments of `send OrderConfirmedEvent --count N --concurrency 32` to `url` (the benches'
 * sending run), with `more` options after them and `globals` (such as `--no-store`) before.
 */
export function sendArgs(url, count, more = [], globals = []) {
  return [
    BIN,
    ...globals,
    "send",
    "OrderConfirmedEvent",
    "--to",
    url,
    "--count",
    String(count),
    "--concurrency",
    "32",
    ...more,
  ];
}

/** Resident memory of a running process (bytes), from /proc (Linux). */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** A bare node:http server answering `status`, in its own process (like a receiver would be). */
export async function startServer(status) {
  const server = await start(NODE, [join(ROOT, "test/bench/servers/http.js"), String(status)], {
    ready: /listening on (http:\/\/\S+)/,
  });
  return { url: server.match[1], pid: server.child.pid, stop: server.stop };
}

export const MiB = 1024 * 1024;

const LOADGEN = join(ROOT, "test/bench/loadgen.js");

/**
 * The load generator (loadgen.js) in its own process, kept for many runs so its requests are
 * built once. `run(url, options)` resolves to { rps, responses, ms, non2xx, errors }.
 */
export function startGenerator() {
  const child = fork(LOADGEN, [], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map();
  let nextId = 0;
  child.on("message", ({ id, result, error }) => {
    const pending = waiting.get(id);
    waiting.delete(id);
    if (error) pending?.reject(new Error(`the load generator failed: ${error}`));
    else pending?.resolve(result);
  });
  child.on("exit", (code) => {
    for (const pending of waiting.values()) {
      pending.reject(new Error(`the load generator exited (${code})`));
    }
    waiting.clear();
  });
  return {
    run: (url, options = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        child.send({ id, options: { url, ...options } });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}

/** The least-work server (a raw `net` server writing a canned response), for measuring ceilings. */
export async function startCannedServer() {
  const server = await start(NODE, [join(ROOT, "test/bench/servers/canned.js")], {
    ready: /listening on (http:\/\/\S+)/,
  });
  return { url: server.match[1], pid: server.child.pid, stop: server.stop };
}

/**
 * A bench script's command line: its own arguments, the options after `--` (passed on to the
 * command it runs), `usage(problem)` (prints it with USAGE, exit 2) and `count(name, fallback)`
 * (a whole number of at least 1 after `name`).
 */
export function scriptArguments(usageText) {
  const argv = process.argv.slice(2);
  const dashes = argv.indexOf("--");
  const args = dashes < 0 ? argv : argv.slice(0, dashes);
  const usage = (problem) => {
    console.error(problem ? `${problem}\n${usageText}` : usageText);
    process.exit(2);
  };
  const count = (name, fallback) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const value = Number(args[i + 1]);
    if (!Number.isSafeInteger(value) || value < 1) {
      usage(`${name} takes a whole number of at least 1, not ${JSON.stringify(args[i + 1] ?? "")}`);
    }
    return value;
  };
  return { args, extra: dashes < 0 ? [] : argv.slice(dashes + 1), usage, count };
}
