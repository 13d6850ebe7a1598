#!/usr/bin/env node
// Instructions per request, counted, not timed: a ratio that the machine's drift cannot move.
//   node test/bench/instructions.js [listen] [send] [--small N] [--large M] [-- ARGS]
// This machine's speed wanders by a quarter within minutes, so two builds timed minutes apart
// cannot be told apart by less than that. valgrind's callgrind counts the instructions a process
// executes: the same count for the same work, whatever else runs. Each side runs under callgrind
// twice, with N and with M requests (500 and 2,500 by default), and the difference divided by
// M − N is what one more request costs, start-up and warm-up left out:
//   listen  `listen --port 0 --json` (store on) against the bare node:http server, both driven
//           by the load generator (8 connections, pre-built distinct requests)
//   send    `send OrderConfirmedEvent --count N --concurrency 32` against the undici Pool loop
//           cycling N pre-built requests (so building them is not counted for the loop, as it is
//           not timed in the benchmark), both to the bare server running outside valgrind
// The main thread is what the ratio compares. The store's writer thread (the one that ran SQLite)
// is counted on its own; V8's and libuv's threads are shown but not compared: under valgrind V8's
// background compilers run far more than they do at full speed (twice the main thread, against a
// few percent of it in /proc's CPU times at full speed). Counts leave out the kernel (socket
// writes cost the same syscalls on both sides), so they say what our JavaScript costs, not what a
// request costs end to end; the timed benchmark says that. V8 compiles in the background, so a
// busy machine leaves more work to its slower tiers: compare builds on a quiet machine. Slow (a
// few minutes per side); needs valgrind (Debian's package). -- ARGS go to `listen` or `send`.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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
  stop,
} from "./lib.js";

const USAGE =
  "usage: node test/bench/instructions.js [listen] [send] [--small N] [--large M] [-- ARGS]";
const { args, extra, usage, count: option } = scriptArguments(USAGE);
const small = option("--small", 500);
const large = option("--large", 2500);
if (large <= small) usage(`--large (${large}) must be more than --small (${small})`);
const chosen = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
for (const name of chosen) {
  if (name !== "listen" && name !== "send") usage(`no side "${name}"`);
}
const sides = chosen.length > 0 ? chosen : ["listen", "send"];
if (spawnSync("valgrind", ["--version"]).status !== 0) {
  console.error("valgrind is not installed (Debian: apt-get install valgrind)");
  process.exit(2);
}

/** valgrind's arguments: JIT-written code re-read, one output file per thread, in `dir`. */
const callgrind = (dir) => [
  "--tool=callgrind",
  "--smc-check=all-non-file",
  "--separate-threads=yes",
  `--callgrind-out-file=${join(dir, "callgrind.out.%p")}`,
  `--log-file=${join(dir, "valgrind.log")}`,
  NODE,
];

/**
 * Instructions of the main thread, of the store's writer (the thread that ran SQLite) and of all
 * other threads, from callgrind's files in `dir` (one per thread: …-01 is the main thread).
 */
function counts(dir) {
  const total = { main: 0, writer: 0, others: 0 };
  for (const file of readdirSync(dir).filter((f) => f.startsWith("callgrind.out."))) {
    const text = readFileSync(join(dir, file), "utf8");
    const summary = /^summary: (\d+)/m.exec(text);
    if (!summary) continue;
    const side = file.endsWith("-01")
      ? "main"
      : text.includes("sqlite3VdbeExec")
        ? "writer"
        : "others";
    total[side] += Number(summary[1]);
  }
  if (total.main === 0) throw new Error(`callgrind wrote no main-thread count in ${dir}`);
  return total;
}

/** One server under callgrind answering `amount` requests; its counts. */
async function serverRun(command, amount, generator) {
  const dir = scratch("instructions");
  const server = await start("valgrind", [...callgrind(dir), ...command], {
    cwd: dir,
    stdout: "ignore",
    ready: /listening on (http:\/\/\S+)/,
  });
  const url = server.match[1].replace("//localhost:", "//127.0.0.1:");
  try {
    const result = await generator.run(url, { amount, connections: 8 });
    if (result.non2xx || result.errors) {
      throw new Error(
        `${command.join(" ")}: ${result.non2xx} answers not 2xx, ${result.errors} errors (a machine too busy for valgrind's pace?)`,
      );
    }
  } finally {
    // Under valgrind its shutdown runs fifty times slower than usual.
    await stop(server.child, 120_000);
  }
  return counts(dir);
}

/** One sender under callgrind sending `count` events to `url`; its counts. */
async function senderRun(command, count) {
  const dir = scratch("instructions");
  const result = await run("valgrind", [...callgrind(dir), ...command(count)], { cwd: dir });
  if (result.code !== 0) throw new Error(`${command(count).join(" ")} exited ${result.code}`);
  return counts(dir);
}

/** Per request: (count at M − count at N) / (M − N), both sizes run at once (counts don't mind). */
async function perRequest(measure) {
  const [a, b] = await Promise.all([measure(small), measure(large)]);
  const n = large - small;
  return {
    main: (b.main - a.main) / n,
    writer: (b.writer - a.writer) / n,
    others: (b.others - a.others) / n,
  };
}

const k = (value) => `${(value / 1000).toFixed(0)}k`;
const line = (name, value, baseline) =>
  console.log(
    `  ${name.padEnd(34)} ${k(value.main).padStart(6)} on the main thread${baseline ? ` (${(value.main / baseline.main).toFixed(2)}× the baseline's)` : ""}${value.writer ? `, ${k(value.writer)} on the store's writer` : ""}, ${k(value.others)} on V8's and libuv's threads`,
  );

console.log(
  `instructions per request, counted by callgrind: (count at ${large} − count at ${small}) / ${large - small}`,
);
if (sides.includes("listen")) {
  const generator = startGenerator();
  try {
    const bare = await perRequest((n) =>
      serverRun([join(ROOT, "test/bench/servers/http.js"), "202"], n, generator),
    );
    const listen = await perRequest((n) =>
      serverRun([BIN, "listen", "--port", "0", "--json", ...extra], n, generator),
    );
    console.log("listening:");
    line("bare node:http server (baseline)", bare);
    line(`listen --json${extra.length ? ` ${extra.join(" ")}` : ""}`, listen, bare);
  } finally {
    await generator.stop();
  }
}
if (sides.includes("send")) {
  const server = await startServer(202);
  try {
    const pool = await perRequest((n) =>
      senderRun(
        (count) => [
          join(ROOT, "test/bench/servers/undici-pool.js"),
          server.url,
          String(count),
          "32",
          String(small),
        ],
        n,
      ),
    );
    const send = await perRequest((n) =>
      senderRun((count) => sendArgs(server.url, count, ["--seed", "1", ...extra]), n),
    );
    console.log("sending:");
    line("undici Pool loop (baseline)", pool);
    line(`send --count N${extra.length ? ` ${extra.join(" ")}` : ""}`, send, pool);
  } finally {
    await server.stop();
  }
}
