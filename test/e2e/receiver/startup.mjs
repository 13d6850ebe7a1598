// Times importing norce-event/receiver (and making a receiver) as a server's start-up would:
// its framework (express) loaded first, the package resolved by name. Each of the copies under
// process.argv[2] (copy-0, copy-1, …) is a fresh instance of the built package with an entry
// file that imports it by name. process.argv[3], when given, holds as many copies of a
// reference package: the same files importing one another in the same way but otherwise empty,
// imported turn about with the real ones, so both meet the machine as it is at that moment.
// Prints { times, reference } in milliseconds, one per copy, as JSON.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

await import("express");
const [root, referenceRoot] = process.argv.slice(2);
const time = async (dir, copy) => {
  const entry = pathToFileURL(join(dir, copy, "entry.mjs")).href;
  const started = performance.now();
  const { createReceiver } = await import(entry);
  createReceiver({ auth: { value: "Bearer t0ken!" } }).on("OrderConfirmedEvent", () => {});
  return performance.now() - started;
};
const times = [];
const reference = [];
for (const copy of readdirSync(root).sort()) {
  if (referenceRoot) reference.push(await time(referenceRoot, copy));
  times.push(await time(root, copy));
}
process.stdout.write(JSON.stringify({ times, reference }));
