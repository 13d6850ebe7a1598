// The sending baseline: a minimal undici Pool loop that posts N pre-built requests with C in
// flight, the least a sender can do. Each is the delivery `send` makes of the same event: its body
// and Norce's three headers (the receiving server parses the same bytes from both). Prints the
// elapsed time of the sending itself.
import { Pool } from "undici";
import { fakeEvent } from "../../../dist/index.js";

const [url, n = "20000", c = "32", d = n] = process.argv.slice(2);
const count = Number(n);
const concurrency = Number(c);
const requests = Array.from({ length: Math.min(count, Number(d)) }, (_, i) => {
  const event = fakeEvent("OrderConfirmedEvent", { seed: 1, index: i });
  return {
    body: JSON.stringify(event.payload),
    headers: {
      "content-type": "application/json; charset=utf-8",
      "Norce-Event-Message-Id": event.messageId,
      "Norce-Event-Type": event.type,
      "Norce-Event-Timestamp": event.timestamp,
    },
  };
});
const target = new URL(url);
const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
let next = 0;
let ok = 0;
const started = performance.now();
async function worker() {
  while (next < count) {
    const { body, headers } = requests[next++ % requests.length];
    const response = await pool.request({ path: target.pathname, method: "POST", headers, body });
    await response.body.dump();
    if (response.statusCode < 300) ok++;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const ms = performance.now() - started;
await pool.close();
process.stdout.write(`${JSON.stringify({ count, ok, ms })}\n`);
