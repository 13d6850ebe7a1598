import type { BatchSummary } from "../../delivery/batch.js";
import type { Delivery } from "../../delivery/engine.js";
import { formatDuration } from "../../shared/duration.js";
import { maskText, maskUrl } from "../../shared/secrets.js";
import { plural } from "../../shared/text.js";
import type { Style } from "./delivery.js";
import { safe } from "./safe.js";

/** The summary of `send --count`: outcomes, attempts, latency percentiles, throughput. */
export function formatBatchSummary(
  type: string,
  url: string,
  details: { seed: number; timeScale: number },
  summary: BatchSummary,
  dead: readonly Delivery[],
  style: Style,
  secrets: readonly string[] = [],
): string {
  // As a single send's head line says it: a dead event's attempts came on a scaled schedule.
  const extras = [
    `seed ${details.seed}`,
    ...(details.timeScale === 1 ? [] : [`backoff ÷${details.timeScale}`]),
  ];
  const lines = [
    `${style.bold(type)} × ${summary.count} to ${safe(maskUrl(url))} ${style.dim(`(${extras.join(", ")})`)}`,
    `  ${style.green(`${summary.delivered} delivered`)} · ${summary.dead > 0 ? style.red(`${summary.dead} dead`) : "0 dead"}` +
      (summary.interrupted > 0
        ? ` · ${style.yellow(`${summary.interrupted} waiting for a retry`)}`
        : "") +
      (summary.notStarted > 0 ? ` · ${style.yellow(`${summary.notStarted} not started`)}` : "") +
      ` · ${plural(summary.attempts, "attempt")}`,
    `  latency p50 ${formatDuration(summary.latencyMs.p50)} · p95 ${formatDuration(summary.latencyMs.p95)} · p99 ${formatDuration(summary.latencyMs.p99)} · max ${formatDuration(summary.latencyMs.max)}`,
    // A slow batch (3 events over 15 s) is 0.2 events/s, not 0.
    `  ${summary.eventsPerSecond < 10 ? Number(summary.eventsPerSecond.toFixed(1)) : Math.round(summary.eventsPerSecond)} events/s over ${formatDuration(summary.durationMs)}`,
  ];
  for (const delivery of dead) {
    const last = delivery.attempts.at(-1);
    const why = last?.error
      ? safe(maskText(`${last.error.code}: ${last.error.message}`, secrets))
      : `${last?.status} ${last?.statusText ?? ""}`;
    lines.push(
      `  ${style.red("✗")} ${safe(delivery.event.messageId)} dead after ${plural(delivery.attempts.length, "attempt")}: ${why}`,
    );
  }
  if (summary.dead > dead.length) lines.push(`  … and ${summary.dead - dead.length} more dead`);
  return lines.join("\n");
}
