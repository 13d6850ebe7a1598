/**
 * How deliveries look: one line per attempt as it happens (both clocks: Norce's schedule time
 * and the real wait), a final line, and the same as JSON objects for machines.
 */
import type { Attempt, Delivery, NextAttempt } from "../../delivery/engine.js";
import type { Redirect } from "../../delivery/http.js";
import { NORCE_POLICY } from "../../delivery/policy.js";
import type { NorceEvent } from "../../events/event.js";
import { formatDuration } from "../../shared/duration.js";
import { maskText, maskUrl } from "../../shared/secrets.js";
import { firstLine, plural } from "../../shared/text.js";
import { safe } from "./safe.js";

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  statusColour(status: number | undefined): (text: string) => string;
}

export const plainStyle: Style = {
  bold: (t) => t,
  dim: (t) => t,
  red: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
  cyan: (t) => t,
  statusColour: () => (t) => t,
};

/** `+0s`, `+5s`, `+1m 0s`, `+22h 4m`: a time on Norce's schedule. */
export function scheduleLabel(ms: number): string {
  return `+${ms === 0 ? "0s" : formatDuration(ms)}`;
}

export function formatHeadLine(
  event: NorceEvent,
  url: string,
  details: { seed?: number; timeScale: number },
  style: Style,
): string {
  const extras = [
    details.seed === undefined ? undefined : `seed ${details.seed}`,
    details.timeScale === 1 ? undefined : `backoff ÷${details.timeScale}`,
  ].filter(Boolean);
  return `${style.bold("→")} ${style.bold(safe(event.type))} ${style.dim(safe(event.messageId))} to ${safe(maskUrl(url))}${extras.length > 0 ? style.dim(` (${extras.join(", ")})`) : ""}`;
}

/**
 * One line per attempt. `secrets` are masked wherever they appear (e.g. echoed in a body), and
 * what came from the network (the answer, a redirect's Location) is escaped for the terminal.
 */
export function formatAttemptLine(
  attempt: Attempt,
  style: Style,
  secrets: readonly string[] = [],
): string {
  const number = `#${attempt.attempt}`.padEnd(4);
  const at = scheduleLabel(attempt.scheduleMs).padEnd(9);
  const colour = style.statusColour(attempt.ok ? attempt.status : (attempt.status ?? undefined));
  let what: string;
  if (attempt.error) {
    const message = safe(maskText(attempt.error.message, secrets));
    what =
      attempt.error.code === "TIMEOUT"
        ? colour(message)
        : colour(`${safe(attempt.error.code)}: ${message}`);
  } else {
    what = colour(`${attempt.status} ${attempt.statusText ?? ""}`.trim());
  }
  const via =
    // A loop's message already names every hop with its status.
    attempt.redirects.length > 0 && attempt.error?.code !== "REDIRECT_LOOP"
      ? style.dim(` via ${attempt.redirects.map(formatRedirect).join(", ")}`)
      : "";
  const latency = style.dim(formatDuration(attempt.latencyMs));
  const body = attempt.response
    ? `  ${style.dim(safe(quote(firstLine(maskText(attempt.response, secrets), 60))))}`
    : "";
  const next = attempt.next ? `  ${formatNext(attempt.next, style)}` : "";
  return `  ${number}${style.dim(at)}${what}${via}  ${latency}${body}${next}`;
}

export function formatNext(next: NextAttempt, style: Style): string {
  return style.yellow(
    `→ retry #${next.attempt} at ${scheduleLabel(next.scheduleMs)} (waits ${formatDuration(next.delayMs)}${
      next.realDelayMs !== next.delayMs ? `, real ${formatDuration(next.realDelayMs)}` : ""
    })`,
  );
}

/**
 * The final line. `cut` says why the schedule was shorter than Norce's (`--no-retry`,
 * `--max-retries`, or the stored policy on resume): a dead event then says so instead of claiming
 * that Norce would have given up too.
 */
export function formatOutcome(
  delivery: Delivery,
  style: Style,
  realMs: number,
  cut?: { maxRetries: number; by: string },
): string {
  const last = delivery.attempts.at(-1);
  const n = delivery.priorAttempts + delivery.attempts.length;
  const clocks = style.dim(
    ` · schedule ${scheduleLabel(last?.scheduleMs ?? 0)} · real ${formatDuration(realMs)}`,
  );
  switch (delivery.outcome) {
    case "delivered":
      return `${style.green("✓ delivered")} after ${plural(n, "attempt")}${clocks}`;
    case "dead":
      return `${style.red("✗ dead")} after ${plural(n, "attempt")}: ${deadReason(cut)}${clocks}`;
    case "interrupted": {
      const pending = delivery.pending;
      return `${style.yellow("■ interrupted")} after ${plural(n, "attempt")}${
        !pending
          ? ""
          : delivery.cutInFlight
            ? `: attempt #${pending.attempt} was cut short in flight (the receiver may have it; resume sends it again)`
            : `: attempt #${pending.attempt} (due at ${scheduleLabel(pending.scheduleMs)}) was not sent`
      }`;
    }
  }
}

/** Why a delivery is dead: Norce's schedule ran out, or an option cut it short. */
export function deadReason(cut?: { maxRetries: number; by: string }): string {
  if (!cut || cut.maxRetries >= NORCE_POLICY.maxRetries) {
    return "Norce marks it dead and never retries it";
  }
  const norceEnd = scheduleLabel(NORCE_POLICY.retryDelaysMs.reduce((sum, ms) => sum + ms, 0));
  return cut.maxRetries === 0
    ? `no retries (${cut.by}); Norce would retry ${NORCE_POLICY.maxRetries} times, until ${norceEnd}`
    : `retries cut to ${cut.maxRetries} by ${cut.by}; Norce would go on until ${norceEnd}`;
}

/** The JSON twin of an attempt line (`--json`, one object per line). */
export function attemptJson(event: NorceEvent, attempt: Attempt, secrets: readonly string[] = []) {
  return {
    kind: "attempt" as const,
    type: event.type,
    messageId: event.messageId,
    attempt: attempt.attempt,
    schedule: scheduleLabel(attempt.scheduleMs),
    scheduleMs: attempt.scheduleMs,
    startedAt: new Date(attempt.startedAt).toISOString(),
    latencyMs: round(attempt.latencyMs),
    ok: attempt.ok,
    status: attempt.status ?? null,
    statusText: attempt.statusText ?? null,
    error: attempt.error
      ? { code: attempt.error.code, message: maskText(attempt.error.message, secrets) }
      : null,
    response: maskText(attempt.response, secrets),
    url: maskUrl(attempt.url),
    redirects: attempt.redirects.map((r) => ({ ...r, from: maskUrl(r.from), to: maskUrl(r.to) })),
    next: attempt.next
      ? {
          attempt: attempt.next.attempt,
          schedule: scheduleLabel(attempt.next.scheduleMs),
          delayMs: attempt.next.delayMs,
          realDelayMs: round(attempt.next.realDelayMs),
          dueAt: new Date(attempt.next.dueAt).toISOString(),
        }
      : null,
  };
}

export function deliveryJson(
  delivery: Delivery,
  realMs: number,
  extra: Record<string, unknown> = {},
) {
  return {
    kind: "summary" as const,
    type: delivery.event.type,
    messageId: delivery.event.messageId,
    timestamp: delivery.event.timestamp,
    url: maskUrl(delivery.url),
    outcome: delivery.outcome,
    attempts: delivery.priorAttempts + delivery.attempts.length,
    lastStatus: delivery.attempts.at(-1)?.status ?? null,
    realMs: round(realMs),
    pending: delivery.pending
      ? { attempt: delivery.pending.attempt, schedule: scheduleLabel(delivery.pending.scheduleMs) }
      : null,
    ...extra,
  };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * `307 → /x` on the same origin; the whole URL when the redirect leaves it (the new host is what
 * matters then), with the credential headers not sent on named.
 */
function formatRedirect(redirect: Redirect): string {
  const to = redirect.crossOrigin ? maskUrl(redirect.to) : maskUrl(pathAndQuery(redirect.to));
  const note = redirect.dropped?.length
    ? ` (${redirect.dropped.join(", ")} not sent to another origin)`
    : redirect.kept?.length
      ? ` (${redirect.kept.join(", ")} sent on: --keep-auth-on-redirect)`
      : "";
  return `${redirect.status} → ${safe(to)}${note}`;
}

function pathAndQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}
