// The sending baseline: a minimal undici Pool loop that posts N pre-built bodies with C requests
// in flight, the least a sender can do. Prints the elapsed time of the sending itself.
import { Pool } from "undici";
import { fakeEvent } from "../../../dist/index.js";

const [url, n = "20000", c = "32"] = process.argv.slice(2);
const count = Number(n);
const concurrency = Number(c);
const bodies = Array.from({ length: count }, (_, i) =>
  JSON.stringify(fakeEvent("OrderConfirmedEvent", { seed: 1, index: i }).payload),
);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
let next = 0;
let ok = 0;
const started = performance.now();
async function worker() {
  while (next < count) {
    const body = bodies[next++];
    const response = await pool.request({
      path: target.pathname,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await response.body.dump();
    if (response.statusCode < 300) ok++;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const ms = performance.now() - started;
await pool.close();
process.stdout.write(`${JSON.stringify({ count, ok, ms })}\n`);
