import { retrySchedule } from "../../delivery/policy.js";
import { formatDuration } from "../../shared/duration.js";
import { print } from "../output.js";
import { renderTable } from "../table.js";

export async function runSchedule(options: {
  timeScale?: number;
  maxRetries?: number;
  json?: boolean;
}): Promise<number> {
  const rows = retrySchedule({
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
  if (options.json) {
    print(JSON.stringify({ timeScale: options.timeScale ?? 1, retries: rows }, null, 2));
    return 0;
  }
  const scaled = options.timeScale !== undefined && options.timeScale !== 1;
  const headers = ["RETRY", "ATTEMPT", "DELAY", "AT", ...(scaled ? ["REAL DELAY", "REAL AT"] : [])];
  const table = renderTable(
    headers,
    [
      ["—", "1", "—", "+0s", ...(scaled ? ["—", "+0s"] : [])],
      ...rows.map((r) => [
        String(r.retry),
        String(r.attempt),
        formatDuration(r.delayMs),
        `+${formatDuration(r.atMs)}`,
        ...(scaled ? [formatDuration(r.realDelayMs), `+${formatDuration(r.realAtMs)}`] : []),
      ]),
    ],
    { alignRight: [0, 1] },
  );
  print(table);
  const last = rows.at(-1);
  print();
  print(
    last
      ? `${rows.length} retries over ${formatDuration(last.atMs)}${scaled ? ` (real ${formatDuration(last.realAtMs)} at --time-scale ${options.timeScale})` : ""}; if the last fails, Norce marks the event dead.`
      : "No retries: the first failure makes the event dead.",
  );
  print("Delays are minimums: Norce may wait longer, never less. Each attempt times out after 5s.");
  return 0;
}
