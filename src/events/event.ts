/**
 * A Norce event as Norce emits it: the payload plus the identity carried in the standard headers
 * (norce-commerce-event-docs.md, "Standard headers"). Made once; every retry carries the same
 * message id, timestamp and body.
 */
import { randomUUID } from "node:crypto";
import type { EventPayload, EventTypeName } from "./payloads.generated.js";

export interface NorceEvent<T extends EventTypeName = EventTypeName> {
  type: T;
  /** `Norce-Event-Message-Id`: unique per event, the same on every retry of it. */
  messageId: string;
  /** `Norce-Event-Timestamp`: when the event happened, ISO-8601 with a numeric offset. */
  timestamp: string;
  payload: EventPayload<T>;
}

/** Wrap a payload you already have as an event (new message id, timestamp now). */
export function createEvent<T extends EventTypeName>(
  type: T,
  payload: EventPayload<T>,
  options: { messageId?: string; timestamp?: Date | string } = {},
): NorceEvent<T> {
  return {
    type,
    messageId: options.messageId ?? randomUUID(),
    timestamp:
      typeof options.timestamp === "string"
        ? options.timestamp
        : formatTimestamp(options.timestamp ?? new Date()),
    payload,
  };
}

/**
 * ISO-8601 with six fractional digits and a numeric UTC offset, never `Z`, as in Norce's example
 * `2025-11-16T07:32:28.326837+01:00`. Uses the machine's time zone (`TZ`); `+00:00` in UTC.
 */
export function formatTimestamp(date: Date, micros = Math.floor(Math.random() * 1000)): string {
  const time = date.getTime();
  const { minutes, text } = zoneOffset(date, time);
  if (time !== millisAt || text !== millisZone) {
    // Shifted to local wall time; made once per millisecond (a batch makes many in one).
    millis = new Date(time + minutes * 60_000).toISOString().slice(0, 23);
    millisAt = time;
    millisZone = text;
  }
  return `${millis}${micros < 10 ? "00" : micros < 100 ? "0" : ""}${micros}${text}`;
}

let millisAt = Number.NaN;
let millisZone = "";
let millis = "";

let zoneHour = Number.NaN;
let zone = { minutes: 0, text: "+00:00" };

/** The zone offset at `time`, asked once per hour (offsets change on the hour, if at all). */
function zoneOffset(date: Date, time: number): { minutes: number; text: string } {
  const hour = Math.floor(time / 3_600_000);
  if (hour !== zoneHour) {
    const minutes = -date.getTimezoneOffset();
    const abs = Math.abs(minutes);
    zone = {
      minutes,
      text: `${minutes >= 0 ? "+" : "-"}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`,
    };
    zoneHour = hour;
  }
  return zone;
}

/**
 * Parse a `Norce-Event-Timestamp`: ISO-8601 date and time with a zone (`Z` or ±hh:mm) and any
 * number of fractional digits. `undefined` when it is not one.
 */
export function parseTimestamp(text: string): Date | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac = "", zone] = match;
  const ms = Number(`0.${frac || "0"}`) * 1000;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let offset = 0;
  if (zone && zone !== "Z") {
    const digits = zone.replace(":", "");
    offset =
      (zone.startsWith("-") ? -1 : 1) *
      (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const time = base + ms - offset * 60_000;
  return Number.isNaN(time) ? undefined : new Date(time);
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
