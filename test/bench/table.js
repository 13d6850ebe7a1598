#!/usr/bin/env node
// The README's performance table, rendered from a run's results (the JSON `npm run bench` writes):
//   node test/bench/table.js [test/bench/results/latest.json]
// The README holds this output between its `bench-table` markers, and a test checks that it still
// matches the committed results, so the table cannot say more than the run measured.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib.js";
import { markdownTable } from "./report.js";

const file = process.argv[2] ?? join(ROOT, "test/bench/results/latest.json");
const results = JSON.parse(readFileSync(file, "utf8"));
for (const line of markdownTable(results.rows)) console.log(line);
