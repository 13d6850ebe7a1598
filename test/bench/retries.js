// Many waiting retries: N events in their backoff at once (the receiver always answers 500,
// `--max-retries 3`, backoff compressed), peak RSS, and how late each retry fired against its due
// time — never early.
import { BIN, MiB, NODE, percentile, run, scratch, startServer } from "./lib.js";

export async function benchRetries({ smoke }) {
  const count = smoke ? 50 : 10_000;
  const server = await startServer(500);
  let result;
  try {
    result = await run(
      NODE,
      [
        BIN,
        "send",
        "OrderConfirmedEvent",
        "--to",
        server.url,
        "--count",
        String(count),
        "--concurrency",
        "32",
        "--max-retries",
        "3",
        "--time-scale",
        smoke ? "1000" : "10",
        "--seed",
        "1",
        "--json",
      ],
      { cwd: scratch("retries"), measureMemory: true },
    );
  } finally {
    await server.stop();
  }
  const due = new Map();
  const lateness = [];
  let attempts = 0;
  let summary;
  for (const line of result.stdout.trim().split("\n")) {
    const record = JSON.parse(line);
    if (record.kind === "summary") summary = record;
    if (record.kind !== "attempt") continue;
    attempts++;
    const key = `${record.messageId}#${record.attempt}`;
    if (due.has(key)) lateness.push(Date.parse(record.startedAt) - due.get(key));
    if (record.next)
      due.set(`${record.messageId}#${record.next.attempt}`, Date.parse(record.next.dueAt));
  }
  const early = lateness.filter((ms) => ms < 0).length;
  const p99 = percentile(lateness, 0.99);
  const peak = result.peakRss;
  return {
    raw: {
      count,
      attempts,
      dead: summary?.dead,
      peakRss: peak,
      lateness: { p50: percentile(lateness, 0.5), p99, max: Math.max(...lateness), early },
    },
    rows: [
      {
        target: `retries: ${count.toLocaleString("en")} events waiting, peak RSS`,
        baseline: "—",
        measured: peak === undefined ? "n/a (no /usr/bin/time)" : `${(peak / MiB).toFixed(0)} MiB`,
        ratio: undefined,
        goal: "≤ 250 MiB",
        pass: peak === undefined ? undefined : peak <= 250 * MiB && summary?.dead === count,
      },
      {
        target: `retries: ${lateness.length.toLocaleString("en")} retries against their due time`,
        baseline: "—",
        measured: `p99 ${p99} ms late, ${early} early`,
        ratio: undefined,
        goal: "none early",
        pass: early === 0 && attempts === count * 4,
      },
    ],
  };
}
