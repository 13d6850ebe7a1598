/**
 * Disorder on purpose, as at-least-once delivery produces it, chosen by a seed so a receiver's bug
 * can be replayed exactly. Chaos turns a plan's events into dispatches (what is sent, when, in
 * which order) and names every change it made.
 *
 * - `duplicates`: an event delivered twice with the same message id, the second as Norce's retry
 *   (attempt #2) right after the first, as when a slow 2xx arrived after Norce's 5 s timeout.
 * - `reorder`: an event delivered after the next one, as when it was being retried.
 * - `retry`: the receiver sees an event's first attempt, Norce treats its answer as lost, and the
 *   second attempt arrives after the next event's first.
 * - `burst`: every event at once, with no gaps (a backlog released after an outage).
 */
import { deriveSeed, Rng } from "../events/rng.js";
import { UsageError } from "../shared/errors.js";
import { closest } from "../shared/text.js";
import type { PlannedEvent } from "./plan.js";

export const CHAOS_KINDS = ["duplicates", "reorder", "retry", "burst"] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

/** One thing chaos changed, said so a person can explain a receiver's behaviour. */
export interface ChaosApplied {
  kind: ChaosKind;
  /** Positions (in the plan) of the events it concerns. */
  positions: number[];
  description: string;
}

/**
 * One send: a plan event delivered once more.
 * - `normal`: with Norce's policy (retries if the receiver fails)
 * - `lost`: one attempt whose answer Norce treats as lost (chaos `retry`), no retries of its own
 * - `again`: Norce's next attempt of an event already tried (`duplicates`, `retry`): attempt #2
 */
export interface Dispatch {
  position: number;
  mode: "normal" | "lost" | "again";
  /** Norce's time of the send (a reordered event is later than planned). */
  atMs: number;
  /** Send without waiting for the one before (burst). */
  concurrent: boolean;
}

export function parseChaos(values: readonly string[] | undefined): ChaosKind[] {
  const kinds: ChaosKind[] = [];
  for (const raw of values ?? []) {
    const value = raw.trim().toLowerCase();
    if (!(CHAOS_KINDS as readonly string[]).includes(value)) {
      const suggestion = closest(value, CHAOS_KINDS);
      throw new UsageError(
        `--chaos ${raw} is not a kind of disorder${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
        { hint: `the kinds are ${CHAOS_KINDS.join(", ")} (comma-separated)` },
      );
    }
    if (!kinds.includes(value as ChaosKind)) kinds.push(value as ChaosKind);
  }
  return kinds;
}

/**
 * The dispatches for a plan under `kinds`, and what was applied. Same plan, kinds and seed: the
 * same dispatches and the same descriptions.
 */
export function applyChaos(
  events: readonly PlannedEvent[],
  kinds: readonly ChaosKind[],
  seed: number,
): { dispatches: Dispatch[]; applied: ChaosApplied[] } {
  const rng = new Rng(deriveSeed(seed, 0x43686173)); // a stream of its own ("Chas")
  const applied: ChaosApplied[] = [];
  const label = (e: PlannedEvent) =>
    `step ${e.stepIndex + 1} ${e.event.type}${events.some((x) => x.repetition > 0) ? ` (run ${e.repetition + 1})` : ""}`;
  // The next event of the same repetition, which a held-back event lands behind.
  const nextOf = (e: PlannedEvent) =>
    events.find((x) => x.repetition === e.repetition && x.position > e.position);
  const candidates = events.filter((e) => nextOf(e) !== undefined);
  const taken = new Set<number>();

  let order: { position: number; atMs: number }[] = events.map((e) => ({
    position: e.position,
    atMs: e.atMs,
  }));
  const lostBehind = new Map<number, number>(); // retried position → position it lands behind

  if (kinds.includes("reorder") && candidates.length > 0) {
    const count = Math.max(1, Math.round(candidates.length / 4));
    for (const e of pick(rng, candidates, count)) {
      const next = nextOf(e)!;
      // Two swaps that touch the same event would undo or blur each other: one per pair.
      if (taken.has(e.position) || taken.has(next.position)) continue;
      taken.add(e.position);
      taken.add(next.position);
      order = order.map((o) => (o.position === e.position ? { ...o, atMs: next.atMs } : o));
      // Behind the next one: moved after it in the list, at its time.
      const mine = order.findIndex((o) => o.position === e.position);
      const [moved] = order.splice(mine, 1);
      const theirs = order.findIndex((o) => o.position === next.position);
      order.splice(theirs + 1, 0, moved!);
      applied.push({
        kind: "reorder",
        positions: [e.position, next.position],
        description: `${label(e)} delivered after ${label(next)}, as when its first attempts failed and Norce was retrying it`,
      });
    }
  }
  if (kinds.includes("retry")) {
    const free = candidates.filter((e) => !taken.has(e.position));
    if (free.length > 0) {
      const [e] = pick(rng, free, 1);
      const next = nextOf(e!)!;
      taken.add(e!.position);
      lostBehind.set(e!.position, next.position);
      applied.push({
        kind: "retry",
        positions: [e!.position, next.position],
        description: `${label(e!)}: attempt #1 arrives, its answer is lost (as after Norce's 5 s timeout), and attempt #2 (same message id) arrives after ${label(next)}`,
      });
    }
  }
  const duplicated = new Set<number>();
  if (kinds.includes("duplicates") && events.length > 0) {
    const free = events.filter((e) => !lostBehind.has(e.position));
    const chosen = free.filter(() => rng.chance(0.3));
    if (chosen.length === 0 && free.length > 0) chosen.push(free[rng.int(0, free.length - 1)]!);
    for (const e of chosen) {
      duplicated.add(e.position);
      applied.push({
        kind: "duplicates",
        positions: [e.position],
        description: `${label(e)} delivered twice with the same message id: attempt #2 right after #1, as when a 2xx came after Norce's 5 s timeout`,
      });
    }
  }
  const burst = kinds.includes("burst");
  if (burst) {
    applied.push({
      kind: "burst",
      positions: events.map((e) => e.position),
      description: `all ${events.length} events at once, with no gaps and without waiting for answers (a backlog released after an outage); they arrive in whatever order the connections deliver them`,
    });
  }

  const dispatches: Dispatch[] = [];
  for (const o of order) {
    const lost = lostBehind.has(o.position);
    dispatches.push({
      position: o.position,
      mode: lost ? "lost" : "normal",
      atMs: burst ? 0 : o.atMs,
      concurrent: burst,
    });
    if (duplicated.has(o.position)) {
      dispatches.push({
        position: o.position,
        mode: "again",
        atMs: burst ? 0 : o.atMs,
        concurrent: burst,
      });
    }
    // A lost attempt's retry comes right after the event it lands behind.
    for (const [retried, behind] of lostBehind) {
      if (behind === o.position) {
        dispatches.push({
          position: retried,
          mode: "again",
          atMs: burst ? 0 : o.atMs,
          concurrent: burst,
        });
      }
    }
  }
  return { dispatches, applied };
}

/** `count` distinct items, chosen by the seed, in their original order. */
function pick<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const indexes = items.map((_, i) => i);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes
    .slice(0, Math.min(count, items.length))
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}
