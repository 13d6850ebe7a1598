#!/usr/bin/env node
// Profile a command under the benchmark's honest load, for finding what bounds it:
//   node test/bench/profile.js listen [--pretty] [--seconds N] [--heap]
//   node test/bench/profile.js bare [--seconds N] [--heap]   (the node:http baseline, to compare)
//   node test/bench/profile.js send [--count N] [--no-store]
//   … --threads                                              (CPU time per thread, no profiler)
//   … -- ARGS                        (more options for the command, as `listen … --no-store`)
// listen: `norce-event listen --port 0 --json > /dev/null` (or pretty to a file) under the load
// generator (loadgen.js) for N seconds (10 by default); send: `send OrderConfirmedEvent --count N
// --concurrency 32` to a bare node:http server. Writes a .cpuprofile (and with --heap a
// .heapprofile) to a scratch directory, prints where, and the functions with the most self time.
//
// --threads instead: no profiler, the CPU time each thread spent per request (listen, bare) or
// per event (send, and the receiving server's), from /proc (Linux). This machine's speed drifts
// by a quarter within minutes; CPU time per request on each thread is what stays comparable
// between two builds run minutes apart, and it says which thread a change moved.
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BIN,
  NODE,
  ROOT,
  run,
  scratch,
  scriptArguments,
  sendArgs,
  start,
  startGenerator,
  startServer,
} from "./lib.js";

const USAGE =
  "usage: node test/bench/profile.js listen [--pretty] [--seconds N] [--heap] | bare [--seconds N] | send [--count N] [--no-store] [--heap]; --threads: CPU per request per thread instead of a profile; -- ARGS: more options for the command";
/** `extra`: options after `--`, passed on to the profiled command (listen, send). */
const { args, extra, usage, count: option } = scriptArguments(USAGE);
const what = args[0];
if (!["listen", "bare", "send"].includes(what)) usage();
const seconds = option("--seconds", 10);
const count = option("--count", 20_000);
const dir = scratch("profile");
// Stopped from outside (Ctrl-C, a CI runner's SIGTERM): the processes started here stop too.
const running = new Set();
const started = (child) => {
  running.add(child);
  return child;
};
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of running) child.stop?.() ?? child.kill?.("SIGKILL");
    process.exit(130);
  });
}
const threads = args.includes("--threads");
if (threads && !existsSync("/proc/self/task")) {
  console.error("--threads reads each thread's CPU time from /proc: Linux only");
  process.exit(2);
}
const profiling = threads
  ? []
  : [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      ...(args.includes("--heap") ? ["--heap-prof", `--heap-prof-dir=${dir}`] : []),
    ];

/**
 * CPU time (ms) of each live thread of process `pid` so far, by thread id, as { user, system }
 * (from /proc): the system part is the kernel's work for the thread (the socket writes).
 */
function threadTimes(pid, into = new Map()) {
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return into; // the process has ended
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
      into.set(tid, { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 });
    } catch {
      // the thread has ended: its last reading stays
    }
  }
  return into;
}

/** µs of CPU per unit on each thread that used any between two readings. */
function printThreads(label, pid, before, after, units, unit) {
  const per = (ms) => ((ms * 1000) / units).toFixed(1);
  const spentOn = (tid, ms) => ({
    user: ms.user - (before.get(tid)?.user ?? 0),
    system: ms.system - (before.get(tid)?.system ?? 0),
  });
  const total = [...after].reduce((sum, [tid, ms]) => {
    const spent = spentOn(tid, ms);
    return sum + spent.user + spent.system;
  }, 0);
  console.log(`${label}: ${((total * 1000) / units).toFixed(0)} µs of CPU per ${unit}`);
  for (const [tid, ms] of after) {
    const spent = spentOn(tid, ms);
    if (spent.user + spent.system <= 0) continue;
    const name = tid === String(pid) ? "main thread" : `thread ${tid}`;
    console.log(
      `  ${name.padEnd(13)} ${per(spent.user + spent.system).padStart(7)} µs/${unit} (user ${per(spent.user)}, system ${per(spent.system)})`,
    );
  }
}

/** Run the generator against `url` for the timed part; with --threads, read `pid`'s threads. */
async function underLoad(generator, url, pid, label) {
  if (!threads) return generator.run(url, { warmup: 1, duration: seconds });
  await generator.run(url, { warmup: 1, duration: 1 });
  const before = threadTimes(pid);
  const result = await generator.run(url, { duration: seconds });
  printThreads(label, pid, before, threadTimes(pid), result.responses, "request");
  return result;
}

if (what === "listen") {
  const pretty = args.includes("--pretty");
  const out = openSync(pretty ? join(dir, "pretty.log") : "/dev/null", "w");
  const listener = started(
    await start(
      NODE,
      [...profiling, BIN, "listen", "--port", "0", ...(pretty ? [] : ["--json"]), ...extra],
      {
        cwd: dir,
        stdout: out,
        ready: /listening on (http:\/\/\S+)/,
      },
    ),
  );
  const generator = started(startGenerator());
  const url = listener.match[1].replace("//localhost:", "//127.0.0.1:");
  const result = await underLoad(generator, url, listener.child.pid, "listen");
  await generator.stop();
  await listener.stop();
  closeSync(out);
  console.log(
    `listen${pretty ? " (pretty)" : " --json"}: ${Math.round(result.rps).toLocaleString("en")} req/s, ${result.non2xx} non-2xx, ${result.errors} errors${threads ? "" : " (slowed by the profiler)"}`,
  );
} else if (what === "bare") {
  // The baseline under the same load and profiler, to tell our costs from node:http's own.
  const server = started(
    await start(NODE, [...profiling, join(ROOT, "test/bench/servers/http.js"), "202"], {
      cwd: dir,
      ready: /listening on (http:\/\/\S+)/,
    }),
  );
  const generator = started(startGenerator());
  const result = await underLoad(generator, server.match[1], server.child.pid, "bare node:http");
  await generator.stop();
  await server.stop();
  console.log(
    `bare node:http: ${Math.round(result.rps).toLocaleString("en")} req/s${threads ? "" : " (slowed by the profiler)"}`,
  );
} else if (what === "send") {
  const server = started(await startServer(202));
  // With --threads: the sender's threads as last read (start-up included), the server's before.
  const sender = new Map();
  const senderPid = () => [...sender.keys()].sort((a, b) => Number(a) - Number(b))[0];
  const serverBefore = threads ? threadTimes(server.pid) : new Map();
  const sent = await run(
    NODE,
    [
      ...profiling,
      ...sendArgs(server.url, count, [
        "--seed",
        "1",
        ...(args.includes("--no-store") ? ["--no-store"] : []),
        ...extra,
      ]),
    ],
    {
      cwd: dir,
      // --threads: read the sender's threads while it runs (its worker threads end before it).
      onSpawn: (child) => {
        started(child);
        if (!threads) return;
        const poll = setInterval(() => threadTimes(child.pid, sender), 50);
        child.on("close", () => clearInterval(poll));
      },
    },
  );
  if (sent.code !== 0) {
    await server.stop();
    console.error(`send exited ${sent.code}:\n${sent.stderr.trim()}`);
    process.exit(1);
  }
  if (threads) {
    printThreads("send (its start-up included)", senderPid(), new Map(), sender, count, "event");
    printThreads(
      "receiving server",
      server.pid,
      serverBefore,
      threadTimes(server.pid),
      count,
      "event",
    );
  }
  await server.stop();
  console.log(sent.stdout.trim().split("\n").at(-1));
}

for (const file of readdirSync(dir).filter((f) => /\.(cpu|heap)profile$/.test(f))) {
  console.log(`profile: ${join(dir, file)}`);
}
// Self time per function (idle excluded), over every thread's CPU profile (the store's writer
// thread has its own), with the caller in our own code (dist/) that spent most of it.
const nameOf = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*\/(node_modules|dist|src)\//, "$1/");
  return `${functionName || "(anonymous)"}${url ? ` ${short}:${lineNumber + 1}` : ""}`;
};
for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node);
  const self = new Map();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === "(idle)") continue;
    const key = nameOf(node);
    const entry = self.get(key) ?? { hits: 0, callers: new Map() };
    entry.hits += hits;
    // The nearest caller in our own code (else the direct one): who asked for a native write.
    let caller = parent.get(node.id);
    for (let up = caller; up; up = parent.get(up.id)) {
      if (up.callFrame.url.includes("/dist/")) {
        caller = up;
        break;
      }
    }
    const callerName = caller ? nameOf(caller) : "";
    entry.callers.set(callerName, (entry.callers.get(callerName) ?? 0) + hits);
    self.set(key, entry);
    busy += hits;
  }
  console.log(`\n${file}: ${((busy * interval) / 1e6).toFixed(1)} s busy; most self time:`);
  for (const [key, { hits, callers }] of [...self]
    .sort((a, b) => b[1].hits - a[1].hits)
    .slice(0, 15)) {
    const [caller] = [...callers].sort((a, b) => b[1] - a[1])[0] ?? [""];
    console.log(
      `  ${((100 * hits) / busy).toFixed(1).padStart(5)} %  ${key}${caller ? `  ← ${caller}` : ""}`,
    );
  }
}
