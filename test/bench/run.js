#!/usr/bin/env node
// `npm run bench`: every target side by side with its baseline, a table, and a JSON file of the
// raw numbers. `--smoke` runs tiny sizes (the test suite does, so these scripts cannot rot);
// name benchmarks to run only those: `node test/bench/run.js startup generate`.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { benchGenerate } from "./generate.js";
import { ROOT } from "./lib.js";
import { benchListen } from "./listen.js";
import { benchLoad } from "./load.js";
import { benchRelay } from "./relay.js";
import { failed, formatTable, LOAD_BOUND_SHARE, verdict } from "./report.js";
import { benchRetries } from "./retries.js";
import { benchSend } from "./send.js";
import { benchStartup } from "./startup.js";

const BENCHES = {
  startup: benchStartup,
  generate: benchGenerate,
  load: benchLoad,
  send: benchSend,
  listen: benchListen,
  retries: benchRetries,
  relay: benchRelay,
};
const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
const outIndex = args.indexOf("--out");
const out =
  outIndex >= 0
    ? args[outIndex + 1]
    : join(ROOT, "test/bench/results", smoke ? "smoke.json" : "latest.json");
const chosen = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--out");
const names = chosen.length > 0 ? chosen : Object.keys(BENCHES);

const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? "unknown",
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
  // Other work on the machine moves every number; a load average near the core count or above
  // means the run measured the neighbours too.
  loadAverage: { before: loadavg().map((l) => Number(l.toFixed(2))) },
};
console.log(
  `norce-event benchmarks${smoke ? " (smoke: tiny sizes, numbers mean nothing)" : ""} · ${machine.cores} cores · ${machine.cpu} · Node ${machine.node} · ${machine.date} · load average ${machine.loadAverage.before.join(" ")}`,
);

const rows = [];
const raw = {};
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`no benchmark "${name}" (have: ${Object.keys(BENCHES).join(", ")})`);
  process.stderr.write(`running ${name}…\n`);
  const result = await bench({ smoke });
  raw[name] = result.raw;
  rows.push(...result.rows);
}

for (const row of rows) row.verdict = verdict(row);
for (const line of formatTable(rows)) console.log(line);
machine.loadAverage.after = loadavg().map((l) => Number(l.toFixed(2)));
console.log(
  `load average after: ${machine.loadAverage.after.join(" ")} on ${machine.cores} cores. "load-bound": the baseline reached more than ${LOAD_BOUND_SHARE * 100}% of its load ceiling, so its ratio does not count.`,
);

mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(out, `${JSON.stringify({ machine, smoke, rows, raw }, null, 2)}\n`);
console.log(`raw numbers: ${out}`);
if (!smoke && failed(rows)) process.exitCode = 1;
