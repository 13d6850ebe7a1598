/**
 * Contract tests for a Norce receiver: named cases, each made of the two flows the tool already
 * has (fake events, Norce's delivery), judged on what the receiver answered. Each case delivers
 * with a policy of its own: Norce's timeout, no retries, so one answer is judged at a time.
 */
import { randomUUID } from "node:crypto";
import type { Dispatcher } from "undici";
import { percentiles } from "../delivery/batch.js";
import { type Attempt, createAgent, deliverEvent } from "../delivery/engine.js";
import { buildHeaders, toHeaderList } from "../delivery/headers.js";
import { postWithRedirects } from "../delivery/http.js";
import { NORCE_POLICY } from "../delivery/policy.js";
import { type EventTypeInfo, eventTypeInfos } from "../events/catalog.js";
import type { ClientIdentity } from "../events/client.js";
import type { NorceEvent } from "../events/event.js";
import { createEventFactory } from "../events/factory.js";
import { formatDuration } from "../shared/duration.js";
import { knownSecrets, maskText, maskUrl } from "../shared/secrets.js";
import { firstLine } from "../shared/text.js";

export type CaseStatus = "passed" | "failed" | "skipped";

export interface CaseAnswer {
  status: number | null;
  error: string | null;
  latencyMs: number;
  body: string;
}

export interface CaseResult {
  /** Stable id, e.g. `accepts/OrderConfirmedEvent`. */
  id: string;
  /** Group for reports (JUnit classname). */
  group: string;
  name: string;
  status: CaseStatus;
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
  /** A problem that does not fail the case (JUnit system-out). */
  warning?: string;
  /** A measurement worth showing (latency percentiles). */
  detail?: string;
  answers: CaseAnswer[];
  durationMs: number;
}

export interface ContractOptions {
  /** The receiver's URL. */
  to: string;
  /** Static headers (the Admin UI's), e.g. Authorization: they are the credentials. */
  headers?: Record<string, string>;
  /** The types to check. @default all 19 */
  types?: readonly EventTypeInfo[];
  /** Seed for the events. @default 1 */
  seed?: number;
  /** The tenant every event carries. @default DEFAULT_CLIENT */
  client?: ClientIdentity;
  /**
   * Scenario cases too (opt-in): `true` for every built-in scenario, or their names. Each is
   * delivered in order, reordered and with duplicates.
   */
  scenarios?: boolean | readonly string[];
  /** Norce's per-attempt timeout. @default 5000 */
  timeoutMs?: number;
  /** Cases run at once. @default 4 */
  concurrency?: number;
  /** Called as each case finishes (in the order cases are listed). */
  onCase?: (result: CaseResult) => void;
}

export interface ContractReport {
  url: string;
  seed: number;
  timeoutMs: number;
  startedAt: string;
  durationMs: number;
  cases: CaseResult[];
  passed: number;
  failed: number;
  skipped: number;
  warnings: number;
  latencyMs: { p50: number; p95: number; max: number };
}

export interface CaseContext {
  dispatcher: Dispatcher;
  options: ContractOptions;
  timeoutMs: number;
  seed: number;
  secrets: string[];
}

/** What a case's run decides; the runner adds the id, names and duration. */
export type CaseOutcome = Omit<CaseResult, "id" | "group" | "name" | "durationMs">;

export interface CaseDefinition {
  id: string;
  group: string;
  name: string;
  run(ctx: CaseContext): Promise<CaseOutcome>;
}

/** Statuses that mean "no, you may not". */
const UNAUTHORIZED = new Set([401, 403]);

export async function runContract(options: ContractOptions): Promise<ContractReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const seed = options.seed ?? 1;
  const dispatcher = createAgent(timeoutMs, options.concurrency ?? 4);
  // Every static header is a credential here (the case that alters them says so): mask them all.
  const secrets = knownSecrets({
    headers: options.headers ?? {},
    resolved: Object.values(options.headers ?? {}),
    urls: [options.to],
  });
  const ctx: CaseContext = { dispatcher, options, timeoutMs, seed, secrets };
  const definitions = defineCases(options.types ?? eventTypeInfos(), options.headers ?? {});
  if (options.scenarios) {
    const { scenarioCases } = await import("./scenarios.js");
    definitions.push(...scenarioCases(options.scenarios));
  }
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = new Array(definitions.length);
  let reported = 0;
  const report = () => {
    while (reported < definitions.length && results[reported]) {
      const result = results[reported]!;
      reported++;
      options.onCase?.(result);
    }
  };

  try {
    let next = 0;
    const worker = async () => {
      while (next < definitions.length) {
        const index = next++;
        const definition = definitions[index]!;
        const caseStarted = performance.now();
        let outcome: CaseOutcome;
        try {
          outcome = await definition.run(ctx);
        } catch (error) {
          outcome = {
            status: "failed",
            reason: `the case itself failed: ${(error as Error).message}`,
            answers: [],
          };
        }
        results[index] = {
          id: definition.id,
          group: definition.group,
          name: definition.name,
          ...outcome,
          durationMs: performance.now() - caseStarted,
        };
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

    // The latency case judges every answer the other cases got. A refused or reset connection
    // is no answer (it says nothing about speed); a timeout is a late one.
    const all = results.flatMap((r) => r.answers);
    const answers = all.filter((a) => a.status !== null || isTimeout(a));
    const latency = percentiles(answers.map((a) => a.latencyMs));
    const slow = answers.filter((a) => isTimeout(a) || a.latencyMs > timeoutMs);
    const fast: CaseResult = {
      id: "fast-enough",
      group: "latency",
      name: `fast enough: every answer within ${formatDuration(timeoutMs)}`,
      status: answers.length === 0 ? "skipped" : slow.length === 0 ? "passed" : "failed",
      ...(answers.length > 0
        ? {
            detail: `p50 ${formatDuration(latency.p50)} · p95 ${formatDuration(latency.p95)} · max ${formatDuration(latency.max)} over ${answers.length} answer${answers.length === 1 ? "" : "s"}`,
          }
        : {}),
      ...(answers.length === 0
        ? {
            reason:
              all.length > 0
                ? `no answers to judge: ${all.length} request${all.length === 1 ? "" : "s"} got no answer (${all[0]!.error})`
                : "no answers to judge",
          }
        : slow.length > 0
          ? {
              reason: `${slow.length} of ${answers.length} answers took longer than ${formatDuration(timeoutMs)} (p50 ${formatDuration(latency.p50)}, p95 ${formatDuration(latency.p95)}); Norce counts those as failed and retries them`,
            }
          : {}),
      answers: [],
      durationMs: 0,
    };
    results.push(fast);
    options.onCase?.(fast);

    const finished = results.filter(Boolean);
    return {
      url: maskUrl(options.to),
      seed,
      timeoutMs,
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - started,
      cases: finished,
      passed: finished.filter((r) => r.status === "passed").length,
      failed: finished.filter((r) => r.status === "failed").length,
      skipped: finished.filter((r) => r.status === "skipped").length,
      warnings: finished.filter((r) => r.warning).length,
      latencyMs: { p50: latency.p50, p95: latency.p95, max: latency.max },
    };
  } finally {
    await dispatcher.close();
  }
}

function defineCases(
  types: readonly EventTypeInfo[],
  credentials: Record<string, string>,
): CaseDefinition[] {
  const cases: CaseDefinition[] = types.map((info, i) => ({
    id: `accepts/${info.name}`,
    group: "accepts",
    name: `accepts ${info.name}`,
    run: async (ctx) => {
      const event = makeEvent(ctx, info, ctx.seed + i);
      const answer = await deliverOnce(ctx, event, ctx.options.headers ?? {});
      return judge2xx(answer, "a realistic event");
    },
  }));
  // Retries matter most for OrderConfirmedEvent ("delivered only once for each order", and used to
  // send confirmation mails): a receiver that acts twice on a redelivery mails the buyer twice.
  const first = types.find((t) => t.name === "OrderConfirmedEvent") ?? types[0];
  if (!first) return cases;

  cases.push({
    id: "idempotent",
    group: "retries",
    name: `idempotent on retries: the same ${first.name} twice`,
    run: async (ctx) => {
      const event = makeEvent(ctx, first, ctx.seed + 1000);
      const one = await deliverOnce(ctx, event, ctx.options.headers ?? {});
      if (!isOk(one)) return { ...judge2xx(one, "the first delivery"), answers: [one] };
      const two = await deliverOnce(ctx, event, ctx.options.headers ?? {});
      if (!isOk(two)) {
        return {
          status: "failed",
          reason: `the redelivery (same Norce-Event-Message-Id, timestamp and body) got ${describe(two)}; Norce redelivers the same message after any failure, so a receiver must accept it again (and not act twice)`,
          answers: [one, two],
        };
      }
      return { status: "passed", answers: [one, two] };
    },
  });

  cases.push({
    id: "tolerant-reader/extra-property",
    group: "tolerant reader",
    name: `tolerant reader: ${first.name} with an unknown extra property`,
    run: async (ctx) => {
      const event = createEventFactory(first, {
        ...clientOf(ctx),
        seed: ctx.seed + 2000,
        optionals: "all",
        overrides: { data: { NorceEventContractExtra: "a property Norce may add one day" } },
        allowInvalid: true,
      }).event(0);
      const answer = await deliverOnce(ctx, event, ctx.options.headers ?? {});
      return judge2xx(answer, "an event with a property your code does not know");
    },
  });

  const withOptionals = types.find((t) => t.properties.length > t.required.length) ?? first;
  cases.push({
    id: "tolerant-reader/optionals-left-out",
    group: "tolerant reader",
    name: `tolerant reader: ${withOptionals.name} with the optional properties left out`,
    run: async (ctx) => {
      const event = makeEvent(ctx, withOptionals, ctx.seed + 3000, "none");
      const answer = await deliverOnce(ctx, event, ctx.options.headers ?? {});
      return judge2xx(
        answer,
        `an event with only the required properties (${withOptionals.required.join(", ")})`,
      );
    },
  });

  cases.push({
    id: "rejects-unauthenticated",
    group: "authentication",
    name: "rejects unauthenticated events",
    run: async (ctx) => {
      const names = Object.keys(credentials);
      if (names.length === 0) {
        return {
          status: "skipped",
          reason:
            'no credentials given; add -H "Authorization: Bearer …" (your Admin UI headers) to check that events without them are refused',
          answers: [],
        };
      }
      const event = makeEvent(ctx, first, ctx.seed + 4000);
      const variants: [string, Record<string, string>][] = [
        [`without ${names.join(", ")}`, {}],
        ...names.map((name): [string, Record<string, string>] => [
          `with ${name} altered`,
          { ...credentials, [name]: alter(credentials[name]!) },
        ]),
      ];
      const answers: CaseAnswer[] = [];
      for (const [label, headers] of variants) {
        const answer = await deliverOnce(ctx, { ...event, messageId: randomUUID() }, headers);
        answers.push(answer);
        if (answer.status === null || !UNAUTHORIZED.has(answer.status)) {
          const accepted = answer.status !== null && answer.status >= 200 && answer.status < 300;
          return {
            status: "failed",
            reason: accepted
              ? `an event ${label} got ${describe(answer)}: anyone could post fake orders to this receiver; answer 401 or 403`
              : `an event ${label} got ${describe(answer)}; expected 401 or 403`,
            answers,
          };
        }
      }
      return { status: "passed", answers };
    },
  });

  cases.push({
    id: "malformed-body",
    group: "bad input",
    name: "malformed body: invalid JSON gets a 4xx",
    run: async (ctx) => {
      const event = makeEvent(ctx, first, ctx.seed + 5000);
      const answer = await postRaw(ctx, event, '{"ClientId": 1001, "OrderNo": ');
      if (answer.status !== null && answer.status >= 400 && answer.status < 500)
        return { status: "passed", answers: [answer] };
      const warning =
        answer.status === null
          ? `invalid JSON got no answer (${answer.error})`
          : answer.status < 300
            ? `invalid JSON was accepted with ${answer.status}: answer 400 so garbage is never taken as an event`
            : answer.status >= 500
              ? `invalid JSON got ${answer.status}: Norce would retry garbage for 22 hours; answer 400`
              : `invalid JSON got ${answer.status}; a 4xx is expected`;
      return { status: "passed", warning, answers: [answer] };
    },
  });
  return cases;
}

/** A realistic event with every property (or, for the tolerant-reader case, only required ones). */
function makeEvent(
  ctx: CaseContext,
  info: EventTypeInfo,
  seed: number,
  optionals: "all" | "none" = "all",
): NorceEvent {
  return createEventFactory(info, { ...clientOf(ctx), seed, optionals }).event(0);
}

function clientOf(ctx: CaseContext): { client?: ClientIdentity } {
  return ctx.options.client ? { client: ctx.options.client } : {};
}

async function deliverOnce(
  ctx: CaseContext,
  event: NorceEvent,
  headers: Record<string, string>,
): Promise<CaseAnswer> {
  const delivery = await deliverEvent(event, {
    to: ctx.options.to,
    headers,
    policy: { maxRetries: 0, timeoutMs: ctx.timeoutMs },
    dispatcher: ctx.dispatcher,
  });
  const attempt = delivery.attempts[0]!;
  return toAnswer(attempt, attempt.response, ctx);
}

async function postRaw(ctx: CaseContext, event: NorceEvent, body: string): Promise<CaseAnswer> {
  const headers = toHeaderList(buildHeaders(event, ctx.options.headers ?? {}).headers);
  const outcome = await postWithRedirects(ctx.dispatcher, {
    url: ctx.options.to,
    headers,
    body,
    timeoutMs: ctx.timeoutMs,
    maxRedirects: NORCE_POLICY.maxRedirects,
  });
  return toAnswer(outcome, outcome.bodyExcerpt, ctx);
}

/** What a delivery attempt or a raw post got, as a case keeps it (secrets masked). */
export function toAnswer(
  got: Pick<Attempt, "status" | "error" | "latencyMs">,
  body: string,
  ctx: CaseContext,
): CaseAnswer {
  return {
    status: got.status ?? null,
    error: got.error
      ? maskText(
          got.error.code === "TIMEOUT"
            ? got.error.message
            : `${got.error.code}: ${got.error.message}`,
          ctx.secrets,
        )
      : null,
    latencyMs: got.latencyMs,
    body: maskText(body, ctx.secrets),
  };
}

function isTimeout(answer: CaseAnswer): boolean {
  return answer.error?.startsWith("timed out") ?? false;
}

export function isOk(answer: CaseAnswer): boolean {
  return (
    answer.error === null && answer.status !== null && answer.status >= 200 && answer.status < 300
  );
}

function judge2xx(answer: CaseAnswer, what: string): CaseOutcome {
  if (isOk(answer)) return { status: "passed", answers: [answer] };
  return {
    status: "failed",
    reason: `${what} got ${describe(answer)}; Norce counts anything but 2xx as failed, retries for about 22 hours, then marks the event dead`,
    answers: [answer],
  };
}

export function describe(answer: CaseAnswer): string {
  if (answer.error) return answer.error;
  const body = answer.body ? ` ${JSON.stringify(firstLine(answer.body, 80))}` : "";
  return `${answer.status}${body}`;
}

/** Change a credential so it is wrong but looks alike (last character flipped, or more). */
function alter(value: string): string {
  if (value.length === 0) return "x";
  const last = value.at(-1)!;
  return value.slice(0, -1) + (last === "x" ? "y" : "x");
}
