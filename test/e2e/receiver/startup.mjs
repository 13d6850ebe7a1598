// Times importing norce-event/receiver (and making a receiver) as a server's start-up would:
// its framework (express) loaded first, the package resolved by name. Each of the copies under
// process.argv[2] (copy-0, copy-1, …) is a fresh instance of the built package with an entry
// file that imports it by name; prints one time per copy, in milliseconds, as JSON.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

await import("express");
const root = process.argv[2];
const times = [];
for (const copy of readdirSync(root).sort()) {
  const entry = pathToFileURL(join(root, copy, "entry.mjs")).href;
  const started = performance.now();
  const { createReceiver } = await import(entry);
  createReceiver({ auth: { value: "Bearer t0ken!" } }).on("OrderConfirmedEvent", () => {});
  times.push(performance.now() - started);
}
process.stdout.write(JSON.stringify(times));
