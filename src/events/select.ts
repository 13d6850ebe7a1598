/**
 * Event types named on the command line: exact names (any case; a typo is an error with a
 * suggestion) and globs such as `Sku*` or `Order*Event` (picomatch, case-insensitive).
 */
import picomatch from "picomatch";
import { UsageError } from "../shared/errors.js";
import { type EventTypeInfo, eventTypeInfos, getEventType } from "./catalog.js";

export function selectEventTypes(patterns: readonly string[] | undefined): EventTypeInfo[] {
  const all = eventTypeInfos();
  if (!patterns || patterns.length === 0) return [...all];
  const chosen = new Set<EventTypeInfo>();
  for (const pattern of patterns) {
    if (/[*?[\]{}!]/.test(pattern)) {
      const isMatch = picomatch(pattern, { nocase: true });
      const matched = all.filter((info) => isMatch(info.name));
      if (matched.length === 0) {
        throw new UsageError(`no event type matches "${pattern}"`, {
          hint: "run `norce-event types` to list them; patterns look like Sku* or Order*Event",
        });
      }
      for (const info of matched) chosen.add(info);
    } else {
      chosen.add(getEventType(pattern));
    }
  }
  // Catalog order, whatever order the patterns came in.
  return all.filter((info) => chosen.has(info));
}

/** A matcher for received type names (which may be unknown): true when any pattern matches. */
export function typeMatcher(
  patterns: readonly string[] | undefined,
): (type: string | undefined) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const isMatch = picomatch([...patterns], { nocase: true });
  return (type) => type !== undefined && isMatch(type);
}
