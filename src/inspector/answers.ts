/**
 * The listener's answers, switchable while it runs (from the inspector's page): status,
 * fail-first, fail-rate, delay and a required header. A change takes effect for the next request;
 * the responder for the old settings is closed once it is replaced.
 */
import { parseHeader } from "../delivery/headers.js";
import { createResponder, type ResponderOptions } from "../listener/responders.js";
import type { Responder } from "../listener/server.js";
import { UsageError } from "../shared/errors.js";
import { numberFrom } from "../shared/numbers.js";
import type { AnswerControl } from "./server.js";
import type { AnswerSettings } from "./web/types.js";

export interface SwitchableResponder extends AnswerControl {
  respond: Responder;
  close(): Promise<void>;
}

export function createSwitchableResponder(
  initial: AnswerSettings,
  fixed: Omit<ResponderOptions, "status" | "failFirst" | "failRate" | "delayMs">,
  onChange?: (settings: AnswerSettings) => void,
): SwitchableResponder {
  let settings = { ...initial };
  const make = (s: AnswerSettings) =>
    createResponder({
      ...fixed,
      status: s.status,
      ...(s.failFirst > 0 ? { failFirst: s.failFirst } : {}),
      ...(s.failRate > 0 ? { failRate: s.failRate } : {}),
      ...(s.delayMs > 0 ? { delayMs: s.delayMs } : {}),
    });
  let current = make(settings);
  let required = settings.requireHeader ? parseHeader(settings.requireHeader) : undefined;
  const retired: ReturnType<typeof createResponder>[] = [];

  const respond: Responder = (request) => {
    if (required) {
      const [name, value] = required;
      const given = request.headers[name.toLowerCase()];
      if (given !== value) {
        return {
          status: 401,
          body: "unauthorized\n",
          note:
            given === undefined
              ? `no ${name} header (set in the inspector)`
              : `wrong ${name} header (set in the inspector)`,
        };
      }
    }
    return current(request);
  };

  return {
    respond,
    get: () => ({ ...settings }),
    set(change) {
      const next = checkSettings({ ...settings, ...change });
      const header = next.requireHeader ? parseHeader(next.requireHeader) : undefined;
      retired.push(current);
      current = make(next);
      required = header;
      settings = next;
      onChange?.({ ...settings });
      return { ...settings };
    },
    async close() {
      await Promise.all([current, ...retired].map((r) => r.close()));
    },
  };
}

/** Settings from the page, checked as the command line checks its options. */
function checkSettings(s: AnswerSettings): AnswerSettings {
  const whole = (value: unknown, name: string, min: number, max: number): number => {
    const n = numberFrom(value, true);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  const rate = numberFrom(s.failRate);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new UsageError("fail rate must be from 0 to 1");
  }
  const requireHeader = typeof s.requireHeader === "string" ? s.requireHeader.trim() : "";
  if (requireHeader) parseHeader(requireHeader);
  return {
    status: whole(s.status, "status", 100, 599),
    failFirst: whole(s.failFirst, "fail-first", 0, 17),
    failRate: rate,
    delayMs: whole(s.delayMs, "delay", 0, 60_000),
    requireHeader,
  };
}
