/**
 * Events of one sequence seen together by a receiver. Norce sends no run or correlation id on the
 * wire, so the listener groups by the shared ids in the payloads themselves: an order's
 * ClientOrderRef (on every order event), a subscription's SubscriptionId, a supplier's SKU
 * (SupplierId + PartNo), a product's PartNo, a customer's CustomerId, a company's CompanyId.
 * Retries (a message id seen before) do not count as new events.
 */
import type { ReceivedEvent } from "./server.js";

export interface SequencePosition {
  /** What the events share, for a person: `order 5928189`, `SKU 46267-BLU-L`. */
  label: string;
  /** This event's number among the distinct events with that key (1 for the first). */
  n: number;
}

const KEYS: readonly (readonly [string, (body: Record<string, unknown>) => unknown])[] = [
  ["order", (b) => b.ClientOrderRef],
  ["subscription", (b) => b.SubscriptionId],
  [
    "supplier SKU",
    (b) =>
      b.SupplierId !== undefined && b.PartNo !== undefined
        ? `${b.SupplierId}/${b.PartNo}`
        : undefined,
  ],
  ["SKU", (b) => b.PartNo],
  ["customer", (b) => b.CustomerId],
  ["company", (b) => b.CompanyId],
];

export function createSequenceTracker(limit = 10_000) {
  // Per key only a count: the listener's retry tracking already tells a retry from a new event
  // (attempt > 1), so nothing grows with the number of events that share a key. Bounded in two
  // generations of `limit` keys each: when the newer is full the older is forgotten whole, and a
  // key seen again moves to the newer. So a key is remembered until `limit` other keys have been
  // seen since it last was, and at most 2 × limit are held. (Deleting a Map's oldest key one at a
  // time left holes its iterator walked on every call: under load, as much time as printing the
  // event.)
  const size = Math.max(1, limit);
  let newer = new Map<string, number>();
  let older = new Map<string, number>();
  return {
    see(event: ReceivedEvent): SequencePosition | undefined {
      const body = event.body;
      if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
      for (const [label, read] of KEYS) {
        const value = read(body as Record<string, unknown>);
        if (typeof value !== "string" && typeof value !== "number") continue;
        const key = `${label} ${String(value).slice(0, 80)}`;
        let n = newer.get(key) ?? older.get(key) ?? 0;
        if (event.attempt === 1 || n === 0) n++;
        if (!newer.has(key) && newer.size >= size) {
          older = newer;
          newer = new Map();
        }
        newer.set(key, n);
        return { label: key, n };
      }
      return undefined;
    },
  };
}
