/**
 * Norce's delivery rules as data (norce-commerce-event-docs.md, "Technical information"):
 * - "Norce will retry the http POST if we get any non-20X HTTP response code."
 * - "The webhook will follow redirects."
 * - Backoff delays 5 s, 10 s, 15 s, 30 s, 1 min, 2 min, 5 min, 10 min, 15 min, 30 min, 1 h, 2 h,
 *   3 h, 4 h, 5 h, 6 h: "the minimum delay, the delay can be longer … a minimum of 16 retries
 *   during ca 22 hrs."
 * - "The timeout for the http POST request is 5 seconds." After the retries are exhausted the
 *   event "will be marked as dead and will not be retried again."
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Norce's 16 backoff delays, in order: the delay before retry 1, retry 2, … retry 16. */
export const NORCE_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  1 * MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  5 * HOUR,
  6 * HOUR,
]);

export interface DeliveryPolicy {
  /** Per attempt, redirects included; not scaled by `timeScale`. @default 5000 (Norce's 5 s) */
  timeoutMs: number;
  /** Minimum delay before each retry. @default Norce's 16 delays */
  retryDelaysMs: readonly number[];
  /** Retries after the first attempt; 0 sends once. @default 16 */
  maxRetries: number;
  /** Divide every backoff delay by this (3600 plays 22 h in about 22 s). @default 1 */
  timeScale: number;
  /**
   * Redirect hops followed per attempt; one more, or a loop, fails the attempt. Norce says only
   * that redirects are followed; 10 is our modeled limit (browsers allow 20, .NET 50).
   * @default 10
   */
  maxRedirects: number;
  /**
   * Send the static headers that carry credentials (Authorization, cookies, API keys, tokens:
   * named like a secret) on to a redirect that leaves the origin. Norce does not say; browsers
   * drop `Authorization` when the origin changes (.NET's HttpClient on every redirect), and so do
   * we by default.
   * @default false
   */
  keepAuthOnRedirect: boolean;
}

export const NORCE_POLICY: Readonly<DeliveryPolicy> = Object.freeze({
  timeoutMs: 5 * SECOND,
  retryDelaysMs: NORCE_RETRY_DELAYS_MS,
  maxRetries: NORCE_RETRY_DELAYS_MS.length,
  timeScale: 1,
  maxRedirects: 10,
  keepAuthOnRedirect: false,
});

/** Norce's policy with some values changed; checks what it is given. */
export function createPolicy(overrides: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  const policy = { ...NORCE_POLICY, ...overrides };
  if (!(policy.timeScale > 0) || !Number.isFinite(policy.timeScale)) {
    throw new RangeError(`timeScale must be a positive number, not ${policy.timeScale}`);
  }
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(`maxRetries must be a whole number ≥ 0, not ${policy.maxRetries}`);
  }
  if (policy.maxRetries > policy.retryDelaysMs.length) {
    throw new RangeError(
      `maxRetries ${policy.maxRetries} is more than the ${policy.retryDelaysMs.length} delays of the schedule`,
    );
  }
  if (!(policy.timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  return policy;
}

export interface ScheduledRetry {
  /** 1 for the first retry (the second attempt). */
  retry: number;
  /** The attempt this retry is: retry + 1. */
  attempt: number;
  /** Norce's minimum delay before it. */
  delayMs: number;
  /** Schedule time of the retry: the sum of the delays so far (Norce's clock). */
  atMs: number;
  /** The same two on the wall clock, divided by the time scale. */
  realDelayMs: number;
  realAtMs: number;
}

/**
 * The retry schedule a policy gives: one row per retry, with Norce's times and the real ones.
 * With Norce's defaults the last row is retry 16 at 22 h 4 min.
 */
export function retrySchedule(policy: Partial<DeliveryPolicy> = {}): ScheduledRetry[] {
  const { retryDelaysMs, maxRetries, timeScale } = createPolicy(policy);
  const rows: ScheduledRetry[] = [];
  let at = 0;
  for (let i = 0; i < maxRetries; i++) {
    const delayMs = retryDelaysMs[i]!;
    at += delayMs;
    rows.push({
      retry: i + 1,
      attempt: i + 2,
      delayMs,
      atMs: at,
      realDelayMs: delayMs / timeScale,
      realAtMs: at / timeScale,
    });
  }
  return rows;
}
