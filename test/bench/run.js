#!/usr/bin/env node
// `npm run bench`: every target side by side with its baseline, a table, and a JSON file of the
// raw numbers. `--smoke` runs tiny sizes (the test suite does, so these scripts cannot rot);
// name benchmarks to run only those: `node test/bench/run.js startup generate`.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { benchGenerate } from "./generate.js";
import { ROOT } from "./lib.js";
import { benchListen } from "./listen.js";
import { benchRelay } from "./relay.js";
import { benchRetries } from "./retries.js";
import { benchSend } from "./send.js";
import { benchStartup } from "./startup.js";

const BENCHES = {
  startup: benchStartup,
  generate: benchGenerate,
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
};
console.log(
  `norce-event benchmarks${smoke ? " (smoke: tiny sizes, numbers mean nothing)" : ""} · ${machine.cores} cores · ${machine.cpu} · Node ${machine.node} · ${machine.date}`,
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

const header = [
  "TARGET",
  "BASELINE (median)",
  "MEASURED (median)",
  "MEDIAN RATIO",
  "GOAL",
  "RESULT",
];
const cells = rows.map((r) => [
  r.target,
  r.baseline,
  r.measured,
  r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
  r.goal,
  r.pass === undefined ? "n/a" : r.pass ? "pass" : "FAIL",
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) =>
  c
    .map((v, i) => v.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(line(header));
for (const c of cells) console.log(line(c));

mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(out, `${JSON.stringify({ machine, smoke, rows, raw }, null, 2)}\n`);
console.log(`raw numbers: ${out}`);
if (!smoke && rows.some((r) => r.pass === false)) process.exitCode = 1;
