/** Turning stored records back into events to deliver (replay, resume). */
import { randomUUID } from "node:crypto";
import { HEADER_MESSAGE_ID, HEADER_TIMESTAMP, HEADER_TYPE } from "../delivery/headers.js";
import { formatTimestamp, type NorceEvent } from "../events/event.js";
import type { EventTypeName } from "../events/payloads.generated.js";
import { StoreError } from "../shared/errors.js";
import { isMasked, isSecretHeader, maskValue } from "../shared/secrets.js";
import type { DeliveryRecord, ReceivedRecord } from "./db.js";
import type { StoredHeader } from "./templates.js";

/** The event a stored record carried: same id and timestamp (a true redelivery) unless `newId`. */
export function storedEvent(
  record: {
    messageId: string | null;
    type: string | null;
    body: string;
    timestamp?: string | null;
  },
  options: { newId?: boolean; path: string },
): NorceEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(record.body);
  } catch {
    throw new StoreError(
      options.path,
      `the stored body of ${record.messageId} is not JSON, so it cannot be sent as an event`,
    );
  }
  const keep = !options.newId && record.messageId;
  return {
    type: (record.type ?? "") as EventTypeName,
    messageId: keep ? record.messageId! : randomUUID(),
    timestamp: keep && record.timestamp ? record.timestamp : formatTimestamp(new Date()),
    payload: payload as NorceEvent["payload"],
  };
}

/** Headers that belong to the transport or to Norce's system set; not replayed as static ones. */
const NOT_STATIC = new Set(
  [
    HEADER_MESSAGE_ID,
    HEADER_TYPE,
    HEADER_TIMESTAMP,
    "host",
    "connection",
    "content-length",
    "content-type",
    "transfer-encoding",
    "user-agent",
    "accept",
    "accept-encoding",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
  ].map((n) => n.toLowerCase()),
);

/**
 * The static headers of a received request, as stored: secrets were masked, so must be given
 * again; the others are sent literally. They came from the network, so they are never templates:
 * a `${NORCE_SECRET}` in a received header is replayed as those characters, not as the value of
 * an environment variable (which would let anyone who can post to `listen` read the environment).
 */
export function receivedStaticHeaders(record: ReceivedRecord): StoredHeader[] {
  return Object.entries(record.headers)
    .filter(([name]) => !NOT_STATIC.has(name.toLowerCase()))
    .map(([name, value]) =>
      isMasked(value)
        ? { name, masked: value }
        : isSecretHeader(name)
          ? { name, masked: maskValue(value) }
          : { name, value },
    );
}

/** Where a stored delivery stands, for the engine's resume. */
export function resumeState(record: DeliveryRecord): { attemptsMade: number; dueAt: number } {
  return {
    attemptsMade: Math.max(0, (record.nextAttempt ?? record.attempts + 1) - 1),
    dueAt: record.nextDueAt ?? Date.now(),
  };
}

/** True when a process with this id runs on this machine (a delivery it still owns). */
export function isAlive(pid: number | null): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
