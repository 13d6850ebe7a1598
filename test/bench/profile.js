#!/usr/bin/env node
// Profile a command under the benchmark's honest load, for finding what bounds it:
//   node test/bench/profile.js listen [--pretty] [--seconds N] [--heap]
//   node test/bench/profile.js bare [--seconds N] [--heap]   (the node:http baseline, to compare)
//   node test/bench/profile.js send [--count N]
// listen: `norce-event listen --port 0 --json > /dev/null` (or pretty to a file) under the load
// generator (loadgen.js) for N seconds (10 by default); send: `send OrderConfirmedEvent --count N
// --concurrency 32` to a bare node:http server. Writes a .cpuprofile (and with --heap a
// .heapprofile) to a scratch directory, prints where, and the functions with the most self time.
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, NODE, ROOT, run, scratch, start, startGenerator, startServer } from "./lib.js";

const args = process.argv.slice(2);
const what = args[0];
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const dir = scratch("profile");
const profiling = [
  "--cpu-prof",
  `--cpu-prof-dir=${dir}`,
  ...(args.includes("--heap") ? ["--heap-prof", `--heap-prof-dir=${dir}`] : []),
];

if (what === "listen") {
  const pretty = args.includes("--pretty");
  const out = openSync(pretty ? join(dir, "pretty.log") : "/dev/null", "w");
  const listener = await start(
    NODE,
    [...profiling, BIN, "listen", "--port", "0", ...(pretty ? [] : ["--json"])],
    { cwd: dir, stdout: out, ready: /listening on (http:\/\/\S+)/ },
  );
  const generator = startGenerator();
  const url = listener.match[1].replace("//localhost:", "//127.0.0.1:");
  const result = await generator.run(url, { warmup: 1, duration: option("--seconds", 10) });
  await generator.stop();
  await listener.stop();
  closeSync(out);
  console.log(
    `listen${pretty ? " (pretty)" : " --json"}: ${Math.round(result.rps).toLocaleString("en")} req/s, ${result.non2xx} non-2xx, ${result.errors} errors (slowed by the profiler)`,
  );
} else if (what === "bare") {
  // The baseline under the same load and profiler, to tell our costs from node:http's own.
  const server = await start(
    NODE,
    [...profiling, join(ROOT, "test/bench/servers/http.js"), "202"],
    {
      cwd: dir,
      ready: /listening on (http:\/\/\S+)/,
    },
  );
  const generator = startGenerator();
  const result = await generator.run(server.match[1], {
    warmup: 1,
    duration: option("--seconds", 10),
  });
  await generator.stop();
  await server.stop();
  console.log(
    `bare node:http: ${Math.round(result.rps).toLocaleString("en")} req/s (slowed by the profiler)`,
  );
} else if (what === "send") {
  const count = option("--count", 20_000);
  const server = await startServer(202);
  const sent = await run(
    NODE,
    [
      ...profiling,
      BIN,
      "send",
      "OrderConfirmedEvent",
      "--to",
      server.url,
      "--count",
      String(count),
      "--concurrency",
      "32",
      "--seed",
      "1",
    ],
    { cwd: dir },
  );
  await server.stop();
  console.log(sent.stdout.trim().split("\n").at(-1));
} else {
  console.error(
    "usage: node test/bench/profile.js listen [--pretty] [--seconds N] [--heap] | bare [--seconds N] | send [--count N] [--heap]",
  );
  process.exit(2);
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
