/**
 * Scenario cases for the contract suite (`test --scenarios`): each built-in sequence delivered to
 * the receiver in order, reordered, and with duplicates, as at-least-once delivery produces them.
 * Like the other cases: Norce's timeout, no retries, so each answer is judged as it comes; the gaps
 * between steps are left out (the receiver's state, not the clock, is under test).
 */
import { BUILTIN_SCENARIOS, loadScenario } from "../scenarios/builtins.js";
import type { ChaosKind } from "../scenarios/chaos.js";
import { planScenario } from "../scenarios/plan.js";
import { runScenarioPlan, type ScenarioDelivery } from "../scenarios/run.js";
import {
  type CaseAnswer,
  type CaseContext,
  type CaseDefinition,
  type CaseOutcome,
  describe,
  isOk,
  toAnswer,
} from "./runner.js";

type Variant = { id: string; label: string; chaos: ChaosKind[] };

const VARIANTS: readonly Variant[] = [
  { id: "in-order", label: "in order", chaos: [] },
  { id: "reorder", label: "with a step delivered after a later one", chaos: ["reorder"] },
  {
    id: "duplicates",
    label: "with events delivered twice (same message id)",
    chaos: ["duplicates"],
  },
];

export function scenarioCases(which: true | readonly string[]): CaseDefinition[] {
  const names = which === true || which.length === 0 ? [...BUILTIN_SCENARIOS] : [...which];
  // Checked before any case runs, so a misspelt name is a usage error (exit 2), not a failed case.
  const scenarios = names.map((name) => loadScenario(name));
  return scenarios.flatMap((scenario, s) =>
    // A one-step scenario has nothing to reorder.
    VARIANTS.filter((v) => v.id !== "reorder" || scenario.steps.length > 1).map(
      (variant): CaseDefinition => ({
        id: `scenario/${scenario.name}/${variant.id}`,
        group: `scenario ${scenario.name}`,
        name: `scenario ${scenario.name} ${variant.label}`,
        run: async (ctx) => {
          const plan = planScenario(scenario, {
            seed: ctx.seed + 7000 + s,
            ...(ctx.options.client ? { client: ctx.options.client } : {}),
          });
          const run = await runScenarioPlan(plan, {
            to: ctx.options.to,
            headers: ctx.options.headers ?? {},
            // No waits: a redelivery's 5 s backoff and the gaps are compressed away.
            policy: { maxRetries: 0, timeoutMs: ctx.timeoutMs, timeScale: 1_000_000 },
            chaos: variant.chaos,
            maxGapMs: 0,
          });
          return judge(
            run.deliveries,
            ctx,
            variant,
            run.chaos.map((c) => c.description),
          );
        },
      }),
    ),
  );
}

function judge(
  deliveries: ScenarioDelivery[],
  ctx: CaseContext,
  variant: Variant,
  applied: string[],
): CaseOutcome {
  const answers: CaseAnswer[] = [];
  for (const { dispatch, delivery } of deliveries) {
    const attempt = delivery.attempts[0];
    if (!attempt) continue;
    const answer = toAnswer(attempt, attempt.response, ctx);
    answers.push(answer);
    if (isOk(answer)) continue;
    const step = `step ${dispatch.planned.stepIndex + 1} ${dispatch.planned.event.type}`;
    const reason =
      dispatch.mode === "again"
        ? `the redelivery of ${step} (same Norce-Event-Message-Id, timestamp and body) got ${describe(answer)}; Norce would keep retrying it for about 22 hours: accept a message id you have seen with a 2xx and do not act twice`
        : variant.id === "reorder"
          ? `${step} got ${describe(answer)} (${applied.join("; ")}); Norce delivers each event on its own, so events of one order can arrive late or out of order: accept them with a 2xx and reconcile`
          : `${step} got ${describe(answer)}; Norce counts anything but 2xx as failed, retries for about 22 hours, then marks the event dead`;
    return { status: "failed", reason, answers };
  }
  return {
    status: "passed",
    ...(applied.length ? { detail: applied.join("; ") } : {}),
    answers,
  };
}
