/**
 * `norce-event scenario list|show|run|init`: a shop's real sequences of events on one set of ids,
 * delivered as Norce delivers them, in order or in the disorder at-least-once delivery produces.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Attempt, Delivery, DeliveryHooks } from "../../delivery/engine.js";
import { parseHeaders } from "../../delivery/headers.js";
import { createPolicy, type DeliveryPolicy, NORCE_POLICY } from "../../delivery/policy.js";
import { describeClient } from "../../events/client.js";
import type { EventTypeName } from "../../events/payloads.generated.js";
import { builtinScenarios, loadScenario } from "../../scenarios/builtins.js";
import { parseChaos } from "../../scenarios/chaos.js";
import { type CheckedScenario, refsIn, SCENARIO_SCHEMA_FILE } from "../../scenarios/definition.js";
import { type PlannedEvent, planScenario, type ScenarioPlan } from "../../scenarios/plan.js";
import {
  DEFAULT_MAX_GAP_MS,
  runScenarioPlan,
  type ScenarioDispatch,
  type ScenarioRun,
} from "../../scenarios/run.js";
import { formatDuration } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";
import { parseTargetUrl } from "../../shared/url.js";
import { type LoadedConfig, settingsFor } from "../../store/config.js";
import type { EventStore } from "../../store/db.js";
import { recordDelivery, recordingRun } from "../../store/recorder.js";
import { resolveTemplate, type StoredHeader, toStoredHeaders } from "../../store/templates.js";
import { type ClientFlags, resolveClient } from "../client.js";
import { loadStyle, secretValues } from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject } from "../project.js";
import { attemptJson, formatAttemptLine, round, type Style } from "../render/delivery.js";
import { interruptSignal } from "../signals.js";
import { renderTable } from "../table.js";

// ---------------------------------------------------------------------------------------- list

export async function runScenarioList(
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  const scenarios = builtinScenarios();
  if (options.json) {
    print(
      JSON.stringify(
        scenarios.map((s) => ({
          name: s.name,
          description: s.description,
          steps: s.steps.map((step) => step.type),
        })),
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  const style = await loadStyle(globals, false);
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 160;
  print(
    renderTable(
      ["SCENARIO", "STEPS", "EVENTS"],
      scenarios.map((s) => [s.name, String(s.steps.length), sequence(s)]),
      { maxWidth: width, header: style.bold },
    ),
  );
  print();
  print("norce-event scenario show <name> for the steps, shared ids, gaps and what is modeled.");
  return EXIT_OK;
}

function sequence(s: CheckedScenario): string {
  const short = (t: string) => t.replace(/(Event|Notification)$/, "");
  const parts: string[] = [];
  for (const step of s.steps) {
    const name = short(step.type);
    const last = parts.at(-1);
    const m = last ? /^(.*?)(?: ×(\d+))?$/.exec(last) : null;
    if (m && m[1] === name) parts[parts.length - 1] = `${name} ×${Number(m[2] ?? 1) + 1}`;
    else parts.push(name);
  }
  return parts.join(" → ");
}

// ---------------------------------------------------------------------------------------- show

export interface ScenarioShowOptions extends ClientFlags {
  seed: number;
  json?: boolean;
}

export async function runScenarioShow(
  name: string,
  options: ScenarioShowOptions,
  globals: GlobalOptions,
): Promise<number> {
  const scenario = loadScenario(name);
  const config = loadProject({ ...globals, store: false }).config;
  const { client } = resolveClient(options, config);
  const plan = planScenario(scenario, { seed: options.seed, client });
  if (options.json) {
    print(
      JSON.stringify(
        {
          name: plan.name,
          description: plan.description,
          source: plan.source,
          seed: plan.seed,
          client,
          steps: scenario.steps.map((step) => ({
            id: step.id,
            type: step.type,
            afterMs: step.afterMs,
            with: step.with,
            set: step.set,
            note: step.note ?? null,
          })),
          entities: plan.entities[0],
          events: plan.events.map((e) => ({
            step: e.stepId,
            type: e.event.type,
            atMs: e.atMs,
            ids: e.ids,
            payload: e.event.payload,
          })),
          modeled: plan.modeled,
        },
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  const style = await loadStyle(globals, false);
  print(`${style.bold(plan.name)}${plan.description ? ` — ${plan.description}` : ""}`);
  print(
    style.dim(
      `${plan.source === "built-in" ? "built-in" : plan.source} · ${scenario.steps.length} steps · seed ${plan.seed} · ${describeClient(client)}`,
    ),
  );
  print();
  print(style.bold("Steps"));
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 200;
  print(
    renderTable(
      ["#", "AT", "AFTER", "STEP", "TYPE", "SHARED IDS", "WHY"],
      plan.events.map((e) => {
        const step = scenario.steps[e.stepIndex]!;
        return [
          String(e.stepIndex + 1),
          `+${e.atMs === 0 ? "0s" : formatDuration(e.atMs)}`,
          step.afterMs === 0 ? "—" : formatDuration(step.afterMs),
          step.id,
          e.event.type,
          formatIds(e.ids),
          step.note ?? "",
        ];
      }),
      { maxWidth: width, header: style.bold },
    ),
  );
  print();
  print(style.bold(`Shared ids (seed ${plan.seed}; another --seed gives others)`));
  for (const [entity, fields] of Object.entries(plan.entities[0] ?? {})) {
    print(`  ${entity}: ${formatEntity(fields)}`);
  }
  const references = scenario.steps.flatMap((step) =>
    Object.entries(step.set).flatMap(([property, value]) =>
      refsIn(value).map((ref) => `${step.id}.${property} ← ${ref}`),
    ),
  );
  if (references.length > 0) {
    print();
    print(style.bold("References"));
    for (const line of references) print(`  ${line}`);
  }
  if (plan.modeled.length > 0) {
    print();
    print(style.bold("Modeled (Norce's docs do not say this; the evidence follows each)"));
    for (const m of plan.modeled) {
      print(`  • ${m.relation}`);
      print(style.dim(`    evidence: ${m.evidence}`));
    }
  }
  print();
  print(
    style.dim(
      `Run it: norce-event scenario run ${plan.source === "built-in" ? plan.name : plan.source} --to http://localhost:7412/receiver --time-scale 1000`,
    ),
  );
  return EXIT_OK;
}

function formatIds(ids: Record<string, string | number>): string {
  return Object.entries(ids)
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
}

function formatEntity(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
}

// ----------------------------------------------------------------------------------------- run

export interface ScenarioRunCliOptions extends ClientFlags {
  to?: string;
  header?: string[];
  seed?: number;
  repeat: number;
  chaos?: string[];
  timeout: number;
  maxRetries?: number;
  retry: boolean;
  timeScale?: number;
  maxGap: number;
  json?: boolean;
}

export async function runScenarioRun(
  name: string,
  options: ScenarioRunCliOptions,
  globals: GlobalOptions,
): Promise<number> {
  const project = loadProject(globals);
  try {
    return await run(name, options, globals, project);
  } finally {
    await project.close();
  }
}

async function run(
  name: string,
  options: ScenarioRunCliOptions,
  globals: GlobalOptions,
  project: ReturnType<typeof loadProject>,
): Promise<number> {
  const scenario = loadScenario(name);
  const chaos = parseChaos(options.chaos);
  const config = project.config;
  const { client } = resolveClient(options, config);
  const targets = targetsFor(scenario, options, config);
  const policy = createPolicy({
    timeoutMs: options.timeout,
    timeScale: options.timeScale ?? config?.data.timeScale ?? 1,
    maxRetries: options.retry === false ? 0 : (options.maxRetries ?? 16),
  });
  const plan = planScenario(scenario, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    repeat: options.repeat,
    client,
  });
  const json = options.json ?? false;
  const style = await loadStyle(globals, json);
  const secrets = [...targets.values()].flatMap((t) =>
    "headers" in t ? secretValues(t.headers) : [],
  );
  const store = await project.store();
  // The run's id, kept in the store beside its events' message ids (never sent: Norce has none).
  const runId = randomUUID().slice(0, 8);
  const recorded = recordRun(store, {
    runId,
    scenario: plan.name,
    seed: plan.seed,
    createdAt: Date.now(),
    events: plan.events.map((e) => ({
      position: e.position,
      repetition: e.repetition,
      step: e.stepIndex + 1,
      stepId: e.stepId,
      type: e.event.type,
      messageId: e.event.messageId,
      ids: e.ids,
    })),
  });
  const signal = interruptSignal();
  const first = [...targets.values()].find((t): t is ResolvedTarget => "url" in t);
  const view = createTimeline(plan, {
    json,
    style,
    secrets,
    policy,
    chaos,
    options,
    runId: recorded ? runId : undefined,
    target: first,
  });
  view.start();
  const recordings = new Map<number, ReturnType<typeof recordDelivery> | undefined>();
  let result: ScenarioRun;
  try {
    result = await runScenarioPlan(plan, {
      to: (type) => targets.get(type) ?? { skip: "no target" },
      policy,
      chaos,
      maxGapMs: options.maxGap,
      signal: signal.signal,
      hooks: {
        onDispatch: (dispatch) => view.dispatch(dispatch),
        onSkip: (planned, reason) => view.skip(planned, reason),
        deliveryHooks: (dispatch, url) => {
          const target = targets.get(dispatch.planned.event.type) as ResolvedTarget;
          const recording =
            store && dispatch.mode !== "again"
              ? recordDelivery(
                  store,
                  recordingRun(url, target.stored, policy),
                  dispatch.planned.event,
                )
              : undefined;
          recordings.set(dispatch.number, recording);
          return {
            onAttempt: async (attempt: Attempt) => {
              await recording?.hooks.onAttempt(attempt);
              view.attempt(dispatch, attempt);
            },
            ...(recording ? { onWait: recording.hooks.onWait } : {}),
          } satisfies DeliveryHooks;
        },
        onDelivery: (dispatch, delivery: Delivery) => {
          recordings.get(dispatch.number)?.finish(delivery);
        },
      },
    });
  } finally {
    signal.dispose();
  }
  view.summary(result);
  if (result.interrupted) return EXIT_INTERRUPTED;
  return result.dead > 0 || result.delivered < plan.events.length - result.skipped.length
    ? EXIT_FAILED
    : EXIT_OK;
}

/** Keep the run in the store; a store that cannot be written is a warning, not a stop. */
function recordRun(
  store: EventStore | undefined,
  run: Parameters<EventStore["recordScenarioRun"]>[0],
): boolean {
  if (!store) return false;
  try {
    store.recordScenarioRun(run);
    return true;
  } catch (error) {
    say(`warning: ${(error as Error).message}; the run is not grouped in the store`);
    return false;
  }
}

interface ResolvedTarget {
  url: string;
  headers: Record<string, string>;
  stored: StoredHeader[];
}

/** Per type in the scenario: --to (or the config's url), config headers then -H; off types skipped. */
function targetsFor(
  scenario: CheckedScenario,
  options: ScenarioRunCliOptions,
  config: LoadedConfig | undefined,
): Map<EventTypeName, ResolvedTarget | { skip: string }> {
  const flagHeaders = parseHeaders(options.header);
  const flagNames = new Set(Object.keys(flagHeaders).map((n) => n.toLowerCase()));
  const to = options.to ? parseTargetUrl(options.to) : undefined;
  const targets = new Map<EventTypeName, ResolvedTarget | { skip: string }>();
  const missing: string[] = [];
  for (const type of new Set(scenario.steps.map((s) => s.type))) {
    const settings = settingsFor(config, type);
    if (!settings.enabled) {
      targets.set(type, {
        skip: `off in ${config?.shown ?? "the config"}: Norce does not send a type while it is off`,
      });
      continue;
    }
    const file = config?.shown;
    const urlText =
      to ??
      (settings.url
        ? resolveTemplate(settings.url, { ...(file ? { file } : {}), field: `the url of ${type}` })
        : undefined);
    if (!urlText) {
      missing.push(type);
      continue;
    }
    const url = to ?? parseTargetUrl(urlText, `${file}: url`);
    const fromConfig = Object.entries(settings.headers).filter(
      ([n]) => !flagNames.has(n.toLowerCase()),
    );
    const headers: Record<string, string> = {};
    for (const [n, template] of fromConfig) {
      headers[n] = resolveTemplate(template, { ...(file ? { file } : {}), field: `headers.${n}` });
    }
    for (const [n, value] of Object.entries(flagHeaders)) {
      headers[n] = resolveTemplate(value, { field: `-H ${n}` });
    }
    targets.set(type, {
      url,
      headers,
      stored: [
        ...fromConfig.map(([n, template]) => ({ name: n, template })),
        ...toStoredHeaders(flagHeaders),
      ],
    });
  }
  if (missing.length > 0) {
    throw new UsageError(
      `scenario run needs --to <url>, or a url for ${missing.join(", ")} in the config`,
      {
        hint: "e.g. --to http://localhost:7412/receiver (norce-event listen runs a receiver there)",
      },
    );
  }
  return targets;
}

// ------------------------------------------------------------------------------------ timeline

function createTimeline(
  plan: ScenarioPlan,
  view: {
    json: boolean;
    style: Style;
    secrets: string[];
    policy: DeliveryPolicy;
    chaos: string[];
    options: ScenarioRunCliOptions;
    target: ResolvedTarget | undefined;
    /** The run's id in the store (none with --no-store). */
    runId: string | undefined;
  },
) {
  const { style, json } = view;
  const label = (e: PlannedEvent) =>
    `${plan.repeat > 1 ? `${e.repetition + 1}.` : ""}${e.stepIndex + 1}/${e.stepCount}`;
  const at = (ms: number) => `+${ms === 0 ? "0s" : formatDuration(ms)}`;
  const emit = (value: unknown) => print(JSON.stringify(value));
  return {
    start() {
      if (json) {
        emit({
          kind: "plan",
          scenario: plan.name,
          runId: view.runId ?? null,
          source: plan.source,
          seed: plan.seed,
          repeat: plan.repeat,
          client: plan.client,
          chaos: view.chaos,
          timeScale: view.policy.timeScale,
          events: plan.events.map((e) => ({
            position: e.position,
            run: e.repetition + 1,
            step: e.stepIndex + 1,
            stepId: e.stepId,
            type: e.event.type,
            messageId: e.event.messageId,
            atMs: e.atMs,
            ids: e.ids,
          })),
        });
        return;
      }
      print(
        `${style.bold(`scenario ${plan.name}`)} → ${view.target?.url ?? "the config's urls"} ${style.dim(`(${plan.events.length} events, seed ${plan.seed}${plan.repeat > 1 ? `, ${plan.repeat} runs` : ""}, gaps ÷${view.policy.timeScale} at most ${formatDuration(view.options.maxGap)} each${view.chaos.length ? `, chaos ${view.chaos.join(",")}` : ""})`)}`,
      );
      print(
        style.dim(
          `  ${describeClient(plan.client)}${view.runId ? ` · run ${view.runId} (norce-event log --scenario ${view.runId})` : ""}`,
        ),
      );
      for (const [index, entities] of plan.entities.entries()) {
        for (const [name, fields] of Object.entries(entities)) {
          const keys = Object.entries(fields).filter(([k]) =>
            /Id$|No$|Ref$|Code$|Name$|Phone$/.test(k),
          );
          print(
            style.dim(
              `  ${plan.repeat > 1 ? `run ${index + 1} ` : ""}${name}: ${keys.map(([k, v]) => `${k} ${v}`).join(" · ")}`,
            ),
          );
        }
      }
      print();
    },
    dispatch(d: ScenarioDispatch) {
      if (json) return;
      const e = d.planned;
      const how =
        d.mode === "again"
          ? style.yellow(" again (same message id: Norce's next attempt)")
          : d.mode === "lost"
            ? style.yellow(" (its answer will be lost: chaos retry)")
            : "";
      print(
        `${style.dim(at(e.atMs).padEnd(10))}${label(e).padEnd(6)} ${style.bold(e.event.type)} ${style.dim(e.event.messageId.slice(0, 8))}${how}  ${style.dim(formatIds(e.ids))}`,
      );
    },
    attempt(d: ScenarioDispatch, attempt: Attempt) {
      if (json) {
        emit({
          ...attemptJson(d.planned.event, attempt, view.secrets),
          run: d.planned.repetition + 1,
          step: d.planned.stepIndex + 1,
          stepId: d.planned.stepId,
          dispatch: d.mode,
        });
        return;
      }
      const lost =
        d.mode === "lost" && attempt.ok ? style.yellow("  (answer lost: Norce retries)") : "";
      print(
        `${" ".repeat(10)}${label(d.planned).padEnd(6)}${formatAttemptLine(attempt, style, view.secrets)}${lost}`,
      );
    },
    skip(e: PlannedEvent, reason: string) {
      if (json) {
        emit({ kind: "skipped", step: e.stepIndex + 1, type: e.event.type, reason });
        return;
      }
      print(
        `${style.dim(at(e.atMs).padEnd(10))}${label(e).padEnd(6)} ${e.event.type} ${style.yellow(`not sent: ${reason}`)}`,
      );
    },
    summary(result: ScenarioRun) {
      const requests = result.deliveries.reduce((n, d) => n + d.delivery.attempts.length, 0);
      const scenarioMs = plan.events.at(-1)?.atMs ?? 0;
      const expected = plan.events.length - result.skipped.length;
      const rerun = [
        `norce-event scenario run ${plan.source === "built-in" ? plan.name : plan.source}`,
        view.target ? `--to ${view.target.url}` : "",
        `--seed ${plan.seed}`,
        plan.repeat > 1 ? `--repeat ${plan.repeat}` : "",
        view.chaos.length ? `--chaos ${view.chaos.join(",")}` : "",
        view.options.timeScale ? `--time-scale ${view.options.timeScale}` : "",
        // Whatever else changes the events or their delivery, as given (headers are not
        // repeated: they may carry secrets, and the config's are read again anyway).
        view.options.clientId === undefined ? "" : `--client-id ${view.options.clientId}`,
        view.options.applicationId?.length
          ? `--application-id ${view.options.applicationId.join(",")}`
          : "",
        view.options.timeout === NORCE_POLICY.timeoutMs
          ? ""
          : `--timeout ${view.options.timeout}ms`,
        view.options.retry === false
          ? "--no-retry"
          : view.options.maxRetries === undefined
            ? ""
            : `--max-retries ${view.options.maxRetries}`,
        view.options.maxGap === DEFAULT_MAX_GAP_MS ? "" : `--max-gap ${view.options.maxGap}ms`,
      ]
        .filter(Boolean)
        .join(" ");
      if (json) {
        emit({
          kind: "summary",
          scenario: plan.name,
          runId: view.runId ?? null,
          seed: plan.seed,
          events: plan.events.length,
          delivered: result.delivered,
          dead: result.dead,
          skipped: result.skipped.length,
          interrupted: result.interrupted,
          requests,
          chaos: result.chaos,
          scenarioMs,
          realMs: round(result.durationMs),
          rerun,
        });
        return;
      }
      print();
      const ok = result.delivered === expected && !result.interrupted;
      const head = ok
        ? style.green(`✓ ${result.delivered} of ${expected} events delivered`)
        : style.red(
            `✗ ${result.delivered} of ${expected} events delivered${result.dead ? `, ${result.dead} dead` : ""}${result.interrupted ? ", interrupted" : ""}`,
          );
      print(
        `${head}${result.skipped.length ? ` (${result.skipped.length} not sent: off)` : ""} · ${requests} requests · scenario time ${at(scenarioMs)}, real ${formatDuration(result.durationMs)}`,
      );
      if (result.chaos.length > 0) {
        print(`chaos applied (seed ${plan.seed}; the same seed gives the same disorder):`);
        for (const c of result.chaos) print(`  ${c.kind}: ${c.description}`);
      }
      for (const kind of view.chaos.filter((k) => !result.chaos.some((c) => c.kind === k))) {
        print(`  ${kind}: not applied: it needs a later event of the same sequence to move behind`);
      }
      say(`again: ${rerun}`);
    },
  };
}

// ---------------------------------------------------------------------------------------- init

export async function runScenarioInit(
  file: string | undefined,
  options: { force?: boolean },
): Promise<number> {
  const path = resolve(file ?? "scenario.json");
  const shown = relative(process.cwd(), path) || path;
  if (existsSync(path) && !options.force) {
    throw new UsageError(`${shown} already exists`, {
      hint: "pick another name, or add --force to write over it",
    });
  }
  const schema = relative(resolve(path, ".."), fileURLToPath(SCENARIO_SCHEMA_FILE))
    .split("\\")
    .join("/");
  const example = {
    $schema: schema.startsWith(".") ? schema : `./${schema}`,
    name: "order-with-express-shipping",
    description:
      "Our web shop's express orders: received, paid, confirmed, delivered the next day.",
    steps: [
      { id: "received", type: "OrderReceivedEvent", with: ["order"], set: { Source: "WEB" } },
      {
        id: "paid",
        type: "OrderPaymentReceivedEvent",
        after: "30s",
        with: ["order"],
        set: {
          ClientOrderRef: { ref: "received.ClientOrderRef" },
          PaymentMethodCode: "KlarnaCheckout",
        },
        note: "references: the payment carries the ClientOrderRef the order was received with",
      },
      {
        id: "confirmed",
        type: "OrderConfirmedEvent",
        after: "10m",
        with: ["order"],
        set: {
          ClientOrderRef: { ref: "received.ClientOrderRef" },
          Source: { ref: "received.Source" },
        },
      },
      {
        id: "delivered",
        type: "OrderDeliveredEvent",
        after: "1d",
        with: ["order"],
        set: { OrderNo: { ref: "confirmed.OrderNo" } },
      },
    ],
  };
  // What we write must run: check it as a file would be checked.
  const { checkScenario } = await import("../../scenarios/definition.js");
  checkScenario(example, shown);
  await writeFile(path, `${JSON.stringify(example, null, 2)}\n`);
  print(
    `wrote ${shown}: ${example.steps.length} steps (${example.steps.map((s) => s.type).join(" → ")})`,
  );
  print(
    `next: norce-event scenario run ${shown} --to http://localhost:7412/receiver --time-scale 1000`,
  );
  return EXIT_OK;
}
